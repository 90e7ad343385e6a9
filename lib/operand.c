/*
 * Operands: effective addresses, register reads and logged register writes with the x86 size
 * rules, memory operands (including read-modify-write destinations and their LOCKed commit),
 * the stack, near branches and condition codes.
 */
#include "internal.h"

/* ---- registers -------------------------------------------------------------------------- */

uint64_t emu_gpr_cur(const struct emu_ctx *ctx, unsigned reg)
{
    const struct emu_scratch *s = &ctx->s;
    for (unsigned i = 0; i < s->nregw; i++)
        if (s->regw_idx[i] == reg) return s->regw_val[i];
    return ctx->regs->gpr[reg];
}

void emu_gpr_write(struct emu_ctx *ctx, unsigned reg, uint64_t val)
{
    struct emu_scratch *s = &ctx->s;
    for (unsigned i = 0; i < s->nregw; i++) {
        if (s->regw_idx[i] == reg) {
            s->regw_val[i] = val;
            return;
        }
    }
    if (s->nregw >= EMU_MAX_REGW) {
        s->regw_overflow = 1; /* reported as UNHANDLED at commit; cannot happen with our ISA */
        return;
    }
    s->regw_idx[s->nregw] = (uint8_t)reg;
    s->regw_val[s->nregw++] = val;
}

/* One scan of the log finds the slot to merge into and to write. */
void emu_gpr_write_sized(struct emu_ctx *ctx, unsigned reg, unsigned size, int high8, uint64_t val)
{
    struct emu_scratch *s = &ctx->s;
    unsigned i = 0;
    while (i < s->nregw && s->regw_idx[i] != reg) i++;
    if (size < 4) {
        const uint64_t base = i < s->nregw ? s->regw_val[i] : ctx->regs->gpr[reg];
        if (size == 2) val = (base & ~0xffffull) | (val & 0xffff);
        else if (high8) val = (base & ~0xff00ull) | ((val & 0xff) << 8);
        else val = (base & ~0xffull) | (val & 0xff);
    } else if (size == 4) {
        val &= 0xffffffffull; /* 32-bit writes zero-extend */
    }
    if (i == s->nregw) {
        if (i >= EMU_MAX_REGW) {
            s->regw_overflow = 1;
            return;
        }
        s->regw_idx[i] = (uint8_t)reg;
        s->nregw = (uint8_t)(i + 1);
    }
    s->regw_val[i] = val;
}

/* ---- operands --------------------------------------------------------------------------- */


enum emu_status emu_op_read_slow(struct emu_ctx *ctx, struct emu_insn *in, unsigned i, uint64_t *val)
{
    const struct emu_operand *op = &in->ops[i];
    switch (op->kind) {
    case EMU_OPK_REG: {
        uint64_t v = ctx->regs->gpr[op->reg];
        if (op->high8) v >>= 8;
        *val = v & emu_mask(op->size);
        return EMU_OK;
    }
    case EMU_OPK_IMM:
        *val = (op->reg == 1 ? in->imm2 : in->imm) & emu_mask(op->size);
        return EMU_OK;
    case EMU_OPK_MEM: {
        uint8_t buf[8];
        unsigned size = op->size > 8 ? 8 : op->size;
        TRY(emu_read_mem(ctx, in->seg, emu_ea(ctx, in), buf, size, 0));
        *val = emu_load_le(buf, size);
        return EMU_OK;
    }
    case EMU_OPK_SREG: {
        const struct emu_segment *sr;
        TRY(emu_get_seg(ctx, op->reg, &sr));
        *val = sr->sel;
        return EMU_OK;
    }
    default:
        return emu_unhandled(ctx, "operand kind not readable here");
    }
}

enum emu_status emu_op_read_rmw(struct emu_ctx *ctx, struct emu_insn *in, unsigned i, uint64_t *val)
{
    const struct emu_operand *op = &in->ops[i];
    /* APX NDD: operand 0 is only a source; the result goes to another register. */
    if (op->kind != EMU_OPK_MEM || (i == 0 && ctx->s.ndd_dst)) return emu_op_read(ctx, in, i, val);
    struct emu_scratch *s = &ctx->s;
    uint64_t la;
    unsigned flags;
    uint8_t buf[8];
    TRY(emu_linear(ctx, in->seg, emu_ea(ctx, in), op->size, EMU_ACC_R | EMU_ACC_W, &la));
    TRY(emu_data_flags(ctx, &flags));
    if (in->seg == EMU_SEG_SS) flags |= EMU_MEM_STACK;
    flags |= EMU_MEM_RMW;
    TRY(emu_read_la(ctx, la, buf, op->size, flags));
    s->rmw_la = la;
    s->rmw_flags = (uint8_t)(flags & ~EMU_MEM_RMW);
    s->rmw_old = emu_load_le(buf, op->size);
    s->rmw_valid = 1;
    *val = s->rmw_old;
    return EMU_OK;
}

enum emu_status emu_op_write(struct emu_ctx *ctx, struct emu_insn *in, unsigned i, uint64_t val)
{
    const struct emu_operand *op = &in->ops[i];
    struct emu_scratch *s = &ctx->s;
    if (i == 0 && s->ndd_dst) {
        /* APX NDD (and IMULZU): the whole destination register, zero-extended. */
        emu_gpr_write(ctx, s->ndd_dst - 1u, val & emu_mask(op->size));
        return EMU_OK;
    }
    switch (op->kind) {
    case EMU_OPK_REG:
        emu_gpr_write_sized(ctx, op->reg, op->size, op->high8, val);
        return EMU_OK;
    case EMU_OPK_MEM: {
        uint8_t buf[8];
        emu_store_le(buf, val, op->size);
        if (s->rmw_valid) {
            TRY(emu_write_la(ctx, s->rmw_la, buf, op->size, s->rmw_flags));
            if (in->prefixes & EMU_PFX_LOCK) {
                /* The LOCKed read-modify-write commits with cmpxchg against the value read. */
                struct emu_wlog *w = &s->writes[s->nwrites - 1];
                w->locked = 1;
                w->old = s->rmw_old;
            }
            return EMU_OK;
        }
        return emu_write_mem(ctx, in->seg, emu_ea(ctx, in), buf, op->size, 0);
    }
    default:
        return emu_unhandled(ctx, "operand kind not writable here");
    }
}

/* ---- stack ------------------------------------------------------------------------------ */

enum emu_status emu_stack_size(struct emu_ctx *ctx, unsigned *sz)
{
    if (emu_is64(ctx)) {
        *sz = 8;
        return EMU_OK;
    }
    const struct emu_segment *ss;
    TRY(emu_get_seg(ctx, EMU_SEG_SS, &ss));
    /* SS.B selects ESP over SP, in real mode too (a "big real" stack). */
    *sz = (ss->attr & EMU_SEGATTR_DB) ? 4 : 2;
    return EMU_OK;
}

enum emu_status emu_push(struct emu_ctx *ctx, uint64_t *rsp, uint64_t val, unsigned size)
{
    unsigned ssz;
    uint8_t buf[8];
    TRY(emu_stack_size(ctx, &ssz));
    const uint64_t m = emu_mask(ssz);
    uint64_t sp = (*rsp - size) & m;
    emu_store_le(buf, val, size);
    TRY(emu_write_mem(ctx, EMU_SEG_SS, sp, buf, size, EMU_MEM_STACK));
    *rsp = (*rsp & ~m) | sp;
    return EMU_OK;
}

enum emu_status emu_pop(struct emu_ctx *ctx, uint64_t *rsp, uint64_t *val, unsigned size)
{
    unsigned ssz;
    uint8_t buf[8];
    TRY(emu_stack_size(ctx, &ssz));
    const uint64_t m = emu_mask(ssz);
    uint64_t sp = *rsp & m;
    TRY(emu_read_mem(ctx, EMU_SEG_SS, sp, buf, size, EMU_MEM_STACK));
    *val = emu_load_le(buf, size);
    *rsp = (*rsp & ~m) | ((sp + size) & m);
    return EMU_OK;
}

enum emu_status emu_set_rsp(struct emu_ctx *ctx, uint64_t rsp)
{
    emu_gpr_write(ctx, EMU_RSP, rsp);
    return EMU_OK;
}

/* ---- control flow ----------------------------------------------------------------------- */

enum emu_status emu_branch(struct emu_ctx *ctx, uint64_t target, unsigned opsize)
{
    target &= emu_mask(opsize);
    if (emu_is64(ctx)) {
        /* Intel faults on the branch itself; AMD as well for near branches with a
         * non-canonical target (the #GP is reported with RIP at the branch). */
        int64_t s48 = (int64_t)(target << 16) >> 16;
        if ((uint64_t)s48 != target) {
            uint64_t cr4;
            TRY(emu_get_cr4(ctx, &cr4));
            int64_t s57 = (int64_t)(target << 7) >> 7;
            if (!(cr4 & EMU_CR4_LA57) || (uint64_t)s57 != target) return emu_gp0(ctx);
        }
    } else {
        const struct emu_segment *cs;
        TRY(emu_get_seg(ctx, EMU_SEG_CS, &cs));
        if (target > cs->limit) return emu_gp0(ctx);
    }
    ctx->s.next_rip = target;
    return EMU_OK;
}

int emu_cond(uint64_t f, unsigned cc)
{
    int r;
    switch ((cc >> 1) & 7) {
    case 0: r = (f & EMU_FLAG_OF) != 0; break;
    case 1: r = (f & EMU_FLAG_CF) != 0; break;
    case 2: r = (f & EMU_FLAG_ZF) != 0; break;
    case 3: r = (f & (EMU_FLAG_CF | EMU_FLAG_ZF)) != 0; break;
    case 4: r = (f & EMU_FLAG_SF) != 0; break;
    case 5: r = (f & EMU_FLAG_PF) != 0; break;
    case 6: r = !(f & EMU_FLAG_SF) != !(f & EMU_FLAG_OF); break;
    default: r = (f & EMU_FLAG_ZF) || (!(f & EMU_FLAG_SF) != !(f & EMU_FLAG_OF)); break;
    }
    return r ^ (int)(cc & 1);
}
