/*
 * Replays tests/data/apx-decode-vectors.tsv (a copy of shared/spec/apx-decode-vectors.tsv:
 * about 5,000 APX encodings with Intel XED's verdict) through our decoder.
 *
 * Column 6 gives the mode: "64" = 64-bit mode with APX_F, APX_NCI and XCR0[19]; "64/noAPX" =
 * 64-bit mode on a CPU without APX; "32" = 32-bit protected mode.  Every feature we model is on
 * (XED's chip ALL).  The verdict is what emu_step would see: our decoder's, and for the
 * instructions it leaves to the fallback (SSE, MMX, x87, AVX-512...), the Zydis fallback's.
 * Validity must equal column 4 and, for valid rows, the length column 3.  Mismatches are
 * listed by row (line number in the file); the exit status is 1 if there is any.
 *
 * usage: decoder_apx_tsv FILE.tsv
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <emulate/emulate.h>
#include <emulate/emulate_zydis.h>

static int parse_hex(const char *s, uint8_t *out, unsigned max)
{
    unsigned n = 0;
    while (*s) {
        if (*s == ' ') { s++; continue; }
        unsigned v;
        if (n >= max || sscanf(s, "%2x", &v) != 1) return -1;
        out[n++] = (uint8_t)v;
        s += 2;
    }
    return (int)n;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s FILE.tsv\n", argv[0]);
        return 2;
    }
    FILE *f = fopen(argv[1], "r");
    if (!f) {
        perror(argv[1]);
        return 2;
    }
    struct emu_config apx, noapx;
    memset(&noapx, 0, sizeof noapx);
    noapx.vendor = EMU_VENDOR_INTEL;
    for (unsigned i = 0; i < EMU_FEAT_COUNT; i++)
        if (i != EMU_FEAT_APX_F && i != EMU_FEAT_APX_NCI && i != EMU_FEAT_CR8_LEGACY)
            emu_config_set_feature(&noapx, (enum emu_feature)i);
    apx = noapx;
    emu_config_set_feature(&apx, EMU_FEAT_APX_F);
    emu_config_set_feature(&apx, EMU_FEAT_APX_NCI);
    const uint64_t xcr0 = 0x7 | EMU_XCR0_APX;

    char line[4096];
    unsigned lineno = 0, rows = 0, bad = 0, valid_rows = 0, by_fallback = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        if (line[0] == '#' || line[0] == '\n') continue;
        char *col[8] = { 0 };
        char *p = line;
        for (unsigned c = 0; c < 8 && p; c++) {
            col[c] = p;
            p = strchr(p, '\t');
            if (p) *p++ = 0;
        }
        if (!col[6]) {
            printf("line %u: malformed\n", lineno);
            bad++;
            continue;
        }
        uint8_t b[32];
        int n = parse_hex(col[0], b, sizeof b);
        if (n <= 0) {
            printf("line %u: bad hex\n", lineno);
            bad++;
            continue;
        }
        const unsigned xlen = (unsigned)atoi(col[2]);
        const int xvalid = strcmp(col[3], "valid") == 0;
        const struct emu_config *cfg = &apx;
        enum emu_mode mode = EMU_MODE_LONG64;
        if (strcmp(col[5], "32") == 0) mode = EMU_MODE_PROT32;
        else if (strcmp(col[5], "64/noAPX") == 0) cfg = &noapx;
        else if (strcmp(col[5], "64") != 0) {
            printf("line %u: unknown mode %s\n", lineno, col[5]);
            bad++;
            continue;
        }
        rows++;

        struct emu_insn in;
        enum emu_decode_status st = emu_decode_mode(cfg, mode, xcr0, b, (size_t)n, &in);
        int ok = st == EMU_DEC_OK;
        unsigned len = in.length;
        const char *mn = emu_mnemonic(in.op);
        if (st == EMU_DEC_UNKNOWN) {
            by_fallback++;
            len = 0;
            mn = NULL;
            ok = emu_zydis_fallback.describe(mode, b, (unsigned)n, &len, &mn) == 0;
        }
        valid_rows += xvalid;
        if (ok == xvalid && (!ok || len == xlen)) continue;
        bad++;
        printf("line %u: %s [%s, %s]: XED %s len %u (%s); ours %s len %u (%s%s)\n", lineno, col[0],
               col[5], col[6], xvalid ? "valid" : "invalid", xlen, col[1], ok ? "valid" : "invalid",
               ok ? len : 0, st == EMU_DEC_UNKNOWN ? "fallback " : "", mn ? mn : "-");
    }
    fclose(f);
    printf("%u rows (%u valid per XED, %u left to the fallback), %u mismatches\n", rows, valid_rows,
           by_fallback, bad);
    return bad ? 1 : 0;
}
