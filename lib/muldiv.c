/*
 * MUL, IMUL (one, two and three operands), DIV, IDIV.  64x64 products and 128/64 quotients in
 * portable C: no __int128 division, so no libgcc helpers in freestanding builds.
 *
 * Flags: MUL/IMUL define CF and OF; DIV/IDIV define none.  The tables mark the rest undefined;
 * what we produce for them:
 *  - AMD (measured on Zen 3 with scripts/hwcheck): MUL/IMUL leave SF ZF AF PF unchanged; a
 *    DIV/IDIV that completes clears SF ZF PF, sets AF and leaves CF and OF unchanged.
 *  - Intel (and the default): MUL/IMUL set SF ZF PF from the low half of the result and clear
 *    AF; DIV/IDIV leave the flags unchanged.
 */
#include "internal.h"

static void mul64(uint64_t a, uint64_t b, uint64_t *lo, uint64_t *hi)
{
    uint64_t a0 = a & 0xffffffff, a1 = a >> 32, b0 = b & 0xffffffff, b1 = b >> 32;
    uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
    uint64_t mid = (p00 >> 32) + (p01 & 0xffffffff) + (p10 & 0xffffffff);
    *lo = (p00 & 0xffffffff) | (mid << 32);
    *hi = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
}

static void imul64(int64_t a, int64_t b, uint64_t *lo, uint64_t *hi)
{
    mul64((uint64_t)a, (uint64_t)b, lo, hi);
    if (a < 0) *hi -= (uint64_t)b;
    if (b < 0) *hi -= (uint64_t)a;
}

/* hi:lo / d, d != 0, hi < d (no overflow): restoring division, one bit at a time. */
static uint64_t div128(uint64_t hi, uint64_t lo, uint64_t d, uint64_t *rem)
{
    uint64_t q = 0;
    for (int i = 63; i >= 0; i--) {
        int top = (hi >> 63) != 0;
        hi = (hi << 1) | (lo >> 63);
        lo <<= 1;
        q <<= 1;
        if (top || hi >= d) {
            hi -= d;
            q |= 1;
        }
    }
    *rem = hi;
    return q;
}

static void set_mul_flags(struct emu_ctx *ctx, uint64_t lo, unsigned size, int overflow)
{
    const uint64_t cfof = overflow ? FL_CF | FL_OF : 0;
    if (emu_is_amd(ctx)) emu_set_flags(ctx, FL_CF | FL_OF, cfof);
    else emu_set_flags(ctx, FL_ARITH, emu_flags_szp(lo, size) | cfof);
}

/* Write a double-width result: AX for bytes, else rDX:rAX. */
static void write_wide(struct emu_ctx *ctx, unsigned size, uint64_t lo, uint64_t hi)
{
    if (size == 1) {
        emu_gpr_write_sized(ctx, EMU_RAX, 2, 0, (lo & 0xff) | (hi & 0xff) << 8);
        return;
    }
    emu_gpr_write_sized(ctx, EMU_RAX, size, 0, lo);
    emu_gpr_write_sized(ctx, EMU_RDX, size, 0, hi);
}

EXEC(emu_exec_mul)
{
    const unsigned size = in->ops[0].size;
    uint64_t src, lo, hi;
    TRY(emu_op_read(ctx, in, 0, &src));
    uint64_t a = emu_gpr(ctx, EMU_RAX) & emu_mask(size);
    if (size == 8) {
        mul64(a, src, &lo, &hi);
    } else {
        uint64_t p = a * src;
        lo = p & emu_mask(size);
        hi = p >> (8 * size);
    }
    write_wide(ctx, size, lo, hi);
    set_mul_flags(ctx, lo, size, hi != 0);
    return EMU_OK;
}

EXEC(emu_exec_imul1)
{
    const unsigned size = in->ops[0].size;
    uint64_t src, lo, hi;
    TRY(emu_op_read(ctx, in, 0, &src));
    int64_t a = emu_sext(emu_gpr(ctx, EMU_RAX), size), b = emu_sext(src, size);
    if (size == 8) {
        imul64(a, b, &lo, &hi);
    } else {
        int64_t p = a * b;
        lo = (uint64_t)p & emu_mask(size);
        hi = ((uint64_t)p >> (8 * size)) & emu_mask(size);
    }
    int overflow = (hi != ((lo & emu_signbit(size)) ? emu_mask(size) : 0));
    write_wide(ctx, size, lo, hi);
    set_mul_flags(ctx, lo, size, overflow);
    return EMU_OK;
}

/* IMUL r, r/m and IMUL r, r/m, imm: the truncated signed product. */
EXEC(emu_exec_imul)
{
    const unsigned size = in->ops[0].size;
    uint64_t s1, s2, lo, hi;
    if (in->nops == 3) {
        TRY(emu_op_read(ctx, in, 1, &s1));
        TRY(emu_op_read(ctx, in, 2, &s2));
    } else {
        TRY(emu_op_read(ctx, in, 0, &s1));
        TRY(emu_op_read(ctx, in, 1, &s2));
    }
    int64_t a = emu_sext(s1, size), b = emu_sext(s2, size);
    int overflow;
    if (size == 8) {
        imul64(a, b, &lo, &hi);
        overflow = hi != ((lo >> 63) ? ~0ull : 0);
    } else {
        int64_t p = a * b;
        lo = (uint64_t)p & emu_mask(size);
        overflow = p != emu_sext(lo, size);
    }
    set_mul_flags(ctx, lo, size, overflow);
    return emu_op_write(ctx, in, 0, lo);
}

/* DIV / IDIV: #DE for a zero divisor or a quotient that does not fit. */
EXEC(emu_exec_div)
{
    const unsigned size = in->ops[0].size;
    const uint64_t m = emu_mask(size);
    uint64_t d, lo, hi, q, r;
    TRY(emu_op_read(ctx, in, 0, &d));
    if (d == 0) return emu_raise(ctx, EMU_DE, 0, 0);
    if (size == 1) {
        uint64_t ax = emu_gpr(ctx, EMU_RAX) & 0xffff;
        lo = ax & 0xff;
        hi = ax >> 8;
    } else {
        lo = emu_gpr(ctx, EMU_RAX) & m;
        hi = emu_gpr(ctx, EMU_RDX) & m;
    }
    if (in->op == OP_DIV) {
        if (hi >= d) return emu_raise(ctx, EMU_DE, 0, 0);
        if (size == 8) {
            q = div128(hi, lo, d, &r);
        } else {
            uint64_t n = (hi << (8 * size)) | lo;
            q = n / d;
            r = n % d;
        }
    } else {
        /* Signed: divide magnitudes, then fix the signs; the quotient must fit. */
        const int neg_n = (hi & emu_signbit(size)) != 0;
        const int64_t sd = emu_sext(d, size);
        const int neg_d = sd < 0;
        uint64_t ud = neg_d ? (uint64_t)0 - (uint64_t)sd : (uint64_t)sd;
        uint64_t nh = hi, nl = lo;
        if (size < 8) {
            uint64_t n = ((hi << (8 * size)) | lo) & (size == 4 ? ~0ull : emu_mask(2 * size));
            int64_t sn = size == 4 ? (int64_t)n : emu_sext(n, 2 * size);
            uint64_t un = sn < 0 ? (uint64_t)0 - (uint64_t)sn : (uint64_t)sn;
            q = un / ud;
            r = un % ud;
        } else {
            if (neg_n) { /* negate the 128-bit dividend */
                nl = ~nl + 1;
                nh = ~nh + (nl == 0);
            }
            if (nh >= ud) return emu_raise(ctx, EMU_DE, 0, 0);
            q = div128(nh, nl, ud, &r);
        }
        const uint64_t limit = emu_signbit(size); /* |q| <= 2^(n-1) for negative, < for positive */
        if (neg_n != neg_d) {
            if (q > limit) return emu_raise(ctx, EMU_DE, 0, 0);
            q = (uint64_t)0 - q;
        } else if (q >= limit) {
            return emu_raise(ctx, EMU_DE, 0, 0);
        }
        if (neg_n) r = (uint64_t)0 - r;
    }
    if (size == 1) {
        emu_gpr_write_sized(ctx, EMU_RAX, 2, 0, (q & 0xff) | (r & 0xff) << 8);
    } else {
        emu_gpr_write_sized(ctx, EMU_RAX, size, 0, q);
        emu_gpr_write_sized(ctx, EMU_RDX, size, 0, r);
    }
    if (emu_is_amd(ctx)) emu_set_flags(ctx, FL_SZP | FL_AF, FL_AF); /* see the top of the file */
    return EMU_OK;
}
