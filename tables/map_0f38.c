/*
 * The three-byte maps 0F 38 and 0F 3A (legacy encodings) and the VEX-encoded GPR instructions
 * (BMI1, BMI2) of the same maps.  Only general-purpose instructions are ours; SSE/AVX rows are
 * K_UNKNOWN for the Zydis fallback.
 */
#include "rows.h"

/* 0F 38 F0/F1: MOVBE (no prefix or 66), CRC32 (F2, with 66 as the source-size prefix). */
static const struct emu_oprow m2_f0[4] = {
    F2_(MOVBE, 0, Gv, Mv, 0, MOVBE), F2_(MOVBE, 0, Gv, Mv, 0, MOVBE), UNK, F2_(CRC32, 0, Gy, Eb, 0, SSE4_2),
};
static const struct emu_oprow m2_f1[4] = {
    F2_(MOVBE, 0, Mv, Gv, 0, MOVBE), F2_(MOVBE, 0, Mv, Gv, 0, MOVBE), UNK, F2_(CRC32, 0, Gy, Ev, 0, SSE4_2),
};
/* 0F 38 F6: ADCX (66) and ADOX (F3); the 66 is mandatory, not an operand-size prefix. */
static const struct emu_oprow m2_f6[4] = {
    UNK /* WRSS */, F2_(ADCX, 0, Gy, Ey, R_MAND66, ADX), F2_(ADOX, 0, Gy, Ey, 0, ADX), UNK,
};
/* 0F 38 82: INVPCID (66): register operand 64-bit in 64-bit mode, else 32 (any 66/REX.W). */
static const struct emu_oprow m2_82[4] = {
    UNK, F2_(INVPCID, 0, SPEC(M_G, S_64, 0), Mdq, R_MAND66, INVPCID), UNK, UNK,
};

#define U16 UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK

const struct emu_oprow emu_map2[256] = {
    /* 00 */ U16, U16, U16, U16, U16, U16, U16, U16,
    /* 80 */ UNK /* INVEPT */, UNK /* INVVPID */, BYPFX(m2_82), UNK, UNK, UNK, UNK, UNK,
             UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK,
    /* 90 */ U16, U16, U16, U16, U16, U16,
    /* F0 */ BYPFX(m2_f0), BYPFX(m2_f1), UNK, UNK, UNK, UNK, BYPFX(m2_f6), UNK,
             UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK,
};

const struct emu_oprow emu_map3[256] = {
    U16, U16, U16, U16, U16, U16, U16, U16, U16, U16, U16, U16, U16, U16, U16, U16,
};

/*
 * VEX map 0F38.  K_PFX selects by VEX.pp (none, 66, F3, F2); VEX.W selects 64-bit operands in
 * 64-bit mode.  All of these need VEX.L = 0.
 */
#define VL R_VEXL0
static const struct emu_oprow vex_f2[4] = { F3_(ANDN, 0, Gy, Vy, Ey, VL, BMI1), UD, UD, UD };
static const struct emu_oprow vex_f3_grp[8] = {
    UD, F2_(BLSR, 0, Vy, Ey, VL, BMI1), F2_(BLSMSK, 0, Vy, Ey, VL, BMI1), F2_(BLSI, 0, Vy, Ey, VL, BMI1),
    UD, UD, UD, UD,
};
static const struct emu_oprow vex_f3[4] = { GROUP(vex_f3_grp), UD, UD, UD };
static const struct emu_oprow vex_f5[4] = {
    F3_(BZHI, 0, Gy, Ey, Vy, VL, BMI2), UD, F3_(PEXT, 0, Gy, Vy, Ey, VL, BMI2), F3_(PDEP, 0, Gy, Vy, Ey, VL, BMI2),
};
static const struct emu_oprow vex_f6[4] = { UD, UD, UD, F3_(MULX, 0, Gy, Vy, Ey, VL, BMI2) };
static const struct emu_oprow vex_f7[4] = {
    F3_(BEXTR, 0, Gy, Ey, Vy, VL, BMI1), F3_(SHLX, 0, Gy, Ey, Vy, VL, BMI2),
    F3_(SARX, 0, Gy, Ey, Vy, VL, BMI2), F3_(SHRX, 0, Gy, Ey, Vy, VL, BMI2),
};

const struct emu_oprow emu_vex2[256] = {
    /* 00 */ U16, U16, U16, U16, U16, U16, U16, U16, U16, U16, U16, U16, U16, U16, U16,
    /* F0 */ UNK, UNK, BYPFX(vex_f2), BYPFX(vex_f3), UNK, BYPFX(vex_f5), BYPFX(vex_f6), BYPFX(vex_f7),
             UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK,
};

static const struct emu_oprow vex3_f0[4] = { UD, UD, UD, F3_(RORX, 0, Gy, Ey, Ib, VL, BMI2) };

const struct emu_oprow emu_vex3[256] = {
    /* 00 */ U16, U16, U16, U16, U16, U16, U16, U16, U16, U16, U16, U16, U16, U16, U16,
    /* F0 */ BYPFX(vex3_f0), UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK,
};
