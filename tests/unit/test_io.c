/*
 * Port I/O: IN/OUT at every size with immediate and DX ports, and the permission check of
 * IN/OUT/INS/OUTS: IOPL >= CPL, otherwise (and always in virtual-8086 mode) the I/O permission
 * bitmap of a 32-bit TSS, read two bytes at a time and bounded by the TSS limit.  The check
 * precedes the SVM IOIO intercept.
 */
#include "harness.h"

#define TSS 0x5000u
#define IOBASE 0x68u
#define TSS_LIMIT (IOBASE + 0x80u) /* bitmap for ports 0..0x3ff and the 0xff terminator byte */

static void set_bit(struct machine *m, unsigned port)
{
    uint8_t b;
    machine_peek(m, TSS + IOBASE + port / 8, &b, 1);
    b = (uint8_t)(b | 1u << (port % 8));
    machine_poke(m, TSS + IOBASE + port / 8, &b, 1);
}

/* A 32-bit busy TSS at 0x5000 whose bitmap allows every port below 0x400 except 0x61 and
 * 0x3f9. */
static void build_tss(struct machine *m)
{
    const uint8_t base[2] = { IOBASE & 0xff, IOBASE >> 8 };
    const uint8_t ff = 0xff;
    machine_poke(m, TSS + 0x66, base, 2);
    machine_poke(m, TSS + TSS_LIMIT, &ff, 1);
    set_bit(m, 0x61);
    set_bit(m, 0x3f9);
    m->segs[EMU_SEG_TR].sel = 0x28;
    m->segs[EMU_SEG_TR].base = TSS;
    m->segs[EMU_SEG_TR].limit = TSS_LIMIT;
    m->segs[EMU_SEG_TR].attr = 0x8b;
}

START_TEST(in_out_sizes)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    m->port_in_value = 0x12345678;
    R(m, RAX) = 0xffffffffffffffffull;
    ck_ok(m, "e460"); /* in al, 0x60 */
    ck_assert_uint_eq(R(m, RAX), 0xffffffffffffff78ull);
    R(m, RDX) = 0x3f8;
    ck_ok(m, "66ed"); /* in ax, dx */
    ck_assert_uint_eq(R(m, RAX), 0xffffffffffff5678ull);
    ck_ok(m, "ed"); /* in eax, dx: zero-extends RAX */
    ck_assert_uint_eq(R(m, RAX), 0x12345678ull);
    R(m, RAX) = 0xffffffffffffffffull;
    ck_ok(m, "48ed"); /* REX.W does not make it 64-bit: still 4 bytes */
    ck_assert_uint_eq(R(m, RAX), 0x12345678ull);
    R(m, RAX) = 0xaabbccdd;
    ck_ok(m, "ee"); /* out dx, al */
    ck_assert_uint_eq(m->last_out_port, 0x3f8);
    ck_assert_uint_eq(m->last_out_val, 0xdd);
    ck_ok(m, "e780"); /* out 0x80, eax */
    ck_assert_uint_eq(m->last_out_port, 0x80);
    ck_assert_uint_eq(m->last_out_val, 0xaabbccdd);
    ck_ok(m, "66e7ff"); /* out 0xff, ax: the immediate port is zero-extended */
    ck_assert_uint_eq(m->last_out_port, 0xff);
    ck_assert_uint_eq(m->last_out_val, 0xccdd);
    ck_assert_uint_eq(m->nouts, 3);
    ck_assert_uint_eq(FLAGS(m), 2);
    machine_free(m);

    m = tm_new(EMU_MODE_REAL);
    R(m, RAX) = 0x11110000;
    ck_ok(m, "e560"); /* in ax, 0x60 in 16-bit code */
    ck_assert_uint_eq(R(m, RAX), 0x1111ffff);
    machine_free(m);
}
END_TEST

START_TEST(iopl_allows_without_bitmap)
{
    struct machine *m = tm_new(EMU_MODE_PROT32);
    m->segs[EMU_SEG_TR].attr = 0; /* no usable TSS: the bitmap must not be consulted */
    ck_ok(m, "e461"); /* CPL 0 <= IOPL 0 */
    tm_set_cpl(m, 3);
    FLAGS(m) = 2 | EMU_FLAG_IOPL;
    ck_ok(m, "e461"); /* CPL 3 <= IOPL 3 */
    FLAGS(m) = 2 | 0x2000; /* IOPL 2 < CPL 3, and no valid TSS */
    ck_exc(m, "e461", EMU_GP, 0);
    machine_free(m);
}
END_TEST

START_TEST(tss_bitmap_decides)
{
    struct machine *m = tm_new(EMU_MODE_PROT32);
    build_tss(m);
    tm_set_cpl(m, 3); /* IOPL 0 < CPL 3 */
    m->port_in_value = 0xabcd;
    ck_ok(m, "e460"); /* in al, 0x60: allowed */
    ck_assert_uint_eq(R(m, RAX), 0xcd);
    ck_exc(m, "e461", EMU_GP, 0); /* port 0x61 denied */
    ck_exc(m, "66e560", EMU_GP, 0); /* in ax, 0x60 covers 0x60 and 0x61 */
    ck_ok(m, "e462");
    R(m, RDX) = 0x3f8;
    ck_ok(m, "ee"); /* out dx, al: port 0x3f8 allowed */
    ck_exc(m, "ef", EMU_GP, 0); /* out dx, eax: 0x3f8..0x3fb includes 0x3f9 */
    ck_assert_uint_eq(m->nouts, 1);
    /* port 0x3ff: byte 0x7f of the bitmap, and its 2-byte read reaches the 0xff terminator */
    R(m, RDX) = 0x3ff;
    ck_ok(m, "ec");
    ck_exc(m, "66ed", EMU_GP, 0); /* 0x3ff and 0x400: the terminator denies 0x400 */
    /* ports whose bitmap bytes lie beyond the TSS limit are denied */
    R(m, RDX) = 0x400;
    ck_exc(m, "ec", EMU_GP, 0);
    R(m, RDX) = 0xffff;
    ck_exc(m, "ec", EMU_GP, 0);
    ck_assert_uint_eq(m->regs.rip, 0x401000 + 2 + 2 + 1 + 1);
    machine_free(m);
}
END_TEST

START_TEST(tss_without_bitmap_or_16bit)
{
    struct machine *m = tm_new(EMU_MODE_PROT32);
    build_tss(m);
    tm_set_cpl(m, 3);
    /* an I/O map base at or beyond the limit: no bitmap, every port denied */
    const uint8_t base[2] = { 0x00, 0x10 };
    machine_poke(m, TSS + 0x66, base, 2);
    ck_exc(m, "e460", EMU_GP, 0);
    /* a 16-bit TSS has no bitmap at all */
    machine_free(m);
    m = tm_new(EMU_MODE_PROT32);
    build_tss(m);
    tm_set_cpl(m, 3);
    m->segs[EMU_SEG_TR].attr = 0x83; /* busy 286 TSS */
    ck_exc(m, "e460", EMU_GP, 0);
    m->segs[EMU_SEG_TR].attr = 0x89; /* available 386 TSS works too */
    ck_ok(m, "e460");
    machine_free(m);
}
END_TEST

/* In virtual-8086 mode IN/OUT are not IOPL-sensitive: the bitmap decides even at IOPL 3. */
START_TEST(v86_always_uses_bitmap)
{
    struct machine *m = tm_new(EMU_MODE_V86);
    build_tss(m);
    FLAGS(m) = 2 | EMU_FLAG_VM | EMU_FLAG_IOPL;
    ck_ok(m, "e460");
    ck_exc(m, "e461", EMU_GP, 0);
    FLAGS(m) = 2 | EMU_FLAG_VM;
    ck_ok(m, "e460");
    ck_exc(m, "e461", EMU_GP, 0);
    machine_free(m);
}
END_TEST

START_TEST(ins_outs_permission)
{
    struct machine *m = tm_new(EMU_MODE_PROT32);
    build_tss(m);
    tm_set_cpl(m, 3);
    m->segs[EMU_SEG_DS].attr = 0xcf3;
    m->segs[EMU_SEG_ES].attr = 0xcf3;
    R(m, RDI) = 0x2000;
    R(m, RSI) = 0x2000;
    R(m, RCX) = 2;
    R(m, RDX) = 0x61;
    ck_exc(m, "f36c", EMU_GP, 0); /* rep insb from a denied port: nothing done */
    ck_assert_uint_eq(R(m, RCX), 2);
    ck_assert_uint_eq(m->nwritten, 0);
    ck_exc(m, "f36e", EMU_GP, 0); /* rep outsb */
    ck_assert_uint_eq(m->nouts, 0);
    R(m, RDX) = 0x60;
    m->port_in_value = 0x99;
    ck_ok(m, "f36c");
    ck_assert_uint_eq(machine_peek64(m, 0x2000, 2), 0x9999);
    ck_assert_uint_eq(R(m, RCX), 0);
    R(m, RDX) = 0x3f8; /* outsw covers 0x3f8..0x3f9 */
    ck_exc(m, "666f", EMU_GP, 0);
    ck_ok(m, "6e");
    ck_assert_uint_eq(m->nouts, 1);
    machine_free(m);
}
END_TEST

/* SVM IOIO intercept: EXITINFO1 = port << 16 | address size | operand size | REP | STR | IN,
 * EXITINFO2 = next RIP.  The permission check comes first. */
START_TEST(ioio_intercept_after_permission)
{
    struct emu_config c = tm_cfg(EMU_VENDOR_AMD);
    c.nested = 1;
    struct machine *m = tm_new_cfg(EMU_MODE_LONG64, &c);
    machine_intercept(m, 0x7b, 1);
    R(m, RDX) = 0x3f8;
    enum emu_status st = tm_run(m, "ec"); /* in al, dx */
    ck_assert_int_eq(st, EMU_INTERCEPT);
    ck_assert_uint_eq(m->ctx.result.intercept.exit_code, 0x7b);
    ck_assert_uint_eq(m->ctx.result.intercept.info1, 0x03f80000u | 1u << 9 | 1u << 4 | 1u);
    ck_assert_uint_eq(m->ctx.result.intercept.info2, 0x401001);
    st = tm_run(m, "f3666f"); /* rep outsw */
    ck_assert_int_eq(st, EMU_INTERCEPT);
    ck_assert_uint_eq(m->ctx.result.intercept.info1, 0x03f80000u | 1u << 9 | 1u << 5 | 1u << 3 | 1u << 2);
    ck_assert_uint_eq(m->ctx.result.intercept.info2, 0x401003);
    ck_assert_uint_eq(m->regs.rip, 0x401000);
    /* CPL 3 with IOPL 0 and the default TSS (port bitmap beyond its limit): #GP first */
    tm_set_cpl(m, 3);
    ck_exc(m, "ec", EMU_GP, 0);
    machine_free(m);
}
END_TEST

static Suite *io_suite(void)
{
    Suite *s = suite_create("io");
    TCase *t = tcase_create("io");
    tcase_add_test(t, in_out_sizes);
    tcase_add_test(t, iopl_allows_without_bitmap);
    tcase_add_test(t, tss_bitmap_decides);
    tcase_add_test(t, tss_without_bitmap_or_16bit);
    tcase_add_test(t, v86_always_uses_bitmap);
    tcase_add_test(t, ins_outs_permission);
    tcase_add_test(t, ioio_intercept_after_permission);
    suite_add_tcase(s, t);
    return s;
}
REGISTER_SUITE(io_suite)
