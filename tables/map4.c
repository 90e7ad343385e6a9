/*
 * APX EVEX tables: map 4 (promoted legacy integer instructions and the new conditional
 * instructions), the EVEX-promoted GPR instructions of maps 1, 2, 3 and 7, and JMPABS.
 * Source: shared/spec/apx.md sections 7-10 (the XED sweep of every map-4 opcode).
 *
 * Row conventions for map 4 (checked by decoder/apx_decode.c after the row walk):
 *  - Unless a K_PFX node selected the row, pp may be NP or 66 (66 = 16-bit operands) and must
 *    be NP for byte operations; F3/F2 are #UD.
 *  - R_NDD: ND=1 is allowed and makes vvvv a new destination (operands keep their legacy
 *    order; the engine writes the result to vvvv instead of operand 0).  R_NF: NF=1 allowed.
 *    ND/NF set on a row that has neither flag nor a K_ND/K_NF node on its path is #UD.
 *  - R_SCC: CCMP/CTEST, whose vvvv is the default flags value and V'/aaa the source condition.
 *  - R_NCI: needs APX_NCI_NDD_NF (any ND=1 or NF=1 form needs it too).
 * Every opcode not listed is #UD in map 4.
 */
#include "rows.h"

#define B R_BYTE
#define ND R_NDD
#define NF R_NF
#define CC_ R_SCC | R_NCI

/* ALU rows: op r/m,reg / op reg,r/m in byte and full size; NDD everywhere, NF except ADC/SBB. */
#define ALU4(op, fl) \
    L2(op, 0, Eb, Gb, B | ND | (fl)), L2(op, 0, Ev, Gv, ND | (fl)), \
    L2(op, 0, Gb, Eb, B | ND | (fl)), L2(op, 0, Gv, Ev, ND | (fl))

/* Group 1 with an immediate; /7 is CCMPscc. */
static const struct emu_oprow g1_80[8] = {
    L2(ADD, 0, Eb, Ib, B | ND | NF), L2(OR, 0, Eb, Ib, B | ND | NF), L2(ADC, 0, Eb, Ib, B | ND),
    L2(SBB, 0, Eb, Ib, B | ND), L2(AND, 0, Eb, Ib, B | ND | NF), L2(SUB, 0, Eb, Ib, B | ND | NF),
    L2(XOR, 0, Eb, Ib, B | ND | NF), L2(CCMP, 0, Eb, Ib, B | CC_),
};
#define G1V(imm) { \
    L2(ADD, 0, Ev, imm, ND | NF), L2(OR, 0, Ev, imm, ND | NF), L2(ADC, 0, Ev, imm, ND), \
    L2(SBB, 0, Ev, imm, ND), L2(AND, 0, Ev, imm, ND | NF), L2(SUB, 0, Ev, imm, ND | NF), \
    L2(XOR, 0, Ev, imm, ND | NF), L2(CCMP, 0, Ev, imm, CC_) }
static const struct emu_oprow g1_81[8] = G1V(Iz);
static const struct emu_oprow g1_83[8] = G1V(Ibs);

/* Group 2: all NDD; NF except RCL/RCR; /6 is the SAL alias (XED and GNU accept it). */
#define G2(dst, cnt, fl) { \
    L2(ROL, 0, dst, cnt, (fl) | ND | NF), L2(ROR, 0, dst, cnt, (fl) | ND | NF), \
    L2(RCL, 0, dst, cnt, (fl) | ND), L2(RCR, 0, dst, cnt, (fl) | ND), \
    L2(SHL, 0, dst, cnt, (fl) | ND | NF), L2(SHR, 0, dst, cnt, (fl) | ND | NF), \
    L2(SAL, 0, dst, cnt, (fl) | ND | NF), L2(SAR, 0, dst, cnt, (fl) | ND | NF) }
static const struct emu_oprow g2_c0[8] = G2(Eb, Ib, B);
static const struct emu_oprow g2_c1[8] = G2(Ev, Ib, 0);
static const struct emu_oprow g2_d0[8] = G2(Eb, ONE, B);
static const struct emu_oprow g2_d1[8] = G2(Ev, ONE, 0);
static const struct emu_oprow g2_d2[8] = G2(Eb, CL, B);
static const struct emu_oprow g2_d3[8] = G2(Ev, CL, 0);

/* Group 3: /0 and its /1 alias are CTESTscc; NOT has no NF; MUL/IMUL/DIV/IDIV have no NDD. */
static const struct emu_oprow g3_f6[8] = {
    L2(CTEST, 0, Eb, Ib, B | CC_), L2(CTEST, 0, Eb, Ib, B | CC_), L1(NOT, 0, Eb, B | ND),
    L1(NEG, 0, Eb, B | ND | NF), L1(MUL, 0, Eb, B | NF), L1(IMUL1, 0, Eb, B | NF),
    L1(DIV, 0, Eb, B | NF), L1(IDIV, 0, Eb, B | NF),
};
static const struct emu_oprow g3_f7[8] = {
    L2(CTEST, 0, Ev, Iz, CC_), L2(CTEST, 0, Ev, Iz, CC_), L1(NOT, 0, Ev, ND),
    L1(NEG, 0, Ev, ND | NF), L1(MUL, 0, Ev, NF), L1(IMUL1, 0, Ev, NF),
    L1(DIV, 0, Ev, NF), L1(IDIV, 0, Ev, NF),
};

/* PUSH2/POP2: NP, ND=1 mandatory, NF=0, register operands only; W=1 is the PPX hint (aux 1).
 * Operand 0 is the vvvv register (pushed first / popped first), operand 1 is ModRM.rm. */
static const struct emu_oprow push2_w[2] = { L2(PUSH2, 0, Vq, Rq, R_NCI), L2(PUSH2, 1, Vq, Rq, R_NCI) };
static const struct emu_oprow pop2_w[2] = { L2(POP2, 0, Vq, Rq, R_NCI), L2(POP2, 1, Vq, Rq, R_NCI) };
static const struct emu_oprow push2_nd[2] = { UD, BYW(push2_w) };
static const struct emu_oprow pop2_nd[2] = { UD, BYW(pop2_w) };
static const struct emu_oprow push2_pfx[4] = { BYND(push2_nd), UD, UD, UD };
static const struct emu_oprow pop2_pfx[4] = { BYND(pop2_nd), UD, UD, UD };

/* Groups 4 and 5 (FE, FF) and 1A (8F). */
static const struct emu_oprow g4_fe[8] = {
    L1(INC, 0, Eb, B | ND | NF), L1(DEC, 0, Eb, B | ND | NF), UD, UD, UD, UD, UD, UD,
};
static const struct emu_oprow g5_ff[8] = {
    L1(INC, 0, Ev, ND | NF), L1(DEC, 0, Ev, ND | NF), UD, UD, UD, UD, BYPFX(push2_pfx), UD,
};
static const struct emu_oprow g1a_8f[8] = { BYPFX(pop2_pfx), UD, UD, UD, UD, UD, UD, UD };

/*
 * 40+cc.  NP/66, by (ND, NF): CFCMOVcc r, r/m (load) / CFCMOVcc r/m, r (store) /
 * CMOVcc vvvv, r, r/m / CFCMOVcc vvvv, r, r/m.  F2: SETcc (ND=0) / SETZUcc (ND=1), W and
 * ModRM.reg ignored, NF must be 0.  F3: #UD.
 */
#define CCROWS(cc) \
    static const struct emu_oprow cf_nd0_##cc[2] = { L2(CFCMOV, cc, Gv, Ev, R_NCI), L2(CFCMOV, cc, Ev, Gv, R_NCI) }; \
    static const struct emu_oprow cf_nd1_##cc[2] = { L2(CMOVCC, cc, Gv, Ev, R_NCI | ND), L2(CFCMOV, cc, Gv, Ev, R_NCI | ND) }; \
    static const struct emu_oprow cf_##cc[2] = { BYNF(cf_nd0_##cc), BYNF(cf_nd1_##cc) }; \
    static const struct emu_oprow set_##cc[2] = { L1(SETCC, cc, Eb, B | R_NCI), L1(SETZUCC, cc, Eb, B | R_NCI) }; \
    static const struct emu_oprow cc_##cc[4] = { BYND(cf_##cc), BYND(cf_##cc), UD, BYND(set_##cc) };
CCROWS(0) CCROWS(1) CCROWS(2) CCROWS(3) CCROWS(4) CCROWS(5) CCROWS(6) CCROWS(7)
CCROWS(8) CCROWS(9) CCROWS(10) CCROWS(11) CCROWS(12) CCROWS(13) CCROWS(14) CCROWS(15)
#define CCR(cc) BYPFX(cc_##cc)

/* IMUL r, r/m, imm: ND=1 selects IMULZU (16-bit results clear bits 63:16). */
static const struct emu_oprow imul_69[2] = { L3(IMUL, 0, Gv, Ev, Iz, NF), L3(IMULZU, 0, Gv, Ev, Iz, NF | R_NCI) };
static const struct emu_oprow imul_6b[2] = { L3(IMUL, 0, Gv, Ev, Ibs, NF), L3(IMULZU, 0, Gv, Ev, Ibs, NF | R_NCI) };

/* 65 66: CET shadow-stack writes (memory, W selects D/Q), ADCX (66) / ADOX (F3) with NDD. */
static const struct emu_oprow row_65[4] = { UD, F2_(WRUSS, 0, My, Gy, R_MAND66, CET_SS), UD, UD };
static const struct emu_oprow row_66[4] = {
    F2_(WRSS, 0, My, Gy, 0, CET_SS), F2_(ADCX, 0, Gy, Ey, R_MAND66 | ND, ADX),
    F2_(ADOX, 0, Gy, Ey, ND, ADX), UD,
};

/* 8A: MOVRS r8, m8 (NP, W0); 8B: MOVRS r, m (NP/66).  Loads with a read-shared hint. */
static const struct emu_oprow movrs_8a_w[2] = { L2(MOVRS, 0, Gb, Mb, B), UD };
static const struct emu_oprow row_8a[4] = { BYW(movrs_8a_w), UD, UD, UD };

/* F0-F2: CRC32 (NP; F1 also 66 for a 16-bit source), INVEPT/INVVPID/INVPCID (F3, memory).
 * The register operand of the INV* instructions is 64-bit whatever W says. */
static const struct emu_oprow row_f0[4] = { L2(CRC32, 0, Gy, Eb, 0), UD, F2_(INVEPT, 0, Gq64, Mdq, 0, VMX), UD };
static const struct emu_oprow row_f1[4] = {
    L2(CRC32, 0, Gy, Ev, 0), L2(CRC32, 0, Gy, Ev, 0), F2_(INVVPID, 0, Gq64, Mdq, 0, VMX), UD,
};
static const struct emu_oprow row_f2[4] = { UD, UD, F2_(INVPCID, 0, Gq64, Mdq, 0, INVPCID), UD };

/* F8: MOVDIR64B (66), ENQCMDS (F3) / ENQCMD (F2) memory forms; UWRMSR (F3) / URDMSR (F2)
 * register forms, W0 only.  F9: MOVDIRI (NP, memory).  FC: the RAO-INT atomics. */
static const struct emu_oprow uwrmsr_w[2] = { L2(UWRMSR, 0, Rq, Gq, 0), UD };
static const struct emu_oprow urdmsr_w[2] = { L2(URDMSR, 0, Gq, Rq, 0), UD };
static const struct emu_oprow f8_f3[2] = { L2(ENQCMDS, 0, Gq64, M0, 0), BYW(uwrmsr_w) };
static const struct emu_oprow f8_f2[2] = { L2(ENQCMD, 0, Gq64, M0, 0), BYW(urdmsr_w) };
static const struct emu_oprow row_f8[4] = { UD, L2(MOVDIR64B, 0, Gq64, M0, R_MAND66), BYMOD(f8_f3), BYMOD(f8_f2) };
static const struct emu_oprow row_f9[4] = { L2(MOVDIRI, 0, My, Gy, 0), UD, UD, UD };
static const struct emu_oprow row_fc[4] = {
    L2(AADD, 0, My, Gy, 0), L2(AAND, 0, My, Gy, R_MAND66), L2(AXOR, 0, My, Gy, 0), L2(AOR, 0, My, Gy, 0),
};

#define U8 UD, UD, UD, UD, UD, UD, UD, UD
#define U16 U8, U8

const struct emu_oprow emu_map4[256] = {
    /* 00 */ ALU4(ADD, NF), UD, UD, UD, UD,
    /* 08 */ ALU4(OR, NF), UD, UD, UD, UD,
    /* 10 */ ALU4(ADC, 0), UD, UD, UD, UD,
    /* 18 */ ALU4(SBB, 0), UD, UD, UD, UD,
    /* 20 */ ALU4(AND, NF), L3(SHLD, 0, Ev, Gv, Ib, ND | NF), UD, UD, UD,
    /* 28 */ ALU4(SUB, NF), L3(SHRD, 0, Ev, Gv, Ib, ND | NF), UD, UD, UD,
    /* 30 */ ALU4(XOR, NF), UD, UD, UD, UD,
    /* 38 */ L2(CCMP, 0, Eb, Gb, B | CC_), L2(CCMP, 0, Ev, Gv, CC_), L2(CCMP, 0, Gb, Eb, B | CC_),
             L2(CCMP, 0, Gv, Ev, CC_), UD, UD, UD, UD,
    /* 40 */ CCR(0), CCR(1), CCR(2), CCR(3), CCR(4), CCR(5), CCR(6), CCR(7),
    /* 48 */ CCR(8), CCR(9), CCR(10), CCR(11), CCR(12), CCR(13), CCR(14), CCR(15),
    /* 50 */ U16,
    /* 60 */ F2_(MOVBE, 0, Gv, Ev, 0, MOVBE), F2_(MOVBE, 0, Ev, Gv, 0, MOVBE), UD, UD,
             UD, BYPFX(row_65), BYPFX(row_66), UD,
    /* 68 */ UD, BYND(imul_69), UD, BYND(imul_6b), UD, UD, UD, UD,
    /* 70 */ U16,
    /* 80 */ GROUP(g1_80), GROUP(g1_81), UD, GROUP(g1_83),
             L2(CTEST, 0, Eb, Gb, B | CC_), L2(CTEST, 0, Ev, Gv, CC_), UD, UD,
    /* 88 */ F2_(POPCNT, 0, Gv, Ev, NF, POPCNT), UD, BYPFX(row_8a), L2(MOVRS, 0, Gv, Mv, 0),
             UD, UD, UD, GROUP(g1a_8f),
    /* 90 */ U16,
    /* A0 */ UD, UD, UD, UD, UD, L3(SHLD, 0, Ev, Gv, CL, ND | NF), UD, UD,
    /* A8 */ UD, UD, UD, UD, UD, L3(SHRD, 0, Ev, Gv, CL, ND | NF), UD, L2(IMUL, 0, Gv, Ev, ND | NF),
    /* B0 */ U16,
    /* C0 */ GROUP(g2_c0), GROUP(g2_c1), UD, UD, UD, UD, UD, UD,
    /* C8 */ U8,
    /* D0 */ GROUP(g2_d0), GROUP(g2_d1), GROUP(g2_d2), GROUP(g2_d3), UD, UD, UD, UD,
    /* D8 */ U8,
    /* E0 */ U16,
    /* F0 */ BYPFX(row_f0), BYPFX(row_f1), BYPFX(row_f2), UD,
             F2_(TZCNT, 0, Gv, Ev, NF, BMI1), F2_(LZCNT, 0, Gv, Ev, NF, ABM), GROUP(g3_f6), GROUP(g3_f7),
    /* F8 */ BYPFX(row_f8), BYPFX(row_f9), UD, UD, BYPFX(row_fc), UD, GROUP(g4_fe), GROUP(g5_ff),
};

/* ---- EVEX map 1: KMOV with a GPR or memory (W and pp as in the VEX forms) ---------------- */
static const struct emu_oprow kmov_90[4] = { L0(KMOV, 0, R_MODRM), L0(KMOV, 0, R_MODRM), UD, UD };
static const struct emu_oprow kmov_91[4] = { L1(KMOV, 0, M0, 0), L1(KMOV, 0, M0, 0), UD, UD };
static const struct emu_oprow kmov_gpr_w0[2] = { L1(KMOV, 0, Ry, 0), UD };
static const struct emu_oprow kmov_92[4] = { BYW(kmov_gpr_w0), BYW(kmov_gpr_w0), UD, L1(KMOV, 0, Ry, 0) };
static const struct emu_oprow kmov_gpr_w0r[2] = { L1(KMOV, 0, Gy, R_REGONLY), UD };
static const struct emu_oprow kmov_93[4] = { BYW(kmov_gpr_w0r), BYW(kmov_gpr_w0r), UD, L1(KMOV, 0, Gy, R_REGONLY) };

#define K16 UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK

/* Vector instructions (UNK) are left to the fallback. */
const struct emu_oprow emu_evex1[256] = {
    /* 00 */ K16, K16, K16, K16, K16, K16, K16, K16, K16,
    /* 90 */ BYPFX(kmov_90), BYPFX(kmov_91), BYPFX(kmov_92), BYPFX(kmov_93),
             UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK,
    /* A0 */ K16, K16, K16, K16, K16, K16,
};

/* ---- EVEX map 2: BMI1/BMI2 (NF where the spec lists it), CMPccXADD, tile loads -------------- */
static const struct emu_oprow e2_f2[4] = { F3_(ANDN, 0, Gy, Vy, Ey, NF, BMI1), UD, UD, UD };
static const struct emu_oprow e2_f3_grp[8] = {
    UD, F2_(BLSR, 0, Vy, Ey, NF, BMI1), F2_(BLSMSK, 0, Vy, Ey, NF, BMI1), F2_(BLSI, 0, Vy, Ey, NF, BMI1),
    UD, UD, UD, UD,
};
static const struct emu_oprow e2_f3[4] = { GROUP(e2_f3_grp), UD, UD, UD };
static const struct emu_oprow e2_f5[4] = {
    F3_(BZHI, 0, Gy, Ey, Vy, NF, BMI2), UD, F3_(PEXT, 0, Gy, Vy, Ey, 0, BMI2), F3_(PDEP, 0, Gy, Vy, Ey, 0, BMI2),
};
static const struct emu_oprow e2_f6[4] = { UD, UD, UD, F3_(MULX, 0, Gy, Vy, Ey, 0, BMI2) };
static const struct emu_oprow e2_f7[4] = {
    F3_(BEXTR, 0, Gy, Ey, Vy, NF, BMI1), F3_(SHLX, 0, Gy, Ey, Vy, 0, BMI2),
    F3_(SARX, 0, Gy, Ey, Vy, 0, BMI2), F3_(SHRX, 0, Gy, Ey, Vy, 0, BMI2),
};
/* CMPccXADD m, r, vvvv: 66 mandatory, memory only, W selects the size. */
#define CMPXADD(cc) static const struct emu_oprow cmpxadd_##cc[4] = { UD, L3(CMPCCXADD, cc, My, Gy, Vy, R_MAND66), UD, UD };
CMPXADD(0) CMPXADD(1) CMPXADD(2) CMPXADD(3) CMPXADD(4) CMPXADD(5) CMPXADD(6) CMPXADD(7)
CMPXADD(8) CMPXADD(9) CMPXADD(10) CMPXADD(11) CMPXADD(12) CMPXADD(13) CMPXADD(14) CMPXADD(15)
#define CX(cc) BYPFX(cmpxadd_##cc)
/* 4B: TILELOADDT1 (66), TILESTORED (F3), TILELOADD (F2); memory (the tile is ModRM.reg). */
static const struct emu_oprow e2_4b[4] = {
    UD, L1(TILELOADD, 1, M0, R_MAND66), L1(TILELOADD, 2, M0, 0), L1(TILELOADD, 0, M0, 0),
};

const struct emu_oprow emu_evex2[256] = {
    /* 00 */ K16, K16, K16, K16,
    /* 40 */ UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK, BYPFX(e2_4b), UNK, UNK, UNK, UNK,
    /* 50 */ K16, K16, K16, K16, K16, K16, K16, K16, K16,
    /* E0 */ CX(0), CX(1), CX(2), CX(3), CX(4), CX(5), CX(6), CX(7),
             CX(8), CX(9), CX(10), CX(11), CX(12), CX(13), CX(14), CX(15),
    /* F0 */ UD, UD, BYPFX(e2_f2), BYPFX(e2_f3), UD, BYPFX(e2_f5), BYPFX(e2_f6), BYPFX(e2_f7),
             UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK,
};

/* ---- EVEX map 3: RORX ----------------------------------------------------------------------- */
static const struct emu_oprow e3_f0[4] = { UD, UD, UD, F3_(RORX, 0, Gy, Ey, Ib, 0, BMI2) };
const struct emu_oprow emu_evex3[256] = {
    /* 00 */ K16, K16, K16, K16, K16, K16, K16, K16, K16, K16, K16, K16, K16, K16, K16,
    /* F0 */ BYPFX(e3_f0), UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK,
};

/* ---- EVEX map 7: the immediate-MSR forms (W0, register operand in ModRM.rm) ---------------- */
static const struct emu_oprow wrmsrns_w[2] = { L2(WRMSRNS_IMM, 0, Id, Rq, 0), UD };
static const struct emu_oprow rdmsr_w[2] = { L2(RDMSR_IMM, 0, Rq, Id, 0), UD };
static const struct emu_oprow uwrmsr_i_w[2] = { L2(UWRMSR, 1, Id, Rq, 0), UD };
static const struct emu_oprow urdmsr_i_w[2] = { L2(URDMSR, 1, Rq, Id, 0), UD };
static const struct emu_oprow e7_f6[4] = { UD, UD, BYW(wrmsrns_w), BYW(rdmsr_w) };
static const struct emu_oprow e7_f8[4] = { UD, UD, BYW(uwrmsr_i_w), BYW(urdmsr_i_w) };
const struct emu_oprow emu_evex7[256] = {
    /* 00 */ U16, U16, U16, U16, U16, U16, U16, U16, U16, U16, U16, U16, U16, U16, U16,
    /* F0 */ UD, UD, UD, UD, UD, UD, BYPFX(e7_f6), UD, BYPFX(e7_f8), UD, UD, UD, UD, UD, UD, UD,
};

/* REX2 + A1 (map 0, W=0): JMPABS imm64. */
const struct emu_oprow emu_row_jmpabs = L1(JMPABS, 0, Iq, R_F64);
/* REX2 + D6 and REX2 + 0F FF: XED decodes UDB and UD0 there without a ModRM byte.  Both are
 * #UD whatever their length; we follow XED's length. */
const struct emu_oprow emu_row_udb = L0(UDB, 0, 0);
const struct emu_oprow emu_row_ud0 = L0(UD0, 0, 0);
