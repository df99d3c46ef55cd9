// SPDX-License-Identifier: GPL-2.0-only
/*
 * spec.c - the guest's speculation-control MSRs (SDM Vol. 4, 2.1
 * "Architectural MSRs": IA32_SPEC_CTRL 48H, IA32_PRED_CMD 49H,
 * IA32_ARCH_CAPABILITIES 10AH; AMD's "Speculation Control" white papers
 * for the CPUID 8000_0008h EBX bits).
 *
 * What a guest has follows its CPUID table (SET_CPUID), as on a real CPU,
 * but only as far as the host can back it:
 *   SPEC_CTRL  exists when the table offers IBRS (7.0:EDX[26] or
 *              8000_0008h:EBX[14]), STIBP (7.0:EDX[27], 8000_0008h:EBX[15])
 *              or SSBD (7.0:EDX[31], 8000_0008h:EBX[24]) and the host
 *              has that bit in its own SPEC_CTRL; its writable bits are
 *              exactly those.  A RDMSR/WRMSR without it, or a WRMSR of
 *              any other bit, raises #GP.
 *   PRED_CMD   write-only, when the table offers IBPB (7.0:EDX[26] or
 *              8000_0008h:EBX[12]) and the host has it; IBPB (bit 0) is
 *              passed to the hardware, 0 does nothing, the rest #GP.
 *   ARCH_CAPABILITIES  read-only, when the table offers it (7.0:EDX[29]);
 *              emulated on any host (see arch_caps()).
 *
 * Switching.  Every guest access to these MSRs is intercepted (neither
 * engine lets them through), so the guest's SPEC_CTRL is always the one
 * kept here and the hardware register never changes while the guest
 * runs.  For a guest that has SPEC_CTRL, enter.S writes its value right
 * before VMRUN/VMLAUNCH and the host's (the kernel's per-CPU
 * x86_spec_ctrl_current, which its context switch and bugs.c keep) right
 * after the exit, before the first RET: the host may depend on IBRS for
 * its RETs (spectre_v2=ibrs).  Nothing is written when the two values
 * are equal.  A guest without SPEC_CTRL runs with the host's value in
 * force (the host's IBRS/STIBP/SSBD protect it too).  AMD's V_SPEC_CTRL
 * (the VMCB's own SPEC_CTRL field) is not used: the explicit switch is
 * correct on every CPU, at the cost of two WRMSRs per entry where the
 * values differ.
 */
#include <linux/percpu.h>
#include <asm/cpufeature.h>
#include <asm/msr.h>
#include <asm/nospec-branch.h>

#include "mitigate.h"
#include "spec.h"
#include "vcpu.h"

#define CPUID_7_EDX_IBRS_IBPB	(1U << 26)
#define CPUID_7_EDX_STIBP	(1U << 27)
#define CPUID_7_EDX_ARCH_CAPS	(1U << 29)
#define CPUID_7_EDX_SSBD	(1U << 31)
#define CPUID_X8_EBX_IBPB	(1U << 12)
#define CPUID_X8_EBX_IBRS	(1U << 14)
#define CPUID_X8_EBX_STIBP	(1U << 15)
#define CPUID_X8_EBX_SSBD	(1U << 24)

/* SPEC_CTRL bits this host's register has (0: no SPEC_CTRL at all). */
static u64 spec_host_bits(void)
{
	u64 bits = 0;

	if (!boot_cpu_has(X86_FEATURE_MSR_SPEC_CTRL))
		return 0;
	if (boot_cpu_has(X86_FEATURE_IBRS))		/* Intel or AMD IBRS */
		bits |= SPEC_CTRL_IBRS;
	if (boot_cpu_has(X86_FEATURE_STIBP))		/* Intel or AMD STIBP */
		bits |= SPEC_CTRL_STIBP;
	/* SSBD in SPEC_CTRL (not AMD's VIRT_SPEC_CTRL or LS_CFG). */
	if (boot_cpu_has(X86_FEATURE_SPEC_CTRL_SSBD) || boot_cpu_has(X86_FEATURE_AMD_SSBD))
		bits |= SPEC_CTRL_SSBD;
	return bits;
}

void vmain_spec_cpuid_update(struct vmain_vcpu *vcpu)
{
	const struct vmain_cpuid_entry *l7 = vmain_cpuid_lookup(vcpu, 7, 0);
	const struct vmain_cpuid_entry *x8 = vmain_cpuid_lookup(vcpu, 0x80000008, 0);
	u32 edx7 = l7 ? l7->edx : 0, ebx8 = x8 ? x8->ebx : 0;
	u64 want = 0;

	if ((edx7 & CPUID_7_EDX_IBRS_IBPB) || (ebx8 & CPUID_X8_EBX_IBRS))
		want |= SPEC_CTRL_IBRS;
	if ((edx7 & CPUID_7_EDX_STIBP) || (ebx8 & CPUID_X8_EBX_STIBP))
		want |= SPEC_CTRL_STIBP;
	if ((edx7 & CPUID_7_EDX_SSBD) || (ebx8 & CPUID_X8_EBX_SSBD))
		want |= SPEC_CTRL_SSBD;
	vcpu->spec_ctrl_offered = want & spec_host_bits();
	/* A narrower table takes back the bits it no longer offers. */
	vcpu->spec_ctrl &= vcpu->spec_ctrl_offered;
	vcpu->pred_cmd_offered = boot_cpu_has(X86_FEATURE_IBPB) &&
		((edx7 & CPUID_7_EDX_IBRS_IBPB) || (ebx8 & CPUID_X8_EBX_IBPB));
	vcpu->arch_caps_offered = edx7 & CPUID_7_EDX_ARCH_CAPS;
}

/*
 * The ARCH_CAPABILITIES bits a guest may see: statements about the CPU
 * that hold inside a guest as well ("not affected by ...", enhanced IBRS,
 * "RET may use other predictors", "VERW clears fill buffers").  Left out:
 * the bits that announce further MSRs (TSX_CTRL, FB_CLEAR_CTRL,
 * GDS_CTRL, MCU_CONTROL, ...), which no guest has here, and
 * SKIP_VMENTRY_L1DFLUSH, which only a guest hypervisor would read and
 * no guest gets VMX.
 */
#define ARCH_CAPS_GUEST	(ARCH_CAP_RDCL_NO | ARCH_CAP_IBRS_ALL | ARCH_CAP_RSBA | \
			 ARCH_CAP_SSB_NO | ARCH_CAP_MDS_NO | ARCH_CAP_PSCHANGE_MC_NO | \
			 ARCH_CAP_TAA_NO | ARCH_CAP_SBDR_SSDP_NO | ARCH_CAP_FBSDP_NO | \
			 ARCH_CAP_PSDP_NO | ARCH_CAP_FB_CLEAR | ARCH_CAP_RRSBA | \
			 ARCH_CAP_BHI_NO | ARCH_CAP_PBRSB_NO | ARCH_CAP_GDS_NO | \
			 ARCH_CAP_RFDS_NO | ARCH_CAP_RFDS_CLEAR)

/*
 * The host's value (0 where it has no such MSR: AMD), cut to the bits
 * above, with the "not affected" bits the host kernel's own verdicts
 * imply added (it found the CPU unaffected by Meltdown, SSB, MDS, TAA,
 * GDS or RFDS, whatever the MSR says), as KVM derives its guests' view.
 * IBRS_ALL only with IBRS in the guest's SPEC_CTRL.
 */
static u64 arch_caps(const struct vmain_vcpu *vcpu)
{
	u64 caps = 0;

	if (boot_cpu_has(X86_FEATURE_ARCH_CAPABILITIES))
		rdmsrl(MSR_IA32_ARCH_CAPABILITIES, caps);
	caps &= ARCH_CAPS_GUEST;
	if (!boot_cpu_has_bug(X86_BUG_CPU_MELTDOWN))
		caps |= ARCH_CAP_RDCL_NO;
	if (!boot_cpu_has_bug(X86_BUG_SPEC_STORE_BYPASS))
		caps |= ARCH_CAP_SSB_NO;
	if (!boot_cpu_has_bug(X86_BUG_MDS))
		caps |= ARCH_CAP_MDS_NO;
	if (!boot_cpu_has_bug(X86_BUG_TAA))
		caps |= ARCH_CAP_TAA_NO;
	if (!boot_cpu_has_bug(X86_BUG_GDS))
		caps |= ARCH_CAP_GDS_NO;
	if (!boot_cpu_has_bug(X86_BUG_RFDS))
		caps |= ARCH_CAP_RFDS_NO;
	if (!(vcpu->spec_ctrl_offered & SPEC_CTRL_IBRS))
		caps &= ~ARCH_CAP_IBRS_ALL;
	return caps;
}

bool vmain_spec_msr(u32 index)
{
	return index == MSR_IA32_SPEC_CTRL || index == MSR_IA32_PRED_CMD ||
	       index == MSR_IA32_ARCH_CAPABILITIES;
}

int vmain_spec_msr_get(struct vmain_vcpu *vcpu, u32 index, bool host, u64 *data)
{
	switch (index) {
	case MSR_IA32_SPEC_CTRL:
		/* Userspace may always read it (a saved state carries it). */
		if (!host && !vcpu->spec_ctrl_offered)
			return -EINVAL;
		*data = vcpu->spec_ctrl;
		return 0;
	case MSR_IA32_ARCH_CAPABILITIES:
		if (!host && !vcpu->arch_caps_offered)
			return -EINVAL;
		*data = arch_caps(vcpu);
		return 0;
	default:			/* PRED_CMD is write-only */
		return -EINVAL;
	}
}

int vmain_spec_msr_set(struct vmain_vcpu *vcpu, u32 index, bool host, u64 data)
{
	switch (index) {
	case MSR_IA32_SPEC_CTRL:
		/*
		 * The bits the guest is offered, from the guest and from
		 * userspace alike (so SET_CPUID comes first); userspace may
		 * always write 0, as a restore does for a guest without it.
		 */
		if ((data & ~vcpu->spec_ctrl_offered) ||
		    (!host && !vcpu->spec_ctrl_offered))
			return -EINVAL;
		vcpu->spec_ctrl = data;
		return 0;
	case MSR_IA32_PRED_CMD:
		if (host || !vcpu->pred_cmd_offered || (data & ~(u64)PRED_CMD_IBPB))
			return -EINVAL;
		/* The barrier the guest asked for, on the CPU it runs on. */
		if (data)
			wrmsrl(MSR_IA32_PRED_CMD, PRED_CMD_IBPB);
		return 0;
	default:			/* ARCH_CAPABILITIES is read-only */
		return -EINVAL;
	}
}

unsigned int vmain_spec_enter(struct vmain_vcpu *vcpu, struct vmain_spec_switch *sw)
{
	lockdep_assert_irqs_disabled();
	if (!vcpu->spec_ctrl_offered)
		return 0;
	sw->guest = vcpu->spec_ctrl;
	sw->host = __this_cpu_read(x86_spec_ctrl_current);
	if (sw->guest == sw->host)
		return 0;
	vmain_mitigations_count(VMAIN_MIT_SPEC_CTRL);
	return VMAIN_ENTER_SPEC_CTRL;
}
