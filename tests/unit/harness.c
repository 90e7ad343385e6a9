#include "harness.h"

#include <stdio.h>
#include <stdlib.h>

static suite_fn suites[64];
static unsigned nsuites;

void harness_register(suite_fn f)
{
    if (nsuites < 64) suites[nsuites++] = f;
}

struct emu_config tm_cfg(enum emu_vendor vendor)
{
    struct emu_config c;
    memset(&c, 0, sizeof c);
    c.vendor = vendor;
    c.maxphyaddr = 48;
    const enum emu_feature gp[] = {
        EMU_FEAT_LAHF_LM, EMU_FEAT_CX16, EMU_FEAT_POPCNT, EMU_FEAT_ABM, EMU_FEAT_BMI1, EMU_FEAT_BMI2,
        EMU_FEAT_ADX, EMU_FEAT_MOVBE, EMU_FEAT_SSE4_2, EMU_FEAT_RDTSCP, EMU_FEAT_RDPID,
        EMU_FEAT_FSGSBASE, EMU_FEAT_CLFLUSHOPT, EMU_FEAT_CLWB, EMU_FEAT_RDRAND, EMU_FEAT_RDSEED,
    };
    for (size_t i = 0; i < sizeof gp / sizeof gp[0]; i++) emu_config_set_feature(&c, gp[i]);
    return c;
}

struct machine *tm_new_cfg(enum emu_mode mode, const struct emu_config *cfg)
{
    struct machine *m = machine_new(mode, cfg);
    ck_assert_ptr_nonnull(m);
    int small = mode == EMU_MODE_REAL || mode == EMU_MODE_V86 || mode == EMU_MODE_PROT16 ||
                mode == EMU_MODE_COMPAT16;
    m->regs.rip = small ? 0x1000 : 0x401000;
    return m;
}

struct machine *tm_new(enum emu_mode mode)
{
    struct emu_config c = tm_cfg(EMU_VENDOR_INTEL);
    return tm_new_cfg(mode, &c);
}

void tm_set_cpl(struct machine *m, unsigned cpl)
{
    m->segs[EMU_SEG_SS].attr = (uint16_t)((m->segs[EMU_SEG_SS].attr & ~0x60u) | cpl << 5);
    m->segs[EMU_SEG_CS].attr = (uint16_t)((m->segs[EMU_SEG_CS].attr & ~0x60u) | cpl << 5);
}

enum emu_status tm_run(struct machine *m, const char *hex)
{
    int st = machine_step_hex(m, hex);
    ck_assert_msg(st >= 0, "bad hex in test: %s", hex);
    return (enum emu_status)st;
}

enum emu_status tm_run_fetch(struct machine *m, const char *hex)
{
    uint8_t b[32];
    int n = hex_decode(hex, b, sizeof b);
    ck_assert_msg(n > 0, "bad hex in test: %s", hex);
    return machine_step_bytes(m, b, (size_t)n, 1);
}

int main(void)
{
    SRunner *sr = NULL;
    for (unsigned i = 0; i < nsuites; i++) {
        if (!sr) sr = srunner_create(suites[i]());
        else srunner_add_suite(sr, suites[i]());
    }
    if (!sr) {
        fprintf(stderr, "no suites registered\n");
        return 1;
    }
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
