/*
 * The Zydis 4.0 fallback and reference (hosted builds only).  This is the one translation unit of
 * the library that includes Zydis; freestanding builds leave it out.
 *
 * Zydis is configured to match the CPUs we model: the MPX, CET and CLDEMOTE modes are off so
 * that the hint-NOP space (0F 18-1F) decodes as NOPs, as on a CPU without those features.
 */
#include <Zydis/Zydis.h>
#include <emulate/emulate_zydis.h>

static ZydisMachineMode machine_mode(enum emu_mode mode, ZydisStackWidth *sw)
{
    switch (mode) {
    case EMU_MODE_LONG64: *sw = ZYDIS_STACK_WIDTH_64; return ZYDIS_MACHINE_MODE_LONG_64;
    case EMU_MODE_COMPAT32: *sw = ZYDIS_STACK_WIDTH_32; return ZYDIS_MACHINE_MODE_LONG_COMPAT_32;
    case EMU_MODE_COMPAT16: *sw = ZYDIS_STACK_WIDTH_16; return ZYDIS_MACHINE_MODE_LONG_COMPAT_16;
    case EMU_MODE_PROT32: *sw = ZYDIS_STACK_WIDTH_32; return ZYDIS_MACHINE_MODE_LEGACY_32;
    case EMU_MODE_PROT16: *sw = ZYDIS_STACK_WIDTH_16; return ZYDIS_MACHINE_MODE_LEGACY_16;
    default: *sw = ZYDIS_STACK_WIDTH_16; return ZYDIS_MACHINE_MODE_REAL_16;
    }
}

static void init_decoder(ZydisDecoder *dec, enum emu_mode mode, int amd_branches)
{
    ZydisStackWidth sw;
    ZydisMachineMode mm = machine_mode(mode, &sw);
    ZydisDecoderInit(dec, mm, sw);
    ZydisDecoderEnableMode(dec, ZYDIS_DECODER_MODE_MPX, ZYAN_FALSE);
    ZydisDecoderEnableMode(dec, ZYDIS_DECODER_MODE_CET, ZYAN_FALSE);
    ZydisDecoderEnableMode(dec, ZYDIS_DECODER_MODE_CLDEMOTE, ZYAN_FALSE);
    if (amd_branches) ZydisDecoderEnableMode(dec, ZYDIS_DECODER_MODE_AMD_BRANCHES, ZYAN_TRUE);
}

int emu_zydis_decode(enum emu_mode mode, int amd_branches, const uint8_t *bytes, unsigned n,
                     unsigned *length, const char **mnemonic)
{
    ZydisDecoder dec;
    ZydisDecodedInstruction ins;
    init_decoder(&dec, mode, amd_branches);
    if (!ZYAN_SUCCESS(ZydisDecoderDecodeInstruction(&dec, ZYAN_NULL, bytes, n, &ins))) return 0;
    if (length) *length = ins.length;
    if (mnemonic) *mnemonic = ZydisMnemonicGetString(ins.mnemonic);
    return 1;
}

/*
 * Zydis 4.0 predates APX.  What our decoder leaves to the fallback in 64-bit mode with an APX
 * prefix is a legacy or vector instruction whose length APX does not change, so Zydis is shown
 * the pre-APX equivalent (shared/spec/apx.md 4.5 and 6.1):
 *   - REX2 (D5 p) becomes REX (40 | p[3:0]), followed by 0F when REX2.M0 = 1.  R4/X4/B4 only
 *     select registers (or are ignored for XMM/MMX operands); the REX2 form is one byte longer
 *     than the REX form in map 0 and as long in map 1.
 *   - EVEX: B4 (P0[3]) is cleared and U (P1[2]) set, the values a pre-APX CPU requires, and
 *     R' (P0[4]) is set: B4 is ignored for vector registers, B4/X4 only extend a base or index
 *     register, and R' selects a register (a GPR destination R16-R31 is #UD before APX).
 * Returns the length difference (APX form minus rewritten form), or -1 for no rewrite.
 */
static int apx_as_legacy(const uint8_t *b, unsigned n, uint8_t *out)
{
    unsigned i = 0;
    for (; i < n; i++) {
        const uint8_t c = b[i];
        if (c == 0x66 || c == 0x67 || c == 0xf2 || c == 0xf3 || c == 0xf0 || c == 0x26 ||
            c == 0x2e || c == 0x36 || c == 0x3e || c == 0x64 || c == 0x65 || (c & 0xf0) == 0x40)
            continue;
        break;
    }
    if (i + 2 > n) return -1;
    if (b[i] == 0xd5) {
        unsigned k = 0;
        for (unsigned j = 0; j < i; j++) out[k++] = b[j];
        out[k++] = (uint8_t)(0x40 | (b[i + 1] & 0x0f));
        if (b[i + 1] & 0x80) out[k++] = 0x0f;
        for (unsigned j = i + 2; j < n; j++) out[k++] = b[j];
        return (b[i + 1] & 0x80) ? 0 : 1;
    }
    if (b[i] == 0x62 && i + 4 <= n) {
        for (unsigned j = 0; j < n; j++) out[j] = b[j];
        out[i + 1] = (uint8_t)((out[i + 1] & ~0x08) | 0x10); /* B4 = 0, R4 (~R') = 0 */
        out[i + 2] |= 0x04;
        return 0;
    }
    return -1;
}

static int describe(enum emu_mode mode, const uint8_t *bytes, unsigned n, unsigned *length,
                    const char **mnemonic)
{
    uint8_t alt[32];
    int delta;
    if (mode == EMU_MODE_LONG64 && n <= 16 && (delta = apx_as_legacy(bytes, n, alt)) >= 0) {
        unsigned len = 0;
        if (!emu_zydis_decode(mode, 0, alt, n - (unsigned)delta, &len, mnemonic)) return 1;
        len += (unsigned)delta;
        if (len > 15) return 1;
        if (length) *length = len;
        return 0;
    }
    return emu_zydis_decode(mode, 0, bytes, n, length, mnemonic) ? 0 : 1;
}

const struct emu_fallback emu_zydis_fallback = { describe };

unsigned emu_zydis_format(enum emu_mode mode, uint64_t rip, const uint8_t *bytes, unsigned n,
                          char *buf, unsigned bufsize)
{
    ZydisDecoder dec;
    ZydisFormatter fmt;
    ZydisDecodedInstruction ins;
    ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
    init_decoder(&dec, mode, 0);
    if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(&dec, bytes, n, &ins, ops))) return 0;
    ZydisFormatterInit(&fmt, ZYDIS_FORMATTER_STYLE_INTEL);
    if (!ZYAN_SUCCESS(ZydisFormatterFormatInstruction(&fmt, &ins, ops, ins.operand_count_visible,
                                                      buf, bufsize, rip, ZYAN_NULL)))
        return 0;
    return ins.length;
}
