/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * machine/cpuid.h - the CPUID table a vCPU sees.
 *
 * Starts from what the backend can offer (the host's leaves for vmain.ko,
 * KVM_GET_SUPPORTED_CPUID for KVM) and applies one policy for both:
 * features the monitor or the module do not virtualise are hidden, the
 * topology is the VM's (one package, `ncpus` cores, x2APIC IDs 0..n-1),
 * and the local APIC is advertised the way the monitor emulates it:
 * x2APIC with the TSC-deadline timer.
 *
 * Plain C, no GLib.
 */
#ifndef VMAIN_MONITOR_MACHINE_CPUID_H
#define VMAIN_MONITOR_MACHINE_CPUID_H

#include <stdbool.h>
#include <stdint.h>

#include "vmain.h"

#define CPUID_MAX_ENTRIES	VMAIN_MAX_CPUID_ENTRIES

/*
 * Rewrites in[0, n) (the backend's offer) into out[] for vCPU `cpu` of
 * `ncpus`; *n_out receives the count.  `xcr0_host` limits the XSAVE
 * components offered.  `pv` says which paravirtual interfaces leaf
 * 40000001h offers: CPUID_PV_CLOCK the clock (KVM_FEATURE_CLOCKSOURCE2 and
 * its stable bit; machine/pvclock.h), CPUID_PV_EOI the EOI flag
 * (KVM_FEATURE_PV_EOI), which only KVM's own local APIC serves.
 * -E2BIG if out[] (CPUID_MAX_ENTRIES) is too small.
 */
#define CPUID_PV_CLOCK	1u
#define CPUID_PV_EOI	2u

int cpuid_build(const struct vmain_cpuid_entry *in, uint32_t n,
		unsigned int cpu, unsigned int ncpus, uint64_t xcr0_host,
		unsigned int pv, struct vmain_cpuid_entry *out, uint32_t *n_out);

#endif
