/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * spec.h - the guest's speculation-control MSRs (spec.c): SPEC_CTRL,
 * PRED_CMD and ARCH_CAPABILITIES, offered as the guest's CPUID table says
 * and the host allows, and SPEC_CTRL switched around every entry
 * (enter.S, VMAIN_ENTER_SPEC_CTRL).  docs/security.md, docs/abi.md.
 */
#ifndef VMAIN_KMOD_SPEC_H
#define VMAIN_KMOD_SPEC_H

/* struct vmain_spec_switch, for enter.S. */
#define VMAIN_SPEC_GUEST	0
#define VMAIN_SPEC_HOST		8

#ifndef __ASSEMBLY__
#include <linux/types.h>

struct vmain_vcpu;

/* The two SPEC_CTRL values enter.S writes when VMAIN_ENTER_SPEC_CTRL is set. */
struct vmain_spec_switch {
	u64 guest;		/* written right before the entry */
	u64 host;		/* written back right after the exit, before any RET */
};

/* After SET_CPUID (and at creation): what the guest is offered. */
void vmain_spec_cpuid_update(struct vmain_vcpu *vcpu);
/* MSRs of this file: SPEC_CTRL, PRED_CMD, ARCH_CAPABILITIES. */
bool vmain_spec_msr(u32 index);
/*
 * host: the access comes from GET/SET_MSRS, not the guest.  0 or -EINVAL
 * (the guest gets #GP; SET_MSRS stops there).
 */
int vmain_spec_msr_get(struct vmain_vcpu *vcpu, u32 index, bool host, u64 *data);
int vmain_spec_msr_set(struct vmain_vcpu *vcpu, u32 index, bool host, u64 data);
/*
 * With interrupts off, right before the entry: fills *sw and returns
 * VMAIN_ENTER_SPEC_CTRL when the guest's SPEC_CTRL must be loaded (and
 * the host's put back after the exit), else 0.
 */
unsigned int vmain_spec_enter(struct vmain_vcpu *vcpu, struct vmain_spec_switch *sw);
#endif

#endif
