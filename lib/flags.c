/*
 * Arithmetic flags in portable C (no host flag instructions, so any host and any sanitizer).
 * The helpers return a full set of the six arithmetic flags; callers merge with emu_set_flags.
 */
#include "internal.h"

/* PF: set when the low byte has an even number of ones. */
#define P2(n) n, n ^ 1, n ^ 1, n
#define P4(n) P2(n), P2(n ^ 1), P2(n ^ 1), P2(n)
#define P6(n) P4(n), P4(n ^ 1), P4(n ^ 1), P4(n)
const uint8_t emu_parity[256] = { P6(1), P6(0), P6(0), P6(1) };

/* emu_flags_szp, emu_flags_add, emu_flags_sub and emu_flags_logic are inline in lib/internal.h:
 * they sit on the hot path of every ALU instruction. */
