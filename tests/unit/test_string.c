/*
 * String instructions: MOVS CMPS STOS LODS SCAS (INS/OUTS data movement here, their I/O
 * permission in test_io.c) at every size, both directions and every address size, with REP,
 * REPE and REPNE: termination, RCX = 0, a fault part-way through (completed iterations stay
 * committed, RIP at the instruction), and long counts split across steps.
 */
#include "harness.h"


#define PEEK(m, a, n) machine_peek64((m), (a), (n))

START_TEST(movs_sizes_and_direction)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    machine_poke(m, 0x2000, "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10", 16);
    R(m, RSI) = 0x2000;
    R(m, RDI) = 0x3000;
    ck_ok(m, "a4"); /* movsb */
    ck_assert_uint_eq(PEEK(m, 0x3000, 1), 0x01);
    ck_assert_uint_eq(R(m, RSI), 0x2001);
    ck_assert_uint_eq(R(m, RDI), 0x3001);
    ck_ok(m, "66a5"); /* movsw */
    ck_assert_uint_eq(PEEK(m, 0x3001, 2), 0x0302);
    ck_ok(m, "a5"); /* movsd */
    ck_assert_uint_eq(PEEK(m, 0x3003, 4), 0x07060504);
    ck_ok(m, "48a5"); /* movsq */
    ck_assert_uint_eq(PEEK(m, 0x3007, 8), 0x0f0e0d0c0b0a0908ull);
    ck_assert_uint_eq(R(m, RSI), 0x200f);
    ck_assert_uint_eq(R(m, RDI), 0x300f);
    /* DF = 1: the pointers move down by the element size after the copy */
    FLAGS(m) = 2 | DF;
    R(m, RSI) = 0x2004;
    R(m, RDI) = 0x3100;
    ck_ok(m, "a5");
    ck_assert_uint_eq(PEEK(m, 0x3100, 4), 0x08070605);
    ck_assert_uint_eq(R(m, RSI), 0x2000);
    ck_assert_uint_eq(R(m, RDI), 0x30fc);
    ck_assert_uint_eq(FLAGS(m), 2 | DF);
    machine_free(m);
}
END_TEST

START_TEST(rep_count_zero)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    R(m, RCX) = 0;
    R(m, RSI) = 0x2000;
    R(m, RDI) = 0x3000;
    FLAGS(m) = 2 | CF | SF;
    ck_ok(m, "f3a4"); /* rep movsb with RCX = 0: nothing at all */
    ck_assert_uint_eq(m->regs.rip, 0x401002);
    ck_assert_uint_eq(R(m, RSI), 0x2000);
    ck_assert_uint_eq(R(m, RDI), 0x3000);
    ck_assert_uint_eq(m->nwritten, 0);
    ck_ok(m, "f3a6"); /* repe cmpsb with RCX = 0: flags unchanged */
    ck_assert_uint_eq(FLAGS(m), 2 | CF | SF);
    /* only the count at the address size matters: ECX = 0 with a32 */
    R(m, RCX) = 0x100000000ull;
    ck_ok(m, "67f3aa");
    ck_assert_uint_eq(R(m, RCX), 0x100000000ull);
    ck_assert_uint_eq(m->nwritten, 0);
    machine_free(m);
}
END_TEST

START_TEST(rep_stos_and_lods)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    R(m, RAX) = 0x1122334455667788ull;
    R(m, RDI) = 0x3000;
    R(m, RCX) = 3;
    ck_ok(m, "f3ab"); /* rep stosd */
    ck_assert_uint_eq(PEEK(m, 0x3000, 4), 0x55667788);
    ck_assert_uint_eq(PEEK(m, 0x3008, 4), 0x55667788);
    ck_assert_uint_eq(PEEK(m, 0x300c, 1), 0);
    ck_assert_uint_eq(R(m, RDI), 0x300c);
    ck_assert_uint_eq(R(m, RCX), 0);
    ck_assert_uint_eq(m->regs.rip, 0x401002);
    R(m, RCX) = 2;
    R(m, RDI) = 0x3100;
    ck_ok(m, "f348ab"); /* rep stosq */
    ck_assert_uint_eq(PEEK(m, 0x3108, 8), 0x1122334455667788ull);
    ck_assert_uint_eq(R(m, RDI), 0x3110);
    /* lodsw with DF = 1 */
    FLAGS(m) = 2 | DF;
    R(m, RSI) = 0x3002;
    ck_ok(m, "66ad");
    ck_assert_uint_eq(R(m, RAX), 0x1122334455665566ull);
    ck_assert_uint_eq(R(m, RSI), 0x3000);
    /* lodsd zero-extends RAX */
    ck_ok(m, "ad");
    ck_assert_uint_eq(R(m, RAX), 0x55667788ull);
    ck_assert_uint_eq(R(m, RSI), 0x2ffc);
    /* rep lodsb: the last element wins */
    FLAGS(m) = 2;
    machine_poke(m, 0x2000, "\xaa\xbb\xcc", 3);
    R(m, RSI) = 0x2000;
    R(m, RCX) = 3;
    ck_ok(m, "f3ac");
    ck_assert_uint_eq(R(m, RAX) & 0xff, 0xcc);
    ck_assert_uint_eq(R(m, RSI), 0x2003);
    machine_free(m);
}
END_TEST

START_TEST(repe_cmps_terminates)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    machine_poke(m, 0x2000, "abcd", 4);
    machine_poke(m, 0x3000, "abxd", 4);
    R(m, RSI) = 0x2000;
    R(m, RDI) = 0x3000;
    R(m, RCX) = 4;
    ck_ok(m, "f3a6"); /* repe cmpsb: stops after the third pair ('c' vs 'x') */
    ck_assert_uint_eq(R(m, RCX), 1);
    ck_assert_uint_eq(R(m, RSI), 0x2003);
    ck_assert_uint_eq(R(m, RDI), 0x3003);
    /* flags of 'c' - 'x' = 0x63 - 0x78 = 0xeb */
    ck_assert_uint_eq(FLAGS(m) & ARITH, CF | SF | AF | PF);
    ck_assert_uint_eq(m->regs.rip, 0x401002);
    /* equal strings run the count out with ZF = 1 */
    machine_poke(m, 0x3000, "abcd", 4);
    R(m, RSI) = 0x2000;
    R(m, RDI) = 0x3000;
    R(m, RCX) = 4;
    ck_ok(m, "f3a6");
    ck_assert_uint_eq(R(m, RCX), 0);
    ck_assert_uint_eq(FLAGS(m) & ARITH, ZF | PF);
    /* repne cmpsw: stops at the first equal word */
    machine_poke(m, 0x2100, "\x01\x00\x02\x00\x03\x00", 6);
    machine_poke(m, 0x3100, "\x09\x00\x08\x00\x03\x00", 6);
    R(m, RSI) = 0x2100;
    R(m, RDI) = 0x3100;
    R(m, RCX) = 10;
    ck_ok(m, "f266a7");
    ck_assert_uint_eq(R(m, RCX), 7);
    ck_assert_uint_eq(R(m, RSI), 0x2106);
    ck_assert(FLAGS(m) & ZF);
    machine_free(m);
}
END_TEST

START_TEST(repne_scas_finds)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    machine_poke(m, 0x3000, "abc\0def", 8);
    R(m, RDI) = 0x3000;
    R(m, RCX) = 0xffffffffffffffffull;
    R(m, RAX) = 0;
    ck_ok(m, "f2ae"); /* repne scasb: strlen idiom */
    ck_assert_uint_eq(R(m, RDI), 0x3004);
    ck_assert_uint_eq(R(m, RCX), 0xfffffffffffffffbull);
    ck_assert(FLAGS(m) & ZF);
    /* repe scasd: stops at the first mismatch, flags of EAX - [rdi] */
    machine_poke(m, 0x3100, "\x05\x00\x00\x00\x05\x00\x00\x00\x06\x00\x00\x00", 12);
    R(m, RDI) = 0x3100;
    R(m, RCX) = 8;
    R(m, RAX) = 5;
    ck_ok(m, "f3af");
    ck_assert_uint_eq(R(m, RCX), 5);
    ck_assert_uint_eq(R(m, RDI), 0x310c);
    ck_assert_uint_eq(FLAGS(m) & ARITH, CF | SF | AF | PF); /* 5 - 6 = 0xffffffff */
    /* scas without REP: one comparison */
    R(m, RDI) = 0x3000;
    R(m, RAX) = 'a';
    ck_ok(m, "ae");
    ck_assert(FLAGS(m) & ZF);
    ck_assert_uint_eq(R(m, RDI), 0x3001);
    machine_free(m);
}
END_TEST

/* A fault in iteration k: iterations 1..k-1 are committed, RIP stays at the instruction. */
START_TEST(rep_fault_midway)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    machine_add_perm(m, 0x401000, 0x1000, "rx", 0);
    machine_add_perm(m, 0x2000, 0x2000, "rw", 0);
    R(m, RAX) = 0x5a;
    R(m, RDI) = 0x3ffe;
    R(m, RCX) = 4;
    ck_exc(m, "f3aa", EMU_PF, EMU_PF_W); /* rep stosb: the third byte is at 0x4000 */
    ck_assert_uint_eq(m->ctx.result.exception.cr2, 0x4000);
    ck_assert_uint_eq(R(m, RCX), 2);
    ck_assert_uint_eq(R(m, RDI), 0x4000);
    ck_assert_uint_eq(m->regs.rip, 0x401000);
    ck_assert_uint_eq(PEEK(m, 0x3ffe, 2), 0x5a5a);
    /* the same when the faulting iteration is the last one */
    R(m, RDI) = 0x3fff;
    R(m, RCX) = 2;
    ck_exc(m, "f3aa", EMU_PF, EMU_PF_W);
    ck_assert_uint_eq(R(m, RCX), 1);
    ck_assert_uint_eq(R(m, RDI), 0x4000);
    ck_assert_uint_eq(m->regs.rip, 0x401000);
    /* a read fault in the first iteration commits nothing */
    R(m, RSI) = 0x5000;
    R(m, RDI) = 0x2000;
    R(m, RCX) = 3;
    ck_exc(m, "f3a4", EMU_PF, 0);
    ck_assert_uint_eq(R(m, RCX), 3);
    ck_assert_uint_eq(R(m, RSI), 0x5000);
    /* a read fault after two iterations (source crosses into an unmapped page) */
    R(m, RSI) = 0x3ffe;
    R(m, RDI) = 0x2000;
    FLAGS(m) = 2;
    ck_exc(m, "f3a4", EMU_PF, 0);
    ck_assert_uint_eq(R(m, RCX), 1);
    ck_assert_uint_eq(R(m, RSI), 0x4000);
    ck_assert_uint_eq(R(m, RDI), 0x2002);
    ck_assert_uint_eq(PEEK(m, 0x2000, 2), 0x5a5a);
    machine_free(m);
}
END_TEST

/* A huge count is split: one step runs a burst of iterations and returns with RIP still at
 * the instruction; stepping again continues where it stopped. */
START_TEST(rep_long_count_continues)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    R(m, RAX) = 0x77;
    R(m, RDI) = 0x10000;
    R(m, RCX) = 5000;
    ck_ok(m, "f3aa");
    ck_assert_uint_ne(R(m, RCX), 0);
    ck_assert_uint_eq(m->regs.rip, 0x401000);
    ck_assert_uint_eq(R(m, RDI), 0x10000 + 5000 - R(m, RCX));
    while (m->regs.rip == 0x401000) ck_ok(m, "f3aa");
    ck_assert_uint_eq(R(m, RCX), 0);
    ck_assert_uint_eq(R(m, RDI), 0x10000 + 5000);
    ck_assert_uint_eq(m->regs.rip, 0x401002);
    ck_assert_uint_eq(PEEK(m, 0x10000 + 4999, 2), 0x77);
    machine_free(m);
}
END_TEST

/* Single-stepping a REP instruction traps after each iteration. */
START_TEST(rep_single_step_per_iteration)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    FLAGS(m) = 2 | EMU_FLAG_TF;
    R(m, RAX) = 0x11;
    R(m, RDI) = 0x3000;
    R(m, RCX) = 3;
    for (unsigned i = 1; i <= 3; i++) {
        m->nevents = 0;
        ck_ok(m, "f3aa");
        ck_assert_uint_eq(R(m, RCX), 3 - i);
        ck_assert_uint_eq(R(m, RDI), 0x3000 + i);
        ck_assert_uint_eq(m->regs.rip, i < 3 ? 0x401000 : 0x401002);
        ck_assert_uint_eq(m->nevents, 1);
        ck_assert_uint_eq(m->events[0].type, EMU_EV_SINGLESTEP);
    }
    ck_assert_uint_eq(PEEK(m, 0x3000, 4), 0x111111);
    /* REPE ending on a mismatch in its first iteration completes the instruction */
    machine_poke(m, 0x2000, "a", 1);
    machine_poke(m, 0x3100, "b", 1);
    R(m, RSI) = 0x2000;
    R(m, RDI) = 0x3100;
    R(m, RCX) = 5;
    ck_ok(m, "f3a6");
    ck_assert_uint_eq(R(m, RCX), 4);
    ck_assert_uint_eq(m->regs.rip, 0x401004);
    machine_free(m);
}
END_TEST

START_TEST(address_size_16_wraps)
{
    struct machine *m = tm_new(EMU_MODE_REAL);
    m->segs[EMU_SEG_DS].base = 0x10000;
    m->segs[EMU_SEG_ES].base = 0x20000;
    machine_poke(m, 0x1ffff, "\x42", 1);
    R(m, RSI) = 0x1234ffff;
    R(m, RDI) = 0x5678ffff;
    ck_ok(m, "a4"); /* movsb: SI/DI wrap to 0, ESI/EDI[31:16] kept */
    ck_assert_uint_eq(PEEK(m, 0x2ffff, 1), 0x42);
    ck_assert_uint_eq(R(m, RSI), 0x12340000);
    ck_assert_uint_eq(R(m, RDI), 0x56780000);
    /* rep stosw counts CX only */
    R(m, RCX) = 0xabcd0002;
    R(m, RAX) = 0x9988;
    ck_ok(m, "f3ab");
    ck_assert_uint_eq(R(m, RCX), 0xabcd0000);
    ck_assert_uint_eq(R(m, RDI), 0x56780004);
    ck_assert_uint_eq(PEEK(m, 0x20000, 4), 0x99889988);
    /* a32 in real mode: ESI past 0xffff is #GP(0) (the DS limit) */
    R(m, RSI) = 0x10000;
    ck_exc(m, "67ac", EMU_GP, 0);
    R(m, RSI) = 0xfffe;
    ck_ok(m, "67ac");
    ck_assert_uint_eq(R(m, RSI), 0xffff);
    machine_free(m);
}
END_TEST

START_TEST(address_size_32_in_64)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    machine_poke(m, 0x2000, "\x11\x22", 2);
    R(m, RSI) = 0xffffffff00002000ull;
    R(m, RDI) = 0xffffffff00003000ull;
    R(m, RCX) = 0xffffffff00000002ull;
    ck_ok(m, "67f3a4"); /* a32 rep movsb: ESI/EDI/ECX, written zero-extended */
    ck_assert_uint_eq(PEEK(m, 0x3000, 2), 0x2211);
    ck_assert_uint_eq(R(m, RSI), 0x2002);
    ck_assert_uint_eq(R(m, RDI), 0x3002);
    ck_assert_uint_eq(R(m, RCX), 0);
    machine_free(m);
}
END_TEST

START_TEST(segment_override_source_only)
{
    struct machine *m = tm_new(EMU_MODE_PROT32);
    m->segs[EMU_SEG_FS].base = 0x100000;
    m->segs[EMU_SEG_ES].base = 0x200000;
    machine_poke(m, 0x100010, "\x5a", 1);
    machine_poke(m, 0x000010, "\xa5", 1);
    R(m, RSI) = 0x10;
    R(m, RDI) = 0x20;
    ck_ok(m, "64a4"); /* movsb fs:[esi] -> es:[edi] */
    ck_assert_uint_eq(PEEK(m, 0x200020, 1), 0x5a);
    R(m, RSI) = 0x10;
    ck_ok(m, "2ea4"); /* cs: override; the destination stays ES */
    ck_assert_uint_eq(PEEK(m, 0x200021, 1), 0xa5);
    /* ES is the destination whatever the prefix: an unusable ES faults */
    m->segs[EMU_SEG_ES].attr = 0;
    R(m, RSI) = 0x10;
    ck_exc(m, "26a4", EMU_GP, 0);
    ck_exc(m, "64aa", EMU_GP, 0);
    ck_ok(m, "64ac"); /* lodsb fs: does not touch ES */
    ck_assert_uint_eq(R(m, RAX) & 0xff, 0x5a);
    machine_free(m);
}
END_TEST

START_TEST(ins_outs_data)
{
    struct machine *m = tm_new(EMU_MODE_REAL);
    m->port_in_value = 0x12345678;
    R(m, RDX) = 0x60;
    R(m, RDI) = 0x100;
    R(m, RCX) = 2;
    ck_ok(m, "f36d"); /* rep insw */
    ck_assert_uint_eq(PEEK(m, 0x100, 4), 0x56785678);
    ck_assert_uint_eq(R(m, RDI), 0x104);
    ck_assert_uint_eq(R(m, RCX), 0);
    ck_ok(m, "6c"); /* insb */
    ck_assert_uint_eq(PEEK(m, 0x104, 1), 0x78);
    machine_poke(m, 0x200, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
    R(m, RSI) = 0x200;
    R(m, RCX) = 2;
    m->nouts = 0;
    ck_ok(m, "66f36f"); /* rep outsd */
    ck_assert_uint_eq(m->nouts, 2);
    ck_assert_uint_eq(m->last_out_port, 0x60);
    ck_assert_uint_eq(m->last_out_val, 0x08070605);
    ck_assert_uint_eq(R(m, RSI), 0x208);
    FLAGS(m) = 2 | DF;
    ck_ok(m, "6e"); /* outsb with DF = 1 */
    ck_assert_uint_eq(m->last_out_val, 0x00);
    ck_assert_uint_eq(R(m, RSI), 0x207);
    machine_free(m);

    /* INS checks its destination before reading the port: a read-only destination faults
     * with no input consumed */
    m = tm_new(EMU_MODE_PROT32);
    m->segs[EMU_SEG_ES].attr = 0xc91; /* read-only data */
    m->io_pending_once = 1; /* would report IO_PENDING if the port were read */
    ck_exc(m, "6c", EMU_GP, 0);
    ck_assert_int_eq(m->io_pending_once, 1);
    machine_free(m);

    /* ... and so does a destination page that is not mapped: #PF, the port is not read */
    m = tm_new(EMU_MODE_LONG64);
    machine_add_perm(m, 0x401000, 0x1000, "rx", 0);
    machine_add_perm(m, 0x2000, 0x1000, "rw", 0);
    m->io_pending_once = 1;
    R(m, RDI) = 0x3000;
    ck_exc(m, "6c", EMU_PF, EMU_PF_W);
    ck_assert_int_eq(m->io_pending_once, 1);
    /* in REP INS the faulting iteration reads nothing either; earlier ones are committed */
    m->io_pending_once = 0;
    m->port_in_value = 0xab;
    R(m, RDI) = 0x2ffe;
    R(m, RCX) = 3;
    ck_exc(m, "f36c", EMU_PF, EMU_PF_W);
    ck_assert_uint_eq(R(m, RCX), 1);
    ck_assert_uint_eq(R(m, RDI), 0x3000);
    ck_assert_uint_eq(PEEK(m, 0x2ffe, 2), 0xabab);
    machine_free(m);
}
END_TEST

static Suite *string_suite(void)
{
    Suite *s = suite_create("string");
    TCase *t = tcase_create("string");
    tcase_add_test(t, movs_sizes_and_direction);
    tcase_add_test(t, rep_count_zero);
    tcase_add_test(t, rep_stos_and_lods);
    tcase_add_test(t, repe_cmps_terminates);
    tcase_add_test(t, repne_scas_finds);
    tcase_add_test(t, rep_fault_midway);
    tcase_add_test(t, rep_long_count_continues);
    tcase_add_test(t, rep_single_step_per_iteration);
    tcase_add_test(t, address_size_16_wraps);
    tcase_add_test(t, address_size_32_in_64);
    tcase_add_test(t, segment_override_source_only);
    tcase_add_test(t, ins_outs_data);
    suite_add_tcase(s, t);
    return s;
}
REGISTER_SUITE(string_suite)
