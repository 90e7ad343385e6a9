/* The disassembly verdict (see cli.h). */
#include "cli.h"

#include <stdio.h>
#include <string.h>

#include <emulate/emulate_zydis.h>

void disasm_one(const struct emu_config *cfg, enum emu_mode mode, const uint8_t *b, unsigned n,
                struct disasm_line *out)
{
    struct emu_insn in;
    memset(out, 0, sizeof *out);
    /* APX encodings decode when the configuration enumerates APX; XCR0[19] is assumed set. */
    const uint64_t xcr0 = 0x3 | EMU_XCR0_APX;
    enum emu_decode_status st = emu_decode_mode(cfg, mode, xcr0, b, n, &in);
    unsigned zlen = 0;
    const char *zmn = NULL;
    char ztext[128] = "";
    int zok = emu_zydis_decode(mode, cfg->vendor == EMU_VENDOR_AMD, b, n, &zlen, &zmn);
    if (zok) emu_zydis_format(mode, 0, b, n, ztext, sizeof ztext);

    switch (st) {
    case EMU_DEC_OK: {
        const char *mn = emu_mnemonic(in.op);
        out->length = in.length;
        /* UD0/UD1/UD2/UDB decode but always raise #UD */
        out->valid = strcmp(mn, "ud0") && strcmp(mn, "ud1") && strcmp(mn, "ud2") && strcmp(mn, "udb");
        snprintf(out->mnemonic, sizeof out->mnemonic, "%s", mn);
        if (zok && zlen == in.length) snprintf(out->text, sizeof out->text, "%s", ztext);
        else snprintf(out->text, sizeof out->text, "%s", mn);
        break;
    }
    case EMU_DEC_UNKNOWN:
        out->valid = zok;
        out->length = zok ? zlen : 0;
        snprintf(out->mnemonic, sizeof out->mnemonic, "%s", zok && zmn ? zmn : "(bad)");
        snprintf(out->text, sizeof out->text, "%s", zok ? ztext : "(bad)");
        break;
    default: /* #UD, too long, or truncated */
        out->valid = 0;
        out->length = 0;
        snprintf(out->mnemonic, sizeof out->mnemonic, "(bad)");
        snprintf(out->text, sizeof out->text, "(bad)");
        break;
    }
}
