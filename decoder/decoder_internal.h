/* Decoder state shared by decode.c and the APX prefix decoders (apx_decode.c). */
#ifndef EMU_DECODER_INTERNAL_H
#define EMU_DECODER_INTERNAL_H

#include "decoder.h"

struct emu_oprow;

struct emu_dstate {
    const struct emu_dec_env *env;
    const uint8_t *b;
    unsigned n, pos;
    struct emu_insn *in;
    uint8_t mode;
    uint8_t rex;            /* effective REX byte (0 if none) */
    uint8_t rex_any;        /* any REX/REX2/VEX/EVEX: byte registers 4..7 are SPL..DIL */
    uint8_t w;              /* REX.W / REX2.W / VEX.W / EVEX.W */
    uint8_t rexr, rexx, rexb; /* register-number extensions (bits 3 and 4 already in place) */
    uint8_t lock, last_rep, osz, asz, seg_override;
    uint8_t vex, vex_l, pp, vvvv;
    uint8_t opcode;
    uint8_t rep_consumed;   /* F2/F3 selected a row as a mandatory prefix */
    uint8_t late_ud;        /* #UD decided, reported once the whole instruction is decoded */
    /* APX EVEX (decoder/apx_decode.c) */
    uint8_t evex;           /* an EVEX prefix was decoded (vex is set too: pp/W/vvvv rules) */
    uint8_t map4;           /* EVEX map 4: legacy operand-size rules with pp = 66 */
    uint8_t nd, nf;         /* EVEX.b (ND) and EVEX.aaa[2] (NF) */
    uint8_t nd_used, nf_used, pfx_used; /* a K_ND / K_NF / K_PFX node consumed the field */
};

int emu_dec_has_feature(const struct emu_dec_env *env, unsigned f);
/* The tail after the opcode byte; also used by the REX2/EVEX decoders. */
enum emu_decode_status emu_dec_finish(struct emu_dstate *d, const struct emu_oprow *row);
/* 62 (EVEX) and, in 64-bit mode, D5 (REX2): decoder/apx_decode.c. */
enum emu_decode_status emu_dec_evex(struct emu_dstate *d);
enum emu_decode_status emu_dec_rex2(struct emu_dstate *d);

#endif
