/*
 * Memory: segmentation (base, limit incl. expand-down, type and presence, #GP vs #SS), the
 * canonical check, the alignment check, and the buffered writes that make an instruction all
 * or nothing.  Translation and #PF belong to the memory callbacks (or the optional walker).
 */
#include "internal.h"

static inline int is_canonical(uint64_t la, unsigned bits)
{
    int64_t s = (int64_t)(la << (64 - bits)) >> (64 - bits);
    return (uint64_t)s == la;
}

enum emu_status emu_is_canonical(struct emu_ctx *ctx, uint64_t la, int *ok)
{
    if (is_canonical(la, 48)) {
        *ok = 1;
        return EMU_OK;
    }
    uint64_t cr4;
    TRY(emu_get_cr4(ctx, &cr4));
    *ok = (cr4 & EMU_CR4_LA57) && is_canonical(la, 57);
    return EMU_OK;
}

static enum emu_status seg_fault(struct emu_ctx *ctx, unsigned seg)
{
    return emu_raise(ctx, seg == EMU_SEG_SS ? EMU_SS : EMU_GP, 1, 0);
}

enum emu_status emu_linear_slow(struct emu_ctx *ctx, unsigned seg, uint64_t offset, unsigned size,
                                unsigned acc, uint64_t *la)
{
    const struct emu_segment *sr;
    const unsigned mode = ctx->s.mode;

    if (mode == EMU_MODE_LONG64) {
        /* The common case first: no FS/GS base, a 48-bit canonical range. */
        if (EMU_LIKELY(seg < EMU_SEG_FS || seg > EMU_SEG_GS)) {
            const uint64_t last = offset + (size ? size - 1 : 0);
            if (EMU_LIKELY(is_canonical(offset, 48) && is_canonical(last, 48))) {
                *la = offset;
                return EMU_OK;
            }
        }
        uint64_t base = 0;
        if (seg == EMU_SEG_FS || seg == EMU_SEG_GS) {
            TRY(emu_get_seg(ctx, seg, &sr));
            base = sr->base;
        }
        uint64_t a = base + offset;
        unsigned bits = 48;
        uint64_t cr4;
        /* AMD checks the effective address too, not only base + offset: with an FS/GS base, a
         * non-canonical offset is #GP(0) even when the sum wraps to a canonical address (Zen 3,
         * hwdiff: GS base 0xffff800000000000, offset 0x8000100015a0; and for the operand's last
         * byte: offset 0x7ffffffffffc of 8 bytes).  The manuals speak of the linear address only. */
        const int ea_check = emu_is_amd(ctx) && base;
        const uint64_t last = offset + (size ? size - 1 : 0);
        /* LA57 only matters for addresses that are not 48-bit canonical. */
        if (!is_canonical(a, 48) || !is_canonical(a + (size ? size - 1 : 0), 48) ||
            (ea_check && (!is_canonical(offset, 48) || !is_canonical(last, 48)))) {
            TRY(emu_get_cr4(ctx, &cr4));
            if (cr4 & EMU_CR4_LA57) bits = 57;
            if (!is_canonical(a, bits) || !is_canonical(a + (size ? size - 1 : 0), bits) ||
                (ea_check && (!is_canonical(offset, bits) || !is_canonical(last, bits))))
                return seg_fault(ctx, seg);
        }
        *la = a;
        return EMU_OK;
    }

    TRY(emu_get_seg(ctx, seg, &sr));
    const uint64_t last = offset + (size ? size - 1 : 0);
    if (mode == EMU_MODE_REAL || mode == EMU_MODE_V86) {
        /* No type checks; the limit (normally 0xFFFF, larger in "unreal" mode) applies. */
        if (last > sr->limit) return seg_fault(ctx, seg);
    } else {
        const unsigned attr = sr->attr;
        if (!(attr & EMU_SEGATTR_P)) return seg_fault(ctx, seg);
        if (attr & EMU_SEGATTR_S) {
            const unsigned type = attr & EMU_SEGATTR_TYPE;
            if (type & 8) { /* code */
                if (acc & EMU_ACC_W) return seg_fault(ctx, seg);
                if ((acc & EMU_ACC_R) && !(type & 2)) return seg_fault(ctx, seg);
            } else if ((acc & EMU_ACC_W) && !(type & 2)) {
                return seg_fault(ctx, seg);
            }
            if (!(type & 8) && (type & 4)) {
                /* Expand-down: valid offsets are limit+1 .. 0xFFFF or 0xFFFFFFFF. */
                uint64_t upper = (attr & EMU_SEGATTR_DB) ? 0xffffffffull : 0xffffull;
                if (offset <= sr->limit || last > upper) return seg_fault(ctx, seg);
            } else if (last > sr->limit) {
                return seg_fault(ctx, seg);
            }
        } else if (last > sr->limit) {
            return seg_fault(ctx, seg);
        }
    }
    *la = (sr->base + offset) & 0xffffffffull;
    return EMU_OK;
}


/* #AC(0): CPL 3, CR0.AM and RFLAGS.AC, a misaligned data access.  The manuals put #PF and #AC
 * in one priority class without an order between them.  AMD checks alignment first (Zen 3,
 * hwdiff: a misaligned access to an unmapped or read-only page is #AC); for Intel a faulting
 * page is reported first when the embedder can probe. */
static enum emu_status align_check(struct emu_ctx *ctx, uint64_t la, unsigned size, unsigned flags)
{
    if (!(flags & EMU_MEM_USER) || !(ctx->s.rflags & EMU_FLAG_AC)) return EMU_OK;
    if (flags & (EMU_MEM_IMPLICIT | EMU_MEM_FETCH)) return EMU_OK;
    unsigned align = size >= 16 ? 16 : size >= 8 ? 8 : size >= 4 ? 4 : size >= 2 ? 2 : 1;
    if (!(la & (align - 1))) return EMU_OK;
    uint64_t cr0;
    TRY(emu_get_cr0(ctx, &cr0));
    if (!(cr0 & EMU_CR0_AM)) return EMU_OK;
    if (emu_is_amd(ctx)) {
        /* AMD: #AC first (see above) */
    } else if (emu_builtin_paging(ctx)) {
        uint64_t pa;
        TRY(emu_translate(ctx, la, flags, &pa));
        if (((la + size - 1) ^ la) & ~4095ull) TRY(emu_translate(ctx, la + size - 1, flags, &pa));
    } else if (ctx->ops->probe) {
        struct emu_exception exc = { 0 };
        enum emu_cb_status cb = ctx->ops->probe(ctx->opaque, la, size, flags | EMU_MEM_PROBE, &exc);
        if (cb != EMU_CB_OK) return emu_from_cb(ctx, cb, &exc);
    }
    return emu_raise(ctx, EMU_AC, 1, 0);
}

enum emu_status emu_read_la(struct emu_ctx *ctx, uint64_t la, void *buf, unsigned size, unsigned flags)
{
    struct emu_scratch *s = &ctx->s;
    if (flags & EMU_MEM_AC) TRY(align_check(ctx, la, size, flags));
    /* data supplied with emu_complete_io() for the read that was pending */
    if (s->have_completion && !s->completion_is_port && s->completion_addr == la &&
        s->completion_size == size) {
        __builtin_memcpy(buf, s->completion, size);
        s->have_completion = 0;
        return EMU_OK;
    }
    if (emu_builtin_paging(ctx)) return emu_paging_read(ctx, la, buf, size, flags);
    if (!ctx->ops->read) return emu_unhandled(ctx, "missing callback: read");
    struct emu_exception exc = { 0 };
    enum emu_cb_status cb = ctx->ops->read(ctx->opaque, la, buf, size, flags, &exc);
    if (cb == EMU_CB_PENDING) {
        ctx->result.pending.is_port = 0;
        ctx->result.pending.size = (uint8_t)size;
        ctx->result.pending.addr = la;
        return EMU_IO_PENDING;
    }
    if (EMU_LIKELY(cb == EMU_CB_OK)) {
        if (EMU_LIKELY(!s->nwrites)) return EMU_OK;
    } else {
        return emu_from_cb(ctx, cb, &exc);
    }
    /* A read sees the instruction's own earlier writes, which are only logged until commit
     * (hwdiff: ENTER with a deep nesting level reads outer frame pointers from the stack area
     * its own pushes just wrote). */
    uint8_t *p = buf;
    for (unsigned i = 0; i < s->nwrites; i++) {
        const struct emu_wlog *w = &s->writes[i];
        if (w->phys) continue;
        for (unsigned k = 0; k < w->size; k++) {
            uint64_t d = w->la + k - la;
            if (d < size) p[d] = s->wdata[w->off + k];
        }
    }
    return EMU_OK;
}

enum emu_status emu_write_la(struct emu_ctx *ctx, uint64_t la, const void *buf, unsigned size, unsigned flags)
{
    struct emu_scratch *s = &ctx->s;
    if (flags & EMU_MEM_AC) TRY(align_check(ctx, la, size, flags));
    if (emu_builtin_paging(ctx)) return emu_paging_write(ctx, la, buf, size, flags);
    if (s->nwrites >= EMU_MAX_WRITES || s->wbytes + size > EMU_MAX_WRITE_BYTES)
        return emu_unhandled(ctx, "too many memory writes in one instruction");
    struct emu_wlog *w = &s->writes[s->nwrites++];
    w->la = la;
    w->off = s->wbytes;
    w->size = (uint8_t)size;
    w->flags = (uint8_t)(flags | EMU_MEM_WRITE);
    w->locked = 0;
    w->phys = 0;
    const uint8_t *src = buf;
    uint8_t *dst = &s->wdata[s->wbytes];
    if (size <= 16) { /* operand-sized writes: no library call */
        for (unsigned i = 0; i < size; i++) dst[i] = src[i];
    } else {
        __builtin_memcpy(dst, src, size);
    }
    s->wbytes = (uint16_t)(s->wbytes + size);
    return EMU_OK;
}

enum emu_status emu_write_phys(struct emu_ctx *ctx, uint64_t pa, const void *buf, unsigned size)
{
    struct emu_scratch *s = &ctx->s;
    if (s->nwrites >= EMU_MAX_WRITES || s->wbytes + size > EMU_MAX_WRITE_BYTES)
        return emu_unhandled(ctx, "too many memory writes in one instruction");
    struct emu_wlog *w = &s->writes[s->nwrites++];
    w->la = pa;
    w->off = s->wbytes;
    w->size = (uint8_t)size;
    w->flags = EMU_MEM_IMPLICIT | EMU_MEM_WRITE;
    w->locked = 0;
    w->phys = 1;
    __builtin_memcpy(&s->wdata[s->wbytes], buf, size);
    s->wbytes = (uint16_t)(s->wbytes + size);
    return EMU_OK;
}

enum emu_status emu_read_phys(struct emu_ctx *ctx, uint64_t pa, void *buf, unsigned size)
{
    if (!ctx->ops->read_phys) return emu_unhandled(ctx, "missing callback: read_phys");
    if (ctx->ops->read_phys(ctx->opaque, pa, buf, size) != EMU_CB_OK) return emu_unhandled(ctx, "read_phys failed");
    return EMU_OK;
}

enum emu_status emu_probe_write(struct emu_ctx *ctx, unsigned seg, uint64_t off, unsigned size,
                                unsigned flags)
{
    uint64_t la;
    unsigned f;
    TRY(emu_linear(ctx, seg, off, size, EMU_ACC_W, &la));
    TRY(emu_data_flags(ctx, &f));
    if (seg == EMU_SEG_SS) f |= EMU_MEM_STACK;
    f |= flags | EMU_MEM_WRITE;
    TRY(align_check(ctx, la, size, f));
    if (ctx->ops->probe) {
        struct emu_exception exc = { 0 };
        enum emu_cb_status cb = ctx->ops->probe(ctx->opaque, la, size, f | EMU_MEM_PROBE, &exc);
        if (cb != EMU_CB_OK) return emu_from_cb(ctx, cb, &exc);
    }
    return EMU_OK;
}

enum emu_status emu_read_sys(struct emu_ctx *ctx, uint64_t la, void *buf, unsigned size)
{
    uint8_t *p = buf;
    while (size) {
        unsigned chunk = size > 64 ? 64 : size;
        TRY(emu_read_la(ctx, la, p, chunk, EMU_MEM_IMPLICIT));
        la += chunk;
        p += chunk;
        size -= chunk;
    }
    return EMU_OK;
}

enum emu_status emu_write_sys(struct emu_ctx *ctx, uint64_t la, const void *buf, unsigned size)
{
    const uint8_t *p = buf;
    while (size) {
        unsigned chunk = size > 64 ? 64 : size;
        TRY(emu_write_la(ctx, la, p, chunk, EMU_MEM_IMPLICIT));
        la += chunk;
        p += chunk;
        size -= chunk;
    }
    return EMU_OK;
}
