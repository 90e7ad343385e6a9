/* Shifts and rotates: ROL ROR RCL RCR SHL/SAL SHR SAR SHLD SHRD.  Defined results from the SDM;
 * the AMD cases (undefined flags, 16-bit SHLD/SHRD above 16) as measured on Zen 3 with
 * hwcheck, now hwdiff. */
#include "harness.h"


START_TEST(shl_count_masked_32_and_64)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    R(m, RAX) = 0x80000001;
    R(m, RCX) = 0x21; /* 33 & 31 = 1 */
    ck_ok(m, "d3e0"); /* shl eax, cl */
    ck_assert_uint_eq(R(m, RAX), 2);
    /* count 1: CF = bit shifted out, OF = MSB(result) ^ CF */
    ck_assert_uint_eq(FLAGS(m) & (CF | OF | ZF | SF), CF | OF);
    R(m, RAX) = 0xc000000000000000ull;
    R(m, RCX) = 0x41; /* 65 & 63 = 1 */
    ck_ok(m, "48d3e0"); /* shl rax, cl */
    ck_assert_uint_eq(R(m, RAX), 0x8000000000000000ull);
    ck_assert_uint_eq(FLAGS(m) & (CF | OF | ZF | SF), CF | SF);
    R(m, RAX) = 1;
    R(m, RCX) = 0x3f; /* 63 stays 63 with a 64-bit operand */
    ck_ok(m, "48d3e0");
    ck_assert_uint_eq(R(m, RAX), 0x8000000000000000ull);
    machine_free(m);
}
END_TEST

START_TEST(count_zero_leaves_flags)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    FLAGS(m) = 0x202 | ARITH;
    R(m, RBX) = 0xdeadbeef12345678ull;
    R(m, RCX) = 0x20; /* masked to 0 for a 32-bit operand */
    ck_ok(m, "d3e3"); /* shl ebx, cl */
    ck_assert_uint_eq(FLAGS(m), 0x202 | ARITH);
    /* the 32-bit destination is still written: zero-extended */
    ck_assert_uint_eq(R(m, RBX), 0x12345678);
    R(m, RBX) = 0xdeadbeef12345678ull;
    ck_ok(m, "66d3e3"); /* shl bx, cl: 16-bit, nothing written */
    ck_assert_uint_eq(R(m, RBX), 0xdeadbeef12345678ull);
    R(m, RCX) = 0x40; /* 64 & 63 = 0 */
    ck_ok(m, "48d3fb"); /* sar rbx, cl */
    ck_assert_uint_eq(R(m, RBX), 0xdeadbeef12345678ull);
    ck_assert_uint_eq(FLAGS(m), 0x202 | ARITH);
    ck_ok(m, "c1c300"); /* rol ebx, 0 */
    ck_assert_uint_eq(R(m, RBX), 0x12345678);
    ck_assert_uint_eq(FLAGS(m), 0x202 | ARITH);
    /* SHLD with a zero count: the same rules */
    R(m, RBX) = 0xdeadbeef12345678ull;
    ck_ok(m, "0fa4c300"); /* shld ebx, eax, 0 */
    ck_assert_uint_eq(R(m, RBX), 0x12345678);
    ck_assert_uint_eq(FLAGS(m), 0x202 | ARITH);
    machine_free(m);
}
END_TEST

START_TEST(byte_counts_at_and_above_size)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    R(m, RAX) = 0x81;
    R(m, RCX) = 8; /* 8-bit operand: the count is not reduced modulo 8 */
    ck_ok(m, "d2e0"); /* shl al, cl */
    ck_assert_uint_eq(R(m, RAX), 0);
    ck_assert_uint_eq(FLAGS(m) & (CF | ZF | SF | PF), CF | ZF | PF); /* CF = old bit 0 */
    R(m, RAX) = 0x80;
    R(m, RCX) = 9;
    ck_ok(m, "d2e0");
    ck_assert_uint_eq(R(m, RAX), 0);
    ck_assert(!(FLAGS(m) & CF));
    R(m, RAX) = 0x80;
    R(m, RCX) = 12;
    ck_ok(m, "d2f8"); /* sar al, cl: fills with the sign */
    ck_assert_uint_eq(R(m, RAX), 0xff);
    ck_assert(FLAGS(m) & CF);
    R(m, RAX) = 0x80;
    ck_ok(m, "d2e8"); /* shr al, 12 */
    ck_assert_uint_eq(R(m, RAX), 0);
    ck_assert(!(FLAGS(m) & CF));
    R(m, RAX) = 0x81;
    R(m, RCX) = 9;
    ck_ok(m, "d2c0"); /* rol al, 9 = rol al, 1 */
    ck_assert_uint_eq(R(m, RAX), 0x03);
    ck_assert(FLAGS(m) & CF);
    R(m, RAX) = 0x81;
    R(m, RCX) = 8;
    ck_ok(m, "d2c8"); /* ror al, 8: value unchanged, CF = MSB */
    ck_assert_uint_eq(R(m, RAX), 0x81);
    ck_assert(FLAGS(m) & CF);
    machine_free(m);
}
END_TEST

START_TEST(shr_sar_by_one)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    R(m, RAX) = 0x81;
    ck_ok(m, "d0e8"); /* shr al, 1: OF = MSB of the original */
    ck_assert_uint_eq(R(m, RAX), 0x40);
    ck_assert_uint_eq(FLAGS(m) & (CF | OF | ZF | SF), CF | OF);
    R(m, RAX) = 0x81;
    ck_ok(m, "d0f8"); /* sar al, 1: OF = 0 */
    ck_assert_uint_eq(R(m, RAX), 0xc0);
    ck_assert_uint_eq(FLAGS(m) & (CF | OF | ZF | SF), CF | SF);
    R(m, RAX) = 0x80000000;
    R(m, RCX) = 31;
    ck_ok(m, "d3f8"); /* sar eax, 31 */
    ck_assert_uint_eq(R(m, RAX), 0xffffffff);
    ck_assert(!(FLAGS(m) & CF));
    machine_free(m);
}
END_TEST

START_TEST(rcl_rcr_counts_above_size)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    /* RCL/RCR rotate size+1 bits: an 8-bit count of 9 is a full turn */
    R(m, RAX) = 0x81;
    R(m, RCX) = 9;
    FLAGS(m) = 0x202 | CF;
    ck_ok(m, "d2d0"); /* rcl al, cl */
    ck_assert_uint_eq(R(m, RAX), 0x81);
    ck_assert(FLAGS(m) & CF);
    R(m, RAX) = 0x8001;
    R(m, RCX) = 17;
    FLAGS(m) = 0x202 | CF;
    ck_ok(m, "66d3d0"); /* rcl ax, 17 */
    ck_assert_uint_eq(R(m, RAX), 0x8001);
    ck_assert(FLAGS(m) & CF);
    /* rcl al, 31: 31 mod 9 = 4; CF:AL = 1:10000001 -> AL = 0001_1100, CF = 0 */
    R(m, RAX) = 0x81;
    R(m, RCX) = 31;
    FLAGS(m) = 0x202 | CF;
    ck_ok(m, "d2d0");
    ck_assert_uint_eq(R(m, RAX), 0x1c);
    ck_assert(!(FLAGS(m) & CF));
    /* rcr al, 10: 10 mod 9 = 1 */
    R(m, RAX) = 0x81;
    R(m, RCX) = 10;
    FLAGS(m) = 0x202;
    ck_ok(m, "d2d8");
    ck_assert_uint_eq(R(m, RAX), 0x40);
    ck_assert(FLAGS(m) & CF);
    /* 32-bit: the count is masked to 5 bits, then mod 33 changes nothing */
    R(m, RAX) = 1;
    R(m, RCX) = 32 + 2;
    FLAGS(m) = 0x202 | CF;
    ck_ok(m, "d3d8"); /* rcr eax, 2: CF:EAX = 1:0...01 -> 1:10...0 -> 0:110...0 */
    ck_assert_uint_eq(R(m, RAX), 0xc0000000);
    ck_assert(!(FLAGS(m) & CF));
    machine_free(m);
}
END_TEST

START_TEST(memory_destination)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    const uint8_t v[4] = { 0x78, 0x56, 0x34, 0x12 };
    machine_poke(m, 0x2000, v, 4);
    R(m, RSI) = 0x2000;
    ck_ok(m, "c12604"); /* shl dword [rsi], 4 */
    ck_assert_uint_eq(machine_peek64(m, 0x2000, 4), 0x23456780);
    ck_assert(FLAGS(m) & CF); /* bit 28 of 0x12345678 was 1 */
    R(m, RCX) = 0x20;
    ck_ok(m, "d326"); /* count 0 with memory: nothing changes */
    ck_assert_uint_eq(machine_peek64(m, 0x2000, 4), 0x23456780);
    machine_free(m);
}
END_TEST

START_TEST(shld_shrd)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    R(m, RAX) = 0x12345678;
    R(m, RBX) = 0x9abcdef0;
    R(m, RCX) = 36; /* masked: 4 */
    ck_ok(m, "0fa5d8"); /* shld eax, ebx, cl */
    ck_assert_uint_eq(R(m, RAX), 0x23456789);
    ck_assert(FLAGS(m) & CF); /* bit 28 of eax */
    R(m, RAX) = 0x12345678;
    ck_ok(m, "0fadd8"); /* shrd eax, ebx, cl */
    ck_assert_uint_eq(R(m, RAX), 0x01234567);
    ck_assert(FLAGS(m) & CF); /* bit 3 of eax */
    R(m, RAX) = 0x0123456789abcdefull;
    R(m, RBX) = 0xfedcba9876543210ull;
    R(m, RCX) = 0x44; /* 68 & 63 = 4 */
    ck_ok(m, "480fa5d8"); /* shld rax, rbx, cl */
    ck_assert_uint_eq(R(m, RAX), 0x123456789abcdeffull);
    ck_assert(!(FLAGS(m) & CF));
    ck_ok(m, "480fac d8 3c"); /* shrd rax, rbx, 60 */
    ck_assert_uint_eq(R(m, RAX), 0xedcba98765432101ull);
    /* 16-bit up to 16: defined */
    R(m, RAX) = 0x1234;
    R(m, RBX) = 0xabcd;
    ck_ok(m, "660fa4d810"); /* shld ax, bx, 16: ax = bx, CF = old bit 0 */
    ck_assert_uint_eq(R(m, RAX), 0xabcd);
    ck_assert(!(FLAGS(m) & CF));
    machine_free(m);
}
END_TEST

/* SHLD/SHRD r16 with a count of 17..31: undefined; AMD rotates the source by count-16 and
 * clears CF (and SHLD's OF). */
START_TEST(shld_shrd_16bit_above_16_amd)
{
    struct machine *m = tm_amd64();
    R(m, RAX) = 0x1234;
    R(m, RBX) = 0xabcd;
    R(m, RCX) = 20;
    FLAGS(m) = 0x202 | CF | OF;
    ck_ok(m, "660fa5d8"); /* shld ax, bx, cl */
    ck_assert_uint_eq(R(m, RAX), 0xbcda);
    ck_assert_uint_eq(FLAGS(m), 0x202 | SF | AF); /* as measured: 0x292 */
    R(m, RAX) = 0x1234;
    ck_ok(m, "660fadd8"); /* shrd ax, bx, cl */
    ck_assert_uint_eq(R(m, RAX), 0xdabc);
    ck_assert_uint_eq(FLAGS(m), 0x202 | SF | AF);
    R(m, RAX) = 0x1234;
    R(m, RCX) = 31;
    ck_ok(m, "660fa5d8");
    ck_assert_uint_eq(R(m, RAX), 0xd5e6); /* rol16(0xabcd, 15) */
    machine_free(m);
}
END_TEST

/* Undefined flags: AMD takes OF from the result for every count and sets AF for shifts;
 * Intel keeps the count-1 formulas and clears AF. */
START_TEST(undefined_flags_by_vendor)
{
    struct machine *a = tm_amd64(), *i = tm_new(EMU_MODE_LONG64);
    struct machine *both[2] = { a, i };
    for (int k = 0; k < 2; k++) {
        struct machine *m = both[k];
        R(m, RAX) = 0x81;
        R(m, RCX) = 2;
        FLAGS(m) = 0x202;
        ck_ok(m, "d2e8"); /* shr al, 2 = 0x20 */
        ck_assert_uint_eq(R(m, RAX), 0x20);
        ck_assert_uint_eq(FLAGS(m) & ARITH, k ? OF : AF); /* Intel: OF = old MSB; AMD: 0, AF=1 */
        R(m, RAX) = 0x01;
        FLAGS(m) = 0x202;
        ck_ok(m, "d2d8"); /* rcr al, 2: CF:AL 0:00000001 -> AL = 0x80, CF = 0 */
        ck_assert_uint_eq(R(m, RAX), 0x80);
        ck_assert_uint_eq(FLAGS(m) & (CF | OF), k ? 0 : OF); /* AMD: MSB^MSB-1 of the result */
        R(m, RAX) = 0x40;
        FLAGS(m) = 0x202;
        ck_ok(m, "d2e0"); /* shl al, 2 = 0, CF = old bit 6 = 1: OF = MSB ^ CF for both */
        ck_assert_uint_eq(FLAGS(m) & (CF | OF | ZF), CF | OF | ZF);
    }
    /* rotates never touch AF */
    R(a, RAX) = 0x81;
    FLAGS(a) = 0x202 | AF;
    ck_ok(a, "d0c0"); /* rol al, 1 */
    ck_assert(FLAGS(a) & AF);
    FLAGS(a) = 0x202;
    ck_ok(a, "d0c0");
    ck_assert(!(FLAGS(a) & AF));
    machine_free(a);
    machine_free(i);
}
END_TEST

static Suite *shift_suite(void)
{
    Suite *s = suite_create("shift");
    TCase *t = tcase_create("core");
    tcase_add_test(t, shl_count_masked_32_and_64);
    tcase_add_test(t, count_zero_leaves_flags);
    tcase_add_test(t, byte_counts_at_and_above_size);
    tcase_add_test(t, shr_sar_by_one);
    tcase_add_test(t, rcl_rcr_counts_above_size);
    tcase_add_test(t, memory_destination);
    tcase_add_test(t, shld_shrd);
    tcase_add_test(t, shld_shrd_16bit_above_16_amd);
    tcase_add_test(t, undefined_flags_by_vendor);
    suite_add_tcase(s, t);
    return s;
}
REGISTER_SUITE(shift_suite)
