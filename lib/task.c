/*
 * Hardware task switch (legacy protected mode): JMP/CALL to a TSS or a task gate, IRET with
 * NT = 1, and event delivery through a task gate (lib/deliver.c).
 *
 * The switch has a commit point, as the SDM describes (7.3, Table 7-1): the checks on the new
 * TSS come first and fault with nothing changed; then the old state is saved, the busy bits and
 * the back link are written, TR, CR0.TS, CR3, EFLAGS, EIP and the general registers are loaded.
 * That part is committed mid-instruction (as REP iterations are), because the faults that
 * follow -- the checks of the new LDTR, CS, SS, DS, ES, FS and GS -- belong to the new task:
 * they are reported with the new task's state already in place (RIP = its first instruction).
 * Segment registers that were not validated when such a fault hits hold their new selector with
 * an unusable cache (attr.P = 0; CS and SS keep DPL = the new CPL so that CPL = SS.DPL holds).
 *
 * CR3 is loaded only from a 32-bit TSS with paging on (as Bochs does).  That load fires a TLB
 * flush (kind EMU_TLB_CR3, reason EMU_IMPL_TASK_SWITCH) and a RAP clear with reason
 * EMU_RAP_TASK_SWITCH: spec 2.3 lists the task-switch CR3 load as unconfirmed and recommends
 * clearing, because an extra clear is harmless and a missed one is a security bug.  The PAE
 * PDPTE reload a legacy-PAE task switch implies is not modelled.
 *
 * In a nested guest the TASK_SWITCH intercept (exit 0x7D) is checked before any of it:
 * EXITINFO1 = the new TSS selector; EXITINFO2 bit 36 = IRET, bit 38 = JMP, bit 44 = an error
 * code follows in bits 31:0 (APM 15.14.3).
 */
#include "internal.h"

static uint32_t desc_limit(const uint8_t *b)
{
    uint32_t limit = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)(b[6] & 15) << 16;
    return (b[6] & 0x80) ? (limit << 12) | 0xfff : limit;
}

static uint64_t desc_base(const uint8_t *b)
{
    return (uint64_t)b[2] | (uint64_t)b[3] << 8 | (uint64_t)b[4] << 16 | (uint64_t)b[7] << 24;
}

/* A fault after the commit point: commit what was validated so far, report the fault. */
static enum emu_status late_fault(struct emu_ctx *ctx)
{
    const struct emu_exception e = ctx->result.exception;
    TRY(emu_commit(ctx));
    ctx->result.exception = e;
    return EMU_EXCEPTION;
}

/* The checks of the new task's segments (after the commit point).  cpl = CS.RPL. */
static enum emu_status load_ldtr(struct emu_ctx *ctx, uint16_t sel, unsigned ext)
{
    struct emu_desc d;
    struct emu_segment nv;
    if ((sel & ~3u) == 0) return EMU_OK; /* stays unusable */
    if (sel & 4) return emu_sel_fault(ctx, EMU_TS, sel, ext);
    TRY(emu_fetch_desc(ctx, sel, &d, EMU_TS, ext));
    if (d.s || d.type != 2) return emu_sel_fault(ctx, EMU_TS, sel, ext);
    if (!d.p) return emu_sel_fault(ctx, EMU_TS, sel, ext);
    emu_desc_to_seg(d.b, sel, &nv);
    emu_seg_set_now(ctx, EMU_SEG_LDTR, &nv);
    return EMU_OK;
}

static enum emu_status load_cs(struct emu_ctx *ctx, uint16_t sel, unsigned ext)
{
    struct emu_desc d;
    struct emu_segment nv;
    const unsigned rpl = sel & 3u;
    if ((sel & ~3u) == 0) return emu_sel_fault(ctx, EMU_TS, sel, ext);
    TRY(emu_fetch_desc(ctx, sel, &d, EMU_TS, ext));
    if (!d.s || !(d.type & 8)) return emu_sel_fault(ctx, EMU_TS, sel, ext);
    if ((d.type & 4) ? d.dpl > rpl : d.dpl != rpl) return emu_sel_fault(ctx, EMU_TS, sel, ext);
    if (!d.p) return emu_sel_fault(ctx, EMU_NP, sel, ext);
    TRY(emu_set_accessed(ctx, &d));
    emu_desc_to_seg(d.b, sel, &nv);
    emu_seg_set_now(ctx, EMU_SEG_CS, &nv);
    return EMU_OK;
}

static enum emu_status load_ss(struct emu_ctx *ctx, uint16_t sel, unsigned cpl, unsigned ext)
{
    struct emu_desc d;
    struct emu_segment nv;
    if ((sel & ~3u) == 0) return emu_sel_fault(ctx, EMU_TS, sel, ext);
    TRY(emu_fetch_desc(ctx, sel, &d, EMU_TS, ext));
    if ((sel & 3u) != cpl || !d.s || (d.type & 8) || !(d.type & 2) || d.dpl != cpl)
        return emu_sel_fault(ctx, EMU_TS, sel, ext);
    if (!d.p) return emu_sel_fault(ctx, EMU_SS, sel, ext);
    TRY(emu_set_accessed(ctx, &d));
    emu_desc_to_seg(d.b, sel, &nv);
    emu_seg_set_now(ctx, EMU_SEG_SS, &nv);
    return EMU_OK;
}

static enum emu_status load_data(struct emu_ctx *ctx, unsigned seg, uint16_t sel, unsigned cpl, unsigned ext)
{
    struct emu_desc d;
    struct emu_segment nv;
    if ((sel & ~3u) == 0) return EMU_OK; /* null: stays unusable */
    TRY(emu_fetch_desc(ctx, sel, &d, EMU_TS, ext));
    const int code = (d.type & 8) != 0;
    if (!d.s || (code && !(d.type & 2))) return emu_sel_fault(ctx, EMU_TS, sel, ext);
    if ((!code || !(d.type & 4)) && (d.dpl < cpl || d.dpl < (sel & 3u)))
        return emu_sel_fault(ctx, EMU_TS, sel, ext);
    if (!d.p) return emu_sel_fault(ctx, EMU_NP, sel, ext);
    TRY(emu_set_accessed(ctx, &d));
    emu_desc_to_seg(d.b, sel, &nv);
    emu_seg_set_now(ctx, seg, &nv);
    return EMU_OK;
}

/* Everything after the commit point. */
static enum emu_status new_task_segments(struct emu_ctx *ctx, const uint16_t sel[6], uint16_t ldt, int v86,
                                         int n32, int has_ec, uint32_t ec, unsigned ext)
{
    TRY(load_ldtr(ctx, ldt, ext));
    if (!v86) {
        const unsigned cpl = sel[EMU_SEG_CS] & 3u;
        TRY(load_cs(ctx, sel[EMU_SEG_CS], ext));
        TRY(load_ss(ctx, sel[EMU_SEG_SS], cpl, ext));
        static const uint8_t data[4] = { EMU_SEG_ES, EMU_SEG_DS, EMU_SEG_FS, EMU_SEG_GS };
        for (unsigned i = 0; i < 4; i++) TRY(load_data(ctx, data[i], sel[data[i]], cpl, ext));
        TRY(emu_compute_mode(ctx));
    }
    if (has_ec) {
        /* The error code of an exception delivered through a task gate goes on the new
         * task's stack: #SS(EXT) if it does not fit. */
        struct emu_stk k;
        TRY(emu_stk_current(ctx, &k));
        k.ec = (uint16_t)ext;
        TRY(emu_stk_push(ctx, &k, ec, n32 ? 4 : 2));
        emu_gpr_write(ctx, EMU_RSP, k.sp);
    }
    return EMU_OK;
}

enum emu_status emu_task_switch(struct emu_ctx *ctx, unsigned kind, struct emu_desc *nd, uint64_t ret_rip,
                                int has_ec, uint32_t ec, unsigned ext)
{
    struct emu_scratch *s = &ctx->s;
    const struct emu_segment *tr;
    TRY(emu_get_seg(ctx, EMU_SEG_TR, &tr));
    const struct emu_segment otr = *tr;

    /* Nested guests: the intercept precedes every check of the switch itself. */
    uint64_t info2 = (kind == EMU_TS_IRET ? 1ull << 36 : 0) | (kind == EMU_TS_JMP ? 1ull << 38 : 0);
    if (has_ec) info2 |= (1ull << 44) | ec;
    TRY(emu_intercept(ctx, 0x7d, nd->sel, info2));

    /* Limits: new TSS (#TS(new)), then the old one, which must hold the state we save
     * (#TS(old); the bounds are Bochs': 5Fh / 29h, the last byte written). */
    const int n32 = (nd->type & 8) != 0, o32 = (otr.attr & 8) != 0;
    if (desc_limit(nd->b) < (n32 ? 0x67u : 0x2bu)) return emu_sel_fault(ctx, EMU_TS, nd->sel, ext);
    if (otr.limit < (o32 ? 0x5fu : 0x29u)) return emu_sel_fault(ctx, EMU_TS, otr.sel, ext);

    /* Read the whole new image before anything changes. */
    const uint64_t nbase = desc_base(nd->b);
    uint8_t img[0x68];
    TRY(emu_read_sys(ctx, nbase, img, n32 ? 0x68 : 0x2c));

    /* Save the current state in the old TSS (the reserved upper halves of the selector slots
     * are written back as they were). */
    uint8_t old[0x40];
    const uint64_t obase = otr.base & 0xffffffffull;
    uint64_t oflags = s->rflags;
    if (kind == EMU_TS_IRET) oflags &= ~(uint64_t)EMU_FLAG_NT;
    static const uint8_t segorder[6] = { EMU_SEG_ES, EMU_SEG_CS, EMU_SEG_SS, EMU_SEG_DS, EMU_SEG_FS, EMU_SEG_GS };
    /* One layout in slots of w bytes: rIP, rFLAGS, the eight GPRs, then the selectors (six
     * in a 32-bit TSS from offset 0x20, four in a 16-bit one from offset 0x0e). */
    const unsigned w = o32 ? 4 : 2, nsegs = o32 ? 6 : 4, at = o32 ? 0x20 : 0x0e, len = 10 * w + nsegs * w;
    if (o32) TRY(emu_read_sys(ctx, obase + at, old, len));
    emu_store_le(old, ret_rip, w);
    emu_store_le(old + w, oflags, w);
    for (unsigned r = 0; r < 8; r++) emu_store_le(old + 2 * w + w * r, emu_gpr_cur(ctx, r), w);
    for (unsigned i = 0; i < nsegs; i++) {
        const struct emu_segment *sr;
        TRY(emu_get_seg(ctx, segorder[i], &sr));
        emu_store_le(old + 10 * w + w * i, sr->sel, 2);
    }
    TRY(emu_write_sys(ctx, obase + at, old, len));

    /* Busy bits and the back link. */
    if (kind == EMU_TS_JMP || kind == EMU_TS_IRET) {
        struct emu_desc od;
        TRY(emu_fetch_desc(ctx, otr.sel, &od, EMU_TS, ext));
        const uint8_t b = (uint8_t)(od.b[5] & ~2u);
        TRY(emu_write_sys(ctx, od.addr + 5, &b, 1));
    }
    uint8_t link[2];
    emu_store_le(link, otr.sel, 2);
    if (kind == EMU_TS_CALL || kind == EMU_TS_INT) TRY(emu_write_sys(ctx, nbase, link, 2));
    nd->b[5] |= 2;
    if (kind != EMU_TS_IRET) TRY(emu_write_sys(ctx, nd->addr + 5, &nd->b[5], 1));

    /* The new state. */
    uint16_t sel[6], ldt;
    uint64_t eip, fl, cr3 = 0;
    int tbit = 0;
    if (n32) {
        cr3 = emu_load_le(img + 0x1c, 4);
        eip = emu_load_le(img + 0x20, 4);
        fl = emu_load_le(img + 0x24, 4);
        for (unsigned r = 0; r < 8; r++) emu_gpr_write(ctx, r, emu_load_le(img + 0x28 + 4 * r, 4));
        for (unsigned i = 0; i < 6; i++) sel[segorder[i]] = (uint16_t)emu_load_le(img + 0x48 + 4 * i, 2);
        ldt = (uint16_t)emu_load_le(img + 0x60, 2);
        tbit = img[0x64] & 1;
    } else {
        /* A 16-bit TSS: the upper words of the general registers read as FFFFh, EFLAGS and
         * EIP are zero-extended, FS and GS become null (Bochs' model of the 286 format). */
        eip = emu_load_le(img + 0x0e, 2);
        fl = emu_load_le(img + 0x10, 2);
        for (unsigned r = 0; r < 8; r++) emu_gpr_write(ctx, r, 0xffff0000ull | emu_load_le(img + 0x12 + 2 * r, 2));
        for (unsigned i = 0; i < 4; i++) sel[segorder[i]] = (uint16_t)emu_load_le(img + 0x22 + 2 * i, 2);
        sel[EMU_SEG_FS] = sel[EMU_SEG_GS] = 0;
        ldt = (uint16_t)emu_load_le(img + 0x2a, 2);
    }
    fl = (fl & 0x3f7fd7) | 2; /* defined bits only */
    if (kind == EMU_TS_CALL || kind == EMU_TS_INT) fl |= EMU_FLAG_NT;
    const int v86 = n32 && (fl & EMU_FLAG_VM);

    struct emu_segment nv;
    emu_desc_to_seg(nd->b, nd->sel, &nv);
    emu_seg_set_now(ctx, EMU_SEG_TR, &nv);
    for (unsigned i = 0; i < 6; i++) {
        __builtin_memset(&nv, 0, sizeof nv);
        nv.sel = sel[i];
        if (v86) {
            nv.base = (uint64_t)sel[i] << 4;
            nv.limit = 0xffff;
            nv.attr = i == EMU_SEG_CS ? 0xfb : 0xf3;
        } else if (i == EMU_SEG_CS || i == EMU_SEG_SS) {
            nv.attr = (uint16_t)((sel[EMU_SEG_CS] & 3u) << 5);
        }
        emu_seg_set_now(ctx, i, &nv);
    }
    __builtin_memset(&nv, 0, sizeof nv);
    nv.sel = ldt;
    emu_seg_set_now(ctx, EMU_SEG_LDTR, &nv);

    uint64_t cr0;
    TRY(emu_get_cr0(ctx, &cr0));
    s->crw_cr0 = cr0 | EMU_CR0_TS;
    s->crw_mask |= 1;
    if (n32 && (cr0 & EMU_CR0_PG)) {
        s->crw_cr3 = cr3;
        s->crw_mask |= 8;
        emu_event_tlb(ctx, EMU_TLB_CR3, 0, 0, 0, EMU_IMPL_TASK_SWITCH);
        emu_event_rap(ctx, EMU_RAP_TASK_SWITCH, 0);
    }
    s->next_rip = eip;
    s->rflags = fl;
    s->keep_rf = 1;

    /* The commit point. */
    TRY(emu_commit(ctx));
    emu_fire_events(ctx);
    s->valid &= ~(uint32_t)(EMU_C_CPL | EMU_C_CR0);
    s->mode = v86 ? EMU_MODE_V86 : EMU_MODE_PROT32;

    enum emu_status st = new_task_segments(ctx, sel, ldt, v86, n32, has_ec, ec, ext);
    if (st == EMU_EXCEPTION) return late_fault(ctx);
    if (st != EMU_OK) return st;
    if (tbit) {
        /* The T flag of the new TSS: a debug trap (DR6.BT) once the switch is done, reported
         * like the faults above, with the switch committed. */
        uint64_t dr6;
        if (ctx->ops->get_dr && ctx->ops->set_dr && ctx->ops->get_dr(ctx->opaque, 6, &dr6) == EMU_CB_OK)
            ctx->ops->set_dr(ctx->opaque, 6, dr6 | 0x8000);
        s->rflags &= ~(uint64_t)EMU_FLAG_RF;
        TRY(emu_commit(ctx));
        return emu_raise(ctx, EMU_DB, 0, 0);
    }
    return EMU_OK;
}
