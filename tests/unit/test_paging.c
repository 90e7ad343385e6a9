/*
 * The built-in page walker (EMU_MODEL_BUILTIN_PAGING) with a physical-only machine: page
 * tables built in its memory, the linear-address callbacks refusing.  4-level, 5-level, PAE and
 * 32-bit paging, large pages, the #PF error-code bits, WP, NX, SMEP, SMAP, PKU, and the
 * accessed/dirty updates.
 */
#include "systest.h"

#define PTE_P 1ull
#define PTE_W 2ull
#define PTE_U 4ull
#define PTE_A 0x20ull
#define PTE_D 0x40ull
#define PTE_PS 0x80ull
#define PTE_XD (1ull << 63)

struct pt {
    struct machine *m;
    uint64_t next;  /* bump allocator for tables */
    uint64_t root;
    int levels;     /* 2 (32-bit), 3 (PAE), 4, 5 */
};

static uint64_t alloc_table(struct pt *p)
{
    uint64_t a = p->next;
    p->next += 0x1000;
    return a;
}

/* Map la -> pa with leaf flags; upper levels get P|W|U (rights come from the leaf unless a
 * test changes an upper entry).  size: 0x1000, 0x200000 / 0x400000 (PS at PD), 0x40000000. */
static uint64_t map(struct pt *p, uint64_t la, uint64_t pa, uint64_t flags, uint64_t size)
{
    struct machine *m = p->m;
    if (p->levels == 2) {
        uint64_t pde_a = p->root + ((la >> 22) & 0x3ff) * 4;
        if (size == 0x400000) {
            poke(m, pde_a, (pa & 0xffc00000) | flags | PTE_PS, 4);
            return pde_a;
        }
        uint64_t pde = peek(m, pde_a, 4);
        if (!(pde & 1)) {
            pde = alloc_table(p) | PTE_P | PTE_W | PTE_U;
            poke(m, pde_a, pde, 4);
        }
        uint64_t pte_a = (pde & 0xfffff000) + ((la >> 12) & 0x3ff) * 4;
        poke(m, pte_a, pa | flags, 4);
        return pte_a;
    }
    uint64_t table = p->root;
    for (int lv = p->levels; lv >= 1; lv--) {
        unsigned shift = 12 + 9 * (unsigned)(lv - 1);
        uint64_t idx = (p->levels == 3 && lv == 3) ? (la >> 30) & 3 : (la >> shift) & 511;
        uint64_t a = table + idx * 8;
        if ((uint64_t)1 << shift == size) {
            poke(m, a, pa | flags | (lv > 1 ? PTE_PS : 0), 8);
            return a;
        }
        uint64_t e = peek(m, a, 8);
        if (!(e & 1)) {
            uint64_t up = (p->levels == 3 && lv == 3) ? PTE_P : PTE_P | PTE_W | PTE_U;
            e = alloc_table(p) | up;
            poke(m, a, e, 8);
        }
        table = e & 0x000ffffffffff000ull;
    }
    return 0;
}

/* A machine in mode with the walker on; the code page at 0x401000 identity-mapped. */
static struct machine *pg_machine(enum emu_mode mode, int levels, struct pt *p)
{
    struct emu_config c = tm_cfg(EMU_VENDOR_INTEL);
    c.model_flags |= EMU_MODEL_BUILTIN_PAGING;
    emu_config_set_feature(&c, EMU_FEAT_PDPE1GB);
    struct machine *m = tm_new_cfg(mode, &c);
    m->phys_only = 1;
    p->m = m;
    p->next = 0x100000;
    p->levels = levels;
    p->root = alloc_table(p);
    if (levels == 3) p->root = 0x0ff000; /* the 32-byte PDPT */
    m->cr[3] = p->root;
    m->cr[0] |= EMU_CR0_PG | EMU_CR0_PE;
    if (levels >= 3) m->cr[4] |= EMU_CR4_PAE;
    if (levels == 5) m->cr[4] |= EMU_CR4_LA57;
    map(p, 0x401000, 0x401000, PTE_P | PTE_W, 0x1000);
    return m;
}

static void ck_pf(struct machine *m, const char *hex, uint32_t ec, uint64_t cr2)
{
    ck_exc(m, hex, EMU_PF, ec);
    ck_assert_uint_eq(m->ctx.result.exception.cr2, cr2);
}

START_TEST(paging_4level_read_translates_and_sets_accessed)
{
    struct pt p;
    struct machine *m = pg_machine(EMU_MODE_LONG64, 4, &p);
    uint64_t pte = map(&p, 0x7f0000403000ull, 0x200000, PTE_P, 0x1000);
    poke(m, 0x200010, 0xcafef00d, 4);
    R(m, RBX) = 0x7f0000403010ull;
    ck_ok(m, "8b03");
    ck_assert_uint_eq(R(m, RAX), 0xcafef00d);
    ck_assert_uint_eq(peek(m, pte, 8), 0x200000 | PTE_P | PTE_A);
    /* every level on the way got A */
    uint64_t t = p.root;
    for (int lv = 4; lv >= 2; lv--) {
        uint64_t e = peek(m, t + ((0x7f0000403000ull >> (12 + 9 * (lv - 1))) & 511) * 8, 8);
        ck_assert(e & PTE_A);
        t = e & 0x000ffffffffff000ull;
    }
    ck_assert_uint_gt(m->ncmpxchg_phys, 0);
    machine_free(m);
}
END_TEST

START_TEST(paging_write_sets_dirty_and_lands_physically)
{
    struct pt p;
    struct machine *m = pg_machine(EMU_MODE_LONG64, 4, &p);
    uint64_t pte = map(&p, 0x600000, 0x300000, PTE_P | PTE_W, 0x1000);
    R(m, RBX) = 0x600ffe; /* a write that crosses into an unmapped page faults first */
    R(m, RAX) = 0x11223344;
    ck_pf(m, "8903", EMU_PF_W, 0x601000);
    ck_assert_uint_eq(peek(m, 0x300ffe, 2), 0);
    R(m, RBX) = 0x600800;
    ck_ok(m, "8903");
    ck_assert_uint_eq(peek(m, 0x300800, 4), 0x11223344);
    ck_assert_uint_eq(peek(m, pte, 8), 0x300000 | PTE_P | PTE_W | PTE_A | PTE_D);
    machine_free(m);
}
END_TEST

START_TEST(paging_not_present_error_codes)
{
    struct pt p;
    struct machine *m = pg_machine(EMU_MODE_LONG64, 4, &p);
    R(m, RBX) = 0x900000;
    ck_pf(m, "8b03", 0, 0x900000);
    ck_pf(m, "8903", EMU_PF_W, 0x900000);
    tm_set_cpl(m, 3);
    map(&p, 0x401000, 0x401000, PTE_P | PTE_U, 0x1000);
    ck_pf(m, "8903", EMU_PF_W | EMU_PF_U, 0x900000);
    machine_free(m);
}
END_TEST

/* Bits at or above MAXPHYADDR, and PS in a PML4E, are reserved: P|RSVD. */
START_TEST(paging_reserved_bits_rsvd)
{
    struct pt p;
    struct machine *m = pg_machine(EMU_MODE_LONG64, 4, &p);
    uint64_t pte = map(&p, 0x600000, 0x300000, PTE_P | PTE_W, 0x1000);
    poke(m, pte, 0x300000 | PTE_P | (1ull << 48), 8);
    R(m, RBX) = 0x600000;
    ck_pf(m, "8b03", EMU_PF_P | EMU_PF_RSVD, 0x600000);
    poke(m, pte, 0x300000 | PTE_P, 8);
    ck_ok(m, "8b03");
    poke(m, p.root, peek(m, p.root, 8) | PTE_PS, 8);
    ck_pf(m, "8b03", EMU_PF_P | EMU_PF_RSVD, 0x600000);
    machine_free(m);
}
END_TEST

START_TEST(paging_user_access_to_supervisor_page)
{
    struct pt p;
    struct machine *m = pg_machine(EMU_MODE_LONG64, 4, &p);
    map(&p, 0x401000, 0x401000, PTE_P | PTE_U, 0x1000);
    map(&p, 0x600000, 0x300000, PTE_P | PTE_W, 0x1000);
    tm_set_cpl(m, 3);
    R(m, RBX) = 0x600000;
    ck_pf(m, "8b03", EMU_PF_P | EMU_PF_U, 0x600000);
    machine_free(m);
}
END_TEST

/* Supervisor writes to read-only pages fault only with CR0.WP; user writes always. */
START_TEST(paging_wp_rules)
{
    struct pt p;
    struct machine *m = pg_machine(EMU_MODE_LONG64, 4, &p);
    map(&p, 0x600000, 0x300000, PTE_P | PTE_U, 0x1000);
    R(m, RBX) = 0x600000;
    m->cr[0] &= ~(uint64_t)EMU_CR0_WP;
    ck_ok(m, "8903");
    m->cr[0] |= EMU_CR0_WP;
    ck_pf(m, "8903", EMU_PF_P | EMU_PF_W, 0x600000);
    machine_free(m);
}
END_TEST

/* NX: a fetch from an XD page with EFER.NXE is P|I; without NXE bit 63 is reserved. */
START_TEST(paging_nx_fetch)
{
    struct pt p;
    struct machine *m = pg_machine(EMU_MODE_LONG64, 4, &p);
    machine_set_msr(m, EMU_MSR_EFER, machine_get_msr(m, EMU_MSR_EFER, NULL) | EMU_EFER_NXE);
    map(&p, 0x401000, 0x401000, PTE_P | PTE_XD, 0x1000);
    machine_poke(m, 0x401000, "\x90", 1);
    ck_assert_int_eq(tm_run_fetch(m, "90"), EMU_EXCEPTION);
    ck_assert_uint_eq(m->ctx.result.exception.vector, EMU_PF);
    ck_assert_uint_eq(m->ctx.result.exception.error_code, EMU_PF_P | EMU_PF_I);
    machine_set_msr(m, EMU_MSR_EFER, machine_get_msr(m, EMU_MSR_EFER, NULL) & ~(uint64_t)EMU_EFER_NXE);
    ck_assert_int_eq(tm_run_fetch(m, "90"), EMU_EXCEPTION);
    ck_assert_uint_eq(m->ctx.result.exception.error_code, EMU_PF_P | EMU_PF_RSVD);
    machine_free(m);
}
END_TEST

START_TEST(paging_smep_supervisor_fetch_from_user_page)
{
    struct pt p;
    struct machine *m = pg_machine(EMU_MODE_LONG64, 4, &p);
    map(&p, 0x401000, 0x401000, PTE_P | PTE_U, 0x1000);
    ck_assert_int_eq(tm_run_fetch(m, "90"), EMU_OK);
    m->cr[4] |= EMU_CR4_SMEP;
    ck_assert_int_eq(tm_run_fetch(m, "90"), EMU_EXCEPTION);
    ck_assert_uint_eq(m->ctx.result.exception.error_code, EMU_PF_P | EMU_PF_I);
    machine_free(m);
}
END_TEST

/* SMAP: supervisor data access to a user page faults unless RFLAGS.AC; implicit supervisor
 * accesses (here the GDT read of MOV DS) fault whatever AC says. */
START_TEST(paging_smap_ac_and_implicit)
{
    struct pt p;
    struct machine *m = pg_machine(EMU_MODE_LONG64, 4, &p);
    map(&p, 0x600000, 0x300000, PTE_P | PTE_W | PTE_U, 0x1000);
    m->cr[4] |= EMU_CR4_SMAP;
    R(m, RBX) = 0x600000;
    ck_pf(m, "8b03", EMU_PF_P, 0x600000);
    FLAGS(m) |= EMU_FLAG_AC;
    ck_ok(m, "8b03");
    m->dtr_base[EMU_DTR_GDTR] = 0x600000;
    m->dtr_limit[EMU_DTR_GDTR] = 0xff;
    R(m, RAX) = 0x10;
    ck_pf(m, "8ed8", EMU_PF_P, 0x600010);
    machine_free(m);
}
END_TEST

/* Protection keys: PKRU.AD blocks data access to user pages of that key (P|PK), PKRU.WD
 * blocks writes; supervisor pages are not subject to keys. */
START_TEST(paging_pku)
{
    struct pt p;
    struct machine *m = pg_machine(EMU_MODE_LONG64, 4, &p);
    map(&p, 0x401000, 0x401000, PTE_P | PTE_U, 0x1000);
    map(&p, 0x600000, 0x300000, PTE_P | PTE_W | PTE_U | (1ull << 59), 0x1000); /* key 1 */
    map(&p, 0x700000, 0x310000, PTE_P | PTE_W | (1ull << 59), 0x1000);        /* supervisor */
    m->cr[4] |= EMU_CR4_PKE;
    tm_set_cpl(m, 3);
    m->pkru = 1u << 2; /* AD for key 1 */
    R(m, RBX) = 0x600000;
    ck_pf(m, "8b03", EMU_PF_P | EMU_PF_U | EMU_PF_PK, 0x600000);
    m->pkru = 2u << 2; /* WD for key 1 */
    ck_ok(m, "8b03");
    ck_pf(m, "8903", EMU_PF_P | EMU_PF_W | EMU_PF_U | EMU_PF_PK, 0x600000);
    tm_set_cpl(m, 0);
    m->pkru = 1u << 2;
    R(m, RBX) = 0x700000;
    ck_ok(m, "8b03");
    machine_free(m);
}
END_TEST

START_TEST(paging_large_pages_2m_1g)
{
    struct pt p;
    struct machine *m = pg_machine(EMU_MODE_LONG64, 4, &p);
    map(&p, 0x40000000ull, 0x80000000ull, PTE_P | PTE_W, 0x40000000ull); /* 1G */
    map(&p, 0x800000, 0xa00000, PTE_P, 0x200000);                       /* 2M */
    poke(m, 0x80123458, 0x1111, 4);
    poke(m, 0xa54320, 0x2222, 4);
    R(m, RBX) = 0x40123458;
    ck_ok(m, "8b03");
    ck_assert_uint_eq(R(m, RAX), 0x1111);
    R(m, RBX) = 0x854320;
    ck_ok(m, "8b03");
    ck_assert_uint_eq(R(m, RAX), 0x2222);
    /* a 2M leaf with address bit 13 set: reserved */
    uint64_t pde = map(&p, 0xc00000, 0xa00000 | 0x2000, PTE_P, 0x200000);
    (void)pde;
    R(m, RBX) = 0xc00000;
    ck_pf(m, "8b03", EMU_PF_P | EMU_PF_RSVD, 0xc00000);
    machine_free(m);
    /* without PDPE1GB, PS in a PDPTE is reserved */
    struct emu_config c = tm_cfg(EMU_VENDOR_INTEL);
    c.model_flags |= EMU_MODEL_BUILTIN_PAGING;
    m = pg_machine(EMU_MODE_LONG64, 4, &p);
    m->cfg = c;
    machine_reset_ctx(m);
    map(&p, 0x40000000ull, 0x80000000ull, PTE_P | PTE_W, 0x40000000ull);
    R(m, RBX) = 0x40000000;
    ck_pf(m, "8b03", EMU_PF_P | EMU_PF_RSVD, 0x40000000);
    machine_free(m);
}
END_TEST

START_TEST(paging_5level_la57)
{
    struct pt p;
    struct machine *m = pg_machine(EMU_MODE_LONG64, 5, &p);
    const uint64_t la = 0xff00400000001000ull; /* canonical only with LA57 */
    map(&p, la, 0x300000, PTE_P, 0x1000);
    poke(m, 0x300000, 0x5757, 4);
    R(m, RBX) = la;
    ck_ok(m, "8b03");
    ck_assert_uint_eq(R(m, RAX), 0x5757);
    machine_free(m);
}
END_TEST

START_TEST(paging_pae_legacy)
{
    struct pt p;
    struct machine *m = pg_machine(EMU_MODE_PROT32, 3, &p);
    map(&p, 0xc0001000, 0x300000, PTE_P | PTE_W, 0x1000);
    map(&p, 0x80000000, 0x600000, PTE_P, 0x200000);
    poke(m, 0x300010, 0x3333, 4);
    poke(m, 0x612340, 0x4444, 4);
    R(m, RBX) = 0xc0001010;
    ck_ok(m, "8b03");
    ck_assert_uint_eq(R(m, RAX), 0x3333);
    R(m, RBX) = 0x80012340;
    ck_ok(m, "8b03");
    ck_assert_uint_eq(R(m, RAX), 0x4444);
    /* a PDPTE with a reserved bit (bit 1): P|RSVD */
    poke(m, p.root + 3 * 8, peek(m, p.root + 3 * 8, 8) | 2, 8);
    R(m, RBX) = 0xc0001010;
    ck_pf(m, "8b03", EMU_PF_P | EMU_PF_RSVD, 0xc0001010);
    machine_free(m);
}
END_TEST

START_TEST(paging_32bit_pse)
{
    struct pt p;
    struct machine *m = pg_machine(EMU_MODE_PROT32, 2, &p);
    m->cr[4] |= EMU_CR4_PSE;
    map(&p, 0x800000, 0xc00000, PTE_P | PTE_W, 0x400000);
    map(&p, 0x1000, 0x5000, PTE_P, 0x1000);
    poke(m, 0xc12344, 0x4040, 4);
    poke(m, 0x5010, 0x1010, 4);
    R(m, RBX) = 0x812344;
    ck_ok(m, "8b03");
    ck_assert_uint_eq(R(m, RAX), 0x4040);
    R(m, RBX) = 0x1010;
    ck_ok(m, "8b03");
    ck_assert_uint_eq(R(m, RAX), 0x1010);
    ck_ok(m, "8903"); /* supervisor write to a read-only page, CR0.WP = 0 */
    m->cr[0] |= EMU_CR0_WP;
    ck_pf(m, "8903", EMU_PF_P | EMU_PF_W, 0x1010);
    machine_free(m);
}
END_TEST

/* Paging off: linear = physical, through read_phys. */
START_TEST(paging_off_identity)
{
    struct emu_config c = tm_cfg(EMU_VENDOR_INTEL);
    c.model_flags |= EMU_MODEL_BUILTIN_PAGING;
    struct machine *m = tm_new_cfg(EMU_MODE_PROT32, &c);
    m->phys_only = 1;
    poke(m, 0x2000, 0x77, 4);
    R(m, RBX) = 0x2000;
    ck_ok(m, "8b03");
    ck_assert_uint_eq(R(m, RAX), 0x77);
    machine_free(m);
}
END_TEST

static Suite *paging_suite(void)
{
    Suite *s = suite_create("paging");
    TCase *t = tcase_create("paging");
    tcase_add_test(t, paging_4level_read_translates_and_sets_accessed);
    tcase_add_test(t, paging_write_sets_dirty_and_lands_physically);
    tcase_add_test(t, paging_not_present_error_codes);
    tcase_add_test(t, paging_reserved_bits_rsvd);
    tcase_add_test(t, paging_user_access_to_supervisor_page);
    tcase_add_test(t, paging_wp_rules);
    tcase_add_test(t, paging_nx_fetch);
    tcase_add_test(t, paging_smep_supervisor_fetch_from_user_page);
    tcase_add_test(t, paging_smap_ac_and_implicit);
    tcase_add_test(t, paging_pku);
    tcase_add_test(t, paging_large_pages_2m_1g);
    tcase_add_test(t, paging_5level_la57);
    tcase_add_test(t, paging_pae_legacy);
    tcase_add_test(t, paging_32bit_pse);
    tcase_add_test(t, paging_off_identity);
    suite_add_tcase(s, t);
    return s;
}
REGISTER_SUITE(paging_suite)
