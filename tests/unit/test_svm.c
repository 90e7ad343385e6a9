/*
 * SVM instructions: the order of #UD, #GP(CPL), the rAX #GP and the nested intercept, one test
 * per cell of spec/svm-eraps-invpcid-cr.md table 1.3 and per rule of 1.2 and 1.4 (the test
 * names say which), plus execution (VMLOAD/VMSAVE state, GIF, INVLPGA, VMRUN, VMMCALL) and the
 * decode-only #GP classification.
 *
 * Where KVM's emulator orders differently (it checks CPL before EFER.SVME and rAX before
 * SVME: spec 1.7), the APM wins: APM Vol 2 15.4 (#UD when EFER.SVME = 0) and Table 15-7.
 */
#include "harness.h"

#define VMRUN "0f01d8"
#define VMMCALL "0f01d9"
#define VMLOAD "0f01da"
#define VMSAVE "0f01db"
#define STGI "0f01dc"
#define CLGI "0f01dd"
#define SKINIT "0f01de"
#define INVLPGA "0f01df"

/* An AMD vCPU with SVM, EFER.SVME = 1, CPL 0, in mode; nested with no intercepts yet. */
static struct machine *svm_machine(enum emu_mode mode, int svme)
{
    struct emu_config c = tm_cfg(EMU_VENDOR_AMD);
    emu_config_set_feature(&c, EMU_FEAT_SVM);
    c.nested = 1;
    struct machine *m = tm_new_cfg(mode, &c);
    uint64_t efer = machine_get_msr(m, EMU_MSR_EFER, NULL);
    machine_set_msr(m, EMU_MSR_EFER, svme ? efer | EMU_EFER_SVME : efer & ~(uint64_t)EMU_EFER_SVME);
    return m;
}

static void expect_exit(struct machine *m, const char *hex, uint64_t code)
{
    enum emu_status st = tm_run(m, hex);
    ck_assert_msg(st == EMU_INTERCEPT, "%s: expected #VMEXIT 0x%llx, got status %d (vector %u)", hex,
                  (unsigned long long)code, st, m->ctx.result.exception.vector);
    ck_assert_uint_eq(m->ctx.result.intercept.exit_code, code);
}

static const char *const rax_insns[3] = { VMRUN, VMLOAD, VMSAVE };
static const unsigned rax_exits[3] = { 0x80, 0x82, 0x83 };

/* 1.2: no SVM in CPUID (the Intel model) -> every SVM opcode is #UD. */
START_TEST(rule_1_2_no_svm_cpuid_is_ud)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    const char *all[8] = { VMRUN, VMMCALL, VMLOAD, VMSAVE, STGI, CLGI, SKINIT, INVLPGA };
    for (int i = 0; i < 8; i++) ck_exc(m, all[i], EMU_UD, 0);
    machine_free(m);
}
END_TEST

/* 1.2 + 1.7: VMRUN/VMLOAD/VMSAVE at CPL 3 with EFER.SVME = 0 is #UD, not #GP (KVM's emulator
 * gives #GP here; APM 15.4 and every other source give #UD). */
START_TEST(table_1_3_svme0_cpl3_is_ud_not_gp)
{
    struct machine *m = svm_machine(EMU_MODE_LONG64, 0);
    tm_set_cpl(m, 3);
    for (int i = 0; i < 3; i++) ck_exc(m, rax_insns[i], EMU_UD, 0);
    ck_exc(m, CLGI, EMU_UD, 0);
    ck_exc(m, INVLPGA, EMU_UD, 0);
    machine_free(m);
}
END_TEST

/* 1.2: real mode and virtual-8086 mode are #UD, even with SVME = 1 and CPL 0 (real). */
START_TEST(rule_1_2_real_and_v86_are_ud)
{
    const char *seven[7] = { VMRUN, VMLOAD, VMSAVE, STGI, CLGI, SKINIT, INVLPGA };
    for (int mode = 0; mode < 2; mode++) {
        struct machine *m = svm_machine(mode ? EMU_MODE_V86 : EMU_MODE_REAL, 1);
        emu_config_set_feature(&m->cfg, EMU_FEAT_SKINIT);
        machine_reset_ctx(m);
        for (int i = 0; i < 7; i++) ck_exc(m, seven[i], EMU_UD, 0);
        machine_free(m);
    }
}
END_TEST

/* Table 1.3: SVME = 1, CPL 3 -> #GP(0), and the intercept is not taken even if set. */
START_TEST(table_1_3_cpl3_gp_before_intercept)
{
    struct machine *m = svm_machine(EMU_MODE_LONG64, 1);
    tm_set_cpl(m, 3);
    for (int i = 0; i < 3; i++) {
        machine_intercept(m, rax_exits[i], 1);
        R(m, RAX) = 0x10000;
        ck_exc(m, rax_insns[i], EMU_GP, 0);
    }
    const char *others[4] = { STGI, CLGI, INVLPGA, SKINIT };
    const unsigned oexits[4] = { 0x84, 0x85, 0x7a, 0x86 };
    emu_config_set_feature(&m->cfg, EMU_FEAT_SKINIT);
    machine_reset_ctx(m);
    for (int i = 0; i < 4; i++) {
        machine_intercept(m, oexits[i], 1);
        ck_exc(m, others[i], EMU_GP, 0);
    }
    ck_assert_uint_eq(m->regs.rip, 0x401000);
    machine_free(m);
}
END_TEST

/* Table 1.3 / 1.4: with the intercept set, an unaligned rAX is #GP in the guest (no #VMEXIT),
 * an aligned one below MAXPHYADDR exits (0x80 / 0x82 / 0x83). */
START_TEST(table_1_3_rax_gp_before_intercept)
{
    struct machine *m = svm_machine(EMU_MODE_LONG64, 1);
    for (int i = 0; i < 3; i++) {
        machine_intercept(m, rax_exits[i], 1);
        R(m, RAX) = 0x10008;
        ck_exc(m, rax_insns[i], EMU_GP, 0);
        R(m, RAX) = 0x10000;
        expect_exit(m, rax_insns[i], rax_exits[i]);
        ck_assert_uint_eq(m->ctx.result.intercept.info1, 0);
        ck_assert_uint_eq(m->ctx.result.intercept.next_rip, 0x401003);
    }
    machine_free(m);
}
END_TEST

/* 1.4: the guest's MAXPHYADDR, never a hard-coded width: with MAXPHYADDR 36, rAX = 2^36 is
 * #GP and 2^36 - 4096 is fine. */
START_TEST(rule_1_4_maxphyaddr_36)
{
    struct machine *m = svm_machine(EMU_MODE_LONG64, 1);
    m->cfg.maxphyaddr = 36;
    machine_reset_ctx(m);
    machine_intercept(m, 0x82, 1);
    R(m, RAX) = 1ull << 36;
    ck_exc(m, VMLOAD, EMU_GP, 0);
    R(m, RAX) = (1ull << 36) - 0x1000;
    expect_exit(m, VMLOAD, 0x82);
    /* and with MAXPHYADDR 52 a 48-bit hard-coded mask would be wrong the other way */
    m->cfg.maxphyaddr = 52;
    machine_reset_ctx(m);
    R(m, RAX) = 1ull << 50;
    expect_exit(m, VMLOAD, 0x82);
    machine_free(m);
}
END_TEST

/* 1.4: rAX is taken at the effective address size: in 64-bit mode with 67, EAX only. */
START_TEST(rule_1_4_address_size_eax)
{
    struct machine *m = svm_machine(EMU_MODE_LONG64, 1);
    machine_intercept(m, 0x83, 1);
    R(m, RAX) = 0xffffffff00002000ull; /* as RAX: far above MAXPHYADDR */
    ck_exc(m, VMSAVE, EMU_GP, 0);
    expect_exit(m, "67" VMSAVE, 0x83);
    machine_free(m);
}
END_TEST

/* 1.4: with a 16-bit address size only AX is used: VMSAVE writes the VMCB at AX. */
START_TEST(rule_1_4_address_size_ax)
{
    struct machine *m = svm_machine(EMU_MODE_PROT32, 1);
    m->segs[EMU_SEG_FS].sel = 0x1234;
    R(m, RAX) = 0x12345000; /* AX = 0x5000 */
    ck_ok(m, "67" VMSAVE);
    ck_assert_uint_eq(machine_peek64(m, 0x5000 + 0x440, 2), 0x1234);
    ck_assert_uint_eq(machine_peek64(m, 0x12345000 + 0x440, 2), 0);
    machine_free(m);
}
END_TEST

/* 1.4: parts without SVME_ADDR_CHK raise #GP for an rAX in the SMM range before the intercept;
 * with SVME_ADDR_CHK the intercept comes first. */
START_TEST(rule_1_4_smm_range_order)
{
    struct machine *m = svm_machine(EMU_MODE_LONG64, 1);
    m->cfg.smm_base = 0x7f000000;
    m->cfg.smm_mask = 0xfff00000;
    machine_reset_ctx(m);
    machine_intercept(m, 0x82, 1);
    R(m, RAX) = 0x7f010000;
    ck_exc(m, VMLOAD, EMU_GP, 0);
    emu_config_set_feature(&m->cfg, EMU_FEAT_SVME_ADDR_CHK);
    machine_reset_ctx(m);
    expect_exit(m, VMLOAD, 0x82);
    machine_intercept(m, 0x82, 0);
    ck_exc(m, VMLOAD, EMU_GP, 0); /* not intercepted: the #GP comes after */
    machine_free(m);
}
END_TEST

/* Table 1.3: STGI, CLGI, SKINIT: #UD -> #GP(CPL) -> intercept 0x84 / 0x85 / 0x86. */
START_TEST(table_1_3_stgi_clgi_skinit_intercepts)
{
    struct machine *m = svm_machine(EMU_MODE_LONG64, 1);
    emu_config_set_feature(&m->cfg, EMU_FEAT_SKINIT);
    machine_reset_ctx(m);
    machine_intercept(m, 0x84, 1);
    machine_intercept(m, 0x85, 1);
    machine_intercept(m, 0x86, 1);
    expect_exit(m, STGI, 0x84);
    expect_exit(m, CLGI, 0x85);
    expect_exit(m, SKINIT, 0x86);
    machine_free(m);
}
END_TEST

/* 1.2: STGI and SKINIT run with SVME = 0 on SKINIT parts, STGI also on SVM-Lock parts; CLGI
 * never does. */
START_TEST(rule_1_2_stgi_skinit_svme_exemption)
{
    struct machine *m = svm_machine(EMU_MODE_LONG64, 0);
    ck_exc(m, STGI, EMU_UD, 0);
    ck_exc(m, SKINIT, EMU_UD, 0); /* no SKINIT feature at all */
    emu_config_set_feature(&m->cfg, EMU_FEAT_SVML);
    machine_reset_ctx(m);
    ck_ok(m, STGI);
    ck_exc(m, SKINIT, EMU_UD, 0);
    ck_exc(m, CLGI, EMU_UD, 0);
    emu_config_set_feature(&m->cfg, EMU_FEAT_SKINIT);
    machine_reset_ctx(m);
    machine_intercept(m, 0x86, 1);
    expect_exit(m, SKINIT, 0x86);
    machine_free(m);
}
END_TEST

/* Table 1.3: INVLPGA: #UD -> #GP(CPL) -> intercept 0x7A with EXITINFO1 not filled. */
START_TEST(table_1_3_invlpga)
{
    struct machine *m = svm_machine(EMU_MODE_LONG64, 1);
    R(m, RAX) = 0x7000;
    R(m, RCX) = 5;
    machine_intercept(m, 0x7a, 1);
    expect_exit(m, INVLPGA, 0x7a);
    ck_assert_uint_eq(m->ctx.result.intercept.info1, 0);
    machine_intercept(m, 0x7a, 0);
    ck_ok(m, INVLPGA);
    int found = 0;
    for (unsigned i = 0; i < m->nevents; i++)
        if (m->events[i].type == EMU_EV_TLB_FLUSH && m->events[i].kind == EMU_TLB_INVLPGA &&
            m->events[i].addr == 0x7000 && m->events[i].asid == 5)
            found = 1;
    ck_assert(found);
    machine_free(m);
}
END_TEST

/* Table 1.3: VMMCALL's intercept comes before every exception: intercepted at CPL 3 in real
 * mode it exits with 0x81 (no mode or CPL check, APM 15.18). */
START_TEST(table_1_3_vmmcall_intercept_first)
{
    struct machine *m = svm_machine(EMU_MODE_REAL, 1);
    machine_intercept(m, 0x81, 1);
    expect_exit(m, VMMCALL, 0x81);
    machine_free(m);
    m = svm_machine(EMU_MODE_LONG64, 0); /* SVME = 0 does not stop the intercept either */
    tm_set_cpl(m, 3);
    machine_intercept(m, 0x81, 1);
    expect_exit(m, VMMCALL, 0x81);
    ck_assert_uint_eq(m->ctx.result.intercept.next_rip, 0x401003);
    machine_free(m);
}
END_TEST

/* Table 1.3: VMMCALL not intercepted -> #UD on a bare CPU; the embedder's hypercall if it has
 * one. */
START_TEST(table_1_3_vmmcall_not_intercepted)
{
    struct machine *m = svm_machine(EMU_MODE_LONG64, 1);
    tm_set_cpl(m, 3);
    ck_exc(m, VMMCALL, EMU_UD, 0);
    m->hypercall_enabled = 1;
    machine_reset_ctx(m);
    ck_ok(m, VMMCALL);
    ck_assert_uint_eq(m->nhypercalls, 1);
    ck_assert_uint_eq(m->regs.rip, 0x401003);
    machine_free(m);
}
END_TEST

/* Spec 5: VMCALL is #UD on AMD; on Intel a guest's VMCALL goes to the hypervisor. */
START_TEST(rule_5_vmcall_by_vendor)
{
    struct machine *m = svm_machine(EMU_MODE_LONG64, 1);
    m->hypercall_enabled = 1;
    machine_reset_ctx(m);
    ck_exc(m, "0f01c1", EMU_UD, 0);
    machine_free(m);
    m = tm_new(EMU_MODE_LONG64);
    ck_exc(m, "0f01c1", EMU_UD, 0); /* no hypervisor behind it */
    m->hypercall_enabled = 1;
    machine_reset_ctx(m);
    ck_ok(m, "0f01c1");
    ck_assert_uint_eq(m->nhypercalls, 1);
    machine_free(m);
}
END_TEST

/* A nested #VMEXIT produced by the library clears the RAP (spec 2.2: the RAP does not tell L1
 * from L2), and so does VMRUN. */
START_TEST(eraps_nested_transitions_clear_rap)
{
    struct machine *m = svm_machine(EMU_MODE_LONG64, 1);
    machine_intercept(m, 0x80, 1);
    R(m, RAX) = 0x10000;
    expect_exit(m, VMRUN, 0x80);
    ck_assert_uint_eq(m->nevents, 1);
    ck_assert_uint_eq(m->events[0].type, EMU_EV_RAP_CLEAR);
    ck_assert_uint_eq(m->events[0].reason, EMU_RAP_NESTED_TRANSITION);
    m->nevents = 0;
    machine_intercept(m, 0x80, 0);
    ck_ok(m, VMRUN);
    int vmrun = 0, rap = 0;
    for (unsigned i = 0; i < m->nevents; i++) {
        if (m->events[i].type == EMU_EV_VMRUN && m->events[i].value == 0x10000) vmrun++;
        if (m->events[i].type == EMU_EV_RAP_CLEAR && m->events[i].reason == EMU_RAP_NESTED_TRANSITION) rap++;
    }
    ck_assert_int_eq(vmrun, 1);
    ck_assert_int_eq(rap, 1);
    machine_free(m);
}
END_TEST

START_TEST(stgi_clgi_gif_and_vgif)
{
    struct machine *m = svm_machine(EMU_MODE_LONG64, 1);
    ck_ok(m, CLGI);
    ck_assert_uint_eq(m->events[0].type, EMU_EV_GIF);
    ck_assert_uint_eq(m->events[0].value, 0);
    ck_assert_uint_eq(m->events[0].kind, 0);
    m->cfg.vgif = 1;
    machine_reset_ctx(m);
    ck_ok(m, STGI);
    ck_assert_uint_eq(m->events[1].value, 1);
    ck_assert_uint_eq(m->events[1].kind, 1); /* V_GIF */
    machine_free(m);
}
END_TEST

static void put_seg(struct machine *m, uint64_t vmcb, unsigned off, uint16_t sel, uint16_t attr,
                    uint32_t limit, uint64_t base)
{
    uint8_t b[16];
    for (int i = 0; i < 2; i++) b[i] = (uint8_t)(sel >> (8 * i));
    for (int i = 0; i < 2; i++) b[2 + i] = (uint8_t)(attr >> (8 * i));
    for (int i = 0; i < 4; i++) b[4 + i] = (uint8_t)(limit >> (8 * i));
    for (int i = 0; i < 8; i++) b[8 + i] = (uint8_t)(base >> (8 * i));
    machine_poke(m, vmcb + off, b, 16);
}

static void put_u64(struct machine *m, uint64_t addr, uint64_t v)
{
    uint8_t b[8];
    for (int i = 0; i < 8; i++) b[i] = (uint8_t)(v >> (8 * i));
    machine_poke(m, addr, b, 8);
}

/* Spec 1.8: VMSAVE then VMLOAD of a different VMCB round-trips FS/GS/TR/LDTR hidden state and
 * the MSRs through memory; a non-canonical base comes back canonical; AMD keeps SYSENTER_ESP
 * and SYSENTER_EIP 32-bit. */
START_TEST(vmsave_vmload_round_trip)
{
    struct machine *m = svm_machine(EMU_MODE_LONG64, 1);
    const uint64_t A = 0x10000, B = 0x20000;
    m->segs[EMU_SEG_FS] = (struct emu_segment){ 0x23, 0x0f3, 0xfffff, 0x7f0000001000ull };
    m->segs[EMU_SEG_GS] = (struct emu_segment){ 0x2b, 0x0f3, 0xffff, 0xffff888000000000ull };
    m->segs[EMU_SEG_TR] = (struct emu_segment){ 0x40, 0x08b, 0x67, 0xfffffe0000001000ull };
    m->segs[EMU_SEG_LDTR] = (struct emu_segment){ 0x50, 0x082, 0x1ff, 0x3000 };
    const uint32_t msrs[8] = { EMU_MSR_STAR, EMU_MSR_LSTAR, EMU_MSR_CSTAR, EMU_MSR_SFMASK,
                               EMU_MSR_KERNEL_GS_BASE, EMU_MSR_SYSENTER_CS, EMU_MSR_SYSENTER_ESP,
                               EMU_MSR_SYSENTER_EIP };
    const uint64_t vals[8] = { 0x0023001000000000ull, 0xffffffff81000000ull, 0xffffffff81000100ull,
                               0x47700, 0x7fff00001000ull, 0x10, 0x8000, 0x9000 };
    for (int i = 0; i < 8; i++) machine_set_msr(m, msrs[i], vals[i]);
    R(m, RAX) = A;
    ck_ok(m, VMSAVE);
    ck_assert_uint_eq(machine_peek64(m, A + 0x440, 2), 0x23);
    ck_assert_uint_eq(machine_peek64(m, A + 0x442, 2), 0x0f3);
    ck_assert_uint_eq(machine_peek64(m, A + 0x444, 4), 0xfffff);
    ck_assert_uint_eq(machine_peek64(m, A + 0x448, 8), 0x7f0000001000ull);
    ck_assert_uint_eq(machine_peek64(m, A + 0x498, 8), 0xfffffe0000001000ull);
    ck_assert_uint_eq(machine_peek64(m, A + 0x620, 8), 0x7fff00001000ull);
    ck_assert_uint_eq(machine_peek64(m, A + 0x638, 8), 0x9000);

    /* VMCB B: different state, with a non-canonical FS base and upper bits in SYSENTER_EIP */
    put_seg(m, B, 0x440, 0x33, 0x093, 0xffffffff, 0x0000800000001000ull);
    put_seg(m, B, 0x450, 0x3b, 0x093, 0xfff, 0x5000);
    put_seg(m, B, 0x470, 0x60, 0x082, 0xfff, 0x6000);
    put_seg(m, B, 0x490, 0x68, 0x08b, 0x2067, 0x7000);
    for (int i = 0; i < 8; i++) put_u64(m, B + 0x600 + 8 * (unsigned)i, 0x1111ull * (unsigned)(i + 1));
    put_u64(m, B + 0x638, 0xdead0000beef0000ull);
    R(m, RAX) = B;
    ck_ok(m, VMLOAD);
    ck_assert_uint_eq(m->segs[EMU_SEG_FS].sel, 0x33);
    ck_assert_uint_eq(m->segs[EMU_SEG_FS].base, 0xffff800000001000ull); /* canonical */
    ck_assert_uint_eq(m->segs[EMU_SEG_FS].limit, 0xffffffff);
    ck_assert_uint_eq(m->segs[EMU_SEG_GS].base, 0x5000);
    ck_assert_uint_eq(m->segs[EMU_SEG_LDTR].attr, 0x082);
    ck_assert_uint_eq(m->segs[EMU_SEG_TR].limit, 0x2067);
    ck_assert_uint_eq(machine_get_msr(m, EMU_MSR_STAR, NULL), 0x1111);
    ck_assert_uint_eq(machine_get_msr(m, EMU_MSR_SYSENTER_EIP, NULL), 0xbeef0000); /* AMD: 32 bits */

    /* and back: VMLOAD of A restores the first state exactly */
    R(m, RAX) = A;
    ck_ok(m, VMLOAD);
    ck_assert_uint_eq(m->segs[EMU_SEG_FS].base, 0x7f0000001000ull);
    ck_assert_uint_eq(m->segs[EMU_SEG_TR].base, 0xfffffe0000001000ull);
    ck_assert_uint_eq(m->segs[EMU_SEG_LDTR].limit, 0x1ff);
    for (int i = 0; i < 8; i++) ck_assert_uint_eq(machine_get_msr(m, msrs[i], NULL), vals[i]);
    machine_free(m);
}
END_TEST

/* A hypervisor that intercepted #GP: is it VMLOAD with an rAX valid for this guest? */
START_TEST(classify_gp_for_hypervisor)
{
    struct machine *m = svm_machine(EMU_MODE_LONG64, 1);
    m->cfg.maxphyaddr = 40;
    machine_reset_ctx(m);
    struct emu_svm_gp_info g;
    R(m, RAX) = 1ull << 39; /* valid for a 40-bit guest */
    uint8_t b[3] = { 0x0f, 0x01, 0xda };
    ck_assert_int_eq(emu_svm_classify_gp(&m->ctx, b, 3, &g), EMU_DEC_OK);
    ck_assert_uint_eq(g.is_svm_rax_insn, 1);
    ck_assert_uint_eq(g.exit_code, 0x82);
    ck_assert_uint_eq(g.rax_valid, 1);
    R(m, RAX) = 1ull << 40;
    emu_svm_classify_gp(&m->ctx, b, 3, &g);
    ck_assert_uint_eq(g.rax_valid, 0);
    uint8_t nop[1] = { 0x90 };
    emu_svm_classify_gp(&m->ctx, nop, 1, &g);
    ck_assert_uint_eq(g.is_svm_rax_insn, 0);
    ck_assert_uint_eq(m->regs.rip, 0x401000); /* nothing executed */
    machine_free(m);
}
END_TEST

static Suite *svm_suite(void)
{
    Suite *s = suite_create("svm");
    TCase *t = tcase_create("svm");
    tcase_add_test(t, rule_1_2_no_svm_cpuid_is_ud);
    tcase_add_test(t, table_1_3_svme0_cpl3_is_ud_not_gp);
    tcase_add_test(t, rule_1_2_real_and_v86_are_ud);
    tcase_add_test(t, table_1_3_cpl3_gp_before_intercept);
    tcase_add_test(t, table_1_3_rax_gp_before_intercept);
    tcase_add_test(t, rule_1_4_maxphyaddr_36);
    tcase_add_test(t, rule_1_4_address_size_eax);
    tcase_add_test(t, rule_1_4_address_size_ax);
    tcase_add_test(t, rule_1_4_smm_range_order);
    tcase_add_test(t, table_1_3_stgi_clgi_skinit_intercepts);
    tcase_add_test(t, rule_1_2_stgi_skinit_svme_exemption);
    tcase_add_test(t, table_1_3_invlpga);
    tcase_add_test(t, table_1_3_vmmcall_intercept_first);
    tcase_add_test(t, table_1_3_vmmcall_not_intercepted);
    tcase_add_test(t, rule_5_vmcall_by_vendor);
    tcase_add_test(t, eraps_nested_transitions_clear_rap);
    tcase_add_test(t, stgi_clgi_gif_and_vgif);
    tcase_add_test(t, vmsave_vmload_round_trip);
    tcase_add_test(t, classify_gp_for_hypervisor);
    suite_add_tcase(s, t);
    return s;
}
REGISTER_SUITE(svm_suite)
