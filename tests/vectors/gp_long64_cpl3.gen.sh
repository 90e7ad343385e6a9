#!/bin/sh
# Regenerates gp_long64_cpl3.jsonl: the hand-picked cases of fuzz/hw/curated.c run natively at
# CPL 3 on this machine by `emulate record --curated` (an AMD Zen 3 when the file was made; the
# undefined flags are left out by "flags_mask").  The recorder also runs each case through
# libemulate and says so if the two disagree.  Usage: tests/vectors/gp_long64_cpl3.gen.sh [BUILD_DIR]
set -eu
cd "$(dirname "$0")/../.."
build=${1:-build}
cmake -S . -B "$build" -G Ninja >/dev/null
ninja -C "$build" emulate >/dev/null
"$build/emulate" record --curated tests/vectors/gp_long64_cpl3.jsonl
"$build/emulate" replay tests/vectors/gp_long64_cpl3.jsonl | tail -1
