/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * mitigate.h - speculative-execution mitigations around guest entries
 * (mitigate.c, docs/security.md).
 */
#ifndef VMAIN_KMOD_MITIGATE_H
#define VMAIN_KMOD_MITIGATE_H

/* Flags for vmain_svm_enter()/vmain_vmx_enter() (enter.S). */
#define VMAIN_ENTER_VERW	1	/* VERW before the entry (forced) */
#define VMAIN_ENTER_RSB		2	/* fill the RSB after the exit (forced) */
#define VMAIN_ENTER_RSB_LITE	4	/* VT-x: one RSB slot after the exit (forced) */
#define VMAIN_ENTER_SPEC_CTRL	8	/* switch SPEC_CTRL (spec.c, spec.h) */

#ifndef __ASSEMBLY__
#include <linux/types.h>

struct vmain_vcpu;

enum vmain_mitigation_id {
	VMAIN_MIT_RSB,
	VMAIN_MIT_IBPB,
	VMAIN_MIT_VERW,
	VMAIN_MIT_L1D,
	VMAIN_MIT_UNTRAIN,
	VMAIN_MIT_RSB_LITE,
	VMAIN_MIT_SPEC_CTRL,
	VMAIN_MIT_IBPB_USER,
	VMAIN_MIT_NR,
};

/* At module load, once the engine is known. */
int vmain_mitigations_init(bool vmx);
void vmain_mitigations_exit(void);
/* A new vCPU gets a serial number that is never reused. */
void vmain_mitigations_vcpu_init(struct vmain_vcpu *vcpu);
unsigned int vmain_mitigations_enter_flags(void);
/* With interrupts off: right before the entry, right after the exit. */
void vmain_mitigations_before_entry(struct vmain_vcpu *vcpu);
void vmain_mitigations_after_exit(void);
/* One more run of mitigation id on this CPU (interrupts off). */
void vmain_mitigations_count(enum vmain_mitigation_id id);
/* /sys/class/misc/vm-main/mitigations */
ssize_t vmain_mitigations_show(char *buf);
#endif

#endif
