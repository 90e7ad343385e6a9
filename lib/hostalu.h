/*
 * The fast path's ALU operations on the host's own ALU (lib/fast.c).
 *
 * On an x86-64 host the cheapest exact way to get the six arithmetic flags of ADD, ADC, SUB,
 * SBB, AND, OR, XOR, INC and DEC is to run the same instruction at the same operand size
 * and read RFLAGS back, as x86 emulators running on x86 hosts have long done: every one of
 * those flags is defined by the architecture for these operations, so the host computes what
 * the guest's CPU would, whatever its vendor.  The one flag that is not defined, AF after a
 * logical operation, is not taken from the host: it is cleared, as lib/flags.c does (both
 * vendors clear it; hwdiff checks it against the CPU).  That is 5-6 host instructions instead
 * of the 30-odd of the portable formulas of lib/internal.h (emu_flags_add/sub/szp), which the
 * pipeline keeps using: tests/unit/test_fast.c compares the two paths on random steps, and
 * tests/unit/test_hostalu.c compares this file with those formulas exhaustively at 8 bits and
 * on random and edge operands at 16, 32 and 64.
 *
 * The asm moves RSP down 128 bytes around its PUSHFQ: in user space the compiler may keep
 * data in the red zone below RSP, which the push would overwrite (a kernel built with
 * -mno-red-zone pays one LEA for nothing).  Other hosts and compilers, and a build with
 * EMU_NO_HOST_ALU defined, get the portable formulas instead, with the same results.
 */
#ifndef EMU_LIB_HOSTALU_H
#define EMU_LIB_HOSTALU_H

#include "internal.h"

/* The operation kinds; an operation's selector is kind * 4 + log2(size).  The logical ones
 * (AF undefined) are AND to TEST. */
enum {
    HALU_ADD, HALU_ADC, HALU_SUB, HALU_SBB, HALU_CMP, HALU_AND, HALU_OR, HALU_XOR, HALU_TEST,
    HALU_INC, HALU_DEC, HALU_KINDS
};

static inline unsigned emu_halu_sel(unsigned kind, unsigned size)
{
    return kind * 4 + (size == 1 ? 0 : size == 2 ? 1 : size == 4 ? 2 : 3);
}

/* The kind of ADD OR ADC SBB AND SUB XOR CMP TEST INC DEC (HALU_KINDS for anything else). */
static inline unsigned emu_halu_kind(unsigned op)
{
    switch (op) {
    case OP_ADD: return HALU_ADD;
    case OP_ADC: return HALU_ADC;
    case OP_SUB: return HALU_SUB;
    case OP_SBB: return HALU_SBB;
    case OP_CMP: return HALU_CMP;
    case OP_AND: return HALU_AND;
    case OP_TEST: return HALU_TEST;
    case OP_OR: return HALU_OR;
    case OP_XOR: return HALU_XOR;
    case OP_INC: return HALU_INC;
    case OP_DEC: return HALU_DEC;
    default: return HALU_KINDS;
    }
}

/* The same with the portable formulas of lib/internal.h, which the pipeline uses: what other
 * hosts run, and what tests/unit/test_hostalu.c checks the host's answers against. */
EMU_ALWAYS_INLINE uint64_t emu_portable_alu(unsigned sel, uint64_t a, uint64_t b, uint64_t cf, uint64_t *flags)
{
    static const uint16_t ops[HALU_INC] = { OP_ADD, OP_ADC, OP_SUB, OP_SBB, OP_CMP, OP_AND, OP_OR, OP_XOR, OP_TEST };
    const unsigned size = 1u << (sel & 3), kind = sel >> 2;
    const uint64_t m = emu_mask(size);
    uint64_t r;
    if (kind >= HALU_INC) {
        const uint64_t f = kind == HALU_INC ? emu_flags_add(a, 1, 0, size) : emu_flags_sub(a, 1, 0, size);
        *flags = (f & (FL_ARITH & ~FL_CF)) | (cf ? FL_CF : 0);
        r = kind == HALU_INC ? a + 1 : a - 1;
    } else {
        r = emu_alu_compute(ops[kind], a, b, cf, size, flags);
        if (kind == HALU_CMP || kind == HALU_TEST) return a;
    }
    return size >= 4 ? r & m : (a & ~m) | (r & m);
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && !defined(EMU_NO_HOST_ALU)
#define EMU_HOST_ALU 1

/* One operation: CF loaded with the carry-in where it matters (ADC and SBB use it; INC and
 * DEC keep it, so their CF comes back as the guest's), the instruction, RFLAGS read. */
#define HALU_CARRY_IN "bt $0, %k[c]\n\t"
#define HALU_ASM_OP(carry, insn, operands, ...)                                                   \
    __asm__("lea -128(%%rsp), %%rsp\n\t" carry insn " " operands "\n\t"                           \
            "pushfq\n\t"                                                                          \
            "pop %[f]\n\t"                                                                        \
            "lea 128(%%rsp), %%rsp"                                                               \
            : [a] "+r"(a), [f] "=r"(f)                                                            \
            : __VA_ARGS__                                                                         \
            : "cc")
#define HALU_ASM(insn, sz) HALU_ASM_OP("", insn, "%" sz "[b], %" sz "[a]", [b] "r"(b))
#define HALU_ASM_CARRY(insn, sz) HALU_ASM_OP(HALU_CARRY_IN, insn, "%" sz "[b], %" sz "[a]", [b] "r"(b), [c] "r"(cf))
#define HALU_ASM1(insn, sz) HALU_ASM_OP(HALU_CARRY_IN, insn, "%" sz "[a]", [c] "r"(cf))
/* AF after AND, OR, XOR and TEST is undefined: cleared (above) */
#define HALU_ASM_LOGIC(insn, sz)                                                                  \
    do {                                                                                          \
        HALU_ASM(insn, sz);                                                                       \
        f &= ~(uint64_t)FL_AF;                                                                    \
    } while (0)
#define HALU_CASES(kind, m, ASM)                                                                  \
    case kind * 4 + 0: ASM(m "b", "b"); break;                                                    \
    case kind * 4 + 1: ASM(m "w", "w"); break;                                                    \
    case kind * 4 + 2: ASM(m "l", "k"); break;                                                    \
    case kind * 4 + 3: ASM(m "q", "q"); break;

/* a op b (INC and DEC: op a; b unused) at the selector's size with the carry-in cf (0 or 1),
 * a being the whole destination register: its new value, with the x86 rules for the bits
 * above the size (kept at 8 and 16 bits, cleared at 32; all of it kept by CMP and TEST, which
 * write nothing), and in *flags the six arithmetic flags. */
EMU_ALWAYS_INLINE uint64_t emu_host_alu(unsigned sel, uint64_t a, uint64_t b, uint64_t cf, uint64_t *flags)
{
    uint64_t f;
    switch (sel) {
    HALU_CASES(HALU_ADD, "add", HALU_ASM)
    HALU_CASES(HALU_ADC, "adc", HALU_ASM_CARRY)
    HALU_CASES(HALU_SUB, "sub", HALU_ASM)
    HALU_CASES(HALU_SBB, "sbb", HALU_ASM_CARRY)
    HALU_CASES(HALU_CMP, "cmp", HALU_ASM)
    HALU_CASES(HALU_AND, "and", HALU_ASM_LOGIC)
    HALU_CASES(HALU_OR, "or", HALU_ASM_LOGIC)
    HALU_CASES(HALU_XOR, "xor", HALU_ASM_LOGIC)
    HALU_CASES(HALU_TEST, "test", HALU_ASM_LOGIC)
    HALU_CASES(HALU_INC, "inc", HALU_ASM1)
    HALU_CASES(HALU_DEC, "dec", HALU_ASM1)
    default: __builtin_unreachable(); /* emu_fast_form makes the selectors */
    }
    *flags = f & FL_ARITH;
    return a;
}
#undef HALU_CARRY_IN
#undef HALU_ASM_OP
#undef HALU_ASM
#undef HALU_ASM_CARRY
#undef HALU_ASM1
#undef HALU_ASM_LOGIC
#undef HALU_CASES

#else

EMU_ALWAYS_INLINE uint64_t emu_host_alu(unsigned sel, uint64_t a, uint64_t b, uint64_t cf, uint64_t *flags)
{
    return emu_portable_alu(sel, a, b, cf, flags);
}

#endif
#endif
