/*
 * The SVM intercept stages of the non-SVM instructions (spec 1.3, APM Table 15-7): where each
 * intercept sits relative to the instruction's exceptions, and the exit information the decode
 * assists define (IOIO and MSR layouts, next RIP).
 */
#include "harness.h"

static struct machine *nested(enum emu_mode mode, unsigned exit_code)
{
    struct emu_config c = tm_cfg(EMU_VENDOR_AMD);
    c.nested = 1;
    struct machine *m = tm_new_cfg(mode, &c);
    machine_intercept(m, exit_code, 1);
    return m;
}

static void expect_exit(struct machine *m, const char *hex, uint64_t code, uint64_t info1, uint64_t info2)
{
    enum emu_status st = tm_run(m, hex);
    ck_assert_msg(st == EMU_INTERCEPT, "%s: expected exit 0x%llx, got status %d (vector %u)", hex,
                  (unsigned long long)code, st, m->ctx.result.exception.vector);
    ck_assert_uint_eq(m->ctx.result.intercept.exit_code, code);
    ck_assert_uint_eq(m->ctx.result.intercept.info1, info1);
    ck_assert_uint_eq(m->ctx.result.intercept.info2, info2);
}

/* IOIO (0x7B): EXITINFO1 = port << 16 | A64/A32/A16 | SZ32/SZ16/SZ8 | REP | STR | IN,
 * EXITINFO2 = the next RIP (APM 15.10.2). */
START_TEST(ioio_exitinfo_layout)
{
    struct machine *m = nested(EMU_MODE_LONG64, 0x7b);
    R(m, RDX) = 0x3f8;
    expect_exit(m, "ec", 0x7b, 0x3f8ull << 16 | 1u << 9 | 1u << 4 | 1, 0x401001);      /* in al, dx */
    expect_exit(m, "66e760", 0x7b, 0x60ull << 16 | 1u << 9 | 1u << 5, 0x401003);      /* out 0x60, ax */
    expect_exit(m, "f36f", 0x7b, 0x3f8ull << 16 | 1u << 9 | 1u << 6 | 1u << 3 | 1u << 2, 0x401002); /* rep outsd */
    expect_exit(m, "676c", 0x7b, 0x3f8ull << 16 | 1u << 8 | 1u << 4 | 1u << 2 | 1, 0x401002);       /* insb, 32-bit addr */
    machine_free(m);
}
END_TEST

/* IN/OUT: the IOPL / TSS-bitmap #GP comes before the IOIO intercept (APM 15.10.2). */
START_TEST(ioio_after_permission)
{
    struct machine *m = nested(EMU_MODE_LONG64, 0x7b);
    tm_set_cpl(m, 3); /* IOPL 0; the default TSS (limit 0x67) has no bitmap byte for port 0x3f8 */
    R(m, RDX) = 0x3f8;
    ck_exc(m, "ec", EMU_GP, 0);
    machine_free(m);
}
END_TEST

/* MSR (0x7C): after the CPL #GP, before the MSR's own #GP; EXITINFO1 0 = RDMSR, 1 = WRMSR. */
START_TEST(msr_exitinfo_and_order)
{
    struct machine *m = nested(EMU_MODE_LONG64, 0x7c);
    R(m, RCX) = 0x12345678; /* an MSR that does not exist: its #GP comes after the intercept */
    expect_exit(m, "0f32", 0x7c, 0, 0);
    ck_assert_uint_eq(m->ctx.result.intercept.msr, 0x12345678);
    expect_exit(m, "0f30", 0x7c, 1, 0);
    tm_set_cpl(m, 3);
    ck_exc(m, "0f32", EMU_GP, 0);
    machine_free(m);
}
END_TEST

/* PUSHF/POPF/INTn/IRET: the intercept precedes every exception: in v86 mode with IOPL < 3 and
 * no VME (which would be #GP) they exit. */
START_TEST(first_stage_intercepts_beat_exceptions)
{
    const struct { const char *hex; unsigned code; } cases[] = {
        { "9c", 0x70 }, { "9d", 0x71 }, { "cd21", 0x75 }, { "cf", 0x74 },
    };
    for (unsigned i = 0; i < 4; i++) {
        struct machine *m = nested(EMU_MODE_V86, cases[i].code);
        R(m, RSP) = 0x800;
        enum emu_status st = tm_run(m, cases[i].hex);
        ck_assert_msg(st == EMU_INTERCEPT, "%s: status %d", cases[i].hex, st);
        ck_assert_uint_eq(m->ctx.result.intercept.exit_code, cases[i].code);
        machine_intercept(m, cases[i].code, 0);
        ck_exc(m, cases[i].hex, EMU_GP, 0); /* and without the intercept, the #GP */
        machine_free(m);
    }
}
END_TEST

/* HLT, CPUID, RDTSC, PAUSE, WBINVD, INVD: the ordinary stage (after the CPL #GP where there is
 * one); next RIP in the intercept. */
START_TEST(ordinary_stage_intercepts)
{
    struct machine *m = nested(EMU_MODE_LONG64, 0x78);
    tm_set_cpl(m, 3);
    ck_exc(m, "f4", EMU_GP, 0); /* HLT at CPL 3: #GP, no exit */
    tm_set_cpl(m, 0);
    expect_exit(m, "f4", 0x78, 0, 0);
    ck_assert_uint_eq(m->ctx.result.intercept.next_rip, 0x401001);
    machine_intercept(m, 0x72, 1);
    expect_exit(m, "0fa2", 0x72, 0, 0);
    machine_intercept(m, 0x6e, 1);
    m->cr[4] |= EMU_CR4_TSD;
    tm_set_cpl(m, 3);
    ck_exc(m, "0f31", EMU_GP, 0); /* RDTSC with CR4.TSD at CPL 3: the #GP first */
    tm_set_cpl(m, 0);
    expect_exit(m, "0f31", 0x6e, 0, 0);
    machine_intercept(m, 0x77, 1);
    expect_exit(m, "f390", 0x77, 0, 0);
    machine_intercept(m, 0x89, 1);
    expect_exit(m, "0f09", 0x89, 0, 0);
    machine_intercept(m, 0x76, 1);
    expect_exit(m, "0f08", 0x76, 0, 0);
    machine_free(m);
}
END_TEST

/* XSETBV: the intercept comes before the CPL #GP (APM Table 15-7). */
START_TEST(xsetbv_intercept_before_gp)
{
    struct emu_config c = tm_cfg(EMU_VENDOR_AMD);
    emu_config_set_feature(&c, EMU_FEAT_XSAVE);
    c.nested = 1;
    struct machine *m = tm_new_cfg(EMU_MODE_LONG64, &c);
    m->cr[4] |= EMU_CR4_OSXSAVE;
    machine_intercept(m, 0x8d, 1);
    tm_set_cpl(m, 3);
    expect_exit(m, "0f01d1", 0x8d, 0, 0);
    machine_intercept(m, 0x8d, 0);
    ck_exc(m, "0f01d1", EMU_GP, 0);
    machine_free(m);
}
END_TEST

/* Descriptor-table reads and writes: SGDT 0x67, SIDT 0x66, LGDT 0x6B, LIDT 0x6A, SLDT 0x68,
 * STR 0x69, LLDT 0x6C, LTR 0x6D; the intercept comes before the memory operand's faults. */
START_TEST(descriptor_table_intercepts)
{
    struct machine *m = nested(EMU_MODE_LONG64, 0x67);
    machine_add_perm(m, 0x401000, 0x1000, "rx", 0);
    R(m, RBX) = 0x9000; /* unmapped: the access would #PF */
    expect_exit(m, "0f0103", 0x67, 0, 0);
    const struct { const char *hex; unsigned code; } cases[] = {
        { "0f010b", 0x66 }, { "0f0113", 0x6b }, { "0f011b", 0x6a },
        { "0f0003", 0x68 }, { "0f000b", 0x69 }, { "0f0013", 0x6c }, { "0f001b", 0x6d },
    };
    for (unsigned i = 0; i < 7; i++) {
        machine_intercept(m, cases[i].code, 1);
        expect_exit(m, cases[i].hex, cases[i].code, 0, 0);
    }
    machine_free(m);
}
END_TEST

/* VMX instructions reached through APX (INVEPT/INVVPID): #UD without VMX in CPUID. */
START_TEST(invept_without_vmx_is_ud)
{
    struct emu_config c = tm_cfg(EMU_VENDOR_INTEL);
    emu_config_set_feature(&c, EMU_FEAT_APX_F);
    struct machine *m = tm_new_cfg(EMU_MODE_LONG64, &c);
    m->xcr0 = 0x3 | EMU_XCR0_APX;
    ck_exc(m, "62f47e08f003", EMU_UD, 0); /* invept rax, [rbx] */
    emu_config_set_feature(&m->cfg, EMU_FEAT_VMX);
    machine_reset_ctx(m);
    ck_assert_int_eq(tm_run(m, "62f47e08f003"), EMU_UNHANDLED);
    machine_free(m);
}
END_TEST

static Suite *intercepts_suite(void)
{
    Suite *s = suite_create("intercepts");
    TCase *t = tcase_create("intercepts");
    tcase_add_test(t, ioio_exitinfo_layout);
    tcase_add_test(t, ioio_after_permission);
    tcase_add_test(t, msr_exitinfo_and_order);
    tcase_add_test(t, first_stage_intercepts_beat_exceptions);
    tcase_add_test(t, ordinary_stage_intercepts);
    tcase_add_test(t, xsetbv_intercept_before_gp);
    tcase_add_test(t, descriptor_table_intercepts);
    tcase_add_test(t, invept_without_vmx_is_ud);
    suite_add_tcase(s, t);
    return s;
}
REGISTER_SUITE(intercepts_suite)
