/*
 * Fast system calls: SYSCALL/SYSRET (STAR, LSTAR, CSTAR, SFMASK) and SYSENTER/SYSEXIT
 * (SYSENTER_CS/ESP/EIP), with their #UD/#GP rules and the vendor differences:
 *  - SYSCALL/SYSRET: #UD when EFER.SCE = 0.  Intel: #UD outside 64-bit mode.  AMD: also in
 *    legacy and compatibility mode (APM pseudocode: SYSCALL_LEGACY_MODE, SYSRET_NON_64BIT_MODE;
 *    the APM has no mode check for SYSCALL, so it runs in real and v86 mode too), SYSRET #GP(0)
 *    outside protected mode.
 *  - SYSRET to a non-canonical RCX: Intel raises #GP(0) at CPL 0 before anything changes;
 *    AMD loads it and the fetch faults at CPL 3 (the embedder's next fetch).
 *  - SYSRET's SS: Intel writes fixed flat attributes; AMD changes only the selector and keeps
 *    the old attributes (APM), which our CPL = SS.DPL model can only follow with DPL forced to 3
 *    (a null SS stays unusable: Linux's X86_BUG_SYSRET_SS_ATTRS).
 *  - SYSENTER/SYSEXIT: #UD without SEP, and on AMD in long mode; #GP(0) in real mode and when
 *    SYSENTER_CS[15:2] = 0; SYSEXIT #GP(0) at CPL != 0.  Intel in IA-32e mode enters 64-bit
 *    code and SYSEXIT with REX.W returns to it (#GP(0) for a non-canonical RCX or RDX).
 * The flat segments these instructions load are fixed by the architecture: base 0, limit 4G,
 * code execute/read accessed (L or D), data read/write accessed (B), G = 1.
 */
#include "internal.h"

#define ATTR_CODE64(dpl) (0xa9b | (dpl) << 5)
#define ATTR_CODE32(dpl) (0xc9b | (dpl) << 5)
#define ATTR_DATA(dpl) (0xc93 | (dpl) << 5)

static void flat(struct emu_segment *s, uint16_t sel, uint16_t attr)
{
    s->sel = sel;
    s->base = 0;
    s->limit = 0xffffffff;
    s->attr = attr;
}

/* The end of SYSENTER and SYSEXIT: the flat CS and SS, rSP and rIP. */
static enum emu_status fast_enter(struct emu_ctx *ctx, const struct emu_segment *cs, const struct emu_segment *ss,
                                  uint64_t rsp, uint64_t rip)
{
    emu_seg_write(ctx, EMU_SEG_CS, cs);
    emu_seg_write(ctx, EMU_SEG_SS, ss);
    emu_gpr_write(ctx, EMU_RSP, rsp);
    ctx->s.next_rip = rip;
    return EMU_OK;
}

EXEC(emu_ud_syscall)
{
    uint64_t efer;
    EMU_UNUSED(in);
    if (!emu_is_amd(ctx) && !emu_is64(ctx)) return emu_ud(ctx);
    TRY(emu_get_efer(ctx, &efer));
    if (!(efer & EMU_EFER_SCE)) return emu_ud(ctx);
    return EMU_OK;
}

EXEC(emu_exec_syscall)
{
    uint64_t star, efer;
    struct emu_segment cs, ss;
    EMU_UNUSED(in);
    TRY(emu_get_msr(ctx, EMU_MSR_STAR, &star));
    TRY(emu_get_efer(ctx, &efer));
    const uint16_t sel = (uint16_t)(star >> 32);
    const uint64_t f = ctx->s.rflags;
    if (efer & EMU_EFER_LMA) {
        uint64_t target, mask;
        TRY(emu_get_msr(ctx, emu_is64(ctx) ? EMU_MSR_LSTAR : EMU_MSR_CSTAR, &target));
        TRY(emu_get_msr(ctx, EMU_MSR_SFMASK, &mask));
        emu_gpr_write(ctx, EMU_RCX, ctx->s.next_rip);
        emu_gpr_write(ctx, EMU_R11, f & ~(uint64_t)EMU_FLAG_RF);
        flat(&cs, sel & 0xfffc, ATTR_CODE64(0));
        ctx->s.rflags = (f & ~(mask & 0xffffffffull)) & ~(uint64_t)EMU_FLAG_RF;
        ctx->s.next_rip = target;
    } else {
        /* AMD legacy mode: ECX = return EIP, EIP = STAR[31:0], VM/IF/RF cleared. */
        emu_gpr_write(ctx, EMU_RCX, ctx->s.next_rip & 0xffffffffull);
        flat(&cs, sel & 0xfffc, ATTR_CODE32(0));
        ctx->s.rflags = f & ~(uint64_t)(EMU_FLAG_VM | EMU_FLAG_IF | EMU_FLAG_RF);
        ctx->s.next_rip = star & 0xffffffffull;
    }
    flat(&ss, (uint16_t)(sel + 8), ATTR_DATA(0));
    emu_seg_write(ctx, EMU_SEG_CS, &cs);
    emu_seg_write(ctx, EMU_SEG_SS, &ss);
    return EMU_OK;
}

EXEC(emu_ud_sysret)
{
    return emu_ud_syscall(ctx, in);
}

/* AMD: #GP(0) outside protected mode (real mode; v86 mode is CPL 3 anyway).  The CPL rule is
 * the table's PRIV_CPL0. */
EXEC(emu_priv_sysret)
{
    EMU_UNUSED(in);
    if (ctx->s.mode == EMU_MODE_REAL) return emu_gp0(ctx);
    return EMU_OK;
}

EXEC(emu_exec_sysret)
{
    uint64_t star, efer;
    struct emu_segment cs, ss;
    const struct emu_segment *oss;
    TRY(emu_get_msr(ctx, EMU_MSR_STAR, &star));
    TRY(emu_get_efer(ctx, &efer));
    TRY(emu_get_seg(ctx, EMU_SEG_SS, &oss));
    const uint16_t sel = (uint16_t)(star >> 48);
    const uint64_t rcx = emu_gpr(ctx, EMU_RCX), r11 = emu_gpr(ctx, EMU_R11);
    if (emu_is64(ctx) && in->opsize == 8) {
        int ok;
        TRY(emu_is_canonical(ctx, rcx, &ok));
        if (!ok && !emu_is_amd(ctx)) return emu_gp0(ctx);
        flat(&cs, (uint16_t)((sel + 16) | 3), ATTR_CODE64(3));
        ctx->s.next_rip = rcx;
    } else {
        flat(&cs, (uint16_t)(sel | 3), ATTR_CODE32(3));
        ctx->s.next_rip = rcx & 0xffffffffull;
    }
    if (efer & EMU_EFER_LMA) {
        const uint64_t m = emu_is64(ctx) ? 0x3c7fd7 : 0x3c7fd7 & 0xffffffffull;
        ctx->s.rflags = (r11 & m) | 2;
    } else {
        ctx->s.rflags |= EMU_FLAG_IF; /* AMD legacy mode: only IF changes */
    }
    if (emu_is_amd(ctx)) {
        ss = *oss;
        ss.sel = (uint16_t)((sel + 8) | 3);
        ss.attr = (uint16_t)(ss.attr | EMU_SEGATTR_DPL);
    } else {
        flat(&ss, (uint16_t)((sel + 8) | 3), ATTR_DATA(3));
    }
    emu_seg_write(ctx, EMU_SEG_CS, &cs);
    emu_seg_write(ctx, EMU_SEG_SS, &ss);
    return EMU_OK;
}

EXEC(emu_ud_sysenter)
{
    uint64_t efer;
    EMU_UNUSED(in);
    if (!emu_has(ctx, EMU_FEAT_SEP)) return emu_ud(ctx);
    if (emu_is_amd(ctx) && ctx->s.mode != EMU_MODE_REAL && ctx->s.mode != EMU_MODE_V86) {
        TRY(emu_get_efer(ctx, &efer));
        if (efer & EMU_EFER_LMA) return emu_ud(ctx);
    }
    return EMU_OK;
}

static enum emu_status sysenter_cs(struct emu_ctx *ctx, uint64_t *cs)
{
    if (ctx->s.mode == EMU_MODE_REAL) return emu_gp0(ctx);
    TRY(emu_get_msr(ctx, EMU_MSR_SYSENTER_CS, cs));
    if ((*cs & 0xfffc) == 0) return emu_gp0(ctx);
    return EMU_OK;
}

EXEC(emu_priv_sysenter)
{
    uint64_t cs;
    EMU_UNUSED(in);
    return sysenter_cs(ctx, &cs);
}

EXEC(emu_priv_sysexit)
{
    uint64_t cs;
    unsigned cpl;
    EMU_UNUSED(in);
    TRY(sysenter_cs(ctx, &cs));
    TRY(emu_get_cpl(ctx, &cpl));
    if (cpl != 0) return emu_gp0(ctx);
    return EMU_OK;
}

EXEC(emu_exec_sysenter)
{
    uint64_t csv, esp, eip;
    int lma;
    struct emu_segment cs, ss;
    EMU_UNUSED(in);
    TRY(emu_get_msr(ctx, EMU_MSR_SYSENTER_CS, &csv));
    TRY(emu_get_msr(ctx, EMU_MSR_SYSENTER_ESP, &esp));
    TRY(emu_get_msr(ctx, EMU_MSR_SYSENTER_EIP, &eip));
    TRY(emu_lma(ctx, &lma));
    const uint16_t sel = (uint16_t)(csv & 0xfffc);
    flat(&cs, sel, lma ? ATTR_CODE64(0) : ATTR_CODE32(0));
    flat(&ss, (uint16_t)(sel + 8), ATTR_DATA(0));
    if (!lma) {
        esp &= 0xffffffffull;
        eip &= 0xffffffffull;
    }
    ctx->s.rflags &= ~(uint64_t)(EMU_FLAG_VM | EMU_FLAG_IF | EMU_FLAG_RF);
    return fast_enter(ctx, &cs, &ss, esp, eip);
}

EXEC(emu_exec_sysexit)
{
    uint64_t csv;
    struct emu_segment cs, ss;
    TRY(emu_get_msr(ctx, EMU_MSR_SYSENTER_CS, &csv));
    const uint16_t base = (uint16_t)csv;
    uint64_t rsp = emu_gpr(ctx, EMU_RCX), rip = emu_gpr(ctx, EMU_RDX);
    if (emu_is64(ctx) && in->opsize == 8) {
        int ok1, ok2;
        TRY(emu_is_canonical(ctx, rsp, &ok1));
        TRY(emu_is_canonical(ctx, rip, &ok2));
        if (!ok1 || !ok2) return emu_gp0(ctx);
        flat(&cs, (uint16_t)((base + 32) | 3), ATTR_CODE64(3));
        flat(&ss, (uint16_t)((base + 40) | 3), ATTR_DATA(3));
    } else {
        flat(&cs, (uint16_t)((base + 16) | 3), ATTR_CODE32(3));
        flat(&ss, (uint16_t)((base + 24) | 3), ATTR_DATA(3));
        rsp &= 0xffffffffull;
        rip &= 0xffffffffull;
    }
    return fast_enter(ctx, &cs, &ss, rsp, rip);
}
