/*
 * The curated cases of tests/vectors/gp_long64_cpl3.jsonl: `emulate record --curated` runs
 * them on this CPU at CPL 3 and writes what it observed as vectors
 * (tests/vectors/gp_long64_cpl3.gen.sh).
 *
 * Layout (hw.h): code at 0x10000000 (rx), data at 0x10001000 (rw), a read-only page at
 * 0x10002000, nothing at 0x10003000.  Every case starts with RSI = data + 0x800 and
 * RSP = data + 0xf00; the data page is zero except for the bytes a case gives.
 */
#include "hw.h"

#include <stdlib.h>
#include <string.h>

#include "machine.h"

static struct hw_case *vc(struct hw_caselist *l, const char *name, const char *hex, uint64_t rflags)
{
    struct hw_case *c = hw_add(l);
    snprintf(c->name, sizeof c->name, "%s", name);
    int n = hex_decode(hex, c->bytes, sizeof c->bytes);
    if (n <= 0 || n > 15) {
        fprintf(stderr, "emulate: bad hex in curated case %s\n", name);
        exit(3);
    }
    c->n = (unsigned)n;
    c->rflags = HW_RFLAGS_BASE | rflags;
    return c;
}

/* Bytes at data + off (little-endian value of size bytes). */
static void mem(struct hw_case *c, unsigned off, uint64_t v, unsigned size)
{
    c->mem_off = off;
    c->mem_n = size;
    for (unsigned i = 0; i < size; i++) c->mem[i] = (uint8_t)(v >> (8 * i));
}

#define ALL 0x8d5ull /* every arithmetic flag */

void hw_vector_cases(struct hw_caselist *l)
{
    struct hw_case *c;

    /* ---- ALU ---- */
    c = vc(l, "add rax, rbx: signed overflow", "4801d8", 0);
    c->gpr[HW_RAX] = 0x7fffffffffffffffull, c->gpr[HW_RBX] = 1;
    c = vc(l, "add al, 1: carry out of the byte", "0401", 0);
    c->gpr[HW_RAX] = 0x11223344556677ffull;
    c = vc(l, "add ecx, 1: 32-bit result zero-extended", "83c101", ALL);
    c->gpr[HW_RCX] = 0xffffffff00000001ull;
    c = vc(l, "adc eax, ebx with CF", "11d8", 1);
    c->gpr[HW_RAX] = 0xfffffffe, c->gpr[HW_RBX] = 1;
    c = vc(l, "sbb eax, ebx: borrow", "19d8", 1);
    c->gpr[HW_RAX] = 0, c->gpr[HW_RBX] = 0;
    c = vc(l, "sub eax, 0x80000000", "2d00000080", 0);
    c->gpr[HW_RAX] = 0x80000000;
    c = vc(l, "cmp eax, 1: overflow, eax kept", "3d01000000", 0);
    c->gpr[HW_RAX] = 0x80000000;
    c = vc(l, "and rax, rbx: CF OF cleared", "4821d8", ALL);
    c->gpr[HW_RAX] = 0xf0f0f0f0f0f0f0f0ull, c->gpr[HW_RBX] = 0x8000000000000001ull;
    c = vc(l, "or cl, 0x80", "80c980", 0);
    c->gpr[HW_RCX] = 0x1234;
    c = vc(l, "xor eax, eax", "31c0", ALL);
    c->gpr[HW_RAX] = 0xffffffffffffffffull;
    c = vc(l, "test bl, bl", "84db", 0);
    c->gpr[HW_RBX] = 0x80;
    c = vc(l, "sub ah, bl", "28dc", 0);
    c->gpr[HW_RAX] = 0x1000, c->gpr[HW_RBX] = 0x11;
    c = vc(l, "inc dword [rsi]: CF kept", "ff06", 1);
    mem(c, 0x800, 0xffffffff, 4);
    c = vc(l, "dec bx", "66ffcb", 0);
    c->gpr[HW_RBX] = 0xffff0000;
    c = vc(l, "neg rax: INT64_MIN", "48f7d8", 0);
    c->gpr[HW_RAX] = 0x8000000000000000ull;
    c = vc(l, "not byte [rsi]", "f616", ALL);
    mem(c, 0x800, 0x5a, 1);
    c = vc(l, "add [rsi], eax", "0106", 0);
    c->gpr[HW_RAX] = 0x80000000;
    mem(c, 0x800, 0x80000001, 4);
    c = vc(l, "lock sub qword [rsi], rbx", "f048291e", 0);
    c->gpr[HW_RBX] = 2;
    mem(c, 0x800, 1, 8);

    /* ---- shifts and rotates ---- */
    c = vc(l, "shl eax, cl: count 33 masked to 1", "d3e0", 0);
    c->gpr[HW_RAX] = 0x80000001, c->gpr[HW_RCX] = 33;
    c = vc(l, "shr rax, cl: count 0x41 masked to 1", "48d3e8", 0);
    c->gpr[HW_RAX] = 0x8000000000000003ull, c->gpr[HW_RCX] = 0x41;
    c = vc(l, "sar byte [rsi], 3", "c03e03", 0);
    mem(c, 0x800, 0x84, 1);
    c = vc(l, "rol ax, 1", "66d1c0", 0);
    c->gpr[HW_RAX] = 0x12348001;
    c = vc(l, "ror r8d, cl", "41d3c8", 0);
    c->gpr[HW_R8] = 0xffffffff00000011ull, c->gpr[HW_RCX] = 4;
    c = vc(l, "rcl bl, cl: count 9 is a full turn", "d2d3", 1);
    c->gpr[HW_RBX] = 0x81, c->gpr[HW_RCX] = 9;
    c = vc(l, "rcr qword [rsi], 1", "48d11e", 1);
    mem(c, 0x800, 0x0123456789abcdefull, 8);
    c = vc(l, "shl ebx, cl: count 32 -> 0, flags kept, ebx zero-extended", "d3e3", ALL);
    c->gpr[HW_RBX] = 0xdeadbeef12345678ull, c->gpr[HW_RCX] = 32;
    c = vc(l, "shld eax, ebx, 4", "0fa4d804", 0);
    c->gpr[HW_RAX] = 0x12345678, c->gpr[HW_RBX] = 0x9abcdef0;
    c = vc(l, "shrd rax, rbx, cl=60", "480fadd8", 0);
    c->gpr[HW_RAX] = 0x123456789abcdeffull, c->gpr[HW_RBX] = 0xfedcba9876543210ull, c->gpr[HW_RCX] = 60;
    c = vc(l, "shld ax, bx, cl=20 (AMD: source rotated by 4)", "660fa5d8", 0);
    c->gpr[HW_RAX] = 0x1234, c->gpr[HW_RBX] = 0xabcd, c->gpr[HW_RCX] = 20;
    c = vc(l, "sar eax, 31", "c1f81f", 0);
    c->gpr[HW_RAX] = 0x80000000;
    c = vc(l, "shl al, cl: count 8 on a byte", "d2e0", 0);
    c->gpr[HW_RAX] = 0x81, c->gpr[HW_RCX] = 8;
    c = vc(l, "shr word [rsi], cl=2 (AMD: OF 0, AF 1)", "66d32e", 0);
    c->gpr[HW_RCX] = 2;
    mem(c, 0x800, 0x8001, 2);

    /* ---- multiply and divide ---- */
    c = vc(l, "mul bl", "f6e3", 0);
    c->gpr[HW_RAX] = 0x80, c->gpr[HW_RBX] = 2;
    c = vc(l, "mul ebx: edx:eax", "f7e3", ALL);
    c->gpr[HW_RAX] = 0xffffffffffffffffull, c->gpr[HW_RBX] = 0xffffffff;
    c = vc(l, "mul qword [rsi]", "48f726", 0);
    c->gpr[HW_RAX] = 0x100000000ull;
    mem(c, 0x800, 0x100000000ull, 8);
    c = vc(l, "imul cx: -32768 * -1", "66f7e9", 0);
    c->gpr[HW_RAX] = 0x8000, c->gpr[HW_RCX] = 0xffff;
    c = vc(l, "imul rax, rbx: overflow", "480fafc3", 0);
    c->gpr[HW_RAX] = 0x4000000000000000ull, c->gpr[HW_RBX] = 2;
    c = vc(l, "imul ecx, ebx, -2", "6bcbfe", 0);
    c->gpr[HW_RBX] = 7;
    c = vc(l, "imul rcx, [rsi], 0x12345678", "48690e78563412", 0);
    mem(c, 0x800, 0xfffffffffffffff0ull, 8);
    c = vc(l, "div bl", "f6f3", 0);
    c->gpr[HW_RAX] = 0x1234, c->gpr[HW_RBX] = 0x56;
    c = vc(l, "div rbx: 128/64", "48f7f3", ALL);
    c->gpr[HW_RDX] = 0x0123456789abcdefull, c->gpr[HW_RAX] = 0xfedcba9876543210ull;
    c->gpr[HW_RBX] = 0xfedcba9876543211ull;
    c = vc(l, "idiv ecx: negative dividend", "f7f9", 0);
    c->gpr[HW_RDX] = 0xffffffff, c->gpr[HW_RAX] = 0xfffffff9, c->gpr[HW_RCX] = 2;
    c = vc(l, "div ebx by zero: #DE", "f7f3", 0);
    c->gpr[HW_RAX] = 5;
    c = vc(l, "idiv rbx: INT64_MIN / -1 is #DE", "48f7fb", 0);
    c->gpr[HW_RAX] = 0x8000000000000000ull, c->gpr[HW_RDX] = ~0ull, c->gpr[HW_RBX] = ~0ull;
    c = vc(l, "idiv bl: -128 / -1 is #DE", "f6fb", 0);
    c->gpr[HW_RAX] = 0xff80, c->gpr[HW_RBX] = 0xff;
    c = vc(l, "div word [rsi]: quotient overflow #DE", "66f736", 0);
    c->gpr[HW_RDX] = 1;
    mem(c, 0x800, 1, 2);

    /* ---- bit instructions ---- */
    c = vc(l, "bt eax, 33: immediate mod 32", "0fbae021", 0);
    c->gpr[HW_RAX] = 2;
    c = vc(l, "bts dword [rsi], ecx=-1: the dword below", "0fab0e", 0);
    c->gpr[HW_RCX] = 0xffffffff;
    c = vc(l, "btr qword [rsi], rcx=-65", "480fb30e", 0);
    c->gpr[HW_RCX] = (uint64_t)-65;
    c->mem_off = 0x7f0, c->mem_n = 8;
    memset(c->mem, 0xff, 8);
    c = vc(l, "btc word [rsi], cx=100", "660fbb0e", 0);
    c->gpr[HW_RCX] = 100;
    c = vc(l, "bsf eax, ebx: zero source keeps rax", "0fbcc3", 0);
    c->gpr[HW_RAX] = 0x1111222233334444ull;
    c = vc(l, "bsr rax, rbx", "480fbdc3", 0);
    c->gpr[HW_RBX] = 0x0000100000000800ull;
    c = vc(l, "popcnt rax, [rsi]", "f3480fb806", ALL);
    mem(c, 0x800, 0x00ff00ff00000001ull, 8);
    c = vc(l, "lzcnt ecx, ebx: zero source", "f30fbdcb", 0);
    c = vc(l, "tzcnt ax, bx", "66f30fbcc3", 0);
    c->gpr[HW_RAX] = 0xaaaaaaaaaaaaaaaaull, c->gpr[HW_RBX] = 0x8000;
    c = vc(l, "andn eax, ecx, ebx", "c4e270f2c3", ALL);
    c->gpr[HW_RCX] = 0x0f0f0f0f, c->gpr[HW_RBX] = 0xffff00ff;
    c = vc(l, "bextr rax, rbx, rcx", "c4e2f0f7c3", 0);
    c->gpr[HW_RBX] = 0x0123456789abcdefull, c->gpr[HW_RCX] = 0x1008;
    c = vc(l, "blsr ecx, dword [rsi]", "c4e270f30e", 0);
    mem(c, 0x800, 0xf0, 4);
    c = vc(l, "bzhi eax, ebx, ecx: index 32 sets CF", "c4e270f5c3", 0);
    c->gpr[HW_RBX] = 0xffffffff, c->gpr[HW_RCX] = 32;
    c = vc(l, "mulx rax, rcx, rbx", "c4e2f3f6c3", ALL);
    c->gpr[HW_RDX] = 0xfedcba9876543210ull, c->gpr[HW_RBX] = 0x0123456789abcdefull;
    c = vc(l, "mulx rcx, rcx, rbx: hi == lo", "c4e2f3f6cb", 0);
    c->gpr[HW_RDX] = 0xfedcba9876543210ull, c->gpr[HW_RBX] = 0x0123456789abcdefull;
    c = vc(l, "pdep rax, rcx, rbx", "c4e2f3f5c3", 0);
    c->gpr[HW_RCX] = 0xb, c->gpr[HW_RBX] = 0xf0f0f0f0f0f0f0f0ull;
    c = vc(l, "pext eax, ecx, dword [rsi]", "c4e272f506", 0);
    c->gpr[HW_RCX] = 0x12345678;
    mem(c, 0x800, 0xff00ff00, 4);
    c = vc(l, "rorx rax, rbx, 13", "c4e3fbf0c30d", 0);
    c->gpr[HW_RBX] = 0x0123456789abcdefull;
    c = vc(l, "sarx eax, ebx, ecx: count masked", "c4e272f7c3", 0);
    c->gpr[HW_RBX] = 0x80000000, c->gpr[HW_RCX] = 36;
    c = vc(l, "shlx rax, rbx, rcx", "c4e2f1f7c3", ALL);
    c->gpr[HW_RBX] = 0x80000001, c->gpr[HW_RCX] = 0x43;
    c = vc(l, "shrx eax, dword [rsi], ecx", "c4e273f706", 0);
    c->gpr[HW_RCX] = 4;
    mem(c, 0x800, 0x80000000, 4);
    c = vc(l, "adcx eax, ebx: only CF", "660f38f6c3", 0x8d5);
    c->gpr[HW_RAX] = 0xffffffff;
    c = vc(l, "adox rax, rbx: only OF", "f3480f38f6c3", 0x800);
    c->gpr[HW_RAX] = ~0ull, c->gpr[HW_RBX] = 1;
    c = vc(l, "crc32 ecx, byte [rsi]", "f20f38f00e", 0);
    c->gpr[HW_RCX] = 0xffffffff;
    mem(c, 0x800, '1', 1);
    c = vc(l, "crc32 rax, qword [rsi]", "f2480f38f106", 0);
    c->gpr[HW_RAX] = 0xdeadbeefffffffffull;
    mem(c, 0x800, 0x3837363534333231ull, 8);

    /* ---- BCD: #UD in 64-bit mode ---- */
    vc(l, "daa is #UD in 64-bit mode", "27", 0);
    vc(l, "das is #UD in 64-bit mode", "2f", 0);
    vc(l, "aaa is #UD in 64-bit mode", "37", 0);
    vc(l, "aas is #UD in 64-bit mode", "3f", 0);
    vc(l, "aam is #UD in 64-bit mode", "d40a", 0);
    vc(l, "aad is #UD in 64-bit mode", "d50a", 0);

    /* ---- data movement ---- */
    c = vc(l, "mov rax, [rsi]", "488b06", 0);
    mem(c, 0x800, 0x8877665544332211ull, 8);
    c = vc(l, "mov [rsi+8], ebx", "895e08", 0);
    c->gpr[HW_RBX] = 0xaabbccdd11223344ull;
    c = vc(l, "mov al, [rip+0x100a]: RIP-relative into the data page", "8a050a100000", 0);
    c->gpr[HW_RAX] = 0xffffffffffffffffull;
    mem(c, 0x10, 0x42, 1);
    c = vc(l, "movzx eax, byte [rsi]", "0fb606", 0);
    c->gpr[HW_RAX] = ~0ull;
    mem(c, 0x800, 0x80, 1);
    c = vc(l, "movsx rax, word [rsi]", "480fbf06", 0);
    mem(c, 0x800, 0x8000, 2);
    c = vc(l, "movsxd rax, ebx", "4863c3", 0);
    c->gpr[HW_RBX] = 0x80000000;
    c = vc(l, "xchg [rsi], rax", "488706", 0);
    c->gpr[HW_RAX] = 0x1111111111111111ull;
    mem(c, 0x800, 0x2222222222222222ull, 8);
    c = vc(l, "cmpxchg [rsi], ecx: equal", "0fb10e", 0);
    c->gpr[HW_RAX] = 5, c->gpr[HW_RCX] = 9;
    mem(c, 0x800, 5, 4);
    c = vc(l, "cmpxchg [rsi], ecx: not equal", "0fb10e", 0);
    c->gpr[HW_RAX] = 0xffffffff00000004ull, c->gpr[HW_RCX] = 9;
    mem(c, 0x800, 5, 4);
    c = vc(l, "lock xadd [rsi], eax", "f00fc106", 0);
    c->gpr[HW_RAX] = 0xffffffff;
    mem(c, 0x800, 1, 4);
    c = vc(l, "bswap eax", "0fc8", 0);
    c->gpr[HW_RAX] = 0xffffffff12345678ull;
    c = vc(l, "bswap rax", "480fc8", 0);
    c->gpr[HW_RAX] = 0x0123456789abcdefull;
    c = vc(l, "movbe eax, [rsi]", "0f38f006", 0);
    mem(c, 0x800, 0x12345678, 4);
    c = vc(l, "cmovz rax, rbx: taken", "480f44c3", 0x40);
    c->gpr[HW_RBX] = 7;
    c = vc(l, "cmovz eax, ebx: not taken still zero-extends", "0f44c3", 0);
    c->gpr[HW_RAX] = 0xffffffff00000001ull, c->gpr[HW_RBX] = 7;
    c = vc(l, "setc byte [rsi]", "0f9206", 1);
    c = vc(l, "lea rax, [rsi+rbx*4+8]", "488d449e08", 0);
    c->gpr[HW_RBX] = 3;
    c = vc(l, "push rbx", "53", 0);
    c->gpr[HW_RBX] = 0x0123456789abcdefull;
    c = vc(l, "pop rcx", "59", 0);
    mem(c, 0xf00, 0xfedcba9876543210ull, 8);
    c = vc(l, "lahf", "9f", 0xd5);
    c = vc(l, "cdqe", "4898", 0);
    c->gpr[HW_RAX] = 0x80000000;
    c = vc(l, "cqo", "4899", 0);
    c->gpr[HW_RAX] = 0x8000000000000000ull;

    /* ---- faults ---- */
    c = vc(l, "mov [rsi], eax: read-only page, #PF P|W|U", "8906", 0);
    c->gpr[HW_RSI] = HW_RO + 0x10;
    c = vc(l, "mov eax, [rsi]: unmapped page, #PF U", "8b06", 0);
    c->gpr[HW_RSI] = HW_HOLE + 0x20;
    c = vc(l, "mov [rsi], eax: unmapped page, #PF W|U", "8906", 0);
    c->gpr[HW_RSI] = HW_HOLE;
    c = vc(l, "add dword [rsi], 1: read-modify-write of a read-only page", "830601", 0);
    c->gpr[HW_RSI] = HW_RO;
    c = vc(l, "shl dword [rsi], cl=0 on a read-only page still faults", "d326", 0);
    c->gpr[HW_RSI] = HW_RO + 0x40;
    c = vc(l, "mov rax, [rsi]: split read-only/unmapped, cr2 on the second page", "488b06", 0);
    c->gpr[HW_RSI] = HW_RO + 0xffc;
    c = vc(l, "mov [rsi], rax: split data/read-only, nothing written", "488906", 0);
    c->gpr[HW_RSI] = HW_DATA + 0xffc, c->gpr[HW_RAX] = ~0ull;
    c = vc(l, "bts dword [rsi], ecx: bit offset reaches the read-only page", "0fab0e", 0);
    c->gpr[HW_RCX] = 0x800 * 8;
    c = vc(l, "push rax: stack in an unmapped page", "50", 0);
    c->gpr[HW_RSP] = HW_HOLE + 0x10;
    c = vc(l, "mov rax, [rsi]: non-canonical, #GP(0)", "488b06", 0);
    c->gpr[HW_RSI] = 0x8000000000000000ull;
    c = vc(l, "push rax: non-canonical stack, #SS(0)", "50", 0);
    c->gpr[HW_RSP] = 0x8000000000000010ull;
    vc(l, "hlt at CPL 3: #GP(0)", "f4", 0);
    vc(l, "cli at CPL 3 with IOPL 0: #GP(0)", "fa", 0);
}
