/* See zydis_check.h. */
#include "zydis_check.h"

#include <string.h>
#include <emulate/emulate_zydis.h>

/* Cases where Zydis 4.0 does not do what the CPU does; each with its reason. */
static const uint8_t legacy_prefixes[] = { 0x66, 0x67, 0xf2, 0xf3, 0xf0, 0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65 };

static const char *known_difference(enum emu_mode mode, const struct emu_insn *in, int zydis_ok,
                                    const uint8_t *b, unsigned n)
{
    const char *mn = emu_mnemonic(in->op);
    /* SYSENTER/SYSEXIT in real mode: the SDM gives #GP(0) ("protected mode not enabled"), so
     * the instruction decodes; Zydis calls it invalid. */
    if (mode == EMU_MODE_REAL && !zydis_ok && in->status == EMU_DEC_OK &&
        (strcmp(mn, "sysenter") == 0 || strcmp(mn, "sysexit") == 0))
        return "SYSENTER/SYSEXIT in real mode are #GP(0), not #UD";
    /* SYSRET in real mode: AMD gives #GP(0) (APM: "only allowed in protected mode"), so the
     * encoding is valid; Intel's #UD outside 64-bit mode is the executor's ud_check. */
    if (mode == EMU_MODE_REAL && !zydis_ok && in->status == EMU_DEC_OK && strcmp(mn, "sysret") == 0)
        return "SYSRET in real mode is #GP(0) on AMD (Intel: #UD at execution)";
    /* LOCK VERW m16: AMD executes it (Zen 3, hwdiff; tables/map1.c row_verw); Zydis applies
     * the manuals' rule that LOCK is #UD there. */
    if (!zydis_ok && in->status == EMU_DEC_OK && strcmp(mn, "verw") == 0 &&
        (in->prefixes & EMU_PFX_LOCK))
        return "LOCK VERW m16 executes on AMD (Zen 3), #UD to Zydis and the manuals";
    /* 0F A6/A7 are VIA PadLock (XSTORE, XCRYPT*): #UD on Intel and AMD. */
    if (zydis_ok && in->status == EMU_DEC_UD && in->map == 1 && (in->opcode == 0xa6 || in->opcode == 0xa7))
        return "VIA PadLock opcodes are #UD on Intel and AMD";
    /* VEX with map select 0 (mmmmm = 0) is reserved (#UD) on Intel and AMD; Zydis decodes the
     * Knights Corner mask branches JKZD/JKNZD there (found by fuzz_decode). */
    if (zydis_ok && in->status == EMU_DEC_UD && (in->prefixes & EMU_PFX_VEX) && in->map == 0)
        return "VEX map 0 is Xeon Phi's JKZD/JKNZD to Zydis: #UD here";
    /* 62 with P1[2] = 0 is MVEX (Knights Corner) to Zydis; without APX the CPUs we model
     * require P1[2] = 1 in an EVEX prefix (apx.md 2, rule 1). */
    if (zydis_ok && in->status == EMU_DEC_UD && (in->prefixes & EMU_PFX_EVEX) == 0) {
        unsigned i = 0;
        while (i + 3 < n && (memchr(legacy_prefixes, b[i], sizeof legacy_prefixes) ||
                             (mode == EMU_MODE_LONG64 && (b[i] & 0xf0) == 0x40)))
            i++;
        if (i + 2 < n && b[i] == 0x62 && !(b[i + 2] & 4)) return "MVEX (P1[2] = 0) is Xeon Phi only: #UD here";
    }
    return NULL;
}

enum zcheck zydis_check(const struct emu_config *cfg, enum emu_mode mode, const uint8_t *b,
                        unsigned n, struct zcheck_result *r)
{
    memset(r, 0, sizeof *r);
    r->ours = emu_decode_mode(cfg, mode, 0, b, n, &r->insn);
    if (r->ours == EMU_DEC_UNKNOWN || r->ours == EMU_DEC_NEED_MORE) return r->verdict = ZC_NOT_OURS;
    r->zydis_ok = emu_zydis_decode(mode, cfg->vendor == EMU_VENDOR_AMD, b, n, &r->zydis_len,
                                   &r->zydis_mnemonic);
    const int ours_ok = r->ours == EMU_DEC_OK;
    if (ours_ok == r->zydis_ok && (!ours_ok || r->zydis_len == r->insn.length)) return r->verdict = ZC_AGREE;
    r->why = known_difference(mode, &r->insn, r->zydis_ok, b, n);
    return r->verdict = r->why ? ZC_KNOWN : ZC_MISMATCH;
}
