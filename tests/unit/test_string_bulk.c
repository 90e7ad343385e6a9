/*
 * REP string batching through the bulk callbacks: every result must equal the element-by-element
 * path (registers, memory, flags, the fault and how many iterations it leaves committed).
 */
#include "harness.h"

/* Run hex on two machines prepared by setup(), one with the bulk callbacks, and compare. */
static void same_as_elements(const char *hex, void (*setup)(struct machine *), int expect_bulk)
{
    struct machine *a = tm_new(EMU_MODE_LONG64), *b = tm_new(EMU_MODE_LONG64);
    setup(a);
    setup(b);
    b->bulk = 1;
    machine_reset_ctx(b);
    enum emu_status sa = tm_run(a, hex), sb = tm_run(b, hex);
    ck_assert_int_eq(sa, sb);
    for (int i = 0; i < 16; i++) ck_assert_uint_eq(a->regs.gpr[i], b->regs.gpr[i]);
    ck_assert_uint_eq(a->regs.rip, b->regs.rip);
    ck_assert_uint_eq(a->regs.rflags, b->regs.rflags);
    if (sa == EMU_EXCEPTION) {
        ck_assert_uint_eq(a->ctx.result.exception.vector, b->ctx.result.exception.vector);
        ck_assert_uint_eq(a->ctx.result.exception.error_code, b->ctx.result.exception.error_code);
        ck_assert_uint_eq(a->ctx.result.exception.cr2, b->ctx.result.exception.cr2);
    }
    for (uint64_t addr = 0x1f00; addr < 0x6100; addr++)
        ck_assert_msg(machine_peek64(a, addr, 1) == machine_peek64(b, addr, 1), "memory differs at 0x%llx",
                      (unsigned long long)addr);
    ck_assert_uint_eq(a->nouts, b->nouts);
    ck_assert_uint_eq(a->last_out_val, b->last_out_val);
    if (expect_bulk) ck_assert_uint_ge(b->nbulk, 1);
    else ck_assert_uint_eq(b->nbulk, 0);
    machine_free(a);
    machine_free(b);
}

static void fill_src(struct machine *m)
{
    for (unsigned i = 0; i < 0x1000; i++) {
        uint8_t v = (uint8_t)(i * 7 + 3);
        machine_poke(m, 0x2000 + i, &v, 1);
    }
    R(m, RSI) = 0x2000;
    R(m, RDI) = 0x4000;
    R(m, RCX) = 0x800;
    R(m, RAX) = 0x1122334455667788ull;
    R(m, RDX) = 0x3f8;
}

static void fill_src_q(struct machine *m)
{
    fill_src(m);
    R(m, RCX) = 0x200; /* 4 KiB of qwords: the ranges do not overlap */
}

static void fill_src_back(struct machine *m)
{
    fill_src_q(m);
    R(m, RSI) = 0x2ff8;
    R(m, RDI) = 0x4ff8;
    FLAGS(m) |= EMU_FLAG_DF;
}

START_TEST(bulk_movs_forward_and_backward)
{
    same_as_elements("f3a4", fill_src, 1);         /* rep movsb */
    same_as_elements("f348a5", fill_src_q, 1);     /* rep movsq */
    same_as_elements("f348a5", fill_src_back, 1);  /* DF = 1 */
    same_as_elements("f3aa", fill_src, 1);         /* rep stosb */
    same_as_elements("f348ab", fill_src_back, 1);  /* rep stosq, DF = 1 */
}
END_TEST

static void overlap_ahead(struct machine *m)
{
    fill_src(m);
    R(m, RDI) = 0x2001; /* destination one byte ahead of the source: element order matters */
}

/* An overlap where order matters goes element by element: the pattern replicates. */
START_TEST(bulk_movs_overlap_falls_back)
{
    same_as_elements("f3a4", overlap_ahead, 0);
    struct machine *m = tm_new(EMU_MODE_LONG64);
    overlap_ahead(m);
    R(m, RCX) = 4;
    m->bulk = 1;
    machine_reset_ctx(m);
    ck_ok(m, "f3a4");
    ck_assert_uint_eq(machine_peek64(m, 0x2000, 5), 0x0303030303ull); /* byte 0 replicated */
    machine_free(m);
}
END_TEST

static void fault_mid_batch(struct machine *m)
{
    fill_src(m);
    machine_add_perm(m, 0x401000, 0x1000, "rx", 0);
    machine_add_perm(m, 0x2000, 0x1000, "rw", 0);
    machine_add_perm(m, 0x4000, 0x300, "rw", 0); /* the destination runs off the mapping */
}

/* A #PF at element k: k iterations committed (RCX, RSI, RDI, memory), RIP at the instruction. */
START_TEST(bulk_fault_commits_done_iterations)
{
    same_as_elements("f3a4", fault_mid_batch, 1);
    struct machine *m = tm_new(EMU_MODE_LONG64);
    fault_mid_batch(m);
    m->bulk = 1;
    machine_reset_ctx(m);
    ck_exc(m, "f3a4", EMU_PF, EMU_PF_W);
    ck_assert_uint_eq(m->ctx.result.exception.cr2, 0x4300);
    ck_assert_uint_eq(R(m, RCX), 0x800 - 0x300);
    ck_assert_uint_eq(R(m, RDI), 0x4300);
    ck_assert_uint_eq(m->regs.rip, 0x401000);
    machine_free(m);
}
END_TEST

static void outs_setup(struct machine *m)
{
    fill_src(m);
    R(m, RCX) = 0x40;
}

START_TEST(bulk_outs_ins)
{
    same_as_elements("f36e", outs_setup, 1);   /* rep outsb */
    same_as_elements("f36c", outs_setup, 1);   /* rep insb */
    same_as_elements("f3666d", outs_setup, 1); /* rep insw */
}
END_TEST

static void wrap16(struct machine *m)
{
    fill_src(m);
    R(m, RSI) = 0xfff0;
    R(m, RCX) = 0x40;
}

/* A 16-bit address size wraps SI: the batch stops at the wrap, the rest goes element by
 * element (in 64-bit mode a 67 prefix gives a 32-bit address size; use real mode for 16). */
START_TEST(bulk_stops_at_address_wrap)
{
    struct machine *a = tm_new(EMU_MODE_REAL), *b = tm_new(EMU_MODE_REAL);
    wrap16(a);
    wrap16(b);
    b->bulk = 1;
    machine_reset_ctx(b);
    ck_ok(a, "f3a4");
    ck_ok(b, "f3a4");
    ck_assert_uint_eq(R(a, RSI), R(b, RSI));
    ck_assert_uint_eq(R(b, RSI) & 0xffff, 0x30);
    ck_assert_uint_eq(R(a, RCX), 0);
    ck_assert_uint_eq(R(b, RCX), 0);
    for (uint64_t addr = 0x4000; addr < 0x4040; addr++)
        ck_assert_uint_eq(machine_peek64(a, addr, 1), machine_peek64(b, addr, 1));
    machine_free(a);
    machine_free(b);
}
END_TEST

static Suite *string_bulk_suite(void)
{
    Suite *s = suite_create("string_bulk");
    TCase *t = tcase_create("string_bulk");
    tcase_add_test(t, bulk_movs_forward_and_backward);
    tcase_add_test(t, bulk_movs_overlap_falls_back);
    tcase_add_test(t, bulk_fault_commits_done_iterations);
    tcase_add_test(t, bulk_outs_ins);
    tcase_add_test(t, bulk_stops_at_address_wrap);
    suite_add_tcase(s, t);
    return s;
}
REGISTER_SUITE(string_bulk_suite)
