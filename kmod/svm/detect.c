// SPDX-License-Identifier: GPL-2.0-only
/*
 * svm/detect.c - AMD-V discovery, per AMD64 APM Vol. 2, 15.4 "Enabling SVM".
 */
#include <linux/smp.h>
#include <linux/atomic.h>
#include <asm/msr.h>
#include <asm/processor.h>

#include "vmain.h"
#include "../core.h"
#include "../vm.h"
#include "svm.h"

u32 svm_features;

/* CPUID Fn8000_0001_ECX bit 2: SVM (APM Vol. 3, E.4.2). */
#define CPUID_80000001_ECX_SVM		(1U << 2)
/* CPUID Fn8000_0001_EDX bit 26: 1 GiB pages, in nested tables too (APM Vol. 2, 15.25.3). */
#define CPUID_80000001_EDX_PAGE1GB	(1U << 26)
/* CPUID Fn8000_000A_EDX: SVM feature identification (APM Vol. 3, E.4.9). */
#define CPUID_8000000A_EDX_NP		(1U << 0)
#define CPUID_8000000A_EDX_NRIPS	(1U << 3)
#define CPUID_8000000A_EDX_VMCBCLEAN	(1U << 5)
#define CPUID_8000000A_EDX_DECODEASSISTS (1U << 7)
/* VM_CR MSR (C001_0114h) bit 4 SVMDIS: firmware disabled SVM (APM 15.30.1). */
#define VMAIN_MSR_VM_CR			0xc0010114
#define VM_CR_SVMDIS			(1ULL << 4)

u32 svm_detect(void)
{
	u32 caps = 0, edx;
	u64 vm_cr;

	if (cpuid_eax(0x80000000) < 0x8000000a)
		return 0;
	if (!(cpuid_ecx(0x80000001) & CPUID_80000001_ECX_SVM))
		return 0;
	/*
	 * APM 15.4: if SVMDIS is set, EFER.SVME cannot be set.  An emulator
	 * may not implement VM_CR at all; a faulting read means "not locked
	 * off", the same as SVMDIS clear.
	 */
	if (!rdmsrl_safe(VMAIN_MSR_VM_CR, &vm_cr) && (vm_cr & VM_CR_SVMDIS))
		return 0;
	caps |= VMAIN_HW_SVM;

	/* Fn8000_000A_EBX: the number of ASIDs; ASID 0 is the host's. */
	svm_max_asid = cpuid_ebx(0x8000000a) - 1;
	edx = cpuid_edx(0x8000000a);
	if (edx & CPUID_8000000A_EDX_NP)
		caps |= VMAIN_HW_NPT;
	if (!(cpuid_edx(0x80000001) & CPUID_80000001_EDX_PAGE1GB))
		vmain_mmu_no_1g = true;
	if (edx & CPUID_8000000A_EDX_NRIPS)
		caps |= VMAIN_HW_NRIPS;
	if (edx & CPUID_8000000A_EDX_VMCBCLEAN)
		caps |= VMAIN_HW_VMCB_CLEAN;
	if (edx & CPUID_8000000A_EDX_DECODEASSISTS)
		caps |= VMAIN_HW_DECODE_ASSISTS;
	svm_features = caps;
	return caps;
}

static void svm_check_cpu(void *data)
{
	atomic_t *owned_cpu = data;
	u64 efer;

	rdmsrl(MSR_EFER, efer);
	if (efer & EFER_SVME)
		atomic_cmpxchg(owned_cpu, -1, smp_processor_id());
}

/* True if EFER.SVME is set on any online CPU; *cpu is one such CPU. */
bool svm_owned_elsewhere(int *cpu)
{
	atomic_t owned_cpu = ATOMIC_INIT(-1);

	on_each_cpu(svm_check_cpu, &owned_cpu, 1);
	*cpu = atomic_read(&owned_cpu);
	return *cpu >= 0;
}
