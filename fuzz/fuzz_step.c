/*
 * libFuzzer target: emu_step on arbitrary bytes and state, with callbacks that answer
 * arbitrarily from the input (data, faults, RETRY, PENDING, UNHANDLED).  Any crash, leak, hang
 * or sanitizer report is a bug: every input must get a defined answer.
 *
 * Input layout: [0] mode, [1] vendor/flags, [2..3] feature bits seed, [4..19] instruction
 * bytes, [20..] a stream consumed by the callbacks (registers, segment attributes, memory
 * contents and the callbacks' verdicts).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <emulate/emulate.h>

struct fz {
    const uint8_t *p;
    size_t n, pos;
    struct emu_segment segs[EMU_NUM_SEGS];
    uint64_t cr[16], efer;
};

static uint8_t take(struct fz *f)
{
    return f->pos < f->n ? f->p[f->pos++] : 0;
}

static uint64_t take64(struct fz *f)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v |= (uint64_t)take(f) << (8 * i);
    return v;
}

/* Most answers are OK; the low bits of one byte pick the rare ones. */
static enum emu_cb_status verdict(struct fz *f, struct emu_exception *exc)
{
    uint8_t b = take(f);
    switch (b & 0x1f) {
    case 1:
        if (exc) {
            exc->vector = EMU_PF;
            exc->has_error_code = 1;
            exc->error_code = take(f) & 0x1f;
            exc->cr2 = take64(f);
            return EMU_CB_FAULT;
        }
        return EMU_CB_FAULT;
    case 2: return EMU_CB_RETRY;
    case 3: return EMU_CB_PENDING;
    case 4: return EMU_CB_UNHANDLED;
    default: return EMU_CB_OK;
    }
}

static enum emu_cb_status rd(void *o, uint64_t la, void *buf, unsigned size, unsigned fl, struct emu_exception *e)
{
    struct fz *f = o;
    (void)la; (void)fl;
    enum emu_cb_status st = verdict(f, e);
    for (unsigned i = 0; i < size; i++) ((uint8_t *)buf)[i] = take(f);
    return st;
}
static enum emu_cb_status wr(void *o, uint64_t la, const void *buf, unsigned size, unsigned fl, struct emu_exception *e)
{
    (void)la; (void)buf; (void)size; (void)fl;
    return verdict(o, e);
}
static enum emu_cb_status cx(void *o, uint64_t la, void *exp, const void *des, unsigned size, unsigned fl, int *sw, struct emu_exception *e)
{
    struct fz *f = o;
    (void)la; (void)des; (void)fl;
    *sw = take(f) & 1;
    if (!*sw) memset(exp, take(f), size);
    return verdict(f, e);
}
static enum emu_cb_status pr(void *o, uint64_t la, unsigned size, unsigned fl, struct emu_exception *e)
{
    (void)la; (void)size; (void)fl;
    return verdict(o, e);
}
static enum emu_cb_status rdp(void *o, uint64_t pa, void *buf, unsigned size)
{
    (void)pa;
    return rd(o, 0, buf, size, 0, NULL);
}
static enum emu_cb_status wrp(void *o, uint64_t pa, const void *buf, unsigned size)
{
    (void)pa; (void)buf; (void)size;
    return verdict(o, NULL);
}
static enum emu_cb_status gseg(void *o, enum emu_seg s, struct emu_segment *out)
{
    struct fz *f = o;
    *out = f->segs[s];
    return EMU_CB_OK;
}
static enum emu_cb_status sseg(void *o, enum emu_seg s, const struct emu_segment *in)
{
    ((struct fz *)o)->segs[s] = *in;
    return EMU_CB_OK;
}
static enum emu_cb_status gdtr(void *o, enum emu_dtr d, uint64_t *b, uint32_t *l)
{
    struct fz *f = o;
    (void)d;
    *b = take64(f);
    *l = take(f) | (uint32_t)take(f) << 8;
    return EMU_CB_OK;
}
static enum emu_cb_status sdtr(void *o, enum emu_dtr d, uint64_t b, uint32_t l)
{
    (void)o; (void)d; (void)b; (void)l;
    return EMU_CB_OK;
}
static enum emu_cb_status gcr(void *o, unsigned cr, uint64_t *v)
{
    struct fz *f = o;
    *v = cr < 16 ? f->cr[cr] : 0;
    return EMU_CB_OK;
}
static enum emu_cb_status scr(void *o, unsigned cr, uint64_t v)
{
    struct fz *f = o;
    if (cr < 16) f->cr[cr] = v;
    return EMU_CB_OK;
}
static enum emu_cb_status gdr(void *o, unsigned dr, uint64_t *v)
{
    (void)dr;
    *v = take64(o);
    return EMU_CB_OK;
}
static enum emu_cb_status sdr(void *o, unsigned dr, uint64_t v)
{
    (void)o; (void)dr; (void)v;
    return EMU_CB_OK;
}
static enum emu_cb_status gmsr(void *o, uint32_t msr, uint64_t *v)
{
    struct fz *f = o;
    if (msr == EMU_MSR_EFER) {
        *v = f->efer;
        return EMU_CB_OK;
    }
    *v = take64(f);
    return verdict(f, NULL);
}
static enum emu_cb_status smsr(void *o, uint32_t msr, uint64_t v)
{
    struct fz *f = o;
    if (msr == EMU_MSR_EFER) f->efer = v;
    return verdict(f, NULL);
}
static enum emu_cb_status gxcr(void *o, uint32_t i, uint64_t *v)
{
    (void)i;
    *v = take64(o);
    return EMU_CB_OK;
}
static enum emu_cb_status sxcr(void *o, uint32_t i, uint64_t v)
{
    (void)i; (void)v;
    return verdict(o, NULL);
}
static enum emu_cb_status cpuid(void *o, uint32_t l, uint32_t s, uint32_t out[4])
{
    (void)l; (void)s;
    for (int i = 0; i < 4; i++) out[i] = (uint32_t)take64(o);
    return EMU_CB_OK;
}
static enum emu_cb_status ioin(void *o, uint16_t port, unsigned size, uint32_t *v)
{
    (void)port; (void)size;
    *v = (uint32_t)take64(o);
    return verdict(o, NULL);
}
static enum emu_cb_status ioout(void *o, uint16_t port, unsigned size, uint32_t v)
{
    (void)port; (void)size; (void)v;
    return verdict(o, NULL);
}
static int icpt(void *o, const struct emu_intercept *ic)
{
    (void)ic;
    return take(o) & 1;
}
static void event(void *o, const struct emu_event *ev)
{
    (void)o; (void)ev;
}
static enum emu_cb_status hcall(void *o, struct emu_regs *r)
{
    (void)r;
    return verdict(o, NULL);
}

/* Bulk string callbacks: any done count (even more than asked) and any status. */
static enum emu_cb_status bulk(struct fz *f, uint64_t count, uint64_t *done, struct emu_exception *e)
{
    *done = take64(f) % (count + 2);
    return verdict(f, e);
}
static enum emu_cb_status rmovs(void *o, uint64_t d, uint64_t s, unsigned sz, uint64_t n, int b, unsigned fl, uint64_t *done, struct emu_exception *e)
{
    (void)d; (void)s; (void)sz; (void)b; (void)fl;
    return bulk(o, n, done, e);
}
static enum emu_cb_status rstos(void *o, uint64_t d, uint64_t v, unsigned sz, uint64_t n, int b, unsigned fl, uint64_t *done, struct emu_exception *e)
{
    (void)d; (void)v; (void)sz; (void)b; (void)fl;
    return bulk(o, n, done, e);
}
static enum emu_cb_status rio(void *o, uint16_t p, uint64_t a, unsigned sz, uint64_t n, int b, unsigned fl, uint64_t *done, struct emu_exception *e)
{
    (void)p; (void)a; (void)sz; (void)b; (void)fl;
    return bulk(o, n, done, e);
}

static enum emu_cb_status cxp(void *o, uint64_t pa, void *exp, const void *des, unsigned size, int *sw)
{
    struct fz *f = o;
    (void)pa; (void)des;
    *sw = take(f) & 1;
    if (!*sw) memset(exp, take(f), size);
    return verdict(f, NULL);
}
static enum emu_cb_status pkru(void *o, uint32_t *v)
{
    *v = (uint32_t)take64(o);
    return EMU_CB_OK;
}

static enum emu_cb_status rnd(void *o, int seed, unsigned size, uint64_t *v, int *valid)
{
    (void)seed;
    (void)size;
    *v = take64(o);
    *valid = (int)(take(o) & 1);
    return (take(o) & 7) ? EMU_CB_OK : EMU_CB_UNHANDLED;
}

static const struct emu_ops ops = {
    .read = rd, .write = wr, .fetch = rd, .cmpxchg = cx, .probe = pr, .read_phys = rdp,
    .write_phys = wrp, .get_seg = gseg, .set_seg = sseg, .get_dtr = gdtr, .set_dtr = sdtr,
    .get_cr = gcr, .set_cr = scr, .get_dr = gdr, .set_dr = sdr, .get_msr = gmsr, .set_msr = smsr,
    .get_xcr = gxcr, .set_xcr = sxcr, .cpuid = cpuid, .io_in = ioin, .io_out = ioout,
    .intercept = icpt, .event = event, .hypercall = hcall,
    .rep_movs = rmovs, .rep_stos = rstos, .rep_ins = rio, .rep_outs = rio,
    .cmpxchg_phys = cxp, .get_pkru = pkru, .get_random = rnd,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 20) return 0;
    struct fz f;
    memset(&f, 0, sizeof f);
    f.p = data + 20;
    f.n = size - 20;
    struct emu_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.vendor = (data[1] & 1) ? EMU_VENDOR_AMD : EMU_VENDOR_INTEL;
    cfg.nested = (data[1] >> 1) & 1;
    cfg.maxphyaddr = (uint8_t)(32 + (data[1] >> 3) % 21);
    cfg.model_flags = (data[1] >> 2) & 1 ? EMU_MODEL_PDPTE_PRELOAD : 0;
    if (data[2] & 0x80) cfg.model_flags |= EMU_MODEL_BUILTIN_PAGING; /* the walker on arbitrary tables */
    cfg.smm_mask = (data[1] & 0x80) ? 0xfff00000 : 0;
    uint16_t fs = (uint16_t)(data[2] | data[3] << 8);
    for (unsigned i = 0; i < EMU_FEAT_COUNT; i++)
        if ((fs >> (i % 16)) & 1) emu_config_set_feature(&cfg, (enum emu_feature)i);

    /* state: CR0/CR4/EFER/CS consistent with a mode, the rest from the stream */
    const unsigned mode = data[0] % EMU_NUM_MODES;
    struct emu_regs regs;
    for (int i = 0; i < 32; i++) regs.gpr[i] = take64(&f);
    regs.rip = take64(&f);
    regs.rflags = (take64(&f) & 0x3f7fd7) | 2;
    for (int s = 0; s < EMU_NUM_SEGS; s++) {
        f.segs[s].sel = (uint16_t)take64(&f);
        f.segs[s].attr = (uint16_t)(take64(&f) & 0xfff);
        f.segs[s].limit = (uint32_t)take64(&f);
        f.segs[s].base = take64(&f);
    }
    f.cr[0] = 0x10;
    regs.rflags &= ~(uint64_t)EMU_FLAG_VM;
    if (mode != EMU_MODE_REAL) f.cr[0] |= EMU_CR0_PE;
    if (mode == EMU_MODE_V86) regs.rflags |= EMU_FLAG_VM;
    if (mode >= EMU_MODE_COMPAT16) {
        f.cr[0] |= EMU_CR0_PG;
        f.cr[4] = EMU_CR4_PAE | (take(&f) & 1 ? EMU_CR4_LA57 : 0);
        f.efer = EMU_EFER_LME | EMU_EFER_LMA;
        f.segs[EMU_SEG_CS].attr &= (uint16_t)~EMU_SEGATTR_L;
        if (mode == EMU_MODE_LONG64) f.segs[EMU_SEG_CS].attr |= EMU_SEGATTR_L;
    }
    f.cr[4] |= take64(&f) & 0x3f0fff;
    f.efer |= take(&f) & (EMU_EFER_SCE | EMU_EFER_NXE | EMU_EFER_SVME);

    struct emu_ctx ctx;
    emu_init(&ctx, &cfg, &ops, &f, &regs);
    emu_step(&ctx, data + 4, data[1] & 0x40 ? 16 : (data[0] >> 4));
    /* the same bytes again with the state passed: a decode-cache hit, the fast path's forms
     * run there (lib/fast.c) */
    if (ctx.result.status != EMU_IO_PENDING) {
        struct emu_cpu_state st = { f.cr[0], f.cr[4], f.efer, f.segs[EMU_SEG_CS], f.segs[EMU_SEG_SS] };
        emu_step_state(&ctx, data + 4, data[1] & 0x40 ? 16 : (data[0] >> 4), &st);
    }
    /* a further step continues the same state (REP resumption, IO_PENDING completion) */
    if (ctx.result.status == EMU_IO_PENDING) {
        uint8_t d[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
        emu_complete_io(&ctx, d, ctx.result.pending.size > 8 ? 8 : ctx.result.pending.size);
    }
    emu_step(&ctx, NULL, 0);
    /* deliver whatever the step reported, through arbitrary descriptor tables */
    if (ctx.result.status == EMU_EXCEPTION) {
        struct emu_exception e = ctx.result.exception;
        emu_deliver(&ctx, &e);
    }
    struct emu_insn in;
    emu_decode(&ctx, data + 4, 16, &in);
    return 0;
}
