/*
 * The step pipeline and the engine's common machinery: all-or-nothing commit, the 15-byte
 * limit, fetch faults, segmentation (#GP vs #SS, expand-down, null), canonical addresses,
 * alignment check, LOCK via cmpxchg with retry, EMU_IO_PENDING, the Zydis fallback.
 */
#include "harness.h"
#include <emulate/emulate_zydis.h>

START_TEST(exception_commits_nothing)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    machine_add_perm(m, 0x401000, 0x1000, "rx", 0);
    machine_add_perm(m, 0x8000, 0x1000, "rw", 0);
    R(m, RSP) = 0x8000;
    R(m, RAX) = 1;
    /* push rax: writes [0x7ff8], which is outside the listed pages -> #PF, nothing changes */
    ck_exc(m, "50", EMU_PF, EMU_PF_W);
    ck_assert_uint_eq(m->ctx.result.exception.cr2, 0x7ff8);
    ck_assert_uint_eq(R(m, RSP), 0x8000);
    ck_assert_uint_eq(m->regs.rip, 0x401000);
    ck_assert_uint_eq(m->nwritten, 0);
    machine_free(m);
}
END_TEST

START_TEST(fifteen_byte_limit)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    /* 14 prefixes + add eax, ebx = 16 bytes: #GP(0) */
    ck_exc(m, "6666666666666666666666666666 01d8", EMU_GP, 0);
    /* 13 prefixes + 2 = 15 bytes: fine */
    ck_ok(m, "66666666666666666666666666 01d8");
    ck_assert_uint_eq(m->regs.rip, 0x40100f);
    machine_free(m);
}
END_TEST

START_TEST(fetch_crossing_into_unmapped_page)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    machine_add_perm(m, 0x401000, 0x1000, "rx", 0);
    m->regs.rip = 0x401ffe;
    /* mov eax, imm32 starts 2 bytes before the end of the page: the immediate is on the next,
     * unmapped page -> #PF on the fetch with CR2 at the page start */
    enum emu_status st = tm_run_fetch(m, "b8");
    ck_assert_int_eq(st, EMU_EXCEPTION);
    ck_assert_uint_eq(m->ctx.result.exception.vector, EMU_PF);
    ck_assert_uint_eq(m->ctx.result.exception.cr2, 0x402000);
    ck_assert_uint_eq(m->ctx.result.exception.error_code, EMU_PF_I);
    /* a one-byte instruction at the last byte does not touch the next page */
    m->regs.rip = 0x401fff;
    st = tm_run_fetch(m, "90");
    ck_assert_int_eq(st, EMU_OK);
    machine_free(m);
}
END_TEST

START_TEST(segment_limit_gp_and_ss)
{
    struct machine *m = tm_new(EMU_MODE_PROT32);
    m->segs[EMU_SEG_DS].limit = 0xfff;
    m->segs[EMU_SEG_SS].limit = 0xfff;
    R(m, RBX) = 0xffe;
    ck_exc(m, "8b03", EMU_GP, 0); /* mov eax, [ebx]: 4 bytes at 0xffe crosses the limit */
    ck_exc(m, "368b03", EMU_SS, 0); /* the same through SS is #SS(0) */
    R(m, RBP) = 0xffe;
    ck_exc(m, "8b4500", EMU_SS, 0); /* [ebp] defaults to SS */
    ck_ok(m, "8a03"); /* a byte at 0xffe is fine */
    machine_free(m);
}
END_TEST

START_TEST(expand_down_segment)
{
    struct machine *m = tm_new(EMU_MODE_PROT32);
    /* expand-down data, big: valid offsets are 0x1000..0xffffffff */
    m->segs[EMU_SEG_DS].attr = 0xc97;
    m->segs[EMU_SEG_DS].limit = 0xfff;
    R(m, RBX) = 0xfff;
    ck_exc(m, "8b03", EMU_GP, 0);
    R(m, RBX) = 0x1000;
    ck_ok(m, "8b03");
    machine_free(m);
}
END_TEST

START_TEST(null_and_readonly_segments)
{
    struct machine *m = tm_new(EMU_MODE_PROT32);
    m->segs[EMU_SEG_ES].attr = 0; /* unusable (null selector) */
    m->segs[EMU_SEG_FS].attr = 0xc91; /* read-only data */
    ck_exc(m, "268b03", EMU_GP, 0);
    ck_ok(m, "648b03");
    ck_exc(m, "648903", EMU_GP, 0); /* write to read-only */
    ck_exc(m, "2e8903", EMU_GP, 0); /* write through CS */
    machine_free(m);
}
END_TEST

START_TEST(canonical_gp_and_ss)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    R(m, RBX) = 0x0000800000000000ull;
    ck_exc(m, "488b03", EMU_GP, 0);
    R(m, RSP) = 0x0000800000000008ull;
    ck_exc(m, "58", EMU_SS, 0); /* pop from a non-canonical stack: #SS(0) */
    R(m, RBX) = 0xffff800000000000ull;
    ck_ok(m, "488b03");
    machine_free(m);
}
END_TEST

START_TEST(alignment_check)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    tm_set_cpl(m, 3);
    m->cr[0] |= EMU_CR0_AM;
    FLAGS(m) |= EMU_FLAG_AC;
    R(m, RBX) = 0x2001;
    ck_exc(m, "8b03", EMU_AC, 0);
    ck_ok(m, "8a03"); /* bytes are always aligned */
    tm_set_cpl(m, 0);
    ck_ok(m, "8b03"); /* #AC only at CPL 3 */
    machine_free(m);
}
END_TEST

START_TEST(pf_before_ac)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    tm_set_cpl(m, 3);
    machine_add_perm(m, 0x401000, 0x1000, "rx", 1);
    m->cr[0] |= EMU_CR0_AM;
    FLAGS(m) |= EMU_FLAG_AC;
    R(m, RBX) = 0x9001; /* unmapped and misaligned: #PF wins */
    ck_exc(m, "8b03", EMU_PF, EMU_PF_U);
    machine_free(m);
}
END_TEST

START_TEST(lock_retries_on_contention)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    R(m, RBX) = 0x2000;
    R(m, RAX) = 1;
    m->cmpxchg_fail_once = 1; /* another agent flips the byte once */
    ck_ok(m, "f00003"); /* lock add [rbx], al */
    /* the first attempt lost (memory became 0xff), the retry added 1 to 0xff */
    ck_assert_uint_eq(machine_peek64(m, 0x2000, 1), 0x00);
    ck_assert(FLAGS(m) & EMU_FLAG_CF);
    machine_free(m);
}
END_TEST

START_TEST(io_pending_then_complete)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    m->io_pending_once = 1;
    R(m, RDX) = 0x3f8;
    enum emu_status st = tm_run(m, "ec"); /* in al, dx */
    ck_assert_int_eq(st, EMU_IO_PENDING);
    ck_assert_uint_eq(m->ctx.result.pending.is_port, 1);
    ck_assert_uint_eq(m->ctx.result.pending.addr, 0x3f8);
    ck_assert_uint_eq(m->ctx.result.pending.size, 1);
    ck_assert_uint_eq(m->regs.rip, 0x401000);
    uint8_t data = 0x5a;
    emu_complete_io(&m->ctx, &data, 1);
    ck_ok(m, "ec");
    ck_assert_uint_eq(R(m, RAX) & 0xff, 0x5a);
    ck_assert_uint_eq(m->regs.rip, 0x401001);
    machine_free(m);
}
END_TEST

START_TEST(mmio_read_pending_then_complete)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    m->read_pending_once = 1;
    R(m, RBX) = 0xfee00000;
    enum emu_status st = tm_run(m, "8b03"); /* mov eax, [rbx] */
    ck_assert_int_eq(st, EMU_IO_PENDING);
    ck_assert_uint_eq(m->ctx.result.pending.is_port, 0);
    ck_assert_uint_eq(m->ctx.result.pending.addr, 0xfee00000);
    ck_assert_uint_eq(m->ctx.result.pending.size, 4);
    const uint8_t d[4] = { 1, 2, 3, 4 };
    emu_complete_io(&m->ctx, d, 4);
    ck_ok(m, "8b03");
    ck_assert_uint_eq(R(m, RAX), 0x04030201);
    machine_free(m);
}
END_TEST

START_TEST(missing_callback_is_unhandled)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    static struct emu_ops ops;
    ops = machine_ops;
    ops.io_in = NULL;
    emu_init(&m->ctx, &m->cfg, &ops, m, &m->regs);
    enum emu_status st = tm_run(m, "ec");
    ck_assert_int_eq(st, EMU_UNHANDLED);
    ck_assert_ptr_nonnull(m->ctx.result.reason);
    ck_assert_uint_eq(m->regs.rip, 0x401000);
    machine_free(m);
}
END_TEST

START_TEST(fallback_names_unknown_instruction)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    m->ctx.fallback = &emu_zydis_fallback;
    enum emu_status st = tm_run(m, "0f58c1"); /* addps xmm0, xmm1 */
    ck_assert_int_eq(st, EMU_UNHANDLED);
    ck_assert_str_eq(m->ctx.result.mnemonic, "addps");
    ck_assert_uint_eq(m->ctx.result.length, 3);
    m->ctx.fallback = NULL;
    st = tm_run(m, "0f58c1");
    ck_assert_int_eq(st, EMU_UNHANDLED);
    machine_free(m);
}
END_TEST

START_TEST(mode_invalid_opcode)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    ck_exc(m, "27", EMU_UD, 0); /* DAA is #UD in 64-bit mode */
    ck_exc(m, "d5", EMU_UD, 0); /* D5 without APX */
    machine_free(m);
}
END_TEST

START_TEST(rip_wraps_in_16bit_code)
{
    struct machine *m = tm_new(EMU_MODE_REAL);
    m->regs.rip = 0xffff;
    ck_ok(m, "90");
    ck_assert_uint_eq(m->regs.rip, 0);
    machine_free(m);
}
END_TEST

START_TEST(fetch_beyond_cs_limit)
{
    struct machine *m = tm_new(EMU_MODE_PROT32);
    m->segs[EMU_SEG_CS].limit = 0x401001;
    /* mov eax, imm32 at 0x401000 needs bytes up to 0x401004 */
    enum emu_status st = tm_run_fetch(m, "b801020304");
    ck_assert_int_eq(st, EMU_EXCEPTION);
    ck_assert_uint_eq(m->ctx.result.exception.vector, EMU_GP);
    machine_free(m);
}
END_TEST

START_TEST(singlestep_event)
{
    struct machine *m = tm_new(EMU_MODE_LONG64);
    FLAGS(m) |= EMU_FLAG_TF;
    ck_ok(m, "90");
    ck_assert_uint_eq(m->nevents, 1);
    ck_assert_uint_eq(m->events[0].type, EMU_EV_SINGLESTEP);
    machine_free(m);
}
END_TEST

static Suite *pipeline_suite(void)
{
    Suite *s = suite_create("pipeline");
    TCase *t = tcase_create("pipeline");
    tcase_add_test(t, exception_commits_nothing);
    tcase_add_test(t, fifteen_byte_limit);
    tcase_add_test(t, fetch_crossing_into_unmapped_page);
    tcase_add_test(t, segment_limit_gp_and_ss);
    tcase_add_test(t, expand_down_segment);
    tcase_add_test(t, null_and_readonly_segments);
    tcase_add_test(t, canonical_gp_and_ss);
    tcase_add_test(t, alignment_check);
    tcase_add_test(t, pf_before_ac);
    tcase_add_test(t, lock_retries_on_contention);
    tcase_add_test(t, io_pending_then_complete);
    tcase_add_test(t, mmio_read_pending_then_complete);
    tcase_add_test(t, missing_callback_is_unhandled);
    tcase_add_test(t, fallback_names_unknown_instruction);
    tcase_add_test(t, mode_invalid_opcode);
    tcase_add_test(t, rip_wraps_in_16bit_code);
    tcase_add_test(t, fetch_beyond_cs_limit);
    tcase_add_test(t, singlestep_event);
    suite_add_tcase(s, t);
    return s;
}
REGISTER_SUITE(pipeline_suite)
