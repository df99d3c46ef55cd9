// SPDX-License-Identifier: GPL-2.0-only
/*
 * svm/vmcb.c - a vCPU's VMCB: its intercepts, the RESET state, and the
 * conversion between the VMCB and the ABI's register structures.
 */
#include <linux/gfp.h>
#include <linux/slab.h>
#include <asm/io.h>
#include <asm/msr.h>

#include "svm.h"

extern unsigned long svm_iopm_pa, svm_msrpm_pa;

#define EFER_VALID	(EFER_SCE | EFER_LME | EFER_LMA | EFER_NX | \
			 (1ULL << 13) | EFER_FFXSR | (1ULL << 15))

/* Segment attributes in the VMCB's 12-bit format (APM Table B-2, note). */
static u16 seg_attrib(const struct vmain_segment *s)
{
	if (s->unusable || !s->present)
		return 0;
	return (s->type & 0xf) | (s->s & 1) << 4 | (s->dpl & 3) << 5 |
	       1 << 7 | (s->avl & 1) << 8 | (s->l & 1) << 9 |
	       (s->db & 1) << 10 | (s->g & 1) << 11;
}

static void seg_to_vmcb(struct vmcb_seg *v, const struct vmain_segment *s)
{
	v->selector = s->selector;
	v->attrib = seg_attrib(s);
	v->limit = s->limit;
	v->base = s->base;
}

static void seg_from_vmcb(struct vmain_segment *s, const struct vmcb_seg *v)
{
	memset(s, 0, sizeof(*s));
	s->selector = v->selector;
	s->limit = v->limit;
	s->base = v->base;
	s->type = v->attrib & 0xf;
	s->s = (v->attrib >> 4) & 1;
	s->dpl = (v->attrib >> 5) & 3;
	s->present = (v->attrib >> 7) & 1;
	s->avl = (v->attrib >> 8) & 1;
	s->l = (v->attrib >> 9) & 1;
	s->db = (v->attrib >> 10) & 1;
	s->g = (v->attrib >> 11) & 1;
	s->unusable = !s->present;
}

/* The RESET state (AMD APM Vol. 2, 14.1.3, Table 14-1). */
static void vmcb_reset_state(struct vmcb_save *save)
{
	static const struct vmcb_seg data = { 0, 0x0093, 0xffff, 0 };

	memset(save, 0, sizeof(*save));
	save->cs = (struct vmcb_seg){ 0xf000, 0x009b, 0xffff, 0xffff0000ULL };
	save->ds = save->es = save->ss = save->fs = save->gs = data;
	save->gdtr.limit = 0xffff;
	save->idtr.limit = 0xffff;
	save->ldtr = (struct vmcb_seg){ 0, 0x0082, 0xffff, 0 };
	save->tr = (struct vmcb_seg){ 0, 0x008b, 0xffff, 0 };
	save->rip = 0xfff0;
	save->rflags = X86_EFLAGS_FIXED;
	save->cr0 = X86_CR0_ET | X86_CR0_CD | X86_CR0_NW;
	save->dr6 = 0xffff0ff0;
	save->dr7 = 0x400;
	/* The guest never sees EFER.SVME, but VMRUN requires it (15.5.1). */
	save->efer = EFER_SVME;
	save->g_pat = 0x0007040600070406ULL;	/* the PAT's power-on value */
}

static void vmcb_init_control(struct svm_vcpu *svm)
{
	struct vmcb_control *c = &svm->vmcb->control;

	/*
	 * Intercepts (APM 15.9-15.13).  Interrupts and NMIs that arrive
	 * while the guest runs belong to the host.  CPUID, MSRs, port I/O
	 * and HLT are how the guest talks to its platform.  The SVM
	 * instructions are intercepted because VMRUN requires it and the
	 * guest gets no nested virtualization (they raise #UD).  SHUTDOWN
	 * keeps a triple fault from resetting anything but the guest.
	 */
	c->intercept_misc1 = INTERCEPT1_INTR | INTERCEPT1_NMI | INTERCEPT1_SMI |
			     INTERCEPT1_CPUID | INTERCEPT1_HLT |
			     INTERCEPT1_INVLPGA | INTERCEPT1_IOIO_PROT |
			     INTERCEPT1_MSR_PROT | INTERCEPT1_SHUTDOWN |
			     INTERCEPT1_INVD | INTERCEPT1_RSM;
	c->intercept_misc2 = INTERCEPT2_VMRUN | INTERCEPT2_VMMCALL |
			     INTERCEPT2_VMLOAD | INTERCEPT2_VMSAVE |
			     INTERCEPT2_STGI | INTERCEPT2_CLGI |
			     INTERCEPT2_SKINIT |
			     INTERCEPT2_MONITOR | INTERCEPT2_MWAIT |
			     INTERCEPT2_MWAIT_COND | INTERCEPT2_XSETBV |
			     INTERCEPT2_WBINVD | INTERCEPT2_RDPRU;
	/*
	 * #DB and #AC are intercepted and re-injected: a guest can otherwise
	 * make their delivery loop forever inside the CPU, where no host
	 * interrupt can stop it (CVE-2015-8104, CVE-2015-5307).
	 */
	c->intercept_exceptions = SVM_EXC_INTERCEPTS;
	/*
	 * RDTSCP runs natively where the CPU has it (run.c switches
	 * TSC_AUX); a CPU without it gets the instruction emulated.
	 */
	if (!boot_cpu_has(X86_FEATURE_RDTSCP))
		c->intercept_misc2 |= INTERCEPT2_RDTSCP;
	/* The guest's DR0-3 are loaded lazily (switch.c). */
	c->intercept_dr = SVM_INTERCEPT_DR0_7;
	c->iopm_base_pa = svm_iopm_pa;
	c->msrpm_base_pa = svm_msrpm_pa;
	/* The guest's IF masks only virtual interrupts (APM 15.21.1). */
	c->int_ctl = V_INTR_MASKING;
	c->nested_ctl = NESTED_CTL_NP_ENABLE;
	c->nested_cr3 = svm->vcpu->vm->mmu.root_pa;
	c->tlb_control = TLB_CONTROL_FLUSH_ALL;
}

int svm_vcpu_create(struct vmain_vcpu *vcpu)
{
	struct svm_vcpu *svm = kzalloc(sizeof(*svm), GFP_KERNEL_ACCOUNT);

	if (!svm)
		return -ENOMEM;
	svm->vmcb = (struct vmcb *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!svm->vmcb) {
		kfree(svm);
		return -ENOMEM;
	}
	svm->vmcb_pa = virt_to_phys(svm->vmcb);
	svm->vcpu = vcpu;
	svm->asid_cpu = -1;
	svm->clean_cpu = -1;
	svm->step_skip_rip = ~0ULL;
	/*
	 * Nothing is clean in a new VMCB: its page may be a freed VMCB's,
	 * whose fields a CPU still caches under the same address.
	 */
	svm->dirty = VMCB_CLEAN_ALL;
	vcpu->engine = svm;
	vmcb_init_control(svm);
	vmcb_reset_state(&svm->vmcb->save);
	return 0;
}

void svm_vcpu_free(struct vmain_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);

	if (!svm)
		return;
	free_page((unsigned long)svm->vmcb);
	kfree(svm);
	vcpu->engine = NULL;
}

void svm_get_gprs(struct vmain_vcpu *vcpu, struct vmain_gprs *g)
{
	struct svm_vcpu *svm = to_svm(vcpu);

	memcpy(g->r, svm->gprs, sizeof(g->r));
	g->r[X86_REG_RAX] = svm->vmcb->save.rax;
	g->r[X86_REG_RSP] = svm->vmcb->save.rsp;
	g->rip = svm->vmcb->save.rip;
	g->rflags = svm->vmcb->save.rflags;
	/*
	 * The TF of a single step run.c forced is not the guest's: GET_REGS
	 * (and a saved state) never shows it, or a restore would make it the
	 * guest's own.
	 */
	if (svm->nmi_singlestep && svm->nmi_forced_tf)
		g->rflags &= ~X86_EFLAGS_TF;
}

void svm_set_gprs(struct vmain_vcpu *vcpu, const struct vmain_gprs *g)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	u64 rflags = g->rflags | X86_EFLAGS_FIXED;

	memcpy(svm->gprs, g->r, sizeof(svm->gprs));
	svm->vmcb->save.rax = g->r[X86_REG_RAX];
	svm->vmcb->save.rsp = g->r[X86_REG_RSP];
	svm->vmcb->save.rip = g->rip;
	/* The forced TF stays while the step is on; a TF set here is the guest's. */
	if (svm->nmi_singlestep && svm->nmi_forced_tf) {
		if (rflags & X86_EFLAGS_TF)
			svm->nmi_forced_tf = false;
		rflags |= X86_EFLAGS_TF;
	}
	svm->vmcb->save.rflags = rflags;
}

void svm_get_sregs(struct vmain_vcpu *vcpu, struct vmain_sregs *s)
{
	struct vmcb *vmcb = to_svm(vcpu)->vmcb;
	struct vmcb_save *v = &vmcb->save;

	seg_from_vmcb(&s->cs, &v->cs);
	seg_from_vmcb(&s->ds, &v->ds);
	seg_from_vmcb(&s->es, &v->es);
	seg_from_vmcb(&s->fs, &v->fs);
	seg_from_vmcb(&s->gs, &v->gs);
	seg_from_vmcb(&s->ss, &v->ss);
	/*
	 * SS.DPL is the CPL, and the VMCB keeps the CPL in its own field (APM
	 * Vol. 2 15.5.1): SYSRET on AMD CPUs loads the SS selector but leaves
	 * the hidden attributes as they were (APM Vol. 3 "SYSRET"; Linux's
	 * X86_BUG_SYSRET_SS_ATTRS), so after a return to user mode the save
	 * area's SS attributes still say DPL 0.  What the emulator, a saved
	 * state and userspace read is the CPL.
	 */
	s->ss.dpl = v->cpl & 3;
	seg_from_vmcb(&s->tr, &v->tr);
	seg_from_vmcb(&s->ldt, &v->ldtr);
	/* TR and LDTR are system segments: present means usable. */
	s->gdt.base = v->gdtr.base;
	s->gdt.limit = v->gdtr.limit;
	memset(s->gdt.pad, 0, sizeof(s->gdt.pad));
	s->idt.base = v->idtr.base;
	s->idt.limit = v->idtr.limit;
	memset(s->idt.pad, 0, sizeof(s->idt.pad));
	s->cr0 = v->cr0;
	s->cr2 = v->cr2;
	s->cr3 = v->cr3;
	s->cr4 = v->cr4;
	s->cr8 = vmcb->control.int_ctl & V_TPR_MASK;
	s->efer = v->efer & ~EFER_SVME;
	/* A step clears SCE while it is on (run.c): not the guest's doing. */
	if (to_svm(vcpu)->step_sce)
		s->efer |= EFER_SCE;
}

/*
 * EFER as the guest or userspace sets it; a forced step keeps SCE off
 * while it is on (run.c), the guest's SCE in step_sce.
 */
static void svm_write_efer(struct svm_vcpu *svm, u64 efer)
{
	svm->step_sce = svm->nmi_singlestep && svm->nmi_forced_tf &&
			(efer & EFER_SCE);
	svm->vmcb->save.efer = svm->step_sce ? efer & ~EFER_SCE : efer;
}

int svm_set_sregs(struct vmain_vcpu *vcpu, const struct vmain_sregs *s)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct vmcb *vmcb = svm->vmcb;
	struct vmcb_save *v = &vmcb->save;

	if (s->efer & ~EFER_VALID)
		return -EINVAL;
	if (s->cr8 > 15)
		return -EINVAL;
	seg_to_vmcb(&v->cs, &s->cs);
	seg_to_vmcb(&v->ds, &s->ds);
	seg_to_vmcb(&v->es, &s->es);
	seg_to_vmcb(&v->fs, &s->fs);
	seg_to_vmcb(&v->gs, &s->gs);
	seg_to_vmcb(&v->ss, &s->ss);
	seg_to_vmcb(&v->tr, &s->tr);
	seg_to_vmcb(&v->ldtr, &s->ldt);
	v->gdtr = (struct vmcb_seg){ 0, 0, s->gdt.limit, s->gdt.base };
	v->idtr = (struct vmcb_seg){ 0, 0, s->idt.limit, s->idt.base };
	v->cr0 = s->cr0;
	v->cr2 = s->cr2;
	v->cr3 = s->cr3;
	v->cr4 = s->cr4;
	svm_write_efer(svm, s->efer | EFER_SVME);
	/* The CPL is the DPL of SS (APM 15.5.1: VMCB CPL field). */
	v->cpl = s->ss.dpl & 3;
	vmcb->control.int_ctl = (vmcb->control.int_ctl & ~V_TPR_MASK) | s->cr8;
	svm_dirty(svm, VMCB_CLEAN_CRX | VMCB_CLEAN_DT | VMCB_CLEAN_SEG |
		  VMCB_CLEAN_CR2 | VMCB_CLEAN_TPR);
	/* Translations may have changed with CR0/CR3/CR4: fresh ASID. */
	svm->asid_cpu = -1;
	return 0;
}

void svm_get_shadow(struct vmain_vcpu *vcpu, bool *shadow)
{
	*shadow = svm_in_shadow(to_svm(vcpu));
}

void svm_set_shadow(struct vmain_vcpu *vcpu, bool shadow)
{
	struct vmcb_control *c = &to_svm(vcpu)->vmcb->control;

	c->int_state = (c->int_state & ~1ULL) | shadow;
	/* A step in progress no longer finds its instruction shadowed. */
	if (!shadow)
		to_svm(vcpu)->step_rip = ~0ULL;
	/* A new state from userspace: a step may run over any instruction. */
	to_svm(vcpu)->step_skip_rip = ~0ULL;
}

static bool pat_valid(u64 pat)
{
	unsigned int i;

	/* Each byte: UC 0, WC 1, WT 4, WP 5, WB 6, UC- 7 (SDM 11.12.2). */
	for (i = 0; i < 8; i++) {
		u8 t = pat >> (i * 8);

		if (t > 7 || t == 2 || t == 3)
			return false;
	}
	return true;
}

int svm_get_msr(struct vmain_vcpu *vcpu, u32 index, u64 *data)
{
	struct vmcb *vmcb = to_svm(vcpu)->vmcb;
	struct vmcb_save *v = &vmcb->save;

	switch (index) {
	case MSR_IA32_TSC:
		*data = rdtsc() + vmcb->control.tsc_offset;
		break;
	case MSR_EFER:
		*data = v->efer & ~EFER_SVME;
		if (to_svm(vcpu)->step_sce)
			*data |= EFER_SCE;
		break;
	case MSR_STAR:
		*data = v->star;
		break;
	case MSR_LSTAR:
		*data = v->lstar;
		break;
	case MSR_CSTAR:
		*data = v->cstar;
		break;
	case MSR_SYSCALL_MASK:
		*data = v->sfmask;
		break;
	case MSR_FS_BASE:
		*data = v->fs.base;
		break;
	case MSR_GS_BASE:
		*data = v->gs.base;
		break;
	case MSR_KERNEL_GS_BASE:
		*data = v->kernel_gs_base;
		break;
	case MSR_IA32_SYSENTER_CS:
		*data = v->sysenter_cs;
		break;
	case MSR_IA32_SYSENTER_ESP:
		*data = v->sysenter_esp;
		break;
	case MSR_IA32_SYSENTER_EIP:
		*data = v->sysenter_eip;
		break;
	case MSR_IA32_CR_PAT:
		*data = v->g_pat;
		break;
	case MSR_IA32_DEBUGCTLMSR:
		*data = 0;
		break;
	default:
		return -ENOENT;
	}
	return 0;
}

int svm_set_msr(struct vmain_vcpu *vcpu, u32 index, u64 data)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct vmcb *vmcb = svm->vmcb;
	struct vmcb_save *v = &vmcb->save;

	switch (index) {
	case MSR_IA32_TSC:
		vmcb->control.tsc_offset = data - rdtsc();
		svm_dirty(svm, VMCB_CLEAN_I);
		break;
	case MSR_EFER:
		if (data & ~EFER_VALID)
			return -EINVAL;
		/* LMA is the processor's to set (APM 14.6.2); keep it. */
		svm_write_efer(svm, (data & ~EFER_LMA) | (v->efer & EFER_LMA) | EFER_SVME);
		svm_dirty(svm, VMCB_CLEAN_CRX);
		break;
	case MSR_STAR:
		v->star = data;
		break;
	case MSR_LSTAR:
	case MSR_CSTAR:
	case MSR_FS_BASE:
	case MSR_GS_BASE:
	case MSR_KERNEL_GS_BASE:
		/* Addresses: non-canonical values raise #GP (SDM 2.2.1). */
		if ((s64)(data << 16) >> 16 != (s64)data)
			return -EINVAL;
		if (index == MSR_LSTAR)
			v->lstar = data;
		else if (index == MSR_CSTAR)
			v->cstar = data;
		else if (index == MSR_FS_BASE)
			v->fs.base = data;
		else if (index == MSR_GS_BASE)
			v->gs.base = data;
		else
			v->kernel_gs_base = data;
		break;
	case MSR_SYSCALL_MASK:
		v->sfmask = (u32)data;
		break;
	case MSR_IA32_SYSENTER_CS:
		v->sysenter_cs = data;
		break;
	case MSR_IA32_SYSENTER_ESP:
		v->sysenter_esp = data;
		break;
	case MSR_IA32_SYSENTER_EIP:
		v->sysenter_eip = data;
		break;
	case MSR_IA32_CR_PAT:
		if (!pat_valid(data))
			return -EINVAL;
		v->g_pat = data;
		svm_dirty(svm, VMCB_CLEAN_NP);
		break;
	case MSR_IA32_DEBUGCTLMSR:
		/* No branch tracing for guests: only 0 is accepted. */
		return data ? -EINVAL : 0;
	default:
		return -ENOENT;
	}
	return 0;
}
