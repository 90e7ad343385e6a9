/*
 * String instructions MOVS CMPS STOS LODS SCAS INS OUTS, at every size, address size and DF,
 * with REP / REPE / REPNE.
 *
 * REP semantics as hardware has them: every completed iteration is committed (RCX, RSI, RDI,
 * memory), so a fault in iteration k leaves k-1 iterations done and RIP at the instruction.
 * One emu_step runs at most EMU_REP_BURST iterations and then returns EMU_OK with RIP still at
 * the instruction, like an interrupt window on hardware: a huge RCX never hangs the caller, and
 * stepping again continues.
 */
#include "internal.h"

#define EMU_REP_BURST 4096
/* Elements one bulk callback may move in one step (bounded so a step stays short). */
#define EMU_REP_BULK_MAX (1u << 20)

static void advance(struct emu_ctx *ctx, unsigned reg, unsigned as, int64_t delta)
{
    uint64_t v = emu_gpr_cur(ctx, reg);
    const uint64_t m = emu_mask(as);
    emu_gpr_write_sized(ctx, reg, as, 0, (v & ~m) | ((v + (uint64_t)delta) & m));
}

static enum emu_status one(struct emu_ctx *ctx, struct emu_insn *in, unsigned size, unsigned as,
                           int64_t delta)
{
    const uint64_t m = emu_mask(as);
    const uint64_t rsi = emu_gpr_cur(ctx, EMU_RSI) & m, rdi = emu_gpr_cur(ctx, EMU_RDI) & m;
    uint8_t buf[8];
    uint64_t a, b;
    uint32_t v;

    switch (in->op) {
    case OP_MOVS:
        TRY(emu_read_mem(ctx, in->seg, rsi, buf, size, 0));
        TRY(emu_write_mem(ctx, EMU_SEG_ES, rdi, buf, size, 0));
        advance(ctx, EMU_RSI, as, delta);
        advance(ctx, EMU_RDI, as, delta);
        break;
    case OP_STOS:
        emu_store_le(buf, emu_gpr(ctx, EMU_RAX), size);
        TRY(emu_write_mem(ctx, EMU_SEG_ES, rdi, buf, size, 0));
        advance(ctx, EMU_RDI, as, delta);
        break;
    case OP_LODS:
        TRY(emu_read_mem(ctx, in->seg, rsi, buf, size, 0));
        emu_gpr_write_sized(ctx, EMU_RAX, size, 0, emu_load_le(buf, size));
        advance(ctx, EMU_RSI, as, delta);
        break;
    case OP_CMPS:
        /* Which of the two reads faults first is not in the manuals.  AMD (Zen 3, hwdiff)
         * reads ES:rDI first: with both operands faulting, #PF's CR2 (or #GP for a
         * non-canonical rDI) is the destination's. */
        if (emu_is_amd(ctx)) {
            TRY(emu_read_mem(ctx, EMU_SEG_ES, rdi, buf, size, 0));
            b = emu_load_le(buf, size);
            TRY(emu_read_mem(ctx, in->seg, rsi, buf, size, 0));
            a = emu_load_le(buf, size);
        } else {
            TRY(emu_read_mem(ctx, in->seg, rsi, buf, size, 0));
            a = emu_load_le(buf, size);
            TRY(emu_read_mem(ctx, EMU_SEG_ES, rdi, buf, size, 0));
            b = emu_load_le(buf, size);
        }
        emu_set_flags(ctx, FL_ARITH, emu_flags_sub(a, b, 0, size));
        advance(ctx, EMU_RSI, as, delta);
        advance(ctx, EMU_RDI, as, delta);
        break;
    case OP_SCAS:
        TRY(emu_read_mem(ctx, EMU_SEG_ES, rdi, buf, size, 0));
        b = emu_load_le(buf, size);
        emu_set_flags(ctx, FL_ARITH, emu_flags_sub(emu_gpr(ctx, EMU_RAX), b, 0, size));
        advance(ctx, EMU_RDI, as, delta);
        break;
    case OP_INS: {
        /* The destination is checked before the port is read: an input cannot be undone (a
         * FIFO read twice loses data), so segmentation and, when the embedder can probe, the
         * page of the destination must fault first. */
        uint64_t la;
        unsigned flags;
        TRY(emu_linear(ctx, EMU_SEG_ES, rdi, size, EMU_ACC_W, &la));
        TRY(emu_data_flags(ctx, &flags));
        if (ctx->ops->probe) {
            struct emu_exception exc = { 0 };
            enum emu_cb_status cb = ctx->ops->probe(ctx->opaque, la, size,
                                                    flags | EMU_MEM_WRITE | EMU_MEM_PROBE, &exc);
            if (cb != EMU_CB_OK) return emu_from_cb(ctx, cb, &exc);
        }
        TRY(emu_port_in(ctx, (uint16_t)emu_gpr(ctx, EMU_RDX), size, &v));
        emu_store_le(buf, v, size);
        TRY(emu_write_la(ctx, la, buf, size, flags));
        advance(ctx, EMU_RDI, as, delta);
        break;
    }
    default: /* OUTS */
        TRY(emu_read_mem(ctx, in->seg, rsi, buf, size, 0));
        TRY(emu_port_out(ctx, (uint16_t)emu_gpr(ctx, EMU_RDX), size, (uint32_t)emu_load_le(buf, size)));
        advance(ctx, EMU_RSI, as, delta);
        break;
    }
    return EMU_OK;
}

/* Elements of size bytes from offset off that stay inside the address size (no wrap). */
static uint64_t room(uint64_t off, uint64_t m, unsigned size, int backwards)
{
    if (backwards) return off / size + 1;
    if (off + size - 1 > m) return 0;
    return (m - off - size + 1) / size + 1;
}

/* Linear addresses of the first element of a batch of n, after checking the first and the
 * last element (the range between them is contiguous, so that covers every element). */
static enum emu_status batch_la(struct emu_ctx *ctx, unsigned seg, uint64_t off, uint64_t n,
                                unsigned size, int64_t delta, unsigned acc, uint64_t *la)
{
    uint64_t last_la;
    const uint64_t last = off + (uint64_t)(delta * (int64_t)(n - 1));
    TRY(emu_linear(ctx, seg, off, size, acc, la));
    TRY(emu_linear(ctx, seg, last, size, acc, &last_la));
    /* a linear wrap (32-bit base + offset) would make the batch discontiguous */
    if (last_la != *la + (uint64_t)(delta * (int64_t)(n - 1))) return EMU_UNHANDLED;
    return EMU_OK;
}

/*
 * The bulk path: one callback for up to EMU_REP_BULK_MAX iterations.  Returns EMU_OK with
 * *done iterations performed (0: use the element path), or the fault / status that stops the
 * instruction after *done iterations.  Only MOVS, STOS, INS and OUTS have one (CMPS/SCAS stop
 * on a condition the callback cannot see).
 */
static enum emu_status bulk(struct emu_ctx *ctx, struct emu_insn *in, unsigned size, unsigned as,
                            int64_t delta, uint64_t count, uint64_t *done)
{
    const struct emu_ops *ops = ctx->ops;
    const uint64_t m = emu_mask(as);
    const int back = delta < 0;
    const uint64_t rsi = emu_gpr(ctx, EMU_RSI) & m, rdi = emu_gpr(ctx, EMU_RDI) & m;
    struct emu_exception exc = { 0 };
    enum emu_cb_status cb = EMU_CB_UNHANDLED;
    uint64_t n = count > EMU_REP_BULK_MAX ? EMU_REP_BULK_MAX : count, sla = 0, dla = 0;
    unsigned flags;

    *done = 0;
    switch (in->op) {
    case OP_MOVS: if (!ops->rep_movs) return EMU_OK; break;
    case OP_STOS: if (!ops->rep_stos) return EMU_OK; break;
    case OP_INS: if (!ops->rep_ins) return EMU_OK; break;
    case OP_OUTS: if (!ops->rep_outs) return EMU_OK; break;
    default: return EMU_OK;
    }
    TRY(emu_data_flags(ctx, &flags));
    if (flags & EMU_MEM_AC) return EMU_OK; /* #AC is checked element by element */
    const int uses_src = in->op == OP_MOVS || in->op == OP_OUTS;
    const int uses_dst = in->op != OP_OUTS;
    if (uses_src) {
        uint64_t r = room(rsi, m, size, back);
        if (r < n) n = r;
    }
    if (uses_dst) {
        uint64_t r = room(rdi, m, size, back);
        if (r < n) n = r;
    }
    if (n < 2) return EMU_OK;
    /* segmentation or canonical trouble anywhere in the batch: the element path reports it
     * at the right iteration */
    if (uses_src && batch_la(ctx, in->seg, rsi, n, size, delta, EMU_ACC_R, &sla) != EMU_OK) return EMU_OK;
    if (uses_dst && batch_la(ctx, EMU_SEG_ES, rdi, n, size, delta, EMU_ACC_W, &dla) != EMU_OK) return EMU_OK;
    ctx->result.exception.vector = 0;
    const uint16_t port = (uint16_t)emu_gpr(ctx, EMU_RDX);
    switch (in->op) {
    case OP_MOVS: {
        /* element order matters only when the destination overlaps the source "ahead" of it */
        const uint64_t bytes = n * size;
        const uint64_t slo = back ? sla - bytes + size : sla, dlo = back ? dla - bytes + size : dla;
        const int overlap = dlo < slo + bytes && slo < dlo + bytes;
        if (overlap && (back ? dlo < slo : dlo > slo)) return EMU_OK;
        cb = ops->rep_movs(ctx->opaque, dla, sla, size, n, back, flags, done, &exc);
        break;
    }
    case OP_STOS:
        cb = ops->rep_stos(ctx->opaque, dla, emu_gpr(ctx, EMU_RAX) & emu_mask(size), size, n, back,
                           flags, done, &exc);
        break;
    case OP_INS: cb = ops->rep_ins(ctx->opaque, port, dla, size, n, back, flags, done, &exc); break;
    default: cb = ops->rep_outs(ctx->opaque, port, sla, size, n, back, flags, done, &exc); break;
    }
    if (*done > n) *done = n; /* a callback may not claim more than it was given */
    if (cb == EMU_CB_OK || cb == EMU_CB_UNHANDLED) return EMU_OK;
    if (cb == EMU_CB_PENDING) return emu_unhandled(ctx, "a bulk string callback returned PENDING");
    return emu_from_cb(ctx, cb, &exc);
}

/* Account for k iterations in RCX, RSI and RDI (logged, committed with the instruction). */
static void advance_n(struct emu_ctx *ctx, struct emu_insn *in, unsigned as, int64_t delta, uint64_t k)
{
    const uint64_t m = emu_mask(as);
    const uint64_t rcx = emu_gpr_cur(ctx, EMU_RCX);
    emu_gpr_write_sized(ctx, EMU_RCX, as, 0, (rcx & ~m) | ((rcx - k) & m));
    if (in->op == OP_MOVS || in->op == OP_OUTS) advance(ctx, EMU_RSI, as, delta * (int64_t)k);
    if (in->op != OP_OUTS) advance(ctx, EMU_RDI, as, delta * (int64_t)k);
}

EXEC(emu_exec_string)
{
    struct emu_scratch *s = &ctx->s;
    const int io = in->op == OP_INS || in->op == OP_OUTS;
    const unsigned size = io && in->opsize > 4 ? 4 : in->opsize;
    const unsigned as = in->addrsize;
    const int64_t delta = (s->rflags & EMU_FLAG_DF) ? -(int64_t)size : (int64_t)size;
    const unsigned rep = in->prefixes & (EMU_PFX_REP | EMU_PFX_REPNE);

    if (!rep) return one(ctx, in, size, as, delta);

    const uint64_t m = emu_mask(as);
    const uint64_t done_rip = s->next_rip, here = ctx->regs->rip;
    const int cond = in->op == OP_CMPS || in->op == OP_SCAS;
    uint64_t count = emu_gpr(ctx, EMU_RCX) & m;
    /* With TF set, hardware takes the single-step trap after every iteration (a debugger's
     * stepi over "rep movsb" advances one element): run one iteration per step. */
    const unsigned burst = s->tf_at_start ? 1 : EMU_REP_BURST;

    unsigned n = 0;
    if (burst > 1) {
        uint64_t k;
        enum emu_status st = bulk(ctx, in, size, as, delta, count, &k);
        if (k) {
            advance_n(ctx, in, as, delta, k);
            count = (count - k) & m;
            n = 1; /* the element loop commits the batch before its next iteration */
        }
        if (st != EMU_OK) {
            /* a fault after k iterations: they stay committed, RIP stays at the instruction */
            if (!k) return st;
            enum emu_status fault = st;
            struct emu_exception exc = ctx->result.exception;
            s->next_rip = here;
            TRY(emu_commit(ctx));
            ctx->result.exception = exc;
            return fault;
        }
    }
    for (; count; n++) {
        if (n == burst) {
            s->next_rip = here; /* not finished: continue on the next step */
            return EMU_OK;
        }
        if (n) {
            /* commit the previous iteration, RIP still at the instruction */
            s->next_rip = here;
            TRY(emu_commit(ctx));
        }
        TRY(one(ctx, in, size, as, delta));
        count = (count - 1) & m;
        emu_gpr_write_sized(ctx, EMU_RCX, as, 0, (emu_gpr_cur(ctx, EMU_RCX) & ~m) | count);
        if (cond) {
            const int zf = (s->rflags & FL_ZF) != 0;
            if ((rep & EMU_PFX_REP) ? !zf : zf) break;
        }
    }
    s->next_rip = done_rip;
    return EMU_OK;
}
