/*
 * Shifts and rotates: ROL ROR RCL RCR SHL/SAL SHR SAR, SHLD SHRD.
 *
 * The count is masked to 5 bits (6 with a 64-bit operand).  A masked count of 0 changes no
 * flags; a 32-bit register destination is still written (and so zero-extended in 64-bit mode),
 * as hardware does.  OF is defined only for a count of 1: for larger counts we produce the
 * count-1 formula applied to the final result, which is what Intel parts do; the tables mark
 * OF (and AF for shifts) undefined so comparisons with hardware mask them.
 */
#include "internal.h"

static uint64_t count_of(struct emu_ctx *ctx, struct emu_insn *in, unsigned i, unsigned size, uint64_t *c)
{
    uint64_t v;
    enum emu_status st = emu_op_read(ctx, in, i, &v);
    *c = v & (size == 8 ? 0x3f : 0x1f);
    return st;
}

/* Nothing to do for a zero count, except the zero-extension of a 32-bit register. */
static enum emu_status zero_count(struct emu_ctx *ctx, struct emu_insn *in, uint64_t a)
{
    if (in->ops[0].kind == EMU_OPK_REG && in->ops[0].size == 4) return emu_op_write(ctx, in, 0, a);
    return EMU_OK;
}

EXEC(emu_exec_shift)
{
    const unsigned size = in->ops[0].size, bits = 8 * size;
    const uint64_t m = emu_mask(size), sb = emu_signbit(size);
    uint64_t a, c, r, f = ctx->s.rflags;
    TRY(emu_op_read_rmw(ctx, in, 0, &a));
    TRY(count_of(ctx, in, 1, size, &c));
    if (c == 0) return zero_count(ctx, in, a);
    int cf, of;
    switch (in->op) {
    case OP_ROL: {
        unsigned k = (unsigned)(c % bits);
        r = k ? ((a << k) | (a >> (bits - k))) & m : a;
        cf = (int)(r & 1);
        of = ((r & sb) != 0) ^ cf;
        break;
    }
    case OP_ROR: {
        unsigned k = (unsigned)(c % bits);
        r = k ? ((a >> k) | (a << (bits - k))) & m : a;
        cf = (r & sb) != 0;
        of = cf ^ ((r & (sb >> 1)) != 0);
        break;
    }
    case OP_RCL: {
        unsigned k = (unsigned)(c % (bits + 1));
        int carry = (f & FL_CF) != 0;
        r = a;
        for (unsigned i = 0; i < k; i++) {
            int out = (r & sb) != 0;
            r = ((r << 1) | (uint64_t)carry) & m;
            carry = out;
        }
        cf = carry;
        of = ((r & sb) != 0) ^ cf;
        break;
    }
    case OP_RCR: {
        unsigned k = (unsigned)(c % (bits + 1));
        int carry = (f & FL_CF) != 0;
        of = ((a & sb) != 0) ^ carry; /* computed before the rotate (SDM) */
        r = a;
        for (unsigned i = 0; i < k; i++) {
            int out = (int)(r & 1);
            r = (r >> 1) | (carry ? sb : 0);
            carry = out;
        }
        cf = carry;
        break;
    }
    case OP_SHR:
        r = c >= bits ? 0 : a >> c;
        cf = c > bits ? 0 : (int)((a >> (c - 1)) & 1);
        of = (a & sb) != 0;
        break;
    case OP_SAR: {
        int64_t sa = emu_sext(a, size);
        r = (uint64_t)(sa >> (c >= bits ? bits - 1 : c)) & m;
        cf = (int)(((uint64_t)(sa >> (c - 1 >= bits ? bits - 1 : c - 1))) & 1);
        of = 0;
        break;
    }
    default: /* SHL, SAL */
        r = c >= bits ? 0 : (a << c) & m;
        cf = c > bits ? 0 : (int)((a >> (bits - c)) & 1);
        of = ((r & sb) != 0) ^ cf;
        break;
    }
    if (in->op == OP_ROL || in->op == OP_ROR || in->op == OP_RCL || in->op == OP_RCR) {
        emu_set_flags(ctx, FL_CF | FL_OF, (cf ? FL_CF : 0) | (of ? FL_OF : 0));
    } else {
        emu_set_flags(ctx, FL_ARITH, emu_flags_szp(r, size) | (cf ? FL_CF : 0) | (of ? FL_OF : 0));
    }
    return emu_op_write(ctx, in, 0, r);
}

/* SHLD/SHRD.  A 16-bit count above 16 is undefined; we shift through dst:src:dst as Intel
 * parts do. */
EXEC(emu_exec_shxd)
{
    const unsigned size = in->ops[0].size, bits = 8 * size;
    const uint64_t m = emu_mask(size), sb = emu_signbit(size);
    uint64_t a, b, c, r;
    int cf;
    TRY(emu_op_read_rmw(ctx, in, 0, &a));
    TRY(emu_op_read(ctx, in, 1, &b));
    TRY(count_of(ctx, in, 2, size, &c));
    if (c == 0) return zero_count(ctx, in, a);
    if (size == 2) {
        /* 48-bit value dst:src:dst (SHLD) or dst:src:dst seen from the right (SHRD). */
        if (in->op == OP_SHLD) {
            uint64_t t = (a << 32) | (b << 16) | a;
            r = (t >> (32 - c)) & m;
            cf = (int)((t >> (48 - c)) & 1);
        } else {
            uint64_t t = (a << 32) | (b << 16) | a;
            r = (t >> c) & m;
            cf = (int)((t >> (c - 1)) & 1);
        }
    } else if (in->op == OP_SHLD) {
        r = ((a << c) | (b >> (bits - c))) & m;
        cf = (int)((a >> (bits - c)) & 1);
    } else {
        r = ((a >> c) | (b << (bits - c))) & m;
        cf = (int)((a >> (c - 1)) & 1);
    }
    int of = ((r ^ a) & sb) != 0;
    emu_set_flags(ctx, FL_ARITH, emu_flags_szp(r, size) | (cf ? FL_CF : 0) | (of ? FL_OF : 0));
    return emu_op_write(ctx, in, 0, r);
}
