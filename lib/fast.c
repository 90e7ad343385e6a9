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
 * The forms: ADD OR ADC SBB AND SUB XOR CMP TEST reg, reg/imm and INC/DEC reg (on the host's
 * ALU, lib/hostalu.h); MOV reg, reg/imm; MOV reg, mem (a load); MOV mem, reg/imm (a store).
 * They have no stage checks, no intercept and no event, and one memory access at most, so
 * the callback order and the flags passed are those of the pipeline: the same access, the
 * same EMU_MEM_* bits, the same answers to a failing callback.  tests/unit/test_fast.c
 * runs each form through both paths and compares.
 *
 * The entries are keyed by bytes and mode only (not by APX decoding, as other entries are):
 * the forms exclude REX2 and EVEX, and without those prefixes APX changes no decoding.
 */
#include "internal.h"
#include "hostalu.h"

enum { FAST_NONE, FAST_ALU, FAST_MOV, FAST_LOAD, FAST_STORE };

/* A register or plain-immediate source operand. */
static int simple_src(const struct emu_operand *o)
{
    return (o->kind == EMU_OPK_REG && !o->high8) || (o->kind == EMU_OPK_IMM && o->reg == 0);
}

static unsigned form_of(const struct emu_insn *in)
{
    if (in->status != EMU_DEC_OK || in->mode != EMU_MODE_LONG64 || in->checks) return FAST_NONE;
    if (in->prefixes & ~(unsigned)(EMU_PFX_OPSIZE | EMU_PFX_REX)) return FAST_NONE;
    const struct emu_operand *d = &in->ops[0], *src = &in->ops[1];
    const int dreg = d->kind == EMU_OPK_REG && !d->high8;
    if (in->nops == 1 && (in->op == OP_INC || in->op == OP_DEC)) return dreg ? FAST_ALU : FAST_NONE;
    if (in->nops != 2) return FAST_NONE;
    switch (in->op) {
    case OP_ADD: case OP_OR: case OP_ADC: case OP_SBB: case OP_AND: case OP_SUB: case OP_XOR:
    case OP_CMP: case OP_TEST:
        return dreg && simple_src(src) && src->size == d->size ? FAST_ALU : FAST_NONE;
    case OP_MOV:
        if (dreg && simple_src(src) && src->size == d->size) return FAST_MOV;
        if (dreg && src->kind == EMU_OPK_MEM && src->size == d->size && d->size <= 8) return FAST_LOAD;
        if (d->kind == EMU_OPK_MEM && d->size <= 8 && simple_src(src) && src->size == d->size) return FAST_STORE;
        return FAST_NONE;
    default: return FAST_NONE;
    }
}

/* The record lib/fast.c runs from: registers, the size and the immediate, taken out of the
 * operands once, at decode. */
void emu_fast_form(const struct emu_insn *in, struct emu_dcache_entry *e)
{
    e->fast = (uint8_t)form_of(in);
    if (!e->fast) return;
    e->fop = in->op;
    e->fsel = (uint8_t)emu_halu_sel(emu_halu_kind(in->op), in->ops[0].size);
    e->fmnemonic = emu_opinfo[in->op].mnemonic;
    e->fsize = in->ops[0].size;
    e->fmflags = in->seg == EMU_SEG_SS ? EMU_MEM_STACK : 0;
    if (in->nops == 1) { /* INC/DEC: the register, and 1 (not read by lib/hostalu.h) */
        e->fmflags = 0;
        e->fdst = in->ops[0].reg;
        e->fsrc = 0xff;
        e->fimm = 1;
    } else if (e->fast == FAST_LOAD) {
        e->fdst = e->fsrc = in->ops[0].reg;
        e->fimm = 0;
    } else {
        /* the destination register (none for a store), the value's register or 0xff: the
         * immediate */
        const struct emu_operand *val = &in->ops[1];
        e->fdst = e->fast == FAST_STORE ? 0 : in->ops[0].reg;
        e->fsrc = val->kind == EMU_OPK_REG ? val->reg : 0xff;
        e->fimm = in->imm & emu_mask(val->size);
    }
}

static inline __attribute__((always_inline)) uint64_t src_val(const struct emu_regs *r,
                                                              const struct emu_dcache_entry *e)
{
    return e->fsrc == 0xff ? e->fimm : r->gpr[e->fsrc];
}

/* A register write with the x86 size rules: 4 zero-extends, 1 and 2 merge. */
static inline __attribute__((always_inline)) void gpr_put(struct emu_regs *r, unsigned reg, unsigned size, uint64_t v)
{
    if (size >= 4) r->gpr[reg] = v & emu_mask(size);
    else r->gpr[reg] = (r->gpr[reg] & ~emu_mask(size)) | (v & emu_mask(size));
}

/* The value of the size bytes of a memory operand in buf (little endian, zero above the
 * size), and the reverse: on a little-endian host both are one copy of eight bytes, not a
 * switch on the size. */
static inline __attribute__((always_inline)) uint64_t buf_value(const uint8_t buf[8], unsigned size)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    uint64_t v;
    __builtin_memcpy(&v, buf, 8);
    return v;
#else
    return emu_load_le(buf, size);
#endif
}
static inline __attribute__((always_inline)) void buf_put(uint8_t buf[8], uint64_t v, unsigned size)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    __builtin_memcpy(buf, &v, 8);
#else
    emu_store_le(buf, v, size);
#endif
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

/* 64-bit mode, from the state and RFLAGS (as emu_compute_mode decides it). */
static inline __attribute__((always_inline)) int in_64bit_mode(const struct emu_cpu_state *st, uint64_t rflags)
{
    return (st->cr0 & EMU_CR0_PE) && (st->efer & EMU_EFER_LMA) && (st->cs.attr & EMU_SEGATTR_L) &&
           !(rflags & EMU_FLAG_VM);
}

/* First bytes that can begin a fast form (66 and REX included): anything else, a NOP or a
 * LOCK prefix, declines at once instead of paying the decode-cache lookup twice.  A superset:
 * emu_fast_form decides. */
static const uint8_t fast_first[256] = {
    [0x00 ... 0x05] = 1, [0x08 ... 0x0d] = 1, [0x10 ... 0x15] = 1, [0x18 ... 0x1d] = 1,
    [0x20 ... 0x25] = 1, [0x28 ... 0x2d] = 1, [0x30 ... 0x35] = 1, [0x38 ... 0x3d] = 1,
    [0x40 ... 0x4f] = 1, [0x66] = 1, [0x80 ... 0x81] = 1, [0x83 ... 0x85] = 1, [0x88 ... 0x8b] = 1,
    [0xa0 ... 0xa3] = 1, [0xa8 ... 0xa9] = 1, [0xb0 ... 0xbf] = 1, [0xc6 ... 0xc7] = 1,
    [0xf6 ... 0xf7] = 1, [0xfe ... 0xff] = 1,
};

/* Is e the entry of these bytes, with a fast form?  A non-zero .fast means a valid 64-bit
 * entry: cache_store sets it from the decoded instruction, whose mode it checks. */
static inline __attribute__((always_inline)) int fast_hit(const struct emu_dcache_entry *e, const uint8_t *bytes,
                                                          size_t n)
{
    return e->fast && emu_dcache_match(e, bytes, n);
}

/* bytes[0..n) (n >= 1; bytes past the 15th are never read) on the fast path if its cached
 * form allows: 1 with *out set (the whole step done, result filled), 0 if declined with
 * nothing done but the decode cache's marks of recent use. */
static inline __attribute__((always_inline)) int fast_step(struct emu_ctx *ctx, const uint8_t *bytes, size_t n,
                                                           const struct emu_cpu_state *st, enum emu_status *out)
{
    /* The exit instruction of the last fast step first: an MMIO loop repeats one instruction. */
    const struct emu_dcache_entry *e =
        (const struct emu_dcache_entry *)((const char *)ctx->s.dcache + ctx->s.fast_last);
    if (!fast_hit(e, bytes, n)) {
        if (!fast_first[bytes[0]]) return 0;
        const unsigned set = emu_dcache_set(bytes, n, EMU_MODE_LONG64);
        e = &ctx->s.dcache[2 * set];
        if (!fast_hit(e, bytes, n) && !fast_hit(++e, bytes, n)) return 0;
        emu_dcache_used(ctx, set, e);
        ctx->s.fast_last = (uint16_t)((const char *)e - (const char *)ctx->s.dcache);
    }
    struct emu_regs *regs = ctx->regs;
    uint64_t fl = regs->rflags;
    if (!in_64bit_mode(st, fl) || (fl & EMU_FLAG_TF)) return 0; /* (TF: the single-step event) */
    if (__builtin_expect(emu_has(ctx, EMU_FEAT_APX_F), 0)) {
        /* An APX model's pipeline reads XCR0 on every step (REX2/EVEX decoding depends on
         * XCR0[19], spec/apx.md section 2 item 2; lib/step.c dec_env), as its first callback
         * after the state: so does this path,
         * although its forms decode the same either way. */
        uint64_t xcr0;
        if (!ctx->ops->get_xcr) return 0;
        if (ctx->ops->get_xcr(ctx->opaque, 0, &xcr0) != EMU_CB_OK) {
            *out = emu_step_unhandled(ctx, "reading XCR0 failed");
            return 1;
        }
    }
    const struct emu_insn *in = &e->insn;
    struct emu_result *res = &ctx->result;
    enum emu_status status = EMU_OK;
    const unsigned size = e->fsize;
    const uint64_t next_rip = regs->rip + in->length; /* before any callback, as the pipeline */
    res->reason = 0;

    if (e->fast >= FAST_LOAD) {
        /* (no segment prefix: the segment is DS or SS, with base 0 in 64-bit mode) */
        if (fl & EMU_FLAG_AC) return 0;
        /* emu_ea for the forms here: 64-bit addressing (no 67 prefix), the next RIP known */
        uint64_t ea = (uint64_t)in->disp;
        if (in->mem_base != 0xff) ea += regs->gpr[in->mem_base];
        if (in->mem_index != 0xff) ea += regs->gpr[in->mem_index] * in->mem_scale;
        if (in->rip_rel) ea += next_rip;
        const uint64_t last = ea + size - 1;
        if ((((ea + (1ull << 47)) | (last + (1ull << 47))) >> 48) != 0) return 0;
        if (e->fast == FAST_LOAD ? !ctx->ops->read : !ctx->ops->write) return 0;
        /* from here on the step is ours: the callback has effects */
        const unsigned flags = ((st->ss.attr & EMU_SEGATTR_DPL) == EMU_SEGATTR_DPL ? EMU_MEM_USER : 0) | e->fmflags;
        struct emu_exception exc = { 0 };
        uint8_t buf[8] = { 0 }; /* (zero above the size: buf_value) */
        enum emu_cb_status cb;
        if (e->fast == FAST_LOAD) {
            cb = ctx->ops->read(ctx->opaque, ea, buf, size, flags, &exc);
            if (EMU_LIKELY(cb == EMU_CB_OK)) gpr_put(regs, e->fdst, size, buf_value(buf, size));
        } else {
            buf_put(buf, src_val(regs, e), size);
            cb = ctx->ops->write(ctx->opaque, ea, buf, size, flags | EMU_MEM_WRITE, &exc);
        }
        if (cb != EMU_CB_OK) {
            ctx->s.cur = (struct emu_insn *)in; /* the exception's instruction length */
            ctx->s.mode = EMU_MODE_LONG64;
            status = cb_fail(ctx, cb, &exc, e->fast == FAST_STORE, ea, size);
        }
    } else if (e->fast == FAST_ALU) {
        /* the ALU forms and INC/DEC (which keep CF: lib/hostalu.h hands it back) */
        uint64_t f;
        regs->gpr[e->fdst] = emu_host_alu(e->fsel, regs->gpr[e->fdst], src_val(regs, e), fl & EMU_FLAG_CF, &f);
        fl = (fl & ~(uint64_t)FL_ARITH) | f;
    } else {
        gpr_put(regs, e->fdst, size, src_val(regs, e));
    }

    ctx->s.mode = EMU_MODE_LONG64;
    ctx->s.nfast++;
    res->length = in->length;
    res->op = in->op;
    res->mnemonic = e->fmnemonic;
    if (status == EMU_OK) {
        regs->rip = next_rip;
        regs->rflags = (fl & ~(uint64_t)EMU_FLAG_RF) | 2;
    }
    *out = status;
    return 1;
}

/* The front doors: the fast path when the embedder gives the bytes (a decode assist) and the
 * state (passed, or through get_state); the pipeline otherwise, with the state already read. */
/* What rules the fast path out for the whole step: a pending emu_complete_io() read, and the
 * model flags that take the decode cache or the memory callbacks away. */
static inline __attribute__((always_inline)) int fast_ctx_ok(const struct emu_ctx *ctx)
{
    return !ctx->s.have_completion &&
           !(ctx->cfg.model_flags & (EMU_MODEL_NO_DECODE_CACHE | EMU_MODEL_BUILTIN_PAGING));
}

/* bytes[0..nbytes) with the state st: the fast path, or else the pipeline. */
static inline __attribute__((always_inline)) enum emu_status fast_or_pipeline(struct emu_ctx *ctx,
                                                                              const uint8_t *bytes, size_t nbytes,
                                                                              const struct emu_cpu_state *st)
{
    enum emu_status status;
    if (fast_step(ctx, bytes, nbytes, st, &status)) {
        ctx->result.status = status;
        return status;
    }
    return emu_step_pipeline(ctx, bytes, nbytes, st);
}

/* The front doors: the fast path when the embedder gives the bytes (a decode assist) and the
 * state (passed, or through get_state); the pipeline otherwise, with the state already read. */
enum emu_status emu_step_state(struct emu_ctx *ctx, const uint8_t *bytes, size_t nbytes,
                               const struct emu_cpu_state *state)
{
    enum emu_status status;
    if (bytes && nbytes && fast_ctx_ok(ctx) &&
        fast_step(ctx, bytes, nbytes, state, &status)) {
        ctx->result.status = status;
        return status;
    }
    return emu_step_pipeline(ctx, bytes, nbytes, state);
}

/* Out of line (as step_fetch) so that a step the fast path cannot take reaches the pipeline
 * through emu_step without paying this frame. */
static __attribute__((noinline)) enum emu_status step_get_state(struct emu_ctx *ctx, const uint8_t *bytes,
                                                                size_t nbytes)
{
    struct emu_cpu_state st;
    if (ctx->ops->get_state(ctx->opaque, &st) != EMU_CB_OK) return emu_step_unhandled(ctx, "get_state failed");
    return fast_or_pipeline(ctx, bytes, nbytes, &st);
}

/* emu_step without bytes, in 64-bit mode: fetch them as the pipeline would (one fetch
 * callback at RIP, up to 15 bytes and the end of the page, EMU_MEM_FETCH and EMU_MEM_USER at
 * CPL 3) and go on as if the caller had given them; the pipeline fetches the rest, if any,
 * as it would have.  Anything else (another mode, a non-canonical RIP) is the pipeline's. */
static __attribute__((noinline)) enum emu_status step_fetch(struct emu_ctx *ctx)
{
    struct emu_cpu_state st;
    if (ctx->ops->get_state(ctx->opaque, &st) != EMU_CB_OK) return emu_step_unhandled(ctx, "get_state failed");
    const uint64_t rip = ctx->regs->rip;
    if (!in_64bit_mode(&st, ctx->regs->rflags) || ((rip + (1ull << 47)) >> 48) != 0 ||
        emu_has(ctx, EMU_FEAT_APX_F)) /* (the pipeline reads XCR0 before it fetches) */
        return emu_step_pipeline(ctx, 0, 0, &st);
    uint8_t buf[15];
    unsigned want = 4096 - (unsigned)(rip & 4095);
    if (want > 15) want = 15;
    const unsigned flags = EMU_MEM_FETCH | ((st.ss.attr & EMU_SEGATTR_DPL) == EMU_SEGATTR_DPL ? EMU_MEM_USER : 0);
    struct emu_exception exc = { 0 };
    const enum emu_cb_status cb = ctx->ops->fetch(ctx->opaque, rip, buf, want, flags, &exc);
    if (cb != EMU_CB_OK) return emu_step_fetch_failed(ctx, cb, &exc);
    return fast_or_pipeline(ctx, buf, want, &st);
}

enum emu_status emu_step(struct emu_ctx *ctx, const uint8_t *bytes, size_t nbytes)
{
    if (!ctx->ops->get_state || !fast_ctx_ok(ctx)) return emu_step_pipeline(ctx, bytes, nbytes, 0);
    if (bytes && nbytes) return step_get_state(ctx, bytes, nbytes);
    if (!bytes && ctx->ops->fetch) return step_fetch(ctx);
    return emu_step_pipeline(ctx, bytes, nbytes, 0);
}
