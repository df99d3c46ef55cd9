// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * machine/cpuid.c - the CPUID policy (see cpuid.h).  Bit positions are
 * from the Intel SDM Vol. 2A "CPUID" and the AMD APM Vol. 3 appendix E.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "machine/cpuid.h"

#define BIT(n)	(1u << (n))

/* Highest leaves offered: what the policy below knows about. */
#define MAX_BASIC	0x0du
#define MAX_EXT		0x80000008u
#define HV_BASE		0x40000000u

/*
 * XSAVE components offered: x87, SSE, AVX, AVX-512 (opmask, ZMM_Hi256,
 * Hi16_ZMM); they fit the module's 4 KiB XSAVE area.  Supervisor states
 * need IA32_XSS, which no backend path here keeps, so XSAVES is hidden.
 */
#define XCR0_OFFERED	0xe7ull

static void leaf1(struct vmain_cpuid_entry *e, unsigned int cpu,
		  unsigned int ncpus)
{
	e->ebx = (e->ebx & 0xffff) | (ncpus & 0xff) << 16 | (cpu & 0xff) << 24;
	/* Off: DTES64, MONITOR, DS-CPL, VMX, SMX, EST, TM2, PDCM, PCID, DCA. */
	e->ecx &= ~(BIT(2) | BIT(3) | BIT(4) | BIT(5) | BIT(6) | BIT(7) |
		    BIT(8) | BIT(15) | BIT(17) | BIT(18));
	/* On: x2APIC, TSC-deadline timer, "running under a hypervisor". */
	e->ecx |= BIT(21) | BIT(24) | BIT(31);
	/* Off: DS, ACPI thermal, TM, PBE.  HTT says "more than one CPU". */
	e->edx &= ~(BIT(21) | BIT(22) | BIT(29) | BIT(31) | BIT(28));
	e->edx |= BIT(9) | (ncpus > 1 ? BIT(28) : 0);
}

static void leaf7(struct vmain_cpuid_entry *e)
{
	if (e->index) {
		e->eax = e->ebx = e->ecx = e->edx = 0;
		return;
	}
	e->eax = 0;		/* no sub-leaf 1 */
	/*
	 * Off: SGX, HLE, INVPCID, RTM, RDT-M, RDT-A, MPX, Intel PT.  Also
	 * IA32_TSC_ADJUST (bit 1): MSR 3BH is not in the state a save keeps
	 * (docs/abi.md), so a restored guest would find its adjustment gone,
	 * and vmain.ko does not offer it: hiding it on every backend keeps
	 * a state saved through one restorable through the other.  And bit
	 * 22, reserved (PCOMMIT, withdrawn), which an emulator's CPU model
	 * may still report (QEMU's TCG does) and KVM never passes on.
	 */
	e->ebx &= ~(BIT(1) | BIT(2) | BIT(4) | BIT(10) | BIT(11) | BIT(12) | BIT(14) |
		    BIT(15) | BIT(22) | BIT(25));
	/* Off: PKU, OSPKE, WAITPKG, LA57, PKS. */
	e->ecx &= ~(BIT(3) | BIT(4) | BIT(5) | BIT(16) | BIT(31));
	/*
	 * EDX: FSRM, MD_CLEAR, SERIALIZE, and the speculation controls both
	 * backends keep (IBRS/IBPB 26, STIBP 27, SSBD 31: spec_controls()
	 * below; ARCH_CAPABILITIES 29 is set there).  The rest is MSR-backed
	 * (L1D_FLUSH, CORE_CAPABILITIES, ...) and kept by neither.
	 */
	e->edx &= BIT(4) | BIT(10) | BIT(14) | BIT(26) | BIT(27) | BIT(31);
}

static void leaf_xsave(struct vmain_cpuid_entry *e, uint64_t xcr0)
{
	if (e->index == 0) {
		e->eax &= (uint32_t)xcr0;
		e->edx &= (uint32_t)(xcr0 >> 32);
	} else if (e->index == 1) {
		e->eax &= ~BIT(3);	/* XSAVES/XRSTORS */
		e->ecx = e->edx = 0;	/* IA32_XSS bits */
	}
}

/*
 * CPUID.(EAX=0DH,ECX=0):EBX is the XSAVE area size for the features
 * enabled in XCR0 now, ECX for all supported ones.  The guest enables
 * what it is offered, so both are the end of the last offered component
 * (the standard format: offset and size from sub-leaves 2 and up), at
 * least the 512-byte legacy area plus the 64-byte header (SDM Vol. 1,
 * "XSAVE-Supported Features and State-Component Bitmaps").
 */
static void xsave_sizes(struct vmain_cpuid_entry *e, uint32_t n, uint64_t xcr0)
{
	uint32_t i, size = 576;
	struct vmain_cpuid_entry *sub0 = NULL;

	for (i = 0; i < n; i++) {
		if (e[i].function != 0xd)
			continue;
		if (e[i].index == 0)
			sub0 = &e[i];
		else if (e[i].index >= 2 && e[i].index < 64 &&
			 (xcr0 & (1ull << e[i].index)) &&
			 e[i].ebx + e[i].eax > size)
			size = e[i].ebx + e[i].eax;
	}
	if (sub0)
		sub0->ebx = sub0->ecx = size;
}

static void leaf_topology(struct vmain_cpuid_entry *e, unsigned int cpu,
			  unsigned int ncpus)
{
	unsigned int shift = 0;

	while ((1u << shift) < ncpus)
		shift++;
	e->edx = cpu;
	if (e->index == 0) {		/* SMT level: one thread per core */
		e->eax = 0;
		e->ebx = 1;
		e->ecx = 1u << 8;
	} else if (e->index == 1) {	/* core level: the package */
		e->eax = shift;
		e->ebx = ncpus;
		e->ecx = 2u << 8 | 1;
	} else {
		e->eax = e->ebx = 0;
		e->ecx = e->index;
	}
}

static void leaf_ext1(struct vmain_cpuid_entry *e)
{
	/*
	 * Off: CmpLegacy, SVM, ExtApicSpace, OSVW, IBS, SKINIT, WDT, LWP,
	 * NodeId, TopologyExtensions, the performance-counter extensions,
	 * DataBreakpointExtension, PerfTsc, MWAITX.
	 */
	e->ecx &= ~(BIT(1) | BIT(2) | BIT(3) | BIT(9) | BIT(10) | BIT(12) |
		    BIT(13) | BIT(15) | BIT(19) | BIT(22) | BIT(23) | BIT(24) |
		    BIT(26) | BIT(27) | BIT(28) | BIT(29));
}

static void leaf_ext8(struct vmain_cpuid_entry *e, unsigned int ncpus)
{
	/*
	 * CLZERO and XSaveErPtr, and the speculation controls (IBPB 12,
	 * IBRS 14, STIBP 15, SSBD 24: spec_controls()); the rest announce
	 * MSRs neither backend keeps (VIRT_SPEC_CTRL, PSFD, ...).
	 */
	e->ebx &= BIT(0) | BIT(2) | BIT(12) | BIT(14) | BIT(15) | BIT(24);
	e->ecx = (ncpus - 1) & 0xff;	/* NC; ApicIdSize 0: derive it */
	e->edx = 0;
}

/*
 * The speculation controls, offered where the backend has them (the host
 * does): SPEC_CTRL's IBRS, STIBP and SSBD bits, PRED_CMD's IBPB (Intel
 * SDM Vol. 2A CPUID leaf 07H EDX; AMD's 8000_0008h EBX), whatever vendor
 * reported them, in both vendors' bits, so that the two backends
 * (vmain.ko passes the host's CPUID on, KVM adds the other vendor's
 * bits itself) build the same table and a state saved through one
 * restores through the other.  A saved state carries SPEC_CTRL
 * (hv_state_msrs).  ARCH_CAPABILITIES (7.0:EDX[29]) is offered always:
 * both backends emulate it, from the host's value and the host kernel's
 * verdicts (docs/abi.md, "Speculation-control MSRs").
 */
static void spec_controls(struct vmain_cpuid_entry *l7, struct vmain_cpuid_entry *x8)
{
	uint32_t edx = l7 ? l7->edx : 0, ebx = x8 ? x8->ebx : 0;
	bool ibrs = (edx & BIT(26)) || (ebx & BIT(14));
	bool ibpb = (edx & BIT(26)) || (ebx & BIT(12));
	bool stibp = (edx & BIT(27)) || (ebx & BIT(15));
	bool ssbd = (edx & BIT(31)) || (ebx & BIT(24));

	if (l7) {
		l7->edx &= ~(BIT(26) | BIT(27) | BIT(31));
		l7->edx |= BIT(29) | (ibrs && ibpb ? BIT(26) : 0) |
			   (stibp ? BIT(27) : 0) | (ssbd ? BIT(31) : 0);
	}
	if (x8) {
		x8->ebx &= ~(BIT(12) | BIT(14) | BIT(15) | BIT(24));
		x8->ebx |= (ibpb ? BIT(12) : 0) | (ibrs ? BIT(14) : 0) |
			   (stibp ? BIT(15) : 0) | (ssbd ? BIT(24) : 0);
	}
}

static struct vmain_cpuid_entry *emit(struct vmain_cpuid_entry *out,
				      uint32_t *n, uint32_t function,
				      uint32_t index, uint32_t flags)
{
	struct vmain_cpuid_entry *e;

	if (*n >= CPUID_MAX_ENTRIES)
		return NULL;
	e = &out[(*n)++];
	memset(e, 0, sizeof(*e));
	e->function = function;
	e->index = index;
	e->flags = flags;
	return e;
}

int cpuid_build(const struct vmain_cpuid_entry *in, uint32_t n,
		unsigned int cpu, unsigned int ncpus, uint64_t xcr0_host,
		unsigned int pv, struct vmain_cpuid_entry *out, uint32_t *n_out)
{
	uint64_t xcr0 = xcr0_host & XCR0_OFFERED;
	struct vmain_cpuid_entry *e, *l7 = NULL, *x8 = NULL;
	uint32_t i, k = 0, f;
	bool have_topology = false;

	for (i = 0; i < n; i++) {
		f = in[i].function;
		if (f > MAX_BASIC && f < 0x80000000u)
			continue;	/* 0x40000000.. are ours, below */
		if (f > MAX_EXT)
			continue;
		switch (f) {
		case 0x5: case 0x8: case 0x9: case 0xa:
		case 0x8000000a:
			continue;	/* MONITOR, perfmon, DCA, SVM: absent */
		case 0xb:
			if (in[i].index > 2)
				continue;
			have_topology = true;
			break;
		case 0xd:
			if (in[i].index >= 2 && in[i].index < 64 &&
			    !(xcr0 & (1ull << in[i].index)))
				continue;
			break;
		}
		e = emit(out, &k, f, in[i].index, in[i].flags);
		if (!e)
			return -E2BIG;
		e->eax = in[i].eax;
		e->ebx = in[i].ebx;
		e->ecx = in[i].ecx;
		e->edx = in[i].edx;
		switch (f) {
		case 0x0:
			if (e->eax > MAX_BASIC)
				e->eax = MAX_BASIC;
			break;
		case 0x1:
			leaf1(e, cpu, ncpus);
			break;
		case 0x4:	/* cores per package - 1, one thread per cache */
			e->eax = (e->eax & 0x3ff) | ((ncpus - 1) & 0x3f) << 26;
			break;
		case 0x6:	/* only "APIC timer always running" (ARAT) */
			e->eax &= BIT(2);
			e->ebx = e->ecx = e->edx = 0;
			break;
		case 0x7:
			leaf7(e);
			if (!e->index)
				l7 = e;
			break;
		case 0xb:
			leaf_topology(e, cpu, ncpus);
			break;
		case 0xd:
			leaf_xsave(e, xcr0);
			break;
		case 0x80000000:
			if (e->eax > MAX_EXT)
				e->eax = MAX_EXT;
			break;
		case 0x80000001:
			leaf_ext1(e);
			break;
		case 0x80000007:	/* only the invariant TSC */
			e->eax = e->ebx = e->ecx = 0;
			e->edx &= BIT(8);
			break;
		case 0x80000008:
			leaf_ext8(e, ncpus);
			x8 = e;
			break;
		}
	}
	spec_controls(l7, x8);
	if (!have_topology) {
		for (i = 0; i < 3; i++) {
			e = emit(out, &k, 0xb, i, VMAIN_CPUID_INDEXED);
			if (!e)
				return -E2BIG;
			leaf_topology(e, cpu, ncpus);
		}
		for (i = 0; i < k; i++)
			if (out[i].function == 0 && out[i].eax < 0xb)
				out[i].eax = 0xb;
	}
	/*
	 * The hypervisor leaves: KVM's signature (Linux Documentation/virt/
	 * kvm/x86/cpuid.rst).  A guest that finds them may use x2APIC
	 * without interrupt remapping, which is what the monitor's local
	 * APIC offers.  Paravirtual interfaces only when asked for: the clock
	 * (KVM_FEATURE_CLOCKSOURCE2, bit 3, with KVM_FEATURE_CLOCKSOURCE_
	 * STABLE_BIT, bit 24) and the EOI flag (KVM_FEATURE_PV_EOI, bit 6:
	 * the guest clears a flag in its memory instead of writing the EOI
	 * register when KVM has set it, saving an exit per interrupt;
	 * Documentation/virt/kvm/x86/msr.rst, MSR_KVM_PV_EOI_EN).
	 */
	e = emit(out, &k, HV_BASE, 0, 0);
	if (!e)
		return -E2BIG;
	e->eax = HV_BASE + 1;
	memcpy(&e->ebx, "KVMK", 4);
	memcpy(&e->ecx, "VMKV", 4);
	memcpy(&e->edx, "M\0\0\0", 4);
	e = emit(out, &k, HV_BASE + 1, 0, 0);
	if (!e)
		return -E2BIG;
	if (pv & CPUID_PV_CLOCK)
		e->eax |= BIT(3) | BIT(24);
	if (pv & CPUID_PV_EOI)
		e->eax |= BIT(6);
	xsave_sizes(out, k, xcr0);
	*n_out = k;
	return 0;
}
