/*
 * Native execution: a forked child maps the fixed pages of hwcheck.h, generates a small stub
 * that loads all sixteen GPRs and RFLAGS, jumps to the instruction (placed at HW_CODE and
 * followed by a jump back), then stores the GPRs and RFLAGS.  A fault lands in a signal
 * handler (on an alternate stack, since RSP is an input) that records the vector, error code
 * and CR2 from the kernel's signal frame and siglongjmps to the next case.
 *
 * Compatibility-mode cases (BCD) enter the instruction with a far jump to Linux's 32-bit user
 * code segment (0x23) and come back with a far jump to 0x33.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "hwcheck.h"

#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#define HW_STUB 0x7ff00000ull /* far from the test pages, within rel32 of HW_CODE */
#define HW_STATE 0x7ff01000ull
/* offsets in the state page */
#define ST_IN 0
#define ST_INFL 128
#define ST_HOSTRSP 136
#define ST_FARPTR 144
#define ST_OUT 256
#define ST_OUTFL 384
#define ST_STACKTOP 1024

#define USER32_CS 0x23
#define USER64_CS 0x33

static sigjmp_buf hw_jb;
static struct hw_result *hw_cur;
static volatile int hw_in_insn;
static uint64_t hw_ret_point;

struct asm_buf {
    uint8_t *p;
    uint64_t addr; /* address of p[0] when run */
    unsigned n;
};

static void put(struct asm_buf *a, const void *b, unsigned n)
{
    memcpy(a->p + a->n, b, n);
    a->n += n;
}
static void put1(struct asm_buf *a, uint8_t b) { put(a, &b, 1); }
static void put4(struct asm_buf *a, uint32_t v) { put(a, &v, 4); }
/* disp32 for a RIP-relative operand ending right after these 4 bytes (plus tail bytes) */
static void rel32(struct asm_buf *a, uint64_t target, unsigned tail)
{
    uint64_t next = a->addr + a->n + 4 + tail;
    put4(a, (uint32_t)(int32_t)(int64_t)(target - next));
}
/* REX.W 8B/89 with a RIP-relative memory operand. */
static void mov_rip(struct asm_buf *a, int store, unsigned reg, uint64_t target)
{
    put1(a, (uint8_t)(0x48 | (reg >= 8 ? 4 : 0)));
    put1(a, store ? 0x89 : 0x8b);
    put1(a, (uint8_t)(((reg & 7) << 3) | 5));
    rel32(a, target, 0);
}

/* The stub at HW_STUB: entry at +0; returns the address of the return point. */
static uint64_t build_stub(uint8_t *page, int compat)
{
    struct asm_buf a = { page, HW_STUB, 0 };
    static const uint8_t save[] = { 0x53, 0x55, 0x41, 0x54, 0x41, 0x55, 0x41, 0x56, 0x41, 0x57 };
    put(&a, save, sizeof save);
    mov_rip(&a, 1, HW_RSP, HW_STATE + ST_HOSTRSP);
    put1(&a, 0xff); /* push qword [rip+in_rflags] */
    put1(&a, 0x35);
    rel32(&a, HW_STATE + ST_INFL, 0);
    put1(&a, 0x9d); /* popfq */
    for (unsigned r = 0; r < 16; r++)
        if (r != HW_RSP) mov_rip(&a, 0, r, HW_STATE + ST_IN + 8 * r);
    mov_rip(&a, 0, HW_RSP, HW_STATE + ST_IN + 8 * HW_RSP);
    if (compat) {
        put1(&a, 0xff); /* jmp far [rip+farptr] (m16:32) */
        put1(&a, 0x2d);
        rel32(&a, HW_STATE + ST_FARPTR, 0);
    } else {
        put1(&a, 0xe9);
        rel32(&a, HW_CODE, 0);
    }
    uint64_t ret = a.addr + a.n;
    for (unsigned r = 0; r < 16; r++) mov_rip(&a, 1, r, HW_STATE + ST_OUT + 8 * r);
    put1(&a, 0x48); /* lea rsp, [rip+stacktop] */
    put1(&a, 0x8d);
    put1(&a, 0x25);
    rel32(&a, HW_STATE + ST_STACKTOP, 0);
    put1(&a, 0x9c); /* pushfq; pop rax */
    put1(&a, 0x58);
    mov_rip(&a, 1, HW_RAX, HW_STATE + ST_OUTFL);
    mov_rip(&a, 0, HW_RSP, HW_STATE + ST_HOSTRSP);
    /* back to the C ABI's flags (DF clear, AC clear) */
    static const uint8_t fl[] = { 0x68, 0x02, 0x02, 0x00, 0x00, 0x9d };
    put(&a, fl, sizeof fl);
    static const uint8_t restore[] = { 0x41, 0x5f, 0x41, 0x5e, 0x41, 0x5d, 0x41, 0x5c, 0x5d, 0x5b, 0xc3 };
    put(&a, restore, sizeof restore);
    return ret;
}

static void on_signal(int sig, siginfo_t *si, void *ucv)
{
    (void)si;
    ucontext_t *uc = ucv;
    greg_t *g = uc->uc_mcontext.gregs;
    if (!hw_in_insn) {
        /* a fault in the harness itself: give up on this child */
        static const char msg[] = "hwcheck: harness fault\n";
        ssize_t w = write(2, msg, sizeof msg - 1);
        (void)w;
        _exit(100 + sig);
    }
    hw_in_insn = 0;
    struct hw_result *r = hw_cur;
    r->fault = 1;
    r->vector = (unsigned)g[REG_TRAPNO];
    r->error_code = (uint32_t)g[REG_ERR];
    r->cr2 = (uint64_t)g[REG_CR2];
    r->rip = (uint64_t)g[REG_RIP];
    if (r->rip != HW_CODE) r->harness_error = 1;
    static const int map[16] = { REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI, REG_RDI,
                                 REG_R8, REG_R9, REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15 };
    for (int i = 0; i < 16; i++) r->gpr[i] = (uint64_t)g[map[i]];
    r->rflags = (uint64_t)g[REG_EFL];
    siglongjmp(hw_jb, 1);
}

void hw_initial_data(const struct hw_case *c, uint8_t *page)
{
    for (unsigned i = 0; i < HW_PAGE; i++) page[i] = c->pattern ? (uint8_t)(i * 37 + 11) : 0;
    if (c->mem_n) memcpy(page + c->mem_off, c->mem, c->mem_n);
}

/* One run; a separate frame so that nothing of the caller's lives across the siglongjmp. */
static __attribute__((noinline)) void run_one(const struct hw_case *c, struct hw_result *r, uint8_t *state)
{
    hw_cur = r;
    if (sigsetjmp(hw_jb, 1) == 0) {
        hw_in_insn = 1;
        ((void (*)(void))(uintptr_t)HW_STUB)();
        hw_in_insn = 0;
        memcpy(r->gpr, state + ST_OUT, sizeof r->gpr);
        memcpy(&r->rflags, state + ST_OUTFL, 8);
        r->rip = HW_CODE + c->n;
        if (c->compat)
            for (int k = 0; k < 8; k++) r->gpr[k] &= 0xffffffffull;
    }
}

static void *map_fixed(uint64_t addr, size_t len, int prot)
{
    void *p = mmap((void *)addr, len, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (p == MAP_FAILED || (uint64_t)p != addr) return NULL;
    return p;
}

static int child(const struct hw_case *cases, unsigned n, struct hw_result *results)
{
    uint8_t *code = map_fixed(HW_CODE, HW_PAGE, PROT_READ | PROT_WRITE);
    uint8_t *data = map_fixed(HW_DATA, HW_PAGE, PROT_READ | PROT_WRITE);
    uint8_t *ro = map_fixed(HW_RO, HW_PAGE, PROT_READ);
    uint8_t *stub = map_fixed(HW_STUB, HW_PAGE, PROT_READ | PROT_WRITE);
    uint8_t *state = map_fixed(HW_STATE, HW_PAGE, PROT_READ | PROT_WRITE);
    if (!code || !data || !ro || !stub || !state) return 2;
    /* Make the read-only page present (the zero page), so that a write to it faults with
     * P=1 as in the emulator's model, not as a not-present page. */
    volatile uint8_t sink = ro[0];
    (void)sink;

    static uint8_t altstack[65536];
    stack_t ss = { .ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0 };
    if (sigaltstack(&ss, NULL)) return 3;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_signal;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    const int sigs[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP };
    for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++) sigaction(sigs[i], &sa, NULL);

    int stub_mode = -1;
    for (unsigned i = 0; i < n; i++) {
        const struct hw_case *c = &cases[i];
        struct hw_result *r = &results[i];
        memset(r, 0, sizeof *r);
        if (c->compat != stub_mode) {
            mprotect(stub, HW_PAGE, PROT_READ | PROT_WRITE);
            memset(stub, 0xcc, HW_PAGE);
            hw_ret_point = build_stub(stub, c->compat);
            mprotect(stub, HW_PAGE, PROT_READ | PROT_EXEC);
            stub_mode = c->compat;
        }
        mprotect(code, HW_PAGE, PROT_READ | PROT_WRITE);
        memset(code, 0xcc, HW_PAGE);
        memcpy(code, c->bytes, c->n);
        uint8_t *j = code + c->n;
        if (c->compat) { /* jmp far 0x33:ret */
            j[0] = 0xea;
            uint32_t off = (uint32_t)hw_ret_point;
            memcpy(j + 1, &off, 4);
            j[5] = USER64_CS;
            j[6] = 0;
        } else { /* jmp rel32 ret */
            j[0] = 0xe9;
            int32_t d = (int32_t)(int64_t)(hw_ret_point - (HW_CODE + c->n + 5));
            memcpy(j + 1, &d, 4);
        }
        mprotect(code, HW_PAGE, PROT_READ | PROT_EXEC);
        hw_initial_data(c, data);
        memcpy(state + ST_IN, c->gpr, sizeof c->gpr);
        memcpy(state + ST_INFL, &c->rflags, 8);
        uint32_t off = (uint32_t)HW_CODE;
        uint16_t sel = USER32_CS;
        memcpy(state + ST_FARPTR, &off, 4);
        memcpy(state + ST_FARPTR + 4, &sel, 2);

        run_one(c, r, state);
        memcpy(r->data, data, HW_PAGE);
    }
    return 0;
}

int hw_native_run(const struct hw_case *cases, unsigned n, struct hw_result *results)
{
    size_t len = (sizeof *results * n + 4095) & ~(size_t)4095;
    struct hw_result *shared = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (shared == MAP_FAILED) return -1;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        munmap(shared, len);
        return -1;
    }
    if (pid == 0) _exit(child(cases, n, shared));
    int status;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "hwcheck: native child failed (status 0x%x)\n", status);
        munmap(shared, len);
        return -1;
    }
    memcpy(results, shared, sizeof *results * n);
    munmap(shared, len);
    return 0;
}
