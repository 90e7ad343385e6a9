/*
 * Control and debug registers: every #GP/#UD rule of spec/svm-eraps-invpcid-cr.md section 4
 * (one test per rule, named after it), the implicit TLB invalidations of section 2.3 and their
 * RAP clears, and the CR/DR intercepts.
 */
#include "harness.h"

/* long64 at CPL 0 with PCID, SMEP, SMAP, PKU, LA57, UMIP, FSGSBASE, XSAVE enumerated */
static struct machine *cr_machine(enum emu_mode mode)
{
    struct emu_config c = tm_cfg(EMU_VENDOR_INTEL);
    const enum emu_feature f[] = { EMU_FEAT_PCID, EMU_FEAT_INVPCID, EMU_FEAT_SMEP, EMU_FEAT_SMAP,
                                   EMU_FEAT_PKU, EMU_FEAT_LA57, EMU_FEAT_UMIP, EMU_FEAT_XSAVE };
    for (unsigned i = 0; i < sizeof f / sizeof f[0]; i++) emu_config_set_feature(&c, f[i]);
    return tm_new_cfg(mode, &c);
}

static unsigned count_events(const struct machine *m, unsigned type)
{
    unsigned n = 0;
    for (unsigned i = 0; i < m->nevents; i++) n += m->events[i].type == type;
    return n;
}

static const struct emu_event *find_event(const struct machine *m, unsigned type)
{
    for (unsigned i = 0; i < m->nevents; i++)
        if (m->events[i].type == type) return &m->events[i];
    return NULL;
}

/* 4.1: CPL != 0 -> #GP(0); virtual-8086 mode -> #GP(0); reserved CRs -> #UD. */
START_TEST(rule_4_1_cpl_v86_reserved)
{
    struct machine *m = cr_machine(EMU_MODE_LONG64);
    tm_set_cpl(m, 3);
    ck_exc(m, "0f22d8", EMU_GP, 0); /* mov cr3, rax */
    ck_exc(m, "0f20c0", EMU_GP, 0); /* mov rax, cr0 */
    tm_set_cpl(m, 0);
    ck_exc(m, "0f22c8", EMU_UD, 0); /* cr1 */
    ck_exc(m, "0f22e8", EMU_UD, 0); /* cr5 */
    ck_exc(m, "440f22c8", EMU_UD, 0); /* cr9 */
    machine_free(m);
    m = cr_machine(EMU_MODE_V86);
    ck_exc(m, "0f20c0", EMU_GP, 0);
    machine_free(m);
}
END_TEST

/* 4.1: the operand is 64 bits in 64-bit mode whatever 66 says, 32 bits outside. */
START_TEST(rule_4_1_operand_size)
{
    struct machine *m = cr_machine(EMU_MODE_LONG64);
    m->cr[2] = 0x123456789abcdef0ull;
    ck_ok(m, "660f20d0"); /* mov rax, cr2 with 66: still 64 bits */
    ck_assert_uint_eq(R(m, RAX), 0x123456789abcdef0ull);
    machine_free(m);
    m = cr_machine(EMU_MODE_PROT32);
    m->cr[2] = 0xdeadbeef;
    R(m, RAX) = 0;
    ck_ok(m, "0f20d0");
    ck_assert_uint_eq(R(m, RAX), 0xdeadbeef);
    machine_free(m);
}
END_TEST

/* 4.2: PCIDE = 1 and bit 63: accepted, stored without bit 63, RAP cleared, no TLB flush. */
START_TEST(rule_4_2_cr3_noflush_bit)
{
    struct machine *m = cr_machine(EMU_MODE_LONG64);
    m->cr[4] |= EMU_CR4_PCIDE;
    R(m, RAX) = (1ull << 63) | 0x5000 | 7;
    ck_ok(m, "0f22d8");
    ck_assert_uint_eq(m->cr[3], 0x5007);
    ck_assert_uint_eq(count_events(m, EMU_EV_TLB_FLUSH), 0);
    ck_assert_uint_eq(count_events(m, EMU_EV_RAP_CLEAR), 1);
    ck_assert_uint_eq(find_event(m, EMU_EV_RAP_CLEAR)->reason, EMU_RAP_MOV_CR3);
    machine_free(m);
}
END_TEST

/* 4.2: without bit 63 the new PCID's non-global entries are flushed, and the RAP cleared. */
START_TEST(rule_4_2_cr3_flush_new_pcid)
{
    struct machine *m = cr_machine(EMU_MODE_LONG64);
    m->cr[4] |= EMU_CR4_PCIDE;
    R(m, RAX) = 0x6000 | 9;
    ck_ok(m, "0f22d8");
    const struct emu_event *e = find_event(m, EMU_EV_TLB_FLUSH);
    ck_assert_ptr_nonnull(e);
    ck_assert_uint_eq(e->kind, EMU_TLB_CR3);
    ck_assert_uint_eq(e->pcid, 9);
    ck_assert_uint_eq(e->global, 0);
    ck_assert_uint_eq(count_events(m, EMU_EV_RAP_CLEAR), 1);
    machine_free(m);
}
END_TEST

/* 4.2: PCIDE = 0 in long mode: bit 63 is reserved (#GP); bits at or above MAXPHYADDR too. */
START_TEST(rule_4_2_cr3_reserved_bits)
{
    struct machine *m = cr_machine(EMU_MODE_LONG64);
    R(m, RAX) = (1ull << 63) | 0x5000;
    ck_exc(m, "0f22d8", EMU_GP, 0);
    m->cfg.maxphyaddr = 36;
    machine_reset_ctx(m);
    R(m, RAX) = 1ull << 36;
    ck_exc(m, "0f22d8", EMU_GP, 0);
    R(m, RAX) = (1ull << 36) - 0x1000;
    ck_ok(m, "0f22d8");
    ck_assert_uint_eq(m->cr[3], (1ull << 36) - 0x1000);
    machine_free(m);
}
END_TEST

/* 4.3: CR0 bits 63:32 set -> #GP(0). */
START_TEST(rule_4_3_cr0_high_bits)
{
    struct machine *m = cr_machine(EMU_MODE_LONG64);
    R(m, RAX) = m->cr[0] | (1ull << 32);
    ck_exc(m, "0f22c0", EMU_GP, 0);
    machine_free(m);
}
END_TEST

/* 4.3: PG = 1 with PE = 0 -> #GP(0). */
START_TEST(rule_4_3_cr0_pg_without_pe)
{
    struct machine *m = cr_machine(EMU_MODE_REAL);
    R(m, RAX) = EMU_CR0_PG | EMU_CR0_ET;
    ck_exc(m, "660f22c0", EMU_GP, 0);
    machine_free(m);
}
END_TEST

/* 4.3: NW = 1 with CD = 0 -> #GP(0) by default; the AMD model flag makes NW ignored. */
START_TEST(rule_4_3_cr0_nw_without_cd)
{
    struct machine *m = cr_machine(EMU_MODE_PROT32);
    R(m, RAX) = m->cr[0] | EMU_CR0_NW;
    ck_exc(m, "0f22c0", EMU_GP, 0);
    m->cfg.model_flags |= EMU_MODEL_CR0_NW_IGNORED;
    machine_reset_ctx(m);
    ck_ok(m, "0f22c0");
    machine_free(m);
}
END_TEST

/* 4.3: clearing PG while CR4.PCIDE = 1 -> #GP(0) (in compatibility mode, where leaving long
 * mode is otherwise allowed). */
START_TEST(rule_4_3_cr0_clear_pg_with_pcide)
{
    struct machine *m = cr_machine(EMU_MODE_COMPAT32);
    m->cr[4] |= EMU_CR4_PCIDE;
    R(m, RAX) = m->cr[0] & ~(uint64_t)EMU_CR0_PG;
    ck_exc(m, "0f22c0", EMU_GP, 0);
    m->cr[4] &= ~(uint64_t)EMU_CR4_PCIDE;
    ck_ok(m, "0f22c0");
    /* leaving long mode clears EFER.LMA and is an implicit invalidation */
    ck_assert(!(machine_get_msr(m, EMU_MSR_EFER, NULL) & EMU_EFER_LMA));
    ck_assert_uint_eq(find_event(m, EMU_EV_TLB_FLUSH)->kind, EMU_TLB_IMPLICIT);
    ck_assert_uint_eq(count_events(m, EMU_EV_RAP_CLEAR), 1);
    machine_free(m);
}
END_TEST

/* 4.3: enabling PG with EFER.LME = 1 needs CR4.PAE; success activates long mode (LMA). */
START_TEST(rule_4_3_cr0_lme_needs_pae)
{
    struct machine *m = cr_machine(EMU_MODE_PROT32);
    machine_set_msr(m, EMU_MSR_EFER, EMU_EFER_LME);
    R(m, RAX) = m->cr[0] | EMU_CR0_PG;
    ck_exc(m, "0f22c0", EMU_GP, 0);
    m->cr[4] |= EMU_CR4_PAE;
    ck_ok(m, "0f22c0");
    ck_assert(machine_get_msr(m, EMU_MSR_EFER, NULL) & EMU_EFER_LMA);
    ck_assert(m->cr[0] & EMU_CR0_PG);
    const struct emu_event *e = find_event(m, EMU_EV_TLB_FLUSH);
    ck_assert_uint_eq(e->reason, EMU_IMPL_CR0_PG);
    ck_assert_uint_eq(e->global, 1);
    machine_free(m);
}
END_TEST

/* 4.3: clearing WP while CR4.CET = 1 -> #GP(0). */
START_TEST(rule_4_3_cr0_wp_with_cet)
{
    struct machine *m = cr_machine(EMU_MODE_LONG64);
    m->cr[0] |= EMU_CR0_WP;
    m->cr[4] |= EMU_CR4_CET;
    R(m, RAX) = m->cr[0] & ~(uint64_t)EMU_CR0_WP;
    ck_exc(m, "0f22c0", EMU_GP, 0);
    machine_free(m);
}
END_TEST

/* 4.3 / 5: clearing PG in 64-bit mode: #GP on Intel; on AMD no #GP (the CPU shuts down, which
 * the library reports as unhandled, changing nothing). */
START_TEST(rule_4_3_cr0_clear_pg_in_64bit_mode)
{
    struct machine *m = cr_machine(EMU_MODE_LONG64);
    R(m, RAX) = m->cr[0] & ~(uint64_t)EMU_CR0_PG;
    ck_exc(m, "0f22c0", EMU_GP, 0);
    m->cfg.vendor = EMU_VENDOR_AMD;
    machine_reset_ctx(m);
    ck_assert_int_eq(tm_run(m, "0f22c0"), EMU_UNHANDLED);
    ck_assert(m->cr[0] & EMU_CR0_PG);
    machine_free(m);
}
END_TEST

/* 4.4: a reserved CR4 bit, or one whose feature is not enumerated -> #GP(0). */
START_TEST(rule_4_4_cr4_reserved_and_unenumerated)
{
    struct machine *m = cr_machine(EMU_MODE_LONG64);
    R(m, RAX) = m->cr[4] | (1u << 15);
    ck_exc(m, "0f22e0", EMU_GP, 0);
    R(m, RAX) = m->cr[4] | EMU_CR4_CET; /* CET not enumerated */
    ck_exc(m, "0f22e0", EMU_GP, 0);
    R(m, RAX) = m->cr[4] | EMU_CR4_SMEP; /* enumerated */
    ck_ok(m, "0f22e0");
    machine_free(m);
}
END_TEST

/* 4.4: clearing PAE while EFER.LMA = 1 -> #GP(0). */
START_TEST(rule_4_4_cr4_clear_pae_in_long_mode)
{
    struct machine *m = cr_machine(EMU_MODE_LONG64);
    R(m, RAX) = m->cr[4] & ~(uint64_t)EMU_CR4_PAE;
    ck_exc(m, "0f22e0", EMU_GP, 0);
    machine_free(m);
}
END_TEST

/* 4.4: setting PCIDE outside long mode, or with CR3[11:0] != 0, or without CPUID PCID -> #GP. */
START_TEST(rule_4_4_cr4_pcide_rules)
{
    struct machine *m = cr_machine(EMU_MODE_PROT32);
    R(m, RAX) = m->cr[4] | EMU_CR4_PCIDE;
    ck_exc(m, "0f22e0", EMU_GP, 0);
    machine_free(m);
    m = cr_machine(EMU_MODE_LONG64);
    m->cr[3] = 0x5001;
    R(m, RAX) = m->cr[4] | EMU_CR4_PCIDE;
    ck_exc(m, "0f22e0", EMU_GP, 0);
    m->cr[3] = 0x5000;
    ck_ok(m, "0f22e0");
    ck_assert(m->cr[4] & EMU_CR4_PCIDE);
    ck_assert_uint_eq(count_events(m, EMU_EV_TLB_FLUSH), 0); /* PCIDE 0->1 needs no flush */
    machine_free(m);
    struct emu_config c = tm_cfg(EMU_VENDOR_INTEL);
    m = tm_new_cfg(EMU_MODE_LONG64, &c); /* no PCID in CPUID */
    R(m, RAX) = m->cr[4] | EMU_CR4_PCIDE;
    ck_exc(m, "0f22e0", EMU_GP, 0);
    machine_free(m);
}
END_TEST

/* 4.4: changing LA57 while LMA = 1 -> #GP(0). */
START_TEST(rule_4_4_cr4_la57_in_long_mode)
{
    struct machine *m = cr_machine(EMU_MODE_LONG64);
    R(m, RAX) = m->cr[4] | EMU_CR4_LA57;
    ck_exc(m, "0f22e0", EMU_GP, 0);
    machine_free(m);
}
END_TEST

/* 4.4: setting CET while CR0.WP = 0 -> #GP(0). */
START_TEST(rule_4_4_cr4_cet_without_wp)
{
    struct emu_config c = tm_cfg(EMU_VENDOR_INTEL);
    emu_config_set_feature(&c, EMU_FEAT_CET_SS);
    struct machine *m = tm_new_cfg(EMU_MODE_LONG64, &c);
    R(m, RAX) = m->cr[4] | EMU_CR4_CET;
    ck_exc(m, "0f22e0", EMU_GP, 0);
    m->cr[0] |= EMU_CR0_WP;
    ck_ok(m, "0f22e0");
    machine_free(m);
}
END_TEST

/* 2.3: implicit invalidations from CR4: PGE, PAE, PSE changes; PCIDE 1->0; PKE 0->1.  Each
 * fires one implicit TLB flush (globals included) and one RAP clear. */
START_TEST(rule_2_3_cr4_implicit_flushes)
{
    const struct { uint64_t from, to; unsigned reason; } cases[] = {
        { 0, EMU_CR4_PGE, EMU_IMPL_CR4_PGE },
        { EMU_CR4_PGE, 0, EMU_IMPL_CR4_PGE },
        { 0, EMU_CR4_PSE, EMU_IMPL_CR4_PSE },
        { EMU_CR4_PCIDE, 0, EMU_IMPL_CR4_PCIDE },
        { 0, EMU_CR4_PKE, EMU_IMPL_CR4_PKE },
    };
    for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct machine *m = cr_machine(EMU_MODE_LONG64);
        m->cr[4] = EMU_CR4_PAE | cases[i].from;
        R(m, RAX) = EMU_CR4_PAE | cases[i].to;
        ck_ok(m, "0f22e0");
        const struct emu_event *e = find_event(m, EMU_EV_TLB_FLUSH);
        ck_assert_ptr_nonnull(e);
        ck_assert_uint_eq(e->kind, EMU_TLB_IMPLICIT);
        ck_assert_uint_eq(e->reason, cases[i].reason);
        ck_assert_uint_eq(e->global, 1);
        ck_assert_uint_eq(count_events(m, EMU_EV_RAP_CLEAR), 1);
        ck_assert_uint_eq(find_event(m, EMU_EV_RAP_CLEAR)->reason, EMU_RAP_IMPLICIT);
        machine_free(m);
    }
    /* PKE 1->0 and a write that changes nothing: no invalidation */
    struct machine *m = cr_machine(EMU_MODE_LONG64);
    m->cr[4] = EMU_CR4_PAE | EMU_CR4_PKE;
    R(m, RAX) = EMU_CR4_PAE;
    ck_ok(m, "0f22e0");
    ck_assert_uint_eq(m->nevents, 0);
    machine_free(m);
}
END_TEST

/* 2.3: a change of CR0.PG flushes and clears the RAP; other CR0 changes do not. */
START_TEST(rule_2_3_cr0_pg_only)
{
    struct machine *m = cr_machine(EMU_MODE_PROT32);
    R(m, RAX) = m->cr[0] | EMU_CR0_TS | EMU_CR0_AM;
    ck_ok(m, "0f22c0");
    ck_assert_uint_eq(m->nevents, 0);
    machine_free(m);
}
END_TEST

/* CR8: bits 63:4 reserved. */
START_TEST(rule_cr8_reserved)
{
    struct machine *m = cr_machine(EMU_MODE_LONG64);
    R(m, RAX) = 0x10;
    ck_exc(m, "440f22c0", EMU_GP, 0); /* mov cr8, rax */
    R(m, RAX) = 0xf;
    ck_ok(m, "440f22c0");
    ck_assert_uint_eq(m->cr[8], 0xf);
    machine_free(m);
}
END_TEST

/* AMD's LOCK MOV CR0 is CR8 in 32-bit mode (CR8_LEGACY); without it LOCK is #UD. */
START_TEST(amd_lock_mov_cr0_is_cr8)
{
    struct machine *m = cr_machine(EMU_MODE_PROT32);
    R(m, RAX) = 3;
    ck_exc(m, "f00f22c0", EMU_UD, 0);
    emu_config_set_feature(&m->cfg, EMU_FEAT_CR8_LEGACY);
    machine_reset_ctx(m);
    ck_ok(m, "f00f22c0");
    ck_assert_uint_eq(m->cr[8], 3);
    machine_free(m);
}
END_TEST

/* SVM CR intercepts: value checks first, then the intercept; EXITINFO1 bit 63 + GPR number;
 * the selective CR0 write (0x65) only when a bit other than TS/MP changes. */
START_TEST(svm_cr_intercepts)
{
    struct machine *m = cr_machine(EMU_MODE_LONG64);
    m->cfg.nested = 1;
    machine_reset_ctx(m);
    machine_intercept(m, 0x13, 1);
    R(m, RBX) = (1ull << 63) | 0x5000; /* #GP (PCIDE=0): the exception wins over the intercept */
    ck_exc(m, "0f22db", EMU_GP, 0);
    R(m, RBX) = 0x5000;
    ck_assert_int_eq(tm_run(m, "0f22db"), EMU_INTERCEPT);
    ck_assert_uint_eq(m->ctx.result.intercept.exit_code, 0x13);
    ck_assert_uint_eq(m->ctx.result.intercept.info1, (1ull << 63) | 3);
    ck_assert_uint_eq(m->cr[3], 0); /* nothing written */
    machine_intercept(m, 0x65, 1);
    R(m, RAX) = m->cr[0] | EMU_CR0_TS;
    ck_ok(m, "0f22c0"); /* only TS changes: the selective intercept does not fire */
    R(m, RAX) = m->cr[0] | EMU_CR0_AM;
    ck_assert_int_eq(tm_run(m, "0f22c0"), EMU_INTERCEPT);
    ck_assert_uint_eq(m->ctx.result.intercept.exit_code, 0x65);
    machine_intercept(m, 0x10, 1); /* the non-selective intercept wins */
    ck_assert_int_eq(tm_run(m, "0f22c0"), EMU_INTERCEPT);
    ck_assert_uint_eq(m->ctx.result.intercept.exit_code, 0x10);
    ck_assert_int_eq(tm_run(m, "0f06"), EMU_INTERCEPT); /* CLTS: CR0 write, EXITINFO1 0 */
    ck_assert_uint_eq(m->ctx.result.intercept.info1, 0);
    machine_free(m);
}
END_TEST

/* DR: DR7.GD -> #DB; DR4/DR5 alias DR6/DR7 unless CR4.DE (#UD); DR6/DR7 bits 63:32 -> #GP. */
START_TEST(rules_debug_registers)
{
    struct machine *m = cr_machine(EMU_MODE_LONG64);
    R(m, RAX) = 0xf;
    ck_ok(m, "0f23e0"); /* mov dr4, rax -> DR6 */
    ck_assert_uint_eq(m->dr[6], 0xffff0fffull);
    m->cr[4] |= EMU_CR4_DE;
    ck_exc(m, "0f23e0", EMU_UD, 0);
    R(m, RAX) = 1ull << 32;
    ck_exc(m, "0f23f8", EMU_GP, 0); /* mov dr7, rax */
    R(m, RAX) = 0x1234;
    ck_ok(m, "0f23c0"); /* dr0 */
    ck_assert_uint_eq(m->dr[0], 0x1234);
    m->dr[7] |= 1u << 13;
    ck_exc(m, "0f21c0", EMU_DB, 0);
    tm_set_cpl(m, 3);
    ck_exc(m, "0f21c0", EMU_GP, 0); /* CPL before GD */
    machine_free(m);
}
END_TEST

/* UMIP: SMSW/SGDT/SIDT/SLDT/STR above CPL 0 -> #GP(0); at CPL 0 or without UMIP they work. */
START_TEST(rule_umip)
{
    struct machine *m = cr_machine(EMU_MODE_LONG64);
    tm_set_cpl(m, 3);
    R(m, RBX) = 0x2000;
    ck_ok(m, "0f01e0"); /* smsw eax without UMIP */
    ck_assert_uint_eq(R(m, RAX), m->cr[0] & 0xffffffff);
    m->cr[4] |= EMU_CR4_UMIP;
    ck_exc(m, "0f01e0", EMU_GP, 0);
    ck_exc(m, "0f0103", EMU_GP, 0); /* sgdt [rbx] */
    ck_exc(m, "0f000b", EMU_GP, 0); /* str [rbx] */
    tm_set_cpl(m, 0);
    m->dtr_base[EMU_DTR_GDTR] = 0xffff888000001000ull;
    m->dtr_limit[EMU_DTR_GDTR] = 0x7f;
    ck_ok(m, "0f0103");
    ck_assert_uint_eq(machine_peek64(m, 0x2000, 2), 0x7f);
    ck_assert_uint_eq(machine_peek64(m, 0x2002, 8), 0xffff888000001000ull);
    machine_free(m);
}
END_TEST

static Suite *cr_suite(void)
{
    Suite *s = suite_create("cr");
    TCase *t = tcase_create("cr");
    tcase_add_test(t, rule_4_1_cpl_v86_reserved);
    tcase_add_test(t, rule_4_1_operand_size);
    tcase_add_test(t, rule_4_2_cr3_noflush_bit);
    tcase_add_test(t, rule_4_2_cr3_flush_new_pcid);
    tcase_add_test(t, rule_4_2_cr3_reserved_bits);
    tcase_add_test(t, rule_4_3_cr0_high_bits);
    tcase_add_test(t, rule_4_3_cr0_pg_without_pe);
    tcase_add_test(t, rule_4_3_cr0_nw_without_cd);
    tcase_add_test(t, rule_4_3_cr0_clear_pg_with_pcide);
    tcase_add_test(t, rule_4_3_cr0_lme_needs_pae);
    tcase_add_test(t, rule_4_3_cr0_wp_with_cet);
    tcase_add_test(t, rule_4_3_cr0_clear_pg_in_64bit_mode);
    tcase_add_test(t, rule_4_4_cr4_reserved_and_unenumerated);
    tcase_add_test(t, rule_4_4_cr4_clear_pae_in_long_mode);
    tcase_add_test(t, rule_4_4_cr4_pcide_rules);
    tcase_add_test(t, rule_4_4_cr4_la57_in_long_mode);
    tcase_add_test(t, rule_4_4_cr4_cet_without_wp);
    tcase_add_test(t, rule_2_3_cr4_implicit_flushes);
    tcase_add_test(t, rule_2_3_cr0_pg_only);
    tcase_add_test(t, rule_cr8_reserved);
    tcase_add_test(t, amd_lock_mov_cr0_is_cr8);
    tcase_add_test(t, svm_cr_intercepts);
    tcase_add_test(t, rules_debug_registers);
    tcase_add_test(t, rule_umip);
    suite_add_tcase(s, t);
    return s;
}
REGISTER_SUITE(cr_suite)
