/*
 * Segment-register loads (MOV/POP Sreg, and the far transfers of the system issue) with the
 * checks of the mode: real mode (selector and base only), virtual-8086 mode (fixed attributes),
 * protected and long mode (descriptor fetch with the #GP/#SS/#NP selector faults).
 * Also the I/O permission check (IOPL and the TSS I/O bitmap).
 */
#include "internal.h"

static enum emu_status sel_fault(struct emu_ctx *ctx, unsigned vector, uint16_t sel)
{
    return emu_raise(ctx, vector, 1, sel & 0xfffcu);
}

enum emu_status emu_sel_fault(struct emu_ctx *ctx, unsigned vector, uint16_t sel, unsigned ext)
{
    return emu_raise(ctx, vector, 1, (sel & 0xfffcu) | (ext & 1u));
}

enum emu_status emu_lma(struct emu_ctx *ctx, int *lma)
{
    uint64_t efer;
    if (ctx->s.mode == EMU_MODE_REAL || ctx->s.mode == EMU_MODE_V86) {
        *lma = 0;
        return EMU_OK;
    }
    TRY(emu_get_efer(ctx, &efer));
    *lma = (efer & EMU_EFER_LMA) != 0;
    return EMU_OK;
}

enum emu_status emu_desc_addr(struct emu_ctx *ctx, uint16_t sel, unsigned bytes, uint64_t *addr, int *ok)
{
    uint64_t base;
    uint32_t limit;
    *ok = 0;
    if (sel & 4) {
        const struct emu_segment *ldtr;
        TRY(emu_get_seg(ctx, EMU_SEG_LDTR, &ldtr));
        if (!(ldtr->attr & EMU_SEGATTR_P)) return EMU_OK;
        base = ldtr->base;
        limit = ldtr->limit;
    } else {
        if (!ctx->ops->get_dtr) return emu_unhandled(ctx, "missing callback: get_dtr");
        if (ctx->ops->get_dtr(ctx->opaque, EMU_DTR_GDTR, &base, &limit) != EMU_CB_OK)
            return emu_unhandled(ctx, "get_dtr failed");
    }
    if ((uint64_t)(sel & ~7u) + bytes - 1 > limit) return EMU_OK;
    *addr = base + (sel & ~7u);
    /* Descriptor-table bases are 64-bit in long mode, compatibility mode included (hwdiff:
     * POP GS in compatibility mode read its descriptor at the truncated address) */
    const unsigned mode = ctx->s.mode;
    if (mode != EMU_MODE_LONG64 && mode != EMU_MODE_COMPAT32 && mode != EMU_MODE_COMPAT16) *addr &= 0xffffffffull;
    *ok = 1;
    return EMU_OK;
}

/* Fetch the 8-byte descriptor of a non-null selector (#GP(sel) outside the table). */
enum emu_status emu_read_desc(struct emu_ctx *ctx, uint16_t sel, uint8_t d[8], uint64_t *addr)
{
    int ok;
    TRY(emu_desc_addr(ctx, sel, 8, addr, &ok));
    if (!ok) return sel_fault(ctx, EMU_GP, sel);
    return emu_read_sys(ctx, *addr, d, 8);
}

static void parse_desc(struct emu_desc *d)
{
    d->type = d->b[5] & 15;
    d->s = (d->b[5] >> 4) & 1;
    d->dpl = (d->b[5] >> 5) & 3;
    d->p = d->b[5] >> 7;
}

enum emu_status emu_fetch_desc(struct emu_ctx *ctx, uint16_t sel, struct emu_desc *d, unsigned vector,
                               unsigned ext)
{
    int ok;
    __builtin_memset(d, 0, sizeof *d);
    d->sel = sel;
    TRY(emu_desc_addr(ctx, sel, 8, &d->addr, &ok));
    if (!ok) return emu_sel_fault(ctx, vector, sel, ext);
    TRY(emu_read_sys(ctx, d->addr, d->b, 8));
    parse_desc(d);
    return EMU_OK;
}

enum emu_status emu_fetch_desc_hi(struct emu_ctx *ctx, struct emu_desc *d, unsigned vector, unsigned ext)
{
    uint64_t a;
    int ok;
    TRY(emu_desc_addr(ctx, d->sel, 16, &a, &ok));
    if (!ok) return emu_sel_fault(ctx, vector, d->sel, ext);
    TRY(emu_read_sys(ctx, d->addr + 8, d->b + 8, 8));
    if (d->b[13] & 0x1f) return emu_sel_fault(ctx, vector, d->sel, ext);
    return EMU_OK;
}

enum emu_status emu_set_accessed(struct emu_ctx *ctx, struct emu_desc *d)
{
    if (d->b[5] & 1) return EMU_OK;
    d->b[5] |= 1;
    d->type |= 1;
    return emu_write_sys(ctx, d->addr + 5, &d->b[5], 1);
}

void emu_seg_set_now(struct emu_ctx *ctx, unsigned seg, const struct emu_segment *val)
{
    emu_seg_write(ctx, seg, val);
    ctx->s.segs[seg] = *val;
    ctx->s.valid |= EMU_C_SEG0 << seg;
    ctx->s.valid &= ~(uint32_t)EMU_C_CPL;
}

void emu_desc_to_seg(const uint8_t d[8], uint16_t sel, struct emu_segment *s)
{
    uint32_t limit = (uint32_t)d[0] | (uint32_t)d[1] << 8 | (uint32_t)(d[6] & 15) << 16;
    s->sel = sel;
    s->base = (uint64_t)d[2] | (uint64_t)d[3] << 8 | (uint64_t)d[4] << 16 | (uint64_t)d[7] << 24;
    s->attr = (uint16_t)(d[5] | (d[6] >> 4) << 8);
    s->limit = (d[6] & 0x80) ? (limit << 12) | 0xfff : limit;
}

enum emu_status emu_load_seg(struct emu_ctx *ctx, unsigned seg, uint16_t sel)
{
    struct emu_segment nv;
    const struct emu_segment *cur;
    const unsigned mode = ctx->s.mode;

    if (mode == EMU_MODE_REAL) {
        /* Real mode: selector and base; the cached limit and attributes stay ("unreal"). */
        TRY(emu_get_seg(ctx, seg, &cur));
        nv = *cur;
        nv.sel = sel;
        nv.base = (uint64_t)sel << 4;
        emu_seg_write(ctx, seg, &nv);
        return EMU_OK;
    }
    if (mode == EMU_MODE_V86) {
        nv.sel = sel;
        nv.base = (uint64_t)sel << 4;
        nv.limit = 0xffff;
        nv.attr = seg == EMU_SEG_CS ? 0xfb : 0xf3;
        emu_seg_write(ctx, seg, &nv);
        return EMU_OK;
    }

    unsigned cpl;
    TRY(emu_get_cpl(ctx, &cpl));
    const unsigned rpl = sel & 3;
    if ((sel & ~3u) == 0) {
        /* Null selector: fine for DS/ES/FS/GS (unusable); for SS only in 64-bit mode at
         * CPL < 3 with RPL = CPL, where SS keeps DPL = CPL. */
        __builtin_memset(&nv, 0, sizeof nv);
        nv.sel = sel;
        /* The hidden part of a null segment: Intel clears base and limit, and so do AMD parts
         * with NullSelectorClearsBase (CPUID 8000_0021h EAX[6]; Zen 3 under a hypervisor that
         * hides the bit clears them too, hwdiff); older AMD parts keep them, which matters for
         * FS/GS in 64-bit mode (Linux's X86_BUG_NULL_SEG). */
        if (emu_is_amd(ctx) && seg != EMU_SEG_SS && !emu_has(ctx, EMU_FEAT_NULL_SEL_CLR_BASE)) {
            TRY(emu_get_seg(ctx, seg, &cur));
            nv.base = cur->base;
            nv.limit = cur->limit;
        }
        if (seg == EMU_SEG_SS) {
            if (!(emu_is64(ctx) && cpl != 3 && rpl == cpl)) return emu_gp0(ctx);
            nv.attr = (uint16_t)(cpl << 5);
        }
        emu_seg_write(ctx, seg, &nv);
        return EMU_OK;
    }

    uint8_t d[8];
    uint64_t daddr = 0;
    TRY(emu_read_desc(ctx, sel, d, &daddr));
    const unsigned type = d[5] & 15, s = (d[5] >> 4) & 1, dpl = (d[5] >> 5) & 3, p = d[5] >> 7;
    const int code = (type & 8) != 0;
    if (seg == EMU_SEG_SS) {
        if (rpl != cpl || !s || code || !(type & 2) || dpl != cpl) return sel_fault(ctx, EMU_GP, sel);
        if (!p) return sel_fault(ctx, EMU_SS, sel);
    } else {
        if (!s || (code && !(type & 2))) return sel_fault(ctx, EMU_GP, sel);
        /* data and non-conforming code: RPL and CPL must not exceed DPL */
        if ((!code || !(type & 4)) && (rpl > dpl || cpl > dpl)) return sel_fault(ctx, EMU_GP, sel);
        if (!p) return sel_fault(ctx, EMU_NP, sel);
    }
    /* Set the accessed bit in the descriptor, as the CPU does on a load. */
    if (!(type & 1)) {
        uint8_t b = (uint8_t)(d[5] | 1);
        TRY(emu_write_sys(ctx, daddr + 5, &b, 1));
        d[5] = b;
    }
    emu_desc_to_seg(d, sel, &nv);
    emu_seg_write(ctx, seg, &nv);
    return EMU_OK;
}

enum emu_status emu_io_allowed(struct emu_ctx *ctx, uint16_t port, unsigned size)
{
    const unsigned mode = ctx->s.mode;
    if (mode == EMU_MODE_REAL) return EMU_OK;
    if (mode != EMU_MODE_V86) {
        unsigned cpl;
        TRY(emu_get_cpl(ctx, &cpl));
        if (cpl <= ((ctx->s.rflags & EMU_FLAG_IOPL) >> 12)) return EMU_OK;
    }
    /* CPL > IOPL, or virtual-8086 mode: the TSS I/O permission bitmap decides. */
    const struct emu_segment *tr;
    TRY(emu_get_seg(ctx, EMU_SEG_TR, &tr));
    const unsigned ttype = tr->attr & 15;
    if (!(tr->attr & EMU_SEGATTR_P) || (ttype != 9 && ttype != 11) || tr->limit < 0x67)
        return emu_gp0(ctx);
    uint8_t b[2];
    TRY(emu_read_sys(ctx, tr->base + 0x66, b, 2));
    const uint32_t iobase = (uint32_t)b[0] | (uint32_t)b[1] << 8;
    const uint32_t off = iobase + port / 8u;
    if (off + 1 > tr->limit) return emu_gp0(ctx);
    TRY(emu_read_sys(ctx, tr->base + off, b, 2));
    const uint32_t bits = ((uint32_t)b[0] | (uint32_t)b[1] << 8) >> (port % 8u);
    if (bits & ((1u << size) - 1)) return emu_gp0(ctx);
    return EMU_OK;
}
