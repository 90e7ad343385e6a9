/*
 * Data movement: MOV, MOVZX/MOVSX/MOVSXD, XCHG, CMPXCHG, CMPXCHG8B/16B, XADD, BSWAP, MOVBE,
 * CMOVcc, SETcc, LEA, LAHF/SAHF, CBW..CQO, XLAT, SALC.
 */
#include "internal.h"

EXEC(emu_exec_mov)
{
    uint64_t v;
    TRY(emu_op_read(ctx, in, 1, &v));
    return emu_op_write(ctx, in, 0, v);
}

EXEC(emu_exec_movzx)
{
    uint64_t v;
    TRY(emu_op_read(ctx, in, 1, &v));
    return emu_op_write(ctx, in, 0, v);
}

/* MOVSX and MOVSXD: sign-extend the source to the destination size. */
EXEC(emu_exec_movsx)
{
    uint64_t v;
    TRY(emu_op_read(ctx, in, 1, &v));
    return emu_op_write(ctx, in, 0, (uint64_t)emu_sext(v, in->ops[1].size));
}

/* XCHG with a memory operand is locked whether or not LOCK is given. */
EXEC(emu_exec_xchg)
{
    uint64_t a, b;
    TRY(emu_op_read_rmw(ctx, in, 0, &a));
    TRY(emu_op_read(ctx, in, 1, &b));
    TRY(emu_op_write(ctx, in, 0, b));
    if (in->ops[0].kind == EMU_OPK_MEM) {
        struct emu_wlog *w = &ctx->s.writes[ctx->s.nwrites - 1];
        w->locked = 1;
        w->old = a;
    }
    return emu_op_write(ctx, in, 1, a);
}

/* CMPXCHG: compare the accumulator with the destination.  Equal: ZF=1, destination := source.
 * Not equal: ZF=0, accumulator := destination; a memory destination is written back with its
 * own value (the locked write always happens), a register destination is left alone. */
EXEC(emu_exec_cmpxchg)
{
    const unsigned size = in->ops[0].size;
    uint64_t dst, src, acc = emu_gpr(ctx, EMU_RAX) & emu_mask(size);
    TRY(emu_op_read_rmw(ctx, in, 0, &dst));
    TRY(emu_op_read(ctx, in, 1, &src));
    emu_set_flags(ctx, FL_ARITH, emu_flags_sub(acc, dst, 0, size));
    if (acc == dst) return emu_op_write(ctx, in, 0, src);
    if (in->ops[0].kind == EMU_OPK_MEM) TRY(emu_op_write(ctx, in, 0, dst));
    emu_gpr_write_sized(ctx, EMU_RAX, size, 0, dst);
    return EMU_OK;
}

/* CMPXCHG8B / CMPXCHG16B: rDX:rAX against m64/m128; rCX:rBX is stored when equal. */
EXEC(emu_exec_cmpxchg8b)
{
    const unsigned half = in->op == OP_CMPXCHG16B ? 8 : 4;
    struct emu_scratch *s = &ctx->s;
    uint64_t la, ea = emu_ea(ctx, in);
    unsigned flags;
    uint8_t buf[16], out[16];

    /* m128 must be 16-byte aligned.  Alignment is a property of the linear address (an FS/GS
     * base takes part), and it is checked before the canonical check: a misaligned operand
     * at a non-canonical rBP/rSP-based address is #GP(0), not #SS(0) (Zen 3, hwdiff).
     * CMPXCHG16B exists only in 64-bit mode, where the base is FS/GS's or 0. */
    if (half == 8) {
        uint64_t base = 0;
        if (in->seg == EMU_SEG_FS || in->seg == EMU_SEG_GS) {
            const struct emu_segment *sr;
            TRY(emu_get_seg(ctx, in->seg, &sr));
            base = sr->base;
        }
        if ((base + ea) & 15) return emu_gp0(ctx);
    }
    TRY(emu_linear(ctx, in->seg, ea, 2 * half, EMU_ACC_R | EMU_ACC_W, &la));
    TRY(emu_data_flags(ctx, &flags));
    if (in->seg == EMU_SEG_SS) flags |= EMU_MEM_STACK;
    TRY(emu_read_la(ctx, la, buf, 2 * half, flags | EMU_MEM_RMW));
    const uint64_t m = emu_mask(half);
    uint64_t lo = emu_load_le(buf, half), hi = emu_load_le(buf + half, half);
    uint64_t ax = emu_gpr(ctx, EMU_RAX) & m, dx = emu_gpr(ctx, EMU_RDX) & m;
    int eq = lo == ax && hi == dx;
    if (eq) {
        emu_store_le(out, emu_gpr(ctx, EMU_RBX), half);
        emu_store_le(out + half, emu_gpr(ctx, EMU_RCX), half);
    } else {
        __builtin_memcpy(out, buf, 2 * half);
        emu_gpr_write_sized(ctx, EMU_RAX, half, 0, lo);
        emu_gpr_write_sized(ctx, EMU_RDX, half, 0, hi);
    }
    TRY(emu_write_la(ctx, la, out, 2 * half, flags));
    struct emu_wlog *w = &s->writes[s->nwrites - 1];
    w->locked = 1;
    w->old = half == 8 ? lo : (lo | hi << 32);
    w->old_hi = half == 8 ? hi : 0;
    emu_set_flags(ctx, FL_ZF, eq ? FL_ZF : 0);
    return EMU_OK;
}

EXEC(emu_exec_xadd)
{
    const unsigned size = in->ops[0].size;
    uint64_t dst, src;
    TRY(emu_op_read_rmw(ctx, in, 0, &dst));
    TRY(emu_op_read(ctx, in, 1, &src));
    emu_set_flags(ctx, FL_ARITH, emu_flags_add(dst, src, 0, size));
    /* source := old destination first, so "xadd r, r" ends with the sum */
    TRY(emu_op_write(ctx, in, 1, dst));
    return emu_op_write(ctx, in, 0, dst + src);
}

static uint64_t bswap(uint64_t v, unsigned size)
{
    uint64_t r = 0;
    for (unsigned i = 0; i < size; i++) r |= ((v >> (8 * i)) & 0xff) << (8 * (size - 1 - i));
    return r;
}

/* BSWAP r16 is undefined; Intel and AMD parts both clear the low 16 bits, which we model. */
EXEC(emu_exec_bswap)
{
    uint64_t v;
    TRY(emu_op_read(ctx, in, 0, &v));
    if (in->ops[0].size == 2) return emu_op_write(ctx, in, 0, 0);
    return emu_op_write(ctx, in, 0, bswap(v, in->ops[0].size));
}

EXEC(emu_exec_movbe)
{
    uint64_t v;
    TRY(emu_op_read(ctx, in, 1, &v));
    return emu_op_write(ctx, in, 0, bswap(v, in->ops[0].size));
}

/* CMOVcc reads its source whatever the condition (a memory source can fault), and a 32-bit
 * destination is zero-extended in 64-bit mode even when the condition is false. */
EXEC(emu_exec_cmovcc)
{
    uint64_t v;
    TRY(emu_op_read(ctx, in, 1, &v));
    if (emu_cond(ctx->s.rflags, in->aux)) return emu_op_write(ctx, in, 0, v);
    if (in->ops[0].size == 4) {
        uint64_t cur;
        TRY(emu_op_read(ctx, in, 0, &cur));
        return emu_op_write(ctx, in, 0, cur);
    }
    return EMU_OK;
}

EXEC(emu_exec_setcc)
{
    return emu_op_write(ctx, in, 0, (uint64_t)emu_cond(ctx->s.rflags, in->aux));
}

EXEC(emu_exec_lea)
{
    return emu_op_write(ctx, in, 0, emu_ea(ctx, in));
}

/* LAHF/SAHF exist in 64-bit mode only with CPUID LAHF_LM. */
static enum emu_status lahf_allowed(struct emu_ctx *ctx)
{
    if (emu_is64(ctx) && !emu_has(ctx, EMU_FEAT_LAHF_LM)) return emu_ud(ctx);
    return EMU_OK;
}

EXEC(emu_exec_lahf)
{
    TRY(lahf_allowed(ctx));
    uint64_t ah = (ctx->s.rflags & (FL_SF | FL_ZF | FL_AF | FL_PF | FL_CF)) | 2;
    emu_gpr_write_sized(ctx, EMU_RAX, 1, 1, ah);
    EMU_UNUSED(in);
    return EMU_OK;
}

EXEC(emu_exec_sahf)
{
    TRY(lahf_allowed(ctx));
    uint64_t ah = (emu_gpr(ctx, EMU_RAX) >> 8) & 0xff;
    emu_set_flags(ctx, FL_SF | FL_ZF | FL_AF | FL_PF | FL_CF, ah);
    EMU_UNUSED(in);
    return EMU_OK;
}

/* CBW / CWDE / CDQE: sign-extend the lower half of rAX into rAX. */
EXEC(emu_exec_cbw)
{
    const unsigned size = in->opsize;
    uint64_t v = (uint64_t)emu_sext(emu_gpr(ctx, EMU_RAX), size / 2);
    emu_gpr_write_sized(ctx, EMU_RAX, size, 0, v);
    return EMU_OK;
}

/* CWD / CDQ / CQO: rDX := the sign of rAX. */
EXEC(emu_exec_cwd)
{
    const unsigned size = in->opsize;
    uint64_t sign = (emu_gpr(ctx, EMU_RAX) & emu_signbit(size)) ? ~0ull : 0;
    emu_gpr_write_sized(ctx, EMU_RDX, size, 0, sign);
    return EMU_OK;
}

/* XLAT: AL := [seg:rBX + AL] at the address size. */
EXEC(emu_exec_xlat)
{
    uint8_t b;
    uint64_t off = (emu_gpr(ctx, EMU_RBX) + (emu_gpr(ctx, EMU_RAX) & 0xff)) & emu_mask(in->addrsize);
    TRY(emu_read_mem(ctx, in->seg, off, &b, 1, 0));
    emu_gpr_write_sized(ctx, EMU_RAX, 1, 0, b);
    return EMU_OK;
}

/* SALC (undocumented, D6): AL := CF ? FF : 00.  Intel and AMD execute it outside 64-bit mode. */
EXEC(emu_exec_salc)
{
    EMU_UNUSED(in);
    emu_gpr_write_sized(ctx, EMU_RAX, 1, 0, (ctx->s.rflags & FL_CF) ? 0xff : 0);
    return EMU_OK;
}
