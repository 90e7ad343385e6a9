/*
 * The APX prefixes: REX2 (D5 in 64-bit mode) and EVEX (62).  Until the APX decoder lands, REX2
 * is #UD (which is right whenever APX is not enumerated and enabled) and every EVEX encoding is
 * left to the fallback (AVX-512 is not ours).
 */
#include "decoder_internal.h"
#include "../tables/tables.h"

enum emu_decode_status emu_dec_rex2(struct emu_dstate *d)
{
    (void)d;
    return EMU_DEC_UD; /* D5 in 64-bit mode: AAD is invalid there; REX2 needs APX */
}

enum emu_decode_status emu_dec_evex(struct emu_dstate *d)
{
    (void)d;
    return EMU_DEC_UNKNOWN;
}
