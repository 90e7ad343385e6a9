#!/bin/sh
# The test command: install dependencies, build, run every test (unit suites, decoder against
# Zydis, vector replays, CLI errors, freestanding build, a bounded libFuzzer run per target, the
# unit suites again under ASan and UBSan, with the portable fast-path ALU).
# Ends with ctest's summary.
set -eu
cd "$(dirname "$0")/.."
./scripts/deps.sh
cmake -S . -B build-test -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C build-test
./.ci/fuzz-smoke.sh
./.ci/unit-sanitized.sh
cd build-test
ctest --output-on-failure -j2
