/*
 * BCD adjustment: AAA AAS DAA DAS AAM AAD (invalid in 64-bit mode; the decoder says so).
 *
 * AAA/AAS differ by vendor: Intel adds/subtracts 0x106 to AX as one 16-bit operation (a carry
 * from AL reaches AH), AMD adjusts AL and AH separately.  SF/ZF/PF after AAA/AAS and OF after
 * DAA/DAS are undefined; we produce SF/ZF/PF from the resulting AL and OF = 0.
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
        if (adj) {
            const int add = in->op == OP_AAA;
            if (emu_is_amd(ctx)) {
                al = (al + (add ? 6u : 0u - 6u)) & 0xff;
                ah = (ah + (add ? 1u : 0u - 1u)) & 0xff;
            } else {
                unsigned ax = (ah << 8 | al) + (add ? 0x106u : 0u - 0x106u);
                al = ax & 0xff;
                ah = (ax >> 8) & 0xff;
            }
            nf = FL_AF | FL_CF;
        }
        al &= 15;
        nf |= emu_flags_szp(al, 1);
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
        const unsigned base = (unsigned)(in->imm & 0xff);
        al = (al + ah * base) & 0xff;
        emu_gpr_write_sized(ctx, EMU_RAX, 2, 0, al);
        emu_set_flags(ctx, FL_ARITH, emu_flags_szp(al, 1));
        return EMU_OK;
    }
    }
}
