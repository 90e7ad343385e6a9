/*
 * Flag instructions: CLC STC CMC CLD STD, and CLI/STI with the IOPL, PVI and VME rules
 * (SDM CLI/STI decision tables).
 */
#include "internal.h"

EXEC(emu_exec_flagop)
{
    uint64_t *f = &ctx->s.rflags;
    switch (in->op) {
    case OP_CLC: *f &= ~(uint64_t)FL_CF; break;
    case OP_STC: *f |= FL_CF; break;
    case OP_CMC: *f ^= FL_CF; break;
    case OP_CLD: *f &= ~(uint64_t)EMU_FLAG_DF; break;
    default: *f |= EMU_FLAG_DF; break; /* STD */
    }
    return EMU_OK;
}

/* Which flag CLI/STI may change: IF, or VIF under PVI/VME; #GP(0) otherwise.
 * Returns EMU_FLAG_IF or EMU_FLAG_VIF in *which. */
static enum emu_status cli_sti_target(struct emu_ctx *ctx, int sti, uint64_t *which)
{
    const uint64_t f = ctx->s.rflags;
    const unsigned iopl = (unsigned)((f & EMU_FLAG_IOPL) >> 12);
    unsigned cpl;
    uint64_t cr4 = 0;

    if (ctx->s.mode == EMU_MODE_REAL) {
        *which = EMU_FLAG_IF;
        return EMU_OK;
    }
    TRY(emu_get_cpl(ctx, &cpl));
    if (ctx->s.mode == EMU_MODE_V86) {
        if (iopl == 3) {
            *which = EMU_FLAG_IF;
            return EMU_OK;
        }
        TRY(emu_get_cr4(ctx, &cr4));
        if (!(cr4 & EMU_CR4_VME)) return emu_gp0(ctx);
    } else {
        if (iopl >= cpl) {
            *which = EMU_FLAG_IF;
            return EMU_OK;
        }
        if (cpl != 3) return emu_gp0(ctx);
        TRY(emu_get_cr4(ctx, &cr4));
        if (!(cr4 & EMU_CR4_PVI)) return emu_gp0(ctx);
    }
    /* STI with a virtual interrupt pending faults so the monitor can deliver it. */
    if (sti && (f & EMU_FLAG_VIP)) return emu_gp0(ctx);
    *which = EMU_FLAG_VIF;
    return EMU_OK;
}

EXEC(emu_exec_cli)
{
    uint64_t which = 0;
    EMU_UNUSED(in);
    TRY(cli_sti_target(ctx, 0, &which));
    ctx->s.rflags &= ~which;
    return EMU_OK;
}

/* STI that sets IF opens a one-instruction interrupt shadow; tell the embedder. */
EXEC(emu_exec_sti)
{
    uint64_t which = 0;
    EMU_UNUSED(in);
    TRY(cli_sti_target(ctx, 1, &which));
    if (which == EMU_FLAG_IF && !(ctx->s.rflags & EMU_FLAG_IF)) {
        struct emu_event ev = { 0 };
        ev.type = EMU_EV_INT_SHADOW;
        ev.value = 1;
        emu_queue_event(ctx, &ev);
    }
    ctx->s.rflags |= which;
    return EMU_OK;
}
