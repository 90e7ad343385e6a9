/*
 * Port I/O: IN/OUT, the I/O permission check as the stage-4 rule of IN/OUT/INS/OUTS, the SVM
 * IOIO intercept information, and the port callbacks with EMU_IO_PENDING.
 */
#include "internal.h"

static uint16_t io_port(struct emu_ctx *ctx, const struct emu_insn *in)
{
    if (in->op == OP_INS || in->op == OP_OUTS) return (uint16_t)emu_gpr(ctx, EMU_RDX);
    const struct emu_operand *p = in->op == OP_IN ? &in->ops[1] : &in->ops[0];
    return p->kind == EMU_OPK_IMM ? (uint16_t)(in->imm & 0xff) : (uint16_t)emu_gpr(ctx, EMU_RDX);
}

static unsigned io_size(const struct emu_insn *in)
{
    return in->opsize > 4 ? 4 : in->opsize;
}

/* Stage 4 for IN/OUT/INS/OUTS: IOPL, then the TSS bitmap (#GP(0)); before the IOIO intercept
 * (APM 15.10.2). */
EXEC(emu_priv_io)
{
    return emu_io_allowed(ctx, io_port(ctx, in), io_size(in));
}

/* The IOIO intercept: EXITINFO1 = port[31:16], address size A64/A32/A16 [9:7], operand size
 * SZ32/SZ16/SZ8 [6:4], REP [3], STR [2], IN [0]; EXITINFO2 = next RIP (APM 15.10.2). */
enum emu_status emu_io_intercept(struct emu_ctx *ctx, struct emu_insn *in)
{
    const unsigned size = io_size(in);
    uint64_t info = (uint64_t)io_port(ctx, in) << 16;
    info |= (uint64_t)(size == 1 ? 1u << 4 : size == 2 ? 1u << 5 : 1u << 6);
    info |= (uint64_t)(in->addrsize == 2 ? 1u << 7 : in->addrsize == 4 ? 1u << 8 : 1u << 9);
    if (in->op == OP_INS || in->op == OP_OUTS) {
        info |= 1u << 2;
        if (in->prefixes & (EMU_PFX_REP | EMU_PFX_REPNE)) info |= 1u << 3;
    }
    if (in->op == OP_IN || in->op == OP_INS) info |= 1;
    return emu_intercept(ctx, 0x7b, info, ctx->s.next_rip);
}

enum emu_status emu_port_in(struct emu_ctx *ctx, uint16_t port, unsigned size, uint32_t *val)
{
    struct emu_scratch *s = &ctx->s;
    if (s->have_completion && s->completion_is_port && s->completion_addr == port &&
        s->completion_size == size) {
        *val = (uint32_t)emu_load_le(s->completion, size);
        s->have_completion = 0;
        return EMU_OK;
    }
    if (!ctx->ops->io_in) return emu_unhandled(ctx, "missing callback: io_in");
    enum emu_cb_status cb = ctx->ops->io_in(ctx->opaque, port, size, val);
    if (cb == EMU_CB_PENDING) {
        ctx->result.pending.is_port = 1;
        ctx->result.pending.size = (uint8_t)size;
        ctx->result.pending.addr = port;
        return EMU_IO_PENDING;
    }
    if (cb != EMU_CB_OK) return emu_from_cb(ctx, cb, NULL);
    *val &= (uint32_t)emu_mask(size);
    return EMU_OK;
}

enum emu_status emu_port_out(struct emu_ctx *ctx, uint16_t port, unsigned size, uint32_t val)
{
    if (!ctx->ops->io_out) return emu_unhandled(ctx, "missing callback: io_out");
    enum emu_cb_status cb = ctx->ops->io_out(ctx->opaque, port, size, val & (uint32_t)emu_mask(size));
    if (cb == EMU_CB_PENDING) return emu_unhandled(ctx, "io_out returned PENDING (outputs must be posted)");
    return cb == EMU_CB_OK ? EMU_OK : emu_from_cb(ctx, cb, NULL);
}

EXEC(emu_exec_in)
{
    uint32_t v;
    const unsigned size = in->ops[0].size;
    TRY(emu_port_in(ctx, io_port(ctx, in), size, &v));
    return emu_op_write(ctx, in, 0, v);
}

/* OUT is performed at execute time: it is the instruction's only effect besides RIP, and an
 * output cannot be taken back. */
EXEC(emu_exec_out)
{
    uint64_t v;
    TRY(emu_op_read(ctx, in, 1, &v));
    return emu_port_out(ctx, io_port(ctx, in), in->ops[1].size, (uint32_t)v);
}
