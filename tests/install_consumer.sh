#!/bin/sh
# Install the library into a temporary prefix, then build a consumer with find_package(emulate)
# and one with pkg-config, and run both.
set -eu
build=$1
src=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
cmake -S "$src/tests/consumer" -B "$tmp/cmake" -DCMAKE_PREFIX_PATH="$tmp/prefix" >/dev/null
cmake --build "$tmp/cmake" >/dev/null
"$tmp/cmake/consumer"
pc=$(ls -d "$tmp"/prefix/lib*/pkgconfig "$tmp"/prefix/lib/*/pkgconfig 2>/dev/null | head -1)
# shellcheck disable=SC2046
cc -o "$tmp/pc" "$src/tests/consumer/main.c" $(PKG_CONFIG_PATH="$pc" pkg-config --cflags --libs --static emulate)
LD_LIBRARY_PATH="$pc/.." "$tmp/pc"
echo "install: find_package and pkg-config consumers work"
