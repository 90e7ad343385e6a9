/*
 * tables/: the static data of the emulator.
 *
 *  - Opcode maps (tables/map*.c): bytes -> struct emu_oprow, a tree walked by the decoder.
 *    A row is either a leaf (operation id + operand forms + decode flags) or a node that
 *    selects one of its children by ModRM.reg, ModRM.mod, ModRM.rm, the mandatory prefix,
 *    W, the mode or the vendor.
 *  - Operation facts (tables/opinfo.c): per operation id, the mnemonic, the execute function,
 *    the modes it exists in, the privilege rule, the SVM intercept and the stage where it is
 *    checked, the flags it writes and leaves undefined.  The step pipeline in lib/step.c reads
 *    these as data; it has no per-instruction switch.
 *
 * Only tables/ holds per-instruction facts.  Everything here is const.
 */
#ifndef EMU_TABLES_H
#define EMU_TABLES_H

#include <emulate/emulate.h>

/* ---- operation ids --------------------------------------------------------------------- */
enum emu_op {
    OP_NONE = 0,
#define X(name) OP_##name,
#include "ops.inc"
#undef X
    OP_COUNT
};

/* ---- operand forms --------------------------------------------------------------------- */
/* An operand spec is 16 bits: method (bits 4:0), size (bits 9:5), parameter (bits 15:10). */
enum emu_opmethod {
    M_NONE = 0,
    M_E,     /* ModRM r/m: GPR or memory */
    M_G,     /* ModRM reg: GPR */
    M_M,     /* ModRM r/m: memory only (register form is #UD) */
    M_R,     /* ModRM r/m: register only (memory form is #UD) */
    M_I,     /* immediate, zero-extended */
    M_IS,    /* immediate, sign-extended to the operand size */
    M_J,     /* relative branch displacement, sign-extended */
    M_O,     /* moffs: absolute offset of address size */
    M_Z,     /* GPR in opcode bits 2:0 (extended by REX.B/REX2.B3/B4) */
    M_S,     /* segment register in ModRM.reg */
    M_C,     /* control register in ModRM.reg */
    M_D,     /* debug register in ModRM.reg */
    M_A,     /* far pointer immediate (offset, then selector) */
    M_FIX,   /* fixed GPR, number in the parameter */
    M_FIXS,  /* fixed segment register, number in the parameter */
    M_ONE,   /* the constant 1 (shift by one) */
    M_V,     /* VEX/EVEX vvvv GPR */
    M_I2     /* second immediate (ENTER's nesting level), zero-extended */
};

enum emu_opsize_code {
    S_0 = 0, /* no data (address only: LEA, INVLPG, PREFETCH) */
    S_B,     /* byte */
    S_W,     /* word */
    S_D,     /* doubleword */
    S_Q,     /* quadword */
    S_V,     /* operand size: 2, 4 or 8 */
    S_Z,     /* operand size capped at 4 (immediates of 64-bit ops) */
    S_Y,     /* 8 if the operand size is 8, else 4 */
    S_P,     /* far pointer in memory: 2 + operand size */
    S_A,     /* BOUND pair: 2 x operand size */
    S_DQ,    /* 16 bytes */
    S_MW,    /* memory: word; register: operand size (MOV Sreg, SLDT, STR...) */
    S_64,    /* 8 in 64-bit mode, else 4 (MOV CR/DR, whatever 66/REX.W say) */
    S_DESC,  /* descriptor-table pseudo-descriptor: 2 + (8 in 64-bit mode, else 4) */
    S_STK    /* stack operand size: like S_V with the 64-bit default (PUSH/POP) */
};

#define SPEC(m, s, p) ((uint16_t)((m) | ((s) << 5) | ((p) << 10)))
#define SPEC_M(x) ((x) & 0x1f)
#define SPEC_S(x) (((x) >> 5) & 0x1f)
#define SPEC_P(x) ((x) >> 10)

/* The usual Intel opcode-map abbreviations. */
#define Eb SPEC(M_E, S_B, 0)
#define Ew SPEC(M_E, S_W, 0)
#define Ed SPEC(M_E, S_D, 0)
#define Eq SPEC(M_E, S_Q, 0)
#define Ev SPEC(M_E, S_V, 0)
#define Ey SPEC(M_E, S_Y, 0)
#define Emw SPEC(M_E, S_MW, 0)
#define Gb SPEC(M_G, S_B, 0)
#define Gw SPEC(M_G, S_W, 0)
#define Gd SPEC(M_G, S_D, 0)
#define Gv SPEC(M_G, S_V, 0)
#define Gy SPEC(M_G, S_Y, 0)
#define Gq SPEC(M_G, S_Q, 0)
#define Mb SPEC(M_M, S_B, 0)
#define Mw SPEC(M_M, S_W, 0)
#define Md SPEC(M_M, S_D, 0)
#define Mq SPEC(M_M, S_Q, 0)
#define Mv SPEC(M_M, S_V, 0)
#define Mp SPEC(M_M, S_P, 0)
#define Ma SPEC(M_M, S_A, 0)
#define Mdq SPEC(M_M, S_DQ, 0)
#define M0 SPEC(M_M, S_0, 0)
#define Ms SPEC(M_M, S_DESC, 0)
#define Rv SPEC(M_R, S_V, 0)
#define Ry SPEC(M_R, S_Y, 0)
#define Rd64 SPEC(M_R, S_64, 0)
#define Rq SPEC(M_R, S_Q, 0)
#define My SPEC(M_M, S_Y, 0)
#define Vq SPEC(M_V, S_Q, 0)
#define Gq64 SPEC(M_G, S_64, 0)
#define Id SPEC(M_I, S_D, 0)
#define Iq SPEC(M_I, S_Q, 0)
#define Ib SPEC(M_I, S_B, 0)
#define Iw SPEC(M_I, S_W, 0)
#define Iz SPEC(M_IS, S_Z, 0)
#define Iv SPEC(M_I, S_V, 0)
#define Ibs SPEC(M_IS, S_V, 1)   /* operand-size value encoded as a sign-extended imm8 */
#define Ibstk SPEC(M_IS, S_STK, 1)
#define Ib2 SPEC(M_I2, S_B, 0)
#define Jb SPEC(M_J, S_B, 0)
#define Jz SPEC(M_J, S_Z, 0)
#define Ob SPEC(M_O, S_B, 0)
#define Ov SPEC(M_O, S_V, 0)
#define Zb SPEC(M_Z, S_B, 0)
#define Zv SPEC(M_Z, S_V, 0)
#define Zstk SPEC(M_Z, S_STK, 0)
#define Sw SPEC(M_S, S_W, 0)
#define Cd SPEC(M_C, S_64, 0)
#define Dd SPEC(M_D, S_64, 0)
#define Ap SPEC(M_A, S_P, 0)
#define ONE SPEC(M_ONE, S_B, 0)
#define Vy SPEC(M_V, S_Y, 0)
#define AL SPEC(M_FIX, S_B, 0)
#define CL SPEC(M_FIX, S_B, 1)
#define AXv SPEC(M_FIX, S_V, 0)
#define AXw SPEC(M_FIX, S_W, 0)
#define DXw SPEC(M_FIX, S_W, 2)
#define Estk SPEC(M_E, S_STK, 0)
#define Istk SPEC(M_IS, S_STK, 0)
#define SEGES SPEC(M_FIXS, S_W, 0)
#define SEGCS SPEC(M_FIXS, S_W, 1)
#define SEGSS SPEC(M_FIXS, S_W, 2)
#define SEGDS SPEC(M_FIXS, S_W, 3)
#define SEGFS SPEC(M_FIXS, S_W, 4)
#define SEGGS SPEC(M_FIXS, S_W, 5)

/* ---- rows ------------------------------------------------------------------------------ */
enum emu_rowkind {
    K_LEAF = 0,   /* an instruction */
    K_UD,         /* invalid encoding: #UD (ModRM consumed if the parent needed it) */
    K_UNKNOWN,    /* not in our tables: the Zydis fallback names it */
    K_GROUP,      /* 8 children by ModRM.reg */
    K_MOD,        /* 2 children: [0] memory form, [1] register form (mod == 3) */
    K_RM,         /* 8 children by ModRM.rm (register forms) */
    K_PFX,        /* 4 children by mandatory prefix: none, 66, F3, F2 */
    K_W,          /* 2 children by REX.W / VEX.W */
    K_MODE64,     /* 2 children: [0] outside 64-bit mode, [1] in 64-bit mode */
    K_VENDOR,     /* 2 children: [0] Intel, [1] AMD */
    K_FEAT,       /* 2 children: [0] feature (in .feat) absent, [1] present */
    K_ND,         /* 2 children by APX EVEX.ND (P2[4]); the bit is then a form selector */
    K_NF          /* 2 children by APX EVEX.NF (P2[2]); the bit is then a form selector */
};

enum emu_rowflags {
    R_INV64   = 1u << 0,  /* #UD in 64-bit mode */
    R_ONLY64  = 1u << 1,  /* #UD outside 64-bit mode */
    R_D64     = 1u << 2,  /* operand size defaults to 64 in 64-bit mode (66 gives 16) */
    R_F64     = 1u << 3,  /* near branch: 64 in 64-bit mode; 66 gives 16 on AMD only */
    R_BYTE    = 1u << 4,  /* byte operation */
    R_LOCK    = 1u << 5,  /* LOCK allowed (with a memory destination) */
    R_MODRM   = 1u << 6,  /* has a ModRM byte even though no operand says so */
    R_MAND66  = 1u << 7,  /* 66 was a mandatory prefix: it does not change the operand size */
    R_NOMEM   = 1u << 8,  /* the memory operand is an address only (no data access) */
    R_VEXL0   = 1u << 9,  /* VEX.L must be 0 */
    R_NOREX2  = 1u << 10, /* #UD with a REX2 prefix (APX) */
    R_REP     = 1u << 11, /* string instruction: F3/F2 are REP prefixes */
    R_OP32    = 1u << 12, /* operand size is 32 or 64 only (66 ignored): MOVSXD-like */
    R_XCHGNOP = 1u << 13, /* 90: NOP unless REX.B (then XCHG r8, rAX) */
    R_LOCKANY = 1u << 14, /* LOCK allowed without a memory operand (AMD LOCK MOV CR0 = CR8) */
    R_F3PAUSE = 1u << 15, /* F3 90 is PAUSE */
    R_FORCEREG = 1u << 16, /* ModRM.mod is ignored: always the register form (MOV CR/DR) */
    /* APX EVEX (map 4 and the promoted GPR instructions of maps 1-3 and 7): */
    R_NF      = 1u << 17, /* EVEX.NF = 1 allowed: the no-flags form */
    R_NDD     = 1u << 18, /* EVEX.ND = 1 allowed (or selected): vvvv is a new destination */
    R_SCC     = 1u << 19, /* CCMP/CTEST: vvvv = default flags value, V'/aaa = source condition */
    R_NCI     = 1u << 20, /* needs APX_NCI_NDD_NF (CPUID 29h) whatever ND/NF say */
    R_REGONLY = 1u << 21  /* ModRM.mod must be 11 (the memory form is #UD) */
};

struct emu_oprow {
    uint16_t op;       /* enum emu_op (leaf) */
    uint8_t kind;      /* enum emu_rowkind */
    uint8_t aux;       /* per-row parameter passed to the executor */
    uint16_t o[3];     /* operand specs */
    uint8_t feat;      /* required feature + 1 (0 = none); K_FEAT: the feature tested */
    uint8_t pad;
    uint32_t flags;    /* R_* */
    const struct emu_oprow *sub; /* children for node kinds */
};

/* The maps.  map0 = one-byte opcodes, map1 = 0F xx, map2 = 0F 38 xx, map3 = 0F 3A xx;
 * vex2/vex3 hold the VEX-encoded GPR instructions (BMI1/BMI2) of maps 0F38 / 0F3A. */
extern const struct emu_oprow emu_map0[256];
extern const struct emu_oprow emu_map1[256];
extern const struct emu_oprow emu_map2[256];
extern const struct emu_oprow emu_map3[256];
extern const struct emu_oprow emu_vex2[256];
extern const struct emu_oprow emu_vex3[256];
extern const struct emu_oprow emu_map4[256];
/* APX: the EVEX-promoted GPR instructions of maps 1, 2, 3 and 7 (KMOV, BMI1/BMI2, CMPccXADD,
 * tile loads, RORX, immediate MSR forms) and the REX2-only JMPABS row. */
extern const struct emu_oprow emu_evex1[256];
extern const struct emu_oprow emu_evex2[256];
extern const struct emu_oprow emu_evex3[256];
extern const struct emu_oprow emu_evex7[256];
extern const struct emu_oprow emu_row_jmpabs, emu_row_udb, emu_row_ud0;

/* ---- operation facts -------------------------------------------------------------------- */
struct emu_ctx;
struct emu_insn;

/* Every check and executor returns EMU_OK or a non-OK status with ctx->result filled. */
typedef enum emu_status (*emu_exec_fn)(struct emu_ctx *ctx, struct emu_insn *insn);

/* Stages of design.md; an operation's intercept is checked at one of them. */
enum emu_icpt_stage {
    ICPT_NONE = 0,
    ICPT_FIRST = 3,      /* before all exceptions (VMMCALL, PUSHF, POPF, IRET, INTn...) */
    ICPT_AFTER_EXC = 6,  /* after the simple exceptions (the ordinary case) */
    ICPT_AFTER_MEM = 8   /* after the memory operand's checks (LMSW/SMSW-like) */
};

/* Privilege rules (stage 4). */
enum emu_priv {
    PRIV_ANY = 0,        /* no rule */
    PRIV_CPL0,           /* #GP(0) if CPL != 0 */
    PRIV_CPL0_V86UD      /* #GP(0) if CPL != 0 (v86 counts as CPL 3) */
};

/* Mode bits for emu_opinfo.modes (0 means every mode). */
#define MODE_BIT(m) (1u << (m))
#define MODES_PROT (MODE_BIT(EMU_MODE_PROT16) | MODE_BIT(EMU_MODE_PROT32) | \
                    MODE_BIT(EMU_MODE_COMPAT16) | MODE_BIT(EMU_MODE_COMPAT32) | \
                    MODE_BIT(EMU_MODE_LONG64))
#define MODES_NOT_REAL (MODES_PROT | MODE_BIT(EMU_MODE_V86))

/* Arithmetic flag masks. */
#define FL_CF EMU_FLAG_CF
#define FL_PF EMU_FLAG_PF
#define FL_AF EMU_FLAG_AF
#define FL_ZF EMU_FLAG_ZF
#define FL_SF EMU_FLAG_SF
#define FL_OF EMU_FLAG_OF
#define FL_ARITH (FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF | FL_OF)
#define FL_SZP (FL_SF | FL_ZF | FL_PF)

struct emu_opinfo {
    const char *mnemonic;
    emu_exec_fn exec;       /* stage 9; NULL = recognised, not emulated (UNHANDLED) */
    emu_exec_fn ud_check;   /* stage 2: extra mode/feature #UD rules (may be NULL) */
    emu_exec_fn priv_check; /* stage 4: custom privilege rule (IOPL, v86...) (may be NULL) */
    emu_exec_fn pre_check;  /* stage 5: operand-value checks ordered before the intercept */
    emu_exec_fn mem_check;  /* stage 7: memory-operand checks ordered before a stage-8 intercept */
    emu_exec_fn icpt_info;  /* fills exit code/info when they depend on the instruction */
    uint16_t modes;         /* MODE_BIT set where the instruction exists (0 = all); else #UD */
    uint8_t priv;           /* enum emu_priv */
    uint8_t icpt_stage;     /* enum emu_icpt_stage */
    uint16_t icpt_code;     /* SVM exit code (when icpt_info is NULL) */
    uint16_t fl_read;       /* arithmetic flags read */
    uint16_t fl_written;    /* flags written with a defined value */
    uint16_t fl_undef;      /* flags left architecturally undefined */
};

extern const struct emu_opinfo emu_opinfo[OP_COUNT];

/* Feature names (tables/features.c). */
extern const char *const emu_feature_names[EMU_FEAT_COUNT];

#endif
