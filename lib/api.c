/*
 * Public entry points that are not the step itself: context set-up, decode-only, names.
 */
#include "internal.h"

void emu_init(struct emu_ctx *ctx, const struct emu_config *cfg, const struct emu_ops *ops,
              void *opaque, struct emu_regs *regs)
{
    __builtin_memset(ctx, 0, sizeof *ctx);
    ctx->cfg = *cfg;
    if (!ctx->cfg.maxphyaddr) ctx->cfg.maxphyaddr = 48;
    ctx->ops = ops;
    ctx->opaque = opaque;
    ctx->regs = regs;
    ctx->result.mnemonic = "(bad)";
}

void emu_complete_io(struct emu_ctx *ctx, const void *data, unsigned size)
{
    struct emu_scratch *s = &ctx->s;
    if (size > sizeof s->completion) size = sizeof s->completion;
    __builtin_memcpy(s->completion, data, size);
    s->completion_size = (uint8_t)size;
    s->completion_is_port = ctx->result.pending.is_port;
    s->completion_addr = ctx->result.pending.addr;
    s->have_completion = 1;
}

enum emu_decode_status emu_decode_mode(const struct emu_config *cfg, enum emu_mode mode,
                                       uint64_t xcr0, const uint8_t *bytes, size_t nbytes,
                                       struct emu_insn *out)
{
    struct emu_dec_env env;
    env.mode = (uint8_t)mode;
    env.vendor = (uint8_t)cfg->vendor;
    env.features = cfg->features;
    env.apx = mode == EMU_MODE_LONG64 && emu_config_has_feature(cfg, EMU_FEAT_APX_F) &&
              (xcr0 & EMU_XCR0_APX);
    env.apx_nci = env.apx && emu_config_has_feature(cfg, EMU_FEAT_APX_NCI);
    enum emu_decode_status st = emu_decode_insn(&env, bytes, nbytes > 15 ? 15 : (unsigned)nbytes, out);
    /* The per-operation mode rule (stage 2 of emu_step) is part of validity here too. */
    if (st == EMU_DEC_OK && emu_opinfo[out->op].modes && !(emu_opinfo[out->op].modes & MODE_BIT(mode))) {
        st = EMU_DEC_UD;
        out->status = (uint8_t)st;
    }
    return st;
}

const char *emu_mnemonic(unsigned op)
{
    if (op >= OP_COUNT || !emu_opinfo[op].mnemonic) return "(bad)";
    return emu_opinfo[op].mnemonic;
}

static int str_eq(const char *a, const char *b)
{
    while (*a && *a == *b) a++, b++;
    return *a == *b;
}

int emu_mode_from_name(const char *name)
{
    for (int m = 0; m < EMU_NUM_MODES; m++)
        if (str_eq(name, emu_mode_name((enum emu_mode)m))) return m;
    return -1;
}

/* Baseline features every x86-64 CPU has: accepted by name, no bit. */
static const char *const baseline[] = {
    "fpu", "tsc", "cx8", "cmov", "clflush", "mmx", "fxsr", "sse", "sse2", "syscall", "nx", "lm",
    "pae", "pse", "pge", "vme", "de", "msr", "pat", "apic", "mtrr", "mce", "mca", "pse36", 0,
};

int emu_feature_from_name(const char *name)
{
    for (int f = 0; f < EMU_FEAT_COUNT; f++)
        if (str_eq(name, emu_feature_names[f])) return f;
    for (int i = 0; baseline[i]; i++)
        if (str_eq(name, baseline[i])) return -2;
    return -1;
}

const char *emu_feature_name(enum emu_feature f)
{
    return (unsigned)f < EMU_FEAT_COUNT ? emu_feature_names[f] : "?";
}
