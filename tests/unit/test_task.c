/*
 * Hardware task switches: a small 32-bit protected-mode program (a GDT, two 32-bit TSSs, a task
 * gate, an LDT, code in both tasks) that switches with CALL, returns with IRET (NT), switches
 * again with JMP through a task gate and JMPs back, checking the whole register, segment,
 * TSS-memory and event state after each step; then the individual rules (busy bits, #TS/#NP
 * error codes, faults after the commit point, 16-bit TSS, the nested TASK_SWITCH intercept).
 */
#include "systest.h"

#define TSS_A 0x20000u
#define TSS_B 0x21000u
#define TSS_C 0x22000u
#define SEL_A 0x18
#define SEL_B 0x20
#define SEL_GATE_B 0x28
#define SEL_LDT 0x30
#define SEL_C 0x38

static const uint32_t regs_b[8] = { 0xb0, 0xb1, 0xb2, 0xb3, 0x9000, 0xb5, 0xb6, 0xb7 };

/* GDT: 1 code32, 2 data32, 3 TSS A (busy, current), 4 TSS B (available), 5 task gate -> B
 * (DPL 0), 6 LDT (entry 1: data at 0x5000), 7 16-bit TSS C.  Paging on (CR3 0x3000) so that
 * the switch loads CR3 from B (0x5000). */
static struct machine *task_machine(void)
{
    struct machine *m = tm_new(EMU_MODE_PROT32);
    sys_tables(m, 8);
    gdt_set(m, 1, 0, 0xfffff, A_CODE32);
    gdt_set(m, 2, 0, 0xfffff, A_DATA32);
    gdt_set(m, 3, TSS_A, 0x67, 0x08b);
    gdt_set(m, 4, TSS_B, 0x67, 0x089);
    gdt_gate(m, 5, SEL_B, 0, 5, 0, 0, 0);
    gdt_set(m, 6, LDT_BASE, 0xf, 0x082);
    gdt_set(m, 7, TSS_C, 0x2b, 0x081);
    ldt_set(m, 1, 0x5000, 0xffff, 0x093);
    for (unsigned s = 0; s < 6; s++) seg_load(m, s, 0x10, 0, 0xffffffff, A_DATA32);
    seg_load(m, EMU_SEG_CS, 0x08, 0, 0xffffffff, A_CODE32);
    seg_load(m, EMU_SEG_TR, SEL_A, TSS_A, 0x67, 0x8b);
    seg_load(m, EMU_SEG_LDTR, 0, 0, 0, 0);
    m->cr[0] |= EMU_CR0_PG;
    m->cr[3] = 0x3000;
    poke(m, TSS_A + 0x1c, 0x3000, 4);
    /* Task B's image */
    poke(m, TSS_B + 0x1c, 0x5000, 4);
    poke(m, TSS_B + 0x20, 0x402000, 4);
    poke(m, TSS_B + 0x24, 0x202, 4);
    for (unsigned r = 0; r < 8; r++) poke(m, TSS_B + 0x28 + 4 * r, regs_b[r], 4);
    const uint16_t sel_b[6] = { 0x10, 0x08, 0x10, 0x10, 0x0c, 0x00 }; /* ES CS SS DS FS GS */
    for (unsigned i = 0; i < 6; i++) poke(m, TSS_B + 0x48 + 4 * i, sel_b[i], 4);
    poke(m, TSS_B + 0x60, SEL_LDT, 2);
    /* Task A's registers */
    for (unsigned r = 0; r < 8; r++) m->regs.gpr[r] = 0xa0 + r;
    R(m, RSP) = 0x8000;
    FLAGS(m) = 0x246;
    return m;
}

static void check_task_b_loaded(struct machine *m, uint32_t eip, uint32_t eflags)
{
    for (unsigned r = 0; r < 8; r++) ck_assert_uint_eq(m->regs.gpr[r], regs_b[r]);
    ck_assert_uint_eq(m->regs.rip, eip);
    ck_assert_uint_eq(FLAGS(m), eflags);
    ck_seg(m, EMU_SEG_TR, SEL_B, TSS_B, 0x67, 0x8b);
    ck_seg(m, EMU_SEG_CS, 0x08, 0, 0xffffffff, A_CODE32);
    ck_seg(m, EMU_SEG_SS, 0x10, 0, 0xffffffff, A_DATA32);
    ck_seg(m, EMU_SEG_DS, 0x10, 0, 0xffffffff, A_DATA32);
    ck_seg(m, EMU_SEG_ES, 0x10, 0, 0xffffffff, A_DATA32);
    ck_seg(m, EMU_SEG_FS, 0x0c, 0x5000, 0xffff, 0x093);
    ck_assert_uint_eq(m->segs[EMU_SEG_GS].sel, 0);
    ck_assert_uint_eq(m->segs[EMU_SEG_GS].attr & EMU_SEGATTR_P, 0);
    ck_seg(m, EMU_SEG_LDTR, SEL_LDT, LDT_BASE, 0xf, 0x082);
    ck_assert_uint_eq(m->cr[3], 0x5000);
    ck_assert(m->cr[0] & EMU_CR0_TS);
}

static void check_task_a_loaded(struct machine *m, uint32_t eip)
{
    for (unsigned r = 0; r < 8; r++)
        ck_assert_uint_eq(m->regs.gpr[r], r == EMU_RSP ? 0x8000 : 0xa0 + r);
    ck_assert_uint_eq(m->regs.rip, eip);
    ck_assert_uint_eq(FLAGS(m), 0x246);
    ck_seg(m, EMU_SEG_TR, SEL_A, TSS_A, 0x67, 0x8b);
    for (unsigned s = 0; s < 6; s++) {
        if (s == EMU_SEG_CS) ck_seg(m, s, 0x08, 0, 0xffffffff, A_CODE32);
        else ck_seg(m, s, 0x10, 0, 0xffffffff, A_DATA32);
    }
    ck_assert_uint_eq(m->segs[EMU_SEG_LDTR].sel, 0);
    ck_assert_uint_eq(m->cr[3], 0x3000);
}

/* The saved state of task A in its TSS after it left at eip. */
static void check_a_saved(struct machine *m, uint32_t eip)
{
    ck_assert_uint_eq(peek(m, TSS_A + 0x20, 4), eip);
    ck_assert_uint_eq(peek(m, TSS_A + 0x24, 4), 0x246);
    for (unsigned r = 0; r < 8; r++)
        ck_assert_uint_eq(peek(m, TSS_A + 0x28 + 4 * r, 4), r == EMU_RSP ? 0x8000 : 0xa0 + r);
    const uint16_t sel[6] = { 0x10, 0x08, 0x10, 0x10, 0x10, 0x10 };
    for (unsigned i = 0; i < 6; i++) ck_assert_uint_eq(peek(m, TSS_A + 0x48 + 4 * i, 2), sel[i]);
}

static unsigned busy(struct machine *m, unsigned sel) { return (peek(m, GDT_BASE + sel + 5, 1) >> 1) & 1; }

START_TEST(task_program_call_iret_jmp_gate_jmp_back)
{
    struct machine *m = task_machine();

    /* 1. Task A: CALL 0x20:0 -> task B, nested (back link, NT, both busy). */
    m->nevents = 0;
    ck_ok(m, "9a000000002000");
    check_task_b_loaded(m, 0x402000, 0x4202);
    check_a_saved(m, 0x401007);
    ck_assert_uint_eq(peek(m, TSS_B, 2), SEL_A);
    ck_assert_uint_eq(busy(m, SEL_A), 1);
    ck_assert_uint_eq(busy(m, SEL_B), 1);
    const struct emu_event *e = find_ev(m, EMU_EV_TLB_FLUSH);
    ck_assert_ptr_nonnull(e);
    ck_assert_uint_eq(e->kind, EMU_TLB_CR3);
    ck_assert_uint_eq(e->reason, EMU_IMPL_TASK_SWITCH);
    e = find_ev(m, EMU_EV_RAP_CLEAR);
    ck_assert_ptr_nonnull(e);
    ck_assert_uint_eq(e->reason, EMU_RAP_TASK_SWITCH);
    ck_assert_uint_eq(count_ev(m, EMU_EV_RAP_CLEAR), 1);

    /* 2. Task B: IRET with NT -> back to A; B's state saved with NT clear, B not busy. */
    m->cr[0] &= ~(uint64_t)EMU_CR0_TS;
    R(m, RAX) = 0xb00;
    ck_ok(m, "cf");
    check_task_a_loaded(m, 0x401007);
    ck_assert_uint_eq(peek(m, TSS_B + 0x20, 4), 0x402001);
    ck_assert_uint_eq(peek(m, TSS_B + 0x24, 4), 0x202);
    ck_assert_uint_eq(peek(m, TSS_B + 0x28, 4), 0xb00);
    ck_assert_uint_eq(peek(m, TSS_B + 0x48 + 4 * 4, 2), 0x0c); /* FS saved */
    ck_assert_uint_eq(busy(m, SEL_B), 0);
    ck_assert_uint_eq(busy(m, SEL_A), 1);
    ck_assert(m->cr[0] & EMU_CR0_TS);

    /* 3. Task A: JMP through the task gate -> B resumes after its IRET; A not busy, no NT. */
    ck_ok(m, "ea000000002800");
    ck_assert_uint_eq(m->regs.rip, 0x402001);
    ck_assert_uint_eq(R(m, RAX), 0xb00);
    ck_assert_uint_eq(FLAGS(m), 0x202);
    ck_seg(m, EMU_SEG_TR, SEL_B, TSS_B, 0x67, 0x8b);
    ck_assert_uint_eq(busy(m, SEL_A), 0);
    ck_assert_uint_eq(busy(m, SEL_B), 1);
    check_a_saved(m, 0x40100e);
    ck_assert_uint_eq(peek(m, TSS_B, 2), SEL_A); /* the back link is not rewritten by JMP */

    /* 4. Task B: JMP 0x18:0 -> A (available again). */
    ck_ok(m, "ea000000001800");
    check_task_a_loaded(m, 0x40100e);
    ck_assert_uint_eq(busy(m, SEL_A), 1);
    ck_assert_uint_eq(busy(m, SEL_B), 0);
    ck_assert_uint_eq(peek(m, TSS_B + 0x20, 4), 0x402008);

    /* 5. Task A: a JMP to its own (busy) TSS is #GP(sel), and nothing changes. */
    ck_exc(m, "ea000000001800", EMU_GP, SEL_A);
    ck_assert_uint_eq(m->regs.rip, 0x40100e);
    machine_free(m);
}
END_TEST

/* IRET with NT whose back link names an available (not busy) TSS: #TS(link). */
START_TEST(task_iret_link_not_busy_ts)
{
    struct machine *m = task_machine();
    FLAGS(m) |= EMU_FLAG_NT;
    poke(m, TSS_A, SEL_B, 2);
    ck_exc(m, "cf", EMU_TS, SEL_B);
    poke(m, TSS_A, 0x24, 2); /* LDT selector */
    ck_exc(m, "cf", EMU_TS, 0x24);
    machine_free(m);
}
END_TEST

START_TEST(task_call_busy_tss_gp)
{
    struct machine *m = task_machine();
    ck_exc(m, "9a000000001800", EMU_GP, SEL_A);
    gdt_set(m, 4, TSS_B, 0x67, 0x009); /* not present */
    ck_exc(m, "9a000000002000", EMU_NP, SEL_B);
    machine_free(m);
}
END_TEST

/* A new TSS with a limit below 67h is #TS(new TSS), with nothing written. */
START_TEST(task_new_tss_limit_ts)
{
    struct machine *m = task_machine();
    gdt_set(m, 4, TSS_B, 0x66, 0x089);
    ck_exc(m, "9a000000002000", EMU_TS, SEL_B);
    ck_assert_uint_eq(busy(m, SEL_B), 0);
    ck_assert_uint_eq(peek(m, TSS_A + 0x20, 4), 0);
    machine_free(m);
}
END_TEST

/* Task gate rules: DPL < CPL -> #GP(gate); the gate's TSS must be an available TSS -> #GP(TSS). */
START_TEST(task_gate_rules)
{
    struct machine *m = task_machine();
    tm_set_cpl(m, 3);
    m->segs[EMU_SEG_CS].sel = 0x0b;
    ck_exc(m, "ea000000002b00", EMU_GP, SEL_GATE_B);
    machine_free(m);
    m = task_machine();
    gdt_gate(m, 5, SEL_A, 0, 5, 0, 0, 0); /* gate to the busy TSS */
    ck_exc(m, "ea000000002800", EMU_GP, SEL_A);
    gdt_gate(m, 5, 0x10, 0, 5, 0, 0, 0); /* gate to a data segment */
    ck_exc(m, "ea000000002800", EMU_GP, 0x10);
    machine_free(m);
}
END_TEST

/* Task switches do not exist in long mode: a TSS selector in a far JMP is #GP(sel). */
START_TEST(task_switch_in_long_mode_gp)
{
    struct machine *m = tm_new(EMU_MODE_COMPAT32);
    sys_tables(m, 8);
    gdt_set(m, 4, TSS_B, 0x67, 0x089);
    ck_exc(m, "ea000000002000", EMU_GP, SEL_B);
    machine_free(m);
}
END_TEST

/* A fault in the new task's segments comes after the commit point: the switch is committed
 * (TR, registers, RIP = the new task's EIP, busy bits) and the fault is reported, here #TS(SS)
 * for an SS with DPL != CPL. */
START_TEST(task_fault_after_commit_point)
{
    struct machine *m = task_machine();
    poke(m, TSS_B + 0x50, 0x1b, 2); /* SS = 0x1b: RPL 3 != CPL 0 */
    ck_exc(m, "9a000000002000", EMU_TS, 0x18);
    ck_assert_uint_eq(m->regs.rip, 0x402000);
    ck_assert_uint_eq(R(m, RAX), 0xb0);
    ck_assert_uint_eq(m->segs[EMU_SEG_TR].sel, SEL_B);
    ck_assert_uint_eq(busy(m, SEL_B), 1);
    ck_assert_uint_eq(peek(m, TSS_B, 2), SEL_A);
    ck_assert_uint_eq(m->cr[3], 0x5000);
    /* CS was validated before SS; SS holds its selector with an unusable cache, DPL = CPL. */
    ck_seg(m, EMU_SEG_CS, 0x08, 0, 0xffffffff, A_CODE32);
    ck_assert_uint_eq(m->segs[EMU_SEG_SS].sel, 0x1b);
    ck_assert_uint_eq(m->segs[EMU_SEG_SS].attr & EMU_SEGATTR_P, 0);
    ck_assert_uint_eq(machine_cpl(m), 0);
    ck_assert_uint_eq(m->segs[EMU_SEG_DS].sel, 0x10);
    ck_assert_uint_eq(m->segs[EMU_SEG_DS].attr & EMU_SEGATTR_P, 0);
    machine_free(m);
}
END_TEST

/* The new LDT: a TI=1 selector or a non-LDT descriptor is #TS(LDT sel); CS not present is
 * #NP(CS); a null CS is #TS(0). */
START_TEST(task_new_ldt_and_cs_checks)
{
    struct machine *m = task_machine();
    poke(m, TSS_B + 0x60, 0x10, 2);
    ck_exc(m, "9a000000002000", EMU_TS, 0x10);
    machine_free(m);
    m = task_machine();
    gdt_set(m, 1, 0, 0xfffff, 0xc1b); /* CS not present */
    poke(m, TSS_B + 0x4c, 0x08, 2);
    seg_load(m, EMU_SEG_CS, 0x08, 0, 0xffffffff, A_CODE32);
    ck_exc(m, "9a000000002000", EMU_NP, 0x08);
    machine_free(m);
    m = task_machine();
    poke(m, TSS_B + 0x4c, 0x00, 2);
    ck_exc(m, "9a000000002000", EMU_TS, 0);
    machine_free(m);
}
END_TEST

/* A 16-bit TSS: 16-bit fields, upper register words read as FFFFh (Bochs' model), FS and GS
 * null, no CR3 load. */
START_TEST(task_switch_to_16bit_tss)
{
    struct machine *m = task_machine();
    poke(m, TSS_C + 0x0e, 0x1234, 2);
    poke(m, TSS_C + 0x10, 0x0002, 2);
    for (unsigned r = 0; r < 8; r++) poke(m, TSS_C + 0x12 + 2 * r, 0xc0 + r, 2);
    const uint16_t sel[4] = { 0x10, 0x08, 0x10, 0x10 };
    for (unsigned i = 0; i < 4; i++) poke(m, TSS_C + 0x22 + 2 * i, sel[i], 2);
    ck_ok(m, "9a000000003800");
    ck_assert_uint_eq(m->regs.rip, 0x1234);
    ck_assert_uint_eq(FLAGS(m), 0x4002);
    ck_assert_uint_eq(R(m, RAX), 0xffff00c0);
    ck_assert_uint_eq(R(m, RDI), 0xffff00c7);
    ck_assert_uint_eq(m->segs[EMU_SEG_FS].sel, 0);
    ck_assert_uint_eq(m->cr[3], 0x3000);
    ck_seg(m, EMU_SEG_TR, SEL_C, TSS_C, 0x2b, 0x083);
    ck_assert_uint_eq(peek(m, TSS_C, 2), SEL_A);
    machine_free(m);
}
END_TEST

/* Nested guest: the TASK_SWITCH intercept (0x7D) with the new TSS selector and the JMP bit. */
START_TEST(task_switch_intercept)
{
    struct machine *m = task_machine();
    m->cfg.nested = 1;
    machine_reset_ctx(m);
    machine_intercept(m, 0x7d, 1);
    enum emu_status st = tm_run(m, "ea000000002000");
    ck_assert_int_eq(st, EMU_INTERCEPT);
    ck_assert_uint_eq(m->ctx.result.intercept.exit_code, 0x7d);
    ck_assert_uint_eq(m->ctx.result.intercept.info1, SEL_B);
    ck_assert_uint_eq(m->ctx.result.intercept.info2, 1ull << 38);
    ck_assert_uint_eq(busy(m, SEL_B), 0);
    machine_free(m);
}
END_TEST

/* The T flag of the new TSS: the switch completes and a #DB trap is reported, DR6.BT set. */
START_TEST(task_tss_t_flag_debug_trap)
{
    struct machine *m = task_machine();
    poke(m, TSS_B + 0x64, 1, 2);
    ck_exc(m, "9a000000002000", EMU_DB, 0);
    ck_assert_uint_eq(m->regs.rip, 0x402000);
    ck_assert(m->dr[6] & 0x8000);
    machine_free(m);
}
END_TEST

static Suite *task_suite(void)
{
    Suite *s = suite_create("task");
    TCase *t = tcase_create("task");
    tcase_add_test(t, task_program_call_iret_jmp_gate_jmp_back);
    tcase_add_test(t, task_iret_link_not_busy_ts);
    tcase_add_test(t, task_call_busy_tss_gp);
    tcase_add_test(t, task_new_tss_limit_ts);
    tcase_add_test(t, task_gate_rules);
    tcase_add_test(t, task_switch_in_long_mode_gp);
    tcase_add_test(t, task_fault_after_commit_point);
    tcase_add_test(t, task_new_ldt_and_cs_checks);
    tcase_add_test(t, task_switch_to_16bit_tss);
    tcase_add_test(t, task_switch_intercept);
    tcase_add_test(t, task_tss_t_flag_debug_trap);
    suite_add_tcase(s, t);
    return s;
}
REGISTER_SUITE(task_suite)
