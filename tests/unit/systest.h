/*
 * Helpers for the system-instruction tests: descriptor tables built in the machine's memory.
 * Attributes are in the VMCB layout the API uses (type | S | DPL | P in bits 7:0, AVL L D/B G
 * in bits 11:8); limits are the raw 20-bit descriptor field.
 */
#ifndef EMU_TEST_SYSTEST_H
#define EMU_TEST_SYSTEST_H

#include "harness.h"

#define GDT_BASE 0x10000u
#define IDT_BASE 0x11000u
#define LDT_BASE 0x12000u

/* Common attributes. */
#define A_CODE32 0xc9b  /* present, DPL 0, exec/read, accessed, D, G */
#define A_DATA32 0xc93  /* present, DPL 0, read/write, accessed, B, G */
#define A_CODE64 0xa9b  /* L = 1 */
#define A_CODE16 0x09b
#define A_DATA16 0x093
#define DPL(n) ((n) << 5)

static inline void desc_bytes(uint8_t d[8], uint32_t base, uint32_t limit, uint16_t attr)
{
    d[0] = (uint8_t)limit;
    d[1] = (uint8_t)(limit >> 8);
    d[2] = (uint8_t)base;
    d[3] = (uint8_t)(base >> 8);
    d[4] = (uint8_t)(base >> 16);
    d[5] = (uint8_t)attr;
    d[6] = (uint8_t)(((limit >> 16) & 15) | ((attr >> 8) & 15) << 4);
    d[7] = (uint8_t)(base >> 24);
}

/* A GDT of n entries at GDT_BASE (limit 8n-1) and an IDT of 256 legacy / long entries. */
static inline void sys_tables(struct machine *m, unsigned n)
{
    m->dtr_base[EMU_DTR_GDTR] = GDT_BASE;
    m->dtr_limit[EMU_DTR_GDTR] = 8 * n - 1;
    m->dtr_base[EMU_DTR_IDTR] = IDT_BASE;
    m->dtr_limit[EMU_DTR_IDTR] = 0xfff;
}

static inline void gdt_set(struct machine *m, unsigned idx, uint32_t base, uint32_t limit, uint16_t attr)
{
    uint8_t d[8];
    desc_bytes(d, base, limit, attr);
    machine_poke(m, m->dtr_base[EMU_DTR_GDTR] + 8 * idx, d, 8);
}

static inline void ldt_set(struct machine *m, unsigned idx, uint32_t base, uint32_t limit, uint16_t attr)
{
    uint8_t d[8];
    desc_bytes(d, base, limit, attr);
    machine_poke(m, LDT_BASE + 8 * idx, d, 8);
}

/* A gate (call gate 4/12, task gate 5, interrupt/trap gates 6/7/14/15) at GDT index idx, or
 * in the IDT with idt = 1.  Long-mode gates are 16 bytes (long = 1). */
static inline void gate_bytes(uint8_t g[16], uint16_t sel, uint64_t off, unsigned type, unsigned dpl,
                              unsigned count, int long_mode)
{
    memset(g, 0, 16);
    g[0] = (uint8_t)off;
    g[1] = (uint8_t)(off >> 8);
    g[2] = (uint8_t)sel;
    g[3] = (uint8_t)(sel >> 8);
    g[4] = (uint8_t)count;
    g[5] = (uint8_t)(0x80 | dpl << 5 | type);
    g[6] = (uint8_t)(off >> 16);
    g[7] = (uint8_t)(off >> 24);
    if (long_mode) {
        g[8] = (uint8_t)(off >> 32);
        g[9] = (uint8_t)(off >> 40);
        g[10] = (uint8_t)(off >> 48);
        g[11] = (uint8_t)(off >> 56);
    }
}

static inline void gdt_gate(struct machine *m, unsigned idx, uint16_t sel, uint64_t off, unsigned type,
                            unsigned dpl, unsigned count, int long_mode)
{
    uint8_t g[16];
    gate_bytes(g, sel, off, type, dpl, count, long_mode);
    machine_poke(m, m->dtr_base[EMU_DTR_GDTR] + 8 * idx, g, long_mode ? 16 : 8);
}

static inline void idt_gate(struct machine *m, unsigned vec, uint16_t sel, uint64_t off, unsigned type,
                            unsigned dpl, int long_mode)
{
    uint8_t g[16];
    gate_bytes(g, sel, off, type, dpl, 0, long_mode);
    machine_poke(m, m->dtr_base[EMU_DTR_IDTR] + (long_mode ? 16 : 8) * vec, g, long_mode ? 16 : 8);
}

static inline void seg_load(struct machine *m, unsigned seg, uint16_t sel, uint32_t base, uint32_t limit,
                            uint16_t attr)
{
    m->segs[seg].sel = sel;
    m->segs[seg].base = base;
    m->segs[seg].limit = limit;
    m->segs[seg].attr = attr;
}

static inline unsigned count_ev(const struct machine *m, unsigned type)
{
    unsigned n = 0;
    for (unsigned i = 0; i < m->nevents; i++) n += m->events[i].type == type;
    return n;
}

static inline const struct emu_event *find_ev(const struct machine *m, unsigned type)
{
    for (unsigned i = 0; i < m->nevents; i++)
        if (m->events[i].type == type) return &m->events[i];
    return NULL;
}

static inline uint64_t peek(struct machine *m, uint64_t a, unsigned n) { return machine_peek64(m, a, n); }
static inline void poke(struct machine *m, uint64_t a, uint64_t v, unsigned n)
{
    uint8_t b[8];
    for (unsigned i = 0; i < 8; i++) b[i] = (uint8_t)(v >> (8 * i));
    machine_poke(m, a, b, n);
}

#define ck_seg(m, s, sel_, base_, limit_, attr_)                                                   \
    do {                                                                                           \
        ck_assert_uint_eq((m)->segs[s].sel, (sel_));                                               \
        ck_assert_uint_eq((m)->segs[s].base, (base_));                                             \
        ck_assert_uint_eq((m)->segs[s].limit, (limit_));                                           \
        ck_assert_uint_eq((m)->segs[s].attr, (attr_));                                             \
    } while (0)

#endif
