#!/bin/sh
# The benchmark: builds bench/ (Release) and prints, for each workload, wall-clock ns per
# instruction and host instructions per emulated instruction under callgrind (stable, unlike
# wall time on a shared machine).  Needs valgrind and libunicorn-dev (installed if missing).
#   ./bench/run.sh            all workloads and peers
#   ./bench/run.sh add        one workload
set -eu
cd "$(dirname "$0")/.."
EMU_WITH_UNICORN=1 ./scripts/deps.sh
cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DEMU_BUILD_TESTS=OFF >/dev/null
ninja -C build-bench bench >/dev/null
B=./build-bench/bench/bench
mkdir -p bench/out
echo "== wall clock (min of 5 runs; +-50% between runs on a shared machine) =="
if [ $# -gt 0 ]; then $B --only "$1"; else $B; fi
echo
echo "== callgrind: host instructions per emulated instruction (decode, checks, callbacks included) =="
printf '%-16s %14s\n' workload host-insns/insn
for w in ${1:-mmio_store mmio_load add nop lock_xadd cmpxchg block1000 rep_movsb rep_stosq rep_outsb zydis_decode unicorn_single unicorn_block}; do
    case $w in block1000) n=20;; rep_*) n=4;; unicorn_*) n=20;; *) n=2000;; esac
    out=bench/out/callgrind.$w
    valgrind --tool=callgrind --callgrind-out-file=$out --toggle-collect=measured \
        --toggle-collect=zydis_measured --toggle-collect=unicorn_single_measured \
        --toggle-collect=unicorn_block_measured $B --callgrind $w $n > bench/out/$w.txt 2>/dev/null || { echo "$w: failed"; continue; }
    ir=$(awk '/^summary:/ {print $2}' $out)
    insns=$(awk '/^insns/ {print $2}' bench/out/$w.txt)
    awk -v w=$w -v ir="$ir" -v n="$insns" 'BEGIN { printf "%-16s %14.1f\n", w, ir / n }'
done
