/* BCD adjustment: DAA DAS AAA AAS AAM AAD in 32-bit protected mode, #DE for AAM 0, #UD in
 * 64-bit mode, and the vendors' undefined flags (AMD as measured on Zen 3 in compatibility
 * mode with hwcheck, now hwdiff). */
#include "harness.h"


static struct machine *pm(enum emu_vendor v)
{
    struct emu_config c = tm_cfg(v);
    return tm_new_cfg(EMU_MODE_PROT32, &c);
}

START_TEST(daa_das)
{
    struct machine *m = pm(EMU_VENDOR_INTEL);
    R(m, RAX) = 0x123456ae; /* 0x79 + 0x35 = 0xAE */
    FLAGS(m) = 0x202;
    ck_ok(m, "27"); /* daa: 0xAE + 6 + 0x60 = 0x14, carry */
    ck_assert_uint_eq(R(m, RAX), 0x12345614);
    ck_assert_uint_eq(FLAGS(m) & ARITH, CF | AF | PF);
    R(m, RAX) = 0xee; /* 0x35 - 0x47 = 0xEE with CF and AF */
    FLAGS(m) = 0x202 | CF | AF;
    ck_ok(m, "2f"); /* das: 0x88, borrow */
    ck_assert_uint_eq(R(m, RAX), 0x88);
    ck_assert_uint_eq(FLAGS(m) & ARITH, CF | AF | SF | PF);
    R(m, RAX) = 0x45;
    FLAGS(m) = 0x202;
    ck_ok(m, "27"); /* already BCD: unchanged, CF=AF=0 */
    ck_assert_uint_eq(R(m, RAX), 0x45);
    ck_assert_uint_eq(FLAGS(m) & (CF | AF), 0);
    machine_free(m);
}
END_TEST

START_TEST(aaa_aas)
{
    struct machine *m = pm(EMU_VENDOR_INTEL);
    R(m, RAX) = 0x010b;
    FLAGS(m) = 0x202;
    ck_ok(m, "37"); /* aaa: AX + 0x106, AL low nibble */
    ck_assert_uint_eq(R(m, RAX), 0x0201);
    ck_assert_uint_eq(FLAGS(m) & (CF | AF), CF | AF);
    R(m, RAX) = 0x0105;
    FLAGS(m) = 0x202;
    ck_ok(m, "37"); /* no adjustment */
    ck_assert_uint_eq(R(m, RAX), 0x0105);
    ck_assert_uint_eq(FLAGS(m) & (CF | AF), 0);
    R(m, RAX) = 0x00fa;
    ck_ok(m, "37"); /* AL + 6 carries into AH: AX = 0x0200 */
    ck_assert_uint_eq(R(m, RAX), 0x0200);
    R(m, RAX) = 0;
    FLAGS(m) = 0x202 | AF;
    ck_ok(m, "3f"); /* aas: AX - 0x106 borrows from AH: 0xFEFA -> 0xFE0A */
    ck_assert_uint_eq(R(m, RAX), 0xfe0a);
    ck_assert_uint_eq(FLAGS(m) & (CF | AF), CF | AF);
    R(m, RAX) = 0x0208;
    FLAGS(m) = 0x202;
    ck_ok(m, "3f");
    ck_assert_uint_eq(R(m, RAX), 0x0208);
    ck_assert_uint_eq(FLAGS(m) & (CF | AF), 0);
    machine_free(m);
}
END_TEST

START_TEST(aam_aad)
{
    struct machine *m = pm(EMU_VENDOR_INTEL);
    R(m, RAX) = 0xffff004f; /* 79 */
    ck_ok(m, "d40a"); /* aam: AH = 7, AL = 9 */
    ck_assert_uint_eq(R(m, RAX), 0xffff0709);
    ck_assert_uint_eq(FLAGS(m) & (SF | ZF | PF), PF);
    R(m, RAX) = 0x4f;
    ck_ok(m, "d410"); /* aam 16: nibbles */
    ck_assert_uint_eq(R(m, RAX), 0x040f);
    R(m, RAX) = 0x4f;
    FLAGS(m) = 0x202 | ZF;
    const uint64_t rip = m->regs.rip;
    ck_exc(m, "d400", EMU_DE, 0); /* aam 0: #DE, nothing changed */
    ck_assert_uint_eq(R(m, RAX), 0x4f);
    ck_assert_uint_eq(FLAGS(m), 0x202 | ZF);
    ck_assert_uint_eq(m->regs.rip, rip);
    R(m, RAX) = 0x0709;
    ck_ok(m, "d50a"); /* aad: AL = 7 * 10 + 9, AH = 0 */
    ck_assert_uint_eq(R(m, RAX), 0x004f);
    R(m, RAX) = 0x0407;
    ck_ok(m, "d510"); /* aad 16 */
    ck_assert_uint_eq(R(m, RAX), 0x0047);
    R(m, RAX) = 0x0000;
    ck_ok(m, "d50a");
    ck_assert_uint_eq(FLAGS(m) & (SF | ZF | PF), ZF | PF);
    machine_free(m);
}
END_TEST

START_TEST(invalid_in_64bit_mode)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    const char *ops[] = { "27", "2f", "37", "3f", "d40a", "d50a" };
    for (unsigned i = 0; i < 6; i++) {
        R(m, RAX) = 0x0b;
        ck_exc(m, ops[i], EMU_UD, 0);
        ck_assert_uint_eq(R(m, RAX), 0x0b);
    }
    machine_free(m);
}
END_TEST

/* The vendors differ in the undefined flags (the result is the same).  AMD takes SF ZF PF of
 * AAA/AAS from the 16-bit AX +/- 0x106; Intel from the final AL. */
START_TEST(aaa_aas_vendor_flags)
{
    struct machine *a = pm(EMU_VENDOR_AMD), *i = pm(EMU_VENDOR_INTEL);
    R(a, RAX) = R(i, RAX) = 0x00fa;
    FLAGS(a) = FLAGS(i) = 0x202;
    ck_ok(a, "37");
    ck_ok(i, "37");
    ck_assert_uint_eq(R(a, RAX), 0x0200);
    ck_assert_uint_eq(R(i, RAX), 0x0200);
    ck_assert_uint_eq(FLAGS(a) & ARITH, CF | AF | PF); /* measured: 0x217 */
    ck_assert_uint_eq(FLAGS(i) & ARITH, CF | AF | ZF | PF);
    R(a, RAX) = R(i, RAX) = 0;
    FLAGS(a) = FLAGS(i) = 0x202 | AF;
    ck_ok(a, "3f");
    ck_ok(i, "3f");
    ck_assert_uint_eq(R(a, RAX), 0xfe0a);
    ck_assert_uint_eq(FLAGS(a) & ARITH, CF | AF | SF | PF); /* 0xFEFA: negative; measured 0x297 */
    ck_assert_uint_eq(FLAGS(i) & ARITH, CF | AF | PF);      /* AL = 0x0A */
    machine_free(a);
    machine_free(i);
}
END_TEST

/* AMD: DAA/DAS set OF as the add of the adjustment would, AAD sets CF AF OF as its add. */
START_TEST(daa_aad_amd_flags)
{
    struct machine *a = pm(EMU_VENDOR_AMD), *i = pm(EMU_VENDOR_INTEL);
    R(a, RAX) = R(i, RAX) = 0x7a;
    FLAGS(a) = FLAGS(i) = 0x202;
    ck_ok(a, "27"); /* 0x7A + 6 = 0x80: a signed overflow */
    ck_ok(i, "27");
    ck_assert_uint_eq(R(a, RAX), 0x80);
    ck_assert_uint_eq(FLAGS(a) & ARITH, OF | SF | AF); /* measured: 0xa92 */
    ck_assert_uint_eq(FLAGS(i) & ARITH, SF | AF);
    R(a, RAX) = R(i, RAX) = 0x0770;
    ck_ok(a, "d510"); /* 0x70 + 0x70 = 0xE0 */
    ck_ok(i, "d510");
    ck_assert_uint_eq(R(a, RAX), 0xe0);
    ck_assert_uint_eq(FLAGS(a) & ARITH, OF | SF); /* measured: 0xa82 */
    ck_assert_uint_eq(FLAGS(i) & ARITH, SF);
    machine_free(a);
    machine_free(i);
}
END_TEST

static Suite *bcd_suite(void)
{
    Suite *s = suite_create("bcd");
    TCase *t = tcase_create("core");
    tcase_add_test(t, daa_das);
    tcase_add_test(t, aaa_aas);
    tcase_add_test(t, aam_aad);
    tcase_add_test(t, invalid_in_64bit_mode);
    tcase_add_test(t, aaa_aas_vendor_flags);
    tcase_add_test(t, daa_aad_amd_flags);
    suite_add_tcase(s, t);
    return s;
}
REGISTER_SUITE(bcd_suite)
