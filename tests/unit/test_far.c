/*
 * Far transfers: JMP/CALL far (immediate and memory forms) through code segments and call
 * gates (16/32/64-bit, with the stack switch and parameter copy), RETF (same and outer level,
 * imm16, data-segment nulling) and IRET in real, v86, protected and long mode.  One test per
 * rule, named after it; expected values are written out.
 */
#include "systest.h"

#define TSS32 0x20000u

/* prot32 with a GDT:
 *  1 0x08 code32 DPL0         2 0x10 data DPL0          3 0x1b data DPL3
 *  4 0x23 code32 DPL3         5 0x28 conforming DPL0    6 0x30 code not present
 *  7 0x38 code limit 0xfff    8 0x43 call gate32 DPL3 -> 0x08:0x402000, 2 params
 *  9 0x48 TSS32 (TR)         10 0x50 call gate32 DPL0 -> 0x08:0x403000
 * 11 0x58 gate not present   12 0x60 gate -> null CS   13 0x68 code16 DPL0
 * 14 0x73 call gate16 DPL3 -> 0x08:0x4000, 1 param     15 0x78 data16 DPL0
 * TSS: ESP0 0x9000, SS0 0x10.  Stack ESP 0x8000. */
static struct machine *far_machine(unsigned cpl)
{
    struct machine *m = tm_new(EMU_MODE_PROT32);
    sys_tables(m, 16);
    gdt_set(m, 1, 0, 0xfffff, 0xc9a);
    gdt_set(m, 2, 0, 0xfffff, A_DATA32);
    gdt_set(m, 3, 0, 0xfffff, A_DATA32 | DPL(3));
    gdt_set(m, 4, 0, 0xfffff, A_CODE32 | DPL(3));
    gdt_set(m, 5, 0, 0xfffff, 0xc9f);
    gdt_set(m, 6, 0, 0xfffff, 0xc1b);
    gdt_set(m, 7, 0, 0xfff, 0x09b);
    gdt_gate(m, 8, 0x08, 0x402000, 12, 3, 2, 0);
    gdt_set(m, 9, TSS32, 0x67, 0x08b);
    gdt_gate(m, 10, 0x08, 0x403000, 12, 0, 0, 0);
    gdt_gate(m, 11, 0x08, 0x402000, 12, 3, 0, 0);
    poke(m, GDT_BASE + 11 * 8 + 5, 0x6c, 1); /* P = 0 */
    gdt_gate(m, 12, 0x00, 0x402000, 12, 3, 0, 0);
    gdt_set(m, 13, 0, 0xffff, A_CODE16);
    gdt_gate(m, 14, 0x08, 0x4000, 4, 3, 1, 0);
    gdt_set(m, 15, 0, 0xffff, A_DATA16);
    seg_load(m, EMU_SEG_TR, 0x48, TSS32, 0x67, 0x8b);
    poke(m, TSS32 + 4, 0x9000, 4);
    poke(m, TSS32 + 8, 0x10, 2);
    R(m, RSP) = 0x8000;
    seg_load(m, EMU_SEG_CS, 0x08, 0, 0xffffffff, A_CODE32);
    seg_load(m, EMU_SEG_SS, 0x10, 0, 0xffffffff, A_DATA32);
    seg_load(m, EMU_SEG_DS, 0x10, 0, 0xffffffff, A_DATA32);
    seg_load(m, EMU_SEG_ES, 0x10, 0, 0xffffffff, A_DATA32);
    if (cpl == 3) {
        seg_load(m, EMU_SEG_CS, 0x23, 0, 0xffffffff, A_CODE32 | DPL(3));
        seg_load(m, EMU_SEG_SS, 0x1b, 0, 0xffffffff, A_DATA32 | DPL(3));
        seg_load(m, EMU_SEG_ES, 0x1b, 0, 0xffffffff, A_DATA32 | DPL(3));
        R(m, RSP) = 0x7000;
    }
    return m;
}

/* ---- JMP far ---------------------------------------------------------------------------------- */

START_TEST(jmp_far_to_code_same_cpl)
{
    struct machine *m = far_machine(0);
    ck_ok(m, "ea0020400008 00"); /* jmp 0x08:0x402000 */
    ck_seg(m, EMU_SEG_CS, 0x08, 0, 0xffffffff, 0xc9b); /* accessed now */
    ck_assert_uint_eq(peek(m, GDT_BASE + 8 + 5, 1), 0x9b);
    ck_assert_uint_eq(m->regs.rip, 0x402000);
    machine_free(m);
}
END_TEST

START_TEST(jmp_far_null_selector_gp0)
{
    struct machine *m = far_machine(0);
    ck_exc(m, "ea002040000300", EMU_GP, 0);
    machine_free(m);
}
END_TEST

START_TEST(jmp_far_nonconforming_needs_dpl_eq_cpl_and_rpl_le_cpl)
{
    struct machine *m = far_machine(3);
    ck_exc(m, "ea002040000b00", EMU_GP, 0x08); /* DPL 0 code from CPL 3 */
    machine_free(m);
    m = far_machine(0);
    ck_exc(m, "ea002040002300", EMU_GP, 0x20); /* DPL 3 code from CPL 0 */
    ck_exc(m, "ea002040000900", EMU_GP, 0x08); /* RPL 1 > CPL 0 */
    machine_free(m);
}
END_TEST

/* A conforming segment with DPL <= CPL: CPL stays, CS.RPL = CPL. */
START_TEST(jmp_far_conforming_keeps_cpl)
{
    struct machine *m = far_machine(3);
    ck_ok(m, "ea002040002800");
    ck_assert_uint_eq(m->segs[EMU_SEG_CS].sel, 0x2b);
    ck_assert_uint_eq(machine_cpl(m), 3);
    machine_free(m);
}
END_TEST

START_TEST(jmp_far_not_present_np)
{
    struct machine *m = far_machine(0);
    ck_exc(m, "ea002040003000", EMU_NP, 0x30);
    machine_free(m);
}
END_TEST

START_TEST(jmp_far_offset_beyond_limit_gp0)
{
    struct machine *m = far_machine(0);
    ck_exc(m, "ea001000003800", EMU_GP, 0);
    ck_ok(m, "eaff0f00003800");
    ck_assert_uint_eq(m->regs.rip, 0xfff);
    machine_free(m);
}
END_TEST

START_TEST(jmp_far_to_data_or_outside_gdt_gp_sel)
{
    struct machine *m = far_machine(0);
    ck_exc(m, "ea002040001000", EMU_GP, 0x10);
    ck_exc(m, "ea002040008000", EMU_GP, 0x80);
    machine_free(m);
}
END_TEST

START_TEST(jmp_far_real_mode)
{
    struct machine *m = tm_new(EMU_MODE_REAL);
    ck_ok(m, "ea34120020"); /* jmp 0x2000:0x1234 */
    ck_seg(m, EMU_SEG_CS, 0x2000, 0x20000, 0xffff, 0x9b);
    ck_assert_uint_eq(m->regs.rip, 0x1234);
    machine_free(m);
}
END_TEST

/* FF /5 m16:64 with REX.W in 64-bit mode: Intel; AMD ignores REX.W and reads m16:32. */
START_TEST(jmp_far_m16_64_by_vendor)
{
    for (int amd = 0; amd < 2; amd++) {
        struct emu_config c = tm_cfg(amd ? EMU_VENDOR_AMD : EMU_VENDOR_INTEL);
        struct machine *m = tm_new_cfg(EMU_MODE_LONG64, &c);
        sys_tables(m, 16);
        gdt_set(m, 1, 0, 0xfffff, A_CODE64);
        poke(m, 0x3000, 0x00402000, 4);
        poke(m, 0x3004, 0x08, 2); /* AMD's selector, and bits 47:32 of Intel's offset */
        poke(m, 0x3008, 0x08, 2); /* Intel's selector */
        R(m, RBX) = 0x3000;
        ck_ok(m, "48ff2b");
        ck_assert_uint_eq(m->regs.rip, (amd ? 0x402000 : 0x800402000ull));
        ck_assert_uint_eq(m->segs[EMU_SEG_CS].sel, 8);
        machine_free(m);
    }
}
END_TEST

/* Long mode: a non-canonical target in a 64-bit segment is #GP(0); L = D = 1 is #GP(sel). */
START_TEST(jmp_far_long_mode_target_rules)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    sys_tables(m, 16);
    gdt_set(m, 1, 0, 0xfffff, A_CODE64);
    gdt_set(m, 2, 0, 0xfffff, 0xe9b); /* L = D = 1 */
    poke(m, 0x3000, 0x0000800000000000ull, 8);
    poke(m, 0x3008, 0x08, 2);
    R(m, RBX) = 0x3000;
    ck_exc(m, "48ff2b", EMU_GP, 0);
    poke(m, 0x3008, 0x10, 2);
    ck_exc(m, "48ff2b", EMU_GP, 0x10);
    machine_free(m);
}
END_TEST

/* ---- CALL far --------------------------------------------------------------------------------- */

START_TEST(call_far_pushes_cs_and_eip)
{
    struct machine *m = far_machine(0);
    poke(m, 0x7ffc, 0xaaaaaaaa, 4);
    ck_ok(m, "9a002040000800");
    ck_assert_uint_eq(R(m, RSP), 0x7ff8);
    ck_assert_uint_eq(peek(m, 0x7ff8, 4), 0x401007);
    ck_assert_uint_eq(peek(m, 0x7ffc, 4), 0x08); /* CS zero-extended to the slot */
    ck_assert_uint_eq(m->regs.rip, 0x402000);
    machine_free(m);
}
END_TEST

START_TEST(call_far_16bit_operand)
{
    struct machine *m = far_machine(0);
    ck_ok(m, "669a00300800"); /* call 0x08:0x3000 with 16-bit operand */
    ck_assert_uint_eq(R(m, RSP), 0x7ffc);
    ck_assert_uint_eq(peek(m, 0x7ffc, 2), 0x1006); /* IP of the next instruction (16 bits) */
    ck_assert_uint_eq(peek(m, 0x7ffe, 2), 0x08);
    ck_assert_uint_eq(m->regs.rip, 0x3000);
    machine_free(m);
}
END_TEST

/* The #SS for the return address comes before the #GP(0) of the target offset. */
START_TEST(call_far_stack_fault_before_offset_fault)
{
    struct machine *m = far_machine(0);
    seg_load(m, EMU_SEG_SS, 0x10, 0, 7, A_DATA32);
    R(m, RSP) = 4;
    ck_exc(m, "9a001000003800", EMU_SS, 0);
    machine_free(m);
}
END_TEST

START_TEST(call_gate_same_privilege)
{
    struct machine *m = far_machine(0);
    ck_ok(m, "9a000000005000"); /* the gate's offset wins */
    ck_assert_uint_eq(m->regs.rip, 0x403000);
    ck_assert_uint_eq(R(m, RSP), 0x7ff8);
    ck_assert_uint_eq(peek(m, 0x7ff8, 4), 0x401007);
    ck_assert_uint_eq(peek(m, 0x7ffc, 4), 0x08);
    ck_seg(m, EMU_SEG_CS, 0x08, 0, 0xffffffff, 0xc9b);
    machine_free(m);
}
END_TEST

/* CPL 3 -> CPL 0 through a DPL-3 gate with 2 parameters: SS0:ESP0 from the TSS; old SS,
 * old ESP, the parameters (in order) and CS:EIP on the new stack. */
START_TEST(call_gate_more_privileged_switches_stack_and_copies_params)
{
    struct machine *m = far_machine(3);
    poke(m, 0x7000, 0x11111111, 4);
    poke(m, 0x7004, 0x22222222, 4);
    ck_ok(m, "9a000000004300");
    ck_assert_uint_eq(R(m, RSP), 0x8fe8);
    ck_assert_uint_eq(peek(m, 0x8ffc, 4), 0x1b);
    ck_assert_uint_eq(peek(m, 0x8ff8, 4), 0x7000);
    ck_assert_uint_eq(peek(m, 0x8ff4, 4), 0x22222222);
    ck_assert_uint_eq(peek(m, 0x8ff0, 4), 0x11111111);
    ck_assert_uint_eq(peek(m, 0x8fec, 4), 0x23);
    ck_assert_uint_eq(peek(m, 0x8fe8, 4), 0x401007);
    ck_seg(m, EMU_SEG_CS, 0x08, 0, 0xffffffff, 0xc9b);
    ck_seg(m, EMU_SEG_SS, 0x10, 0, 0xffffffff, 0xc93);
    ck_assert_uint_eq(machine_cpl(m), 0);
    ck_assert_uint_eq(m->regs.rip, 0x402000);

    /* ... and RETF 8 returns to CPL 3, releasing the parameters on both stacks; DS (DPL 0)
     * is nulled, ES (DPL 3) kept. */
    ck_ok(m, "ca0800");
    ck_assert_uint_eq(m->regs.rip, 0x401007);
    ck_seg(m, EMU_SEG_CS, 0x23, 0, 0xffffffff, A_CODE32 | DPL(3));
    ck_seg(m, EMU_SEG_SS, 0x1b, 0, 0xffffffff, A_DATA32 | DPL(3));
    ck_assert_uint_eq(R(m, RSP), 0x7008);
    ck_assert_uint_eq(m->segs[EMU_SEG_DS].sel, 0);
    ck_assert_uint_eq(m->segs[EMU_SEG_DS].attr & EMU_SEGATTR_P, 0);
    ck_assert_uint_eq(m->segs[EMU_SEG_ES].sel, 0x1b);
    ck_assert_uint_eq(machine_cpl(m), 3);
    machine_free(m);
}
END_TEST

/* A 16-bit gate copies 16-bit parameters and pushes 16-bit values. */
START_TEST(call_gate16_more_privileged)
{
    struct machine *m = far_machine(3);
    poke(m, 0x7000, 0x3344, 2);
    ck_ok(m, "9a000000007300");
    ck_assert_uint_eq(R(m, RSP), 0x8ff6);
    ck_assert_uint_eq(peek(m, 0x8ffe, 2), 0x1b);
    ck_assert_uint_eq(peek(m, 0x8ffc, 2), 0x7000);
    ck_assert_uint_eq(peek(m, 0x8ffa, 2), 0x3344);
    ck_assert_uint_eq(peek(m, 0x8ff8, 2), 0x23);
    ck_assert_uint_eq(peek(m, 0x8ff6, 2), 0x1007);
    ck_assert_uint_eq(m->regs.rip, 0x4000);
    machine_free(m);
}
END_TEST

START_TEST(call_gate_dpl_below_cpl_or_rpl_gp_gate)
{
    struct machine *m = far_machine(3);
    ck_exc(m, "9a000000005300", EMU_GP, 0x50); /* DPL 0 gate at CPL 3 */
    machine_free(m);
    m = far_machine(0);
    ck_exc(m, "9a000000005300", EMU_GP, 0x50); /* RPL 3 > gate DPL 0 */
    machine_free(m);
}
END_TEST

START_TEST(call_gate_not_present_np_gate)
{
    struct machine *m = far_machine(3);
    ck_exc(m, "9a000000005b00", EMU_NP, 0x58);
    machine_free(m);
}
END_TEST

START_TEST(call_gate_null_target_gp0)
{
    struct machine *m = far_machine(3);
    ck_exc(m, "9a000000006300", EMU_GP, 0);
    machine_free(m);
}
END_TEST

/* The inner stack: TSS SS0 null -> #TS(0), RPL != DPL -> #TS(SS), not present -> #SS(SS),
 * ESP0/SS0 outside the TSS limit -> #TS(TR). */
START_TEST(call_gate_inner_stack_faults)
{
    struct machine *m = far_machine(3);
    poke(m, TSS32 + 8, 0x00, 2);
    ck_exc(m, "9a000000004300", EMU_TS, 0);
    poke(m, TSS32 + 8, 0x11, 2);
    ck_exc(m, "9a000000004300", EMU_TS, 0x10);
    poke(m, TSS32 + 8, 0x1b, 2); /* DPL 3 stack for CPL 0 */
    ck_exc(m, "9a000000004300", EMU_TS, 0x18);
    gdt_set(m, 2, 0, 0xfffff, 0xc13); /* SS0 not present */
    poke(m, TSS32 + 8, 0x10, 2);
    ck_exc(m, "9a000000004300", EMU_SS, 0x10);
    gdt_set(m, 2, 0, 0xfffff, A_DATA32);
    m->segs[EMU_SEG_TR].limit = 8;
    ck_exc(m, "9a000000004300", EMU_TS, 0x48);
    machine_free(m);
}
END_TEST

/* JMP through a call gate never changes privilege: a more privileged target is #GP(CS). */
START_TEST(jmp_call_gate_to_more_privileged_gp_cs)
{
    struct machine *m = far_machine(3);
    ck_exc(m, "ea000000004300", EMU_GP, 0x08);
    machine_free(m);
}
END_TEST

/* 64-bit call gate (long mode): 16-byte gate, RSP0 from the 64-bit TSS, SS null with RPL 0,
 * 8-byte pushes of SS, RSP, CS, RIP; no parameter copy. */
START_TEST(call_gate64_to_ring0)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    sys_tables(m, 16);
    gdt_set(m, 1, 0, 0xfffff, A_CODE64);
    gdt_set(m, 2, 0, 0xfffff, A_DATA32);
    gdt_set(m, 3, 0, 0xfffff, A_DATA32 | DPL(3));
    gdt_set(m, 4, 0, 0xfffff, A_CODE64 | DPL(3));
    gdt_gate(m, 5, 0x08, 0xffff800000001000ull, 12, 3, 0, 1);
    gdt_set(m, 7, TSS32, 0x67, 0x089);
    seg_load(m, EMU_SEG_TR, 0x38, TSS32, 0x67, 0x8b);
    poke(m, TSS32 + 4, 0xffff800000009000ull, 8);
    seg_load(m, EMU_SEG_CS, 0x23, 0, 0xffffffff, A_CODE64 | DPL(3));
    seg_load(m, EMU_SEG_SS, 0x1b, 0, 0xffffffff, A_DATA32 | DPL(3));
    R(m, RSP) = 0x7000;
    poke(m, 0x3004, 0x2b, 2);
    R(m, RBX) = 0x3000;
    ck_ok(m, "ff1b"); /* call far [rbx] (m16:32) */
    ck_assert_uint_eq(R(m, RSP), 0xffff800000008fe0ull);
    ck_assert_uint_eq(peek(m, 0xffff800000008ff8ull, 8), 0x1b);
    ck_assert_uint_eq(peek(m, 0xffff800000008ff0ull, 8), 0x7000);
    ck_assert_uint_eq(peek(m, 0xffff800000008fe8ull, 8), 0x23);
    ck_assert_uint_eq(peek(m, 0xffff800000008fe0ull, 8), 0x401002);
    ck_assert_uint_eq(m->regs.rip, 0xffff800000001000ull);
    ck_assert_uint_eq(m->segs[EMU_SEG_SS].sel, 0);
    ck_assert_uint_eq(machine_cpl(m), 0);
    ck_assert_uint_eq(m->segs[EMU_SEG_CS].sel, 0x08);
    /* A 16-bit call gate type is not valid in long mode. */
    gdt_gate(m, 9, 0x08, 0x1000, 4, 3, 0, 0);
    poke(m, 0x3004, 0x4b, 2);
    ck_exc(m, "ff1b", EMU_GP, 0x48);
    machine_free(m);
}
END_TEST

/* ---- RETF --------------------------------------------------------------------------------------- */

START_TEST(retf_same_level_and_imm16)
{
    struct machine *m = far_machine(0);
    poke(m, 0x8000, 0x402000, 4);
    poke(m, 0x8004, 0x08, 4);
    ck_ok(m, "ca1000");
    ck_assert_uint_eq(m->regs.rip, 0x402000);
    ck_assert_uint_eq(R(m, RSP), 0x8018);
    ck_assert_uint_eq(m->segs[EMU_SEG_DS].sel, 0x10); /* same level: nothing nulled */
    machine_free(m);
}
END_TEST

START_TEST(retf_rpl_below_cpl_gp_sel)
{
    struct machine *m = far_machine(3);
    poke(m, 0x7000, 0x402000, 4);
    poke(m, 0x7004, 0x08, 4);
    ck_exc(m, "cb", EMU_GP, 0x08);
    machine_free(m);
}
END_TEST

START_TEST(retf_outer_ss_checks)
{
    struct machine *m = far_machine(0);
    poke(m, 0x8000, 0x401000, 4);
    poke(m, 0x8004, 0x23, 4);
    poke(m, 0x8008, 0x6000, 4);
    poke(m, 0x800c, 0x00, 4);
    ck_exc(m, "cb", EMU_GP, 0); /* null SS */
    poke(m, 0x800c, 0x13, 4);
    ck_exc(m, "cb", EMU_GP, 0x10); /* DPL 0 stack for RPL 3 */
    poke(m, 0x800c, 0x1a, 4);
    ck_exc(m, "cb", EMU_GP, 0x18); /* SS.RPL != CS.RPL */
    machine_free(m);
}
END_TEST

START_TEST(retf_not_present_np)
{
    struct machine *m = far_machine(0);
    poke(m, 0x8000, 0x401000, 4);
    poke(m, 0x8004, 0x30, 4);
    ck_exc(m, "cb", EMU_NP, 0x30);
    machine_free(m);
}
END_TEST

START_TEST(retf_real_mode)
{
    struct machine *m = tm_new(EMU_MODE_REAL);
    R(m, RSP) = 0x100;
    poke(m, 0x100, 0x5678, 2);
    poke(m, 0x102, 0x1234, 2);
    ck_ok(m, "cb");
    ck_seg(m, EMU_SEG_CS, 0x1234, 0x12340, 0xffff, 0x9b);
    ck_assert_uint_eq(m->regs.rip, 0x5678);
    ck_assert_uint_eq(R(m, RSP), 0x104);
    machine_free(m);
}
END_TEST

START_TEST(retfq_64bit)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    sys_tables(m, 16);
    gdt_set(m, 1, 0, 0xfffff, A_CODE64);
    R(m, RSP) = 0x8000;
    poke(m, 0x8000, 0x0000123456789000ull, 8);
    poke(m, 0x8008, 0x08, 8);
    ck_ok(m, "48cb");
    ck_assert_uint_eq(m->regs.rip, 0x0000123456789000ull);
    ck_assert_uint_eq(R(m, RSP), 0x8010);
    machine_free(m);
}
END_TEST

/* ---- IRET --------------------------------------------------------------------------------------- */

START_TEST(iret_real_mode_16_and_32)
{
    struct machine *m = tm_new(EMU_MODE_REAL);
    R(m, RSP) = 0x100;
    poke(m, 0x100, 0x2222, 2);
    poke(m, 0x102, 0x3000, 2);
    poke(m, 0x104, 0x0ed7, 2);
    ck_ok(m, "cf");
    ck_assert_uint_eq(m->regs.rip, 0x2222);
    ck_assert_uint_eq(m->segs[EMU_SEG_CS].base, 0x30000);
    ck_assert_uint_eq(FLAGS(m), 0x0ed7);
    ck_assert_uint_eq(R(m, RSP), 0x106);
    /* 32-bit: EFLAGS & 257FD5h, VM/VIF/VIP kept (here VIF set before) */
    m->regs.rip = 0x1000;
    seg_load(m, EMU_SEG_CS, 0, 0, 0xffff, 0x9b);
    FLAGS(m) = 0x80002;
    R(m, RSP) = 0x100;
    poke(m, 0x100, 0x2222, 4);
    poke(m, 0x104, 0x0, 4);
    poke(m, 0x108, 0xffffffff, 4);
    ck_ok(m, "66cf");
    ck_assert_uint_eq(FLAGS(m), 0x2d7fd7);
    machine_free(m);
}
END_TEST

START_TEST(iret_v86_iopl3)
{
    struct machine *m = tm_new(EMU_MODE_V86);
    FLAGS(m) = EMU_FLAG_VM | EMU_FLAG_IOPL | 2;
    R(m, RSP) = 0x100;
    poke(m, 0x100, 0x2222, 2);
    poke(m, 0x102, 0x3000, 2);
    poke(m, 0x104, 0x0202, 2); /* IOPL 0 in the image: IOPL is kept */
    ck_ok(m, "cf");
    ck_assert_uint_eq(FLAGS(m), EMU_FLAG_VM | EMU_FLAG_IOPL | 0x202);
    ck_seg(m, EMU_SEG_CS, 0x3000, 0x30000, 0xffff, 0xfb);
    machine_free(m);
}
END_TEST

/* v86, IOPL < 3: #GP(0) without VME or with a 32-bit IRET; with VME, IF goes to VIF, and a
 * popped TF (or IF with VIP pending) is #GP(0). */
START_TEST(iret_v86_vme_rules)
{
    struct machine *m = tm_new(EMU_MODE_V86);
    FLAGS(m) = EMU_FLAG_VM | 2;
    R(m, RSP) = 0x100;
    poke(m, 0x100, 0x2222, 2);
    poke(m, 0x102, 0x3000, 2);
    poke(m, 0x104, 0x0203, 2);
    ck_exc(m, "cf", EMU_GP, 0);
    m->cr[4] |= EMU_CR4_VME;
    ck_exc(m, "66cf", EMU_GP, 0);
    ck_ok(m, "cf");
    ck_assert_uint_eq(FLAGS(m), EMU_FLAG_VM | EMU_FLAG_VIF | 3);
    m->regs.rip = 0x1000;
    seg_load(m, EMU_SEG_CS, 0, 0, 0xffff, 0xfb);
    R(m, RSP) = 0x100;
    poke(m, 0x104, 0x0302, 2); /* TF */
    ck_exc(m, "cf", EMU_GP, 0);
    FLAGS(m) |= EMU_FLAG_VIP;
    poke(m, 0x104, 0x0202, 2); /* IF with VIP */
    ck_exc(m, "cf", EMU_GP, 0);
    machine_free(m);
}
END_TEST

/* Same level: IOPL changes only at CPL 0, IF only when CPL <= IOPL; RF is loaded. */
START_TEST(iret_protected_flag_rules)
{
    struct machine *m = far_machine(3);
    FLAGS(m) = 0x2; /* IOPL 0, IF 0 */
    poke(m, 0x7000, 0x401000, 4);
    poke(m, 0x7004, 0x23, 4);
    poke(m, 0x7008, 0x13202 | EMU_FLAG_RF, 4); /* IOPL 3, IF, RF */
    ck_ok(m, "cf");
    ck_assert_uint_eq(FLAGS(m), 0x10002);
    ck_assert_uint_eq(R(m, RSP), 0x700c);
    machine_free(m);
    m = far_machine(0);
    poke(m, 0x8000, 0x401000, 4);
    poke(m, 0x8004, 0x08, 4);
    poke(m, 0x8008, 0x3202, 4);
    ck_ok(m, "cf");
    ck_assert_uint_eq(FLAGS(m), 0x3202);
    machine_free(m);
}
END_TEST

START_TEST(iret_to_outer_level)
{
    struct machine *m = far_machine(0);
    poke(m, 0x8000, 0x401000, 4);
    poke(m, 0x8004, 0x23, 4);
    poke(m, 0x8008, 0x202, 4);
    poke(m, 0x800c, 0x6000, 4);
    poke(m, 0x8010, 0x1b, 4);
    ck_ok(m, "cf");
    ck_assert_uint_eq(machine_cpl(m), 3);
    ck_assert_uint_eq(R(m, RSP), 0x6000);
    ck_assert_uint_eq(m->segs[EMU_SEG_DS].sel, 0);
    ck_assert_uint_eq(m->segs[EMU_SEG_ES].sel, 0);
    ck_assert_uint_eq(FLAGS(m), 0x202);
    machine_free(m);
}
END_TEST

START_TEST(iret_to_v86_from_cpl0)
{
    struct machine *m = far_machine(0);
    const uint32_t frame[9] = { 0x12345, 0x2000, 0x20202, 0x0ffe, 0x3000, 0x4000, 0x5000, 0x6000, 0x7000 };
    for (unsigned i = 0; i < 9; i++) poke(m, 0x8000 + 4 * i, frame[i], 4);
    ck_ok(m, "cf");
    ck_assert_uint_eq(m->regs.rip, 0x2345);
    ck_assert_uint_eq(FLAGS(m), 0x20202);
    ck_assert_uint_eq(R(m, RSP), 0x0ffe);
    ck_seg(m, EMU_SEG_CS, 0x2000, 0x20000, 0xffff, 0xfb);
    ck_seg(m, EMU_SEG_SS, 0x3000, 0x30000, 0xffff, 0xf3);
    ck_seg(m, EMU_SEG_ES, 0x4000, 0x40000, 0xffff, 0xf3);
    ck_seg(m, EMU_SEG_DS, 0x5000, 0x50000, 0xffff, 0xf3);
    ck_seg(m, EMU_SEG_FS, 0x6000, 0x60000, 0xffff, 0xf3);
    ck_seg(m, EMU_SEG_GS, 0x7000, 0x70000, 0xffff, 0xf3);
    ck_assert_uint_eq(machine_cpl(m), 3);
    machine_free(m);
}
END_TEST

/* 64-bit mode: IRETQ pops SS:RSP even at the same level (a null SS is fine for CPL 0). */
START_TEST(iretq_pops_ss_rsp_same_level)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    sys_tables(m, 16);
    gdt_set(m, 1, 0, 0xfffff, A_CODE64);
    seg_load(m, EMU_SEG_CS, 0x08, 0, 0xffffffff, A_CODE64);
    R(m, RSP) = 0x8000;
    const uint64_t frame[5] = { 0xffff800000001234ull, 0x08, 0x246, 0x9000, 0x0 };
    for (unsigned i = 0; i < 5; i++) poke(m, 0x8000 + 8 * i, frame[i], 8);
    ck_ok(m, "48cf");
    ck_assert_uint_eq(m->regs.rip, 0xffff800000001234ull);
    ck_assert_uint_eq(R(m, RSP), 0x9000);
    ck_assert_uint_eq(m->segs[EMU_SEG_SS].sel, 0);
    ck_assert_uint_eq(FLAGS(m), 0x246);
    machine_free(m);
}
END_TEST

START_TEST(iretq_to_ring3_null_ss_gp0)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    sys_tables(m, 16);
    gdt_set(m, 4, 0, 0xfffff, A_CODE64 | DPL(3));
    gdt_set(m, 3, 0, 0xfffff, A_DATA32 | DPL(3));
    R(m, RSP) = 0x8000;
    const uint64_t frame[5] = { 0x401000, 0x23, 0x202, 0x7000, 0x0 };
    for (unsigned i = 0; i < 5; i++) poke(m, 0x8000 + 8 * i, frame[i], 8);
    ck_exc(m, "48cf", EMU_GP, 0);
    poke(m, 0x8020, 0x1b, 8);
    ck_ok(m, "48cf");
    ck_assert_uint_eq(machine_cpl(m), 3);
    ck_assert_uint_eq(R(m, RSP), 0x7000);
    machine_free(m);
}
END_TEST

START_TEST(iret_nt_in_long_mode_gp0)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    FLAGS(m) |= EMU_FLAG_NT;
    ck_exc(m, "48cf", EMU_GP, 0);
    machine_free(m);
}
END_TEST

/* The IRET intercept (0x74) precedes every exception, even a stack fault. */
START_TEST(iret_intercept_first)
{
    struct emu_config c = tm_cfg(EMU_VENDOR_AMD);
    c.nested = 1;
    struct machine *m = tm_new_cfg(EMU_MODE_PROT32, &c);
    machine_intercept(m, 0x74, 1);
    R(m, RSP) = 0xfffffffe;
    enum emu_status st = tm_run(m, "cf");
    ck_assert_int_eq(st, EMU_INTERCEPT);
    ck_assert_uint_eq(m->ctx.result.intercept.exit_code, 0x74);
    machine_intercept(m, 0x74, 0);
    ck_exc(m, "cf", EMU_SS, 0);
    machine_free(m);
}
END_TEST

static Suite *far_suite(void)
{
    Suite *s = suite_create("far");
    TCase *t = tcase_create("far");
    tcase_add_test(t, jmp_far_to_code_same_cpl);
    tcase_add_test(t, jmp_far_null_selector_gp0);
    tcase_add_test(t, jmp_far_nonconforming_needs_dpl_eq_cpl_and_rpl_le_cpl);
    tcase_add_test(t, jmp_far_conforming_keeps_cpl);
    tcase_add_test(t, jmp_far_not_present_np);
    tcase_add_test(t, jmp_far_offset_beyond_limit_gp0);
    tcase_add_test(t, jmp_far_to_data_or_outside_gdt_gp_sel);
    tcase_add_test(t, jmp_far_real_mode);
    tcase_add_test(t, jmp_far_m16_64_by_vendor);
    tcase_add_test(t, jmp_far_long_mode_target_rules);
    tcase_add_test(t, call_far_pushes_cs_and_eip);
    tcase_add_test(t, call_far_16bit_operand);
    tcase_add_test(t, call_far_stack_fault_before_offset_fault);
    tcase_add_test(t, call_gate_same_privilege);
    tcase_add_test(t, call_gate_more_privileged_switches_stack_and_copies_params);
    tcase_add_test(t, call_gate16_more_privileged);
    tcase_add_test(t, call_gate_dpl_below_cpl_or_rpl_gp_gate);
    tcase_add_test(t, call_gate_not_present_np_gate);
    tcase_add_test(t, call_gate_null_target_gp0);
    tcase_add_test(t, call_gate_inner_stack_faults);
    tcase_add_test(t, jmp_call_gate_to_more_privileged_gp_cs);
    tcase_add_test(t, call_gate64_to_ring0);
    tcase_add_test(t, retf_same_level_and_imm16);
    tcase_add_test(t, retf_rpl_below_cpl_gp_sel);
    tcase_add_test(t, retf_outer_ss_checks);
    tcase_add_test(t, retf_not_present_np);
    tcase_add_test(t, retf_real_mode);
    tcase_add_test(t, retfq_64bit);
    tcase_add_test(t, iret_real_mode_16_and_32);
    tcase_add_test(t, iret_v86_iopl3);
    tcase_add_test(t, iret_v86_vme_rules);
    tcase_add_test(t, iret_protected_flag_rules);
    tcase_add_test(t, iret_to_outer_level);
    tcase_add_test(t, iret_to_v86_from_cpl0);
    tcase_add_test(t, iretq_pops_ss_rsp_same_level);
    tcase_add_test(t, iretq_to_ring3_null_ss_gp0);
    tcase_add_test(t, iret_nt_in_long_mode_gp0);
    tcase_add_test(t, iret_intercept_first);
    suite_add_tcase(s, t);
    return s;
}
REGISTER_SUITE(far_suite)
