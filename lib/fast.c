/*
 * The exit-path fast path: the instructions a hypervisor emulates most often, run straight
 * from the decode cache without the stage pipeline of lib/step.c.
 *
 * On an MMIO exit the guest's instruction is nearly always a MOV between a register and
 * memory, and the same few instructions come back exit after exit.  emu_step hands such a
 * step here when the embedder gives the bytes (the decode assist) and the get_state callback:
 * one state call, the mode test, a decode-cache hit whose entry carries its fast form, the
 * operation, the callback and the commit; nothing else.  Everything the forms below would
 * need beyond that makes the fast path decline before it has done anything, and the full
 * pipeline runs the step instead (with the state already read):
 *
 *   - not 64-bit mode, RFLAGS.TF (the single-step event), RFLAGS.AC with a memory operand
 *     (the alignment check and SMAP's flag), a non-canonical address (#GP/#SS), an FS/GS
 *     segment (a base), EMU_MODEL_BUILTIN_PAGING, EMU_MODEL_NO_DECODE_CACHE, a pending
 *     emu_complete_io() read, a missing read/write callback;
 *   - any prefix but 66 and REX (LOCK, REP, segment, 67, REX2, VEX, EVEX), a high-8
 *     register, an operation with stage checks or an intercept.
 *
 * The forms: ADD OR ADC SBB AND SUB XOR CMP TEST reg, reg/imm; MOV reg, reg/imm; MOV reg, mem
 * (a load); MOV mem, reg/imm (a store).  They have no stage checks, no intercept and no
 * event, and one memory access at most, so the callback order and the flags passed are those
 * of the pipeline: the same access, the same EMU_MEM_* bits, the same answers to a failing
 * callback.  tests/unit/test_fast.c runs each form through both paths and compares.
 *
 * The entries are keyed by bytes and mode only (not by APX decoding, as other entries are):
 * the forms exclude REX2 and EVEX, and without those prefixes APX changes no decoding.
 */
#include "internal.h"

enum { FAST_NONE, FAST_ALU, FAST_MOV, FAST_LOAD, FAST_STORE };

/* A register or plain-immediate source operand. */
static int simple_src(const struct emu_operand *o)
{
    return (o->kind == EMU_OPK_REG && !o->high8) || (o->kind == EMU_OPK_IMM && o->reg == 0);
}

unsigned emu_fast_form(const struct emu_insn *in)
{
    if (in->status != EMU_DEC_OK || in->mode != EMU_MODE_LONG64 || in->checks || in->nops != 2) return FAST_NONE;
    if (in->prefixes & ~(unsigned)(EMU_PFX_OPSIZE | EMU_PFX_REX)) return FAST_NONE;
    const struct emu_operand *d = &in->ops[0], *src = &in->ops[1];
    const int dreg = d->kind == EMU_OPK_REG && !d->high8;
    switch (in->op) {
    case OP_ADD: case OP_OR: case OP_ADC: case OP_SBB: case OP_AND: case OP_SUB: case OP_XOR:
    case OP_CMP: case OP_TEST:
        return dreg && simple_src(src) ? FAST_ALU : FAST_NONE;
    case OP_MOV:
        if (dreg && simple_src(src)) return FAST_MOV;
        if (dreg && src->kind == EMU_OPK_MEM && src->size <= 8) return FAST_LOAD;
        if (d->kind == EMU_OPK_MEM && d->size <= 8 && simple_src(src)) return FAST_STORE;
        return FAST_NONE;
    default: return FAST_NONE;
    }
}

static inline uint64_t src_val(const struct emu_ctx *ctx, const struct emu_insn *in)
{
    const struct emu_operand *o = &in->ops[1];
    return (o->kind == EMU_OPK_REG ? ctx->regs->gpr[o->reg] : in->imm) & emu_mask(o->size);
}

/* A register write with the x86 size rules: 4 zero-extends, 1 and 2 merge. */
static inline void gpr_put(struct emu_regs *r, unsigned reg, unsigned size, uint64_t v)
{
    if (size >= 4) r->gpr[reg] = v & emu_mask(size);
    else r->gpr[reg] = (r->gpr[reg] & ~emu_mask(size)) | (v & emu_mask(size));
}

/* What the pipeline answers for a failing read or write callback (lib/mem.c, lib/step.c). */
static enum emu_status cb_fail(struct emu_ctx *ctx, enum emu_cb_status cb, const struct emu_exception *exc,
                               int write, uint64_t la, unsigned size)
{
    if (cb == EMU_CB_PENDING) {
        if (write) return emu_unhandled(ctx, "a write callback returned PENDING");
        ctx->result.pending.is_port = 0;
        ctx->result.pending.size = (uint8_t)size;
        ctx->result.pending.addr = la;
        return EMU_IO_PENDING;
    }
    return emu_from_cb(ctx, cb, exc);
}

int emu_fast_step(struct emu_ctx *ctx, const uint8_t *bytes, unsigned n, const struct emu_cpu_state *st,
                  enum emu_status *out)
{
    struct emu_regs *regs = ctx->regs;
    uint64_t fl = regs->rflags;
    if (!(st->cr0 & EMU_CR0_PE) || !(st->efer & EMU_EFER_LMA) || !(st->cs.attr & EMU_SEGATTR_L) ||
        (fl & (EMU_FLAG_VM | EMU_FLAG_TF)))
        return 0;
    const struct emu_dcache_entry *e = &ctx->s.dcache[emu_dcache_slot(bytes, n, EMU_MODE_LONG64)];
    if (!e->fast || !e->valid || e->mode != EMU_MODE_LONG64 || !emu_dcache_match(e, bytes, n)) return 0;
    const struct emu_insn *in = &e->insn;
    const struct emu_operand *d = &in->ops[0];
    struct emu_result *res = &ctx->result;
    enum emu_status status = EMU_OK;

    if (e->fast >= FAST_LOAD) {
        const unsigned size = in->ops[e->fast == FAST_LOAD ? 1 : 0].size;
        if ((fl & EMU_FLAG_AC) || in->seg == EMU_SEG_FS || in->seg == EMU_SEG_GS) return 0;
        const uint64_t ea = emu_ea(ctx, in), last = ea + size - 1;
        if (((ea + (1ull << 47)) >> 48) != 0 || ((last + (1ull << 47)) >> 48) != 0) return 0;
        if (e->fast == FAST_LOAD ? !ctx->ops->read : !ctx->ops->write) return 0;
        /* from here on the step is ours: the callback has effects */
        ctx->s.mode = EMU_MODE_LONG64;
        ctx->s.cur = (struct emu_insn *)in; /* the exception's instruction length */
        const unsigned flags = ((st->ss.attr & EMU_SEGATTR_DPL) == EMU_SEGATTR_DPL ? EMU_MEM_USER : 0) |
                               (in->seg == EMU_SEG_SS ? EMU_MEM_STACK : 0);
        struct emu_exception exc = { 0 };
        uint8_t buf[8];
        enum emu_cb_status cb;
        res->reason = 0;
        if (e->fast == FAST_LOAD) {
            cb = ctx->ops->read(ctx->opaque, ea, buf, size, flags, &exc);
            if (EMU_LIKELY(cb == EMU_CB_OK)) gpr_put(regs, d->reg, d->size, emu_load_le(buf, size));
        } else {
            emu_store_le(buf, src_val(ctx, in), size);
            cb = ctx->ops->write(ctx->opaque, ea, buf, size, flags | EMU_MEM_WRITE, &exc);
        }
        if (cb != EMU_CB_OK) status = cb_fail(ctx, cb, &exc, e->fast == FAST_STORE, ea, size);
    } else if (e->fast == FAST_ALU) {
        const unsigned size = d->size;
        uint64_t f;
        const uint64_t r = emu_alu_compute(in->op, regs->gpr[d->reg] & emu_mask(size), src_val(ctx, in),
                                           (fl & EMU_FLAG_CF) ? 1 : 0, size, &f);
        fl = (fl & ~(uint64_t)FL_ARITH) | (f & FL_ARITH);
        if (in->op != OP_CMP && in->op != OP_TEST) gpr_put(regs, d->reg, size, r);
    } else {
        gpr_put(regs, d->reg, d->size, src_val(ctx, in));
    }

    ctx->s.mode = EMU_MODE_LONG64;
    ctx->s.nfast++;
    res->length = in->length;
    res->op = in->op;
    res->mnemonic = emu_opinfo[in->op].mnemonic;
    if (status == EMU_OK) {
        res->reason = 0;
        regs->rip += in->length;
        regs->rflags = (fl & ~(uint64_t)EMU_FLAG_RF) | 2;
    }
    *out = status;
    return 1;
}
