/*
 * The table-driven decoder: legacy prefixes, REX, VEX, the opcode maps of tables/, ModRM, SIB,
 * displacement and immediates, straight into struct emu_insn with no second pass.
 *
 * Rules that are not visible in the tables live here and say why:
 *   - the 15-byte limit is checked on every byte we would consume (#GP(0) when exceeded);
 *   - a REX prefix counts only immediately before the opcode (a later legacy prefix cancels it);
 *   - of F2/F3 the last one wins, as the mandatory-prefix selector and as REP;
 *   - LOCK is #UD unless the row is lockable and its destination is memory.
 * Freestanding: no libc.
 */
#include "decoder.h"
#include "decoder_internal.h"
#include "../tables/tables.h"

enum { P_NONE = 0, P_LOCK, P_REPNE, P_REP, P_SEG, P_OSZ, P_ASZ, P_REX };

static const uint8_t pfx_class[256] = {
    [0xf0] = P_LOCK, [0xf2] = P_REPNE, [0xf3] = P_REP,
    [0x26] = P_SEG, [0x2e] = P_SEG, [0x36] = P_SEG, [0x3e] = P_SEG, [0x64] = P_SEG, [0x65] = P_SEG,
    [0x66] = P_OSZ, [0x67] = P_ASZ,
    [0x40] = P_REX, [0x41] = P_REX, [0x42] = P_REX, [0x43] = P_REX, [0x44] = P_REX, [0x45] = P_REX,
    [0x46] = P_REX, [0x47] = P_REX, [0x48] = P_REX, [0x49] = P_REX, [0x4a] = P_REX, [0x4b] = P_REX,
    [0x4c] = P_REX, [0x4d] = P_REX, [0x4e] = P_REX, [0x4f] = P_REX,
};

static const uint8_t seg_of_prefix[8] = {
    /* (byte >> 3) & 7 for 26 2E 36 3E; 64/65 handled separately */
    0, 0, 0, 0, EMU_SEG_ES, EMU_SEG_CS, EMU_SEG_SS, EMU_SEG_DS,
};

/* 16-bit ModRM addressing: base and index per rm (0xff = none). */
static const uint8_t rm16_base[8] = { EMU_RBX, EMU_RBX, EMU_RBP, EMU_RBP, 0xff, 0xff, EMU_RBP, EMU_RBX };
static const uint8_t rm16_index[8] = { EMU_RSI, EMU_RDI, EMU_RSI, EMU_RDI, EMU_RSI, EMU_RDI, 0xff, 0xff };

static inline int mode_is16(unsigned mode)
{
    return mode == EMU_MODE_REAL || mode == EMU_MODE_V86 || mode == EMU_MODE_PROT16 ||
           mode == EMU_MODE_COMPAT16;
}

int emu_dec_has_feature(const struct emu_dec_env *env, unsigned f)
{
    return env->features && (int)((env->features[f / 64] >> (f % 64)) & 1);
}

/* Byte fetch with the 15-byte and end-of-buffer checks. */
#define NEED(k)                                                                               \
    do {                                                                                      \
        if (d->pos + (k) > 15) return EMU_DEC_TOO_LONG;                                       \
        if (d->pos + (k) > d->n) return EMU_DEC_NEED_MORE;                                    \
    } while (0)

static uint64_t get_le(const uint8_t *p, unsigned size)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static uint64_t sext(uint64_t v, unsigned size)
{
    switch (size) {
    case 1: return (uint64_t)(int64_t)(int8_t)v;
    case 2: return (uint64_t)(int64_t)(int16_t)v;
    case 4: return (uint64_t)(int64_t)(int32_t)v;
    default: return v;
    }
}

static enum emu_decode_status fetch_modrm(struct emu_dstate *d)
{
    if (d->in->has_modrm) return EMU_DEC_OK;
    NEED(1);
    d->in->modrm = d->b[d->pos++];
    d->in->has_modrm = 1;
    return EMU_DEC_OK;
}

/* SIB, displacement and the default segment of a memory ModRM. */
static enum emu_decode_status parse_mem(struct emu_dstate *d)
{
    struct emu_insn *in = d->in;
    unsigned mod = in->modrm >> 6, rm = in->modrm & 7;
    unsigned dispsz = 0;
    int ss_default = 0;

    in->mem_base = 0xff;
    in->mem_index = 0xff;
    in->mem_scale = 1;
    if (in->addrsize == 2) {
        in->mem16 = 1;
        if (mod == 0 && rm == 6) {
            dispsz = 2;
        } else {
            in->mem_base = rm16_base[rm];
            in->mem_index = rm16_index[rm];
            dispsz = mod == 1 ? 1 : mod == 2 ? 2 : 0;
            ss_default = in->mem_base == EMU_RBP;
        }
    } else {
        if (rm == 4) {
            NEED(1);
            in->sib = d->b[d->pos++];
            in->has_sib = 1;
            unsigned idx = ((in->sib >> 3) & 7) | d->rexx;
            unsigned base = in->sib & 7;
            in->mem_scale = (uint8_t)(1u << (in->sib >> 6));
            /* Index 4 with no extension is "no index"; R12, R20, R28 are real indices. */
            if (idx != 4) in->mem_index = (uint8_t)idx;
            if (base == 5 && mod == 0) {
                dispsz = 4; /* no base, disp32, whatever REX.B/B4 say */
            } else {
                in->mem_base = (uint8_t)(base | d->rexb);
            }
        } else if (rm == 5 && mod == 0) {
            dispsz = 4;
            in->rip_rel = d->mode == EMU_MODE_LONG64;
        } else {
            in->mem_base = (uint8_t)(rm | d->rexb);
        }
        if (mod == 1) dispsz = 1;
        else if (mod == 2) dispsz = 4;
        ss_default = in->mem_base == EMU_RSP || in->mem_base == EMU_RBP;
    }
    if (dispsz) {
        NEED(dispsz);
        in->disp = (int64_t)sext(get_le(d->b + d->pos, dispsz), dispsz);
        d->pos += dispsz;
    }
    if (!d->seg_override && ss_default) in->seg = EMU_SEG_SS;
    return EMU_DEC_OK;
}

static unsigned size_of(const struct emu_dstate *d, unsigned code)
{
    const struct emu_insn *in = d->in;
    switch (code) {
    case S_B: return 1;
    case S_W: return 2;
    case S_D: return 4;
    case S_Q: return 8;
    case S_V: case S_STK: return in->opsize;
    case S_Z: return in->opsize == 2 ? 2 : 4;
    case S_Y: return in->opsize == 8 ? 8 : 4;
    case S_P: return 2u + in->opsize;
    case S_A: return 2u * in->opsize;
    case S_DQ: return 16;
    case S_MW: return (in->modrm >> 6) == 3 ? in->opsize : 2;
    case S_64: return d->mode == EMU_MODE_LONG64 ? 8 : 4;
    case S_DESC: return d->mode == EMU_MODE_LONG64 ? 10 : 6;
    default: return 0;
    }
}

static void set_reg(const struct emu_dstate *d, struct emu_operand *op, unsigned r, unsigned size)
{
    op->kind = EMU_OPK_REG;
    op->size = (uint8_t)size;
    /* Without any REX-class prefix, byte registers 4..7 are AH, CH, DH, BH. */
    if (size == 1 && !d->rex_any && r >= 4 && r < 8) {
        op->reg = (uint8_t)(r - 4);
        op->high8 = 1;
    } else {
        op->reg = (uint8_t)r;
    }
}

static enum emu_decode_status read_imm(struct emu_dstate *d, unsigned bytes, int sign, uint64_t *out)
{
    NEED(bytes);
    uint64_t v = get_le(d->b + d->pos, bytes);
    d->pos += bytes;
    *out = sign ? sext(v, bytes) : v;
    return EMU_DEC_OK;
}

/* Walk a node row down to a leaf. */
static enum emu_decode_status walk(struct emu_dstate *d, const struct emu_oprow **rowp)
{
    const struct emu_oprow *row = *rowp;
    enum emu_decode_status st;

    while (row->kind >= K_GROUP) {
        switch (row->kind) {
        case K_GROUP:
            if ((st = fetch_modrm(d)) != EMU_DEC_OK) return st;
            row = &row->sub[(d->in->modrm >> 3) & 7];
            break;
        case K_MOD:
            if ((st = fetch_modrm(d)) != EMU_DEC_OK) return st;
            row = &row->sub[(d->in->modrm >> 6) == 3];
            break;
        case K_RM:
            if ((st = fetch_modrm(d)) != EMU_DEC_OK) return st;
            row = &row->sub[d->in->modrm & 7];
            break;
        case K_PFX: {
            unsigned idx;
            if (d->vex) idx = d->pp;
            else idx = d->last_rep == 0xf3 ? 2 : d->last_rep == 0xf2 ? 3 : d->osz ? 1 : 0;
            if (idx >= 2) d->rep_consumed = 1;
            d->pfx_used = 1;
            row = &row->sub[idx];
            break;
        }
        case K_ND: d->nd_used = 1; row = &row->sub[d->nd]; break;
        case K_NF: d->nf_used = 1; row = &row->sub[d->nf]; break;
        case K_W: row = &row->sub[d->w]; break;
        case K_MODE64: row = &row->sub[d->mode == EMU_MODE_LONG64]; break;
        case K_VENDOR: row = &row->sub[d->env->vendor == EMU_VENDOR_AMD]; break;
        case K_FEAT: row = &row->sub[emu_dec_has_feature(d->env, row->feat - 1u)]; break;
        default: return EMU_DEC_UD;
        }
    }
    *rowp = row;
    return EMU_DEC_OK;
}

/* Everything after the opcode byte: row walk, sizes, ModRM memory, operands, immediates. */
enum emu_decode_status emu_dec_finish(struct emu_dstate *d, const struct emu_oprow *row)
{
    struct emu_insn *in = d->in;
    const int m64 = d->mode == EMU_MODE_LONG64;
    enum emu_decode_status st;

    if ((st = walk(d, &row)) != EMU_DEC_OK) return st;
    if (row->kind == K_UNKNOWN) return EMU_DEC_UNKNOWN;
    if (row->kind == K_UD) return EMU_DEC_UD;

    const uint32_t fl = row->flags;
    /* These #UD rules are decided once the whole instruction is decoded: the CPU fetches all
     * of it first, so a fetch fault on a later byte (an instruction straddling into a page it
     * cannot fetch from) is what it reports (hwdiff: 82 /7 in 64-bit mode at the end of the
     * code page is #PF, not #UD). */
    const int late_ud = d->late_ud || (row->feat && !emu_dec_has_feature(d->env, row->feat - 1u)) || ((fl & R_INV64) && m64) ||
                        ((fl & R_ONLY64) && !m64) || ((fl & R_NOREX2) && (in->prefixes & EMU_PFX_REX2));

    /* Operand size. */
    if (fl & R_BYTE) {
        in->opsize = 1;
    } else if (d->map4) {
        /* APX map 4 keeps the legacy sizes: W = 64-bit, else pp = 66 gives 16 (unless the 66
         * selects the instruction), else 32. */
        in->opsize = d->w ? 8 : (d->pp == 1 && !(fl & R_MAND66)) ? 2 : 4;
    } else if (d->vex) {
        in->opsize = (m64 && d->w) ? 8 : 4;
    } else {
        int o66 = d->osz && !(fl & R_MAND66);
        if (m64) {
            if (d->w) in->opsize = 8;
            else if (fl & R_F64) in->opsize = (o66 && d->env->vendor == EMU_VENDOR_AMD) ? 2 : 8;
            else if (fl & R_D64) in->opsize = o66 ? 2 : 8;
            else in->opsize = o66 ? 2 : 4;
        } else {
            unsigned def = mode_is16(d->mode) ? 2 : 4;
            in->opsize = (uint8_t)(o66 ? 6 - def : def);
        }
    }

    /* ModRM if an operand (or the row) needs it, then the memory form's bytes. */
    int need_modrm = (fl & R_MODRM) != 0;
    for (unsigned i = 0; i < 3 && row->o[i]; i++) {
        unsigned m = SPEC_M(row->o[i]);
        if (m == M_E || m == M_G || m == M_M || m == M_R || m == M_S || m == M_C || m == M_D)
            need_modrm = 1;
    }
    if (need_modrm && (st = fetch_modrm(d)) != EMU_DEC_OK) return st;
    const unsigned mod = in->modrm >> 6;
    const int is_mem = in->has_modrm && mod != 3 && !(fl & R_FORCEREG);
    if (is_mem && (fl & R_REGONLY)) return EMU_DEC_UD;
    if (is_mem && (st = parse_mem(d)) != EMU_DEC_OK) return st;

    const unsigned reg = ((in->modrm >> 3) & 7) | d->rexr;
    const unsigned rm = (in->modrm & 7) | d->rexb;

    /* Operands, immediates in encoding order. */
    unsigned nops = 0;
    for (unsigned i = 0; i < 3 && row->o[i]; i++) {
        const uint16_t spec = row->o[i];
        const unsigned m = SPEC_M(spec);
        const unsigned size = size_of(d, SPEC_S(spec));
        struct emu_operand *op = &in->ops[nops++];
        switch (m) {
        case M_E:
            if (is_mem) { op->kind = EMU_OPK_MEM; op->size = (uint8_t)size; }
            else set_reg(d, op, rm, size);
            break;
        case M_G: set_reg(d, op, reg, size); break;
        case M_M:
            if (!is_mem) return EMU_DEC_UD;
            op->kind = EMU_OPK_MEM;
            op->size = (uint8_t)size;
            break;
        case M_R:
            if (is_mem) return EMU_DEC_UD;
            set_reg(d, op, rm, size);
            break;
        case M_I: case M_IS: {
            /* Parameter 1: the value has the operand's size but is encoded as a sign-extended
             * imm8 (83 /x, 6B, 6A).  Iz of a 64-bit operation is a sign-extended imm32. */
            const unsigned sc = SPEC_S(spec);
            const int imm8 = SPEC_P(spec) & 1;
            unsigned bytes = imm8 ? 1 : sc == S_STK ? (in->opsize == 2 ? 2 : 4) : size;
            unsigned vsize = (imm8 || sc == S_Z || sc == S_STK) ? in->opsize : size;
            if ((st = read_imm(d, bytes, m == M_IS, &in->imm)) != EMU_DEC_OK) return st;
            in->imm_size = (uint8_t)(in->imm_size + bytes);
            op->kind = EMU_OPK_IMM;
            op->size = (uint8_t)vsize;
            break;
        }
        case M_I2:
            if ((st = read_imm(d, 1, 0, &in->imm2)) != EMU_DEC_OK) return st;
            in->imm_size = (uint8_t)(in->imm_size + 1);
            op->kind = EMU_OPK_IMM;
            op->size = 1;
            op->reg = 1; /* second immediate */
            break;
        case M_J: {
            unsigned bytes = SPEC_S(spec) == S_B ? 1 : (in->opsize == 2 ? 2 : 4);
            if ((st = read_imm(d, bytes, 1, &in->imm)) != EMU_DEC_OK) return st;
            in->imm_size = (uint8_t)bytes;
            op->kind = EMU_OPK_REL;
            op->size = in->opsize;
            break;
        }
        case M_O: {
            uint64_t off;
            if ((st = read_imm(d, in->addrsize, 0, &off)) != EMU_DEC_OK) return st;
            in->disp = (int64_t)off;
            in->mem_base = in->mem_index = 0xff;
            in->mem_scale = 1;
            op->kind = EMU_OPK_MEM;
            op->size = (uint8_t)size;
            break;
        }
        case M_Z: set_reg(d, op, (d->opcode & 7) | d->rexb, size); break;
        case M_S:
            if ((in->modrm >> 3 & 7) > 5) return EMU_DEC_UD;
            op->kind = EMU_OPK_SREG;
            op->size = 2;
            op->reg = (uint8_t)((in->modrm >> 3) & 7);
            if (row->op == OP_MOV_TO_SREG && op->reg == EMU_SEG_CS) return EMU_DEC_UD;
            break;
        case M_C: {
            unsigned cr = reg;
            /* AMD: LOCK MOV CRn is CR8 in any mode (the CR8_LEGACY alternate encoding). */
            if (d->lock && (fl & R_LOCKANY)) {
                if (!emu_dec_has_feature(d->env, EMU_FEAT_CR8_LEGACY)) return EMU_DEC_UD;
                /* only CR0 has the alternate name: LOCK with REX.R (CR8..CR15) is #UD
                 * (hwdiff: F0 4C 0F 20 C3 is #UD on Zen 3) */
                if (cr & 8) return EMU_DEC_UD;
                cr |= 8;
                d->lock = 0;
                in->prefixes &= (uint16_t)~EMU_PFX_LOCK;
            }
            if (cr >= 16) return EMU_DEC_UD; /* APX R4 with CR: #UD */
            if (cr != 0 && cr != 2 && cr != 3 && cr != 4 && cr != 8) return EMU_DEC_UD;
            op->kind = EMU_OPK_CR;
            op->size = (uint8_t)size;
            op->reg = (uint8_t)cr;
            break;
        }
        case M_D:
            if (reg > 7) return EMU_DEC_UD;
            op->kind = EMU_OPK_DR;
            op->size = (uint8_t)size;
            op->reg = (uint8_t)reg;
            break;
        case M_A: {
            /* The offset is 2 or 4 bytes.  In 64-bit mode, where 9A and EA are #UD, REX.W
             * does not make it 8: the CPU sizes the instruction with a 4-byte offset (five
             * REX.W prefixes, 9A and ptr16:32 are 12 bytes and #UD, not 16 bytes and #GP;
             * hwdiff on Zen 3; tests/unit/test_hwdiff.c). */
            const unsigned osz = in->opsize == 8 ? 4 : in->opsize;
            uint64_t off, sel;
            if ((st = read_imm(d, osz, 0, &off)) != EMU_DEC_OK) return st;
            if ((st = read_imm(d, 2, 0, &sel)) != EMU_DEC_OK) return st;
            in->imm = off;
            in->imm2 = sel;
            in->imm_size = (uint8_t)(osz + 2);
            op->kind = EMU_OPK_FAR;
            op->size = (uint8_t)(osz + 2);
            break;
        }
        case M_FIX: set_reg(d, op, SPEC_P(spec), size); break;
        case M_FIXS:
            op->kind = EMU_OPK_SREG;
            op->size = 2;
            op->reg = (uint8_t)SPEC_P(spec);
            break;
        case M_ONE:
            op->kind = EMU_OPK_IMM;
            op->size = 1;
            in->imm = 1;
            break;
        case M_V: set_reg(d, op, m64 ? d->vvvv : d->vvvv & 7u, size); break;
        default: return EMU_DEC_UD;
        }
    }
    in->nops = (uint8_t)nops;

    /* A VEX/EVEX instruction that has no vvvv operand needs vvvv = 1111b (stored inverted). */
    int uses_v = 0;
    for (unsigned i = 0; i < 3; i++) uses_v |= SPEC_M(row->o[i]) == M_V;
    /* APX NDD: with ND = 1 the vvvv register is the destination (not an ops[] entry). */
    if ((fl & R_NDD) && d->nd) uses_v = 1;
    /* CCMP/CTEST keep the default flags value in vvvv (decoded in apx_decode.c). */
    if (d->vex && !(fl & R_SCC)) {
        if (!uses_v && d->vvvv) return EMU_DEC_UD;
        if ((fl & R_VEXL0) && d->vex_l) return EMU_DEC_UD;
    }
    in->vvvv = (uses_v && !(fl & R_SCC)) ? (uint8_t)(m64 ? d->vvvv : d->vvvv & 7u) : 0;

    if (d->lock && !((fl & R_LOCK) && nops && in->ops[0].kind == EMU_OPK_MEM)) return EMU_DEC_UD;

    in->op = row->op;
    in->aux = row->aux;
    in->row = row;

    /* 90: NOP (PAUSE with F3) unless REX.B makes it XCHG r8, rAX. */
    if ((fl & R_XCHGNOP) && d->rexb == 0) {
        in->op = (d->last_rep == 0xf3) ? OP_PAUSE : OP_NOP;
        in->nops = 0;
        __builtin_memset(in->ops, 0, sizeof in->ops);
    }
    in->length = (uint8_t)d->pos;
    return late_ud ? EMU_DEC_UD : EMU_DEC_OK;
}

/* VEX (C4/C5): map, vvvv, L, pp, W; the legacy prefixes it forbids; then the common tail. */
static enum emu_decode_status decode_vex(struct emu_dstate *d, uint8_t c)
{
    struct emu_insn *in = d->in;
    const int m64 = d->mode == EMU_MODE_LONG64;
    unsigned map;

    /* #UD, but only after the rest is fetched (a fetch fault on a later byte comes first:
     * hwdiff, LOCK VEX at the end of the code page is #PF on Zen 3) */
    if (d->lock || d->last_rep || d->osz || d->rex) {
        d->late_ud = 1;
        d->lock = 0;
    }
    if (c == 0xc5) {
        NEED(1);
        uint8_t p = d->b[d->pos++];
        d->rexr = (p & 0x80) ? 0 : 8;
        d->vvvv = (~p >> 3) & 15;
        d->vex_l = (p >> 2) & 1;
        d->pp = p & 3;
        map = 1;
    } else {
        NEED(2);
        uint8_t p1 = d->b[d->pos], p2 = d->b[d->pos + 1];
        d->pos += 2;
        d->rexr = (p1 & 0x80) ? 0 : 8;
        d->rexx = (p1 & 0x40) ? 0 : 8;
        d->rexb = (p1 & 0x20) ? 0 : 8;
        map = p1 & 0x1f;
        d->w = p2 >> 7;
        d->vvvv = (~p2 >> 3) & 15;
        d->vex_l = (p2 >> 2) & 1;
        d->pp = p2 & 3;
    }
    if (!m64) {
        /* Outside 64-bit mode only eight registers exist: R/X/B are ignored, vvvv[3] selects
         * nothing (but an unused vvvv must still be 1111b), and W does not widen GPRs. */
        d->rexr = d->rexx = d->rexb = 0;
        d->w = 0;
    }
    d->vex = 1;
    d->rex_any = 1;
    in->prefixes |= EMU_PFX_VEX;
    in->rex_w = d->w;
    NEED(1);
    c = d->b[d->pos++];
    d->opcode = c;
    in->opcode = c;
    in->map = (uint8_t)map;
    /* VEX does not exist in real-address and virtual-8086 mode. */
    if (d->mode == EMU_MODE_REAL || d->mode == EMU_MODE_V86) return EMU_DEC_UD;
    switch (map) {
    case 1: return EMU_DEC_UNKNOWN; /* AVX */
    case 2: return emu_dec_finish(d, &emu_vex2[c]);
    case 3: return emu_dec_finish(d, &emu_vex3[c]);
    default: return EMU_DEC_UD;
    }
}

static enum emu_decode_status decode(struct emu_dstate *d)
{
    struct emu_insn *in = d->in;
    const int m64 = d->mode == EMU_MODE_LONG64;
    uint8_t c;

    /* Legacy prefixes and REX. */
    for (;;) {
        NEED(1);
        c = d->b[d->pos];
        unsigned k = pfx_class[c];
        if (k == P_NONE) break;
        if (k == P_REX) {
            if (!m64) break; /* INC/DEC outside 64-bit mode */
            d->rex = c;
            d->pos++;
            continue;
        }
        switch (k) {
        case P_LOCK: d->lock = 1; in->prefixes |= EMU_PFX_LOCK; break;
        case P_REPNE: d->last_rep = 0xf2; break;
        case P_REP: d->last_rep = 0xf3; break;
        case P_SEG:
            /* In 64-bit mode the CS, DS, ES and SS prefixes are ignored (SDM 3.3.7.1, APM
             * 4.12.2): the default segment stays, which decides #SS versus #GP for a
             * non-canonical address (hwdiff: "26 29 ad ..." with a bad rBP is #SS). */
            if (m64 && c < 0x64) {
                in->prefixes |= EMU_PFX_SEG;
                break;
            }
            d->seg_override = 1;
            in->seg = (uint8_t)(c >= 0x64 ? (c == 0x64 ? EMU_SEG_FS : EMU_SEG_GS) : seg_of_prefix[(c >> 3) & 7]);
            in->prefixes |= EMU_PFX_SEG;
            break;
        case P_OSZ: d->osz = 1; in->prefixes |= EMU_PFX_OPSIZE; break;
        case P_ASZ: d->asz = 1; in->prefixes |= EMU_PFX_ADDRSIZE; break;
        }
        d->rex = 0; /* a REX followed by a legacy prefix is ignored */
        d->pos++;
    }
    if (d->last_rep == 0xf3) in->prefixes |= EMU_PFX_REP;
    if (d->last_rep == 0xf2) in->prefixes |= EMU_PFX_REPNE;
    if (!d->seg_override) in->seg = EMU_SEG_DS;

    /* Address size is known now. */
    if (m64) in->addrsize = d->asz ? 4 : 8;
    else {
        unsigned def = mode_is16(d->mode) ? 2 : 4;
        in->addrsize = (uint8_t)(d->asz ? 6 - def : def);
    }

    if (d->rex) {
        in->prefixes |= EMU_PFX_REX;
        d->rex_any = 1;
        d->w = (d->rex >> 3) & 1;
        d->rexr = (d->rex & 4) ? 8 : 0;
        d->rexx = (d->rex & 2) ? 8 : 0;
        d->rexb = (d->rex & 1) ? 8 : 0;
        in->rex_w = d->w;
    }

    d->pos++; /* the opcode byte c */
    /* Escapes that are not plain opcodes. */
    if (c == 0xc4 || c == 0xc5) {
        if (m64) return decode_vex(d, c);
        NEED(1);
        if (d->b[d->pos] >= 0xc0) return decode_vex(d, c);
    } else if (c == 0x62) {
        if (m64) return emu_dec_evex(d);
        NEED(1);
        if (d->b[d->pos] >= 0xc0) return emu_dec_evex(d);
    } else if (c == 0xd5 && m64) {
        return emu_dec_rex2(d);
    }

    const struct emu_oprow *row;
    if (c == 0x0f) {
        NEED(1);
        c = d->b[d->pos++];
        if (c == 0x38 || c == 0x3a) {
            in->map = c == 0x38 ? 2 : 3;
            NEED(1);
            c = d->b[d->pos++];
            row = in->map == 2 ? &emu_map2[c] : &emu_map3[c];
        } else {
            in->map = 1;
            row = &emu_map1[c];
        }
    } else {
        in->map = 0;
        row = &emu_map0[c];
    }
    d->opcode = c;
    in->opcode = c;
    return emu_dec_finish(d, row);
}

enum emu_decode_status emu_decode_insn(const struct emu_dec_env *env, const uint8_t *bytes,
                                       unsigned n, struct emu_insn *insn)
{
    struct emu_dstate d;
    __builtin_memset(&d, 0, sizeof d);
    __builtin_memset(insn, 0, sizeof *insn);
    d.env = env;
    d.b = bytes;
    d.n = n;
    d.in = insn;
    d.mode = env->mode;
    insn->mode = env->mode;
    insn->mem_base = insn->mem_index = 0xff;
    enum emu_decode_status st = decode(&d);
    insn->status = (uint8_t)st;
    if (st != EMU_DEC_OK) {
        insn->length = (uint8_t)(d.pos > 15 ? 15 : d.pos);
        if (st == EMU_DEC_UNKNOWN) insn->op = OP_NONE;
    }
    return st;
}
