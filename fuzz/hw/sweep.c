/*
 * The fixed edge-input sweeps of the shift, muldiv, bits, BMI and BCD families (the old
 * scripts/hwcheck, whose exhaustive value grids complement the generator's random picks), the
 * page-edge and LOCK variants, and the encoders they use.  The curated cases of
 * tests/vectors/gp_long64_cpl3.jsonl are in curated.c.  These cases run at HW_CODE itself
 * (code_off 0), with RSI = data + 0x800 and RSP = data + 0xf00.
 */
#include "hw.h"

#include <stdlib.h>
#include <string.h>

/* Form of the r/m operand. */
enum { RM_REG = 0, RM_MEM = 1 };

struct hw_case *hw_add(struct hw_caselist *l)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 1024;
        l->v = realloc(l->v, sizeof *l->v * l->cap);
        if (!l->v) {
            fprintf(stderr, "emulate: out of memory\n");
            exit(3);
        }
    }
    struct hw_case *c = &l->v[l->n++];
    memset(c, 0, sizeof *c);
    c->rflags = HW_RFLAGS_BASE;
    c->gpr[HW_RSP] = HW_DATA + 0xf00;
    c->gpr[HW_RSI] = HW_DATA + 0x800;
    return c;
}

static unsigned hw_enc(uint8_t *b, unsigned size, int mand, const uint8_t *op, unsigned nop, unsigned reg,
                int form, unsigned rm, const uint8_t *imm, unsigned nimm)
{
    unsigned n = 0;
    if (size == 2) b[n++] = 0x66;
    if (mand) b[n++] = (uint8_t)mand;
    unsigned rex = (size == 8 ? 8u : 0u) | (reg >= 8 ? 4u : 0u) | (form == RM_REG && rm >= 8 ? 1u : 0u);
    if (rex) b[n++] = (uint8_t)(0x40 | rex);
    memcpy(b + n, op, nop);
    n += nop;
    b[n++] = form == RM_MEM ? (uint8_t)(((reg & 7) << 3) | HW_RSI) : (uint8_t)(0xc0 | ((reg & 7) << 3) | (rm & 7));
    if (nimm) memcpy(b + n, imm, nimm);
    return n + nimm;
}

static unsigned hw_vex(uint8_t *b, unsigned map, unsigned pp, int w, unsigned vvvv, uint8_t opcode, unsigned reg,
                int form, unsigned rm, const uint8_t *imm, unsigned nimm)
{
    unsigned n = 0;
    b[n++] = 0xc4;
    b[n++] = (uint8_t)((reg >= 8 ? 0 : 0x80) | 0x40 | (form == RM_REG && rm >= 8 ? 0 : 0x20) | map);
    b[n++] = (uint8_t)((w ? 0x80 : 0) | ((~vvvv & 15) << 3) | pp);
    b[n++] = opcode;
    b[n++] = form == RM_MEM ? (uint8_t)(((reg & 7) << 3) | HW_RSI) : (uint8_t)(0xc0 | ((reg & 7) << 3) | (rm & 7));
    if (nimm) memcpy(b + n, imm, nimm);
    return n + nimm;
}

static uint64_t mask_of(unsigned size) { return size >= 8 ? ~0ull : (1ull << (8 * size)) - 1; }

/* Edge values of an operand size: 0, 1, 2, -1, -2, INT_MIN, INT_MAX, INT_MIN+1, patterns. */
static unsigned edge_values(unsigned size, uint64_t *v)
{
    const uint64_t m = mask_of(size), sb = 1ull << (8 * size - 1);
    unsigned n = 0;
    v[n++] = 0;
    v[n++] = 1;
    v[n++] = 2;
    v[n++] = m;
    v[n++] = m - 1;
    v[n++] = sb;
    v[n++] = sb - 1;
    v[n++] = sb + 1;
    v[n++] = 0xa5a5a5a5a5a5a5a5ull & m;
    v[n++] = 0x0123456789abcdefull & m;
    v[n++] = 0xfedcba9876543210ull & m;
    v[n++] = (sb >> 1) | 1;
    return n;
}

/* Put a value in a register without touching the bits an operand size leaves alone: the upper
 * bytes are a recognisable pattern so that merges and zero-extensions show. */
static uint64_t with_junk(uint64_t v, unsigned size)
{
    const uint64_t junk = 0xdeadbeefcafef00dull;
    return size >= 8 ? v : (junk & ~mask_of(size)) | (v & mask_of(size));
}

static void name(struct hw_case *c, const char *fmt_op, unsigned size, int form, const char *extra)
{
    snprintf(c->name, sizeof c->name, "%s%u %s%s%s", fmt_op, 8 * size, form == RM_MEM ? "mem" : "reg",
             extra && *extra ? " " : "", extra ? extra : "");
}

/* Memory form: the operand is at [rsi] = HW_DATA + 0x800. */
static void set_rm(struct hw_case *c, int form, unsigned rm, uint64_t v, unsigned size)
{
    if (form == RM_MEM) {
        c->mem_off = 0x800;
        c->mem_n = size;
        for (unsigned i = 0; i < size; i++) c->mem[i] = (uint8_t)(v >> (8 * i));
    } else {
        c->gpr[rm] = with_junk(v, size);
    }
}

/* ---- shifts ------------------------------------------------------------------------------ */

static const char *const shift_names[8] = { "rol", "ror", "rcl", "rcr", "shl", "shr", "sal", "sar" };

static void sweep_shift(struct hw_caselist *l)
{
    static const unsigned counts[] = { 0, 1, 2, 3, 4, 7, 8, 9, 15, 16, 17, 18, 31, 32, 33, 47, 48, 63, 64, 65, 0x81, 0xff };
    const unsigned sizes[] = { 1, 2, 4, 8 };
    for (unsigned op = 0; op < 8; op++)
        for (unsigned si = 0; si < 4; si++)
            for (int form = 0; form < 2; form++) {
                const unsigned size = sizes[si];
                uint64_t vals[16];
                unsigned nv = edge_values(size, vals);
                for (unsigned vi = 0; vi < nv; vi++)
                    for (unsigned ci = 0; ci < sizeof counts / sizeof counts[0]; ci++)
                        for (int fl = 0; fl < 2; fl++) {
                            const unsigned cnt = counts[ci];
                            /* by CL */
                            struct hw_case *c = hw_add(l);
                            const uint8_t opc = size == 1 ? 0xd2 : 0xd3;
                            c->n = hw_enc(c->bytes, size, 0, &opc, 1, op, form, HW_RBX, NULL, 0);
                            set_rm(c, form, HW_RBX, vals[vi], size);
                            c->gpr[HW_RCX] = 0x1200 | cnt;
                            c->rflags |= fl ? HW_ARITH : 0;
                            char x[48];
                            snprintf(x, sizeof x, "cl=%u v=%llx fl=%d", cnt, (unsigned long long)vals[vi], fl);
                            name(c, shift_names[op], size, form, x);
                            /* by imm8 (fewer values), and by 1 */
                            if (vi % 3 == 0) {
                                c = hw_add(l);
                                const uint8_t opi = size == 1 ? 0xc0 : 0xc1;
                                const uint8_t imm = (uint8_t)cnt;
                                c->n = hw_enc(c->bytes, size, 0, &opi, 1, op, form, HW_RBX, &imm, 1);
                                set_rm(c, form, HW_RBX, vals[vi], size);
                                c->rflags |= fl ? HW_ARITH : 0;
                                snprintf(x, sizeof x, "imm=%u v=%llx fl=%d", cnt, (unsigned long long)vals[vi], fl);
                                name(c, shift_names[op], size, form, x);
                            }
                            if (ci == 0) {
                                c = hw_add(l);
                                const uint8_t op1 = size == 1 ? 0xd0 : 0xd1;
                                c->n = hw_enc(c->bytes, size, 0, &op1, 1, op, form, HW_RBX, NULL, 0);
                                set_rm(c, form, HW_RBX, vals[vi], size);
                                c->rflags |= fl ? HW_ARITH : 0;
                                snprintf(x, sizeof x, "by1 v=%llx fl=%d", (unsigned long long)vals[vi], fl);
                                name(c, shift_names[op], size, form, x);
                            }
                        }
            }
    /* a high-byte register (AH) */
    for (unsigned op = 0; op < 8; op++) {
        struct hw_case *c = hw_add(l);
        const uint8_t opc = 0xd2;
        c->n = hw_enc(c->bytes, 1, 0, &opc, 1, op, RM_REG, 4 /* AH */, NULL, 0);
        c->gpr[HW_RAX] = 0x1122334455668177ull;
        c->gpr[HW_RCX] = 3;
        snprintf(c->name, sizeof c->name, "%s ah, cl=3", shift_names[op]);
    }
    /* SHLD / SHRD: 0F A4/AC imm8, 0F A5/AD CL */
    static const unsigned dcounts[] = { 0, 1, 2, 7, 8, 15, 16, 17, 24, 31, 32, 33, 48, 63, 64, 0xff };
    for (int shr = 0; shr < 2; shr++)
        for (unsigned si = 1; si < 4; si++)
            for (int form = 0; form < 2; form++) {
                const unsigned size = sizes[si];
                uint64_t vals[16];
                unsigned nv = edge_values(size, vals);
                for (unsigned vi = 0; vi < nv; vi++)
                    for (unsigned wi = 0; wi < nv; wi += 2)
                        for (unsigned ci = 0; ci < sizeof dcounts / sizeof dcounts[0]; ci++) {
                            struct hw_case *c = hw_add(l);
                            const uint8_t opc[2] = { 0x0f, (uint8_t)(shr ? 0xad : 0xa5) };
                            c->n = hw_enc(c->bytes, size, 0, opc, 2, HW_RDX, form, HW_RBX, NULL, 0);
                            set_rm(c, form, HW_RBX, vals[vi], size);
                            c->gpr[HW_RDX] = with_junk(vals[wi], size);
                            c->gpr[HW_RCX] = 0x3300 | dcounts[ci];
                            c->rflags |= (vi + ci) & 1 ? HW_ARITH : 0;
                            char x[64];
                            snprintf(x, sizeof x, "cl=%u d=%llx s=%llx", dcounts[ci], (unsigned long long)vals[vi],
                                     (unsigned long long)vals[wi]);
                            name(c, shr ? "shrd" : "shld", size, form, x);
                            if (wi == 0) {
                                c = hw_add(l);
                                const uint8_t opi[2] = { 0x0f, (uint8_t)(shr ? 0xac : 0xa4) };
                                const uint8_t imm = (uint8_t)dcounts[ci];
                                c->n = hw_enc(c->bytes, size, 0, opi, 2, HW_RDX, form, HW_RBX, &imm, 1);
                                set_rm(c, form, HW_RBX, vals[vi], size);
                                c->gpr[HW_RDX] = with_junk(vals[(vi + 3) % nv], size);
                                snprintf(x, sizeof x, "imm=%u d=%llx", dcounts[ci], (unsigned long long)vals[vi]);
                                name(c, shr ? "shrd" : "shld", size, form, x);
                            }
                        }
            }
}

/* ---- multiply and divide ----------------------------------------------------------------- */

static void sweep_muldiv(struct hw_caselist *l)
{
    static const char *const nm[4] = { "mul", "imul1", "div", "idiv" };
    const unsigned sizes[] = { 1, 2, 4, 8 };
    for (unsigned op = 0; op < 4; op++)
        for (unsigned si = 0; si < 4; si++)
            for (int form = 0; form < 2; form++) {
                const unsigned size = sizes[si];
                uint64_t vals[16];
                unsigned nv = edge_values(size, vals);
                for (unsigned a = 0; a < nv; a++)
                    for (unsigned s = 0; s < nv; s++)
                        for (unsigned d = 0; d < (op >= 2 ? 6u : 1u); d++) {
                            /* the high half of the dividend: 0, 1, -1, small, INT_MIN, INT_MAX */
                            static const unsigned hi_pick[6] = { 0, 1, 3, 2, 5, 6 };
                            struct hw_case *c = hw_add(l);
                            const uint8_t opc = size == 1 ? 0xf6 : 0xf7;
                            c->n = hw_enc(c->bytes, size, 0, &opc, 1, 4 + op, form, HW_RBX, NULL, 0);
                            set_rm(c, form, HW_RBX, vals[s], size);
                            uint64_t hi = d ? vals[hi_pick[d]] : 0;
                            if (op == 3 && d == 0 && (vals[a] & (1ull << (8 * size - 1))))
                                hi = mask_of(size); /* a sign-extended dividend */
                            if (size == 1) {
                                c->gpr[HW_RAX] = with_junk((vals[a] & 0xff) | (hi & 0xff) << 8, 2);
                                c->gpr[HW_RDX] = 0x5555555555555555ull;
                            } else {
                                c->gpr[HW_RAX] = with_junk(vals[a], size);
                                c->gpr[HW_RDX] = with_junk(hi, size);
                            }
                            c->rflags |= (a + s) & 1 ? HW_ARITH : 0;
                            char x[80];
                            snprintf(x, sizeof x, "a=%llx hi=%llx s=%llx", (unsigned long long)vals[a],
                                     (unsigned long long)hi, (unsigned long long)vals[s]);
                            name(c, nm[op], size, form, x);
                        }
            }
    /* IMUL r, r/m (0F AF); IMUL r, r/m, imm32 (69) and imm8 (6B) */
    for (unsigned si = 1; si < 4; si++)
        for (int form = 0; form < 2; form++) {
            const unsigned size = sizes[si];
            uint64_t vals[16];
            unsigned nv = edge_values(size, vals);
            for (unsigned a = 0; a < nv; a++)
                for (unsigned s = 0; s < nv; s++) {
                    struct hw_case *c = hw_add(l);
                    const uint8_t opc[2] = { 0x0f, 0xaf };
                    c->n = hw_enc(c->bytes, size, 0, opc, 2, HW_RDX, form, HW_RBX, NULL, 0);
                    set_rm(c, form, HW_RBX, vals[s], size);
                    c->gpr[HW_RDX] = with_junk(vals[a], size);
                    c->rflags |= (a + s) & 1 ? HW_ARITH : 0;
                    char x[64];
                    snprintf(x, sizeof x, "a=%llx s=%llx", (unsigned long long)vals[a], (unsigned long long)vals[s]);
                    name(c, "imul2 ", size, form, x);

                    c = hw_add(l);
                    const uint8_t o69 = 0x69;
                    uint8_t imm[4];
                    uint32_t iv = (uint32_t)vals[a];
                    memcpy(imm, &iv, 4);
                    c->n = hw_enc(c->bytes, size, 0, &o69, 1, HW_RDX, form, HW_RBX, imm, size == 2 ? 2 : 4);
                    set_rm(c, form, HW_RBX, vals[s], size);
                    c->gpr[HW_RDX] = 0x7777777777777777ull;
                    snprintf(x, sizeof x, "imm=%x s=%llx", iv, (unsigned long long)vals[s]);
                    name(c, "imul3 ", size, form, x);

                    c = hw_add(l);
                    const uint8_t o6b = 0x6b;
                    c->n = hw_enc(c->bytes, size, 0, &o6b, 1, HW_RDX, form, HW_RBX, imm, 1);
                    set_rm(c, form, HW_RBX, vals[s], size);
                    snprintf(x, sizeof x, "imm8=%x s=%llx", iv & 0xff, (unsigned long long)vals[s]);
                    name(c, "imul3b ", size, form, x);
                }
        }
}

/* ---- bit instructions -------------------------------------------------------------------- */

static void sweep_bits(struct hw_caselist *l)
{
    static const char *const btn[4] = { "bt", "bts", "btr", "btc" };
    static const uint8_t btop[4] = { 0xa3, 0xab, 0xb3, 0xbb };
    static const int64_t offs[] = { 0, 1, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 1000,
                                    -1, -2, -8, -9, -16, -17, -31, -32, -33, -63, -64, -65, -1000,
                                    0x7fff, -0x7fff };
    const unsigned sizes[] = { 2, 4, 8 };
    for (unsigned op = 0; op < 4; op++)
        for (unsigned si = 0; si < 3; si++) {
            const unsigned size = sizes[si];
            for (int form = 0; form < 2; form++)
                for (unsigned oi = 0; oi < sizeof offs / sizeof offs[0]; oi++)
                    for (int fl = 0; fl < 2; fl++) {
                        /* register bit offset */
                        struct hw_case *c = hw_add(l);
                        const uint8_t opc[2] = { 0x0f, btop[op] };
                        c->n = hw_enc(c->bytes, size, 0, opc, 2, HW_RDX, form, HW_RBX, NULL, 0);
                        c->data_fill = 1;
                        c->gpr[HW_RBX] = 0x8421f00f5aa5c3c3ull;
                        /* the offset register: junk above the operand size (it must be ignored) */
                        uint64_t off = (uint64_t)offs[oi];
                        c->gpr[HW_RDX] = size == 8 ? off : with_junk(off & mask_of(size), size);
                        c->rflags |= fl ? HW_ARITH : 0;
                        char x[48];
                        snprintf(x, sizeof x, "off=%lld fl=%d", (long long)offs[oi], fl);
                        name(c, btn[op], size, form, x);
                        /* immediate bit offset (0F BA /4../7) */
                        if (offs[oi] >= 0 && offs[oi] < 256) {
                            c = hw_add(l);
                            const uint8_t oba[2] = { 0x0f, 0xba };
                            const uint8_t imm = (uint8_t)offs[oi];
                            c->n = hw_enc(c->bytes, size, 0, oba, 2, 4 + op, form, HW_RBX, &imm, 1);
                            c->data_fill = 1;
                            c->gpr[HW_RBX] = 0x8421f00f5aa5c3c3ull;
                            c->rflags |= fl ? HW_ARITH : 0;
                            snprintf(x, sizeof x, "imm=%lld fl=%d", (long long)offs[oi], fl);
                            name(c, btn[op], size, form, x);
                        }
                    }
        }
    /* BSF BSR (0F BC/BD), TZCNT LZCNT (F3 0F BC/BD), POPCNT (F3 0F B8) */
    static const char *const scn[5] = { "bsf", "bsr", "tzcnt", "lzcnt", "popcnt" };
    static const uint8_t scop[5] = { 0xbc, 0xbd, 0xbc, 0xbd, 0xb8 };
    static const int scmand[5] = { 0, 0, 0xf3, 0xf3, 0xf3 };
    for (unsigned op = 0; op < 5; op++)
        for (unsigned si = 0; si < 3; si++)
            for (int form = 0; form < 2; form++) {
                const unsigned size = sizes[si];
                uint64_t vals[16];
                unsigned nv = edge_values(size, vals);
                for (unsigned vi = 0; vi < nv; vi++)
                    for (int fl = 0; fl < 2; fl++) {
                        struct hw_case *c = hw_add(l);
                        const uint8_t opc[2] = { 0x0f, scop[op] };
                        c->n = hw_enc(c->bytes, size, scmand[op], opc, 2, HW_RDX, form, HW_RBX, NULL, 0);
                        set_rm(c, form, HW_RBX, vals[vi], size);
                        c->gpr[HW_RDX] = 0x1111222233334444ull; /* destination: unchanged for a zero BSF/BSR source? */
                        c->rflags |= fl ? HW_ARITH : 0;
                        char x[48];
                        snprintf(x, sizeof x, "v=%llx fl=%d", (unsigned long long)vals[vi], fl);
                        name(c, scn[op], size, form, x);
                    }
            }
    /* ADCX (66 0F 38 F6) / ADOX (F3 0F 38 F6) */
    for (int ox = 0; ox < 2; ox++)
        for (unsigned size = 4; size <= 8; size += 4)
            for (int form = 0; form < 2; form++) {
                uint64_t vals[16];
                unsigned nv = edge_values(size, vals);
                for (unsigned a = 0; a < nv; a++)
                    for (unsigned s = 0; s < nv; s += 2)
                        for (int fl = 0; fl < 4; fl++) {
                            struct hw_case *c = hw_add(l);
                            const uint8_t opc[3] = { 0x0f, 0x38, 0xf6 };
                            c->n = hw_enc(c->bytes, size, ox ? 0xf3 : 0x66, opc, 3, HW_RDX, form, HW_RBX, NULL, 0);
                            set_rm(c, form, HW_RBX, vals[s], size);
                            c->gpr[HW_RDX] = with_junk(vals[a], size);
                            c->rflags |= (fl & 1 ? 0x801 : 0) | (fl & 2 ? 0x0d4 : 0);
                            char x[64];
                            snprintf(x, sizeof x, "a=%llx s=%llx fl=%d", (unsigned long long)vals[a],
                                     (unsigned long long)vals[s], fl);
                            name(c, ox ? "adox" : "adcx", size, form, x);
                        }
            }
    /* CRC32: F2 0F 38 F0 (r/m8), F1 (r/m16 with 66, r/m32, r/m64 with REX.W) */
    for (unsigned size = 1; size <= 8; size *= 2)
        for (int form = 0; form < 2; form++) {
            uint64_t vals[16];
            unsigned nv = edge_values(size, vals);
            for (unsigned a = 0; a < nv; a += 3)
                for (unsigned s = 0; s < nv; s++) {
                    struct hw_case *c = hw_add(l);
                    const uint8_t opc[3] = { 0x0f, 0x38, (uint8_t)(size == 1 ? 0xf0 : 0xf1) };
                    c->n = hw_enc(c->bytes, size, 0xf2, opc, 3, HW_RDX, form, HW_RBX, NULL, 0);
                    set_rm(c, form, HW_RBX, vals[s], size);
                    c->gpr[HW_RDX] = 0xffffffff00000000ull | (uint32_t)vals[a];
                    c->rflags |= s & 1 ? HW_ARITH : 0;
                    char x[64];
                    snprintf(x, sizeof x, "acc=%llx s=%llx", (unsigned long long)vals[a], (unsigned long long)vals[s]);
                    name(c, "crc32 ", size, form, x);
                }
        }
}

/* ---- BMI1 / BMI2 ------------------------------------------------------------------------- */

static void sweep_bmi(struct hw_caselist *l)
{
    struct bmi { const char *name; unsigned map, pp; uint8_t opc; unsigned reg_digit; int unary, imm; };
    static const struct bmi ops[] = {
        { "andn", 2, 0, 0xf2, 99, 0, 0 },  { "blsr", 2, 0, 0xf3, 1, 1, 0 }, { "blsmsk", 2, 0, 0xf3, 2, 1, 0 },
        { "blsi", 2, 0, 0xf3, 3, 1, 0 },   { "bzhi", 2, 0, 0xf5, 99, 0, 0 }, { "pext", 2, 2, 0xf5, 99, 0, 0 },
        { "pdep", 2, 3, 0xf5, 99, 0, 0 },  { "mulx", 2, 3, 0xf6, 99, 0, 0 }, { "bextr", 2, 0, 0xf7, 99, 0, 0 },
        { "shlx", 2, 1, 0xf7, 99, 0, 0 },  { "sarx", 2, 2, 0xf7, 99, 0, 0 }, { "shrx", 2, 3, 0xf7, 99, 0, 0 },
        { "rorx", 3, 3, 0xf0, 99, 0, 1 },
    };
    /* second operands: counts/lengths/masks as well as edge values */
    for (unsigned o = 0; o < sizeof ops / sizeof ops[0]; o++)
        for (int w = 0; w < 2; w++)
            for (int form = 0; form < 2; form++) {
                const unsigned size = w ? 8 : 4;
                uint64_t vals[24];
                unsigned nv = edge_values(size, vals);
                static const uint64_t extra[] = { 0x0804, 0x2000, 0x1f, 0x20, 0x21, 0x3f, 0x40, 0x41, 0xff,
                                                  0x0100, 0x4008, 0xff00, 0x1010 };
                for (unsigned a = 0; a < nv; a++) {
                    uint64_t seconds[32];
                    unsigned ns = 0;
                    for (unsigned k = 0; k < nv; k++) seconds[ns++] = vals[k];
                    for (unsigned k = 0; k < sizeof extra / sizeof extra[0]; k++) seconds[ns++] = extra[k];
                    for (unsigned s = 0; s < ns; s++) {
                        if (ops[o].unary && s) break;
                        struct hw_case *c = hw_add(l);
                        /* dest rdx; ModRM.rm source rbx (or [rsi]); vvvv rcx (or the unary dest) */
                        unsigned reg = ops[o].reg_digit == 99 ? HW_RDX : ops[o].reg_digit;
                        unsigned vvvv = ops[o].unary ? HW_RDX : HW_RCX;
                        uint8_t imm = (uint8_t)seconds[s];
                        c->n = hw_vex(c->bytes, ops[o].map, ops[o].pp, w, vvvv, ops[o].opc, reg, form, HW_RBX,
                                      &imm, ops[o].imm ? 1 : 0);
                        set_rm(c, form, HW_RBX, vals[a], size);
                        c->gpr[HW_RCX] = ops[o].imm ? 0 : with_junk(seconds[s], size);
                        c->gpr[HW_RDX] = 0x9999888877776666ull;
                        if (!strcmp(ops[o].name, "mulx")) c->gpr[HW_RDX] = with_junk(seconds[s], size);
                        c->rflags |= (a + s) & 1 ? HW_ARITH : 0;
                        char x[64];
                        snprintf(x, sizeof x, "rm=%llx v=%llx", (unsigned long long)vals[a], (unsigned long long)seconds[s]);
                        name(c, ops[o].name, size, form, x);
                    }
                }
            }
    /* MULX with the same register for both halves: hi wins */
    for (int w = 0; w < 2; w++) {
        struct hw_case *c = hw_add(l);
        c->n = hw_vex(c->bytes, 2, 3, w, HW_RCX, 0xf6, HW_RCX, RM_REG, HW_RBX, NULL, 0);
        c->gpr[HW_RDX] = 0xfedcba9876543210ull;
        c->gpr[HW_RBX] = 0x0123456789abcdefull;
        snprintf(c->name, sizeof c->name, "mulx%d rcx, rcx, rbx (hi == lo)", w ? 64 : 32);
    }
}

/* ---- BCD (compatibility mode) ------------------------------------------------------------ */

static void sweep_bcd(struct hw_caselist *l)
{
    static const char *const nm[4] = { "daa", "das", "aaa", "aas" };
    static const uint8_t opc[4] = { 0x27, 0x2f, 0x37, 0x3f };
    static const unsigned ahs[3] = { 0x00, 0x12, 0xff };
    for (unsigned op = 0; op < 4; op++)
        for (unsigned al = 0; al < 256; al++)
            for (unsigned h = 0; h < 3; h++)
                for (unsigned fl = 0; fl < 8; fl++) {
                    struct hw_case *c = hw_add(l);
                    c->compat = 1;
                    c->bytes[0] = opc[op];
                    c->n = 1;
                    c->gpr[HW_RAX] = 0x5a5a0000u | ahs[h] << 8 | al;
                    /* CF, AF, and (bit 2) all the other arithmetic flags */
                    c->rflags |= (fl & 1 ? 0x001u : 0) | (fl & 2 ? 0x010u : 0) | (fl & 4 ? 0x8c4u : 0);
                    snprintf(c->name, sizeof c->name, "%s al=%02x ah=%02x fl=%u", nm[op], al, ahs[h], fl);
                }
    static const unsigned bases[] = { 10, 0, 1, 2, 16, 7, 0xff };
    for (int aad = 0; aad < 2; aad++)
        for (unsigned b = 0; b < sizeof bases / sizeof bases[0]; b++)
            for (unsigned ax = 0; ax < 0x10000; ax += 0x101 * 3 + 1)
                for (int fl = 0; fl < 2; fl++) {
                    struct hw_case *c = hw_add(l);
                    c->compat = 1;
                    c->bytes[0] = aad ? 0xd5 : 0xd4;
                    c->bytes[1] = (uint8_t)bases[b];
                    c->n = 2;
                    c->gpr[HW_RAX] = 0x5a5a0000u | ax;
                    c->rflags |= fl ? HW_ARITH : 0;
                    snprintf(c->name, sizeof c->name, "%s %u ax=%04x fl=%d", aad ? "aad" : "aam", bases[b], ax, fl);
                }
    /* and #UD in 64-bit mode */
    const uint8_t inv[] = { 0x27, 0x2f, 0x37, 0x3f, 0xd4, 0xd5 };
    for (unsigned i = 0; i < sizeof inv; i++) {
        struct hw_case *c = hw_add(l);
        c->bytes[0] = inv[i];
        c->bytes[1] = 10;
        c->n = inv[i] >= 0xd4 ? 2 : 1;
        snprintf(c->name, sizeof c->name, "bcd %02x in 64-bit mode", inv[i]);
    }
}

/* Derived sweeps: every 7th case of the other families again with its memory operand on the
 * read-only page, on the unmapped page and split across them (the fault, its error code and
 * CR2; a read-modify-write must fault on the read-only page), and with a LOCK prefix (#UD
 * unless the instruction is lockable and has a memory destination). */
static void sweep_derived(struct hw_caselist *l, int lock)
{
    struct hw_caselist base = { 0 };
    sweep_shift(&base);
    sweep_muldiv(&base);
    sweep_bits(&base);
    sweep_bmi(&base);
    for (unsigned i = 0; i < base.n; i += 7) {
        const struct hw_case *b = &base.v[i];
        if (b->compat) continue;
        if (lock) {
            if (b->n >= 15) continue;
            struct hw_case *c = hw_add(l);
            *c = *b;
            c->bytes[0] = 0xf0;
            memcpy(c->bytes + 1, b->bytes, b->n);
            c->n = b->n + 1;
            snprintf(c->name, sizeof c->name, "lock %.80s", b->name);
            continue;
        }
        if (!strstr(b->name, " mem")) continue;
        static const uint64_t where[3] = { HW_RO + 0x800, HW_HOLE + 0x800, HW_RO + 0xffe };
        static const char *const wn[3] = { "ro", "hole", "split" };
        for (int w = 0; w < 3; w++) {
            struct hw_case *c = hw_add(l);
            *c = *b;
            c->gpr[HW_RSI] = where[w];
            snprintf(c->name, sizeof c->name, "%.80s [%s]", b->name, wn[w]);
        }
    }
    free(base.v);
}

int hw_sweep_cases(const char *family, struct hw_caselist *l)
{
    int all = !strcmp(family, "all"), any = 0;
    if (all || !strcmp(family, "pages")) { sweep_derived(l, 0); any = 1; }
    if (all || !strcmp(family, "lock")) { sweep_derived(l, 1); any = 1; }
    if (all || !strcmp(family, "shift")) { sweep_shift(l); any = 1; }
    if (all || !strcmp(family, "muldiv")) { sweep_muldiv(l); any = 1; }
    if (all || !strcmp(family, "bits")) { sweep_bits(l); any = 1; }
    if (all || !strcmp(family, "bmi")) { sweep_bmi(l); any = 1; }
    if (all || !strcmp(family, "bcd")) { sweep_bcd(l); any = 1; }
    return any ? 0 : -1;
}
