/*
 * decoder/: bytes -> struct emu_insn.  Our own table-driven decoder (decode.c) is the fast path
 * for everything the engine executes; zydis_fallback.c (optional, hosted builds only) names the
 * rest.  The engine never sees a Zydis type.
 */
#ifndef EMU_DECODER_H
#define EMU_DECODER_H

#include <emulate/emulate.h>

/* What decoding depends on besides the bytes. */
struct emu_dec_env {
    uint8_t mode;      /* enum emu_mode */
    uint8_t vendor;    /* enum emu_vendor */
    uint8_t apx;       /* REX2 / APX EVEX usable: APX_F enumerated and XCR0[19] set */
    uint8_t apx_nci;   /* APX NDD/NF/conditional forms usable (CPUID 29h EBX[0]) */
    const uint64_t *features; /* emu_config.features */
};

/* Decode one instruction.  Returns EMU_DEC_NEED_MORE when the n bytes end before the
 * instruction does (and n < 15). */
enum emu_decode_status emu_decode_insn(const struct emu_dec_env *env, const uint8_t *bytes,
                                       unsigned n, struct emu_insn *insn);

#endif
