/*
 * emu_deliver: event delivery as the processor performs it, for embedders that want the
 * library to do it (emu_step itself only reports events).
 *
 *  - Real mode: the IVT at IDTR.base; FLAGS, CS, IP pushed (never an error code); IF, TF, AC
 *    and RF cleared.
 *  - Virtual-8086 mode, software INT n with CR4.VME and the TSS redirection bit clear: the v86
 *    task's own IVT at linear 0, FLAGS with IF = VIF and IOPL = 3 when IOPL < 3; IF (IOPL = 3)
 *    or VIF (IOPL < 3) cleared.  A set bit with IOPL < 3 is #GP(0).
 *  - Protected and long mode: the IDT gate (task, 16/32-bit interrupt/trap, 64-bit
 *    interrupt/trap), the gate-DPL check for software interrupts (INT n, INT3, INTO; not INT1),
 *    the target code segment checks, the stack switch through the TSS (RSPn, or ISTn in long
 *    mode), from v86 mode to CPL 0 with GS/FS/DS/ES pushed and nulled, the 16-byte alignment
 *    of RSP in long mode, the error-code push, and TF/NT/RF/VM (and IF for interrupt gates)
 *    cleared.  Faults of the delivery itself use the IDT error-code format (vector * 8 + 2 +
 *    EXT) and selector error codes with EXT.
 *  - A fault during delivery: a contributory fault (#DE, #TS, #NP, #SS, #GP) on a contributory
 *    one, or a contributory fault or #PF on a #PF, becomes #DF(0); a fault while delivering #DF
 *    is a triple fault (EMU_UNHANDLED, reason "triple fault: shutdown"); anything else is
 *    delivered instead of the first event (serially).
 *  - Nested guests: the exception intercepts (exit 0x40 + vector, EXITINFO1 = error code,
 *    EXITINFO2 = CR2 for #PF) are asked for exceptions, INT3 and INTO; INT n's own intercept is
 *    emu_step's.
 *  - The pushed RF is 1 for fault-class exceptions (SDM 18.3.1.1), otherwise the current RF.
 */
#include "internal.h"


static int contributory(unsigned v)
{
    return v == EMU_DE || v == EMU_TS || v == EMU_NP || v == EMU_SS || v == EMU_GP;
}

static int fault_class(unsigned v)
{
    switch (v) {
    case EMU_DE: case EMU_BR: case EMU_UD: case EMU_NM: case EMU_TS: case EMU_NP: case EMU_SS:
    case EMU_GP: case EMU_PF: case EMU_MF: case EMU_AC: case EMU_XM: case EMU_VE: case EMU_CP:
        return 1;
    default:
        return 0;
    }
}

/* INT1 (ICEBP) is reported with is_soft like INT n but has no DPL check and sets EXT: it is
 * told apart by is_soft == 2, or (emu_step's report) vector 1 with a 1-byte instruction. */
static int is_icebp(const struct emu_exception *e)
{
    return e->is_soft && e->vector == EMU_DB && (e->is_soft == 2 || e->insn_length == 1);
}

/* Real-mode style delivery through an IVT at 'base' with the stack k (current SS:SP). */
static enum emu_status deliver_ivt(struct emu_ctx *ctx, unsigned vec, uint64_t base, uint32_t limit,
                                   uint64_t ret, uint16_t flags_image, int user)
{
    struct emu_stk k;
    uint8_t v[4];
    const struct emu_segment *cs;
    if ((uint64_t)vec * 4 + 3 > limit) return emu_gp0(ctx);
    TRY(emu_stk_current(ctx, &k));
    TRY(emu_stk_room(ctx, &k, 6));
    TRY(emu_read_la(ctx, (base + vec * 4u) & 0xffffffffull, v, 4, user ? EMU_MEM_USER : 0));
    TRY(emu_get_seg(ctx, EMU_SEG_CS, &cs));
    TRY(emu_stk_push(ctx, &k, flags_image, 2));
    TRY(emu_stk_push(ctx, &k, cs->sel, 2));
    TRY(emu_stk_push(ctx, &k, ret & 0xffff, 2));
    const uint16_t sel = (uint16_t)emu_load_le(v + 2, 2);
    TRY(emu_load_seg(ctx, EMU_SEG_CS, sel));
    ctx->s.next_rip = emu_load_le(v, 2);
    emu_gpr_write(ctx, EMU_RSP, k.sp);
    return EMU_OK;
}

static enum emu_status deliver_real(struct emu_ctx *ctx, const struct emu_exception *e, uint64_t ret)
{
    uint64_t base;
    uint32_t limit;
    if (!ctx->ops->get_dtr) return emu_unhandled(ctx, "missing callback: get_dtr");
    if (ctx->ops->get_dtr(ctx->opaque, EMU_DTR_IDTR, &base, &limit) != EMU_CB_OK)
        return emu_unhandled(ctx, "get_dtr failed");
    TRY(deliver_ivt(ctx, e->vector, base, limit, ret, (uint16_t)ctx->s.rflags, 0));
    ctx->s.rflags &= ~(uint64_t)(EMU_FLAG_IF | EMU_FLAG_TF | EMU_FLAG_AC | EMU_FLAG_RF);
    return EMU_OK;
}

/* VME: the software-interrupt redirection bitmap, 32 bytes below the I/O map base. */
static enum emu_status v86_redirected(struct emu_ctx *ctx, unsigned vec, int *redirect)
{
    const struct emu_segment *tr;
    uint8_t b[2];
    TRY(emu_get_seg(ctx, EMU_SEG_TR, &tr));
    if (!(tr->attr & EMU_SEGATTR_P) || tr->limit < 0x67) return emu_gp0(ctx);
    TRY(emu_read_sys(ctx, tr->base + 0x66, b, 2));
    const uint32_t off = (uint32_t)emu_load_le(b, 2) - 32 + vec / 8;
    if (off > tr->limit) return emu_gp0(ctx);
    TRY(emu_read_sys(ctx, tr->base + off, b, 1));
    *redirect = !((b[0] >> (vec % 8)) & 1);
    return EMU_OK;
}

static enum emu_status deliver_v86_vme(struct emu_ctx *ctx, const struct emu_exception *e, uint64_t ret)
{
    uint64_t f = ctx->s.rflags;
    const int iopl3 = ((f & EMU_FLAG_IOPL) >> 12) == 3;
    uint16_t image = (uint16_t)f;
    if (!iopl3) {
        image = (uint16_t)((image & ~(EMU_FLAG_IF | EMU_FLAG_IOPL)) | EMU_FLAG_IOPL |
                           ((f & EMU_FLAG_VIF) ? EMU_FLAG_IF : 0));
    }
    TRY(deliver_ivt(ctx, e->vector, 0, 0x3ff, ret, image, 1));
    f &= ~(uint64_t)(EMU_FLAG_TF | EMU_FLAG_RF | EMU_FLAG_AC);
    f &= ~(uint64_t)(iopl3 ? EMU_FLAG_IF : EMU_FLAG_VIF);
    ctx->s.rflags = f;
    return EMU_OK;
}

/* Through the IDT (protected and long mode, and v86 mode to CPL 0). */
static enum emu_status deliver_idt(struct emu_ctx *ctx, const struct emu_exception *e, uint64_t ret,
                                   unsigned ext, int soft)
{
    uint64_t ibase;
    uint32_t ilimit;
    unsigned cpl;
    int lma;
    uint8_t g[16];
    const unsigned vec = e->vector;
    const int v86 = ctx->s.mode == EMU_MODE_V86;
    TRY(emu_get_cpl(ctx, &cpl));
    TRY(emu_lma(ctx, &lma));
    if (!ctx->ops->get_dtr) return emu_unhandled(ctx, "missing callback: get_dtr");
    if (ctx->ops->get_dtr(ctx->opaque, EMU_DTR_IDTR, &ibase, &ilimit) != EMU_CB_OK)
        return emu_unhandled(ctx, "get_dtr failed");
    const uint32_t idt_ec = vec * 8u + 2u + ext;
    const unsigned esz = lma ? 16 : 8;
    if ((uint64_t)vec * esz + esz - 1 > ilimit) return emu_raise(ctx, EMU_GP, 1, idt_ec);
    uint64_t ga = ibase + (uint64_t)vec * esz;
    if (!lma) ga &= 0xffffffffull;
    TRY(emu_read_sys(ctx, ga, g, esz));
    const unsigned type = g[5] & 0x1f, gdpl = (g[5] >> 5) & 3;
    const int ok = lma ? (type == 0x0e || type == 0x0f) && !(g[13] & 0x1f)
                       : (type == 5 || type == 6 || type == 7 || type == 0x0e || type == 0x0f);
    if (!ok) return emu_raise(ctx, EMU_GP, 1, idt_ec);
    if (soft && gdpl < cpl) return emu_raise(ctx, EMU_GP, 1, idt_ec);
    if (!(g[5] & 0x80)) return emu_raise(ctx, EMU_NP, 1, idt_ec);

    if (type == 5) {
        /* Task gate: the TSS must be in the GDT, available and present. */
        struct emu_desc td;
        const uint16_t tsel = (uint16_t)emu_load_le(g + 2, 2);
        if (tsel & 4) return emu_sel_fault(ctx, EMU_GP, tsel, ext);
        TRY(emu_fetch_desc(ctx, tsel, &td, EMU_GP, ext));
        if (td.s || (td.type != 1 && td.type != 9)) return emu_sel_fault(ctx, EMU_GP, tsel, ext);
        if (!td.p) return emu_sel_fault(ctx, EMU_NP, tsel, ext);
        return emu_task_switch(ctx, EMU_TS_INT, &td, ret, e->has_error_code, e->error_code, ext);
    }

    /* Interrupt or trap gate: the target code segment. */
    struct emu_desc cd;
    const uint16_t csel = (uint16_t)emu_load_le(g + 2, 2);
    uint64_t off = emu_load_le(g, 2);
    if (type & 8) off |= emu_load_le(g + 6, 2) << 16;
    if (lma) off |= emu_load_le(g + 8, 4) << 32;
    if ((csel & ~3u) == 0) return emu_raise(ctx, EMU_GP, 1, ext);
    TRY(emu_fetch_desc(ctx, csel, &cd, EMU_GP, ext));
    const int code = cd.s && (cd.type & 8), conforming = code && (cd.type & 4);
    if (!code || cd.dpl > cpl) return emu_sel_fault(ctx, EMU_GP, csel, ext);
    if (lma && (cd.b[6] & 0x60) != 0x20) return emu_sel_fault(ctx, EMU_GP, csel, ext);
    if (!cd.p) return emu_sel_fault(ctx, EMU_NP, csel, ext);
    if (v86 && (conforming || cd.dpl != 0)) return emu_sel_fault(ctx, EMU_GP, csel, ext);

    const unsigned ncpl = conforming ? cpl : cd.dpl;
    const unsigned ist = lma ? (g[4] & 7) : 0;
    const unsigned gsz = lma ? 8 : (type & 8) ? 4 : 2;
    struct emu_stk k;
    struct emu_desc ssd;
    const struct emu_segment *oss, *ocs;
    TRY(emu_get_seg(ctx, EMU_SEG_SS, &oss));
    TRY(emu_get_seg(ctx, EMU_SEG_CS, &ocs));
    const struct emu_segment old_ss = *oss, old_cs = *ocs;
    const uint64_t old_rsp = emu_gpr_cur(ctx, EMU_RSP);
    const int switch_ss = ncpl < cpl;
    ssd.sel = 0;
    if (switch_ss || ist) {
        TRY(emu_inner_stack(ctx, switch_ss ? ncpl : cpl, lma, ist, ext, &k, &ssd));
        if (!switch_ss) {
            k.ss = old_ss; /* IST without a privilege change: SS stays */
            k.user = cpl == 3;
        }
    } else {
        TRY(emu_stk_current(ctx, &k));
        k.ec = (uint16_t)ext;
    }
    if (lma) k.sp &= ~15ull;
    unsigned nwords = 3 + (e->has_error_code ? 1 : 0);
    if (lma || switch_ss) nwords += 2;
    if (v86) nwords += 4;
    TRY(emu_stk_room(ctx, &k, nwords * gsz));

    struct emu_segment ncs;
    emu_desc_to_seg(cd.b, (uint16_t)((csel & ~3u) | ncpl), &ncs);
    if (lma) {
        int canon;
        TRY(emu_is_canonical(ctx, off, &canon));
        if (!canon) return emu_raise(ctx, EMU_GP, 1, ext);
    } else if (off > ncs.limit) {
        return emu_raise(ctx, EMU_GP, 1, ext);
    }

    uint64_t fl = ctx->s.rflags;
    if (fault_class(vec) && !soft) fl |= EMU_FLAG_RF;
    if (v86) {
        static const uint8_t vsegs[4] = { EMU_SEG_GS, EMU_SEG_FS, EMU_SEG_DS, EMU_SEG_ES };
        for (unsigned i = 0; i < 4; i++) {
            const struct emu_segment *sr;
            TRY(emu_get_seg(ctx, vsegs[i], &sr));
            TRY(emu_stk_push(ctx, &k, sr->sel, gsz));
        }
    }
    if (lma || switch_ss) {
        TRY(emu_stk_push(ctx, &k, old_ss.sel, gsz));
        TRY(emu_stk_push(ctx, &k, old_rsp, gsz));
    }
    TRY(emu_stk_push(ctx, &k, fl, gsz));
    TRY(emu_stk_push(ctx, &k, old_cs.sel, gsz));
    TRY(emu_stk_push(ctx, &k, ret, gsz));
    if (e->has_error_code) TRY(emu_stk_push(ctx, &k, e->error_code, gsz));

    if (switch_ss && !lma) TRY(emu_set_accessed(ctx, &ssd));
    TRY(emu_set_accessed(ctx, &cd));
    emu_desc_to_seg(cd.b, (uint16_t)((csel & ~3u) | ncpl), &ncs);
    if (switch_ss) emu_seg_set_now(ctx, EMU_SEG_SS, &k.ss);
    emu_seg_set_now(ctx, EMU_SEG_CS, &ncs);
    if (v86) {
        static const uint8_t dsegs[4] = { EMU_SEG_ES, EMU_SEG_DS, EMU_SEG_FS, EMU_SEG_GS };
        struct emu_segment nul = { 0, 0, 0, 0 };
        for (unsigned i = 0; i < 4; i++) emu_seg_write(ctx, dsegs[i], &nul);
    }
    emu_gpr_write(ctx, EMU_RSP, k.sp);
    ctx->s.next_rip = off;
    fl = ctx->s.rflags & ~(uint64_t)(EMU_FLAG_TF | EMU_FLAG_NT | EMU_FLAG_RF | EMU_FLAG_VM);
    if (!(type & 1)) fl &= ~(uint64_t)EMU_FLAG_IF; /* interrupt gate */
    ctx->s.rflags = fl;
    return EMU_OK;
}

static enum emu_status deliver_one(struct emu_ctx *ctx, const struct emu_exception *e, unsigned ext)
{
    const int soft = e->is_soft && !is_icebp(e);
    uint64_t ret = ctx->regs->rip + (e->is_soft ? e->insn_length : 0);
    const unsigned mode = ctx->s.mode;
    if (mode != EMU_MODE_LONG64) {
        const int m16 = mode == EMU_MODE_REAL || mode == EMU_MODE_V86 || mode == EMU_MODE_PROT16 ||
                        mode == EMU_MODE_COMPAT16;
        ret &= m16 ? 0xffffull : 0xffffffffull;
    }
    ctx->s.next_rip = ctx->regs->rip;
    /* Nested guests: exceptions (INT3 and INTO included) may be intercepted by L1. */
    if (e->vector < 32 && (!e->is_soft || e->vector == EMU_BP || e->vector == EMU_OF))
        TRY(emu_intercept(ctx, 0x40 + e->vector, e->has_error_code ? e->error_code : 0,
                          e->vector == EMU_PF ? e->cr2 : 0));
    if (mode == EMU_MODE_REAL) return deliver_real(ctx, e, ret);
    if (mode == EMU_MODE_V86 && soft) {
        uint64_t cr4;
        int redirect = 0;
        TRY(emu_get_cr4(ctx, &cr4));
        if (cr4 & EMU_CR4_VME) TRY(v86_redirected(ctx, e->vector, &redirect));
        if (redirect) return deliver_v86_vme(ctx, e, ret);
        if (((ctx->s.rflags & EMU_FLAG_IOPL) >> 12) < 3) return emu_gp0(ctx);
    }
    return deliver_idt(ctx, e, ret, ext, soft);
}

enum emu_status emu_deliver(struct emu_ctx *ctx, const struct emu_exception *exc)
{
    struct emu_exception cur = *exc;
    unsigned ext = !exc->is_soft || is_icebp(exc);
    enum emu_status st;
    for (;;) {
        st = emu_begin(ctx);
        if (st == EMU_OK) st = deliver_one(ctx, &cur, ext);
        if (st == EMU_OK) {
            st = emu_commit(ctx);
            if (st == EMU_OK && cur.vector == EMU_PF && !cur.is_soft && ctx->ops->set_cr)
                ctx->ops->set_cr(ctx->opaque, 2, cur.cr2);
        }
        if (st == EMU_OK) {
            emu_fire_events(ctx);
            ctx->result.status = EMU_OK;
            return EMU_OK;
        }
        if (st != EMU_EXCEPTION) break;
        /* A fault while delivering cur. */
        const struct emu_exception e2 = ctx->result.exception;
        if (cur.vector == EMU_DF && !cur.is_soft) {
            st = emu_unhandled(ctx, "triple fault: shutdown");
            break;
        }
        const int first_contrib = !cur.is_soft && contributory(cur.vector);
        const int first_pf = !cur.is_soft && cur.vector == EMU_PF;
        if ((first_contrib && contributory(e2.vector)) ||
            (first_pf && (contributory(e2.vector) || e2.vector == EMU_PF))) {
            __builtin_memset(&cur, 0, sizeof cur);
            cur.vector = EMU_DF;
            cur.has_error_code = 1;
        } else {
            cur = e2;
            cur.is_soft = 0;
        }
        ext = 1;
    }
    ctx->result.status = st;
    return st;
}
