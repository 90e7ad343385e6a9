/*
 * Flag instructions: CLC STC CMC CLD STD, and CLI/STI with the decision tables of the SDM
 * (real mode, IOPL vs CPL, PVI at CPL 3, VME in virtual-8086 mode, VIP making STI fault).
 */
#include "harness.h"

#define IF EMU_FLAG_IF
#define VM EMU_FLAG_VM
#define VIF EMU_FLAG_VIF
#define VIP EMU_FLAG_VIP
#define IOPL(n) ((uint64_t)(n) << 12)

START_TEST(carry_and_direction)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    FLAGS(m) = 2 | EMU_FLAG_ZF | EMU_FLAG_OF;
    ck_ok(m, "f9"); /* stc */
    ck_assert_uint_eq(FLAGS(m), 2 | CF | EMU_FLAG_ZF | EMU_FLAG_OF);
    ck_ok(m, "f5"); /* cmc */
    ck_assert_uint_eq(FLAGS(m), 2 | EMU_FLAG_ZF | EMU_FLAG_OF);
    ck_ok(m, "f5");
    ck_assert_uint_eq(FLAGS(m), 2 | CF | EMU_FLAG_ZF | EMU_FLAG_OF);
    ck_ok(m, "f8"); /* clc */
    ck_assert_uint_eq(FLAGS(m), 2 | EMU_FLAG_ZF | EMU_FLAG_OF);
    ck_ok(m, "fd"); /* std */
    ck_assert_uint_eq(FLAGS(m), 2 | DF | EMU_FLAG_ZF | EMU_FLAG_OF);
    ck_ok(m, "fc"); /* cld */
    ck_assert_uint_eq(FLAGS(m), 2 | EMU_FLAG_ZF | EMU_FLAG_OF);
    ck_assert_uint_eq(m->regs.rip, 0x401006);
    machine_free(m);
}
END_TEST

START_TEST(cli_sti_real_and_cpl0)
{
    struct machine *m = tm_new(EMU_MODE_REAL);
    FLAGS(m) = 2 | IF;
    ck_ok(m, "fa");
    ck_assert_uint_eq(FLAGS(m), 2);
    m->nevents = 0;
    ck_ok(m, "fb"); /* sti: IF 0 -> 1 opens an interrupt shadow */
    ck_assert_uint_eq(FLAGS(m), 2 | IF);
    ck_assert_uint_eq(m->nevents, 1);
    ck_assert_uint_eq(m->events[0].type, EMU_EV_INT_SHADOW);
    ck_assert_uint_eq(m->events[0].value, 1);
    m->nevents = 0;
    ck_ok(m, "fb"); /* IF already 1: no shadow */
    ck_assert_uint_eq(m->nevents, 0);
    machine_free(m);

    m = tm_new(EMU_MODE_PROT32); /* CPL 0, IOPL 0 */
    ck_ok(m, "fb");
    ck_assert_uint_eq(FLAGS(m), 2 | IF);
    ck_ok(m, "fa");
    ck_assert_uint_eq(FLAGS(m), 2);
    machine_free(m);
}
END_TEST

START_TEST(cli_sti_protected_iopl_pvi)
{
    /* CPL 3 > IOPL 0 without PVI: #GP(0) */
    struct machine *m = tm_new(EMU_MODE_PROT32);
    tm_set_cpl(m, 3);
    FLAGS(m) = 2 | IF;
    ck_exc(m, "fa", EMU_GP, 0);
    ck_exc(m, "fb", EMU_GP, 0);
    ck_assert_uint_eq(FLAGS(m), 2 | IF);
    /* IOPL 3 >= CPL 3: IF itself */
    FLAGS(m) = 2 | IF | IOPL(3);
    ck_ok(m, "fa");
    ck_assert_uint_eq(FLAGS(m), 2 | IOPL(3));
    /* PVI at CPL 3: CLI/STI work on VIF, IF is left alone */
    m->cr[4] |= EMU_CR4_PVI;
    FLAGS(m) = 2 | IF | VIF;
    ck_ok(m, "fa");
    ck_assert_uint_eq(FLAGS(m), 2 | IF);
    m->nevents = 0;
    ck_ok(m, "fb");
    ck_assert_uint_eq(FLAGS(m), 2 | IF | VIF);
    ck_assert_uint_eq(m->nevents, 0); /* setting VIF opens no shadow */
    /* STI with a virtual interrupt pending: #GP(0) so the monitor can deliver it */
    FLAGS(m) = 2 | VIP;
    ck_exc(m, "fb", EMU_GP, 0);
    ck_ok(m, "fa"); /* CLI with VIP is fine */
    ck_assert_uint_eq(FLAGS(m), 2 | VIP);
    machine_free(m);

    /* PVI applies at CPL 3 only: CPL 1 > IOPL 0 faults even with PVI */
    m = tm_new(EMU_MODE_PROT32);
    tm_set_cpl(m, 1);
    m->cr[4] |= EMU_CR4_PVI;
    ck_exc(m, "fa", EMU_GP, 0);
    FLAGS(m) = 2 | IOPL(1); /* IOPL 1 = CPL 1 */
    ck_ok(m, "fb");
    ck_assert_uint_eq(FLAGS(m), 2 | IOPL(1) | IF);
    machine_free(m);

    /* 64-bit mode follows the protected-mode table */
    m = tm_new(EMU_MODE_LONG64);
    tm_set_cpl(m, 3);
    ck_exc(m, "fa", EMU_GP, 0);
    m->cr[4] |= EMU_CR4_PVI;
    FLAGS(m) = 2 | VIF;
    ck_ok(m, "fa");
    ck_assert_uint_eq(FLAGS(m), 2);
    machine_free(m);
}
END_TEST

START_TEST(cli_sti_v86)
{
    struct machine *m = tm_new(EMU_MODE_V86);
    FLAGS(m) = 2 | VM | IOPL(3) | IF;
    ck_ok(m, "fa"); /* IOPL 3: IF */
    ck_assert_uint_eq(FLAGS(m), 2 | VM | IOPL(3));
    ck_ok(m, "fb");
    ck_assert_uint_eq(FLAGS(m), 2 | VM | IOPL(3) | IF);
    FLAGS(m) = 2 | VM | IOPL(2) | IF;
    ck_exc(m, "fa", EMU_GP, 0); /* IOPL < 3 without VME */
    m->cr[4] |= EMU_CR4_VME;
    ck_ok(m, "fa"); /* with VME: VIF */
    ck_assert_uint_eq(FLAGS(m), 2 | VM | IOPL(2) | IF);
    ck_ok(m, "fb");
    ck_assert_uint_eq(FLAGS(m), 2 | VM | IOPL(2) | IF | VIF);
    FLAGS(m) = 2 | VM | VIP;
    ck_exc(m, "fb", EMU_GP, 0);
    ck_assert_uint_eq(FLAGS(m), 2 | VM | VIP);
    /* PVI is not what matters in v86 mode: VME off, PVI on is #GP */
    m->cr[4] = EMU_CR4_PVI;
    FLAGS(m) = 2 | VM;
    ck_exc(m, "fb", EMU_GP, 0);
    machine_free(m);
}
END_TEST

static Suite *flagops_suite(void)
{
    Suite *s = suite_create("flagops");
    TCase *t = tcase_create("flagops");
    tcase_add_test(t, carry_and_direction);
    tcase_add_test(t, cli_sti_real_and_cpl0);
    tcase_add_test(t, cli_sti_protected_iopl_pvi);
    tcase_add_test(t, cli_sti_v86);
    suite_add_tcase(s, t);
    return s;
}
REGISTER_SUITE(flagops_suite)
