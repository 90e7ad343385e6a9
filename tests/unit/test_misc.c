/*
 * Miscellaneous: NOP forms, PAUSE, fences, CLFLUSH, PREFETCH, UD0/UD1/UD2, the software
 * interrupts (INT3, INTO, INT n, INT1: reported as exceptions, not delivered; INT n in
 * virtual-8086 mode with IOPL and VME), BOUND, FWAIT, CPUID, HLT.
 */
#include "harness.h"

START_TEST(nops_and_hints)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    R(m, RAX) = 0xffffffff00000000ull;
    static const char *const hex[] = {
        "90", "6690", "0f1f00", "0f1f440000", "660f1f840000000000", "f390" /* pause */,
        "0faee8" /* lfence */, "0faef0" /* mfence */, "0faef8" /* sfence */,
        "0f1808" /* prefetcht0 [rax] */, "0f0d08" /* prefetch(w) [rax] */,
    };
    uint64_t rip = 0x401000;
    static const unsigned len[] = { 1, 2, 3, 5, 9, 2, 3, 3, 3, 3, 3 };
    for (unsigned i = 0; i < sizeof hex / sizeof hex[0]; i++) {
        ck_ok(m, hex[i]);
        rip += len[i];
        ck_assert_uint_eq(m->regs.rip, rip);
    }
    /* no register, flag or memory changed; PREFETCH of a non-canonical address is fine */
    ck_assert_uint_eq(R(m, RAX), 0xffffffff00000000ull);
    ck_assert_uint_eq(FLAGS(m), 2);
    ck_assert_uint_eq(m->nwritten, 0);
    ck_assert_str_eq(m->ctx.result.mnemonic, "prefetch");
    machine_free(m);
}
END_TEST

START_TEST(clflush_checks_address)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    machine_add_perm(m, 0x401000, 0x1000, "rx", 0);
    machine_add_perm(m, 0x2000, 0x1000, "r", 0);
    R(m, RAX) = 0x2000;
    ck_ok(m, "0fae38"); /* clflush [rax]: a read-only page is fine */
    R(m, RAX) = 0x9000;
    ck_exc(m, "0fae38", EMU_PF, 0); /* not mapped: #PF as for a read */
    ck_assert_uint_eq(m->ctx.result.exception.cr2, 0x9000);
    R(m, RAX) = 0x0000800000000000ull;
    ck_exc(m, "0fae38", EMU_GP, 0); /* non-canonical */
    ck_assert_uint_eq(m->nwritten, 0);
    machine_free(m);

    m = tm_new(EMU_MODE_PROT32);
    m->segs[EMU_SEG_DS].limit = 0xfff;
    R(m, RAX) = 0x1000;
    ck_exc(m, "0fae38", EMU_GP, 0); /* beyond the DS limit */
    R(m, RAX) = 0xfff;
    ck_ok(m, "0fae38"); /* the last byte of the segment */
    machine_free(m);
}
END_TEST

START_TEST(ud_forms)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    ck_exc(m, "0f0b", EMU_UD, 0);     /* ud2 */
    ck_exc(m, "0fb9c0", EMU_UD, 0);   /* ud1 eax, eax */
    ck_exc(m, "0fffc0", EMU_UD, 0);   /* ud0 eax, eax */
    ck_exc(m, "0fb90500000000", EMU_UD, 0); /* ud1 with a memory form: no access */
    ck_assert_uint_eq(m->ctx.result.exception.has_error_code, 0);
    ck_assert_uint_eq(m->ctx.result.length, 7);
    ck_assert_uint_eq(m->regs.rip, 0x401000);
    machine_free(m);
}
END_TEST

START_TEST(software_interrupts)
{
    struct machine *m = tm_new(EMU_MODE_PROT32);
    enum emu_status st = tm_run(m, "cc"); /* int3 */
    ck_assert_int_eq(st, EMU_EXCEPTION);
    ck_assert_uint_eq(m->ctx.result.exception.vector, EMU_BP);
    ck_assert_uint_eq(m->ctx.result.exception.is_soft, 1);
    ck_assert_uint_eq(m->ctx.result.exception.has_error_code, 0);
    ck_assert_uint_eq(m->ctx.result.exception.insn_length, 1);
    ck_assert_uint_eq(m->regs.rip, 0x401000); /* the embedder pushes RIP + insn_length */
    st = tm_run(m, "cd80"); /* int 0x80 */
    ck_assert_int_eq(st, EMU_EXCEPTION);
    ck_assert_uint_eq(m->ctx.result.exception.vector, 0x80);
    ck_assert_uint_eq(m->ctx.result.exception.is_soft, 1);
    ck_assert_uint_eq(m->ctx.result.exception.insn_length, 2);
    st = tm_run(m, "f1"); /* int1 (icebp) */
    ck_assert_int_eq(st, EMU_EXCEPTION);
    ck_assert_uint_eq(m->ctx.result.exception.vector, EMU_DB);
    ck_assert_uint_eq(m->ctx.result.exception.insn_length, 1);
    ck_assert_uint_eq(m->ctx.result.exception.is_soft, 0); /* no gate-DPL check on delivery */
    ck_assert_uint_eq(m->ctx.result.exception.has_error_code, 0);
    /* INTO: a no-op with OF = 0, #OF with OF = 1 */
    ck_ok(m, "ce");
    ck_assert_uint_eq(m->regs.rip, 0x401001);
    FLAGS(m) |= EMU_FLAG_OF;
    st = tm_run(m, "ce");
    ck_assert_int_eq(st, EMU_EXCEPTION);
    ck_assert_uint_eq(m->ctx.result.exception.vector, EMU_OF);
    ck_assert_uint_eq(m->ctx.result.exception.is_soft, 1);
    ck_assert_uint_eq(m->regs.rip, 0x401001);
    machine_free(m);

    m = tm_new(EMU_MODE_LONG64);
    FLAGS(m) |= EMU_FLAG_OF;
    ck_exc(m, "ce", EMU_UD, 0); /* INTO does not exist in 64-bit mode */
    machine_free(m);
}
END_TEST

/* A 32-bit TSS at 0x5000 with the I/O map base at 0x88: the interrupt redirection bitmap is
 * the 32 bytes at 0x68..0x87. */
static void v86_tss(struct machine *m, unsigned redirect_bit_set_for)
{
    const uint8_t base[2] = { 0x88, 0x00 };
    machine_poke(m, 0x5066, base, 2);
    uint8_t b = (uint8_t)(1u << (redirect_bit_set_for % 8));
    machine_poke(m, 0x5068 + redirect_bit_set_for / 8, &b, 1);
    m->segs[EMU_SEG_TR].base = 0x5000;
    m->segs[EMU_SEG_TR].limit = 0x88 + 0x2000;
    m->segs[EMU_SEG_TR].attr = 0x8b;
}

START_TEST(int_n_v86)
{
    struct machine *m = tm_new(EMU_MODE_V86);
    FLAGS(m) = 2 | EMU_FLAG_VM; /* IOPL 0 */
    ck_exc(m, "cd21", EMU_GP, 0); /* IOPL < 3 without VME: #GP(0) to the monitor */
    /* INT3 and INTO are not IOPL-sensitive */
    enum emu_status st = tm_run(m, "cc");
    ck_assert_int_eq(st, EMU_EXCEPTION);
    ck_assert_uint_eq(m->ctx.result.exception.vector, EMU_BP);
    FLAGS(m) = 2 | EMU_FLAG_VM | EMU_FLAG_IOPL;
    st = tm_run(m, "cd21"); /* IOPL 3: delivered through the IDT */
    ck_assert_int_eq(st, EMU_EXCEPTION);
    ck_assert_uint_eq(m->ctx.result.exception.vector, 0x21);
    ck_assert_uint_eq(m->ctx.result.exception.is_soft, 1);
    machine_free(m);

    /* VME: the redirection bitmap.  Bit set and IOPL < 3: #GP(0); bit clear: redirected
     * (reported as the software interrupt). */
    m = tm_new(EMU_MODE_V86);
    m->cr[4] |= EMU_CR4_VME;
    v86_tss(m, 0x21);
    FLAGS(m) = 2 | EMU_FLAG_VM;
    ck_exc(m, "cd21", EMU_GP, 0);
    st = tm_run(m, "cd10");
    ck_assert_int_eq(st, EMU_EXCEPTION);
    ck_assert_uint_eq(m->ctx.result.exception.vector, 0x10);
    ck_assert_uint_eq(m->ctx.result.exception.is_soft, 1);
    FLAGS(m) = 2 | EMU_FLAG_VM | EMU_FLAG_IOPL; /* IOPL 3, bit set: protected-mode IDT */
    st = tm_run(m, "cd21");
    ck_assert_int_eq(st, EMU_EXCEPTION);
    ck_assert_uint_eq(m->ctx.result.exception.vector, 0x21);
    machine_free(m);
}
END_TEST

START_TEST(bound_checks)
{
    struct machine *m = tm_new(EMU_MODE_REAL);
    const uint8_t b16[4] = { 0x10, 0x00, 0x20, 0x00 }; /* [0x10, 0x20] */
    machine_poke(m, 0x200, b16, 4);
    R(m, RBX) = 0x200;
    R(m, RAX) = 0x10;
    ck_ok(m, "6207"); /* bound ax, [bx]: lower bound inclusive */
    R(m, RAX) = 0x20;
    ck_ok(m, "6207"); /* upper bound inclusive */
    R(m, RAX) = 0x21;
    ck_exc(m, "6207", EMU_BR, 0);
    ck_assert_uint_eq(m->ctx.result.exception.has_error_code, 0);
    ck_assert_uint_eq(m->ctx.result.exception.is_soft, 0);
    R(m, RAX) = 0xffff; /* -1: signed, below 0x10 */
    ck_exc(m, "6207", EMU_BR, 0);
    const uint8_t bs[4] = { 0xfb, 0xff, 0x05, 0x00 }; /* [-5, 5] */
    machine_poke(m, 0x200, bs, 4);
    R(m, RAX) = 0xfffe; /* -2 */
    ck_ok(m, "6207");
    const uint8_t b32[8] = { 0x00, 0x00, 0x00, 0x80, 0xff, 0xff, 0xff, 0x7f }; /* full range */
    machine_poke(m, 0x300, b32, 8);
    R(m, RBX) = 0x300;
    R(m, RAX) = 0x80000000;
    ck_ok(m, "666207"); /* bound eax, [bx] */
    machine_free(m);

    m = tm_new(EMU_MODE_PROT32);
    const uint8_t p32[8] = { 0x00, 0x01, 0x00, 0x00, 0xff, 0x01, 0x00, 0x00 }; /* [0x100, 0x1ff] */
    machine_poke(m, 0x2000, p32, 8);
    R(m, RBX) = 0x1ff0;
    R(m, RCX) = 0x200;
    ck_exc(m, "624b10", EMU_BR, 0); /* bound ecx, [ebx+0x10] */
    ck_assert_uint_eq(m->regs.rip, 0x401000);
    R(m, RCX) = 0x1ff;
    ck_ok(m, "624b10");
    ck_assert_uint_eq(m->regs.rip, 0x401003);
    machine_free(m);
}
END_TEST

START_TEST(fwait_nm)
{
    struct machine *m = tm_new(EMU_MODE_PROT32);
    m->cr[0] |= EMU_CR0_TS;
    ck_ok(m, "9b"); /* TS without MP: no #NM for WAIT */
    m->cr[0] |= EMU_CR0_MP;
    ck_exc(m, "9b", EMU_NM, 0);
    ck_assert_uint_eq(m->ctx.result.exception.has_error_code, 0);
    m->cr[0] &= ~(uint64_t)EMU_CR0_TS;
    ck_ok(m, "9b");
    ck_assert_uint_eq(m->regs.rip, 0x401002);
    machine_free(m);
}
END_TEST

START_TEST(cpuid_from_table)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    const uint32_t l0[4] = { 0xd, 0x756e6547, 0x6c65746e, 0x49656e69 };
    const uint32_t l7_0[4] = { 1, 0x219c07ab, 0x18400684, 0xfc000400 };
    const uint32_t l7_1[4] = { 0x1c30, 0, 0, 0 };
    machine_set_cpuid(m, 0, 0, l0);
    machine_set_cpuid(m, 7, 0, l7_0);
    machine_set_cpuid(m, 7, 1, l7_1);
    R(m, RAX) = 0xffffffff00000000ull;
    R(m, RBX) = R(m, RCX) = R(m, RDX) = 0xffffffffffffffffull;
    R(m, RCX) = 0xffffffff00000000ull;
    ck_ok(m, "0fa2"); /* leaf 0: 32-bit results zero-extend the 64-bit registers */
    ck_assert_uint_eq(R(m, RAX), 0xd);
    ck_assert_uint_eq(R(m, RBX), 0x756e6547);
    ck_assert_uint_eq(R(m, RCX), 0x6c65746e);
    ck_assert_uint_eq(R(m, RDX), 0x49656e69);
    R(m, RAX) = 7;
    R(m, RCX) = 0x100000001ull; /* the subleaf is ECX */
    ck_ok(m, "0fa2");
    ck_assert_uint_eq(R(m, RAX), 0x1c30);
    ck_assert_uint_eq(R(m, RBX), 0);
    R(m, RAX) = 7;
    R(m, RCX) = 0;
    ck_ok(m, "0fa2");
    ck_assert_uint_eq(R(m, RBX), 0x219c07ab);
    ck_assert_uint_eq(R(m, RDX), 0xfc000400);
    R(m, RAX) = 0x40000000; /* a leaf the table does not list reads zero */
    ck_ok(m, "0fa2");
    ck_assert_uint_eq(R(m, RAX) | R(m, RBX) | R(m, RCX) | R(m, RDX), 0);
    ck_assert_uint_eq(FLAGS(m), 2);
    tm_set_cpl(m, 3); /* CPUID is not privileged */
    ck_ok(m, "0fa2");
    machine_free(m);
}
END_TEST

START_TEST(hlt_event_and_privilege)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    ck_ok(m, "f4");
    ck_assert_uint_eq(m->regs.rip, 0x401001);
    ck_assert_uint_eq(m->nevents, 1);
    ck_assert_uint_eq(m->events[0].type, EMU_EV_HALT);
    m->nevents = 0;
    tm_set_cpl(m, 3);
    ck_exc(m, "f4", EMU_GP, 0);
    ck_assert_uint_eq(m->nevents, 0);
    machine_free(m);

    m = tm_new(EMU_MODE_REAL);
    ck_ok(m, "f4");
    ck_assert_uint_eq(m->events[0].type, EMU_EV_HALT);
    machine_free(m);

    m = tm_new(EMU_MODE_V86); /* CPL 3 */
    ck_exc(m, "f4", EMU_GP, 0);
    machine_free(m);
}
END_TEST

/* RDRAND/RDSEED: the embedder's value with CF = 1 and OF SF ZF AF PF cleared; none available:
 * 0 and CF = 0; no callback: UNHANDLED with nothing written. */
START_TEST(rdrand_rdseed_from_the_embedder)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    m->random_value = 0x1122334455667788ull;
    R(m, RAX) = ~0ull;
    m->regs.rflags = 2 | EMU_FLAG_ZF | EMU_FLAG_OF | EMU_FLAG_SF | EMU_FLAG_AF | EMU_FLAG_PF;
    ck_ok(m, "480fc7f0"); /* rdrand rax */
    ck_assert_uint_eq(R(m, RAX), 0x1122334455667788ull);
    ck_assert_uint_eq(FLAGS(m), 2 | EMU_FLAG_CF);
    R(m, RCX) = ~0ull;
    ck_ok(m, "0fc7f9"); /* rdseed ecx: 32 bits, zero-extended */
    ck_assert_uint_eq(R(m, RCX), 0x55667788ull);
    R(m, RDX) = 0xffffffffffffffffull;
    ck_ok(m, "660fc7f2"); /* rdrand dx: the low 16 bits only */
    ck_assert_uint_eq(R(m, RDX), 0xffffffffffff7788ull);
    m->random_empty = 1;
    ck_ok(m, "480fc7f0");
    ck_assert_uint_eq(R(m, RAX), 0);
    ck_assert_uint_eq(FLAGS(m) & EMU_FLAG_CF, 0);
    m->ops.get_random = NULL;
    R(m, RAX) = 7;
    ck_assert_int_eq(tm_run(m, "480fc7f0"), EMU_UNHANDLED);
    ck_assert_str_eq(m->ctx.result.reason, "missing callback: get_random");
    ck_assert_uint_eq(R(m, RAX), 7);
    machine_free(m);
}
END_TEST

static Suite *misc_suite(void)
{
    Suite *s = suite_create("misc");
    TCase *t = tcase_create("misc");
    tcase_add_test(t, nops_and_hints);
    tcase_add_test(t, clflush_checks_address);
    tcase_add_test(t, ud_forms);
    tcase_add_test(t, software_interrupts);
    tcase_add_test(t, int_n_v86);
    tcase_add_test(t, bound_checks);
    tcase_add_test(t, fwait_nm);
    tcase_add_test(t, cpuid_from_table);
    tcase_add_test(t, hlt_event_and_privilege);
    tcase_add_test(t, rdrand_rdseed_from_the_embedder);
    suite_add_tcase(s, t);
    return s;
}
REGISTER_SUITE(misc_suite)
