/*
 * libFuzzer target: our decoder against Zydis.  Wherever our tables claim an instruction,
 * validity and length must equal Zydis's (or be a named known difference, tools/zydis_check.c).
 * The first byte picks the mode and vendor; features are all on except APX and CR8_LEGACY.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zydis_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2) return 0;
    static const enum emu_mode modes[] = { EMU_MODE_REAL, EMU_MODE_PROT16, EMU_MODE_PROT32,
                                           EMU_MODE_COMPAT32, EMU_MODE_LONG64 };
    struct emu_config cfg;
    memset(&cfg, 0, sizeof cfg);
    for (unsigned f = 0; f < EMU_FEAT_COUNT; f++)
        if (f != EMU_FEAT_APX_F && f != EMU_FEAT_APX_NCI && f != EMU_FEAT_CR8_LEGACY)
            emu_config_set_feature(&cfg, (enum emu_feature)f);
    const enum emu_mode mode = modes[data[0] % 5];
    uint8_t buf[16] = { 0 };
    unsigned n = size - 1 > 16 ? 16 : (unsigned)(size - 1);
    memcpy(buf, data + 1, n);
    struct zcheck_result r;
    /* always pass 16 bytes so "too long" is decidable; the tail is zero-padded */
    if (zydis_check(&cfg, mode, buf, 16, &r) == ZC_MISMATCH) {
        fprintf(stderr, "decoder mismatch in %s: ours status %d len %u, zydis %s len %u\n",
                emu_mode_name(mode), r.ours, r.insn.length, r.zydis_ok ? "valid" : "invalid", r.zydis_len);
        abort();
    }
    return 0;
}
