/* Decodes one instruction through the installed library: proves headers and link work. */
#include <stdio.h>
#include <string.h>
#include <emulate/emulate.h>

int main(void)
{
    struct emu_config cfg;
    struct emu_insn in;
    const uint8_t add[] = { 0x48, 0x01, 0xd8 };
    memset(&cfg, 0, sizeof cfg);
    if (emu_decode_mode(&cfg, EMU_MODE_LONG64, 0, add, sizeof add, &in) != EMU_DEC_OK) return 1;
    printf("%s %u\n", emu_mnemonic(in.op), in.length);
    return strcmp(emu_mnemonic(in.op), "add") || in.length != 3;
}
