#!/usr/bin/env python3
"""Write tests/vectors/system.jsonl: test vectors for the system instructions (segment loads,
far transfers, IRET, task switches, SYSCALL/SYSENTER).  The expected states are written out
here from the SDM/APM rules (the same ones the unit tests name), not produced by the emulator.

    python3 scripts/gen_system_vectors.py > tests/vectors/system.jsonl
"""
import json
import sys

GDT = 0x10000


def h(v):
    return "0x%x" % v


def le(v, n):
    return "".join("%02x" % ((v >> (8 * i)) & 0xff) for i in range(n))


def desc(base, limit, attr):
    """8 descriptor bytes (hex) from a VMCB-style attribute."""
    b = [limit & 0xff, (limit >> 8) & 0xff, base & 0xff, (base >> 8) & 0xff, (base >> 16) & 0xff,
         attr & 0xff, ((limit >> 16) & 15) | (((attr >> 8) & 15) << 4), (base >> 24) & 0xff]
    return "".join("%02x" % x for x in b)


def gate(sel, off, typ, dpl, count=0):
    b = [off & 0xff, (off >> 8) & 0xff, sel & 0xff, sel >> 8, count, 0x80 | dpl << 5 | typ,
         (off >> 16) & 0xff, (off >> 24) & 0xff]
    return "".join("%02x" % x for x in b)


def seg(sel, base, limit, attr):
    return {"sel": h(sel), "base": h(base), "limit": h(limit), "attr": h(attr)}


def gdt(entries, n=16):
    """GDT memory at GDT: entries is {index: hex bytes}."""
    mem = [{"addr": h(GDT + 8 * i), "data": d} for i, d in sorted(entries.items())]
    return mem, {"gdtr": {"base": h(GDT), "limit": h(8 * n - 1)}}


out = []


def vec(name, mode, code, initial, final=None, exception=None, config=None, events=None):
    v = {"name": name, "mode": mode, "bytes": code}
    if config:
        v["config"] = config
    v["initial"] = initial
    if exception is not None:
        v["exception"] = exception
    else:
        v["final"] = final or {}
    if events is not None:
        v["events"] = events
    out.append(v)


def exc(vector, ec=None):
    e = {"vector": vector}
    if ec is not None:
        e["error_code"] = h(ec)
    return e


FLAT32 = {"cs": seg(0x08, 0, 0xffffffff, 0xc9b), "ss": seg(0x10, 0, 0xffffffff, 0xc93),
          "ds": seg(0x10, 0, 0xffffffff, 0xc93), "es": seg(0x10, 0, 0xffffffff, 0xc93)}
RING3 = {"cs": seg(0x23, 0, 0xffffffff, 0xcfb), "ss": seg(0x1b, 0, 0xffffffff, 0xcf3),
         "ds": seg(0x10, 0, 0xffffffff, 0xc93), "es": seg(0x1b, 0, 0xffffffff, 0xcf3)}
BASE_GDT = {1: desc(0, 0xfffff, 0xc9b), 2: desc(0, 0xfffff, 0xc93), 3: desc(0, 0xfffff, 0xcf3),
            4: desc(0, 0xfffff, 0xcfb)}


def with_gdt(extra, segs=None, regs=None, more_mem=None, tr=None):
    e = dict(BASE_GDT)
    e.update(extra)
    mem, dt = gdt(e)
    ini = {"regs": regs or {}, "segs": dict(segs or FLAT32), "dt": dt, "mem": mem + (more_mem or [])}
    if tr:
        ini["segs"]["tr"] = tr
    return ini


# ---- MOV Sreg / LSS -------------------------------------------------------------------------
vec("mov ss: data descriptor loaded, accessed bit written back", "prot32", "8ed0",
    with_gdt({5: desc(0, 0xfffff, 0xc92)}, regs={"rax": "0x28", "rip": "0x401000"}),
    final={"regs": {"rip": "0x401002"}, "segs": {"ss": seg(0x28, 0, 0xffffffff, 0xc93)},
           "mem": [{"addr": h(GDT + 0x28 + 5), "data": "93"}]})
vec("mov ss: RPL != CPL is #GP(sel)", "prot32", "8ed0",
    with_gdt({}, regs={"rax": "0x11", "rip": "0x401000"}), exception=exc(13, 0x10))
vec("mov ss: DPL != CPL is #GP(sel)", "prot32", "8ed0",
    with_gdt({}, regs={"rax": "0x18", "rip": "0x401000"}), exception=exc(13, 0x18))
vec("mov ss: null selector outside 64-bit mode is #GP(0)", "prot32", "8ed0",
    with_gdt({}, regs={"rax": "0x0", "rip": "0x401000"}), exception=exc(13, 0))
vec("mov ss: not present is #SS(sel)", "prot32", "8ed0",
    with_gdt({5: desc(0, 0xfffff, 0xc13)}, regs={"rax": "0x28", "rip": "0x401000"}), exception=exc(12, 0x28))
vec("mov ds: not present is #NP(sel)", "prot32", "8ed8",
    with_gdt({5: desc(0, 0xfffff, 0xc13)}, regs={"rax": "0x28", "rip": "0x401000"}), exception=exc(11, 0x28))
vec("mov ds: DPL 0 data at CPL 3 is #GP(sel)", "prot32", "8ed8",
    with_gdt({}, segs=RING3, regs={"rax": "0x13", "rip": "0x401000"}), exception=exc(13, 0x10))
vec("mov ds: execute-only code is #GP(sel)", "prot32", "8ed8",
    with_gdt({5: desc(0, 0xfffff, 0xc99)}, regs={"rax": "0x28", "rip": "0x401000"}), exception=exc(13, 0x28))
vec("mov ds: selector beyond the GDT limit is #GP(sel)", "prot32", "8ed8",
    with_gdt({}, regs={"rax": "0x83", "rip": "0x401000"}), exception=exc(13, 0x80))
vec("mov ds: null selector leaves DS unusable (Intel clears base and limit)", "prot32", "8ed8",
    with_gdt({}, regs={"rax": "0x0", "rip": "0x401000"}),
    final={"regs": {"rip": "0x401002"}, "segs": {"ds": seg(0, 0, 0, 0)}})
vec("lss: offset then selector, SS checked like MOV SS", "prot32", "0fb223",
    with_gdt({}, regs={"rbx": "0x3000", "rip": "0x401000"},
             more_mem=[{"addr": "0x3000", "data": le(0x12345678, 4) + le(0x10, 2)}]),
    final={"regs": {"rsp": "0x12345678", "rip": "0x401003"}})

# ---- LAR / LSL / VERR / VERW / ARPL ----------------------------------------------------------
vec("lar: access rights masked with 00F0FF00h, ZF=1", "prot32", "0f02c3",
    with_gdt({}, regs={"rbx": "0x8", "rip": "0x401000", "rflags": "0x2"}),
    final={"regs": {"rax": "0xc09b00", "rip": "0x401003", "rflags": "0x42"}})
vec("lar: null selector clears ZF and leaves the destination", "prot32", "0f02c3",
    with_gdt({}, regs={"rax": "0x5555", "rbx": "0x0", "rip": "0x401000", "rflags": "0x42"}),
    final={"regs": {"rip": "0x401003", "rflags": "0x2"}})
vec("lsl: byte-granular limit of a G=1 segment", "prot32", "0f03c3",
    with_gdt({}, regs={"rbx": "0x10", "rip": "0x401000", "rflags": "0x2"}),
    final={"regs": {"rax": "0xffffffff", "rip": "0x401003", "rflags": "0x42"}})
vec("lsl: DPL 0 segment at CPL 3 clears ZF (no fault)", "prot32", "0f03c3",
    with_gdt({}, segs=RING3, regs={"rbx": "0x13", "rip": "0x401000", "rflags": "0x42"}),
    final={"regs": {"rip": "0x401003", "rflags": "0x2"}})
vec("verw: code segment is not writable (ZF=0)", "prot32", "0f00e8",
    with_gdt({}, regs={"rax": "0x8", "rip": "0x401000", "rflags": "0x42"}),
    final={"regs": {"rip": "0x401003", "rflags": "0x2"}})
vec("verr: readable code segment (ZF=1)", "prot32", "0f00e0",
    with_gdt({}, regs={"rax": "0x8", "rip": "0x401000", "rflags": "0x2"}),
    final={"regs": {"rip": "0x401003", "rflags": "0x42"}})
vec("lar in real mode is #UD", "real", "0f02c3", {"regs": {"rip": "0x100"}}, exception=exc(6))
vec("arpl: destination RPL raised to the source's, ZF=1", "prot32", "63d8",
    with_gdt({}, regs={"rax": "0x10", "rbx": "0x23", "rip": "0x401000", "rflags": "0x2"}),
    final={"regs": {"rax": "0x13", "rip": "0x401002", "rflags": "0x42"}})

# ---- far JMP / CALL ---------------------------------------------------------------------------
vec("jmp far: ptr16:32 to a code segment at the same CPL", "prot32", "ea0020400008" + "00",
    with_gdt({}, regs={"rip": "0x401000"}), final={"regs": {"rip": "0x402000"}})
vec("jmp far: non-conforming DPL 0 code from CPL 3 is #GP(sel)", "prot32", "ea002040000b00",
    with_gdt({}, segs=RING3, regs={"rip": "0x401000"}), exception=exc(13, 0x08))
vec("jmp far: null selector is #GP(0)", "prot32", "ea002040000000",
    with_gdt({}, regs={"rip": "0x401000"}), exception=exc(13, 0))
vec("jmp far: not present is #NP(sel)", "prot32", "ea002040002800",
    with_gdt({5: desc(0, 0xfffff, 0xc1b)}, regs={"rip": "0x401000"}), exception=exc(11, 0x28))
vec("jmp far: offset beyond the limit is #GP(0)", "prot32", "ea001000002800",
    with_gdt({5: desc(0, 0xfff, 0x09b)}, regs={"rip": "0x401000"}), exception=exc(13, 0))
vec("jmp far: real mode loads selector and base", "real", "ea34120020",
    {"regs": {"rip": "0x100"}},
    final={"regs": {"rip": "0x1234"}, "segs": {"cs": seg(0x2000, 0x20000, 0xffff, 0x9b)}})
vec("call far: pushes CS (zero-extended) and EIP", "prot32", "9a002040000800",
    with_gdt({}, regs={"rsp": "0x8000", "rip": "0x401000"}),
    final={"regs": {"rsp": "0x7ff8", "rip": "0x402000"},
           "mem": [{"addr": "0x7ff8", "data": le(0x401007, 4) + le(0x08, 4)}]})
TSS = 0x20000
TR32 = seg(0x48, TSS, 0x67, 0x8b)
vec("call far: call gate to ring 0 switches to SS0:ESP0 and copies 2 parameters", "prot32",
    "9a000000004300",
    with_gdt({8: gate(0x08, 0x402000, 12, 3, 2), 9: desc(TSS, 0x67, 0x08b)}, segs=RING3,
             regs={"rsp": "0x7000", "rip": "0x401000"}, tr=TR32,
             more_mem=[{"addr": h(TSS + 4), "data": le(0x9000, 4) + le(0x10, 2)},
                       {"addr": "0x7000", "data": le(0x11111111, 4) + le(0x22222222, 4)}]),
    final={"regs": {"rsp": "0x8fe8", "rip": "0x402000"},
           "segs": {"cs": seg(0x08, 0, 0xffffffff, 0xc9b), "ss": seg(0x10, 0, 0xffffffff, 0xc93)},
           "mem": [{"addr": "0x8fe8", "data": le(0x401007, 4) + le(0x23, 4) + le(0x11111111, 4) +
                    le(0x22222222, 4) + le(0x7000, 4) + le(0x1b, 4)}]})
vec("call far: call gate with DPL < CPL is #GP(gate)", "prot32", "9a000000004300",
    with_gdt({8: gate(0x08, 0x402000, 12, 0, 0)}, segs=RING3, regs={"rip": "0x401000"}),
    exception=exc(13, 0x40))
vec("call far: call gate to ring 0 with a null SS0 in the TSS is #TS(0)", "prot32", "9a000000004300",
    with_gdt({8: gate(0x08, 0x402000, 12, 3, 0), 9: desc(TSS, 0x67, 0x08b)}, segs=RING3,
             regs={"rip": "0x401000"}, tr=TR32, more_mem=[{"addr": h(TSS + 4), "data": le(0x9000, 4) + "0000"}]),
    exception=exc(10, 0))

# ---- RETF / IRET ------------------------------------------------------------------------------
vec("retf imm16: to CPL 3, parameters released on both stacks, DS (DPL 0) nulled", "prot32", "ca0800",
    with_gdt({}, regs={"rsp": "0x8fe8", "rip": "0x402000"},
             more_mem=[{"addr": "0x8fe8", "data": le(0x401007, 4) + le(0x23, 4) + le(0, 8) +
                        le(0x7000, 4) + le(0x1b, 4)}]),
    final={"regs": {"rsp": "0x7008", "rip": "0x401007"},
           "segs": {"cs": seg(0x23, 0, 0xffffffff, 0xcfb), "ss": seg(0x1b, 0, 0xffffffff, 0xcf3),
                    "ds": seg(0, 0, 0xffffffff, 0xc13), "es": seg(0, 0, 0xffffffff, 0xc13),
                    "fs": seg(0, 0, 0xffffffff, 0xc13), "gs": seg(0, 0, 0xffffffff, 0xc13)}})
vec("retf: return CS with RPL < CPL is #GP(sel)", "prot32", "cb",
    with_gdt({}, segs=RING3, regs={"rsp": "0x7000", "rip": "0x401000"},
             more_mem=[{"addr": "0x7000", "data": le(0x402000, 4) + le(0x08, 4)}]),
    exception=exc(13, 0x08))
vec("iret: real mode pops IP, CS, FLAGS", "real", "cf",
    {"regs": {"rsp": "0x100", "rip": "0x1000", "rflags": "0x2"},
     "mem": [{"addr": "0x100", "data": le(0x2222, 2) + le(0x3000, 2) + le(0x0ed7, 2)}]},
    final={"regs": {"rsp": "0x106", "rip": "0x2222", "rflags": "0xed7"},
           "segs": {"cs": seg(0x3000, 0x30000, 0xffff, 0x9b)}})
vec("iret: v86 with IOPL < 3 and no VME is #GP(0)", "v86", "cf",
    {"regs": {"rsp": "0x100", "rip": "0x1000", "rflags": "0x20002"}}, exception=exc(13, 0))
vec("iret: CPL 3 cannot change IOPL or IF; RF is loaded", "prot32", "cf",
    with_gdt({}, segs=RING3, regs={"rsp": "0x7000", "rip": "0x401000", "rflags": "0x2"},
             more_mem=[{"addr": "0x7000", "data": le(0x401000, 4) + le(0x23, 4) + le(0x13202, 4)}]),
    final={"regs": {"rsp": "0x700c", "rip": "0x401000", "rflags": "0x10002"}})
vec("iret: NT in long mode is #GP(0)", "long64", "48cf",
    {"regs": {"rsp": "0x8000", "rip": "0x401000", "rflags": "0x4002"}}, exception=exc(13, 0))
vec("iretq: pops SS:RSP at the same level (null SS at CPL 0)", "long64", "48cf",
    {"regs": {"rsp": "0x8000", "rip": "0x401000", "rflags": "0x2"},
     "segs": {"cs": seg(0x08, 0, 0xffffffff, 0xa9b)},
     "dt": {"gdtr": {"base": h(GDT), "limit": "0x7f"}},
     "mem": [{"addr": h(GDT + 8), "data": desc(0, 0xfffff, 0xa9b)},
             {"addr": "0x8000", "data": le(0x402000, 8) + le(0x08, 8) + le(0x246, 8) + le(0x9000, 8) + le(0, 8)}]},
    final={"regs": {"rsp": "0x9000", "rip": "0x402000", "rflags": "0x246"},
           "segs": {"ss": seg(0, 0, 0, 0)}})
out.append({"name": "iret: intercepted in a nested guest before the stack is read", "mode": "prot32",
            "bytes": "cf", "config": {"vendor": "amd", "nested": {"intercepts": ["iret"]}},
            "initial": {"regs": {"rsp": "0xfffffffe", "rip": "0x401000"}},
            "intercept": {"exit_code": "0x74"}})

# ---- task switch ------------------------------------------------------------------------------
TA, TB = 0x20000, 0x21000
task_gdt = {3: desc(TA, 0x67, 0x08b), 4: desc(TB, 0x67, 0x089), 5: gate(0x20, 0, 5, 0)}
tb_image = (le(0, 4) * 7 + le(0x5000, 4) + le(0x402000, 4) + le(0x202, 4) +
            "".join(le(v, 4) for v in (0xb0, 0xb1, 0xb2, 0xb3, 0x9000, 0xb5, 0xb6, 0xb7)) +
            "".join(le(s, 4) for s in (0x10, 0x08, 0x10, 0x10, 0x10, 0x10)) + le(0, 4) + le(0, 4))
ini = with_gdt(task_gdt, segs=dict(FLAT32, fs=seg(0x10, 0, 0xffffffff, 0xc93), gs=seg(0x10, 0, 0xffffffff, 0xc93)),
               regs={"rax": "0xa0", "rcx": "0xa1", "rdx": "0xa2", "rbx": "0xa3", "rsp": "0x8000",
                     "rbp": "0xa5", "rsi": "0xa6", "rdi": "0xa7", "rip": "0x401000", "rflags": "0x246"},
               tr=seg(0x18, TA, 0x67, 0x8b), more_mem=[{"addr": h(TB), "data": tb_image}])
ini["cr"] = {"cr0": "0x80000011", "cr3": "0x3000"}
a_saved = (le(0x401007, 4) + le(0x246, 4) +
           "".join(le(v, 4) for v in (0xa0, 0xa1, 0xa2, 0xa3, 0x8000, 0xa5, 0xa6, 0xa7)) +
           "".join(le(s, 4) for s in (0x10, 0x08, 0x10, 0x10, 0x10, 0x10)))
vec("task switch: CALL to a TSS saves the old task, links, sets NT and busy, loads CR3", "prot32",
    "9a000000002000", ini,
    final={"regs": {"rax": "0xb0", "rcx": "0xb1", "rdx": "0xb2", "rbx": "0xb3", "rsp": "0x9000",
                    "rbp": "0xb5", "rsi": "0xb6", "rdi": "0xb7", "rip": "0x402000", "rflags": "0x4202"},
           "segs": {"tr": seg(0x20, TB, 0x67, 0x8b), "ldtr": seg(0, 0, 0, 0)},
           "cr": {"cr0": "0x80000019", "cr3": "0x5000"},
           "mem": [{"addr": h(TA + 0x20), "data": a_saved}, {"addr": h(TB), "data": le(0x18, 2)},
                   {"addr": h(GDT + 0x20 + 5), "data": "8b"}]},
    events=[{"type": "tlb_flush", "kind": "cr3"}, {"type": "rap_clear", "reason": "task_switch"}])
vec("task switch: JMP to the busy current TSS is #GP(sel)", "prot32", "ea000000001800", ini,
    exception=exc(13, 0x18))
vec("task switch: new TSS limit below 67h is #TS(sel)", "prot32", "9a000000002000",
    dict(ini, mem=gdt({**BASE_GDT, 3: desc(TA, 0x67, 0x08b), 4: desc(TB, 0x66, 0x089)})[0]),
    exception=exc(10, 0x20))
vec("task switch: IRET with NT and a non-busy back link is #TS(link)", "prot32", "cf",
    dict(ini, regs=dict(ini["regs"], rflags="0x4202"),
         mem=ini["mem"] + [{"addr": h(TA), "data": le(0x20, 2)}]),
    exception=exc(10, 0x20))

# ---- SYSCALL / SYSENTER -----------------------------------------------------------------------
MSRS = {"efer": "0xd01", "0xc0000081": "0x0023001000402000", "0xc0000082": "0xffffffff81000000",
        "0xc0000084": "0x700"}
vec("syscall: RCX/R11 saved, LSTAR, flat ring-0 CS/SS, SFMASK applied", "long64", "0f05",
    {"regs": {"rip": "0x401000", "rflags": "0x10702"}, "msr": MSRS,
     "segs": {"cs": seg(0x33, 0, 0xffffffff, 0xafb), "ss": seg(0x2b, 0, 0xffffffff, 0xcf3)}},
    final={"regs": {"rcx": "0x401002", "r11": "0x702", "rip": "0xffffffff81000000", "rflags": "0x2"},
           "segs": {"cs": seg(0x10, 0, 0xffffffff, 0xa9b), "ss": seg(0x18, 0, 0xffffffff, 0xc93)}})
vec("syscall: EFER.SCE = 0 is #UD", "long64", "0f05", {"regs": {"rip": "0x401000"}}, exception=exc(6))
vec("syscall: Intel #UD outside 64-bit mode", "prot32", "0f05",
    {"regs": {"rip": "0x401000"}, "msr": {"efer": "0x1"}}, exception=exc(6))
vec("sysret: non-canonical RCX is #GP(0) at CPL 0 on Intel", "long64", "480f07",
    {"regs": {"rip": "0x401000", "rcx": "0x800000000000"}, "msr": MSRS}, exception=exc(13, 0))
vec("sysret: AMD loads a non-canonical RCX", "long64", "480f07",
    {"regs": {"rip": "0x401000", "rcx": "0x800000000000", "r11": "0x202"}, "msr": MSRS},
    config={"vendor": "amd"},
    final={"regs": {"rip": "0x800000000000", "rflags": "0x202"},
           "segs": {"cs": seg(0x33, 0, 0xffffffff, 0xafb), "ss": seg(0x2b, 0, 0xffffffff, 0xcf3)}})
vec("sysenter: #GP(0) with SYSENTER_CS = 0", "prot32", "0f34",
    {"regs": {"rip": "0x401000"}}, config={"features": ["sep"]}, exception=exc(13, 0))
vec("sysenter: AMD #UD in long mode", "long64", "0f34",
    {"regs": {"rip": "0x401000"}, "msr": {"0x174": "0x10"}}, config={"vendor": "amd", "features": ["sep"]},
    exception=exc(6))

for v in out:
    if v is not None:
        sys.stdout.write(json.dumps(v) + "\n")
