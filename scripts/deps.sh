#!/bin/sh
# Install what building and testing libemulate needs (Debian bookworm, as root).  Packages that
# are already installed are skipped, so this is quick on a prepared machine.
set -eu
pkgs="build-essential cmake ninja-build pkg-config libzydis-dev check clang-14 libclang-rt-14-dev valgrind python3"
[ "${EMU_WITH_LLVM19:-0}" = 1 ] && pkgs="$pkgs llvm-19"
[ "${EMU_WITH_UNICORN:-0}" = 1 ] && pkgs="$pkgs libunicorn-dev"
missing=""
for p in $pkgs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    if [ "$(id -u)" != 0 ]; then
        echo "deps: missing packages:$missing (run as root to install them)" >&2
        exit 1
    fi
    echo "deps: installing$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
