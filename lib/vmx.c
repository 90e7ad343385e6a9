/*
 * VMX instructions the decoder knows (the APX-promoted INVEPT and INVVPID; their legacy forms
 * are left to the fallback).  The library does not model VMX operation: without VMX in CPUID
 * they are #UD, as on a CPU without VMX; with it, the answer depends on virtual VMX state only
 * the embedder's nested-VMX code has, so the instruction is reported, unchanged, after its
 * decode-time checks.  (In VMX non-root operation they always cause a VM exit, so a hypervisor
 * sees them there before any emulation.)
 */
#include "internal.h"

EXEC(emu_exec_vmx_inv)
{
    EMU_UNUSED(in);
    if (!emu_has(ctx, EMU_FEAT_VMX)) return emu_ud(ctx);
    return emu_unhandled(ctx, "VMX operation is not modelled: INVEPT/INVVPID belong to the embedder");
}
