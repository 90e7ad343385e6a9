/*
 * Intel APX (shared/spec/apx.md): gating by CPUID and XCR0[19], REX2 with R16-R31, the map-4
 * semantics that need more than a register/flags vector (fault suppression, #UD and #GP
 * rules), and the choices made for the spec's [unverified] items (see lib/apx.c).
 * The bulk of the map-4 opcode coverage is tests/vectors/apx.jsonl.
 */
#include "harness.h"

#include <emulate/emulate_zydis.h>

#define NONCANON 0x8000000000000000ull

static struct emu_config apx_cfg(int apx_f, int nci)
{
    struct emu_config c = tm_cfg(EMU_VENDOR_INTEL);
    if (apx_f) emu_config_set_feature(&c, EMU_FEAT_APX_F);
    if (nci) emu_config_set_feature(&c, EMU_FEAT_APX_NCI);
    emu_config_set_feature(&c, EMU_FEAT_INVPCID);
    return c;
}

static struct machine *apx_new(int apx_f, int nci, int xcr0_apx)
{
    struct emu_config c = apx_cfg(apx_f, nci);
    struct machine *m = tm_new_cfg(EMU_MODE_LONG64, &c);
    m->xcr0 = 0x3 | (xcr0_apx ? EMU_XCR0_APX : 0);
    return m;
}

static void fill_egprs(struct machine *m)
{
    for (unsigned r = EMU_R16; r <= EMU_R31; r++) m->regs.gpr[r] = 0x1111111111111111ull * (r - 15);
}

static void check_egprs(struct machine *m)
{
    for (unsigned r = EMU_R16; r <= EMU_R31; r++)
        ck_assert_uint_eq(m->regs.gpr[r], 0x1111111111111111ull * (r - 15));
}

/* ---- gating ------------------------------------------------------------------------------ */

START_TEST(xcr0_clear_rex2_ud_egprs_kept)
{
    struct machine *m = apx_new(1, 1, 0);
    fill_egprs(m);
    R(m, RAX) = 5;
    ck_exc(m, "d558 01c8", EMU_UD, 0);        /* add r16, r17 (REX2) */
    ck_exc(m, "d54c 89f8", EMU_UD, 0);        /* mov rax, r31 */
    ck_exc(m, "62ecfc10 01d1", EMU_UD, 0);    /* add r16, r17, r18 (EVEX NDD) */
    ck_exc(m, "62fc7c08 01c8", EMU_UD, 0);    /* {evex} add r16d, ecx: B4 */
    check_egprs(m);
    ck_assert_uint_eq(R(m, RAX), 5);
    ck_assert_uint_eq(m->regs.rip, 0x401000);
    /* Legacy instructions leave R16-R31 alone; enabling APX later finds them intact. */
    ck_ok(m, "4801c0"); /* add rax, rax */
    check_egprs(m);
    m->xcr0 |= EMU_XCR0_APX;
    ck_ok(m, "d54c 89f8"); /* mov rax, r31 */
    ck_assert_uint_eq(R(m, RAX), 0x1111111111111111ull * 16);
    machine_free(m);
}
END_TEST

START_TEST(no_apx_f_is_ud)
{
    struct machine *m = apx_new(0, 0, 1); /* XCR0[19] alone does not enable APX */
    fill_egprs(m);
    ck_exc(m, "d558 01c8", EMU_UD, 0);
    ck_exc(m, "62ecfc10 01d1", EMU_UD, 0);
    ck_exc(m, "d500 a1 0010400000000000", EMU_UD, 0); /* JMPABS */
    check_egprs(m);
    machine_free(m);
}
END_TEST

START_TEST(nci_gates_ndd_nf_conditional)
{
    struct machine *m = apx_new(1, 0, 1); /* APX_F without CPUID 29h EBX[0] */
    R(m, R16) = 1;
    R(m, R17) = 2;
    R(m, R18) = 3;
    ck_ok(m, "d558 01c8");                    /* REX2 add r16, r17: APX_F only */
    ck_assert_uint_eq(R(m, R16), 3);
    ck_ok(m, "62ecfc08 01c8");                /* {evex} add r16, r17 (ND=0, NF=0) */
    ck_assert_uint_eq(R(m, R16), 5);
    ck_exc(m, "62ecfc10 01d1", EMU_UD, 0);    /* add r16, r17, r18: ND */
    ck_exc(m, "62ecfc0c 01c8", EMU_UD, 0);    /* {nf} add r16, r17: NF */
    ck_exc(m, "62ec8c0a 39c8", EMU_UD, 0);    /* ccmpt */
    ck_exc(m, "62ecfc08 4401", EMU_UD, 0);    /* cfcmove r16, [r17] */
    ck_exc(m, "62fc7f18 44c4", EMU_UD, 0);    /* setzue r20b */
    ck_exc(m, "62fc7c10 fff1", EMU_UD, 0);    /* push2 r16, r17 */
    ck_assert_uint_eq(R(m, R16), 5);
    machine_free(m);
}
END_TEST

START_TEST(d5_outside_64bit_is_aad)
{
    struct emu_config c = apx_cfg(1, 1);
    struct machine *m = tm_new_cfg(EMU_MODE_PROT32, &c);
    m->xcr0 = 0x3 | EMU_XCR0_APX;
    R(m, RAX) = 0x0203;
    ck_ok(m, "d50a"); /* aad 10: AL = 2 * 10 + 3 */
    ck_assert_uint_eq(R(m, RAX), 0x17);
    ck_assert_uint_eq(m->regs.rip, 0x401002);
    struct emu_insn in;
    const uint8_t evex[] = { 0x62, 0xf4, 0x7c, 0x08, 0x01, 0xc8 }; /* map 4 in 32-bit mode */
    ck_assert_int_eq(emu_decode_mode(&c, EMU_MODE_PROT32, m->xcr0, evex, sizeof evex, &in), EMU_DEC_UD);
    machine_free(m);
}
END_TEST

/* ---- REX2 -------------------------------------------------------------------------------- */

START_TEST(rex2_egpr_base_index_reg)
{
    struct machine *m = apx_new(1, 1, 1);
    const uint8_t v[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
    machine_poke(m, 0x2000 + 8 * 3 + 0x10, v, 8);
    R(m, R17) = 0x2000;
    R(m, R18) = 3;
    ck_ok(m, "d578 8b44d110"); /* mov r16, [r17 + 8*r18 + 0x10] */
    ck_assert_uint_eq(R(m, R16), 0x0807060504030201ull);
    R(m, R20) = 0x3000;
    R(m, R28) = 4;
    R(m, R31) = 0xdeadbeefcafef00dull;
    ck_ok(m, "d57e 893ca4"); /* mov [r20 + 4*r28], r31 */
    ck_assert_uint_eq(machine_peek64(m, 0x3010, 8), 0xdeadbeefcafef00dull);
    R(m, RCX) = 0x10;
    R(m, R16) = 0x3010;
    ck_ok(m, "f0d518 0108"); /* lock add [r16], rcx: LOCK with REX2 on a memory destination */
    ck_assert_uint_eq(machine_peek64(m, 0x3010, 8), 0xdeadbeefcafef01dull);
    ck_exc(m, "f0d558 01c8", EMU_UD, 0); /* lock add r16, r17: register destination */
    /* [r21] needs mod=01 disp8; SIB base 101 with mod=00 is "no base + disp32" whatever B4 says */
    R(m, R21) = 0x3010;
    ck_ok(m, "d510 8b4500"); /* mov eax, [r21] */
    ck_assert_uint_eq(R(m, RAX), 0xcafef01d);
    ck_ok(m, "d518 8b0425 10300000"); /* mov rax, [0x3010] (B4 ignored) */
    ck_assert_uint_eq(R(m, RAX), 0xdeadbeefcafef01dull);
    machine_free(m);
}
END_TEST

START_TEST(rex2_byte_registers_and_push_pop)
{
    struct machine *m = apx_new(1, 1, 1);
    R(m, RAX) = 0x1100;
    R(m, RSP) = 0x8000;
    R(m, R20) = 0x77;
    ck_ok(m, "d500 88e0"); /* mov al, spl: with REX2, 4 is SPL, not AH */
    ck_assert_uint_eq(R(m, RAX), 0x1100);
    ck_ok(m, "d540 88e0"); /* mov al, r20b */
    ck_assert_uint_eq(R(m, RAX), 0x1177);
    R(m, R16) = 0xabcdef;
    ck_ok(m, "d518 50"); /* pushp r16 */
    ck_assert_uint_eq(R(m, RSP), 0x7ff8);
    ck_assert_uint_eq(machine_peek64(m, 0x7ff8, 8), 0xabcdef);
    ck_ok(m, "d519 5f"); /* popp r31 */
    ck_assert_uint_eq(R(m, R31), 0xabcdef);
    ck_assert_uint_eq(R(m, RSP), 0x8000);
    R(m, R24) = 5;
    ck_ok(m, "d519 b8 0100000000000000"); /* mov r24, imm64 */
    ck_assert_uint_eq(R(m, R24), 1);
    ck_exc(m, "d500 7000", EMU_UD, 0);     /* Jcc rel8 with REX2 */
    ck_exc(m, "d580 8000000000", EMU_UD, 0); /* Jcc rel32 with REX2 */
    ck_exc(m, "48d500 01c0", EMU_UD, 0);   /* REX right before REX2 */
    ck_exc(m, "d5c4 20c0", EMU_UD, 0);     /* mov rax, cr24: R4 with a control register */
    machine_free(m);
}
END_TEST

START_TEST(jmpabs)
{
    struct machine *m = apx_new(1, 1, 1);
    ck_ok(m, "d500 a1 8877665544330000");
    ck_assert_uint_eq(m->regs.rip, 0x334455667788ull);
    m->regs.rip = 0x401000;
    ck_ok(m, "2e d577 a1 0020400000000000"); /* segment override ignored, R/X/B ignored */
    ck_assert_uint_eq(m->regs.rip, 0x402000);
    m->regs.rip = 0x401000;
    ck_exc(m, "d508 a1 0020400000000000", EMU_UD, 0); /* W = 1 */
    ck_exc(m, "66d500 a1 0020400000000000", EMU_UD, 0);
    ck_exc(m, "d500 a1 0000000000000080", EMU_GP, 0); /* non-canonical target */
    machine_free(m);
}
END_TEST

/* ---- NDD, NF, ZU ------------------------------------------------------------------------- */

/* [unverified] choice: 8- and 16-bit NDD results clear the rest of the destination. */
START_TEST(ndd_zero_upper)
{
    struct machine *m = apx_new(1, 1, 1);
    R(m, R16) = ~0ull;
    R(m, R17) = 0x11111111111111f0ull;
    R(m, R18) = 0x2222222222222220ull;
    ck_ok(m, "62ec7c10 00d1"); /* add r16b, r17b, r18b */
    ck_assert_uint_eq(R(m, R16), 0x10);
    ck_assert(FLAGS(m) & EMU_FLAG_CF);
    R(m, R16) = ~0ull;
    ck_ok(m, "62ec7d10 01d1"); /* add r16w, r17w, r18w */
    ck_assert_uint_eq(R(m, R16), 0x3410);
    ck_assert_uint_eq(R(m, R17), 0x11111111111111f0ull); /* sources unchanged */
    ck_assert_uint_eq(R(m, R18), 0x2222222222222220ull);
    /* shl r16, r17, 0: a zero count still writes the NDD destination, flags unchanged */
    uint64_t f = FLAGS(m);
    ck_ok(m, "62fcfc10 c1e100");
    ck_assert_uint_eq(R(m, R16), 0x11111111111111f0ull);
    ck_assert_uint_eq(FLAGS(m), f);
    /* NDD with a memory source: memory is only read, even when it is read-only */
    m->cr[0] |= EMU_CR0_WP; /* supervisor writes honour read-only pages */
    machine_add_perm(m, 0x5000, 0x1000, "r", 0);
    machine_add_perm(m, 0x401000, 0x1000, "rx", 0);
    const uint8_t v[8] = { 0x05 };
    machine_poke(m, 0x5000, v, 8);
    R(m, R17) = 0x5000;
    ck_ok(m, "62fcfc10 8301 03"); /* add r16, qword [r17], 3 (NDD) */
    ck_assert_uint_eq(R(m, R16), 8);
    ck_exc(m, "62fcfc08 8301 03", EMU_PF, EMU_PF_P | EMU_PF_W); /* {evex} add qword [r17], 3 */
    machine_free(m);
}
END_TEST

START_TEST(nf_keeps_flags)
{
    struct machine *m = apx_new(1, 1, 1);
    FLAGS(m) = 0x202 | EMU_FLAG_CF | EMU_FLAG_OF;
    R(m, R17) = ~0ull;
    R(m, R18) = 1;
    ck_ok(m, "62ecfc14 01d1"); /* {nf} add r16, r17, r18 */
    ck_assert_uint_eq(R(m, R16), 0);
    ck_assert_uint_eq(FLAGS(m), 0x202 | EMU_FLAG_CF | EMU_FLAG_OF);
    /* {nf} imulzu r18w, r17w, 5 (llvm-mc cannot write it; XED accepts it) */
    R(m, R17) = 0xffffffffffff8001ull;
    R(m, R18) = ~0ull;
    ck_ok(m, "62ec7d1c 6bd105");
    ck_assert_uint_eq(R(m, R18), 0x8005); /* 16-bit product 0x8005, bits 63:16 cleared */
    ck_assert_uint_eq(FLAGS(m), 0x202 | EMU_FLAG_CF | EMU_FLAG_OF);
    /* plain imul r18w, r17w, 5 keeps bits 63:16 */
    R(m, R18) = ~0ull;
    ck_ok(m, "62ec7d08 6bd105");
    ck_assert_uint_eq(R(m, R18), 0xffffffffffff8005ull);
    /* NF on an instruction without a no-flags form (ADC) is #UD */
    ck_exc(m, "62ecfc0c 11c8", EMU_UD, 0);
    machine_free(m);
}
END_TEST

/* ---- CCMP / CTEST ------------------------------------------------------------------------ */

START_TEST(ccmp_default_flags)
{
    struct machine *m = apx_new(1, 1, 1);
    R(m, R16) = 5;
    R(m, R17) = 7;
    FLAGS(m) = 0x202 | ARITH;
    ck_ok(m, "62ec8c0a 39c8"); /* ccmpt {dfv=cf} r16, r17: compare 5 - 7 = ...fe */
    ck_assert_uint_eq(FLAGS(m) & ARITH, EMU_FLAG_CF | EMU_FLAG_SF | EMU_FLAG_AF);
    /* [unverified] choice: a false condition sets OF SF ZF CF from the DFV, PF = CF, AF = 0 */
    FLAGS(m) = 0x202 | ARITH;
    ck_ok(m, "62ec8c0b 39c8"); /* ccmpf {dfv=cf} r16, r17 */
    ck_assert_uint_eq(FLAGS(m), 0x202 | EMU_FLAG_CF | EMU_FLAG_PF);
    FLAGS(m) = 0x202 | ARITH;
    ck_ok(m, "62ecf40b 39c8"); /* ccmpf {dfv=of,sf,zf} r16, r17: DFV 1110 */
    ck_assert_uint_eq(FLAGS(m), 0x202 | EMU_FLAG_OF | EMU_FLAG_SF | EMU_FLAG_ZF);
    /* [unverified] choice: the memory operand is read (and faults) when the condition is false */
    FLAGS(m) = 0x202;
    R(m, R17) = NONCANON;
    ck_exc(m, "62eccc04 3b01", EMU_GP, 0); /* ccmpe {dfv=of,cf} r16, [r17], ZF = 0 */
    /* ND = 1 is #UD for CCMP/CTEST */
    ck_exc(m, "62ec8c1a 39c8", EMU_UD, 0);
    machine_free(m);
}
END_TEST

START_TEST(ccmp_decode_fields)
{
    struct emu_config c = apx_cfg(1, 1);
    struct emu_insn in;
    const uint8_t b[] = { 0x62, 0xec, 0xcc, 0x04, 0x39, 0xc8 }; /* ccmpe {dfv=of,cf} r16, r17 */
    ck_assert_int_eq(emu_decode_mode(&c, EMU_MODE_LONG64, 0x80003, b, sizeof b, &in), EMU_DEC_OK);
    ck_assert_str_eq(emu_mnemonic(in.op), "ccmp");
    ck_assert_uint_eq(in.scc, 4);
    ck_assert_uint_eq(in.dfv, 9);
    ck_assert_uint_eq(in.ops[0].reg, EMU_R16);
    ck_assert_uint_eq(in.ops[1].reg, EMU_R17);
    const uint8_t n[] = { 0x62, 0xec, 0xfc, 0x14, 0x01, 0xd1 }; /* {nf} add r16, r17, r18 */
    ck_assert_int_eq(emu_decode_mode(&c, EMU_MODE_LONG64, 0x80003, n, sizeof n, &in), EMU_DEC_OK);
    ck_assert_str_eq(emu_mnemonic(in.op), "add");
    ck_assert_uint_eq(in.nd, 1);
    ck_assert_uint_eq(in.nf, 1);
    ck_assert_uint_eq(in.vvvv, EMU_R16);
    ck_assert_uint_eq(in.ops[0].reg, EMU_R17);
    ck_assert_uint_eq(in.ops[1].reg, EMU_R18);
}
END_TEST

/* ---- CFCMOV and CMOV (NDD) ------------------------------------------------------------- */

START_TEST(cfcmov_fault_suppression)
{
    struct machine *m = apx_new(1, 1, 1);
    R(m, R16) = 0x1234;
    R(m, R17) = NONCANON;
    R(m, R18) = 99;
    FLAGS(m) = 0x202; /* ZF = 0: "e" is false */
    ck_ok(m, "62ecfc08 4401"); /* cfcmove r16, [r17]: no access, r16 <- 0 */
    ck_assert_uint_eq(R(m, R16), 0);
    R(m, R16) = 0x1234;
    ck_ok(m, "62ecfc0c 4401"); /* cfcmove [r17], r16: no access */
    ck_assert_uint_eq(m->nwritten, 0);
    ck_ok(m, "62ecec14 4401"); /* cfcmove r18, r16, [r17]: r18 <- r16 */
    ck_assert_uint_eq(R(m, R18), 0x1234);
    ck_exc(m, "62ecec10 4401", EMU_GP, 0); /* cmove r18, r16, [r17]: always reads */
    FLAGS(m) = 0x202 | EMU_FLAG_ZF; /* true: the access happens and faults */
    ck_exc(m, "62ecfc08 4401", EMU_GP, 0);
    ck_exc(m, "62ecfc0c 4401", EMU_GP, 0);
    ck_exc(m, "62ecec14 4401", EMU_GP, 0);
    /* true with good memory */
    R(m, R17) = 0x6000;
    ck_ok(m, "62ecfc0c 4401");
    ck_assert_uint_eq(machine_peek64(m, 0x6000, 8), 0x1234);
    ck_ok(m, "62ecec10 4401"); /* cmove r18, r16, [r17] */
    ck_assert_uint_eq(R(m, R18), 0x1234);
    machine_free(m);
}
END_TEST

/* [unverified] choice for 16-bit destinations: the non-NDD forms keep bits 63:16 (also when
 * the condition is false and 0 is written); the NDD forms clear them. */
START_TEST(cfcmov_16bit)
{
    struct machine *m = apx_new(1, 1, 1);
    const uint8_t v[2] = { 0x34, 0x12 };
    machine_poke(m, 0x6000, v, 2);
    R(m, R16) = 0xaaaaaaaaaaaaaaaaull;
    R(m, R17) = 0x6000;
    R(m, R18) = 0xbbbbbbbbbbbbbbbbull;
    FLAGS(m) = 0x202;
    ck_ok(m, "62ec7d08 4401"); /* cfcmove r16w, [r17]: false */
    ck_assert_uint_eq(R(m, R16), 0xaaaaaaaaaaaa0000ull);
    FLAGS(m) = 0x202 | EMU_FLAG_ZF;
    ck_ok(m, "62ec7d08 4401"); /* true */
    ck_assert_uint_eq(R(m, R16), 0xaaaaaaaaaaaa1234ull);
    FLAGS(m) = 0x202;
    ck_ok(m, "62ec6d14 4401"); /* cfcmove r18w, r16w, [r17]: false -> r16w, upper cleared */
    ck_assert_uint_eq(R(m, R18), 0x1234);
    machine_free(m);
}
END_TEST

START_TEST(setzu)
{
    struct machine *m = apx_new(1, 1, 1);
    R(m, R20) = ~0ull;
    FLAGS(m) = 0x202 | EMU_FLAG_ZF;
    ck_ok(m, "62fc7f18 44c4"); /* setzue r20b */
    ck_assert_uint_eq(R(m, R20), 1);
    R(m, R20) = ~0ull;
    ck_ok(m, "62fc7f08 45c4"); /* {evex} setne r20b: only the low byte */
    ck_assert_uint_eq(R(m, R20), 0xffffffffffffff00ull);
    ck_exc(m, "62fc7f1c 44c4", EMU_UD, 0); /* NF = 1 */
    machine_free(m);
}
END_TEST

/* ---- PUSH2 / POP2 ------------------------------------------------------------------------ */

START_TEST(push2_pop2)
{
    struct machine *m = apx_new(1, 1, 1);
    R(m, RSP) = 0x8000;
    R(m, R16) = 0x1616;
    R(m, R17) = 0x1717;
    ck_ok(m, "62fc7c10 fff1"); /* push2 r16, r17 */
    ck_assert_uint_eq(R(m, RSP), 0x7ff0);
    ck_assert_uint_eq(machine_peek64(m, 0x7ff8, 8), 0x1616);
    ck_assert_uint_eq(machine_peek64(m, 0x7ff0, 8), 0x1717);
    ck_ok(m, "62fc7410 8fc0"); /* pop2 r17, r16: the balanced pair */
    ck_assert_uint_eq(R(m, R17), 0x1717);
    ck_assert_uint_eq(R(m, R16), 0x1616);
    ck_assert_uint_eq(R(m, RSP), 0x8000);
    /* [unverified] choice: RSP not 16-byte aligned is #GP(0) */
    R(m, RSP) = 0x7ff8;
    ck_exc(m, "62fc7c10 fff1", EMU_GP, 0);
    ck_exc(m, "62fc7410 8fc0", EMU_GP, 0);
    ck_assert_uint_eq(R(m, RSP), 0x7ff8);
    /* #UD: POP2 into one register twice, RSP as an operand, memory form, ND = 0 */
    R(m, RSP) = 0x8000;
    ck_exc(m, "62fc7c10 8fc0", EMU_UD, 0); /* pop2 r16, r16 */
    ck_exc(m, "62f47c10 fff4", EMU_UD, 0); /* push2 r16, rsp */
    ck_exc(m, "62fc7c10 ff31", EMU_UD, 0); /* memory ModRM */
    ck_exc(m, "62fc7c00 fff1", EMU_UD, 0); /* ND = 0 */
    machine_free(m);
}
END_TEST

/* ---- promoted system instructions ------------------------------------------------------- */

START_TEST(invpcid_promoted_same_operation)
{
    struct emu_config c = apx_cfg(1, 1);
    struct emu_insn legacy, evex;
    const uint8_t l[] = { 0x66, 0x0f, 0x38, 0x82, 0x03 };       /* invpcid rax, [rbx] */
    const uint8_t e[] = { 0x62, 0xf4, 0x7e, 0x08, 0xf2, 0x03 }; /* the same, EVEX map 4 */
    ck_assert_int_eq(emu_decode_mode(&c, EMU_MODE_LONG64, 0x80003, l, sizeof l, &legacy), EMU_DEC_OK);
    ck_assert_int_eq(emu_decode_mode(&c, EMU_MODE_LONG64, 0x80003, e, sizeof e, &evex), EMU_DEC_OK);
    ck_assert_str_eq(emu_mnemonic(legacy.op), "invpcid");
    ck_assert_uint_eq(evex.op, legacy.op); /* the same operation id, so the same executor */
    ck_assert_uint_eq(evex.ops[0].reg, EMU_RAX);
    ck_assert_uint_eq(evex.ops[0].size, 8);
    ck_assert_uint_eq(evex.ops[1].size, 16);
    ck_assert_uint_eq(evex.mem_base, EMU_RBX);
    /* Both run the same (legacy) executor: the same outcome for the same state. */
    struct machine *m = apx_new(1, 1, 1);
    enum emu_status s1 = tm_run(m, "66 0f3882 03");
    enum emu_status s2 = tm_run(m, "62f47e08 f203");
    ck_assert_int_eq(s1, s2);
    ck_assert_int_ne(s2, EMU_EXCEPTION);
    /* With INVPCID enumerated, both forms execute and fire the same TLB flush and RAP clear. */
    emu_config_set_feature(&m->cfg, EMU_FEAT_INVPCID);
    machine_reset_ctx(m);
    R(m, RAX) = 2;
    R(m, RBX) = 0x3000;
    m->nevents = 0;
    ck_ok(m, "66 0f3882 03");
    ck_ok(m, "62f47e08 f203");
    ck_assert_uint_eq(m->nevents, 4);
    for (unsigned i = 0; i < 2; i++) {
        ck_assert_uint_eq(m->events[i].type, m->events[i + 2].type);
        ck_assert_uint_eq(m->events[i].kind, m->events[i + 2].kind);
    }
    ck_assert_uint_eq(m->events[0].kind, EMU_TLB_INVPCID_ALL);
    ck_assert_uint_eq(m->events[1].type, EMU_EV_RAP_CLEAR);
    /* ND = 1 on a promotion without an NDD form is #UD */
    ck_exc(m, "62f47e18 f203", EMU_UD, 0);
    machine_free(m);
}
END_TEST

/* The XSAVE layout constants of emulate.h against apx.md section 2. */
START_TEST(xsave_component_19)
{
    ck_assert_int_eq(EMU_XSAVE_APX_COMPONENT, 19);
    ck_assert_int_eq(EMU_XSAVE_APX_OFFSET, 960);
    ck_assert_int_eq(EMU_XSAVE_APX_SIZE, 128);
    ck_assert_int_eq(EMU_XSAVE_APX_SIZE, 8 * (EMU_R31 - EMU_R16 + 1)); /* R16..R31, 8 bytes each */
    ck_assert_uint_eq(EMU_XCR0_APX, 1ull << EMU_XSAVE_APX_COMPONENT);
}
END_TEST

/* What our tables leave to the fallback after REX2 or with EGPR bits in a vector EVEX is named
 * by Zydis from the pre-APX form, with the APX length. */
START_TEST(fallback_names_rex2_and_evex_vector)
{
    struct machine *m = apx_new(1, 1, 1);
    m->ctx.fallback = &emu_zydis_fallback;
    ck_assert_int_eq(tm_run(m, "d5d0 58c1"), EMU_UNHANDLED); /* addps xmm0, xmm1 (R4/B4 ignored) */
    ck_assert_uint_eq(m->ctx.result.length, 4);
    ck_assert_str_eq(m->ctx.result.mnemonic, "addps");
    ck_assert_int_eq(tm_run(m, "d511 d9 00"), EMU_UNHANDLED); /* fld dword [r24] */
    ck_assert_uint_eq(m->ctx.result.length, 4);
    ck_assert_int_eq(tm_run(m, "62f96948 fe0c88"), EMU_UNHANDLED); /* vpaddd zmm1, zmm2, [r16+r17*4] */
    ck_assert_uint_eq(m->ctx.result.length, 7);
    ck_assert_int_eq(tm_run(m, "62e1ff08 2dc1"), EMU_UNHANDLED); /* vcvtsd2si r16, xmm1 */
    ck_assert_uint_eq(m->ctx.result.length, 6);
    ck_exc(m, "d580 13c8", EMU_UD, 0); /* movlps with a register operand stays #UD */
    ck_assert_uint_eq(m->regs.rip, 0x401000);
    machine_free(m);
}
END_TEST

static Suite *apx_suite(void)
{
    Suite *s = suite_create("apx");
    TCase *t = tcase_create("apx");
    tcase_add_test(t, xcr0_clear_rex2_ud_egprs_kept);
    tcase_add_test(t, no_apx_f_is_ud);
    tcase_add_test(t, nci_gates_ndd_nf_conditional);
    tcase_add_test(t, d5_outside_64bit_is_aad);
    tcase_add_test(t, rex2_egpr_base_index_reg);
    tcase_add_test(t, rex2_byte_registers_and_push_pop);
    tcase_add_test(t, jmpabs);
    tcase_add_test(t, ndd_zero_upper);
    tcase_add_test(t, nf_keeps_flags);
    tcase_add_test(t, ccmp_default_flags);
    tcase_add_test(t, ccmp_decode_fields);
    tcase_add_test(t, cfcmov_fault_suppression);
    tcase_add_test(t, cfcmov_16bit);
    tcase_add_test(t, setzu);
    tcase_add_test(t, push2_pop2);
    tcase_add_test(t, invpcid_promoted_same_operation);
    tcase_add_test(t, xsave_component_19);
    tcase_add_test(t, fallback_names_rex2_and_evex_vector);
    suite_add_tcase(s, t);
    return s;
}
REGISTER_SUITE(apx_suite)
