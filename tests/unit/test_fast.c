/*
 * The exit-path fast path (lib/fast.c) against the full pipeline.  Each case is one random
 * instruction around the fast forms (ALU and MOV with register, immediate and memory operands,
 * with and without the prefixes that must make the fast path decline) on a random 64-bit
 * state, at CPL 0 or 3, with RFLAGS.AC/TF and CR0.AM sometimes set, over pages that are
 * writable, read-only, supervisor-only and missing.  Machine A warms its decode cache with one
 * step, is put back into the same state and steps again (the fast path, when the form allows),
 * half of the time through get_state and half with the state passed to emu_step_state;
 * machine B steps once with EMU_MODEL_NO_DECODE_CACHE (the pipeline alone).  Status, result,
 * registers, RIP, RFLAGS and memory must be equal.
 */
#include <stdio.h>
#include "harness.h"

#define RW_PAGE 0x2000ull   /* user rw; 0x3000 is missing */
#define RO_PAGE 0x5000ull   /* user r- */
#define SUP_PAGE 0x6000ull  /* supervisor rw */

static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

struct fcase {
    uint8_t bytes[15];
    struct emu_regs regs;
    unsigned cpl, am;
    uint64_t fill;
};

static uint64_t interesting(uint64_t *r)
{
    const uint64_t x = rng_next(r);
    switch (x % 10) {
    case 0: return RW_PAGE + (x >> 8) % 0x1000;
    case 1: return RW_PAGE + 0xff8 + (x >> 8) % 8; /* straddles into the missing page */
    case 2: return RO_PAGE + (x >> 8) % 0x1000;
    case 3: return SUP_PAGE + (x >> 8) % 0x1000;
    case 4: return 0x00007ffffffffff8ull + (x >> 8) % 8; /* the canonical edge */
    case 5: return 0xffff800000000000ull - (x >> 8) % 4;
    case 6: return (x >> 8) % 16;
    case 7: return ~0ull - (x >> 8) % 3;
    default: return x;
    }
}

static void gen_case(uint64_t *r, struct fcase *c)
{
    static const uint8_t prefixes[] = { 0x66, 0x40, 0x41, 0x44, 0x48, 0x49, 0x4c, 0x4d, 0x4f, 0xf0, 0xf3, 0xf2,
                                        0x2e, 0x36, 0x3e, 0x26, 0x64, 0x65, 0x67 };
    static const uint8_t opcodes[] = { 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x08, 0x09, 0x0b, 0x0d, 0x10, 0x11,
                                       0x13, 0x19, 0x1b, 0x21, 0x23, 0x25, 0x29, 0x2b, 0x31, 0x33, 0x38, 0x39,
                                       0x3b, 0x3d, 0x80, 0x81, 0x83, 0x84, 0x85, 0xa8, 0xa9, 0x88, 0x89, 0x8a,
                                       0x8b, 0xb0, 0xb3, 0xb8, 0xbf, 0xc6, 0xc7, 0xa0, 0xa1, 0xa2, 0xa3, 0xf6,
                                       0xf7, 0x8b, 0x89, 0x01, 0x39 };
    memset(c, 0, sizeof *c);
    unsigned n = 0;
    const unsigned npfx = (unsigned)(rng_next(r) % 4 == 0 ? rng_next(r) % 3 : 0);
    for (unsigned i = 0; i < npfx; i++) c->bytes[n++] = prefixes[rng_next(r) % sizeof prefixes];
    if (rng_next(r) % 2) c->bytes[n++] = (uint8_t)(0x48 | (rng_next(r) & 7)); /* REX.W (+R/X/B) */
    c->bytes[n++] = opcodes[rng_next(r) % sizeof opcodes];
    /* ModRM: mostly register or [base] / [base+index*s+disp8] forms near the pages */
    static const uint8_t mods[] = { 0xc0, 0x00, 0x40, 0x00, 0xc0, 0x80 };
    uint8_t modrm = (uint8_t)(mods[rng_next(r) % sizeof mods] | (rng_next(r) & 0x3f));
    c->bytes[n++] = modrm;
    while (n < 15) c->bytes[n++] = (uint8_t)(rng_next(r) % 3 == 0 ? 0 : rng_next(r));
    for (unsigned i = 0; i < 32; i++) c->regs.gpr[i] = interesting(r);
    c->regs.gpr[EMU_RSP] = RW_PAGE + 0x800;
    c->regs.rip = 0x401000;
    c->regs.rflags = 2 | (rng_next(r) & 0x8d5) | (rng_next(r) % 8 == 0 ? EMU_FLAG_AC : 0) |
                     (rng_next(r) % 16 == 0 ? EMU_FLAG_TF : 0) | (rng_next(r) % 8 == 0 ? EMU_FLAG_RF : 0);
    c->cpl = rng_next(r) % 2 ? 3 : 0;
    c->am = rng_next(r) % 2;
    c->fill = rng_next(r);
}

static void fill_pages(struct machine *m, uint64_t seed)
{
    uint8_t page[4096];
    const uint64_t pages[3] = { RW_PAGE, RO_PAGE, SUP_PAGE };
    for (unsigned p = 0; p < 3; p++) {
        uint64_t s = seed + p + 1;
        for (unsigned i = 0; i < sizeof page; i++) page[i] = (uint8_t)rng_next(&s);
        machine_poke(m, pages[p], page, sizeof page);
    }
}

static struct machine *case_machine(const struct fcase *c, enum emu_vendor v, int pipeline_only)
{
    struct emu_config cfg = tm_cfg(v);
    if (pipeline_only) cfg.model_flags |= EMU_MODEL_NO_DECODE_CACHE;
    struct machine *m = tm_new_cfg(EMU_MODE_LONG64, &cfg);
    machine_add_perm(m, 0x401000, 0x1000, "rx", 1);
    machine_add_perm(m, RW_PAGE, 0x1000, "rw", 1);
    machine_add_perm(m, RO_PAGE, 0x1000, "r", 1);
    machine_add_perm(m, SUP_PAGE, 0x1000, "rw", 0);
    tm_set_cpl(m, c->cpl);
    if (c->am) m->cr[0] |= EMU_CR0_AM;
    m->state_cb = 1;
    machine_reset_ctx(m);
    fill_pages(m, c->fill);
    m->regs = c->regs;
    machine_poke(m, 0x401000, c->bytes, 15);
    return m;
}

/* What a hypervisor would pass to emu_step_state. */
static struct emu_cpu_state state_of(struct machine *m)
{
    struct emu_cpu_state st;
    int found;
    st.cr0 = m->cr[0];
    st.cr4 = m->cr[4];
    st.efer = machine_get_msr(m, EMU_MSR_EFER, &found);
    st.cs = m->segs[EMU_SEG_CS];
    st.ss = m->segs[EMU_SEG_SS];
    return st;
}

/* One step of A: through get_state (emu_step) or with the state passed (emu_step_state, and
 * then the machine has no get_state callback at all). */
static enum emu_status step_a(struct machine *a, const struct fcase *c, int passed)
{
    if (!passed) return emu_step(&a->ctx, c->bytes, 15);
    const struct emu_cpu_state st = state_of(a);
    return emu_step_state(&a->ctx, c->bytes, 15, &st);
}

static void ck_same(const struct fcase *c, struct machine *a, enum emu_status sa, struct machine *b,
                    enum emu_status sb)
{
    char hex[64];
    for (unsigned i = 0; i < 15; i++) snprintf(hex + 2 * i, 3, "%02x", c->bytes[i]);
    const struct emu_result *ra = &a->ctx.result, *rb = &b->ctx.result;
    ck_assert_msg(sa == sb, "%s: status fast %d, pipeline %d (%s)", hex, sa, sb, rb->reason ? rb->reason : "-");
    ck_assert_msg(ra->length == rb->length && ra->op == rb->op, "%s: length/op differ", hex);
    ck_assert_msg(!strcmp(ra->mnemonic, rb->mnemonic), "%s: mnemonic %s vs %s", hex, ra->mnemonic, rb->mnemonic);
    if (sa == EMU_EXCEPTION) {
        ck_assert_msg(ra->exception.vector == rb->exception.vector &&
                          ra->exception.error_code == rb->exception.error_code &&
                          ra->exception.has_error_code == rb->exception.has_error_code &&
                          ra->exception.cr2 == rb->exception.cr2 &&
                          ra->exception.insn_length == rb->exception.insn_length,
                      "%s: exception %u/%x/%llx vs %u/%x/%llx", hex, ra->exception.vector,
                      ra->exception.error_code, (unsigned long long)ra->exception.cr2, rb->exception.vector,
                      rb->exception.error_code, (unsigned long long)rb->exception.cr2);
    }
    if (sa == EMU_UNHANDLED) ck_assert_str_eq(ra->reason, rb->reason);
    if (sa == EMU_IO_PENDING)
        ck_assert(ra->pending.addr == rb->pending.addr && ra->pending.size == rb->pending.size);
    for (unsigned i = 0; i < 32; i++)
        ck_assert_msg(a->regs.gpr[i] == b->regs.gpr[i], "%s: gpr %u %llx vs %llx", hex, i,
                      (unsigned long long)a->regs.gpr[i], (unsigned long long)b->regs.gpr[i]);
    ck_assert_msg(a->regs.rip == b->regs.rip, "%s: rip", hex);
    ck_assert_msg(a->regs.rflags == b->regs.rflags, "%s: rflags %llx vs %llx", hex,
                  (unsigned long long)a->regs.rflags, (unsigned long long)b->regs.rflags);
    ck_assert_uint_eq(a->nevents, b->nevents);
    const uint64_t pages[4] = { RW_PAGE, RO_PAGE, SUP_PAGE, 0x401000 };
    for (unsigned p = 0; p < 4; p++) {
        uint8_t x[4096], y[4096];
        machine_peek(a, pages[p], x, sizeof x);
        machine_peek(b, pages[p], y, sizeof y);
        ck_assert_msg(!memcmp(x, y, sizeof x), "%s: memory at %llx differs", hex, (unsigned long long)pages[p]);
    }
}

START_TEST(fast_path_equals_pipeline)
{
    uint64_t r = 0x9e3779b97f4a7c15ull;
    unsigned fast = 0, total = 0;
    for (unsigned k = 0; k < 20000; k++) {
        struct fcase c;
        gen_case(&r, &c);
        const enum emu_vendor v = (k & 1) ? EMU_VENDOR_AMD : EMU_VENDOR_INTEL;
        const int passed = (k >> 1) & 1;
        struct machine *a = case_machine(&c, v, 0), *b = case_machine(&c, v, 1);
        if (passed) {
            a->state_cb = 0;
            const struct emu_regs keep = a->regs;
            machine_reset_ctx(a);
            a->regs = keep;
        }
        /* A: warm the decode cache, then the same state again */
        step_a(a, &c, passed);
        fill_pages(a, c.fill);
        /* RIP-relative writes at CPL 0 without CR0.WP change the code page */
        static const uint8_t zero[4096];
        machine_poke(a, 0x401000, zero, sizeof zero);
        machine_poke(a, 0x401000, c.bytes, 15);
        a->regs = c.regs;
        a->nevents = 0;
        const uint32_t before = a->ctx.s.nfast;
        const enum emu_status sa = step_a(a, &c, passed);
        fast += a->ctx.s.nfast - before;
        const enum emu_status sb = emu_step(&b->ctx, c.bytes, 15);
        ck_same(&c, a, sa, b, sb);
        total++;
        machine_free(a);
        machine_free(b);
    }
    /* the generator must reach the fast path often, and not always */
    ck_assert_msg(fast > total / 10 && fast < total, "fast path taken in %u of %u cases", fast, total);
}
END_TEST

/* The forms and what makes the fast path decline, one by one. */
START_TEST(fast_path_forms)
{
    static const struct {
        const char *hex;
        int fast;
    } cases[] = {
        { "01d8", 1 },           /* add eax, ebx */
        { "4801c8", 1 },         /* add rax, rcx */
        { "83c007", 1 },         /* add eax, 7 */
        { "6629d8", 1 },         /* sub ax, bx */
        { "38d8", 1 },           /* cmp al, bl */
        { "38f8", 0 },           /* cmp al, bh: a high-8 register */
        { "8b03", 1 },           /* mov eax, [rbx] */
        { "8b44cb10", 1 },       /* mov eax, [rbx+rcx*8+0x10] */
        { "8903", 1 },           /* mov [rbx], eax */
        { "c70301000000", 1 },   /* mov dword [rbx], 1 */
        { "8b0500000000", 1 },   /* mov eax, [rip] */
        { "648b03", 0 },         /* mov eax, fs:[rbx] */
        { "678b03", 0 },         /* mov eax, [ebx] */
        { "f00103", 0 },         /* lock add [rbx], eax */
        { "0103", 0 },           /* add [rbx], eax: a read-modify-write */
        { "0f20c0", 0 },         /* mov rax, cr0 */
    };
    for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct emu_config cfg = tm_cfg(EMU_VENDOR_AMD);
        struct machine *m = tm_new_cfg(EMU_MODE_LONG64, &cfg);
        m->state_cb = 1;
        machine_reset_ctx(m);
        R(m, RBX) = 0x2000;
        R(m, RCX) = 0;
        ck_assert_int_eq(tm_run(m, cases[i].hex), EMU_OK);
        m->regs.rip = 0x401000;
        R(m, RBX) = 0x2000;
        const uint32_t before = m->ctx.s.nfast;
        ck_assert_int_eq(tm_run(m, cases[i].hex), EMU_OK);
        ck_assert_msg(m->ctx.s.nfast - before == (uint32_t)cases[i].fast, "%s: fast %u, expected %d", cases[i].hex,
                      m->ctx.s.nfast - before, cases[i].fast);
        /* RFLAGS.TF: the single-step event needs the pipeline */
        m->regs.rip = 0x401000;
        R(m, RBX) = 0x2000;
        m->regs.rflags |= EMU_FLAG_TF;
        m->nevents = 0;
        const uint32_t b2 = m->ctx.s.nfast;
        ck_assert_int_eq(tm_run(m, cases[i].hex), EMU_OK);
        ck_assert_uint_eq(m->ctx.s.nfast, b2);
        ck_assert_uint_eq(m->nevents, 1);
        machine_free(m);
    }
}
END_TEST

static Suite *fast_suite(void)
{
    Suite *s = suite_create("fast");
    TCase *t = tcase_create("fast");
    tcase_set_timeout(t, 120);
    tcase_add_test(t, fast_path_forms);
    tcase_add_test(t, fast_path_equals_pipeline);
    suite_add_tcase(s, t);
    return s;
}
REGISTER_SUITE(fast_suite)
