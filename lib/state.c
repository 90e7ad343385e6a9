/*
 * Processor state the engine reads through the callbacks: read lazily, at most once per
 * instruction (ctx->s.valid says what is loaded), and the result helpers.
 */
#include "internal.h"

enum emu_status emu_raise(struct emu_ctx *ctx, unsigned vector, int has_ec, uint32_t ec)
{
    struct emu_exception *e = &ctx->result.exception;
    /* Real-address mode delivery never pushes an error code (SDM Vol. 3 6.13 / 21.1.4), so an
     * embedder must not inject one (VMX even fails the VM entry); report none. */
    if (ctx->s.mode == EMU_MODE_REAL) has_ec = 0;
    e->vector = (uint8_t)vector;
    e->has_error_code = (uint8_t)(has_ec != 0);
    e->error_code = has_ec ? ec : 0;
    e->is_soft = 0;
    e->insn_length = ctx->s.cur ? ctx->s.cur->length : 0;
    e->cr2 = 0;
    return EMU_EXCEPTION;
}

enum emu_status emu_unhandled(struct emu_ctx *ctx, const char *reason)
{
    ctx->result.reason = reason;
    return EMU_UNHANDLED;
}

enum emu_status emu_from_cb(struct emu_ctx *ctx, enum emu_cb_status cb, const struct emu_exception *exc)
{
    switch (cb) {
    case EMU_CB_OK: return EMU_OK;
    case EMU_CB_FAULT:
        if (!exc) return emu_gp0(ctx); /* callbacks without an exception slot fault with #GP(0) */
        ctx->result.exception = *exc;
        ctx->result.exception.insn_length = ctx->s.cur ? ctx->s.cur->length : 0;
        return EMU_EXCEPTION;
    case EMU_CB_RETRY: return EMU_RETRY;
    case EMU_CB_PENDING: return EMU_IO_PENDING;
    default: return emu_unhandled(ctx, "a callback declined the access");
    }
}

enum emu_status emu_get_seg_slow(struct emu_ctx *ctx, unsigned seg, const struct emu_segment **out)
{
    struct emu_scratch *s = &ctx->s;
    const uint32_t bit = EMU_C_SEG0 << seg;
    if (!(s->valid & bit)) {
        if (!ctx->ops->get_seg) return emu_unhandled(ctx, "missing callback: get_seg");
        if (ctx->ops->get_seg(ctx->opaque, (enum emu_seg)seg, &s->segs[seg]) != EMU_CB_OK)
            return emu_unhandled(ctx, "get_seg failed");
        s->valid |= bit;
    }
    *out = &s->segs[seg];
    return EMU_OK;
}

static enum emu_status get_cr_cached(struct emu_ctx *ctx, unsigned cr, uint32_t bit, uint64_t *slot,
                                     uint64_t *v)
{
    struct emu_scratch *s = &ctx->s;
    if (!(s->valid & bit)) {
        if (!ctx->ops->get_cr) return emu_unhandled(ctx, "missing callback: get_cr");
        if (ctx->ops->get_cr(ctx->opaque, cr, slot) != EMU_CB_OK) return emu_unhandled(ctx, "get_cr failed");
        s->valid |= bit;
    }
    *v = *slot;
    return EMU_OK;
}

enum emu_status emu_get_cr0_slow(struct emu_ctx *ctx, uint64_t *v)
{
    return get_cr_cached(ctx, 0, EMU_C_CR0, &ctx->s.cache_cr0, v);
}

enum emu_status emu_get_cr4_slow(struct emu_ctx *ctx, uint64_t *v)
{
    return get_cr_cached(ctx, 4, EMU_C_CR4, &ctx->s.cache_cr4, v);
}

enum emu_status emu_get_msr(struct emu_ctx *ctx, uint32_t msr, uint64_t *v)
{
    if (!ctx->ops->get_msr) return emu_unhandled(ctx, "missing callback: get_msr");
    enum emu_cb_status cb = ctx->ops->get_msr(ctx->opaque, msr, v);
    if (cb == EMU_CB_FAULT) return emu_gp0(ctx);
    if (cb != EMU_CB_OK) return emu_from_cb(ctx, cb, NULL);
    return EMU_OK;
}

enum emu_status emu_get_efer_slow(struct emu_ctx *ctx, uint64_t *v)
{
    struct emu_scratch *s = &ctx->s;
    if (!(s->valid & EMU_C_EFER)) {
        if (!ctx->ops->get_msr) return emu_unhandled(ctx, "missing callback: get_msr");
        if (ctx->ops->get_msr(ctx->opaque, EMU_MSR_EFER, &s->cache_efer) != EMU_CB_OK)
            return emu_unhandled(ctx, "reading EFER failed");
        s->valid |= EMU_C_EFER;
    }
    *v = s->cache_efer;
    return EMU_OK;
}

enum emu_status emu_get_xcr0(struct emu_ctx *ctx, uint64_t *v)
{
    struct emu_scratch *s = &ctx->s;
    if (!(s->valid & EMU_C_XCR0)) {
        if (!ctx->ops->get_xcr) return emu_unhandled(ctx, "missing callback: get_xcr");
        if (ctx->ops->get_xcr(ctx->opaque, 0, &s->cache_xcr0) != EMU_CB_OK)
            return emu_unhandled(ctx, "reading XCR0 failed");
        s->valid |= EMU_C_XCR0;
    }
    *v = s->cache_xcr0;
    return EMU_OK;
}

/* CPL: 0 in real mode, 3 in virtual-8086 mode, else SS.DPL (as the VMCB defines it). */
enum emu_status emu_get_cpl_slow(struct emu_ctx *ctx, unsigned *cpl)
{
    struct emu_scratch *s = &ctx->s;
    if (!(s->valid & EMU_C_CPL)) {
        if (s->mode == EMU_MODE_REAL) s->cpl = 0;
        else if (s->mode == EMU_MODE_V86) s->cpl = 3;
        else {
            const struct emu_segment *ss;
            TRY(emu_get_seg(ctx, EMU_SEG_SS, &ss));
            s->cpl = (uint8_t)((ss->attr & EMU_SEGATTR_DPL) >> 5);
        }
        s->valid |= EMU_C_CPL;
    }
    *cpl = s->cpl;
    return EMU_OK;
}
