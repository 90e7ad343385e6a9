/*
 * Native execution in a sandboxed child.
 *
 * A forked child maps the fixed pages of hw.h, installs its signal handlers, then a seccomp
 * filter, and runs the cases one by one:
 *
 *  - The instruction goes at HW_CODE + code_off; every other byte of the code page is INT3, so
 *    the instruction ends by landing on a trap (fall-through or an in-page branch target) and
 *    the kernel's signal frame has the whole state after it.  A fault in the instruction gives
 *    the vector (trapno), error code and CR2 the same way.  A branch out of the page ends in the
 *    fetch fault at the target, which also shows the state after the branch.
 *  - A stub at HW_STUB sets FS/GS base to 0, DS/ES to Linux's user data selector, loads every
 *    GPR and enters the instruction with IRETQ (RIP, CS 0x33 or 0x23 for compatibility mode,
 *    RFLAGS, RSP, SS at once; TF in the input gives a single-step trap after the instruction).
 *  - The signal handler is entered through a trampoline in the stub page that records FS/GS
 *    base and the data selectors the instruction left, puts glibc's FS base back and clears AC
 *    (the instruction may have set it), and the C handler siglongjmps to the next case.
 *  - seccomp: a 32-bit system call (INT 80h, SYSCALL/SYSENTER in compatibility mode) or one
 *    made from below 4 GiB (the test pages, or the stub, never the harness's own code) is
 *    trapped and reported (SIGSYS); from anywhere else only exit and exit_group are allowed,
 *    anything else kills the child.  So no instruction under test can
 *    make a real system call, even by jumping into libc.
 *  - The code and read-only pages are shared-memory mappings with a writable alias elsewhere,
 *    so the child rewrites them without mprotect (no system calls after the filter).
 *
 * The parent watches a progress counter in shared memory: a child that dies or stops making
 * progress is killed, its current case reported (HW_DIED / HW_HANG), and a new child goes on
 * with the next case.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "hw.h"

#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#if defined(__x86_64__) && defined(__linux__)
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <ucontext.h>
#define HW_NATIVE 1
#endif

void hw_fill(uint8_t *page, uint32_t seed)
{
    if (!seed) {
        memset(page, 0, HW_PAGE);
        return;
    }
    uint64_t s = seed * 0x9e3779b97f4a7c15ull + 1;
    for (unsigned i = 0; i < HW_PAGE; i += 8) {
        s ^= s << 13, s ^= s >> 7, s ^= s << 17;
        /* mostly small and sign-boundary bytes, so that loaded values hit the edges too */
        uint64_t v = s;
        switch ((s >> 60) & 3) {
        case 0: v = 0; break;
        case 1: v = ~0ull; break;
        default: break;
        }
        memcpy(page + i, &v, 8);
    }
}

void hw_initial_data(const struct hw_case *c, uint8_t *page)
{
    hw_fill(page, c->data_fill);
    if (c->mem_n && c->mem_off + c->mem_n <= HW_PAGE) memcpy(page + c->mem_off, c->mem, c->mem_n);
}

#ifndef HW_NATIVE

int hw_native_available(char *why, size_t n)
{
    snprintf(why, n, "the host is not x86-64 Linux");
    return -1;
}
int hw_native_run(const struct hw_case *cases, unsigned n, struct hw_result *results)
{
    (void)cases, (void)n, (void)results;
    return -1;
}
uint64_t hw_host_xcr0(void) { return 1; }

#else

#define HW_STUB 0x5a5a0000ull   /* below 4 GiB (compat mode) and far from the test pages */
#define HW_STATE (HW_STUB + 0x1000)
#define HW_TRAMP_OFF 0x400
/* state page offsets */
#define ST_IN 0          /* 16 GPRs */
#define ST_FRAME 128     /* IRETQ frame: RIP CS RFLAGS RSP SS */
#define ST_FS_SAVE 176
#define ST_GS_SAVE 184
#define ST_FS_OUT 192
#define ST_GS_OUT 200
#define ST_SEL_OUT 208   /* ES DS FS GS (2 bytes each) */
#define ST_HANDLER 224
#define ST_FS_IN 232
#define ST_GS_IN 240

#define USER32_CS 0x23
#define USER64_CS 0x33
#define USER_DS 0x2b

static uint64_t hw_iretq_at;   /* the stub's IRETQ: a fault there is the far return to CS 0x23 */

struct asm_buf {
    uint8_t *p;
    uint64_t addr;
    unsigned n;
};
static void put(struct asm_buf *a, const void *b, unsigned n)
{
    memcpy(a->p + a->n, b, n);
    a->n += n;
}
static void put1(struct asm_buf *a, uint8_t b) { put(a, &b, 1); }
static void rel32(struct asm_buf *a, uint64_t target)
{
    uint32_t d = (uint32_t)(int32_t)(int64_t)(target - (a->addr + a->n + 4));
    put(a, &d, 4);
}
/* opcode bytes, then a RIP-relative ModRM (mod 00, rm 101) with the given reg field */
static void riprel(struct asm_buf *a, const uint8_t *op, unsigned nop, unsigned reg, uint64_t target)
{
    put(a, op, nop);
    put1(a, (uint8_t)(((reg & 7) << 3) | 5));
    rel32(a, target);
}
static void mov_load(struct asm_buf *a, unsigned reg, uint64_t target)
{
    const uint8_t op[2] = { (uint8_t)(0x48 | (reg >= 8 ? 4 : 0)), 0x8b };
    riprel(a, op, 2, reg, target);
}
static void mov_store(struct asm_buf *a, unsigned reg, uint64_t target)
{
    const uint8_t op[2] = { (uint8_t)(0x48 | (reg >= 8 ? 4 : 0)), 0x89 };
    riprel(a, op, 2, reg, target);
}

static void build_stub(uint8_t *page)
{
    struct asm_buf a = { page, HW_STUB, 0 };
    /* entry: FS/GS the null selector (a case may have loaded another) with the case's bases,
     * DS/ES = user data, GPRs, IRETQ */
    static const uint8_t pre[] = {
        0x31, 0xc0,                         /* xor eax, eax */
        0x8e, 0xe0,                         /* mov fs, eax */
        0x8e, 0xe8,                         /* mov gs, eax */
        0xb8, USER_DS, 0, 0, 0,             /* mov eax, 0x2b */
        0x8e, 0xd8,                         /* mov ds, eax */
        0x8e, 0xc0,                         /* mov es, eax */
    };
    put(&a, pre, sizeof pre);
    static const uint8_t wrfs_[] = { 0xf3, 0x48, 0x0f, 0xae, 0xd0 }, wrgs_[] = { 0xf3, 0x48, 0x0f, 0xae, 0xd8 };
    mov_load(&a, HW_RAX, HW_STATE + ST_FS_IN);
    put(&a, wrfs_, sizeof wrfs_);
    mov_load(&a, HW_RAX, HW_STATE + ST_GS_IN);
    put(&a, wrgs_, sizeof wrgs_);
    static const uint8_t lea_rsp[2] = { 0x48, 0x8d };
    riprel(&a, lea_rsp, 2, HW_RSP, HW_STATE + ST_FRAME);
    for (unsigned r = 0; r < 16; r++)
        if (r != HW_RSP) mov_load(&a, r, HW_STATE + ST_IN + 8 * r);
    hw_iretq_at = a.addr + a.n;
    put1(&a, 0x48); /* iretq */
    put1(&a, 0xcf);

    /* the signal trampoline */
    a.n = HW_TRAMP_OFF;
    static const uint8_t rdfs[] = { 0xf3, 0x48, 0x0f, 0xae, 0xc0 }, rdgs[] = { 0xf3, 0x48, 0x0f, 0xae, 0xc8 };
    static const uint8_t wrfs[] = { 0xf3, 0x48, 0x0f, 0xae, 0xd0 }, wrgs[] = { 0xf3, 0x48, 0x0f, 0xae, 0xd8 };
    static const uint8_t movsreg = 0x8c;
    put(&a, rdfs, sizeof rdfs);
    mov_store(&a, HW_RAX, HW_STATE + ST_FS_OUT);
    put(&a, rdgs, sizeof rdgs);
    mov_store(&a, HW_RAX, HW_STATE + ST_GS_OUT);
    riprel(&a, &movsreg, 1, 0, HW_STATE + ST_SEL_OUT + 0); /* mov [..], es */
    riprel(&a, &movsreg, 1, 3, HW_STATE + ST_SEL_OUT + 2); /* mov [..], ds */
    riprel(&a, &movsreg, 1, 4, HW_STATE + ST_SEL_OUT + 4); /* mov [..], fs */
    riprel(&a, &movsreg, 1, 5, HW_STATE + ST_SEL_OUT + 6); /* mov [..], gs */
    mov_load(&a, HW_RAX, HW_STATE + ST_FS_SAVE);
    put(&a, wrfs, sizeof wrfs);
    mov_load(&a, HW_RAX, HW_STATE + ST_GS_SAVE);
    put(&a, wrgs, sizeof wrgs);
    static const uint8_t flags[] = { 0x68, 0x02, 0x02, 0x00, 0x00, 0x9d }; /* push 0x202; popfq */
    put(&a, flags, sizeof flags);
    static const uint8_t jmpm[1] = { 0xff };
    riprel(&a, jmpm, 1, 4, HW_STATE + ST_HANDLER); /* jmp [handler] */
}

/* ---- the child ------------------------------------------------------------------------------- */

struct hw_shared {
    volatile unsigned cur;       /* the case being run */
    volatile unsigned done;      /* cases finished */
    volatile unsigned setup_ok;
    unsigned pad;
    struct hw_result res[];
};

static sigjmp_buf hw_jb;
static struct hw_result *hw_cur;
static const struct hw_case *hw_cur_case;
static volatile int hw_in_insn;
static uint8_t *hw_state;
static uint8_t *hw_code_alias;

static void on_signal(int sig, siginfo_t *si, void *ucv)
{
    ucontext_t *uc = ucv;
    greg_t *g = uc->uc_mcontext.gregs;
    if (!hw_in_insn) _exit(100 + sig); /* the harness itself faulted */
    hw_in_insn = 0;
    struct hw_result *r = hw_cur;
    const struct hw_case *c = hw_cur_case;
    static const int map[16] = { REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI, REG_RDI,
                                 REG_R8, REG_R9, REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15 };
    for (int i = 0; i < 16; i++) r->gpr[i] = (uint64_t)g[map[i]];
    r->rflags = (uint64_t)g[REG_EFL] & ~HW_RF;
    r->rip = (uint64_t)g[REG_RIP];
    memcpy(&r->fs_base, hw_state + ST_FS_OUT, 8);
    memcpy(&r->gs_base, hw_state + ST_GS_OUT, 8);
    uint16_t sel[4];
    memcpy(sel, hw_state + ST_SEL_OUT, sizeof sel);
    r->sel[EMU_SEG_ES] = sel[0];
    r->sel[EMU_SEG_DS] = sel[1];
    r->sel[EMU_SEG_FS] = sel[2];
    r->sel[EMU_SEG_GS] = sel[3];
    uint64_t csgsfs = (uint64_t)g[REG_CSGSFS];
    r->sel[EMU_SEG_CS] = (uint16_t)csgsfs;
    r->sel[EMU_SEG_SS] = (uint16_t)(csgsfs >> 48);
    const uint64_t start = HW_CODE + c->code_off;
    const unsigned trapno = (unsigned)g[REG_TRAPNO];
    if (r->rip >= HW_STUB && r->rip < HW_STUB + 2 * HW_PAGE) {
        /* the stub itself faulted: IRETQ to CS 0x23 on a kernel without 32-bit user code, or
         * anything else (a bug of the harness) */
        r->outcome = HW_HARNESS;
        r->status = r->rip == hw_iretq_at && c->compat ? -1 : -3;
    } else if (sig == SIGSYS) {
        r->outcome = HW_SYSCALL;
        r->status = si->si_syscall;
    } else if (sig == SIGTRAP && trapno == 1 && si->si_code == TRAP_TRACE) {
        r->outcome = HW_RETIRED; /* single-step trap (TF in the input) after the instruction */
    } else if (sig == SIGTRAP && trapno == 3 && (r->rip - 1 >= start + c->n || r->rip - 1 < start) &&
               r->rip - 1 >= HW_CODE && r->rip - 1 < HW_CODE + HW_PAGE && hw_code_alias[r->rip - 1 - HW_CODE] == 0xcc) {
        r->outcome = HW_RETIRED; /* landed on the INT3 fill after the instruction or at its target */
        r->rip -= 1;
    } else if ((trapno == 1 || trapno == 3 || trapno == 4) && r->rip == start + c->n) {
        /* a trap raised by the instruction itself (INT3, INT 3, INTO, INT1): reported like a
         * fault, with nothing committed */
        r->outcome = HW_FAULT;
        r->vector = (uint8_t)trapno;
        r->rip = start;
    } else if (r->rip != start) {
        const uint64_t cr2 = (uint64_t)g[REG_CR2];
        if (trapno == 14 && (g[REG_ERR] & 0x10) && cr2 == r->rip) {
            r->outcome = HW_RETIRED; /* it retired; the fetch at its branch target faulted */
        } else {
            /* it went somewhere and ran more code (into its own bytes, into the host process) */
            r->outcome = HW_HARNESS;
            r->status = -2;
        }
    } else {
        r->outcome = HW_FAULT;
        r->vector = (uint8_t)trapno;
        r->error_code = (uint32_t)g[REG_ERR];
        r->has_ec = trapno == 8 || (trapno >= 10 && trapno <= 14) || trapno == 17;
        if (trapno == 14) r->cr2 = (uint64_t)g[REG_CR2];
    }
    if (c->compat) {
        /* compatibility mode: only the low halves of eight registers are architectural */
        for (int k = 0; k < 8; k++) r->gpr[k] &= 0xffffffffull;
        for (int k = 8; k < 16; k++) r->gpr[k] = c->gpr[k];
    }
    siglongjmp(hw_jb, 1);
}

static void *map_at(uint64_t addr, int prot, int flags, int fd)
{
    void *p = mmap((void *)addr, HW_PAGE, prot, flags | (addr ? MAP_FIXED_NOREPLACE : 0), fd, 0);
    if (p == MAP_FAILED || (addr && (uint64_t)p != addr)) return NULL;
    return p;
}

static int install_seccomp(void)
{
    struct sock_filter f[] = {
        /* a 32-bit system call (INT 80h anywhere, SYSCALL or SYSENTER from compatibility
         * mode, whose IP the kernel moves to the vDSO): only the instruction under test makes
         * those */
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
        /* a system call from below 4 GiB: the instruction under test (or a branch it made) */
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, instruction_pointer) + 4),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_exit_group, 2, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_exit, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = { .len = (unsigned short)(sizeof f / sizeof f[0]), .filter = f };
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) return -1;
    return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
}

/* One run; its own frame so that nothing of the caller's lives across the siglongjmp. */
static __attribute__((noinline)) void run_one(const struct hw_case *c, struct hw_result *r)
{
    hw_cur = r;
    hw_cur_case = c;
    if (sigsetjmp(hw_jb, 0) == 0) {
        hw_in_insn = 1;
        ((void (*)(void))(uintptr_t)HW_STUB)();
        __builtin_unreachable();
    }
}

static int child(const struct hw_case *cases, unsigned start, unsigned n, struct hw_shared *sh)
{
    int fd_code = memfd_create("hw-code", 0), fd_ro = memfd_create("hw-ro", 0);
    if (fd_code < 0 || fd_ro < 0 || ftruncate(fd_code, HW_PAGE) || ftruncate(fd_ro, HW_PAGE)) return 2;
    uint8_t *code = map_at(HW_CODE, PROT_READ | PROT_EXEC, MAP_SHARED, fd_code);
    uint8_t *code_w = map_at(0, PROT_READ | PROT_WRITE, MAP_SHARED, fd_code);
    uint8_t *data = map_at(HW_DATA, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1);
    uint8_t *ro = map_at(HW_RO, PROT_READ, MAP_SHARED, fd_ro);
    uint8_t *ro_w = map_at(0, PROT_READ | PROT_WRITE, MAP_SHARED, fd_ro);
    uint8_t *stub = map_at(HW_STUB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1);
    uint8_t *state = map_at(HW_STATE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1);
    if (!code || !code_w || !data || !ro || !ro_w || !stub || !state) return 3;
    memset(stub, 0xcc, HW_PAGE);
    build_stub(stub);
    if (mprotect(stub, HW_PAGE, PROT_READ | PROT_EXEC)) return 4;
    hw_state = state;
    hw_code_alias = code_w;
    /* Make every page present now, so that a write to the read-only page faults with P=1 as in
     * the emulator's model, and no fault is a first-touch one. */
    memset(code_w, 0xcc, HW_PAGE);
    memset(data, 0, HW_PAGE);
    volatile uint8_t sink = code[0];
    sink = ro[0];
    (void)sink;

    uint64_t fsb, gsb;
    __asm__ volatile("rdfsbase %0" : "=r"(fsb));
    __asm__ volatile("rdgsbase %0" : "=r"(gsb));
    memcpy(state + ST_FS_SAVE, &fsb, 8);
    memcpy(state + ST_GS_SAVE, &gsb, 8);
    uint64_t h = (uint64_t)(uintptr_t)on_signal;
    memcpy(state + ST_HANDLER, &h, 8);

    static uint8_t altstack[1 << 16];
    stack_t ss = { .ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0 };
    if (sigaltstack(&ss, NULL)) return 5;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = (void (*)(int, siginfo_t *, void *))(uintptr_t)(HW_STUB + HW_TRAMP_OFF);
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    const int sigs[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS };
    for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        if (sigaction(sigs[i], &sa, NULL)) return 6;
    if (install_seccomp()) return 7;
    sh->setup_ok = 1;

    for (unsigned i = start; i < n; i++) {
        const struct hw_case *c = &cases[i];
        struct hw_result *r = &sh->res[i];
        sh->cur = i;
        memset(r, 0, offsetof(struct hw_result, data));
        memset(code_w, 0xcc, HW_PAGE);
        unsigned off = c->code_off;
        for (unsigned k = 0; k < c->n && off + k < HW_PAGE; k++) code_w[off + k] = c->bytes[k];
        hw_fill(ro_w, c->ro_fill);
        hw_initial_data(c, data);
        memcpy(state + ST_IN, c->gpr, sizeof c->gpr);
        memcpy(state + ST_FS_IN, &c->fs_base, 8);
        memcpy(state + ST_GS_IN, &c->gs_base, 8);
        uint64_t frame[5] = { HW_CODE + off, c->compat ? USER32_CS : USER64_CS, c->rflags, c->gpr[HW_RSP], USER_DS };
        memcpy(state + ST_FRAME, frame, sizeof frame);
        run_one(c, r);
        memcpy(r->data, data, HW_PAGE);
        sh->done = i + 1;
    }
    return 0;
}

static int have_seccomp(void)
{
    return prctl(PR_GET_SECCOMP, 0, 0, 0, 0) >= 0 || errno != EINVAL;
}

int hw_native_available(char *why, size_t n)
{
    if (!(getauxval(AT_HWCAP2) & 2)) { /* HWCAP2_FSGSBASE: the kernel lets user code set FS/GS base */
        snprintf(why, n, "the kernel does not enable FSGSBASE for user code");
        return -1;
    }
    if (!have_seccomp()) {
        snprintf(why, n, "seccomp is not available");
        return -1;
    }
    return 0;
}

uint64_t hw_host_xcr0(void)
{
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return (uint64_t)hi << 32 | lo;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

int hw_native_run(const struct hw_case *cases, unsigned n, struct hw_result *results)
{
    size_t len = sizeof(struct hw_shared) + sizeof(struct hw_result) * n;
    len = (len + 4095) & ~(size_t)4095;
    struct hw_shared *sh = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (sh == MAP_FAILED) return -1;
    unsigned start = 0;
    int rc = 0;
    while (start < n) {
        sh->cur = start;
        sh->done = start;
        sh->setup_ok = 0;
        fflush(NULL);
        pid_t pid = fork();
        if (pid < 0) {
            rc = -1;
            break;
        }
        if (pid == 0) _exit(child(cases, start, n, sh));
        int status = 0;
        unsigned last = start;
        double t_last = now_s();
        int hung = 0;
        for (;;) {
            pid_t w = waitpid(pid, &status, WNOHANG);
            if (w == pid) break;
            if (w < 0 && errno != EINTR) break;
            unsigned d = sh->done;
            double t = now_s();
            if (d != last) {
                last = d;
                t_last = t;
            } else if (t - t_last > 0.5) {
                /* half a second on one instruction: it loops (a branch to itself, LOOP with a
                 * huge count...) */
                kill(pid, SIGKILL);
                waitpid(pid, &status, 0);
                hung = 1;
                break;
            }
            struct timespec ts = { 0, 100000 };
            nanosleep(&ts, NULL);
        }
        if (!sh->setup_ok) {
            fprintf(stderr, "emulate: the native sandbox did not start (status 0x%x)\n", status);
            rc = -1;
            break;
        }
        if (!hung && WIFEXITED(status) && WEXITSTATUS(status) == 0 && sh->done == n) break;
        unsigned cur = sh->cur;
        if (cur < sh->done) cur = sh->done; /* died between cases: blame the next one */
        if (cur >= n) break;
        memset(&sh->res[cur], 0, sizeof sh->res[cur]);
        sh->res[cur].outcome = hung ? HW_HANG : HW_DIED;
        sh->res[cur].status = status;
        start = cur + 1;
    }
    if (!rc) memcpy(results, sh->res, sizeof *results * n);
    munmap(sh, len);
    return rc;
}

#endif
