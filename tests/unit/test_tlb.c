/*
 * INVPCID (spec section 3, one test per rule), INVLPG, the RAP-clear events of section 2.3 that
 * come from them and from WRMSR, and the MSR/XCR0 checks the emulator owns.
 */
#include "harness.h"

#define INVPCID_RAX_RBX "660f388203" /* invpcid rax, [rbx] */

static struct machine *tlb_machine(enum emu_mode mode)
{
    struct emu_config c = tm_cfg(EMU_VENDOR_INTEL);
    emu_config_set_feature(&c, EMU_FEAT_PCID);
    emu_config_set_feature(&c, EMU_FEAT_INVPCID);
    emu_config_set_feature(&c, EMU_FEAT_XSAVE);
    struct machine *m = tm_new_cfg(mode, &c);
    R(m, RBX) = 0x3000;
    return m;
}

static void put_desc(struct machine *m, uint64_t lo, uint64_t addr)
{
    uint8_t b[16];
    for (int i = 0; i < 8; i++) b[i] = (uint8_t)(lo >> (8 * i));
    for (int i = 0; i < 8; i++) b[8 + i] = (uint8_t)(addr >> (8 * i));
    machine_poke(m, 0x3000, b, 16);
}

static unsigned count(const struct machine *m, unsigned type)
{
    unsigned n = 0;
    for (unsigned i = 0; i < m->nevents; i++) n += m->events[i].type == type;
    return n;
}

/* 3: #UD without CPUID INVPCID, with LOCK, for the register form. */
START_TEST(rule_3_ud_cases)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    ck_exc(m, INVPCID_RAX_RBX, EMU_UD, 0);
    machine_free(m);
    m = tlb_machine(EMU_MODE_LONG64);
    ck_exc(m, "f0" INVPCID_RAX_RBX, EMU_UD, 0);
    ck_exc(m, "660f3882c3", EMU_UD, 0); /* mod = 3 */
    machine_free(m);
}
END_TEST

/* 3: virtual-8086 mode is #GP(0), not #UD; CPL != 0 is #GP(0); real mode runs. */
START_TEST(rule_3_v86_cpl_real)
{
    struct machine *m = tlb_machine(EMU_MODE_V86);
    ck_exc(m, INVPCID_RAX_RBX, EMU_GP, 0);
    machine_free(m);
    m = tlb_machine(EMU_MODE_LONG64);
    tm_set_cpl(m, 3);
    ck_exc(m, INVPCID_RAX_RBX, EMU_GP, 0);
    machine_free(m);
    m = tlb_machine(EMU_MODE_REAL);
    R(m, RAX) = 2;
    put_desc(m, 0, 0);
    ck_ok(m, INVPCID_RAX_RBX);
    ck_assert_uint_eq(count(m, EMU_EV_TLB_FLUSH), 1);
    machine_free(m);
}
END_TEST

/* 3: the register operand is 64 bits in 64-bit mode (so 2^32+2 is an invalid type) and 32 bits
 * outside it (so the upper half is ignored). */
START_TEST(rule_3_register_operand_size)
{
    struct machine *m = tlb_machine(EMU_MODE_LONG64);
    put_desc(m, 0, 0);
    R(m, RAX) = (1ull << 32) | 2;
    ck_exc(m, INVPCID_RAX_RBX, EMU_GP, 0);
    machine_free(m);
    m = tlb_machine(EMU_MODE_PROT32);
    put_desc(m, 0, 0);
    R(m, RAX) = (1ull << 32) | 2;
    ck_ok(m, INVPCID_RAX_RBX);
    ck_assert_uint_eq(m->events[0].kind, EMU_TLB_INVPCID_ALL);
    machine_free(m);
}
END_TEST

/* 3: descriptor bits 63:12 are reserved (#GP), checked before the type; type > 3 is #GP. */
START_TEST(rule_3_reserved_then_type)
{
    struct machine *m = tlb_machine(EMU_MODE_LONG64);
    put_desc(m, 0x1000, 0);
    R(m, RAX) = 2;
    ck_exc(m, INVPCID_RAX_RBX, EMU_GP, 0);
    put_desc(m, 0, 0);
    R(m, RAX) = 4;
    ck_exc(m, INVPCID_RAX_RBX, EMU_GP, 0);
    machine_free(m);
}
END_TEST

/* 3: the memory operand is always read, even for types 2 and 3: an unmapped descriptor is #PF. */
START_TEST(rule_3_descriptor_always_read)
{
    struct machine *m = tlb_machine(EMU_MODE_LONG64);
    machine_add_perm(m, 0x401000, 0x1000, "rx", 0);
    R(m, RAX) = 2;
    ck_exc(m, INVPCID_RAX_RBX, EMU_PF, 0);
    ck_assert_uint_eq(m->ctx.result.exception.cr2, 0x3000);
    R(m, RAX) = 7; /* an invalid type still faults on the read first */
    ck_exc(m, INVPCID_RAX_RBX, EMU_PF, 0);
    machine_free(m);
}
END_TEST

/* 3: types 0 and 1 with PCIDE = 0 and PCID != 0 -> #GP. */
START_TEST(rule_3_pcid_without_pcide)
{
    struct machine *m = tlb_machine(EMU_MODE_LONG64);
    put_desc(m, 1, 0);
    for (uint64_t t = 0; t <= 1; t++) {
        R(m, RAX) = t;
        ck_exc(m, INVPCID_RAX_RBX, EMU_GP, 0);
    }
    m->cr[4] |= EMU_CR4_PCIDE;
    R(m, RAX) = 1;
    ck_ok(m, INVPCID_RAX_RBX);
    machine_free(m);
}
END_TEST

/* 3: type 0 with a non-canonical address -> #GP (LA57-aware). */
START_TEST(rule_3_type0_canonical)
{
    struct machine *m = tlb_machine(EMU_MODE_LONG64);
    put_desc(m, 0, 0x0000800000000000ull);
    R(m, RAX) = 0;
    ck_exc(m, INVPCID_RAX_RBX, EMU_GP, 0);
    put_desc(m, 0, 0xffff800000000000ull);
    ck_ok(m, INVPCID_RAX_RBX);
    machine_free(m);
}
END_TEST

/* 2.3 / 3: type 0 fires a TLB flush and no RAP clear; types 1, 2, 3 fire both. */
START_TEST(rule_2_3_invpcid_events)
{
    const unsigned kinds[4] = { EMU_TLB_INVPCID_ADDR, EMU_TLB_INVPCID_PCID, EMU_TLB_INVPCID_ALL,
                                EMU_TLB_INVPCID_NONGLOBAL };
    for (uint64_t t = 0; t < 4; t++) {
        struct machine *m = tlb_machine(EMU_MODE_LONG64);
        m->cr[4] |= EMU_CR4_PCIDE;
        put_desc(m, 5, 0x7000);
        R(m, RAX) = t;
        ck_ok(m, INVPCID_RAX_RBX);
        ck_assert_uint_eq(count(m, EMU_EV_TLB_FLUSH), 1);
        ck_assert_uint_eq(m->events[0].kind, kinds[t]);
        if (t == 0) ck_assert_uint_eq(m->events[0].addr, 0x7000);
        if (t <= 1) ck_assert_uint_eq(m->events[0].pcid, 5);
        ck_assert_uint_eq(m->events[0].global, t == 2);
        ck_assert_uint_eq(count(m, EMU_EV_RAP_CLEAR), t == 0 ? 0 : 1);
        if (t) ck_assert_uint_eq(m->events[1].reason, EMU_RAP_INVPCID);
        machine_free(m);
    }
}
END_TEST

/* 3 / 1.3: in an SVM guest the INVPCID intercept comes before the descriptor's #PF, with
 * EXITINFO1 = the operand's linear address and EXITINFO2 = the type; at CPL 3 it is #GP and no
 * exit. */
START_TEST(rule_3_svm_intercept_order)
{
    struct machine *m = tlb_machine(EMU_MODE_LONG64);
    m->cfg.nested = 1;
    machine_reset_ctx(m);
    machine_add_perm(m, 0x401000, 0x1000, "rx", 0);
    machine_intercept(m, 0xa2, 1);
    R(m, RAX) = 3;
    ck_assert_int_eq(tm_run(m, INVPCID_RAX_RBX), EMU_INTERCEPT);
    ck_assert_uint_eq(m->ctx.result.intercept.exit_code, 0xa2);
    ck_assert_uint_eq(m->ctx.result.intercept.info1, 0x3000);
    ck_assert_uint_eq(m->ctx.result.intercept.info2, 3);
    tm_set_cpl(m, 3);
    ck_exc(m, INVPCID_RAX_RBX, EMU_GP, 0);
    machine_free(m);
}
END_TEST

/* INVLPG: a flush of the linear address (after segmentation); not a RAP trigger; its
 * intercept (0x79) reports the linear address. */
START_TEST(invlpg_event_and_intercept)
{
    struct machine *m = tlb_machine(EMU_MODE_LONG64);
    m->segs[EMU_SEG_FS].base = 0x100000;
    ck_ok(m, "640f013b"); /* invlpg fs:[rbx] */
    ck_assert_uint_eq(m->nevents, 1);
    ck_assert_uint_eq(m->events[0].kind, EMU_TLB_INVLPG);
    ck_assert_uint_eq(m->events[0].addr, 0x103000);
    m->cfg.nested = 1;
    machine_reset_ctx(m);
    machine_intercept(m, 0x79, 1);
    ck_assert_int_eq(tm_run(m, "640f013b"), EMU_INTERCEPT);
    ck_assert_uint_eq(m->ctx.result.intercept.info1, 0x103000);
    tm_set_cpl(m, 3);
    ck_exc(m, "640f013b", EMU_GP, 0); /* CPL before the intercept */
    machine_free(m);
}
END_TEST

/* 2.3: WRMSR to an MTRR is an implicit TLB invalidation and clears the RAP; an MSR named in the
 * configuration's list clears the RAP (reason msr_write); an ordinary MSR does neither. */
START_TEST(rule_2_3_wrmsr_events)
{
    struct machine *m = tlb_machine(EMU_MODE_LONG64);
    machine_set_msr(m, 0x2ff, 0);
    machine_set_msr(m, 0xc0011020, 0);
    static const uint32_t extra[1] = { 0xc0011020 };
    m->cfg.rap_clear_msrs = extra;
    m->cfg.n_rap_clear_msrs = 1;
    machine_reset_ctx(m);
    R(m, RCX) = 0x2ff;
    R(m, RAX) = 0xc06;
    ck_ok(m, "0f30");
    ck_assert_uint_eq(machine_get_msr(m, 0x2ff, NULL), 0xc06);
    ck_assert_uint_eq(m->events[0].kind, EMU_TLB_IMPLICIT);
    ck_assert_uint_eq(m->events[0].reason, EMU_IMPL_MTRR);
    ck_assert_uint_eq(m->events[1].type, EMU_EV_RAP_CLEAR);
    m->nevents = 0;
    R(m, RCX) = 0xc0011020;
    ck_ok(m, "0f30");
    ck_assert_uint_eq(m->nevents, 1);
    ck_assert_uint_eq(m->events[0].reason, EMU_RAP_MSR_WRITE);
    m->nevents = 0;
    R(m, RCX) = EMU_MSR_STAR;
    ck_ok(m, "0f30");
    ck_assert_uint_eq(m->nevents, 0);
    machine_free(m);
}
END_TEST

/* EFER: reserved bits #GP; SVME on a model without SVM #GP; LME cannot change with paging on. */
START_TEST(rule_efer_checks)
{
    struct machine *m = tlb_machine(EMU_MODE_LONG64);
    R(m, RCX) = EMU_MSR_EFER;
    R(m, RDX) = 0;
    R(m, RAX) = EMU_EFER_LME | EMU_EFER_LMA | (1u << 5);
    ck_exc(m, "0f30", EMU_GP, 0);
    R(m, RAX) = EMU_EFER_LME | EMU_EFER_LMA | EMU_EFER_SVME;
    ck_exc(m, "0f30", EMU_GP, 0);
    R(m, RAX) = EMU_EFER_LMA; /* clearing LME with paging on */
    ck_exc(m, "0f30", EMU_GP, 0);
    R(m, RAX) = EMU_EFER_LME | EMU_EFER_NXE | EMU_EFER_SCE; /* LMA is kept (read-only) */
    ck_ok(m, "0f30");
    ck_assert_uint_eq(machine_get_msr(m, EMU_MSR_EFER, NULL), EMU_EFER_LME | EMU_EFER_LMA | EMU_EFER_NXE | EMU_EFER_SCE);
    machine_free(m);
}
END_TEST

/* RDMSR/WRMSR: CPL #GP, an unknown MSR #GP, a non-canonical LSTAR #GP. */
START_TEST(rule_msr_basic_faults)
{
    struct machine *m = tlb_machine(EMU_MODE_LONG64);
    R(m, RCX) = 0x12345;
    ck_exc(m, "0f32", EMU_GP, 0);
    R(m, RCX) = EMU_MSR_LSTAR;
    R(m, RDX) = 0x00008000;
    R(m, RAX) = 0;
    ck_exc(m, "0f30", EMU_GP, 0);
    R(m, RDX) = 0xffffffff;
    R(m, RAX) = 0x81000000;
    ck_ok(m, "0f30");
    ck_ok(m, "0f32");
    ck_assert_uint_eq(R(m, RDX), 0xffffffff);
    ck_assert_uint_eq(R(m, RAX), 0x81000000);
    tm_set_cpl(m, 3);
    ck_exc(m, "0f32", EMU_GP, 0);
    machine_free(m);
}
END_TEST

/* XSETBV: x87 must stay set, AVX needs SSE, APX (bit 19) only with APX_F and never with MPX;
 * ECX != 0 #GP; CR4.OSXSAVE = 0 #UD. */
START_TEST(rule_xsetbv_validity)
{
    struct machine *m = tlb_machine(EMU_MODE_LONG64);
    R(m, RCX) = 0;
    R(m, RDX) = 0;
    R(m, RAX) = 3;
    ck_exc(m, "0f01d1", EMU_UD, 0);
    m->cr[4] |= EMU_CR4_OSXSAVE;
    R(m, RAX) = 2;
    ck_exc(m, "0f01d1", EMU_GP, 0);
    R(m, RAX) = 1 | (1u << 19);
    ck_exc(m, "0f01d1", EMU_GP, 0);
    emu_config_set_feature(&m->cfg, EMU_FEAT_APX_F);
    machine_reset_ctx(m);
    ck_ok(m, "0f01d1");
    ck_assert_uint_eq(m->xcr0, 1 | (1u << 19));
    R(m, RAX) = 1 | (1u << 19) | (1u << 3);
    ck_exc(m, "0f01d1", EMU_GP, 0);
    R(m, RAX) = 3;
    R(m, RCX) = 1;
    ck_exc(m, "0f01d1", EMU_GP, 0);
    machine_free(m);
}
END_TEST

static Suite *tlb_suite(void)
{
    Suite *s = suite_create("tlb");
    TCase *t = tcase_create("tlb");
    tcase_add_test(t, rule_3_ud_cases);
    tcase_add_test(t, rule_3_v86_cpl_real);
    tcase_add_test(t, rule_3_register_operand_size);
    tcase_add_test(t, rule_3_reserved_then_type);
    tcase_add_test(t, rule_3_descriptor_always_read);
    tcase_add_test(t, rule_3_pcid_without_pcide);
    tcase_add_test(t, rule_3_type0_canonical);
    tcase_add_test(t, rule_2_3_invpcid_events);
    tcase_add_test(t, rule_3_svm_intercept_order);
    tcase_add_test(t, invlpg_event_and_intercept);
    tcase_add_test(t, rule_2_3_wrmsr_events);
    tcase_add_test(t, rule_efer_checks);
    tcase_add_test(t, rule_msr_basic_faults);
    tcase_add_test(t, rule_xsetbv_validity);
    suite_add_tcase(s, t);
    return s;
}
REGISTER_SUITE(tlb_suite)
