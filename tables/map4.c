/*
 * APX EVEX map 4 (promoted legacy integer instructions).  Filled in by the APX work; until then
 * every opcode is unknown to our tables (and #UD unless APX is enumerated and enabled).
 */
#include "rows.h"

#define U16 UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK, UNK
const struct emu_oprow emu_map4[256] = {
    U16, U16, U16, U16, U16, U16, U16, U16, U16, U16, U16, U16, U16, U16, U16, U16,
};
