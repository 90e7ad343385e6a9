/*
 * Explicit TLB invalidation: INVLPG and INVPCID (spec section 3), with their SVM intercepts
 * and the TLB-flush / RAP-clear events.  INVLPGA lives in lib/svm.c.
 */
#include "internal.h"

/* Linear address of the memory operand without limit checks (INVLPG checks none; INVPCID's
 * EXITINFO1 is reported before its memory checks). */
static enum emu_status raw_linear(struct emu_ctx *ctx, struct emu_insn *in, uint64_t *la)
{
    const struct emu_segment *sr;
    uint64_t ea = emu_ea(ctx, in);
    if (emu_is64(ctx)) {
        if (in->seg != EMU_SEG_FS && in->seg != EMU_SEG_GS) {
            *la = ea;
            return EMU_OK;
        }
        TRY(emu_get_seg(ctx, in->seg, &sr));
        *la = sr->base + ea;
        return EMU_OK;
    }
    TRY(emu_get_seg(ctx, in->seg, &sr));
    *la = (sr->base + ea) & 0xffffffffull;
    return EMU_OK;
}

static enum emu_status current_pcid(struct emu_ctx *ctx, uint32_t *pcid)
{
    uint64_t cr4, cr3 = 0;
    *pcid = 0;
    TRY(emu_get_cr4(ctx, &cr4));
    if (!(cr4 & EMU_CR4_PCIDE)) return EMU_OK;
    if (!ctx->ops->get_cr || ctx->ops->get_cr(ctx->opaque, 3, &cr3) != EMU_CB_OK)
        return emu_unhandled(ctx, "get_cr(3) failed");
    *pcid = (uint32_t)(cr3 & 0xfff);
    return EMU_OK;
}

/* INVLPG intercept (0x79) after all of INVLPG's exceptions; EXITINFO1 = the linear address
 * after segmentation and address-size masking (APM 15.8.3). */
EXEC(emu_icpt_invlpg)
{
    uint64_t la;
    TRY(raw_linear(ctx, in, &la));
    return emu_intercept(ctx, 0x79, la, 0);
}

/* INVLPG: no segment-limit or canonical fault (a non-canonical address is a no-op).  Neither
 * INVLPG nor INVLPGA is a RAP-clear trigger: the APM lists only MOV CR3, INVPCID types 1-3 and
 * the implicit invalidations (spec 2.3, [I]). */
EXEC(emu_exec_invlpg)
{
    uint64_t la;
    uint32_t pcid;
    int ok = 1;
    TRY(raw_linear(ctx, in, &la));
    if (emu_is64(ctx)) TRY(emu_is_canonical(ctx, la, &ok));
    if (!ok) return EMU_OK;
    TRY(current_pcid(ctx, &pcid));
    emu_event_tlb(ctx, EMU_TLB_INVLPG, la, pcid, 0, 0);
    return EMU_OK;
}

/* Stage 4 of INVPCID: #GP(0) in virtual-8086 mode (not #UD), and for CPL != 0.  Real mode is
 * allowed (spec 3). */
EXEC(emu_priv_invpcid)
{
    unsigned cpl;
    EMU_UNUSED(in);
    if (ctx->s.mode == EMU_MODE_V86) return emu_gp0(ctx);
    TRY(emu_get_cpl(ctx, &cpl));
    return cpl ? emu_gp0(ctx) : EMU_OK;
}

/* The INVPCID intercept (0xA2) comes before every exception but the CPL #GP: EXITINFO1 = the
 * memory operand's linear address, EXITINFO2 = the register operand (the type). */
EXEC(emu_icpt_invpcid)
{
    uint64_t la, type;
    TRY(raw_linear(ctx, in, &la));
    TRY(emu_op_read(ctx, in, 0, &type));
    return emu_intercept(ctx, 0xa2, la, type);
}

/* INVPCID (spec 3): the 16-byte descriptor is always read (faults and all), then the reserved
 * bits, then the type ("read, then reserved bits, then type"), then the per-type rules. */
EXEC(emu_exec_invpcid)
{
    uint8_t d[16];
    uint64_t type, cr4;
    int ok;
    TRY(emu_op_read(ctx, in, 0, &type)); /* 64-bit in 64-bit mode, else 32 (decoded as S_64) */
    TRY(emu_read_mem(ctx, in->seg, emu_ea(ctx, in), d, 16, 0));
    const uint64_t lo = emu_load_le(d, 8), addr = emu_load_le(d + 8, 8);
    const uint32_t pcid = (uint32_t)(lo & 0xfff);
    if (lo >> 12) return emu_gp0(ctx);
    if (type > 3) return emu_gp0(ctx);
    TRY(emu_get_cr4(ctx, &cr4));
    /* Outside 64-bit mode PCIDE is necessarily 0, so any PCID != 0 faults for types 0 and 1. */
    if (type <= 1 && pcid && (!(cr4 & EMU_CR4_PCIDE) || !emu_is64(ctx))) return emu_gp0(ctx);
    switch (type) {
    case 0:
        /* the address is taken as 64 bits in every mode and must be canonical */
        TRY(emu_is_canonical(ctx, addr, &ok));
        if (!ok) return emu_gp0(ctx);
        emu_event_tlb(ctx, EMU_TLB_INVPCID_ADDR, addr, pcid, 0, 0);
        return EMU_OK; /* type 0 does not clear the RAP (spec 2.3) */
    case 1: emu_event_tlb(ctx, EMU_TLB_INVPCID_PCID, 0, pcid, 0, 0); break;
    case 2: emu_event_tlb(ctx, EMU_TLB_INVPCID_ALL, 0, 0, 1, 0); break;
    default: emu_event_tlb(ctx, EMU_TLB_INVPCID_NONGLOBAL, 0, 0, 0, 0); break;
    }
    /* ERAPS: INVPCID types 1, 2 and 3 clear the RAP. */
    emu_event_rap(ctx, EMU_RAP_INVPCID, type);
    return EMU_OK;
}
