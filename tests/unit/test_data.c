/*
 * Data movement: MOV, MOVZX/MOVSX/MOVSXD, XCHG, CMPXCHG, CMPXCHG8B/16B, XADD, BSWAP, MOVBE,
 * CMOVcc, SETcc, LEA, LAHF/SAHF, CBW..CQO, XLAT, SALC.  Expected values follow the SDM
 * pseudo-code of each instruction.
 */
#include "harness.h"

#include <stdio.h>


static void poke64(struct machine *m, uint64_t addr, uint64_t v, unsigned size)
{
    uint8_t b[8];
    for (unsigned i = 0; i < 8; i++) b[i] = (uint8_t)(v >> (8 * i));
    machine_poke(m, addr, b, size);
}

START_TEST(mov_register_sizes_64)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    R(m, RAX) = 0x1111111111111111ull;
    R(m, RBX) = 0x8877665544332211ull;
    ck_ok(m, "6689d8"); /* mov ax, bx: merges the low word */
    ck_assert_uint_eq(R(m, RAX), 0x1111111111112211ull);
    ck_ok(m, "88dc"); /* mov ah, bl (no REX: 4 = AH) */
    ck_assert_uint_eq(R(m, RAX), 0x1111111111111111ull);
    ck_ok(m, "89d8"); /* mov eax, ebx: zero-extends into RAX */
    ck_assert_uint_eq(R(m, RAX), 0x44332211ull);
    ck_ok(m, "4889d8"); /* mov rax, rbx */
    ck_assert_uint_eq(R(m, RAX), 0x8877665544332211ull);
    ck_ok(m, "c7c0ffffffff"); /* mov eax, 0xffffffff */
    ck_assert_uint_eq(R(m, RAX), 0xffffffffull);
    ck_ok(m, "48c7c0feffffff"); /* mov rax, imm32 sign-extended */
    ck_assert_uint_eq(R(m, RAX), 0xfffffffffffffffeull);
    ck_ok(m, "48b8efcdab8967452301"); /* movabs rax, imm64 */
    ck_assert_uint_eq(R(m, RAX), 0x0123456789abcdefull);
    ck_assert_uint_eq(m->regs.rip, 0x401000 + 3 + 2 + 2 + 3 + 6 + 7 + 10);
    ck_assert_uint_eq(FLAGS(m), 2); /* MOV changes no flags */
    machine_free(m);
}
END_TEST

START_TEST(mov_memory_and_moffs)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    poke64(m, 0x3000, 0xdeadbeefcafef00dull, 8);
    R(m, RBX) = 0x3000;
    R(m, RAX) = 0xffffffffffffffffull;
    ck_ok(m, "8b03"); /* mov eax, [rbx] */
    ck_assert_uint_eq(R(m, RAX), 0xcafef00dull);
    ck_ok(m, "a10030000000000000"); /* mov eax, [moffs64 0x3000] */
    ck_assert_uint_eq(R(m, RAX), 0xcafef00dull);
    ck_ok(m, "48a10430000000000000"); /* mov rax, [0x3004] */
    ck_assert_uint_eq(R(m, RAX), 0xdeadbeefull);
    R(m, RCX) = 0x5566;
    ck_ok(m, "66894b02"); /* mov [rbx+2], cx */
    ck_assert_uint_eq(machine_peek64(m, 0x3000, 8), 0xdeadbeef5566f00dull);
    ck_ok(m, "c64301aa"); /* mov byte [rbx+1], 0xaa */
    ck_assert_uint_eq(machine_peek64(m, 0x3000, 4), 0x5566aa0dull);
    machine_free(m);
}
END_TEST

START_TEST(mov_real_mode_segment_base)
{
    struct machine *m = tm_new(EMU_MODE_REAL);
    m->segs[EMU_SEG_DS].sel = 0x200;
    m->segs[EMU_SEG_DS].base = 0x2000;
    m->segs[EMU_SEG_ES].sel = 0x300;
    m->segs[EMU_SEG_ES].base = 0x3000;
    poke64(m, 0x2010, 0xbeef, 2);
    poke64(m, 0x3010, 0x1234, 2);
    R(m, RBX) = 0x10;
    R(m, RAX) = 0xaaaa0000;
    ck_ok(m, "8b07"); /* mov ax, [bx] (DS) */
    ck_assert_uint_eq(R(m, RAX), 0xaaaabeef);
    ck_ok(m, "268b07"); /* mov ax, es:[bx] */
    ck_assert_uint_eq(R(m, RAX), 0xaaaa1234);
    ck_ok(m, "66678b03"); /* mov eax, [ebx] (32-bit operand and address) */
    ck_assert_uint_eq(R(m, RAX), 0x0000beef);
    /* 16-bit addressing wraps: [bx+si] with bx+si = 0x10010 -> 0x0010 */
    R(m, RSI) = 0xffff;
    R(m, RBX) = 0x11;
    ck_ok(m, "8b00"); /* mov ax, [bx+si] */
    ck_assert_uint_eq(R(m, RAX) & 0xffff, 0xbeef);
    /* 32-bit addressing in real mode: past the 64K limit is #GP(0) */
    R(m, RBX) = 0x10000;
    ck_exc(m, "678b03", EMU_GP, 0);
    machine_free(m);
}
END_TEST

START_TEST(movzx_movsx)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    R(m, RBX) = 0x8180;
    R(m, RAX) = 0xffffffffffffffffull;
    ck_ok(m, "0fb6c3"); /* movzx eax, bl */
    ck_assert_uint_eq(R(m, RAX), 0x80);
    ck_ok(m, "480fbec3"); /* movsx rax, bl */
    ck_assert_uint_eq(R(m, RAX), 0xffffffffffffff80ull);
    ck_ok(m, "0fbfc3"); /* movsx eax, bx */
    ck_assert_uint_eq(R(m, RAX), 0xffff8180ull);
    ck_ok(m, "660fb6c7"); /* movzx ax, bh */
    ck_assert_uint_eq(R(m, RAX), 0xffff0081ull);
    R(m, RBX) = 0x80000000;
    ck_ok(m, "4863c3"); /* movsxd rax, ebx */
    ck_assert_uint_eq(R(m, RAX), 0xffffffff80000000ull);
    ck_ok(m, "480fb7c3"); /* movzx rax, bx */
    ck_assert_uint_eq(R(m, RAX), 0);
    machine_free(m);
}
END_TEST

START_TEST(xchg_registers)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    R(m, RAX) = 0xaaaaaaaa00000001ull;
    R(m, RBX) = 0xbbbbbbbb00000002ull;
    ck_ok(m, "4887d8"); /* xchg rax, rbx */
    ck_assert_uint_eq(R(m, RAX), 0xbbbbbbbb00000002ull);
    ck_assert_uint_eq(R(m, RBX), 0xaaaaaaaa00000001ull);
    ck_ok(m, "87d8"); /* xchg eax, ebx: both zero-extended */
    ck_assert_uint_eq(R(m, RAX), 1);
    ck_assert_uint_eq(R(m, RBX), 2);
    R(m, RAX) = 0xffffffff00000005ull;
    ck_ok(m, "90"); /* NOP, not xchg eax, eax: RAX keeps its upper half */
    ck_assert_uint_eq(R(m, RAX), 0xffffffff00000005ull);
    ck_ok(m, "87c0"); /* xchg eax, eax (87 form) is a 32-bit write: zero-extends */
    ck_assert_uint_eq(R(m, RAX), 5);
    R(m, R8) = 0x1234567800000009ull;
    R(m, RAX) = 0xffffffff00000005ull;
    ck_ok(m, "4190"); /* xchg r8d, eax (REX.B makes 90 an XCHG) */
    ck_assert_uint_eq(R(m, RAX), 9);
    ck_assert_uint_eq(R(m, R8), 5);
    R(m, RCX) = 0x1122;
    ck_ok(m, "86e9"); /* xchg cl, ch */
    ck_assert_uint_eq(R(m, RCX), 0x2211);
    machine_free(m);
}
END_TEST

/* XCHG with memory is locked without a LOCK prefix: its write goes through cmpxchg, so a
 * concurrent change between the read and the write makes the instruction run again. */
START_TEST(xchg_memory_is_locked)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    poke64(m, 0x2000, 0x11223344, 4);
    R(m, RBX) = 0x2000;
    R(m, RAX) = 0xaabbccdd;
    m->cmpxchg_fail_once = 1; /* another agent flips byte 0 (0x44 -> 0xbb) once */
    ck_ok(m, "8703"); /* xchg [rbx], eax */
    ck_assert_uint_eq(machine_peek64(m, 0x2000, 4), 0xaabbccdd);
    /* the retry read the value the other agent left */
    ck_assert_uint_eq(R(m, RAX), 0x112233bb);
    /* LOCK XCHG mem is legal, LOCK XCHG reg, reg is #UD */
    ck_ok(m, "f08703");
    ck_assert_uint_eq(machine_peek64(m, 0x2000, 4), 0x112233bb);
    ck_exc(m, "f087d8", EMU_UD, 0);
    machine_free(m);
}
END_TEST

START_TEST(lock_legality)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    R(m, RBX) = 0x2000;
    ck_exc(m, "f08903", EMU_UD, 0);   /* lock mov [rbx], eax */
    ck_exc(m, "f08b03", EMU_UD, 0);   /* lock mov eax, [rbx] */
    ck_exc(m, "f00fb1cb", EMU_UD, 0); /* lock cmpxchg ebx, ecx: register destination */
    ck_exc(m, "f00fc1cb", EMU_UD, 0); /* lock xadd ebx, ecx */
    ck_exc(m, "f08d03", EMU_UD, 0);   /* lock lea */
    ck_exc(m, "f00f44c3", EMU_UD, 0); /* lock cmove */
    ck_ok(m, "f00fb10b");              /* lock cmpxchg [rbx], ecx */
    ck_ok(m, "f00fc10b");              /* lock xadd [rbx], ecx */
    ck_ok(m, "f00fc70b");              /* lock cmpxchg8b [rbx] */
    ck_assert_uint_eq(m->regs.rip, 0x401000 + 4 + 4 + 4);
    machine_free(m);
}
END_TEST

START_TEST(cmpxchg_register)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    /* equal: ZF=1, destination := source (zero-extended); RAX is not written */
    R(m, RAX) = 0xffffffff00000005ull;
    R(m, RBX) = 0xeeeeeeee00000005ull;
    R(m, RCX) = 0x0000000700000009ull;
    ck_ok(m, "0fb1cb"); /* cmpxchg ebx, ecx */
    ck_assert_uint_eq(R(m, RBX), 9);
    ck_assert_uint_eq(R(m, RAX), 0xffffffff00000005ull);
    ck_assert_uint_eq(FLAGS(m) & ARITH, ZF | PF);
    /* not equal: ZF=0, EAX := destination (zero-extended); the register destination is not
     * written at all (its upper half survives) */
    R(m, RAX) = 0xffffffff00000003ull;
    R(m, RBX) = 0xeeeeeeee00000005ull;
    ck_ok(m, "0fb1cb");
    ck_assert_uint_eq(R(m, RAX), 5);
    ck_assert_uint_eq(R(m, RBX), 0xeeeeeeee00000005ull);
    /* flags of CMP eax, ebx = 3 - 5 */
    ck_assert_uint_eq(FLAGS(m) & ARITH, CF | AF | SF);
    /* byte form with the high registers */
    R(m, RAX) = 0x12;
    R(m, RBX) = 0x3400;
    R(m, RCX) = 0x1200;
    ck_ok(m, "0fb0ef"); /* cmpxchg bh, ch: AL 0x12 != BH 0x34 -> AL := 0x34 */
    ck_assert_uint_eq(R(m, RAX), 0x34);
    ck_assert_uint_eq(R(m, RBX), 0x3400);
    ck_assert_uint_eq(FLAGS(m) & ARITH, CF | SF | PF | AF); /* 0x12 - 0x34 = 0xde */
    machine_free(m);
}
END_TEST

START_TEST(cmpxchg_memory)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    poke64(m, 0x2000, 0x1122334455667788ull, 8);
    R(m, RBX) = 0x2000;
    R(m, RAX) = 0x1122334455667788ull;
    R(m, RCX) = 0xa5a5a5a5a5a5a5a5ull;
    ck_ok(m, "480fb10b"); /* cmpxchg [rbx], rcx: equal */
    ck_assert_uint_eq(machine_peek64(m, 0x2000, 8), 0xa5a5a5a5a5a5a5a5ull);
    ck_assert_uint_eq(R(m, RAX), 0x1122334455667788ull);
    ck_assert(FLAGS(m) & ZF);
    ck_ok(m, "480fb10b"); /* not equal now: RAX := memory, memory unchanged */
    ck_assert_uint_eq(R(m, RAX), 0xa5a5a5a5a5a5a5a5ull);
    ck_assert_uint_eq(machine_peek64(m, 0x2000, 8), 0xa5a5a5a5a5a5a5a5ull);
    ck_assert(!(FLAGS(m) & ZF));
    /* the destination gets a write cycle even when the comparison fails: a read-only page
     * is a write #PF either way */
    machine_free(m);
    m = tm_new(EMU_MODE_LONG64);
    machine_add_perm(m, 0x401000, 0x1000, "rx", 0);
    machine_add_perm(m, 0x2000, 0x1000, "r", 0);
    m->cr[0] |= EMU_CR0_WP;
    R(m, RBX) = 0x2000;
    R(m, RAX) = 1; /* memory holds 0: not equal */
    ck_exc(m, "0fb10b", EMU_PF, EMU_PF_P | EMU_PF_W);
    ck_assert_uint_eq(R(m, RAX), 1);
    machine_free(m);
}
END_TEST

START_TEST(cmpxchg8b_16b)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    poke64(m, 0x2000, 0x0000000200000001ull, 8);
    R(m, RBX) = 0xbbbbbbbb;
    R(m, RCX) = 0xcccccccc;
    R(m, RAX) = 0xffffffff00000001ull;
    R(m, RDX) = 0xffffffff00000002ull;
    R(m, RDI) = 0x2000;
    ck_ok(m, "0fc70f"); /* cmpxchg8b [rdi]: EDX:EAX matches -> ECX:EBX stored */
    ck_assert_uint_eq(machine_peek64(m, 0x2000, 8), 0xccccccccbbbbbbbbull);
    ck_assert(FLAGS(m) & ZF);
    /* RAX/RDX are not written when equal */
    ck_assert_uint_eq(R(m, RAX), 0xffffffff00000001ull);
    ck_ok(m, "0fc70f"); /* mismatch: EDX:EAX := memory (zero-extended) */
    ck_assert(!(FLAGS(m) & ZF));
    ck_assert_uint_eq(R(m, RAX), 0xbbbbbbbb);
    ck_assert_uint_eq(R(m, RDX), 0xcccccccc);
    ck_assert_uint_eq(machine_peek64(m, 0x2000, 8), 0xccccccccbbbbbbbbull);

    /* CMPXCHG16B */
    poke64(m, 0x3000, 0x1111111111111111ull, 8);
    poke64(m, 0x3008, 0x2222222222222222ull, 8);
    R(m, RDI) = 0x3000;
    R(m, RAX) = 0x1111111111111111ull;
    R(m, RDX) = 0x2222222222222222ull;
    R(m, RBX) = 0x3333333333333333ull;
    R(m, RCX) = 0x4444444444444444ull;
    ck_ok(m, "480fc70f");
    ck_assert(FLAGS(m) & ZF);
    ck_assert_uint_eq(machine_peek64(m, 0x3000, 8), 0x3333333333333333ull);
    ck_assert_uint_eq(machine_peek64(m, 0x3008, 8), 0x4444444444444444ull);
    ck_ok(m, "480fc70f");
    ck_assert(!(FLAGS(m) & ZF));
    ck_assert_uint_eq(R(m, RAX), 0x3333333333333333ull);
    ck_assert_uint_eq(R(m, RDX), 0x4444444444444444ull);
    /* m128 not 16-byte aligned: #GP(0), nothing changes */
    R(m, RDI) = 0x3008;
    ck_exc(m, "480fc70f", EMU_GP, 0);
    ck_assert_uint_eq(R(m, RAX), 0x3333333333333333ull);
    /* the register form is #UD */
    ck_exc(m, "0fc7c8", EMU_UD, 0);
    machine_free(m);
}
END_TEST

/* The alignment rule of CMPXCHG16B is on the linear address: an FS base can make an odd
 * effective address aligned, and an aligned one odd. */
START_TEST(cmpxchg16b_alignment_is_linear)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    m->segs[EMU_SEG_FS].base = 0x8;
    R(m, RDI) = 0x2ff8; /* linear 0x3000 */
    poke64(m, 0x3000, 7, 8);
    R(m, RAX) = 7; /* RDX = 0 matches the zero high half */
    R(m, RBX) = 0x55;
    ck_ok(m, "64480fc70f"); /* cmpxchg16b fs:[rdi] */
    ck_assert(FLAGS(m) & ZF);
    ck_assert_uint_eq(machine_peek64(m, 0x3000, 8), 0x55);
    R(m, RDI) = 0x3000; /* linear 0x3008 */
    ck_exc(m, "64480fc70f", EMU_GP, 0);
    machine_free(m);
}
END_TEST

START_TEST(xadd_forms)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    R(m, RAX) = 0xffffffff;
    R(m, RBX) = 1;
    ck_ok(m, "0fc1d8"); /* xadd eax, ebx: ebx := old eax, eax := sum */
    ck_assert_uint_eq(R(m, RAX), 0);
    ck_assert_uint_eq(R(m, RBX), 0xffffffff);
    ck_assert_uint_eq(FLAGS(m) & ARITH, CF | ZF | PF | AF);
    R(m, RAX) = 3;
    ck_ok(m, "0fc1c0"); /* xadd eax, eax: the sum wins */
    ck_assert_uint_eq(R(m, RAX), 6);
    poke64(m, 0x2000, 0x7f, 1);
    R(m, RDI) = 0x2000;
    R(m, RCX) = 1;
    ck_ok(m, "f00fc00f"); /* lock xadd [rdi], cl */
    ck_assert_uint_eq(machine_peek64(m, 0x2000, 1), 0x80);
    ck_assert_uint_eq(R(m, RCX), 0x7f);
    ck_assert_uint_eq(FLAGS(m) & ARITH, OF | SF | AF);
    machine_free(m);
}
END_TEST

START_TEST(bswap_movbe)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    R(m, RAX) = 0xffffffff11223344ull;
    ck_ok(m, "0fc8"); /* bswap eax: zero-extends */
    ck_assert_uint_eq(R(m, RAX), 0x44332211ull);
    R(m, R9) = 0x0102030405060708ull;
    ck_ok(m, "490fc9"); /* bswap r9 */
    ck_assert_uint_eq(R(m, R9), 0x0807060504030201ull);
    /* BSWAP r16 is undefined; we model what Intel and AMD parts do: the low word becomes 0 */
    R(m, RCX) = 0x11223344;
    ck_ok(m, "660fc9");
    ck_assert_uint_eq(R(m, RCX), 0x11220000);
    poke64(m, 0x2000, 0x11223344, 4);
    R(m, RSI) = 0x2000;
    ck_ok(m, "0f38f006"); /* movbe eax, [rsi] */
    ck_assert_uint_eq(R(m, RAX), 0x44332211);
    R(m, RDX) = 0xaabb;
    ck_ok(m, "660f38f116"); /* movbe [rsi], dx */
    ck_assert_uint_eq(machine_peek64(m, 0x2000, 4), 0x1122bbaa);
    ck_exc(m, "0f38f0c0", EMU_UD, 0); /* register form is #UD */
    machine_free(m);

    struct emu_config amd = tm_cfg(EMU_VENDOR_AMD);
    m = tm_new_cfg(EMU_MODE_PROT32, &amd);
    R(m, RCX) = 0x11223344;
    ck_ok(m, "660fc9"); /* the same model for AMD */
    ck_assert_uint_eq(R(m, RCX), 0x11220000);
    machine_free(m);
}
END_TEST

START_TEST(cmovcc_zero_extension)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    R(m, RAX) = 0xffffffff00000001ull;
    R(m, RBX) = 0x1234;
    FLAGS(m) = 2 | ZF;
    ck_ok(m, "0f44c3"); /* cmove eax, ebx: taken */
    ck_assert_uint_eq(R(m, RAX), 0x1234);
    R(m, RAX) = 0xffffffff00000001ull;
    ck_ok(m, "0f45c3"); /* cmovne eax, ebx: not taken, but the 32-bit destination is still
                         * zero-extended */
    ck_assert_uint_eq(R(m, RAX), 1);
    R(m, RAX) = 0xffffffff00000001ull;
    ck_ok(m, "480f45c3"); /* cmovne rax, rbx: not taken, RAX untouched */
    ck_assert_uint_eq(R(m, RAX), 0xffffffff00000001ull);
    ck_ok(m, "660f45c3"); /* cmovne ax, bx: not taken, 16-bit: untouched */
    ck_assert_uint_eq(R(m, RAX), 0xffffffff00000001ull);
    /* signed conditions: SF != OF is "less" */
    FLAGS(m) = 2 | SF;
    ck_ok(m, "480f4cc3"); /* cmovl rax, rbx */
    ck_assert_uint_eq(R(m, RAX), 0x1234);
    ck_assert_uint_eq(FLAGS(m), 2 | SF);
    machine_free(m);
}
END_TEST

/* The memory source of CMOVcc is read whatever the condition: a false condition still faults. */
START_TEST(cmovcc_memory_faults_when_false)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    machine_add_perm(m, 0x401000, 0x1000, "rx", 0);
    R(m, RBX) = 0x9000; /* not mapped */
    R(m, RAX) = 0xffffffff00000001ull;
    FLAGS(m) = 2; /* ZF=0: cmove not taken */
    ck_exc(m, "0f4403", EMU_PF, 0);
    ck_assert_uint_eq(m->ctx.result.exception.cr2, 0x9000);
    ck_assert_uint_eq(R(m, RAX), 0xffffffff00000001ull);
    machine_free(m);
}
END_TEST

START_TEST(setcc_conditions)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    static const struct { uint8_t op; uint64_t flags; uint8_t want; } t[] = {
        { 0x90, OF, 1 }, { 0x91, OF, 0 },            /* seto, setno */
        { 0x92, CF, 1 }, { 0x93, CF, 0 },            /* setb, setae */
        { 0x94, ZF, 1 }, { 0x95, 0, 1 },             /* sete, setne */
        { 0x96, ZF, 1 }, { 0x96, CF, 1 }, { 0x97, 0, 1 }, { 0x97, CF, 0 }, /* setbe, seta */
        { 0x98, SF, 1 }, { 0x99, SF, 0 },            /* sets, setns */
        { 0x9a, PF, 1 }, { 0x9b, PF, 0 },            /* setp, setnp */
        { 0x9c, SF, 1 }, { 0x9c, SF | OF, 0 }, { 0x9d, OF, 0 }, /* setl, setge */
        { 0x9e, ZF, 1 }, { 0x9e, OF, 1 }, { 0x9f, SF | OF, 1 }, { 0x9f, ZF | SF | OF, 0 }, /* setle, setg */
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        char hex[16];
        snprintf(hex, sizeof hex, "0f%02xc0", t[i].op); /* setcc al */
        R(m, RAX) = 0xabcd;
        FLAGS(m) = 2 | t[i].flags;
        ck_ok(m, hex);
        ck_assert_msg(R(m, RAX) == (0xab00u | t[i].want), "%s flags %llx: rax %llx", hex,
                      (unsigned long long)t[i].flags, (unsigned long long)R(m, RAX));
    }
    R(m, RBX) = 0x2000;
    poke64(m, 0x2000, 0xff, 1);
    FLAGS(m) = 2;
    ck_ok(m, "0f9403"); /* sete [rbx] */
    ck_assert_uint_eq(machine_peek64(m, 0x2000, 1), 0);
    machine_free(m);
}
END_TEST

START_TEST(lea_address_sizes)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    R(m, RBX) = 0xffffffff00001000ull;
    R(m, RCX) = 0x10;
    R(m, RAX) = 0x5555555555555555ull;
    ck_ok(m, "488d440b08"); /* lea rax, [rbx+rcx+8] */
    ck_assert_uint_eq(R(m, RAX), 0xffffffff00001018ull);
    ck_ok(m, "8d440b08"); /* lea eax, [rbx+rcx+8]: truncated, zero-extended */
    ck_assert_uint_eq(R(m, RAX), 0x1018);
    ck_ok(m, "678d448bf0"); /* lea eax, [ebx+ecx*4-0x10]: 32-bit address */
    ck_assert_uint_eq(R(m, RAX), 0x1030);
    R(m, RAX) = 0x5555555555555555ull;
    ck_ok(m, "668d440b08"); /* lea ax, [...]: only the low word */
    ck_assert_uint_eq(R(m, RAX), 0x5555555555551018ull);
    ck_ok(m, "488d0500010000"); /* lea rax, [rip+0x100] */
    ck_assert_uint_eq(R(m, RAX), m->regs.rip + 0x100);
    ck_exc(m, "8dc0", EMU_UD, 0); /* register source */
    machine_free(m);

    m = tm_new(EMU_MODE_REAL);
    R(m, RBX) = 0xfff0;
    R(m, RSI) = 0x20;
    ck_ok(m, "8d4002"); /* lea ax, [bx+si+2]: wraps at 16 bits */
    ck_assert_uint_eq(R(m, RAX), 0x12);
    ck_ok(m, "668d4002"); /* lea eax, [bx+si+2]: 16-bit address, zero-extended */
    ck_assert_uint_eq(R(m, RAX), 0x12);
    machine_free(m);
}
END_TEST

START_TEST(lahf_sahf)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    FLAGS(m) = 2 | SF | ZF | AF | PF | CF | OF;
    R(m, RAX) = 0;
    ck_ok(m, "9f"); /* lahf: AH := SF:ZF:0:AF:0:PF:1:CF */
    ck_assert_uint_eq(R(m, RAX), 0xd700);
    R(m, RAX) = 0x0100; /* AH = CF only; bits 1, 3, 5 of AH are ignored */
    ck_ok(m, "9e"); /* sahf */
    ck_assert_uint_eq(FLAGS(m), 2 | CF | OF); /* OF is not loaded */
    R(m, RAX) = 0xff00;
    ck_ok(m, "9e");
    ck_assert_uint_eq(FLAGS(m), 2 | SF | ZF | AF | PF | CF | OF);
    machine_free(m);

    /* 64-bit mode without CPUID LAHF_LM: #UD */
    struct emu_config c = tm_cfg(EMU_VENDOR_INTEL);
    c.features[EMU_FEAT_LAHF_LM / 64] &= ~(1ull << (EMU_FEAT_LAHF_LM % 64));
    m = tm_new_cfg(EMU_MODE_LONG64, &c);
    ck_exc(m, "9f", EMU_UD, 0);
    ck_exc(m, "9e", EMU_UD, 0);
    machine_free(m);
    /* ... but always present outside 64-bit mode */
    m = tm_new_cfg(EMU_MODE_PROT32, &c);
    FLAGS(m) = 2 | CF;
    ck_ok(m, "9f");
    ck_assert_uint_eq(R(m, RAX), 0x0300);
    machine_free(m);
}
END_TEST

START_TEST(cbw_cwd_family)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    R(m, RAX) = 0x1111111111111180ull;
    ck_ok(m, "6698"); /* cbw */
    ck_assert_uint_eq(R(m, RAX), 0x111111111111ff80ull);
    ck_ok(m, "98"); /* cwde: zero-extends into RAX */
    ck_assert_uint_eq(R(m, RAX), 0xffffff80ull);
    ck_ok(m, "4898"); /* cdqe */
    ck_assert_uint_eq(R(m, RAX), 0xffffffffffffff80ull);
    R(m, RDX) = 0x1234567812345678ull;
    R(m, RAX) = 0x8000;
    ck_ok(m, "6699"); /* cwd */
    ck_assert_uint_eq(R(m, RDX), 0x123456781234ffffull);
    ck_ok(m, "99"); /* cdq: EAX is positive -> EDX = 0, zero-extended */
    ck_assert_uint_eq(R(m, RDX), 0);
    R(m, RAX) = 0x8000000000000000ull;
    ck_ok(m, "4899"); /* cqo */
    ck_assert_uint_eq(R(m, RDX), 0xffffffffffffffffull);
    machine_free(m);

    m = tm_new(EMU_MODE_REAL);
    R(m, RAX) = 0x7f;
    ck_ok(m, "98"); /* cbw in 16-bit code */
    ck_assert_uint_eq(R(m, RAX), 0x7f);
    R(m, RAX) = 0xfffe;
    ck_ok(m, "6698"); /* cwde */
    ck_assert_uint_eq(R(m, RAX), 0xfffffffe);
    machine_free(m);
}
END_TEST

START_TEST(xlat_forms)
{
    struct machine *m = tm_new(EMU_MODE_REAL);
    m->segs[EMU_SEG_DS].base = 0x10000;
    m->segs[EMU_SEG_ES].base = 0x20000;
    machine_poke(m, 0x10005, "\x42", 1);
    machine_poke(m, 0x20005, "\x43", 1);
    R(m, RBX) = 0xff85;
    R(m, RAX) = 0x1280; /* BX + AL = 0x10005 wraps to 0x0005 */
    ck_ok(m, "d7");
    ck_assert_uint_eq(R(m, RAX), 0x1242);
    R(m, RAX) = 0x1280;
    ck_ok(m, "26d7"); /* es: override */
    ck_assert_uint_eq(R(m, RAX), 0x1243);
    machine_free(m);

    m = tm_new(EMU_MODE_LONG64);
    machine_poke(m, 0x100000ff, "\x99", 1);
    R(m, RBX) = 0x10000000;
    R(m, RAX) = 0xffffffffffffffffull; /* AL = 0xff, unsigned index */
    ck_ok(m, "d7");
    ck_assert_uint_eq(R(m, RAX), 0xffffffffffffff99ull);
    machine_free(m);
}
END_TEST

START_TEST(salc_outside_64)
{
    struct machine *m = tm_new(EMU_MODE_REAL);
    R(m, RAX) = 0x1234;
    FLAGS(m) = 2 | CF;
    ck_ok(m, "d6");
    ck_assert_uint_eq(R(m, RAX), 0x12ff);
    FLAGS(m) = 2;
    ck_ok(m, "d6");
    ck_assert_uint_eq(R(m, RAX), 0x1200);
    ck_assert_uint_eq(FLAGS(m), 2);
    machine_free(m);
    m = tm_new(EMU_MODE_LONG64);
    ck_exc(m, "d6", EMU_UD, 0);
    machine_free(m);
}
END_TEST

START_TEST(mov_prot32_cpl3_segments)
{
    struct machine *m = tm_new(EMU_MODE_PROT32);
    tm_set_cpl(m, 3);
    m->segs[EMU_SEG_DS].attr = 0xcf3; /* DPL 3 data */
    m->segs[EMU_SEG_DS].base = 0x100000;
    m->segs[EMU_SEG_DS].limit = 0xffff;
    poke64(m, 0x100010, 0xcafe, 2);
    R(m, RBX) = 0x10;
    ck_ok(m, "0fb703"); /* movzx eax, word [ebx] */
    ck_assert_uint_eq(R(m, RAX), 0xcafe);
    R(m, RBX) = 0xffff; /* 2 bytes at the limit */
    ck_exc(m, "0fb703", EMU_GP, 0);
    ck_ok(m, "0fb603"); /* 1 byte at the limit is fine */
    machine_free(m);
}
END_TEST

static Suite *data_suite(void)
{
    Suite *s = suite_create("data");
    TCase *t = tcase_create("data");
    tcase_add_test(t, mov_register_sizes_64);
    tcase_add_test(t, mov_memory_and_moffs);
    tcase_add_test(t, mov_real_mode_segment_base);
    tcase_add_test(t, movzx_movsx);
    tcase_add_test(t, xchg_registers);
    tcase_add_test(t, xchg_memory_is_locked);
    tcase_add_test(t, lock_legality);
    tcase_add_test(t, cmpxchg_register);
    tcase_add_test(t, cmpxchg_memory);
    tcase_add_test(t, cmpxchg8b_16b);
    tcase_add_test(t, cmpxchg16b_alignment_is_linear);
    tcase_add_test(t, xadd_forms);
    tcase_add_test(t, bswap_movbe);
    tcase_add_test(t, cmovcc_zero_extension);
    tcase_add_test(t, cmovcc_memory_faults_when_false);
    tcase_add_test(t, setcc_conditions);
    tcase_add_test(t, lea_address_sizes);
    tcase_add_test(t, lahf_sahf);
    tcase_add_test(t, cbw_cwd_family);
    tcase_add_test(t, xlat_forms);
    tcase_add_test(t, salc_outside_64);
    tcase_add_test(t, mov_prot32_cpl3_segments);
    suite_add_tcase(s, t);
    return s;
}
REGISTER_SUITE(data_suite)
