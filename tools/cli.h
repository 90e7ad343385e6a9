/* Shared by the CLI and the tests: the disassembly verdict of one byte string. */
#ifndef EMU_TOOLS_CLI_H
#define EMU_TOOLS_CLI_H

#include <emulate/emulate.h>

struct disasm_line {
    unsigned length;
    int valid;          /* 0 when the CPU would raise #UD, or the bytes are not an instruction */
    char text[128];     /* Intel syntax (Zydis), or our mnemonic where Zydis has none */
    char mnemonic[32];
};

/* Our decoder decides validity and length for everything it claims; Zydis for the rest and
 * for the text. */
void disasm_one(const struct emu_config *cfg, enum emu_mode mode, const uint8_t *b, unsigned n,
                struct disasm_line *out);

/* A one-line error on stderr ("emulate: error: ..."), exit status 2: the CLI's answer to bad
 * input. */
void cli_die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

#endif
