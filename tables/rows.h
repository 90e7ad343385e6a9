/* Shorthands for writing opcode-map rows (tables/map*.c only). */
#ifndef EMU_ROWS_H
#define EMU_ROWS_H

#include "tables.h"

/* A leaf: operation, aux, up to three operands, flags. */
#define L3(op_, aux_, a, b, c, fl) { .op = OP_##op_, .kind = K_LEAF, .aux = (aux_), .o = { a, b, c }, .flags = (fl) }
#define L2(op_, aux_, a, b, fl) L3(op_, aux_, a, b, 0, fl)
#define L1(op_, aux_, a, fl) L3(op_, aux_, a, 0, 0, fl)
#define L0(op_, aux_, fl) L3(op_, aux_, 0, 0, 0, fl)
/* The same with a required CPUID feature (#UD when absent). */
#define F3_(op_, aux_, a, b, c, fl, feat_) { .op = OP_##op_, .kind = K_LEAF, .aux = (aux_), .o = { a, b, c }, .flags = (fl), .feat = EMU_FEAT_##feat_ + 1 }
#define F2_(op_, aux_, a, b, fl, feat_) F3_(op_, aux_, a, b, 0, fl, feat_)
#define F1_(op_, aux_, a, fl, feat_) F3_(op_, aux_, a, 0, 0, fl, feat_)
#define F0_(op_, aux_, fl, feat_) F3_(op_, aux_, 0, 0, 0, fl, feat_)

#define UD { .kind = K_UD }
#define UNK { .kind = K_UNKNOWN }
#define GROUP(t) { .kind = K_GROUP, .sub = (t) }
#define BYMOD(t) { .kind = K_MOD, .sub = (t) }
#define BYRM(t) { .kind = K_RM, .sub = (t) }
#define BYPFX(t) { .kind = K_PFX, .sub = (t) }
#define BYW(t) { .kind = K_W, .sub = (t) }
#define BYMODE64(t) { .kind = K_MODE64, .sub = (t) }
#define BYVENDOR(t) { .kind = K_VENDOR, .sub = (t) }
#define BYND(t) { .kind = K_ND, .sub = (t) }
#define BYNF(t) { .kind = K_NF, .sub = (t) }
#define BYFEAT(feat_, t) { .kind = K_FEAT, .feat = EMU_FEAT_##feat_ + 1, .sub = (t) }

/* Eight rows of the same shape, for Jcc/SETcc/CMOVcc (aux = condition code). */
#define CC8(mk, base) mk(base + 0), mk(base + 1), mk(base + 2), mk(base + 3), \
                      mk(base + 4), mk(base + 5), mk(base + 6), mk(base + 7)

#endif
