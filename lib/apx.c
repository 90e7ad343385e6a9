/*
 * Intel APX execution (shared/spec/apx.md sections 5, 7-9).
 *
 *  - emu_apx_exec() runs every EVEX-encoded instruction (called by the step pipeline).  It
 *    reuses the legacy executors: NF (no flags) restores the six arithmetic flags afterwards,
 *    and NDD (ND = 1 on an R_NDD row) redirects the write of operand 0 to the vvvv register,
 *    zero-extended from the operation size to 64 bits, while a memory operand 0 is only read.
 *  - The new instructions: CCMPscc/CTESTscc, CFCMOVcc and the map-4 CMOVcc, SETZUcc, IMULZU,
 *    PUSH2/POP2, JMPABS.  PUSHP/POPP are plain PUSH/POP (the PPX hint changes nothing
 *    architectural); MOVRS is a plain load.
 *
 * Choices for the spec's [unverified] items (each pinned by tests/unit/test_apx.c):
 *  - NDD with an 8- or 16-bit operation size clears bits 63:8 / 63:16 of the destination.
 *  - CCMP/CTEST with a false source condition: OF SF ZF CF from the default flags value,
 *    PF = DFV.CF, AF = 0.  The memory operand is read (and can fault) whatever the condition.
 *  - CFCMOVcc without NDD and a 16-bit register destination: the legacy 16-bit write rule
 *    (bits 63:16 kept), also when the condition is false and the value written is 0.  The
 *    NDD forms follow the NDD rule (bits 63:16 cleared).
 *  - PUSH2/POP2 with RSP not 16-byte aligned: #GP(0).
 */
#include "internal.h"

static enum emu_status with_ndd(struct emu_ctx *ctx, struct emu_insn *in, emu_exec_fn exec, unsigned dst)
{
    ctx->s.ndd_dst = (uint8_t)(dst + 1);
    enum emu_status st = exec(ctx, in);
    ctx->s.ndd_dst = 0;
    return st;
}

static int is_shift(unsigned op)
{
    return op == OP_ROL || op == OP_ROR || op == OP_RCL || op == OP_RCR || op == OP_SHL ||
           op == OP_SHR || op == OP_SAL || op == OP_SAR || op == OP_SHLD || op == OP_SHRD;
}

/* NDD: vvvv <- f(sources).  A shift by a (masked) count of 0 still writes the destination:
 * it receives the unshifted source, and no flag changes. */
static enum emu_status ndd(struct emu_ctx *ctx, struct emu_insn *in, emu_exec_fn exec)
{
    const unsigned size = in->ops[0].size;
    if (is_shift(in->op)) {
        const unsigned ci = (in->op == OP_SHLD || in->op == OP_SHRD) ? 2 : 1;
        uint64_t c, a;
        TRY(emu_op_read(ctx, in, ci, &c));
        if ((c & (size == 8 ? 0x3f : 0x1f)) == 0) {
            TRY(emu_op_read(ctx, in, 0, &a));
            emu_gpr_write(ctx, in->vvvv, a & emu_mask(size));
            return EMU_OK;
        }
    }
    return with_ndd(ctx, in, exec, in->vvvv);
}

enum emu_status emu_apx_exec(struct emu_ctx *ctx, struct emu_insn *in, emu_exec_fn exec)
{
    const struct emu_oprow *row = in->row;
    /* Map 4 has only the NDD form of CMOVcc; it shares the CFCMOV executor. */
    if (in->op == OP_CMOVCC) return emu_exec_cfcmov(ctx, in);
    const uint64_t saved = ctx->s.rflags;
    enum emu_status st;
    if (in->nd && (row->flags & R_NDD) && in->op != OP_CFCMOV) st = ndd(ctx, in, exec);
    else st = exec(ctx, in);
    /* NF: the result without any arithmetic-flag update (CFCMOV's NF only selects a form,
     * and it writes no flags anyway). */
    if (st == EMU_OK && in->nf) ctx->s.rflags = (ctx->s.rflags & ~(uint64_t)FL_ARITH) | (saved & FL_ARITH);
    return st;
}

/* IMULZU: IMUL r, r/m, imm whose result zero-extends to 64 bits (matters for 16-bit). */
EXEC(emu_exec_imulzu)
{
    return with_ndd(ctx, in, emu_exec_imul, in->ops[0].reg);
}

/* SETZUcc: a register destination becomes 0 or 1 in all 64 bits; memory gets one byte. */
EXEC(emu_exec_setzucc)
{
    const uint64_t v = (uint64_t)emu_cond(ctx->s.rflags, in->aux);
    if (in->ops[0].kind == EMU_OPK_REG) {
        emu_gpr_write(ctx, in->ops[0].reg, v);
        return EMU_OK;
    }
    return emu_op_write(ctx, in, 0, v);
}

/*
 * CFCMOVcc (and the map-4 CMOVcc), by (ND, NF):
 *   0 0  CFCMOV r, r/m    r <- cc ? r/m : 0; a memory source is not touched when cc is false
 *   0 1  CFCMOV r/m, r    r/m <- r if cc; else a register gets 0, memory is not touched
 *   1 0  CMOV v, r, r/m   v <- cc ? r/m : r; the r/m source is always read
 *   1 1  CFCMOV v, r, r/m v <- cc ? r/m : r; a memory r/m is not touched when cc is false
 * "Not touched" is the fault suppression: no access, so no #PF/#GP/#SS/#AC.
 */
EXEC(emu_exec_cfcmov)
{
    const int cc = emu_cond(ctx->s.rflags, in->aux);
    const unsigned size = in->ops[0].size;
    uint64_t v = 0;
    if (in->nd) {
        uint64_t s1, s2 = 0;
        TRY(emu_op_read(ctx, in, 0, &s1));
        if (cc || in->op == OP_CMOVCC) TRY(emu_op_read(ctx, in, 1, &s2));
        emu_gpr_write(ctx, in->vvvv, (cc ? s2 : s1) & emu_mask(size));
        return EMU_OK;
    }
    if (in->nf && in->ops[0].kind == EMU_OPK_MEM && !cc) return EMU_OK;
    if (cc) TRY(emu_op_read(ctx, in, 1, &v));
    return emu_op_write(ctx, in, 0, v);
}

/* The source condition of CCMP/CTEST: Jcc codes, with 10 = always true, 11 = always false. */
static int scc_true(uint64_t f, unsigned scc)
{
    if (scc == 10) return 1;
    if (scc == 11) return 0;
    return emu_cond(f, scc);
}

EXEC(emu_exec_ccmp)
{
    const unsigned size = in->ops[0].size;
    uint64_t a, b, f;
    TRY(emu_op_read(ctx, in, 0, &a));
    TRY(emu_op_read(ctx, in, 1, &b));
    if (scc_true(ctx->s.rflags, in->scc)) {
        f = in->op == OP_CCMP ? emu_flags_sub(a, b, 0, size) : emu_flags_logic(a & b, size);
    } else {
        const unsigned dfv = in->dfv; /* bit 3 OF, bit 2 SF, bit 1 ZF, bit 0 CF */
        f = ((dfv & 8) ? FL_OF : 0) | ((dfv & 4) ? FL_SF : 0) | ((dfv & 2) ? FL_ZF : 0) |
            ((dfv & 1) ? FL_CF | FL_PF : 0);
    }
    emu_set_flags(ctx, FL_ARITH, f);
    return EMU_OK;
}

EXEC(emu_exec_push2)
{
    uint64_t rsp = emu_gpr(ctx, EMU_RSP);
    if (rsp & 15) return emu_gp0(ctx);
    TRY(emu_push(ctx, &rsp, emu_gpr(ctx, in->ops[0].reg), 8));
    TRY(emu_push(ctx, &rsp, emu_gpr(ctx, in->ops[1].reg), 8));
    return emu_set_rsp(ctx, rsp);
}

EXEC(emu_exec_pop2)
{
    uint64_t rsp = emu_gpr(ctx, EMU_RSP), a, b;
    if (rsp & 15) return emu_gp0(ctx);
    TRY(emu_pop(ctx, &rsp, &a, 8));
    TRY(emu_pop(ctx, &rsp, &b, 8));
    emu_gpr_write(ctx, in->ops[0].reg, a);
    emu_gpr_write(ctx, in->ops[1].reg, b);
    return emu_set_rsp(ctx, rsp);
}

/* JMPABS: RIP <- imm64, a direct jump (no memory access, no stack). */
EXEC(emu_exec_jmpabs)
{
    return emu_branch(ctx, in->imm, 8);
}
