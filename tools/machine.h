/*
 * A complete in-memory vCPU for libemulate: registers, segments, control/debug registers, MSRs,
 * XCR0, descriptor-table registers, sparse memory with an optional page-permission model, port
 * I/O, nested intercepts and recorded events.  It implements every struct emu_ops callback.
 *
 * The CLI's `run` and `replay`, the unit tests and the fuzz targets all use it; it plays the
 * hypervisor's role the vector format (shared/spec/vectors.md) describes.  Hosted code: it
 * allocates.
 */
#ifndef EMU_TOOLS_MACHINE_H
#define EMU_TOOLS_MACHINE_H

#include <emulate/emulate.h>

#define MACHINE_MAX_MSRS 64
#define MACHINE_MAX_PERMS 64
#define MACHINE_MAX_EVENTS 64
#define MACHINE_MAX_WRITES 8192
#define MACHINE_HASH 1024

struct machine_page {
    uint64_t pfn;
    struct machine_page *next;
    uint8_t data[4096];
};

struct machine_perm {
    uint64_t addr, size;
    uint8_t r, w, x, user;
};

struct machine {
    struct emu_config cfg;
    enum emu_mode mode;
    struct emu_regs regs;
    struct emu_segment segs[EMU_NUM_SEGS];
    uint64_t cr[16];
    uint64_t dr[8];
    uint32_t msr_idx[MACHINE_MAX_MSRS];
    uint64_t msr_val[MACHINE_MAX_MSRS];
    unsigned nmsrs;
    uint64_t xcr0;
    uint64_t dtr_base[2];
    uint32_t dtr_limit[2];
    /* memory */
    struct machine_page *pages[MACHINE_HASH];
    int paging;                     /* 1 when a "pages" list defines permissions */
    struct machine_perm perms[MACHINE_MAX_PERMS];
    unsigned nperms;
    /* every byte address written (for "unchanged" checks and printing) */
    uint64_t written[MACHINE_MAX_WRITES];
    unsigned nwritten;
    /* nested intercepts: bit per exit code 0..0x3ff, and the 0x400+ range folded */
    uint8_t icpt[0x100 / 8 + 0x80];
    /* recorded callbacks */
    struct emu_event events[MACHINE_MAX_EVENTS];
    unsigned nevents;
    unsigned nouts;
    uint16_t last_out_port;
    uint32_t last_out_val;
    uint32_t port_in_value;         /* what IN reads (default all ones) */
    int io_pending_once;            /* testing EMU_IO_PENDING: the next io_in/read says PENDING */
    int read_pending_once;
    int cmpxchg_fail_once;          /* testing the LOCK retry path */
    int bulk;                       /* give the engine the bulk REP string callbacks */
    int state_cb;                   /* give the engine get_state (and with it the fast path) */
    unsigned nbulk;                 /* bulk callbacks made */
    /* physical-only mode (EMU_MODEL_BUILTIN_PAGING tests): the linear-address callbacks
     * (read, write, fetch, cmpxchg, probe) refuse, so only the library's walker can reach
     * memory, through read_phys / write_phys / cmpxchg_phys on page tables in this memory */
    int phys_only;
    uint32_t pkru;                  /* what get_pkru answers */
    uint64_t random_value;          /* what get_random answers (RDRAND/RDSEED) ... */
    int random_empty;               /* ... or that there is none now */
    unsigned ncmpxchg_phys;         /* cmpxchg_phys calls (A/D updates) */
    /* hypercall support (not in a bare replay) */
    int hypercall_enabled;
    unsigned nhypercalls;
    /* CPUID answers: leaf/subleaf -> 4 words (unlisted leaves read zero) */
    uint32_t cpuid_leaf[32], cpuid_sub[32], cpuid_val[32][4];
    unsigned ncpuid;
    struct emu_ops ops;             /* machine_ops with this machine's options (machine_reset_ctx) */
    struct emu_ctx ctx;
};

extern const struct emu_ops machine_ops;

/* A machine in the reset-like state of a mode (flat segments, CR0/CR4/EFER consistent). */
struct machine *machine_new(enum emu_mode mode, const struct emu_config *cfg);
void machine_free(struct machine *m);
/* Re-bind the context after changing m->cfg. */
void machine_reset_ctx(struct machine *m);

/* Memory access by the harness (no permission checks, not recorded as guest writes). */
void machine_poke(struct machine *m, uint64_t addr, const void *data, size_t n);
void machine_peek(struct machine *m, uint64_t addr, void *data, size_t n);
uint64_t machine_peek64(struct machine *m, uint64_t addr, unsigned size);
int machine_add_perm(struct machine *m, uint64_t addr, uint64_t size, const char *perm, int user);

uint64_t machine_get_msr(struct machine *m, uint32_t idx, int *found);
void machine_set_msr(struct machine *m, uint32_t idx, uint64_t val);
void machine_intercept(struct machine *m, unsigned exit_code, int on);
int machine_intercepted(const struct machine *m, unsigned exit_code);
void machine_set_cpuid(struct machine *m, uint32_t leaf, uint32_t sub, const uint32_t v[4]);

/* Place bytes at CS:RIP and run one emu_step (bytes passed to emu_step as well unless
 * via_fetch).  Returns the status; m->ctx.result has the details. */
enum emu_status machine_step_bytes(struct machine *m, const uint8_t *bytes, size_t n, int via_fetch);
/* The same from a hex string ("4801d8"); returns -1 for bad hex. */
int machine_step_hex(struct machine *m, const char *hex);

/* Parse hex into buf; returns the byte count or -1. */
int hex_decode(const char *hex, uint8_t *buf, size_t max);

/* CPL as the vectors define it (SS.DPL; 0 in real mode, 3 in v86 mode). */
unsigned machine_cpl(const struct machine *m);

/* Names for the vector format and the CLI. */
int reg_index_from_name(const char *name);  /* 0..31 GPR, 32 rip, 33 rflags, -1 unknown */
const char *reg_name(unsigned idx);
int seg_index_from_name(const char *name);
const char *seg_name(unsigned idx);
int intercept_from_name(const char *name);  /* exit code, or -1 */

#endif
