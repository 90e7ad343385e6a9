/*
 * The exit-path fast path (lib/fast.c) against the full pipeline.
 *
 * fast_path_equals_pipeline: each case is one random instruction around the fast forms (ALU
 * and MOV with register, immediate and memory operands, moffs, and the prefixes that must make
 * the fast path decline: LOCK, REP, segment, 67, REX2) on a random 64-bit state: CPL 0 or 3,
 * RFLAGS.AC/TF/RF, CR0.AM, CR4.LA57, Intel or AMD, APX with XCR0.APX on or off, nested with
 * every intercept set, over pages that are writable, read-only, supervisor-only and missing,
 * with 1 to 15 bytes given or none (fetched, sometimes across the end of the code page, into
 * a page that is missing).  Machine A warms its decode cache with one step (its cache and
 * last fast entry come from the previous case, so entries of other configurations are
 * reused), is put back into the same state and steps again: the fast path when the form
 * allows, through get_state or with the state passed to emu_step_state.  Machine B steps once
 * with EMU_MODEL_NO_DECODE_CACHE: the pipeline alone.  Both memory callbacks are logged and,
 * in four cases of ten, the first one answers FAULT, PENDING (then emu_complete_io and the
 * step again), RETRY or UNHANDLED.  Status, result, registers, RIP, RFLAGS, events, the
 * callback log (kind, address, size, EMU_MEM_* flags, data, answer) and memory must be equal.
 */
#include <stdio.h>
#include <stdlib.h>
#include "lib/internal.h" /* emu_dcache_set (first: harness.h names the flags CF, PF, ...) */
#include "harness.h"

#define RW_PAGE 0x2000ull   /* user rw; 0x3000 is missing */
#define RO_PAGE 0x5000ull   /* user r- */
#define SUP_PAGE 0x6000ull  /* supervisor rw */
#define CODE 0x401000ull

static uint64_t rng_state;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* ---- logged callbacks with an injected first answer --------------------------------------- */

struct logent {
    int kind; /* 1 read, 2 write, 3 fetch, 4 probe, 5 cmpxchg */
    uint64_t la;
    unsigned size, flags;
    int answer;
    uint8_t data[16];
};
struct cblog {
    struct machine *m;
    struct emu_ops base;
    struct logent e[64];
    unsigned n;
    int inject;      /* 0 or the answer of the next read/write */
    struct emu_exception inject_exc;
};
static struct cblog logs[2];

static struct cblog *log_of(void *o) { return logs[0].m == o ? &logs[0] : &logs[1]; }

static void log_add(struct cblog *l, int kind, uint64_t la, unsigned size, unsigned flags, int answer, const void *d)
{
    if (l->n >= 64) return;
    struct logent *e = &l->e[l->n++];
    memset(e, 0, sizeof *e);
    e->kind = kind;
    e->la = la;
    e->size = size;
    e->flags = flags;
    e->answer = answer;
    if (d) memcpy(e->data, d, size > 16 ? 16 : size);
}

static int injected(struct cblog *l, struct emu_exception *exc)
{
    const int a = l->inject;
    l->inject = 0;
    if (a == EMU_CB_FAULT) *exc = l->inject_exc;
    return a;
}

static enum emu_cb_status lg_read(void *o, uint64_t la, void *buf, unsigned size, unsigned flags,
                                  struct emu_exception *exc)
{
    struct cblog *l = log_of(o);
    int a = injected(l, exc);
    if (!a) a = l->base.read(o, la, buf, size, flags, exc);
    log_add(l, 1, la, size, flags, a, NULL);
    return (enum emu_cb_status)a;
}

static enum emu_cb_status lg_write(void *o, uint64_t la, const void *buf, unsigned size, unsigned flags,
                                   struct emu_exception *exc)
{
    struct cblog *l = log_of(o);
    int a = injected(l, exc);
    if (!a) a = l->base.write(o, la, buf, size, flags, exc);
    log_add(l, 2, la, size, flags, a, buf);
    return (enum emu_cb_status)a;
}

static enum emu_cb_status lg_fetch(void *o, uint64_t la, void *buf, unsigned size, unsigned flags,
                                   struct emu_exception *exc)
{
    struct cblog *l = log_of(o);
    const enum emu_cb_status a = l->base.fetch(o, la, buf, size, flags, exc);
    log_add(l, 3, la, size, flags, a, NULL);
    return a;
}

static enum emu_cb_status lg_probe(void *o, uint64_t la, unsigned size, unsigned flags, struct emu_exception *exc)
{
    struct cblog *l = log_of(o);
    const enum emu_cb_status a = l->base.probe(o, la, size, flags, exc);
    log_add(l, 4, la, size, flags, a, NULL);
    return a;
}

static enum emu_cb_status lg_cmpxchg(void *o, uint64_t la, void *expected, const void *desired, unsigned size,
                                     unsigned flags, int *swapped, struct emu_exception *exc)
{
    struct cblog *l = log_of(o);
    const enum emu_cb_status a = l->base.cmpxchg(o, la, expected, desired, size, flags, swapped, exc);
    log_add(l, 5, la, size, flags, a, desired);
    return a;
}

/* ---- cases -------------------------------------------------------------------------------- */

struct fcase {
    uint8_t bytes[15];
    size_t nbytes;
    struct emu_regs regs;
    uint64_t fill;
    int vendor_amd, apx, xcr0_apx, la57, cpl, am, passed, nested, fetch;
    int inject;
    struct emu_exception inject_exc;
};

static uint64_t interesting(void)
{
    const uint64_t x = rnd();
    switch (x % 12) {
    case 0: return RW_PAGE + (x >> 8) % 0x1000;
    case 1: return RW_PAGE + 0xff8 + (x >> 8) % 8; /* straddles into the missing page */
    case 2: return RO_PAGE + (x >> 8) % 0x1000;
    case 3: return SUP_PAGE + (x >> 8) % 0x1000;
    case 4: return 0x00007ffffffffff8ull + (x >> 8) % 8; /* the 48-bit canonical edge */
    case 5: return 0xffff800000000000ull - (x >> 8) % 4;
    case 6: return (x >> 8) % 16;
    case 7: return ~0ull - (x >> 8) % 3;
    case 8: return 0x00ff800000000000ull - (x >> 8) % 4; /* the 57-bit edge */
    default: return x;
    }
}

static void gen_case(struct fcase *c)
{
    static const uint8_t prefixes[] = { 0x66, 0x66, 0x40, 0x41, 0x44, 0x48, 0x49, 0x4c, 0x4d, 0x4f, 0xf0,
                                        0xf3, 0xf2, 0x2e, 0x36, 0x3e, 0x26, 0x64, 0x65, 0x67, 0xd5 };
    static const uint8_t opcodes[] = {
        0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x10, 0x11, 0x12, 0x13,
        0x14, 0x15, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x28, 0x29,
        0x2a, 0x2b, 0x2c, 0x2d, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d,
        0x80, 0x81, 0x83, 0x84, 0x85, 0xa8, 0xa9, 0x88, 0x89, 0x8a, 0x8b, 0x8b, 0x89, 0xb0, 0xb4, 0xb3,
        0xb8, 0xbc, 0xbf, 0xc6, 0xc7, 0xa0, 0xa1, 0xa2, 0xa3, 0xf6, 0xf7, 0x90, 0x0f, 0xfe, 0xff, 0xfe, 0xff,
    };
    memset(c, 0, sizeof *c);
    unsigned n = 0;
    const unsigned npfx = rnd() % 3 == 0 ? (unsigned)(rnd() % 3) : 0;
    for (unsigned i = 0; i < npfx; i++) c->bytes[n++] = prefixes[rnd() % sizeof prefixes];
    if (rnd() % 2) c->bytes[n++] = (uint8_t)(0x40 | (rnd() & 15));
    c->bytes[n++] = opcodes[rnd() % sizeof opcodes];
    const uint8_t op = c->bytes[n - 1];
    if (op >= 0xa0 && op <= 0xa3) { /* moffs: a 64-bit offset near the interesting places */
        const uint64_t off = interesting();
        for (int i = 0; i < 8; i++) c->bytes[n++] = (uint8_t)(off >> (8 * i));
    } else { /* ModRM: register, [base], [base+disp8], [base+disp32], [rip+disp32] */
        static const uint8_t mods[] = { 0xc0, 0x00, 0x40, 0x00, 0xc0, 0x80, 0x05 };
        const uint8_t mm = mods[rnd() % sizeof mods];
        c->bytes[n++] = mm == 0x05 ? (uint8_t)(0x05 | (rnd() & 0x38)) : (uint8_t)(mm | (rnd() & 0x3f));
    }
    while (n < 15) c->bytes[n++] = (uint8_t)(rnd() % 3 == 0 ? 0 : rnd());
    c->nbytes = rnd() % 4 == 0 ? 1 + rnd() % 15 : 15;
    for (unsigned i = 0; i < 32; i++) c->regs.gpr[i] = interesting();
    c->regs.gpr[EMU_RSP] = RW_PAGE + 0x800;
    c->regs.rip = CODE;
    c->regs.rflags = 2 | (rnd() & 0x8d5) | (rnd() % 8 == 0 ? EMU_FLAG_AC : 0) | (rnd() % 16 == 0 ? EMU_FLAG_TF : 0) |
                     (rnd() % 4 == 0 ? EMU_FLAG_RF : 0);
    c->fill = rnd();
    c->vendor_amd = (int)(rnd() & 1);
    c->apx = rnd() % 3 == 0;
    c->xcr0_apx = (int)(rnd() & 1);
    c->la57 = rnd() % 6 == 0;
    c->cpl = rnd() % 2 ? 3 : 0;
    c->am = (int)(rnd() & 1);
    c->passed = (int)(rnd() & 1);
    c->nested = rnd() % 4 == 0;
    c->fetch = rnd() % 4 == 0; /* no bytes: emu_step fetches them */
    if (c->fetch && rnd() % 2) c->regs.rip = CODE + 0xff8 + rnd() % 8; /* the instruction runs off the page */
    static const int answers[10] = { 0, 0, 0, 0, 0, 0, EMU_CB_FAULT, EMU_CB_PENDING, EMU_CB_RETRY, EMU_CB_UNHANDLED };
    c->inject = answers[rnd() % 10];
    c->inject_exc.vector = EMU_PF;
    c->inject_exc.has_error_code = 1;
    c->inject_exc.error_code = (uint32_t)rnd() & 0x1f;
    c->inject_exc.cr2 = rnd();
}

static void fill_pages(struct machine *m, uint64_t seed)
{
    static const uint8_t zero[4096];
    uint8_t page[4096];
    const uint64_t pages[3] = { RW_PAGE, RO_PAGE, SUP_PAGE };
    for (unsigned p = 0; p < 3; p++) {
        uint64_t s = seed + p + 1;
        for (unsigned i = 0; i < sizeof page; i++) {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            page[i] = (uint8_t)s;
        }
        machine_poke(m, pages[p], page, sizeof page);
    }
    /* RIP-relative writes at CPL 0 without CR0.WP change the code page */
    machine_poke(m, CODE, zero, sizeof zero);
}

/* idx 0: machine A (fast path), 1: machine B (the pipeline alone) */
static struct machine *case_machine(const struct fcase *c, int idx)
{
    struct emu_config cfg = tm_cfg(c->vendor_amd ? EMU_VENDOR_AMD : EMU_VENDOR_INTEL);
    if (c->apx) {
        emu_config_set_feature(&cfg, EMU_FEAT_APX_F);
        emu_config_set_feature(&cfg, EMU_FEAT_APX_NCI);
    }
    if (idx == 1) cfg.model_flags |= EMU_MODEL_NO_DECODE_CACHE;
    cfg.nested = (uint8_t)c->nested;
    struct machine *m = tm_new_cfg(EMU_MODE_LONG64, &cfg);
    machine_add_perm(m, CODE, 0x1000, "rx", 1);
    machine_add_perm(m, RW_PAGE, 0x1000, "rw", 1);
    machine_add_perm(m, RO_PAGE, 0x1000, "r", 1);
    machine_add_perm(m, SUP_PAGE, 0x1000, "rw", 0);
    tm_set_cpl(m, c->cpl);
    if (c->am) m->cr[0] |= EMU_CR0_AM;
    if (c->la57) m->cr[4] |= EMU_CR4_LA57;
    m->xcr0 = 1 | (c->xcr0_apx ? EMU_XCR0_APX : 0);
    if (c->nested)
        for (unsigned e = 0; e < 0x400; e++) machine_intercept(m, e, 1);
    /* A with the state passed has no get_state at all */
    m->state_cb = !(idx == 0 && c->passed);
    machine_reset_ctx(m);
    struct cblog *l = &logs[idx];
    l->m = m;
    l->base = m->ops;
    l->n = 0;
    l->inject = 0;
    m->ops.read = lg_read;
    m->ops.write = lg_write;
    m->ops.fetch = lg_fetch;
    m->ops.probe = lg_probe;
    m->ops.cmpxchg = lg_cmpxchg;
    fill_pages(m, c->fill);
    m->regs = c->regs;
    machine_poke(m, c->regs.rip, c->bytes, 15);
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

static enum emu_status step(struct machine *m, const struct fcase *c, int passed)
{
    if (c->fetch && !passed) return emu_step(&m->ctx, NULL, 0);
    if (c->fetch) {
        const struct emu_cpu_state st = state_of(m);
        return emu_step_state(&m->ctx, NULL, 0, &st);
    }
    if (!passed) return emu_step(&m->ctx, c->bytes, c->nbytes);
    const struct emu_cpu_state st = state_of(m);
    return emu_step_state(&m->ctx, c->bytes, c->nbytes, &st);
}

static void ck_same(const struct fcase *c, struct machine *a, enum emu_status sa, struct machine *b,
                    enum emu_status sb)
{
    char hex[64];
    for (unsigned i = 0; i < 15; i++) snprintf(hex + 2 * i, 3, "%02x", c->bytes[i]);
    const struct emu_result *ra = &a->ctx.result, *rb = &b->ctx.result;
    ck_assert_msg(sa == sb && ra->status == rb->status, "%s/%zu: status fast %d, pipeline %d (%s)", hex, c->nbytes,
                  sa, sb, rb->reason ? rb->reason : "-");
    ck_assert_msg(ra->length == rb->length && ra->op == rb->op, "%s: length/op differ", hex);
    ck_assert_msg(!strcmp(ra->mnemonic, rb->mnemonic), "%s: mnemonic %s vs %s", hex, ra->mnemonic, rb->mnemonic);
    ck_assert_msg((!ra->reason && !rb->reason) || (ra->reason && rb->reason && !strcmp(ra->reason, rb->reason)),
                  "%s: reason %s vs %s", hex, ra->reason ? ra->reason : "-", rb->reason ? rb->reason : "-");
    if (sa == EMU_EXCEPTION)
        ck_assert_msg(!memcmp(&ra->exception, &rb->exception, sizeof ra->exception),
                      "%s: exception %u/%x/%llx vs %u/%x/%llx", hex, ra->exception.vector, ra->exception.error_code,
                      (unsigned long long)ra->exception.cr2, rb->exception.vector, rb->exception.error_code,
                      (unsigned long long)rb->exception.cr2);
    if (sa == EMU_IO_PENDING)
        ck_assert(ra->pending.addr == rb->pending.addr && ra->pending.size == rb->pending.size &&
                  ra->pending.is_port == rb->pending.is_port);
    for (unsigned i = 0; i < 32; i++)
        ck_assert_msg(a->regs.gpr[i] == b->regs.gpr[i], "%s: gpr %u %llx vs %llx", hex, i,
                      (unsigned long long)a->regs.gpr[i], (unsigned long long)b->regs.gpr[i]);
    ck_assert_msg(a->regs.rip == b->regs.rip, "%s: rip", hex);
    ck_assert_msg(a->regs.rflags == b->regs.rflags, "%s: rflags %llx vs %llx", hex,
                  (unsigned long long)a->regs.rflags, (unsigned long long)b->regs.rflags);
    ck_assert_msg(a->nevents == b->nevents && !memcmp(a->events, b->events, a->nevents * sizeof a->events[0]),
                  "%s: events", hex);
    ck_assert_msg(logs[0].n == logs[1].n, "%s: %u callbacks vs %u", hex, logs[0].n, logs[1].n);
    for (unsigned i = 0; i < logs[0].n; i++) {
        const struct logent *x = &logs[0].e[i], *y = &logs[1].e[i];
        ck_assert_msg(!memcmp(x, y, sizeof *x), "%s: callback %u: kind %d %llx/%u/%x/%d vs kind %d %llx/%u/%x/%d", hex,
                      i, x->kind, (unsigned long long)x->la, x->size, x->flags, x->answer, y->kind,
                      (unsigned long long)y->la, y->size, y->flags, y->answer);
    }
    const uint64_t pages[4] = { RW_PAGE, RO_PAGE, SUP_PAGE, CODE };
    for (unsigned p = 0; p < 4; p++) {
        uint8_t x[4096], y[4096];
        machine_peek(a, pages[p], x, sizeof x);
        machine_peek(b, pages[p], y, sizeof y);
        ck_assert_msg(!memcmp(x, y, sizeof x), "%s: memory at %llx differs", hex, (unsigned long long)pages[p]);
    }
}

static void reset_logs(void)
{
    logs[0].n = logs[1].n = 0;
    logs[0].inject = logs[1].inject = 0;
}

START_TEST(fast_path_equals_pipeline)
{
    static struct emu_dcache_entry donor[EMU_DCACHE_SIZE];
    static uint16_t donor_last;
    unsigned fast = 0;
    const unsigned total = 20000;
    rng_state = 0x9e3779b97f4a7c15ull;
    for (unsigned k = 0; k < total; k++) {
        struct fcase c;
        gen_case(&c);
        struct machine *a = case_machine(&c, 0);
        memcpy(a->ctx.s.dcache, donor, sizeof donor);
        a->ctx.s.fast_last = donor_last;
        step(a, &c, c.passed); /* warm the decode cache */
        fill_pages(a, c.fill);
        machine_poke(a, c.regs.rip, c.bytes, 15);
        a->regs = c.regs;
        a->nevents = 0;
        struct machine *b = case_machine(&c, 1);
        reset_logs();
        logs[0].inject = logs[1].inject = c.inject;
        logs[0].inject_exc = logs[1].inject_exc = c.inject_exc;
        const uint32_t before = a->ctx.s.nfast;
        enum emu_status sa = step(a, &c, c.passed), sb = step(b, &c, 0);
        fast += a->ctx.s.nfast - before;
        ck_same(&c, a, sa, b, sb);
        if (sa == EMU_IO_PENDING) {
            /* the data arrives; the same instruction again completes it; and once more */
            static const uint8_t data[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
            emu_complete_io(&a->ctx, data, a->ctx.result.pending.size);
            emu_complete_io(&b->ctx, data, b->ctx.result.pending.size);
            reset_logs();
            sa = step(a, &c, c.passed);
            sb = step(b, &c, 0);
            ck_same(&c, a, sa, b, sb);
            a->regs = c.regs;
            b->regs = c.regs;
            reset_logs();
            sa = step(a, &c, c.passed);
            sb = step(b, &c, 0);
            ck_same(&c, a, sa, b, sb);
        }
        memcpy(donor, a->ctx.s.dcache, sizeof donor);
        donor_last = a->ctx.s.fast_last;
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
        { "48ffc1", 1 },         /* inc rcx */
        { "fec9", 1 },           /* dec cl */
        { "ff03", 0 },           /* inc dword [rbx] */
    };
    for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct emu_config cfg = tm_cfg(EMU_VENDOR_AMD);
        struct machine *m = tm_new_cfg(EMU_MODE_LONG64, &cfg);
        m->state_cb = 1;
        machine_reset_ctx(m);
        R(m, RBX) = 0x2000;
        R(m, RCX) = 0;
        ck_assert_int_eq(tm_run(m, cases[i].hex), EMU_OK);
        m->regs.rip = CODE;
        R(m, RBX) = 0x2000;
        const uint32_t before = m->ctx.s.nfast;
        ck_assert_int_eq(tm_run(m, cases[i].hex), EMU_OK);
        ck_assert_msg(m->ctx.s.nfast - before == (uint32_t)cases[i].fast, "%s: fast %u, expected %d", cases[i].hex,
                      m->ctx.s.nfast - before, cases[i].fast);
        /* RFLAGS.TF: the single-step event needs the pipeline */
        m->regs.rip = CODE;
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

/* Many steps on one context, against the pipeline after each: what a context meets over an
 * exit loop (the decode cache's sets filling, the least recently used entry replaced, the
 * last fast entry kept, the instruction of a fault after others) rather than one step on a
 * fresh context.  The instructions come from a pool in which several share their first two
 * bytes (one cache set); RBX is often moved to the interesting places.  The bytes are given
 * in a heap buffer of exactly the bytes passed (15, or the instruction's length), and a
 * quarter of the steps claim 2^33 + 5 bytes behind the 15: nothing past the 15th may be read
 * (an ASan build of the tests sees a read past the buffer). */
START_TEST(long_run_equals_pipeline)
{
    static const struct {
        uint8_t len, b[10];
    } pool[] = {
        { 3, { 0x48, 0x01, 0xc8 } }, { 3, { 0x48, 0x01, 0xd1 } }, { 3, { 0x48, 0x01, 0xda } },  /* add: one set */
        { 3, { 0x48, 0x01, 0x03 } },                                                            /* add [rbx], rax */
        { 3, { 0x48, 0x29, 0xc8 } }, { 3, { 0x48, 0x31, 0xc0 } }, { 3, { 0x48, 0x21, 0xd8 } },
        { 3, { 0x48, 0x09, 0xc8 } }, { 3, { 0x48, 0x11, 0xc8 } }, { 3, { 0x48, 0x19, 0xc8 } },
        { 3, { 0x48, 0x39, 0xc8 } }, { 3, { 0x48, 0x85, 0xc8 } }, { 3, { 0x48, 0xff, 0xc0 } },
        { 3, { 0x48, 0xff, 0xc9 } }, { 2, { 0xfe, 0xc0 } }, { 3, { 0x66, 0x01, 0xc8 } }, { 2, { 0x00, 0xc8 } },
        { 2, { 0x8b, 0x03 } }, { 3, { 0x48, 0x8b, 0x03 } }, { 2, { 0x89, 0x03 } }, { 3, { 0x48, 0x89, 0x0b } },
        { 2, { 0x8a, 0x03 } }, { 4, { 0x66, 0x8b, 0x43, 0x08 } }, { 6, { 0xc7, 0x03, 0x01, 0, 0, 0 } },
        { 7, { 0x48, 0xc7, 0xc0, 0xff, 0xff, 0xff, 0xff } }, { 5, { 0xb8, 0x01, 0, 0, 0 } }, { 1, { 0x90 } },
        { 4, { 0x0f, 0x1f, 0x40, 0x00 } }, { 3, { 0x48, 0xd1, 0xe0 } }, { 3, { 0xf0, 0x01, 0x03 } },
        { 6, { 0x8b, 0x05, 0x00, 0x10, 0, 0 } }, { 10, { 0x48, 0xb8, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11 } },
    };
    const unsigned npool = sizeof pool / sizeof pool[0];
    rng_state = 0x2545f4914f6cdd1dull;
    struct fcase c;
    gen_case(&c);
    c.passed = 0; /* both with get_state; each step picks emu_step or emu_step_state */
    c.nested = 0;
    c.fetch = 0;
    c.inject = 0;
    struct machine *a = case_machine(&c, 0), *b = case_machine(&c, 1);
    unsigned fast = 0;
    for (unsigned k = 0; k < 6000; k++) {
        const unsigned i = (unsigned)(rnd() % npool);
        memset(c.bytes, 0, sizeof c.bytes);
        memcpy(c.bytes, pool[i].b, pool[i].len);
        for (unsigned j = pool[i].len; j < 15; j++) c.bytes[j] = (uint8_t)rnd();
        const int exact = rnd() % 2, huge = !exact && rnd() % 2;
        const size_t have = exact ? pool[i].len : 15;
        c.nbytes = huge ? (1ull << 33) + 5 : have;
        uint8_t *buf = malloc(have);
        ck_assert_ptr_nonnull(buf);
        memcpy(buf, c.bytes, have);
        if (rnd() % 2) a->regs.gpr[EMU_RBX] = interesting();
        a->regs.rip = CODE;
        a->regs.rflags = (a->regs.rflags & ~(uint64_t)(EMU_FLAG_TF | EMU_FLAG_AC)) | (rnd() % 32 == 0 ? EMU_FLAG_TF : 0);
        b->regs = a->regs;
        machine_poke(a, CODE, c.bytes, 15);
        machine_poke(b, CODE, c.bytes, 15);
        a->nevents = b->nevents = 0;
        reset_logs();
        const int passed = (int)(rnd() & 1);
        const uint32_t before = a->ctx.s.nfast;
        enum emu_status sa, sb = emu_step(&b->ctx, buf, c.nbytes);
        if (passed) {
            const struct emu_cpu_state st = state_of(a);
            sa = emu_step_state(&a->ctx, buf, c.nbytes, &st);
        } else {
            sa = emu_step(&a->ctx, buf, c.nbytes);
        }
        free(buf);
        fast += a->ctx.s.nfast - before;
        ck_same(&c, a, sa, b, sb);
    }
    /* the pool is half fast forms, and most of their steps hit the cache */
    ck_assert_msg(fast > 1500, "only %u fast steps", fast);
    machine_free(a);
    machine_free(b);
}
END_TEST

/* A 64-bit AMD machine with get_state: emu_step takes the fast path where it can. */
static struct machine *fast_machine(void)
{
    struct emu_config cfg = tm_cfg(EMU_VENDOR_AMD);
    struct machine *m = tm_new_cfg(EMU_MODE_LONG64, &cfg);
    m->state_cb = 1;
    machine_reset_ctx(m);
    return m;
}

/* One step of hex at CODE on m: did the fast path run it? */
static int fast_step_of(struct machine *m, const char *hex)
{
    m->regs.rip = CODE;
    R(m, RBX) = 0x2000;
    const uint32_t before = m->ctx.s.nfast;
    ck_assert_int_eq(tm_run(m, hex), EMU_OK);
    return (int)(m->ctx.s.nfast - before);
}

/* The decode cache has two entries per set, replaced least recently used first: instructions
 * whose first two bytes are equal share a set (the hash reads those), so a loop of two of
 * them stays cached, and a third evicts the one used less recently. */
START_TEST(decode_cache_two_ways)
{
    static const char *a = "4801c8", *b = "4801d1", *c = "4801da"; /* add rax,rcx; rcx,rdx; rdx,rbx */
    struct machine *m = fast_machine();
    ck_assert_int_eq(fast_step_of(m, a), 0); /* decoded */
    ck_assert_int_eq(fast_step_of(m, b), 0);
    for (int i = 0; i < 4; i++) {
        ck_assert_int_eq(fast_step_of(m, a), 1);
        ck_assert_int_eq(fast_step_of(m, b), 1);
    }
    /* the last fast step elsewhere, so that only recency decides below (the entry of the
     * last fast step is never replaced: next test) */
    static const uint8_t a0[2] = { 0x48, 0x01 }, other[2] = { 0x01, 0xd8 };
    ck_assert_uint_ne(emu_dcache_set(a0, 2, EMU_MODE_LONG64), emu_dcache_set(other, 2, EMU_MODE_LONG64));
    ck_assert_int_eq(fast_step_of(m, "01d8"), 0); /* add eax, ebx: decoded */
    ck_assert_int_eq(fast_step_of(m, "01d8"), 1);
    ck_assert_int_eq(fast_step_of(m, c), 0); /* decoded: replaces a, used before b */
    ck_assert_int_eq(fast_step_of(m, b), 1);
    ck_assert_int_eq(fast_step_of(m, c), 1);
    ck_assert_int_eq(fast_step_of(m, a), 0); /* decoded again: replaces b */
    ck_assert_int_eq(fast_step_of(m, c), 1);
    ck_assert_int_eq(fast_step_of(m, a), 1);
    ck_assert_int_eq(fast_step_of(m, b), 0);
    machine_free(m);
}
END_TEST

/* The entry of the last fast step is never the one replaced: its repeats hit the fast path's
 * memo, which does not mark the set used, so by recency alone an exit loop of one MMIO
 * instruction interleaved with other instructions of its set could lose it. */
START_TEST(decode_cache_keeps_the_last_fast_entry)
{
    static const char *a = "4801c8", *d = "480103", *c = "4801da"; /* add rax,rcx; [rbx],rax; rdx,rbx */
    struct machine *m = fast_machine();
    ck_assert_int_eq(fast_step_of(m, a), 0);
    ck_assert_int_eq(fast_step_of(m, a), 1);
    ck_assert_int_eq(fast_step_of(m, d), 0); /* no fast form: the pipeline, from the cache... */
    ck_assert_int_eq(fast_step_of(m, d), 0); /* ...which marks d used last */
    ck_assert_int_eq(fast_step_of(m, a), 1); /* the memo: a is not marked */
    ck_assert_int_eq(fast_step_of(m, c), 0); /* decoded: replaces d, not a */
    ck_assert_int_eq(fast_step_of(m, a), 1);
    ck_assert_int_eq(fast_step_of(m, c), 1);
    machine_free(m);
}
END_TEST

/* A fault in the fast path's callback reports the length of its own instruction, whatever
 * instruction the pipeline ran before it. */
START_TEST(fast_fault_reports_its_length)
{
    struct machine *m = fast_machine();
    machine_add_perm(m, CODE, 0x1000, "rx", 1);
    machine_add_perm(m, RW_PAGE, 0x1000, "rw", 1);
    ck_assert_int_eq(fast_step_of(m, "8b03"), 0); /* mov eax, [rbx]: decoded */
    ck_assert_int_eq(fast_step_of(m, "8b03"), 1);
    ck_assert_int_eq(fast_step_of(m, "0f1f4000"), 0); /* nop dword [rax]: the pipeline, 4 bytes */
    m->regs.rip = CODE;
    R(m, RBX) = RW_PAGE + 0x1000; /* missing */
    const uint32_t before = m->ctx.s.nfast;
    ck_assert_int_eq(tm_run(m, "8b03"), EMU_EXCEPTION);
    ck_assert_uint_eq(m->ctx.s.nfast, before + 1);
    ck_assert_uint_eq(m->ctx.result.exception.vector, EMU_PF);
    ck_assert_uint_eq(m->ctx.result.exception.cr2, RW_PAGE + 0x1000);
    ck_assert_uint_eq(m->ctx.result.exception.insn_length, 2);
    machine_free(m);
}
END_TEST

/* An APX model reads XCR0 on every step, on the fast path too: "APX on" = 64-bit mode, CPUID
 * APX_F and XCR0[19] (spec/apx.md section 2 item 2 and section 11), so a step cannot know the
 * decoding without it; a failing get_xcr is the same UNHANDLED either way. */
START_TEST(fast_path_reads_xcr0_on_apx_models)
{
    for (int cached = 0; cached < 2; cached++) {
        struct emu_config cfg = tm_cfg(EMU_VENDOR_INTEL);
        emu_config_set_feature(&cfg, EMU_FEAT_APX_F);
        if (!cached) cfg.model_flags |= EMU_MODEL_NO_DECODE_CACHE;
        struct machine *m = tm_new_cfg(EMU_MODE_LONG64, &cfg);
        m->state_cb = 1;
        machine_reset_ctx(m);
        ck_assert_int_eq(tm_run(m, "01d8"), EMU_OK);
        m->regs.rip = CODE;
        m->ops.get_xcr = NULL;
        ck_assert_int_eq(tm_run(m, "01d8"), EMU_UNHANDLED);
        ck_assert_str_eq(m->ctx.result.reason, "missing callback: get_xcr");
        ck_assert_uint_eq(m->regs.rip, CODE);
        machine_free(m);
    }
}
END_TEST

/* emu_step_state keeps the passed state for the retry of a LOCKed instruction whose cmpxchg
 * lost a race: no get_state, get_cr, get_msr or get_seg needed. */
START_TEST(step_state_retry_keeps_the_state)
{
    struct emu_config cfg = tm_cfg(EMU_VENDOR_AMD);
    struct machine *m = tm_new_cfg(EMU_MODE_LONG64, &cfg);
    m->ops.get_cr = NULL;
    m->ops.get_msr = NULL;
    m->ops.get_seg = NULL;
    R(m, RBX) = 0x2000;
    R(m, RAX) = 5;
    m->cmpxchg_fail_once = 1;
    const struct emu_cpu_state st = state_of(m);
    static const uint8_t lock_add[] = { 0xf0, 0x01, 0x03 };
    machine_poke(m, CODE, lock_add, sizeof lock_add);
    ck_assert_int_eq(emu_step_state(&m->ctx, lock_add, sizeof lock_add, &st), EMU_OK);
    /* the other agent flipped the low byte of the 0 there to 0xff; the retry added to that */
    ck_assert_uint_eq(machine_peek64(m, 0x2000, 4), 0xff + 5);
    ck_assert_uint_eq(m->regs.rip, CODE + 3);
    machine_free(m);
}
END_TEST

/* The next RIP is fixed before the memory callback, as in the pipeline: a callback that moves
 * RIP (a device model that skips the instruction itself) gets the same answer both ways. */
static struct emu_ops rip_base;
static enum emu_cb_status rip_moving_write(void *o, uint64_t la, const void *buf, unsigned size, unsigned flags,
                                           struct emu_exception *exc)
{
    ((struct machine *)o)->regs.rip += 0x100;
    return rip_base.write(o, la, buf, size, flags, exc);
}

START_TEST(next_rip_before_the_callback)
{
    for (int cached = 0; cached < 2; cached++) {
        struct emu_config cfg = tm_cfg(EMU_VENDOR_AMD);
        if (!cached) cfg.model_flags |= EMU_MODEL_NO_DECODE_CACHE;
        struct machine *m = tm_new_cfg(EMU_MODE_LONG64, &cfg);
        m->state_cb = 1;
        machine_reset_ctx(m);
        rip_base = m->ops;
        m->ops.write = rip_moving_write;
        R(m, RBX) = 0x2000;
        ck_assert_int_eq(tm_run(m, "8903"), EMU_OK);
        m->regs.rip = CODE;
        const uint32_t before = m->ctx.s.nfast;
        ck_assert_int_eq(tm_run(m, "8903"), EMU_OK);
        ck_assert_uint_eq(m->ctx.s.nfast - before, (uint32_t)cached);
        ck_assert_uint_eq(m->regs.rip, CODE + 2);
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
    tcase_add_test(t, decode_cache_two_ways);
    tcase_add_test(t, decode_cache_keeps_the_last_fast_entry);
    tcase_add_test(t, fast_fault_reports_its_length);
    tcase_add_test(t, fast_path_reads_xcr0_on_apx_models);
    tcase_add_test(t, step_state_retry_keeps_the_state);
    tcase_add_test(t, next_rip_before_the_callback);
    tcase_add_test(t, fast_path_equals_pipeline);
    tcase_add_test(t, long_run_equals_pipeline);
    suite_add_tcase(s, t);
    return s;
}
REGISTER_SUITE(fast_suite)
