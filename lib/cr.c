/*
 * Control and debug registers: MOV to/from CR0/CR2/CR3/CR4/CR8, CLTS, LMSW, SMSW, MOV to/from
 * DR0-DR7, with every #GP/#UD rule of spec/svm-eraps-invpcid-cr.md section 4, the SVM CR/DR
 * intercepts (section 1.3: value checks before the intercept, PDPTE loads after it) and the
 * TLB-flush and RAP-clear events of section 2.3.
 */
#include "internal.h"

#define CR0_DEFINED (EMU_CR0_PE | EMU_CR0_MP | EMU_CR0_EM | EMU_CR0_TS | EMU_CR0_ET | EMU_CR0_NE | \
                     EMU_CR0_WP | EMU_CR0_AM | EMU_CR0_NW | EMU_CR0_CD | EMU_CR0_PG)

static enum emu_status get_cr(struct emu_ctx *ctx, unsigned cr, uint64_t *v)
{
    if (cr == 0) return emu_get_cr0(ctx, v);
    if (cr == 4) return emu_get_cr4(ctx, v);
    if (!ctx->ops->get_cr) return emu_unhandled(ctx, "missing callback: get_cr");
    if (ctx->ops->get_cr(ctx->opaque, cr, v) != EMU_CB_OK) return emu_unhandled(ctx, "get_cr failed");
    return EMU_OK;
}

static enum emu_status set_cr(struct emu_ctx *ctx, unsigned cr, uint64_t v)
{
    if (!ctx->ops->set_cr) return emu_unhandled(ctx, "missing callback: set_cr");
    if (ctx->ops->set_cr(ctx->opaque, cr, v) != EMU_CB_OK) return emu_unhandled(ctx, "set_cr failed");
    if (cr == 0) ctx->s.cache_cr0 = v;
    if (cr == 4) ctx->s.cache_cr4 = v;
    return EMU_OK;
}

static enum emu_status set_efer(struct emu_ctx *ctx, uint64_t v)
{
    if (!ctx->ops->set_msr) return emu_unhandled(ctx, "missing callback: set_msr");
    if (ctx->ops->set_msr(ctx->opaque, EMU_MSR_EFER, v) != EMU_CB_OK) return emu_unhandled(ctx, "writing EFER failed");
    ctx->s.cache_efer = v;
    return EMU_OK;
}

/* ---- value checks (stage 5: before the intercept) --------------------------------------- */

/* MOV to CR0 (spec 4.3).  Reserved bits 31:0 are ignored; ET reads as 1. */
static enum emu_status check_cr0(struct emu_ctx *ctx, uint64_t old, uint64_t val, uint64_t *out)
{
    uint64_t cr4, efer;
    if (val >> 32) return emu_gp0(ctx);
    uint64_t nv = (val & CR0_DEFINED) | EMU_CR0_ET;
    TRY(emu_get_cr4(ctx, &cr4));
    TRY(emu_get_efer(ctx, &efer));
    if ((nv & EMU_CR0_PG) && !(nv & EMU_CR0_PE)) return emu_gp0(ctx);
    if ((nv & EMU_CR0_NW) && !(nv & EMU_CR0_CD) && !(ctx->cfg.model_flags & EMU_MODEL_CR0_NW_IGNORED))
        return emu_gp0(ctx);
    if ((old & EMU_CR0_PG) && !(nv & EMU_CR0_PG) && (cr4 & EMU_CR4_PCIDE)) return emu_gp0(ctx);
    if (!(old & EMU_CR0_PG) && (nv & EMU_CR0_PG) && (efer & EMU_EFER_LME)) {
        const struct emu_segment *cs;
        if (!(cr4 & EMU_CR4_PAE)) return emu_gp0(ctx);
        TRY(emu_get_seg(ctx, EMU_SEG_CS, &cs));
        if (cs->attr & EMU_SEGATTR_L) return emu_gp0(ctx); /* APM 14.6.2 */
    }
    if ((old & EMU_CR0_WP) && !(nv & EMU_CR0_WP) && (cr4 & EMU_CR4_CET)) return emu_gp0(ctx);
    /* Clearing PG in 64-bit mode: #GP on Intel; AMD takes it and shuts down (executor). */
    if ((old & EMU_CR0_PG) && !(nv & EMU_CR0_PG) && emu_is64(ctx) && !emu_is_amd(ctx)) return emu_gp0(ctx);
    *out = nv;
    return EMU_OK;
}

/* MOV to CR3 (spec 4.2).  tmp[1] = 1 when the no-flush bit (63) was set under PCIDE. */
static enum emu_status check_cr3(struct emu_ctx *ctx, uint64_t val, uint64_t *out)
{
    uint64_t efer, cr4;
    TRY(emu_get_efer(ctx, &efer));
    ctx->s.tmp[1] = 0;
    if (efer & EMU_EFER_LMA) {
        TRY(emu_get_cr4(ctx, &cr4));
        if (cr4 & EMU_CR4_PCIDE) {
            /* bit 63 = "do not flush": stripped, never stored in CR3 */
            ctx->s.tmp[1] = val >> 63;
            val &= ~(1ull << 63);
        }
        /* bit 63 without PCIDE, and every bit at or above the guest's MAXPHYADDR, is reserved */
        if (val >> ctx->cfg.maxphyaddr) return emu_gp0(ctx);
    } else {
        /* Legacy modes: a 32-bit value; the reserved low bits are ignored [I]. */
        val &= 0xffffffffull;
    }
    *out = val;
    return EMU_OK;
}

static uint64_t cr4_valid_bits(const struct emu_ctx *ctx)
{
    uint64_t v = EMU_CR4_VME | EMU_CR4_PVI | EMU_CR4_TSD | EMU_CR4_DE | EMU_CR4_PSE | EMU_CR4_PAE |
                 EMU_CR4_MCE | EMU_CR4_PGE | EMU_CR4_PCE | EMU_CR4_OSFXSR | EMU_CR4_OSXMMEXCPT;
    if (emu_has(ctx, EMU_FEAT_UMIP)) v |= EMU_CR4_UMIP;
    if (emu_has(ctx, EMU_FEAT_LA57)) v |= EMU_CR4_LA57;
    if (emu_has(ctx, EMU_FEAT_VMX)) v |= EMU_CR4_VMXE;
    if (emu_has(ctx, EMU_FEAT_FSGSBASE)) v |= EMU_CR4_FSGSBASE;
    if (emu_has(ctx, EMU_FEAT_PCID)) v |= EMU_CR4_PCIDE;
    if (emu_has(ctx, EMU_FEAT_XSAVE)) v |= EMU_CR4_OSXSAVE;
    if (emu_has(ctx, EMU_FEAT_SMEP)) v |= EMU_CR4_SMEP;
    if (emu_has(ctx, EMU_FEAT_SMAP)) v |= EMU_CR4_SMAP;
    if (emu_has(ctx, EMU_FEAT_PKU)) v |= EMU_CR4_PKE;
    if (emu_has(ctx, EMU_FEAT_CET_SS)) v |= EMU_CR4_CET;
    return v;
}

/* MOV to CR4 (spec 4.4). */
static enum emu_status check_cr4(struct emu_ctx *ctx, uint64_t old, uint64_t val, uint64_t *out)
{
    uint64_t efer, cr0, cr3;
    if (val & ~cr4_valid_bits(ctx)) return emu_gp0(ctx); /* reserved, or feature not enumerated */
    TRY(emu_get_efer(ctx, &efer));
    TRY(emu_get_cr0(ctx, &cr0));
    const int lma = (efer & EMU_EFER_LMA) != 0;
    if (lma && !(val & EMU_CR4_PAE)) return emu_gp0(ctx);
    if (!(old & EMU_CR4_PCIDE) && (val & EMU_CR4_PCIDE)) {
        if (!lma) return emu_gp0(ctx);
        TRY(get_cr(ctx, 3, &cr3));
        if (cr3 & 0xfff) return emu_gp0(ctx);
    }
    if (lma && ((old ^ val) & EMU_CR4_LA57)) return emu_gp0(ctx);
    if ((val & EMU_CR4_CET) && !(cr0 & EMU_CR0_WP)) return emu_gp0(ctx);
    *out = val;
    return EMU_OK;
}

/* Stage 5 of MOV to CRn: the new value goes to tmp[0]. */
EXEC(emu_check_mov_to_cr)
{
    const unsigned cr = in->ops[0].reg;
    uint64_t val, old, nv = 0;
    TRY(emu_op_read(ctx, in, 1, &val));
    switch (cr) {
    case 0:
        TRY(emu_get_cr0(ctx, &old));
        TRY(check_cr0(ctx, old, val, &nv));
        break;
    case 3: TRY(check_cr3(ctx, val, &nv)); break;
    case 4:
        TRY(emu_get_cr4(ctx, &old));
        TRY(check_cr4(ctx, old, val, &nv));
        break;
    case 8:
        if (val & ~0xfull) return emu_gp0(ctx); /* TPR: bits 63:4 reserved */
        nv = val;
        break;
    default: nv = val; break; /* CR2 */
    }
    ctx->s.tmp[0] = nv;
    return EMU_OK;
}

/* ---- intercepts ------------------------------------------------------------------------- */

/* EXITINFO1 of a MOV CRn intercept (decode assists, APM 15.8.1): bit 63 = MOV CR, 3:0 = GPR. */
static uint64_t cr_info1(const struct emu_insn *in, unsigned gpr_op)
{
    return (1ull << 63) | (in->ops[gpr_op].reg & 15u);
}

/* The selective CR0 write intercept (0x65) fires when a bit other than TS and MP changes, and
 * only if the ordinary CR0-write intercept did not. */
static enum emu_status cr0_selective(struct emu_ctx *ctx, uint64_t nv, uint64_t info1, int any_change)
{
    uint64_t old;
    TRY(emu_get_cr0(ctx, &old));
    if (any_change || ((old ^ nv) & ~(uint64_t)(EMU_CR0_TS | EMU_CR0_MP)))
        return emu_intercept(ctx, 0x65, info1, 0);
    return EMU_OK;
}

EXEC(emu_icpt_cr)
{
    if (in->op == OP_MOV_FROM_CR) return emu_intercept(ctx, in->ops[1].reg, cr_info1(in, 0), 0);
    const unsigned cr = in->ops[0].reg;
    const uint64_t info1 = cr_info1(in, 1);
    TRY(emu_intercept(ctx, 0x10u + cr, info1, 0));
    if (cr == 0) return cr0_selective(ctx, ctx->s.tmp[0], info1, 0);
    return EMU_OK;
}

/* CLTS and LMSW: EXITINFO1 bit 63 = 0 (not a MOV CR).  CLTS never checks the selective
 * intercept; LMSW treats it as non-selective (APM Table 15-7): its source may be memory, which
 * is read only after the intercept, so the changed bits cannot be known. */
EXEC(emu_icpt_cr0_write)
{
    TRY(emu_intercept(ctx, 0x10, 0, 0));
    if (in->op == OP_LMSW) return emu_intercept(ctx, 0x65, 0, 0);
    return EMU_OK;
}

/* ---- PAE PDPTE preload (Intel and older AMD; EMU_MODEL_PDPTE_PRELOAD) --------------------- */

static enum emu_status pdpte_check(struct emu_ctx *ctx, uint64_t cr0, uint64_t cr4, uint64_t cr3)
{
    uint64_t efer;
    if (!(ctx->cfg.model_flags & EMU_MODEL_PDPTE_PRELOAD)) return EMU_OK;
    TRY(emu_get_efer(ctx, &efer));
    if (!(cr0 & EMU_CR0_PG) || !(cr4 & EMU_CR4_PAE) || (efer & EMU_EFER_LMA)) return EMU_OK;
    if (!ctx->ops->read_phys) return emu_unhandled(ctx, "missing callback: read_phys");
    uint8_t b[32];
    if (ctx->ops->read_phys(ctx->opaque, cr3 & 0xffffffe0u, b, 32) != EMU_CB_OK)
        return emu_unhandled(ctx, "read_phys failed");
    for (unsigned i = 0; i < 4; i++) {
        uint64_t e = emu_load_le(b + 8 * i, 8);
        /* present entries: bits 2:1 and 8:5 and everything above MAXPHYADDR are reserved */
        if ((e & 1) && ((e & 0x1e6ull) || (e >> ctx->cfg.maxphyaddr))) return emu_gp0(ctx);
    }
    return EMU_OK;
}

/* ---- executors -------------------------------------------------------------------------- */

EXEC(emu_exec_mov_from_cr)
{
    uint64_t v;
    TRY(get_cr(ctx, in->ops[1].reg, &v));
    return emu_op_write(ctx, in, 0, v);
}

static enum emu_status write_cr0(struct emu_ctx *ctx, uint64_t old, uint64_t nv)
{
    uint64_t cr4, efer;
    if ((old & EMU_CR0_PG) && !(nv & EMU_CR0_PG) && emu_is64(ctx))
        return emu_unhandled(ctx, "AMD: clearing CR0.PG in 64-bit mode shuts the processor down");
    TRY(emu_get_cr4(ctx, &cr4));
    TRY(emu_get_efer(ctx, &efer));
    if (!(old & EMU_CR0_PG) && (nv & EMU_CR0_PG) && !(efer & EMU_EFER_LME)) {
        uint64_t cr3;
        TRY(get_cr(ctx, 3, &cr3));
        TRY(pdpte_check(ctx, nv, cr4, cr3));
    }
    TRY(set_cr(ctx, 0, nv));
    /* Paging with EFER.LME activates long mode; turning paging off leaves it. */
    if ((nv ^ old) & EMU_CR0_PG) {
        uint64_t ne = efer;
        if ((nv & EMU_CR0_PG) && (efer & EMU_EFER_LME)) ne |= EMU_EFER_LMA;
        if (!(nv & EMU_CR0_PG)) ne &= ~(uint64_t)EMU_EFER_LMA;
        if (ne != efer) TRY(set_efer(ctx, ne));
        emu_event_tlb(ctx, EMU_TLB_IMPLICIT, 0, 0, 1, EMU_IMPL_CR0_PG);
    }
    return EMU_OK;
}

static enum emu_status write_cr3(struct emu_ctx *ctx, uint64_t nv)
{
    uint64_t cr0, cr4;
    TRY(emu_get_cr0(ctx, &cr0));
    TRY(emu_get_cr4(ctx, &cr4));
    TRY(pdpte_check(ctx, cr0, cr4, nv)); /* after the intercept (APM Table 15-7) */
    TRY(set_cr(ctx, 3, nv));
    const uint32_t pcid = (cr4 & EMU_CR4_PCIDE) ? (uint32_t)(nv & 0xfff) : 0;
    /* The flush: non-global entries of the new PCID (PCID 0 without PCIDE), unless no-flush. */
    if (!ctx->s.tmp[1]) emu_event_tlb(ctx, EMU_TLB_CR3, 0, pcid, 0, 0);
    /* ERAPS: every MOV CR3 clears the RAP, with or without the no-flush bit (spec 2.3). */
    emu_event_rap(ctx, EMU_RAP_MOV_CR3, nv);
    return EMU_OK;
}

static enum emu_status write_cr4(struct emu_ctx *ctx, uint64_t old, uint64_t nv)
{
    uint64_t cr0, cr3;
    TRY(emu_get_cr0(ctx, &cr0));
    const uint64_t chg = old ^ nv;
    if (chg & (EMU_CR4_PAE | EMU_CR4_PSE | EMU_CR4_PGE | EMU_CR4_SMEP)) {
        TRY(get_cr(ctx, 3, &cr3));
        TRY(pdpte_check(ctx, cr0, nv, cr3));
    }
    TRY(set_cr(ctx, 4, nv));
    /* Implicit invalidations (APM 5.5.3): PAE/PSE/PGE changes flush everything including
     * globals; PCIDE 1->0 flushes all PCIDs; PKE 0->1 flushes all.  SMEP 0->1 flushes the
     * current PCID on Intel (SDM 4.10.4.1); we report it for both vendors: an extra flush (and
     * RAP clear) is harmless.  One event per instruction, named by the first reason. */
    unsigned reason = 0;
    if (chg & EMU_CR4_PGE) reason = EMU_IMPL_CR4_PGE;
    else if (chg & EMU_CR4_PAE) reason = EMU_IMPL_CR4_PAE;
    else if (chg & EMU_CR4_PSE) reason = EMU_IMPL_CR4_PSE;
    else if ((old & EMU_CR4_PCIDE) && !(nv & EMU_CR4_PCIDE)) reason = EMU_IMPL_CR4_PCIDE;
    else if (!(old & EMU_CR4_PKE) && (nv & EMU_CR4_PKE)) reason = EMU_IMPL_CR4_PKE;
    else if (!(old & EMU_CR4_SMEP) && (nv & EMU_CR4_SMEP)) reason = EMU_IMPL_CR4_PGE;
    if (reason) emu_event_tlb(ctx, EMU_TLB_IMPLICIT, 0, 0, 1, reason);
    return EMU_OK;
}

EXEC(emu_exec_mov_to_cr)
{
    const unsigned cr = in->ops[0].reg;
    const uint64_t nv = ctx->s.tmp[0];
    uint64_t old;
    switch (cr) {
    case 0:
        TRY(emu_get_cr0(ctx, &old));
        return write_cr0(ctx, old, nv);
    case 3: return write_cr3(ctx, nv);
    case 4:
        TRY(emu_get_cr4(ctx, &old));
        return write_cr4(ctx, old, nv);
    default: return set_cr(ctx, cr, nv);
    }
}

EXEC(emu_exec_clts)
{
    uint64_t cr0;
    EMU_UNUSED(in);
    TRY(emu_get_cr0(ctx, &cr0));
    return set_cr(ctx, 0, cr0 & ~(uint64_t)EMU_CR0_TS);
}

/* LMSW: loads PE, MP, EM, TS from the source; PE can be set but not cleared. */
EXEC(emu_exec_lmsw)
{
    uint64_t cr0, src;
    TRY(emu_op_read(ctx, in, 0, &src));
    TRY(emu_get_cr0(ctx, &cr0));
    uint64_t nv = (cr0 & ~0xeull) | (src & 0xe) | ((cr0 | src) & EMU_CR0_PE);
    return set_cr(ctx, 0, nv);
}

/* UMIP: SGDT, SIDT, SLDT, SMSW and STR are #GP(0) above CPL 0 when CR4.UMIP is set. */
EXEC(emu_priv_umip)
{
    unsigned cpl;
    uint64_t cr4;
    EMU_UNUSED(in);
    TRY(emu_get_cpl(ctx, &cpl));
    if (cpl == 0) return EMU_OK;
    TRY(emu_get_cr4(ctx, &cr4));
    return (cr4 & EMU_CR4_UMIP) ? emu_gp0(ctx) : EMU_OK;
}

/* SMSW: a register gets CR0 at the operand size, memory gets 16 bits. */
EXEC(emu_exec_smsw)
{
    uint64_t cr0;
    TRY(emu_get_cr0(ctx, &cr0));
    return emu_op_write(ctx, in, 0, cr0);
}

/* ---- debug registers -------------------------------------------------------------------- */

static enum emu_status get_dr(struct emu_ctx *ctx, unsigned dr, uint64_t *v)
{
    if (!ctx->ops->get_dr) return emu_unhandled(ctx, "missing callback: get_dr");
    if (ctx->ops->get_dr(ctx->opaque, dr, v) != EMU_CB_OK) return emu_unhandled(ctx, "get_dr failed");
    return EMU_OK;
}

/* Stage 5 of MOV DR (Bochs order, the SDM gives none): DR7.GD -> #DB (the embedder sets DR6.BD
 * when it delivers it), then DR4/DR5 with CR4.DE -> #UD, then for writes the value checks.
 * tmp[0] = the real register number (DR4/DR5 alias DR6/DR7), tmp[1] = the value to write. */
EXEC(emu_check_dr)
{
    const int write = in->op == OP_MOV_TO_DR;
    unsigned dr = write ? in->ops[0].reg : in->ops[1].reg;
    uint64_t dr7, cr4;
    TRY(get_dr(ctx, 7, &dr7));
    if (dr7 & (1u << 13)) return emu_raise(ctx, EMU_DB, 0, 0);
    if (dr == 4 || dr == 5) {
        TRY(emu_get_cr4(ctx, &cr4));
        if (cr4 & EMU_CR4_DE) return emu_ud(ctx);
        dr += 2;
    }
    ctx->s.tmp[0] = dr;
    if (write) {
        uint64_t v;
        TRY(emu_op_read(ctx, in, 1, &v));
        if ((dr == 6 || dr == 7) && (v >> 32)) return emu_gp0(ctx);
        if (dr == 6) v = (v & 0xe00full) | 0xffff0ff0ull; /* B0-B3, BD, BS, BT; the rest reads 1 */
        if (dr == 7) v = (v & 0xffff2bffull) | 0x400;      /* bit 10 reads 1; 11, 12, 14, 15 read 0 */
        ctx->s.tmp[1] = v;
    }
    return EMU_OK;
}

/* DR intercepts: 0x20+n (read), 0x30+n (write); EXITINFO1 = the GPR (decode assists). */
EXEC(emu_icpt_dr)
{
    if (in->op == OP_MOV_FROM_DR) return emu_intercept(ctx, 0x20u + in->ops[1].reg, in->ops[0].reg & 15u, 0);
    return emu_intercept(ctx, 0x30u + in->ops[0].reg, in->ops[1].reg & 15u, 0);
}

EXEC(emu_exec_mov_from_dr)
{
    uint64_t v;
    TRY(get_dr(ctx, (unsigned)ctx->s.tmp[0], &v));
    return emu_op_write(ctx, in, 0, v);
}

EXEC(emu_exec_mov_to_dr)
{
    EMU_UNUSED(in);
    if (!ctx->ops->set_dr) return emu_unhandled(ctx, "missing callback: set_dr");
    if (ctx->ops->set_dr(ctx->opaque, (unsigned)ctx->s.tmp[0], ctx->s.tmp[1]) != EMU_CB_OK)
        return emu_unhandled(ctx, "set_dr failed");
    return EMU_OK;
}
