/*
 * Optional Zydis fallback for hosted builds.  Link libemulate's Zydis translation unit
 * (built when EMU_WITH_ZYDIS is on) and set ctx->fallback = &emu_zydis_fallback so that
 * EMU_UNHANDLED names instructions our tables do not describe, with their true length.
 * Kernel (freestanding) builds leave ctx->fallback NULL and do not need Zydis.
 */
#ifndef EMULATE_EMULATE_ZYDIS_H
#define EMULATE_EMULATE_ZYDIS_H

#include <emulate/emulate.h>

#ifdef __cplusplus
extern "C" {
#endif

/** @brief The Zydis describer; see struct emu_fallback. */
extern const struct emu_fallback emu_zydis_fallback;

/**
 * @brief Zydis's verdict on the first instruction of bytes in a mode (the decoder test uses it
 *        as the reference).  Returns 1 if Zydis decodes it, 0 if not; *length and *mnemonic are
 *        filled when it decodes.  amd_branches selects AMD's 66-prefixed near-branch sizes.
 */
int emu_zydis_decode(enum emu_mode mode, int amd_branches, const uint8_t *bytes, unsigned n,
                     unsigned *length, const char **mnemonic);

/**
 * @brief Format the first instruction in Intel syntax into buf (NUL-terminated).  Returns the
 *        length in bytes, or 0 if Zydis cannot decode it.
 */
unsigned emu_zydis_format(enum emu_mode mode, uint64_t rip, const uint8_t *bytes, unsigned n,
                          char *buf, unsigned bufsize);

#ifdef __cplusplus
}
#endif

#endif
