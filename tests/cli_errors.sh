#!/bin/sh
# The CLI answers bad input with a one-line error and exit status 2.
E="$1"
fail=0
expect2() {
    out=$("$E" "$@" 2>&1 >/dev/null); rc=$?
    lines=$(printf '%s\n' "$out" | wc -l)
    if [ "$rc" -ne 2 ] || [ "$lines" -ne 1 ]; then
        echo "FAIL: emulate $*: exit $rc, $lines line(s): $out"; fail=1
    fi
}
expect2 bogus
expect2 disasm zz
expect2 disasm --mode nosuch 90
expect2 disasm --features nosuch 90
expect2 disasm
expect2 run
expect2 run 0g
expect2 run --reg nosuch=1 90
expect2 run --reg rax=xyz 90
expect2 run --mode nosuch 90
expect2 run --vector /nonexistent/file
expect2 replay
expect2 replay /nonexistent/file
# the hardware runner's commands (when the build has it: else they skip with 77)
"$E" hwrun 90 >/dev/null 2>&1
if [ $? -ne 77 ]; then
    expect2 hwdiff --bogus
    expect2 hwdiff --seconds abc
    expect2 hwdiff --family nosuch
    expect2 hwdiff --family apx
    expect2 record --count x
    expect2 record --family alu,nosuch
    expect2 hwrun
    expect2 hwrun zz
    expect2 hwrun 90 91
    expect2 hwrun --reg nosuch=1 90
    expect2 hwrun --mem 0x10=00 90
fi
# and good input works
"$E" disasm 90 >/dev/null || { echo "FAIL: disasm 90"; fail=1; }
exit $fail
