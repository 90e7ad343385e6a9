/*
 * NOP forms, PAUSE, fences, CLFLUSH*, PREFETCH, UD0/UD1/UD2, INT3/INTO/INT n/INT1 (returned as
 * exceptions for the embedder to deliver), BOUND, FWAIT, CPUID, HLT.
 */
#include "internal.h"

EXEC(emu_exec_nop)
{
    EMU_UNUSED(ctx);
    EMU_UNUSED(in);
    return EMU_OK;
}

EXEC(emu_exec_ud)
{
    EMU_UNUSED(in);
    return emu_ud(ctx);
}

/* A software interrupt: reported, not delivered.  RIP stays at the instruction; the embedder
 * pushes RIP + insn_length as the return address. */
static enum emu_status soft_int(struct emu_ctx *ctx, unsigned vector)
{
    emu_raise(ctx, vector, 0, 0);
    ctx->result.exception.is_soft = 1;
    return EMU_EXCEPTION;
}

EXEC(emu_exec_int3)
{
    EMU_UNUSED(in);
    return soft_int(ctx, EMU_BP);
}

EXEC(emu_exec_into)
{
    EMU_UNUSED(in);
    return (ctx->s.rflags & FL_OF) ? soft_int(ctx, EMU_OF) : EMU_OK;
}

/* INT n in virtual-8086 mode (SDM INT n, Table 20-2 of Vol. 3).  Without VME, IOPL < 3 is
 * #GP(0).  With VME, bit n of the software-interrupt redirection bitmap (the 32 bytes just below
 * the I/O map base in the TSS) decides: clear = redirect through the 8086 IVT (methods 5/6),
 * set = the protected-mode IDT, which at IOPL < 3 is #GP(0) (method 4).  Only the #GP is ours
 * to raise; the other methods are reported as the software interrupt for the embedder to
 * deliver.  INT3, INTO and INT1 are not IOPL-sensitive and do not come here. */
EXEC(emu_exec_int)
{
    const unsigned vector = (unsigned)(in->imm & 0xff);
    if (ctx->s.mode == EMU_MODE_V86 && ((ctx->s.rflags & EMU_FLAG_IOPL) >> 12) < 3) {
        uint64_t cr4;
        TRY(emu_get_cr4(ctx, &cr4));
        if (!(cr4 & EMU_CR4_VME)) return emu_gp0(ctx);
        const struct emu_segment *tr;
        uint8_t b[2];
        TRY(emu_get_seg(ctx, EMU_SEG_TR, &tr));
        TRY(emu_read_sys(ctx, (tr->base + 0x66) & 0xffffffffull, b, 2));
        const uint64_t iobase = (uint64_t)b[0] | (uint64_t)b[1] << 8;
        TRY(emu_read_sys(ctx, (tr->base + iobase - 32 + vector / 8) & 0xffffffffull, b, 1));
        if (b[0] & (1u << (vector % 8))) return emu_gp0(ctx);
    }
    return soft_int(ctx, vector);
}

/* INT1 (ICEBP, F1): a #DB trap.  Unlike INT n/INT3/INTO it is not a software interrupt for
 * delivery: no gate-DPL check and no IOPL check (SDM INT n/INTO/INT3/INT1; VMX delivers it as a
 * privileged software exception, KVM injects it as a plain #DB).  So is_soft stays 0, and, as
 * for every trap we report, the return address is RIP + insn_length. */
EXEC(emu_exec_int1)
{
    EMU_UNUSED(in);
    return emu_raise(ctx, EMU_DB, 0, 0);
}

/* BOUND: #BR when the signed index is outside [lower, upper] of the memory pair. */
EXEC(emu_exec_bound)
{
    const unsigned size = in->opsize;
    uint8_t buf[8];
    uint64_t idx;
    /* two reads of the operand size: the alignment check is per bound (hwdiff: a 4-aligned
     * BOUND r32, m32&32 with AC set is no #AC on Zen 3) */
    const uint64_t ea = emu_ea(ctx, in);
    TRY(emu_read_mem(ctx, in->seg, ea, buf, size, 0));
    TRY(emu_read_mem(ctx, in->seg, (ea + size) & emu_mask(in->addrsize), buf + size, size, 0));
    TRY(emu_op_read(ctx, in, 0, &idx));
    int64_t lo = emu_sext(emu_load_le(buf, size), size), hi = emu_sext(emu_load_le(buf + size, size), size);
    int64_t i = emu_sext(idx, size);
    if (i < lo || i > hi) return emu_raise(ctx, EMU_BR, 0, 0);
    return EMU_OK;
}

/* FWAIT: #NM when CR0.MP and CR0.TS are both set; x87 exceptions are not modelled. */
EXEC(emu_exec_fwait)
{
    uint64_t cr0;
    EMU_UNUSED(in);
    TRY(emu_get_cr0(ctx, &cr0));
    if ((cr0 & EMU_CR0_MP) && (cr0 & EMU_CR0_TS)) return emu_raise(ctx, EMU_NM, 0, 0);
    return EMU_OK;
}

/* CLFLUSH/CLFLUSHOPT/CLWB: segmentation and paging faults as for a byte read; no data moves.
 * The page check uses probe() when the embedder has it. */
EXEC(emu_exec_clflush)
{
    uint64_t la;
    unsigned flags;
    TRY(emu_linear(ctx, in->seg, emu_ea(ctx, in), 1, EMU_ACC_R, &la));
    TRY(emu_data_flags(ctx, &flags));
    if (ctx->ops->probe) {
        struct emu_exception exc = { 0 };
        enum emu_cb_status cb = ctx->ops->probe(ctx->opaque, la, 1, (flags & ~EMU_MEM_AC) | EMU_MEM_PROBE, &exc);
        if (cb != EMU_CB_OK) return emu_from_cb(ctx, cb, &exc);
    }
    return EMU_OK;
}

EXEC(emu_exec_cpuid)
{
    uint32_t r[4] = { 0, 0, 0, 0 };
    EMU_UNUSED(in);
    if (!ctx->ops->cpuid) return emu_unhandled(ctx, "missing callback: cpuid");
    enum emu_cb_status cb = ctx->ops->cpuid(ctx->opaque, (uint32_t)emu_gpr(ctx, EMU_RAX),
                                            (uint32_t)emu_gpr(ctx, EMU_RCX), r);
    if (cb != EMU_CB_OK) return emu_from_cb(ctx, cb, NULL);
    emu_gpr_write_sized(ctx, EMU_RAX, 4, 0, r[0]);
    emu_gpr_write_sized(ctx, EMU_RBX, 4, 0, r[1]);
    emu_gpr_write_sized(ctx, EMU_RCX, 4, 0, r[2]);
    emu_gpr_write_sized(ctx, EMU_RDX, 4, 0, r[3]);
    return EMU_OK;
}

/* RDRAND / RDSEED r16/32/64: the embedder's randomness (get_random); CF says whether there
 * was any, OF SF ZF AF PF are cleared, and an empty answer writes 0 (SDM, APM). */
EXEC(emu_exec_rdrand)
{
    uint64_t v = 0;
    int valid = 0;
    const unsigned size = in->ops[0].size;
    if (!ctx->ops->get_random) return emu_unhandled(ctx, "missing callback: get_random");
    if (ctx->ops->get_random(ctx->opaque, in->op == OP_RDSEED, size, &v, &valid) != EMU_CB_OK)
        return emu_unhandled(ctx, "get_random failed");
    emu_set_flags(ctx, FL_ARITH, valid ? FL_CF : 0);
    return emu_op_write(ctx, in, 0, valid ? v : 0);
}

EXEC(emu_exec_hlt)
{
    struct emu_event ev = { 0 };
    EMU_UNUSED(in);
    ev.type = EMU_EV_HALT;
    emu_queue_event(ctx, &ev);
    return EMU_OK;
}
