/*
 * The in-memory vCPU (see machine.h).  Memory: sparse 4 KiB pages, zero until written.
 * With a permission list (the vector's "pages"), an access outside the listed pages or against
 * their permissions is a #PF with the architectural error code; linear equals physical.
 */
#include "machine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- memory ----------------------------------------------------------------------------- */

static struct machine_page *page_get(struct machine *m, uint64_t pfn, int create)
{
    unsigned h = (unsigned)((pfn * 0x9e3779b97f4a7c15ull) >> 54) & (MACHINE_HASH - 1);
    for (struct machine_page *p = m->pages[h]; p; p = p->next)
        if (p->pfn == pfn) return p;
    if (!create) return NULL;
    struct machine_page *p = calloc(1, sizeof *p);
    if (!p) {
        fprintf(stderr, "emulate: out of memory\n");
        exit(3);
    }
    p->pfn = pfn;
    p->next = m->pages[h];
    m->pages[h] = p;
    return p;
}

void machine_poke(struct machine *m, uint64_t addr, const void *data, size_t n)
{
    const uint8_t *d = data;
    for (size_t i = 0; i < n; i++) {
        uint64_t a = addr + i;
        page_get(m, a >> 12, 1)->data[a & 4095] = d[i];
    }
}

void machine_peek(struct machine *m, uint64_t addr, void *data, size_t n)
{
    uint8_t *d = data;
    for (size_t i = 0; i < n; i++) {
        uint64_t a = addr + i;
        struct machine_page *p = page_get(m, a >> 12, 0);
        d[i] = p ? p->data[a & 4095] : 0;
    }
}

static uint64_t emu_load_le_host(const uint8_t *b, unsigned size)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < size && i < 8; i++) v |= (uint64_t)b[i] << (8 * i);
    return v;
}

uint64_t machine_peek64(struct machine *m, uint64_t addr, unsigned size)
{
    uint8_t b[8] = { 0 };
    machine_peek(m, addr, b, size > 8 ? 8 : size);
    uint64_t v = 0;
    for (unsigned i = 0; i < 8; i++) v |= (uint64_t)b[i] << (8 * i);
    return v;
}

static void record_write(struct machine *m, uint64_t addr, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint64_t a = addr + i;
        int seen = 0;
        for (unsigned k = m->nwritten; k-- > 0 && k + 64 >= m->nwritten;)
            if (m->written[k] == a) { seen = 1; break; }
        if (!seen && m->nwritten < MACHINE_MAX_WRITES) m->written[m->nwritten++] = a;
    }
}

int machine_add_perm(struct machine *m, uint64_t addr, uint64_t size, const char *perm, int user)
{
    if (m->nperms >= MACHINE_MAX_PERMS) return -1;
    struct machine_perm *p = &m->perms[m->nperms++];
    p->addr = addr;
    p->size = size;
    p->r = strchr(perm, 'r') != NULL;
    p->w = strchr(perm, 'w') != NULL;
    p->x = strchr(perm, 'x') != NULL;
    p->user = (uint8_t)(user != 0);
    m->paging = 1;
    return 0;
}

static const struct machine_perm *perm_of(const struct machine *m, uint64_t la)
{
    for (unsigned i = 0; i < m->nperms; i++)
        if (la >= m->perms[i].addr && la - m->perms[i].addr < m->perms[i].size) return &m->perms[i];
    return NULL;
}

/* The MMU of the replay: #PF error code for one byte address, 0 if allowed. */
static int check_byte(struct machine *m, uint64_t la, unsigned flags, uint32_t *ec)
{
    const struct machine_perm *p = perm_of(m, la);
    const int write = (flags & (EMU_MEM_WRITE | EMU_MEM_RMW)) != 0, fetch = (flags & EMU_MEM_FETCH) != 0;
    const int user = (flags & EMU_MEM_USER) && !(flags & EMU_MEM_IMPLICIT);
    uint32_t e = (write ? EMU_PF_W : 0) | (user ? EMU_PF_U : 0) | (fetch ? EMU_PF_I : 0);
    if (!p || !p->r) {
        *ec = e;
        return 1;
    }
    int bad = 0;
    if (user && !p->user) bad = 1;
    if (write && !p->w && (user || (m->cr[0] & EMU_CR0_WP))) bad = 1;
    if (fetch && !p->x) bad = 1;
    if (!user && p->user) {
        if (fetch && (m->cr[4] & EMU_CR4_SMEP)) bad = 1;
        if (!fetch && (m->cr[4] & EMU_CR4_SMAP) &&
            ((flags & EMU_MEM_IMPLICIT) || !(flags & EMU_MEM_AC)))
            bad = 1;
    }
    if (bad) {
        *ec = e | EMU_PF_P;
        return 1;
    }
    return 0;
}

static enum emu_cb_status check_range(struct machine *m, uint64_t la, unsigned size, unsigned flags,
                                       struct emu_exception *exc)
{
    if (!m->paging) return EMU_CB_OK;
    /* one check per page touched */
    for (uint64_t a = la; a - la < size; a = (a | 4095) + 1) {
        uint32_t ec;
        if (check_byte(m, a, flags, &ec)) {
            exc->vector = EMU_PF;
            exc->has_error_code = 1;
            exc->error_code = ec;
            exc->cr2 = a;
            return EMU_CB_FAULT;
        }
        if ((a | 4095) + 1 - la >= size) break;
    }
    return EMU_CB_OK;
}

/* ---- callbacks -------------------------------------------------------------------------- */

static enum emu_cb_status cb_read(void *o, uint64_t la, void *buf, unsigned size, unsigned flags,
                                  struct emu_exception *exc)
{
    struct machine *m = o;
    if (m->phys_only) return EMU_CB_UNHANDLED;
    enum emu_cb_status st = check_range(m, la, size, flags, exc);
    if (st != EMU_CB_OK) return st;
    if (m->read_pending_once) {
        m->read_pending_once = 0;
        return EMU_CB_PENDING;
    }
    machine_peek(m, la, buf, size);
    return EMU_CB_OK;
}

static enum emu_cb_status cb_write(void *o, uint64_t la, const void *buf, unsigned size,
                                   unsigned flags, struct emu_exception *exc)
{
    struct machine *m = o;
    if (m->phys_only) return EMU_CB_UNHANDLED;
    enum emu_cb_status st = check_range(m, la, size, flags | EMU_MEM_WRITE, exc);
    if (st != EMU_CB_OK) return st;
    machine_poke(m, la, buf, size);
    record_write(m, la, size);
    return EMU_CB_OK;
}

static enum emu_cb_status cb_fetch(void *o, uint64_t la, void *buf, unsigned size, unsigned flags,
                                   struct emu_exception *exc)
{
    struct machine *m = o;
    if (m->phys_only) return EMU_CB_UNHANDLED;
    enum emu_cb_status st = check_range(m, la, size, flags | EMU_MEM_FETCH, exc);
    if (st != EMU_CB_OK) return st;
    machine_peek(m, la, buf, size);
    return EMU_CB_OK;
}

static enum emu_cb_status cb_cmpxchg(void *o, uint64_t la, void *expected, const void *desired,
                                     unsigned size, unsigned flags, int *swapped,
                                     struct emu_exception *exc)
{
    struct machine *m = o;
    uint8_t cur[16];
    if (m->phys_only) return EMU_CB_UNHANDLED;
    enum emu_cb_status st = check_range(m, la, size, flags | EMU_MEM_WRITE, exc);
    if (st != EMU_CB_OK) return st;
    machine_peek(m, la, cur, size);
    if (m->cmpxchg_fail_once) {
        /* simulate another vCPU changing the location once */
        m->cmpxchg_fail_once = 0;
        cur[0] ^= 0xff;
        machine_poke(m, la, cur, size);
        record_write(m, la, size);
    }
    if (memcmp(cur, expected, size) == 0) {
        machine_poke(m, la, desired, size);
        record_write(m, la, size);
        *swapped = 1;
    } else {
        memcpy(expected, cur, size);
        *swapped = 0;
    }
    return EMU_CB_OK;
}

static enum emu_cb_status cb_probe(void *o, uint64_t la, unsigned size, unsigned flags,
                                   struct emu_exception *exc)
{
    if (((struct machine *)o)->phys_only) return EMU_CB_UNHANDLED;
    return check_range(o, la, size, flags, exc);
}

static enum emu_cb_status cb_cmpxchg_phys(void *o, uint64_t pa, void *expected, const void *desired,
                                          unsigned size, int *swapped)
{
    struct machine *m = o;
    uint8_t cur[16];
    m->ncmpxchg_phys++;
    machine_peek(m, pa, cur, size);
    if (memcmp(cur, expected, size) == 0) {
        machine_poke(m, pa, desired, size);
        record_write(m, pa, size);
        *swapped = 1;
    } else {
        memcpy(expected, cur, size);
        *swapped = 0;
    }
    return EMU_CB_OK;
}

/* RDRAND/RDSEED: a fixed value the tests can predict (random_value), or none
 * (random_empty). */
static enum emu_cb_status cb_get_random(void *o, int seed, unsigned size, uint64_t *value, int *valid)
{
    const struct machine *m = o;
    (void)seed;
    (void)size;
    *valid = !m->random_empty;
    *value = m->random_value;
    return EMU_CB_OK;
}

static enum emu_cb_status cb_get_pkru(void *o, uint32_t *pkru)
{
    *pkru = ((struct machine *)o)->pkru;
    return EMU_CB_OK;
}

static enum emu_cb_status cb_read_phys(void *o, uint64_t pa, void *buf, unsigned size)
{
    machine_peek(o, pa, buf, size);
    return EMU_CB_OK;
}

static enum emu_cb_status cb_write_phys(void *o, uint64_t pa, const void *buf, unsigned size)
{
    machine_poke(o, pa, buf, size);
    record_write(o, pa, size);
    return EMU_CB_OK;
}

static enum emu_cb_status cb_get_seg(void *o, enum emu_seg seg, struct emu_segment *out)
{
    *out = ((struct machine *)o)->segs[seg];
    return EMU_CB_OK;
}

/* The combined state callback of the exit path (optional: machine.state_cb). */
static enum emu_cb_status cb_get_state(void *o, struct emu_cpu_state *st)
{
    const struct machine *m = o;
    int found;
    st->cr0 = m->cr[0];
    st->cr4 = m->cr[4];
    st->efer = machine_get_msr((struct machine *)m, EMU_MSR_EFER, &found);
    st->cs = m->segs[EMU_SEG_CS];
    st->ss = m->segs[EMU_SEG_SS];
    return EMU_CB_OK;
}

static enum emu_cb_status cb_set_seg(void *o, enum emu_seg seg, const struct emu_segment *in)
{
    ((struct machine *)o)->segs[seg] = *in;
    return EMU_CB_OK;
}

static enum emu_cb_status cb_get_dtr(void *o, enum emu_dtr d, uint64_t *base, uint32_t *limit)
{
    struct machine *m = o;
    *base = m->dtr_base[d];
    *limit = m->dtr_limit[d];
    return EMU_CB_OK;
}

static enum emu_cb_status cb_set_dtr(void *o, enum emu_dtr d, uint64_t base, uint32_t limit)
{
    struct machine *m = o;
    m->dtr_base[d] = base;
    m->dtr_limit[d] = limit;
    return EMU_CB_OK;
}

static enum emu_cb_status cb_get_cr(void *o, unsigned cr, uint64_t *v)
{
    if (cr >= 16) return EMU_CB_FAULT;
    *v = ((struct machine *)o)->cr[cr];
    return EMU_CB_OK;
}

static enum emu_cb_status cb_set_cr(void *o, unsigned cr, uint64_t v)
{
    if (cr >= 16) return EMU_CB_FAULT;
    ((struct machine *)o)->cr[cr] = v;
    return EMU_CB_OK;
}

static enum emu_cb_status cb_get_dr(void *o, unsigned dr, uint64_t *v)
{
    if (dr >= 8) return EMU_CB_FAULT;
    *v = ((struct machine *)o)->dr[dr];
    return EMU_CB_OK;
}

static enum emu_cb_status cb_set_dr(void *o, unsigned dr, uint64_t v)
{
    if (dr >= 8) return EMU_CB_FAULT;
    ((struct machine *)o)->dr[dr] = v;
    return EMU_CB_OK;
}

uint64_t machine_get_msr(struct machine *m, uint32_t idx, int *found)
{
    if (found) *found = 1;
    if (idx == EMU_MSR_FS_BASE) return m->segs[EMU_SEG_FS].base;
    if (idx == EMU_MSR_GS_BASE) return m->segs[EMU_SEG_GS].base;
    for (unsigned i = 0; i < m->nmsrs; i++)
        if (m->msr_idx[i] == idx) return m->msr_val[i];
    if (found) *found = 0;
    return 0;
}

void machine_set_msr(struct machine *m, uint32_t idx, uint64_t val)
{
    if (idx == EMU_MSR_FS_BASE) { m->segs[EMU_SEG_FS].base = val; return; }
    if (idx == EMU_MSR_GS_BASE) { m->segs[EMU_SEG_GS].base = val; return; }
    for (unsigned i = 0; i < m->nmsrs; i++) {
        if (m->msr_idx[i] == idx) {
            m->msr_val[i] = val;
            return;
        }
    }
    if (m->nmsrs < MACHINE_MAX_MSRS) {
        m->msr_idx[m->nmsrs] = idx;
        m->msr_val[m->nmsrs++] = val;
    }
}

static enum emu_cb_status cb_get_msr(void *o, uint32_t msr, uint64_t *v)
{
    int found;
    *v = machine_get_msr(o, msr, &found);
    return found ? EMU_CB_OK : EMU_CB_FAULT;
}

static enum emu_cb_status cb_set_msr(void *o, uint32_t msr, uint64_t v)
{
    struct machine *m = o;
    int found;
    machine_get_msr(m, msr, &found);
    if (!found) return EMU_CB_FAULT; /* only MSRs the machine has */
    machine_set_msr(m, msr, v);
    return EMU_CB_OK;
}

static enum emu_cb_status cb_get_xcr(void *o, uint32_t idx, uint64_t *v)
{
    if (idx != 0) return EMU_CB_FAULT;
    *v = ((struct machine *)o)->xcr0;
    return EMU_CB_OK;
}

static enum emu_cb_status cb_set_xcr(void *o, uint32_t idx, uint64_t v)
{
    if (idx != 0) return EMU_CB_FAULT;
    ((struct machine *)o)->xcr0 = v;
    return EMU_CB_OK;
}

void machine_set_cpuid(struct machine *m, uint32_t leaf, uint32_t sub, const uint32_t v[4])
{
    for (unsigned i = 0; i < m->ncpuid; i++) {
        if (m->cpuid_leaf[i] == leaf && m->cpuid_sub[i] == sub) {
            memcpy(m->cpuid_val[i], v, 16);
            return;
        }
    }
    if (m->ncpuid < 32) {
        m->cpuid_leaf[m->ncpuid] = leaf;
        m->cpuid_sub[m->ncpuid] = sub;
        memcpy(m->cpuid_val[m->ncpuid++], v, 16);
    }
}

static enum emu_cb_status cb_cpuid(void *o, uint32_t leaf, uint32_t sub, uint32_t out[4])
{
    struct machine *m = o;
    memset(out, 0, 16);
    for (unsigned i = 0; i < m->ncpuid; i++)
        if (m->cpuid_leaf[i] == leaf && m->cpuid_sub[i] == sub) memcpy(out, m->cpuid_val[i], 16);
    return EMU_CB_OK;
}

static enum emu_cb_status cb_io_in(void *o, uint16_t port, unsigned size, uint32_t *v)
{
    struct machine *m = o;
    (void)port;
    if (m->io_pending_once) {
        m->io_pending_once = 0;
        return EMU_CB_PENDING;
    }
    *v = m->port_in_value & (size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1);
    return EMU_CB_OK;
}

static enum emu_cb_status cb_io_out(void *o, uint16_t port, unsigned size, uint32_t v)
{
    struct machine *m = o;
    (void)size;
    m->nouts++;
    m->last_out_port = port;
    m->last_out_val = v;
    return EMU_CB_OK;
}

void machine_intercept(struct machine *m, unsigned code, int on)
{
    unsigned bit = code >= 0x400 ? 0x100 + (code - 0x400) : code;
    if (bit >= 8 * sizeof m->icpt) return;
    if (on) m->icpt[bit / 8] |= (uint8_t)(1u << (bit % 8));
    else m->icpt[bit / 8] &= (uint8_t)~(1u << (bit % 8));
}

int machine_intercepted(const struct machine *m, unsigned code)
{
    unsigned bit = code >= 0x400 ? 0x100 + (code - 0x400) : code;
    if (bit >= 8 * sizeof m->icpt) return 0;
    return (m->icpt[bit / 8] >> (bit % 8)) & 1;
}

static int cb_intercept(void *o, const struct emu_intercept *ic)
{
    return machine_intercepted(o, (unsigned)ic->exit_code);
}

static void cb_event(void *o, const struct emu_event *ev)
{
    struct machine *m = o;
    if (m->nevents < MACHINE_MAX_EVENTS) m->events[m->nevents++] = *ev;
}

static enum emu_cb_status cb_hypercall(void *o, struct emu_regs *regs)
{
    struct machine *m = o;
    (void)regs;
    if (!m->hypercall_enabled) return EMU_CB_UNHANDLED;
    m->nhypercalls++;
    return EMU_CB_OK;
}

/* Bulk string callbacks: element by element here (the test machine values exactness over
 * speed), stopping at the first element that faults with *done = the elements before it. */
static enum emu_cb_status bulk_elem(struct machine *m, uint64_t dst, uint64_t src, int has_src,
                                    int has_dst, uint64_t value, unsigned size, uint64_t k,
                                    int back, unsigned flags, struct emu_exception *exc, uint8_t *buf)
{
    const uint64_t off = back ? (uint64_t)0 - k * size : k * size;
    if (has_src) {
        enum emu_cb_status st = check_range(m, src + off, size, flags & ~(unsigned)EMU_MEM_WRITE, exc);
        if (st != EMU_CB_OK) return st;
        machine_peek(m, src + off, buf, size);
    } else {
        for (unsigned i = 0; i < size; i++) buf[i] = (uint8_t)(value >> (8 * i));
    }
    if (has_dst) {
        enum emu_cb_status st = check_range(m, dst + off, size, flags | EMU_MEM_WRITE, exc);
        if (st != EMU_CB_OK) return st;
        machine_poke(m, dst + off, buf, size);
        record_write(m, dst + off, size);
    }
    return EMU_CB_OK;
}

/* count elements through bulk_elem, *done counting them; OUTS (port >= 0) also records each
 * element as written to the port. */
static enum emu_cb_status bulk_run(struct machine *m, uint64_t dst, uint64_t src, int has_src, int has_dst,
                                   uint64_t value, unsigned size, uint64_t count, int back, unsigned flags,
                                   uint64_t *done, struct emu_exception *exc, int port)
{
    uint8_t buf[8];
    m->nbulk++;
    for (*done = 0; *done < count; (*done)++) {
        enum emu_cb_status st = bulk_elem(m, dst, src, has_src, has_dst, value, size, *done, back, flags, exc, buf);
        if (st != EMU_CB_OK) return st;
        if (port >= 0) {
            m->nouts++;
            m->last_out_port = (uint16_t)port;
            m->last_out_val = (uint32_t)emu_load_le_host(buf, size);
        }
    }
    return EMU_CB_OK;
}

static enum emu_cb_status cb_rep_movs(void *o, uint64_t dst, uint64_t src, unsigned size, uint64_t count,
                                      int back, unsigned flags, uint64_t *done, struct emu_exception *exc)
{
    return bulk_run(o, dst, src, 1, 1, 0, size, count, back, flags, done, exc, -1);
}

static enum emu_cb_status cb_rep_stos(void *o, uint64_t dst, uint64_t value, unsigned size, uint64_t count,
                                      int back, unsigned flags, uint64_t *done, struct emu_exception *exc)
{
    return bulk_run(o, dst, 0, 0, 1, value, size, count, back, flags, done, exc, -1);
}

static enum emu_cb_status cb_rep_ins(void *o, uint16_t port, uint64_t dst, unsigned size, uint64_t count,
                                     int back, unsigned flags, uint64_t *done, struct emu_exception *exc)
{
    struct machine *m = o;
    (void)port;
    return bulk_run(m, dst, 0, 0, 1, m->port_in_value, size, count, back, flags, done, exc, -1);
}

static enum emu_cb_status cb_rep_outs(void *o, uint16_t port, uint64_t src, unsigned size, uint64_t count,
                                      int back, unsigned flags, uint64_t *done, struct emu_exception *exc)
{
    return bulk_run(o, 0, src, 1, 0, 0, size, count, back, flags, done, exc, port);
}

const struct emu_ops machine_ops = {
    .read = cb_read, .write = cb_write, .fetch = cb_fetch, .cmpxchg = cb_cmpxchg, .probe = cb_probe,
    .read_phys = cb_read_phys, .write_phys = cb_write_phys,
    .get_seg = cb_get_seg, .set_seg = cb_set_seg, .get_dtr = cb_get_dtr, .set_dtr = cb_set_dtr,
    .get_cr = cb_get_cr, .set_cr = cb_set_cr, .get_dr = cb_get_dr, .set_dr = cb_set_dr,
    .get_msr = cb_get_msr, .set_msr = cb_set_msr, .get_xcr = cb_get_xcr, .set_xcr = cb_set_xcr,
    .cpuid = cb_cpuid, .io_in = cb_io_in, .io_out = cb_io_out,
    .intercept = cb_intercept, .event = cb_event, .hypercall = NULL,
    .cmpxchg_phys = cb_cmpxchg_phys, .get_pkru = cb_get_pkru, .get_random = cb_get_random,
};


/* ---- set-up ----------------------------------------------------------------------------- */

static void seg_set(struct emu_segment *s, uint16_t sel, uint64_t base, uint32_t limit, uint16_t attr)
{
    s->sel = sel;
    s->base = base;
    s->limit = limit;
    s->attr = attr;
}

/* The machine's callbacks: the base table, plus the hypercall handler and the bulk REP
 * callbacks when the test asks for them. */
void machine_reset_ctx(struct machine *m)
{
    m->ops = machine_ops;
    if (m->hypercall_enabled) m->ops.hypercall = cb_hypercall;
    if (m->state_cb) m->ops.get_state = cb_get_state;
    if (m->bulk) {
        m->ops.rep_movs = cb_rep_movs;
        m->ops.rep_stos = cb_rep_stos;
        m->ops.rep_ins = cb_rep_ins;
        m->ops.rep_outs = cb_rep_outs;
    }
    emu_init(&m->ctx, &m->cfg, &m->ops, m, &m->regs);
}

struct machine *machine_new(enum emu_mode mode, const struct emu_config *cfg)
{
    struct machine *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    if (cfg) m->cfg = *cfg;
    if (!m->cfg.maxphyaddr) m->cfg.maxphyaddr = 48;
    m->mode = mode;
    m->regs.rflags = 2;
    m->xcr0 = 1;
    m->port_in_value = 0xffffffffu;
    m->dr[6] = 0xffff0ff0;
    m->dr[7] = 0x400;
    uint16_t cs_attr, ds_attr = 0xc93;
    uint32_t lim = 0xffffffff;
    switch (mode) {
    case EMU_MODE_REAL:
        m->cr[0] = EMU_CR0_ET;
        cs_attr = 0x9b;
        ds_attr = 0x93;
        lim = 0xffff;
        break;
    case EMU_MODE_V86:
        m->cr[0] = EMU_CR0_ET | EMU_CR0_PE;
        m->regs.rflags |= EMU_FLAG_VM;
        cs_attr = 0xfb;
        ds_attr = 0xf3;
        lim = 0xffff;
        break;
    case EMU_MODE_PROT16:
        m->cr[0] = EMU_CR0_ET | EMU_CR0_PE;
        cs_attr = 0x9b;
        ds_attr = 0x93;
        lim = 0xffff;
        break;
    case EMU_MODE_PROT32:
        m->cr[0] = EMU_CR0_ET | EMU_CR0_PE;
        cs_attr = 0xc9b;
        break;
    case EMU_MODE_COMPAT16:
        cs_attr = 0x9b;
        lim = 0xffff;
        goto lm;
    case EMU_MODE_COMPAT32:
        cs_attr = 0xc9b;
        goto lm;
    default:
        cs_attr = 0xa9b;
    lm:
        m->cr[0] = EMU_CR0_ET | EMU_CR0_PE | EMU_CR0_PG;
        m->cr[4] = EMU_CR4_PAE;
        machine_set_msr(m, EMU_MSR_EFER, EMU_EFER_LME | EMU_EFER_LMA);
        break;
    }
    if (mode < EMU_MODE_COMPAT16) machine_set_msr(m, EMU_MSR_EFER, 0);
    for (unsigned s = 0; s < 6; s++) seg_set(&m->segs[s], 0, 0, lim, s == EMU_SEG_CS ? cs_attr : ds_attr);
    if (mode == EMU_MODE_COMPAT16) {
        for (unsigned s = 0; s < 6; s++) if (s != EMU_SEG_CS) seg_set(&m->segs[s], 0, 0, 0xffffffff, 0xc93);
    }
    seg_set(&m->segs[EMU_SEG_LDTR], 0, 0, 0, 0);
    seg_set(&m->segs[EMU_SEG_TR], 0, 0, 0x67, 0x8b);
    machine_set_msr(m, EMU_MSR_TSC, 0);
    machine_set_msr(m, EMU_MSR_TSC_AUX, 0);
    machine_set_msr(m, EMU_MSR_KERNEL_GS_BASE, 0);
    machine_set_msr(m, EMU_MSR_STAR, 0);
    machine_set_msr(m, EMU_MSR_LSTAR, 0);
    machine_set_msr(m, EMU_MSR_CSTAR, 0);
    machine_set_msr(m, EMU_MSR_SFMASK, 0);
    machine_set_msr(m, EMU_MSR_SYSENTER_CS, 0);
    machine_set_msr(m, EMU_MSR_SYSENTER_ESP, 0);
    machine_set_msr(m, EMU_MSR_SYSENTER_EIP, 0);
    machine_set_msr(m, EMU_MSR_PAT, 0x0007040600070406ull);
    machine_reset_ctx(m);
    return m;
}

void machine_free(struct machine *m)
{
    if (!m) return;
    for (unsigned h = 0; h < MACHINE_HASH; h++) {
        struct machine_page *p = m->pages[h];
        while (p) {
            struct machine_page *n = p->next;
            free(p);
            p = n;
        }
    }
    free(m);
}

unsigned machine_cpl(const struct machine *m)
{
    if (!(m->cr[0] & EMU_CR0_PE)) return 0;
    if (m->regs.rflags & EMU_FLAG_VM) return 3;
    return (m->segs[EMU_SEG_SS].attr >> 5) & 3;
}

int hex_decode(const char *hex, uint8_t *buf, size_t max)
{
    size_t n = 0;
    for (const char *p = hex; *p;) {
        if (*p == ' ' || *p == ':' || *p == '_') {
            p++;
            continue;
        }
        int hi = -1, lo = -1;
        char c = p[0], d = p[1];
        if (c >= '0' && c <= '9') hi = c - '0';
        else if (c >= 'a' && c <= 'f') hi = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F') hi = c - 'A' + 10;
        if (d >= '0' && d <= '9') lo = d - '0';
        else if (d >= 'a' && d <= 'f') lo = d - 'a' + 10;
        else if (d >= 'A' && d <= 'F') lo = d - 'A' + 10;
        if (hi < 0 || lo < 0 || n >= max) return -1;
        buf[n++] = (uint8_t)(hi << 4 | lo);
        p += 2;
    }
    return (int)n;
}

enum emu_status machine_step_bytes(struct machine *m, const uint8_t *bytes, size_t n, int via_fetch)
{
    /* place the bytes at CS:RIP (linear = CS.base + RIP, 32-bit wrap outside long mode) */
    uint64_t la = m->segs[EMU_SEG_CS].base + m->regs.rip;
    int m64 = (m->segs[EMU_SEG_CS].attr & EMU_SEGATTR_L) && m->mode == EMU_MODE_LONG64;
    if (!m64) la &= 0xffffffffull;
    machine_poke(m, la, bytes, n);
    return emu_step(&m->ctx, via_fetch ? NULL : bytes, via_fetch ? 0 : n);
}

int machine_step_hex(struct machine *m, const char *hex)
{
    uint8_t b[32];
    int n = hex_decode(hex, b, sizeof b);
    if (n < 0) return -1;
    return (int)machine_step_bytes(m, b, (size_t)n, 0);
}

/* ---- names ------------------------------------------------------------------------------ */

static const char *const gpr_names[34] = {
    "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12",
    "r13", "r14", "r15", "r16", "r17", "r18", "r19", "r20", "r21", "r22", "r23", "r24", "r25",
    "r26", "r27", "r28", "r29", "r30", "r31", "rip", "rflags",
};

int reg_index_from_name(const char *name)
{
    for (int i = 0; i < 34; i++)
        if (strcmp(name, gpr_names[i]) == 0) return i;
    return -1;
}

const char *reg_name(unsigned idx) { return idx < 34 ? gpr_names[idx] : "?"; }

static const char *const seg_names[EMU_NUM_SEGS] = { "es", "cs", "ss", "ds", "fs", "gs", "ldtr", "tr" };

int seg_index_from_name(const char *name)
{
    for (int i = 0; i < EMU_NUM_SEGS; i++)
        if (strcmp(name, seg_names[i]) == 0) return i;
    return -1;
}

const char *seg_name(unsigned idx) { return idx < EMU_NUM_SEGS ? seg_names[idx] : "?"; }

static const struct { const char *name; unsigned code; } icpt_names[] = {
    { "cr0_sel_write", 0x65 }, { "idtr_read", 0x66 }, { "gdtr_read", 0x67 }, { "ldtr_read", 0x68 },
    { "tr_read", 0x69 }, { "idtr_write", 0x6a }, { "gdtr_write", 0x6b }, { "ldtr_write", 0x6c },
    { "tr_write", 0x6d }, { "rdtsc", 0x6e }, { "rdpmc", 0x6f }, { "pushf", 0x70 }, { "popf", 0x71 },
    { "cpuid", 0x72 }, { "rsm", 0x73 }, { "iret", 0x74 }, { "intn", 0x75 }, { "swint", 0x75 },
    { "invd", 0x76 }, { "pause", 0x77 }, { "hlt", 0x78 }, { "invlpg", 0x79 }, { "invlpga", 0x7a },
    { "ioio", 0x7b }, { "msr", 0x7c }, { "task_switch", 0x7d }, { "ferr_freeze", 0x7e },
    { "shutdown", 0x7f }, { "vmrun", 0x80 }, { "vmmcall", 0x81 }, { "vmload", 0x82 },
    { "vmsave", 0x83 }, { "stgi", 0x84 }, { "clgi", 0x85 }, { "skinit", 0x86 }, { "rdtscp", 0x87 },
    { "icebp", 0x88 }, { "wbinvd", 0x89 }, { "monitor", 0x8a }, { "mwait", 0x8b },
    { "mwait_cond", 0x8c }, { "xsetbv", 0x8d }, { "rdpru", 0x8e }, { "efer_write_trap", 0x8f },
    { "invlpgb", 0xa0 }, { "invlpgb_illegal", 0xa1 }, { "invpcid", 0xa2 }, { "mcommit", 0xa3 },
    { "tlbsync", 0xa4 }, { "bus_lock", 0xa5 }, { "idle_hlt", 0xa6 },
};

int intercept_from_name(const char *name)
{
    for (size_t i = 0; i < sizeof icpt_names / sizeof icpt_names[0]; i++)
        if (strcmp(name, icpt_names[i].name) == 0) return (int)icpt_names[i].code;
    unsigned n;
    char kind[8];
    /* cr0_read .. cr15_write, dr0_read .. dr15_write, excp0 .. excp31 */
    if (sscanf(name, "cr%u_%7s", &n, kind) == 2 && n < 16) {
        if (strcmp(kind, "read") == 0) return (int)n;
        if (strcmp(kind, "write") == 0) return (int)(0x10 + n);
    }
    if (sscanf(name, "dr%u_%7s", &n, kind) == 2 && n < 16) {
        if (strcmp(kind, "read") == 0) return (int)(0x20 + n);
        if (strcmp(kind, "write") == 0) return (int)(0x30 + n);
    }
    if (sscanf(name, "excp%u", &n) == 1 && n < 32) return (int)(0x40 + n);
    return -1;
}
