/* Vector loading, running and checking (see vector.h and shared/spec/vectors.md). */
#include "vector.h"

#include <stdlib.h>
#include <string.h>

static const char *const tlb_kinds[] = {
    "?", "invlpg", "invlpga", "invpcid_addr", "invpcid_pcid", "invpcid_all", "invpcid_nonglobal",
    "cr3", "implicit",
};
static const char *const rap_reasons[] = {
    "?", "mov_cr3", "invpcid", "implicit", "nested_transition", "msr_write", "task_switch",
};
static const char *const ev_types[] = {
    "?", "tlb_flush", "rap_clear", "halt", "hypercall", "vmrun", "gif", "singlestep", "int_shadow",
};

const char *tlb_kind_name(unsigned k) { return k < sizeof tlb_kinds / sizeof *tlb_kinds ? tlb_kinds[k] : "?"; }
const char *rap_reason_name(unsigned r) { return r < sizeof rap_reasons / sizeof *rap_reasons ? rap_reasons[r] : "?"; }
const char *event_type_name(unsigned t) { return t < sizeof ev_types / sizeof *ev_types ? ev_types[t] : "?"; }

const char *status_name(enum emu_status st)
{
    switch (st) {
    case EMU_OK: return "ok";
    case EMU_EXCEPTION: return "exception";
    case EMU_INTERCEPT: return "intercept";
    case EMU_RETRY: return "retry";
    case EMU_IO_PENDING: return "io_pending";
    default: return "unhandled";
    }
}

/* ---- parsing helpers -------------------------------------------------------------------- */

#define FAIL(...) do { snprintf(err, errlen, __VA_ARGS__); return -1; } while (0)

static int only_keys(const struct json *o, const char *const *allowed, const char *where, char *err, size_t errlen)
{
    if (!o) return 0;
    if (o->type != JSON_OBJECT) FAIL("%s: expected an object", where);
    for (size_t i = 0; i < o->n; i++) {
        int ok = 0;
        for (const char *const *a = allowed; *a; a++)
            if (strcmp(o->keys[i], *a) == 0) ok = 1;
        if (!ok) FAIL("%s: unknown key \"%s\"", where, o->keys[i]);
    }
    return 0;
}

static int get_u64(const struct json *j, uint64_t *out, const char *where, char *err, size_t errlen)
{
    if (json_u64(j, out) != 0) FAIL("%s: expected a number or a \"0x...\" string", where);
    return 0;
}

static int parse_regs(struct vec *v, const struct json *regs, struct emu_regs *r, char *err, size_t errlen)
{
    if (!regs) return 0;
    if (regs->type != JSON_OBJECT) FAIL("regs: expected an object");
    for (size_t i = 0; i < regs->n; i++) {
        int idx = reg_index_from_name(regs->keys[i]);
        uint64_t val;
        if (idx < 0) FAIL("regs: unknown register \"%s\"", regs->keys[i]);
        if (get_u64(&regs->items[i], &val, regs->keys[i], err, errlen)) return -1;
        if (idx < 32) r->gpr[idx] = val;
        else if (idx == 32) r->rip = val;
        else r->rflags = val;
    }
    (void)v;
    return 0;
}

static const char *const seg_keys[] = { "sel", "base", "limit", "attr", 0 };

static int parse_segs(const struct json *segs, struct emu_segment *out, char *err, size_t errlen)
{
    if (!segs) return 0;
    if (segs->type != JSON_OBJECT) FAIL("segs: expected an object");
    for (size_t i = 0; i < segs->n; i++) {
        int s = seg_index_from_name(segs->keys[i]);
        if (s < 0) FAIL("segs: unknown segment \"%s\"", segs->keys[i]);
        const struct json *o = &segs->items[i];
        if (only_keys(o, seg_keys, segs->keys[i], err, errlen)) return -1;
        uint64_t x;
        if (json_get(o, "sel")) { if (get_u64(json_get(o, "sel"), &x, "sel", err, errlen)) return -1; out[s].sel = (uint16_t)x; }
        if (json_get(o, "base")) { if (get_u64(json_get(o, "base"), &x, "base", err, errlen)) return -1; out[s].base = x; }
        if (json_get(o, "limit")) { if (get_u64(json_get(o, "limit"), &x, "limit", err, errlen)) return -1; out[s].limit = (uint32_t)x; }
        if (json_get(o, "attr")) { if (get_u64(json_get(o, "attr"), &x, "attr", err, errlen)) return -1; out[s].attr = (uint16_t)x; }
    }
    return 0;
}

static int cr_index(const char *k)
{
    static const char *const names[] = { "cr0", "cr2", "cr3", "cr4", "cr8" };
    static const int idx[] = { 0, 2, 3, 4, 8 };
    for (int i = 0; i < 5; i++) if (strcmp(k, names[i]) == 0) return idx[i];
    return -1;
}

static int msr_index(const char *k, uint32_t *idx)
{
    if (strcmp(k, "efer") == 0) { *idx = EMU_MSR_EFER; return 0; }
    char *end;
    unsigned long long v = strtoull(k, &end, 0);
    if (*end || end == k || v > 0xffffffffull) return -1;
    *idx = (uint32_t)v;
    return 0;
}

static int parse_bytes_list(struct vec *v, const struct json *list, const char *what, char *err, size_t errlen)
{
    static const char *const keys[] = { "addr", "data", 0 };
    if (!list) return 0;
    if (list->type != JSON_ARRAY) FAIL("%s: expected an array", what);
    for (size_t i = 0; i < list->n; i++) {
        const struct json *e = &list->items[i];
        uint64_t addr;
        if (only_keys(e, keys, what, err, errlen)) return -1;
        const struct json *d = json_get(e, "data");
        if (get_u64(json_get(e, "addr"), &addr, "addr", err, errlen)) return -1;
        if (!d || d->type != JSON_STRING) FAIL("%s: data must be a hex string", what);
        size_t len = strlen(d->str) / 2 + 1;
        uint8_t *buf = malloc(len);
        if (!buf) FAIL("out of memory");
        int n = hex_decode(d->str, buf, len);
        if (n < 0) { free(buf); FAIL("%s: bad hex data", what); }
        machine_poke(v->m, addr, buf, (size_t)n);
        free(buf);
    }
    return 0;
}

static const char *const top_keys[] = {
    "name", "mode", "bytes", "config", "initial", "final", "exception", "intercept", "events",
    "flags_mask", 0,
};
static const char *const config_keys[] = { "vendor", "maxphyaddr", "features", "nested", 0 };
static const char *const nested_keys[] = { "intercepts", 0 };
static const char *const initial_keys[] = { "regs", "segs", "cr", "dr", "msr", "xcr0", "dt", "mem", "phys", "pages", 0 };
static const char *const final_keys[] = { "regs", "segs", "cr", "dr", "msr", "xcr0", "dt", "mem", 0 };
static const char *const exc_keys[] = { "vector", "error_code", "cr2", 0 };
static const char *const icpt_keys[] = { "exit_code", "info1", "info2", 0 };
static const char *const dt_keys[] = { "gdtr", "idtr", 0 };
static const char *const dtr_keys[] = { "base", "limit", 0 };
static const char *const page_keys[] = { "addr", "size", "perm", "user", 0 };

static int parse_config(const struct json *c, struct emu_config *cfg, struct machine **mp, char *err, size_t errlen)
{
    (void)mp;
    if (!c) return 0;
    if (only_keys(c, config_keys, "config", err, errlen)) return -1;
    const struct json *x;
    if ((x = json_get(c, "vendor"))) {
        if (x->type != JSON_STRING) FAIL("config.vendor: expected a string");
        if (strcmp(x->str, "intel") == 0) cfg->vendor = EMU_VENDOR_INTEL;
        else if (strcmp(x->str, "amd") == 0) cfg->vendor = EMU_VENDOR_AMD;
        else FAIL("config.vendor: \"%s\" is not intel or amd", x->str);
    }
    if ((x = json_get(c, "maxphyaddr"))) {
        uint64_t v;
        if (get_u64(x, &v, "config.maxphyaddr", err, errlen)) return -1;
        if (v < 32 || v > 52) FAIL("config.maxphyaddr: %llu is outside 32..52", (unsigned long long)v);
        cfg->maxphyaddr = (uint8_t)v;
    }
    if ((x = json_get(c, "features"))) {
        if (x->type != JSON_ARRAY) FAIL("config.features: expected an array");
        for (size_t i = 0; i < x->n; i++) {
            if (x->items[i].type != JSON_STRING) FAIL("config.features: expected strings");
            int f = emu_feature_from_name(x->items[i].str);
            if (f == -1) FAIL("config.features: unknown feature \"%s\"", x->items[i].str);
            if (f >= 0) emu_config_set_feature(cfg, (enum emu_feature)f);
        }
    }
    if ((x = json_get(c, "nested"))) {
        if (only_keys(x, nested_keys, "config.nested", err, errlen)) return -1;
        cfg->nested = 1;
    }
    return 0;
}

int vec_load(const char *line, struct vec *v, char *err, size_t errlen)
{
    memset(v, 0, sizeof *v);
    v->root = json_parse(line, err, errlen);
    if (!v->root) return -1;
    const struct json *r = v->root, *x;
    if (r->type != JSON_OBJECT) FAIL("a vector must be a JSON object");
    if (only_keys(r, top_keys, "vector", err, errlen)) return -1;
    if ((x = json_get(r, "name")) && x->type == JSON_STRING) snprintf(v->name, sizeof v->name, "%s", x->str);
    else snprintf(v->name, sizeof v->name, "(unnamed)");

    x = json_get(r, "mode");
    int mode = x && x->type == JSON_STRING ? emu_mode_from_name(x->str) : -1;
    if (mode < 0) FAIL("mode: missing or not one of real v86 prot16 prot32 compat16 compat32 long64");
    x = json_get(r, "bytes");
    if (!x || x->type != JSON_STRING) FAIL("bytes: missing");
    v->nbytes = hex_decode(x->str, v->bytes, sizeof v->bytes);
    if (v->nbytes <= 0) FAIL("bytes: bad hex (1 to 16 bytes)");

    struct emu_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.maxphyaddr = 48;
    if (parse_config(json_get(r, "config"), &cfg, &v->m, err, errlen)) return -1;
    v->m = machine_new((enum emu_mode)mode, &cfg);
    if (!v->m) FAIL("out of memory");
    struct machine *m = v->m;
    const struct json *nested = json_get(json_get(r, "config"), "nested");
    if (nested && (x = json_get(nested, "intercepts"))) {
        if (x->type != JSON_ARRAY) FAIL("config.nested.intercepts: expected an array");
        for (size_t i = 0; i < x->n; i++) {
            int code = x->items[i].type == JSON_STRING ? intercept_from_name(x->items[i].str) : -1;
            if (code < 0) FAIL("config.nested.intercepts: unknown intercept \"%s\"", x->items[i].str ? x->items[i].str : "?");
            machine_intercept(m, (unsigned)code, 1);
        }
    }

    const struct json *ini = json_get(r, "initial");
    if (only_keys(ini, initial_keys, "initial", err, errlen)) return -1;
    if (parse_regs(v, json_get(ini, "regs"), &m->regs, err, errlen)) return -1;
    if (parse_segs(json_get(ini, "segs"), m->segs, err, errlen)) return -1;
    if ((x = json_get(ini, "cr"))) {
        if (x->type != JSON_OBJECT) FAIL("initial.cr: expected an object");
        for (size_t i = 0; i < x->n; i++) {
            int c = cr_index(x->keys[i]);
            if (c < 0) FAIL("initial.cr: unknown register \"%s\"", x->keys[i]);
            if (get_u64(&x->items[i], &m->cr[c], x->keys[i], err, errlen)) return -1;
        }
    }
    if ((x = json_get(ini, "dr"))) {
        if (x->type != JSON_OBJECT) FAIL("initial.dr: expected an object");
        for (size_t i = 0; i < x->n; i++) {
            unsigned d;
            if (sscanf(x->keys[i], "dr%u", &d) != 1 || d > 7) FAIL("initial.dr: unknown register \"%s\"", x->keys[i]);
            if (get_u64(&x->items[i], &m->dr[d], x->keys[i], err, errlen)) return -1;
        }
    }
    if ((x = json_get(ini, "msr"))) {
        if (x->type != JSON_OBJECT) FAIL("initial.msr: expected an object");
        for (size_t i = 0; i < x->n; i++) {
            uint32_t idx;
            uint64_t val;
            if (msr_index(x->keys[i], &idx)) FAIL("initial.msr: bad MSR name \"%s\"", x->keys[i]);
            if (get_u64(&x->items[i], &val, x->keys[i], err, errlen)) return -1;
            machine_set_msr(m, idx, val);
        }
    }
    if ((x = json_get(ini, "xcr0")) && get_u64(x, &m->xcr0, "xcr0", err, errlen)) return -1;
    if ((x = json_get(ini, "dt"))) {
        if (only_keys(x, dt_keys, "initial.dt", err, errlen)) return -1;
        for (int d = 0; d < 2; d++) {
            const struct json *t = json_get(x, d ? "idtr" : "gdtr");
            uint64_t val;
            if (!t) continue;
            if (only_keys(t, dtr_keys, "initial.dt", err, errlen)) return -1;
            if (json_get(t, "base") && get_u64(json_get(t, "base"), &m->dtr_base[d], "base", err, errlen)) return -1;
            if (json_get(t, "limit")) {
                if (get_u64(json_get(t, "limit"), &val, "limit", err, errlen)) return -1;
                m->dtr_limit[d] = (uint32_t)val;
            }
        }
    }
    if (parse_bytes_list(v, json_get(ini, "mem"), "initial.mem", err, errlen)) return -1;
    if (parse_bytes_list(v, json_get(ini, "phys"), "initial.phys", err, errlen)) return -1;
    if ((x = json_get(ini, "pages"))) {
        if (x->type != JSON_ARRAY) FAIL("initial.pages: expected an array");
        for (size_t i = 0; i < x->n; i++) {
            const struct json *p = &x->items[i], *perm = json_get(p, "perm"), *user = json_get(p, "user");
            uint64_t addr, size;
            if (only_keys(p, page_keys, "initial.pages", err, errlen)) return -1;
            if (get_u64(json_get(p, "addr"), &addr, "pages.addr", err, errlen)) return -1;
            if (get_u64(json_get(p, "size"), &size, "pages.size", err, errlen)) return -1;
            if (!perm || perm->type != JSON_STRING) FAIL("initial.pages: perm must be a string like \"rwx\"");
            if (machine_add_perm(m, addr, size, perm->str, user && user->type == JSON_BOOL && user->boolean))
                FAIL("initial.pages: too many pages");
        }
    }
    /* keep the machine's mode consistent with the CS the vector gave */
    if ((x = json_get(r, "flags_mask"))) {
        if (get_u64(x, &v->flags_mask, "flags_mask", err, errlen)) return -1;
    } else {
        v->flags_mask = ~0ull;
    }
    if ((x = json_get(r, "final")) && only_keys(x, final_keys, "final", err, errlen)) return -1;
    if (x) {
        /* the sections the check walks by key must be objects (fuzz_vector: "msr" as a string
         * made the check index a NULL key array) */
        static const char *const objs[] = { "regs", "segs", "cr", "dr", "msr", "dt", 0 };
        for (const char *const *k = objs; *k; k++) {
            const struct json *o = json_get(x, *k);
            if (o && o->type != JSON_OBJECT) FAIL("final.%s: expected an object", *k);
        }
        const struct json *o = json_get(x, "mem");
        if (o && o->type != JSON_ARRAY) FAIL("final.mem: expected an array");
    }
    if ((x = json_get(r, "exception")) && only_keys(x, exc_keys, "exception", err, errlen)) return -1;
    if ((x = json_get(r, "intercept")) && only_keys(x, icpt_keys, "intercept", err, errlen)) return -1;
    if ((x = json_get(r, "events")) && x->type != JSON_ARRAY) FAIL("events: expected an array");

    /* the instruction bytes at CS:RIP */
    uint64_t la = m->segs[EMU_SEG_CS].base + m->regs.rip;
    if (mode != EMU_MODE_LONG64) la &= 0xffffffffull;
    machine_poke(m, la, v->bytes, (size_t)v->nbytes);

    v->init_regs = m->regs;
    memcpy(v->init_segs, m->segs, sizeof m->segs);
    memcpy(v->init_cr, m->cr, sizeof m->cr);
    memcpy(v->init_dr, m->dr, sizeof m->dr);
    v->init_xcr0 = m->xcr0;
    memcpy(v->init_msr_idx, m->msr_idx, sizeof m->msr_idx);
    memcpy(v->init_msr_val, m->msr_val, sizeof m->msr_val);
    v->init_nmsrs = m->nmsrs;
    machine_reset_ctx(m);
    return 0;
}

enum emu_status vec_run(struct vec *v)
{
    return emu_step(&v->m->ctx, NULL, 0);
}

void vec_free(struct vec *v)
{
    if (v->root) {
        json_free(v->root);
        free(v->root);
    }
    machine_free(v->m);
    memset(v, 0, sizeof *v);
}

/* ---- checking --------------------------------------------------------------------------- */

static int diff(FILE *out, const struct vec *v, const char *field, uint64_t want, uint64_t got)
{
    if (want == got) return 0;
    fprintf(out, "%s: %s: expected 0x%llx, got 0x%llx\n", v->name, field, (unsigned long long)want,
            (unsigned long long)got);
    return 1;
}

/* The initial value of a memory byte: from "mem"/"phys" (later entries win) or the bytes. */
static uint8_t initial_byte(const struct vec *v, uint64_t addr)
{
    const struct json *ini = json_get(v->root, "initial");
    uint8_t b = 0;
    const char *lists[2] = { "mem", "phys" };
    for (int l = 0; l < 2; l++) {
        const struct json *list = json_get(ini, lists[l]);
        if (!list) continue;
        for (size_t i = 0; i < list->n; i++) {
            uint64_t a;
            const struct json *d = json_get(&list->items[i], "data");
            if (json_u64(json_get(&list->items[i], "addr"), &a) || !d) continue;
            size_t len = strlen(d->str) / 2;
            if (addr >= a && addr - a < len) {
                uint8_t tmp[1];
                char two[3] = { d->str[2 * (addr - a)], d->str[2 * (addr - a) + 1], 0 };
                if (hex_decode(two, tmp, 1) == 1) b = tmp[0];
            }
        }
    }
    const struct machine *m = v->m;
    uint64_t la = v->init_segs[EMU_SEG_CS].base + v->init_regs.rip;
    if (m->mode != EMU_MODE_LONG64) la &= 0xffffffffull;
    if (addr >= la && addr - la < (uint64_t)v->nbytes) b = v->bytes[addr - la];
    return b;
}

static int check_state(struct vec *v, const struct json *fin, FILE *out)
{
    struct machine *m = v->m;
    int bad = 0;
    char field[64];
    struct emu_regs want = v->init_regs;
    char err[256] = "";
    const struct json *x;
    if (fin && parse_regs(v, json_get(fin, "regs"), &want, err, sizeof err)) {
        fprintf(out, "%s: final.regs: %s\n", v->name, err);
        return 1;
    }
    for (unsigned i = 0; i < 32; i++) bad += diff(out, v, reg_name(i), want.gpr[i], m->regs.gpr[i]);
    bad += diff(out, v, "rip", want.rip, m->regs.rip);
    bad += diff(out, v, "rflags", want.rflags & v->flags_mask, m->regs.rflags & v->flags_mask);

    struct emu_segment ws[EMU_NUM_SEGS];
    memcpy(ws, v->init_segs, sizeof ws);
    if (fin && parse_segs(json_get(fin, "segs"), ws, err, sizeof err)) {
        fprintf(out, "%s: final.segs: %s\n", v->name, err);
        return bad + 1;
    }
    for (unsigned s = 0; s < EMU_NUM_SEGS; s++) {
        snprintf(field, sizeof field, "%s.sel", seg_name(s));
        bad += diff(out, v, field, ws[s].sel, m->segs[s].sel);
        snprintf(field, sizeof field, "%s.base", seg_name(s));
        bad += diff(out, v, field, ws[s].base, m->segs[s].base);
        snprintf(field, sizeof field, "%s.limit", seg_name(s));
        bad += diff(out, v, field, ws[s].limit, m->segs[s].limit);
        snprintf(field, sizeof field, "%s.attr", seg_name(s));
        bad += diff(out, v, field, ws[s].attr, m->segs[s].attr);
    }
    uint64_t wcr[16];
    memcpy(wcr, v->init_cr, sizeof wcr);
    if (fin && (x = json_get(fin, "cr"))) {
        for (size_t i = 0; i < x->n; i++) {
            int c = cr_index(x->keys[i]);
            if (c < 0 || json_u64(&x->items[i], &wcr[c])) {
                fprintf(out, "%s: final.cr: bad entry \"%s\"\n", v->name, x->keys[i]);
                bad++;
            }
        }
    }
    static const int crs[] = { 0, 2, 3, 4, 8 };
    for (int i = 0; i < 5; i++) {
        snprintf(field, sizeof field, "cr%d", crs[i]);
        bad += diff(out, v, field, wcr[crs[i]], m->cr[crs[i]]);
    }
    uint64_t wdr[8];
    memcpy(wdr, v->init_dr, sizeof wdr);
    if (fin && (x = json_get(fin, "dr"))) {
        for (size_t i = 0; i < x->n; i++) {
            unsigned d;
            if (sscanf(x->keys[i], "dr%u", &d) != 1 || d > 7 || json_u64(&x->items[i], &wdr[d])) {
                fprintf(out, "%s: final.dr: bad entry \"%s\"\n", v->name, x->keys[i]);
                bad++;
            }
        }
    }
    for (int d = 0; d < 8; d++) {
        snprintf(field, sizeof field, "dr%d", d);
        bad += diff(out, v, field, wdr[d], m->dr[d]);
    }
    /* MSRs: listed ones must match; every other MSR the machine has must be unchanged */
    const struct json *fmsr = fin ? json_get(fin, "msr") : NULL;
    for (unsigned i = 0; i < m->nmsrs; i++) {
        uint32_t idx = m->msr_idx[i];
        uint64_t w = 0;
        int have = 0;
        for (unsigned k = 0; k < v->init_nmsrs; k++)
            if (v->init_msr_idx[k] == idx) { w = v->init_msr_val[k]; have = 1; }
        if (fmsr) {
            for (size_t k = 0; k < fmsr->n; k++) {
                uint32_t fi;
                if (!msr_index(fmsr->keys[k], &fi) && fi == idx && !json_u64(&fmsr->items[k], &w)) have = 1;
            }
        }
        if (!have) continue;
        snprintf(field, sizeof field, "msr 0x%x", idx);
        bad += diff(out, v, field, w, m->msr_val[i]);
    }
    uint64_t wx = v->init_xcr0;
    if (fin && (x = json_get(fin, "xcr0"))) json_u64(x, &wx);
    bad += diff(out, v, "xcr0", wx, m->xcr0);

    /* Memory: listed bytes must match; every other written byte must hold its initial value. */
    const struct json *fmem = fin ? json_get(fin, "mem") : NULL;
    uint8_t *listed = NULL;
    uint64_t *laddr = NULL;
    size_t nl = 0;
    if (fmem) {
        for (size_t i = 0; i < fmem->n; i++) {
            uint64_t a;
            const struct json *d = json_get(&fmem->items[i], "data");
            if (json_u64(json_get(&fmem->items[i], "addr"), &a) || !d || d->type != JSON_STRING) {
                fprintf(out, "%s: final.mem: bad entry\n", v->name);
                bad++;
                continue;
            }
            uint8_t buf[4096];
            int n = hex_decode(d->str, buf, sizeof buf);
            if (n < 0) {
                fprintf(out, "%s: final.mem: bad hex\n", v->name);
                bad++;
                continue;
            }
            listed = realloc(listed, nl + (size_t)n);
            laddr = realloc(laddr, (nl + (size_t)n) * sizeof *laddr);
            for (int k = 0; k < n; k++) {
                listed[nl] = buf[k];
                laddr[nl++] = a + (uint64_t)k;
                uint8_t got;
                machine_peek(m, a + (uint64_t)k, &got, 1);
                snprintf(field, sizeof field, "mem[0x%llx]", (unsigned long long)(a + (uint64_t)k));
                bad += diff(out, v, field, buf[k], got);
            }
        }
    }
    for (unsigned i = 0; i < m->nwritten; i++) {
        uint64_t a = m->written[i];
        int is_listed = 0;
        for (size_t k = 0; k < nl; k++) if (laddr[k] == a) is_listed = 1;
        if (is_listed) continue;
        uint8_t got;
        machine_peek(m, a, &got, 1);
        snprintf(field, sizeof field, "mem[0x%llx]", (unsigned long long)a);
        bad += diff(out, v, field, initial_byte(v, a), got);
    }
    free(listed);
    free(laddr);
    return bad;
}

static int event_matches(const struct json *want, const struct emu_event *ev)
{
    const struct json *t = json_get(want, "type");
    if (!t || t->type != JSON_STRING || strcmp(t->str, event_type_name(ev->type)) != 0) return 0;
    for (size_t i = 0; i < want->n; i++) {
        const char *k = want->keys[i];
        const struct json *val = &want->items[i];
        uint64_t u;
        if (strcmp(k, "type") == 0) continue;
        if (strcmp(k, "kind") == 0) {
            if (val->type != JSON_STRING || strcmp(val->str, tlb_kind_name(ev->kind)) != 0) return 0;
        } else if (strcmp(k, "reason") == 0) {
            if (val->type != JSON_STRING || strcmp(val->str, rap_reason_name(ev->reason)) != 0) return 0;
        } else if (strcmp(k, "addr") == 0) {
            if (json_u64(val, &u) || u != ev->addr) return 0;
        } else if (strcmp(k, "pcid") == 0) {
            if (json_u64(val, &u) || u != ev->pcid) return 0;
        } else if (strcmp(k, "asid") == 0) {
            if (json_u64(val, &u) || u != ev->asid) return 0;
        } else if (strcmp(k, "vmcb") == 0 || strcmp(k, "value") == 0) {
            if (json_u64(val, &u) || u != ev->value) return 0;
        } else if (strcmp(k, "global") == 0) {
            if (val->type != JSON_BOOL || val->boolean != ev->global) return 0;
        } else {
            return 0; /* an unknown key never matches */
        }
    }
    return 1;
}

/* Events of the vector vocabulary; the library's extra notifications (single-step, interrupt
 * shadow, GIF) are not part of a vector's multiset. */
static int comparable_event(const struct emu_event *ev)
{
    return ev->type == EMU_EV_TLB_FLUSH || ev->type == EMU_EV_RAP_CLEAR || ev->type == EMU_EV_HALT ||
           ev->type == EMU_EV_HYPERCALL || ev->type == EMU_EV_VMRUN;
}

static int check_events(struct vec *v, const struct json *want, FILE *out)
{
    const struct machine *m = v->m;
    int used[MACHINE_MAX_EVENTS] = { 0 };
    int bad = 0;
    for (size_t i = 0; i < want->n; i++) {
        int found = 0;
        for (unsigned e = 0; e < m->nevents && !found; e++) {
            if (used[e] || !comparable_event(&m->events[e])) continue;
            if (event_matches(&want->items[i], &m->events[e])) used[e] = found = 1;
        }
        if (!found) {
            const struct json *t = json_get(&want->items[i], "type");
            fprintf(out, "%s: events: expected event %zu (%s) not fired\n", v->name, i,
                    t && t->str ? t->str : "?");
            bad++;
        }
    }
    for (unsigned e = 0; e < m->nevents; e++) {
        const struct emu_event *ev = &m->events[e];
        if (used[e] || !comparable_event(ev)) continue;
        fprintf(out, "%s: events: unexpected %s (kind %s, reason %s, addr 0x%llx, pcid %u)\n", v->name,
                event_type_name(ev->type), tlb_kind_name(ev->kind), rap_reason_name(ev->reason),
                (unsigned long long)ev->addr, ev->pcid);
        bad++;
    }
    return bad;
}

int vec_check(struct vec *v, enum emu_status st, FILE *out)
{
    const struct json *exc = json_get(v->root, "exception"), *icpt = json_get(v->root, "intercept");
    const struct json *fin = json_get(v->root, "final"), *evs = json_get(v->root, "events");
    const struct emu_result *r = &v->m->ctx.result;
    enum emu_status want = exc ? EMU_EXCEPTION : icpt ? EMU_INTERCEPT : EMU_OK;
    int bad = 0;
    uint64_t u;

    if (st != want) {
        fprintf(out, "%s: status: expected %s, got %s", v->name, status_name(want), status_name(st));
        if (st == EMU_EXCEPTION)
            fprintf(out, " (vector %u, error code 0x%x)", r->exception.vector, r->exception.error_code);
        if (st == EMU_UNHANDLED) fprintf(out, " (%s: %s)", r->mnemonic, r->reason ? r->reason : "");
        if (st == EMU_INTERCEPT) fprintf(out, " (exit 0x%llx)", (unsigned long long)r->intercept.exit_code);
        fprintf(out, "\n");
        return 1;
    }
    if (exc) {
        if (!json_u64(json_get(exc, "vector"), &u)) bad += diff(out, v, "exception.vector", u, r->exception.vector);
        if (json_get(exc, "error_code")) {
            if (!r->exception.has_error_code) {
                fprintf(out, "%s: exception.error_code: expected one, none pushed\n", v->name);
                bad++;
            } else if (!json_u64(json_get(exc, "error_code"), &u)) {
                bad += diff(out, v, "exception.error_code", u, r->exception.error_code);
            }
        }
        if (!json_u64(json_get(exc, "cr2"), &u)) bad += diff(out, v, "exception.cr2", u, r->exception.cr2);
    }
    if (icpt) {
        if (!json_u64(json_get(icpt, "exit_code"), &u)) bad += diff(out, v, "intercept.exit_code", u, r->intercept.exit_code);
        if (!json_u64(json_get(icpt, "info1"), &u)) bad += diff(out, v, "intercept.info1", u, r->intercept.info1);
        if (!json_u64(json_get(icpt, "info2"), &u)) bad += diff(out, v, "intercept.info2", u, r->intercept.info2);
    }
    bad += check_state(v, fin, out);
    if (evs) bad += check_events(v, evs, out);
    return bad;
}
