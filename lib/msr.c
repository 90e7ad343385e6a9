/*
 * MSRs and processor-state instructions: RDMSR/WRMSR (with the checks the emulator owns: EFER,
 * canonical base and entry-point MSRs, and the MTRR implicit TLB invalidation), RDTSC, RDTSCP,
 * RDPID, RDPMC, XGETBV/XSETBV (XCR0 validity), SWAPGS, RD/WR{FS,GS}BASE, RSM.
 */
#include "internal.h"

/* The EDX:EAX result of RDMSR, RDTSC, RDPMC, XGETBV (each half zero-extended). */
static void write_edx_eax(struct emu_ctx *ctx, uint64_t v)
{
    emu_gpr_write_sized(ctx, EMU_RAX, 4, 0, v);
    emu_gpr_write_sized(ctx, EMU_RDX, 4, 0, v >> 32);
}

static int is_mtrr(uint32_t msr)
{
    return (msr >= 0x200 && msr <= 0x21f) || msr == 0x250 || msr == 0x258 || msr == 0x259 ||
           (msr >= 0x268 && msr <= 0x26f) || msr == 0x2ff;
}

/* MSRs that hold linear addresses and must be canonical (#GP otherwise). */
static int needs_canonical(const struct emu_ctx *ctx, uint32_t msr)
{
    switch (msr) {
    case EMU_MSR_FS_BASE: case EMU_MSR_GS_BASE: case EMU_MSR_KERNEL_GS_BASE:
    case EMU_MSR_LSTAR: case EMU_MSR_CSTAR:
        return 1;
    case EMU_MSR_SYSENTER_ESP: case EMU_MSR_SYSENTER_EIP:
        return !emu_is_amd(ctx); /* 32-bit registers on AMD */
    default:
        return 0;
    }
}

static enum emu_status set_msr(struct emu_ctx *ctx, uint32_t msr, uint64_t v)
{
    if (!ctx->ops->set_msr) return emu_unhandled(ctx, "missing callback: set_msr");
    enum emu_cb_status cb = ctx->ops->set_msr(ctx->opaque, msr, v);
    if (cb == EMU_CB_FAULT) return emu_gp0(ctx);
    if (cb != EMU_CB_OK) return emu_from_cb(ctx, cb, NULL);
    if (msr == EMU_MSR_EFER) ctx->s.cache_efer = v;
    return EMU_OK;
}

/* MSR intercept (0x7C): after the CPL #GP, before the MSR-specific ones (APM 15.11).
 * EXITINFO1 = 0 for RDMSR, 1 for WRMSR. */
EXEC(emu_icpt_msr)
{
    return emu_intercept(ctx, 0x7c, in->op == OP_WRMSR, 0);
}

EXEC(emu_exec_rdmsr)
{
    uint64_t v;
    EMU_UNUSED(in);
    TRY(emu_get_msr(ctx, (uint32_t)emu_gpr(ctx, EMU_RCX), &v));
    write_edx_eax(ctx, v);
    return EMU_OK;
}

/* EFER (spec 1.2, 4.3, APM 14.6.2): reserved bits and SVME without SVM are #GP; LME cannot
 * change while paging is on; LMA is read-only (the written value is ignored). */
static enum emu_status check_efer(struct emu_ctx *ctx, uint64_t v, uint64_t *out)
{
    uint64_t old, cr0;
    uint64_t valid = EMU_EFER_SCE | EMU_EFER_LME | EMU_EFER_LMA | EMU_EFER_NXE;
    if (emu_has(ctx, EMU_FEAT_SVM)) valid |= EMU_EFER_SVME;
    if (emu_is_amd(ctx)) valid |= EMU_EFER_FFXSR | EMU_EFER_TCE;
    if (v & ~valid) return emu_gp0(ctx);
    TRY(emu_get_efer(ctx, &old));
    TRY(emu_get_cr0(ctx, &cr0));
    if ((cr0 & EMU_CR0_PG) && ((old ^ v) & EMU_EFER_LME)) return emu_gp0(ctx);
    *out = (v & ~(uint64_t)EMU_EFER_LMA) | (old & EMU_EFER_LMA);
    return EMU_OK;
}

EXEC(emu_exec_wrmsr)
{
    const uint32_t msr = (uint32_t)emu_gpr(ctx, EMU_RCX);
    uint64_t v = (emu_gpr(ctx, EMU_RDX) & 0xffffffffull) << 32 | (emu_gpr(ctx, EMU_RAX) & 0xffffffffull);
    EMU_UNUSED(in);
    if (msr == EMU_MSR_EFER) TRY(check_efer(ctx, v, &v));
    if (needs_canonical(ctx, msr)) {
        int ok;
        TRY(emu_is_canonical(ctx, v, &ok));
        if (!ok) return emu_gp0(ctx);
    }
    if (emu_is_amd(ctx) && (msr == EMU_MSR_SYSENTER_ESP || msr == EMU_MSR_SYSENTER_EIP)) v &= 0xffffffffull;
    TRY(set_msr(ctx, msr, v));
    /* A write to an MTRR is an implicit TLB invalidation (APM 5.5.3), which clears the RAP. */
    if (is_mtrr(msr)) emu_event_tlb(ctx, EMU_TLB_IMPLICIT, 0, 0, 1, EMU_IMPL_MTRR);
    /* Further MSRs the configuration names (model-specific MSRs that affect translation). */
    for (unsigned i = 0; i < ctx->cfg.n_rap_clear_msrs; i++)
        if (ctx->cfg.rap_clear_msrs && ctx->cfg.rap_clear_msrs[i] == msr) emu_event_rap(ctx, EMU_RAP_MSR_WRITE, msr);
    return EMU_OK;
}

/* RDTSC/RDTSCP: #GP(0) above CPL 0 when CR4.TSD is set (stage 4, before the intercept). */
/* Above CPL 0, #GP(0) unless CR4.bit == allowed_when. */
static enum emu_status cpl0_unless_cr4(struct emu_ctx *ctx, uint64_t bit, int allowed_when)
{
    unsigned cpl;
    uint64_t cr4;
    TRY(emu_get_cpl(ctx, &cpl));
    if (!cpl) return EMU_OK;
    TRY(emu_get_cr4(ctx, &cr4));
    return ((cr4 & bit) != 0) == allowed_when ? EMU_OK : emu_gp0(ctx);
}

EXEC(emu_priv_tsd)
{
    EMU_UNUSED(in);
    return cpl0_unless_cr4(ctx, EMU_CR4_TSD, 0);
}

EXEC(emu_exec_rdtsc)
{
    uint64_t tsc, aux;
    TRY(emu_get_msr(ctx, EMU_MSR_TSC, &tsc));
    write_edx_eax(ctx, tsc);
    if (in->op == OP_RDTSCP) {
        TRY(emu_get_msr(ctx, EMU_MSR_TSC_AUX, &aux));
        emu_gpr_write_sized(ctx, EMU_RCX, 4, 0, aux);
    }
    return EMU_OK;
}

/* RDPID: the register gets IA32_TSC_AUX (zero-extended). */
EXEC(emu_exec_rdpid)
{
    uint64_t aux;
    TRY(emu_get_msr(ctx, EMU_MSR_TSC_AUX, &aux));
    return emu_op_write(ctx, in, 0, aux & 0xffffffffull);
}

/* RDPMC: #GP(0) above CPL 0 unless CR4.PCE. */
EXEC(emu_priv_rdpmc)
{
    EMU_UNUSED(in);
    return cpl0_unless_cr4(ctx, EMU_CR4_PCE, 1);
}

/* The counters are read through the MSR callback: Intel IA32_PMCn (0xC1 + n), AMD PerfCtrn
 * (0xC0010004 + n); a counter the embedder does not have is #GP(0). */
EXEC(emu_exec_rdpmc)
{
    uint64_t v;
    const uint32_t n = (uint32_t)emu_gpr(ctx, EMU_RCX);
    EMU_UNUSED(in);
    if (n > 7) return emu_gp0(ctx);
    TRY(emu_get_msr(ctx, (emu_is_amd(ctx) ? 0xc0010004u : 0xc1u) + n, &v));
    write_edx_eax(ctx, v);
    return EMU_OK;
}

/* XGETBV/XSETBV: #UD without XSAVE in CPUID or with CR4.OSXSAVE clear (stage 2). */
EXEC(emu_ud_osxsave)
{
    uint64_t cr4;
    EMU_UNUSED(in);
    if (!emu_has(ctx, EMU_FEAT_XSAVE)) return emu_ud(ctx);
    TRY(emu_get_cr4(ctx, &cr4));
    return (cr4 & EMU_CR4_OSXSAVE) ? EMU_OK : emu_ud(ctx);
}

EXEC(emu_exec_xgetbv)
{
    uint64_t v;
    EMU_UNUSED(in);
    if ((uint32_t)emu_gpr(ctx, EMU_RCX) != 0) return emu_gp0(ctx);
    TRY(emu_get_xcr0(ctx, &v));
    write_edx_eax(ctx, v);
    return EMU_OK;
}

/* XSETBV (intercept first, then CPL): XCR0 must keep x87 (bit 0), AVX (bit 2) needs SSE
 * (bit 1), only enumerated components may be set, and APX state (bit 19) needs APX_F and is
 * rejected together with the MPX components 3/4 whose XSAVE area it reuses (spec apx.md 2). */
EXEC(emu_exec_xsetbv)
{
    unsigned cpl;
    EMU_UNUSED(in);
    TRY(emu_get_cpl(ctx, &cpl));
    if (cpl) return emu_gp0(ctx);
    if ((uint32_t)emu_gpr(ctx, EMU_RCX) != 0) return emu_gp0(ctx);
    const uint64_t v = (emu_gpr(ctx, EMU_RDX) & 0xffffffffull) << 32 | (emu_gpr(ctx, EMU_RAX) & 0xffffffffull);
    uint64_t valid = 0x3;
    if (emu_has(ctx, EMU_FEAT_AVX)) valid |= 0x4;
    if (emu_has(ctx, EMU_FEAT_APX_F)) valid |= EMU_XCR0_APX;
    if ((v & ~valid) || !(v & 1) || ((v & 4) && !(v & 2))) return emu_gp0(ctx);
    if ((v & EMU_XCR0_APX) && (v & 0x18)) return emu_gp0(ctx);
    if (!ctx->ops->set_xcr) return emu_unhandled(ctx, "missing callback: set_xcr");
    if (ctx->ops->set_xcr(ctx->opaque, 0, v) != EMU_CB_OK) return emu_gp0(ctx);
    ctx->s.cache_xcr0 = v;
    return EMU_OK;
}

/* SWAPGS: exchange GS.base and IA32_KERNEL_GS_BASE (64-bit mode, CPL 0). */
EXEC(emu_exec_swapgs)
{
    const struct emu_segment *gs;
    uint64_t kgs;
    EMU_UNUSED(in);
    TRY(emu_get_seg(ctx, EMU_SEG_GS, &gs));
    TRY(emu_get_msr(ctx, EMU_MSR_KERNEL_GS_BASE, &kgs));
    struct emu_segment ng = *gs;
    const uint64_t old = gs->base;
    ng.base = kgs;
    TRY(set_msr(ctx, EMU_MSR_KERNEL_GS_BASE, old));
    emu_seg_write(ctx, EMU_SEG_GS, &ng);
    return EMU_OK;
}

/* RD/WR{FS,GS}BASE: #UD unless CR4.FSGSBASE (64-bit mode only; the decoder checks that). */
EXEC(emu_ud_fsgsbase)
{
    uint64_t cr4;
    EMU_UNUSED(in);
    TRY(emu_get_cr4(ctx, &cr4));
    return (cr4 & EMU_CR4_FSGSBASE) ? EMU_OK : emu_ud(ctx);
}

EXEC(emu_exec_fsgsbase)
{
    const unsigned seg = (in->op == OP_RDFSBASE || in->op == OP_WRFSBASE) ? EMU_SEG_FS : EMU_SEG_GS;
    const struct emu_segment *sr;
    TRY(emu_get_seg(ctx, seg, &sr));
    if (in->op == OP_RDFSBASE || in->op == OP_RDGSBASE) return emu_op_write(ctx, in, 0, sr->base);
    uint64_t v;
    int ok;
    TRY(emu_op_read(ctx, in, 0, &v)); /* a 32-bit source is zero-extended */
    TRY(emu_is_canonical(ctx, v, &ok));
    if (!ok) return emu_gp0(ctx);
    struct emu_segment ns = *sr;
    ns.base = v;
    emu_seg_write(ctx, seg, &ns);
    return EMU_OK;
}

/* MONITOR/MWAIT need CPUID MONITOR. */
EXEC(emu_ud_monitor)
{
    EMU_UNUSED(in);
    return emu_has(ctx, EMU_FEAT_MONITOR) ? EMU_OK : emu_ud(ctx);
}

/* RSM outside SMM is #UD (the library does not model SMM); its intercept comes first. */
EXEC(emu_exec_rsm)
{
    EMU_UNUSED(in);
    return emu_ud(ctx);
}
