/*
 * Segment-register instructions: MOV to/from Sreg, LDS/LES/LFS/LGS/LSS, the descriptor probes
 * LAR/LSL/VERR/VERW (ZF results; a bad selector never faults, only the memory operand and the
 * descriptor read itself can) and ARPL.  The loads themselves are emu_load_seg (lib/seg.c).
 */
#include "internal.h"

/* MOV Sreg, r/m16.  MOV SS blocks interrupts and #DB until the next instruction retires. */
EXEC(emu_exec_mov_to_sreg)
{
    uint64_t v;
    TRY(emu_op_read(ctx, in, 1, &v));
    const unsigned seg = in->ops[0].reg;
    TRY(emu_load_seg(ctx, seg, (uint16_t)v));
    if (seg == EMU_SEG_SS) {
        struct emu_event ev = { 0 };
        ev.type = EMU_EV_INT_SHADOW;
        ev.value = 2;
        emu_queue_event(ctx, &ev);
    }
    return EMU_OK;
}

/* MOV r/m, Sreg: memory gets 16 bits whatever the operand size; a 32/64-bit register gets the
 * selector zero-extended (every processor since the Pentium Pro), a 16-bit one keeps its upper
 * bits. */
EXEC(emu_exec_mov_from_sreg)
{
    const struct emu_segment *sr;
    TRY(emu_get_seg(ctx, in->ops[1].reg, &sr));
    return emu_op_write(ctx, in, 0, sr->sel);
}

static unsigned lxs_seg(unsigned op)
{
    switch (op) {
    case OP_LES: return EMU_SEG_ES;
    case OP_LDS: return EMU_SEG_DS;
    case OP_LSS: return EMU_SEG_SS;
    case OP_LFS: return EMU_SEG_FS;
    default: return EMU_SEG_GS;
    }
}

/* LDS/LES/LFS/LGS/LSS r, m16:16/32/64: offset first, selector after it, two accesses
 * (emu_read_farptr); the segment load has all the checks of MOV Sreg (emu_load_seg), then the
 * register is written.  REX.W (m16:64) is Intel's: AMD documents only m16:16 and m16:32 and
 * ignores REX.W (as Xen's emulator does).  LSS does not open an interrupt shadow (only MOV SS
 * and POP SS do). */
EXEC(emu_exec_lxs)
{
    unsigned osz = in->opsize;
    if (osz == 8 && emu_is_amd(ctx)) osz = 4;
    uint64_t off;
    uint16_t sel;
    TRY(emu_read_farptr(ctx, in->seg, emu_ea(ctx, in), osz, &off, &sel));
    TRY(emu_load_seg(ctx, lxs_seg(in->op), sel));
    emu_gpr_write_sized(ctx, in->ops[0].reg, osz, 0, off);
    return EMU_OK;
}

/* ---- LAR / LSL / VERR / VERW ------------------------------------------------------------- */

/* The descriptor a probe may look at: *ok = 0 (ZF = 0) for a null selector, one outside the
 * table, or a 16-byte long-mode system descriptor whose upper half does not fit or has a
 * non-zero type field.  In long mode the upper half is read only for system descriptors. */
static enum emu_status probe_desc(struct emu_ctx *ctx, uint16_t sel, int lma, struct emu_desc *d, int *ok)
{
    __builtin_memset(d, 0, sizeof *d);
    *ok = 0;
    if ((sel & ~3u) == 0) return EMU_OK;
    int in_table;
    TRY(emu_desc_addr(ctx, sel, 8, &d->addr, &in_table));
    if (!in_table) return EMU_OK;
    TRY(emu_read_sys(ctx, d->addr, d->b, 8));
    d->sel = sel;
    d->type = d->b[5] & 15;
    d->s = (d->b[5] >> 4) & 1;
    d->dpl = (d->b[5] >> 5) & 3;
    d->p = d->b[5] >> 7;
    if (lma && !d->s) {
        uint64_t a;
        TRY(emu_desc_addr(ctx, sel, 16, &a, &in_table));
        if (!in_table) return EMU_OK;
        TRY(emu_read_sys(ctx, d->addr + 8, d->b + 8, 8));
        if (d->b[13] & 0x1f) return EMU_OK;
    }
    *ok = 1;
    return EMU_OK;
}

/* The privilege rule of all four: a conforming code segment is always visible; anything else
 * needs DPL >= CPL and DPL >= RPL. */
static int visible(const struct emu_desc *d, unsigned cpl)
{
    if (d->s && (d->type & 0xc) == 0xc) return 1;
    return d->dpl >= cpl && d->dpl >= (d->sel & 3u);
}

/* System descriptor types LAR (lar = 1) and LSL accept.  Legacy: 16/32-bit TSS (available and
 * busy) and LDT; LAR also call gates and task gates.  Long mode (64-bit and compatibility):
 * only the LDT, the 64-bit TSS and, for LAR, the 64-bit call gate. */
static int sys_type_ok(unsigned type, int lma, int lar)
{
    if (lma) return type == 2 || type == 9 || type == 11 || (lar && type == 12);
    switch (type) {
    case 1: case 2: case 3: case 9: case 11: return 1;
    case 4: case 5: case 12: return lar;
    default: return 0;
    }
}

/* LAR r, r/m16 and LSL r, r/m16 (one executor, in->op tells).  ZF = 1 and the destination
 * written when the descriptor is valid and visible; else ZF = 0 and the destination is left
 * alone (even a 32-bit one in 64-bit mode: no zero-extension).
 * LAR returns the second descriptor dword masked with 00F0FF00h: the SDM's mask is 00FxFF00h
 * with bits 19:16 (limit 19:16) undefined; we return 0 there, as QEMU does.  With a 16-bit
 * operand only bits 15:8 (byte 5).  LSL returns the byte-granular limit (G applied). */
EXEC(emu_exec_lar)
{
    uint64_t v;
    unsigned cpl;
    int lma, ok;
    struct emu_desc d;
    TRY(emu_op_read(ctx, in, 1, &v));
    TRY(emu_get_cpl(ctx, &cpl));
    TRY(emu_lma(ctx, &lma));
    TRY(probe_desc(ctx, (uint16_t)v, lma, &d, &ok));
    const int lar = in->op == OP_LAR;
    if (ok) ok = d.s ? 1 : sys_type_ok(d.type, lma, lar);
    if (ok) ok = visible(&d, cpl);
    if (!ok) {
        ctx->s.rflags &= ~(uint64_t)EMU_FLAG_ZF;
        return EMU_OK;
    }
    ctx->s.rflags |= EMU_FLAG_ZF;
    const uint32_t hi = (uint32_t)emu_load_le(d.b + 4, 4);
    uint64_t r;
    if (lar) {
        r = hi & (in->opsize == 2 ? 0xff00u : 0x00f0ff00u);
    } else {
        uint32_t limit = (uint32_t)emu_load_le(d.b, 2) | (hi & 0xf0000u);
        if (hi & 0x800000u) limit = (limit << 12) | 0xfff;
        r = limit;
    }
    emu_gpr_write_sized(ctx, in->ops[0].reg, in->opsize, 0, r);
    return EMU_OK;
}

/* VERR / VERW r/m16: ZF = 1 if the segment is readable (VERR: data, or readable code) or
 * writable (VERW: writable data) at the current CPL and the selector's RPL.  System
 * descriptors, null selectors and selectors outside the table give ZF = 0. */
EXEC(emu_exec_verr)
{
    uint64_t v;
    unsigned cpl;
    int lma, ok;
    struct emu_desc d;
    TRY(emu_op_read(ctx, in, 0, &v));
    TRY(emu_get_cpl(ctx, &cpl));
    TRY(emu_lma(ctx, &lma));
    TRY(probe_desc(ctx, (uint16_t)v, lma, &d, &ok));
    if (ok) ok = d.s && visible(&d, cpl);
    if (ok) {
        const int code = (d.type & 8) != 0;
        if (in->op == OP_VERR) ok = !code || (d.type & 2);
        else ok = !code && (d.type & 2);
    }
    if (ok) ctx->s.rflags |= EMU_FLAG_ZF;
    else ctx->s.rflags &= ~(uint64_t)EMU_FLAG_ZF;
    return EMU_OK;
}

/* ARPL r/m16, r16: if the destination's RPL is below the source's, raise it (ZF = 1), else
 * ZF = 0 and no write.  A memory destination is read, and written only when it changes (the
 * SDM's pseudocode writes DEST in the THEN branch alone): it is not a read-modify-write whose
 * read checks write access.  Zen 3 (hwdiff): ARPL with ZF = 0 retires on a read-only page and
 * through a CS override; one that straddles a read-only page into an unmapped one faults on
 * the read of the second page (#PF 4 there), not on a write of the first. */
EXEC(emu_exec_arpl)
{
    uint64_t dst, src;
    TRY(emu_op_read(ctx, in, 0, &dst));
    TRY(emu_op_read(ctx, in, 1, &src));
    if ((dst & 3) < (src & 3)) {
        ctx->s.rflags |= EMU_FLAG_ZF;
        return emu_op_write(ctx, in, 0, (dst & ~3ull) | (src & 3));
    }
    ctx->s.rflags &= ~(uint64_t)EMU_FLAG_ZF;
    return EMU_OK;
}
