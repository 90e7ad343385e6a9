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

    for (unsigned n = 0; count; n++) {
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
