#!/bin/sh
# The unit suites once more, built with clang-14 under ASan and UBSan (the library, the test
# machine and the tests): an out-of-bounds read, a use of freed memory or undefined behaviour
# that the plain build runs past fails here.  (test_fast's long run hands its bytes over in
# exact-size heap buffers for this.)  This build also takes the fast path's portable ALU
# (EMU_NO_HOST_ALU), so test_fast compares that with the pipeline too; the plain build and
# the fuzz targets run the host's.
set -eu
cd "$(dirname "$0")/.."
CC=clang-14 cmake -S . -B build-asan -G Ninja -DEMU_SANITIZE=ON -DEMU_BUILD_BENCH=OFF \
    -DEMU_BUILD_HWDIFF=OFF -DEMU_NO_HOST_ALU=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C build-asan unit_tests >/dev/null
log=build-asan/unit.log
if CK_FORK=no ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1 ./build-asan/tests/unit_tests > "$log" 2>&1; then
    echo "unit (ASan, UBSan): $(tail -1 "$log")"
else
    echo "unit (ASan, UBSan): FAILED"; tail -30 "$log"; exit 1
fi
