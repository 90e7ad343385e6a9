/* Feature names: Linux /proc/cpuinfo spellings, plus apx_f, apx_nci and eraps. */
#include "tables.h"

const char *const emu_feature_names[EMU_FEAT_COUNT] = {
    [EMU_FEAT_LAHF_LM] = "lahf_lm", [EMU_FEAT_CX16] = "cx16", [EMU_FEAT_POPCNT] = "popcnt",
    [EMU_FEAT_ABM] = "abm", [EMU_FEAT_BMI1] = "bmi1", [EMU_FEAT_BMI2] = "bmi2", [EMU_FEAT_ADX] = "adx",
    [EMU_FEAT_MOVBE] = "movbe", [EMU_FEAT_SSE4_2] = "sse4_2", [EMU_FEAT_RDTSCP] = "rdtscp",
    [EMU_FEAT_RDPID] = "rdpid", [EMU_FEAT_FSGSBASE] = "fsgsbase", [EMU_FEAT_MONITOR] = "monitor",
    [EMU_FEAT_XSAVE] = "xsave", [EMU_FEAT_CLFLUSHOPT] = "clflushopt", [EMU_FEAT_CLWB] = "clwb",
    [EMU_FEAT_RDRAND] = "rdrand", [EMU_FEAT_RDSEED] = "rdseed", [EMU_FEAT_PREFETCHW] = "3dnowprefetch",
    [EMU_FEAT_SEP] = "sep", [EMU_FEAT_PCID] = "pcid", [EMU_FEAT_INVPCID] = "invpcid",
    [EMU_FEAT_SMEP] = "smep", [EMU_FEAT_SMAP] = "smap", [EMU_FEAT_PKU] = "pku", [EMU_FEAT_LA57] = "la57",
    [EMU_FEAT_UMIP] = "umip", [EMU_FEAT_PDPE1GB] = "pdpe1gb", [EMU_FEAT_CR8_LEGACY] = "cr8_legacy",
    [EMU_FEAT_SVM] = "svm", [EMU_FEAT_VGIF] = "vgif", [EMU_FEAT_SKINIT] = "skinit",
    [EMU_FEAT_SVML] = "svml", [EMU_FEAT_SVME_ADDR_CHK] = "svme_addr_chk", [EMU_FEAT_ERAPS] = "eraps",
    [EMU_FEAT_VMX] = "vmx", [EMU_FEAT_APX_F] = "apx_f", [EMU_FEAT_APX_NCI] = "apx_nci",
    [EMU_FEAT_CET_SS] = "user_shstk", [EMU_FEAT_WBNOINVD] = "wbnoinvd", [EMU_FEAT_SSE3] = "pni",
    [EMU_FEAT_AVX] = "avx", [EMU_FEAT_RDPRU] = "rdpru",
    [EMU_FEAT_NULL_SEL_CLR_BASE] = "null_sel_clr_base",
};
