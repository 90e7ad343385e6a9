/*
 * Near branches: JMP, Jcc, CALL, RET (imm16), LOOP/LOOPE/LOOPNE, JrCXZ, with the operand-size
 * truncation of the target, the CS limit / canonical check (#GP(0) with nothing pushed), the
 * vendor difference of the 66 prefix in 64-bit mode, and the address size of the count.
 */
#include "harness.h"

static void poke(struct machine *m, uint64_t addr, uint64_t v, unsigned size)
{
    uint8_t b[8];
    for (unsigned i = 0; i < 8; i++) b[i] = (uint8_t)(v >> (8 * i));
    machine_poke(m, addr, b, size);
}
#define PEEK(m, a, n) machine_peek64((m), (a), (n))

START_TEST(jmp_relative_64)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    ck_ok(m, "eb10"); /* jmp +0x10 */
    ck_assert_uint_eq(m->regs.rip, 0x401012);
    ck_ok(m, "ebfe"); /* jmp $ */
    ck_assert_uint_eq(m->regs.rip, 0x401012);
    ck_ok(m, "e900f0ffff"); /* jmp rel32 -0x1000 */
    ck_assert_uint_eq(m->regs.rip, 0x400017);
    ck_ok(m, "66e900100000"); /* Intel ignores 66 on near branches in 64-bit mode: rel32 */
    ck_assert_uint_eq(m->regs.rip, 0x40101d);
    ck_assert_uint_eq(FLAGS(m), 2);
    machine_free(m);
}
END_TEST

/* AMD honours 66 on near branches in 64-bit mode: a 16-bit displacement and a target
 * truncated to 16 bits. */
START_TEST(jmp_o16_64bit_amd)
{
    struct emu_config c = tm_cfg(EMU_VENDOR_AMD);
    struct machine *m = tm_new_cfg(EMU_MODE_LONG64, &c);
    ck_ok(m, "66e91000"); /* jmp rel16 */
    ck_assert_uint_eq(m->regs.rip, 0x1014);
    m->regs.rip = 0x401000;
    R(m, RSP) = 0x8000;
    ck_ok(m, "66e81000"); /* call rel16: pushes a 16-bit return address */
    ck_assert_uint_eq(m->regs.rip, 0x1014);
    ck_assert_uint_eq(R(m, RSP), 0x7ffe);
    ck_assert_uint_eq(PEEK(m, 0x7ffe, 2), 0x1004);
    ck_ok(m, "66c3"); /* ret with o16: pops 2 bytes */
    ck_assert_uint_eq(m->regs.rip, 0x1004);
    ck_assert_uint_eq(R(m, RSP), 0x8000);
    machine_free(m);
}
END_TEST

START_TEST(jmp_real_mode_wraps_ip)
{
    struct machine *m = tm_new(EMU_MODE_REAL);
    m->regs.rip = 0xfff0;
    ck_ok(m, "eb1e"); /* next IP 0xfff2 + 0x1e = 0x10010 -> 0x0010 */
    ck_assert_uint_eq(m->regs.rip, 0x10);
    ck_ok(m, "e9f0ff"); /* jmp rel16 -0x10: 0x13 - 0x10 */
    ck_assert_uint_eq(m->regs.rip, 0x3);
    /* with o32 the target is not truncated: beyond the 64K CS limit is #GP(0) */
    m->regs.rip = 0x1000;
    ck_exc(m, "66e900000100", EMU_GP, 0);
    ck_assert_uint_eq(m->ctx.result.exception.has_error_code, 0); /* real mode pushes none */
    ck_assert_uint_eq(m->regs.rip, 0x1000);
    ck_ok(m, "66e900000000"); /* o32 jmp within the limit */
    ck_assert_uint_eq(m->regs.rip, 0x1006);
    machine_free(m);
}
END_TEST

START_TEST(jcc_taken_and_not)
{
    struct machine *m = tm_new(EMU_MODE_PROT32);
    FLAGS(m) = 2 | EMU_FLAG_ZF;
    ck_ok(m, "7410"); /* je +0x10: taken */
    ck_assert_uint_eq(m->regs.rip, 0x401012);
    ck_ok(m, "7510"); /* jne: not taken */
    ck_assert_uint_eq(m->regs.rip, 0x401014);
    ck_ok(m, "0f8400010000"); /* je rel32 */
    ck_assert_uint_eq(m->regs.rip, 0x40111a);
    FLAGS(m) = 2 | EMU_FLAG_SF;
    ck_ok(m, "7cfe"); /* jl $: SF != OF */
    ck_assert_uint_eq(m->regs.rip, 0x40111a);
    FLAGS(m) = 2 | EMU_FLAG_SF | EMU_FLAG_OF;
    ck_ok(m, "7ffe"); /* jg: ZF = 0 and SF = OF: taken */
    ck_assert_uint_eq(m->regs.rip, 0x40111a);
    ck_ok(m, "660f840010"); /* je with o16 not taken: only the length counts */
    ck_assert_uint_eq(m->regs.rip, 0x40111f);
    FLAGS(m) = 2 | EMU_FLAG_ZF;
    ck_ok(m, "660f84e1ef"); /* je rel16 taken with o16: EIP truncated to 16 bits */
    ck_assert_uint_eq(m->regs.rip, (0x401124 + 0xffffefe1) & 0xffff);
    machine_free(m);
}
END_TEST

/* A near branch beyond the CS limit is #GP(0) on the branch itself, and a CALL pushes
 * nothing. */
START_TEST(branch_beyond_cs_limit)
{
    struct machine *m = tm_new(EMU_MODE_PROT32);
    m->segs[EMU_SEG_CS].limit = 0x401fff;
    R(m, RSP) = 0x8000;
    ck_exc(m, "e900100000", EMU_GP, 0); /* jmp to 0x402005 */
    ck_exc(m, "e800100000", EMU_GP, 0); /* call to 0x402005 */
    ck_assert_uint_eq(m->ctx.result.exception.has_error_code, 1);
    ck_assert_uint_eq(R(m, RSP), 0x8000);
    ck_assert_uint_eq(m->nwritten, 0);
    ck_assert_uint_eq(m->regs.rip, 0x401000);
    ck_ok(m, "e9fa0f0000"); /* jmp to 0x401fff: the last byte of the segment */
    ck_assert_uint_eq(m->regs.rip, 0x401fff);
    m->regs.rip = 0x401000;
    FLAGS(m) = 2 | EMU_FLAG_CF;
    ck_exc(m, "0f8200100000", EMU_GP, 0); /* jc taken beyond the limit */
    FLAGS(m) = 2;
    ck_ok(m, "0f8200100000"); /* not taken: no check */
    /* RET to beyond the limit: #GP(0), ESP unchanged */
    m->regs.rip = 0x401000;
    poke(m, 0x8000, 0x500000, 4);
    ck_exc(m, "c3", EMU_GP, 0);
    ck_assert_uint_eq(R(m, RSP), 0x8000);
    machine_free(m);
}
END_TEST

START_TEST(branch_non_canonical_64)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    R(m, RSP) = 0x8000;
    R(m, RAX) = 0x0000800000000000ull;
    ck_exc(m, "ffe0", EMU_GP, 0); /* jmp rax */
    ck_exc(m, "ffd0", EMU_GP, 0); /* call rax: nothing pushed */
    ck_assert_uint_eq(R(m, RSP), 0x8000);
    ck_assert_uint_eq(m->nwritten, 0);
    R(m, RAX) = 0xffff800000000000ull;
    ck_ok(m, "ffe0");
    ck_assert_uint_eq(m->regs.rip, 0xffff800000000000ull);
    machine_free(m);
}
END_TEST

START_TEST(call_ret_64)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    R(m, RSP) = 0x8000;
    ck_ok(m, "e8fb0f0000"); /* call +0xffb -> 0x402000 */
    ck_assert_uint_eq(m->regs.rip, 0x402000);
    ck_assert_uint_eq(R(m, RSP), 0x7ff8);
    ck_assert_uint_eq(PEEK(m, 0x7ff8, 8), 0x401005);
    ck_ok(m, "c3");
    ck_assert_uint_eq(m->regs.rip, 0x401005);
    ck_assert_uint_eq(R(m, RSP), 0x8000);
    /* call through memory: call [rax] */
    poke(m, 0x3000, 0x403000, 8);
    R(m, RAX) = 0x3000;
    ck_ok(m, "ff10");
    ck_assert_uint_eq(m->regs.rip, 0x403000);
    ck_assert_uint_eq(PEEK(m, 0x7ff8, 8), 0x401007);
    /* ret imm16: pop, then release 0x10 bytes */
    ck_ok(m, "c21000");
    ck_assert_uint_eq(m->regs.rip, 0x401007);
    ck_assert_uint_eq(R(m, RSP), 0x8010);
    /* call rsp-relative through the old RSP */
    R(m, RSP) = 0x8000;
    poke(m, 0x8008, 0x404000, 8);
    ck_ok(m, "ff542408"); /* call [rsp+8] */
    ck_assert_uint_eq(m->regs.rip, 0x404000);
    ck_assert_uint_eq(R(m, RSP), 0x7ff8);
    /* jmp [rip+disp] */
    m->regs.rip = 0x401000;
    poke(m, 0x401106, 0x405000, 8);
    ck_ok(m, "ff2500010000");
    ck_assert_uint_eq(m->regs.rip, 0x405000);
    machine_free(m);
}
END_TEST

START_TEST(call_ret_real_mode)
{
    struct machine *m = tm_new(EMU_MODE_REAL);
    m->segs[EMU_SEG_SS].base = 0x20000;
    R(m, RSP) = 0x0000; /* the push wraps to 0xfffe */
    ck_ok(m, "e80010"); /* call +0x1000 -> 0x2003 */
    ck_assert_uint_eq(m->regs.rip, 0x2003);
    ck_assert_uint_eq(R(m, RSP), 0xfffe);
    ck_assert_uint_eq(PEEK(m, 0x2fffe, 2), 0x1003);
    ck_ok(m, "c20400"); /* ret 4: SP 0xfffe + 2 + 4 wraps to 4 */
    ck_assert_uint_eq(m->regs.rip, 0x1003);
    ck_assert_uint_eq(R(m, RSP), 0x4);
    /* call bx */
    R(m, RBX) = 0x3456;
    R(m, RSP) = 0x100;
    ck_ok(m, "ffd3");
    ck_assert_uint_eq(m->regs.rip, 0x3456);
    ck_assert_uint_eq(PEEK(m, 0x200fe, 2), 0x1005);
    /* o32 call pushes a 32-bit return address */
    m->regs.rip = 0x1000;
    ck_ok(m, "66e800000000");
    ck_assert_uint_eq(R(m, RSP), 0xfa);
    ck_assert_uint_eq(PEEK(m, 0x200fa, 4), 0x1006);
    ck_ok(m, "66c3"); /* o32 ret */
    ck_assert_uint_eq(m->regs.rip, 0x1006);
    ck_assert_uint_eq(R(m, RSP), 0xfe);
    machine_free(m);
}
END_TEST

START_TEST(loop_counts_and_address_size)
{
    struct machine *m = tm_new(EMU_MODE_REAL);
    R(m, RCX) = 0x10003;
    ck_ok(m, "e2fe"); /* loop $: CX 3 -> 2, taken */
    ck_assert_uint_eq(R(m, RCX), 0x10002);
    ck_assert_uint_eq(m->regs.rip, 0x1000);
    R(m, RCX) = 0x10001;
    ck_ok(m, "e2fe"); /* CX 1 -> 0: falls through; ECX[31:16] untouched */
    ck_assert_uint_eq(R(m, RCX), 0x10000);
    ck_assert_uint_eq(m->regs.rip, 0x1002);
    m->regs.rip = 0x1000;
    R(m, RCX) = 0x10001;
    ck_ok(m, "67e2fd"); /* a32: ECX 0x10001 -> 0x10000, taken */
    ck_assert_uint_eq(R(m, RCX), 0x10000);
    ck_assert_uint_eq(m->regs.rip, 0x1000);
    R(m, RCX) = 0;
    ck_ok(m, "e2fe"); /* CX 0 -> 0xffff: taken */
    ck_assert_uint_eq(R(m, RCX), 0xffff);
    machine_free(m);

    m = tm_new(EMU_MODE_PROT32);
    R(m, RCX) = 0x10001;
    ck_ok(m, "67e2fd"); /* a16 in 32-bit code: CX 1 -> 0, not taken */
    ck_assert_uint_eq(R(m, RCX), 0x10000);
    ck_assert_uint_eq(m->regs.rip, 0x401003);
    machine_free(m);

    m = tm_new(EMU_MODE_LONG64);
    R(m, RCX) = 0xffffffff00000001ull;
    ck_ok(m, "67e2fd"); /* a32: ECX 1 -> 0, not taken, RCX zero-extended */
    ck_assert_uint_eq(R(m, RCX), 0);
    ck_assert_uint_eq(m->regs.rip, 0x401003);
    R(m, RCX) = 0x100000001ull;
    m->regs.rip = 0x401000;
    ck_ok(m, "e2fe"); /* RCX -> 0x100000000: taken */
    ck_assert_uint_eq(R(m, RCX), 0x100000000ull);
    ck_assert_uint_eq(m->regs.rip, 0x401000);
    machine_free(m);
}
END_TEST

START_TEST(loope_loopne)
{
    struct machine *m = tm_new(EMU_MODE_PROT32);
    R(m, RCX) = 5;
    FLAGS(m) = 2 | EMU_FLAG_ZF;
    ck_ok(m, "e1fe"); /* loope: count 4, ZF=1: taken */
    ck_assert_uint_eq(m->regs.rip, 0x401000);
    ck_ok(m, "e0fe"); /* loopne: count 3, ZF=1: not taken */
    ck_assert_uint_eq(m->regs.rip, 0x401002);
    ck_assert_uint_eq(R(m, RCX), 3);
    m->regs.rip = 0x401000;
    FLAGS(m) = 2;
    ck_ok(m, "e1fe"); /* loope with ZF=0: not taken, count still decremented */
    ck_assert_uint_eq(m->regs.rip, 0x401002);
    ck_assert_uint_eq(R(m, RCX), 2);
    ck_ok(m, "e0fe"); /* loopne, ZF=0: taken */
    ck_assert_uint_eq(m->regs.rip, 0x401002);
    R(m, RCX) = 1;
    ck_ok(m, "e0fe"); /* count reaches 0: not taken */
    ck_assert_uint_eq(m->regs.rip, 0x401004);
    ck_assert_uint_eq(FLAGS(m), 2); /* LOOPcc changes no flags */
    machine_free(m);
}
END_TEST

START_TEST(jrcxz_sizes)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    R(m, RCX) = 0x100000000ull;
    ck_ok(m, "e310"); /* jrcxz: RCX != 0 */
    ck_assert_uint_eq(m->regs.rip, 0x401002);
    ck_ok(m, "67e310"); /* jecxz: ECX = 0 */
    ck_assert_uint_eq(m->regs.rip, 0x401015);
    ck_assert_uint_eq(R(m, RCX), 0x100000000ull);
    machine_free(m);

    m = tm_new(EMU_MODE_REAL);
    R(m, RCX) = 0x10000;
    ck_ok(m, "e310"); /* jcxz: CX = 0 */
    ck_assert_uint_eq(m->regs.rip, 0x1012);
    ck_ok(m, "67e310"); /* jecxz: ECX != 0 */
    ck_assert_uint_eq(m->regs.rip, 0x1015);
    machine_free(m);
}
END_TEST

/* 16-bit protected mode: 16-bit IP and return addresses, the CS limit from the descriptor. */
START_TEST(prot16_call_ret)
{
    struct machine *m = tm_new(EMU_MODE_PROT16);
    m->segs[EMU_SEG_CS].limit = 0x1fff;
    R(m, RSP) = 0x100;
    ck_exc(m, "e8fd0f", EMU_GP, 0); /* call 0x1003 + 0xffd = 0x2000: beyond the limit */
    ck_assert_uint_eq(m->ctx.result.exception.has_error_code, 1);
    ck_assert_uint_eq(R(m, RSP), 0x100);
    ck_ok(m, "e8fc0f"); /* call 0x1fff */
    ck_assert_uint_eq(m->regs.rip, 0x1fff);
    ck_assert_uint_eq(R(m, RSP), 0xfe);
    ck_assert_uint_eq(PEEK(m, 0xfe, 2), 0x1003);
    ck_ok(m, "c3");
    ck_assert_uint_eq(m->regs.rip, 0x1003);
    R(m, RCX) = 0x20001;
    ck_ok(m, "e2fe"); /* loop counts CX in 16-bit code */
    ck_assert_uint_eq(R(m, RCX), 0x20000);
    ck_assert_uint_eq(m->regs.rip, 0x1005);
    machine_free(m);
}
END_TEST

static Suite *branch_suite(void)
{
    Suite *s = suite_create("branch");
    TCase *t = tcase_create("branch");
    tcase_add_test(t, jmp_relative_64);
    tcase_add_test(t, jmp_o16_64bit_amd);
    tcase_add_test(t, jmp_real_mode_wraps_ip);
    tcase_add_test(t, jcc_taken_and_not);
    tcase_add_test(t, branch_beyond_cs_limit);
    tcase_add_test(t, branch_non_canonical_64);
    tcase_add_test(t, call_ret_64);
    tcase_add_test(t, call_ret_real_mode);
    tcase_add_test(t, loop_counts_and_address_size);
    tcase_add_test(t, loope_loopne);
    tcase_add_test(t, jrcxz_sizes);
    tcase_add_test(t, prot16_call_ret);
    suite_add_tcase(s, t);
    return s;
}
REGISTER_SUITE(branch_suite)
