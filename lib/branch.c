/*
 * Near branches: JMP, Jcc, CALL, RET, LOOP/LOOPE/LOOPNE, JrCXZ.  Targets are checked against
 * the CS limit (canonical form in 64-bit mode) before anything is pushed or popped.
 */
#include "internal.h"

EXEC(emu_exec_jmp)
{
    return emu_branch(ctx, ctx->s.next_rip + in->imm, in->opsize);
}

EXEC(emu_exec_jmp_ind)
{
    uint64_t t;
    TRY(emu_op_read(ctx, in, 0, &t));
    return emu_branch(ctx, t, in->opsize);
}

EXEC(emu_exec_jcc)
{
    if (!emu_cond(ctx->s.rflags, in->aux)) return EMU_OK;
    return emu_branch(ctx, ctx->s.next_rip + in->imm, in->opsize);
}

static enum emu_status call_to(struct emu_ctx *ctx, struct emu_insn *in, uint64_t target)
{
    const uint64_t ret = ctx->s.next_rip;
    uint64_t rsp = emu_gpr(ctx, EMU_RSP);
    /* The push is checked before the target: a CALL to a non-canonical address with a bad
     * stack is #SS or #PF, not #GP (SDM CALL pseudo-code checks the stack space first; hwdiff
     * on Zen 3 agrees). */
    unsigned ssz;
    TRY(emu_stack_size(ctx, &ssz));
    TRY(emu_push(ctx, &rsp, ret, in->opsize));
    TRY(emu_probe_write(ctx, EMU_SEG_SS, rsp & emu_mask(ssz), in->opsize, EMU_MEM_STACK));
    TRY(emu_branch(ctx, target, in->opsize));
    return emu_set_rsp(ctx, rsp);
}

EXEC(emu_exec_call)
{
    return call_to(ctx, in, ctx->s.next_rip + in->imm);
}

EXEC(emu_exec_call_ind)
{
    uint64_t t;
    TRY(emu_op_read(ctx, in, 0, &t));
    return call_to(ctx, in, t);
}

/* RET and RET imm16: pop, check the target, then release imm16 bytes. */
EXEC(emu_exec_ret)
{
    uint64_t rsp = emu_gpr(ctx, EMU_RSP), t;
    unsigned ssz;
    TRY(emu_pop(ctx, &rsp, &t, in->opsize));
    TRY(emu_branch(ctx, t, in->opsize));
    if (in->nops) {
        TRY(emu_stack_size(ctx, &ssz));
        const uint64_t m = emu_mask(ssz);
        rsp = (rsp & ~m) | ((rsp + (in->imm & 0xffff)) & m);
    }
    return emu_set_rsp(ctx, rsp);
}

/* LOOPcc: the count register is CX, ECX or RCX by address size. */
EXEC(emu_exec_loop)
{
    const unsigned as = in->addrsize;
    uint64_t cnt = (emu_gpr(ctx, EMU_RCX) - 1) & emu_mask(as);
    emu_gpr_write_sized(ctx, EMU_RCX, as, 0, cnt);
    int take = cnt != 0;
    unsigned op = in->op;
    /* A REP prefix on LOOPcc is reserved ("unpredictable") in the manuals.  AMD (Zen 3, hwdiff)
     * lets it pick the condition as for CMPS/SCAS: F3 makes LOOPcc a LOOPE, F2 a LOOPNE,
     * whichever of E0/E1 it is.  LOOP (E2) ignores both. */
    if (emu_is_amd(ctx) && (op == OP_LOOPE || op == OP_LOOPNE)) {
        if (in->prefixes & EMU_PFX_REP) op = OP_LOOPE;
        else if (in->prefixes & EMU_PFX_REPNE) op = OP_LOOPNE;
    }
    if (op == OP_LOOPE) take = take && (ctx->s.rflags & FL_ZF);
    if (op == OP_LOOPNE) take = take && !(ctx->s.rflags & FL_ZF);
    return take ? emu_branch(ctx, ctx->s.next_rip + in->imm, in->opsize) : EMU_OK;
}

EXEC(emu_exec_jrcxz)
{
    if (emu_gpr(ctx, EMU_RCX) & emu_mask(in->addrsize)) return EMU_OK;
    return emu_branch(ctx, ctx->s.next_rip + in->imm, in->opsize);
}
