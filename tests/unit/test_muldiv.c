/* MUL, IMUL (one, two, three operands), DIV, IDIV: results, CF/OF at every size, #DE for a
 * zero divisor and for a quotient that does not fit, and the vendors' undefined flags (AMD as
 * measured on Zen 3 with hwcheck, now hwdiff). */
#include "harness.h"


START_TEST(mul_each_size)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    /* 8: AX = AL * r/m8; CF=OF=1 when AH != 0 */
    R(m, RAX) = 0x1111111111111180ull;
    R(m, RBX) = 2;
    ck_ok(m, "f6e3"); /* mul bl */
    ck_assert_uint_eq(R(m, RAX), 0x1111111111110100ull);
    ck_assert_uint_eq(FLAGS(m) & (CF | OF), CF | OF);
    R(m, RAX) = 0xff03;
    R(m, RBX) = 5;
    ck_ok(m, "f6e3");
    ck_assert_uint_eq(R(m, RAX), 0x000f); /* AH overwritten with 0 */
    ck_assert_uint_eq(FLAGS(m) & (CF | OF), 0);
    /* 16: DX:AX, the upper bits of RAX/RDX kept */
    R(m, RAX) = 0xaaaaaaaaaaaa8000ull;
    R(m, RDX) = 0xbbbbbbbbbbbbbbbbull;
    ck_ok(m, "66f7e3"); /* mul bx (bx = 5) */
    ck_assert_uint_eq(R(m, RAX), 0xaaaaaaaaaaaa8000ull);
    ck_assert_uint_eq(R(m, RDX), 0xbbbbbbbbbbbb0002ull);
    ck_assert_uint_eq(FLAGS(m) & (CF | OF), CF | OF);
    /* 32: EDX:EAX, zero-extended */
    R(m, RAX) = 0xccccccccffffffffull;
    R(m, RBX) = 0xffffffff;
    ck_ok(m, "f7e3"); /* mul ebx */
    ck_assert_uint_eq(R(m, RAX), 1);
    ck_assert_uint_eq(R(m, RDX), 0xfffffffe);
    ck_assert_uint_eq(FLAGS(m) & (CF | OF), CF | OF);
    /* 64: RDX:RAX */
    R(m, RAX) = ~0ull;
    R(m, RBX) = ~0ull;
    ck_ok(m, "48f7e3");
    ck_assert_uint_eq(R(m, RAX), 1);
    ck_assert_uint_eq(R(m, RDX), 0xfffffffffffffffeull);
    ck_assert_uint_eq(FLAGS(m) & (CF | OF), CF | OF);
    R(m, RAX) = 0x100000000ull;
    R(m, RBX) = 0xffffffffull;
    ck_ok(m, "48f7e3");
    ck_assert_uint_eq(R(m, RAX), 0xffffffff00000000ull);
    ck_assert_uint_eq(R(m, RDX), 0);
    ck_assert_uint_eq(FLAGS(m) & (CF | OF), 0);
    machine_free(m);
}
END_TEST

START_TEST(imul1_each_size)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    /* CF=OF=1 when the high half is not the sign extension of the low half */
    R(m, RAX) = 0x80; /* -128 */
    R(m, RBX) = 0xff; /* -1 */
    ck_ok(m, "f6eb"); /* imul bl: 128 does not fit in int8 */
    ck_assert_uint_eq(R(m, RAX), 0x0080);
    ck_assert_uint_eq(FLAGS(m) & (CF | OF), CF | OF);
    R(m, RAX) = 0xfe; /* -2 */
    R(m, RBX) = 3;
    ck_ok(m, "f6eb");
    ck_assert_uint_eq(R(m, RAX), 0xfffa); /* -6 */
    ck_assert_uint_eq(FLAGS(m) & (CF | OF), 0);
    R(m, RAX) = 0x8000;
    R(m, RBX) = 0xffff;
    R(m, RDX) = 0;
    ck_ok(m, "66f7eb"); /* imul bx: -32768 * -1 = 32768 */
    ck_assert_uint_eq(R(m, RAX), 0x8000);
    ck_assert_uint_eq(R(m, RDX), 0);
    ck_assert_uint_eq(FLAGS(m) & (CF | OF), CF | OF);
    R(m, RAX) = 0xfffffff0; /* -16 */
    R(m, RBX) = 0x10;
    ck_ok(m, "f7eb"); /* imul ebx = -256 */
    ck_assert_uint_eq(R(m, RAX), 0xffffff00);
    ck_assert_uint_eq(R(m, RDX), 0xffffffff);
    ck_assert_uint_eq(FLAGS(m) & (CF | OF), 0);
    R(m, RAX) = 0x8000000000000000ull;
    R(m, RBX) = ~0ull;
    ck_ok(m, "48f7eb"); /* imul rbx: INT64_MIN * -1 = 2^63 */
    ck_assert_uint_eq(R(m, RAX), 0x8000000000000000ull);
    ck_assert_uint_eq(R(m, RDX), 0);
    ck_assert_uint_eq(FLAGS(m) & (CF | OF), CF | OF);
    R(m, RAX) = 0xffffffffffffff00ull; /* -256 */
    R(m, RBX) = 0x7fffffffffffffffull;
    ck_ok(m, "48f7eb");
    ck_assert_uint_eq(R(m, RAX), 0x100);
    ck_assert_uint_eq(R(m, RDX), 0xffffffffffffff80ull);
    ck_assert_uint_eq(FLAGS(m) & (CF | OF), CF | OF);
    machine_free(m);
}
END_TEST

START_TEST(imul_two_and_three_operands)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    R(m, RAX) = 0x10000;
    R(m, RBX) = 0x10000;
    ck_ok(m, "0fafc3"); /* imul eax, ebx: truncated to 0 */
    ck_assert_uint_eq(R(m, RAX), 0);
    ck_assert_uint_eq(FLAGS(m) & (CF | OF), CF | OF);
    R(m, RAX) = 0x123456789abcdef0ull;
    R(m, RBX) = 0xfffd;
    ck_ok(m, "660fafc3"); /* imul ax, bx: 0xdef0 * -3 = 0x6330 (fits: -8464*-3 = 25392) */
    ck_assert_uint_eq(R(m, RAX), 0x123456789abc6330ull);
    ck_assert_uint_eq(FLAGS(m) & (CF | OF), 0);
    R(m, RAX) = 0x4000000000000000ull;
    R(m, RBX) = 2;
    ck_ok(m, "480fafc3"); /* imul rax, rbx: 2^63 overflows */
    ck_assert_uint_eq(R(m, RAX), 0x8000000000000000ull);
    ck_assert_uint_eq(FLAGS(m) & (CF | OF), CF | OF);
    R(m, RBX) = 7;
    ck_ok(m, "6bcbfe"); /* imul ecx, ebx, -2 */
    ck_assert_uint_eq(R(m, RCX), 0xfffffff2);
    ck_assert_uint_eq(FLAGS(m) & (CF | OF), 0);
    R(m, RBX) = 0x100000000ull;
    ck_ok(m, "4869cb00000080"); /* imul rcx, rbx, 0x80000000 (sign-extended: -2^31) */
    ck_assert_uint_eq(R(m, RCX), 0x8000000000000000ull);
    ck_assert_uint_eq(FLAGS(m) & (CF | OF), 0); /* -2^63 fits */
    R(m, RBX) = 0x100;
    ck_ok(m, "6669cb0001"); /* imul cx, bx, 0x100: 0x10000 overflows 16 bits */
    ck_assert_uint_eq(R(m, RCX) & 0xffff, 0);
    ck_assert_uint_eq(FLAGS(m) & (CF | OF), CF | OF);
    machine_free(m);
}
END_TEST

START_TEST(div_idiv_results)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    R(m, RAX) = 0x1234;
    R(m, RBX) = 0x56;
    ck_ok(m, "f6f3"); /* div bl: AL = quotient, AH = remainder */
    ck_assert_uint_eq(R(m, RAX), 0x1036);
    R(m, RAX) = 0xfff9; /* -7 */
    R(m, RBX) = 2;
    ck_ok(m, "f6fb"); /* idiv bl: q = -3, r = -1 (the dividend's sign) */
    ck_assert_uint_eq(R(m, RAX), 0xfffd);
    R(m, RAX) = 0xff00; /* -256 / 2 = -128: the most negative quotient fits */
    ck_ok(m, "f6fb");
    ck_assert_uint_eq(R(m, RAX), 0x0080);
    R(m, RAX) = 0xaaaaaaaa00000005ull;
    R(m, RDX) = 0xbbbbbbbb00000001ull;
    R(m, RBX) = 2;
    ck_ok(m, "f7f3"); /* div ebx: 0x100000005 / 2 */
    ck_assert_uint_eq(R(m, RAX), 0x80000002);
    ck_assert_uint_eq(R(m, RDX), 1);
    /* 128/64 */
    R(m, RDX) = 0x0123456789abcdefull;
    R(m, RAX) = 0xfedcba9876543210ull;
    R(m, RBX) = 0xfedcba9876543211ull;
    ck_ok(m, "48f7f3");
    ck_assert_uint_eq(R(m, RAX), 0x124924924924924ull);
    ck_assert_uint_eq(R(m, RDX), 0x7d11b781de844eacull);
    R(m, RDX) = 1;
    R(m, RAX) = 0;
    R(m, RBX) = 2;
    ck_ok(m, "48f7f3"); /* 2^64 / 2 */
    ck_assert_uint_eq(R(m, RAX), 0x8000000000000000ull);
    ck_assert_uint_eq(R(m, RDX), 0);
    /* signed 128/64: (-10^19 - 5) / 7 */
    R(m, RDX) = ~0ull;
    R(m, RAX) = 0x7538dcfb7617fffbull;
    R(m, RBX) = 7;
    ck_ok(m, "48f7fb");
    ck_assert_uint_eq(R(m, RAX), 0xec2cb1dac7ba4924ull);
    ck_assert_uint_eq(R(m, RDX), ~0ull);
    machine_free(m);
}
END_TEST

/* #DE: nothing is written, the flags are unchanged */
static void de(struct machine *m, const char *hex, uint64_t rax, uint64_t rdx, uint64_t rbx)
{
    R(m, RAX) = rax;
    R(m, RDX) = rdx;
    R(m, RBX) = rbx;
    FLAGS(m) = 0x202 | CF | ZF;
    ck_exc(m, hex, EMU_DE, 0);
    ck_assert_uint_eq(R(m, RAX), rax);
    ck_assert_uint_eq(R(m, RDX), rdx);
    ck_assert_uint_eq(FLAGS(m), 0x202 | CF | ZF);
    ck_assert_uint_eq(m->regs.rip, 0x401000);
}

START_TEST(divide_errors)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    /* zero divisor, every size, both signednesses */
    de(m, "f6f3", 5, 0, 0xff00);
    de(m, "66f7f3", 5, 0, 0xffff0000);
    de(m, "f7f3", 5, 0, 0xffffffff00000000ull);
    de(m, "48f7f3", 5, 0, 0);
    de(m, "f6fb", 5, 0, 0);
    de(m, "48f7fb", 5, 0, 0);
    /* unsigned quotient too large */
    de(m, "f6f3", 0x0100, 0, 1);
    de(m, "66f7f3", 0, 1, 1);
    de(m, "f7f3", 0, 2, 2);
    de(m, "48f7f3", 0, 1, 1);
    /* INT_MIN / -1 at each size */
    de(m, "f6fb", 0xff80, 0, 0xff);
    de(m, "66f7fb", 0x8000, 0xffff, 0xffff);
    de(m, "f7fb", 0x80000000, 0xffffffff, 0xffffffff);
    de(m, "48f7fb", 0x8000000000000000ull, ~0ull, ~0ull);
    /* a positive quotient of 2^(n-1) does not fit either */
    de(m, "f6fb", 0x0080, 0, 1);
    de(m, "48f7fb", 0x8000000000000000ull, 0, 1);
    /* a 128-bit dividend whose quotient needs more than 64 bits */
    de(m, "48f7fb", 0, 0x40000000, 2);
    machine_free(m);
}
END_TEST

START_TEST(memory_operand)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    const uint8_t v[8] = { 0x10, 0, 0, 0, 0, 0, 0, 0 };
    machine_poke(m, 0x3000, v, 8);
    R(m, RSI) = 0x3000;
    R(m, RAX) = 0x1234;
    R(m, RDX) = 0;
    ck_ok(m, "48f736"); /* div qword [rsi] */
    ck_assert_uint_eq(R(m, RAX), 0x123);
    ck_assert_uint_eq(R(m, RDX), 4);
    ck_ok(m, "f72e"); /* imul dword [rsi] */
    ck_assert_uint_eq(R(m, RAX), 0x1230);
    machine_free(m);
}
END_TEST

START_TEST(undefined_flags_by_vendor)
{
    struct machine *a = tm_amd64(), *i = tm_new(EMU_MODE_LONG64);
    /* MUL: AMD leaves SF ZF AF PF alone; Intel takes SF ZF PF from the low half, AF = 0 */
    R(a, RAX) = R(i, RAX) = 3;
    R(a, RBX) = R(i, RBX) = 5;
    FLAGS(a) = FLAGS(i) = 0x202 | ZF | AF | OF;
    ck_ok(a, "48f7e3");
    ck_ok(i, "48f7e3");
    ck_assert_uint_eq(FLAGS(a) & ARITH, ZF | AF);
    ck_assert_uint_eq(FLAGS(i) & ARITH, PF); /* 15: four ones */
    /* DIV: AMD clears SF ZF PF, sets AF, keeps CF OF; Intel leaves all */
    R(a, RAX) = R(i, RAX) = 100;
    R(a, RDX) = R(i, RDX) = 0;
    R(a, RBX) = R(i, RBX) = 7;
    FLAGS(a) = FLAGS(i) = 0x202 | OF | ZF | PF;
    ck_ok(a, "48f7f3");
    ck_ok(i, "48f7f3");
    ck_assert_uint_eq(R(a, RAX), 14);
    ck_assert_uint_eq(R(a, RDX), 2);
    ck_assert_uint_eq(FLAGS(a) & ARITH, OF | AF);
    ck_assert_uint_eq(FLAGS(i) & ARITH, OF | ZF | PF);
    machine_free(a);
    machine_free(i);
}
END_TEST

static Suite *muldiv_suite(void)
{
    Suite *s = suite_create("muldiv");
    TCase *t = tcase_create("core");
    tcase_add_test(t, mul_each_size);
    tcase_add_test(t, imul1_each_size);
    tcase_add_test(t, imul_two_and_three_operands);
    tcase_add_test(t, div_idiv_results);
    tcase_add_test(t, divide_errors);
    tcase_add_test(t, memory_operand);
    tcase_add_test(t, undefined_flags_by_vendor);
    suite_add_tcase(s, t);
    return s;
}
REGISTER_SUITE(muldiv_suite)
