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

static int describe(enum emu_mode mode, const uint8_t *bytes, unsigned n, unsigned *length,
                    const char **mnemonic)
{
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
