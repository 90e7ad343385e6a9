/*
 * emu_deliver: real-mode IVT, protected-mode interrupt/trap gates (same level and with the
 * stack switch), software-interrupt DPL checks, v86 to CPL 0, VME redirection, long mode (IST,
 * alignment), task gates, and the faults of delivery itself (#NP/#GP with the IDT error-code
 * format, #DF, triple fault).
 */
#include "systest.h"

#define TSS32 0x20000u

static struct emu_exception ev(unsigned vec, int has_ec, uint32_t ec)
{
    struct emu_exception e;
    memset(&e, 0, sizeof e);
    e.vector = (uint8_t)vec;
    e.has_error_code = (uint8_t)has_ec;
    e.error_code = ec;
    return e;
}

static struct emu_exception soft(unsigned vec, unsigned len)
{
    struct emu_exception e = ev(vec, 0, 0);
    e.is_soft = 1;
    e.insn_length = (uint8_t)len;
    return e;
}

/* prot32: GDT 1 code32 DPL0, 2 data DPL0, 3 data DPL3, 4 code DPL3, 5 TSS32 (TR).  Interrupt
 * gates DPL 0 to 0x08:0x405000+vec*0x10 for vectors 0..31 (8 and 13 included), a DPL-3 trap
 * gate at 0x80. */
static struct machine *dm(enum emu_mode mode, unsigned cpl)
{
    struct machine *m = tm_new(mode);
    sys_tables(m, 8);
    gdt_set(m, 1, 0, 0xfffff, A_CODE32);
    gdt_set(m, 2, 0, 0xfffff, A_DATA32);
    gdt_set(m, 3, 0, 0xfffff, A_DATA32 | DPL(3));
    gdt_set(m, 4, 0, 0xfffff, A_CODE32 | DPL(3));
    gdt_set(m, 5, TSS32, 0x67, 0x08b);
    seg_load(m, EMU_SEG_TR, 0x28, TSS32, 0x67, 0x8b);
    poke(m, TSS32 + 4, 0x9000, 4);
    poke(m, TSS32 + 8, 0x10, 2);
    for (unsigned v = 0; v < 32; v++) idt_gate(m, v, 0x08, 0x405000 + v * 0x10, 14, 0, 0);
    idt_gate(m, 0x80, 0x08, 0x406000, 15, 3, 0);
    idt_gate(m, 0x81, 0x08, 0x406100, 15, 0, 0);
    seg_load(m, EMU_SEG_CS, 0x08, 0, 0xffffffff, A_CODE32);
    for (unsigned s = 0; s < 6; s++) if (s != EMU_SEG_CS) seg_load(m, s, 0x10, 0, 0xffffffff, A_DATA32);
    if (cpl == 3) {
        seg_load(m, EMU_SEG_CS, 0x23, 0, 0xffffffff, A_CODE32 | DPL(3));
        seg_load(m, EMU_SEG_SS, 0x1b, 0, 0xffffffff, A_DATA32 | DPL(3));
    }
    R(m, RSP) = 0x8000;
    FLAGS(m) = 0x202;
    return m;
}

static void deliver_ok(struct machine *m, struct emu_exception e)
{
    enum emu_status st = emu_deliver(&m->ctx, &e);
    ck_assert_msg(st == EMU_OK, "deliver: status %d (%s), vector %u", st,
                  m->ctx.result.reason ? m->ctx.result.reason : "-", m->ctx.result.exception.vector);
}

START_TEST(deliver_real_mode_ivt)
{
    struct machine *m = tm_new(EMU_MODE_REAL);
    m->dtr_base[EMU_DTR_IDTR] = 0;
    m->dtr_limit[EMU_DTR_IDTR] = 0x3ff;
    poke(m, 0x21 * 4, 0x20001234, 4);
    poke(m, 6 * 4, 0x30005678, 4);
    R(m, RSP) = 0x100;
    FLAGS(m) = 0x40302; /* AC, IF, TF */
    deliver_ok(m, soft(0x21, 2));
    ck_assert_uint_eq(m->regs.rip, 0x1234);
    ck_seg(m, EMU_SEG_CS, 0x2000, 0x20000, 0xffff, 0x9b);
    ck_assert_uint_eq(R(m, RSP), 0xfa);
    ck_assert_uint_eq(peek(m, 0xfa, 2), 0x1002);
    ck_assert_uint_eq(peek(m, 0xfc, 2), 0);
    ck_assert_uint_eq(peek(m, 0xfe, 2), 0x0302);
    ck_assert_uint_eq(FLAGS(m), 0x2);
    /* a fault: IP of the instruction, and no error code even for #GP */
    deliver_ok(m, ev(6, 1, 0));
    ck_assert_uint_eq(m->regs.rip, 0x5678);
    ck_assert_uint_eq(R(m, RSP), 0xf4);
    ck_assert_uint_eq(peek(m, 0xf4, 2), 0x1234);
    machine_free(m);
}
END_TEST

START_TEST(deliver_interrupt_gate_same_level_with_error_code)
{
    struct machine *m = dm(EMU_MODE_PROT32, 0);
    deliver_ok(m, ev(EMU_GP, 1, 0x10));
    ck_assert_uint_eq(m->regs.rip, 0x4050d0);
    ck_assert_uint_eq(R(m, RSP), 0x7ff0);
    ck_assert_uint_eq(peek(m, 0x7ff0, 4), 0x10);
    ck_assert_uint_eq(peek(m, 0x7ff4, 4), 0x401000);
    ck_assert_uint_eq(peek(m, 0x7ff8, 4), 0x08);
    ck_assert_uint_eq(peek(m, 0x7ffc, 4), 0x10202); /* RF = 1 for a fault */
    ck_assert_uint_eq(FLAGS(m), 0x2);               /* IF cleared: interrupt gate */
    machine_free(m);
}
END_TEST

START_TEST(deliver_trap_gate_keeps_if_soft_int_return_address)
{
    struct machine *m = dm(EMU_MODE_PROT32, 3);
    FLAGS(m) = 0x10302; /* RF, TF, IF */
    deliver_ok(m, soft(0x80, 2));
    ck_assert_uint_eq(m->regs.rip, 0x406000);
    ck_assert_uint_eq(FLAGS(m), 0x202); /* TF and RF cleared, IF kept */
    /* CPL 3 -> 0: SS0:ESP0 from the TSS; SS, ESP, EFLAGS, CS, EIP */
    ck_assert_uint_eq(R(m, RSP), 0x8fec);
    ck_assert_uint_eq(peek(m, 0x8ffc, 4), 0x1b);
    ck_assert_uint_eq(peek(m, 0x8ff8, 4), 0x8000);
    ck_assert_uint_eq(peek(m, 0x8ff4, 4), 0x10302);
    ck_assert_uint_eq(peek(m, 0x8ff0, 4), 0x23);
    ck_assert_uint_eq(peek(m, 0x8fec, 4), 0x401002);
    ck_seg(m, EMU_SEG_SS, 0x10, 0, 0xffffffff, A_DATA32);
    ck_assert_uint_eq(machine_cpl(m), 0);
    machine_free(m);
}
END_TEST

/* INT n with gate DPL < CPL: #GP(n*8+2) (EXT = 0), delivered with RIP at the INT. */
START_TEST(deliver_soft_int_gate_dpl_check)
{
    struct machine *m = dm(EMU_MODE_PROT32, 3);
    deliver_ok(m, soft(0x81, 2));
    ck_assert_uint_eq(m->regs.rip, 0x4050d0);
    ck_assert_uint_eq(peek(m, 0x8fe8, 4), 0x81 * 8 + 2);
    ck_assert_uint_eq(peek(m, 0x8fec, 4), 0x401000);
    machine_free(m);
    /* Hardware events ignore the gate DPL. */
    m = dm(EMU_MODE_PROT32, 3);
    deliver_ok(m, ev(0x81, 0, 0));
    ck_assert_uint_eq(m->regs.rip, 0x406100);
    machine_free(m);
}
END_TEST

/* A benign exception whose gate is not present: #NP(vec*8+2+EXT) is delivered instead. */
START_TEST(deliver_gate_not_present_np_with_ext)
{
    struct machine *m = dm(EMU_MODE_PROT32, 0);
    poke(m, IDT_BASE + 6 * 8 + 5, 0x0e, 1);
    deliver_ok(m, ev(EMU_UD, 0, 0));
    ck_assert_uint_eq(m->regs.rip, 0x4050b0);
    ck_assert_uint_eq(peek(m, 0x7ff0, 4), 6 * 8 + 3);
    machine_free(m);
}
END_TEST

/* #GP whose delivery faults with #NP: contributory on contributory -> #DF(0). */
START_TEST(deliver_contributory_on_contributory_is_df)
{
    struct machine *m = dm(EMU_MODE_PROT32, 0);
    poke(m, IDT_BASE + 13 * 8 + 5, 0x0e, 1);
    deliver_ok(m, ev(EMU_GP, 1, 0));
    ck_assert_uint_eq(m->regs.rip, 0x405080);
    ck_assert_uint_eq(peek(m, 0x7ff0, 4), 0);
    machine_free(m);
    /* #PF then a #GP (IDT limit) -> #DF as well; #UD then #NP is not. */
    m = dm(EMU_MODE_PROT32, 0);
    idt_gate(m, 14, 0x00, 0, 14, 0, 0); /* null target CS: #GP(EXT) */
    struct emu_exception pf = ev(EMU_PF, 1, 2);
    pf.cr2 = 0x1234;
    deliver_ok(m, pf);
    ck_assert_uint_eq(m->regs.rip, 0x405080);
    machine_free(m);
}
END_TEST

START_TEST(deliver_fault_on_df_is_triple_fault)
{
    struct machine *m = dm(EMU_MODE_PROT32, 0);
    poke(m, IDT_BASE + 13 * 8 + 5, 0x0e, 1);
    poke(m, IDT_BASE + 8 * 8 + 5, 0x0e, 1);
    struct emu_exception e = ev(EMU_GP, 1, 0);
    ck_assert_int_eq(emu_deliver(&m->ctx, &e), EMU_UNHANDLED);
    ck_assert_str_eq(m->ctx.result.reason, "triple fault: shutdown");
    ck_assert_uint_eq(m->regs.rip, 0x401000);
    ck_assert_uint_eq(R(m, RSP), 0x8000);
    machine_free(m);
}
END_TEST

START_TEST(deliver_idt_limit_and_gate_type_gp)
{
    struct machine *m = dm(EMU_MODE_PROT32, 0);
    m->dtr_limit[EMU_DTR_IDTR] = 8 * 32 - 1;
    deliver_ok(m, ev(0x40, 0, 0)); /* external interrupt beyond the IDT: #GP(0x40*8+2+1) */
    ck_assert_uint_eq(m->regs.rip, 0x4050d0);
    ck_assert_uint_eq(peek(m, 0x7ff0, 4), 0x203);
    machine_free(m);
}
END_TEST

START_TEST(deliver_pf_writes_cr2)
{
    struct machine *m = dm(EMU_MODE_PROT32, 0);
    struct emu_exception pf = ev(EMU_PF, 1, 6);
    pf.cr2 = 0xdead000;
    deliver_ok(m, pf);
    ck_assert_uint_eq(m->cr[2], 0xdead000);
    ck_assert_uint_eq(peek(m, 0x7ff0, 4), 6);
    machine_free(m);
}
END_TEST

/* v86 -> CPL 0: GS, FS, DS, ES, SS, ESP, EFLAGS (VM), CS, EIP, error code on the ring-0
 * stack; the data segments become null and VM is cleared. */
START_TEST(deliver_from_v86_to_cpl0)
{
    struct machine *m = dm(EMU_MODE_V86, 0);
    for (unsigned s = 0; s < 6; s++) seg_load(m, s, (uint16_t)(0x1000 * (s + 1)), 0x10000u * (s + 1), 0xffff, s == 1 ? 0xfb : 0xf3);
    FLAGS(m) = EMU_FLAG_VM | 0x202;
    m->regs.rip = 0x100;
    R(m, RSP) = 0xfffe;
    deliver_ok(m, ev(EMU_GP, 1, 0));
    ck_assert_uint_eq(m->regs.rip, 0x4050d0);
    ck_assert_uint_eq(R(m, RSP), 0x9000 - 40);
    const uint32_t expect[10] = { 0, 0x100, 0x2000, 0x20202 | EMU_FLAG_RF, 0xfffe, 0x3000, 0x1000, 0x4000, 0x5000, 0x6000 };
    for (unsigned i = 0; i < 10; i++) ck_assert_uint_eq(peek(m, 0x9000 - 40 + 4 * i, 4), expect[i]);
    ck_assert_uint_eq(FLAGS(m), 0x2);
    ck_assert_uint_eq(m->segs[EMU_SEG_DS].sel, 0);
    ck_assert_uint_eq(m->segs[EMU_SEG_GS].attr & EMU_SEGATTR_P, 0);
    ck_assert_uint_eq(machine_cpl(m), 0);
    machine_free(m);
}
END_TEST

/* VME: INT n with its redirection bit clear goes to the v86 IVT at linear 0; IF = VIF and
 * IOPL = 3 in the pushed FLAGS; VIF is cleared. */
START_TEST(deliver_v86_vme_redirection)
{
    struct machine *m = dm(EMU_MODE_V86, 0);
    for (unsigned s = 0; s < 6; s++) seg_load(m, s, 0x100, 0x1000, 0xffff, s == 1 ? 0xfb : 0xf3);
    m->cr[4] |= EMU_CR4_VME;
    FLAGS(m) = EMU_FLAG_VM | EMU_FLAG_VIF | 0x2;
    m->regs.rip = 0x10;
    R(m, RSP) = 0x200;
    m->segs[EMU_SEG_TR].limit = 0xff;
    poke(m, TSS32 + 0x66, 0x68 + 32, 2); /* redirection map at 0x68, all clear */
    poke(m, 0x21 * 4, 0x40000050, 4);
    deliver_ok(m, soft(0x21, 2));
    ck_assert_uint_eq(m->regs.rip, 0x50);
    ck_seg(m, EMU_SEG_CS, 0x4000, 0x40000, 0xffff, 0xfb);
    ck_assert_uint_eq(peek(m, 0x1000 + 0x1fa, 2), 0x12);
    ck_assert_uint_eq(peek(m, 0x1000 + 0x1fc, 2), 0x100);
    ck_assert_uint_eq(peek(m, 0x1000 + 0x1fe, 2), 0x3202);
    ck_assert_uint_eq(FLAGS(m), EMU_FLAG_VM | 0x2);
    /* bit set and IOPL < 3: #GP(0), delivered through the IDT to CPL 0 */
    poke(m, TSS32 + 0x68 + 4, 0x02, 1); /* vector 0x21 */
    m->regs.rip = 0x10;
    seg_load(m, EMU_SEG_CS, 0x100, 0x1000, 0xffff, 0xfb);
    FLAGS(m) = EMU_FLAG_VM | 0x2;
    deliver_ok(m, soft(0x21, 2));
    ck_assert_uint_eq(m->regs.rip, 0x4050d0);
    machine_free(m);
}
END_TEST

/* Long mode: 16-byte gates, IST, RSP aligned to 16, SS:RSP always pushed. */
START_TEST(deliver_long_mode_ist_and_alignment)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    sys_tables(m, 8);
    gdt_set(m, 1, 0, 0xfffff, A_CODE64);
    gdt_set(m, 5, TSS32, 0x67, 0x08b);
    seg_load(m, EMU_SEG_TR, 0x28, TSS32, 0x67, 0x8b);
    seg_load(m, EMU_SEG_CS, 0x08, 0, 0xffffffff, A_CODE64);
    seg_load(m, EMU_SEG_SS, 0x00, 0, 0, 0);
    poke(m, TSS32 + 0x24, 0xffff800000009008ull, 8); /* IST1, not 16-aligned */
    idt_gate(m, EMU_DF, 0x08, 0xffffffff80001000ull, 14, 0, 1);
    poke(m, IDT_BASE + 16 * EMU_DF + 4, 1, 1); /* IST 1 */
    idt_gate(m, EMU_UD, 0x08, 0xffffffff80002000ull, 15, 0, 1);
    R(m, RSP) = 0x7ff8;
    FLAGS(m) = 0x202;
    deliver_ok(m, ev(EMU_DF, 1, 0));
    ck_assert_uint_eq(m->regs.rip, 0xffffffff80001000ull);
    ck_assert_uint_eq(R(m, RSP), 0xffff800000009000ull - 48);
    const uint64_t base = 0xffff800000009000ull - 48;
    ck_assert_uint_eq(peek(m, base + 0, 8), 0);
    ck_assert_uint_eq(peek(m, base + 8, 8), 0x401000);
    ck_assert_uint_eq(peek(m, base + 16, 8), 8);
    ck_assert_uint_eq(peek(m, base + 24, 8), 0x202);
    ck_assert_uint_eq(peek(m, base + 32, 8), 0x7ff8);
    ck_assert_uint_eq(peek(m, base + 40, 8), 0);
    /* same level without IST: aligned current stack, SS:RSP pushed */
    m->regs.rip = 0x401000;
    R(m, RSP) = 0x7ff8;
    FLAGS(m) = 0x202;
    deliver_ok(m, ev(EMU_UD, 0, 0));
    ck_assert_uint_eq(R(m, RSP), 0x7ff0 - 40);
    ck_assert_uint_eq(peek(m, 0x7ff0 - 8, 8), 0);      /* SS */
    ck_assert_uint_eq(peek(m, 0x7ff0 - 16, 8), 0x7ff8); /* RSP */
    ck_assert_uint_eq(FLAGS(m), 0x202);                 /* trap gate */
    machine_free(m);
}
END_TEST

/* An exception through a task gate: the task switch, then the error code on the new stack. */
START_TEST(deliver_through_task_gate)
{
    struct machine *m = dm(EMU_MODE_PROT32, 0);
    gdt_set(m, 6, 0x21000, 0x67, 0x089);
    poke(m, 0x21000 + 0x20, 0x407000, 4);
    poke(m, 0x21000 + 0x24, 0x2, 4);
    poke(m, 0x21000 + 0x38, 0x6000, 4);
    const uint16_t sel[6] = { 0x10, 0x08, 0x10, 0x10, 0x10, 0x10 };
    for (unsigned i = 0; i < 6; i++) poke(m, 0x21000 + 0x48 + 4 * i, sel[i], 4);
    idt_gate(m, EMU_TS, 0x30, 0, 5, 0, 0);
    deliver_ok(m, ev(EMU_TS, 1, 0x44));
    ck_assert_uint_eq(m->regs.rip, 0x407000);
    ck_assert_uint_eq(m->segs[EMU_SEG_TR].sel, 0x30);
    ck_assert_uint_eq(R(m, RSP), 0x5ffc);
    ck_assert_uint_eq(peek(m, 0x5ffc, 4), 0x44);
    ck_assert_uint_eq(peek(m, 0x21000, 2), 0x28);      /* back link */
    ck_assert_uint_eq(FLAGS(m), 0x4002);                /* NT */
    ck_assert_uint_eq(peek(m, TSS32 + 0x20, 4), 0x401000); /* old EIP: the faulting one */
    machine_free(m);
}
END_TEST

/* Nested guest: an intercepted exception exits with the exception intercept. */
START_TEST(deliver_exception_intercept)
{
    struct machine *m = dm(EMU_MODE_PROT32, 0);
    m->cfg.nested = 1;
    machine_reset_ctx(m);
    machine_intercept(m, 0x40 + EMU_PF, 1);
    struct emu_exception pf = ev(EMU_PF, 1, 4);
    pf.cr2 = 0x5000;
    ck_assert_int_eq(emu_deliver(&m->ctx, &pf), EMU_INTERCEPT);
    ck_assert_uint_eq(m->ctx.result.intercept.exit_code, 0x4e);
    ck_assert_uint_eq(m->ctx.result.intercept.info1, 4);
    ck_assert_uint_eq(m->ctx.result.intercept.info2, 0x5000);
    ck_assert_uint_eq(R(m, RSP), 0x8000);
    machine_free(m);
}
END_TEST

static Suite *deliver_suite(void)
{
    Suite *s = suite_create("deliver");
    TCase *t = tcase_create("deliver");
    tcase_add_test(t, deliver_real_mode_ivt);
    tcase_add_test(t, deliver_interrupt_gate_same_level_with_error_code);
    tcase_add_test(t, deliver_trap_gate_keeps_if_soft_int_return_address);
    tcase_add_test(t, deliver_soft_int_gate_dpl_check);
    tcase_add_test(t, deliver_gate_not_present_np_with_ext);
    tcase_add_test(t, deliver_contributory_on_contributory_is_df);
    tcase_add_test(t, deliver_fault_on_df_is_triple_fault);
    tcase_add_test(t, deliver_idt_limit_and_gate_type_gp);
    tcase_add_test(t, deliver_pf_writes_cr2);
    tcase_add_test(t, deliver_from_v86_to_cpl0);
    tcase_add_test(t, deliver_v86_vme_redirection);
    tcase_add_test(t, deliver_long_mode_ist_and_alignment);
    tcase_add_test(t, deliver_through_task_gate);
    tcase_add_test(t, deliver_exception_intercept);
    suite_add_tcase(s, t);
    return s;
}
REGISTER_SUITE(deliver_suite)
