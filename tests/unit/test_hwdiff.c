/*
 * What `emulate hwdiff` found on an AMD Zen 3 (issue 6) and the engine now does: each test is
 * one disagreement between this CPU and the emulator, fixed in the engine or modelled for
 * EMU_VENDOR_AMD, with the other vendor's answer where the two differ.
 */
#include "harness.h"

static struct machine *amd(enum emu_mode mode)
{
    struct emu_config c = tm_cfg(EMU_VENDOR_AMD);
    emu_config_set_feature(&c, EMU_FEAT_CR8_LEGACY);
    return tm_new_cfg(mode, &c);
}

static void poke64(struct machine *m, uint64_t a, uint64_t v)
{
    uint8_t b[8];
    for (int i = 0; i < 8; i++) b[i] = (uint8_t)(v >> (8 * i));
    machine_poke(m, a, b, 8);
}

/* User mode with CR0.AM and RFLAGS.AC: alignment checks on. */
static void user_ac(struct machine *m)
{
    tm_set_cpl(m, 3);
    m->cr[0] |= EMU_CR0_AM;
    m->regs.rflags |= EMU_FLAG_AC;
}

static unsigned decoded_length(enum emu_vendor v, const uint8_t *b, unsigned n, enum emu_decode_status *st)
{
    struct emu_config c = tm_cfg(v);
    struct emu_insn in;
    *st = emu_decode_mode(&c, EMU_MODE_LONG64, 1, b, n, &in);
    return in.length;
}

START_TEST(prefetch_register_form)
{
    /* 0F 0D /r with a register operand: #UD on AMD, a hint NOP on Intel */
    const uint8_t b[] = { 0x0f, 0x0d, 0xc8 };
    enum emu_decode_status st;
    decoded_length(EMU_VENDOR_AMD, b, sizeof b, &st);
    ck_assert_int_eq(st, EMU_DEC_UD);
    decoded_length(EMU_VENDOR_INTEL, b, sizeof b, &st);
    ck_assert_int_eq(st, EMU_DEC_OK);
    struct machine *m = amd(EMU_MODE_LONG64);
    ck_exc(m, "0f0dc8", EMU_UD, 0);
    ck_ok(m, "0f0d08"); /* the memory form is PREFETCHW */
    machine_free(m);
}
END_TEST

START_TEST(ud0_ud1_without_modrm_on_amd)
{
    const uint8_t ud1[] = { 0x0f, 0xb9, 0xc0 }, ud0[] = { 0x0f, 0xff, 0xc0 };
    enum emu_decode_status st;
    ck_assert_uint_eq(decoded_length(EMU_VENDOR_AMD, ud1, sizeof ud1, &st), 2);
    ck_assert_uint_eq(decoded_length(EMU_VENDOR_INTEL, ud1, sizeof ud1, &st), 3);
    ck_assert_uint_eq(decoded_length(EMU_VENDOR_AMD, ud0, sizeof ud0, &st), 2);
    ck_assert_uint_eq(decoded_length(EMU_VENDOR_INTEL, ud0, sizeof ud0, &st), 3);
    /* at the end of an executable page followed by a non-executable one: #UD on AMD, the
     * fetch of the ModRM byte faults on Intel */
    for (int v = 0; v < 2; v++) {
        struct emu_config c = tm_cfg(v ? EMU_VENDOR_AMD : EMU_VENDOR_INTEL);
        struct machine *m = tm_new_cfg(EMU_MODE_LONG64, &c);
        machine_add_perm(m, 0x400000, 0x1000, "rx", 1);
        machine_add_perm(m, 0x401000, 0x1000, "rw", 1);
        tm_set_cpl(m, 3);
        m->regs.rip = 0x400ffe;
        machine_poke(m, 0x400ffe, ud1, 3);
        machine_reset_ctx(m);
        ck_assert_int_eq(emu_step(&m->ctx, NULL, 0), EMU_EXCEPTION);
        ck_assert_uint_eq(m->ctx.result.exception.vector, v ? EMU_UD : EMU_PF);
        machine_free(m);
    }
}
END_TEST

START_TEST(late_ud_after_fetch)
{
    /* 82 /7 ib is #UD in 64-bit mode, but the CPU fetches the whole instruction first */
    struct machine *m = amd(EMU_MODE_LONG64);
    machine_add_perm(m, 0x400000, 0x1000, "rx", 1);
    machine_add_perm(m, 0x401000, 0x1000, "rw", 1);
    tm_set_cpl(m, 3);
    m->regs.rip = 0x400ffe;
    const uint8_t b[] = { 0x82, 0xf8, 0x01 };
    machine_poke(m, 0x400ffe, b, 3);
    machine_reset_ctx(m);
    ck_assert_int_eq(emu_step(&m->ctx, NULL, 0), EMU_EXCEPTION);
    ck_assert_uint_eq(m->ctx.result.exception.vector, EMU_PF);
    ck_assert_uint_eq(m->ctx.result.exception.cr2, 0x401000);
    ck_assert_uint_eq(m->ctx.result.exception.error_code, EMU_PF_P | EMU_PF_U | EMU_PF_I);
    m->regs.rip = 0x400800;
    machine_poke(m, 0x400800, b, 3);
    ck_assert_int_eq(emu_step(&m->ctx, NULL, 0), EMU_EXCEPTION);
    ck_assert_uint_eq(m->ctx.result.exception.vector, EMU_UD);
    machine_free(m);
}
END_TEST

/* 9A and EA in 64-bit mode: #UD, sized with a 4-byte offset whatever REX.W says (the length
 * decides between #UD and the #GP of an instruction longer than 15 bytes). */
START_TEST(far_pointer_length_in_64bit_mode)
{
    static const struct {
        const char *hex;
        unsigned vector;
    } cases[] = {
        { "4b4b4b4b4b9a100a646fa8d7d20b", EMU_UD },   /* 5 REX.W + 9A + 16:32: 12 bytes */
        { "4b4b4b4b4bea100a646fa8d7d20b", EMU_UD },   /* the same with EA */
        { "41414141414141664b9a100a646f", EMU_GP },   /* 9 prefixes + 9A + 16:32 (W over 66): 16 */
        { "414141414141414141669a100a64", EMU_UD },   /* 9 prefixes + 9A + 16:16: 14 */
        { "4141414141414141419a100a646f", EMU_GP },   /* 9 prefixes + 9A + 16:32: 16 */
    };
    for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct machine *m = amd(EMU_MODE_LONG64);
        tm_set_cpl(m, 3);
        ck_assert_msg(tm_run(m, cases[i].hex) == EMU_EXCEPTION && m->ctx.result.exception.vector == cases[i].vector,
                      "%s: vector %u, expected %u", cases[i].hex, m->ctx.result.exception.vector, cases[i].vector);
        machine_free(m);
    }
}
END_TEST

START_TEST(segment_override_ignored_in_64bit_mode)
{
    struct machine *m = amd(EMU_MODE_LONG64);
    R(m, RBP) = 0x8000000000000000ull;
    R(m, RBX) = 0x8000000000000000ull;
    ck_exc(m, "268b4500", EMU_SS, 0); /* es: mov eax, [rbp]: still SS, so #SS */
    ck_exc(m, "3e8b4500", EMU_SS, 0);
    ck_exc(m, "368b03", EMU_GP, 0);   /* ss: mov eax, [rbx]: still DS, so #GP */
    ck_exc(m, "648b4500", EMU_GP, 0); /* fs: does apply: #GP */
    machine_free(m);
    /* outside 64-bit mode the override counts */
    m = amd(EMU_MODE_PROT32);
    R(m, RBX) = 0x1000;
    m->segs[EMU_SEG_SS].limit = 0xfff;
    ck_exc(m, "368b03", EMU_SS, 0);
    machine_free(m);
}
END_TEST

START_TEST(enter_faults_in_order)
{
    /* compatibility mode, ESP = 0: the rBP push at 0xfffffffe faults first, not the final rSP */
    struct machine *m = amd(EMU_MODE_COMPAT32);
    machine_add_perm(m, 0x10000000, 0x1000, "rw", 1);
    tm_set_cpl(m, 3);
    R(m, RSP) = 0;
    R(m, RBP) = 0x10000800;
    ck_exc(m, "66c8080001", EMU_PF, EMU_PF_W | EMU_PF_U);
    ck_assert_uint_eq(m->ctx.result.exception.cr2, 0xfffffffe);
    /* the pushes of the outer frame pointers run into a read-only page before the final rSP
     * reaches an unmapped one */
    machine_free(m);
    m = amd(EMU_MODE_COMPAT32);
    machine_add_perm(m, 0x10000000, 0x1000, "r", 1);
    machine_add_perm(m, 0x10001000, 0x1000, "rw", 1);
    tm_set_cpl(m, 3);
    R(m, RSP) = 0x10001006;
    R(m, RBP) = 0x10001910;
    ck_exc(m, "66c8018071", EMU_PF, EMU_PF_P | EMU_PF_W | EMU_PF_U);
    ck_assert_uint_eq(m->ctx.result.exception.cr2, 0x10000ffe);
    machine_free(m);
    /* a misaligned final rSP with alignment checks on is #AC */
    m = amd(EMU_MODE_LONG64);
    user_ac(m);
    R(m, RSP) = 0x8000;
    R(m, RBP) = 0x9000;
    ck_exc(m, "c82a0000", EMU_AC, 0);
    ck_ok(m, "c8280000"); /* 0x8000 - 8 - 0x28 is 8-aligned: no #AC */
    machine_free(m);
}
END_TEST

START_TEST(cmps_reads_destination_first_on_amd)
{
    for (int v = 0; v < 2; v++) {
        struct emu_config c = tm_cfg(v ? EMU_VENDOR_AMD : EMU_VENDOR_INTEL);
        struct machine *m = tm_new_cfg(EMU_MODE_LONG64, &c);
        machine_add_perm(m, 0x401000, 0x1000, "rx", 1);
        R(m, RSI) = 0x10000;
        R(m, RDI) = 0x20000;
        ck_exc(m, "a6", EMU_PF, 0);
        ck_assert_uint_eq(m->ctx.result.exception.cr2, v ? 0x20000 : 0x10000);
        machine_free(m);
    }
}
END_TEST

START_TEST(ac_before_pf_on_amd)
{
    for (int v = 0; v < 2; v++) {
        struct emu_config c = tm_cfg(v ? EMU_VENDOR_AMD : EMU_VENDOR_INTEL);
        struct machine *m = tm_new_cfg(EMU_MODE_LONG64, &c);
        machine_add_perm(m, 0x401000, 0x1000, "rx", 1);
        user_ac(m);
        R(m, RSI) = 0x10001;
        ck_exc(m, "8b06", v ? EMU_AC : EMU_PF, v ? 0 : EMU_PF_U);
        machine_free(m);
    }
}
END_TEST

START_TEST(cmpxchg16b_alignment_before_canonical)
{
    struct machine *m = amd(EMU_MODE_LONG64);
    R(m, RBP) = 0xffff7ffff2cc6206ull; /* non-canonical and misaligned */
    ck_exc(m, "480fc74d00", EMU_GP, 0);
    R(m, RBP) = 0xffff7ffff2cc6200ull; /* non-canonical, aligned: #SS for an rBP base */
    ck_exc(m, "480fc74d00", EMU_SS, 0);
    machine_free(m);
}
END_TEST

START_TEST(call_pushes_before_checking_target)
{
    struct machine *m = amd(EMU_MODE_LONG64);
    machine_add_perm(m, 0x401000, 0x1000, "rx", 1);
    tm_set_cpl(m, 3);
    R(m, RSP) = 0x9000; /* unmapped */
    R(m, RAX) = 0x8000000000000000ull;
    ck_exc(m, "ffd0", EMU_PF, EMU_PF_W | EMU_PF_U);
    ck_assert_uint_eq(m->ctx.result.exception.cr2, 0x8ff8);
    R(m, RSP) = 0x8000000000009000ull;
    ck_exc(m, "ffd0", EMU_SS, 0);
    machine_add_perm(m, 0x8000, 0x1000, "rw", 1);
    R(m, RSP) = 0x9000;
    ck_exc(m, "ffd0", EMU_GP, 0); /* a good stack: now the target */
    ck_assert_uint_eq(R(m, RSP), 0x9000);
    machine_free(m);
}
END_TEST

START_TEST(bt_offset_int64_min)
{
    struct machine *m = amd(EMU_MODE_LONG64);
    poke64(m, 0x2000, 1);
    R(m, RSI) = 0x2000;
    R(m, RAX) = 0x8000000000000000ull; /* bit -2^63: byte -2^60, 0 modulo 2^32 */
    ck_ok(m, "67480fb306");            /* btr [esi], rax */
    ck_assert(FLAGS(m) & EMU_FLAG_CF);
    ck_assert_uint_eq(machine_peek64(m, 0x2000, 8), 0);
    R(m, RAX) = 0x8000000000000001ull;
    ck_ok(m, "67480fbb06"); /* btc [esi], rax: bit 1 of the same quadword */
    ck_assert_uint_eq(machine_peek64(m, 0x2000, 8), 2);
    machine_free(m);
}
END_TEST

START_TEST(bound_alignment_per_bound)
{
    struct machine *m = amd(EMU_MODE_PROT32);
    user_ac(m);
    poke64(m, 0x2004, 0x0000001000000000ull); /* bounds 0 and 16 at a 4-aligned address */
    R(m, RSI) = 0x2004;
    R(m, RAX) = 5;
    ck_ok(m, "6206");                    /* bound eax, [esi] */
    R(m, RSI) = 0x2006;
    ck_exc(m, "6206", EMU_AC, 0);        /* 2-aligned dwords */
    machine_free(m);
}
END_TEST

START_TEST(loopcc_rep_prefix_on_amd)
{
    for (int v = 0; v < 2; v++) {
        struct emu_config c = tm_cfg(v ? EMU_VENDOR_AMD : EMU_VENDOR_INTEL);
        struct machine *m = tm_new_cfg(EMU_MODE_LONG64, &c);
        const uint64_t rip = m->regs.rip;
        R(m, RCX) = 2;
        m->regs.rflags &= ~(uint64_t)EMU_FLAG_ZF;
        ck_ok(m, "f2e110"); /* F2 LOOPE, ZF = 0: a LOOPNE on AMD */
        ck_assert_uint_eq(m->regs.rip, v ? rip + 3 + 0x10 : rip + 3);
        m->regs.rip = rip;
        R(m, RCX) = 2;
        m->regs.rflags |= EMU_FLAG_ZF;
        ck_ok(m, "f3e010"); /* F3 LOOPNE, ZF = 1: a LOOPE on AMD */
        ck_assert_uint_eq(m->regs.rip, v ? rip + 3 + 0x10 : rip + 3);
        machine_free(m);
    }
}
END_TEST

START_TEST(lock_mov_cr8_rexr_is_ud)
{
    struct machine *m = amd(EMU_MODE_LONG64);
    ck_exc(m, "f04c0f20c3", EMU_UD, 0); /* lock mov rbx, cr8 (REX.R): no alternate name */
    ck_ok(m, "f00f20c3");               /* lock mov ebx, cr0 = mov ebx, cr8 */
    machine_free(m);
}
END_TEST

START_TEST(compat_mode_descriptor_address)
{
    /* the GDT above 4 GiB: compatibility mode reads descriptors at the full base */
    struct machine *m = amd(EMU_MODE_COMPAT32);
    m->dtr_base[EMU_DTR_GDTR] = 0xfffffe0000001000ull;
    m->dtr_limit[EMU_DTR_GDTR] = 0x7f;
    poke64(m, 0xfffffe0000001028ull, 0x00cff3000000ffffull); /* 0x2b: user data */
    poke64(m, 0xfffffe0000001050ull, 0x0000820000000000ull); /* 0x50: an LDT descriptor */
    R(m, RSP) = 0x3000;
    poke64(m, 0x3000, 0x2b);
    ck_ok(m, "0fa9"); /* pop gs */
    ck_assert_uint_eq(m->segs[EMU_SEG_GS].sel, 0x2b);
    ck_assert_uint_eq(m->segs[EMU_SEG_GS].attr & 0xff, 0xf3);
    R(m, RSP) = 0x3000;
    poke64(m, 0x3000, 0x50);
    ck_exc(m, "0fa9", EMU_GP, 0x50);
    machine_free(m);
}
END_TEST

START_TEST(reads_see_the_instructions_own_writes)
{
    /* ENTER 0x30, 23: the 16th outer frame pointer is read from [rBP - 0x78], where the rBP
     * push of the same instruction went */
    struct machine *m = amd(EMU_MODE_LONG64);
    R(m, RSP) = 0x100019f0;
    R(m, RBP) = 0x10001a60;
    ck_ok(m, "48c8300017");
    ck_assert_uint_eq(R(m, RSP), 0x10001900);
    ck_assert_uint_eq(machine_peek64(m, 0x100019e8, 8), 0x10001a60);
    ck_assert_uint_eq(machine_peek64(m, 0x10001970, 8), 0x10001a60);
    machine_free(m);
}
END_TEST

START_TEST(aaa_aas_overflow_flag_on_amd)
{
    /* OF is undefined for AAA/AAS; Zen 3 sets it as the 16-bit AX +/- 0x106 overflows */
    struct machine *m = amd(EMU_MODE_COMPAT32);
    R(m, RAX) = 0x7fff;
    m->regs.rflags &= ~(uint64_t)(EMU_FLAG_OF | EMU_FLAG_AF);
    ck_ok(m, "37"); /* aaa */
    ck_assert_uint_eq(R(m, RAX) & 0xffff, 0x8105);
    ck_assert(FLAGS(m) & EMU_FLAG_OF);
    R(m, RAX) = 0x8000;
    m->regs.rflags |= EMU_FLAG_AF;
    ck_ok(m, "3f"); /* aas */
    ck_assert_uint_eq(R(m, RAX) & 0xffff, 0x7e0a);
    ck_assert(FLAGS(m) & EMU_FLAG_OF);
    R(m, RAX) = 0x0105;
    m->regs.rflags |= EMU_FLAG_AF;
    ck_ok(m, "37");
    ck_assert(!(FLAGS(m) & EMU_FLAG_OF));
    machine_free(m);
}
END_TEST

START_TEST(fs_gs_offset_canonical_on_amd)
{
    /* GS base 0xffff800000000000 + offset 0x00008000100015a0 wraps to 0x100015a0: #GP(0) on
     * AMD (the offset is not canonical), the access on Intel */
    for (int v = 0; v < 2; v++) {
        struct emu_config c = tm_cfg(v ? EMU_VENDOR_AMD : EMU_VENDOR_INTEL);
        struct machine *m = tm_new_cfg(EMU_MODE_LONG64, &c);
        m->segs[EMU_SEG_GS].base = 0xffff800000000000ull;
        R(m, RSI) = 0x00008000100015a0ull;
        if (v) ck_exc(m, "658b06", EMU_GP, 0);
        else ck_ok(m, "658b06");
        /* the operand's last byte counts: offset 0x7ffffffffffc, 8 bytes */
        m->segs[EMU_SEG_GS].base = 0xffffeca650331d76ull;
        R(m, RDI) = 0x7ffffffffffcull;
        if (v) ck_exc(m, "65488b07", EMU_GP, 0);
        /* a canonical offset that wraps is fine on both */
        m->segs[EMU_SEG_GS].base = 0xfffffffffffff000ull;
        R(m, RSI) = 0x100027f0;
        ck_ok(m, "658b06");
        machine_free(m);
    }
}
END_TEST

static Suite *hwdiff_suite(void)
{
    Suite *s = suite_create("hwdiff");
    TCase *t = tcase_create("findings");
    tcase_add_test(t, prefetch_register_form);
    tcase_add_test(t, ud0_ud1_without_modrm_on_amd);
    tcase_add_test(t, late_ud_after_fetch);
    tcase_add_test(t, far_pointer_length_in_64bit_mode);
    tcase_add_test(t, segment_override_ignored_in_64bit_mode);
    tcase_add_test(t, enter_faults_in_order);
    tcase_add_test(t, cmps_reads_destination_first_on_amd);
    tcase_add_test(t, ac_before_pf_on_amd);
    tcase_add_test(t, cmpxchg16b_alignment_before_canonical);
    tcase_add_test(t, call_pushes_before_checking_target);
    tcase_add_test(t, bt_offset_int64_min);
    tcase_add_test(t, bound_alignment_per_bound);
    tcase_add_test(t, loopcc_rep_prefix_on_amd);
    tcase_add_test(t, lock_mov_cr8_rexr_is_ud);
    tcase_add_test(t, compat_mode_descriptor_address);
    tcase_add_test(t, reads_see_the_instructions_own_writes);
    tcase_add_test(t, aaa_aas_overflow_flag_on_amd);
    tcase_add_test(t, fs_gs_offset_canonical_on_amd);
    suite_add_tcase(s, t);
    return s;
}
REGISTER_SUITE(hwdiff_suite)
