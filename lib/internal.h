/*
 * lib/internal.h: what the engine's files share.  Tests may include it; embedders may not.
 *
 * Conventions:
 *   - Every helper that can fail returns enum emu_status; EMU_OK means go on.  TRY() propagates.
 *     On failure ctx->result already holds the exception / intercept / reason.
 *   - Register reads see the state at the start of the instruction (ctx->regs); register writes
 *     go to a small log applied at commit (emu_gpr_cur() sees logged values when needed).
 *   - Memory reads go to the callbacks at once; memory writes are buffered and performed at
 *     commit, so an exception leaves memory untouched.
 */
#ifndef EMU_LIB_INTERNAL_H
#define EMU_LIB_INTERNAL_H

#include <emulate/emulate.h>
#include "../tables/tables.h"
#include "../decoder/decoder.h"

#define TRY(x)                                                                                \
    do {                                                                                      \
        enum emu_status st_ = (x);                                                            \
        if (st_ != EMU_OK) return st_;                                                        \
    } while (0)

#define EMU_UNUSED(x) (void)(x)

static const uint64_t emu_masks[17] = {
    0, 0xff, 0xffff, 0xffffff, 0xffffffff, 0xffffffffffull, 0xffffffffffffull, 0xffffffffffffffull,
    ~0ull, ~0ull, ~0ull, ~0ull, ~0ull, ~0ull, ~0ull, ~0ull, ~0ull,
};
static inline uint64_t emu_mask(unsigned size) { return emu_masks[size & 15]; }
static inline uint64_t emu_signbit(unsigned size) { return 1ull << (8 * size - 1); }
static inline int64_t emu_sext(uint64_t v, unsigned size)
{
    switch (size) {
    case 1: return (int8_t)v;
    case 2: return (int16_t)v;
    case 4: return (int32_t)v;
    default: return (int64_t)v;
    }
}

/* Cached-state bits in ctx->s.valid. */
enum {
    EMU_C_CR0 = 1u << 0, EMU_C_CR4 = 1u << 1, EMU_C_EFER = 1u << 2, EMU_C_XCR0 = 1u << 3,
    EMU_C_CPL = 1u << 4, EMU_C_SEG0 = 1u << 8 /* << seg */
};

/* Access types for segmentation checks. */
enum { EMU_ACC_R = 1, EMU_ACC_W = 2, EMU_ACC_X = 4 };

/* ---- results --------------------------------------------------------------------------- */
enum emu_status emu_raise(struct emu_ctx *ctx, unsigned vector, int has_ec, uint32_t ec);
static inline enum emu_status emu_gp0(struct emu_ctx *ctx) { return emu_raise(ctx, EMU_GP, 1, 0); }
static inline enum emu_status emu_ud(struct emu_ctx *ctx) { return emu_raise(ctx, EMU_UD, 0, 0); }
enum emu_status emu_unhandled(struct emu_ctx *ctx, const char *reason);
/* Map a callback status (with its filled exception) to an emu_status. */
enum emu_status emu_from_cb(struct emu_ctx *ctx, enum emu_cb_status cb, const struct emu_exception *exc);

/* ---- processor state (cached for the step) ---------------------------------------------- */
/* The getters are inline for the cached case (every access after the first in a step, and
 * all of CR0/CR4/EFER/CS/SS when the embedder has get_state); the *_slow functions in
 * lib/state.c call the callbacks. */
enum emu_status emu_get_seg_slow(struct emu_ctx *ctx, unsigned seg, const struct emu_segment **out);
enum emu_status emu_get_cr0_slow(struct emu_ctx *ctx, uint64_t *v);
enum emu_status emu_get_cr4_slow(struct emu_ctx *ctx, uint64_t *v);
enum emu_status emu_get_efer_slow(struct emu_ctx *ctx, uint64_t *v);
enum emu_status emu_get_xcr0(struct emu_ctx *ctx, uint64_t *v);
enum emu_status emu_get_cpl_slow(struct emu_ctx *ctx, unsigned *cpl);
#define EMU_LIKELY(x) __builtin_expect(!!(x), 1)
/* For the few helpers on every step's path, where a call costs as much as the body. */
#define EMU_ALWAYS_INLINE static inline __attribute__((always_inline))
static inline enum emu_status emu_get_seg(struct emu_ctx *ctx, unsigned seg, const struct emu_segment **out)
{
    if (EMU_LIKELY(ctx->s.valid & (EMU_C_SEG0 << seg))) {
        *out = &ctx->s.segs[seg];
        return EMU_OK;
    }
    return emu_get_seg_slow(ctx, seg, out);
}
static inline enum emu_status emu_get_cr0(struct emu_ctx *ctx, uint64_t *v)
{
    if (EMU_LIKELY(ctx->s.valid & EMU_C_CR0)) {
        *v = ctx->s.cache_cr0;
        return EMU_OK;
    }
    return emu_get_cr0_slow(ctx, v);
}
static inline enum emu_status emu_get_cr4(struct emu_ctx *ctx, uint64_t *v)
{
    if (EMU_LIKELY(ctx->s.valid & EMU_C_CR4)) {
        *v = ctx->s.cache_cr4;
        return EMU_OK;
    }
    return emu_get_cr4_slow(ctx, v);
}
static inline enum emu_status emu_get_efer(struct emu_ctx *ctx, uint64_t *v)
{
    if (EMU_LIKELY(ctx->s.valid & EMU_C_EFER)) {
        *v = ctx->s.cache_efer;
        return EMU_OK;
    }
    return emu_get_efer_slow(ctx, v);
}
static inline enum emu_status emu_get_cpl(struct emu_ctx *ctx, unsigned *cpl)
{
    if (EMU_LIKELY(ctx->s.valid & EMU_C_CPL)) {
        *cpl = ctx->s.cpl;
        return EMU_OK;
    }
    return emu_get_cpl_slow(ctx, cpl);
}
enum emu_status emu_get_msr(struct emu_ctx *ctx, uint32_t msr, uint64_t *v);
static inline int emu_has(const struct emu_ctx *ctx, enum emu_feature f)
{
    return emu_config_has_feature(&ctx->cfg, f);
}
static inline int emu_is64(const struct emu_ctx *ctx) { return ctx->s.mode == EMU_MODE_LONG64; }
static inline int emu_is_amd(const struct emu_ctx *ctx) { return ctx->cfg.vendor == EMU_VENDOR_AMD; }

/* ---- registers -------------------------------------------------------------------------- */
void emu_gpr_write(struct emu_ctx *ctx, unsigned reg, uint64_t val);      /* full 64 bits */
/* Write with x86 size semantics: 1 (low byte or high8), 2 (merge), 4 (zero-extend), 8. */
void emu_gpr_write_sized(struct emu_ctx *ctx, unsigned reg, unsigned size, int high8, uint64_t val);
uint64_t emu_gpr_cur(const struct emu_ctx *ctx, unsigned reg);              /* incl. logged writes */
static inline uint64_t emu_gpr(const struct emu_ctx *ctx, unsigned reg) { return ctx->regs->gpr[reg]; }

/* ---- memory ----------------------------------------------------------------------------- */
/* Segmentation, limit, canonical: offset -> linear address.  acc is EMU_ACC_*.  Inline for
 * the common 64-bit case (no FS/GS base, 48-bit canonical); everything else in lib/mem.c. */
enum emu_status emu_linear_slow(struct emu_ctx *ctx, unsigned seg, uint64_t offset, unsigned size,
                                unsigned acc, uint64_t *la);
static inline enum emu_status emu_linear(struct emu_ctx *ctx, unsigned seg, uint64_t offset,
                                         unsigned size, unsigned acc, uint64_t *la)
{
    if (EMU_LIKELY(ctx->s.mode == EMU_MODE_LONG64 && (seg < EMU_SEG_FS || seg > EMU_SEG_GS))) {
        const uint64_t last = offset + (size ? size - 1 : 0);
        /* canonical (48-bit) iff bits 63:47 are all equal, for the first and last byte */
        if (EMU_LIKELY(((offset + (1ull << 47)) >> 48) == 0 && ((last + (1ull << 47)) >> 48) == 0)) {
            *la = offset;
            return EMU_OK;
        }
    }
    return emu_linear_slow(ctx, seg, offset, size, acc, la);
}
/* Base memory flags for a data access at the current CPL (EMU_MEM_USER, EMU_MEM_AC). */
static inline enum emu_status emu_data_flags(struct emu_ctx *ctx, unsigned *flags)
{
    unsigned cpl;
    TRY(emu_get_cpl(ctx, &cpl));
    *flags = (cpl == 3 ? EMU_MEM_USER : 0) | ((ctx->s.rflags & EMU_FLAG_AC) ? EMU_MEM_AC : 0);
    return EMU_OK;
}
/* Callback-level access at a linear address, with the alignment check; flags EMU_MEM_*. */
enum emu_status emu_read_la(struct emu_ctx *ctx, uint64_t la, void *buf, unsigned size, unsigned flags);
enum emu_status emu_write_la(struct emu_ctx *ctx, uint64_t la, const void *buf, unsigned size, unsigned flags);
/* Both together: seg:offset (inline: they sit under every memory operand). */
static inline enum emu_status emu_read_mem(struct emu_ctx *ctx, unsigned seg, uint64_t off, void *buf,
                                           unsigned size, unsigned flags)
{
    uint64_t la;
    unsigned f;
    TRY(emu_linear(ctx, seg, off, size, EMU_ACC_R, &la));
    TRY(emu_data_flags(ctx, &f));
    if (seg == EMU_SEG_SS) f |= EMU_MEM_STACK;
    return emu_read_la(ctx, la, buf, size, f | flags);
}
static inline enum emu_status emu_write_mem(struct emu_ctx *ctx, unsigned seg, uint64_t off,
                                            const void *buf, unsigned size, unsigned flags)
{
    uint64_t la;
    unsigned f;
    TRY(emu_linear(ctx, seg, off, size, EMU_ACC_W, &la));
    TRY(emu_data_flags(ctx, &f));
    if (seg == EMU_SEG_SS) f |= EMU_MEM_STACK;
    return emu_write_la(ctx, la, buf, size, f | flags);
}
/* The checks of a write at seg:off now (segmentation, alignment, and paging when the embedder
 * can probe) rather than at commit, for instructions whose faults must come in their own
 * order (ENTER, CALL).  Nothing is written. */
enum emu_status emu_probe_write(struct emu_ctx *ctx, unsigned seg, uint64_t off, unsigned size,
                                unsigned flags);
/* Implicit supervisor accesses (descriptor tables, TSS, IDT) at linear addresses. */
enum emu_status emu_read_sys(struct emu_ctx *ctx, uint64_t la, void *buf, unsigned size);
enum emu_status emu_write_sys(struct emu_ctx *ctx, uint64_t la, const void *buf, unsigned size);
/* Guest-physical memory (VMCB): reads go straight to read_phys, writes are buffered. */
enum emu_status emu_read_phys(struct emu_ctx *ctx, uint64_t pa, void *buf, unsigned size);
enum emu_status emu_write_phys(struct emu_ctx *ctx, uint64_t pa, const void *buf, unsigned size);
/* Little-endian helpers. */
/* On a little-endian host a load is a copy; elsewhere, byte by byte. */
static inline uint64_t emu_load_le(const uint8_t *p, unsigned size)
{
    uint64_t v = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    switch (size) {
    case 1: return p[0];
    case 2: { uint16_t x; __builtin_memcpy(&x, p, 2); return x; }
    case 4: { uint32_t x; __builtin_memcpy(&x, p, 4); return x; }
    case 8: __builtin_memcpy(&v, p, 8); return v;
    default: break;
    }
#endif
    for (unsigned i = 0; i < size && i < 8; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}
static inline void emu_store_le(uint8_t *p, uint64_t v, unsigned size)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    switch (size) {
    case 1: p[0] = (uint8_t)v; return;
    case 2: { uint16_t x = (uint16_t)v; __builtin_memcpy(p, &x, 2); return; }
    case 4: { uint32_t x = (uint32_t)v; __builtin_memcpy(p, &x, 4); return; }
    case 8: __builtin_memcpy(p, &v, 8); return;
    default: break;
    }
#endif
    for (unsigned i = 0; i < size && i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}
/* The built-in page walker (lib/paging.c, EMU_MODEL_BUILTIN_PAGING): linear -> physical with
 * the #PF rules; reads through read_phys, writes buffered as physical writes. */
enum emu_status emu_translate(struct emu_ctx *ctx, uint64_t la, unsigned flags, uint64_t *pa);
enum emu_status emu_paging_read(struct emu_ctx *ctx, uint64_t la, void *buf, unsigned size, unsigned flags);
enum emu_status emu_paging_write(struct emu_ctx *ctx, uint64_t la, const void *buf, unsigned size, unsigned flags);
static inline int emu_builtin_paging(const struct emu_ctx *ctx)
{
    return (ctx->cfg.model_flags & EMU_MODEL_BUILTIN_PAGING) != 0;
}

/* ---- operands --------------------------------------------------------------------------- */
/* The effective address (offset) of the memory operand. */
static inline uint64_t emu_ea(const struct emu_ctx *ctx, const struct emu_insn *in)
{
    uint64_t ea = (uint64_t)in->disp;
    if (in->mem_base != 0xff) ea += ctx->regs->gpr[in->mem_base];
    if (in->mem_index != 0xff) ea += ctx->regs->gpr[in->mem_index] * in->mem_scale;
    if (in->rip_rel) ea += ctx->regs->rip + in->length;
    return ea & emu_mask(in->addrsize);
}
enum emu_status emu_op_read_slow(struct emu_ctx *ctx, struct emu_insn *in, unsigned i, uint64_t *val);
/* Register and immediate operands inline (the common case); memory and the rest out of line. */
static inline enum emu_status emu_op_read(struct emu_ctx *ctx, struct emu_insn *in, unsigned i, uint64_t *val)
{
    const struct emu_operand *op = &in->ops[i];
    if (EMU_LIKELY(op->kind == EMU_OPK_REG && !op->high8)) {
        *val = ctx->regs->gpr[op->reg] & emu_mask(op->size);
        return EMU_OK;
    }
    if (op->kind == EMU_OPK_IMM && op->reg == 0) {
        *val = in->imm & emu_mask(op->size);
        return EMU_OK;
    }
    return emu_op_read_slow(ctx, in, i, val);
}
/* Read a destination that will be written back: memory is checked for write access and the
 * linear address and old value are kept for emu_op_write (and for the LOCKed cmpxchg). */
enum emu_status emu_op_read_rmw(struct emu_ctx *ctx, struct emu_insn *in, unsigned i, uint64_t *val);
enum emu_status emu_op_write(struct emu_ctx *ctx, struct emu_insn *in, unsigned i, uint64_t val);

/* ---- stack ------------------------------------------------------------------------------ */
/* Stack address size in bytes (8 in 64-bit mode, else SS.B ? 4 : 2). */
enum emu_status emu_stack_size(struct emu_ctx *ctx, unsigned *sz);
/* Push/pop relative to a running RSP value kept by the caller (so several pushes chain). */
enum emu_status emu_push(struct emu_ctx *ctx, uint64_t *rsp, uint64_t val, unsigned size);
enum emu_status emu_pop(struct emu_ctx *ctx, uint64_t *rsp, uint64_t *val, unsigned size);
/* Write RSP back with the stack-size semantics (SP only for a 16-bit stack). */
enum emu_status emu_set_rsp(struct emu_ctx *ctx, uint64_t rsp);

/* ---- control flow ----------------------------------------------------------------------- */
/* Near branch to target (an offset in CS) at the given operand size: truncation, CS limit or
 * canonical check (#GP(0)). */
enum emu_status emu_branch(struct emu_ctx *ctx, uint64_t target, unsigned opsize);
int emu_cond(uint64_t rflags, unsigned cc);

/* ---- flags (lib/flags.c) ---------------------------------------------------------------- */
extern const uint8_t emu_parity[256];
/* The flags are computed on the operands shifted to the top of 64 bits (sh = 64 - 8 * size):
 * then the carry out of the operation is the carry out of bit 63 and the sign is bit 63, for
 * every size, with no masks.  AF and PF need only the low byte, which the shift does not
 * change. */
/* SF, ZF, PF of a result. */
EMU_ALWAYS_INLINE uint64_t emu_flags_szp(uint64_t r, unsigned size)
{
    const uint64_t t = r << (64 - 8 * size);
    return (t ? 0 : EMU_FLAG_ZF) | ((t >> 63) << 7) | ((uint64_t)emu_parity[r & 0xff] << 2);
}
/* The six arithmetic flags of a + b + carry and a - b - borrow (carry/borrow 0 or 1). */
EMU_ALWAYS_INLINE uint64_t emu_flags_add(uint64_t a, uint64_t b, uint64_t carry, unsigned size)
{
    const unsigned sh = 64 - 8 * size;
    const uint64_t r = a + b + carry, A = a << sh, B = b << sh, R = r << sh;
    return (R ? 0 : EMU_FLAG_ZF) | ((R >> 63) << 7) | ((uint64_t)emu_parity[r & 0xff] << 2) |
           ((R < A || (carry && R == A)) ? EMU_FLAG_CF : 0) | ((a ^ b ^ r) & EMU_FLAG_AF) |
           ((((A ^ R) & (B ^ R)) >> 63) << 11);
}
EMU_ALWAYS_INLINE uint64_t emu_flags_sub(uint64_t a, uint64_t b, uint64_t borrow, unsigned size)
{
    const unsigned sh = 64 - 8 * size;
    const uint64_t r = a - b - borrow, A = a << sh, B = b << sh, R = r << sh;
    return (R ? 0 : EMU_FLAG_ZF) | ((R >> 63) << 7) | ((uint64_t)emu_parity[r & 0xff] << 2) |
           ((A < B || (borrow && A == B)) ? EMU_FLAG_CF : 0) | ((a ^ b ^ r) & EMU_FLAG_AF) |
           ((((A ^ B) & (A ^ R)) >> 63) << 11);
}
/* Logical operations: CF = OF = 0; AF is undefined and both vendors clear it. */
EMU_ALWAYS_INLINE uint64_t emu_flags_logic(uint64_t r, unsigned size) { return emu_flags_szp(r, size); }
static inline void emu_set_flags(struct emu_ctx *ctx, uint64_t mask, uint64_t val)
{
    ctx->s.rflags = (ctx->s.rflags & ~mask) | (val & mask);
}
/* ADD OR ADC SBB AND SUB XOR CMP TEST: the result and the six arithmetic flags (one body for
 * lib/alu.c and the fast path, lib/fast.c).  cf is the carry-in (0 or 1). */
EMU_ALWAYS_INLINE uint64_t emu_alu_compute(unsigned op, uint64_t a, uint64_t b, uint64_t cf, unsigned size,
                                       uint64_t *flags)
{
    switch (op) {
    case OP_ADD: *flags = emu_flags_add(a, b, 0, size); return a + b;
    case OP_ADC: *flags = emu_flags_add(a, b, cf, size); return a + b + cf;
    case OP_SUB: case OP_CMP: *flags = emu_flags_sub(a, b, 0, size); return a - b;
    case OP_SBB: *flags = emu_flags_sub(a, b, cf, size); return a - b - cf;
    case OP_OR: *flags = emu_flags_logic(a | b, size); return a | b;
    case OP_XOR: *flags = emu_flags_logic(a ^ b, size); return a ^ b;
    default: *flags = emu_flags_logic(a & b, size); return a & b; /* AND, TEST */
    }
}

/* ---- the decode cache (lib/step.c) and the exit-path fast path (lib/fast.c) ------------- */
/* The set depends on the first two bytes available (the length is not known before the
 * lookup), so a store hashes exactly as a lookup of the same bytes does.  Its entries are
 * dcache[2 * set] and dcache[2 * set + 1]. */
static inline unsigned emu_dcache_set(const uint8_t *b, size_t n, unsigned mode)
{
    unsigned h = (b[0] * 31u + mode) * 7u + (n > 1 ? b[1] : 0);
    return (h ^ (h >> 5)) & (EMU_DCACHE_SIZE / 2 - 1);
}
/* Mark e, an entry of the set, as its one used last. */
static inline void emu_dcache_used(struct emu_ctx *ctx, unsigned set, const struct emu_dcache_entry *e)
{
    const unsigned way = (unsigned)(e - ctx->s.dcache) & 1;
    ctx->s.dcache_mru = (uint16_t)((ctx->s.dcache_mru & ~(1u << set)) | (way << set));
}
/* Do the n bytes at b begin with the entry's instruction? */
static inline int emu_dcache_match(const struct emu_dcache_entry *e, const uint8_t *b, size_t n)
{
    if (e->len > n) return 0;
    unsigned i = 0;
    if (n >= 8) { /* the first eight bytes in one compare */
        uint64_t x, y;
        __builtin_memcpy(&x, b, 8);
        __builtin_memcpy(&y, e->bytes, 8);
        if ((x ^ y) & e->head_mask) return 0;
        i = 8;
    }
    for (; i < e->len; i++)
        if (e->bytes[i] != b[i]) return 0;
    return 1;
}
/* The fast form of a decoded instruction (entry.fast and its operands; 0: none), stored with
 * it in the decode cache (lib/fast.c). */
void emu_fast_form(const struct emu_insn *in, struct emu_dcache_entry *e);
/* The result of a step whose state could not be read (lib/step.c). */
enum emu_status emu_step_unhandled(struct emu_ctx *ctx, const char *reason);
/* The result of a step whose first fetch callback answered cb (lib/step.c). */
enum emu_status emu_step_fetch_failed(struct emu_ctx *ctx, enum emu_cb_status cb, const struct emu_exception *exc);
/* emu_step without the fast path (lib/step.c); pre: the state already read, or NULL. */
enum emu_status emu_step_pipeline(struct emu_ctx *ctx, const uint8_t *bytes, size_t nbytes,
                                  const struct emu_cpu_state *pre);

/* ---- intercepts and events -------------------------------------------------------------- */
/* Ask L1 (nested guests only) whether it intercepts exit_code; EMU_INTERCEPT if it does. */
enum emu_status emu_intercept(struct emu_ctx *ctx, uint64_t exit_code, uint64_t info1, uint64_t info2);
void emu_queue_event(struct emu_ctx *ctx, const struct emu_event *ev);
/* A TLB-flush event; every implicit one (kind EMU_TLB_IMPLICIT) also queues a RAP clear. */
void emu_event_tlb(struct emu_ctx *ctx, unsigned kind, uint64_t addr, uint32_t pcid, int global,
                   unsigned reason);
void emu_event_rap(struct emu_ctx *ctx, unsigned reason, uint64_t value);
/* Canonical check with the guest's linear-address width (LA57-aware). */
enum emu_status emu_is_canonical(struct emu_ctx *ctx, uint64_t la, int *ok);

/* ---- segments (lib/seg.c) --------------------------------------------------------------- */
/* Load a segment register with a selector, with the architectural checks for the mode; the
 * new value is committed at retirement. */
enum emu_status emu_load_seg(struct emu_ctx *ctx, unsigned seg, uint16_t sel);
void emu_seg_write(struct emu_ctx *ctx, unsigned seg, const struct emu_segment *val);
/* The 8-byte descriptor of a non-null selector from the GDT/LDT (#GP(sel) outside the table);
 * *addr = its linear address. */
enum emu_status emu_read_desc(struct emu_ctx *ctx, uint16_t sel, uint8_t d[8], uint64_t *addr);
void emu_desc_to_seg(const uint8_t d[8], uint16_t sel, struct emu_segment *s);
/* The 16-bit error code of a selector fault: index and TI, with EXT in bit 0. */
enum emu_status emu_sel_fault(struct emu_ctx *ctx, unsigned vector, uint16_t sel, unsigned ext);
/* Where the descriptor of sel lives: *ok = 0 when bytes (8 or 16) at its index do not fit the
 * GDT/LDT limit (or the LDT is unusable for a TI=1 selector).  Never faults. */
enum emu_status emu_desc_addr(struct emu_ctx *ctx, uint16_t sel, unsigned bytes, uint64_t *addr, int *ok);
/* A parsed descriptor. */
struct emu_desc {
    uint8_t b[16];   /* raw bytes (b[8..15] only for 16-byte system descriptors) */
    uint64_t addr;   /* linear address */
    uint16_t sel;
    uint8_t type, s, dpl, p;
};
/* Fetch the 8-byte descriptor of a non-null selector; outside the table: vector(sel | ext). */
enum emu_status emu_fetch_desc(struct emu_ctx *ctx, uint16_t sel, struct emu_desc *d, unsigned vector,
                               unsigned ext);
/* The upper half of a 16-byte long-mode system descriptor (gates, TSS, LDT): outside the
 * table or a non-zero type field there -> vector(sel | ext). */
enum emu_status emu_fetch_desc_hi(struct emu_ctx *ctx, struct emu_desc *d, unsigned vector, unsigned ext);
/* Set the accessed bit of a code/data descriptor in memory (buffered), as a load does. */
enum emu_status emu_set_accessed(struct emu_ctx *ctx, struct emu_desc *d);
/* A segment write that the rest of this instruction sees too (cache updated, CPL re-read). */
void emu_seg_set_now(struct emu_ctx *ctx, unsigned seg, const struct emu_segment *val);
/* EFER.LMA. */
enum emu_status emu_lma(struct emu_ctx *ctx, int *lma);
/* Mode from CR0.PE, RFLAGS.VM, EFER.LMA and CS (lib/step.c); emu_begin prepares a context for
 * an operation that is not an instruction (emu_deliver). */
enum emu_status emu_compute_mode(struct emu_ctx *ctx);
enum emu_status emu_begin(struct emu_ctx *ctx);
void emu_fire_events(struct emu_ctx *ctx);

/* A far pointer m16:16/32/64 at seg:off (LxS, JMP/CALL m16:xx): two reads, the offset (n bytes)
 * and then the selector after it (lib/far.c). */
enum emu_status emu_read_farptr(struct emu_ctx *ctx, unsigned seg, uint64_t off, unsigned n, uint64_t *offset,
                                uint16_t *sel);

/* A stack other than (or besides) the current SS:rSP, for far transfers, task switches and
 * event delivery: pushes and pops check its own limit and fault with #SS(ec). */
struct emu_stk {
    struct emu_segment ss;
    uint64_t sp;      /* the whole register; only the low 'size' bytes move */
    uint8_t size;     /* address size: 2, 4 or 8 */
    uint8_t user;     /* accesses at CPL 3 */
    uint8_t ac;       /* alignment-checked (RETF and IRET at CPL 3: the manuals list #AC(0)) */
    uint16_t ec;      /* #SS error code */
};
enum emu_status emu_stk_push(struct emu_ctx *ctx, struct emu_stk *k, uint64_t val, unsigned n);
enum emu_status emu_stk_pop(struct emu_ctx *ctx, struct emu_stk *k, uint64_t *val, unsigned n);
/* Room for n bytes below (push) the stack pointer, checked before a frame is written. */
enum emu_status emu_stk_room(struct emu_ctx *ctx, const struct emu_stk *k, unsigned n);
/* The stack of an inner privilege level (dpl) from the TSS: SSn:ESPn (legacy, with the new-SS
 * checks: #TS/#SS with ext), RSPn or ISTn (ist != 0, long mode; SS null with RPL = dpl). */
enum emu_status emu_inner_stack(struct emu_ctx *ctx, unsigned dpl, int lma, unsigned ist, unsigned ext,
                                struct emu_stk *k, struct emu_desc *ssd);
/* The current SS:rSP as a struct emu_stk (error code 0). */
enum emu_status emu_stk_current(struct emu_ctx *ctx, struct emu_stk *k);

/* Task switch (lib/task.c).  kind: how it was started; ret_rip is the EIP saved in the old
 * TSS.  For EMU_TS_INT with has_ec the error code is pushed on the new task's stack. */
enum { EMU_TS_JMP = 0, EMU_TS_CALL, EMU_TS_IRET, EMU_TS_INT };
enum emu_status emu_task_switch(struct emu_ctx *ctx, unsigned kind, struct emu_desc *tss,
                                uint64_t ret_rip, int has_ec, uint32_t ec, unsigned ext);

/* I/O permission: IOPL and the TSS I/O bitmap (#GP(0) if denied). */
enum emu_status emu_io_allowed(struct emu_ctx *ctx, uint16_t port, unsigned size);
/* The SVM IOIO intercept for IN/OUT/INS/OUTS (exit 0x7B with the EXITINFO1 layout). */
enum emu_status emu_io_intercept(struct emu_ctx *ctx, struct emu_insn *in);
/* Port I/O through the callbacks with EMU_IO_PENDING support. */
enum emu_status emu_port_in(struct emu_ctx *ctx, uint16_t port, unsigned size, uint32_t *val);
enum emu_status emu_port_out(struct emu_ctx *ctx, uint16_t port, unsigned size, uint32_t val);

/* ---- REP string support (lib/string.c) -------------------------------------------------- */
/* Commit the current state mid-instruction (REP iterations that completed). */
enum emu_status emu_commit(struct emu_ctx *ctx);

/* ---- executors, one family per file ----------------------------------------------------- */
#define EXEC(name) enum emu_status name(struct emu_ctx *ctx, struct emu_insn *in)
EXEC(emu_exec_rdrand);
EXEC(emu_exec_mov); EXEC(emu_exec_movzx); EXEC(emu_exec_movsx); EXEC(emu_exec_xchg);
EXEC(emu_exec_cmpxchg); EXEC(emu_exec_cmpxchg8b); EXEC(emu_exec_xadd); EXEC(emu_exec_bswap);
EXEC(emu_exec_movbe); EXEC(emu_exec_cmovcc); EXEC(emu_exec_setcc); EXEC(emu_exec_lea);
EXEC(emu_exec_lahf); EXEC(emu_exec_sahf); EXEC(emu_exec_cbw); EXEC(emu_exec_cwd);
EXEC(emu_exec_xlat); EXEC(emu_exec_salc);
EXEC(emu_exec_alu); EXEC(emu_exec_incdec); EXEC(emu_exec_neg); EXEC(emu_exec_not);
EXEC(emu_exec_shift); EXEC(emu_exec_shxd);
EXEC(emu_exec_mul); EXEC(emu_exec_imul1); EXEC(emu_exec_imul); EXEC(emu_exec_div);
EXEC(emu_exec_bt); EXEC(emu_exec_bsf); EXEC(emu_exec_bsr); EXEC(emu_exec_popcnt);
EXEC(emu_exec_lzcnt); EXEC(emu_exec_tzcnt); EXEC(emu_exec_bmi); EXEC(emu_exec_adcx);
EXEC(emu_exec_crc32);
EXEC(emu_exec_bcd);
EXEC(emu_exec_push); EXEC(emu_exec_pop); EXEC(emu_exec_push_sreg); EXEC(emu_exec_pop_sreg);
EXEC(emu_exec_pusha); EXEC(emu_exec_popa); EXEC(emu_exec_pushf); EXEC(emu_exec_popf);
EXEC(emu_exec_enter); EXEC(emu_exec_leave);
EXEC(emu_exec_jmp); EXEC(emu_exec_jmp_ind); EXEC(emu_exec_jcc); EXEC(emu_exec_call);
EXEC(emu_exec_call_ind); EXEC(emu_exec_ret); EXEC(emu_exec_loop); EXEC(emu_exec_jrcxz);
EXEC(emu_exec_string);
EXEC(emu_exec_flagop); EXEC(emu_exec_cli); EXEC(emu_exec_sti);
EXEC(emu_exec_in); EXEC(emu_exec_out);
EXEC(emu_exec_nop); EXEC(emu_exec_ud); EXEC(emu_exec_int3); EXEC(emu_exec_into);
EXEC(emu_exec_int); EXEC(emu_exec_int1); EXEC(emu_exec_bound); EXEC(emu_exec_fwait);
EXEC(emu_exec_clflush); EXEC(emu_exec_cpuid); EXEC(emu_exec_hlt);
/* system instructions (lib/cr.c, tlb.c, msr.c, dtable.c, svm.c) */
EXEC(emu_exec_mov_from_cr); EXEC(emu_exec_mov_to_cr); EXEC(emu_check_mov_to_cr);
EXEC(emu_icpt_cr); EXEC(emu_exec_mov_from_dr); EXEC(emu_exec_mov_to_dr); EXEC(emu_check_dr);
EXEC(emu_icpt_dr); EXEC(emu_exec_clts); EXEC(emu_exec_lmsw); EXEC(emu_exec_smsw);
EXEC(emu_icpt_cr0_write); EXEC(emu_priv_umip);
EXEC(emu_exec_invlpg); EXEC(emu_icpt_invlpg); EXEC(emu_exec_invpcid); EXEC(emu_priv_invpcid);
EXEC(emu_icpt_invpcid);
EXEC(emu_exec_rdmsr); EXEC(emu_exec_wrmsr); EXEC(emu_icpt_msr); EXEC(emu_exec_rdtsc);
EXEC(emu_priv_tsd); EXEC(emu_exec_rdpid); EXEC(emu_exec_rdpmc); EXEC(emu_priv_rdpmc);
EXEC(emu_exec_xgetbv); EXEC(emu_exec_xsetbv); EXEC(emu_ud_osxsave); EXEC(emu_exec_swapgs);
EXEC(emu_exec_fsgsbase); EXEC(emu_ud_fsgsbase); EXEC(emu_ud_monitor); EXEC(emu_exec_rsm);
EXEC(emu_exec_lgdt); EXEC(emu_exec_sgdt); EXEC(emu_exec_lldt); EXEC(emu_exec_ltr);
EXEC(emu_exec_sldt);
EXEC(emu_exec_vmx_inv);
EXEC(emu_ud_svm); EXEC(emu_ud_stgi); EXEC(emu_ud_skinit); EXEC(emu_check_svm_rax);
EXEC(emu_exec_vmrun); EXEC(emu_exec_vmload); EXEC(emu_exec_vmsave); EXEC(emu_exec_stgi);
EXEC(emu_exec_skinit); EXEC(emu_exec_invlpga); EXEC(emu_exec_vmmcall); EXEC(emu_exec_vmcall);
/* lib/apx.c: the EVEX dispatcher (NDD redirect, NF) and the new APX instructions */
enum emu_status emu_apx_exec(struct emu_ctx *ctx, struct emu_insn *in, emu_exec_fn exec);
EXEC(emu_exec_imulzu); EXEC(emu_exec_setzucc); EXEC(emu_exec_cfcmov); EXEC(emu_exec_ccmp);
EXEC(emu_exec_push2); EXEC(emu_exec_pop2); EXEC(emu_exec_jmpabs);
/* segments and far transfers (lib/segins.c, far.c, sysenter.c) */
EXEC(emu_exec_mov_to_sreg); EXEC(emu_exec_mov_from_sreg); EXEC(emu_exec_lxs);
EXEC(emu_exec_lar); EXEC(emu_exec_verr); EXEC(emu_exec_arpl);
EXEC(emu_exec_jmp_far); EXEC(emu_exec_call_far); EXEC(emu_exec_retf); EXEC(emu_exec_iret);
EXEC(emu_exec_syscall); EXEC(emu_exec_sysret); EXEC(emu_exec_sysenter); EXEC(emu_exec_sysexit);
EXEC(emu_ud_syscall); EXEC(emu_ud_sysret); EXEC(emu_priv_sysret); EXEC(emu_ud_sysenter);
EXEC(emu_priv_sysenter); EXEC(emu_priv_sysexit);
/* privilege checks shared by several families */
EXEC(emu_priv_iopl);      /* CLI/STI-like: #GP(0) unless IOPL >= CPL (v86 rules in the exec) */
EXEC(emu_priv_io);        /* IN/OUT/INS/OUTS: IOPL or TSS bitmap */

#endif
