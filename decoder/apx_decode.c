/*
 * The APX prefixes: REX2 (D5 in 64-bit mode) and EVEX (62), after shared/spec/apx.md.
 *
 * REX2 (section 4): the payload gives M0 (map 0 or 1) and the register bits R4 X4 B4 W R3 X3 B3
 * (none inverted); the next byte is the opcode.  The opcode rows REX2 forbids (4.3) are #UD
 * here; everything else is the legacy row with 5-bit register numbers.
 *
 * EVEX (section 6): with APX, map 4 and the promoted GPR instructions of maps 1-3 and 7 are
 * decoded from our tables (tables/map4.c) with the APX payload rules of section 11; vector
 * instructions are left to the fallback.  Without APX (not enumerated, XCR0[19] clear, or
 * outside 64-bit mode) the APX-only bits and maps are #UD, as on a pre-APX CPU.
 *
 * Gating (env->apx, env->apx_nci, computed by lib/step.c and emu_decode_mode()): APX needs
 * CPUID APX_F and XCR0[19].  apx.md marks the XCR0[19] = 0 case [unverified]; our choice is
 * that every APX encoding (REX2, map 4, map 7, B4/X4/EGPR bits, the EVEX-only GPR forms) is
 * then #UD exactly as on a CPU without APX (test_apx.c: xcr0_clear_rex2_ud_egprs_kept).
 * The ND = 1, NF = 1 and conditional forms also need APX_NCI_NDD_NF (CPUID 29h EBX[0]).
 */
#include "decoder_internal.h"
#include "../tables/tables.h"

#define NEED(k)                                                                               \
    do {                                                                                      \
        if (d->pos + (k) > 15) return EMU_DEC_TOO_LONG;                                       \
        if (d->pos + (k) > d->n) return EMU_DEC_NEED_MORE;                                    \
    } while (0)

/* Map-0 opcodes that are #UD after REX2 (apx.md 4.3): prefixes and escapes taken as opcodes,
 * row 4 (REX), row 7 (Jcc rel8), row A except A1 (JMPABS, handled first), row E. */
static int rex2_map0_ud(unsigned c)
{
    switch (c >> 4) {
    case 0x4: case 0x7: case 0xa: case 0xe: return 1;
    default: break;
    }
    switch (c) {
    case 0x0f: case 0x26: case 0x2e: case 0x36: case 0x3e: case 0x62: case 0x64: case 0x65:
    case 0x66: case 0x67: case 0xc4: case 0xc5: case 0xd5: case 0xf0: case 0xf2: case 0xf3:
        return 1;
    default: return 0;
    }
}

/* Map 1: 0F 0F (3DNow!), row 3 (WRMSR..GETSEC and the 0F 38 / 0F 3A escapes), row 8 (Jcc). */
static int rex2_map1_ud(unsigned c)
{
    return c == 0x0f || (c >> 4) == 0x3 || (c >> 4) == 0x8;
}

enum emu_decode_status emu_dec_rex2(struct emu_dstate *d)
{
    struct emu_insn *in = d->in;

    /* Without APX, D5 in 64-bit mode keeps its old meaning: AAD, invalid there. */
    if (!d->env->apx) return EMU_DEC_UD;
    /* A REX immediately before REX2 is #UD (a REX before a legacy prefix was dropped). */
    if (d->rex) return EMU_DEC_UD;
    NEED(1);
    const unsigned p = d->b[d->pos++];
    d->rex_any = 1;
    d->w = (p >> 3) & 1;
    d->rexr = (uint8_t)(((p >> 2) & 1) << 3 | ((p >> 6) & 1) << 4);
    d->rexx = (uint8_t)(((p >> 1) & 1) << 3 | ((p >> 5) & 1) << 4);
    d->rexb = (uint8_t)((p & 1) << 3 | ((p >> 4) & 1) << 4);
    in->prefixes |= EMU_PFX_REX2;
    in->rex_w = d->w;

    NEED(1);
    const unsigned c = d->b[d->pos++];
    d->opcode = (uint8_t)c;
    in->opcode = (uint8_t)c;
    if (p & 0x80) {
        in->map = 1;
        if (rex2_map1_ud(c)) return EMU_DEC_UD;
        /* The XSAVE family (memory forms): 0F AE /4 /5 /6 and 0F C7 /3 /4 /5. */
        if (c == 0xae || c == 0xc7) {
            NEED(1);
            const unsigned m = d->b[d->pos], reg = (m >> 3) & 7;
            if ((m >> 6) != 3 && (c == 0xae ? reg >= 4 && reg <= 6 : reg >= 3 && reg <= 5))
                return EMU_DEC_UD;
        }
        if (c == 0xff) return emu_dec_finish(d, &emu_row_ud0);
        return emu_dec_finish(d, &emu_map1[c]);
    }
    in->map = 0;
    if (c == 0xa1) {
        /* JMPABS: W must be 0 and no 66/67/F2/F3/F0 (segment overrides are ignored). */
        if (d->w || d->osz || d->asz || d->last_rep || d->lock) return EMU_DEC_UD;
        return emu_dec_finish(d, &emu_row_jmpabs);
    }
    if (rex2_map0_ud(c)) return EMU_DEC_UD;
    if (c == 0xd6) return emu_dec_finish(d, &emu_row_udb);
    /* 8F is POP r/m only: XOP is not recognised after REX2, so /1-/7 are #UD. */
    if (c == 0x8f) {
        NEED(1);
        if ((d->b[d->pos] >> 3) & 7) return EMU_DEC_UD;
    }
    return emu_dec_finish(d, &emu_map0[c]);
}

static const struct emu_oprow *evex_table(unsigned map)
{
    switch (map) {
    case 1: return emu_evex1;
    case 2: return emu_evex2;
    case 3: return emu_evex3;
    case 4: return emu_map4;
    case 7: return emu_evex7;
    default: return 0;
    }
}

enum emu_decode_status emu_dec_evex(struct emu_dstate *d)
{
    struct emu_insn *in = d->in;
    const int m64 = d->mode == EMU_MODE_LONG64;

    /* EVEX does not exist in real-address and virtual-8086 mode (62 /r there is BOUND, whose
     * register form is #UD). */
    if (d->mode == EMU_MODE_REAL || d->mode == EMU_MODE_V86) return EMU_DEC_UD;
    NEED(3);
    const unsigned p0 = d->b[d->pos], p1 = d->b[d->pos + 1], p2 = d->b[d->pos + 2];
    d->pos += 3;
    /* 66, F2, F3, LOCK or a REX before 62: #UD (67 and segment overrides are allowed). */
    if (d->osz || d->last_rep || d->lock || d->rex) return EMU_DEC_UD;
    const unsigned map = p0 & 7, b4 = (p0 >> 3) & 1, u = (p1 >> 2) & 1;
    NEED(1);
    const unsigned c = d->b[d->pos++];
    d->opcode = (uint8_t)c;
    in->opcode = (uint8_t)c;
    in->map = (uint8_t)map;
    const struct emu_oprow *t = evex_table(map);

    if (!m64 || !d->env->apx) {
        /* A pre-APX CPU (or APX not enabled, or not 64-bit mode): map 4 and map 7 do not
         * exist, P0[3] must be 0 and P1[2] must be 1; the EVEX-only GPR forms of maps 1-3
         * are invalid.  Vector instructions are the fallback's. */
        if (map == 0 || map == 4 || map == 7 || b4 || !u) return EMU_DEC_UD;
        if (t && t[c].kind != K_UNKNOWN) return EMU_DEC_UD;
        return EMU_DEC_UNKNOWN;
    }
    if (map == 0) return EMU_DEC_UD;
    if (!t || t[c].kind == K_UNKNOWN) return EMU_DEC_UNKNOWN; /* vector (AVX-512, FP16...) */

    /* The APX payload: R3 X3 B3 R4 inverted, B4 plain; vvvv, V' and U (= X4) inverted. */
    d->evex = d->vex = 1;
    d->map4 = map == 4;
    d->rex_any = 1;
    in->prefixes |= EMU_PFX_EVEX;
    d->rexr = (uint8_t)(((~p0 >> 7) & 1) << 3 | ((~p0 >> 4) & 1) << 4);
    d->rexx = (uint8_t)(((~p0 >> 6) & 1) << 3 | (u ^ 1) << 4);
    d->rexb = (uint8_t)(((~p0 >> 5) & 1) << 3 | b4 << 4);
    d->w = (uint8_t)(p1 >> 7);
    in->rex_w = d->w;
    d->vvvv = (uint8_t)(((~p1 >> 3) & 15) | ((~p2 >> 3) & 1) << 4);
    d->pp = p1 & 3;
    d->nd = (p2 >> 4) & 1;
    d->nf = (p2 >> 2) & 1;
    const unsigned z = p2 >> 7, ll = (p2 >> 5) & 3, aaa = p2 & 7;
    d->vex_l = ll != 0;
    /* Map 4 and the GPR instructions: z = 0 and L'L = 00. */
    if (z || ll) return EMU_DEC_UD;

    enum emu_decode_status st = emu_dec_finish(d, &t[c]);
    if (st != EMU_DEC_OK) return st;
    const struct emu_oprow *row = in->row;
    const uint32_t fl = row->flags;

    if (fl & R_SCC) {
        /* CCMP/CTEST: ND must be 0; vvvv is the default flags value (OF SF ZF CF, not
         * inverted) and P2[3:0] the source condition (as stored). */
        if (d->nd) return EMU_DEC_UD;
        in->dfv = (uint8_t)((p1 >> 3) & 15);
        in->scc = (uint8_t)(p2 & 15);
    } else {
        if (aaa & 3) return EMU_DEC_UD;
        if (d->nd && !(fl & R_NDD) && !d->nd_used) return EMU_DEC_UD;
        if (d->nf && !(fl & R_NF) && !d->nf_used) return EMU_DEC_UD;
        in->nd = d->nd;
        in->nf = d->nf;
    }
    /* U must be 1 (X4 = 0) in the register form. */
    if (!u && in->has_modrm && (in->modrm >> 6) == 3) return EMU_DEC_UD;
    /* Map 4 rows not selected by pp: NP or 66 (operand size); byte operations NP only. */
    if (d->map4 && !d->pfx_used && (d->pp >= 2 || (d->pp == 1 && (fl & R_BYTE)))) return EMU_DEC_UD;
    /* The NDD/NF and conditional forms need CPUID 29h EBX[0] besides APX_F. */
    if (((fl & R_NCI) || in->nd || in->nf) && !d->env->apx_nci) return EMU_DEC_UD;
    /* PUSH2/POP2: RSP is not allowed, and POP2 into one register twice is #UD. */
    if (in->op == OP_PUSH2 || in->op == OP_POP2) {
        const unsigned a = in->ops[0].reg, b = in->ops[1].reg;
        if (a == EMU_RSP || b == EMU_RSP) return EMU_DEC_UD;
        if (in->op == OP_POP2 && a == b) return EMU_DEC_UD;
    }
    return EMU_DEC_OK;
}
