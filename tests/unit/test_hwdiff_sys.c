/*
 * What `emulate hwdiff` found in the system family on an AMD Zen 3 (issue 6, after the system
 * instructions were merged): far-pointer reads, the order in which RETF and IRET read their
 * frame, #AC on RETF/IRET, ARPL's write, LOCK VERW, CALL far with REX.W, and the base of a
 * null segment.  Each test is one disagreement the engine now settles, with the other
 * vendor's answer where the two differ.
 */
#include "systest.h"

/* long64, paging by permissions: code at 0x401000 (user rx), GDT at 0x10000 (supervisor).
 * GDT: 1 0x08 code64 DPL0, 2 0x10 data DPL0, 5 0x2b data DPL3, 6 0x33 code64 DPL3.
 * cpl 3: CS 0x33, SS 0x2b. */
static struct machine *sys64(enum emu_vendor v, unsigned cpl)
{
    struct emu_config c = tm_cfg(v);
    struct machine *m = tm_new_cfg(EMU_MODE_LONG64, &c);
    machine_add_perm(m, 0x401000, 0x1000, "rx", 1);
    machine_add_perm(m, GDT_BASE, 0x1000, "rw", 0);
    sys_tables(m, 8);
    gdt_set(m, 1, 0, 0xfffff, A_CODE64);
    gdt_set(m, 2, 0, 0xfffff, A_DATA32);
    gdt_set(m, 5, 0, 0xfffff, A_DATA32 | DPL(3));
    gdt_set(m, 6, 0, 0xfffff, A_CODE64 | DPL(3));
    if (cpl == 3) {
        seg_load(m, EMU_SEG_CS, 0x33, 0, 0xffffffff, A_CODE64 | DPL(3));
        seg_load(m, EMU_SEG_SS, 0x2b, 0, 0xffffffff, A_DATA32 | DPL(3));
    } else {
        seg_load(m, EMU_SEG_CS, 0x08, 0, 0xffffffff, A_CODE64);
        seg_load(m, EMU_SEG_SS, 0x10, 0, 0xffffffff, A_DATA32);
    }
    return m;
}

/* sys64 at CPL 3 with a user stack page at 0x7000 (0x8000 and up are missing). */
static struct machine *user64(int amd_vendor)
{
    struct machine *m = sys64(amd_vendor ? EMU_VENDOR_AMD : EMU_VENDOR_INTEL, 3);
    machine_add_perm(m, 0x7000, 0x1000, "rw", 1);
    return m;
}

/* A 32-bit RETF frame (rIP, CS) at rsp, and RSP pointing at it. */
static void retf_frame(struct machine *m, uint64_t rsp, uint32_t rip, uint16_t cs)
{
    R(m, RSP) = rsp;
    poke(m, rsp, rip, 4);
    poke(m, rsp + 4, cs, 4);
}

#define CK_PF_AT(m, hex, ec, addr)                                                                 \
    do {                                                                                           \
        ck_exc(m, hex, EMU_PF, ec);                                                                \
        ck_assert_uint_eq((m)->ctx.result.exception.cr2, (addr));                                  \
    } while (0)

/* RETF reads CS before rIP on AMD, rIP first on Intel: a frame on an unmapped page faults on
 * the CS slot (AMD) or on the rIP slot (Intel). */
START_TEST(retf_reads_cs_slot_first_on_amd)
{
    for (int v = 0; v < 2; v++) {
        struct machine *m = user64(v);
        R(m, RSP) = 0x8000;
        CK_PF_AT(m, "cb", EMU_PF_U, v ? 0x8004 : 0x8000);
        /* the frame readable, the return possible: both retire */
        retf_frame(m, 0x7ff8, 0x401234, 0x33);
        ck_ok(m, "cb");
        ck_assert_uint_eq(m->regs.rip, 0x401234);
        ck_assert_uint_eq(R(m, RSP), 0x8000);
        machine_free(m);
    }
}
END_TEST

/* RETF to a CS with RPL < CPL: AMD reads the outer SS:rSP (SS first, after imm16) before it
 * checks the CS, so an unmapped outer frame is #PF there; Intel checks the RPL: #GP(sel). */
START_TEST(retf_reads_outer_frame_before_rpl_check_on_amd)
{
    for (int v = 0; v < 2; v++) {
        struct machine *m = user64(v);
        retf_frame(m, 0x7ff8, 0x401234, 0x08); /* RPL 0 */
        if (v) CK_PF_AT(m, "cb", EMU_PF_U, 0x8004);
        else ck_exc(m, "cb", EMU_GP, 0x08);
        /* with imm16 = 8 the SS slot moves by 8 */
        if (v) CK_PF_AT(m, "ca0800", EMU_PF_U, 0x800c);
        /* a readable outer frame: the RPL check, #GP(sel), on both */
        machine_add_perm(m, 0x8000, 0x1000, "rw", 1);
        ck_exc(m, "cb", EMU_GP, 0x08);
        machine_free(m);
    }
}
END_TEST

/* IRET reads its frame from rFLAGS down on AMD: an unmapped frame faults on the rFLAGS slot. */
START_TEST(iret_reads_rflags_slot_first_on_amd)
{
    for (int v = 0; v < 2; v++) {
        struct machine *m = user64(v);
        R(m, RSP) = 0x8000;
        CK_PF_AT(m, "48cf", EMU_PF_U, v ? 0x8010 : 0x8000);
        /* CS, rIP and rFLAGS readable, SS:rSP not: AMD reads SS (0x8020) before rSP, Intel
         * pops rSP (0x8018) first */
        R(m, RSP) = 0x7fe8;
        poke(m, 0x7fe8, 0x401234, 8);
        poke(m, 0x7ff0, 0x33, 8);
        poke(m, 0x7ff8, 0x202, 8);
        CK_PF_AT(m, "48cf", EMU_PF_U, v ? 0x8008 : 0x8000);
        machine_free(m);
    }
}
END_TEST

/* RETF and IRET at CPL 3 are alignment-checked (#AC(0) in both manuals' lists). */
START_TEST(retf_iret_alignment_check)
{
    for (int v = 0; v < 2; v++) {
        struct machine *m = user64(v);
        m->cr[0] |= EMU_CR0_AM;
        m->regs.rflags |= EMU_FLAG_AC;
        R(m, RSP) = 0x7f02;
        ck_exc(m, "cb", EMU_AC, 0);
        ck_exc(m, "48cf", EMU_AC, 0);
        /* without RFLAGS.AC the same frame is read (and the return checked) */
        m->regs.rflags &= ~(uint64_t)EMU_FLAG_AC;
        retf_frame(m, 0x7f02, 0x401234, 0x33);
        ck_ok(m, "cb");
        machine_free(m);
    }
}
END_TEST

/* A far pointer is two reads: the offset, then the selector.  An offset that ends at the last
 * canonical byte is read (and faults: a supervisor page) before the selector's non-canonical
 * address is looked at; alignment is the offset's size. */
START_TEST(far_pointer_is_two_reads)
{
    for (int v = 0; v < 2; v++) {
        struct machine *m = sys64(v ? EMU_VENDOR_AMD : EMU_VENDOR_INTEL, 3);
        machine_add_perm(m, 0x7ffffffff000ull, 0x1000, "rw", 0);
        machine_add_perm(m, 0x2000, 0x1000, "rw", 1);
        R(m, RSI) = 0x7ffffffffffcull;
        CK_PF_AT(m, "0fb406", EMU_PF_P | EMU_PF_U, 0x7ffffffffffcull); /* lfs eax, [rsi] */
        /* m16:16 at 2 mod 4 with AC: the 2-byte offset and the selector are each aligned */
        m->cr[0] |= EMU_CR0_AM;
        m->regs.rflags |= EMU_FLAG_AC;
        poke(m, 0x2002, 0x00001234, 4); /* offset 0x1234, selector 0 */
        m->segs[EMU_SEG_FS].base = 0;
        R(m, RSI) = 0x2002;
        ck_ok(m, "660fb406"); /* lfs ax, [rsi] */
        ck_assert_uint_eq(R(m, RAX) & 0xffff, 0x1234);
        ck_assert_uint_eq(m->segs[EMU_SEG_FS].sel, 0);
        R(m, RSI) = 0x2003;
        ck_exc(m, "660fb406", EMU_AC, 0);
        machine_free(m);
    }
}
END_TEST

/* CALL far m16:xx with REX.W: Intel reads m16:64; AMD reads m16:32 but pushes CS and RIP as
 * 8 bytes each. */
START_TEST(call_far_rexw_pushes_qwords_on_amd)
{
    for (int v = 0; v < 2; v++) {
        struct machine *m = sys64(v ? EMU_VENDOR_AMD : EMU_VENDOR_INTEL, 0);
        machine_add_perm(m, 0x2000, 0x1000, "rw", 0);
        machine_add_perm(m, 0x7000, 0x1000, "rw", 0);
        R(m, RSP) = 0x8000;
        R(m, RSI) = 0x2000;
        if (v) {
            poke(m, 0x2000, 0x00405000, 4);
            poke(m, 0x2004, 0x08, 2);
        } else {
            poke(m, 0x2000, 0x0000000000405000ull, 8);
            poke(m, 0x2008, 0x08, 2);
        }
        ck_ok(m, "48ff1e"); /* call far [rsi] */
        ck_assert_uint_eq(m->regs.rip, 0x405000);
        ck_assert_uint_eq(R(m, RSP), 0x7ff0);
        ck_assert_uint_eq(peek(m, 0x7ff8, 8), 0x08);
        ck_assert_uint_eq(peek(m, 0x7ff0, 8), 0x401003);
        machine_free(m);
    }
}
END_TEST

/* ARPL r/m16 writes only when it raises the RPL: ZF = 0 on a read-only page retires. */
START_TEST(arpl_writes_only_when_it_adjusts)
{
    struct emu_config c = tm_cfg(EMU_VENDOR_AMD);
    struct machine *m = tm_new_cfg(EMU_MODE_PROT32, &c);
    machine_add_perm(m, 0x401000, 0x1000, "rx", 1);
    machine_add_perm(m, 0x2000, 0x1000, "r", 1);
    tm_set_cpl(m, 3);
    poke(m, 0x2000, 0x0003, 2);
    R(m, RSI) = 0x2000;
    R(m, RAX) = 1;
    ck_ok(m, "6306"); /* arpl [esi], ax: RPL 3 >= 1 */
    ck_assert(!(FLAGS(m) & EMU_FLAG_ZF));
    poke(m, 0x2000, 0x0000, 2);
    R(m, RAX) = 3;
    ck_exc(m, "6306", EMU_PF, EMU_PF_P | EMU_PF_W | EMU_PF_U);
    /* straddling into an unmapped page: the read of the second page faults */
    R(m, RSI) = 0x2fff;
    ck_exc(m, "6306", EMU_PF, EMU_PF_U);
    ck_assert_uint_eq(m->ctx.result.exception.cr2, 0x3000);
    machine_free(m);
}
END_TEST

/* LOCK VERW m16 executes on AMD; #UD on Intel; the register form is #UD on both. */
START_TEST(lock_verw_memory_form_on_amd)
{
    for (int v = 0; v < 2; v++) {
        struct machine *m = sys64(v ? EMU_VENDOR_AMD : EMU_VENDOR_INTEL, 3);
        machine_add_perm(m, 0x2000, 0x1000, "rw", 1);
        poke(m, 0x2000, 0x2b, 2); /* the DPL 3 data segment: writable */
        R(m, RSI) = 0x2000;
        m->regs.rflags &= ~(uint64_t)EMU_FLAG_ZF;
        if (v) {
            ck_ok(m, "f00f002e");
            ck_assert(FLAGS(m) & EMU_FLAG_ZF);
        } else {
            ck_exc(m, "f00f002e", EMU_UD, 0);
        }
        ck_exc(m, "f00f00ee", EMU_UD, 0);
        ck_exc(m, "f00f0026", EMU_UD, 0); /* LOCK VERR */
        machine_free(m);
    }
}
END_TEST

/* A null selector in FS: Intel clears the base, AMD keeps it unless NullSelectorClearsBase
 * (CPUID 8000_0021h EAX[6]; Zen 3 clears it). */
START_TEST(null_selector_base_by_vendor)
{
    for (int v = 0; v < 3; v++) {
        struct emu_config c = tm_cfg(v ? EMU_VENDOR_AMD : EMU_VENDOR_INTEL);
        if (v == 2) emu_config_set_feature(&c, EMU_FEAT_NULL_SEL_CLR_BASE);
        struct machine *m = tm_new_cfg(EMU_MODE_LONG64, &c);
        tm_set_cpl(m, 3);
        m->segs[EMU_SEG_FS].base = 0x1000;
        R(m, RAX) = 0;
        ck_ok(m, "8ee0"); /* mov fs, eax */
        ck_assert_uint_eq(m->segs[EMU_SEG_FS].sel, 0);
        ck_assert_uint_eq(m->segs[EMU_SEG_FS].base, v == 1 ? 0x1000 : 0);
        machine_free(m);
    }
    ck_assert_int_eq(emu_feature_from_name("null_sel_clr_base"), EMU_FEAT_NULL_SEL_CLR_BASE);
}
END_TEST

/* user64 with a 32-bit user code segment 0x23 (compatibility mode) and, at RSI = 0x2000, the
 * far pointer 0x23:off. */
static struct machine *to_compat(int amd_vendor, uint32_t off)
{
    struct machine *m = user64(amd_vendor);
    gdt_set(m, 4, 0, 0xfffff, A_CODE32 | DPL(3));
    machine_add_perm(m, 0x2000, 0x1000, "rw", 1);
    poke(m, 0x2000, off, 4);
    poke(m, 0x2004, 0x23, 2);
    R(m, RSI) = 0x2000;
    return m;
}

/* CALL far from 64-bit mode to a compatibility-mode segment: AMD pushes through ESP (wrapped,
 * zero-extended back into RSP), Intel through RSP. */
START_TEST(call_far_to_compat_pushes_through_esp_on_amd)
{
    for (int v = 0; v < 2; v++) {
        struct machine *m = to_compat(v, 0x00401234);
        R(m, RSP) = 0x0000000100008000ull;
        if (v) {
            ck_ok(m, "ff1e"); /* call far [rsi] (m16:32) */
            ck_assert_uint_eq(R(m, RSP), 0x7ff8);
            ck_assert_uint_eq(peek(m, 0x7ffc, 4), 0x33);
            ck_assert_uint_eq(peek(m, 0x7ff8, 4), 0x401002);
            ck_assert_uint_eq(m->segs[EMU_SEG_CS].sel, 0x23);
            ck_assert_uint_eq(m->regs.rip, 0x401234);
        } else {
            ck_exc(m, "ff1e", EMU_PF, EMU_PF_W | EMU_PF_U);
            ck_assert_uint_eq(m->ctx.result.exception.cr2 >> 32, 1);
        }
        /* a non-canonical RSP: #SS on Intel; AMD wraps it (0x10 - 4 here, unmapped: #PF) */
        m->regs.rip = 0x401000;
        seg_load(m, EMU_SEG_CS, 0x33, 0, 0xffffffff, A_CODE64 | DPL(3));
        R(m, RSP) = 0x8000000000000010ull;
        if (v) {
            ck_exc(m, "ff1e", EMU_PF, EMU_PF_W | EMU_PF_U);
            ck_assert_uint_eq(m->ctx.result.exception.cr2, 0xc);
        } else {
            ck_exc(m, "ff1e", EMU_SS, 0);
        }
        machine_free(m);
    }
}
END_TEST

/* Into a compatibility-mode segment from 64-bit mode, AMD leaves RSP[63:32] zero (JMP far
 * here, IRETQ with the RSP it pops); Intel keeps RSP. */
START_TEST(compat_entry_clears_rsp_high_on_amd)
{
    for (int v = 0; v < 2; v++) {
        struct machine *m = to_compat(v, 0x1234);
        R(m, RSP) = 0x8000000000000010ull;
        R(m, RCX) = 0xdeadbeefcafe0001ull;
        ck_ok(m, "ff2e"); /* jmp far [rsi] (m16:32) */
        ck_assert_uint_eq(m->segs[EMU_SEG_CS].sel, 0x23);
        ck_assert_uint_eq(R(m, RSP), v ? 0x10 : 0x8000000000000010ull);
        ck_assert_uint_eq(R(m, RCX), 0xdeadbeefcafe0001ull); /* the others are kept */
        /* IRETQ from 64-bit mode to 0x23 popping RSP = 0x8000000000000010 */
        m->regs.rip = 0x401000;
        seg_load(m, EMU_SEG_CS, 0x33, 0, 0xffffffff, A_CODE64 | DPL(3));
        R(m, RSP) = 0x7f00;
        const uint64_t frame[5] = { 0x1234, 0x23, 0x202, 0x8000000000000010ull, 0x2b };
        for (unsigned i = 0; i < 5; i++) poke(m, 0x7f00 + 8 * i, frame[i], 8);
        ck_ok(m, "48cf");
        ck_assert_uint_eq(m->segs[EMU_SEG_CS].sel, 0x23);
        ck_assert_uint_eq(R(m, RSP), v ? 0x10 : 0x8000000000000010ull);
        machine_free(m);
    }
}
END_TEST

static Suite *hwdiff_sys_suite(void)
{
    Suite *s = suite_create("hwdiff_sys");
    TCase *t = tcase_create("findings");
    tcase_add_test(t, retf_reads_cs_slot_first_on_amd);
    tcase_add_test(t, compat_entry_clears_rsp_high_on_amd);
    tcase_add_test(t, retf_reads_outer_frame_before_rpl_check_on_amd);
    tcase_add_test(t, iret_reads_rflags_slot_first_on_amd);
    tcase_add_test(t, retf_iret_alignment_check);
    tcase_add_test(t, far_pointer_is_two_reads);
    tcase_add_test(t, call_far_rexw_pushes_qwords_on_amd);
    tcase_add_test(t, arpl_writes_only_when_it_adjusts);
    tcase_add_test(t, lock_verw_memory_form_on_amd);
    tcase_add_test(t, null_selector_base_by_vendor);
    tcase_add_test(t, call_far_to_compat_pushes_through_esp_on_amd);
    suite_add_tcase(s, t);
    return s;
}
REGISTER_SUITE(hwdiff_sys_suite)
