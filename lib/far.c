/*
 * Far transfers: JMP/CALL ptr16:16/32 and m16:16/32/64, through code segments (conforming and
 * non-conforming), call gates (16/32-bit; 64-bit in long mode, with the stack switch through
 * the TSS and the parameter copy of the legacy gates), TSS descriptors and task gates (the
 * task switch is lib/task.c); RETF (same and outer level, imm16, the nulling of data segments)
 * and IRET in every mode (real, v86 with IOPL 3 and VME, protected same/outer level, return to
 * v86, long mode, and the task return when NT is set).
 *
 * The order of checks follows the SDM pseudocode of JMP, CALL, RET and IRET; where the SDM and
 * the APM are silent the choice is written beside the code.  Memory writes (pushes, accessed
 * bits) are buffered like every other write; a fault leaves nothing behind.
 */
#include "internal.h"

/* ---- stacks other than the current one ------------------------------------------------------ */

/* Offset range check of n bytes at off against a (valid) stack segment, expand-down aware. */
static enum emu_status stk_check(struct emu_ctx *ctx, const struct emu_stk *k, uint64_t off, unsigned n,
                                 uint64_t *la)
{
    if (k->size == 8) {
        int ok;
        TRY(emu_is_canonical(ctx, off, &ok));
        if (ok) TRY(emu_is_canonical(ctx, off + n - 1, &ok));
        if (!ok) return emu_raise(ctx, EMU_SS, 1, k->ec);
        *la = off;
        return EMU_OK;
    }
    const uint64_t last = off + n - 1;
    const unsigned type = k->ss.attr & EMU_SEGATTR_TYPE;
    if ((k->ss.attr & EMU_SEGATTR_S) && !(type & 8) && (type & 4)) {
        const uint64_t upper = (k->ss.attr & EMU_SEGATTR_DB) ? 0xffffffffull : 0xffffull;
        if (off <= k->ss.limit || last > upper) return emu_raise(ctx, EMU_SS, 1, k->ec);
    } else if (last > k->ss.limit) {
        return emu_raise(ctx, EMU_SS, 1, k->ec);
    }
    *la = (k->ss.base + off) & 0xffffffffull;
    return EMU_OK;
}

static unsigned stk_flags(const struct emu_ctx *ctx, const struct emu_stk *k)
{
    unsigned f = EMU_MEM_STACK | (k->user ? EMU_MEM_USER : 0);
    if (k->ac && (ctx->s.rflags & EMU_FLAG_AC)) f |= EMU_MEM_AC;
    return f;
}

enum emu_status emu_stk_room(struct emu_ctx *ctx, const struct emu_stk *k, unsigned n)
{
    uint64_t la = 0;
    const uint64_t m = emu_mask(k->size);
    return stk_check(ctx, k, (k->sp - n) & m, n, &la);
}

enum emu_status emu_stk_push(struct emu_ctx *ctx, struct emu_stk *k, uint64_t val, unsigned n)
{
    uint64_t la = 0;
    uint8_t buf[8];
    const uint64_t m = emu_mask(k->size);
    const uint64_t sp = (k->sp - n) & m;
    TRY(stk_check(ctx, k, sp, n, &la));
    emu_store_le(buf, val, n);
    TRY(emu_write_la(ctx, la, buf, n, stk_flags(ctx, k)));
    k->sp = (k->sp & ~m) | sp;
    return EMU_OK;
}

enum emu_status emu_stk_pop(struct emu_ctx *ctx, struct emu_stk *k, uint64_t *val, unsigned n)
{
    uint64_t la = 0;
    uint8_t buf[8];
    const uint64_t m = emu_mask(k->size);
    const uint64_t sp = k->sp & m;
    TRY(stk_check(ctx, k, sp, n, &la));
    TRY(emu_read_la(ctx, la, buf, n, stk_flags(ctx, k)));
    *val = emu_load_le(buf, n);
    k->sp = (k->sp & ~m) | ((sp + n) & m);
    return EMU_OK;
}

enum emu_status emu_stk_current(struct emu_ctx *ctx, struct emu_stk *k)
{
    const struct emu_segment *ss;
    unsigned ssz, cpl;
    TRY(emu_get_seg(ctx, EMU_SEG_SS, &ss));
    TRY(emu_stack_size(ctx, &ssz));
    TRY(emu_get_cpl(ctx, &cpl));
    k->ss = *ss;
    k->sp = emu_gpr_cur(ctx, EMU_RSP);
    k->size = (uint8_t)ssz;
    k->user = cpl == 3;
    k->ac = 0;
    k->ec = 0;
    return EMU_OK;
}

/* ---- shared pieces -------------------------------------------------------------------------- */

static int is_code(const struct emu_desc *d) { return d->s && (d->type & 8); }
static int is_conforming(const struct emu_desc *d) { return is_code(d) && (d->type & 4); }
/* A 64-bit code segment in long mode: L = 1 (with D = 0; L = D = 1 is refused earlier). */
static int is_l(const struct emu_desc *d) { return (d->b[6] & 0x20) != 0; }
static int is_ld(const struct emu_desc *d) { return (d->b[6] & 0x60) == 0x60; }

/* The new CS register: RPL = the new CPL, accessed bit set. */
static void cs_from_desc(const struct emu_desc *d, unsigned cpl, struct emu_segment *out)
{
    emu_desc_to_seg(d->b, (uint16_t)((d->sel & ~3u) | cpl), out);
}

/* The target offset in the new code segment: canonical for a 64-bit segment (long mode),
 * within the limit otherwise; #GP(0). */
static enum emu_status check_target(struct emu_ctx *ctx, const struct emu_segment *cs, int lma, uint64_t off)
{
    if (lma && (cs->attr & EMU_SEGATTR_L)) {
        int ok;
        TRY(emu_is_canonical(ctx, off, &ok));
        if (!ok) return emu_gp0(ctx);
    } else if (off > cs->limit) {
        return emu_gp0(ctx);
    }
    return EMU_OK;
}

/* Real and virtual-8086 mode: CS gets selector and base (emu_load_seg); the offset must be
 * within the (unchanged) CS limit. */
static enum emu_status far_real(struct emu_ctx *ctx, uint16_t sel, uint64_t off)
{
    const struct emu_segment *cs;
    TRY(emu_get_seg(ctx, EMU_SEG_CS, &cs));
    const uint32_t limit = ctx->s.mode == EMU_MODE_V86 ? 0xffff : cs->limit;
    if (off > limit) return emu_gp0(ctx);
    TRY(emu_load_seg(ctx, EMU_SEG_CS, sel));
    ctx->s.next_rip = off;
    return EMU_OK;
}

/* A stack from an inner-level TSS entry (legacy 16/32-bit TSS) or RSPn/ISTn (64-bit TSS),
 * with the new SS checks of CALL through a gate and of interrupt delivery:
 *   SS null -> #TS(EXT); outside the table, RPL != DPL, not a writable data segment or
 *   DPL != new CPL -> #TS(SS + EXT); not present -> #SS(SS + EXT); the TSS entry outside the
 *   TSS limit -> #TS(TR + EXT).
 * ist: 0, or the IST index (64-bit TSS only).  The new SS is loaded (*ss_out) but not
 * committed; desc_out gets its descriptor for the accessed bit. */
enum emu_status emu_inner_stack(struct emu_ctx *ctx, unsigned dpl, int lma, unsigned ist, unsigned ext,
                                struct emu_stk *k, struct emu_desc *ssd)
{
    const struct emu_segment *tr;
    uint8_t b[8];
    TRY(emu_get_seg(ctx, EMU_SEG_TR, &tr));
    __builtin_memset(k, 0, sizeof *k);
    __builtin_memset(ssd, 0, sizeof *ssd);
    k->user = dpl == 3;
    if (lma) {
        const uint32_t off = ist ? 0x24 + 8 * (ist - 1) : 4 + 8 * dpl;
        if (off + 7 > tr->limit) return emu_sel_fault(ctx, EMU_TS, tr->sel, ext);
        TRY(emu_read_sys(ctx, tr->base + off, b, 8));
        k->sp = emu_load_le(b, 8);
        int ok;
        TRY(emu_is_canonical(ctx, k->sp, &ok));
        if (!ok) return emu_raise(ctx, EMU_SS, 1, ext);
        /* SS becomes a null selector with RPL = the new CPL (DPL = CPL in our SS.DPL model). */
        k->ss.sel = (uint16_t)dpl;
        k->ss.attr = (uint16_t)(dpl << 5);
        k->size = 8;
        k->ec = (uint16_t)ext;
        return EMU_OK;
    }
    const int tss32 = (tr->attr & 8) != 0;
    const uint32_t off = tss32 ? 4 + 8 * dpl : 2 + 4 * dpl;
    const unsigned n = tss32 ? 8 : 4;
    if (off + n - 1 > tr->limit) return emu_sel_fault(ctx, EMU_TS, tr->sel, ext);
    TRY(emu_read_sys(ctx, (tr->base + off) & 0xffffffffull, b, n));
    const uint64_t sp = tss32 ? emu_load_le(b, 4) : emu_load_le(b, 2);
    const uint16_t sel = (uint16_t)(tss32 ? emu_load_le(b + 4, 2) : emu_load_le(b + 2, 2));
    if ((sel & ~3u) == 0) return emu_raise(ctx, EMU_TS, 1, ext);
    TRY(emu_fetch_desc(ctx, sel, ssd, EMU_TS, ext));
    if ((sel & 3u) != dpl) return emu_sel_fault(ctx, EMU_TS, sel, ext);
    if (ssd->dpl != dpl || !ssd->s || (ssd->type & 8) || !(ssd->type & 2))
        return emu_sel_fault(ctx, EMU_TS, sel, ext);
    if (!ssd->p) return emu_sel_fault(ctx, EMU_SS, sel, ext);
    emu_desc_to_seg(ssd->b, sel, &k->ss);
    k->ss.attr |= 1;
    k->size = (k->ss.attr & EMU_SEGATTR_DB) ? 4 : 2;
    k->sp = sp;
    k->ec = (uint16_t)((sel & 0xfffcu) | ext);
    return EMU_OK;
}

/* Code-segment checks of JMP/CALL straight to a code segment:
 * conforming: DPL > CPL -> #GP(sel); non-conforming: RPL > CPL or DPL != CPL -> #GP(sel);
 * L = D = 1 in long mode -> #GP(sel); not present -> #NP(sel). */
static enum emu_status direct_code_checks(struct emu_ctx *ctx, const struct emu_desc *d, unsigned cpl, int lma)
{
    if (is_conforming(d)) {
        if (d->dpl > cpl) return emu_sel_fault(ctx, EMU_GP, d->sel, 0);
    } else if ((d->sel & 3u) > cpl || d->dpl != cpl) {
        return emu_sel_fault(ctx, EMU_GP, d->sel, 0);
    }
    if (lma && is_ld(d)) return emu_sel_fault(ctx, EMU_GP, d->sel, 0);
    if (!d->p) return emu_sel_fault(ctx, EMU_NP, d->sel, 0);
    return EMU_OK;
}

/* The TSS of a JMP/CALL to a TSS descriptor or a task gate (legacy mode only):
 * TSS: DPL < CPL or DPL < RPL -> #GP(TSS); busy -> #GP(TSS); not present -> #NP(TSS).
 * Task gate: DPL < CPL or DPL < RPL -> #GP(gate); not present -> #NP(gate); its TSS selector
 * must be in the GDT and name an available, present TSS: #GP(TSS) / #NP(TSS). */
static enum emu_status far_task(struct emu_ctx *ctx, struct emu_insn *in, struct emu_desc *d, unsigned cpl,
                                int call)
{
    if (d->dpl < cpl || d->dpl < (d->sel & 3u)) return emu_sel_fault(ctx, EMU_GP, d->sel, 0);
    if (d->type == 5) {
        if (!d->p) return emu_sel_fault(ctx, EMU_NP, d->sel, 0);
        const uint16_t tsel = (uint16_t)emu_load_le(d->b + 2, 2);
        if (tsel & 4) return emu_sel_fault(ctx, EMU_GP, tsel, 0);
        TRY(emu_fetch_desc(ctx, tsel, d, EMU_GP, 0));
        if (d->s || (d->type != 1 && d->type != 9)) return emu_sel_fault(ctx, EMU_GP, tsel, 0);
        if (!d->p) return emu_sel_fault(ctx, EMU_NP, tsel, 0);
    } else {
        if (d->type == 3 || d->type == 11) return emu_sel_fault(ctx, EMU_GP, d->sel, 0);
        if (!d->p) return emu_sel_fault(ctx, EMU_NP, d->sel, 0);
    }
    return emu_task_switch(ctx, call ? EMU_TS_CALL : EMU_TS_JMP, d, ctx->s.next_rip, 0, 0, 0);
}

/* A far pointer in memory is two accesses, the offset and then the selector, each checked
 * (segment, canonical form, alignment, paging) on its own.  The SDM's alignment table asks 2
 * for a 32-bit far pointer, 4 for a 48-bit one and 8 for an 80-bit one: the offset's size, not
 * the pointer's.  Zen 3 (hwdiff): m16:16 at an address = 2 mod 4 with AC on is no #AC; m16:32
 * whose offset ends at 0x7fffffffffff (a present supervisor page) and whose selector is at the
 * non-canonical 0x800000000000 is #PF on the offset, not #GP for the whole. */
enum emu_status emu_read_farptr(struct emu_ctx *ctx, unsigned seg, uint64_t off, unsigned n, uint64_t *offset,
                                uint16_t *sel)
{
    uint8_t buf[8];
    TRY(emu_read_mem(ctx, seg, off, buf, n, 0));
    *offset = emu_load_le(buf, n);
    /* not wrapped at the address size: a selector past the end of the segment is a limit
     * fault */
    TRY(emu_read_mem(ctx, seg, off + n, buf, 2, 0));
    *sel = (uint16_t)emu_load_le(buf, 2);
    return EMU_OK;
}

/* The far pointer of JMP/CALL: immediate (9A/EA) or m16:16/32/64.  REX.W (m16:64) is Intel's:
 * AMD documents only m16:16 and m16:32 and ignores REX.W for the pointer (as Xen's emulator
 * does); the operand size stays 64 for CALL's pushes (Zen 3, hwdiff: 48 FF /3 reads m16:32
 * and pushes CS and RIP as 8 bytes each). */
static enum emu_status far_operand(struct emu_ctx *ctx, struct emu_insn *in, uint16_t *sel, uint64_t *off)
{
    unsigned n = in->opsize;
    if (n == 8 && emu_is_amd(ctx)) n = 4;
    if (in->ops[0].kind == EMU_OPK_FAR) {
        *off = in->imm & emu_mask(n);
        *sel = (uint16_t)in->imm2;
        return EMU_OK;
    }
    return emu_read_farptr(ctx, in->seg, emu_ea(ctx, in), n, off, sel);
}

/* Legacy-mode system types a far JMP/CALL accepts; long mode takes only the 64-bit call gate. */
static int far_sys_ok(unsigned type, int lma)
{
    if (lma) return type == 12;
    return type == 1 || type == 3 || type == 4 || type == 5 || type == 9 || type == 11 || type == 12;
}

/* Fetch and check a call gate's target code segment: null -> #GP(0); outside the table, not
 * code, DPL > CPL, or (long mode) not a 64-bit segment -> #GP(CS); not present -> #NP(CS). */
static enum emu_status gate_target(struct emu_ctx *ctx, const struct emu_desc *g, int lma, unsigned cpl,
                                   struct emu_desc *cd, uint64_t *off)
{
    const uint16_t csel = (uint16_t)emu_load_le(g->b + 2, 2);
    *off = emu_load_le(g->b, 2) | (g->type == 4 ? 0 : emu_load_le(g->b + 6, 2) << 16);
    if (lma) *off |= emu_load_le(g->b + 8, 4) << 32;
    if ((csel & ~3u) == 0) return emu_gp0(ctx);
    TRY(emu_fetch_desc(ctx, csel, cd, EMU_GP, 0));
    if (!is_code(cd) || cd->dpl > cpl) return emu_sel_fault(ctx, EMU_GP, csel, 0);
    if (lma && (!is_l(cd) || is_ld(cd))) return emu_sel_fault(ctx, EMU_GP, csel, 0);
    if (!cd->p) return emu_sel_fault(ctx, EMU_NP, csel, 0);
    return EMU_OK;
}

/* ---- JMP far -------------------------------------------------------------------------------- */

/* The checks of a call gate a far JMP or CALL names (d, by selector sel): DPL < CPL or
 * DPL < RPL -> #GP(gate), not present -> #NP(gate); then its target (gate_target). */
static enum emu_status call_gate(struct emu_ctx *ctx, struct emu_desc *d, uint16_t sel, unsigned cpl, int lma,
                                 struct emu_desc *cd, uint64_t *off)
{
    if (lma) TRY(emu_fetch_desc_hi(ctx, d, EMU_GP, 0));
    if (d->dpl < cpl || d->dpl < (sel & 3u)) return emu_sel_fault(ctx, EMU_GP, sel, 0);
    if (!d->p) return emu_sel_fault(ctx, EMU_NP, sel, 0);
    return gate_target(ctx, d, lma, cpl, cd, off);
}

/* RSP as a far transfer to the code segment ncs leaves it.  The SDM and the APM leave the
 * upper halves of the GPRs undefined after a switch from 64-bit mode to a 32-bit mode.  AMD
 * clears RSP[63:32] and keeps the others: Zen 3 (hwdiff) shows RSP 0x8000000000000010 as
 * 0x10 after JMP far and after an IRETQ that pops it, into a compatibility-mode segment, with
 * every other register unchanged.  RETF takes the same rule; CALL far pushes through ESP and
 * writes it back zero-extended anyway (call_same_level).  Intel: RSP kept. */
static uint64_t rsp_after_far(const struct emu_ctx *ctx, const struct emu_segment *ncs, uint64_t rsp)
{
    if (ctx->s.mode == EMU_MODE_LONG64 && !(ncs->attr & EMU_SEGATTR_L) && emu_is_amd(ctx)) return rsp & 0xffffffffull;
    return rsp;
}

/* The end of a far JMP to the code segment cd (directly or through a gate): the target
 * checked, the descriptor marked accessed, CS loaded, and RSP as the transfer leaves it. */
static enum emu_status jmp_to(struct emu_ctx *ctx, struct emu_desc *cd, unsigned cpl, int lma, uint64_t off)
{
    struct emu_segment ncs;
    cs_from_desc(cd, cpl, &ncs);
    TRY(check_target(ctx, &ncs, lma, off));
    TRY(emu_set_accessed(ctx, cd));
    cs_from_desc(cd, cpl, &ncs); /* again: the accessed bit is part of the attributes */
    emu_seg_set_now(ctx, EMU_SEG_CS, &ncs);
    ctx->s.next_rip = off;
    const uint64_t rsp = emu_gpr(ctx, EMU_RSP), nrsp = rsp_after_far(ctx, &ncs, rsp);
    if (nrsp != rsp) emu_gpr_write(ctx, EMU_RSP, nrsp);
    return EMU_OK;
}

EXEC(emu_exec_jmp_far)
{
    uint16_t sel;
    uint64_t off;
    unsigned cpl;
    int lma;
    struct emu_desc d, cd;

    TRY(far_operand(ctx, in, &sel, &off));
    if (ctx->s.mode == EMU_MODE_REAL || ctx->s.mode == EMU_MODE_V86) return far_real(ctx, sel, off);
    if ((sel & ~3u) == 0) return emu_gp0(ctx);
    TRY(emu_get_cpl(ctx, &cpl));
    TRY(emu_lma(ctx, &lma));
    TRY(emu_fetch_desc(ctx, sel, &d, EMU_GP, 0));
    if (is_code(&d)) {
        TRY(direct_code_checks(ctx, &d, cpl, lma));
        return jmp_to(ctx, &d, cpl, lma, off);
    }
    if (d.s || !far_sys_ok(d.type, lma)) return emu_sel_fault(ctx, EMU_GP, sel, 0);
    if (d.type != 4 && d.type != 12) return far_task(ctx, in, &d, cpl, 0);
    /* Call gate.  A JMP never changes privilege: a non-conforming target must have DPL = CPL
     * (#GP(CS)). */
    TRY(call_gate(ctx, &d, sel, cpl, lma, &cd, &off));
    if (!is_conforming(&cd) && cd.dpl != cpl) return emu_sel_fault(ctx, EMU_GP, cd.sel, 0);
    return jmp_to(ctx, &cd, cpl, lma, off);
}

/* ---- CALL far ------------------------------------------------------------------------------- */

/* A far CALL that stays at the current privilege level: push CS and the return rIP (the #SS
 * for the return address comes before the #GP(0) for the target offset, SDM), check the
 * target, mark the descriptor accessed and load CS. */
static enum emu_status call_same_level(struct emu_ctx *ctx, struct emu_desc *cd, unsigned cpl, int lma,
                                       uint64_t rsp, uint16_t old_cs, uint64_t ret, unsigned size,
                                       uint64_t off)
{
    struct emu_segment ncs;
    cs_from_desc(cd, cpl, &ncs);
    if (ctx->s.mode == EMU_MODE_LONG64 && !(ncs.attr & EMU_SEGATTR_L) && emu_is_amd(ctx)) {
        /* From 64-bit mode to a compatibility-mode segment, AMD pushes CS:rIP as the new mode
         * addresses its stack: ESP (SP if SS.B = 0) wrapped and checked against SS, no
         * canonical check, and ESP written zero-extended; the pushes keep the operand size.
         * Zen 3 (hwdiff): RSP 0x110001800 -> 0x100017f0 with the return address at
         * 0x100017f0; RSP 0x8000000000000010 -> #PF at 0x8, not #SS.  A 64-bit target pushes
         * through RSP as usual. */
        struct emu_stk k;
        TRY(emu_stk_current(ctx, &k));
        k.size = (k.ss.attr & EMU_SEGATTR_DB) ? 4 : 2;
        TRY(emu_stk_push(ctx, &k, old_cs, size));
        TRY(emu_stk_push(ctx, &k, ret, size));
        rsp = k.size == 4 ? (k.sp & 0xffffffffull) : k.sp; /* (64-bit mode: RSP written whole) */
    } else {
        TRY(emu_push(ctx, &rsp, old_cs, size));
        TRY(emu_push(ctx, &rsp, ret, size));
    }
    TRY(check_target(ctx, &ncs, lma, off));
    TRY(emu_set_accessed(ctx, cd));
    cs_from_desc(cd, cpl, &ncs); /* again: the accessed bit is part of the attributes */
    emu_seg_set_now(ctx, EMU_SEG_CS, &ncs);
    ctx->s.next_rip = off;
    return emu_set_rsp(ctx, rsp);
}

EXEC(emu_exec_call_far)
{
    uint16_t sel;
    uint64_t off;
    unsigned cpl;
    const unsigned osz = in->opsize; /* the pushes: 8 with REX.W on AMD too (far_operand) */
    int lma;
    struct emu_desc d, cd;
    struct emu_segment ncs;
    const struct emu_segment *cs;
    uint64_t rsp = emu_gpr(ctx, EMU_RSP);

    TRY(far_operand(ctx, in, &sel, &off));
    TRY(emu_get_seg(ctx, EMU_SEG_CS, &cs));
    const uint16_t old_cs = cs->sel;
    const uint64_t ret = ctx->s.next_rip;
    if (ctx->s.mode == EMU_MODE_REAL || ctx->s.mode == EMU_MODE_V86) {
        /* The CS slot is written zero-extended to the operand size (as Bochs and QEMU do; the
         * SDM says only "padded"). */
        TRY(emu_push(ctx, &rsp, old_cs, osz));
        TRY(emu_push(ctx, &rsp, ret, osz));
        TRY(far_real(ctx, sel, off));
        return emu_set_rsp(ctx, rsp);
    }
    if ((sel & ~3u) == 0) return emu_gp0(ctx);
    TRY(emu_get_cpl(ctx, &cpl));
    TRY(emu_lma(ctx, &lma));
    TRY(emu_fetch_desc(ctx, sel, &d, EMU_GP, 0));
    if (is_code(&d)) {
        TRY(direct_code_checks(ctx, &d, cpl, lma));
        return call_same_level(ctx, &d, cpl, lma, rsp, old_cs, ret, osz, off);
    }
    if (d.s || !far_sys_ok(d.type, lma)) return emu_sel_fault(ctx, EMU_GP, sel, 0);
    if (d.type != 4 && d.type != 12) return far_task(ctx, in, &d, cpl, 1);

    /* Call gate. */
    TRY(call_gate(ctx, &d, sel, cpl, lma, &cd, &off));
    const unsigned gsz = lma ? 8 : d.type == 12 ? 4 : 2; /* push size: the gate's */

    if (!is_conforming(&cd) && cd.dpl < cpl) {
        /* More privileged: new stack from the TSS, then old SS:rSP, the parameters (legacy
         * gates: count in bits 4:0, copied from the old stack), old CS:rIP. */
        const unsigned ncpl = cd.dpl;
        struct emu_stk k, old;
        struct emu_desc ssd;
        const struct emu_segment *oss;
        TRY(emu_get_seg(ctx, EMU_SEG_SS, &oss));
        TRY(emu_inner_stack(ctx, ncpl, lma, 0, 0, &k, &ssd));
        const unsigned nparam = lma ? 0 : (d.b[4] & 0x1f);
        TRY(emu_stk_room(ctx, &k, gsz * (4 + nparam)));
        cs_from_desc(&cd, ncpl, &ncs);
        TRY(check_target(ctx, &ncs, lma, off));
        uint64_t params[31];
        TRY(emu_stk_current(ctx, &old));
        for (unsigned i = 0; i < nparam; i++) {
            /* parameter i sits at old ESP + i * size; copy them in the same order */
            struct emu_stk p = old;
            p.sp = (old.sp & ~emu_mask(old.size)) | ((old.sp + i * gsz) & emu_mask(old.size));
            TRY(emu_stk_pop(ctx, &p, &params[i], gsz));
        }
        TRY(emu_stk_push(ctx, &k, oss->sel, gsz));
        TRY(emu_stk_push(ctx, &k, old.sp & emu_mask(gsz), gsz));
        for (unsigned i = nparam; i-- > 0;) TRY(emu_stk_push(ctx, &k, params[i], gsz));
        TRY(emu_stk_push(ctx, &k, old_cs, gsz));
        TRY(emu_stk_push(ctx, &k, ret, gsz));
        if (!lma) TRY(emu_set_accessed(ctx, &ssd));
        TRY(emu_set_accessed(ctx, &cd));
        cs_from_desc(&cd, ncpl, &ncs);
        k.ss.sel = lma ? (uint16_t)ncpl : k.ss.sel;
        emu_seg_set_now(ctx, EMU_SEG_SS, &k.ss);
        emu_seg_set_now(ctx, EMU_SEG_CS, &ncs);
        ctx->s.next_rip = off;
        emu_gpr_write(ctx, EMU_RSP, k.sp);
        return EMU_OK;
    }
    /* Same privilege (conforming target, or DPL = CPL). */
    return call_same_level(ctx, &cd, cpl, lma, rsp, old_cs, ret, gsz, off);
}

/* ---- returns -------------------------------------------------------------------------------- */

/* The return CS of RETF/IRET (protected mode): null -> #GP(0); outside the table, not code,
 * RPL < CPL, conforming with DPL > RPL, non-conforming with DPL != RPL, or L = D = 1 in long
 * mode -> #GP(sel); not present -> #NP(sel). */
static enum emu_status return_cs(struct emu_ctx *ctx, uint16_t sel, unsigned cpl, int lma, struct emu_desc *d)
{
    if ((sel & ~3u) == 0) return emu_gp0(ctx);
    TRY(emu_fetch_desc(ctx, sel, d, EMU_GP, 0));
    const unsigned rpl = sel & 3u;
    if (!is_code(d) || rpl < cpl) return emu_sel_fault(ctx, EMU_GP, sel, 0);
    if (is_conforming(d) ? d->dpl > rpl : d->dpl != rpl) return emu_sel_fault(ctx, EMU_GP, sel, 0);
    if (lma && is_ld(d)) return emu_sel_fault(ctx, EMU_GP, sel, 0);
    if (!d->p) return emu_sel_fault(ctx, EMU_NP, sel, 0);
    return EMU_OK;
}

/* The SS popped by a return to an outer level (or by IRET in 64-bit mode):
 * null: allowed only for a return to 64-bit code at RPL != 3 (loaded as a null SS with
 * DPL = RPL), else #GP(0); outside the table, RPL != CS.RPL, not a writable data segment or
 * DPL != CS.RPL -> #GP(sel); not present -> #SS(sel). */
static enum emu_status return_ss(struct emu_ctx *ctx, uint16_t sel, unsigned rpl, int to64,
                                 struct emu_desc *d, struct emu_segment *out)
{
    __builtin_memset(out, 0, sizeof *out);
    if ((sel & ~3u) == 0) {
        if (!to64 || rpl == 3) return emu_gp0(ctx);
        d->sel = 0;
        out->sel = sel;
        out->attr = (uint16_t)(rpl << 5);
        return EMU_OK;
    }
    TRY(emu_fetch_desc(ctx, sel, d, EMU_GP, 0));
    if ((sel & 3u) != rpl || !d->s || (d->type & 8) || !(d->type & 2) || d->dpl != rpl)
        return emu_sel_fault(ctx, EMU_GP, sel, 0);
    if (!d->p) return emu_sel_fault(ctx, EMU_SS, sel, 0);
    TRY(emu_set_accessed(ctx, d));
    emu_desc_to_seg(d->b, sel, out);
    return EMU_OK;
}

/* After a return to an outer level: ES, DS, FS and GS that hold a data or non-conforming code
 * segment with DPL < the new CPL are made null.  As QEMU does, the selector becomes 0 and the
 * cache is marked not present, keeping base and limit (the FS/GS bases of 64-bit code survive);
 * segments that are already unusable are left alone. */
static enum emu_status null_outer_segs(struct emu_ctx *ctx, unsigned ncpl)
{
    static const uint8_t segs[4] = { EMU_SEG_ES, EMU_SEG_DS, EMU_SEG_FS, EMU_SEG_GS };
    for (unsigned i = 0; i < 4; i++) {
        const struct emu_segment *sr;
        TRY(emu_get_seg(ctx, segs[i], &sr));
        const unsigned a = sr->attr;
        if (!(a & EMU_SEGATTR_P) || !(a & EMU_SEGATTR_S)) continue;
        const int conforming = (a & 0xc) == 0xc;
        if (conforming || ((a & EMU_SEGATTR_DPL) >> 5) >= ncpl) continue;
        struct emu_segment nv = *sr;
        nv.sel = 0;
        nv.attr = (uint16_t)(a & ~EMU_SEGATTR_P);
        emu_seg_write(ctx, segs[i], &nv);
    }
    return EMU_OK;
}

/* The protected-mode part shared by RETF and IRET after CS:rIP (and EFLAGS) were popped:
 * checks the return CS, then either the same level or the outer level (pop rSP and SS, load
 * both, null the data segments).  imm: RETF's imm16 (0 for IRET); force_ss: IRET in 64-bit
 * mode always pops SS:rSP.  *k is the current stack after the popped words.  outer: NULL, or
 * rSP and SS already read (AMD's order, amd_frame). */
static enum emu_status return_far(struct emu_ctx *ctx, struct emu_stk *k, unsigned osz, uint64_t rip,
                                  uint16_t csel, unsigned imm, int force_ss, int lma, const uint64_t *outer)
{
    unsigned cpl;
    struct emu_desc cd, sd;
    struct emu_segment ncs, nss;
    TRY(emu_get_cpl(ctx, &cpl));
    TRY(return_cs(ctx, csel, cpl, lma, &cd));
    const unsigned rpl = csel & 3u;
    const int to64 = lma && is_l(&cd);
    emu_desc_to_seg(cd.b, csel, &ncs);
    const uint64_t m = emu_mask(k->size);
    if (rpl == cpl && !force_ss) {
        TRY(check_target(ctx, &ncs, lma, rip));
        TRY(emu_set_accessed(ctx, &cd));
        emu_desc_to_seg(cd.b, csel, &ncs);
        k->sp = (k->sp & ~m) | ((k->sp + imm) & m);
        emu_seg_set_now(ctx, EMU_SEG_CS, &ncs);
        ctx->s.next_rip = rip;
        emu_gpr_write(ctx, EMU_RSP, rsp_after_far(ctx, &ncs, k->sp));
        return EMU_OK;
    }
    uint64_t nsp, ssel;
    if (outer) {
        nsp = outer[0];
        ssel = outer[1];
    } else {
        k->sp = (k->sp & ~m) | ((k->sp + imm) & m);
        TRY(emu_stk_pop(ctx, k, &nsp, osz));
        TRY(emu_stk_pop(ctx, k, &ssel, osz));
    }
    TRY(return_ss(ctx, (uint16_t)ssel, rpl, to64, &sd, &nss));
    TRY(check_target(ctx, &ncs, lma, rip));
    TRY(emu_set_accessed(ctx, &cd));
    emu_desc_to_seg(cd.b, csel, &ncs);
    /* The new stack pointer: 64-bit stacks take all of it, others the new SS.B width; RETF's
     * imm16 is released on the new stack too. */
    unsigned nsz = to64 ? 8 : (nss.attr & EMU_SEGATTR_DB) ? 4 : 2;
    uint64_t cur = emu_gpr(ctx, EMU_RSP);
    nsp &= emu_mask(osz);
    if (nsz == 8 || osz == 8) cur = nsp;
    else if (nsz == 4) cur = (nsp & 0xffffffffull);
    else cur = (cur & ~0xffffull) | (nsp & 0xffff);
    cur = (cur & ~emu_mask(nsz)) | ((cur + imm) & emu_mask(nsz));
    emu_seg_set_now(ctx, EMU_SEG_CS, &ncs);
    emu_seg_set_now(ctx, EMU_SEG_SS, &nss);
    ctx->s.next_rip = rip;
    emu_gpr_write(ctx, EMU_RSP, rsp_after_far(ctx, &ncs, cur));
    if (rpl > cpl) TRY(null_outer_segs(ctx, rpl));
    return EMU_OK;
}

/* n bytes at k's stack pointer + at (wrapping at the stack's address size); k is unchanged. */
static enum emu_status stk_peek(struct emu_ctx *ctx, const struct emu_stk *k, uint64_t at, uint64_t *val,
                                unsigned n)
{
    struct emu_stk p = *k;
    const uint64_t m = emu_mask(k->size);
    p.sp = (k->sp & ~m) | ((k->sp + at) & m);
    return emu_stk_pop(ctx, &p, val, n);
}

/* AMD's reads of a protected-mode RETF or IRET frame (nslots: 2 for RETF, CS and rIP; 3 for
 * IRET, with rFLAGS), all before any check of what they hold: the words of the frame from the
 * highest down (IRET: rFLAGS, CS, rIP; RETF: CS, rIP), then, when the return pops the outer
 * stack (64-bit IRET always, else a CS RPL other than the CPL, the bad RPL < CPL included),
 * SS and then rSP, after RETF's imm16.  The manuals give the pops in stack order with the CS
 * checks between them.  Zen 3 (hwdiff, frames across the end of a readable page, CPL 3):
 * IRET faults on the rFLAGS slot when the whole frame is unmapped, RETF on the CS slot; a
 * null or RPL-0 CS faults on the SS slot (after imm16) rather than #GP, on the SS slot when
 * both SS and rSP are unmapped; a RETF to CS RPL 3 does not touch the outer frame.  On
 * return *k is past the nslots words, vals[] = rIP, CS, rFLAGS and *outer says whether
 * outer_vals[] = rSP, SS were read. */
static enum emu_status amd_frame(struct emu_ctx *ctx, struct emu_stk *k, unsigned osz, unsigned nslots,
                                 unsigned imm, int force_ss, uint64_t *vals, uint64_t *outer_vals, int *outer)
{
    unsigned cpl;
    for (unsigned i = nslots; i-- > 0;) TRY(stk_peek(ctx, k, (uint64_t)i * osz, &vals[i], osz));
    const uint64_t m = emu_mask(k->size);
    k->sp = (k->sp & ~m) | ((k->sp + nslots * osz) & m);
    TRY(emu_get_cpl(ctx, &cpl));
    *outer = force_ss || (vals[1] & 3u) != cpl;
    if (*outer) {
        TRY(stk_peek(ctx, k, (uint64_t)imm + osz, &outer_vals[1], osz));
        TRY(stk_peek(ctx, k, imm, &outer_vals[0], osz));
    }
    return EMU_OK;
}

/* RETF / RETF imm16. */
EXEC(emu_exec_retf)
{
    struct emu_stk k;
    uint64_t rip, csel;
    const unsigned osz = in->opsize;
    const unsigned imm = in->nops ? (unsigned)(in->imm & 0xffff) : 0;
    TRY(emu_stk_current(ctx, &k));
    k.ac = k.user;
    if (emu_is_amd(ctx) && ctx->s.mode != EMU_MODE_REAL && ctx->s.mode != EMU_MODE_V86) {
        uint64_t v[2], o[2];
        int outer, lma;
        TRY(amd_frame(ctx, &k, osz, 2, imm, 0, v, o, &outer));
        TRY(emu_lma(ctx, &lma));
        return return_far(ctx, &k, osz, v[0], (uint16_t)v[1], imm, 0, lma, outer ? o : NULL);
    }
    TRY(emu_stk_pop(ctx, &k, &rip, osz));
    TRY(emu_stk_pop(ctx, &k, &csel, osz));
    if (ctx->s.mode == EMU_MODE_REAL || ctx->s.mode == EMU_MODE_V86) {
        TRY(far_real(ctx, (uint16_t)csel, rip));
        const uint64_t m = emu_mask(k.size);
        k.sp = (k.sp & ~m) | ((k.sp + imm) & m);
        return emu_set_rsp(ctx, k.sp);
    }
    int lma;
    TRY(emu_lma(ctx, &lma));
    return return_far(ctx, &k, osz, rip, (uint16_t)csel, imm, 0, lma, NULL);
}

/* ---- IRET ----------------------------------------------------------------------------------- */

#define FL_STATUS (EMU_FLAG_CF | EMU_FLAG_PF | EMU_FLAG_AF | EMU_FLAG_ZF | EMU_FLAG_SF | EMU_FLAG_OF)
/* The bits a protected-mode IRET always loads (low 16 bits for a 16-bit IRET). */
#define IRET_ALWAYS (FL_STATUS | EMU_FLAG_TF | EMU_FLAG_DF | EMU_FLAG_NT | EMU_FLAG_RF | \
                     EMU_FLAG_AC | EMU_FLAG_ID)

/* Real mode, and virtual-8086 mode with IOPL = 3: pop IP, CS, FLAGS.  A 32-bit IRET loads
 * EFLAGS & 257FD5h and keeps VM, VIF and VIP (1A0000h) (SDM); in v86 mode IOPL is kept too. */
static enum emu_status iret_real(struct emu_ctx *ctx, struct emu_insn *in, struct emu_stk *k)
{
    uint64_t ip, csel, fl;
    const unsigned osz = in->opsize;
    TRY(emu_stk_pop(ctx, k, &ip, osz));
    TRY(emu_stk_pop(ctx, k, &csel, osz));
    TRY(emu_stk_pop(ctx, k, &fl, osz));
    uint64_t f = ctx->s.rflags;
    uint64_t mask = osz == 2 ? 0x7fd5 : 0x257fd5;
    if (ctx->s.mode == EMU_MODE_V86) mask &= ~(uint64_t)EMU_FLAG_IOPL;
    f = (f & ~mask) | (fl & mask);
    TRY(far_real(ctx, (uint16_t)csel, ip));
    ctx->s.rflags = f;
    ctx->s.keep_rf = 1;
    return emu_set_rsp(ctx, k->sp);
}

/* Virtual-8086 mode, IOPL < 3: only a 16-bit IRET with CR4.VME.  #GP(0) if the popped FLAGS
 * set TF, or set IF while VIP is pending; IF goes to VIF, IOPL and IF stay. */
static enum emu_status iret_vme(struct emu_ctx *ctx, struct emu_insn *in, struct emu_stk *k)
{
    uint64_t cr4, ip, csel, fl;
    TRY(emu_get_cr4(ctx, &cr4));
    if (!(cr4 & EMU_CR4_VME) || in->opsize != 2) return emu_gp0(ctx);
    TRY(emu_stk_pop(ctx, k, &ip, 2));
    TRY(emu_stk_pop(ctx, k, &csel, 2));
    TRY(emu_stk_pop(ctx, k, &fl, 2));
    uint64_t f = ctx->s.rflags;
    if (((fl & EMU_FLAG_IF) && (f & EMU_FLAG_VIP)) || (fl & EMU_FLAG_TF)) return emu_gp0(ctx);
    const uint64_t mask = 0x7fd5 & ~(uint64_t)(EMU_FLAG_IOPL | EMU_FLAG_IF);
    f = (f & ~mask) | (fl & mask);
    f = (f & ~(uint64_t)EMU_FLAG_VIF) | ((fl & EMU_FLAG_IF) ? EMU_FLAG_VIF : 0);
    TRY(far_real(ctx, (uint16_t)csel, ip));
    ctx->s.rflags = f;
    return emu_set_rsp(ctx, k->sp);
}

/* Return to virtual-8086 mode (IRETD at CPL 0 with VM in the popped EFLAGS, legacy mode):
 * pop ESP, SS, ES, DS, FS, GS; every segment gets selector << 4 as base, limit FFFFh and the
 * v86 attributes; EIP is 16 bits; CPL becomes 3. */
static enum emu_status iret_to_v86(struct emu_ctx *ctx, struct emu_stk *k, uint64_t eip, uint64_t csel,
                                   uint64_t fl)
{
    uint64_t v[6];
    for (unsigned i = 0; i < 6; i++) TRY(emu_stk_pop(ctx, k, &v[i], 4));
    eip &= 0xffff;
    /* order on the stack: ESP, SS, ES, DS, FS, GS */
    static const uint8_t segs[5] = { EMU_SEG_SS, EMU_SEG_ES, EMU_SEG_DS, EMU_SEG_FS, EMU_SEG_GS };
    struct emu_segment s;
    s.limit = 0xffff;
    s.attr = 0xf3;
    for (unsigned i = 0; i < 5; i++) {
        s.sel = (uint16_t)v[i + 1];
        s.base = (uint64_t)s.sel << 4;
        emu_seg_set_now(ctx, segs[i], &s);
    }
    s.sel = (uint16_t)csel;
    s.base = (uint64_t)s.sel << 4;
    s.attr = 0xfb;
    emu_seg_set_now(ctx, EMU_SEG_CS, &s);
    ctx->s.rflags = (fl & (0x257fd5 | EMU_FLAG_VIF | EMU_FLAG_VIP)) | EMU_FLAG_VM | 2;
    ctx->s.keep_rf = 1;
    ctx->s.next_rip = eip;
    emu_gpr_write(ctx, EMU_RSP, v[0] & 0xffffffffull);
    return EMU_OK;
}

/* The task return of IRET with NT = 1 (legacy mode only; #GP(0) in long mode): the back link
 * of the current TSS must name a busy TSS in the GDT (#TS(link) otherwise, #NP(link) if not
 * present). */
static enum emu_status iret_task(struct emu_ctx *ctx)
{
    const struct emu_segment *tr;
    uint8_t b[2];
    struct emu_desc d;
    TRY(emu_get_seg(ctx, EMU_SEG_TR, &tr));
    TRY(emu_read_sys(ctx, tr->base, b, 2));
    const uint16_t link = (uint16_t)emu_load_le(b, 2);
    if (link & 4) return emu_sel_fault(ctx, EMU_TS, link, 0);
    TRY(emu_fetch_desc(ctx, link, &d, EMU_TS, 0));
    if (d.s || (d.type != 3 && d.type != 11)) return emu_sel_fault(ctx, EMU_TS, link, 0);
    if (!d.p) return emu_sel_fault(ctx, EMU_NP, link, 0);
    return emu_task_switch(ctx, EMU_TS_IRET, &d, ctx->s.next_rip, 0, 0, 0);
}

EXEC(emu_exec_iret)
{
    struct emu_stk k;
    const unsigned osz = in->opsize;
    const unsigned mode = ctx->s.mode;
    TRY(emu_stk_current(ctx, &k));
    k.ac = k.user;
    if (mode == EMU_MODE_REAL) return iret_real(ctx, in, &k);
    if (mode == EMU_MODE_V86) {
        if (((ctx->s.rflags & EMU_FLAG_IOPL) >> 12) == 3) return iret_real(ctx, in, &k);
        return iret_vme(ctx, in, &k);
    }
    int lma;
    TRY(emu_lma(ctx, &lma));
    if (ctx->s.rflags & EMU_FLAG_NT) {
        if (lma) return emu_gp0(ctx);
        return iret_task(ctx);
    }
    uint64_t rip, csel, fl, o[2];
    unsigned cpl;
    int outer = 0;
    TRY(emu_get_cpl(ctx, &cpl));
    if (emu_is_amd(ctx)) {
        /* (a return to virtual-8086 mode pops its six further words in order, ESP and SS
         * again: reads only) */
        uint64_t v[3];
        TRY(amd_frame(ctx, &k, osz, 3, 0, emu_is64(ctx), v, o, &outer));
        rip = v[0];
        csel = v[1];
        fl = v[2];
    } else {
        TRY(emu_stk_pop(ctx, &k, &rip, osz));
        TRY(emu_stk_pop(ctx, &k, &csel, osz));
        TRY(emu_stk_pop(ctx, &k, &fl, osz));
    }
    if (!lma && osz == 4 && (fl & EMU_FLAG_VM) && cpl == 0) return iret_to_v86(ctx, &k, rip, csel, fl);

    /* The flags, decided with the CPL before the return. */
    const uint64_t f = ctx->s.rflags;
    const unsigned iopl = (unsigned)((f & EMU_FLAG_IOPL) >> 12);
    uint64_t mask = IRET_ALWAYS;
    if (cpl == 0) mask |= EMU_FLAG_IOPL | EMU_FLAG_VIF | EMU_FLAG_VIP;
    if (cpl <= iopl) mask |= EMU_FLAG_IF;
    if (osz == 2) mask &= 0xffff;
    const uint64_t nf = (f & ~mask) | (fl & mask);

    TRY(return_far(ctx, &k, osz, rip, (uint16_t)csel, 0, emu_is64(ctx), lma, outer ? o : NULL));
    ctx->s.rflags = nf & ~(uint64_t)EMU_FLAG_VM;
    ctx->s.keep_rf = 1;
    return EMU_OK;
}
