/*
 * The two-byte opcode map (0F xx).  SSE/MMX/x87-state rows are K_UNKNOWN: the engine does not
 * execute them and the Zydis fallback names them.
 */
#include "rows.h"

/* 0F 00 /5: VERW.  LOCK VERW m16 executes on AMD (Zen 3, hwdiff: F0 0F 00 2B retires, sets ZF
 * like VERW and takes VERW's #PF, with no exit to the hypervisor below), although the SDM and
 * the APM make LOCK #UD on anything but the listed read-modify-writes and Zydis calls it
 * invalid (tools/zydis_check.c).  An embedder on an AMD host only sees a LOCK VERW the CPU
 * accepted, so the AMD profile accepts it too; the register form stays #UD (Zen 3 too), and so
 * do LOCK VERR, SLDT, STR, LLDT and LTR.  VERW writes nothing: the LOCK has no effect. */
static const struct emu_oprow row_verw[2] = { L1(VERW, 0, Ew, 0), L1(VERW, 0, Ew, R_LOCK) };

/* Group 6 (0F 00). */
static const struct emu_oprow grp6[8] = {
    L1(SLDT, 0, Emw, 0), L1(STR, 0, Emw, 0), L1(LLDT, 0, Ew, 0), L1(LTR, 0, Ew, 0),
    L1(VERR, 0, Ew, 0), BYVENDOR(row_verw), UD /* JMPE (IA-64) */, UD,
};

/* Group 7 (0F 01), memory forms. */
static const struct emu_oprow grp7_mem[8] = {
    L1(SGDT, 0, Ms, 0), L1(SIDT, 0, Ms, 0), L1(LGDT, 0, Ms, 0), L1(LIDT, 0, Ms, 0),
    L1(SMSW, 0, Emw, 0), UNK /* RSTORSSP */, L1(LMSW, 0, Ew, 0), L1(INVLPG, 0, M0, R_NOMEM),
};
/* Group 7 register forms, by ModRM.rm. */
/* Rows the SDM marks NP: a 66, F2 or F3 prefix makes them #UD. */
#define NP(name, op_) static const struct emu_oprow name[4] = { L0(op_, 0, 0), UD, UD, UD }
NP(vmcall_np, VMCALL);
NP(monitor_np, MONITOR);
NP(mwait_np, MWAIT);
NP(xgetbv_np, XGETBV);
NP(xsetbv_np, XSETBV);
NP(sfence_pfx, SFENCE);
static const struct emu_oprow grp7_r0[8] = { /* C0-C7: VMX and others */
    UNK, BYPFX(vmcall_np), UNK, UNK, UNK, UNK, UNK, UNK,
};
static const struct emu_oprow grp7_r1[8] = { /* C8-CF */
    BYPFX(monitor_np), BYPFX(mwait_np), UNK /* CLAC */, UNK /* STAC */, UNK, UNK, UNK, UNK,
};
static const struct emu_oprow grp7_r2[8] = { /* D0-D7 */
    BYPFX(xgetbv_np), BYPFX(xsetbv_np), UD, UD, UNK /* VMFUNC */, UNK /* XEND */, UNK /* XTEST */, UNK,
};
/* D8-DF: the SVM instructions; all #UD without SVM in CPUID (the Intel model). */
static const struct emu_oprow grp7_r3[8] = {
    F0_(VMRUN, 0, 0, SVM), F0_(VMMCALL, 0, 0, SVM), F0_(VMLOAD, 0, 0, SVM), F0_(VMSAVE, 0, 0, SVM),
    F0_(STGI, 0, 0, SVM), F0_(CLGI, 0, 0, SVM), F0_(SKINIT, 0, 0, SVM), F0_(INVLPGA, 0, 0, SVM),
};
static const struct emu_oprow grp7_r7[8] = { /* F8-FF */
    L0(SWAPGS, 0, R_ONLY64), F0_(RDTSCP, 0, 0, RDTSCP), UNK /* MONITORX */, UNK /* MWAITX */,
    UNK /* CLZERO */, F0_(RDPRU, 0, 0, RDPRU), UNK /* INVLPGB */, UNK /* TLBSYNC */,
};
static const struct emu_oprow grp7_reg[8] = {
    BYRM(grp7_r0), BYRM(grp7_r1), BYRM(grp7_r2), BYRM(grp7_r3),
    L1(SMSW, 0, Emw, 0), UNK /* SETSSBSY, RDPKRU... */, L1(LMSW, 0, Ew, 0), BYRM(grp7_r7),
};
static const struct emu_oprow grp7[2] = { GROUP(grp7_mem), GROUP(grp7_reg) };

/* 0F 09: WBINVD, F3 0F 09: WBNOINVD (WBINVD on CPUs without it). */
static const struct emu_oprow wbnoinvd_f[2] = { L0(WBINVD, 0, 0), L0(WBNOINVD, 0, 0) };
static const struct emu_oprow row_09[4] = {
    L0(WBINVD, 0, 0), L0(WBINVD, 0, 0), BYFEAT(WBNOINVD, wbnoinvd_f), L0(WBINVD, 0, 0),
};

/* 0F 18: PREFETCHh hints for /0-/3 memory forms; everything else is a hint NOP. */
static const struct emu_oprow grp16_mem[8] = {
    L1(PREFETCH, 0, M0, R_NOMEM), L1(PREFETCH, 1, M0, R_NOMEM), L1(PREFETCH, 2, M0, R_NOMEM),
    L1(PREFETCH, 3, M0, R_NOMEM), L1(NOP, 0, Ev, R_NOMEM), L1(NOP, 0, Ev, R_NOMEM),
    L1(NOP, 0, Ev, R_NOMEM), L1(NOP, 0, Ev, R_NOMEM),
};
static const struct emu_oprow grp16[2] = { GROUP(grp16_mem), L1(NOP, 0, Ev, R_NOMEM) };

/* 0F 0D: AMD PREFETCH/PREFETCHW (a NOP on Intel parts without PREFETCHW): memory forms only.
 * The register form is a hint NOP on Intel and #UD on AMD (the APM lists PREFETCH with a
 * register operand as #UD; hwdiff saw #UD on Zen 3). */
static const struct emu_oprow row_0d_reg[2] = { L1(NOP, 0, Ev, R_NOMEM), UD };
static const struct emu_oprow row_0d[2] = { L1(PREFETCH, 4, M0, R_NOMEM), BYVENDOR(row_0d_reg) };

/* 0F B9: UD1 has a ModRM byte on Intel; AMD raises #UD without fetching one (hwdiff: 0F B9 at
 * the end of the code page is #UD on Zen 3, not a fetch fault). */
static const struct emu_oprow row_ud1[2] = { L2(UD1, 0, Gv, Ev, R_NOMEM), L0(UD1, 0, 0) };
/* 0F FF: UD0 likewise (AMD documents it without a ModRM byte). */
static const struct emu_oprow row_ud0[2] = { L2(UD0, 0, Gv, Ev, R_NOMEM), L0(UD0, 0, 0) };

/* 0F B8: POPCNT needs F3; without it the opcode is JMPE (IA-64), #UD here. */
static const struct emu_oprow row_b8[4] = { UD, UD, F2_(POPCNT, 0, Gv, Ev, 0, POPCNT), UD };

/* 0F BC/BD: F3 selects TZCNT/LZCNT where the CPU has them, else the prefix is ignored. */
static const struct emu_oprow tzcnt_f[2] = { L2(BSF, 0, Gv, Ev, 0), L2(TZCNT, 0, Gv, Ev, 0) };
static const struct emu_oprow lzcnt_f[2] = { L2(BSR, 0, Gv, Ev, 0), L2(LZCNT, 0, Gv, Ev, 0) };
static const struct emu_oprow row_bc[4] = {
    L2(BSF, 0, Gv, Ev, 0), L2(BSF, 0, Gv, Ev, 0), BYFEAT(BMI1, tzcnt_f), L2(BSF, 0, Gv, Ev, 0),
};
static const struct emu_oprow row_bd[4] = {
    L2(BSR, 0, Gv, Ev, 0), L2(BSR, 0, Gv, Ev, 0), BYFEAT(ABM, lzcnt_f), L2(BSR, 0, Gv, Ev, 0),
};

/* Group 8 (0F BA): bit tests with an immediate. */
static const struct emu_oprow grp8[8] = {
    UD, UD, UD, UD, L2(BT, 0, Ev, Ib, 0), L2(BTS, 0, Ev, Ib, R_LOCK),
    L2(BTR, 0, Ev, Ib, R_LOCK), L2(BTC, 0, Ev, Ib, R_LOCK),
};

/* Group 9 (0F C7). */
static const struct emu_oprow cx8_16[2] = {
    L1(CMPXCHG8B, 0, Mq, R_LOCK), F1_(CMPXCHG16B, 0, Mdq, R_LOCK, CX16),
};
static const struct emu_oprow grp9_mem[8] = {
    UD, BYW(cx8_16), UD, UNK /* XRSTORS */, UNK /* XSAVEC */, UNK /* XSAVES */,
    UNK /* VMPTRLD, VMCLEAR, VMXON */, UNK /* VMPTRST */,
};
static const struct emu_oprow rdseed_pfx[4] = {
    F1_(RDSEED, 0, Rv, 0, RDSEED), F1_(RDSEED, 0, Rv, 0, RDSEED), F1_(RDPID, 0, Rd64, 0, RDPID), UD,
};
static const struct emu_oprow rdrand_pfx[4] = {
    F1_(RDRAND, 0, Rv, 0, RDRAND), F1_(RDRAND, 0, Rv, 0, RDRAND), UNK /* SENDUIPI */, UD,
};
static const struct emu_oprow grp9_reg[8] = {
    UD, UD, UD, UD, UD, UD, BYPFX(rdrand_pfx), BYPFX(rdseed_pfx),
};
static const struct emu_oprow grp9[2] = { GROUP(grp9_mem), GROUP(grp9_reg) };

/* Group 15 (0F AE). */
static const struct emu_oprow clwb_pfx[4] = {
    UNK /* XSAVEOPT */, F1_(CLWB, 0, Mb, 0, CLWB), UNK /* CLRSSBSY */, UD,
};
static const struct emu_oprow clflush_pfx[4] = {
    L1(CLFLUSH, 0, Mb, 0), F1_(CLFLUSHOPT, 0, Mb, 0, CLFLUSHOPT), UD, UD,
};
static const struct emu_oprow grp15_mem[8] = {
    UNK /* FXSAVE */, UNK /* FXRSTOR */, UNK /* LDMXCSR */, UNK /* STMXCSR */,
    UNK /* XSAVE */, UNK /* XRSTOR */, BYPFX(clwb_pfx), BYPFX(clflush_pfx),
};
static const struct emu_oprow rdfsbase_pfx[4] = { UD, UD, F1_(RDFSBASE, 0, Ry, R_ONLY64, FSGSBASE), UD };
static const struct emu_oprow rdgsbase_pfx[4] = { UD, UD, F1_(RDGSBASE, 0, Ry, R_ONLY64, FSGSBASE), UD };
static const struct emu_oprow wrfsbase_pfx[4] = { UD, UD, F1_(WRFSBASE, 0, Ry, R_ONLY64, FSGSBASE), UD };
static const struct emu_oprow wrgsbase_pfx[4] = { UD, UD, F1_(WRGSBASE, 0, Ry, R_ONLY64, FSGSBASE), UD };
static const struct emu_oprow lfence_pfx[4] = { L0(LFENCE, 0, 0), UD, UNK /* INCSSP */, UD };
static const struct emu_oprow mfence_pfx[4] = {
    L0(MFENCE, 0, 0), UNK /* TPAUSE */, UNK /* UMONITOR */, UNK /* UMWAIT */,
};
static const struct emu_oprow grp15_reg[8] = {
    BYPFX(rdfsbase_pfx), BYPFX(rdgsbase_pfx), BYPFX(wrfsbase_pfx), BYPFX(wrgsbase_pfx),
    UNK /* PTWRITE, INCSSP */, BYPFX(lfence_pfx), BYPFX(mfence_pfx), BYPFX(sfence_pfx),
};
static const struct emu_oprow grp15[2] = { GROUP(grp15_mem), GROUP(grp15_reg) };

#define CMOV8(cc) L2(CMOVCC, cc, Gv, Ev, 0)
#define JCC8(cc) L1(JCC, cc, Jz, R_F64)
#define SET8(cc) L1(SETCC, cc, Eb, R_BYTE)
#define NOPEV L1(NOP, 0, Ev, R_NOMEM)
#define BSWAP8 L1(BSWAP, 0, Zv, 0)

const struct emu_oprow emu_map1[256] = {
    /* 00 */ GROUP(grp6), BYMOD(grp7), L2(LAR, 0, Gv, Ew, 0), L2(LSL, 0, Gv, Ew, 0),
    /* 04 */ UD, L0(SYSCALL, 0, 0), L0(CLTS, 0, 0), L0(SYSRET, 0, 0),
    /* 08 */ L0(INVD, 0, 0), BYPFX(row_09), UD, L0(UD2, 0, 0),
    /* 0C */ UD, BYMOD(row_0d), UNK /* FEMMS */, UNK /* 3DNow! */,
    /* 10 */ UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK, /* SSE */
    /* 18 */ BYMOD(grp16), NOPEV, NOPEV, NOPEV, NOPEV, NOPEV, NOPEV, NOPEV,
    /* 20 */ L2(MOV_FROM_CR, 0, Rd64, Cd, R_FORCEREG | R_LOCKANY), L2(MOV_FROM_DR, 0, Rd64, Dd, R_FORCEREG),
             L2(MOV_TO_CR, 0, Cd, Rd64, R_FORCEREG | R_LOCKANY), L2(MOV_TO_DR, 0, Dd, Rd64, R_FORCEREG),
    /* 24 */ UD, UD, UD, UD,
    /* 28 */ UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK,
    /* 30 */ L0(WRMSR, 0, 0), L0(RDTSC, 0, 0), L0(RDMSR, 0, 0), L0(RDPMC, 0, 0),
    /* 34 */ L0(SYSENTER, 0, 0), L0(SYSEXIT, 0, 0), UD, UNK /* GETSEC */,
    /* 38 */ UNK /* escape */, UD, UNK /* escape */, UD, UD, UD, UD, UD,
    /* 40 */ CC8(CMOV8, 0), CC8(CMOV8, 8),
    /* 50 */ UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK,
    /* 60 */ UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK,
    /* 70 */ UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK,
    /* 80 */ CC8(JCC8, 0), CC8(JCC8, 8),
    /* 90 */ CC8(SET8, 0), CC8(SET8, 8),
    /* A0 */ L1(PUSH_SREG, 4, SEGFS, R_D64), L1(POP_SREG, 4, SEGFS, R_D64), L0(CPUID, 0, 0), L2(BT, 0, Ev, Gv, 0),
    /* A4 */ L3(SHLD, 0, Ev, Gv, Ib, 0), L3(SHLD, 0, Ev, Gv, CL, 0), UD, UD,
    /* A8 */ L1(PUSH_SREG, 5, SEGGS, R_D64), L1(POP_SREG, 5, SEGGS, R_D64), L0(RSM, 0, 0), L2(BTS, 0, Ev, Gv, R_LOCK),
    /* AC */ L3(SHRD, 0, Ev, Gv, Ib, 0), L3(SHRD, 0, Ev, Gv, CL, 0), BYMOD(grp15), L2(IMUL, 0, Gv, Ev, 0),
    /* B0 */ L2(CMPXCHG, 0, Eb, Gb, R_BYTE | R_LOCK), L2(CMPXCHG, 0, Ev, Gv, R_LOCK),
             L2(LSS, 0, Gv, Mp, 0), L2(BTR, 0, Ev, Gv, R_LOCK),
    /* B4 */ L2(LFS, 0, Gv, Mp, 0), L2(LGS, 0, Gv, Mp, 0), L2(MOVZX, 0, Gv, Eb, 0), L2(MOVZX, 0, Gv, Ew, 0),
    /* B8 */ BYPFX(row_b8), BYVENDOR(row_ud1), GROUP(grp8), L2(BTC, 0, Ev, Gv, R_LOCK),
    /* BC */ BYPFX(row_bc), BYPFX(row_bd), L2(MOVSX, 0, Gv, Eb, 0), L2(MOVSX, 0, Gv, Ew, 0),
    /* C0 */ L2(XADD, 0, Eb, Gb, R_BYTE | R_LOCK), L2(XADD, 0, Ev, Gv, R_LOCK), UNK, UNK,
    /* C4 */ UNK, UNK, UNK, BYMOD(grp9),
    /* C8 */ BSWAP8, BSWAP8, BSWAP8, BSWAP8, BSWAP8, BSWAP8, BSWAP8, BSWAP8,
    /* D0 */ UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK,
    /* E0 */ UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK,
    /* F0 */ UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK,
    /* FF */ BYVENDOR(row_ud0),
};
