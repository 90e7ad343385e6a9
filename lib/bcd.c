/*
 * BCD adjustment: AAA AAS DAA DAS AAM AAD (invalid in 64-bit mode; the decoder says so).
 *
 * AAA/AAS add/subtract 0x106 to AX as one 16-bit operation, so a carry or borrow out of AL
 * reaches AH: the SDM's pseudo-code (AX <- AX + 106H; AX <- AX - 6, AH <- AH - 1) and what
 * AMD Zen 3 does (hwdiff), although AMD's manual words it as "adds 6 to AL and 1 to
 * AH".  Then AL keeps its low nibble.
 *
 * Undefined flags differ by vendor:
 *  - AMD (Zen 3, measured): AAA/AAS take SF ZF PF from the 16-bit AX +/- 0x106 before AL is
 *    masked (AX itself when there is no adjustment) and OF from that add/subtract's signed
 *    overflow (clear without adjustment); DAA/DAS set OF as the 8-bit
 *    add/subtract of the whole adjustment (0, 6, 0x60 or 0x66) to AL would; AAD sets CF AF OF
 *    as ADD AL, AH*imm8 would; AAM clears them.
 *  - Intel (and the default): SF ZF PF from the final AL, OF AF CF (where undefined) cleared.
 */
#include "internal.h"

EXEC(emu_exec_bcd)
{
    const uint64_t rax = emu_gpr(ctx, EMU_RAX);
    uint64_t f = ctx->s.rflags;
    unsigned al = (unsigned)(rax & 0xff), ah = (unsigned)((rax >> 8) & 0xff);
    uint64_t nf = 0;

    switch (in->op) {
    case OP_AAA:
    case OP_AAS: {
        const int adj = (al & 15) > 9 || (f & FL_AF);
        unsigned ax = ah << 8 | al;
        const unsigned ax0 = ax;
        if (adj) {
            ax = (ax + (in->op == OP_AAA ? 0x106u : 0u - 0x106u)) & 0xffff;
            al = ax & 0xff;
            ah = ax >> 8;
            nf = FL_AF | FL_CF;
            /* AMD: OF is the signed overflow of that 16-bit add/subtract (hwdiff --strict:
             * AAA with AX = 0x7fff, AAS with AX = 0x8000 set OF on Zen 3) */
            const unsigned ovf = in->op == OP_AAA ? (ax0 ^ ax) & (0x106u ^ ax)
                                                  : (ax0 ^ 0x106u) & (ax0 ^ ax);
            if (emu_is_amd(ctx) && (ovf & 0x8000)) nf |= FL_OF;
        }
        al &= 15;
        nf |= emu_is_amd(ctx) ? emu_flags_szp(ax, 2) : emu_flags_szp(al, 1);
        emu_gpr_write_sized(ctx, EMU_RAX, 2, 0, ah << 8 | al);
        emu_set_flags(ctx, FL_ARITH, nf);
        return EMU_OK;
    }
    case OP_DAA:
    case OP_DAS: {
        const unsigned old_al = al;
        const int old_cf = (f & FL_CF) != 0, sub = in->op == OP_DAS;
        int cf = 0;
        if ((al & 15) > 9 || (f & FL_AF)) {
            cf = old_cf || (sub ? al < 6 : al > 0xf9);
            al = (al + (sub ? 0u - 6u : 6u)) & 0xff;
            nf |= FL_AF;
        }
        if (old_al > 0x99 || old_cf) {
            al = (al + (sub ? 0u - 0x60u : 0x60u)) & 0xff;
            cf = 1;
        }
        nf |= emu_flags_szp(al, 1) | (cf ? FL_CF : 0);
        if (emu_is_amd(ctx)) {
            /* OF of AL +/- the whole adjustment */
            const unsigned adjust = (sub ? old_al - al : al - old_al) & 0xff;
            const unsigned ovf = (sub ? (old_al ^ adjust) : ~(old_al ^ adjust)) & (old_al ^ al);
            if (ovf & 0x80) nf |= FL_OF;
        }
        emu_gpr_write_sized(ctx, EMU_RAX, 1, 0, al);
        emu_set_flags(ctx, FL_ARITH, nf);
        return EMU_OK;
    }
    case OP_AAM: {
        const unsigned base = (unsigned)(in->imm & 0xff);
        if (!base) return emu_raise(ctx, EMU_DE, 0, 0);
        ah = al / base;
        al = al % base;
        emu_gpr_write_sized(ctx, EMU_RAX, 2, 0, ah << 8 | al);
        emu_set_flags(ctx, FL_ARITH, emu_flags_szp(al, 1));
        return EMU_OK;
    }
    default: { /* AAD */
        const unsigned base = (unsigned)(in->imm & 0xff), prod = (ah * base) & 0xff;
        const uint64_t fl = emu_is_amd(ctx) ? emu_flags_add(al, prod, 0, 1)
                                            : emu_flags_szp(al + prod, 1);
        al = (al + prod) & 0xff;
        emu_gpr_write_sized(ctx, EMU_RAX, 2, 0, al);
        emu_set_flags(ctx, FL_ARITH, fl);
        return EMU_OK;
    }
    }
}
