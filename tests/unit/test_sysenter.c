/*
 * SYSCALL/SYSRET/SYSENTER/SYSEXIT: the #UD/#GP rules per vendor and the state each loads.
 */
#include "systest.h"

#define SYSCALL "0f05"
#define SYSRET "0f07"
#define SYSRETQ "480f07"
#define SYSENTER "0f34"
#define SYSEXIT "0f35"
#define SYSEXITQ "480f35"

static struct machine *sc_machine(enum emu_mode mode, enum emu_vendor v, int sce)
{
    struct emu_config c = tm_cfg(v);
    emu_config_set_feature(&c, EMU_FEAT_SEP);
    struct machine *m = tm_new_cfg(mode, &c);
    uint64_t efer = machine_get_msr(m, EMU_MSR_EFER, NULL);
    machine_set_msr(m, EMU_MSR_EFER, sce ? efer | EMU_EFER_SCE : efer);
    machine_set_msr(m, EMU_MSR_STAR, 0x0023001000402000ull); /* SYSRET base 0x23, SYSCALL 0x10 */
    machine_set_msr(m, EMU_MSR_LSTAR, 0xffffffff81000000ull);
    machine_set_msr(m, EMU_MSR_CSTAR, 0xffffffff82000000ull);
    machine_set_msr(m, EMU_MSR_SFMASK, EMU_FLAG_IF | EMU_FLAG_TF | EMU_FLAG_DF);
    machine_set_msr(m, EMU_MSR_SYSENTER_CS, 0x10);
    machine_set_msr(m, EMU_MSR_SYSENTER_ESP, 0xffff800000009000ull);
    machine_set_msr(m, EMU_MSR_SYSENTER_EIP, 0xffff800000001000ull);
    return m;
}

START_TEST(syscall_sce0_is_ud)
{
    struct machine *m = sc_machine(EMU_MODE_LONG64, EMU_VENDOR_INTEL, 0);
    ck_exc(m, SYSCALL, EMU_UD, 0);
    ck_exc(m, SYSRET, EMU_UD, 0);
    machine_free(m);
    m = sc_machine(EMU_MODE_LONG64, EMU_VENDOR_AMD, 0);
    ck_exc(m, SYSCALL, EMU_UD, 0);
    machine_free(m);
}
END_TEST

START_TEST(syscall_intel_ud_outside_64bit_mode)
{
    const enum emu_mode modes[] = { EMU_MODE_REAL, EMU_MODE_PROT32, EMU_MODE_COMPAT32, EMU_MODE_V86 };
    for (unsigned i = 0; i < 4; i++) {
        struct machine *m = sc_machine(modes[i], EMU_VENDOR_INTEL, 1);
        ck_exc(m, SYSCALL, EMU_UD, 0);
        ck_exc(m, SYSRET, EMU_UD, 0);
        machine_free(m);
    }
}
END_TEST

START_TEST(syscall_64bit_loads_lstar_and_masks_flags)
{
    struct machine *m = sc_machine(EMU_MODE_LONG64, EMU_VENDOR_INTEL, 1);
    tm_set_cpl(m, 3);
    FLAGS(m) = 0x10702 | EMU_FLAG_IF; /* RF, TF, DF, IF */
    ck_ok(m, SYSCALL);
    ck_assert_uint_eq(R(m, RCX), 0x401002);
    ck_assert_uint_eq(R(m, R11), 0x702);
    ck_assert_uint_eq(m->regs.rip, 0xffffffff81000000ull);
    ck_assert_uint_eq(FLAGS(m), 0x2);
    ck_seg(m, EMU_SEG_CS, 0x10, 0, 0xffffffff, 0xa9b);
    ck_seg(m, EMU_SEG_SS, 0x18, 0, 0xffffffff, 0xc93);
    ck_assert_uint_eq(machine_cpl(m), 0);
    machine_free(m);
}
END_TEST

/* AMD: SYSCALL from compatibility mode goes to CSTAR; from legacy protected mode to
 * STAR[31:0] with ECX = return EIP and VM/IF/RF cleared. */
START_TEST(syscall_amd_compat_and_legacy)
{
    struct machine *m = sc_machine(EMU_MODE_COMPAT32, EMU_VENDOR_AMD, 1);
    ck_ok(m, SYSCALL);
    ck_assert_uint_eq(m->regs.rip, 0xffffffff82000000ull);
    ck_assert_uint_eq(m->segs[EMU_SEG_CS].attr, 0xa9b);
    machine_free(m);
    m = sc_machine(EMU_MODE_PROT32, EMU_VENDOR_AMD, 1);
    FLAGS(m) = 0x302;
    R(m, RCX) = 0xffffffff00000000ull;
    ck_ok(m, SYSCALL);
    ck_assert_uint_eq(R(m, RCX), 0x401002);
    ck_assert_uint_eq(m->regs.rip, 0x402000);
    ck_assert_uint_eq(FLAGS(m), 0x102);
    ck_seg(m, EMU_SEG_CS, 0x10, 0, 0xffffffff, 0xc9b);
    ck_assert_uint_eq(m->segs[EMU_SEG_SS].sel, 0x18);
    machine_free(m);
}
END_TEST

START_TEST(sysret_cpl3_is_gp0)
{
    struct machine *m = sc_machine(EMU_MODE_LONG64, EMU_VENDOR_INTEL, 1);
    tm_set_cpl(m, 3);
    ck_exc(m, SYSRET, EMU_GP, 0);
    machine_free(m);
}
END_TEST

START_TEST(sysret_64_and_32_targets)
{
    struct machine *m = sc_machine(EMU_MODE_LONG64, EMU_VENDOR_INTEL, 1);
    R(m, RCX) = 0x00007fff12345678ull;
    R(m, R11) = 0xffffffffffffffffull;
    ck_ok(m, SYSRETQ);
    ck_assert_uint_eq(m->regs.rip, 0x00007fff12345678ull);
    ck_seg(m, EMU_SEG_CS, 0x33, 0, 0xffffffff, 0xafb);
    ck_seg(m, EMU_SEG_SS, 0x2b, 0, 0xffffffff, 0xcf3);
    ck_assert_uint_eq(FLAGS(m), 0x3c7fd7);
    ck_assert_uint_eq(machine_cpl(m), 3);
    machine_free(m);
    m = sc_machine(EMU_MODE_LONG64, EMU_VENDOR_INTEL, 1);
    R(m, RCX) = 0xaaaaaaaa12345678ull;
    R(m, R11) = 0x202;
    ck_ok(m, SYSRET);
    ck_assert_uint_eq(m->regs.rip, 0x12345678);
    ck_seg(m, EMU_SEG_CS, 0x23, 0, 0xffffffff, 0xcfb);
    machine_free(m);
}
END_TEST

/* Non-canonical RCX: Intel #GP(0) in ring 0; AMD loads it (the fetch faults at CPL 3). */
START_TEST(sysret_noncanonical_rcx_by_vendor)
{
    struct machine *m = sc_machine(EMU_MODE_LONG64, EMU_VENDOR_INTEL, 1);
    R(m, RCX) = 0x0000800000000000ull;
    ck_exc(m, SYSRETQ, EMU_GP, 0);
    ck_assert_uint_eq(machine_cpl(m), 0);
    machine_free(m);
    m = sc_machine(EMU_MODE_LONG64, EMU_VENDOR_AMD, 1);
    R(m, RCX) = 0x0000800000000000ull;
    ck_ok(m, SYSRETQ);
    ck_assert_uint_eq(m->regs.rip, 0x0000800000000000ull);
    ck_assert_uint_eq(machine_cpl(m), 3);
    machine_free(m);
}
END_TEST

/* AMD keeps the old SS attributes (only the selector and, in our model, DPL change): a null
 * kernel SS stays unusable. */
START_TEST(sysret_amd_keeps_ss_attributes)
{
    struct machine *m = sc_machine(EMU_MODE_LONG64, EMU_VENDOR_AMD, 1);
    seg_load(m, EMU_SEG_SS, 0, 0, 0, 0);
    R(m, RCX) = 0x401000;
    ck_ok(m, SYSRETQ);
    ck_seg(m, EMU_SEG_SS, 0x2b, 0, 0, 0x60);
    machine_free(m);
}
END_TEST

/* AMD: SYSRET in real mode is #GP(0) (not #UD); in legacy protected mode it sets IF only. */
START_TEST(sysret_amd_real_gp_and_legacy)
{
    struct machine *m = sc_machine(EMU_MODE_REAL, EMU_VENDOR_AMD, 1);
    ck_exc(m, SYSRET, EMU_GP, 0);
    machine_free(m);
    m = sc_machine(EMU_MODE_PROT32, EMU_VENDOR_AMD, 1);
    FLAGS(m) = 0x2;
    R(m, R11) = 0;
    R(m, RCX) = 0x1234;
    ck_ok(m, SYSRET);
    ck_assert_uint_eq(FLAGS(m), 0x202);
    ck_assert_uint_eq(m->regs.rip, 0x1234);
    ck_assert_uint_eq(m->segs[EMU_SEG_CS].sel, 0x23);
    machine_free(m);
}
END_TEST

START_TEST(sysenter_gp_in_real_mode_and_null_cs)
{
    struct machine *m = sc_machine(EMU_MODE_REAL, EMU_VENDOR_INTEL, 0);
    ck_exc(m, SYSENTER, EMU_GP, 0);
    ck_exc(m, SYSEXIT, EMU_GP, 0);
    machine_free(m);
    m = sc_machine(EMU_MODE_PROT32, EMU_VENDOR_INTEL, 0);
    machine_set_msr(m, EMU_MSR_SYSENTER_CS, 3);
    ck_exc(m, SYSENTER, EMU_GP, 0);
    machine_free(m);
}
END_TEST

START_TEST(sysenter_ud_without_sep_and_on_amd_long_mode)
{
    struct machine *m = tm_new(EMU_MODE_PROT32);
    ck_exc(m, SYSENTER, EMU_UD, 0);
    machine_free(m);
    m = sc_machine(EMU_MODE_LONG64, EMU_VENDOR_AMD, 0);
    ck_exc(m, SYSENTER, EMU_UD, 0);
    ck_exc(m, SYSEXIT, EMU_UD, 0);
    machine_free(m);
    m = sc_machine(EMU_MODE_COMPAT32, EMU_VENDOR_AMD, 0);
    ck_exc(m, SYSENTER, EMU_UD, 0);
    machine_free(m);
}
END_TEST

START_TEST(sysenter_legacy_loads_flat_ring0)
{
    struct machine *m = sc_machine(EMU_MODE_PROT32, EMU_VENDOR_AMD, 0);
    tm_set_cpl(m, 3);
    FLAGS(m) = 0x10202;
    ck_ok(m, SYSENTER);
    ck_assert_uint_eq(m->regs.rip, 0x1000);
    ck_assert_uint_eq(R(m, RSP), 0x9000);
    ck_seg(m, EMU_SEG_CS, 0x10, 0, 0xffffffff, 0xc9b);
    ck_seg(m, EMU_SEG_SS, 0x18, 0, 0xffffffff, 0xc93);
    ck_assert_uint_eq(FLAGS(m), 0x2);
    machine_free(m);
}
END_TEST

/* Intel in IA-32e mode: SYSENTER enters 64-bit code with the full 64-bit MSRs. */
START_TEST(sysenter_intel_long_mode_enters_64bit)
{
    struct machine *m = sc_machine(EMU_MODE_COMPAT32, EMU_VENDOR_INTEL, 0);
    tm_set_cpl(m, 3);
    ck_ok(m, SYSENTER);
    ck_assert_uint_eq(m->regs.rip, 0xffff800000001000ull);
    ck_assert_uint_eq(R(m, RSP), 0xffff800000009000ull);
    ck_assert_uint_eq(m->segs[EMU_SEG_CS].attr, 0xa9b);
    machine_free(m);
}
END_TEST

START_TEST(sysexit_rules_and_targets)
{
    struct machine *m = sc_machine(EMU_MODE_PROT32, EMU_VENDOR_INTEL, 0);
    tm_set_cpl(m, 3);
    ck_exc(m, SYSEXIT, EMU_GP, 0);
    tm_set_cpl(m, 0);
    R(m, RCX) = 0x7000;
    R(m, RDX) = 0x8048000;
    ck_ok(m, SYSEXIT);
    ck_assert_uint_eq(m->regs.rip, 0x8048000);
    ck_assert_uint_eq(R(m, RSP), 0x7000);
    ck_seg(m, EMU_SEG_CS, 0x23, 0, 0xffffffff, 0xcfb);
    ck_seg(m, EMU_SEG_SS, 0x2b, 0, 0xffffffff, 0xcf3);
    machine_free(m);
    m = sc_machine(EMU_MODE_LONG64, EMU_VENDOR_INTEL, 0);
    R(m, RCX) = 0x7000;
    R(m, RDX) = 0x0000800000000000ull;
    ck_exc(m, SYSEXITQ, EMU_GP, 0);
    R(m, RDX) = 0x00007f0000001000ull;
    ck_ok(m, SYSEXITQ);
    ck_assert_uint_eq(m->regs.rip, 0x00007f0000001000ull);
    ck_seg(m, EMU_SEG_CS, 0x33, 0, 0xffffffff, 0xafb);
    ck_seg(m, EMU_SEG_SS, 0x3b, 0, 0xffffffff, 0xcf3);
    machine_free(m);
}
END_TEST

static Suite *sysenter_suite(void)
{
    Suite *s = suite_create("sysenter");
    TCase *t = tcase_create("sysenter");
    tcase_add_test(t, syscall_sce0_is_ud);
    tcase_add_test(t, syscall_intel_ud_outside_64bit_mode);
    tcase_add_test(t, syscall_64bit_loads_lstar_and_masks_flags);
    tcase_add_test(t, syscall_amd_compat_and_legacy);
    tcase_add_test(t, sysret_cpl3_is_gp0);
    tcase_add_test(t, sysret_64_and_32_targets);
    tcase_add_test(t, sysret_noncanonical_rcx_by_vendor);
    tcase_add_test(t, sysret_amd_keeps_ss_attributes);
    tcase_add_test(t, sysret_amd_real_gp_and_legacy);
    tcase_add_test(t, sysenter_gp_in_real_mode_and_null_cs);
    tcase_add_test(t, sysenter_ud_without_sep_and_on_amd_long_mode);
    tcase_add_test(t, sysenter_legacy_loads_flat_ring0);
    tcase_add_test(t, sysenter_intel_long_mode_enters_64bit);
    tcase_add_test(t, sysexit_rules_and_targets);
    suite_add_tcase(s, t);
    return s;
}
REGISTER_SUITE(sysenter_suite)
