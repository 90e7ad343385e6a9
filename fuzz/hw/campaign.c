/*
 * `emulate hwdiff` and `emulate record`: campaigns of the differential runner on the host CPU.
 *
 *   emulate hwdiff [--seconds N | --count N] [--seed S] [--family F[,F...]] [--out DIR]
 *                  [--sweeps] [--strict] [--quiet]
 *       generate cases, run each natively and through the emulator, compare; a live progress
 *       line, then a table per family (tried, agreed, disagreed, skipped and why).  Each
 *       disagreement is minimised and written as a vector of the CPU's answer to
 *       DIR/<family>.jsonl, with what differed in DIR/report.txt.  Exit status 1 if any
 *       disagreed, 77 if the host cannot run it (not x86-64 Linux, no seccomp...).  --strict
 *       compares the flags the tables call undefined too.
 *
 *   emulate record [--count N] [--seed S] [--family F[,F...]] [--out DIR]
 *   emulate record --curated FILE
 *       the same runner writes the CPU's answers as vectors, one file per family, so that a
 *       machine without this CPU replays them; deterministic for a seed.  --curated writes the
 *       hand-picked cases of tests/vectors/gp_long64_cpl3.jsonl.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "hw.h"
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>


static uint64_t num(const char *s, const char *what)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (!*s || *end || errno) cli_die("bad %s '%s'", what, s);
    return v;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Families a campaign covers: those the engine executes, less APX (stated in the table). */
static int parse_families(const char *list, int *fam, int nmax)
{
    char buf[256];
    int n = 0;
    snprintf(buf, sizeof buf, "%s", list);
    for (char *t = strtok(buf, ","); t; t = strtok(NULL, ",")) {
        int f = hw_family_from_name(t);
        if (f < 0 || f == HWF_OTHER)
            cli_die("unknown family '%s' (try: data alu shift muldiv bits bcd stack branch string flagops io misc "
                "system svm)", t);
        if (f == HWF_APX) cli_die("family 'apx': this host has no APX, nothing can be run natively");
        if (n < nmax) fam[n++] = f;
    }
    return n;
}

struct reason {
    const char *why;
    unsigned long n;
};
struct tally {
    unsigned long tried, agreed, disagreed, skipped;
    struct reason why[12];
};

static void skip_reason(struct tally *t, const char *why)
{
    for (int i = 0; i < 12; i++) {
        if (t->why[i].why == why || (t->why[i].why && !strcmp(t->why[i].why, why))) {
            t->why[i].n++;
            return;
        }
        if (!t->why[i].why) {
            t->why[i].why = why;
            t->why[i].n = 1;
            return;
        }
    }
}

static int host_ok(void)
{
    char why[160];
    if (hw_native_available(why, sizeof why)) {
        printf("emulate: hwdiff/record skipped: %s\n", why);
        return 0;
    }
    /* a trial run: a container may refuse the filter, the fixed mappings or the 32-bit code
     * segment's far return path; say so and skip rather than fail */
    struct hw_case c;
    struct hw_result *r = malloc(sizeof *r);
    memset(&c, 0, sizeof c);
    c.bytes[0] = 0x90;
    c.n = 1;
    c.code_off = HW_CODE_OFF;
    c.rflags = HW_RFLAGS_BASE;
    c.gpr[HW_RSP] = HW_DATA + 0x800;
    int ok = r && hw_native_run(&c, 1, r) == 0 && r->outcome == HW_RETIRED;
    free(r);
    if (!ok) {
        printf("emulate: hwdiff/record skipped: the native sandbox does not start here "
               "(seccomp, mmap or signals refused)\n");
        return 0;
    }
    return 1;
}

static void classify(struct hw_case *c)
{
    unsigned op = hw_decode_op(c, NULL);
    c->family = (uint8_t)hw_family_of_op(op);
}

static int in_families(int f, const int *fam, int nfam)
{
    if (!nfam) return f != HWF_APX;
    for (int i = 0; i < nfam; i++)
        if (fam[i] == f) return 1;
    return 0;
}

/* ---- hwdiff ---------------------------------------------------------------------------------------- */

int hw_cmd_hwdiff(int argc, char **argv)
{
    double seconds = 30;
    unsigned long count = 0;
    uint64_t seed = 0;
    int have_seed = 0, quiet = 0, sweeps = 0;
    int fam[HWF_COUNT], nfam = 0;
    const char *out = "hwdiff-out";
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        int more = i + 1 < argc;
        if (!strcmp(a, "--seconds") && more) seconds = (double)num(argv[++i], "--seconds"), count = 0;
        else if (!strcmp(a, "--count") && more) {
            count = (unsigned long)num(argv[++i], "--count");
            if (!count) cli_die("--count must be at least 1");
        }
        else if (!strcmp(a, "--seed") && more) seed = num(argv[++i], "--seed"), have_seed = 1;
        else if (!strcmp(a, "--family") && more) nfam += parse_families(argv[++i], fam + nfam, HWF_COUNT - nfam);
        else if (!strcmp(a, "--out") && more) out = argv[++i];
        else if (!strcmp(a, "--quiet")) quiet = 1;
        else if (!strcmp(a, "--sweeps")) sweeps = 1;
        else if (!strcmp(a, "--strict")) hw_strict_flags = 1;
        else cli_die("unknown option '%s' for hwdiff", a);
    }
    if (count == 0 && seconds <= 0) cli_die("hwdiff needs --seconds or --count of at least 1");
    if (!host_ok()) return 77;
    if (!have_seed) seed = (uint64_t)time(NULL);
    struct hw_rng rng = { seed };
    const int live = !quiet && isatty(2);
    if (count) printf("hwdiff: %lu generated cases", count);
    else printf("hwdiff: %.0f seconds", seconds);
    printf(" from %u table forms and random bytes, seed %llu%s; disagreements to %s/\n", hw_form_count(),
           (unsigned long long)seed, sweeps ? ", plus the fixed sweeps" : "", out);
    fflush(stdout);

    /* a previous campaign's findings in DIR would mix with this one's */
    {
        char p[4096];
        snprintf(p, sizeof p, "%s/report.txt", out);
        unlink(p);
        for (int f = 0; f < HWF_COUNT; f++) {
            snprintf(p, sizeof p, "%s/%s.jsonl", out, hw_family_names[f]);
            unlink(p);
        }
    }
    struct hw_caselist fixed = { 0 };
    if (sweeps) {
        hw_sweep_cases("all", &fixed);
        hw_vector_cases(&fixed);
        for (unsigned i = 0; i < fixed.n; i++) classify(&fixed.v[i]);
    }
    enum { BATCH = 256 };
    struct hw_case *cases = malloc(sizeof *cases * BATCH);
    struct hw_result *hw = malloc(sizeof *hw * BATCH), *em = malloc(sizeof *em);
    if (!cases || !hw || !em) cli_die("out of memory");
    static uint8_t op_tried[1024]; /* operations compared (not skipped) at least once */
    struct tally t[HWF_COUNT];
    memset(t, 0, sizeof t);
    unsigned long total = 0, bad = 0, fixed_next = 0, minimised = 0, generated = 0;
    FILE *report = NULL;
    const double t0 = now_s();
    double last_print = 0;
    for (;;) {
        double el = now_s() - t0;
        /* the fixed sweeps (--sweeps) come on top of the count or time of generated cases */
        if (fixed_next >= fixed.n && (count ? generated >= count : el >= seconds)) break;
        unsigned n = 0;
        while (n < BATCH) {
            if (fixed_next < fixed.n) {
                cases[n] = fixed.v[fixed_next++];
                if (!in_families(cases[n].family, fam, nfam)) continue;
            } else {
                if (count && generated >= count) break;
                int pick = nfam ? fam[(unsigned)(hw_rand(&rng) % (unsigned)nfam)] : -1;
                if (hw_generate(&rng, pick, &cases[n])) continue;
                generated++;
            }
            n++;
        }
        if (!n) break;
        if (hw_native_run(cases, n, hw)) cli_die("the native runner failed");
        for (unsigned i = 0; i < n; i++) {
            struct hw_case *c = &cases[i];
            struct tally *ft = &t[c->family < HWF_COUNT ? c->family : HWF_OTHER];
            hw_emu_run(c, em, NULL);
            char d[1024];
            const char *why;
            enum hw_verdict v = hw_compare(c, &hw[i], em, d, sizeof d, &why);
            ft->tried++;
            total++;
            {
                unsigned op = hw_decode_op(c, NULL);
                if (op < sizeof op_tried / sizeof op_tried[0] && v != HWV_SKIP) op_tried[op] = 1;
            }
            if (v == HWV_AGREE) {
                ft->agreed++;
                continue;
            }
            if (v == HWV_SKIP) {
                ft->skipped++;
                skip_reason(ft, why);
                /* EMU_HWDIFF_SHOW_SKIP=TEXT prints the skipped cases whose reason contains TEXT */
                const char *show = getenv("EMU_HWDIFF_SHOW_SKIP");
                if (show && strstr(why, show)) {
                    printf("SKIP [%s] %s: %s (cpu rip 0x%llx vector %u cr2 0x%llx)\n", hw_family_names[c->family], c->name,
                           why, (unsigned long long)hw[i].rip, hw[i].vector, (unsigned long long)hw[i].cr2);
                    hw_print_case(stdout, c);
                }
                continue;
            }
            ft->disagreed++;
            bad++;
            if (!report) {
                mkdir(out, 0777);
                char p[4096];
                snprintf(p, sizeof p, "%s/report.txt", out);
                report = fopen(p, "w");
                if (!report) cli_die("cannot write '%s': %s", p, strerror(errno));
            }
            struct hw_case mc = *c;
            struct hw_result *mh = malloc(sizeof *mh);
            if (!mh) cli_die("out of memory");
            *mh = hw[i];
            if (minimised < 200) {
                /* minimise, then run the smaller case again for the CPU's answer */
                hw_minimise(&mc);
                minimised++;
                if (hw_native_run(&mc, 1, mh) || (mh->outcome != HW_RETIRED && mh->outcome != HW_FAULT)) {
                    mc = *c;
                    *mh = hw[i];
                }
                hw_emu_run(&mc, em, NULL);
                if (hw_compare(&mc, mh, em, d, sizeof d, &why) != HWV_DISAGREE) {
                    mc = *c;
                    *mh = hw[i];
                    hw_emu_run(&mc, em, NULL);
                    hw_compare(&mc, mh, em, d, sizeof d, &why);
                }
            }
            fprintf(report, "DISAGREE [%s] %s:%s\n", hw_family_names[mc.family], mc.name, d);
            hw_print_case(report, &mc);
            fflush(report);
            if (bad <= 20 && !quiet) {
                if (live) fprintf(stderr, "\r\033[K");
                printf("DISAGREE [%s] %s:%s\n", hw_family_names[mc.family], mc.name, d);
                hw_print_case(stdout, &mc);
                fflush(stdout);
            }
            char p[4096];
            snprintf(p, sizeof p, "%s/%s.jsonl", out, hw_family_names[mc.family]);
            FILE *vf = fopen(p, "a");
            if (vf) {
                hw_write_vector(vf, &mc, mh, 1);
                fclose(vf);
            }
            free(mh);
        }
        el = now_s() - t0;
        if (!quiet && (el - last_print >= (live ? 0.25 : 10))) {
            unsigned long ag = 0, sk = 0;
            for (int f = 0; f < HWF_COUNT; f++) ag += t[f].agreed, sk += t[f].skipped;
            if (live)
                fprintf(stderr, "\r\033[K[%5.1fs] %lu tried, %lu agreed, %lu disagreed, %lu skipped", el, total, ag, bad, sk);
            else
                fprintf(stderr, "[%5.1fs] %lu tried, %lu agreed, %lu disagreed, %lu skipped\n", el, total, ag, bad, sk);
            last_print = el;
        }
    }
    if (live) fprintf(stderr, "\r\033[K");
    if (report) fclose(report);
    printf("\n%-8s %9s %9s %9s %9s  %s\n", "family", "tried", "agreed", "disagreed", "skipped", "skipped because");
    unsigned long sums[4] = { 0 };
    for (int f = 0; f < HWF_COUNT; f++) {
        const struct tally *x = &t[f];
        if (f == HWF_APX) {
            printf("%-8s %9s %9s %9s %9s  %s\n", "apx", "-", "-", "-", "-", "not run: the host has no APX (CPUID 7.1 EDX[21])");
            continue;
        }
        if (!x->tried && (f == HWF_OTHER || !in_families(f, fam, nfam))) continue;
        printf("%-8s %9lu %9lu %9lu %9lu  ", hw_family_names[f], x->tried, x->agreed, x->disagreed, x->skipped);
        for (int i = 0; i < 12 && x->why[i].why; i++) printf("%s%s (%lu)", i ? "; " : "", x->why[i].why, x->why[i].n);
        printf("\n");
        sums[0] += x->tried, sums[1] += x->agreed, sums[2] += x->disagreed, sums[3] += x->skipped;
    }
    printf("%-8s %9lu %9lu %9lu %9lu\n", "total", sums[0], sums[1], sums[2], sums[3]);
    /* the operations the engine executes that no case compared */
    {
        unsigned nmiss = 0;
        char miss[2048];
        size_t k = 0;
        miss[0] = 0;
        for (unsigned op = 1; op < hw_op_count() && op < sizeof op_tried; op++) {
            if (!hw_op_executed(op) || op_tried[op]) continue;
            int f = hw_family_of_op(op);
            if (f == HWF_APX || !in_families(f, fam, nfam) || !strcmp(emu_mnemonic(op), "jmpabs") ||
                !strcmp(emu_mnemonic(op), "udb"))
                continue; /* APX (REX2) only */
            nmiss++;
            if (k < sizeof miss - 40) k += (size_t)snprintf(miss + k, sizeof miss - k, " %s", emu_mnemonic(op));
        }
        printf("operations the engine executes not compared in this run: %u%s%s\n", nmiss, nmiss ? ":" : "", miss);
    }
    printf("hwdiff: %lu cases in %.1f s, %lu disagreement%s%s%s\n", total, now_s() - t0, bad, bad == 1 ? "" : "s",
           bad ? " written to " : "", bad ? out : "");
    free(fixed.v);
    free(cases);
    free(hw);
    free(em);
    return bad ? 1 : 0;
}

/* ---- record ---------------------------------------------------------------------------------------- */

static unsigned long g_not_expressible;

static int record_list(struct hw_case *cases, unsigned n, FILE *f, unsigned long *kept, unsigned long *dropped,
                       unsigned long *emu_wrong)
{
    struct hw_result *hw = malloc(sizeof *hw * (n ? n : 1)), *em = malloc(sizeof *em);
    if (!hw || !em) cli_die("out of memory");
    if (hw_native_run(cases, n, hw)) cli_die("the native runner failed");
    for (unsigned i = 0; i < n; i++) {
        char d[512];
        const char *why;
        hw_emu_run(&cases[i], em, NULL);
        enum hw_verdict v = hw_compare(&cases[i], &hw[i], em, d, sizeof d, &why);
        if (v == HWV_SKIP) {
            ++*dropped;
            continue;
        }
        /* Keep only what the vector format can say: a REP that faults after some iterations, or
         * memory beyond what a vector lists, would not replay; the comparison above covered it. */
        int full_code = 0;
        if (v == HWV_AGREE && !hw_vector_replays(&cases[i], &hw[i], 0)) full_code = 1;
        if (v == HWV_AGREE && full_code && !hw_vector_replays(&cases[i], &hw[i], 1)) {
            ++*dropped;
            g_not_expressible++;
            if (getenv("EMU_RECORD_VERBOSE")) fprintf(stderr, "record: not expressible: %s\n", cases[i].name);
            continue;
        }
        if (v == HWV_DISAGREE) {
            ++*emu_wrong;
            fprintf(stderr, "record: the emulator disagrees on %s:%s\n", cases[i].name, d);
        }
        hw_write_vector(f, &cases[i], &hw[i], full_code);
        ++*kept;
    }
    free(hw);
    free(em);
    return 0;
}

int hw_cmd_record(int argc, char **argv)
{
    unsigned long count = 4200; /* 300 per family: tests/vectors/hw */
    uint64_t seed = 1;
    const char *out = "tests/vectors/hw", *curated = NULL;
    int fam[HWF_COUNT], nfam = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        int more = i + 1 < argc;
        if (!strcmp(a, "--count") && more) count = (unsigned long)num(argv[++i], "--count");
        else if (!strcmp(a, "--seed") && more) seed = num(argv[++i], "--seed");
        else if (!strcmp(a, "--family") && more) nfam += parse_families(argv[++i], fam + nfam, HWF_COUNT - nfam);
        else if (!strcmp(a, "--out") && more) out = argv[++i];
        else if (!strcmp(a, "--curated") && more) curated = argv[++i];
        else cli_die("unknown option '%s' for record", a);
    }
    if (!host_ok()) return 77;
    unsigned long kept = 0, dropped = 0, wrong = 0;
    if (curated) {
        struct hw_caselist l = { 0 };
        hw_vector_cases(&l);
        FILE *f = fopen(curated, "w");
        if (!f) cli_die("cannot write '%s': %s", curated, strerror(errno));
        record_list(l.v, l.n, f, &kept, &dropped, &wrong);
        fclose(f);
        free(l.v);
        printf("record: %lu vectors in %s (%lu not expressible or host-dependent, left out; %lu the emulator gets wrong)\n",
               kept, curated, dropped, wrong);
        return wrong ? 1 : 0;
    }
    if (!nfam)
        for (int f = 0; f < HWF_COUNT; f++)
            if (f != HWF_APX && f != HWF_OTHER) fam[nfam++] = f;
    if (mkdir(out, 0777) && errno != EEXIST) cli_die("cannot create '%s': %s", out, strerror(errno));
    struct hw_rng rng = { seed };
    const unsigned long per = (count + (unsigned long)nfam - 1) / (unsigned long)nfam;
    for (int k = 0; k < nfam; k++) {
        char p[4096];
        snprintf(p, sizeof p, "%s/%s.jsonl", out, hw_family_names[fam[k]]);
        FILE *f = fopen(p, "w");
        if (!f) cli_die("cannot write '%s': %s", p, strerror(errno));
        unsigned long fk = 0, fd = 0;
        /* a few rounds until the family has its share (some cases are left out) */
        for (int round = 0; round < 8 && fk < per; round++) {
            unsigned n = (unsigned)((per - fk) * 5 / 4 + 8);
            struct hw_case *cases = malloc(sizeof *cases * n);
            if (!cases) cli_die("out of memory");
            unsigned m = 0;
            while (m < n) {
                if (hw_generate(&rng, fam[k], &cases[m])) break;
                struct hw_case *c = &cases[m];
                /* vectors list memory explicitly: zero pages, the operand bytes given */
                c->data_fill = c->ro_fill = 0;
                if (c->random) continue; /* table forms only: a random string's family is a guess */
                snprintf(c->name + strlen(c->name), sizeof c->name - strlen(c->name), " #%lu", fk + m);
                m++;
            }
            unsigned long before = fk;
            FILE *tmpf = tmpfile();
            if (!tmpf) cli_die("tmpfile: %s", strerror(errno));
            record_list(cases, m, tmpf, &fk, &fd, &wrong);
            /* keep at most the share */
            rewind(tmpf);
            char *line = NULL;
            size_t cap = 0;
            unsigned long w = before;
            while (getline(&line, &cap, tmpf) >= 0 && w < per) {
                fputs(line, f);
                w++;
            }
            fk = w;
            free(line);
            fclose(tmpf);
            free(cases);
        }
        fclose(f);
        kept += fk;
        dropped += fd;
        printf("record: %-8s %5lu vectors -> %s\n", hw_family_names[fam[k]], fk, p);
        fflush(stdout);
    }
    printf("record: %lu vectors (seed %llu); left out: %lu skipped as in hwdiff (host-dependent, not emulated...), "
           "%lu not expressible as a vector (a REP that faults after some iterations...); %lu the emulator gets wrong\n",
           kept, (unsigned long long)seed, dropped - g_not_expressible, g_not_expressible, wrong);
    return wrong ? 1 : 0;
}

/* ---- hwrun: one case by hand --------------------------------------------------------------------- */

static void print_result(const char *who, const struct hw_case *c, const struct hw_result *r)
{
    static const char *const names[16] = { "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
                                            "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15" };
    static const char *const oc[] = { "retired", "exception", "system call", "child died", "hang", "harness", "unhandled" };
    printf("%s: %s", who, oc[r->outcome < 7 ? r->outcome : 6]);
    if (r->outcome == HW_FAULT)
        printf(" vector %u%s error code 0x%x cr2 0x%llx", r->vector, r->has_ec ? "" : " (no ec)", r->error_code,
               (unsigned long long)r->cr2);
    if (r->outcome == HW_UNHANDLED && r->reason) printf(" (%s)", r->reason);
    if (r->outcome == HW_DIED || r->outcome == HW_HARNESS) printf(" (status 0x%x)", (unsigned)r->status);
    printf("  rip 0x%llx rflags 0x%llx\n", (unsigned long long)r->rip, (unsigned long long)r->rflags);
    for (int i = 0; i < 16; i++)
        if (r->gpr[i] != c->gpr[i])
            printf("  %s 0x%llx -> 0x%llx\n", names[i], (unsigned long long)c->gpr[i], (unsigned long long)r->gpr[i]);
    uint8_t page[HW_PAGE];
    hw_initial_data(c, page);
    for (unsigned i = 0; i < HW_PAGE; i++)
        if (page[i] != r->data[i])
            printf("  mem[0x%llx] %02x -> %02x\n", (unsigned long long)(HW_DATA + i), page[i], r->data[i]);
    if (r->fs_base || r->gs_base)
        printf("  fs.base 0x%llx gs.base 0x%llx\n", (unsigned long long)r->fs_base, (unsigned long long)r->gs_base);
}

int hw_cmd_hwrun(int argc, char **argv)
{
    static const char *const names[16] = { "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
                                            "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15" };
    struct hw_case c;
    memset(&c, 0, sizeof c);
    c.rflags = HW_RFLAGS_BASE;
    c.code_off = HW_CODE_OFF;
    c.gpr[HW_RSP] = HW_DATA + 0x800;
    const char *hex = NULL;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        int more = i + 1 < argc;
        if (!strcmp(a, "--compat")) c.compat = 1;
        else if (!strcmp(a, "--rflags") && more) c.rflags = num(argv[++i], "--rflags") | 2;
        else if (!strcmp(a, "--fill") && more) c.data_fill = (uint32_t)num(argv[++i], "--fill");
        else if (!strcmp(a, "--ro-fill") && more) c.ro_fill = (uint32_t)num(argv[++i], "--ro-fill");
        else if (!strcmp(a, "--at") && more) c.code_off = (uint16_t)(num(argv[++i], "--at") & (HW_PAGE - 1));
        else if (!strcmp(a, "--fs-base") && more) c.fs_base = num(argv[++i], "--fs-base");
        else if (!strcmp(a, "--gs-base") && more) c.gs_base = num(argv[++i], "--gs-base");
        else if (!strcmp(a, "--reg") && more) {
            const char *eq = strchr(argv[++i], '=');
            int r = -1;
            for (int k = 0; k < 16 && eq; k++)
                if ((size_t)(eq - argv[i]) == strlen(names[k]) && !strncmp(argv[i], names[k], strlen(names[k]))) r = k;
            if (r < 0) cli_die("--reg wants NAME=VALUE with NAME rax..r15, got '%s'", argv[i]);
            c.gpr[r] = num(eq + 1, "register value");
        } else if (!strcmp(a, "--mem") && more) {
            const char *eq = strchr(argv[++i], '=');
            if (!eq) cli_die("--mem wants ADDR=HEX (in the data page), got '%s'", argv[i]);
            char addr[32];
            snprintf(addr, sizeof addr, "%.*s", (int)(eq - argv[i]), argv[i]);
            uint64_t ad = num(addr, "address");
            unsigned nb = (unsigned)strlen(eq + 1) / 2;
            if (ad < HW_DATA || ad + nb > HW_DATA + HW_PAGE || nb > sizeof c.mem)
                cli_die("--mem: bytes must lie in the data page (at most %u)", (unsigned)sizeof c.mem);
            c.mem_off = (uint16_t)(ad - HW_DATA);
            c.mem_n = (uint8_t)nb;
            for (unsigned k = 0; k < nb; k++) {
                unsigned v;
                if (sscanf(eq + 1 + 2 * k, "%2x", &v) != 1) cli_die("bad hex in --mem '%s'", argv[i]);
                c.mem[k] = (uint8_t)v;
            }
        } else if (a[0] == '-' && a[1] == '-') cli_die("unknown option '%s' for hwrun", a);
        else if (!hex) hex = a;
        else cli_die("hwrun takes one HEX argument");
    }
    if (!hex) cli_die("hwrun needs a HEX argument");
    size_t hl = strlen(hex);
    if (hl < 2 || hl > 30 || hl % 2) cli_die("bad hex '%s' (1 to 15 bytes)", hex);
    for (size_t k = 0; k < hl / 2; k++) {
        unsigned v;
        if (sscanf(hex + 2 * k, "%2x", &v) != 1) cli_die("bad hex '%s'", hex);
        c.bytes[k] = (uint8_t)v;
    }
    c.n = (uint8_t)(hl / 2);
    if (!host_ok()) return 77;
    classify(&c);
    snprintf(c.name, sizeof c.name, "hwrun");
    struct hw_result *hw = malloc(sizeof *hw), *em = malloc(sizeof *em);
    if (!hw || !em) cli_die("out of memory");
    if (hw_native_run(&c, 1, hw)) cli_die("the native runner failed");
    unsigned steps;
    hw_emu_run(&c, em, &steps);
    hw_print_case(stdout, &c);
    print_result("cpu", &c, hw);
    print_result("emulator", &c, em);
    char d[1024];
    const char *why;
    enum hw_verdict v = hw_compare(&c, hw, em, d, sizeof d, &why);
    printf("%s%s%s\n", v == HWV_AGREE ? "agree" : v == HWV_SKIP ? "skipped: " : "DISAGREE:", v == HWV_SKIP ? why : "",
           v == HWV_DISAGREE ? d : "");
    free(hw);
    free(em);
    return v == HWV_DISAGREE;
}
