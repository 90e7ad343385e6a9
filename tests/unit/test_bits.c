/* Bit instructions: BT/BTS/BTR/BTC (incl. memory bit-string addressing), BSF/BSR, POPCNT,
 * LZCNT/TZCNT, BMI1/BMI2, ADCX/ADOX, CRC32, and #UD when the CPUID feature is absent.  AMD
 * undefined-flag values as measured on Zen 3 with hwcheck, now hwdiff. */
#include "harness.h"


static struct machine *without(enum emu_feature f)
{
    struct emu_config c = tm_cfg(EMU_VENDOR_INTEL);
    c.features[(unsigned)f / 64] &= ~(1ull << ((unsigned)f % 64));
    return tm_new_cfg(EMU_MODE_LONG64, &c);
}

START_TEST(bt_register_forms)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    FLAGS(m) = 0x202 | ZF;
    R(m, RAX) = 0x2;
    ck_ok(m, "0fbae021"); /* bt eax, 33: the immediate is taken mod 32 -> bit 1 */
    ck_assert(FLAGS(m) & CF);
    ck_assert(FLAGS(m) & ZF); /* ZF unchanged */
    R(m, RCX) = 65;
    ck_ok(m, "480fa3c8"); /* bt rax, rcx: register offset mod 64 -> bit 1 */
    ck_assert(FLAGS(m) & CF);
    R(m, RAX) = 0xffffffff00000000ull;
    R(m, RCX) = 3;
    ck_ok(m, "0fabc8"); /* bts eax, ecx: 32-bit destination zero-extended */
    ck_assert_uint_eq(R(m, RAX), 0x8);
    ck_assert(!(FLAGS(m) & CF));
    R(m, RAX) = 0xffff;
    R(m, RCX) = 0x11; /* 17 mod 16 */
    ck_ok(m, "660fb3c8"); /* btr ax, cx */
    ck_assert_uint_eq(R(m, RAX), 0xfffd);
    ck_assert(FLAGS(m) & CF);
    ck_ok(m, "660fbbc8"); /* btc ax, cx */
    ck_assert_uint_eq(R(m, RAX), 0xffff);
    ck_assert(!(FLAGS(m) & CF));
    machine_free(m);
}
END_TEST

/* A register bit offset with a memory operand is signed and addresses the bit string:
 * operand-sized unit at ea + floor(offset / bits) * size. */
START_TEST(bt_memory_bit_string)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    const uint64_t base = 0x5000;
    R(m, RSI) = base;
    R(m, RCX) = 0xdeadbeefffffffffull; /* ecx = -1: the dword below, bit 31 */
    ck_ok(m, "0fab0e"); /* bts dword [rsi], ecx */
    ck_assert_uint_eq(machine_peek64(m, base - 4, 4), 0x80000000);
    ck_assert(!(FLAGS(m) & CF));
    ck_ok(m, "0fa30e"); /* bt: now set */
    ck_assert(FLAGS(m) & CF);
    R(m, RCX) = 0xffef; /* cx = -17: word at ea - 4, bit 15 */
    ck_ok(m, "660fab0e"); /* bts word [rsi], cx */
    ck_assert_uint_eq(machine_peek64(m, base - 4, 4), 0x80008000);
    R(m, RCX) = (uint64_t)-65; /* qword at ea - 16, bit 63 */
    ck_ok(m, "480fbb0e"); /* btc qword [rsi], rcx */
    ck_assert_uint_eq(machine_peek64(m, base - 16, 8), 0x8000000000000000ull);
    R(m, RCX) = 100; /* dword at ea + 12, bit 4 */
    ck_ok(m, "0fab0e");
    ck_assert_uint_eq(machine_peek64(m, base + 12, 4), 0x10);
    ck_ok(m, "0fb30e"); /* btr */
    ck_assert_uint_eq(machine_peek64(m, base + 12, 4), 0);
    ck_assert(FLAGS(m) & CF);
    /* an immediate offset stays inside the operand: bit 33 of a dword is bit 1 */
    ck_ok(m, "0fba2e21"); /* bts dword [rsi], 33 */
    ck_assert_uint_eq(machine_peek64(m, base, 8), 2);
    machine_free(m);
}
END_TEST

START_TEST(bsf_bsr)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    R(m, RAX) = 0x1111222233334444ull;
    R(m, RBX) = 0;
    ck_ok(m, "0fbcc3"); /* bsf eax, ebx: zero source */
    ck_assert_uint_eq(R(m, RAX), 0x1111222233334444ull); /* destination unchanged */
    ck_assert(FLAGS(m) & ZF);
    ck_ok(m, "480fbdc3"); /* bsr rax, rbx */
    ck_assert_uint_eq(R(m, RAX), 0x1111222233334444ull);
    ck_assert(FLAGS(m) & ZF);
    R(m, RBX) = 0x0000100000000800ull;
    ck_ok(m, "480fbcc3");
    ck_assert_uint_eq(R(m, RAX), 11);
    ck_assert(!(FLAGS(m) & ZF));
    ck_ok(m, "480fbdc3");
    ck_assert_uint_eq(R(m, RAX), 44);
    R(m, RAX) = 0xffff;
    ck_ok(m, "660fbdc3"); /* bsr ax, bx: bx = 0x0800 */
    ck_assert_uint_eq(R(m, RAX), 11);
    machine_free(m);
}
END_TEST

START_TEST(lzcnt_tzcnt_popcnt)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    R(m, RBX) = 0;
    ck_ok(m, "f30fbdc3"); /* lzcnt eax, ebx: zero source = operand size, CF=1 */
    ck_assert_uint_eq(R(m, RAX), 32);
    ck_assert_uint_eq(FLAGS(m) & (CF | ZF), CF);
    ck_ok(m, "f3480fbcc3"); /* tzcnt rax, rbx */
    ck_assert_uint_eq(R(m, RAX), 64);
    ck_assert_uint_eq(FLAGS(m) & (CF | ZF), CF);
    R(m, RAX) = 0xaaaaaaaaaaaaaaaaull;
    ck_ok(m, "66f30fbcc3"); /* tzcnt ax, bx */
    ck_assert_uint_eq(R(m, RAX), 0xaaaaaaaaaaaa0010ull);
    R(m, RBX) = 0x80000000;
    ck_ok(m, "f30fbdc3"); /* lzcnt: 0, ZF=1 */
    ck_assert_uint_eq(R(m, RAX), 0);
    ck_assert_uint_eq(FLAGS(m) & (CF | ZF), ZF);
    ck_ok(m, "f30fbcc3"); /* tzcnt = 31 */
    ck_assert_uint_eq(R(m, RAX), 31);
    ck_assert_uint_eq(FLAGS(m) & (CF | ZF), 0);
    /* POPCNT: every flag but ZF cleared */
    FLAGS(m) = 0x202 | ARITH;
    R(m, RBX) = 0x00ff00ff00000001ull;
    ck_ok(m, "f3480fb8c3");
    ck_assert_uint_eq(R(m, RAX), 17);
    ck_assert_uint_eq(FLAGS(m) & ARITH, 0);
    R(m, RBX) = 0;
    FLAGS(m) = 0x202 | ARITH;
    ck_ok(m, "f30fb8c3");
    ck_assert_uint_eq(R(m, RAX), 0);
    ck_assert_uint_eq(FLAGS(m) & ARITH, ZF);
    machine_free(m);
}
END_TEST

START_TEST(features_absent)
{
    /* without ABM, F3 0F BD is BSR (the prefix is ignored); without BMI1, F3 0F BC is BSF */
    struct machine *m = without(EMU_FEAT_ABM);
    R(m, RAX) = 77;
    R(m, RBX) = 0x10;
    ck_ok(m, "f30fbdc3");
    ck_assert_uint_eq(R(m, RAX), 4);
    R(m, RBX) = 0;
    R(m, RAX) = 77;
    ck_ok(m, "f30fbdc3");
    ck_assert_uint_eq(R(m, RAX), 77);
    machine_free(m);
    m = without(EMU_FEAT_BMI1);
    R(m, RBX) = 0x10;
    ck_ok(m, "f30fbcc3");
    ck_assert_uint_eq(R(m, RAX), 4);
    ck_exc(m, "c4e270f2c3", EMU_UD, 0); /* andn */
    ck_exc(m, "c4e270f7c3", EMU_UD, 0); /* bextr */
    ck_exc(m, "c4e270f3db", EMU_UD, 0); /* blsi */
    ck_ok(m, "c4e273f5c3");             /* pdep is BMI2: still there */
    machine_free(m);
    m = without(EMU_FEAT_BMI2);
    ck_exc(m, "c4e273f5c3", EMU_UD, 0); /* pdep */
    ck_exc(m, "c4e2f3f6c3", EMU_UD, 0); /* mulx */
    ck_exc(m, "c4e37bf0c304", EMU_UD, 0); /* rorx */
    ck_exc(m, "c4e270f5c3", EMU_UD, 0); /* bzhi */
    machine_free(m);
    m = without(EMU_FEAT_ADX);
    ck_exc(m, "660f38f6c3", EMU_UD, 0);
    ck_exc(m, "f30f38f6c3", EMU_UD, 0);
    machine_free(m);
    m = without(EMU_FEAT_SSE4_2);
    ck_exc(m, "f20f38f0c3", EMU_UD, 0);
    machine_free(m);
    m = without(EMU_FEAT_POPCNT);
    ck_exc(m, "f30fb8c3", EMU_UD, 0);
    machine_free(m);
}
END_TEST

START_TEST(bmi1)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    FLAGS(m) = 0x202 | CF | OF;
    R(m, RCX) = 0x0f0f0f0f;
    R(m, RBX) = 0xffff00ff;
    ck_ok(m, "c4e270f2c3"); /* andn eax, ecx, ebx = ~ecx & ebx */
    ck_assert_uint_eq(R(m, RAX), 0xf0f000f0);
    ck_assert_uint_eq(FLAGS(m) & (CF | OF | ZF | SF), SF);
    R(m, RBX) = 0x12345678;
    R(m, RCX) = 0x0804; /* start 4, length 8 */
    ck_ok(m, "c4e270f7c3"); /* bextr eax, ebx, ecx */
    ck_assert_uint_eq(R(m, RAX), 0x67);
    ck_assert_uint_eq(FLAGS(m) & (CF | OF | ZF), 0);
    R(m, RCX) = 0x0004; /* length 0 */
    ck_ok(m, "c4e270f7c3");
    ck_assert_uint_eq(R(m, RAX), 0);
    ck_assert(FLAGS(m) & ZF);
    R(m, RCX) = 0x2008; /* length above the operand size: everything from bit 8 */
    ck_ok(m, "c4e270f7c3");
    ck_assert_uint_eq(R(m, RAX), 0x123456);
    R(m, RCX) = 0x0820; /* start beyond the operand */
    ck_ok(m, "c4e270f7c3");
    ck_assert_uint_eq(R(m, RAX), 0);
    /* BLSI / BLSMSK / BLSR (destination in VEX.vvvv = ecx) */
    R(m, RBX) = 0x00f0;
    ck_ok(m, "c4e270f3db"); /* blsi ecx, ebx */
    ck_assert_uint_eq(R(m, RCX), 0x10);
    ck_assert_uint_eq(FLAGS(m) & (CF | ZF | OF), CF); /* CF: source non-zero */
    ck_ok(m, "c4e270f3d3"); /* blsmsk ecx, ebx */
    ck_assert_uint_eq(R(m, RCX), 0x1f);
    ck_assert_uint_eq(FLAGS(m) & (CF | ZF | OF), 0);
    ck_ok(m, "c4e270f3cb"); /* blsr ecx, ebx */
    ck_assert_uint_eq(R(m, RCX), 0xe0);
    ck_assert_uint_eq(FLAGS(m) & (CF | ZF | OF), 0);
    R(m, RBX) = 0;
    ck_ok(m, "c4e270f3db"); /* blsi of 0: 0, ZF, CF=0 */
    ck_assert_uint_eq(FLAGS(m) & (CF | ZF), ZF);
    ck_ok(m, "c4e2f0f3d3"); /* blsmsk rcx, rbx of 0: all ones, CF=1 */
    ck_assert_uint_eq(R(m, RCX), ~0ull);
    ck_assert_uint_eq(FLAGS(m) & (CF | ZF | SF), CF | SF);
    ck_ok(m, "c4e270f3cb"); /* blsr of 0: 0, CF=1, ZF=1 */
    ck_assert_uint_eq(R(m, RCX), 0);
    ck_assert_uint_eq(FLAGS(m) & (CF | ZF), CF | ZF);
    machine_free(m);
}
END_TEST

START_TEST(bmi2)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    FLAGS(m) = 0x202 | OF;
    R(m, RBX) = 0xffffffff;
    R(m, RCX) = 0x108; /* index = low byte = 8 */
    ck_ok(m, "c4e270f5c3"); /* bzhi eax, ebx, ecx */
    ck_assert_uint_eq(R(m, RAX), 0xff);
    ck_assert_uint_eq(FLAGS(m) & (CF | OF | ZF | SF), 0);
    R(m, RCX) = 32; /* index >= size: unchanged source, CF=1 */
    ck_ok(m, "c4e270f5c3");
    ck_assert_uint_eq(R(m, RAX), 0xffffffff);
    ck_assert_uint_eq(FLAGS(m) & (CF | SF), CF | SF);
    /* PDEP / PEXT */
    R(m, RCX) = 0xb;
    R(m, RBX) = 0xf0f0;
    FLAGS(m) = 0x202 | ARITH;
    ck_ok(m, "c4e273f5c3"); /* pdep eax, ecx, ebx */
    ck_assert_uint_eq(R(m, RAX), 0xb0);
    R(m, RCX) = 0xff;
    ck_ok(m, "c4e273f5c3");
    ck_assert_uint_eq(R(m, RAX), 0xf0f0);
    R(m, RCX) = 0x12345678;
    R(m, RBX) = 0xff00ff00;
    ck_ok(m, "c4e272f5c3"); /* pext eax, ecx, ebx */
    ck_assert_uint_eq(R(m, RAX), 0x1256);
    R(m, RCX) = 0x8000000000000001ull;
    R(m, RBX) = 0x8000000000000001ull;
    ck_ok(m, "c4e2f2f5c3"); /* pext rax, rcx, rbx */
    ck_assert_uint_eq(R(m, RAX), 3);
    ck_assert_uint_eq(FLAGS(m), 0x202 | ARITH); /* none of these touch the flags */
    /* MULX: rDX times the source, no flags */
    R(m, RDX) = 0xfedcba9876543210ull;
    R(m, RBX) = 0x0123456789abcdefull;
    ck_ok(m, "c4e2f3f6c3"); /* mulx rax(hi), rcx(lo), rbx */
    ck_assert_uint_eq(R(m, RAX), 0x121fa00ad77d742ull);
    ck_assert_uint_eq(R(m, RCX), 0x2236d88fe5618cf0ull);
    ck_ok(m, "c4e2f3f6cb"); /* mulx rcx, rcx, rbx: the same register: the high half wins */
    ck_assert_uint_eq(R(m, RCX), 0x121fa00ad77d742ull);
    ck_ok(m, "c4e273f6cb"); /* mulx ecx, ecx, ebx (32-bit): high half, zero-extended */
    ck_assert_uint_eq(R(m, RCX), 0x3fa27837); /* 0x76543210 * 0x89abcdef */
    ck_assert_uint_eq(FLAGS(m), 0x202 | ARITH);
    /* RORX / SARX / SHLX / SHRX: counts masked, flags untouched */
    R(m, RBX) = 0x12345678;
    ck_ok(m, "c4e37bf0c324"); /* rorx eax, ebx, 36 -> 4 */
    ck_assert_uint_eq(R(m, RAX), 0x81234567);
    R(m, RBX) = 0x80000000;
    R(m, RCX) = 0x24; /* 36 -> 4 */
    ck_ok(m, "c4e272f7c3"); /* sarx eax, ebx, ecx */
    ck_assert_uint_eq(R(m, RAX), 0xf8000000);
    ck_ok(m, "c4e273f7c3"); /* shrx */
    ck_assert_uint_eq(R(m, RAX), 0x08000000);
    ck_ok(m, "c4e271f7c3"); /* shlx */
    ck_assert_uint_eq(R(m, RAX), 0);
    R(m, RCX) = 0x43; /* 64-bit: 67 -> 3 */
    ck_ok(m, "c4e2f1f7c3"); /* shlx rax, rbx, rcx */
    ck_assert_uint_eq(R(m, RAX), 0x400000000ull);
    ck_assert_uint_eq(FLAGS(m), 0x202 | ARITH);
    machine_free(m);
}
END_TEST

START_TEST(adcx_adox)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    /* ADCX: CF in and out, nothing else; ADOX the same with OF */
    FLAGS(m) = 0x202 | CF | ZF | SF | PF | AF;
    R(m, RAX) = 0xffffffff;
    R(m, RBX) = 0;
    ck_ok(m, "660f38f6c3"); /* adcx eax, ebx = 0xffffffff + 0 + 1 */
    ck_assert_uint_eq(R(m, RAX), 0);
    ck_assert_uint_eq(FLAGS(m), 0x202 | CF | ZF | SF | PF | AF);
    R(m, RAX) = 5;
    ck_ok(m, "660f38f6c3");
    ck_assert_uint_eq(R(m, RAX), 6);
    ck_assert_uint_eq(FLAGS(m), 0x202 | ZF | SF | PF | AF);
    FLAGS(m) = 0x202 | OF;
    R(m, RAX) = ~0ull;
    R(m, RBX) = 1;
    ck_ok(m, "f3480f38f6c3"); /* adox rax, rbx = -1 + 1 + 1 */
    ck_assert_uint_eq(R(m, RAX), 1);
    ck_assert_uint_eq(FLAGS(m), 0x202 | OF);
    R(m, RAX) = 0x7fffffffffffffffull; /* a signed overflow is not what ADOX reports */
    ck_ok(m, "f3480f38f6c3");
    ck_assert_uint_eq(R(m, RAX), 0x8000000000000001ull);
    ck_assert_uint_eq(FLAGS(m), 0x202);
    machine_free(m);
}
END_TEST

START_TEST(crc32_known_answers)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    const char *s = "123456789";
    machine_poke(m, 0x6000, s, 9);
    /* CRC-32C("123456789") = 0xE3069283 with the usual ~0 start and final inversion */
    R(m, RCX) = 0xffffffff;
    FLAGS(m) = 0x202 | CF;
    for (int i = 0; i < 9; i++) {
        R(m, RSI) = 0x6000 + (uint64_t)i;
        ck_ok(m, "f20f38f00e"); /* crc32 ecx, byte [rsi] */
    }
    ck_assert_uint_eq(~R(m, RCX) & 0xffffffff, 0xe3069283);
    ck_assert_uint_eq(FLAGS(m), 0x202 | CF); /* no flags */
    /* the same with a qword and a byte; the 64-bit destination is zero-extended */
    R(m, RCX) = 0xdeadbeefffffffffull;
    R(m, RSI) = 0x6000;
    ck_ok(m, "f2480f38f10e"); /* crc32 rcx, qword [rsi] */
    ck_assert_uint_eq(R(m, RCX) >> 32, 0);
    R(m, RSI) = 0x6008;
    ck_ok(m, "f2480f38f00e"); /* crc32 rcx, byte [rsi] */
    ck_assert_uint_eq(~R(m, RCX) & 0xffffffff, 0xe3069283);
    /* 16 and 32-bit sources */
    R(m, RCX) = 0xffffffff;
    R(m, RSI) = 0x6000;
    ck_ok(m, "f20f38f10e"); /* crc32 ecx, dword [rsi] ("1234") */
    R(m, RSI) = 0x6004;
    ck_ok(m, "66f20f38f10e"); /* crc32 ecx, word [rsi] ("56") */
    R(m, RSI) = 0x6006;
    ck_ok(m, "66f20f38f10e"); /* "78" */
    R(m, RSI) = 0x6008;
    ck_ok(m, "f20f38f00e"); /* "9" */
    ck_assert_uint_eq(~R(m, RCX) & 0xffffffff, 0xe3069283);
    machine_free(m);
}
END_TEST

/* AMD's undefined flags (Zen 3): LZCNT/TZCNT clear SF AF PF and keep OF; the BMI instructions
 * set PF from the result, BEXTR also AF.  Intel keeps them / clears them. */
START_TEST(undefined_flags_amd)
{
    struct machine *a = tm_amd64(), *i = tm_new(EMU_MODE_LONG64);
    R(a, RBX) = R(i, RBX) = 0x10;
    FLAGS(a) = FLAGS(i) = 0x202 | ARITH;
    ck_ok(a, "f30fbdc3"); /* lzcnt eax, ebx = 27 */
    ck_ok(i, "f30fbdc3");
    ck_assert_uint_eq(FLAGS(a) & ARITH, OF);
    ck_assert_uint_eq(FLAGS(i) & ARITH, OF | SF | AF | PF);
    R(a, RBX) = R(i, RBX) = 0x12345678;
    R(a, RCX) = R(i, RCX) = 0x0804;
    FLAGS(a) = FLAGS(i) = 0x202;
    ck_ok(a, "c4e270f7c3"); /* bextr = 0x67: odd parity */
    ck_ok(i, "c4e270f7c3");
    ck_assert_uint_eq(FLAGS(a) & ARITH, AF);
    ck_assert_uint_eq(FLAGS(i) & ARITH, 0);
    R(a, RCX) = R(i, RCX) = 0x0f0f0f0f;
    R(a, RBX) = R(i, RBX) = 0xf0;
    ck_ok(a, "c4e270f2c3"); /* andn = 0xf0: even parity */
    ck_ok(i, "c4e270f2c3");
    ck_assert_uint_eq(FLAGS(a) & ARITH, PF);
    ck_assert_uint_eq(FLAGS(i) & ARITH, 0);
    machine_free(a);
    machine_free(i);
}
END_TEST

static Suite *bits_suite(void)
{
    Suite *s = suite_create("bits");
    TCase *t = tcase_create("core");
    tcase_add_test(t, bt_register_forms);
    tcase_add_test(t, bt_memory_bit_string);
    tcase_add_test(t, bsf_bsr);
    tcase_add_test(t, lzcnt_tzcnt_popcnt);
    tcase_add_test(t, features_absent);
    tcase_add_test(t, bmi1);
    tcase_add_test(t, bmi2);
    tcase_add_test(t, adcx_adox);
    tcase_add_test(t, crc32_known_answers);
    tcase_add_test(t, undefined_flags_amd);
    suite_add_tcase(s, t);
    return s;
}
REGISTER_SUITE(bits_suite)
