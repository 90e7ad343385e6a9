/*
 * Per-operation facts (struct emu_opinfo), one designated row per operation id.  The rows are
 * split by family into opinfo_*.inc so that a family's facts sit in one place.  The step pipeline
 * (lib/step.c) reads these rows as data: mode and feature #UD, privilege, intercept code and
 * stage, and the flags written / left undefined.
 *
 * SVM exit codes are those of spec/svm-eraps-invpcid-cr.md section 1.5.
 */
#include "tables.h"
#include "../lib/internal.h"

#define FL_LOGIC_W (FL_CF | FL_OF | FL_SF | FL_ZF | FL_PF)
#define FL_SHIFT_W (FL_CF | FL_OF | FL_SF | FL_ZF | FL_PF)
#define FL_MUL_U (FL_SF | FL_ZF | FL_AF | FL_PF)

const struct emu_opinfo emu_opinfo[OP_COUNT] = {
    [OP_NONE] = { "(bad)" },
#include "opinfo_gp.inc"
#include "opinfo_sys.inc"
#include "opinfo_apx.inc"
};
