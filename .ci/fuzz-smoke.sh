#!/bin/sh
# A bounded libFuzzer run per target (no time limit, a run count), from the committed seeds.
# Any crash, leak or sanitizer report fails.
set -eu
cd "$(dirname "$0")/.."
runs=${FUZZ_RUNS:-100000}
./fuzz/build.sh >/dev/null
for t in step decode vector; do
    work=$(mktemp -d)
    ./build-fuzz/fuzz_$t -runs="$runs" -dict=fuzz/$t.dict -max_len=2048 "$work" fuzz/corpus/$t \
        > build-fuzz/$t.log 2>&1 || { echo "fuzz_$t: FAILED"; tail -30 build-fuzz/$t.log; rm -rf "$work"; exit 1; }
    rm -rf "$work"
    echo "fuzz_$t: $(grep -o 'Done [0-9]* runs.*' build-fuzz/$t.log)"
done
