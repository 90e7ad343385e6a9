/*
 * emulate: the command-line front end of libemulate.
 *
 *   emulate run     [state options] [--json] HEX | --vector FILE
 *   emulate replay  [-v] FILE...
 *   emulate disasm  [--mode M] [--vendor V] [--features F,...] [--json] HEX...
 *   emulate hwdiff  [--seconds N | --count N] [--seed S] [--family F,...] [--out DIR]
 *   emulate record  [--count N] [--seed S] [--family F,...] [--out DIR] | --curated FILE
 *
 * Bad input gives a one-line error on stderr and exit status 2.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <emulate/emulate.h>
#include <emulate/emulate_zydis.h>

#include "machine.h"
#include "json.h"
#include "vector.h"
#include "cli.h"
#ifdef EMU_HAVE_HW
#include "hw.h"
#endif


static void usage(FILE *f)
{
    fprintf(f,
            "usage: emulate <command> [options]\n"
            "\n"
            "commands:\n"
            "  run [options] HEX        emulate one instruction from a state given by options\n"
            "      --mode M             real v86 prot16 prot32 compat16 compat32 long64 (default long64)\n"
            "      --vendor V           intel | amd (default intel)\n"
            "      --features F,...     CPUID features (Linux cpuinfo names, plus apx_f apx_nci eraps)\n"
            "      --reg NAME=VALUE     set a register (rax..r31, rip, rflags); repeatable\n"
            "      --mem ADDR=HEX       bytes at a linear address; repeatable\n"
            "      --cpl N              run at CPL N (sets SS.DPL and CS.DPL)\n"
            "      --vector FILE        take the state from the first vector of FILE\n"
            "      --json               print the outcome as one JSON object\n"
            "  replay [-v] FILE...      replay vector files (JSON Lines); ends with 'N passed, M failed'\n"
            "  disasm [options] HEX...  decode the first instruction of each argument\n"
            "      --mode M, --vendor V, --features F,..., --json\n"
            "  hwdiff [options]         run generated instructions on this CPU (CPL 3, sandboxed) and\n"
            "                           through the emulator, compare; a table per family at the end\n"
            "      --seconds N          run for N seconds (default 30), or --count N cases\n"
            "      --seed S             generator seed (default: the time)\n"
            "      --family F,...       data alu shift muldiv bits bcd stack branch string flagops io\n"
            "                           misc system svm (default: all)\n"
            "      --out DIR            disagreements as vectors and report.txt (default hwdiff-out)\n"
            "      --sweeps             also the fixed edge sweeps of shift/muldiv/bits/bmi/bcd\n"
            "      --strict             compare the flags the tables call undefined too\n"
            "  record [options]         write this CPU's answers as vectors, one file per family\n"
            "      --count N (default 4200), --seed S (default 1), --family F,..., --out DIR\n"
            "      (default tests/vectors/hw), or --curated FILE for the hand-picked cases\n"
            "  hwrun [options] HEX      one instruction on this CPU and in the emulator, side by side\n"
            "      --compat, --reg NAME=VALUE (rax..r15), --rflags V, --mem ADDR=HEX (data page),\n"
            "      --fill SEED, --ro-fill SEED, --at OFFSET (in the code page; default 0x800),\n"
            "      --fs-base V, --gs-base V\n"
            "  help                     this text\n");
}

static int parse_features(const char *list, struct emu_config *cfg)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", list);
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
        int f = emu_feature_from_name(tok);
        if (f == -1) cli_die("unknown feature '%s'", tok);
        if (f >= 0) emu_config_set_feature(cfg, (enum emu_feature)f);
    }
    return 0;
}

static uint64_t parse_u64(const char *s, const char *what)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (!*s || *end || errno) cli_die("bad %s '%s'", what, s);
    return v;
}

/* ---- disasm ----------------------------------------------------------------------------- */

static int cmd_disasm(int argc, char **argv)
{
    struct emu_config cfg;
    memset(&cfg, 0, sizeof cfg);
    int mode = EMU_MODE_LONG64, json = 0, nhex = 0;
    char **hex = calloc((size_t)argc + 1, sizeof *hex);
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--mode") && i + 1 < argc) {
            mode = emu_mode_from_name(argv[++i]);
            if (mode < 0) cli_die("unknown mode '%s'", argv[i]);
        } else if (!strcmp(argv[i], "--vendor") && i + 1 < argc) {
            i++;
            if (!strcmp(argv[i], "amd")) cfg.vendor = EMU_VENDOR_AMD;
            else if (strcmp(argv[i], "intel")) cli_die("unknown vendor '%s'", argv[i]);
        } else if (!strcmp(argv[i], "--features") && i + 1 < argc) {
            parse_features(argv[++i], &cfg);
        } else if (!strcmp(argv[i], "--json")) {
            json = 1;
        } else if (argv[i][0] == '-' && argv[i][1] == '-') {
            cli_die("unknown option '%s' for disasm", argv[i]);
        } else {
            hex[nhex++] = argv[i];
        }
    }
    if (!nhex) cli_die("disasm needs at least one HEX argument");
    for (int i = 0; i < nhex; i++) {
        uint8_t b[32];
        int n = hex_decode(hex[i], b, sizeof b);
        if (n <= 0) cli_die("bad hex '%s'", hex[i]);
    }
    for (int i = 0; i < nhex; i++) {
        struct disasm_line d;
        uint8_t b[32];
        int n = hex_decode(hex[i], b, sizeof b);
        disasm_one(&cfg, (enum emu_mode)mode, b, (unsigned)n, &d);
        if (json) {
            printf("{\"hex\":");
            json_write_str(stdout, hex[i]);
            printf(",\"length\":%u,\"valid\":%s,\"text\":", d.length, d.valid ? "true" : "false");
            json_write_str(stdout, d.text);
            printf(",\"mnemonic\":");
            json_write_str(stdout, d.mnemonic);
            printf("}\n");
        } else {
            printf("%-32s %2u  %s%s\n", hex[i], d.length, d.text, d.valid ? "" : "   (invalid: #UD)");
        }
    }
    free(hex);
    return 0;
}

/* ---- run -------------------------------------------------------------------------------- */

static void print_outcome(struct machine *m, const struct emu_regs *before, const uint8_t *bytes,
                          int nbytes, enum emu_status st, int json)
{
    const struct emu_result *r = &m->ctx.result;
    (void)bytes;
    (void)nbytes;
    if (json) {
        printf("{\"status\":\"%s\",\"length\":%u,\"mnemonic\":", status_name(st), r->length);
        json_write_str(stdout, r->mnemonic);
        if (st == EMU_EXCEPTION)
            printf(",\"exception\":{\"vector\":%u,\"error_code\":\"0x%x\",\"cr2\":\"0x%llx\",\"soft\":%s}",
                   r->exception.vector, r->exception.error_code, (unsigned long long)r->exception.cr2,
                   r->exception.is_soft ? "true" : "false");
        if (st == EMU_INTERCEPT)
            printf(",\"intercept\":{\"exit_code\":\"0x%llx\",\"info1\":\"0x%llx\",\"info2\":\"0x%llx\"}",
                   (unsigned long long)r->intercept.exit_code, (unsigned long long)r->intercept.info1,
                   (unsigned long long)r->intercept.info2);
        if (st == EMU_UNHANDLED) {
            printf(",\"reason\":");
            json_write_str(stdout, r->reason ? r->reason : "");
        }
        printf(",\"regs\":{");
        int first = 1;
        for (unsigned i = 0; i < 34; i++) {
            uint64_t a = i < 32 ? before->gpr[i] : i == 32 ? before->rip : before->rflags;
            uint64_t b = i < 32 ? m->regs.gpr[i] : i == 32 ? m->regs.rip : m->regs.rflags;
            if (a == b) continue;
            printf("%s\"%s\":\"0x%llx\"", first ? "" : ",", reg_name(i), (unsigned long long)b);
            first = 0;
        }
        printf("},\"mem\":[");
        for (unsigned i = 0; i < m->nwritten; i++) {
            uint8_t v;
            machine_peek(m, m->written[i], &v, 1);
            printf("%s{\"addr\":\"0x%llx\",\"data\":\"%02x\"}", i ? "," : "", (unsigned long long)m->written[i], v);
        }
        printf("],\"events\":[");
        for (unsigned i = 0; i < m->nevents; i++) {
            const struct emu_event *e = &m->events[i];
            printf("%s{\"type\":\"%s\"", i ? "," : "", event_type_name(e->type));
            if (e->type == EMU_EV_TLB_FLUSH) printf(",\"kind\":\"%s\",\"addr\":\"0x%llx\",\"pcid\":%u", tlb_kind_name(e->kind), (unsigned long long)e->addr, e->pcid);
            if (e->type == EMU_EV_RAP_CLEAR) printf(",\"reason\":\"%s\"", rap_reason_name(e->reason));
            printf("}");
        }
        printf("]}\n");
        return;
    }
    printf("%s (%s, %u bytes)\n", status_name(st), r->mnemonic, r->length);
    if (st == EMU_EXCEPTION)
        printf("  exception: vector %u%s, error code 0x%x, cr2 0x%llx\n", r->exception.vector,
               r->exception.is_soft ? " (software interrupt)" : "", r->exception.error_code,
               (unsigned long long)r->exception.cr2);
    if (st == EMU_INTERCEPT)
        printf("  #VMEXIT 0x%llx, exitinfo1 0x%llx, exitinfo2 0x%llx, next rip 0x%llx\n",
               (unsigned long long)r->intercept.exit_code, (unsigned long long)r->intercept.info1,
               (unsigned long long)r->intercept.info2, (unsigned long long)r->intercept.next_rip);
    if (st == EMU_UNHANDLED) printf("  reason: %s\n", r->reason ? r->reason : "?");
    for (unsigned i = 0; i < 34; i++) {
        uint64_t a = i < 32 ? before->gpr[i] : i == 32 ? before->rip : before->rflags;
        uint64_t b = i < 32 ? m->regs.gpr[i] : i == 32 ? m->regs.rip : m->regs.rflags;
        if (a != b) printf("  %-6s 0x%llx -> 0x%llx\n", reg_name(i), (unsigned long long)a, (unsigned long long)b);
    }
    for (unsigned i = 0; i < m->nwritten; i++) {
        uint8_t v;
        machine_peek(m, m->written[i], &v, 1);
        printf("  mem[0x%llx] = %02x\n", (unsigned long long)m->written[i], v);
    }
    for (unsigned i = 0; i < m->nevents; i++) {
        const struct emu_event *e = &m->events[i];
        printf("  event %s", event_type_name(e->type));
        if (e->type == EMU_EV_TLB_FLUSH) printf(" %s addr 0x%llx pcid %u", tlb_kind_name(e->kind), (unsigned long long)e->addr, e->pcid);
        if (e->type == EMU_EV_RAP_CLEAR) printf(" %s", rap_reason_name(e->reason));
        printf("\n");
    }
}

static char *read_first_line(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) cli_die("cannot open '%s': %s", path, strerror(errno));
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, f)) >= 0) {
        char *p = line;
        while (*p == ' ' || *p == '\t') p++;
        if (*p && *p != '\n') break;
    }
    fclose(f);
    if (n < 0) cli_die("'%s' has no vector", path);
    return line;
}

static int cmd_run(int argc, char **argv)
{
    struct emu_config cfg;
    memset(&cfg, 0, sizeof cfg);
    int mode = EMU_MODE_LONG64, json = 0, cpl = -1;
    const char *hexarg = NULL, *vecfile = NULL;
    const char *regs[64], *mems[64];
    int nregs = 0, nmems = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        const int more = i + 1 < argc;
        if (!strcmp(a, "--mode") && more) {
            mode = emu_mode_from_name(argv[++i]);
            if (mode < 0) cli_die("unknown mode '%s'", argv[i]);
        } else if (!strcmp(a, "--vendor") && more) {
            i++;
            if (!strcmp(argv[i], "amd")) cfg.vendor = EMU_VENDOR_AMD;
            else if (strcmp(argv[i], "intel")) cli_die("unknown vendor '%s'", argv[i]);
        } else if (!strcmp(a, "--features") && more) {
            parse_features(argv[++i], &cfg);
        } else if (!strcmp(a, "--maxphyaddr") && more) {
            cfg.maxphyaddr = (uint8_t)parse_u64(argv[++i], "maxphyaddr");
        } else if (!strcmp(a, "--reg") && more) {
            if (nregs == 64) cli_die("too many --reg options");
            regs[nregs++] = argv[++i];
        } else if (!strcmp(a, "--mem") && more) {
            if (nmems == 64) cli_die("too many --mem options");
            mems[nmems++] = argv[++i];
        } else if (!strcmp(a, "--cpl") && more) {
            cpl = (int)parse_u64(argv[++i], "cpl");
            if (cpl > 3) cli_die("cpl must be 0..3");
        } else if (!strcmp(a, "--vector") && more) {
            vecfile = argv[++i];
        } else if (!strcmp(a, "--json")) {
            json = 1;
        } else if (a[0] == '-' && a[1] == '-') {
            cli_die("unknown option '%s' for run", a);
        } else if (!hexarg) {
            hexarg = a;
        } else {
            cli_die("run takes one HEX argument");
        }
    }
    struct vec v;
    struct machine *m;
    uint8_t bytes[16];
    int nbytes;
    if (vecfile) {
        char *line = read_first_line(vecfile), err[256];
        if (vec_load(line, &v, err, sizeof err)) cli_die("%s: %s", vecfile, err);
        free(line);
        m = v.m;
        memcpy(bytes, v.bytes, sizeof bytes);
        nbytes = v.nbytes;
    } else {
        if (!hexarg) cli_die("run needs a HEX argument (or --vector FILE)");
        nbytes = hex_decode(hexarg, bytes, sizeof bytes);
        if (nbytes <= 0) cli_die("bad hex '%s' (1 to 16 bytes)", hexarg);
        m = machine_new((enum emu_mode)mode, &cfg);
        if (!m) cli_die("out of memory");
        if (mode == EMU_MODE_LONG64 || mode == EMU_MODE_PROT32) m->regs.rip = 0x401000;
        else m->regs.rip = 0x1000;
        for (int i = 0; i < nregs; i++) {
            char name[32];
            const char *eq = strchr(regs[i], '=');
            if (!eq || (size_t)(eq - regs[i]) >= sizeof name) cli_die("--reg wants NAME=VALUE, got '%s'", regs[i]);
            memcpy(name, regs[i], (size_t)(eq - regs[i]));
            name[eq - regs[i]] = 0;
            int r = reg_index_from_name(name);
            if (r < 0) cli_die("unknown register '%s'", name);
            uint64_t val = parse_u64(eq + 1, "register value");
            if (r < 32) m->regs.gpr[r] = val;
            else if (r == 32) m->regs.rip = val;
            else m->regs.rflags = val | 2;
        }
        for (int i = 0; i < nmems; i++) {
            char addr[32];
            uint8_t buf[4096];
            const char *eq = strchr(mems[i], '=');
            if (!eq || (size_t)(eq - mems[i]) >= sizeof addr) cli_die("--mem wants ADDR=HEX, got '%s'", mems[i]);
            memcpy(addr, mems[i], (size_t)(eq - mems[i]));
            addr[eq - mems[i]] = 0;
            int n = hex_decode(eq + 1, buf, sizeof buf);
            if (n < 0) cli_die("bad hex in --mem '%s'", mems[i]);
            machine_poke(m, parse_u64(addr, "address"), buf, (size_t)n);
        }
        if (cpl >= 0) {
            m->segs[EMU_SEG_SS].attr = (uint16_t)((m->segs[EMU_SEG_SS].attr & ~0x60) | cpl << 5);
            m->segs[EMU_SEG_CS].attr = (uint16_t)((m->segs[EMU_SEG_CS].attr & ~0x60) | cpl << 5);
        }
        machine_reset_ctx(m);
        uint64_t la = m->segs[EMU_SEG_CS].base + m->regs.rip;
        if (mode != EMU_MODE_LONG64) la &= 0xffffffffull;
        machine_poke(m, la, bytes, (size_t)nbytes);
    }
    struct emu_regs before = m->regs;
    enum emu_status st = emu_step(&m->ctx, NULL, 0);
    print_outcome(m, &before, bytes, nbytes, st, json);
    if (vecfile) vec_free(&v);
    else machine_free(m);
    return 0;
}

/* ---- replay ----------------------------------------------------------------------------- */

static int cmd_replay(int argc, char **argv)
{
    int verbose = 0, nfiles = 0;
    unsigned long pass = 0, fail = 0;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "-v")) { verbose = 1; continue; }
        if (argv[i][0] == '-' && argv[i][1]) cli_die("unknown option '%s' for replay", argv[i]);
        nfiles++;
    }
    if (!nfiles) cli_die("replay needs at least one vector file");
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "-v")) continue;
        FILE *f = strcmp(argv[i], "-") ? fopen(argv[i], "r") : stdin;
        if (!f) cli_die("cannot open '%s': %s", argv[i], strerror(errno));
        char *line = NULL;
        size_t cap = 0;
        unsigned long lineno = 0;
        while (getline(&line, &cap, f) >= 0) {
            lineno++;
            char *p = line;
            while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') p++;
            if (!*p) continue;
            struct vec v;
            char err[256];
            if (vec_load(line, &v, err, sizeof err)) {
                printf("%s:%lu: %s\n", argv[i], lineno, err);
                fail++;
                vec_free(&v);
                continue;
            }
            enum emu_status st = vec_run(&v);
            int bad = vec_check(&v, st, stdout);
            if (bad) fail++;
            else {
                pass++;
                if (verbose) printf("ok: %s\n", v.name);
            }
            vec_free(&v);
        }
        free(line);
        if (f != stdin) fclose(f);
    }
    printf("%lu passed, %lu failed\n", pass, fail);
    return fail ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "run")) return cmd_run(argc - 2, argv + 2);
    if (!strcmp(cmd, "replay")) return cmd_replay(argc - 2, argv + 2);
    if (!strcmp(cmd, "disasm")) return cmd_disasm(argc - 2, argv + 2);
    if (!strcmp(cmd, "hwdiff") || !strcmp(cmd, "record") || !strcmp(cmd, "hwrun")) {
#ifdef EMU_HAVE_HW
        if (!strcmp(cmd, "hwrun")) return hw_cmd_hwrun(argc - 2, argv + 2);
        return !strcmp(cmd, "hwdiff") ? hw_cmd_hwdiff(argc - 2, argv + 2) : hw_cmd_record(argc - 2, argv + 2);
#else
        printf("emulate: %s skipped: this build has no native runner (it needs an x86-64 Linux host)\n", cmd);
        return 77;
#endif
    }
    if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
        usage(stdout);
        return 0;
    }
    fprintf(stderr, "emulate: error: unknown command '%s' (try 'emulate help')\n", cmd);
    return 2;
}
