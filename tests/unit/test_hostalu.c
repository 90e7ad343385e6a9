/*
 * lib/hostalu.h: the fast path's ALU on the host's own instructions against the portable
 * formulas the pipeline uses (lib/internal.h), and both against values worked out by hand.
 *
 * host_equals_portable: every operation at 8 bits for every pair of operands and carry-in,
 * with random bits above the byte (which 8-bit operations keep); at 16, 32 and 64 bits the
 * edge values (0, 1, the sign boundary, all ones, the nibble carry) against each other and
 * a million random operands.  The result is the whole register, the flags the six
 * arithmetic ones.  On a host without the asm (not x86-64, or EMU_NO_HOST_ALU) both sides are
 * the portable formulas and the test still checks the worked values.
 */
#include "lib/hostalu.h" /* (first: harness.h names the flags CF, PF, ...) */
#include "harness.h"

static uint64_t rng = 0x243f6a8885a308d3ull;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* One operation both ways: result and flags equal. */
static void ck_both(unsigned sel, uint64_t a, uint64_t b, uint64_t cf)
{
    uint64_t fh, fp;
    const uint64_t rh = emu_host_alu(sel, a, b, cf, &fh);
    const uint64_t rp = emu_portable_alu(sel, a, b, cf, &fp);
    if (rh != rp || fh != fp)
        ck_abort_msg("sel %u (kind %u size %u) a=%#llx b=%#llx cf=%llu: host %#llx flags %#llx, portable %#llx "
                     "flags %#llx",
                     sel, sel >> 2, 1u << (sel & 3), (unsigned long long)a, (unsigned long long)b,
                     (unsigned long long)cf, (unsigned long long)rh, (unsigned long long)fh,
                     (unsigned long long)rp, (unsigned long long)fp);
}

START_TEST(host_equals_portable)
{
    for (unsigned kind = 0; kind < HALU_KINDS; kind++) {
        const unsigned sel8 = emu_halu_sel(kind, 1);
        for (unsigned a = 0; a < 256; a++)
            for (unsigned b = 0; b < 256; b++)
                for (unsigned cf = 0; cf < 2; cf++) ck_both(sel8, (rnd() & ~0xffull) | a, rnd() << 8 | b, cf);
        static const uint64_t edges[] = { 0, 1, 2, 0xf, 0x10, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff,
                                          0x7fffffff, 0x80000000, 0xffffffff, 0x7fffffffffffffffull,
                                          0x8000000000000000ull, 0xffffffffffffffffull, 0x123456789abcdef0ull };
        const unsigned ne = sizeof edges / sizeof edges[0];
        for (unsigned size = 2; size <= 8; size *= 2) {
            const unsigned sel = emu_halu_sel(kind, size);
            for (unsigned i = 0; i < ne; i++)
                for (unsigned j = 0; j < ne; j++)
                    for (unsigned cf = 0; cf < 2; cf++) ck_both(sel, edges[i], edges[j], cf);
            for (unsigned k = 0; k < 30000; k++) ck_both(sel, rnd(), rnd(), rnd() & 1);
        }
    }
}
END_TEST

/* Worked by hand: kind, size, a, b, carry-in -> the register, the flags. */
static const struct {
    unsigned kind, size;
    uint64_t a, b, cf, r, flags;
} worked[] = {
    /* 0xff + 1 = 0x100: the byte is 0 with a carry out of bit 7 and out of bit 3; the rest
     * of the register is kept */
    { HALU_ADD, 1, 0xaaaaaaaaaaaaaaffull, 1, 0, 0xaaaaaaaaaaaaaa00ull, CF | PF | AF | ZF },
    /* 0x7fffffff + 1: signed overflow into the sign; a 32-bit write clears bits 63:32 */
    { HALU_ADD, 4, 0xffffffff7fffffffull, 1, 0, 0x80000000, PF | AF | SF | OF },
    /* ADC: 0xfffe + 1 + carry 1 = 0x10000 */
    { HALU_ADC, 2, 0xfffe, 1, 1, 0, CF | PF | AF | ZF },
    /* 0 - 1: borrow; 0xffff has eight ones in its low byte (even) */
    { HALU_SUB, 2, 0, 1, 0, 0xffff, CF | PF | AF | SF },
    /* SBB: 0x8000000000000000 - 0 - 1: signed overflow out of the sign */
    { HALU_SBB, 8, 0x8000000000000000ull, 0, 1, 0x7fffffffffffffffull, PF | AF | OF },
    /* CMP writes nothing, not even the clearing of bits 63:32 a 32-bit write does */
    { HALU_CMP, 4, 0xdeadbeef00000005ull, 5, 0, 0xdeadbeef00000005ull, PF | ZF },
    /* the logical operations clear CF, OF and the undefined AF */
    { HALU_AND, 1, 0x1f, 0x18, 1, 0x18, PF },
    { HALU_OR, 8, 0x8000000000000000ull, 1, 0, 0x8000000000000001ull, SF },
    { HALU_XOR, 4, 0xffffffffffffffffull, 0xffffffff, 0, 0, PF | ZF },
    { HALU_TEST, 2, 0x12348000, 0x8000, 0, 0x12348000, PF | SF },
    /* INC and DEC keep CF (here: the carry-in) and set AF from bit 3 */
    { HALU_INC, 4, 0xffffffffffffffffull, 0, 1, 0, CF | PF | AF | ZF },
    { HALU_INC, 1, 0x7f, 0, 0, 0x80, AF | SF | OF },
    { HALU_DEC, 2, 0x12340000, 0, 0, 0x1234ffff, PF | AF | SF },
    { HALU_DEC, 8, 1, 0, 1, 0, CF | PF | ZF },
};

START_TEST(worked_values)
{
    for (unsigned i = 0; i < sizeof worked / sizeof worked[0]; i++) {
        const unsigned sel = emu_halu_sel(worked[i].kind, worked[i].size);
        uint64_t fh, fp;
        const uint64_t rh = emu_host_alu(sel, worked[i].a, worked[i].b, worked[i].cf, &fh);
        const uint64_t rp = emu_portable_alu(sel, worked[i].a, worked[i].b, worked[i].cf, &fp);
        ck_assert_msg(rh == worked[i].r && fh == worked[i].flags, "case %u host: %#llx flags %#llx", i,
                      (unsigned long long)rh, (unsigned long long)fh);
        ck_assert_msg(rp == worked[i].r && fp == worked[i].flags, "case %u portable: %#llx flags %#llx", i,
                      (unsigned long long)rp, (unsigned long long)fp);
    }
}
END_TEST

static Suite *hostalu_suite(void)
{
    Suite *s = suite_create("hostalu");
    TCase *t = tcase_create("hostalu");
    tcase_add_test(t, worked_values);
    tcase_add_test(t, host_equals_portable);
    suite_add_tcase(s, t);
    return s;
}
REGISTER_SUITE(hostalu_suite)
