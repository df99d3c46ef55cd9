// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cpuid-test.c - the CPUID policy (monitor/machine/cpuid.c) on this
 * machine's own leaves and on synthetic ones: what is hidden, what is
 * added, the per-vCPU topology, the XSAVE sizes, and the table limit.
 */
#include <errno.h>
#include <string.h>

#include "tap.h"
#include "hv/hv.h"
#include "machine/cpuid.h"

static struct vmain_cpuid_entry in[CPUID_MAX_ENTRIES], out[CPUID_MAX_ENTRIES];

static const struct vmain_cpuid_entry *find(uint32_t n, uint32_t f, uint32_t idx)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		if (out[i].function == f && out[i].index == idx)
			return &out[i];
	return NULL;
}

static uint32_t add(uint32_t n, uint32_t f, uint32_t idx, uint32_t a,
		    uint32_t b, uint32_t c, uint32_t d)
{
	memset(&in[n], 0, sizeof(in[n]));
	in[n].function = f;
	in[n].index = idx;
	in[n].flags = (f == 0xd || f == 0x7 || f == 0xb) ? VMAIN_CPUID_INDEXED : 0;
	in[n].eax = a;
	in[n].ebx = b;
	in[n].ecx = c;
	in[n].edx = d;
	return n + 1;
}

int main(void)
{
	const struct vmain_cpuid_entry *e;
	uint32_t n = 0, k = 0, i;
	char sig[13];

	/* A synthetic CPU with everything the policy must take away. */
	n = add(n, 0x0, 0, 0x1f, 0x68747541, 0x444d4163, 0x69746e65);
	n = add(n, 0x1, 0, 0x00a50f00, 0x00020800, 0xffffffff, 0xffffffff);
	n = add(n, 0x5, 0, 0x40, 0x40, 3, 0);
	n = add(n, 0x6, 0, 0xffffffff, 1, 1, 1);
	n = add(n, 0x7, 0, 1, 0xffffffff, 0xffffffff, 0xffffffff);
	n = add(n, 0x7, 1, 0xffffffff, 0, 0, 0);
	n = add(n, 0xa, 0, 0x07300403, 0, 0, 0x603);
	n = add(n, 0xd, 0, 0x2e7, 0x988, 0x988, 0);
	n = add(n, 0xd, 1, 0xf, 0x988, 0x1800, 0);
	n = add(n, 0xd, 2, 256, 576, 0, 0);
	n = add(n, 0xd, 5, 64, 1088, 0, 0);
	n = add(n, 0xd, 6, 512, 1152, 0, 0);
	n = add(n, 0xd, 7, 1024, 1664, 0, 0);
	n = add(n, 0xd, 9, 8, 2432, 0, 0);
	n = add(n, 0x14, 0, 1, 1, 1, 1);
	n = add(n, 0x80000000, 0, 0x80000021, 0x68747541, 0x444d4163, 0x69746e65);
	n = add(n, 0x80000001, 0, 0, 0, 0xffffffff, 0xffffffff);
	n = add(n, 0x80000007, 0, 0, 0, 0, 0xffff);
	n = add(n, 0x80000008, 0, 0x3030, 0xffffffff, 0x7007, 0xff);
	n = add(n, 0x8000000a, 0, 1, 0x8000, 0, 0xffffffff);
	n = add(n, 0x8000001e, 0, 1, 1, 1, 1);

	tap_ok(!cpuid_build(in, n, 1, 4, 0x2e7, 0, out, &k), "the policy builds a table");
	e = find(k, 0x1, 0);
	tap_ok(e && (e->ebx >> 24) == 1 && ((e->ebx >> 16) & 0xff) == 4,
	       "leaf 1: APIC ID 1 of 4 logical CPUs");
	tap_ok(e && !(e->ecx & (1u << 5)) && !(e->ecx & (1u << 3)),
	       "leaf 1: VMX and MONITOR hidden");
	tap_ok(e && (e->ecx & (1u << 21)) && (e->ecx & (1u << 24)) && (e->ecx & (1u << 31)),
	       "leaf 1: x2APIC, TSC-deadline and hypervisor set");
	tap_ok(e && (e->edx & (1u << 28)) && !(e->edx & (1u << 22)),
	       "leaf 1: HTT set for 4 CPUs, ACPI thermal hidden");
	tap_ok(!find(k, 0x5, 0) && !find(k, 0xa, 0) && !find(k, 0x14, 0),
	       "MONITOR, perfmon and Intel PT leaves left out");
	tap_ok(!find(k, 0x8000000a, 0) && !find(k, 0x8000001e, 0),
	       "SVM and AMD topology-extension leaves left out");
	e = find(k, 0x0, 0);
	tap_ok(e && e->eax == 0xd, "basic leaves end at 0Dh");
	e = find(k, 0x80000000, 0);
	tap_ok(e && e->eax == 0x80000008, "extended leaves end at 80000008h");
	e = find(k, 0x6, 0);
	tap_ok(e && e->eax == 4 && !e->ebx && !e->ecx, "leaf 6: only ARAT");
	e = find(k, 0x7, 0);
	tap_ok(e && !e->eax && !(e->ebx & (1u << 2)) && !(e->ecx & (1u << 3)) &&
	       !(e->ecx & (1u << 16)) &&
	       e->edx == ((1u << 4) | (1u << 10) | (1u << 14) | (1u << 26) | (1u << 27) |
			  (1u << 29) | (1u << 31)),
	       "leaf 7: no sub-leaf 1, SGX/PKU/LA57 hidden, EDX down to FSRM, MD_CLEAR, SERIALIZE, "
	       "IBRS/IBPB, STIBP, ARCH_CAPABILITIES, SSBD");
	tap_ok(e && !(e->ebx & (1u << 1)) && !(e->ebx & (1u << 22)) && (e->ebx & (1u << 0)) &&
	       (e->ebx & (1u << 23)),
	       "leaf 7: TSC_ADJUST (not saved) and reserved bit 22 hidden on every backend; FSGSBASE, CLFLUSHOPT kept");
	e = find(k, 0x7, 1);
	tap_ok(e && !e->eax && !e->ebx && !e->ecx && !e->edx, "leaf 7.1 is empty");
	e = find(k, 0xd, 0);
	tap_ok(e && e->eax == 0xe7 && e->ebx == 2688 && e->ecx == 2688,
	       "leaf 0Dh: XCR0 bits without PKRU; sizes end at Hi16_ZMM (2688)");
	tap_ok(!find(k, 0xd, 9), "leaf 0Dh: the PKRU component left out");
	e = find(k, 0xd, 1);
	tap_ok(e && e->eax == 0x7 && !e->ecx && !e->edx, "leaf 0Dh.1: XSAVES and IA32_XSS bits hidden");
	e = find(k, 0x80000001, 0);
	tap_ok(e && !(e->ecx & (1u << 2)) && !(e->ecx & (1u << 22)) && e->edx == 0xffffffff,
	       "leaf 80000001h: SVM and TOPOEXT hidden, EDX kept");
	e = find(k, 0x80000007, 0);
	tap_ok(e && e->edx == (1u << 8), "leaf 80000007h: only the invariant TSC");
	e = find(k, 0x80000008, 0);
	tap_ok(e && e->ebx == (5 | (1u << 12) | (1u << 14) | (1u << 15) | (1u << 24)) && e->ecx == 3,
	       "leaf 80000008h: NC = 3; of the speculation bits IBPB, IBRS, STIBP, SSBD kept");
	for (i = 0; i < 3; i++) {
		e = find(k, 0xb, i);
		if (!e || e->edx != 1)
			break;
	}
	tap_ok(i == 3 && find(k, 0xb, 1)->eax == 2 && find(k, 0xb, 1)->ebx == 4,
	       "leaf 0Bh added: x2APIC ID 1, core level shift 2 for 4 CPUs");
	e = find(k, 0x40000000, 0);
	memset(sig, 0, sizeof(sig));
	if (e) {
		memcpy(sig, &e->ebx, 4);
		memcpy(sig + 4, &e->ecx, 4);
		memcpy(sig + 8, &e->edx, 4);
	}
	tap_ok(e && e->eax == 0x40000001 && !strcmp(sig, "KVMKVMKVM"),
	       "hypervisor leaf: KVM's signature");
	e = find(k, 0x40000001, 0);
	tap_ok(e && !e->eax && !e->ebx && !e->ecx && !e->edx,
	       "hypervisor leaf 1: no paravirtual feature unless asked");

	tap_ok(!cpuid_build(in, n, 0, 1, 0x3, CPUID_PV_CLOCK, out, &k) &&
	       find(k, 0xd, 0)->eax == 0x3 && find(k, 0xd, 0)->ebx == 576 && !find(k, 0xd, 2) &&
	       !(find(k, 0x1, 0)->edx & (1u << 28)),
	       "host XCR0 of x87+SSE only: no AVX offered, 576-byte area; 1 CPU: no HTT");
	e = find(k, 0x40000001, 0);
	tap_ok(e && e->eax == ((1u << 3) | (1u << 24)),
	       "with the paravirtual clock: KVM_FEATURE_CLOCKSOURCE2 and its stable bit");
	tap_ok(!cpuid_build(in, n, 0, 1, 0x3, CPUID_PV_EOI, out, &k) &&
	       (e = find(k, 0x40000001, 0)) && e->eax == (1u << 6),
	       "with KVM's local APIC: KVM_FEATURE_PV_EOI alone");
	tap_ok(!cpuid_build(in, n, 0, 1, 0x3, CPUID_PV_CLOCK | CPUID_PV_EOI, out, &k) &&
	       (e = find(k, 0x40000001, 0)) && e->eax == ((1u << 3) | (1u << 6) | (1u << 24)),
	       "both: the clock's bits and PV EOI's");

	for (i = 0; i < CPUID_MAX_ENTRIES; i++) {
		memset(&in[i], 0, sizeof(in[i]));
		in[i].function = 0x4;
		in[i].index = i;
		in[i].flags = VMAIN_CPUID_INDEXED;
	}
	tap_ok(cpuid_build(in, CPUID_MAX_ENTRIES, 0, 1, 3, 0, out, &k) == -E2BIG,
	       "a table that would not fit: -E2BIG");

	/*
	 * Speculation controls in both vendors' bits, whichever reported
	 * them, so both backends build one table; ARCH_CAPABILITIES always.
	 */
	n = 0;
	n = add(n, 0x0, 0, 0x7, 0, 0, 0);
	n = add(n, 0x7, 0, 0, 0, 0, 0);
	n = add(n, 0x80000000, 0, 0x80000008, 0, 0, 0);
	n = add(n, 0x80000008, 0, 0x3030, (1u << 12) | (1u << 14) | (1u << 15) | (1u << 24) |
		(1u << 25), 0, 0);
	tap_ok(!cpuid_build(in, n, 0, 1, 0x3, 0, out, &k) &&
	       find(k, 0x7, 0)->edx == ((1u << 26) | (1u << 27) | (1u << 29) | (1u << 31)) &&
	       find(k, 0x80000008, 0)->ebx == ((1u << 12) | (1u << 14) | (1u << 15) | (1u << 24)),
	       "AMD's IBPB, IBRS, STIBP, SSBD: also leaf 7's SPEC_CTRL, STIBP, SSBD; VIRT_SSBD hidden");
	in[1].edx = (1u << 26) | (1u << 27) | (1u << 31);
	in[3].ebx = 0;
	tap_ok(!cpuid_build(in, n, 0, 1, 0x3, 0, out, &k) &&
	       find(k, 0x7, 0)->edx == ((1u << 26) | (1u << 27) | (1u << 29) | (1u << 31)) &&
	       find(k, 0x80000008, 0)->ebx == ((1u << 12) | (1u << 14) | (1u << 15) | (1u << 24)),
	       "Intel's SPEC_CTRL, STIBP, SSBD: also 80000008h's IBPB, IBRS, STIBP, SSBD");
	in[1].edx = 0;
	in[3].ebx = 1u << 14;
	tap_ok(!cpuid_build(in, n, 0, 1, 0x3, 0, out, &k) &&
	       find(k, 0x7, 0)->edx == (1u << 29) && find(k, 0x80000008, 0)->ebx == (1u << 14),
	       "IBRS without IBPB: not leaf 7's SPEC_CTRL (it says both)");
	in[3].ebx = 0;
	tap_ok(!cpuid_build(in, n, 0, 1, 0x3, 0, out, &k) &&
	       find(k, 0x7, 0)->edx == (1u << 29) && !find(k, 0x80000008, 0)->ebx,
	       "no speculation controls: only ARCH_CAPABILITIES");

	/* This machine's own leaves. */
	n = CPUID_MAX_ENTRIES;
	tap_ok(!hv_host_cpuid(in, &n) && n > 4, "the host's leaves read (%u entries)", n);
	tap_ok(!cpuid_build(in, n, 0, 2, 0x7, CPUID_PV_CLOCK, out, &k), "the policy takes them");
	e = find(k, 0x1, 0);
	tap_ok(e && (e->ecx & (1u << 21)) && !(e->ecx & (1u << 5)), "host leaf 1: x2APIC on, VMX off");
	e = find(k, 0x80000001, 0);
	tap_ok(!e || !(e->ecx & (1u << 2)), "host leaf 80000001h: SVM off");
	return tap_done();
}
