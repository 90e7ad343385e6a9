/*
 * Segment-register instructions: MOV to/from Sreg, LDS/LES/LFS/LGS/LSS with every descriptor
 * check and its selector error code, LAR/LSL/VERR/VERW (ZF results, no faults for bad
 * selectors) and ARPL.  One test per rule, named after it.
 */
#include "systest.h"

/* prot32 at CPL cpl with a GDT: 1 code32, 2 data32, 3 data DPL3, 4 code DPL3, 5 execute-only
 * code, 6 not-present data, 7 read-only data, 8 conforming code DPL0, 9 16-bit TSS, 10 LDT
 * (base LDT_BASE, 2 entries), 11 32-bit call gate, 12 expand-down data (limit 0xfff). */
static struct machine *seg_machine(enum emu_mode mode, unsigned cpl)
{
    struct machine *m = tm_new(mode);
    sys_tables(m, 16);
    gdt_set(m, 1, 0, 0xfffff, A_CODE32);
    gdt_set(m, 2, 0, 0xfffff, 0xc92);                /* not accessed yet */
    gdt_set(m, 3, 0x1000, 0xfffff, 0xc92 | DPL(3));
    gdt_set(m, 4, 0, 0xfffff, 0xc9a | DPL(3));
    gdt_set(m, 5, 0, 0xfffff, 0xc98);                /* execute-only */
    gdt_set(m, 6, 0, 0xfffff, 0xc12);                /* P = 0 */
    gdt_set(m, 7, 0, 0xfffff, 0xc90);                /* read-only data */
    gdt_set(m, 8, 0, 0xfffff, 0xc9e);                /* conforming, readable */
    gdt_set(m, 9, 0x20000, 0x2b, 0x081);              /* 16-bit available TSS */
    gdt_set(m, 10, LDT_BASE, 15, 0x082);              /* LDT */
    gdt_gate(m, 11, 0x08, 0x1234, 12, 3, 0, 0);       /* 32-bit call gate, DPL 3 */
    gdt_set(m, 12, 0, 0xfff, 0x496);                  /* expand-down, B */
    ldt_set(m, 1, 0x5000, 0xffff, 0x093);
    tm_set_cpl(m, cpl);
    if (cpl == 3) {
        m->segs[EMU_SEG_CS].sel = 0x23;
        m->segs[EMU_SEG_SS].sel = 0x1b;
    }
    return m;
}

START_TEST(mov_ss_loads_descriptor_sets_accessed_and_opens_shadow)
{
    struct machine *m = seg_machine(EMU_MODE_PROT32, 0);
    R(m, RAX) = 0x10;
    ck_ok(m, "8ed0"); /* mov ss, ax */
    ck_seg(m, EMU_SEG_SS, 0x10, 0, 0xffffffff, 0xc93);
    ck_assert_uint_eq(peek(m, GDT_BASE + 0x10 + 5, 1), 0x93); /* accessed bit written back */
    const struct emu_event *e = find_ev(m, EMU_EV_INT_SHADOW);
    ck_assert_ptr_nonnull(e);
    ck_assert_uint_eq(e->value, 2);
    ck_assert_uint_eq(m->regs.rip, 0x401002);
    machine_free(m);
}
END_TEST

START_TEST(mov_ds_no_shadow)
{
    struct machine *m = seg_machine(EMU_MODE_PROT32, 0);
    R(m, RAX) = 0x10;
    ck_ok(m, "8ed8");
    ck_seg(m, EMU_SEG_DS, 0x10, 0, 0xffffffff, 0xc93);
    ck_assert_uint_eq(count_ev(m, EMU_EV_INT_SHADOW), 0);
    machine_free(m);
}
END_TEST

START_TEST(mov_ds_null_selector_is_unusable)
{
    struct machine *m = seg_machine(EMU_MODE_PROT32, 0);
    R(m, RAX) = 3;
    ck_ok(m, "8ed8");
    ck_assert_uint_eq(m->segs[EMU_SEG_DS].sel, 3);
    ck_assert_uint_eq(m->segs[EMU_SEG_DS].attr & EMU_SEGATTR_P, 0);
    machine_free(m);
}
END_TEST

/* Null FS in 64-bit mode: Intel clears the base, AMD (before NullSelectorClearsBase) keeps it. */
START_TEST(mov_fs_null_base_by_vendor)
{
    struct machine *m = seg_machine(EMU_MODE_LONG64, 0);
    m->segs[EMU_SEG_FS].base = 0x7000;
    R(m, RAX) = 0;
    ck_ok(m, "8ee0");
    ck_assert_uint_eq(m->segs[EMU_SEG_FS].base, 0);
    machine_free(m);
    struct emu_config c = tm_cfg(EMU_VENDOR_AMD);
    m = tm_new_cfg(EMU_MODE_LONG64, &c);
    m->segs[EMU_SEG_FS].base = 0x7000;
    R(m, RAX) = 0;
    ck_ok(m, "8ee0");
    ck_assert_uint_eq(m->segs[EMU_SEG_FS].base, 0x7000);
    ck_assert_uint_eq(m->segs[EMU_SEG_FS].attr & EMU_SEGATTR_P, 0);
    machine_free(m);
}
END_TEST

START_TEST(mov_ss_null_is_gp0_outside_64bit)
{
    struct machine *m = seg_machine(EMU_MODE_PROT32, 0);
    R(m, RAX) = 0;
    ck_exc(m, "8ed0", EMU_GP, 0);
    machine_free(m);
}
END_TEST

/* 64-bit mode: a null SS is fine at CPL < 3 with RPL = CPL, #GP(0) at CPL 3. */
START_TEST(mov_ss_null_in_64bit_mode)
{
    struct machine *m = seg_machine(EMU_MODE_LONG64, 0);
    R(m, RAX) = 0;
    ck_ok(m, "8ed0");
    ck_assert_uint_eq(m->segs[EMU_SEG_SS].sel, 0);
    machine_free(m);
    m = seg_machine(EMU_MODE_LONG64, 0);
    R(m, RAX) = 1; /* RPL 1 != CPL 0 */
    ck_exc(m, "8ed0", EMU_GP, 0);
    machine_free(m);
    m = seg_machine(EMU_MODE_LONG64, 3);
    m->segs[EMU_SEG_CS].attr = A_CODE64 | DPL(3);
    R(m, RAX) = 3;
    ck_exc(m, "8ed0", EMU_GP, 0);
    machine_free(m);
}
END_TEST

START_TEST(mov_ss_rpl_or_dpl_not_cpl_is_gp_sel)
{
    struct machine *m = seg_machine(EMU_MODE_PROT32, 0);
    R(m, RAX) = 0x11; /* RPL 1 */
    ck_exc(m, "8ed0", EMU_GP, 0x10);
    R(m, RAX) = 0x18; /* DPL 3 data at CPL 0 */
    ck_exc(m, "8ed0", EMU_GP, 0x18);
    R(m, RAX) = 0x38; /* read-only data */
    ck_exc(m, "8ed0", EMU_GP, 0x38);
    R(m, RAX) = 0x08; /* code */
    ck_exc(m, "8ed0", EMU_GP, 0x08);
    machine_free(m);
}
END_TEST

START_TEST(mov_ss_not_present_is_ss_sel)
{
    struct machine *m = seg_machine(EMU_MODE_PROT32, 0);
    R(m, RAX) = 0x30;
    ck_exc(m, "8ed0", EMU_SS, 0x30);
    machine_free(m);
}
END_TEST

START_TEST(mov_ds_not_present_is_np_sel)
{
    struct machine *m = seg_machine(EMU_MODE_PROT32, 0);
    R(m, RAX) = 0x30;
    ck_exc(m, "8ed8", EMU_NP, 0x30);
    machine_free(m);
}
END_TEST

START_TEST(mov_ds_privilege_rules)
{
    struct machine *m = seg_machine(EMU_MODE_PROT32, 3);
    R(m, RAX) = 0x13; /* DPL 0 data at CPL 3 */
    ck_exc(m, "8ed8", EMU_GP, 0x10);
    R(m, RAX) = 0x43; /* conforming code: no privilege rule */
    ck_ok(m, "8ed8");
    ck_assert_uint_eq(m->segs[EMU_SEG_DS].sel, 0x43);
    machine_free(m);
    m = seg_machine(EMU_MODE_PROT32, 0);
    R(m, RAX) = 0x1b; /* DPL 3 data, RPL 3 at CPL 0: fine */
    ck_ok(m, "8ed8");
    ck_assert_uint_eq(m->segs[EMU_SEG_DS].base, 0x1000);
    machine_free(m);
}
END_TEST

START_TEST(mov_ds_type_rules)
{
    struct machine *m = seg_machine(EMU_MODE_PROT32, 0);
    R(m, RAX) = 0x28; /* execute-only code */
    ck_exc(m, "8ed8", EMU_GP, 0x28);
    R(m, RAX) = 0x48; /* system (TSS) */
    ck_exc(m, "8ed8", EMU_GP, 0x48);
    R(m, RAX) = 0x08; /* readable code: fine */
    ck_ok(m, "8ed8");
    machine_free(m);
}
END_TEST

START_TEST(mov_ds_outside_table_is_gp_sel)
{
    struct machine *m = seg_machine(EMU_MODE_PROT32, 0);
    R(m, RAX) = 0x80 | 3;
    ck_exc(m, "8ed8", EMU_GP, 0x80);
    R(m, RAX) = 0x0c; /* LDT selector with no LDT */
    ck_exc(m, "8ed8", EMU_GP, 0x0c);
    machine_free(m);
}
END_TEST

START_TEST(mov_ds_ldt_selector)
{
    struct machine *m = seg_machine(EMU_MODE_PROT32, 0);
    seg_load(m, EMU_SEG_LDTR, 0x50, LDT_BASE, 15, 0x82);
    R(m, RAX) = 0x0c;
    ck_ok(m, "8ed8");
    ck_seg(m, EMU_SEG_DS, 0x0c, 0x5000, 0xffff, 0x093);
    machine_free(m);
}
END_TEST

START_TEST(mov_sreg_real_and_v86_mode)
{
    struct machine *m = tm_new(EMU_MODE_REAL);
    m->segs[EMU_SEG_ES].limit = 0xffffffff; /* unreal: the limit survives */
    R(m, RAX) = 0x1234;
    ck_ok(m, "8ec0");
    ck_seg(m, EMU_SEG_ES, 0x1234, 0x12340, 0xffffffff, 0x93);
    machine_free(m);
    m = tm_new(EMU_MODE_V86);
    R(m, RAX) = 0x2000;
    ck_ok(m, "8ed0");
    ck_seg(m, EMU_SEG_SS, 0x2000, 0x20000, 0xffff, 0xf3);
    machine_free(m);
}
END_TEST

START_TEST(mov_from_sreg_sizes)
{
    struct machine *m = seg_machine(EMU_MODE_PROT32, 0);
    m->segs[EMU_SEG_DS].sel = 0x10;
    R(m, RAX) = 0xffffffff;
    ck_ok(m, "8cd8"); /* mov eax, ds: zero-extended */
    ck_assert_uint_eq(R(m, RAX), 0x10);
    R(m, RAX) = 0xffffffff;
    ck_ok(m, "668cd8"); /* mov ax, ds */
    ck_assert_uint_eq(R(m, RAX), 0xffff0010);
    poke(m, 0x3000, 0xaaaaaaaa, 4);
    R(m, RBX) = 0x3000;
    ck_ok(m, "8c1b"); /* mov [ebx], ds: 16 bits */
    ck_assert_uint_eq(peek(m, 0x3000, 4), 0xaaaa0010);
    ck_exc(m, "8cf0", EMU_UD, 0); /* Sreg 6 */
    ck_exc(m, "8ec8", EMU_UD, 0); /* mov cs, ax */
    machine_free(m);
}
END_TEST

START_TEST(lss_loads_pointer)
{
    struct machine *m = seg_machine(EMU_MODE_PROT32, 0);
    poke(m, 0x3000, 0x12345678, 4);
    poke(m, 0x3004, 0x10, 2);
    R(m, RBX) = 0x3000;
    ck_ok(m, "0fb223"); /* lss esp, [ebx] */
    ck_assert_uint_eq(R(m, RSP), 0x12345678);
    ck_seg(m, EMU_SEG_SS, 0x10, 0, 0xffffffff, 0xc93);
    ck_assert_uint_eq(count_ev(m, EMU_EV_INT_SHADOW), 0);
    poke(m, 0x3004, 0x11, 2); /* RPL 1 at CPL 0 */
    ck_exc(m, "0fb223", EMU_GP, 0x10);
    ck_assert_uint_eq(R(m, RSP), 0x12345678);
    machine_free(m);
}
END_TEST

START_TEST(lds_les_lfs_lgs)
{
    struct machine *m = seg_machine(EMU_MODE_PROT32, 0);
    poke(m, 0x3000, 0xdeadbeef, 4);
    poke(m, 0x3004, 0x1b, 2);
    R(m, RBX) = 0x3000;
    ck_exc(m, "66c43b", EMU_GP, 0xdeac); /* les di, [ebx]: m16:16, selector DEADh at +2 */
    ck_ok(m, "c433"); /* les esi, [ebx] */
    ck_assert_uint_eq(R(m, RSI), 0xdeadbeef);
    ck_assert_uint_eq(m->segs[EMU_SEG_ES].base, 0x1000);
    ck_ok(m, "c53b"); /* lds edi, [ebx] */
    ck_assert_uint_eq(m->segs[EMU_SEG_DS].sel, 0x1b);
    machine_free(m);
    m = seg_machine(EMU_MODE_PROT32, 0);
    poke(m, 0x3000, 0x1000, 4);
    poke(m, 0x3004, 0x30, 2); /* not present */
    R(m, RBX) = 0x3000;
    ck_exc(m, "0fb433", EMU_NP, 0x30); /* lfs */
    poke(m, 0x3004, 0x10, 2);
    ck_ok(m, "0fb533"); /* lgs */
    ck_assert_uint_eq(m->segs[EMU_SEG_GS].sel, 0x10);
    machine_free(m);
}
END_TEST

/* LSS with REX.W in 64-bit mode: m16:64 on Intel; AMD ignores REX.W (m16:32). */
START_TEST(lss_rexw_by_vendor)
{
    struct machine *m = seg_machine(EMU_MODE_LONG64, 0);
    poke(m, 0x3000, 0x1122334455667788ull, 8);
    poke(m, 0x3008, 0x10, 2);
    poke(m, 0x3004, 0x10, 2); /* where AMD finds its selector */
    R(m, RBX) = 0x3000;
    ck_ok(m, "480fb223");
    ck_assert_uint_eq(R(m, RSP), 0x1122001055667788ull);
    machine_free(m);
    struct emu_config c = tm_cfg(EMU_VENDOR_AMD);
    m = tm_new_cfg(EMU_MODE_LONG64, &c);
    sys_tables(m, 16);
    gdt_set(m, 2, 0, 0xfffff, 0xc93);
    poke(m, 0x3000, 0x1122334455667788ull, 8);
    poke(m, 0x3004, 0x10, 2);
    R(m, RBX) = 0x3000;
    R(m, RSP) = 0xffffffffffffffffull;
    ck_ok(m, "480fb223");
    ck_assert_uint_eq(R(m, RSP), 0x55667788); /* 32-bit write, zero-extended */
    ck_assert_uint_eq(m->segs[EMU_SEG_SS].sel, 0x10);
    machine_free(m);
}
END_TEST

START_TEST(lar_returns_access_rights)
{
    struct machine *m = seg_machine(EMU_MODE_PROT32, 0);
    R(m, RBX) = 0x08;
    R(m, RAX) = 0;
    ck_ok(m, "0f02c3"); /* lar eax, bx */
    ck_assert(FLAGS(m) & EMU_FLAG_ZF);
    ck_assert_uint_eq(R(m, RAX), 0x00c09b00);
    R(m, RAX) = 0xffffffff;
    ck_ok(m, "660f02c3"); /* 16-bit: byte 5 only */
    ck_assert_uint_eq(R(m, RAX), 0xffff9b00);
    machine_free(m);
}
END_TEST

START_TEST(lar_bad_selector_clears_zf_no_write)
{
    struct machine *m = seg_machine(EMU_MODE_PROT32, 0);
    FLAGS(m) |= EMU_FLAG_ZF;
    R(m, RAX) = 0x5555;
    R(m, RBX) = 0; /* null */
    ck_ok(m, "0f02c3");
    ck_assert(!(FLAGS(m) & EMU_FLAG_ZF));
    ck_assert_uint_eq(R(m, RAX), 0x5555);
    FLAGS(m) |= EMU_FLAG_ZF;
    R(m, RBX) = 0x100; /* outside the GDT */
    ck_ok(m, "0f02c3");
    ck_assert(!(FLAGS(m) & EMU_FLAG_ZF));
    FLAGS(m) |= EMU_FLAG_ZF;
    R(m, RBX) = 0x3c; /* LDT selector, no LDT */
    ck_ok(m, "0f02c3");
    ck_assert(!(FLAGS(m) & EMU_FLAG_ZF));
    machine_free(m);
}
END_TEST

START_TEST(lar_privilege_and_conforming)
{
    struct machine *m = seg_machine(EMU_MODE_PROT32, 3);
    FLAGS(m) |= EMU_FLAG_ZF;
    R(m, RBX) = 0x10; /* DPL 0 data at CPL 3 */
    ck_ok(m, "0f02c3");
    ck_assert(!(FLAGS(m) & EMU_FLAG_ZF));
    R(m, RBX) = 0x43; /* conforming code DPL 0: visible */
    ck_ok(m, "0f02c3");
    ck_assert(FLAGS(m) & EMU_FLAG_ZF);
    R(m, RBX) = 0x5b; /* call gate DPL 3 */
    ck_ok(m, "0f02c3");
    ck_assert(FLAGS(m) & EMU_FLAG_ZF);
    ck_assert_uint_eq(R(m, RAX), 0x0000ec00);
    machine_free(m);
    m = seg_machine(EMU_MODE_PROT32, 0);
    R(m, RBX) = 0x1b; /* DPL 3 data, RPL 3 at CPL 0: fine; RPL > DPL? no */
    ck_ok(m, "0f02c3");
    ck_assert(FLAGS(m) & EMU_FLAG_ZF);
    R(m, RBX) = 0x13; /* DPL 0 with RPL 3 */
    ck_ok(m, "0f02c3");
    ck_assert(!(FLAGS(m) & EMU_FLAG_ZF));
    machine_free(m);
}
END_TEST

/* Long mode: only LDT, 64-bit TSS and 64-bit call gate among the system types; the 16-bit TSS
 * is refused. */
START_TEST(lar_long_mode_system_types)
{
    struct machine *m = seg_machine(EMU_MODE_LONG64, 0);
    FLAGS(m) |= EMU_FLAG_ZF;
    R(m, RBX) = 0x48; /* 16-bit TSS */
    ck_ok(m, "0f02c3");
    ck_assert(!(FLAGS(m) & EMU_FLAG_ZF));
    poke(m, GDT_BASE + 0x58, 0, 8); /* the upper half of the LDT descriptor at 0x50 */
    R(m, RBX) = 0x50; /* LDT: 16-byte descriptor, upper half zero */
    ck_ok(m, "0f02c3");
    ck_assert(FLAGS(m) & EMU_FLAG_ZF);
    FLAGS(m) |= EMU_FLAG_ZF;
    poke(m, GDT_BASE + 0x58 + 5, 0x01, 1); /* upper half with a type field: invalid */
    ck_ok(m, "0f02c3");
    ck_assert(!(FLAGS(m) & EMU_FLAG_ZF));
    machine_free(m);
}
END_TEST

START_TEST(lsl_returns_expanded_limit)
{
    struct machine *m = seg_machine(EMU_MODE_PROT32, 0);
    R(m, RBX) = 0x10;
    ck_ok(m, "0f03c3"); /* lsl eax, bx */
    ck_assert(FLAGS(m) & EMU_FLAG_ZF);
    ck_assert_uint_eq(R(m, RAX), 0xffffffff);
    R(m, RBX) = 0x48; /* 16-bit TSS: valid for LSL */
    ck_ok(m, "0f03c3");
    ck_assert(FLAGS(m) & EMU_FLAG_ZF);
    ck_assert_uint_eq(R(m, RAX), 0x2b);
    R(m, RBX) = 0x5b; /* call gate: not for LSL */
    ck_ok(m, "0f03c3");
    ck_assert(!(FLAGS(m) & EMU_FLAG_ZF));
    machine_free(m);
}
END_TEST

START_TEST(verr_verw_rules)
{
    struct machine *m = seg_machine(EMU_MODE_PROT32, 0);
    struct { uint16_t sel; int r, w; } cases[] = {
        { 0x08, 1, 0 }, /* readable code */
        { 0x10, 1, 1 }, /* writable data */
        { 0x28, 0, 0 }, /* execute-only code */
        { 0x38, 1, 0 }, /* read-only data */
        { 0x48, 0, 0 }, /* system */
        { 0x00, 0, 0 }, /* null */
        { 0x30, 1, 1 }, /* not present: VERR/VERW do not look at P */
    };
    for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        R(m, RAX) = cases[i].sel;
        ck_ok(m, "0f00e0"); /* verr ax */
        ck_assert_msg(!!(FLAGS(m) & EMU_FLAG_ZF) == cases[i].r, "verr %x", cases[i].sel);
        ck_ok(m, "0f00e8"); /* verw ax */
        ck_assert_msg(!!(FLAGS(m) & EMU_FLAG_ZF) == cases[i].w, "verw %x", cases[i].sel);
    }
    machine_free(m);
    m = seg_machine(EMU_MODE_PROT32, 3);
    R(m, RAX) = 0x13;
    ck_ok(m, "0f00e0");
    ck_assert(!(FLAGS(m) & EMU_FLAG_ZF));
    R(m, RAX) = 0x43; /* conforming readable code: readable at any CPL */
    ck_ok(m, "0f00e0");
    ck_assert(FLAGS(m) & EMU_FLAG_ZF);
    machine_free(m);
}
END_TEST

START_TEST(lar_lsl_verr_ud_in_real_and_v86)
{
    struct machine *m = tm_new(EMU_MODE_REAL);
    ck_exc(m, "0f02c3", EMU_UD, 0);
    ck_exc(m, "0f00e0", EMU_UD, 0);
    ck_exc(m, "63c3", EMU_UD, 0); /* arpl */
    machine_free(m);
    m = tm_new(EMU_MODE_V86);
    ck_exc(m, "0f03c3", EMU_UD, 0);
    machine_free(m);
}
END_TEST

/* Only the memory operand faults: a selector read from an unmapped page is #PF. */
START_TEST(verr_memory_operand_faults)
{
    struct machine *m = seg_machine(EMU_MODE_PROT32, 0);
    machine_add_perm(m, 0x400000, 0x1000, "rx", 0);
    machine_add_perm(m, GDT_BASE, 0x1000, "r", 0);
    R(m, RBX) = 0x9000;
    ck_exc(m, "0f0023", EMU_PF, 0); /* verr [ebx] */
    ck_assert_uint_eq(m->ctx.result.exception.cr2, 0x9000);
    machine_free(m);
}
END_TEST

START_TEST(arpl_adjusts_rpl)
{
    struct machine *m = seg_machine(EMU_MODE_PROT32, 0);
    R(m, RAX) = 0x10;
    R(m, RBX) = 0x23;
    ck_ok(m, "63d8"); /* arpl ax, bx */
    ck_assert_uint_eq(R(m, RAX), 0x13);
    ck_assert(FLAGS(m) & EMU_FLAG_ZF);
    ck_ok(m, "63d8"); /* already 3 */
    ck_assert_uint_eq(R(m, RAX), 0x13);
    ck_assert(!(FLAGS(m) & EMU_FLAG_ZF));
    poke(m, 0x3000, 0x0008, 2);
    R(m, RCX) = 0x3000;
    ck_ok(m, "6319"); /* arpl [ecx], bx */
    ck_assert_uint_eq(peek(m, 0x3000, 2), 0x000b);
    machine_free(m);
}
END_TEST

static Suite *seg_suite(void)
{
    Suite *s = suite_create("seg");
    TCase *t = tcase_create("seg");
    tcase_add_test(t, mov_ss_loads_descriptor_sets_accessed_and_opens_shadow);
    tcase_add_test(t, mov_ds_no_shadow);
    tcase_add_test(t, mov_ds_null_selector_is_unusable);
    tcase_add_test(t, mov_fs_null_base_by_vendor);
    tcase_add_test(t, mov_ss_null_is_gp0_outside_64bit);
    tcase_add_test(t, mov_ss_null_in_64bit_mode);
    tcase_add_test(t, mov_ss_rpl_or_dpl_not_cpl_is_gp_sel);
    tcase_add_test(t, mov_ss_not_present_is_ss_sel);
    tcase_add_test(t, mov_ds_not_present_is_np_sel);
    tcase_add_test(t, mov_ds_privilege_rules);
    tcase_add_test(t, mov_ds_type_rules);
    tcase_add_test(t, mov_ds_outside_table_is_gp_sel);
    tcase_add_test(t, mov_ds_ldt_selector);
    tcase_add_test(t, mov_sreg_real_and_v86_mode);
    tcase_add_test(t, mov_from_sreg_sizes);
    tcase_add_test(t, lss_loads_pointer);
    tcase_add_test(t, lds_les_lfs_lgs);
    tcase_add_test(t, lss_rexw_by_vendor);
    tcase_add_test(t, lar_returns_access_rights);
    tcase_add_test(t, lar_bad_selector_clears_zf_no_write);
    tcase_add_test(t, lar_privilege_and_conforming);
    tcase_add_test(t, lar_long_mode_system_types);
    tcase_add_test(t, lsl_returns_expanded_limit);
    tcase_add_test(t, verr_verw_rules);
    tcase_add_test(t, lar_lsl_verr_ud_in_real_and_v86);
    tcase_add_test(t, verr_memory_operand_faults);
    tcase_add_test(t, arpl_adjusts_rpl);
    suite_add_tcase(s, t);
    return s;
}
REGISTER_SUITE(seg_suite)
