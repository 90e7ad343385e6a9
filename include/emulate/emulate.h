/*
 * libemulate: an architectural x86 instruction emulator.
 *
 * The library emulates one instruction at a time against a virtual CPU that the caller owns:
 * a hypervisor handling a VM exit, a differential tester, or a unit test.  It decodes the
 * instruction, runs the checks in the architectural order (decode #UD, mode and feature #UD,
 * nested intercepts, privilege, operand values, memory), executes it and commits the result,
 * or returns the exception / intercept / request that stopped it with nothing committed.
 *
 * Contract in one paragraph:
 *   - The caller owns the general-purpose registers, RIP and RFLAGS (struct emu_regs) and passes
 *     them by pointer.  Everything else (segments, control registers, MSRs, memory, I/O) is read
 *     and written through callbacks (struct emu_ops) with an opaque pointer, lazily and at most
 *     once per instruction.
 *   - emu_step() commits nothing unless it returns EMU_OK.  The one architectural exception is a
 *     REP string instruction: iterations that completed before a fault are committed, as on
 *     hardware (RCX/RSI/RDI and memory reflect them, RIP still points at the instruction).
 *   - The library has no global mutable state and never allocates.  lib/ and the decoder build
 *     freestanding; everything a step needs lives in struct emu_ctx, which the caller allocates.
 *
 * Threading: one struct emu_ctx per vCPU.  Distinct contexts may be used concurrently.
 */
#ifndef EMULATE_EMULATE_H
#define EMULATE_EMULATE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define EMU_VERSION_MAJOR 0
#define EMU_VERSION_MINOR 1
#define EMU_VERSION_PATCH 0

/* ============================================================================================ */
/* Registers owned by the caller                                                                */
/* ============================================================================================ */

/**
 * @brief Indices into emu_regs.gpr.
 *
 * 0..15 are the legacy registers in their encoding order; 16..31 are the Intel APX extended
 * GPRs R16..R31.  The array is the single source of truth for all 32 registers, whatever XCR0
 * says: toggling XCR0.APX never loses R16..R31.
 */
enum emu_gpr {
    EMU_RAX = 0, EMU_RCX, EMU_RDX, EMU_RBX, EMU_RSP, EMU_RBP, EMU_RSI, EMU_RDI,
    EMU_R8, EMU_R9, EMU_R10, EMU_R11, EMU_R12, EMU_R13, EMU_R14, EMU_R15,
    EMU_R16, EMU_R17, EMU_R18, EMU_R19, EMU_R20, EMU_R21, EMU_R22, EMU_R23,
    EMU_R24, EMU_R25, EMU_R26, EMU_R27, EMU_R28, EMU_R29, EMU_R30, EMU_R31,
    EMU_NUM_GPRS
};

/** @brief The register file the caller owns.  Read at the start of a step, written on commit. */
struct emu_regs {
    uint64_t gpr[EMU_NUM_GPRS]; /**< RAX..R15, then R16..R31 (APX). */
    uint64_t rip;               /**< Instruction pointer (offset in CS, not linear). */
    uint64_t rflags;            /**< RFLAGS; bit 1 reads as 1. */
};

/** @brief RFLAGS bits. */
enum emu_rflags_bits {
    EMU_FLAG_CF = 1u << 0, EMU_FLAG_PF = 1u << 2, EMU_FLAG_AF = 1u << 4, EMU_FLAG_ZF = 1u << 6,
    EMU_FLAG_SF = 1u << 7, EMU_FLAG_TF = 1u << 8, EMU_FLAG_IF = 1u << 9, EMU_FLAG_DF = 1u << 10,
    EMU_FLAG_OF = 1u << 11, EMU_FLAG_IOPL = 3u << 12, EMU_FLAG_NT = 1u << 14,
    EMU_FLAG_RF = 1u << 16, EMU_FLAG_VM = 1u << 17, EMU_FLAG_AC = 1u << 18,
    EMU_FLAG_VIF = 1u << 19, EMU_FLAG_VIP = 1u << 20, EMU_FLAG_ID = 1u << 21
};

/* ============================================================================================ */
/* Segments, descriptor tables, control registers                                               */
/* ============================================================================================ */

/** @brief Segment registers, in the x86 Sreg encoding order, then LDTR and TR. */
enum emu_seg {
    EMU_SEG_ES = 0, EMU_SEG_CS, EMU_SEG_SS, EMU_SEG_DS, EMU_SEG_FS, EMU_SEG_GS,
    EMU_SEG_LDTR, EMU_SEG_TR, EMU_NUM_SEGS
};

/**
 * @brief A segment register with its hidden (descriptor cache) state, in the VMCB layout.
 *
 * attr is the 12-bit packed attribute of the AMD VMCB: descriptor bits 47:40 in attr[7:0]
 * (type[3:0], S, DPL[1:0], P) and descriptor bits 55:52 in attr[11:8] (AVL, L, D/B, G).
 * limit is the byte-granular limit (already expanded when G=1).  A segment loaded with a null
 * selector in protected mode has attr.P = 0 ("unusable").
 */
struct emu_segment {
    uint16_t sel;   /**< Visible selector. */
    uint16_t attr;  /**< VMCB-style attributes, see EMU_SEGATTR_*. */
    uint32_t limit; /**< Byte-granular limit. */
    uint64_t base;  /**< Base address. */
};

enum emu_segattr_bits {
    EMU_SEGATTR_TYPE = 0x00f, /**< Descriptor type (bit 0 accessed, bit 1 R/W, bit 2 E/C, bit 3 code). */
    EMU_SEGATTR_S    = 0x010, /**< 1 = code/data, 0 = system. */
    EMU_SEGATTR_DPL  = 0x060, /**< Descriptor privilege level (shift 5). */
    EMU_SEGATTR_P    = 0x080, /**< Present. */
    EMU_SEGATTR_AVL  = 0x100,
    EMU_SEGATTR_L    = 0x200, /**< 64-bit code segment. */
    EMU_SEGATTR_DB   = 0x400, /**< Default operand size / big. */
    EMU_SEGATTR_G    = 0x800  /**< Granularity. */
};

/** @brief Descriptor-table registers. */
enum emu_dtr { EMU_DTR_GDTR = 0, EMU_DTR_IDTR = 1 };

/** @brief Well-known MSR numbers the library uses itself. */
enum emu_msr_index {
    EMU_MSR_TSC = 0x10, EMU_MSR_APIC_BASE = 0x1b, EMU_MSR_SYSENTER_CS = 0x174,
    EMU_MSR_SYSENTER_ESP = 0x175, EMU_MSR_SYSENTER_EIP = 0x176, EMU_MSR_PAT = 0x277,
    EMU_MSR_EFER = 0xc0000080, EMU_MSR_STAR = 0xc0000081, EMU_MSR_LSTAR = 0xc0000082,
    EMU_MSR_CSTAR = 0xc0000083, EMU_MSR_SFMASK = 0xc0000084, EMU_MSR_FS_BASE = 0xc0000100,
    EMU_MSR_GS_BASE = 0xc0000101, EMU_MSR_KERNEL_GS_BASE = 0xc0000102,
    EMU_MSR_TSC_AUX = 0xc0000103, EMU_MSR_VM_HSAVE_PA = 0xc0010117
};

/** @brief EFER bits. */
enum emu_efer_bits {
    EMU_EFER_SCE = 1u << 0, EMU_EFER_LME = 1u << 8, EMU_EFER_LMA = 1u << 10,
    EMU_EFER_NXE = 1u << 11, EMU_EFER_SVME = 1u << 12, EMU_EFER_LMSLE = 1u << 13,
    EMU_EFER_FFXSR = 1u << 14, EMU_EFER_TCE = 1u << 15
};

/** @brief CR0 and CR4 bits. */
enum emu_cr_bits {
    EMU_CR0_PE = 1u << 0, EMU_CR0_MP = 1u << 1, EMU_CR0_EM = 1u << 2, EMU_CR0_TS = 1u << 3,
    EMU_CR0_ET = 1u << 4, EMU_CR0_NE = 1u << 5, EMU_CR0_WP = 1u << 16, EMU_CR0_AM = 1u << 18,
    EMU_CR0_NW = 1u << 29, EMU_CR0_CD = 1u << 30, EMU_CR0_PG = 1u << 31,
    EMU_CR4_VME = 1u << 0, EMU_CR4_PVI = 1u << 1, EMU_CR4_TSD = 1u << 2, EMU_CR4_DE = 1u << 3,
    EMU_CR4_PSE = 1u << 4, EMU_CR4_PAE = 1u << 5, EMU_CR4_MCE = 1u << 6, EMU_CR4_PGE = 1u << 7,
    EMU_CR4_PCE = 1u << 8, EMU_CR4_OSFXSR = 1u << 9, EMU_CR4_OSXMMEXCPT = 1u << 10,
    EMU_CR4_UMIP = 1u << 11, EMU_CR4_LA57 = 1u << 12, EMU_CR4_VMXE = 1u << 13,
    EMU_CR4_SMXE = 1u << 14, EMU_CR4_FSGSBASE = 1u << 16, EMU_CR4_PCIDE = 1u << 17,
    EMU_CR4_OSXSAVE = 1u << 18, EMU_CR4_SMEP = 1u << 20, EMU_CR4_SMAP = 1u << 21,
    EMU_CR4_PKE = 1u << 22, EMU_CR4_CET = 1u << 23
};

/* ============================================================================================ */
/* Per-vCPU configuration                                                                       */
/* ============================================================================================ */

/** @brief CPU vendor: selects the documented Intel/AMD differences. */
enum emu_vendor { EMU_VENDOR_INTEL = 0, EMU_VENDOR_AMD = 1 };

/**
 * @brief CPUID-visible features that change decoding or checks.
 *
 * The baseline every x86-64 CPU has (FPU, TSC, CX8, CMOV, CLFLUSH, FXSR, SSE, SSE2, SYSCALL,
 * NX, PAE, PSE, PGE, VME, DE) is always present and has no bit.  Names follow Linux's
 * /proc/cpuinfo; emu_feature_from_name() maps them.
 */
enum emu_feature {
    EMU_FEAT_LAHF_LM, EMU_FEAT_CX16, EMU_FEAT_POPCNT, EMU_FEAT_ABM /* LZCNT */, EMU_FEAT_BMI1,
    EMU_FEAT_BMI2, EMU_FEAT_ADX, EMU_FEAT_MOVBE, EMU_FEAT_SSE4_2 /* CRC32 */, EMU_FEAT_RDTSCP,
    EMU_FEAT_RDPID, EMU_FEAT_FSGSBASE, EMU_FEAT_MONITOR, EMU_FEAT_XSAVE, EMU_FEAT_CLFLUSHOPT,
    EMU_FEAT_CLWB, EMU_FEAT_RDRAND, EMU_FEAT_RDSEED, EMU_FEAT_PREFETCHW /* 3dnowprefetch */,
    EMU_FEAT_SEP /* SYSENTER/SYSEXIT */, EMU_FEAT_PCID, EMU_FEAT_INVPCID, EMU_FEAT_SMEP,
    EMU_FEAT_SMAP, EMU_FEAT_PKU, EMU_FEAT_LA57, EMU_FEAT_UMIP, EMU_FEAT_PDPE1GB,
    EMU_FEAT_CR8_LEGACY, EMU_FEAT_SVM, EMU_FEAT_VGIF, EMU_FEAT_SKINIT, EMU_FEAT_SVML,
    EMU_FEAT_SVME_ADDR_CHK, EMU_FEAT_ERAPS, EMU_FEAT_VMX, EMU_FEAT_APX_F, EMU_FEAT_APX_NCI,
    EMU_FEAT_CET_SS, EMU_FEAT_WBNOINVD, EMU_FEAT_SSE3, EMU_FEAT_AVX, EMU_FEAT_RDPRU,
    /** AMD: loading a null selector into DS/ES/FS/GS clears the hidden base and limit, as Intel
     *  always does (CPUID 8000_0021h EAX[6], "null_sel_clr_base"; Zen 2 and later behave so even
     *  where a hypervisor hides the bit).  Without it an AMD vCPU keeps them (older parts,
     *  Linux's X86_BUG_NULL_SEG).  Ignored for Intel. */
    EMU_FEAT_NULL_SEL_CLR_BASE,
    EMU_FEAT_COUNT
};

#define EMU_FEATURE_WORDS 2

/** @brief Model behaviours that are not CPUID-visible (the spec's model flags). */
enum emu_model_flags {
    /** MOV to CR0/CR3/CR4 in legacy PAE paging loads the PDPTEs (#GP on reserved bits).
     *  Intel and older AMD; modern AMD reads them lazily. */
    EMU_MODEL_PDPTE_PRELOAD = 1u << 0,
    /** MOV CR0 with NW=1, CD=0 is accepted (NW ignored, as the current APM describes AMD parts).
     *  Without the flag it is #GP(0) on both vendors: Intel documents it, and whether AMD parts
     *  fault was not confirmed (spec 4.3 [I]), so the default follows the existing emulators. */
    EMU_MODEL_CR0_NW_IGNORED = 1u << 1,
    /** The library assumes paging is on when CR0.PG is set and translates nothing itself:
     *  memory callbacks receive linear addresses (the default).  With this flag the built-in
     *  walker (lib/paging.c) translates every access (data, stack, fetch, descriptor tables)
     *  itself: 32-bit (PSE, PSE-36), PAE, 4-level and 5-level (CR4.LA57) paging, 2M/4M/1G pages,
     *  NX (EFER.NXE), CR0.WP, SMEP, SMAP (RFLAGS.AC, implicit supervisor accesses), protection
     *  keys (ops->get_pkru) and the #PF error code (P, W, U, RSVD, I, PK), setting accessed and
     *  dirty bits through ops->cmpxchg_phys.  Only read_phys, write_phys and cmpxchg_phys are
     *  then used for memory; read/write/fetch/cmpxchg/probe may be NULL.  With CR0.PG = 0 the
     *  linear address is the physical one. */
    EMU_MODEL_BUILTIN_PAGING = 1u << 2,
    /** Do not cache decoded instructions (the per-context decode cache is on by default: a
     *  re-executed instruction, the common case on an exit path, skips decoding). */
    EMU_MODEL_NO_DECODE_CACHE = 1u << 3
};

/**
 * @brief Per-vCPU configuration.  Set once with emu_init(); the library copies it.
 */
struct emu_config {
    enum emu_vendor vendor;       /**< Intel or AMD semantics where they differ. */
    uint8_t maxphyaddr;           /**< Guest MAXPHYADDR in bits (CPUID 8000_0008 EAX[7:0]); 0 = 48. */
    uint8_t nested;               /**< Non-zero: the vCPU is a nested guest; ops->intercept is
                                       asked about every instruction that has an SVM intercept. */
    uint8_t vgif;                 /**< Nested guest with virtual GIF (VMCB INT_CTL bit 25): STGI and
                                       CLGI change V_GIF instead of GIF (EMU_EV_GIF .kind = 1). */
    uint32_t model_flags;         /**< EMU_MODEL_* bits. */
    uint64_t features[EMU_FEATURE_WORDS]; /**< Bit set of enum emu_feature, see emu_config_set_feature(). */
    uint64_t smm_base, smm_mask;  /**< SMM range (TSEG) for parts without SVME_ADDR_CHK; mask 0 = none. */
    const uint32_t *rap_clear_msrs; /**< Extra MSRs whose WRMSR clears the RAP (ERAPS); NULL = MTRRs only. */
    unsigned n_rap_clear_msrs;
};

/* ============================================================================================ */
/* Callbacks                                                                                    */
/* ============================================================================================ */

/** @brief What a callback answers. */
enum emu_cb_status {
    EMU_CB_OK = 0,      /**< Done. */
    EMU_CB_FAULT,       /**< The access faults; the callback filled the struct emu_exception. */
    EMU_CB_RETRY,       /**< Abandon the instruction; emu_step returns EMU_RETRY, nothing committed. */
    EMU_CB_PENDING,     /**< (reads and port input only) The data will come later: emu_step returns
                             EMU_IO_PENDING; supply it with emu_complete_io() and step again. */
    EMU_CB_UNHANDLED    /**< The callback cannot do this; emu_step returns EMU_UNHANDLED. */
};

/** @brief An exception (fault or trap) as the library reports it or a callback raises it. */
struct emu_exception {
    uint8_t vector;          /**< 0..31 for exceptions; INT n reports n. */
    uint8_t has_error_code;  /**< 1 if error_code is pushed on delivery. */
    uint8_t is_soft;         /**< 1 for INT n / INT3 / INTO (a software interrupt, trap-like). */
    uint8_t insn_length;     /**< Length of the instruction (for soft interrupts and traps). */
    uint32_t error_code;
    uint64_t cr2;            /**< Faulting linear address for #PF (vector 14). */
};

/** @brief Architectural exception vectors. */
enum emu_vector {
    EMU_DE = 0, EMU_DB = 1, EMU_NMI = 2, EMU_BP = 3, EMU_OF = 4, EMU_BR = 5, EMU_UD = 6,
    EMU_NM = 7, EMU_DF = 8, EMU_TS = 10, EMU_NP = 11, EMU_SS = 12, EMU_GP = 13, EMU_PF = 14,
    EMU_MF = 16, EMU_AC = 17, EMU_MC = 18, EMU_XM = 19, EMU_VE = 20, EMU_CP = 21
};

/** @brief #PF error-code bits, as a memory callback reports them. */
enum emu_pf_bits {
    EMU_PF_P = 1u << 0, EMU_PF_W = 1u << 1, EMU_PF_U = 1u << 2, EMU_PF_RSVD = 1u << 3,
    EMU_PF_I = 1u << 4, EMU_PF_PK = 1u << 5, EMU_PF_SS = 1u << 6
};

/**
 * @brief Flags describing a memory access to a callback.
 *
 * The library has done segmentation, the canonical check and the alignment check; the
 * callback does translation (or treats the address as guest-physical when paging is off)
 * and reports #PF with the architectural error code.
 */
enum emu_mem_flags {
    EMU_MEM_WRITE    = 1u << 0, /**< A write (or the write half of a read-modify-write). */
    EMU_MEM_FETCH    = 1u << 1, /**< An instruction fetch. */
    EMU_MEM_USER     = 1u << 2, /**< A user-mode access (CPL 3 and not implicit-supervisor). */
    EMU_MEM_STACK    = 1u << 3, /**< Through SS (push/pop, rSP/rBP based). */
    EMU_MEM_IMPLICIT = 1u << 4, /**< Implicit supervisor access: GDT/LDT/IDT/TSS, whatever the CPL. */
    EMU_MEM_AC       = 1u << 5, /**< RFLAGS.AC was set (for SMAP). */
    EMU_MEM_RMW      = 1u << 6, /**< The read half of a read-modify-write (check for write access too). */
    EMU_MEM_PROBE    = 1u << 7  /**< probe(): check only, no data moves. */
};

/** @brief Events fired after an instruction commits (see emu_ops.event). */
enum emu_event_type {
    EMU_EV_TLB_FLUSH = 1, /**< A TLB invalidation the hypervisor must perform. */
    EMU_EV_RAP_CLEAR,     /**< AMD ERAPS: clear the return address predictor (VMCB ERAP_CTL.CLEAR_RAP). */
    EMU_EV_HALT,          /**< HLT retired: the vCPU halts. */
    EMU_EV_HYPERCALL,     /**< (informational) a VMMCALL/VMCALL was handled as a hypercall. */
    EMU_EV_VMRUN,         /**< A VMRUN passed every check: nested VM entry (vmcb = rAX). */
    EMU_EV_GIF,           /**< STGI/CLGI changed GIF (value in .value). */
    EMU_EV_SINGLESTEP,    /**< RFLAGS.TF was set when the instruction began: deliver the
                               single-step #DB trap now (DR6.BS). */
    EMU_EV_INT_SHADOW     /**< STI (value 1) or MOV SS / POP SS (value 2): interrupts, and for
                               SS also #DB, are blocked until the next instruction retires. */
};

/** @brief Kinds of TLB flush (EMU_EV_TLB_FLUSH .kind). */
enum emu_tlb_kind {
    EMU_TLB_INVLPG = 1, EMU_TLB_INVLPGA, EMU_TLB_INVPCID_ADDR, EMU_TLB_INVPCID_PCID,
    EMU_TLB_INVPCID_ALL, EMU_TLB_INVPCID_NONGLOBAL, EMU_TLB_CR3, EMU_TLB_IMPLICIT
};

/** @brief Reasons for a RAP clear (EMU_EV_RAP_CLEAR .reason). */
enum emu_rap_reason {
    EMU_RAP_MOV_CR3 = 1, EMU_RAP_INVPCID, EMU_RAP_IMPLICIT, EMU_RAP_NESTED_TRANSITION,
    EMU_RAP_MSR_WRITE, EMU_RAP_TASK_SWITCH
};

/** @brief Why an implicit TLB flush happened (EMU_TLB_IMPLICIT .reason). */
enum emu_implicit_reason {
    EMU_IMPL_CR0_PG = 1, EMU_IMPL_CR4_PAE, EMU_IMPL_CR4_PSE, EMU_IMPL_CR4_PGE,
    EMU_IMPL_CR4_PKE, EMU_IMPL_CR4_PCIDE, EMU_IMPL_MTRR, EMU_IMPL_MSR, EMU_IMPL_TASK_SWITCH
};

/** @brief One event.  Fields not meaningful for a type are zero. */
struct emu_event {
    enum emu_event_type type;
    uint32_t kind;    /**< enum emu_tlb_kind for TLB flushes. */
    uint32_t reason;  /**< enum emu_rap_reason for RAP clears; enum emu_implicit_reason for implicit flushes. */
    uint32_t pcid;    /**< PCID (INVPCID types 0/1, MOV CR3 with PCIDE). */
    uint32_t asid;    /**< ASID (INVLPGA). */
    uint64_t addr;    /**< Linear address (INVLPG, INVLPGA, INVPCID type 0). */
    uint64_t value;   /**< VMCB address (VMRUN), GIF (EMU_EV_GIF), MSR (msr_write). */
    uint8_t global;   /**< TLB flush includes global entries. */
};

/** @brief A nested-intercept question and, when intercepted, the #VMEXIT information. */
struct emu_intercept {
    uint64_t exit_code;  /**< SVM EXITCODE (VMCB 0x70), e.g. 0x80 VMRUN, 0x7B IOIO, 0x7C MSR. */
    uint64_t info1;      /**< EXITINFO1 (decode assists where defined, else 0). */
    uint64_t info2;      /**< EXITINFO2. */
    uint64_t next_rip;   /**< nRIP: RIP of the next instruction. */
    uint32_t msr;        /**< MSR intercepts: ECX. */
    uint16_t port;       /**< IOIO intercepts: the port. */
};

/**
 * @brief The state most instructions need, in one callback (emu_ops.get_state).  An embedder
 *        whose vCPU state sits in memory (a VMCB, a VMCS cache) fills it in one call instead of
 *        five, which is most of the cost of a step on the exit path.
 */
struct emu_cpu_state {
    uint64_t cr0, cr4, efer;
    struct emu_segment cs, ss;
};

/**
 * @brief The callback table.  Every function gets the opaque pointer given to emu_init().
 *
 * Callbacks may be NULL: an instruction that needs a missing callback returns EMU_UNHANDLED
 * with reason "missing callback" and changes nothing.  Callbacks that read state (get_*) are
 * called at most once per instruction for a given item.
 */
struct emu_ops {
    /* ---- memory at linear addresses (after segmentation) -------------------------------- */
    /** Read size bytes (1..64) at linear address la.  On #PF fill *exc (vector, error code, cr2). */
    enum emu_cb_status (*read)(void *opaque, uint64_t la, void *buf, unsigned size,
                               unsigned flags, struct emu_exception *exc);
    /** Write size bytes.  Called only at commit, in program order. */
    enum emu_cb_status (*write)(void *opaque, uint64_t la, const void *buf, unsigned size,
                                unsigned flags, struct emu_exception *exc);
    /** Fetch instruction bytes (may stop at a page boundary and be called again). */
    enum emu_cb_status (*fetch)(void *opaque, uint64_t la, void *buf, unsigned size,
                                unsigned flags, struct emu_exception *exc);
    /** Atomic compare-exchange for LOCKed read-modify-writes: if memory equals *expected,
     *  store *desired and set *swapped = 1; otherwise copy memory into *expected and set
     *  *swapped = 0.  NULL: LOCKed writes use write() (fine for a single vCPU). */
    enum emu_cb_status (*cmpxchg)(void *opaque, uint64_t la, void *expected, const void *desired,
                                  unsigned size, unsigned flags, int *swapped,
                                  struct emu_exception *exc);
    /** Optional: check that an access would succeed without performing it (used so that an
     *  instruction with several writes faults before the first one lands, and to order #PF
     *  before #AC).  NULL: writes are performed in order and not probed. */
    enum emu_cb_status (*probe)(void *opaque, uint64_t la, unsigned size, unsigned flags,
                                struct emu_exception *exc);

    /* ---- guest-physical memory (VMCB, page tables, VMLOAD/VMSAVE) -------------------------- */
    enum emu_cb_status (*read_phys)(void *opaque, uint64_t pa, void *buf, unsigned size);
    enum emu_cb_status (*write_phys)(void *opaque, uint64_t pa, const void *buf, unsigned size);

    /* ---- processor state ------------------------------------------------------------------ */
    /** Optional fast path: CR0, CR4, EFER, CS and SS at once, called at most once per step
     *  before any of them is needed.  NULL: get_cr/get_msr/get_seg are asked item by item. */
    enum emu_cb_status (*get_state)(void *opaque, struct emu_cpu_state *out);
    enum emu_cb_status (*get_seg)(void *opaque, enum emu_seg seg, struct emu_segment *out);
    enum emu_cb_status (*set_seg)(void *opaque, enum emu_seg seg, const struct emu_segment *in);
    enum emu_cb_status (*get_dtr)(void *opaque, enum emu_dtr dtr, uint64_t *base, uint32_t *limit);
    enum emu_cb_status (*set_dtr)(void *opaque, enum emu_dtr dtr, uint64_t base, uint32_t limit);
    /** Control registers 0, 2, 3, 4, 8.  The library validates values before set_cr. */
    enum emu_cb_status (*get_cr)(void *opaque, unsigned cr, uint64_t *val);
    enum emu_cb_status (*set_cr)(void *opaque, unsigned cr, uint64_t val);
    enum emu_cb_status (*get_dr)(void *opaque, unsigned dr, uint64_t *val);
    enum emu_cb_status (*set_dr)(void *opaque, unsigned dr, uint64_t val);
    /** MSRs.  EMU_CB_FAULT means "no such MSR / bad value": the library raises #GP(0). */
    enum emu_cb_status (*get_msr)(void *opaque, uint32_t msr, uint64_t *val);
    enum emu_cb_status (*set_msr)(void *opaque, uint32_t msr, uint64_t val);
    enum emu_cb_status (*get_xcr)(void *opaque, uint32_t index, uint64_t *val);
    enum emu_cb_status (*set_xcr)(void *opaque, uint32_t index, uint64_t val);
    /** CPUID leaf/subleaf -> EAX, EBX, ECX, EDX. */
    enum emu_cb_status (*cpuid)(void *opaque, uint32_t leaf, uint32_t subleaf, uint32_t out[4]);

    /* ---- port I/O (after the IOPL / TSS I/O-bitmap checks) ---------------------------------- */
    enum emu_cb_status (*io_in)(void *opaque, uint16_t port, unsigned size, uint32_t *val);
    enum emu_cb_status (*io_out)(void *opaque, uint16_t port, unsigned size, uint32_t val);

    /* ---- optional bulk string operations (REP MOVS/STOS/INS/OUTS) ---------------------------
     * One call does many iterations.  dst/src are the linear addresses of the first element (the
     * highest one when backwards, i.e. DF = 1); elements are size bytes.  The library calls these
     * only when the whole batch passed segmentation and the canonical check, and rep_movs only
     * when source and destination do not overlap in a way that makes element order matter (so a
     * memmove of the range is correct).  Set *done to the elements completed; on a #PF at element
     * k, fill *exc and return EMU_CB_FAULT with *done = k: the library commits k iterations and
     * reports the fault, as hardware does.  EMU_CB_UNHANDLED (or *done = 0 with EMU_CB_OK) makes
     * the library fall back to one element at a time through read/write/io callbacks. */
    enum emu_cb_status (*rep_movs)(void *opaque, uint64_t dst, uint64_t src, unsigned size,
                                   uint64_t count, int backwards, unsigned flags, uint64_t *done,
                                   struct emu_exception *exc);
    enum emu_cb_status (*rep_stos)(void *opaque, uint64_t dst, uint64_t value, unsigned size,
                                   uint64_t count, int backwards, unsigned flags, uint64_t *done,
                                   struct emu_exception *exc);
    enum emu_cb_status (*rep_ins)(void *opaque, uint16_t port, uint64_t dst, unsigned size,
                                  uint64_t count, int backwards, unsigned flags, uint64_t *done,
                                  struct emu_exception *exc);
    enum emu_cb_status (*rep_outs)(void *opaque, uint16_t port, uint64_t src, unsigned size,
                                   uint64_t count, int backwards, unsigned flags, uint64_t *done,
                                   struct emu_exception *exc);

    /* ---- nesting and events ------------------------------------------------------------- */
    /** Nested guests only (emu_config.nested): return non-zero if L1 intercepts this.
     *  The library has filled the exit code and exit information. */
    int (*intercept)(void *opaque, const struct emu_intercept *icpt);
    /** Side effects after commit: TLB flush, RAP clear, halt, VMRUN, GIF. */
    void (*event)(void *opaque, const struct emu_event *ev);
    /** The embedder's own hypercall (VMMCALL not intercepted, or VMCALL).  NULL: #UD. */
    enum emu_cb_status (*hypercall)(void *opaque, struct emu_regs *regs);

    /* ---- built-in paging (EMU_MODEL_BUILTIN_PAGING) ------------------------------------- */
    /** Atomic compare-exchange at a guest-physical address, with the contract of cmpxchg:
     *  the walker sets page-table accessed/dirty bits with it (and retries the walk when
     *  another agent changed the entry), and LOCKed writes use it.  NULL: write_phys (fine
     *  for a single vCPU). */
    enum emu_cb_status (*cmpxchg_phys)(void *opaque, uint64_t pa, void *expected, const void *desired,
                                       unsigned size, int *swapped);
    /** The PKRU register (protection keys), read by the walker when CR4.PKE = 1 and a data
     *  access reaches a user page in 4/5-level paging.  NULL: PKRU reads as 0 (all access). */
    enum emu_cb_status (*get_pkru)(void *opaque, uint32_t *pkru);

    /* ---- entropy ---------------------------------------------------------------------------- */
    /** RDRAND (seed = 0) and RDSEED (seed = 1): size bytes (2, 4 or 8) of the embedder's
     *  randomness.  Set *valid = 1 and *value, or *valid = 0 when none is available now: the
     *  instruction then writes 0 and clears CF, and the guest retries as it must on hardware.
     *  NULL: RDRAND and RDSEED are EMU_UNHANDLED ("missing callback: get_random"). */
    enum emu_cb_status (*get_random)(void *opaque, int seed, unsigned size, uint64_t *value, int *valid);
};

/* ============================================================================================ */
/* Decoded instructions                                                                         */
/* ============================================================================================ */

/** @brief Processor modes.  Names match the test-vector format. */
enum emu_mode {
    EMU_MODE_REAL = 0, EMU_MODE_V86, EMU_MODE_PROT16, EMU_MODE_PROT32,
    EMU_MODE_COMPAT16, EMU_MODE_COMPAT32, EMU_MODE_LONG64, EMU_NUM_MODES
};

/** @brief Kinds of operand. */
enum emu_operand_kind {
    EMU_OPK_NONE = 0, EMU_OPK_REG, EMU_OPK_MEM, EMU_OPK_IMM, EMU_OPK_SREG, EMU_OPK_CR,
    EMU_OPK_DR, EMU_OPK_REL, EMU_OPK_FAR
};

/** @brief One explicit operand of a decoded instruction. */
struct emu_operand {
    uint8_t kind;  /**< enum emu_operand_kind. */
    uint8_t size;  /**< Size in bytes (1, 2, 4, 8; 6/10 for far pointers; 16 for m128). */
    uint8_t reg;   /**< GPR 0..31, Sreg 0..5, CR/DR number. */
    uint8_t high8; /**< 1 for AH/CH/DH/BH (reg is then 0..3). */
};

/** @brief Prefix bits of emu_insn.prefixes. */
enum emu_prefix_bits {
    EMU_PFX_LOCK = 1u << 0, EMU_PFX_REP = 1u << 1 /* F3 */, EMU_PFX_REPNE = 1u << 2 /* F2 */,
    EMU_PFX_OPSIZE = 1u << 3, EMU_PFX_ADDRSIZE = 1u << 4, EMU_PFX_SEG = 1u << 5,
    EMU_PFX_REX = 1u << 6, EMU_PFX_REX2 = 1u << 7, EMU_PFX_VEX = 1u << 8, EMU_PFX_EVEX = 1u << 9
};

/** @brief Decoder verdicts (emu_insn.status). */
enum emu_decode_status {
    EMU_DEC_OK = 0,       /**< A valid instruction our tables describe. */
    EMU_DEC_UD,           /**< Invalid encoding: #UD (length is how far the decoder got). */
    EMU_DEC_TOO_LONG,     /**< Longer than 15 bytes: #GP(0). */
    EMU_DEC_NEED_MORE,    /**< Ran out of bytes (emu_decode_mode only). */
    EMU_DEC_UNKNOWN       /**< Not in our tables (for example SSE/AVX): see emu_insn.length == 0. */
};

/**
 * @brief A decoded instruction.  Produced by emu_decode() / emu_decode_mode(), and internally
 *        by emu_step().  All register numbers are full 5-bit indices (REX/REX2/EVEX applied).
 */
struct emu_insn {
    uint8_t status;       /**< enum emu_decode_status. */
    uint8_t length;       /**< Bytes, 1..15 (0 if unknown). */
    uint8_t mode;         /**< enum emu_mode it was decoded for. */
    uint8_t map;          /**< 0 one-byte, 1 0F, 2 0F38, 3 0F3A, 4 APX map 4. */
    uint8_t opcode;       /**< Opcode byte within the map. */
    uint8_t opsize;       /**< Effective operand size in bytes (2, 4, 8; 1 for byte forms). */
    uint8_t addrsize;     /**< Effective address size in bytes (2, 4, 8). */
    uint8_t seg;          /**< Segment of the memory operand (override or default). */
    uint16_t op;          /**< Internal operation id; emu_mnemonic(op) names it. */
    uint16_t prefixes;    /**< EMU_PFX_* bits. */
    uint8_t modrm, sib;   /**< Raw bytes (valid when has_modrm / has_sib). */
    uint8_t has_modrm, has_sib;
    uint8_t rex_w;        /**< REX.W / REX2.W / VEX.W / EVEX.W. */
    uint8_t vvvv;         /**< VEX/EVEX vvvv register (0..31), 0 if none. */
    uint8_t nd, nf;       /**< APX EVEX: new-data-destination and no-flags bits. */
    uint8_t scc, dfv;     /**< APX CCMP/CTEST: source condition and default flags value. */
    uint8_t nops;         /**< Number of explicit operands in ops[]. */
    uint8_t mem_base;     /**< Memory operand base GPR, 0xff if none. */
    uint8_t mem_index;    /**< Memory operand index GPR, 0xff if none. */
    uint8_t mem_scale;    /**< 1, 2, 4, 8. */
    uint8_t rip_rel;      /**< 1 if RIP-relative. */
    uint8_t mem16;        /**< 1 if 16-bit ModRM addressing. */
    uint8_t aux;          /**< Per-row parameter (condition code, ALU function, group member...). */
    uint8_t imm_size;     /**< Bytes of immediate in the encoding. */
    uint8_t checks;       /**< Internal: the operation has stage checks or an intercept
                               (cached with the decode so plain instructions skip stages 2-8). */
    int64_t disp;         /**< Displacement, sign-extended. */
    uint64_t imm;         /**< First immediate, sign- or zero-extended per the operand form. */
    uint64_t imm2;        /**< Second immediate (ENTER's level, far pointer selector). */
    struct emu_operand ops[4];
    const void *row;      /**< Internal: the table row that decoded it. */
};

/* ============================================================================================ */
/* Results                                                                                      */
/* ============================================================================================ */

/** @brief What emu_step returns. */
enum emu_status {
    EMU_OK = 0,        /**< Instruction retired and committed; events fired. */
    EMU_EXCEPTION,     /**< result.exception holds the fault/trap; nothing committed. */
    EMU_INTERCEPT,     /**< Nested guest: L1 intercepts; result.intercept holds the #VMEXIT info. */
    EMU_RETRY,         /**< A callback asked for it; nothing committed. */
    EMU_IO_PENDING,    /**< A read is pending (result.pending); emu_complete_io() then step again. */
    EMU_UNHANDLED      /**< Recognised but not emulated, or a callback is missing (result.reason). */
};

/** @brief A pending read described to the embedder (EMU_IO_PENDING). */
struct emu_pending {
    uint8_t is_port;  /**< 1: port input (addr = port); 0: memory read (addr = linear address). */
    uint8_t size;     /**< Bytes requested. */
    uint64_t addr;
};

/** @brief Everything emu_step reports besides the status. */
struct emu_result {
    enum emu_status status;
    uint8_t length;               /**< Instruction length (0 if the fetch itself faulted). */
    uint16_t op;                  /**< Operation id (0 if unknown). */
    const char *mnemonic;         /**< Always a valid string ("(bad)" if none). */
    const char *reason;           /**< EMU_UNHANDLED: why. */
    struct emu_exception exception;
    struct emu_intercept intercept;
    struct emu_pending pending;
};

/* ============================================================================================ */
/* The context                                                                                  */
/* ============================================================================================ */

/** @brief Internal limits of the per-step scratch state. */
/* EMU_MAX_WRITES: the most separate memory writes of one instruction.  ENTER with nesting
 * level 31 makes 32 pushes (rBP, 30 copied frame pointers, the new frame pointer). */
enum { EMU_MAX_WRITES = 32, EMU_MAX_WRITE_BYTES = 512, EMU_MAX_REGW = 16, EMU_MAX_EVENTS = 8 };

/** @brief Internal: one buffered memory write (committed at retirement). */
struct emu_wlog {
    uint64_t la;
    uint16_t off;      /* offset of the data in emu_scratch.wdata */
    uint8_t size;
    uint8_t flags;     /* EMU_MEM_* */
    uint8_t locked;    /* 1: commit with cmpxchg against old */
    uint8_t phys;      /* 1: physical address (write_phys) */
    uint64_t old;      /* expected old value for locked writes (size <= 8) */
    uint64_t old_hi;   /* high half for 16-byte locked writes */
};

/** @brief Internal: one decode-cache entry (bytes -> decoded instruction, per mode).  The cache
 *         has EMU_DCACHE_SIZE / 2 sets of two entries (lib/step.c). */
enum { EMU_DCACHE_SIZE = 32 };
struct emu_dcache_entry {
    uint8_t valid, mode, apx, len;
    uint8_t fast;                /* the exit-path form of lib/fast.c, 0 if none; then: */
    uint8_t fdst, fsrc, fsize;   /*   destination GPR, source GPR (0xff: fimm), operand size */
    uint8_t fmflags;             /*   EMU_MEM_STACK for an SS operand */
    uint8_t fsel;                /*   the ALU operation and size (lib/hostalu.h) */
    uint16_t fop;                /*   operation */
    uint64_t fimm;               /*   the immediate operand */
    const char *fmnemonic;       /*   its name, for the result */
    uint64_t head_mask;          /* the instruction's bytes among the first eight */
    uint8_t bytes[15];
    struct emu_insn insn;
};

/**
 * @brief Internal per-step scratch.  Not part of the API: the fields may change in any release.
 *        It lives in the context so that a step allocates nothing.
 */
struct emu_scratch {
    struct emu_insn insn;        /* the instruction being decoded */
    struct emu_insn *cur;        /* the instruction being executed: insn or a decode-cache entry */
    uint64_t rflags;             /* working RFLAGS */
    uint64_t next_rip;           /* RIP after the instruction (branches change it) */
    uint64_t cache_cr0, cache_cr4, cache_efer, cache_xcr0;
    uint32_t valid;              /* which cached items are loaded (EMU_CACHE_* internal bits) */
    uint8_t cpl, mode, nregw, nwrites, nevents, nsegw, in_commit, rep_pending;
    uint16_t wbytes;
    struct emu_segment segs[EMU_NUM_SEGS];
    uint8_t regw_idx[EMU_MAX_REGW];
    uint64_t regw_val[EMU_MAX_REGW];
    struct emu_wlog writes[EMU_MAX_WRITES];
    uint8_t wdata[EMU_MAX_WRITE_BYTES];
    uint8_t segw_idx[EMU_NUM_SEGS];  /* a task switch writes all eight */
    struct emu_segment segw_val[EMU_NUM_SEGS];
    uint8_t crw_mask;            /* CR writes deferred to commit, after the memory writes
                                    (task switch: CR0.TS and CR3): bit n = CRn */
    uint64_t crw_cr0, crw_cr3;
    uint8_t keep_rf;             /* IRET / task switch loaded RF: do not clear it at retirement */
    struct emu_event events[EMU_MAX_EVENTS];
    uint64_t rmw_la, rmw_old;    /* read-modify-write destination: linear address, old value */
    uint8_t rmw_valid, rmw_flags, cmpxchg_failed, tf_at_start;
    uint8_t regw_overflow;
    uint64_t tmp[4];             /* values a check stage hands to the executor (new CR value...) */
    uint8_t ndd_dst;             /* APX NDD: 1 + register that receives operand 0's result */
    uint8_t fetch[16];           /* instruction bytes fetched through ops->fetch */
    uint8_t nfetch;
    const uint8_t *fetch_src;    /* where the decoded bytes are (caller's buffer or fetch[]) */
    /* completed read data for a re-step after EMU_IO_PENDING */
    uint8_t have_completion, completion_is_port, completion_size;
    uint64_t completion_addr;
    uint8_t completion[64];
    struct emu_dcache_entry dcache[EMU_DCACHE_SIZE];
    uint16_t dcache_mru;         /* bit s: the second entry of set s was used last */
    const struct emu_cpu_state *pre_state; /* get_state already called by emu_step's fast path */
    uint32_t nfast;              /* steps the fast path ran (statistics, tests) */
    uint16_t fast_last;          /* byte offset in dcache of the last fast step's entry (not a
                                    pointer: a context may be copied) */
};

/** @brief Optional fallback describer (Zydis): names instructions our tables do not know. */
struct emu_fallback {
    /** Fill *length and *mnemonic (a static string) for the first instruction in bytes.
     *  Return 0 if it decodes, non-zero if the bytes are invalid in this mode. */
    int (*describe)(enum emu_mode mode, const uint8_t *bytes, unsigned n, unsigned *length,
                    const char **mnemonic);
};

/**
 * @brief One vCPU's emulator context.  Allocate it anywhere (stack, per-vCPU struct); set it up
 *        with emu_init().  The public fields may be changed between steps.
 */
struct emu_ctx {
    struct emu_config cfg;            /**< Copy of the configuration. */
    const struct emu_ops *ops;        /**< Callbacks. */
    void *opaque;                     /**< Passed to every callback. */
    struct emu_regs *regs;            /**< The caller's registers. */
    const struct emu_fallback *fallback; /**< NULL or emu_zydis_fallback (see emulate_zydis.h). */
    struct emu_result result;         /**< Filled by every emu_step(). */
    struct emu_scratch s;             /**< Internal. */
};

/* ============================================================================================ */
/* Functions                                                                                    */
/* ============================================================================================ */

/** @brief Prepare a context.  cfg is copied; ops, opaque and regs are kept by pointer. */
void emu_init(struct emu_ctx *ctx, const struct emu_config *cfg, const struct emu_ops *ops,
              void *opaque, struct emu_regs *regs);

/**
 * @brief Decode, check, execute and commit one instruction.
 *
 * @param bytes   The instruction bytes at CS:RIP (for example the VMCB decode-assist bytes),
 *                or NULL to fetch them through ops->fetch.
 * @param nbytes  How many bytes are valid at bytes; if the instruction is longer, the rest is
 *                fetched through ops->fetch.
 * @return        The status; details in ctx->result.
 */
enum emu_status emu_step(struct emu_ctx *ctx, const uint8_t *bytes, size_t nbytes);

/**
 * @brief emu_step with the processor state the exit already gave the caller.
 *
 * A hypervisor has CR0, CR4, EFER, CS and SS at hand when it handles an exit (in the VMCB or
 * its VMCS cache); passing them saves the get_state callback, which is what this step would
 * otherwise start with.  The step behaves exactly as emu_step with a get_state callback that
 * returns *state (get_state itself is not called, and need not exist).
 *
 * On the exit path (bytes given, 64-bit mode) the common instructions then run without the
 * stage pipeline: ALU and MOV with register and immediate operands, and MOV between a register
 * and memory (MMIO), straight from the decode cache (see lib/fast.c for what makes a step take
 * the full pipeline instead; the results are the same).  On an x86-64 host built with GCC or
 * Clang their ALU operations execute the host instruction and read RFLAGS back (inline asm,
 * lib/hostalu.h); a build with EMU_NO_HOST_ALU defined uses portable C only.
 *
 * @param state  The current CR0, CR4, EFER, CS and SS; must not be NULL.
 */
enum emu_status emu_step_state(struct emu_ctx *ctx, const uint8_t *bytes, size_t nbytes,
                               const struct emu_cpu_state *state);

/**
 * @brief Supply the data of a read that returned EMU_IO_PENDING; the next emu_step() of the
 *        same instruction uses it instead of calling the callback again.
 */
void emu_complete_io(struct emu_ctx *ctx, const void *data, unsigned size);

/**
 * @brief Deliver an event to the guest as the processor does (optional: emu_step only reports
 *        events; an embedder may deliver them itself or call this).
 *
 * exc is an event as emu_step reports it (result.exception), or built by the caller for an
 * external interrupt (vector >= 32, is_soft = 0) or NMI.  The vCPU state must be the one the
 * event happened in: RIP at the faulting instruction for faults, at the INT n / INT3 / INTO /
 * INT1 instruction for software interrupts (is_soft, insn_length: the return address is
 * RIP + insn_length), at the next instruction for traps and interrupts.  INT1 (ICEBP) is
 * recognised by is_soft == 2, or vector 1 with insn_length 1 as emu_step reports it.
 *
 * Real mode uses the IVT; virtual-8086 mode the VME redirection for software interrupts;
 * protected and long mode the IDT: task gates (a task switch), interrupt and trap gates, the
 * gate-DPL check of software interrupts, the stack switch through the TSS (IST in long mode),
 * the error-code push and the RFLAGS changes.  A fault during delivery is handled as the
 * processor does: #DF(0) for a contributory fault on a contributory fault or on #PF (and a #PF
 * on #PF), else the new fault is delivered instead; CR2 is written when a #PF is delivered.
 *
 * @return EMU_OK (delivered and committed: registers, segments, stack, CR2); EMU_INTERCEPT in a
 *         nested guest when L1 intercepts the exception (exit 0x40 + vector, EXITINFO1 = error
 *         code, EXITINFO2 = CR2 for #PF); EMU_UNHANDLED with reason "triple fault: shutdown"
 *         on a fault while delivering #DF, or for a missing callback; EMU_RETRY if a callback
 *         asked.  Only EMU_OK commits anything, except that a task switch through a task gate
 *         commits at its commit point (see emu_step's task-switch note in lib/task.c).
 */
enum emu_status emu_deliver(struct emu_ctx *ctx, const struct emu_exception *exc);

/**
 * @brief Decode the instruction at CS:RIP for the vCPU of ctx (mode from its state) without
 *        executing it.  Returns the decoder status; *out holds the instruction.
 */
enum emu_decode_status emu_decode(struct emu_ctx *ctx, const uint8_t *bytes, size_t nbytes,
                                  struct emu_insn *out);

/**
 * @brief Decode for an explicit mode with no vCPU: cfg gives vendor and features, xcr0 the
 *        enabled state components (APX needs bit 19).
 */
enum emu_decode_status emu_decode_mode(const struct emu_config *cfg, enum emu_mode mode,
                                       uint64_t xcr0, const uint8_t *bytes, size_t nbytes,
                                       struct emu_insn *out);

/** @brief What a hypervisor that intercepted #GP needs to know about the faulting instruction
 *         (the situation of KVM's gp_interception): is it VMRUN/VMLOAD/VMSAVE, and is its rAX
 *         valid for this guest?  A valid rAX means the #GP came from the host's narrower view
 *         (MAXPHYADDR or a reserved range) and the instruction must be emulated or its #VMEXIT
 *         synthesized; an invalid one means the guest gets the #GP. */
struct emu_svm_gp_info {
    uint8_t is_svm_rax_insn; /**< 1 for VMRUN, VMLOAD or VMSAVE. */
    uint8_t rax_valid;       /**< rAX (at the address size) is 4 KiB aligned and below 2^MAXPHYADDR
                                  of the guest, and outside the SMM range where that applies. */
    uint16_t op;             /**< Operation id. */
    uint32_t exit_code;      /**< 0x80, 0x82 or 0x83 for the three; 0 otherwise. */
    uint64_t rax;            /**< rAX truncated to the effective address size. */
    uint8_t length;          /**< Instruction length. */
};

/**
 * @brief Classify the instruction at CS:RIP after an intercepted #GP.  Decode-only: nothing is
 *        executed or committed.  Returns the decoder status (EMU_DEC_OK when it decoded).
 */
enum emu_decode_status emu_svm_classify_gp(struct emu_ctx *ctx, const uint8_t *bytes, size_t nbytes,
                                           struct emu_svm_gp_info *out);

/** @brief The mnemonic of an operation id ("(bad)" for unknown ids). */
const char *emu_mnemonic(unsigned op);

/** @brief Names: "real", "v86", "prot16", "prot32", "compat16", "compat32", "long64". */
const char *emu_mode_name(enum emu_mode mode);
/** @brief Parse a mode name; returns -1 if unknown. */
int emu_mode_from_name(const char *name);

/** @brief Feature names (Linux cpuinfo spelling); -1 if unknown, -2 if a baseline feature. */
int emu_feature_from_name(const char *name);
const char *emu_feature_name(enum emu_feature f);

/** @brief Set or test a feature bit in a configuration. */
static inline void emu_config_set_feature(struct emu_config *cfg, enum emu_feature f)
{
    cfg->features[(unsigned)f / 64] |= 1ull << ((unsigned)f % 64);
}
static inline int emu_config_has_feature(const struct emu_config *cfg, enum emu_feature f)
{
    return (int)((cfg->features[(unsigned)f / 64] >> ((unsigned)f % 64)) & 1);
}

/**
 * @brief XSAVE state component 19 (APX): R16..R31, 8 bytes each, little endian, in register
 *        order, at this offset of the standard (non-compacted) XSAVE area.
 */
#define EMU_XSAVE_APX_COMPONENT 19
#define EMU_XSAVE_APX_OFFSET 960
#define EMU_XSAVE_APX_SIZE 128
#define EMU_XCR0_APX (1ull << 19)

#ifdef __cplusplus
}
#endif

#endif /* EMULATE_EMULATE_H */
