// SPDX-License-Identifier: GPL-2.0-only
/*
 * vmx/detect.c - VT-x discovery, per Intel SDM Vol. 3C, 24.6 "Discovering
 * Support for VMX" and 24.7 "Enabling and Entering VMX Operation", and
 * Appendix A "VMX Capability Reporting Facility".
 */
#include <linux/smp.h>
#include <linux/atomic.h>
#include <asm/msr.h>
#include <asm/processor.h>
#include <asm/special_insns.h>

#include "vmain.h"
#include "../core.h"

/* CPUID.1:ECX bit 5: VMX (SDM 24.6). */
#define CPUID_1_ECX_VMX			(1U << 5)
/* IA32_FEATURE_CONTROL (3Ah): lock and VMX-outside-SMX enable (SDM 24.7). */
#define VMAIN_MSR_FEATURE_CONTROL	0x3a
#define FEATURE_CONTROL_LOCKED		(1ULL << 0)
#define FEATURE_CONTROL_VMX_OUTSIDE_SMX	(1ULL << 2)
/* Capability MSRs, Appendix A.3.2, A.3.3 and A.10; allowed-1 in bits 63:32. */
#define VMAIN_MSR_VMX_PROCBASED_CTLS	0x482
#define VMAIN_MSR_VMX_PROCBASED_CTLS2	0x48b
#define VMAIN_MSR_VMX_EPT_VPID_CAP	0x48c
#define PROCBASED_ACTIVATE_SECONDARY	(1U << 31)
#define SECONDARY_ENABLE_EPT		(1U << 1)
#define SECONDARY_ENABLE_VPID		(1U << 5)
#define SECONDARY_UNRESTRICTED_GUEST	(1U << 7)
#define EPT_CAP_WALK_LENGTH_4		(1ULL << 6)
#define EPT_CAP_MEMTYPE_WB		(1ULL << 14)
/* CR4.VMXE is bit 13 (SDM Vol. 3A, 2.5). */
#define VMAIN_CR4_VMXE			(1UL << 13)

u32 vmx_detect(void)
{
	u64 feat, procbased, secondary, ept_cap;
	u32 caps = 0, allowed2;

	if (!(cpuid_ecx(1) & CPUID_1_ECX_VMX))
		return 0;
	/*
	 * SDM 24.7: VMXON faults unless IA32_FEATURE_CONTROL is locked with
	 * VMX-outside-SMX enabled.  Linux locks it at boot when firmware did
	 * not, so an unlocked or disabled MSR means firmware turned VT-x off.
	 */
	if (rdmsrl_safe(VMAIN_MSR_FEATURE_CONTROL, &feat) ||
	    !(feat & FEATURE_CONTROL_LOCKED) ||
	    !(feat & FEATURE_CONTROL_VMX_OUTSIDE_SMX))
		return 0;
	caps |= VMAIN_HW_VMX;

	if (rdmsrl_safe(VMAIN_MSR_VMX_PROCBASED_CTLS, &procbased) ||
	    !((procbased >> 32) & PROCBASED_ACTIVATE_SECONDARY))
		return caps;
	if (rdmsrl_safe(VMAIN_MSR_VMX_PROCBASED_CTLS2, &secondary))
		return caps;
	allowed2 = secondary >> 32;

	if ((allowed2 & SECONDARY_ENABLE_EPT) &&
	    !rdmsrl_safe(VMAIN_MSR_VMX_EPT_VPID_CAP, &ept_cap) &&
	    (ept_cap & EPT_CAP_WALK_LENGTH_4) && (ept_cap & EPT_CAP_MEMTYPE_WB))
		caps |= VMAIN_HW_EPT;
	if (allowed2 & SECONDARY_ENABLE_VPID)
		caps |= VMAIN_HW_VPID;
	if (allowed2 & SECONDARY_UNRESTRICTED_GUEST)
		caps |= VMAIN_HW_UNRESTRICTED;
	return caps;
}

static void vmx_check_cpu(void *data)
{
	atomic_t *owned_cpu = data;

	if (__read_cr4() & VMAIN_CR4_VMXE)
		atomic_cmpxchg(owned_cpu, -1, smp_processor_id());
}

/* True if CR4.VMXE is set on any online CPU; *cpu is one such CPU. */
bool vmx_owned_elsewhere(int *cpu)
{
	atomic_t owned_cpu = ATOMIC_INIT(-1);

	on_each_cpu(vmx_check_cpu, &owned_cpu, 1);
	*cpu = atomic_read(&owned_cpu);
	return *cpu >= 0;
}
