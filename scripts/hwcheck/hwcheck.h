/*
 * hwcheck: run one general-purpose instruction natively on this CPU and through libemulate,
 * from the same register, RFLAGS and memory inputs, and compare the outcomes.
 *
 * Native runs happen in a forked child at CPL 3 (Linux user mode), at fixed linear addresses
 * so that the emulator can be given the very same layout:
 *
 *   HW_CODE  0x10000000  the instruction (r-x, user); RIP starts here
 *   HW_DATA  0x10001000  a data page (rw-, user) for memory operands and the stack
 *   HW_RO    0x10002000  a read-only page (r--, user)
 *   HW_HOLE  0x10003000  never mapped (an access is a not-present #PF)
 *
 * Faults are caught with signal handlers; the kernel's signal frame gives the vector (trapno),
 * the error code and CR2.  Hosted code (not part of the library).
 */
#ifndef HWCHECK_H
#define HWCHECK_H

#include <stdint.h>
#include <stdio.h>

#include <emulate/emulate.h>

#define HW_CODE 0x10000000ull
#define HW_DATA 0x10001000ull
#define HW_RO 0x10002000ull
#define HW_HOLE 0x10003000ull
#define HW_PAGE 4096u

enum { HW_RAX, HW_RCX, HW_RDX, HW_RBX, HW_RSP, HW_RBP, HW_RSI, HW_RDI,
       HW_R8, HW_R9, HW_R10, HW_R11, HW_R12, HW_R13, HW_R14, HW_R15 };

#define HW_ARITH 0x8d5ull   /* CF PF AF ZF SF OF */
#define HW_RFLAGS_BASE 0x202ull /* bit 1 and IF: what user mode always has */

struct hw_case {
    char name[112];
    uint8_t bytes[16];
    unsigned n;
    int compat;              /* run in 32-bit compatibility mode (CS 0x23) instead of 64-bit */
    uint64_t gpr[16];
    uint64_t rflags;
    int pattern;             /* 1: the data page starts as a fixed byte pattern; 0: zeros */
    unsigned mem_off;        /* then these bytes at HW_DATA + mem_off */
    unsigned mem_n;
    uint8_t mem[64];
};

struct hw_result {
    int fault;               /* 0: the instruction retired; 1: an exception */
    int harness_error;       /* the run went wrong outside the instruction */
    unsigned vector;
    uint32_t error_code;
    uint64_t cr2;
    uint64_t gpr[16];
    uint64_t rflags, rip;
    uint8_t data[HW_PAGE];   /* the data page afterwards */
};

/* The data page's initial contents for a case. */
void hw_initial_data(const struct hw_case *c, uint8_t *page);

/* Run n cases natively in one forked child; results[i] for cases[i].  Returns 0 on success. */
int hw_native_run(const struct hw_case *cases, unsigned n, struct hw_result *results);

/* Run a case through libemulate with the given vendor (tools/machine, same page layout). */
void hw_emu_run(const struct hw_case *c, enum emu_vendor vendor, struct hw_result *r,
                unsigned *op_out);

/* The flags the tables call undefined for the case's operation (decoded for its mode). */
uint64_t hw_undef_flags(const struct hw_case *c, unsigned *op_out);

/* Compare: 0 if equal.  strict: compare undefined flags too.  Writes a report line to out
 * when different (if out is non-NULL). */
int hw_compare(const struct hw_case *c, const struct hw_result *hw, const struct hw_result *em,
               int strict, FILE *out);

/* Print a case and its native result. */
void hw_print_case(FILE *f, const struct hw_case *c);
void hw_print_result(FILE *f, const struct hw_case *c, const struct hw_result *r);

/* ---- encoding helpers (cases.c) ---------------------------------------------------------- */
/* Form of the r/m operand. */
enum { RM_REG = 0, RM_MEM = 1 };

/* Legacy encoding: [66] [mandatory prefix] [REX] opcode... ModRM [imm].  size 1/2/4/8 selects
 * 66 / REX.W; reg is the ModRM.reg value (register or /digit), rm a register number or, for
 * RM_MEM, [rsi]. */
unsigned hw_enc(uint8_t *b, unsigned size, int mand, const uint8_t *op, unsigned nop, unsigned reg,
                int form, unsigned rm, const uint8_t *imm, unsigned nimm);
/* VEX (3-byte C4) encoding: map 2 = 0F38, 3 = 0F3A; pp 0/1/2/3 = none/66/F3/F2. */
unsigned hw_vex(uint8_t *b, unsigned map, unsigned pp, int w, unsigned vvvv, uint8_t opcode,
                unsigned reg, int form, unsigned rm, const uint8_t *imm, unsigned nimm);

/* Case lists. */
struct hw_caselist {
    struct hw_case *v;
    unsigned n, cap;
};
struct hw_case *hw_add(struct hw_caselist *l);
/* Sweep a family ("shift", "muldiv", "bits", "bmi", "bcd", "all"). Returns -1 for an unknown name. */
int hw_sweep_cases(const char *family, struct hw_caselist *l);
/* The curated cases of tests/vectors/gp_long64_cpl3.jsonl. */
void hw_vector_cases(struct hw_caselist *l);

#endif
