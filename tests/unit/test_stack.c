/*
 * Stack family: PUSH/POP (register, memory, immediate, segment register), PUSHA/POPA,
 * PUSHF/POPF with the IOPL/VM/VME rules, ENTER/LEAVE, at every stack and operand size.
 */
#include "harness.h"

#define IF EMU_FLAG_IF
#define TF EMU_FLAG_TF
#define IOPL3 EMU_FLAG_IOPL
#define VM EMU_FLAG_VM
#define VIF EMU_FLAG_VIF
#define VIP EMU_FLAG_VIP

static void poke(struct machine *m, uint64_t addr, uint64_t v, unsigned size)
{
    uint8_t b[8];
    for (unsigned i = 0; i < 8; i++) b[i] = (uint8_t)(v >> (8 * i));
    machine_poke(m, addr, b, size);
}
#define PEEK(m, a, n) machine_peek64((m), (a), (n))

START_TEST(push_pop_64)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    R(m, RSP) = 0x8000;
    R(m, RAX) = 0x1122334455667788ull;
    ck_ok(m, "50"); /* push rax */
    ck_assert_uint_eq(R(m, RSP), 0x7ff8);
    ck_assert_uint_eq(PEEK(m, 0x7ff8, 8), 0x1122334455667788ull);
    ck_ok(m, "5b"); /* pop rbx */
    ck_assert_uint_eq(R(m, RBX), 0x1122334455667788ull);
    ck_assert_uint_eq(R(m, RSP), 0x8000);
    ck_ok(m, "6aff"); /* push -1 (imm8, sign-extended to 64 bits) */
    ck_assert_uint_eq(PEEK(m, 0x7ff8, 8), 0xffffffffffffffffull);
    ck_ok(m, "6800000080"); /* push imm32 0x80000000, sign-extended */
    ck_assert_uint_eq(R(m, RSP), 0x7ff0);
    ck_assert_uint_eq(PEEK(m, 0x7ff0, 8), 0xffffffff80000000ull);
    ck_ok(m, "6650"); /* push ax: 2 bytes */
    ck_assert_uint_eq(R(m, RSP), 0x7fee);
    ck_assert_uint_eq(PEEK(m, 0x7fee, 2), 0x7788);
    ck_ok(m, "66683412"); /* push imm16 */
    ck_assert_uint_eq(R(m, RSP), 0x7fec);
    ck_assert_uint_eq(PEEK(m, 0x7fec, 2), 0x1234);
    ck_ok(m, "665a"); /* pop dx: merges */
    ck_assert_uint_eq(R(m, RDX), 0x1234);
    ck_ok(m, "4159"); /* pop r9: 8 bytes from 0x7fee */
    ck_assert_uint_eq(R(m, R9), 0xffff800000007788ull);
    ck_assert_uint_eq(R(m, RSP), 0x7ff6);
    machine_free(m);
}
END_TEST

START_TEST(push_rsp_pop_rsp)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    R(m, RSP) = 0x8000;
    ck_ok(m, "54"); /* push rsp: the value before the decrement */
    ck_assert_uint_eq(PEEK(m, 0x7ff8, 8), 0x8000);
    ck_assert_uint_eq(R(m, RSP), 0x7ff8);
    poke(m, 0x7ff8, 0x1230, 8);
    ck_ok(m, "5c"); /* pop rsp: RSP := the popped value (the increment is lost) */
    ck_assert_uint_eq(R(m, RSP), 0x1230);
    machine_free(m);

    m = tm_new(EMU_MODE_REAL);
    R(m, RSP) = 0xabcd0100;
    poke(m, 0x100, 0x4444, 2);
    ck_ok(m, "5c"); /* pop sp: the upper half of ESP is kept */
    ck_assert_uint_eq(R(m, RSP), 0xabcd4444);
    R(m, RSP) = 0x100;
    ck_ok(m, "54"); /* push sp */
    ck_assert_uint_eq(PEEK(m, 0xfe, 2), 0x100);
    machine_free(m);
}
END_TEST

/* POP r/m with an rSP-based address uses rSP after the increment; PUSH r/m uses it before. */
START_TEST(pop_push_memory_rsp_based)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    R(m, RSP) = 0x8000;
    poke(m, 0x8000, 0xaaaa, 8);
    ck_ok(m, "8f442408"); /* pop qword [rsp+8] */
    ck_assert_uint_eq(R(m, RSP), 0x8008);
    ck_assert_uint_eq(PEEK(m, 0x8010, 8), 0xaaaa);
    ck_assert_uint_eq(PEEK(m, 0x8008, 8), 0);
    poke(m, 0x8008, 0xbbbb, 8);
    ck_ok(m, "8f0424"); /* pop qword [rsp]: lands where the popped value was + 8 */
    ck_assert_uint_eq(R(m, RSP), 0x8010);
    ck_assert_uint_eq(PEEK(m, 0x8010, 8), 0xbbbb);
    poke(m, 0x8018, 0xcccc, 8);
    ck_ok(m, "ff742408"); /* push qword [rsp+8]: [0x8018] with the old RSP */
    ck_assert_uint_eq(R(m, RSP), 0x8008);
    ck_assert_uint_eq(PEEK(m, 0x8008, 8), 0xcccc);
    machine_free(m);

    m = tm_new(EMU_MODE_PROT32);
    R(m, RSP) = 0x8000;
    poke(m, 0x8000, 0x11111111, 4);
    ck_ok(m, "8f442404"); /* pop dword [esp+4] -> [0x8004 + 4] */
    ck_assert_uint_eq(PEEK(m, 0x8008, 4), 0x11111111);
    ck_assert_uint_eq(R(m, RSP), 0x8004);
    machine_free(m);
}
END_TEST

START_TEST(pop_memory_fault_keeps_rsp)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    machine_add_perm(m, 0x401000, 0x1000, "rx", 0);
    machine_add_perm(m, 0x7000, 0x1000, "rw", 0);
    R(m, RSP) = 0x7ff8;
    R(m, RBX) = 0x9000;
    ck_exc(m, "8f03", EMU_PF, EMU_PF_W); /* pop [rbx]: the write faults, RSP not updated */
    ck_assert_uint_eq(R(m, RSP), 0x7ff8);
    ck_assert_uint_eq(m->ctx.result.exception.cr2, 0x9000);
    machine_free(m);
}
END_TEST

/* 16-bit stack: SP wraps within the segment, the upper half of ESP is preserved. */
START_TEST(real_mode_sp_wrap)
{
    struct machine *m = tm_new(EMU_MODE_REAL);
    m->segs[EMU_SEG_SS].sel = 0x1000;
    m->segs[EMU_SEG_SS].base = 0x10000;
    R(m, RSP) = 0x12340000;
    R(m, RAX) = 0xbeef;
    ck_ok(m, "50"); /* push ax at SP = 0 -> 0xfffe */
    ck_assert_uint_eq(R(m, RSP), 0x1234fffe);
    ck_assert_uint_eq(PEEK(m, 0x1fffe, 2), 0xbeef);
    ck_ok(m, "5b"); /* pop bx: SP 0xfffe -> 0 */
    ck_assert_uint_eq(R(m, RBX), 0xbeef);
    ck_assert_uint_eq(R(m, RSP), 0x12340000);
    R(m, RAX) = 0xcafef00d;
    ck_ok(m, "6650"); /* push eax: 4 bytes at 0xfffc */
    ck_assert_uint_eq(R(m, RSP), 0x1234fffc);
    ck_assert_uint_eq(PEEK(m, 0x1fffc, 4), 0xcafef00d);
    /* a word that would straddle the 64K limit is #SS(0) */
    R(m, RSP) = 0xffff;
    ck_exc(m, "58", EMU_SS, 0);
    ck_assert_uint_eq(R(m, RSP), 0xffff);
    machine_free(m);
}
END_TEST

START_TEST(prot32_stack_limit_and_sizes)
{
    struct machine *m = tm_new(EMU_MODE_PROT32);
    m->segs[EMU_SEG_SS].limit = 0xfff;
    R(m, RSP) = 0x1002;
    ck_exc(m, "50", EMU_SS, 0); /* 4 bytes at 0xffe..0x1001 */
    R(m, RSP) = 0x1000;
    R(m, RAX) = 0x11223344;
    ck_ok(m, "50");
    ck_assert_uint_eq(PEEK(m, 0xffc, 4), 0x11223344);
    ck_ok(m, "6650"); /* push ax */
    ck_assert_uint_eq(R(m, RSP), 0xffa);
    ck_assert_uint_eq(PEEK(m, 0xffa, 2), 0x3344);
    machine_free(m);

    /* a 16-bit stack segment (SS.B = 0) in 32-bit code: SP only */
    m = tm_new(EMU_MODE_PROT32);
    m->segs[EMU_SEG_SS].attr = 0x93;
    m->segs[EMU_SEG_SS].limit = 0xffff;
    R(m, RSP) = 0xffff0000;
    R(m, RAX) = 0x55667788;
    ck_ok(m, "50"); /* push eax: SP 0 -> 0xfffc, ESP[31:16] kept */
    ck_assert_uint_eq(R(m, RSP), 0xfffffffc);
    ck_assert_uint_eq(PEEK(m, 0xfffc, 4), 0x55667788);
    R(m, RSP) = 0xffff0002; /* SP 2 -> 0xfffe: 4 bytes would cross the 64K limit */
    ck_exc(m, "50", EMU_SS, 0);
    machine_free(m);
}
END_TEST

/* PUSH Sreg with a 32-bit operand size: Intel writes only the selector (16-bit move), AMD the
 * zero-extended selector.  With a 64-bit operand size both zero-extend (SDM PUSH). */
START_TEST(push_sreg_vendor)
{
    struct machine *m = tm_new(EMU_MODE_PROT32);
    m->segs[EMU_SEG_CS].sel = 0x08;
    m->segs[EMU_SEG_DS].sel = 0x10;
    R(m, RSP) = 0x8000;
    poke(m, 0x7ffc, 0xdeadbeef, 4);
    ck_ok(m, "0e"); /* push cs */
    ck_assert_uint_eq(R(m, RSP), 0x7ffc);
    ck_assert_uint_eq(PEEK(m, 0x7ffc, 4), 0xdead0008);
    ck_ok(m, "661e"); /* push ds, 16-bit */
    ck_assert_uint_eq(R(m, RSP), 0x7ffa);
    ck_assert_uint_eq(PEEK(m, 0x7ffa, 2), 0x10);
    machine_free(m);

    struct emu_config amd = tm_cfg(EMU_VENDOR_AMD);
    m = tm_new_cfg(EMU_MODE_PROT32, &amd);
    m->segs[EMU_SEG_CS].sel = 0x08;
    R(m, RSP) = 0x8000;
    poke(m, 0x7ffc, 0xdeadbeef, 4);
    ck_ok(m, "0e");
    ck_assert_uint_eq(PEEK(m, 0x7ffc, 4), 0x00000008);
    machine_free(m);

    m = tm_new(EMU_MODE_LONG64);
    m->segs[EMU_SEG_FS].sel = 0x2b;
    R(m, RSP) = 0x8000;
    poke(m, 0x7ff8, 0xffffffffffffffffull, 8);
    ck_ok(m, "0fa0"); /* push fs: 64-bit operand size, zero-extended on Intel too */
    ck_assert_uint_eq(R(m, RSP), 0x7ff8);
    ck_assert_uint_eq(PEEK(m, 0x7ff8, 8), 0x2b);
    ck_ok(m, "660fa8"); /* push gs, 16-bit */
    ck_assert_uint_eq(R(m, RSP), 0x7ff6);
    ck_exc(m, "1e", EMU_UD, 0); /* push ds is invalid in 64-bit mode */
    machine_free(m);
}
END_TEST

START_TEST(pop_sreg_real_and_prot)
{
    struct machine *m = tm_new(EMU_MODE_REAL);
    R(m, RSP) = 0x100;
    poke(m, 0x100, 0x1234, 2);
    ck_ok(m, "1f"); /* pop ds */
    ck_assert_uint_eq(m->segs[EMU_SEG_DS].sel, 0x1234);
    ck_assert_uint_eq(m->segs[EMU_SEG_DS].base, 0x12340);
    ck_assert_uint_eq(R(m, RSP), 0x102);
    poke(m, 0x102, 0x2000, 2);
    m->nevents = 0;
    ck_ok(m, "17"); /* pop ss: one-instruction interrupt shadow */
    ck_assert_uint_eq(m->segs[EMU_SEG_SS].base, 0x20000);
    ck_assert_uint_eq(m->nevents, 1);
    ck_assert_uint_eq(m->events[0].type, EMU_EV_INT_SHADOW);
    ck_assert_uint_eq(m->events[0].value, 2);
    machine_free(m);

    m = tm_new(EMU_MODE_PROT32);
    R(m, RSP) = 0x100;
    ck_ok(m, "07"); /* pop es with a null selector: ES becomes unusable */
    ck_assert_uint_eq(m->segs[EMU_SEG_ES].sel, 0);
    ck_assert_uint_eq(m->segs[EMU_SEG_ES].attr & EMU_SEGATTR_P, 0);
    ck_assert_uint_eq(R(m, RSP), 0x104);
    ck_exc(m, "17", EMU_GP, 0); /* pop ss with a null selector */
    ck_assert_uint_eq(R(m, RSP), 0x104);
    machine_free(m);
}
END_TEST

START_TEST(pusha_popa)
{
    struct machine *m = tm_new(EMU_MODE_REAL);
    for (unsigned r = 0; r < 8; r++) m->regs.gpr[r] = 0xaaaa0000u | (0x1111u * (r + 1));
    R(m, RSP) = 0x100;
    ck_ok(m, "60"); /* pusha: AX CX DX BX SP(original) BP SI DI */
    ck_assert_uint_eq(R(m, RSP), 0xf0);
    ck_assert_uint_eq(PEEK(m, 0xfe, 2), 0x1111); /* AX */
    ck_assert_uint_eq(PEEK(m, 0xf8, 2), 0x4444); /* BX */
    ck_assert_uint_eq(PEEK(m, 0xf6, 2), 0x0100); /* SP before the instruction */
    ck_assert_uint_eq(PEEK(m, 0xf0, 2), 0x8888); /* DI */
    for (unsigned r = 0; r < 8; r++) if (r != EMU_RSP) m->regs.gpr[r] = 0;
    poke(m, 0xf6, 0xdead, 2); /* the SP slot is skipped on POPA */
    ck_ok(m, "61");
    ck_assert_uint_eq(R(m, RSP), 0x100);
    ck_assert_uint_eq(R(m, RAX), 0x1111);
    ck_assert_uint_eq(R(m, RBP), 0x6666);
    ck_assert_uint_eq(R(m, RDI), 0x8888);
    machine_free(m);

    m = tm_new(EMU_MODE_PROT32);
    for (unsigned r = 0; r < 8; r++) m->regs.gpr[r] = 0x01010101u * (r + 1);
    R(m, RSP) = 0x1000;
    ck_ok(m, "60"); /* pushad */
    ck_assert_uint_eq(R(m, RSP), 0xfe0);
    ck_assert_uint_eq(PEEK(m, 0xffc, 4), 0x01010101);
    ck_assert_uint_eq(PEEK(m, 0xfec, 4), 0x1000);
    ck_assert_uint_eq(PEEK(m, 0xfe0, 4), 0x08080808);
    ck_ok(m, "6661"); /* popa (16-bit) from 0xfe0: DI=0x0808 SI=0x0808 BP=0x0707 ... */
    ck_assert_uint_eq(R(m, RSP), 0xff0);
    ck_assert_uint_eq(R(m, RDI), 0x08080808); /* low word popped = 0x0808 (same) */
    ck_assert_uint_eq(R(m, RSI), 0x07070808);
    ck_assert_uint_eq(R(m, RBP), 0x06060707);
    ck_assert_uint_eq(R(m, RBX), 0x04040606);
    machine_free(m);

    m = tm_new(EMU_MODE_LONG64);
    ck_exc(m, "60", EMU_UD, 0);
    ck_exc(m, "61", EMU_UD, 0);
    machine_free(m);
}
END_TEST

START_TEST(pushf_popf_real)
{
    struct machine *m = tm_new(EMU_MODE_REAL);
    R(m, RSP) = 0x100;
    FLAGS(m) = 2 | CF | IF | EMU_FLAG_RF;
    ck_ok(m, "669c"); /* pushfd: RF (and VM) read as 0 in the image */
    ck_assert_uint_eq(PEEK(m, 0xfc, 4), 2 | CF | IF);
    ck_assert_uint_eq(FLAGS(m), 2 | CF | IF); /* RF is cleared when the instruction retires */
    poke(m, 0xfa, 0x3000 | 0x0400 | 0x0001, 2); /* IOPL 3, DF, CF */
    R(m, RSP) = 0xfa;
    ck_ok(m, "9d"); /* popf: everything in the low word, IOPL included, at CPL 0 */
    ck_assert_uint_eq(FLAGS(m), 2 | IOPL3 | EMU_FLAG_DF | CF);
    ck_assert_uint_eq(R(m, RSP), 0xfc);
    /* popfd: VM, VIF, VIP are not loaded; AC and ID are */
    poke(m, 0xfc, VM | VIF | VIP | EMU_FLAG_AC | EMU_FLAG_ID | 2, 4);
    ck_ok(m, "669d");
    ck_assert_uint_eq(FLAGS(m), 2 | EMU_FLAG_AC | EMU_FLAG_ID);
    machine_free(m);
}
END_TEST

START_TEST(popf_protected_cpl_iopl)
{
    struct machine *m = tm_new(EMU_MODE_PROT32);
    tm_set_cpl(m, 3);
    R(m, RSP) = 0x100;
    FLAGS(m) = 2; /* IOPL 0 */
    poke(m, 0x100, 2 | IF | IOPL3 | CF, 4);
    ck_ok(m, "9d"); /* CPL 3 > IOPL: IF and IOPL silently unchanged */
    ck_assert_uint_eq(FLAGS(m), 2 | CF);
    FLAGS(m) = 2 | IOPL3; /* IOPL 3 = CPL: IF may change, IOPL still not */
    R(m, RSP) = 0x100;
    poke(m, 0x100, 2 | IF, 4);
    ck_ok(m, "9d");
    ck_assert_uint_eq(FLAGS(m), 2 | IF | IOPL3);
    machine_free(m);

    m = tm_new(EMU_MODE_PROT32);
    R(m, RSP) = 0x100;
    FLAGS(m) = 2 | VIF | VIP;
    poke(m, 0x100, 2 | IF | IOPL3 | VM | EMU_FLAG_NT, 4);
    ck_ok(m, "9d"); /* CPL 0: IF and IOPL load; VM, VIF, VIP are unaffected */
    ck_assert_uint_eq(FLAGS(m), 2 | IF | IOPL3 | EMU_FLAG_NT | VIF | VIP);
    machine_free(m);

    m = tm_new(EMU_MODE_LONG64);
    R(m, RSP) = 0x8000;
    FLAGS(m) = 2 | EMU_FLAG_RF | EMU_FLAG_AC;
    ck_ok(m, "9c"); /* pushfq */
    ck_assert_uint_eq(R(m, RSP), 0x7ff8);
    ck_assert_uint_eq(PEEK(m, 0x7ff8, 8), 2 | EMU_FLAG_AC);
    poke(m, 0x7ff8, 0xffffffffffffffffull, 8);
    ck_ok(m, "9d"); /* popfq of all ones: reserved bits, VM, VIF, VIP, RF stay clear */
    ck_assert_uint_eq(FLAGS(m), 0x00257fd7ull & ~(uint64_t)EMU_FLAG_RF);
    machine_free(m);
}
END_TEST

static struct machine *v86(unsigned iopl, int vme)
{
    struct machine *m = tm_new(EMU_MODE_V86);
    FLAGS(m) = 2 | VM | ((uint64_t)iopl << 12);
    if (vme) m->cr[4] |= EMU_CR4_VME;
    R(m, RSP) = 0x100;
    return m;
}

START_TEST(pushf_popf_v86)
{
    /* IOPL 3: ordinary, but POPF cannot change IOPL */
    struct machine *m = v86(3, 0);
    FLAGS(m) |= IF;
    ck_ok(m, "669c"); /* pushfd: VM reads as 0 in the image */
    ck_assert_uint_eq(PEEK(m, 0xfc, 4), 2 | IOPL3 | IF);
    poke(m, 0xfc, 2 | CF, 4);
    ck_ok(m, "669d");
    ck_assert_uint_eq(FLAGS(m), 2 | VM | IOPL3 | CF);
    machine_free(m);

    /* IOPL < 3 without VME: #GP(0) */
    m = v86(0, 0);
    ck_exc(m, "9c", EMU_GP, 0);
    ck_exc(m, "9d", EMU_GP, 0);
    ck_assert_uint_eq(R(m, RSP), 0x100);
    machine_free(m);

    /* IOPL < 3 with VME: the 16-bit forms work on VIF */
    m = v86(1, 1);
    FLAGS(m) |= VIF | CF;
    ck_ok(m, "9c"); /* pushf: IF := VIF, IOPL := 3 in the image */
    ck_assert_uint_eq(PEEK(m, 0xfe, 2), 2 | IF | IOPL3 | CF);
    ck_assert_uint_eq(FLAGS(m), 2 | VM | 0x1000 | VIF | CF);
    ck_exc(m, "669c", EMU_GP, 0); /* 32-bit form */
    ck_exc(m, "669d", EMU_GP, 0);
    R(m, RSP) = 0x100;
    poke(m, 0x100, 2 | IOPL3 | EMU_FLAG_DF, 2);
    ck_ok(m, "9d"); /* popf: IF (0) goes to VIF; IOPL and IF are untouched */
    ck_assert_uint_eq(FLAGS(m), 2 | VM | 0x1000 | EMU_FLAG_DF);
    R(m, RSP) = 0x100;
    poke(m, 0x100, 2 | IF, 2);
    ck_ok(m, "9d");
    ck_assert_uint_eq(FLAGS(m), 2 | VM | 0x1000 | VIF);
    /* TF set in the image, or IF set while VIP is pending: #GP(0) */
    R(m, RSP) = 0x100;
    poke(m, 0x100, 2 | TF, 2);
    ck_exc(m, "9d", EMU_GP, 0);
    FLAGS(m) = 2 | VM | 0x1000 | VIP;
    poke(m, 0x100, 2 | IF, 2);
    ck_exc(m, "9d", EMU_GP, 0);
    poke(m, 0x100, 2 | CF, 2); /* IF clear with VIP: fine */
    ck_ok(m, "9d");
    ck_assert_uint_eq(FLAGS(m), 2 | VM | 0x1000 | VIP | CF);
    machine_free(m);
}
END_TEST

START_TEST(enter_leave_32)
{
    struct machine *m = tm_new(EMU_MODE_PROT32);
    R(m, RSP) = 0x8000;
    R(m, RBP) = 0x9000;
    ck_ok(m, "c8100000"); /* enter 0x10, 0 */
    ck_assert_uint_eq(PEEK(m, 0x7ffc, 4), 0x9000);
    ck_assert_uint_eq(R(m, RBP), 0x7ffc);
    ck_assert_uint_eq(R(m, RSP), 0x7fec);
    ck_ok(m, "c9"); /* leave */
    ck_assert_uint_eq(R(m, RSP), 0x8000);
    ck_assert_uint_eq(R(m, RBP), 0x9000);

    ck_ok(m, "c8080001"); /* enter 8, 1: push ebp, push the frame pointer */
    ck_assert_uint_eq(PEEK(m, 0x7ff8, 4), 0x7ffc);
    ck_assert_uint_eq(R(m, RBP), 0x7ffc);
    ck_assert_uint_eq(R(m, RSP), 0x7ff0);

    R(m, RSP) = 0x8000;
    R(m, RBP) = 0x9000;
    poke(m, 0x8ffc, 0xaaaa1111, 4);
    poke(m, 0x8ff8, 0xbbbb2222, 4);
    ck_ok(m, "c8040003"); /* enter 4, 3: two frame pointers copied from [ebp-4], [ebp-8] */
    ck_assert_uint_eq(PEEK(m, 0x7ffc, 4), 0x9000);
    ck_assert_uint_eq(PEEK(m, 0x7ff8, 4), 0xaaaa1111);
    ck_assert_uint_eq(PEEK(m, 0x7ff4, 4), 0xbbbb2222);
    ck_assert_uint_eq(PEEK(m, 0x7ff0, 4), 0x7ffc);
    ck_assert_uint_eq(R(m, RBP), 0x7ffc);
    ck_assert_uint_eq(R(m, RSP), 0x7fec);
    machine_free(m);
}
END_TEST

/* ENTER with a 16-bit operand size writes BP (not EBP); with a 32-bit operand size on a
 * 16-bit stack the frame pointer is all of ESP (SDM ENTER: FrameTemp := ESP, EBP := FrameTemp). */
START_TEST(enter_operand_vs_stack_size)
{
    struct machine *m = tm_new(EMU_MODE_PROT32);
    R(m, RSP) = 0x8000;
    R(m, RBP) = 0x12349000;
    ck_ok(m, "66c8040000"); /* enter 4, 0 with o16 */
    ck_assert_uint_eq(PEEK(m, 0x7ffe, 2), 0x9000);
    ck_assert_uint_eq(R(m, RBP), 0x12347ffe);
    ck_assert_uint_eq(R(m, RSP), 0x7ffa);
    ck_ok(m, "66c9"); /* leave with o16: ESP := EBP (32-bit stack), pop BP from there */
    ck_assert_uint_eq(R(m, RSP), 0x12348000);
    ck_assert_uint_eq(R(m, RBP), 0x12340000);
    machine_free(m);

    m = tm_new(EMU_MODE_REAL);
    R(m, RSP) = 0xabcd0010;
    R(m, RBP) = 0x00001234;
    ck_ok(m, "66c8040000"); /* enter 4, 0 with o32 on a 16-bit stack */
    ck_assert_uint_eq(PEEK(m, 0xc, 4), 0x1234);
    ck_assert_uint_eq(R(m, RBP), 0xabcd000c);
    ck_assert_uint_eq(R(m, RSP), 0xabcd0008);
    ck_ok(m, "c9"); /* leave: SP := BP, pop BP */
    ck_assert_uint_eq(R(m, RSP), 0xabcd000e);
    ck_assert_uint_eq(R(m, RBP), 0xabcd1234);
    machine_free(m);
}
END_TEST

START_TEST(enter_leave_64)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    R(m, RSP) = 0x8000;
    R(m, RBP) = 0x9000;
    poke(m, 0x8ff8, 0x1111111111111111ull, 8);
    ck_ok(m, "c8200002"); /* enter 0x20, 2 */
    ck_assert_uint_eq(PEEK(m, 0x7ff8, 8), 0x9000);
    ck_assert_uint_eq(PEEK(m, 0x7ff0, 8), 0x1111111111111111ull);
    ck_assert_uint_eq(PEEK(m, 0x7fe8, 8), 0x7ff8);
    ck_assert_uint_eq(R(m, RBP), 0x7ff8);
    ck_assert_uint_eq(R(m, RSP), 0x7fe8 - 0x20);
    ck_ok(m, "c9");
    ck_assert_uint_eq(R(m, RSP), 0x8000);
    ck_assert_uint_eq(R(m, RBP), 0x9000);
    /* the nesting level is taken modulo 32: 33 is 1 */
    ck_ok(m, "c8000021");
    ck_assert_uint_eq(R(m, RSP), 0x7ff0);
    ck_assert_uint_eq(PEEK(m, 0x7ff0, 8), 0x7ff8);
    machine_free(m);
}
END_TEST

/* The deepest ENTER: 31 levels, 32 pushes in one instruction. */
START_TEST(enter_level_31)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    R(m, RSP) = 0x8000;
    R(m, RBP) = 0x9000;
    for (unsigned i = 1; i < 31; i++) poke(m, 0x9000 - 8 * i, 0x100 + i, 8);
    ck_ok(m, "c800001f");
    ck_assert_uint_eq(PEEK(m, 0x7ff8, 8), 0x9000);
    ck_assert_uint_eq(PEEK(m, 0x7ff0, 8), 0x101);
    ck_assert_uint_eq(PEEK(m, 0x8000 - 8 * 31, 8), 0x11e);
    ck_assert_uint_eq(PEEK(m, 0x8000 - 8 * 32, 8), 0x7ff8);
    ck_assert_uint_eq(R(m, RSP), 0x8000 - 8 * 32);
    machine_free(m);
}
END_TEST

/* ENTER faults if the final stack pointer is outside SS (#SS(0)) or its page is not
 * writable (#PF), and then nothing is pushed. */
START_TEST(enter_checks_final_rsp)
{
    struct machine *m = tm_new(EMU_MODE_PROT32);
    m->segs[EMU_SEG_SS].limit = 0xfffff;
    R(m, RSP) = 0x80;
    ck_exc(m, "c8000100", EMU_SS, 0); /* enter 0x100, 0: ESP would wrap below 0 */
    ck_assert_uint_eq(R(m, RSP), 0x80);
    machine_free(m);

    m = tm_new(EMU_MODE_PROT32);
    machine_add_perm(m, 0x401000, 0x1000, "rx", 0);
    machine_add_perm(m, 0x7000, 0x1000, "rw", 0);
    R(m, RSP) = 0x7010;
    ck_exc(m, "c8200000", EMU_PF, EMU_PF_W); /* final ESP 0x6fec is not mapped */
    ck_assert_uint_eq(m->ctx.result.exception.cr2, 0x6fec);
    ck_assert_uint_eq(R(m, RSP), 0x7010);
    ck_assert_uint_eq(m->nwritten, 0);
    ck_ok(m, "c80c0000"); /* final ESP 0x7000 is fine */
    ck_assert_uint_eq(R(m, RSP), 0x7000);
    machine_free(m);
}
END_TEST

/* 16-bit protected mode: 16-bit operands and (with SS.B = 0) a 16-bit stack by default; o32
 * pushes 4 bytes; CPL 3 POPF cannot touch IOPL. */
START_TEST(prot16_defaults)
{
    struct machine *m = tm_new(EMU_MODE_PROT16);
    m->segs[EMU_SEG_SS].base = 0x30000;
    R(m, RSP) = 0xabcd0010;
    R(m, RAX) = 0x11223344;
    ck_ok(m, "50"); /* push ax */
    ck_assert_uint_eq(R(m, RSP), 0xabcd000e);
    ck_assert_uint_eq(PEEK(m, 0x3000e, 2), 0x3344);
    ck_ok(m, "6650"); /* push eax */
    ck_assert_uint_eq(R(m, RSP), 0xabcd000a);
    ck_assert_uint_eq(PEEK(m, 0x3000a, 4), 0x11223344);
    ck_ok(m, "665b"); /* pop ebx */
    ck_assert_uint_eq(R(m, RBX), 0x11223344);
    ck_ok(m, "59"); /* pop cx */
    ck_assert_uint_eq(R(m, RCX), 0x3344);
    ck_assert_uint_eq(R(m, RSP), 0xabcd0010);
    tm_set_cpl(m, 3);
    FLAGS(m) = 2;
    poke(m, 0x30010, 0x3000 | CF, 2);
    ck_ok(m, "9d"); /* popf at CPL 3: IOPL stays 0 */
    ck_assert_uint_eq(FLAGS(m), 2 | CF);
    ck_assert_uint_eq(R(m, RSP), 0xabcd0012);
    machine_free(m);
}
END_TEST

static Suite *stack_suite(void)
{
    Suite *s = suite_create("stack");
    TCase *t = tcase_create("stack");
    tcase_add_test(t, push_pop_64);
    tcase_add_test(t, push_rsp_pop_rsp);
    tcase_add_test(t, pop_push_memory_rsp_based);
    tcase_add_test(t, pop_memory_fault_keeps_rsp);
    tcase_add_test(t, real_mode_sp_wrap);
    tcase_add_test(t, prot32_stack_limit_and_sizes);
    tcase_add_test(t, push_sreg_vendor);
    tcase_add_test(t, pop_sreg_real_and_prot);
    tcase_add_test(t, pusha_popa);
    tcase_add_test(t, pushf_popf_real);
    tcase_add_test(t, popf_protected_cpl_iopl);
    tcase_add_test(t, pushf_popf_v86);
    tcase_add_test(t, enter_leave_32);
    tcase_add_test(t, enter_operand_vs_stack_size);
    tcase_add_test(t, enter_leave_64);
    tcase_add_test(t, enter_level_31);
    tcase_add_test(t, enter_checks_final_rsp);
    tcase_add_test(t, prot16_defaults);
    suite_add_tcase(s, t);
    return s;
}
REGISTER_SUITE(stack_suite)
