/*
 * The generator: instruction forms from our opcode tables, with states biased to the edges, and
 * random byte strings.
 *
 * The forms are every leaf of tables/map*.c whose operation the engine executes (the walk takes
 * the AMD side of vendor nodes and the host's side of feature nodes; APX nodes are left out, the
 * host has no APX).  A case picks a form, then a mode (64-bit or compatibility, as the form
 * allows), an operand size (66 / REX.W), register or memory operands, REX extensions, the
 * prefixes that matter (LOCK, REP/REPNE, segment overrides, 67), immediates, and a state: register
 * values from the edges of the operand size (0, 1, -1, sign boundaries, with junk above it),
 * memory operands aimed at the middle or the edges of the test pages (straddling into the
 * read-only page or the hole, the code page, non-canonical and kernel addresses, misaligned with
 * AC), counts 0/1/large for shifts and REP, branch targets inside and outside the code page.
 */
#include "hw.h"

#include <stdlib.h>
#include <string.h>

#include <emulate/emulate_zydis.h>

#include "tables/tables.h"

uint64_t hw_rand(struct hw_rng *r)
{
    /* splitmix64: every seed gives a good stream */
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
static unsigned rnd(struct hw_rng *r, unsigned n) { return n ? (unsigned)(hw_rand(r) % n) : 0; }
static int chance(struct hw_rng *r, unsigned pct) { return rnd(r, 100) < pct; }

/* ---- the forms --------------------------------------------------------------------------------- */

enum { MAP_VEX2 = 5, MAP_VEX3 = 6 };

struct hw_form {
    const struct emu_oprow *row;
    uint8_t map, opc;
    int8_t reg, mod, rm, pfx, w, m64; /* constraints from the walk; -1 = free */
    uint8_t pfx_node;                 /* the path went through a mandatory-prefix node */
};

static struct hw_form *g_forms;
static unsigned g_nforms, g_capforms;

static void add_form(const struct hw_form *f)
{
    if (g_nforms == g_capforms) {
        g_capforms = g_capforms ? 2 * g_capforms : 1024;
        g_forms = realloc(g_forms, sizeof *g_forms * g_capforms);
        if (!g_forms) abort();
    }
    g_forms[g_nforms++] = *f;
}

static void walk(const struct emu_oprow *row, struct hw_form f, const struct emu_config *cfg)
{
    switch (row->kind) {
    case K_LEAF:
        if (row->op && row->op < OP_COUNT && emu_opinfo[row->op].exec && hw_family_of_op(row->op) != HWF_APX) {
            f.row = row;
            add_form(&f);
        }
        return;
    case K_GROUP:
        for (int i = 0; i < 8; i++) {
            f.reg = (int8_t)i;
            walk(&row->sub[i], f, cfg);
        }
        return;
    case K_MOD:
        for (int i = 0; i < 2; i++) {
            f.mod = (int8_t)i;
            walk(&row->sub[i], f, cfg);
        }
        return;
    case K_RM:
        for (int i = 0; i < 8; i++) {
            f.rm = (int8_t)i;
            f.mod = 1;
            walk(&row->sub[i], f, cfg);
        }
        return;
    case K_PFX:
        for (int i = 0; i < 4; i++) {
            f.pfx = (int8_t)i;
            f.pfx_node = 1;
            walk(&row->sub[i], f, cfg);
        }
        return;
    case K_W:
        for (int i = 0; i < 2; i++) {
            f.w = (int8_t)i;
            walk(&row->sub[i], f, cfg);
        }
        return;
    case K_MODE64:
        for (int i = 0; i < 2; i++) {
            f.m64 = (int8_t)i;
            walk(&row->sub[i], f, cfg);
        }
        return;
    case K_VENDOR:
        walk(&row->sub[cfg->vendor == EMU_VENDOR_AMD ? 1 : 0], f, cfg);
        return;
    case K_FEAT:
        walk(&row->sub[row->feat && emu_config_has_feature(cfg, (enum emu_feature)(row->feat - 1)) ? 1 : 0], f, cfg);
        return;
    default: /* UD, UNKNOWN, APX ND/NF nodes */
        return;
    }
}

static void build_forms(void)
{
    if (g_nforms) return;
    struct emu_config cfg = hw_config();
    const struct { const struct emu_oprow *t; uint8_t map; } maps[] = {
        { emu_map0, 0 }, { emu_map1, 1 }, { emu_map2, 2 }, { emu_map3, 3 }, { emu_vex2, MAP_VEX2 }, { emu_vex3, MAP_VEX3 },
    };
    for (unsigned m = 0; m < sizeof maps / sizeof maps[0]; m++)
        for (unsigned o = 0; o < 256; o++) {
            if (maps[m].map == 0 && o == 0x0f) continue;
            if (maps[m].map == 1 && (o == 0x38 || o == 0x3a)) continue;
            struct hw_form f = { NULL, maps[m].map, (uint8_t)o, -1, -1, -1, -1, -1, -1, 0 };
            walk(&maps[m].t[o], f, &cfg);
        }
}

unsigned hw_form_count(void)
{
    build_forms();
    return g_nforms;
}

/* ---- values ------------------------------------------------------------------------------------ */

static uint64_t mask_of(unsigned size) { return size >= 8 ? ~0ull : (1ull << (8 * size)) - 1; }

static uint64_t edge(struct hw_rng *r, unsigned size)
{
    const uint64_t m = mask_of(size), sb = 1ull << (8 * size - 1);
    switch (rnd(r, 14)) {
    case 0: return 0;
    case 1: return 1;
    case 2: return m;
    case 3: return sb;
    case 4: return sb - 1;
    case 5: return sb + 1;
    case 6: return m - 1;
    case 7: return 2;
    case 8: return (uint64_t)rnd(r, 64);
    case 9: return (1ull << rnd(r, 8 * size)) & m;
    case 10: return m ^ ((1ull << rnd(r, 8 * size)) & m);
    default: return hw_rand(r) & m;
    }
}

/* A register value: the operand in the low bytes, junk above, so that merges and zero-extension
 * show. */
static uint64_t with_junk(struct hw_rng *r, uint64_t v, unsigned size)
{
    if (size >= 8) return v;
    uint64_t junk = chance(r, 70) ? 0xdeadbeefcafef00dull : hw_rand(r);
    if (chance(r, 15)) junk = 0;
    return (junk & ~mask_of(size)) | (v & mask_of(size));
}

static const uint64_t count_edges[] = { 0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 0x81, 0xff };

/* An address for a memory operand of size bytes. */
static uint64_t target_addr(struct hw_rng *r, unsigned size, int compat, int *in_data)
{
    unsigned s = size ? size : 1;
    *in_data = 0;
    unsigned pick = rnd(r, 100);
    if (pick < 55) {
        *in_data = 1;
        uint64_t a = HW_DATA + 0x100 + rnd(r, 0xd00);
        if (chance(r, 70)) a &= ~(uint64_t)(s > 8 ? 7 : s - 1);
        return a;
    }
    if (pick < 63) return HW_DATA + HW_PAGE - 1 - rnd(r, s > 1 ? s - 1 : 1);    /* straddles into RO */
    if (pick < 71) return HW_RO + rnd(r, HW_PAGE - 16);
    if (pick < 75) return HW_RO + HW_PAGE - 1 - rnd(r, s > 1 ? s - 1 : 1);      /* RO into the hole */
    if (pick < 80) return HW_HOLE + rnd(r, HW_PAGE);
    if (pick < 85) return HW_CODE + rnd(r, HW_PAGE - 16);
    if (pick < 87) return HW_CODE - 1 - rnd(r, 8);
    if (pick < 92 && !compat) {
        static const uint64_t nc[] = { 0x8000000000000000ull, 0x0000800000000000ull, 0x00007ffffffffffcull,
                                       0xffff7ffffffffff8ull, 0x7fffffffffffffffull };
        return nc[rnd(r, 5)];
    }
    if (pick < 95 && !compat) return 0xffffffff80000000ull + rnd(r, 0x1000);
    if (pick < 97) return rnd(r, 0x100);
    *in_data = 1;
    return HW_DATA + 0x800;
}

/* ---- encoding ---------------------------------------------------------------------------------- */

struct enc {
    uint8_t b[32];
    unsigned n;
};
static void e1(struct enc *e, uint8_t v)
{
    if (e->n < sizeof e->b) e->b[e->n++] = v;
}
static void en(struct enc *e, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++) e1(e, (uint8_t)(v >> (8 * i)));
}

static unsigned spec_size(uint16_t spec, unsigned osz, int m64, int byte)
{
    switch (SPEC_S(spec)) {
    case S_B: return 1;
    case S_W: return 2;
    case S_D: return 4;
    case S_Q: return 8;
    case S_V: return byte ? 1 : osz;
    case S_STK: return byte ? 1 : osz == 2 ? 2 : 4; /* PUSH imm: imm16 or a sign-extended imm32 */
    case S_Z: return osz == 2 ? 2 : 4;
    case S_Y: return osz == 8 ? 8 : 4;
    case S_MW: return 2;
    case S_64: return m64 ? 8 : 4;
    case S_P: return 2 + osz;
    case S_A: return 2 * osz;
    case S_DQ: return 16;
    case S_DESC: return m64 ? 10 : 6;
    default: return 0;
    }
}

/* Registers an operation uses implicitly: never a memory base/index or an explicit operand. */
static unsigned implicit_regs(unsigned op)
{
    unsigned m = 1u << HW_RSP;
    switch (op) {
    case OP_MUL: case OP_IMUL1: case OP_DIV: case OP_IDIV: case OP_CWD: case OP_CBW:
        return m | 1u << HW_RAX | 1u << HW_RDX;
    case OP_MULX: return m | 1u << HW_RDX;
    case OP_CMPXCHG: case OP_LAHF: case OP_SAHF: case OP_SALC: return m | 1u << HW_RAX;
    case OP_CMPXCHG8B: case OP_CMPXCHG16B: return m | 0xf;
    case OP_XLAT: return m | 1u << HW_RBX | 1u << HW_RAX;
    case OP_ENTER: case OP_LEAVE: return m | 1u << HW_RBP;
    case OP_SHL: case OP_SHR: case OP_SAL: case OP_SAR: case OP_ROL: case OP_ROR: case OP_RCL: case OP_RCR:
    case OP_SHLD: case OP_SHRD: case OP_LOOP: case OP_LOOPE: case OP_LOOPNE: case OP_JRCXZ:
        return m | 1u << HW_RCX;
    case OP_MOVS: case OP_CMPS: case OP_STOS: case OP_LODS: case OP_SCAS: case OP_INS: case OP_OUTS:
        return m | 1u << HW_RCX | 1u << HW_RSI | 1u << HW_RDI | 1u << HW_RAX | 1u << HW_RDX;
    default: return m;
    }
}

static unsigned pick_reg(struct hw_rng *r, unsigned *used, int compat)
{
    unsigned nregs = compat ? 8 : 16;
    for (int tries = 0; tries < 64; tries++) {
        unsigned x = rnd(r, nregs);
        if (!(*used & (1u << x))) {
            *used |= 1u << x;
            return x;
        }
    }
    return HW_RBX;
}

/* A branch target: mostly on the INT3 fill of the code page (either side of the instruction),
 * sometimes the next instruction, outside the page, or a non-canonical address. */
static uint64_t branch_target(struct hw_rng *r, uint64_t start, unsigned n, int compat)
{
    switch (rnd(r, 10)) {
    case 0: return start + n;
    case 1: return HW_DATA + rnd(r, HW_PAGE);
    case 2: return HW_CODE - 0x100 - rnd(r, 0x1000);
    case 3: return compat ? 0xfffff000u + rnd(r, 0x1000) : 0x8000000000000000ull + rnd(r, 0x100);
    case 4: case 5: return start - 16 - rnd(r, 0x700);
    default: return start + n + 1 + rnd(r, 0x700);
    }
}

struct gen_state {
    struct hw_case *c;
    unsigned op, osz, asz, used;
    int compat, m64;
    uint64_t start;
    int membase;    /* the memory operand's base register, -1 if none */
};

/* Put a memory value at a data-page address (when the address is in the data page). */
static void put_mem(struct hw_case *c, uint64_t addr, uint64_t v, unsigned size)
{
    if (addr < HW_DATA || addr + size > HW_DATA + HW_PAGE || size > sizeof c->mem) return;
    unsigned off = (unsigned)(addr - HW_DATA);
    if (c->mem_n == 0) {
        c->mem_off = (uint16_t)off;
        c->mem_n = (uint8_t)size;
        for (unsigned i = 0; i < size; i++) c->mem[i] = (uint8_t)(v >> (8 * i));
    }
}

/* Encode ModRM (+SIB, displacement) for a memory operand aimed at target. */
static void enc_mem(struct hw_rng *r, struct gen_state *g, struct enc *e, unsigned regfield, uint64_t target)
{
    struct hw_case *c = g->c;
    if (g->asz == 2) {
        /* 16-bit addressing (67 in compatibility mode): [si], [di] or [bx] + disp16; the 64 KiB
         * effective address lands below the test pages: a #PF, or a wrap */
        static const unsigned rm16[3] = { 4, 5, 7 }, reg16[3] = { HW_RSI, HW_RDI, HW_RBX };
        unsigned k = rnd(r, 3);
        if (g->used & (1u << reg16[k])) k = 2;
        g->used |= 1u << reg16[k];
        e1(e, (uint8_t)(0x80 | (regfield & 7) << 3 | rm16[k]));
        uint16_t disp = (uint16_t)hw_rand(r);
        en(e, disp, 2);
        c->gpr[reg16[k]] = (hw_rand(r) & ~0xffffull) | (uint16_t)(target - disp);
        return;
    }
    const uint64_t amask = g->asz == 4 ? 0xffffffffull : ~0ull;
    unsigned kind = rnd(r, 10);
    if (kind == 0 && !g->compat) { /* RIP-relative: the caller patches the displacement */
        e1(e, (uint8_t)((regfield & 7) << 3 | 5));
        en(e, 0, 4);
        return;
    }
    if (kind == 1) { /* absolute disp32 (SIB without base and index in 64-bit mode) */
        if (g->compat) {
            e1(e, (uint8_t)((regfield & 7) << 3 | 5));
        } else {
            e1(e, (uint8_t)((regfield & 7) << 3 | 4));
            e1(e, 0x25);
        }
        en(e, (uint32_t)target, 4);
        return;
    }
    unsigned base = pick_reg(r, &g->used, g->compat);
    int64_t disp = 0;
    unsigned mod;
    switch (rnd(r, 4)) {
    case 0: mod = 0; break;
    case 1: mod = 1, disp = (int8_t)hw_rand(r); break;
    default: mod = 2, disp = chance(r, 50) ? (int32_t)rnd(r, 0x2000) - 0x1000 : (int32_t)hw_rand(r); break;
    }
    if (mod == 0 && (base & 7) == 5) mod = 1; /* [rbp]/[r13] need a displacement */
    int sib = (base & 7) == 4 || chance(r, 35);
    unsigned index = 4, scale = 0;
    uint64_t idxval = 0;
    if (sib && chance(r, 70)) {
        index = pick_reg(r, &g->used, g->compat);
        if (index == HW_RSP) index = 4; /* no index */
        scale = rnd(r, 4);
        if (index != 4) idxval = chance(r, 50) ? rnd(r, 16) : (uint64_t)(int64_t)((int32_t)rnd(r, 0x200) - 0x100);
    }
    if (sib) {
        e1(e, (uint8_t)(mod << 6 | (regfield & 7) << 3 | 4));
        e1(e, (uint8_t)(scale << 6 | (index & 7) << 3 | (base & 7)));
    } else {
        e1(e, (uint8_t)(mod << 6 | (regfield & 7) << 3 | (base & 7)));
    }
    if (mod == 1) en(e, (uint64_t)disp, 1);
    if (mod == 2) en(e, (uint64_t)disp, 4);
    if (index != 4) c->gpr[index] = idxval;
    uint64_t bv = (target - (uint64_t)disp - (index != 4 ? idxval << scale : 0)) & amask;
    if (g->asz == 4 && !g->compat) bv |= hw_rand(r) << 32; /* 67: the upper half is ignored */
    c->gpr[base] = bv;
    g->membase = (int)base;
    /* REX.B / REX.X are the caller's: remember them in the used-register bits above 16 */
    g->used |= (base >= 8 ? 1u << 16 : 0) | (index != 4 && index >= 8 ? 1u << 17 : 0);
}

/* ---- a table form -------------------------------------------------------------------------------- */

static int gen_form(struct hw_rng *r, const struct hw_form *f, struct hw_case *c)
{
    const struct emu_oprow *row = f->row;
    const unsigned op = row->op;
    const struct emu_opinfo *oi = &emu_opinfo[op];
    memset(c, 0, sizeof *c);
    c->rflags = HW_RFLAGS_BASE;
    c->code_off = HW_CODE_OFF;
    /* the mode */
    int can64 = !(row->flags & R_INV64) && f->m64 != 0, can32 = !(row->flags & R_ONLY64) && f->m64 != 1;
    if (oi->modes) {
        if (!(oi->modes & MODE_BIT(EMU_MODE_LONG64))) can64 = 0;
        if (!(oi->modes & MODE_BIT(EMU_MODE_COMPAT32))) can32 = 0;
    }
    if (f->map == 0 && (f->opc >= 0x40 && f->opc <= 0x4f)) can64 = 0;        /* REX in 64-bit mode */
    if (f->map == 0 && (f->opc == 0xc4 || f->opc == 0xc5 || f->opc == 0x62)) can64 = 0; /* VEX/EVEX */
    if (f->map == 0 && f->opc == 0xd5) can64 = 0;                           /* REX2 */
    int inv64 = 0;
    if (!can64 && !can32) return -1;
    if (can64 && can32) c->compat = chance(r, 20);
    else if (can32) {
        c->compat = 1;
        /* the #UD of an instruction invalid in 64-bit mode, now and then */
        const int escape64 = f->map == 0 && (f->opc == 0xc4 || f->opc == 0xc5 || f->opc == 0x62 ||
                                             f->opc == 0xd5 || (f->opc >= 0x40 && f->opc <= 0x4f));
        if ((row->flags & R_INV64) && f->m64 != 0 && chance(r, 10) && !escape64) {
            c->compat = 0;
            inv64 = 1;
        }
    }
    struct gen_state g = { c, op, 4, c->compat ? 4 : 8, implicit_regs(op), c->compat, !c->compat, HW_CODE + HW_CODE_OFF, -1 };
    const int byte = (row->flags & R_BYTE) != 0;
    const int vex = f->map == MAP_VEX2 || f->map == MAP_VEX3;
    /* the operand size */
    int rexw = f->w == 1;
    int p66 = 0;
    if (f->pfx_node) {
        if (f->pfx == 1) p66 = 1;
        if (!vex && f->w < 0 && g.m64 && chance(r, 50)) rexw = 1;
    } else if (!vex) {
        unsigned k = rnd(r, g.m64 ? 3 : 2);
        if (k == 1) p66 = 1;
        if (k == 2 && f->w < 0) rexw = 1;
    }
    if (f->w == 0) rexw = 0;
    if (vex) g.osz = f->w == 1 || (f->w < 0 && chance(r, 50) && g.m64) ? 8 : 4;
    else if (byte) g.osz = 1;
    else if ((row->flags & (R_D64 | R_F64)) && g.m64) g.osz = p66 ? 2 : 8;
    else if (row->flags & R_OP32) g.osz = rexw ? 8 : 4;
    else g.osz = rexw && g.m64 ? 8 : p66 && !(row->flags & R_MAND66) ? 2 : 4;
    if (vex && f->w < 0 && g.osz == 8) rexw = 1;
    int p67 = chance(r, 8);
    if (p67) g.asz = c->compat ? 2 : 4;
    unsigned seg = 0;
    if (chance(r, 10)) {
        static const uint8_t segs64[] = { 0x64, 0x65, 0x2e, 0x3e, 0x26, 0x36 };
        static const uint8_t segs32[] = { 0x2e, 0x3e, 0x26, 0x36, 0x64, 0x65 };
        seg = c->compat ? segs32[rnd(r, chance(r, 80) ? 4 : 6)] : segs64[rnd(r, 6)];
    }
    int lock = 0;
    int rep = 0;
    if (row->flags & R_REP) rep = rnd(r, 3); /* none, F3, F2 */
    if ((row->flags & R_F3PAUSE) && chance(r, 30)) rep = 1; /* F3 90 is PAUSE */
    /* operands */
    unsigned regfield = f->reg >= 0 ? (unsigned)f->reg : 0;
    /* a walk through a ModRM node (group, mod, rm) means a ModRM byte even without operands */
    int has_modrm = (row->flags & R_MODRM) != 0 || f->reg >= 0 || f->mod >= 0 || f->rm >= 0;
    int memform = -1;
    unsigned rm_reg = 0, vvvv = 0;
    uint64_t target = 0;
    int tgt_in_data = 0;
    unsigned memsize = 0;
    struct enc imm = { { 0 }, 0 };
    int z_reg = -1;
    uint16_t regspec = 0, rmspec = 0;
    for (int i = 0; i < 3; i++) {
        uint16_t s = row->o[i];
        if (!s) continue;
        switch (SPEC_M(s)) {
        case M_E: case M_M: case M_R: rmspec = s; has_modrm = 1; break;
        case M_G: case M_S: case M_C: case M_D: regspec = s; has_modrm = 1; break;
        default: break;
        }
    }
    /* memory or register form */
    if (has_modrm) {
        if (f->mod == 0) memform = 1;
        else if (f->mod == 1) memform = 0;
        else if (rmspec && SPEC_M(rmspec) == M_M) memform = 1;
        else if (rmspec && SPEC_M(rmspec) == M_R) memform = 0;
        else if (row->flags & (R_FORCEREG | R_REGONLY)) memform = 0;
        else memform = chance(r, 55);
        if (row->flags & R_FORCEREG) memform = 0;
    }
    if ((row->flags & R_LOCK) && memform == 1 && chance(r, 40)) lock = 1;
    else if (chance(r, 2)) lock = 1; /* #UD where LOCK is not allowed */
    if (rmspec) memsize = spec_size(rmspec, g.osz, g.m64, byte);
    else if (has_modrm) memsize = byte ? 1 : g.osz;
    if (has_modrm && memform == 0) {
        if (f->rm >= 0) rm_reg = (unsigned)f->rm | (g.m64 && chance(r, 20) ? 8 : 0);
        else rm_reg = pick_reg(r, &g.used, c->compat);
        if ((row->flags & R_FORCEREG) || f->rm >= 0) g.used |= 1u << rm_reg;
    }
    if (regspec && f->reg < 0) {
        if (SPEC_M(regspec) == M_G) regfield = pick_reg(r, &g.used, c->compat);
        else if (SPEC_M(regspec) == M_S) regfield = rnd(r, 8);
        else regfield = rnd(r, 16) & (g.m64 ? 15 : 7);
    } else if (has_modrm && f->reg < 0) {
        regfield = rnd(r, 8);
    }
    for (int i = 0; i < 3; i++)
        if (row->o[i] && SPEC_M(row->o[i]) == M_V) vvvv = pick_reg(r, &g.used, c->compat);
    for (int i = 0; i < 3; i++)
        if (row->o[i] && SPEC_M(row->o[i]) == M_Z) z_reg = (int)((f->opc & 7) | (g.m64 && chance(r, 25) ? 8 : 0));
    /* register values: every register an edge value of the operand size */
    for (int i = 0; i < 16; i++) c->gpr[i] = with_junk(r, edge(r, g.osz ? g.osz : 8), g.osz ? g.osz : 8);
    if (c->compat)
        for (int i = 0; i < 16; i++) c->gpr[i] = i < 8 ? c->gpr[i] & 0xffffffffull : 0;
    /* the stack: mostly the middle of the data page, sometimes its edges or worse */
    {
        uint64_t sp;
        unsigned k = rnd(r, 20);
        if (k < 14) sp = HW_DATA + 0x800 + 8 * rnd(r, 0x80) - 0x200;
        else if (k == 14) sp = HW_DATA + rnd(r, 16);
        else if (k == 15) sp = HW_DATA + HW_PAGE - rnd(r, 12);
        else if (k == 16) sp = HW_HOLE + 0x10;
        else if (k == 17) sp = c->compat ? 0 : 0x8000000000000010ull;
        else sp = HW_DATA + 0x800 + rnd(r, 8);
        c->gpr[HW_RSP] = sp;
    }
    c->data_fill = chance(r, 50) ? (uint32_t)hw_rand(r) | 1 : 0;
    c->ro_fill = chance(r, 30) ? (uint32_t)hw_rand(r) | 1 : 0;
    /* flags: edge patterns of the arithmetic flags, DF sometimes, AC (alignment checks) rarely,
     * TF (a single-step trap) rarely */
    {
        static const uint64_t fl[] = { 0, HW_ARITH, 0x001, 0x040, 0x800, 0x080, 0x010, 0x004, 0x8c1, 0x0c0 };
        c->rflags |= fl[rnd(r, 10)];
        if (chance(r, 30)) c->rflags |= hw_rand(r) & HW_ARITH;
        if (chance(r, 10)) c->rflags |= 0x400;
        if (chance(r, 5)) c->rflags |= 0x40000;
        if (chance(r, 2)) c->rflags |= HW_TF;
    }
    /* immediates */
    for (int i = 0; i < 3; i++) {
        uint16_t s = row->o[i];
        if (!s) continue;
        unsigned m = SPEC_M(s);
        if (m == M_I || m == M_IS || m == M_I2) {
            unsigned isz = SPEC_P(s) == 1 ? 1 : spec_size(s, g.osz, g.m64, byte);
            if (SPEC_S(s) == S_V && SPEC_P(s) != 1 && g.osz == 8 && op != OP_MOV) isz = 4;
            if (op == OP_ENTER && m == M_I2) isz = 1;
            uint64_t v;
            if (op == OP_SHL || op == OP_SHR || op == OP_SAR || op == OP_SAL || op == OP_ROL || op == OP_ROR ||
                op == OP_RCL || op == OP_RCR || op == OP_SHLD || op == OP_SHRD)
                v = count_edges[rnd(r, sizeof count_edges / sizeof count_edges[0])];
            else if (op == OP_ENTER && m == M_I2) v = chance(r, 60) ? rnd(r, 3) : rnd(r, 256);
            else if (op == OP_ENTER || op == OP_RET) v = chance(r, 50) ? 8 * rnd(r, 8) : edge(r, 2);
            else if (op == OP_INT) v = chance(r, 30) ? 3 : chance(r, 20) ? 4 : rnd(r, 256);
            else v = edge(r, isz);
            en(&imm, v, isz);
        } else if (m == M_J) {
            /* patched below, once the length is known */
            unsigned jsz = SPEC_S(s) == S_B ? 1 : (g.osz == 2 ? 2 : 4);
            en(&imm, 0, jsz);
        } else if (m == M_O) {
            en(&imm, 0, g.asz);
        } else if (m == M_A) {
            en(&imm, 0, g.osz == 2 ? 4 : 6);
        }
    }
    /* the memory target */
    if (memform == 1) {
        target = target_addr(r, memsize, c->compat, &tgt_in_data);
        if (c->compat || g.asz == 4) target &= 0xffffffffull;
        if (op == OP_BT || op == OP_BTS || op == OP_BTR || op == OP_BTC) {
            /* bit offsets reach beyond the operand: keep the base in the data page mostly */
            if (chance(r, 70)) target = HW_DATA + 0x800 + rnd(r, 0x100), tgt_in_data = 1;
        }
    }
    /* assemble: prefixes */
    struct enc e = { { 0 }, 0 };
    if (lock) e1(&e, 0xf0);
    if (seg) e1(&e, (uint8_t)seg);
    if (p67) e1(&e, 0x67);
    if (p66 && !vex) e1(&e, 0x66);
    if (rep && !f->pfx_node) e1(&e, rep == 1 ? 0xf3 : 0xf2);
    if (f->pfx_node && !vex && f->pfx >= 2) e1(&e, f->pfx == 2 ? 0xf3 : 0xf2);
    /* ModRM + SIB + displacement, encoded apart (REX needs to know the registers) */
    struct enc mr = { { 0 }, 0 };
    int riprel = 0;
    if (has_modrm) {
        if (memform == 1) {
            enc_mem(r, &g, &mr, regfield, target);
            riprel = mr.n == 5 && (mr.b[0] & 0xc7) == 5 && !c->compat;
            /* FS/GS in 64-bit mode: a base that the address calculation must add (and wrap
             * at 2^64), taken back out of the base register so the target stays */
            if ((seg == 0x64 || seg == 0x65) && g.m64 && chance(r, 60)) {
                static const uint64_t bases[] = { 0x1000, 0xfffffffffffff000ull, 0x8000000000000000ull,
                                                  0x100000000ull, 0xffff800000000000ull, 0x7fffffffffffull };
                uint64_t b = chance(r, 70) ? bases[rnd(r, 6)] : hw_rand(r);
                b = (uint64_t)((int64_t)(b << 16) >> 16); /* WRFSBASE takes canonical bases only */
                if (seg == 0x64) c->fs_base = b;
                else c->gs_base = b;
                if (g.membase >= 0 && g.asz == 8 && chance(r, 80)) c->gpr[g.membase] -= b;
            }
        } else {
            mr.b[0] = (uint8_t)(0xc0 | (regfield & 7) << 3 | (rm_reg & 7));
            mr.n = 1;
        }
    }
    unsigned rex = 0;
    if (g.m64) {
        if (rexw) rex |= 8;
        if (has_modrm && (regfield & 8)) rex |= 4;
        if (has_modrm && memform == 1 && (g.used & (1u << 17))) rex |= 2;
        if (has_modrm && memform == 1 && (g.used & (1u << 16))) rex |= 1;
        if (has_modrm && memform == 0 && (rm_reg & 8)) rex |= 1;
        if (z_reg >= 8) rex |= 1;
    }
    int rex40 = g.m64 && byte && chance(r, 30);
    if (vex) {
        /* C4 RXB.mmmmm W.vvvv.L.pp */
        unsigned pp = f->pfx_node && f->pfx > 0 ? (unsigned)f->pfx : 0;
        e1(&e, 0xc4);
        e1(&e, (uint8_t)(((rex & 4) ? 0 : 0x80) | ((rex & 2) ? 0 : 0x40) | ((rex & 1) ? 0 : 0x20) | (f->map == MAP_VEX2 ? 2 : 3)));
        e1(&e, (uint8_t)((rexw ? 0x80 : 0) | ((~vvvv & 15) << 3) | pp));
    } else {
        if (rex || rex40) e1(&e, (uint8_t)(0x40 | rex));
        if (f->map >= 1) e1(&e, 0x0f);
        if (f->map == 2) e1(&e, 0x38);
        if (f->map == 3) e1(&e, 0x3a);
    }
    e1(&e, f->opc);
    const unsigned mr_at = e.n;
    for (unsigned i = 0; i < mr.n; i++) e1(&e, mr.b[i]);
    const unsigned imm_at = e.n;
    for (unsigned i = 0; i < imm.n; i++) e1(&e, imm.b[i]);
    if (e.n > 15) return -1;
    memcpy(c->bytes, e.b, e.n);
    c->n = (uint8_t)e.n;
    const uint64_t end = g.start + c->n;
    if (riprel) {
        uint32_t d = (uint32_t)(target - end);
        memcpy(c->bytes + mr_at + 1, &d, 4);
    }
    /* operand values that depend on the operation */
    if (memform == 1 && tgt_in_data && memsize && memsize <= 16) put_mem(c, target, with_junk(r, edge(r, memsize > 8 ? 8 : memsize), 8), memsize > 8 ? 8 : memsize);
    for (int i = 0; i < 3; i++) {
        uint16_t s = row->o[i];
        if (!s) continue;
        if (SPEC_M(s) == M_J) {
            uint64_t t = branch_target(r, g.start, c->n, c->compat);
            const unsigned jsz = SPEC_S(s) == S_B ? 1 : (g.osz == 2 ? 2 : 4);
            int64_t d = (int64_t)(t - end);
            if (jsz == 1 && (d < -128 || d > 127)) d = (int64_t)rnd(r, 120) - 60;
            if (jsz == 1 && d < 0 && d > -(int64_t)c->n - 1) d = 2;
            for (unsigned k = 0; k < jsz; k++) c->bytes[imm_at + k] = (uint8_t)((uint64_t)d >> (8 * k));
        } else if (SPEC_M(s) == M_O) {
            int in_d;
            uint64_t a = target_addr(r, byte ? 1 : g.osz, c->compat, &in_d);
            if (g.asz == 4) a &= 0xffffffffull;
            for (unsigned k = 0; k < g.asz; k++) c->bytes[imm_at + k] = (uint8_t)(a >> (8 * k));
            if (in_d) put_mem(c, a, edge(r, 8), byte ? 1 : g.osz);
        } else if (SPEC_M(s) == M_FIX && SPEC_P(s) == 1) {
            c->gpr[HW_RCX] = with_junk(r, count_edges[rnd(r, sizeof count_edges / sizeof count_edges[0])], 1);
        }
    }
    /* per-family state */
    switch (hw_family_of_op(op)) {
    case HWF_SHIFT:
        if (op == OP_SHLD || op == OP_SHRD || chance(r, 80))
            c->gpr[HW_RCX] = (c->gpr[HW_RCX] & ~0xffull) | count_edges[rnd(r, sizeof count_edges / sizeof count_edges[0])];
        break;
    case HWF_STRING: {
        static const uint64_t counts[] = { 0, 1, 2, 3, 7, 16, 255, 0x1000, 0x100000, 0xffffffffffffffffull };
        int in1, in2;
        unsigned es = byte ? 1 : g.osz;
        c->gpr[HW_RSI] = target_addr(r, es, c->compat, &in1);
        c->gpr[HW_RDI] = target_addr(r, es, c->compat, &in2);
        if (chance(r, 60)) c->gpr[HW_RSI] = HW_DATA + 0x400 + rnd(r, 0x400);
        if (chance(r, 60)) c->gpr[HW_RDI] = HW_DATA + 0x800 + rnd(r, 0x400);
        c->gpr[HW_RCX] = counts[rnd(r, sizeof counts / sizeof counts[0])];
        if (chance(r, 20)) c->gpr[HW_RCX] |= 0xdead000000000000ull;
        if (c->compat || g.asz == 4) {
            c->gpr[HW_RSI] &= 0xffffffffull;
            c->gpr[HW_RDI] &= 0xffffffffull;
            if (c->compat) c->gpr[HW_RCX] &= 0xffffffffull;
        }
        if (chance(r, 50)) c->rflags |= 0x400;
        else c->rflags &= ~0x400ull;
        if (chance(r, 50)) c->data_fill = 0; /* equal strings for CMPS */
        break;
    }
    case HWF_BRANCH:
        if (op == OP_JMP_IND || op == OP_CALL_IND) {
            uint64_t t = branch_target(r, g.start, c->n, c->compat);
            if (g.osz == 2 || c->compat) t &= g.osz == 2 ? 0xffff : 0xffffffffull;
            if (memform == 1) put_mem(c, target, t, g.osz);
            else c->gpr[rm_reg] = t;
        } else if (op == OP_RET) {
            uint64_t t = branch_target(r, g.start, c->n, c->compat);
            put_mem(c, c->gpr[HW_RSP], t, g.osz);
        } else if (op == OP_LOOP || op == OP_LOOPE || op == OP_LOOPNE || op == OP_JRCXZ) {
            static const uint64_t cx[] = { 0, 1, 2, 0x100000000ull, 0x10000, 0xffffffffffffffffull };
            c->gpr[HW_RCX] = cx[rnd(r, 6)];
            if (c->compat) c->gpr[HW_RCX] &= 0xffffffffull;
        }
        break;
    case HWF_STACK:
        if (op == OP_POPF) put_mem(c, c->gpr[HW_RSP], chance(r, 50) ? (hw_rand(r) & 0x3f7fd7) | 2 : edge(r, 8), 8);
        else if (op == OP_POP || op == OP_LEAVE || op == OP_POPA) put_mem(c, c->gpr[HW_RSP], edge(r, 8), 8);
        if (op == OP_LEAVE || op == OP_ENTER) {
            c->gpr[HW_RBP] = chance(r, 80) ? HW_DATA + 0x900 + 8 * rnd(r, 0x40) : c->gpr[HW_RBP];
            if (c->compat) c->gpr[HW_RBP] &= 0xffffffffull;
        }
        break;
    case HWF_MULDIV:
        if (op == OP_DIV || op == OP_IDIV) {
            unsigned k = rnd(r, 4);
            if (k == 0) c->gpr[HW_RDX] &= ~mask_of(g.osz); /* a dividend that fits */
            if (k == 1) c->gpr[HW_RDX] |= mask_of(g.osz);   /* a negative one */
        }
        break;
    default:
        break;
    }
    if (op == OP_XLAT) c->gpr[HW_RBX] = HW_DATA + rnd(r, 0xf00);
    if (inv64) c->compat = 0;
    /* compatibility mode: the upper halves and R8-R15 are not architectural there (and not
     * preserved across the mode switch): zero in the inputs */
    if (c->compat)
        for (int i = 0; i < 16; i++) c->gpr[i] = i < 8 ? c->gpr[i] & 0xffffffffull : 0;
    snprintf(c->name, sizeof c->name, "%s%s%u%s%s%s%s", emu_mnemonic(op), inv64 ? " (64-bit #UD)" : " ",
             byte ? 8 : 8 * g.osz, memform == 1 ? " mem" : memform == 0 ? " reg" : "", lock ? " lock" : "",
             rep ? " rep" : "", c->compat ? " compat32" : "");
    c->family = (uint8_t)hw_family_of_op(op);
    return 0;
}

/* ---- random byte strings ----------------------------------------------------------------------- */

static void gen_random(struct hw_rng *r, struct hw_case *c)
{
    memset(c, 0, sizeof *c);
    c->compat = chance(r, 20);
    c->code_off = HW_CODE_OFF;
    c->rflags = HW_RFLAGS_BASE | (hw_rand(r) & (HW_ARITH | 0x400));
    if (chance(r, 3)) c->rflags |= 0x40000;
    /* 15 bytes, cut to the decoded length below (a prefix alone would run into the INT3 fill) */
    unsigned n = 15;
    static const uint8_t first[] = { 0x0f, 0x66, 0x67, 0xf0, 0xf2, 0xf3, 0x48, 0x4c, 0x41, 0x26, 0x64, 0x65, 0xc4, 0xc5, 0x62, 0xd5 };
    for (unsigned i = 0; i < n; i++) c->bytes[i] = (uint8_t)hw_rand(r);
    if (chance(r, 50)) c->bytes[0] = first[rnd(r, sizeof first)];
    if (c->bytes[0] == 0x0f && n > 1 && chance(r, 30)) c->bytes[1] = chance(r, 50) ? 0x38 : 0x3a;
    c->n = (uint8_t)n;
    for (int i = 0; i < 16; i++) c->gpr[i] = with_junk(r, edge(r, 8), 8);
    /* the usual base registers point into the data page, so that memory forms touch memory */
    static const int bases[] = { HW_RBX, HW_RSI, HW_RDI, HW_RBP, HW_RAX, HW_RCX };
    for (unsigned i = 0; i < sizeof bases / sizeof bases[0]; i++)
        if (chance(r, 60)) c->gpr[bases[i]] = HW_DATA + 0x100 * rnd(r, 16) + rnd(r, 0x40);
    c->gpr[HW_RSP] = HW_DATA + 0x800 + 8 * rnd(r, 0x40);
    if (c->compat)
        for (int i = 0; i < 16; i++) c->gpr[i] = i < 8 ? c->gpr[i] & 0xffffffffull : 0;
    c->data_fill = chance(r, 50) ? (uint32_t)hw_rand(r) | 1 : 0;
    c->random = 1;
    struct emu_insn in;
    unsigned op = hw_decode_op(c, &in);
    if (op && in.length && in.length <= c->n) c->n = in.length;
    else if (!op) {
        /* not ours (SSE, x87...): Zydis knows the length, so the CPU runs that one instruction
         * and lands on the INT3 fill, as for ours */
        unsigned len;
        const char *mn;
        struct emu_config cfg = hw_config();
        if (emu_zydis_decode(c->compat ? EMU_MODE_COMPAT32 : EMU_MODE_LONG64, cfg.vendor == EMU_VENDOR_AMD, c->bytes,
                             c->n, &len, &mn) && len && len <= c->n)
            c->n = (uint8_t)len;
    }
    c->family = (uint8_t)hw_family_of_op(op);
    snprintf(c->name, sizeof c->name, "random %s%s", op ? emu_mnemonic(op) : "(unknown)", c->compat ? " compat32" : "");
}

int hw_generate(struct hw_rng *r, int family, struct hw_case *c)
{
    build_forms();
    for (int tries = 0; tries < 10000; tries++) {
        if (rnd(r, 8) == 0) {
            gen_random(r, c);
            if (family < 0 || c->family == family) return 0;
            continue;
        }
        const struct hw_form *f = &g_forms[rnd(r, g_nforms)];
        if (family >= 0 && hw_family_of_op(f->row->op) != (enum hw_family)family) continue;
        if (gen_form(r, f, c)) continue;
        /* the generator must produce exactly one instruction: our decoder's length agrees */
        struct emu_insn in;
        unsigned dop = hw_decode_op(c, &in);
        if (dop && in.length && in.length != c->n) continue;
        /* an instruction straddling the end of the code page, now and then */
        if (chance(r, 1) && c->n > 1) c->code_off = (uint16_t)(HW_PAGE - 1 - rnd(r, c->n - 1));
        return 0;
    }
    return -1;
}
