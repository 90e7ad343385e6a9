/*
 * Unit-test harness: Check suites register themselves (REGISTER_SUITE), and helpers build a
 * machine (tools/machine.h) in a mode and run one instruction from hex.
 */
#ifndef EMU_TEST_HARNESS_H
#define EMU_TEST_HARNESS_H

#include <check.h>
#include <stdint.h>
#include <string.h>

#include <emulate/emulate.h>
#include "machine.h"

typedef Suite *(*suite_fn)(void);
void harness_register(suite_fn f);
#define REGISTER_SUITE(fn) \
    static void __attribute__((constructor)) register_##fn(void) { harness_register(fn); }

/* A machine in mode with the Intel vendor and every general-purpose feature (BMI, ADX, ...);
 * RIP = 0x1000 in 16-bit modes, 0x401000 otherwise. */
struct machine *tm_new(enum emu_mode mode);
/* The same with an explicit configuration. */
struct machine *tm_new_cfg(enum emu_mode mode, const struct emu_config *cfg);
/* A configuration with the general-purpose features (no SVM/APX). */
struct emu_config tm_cfg(enum emu_vendor vendor);
/* Put CPL n into SS.DPL and CS.DPL. */
void tm_set_cpl(struct machine *m, unsigned cpl);
/* Run one instruction given as hex (bytes passed to emu_step and placed at CS:RIP). */
enum emu_status tm_run(struct machine *m, const char *hex);
/* The same, fetching the bytes through the fetch callback. */
enum emu_status tm_run_fetch(struct machine *m, const char *hex);

#define R(m, r) ((m)->regs.gpr[EMU_##r])

/* Short RFLAGS names for the suites' expectations. */
#define CF EMU_FLAG_CF
#define PF EMU_FLAG_PF
#define AF EMU_FLAG_AF
#define ZF EMU_FLAG_ZF
#define SF EMU_FLAG_SF
#define OF EMU_FLAG_OF
#define DF EMU_FLAG_DF
#define ARITH (CF | PF | AF | ZF | SF | OF)

/* A 64-bit machine with the AMD vendor and the general-purpose features. */
static inline struct machine *tm_amd64(void)
{
    struct emu_config c = tm_cfg(EMU_VENDOR_AMD);
    return tm_new_cfg(EMU_MODE_LONG64, &c);
}
#define FLAGS(m) ((m)->regs.rflags)

#define ck_ok(m, hex)                                                                              \
    do {                                                                                           \
        enum emu_status st_ = tm_run((m), (hex));                                                  \
        ck_assert_msg(st_ == EMU_OK, "%s: expected ok, got status %d (%s: %s, vector %u)", (hex), \
                      st_, (m)->ctx.result.mnemonic,                                               \
                      (m)->ctx.result.reason ? (m)->ctx.result.reason : "-",                       \
                      (m)->ctx.result.exception.vector);                                           \
    } while (0)

#define ck_exc(m, hex, vec, ec)                                                                    \
    do {                                                                                           \
        enum emu_status st_ = tm_run((m), (hex));                                                  \
        ck_assert_msg(st_ == EMU_EXCEPTION, "%s: expected exception %d, got status %d (%s)", (hex), \
                      (int)(vec), st_, (m)->ctx.result.reason ? (m)->ctx.result.reason : "-");     \
        ck_assert_uint_eq((m)->ctx.result.exception.vector, (vec));                                \
        ck_assert_uint_eq((m)->ctx.result.exception.error_code, (ec));                             \
    } while (0)

#endif
