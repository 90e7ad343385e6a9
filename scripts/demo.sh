#!/bin/sh
# The main job: build the emulate CLI and run the hardware differential campaign on this CPU
# for about 30 seconds (emulate hwdiff: generated instructions run natively at CPL 3 in a
# sandbox and through libemulate, compared; a table per family at the end, disagreements as
# vectors in hwdiff-out/).  Arguments go to hwdiff, e.g. --seconds 60 --family string.
# Where the native runner cannot run (not x86-64 Linux, no seccomp), a few emulated
# instructions are shown instead.
set -eu
cd "$(dirname "$0")/.."
./scripts/deps.sh
cmake -S . -B build -G Ninja >/dev/null
ninja -C build emulate >/dev/null
E=./build/emulate
rc=0
if [ $# -eq 0 ]; then set -- --seconds 30; fi
$E hwdiff "$@" || rc=$?
[ "$rc" -ne 77 ] && exit "$rc"
set -x
$E disasm --features bmi1,bmi2,adx 4801d8 c4e2f8f2c3 660f38f6c1 f00fc11b 0f01d8 d5
$E run --reg rax=0x7fffffffffffffff --reg rbx=1 4801d8
$E run --mode real --reg rcx=3 --reg rsi=0x100 --reg rdi=0x200 --mem 0x100=414243 f3a4
$E run --reg rbx=0 48f7f3
$E run --reg rsp=0x8000 --cpl 3 9c
$E run 0f0b
