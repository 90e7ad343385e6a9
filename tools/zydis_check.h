/*
 * Our decoder against Zydis on one byte string: the comparison the decoder test and the decoder
 * fuzz target share.  Where Zydis 4.0 and the CPU disagree, the case is named with its reason
 * and counted as a known difference; nothing else is excused.
 */
#ifndef EMU_TOOLS_ZYDIS_CHECK_H
#define EMU_TOOLS_ZYDIS_CHECK_H

#include <stddef.h>
#include <emulate/emulate.h>

enum zcheck { ZC_AGREE = 0, ZC_NOT_OURS, ZC_KNOWN, ZC_MISMATCH };

struct zcheck_result {
    enum zcheck verdict;
    enum emu_decode_status ours;
    struct emu_insn insn;
    int zydis_ok;
    unsigned zydis_len;
    const char *zydis_mnemonic;
    const char *why; /* the reason of a known difference */
};

enum zcheck zydis_check(const struct emu_config *cfg, enum emu_mode mode, const uint8_t *b,
                        unsigned n, struct zcheck_result *r);

#endif
