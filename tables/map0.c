/*
 * The one-byte opcode map (map 0).  Prefix bytes (26 2E 36 3E 64 65 66 67 F0 F2 F3, REX 40-4F
 * in 64-bit mode) are consumed by the decoder before it looks here, and 0F, C4, C5, 62, D5, 8F
 * escapes are handled there too; their rows describe the non-escape meaning.
 */
#include "rows.h"

/* ALU rows 00-3D: the operation in bits 5:3, the form in bits 2:0. */
#define ALU6(op, lk) \
    L2(op, 0, Eb, Gb, R_BYTE | (lk)), L2(op, 0, Ev, Gv, (lk)), L2(op, 0, Gb, Eb, R_BYTE), \
    L2(op, 0, Gv, Ev, 0), L2(op, 0, AL, Ib, R_BYTE), L2(op, 0, AXv, Iz, 0)

/* Group 1 (80-83): ADD OR ADC SBB AND SUB XOR CMP with an immediate; CMP is not lockable. */
static const struct emu_oprow grp1_80[8] = {
    L2(ADD, 0, Eb, Ib, R_BYTE | R_LOCK), L2(OR, 0, Eb, Ib, R_BYTE | R_LOCK),
    L2(ADC, 0, Eb, Ib, R_BYTE | R_LOCK), L2(SBB, 0, Eb, Ib, R_BYTE | R_LOCK),
    L2(AND, 0, Eb, Ib, R_BYTE | R_LOCK), L2(SUB, 0, Eb, Ib, R_BYTE | R_LOCK),
    L2(XOR, 0, Eb, Ib, R_BYTE | R_LOCK), L2(CMP, 0, Eb, Ib, R_BYTE),
};
static const struct emu_oprow grp1_82[8] = { /* 82: alias of 80, #UD in 64-bit mode */
    L2(ADD, 0, Eb, Ib, R_BYTE | R_LOCK | R_INV64), L2(OR, 0, Eb, Ib, R_BYTE | R_LOCK | R_INV64),
    L2(ADC, 0, Eb, Ib, R_BYTE | R_LOCK | R_INV64), L2(SBB, 0, Eb, Ib, R_BYTE | R_LOCK | R_INV64),
    L2(AND, 0, Eb, Ib, R_BYTE | R_LOCK | R_INV64), L2(SUB, 0, Eb, Ib, R_BYTE | R_LOCK | R_INV64),
    L2(XOR, 0, Eb, Ib, R_BYTE | R_LOCK | R_INV64), L2(CMP, 0, Eb, Ib, R_BYTE | R_INV64),
};
static const struct emu_oprow grp1_81[8] = {
    L2(ADD, 0, Ev, Iz, R_LOCK), L2(OR, 0, Ev, Iz, R_LOCK), L2(ADC, 0, Ev, Iz, R_LOCK),
    L2(SBB, 0, Ev, Iz, R_LOCK), L2(AND, 0, Ev, Iz, R_LOCK), L2(SUB, 0, Ev, Iz, R_LOCK),
    L2(XOR, 0, Ev, Iz, R_LOCK), L2(CMP, 0, Ev, Iz, 0),
};
static const struct emu_oprow grp1_83[8] = {
    L2(ADD, 0, Ev, Ibs, R_LOCK), L2(OR, 0, Ev, Ibs, R_LOCK), L2(ADC, 0, Ev, Ibs, R_LOCK),
    L2(SBB, 0, Ev, Ibs, R_LOCK), L2(AND, 0, Ev, Ibs, R_LOCK), L2(SUB, 0, Ev, Ibs, R_LOCK),
    L2(XOR, 0, Ev, Ibs, R_LOCK), L2(CMP, 0, Ev, Ibs, 0),
};

/* Group 1a (8F): POP Ev; the other /reg values are the AMD XOP escape (not ours). */
static const struct emu_oprow grp1a_8f[8] = {
    L1(POP, 0, Estk, R_D64), UNK, UNK, UNK, UNK, UNK, UNK, UNK,
};

/* Group 2 (C0 C1 D0-D3): rotates and shifts; /6 is the undocumented SAL alias of SHL. */
#define GRP2(dst, cnt, fl) { \
    L2(ROL, 0, dst, cnt, fl), L2(ROR, 0, dst, cnt, fl), L2(RCL, 0, dst, cnt, fl), \
    L2(RCR, 0, dst, cnt, fl), L2(SHL, 0, dst, cnt, fl), L2(SHR, 0, dst, cnt, fl), \
    L2(SAL, 0, dst, cnt, fl), L2(SAR, 0, dst, cnt, fl) }
static const struct emu_oprow grp2_c0[8] = GRP2(Eb, Ib, R_BYTE);
static const struct emu_oprow grp2_c1[8] = GRP2(Ev, Ib, 0);
static const struct emu_oprow grp2_d0[8] = GRP2(Eb, ONE, R_BYTE);
static const struct emu_oprow grp2_d1[8] = GRP2(Ev, ONE, 0);
static const struct emu_oprow grp2_d2[8] = GRP2(Eb, CL, R_BYTE);
static const struct emu_oprow grp2_d3[8] = GRP2(Ev, CL, 0);

/* Group 3 (F6 F7): /1 is the undocumented alias of TEST /0 (real CPUs execute it). */
static const struct emu_oprow grp3_f6[8] = {
    L2(TEST, 0, Eb, Ib, R_BYTE), L2(TEST, 0, Eb, Ib, R_BYTE), L1(NOT, 0, Eb, R_BYTE | R_LOCK),
    L1(NEG, 0, Eb, R_BYTE | R_LOCK), L1(MUL, 0, Eb, R_BYTE), L1(IMUL1, 0, Eb, R_BYTE),
    L1(DIV, 0, Eb, R_BYTE), L1(IDIV, 0, Eb, R_BYTE),
};
static const struct emu_oprow grp3_f7[8] = {
    L2(TEST, 0, Ev, Iz, 0), L2(TEST, 0, Ev, Iz, 0), L1(NOT, 0, Ev, R_LOCK), L1(NEG, 0, Ev, R_LOCK),
    L1(MUL, 0, Ev, 0), L1(IMUL1, 0, Ev, 0), L1(DIV, 0, Ev, 0), L1(IDIV, 0, Ev, 0),
};

/* Group 4 (FE) and 5 (FF). */
static const struct emu_oprow grp4_fe[8] = {
    L1(INC, 0, Eb, R_BYTE | R_LOCK), L1(DEC, 0, Eb, R_BYTE | R_LOCK), UD, UD, UD, UD, UD, UD,
};
static const struct emu_oprow grp5_ff[8] = {
    L1(INC, 0, Ev, R_LOCK), L1(DEC, 0, Ev, R_LOCK), L1(CALL_IND, 0, Ev, R_F64),
    L1(CALL_FAR, 0, Mp, 0), L1(JMP_IND, 0, Ev, R_F64), L1(JMP_FAR, 0, Mp, 0),
    L1(PUSH, 0, Estk, R_D64), UD,
};

/* Group 11 (C6 C7): MOV r/m, imm; /7 with ModRM F8 is XABORT/XBEGIN (RTM, not ours). */
static const struct emu_oprow grp11_c6[8] = { L2(MOV, 0, Eb, Ib, R_BYTE), UD, UD, UD, UD, UD, UD, UNK };
static const struct emu_oprow grp11_c7[8] = { L2(MOV, 0, Ev, Iz, 0), UD, UD, UD, UD, UD, UD, UNK };

/* 63: ARPL outside 64-bit mode, MOVSXD in it. */
static const struct emu_oprow row_63[2] = { L2(ARPL, 0, Ew, Gw, 0), L2(MOVSXD, 0, Gv, Ed, 0) };

/* C4/C5 outside 64-bit mode with a memory ModRM: LES/LDS (the decoder takes VEX otherwise). */

#define JCC8(cc) L1(JCC, cc, Jb, R_F64)

const struct emu_oprow emu_map0[256] = {
    /* 00 */ ALU6(ADD, R_LOCK), L1(PUSH_SREG, 0, SEGES, R_INV64), L1(POP_SREG, 0, SEGES, R_INV64),
    /* 08 */ ALU6(OR, R_LOCK), L1(PUSH_SREG, 1, SEGCS, R_INV64), UNK /* 0F escape */,
    /* 10 */ ALU6(ADC, R_LOCK), L1(PUSH_SREG, 2, SEGSS, R_INV64), L1(POP_SREG, 2, SEGSS, R_INV64),
    /* 18 */ ALU6(SBB, R_LOCK), L1(PUSH_SREG, 3, SEGDS, R_INV64), L1(POP_SREG, 3, SEGDS, R_INV64),
    /* 20 */ ALU6(AND, R_LOCK), UNK /* ES: */, L0(DAA, 0, R_INV64),
    /* 28 */ ALU6(SUB, R_LOCK), UNK /* CS: */, L0(DAS, 0, R_INV64),
    /* 30 */ ALU6(XOR, R_LOCK), UNK /* SS: */, L0(AAA, 0, R_INV64),
    /* 38 */ ALU6(CMP, 0), UNK /* DS: */, L0(AAS, 0, R_INV64),
    /* 40 */ L1(INC, 0, Zv, 0), L1(INC, 0, Zv, 0), L1(INC, 0, Zv, 0), L1(INC, 0, Zv, 0),
    /* 44 */ L1(INC, 0, Zv, 0), L1(INC, 0, Zv, 0), L1(INC, 0, Zv, 0), L1(INC, 0, Zv, 0),
    /* 48 */ L1(DEC, 0, Zv, 0), L1(DEC, 0, Zv, 0), L1(DEC, 0, Zv, 0), L1(DEC, 0, Zv, 0),
    /* 4C */ L1(DEC, 0, Zv, 0), L1(DEC, 0, Zv, 0), L1(DEC, 0, Zv, 0), L1(DEC, 0, Zv, 0),
    /* 50 */ L1(PUSH, 0, Zstk, R_D64), L1(PUSH, 0, Zstk, R_D64), L1(PUSH, 0, Zstk, R_D64), L1(PUSH, 0, Zstk, R_D64),
    /* 54 */ L1(PUSH, 0, Zstk, R_D64), L1(PUSH, 0, Zstk, R_D64), L1(PUSH, 0, Zstk, R_D64), L1(PUSH, 0, Zstk, R_D64),
    /* 58 */ L1(POP, 0, Zstk, R_D64), L1(POP, 0, Zstk, R_D64), L1(POP, 0, Zstk, R_D64), L1(POP, 0, Zstk, R_D64),
    /* 5C */ L1(POP, 0, Zstk, R_D64), L1(POP, 0, Zstk, R_D64), L1(POP, 0, Zstk, R_D64), L1(POP, 0, Zstk, R_D64),
    /* 60 */ L0(PUSHA, 0, R_INV64), L0(POPA, 0, R_INV64), L2(BOUND, 0, Gv, Ma, R_INV64), BYMODE64(row_63),
    /* 64 */ UNK, UNK, UNK, UNK, /* FS: GS: 66 67 */
    /* 68 */ L1(PUSH, 0, Istk, R_D64), L3(IMUL, 0, Gv, Ev, Iz, 0), L1(PUSH, 0, Ibstk, R_D64),
             L3(IMUL, 0, Gv, Ev, Ibs, 0),
    /* 6C */ L0(INS, 0, R_BYTE | R_REP), L0(INS, 0, R_REP), L0(OUTS, 0, R_BYTE | R_REP), L0(OUTS, 0, R_REP),
    /* 70 */ CC8(JCC8, 0), CC8(JCC8, 8),
    /* 80 */ GROUP(grp1_80), GROUP(grp1_81), GROUP(grp1_82), GROUP(grp1_83),
    /* 84 */ L2(TEST, 0, Eb, Gb, R_BYTE), L2(TEST, 0, Ev, Gv, 0),
             L2(XCHG, 0, Eb, Gb, R_BYTE | R_LOCK), L2(XCHG, 0, Ev, Gv, R_LOCK),
    /* 88 */ L2(MOV, 0, Eb, Gb, R_BYTE), L2(MOV, 0, Ev, Gv, 0), L2(MOV, 0, Gb, Eb, R_BYTE), L2(MOV, 0, Gv, Ev, 0),
    /* 8C */ L2(MOV_FROM_SREG, 0, Emw, Sw, 0), L2(LEA, 0, Gv, M0, R_NOMEM), L2(MOV_TO_SREG, 0, Sw, Ew, 0),
             GROUP(grp1a_8f),
    /* 90 */ L2(XCHG, 0, Zv, AXv, R_XCHGNOP | R_F3PAUSE), L2(XCHG, 0, Zv, AXv, 0), L2(XCHG, 0, Zv, AXv, 0),
             L2(XCHG, 0, Zv, AXv, 0), L2(XCHG, 0, Zv, AXv, 0), L2(XCHG, 0, Zv, AXv, 0),
             L2(XCHG, 0, Zv, AXv, 0), L2(XCHG, 0, Zv, AXv, 0),
    /* 98 */ L0(CBW, 0, 0), L0(CWD, 0, 0), L1(CALL_FAR, 0, Ap, R_INV64), L0(FWAIT, 0, 0),
    /* 9C */ L0(PUSHF, 0, R_D64), L0(POPF, 0, R_D64), L0(SAHF, 0, 0), L0(LAHF, 0, 0),
    /* A0 */ L2(MOV, 0, AL, Ob, R_BYTE), L2(MOV, 0, AXv, Ov, 0), L2(MOV, 0, Ob, AL, R_BYTE), L2(MOV, 0, Ov, AXv, 0),
    /* A4 */ L0(MOVS, 0, R_BYTE | R_REP), L0(MOVS, 0, R_REP), L0(CMPS, 0, R_BYTE | R_REP), L0(CMPS, 0, R_REP),
    /* A8 */ L2(TEST, 0, AL, Ib, R_BYTE), L2(TEST, 0, AXv, Iz, 0), L0(STOS, 0, R_BYTE | R_REP), L0(STOS, 0, R_REP),
    /* AC */ L0(LODS, 0, R_BYTE | R_REP), L0(LODS, 0, R_REP), L0(SCAS, 0, R_BYTE | R_REP), L0(SCAS, 0, R_REP),
    /* B0 */ L2(MOV, 0, Zb, Ib, R_BYTE), L2(MOV, 0, Zb, Ib, R_BYTE), L2(MOV, 0, Zb, Ib, R_BYTE), L2(MOV, 0, Zb, Ib, R_BYTE),
    /* B4 */ L2(MOV, 0, Zb, Ib, R_BYTE), L2(MOV, 0, Zb, Ib, R_BYTE), L2(MOV, 0, Zb, Ib, R_BYTE), L2(MOV, 0, Zb, Ib, R_BYTE),
    /* B8 */ L2(MOV, 0, Zv, Iv, 0), L2(MOV, 0, Zv, Iv, 0), L2(MOV, 0, Zv, Iv, 0), L2(MOV, 0, Zv, Iv, 0),
    /* BC */ L2(MOV, 0, Zv, Iv, 0), L2(MOV, 0, Zv, Iv, 0), L2(MOV, 0, Zv, Iv, 0), L2(MOV, 0, Zv, Iv, 0),
    /* C0 */ GROUP(grp2_c0), GROUP(grp2_c1), L1(RET, 0, Iw, R_F64), L0(RET, 0, R_F64),
    /* C4 */ L2(LES, 0, Gv, Mp, R_INV64), L2(LDS, 0, Gv, Mp, R_INV64), GROUP(grp11_c6), GROUP(grp11_c7),
    /* C8 */ L2(ENTER, 0, Iw, Ib2, R_D64), L0(LEAVE, 0, R_D64), L1(RETF, 0, Iw, 0), L0(RETF, 0, 0),
    /* CC */ L0(INT3, 0, 0), L1(INT, 0, Ib, 0), L0(INTO, 0, R_INV64), L0(IRET, 0, 0),
    /* D0 */ GROUP(grp2_d0), GROUP(grp2_d1), GROUP(grp2_d2), GROUP(grp2_d3),
    /* D4 */ L1(AAM, 0, Ib, R_INV64), L1(AAD, 0, Ib, R_INV64), L0(SALC, 0, R_INV64), L0(XLAT, 0, 0),
    /* D8 */ UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK, /* x87 */
    /* E0 */ L1(LOOPNE, 0, Jb, R_F64), L1(LOOPE, 0, Jb, R_F64), L1(LOOP, 0, Jb, R_F64), L1(JRCXZ, 0, Jb, R_F64),
    /* E4 */ L2(IN, 0, AL, Ib, R_BYTE), L2(IN, 0, SPEC(M_FIX, S_Z, 0), Ib, 0),
             L2(OUT, 0, Ib, AL, R_BYTE), L2(OUT, 0, Ib, SPEC(M_FIX, S_Z, 0), 0),
    /* E8 */ L1(CALL, 0, Jz, R_F64), L1(JMP, 0, Jz, R_F64), L1(JMP_FAR, 0, Ap, R_INV64), L1(JMP, 0, Jb, R_F64),
    /* EC */ L2(IN, 0, AL, DXw, R_BYTE), L2(IN, 0, SPEC(M_FIX, S_Z, 0), DXw, 0),
             L2(OUT, 0, DXw, AL, R_BYTE), L2(OUT, 0, DXw, SPEC(M_FIX, S_Z, 0), 0),
    /* F0 */ UNK /* LOCK */, L0(INT1, 0, 0), UNK, UNK /* F2 F3 */,
    /* F4 */ L0(HLT, 0, 0), L0(CMC, 0, 0), GROUP(grp3_f6), GROUP(grp3_f7),
    /* F8 */ L0(CLC, 0, 0), L0(STC, 0, 0), L0(CLI, 0, 0), L0(STI, 0, 0),
    /* FC */ L0(CLD, 0, 0), L0(STD, 0, 0), GROUP(grp4_fe), GROUP(grp5_ff),
};
