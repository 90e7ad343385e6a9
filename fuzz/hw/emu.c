/*
 * The emulator side of the differential runner: the same case through libemulate (tools/machine
 * with the harness's page layout and Linux's user-mode register state), the comparison, the
 * vector writer and the minimiser.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "hw.h"

#include <stdlib.h>
#include <string.h>

#include "machine.h"
#include "json.h"
#include "tables/tables.h"
#include "vector.h"

const char *const hw_family_names[HWF_COUNT] = {
    "data", "alu", "shift", "muldiv", "bits", "bcd", "stack", "branch", "string", "flagops", "io",
    "misc", "system", "svm", "apx", "other",
};

int hw_family_from_name(const char *name)
{
    for (int i = 0; i < HWF_COUNT; i++)
        if (!strcmp(name, hw_family_names[i])) return i;
    return -1;
}

/* tables/ops.inc lists the operations grouped by the lib/ file that executes them. */
enum hw_family hw_family_of_op(unsigned op)
{
    if (op == OP_NONE || op >= OP_COUNT) return HWF_OTHER;
    if (op <= OP_SALC) return HWF_DATA;
    if (op <= OP_NOT) return HWF_ALU;
    if (op <= OP_SHRD) return HWF_SHIFT;
    if (op <= OP_IDIV) return HWF_MULDIV;
    if (op <= OP_CRC32) return HWF_BITS;
    if (op <= OP_AAD) return HWF_BCD;
    if (op <= OP_LEAVE) return HWF_STACK;
    if (op <= OP_JMPABS) return HWF_BRANCH;
    if (op <= OP_OUTS) return HWF_STRING;
    if (op <= OP_STI) return HWF_FLAGOPS;
    if (op <= OP_OUT) return HWF_IO;
    if (op <= OP_RDSEED) return HWF_MISC;
    if (op <= OP_RDPRU) return HWF_SYSTEM;
    if (op <= OP_INVLPGA) return HWF_SVM;
    return HWF_APX;
}

unsigned hw_op_count(void) { return OP_COUNT; }
int hw_op_executed(unsigned op) { return op < OP_COUNT && emu_opinfo[op].exec != NULL; }

/* ---- the host as a configuration -------------------------------------------------------------- */

static struct emu_config g_cfg;
static int g_cfg_done;
static uint64_t g_cr4;

/* Whether this CPU clears the base of a segment register loaded with a null selector.  The
 * CPUID bit (8000_0021h EAX[6]) is not enough: a hypervisor may hide it (this Zen 3 guest
 * reports EAX = 0x204 and clears the base), so ask the CPU, as Linux does for Zen 2.  GS is
 * the register to try: glibc's thread pointer is FS. */
static int probe_null_sel_clears_base(void)
{
    uint64_t saved, after;
    __asm__ volatile("rdgsbase %0\n\t"
                     "wrgsbase %2\n\t"
                     "movl %3, %%gs\n\t"
                     "rdgsbase %1\n\t"
                     "wrgsbase %0"
                     : "=&r"(saved), "=&r"(after)
                     : "r"((uint64_t)1), "r"(0u)
                     : "memory");
    return after == 0;
}

struct emu_config hw_config(void)
{
    if (g_cfg_done) return g_cfg;
    memset(&g_cfg, 0, sizeof g_cfg);
    g_cfg.vendor = EMU_VENDOR_AMD;
    g_cfg.maxphyaddr = 48;
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[8192];
    while (f && fgets(line, sizeof line, f)) {
        if (!strncmp(line, "vendor_id", 9)) {
            if (strstr(line, "GenuineIntel")) g_cfg.vendor = EMU_VENDOR_INTEL;
            continue;
        }
        if (strncmp(line, "flags", 5)) continue;
        char *p = strchr(line, ':');
        for (char *tok = p ? strtok(p + 1, " \n") : NULL; tok; tok = strtok(NULL, " \n")) {
            /* the guest sees neither SVM nor VMX here, and neither is usable at CPL 3 */
            if (!strcmp(tok, "svm") || !strcmp(tok, "vmx")) continue;
            int ft = emu_feature_from_name(tok);
            if (ft >= 0) emu_config_set_feature(&g_cfg, (enum emu_feature)ft);
        }
        break;
    }
    if (f) fclose(f);
    if (g_cfg.vendor == EMU_VENDOR_AMD && probe_null_sel_clears_base())
        emu_config_set_feature(&g_cfg, EMU_FEAT_NULL_SEL_CLR_BASE);
    /* what Linux sets in CR4 on such a CPU (CPL 3 cannot read it) */
    g_cr4 = EMU_CR4_PAE | EMU_CR4_PGE | EMU_CR4_PSE | EMU_CR4_DE | EMU_CR4_MCE | EMU_CR4_OSFXSR |
            EMU_CR4_OSXMMEXCPT | EMU_CR4_OSXSAVE | EMU_CR4_FSGSBASE;
    if (emu_config_has_feature(&g_cfg, EMU_FEAT_UMIP)) g_cr4 |= EMU_CR4_UMIP;
    if (emu_config_has_feature(&g_cfg, EMU_FEAT_SMEP)) g_cr4 |= EMU_CR4_SMEP;
    if (emu_config_has_feature(&g_cfg, EMU_FEAT_SMAP)) g_cr4 |= EMU_CR4_SMAP;
    if (emu_config_has_feature(&g_cfg, EMU_FEAT_PCID)) g_cr4 |= EMU_CR4_PCIDE;
    g_cfg_done = 1;
    return g_cfg;
}

/* Linux: CR0 = PE MP ET NE WP AM PG; EFER = SCE LME LMA NXE. */
#define HW_CR0 (EMU_CR0_PE | EMU_CR0_MP | EMU_CR0_ET | EMU_CR0_NE | EMU_CR0_WP | EMU_CR0_AM | EMU_CR0_PG)
#define HW_EFER (EMU_EFER_SCE | EMU_EFER_LME | EMU_EFER_LMA | EMU_EFER_NXE)
/* The TSS (supervisor memory): its I/O-map base lies beyond the limit, as Linux leaves it for a
 * task without ioperm(), so every port is denied at CPL 3. */
#define HW_TSS 0xfffffe0000003000ull
#define HW_TSS_BASE HW_TSS
#define HW_TSS_BASE_LOW (HW_TSS & 0xffffffffull)
#define HW_TSS_LIMIT 0x67u
/* Linux's x86-64 GDT (arch/x86/include/asm/segment.h), in supervisor memory, so that MOV/POP
 * Sreg of the user selectors behave as on the host: 0x08/0x10/0x18 kernel code32/code64/data,
 * 0x23 user code32, 0x2b user data, 0x33 user code64, 0x40 the TSS, 0x7b the per-CPU segment
 * (its limit is the CPU number: 0 here; only its selector is ever compared).  Every entry has
 * the accessed bit set, as Linux does, so loading one writes nothing. */
#define HW_GDT 0xfffffe0000001000ull
#define HW_GDT_LIMIT 0x7fu
static void gdt_image(uint8_t *g)
{
    uint64_t d[16] = { 0 };
    d[1] = 0x00cf9b000000ffffull;
    d[2] = 0x00af9b000000ffffull;
    d[3] = 0x00cf93000000ffffull;
    d[4] = 0x00cffb000000ffffull;
    d[5] = 0x00cff3000000ffffull;
    d[6] = 0x00affb000000ffffull;
    /* 64-bit busy TSS at HW_TSS, limit 0x67 */
    d[8] = 0x0000000000000067ull | ((HW_TSS_BASE_LOW & 0xffffffull) << 16) | (0x8bull << 40) |
           ((HW_TSS_BASE_LOW >> 24) & 0xffull) << 56;
    d[9] = HW_TSS_BASE >> 32;
    d[15] = 0x0040f50000000000ull;
    memcpy(g, d, sizeof d);
}
#define HW_KHALF 0xffff800000000000ull
#define HW_TASK_TOP 0x00007ffffffff000ull

static const char *const gpr_names[16] = { "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
                                            "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15" };

unsigned hw_decode_op(const struct hw_case *c, struct emu_insn *in)
{
    struct emu_config cfg = hw_config();
    struct emu_insn tmp;
    if (!in) in = &tmp;
    enum emu_decode_status ds = emu_decode_mode(&cfg, c->compat ? EMU_MODE_COMPAT32 : EMU_MODE_LONG64,
                                                hw_host_xcr0(), c->bytes, c->n, in);
    if (ds == EMU_DEC_NEED_MORE || ds == EMU_DEC_UNKNOWN) return 0;
    return in->op < OP_COUNT ? in->op : 0;
}

uint64_t hw_undef_flags(const struct hw_case *c)
{
    unsigned op = hw_decode_op(c, NULL);
    return op ? emu_opinfo[op].fl_undef : 0;
}

static void code_page(const struct hw_case *c, uint8_t *page)
{
    memset(page, 0xcc, HW_PAGE);
    for (unsigned k = 0; k < c->n && c->code_off + k < HW_PAGE; k++) page[c->code_off + k] = c->bytes[k];
}

static struct machine *hw_machine(const struct hw_case *c)
{
    struct emu_config cfg = hw_config();
    struct machine *m = machine_new(c->compat ? EMU_MODE_COMPAT32 : EMU_MODE_LONG64, &cfg);
    if (!m) return NULL;
    /* Linux's user segments: CS 0x33 (64-bit) or 0x23 (32-bit), SS/DS/ES 0x2b, all DPL 3;
     * FS and GS hold the null selector with base 0 (the stub sets the bases). */
    struct emu_segment *s = m->segs;
    s[EMU_SEG_CS] = (struct emu_segment){ c->compat ? 0x23 : 0x33, c->compat ? 0xcfb : 0xafb, 0xffffffff, 0 };
    s[EMU_SEG_SS] = (struct emu_segment){ 0x2b, 0xcf3, 0xffffffff, 0 };
    s[EMU_SEG_DS] = s[EMU_SEG_SS];
    s[EMU_SEG_ES] = s[EMU_SEG_SS];
    s[EMU_SEG_FS] = (struct emu_segment){ 0, 0, 0, c->fs_base };
    s[EMU_SEG_GS] = (struct emu_segment){ 0, 0, 0, c->gs_base };
    s[EMU_SEG_TR] = (struct emu_segment){ 0x40, 0x8b, HW_TSS_LIMIT, HW_TSS };
    m->cr[0] = HW_CR0;
    hw_config();
    m->cr[4] = g_cr4;
    machine_set_msr(m, EMU_MSR_EFER, HW_EFER);
    m->xcr0 = hw_host_xcr0();
    memcpy(m->regs.gpr, c->gpr, sizeof c->gpr);
    m->regs.rip = HW_CODE + c->code_off;
    m->regs.rflags = c->rflags;
    machine_add_perm(m, HW_CODE, HW_PAGE, "rx", 1);
    machine_add_perm(m, HW_DATA, HW_PAGE, "rw", 1);
    machine_add_perm(m, HW_RO, HW_PAGE, "r", 1);
    /* Linux reports a user access at or above TASK_SIZE_MAX as a protection fault: model
     * those addresses as present supervisor pages. */
    machine_add_perm(m, HW_TASK_TOP, HW_PAGE, "rwx", 0);
    machine_add_perm(m, HW_KHALF, 0ull - HW_KHALF, "rwx", 0);
    uint8_t page[HW_PAGE];
    code_page(c, page);
    machine_poke(m, HW_CODE, page, HW_PAGE);
    hw_initial_data(c, page);
    machine_poke(m, HW_DATA, page, HW_PAGE);
    hw_fill(page, c->ro_fill);
    machine_poke(m, HW_RO, page, HW_PAGE);
    static const uint8_t iomap[2] = { 0xff, 0xff };
    machine_poke(m, HW_TSS + 0x66, iomap, 2);
    uint8_t gdt[128];
    gdt_image(gdt);
    machine_poke(m, HW_GDT, gdt, sizeof gdt);
    m->dtr_base[0] = HW_GDT;
    m->dtr_limit[0] = HW_GDT_LIMIT;
    /* Half of the cases through the exit-path entry (lib/fast.c): get_state, the fetch of
     * emu_step's fast path and, with the decode cache warmed by emu_decode, the fast forms
     * themselves; the other half through the item-by-item getters and the pipeline. */
    m->state_cb = (c->gpr[HW_RAX] ^ c->gpr[HW_RCX] ^ c->rflags) & 1;
    machine_reset_ctx(m);
    if (m->state_cb) {
        struct emu_insn in;
        emu_decode(&m->ctx, NULL, 0, &in);
        m->nevents = 0;
    }
    return m;
}

void hw_emu_run(const struct hw_case *c, struct hw_result *r, unsigned *steps)
{
    memset(r, 0, sizeof *r);
    struct machine *m = hw_machine(c);
    if (!m) {
        r->outcome = HW_HARNESS;
        return;
    }
    const uint64_t start = m->regs.rip;
    enum emu_status st;
    unsigned n = 0;
    /* A REP instruction runs at most 4096 iterations per step and leaves RIP on itself: step
     * again until it finishes (a single-step trap ends each step instead when TF is set). */
    do {
        st = emu_step(&m->ctx, NULL, 0);
        n++;
    } while (st == EMU_OK && m->regs.rip == start && !(c->rflags & HW_TF) && n < 64);
    if (steps) *steps = n;
    memcpy(r->gpr, m->regs.gpr, sizeof r->gpr);
    r->rip = m->regs.rip;
    r->rflags = m->regs.rflags & ~HW_RF;
    if (st == EMU_OK) {
        r->outcome = HW_RETIRED;
    } else if (st == EMU_EXCEPTION) {
        const struct emu_exception *e = &m->ctx.result.exception;
        r->outcome = HW_FAULT;
        r->vector = e->vector;
        r->has_ec = e->has_error_code;
        r->error_code = e->has_error_code ? e->error_code : 0;
        r->cr2 = e->vector == 14 ? e->cr2 : 0;
    } else {
        r->outcome = HW_UNHANDLED;
        r->vector = (uint8_t)st;
        r->reason = m->ctx.result.reason;
    }
    if (c->compat)
        for (int k = 0; k < 8; k++) r->gpr[k] &= 0xffffffffull;
    /* Test hook (tests/hw_selftest.sh): a wrong CF after every ADD, so that the test can see
     * the campaign catch, minimise and write a disagreement. */
    if (r->outcome == HW_RETIRED && m->ctx.result.op == OP_ADD && getenv("EMU_HWDIFF_INJECT_ADD_CF"))
        r->rflags ^= 1;
    r->fs_base = m->segs[EMU_SEG_FS].base;
    r->gs_base = m->segs[EMU_SEG_GS].base;
    for (int s = 0; s < 6; s++) r->sel[s] = m->segs[s].sel;
    machine_peek(m, HW_DATA, r->data, HW_PAGE);
    machine_free(m);
}

/* ---- comparison ---------------------------------------------------------------------------- */

int hw_strict_flags;

/* Operations whose native answer depends on the host rather than on the architecture. */
static const char *host_dependent(const struct hw_case *c, unsigned op)
{
    switch (op) {
    case OP_CPUID: return "CPUID answers are the host's";
    case OP_RDTSC: case OP_RDTSCP: return "reads the time-stamp counter";
    case OP_RDPID: return "reads the host's processor id";
    case OP_VMCALL: case OP_VMMCALL: return "the hypervisor below takes it as a hypercall";
    case OP_XGETBV:
        if ((uint32_t)c->gpr[HW_RCX] == 1) return "XGETBV 1 reads XINUSE (the host thread's state use)";
        return NULL;
    case OP_RDRAND: case OP_RDSEED: return "random numbers";
    case OP_LAR: case OP_LSL: case OP_VERR: case OP_VERW: return "reads the host kernel's GDT";
    case OP_SGDT: case OP_SIDT: case OP_SMSW: case OP_SLDT: case OP_STR:
        /* CR4.UMIP makes them #GP at CPL 3, and Linux answers that #GP by emulating them with
         * dummy values: the CPU's own answer is not visible from user space */
        return "the kernel emulates UMIP instructions (the CPU's #GP is hidden)";
    default: return NULL;
    }
}

/* Is addr among the 256 bytes below one of the stack pointers sp[] (0: none)? */
static int below_sp(uint64_t addr, const uint64_t sp[2])
{
    for (int i = 0; i < 2; i++)
        if (sp[i] && addr < sp[i] && addr >= sp[i] - 256) return 1;
    return 0;
}

#define DIFF(...) (k += (size_t)snprintf(d + k, k < nd ? nd - k : 0, __VA_ARGS__))

enum hw_verdict hw_compare(const struct hw_case *c, const struct hw_result *hw, const struct hw_result *em,
                           char *d, size_t nd, const char **why)
{
    size_t k = 0;
    if (nd) d[0] = 0;
    *why = NULL;
    struct emu_insn in;
    const unsigned op = hw_decode_op(c, &in);
    switch (hw->outcome) {
    case HW_HARNESS:
        *why = hw->status == -1   ? "no 32-bit user code segment on this kernel"
               : hw->status == -2 ? "it branched into code outside the test page"
                                  : "the harness's stub faulted (a harness bug)";
        return HWV_SKIP;
    case HW_SYSCALL: *why = "a system call (stopped by seccomp)"; return HWV_SKIP;
    case HW_DIED: *why = "the native child died"; return HWV_SKIP;
    case HW_HANG: *why = "it does not finish natively (loops on itself)"; return HWV_SKIP;
    default: break;
    }
    if (em->outcome == HW_UNHANDLED) {
        *why = op ? "not emulated (EMU_UNHANDLED)" : "not in our tables";
        return HWV_SKIP;
    }
    const char *hd = op ? host_dependent(c, op) : NULL;
    const int hidden = op == OP_VMCALL || op == OP_VMMCALL || op == OP_SGDT || op == OP_SIDT || op == OP_SMSW ||
                       op == OP_SLDT || op == OP_STR;
    if (hd && (hw->outcome == HW_RETIRED || hidden)) {
        *why = hd;
        return HWV_SKIP;
    }
    /* INT n is returned to the embedder as vector n; Linux's IDT gate for n (other than 3 and 4)
     * has DPL 0, so the CPU raises #GP(n*8+2) delivering it.  Same answer, one step apart. */
    if (op == OP_INT && em->outcome == HW_FAULT && hw->outcome == HW_FAULT && hw->vector == 13 &&
        hw->error_code == (uint32_t)em->vector * 8 + 2) {
        *why = "INT n: the host IDT gate's DPL decides (#GP)";
        return HWV_SKIP;
    }
    /* A branch into its own bytes: the CPU runs them as code (and more after them); the
     * emulator stops at the target, as one step does. */
    const uint64_t start = HW_CODE + c->code_off;
    if (em->outcome == HW_RETIRED && em->rip > start && em->rip < start + c->n) {
        *why = "it branches into its own bytes";
        return HWV_SKIP;
    }
    if (em->outcome == HW_RETIRED && em->rip == start && op && hw_family_of_op(op) == HWF_BRANCH) {
        *why = "it branches to itself (the CPU goes on running it)";
        return HWV_SKIP;
    }
    /* Under a hypervisor that keeps EFER.SVME set for its guest (KVM does), an SVM instruction
     * at CPL 3 is #GP where the APM's #UD for EFER.SVME = 0 applies; design.md: the manuals
     * win.  Only when the host does not offer SVM (the guest's EFER.SVME is 0). */
    if (op && hw_family_of_op(op) == HWF_SVM && hw->outcome == HW_FAULT && hw->vector == 13 &&
        em->outcome == HW_FAULT && em->vector == 6) {
        *why = "the hypervisor below answers #GP for SVM with EFER.SVME = 0 (the APM: #UD)";
        return HWV_SKIP;
    }
    /* SYSEXIT in long mode on AMD is #UD (APM), at any CPL.  A hypervisor that intercepts #UD
     * (KVM does, to emulate instructions across vendors) decodes SYSEXIT, checks CPL first and
     * injects #GP(0): what user code sees is the hypervisor's answer, not the CPU's.  Measured
     * on the Zen 3 guest this runs on: SYSEXIT at CPL 3 takes 11-12 us to its SIGSEGV, like
     * UD2 (12 us, #UD intercepted), where a native #GP (HLT, CLI, MOV from CR0) takes 3.4 us. */
    if (op == OP_SYSEXIT && hw->outcome == HW_FAULT && hw->vector == 13 && em->outcome == HW_FAULT &&
        em->vector == 6) {
        *why = "the hypervisor below emulates SYSEXIT on the #UD it intercepts (#GP for CPL 3)";
        return HWV_SKIP;
    }
    if (hw->outcome != em->outcome) {
        if (hw->outcome == HW_FAULT) DIFF(" hw #%u(ec 0x%x cr2 0x%llx), emu retired rip 0x%llx", hw->vector, hw->error_code,
                                          (unsigned long long)hw->cr2, (unsigned long long)em->rip);
        else DIFF(" hw retired rip 0x%llx, emu #%u(ec 0x%x cr2 0x%llx)", (unsigned long long)hw->rip, em->vector,
                  em->error_code, (unsigned long long)em->cr2);
        return HWV_DISAGREE;
    }
    uint64_t fmask = ~HW_RF;
    if (hw->outcome == HW_FAULT) {
        if (hw->vector != em->vector) DIFF(" vector hw %u emu %u", hw->vector, em->vector);
        else {
            if (hw->has_ec && (!em->has_ec || hw->error_code != em->error_code))
                DIFF(" error_code hw 0x%x emu 0x%x%s", hw->error_code, em->error_code, em->has_ec ? "" : " (none)");
            if (!hw->has_ec && em->has_ec) DIFF(" error code: hw none, emu 0x%x", em->error_code);
            if (hw->vector == 14 && hw->cr2 != em->cr2)
                DIFF(" cr2 hw 0x%llx emu 0x%llx", (unsigned long long)hw->cr2, (unsigned long long)em->cr2);
        }
    } else if (op && !hw_strict_flags) {
        fmask &= ~(uint64_t)emu_opinfo[op].fl_undef;
    }
    for (int i = 0; i < 16; i++)
        if (hw->gpr[i] != em->gpr[i])
            DIFF(" %s hw 0x%llx emu 0x%llx", gpr_names[i], (unsigned long long)hw->gpr[i], (unsigned long long)em->gpr[i]);
    if (hw->rip != em->rip) DIFF(" rip hw 0x%llx emu 0x%llx", (unsigned long long)hw->rip, (unsigned long long)em->rip);
    if ((hw->rflags ^ em->rflags) & fmask)
        DIFF(" rflags hw 0x%llx emu 0x%llx (diff 0x%llx)", (unsigned long long)hw->rflags,
             (unsigned long long)em->rflags, (unsigned long long)((hw->rflags ^ em->rflags) & fmask));
    if (hw->fs_base != em->fs_base) DIFF(" fs.base hw 0x%llx emu 0x%llx", (unsigned long long)hw->fs_base, (unsigned long long)em->fs_base);
    if (hw->gs_base != em->gs_base) DIFF(" gs.base hw 0x%llx emu 0x%llx", (unsigned long long)hw->gs_base, (unsigned long long)em->gs_base);
    static const int sels[4] = { EMU_SEG_ES, EMU_SEG_DS, EMU_SEG_FS, EMU_SEG_GS };
    /* A null selector with a non-zero RPL reads back as 0 natively: the kernel's return to
     * user mode (IRET to CPL 3, on the way to the signal handler) nulls a data segment register
     * whose hidden DPL is below CPL, which a null-loaded one is.  The RPL is not observable. */
    for (int i = 0; i < 4; i++)
        if (hw->sel[sels[i]] != em->sel[sels[i]] && !((hw->sel[sels[i]] | em->sel[sels[i]]) <= 3))
            DIFF(" %s hw 0x%x emu 0x%x", seg_name((unsigned)sels[i]), hw->sel[sels[i]], em->sel[sels[i]]);
    /* A faulting ENTER, PUSHA or CALL far (a later push, an outer frame-pointer read, the
     * final rSP check; CALL far: the return rIP after CS) has already written its first pushes
     * below rSP on this CPU; the library commits nothing on an exception (design.md), and the
     * bytes below rSP are no state a program can rely on: not compared.  (CALL far into a
     * compatibility-mode segment pushes below ESP on AMD: both are left out.) */
    uint64_t nocmp_sp[2] = { 0, 0 };
    if (hw->outcome == HW_FAULT && (op == OP_ENTER || op == OP_PUSHA || op == OP_CALL_FAR)) {
        nocmp_sp[0] = c->compat ? c->gpr[HW_RSP] & 0xffffffffull : c->gpr[HW_RSP];
        nocmp_sp[1] = c->gpr[HW_RSP] & 0xffffffffull;
    }
    for (unsigned i = 0; i < HW_PAGE; i++)
        if (hw->data[i] != em->data[i] && !below_sp(HW_DATA + i, nocmp_sp)) {
            DIFF(" mem[0x%llx] hw %02x emu %02x", (unsigned long long)(HW_DATA + i), hw->data[i], em->data[i]);
            break;
        }
    return k ? HWV_DISAGREE : HWV_AGREE;
}
#undef DIFF

/* ---- vectors ----------------------------------------------------------------------------------- */

static void hexs(FILE *f, const uint8_t *b, unsigned n)
{
    for (unsigned i = 0; i < n; i++) fprintf(f, "%02x", b[i]);
}

/* Runs of non-default bytes of a page as "mem" entries (def: the replay's zero, or the initial
 * contents for a final state). */
static int mem_runs(FILE *f, uint64_t base, const uint8_t *page, const uint8_t *def, int first, unsigned len)
{
    for (unsigned i = 0; i < len;) {
        if (page[i] == (def ? def[i] : 0)) {
            i++;
            continue;
        }
        unsigned j = i + 1, gap = 0;
        while (j < len && gap < 8) {
            if (page[j] == (def ? def[j] : 0)) gap++;
            else gap = 0;
            j++;
        }
        j -= gap;
        fprintf(f, "%s{\"addr\":\"0x%llx\",\"data\":\"", first ? "" : ",", (unsigned long long)(base + i));
        hexs(f, page + i, j - i);
        fprintf(f, "\"}");
        first = 0;
        i = j;
    }
    return first;
}

void hw_write_vector(FILE *f, const struct hw_case *c, const struct hw_result *r, int full_code)
{
    struct emu_config cfg = hw_config();
    uint64_t undef = hw_undef_flags(c);
    fprintf(f, "{\"name\":");
    json_write_str(f, c->name);
    fprintf(f, ",\"mode\":\"%s\",\"bytes\":\"", c->compat ? "compat32" : "long64");
    hexs(f, c->bytes, c->n);
    fprintf(f, "\",\"config\":{\"vendor\":\"%s\",\"features\":[", cfg.vendor == EMU_VENDOR_AMD ? "amd" : "intel");
    int first = 1;
    for (int i = 0; i < EMU_FEAT_COUNT; i++)
        if (emu_config_has_feature(&cfg, (enum emu_feature)i)) {
            fprintf(f, "%s\"%s\"", first ? "" : ",", emu_feature_names[i]);
            first = 0;
        }
    fprintf(f, "]},\"initial\":{\"regs\":{");
    for (int i = 0; i < 16; i++)
        if (c->gpr[i]) fprintf(f, "\"%s\":\"0x%llx\",", gpr_names[i], (unsigned long long)c->gpr[i]);
    fprintf(f, "\"rip\":\"0x%llx\",\"rflags\":\"0x%llx\"}", (unsigned long long)(HW_CODE + c->code_off),
            (unsigned long long)c->rflags);
    fprintf(f, ",\"segs\":{\"cs\":{\"sel\":\"0x%x\",\"base\":\"0x0\",\"limit\":\"0xffffffff\",\"attr\":\"0x%x\"},",
            c->compat ? 0x23 : 0x33, c->compat ? 0xcfb : 0xafb);
    static const char *const dsegs[3] = { "ss", "ds", "es" };
    for (int i = 0; i < 3; i++)
        fprintf(f, "\"%s\":{\"sel\":\"0x2b\",\"base\":\"0x0\",\"limit\":\"0xffffffff\",\"attr\":\"0xcf3\"},", dsegs[i]);
    fprintf(f, "\"fs\":{\"sel\":\"0x0\",\"base\":\"0x%llx\",\"limit\":\"0x0\",\"attr\":\"0x0\"},"
               "\"gs\":{\"sel\":\"0x0\",\"base\":\"0x%llx\",\"limit\":\"0x0\",\"attr\":\"0x0\"},"
               "\"tr\":{\"sel\":\"0x40\",\"base\":\"0x%llx\",\"limit\":\"0x%x\",\"attr\":\"0x8b\"}}",
            (unsigned long long)c->fs_base, (unsigned long long)c->gs_base, (unsigned long long)HW_TSS, HW_TSS_LIMIT);
    hw_config();
    fprintf(f, ",\"cr\":{\"cr0\":\"0x%llx\",\"cr4\":\"0x%llx\"},\"msr\":{\"efer\":\"0x%llx\"},\"xcr0\":\"0x%llx\"",
            (unsigned long long)HW_CR0, (unsigned long long)g_cr4, (unsigned long long)HW_EFER,
            (unsigned long long)hw_host_xcr0());
    uint8_t page[HW_PAGE];
    fprintf(f, ",\"dt\":{\"gdtr\":{\"base\":\"0x%llx\",\"limit\":\"0x%x\"}}", (unsigned long long)HW_GDT, HW_GDT_LIMIT);
    fprintf(f, ",\"mem\":[{\"addr\":\"0x%llx\",\"data\":\"ffff\"}", (unsigned long long)(HW_TSS + 0x66));
    uint8_t gdt[128];
    gdt_image(gdt);
    mem_runs(f, HW_GDT, gdt, NULL, 0, sizeof gdt);
    code_page(c, page);
    if (full_code) {
        /* the whole code page: the instruction reads it */
        mem_runs(f, HW_CODE, page, NULL, 0, HW_PAGE);
    } else {
        /* the INT3 fill right after the instruction */
        fprintf(f, ",{\"addr\":\"0x%llx\",\"data\":\"", (unsigned long long)(HW_CODE + c->code_off + c->n));
        for (unsigned i = c->code_off + c->n; i < HW_PAGE && i < c->code_off + c->n + 16u; i++) fprintf(f, "cc");
        fprintf(f, "\"}");
    }
    hw_initial_data(c, page);
    mem_runs(f, HW_DATA, page, NULL, 0, HW_PAGE);
    hw_fill(page, c->ro_fill);
    mem_runs(f, HW_RO, page, NULL, 0, HW_PAGE);
    fprintf(f, "],\"pages\":[{\"addr\":\"0x%llx\",\"size\":\"0x1000\",\"perm\":\"rx\",\"user\":true},"
               "{\"addr\":\"0x%llx\",\"size\":\"0x1000\",\"perm\":\"rw\",\"user\":true},"
               "{\"addr\":\"0x%llx\",\"size\":\"0x1000\",\"perm\":\"r\",\"user\":true},"
               "{\"addr\":\"0x%llx\",\"size\":\"0x1000\",\"perm\":\"rwx\",\"user\":false},"
               "{\"addr\":\"0x%llx\",\"size\":\"0x%llx\",\"perm\":\"rwx\",\"user\":false}]}",
            (unsigned long long)HW_CODE, (unsigned long long)HW_DATA, (unsigned long long)HW_RO,
            (unsigned long long)HW_TASK_TOP, (unsigned long long)HW_KHALF, (unsigned long long)(0ull - HW_KHALF));
    if (r->outcome == HW_FAULT) {
        fprintf(f, ",\"exception\":{\"vector\":%u", r->vector);
        if (r->has_ec) fprintf(f, ",\"error_code\":\"0x%x\"", r->error_code);
        if (r->vector == 14) fprintf(f, ",\"cr2\":\"0x%llx\"", (unsigned long long)r->cr2);
        fprintf(f, "}");
    } else {
        fprintf(f, ",\"final\":{\"regs\":{");
        for (int i = 0; i < 16; i++)
            if (r->gpr[i] != c->gpr[i]) fprintf(f, "\"%s\":\"0x%llx\",", gpr_names[i], (unsigned long long)r->gpr[i]);
        fprintf(f, "\"rip\":\"0x%llx\",\"rflags\":\"0x%llx\"}", (unsigned long long)r->rip, (unsigned long long)r->rflags);
        const int fsch = r->fs_base != c->fs_base || r->sel[EMU_SEG_FS], gsch = r->gs_base != c->gs_base || r->sel[EMU_SEG_GS];
        if (fsch || gsch || r->sel[EMU_SEG_DS] != 0x2b || r->sel[EMU_SEG_ES] != 0x2b) {
            int first_seg = 1;
            fprintf(f, ",\"segs\":{");
            if (fsch)
                first_seg = 0, fprintf(f, "\"fs\":{\"sel\":\"0x%x\",\"base\":\"0x%llx\"}", r->sel[EMU_SEG_FS],
                                       (unsigned long long)r->fs_base);
            if (gsch)
                fprintf(f, "%s\"gs\":{\"sel\":\"0x%x\",\"base\":\"0x%llx\"}", first_seg ? "" : ",", r->sel[EMU_SEG_GS],
                        (unsigned long long)r->gs_base), first_seg = 0;
            if (r->sel[EMU_SEG_DS] != 0x2b)
                fprintf(f, "%s\"ds\":{\"sel\":\"0x%x\"}", first_seg ? "" : ",", r->sel[EMU_SEG_DS]), first_seg = 0;
            if (r->sel[EMU_SEG_ES] != 0x2b)
                fprintf(f, "%s\"es\":{\"sel\":\"0x%x\"}", first_seg ? "" : ",", r->sel[EMU_SEG_ES]);
            fprintf(f, "}");
        }
        hw_initial_data(c, page);
        if (memcmp(page, r->data, HW_PAGE)) {
            fprintf(f, ",\"mem\":[");
            mem_runs(f, HW_DATA, r->data, page, 1, HW_PAGE);
            fprintf(f, "]");
        }
        fprintf(f, "}");
        if (undef) fprintf(f, ",\"flags_mask\":\"0x%llx\"", (unsigned long long)(0x3fffffull & ~undef));
    }
    fprintf(f, "}\n");
}

int hw_vector_replays(const struct hw_case *c, const struct hw_result *hw, int full_code)
{
    char *buf = NULL, *out = NULL;
    size_t len = 0, olen = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) return 0;
    hw_write_vector(f, c, hw, full_code);
    fclose(f);
    struct vec v;
    char err[256];
    int ok = 0;
    if (!vec_load(buf, &v, err, sizeof err)) {
        enum emu_status st = vec_run(&v);
        FILE *o = open_memstream(&out, &olen);
        if (o) {
            ok = vec_check(&v, st, o) == 0;
            fclose(o);
            if (!ok && out && getenv("EMU_RECORD_VERBOSE")) fprintf(stderr, "%s", out);
        }
    } else if (getenv("EMU_RECORD_VERBOSE")) {
        fprintf(stderr, "vector does not load: %s\n", err);
    }
    vec_free(&v);
    free(out);
    free(buf);
    return ok;
}

void hw_print_case(FILE *f, const struct hw_case *c)
{
    fprintf(f, "  bytes ");
    hexs(f, c->bytes, c->n);
    fprintf(f, "%s at 0x%llx  rflags 0x%llx", c->compat ? " (compat32)" : "",
            (unsigned long long)(HW_CODE + c->code_off), (unsigned long long)c->rflags);
    if (c->data_fill || c->ro_fill) fprintf(f, "  fill %u/%u", c->data_fill, c->ro_fill);
    if (c->fs_base || c->gs_base) fprintf(f, "  fs.base 0x%llx gs.base 0x%llx", (unsigned long long)c->fs_base,
                                          (unsigned long long)c->gs_base);
    fprintf(f, "\n ");
    for (int i = 0; i < 16; i++)
        if (c->gpr[i]) fprintf(f, " %s=0x%llx", gpr_names[i], (unsigned long long)c->gpr[i]);
    if (c->mem_n) {
        fprintf(f, " mem[0x%llx]=", (unsigned long long)(HW_DATA + c->mem_off));
        hexs(f, c->mem, c->mem_n);
    }
    fprintf(f, "\n");
}

/* ---- minimisation --------------------------------------------------------------------------- */

static int still_disagrees(const struct hw_case *c, const struct hw_result *hw)
{
    struct hw_result *em = malloc(sizeof *em);
    if (!em) return 0;
    hw_emu_run(c, em, NULL);
    char d[16];
    const char *why;
    int r = hw_compare(c, hw, em, d, sizeof d, &why) == HWV_DISAGREE;
    free(em);
    return r;
}

/* Candidate simplifications of a case, in order of preference. */
static unsigned candidates(const struct hw_case *c, struct hw_case *out)
{
    unsigned n = 0;
#define CAND(stmt)                                                                                 \
    do {                                                                                           \
        out[n] = *c;                                                                               \
        { struct hw_case *x = &out[n]; stmt; }                                                     \
        if (memcmp(&out[n], c, sizeof *c)) n++;                                                    \
    } while (0)
    CAND(x->data_fill = 0);
    CAND(x->ro_fill = 0);
    CAND(x->mem_n = 0);
    CAND(x->fs_base = 0);
    CAND(x->gs_base = 0);
    CAND(x->rflags = HW_RFLAGS_BASE | (c->rflags & HW_TF));
    for (int i = 0; i < 16; i++) {
        if (i == HW_RSP) continue;
        CAND(x->gpr[i] = 0);
        CAND(x->gpr[i] = 1);
        CAND(x->gpr[i] &= 0xffffffffull);
        CAND(x->gpr[i] &= 0xffffull);
    }
    for (uint64_t b = 1; b < 0x400000; b <<= 1)
        if ((c->rflags & b) && !(HW_RFLAGS_BASE & b) && b != HW_TF) CAND(x->rflags &= ~b);
#undef CAND
    return n;
}

void hw_minimise(struct hw_case *c)
{
    struct hw_case *cand = malloc(sizeof *cand * 128);
    struct hw_result *res = malloc(sizeof *res * 128);
    if (!cand || !res) goto out;
    for (int round = 0; round < 40; round++) {
        unsigned n = candidates(c, cand);
        if (!n || hw_native_run(cand, n, res)) break;
        unsigned i;
        for (i = 0; i < n; i++)
            if ((res[i].outcome == HW_RETIRED || res[i].outcome == HW_FAULT) && still_disagrees(&cand[i], &res[i])) break;
        if (i == n) break;
        *c = cand[i];
    }
out:
    free(cand);
    free(res);
}
