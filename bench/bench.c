/*
 * libemulate benchmark: workloads of a hypervisor's VM-exit path, side by side with Zydis
 * (decode alone: the floor of a Zydis-based design), Unicorn 2 (single-instruction
 * uc_emu_start and a whole block) and native execution.
 *
 *   bench                       wall-clock ns per instruction, every workload (min of 5 runs)
 *   bench --only NAME           one workload
 *   bench --callgrind NAME N    run NAME N times inside measured(); bench/run.sh runs this under
 *                               valgrind --tool=callgrind --toggle-collect=measured and divides
 *                               the instruction count by N (stable host instructions per
 *                               emulated instruction, callbacks and decode included)
 *
 * The embedder here is what a hypervisor's exit handler looks like: flat guest RAM, an MMIO
 * window whose callbacks only latch the value, fixed long-mode segment state.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include <emulate/emulate.h>
#include <Zydis/Zydis.h>
#ifdef EMU_BENCH_UNICORN
#include <unicorn/unicorn.h>
#endif

/* ---- the bench vCPU --------------------------------------------------------------------- */

#define RAM_SIZE (1u << 20)
#define MMIO_BASE 0xfee00000ull

struct vcpu {
    uint8_t *ram;
    struct emu_regs regs;
    uint64_t mmio_last;
    uint32_t port_last;
    unsigned outs;
};

static const struct emu_segment flat_cs = { 0x10, 0xa9b, 0xffffffff, 0 };
static const struct emu_segment flat_ds = { 0x18, 0xc93, 0xffffffff, 0 };

/* A device register access of 1, 2, 4 or 8 bytes, as a device model does it (a library
 * memcpy of a variable size would cost the callback more than the access). */
static inline void put_sized(void *buf, uint64_t v, unsigned size)
{
    switch (size) {
    case 1: *(uint8_t *)buf = (uint8_t)v; break;
    case 2: { uint16_t x = (uint16_t)v; memcpy(buf, &x, 2); break; }
    case 4: { uint32_t x = (uint32_t)v; memcpy(buf, &x, 4); break; }
    default: memcpy(buf, &v, 8); break;
    }
}

static inline uint64_t get_sized(const void *buf, unsigned size)
{
    switch (size) {
    case 1: return *(const uint8_t *)buf;
    case 2: { uint16_t x; memcpy(&x, buf, 2); return x; }
    case 4: { uint32_t x; memcpy(&x, buf, 4); return x; }
    default: { uint64_t x; memcpy(&x, buf, 8); return x; }
    }
}

static enum emu_cb_status b_read(void *o, uint64_t la, void *buf, unsigned size, unsigned fl,
                                 struct emu_exception *e)
{
    struct vcpu *v = o;
    (void)fl; (void)e;
    if (la >= MMIO_BASE) {
        put_sized(buf, 0x12345678u + (la & 0xff), size);
        return EMU_CB_OK;
    }
    if (la + size > RAM_SIZE) return EMU_CB_UNHANDLED;
    memcpy(buf, v->ram + la, size);
    return EMU_CB_OK;
}

static enum emu_cb_status b_write(void *o, uint64_t la, const void *buf, unsigned size,
                                  unsigned fl, struct emu_exception *e)
{
    struct vcpu *v = o;
    (void)fl; (void)e;
    if (la >= MMIO_BASE) {
        v->mmio_last = get_sized(buf, size);
        return EMU_CB_OK;
    }
    if (la + size > RAM_SIZE) return EMU_CB_UNHANDLED;
    memcpy(v->ram + la, buf, size);
    return EMU_CB_OK;
}

static enum emu_cb_status b_cmpxchg(void *o, uint64_t la, void *exp, const void *des, unsigned size,
                                    unsigned fl, int *sw, struct emu_exception *e)
{
    struct vcpu *v = o;
    (void)fl; (void)e;
    if (la + size > RAM_SIZE) return EMU_CB_UNHANDLED;
    if (memcmp(v->ram + la, exp, size) == 0) {
        memcpy(v->ram + la, des, size);
        *sw = 1;
    } else {
        memcpy(exp, v->ram + la, size);
        *sw = 0;
    }
    return EMU_CB_OK;
}

static enum emu_cb_status b_get_seg(void *o, enum emu_seg s, struct emu_segment *out)
{
    (void)o;
    *out = s == EMU_SEG_CS ? flat_cs : flat_ds;
    return EMU_CB_OK;
}

static enum emu_cb_status b_get_cr(void *o, unsigned cr, uint64_t *v)
{
    (void)o;
    *v = cr == 0 ? 0x80000011u : cr == 4 ? 0x20 : 0;
    return EMU_CB_OK;
}

static enum emu_cb_status b_get_msr(void *o, uint32_t msr, uint64_t *v)
{
    (void)o;
    *v = msr == EMU_MSR_EFER ? 0x500 : 0;
    return EMU_CB_OK;
}

/* Bulk REP callbacks: RAM ranges with memmove/memset, a port with a loop. */
static enum emu_cb_status b_rep_movs(void *o, uint64_t dst, uint64_t src, unsigned size, uint64_t n,
                                     int back, unsigned fl, uint64_t *done, struct emu_exception *e)
{
    struct vcpu *v = o;
    const uint64_t bytes = n * size, d = back ? dst + size - bytes : dst, s = back ? src + size - bytes : src;
    (void)fl; (void)e;
    if (d + bytes > RAM_SIZE || s + bytes > RAM_SIZE) return EMU_CB_UNHANDLED;
    memmove(v->ram + d, v->ram + s, bytes);
    *done = n;
    return EMU_CB_OK;
}

static enum emu_cb_status b_rep_stos(void *o, uint64_t dst, uint64_t val, unsigned size, uint64_t n,
                                     int back, unsigned fl, uint64_t *done, struct emu_exception *e)
{
    struct vcpu *v = o;
    const uint64_t bytes = n * size, d = back ? dst + size - bytes : dst;
    (void)fl; (void)e;
    if (d + bytes > RAM_SIZE) return EMU_CB_UNHANDLED;
    if (size == 1) memset(v->ram + d, (int)val, bytes);
    else for (uint64_t i = 0; i < n; i++) memcpy(v->ram + d + i * size, &val, size);
    *done = n;
    return EMU_CB_OK;
}

static enum emu_cb_status b_rep_outs(void *o, uint16_t port, uint64_t src, unsigned size, uint64_t n,
                                     int back, unsigned fl, uint64_t *done, struct emu_exception *e)
{
    struct vcpu *v = o;
    const uint64_t bytes = n * size, s = back ? src + size - bytes : src;
    (void)port; (void)fl; (void)e;
    if (s + bytes > RAM_SIZE) return EMU_CB_UNHANDLED;
    for (uint64_t i = 0; i < bytes; i += size) v->port_last = v->ram[s + i];
    v->outs += (unsigned)n;
    *done = n;
    return EMU_CB_OK;
}

static enum emu_cb_status b_get_state(void *o, struct emu_cpu_state *st)
{
    (void)o;
    st->cr0 = 0x80000011u;
    st->cr4 = 0x20;
    st->efer = 0x500;
    st->cs = flat_cs;
    st->ss = flat_ds;
    return EMU_CB_OK;
}

static enum emu_cb_status b_io_out(void *o, uint16_t port, unsigned size, uint32_t val)
{
    struct vcpu *v = o;
    (void)port; (void)size;
    v->port_last = val;
    v->outs++;
    return EMU_CB_OK;
}

static const struct emu_ops bench_ops = {
    .read = b_read, .write = b_write, .fetch = b_read, .cmpxchg = b_cmpxchg,
    .get_state = b_get_state, .get_seg = b_get_seg, .get_cr = b_get_cr, .get_msr = b_get_msr,
    .io_out = b_io_out, .rep_movs = b_rep_movs, .rep_stos = b_rep_stos, .rep_outs = b_rep_outs,
};

/* ---- workloads -------------------------------------------------------------------------- */

enum kind { K_SINGLE, K_BLOCK, K_REP };

struct work {
    const char *name;
    const char *what;
    uint8_t code[16]; /* zero-padded: 15 bytes are handed to emu_step */
    unsigned len;
    unsigned insns_per_run; /* emulated instructions one run stands for */
    enum kind kind;
};

/* The 1,000-instruction ALU block (caller-saved registers only, so it also runs natively). */
static uint8_t block[8192];
static unsigned block_len, block_count;

static void make_block(void)
{
    static const uint8_t forms[][5] = {
        { 3, 0x48, 0x01, 0xc8 }, /* add rax, rcx */
        { 3, 0x48, 0x29, 0xd1 }, /* sub rcx, rdx */
        { 2, 0x31, 0xf2 },       /* xor edx, esi */
        { 3, 0x48, 0x21, 0xfe }, /* and rsi, rdi */
        { 3, 0x4c, 0x09, 0xc7 }, /* or rdi, r8 */
        { 3, 0x49, 0xd1, 0xe0 }, /* shl r8, 1 */
        { 3, 0x49, 0xff, 0xc1 }, /* inc r9 */
        { 3, 0x4d, 0x01, 0xca }, /* add r10, r9 */
        { 3, 0x4d, 0x31, 0xd3 }, /* xor r11, r10 */
        { 3, 0x48, 0x89, 0xc2 }, /* mov rdx, rax */
        { 4, 0x48, 0x83, 0xc0, 0x07 }, /* add rax, 7 */
        { 3, 0x48, 0xff, 0xc9 }, /* dec rcx */
    };
    unsigned n = 0, pos = 0;
    for (; n < 1000; n++) {
        const uint8_t *f = forms[(n * 7) % (sizeof forms / sizeof forms[0])];
        memcpy(block + pos, f + 1, f[0]);
        pos += f[0];
    }
    block[pos] = 0xc3; /* ret, for the native run */
    block_len = pos;
    block_count = n;
}

static struct work works[] = {
    { "mmio_store", "mov [rbx], eax (MMIO write callback)", { 0x89, 0x03 }, 2, 1 },
    { "mmio_load", "mov eax, [rbx+rcx*8+0x10] (MMIO read callback)", { 0x8b, 0x44, 0xcb, 0x10 }, 4, 1 },
    { "add", "add eax, ebx", { 0x01, 0xd8 }, 2, 1 },
    { "nop", "nop (the fixed cost of a step)", { 0x90 }, 1, 1 },
    { "lock_xadd", "lock xadd [rbx], eax (RAM, cmpxchg callback)", { 0xf0, 0x0f, 0xc1, 0x03 }, 4, 1 },
    { "cmpxchg", "cmpxchg [rbx], ecx (RAM)", { 0x0f, 0xb1, 0x0b }, 3, 1 },
    { "block1000", "1,000 mixed ALU instructions, fetched through the callback", { 0 }, 0, 1000, K_BLOCK },
    { "rep_movsb", "rep movsb, 4 KiB RAM to RAM (bulk callback)", { 0xf3, 0xa4 }, 2, 1, K_REP },
    { "rep_stosq", "rep stosq, 4 KiB (bulk callback)", { 0xf3, 0x48, 0xab }, 3, 1, K_REP },
    { "rep_outsb", "rep outsb, 4 KiB to a port (bulk callback)", { 0xf3, 0x6e }, 2, 1, K_REP },
};
#define NWORKS (sizeof works / sizeof works[0])

static struct vcpu V;
static int use_get_state;
static struct emu_cpu_state exit_state;
static struct emu_ctx C;

static void setup(void)
{
    V.ram = calloc(1, RAM_SIZE);
    if (!V.ram) exit(1);
    struct emu_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.vendor = EMU_VENDOR_AMD;
    cfg.maxphyaddr = 48;
    /* BENCH_NO_DECODE_CACHE=1 measures the decoder instead of the cache */
    if (getenv("BENCH_NO_DECODE_CACHE")) cfg.model_flags |= EMU_MODEL_NO_DECODE_CACHE;
    emu_init(&C, &cfg, &bench_ops, &V, &V.regs);
    use_get_state = getenv("BENCH_GET_STATE") != NULL;
    b_get_state(&V, &exit_state);
    make_block();
    memcpy(V.ram + 0x10000, block, block_len + 1);
}

static void prepare(const struct work *w)
{
    memset(&V.regs, 0, sizeof V.regs);
    V.regs.rflags = 2;
    V.regs.rip = 0x1000;
    V.regs.gpr[EMU_RAX] = 0x1234;
    V.regs.gpr[EMU_RCX] = 2;
    V.regs.gpr[EMU_RBX] = !strncmp(w->name, "mmio", 4) ? MMIO_BASE : 0x8000;
    if (!strncmp(w->name, "rep_", 4)) {
        V.regs.gpr[EMU_RCX] = !strcmp(w->name, "rep_stosq") ? 512 : 4096;
        V.regs.gpr[EMU_RSI] = 0x20000;
        V.regs.gpr[EMU_RDI] = 0x30000;
        V.regs.gpr[EMU_RDX] = 0x3f8;
    }
    memcpy(V.ram + 0x1000, w->code, w->len);
}

/* The exit handler's step: the state the exit gave it (a VMCB holds CR0, CR4, EFER, CS and
 * SS) goes to emu_step_state; BENCH_GET_STATE=1 measures emu_step with the get_state
 * callback instead. */

static inline void exit_step(const uint8_t *code)
{
    if (use_get_state) emu_step(&C, code, 15);
    else emu_step_state(&C, code, 15, &exit_state);
}

/* One run of a workload: returns the number of emulated instructions. */
static unsigned run_once(const struct work *w)
{
    if (w->kind == K_BLOCK) {
        V.regs.rip = 0x10000;
        for (unsigned i = 0; i < block_count; i++) emu_step(&C, NULL, 0);
        return block_count;
    }
    if (w->kind == K_REP) {
        const uint64_t rcx = V.regs.gpr[EMU_RCX], rsi = V.regs.gpr[EMU_RSI], rdi = V.regs.gpr[EMU_RDI];
        V.regs.rip = 0x1000;
        do exit_step(w->code);
        while (V.regs.rip == 0x1000 && C.result.status == EMU_OK);
        V.regs.gpr[EMU_RCX] = rcx;
        V.regs.gpr[EMU_RSI] = rsi;
        V.regs.gpr[EMU_RDI] = rdi;
        return 1;
    }
    V.regs.rip = 0x1000;
    exit_step(w->code); /* as a VMCB's decode assist gives them: 15 bytes */
    return 1;
}

/* The region callgrind measures (--toggle-collect=measured). */
__attribute__((noinline, noclone)) static unsigned long measured(const struct work *w, unsigned long n)
{
    unsigned long insns = 0;
    if (w->kind == K_SINGLE) {
        /* one exit per iteration, and nothing else: the loop is all the harness costs */
        for (unsigned long i = 0; i < n; i++) {
            V.regs.rip = 0x1000;
            exit_step(w->code);
        }
        return n;
    }
    for (unsigned long i = 0; i < n; i++) insns += run_once(w);
    return insns;
}

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static double time_work(const struct work *w, unsigned long n)
{
    double best = 1e300;
    prepare(w);
    measured(w, n / 10 + 1); /* warm up */
    for (int r = 0; r < 5; r++) {
        double t0 = now_ns();
        unsigned long insns = measured(w, n);
        double t = (now_ns() - t0) / (double)insns;
        if (t < best) best = t;
    }
    return best;
}

/* ---- peers ------------------------------------------------------------------------------ */

static const uint8_t zydis_insn[] = { 0x48, 0x8b, 0x44, 0xcb, 0x10 }; /* mov rax,[rbx+rcx*8+0x10] */

__attribute__((noinline, noclone)) static unsigned long zydis_measured(unsigned long n)
{
    ZydisDecoder d;
    ZydisDecodedInstruction ins;
    ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
    ZydisDecoderInit(&d, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
    unsigned long ok = 0;
    for (unsigned long i = 0; i < n; i++)
        ok += ZYAN_SUCCESS(ZydisDecoderDecodeFull(&d, zydis_insn, sizeof zydis_insn, &ins, ops));
    return ok;
}

static double time_zydis(unsigned long n)
{
    double best = 1e300;
    for (int r = 0; r < 5; r++) {
        double t0 = now_ns();
        zydis_measured(n);
        double t = (now_ns() - t0) / (double)n;
        if (t < best) best = t;
    }
    return best;
}

typedef void (*native_fn)(void);

__attribute__((noinline, noclone)) static unsigned long native_measured(native_fn fn, unsigned long n)
{
    for (unsigned long i = 0; i < n; i++) fn();
    return n * block_count;
}

static double time_native(unsigned long n)
{
    void *x = mmap(NULL, 16384, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (x == MAP_FAILED) return -1;
    memcpy(x, block, block_len + 1);
    native_fn fn;
    memcpy(&fn, &x, sizeof fn);
    double best = 1e300;
    for (int r = 0; r < 5; r++) {
        double t0 = now_ns();
        unsigned long insns = native_measured(fn, n);
        double t = (now_ns() - t0) / (double)insns;
        if (t < best) best = t;
    }
    munmap(x, 16384);
    return best;
}

#ifdef EMU_BENCH_UNICORN
static uc_engine *uc;

static void uc_setup(void)
{
    if (uc_open(UC_ARCH_X86, UC_MODE_64, &uc) != UC_ERR_OK) exit(1);
    uc_mem_map(uc, 0, RAM_SIZE, UC_PROT_ALL);
    uc_mem_write(uc, 0x10000, block, block_len + 1);
    static const uint8_t add[] = { 0x01, 0xd8 };
    uc_mem_write(uc, 0x1000, add, sizeof add);
}

/* One instruction per uc_emu_start: what an exit handler built on Unicorn would do. */
__attribute__((noinline, noclone)) static unsigned long unicorn_single_measured(unsigned long n)
{
    for (unsigned long i = 0; i < n; i++) uc_emu_start(uc, 0x1000, 0x1002, 0, 1);
    return n;
}

__attribute__((noinline, noclone)) static unsigned long unicorn_block_measured(unsigned long n)
{
    for (unsigned long i = 0; i < n; i++) uc_emu_start(uc, 0x10000, 0x10000 + block_len, 0, 0);
    return n * block_count;
}

static double time_unicorn(int block_mode, unsigned long n)
{
    double best = 1e300;
    for (int r = 0; r < 3; r++) {
        double t0 = now_ns();
        unsigned long insns = block_mode ? unicorn_block_measured(n) : unicorn_single_measured(n);
        double t = (now_ns() - t0) / (double)insns;
        if (t < best) best = t;
    }
    return best;
}
#endif

/* ---- main ------------------------------------------------------------------------------- */

static const struct work *find(const char *name)
{
    for (unsigned i = 0; i < NWORKS; i++)
        if (!strcmp(works[i].name, name)) return &works[i];
    return NULL;
}

int main(int argc, char **argv)
{
    setup();
#ifdef EMU_BENCH_UNICORN
    uc_setup();
#endif
    if (argc == 4 && !strcmp(argv[1], "--callgrind")) {
        unsigned long n = strtoul(argv[3], NULL, 0);
        const char *name = argv[2];
        unsigned long insns;
        if (!strcmp(name, "zydis_decode")) insns = zydis_measured(n) ? n : n;
#ifdef EMU_BENCH_UNICORN
        else if (!strcmp(name, "unicorn_single")) insns = unicorn_single_measured(n);
        else if (!strcmp(name, "unicorn_block")) insns = unicorn_block_measured(n);
#endif
        else {
            const struct work *w = find(name);
            if (!w) {
                fprintf(stderr, "bench: unknown workload '%s'\n", name);
                return 2;
            }
            prepare(w);
            insns = measured(w, n);
        }
        printf("insns %lu\n", insns);
        return 0;
    }
    const char *only = argc == 3 && !strcmp(argv[1], "--only") ? argv[2] : NULL;
    printf("%-16s %12s  %s\n", "workload", "ns/insn", "what");
    for (unsigned i = 0; i < NWORKS; i++) {
        const struct work *w = &works[i];
        if (only && strcmp(only, w->name)) continue;
        unsigned long n = !strcmp(w->name, "block1000") ? 2000 : !strncmp(w->name, "rep_", 4) ? 200 : 200000;
        printf("%-16s %12.1f  %s\n", w->name, time_work(w, n), w->what);
    }
    if (!only) {
        printf("%-16s %12.1f  %s\n", "zydis_decode", time_zydis(200000), "Zydis 4.0 full decode of mov rax,[rbx+rcx*8+0x10] (peer)");
#ifdef EMU_BENCH_UNICORN
        printf("%-16s %12.1f  %s\n", "unicorn_single", time_unicorn(0, 2000), "Unicorn 2: uc_emu_start of one add (peer)");
        printf("%-16s %12.1f  %s\n", "unicorn_block", time_unicorn(1, 200), "Unicorn 2: the 1,000-instruction block (peer)");
#endif
        printf("%-16s %12.2f  %s\n", "native", time_native(20000), "the 1,000-instruction block on this CPU (the limit)");
    }
    return 0;
}
