#!/bin/sh
# Regenerates gp_long64_cpl3.jsonl: the cases of scripts/hwcheck/vectors.c run natively at
# CPL 3 on this machine (an AMD Zen 3 when the file was made: the expected values of the
# undefined-flag-free parts do not depend on it, and "flags_mask" leaves the undefined flags
# out).  hwcheck also runs each case through libemulate and complains on stderr if the two
# disagree.  Usage: tests/vectors/gp_long64_cpl3.gen.sh [BUILD_DIR]
set -eu
cd "$(dirname "$0")/../.."
build=${1:-build}
cmake -S . -B "$build" -G Ninja >/dev/null
ninja -C "$build" hwcheck emulate >/dev/null
"$build/scripts/hwcheck/hwcheck" vectors > tests/vectors/gp_long64_cpl3.jsonl
"$build/emulate" replay tests/vectors/gp_long64_cpl3.jsonl | tail -1
