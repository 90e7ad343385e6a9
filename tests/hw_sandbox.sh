#!/bin/sh
# The native runner's sandbox: no instruction under test makes a real system call (SYSCALL,
# INT 80h, compatibility-mode SYSCALL with rAX = exit or write: all stopped by seccomp and
# reported), a branch to itself is killed and reported as a hang, and the campaign goes on.
# Skips (77) where the runner cannot run.
E="$1"
"$E" hwrun 90 >/dev/null 2>&1
[ $? -eq 77 ] && { echo "hw_sandbox: no native runner on this host: skipped"; exit 77; }
fail=0
expect() {
    want="$1"; shift
    out=$("$E" hwrun "$@" 2>&1)
    printf '%s\n' "$out" | grep -q "^cpu: $want" || { echo "FAIL: hwrun $*: expected '$want'"; printf '%s\n' "$out"; fail=1; }
}
expect "system call" 0f05 --reg rax=60 --reg rdi=3          # exit(3)
expect "system call" 0f05 --reg rax=1 --reg rdi=1 --reg rsi=0x10001000 --reg rdx=4
expect "system call" cd80 --reg rax=1                         # 32-bit exit
expect "system call" --compat cd80 --reg rax=4 --reg rbx=1
expect "system call" --compat 0f05 --reg rax=1                # the kernel moves its IP to the vDSO
expect "hang" ebfe                                            # jmp $
expect "retired" 90
expect "exception vector 14 error code 0x6 cr2 0x10003000" 8906 --reg rsi=0x10003000
[ $fail -eq 0 ] && echo "hw_sandbox: ok"
exit $fail
