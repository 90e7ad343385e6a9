/*
 * The step pipeline of design.md: one call, one instruction.
 *
 *   1 fetch + decode      (#UD for invalid encodings, #GP(0) past 15 bytes, fetch faults)
 *   2 mode / feature #UD  (emu_opinfo.modes, .ud_check)
 *   3 intercept           (ICPT_FIRST: VMMCALL, PUSHF, POPF, IRET, INTn, XSETBV...)
 *   4 privilege           (.priv, .priv_check)
 *   5 operand values      (.pre_check, e.g. the VMRUN rAX rule)
 *   6 intercept           (ICPT_AFTER_EXC: the ordinary case)
 *   7 memory operand      (.mem_check)
 *   8 intercept           (ICPT_AFTER_MEM)
 *   9 execute, commit, events
 *
 * Which check sits in which stage is per operation, in tables/opinfo_*.inc; this file has no
 * per-instruction knowledge.  emu_step and emu_step_state enter through lib/fast.c, which runs
 * the few exit-path forms that need none of stages 2-8 from the decode cache and hands every
 * other step to emu_step_pipeline here.
 */
#include "internal.h"

static const char *const mode_names[EMU_NUM_MODES] = {
    "real", "v86", "prot16", "prot32", "compat16", "compat32", "long64",
};

const char *emu_mode_name(enum emu_mode mode)
{
    return (unsigned)mode < EMU_NUM_MODES ? mode_names[mode] : "?";
}

/* Mode from CR0.PE, RFLAGS.VM, EFER.LMA and CS.L/CS.D.  With the combined get_state callback
 * one call loads everything the mode, the CPL and most instructions need. */
#define EMU_HOT static inline __attribute__((always_inline))

enum emu_status emu_compute_mode(struct emu_ctx *ctx)
{
    struct emu_scratch *s = &ctx->s;
    uint64_t cr0, efer;
    const struct emu_segment *cs;
    if (s->pre_state || ctx->ops->get_state) {
        /* The state emu_step_state was given, or that emu_step's fast path read (and declined
         * with): used once, for the mode at the start of the step.  A task switch commits its
         * segments and computes the mode again: that reads the state anew. */
        struct emu_cpu_state st;
        if (s->pre_state) {
            st = *s->pre_state;
            s->pre_state = 0;
        } else if (ctx->ops->get_state(ctx->opaque, &st) != EMU_CB_OK) {
            return emu_unhandled(ctx, "get_state failed");
        }
        s->cache_cr0 = st.cr0;
        s->cache_cr4 = st.cr4;
        s->cache_efer = st.efer;
        s->segs[EMU_SEG_CS] = st.cs;
        s->segs[EMU_SEG_SS] = st.ss;
        s->valid |= EMU_C_CR0 | EMU_C_CR4 | EMU_C_EFER | (EMU_C_SEG0 << EMU_SEG_CS) | (EMU_C_SEG0 << EMU_SEG_SS);
        /* CPL = SS.DPL in protected modes; real and v86 mode set it below when they return */
        s->cpl = (uint8_t)((st.ss.attr & EMU_SEGATTR_DPL) >> 5);
        if ((st.cr0 & EMU_CR0_PE) && !(s->rflags & EMU_FLAG_VM)) s->valid |= EMU_C_CPL;
    }
    TRY(emu_get_cr0(ctx, &cr0));
    if (!(cr0 & EMU_CR0_PE)) {
        s->mode = EMU_MODE_REAL;
        return EMU_OK;
    }
    if (s->rflags & EMU_FLAG_VM) {
        s->mode = EMU_MODE_V86;
        return EMU_OK;
    }
    TRY(emu_get_efer(ctx, &efer));
    TRY(emu_get_seg(ctx, EMU_SEG_CS, &cs));
    if (efer & EMU_EFER_LMA) {
        if (cs->attr & EMU_SEGATTR_L) s->mode = EMU_MODE_LONG64;
        else s->mode = (cs->attr & EMU_SEGATTR_DB) ? EMU_MODE_COMPAT32 : EMU_MODE_COMPAT16;
    } else {
        s->mode = (cs->attr & EMU_SEGATTR_DB) ? EMU_MODE_PROT32 : EMU_MODE_PROT16;
    }
    return EMU_OK;
}

EMU_HOT enum emu_status dec_env(struct emu_ctx *ctx, struct emu_dec_env *env)
{
    env->mode = ctx->s.mode;
    env->vendor = (uint8_t)ctx->cfg.vendor;
    env->features = ctx->cfg.features;
    env->apx = env->apx_nci = 0;
    /* REX2 and APX EVEX need APX_F in CPUID and XCR0[19]; XCR0 is read only on APX models. */
    if (env->mode == EMU_MODE_LONG64 && emu_has(ctx, EMU_FEAT_APX_F)) {
        uint64_t xcr0;
        TRY(emu_get_xcr0(ctx, &xcr0));
        env->apx = (xcr0 & EMU_XCR0_APX) != 0;
        env->apx_nci = env->apx && emu_has(ctx, EMU_FEAT_APX_NCI);
    }
    return EMU_OK;
}

/*
 * The decode cache: a small table of decoded instructions keyed by their bytes, the mode and
 * whether APX decoding is on (everything else a decode depends on is the configuration, fixed
 * between emu_init calls).  Only valid instructions are cached.  On an exit path the same few
 * instructions come back again and again, and a hit replaces the decode with a hash, a byte
 * compare and a copy.  Two entries per set: with one, two instructions of a loop that hash
 * alike would evict each other on every step (the 1,000-instruction bench block has such a
 * pair), and each would pay a decode.  A new instruction replaces the entry of its set used
 * least recently.  EMU_MODEL_NO_DECODE_CACHE turns the cache off.
 */
static inline int cache_hit(const struct emu_dcache_entry *e, const struct emu_dec_env *env, const uint8_t *b,
                            unsigned n)
{
    return e->valid && e->mode == env->mode && e->apx == env->apx && emu_dcache_match(e, b, n);
}

EMU_HOT int cache_lookup(struct emu_ctx *ctx, const struct emu_dec_env *env, const uint8_t *b, unsigned n)
{
    if (ctx->cfg.model_flags & EMU_MODEL_NO_DECODE_CACHE) return 0;
    const unsigned set = emu_dcache_set(b, n, env->mode);
    const struct emu_dcache_entry *e = &ctx->s.dcache[2 * set];
    if (!cache_hit(e, env, b, n) && !cache_hit(++e, env, b, n)) return 0;
    emu_dcache_used(ctx, set, e);
    /* executed in place: executors treat the instruction as read-only (or restore it) */
    ctx->s.cur = (struct emu_insn *)&e->insn;
    return 1;
}

/* Does the operation need any of stages 2-8?  Computed once per decode (and cached with it). */
static uint8_t has_checks(const struct emu_opinfo *i)
{
    return i->modes || i->ud_check || i->icpt_stage || i->priv || i->priv_check || i->pre_check ||
           i->mem_check;
}

static void cache_store(struct emu_ctx *ctx, const struct emu_dec_env *env, const uint8_t *b,
                        unsigned n, enum emu_decode_status st)
{
    struct emu_insn *in = &ctx->s.insn;
    in->checks = has_checks(&emu_opinfo[in->op]);
    if (st != EMU_DEC_OK || (ctx->cfg.model_flags & EMU_MODEL_NO_DECODE_CACHE)) return;
    const unsigned set = emu_dcache_set(b, n, env->mode);
    /* a free entry, else the one used less recently; never the fast path's last entry (its
     * hits go through a memo that does not mark the set), once it has one */
    unsigned way = ctx->s.dcache[2 * set].valid && (!ctx->s.dcache[2 * set + 1].valid || !(ctx->s.dcache_mru >> set & 1));
    if ((2 * set + way) * sizeof(struct emu_dcache_entry) == ctx->s.fast_last && ctx->s.nfast)
        way ^= 1;
    struct emu_dcache_entry *e = &ctx->s.dcache[2 * set + way];
    emu_dcache_used(ctx, set, e);
    e->valid = 1;
    e->mode = env->mode;
    e->apx = env->apx;
    e->len = in->length;
    e->head_mask = emu_mask(in->length > 8 ? 8 : in->length);
    emu_fast_form(in, e);
    __builtin_memcpy(e->bytes, b, in->length);
    e->insn = *in;
}

/* Fetch (when the caller's bytes do not cover the instruction) and decode.  The CS limit and
 * the fetch callback are consulted only for bytes the decoder actually needs. */
static enum emu_status fetch_decode(struct emu_ctx *ctx, const uint8_t *bytes, size_t nbytes)
{
    struct emu_scratch *s = &ctx->s;
    struct emu_insn *in = &s->insn;
    struct emu_dec_env env;
    const uint64_t rip = ctx->regs->rip;
    s->cur = in;
    TRY(dec_env(ctx, &env));

    unsigned have = 0;
    const uint8_t *src = s->fetch;
    if (bytes && nbytes) {
        have = nbytes > 15 ? 15 : (unsigned)nbytes;
        src = bytes;
        /* The caller's bytes (e.g. the VMCB decode assist) decode in place; they are copied
         * into the context only when a fetch must extend them. */
        if (cache_lookup(ctx, &env, bytes, have)) goto decoded;
        enum emu_decode_status st = emu_decode_insn(&env, bytes, have, in);
        if (st != EMU_DEC_NEED_MORE) {
            cache_store(ctx, &env, bytes, have, st);
            goto decoded;
        }
        __builtin_memcpy(s->fetch, bytes, have);
        src = s->fetch;
    }
    for (;;) {
        /* with no bytes yet there is nothing to decode: fetch first */
        enum emu_decode_status st = have ? emu_decode_insn(&env, s->fetch, have, in) : EMU_DEC_NEED_MORE;
        if (st != EMU_DEC_NEED_MORE) {
            cache_store(ctx, &env, s->fetch, have, st);
            break;
        }
        /* Need byte 'have' and possibly more: fetch up to the end of its page. */
        const struct emu_segment *cs;
        TRY(emu_get_seg(ctx, EMU_SEG_CS, &cs));
        uint64_t off = rip + have;
        uint64_t la;
        unsigned want = 15 - have;
        if (s->mode == EMU_MODE_LONG64) {
            la = off;
            int64_t c48 = (int64_t)(la << 16) >> 16;
            if ((uint64_t)c48 != la) {
                uint64_t cr4;
                TRY(emu_get_cr4(ctx, &cr4));
                int64_t c57 = (int64_t)(la << 7) >> 7;
                if (!(cr4 & EMU_CR4_LA57) || (uint64_t)c57 != la) return emu_gp0(ctx);
            }
        } else {
            off &= (s->mode == EMU_MODE_PROT32 || s->mode == EMU_MODE_COMPAT32) ? 0xffffffffull : 0xffffull;
            if (off > cs->limit) return emu_gp0(ctx);
            if (cs->limit - off + 1 < want) want = (unsigned)(cs->limit - off + 1);
            la = (cs->base + off) & 0xffffffffull;
        }
        unsigned to_page = 4096 - (unsigned)(la & 4095);
        if (want > to_page) want = to_page;
        unsigned cpl, flags = EMU_MEM_FETCH;
        TRY(emu_get_cpl(ctx, &cpl));
        if (cpl == 3) flags |= EMU_MEM_USER;
        if (emu_builtin_paging(ctx)) {
            TRY(emu_paging_read(ctx, la, s->fetch + have, want, flags));
        } else {
            if (!ctx->ops->fetch) return emu_unhandled(ctx, "missing callback: fetch");
            struct emu_exception exc = { 0 };
            enum emu_cb_status cb = ctx->ops->fetch(ctx->opaque, la, s->fetch + have, want, flags, &exc);
            if (cb != EMU_CB_OK) return emu_from_cb(ctx, cb, &exc);
        }
        have += want;
        /* a fetched instruction may be in the cache already */
        if (cache_lookup(ctx, &env, s->fetch, have)) break;
    }
    src = s->fetch;

decoded:
    in = s->cur;
    s->fetch_src = src;
    s->nfetch = (uint8_t)have;
    ctx->result.length = in->length;
    ctx->result.op = in->op;
    ctx->result.mnemonic = emu_opinfo[in->op].mnemonic ? emu_opinfo[in->op].mnemonic : "(bad)";
    switch ((enum emu_decode_status)in->status) {
    case EMU_DEC_OK: return EMU_OK;
    case EMU_DEC_UD: return emu_ud(ctx);
    case EMU_DEC_TOO_LONG: return emu_gp0(ctx);
    default: break;
    }
    /* Not in our tables: let the fallback name it and give its real length. */
    if (ctx->fallback && ctx->fallback->describe) {
        unsigned len = 0;
        const char *mn = NULL;
        if (ctx->fallback->describe((enum emu_mode)s->mode, s->fetch_src, s->nfetch, &len, &mn) != 0)
            return emu_ud(ctx);
        ctx->result.length = (uint8_t)len;
        if (mn) ctx->result.mnemonic = mn;
        return emu_unhandled(ctx, "instruction not emulated (outside the general-purpose and system ISA)");
    }
    return emu_unhandled(ctx, "instruction not in our tables (no fallback configured)");
}

enum emu_status emu_intercept(struct emu_ctx *ctx, uint64_t exit_code, uint64_t info1, uint64_t info2)
{
    if (!ctx->cfg.nested || !ctx->ops->intercept) return EMU_OK;
    struct emu_intercept ic = { 0 };
    ic.exit_code = exit_code;
    ic.info1 = info1;
    ic.info2 = info2;
    ic.next_rip = ctx->s.next_rip;
    if (exit_code == 0x7c) ic.msr = (uint32_t)ctx->regs->gpr[EMU_RCX];
    if (exit_code == 0x7b) ic.port = (uint16_t)(info1 >> 16);
    if (!ctx->ops->intercept(ctx->opaque, &ic)) return EMU_OK;
    ctx->result.intercept = ic;
    /* A nested #VMEXIT: the RAP does not tell L1 from L2, so it must be cleared (ERAPS). */
    if (ctx->ops->event) {
        struct emu_event ev = { 0 };
        ev.type = EMU_EV_RAP_CLEAR;
        ev.reason = EMU_RAP_NESTED_TRANSITION;
        ctx->ops->event(ctx->opaque, &ev);
    }
    return EMU_INTERCEPT;
}

void emu_queue_event(struct emu_ctx *ctx, const struct emu_event *ev)
{
    struct emu_scratch *s = &ctx->s;
    if (s->nevents < EMU_MAX_EVENTS) s->events[s->nevents++] = *ev;
}

/*
 * ERAPS: the return address predictor must be cleared on every MOV CR3, INVPCID types 1-3,
 * every implicit TLB invalidation and every nested transition (spec 2.3).  The events fire
 * whatever the configured features say: an extra clear costs nothing, a missed one is a
 * security bug, and an embedder without ERAPS simply ignores them.
 */
void emu_event_rap(struct emu_ctx *ctx, unsigned reason, uint64_t value)
{
    struct emu_event ev = { 0 };
    ev.type = EMU_EV_RAP_CLEAR;
    ev.reason = reason;
    ev.value = value;
    emu_queue_event(ctx, &ev);
}

void emu_event_tlb(struct emu_ctx *ctx, unsigned kind, uint64_t addr, uint32_t pcid, int global,
                   unsigned reason)
{
    struct emu_event ev = { 0 };
    ev.type = EMU_EV_TLB_FLUSH;
    ev.kind = kind;
    ev.addr = addr;
    ev.pcid = pcid;
    ev.global = (uint8_t)(global != 0);
    ev.reason = reason;
    emu_queue_event(ctx, &ev);
    if (kind == EMU_TLB_IMPLICIT) emu_event_rap(ctx, EMU_RAP_IMPLICIT, 0);
}

static enum emu_status stage_intercept(struct emu_ctx *ctx, const struct emu_opinfo *info)
{
    if (info->icpt_info) return info->icpt_info(ctx, ctx->s.cur);
    return emu_intercept(ctx, info->icpt_code, 0, 0);
}

/* Commit: memory writes (probed first when there are several), segment registers, GPRs,
 * RIP, RFLAGS.  Used at retirement and between REP iterations. */
enum emu_status emu_commit(struct emu_ctx *ctx)
{
    struct emu_scratch *s = &ctx->s;
    const struct emu_ops *ops = ctx->ops;
    struct emu_exception exc;

    if (EMU_LIKELY(!s->nwrites && !s->nsegw && !s->crw_mask && !s->regw_overflow)) {
        /* the common case: registers only */
        for (unsigned i = 0; i < s->nregw; i++) ctx->regs->gpr[s->regw_idx[i]] = s->regw_val[i];
        s->nregw = 0;
        ctx->regs->rip = s->next_rip;
        ctx->regs->rflags = s->rflags | 2;
        return EMU_OK;
    }
    if (s->regw_overflow) return emu_unhandled(ctx, "internal: register log overflow");
    if (s->nwrites > 1 && ops->probe) {
        for (unsigned i = 0; i < s->nwrites; i++) {
            const struct emu_wlog *w = &s->writes[i];
            if (w->phys) continue;
            __builtin_memset(&exc, 0, sizeof exc);
            enum emu_cb_status cb = ops->probe(ctx->opaque, w->la, w->size, w->flags | EMU_MEM_PROBE, &exc);
            if (cb != EMU_CB_OK) return emu_from_cb(ctx, cb, &exc);
        }
    }
    for (unsigned i = 0; i < s->nwrites; i++) {
        const struct emu_wlog *w = &s->writes[i];
        const uint8_t *data = &s->wdata[w->off];
        enum emu_cb_status cb;
        __builtin_memset(&exc, 0, sizeof exc);
        if (w->phys && w->locked && ops->cmpxchg_phys) {
            /* a LOCKed write the built-in walker translated */
            uint8_t expected[16];
            int swapped = 0;
            emu_store_le(expected, w->old, w->size > 8 ? 8 : w->size);
            if (w->size > 8) emu_store_le(expected + 8, w->old_hi, w->size - 8);
            cb = ops->cmpxchg_phys(ctx->opaque, w->la, expected, data, w->size, &swapped);
            if (cb == EMU_CB_OK && !swapped) {
                s->cmpxchg_failed = 1;
                return EMU_RETRY;
            }
        } else if (w->phys) {
            if (!ops->write_phys) return emu_unhandled(ctx, "missing callback: write_phys");
            cb = ops->write_phys(ctx->opaque, w->la, data, w->size);
        } else if (w->locked && ops->cmpxchg) {
            uint8_t expected[16];
            int swapped = 0;
            emu_store_le(expected, w->old, w->size > 8 ? 8 : w->size);
            if (w->size > 8) emu_store_le(expected + 8, w->old_hi, w->size - 8);
            cb = ops->cmpxchg(ctx->opaque, w->la, expected, data, w->size, w->flags, &swapped, &exc);
            if (cb == EMU_CB_OK && !swapped) {
                /* Another agent changed memory since we read it: run the instruction again. */
                s->cmpxchg_failed = 1;
                return EMU_RETRY;
            }
        } else {
            if (!ops->write) return emu_unhandled(ctx, "missing callback: write");
            cb = ops->write(ctx->opaque, w->la, data, w->size, w->flags, &exc);
        }
        if (cb != EMU_CB_OK) {
            if (cb == EMU_CB_PENDING) return emu_unhandled(ctx, "a write callback returned PENDING");
            return emu_from_cb(ctx, cb, &exc);
        }
    }
    s->nwrites = 0;
    s->wbytes = 0;
    /* CR writes a task switch defers: after the memory writes, which the old CR3 translates. */
    if (s->crw_mask) {
        if (!ops->set_cr) return emu_unhandled(ctx, "missing callback: set_cr");
        if ((s->crw_mask & 1) && ops->set_cr(ctx->opaque, 0, s->crw_cr0) != EMU_CB_OK)
            return emu_unhandled(ctx, "set_cr failed");
        if ((s->crw_mask & 8) && ops->set_cr(ctx->opaque, 3, s->crw_cr3) != EMU_CB_OK)
            return emu_unhandled(ctx, "set_cr failed");
        if (s->crw_mask & 1) s->cache_cr0 = s->crw_cr0;
        s->crw_mask = 0;
    s->keep_rf = 0;
    }
    for (unsigned i = 0; i < s->nsegw; i++) {
        if (!ops->set_seg) return emu_unhandled(ctx, "missing callback: set_seg");
        ops->set_seg(ctx->opaque, (enum emu_seg)s->segw_idx[i], &s->segw_val[i]);
        s->segs[s->segw_idx[i]] = s->segw_val[i];
    }
    s->nsegw = 0;
    for (unsigned i = 0; i < s->nregw; i++) ctx->regs->gpr[s->regw_idx[i]] = s->regw_val[i];
    s->nregw = 0;
    ctx->regs->rip = s->next_rip;
    ctx->regs->rflags = s->rflags | 2;
    return EMU_OK;
}

void emu_seg_write(struct emu_ctx *ctx, unsigned seg, const struct emu_segment *val)
{
    struct emu_scratch *s = &ctx->s;
    for (unsigned i = 0; i < s->nsegw; i++) {
        if (s->segw_idx[i] == seg) {
            s->segw_val[i] = *val;
            return;
        }
    }
    if (s->nsegw < EMU_NUM_SEGS) {
        s->segw_idx[s->nsegw] = (uint8_t)seg;
        s->segw_val[s->nsegw++] = *val;
    } else {
        s->regw_overflow = 1;
    }
}

void emu_fire_events(struct emu_ctx *ctx)
{
    struct emu_scratch *s = &ctx->s;
    if (ctx->ops->event)
        for (unsigned i = 0; i < s->nevents; i++) ctx->ops->event(ctx->opaque, &s->events[i]);
    s->nevents = 0;
}

/* What every step's result starts as: no instruction yet. */
static void result_start(struct emu_result *r)
{
    r->length = 0;
    r->op = 0;
    r->mnemonic = "(bad)";
    r->reason = 0;
}

static void reset_scratch(struct emu_ctx *ctx)
{
    struct emu_scratch *s = &ctx->s;
    s->cur = &s->insn; /* no instruction yet: exceptions before decoding report length 0 */
    s->insn.length = 0;
    s->valid = 0;
    s->nregw = s->nwrites = s->nevents = s->nsegw = 0;
    s->crw_mask = 0;
    s->keep_rf = 0;
    s->wbytes = 0;
    s->rmw_valid = 0;
    s->cmpxchg_failed = 0;
    s->regw_overflow = 0;
    s->ndd_dst = 0;
    s->rflags = ctx->regs->rflags;
    s->tf_at_start = (s->rflags & EMU_FLAG_TF) != 0;
}

/* Start an operation outside emu_step (emu_deliver): fresh scratch and the current mode. */
enum emu_status emu_begin(struct emu_ctx *ctx)
{
    reset_scratch(ctx);
    __builtin_memset(&ctx->s.insn, 0, sizeof ctx->s.insn);
    result_start(&ctx->result);
    return emu_compute_mode(ctx);
}

enum emu_decode_status emu_decode(struct emu_ctx *ctx, const uint8_t *bytes, size_t nbytes,
                                  struct emu_insn *out)
{
    struct emu_scratch *s = &ctx->s;
    reset_scratch(ctx);
    ctx->result.reason = 0;
    enum emu_status st = emu_compute_mode(ctx);
    if (st == EMU_OK) st = fetch_decode(ctx, bytes, nbytes);
    *out = *s->cur;
    /* a fetch that faulted (or a missing callback) leaves no instruction */
    if (st != EMU_OK && st != EMU_EXCEPTION && st != EMU_UNHANDLED) return EMU_DEC_NEED_MORE;
    if (st == EMU_EXCEPTION && out->status == EMU_DEC_NEED_MORE) return EMU_DEC_NEED_MORE;
    enum emu_decode_status ds = (enum emu_decode_status)out->status;
    const struct emu_opinfo *info = &emu_opinfo[out->op];
    if (ds == EMU_DEC_OK && info->modes && !(info->modes & MODE_BIT(s->mode))) ds = EMU_DEC_UD;
    out->status = (uint8_t)ds;
    return ds;
}

EMU_HOT enum emu_status run_once(struct emu_ctx *ctx, const uint8_t *bytes, size_t nbytes)
{
    struct emu_scratch *s = &ctx->s;

    reset_scratch(ctx);
    TRY(emu_compute_mode(ctx));
    TRY(fetch_decode(ctx, bytes, nbytes));
    struct emu_insn *in = s->cur;

    const struct emu_opinfo *info = &emu_opinfo[in->op];
    /* RIP of the next instruction, wrapped to the code segment's operand size. */
    uint64_t next = ctx->regs->rip + in->length;
    if (s->mode != EMU_MODE_LONG64) {
        const unsigned m32 = s->mode == EMU_MODE_PROT32 || s->mode == EMU_MODE_COMPAT32;
        next &= m32 ? 0xffffffffull : 0xffffull;
    }
    s->next_rip = next;

    if (in->checks) {
        /* 2: mode and feature #UD */
        if (info->modes && !(info->modes & MODE_BIT(s->mode))) return emu_ud(ctx);
        if (info->ud_check) TRY(info->ud_check(ctx, in));
        /* 3: intercepts that precede every exception */
        if (info->icpt_stage == ICPT_FIRST) TRY(stage_intercept(ctx, info));
        /* 4: privilege */
        if (info->priv != PRIV_ANY) {
            unsigned cpl;
            TRY(emu_get_cpl(ctx, &cpl));
            if (cpl != 0) return emu_gp0(ctx);
        }
        if (info->priv_check) TRY(info->priv_check(ctx, in));
        /* 5: operand-value checks ordered before the intercept */
        if (info->pre_check) TRY(info->pre_check(ctx, in));
        /* 6: the ordinary intercept */
        if (info->icpt_stage == ICPT_AFTER_EXC) TRY(stage_intercept(ctx, info));
        /* 7: memory operand checks */
        if (info->mem_check) TRY(info->mem_check(ctx, in));
        /* 8: intercepts after the memory checks */
        if (info->icpt_stage == ICPT_AFTER_MEM) TRY(stage_intercept(ctx, info));
    }
    /* 9: execute and commit */
    if (!info->exec) return emu_unhandled(ctx, "instruction recognised but not emulated yet");
    /* EVEX-encoded (APX) instructions go through lib/apx.c for their NDD and NF forms. */
    if (in->prefixes & EMU_PFX_EVEX) TRY(emu_apx_exec(ctx, in, info->exec));
    else TRY(info->exec(ctx, in));
    /* RF is cleared when an instruction retires, unless the instruction loaded it (IRET, a
     * task switch). */
    if (!s->keep_rf) s->rflags &= ~(uint64_t)EMU_FLAG_RF;
    return emu_commit(ctx);
}

/* The end of every step: events and the single-step trap after a retirement, the completed
 * read used up, the status recorded. */
static enum emu_status step_end(struct emu_ctx *ctx, enum emu_status st)
{
    if (st == EMU_OK) {
        ctx->s.have_completion = 0;
        emu_fire_events(ctx);
        /* Single-step: TF set when the instruction began means a #DB trap after it. */
        if (ctx->s.tf_at_start && ctx->ops->event) {
            struct emu_event ev = { 0 };
            ev.type = EMU_EV_SINGLESTEP;
            ctx->ops->event(ctx->opaque, &ev);
        }
    } else if (st == EMU_EXCEPTION) {
        ctx->s.have_completion = 0;
    }
    ctx->result.status = st;
    return st;
}

/* The whole pipeline for one step (emu_step's slow path, lib/fast.c).  pre: the state
 * get_state returned to the fast path, or NULL. */
enum emu_status emu_step_pipeline(struct emu_ctx *ctx, const uint8_t *bytes, size_t nbytes,
                                  const struct emu_cpu_state *pre)
{
    enum emu_status st;
    result_start(&ctx->result);
    /* A LOCKed read-modify-write whose cmpxchg lost a race is simply run again (with the
     * state it started from: nothing was committed). */
    for (unsigned tries = 0;; tries++) {
        ctx->s.pre_state = pre;
        st = run_once(ctx, bytes, nbytes);
        if (st != EMU_RETRY || !ctx->s.cmpxchg_failed || tries >= 64) break;
    }
    ctx->s.pre_state = 0; /* it pointed at the caller's frame */
    return step_end(ctx, st);
}

/* Steps that end before they start (lib/fast.c read the state or fetched the bytes first):
 * the pipeline's answer when reading the state fails ... */
enum emu_status emu_step_unhandled(struct emu_ctx *ctx, const char *reason)
{
    reset_scratch(ctx);
    result_start(&ctx->result);
    return step_end(ctx, emu_unhandled(ctx, reason));
}

/* ... and when the first fetch callback answers cb. */
enum emu_status emu_step_fetch_failed(struct emu_ctx *ctx, enum emu_cb_status cb, const struct emu_exception *exc)
{
    reset_scratch(ctx);
    result_start(&ctx->result);
    return step_end(ctx, emu_from_cb(ctx, cb, exc));
}
