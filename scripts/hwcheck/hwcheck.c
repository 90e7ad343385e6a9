/*
 * hwcheck: the hardware cross-check of libemulate's general-purpose instructions.
 *
 *   hwcheck run     [state] HEX        run natively, print registers, RFLAGS, fault
 *   hwcheck emu     [state] HEX        run through libemulate (vendor AMD unless --intel)
 *   hwcheck compare [state] HEX        both, and the differences (undefined flags masked)
 *   hwcheck sweep   [--strict] [--intel] [-v] FAMILY...
 *                                      edge-input sweep: shift muldiv bits bmi bcd all
 *   hwcheck dump    FAMILY...          the sweep's native results as TSV (for working out
 *                                      what this CPU does with undefined flags)
 *   hwcheck vectors                    the cases of tests/vectors/gp_long64_cpl3.jsonl, run
 *                                      natively, as JSON Lines on stdout
 *
 *   state: --reg NAME=VALUE (rax..r15), --rflags VALUE, --mem OFFSET=HEX (bytes at HW_DATA +
 *          OFFSET), --pattern (data page starts as a byte pattern), --compat (32-bit code)
 *
 * Comparisons mask exactly the flags tables/opinfo_gp.inc lists in fl_undef for the decoded
 * operation; --strict compares those too (to see what this CPU does with them).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "hwcheck.h"

#include <cpuid.h>
#include <stdlib.h>
#include <string.h>

#include "machine.h"
#include "tables/tables.h"

static const char *const gpr_names[16] = { "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
                                            "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15" };

static struct emu_config hw_config(enum emu_vendor vendor)
{
    struct emu_config c;
    memset(&c, 0, sizeof c);
    c.vendor = vendor;
    c.maxphyaddr = 48;
    /* what this CPU has (and the vectors' "features" list) */
    const enum emu_feature gp[] = {
        EMU_FEAT_LAHF_LM, EMU_FEAT_CX16, EMU_FEAT_POPCNT, EMU_FEAT_ABM, EMU_FEAT_BMI1, EMU_FEAT_BMI2,
        EMU_FEAT_ADX, EMU_FEAT_MOVBE, EMU_FEAT_SSE4_2,
    };
    for (size_t i = 0; i < sizeof gp / sizeof gp[0]; i++) emu_config_set_feature(&c, gp[i]);
    return c;
}

uint64_t hw_undef_flags(const struct hw_case *c, unsigned *op_out)
{
    struct emu_config cfg = hw_config(EMU_VENDOR_AMD);
    struct emu_insn in;
    enum emu_decode_status ds = emu_decode_mode(&cfg, c->compat ? EMU_MODE_COMPAT32 : EMU_MODE_LONG64,
                                                1, c->bytes, c->n, &in);
    if (op_out) *op_out = ds == EMU_DEC_OK ? in.op : 0;
    if (ds != EMU_DEC_OK || in.op >= OP_COUNT) return 0;
    return emu_opinfo[in.op].fl_undef;
}

void hw_emu_run(const struct hw_case *c, enum emu_vendor vendor, struct hw_result *r, unsigned *op_out)
{
    struct emu_config cfg = hw_config(vendor);
    struct machine *m = machine_new(c->compat ? EMU_MODE_COMPAT32 : EMU_MODE_LONG64, &cfg);
    memset(r, 0, sizeof *r);
    if (!m) {
        r->harness_error = 1;
        return;
    }
    /* Linux's user segments: CS 0x33 (64-bit) or 0x23 (32-bit), SS 0x2b, all DPL 3 */
    m->segs[EMU_SEG_CS].sel = c->compat ? 0x23 : 0x33;
    m->segs[EMU_SEG_CS].attr = c->compat ? 0xcfb : 0xafb;
    m->segs[EMU_SEG_SS].sel = 0x2b;
    m->segs[EMU_SEG_SS].attr = 0xcf3;
    memcpy(m->regs.gpr, c->gpr, sizeof c->gpr);
    m->regs.rip = HW_CODE;
    m->regs.rflags = c->rflags;
    machine_add_perm(m, HW_CODE, HW_PAGE, "rx", 1);
    machine_add_perm(m, HW_DATA, HW_PAGE, "rw", 1);
    machine_add_perm(m, HW_RO, HW_PAGE, "r", 1);
    uint8_t page[HW_PAGE];
    hw_initial_data(c, page);
    machine_poke(m, HW_DATA, page, HW_PAGE);
    machine_reset_ctx(m);
    enum emu_status st = machine_step_bytes(m, c->bytes, c->n, 0);
    if (op_out) *op_out = m->ctx.result.op;
    if (st == EMU_OK) {
        memcpy(r->gpr, m->regs.gpr, sizeof r->gpr);
        r->rflags = m->regs.rflags;
        r->rip = m->regs.rip;
        if (c->compat)
            for (int k = 0; k < 8; k++) r->gpr[k] &= 0xffffffffull;
    } else if (st == EMU_EXCEPTION) {
        r->fault = 1;
        r->vector = m->ctx.result.exception.vector;
        r->error_code = m->ctx.result.exception.error_code;
        r->cr2 = m->ctx.result.exception.cr2;
        memcpy(r->gpr, m->regs.gpr, sizeof r->gpr);
        r->rflags = m->regs.rflags;
        r->rip = m->regs.rip;
    } else {
        r->harness_error = 1;
        r->vector = 0x100 + (unsigned)st;
    }
    machine_peek(m, HW_DATA, r->data, HW_PAGE);
    machine_free(m);
}

static const char *vec_name(unsigned v)
{
    static const char *const n[] = { "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "?9",
                                     "#TS", "#NP", "#SS", "#GP", "#PF", "?15", "#MF", "#AC" };
    return v < sizeof n / sizeof n[0] ? n[v] : "?";
}

void hw_print_case(FILE *f, const struct hw_case *c)
{
    fprintf(f, "  bytes ");
    for (unsigned i = 0; i < c->n; i++) fprintf(f, "%02x", c->bytes[i]);
    fprintf(f, "%s  rflags 0x%llx\n", c->compat ? " (compat32)" : "", (unsigned long long)c->rflags);
    for (int i = 0; i < 16; i++)
        if (c->gpr[i]) fprintf(f, "  in  %-4s 0x%llx\n", gpr_names[i], (unsigned long long)c->gpr[i]);
    if (c->mem_n) {
        fprintf(f, "  in  mem[data+0x%x] ", c->mem_off);
        for (unsigned i = 0; i < c->mem_n; i++) fprintf(f, "%02x", c->mem[i]);
        fprintf(f, "\n");
    }
}

void hw_print_result(FILE *f, const struct hw_case *c, const struct hw_result *r)
{
    if (r->harness_error) fprintf(f, "  harness error (0x%x, rip 0x%llx)\n", r->vector, (unsigned long long)r->rip);
    if (r->fault) {
        fprintf(f, "  exception %u %s error code 0x%x cr2 0x%llx\n", r->vector, vec_name(r->vector),
                r->error_code, (unsigned long long)r->cr2);
        return;
    }
    for (int i = 0; i < 16; i++)
        if (r->gpr[i] != c->gpr[i]) fprintf(f, "  out %-4s 0x%llx\n", gpr_names[i], (unsigned long long)r->gpr[i]);
    fprintf(f, "  out rflags 0x%llx  rip 0x%llx\n", (unsigned long long)r->rflags, (unsigned long long)r->rip);
    uint8_t page[HW_PAGE];
    hw_initial_data(c, page);
    for (unsigned i = 0; i < HW_PAGE; i++)
        if (page[i] != r->data[i]) fprintf(f, "  out mem[data+0x%x] %02x (was %02x)\n", i, r->data[i], page[i]);
}

int hw_compare(const struct hw_case *c, const struct hw_result *hw, const struct hw_result *em, int strict,
               FILE *out)
{
    char buf[2048];
    size_t k = 0;
    unsigned op;
    const uint64_t undef = strict ? 0 : hw_undef_flags(c, &op);
#define DIFF(...) (k += (size_t)snprintf(buf + k, k < sizeof buf ? sizeof buf - k : 0, __VA_ARGS__))
    if (hw->harness_error || em->harness_error) {
        DIFF(" harness(hw %d/0x%x, emu %d/0x%x)", hw->harness_error, hw->vector, em->harness_error, em->vector);
    } else if (hw->fault != em->fault) {
        if (hw->fault) DIFF(" hw %s(ec 0x%x), emu retired", vec_name(hw->vector), hw->error_code);
        else DIFF(" hw retired, emu %s(ec 0x%x)", vec_name(em->vector), em->error_code);
    } else if (hw->fault) {
        if (hw->vector != em->vector) DIFF(" vector hw %u emu %u", hw->vector, em->vector);
        else if (hw->vector == 13 || hw->vector == 14 || hw->vector == 12 || hw->vector == 17) {
            if (hw->error_code != em->error_code) DIFF(" error_code hw 0x%x emu 0x%x", hw->error_code, em->error_code);
            if (hw->vector == 14 && hw->cr2 != em->cr2)
                DIFF(" cr2 hw 0x%llx emu 0x%llx", (unsigned long long)hw->cr2, (unsigned long long)em->cr2);
        }
    } else {
        for (int i = 0; i < 16; i++)
            if (hw->gpr[i] != em->gpr[i])
                DIFF(" %s hw 0x%llx emu 0x%llx", gpr_names[i], (unsigned long long)hw->gpr[i],
                     (unsigned long long)em->gpr[i]);
        if (hw->rip != em->rip) DIFF(" rip hw 0x%llx emu 0x%llx", (unsigned long long)hw->rip, (unsigned long long)em->rip);
        if ((hw->rflags ^ em->rflags) & ~undef)
            DIFF(" rflags hw 0x%llx emu 0x%llx (diff 0x%llx)", (unsigned long long)hw->rflags,
                 (unsigned long long)em->rflags, (unsigned long long)((hw->rflags ^ em->rflags) & ~undef));
        for (unsigned i = 0; i < HW_PAGE; i++) {
            if (hw->data[i] != em->data[i]) {
                DIFF(" mem[data+0x%x] hw %02x emu %02x", i, hw->data[i], em->data[i]);
                break;
            }
        }
    }
#undef DIFF
    if (!k) return 0;
    if (out) {
        fprintf(out, "MISMATCH %s:%s\n", c->name, buf);
        hw_print_case(out, c);
    }
    return 1;
}

/* ---- command line ----------------------------------------------------------------------- */

static void die(const char *msg, const char *arg)
{
    fprintf(stderr, "hwcheck: %s%s%s\n", msg, arg ? " " : "", arg ? arg : "");
    exit(2);
}

static uint64_t num(const char *s)
{
    char *end;
    unsigned long long v = strtoull(s, &end, 0);
    if (!*s || *end) die("bad number", s);
    return v;
}

static int parse_state(int argc, char **argv, struct hw_case *c)
{
    memset(c, 0, sizeof *c);
    c->rflags = HW_RFLAGS_BASE;
    snprintf(c->name, sizeof c->name, "command line");
    const char *hex = NULL;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--reg") && i + 1 < argc) {
            char name[16];
            const char *eq = strchr(argv[++i], '=');
            if (!eq || eq - argv[i] >= (long)sizeof name) die("--reg wants NAME=VALUE", argv[i]);
            memcpy(name, argv[i], (size_t)(eq - argv[i]));
            name[eq - argv[i]] = 0;
            int r = -1;
            for (int k = 0; k < 16; k++) if (!strcmp(name, gpr_names[k])) r = k;
            if (r < 0) die("unknown register", name);
            c->gpr[r] = num(eq + 1);
        } else if (!strcmp(a, "--rflags") && i + 1 < argc) {
            c->rflags = num(argv[++i]) | HW_RFLAGS_BASE;
        } else if (!strcmp(a, "--mem") && i + 1 < argc) {
            const char *eq = strchr(argv[++i], '=');
            if (!eq) die("--mem wants OFFSET=HEX", argv[i]);
            char off[32];
            snprintf(off, sizeof off, "%.*s", (int)(eq - argv[i]), argv[i]);
            c->mem_off = (unsigned)num(off);
            int n = hex_decode(eq + 1, c->mem, sizeof c->mem);
            if (n < 0 || c->mem_off + (unsigned)n > HW_PAGE) die("bad --mem", argv[i]);
            c->mem_n = (unsigned)n;
        } else if (!strcmp(a, "--pattern")) {
            c->pattern = 1;
        } else if (!strcmp(a, "--compat")) {
            c->compat = 1;
        } else if (a[0] == '-') {
            die("unknown option", a);
        } else if (!hex) {
            hex = a;
        } else {
            die("one HEX argument only, got another:", a);
        }
    }
    if (!hex) die("missing the instruction (HEX)", NULL);
    int n = hex_decode(hex, c->bytes, sizeof c->bytes);
    if (n <= 0 || n > 15) die("bad instruction hex", hex);
    c->n = (unsigned)n;
    return 0;
}

/* The host's CPUID vendor is AMD (the emulator is configured as AMD in the comparisons). */
static int host_is_amd(void)
{
    unsigned a, b, c, d;
    if (!__get_cpuid(0, &a, &b, &c, &d)) return 0;
    return b == 0x68747541 && d == 0x69746e65 && c == 0x444d4163; /* "AuthenticAMD" */
}

static int cmd_sweep(int argc, char **argv)
{
    int strict = 0, verbose = 0;
    unsigned max_shown = 200;
    enum emu_vendor vendor = EMU_VENDOR_AMD;
    struct hw_caselist l = { 0 };
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--strict")) strict = 1;
        else if (!strcmp(argv[i], "--intel")) vendor = EMU_VENDOR_INTEL;
        else if (!strcmp(argv[i], "-v")) verbose = 1;
        else if (!strcmp(argv[i], "--max") && i + 1 < argc) max_shown = (unsigned)num(argv[++i]);
        else if (!strcmp(argv[i], "--if-amd")) {
            if (!host_is_amd()) {
                printf("hwcheck: the host is not an AMD CPU: skipped\n");
                return 77;
            }
        }
        else if (hw_sweep_cases(argv[i], &l) < 0) die("unknown family", argv[i]);
    }
    if (!l.n) hw_sweep_cases("all", &l);
    const unsigned batch = 512;
    struct hw_result *hw = malloc(sizeof *hw * batch), em;
    unsigned bad = 0, shown = 0, skipped = 0;
    if (!hw) die("out of memory", NULL);
    for (unsigned base = 0; base < l.n; base += batch) {
        unsigned n = l.n - base < batch ? l.n - base : batch;
        if (hw_native_run(l.v + base, n, hw)) die("native run failed", NULL);
        for (unsigned i = 0; i < n; i++) {
            /* A kernel without 32-bit user code (ia32_emulation=0) cannot run the compat cases:
             * the far jump to CS 0x23 itself faults.  Skip those rather than fail. */
            if (l.v[base + i].compat && hw[i].harness_error) {
                if (!skipped++) printf("hwcheck: no 32-bit user code segment: compat cases skipped\n");
                continue;
            }
            hw_emu_run(&l.v[base + i], vendor, &em, NULL);
            if (hw_compare(&l.v[base + i], &hw[i], &em, strict, shown < max_shown ? stdout : NULL)) {
                bad++;
                if (shown++ < max_shown && verbose) {
                    printf(" native:\n");
                    hw_print_result(stdout, &l.v[base + i], &hw[i]);
                    printf(" emulator:\n");
                    hw_print_result(stdout, &l.v[base + i], &em);
                }
            }
        }
    }
    if (skipped) printf("%u passed, %u failed, %u skipped\n", l.n - bad - skipped, bad, skipped);
    else printf("%u passed, %u failed\n", l.n - bad, bad);
    free(hw);
    free(l.v);
    return bad ? 1 : 0;
}

static void hexs(FILE *f, const uint8_t *b, unsigned n)
{
    for (unsigned i = 0; i < n; i++) fprintf(f, "%02x", b[i]);
}

/* ---- vectors ---------------------------------------------------------------------------- */


static void emit_vector(FILE *f, const struct hw_case *c, const struct hw_result *r)
{
    const uint64_t undef = hw_undef_flags(c, NULL);
    fprintf(f, "{\"name\":\"%s\",\"mode\":\"%s\",\"bytes\":\"", c->name, c->compat ? "compat32" : "long64");
    hexs(f, c->bytes, c->n);
    fprintf(f, "\",\"config\":{\"vendor\":\"amd\",\"features\":[\"lahf_lm\",\"cx16\",\"popcnt\",\"abm\",\"bmi1\",\"bmi2\",\"adx\","
               "\"movbe\",\"sse4_2\"]},\"initial\":{\"regs\":{");
    int first = 1;
    for (int i = 0; i < 16; i++) {
        if (!c->gpr[i]) continue;
        fprintf(f, "%s\"%s\":\"0x%llx\"", first ? "" : ",", gpr_names[i], (unsigned long long)c->gpr[i]);
        first = 0;
    }
    fprintf(f, "%s\"rip\":\"0x%llx\",\"rflags\":\"0x%llx\"}", first ? "" : ",", (unsigned long long)HW_CODE,
            (unsigned long long)c->rflags);
    fprintf(f, ",\"segs\":{\"cs\":{\"sel\":\"0x%x\",\"base\":\"0x0\",\"limit\":\"0xffffffff\",\"attr\":\"0x%x\"},"
               "\"ss\":{\"sel\":\"0x2b\",\"base\":\"0x0\",\"limit\":\"0xffffffff\",\"attr\":\"0xcf3\"}}",
            c->compat ? 0x23 : 0x33, c->compat ? 0xcfb : 0xafb);
    if (c->mem_n) {
        fprintf(f, ",\"mem\":[{\"addr\":\"0x%llx\",\"data\":\"", (unsigned long long)(HW_DATA + c->mem_off));
        hexs(f, c->mem, c->mem_n);
        fprintf(f, "\"}]");
    }
    fprintf(f, ",\"pages\":[{\"addr\":\"0x%llx\",\"size\":\"0x1000\",\"perm\":\"rx\",\"user\":true},"
               "{\"addr\":\"0x%llx\",\"size\":\"0x1000\",\"perm\":\"rw\",\"user\":true},"
               "{\"addr\":\"0x%llx\",\"size\":\"0x1000\",\"perm\":\"r\",\"user\":true}]}",
            (unsigned long long)HW_CODE, (unsigned long long)HW_DATA, (unsigned long long)HW_RO);
    if (r->fault) {
        fprintf(f, ",\"exception\":{\"vector\":%u", r->vector);
        if (r->vector == 8 || (r->vector >= 10 && r->vector <= 14) || r->vector == 17)
            fprintf(f, ",\"error_code\":\"0x%x\"", r->error_code);
        if (r->vector == 14) fprintf(f, ",\"cr2\":\"0x%llx\"", (unsigned long long)r->cr2);
        fprintf(f, "}");
    } else {
        fprintf(f, ",\"final\":{\"regs\":{");
        for (int i = 0; i < 16; i++)
            if (r->gpr[i] != c->gpr[i])
                fprintf(f, "\"%s\":\"0x%llx\",", gpr_names[i], (unsigned long long)r->gpr[i]);
        fprintf(f, "\"rip\":\"0x%llx\",\"rflags\":\"0x%llx\"}", (unsigned long long)r->rip,
                (unsigned long long)r->rflags);
        uint8_t page[HW_PAGE];
        hw_initial_data(c, page);
        unsigned lo = HW_PAGE, hi = 0;
        for (unsigned i = 0; i < HW_PAGE; i++)
            if (page[i] != r->data[i]) {
                if (i < lo) lo = i;
                hi = i + 1;
            }
        if (lo < hi) {
            fprintf(f, ",\"mem\":[{\"addr\":\"0x%llx\",\"data\":\"", (unsigned long long)(HW_DATA + lo));
            hexs(f, r->data + lo, hi - lo);
            fprintf(f, "\"}]");
        }
        fprintf(f, "}");
    }
    if (undef && !r->fault) fprintf(f, ",\"flags_mask\":\"0x%llx\"", (unsigned long long)(0xffffffffull & ~undef));
    fprintf(f, "}\n");
}

/* Native results as TSV for offline analysis: name, bytes, rflags in/out, fault vector, then
 * rax rcx rdx rbx in and out, and the 8 bytes at [rsi] in and out. */
static int cmd_dump(int argc, char **argv)
{
    struct hw_caselist l = { 0 };
    for (int i = 0; i < argc; i++)
        if (hw_sweep_cases(argv[i], &l) < 0) die("unknown family", argv[i]);
    const unsigned batch = 512;
    struct hw_result *hw = malloc(sizeof *hw * batch);
    if (!hw) die("out of memory", NULL);
    for (unsigned base = 0; base < l.n; base += batch) {
        unsigned n = l.n - base < batch ? l.n - base : batch;
        if (hw_native_run(l.v + base, n, hw)) die("native run failed", NULL);
        for (unsigned i = 0; i < n; i++) {
            const struct hw_case *c = &l.v[base + i];
            const struct hw_result *r = &hw[i];
            uint8_t page[HW_PAGE];
            hw_initial_data(c, page);
            printf("%s\t", c->name);
            hexs(stdout, c->bytes, c->n);
            printf("\t%llx\t%llx\t%d", (unsigned long long)c->rflags, (unsigned long long)r->rflags,
                   r->fault ? (int)r->vector : -1);
            for (int k = 0; k < 4; k++)
                printf("\t%llx\t%llx", (unsigned long long)c->gpr[k], (unsigned long long)r->gpr[k]);
            uint64_t mi, mo;
            memcpy(&mi, page + 0x800, 8);
            memcpy(&mo, r->data + 0x800, 8);
            printf("\t%llx\t%llx\n", (unsigned long long)mi, (unsigned long long)mo);
        }
    }
    free(hw);
    free(l.v);
    return 0;
}

static int cmd_vectors(void)
{
    struct hw_caselist l = { 0 };
    hw_vector_cases(&l);
    struct hw_result *hw = calloc(l.n, sizeof *hw), em;
    if (!hw) die("out of memory", NULL);
    if (hw_native_run(l.v, l.n, hw)) die("native run failed", NULL);
    int bad = 0;
    for (unsigned i = 0; i < l.n; i++) {
        if (hw[i].harness_error) {
            fprintf(stderr, "hwcheck: %s: harness error\n", l.v[i].name);
            bad = 1;
            continue;
        }
        emit_vector(stdout, &l.v[i], &hw[i]);
        hw_emu_run(&l.v[i], EMU_VENDOR_AMD, &em, NULL);
        if (hw_compare(&l.v[i], &hw[i], &em, 0, stderr)) bad = 1;
    }
    fprintf(stderr, "hwcheck: %u vectors%s\n", l.n, bad ? " (the emulator disagrees on some: see above)" : "");
    free(hw);
    free(l.v);
    return bad;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: hwcheck run|emu|compare [state] HEX | sweep [--strict] [--intel] [-v] FAMILY... | vectors\n");
        return 2;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "sweep")) return cmd_sweep(argc - 2, argv + 2);
    if (!strcmp(cmd, "vectors")) return cmd_vectors();
    if (!strcmp(cmd, "dump")) return cmd_dump(argc - 2, argv + 2);
    struct hw_case c;
    struct hw_result *hw = calloc(1, sizeof *hw), *em = calloc(1, sizeof *em);
    if (!hw || !em) die("out of memory", NULL);
    int intel = 0;
    for (int i = 2; i < argc; i++)
        if (!strcmp(argv[i], "--intel")) {
            intel = 1;
            for (int k = i; k + 1 < argc; k++) argv[k] = argv[k + 1];
            argc--;
        }
    parse_state(argc - 2, argv + 2, &c);
    hw_print_case(stdout, &c);
    int rc = 0;
    if (!strcmp(cmd, "run") || !strcmp(cmd, "compare")) {
        if (hw_native_run(&c, 1, hw)) die("native run failed", NULL);
        printf("native:\n");
        hw_print_result(stdout, &c, hw);
    }
    if (!strcmp(cmd, "emu") || !strcmp(cmd, "compare")) {
        hw_emu_run(&c, intel ? EMU_VENDOR_INTEL : EMU_VENDOR_AMD, em, NULL);
        printf("emulator (%s):\n", intel ? "intel" : "amd");
        hw_print_result(stdout, &c, em);
    }
    if (!strcmp(cmd, "compare")) {
        rc = hw_compare(&c, hw, em, 0, stdout);
        if (!rc) printf("same (undefined flags 0x%llx masked)\n", (unsigned long long)hw_undef_flags(&c, NULL));
    } else if (strcmp(cmd, "run") && strcmp(cmd, "emu")) {
        die("unknown command", cmd);
    }
    free(hw);
    free(em);
    return rc;
}
