/*
 * Shifts and rotates: ROL ROR RCL RCR SHL/SAL SHR SAR, SHLD SHRD.
 *
 * The count is masked to 5 bits (6 with a 64-bit operand).  A masked count of 0 changes no
 * flags; a 32-bit register destination is still written (and so zero-extended in 64-bit mode),
 * as hardware does.
 *
 * Undefined flags (the tables mark OF for counts other than 1, and AF for the shifts, so that
 * comparisons with hardware can mask them):
 *  - AMD (measured on Zen 3 with hwcheck, now hwdiff): OF always comes from the final result with
 *    the count-1 formula of the direction: left shifts and rotates OF = MSB(result) ^ CF, right
 *    ones OF = MSB(result) ^ MSB-1(result) (so SHR gives 0 for counts above 1, RCR differs from
 *    the pre-rotate formula).  The shifts (not the rotates) set AF for a non-zero count.
 *    SHLD/SHRD with a 16-bit operand and a count of 17..31 see src:src (see shxd_amd16).
 *  - Intel (and the default): OF for counts above 1 from the formulas the SDM gives for count
 *    1 (SHR: MSB of the original; RCR: before the rotate; SHLD/SHRD: sign change), AF cleared.
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
    const int amd = emu_is_amd(ctx);
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
        of = ((a & sb) != 0) ^ carry; /* the SDM's count-1 formula, before the rotate */
        r = a;
        for (unsigned i = 0; i < k; i++) {
            int out = (int)(r & 1);
            r = (r >> 1) | (carry ? sb : 0);
            carry = out;
        }
        cf = carry;
        if (amd) of = ((r & sb) != 0) ^ ((r & (sb >> 1)) != 0); /* AMD: from the result */
        break;
    }
    case OP_SHR:
        r = c >= bits ? 0 : a >> c;
        cf = c > bits ? 0 : (int)((a >> (c - 1)) & 1);
        /* count 1: the original MSB.  Above 1, AMD takes MSB ^ MSB-1 of the result: 0. */
        of = (a & sb) != 0 && (c == 1 || !amd);
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
        /* AF is undefined: AMD sets it, Intel (our default) clears it */
        emu_set_flags(ctx, FL_ARITH, emu_flags_szp(r, size) | (cf ? FL_CF : 0) | (of ? FL_OF : 0) |
                                         (amd ? FL_AF : 0));
    }
    return emu_op_write(ctx, in, 0, r);
}

/* AMD's 16-bit SHLD/SHRD (Zen 3, hwcheck, now hwdiff): up to 16 the usual dst:src shift; from 17
 * to 31 the source is rotated by count-16 (as if shifting src:src into the destination), CF and
 * (SHLD) OF are 0, and SHLD by exactly 16 gives OF = CF. */
static uint64_t shxd_amd16(int left, uint64_t a, uint64_t b, unsigned c, int *cf, int *of)
{
    uint64_t r;
    if (c <= 16) {
        r = (left ? (a << c) | (b >> (16 - c)) : (a >> c) | (b << (16 - c))) & 0xffff;
        *cf = (int)(left ? (a >> (16 - c)) & 1 : (a >> (c - 1)) & 1);
    } else {
        const unsigned k = c - 16;
        r = (left ? (b << k) | (b >> (16 - k)) : (b >> k) | (b << (16 - k))) & 0xffff;
        *cf = 0;
    }
    if (left) *of = c < 16 ? (int)((r >> 15) & 1) ^ *cf : c == 16 ? *cf : 0;
    else *of = (int)(((r >> 15) ^ (r >> 14)) & 1);
    return r;
}

/* SHLD/SHRD.  A 16-bit count above 16 leaves the result undefined: AMD as above; otherwise we
 * shift through dst:src:dst, the behaviour reported for Intel parts. */
EXEC(emu_exec_shxd)
{
    const unsigned size = in->ops[0].size, bits = 8 * size;
    const uint64_t m = emu_mask(size), sb = emu_signbit(size);
    const int amd = emu_is_amd(ctx), left = in->op == OP_SHLD;
    uint64_t a, b, c, r;
    int cf, of;
    TRY(emu_op_read_rmw(ctx, in, 0, &a));
    TRY(emu_op_read(ctx, in, 1, &b));
    TRY(count_of(ctx, in, 2, size, &c));
    if (c == 0) return zero_count(ctx, in, a);
    if (size == 2 && amd) {
        r = shxd_amd16(left, a & m, b & m, (unsigned)c, &cf, &of);
    } else {
        if (size == 2) {
            /* 48-bit value dst:src:dst (SHLD) or dst:src:dst seen from the right (SHRD). */
            uint64_t t = (a << 32) | (b << 16) | a;
            if (left) {
                r = (t >> (32 - c)) & m;
                cf = (int)((t >> (48 - c)) & 1);
            } else {
                r = (t >> c) & m;
                cf = (int)((t >> (c - 1)) & 1);
            }
        } else if (left) {
            r = ((a << c) | (b >> (bits - c))) & m;
            cf = (int)((a >> (bits - c)) & 1);
        } else {
            r = ((a >> c) | (b << (bits - c))) & m;
            cf = (int)((a >> (c - 1)) & 1);
        }
        if (!amd) of = ((r ^ a) & sb) != 0; /* the sign change, the count-1 definition */
        else if (left) of = ((r & sb) != 0) ^ cf;
        else of = ((r & sb) != 0) ^ ((r & (sb >> 1)) != 0);
    }
    emu_set_flags(ctx, FL_ARITH, emu_flags_szp(r, size) | (cf ? FL_CF : 0) | (of ? FL_OF : 0) |
                                     (amd ? FL_AF : 0));
    return emu_op_write(ctx, in, 0, r);
}
