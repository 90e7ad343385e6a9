/*
 * Bit operations: BT BTS BTR BTC, BSF BSR, POPCNT LZCNT TZCNT, BMI1/BMI2 (ANDN BEXTR BLSI
 * BLSMSK BLSR BZHI MULX PDEP PEXT RORX SARX SHLX SHRX), ADCX ADOX, CRC32.
 *
 * Undefined flags (tables/opinfo_gp.inc lists them):
 *  - AMD (measured on Zen 3 with scripts/hwcheck): BT* and BSF/BSR leave them unchanged;
 *    LZCNT/TZCNT clear SF AF PF and leave OF; ANDN BLSI BLSMSK BLSR BZHI set PF from the
 *    result and clear AF; BEXTR sets PF from the result, sets AF and clears SF.
 *  - Intel (and the default): BT*, BSF/BSR, LZCNT/TZCNT leave them unchanged; the BMI
 *    instructions clear AF and PF (BEXTR also SF).
 */
#include "internal.h"

/* BT*: with a register bit offset and a memory operand the offset is signed and selects an
 * operand-sized unit at ea + (offset >> log2(bits)) * size; an immediate offset is taken
 * modulo the operand width.  CF = the bit; ZF unchanged; OF SF AF PF undefined (unchanged). */
EXEC(emu_exec_bt)
{
    const unsigned size = in->ops[0].size, bits = 8 * size;
    const int writes = in->op != OP_BT;
    uint64_t off, v;
    TRY(emu_op_read(ctx, in, 1, &off));
    unsigned bit;
    if (in->ops[0].kind == EMU_OPK_MEM && in->ops[1].kind == EMU_OPK_REG) {
        int64_t so = emu_sext(off, in->ops[1].size);
        /* floor(so / bits) without negating so: -INT64_MIN overflows (hwdiff: BTR with a bit
         * offset of 0x8000000000000000 addressed the wrong quadword) */
        const unsigned sh = bits == 64 ? 6 : bits == 32 ? 5 : 4;
        int64_t unit = so < 0 ? ~(int64_t)((uint64_t)~so >> sh) : (int64_t)((uint64_t)so >> sh);
        bit = (unsigned)((uint64_t)so & (bits - 1));
        /* Address the unit that holds the bit: a temporary displacement on the operand. */
        int64_t saved = in->disp;
        in->disp += unit * (int64_t)size;
        enum emu_status st = writes ? emu_op_read_rmw(ctx, in, 0, &v) : emu_op_read(ctx, in, 0, &v);
        in->disp = saved;
        TRY(st);
    } else {
        bit = (unsigned)(off & (bits - 1));
        if (writes) TRY(emu_op_read_rmw(ctx, in, 0, &v));
        else TRY(emu_op_read(ctx, in, 0, &v));
    }
    const uint64_t mask = 1ull << bit;
    emu_set_flags(ctx, FL_CF, (v & mask) ? FL_CF : 0);
    switch (in->op) {
    case OP_BTS: v |= mask; break;
    case OP_BTR: v &= ~mask; break;
    case OP_BTC: v ^= mask; break;
    default: return EMU_OK;
    }
    return emu_op_write(ctx, in, 0, v);
}

/* BSF/BSR: a zero source sets ZF and leaves the destination unchanged (AMD documents it; Intel
 * parts behave the same). */
EXEC(emu_exec_bsf)
{
    uint64_t v;
    TRY(emu_op_read(ctx, in, 1, &v));
    if (!v) {
        emu_set_flags(ctx, FL_ZF, FL_ZF);
        return EMU_OK;
    }
    emu_set_flags(ctx, FL_ZF, 0);
    return emu_op_write(ctx, in, 0, (uint64_t)__builtin_ctzll(v));
}

EXEC(emu_exec_bsr)
{
    uint64_t v;
    TRY(emu_op_read(ctx, in, 1, &v));
    if (!v) {
        emu_set_flags(ctx, FL_ZF, FL_ZF);
        return EMU_OK;
    }
    emu_set_flags(ctx, FL_ZF, 0);
    return emu_op_write(ctx, in, 0, (uint64_t)(63 - __builtin_clzll(v)));
}

/* Portable popcount: __builtin_popcountll would call libgcc on hosts without POPCNT. */
static unsigned popcount64(uint64_t v)
{
    v = v - ((v >> 1) & 0x5555555555555555ull);
    v = (v & 0x3333333333333333ull) + ((v >> 2) & 0x3333333333333333ull);
    v = (v + (v >> 4)) & 0x0f0f0f0f0f0f0f0full;
    return (unsigned)((v * 0x0101010101010101ull) >> 56);
}

EXEC(emu_exec_popcnt)
{
    uint64_t v;
    TRY(emu_op_read(ctx, in, 1, &v));
    emu_set_flags(ctx, FL_ARITH, v ? 0 : FL_ZF);
    return emu_op_write(ctx, in, 0, popcount64(v));
}

EXEC(emu_exec_lzcnt)
{
    const unsigned bits = 8 * in->ops[0].size;
    uint64_t v;
    TRY(emu_op_read(ctx, in, 1, &v));
    uint64_t r = v ? (uint64_t)(__builtin_clzll(v) - (64 - (int)bits)) : bits;
    emu_set_flags(ctx, FL_CF | FL_ZF | (emu_is_amd(ctx) ? FL_SF | FL_AF | FL_PF : 0),
                  (v ? 0 : FL_CF) | (r ? 0 : FL_ZF));
    return emu_op_write(ctx, in, 0, r);
}

EXEC(emu_exec_tzcnt)
{
    const unsigned bits = 8 * in->ops[0].size;
    uint64_t v;
    TRY(emu_op_read(ctx, in, 1, &v));
    uint64_t r = v ? (uint64_t)__builtin_ctzll(v) : bits;
    emu_set_flags(ctx, FL_CF | FL_ZF | (emu_is_amd(ctx) ? FL_SF | FL_AF | FL_PF : 0),
                  (v ? 0 : FL_CF) | (r ? 0 : FL_ZF));
    return emu_op_write(ctx, in, 0, r);
}

static uint64_t pdep(uint64_t src, uint64_t mask)
{
    uint64_t r = 0;
    for (uint64_t bb = 1; mask; bb <<= 1) {
        if (src & bb) r |= mask & (0 - mask);
        mask &= mask - 1;
    }
    return r;
}

static uint64_t pext(uint64_t src, uint64_t mask)
{
    uint64_t r = 0;
    for (uint64_t bb = 1; mask; bb <<= 1) {
        if (src & mask & (0 - mask)) r |= bb;
        mask &= mask - 1;
    }
    return r;
}

/* The VEX GPR instructions.  Operands as decoded: ops[0] destination; the others in the
 * order of the SDM's operand columns. */
EXEC(emu_exec_bmi)
{
    const unsigned size = in->ops[0].size, bits = 8 * size;
    const uint64_t m = emu_mask(size);
    /* PF of the result where AMD computes it (see the top of the file) */
    const int amd = emu_is_amd(ctx);
    const uint64_t pf = amd ? FL_PF : 0;
    uint64_t a = 0, b = 0, r;
    TRY(emu_op_read(ctx, in, 1, &a));
    if (in->nops > 2) TRY(emu_op_read(ctx, in, 2, &b));
    switch (in->op) {
    case OP_ANDN:
        r = ~a & b & m;
        emu_set_flags(ctx, FL_ARITH, emu_flags_szp(r, size) & (FL_SF | FL_ZF | pf));
        break;
    case OP_BEXTR: {
        unsigned start = (unsigned)(b & 0xff), len = (unsigned)((b >> 8) & 0xff);
        r = start >= bits ? 0 : a >> start;
        if (len < 64) r &= (1ull << len) - 1;
        r &= m;
        emu_set_flags(ctx, FL_ARITH, (emu_flags_szp(r, size) & (FL_ZF | pf)) | (amd ? FL_AF : 0));
        break;
    }
    case OP_BLSI:
        r = a & (0 - a) & m;
        emu_set_flags(ctx, FL_ARITH, (emu_flags_szp(r, size) & (FL_SF | FL_ZF | pf)) | (a ? FL_CF : 0));
        break;
    case OP_BLSMSK:
        r = (a ^ (a - 1)) & m;
        emu_set_flags(ctx, FL_ARITH, (emu_flags_szp(r, size) & (FL_SF | pf)) | (a ? 0 : FL_CF));
        break;
    case OP_BLSR:
        r = a & (a - 1) & m;
        emu_set_flags(ctx, FL_ARITH, (emu_flags_szp(r, size) & (FL_SF | FL_ZF | pf)) | (a ? 0 : FL_CF));
        break;
    case OP_BZHI: {
        unsigned n = (unsigned)(b & 0xff);
        r = n < bits ? a & ((1ull << n) - 1) : a;
        emu_set_flags(ctx, FL_ARITH,
                      (emu_flags_szp(r, size) & (FL_SF | FL_ZF | pf)) | (n > bits - 1 ? FL_CF : 0));
        break;
    }
    case OP_MULX: {
        /* ops: hi (reg), lo (vvvv), source; multiplies rDX. lo first: if the same register,
         * hi wins (SDM). */
        uint64_t d = emu_gpr(ctx, EMU_RDX) & m, lo, hi;
        if (size == 8) {
            unsigned __int128 p = (unsigned __int128)d * b;
            lo = (uint64_t)p;
            hi = (uint64_t)(p >> 64);
        } else {
            uint64_t p = d * b;
            lo = p & m;
            hi = p >> 32;
        }
        TRY(emu_op_write(ctx, in, 1, lo));
        return emu_op_write(ctx, in, 0, hi);
    }
    case OP_PDEP: r = pdep(a, b) & m; break;
    case OP_PEXT: r = pext(a, b) & m; break;
    case OP_RORX: {
        unsigned k = (unsigned)(b & (bits - 1));
        r = k ? ((a >> k) | (a << (bits - k))) & m : a;
        break;
    }
    case OP_SARX: r = (uint64_t)(emu_sext(a, size) >> (b & (bits - 1))) & m; break;
    case OP_SHLX: r = (a << (b & (bits - 1))) & m; break;
    default: r = a >> (b & (bits - 1)); break; /* SHRX */
    }
    return emu_op_write(ctx, in, 0, r);
}

/* ADCX: add with CF as the carry; ADOX: the same with OF.  No other flag changes. */
EXEC(emu_exec_adcx)
{
    const unsigned size = in->ops[0].size;
    const uint64_t flag = in->op == OP_ADCX ? FL_CF : FL_OF;
    uint64_t a, b;
    TRY(emu_op_read(ctx, in, 0, &a));
    TRY(emu_op_read(ctx, in, 1, &b));
    uint64_t c = (ctx->s.rflags & flag) ? 1 : 0;
    uint64_t f = emu_flags_add(a, b, c, size);
    emu_set_flags(ctx, flag, (f & FL_CF) ? flag : 0);
    return emu_op_write(ctx, in, 0, a + b + c);
}

/* CRC32: CRC-32C (Castagnoli, reflected polynomial 0x82F63B78) of the source bytes, accumulated
 * into the 32-bit destination; a 64-bit destination is zero-extended. */
EXEC(emu_exec_crc32)
{
    uint64_t acc, src;
    TRY(emu_op_read(ctx, in, 0, &acc));
    TRY(emu_op_read(ctx, in, 1, &src));
    uint32_t crc = (uint32_t)acc;
    for (unsigned i = 0; i < in->ops[1].size; i++) {
        crc ^= (uint32_t)((src >> (8 * i)) & 0xff);
        for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0x82f63b78u & (0u - (crc & 1)));
    }
    return emu_op_write(ctx, in, 0, crc);
}
