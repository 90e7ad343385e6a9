#!/bin/sh
# Build the libFuzzer targets, OSS-Fuzz style: honours $CC, $CFLAGS, $LIB_FUZZING_ENGINE and
# $OUT.  Defaults: clang-14 with -fsanitize=fuzzer,address,undefined, output in build-fuzz/.
#   fuzz/build.sh && build-fuzz/fuzz_step -runs=200000 fuzz/corpus/step
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
CC=${CC:-clang-14}
CFLAGS=${CFLAGS:--O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined}
LIB_FUZZING_ENGINE=${LIB_FUZZING_ENGINE:--fsanitize=fuzzer}
OUT=${OUT:-$src/build-fuzz}
mkdir -p "$OUT"
inc="-I$src/include -I$src/tools -D_GNU_SOURCE"
core="$src/decoder/decode.c $src/decoder/apx_decode.c $src/tables/*.c $src/lib/*.c"
tool="$src/tools/machine.c $src/tools/json.c $src/tools/vector.c $src/tools/zydis_check.c $src/decoder/zydis_fallback.c"
# shellcheck disable=SC2086
$CC $CFLAGS $LIB_FUZZING_ENGINE $inc -o "$OUT/fuzz_step" "$src/fuzz/fuzz_step.c" $core
# shellcheck disable=SC2086
$CC $CFLAGS $LIB_FUZZING_ENGINE $inc -o "$OUT/fuzz_decode" "$src/fuzz/fuzz_decode.c" $core $tool -lZydis
# shellcheck disable=SC2086
$CC $CFLAGS $LIB_FUZZING_ENGINE $inc -o "$OUT/fuzz_vector" "$src/fuzz/fuzz_vector.c" $core $tool -lZydis
for t in step decode vector; do
    [ -f "$src/fuzz/$t.dict" ] && cp "$src/fuzz/$t.dict" "$OUT/fuzz_$t.dict"
done
echo "fuzz targets in $OUT"
