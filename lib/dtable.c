/*
 * Descriptor-table registers: LGDT LIDT SGDT SIDT LLDT SLDT LTR STR (UMIP for the stores is the
 * stage-4 rule emu_priv_umip in lib/cr.c).
 */
#include "internal.h"

static unsigned dtr_of(const struct emu_insn *in)
{
    return (in->op == OP_LIDT || in->op == OP_SIDT) ? EMU_DTR_IDTR : EMU_DTR_GDTR;
}

/* LGDT/LIDT: limit (16 bits) then base: 8 bytes in 64-bit mode (must be canonical), else 4
 * bytes of which a 16-bit operand size keeps 24. */
EXEC(emu_exec_lgdt)
{
    uint8_t b[10];
    const unsigned n = emu_is64(ctx) ? 10 : 6;
    TRY(emu_read_mem(ctx, in->seg, emu_ea(ctx, in), b, n, 0));
    const uint32_t limit = (uint32_t)emu_load_le(b, 2);
    uint64_t base = emu_load_le(b + 2, n - 2);
    if (emu_is64(ctx)) {
        int ok;
        TRY(emu_is_canonical(ctx, base, &ok));
        if (!ok) return emu_gp0(ctx);
    } else if (in->opsize == 2) {
        base &= 0xffffff;
    }
    if (!ctx->ops->set_dtr) return emu_unhandled(ctx, "missing callback: set_dtr");
    if (ctx->ops->set_dtr(ctx->opaque, (enum emu_dtr)dtr_of(in), base, limit) != EMU_CB_OK)
        return emu_unhandled(ctx, "set_dtr failed");
    return EMU_OK;
}

/* SGDT/SIDT: the full 32-bit base outside 64-bit mode whatever the operand size (SDM). */
EXEC(emu_exec_sgdt)
{
    uint64_t base;
    uint32_t limit;
    uint8_t b[10];
    if (!ctx->ops->get_dtr) return emu_unhandled(ctx, "missing callback: get_dtr");
    if (ctx->ops->get_dtr(ctx->opaque, (enum emu_dtr)dtr_of(in), &base, &limit) != EMU_CB_OK)
        return emu_unhandled(ctx, "get_dtr failed");
    const unsigned n = emu_is64(ctx) ? 10 : 6;
    emu_store_le(b, limit, 2);
    emu_store_le(b + 2, base, n - 2);
    return emu_write_mem(ctx, in->seg, emu_ea(ctx, in), b, n, 0);
}

/* SLDT/STR: a register gets the selector zero-extended to the operand size, memory 16 bits. */
EXEC(emu_exec_sldt)
{
    const struct emu_segment *sr;
    TRY(emu_get_seg(ctx, in->op == OP_SLDT ? EMU_SEG_LDTR : EMU_SEG_TR, &sr));
    return emu_op_write(ctx, in, 0, sr->sel);
}

/* The 16-byte system descriptors of long mode carry base[63:32] in bytes 8-11; the type field
 * of the upper half (byte 13 bits 4:0... here byte 13) must be 0. */
static enum emu_status system_desc(struct emu_ctx *ctx, uint16_t sel, uint8_t d[16], uint64_t *addr)
{
    if (sel & 4) return emu_raise(ctx, EMU_GP, 1, sel & 0xfffcu); /* must be in the GDT */
    TRY(emu_read_desc(ctx, sel, d, addr));
    if (emu_is64(ctx)) {
        uint64_t gbase;
        uint32_t glimit;
        if (ctx->ops->get_dtr(ctx->opaque, EMU_DTR_GDTR, &gbase, &glimit) != EMU_CB_OK)
            return emu_unhandled(ctx, "get_dtr failed");
        if ((uint64_t)(sel & ~7u) + 15 > glimit) return emu_raise(ctx, EMU_GP, 1, sel & 0xfffcu);
        TRY(emu_read_sys(ctx, *addr + 8, d + 8, 8));
        if (d[13] & 0x1f) return emu_raise(ctx, EMU_GP, 1, sel & 0xfffcu);
    }
    return EMU_OK;
}

EXEC(emu_exec_lldt)
{
    uint64_t v, addr;
    uint8_t d[16];
    struct emu_segment nv;
    TRY(emu_op_read(ctx, in, 0, &v));
    const uint16_t sel = (uint16_t)v;
    if ((sel & ~3u) == 0) {
        __builtin_memset(&nv, 0, sizeof nv); /* a null selector makes LDTR unusable */
        nv.sel = sel;
        emu_seg_write(ctx, EMU_SEG_LDTR, &nv);
        return EMU_OK;
    }
    TRY(system_desc(ctx, sel, d, &addr));
    if ((d[5] & 0x1f) != 0x02) return emu_raise(ctx, EMU_GP, 1, sel & 0xfffcu); /* LDT type */
    if (!(d[5] & 0x80)) return emu_raise(ctx, EMU_NP, 1, sel & 0xfffcu);
    emu_desc_to_seg(d, sel, &nv);
    if (emu_is64(ctx)) nv.base |= emu_load_le(d + 8, 4) << 32;
    emu_seg_write(ctx, EMU_SEG_LDTR, &nv);
    return EMU_OK;
}

/* LTR: an available TSS in the GDT, marked busy in memory and loaded. */
EXEC(emu_exec_ltr)
{
    uint64_t v, addr;
    uint8_t d[16];
    struct emu_segment nv;
    TRY(emu_op_read(ctx, in, 0, &v));
    const uint16_t sel = (uint16_t)v;
    if ((sel & ~3u) == 0) return emu_gp0(ctx);
    TRY(system_desc(ctx, sel, d, &addr));
    const unsigned type = d[5] & 0x1f;
    const int ok = emu_is64(ctx) ? type == 0x09 : (type == 0x01 || type == 0x09);
    if (!ok) return emu_raise(ctx, EMU_GP, 1, sel & 0xfffcu);
    if (!(d[5] & 0x80)) return emu_raise(ctx, EMU_NP, 1, sel & 0xfffcu);
    const uint8_t busy = (uint8_t)(d[5] | 0x02);
    TRY(emu_write_sys(ctx, addr + 5, &busy, 1));
    d[5] = busy;
    emu_desc_to_seg(d, sel, &nv);
    if (emu_is64(ctx)) nv.base |= emu_load_le(d + 8, 4) << 32;
    emu_seg_write(ctx, EMU_SEG_TR, &nv);
    return EMU_OK;
}
