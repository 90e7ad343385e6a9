/*
 * Arithmetic flags in portable C (no host flag instructions, so any host and any sanitizer).
 * Each helper returns a full set of the six arithmetic flags; callers merge with emu_set_flags.
 */
#include "internal.h"

/* PF: set when the low byte has an even number of ones. */
#define P2(n) n, n ^ 1, n ^ 1, n
#define P4(n) P2(n), P2(n ^ 1), P2(n ^ 1), P2(n)
#define P6(n) P4(n), P4(n ^ 1), P4(n ^ 1), P4(n)
const uint8_t emu_parity[256] = { P6(1), P6(0), P6(0), P6(1) };

uint64_t emu_flags_szp(uint64_t r, unsigned size)
{
    uint64_t f = 0;
    r &= emu_mask(size);
    if (r == 0) f |= EMU_FLAG_ZF;
    if (r & emu_signbit(size)) f |= EMU_FLAG_SF;
    if (emu_parity[r & 0xff]) f |= EMU_FLAG_PF;
    return f;
}

uint64_t emu_flags_add(uint64_t a, uint64_t b, uint64_t carry, unsigned size)
{
    const uint64_t m = emu_mask(size), sb = emu_signbit(size);
    a &= m;
    b &= m;
    uint64_t r = (a + b + carry) & m;
    uint64_t f = emu_flags_szp(r, size);
    /* carry out of the top bit: r < a, or r == a with a carry in */
    if (r < a || (carry && r == a)) f |= EMU_FLAG_CF;
    if ((a ^ b ^ r) & 0x10) f |= EMU_FLAG_AF;
    if ((~(a ^ b) & (a ^ r)) & sb) f |= EMU_FLAG_OF;
    return f;
}

uint64_t emu_flags_sub(uint64_t a, uint64_t b, uint64_t borrow, unsigned size)
{
    const uint64_t m = emu_mask(size), sb = emu_signbit(size);
    a &= m;
    b &= m;
    uint64_t r = (a - b - borrow) & m;
    uint64_t f = emu_flags_szp(r, size);
    if (a < b || (borrow && a == b)) f |= EMU_FLAG_CF;
    if ((a ^ b ^ r) & 0x10) f |= EMU_FLAG_AF;
    if (((a ^ b) & (a ^ r)) & sb) f |= EMU_FLAG_OF;
    return f;
}

uint64_t emu_flags_logic(uint64_t r, unsigned size)
{
    /* CF = OF = 0; AF is undefined: both vendors clear it. */
    return emu_flags_szp(r, size);
}
