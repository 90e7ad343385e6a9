#!/bin/sh
# The main job (until the hardware-differential campaign replaces it): build the emulate CLI and
# run it on a few instructions in different modes.
set -eu
cd "$(dirname "$0")/.."
./scripts/deps.sh
cmake -S . -B build -G Ninja >/dev/null
ninja -C build emulate >/dev/null
E=./build/emulate
set -x
$E disasm --features bmi1,bmi2,adx 4801d8 c4e2f8f2c3 660f38f6c1 f00fc11b 0f01d8 d5
$E run --reg rax=0x7fffffffffffffff --reg rbx=1 4801d8
$E run --mode real --reg rcx=3 --reg rsi=0x100 --reg rdi=0x200 --mem 0x100=414243 f3a4
$E run --reg rbx=0 48f7f3
$E run --reg rsp=0x8000 --cpl 3 9c
$E run 0f0b
