#!/bin/sh
# The campaign can fail: with a wrong CF injected after every ADD on the emulator side
# (EMU_HWDIFF_INJECT_ADD_CF, a test hook), hwdiff must report disagreements in the alu family
# only, exit 1, and write them as vectors of the CPU's answer, which the real emulator then
# replays green.  Skips (77) where the runner cannot run.
E="$1"; out="$2"
rm -rf "$out"
EMU_HWDIFF_INJECT_ADD_CF=1 "$E" hwdiff --count 1000 --family alu,shift --seed 5 --quiet --out "$out" > "$out.log" 2>&1
rc=$?
[ $rc -eq 77 ] && { cat "$out.log"; exit 77; }
fail=0
[ $rc -eq 1 ] || { echo "FAIL: hwdiff exit $rc, expected 1"; fail=1; }
n=$(awk '$1 == "alu" {print $4}' "$out.log")
s=$(awk '$1 == "shift" {print $4}' "$out.log")
[ -n "$n" ] && [ "$n" -gt 0 ] || { echo "FAIL: no alu disagreement reported"; fail=1; }
[ "$s" = 0 ] || { echo "FAIL: shift disagreements: '$s'"; fail=1; }
[ -s "$out/alu.jsonl" ] && [ -s "$out/report.txt" ] || { echo "FAIL: no vectors or report written"; fail=1; }
grep -q "rflags" "$out/report.txt" || { echo "FAIL: the report does not name rflags"; fail=1; }
"$E" replay "$out/alu.jsonl" | tail -1 | grep -q " 0 failed" || { echo "FAIL: the disagreement vectors do not replay"; fail=1; }
# A CALL far whose return-address push faults after CS was pushed: the CPU leaves CS below
# rSP, the library commits nothing; the comparison leaves those bytes out (fuzz/hw/emu.c).
"$E" hwrun ff1d170b0000 --reg rsp=0x10001005 --mem 0x1000131d=000000002000 > "$out.callfar" 2>&1
grep -q "^cpu: exception vector 14" "$out.callfar" && tail -1 "$out.callfar" | grep -q "^agree" ||
    { echo "FAIL: CALL far faulting after its CS push:"; cat "$out.callfar"; fail=1; }
[ $fail -eq 0 ] && echo "hw_selftest: ok ($n injected disagreements caught, minimised and written)"
exit $fail
