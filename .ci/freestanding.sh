#!/bin/sh
# lib/, tables/ and our decoder must build freestanding (a hypervisor links them into a kernel):
# compile them without the C library's headers, link them into one relocatable object, and check
#  - the only undefined symbols are the compiler's memory primitives (memcpy/memset/memmove/memcmp),
#  - there is no writable global data (.data/.bss symbols).
set -eu
src=${1:-$(dirname "$0")/..}
cc=${CC:-cc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
inc=$($cc -print-file-name=include)
for f in "$src"/lib/*.c "$src"/tables/*.c "$src"/decoder/decode.c "$src"/decoder/apx_decode.c; do
    $cc -std=c11 -O2 -ffreestanding -fno-builtin -nostdinc -isystem "$inc" -I "$src/include" \
        -fno-stack-protector -fno-pic -mno-red-zone -Wall -Werror=implicit-function-declaration \
        -c "$f" -o "$tmp/$(basename "$f" .c)-$(basename "$(dirname "$f")").o"
done
# the fast path without the host's ALU (lib/hostalu.h): what a non-x86 host compiles
$cc -std=c11 -O2 -ffreestanding -fno-builtin -nostdinc -isystem "$inc" -I "$src/include" \
    -fno-stack-protector -fno-pic -mno-red-zone -Wall -Werror -DEMU_NO_HOST_ALU \
    -c "$src/lib/fast.c" -o "$tmp/fast-portable.o.tmp"
ld -r -o "$tmp/all.o" "$tmp"/*.o
undef=$(nm -u "$tmp/all.o" | awk '{print $2}' | grep -v -E '^(memcpy|memset|memmove|memcmp)$' || true)
if [ -n "$undef" ]; then
    echo "freestanding: undefined symbols outside the allowed set:"; echo "$undef"; exit 1
fi
writable=$(nm "$tmp/all.o" | awk '$2 ~ /^[bBdD]$/ {print $3}' || true)
if [ -n "$writable" ]; then
    echo "freestanding: writable global data:"; echo "$writable"; exit 1
fi
echo "freestanding: OK ($(ls "$tmp"/*.o | wc -l) objects, no libc symbols, no writable globals)"
