/*
 * SVM instructions: VMRUN VMMCALL VMLOAD VMSAVE STGI CLGI SKINIT INVLPGA, and Intel's VMCALL.
 *
 * The order of checks (spec/svm-eraps-invpcid-cr.md 1.2-1.4, APM Table 15-7) is data in
 * tables/opinfo_sys.inc; this file holds the per-stage rules:
 *   stage 2  #UD: no SVM in CPUID (the decoder), real or v86 mode (.modes), EFER.SVME = 0 with
 *            the STGI/SKINIT exemptions (emu_ud_svm, emu_ud_stgi, emu_ud_skinit)
 *   stage 4  #GP(0) for CPL != 0 (PRIV_CPL0)
 *   stage 5  VMRUN/VMLOAD/VMSAVE: the rAX rule (emu_check_svm_rax), before the intercept
 *   stage 6  the intercept (0x80..0x86, 0x7A)
 *   stage 9  execution
 * VMMCALL is the exception: its intercept comes before every exception (ICPT_FIRST).
 *
 * KVM's emulator checks CPL (#GP) before EFER.SVME (#UD) and rAX before SVME; every other
 * source, and the APM, give #UD first.  We follow the APM (spec 1.7).
 */
#include "internal.h"

/* VMCB save-area offsets (absolute, spec 1.8). */
enum {
    VMCB_FS = 0x440, VMCB_GS = 0x450, VMCB_LDTR = 0x470, VMCB_TR = 0x490,
    VMCB_STAR = 0x600, VMCB_LSTAR = 0x608, VMCB_CSTAR = 0x610, VMCB_SFMASK = 0x618,
    VMCB_KERNEL_GS_BASE = 0x620, VMCB_SYSENTER_CS = 0x628, VMCB_SYSENTER_ESP = 0x630,
    VMCB_SYSENTER_EIP = 0x638
};

static const struct { uint16_t off; uint8_t seg; } vmcb_segs[4] = {
    { VMCB_FS, EMU_SEG_FS }, { VMCB_GS, EMU_SEG_GS }, { VMCB_LDTR, EMU_SEG_LDTR }, { VMCB_TR, EMU_SEG_TR },
};
static const struct { uint16_t off; uint32_t msr; } vmcb_msrs[8] = {
    { VMCB_STAR, EMU_MSR_STAR }, { VMCB_LSTAR, EMU_MSR_LSTAR }, { VMCB_CSTAR, EMU_MSR_CSTAR },
    { VMCB_SFMASK, EMU_MSR_SFMASK }, { VMCB_KERNEL_GS_BASE, EMU_MSR_KERNEL_GS_BASE },
    { VMCB_SYSENTER_CS, EMU_MSR_SYSENTER_CS }, { VMCB_SYSENTER_ESP, EMU_MSR_SYSENTER_ESP },
    { VMCB_SYSENTER_EIP, EMU_MSR_SYSENTER_EIP },
};

/* ---- stage 2 ---------------------------------------------------------------------------- */

/* VMRUN, VMLOAD, VMSAVE, CLGI, INVLPGA need EFER.SVME = 1 (spec 1.2). */
EXEC(emu_ud_svm)
{
    uint64_t efer;
    EMU_UNUSED(in);
    TRY(emu_get_efer(ctx, &efer));
    return (efer & EMU_EFER_SVME) ? EMU_OK : emu_ud(ctx);
}

/* STGI also runs with SVME = 0 on parts with SKINIT or SVM-Lock (APM 15.4, 15.31; BOCHS
 * ignores the exemption). */
EXEC(emu_ud_stgi)
{
    if (emu_has(ctx, EMU_FEAT_SKINIT) || emu_has(ctx, EMU_FEAT_SVML)) return EMU_OK;
    return emu_ud_svm(ctx, in);
}

/* SKINIT exists only with CPUID SKINIT, and then whatever EFER.SVME says. */
EXEC(emu_ud_skinit)
{
    EMU_UNUSED(in);
    return emu_has(ctx, EMU_FEAT_SKINIT) ? EMU_OK : emu_ud(ctx);
}

/* ---- the rAX rule (spec 1.4) ------------------------------------------------------------ */

static uint64_t svm_rax(const struct emu_ctx *ctx, const struct emu_insn *in)
{
    /* the effective address size picks RAX, EAX or AX */
    return ctx->regs->gpr[EMU_RAX] & emu_mask(in->addrsize);
}

/* 4 KiB aligned and below 2^MAXPHYADDR of the guest (never a hard-coded width). */
static int rax_ok(const struct emu_ctx *ctx, uint64_t rax)
{
    return !(rax & 0xfff) && !(rax >> ctx->cfg.maxphyaddr);
}

static int in_smm_range(const struct emu_ctx *ctx, uint64_t rax)
{
    return ctx->cfg.smm_mask && (rax & ctx->cfg.smm_mask) == (ctx->cfg.smm_base & ctx->cfg.smm_mask);
}

/* Stage 5: the rAX #GP comes before the intercept (APM Table 15-7 "checks exceptions (#GP)
 * before the intercept"; QEMU, VBox and KVM agree; Bochs does not).  On parts without
 * SVME_ADDR_CHK the SMM-range #GP is also taken here; with it, after the intercept. */
EXEC(emu_check_svm_rax)
{
    const uint64_t rax = svm_rax(ctx, in);
    if (!rax_ok(ctx, rax)) return emu_gp0(ctx);
    if (!emu_has(ctx, EMU_FEAT_SVME_ADDR_CHK) && in_smm_range(ctx, rax)) return emu_gp0(ctx);
    return EMU_OK;
}

static enum emu_status late_smm_check(struct emu_ctx *ctx, const struct emu_insn *in)
{
    if (emu_has(ctx, EMU_FEAT_SVME_ADDR_CHK) && in_smm_range(ctx, svm_rax(ctx, in))) return emu_gp0(ctx);
    return EMU_OK;
}

/* ---- execution -------------------------------------------------------------------------- */

/* VMRUN: everything checked; the nested entry belongs to the embedder (EMU_EV_VMRUN), and the
 * transition clears the RAP because the RAP does not tell L1 from L2 (spec 2.2). */
EXEC(emu_exec_vmrun)
{
    struct emu_event ev = { 0 };
    TRY(late_smm_check(ctx, in));
    ev.type = EMU_EV_VMRUN;
    ev.value = svm_rax(ctx, in);
    emu_queue_event(ctx, &ev);
    emu_event_rap(ctx, EMU_RAP_NESTED_TRANSITION, ev.value);
    return EMU_OK;
}

static uint64_t canonical(uint64_t v, unsigned bits)
{
    return (uint64_t)((int64_t)(v << (64 - bits)) >> (64 - bits));
}

/* VMLOAD: FS, GS, TR, LDTR with hidden state, KernelGsBase, STAR, LSTAR, CSTAR, SFMASK and the
 * SYSENTER MSRs from the VMCB (and nothing else).  Segment bases and KernelGsBase come back
 * canonical (QEMU, kvm-unit-tests); AMD keeps SYSENTER_ESP/EIP 32-bit. */
EXEC(emu_exec_vmload)
{
    const uint64_t vmcb = svm_rax(ctx, in);
    uint8_t sb[0x60], mb[0x40];
    uint64_t cr4;
    TRY(late_smm_check(ctx, in));
    TRY(emu_read_phys(ctx, vmcb + VMCB_FS, sb, sizeof sb));
    TRY(emu_read_phys(ctx, vmcb + VMCB_STAR, mb, sizeof mb));
    TRY(emu_get_cr4(ctx, &cr4));
    const unsigned bits = (cr4 & EMU_CR4_LA57) ? 57 : 48;
    for (unsigned i = 0; i < 4; i++) {
        const uint8_t *p = sb + (vmcb_segs[i].off - VMCB_FS);
        struct emu_segment s;
        s.sel = (uint16_t)emu_load_le(p, 2);
        s.attr = (uint16_t)(emu_load_le(p + 2, 2) & 0xfff);
        s.limit = (uint32_t)emu_load_le(p + 4, 4);
        s.base = canonical(emu_load_le(p + 8, 8), bits);
        emu_seg_write(ctx, vmcb_segs[i].seg, &s);
    }
    if (!ctx->ops->set_msr) return emu_unhandled(ctx, "missing callback: set_msr");
    for (unsigned i = 0; i < 8; i++) {
        uint64_t v = emu_load_le(mb + (vmcb_msrs[i].off - VMCB_STAR), 8);
        if (vmcb_msrs[i].msr == EMU_MSR_KERNEL_GS_BASE) v = canonical(v, bits);
        if (emu_is_amd(ctx) && (vmcb_msrs[i].msr == EMU_MSR_SYSENTER_ESP || vmcb_msrs[i].msr == EMU_MSR_SYSENTER_EIP))
            v &= 0xffffffffull;
        if (ctx->ops->set_msr(ctx->opaque, vmcb_msrs[i].msr, v) != EMU_CB_OK)
            return emu_unhandled(ctx, "set_msr failed during VMLOAD");
    }
    return EMU_OK;
}

/* VMSAVE: the same state into the VMCB (written at retirement). */
EXEC(emu_exec_vmsave)
{
    const uint64_t vmcb = svm_rax(ctx, in);
    uint8_t b[16];
    TRY(late_smm_check(ctx, in));
    for (unsigned i = 0; i < 4; i++) {
        const struct emu_segment *s;
        TRY(emu_get_seg(ctx, vmcb_segs[i].seg, &s));
        emu_store_le(b, s->sel, 2);
        emu_store_le(b + 2, s->attr & 0xfff, 2);
        emu_store_le(b + 4, s->limit, 4);
        emu_store_le(b + 8, s->base, 8);
        TRY(emu_write_phys(ctx, vmcb + vmcb_segs[i].off, b, 16));
    }
    for (unsigned i = 0; i < 8; i++) {
        uint64_t v;
        TRY(emu_get_msr(ctx, vmcb_msrs[i].msr, &v));
        emu_store_le(b, v, 8);
        TRY(emu_write_phys(ctx, vmcb + vmcb_msrs[i].off, b, 8));
    }
    return EMU_OK;
}

/* STGI / CLGI: GIF, or V_GIF for a nested guest with virtual GIF (spec 1.9). */
EXEC(emu_exec_stgi)
{
    struct emu_event ev = { 0 };
    ev.type = EMU_EV_GIF;
    ev.kind = ctx->cfg.vgif ? 1 : 0;
    ev.value = in->op == OP_STGI;
    emu_queue_event(ctx, &ev);
    return EMU_OK;
}

/* SKINIT passes its checks and intercept here; the secure launch itself (DEV protection, SLB
 * measurement, INIT of the other processors) is not something an instruction emulator can do,
 * so it is reported, with nothing changed, for the embedder to perform or refuse. */
EXEC(emu_exec_skinit)
{
    EMU_UNUSED(in);
    return emu_unhandled(ctx, "SKINIT: secure launch is left to the embedder (all checks passed)");
}

/* INVLPGA: invalidate (rAX at the address size, ASID = ECX).  EXITINFO1 is not filled on its
 * intercept (APM 15.8.3).  Not a RAP trigger (spec 2.3 [I]). */
EXEC(emu_exec_invlpga)
{
    struct emu_event ev = { 0 };
    ev.type = EMU_EV_TLB_FLUSH;
    ev.kind = EMU_TLB_INVLPGA;
    ev.addr = svm_rax(ctx, in);
    ev.asid = (uint32_t)ctx->regs->gpr[EMU_RCX];
    emu_queue_event(ctx, &ev);
    return EMU_OK;
}

static enum emu_status hypercall(struct emu_ctx *ctx)
{
    if (!ctx->ops->hypercall) return emu_ud(ctx);
    enum emu_cb_status cb = ctx->ops->hypercall(ctx->opaque, ctx->regs);
    if (cb == EMU_CB_UNHANDLED) return emu_ud(ctx);
    if (cb != EMU_CB_OK) return emu_from_cb(ctx, cb, NULL);
    struct emu_event ev = { 0 };
    ev.type = EMU_EV_HYPERCALL;
    emu_queue_event(ctx, &ev);
    return EMU_OK;
}

/* VMMCALL: reached only when L1 did not intercept it (its intercept is checked first, with no
 * mode or CPL check: APM 15.18).  The embedder's own hypercall, else #UD. */
EXEC(emu_exec_vmmcall)
{
    EMU_UNUSED(in);
    return hypercall(ctx);
}

/* VMCALL: AMD has no VMX, so it is #UD.  On Intel a guest's VMCALL always exits to the
 * hypervisor: the embedder's hypercall, else #UD (not in VMX operation). */
EXEC(emu_exec_vmcall)
{
    EMU_UNUSED(in);
    if (emu_is_amd(ctx)) return emu_ud(ctx);
    return hypercall(ctx);
}

/* ---- decode-only classification (KVM's gp_interception situation) ----------------------- */

enum emu_decode_status emu_svm_classify_gp(struct emu_ctx *ctx, const uint8_t *bytes, size_t nbytes,
                                           struct emu_svm_gp_info *out)
{
    struct emu_insn in;
    __builtin_memset(out, 0, sizeof *out);
    enum emu_decode_status st = emu_decode(ctx, bytes, nbytes, &in);
    if (st != EMU_DEC_OK) return st;
    out->op = in.op;
    out->length = in.length;
    if (in.op != OP_VMRUN && in.op != OP_VMLOAD && in.op != OP_VMSAVE) return st;
    out->is_svm_rax_insn = 1;
    out->exit_code = in.op == OP_VMRUN ? 0x80 : in.op == OP_VMLOAD ? 0x82 : 0x83;
    out->rax = svm_rax(ctx, &in);
    out->rax_valid = rax_ok(ctx, out->rax) && !in_smm_range(ctx, out->rax);
    return st;
}
