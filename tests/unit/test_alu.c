/* ALU family: ADD OR ADC SBB AND SUB XOR CMP TEST INC DEC NEG NOT (values and flags). */
#include "harness.h"


START_TEST(add_reg_flags)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    R(m, RAX) = 0x7fffffffffffffffull;
    R(m, RBX) = 1;
    ck_ok(m, "4801d8"); /* add rax, rbx */
    ck_assert_uint_eq(R(m, RAX), 0x8000000000000000ull);
    /* signed overflow, negative, AF from bit 3 carry, PF of 0x00 low byte = even */
    ck_assert_uint_eq(FLAGS(m) & ARITH, EMU_FLAG_OF | EMU_FLAG_SF | EMU_FLAG_AF | EMU_FLAG_PF);
    ck_assert_uint_eq(m->regs.rip, 0x401003);
    machine_free(m);
}
END_TEST

START_TEST(add_byte_carry)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    R(m, RAX) = 0x11223344556677ffull;
    ck_ok(m, "0401"); /* add al, 1 */
    ck_assert_uint_eq(R(m, RAX), 0x1122334455667700ull);
    ck_assert_uint_eq(FLAGS(m) & ARITH, EMU_FLAG_CF | EMU_FLAG_ZF | EMU_FLAG_AF | EMU_FLAG_PF);
    machine_free(m);
}
END_TEST

START_TEST(add32_zero_extends)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    R(m, RCX) = 0xffffffff00000001ull;
    ck_ok(m, "83c101"); /* add ecx, 1 */
    ck_assert_uint_eq(R(m, RCX), 2);
    machine_free(m);
}
END_TEST

START_TEST(adc_sbb_use_carry)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    R(m, RAX) = 5;
    R(m, RBX) = 3;
    FLAGS(m) |= EMU_FLAG_CF;
    ck_ok(m, "11d8"); /* adc eax, ebx = 9 */
    ck_assert_uint_eq(R(m, RAX), 9);
    ck_assert(!(FLAGS(m) & EMU_FLAG_CF));
    FLAGS(m) |= EMU_FLAG_CF;
    ck_ok(m, "19d8"); /* sbb eax, ebx = 9-3-1 = 5 */
    ck_assert_uint_eq(R(m, RAX), 5);
    R(m, RAX) = 0;
    R(m, RBX) = 0;
    FLAGS(m) |= EMU_FLAG_CF;
    ck_ok(m, "19d8"); /* 0-0-1 borrows */
    ck_assert_uint_eq(R(m, RAX), 0xffffffff);
    ck_assert(FLAGS(m) & EMU_FLAG_CF);
    ck_assert(FLAGS(m) & EMU_FLAG_SF);
    machine_free(m);
}
END_TEST

START_TEST(sub_cmp_flags)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    R(m, RAX) = 0x80000000;
    ck_ok(m, "3d01000000"); /* cmp eax, 1: 0x80000000-1 overflows */
    ck_assert_uint_eq(R(m, RAX), 0x80000000); /* unchanged */
    ck_assert_uint_eq(FLAGS(m) & ARITH, EMU_FLAG_OF | EMU_FLAG_AF | EMU_FLAG_PF);
    ck_ok(m, "2d00000080"); /* sub eax, 0x80000000 = 0 */
    ck_assert_uint_eq(R(m, RAX), 0);
    ck_assert_uint_eq(FLAGS(m) & ARITH, EMU_FLAG_ZF | EMU_FLAG_PF);
    machine_free(m);
}
END_TEST

START_TEST(logic_clears_cf_of)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    R(m, RAX) = 0xf0;
    R(m, RBX) = 0x0f;
    FLAGS(m) |= EMU_FLAG_CF | EMU_FLAG_OF;
    ck_ok(m, "4809d8"); /* or rax, rbx */
    ck_assert_uint_eq(R(m, RAX), 0xff);
    ck_assert_uint_eq(FLAGS(m) & (EMU_FLAG_CF | EMU_FLAG_OF | EMU_FLAG_ZF | EMU_FLAG_SF), 0);
    ck_assert(FLAGS(m) & EMU_FLAG_PF);
    ck_ok(m, "4821d8"); /* and rax, rbx = 0x0f */
    ck_assert_uint_eq(R(m, RAX), 0x0f);
    ck_ok(m, "31c0"); /* xor eax, eax */
    ck_assert_uint_eq(R(m, RAX), 0);
    ck_assert(FLAGS(m) & EMU_FLAG_ZF);
    R(m, RAX) = 0x80;
    ck_ok(m, "a880"); /* test al, 0x80 */
    ck_assert_uint_eq(R(m, RAX), 0x80);
    ck_assert(FLAGS(m) & EMU_FLAG_SF);
    machine_free(m);
}
END_TEST

START_TEST(imm8_sign_extended)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    R(m, RAX) = 10;
    ck_ok(m, "4883c0ff"); /* add rax, -1 */
    ck_assert_uint_eq(R(m, RAX), 9);
    ck_ok(m, "482dffffffff"); /* sub rax, imm32 -1 sign-extended */
    ck_assert_uint_eq(R(m, RAX), 10);
    machine_free(m);
}
END_TEST

START_TEST(memory_destination)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    const uint8_t init[4] = { 0xff, 0xff, 0xff, 0x7f };
    machine_poke(m, 0x2000, init, 4);
    R(m, RBX) = 0x2000;
    ck_ok(m, "8303 01"); /* add dword [rbx], 1 */
    ck_assert_uint_eq(machine_peek64(m, 0x2000, 4), 0x80000000);
    ck_assert(FLAGS(m) & EMU_FLAG_OF);
    ck_ok(m, "f01003"); /* lock adc [rbx], al: al = 0, CF = 0 */
    ck_assert_uint_eq(machine_peek64(m, 0x2000, 4), 0x80000000);
    machine_free(m);
}
END_TEST

START_TEST(lock_register_is_ud)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    ck_exc(m, "f001d8", EMU_UD, 0); /* lock add eax, ebx */
    ck_exc(m, "f03903", EMU_UD, 0); /* lock cmp [rbx], eax: CMP is not lockable */
    ck_assert_uint_eq(m->regs.rip, 0x401000);
    machine_free(m);
}
END_TEST

START_TEST(inc_dec_keep_cf)
{
    struct machine *m = tm_new(EMU_MODE_PROT32);
    R(m, RAX) = 0x7fffffff;
    FLAGS(m) |= EMU_FLAG_CF;
    ck_ok(m, "40"); /* inc eax (one-byte form outside 64-bit mode) */
    ck_assert_uint_eq(R(m, RAX), 0x80000000);
    ck_assert(FLAGS(m) & EMU_FLAG_CF);
    ck_assert(FLAGS(m) & EMU_FLAG_OF);
    ck_ok(m, "48"); /* dec eax */
    ck_assert_uint_eq(R(m, RAX), 0x7fffffff);
    ck_assert(FLAGS(m) & EMU_FLAG_CF);
    ck_assert(FLAGS(m) & EMU_FLAG_OF);
    machine_free(m);
}
END_TEST

START_TEST(neg_not)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    R(m, RAX) = 0;
    ck_ok(m, "48f7d8"); /* neg rax (0) */
    ck_assert_uint_eq(R(m, RAX), 0);
    ck_assert(!(FLAGS(m) & EMU_FLAG_CF));
    R(m, RAX) = 5;
    ck_ok(m, "48f7d8");
    ck_assert_uint_eq(R(m, RAX), (uint64_t)-5);
    ck_assert(FLAGS(m) & EMU_FLAG_CF);
    uint64_t f = FLAGS(m);
    ck_ok(m, "f6d0"); /* not al */
    ck_assert_uint_eq(R(m, RAX) & 0xff, 0x04);
    ck_assert_uint_eq(FLAGS(m), f); /* NOT changes no flags */
    machine_free(m);
}
END_TEST

START_TEST(real_mode_16bit)
{
    struct machine *m = tm_new(EMU_MODE_REAL);
    R(m, RAX) = 0x1234ffff;
    ck_ok(m, "0501 00"); /* add ax, 1 */
    ck_assert_uint_eq(R(m, RAX), 0x12340000);
    ck_assert(FLAGS(m) & EMU_FLAG_CF);
    ck_assert_uint_eq(m->regs.rip, 0x1003);
    ck_ok(m, "66 0501000000"); /* add eax, 1 */
    ck_assert_uint_eq(R(m, RAX), 0x12340001);
    machine_free(m);
}
END_TEST

START_TEST(high_byte_registers)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    R(m, RAX) = 0x1100;
    R(m, RSP) = 0x8000;
    ck_ok(m, "00e0"); /* add al, ah (no REX: 4 = AH) */
    ck_assert_uint_eq(R(m, RAX), 0x1111);
    ck_ok(m, "4000e0"); /* add al, spl (REX: 4 = SPL) */
    ck_assert_uint_eq(R(m, RAX), 0x1111);
    machine_free(m);
}
END_TEST

static Suite *alu_suite(void)
{
    Suite *s = suite_create("alu");
    TCase *t = tcase_create("alu");
    tcase_add_test(t, add_reg_flags);
    tcase_add_test(t, add_byte_carry);
    tcase_add_test(t, add32_zero_extends);
    tcase_add_test(t, adc_sbb_use_carry);
    tcase_add_test(t, sub_cmp_flags);
    tcase_add_test(t, logic_clears_cf_of);
    tcase_add_test(t, imm8_sign_extended);
    tcase_add_test(t, memory_destination);
    tcase_add_test(t, lock_register_is_ud);
    tcase_add_test(t, inc_dec_keep_cf);
    tcase_add_test(t, neg_not);
    tcase_add_test(t, real_mode_16bit);
    tcase_add_test(t, high_byte_registers);
    suite_add_tcase(s, t);
    return s;
}
REGISTER_SUITE(alu_suite)
