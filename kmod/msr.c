// SPDX-License-Identifier: GPL-2.0-only
/*
 * msr.c - the MSRs a guest may use, engine-neutral part.
 *
 * A defined set is answered in the kernel: the architectural MSRs that
 * live in the engine's hardware state (EFER, STAR/LSTAR/CSTAR/SFMASK, FS/GS
 * bases, KERNEL_GS_BASE, SYSENTER_*, PAT, TSC: engine get_msr/set_msr) and
 * a few the guest expects to exist (APIC_BASE, MISC_ENABLE, TSC_AUX,
 * MTRRcap/MTRRdefType, MCG_CAP/STATUS, microcode revision, HWCR), kept
 * here, and the speculation-control MSRs the guest's CPUID offers
 * (SPEC_CTRL, PRED_CMD, ARCH_CAPABILITIES: spec.c).  The local APIC is emulated in userspace, so the x2APIC range and
 * IA32_TSC_DEADLINE exit to userspace (VMAIN_EXIT_MSR), as do the two
 * paravirtual clock MSRs (KVM's kvmclock ABI, which a monitor may offer
 * through CPUID and then serves itself).  Everything else
 * raises #GP in the guest, as on a CPU that lacks the MSR (SDM Vol. 4).
 */
#include <linux/uaccess.h>
#include <asm/debugreg.h>
#include <asm/fpu/xcr.h>

#include "spec.h"
#include "vcpu.h"

#define MSR_TSC			0x00000010
#define MSR_APIC_BASE		0x0000001b
#define MSR_UCODE_REV		0x0000008b
#define MSR_MTRR_CAP		0x000000fe
#define MSR_MCG_CAP		0x00000179
#define MSR_MCG_STATUS		0x0000017a
#define MSR_MISC_ENABLE		0x000001a0
#define MSR_MTRR_DEF_TYPE	0x000002ff
#define MSR_TSC_DEADLINE	0x000006e0
#define MSR_X2APIC_FIRST	0x00000800
#define MSR_X2APIC_LAST		0x000008ff
#define MSR_TSC_AUX		0xc0000103
/* Linux Documentation/virt/kvm/x86/msr.rst: MSR_KVM_WALL_CLOCK_NEW, _SYSTEM_TIME_NEW. */
#define MSR_PV_WALL_CLOCK	0x4b564d00
#define MSR_PV_SYSTEM_TIME	0x4b564d01
#define MSR_AMD_HWCR		0xc0010015

/* APIC_BASE: BSP 8, x2APIC 10, enable 11, base 12..51 (SDM 10.4.4). */
#define APIC_BASE_VALID		(0x000ffffffffff000ULL | (1ULL << 8) | \
				 (1ULL << 10) | (1ULL << 11))

int vmain_msr_check_apic_base(u64 value)
{
	return (value & ~APIC_BASE_VALID) ? -EINVAL : 0;
}

void vmain_vcpu_reset_neutral(struct vmain_vcpu *vcpu)
{
	/* RESET values (SDM 9.1.1, Table 9-1). */
	vcpu->apic_base = 0xfee00000ULL | (1ULL << 11) | (vcpu->id ? 0 : 1ULL << 8);
	vcpu->misc_enable = 1;		/* fast strings */
	vcpu->xcr0 = XFEATURE_MASK_FP;
	/* DR0-3 are 0, DR6 FFFF0FF0h (SDM 9.1.1); PKRU's INIT value is 0. */
	memset(vcpu->db, 0, sizeof(vcpu->db));
	vcpu->dr6 = DR6_RESERVED;
	vcpu->pkru = 0;
	vcpu->spec_ctrl = 0;		/* IA32_SPEC_CTRL resets to 0 */
}

/*
 * XCR0 the guest may set (SDM Vol. 1, 13.3): x87 always, AVX needs SSE,
 * and nothing the host has not enabled, since the host's XSAVE area and
 * the guest's fpstate hold only those components.
 */
u64 vmain_host_xcr0(void)
{
	/* Without CR4.OSXSAVE, XGETBV is #UD: the state is x87 and SSE. */
	if (!boot_cpu_has(X86_FEATURE_OSXSAVE))
		return XFEATURE_MASK_FPSSE;
	return xgetbv(XCR_XFEATURE_ENABLED_MASK);
}

int vmain_xcr0_check(u64 xcr0)
{
	u64 host = vmain_host_xcr0();

	if (!(xcr0 & XFEATURE_MASK_FP) || (xcr0 & ~host))
		return -EINVAL;
	if ((xcr0 & XFEATURE_MASK_YMM) && !(xcr0 & XFEATURE_MASK_SSE))
		return -EINVAL;
	/* AVX-512 components come as a set, and need AVX. */
	if ((xcr0 & XFEATURE_MASK_AVX512) &&
	    ((xcr0 & XFEATURE_MASK_AVX512) != XFEATURE_MASK_AVX512 ||
	     !(xcr0 & XFEATURE_MASK_YMM)))
		return -EINVAL;
	/* MPX and AMX need dynamic fpstate handling we do not have. */
	if (xcr0 & (XFEATURE_MASK_BNDREGS | XFEATURE_MASK_BNDCSR |
		    XFEATURE_MASK_XTILE))
		return -EINVAL;
	return 0;
}

/*
 * 0 and *data, or -ENOENT: not an MSR this guest has (-EINVAL: refused).
 * host: GET_MSRS, not the guest's RDMSR.
 */
static int msr_get(struct vmain_vcpu *vcpu, u32 index, bool host, u64 *data)
{
	if (vmain_spec_msr(index))
		return vmain_spec_msr_get(vcpu, index, host, data);
	switch (index) {
	case MSR_APIC_BASE:
		*data = vcpu->apic_base;
		return 0;
	case MSR_MISC_ENABLE:
		*data = vcpu->misc_enable;
		return 0;
	case MSR_TSC_AUX:
		*data = vcpu->tsc_aux;
		return 0;
	case MSR_MTRR_CAP:		/* no variable or fixed MTRRs, no WC */
	case MSR_MCG_CAP:		/* no machine-check banks */
	case MSR_MCG_STATUS:
	case MSR_UCODE_REV:
		*data = 0;
		return 0;
	case MSR_MTRR_DEF_TYPE:
		*data = vcpu->mtrr_def_type;
		return 0;
	case MSR_AMD_HWCR:
		*data = vcpu->hwcr;
		return 0;
	default:
		return vmain_engine()->get_msr(vcpu, index, data);
	}
}

/*
 * 0, -ENOENT (no such MSR) or -EINVAL (a value the MSR refuses).  host:
 * SET_MSRS, not the guest's WRMSR.
 */
static int msr_set(struct vmain_vcpu *vcpu, u32 index, bool host, u64 data)
{
	if (vmain_spec_msr(index))
		return vmain_spec_msr_set(vcpu, index, host, data);
	switch (index) {
	case MSR_APIC_BASE:
		if (vmain_msr_check_apic_base(data))
			return -EINVAL;
		vcpu->apic_base = data;
		return 0;
	case MSR_MISC_ENABLE:
		vcpu->misc_enable = data;
		return 0;
	case MSR_TSC_AUX:
		if (data >> 32)
			return -EINVAL;
		vcpu->tsc_aux = data;
		return 0;
	case MSR_MTRR_DEF_TYPE:
		/* Type 7:0, FE 10, E 11; the rest reserved (SDM 11.11.2.1). */
		if (data & ~0xcffULL)
			return -EINVAL;
		vcpu->mtrr_def_type = data;
		return 0;
	case MSR_MCG_STATUS:
		return data ? -EINVAL : 0;
	case MSR_UCODE_REV:		/* written before CPUID to read it back */
		return 0;
	case MSR_AMD_HWCR:
		vcpu->hwcr = data;
		return 0;
	case MSR_MTRR_CAP:
	case MSR_MCG_CAP:
		return -EINVAL;		/* read-only */
	default:
		return vmain_engine()->set_msr(vcpu, index, data);
	}
}

static bool msr_for_userspace(u32 index)
{
	return index == MSR_TSC_DEADLINE ||
	       index == MSR_PV_WALL_CLOCK || index == MSR_PV_SYSTEM_TIME ||
	       (index >= MSR_X2APIC_FIRST && index <= MSR_X2APIC_LAST);
}

int vmain_msr_guest_access(struct vmain_vcpu *vcpu, u32 index, bool write,
			   u64 *data, u64 next_rip)
{
	struct vmain_run *run = vcpu->run;

	if (msr_for_userspace(index)) {
		run->exit_reason = VMAIN_EXIT_MSR;
		memset(&run->exit.msr, 0, sizeof(run->exit.msr));
		run->exit.msr.index = index;
		run->exit.msr.is_write = write;
		run->exit.msr.data = write ? *data : 0;
		vcpu->pending = write ? PENDING_MSR_WRITE : PENDING_MSR_READ;
		vcpu->pending_next_rip = next_rip;
		return 1;
	}
	if (write)
		return msr_set(vcpu, index, false, *data) ? -EPERM : 0;
	return msr_get(vcpu, index, false, data) ? -EPERM : 0;
}

long vmain_msrs_ioctl(struct vmain_vcpu *vcpu, void __user *uarg, bool set)
{
	struct vmain_msr_entry __user *uentries;
	struct vmain_msr_entry e;
	struct vmain_msrs msrs;
	u32 i;

	if (copy_from_user(&msrs, uarg, sizeof(msrs)))
		return -EFAULT;
	if (msrs.flags || memchr_inv(msrs.reserved, 0, sizeof(msrs.reserved)) ||
	    !msrs.nmsrs || msrs.nmsrs > VMAIN_MAX_MSR_ENTRIES)
		return -EINVAL;
	uentries = u64_to_user_ptr(msrs.entries);
	for (i = 0; i < msrs.nmsrs; i++) {
		if (copy_from_user(&e, &uentries[i], sizeof(e)))
			return -EFAULT;
		if (e.reserved)
			return -EINVAL;
		if (set) {
			if (msr_set(vcpu, e.index, true, e.data))
				break;
		} else {
			if (msr_get(vcpu, e.index, true, &e.data))
				break;
			if (copy_to_user(&uentries[i].data, &e.data, sizeof(e.data)))
				return -EFAULT;
		}
	}
	return i;
}
