/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * svm/svm.h - the AMD-V engine's private state.
 */
#ifndef VMAIN_SVM_SVM_H
#define VMAIN_SVM_SVM_H

#include "../vcpu.h"
#include "vmcb.h"
#include "x86/decode.h"

/* Per host CPU (APM 15.4, 15.5.1 and 15.16). */
struct svm_cpu {
	void *hsave;			/* VM_HSAVE_PA: host state VMRUN saves */
	struct vmcb *host_vmcb;		/* VMSAVE/VMLOAD area for host state */
	unsigned long host_vmcb_pa;
	u64 asid_generation;		/* bumped when ASIDs wrap */
	u32 next_asid;
	struct vmcb *last_vmcb;		/* the VMCB this CPU ran last */
	bool enabled;			/* EFER.SVME set by us */
};

struct svm_vcpu {
	struct vmain_vcpu *vcpu;
	struct vmcb *vmcb;
	unsigned long vmcb_pa;
	/* GPRs in encoding order; RAX and RSP live in the VMCB. */
	u64 gprs[16];
	/* TLB tagging: an ASID valid for (asid_cpu, asid_generation). */
	int asid_cpu;
	u64 asid_generation;
	bool nmi_singlestep;		/* stepping for an NMI/IRQ window: */
	bool nmi_step_shadow;		/* the shadowed instruction, or IRET */
	bool nmi_forced_tf;		/* ... with a TF the guest did not set */
	u64 nmi_saved_dr6;
	u64 step_rip;			/* where the shadowed instruction is */
	bool step_sce;			/* the step cleared the guest's EFER.SCE */
	u64 step_skip_rip;		/* no step over the instruction here */
	/*
	 * The EVENTINJ of the entry in progress and the RIP it was injected
	 * at (run.c): outside svm_run() every event waits in the neutral
	 * layer's queue, where GET_EVENTS/SET_EVENTS see it.
	 */
	u64 injected;
	u64 injected_rip;
	u32 dirty;			/* VMCB_CLEAN_* groups we changed */
	int clean_cpu;			/* the CPU that ran the VMCB last */
};

/* Records that we changed VMCB fields of these clean-bit groups. */
static inline void svm_dirty(struct svm_vcpu *svm, u32 groups)
{
	svm->dirty |= groups;
}

static inline struct svm_vcpu *to_svm(struct vmain_vcpu *vcpu)
{
	return vcpu->engine;
}

extern u32 svm_features;		/* VMAIN_HW_* found at probe */
extern u32 svm_max_asid;

/* svm/cpu.c */
int svm_cpu_init(void);
void svm_cpu_exit(void);
struct svm_cpu *svm_this_cpu(void);
/* svm/vmcb.c */
int svm_vcpu_create(struct vmain_vcpu *vcpu);
void svm_vcpu_free(struct vmain_vcpu *vcpu);
void svm_get_gprs(struct vmain_vcpu *vcpu, struct vmain_gprs *g);
void svm_set_gprs(struct vmain_vcpu *vcpu, const struct vmain_gprs *g);
void svm_get_sregs(struct vmain_vcpu *vcpu, struct vmain_sregs *s);
int svm_set_sregs(struct vmain_vcpu *vcpu, const struct vmain_sregs *s);
int svm_get_msr(struct vmain_vcpu *vcpu, u32 index, u64 *data);
int svm_set_msr(struct vmain_vcpu *vcpu, u32 index, u64 data);
void svm_get_shadow(struct vmain_vcpu *vcpu, bool *shadow);
void svm_set_shadow(struct vmain_vcpu *vcpu, bool shadow);
/*
 * The exceptions always intercepted (vmcb.c says why); run.c adds the
 * fault vectors while it single-steps the guest.
 */
#define SVM_EXC_INTERCEPTS	((1U << X86_TRAP_DB) | (1U << X86_TRAP_AC))
/* svm/run.c */
int svm_run(struct vmain_vcpu *vcpu);
void svm_clear_irq_window(struct svm_vcpu *svm);
void svm_intercept_dr(struct svm_vcpu *svm);
void svm_nmi_step_start(struct svm_vcpu *svm, bool shadow);
void svm_nmi_step_end(struct svm_vcpu *svm);
bool svm_in_shadow(struct svm_vcpu *svm);
/* svm/exits.c */
int svm_handle_exit(struct svm_vcpu *svm);
/* svm/enter.S */
struct vmain_spec_switch;
void vmain_svm_enter(unsigned long vmcb_pa, u64 *gprs, unsigned long host_vmcb_pa,
		     unsigned int flags, const struct vmain_spec_switch *spec);

#endif
