/*
 * Stack: PUSH/POP (register, memory, immediate, segment), PUSHA/POPA, PUSHF/POPF with the
 * IOPL/VM/VME rules, ENTER/LEAVE.
 */
#include "internal.h"

EXEC(emu_exec_push)
{
    uint64_t v, rsp = emu_gpr(ctx, EMU_RSP);
    TRY(emu_op_read(ctx, in, 0, &v));
    TRY(emu_push(ctx, &rsp, v, in->opsize));
    return emu_set_rsp(ctx, rsp);
}

/* POP r/m: a memory destination based on rSP is addressed with the incremented rSP (SDM). */
EXEC(emu_exec_pop)
{
    uint64_t v, rsp = emu_gpr(ctx, EMU_RSP);
    TRY(emu_pop(ctx, &rsp, &v, in->opsize));
    TRY(emu_set_rsp(ctx, rsp));
    if (in->ops[0].kind == EMU_OPK_MEM && in->mem_base == EMU_RSP) {
        uint8_t buf[8];
        uint64_t ea = (emu_ea(ctx, in) + in->opsize) & emu_mask(in->addrsize);
        emu_store_le(buf, v, in->opsize);
        return emu_write_mem(ctx, in->seg, ea, buf, in->opsize, 0);
    }
    return emu_op_write(ctx, in, 0, v);
}

/* PUSH Sreg.  The SDM leaves the 32-bit operand size open ("either a zero-extended value is
 * pushed or the selector is written with a 16-bit move"); recent Intel cores do the 16-bit
 * move, leaving the upper bytes of the slot unchanged, and that is our Intel model.  AMD writes
 * the zero-extended selector.  With a 64-bit operand size the SDM says zero-extended for both
 * vendors, so only opsize 4 takes the Intel 16-bit path. */
EXEC(emu_exec_push_sreg)
{
    const struct emu_segment *sr;
    uint64_t rsp = emu_gpr(ctx, EMU_RSP);
    TRY(emu_get_seg(ctx, in->aux, &sr));
    if (in->opsize != 4 || emu_is_amd(ctx)) {
        TRY(emu_push(ctx, &rsp, sr->sel, in->opsize));
    } else {
        unsigned ssz;
        uint8_t buf[2];
        TRY(emu_stack_size(ctx, &ssz));
        const uint64_t m = emu_mask(ssz);
        uint64_t sp = (rsp - in->opsize) & m;
        emu_store_le(buf, sr->sel, 2);
        TRY(emu_write_mem(ctx, EMU_SEG_SS, sp, buf, 2, EMU_MEM_STACK));
        rsp = (rsp & ~m) | sp;
    }
    return emu_set_rsp(ctx, rsp);
}

EXEC(emu_exec_pop_sreg)
{
    uint64_t v, rsp = emu_gpr(ctx, EMU_RSP);
    TRY(emu_pop(ctx, &rsp, &v, in->opsize));
    TRY(emu_load_seg(ctx, in->aux, (uint16_t)v));
    if (in->aux == EMU_SEG_SS) {
        struct emu_event ev = { 0 };
        ev.type = EMU_EV_INT_SHADOW;
        ev.value = 2;
        emu_queue_event(ctx, &ev);
    }
    return emu_set_rsp(ctx, rsp);
}

/* PUSHA: AX CX DX BX (original SP) BP SI DI, at the operand size. */
EXEC(emu_exec_pusha)
{
    const unsigned size = in->opsize;
    uint64_t rsp = emu_gpr(ctx, EMU_RSP);
    for (unsigned r = 0; r < 8; r++) TRY(emu_push(ctx, &rsp, emu_gpr(ctx, r), size));
    return emu_set_rsp(ctx, rsp);
}

/* POPA: DI SI BP (SP skipped) BX DX CX AX. */
EXEC(emu_exec_popa)
{
    const unsigned size = in->opsize;
    uint64_t rsp = emu_gpr(ctx, EMU_RSP), v;
    for (int r = 7; r >= 0; r--) {
        TRY(emu_pop(ctx, &rsp, &v, size));
        if (r != EMU_RSP) emu_gpr_write_sized(ctx, (unsigned)r, size, 0, v);
    }
    return emu_set_rsp(ctx, rsp);
}

/* PUSHF: VM and RF read as 0 in the image.  In v86 mode with IOPL < 3, only the 16-bit form
 * under CR4.VME is allowed, and it pushes VIF as IF and IOPL as 3. */
EXEC(emu_exec_pushf)
{
    uint64_t f = ctx->s.rflags & ~(uint64_t)(EMU_FLAG_VM | EMU_FLAG_RF);
    uint64_t rsp = emu_gpr(ctx, EMU_RSP);
    if (ctx->s.mode == EMU_MODE_V86 && ((f & EMU_FLAG_IOPL) >> 12) < 3) {
        uint64_t cr4;
        TRY(emu_get_cr4(ctx, &cr4));
        if (!(cr4 & EMU_CR4_VME) || in->opsize != 2) return emu_gp0(ctx);
        f = (f & ~(uint64_t)EMU_FLAG_IF) | ((f & EMU_FLAG_VIF) ? EMU_FLAG_IF : 0) | EMU_FLAG_IOPL;
    }
    TRY(emu_push(ctx, &rsp, f | 2, in->opsize));
    return emu_set_rsp(ctx, rsp);
}

/* Bits POPF may change at all: the defined flags except VM, VIF, VIP and RF. */
#define POPF_ALL (FL_ARITH | EMU_FLAG_TF | EMU_FLAG_IF | EMU_FLAG_DF | EMU_FLAG_IOPL | \
                  EMU_FLAG_NT | EMU_FLAG_AC | EMU_FLAG_ID)

EXEC(emu_exec_popf)
{
    const unsigned size = in->opsize;
    uint64_t v, rsp = emu_gpr(ctx, EMU_RSP), f = ctx->s.rflags;
    uint64_t mask = POPF_ALL;

    if (ctx->s.mode == EMU_MODE_V86) {
        const unsigned iopl = (unsigned)((f & EMU_FLAG_IOPL) >> 12);
        if (iopl < 3) {
            uint64_t cr4;
            TRY(emu_get_cr4(ctx, &cr4));
            if (!(cr4 & EMU_CR4_VME) || size != 2) return emu_gp0(ctx);
            TRY(emu_pop(ctx, &rsp, &v, size));
            /* VME: IF goes to VIF; #GP if that would enable with VIP set, or set TF. */
            if (((v & EMU_FLAG_IF) && (f & EMU_FLAG_VIP)) || (v & EMU_FLAG_TF)) return emu_gp0(ctx);
            mask = POPF_ALL & ~(uint64_t)(EMU_FLAG_IOPL | EMU_FLAG_IF) & 0xffff;
            f = (f & ~mask) | (v & mask);
            f = (f & ~(uint64_t)EMU_FLAG_VIF) | ((v & EMU_FLAG_IF) ? EMU_FLAG_VIF : 0);
            ctx->s.rflags = f;
            return emu_set_rsp(ctx, rsp);
        }
        mask &= ~(uint64_t)EMU_FLAG_IOPL;
    } else if (ctx->s.mode != EMU_MODE_REAL) {
        unsigned cpl;
        TRY(emu_get_cpl(ctx, &cpl));
        if (cpl > 0) mask &= ~(uint64_t)EMU_FLAG_IOPL;
        if (cpl > ((f & EMU_FLAG_IOPL) >> 12)) mask &= ~(uint64_t)EMU_FLAG_IF;
    }
    TRY(emu_pop(ctx, &rsp, &v, size));
    if (size == 2) mask &= 0xffff;
    ctx->s.rflags = (f & ~mask) | (v & mask);
    return emu_set_rsp(ctx, rsp);
}

/* ENTER size, level: push rBP, copy level-1 frame pointers, push the new frame pointer, then
 * allocate size bytes.  rSP and the frame-pointer walk use the stack address size; pushes and
 * the final write of rBP use the operand size (SDM ENTER: FrameTemp := rSP after the first
 * push; BP/EBP/RBP := FrameTemp by operand size).  So "o16 enter" on a 32-bit stack writes BP
 * only, and "o32 enter" on a 16-bit stack sets EBP to all of ESP. */
EXEC(emu_exec_enter)
{
    const unsigned osz = in->opsize;
    const unsigned level = (unsigned)(in->imm2 & 31);
    const uint64_t alloc = in->imm & 0xffff;
    unsigned ssz;
    TRY(emu_stack_size(ctx, &ssz));
    const uint64_t m = emu_mask(ssz);
    uint64_t rsp = emu_gpr(ctx, EMU_RSP), rbp = emu_gpr(ctx, EMU_RBP);

    TRY(emu_push(ctx, &rsp, rbp, osz));
    /* The CPU writes rBP before it reads the outer frame pointers or checks the final rSP, so a
     * fault on that first push is the one reported (hwdiff: ENTER with ESP = 0 in compatibility
     * mode faults at 0xfffffffe, not at the final rSP).  Writes are only committed at the end,
     * so probe this one now. */
    TRY(emu_probe_write(ctx, EMU_SEG_SS, rsp & m, osz, EMU_MEM_STACK));
    const uint64_t frame = rsp; /* full rSP: a 16-bit stack keeps ESP[31:16] */
    if (level > 0) {
        for (unsigned i = 1; i < level; i++) {
            uint8_t buf[8];
            rbp = (rbp & ~m) | ((rbp - osz) & m);
            TRY(emu_read_mem(ctx, EMU_SEG_SS, rbp & m, buf, osz, EMU_MEM_STACK));
            TRY(emu_push(ctx, &rsp, emu_load_le(buf, osz), osz));
            TRY(emu_probe_write(ctx, EMU_SEG_SS, rsp & m, osz, EMU_MEM_STACK));
        }
        TRY(emu_push(ctx, &rsp, frame, osz));
        TRY(emu_probe_write(ctx, EMU_SEG_SS, rsp & m, osz, EMU_MEM_STACK));
    }
    rsp = (rsp & ~m) | ((rsp - alloc) & m);
    /* SDM ENTER: #SS(0) if the final rSP is outside SS (non-canonical in 64-bit mode), and #PF
     * "if a write using the final value of the stack pointer would cause a page fault".  Check
     * an operand-size write there now, so that a faulting ENTER commits nothing; that check
     * includes alignment (hwdiff: a misaligned final rSP with AC set is #AC on Zen 3). */
    TRY(emu_probe_write(ctx, EMU_SEG_SS, rsp & m, osz, EMU_MEM_STACK));
    emu_gpr_write_sized(ctx, EMU_RBP, osz, 0, frame);
    return emu_set_rsp(ctx, rsp);
}

/* LEAVE: rSP := rBP (stack size), then pop rBP (operand size). */
EXEC(emu_exec_leave)
{
    unsigned ssz;
    uint64_t v;
    TRY(emu_stack_size(ctx, &ssz));
    const uint64_t m = emu_mask(ssz);
    uint64_t rsp = (emu_gpr(ctx, EMU_RSP) & ~m) | (emu_gpr(ctx, EMU_RBP) & m);
    TRY(emu_pop(ctx, &rsp, &v, in->opsize));
    emu_gpr_write_sized(ctx, EMU_RBP, in->opsize, 0, v);
    return emu_set_rsp(ctx, rsp);
}
