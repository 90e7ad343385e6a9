/*
 * Test vectors (shared/spec/vectors.md): load one JSON Lines record into a machine, run it,
 * compare with the expectation, print what differs.  Used by `emulate replay` / `run --vector`.
 *
 * Extension (documented in README): "initial"/"final" may carry "dr": {"dr0".."dr7"}.
 */
#ifndef EMU_TOOLS_VECTOR_H
#define EMU_TOOLS_VECTOR_H

#include <stdio.h>
#include "json.h"
#include "machine.h"

struct vec {
    char name[160];
    struct json *root;
    struct machine *m;
    uint8_t bytes[16];
    int nbytes;
    /* snapshot of the initial state for "unchanged" checks */
    struct emu_regs init_regs;
    struct emu_segment init_segs[EMU_NUM_SEGS];
    uint64_t init_cr[16], init_dr[8], init_xcr0;
    uint32_t init_msr_idx[MACHINE_MAX_MSRS];
    uint64_t init_msr_val[MACHINE_MAX_MSRS];
    unsigned init_nmsrs;
    uint64_t flags_mask;
};

/* Parse and set up; returns 0, or -1 with a message in err. */
int vec_load(const char *line, struct vec *v, char *err, size_t errlen);
/* Run the instruction (fetched through the machine's memory). */
enum emu_status vec_run(struct vec *v);
/* Compare; prints one line per difference ("name: field: expected X, got Y") to out.
 * Returns the number of differences. */
int vec_check(struct vec *v, enum emu_status st, FILE *out);
void vec_free(struct vec *v);

/* Names of statuses and events for printing. */
const char *status_name(enum emu_status st);
const char *tlb_kind_name(unsigned k);
const char *rap_reason_name(unsigned r);
const char *event_type_name(unsigned t);

#endif
