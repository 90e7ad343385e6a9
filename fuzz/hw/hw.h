/*
 * The hardware differential runner (issue 6): run one instruction natively on this CPU, at
 * CPL 3 in a sandboxed child, and through libemulate from the same state, and compare.
 *
 * Layout (the same fixed linear addresses natively and in the emulator's machine):
 *
 *   HW_CODE  0x10000000  the instruction (r-x, user); the rest of the page is INT3 (CC), so a
 *                        fall-through or an in-page branch target lands on a trap
 *   HW_DATA  0x10001000  data page (rw-, user): memory operands and the stack
 *   HW_RO    0x10002000  read-only page (r--, user)
 *   HW_HOLE  0x10003000  never mapped (an access is a not-present #PF); so is the page below
 *                        HW_CODE
 *   the kernel half and the page below TASK_SIZE_MAX are present supervisor pages to a user
 *   access (Linux reports a protection fault there), which the emulator's machine models
 *
 * The harness itself lives at HW_STUB (a stub and its state page), away from anything the
 * generator points at.  Hosted code, x86-64 Linux only.
 */
#ifndef EMU_FUZZ_HW_H
#define EMU_FUZZ_HW_H

#include <stdint.h>
#include <stdio.h>

#include <emulate/emulate.h>

#define HW_CODE 0x10000000ull
#define HW_DATA 0x10001000ull
#define HW_RO 0x10002000ull
#define HW_HOLE 0x10003000ull
#define HW_PAGE 4096u
#define HW_CODE_OFF 0x800u  /* where generated instructions start: branches can go both ways */

enum { HW_RAX, HW_RCX, HW_RDX, HW_RBX, HW_RSP, HW_RBP, HW_RSI, HW_RDI,
       HW_R8, HW_R9, HW_R10, HW_R11, HW_R12, HW_R13, HW_R14, HW_R15 };

#define HW_ARITH 0x8d5ull        /* CF PF AF ZF SF OF */
#define HW_RFLAGS_BASE 0x202ull  /* bit 1 and IF: what user mode always has */
#define HW_TF 0x100ull
#define HW_RF 0x10000ull

/* Families: the lib/ file that executes the operation (tables/ops.inc groups them so). */
enum hw_family {
    HWF_DATA, HWF_ALU, HWF_SHIFT, HWF_MULDIV, HWF_BITS, HWF_BCD, HWF_STACK, HWF_BRANCH,
    HWF_STRING, HWF_FLAGOPS, HWF_IO, HWF_MISC, HWF_SYSTEM, HWF_SVM, HWF_APX, HWF_OTHER,
    HWF_COUNT
};
extern const char *const hw_family_names[HWF_COUNT];
int hw_family_from_name(const char *name);  /* -1 if unknown */
enum hw_family hw_family_of_op(unsigned op);
unsigned hw_op_count(void);           /* operation ids are 1 .. hw_op_count() - 1 */
int hw_op_executed(unsigned op);      /* the engine has an executor for it */

struct hw_case {
    char name[96];
    uint8_t bytes[16];
    uint8_t n;
    uint8_t compat;          /* 32-bit compatibility mode (CS 0x23) instead of 64-bit */
    uint8_t family;          /* enum hw_family (from the decoded operation) */
    uint8_t random;          /* a random byte string (not a table form) */
    uint16_t code_off;       /* the instruction is at HW_CODE + code_off */
    uint16_t mem_off;        /* mem_n bytes of mem[] at HW_DATA + mem_off (after the fill) */
    uint8_t mem_n;
    uint8_t mem[47];
    uint32_t data_fill;      /* data page contents: 0 zeros, else a PRNG seed */
    uint32_t ro_fill;        /* read-only page contents, likewise */
    uint64_t gpr[16];
    uint64_t rflags;
    uint64_t fs_base, gs_base; /* 64-bit mode: the stub sets them (WRFSBASE/WRGSBASE) */
};

enum hw_outcome {
    HW_RETIRED = 0,  /* the instruction completed (landed on the next INT3, or a single-step) */
    HW_FAULT,        /* an exception: vector, error code, CR2 */
    HW_SYSCALL,      /* it tried a system call (SYSCALL, INT 80h...): stopped by seccomp */
    HW_DIED,         /* the child died (status in .status) */
    HW_HANG,         /* the child made no progress and was killed */
    HW_HARNESS,      /* the harness could not run it (e.g. no 32-bit user code segment) */
    HW_UNHANDLED     /* emulator only: EMU_UNHANDLED (or another status a bare CPU has not) */
};

struct hw_result {
    uint8_t outcome;
    uint8_t vector;
    uint8_t has_ec;
    uint32_t error_code;
    int status;
    uint64_t cr2;
    uint64_t gpr[16];
    uint64_t rip, rflags;
    uint64_t fs_base, gs_base;
    uint16_t sel[6];          /* ES CS SS DS FS GS selectors afterwards */
    const char *reason;       /* HW_UNHANDLED: the emulator's reason */
    uint8_t data[HW_PAGE];    /* the data page afterwards */
};

/* ---- native.c ------------------------------------------------------------------------------ */
/* Can this host run cases?  0 if so; else -1 with a one-line reason (not x86-64 Linux, no
 * seccomp, no FSGSBASE...). */
int hw_native_available(char *why, size_t n);
/* Run n cases natively, in as many forked children as it takes (a child that dies or hangs is
 * killed, that case reported, and a new child goes on with the next).  0, or -1 if the harness
 * itself cannot start (reason on stderr). */
int hw_native_run(const struct hw_case *cases, unsigned n, struct hw_result *results);
/* Page contents of a case. */
void hw_fill(uint8_t *page, uint32_t seed);
void hw_initial_data(const struct hw_case *c, uint8_t *page);
uint64_t hw_host_xcr0(void);

/* ---- emu.c: the emulator side, the comparison, vectors -------------------------------------- */
struct emu_config hw_config(void);                  /* the host CPU as an emu_config (vendor, features) */
void hw_emu_run(const struct hw_case *c, struct hw_result *r, unsigned *steps);
uint64_t hw_undef_flags(const struct hw_case *c);   /* tables' fl_undef of the decoded op */
unsigned hw_decode_op(const struct hw_case *c, struct emu_insn *in);  /* op id, 0 if unknown */

/* 1: compare the undefined flags too (to see what this CPU does with them: the AMD profile
 * models what is known) */
extern int hw_strict_flags;
/* A verdict on one case. */
enum hw_verdict { HWV_AGREE, HWV_DISAGREE, HWV_SKIP };
/* Compare; on HWV_DISAGREE writes what differs into diff, on HWV_SKIP the reason (a fixed
 * string, for the per-family tally) into *why. */
enum hw_verdict hw_compare(const struct hw_case *c, const struct hw_result *hw, const struct hw_result *em,
                           char *diff, size_t ndiff, const char **why);
/* One vector line (shared/spec/vectors.md) with the native answer.  full_code: list the whole
 * INT3-filled code page in "mem" (for an instruction that reads it), else the 16 bytes after
 * the instruction. */
void hw_write_vector(FILE *f, const struct hw_case *c, const struct hw_result *hw, int full_code);
/* Does the vector line replay through `emulate replay` (the recorder keeps only those that do:
 * a state the format cannot express is left out)? */
int hw_vector_replays(const struct hw_case *c, const struct hw_result *hw, int full_code);
/* Shrink a disagreeing case (fewer inputs that matter) keeping the disagreement. */
void hw_minimise(struct hw_case *c);
void hw_print_case(FILE *f, const struct hw_case *c);

/* ---- gen.c: the generator ------------------------------------------------------------------ */
struct hw_rng { uint64_t s; };
uint64_t hw_rand(struct hw_rng *r);
/* Every table form the engine executes, as a list (built once). */
unsigned hw_form_count(void);
/* Make the next case of a campaign: a table form picked at random with an edge-biased state,
 * or (one in eight) a random byte string cut to its decoded length.  family >= 0 restricts to
 * that family.  0, or -1 if nothing fits. */
int hw_generate(struct hw_rng *r, int family, struct hw_case *c);

/* ---- sweep.c: the fixed edge sweeps and the curated cases (from the old scripts/hwcheck) ---- */
struct hw_caselist {
    struct hw_case *v;
    unsigned n, cap;
};
struct hw_case *hw_add(struct hw_caselist *l);
int hw_sweep_cases(const char *family, struct hw_caselist *l);  /* -1 for an unknown name */
void hw_vector_cases(struct hw_caselist *l);

/* ---- campaign.c: `emulate hwdiff` and `emulate record` ---------------------------------------- */
int hw_cmd_hwdiff(int argc, char **argv);
int hw_cmd_record(int argc, char **argv);
int hw_cmd_hwrun(int argc, char **argv);  /* one case by hand: native and emulator side by side */

#endif
