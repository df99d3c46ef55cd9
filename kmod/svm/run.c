// SPDX-License-Identifier: GPL-2.0-only
/*
 * svm/run.c - one guest entry: events to inject, TLB tagging, the world
 * switch itself, and what the host must put back afterwards.
 */
#include <linux/hw_breakpoint.h>
#include <linux/sched/signal.h>
#include <asm/debugreg.h>
#include <asm/fpu/xcr.h>

#include "svm.h"
#include "../mitigate.h"
#include "../spec.h"

u32 svm_max_asid;

/*
 * ASIDs tag guest TLB entries (APM 15.16).  Each CPU hands out ASIDs
 * from its own counter; a vCPU that moves to another CPU, or whose nested
 * page tables changed, takes a fresh one, so stale entries are never
 * used.  When a CPU runs out, it flushes its whole TLB once and starts a
 * new generation.  Only TLB_CONTROL 0 and 1 are used: TCG and older CPUs
 * lack flush-by-ASID.
 */
static void svm_pick_asid(struct svm_vcpu *svm, struct svm_cpu *sc, int cpu)
{
	struct vmcb_control *c = &svm->vmcb->control;
	bool flush = test_and_clear_bit(VCPU_REQ_TLB_FLUSH, &svm->vcpu->requests);

	c->tlb_control = TLB_CONTROL_NONE;
	if (!flush && svm->asid_cpu == cpu &&
	    svm->asid_generation == sc->asid_generation)
		return;
	if (sc->next_asid > svm_max_asid) {
		sc->asid_generation++;
		sc->next_asid = 1;
		c->tlb_control = TLB_CONTROL_FLUSH_ALL;
	}
	c->asid = sc->next_asid++;
	svm_dirty(svm, VMCB_CLEAN_ASID);
	svm->asid_cpu = cpu;
	svm->asid_generation = sc->asid_generation;
}

/*
 * Clean bits are trusted only for the VMCB this CPU ran last, and only if
 * it ran nowhere else since: what another CPU's #VMEXIT wrote into it is
 * newer than this CPU's cached copy (APM 15.15.3).  Without the feature,
 * 0 tells the CPU to reload everything, as it must anyway.
 */
static void svm_set_clean_bits(struct svm_vcpu *svm, struct svm_cpu *sc, int cpu)
{
	struct vmcb_control *c = &svm->vmcb->control;

	if (!(svm_features & VMAIN_HW_VMCB_CLEAN) || sc->last_vmcb != svm->vmcb ||
	    svm->clean_cpu != cpu)
		c->clean = 0;
	else
		c->clean = VMCB_CLEAN_ALL & ~svm->dirty;
	sc->last_vmcb = svm->vmcb;
	svm->clean_cpu = cpu;
	svm->dirty = 0;
}

/*
 * Whether the guest is in an interrupt shadow (STI, MOV SS).  The VMCB's
 * INTERRUPT_SHADOW is what the last #VMEXIT saved (APM 15.21.5); while a
 * step over the shadowed instruction has not trapped yet and the guest is
 * still at it, that instruction has not completed, so the shadow holds
 * whatever the VMCB says.  This matters in QEMU's TCG, whose #VMEXIT saves
 * the shadow but whose VMRUN does not load it: an exit that comes before
 * the shadowed instruction (a host interrupt, a nested page fault of its
 * fetch or data) reads 0 there (tests/kmod/guest/README.md).
 */
bool svm_in_shadow(struct svm_vcpu *svm)
{
	return (svm->vmcb->control.int_state & 1) ||
	       (svm->nmi_singlestep && svm->nmi_step_shadow &&
		svm->vmcb->save.rip == svm->step_rip);
}

static bool svm_interruptible(struct svm_vcpu *svm)
{
	return (svm->vmcb->save.rflags & X86_EFLAGS_IF) && !svm_in_shadow(svm);
}

/*
 * An interrupt held by nothing but a shadow (IF=1), or a window userspace
 * asked for in that state: the step over the shadowed instruction opens
 * it (svm_sync_nmi_block()), not V_IRQ, which relies on VMRUN loading the
 * shadow (see svm_in_shadow()).  Not while an event is injected: V_IRQ is
 * checked after its delivery, which ends the shadow anyway.
 */
static bool svm_irq_waits_for_shadow(struct svm_vcpu *svm)
{
	struct vmain_vcpu *vcpu = svm->vcpu;

	return (vcpu->irq_pending || vcpu->run->request_interrupt_window) &&
	       (svm->vmcb->save.rflags & X86_EFLAGS_IF) && svm_in_shadow(svm) &&
	       !(svm->vmcb->control.event_inj & SVM_EVT_VALID);
}

/* Makes the guest exit (VINTR) as soon as it can take an interrupt. */
static void svm_request_irq_window(struct svm_vcpu *svm)
{
	struct vmcb_control *c = &svm->vmcb->control;

	/* A virtual interrupt of top priority that ignores the TPR (15.21.4). */
	c->int_ctl |= V_IRQ | V_IGN_TPR | (0xf << V_INTR_PRIO_SHIFT);
	c->int_vector = 0;
	c->intercept_misc1 |= INTERCEPT1_VINTR;
	svm_dirty(svm, VMCB_CLEAN_TPR | VMCB_CLEAN_I);
}

void svm_clear_irq_window(struct svm_vcpu *svm)
{
	struct vmcb_control *c = &svm->vmcb->control;

	c->int_ctl &= ~(V_IRQ | V_IGN_TPR | (0xf << V_INTR_PRIO_SHIFT));
	c->intercept_misc1 &= ~INTERCEPT1_VINTR;
	svm_dirty(svm, VMCB_CLEAN_TPR | VMCB_CLEAN_I);
}

/*
 * APM 15.20: one event per entry, exceptions before NMIs before IRQs.  An
 * event whose delivery the last exit interrupted is back in the queue
 * (svm_requeue_event()), so it goes by the same order, as on VT-x.
 */
static void svm_inject_events(struct svm_vcpu *svm)
{
	struct vmain_vcpu *vcpu = svm->vcpu;
	struct vmcb_control *c = &svm->vmcb->control;
	bool window = false;

	c->event_inj = 0;
	if (vcpu->exc_pending) {
		c->event_inj = vcpu->exc_vector | SVM_EVT_TYPE_EXC | SVM_EVT_VALID;
		/* Real mode pushes no error code (SDM Vol. 3A, 20.1.4). */
		if (vcpu->exc_has_error && (svm->vmcb->save.cr0 & X86_CR0_PE))
			c->event_inj |= SVM_EVT_ERR_VALID | ((u64)vcpu->exc_error << 32);
		vcpu->exc_pending = false;
	} else if (vcpu->nmi_pending && !vcpu->nmi_masked &&
		   !svm_in_shadow(svm)) {
		c->event_inj = X86_TRAP_NMI | SVM_EVT_TYPE_NMI | SVM_EVT_VALID;
		vcpu->nmi_pending = false;
		/* Blocked until the handler's IRET: svm_sync_nmi_block(). */
		vcpu->nmi_masked = true;
	} else if (vcpu->irq_pending) {
		if (svm_interruptible(svm)) {
			c->event_inj = vcpu->irq_vector | SVM_EVT_TYPE_INTR | SVM_EVT_VALID;
			vcpu->irq_pending = false;
		} else {
			window = true;
		}
	}
	/*
	 * An interrupt that waits behind the injected event: the window
	 * exit comes once the event's handler can take it (VINTR is checked
	 * only after the injected event is delivered, APM 15.20, 15.21.4).
	 */
	if (vcpu->irq_pending)
		window = true;
	if (vcpu->run->request_interrupt_window && !svm_interruptible(svm))
		window = true;
	if (window && svm_irq_waits_for_shadow(svm)) {
		window = false;
		/* One left from IF=0 would exit at once where VMRUN drops the shadow. */
		if (c->int_ctl & V_IRQ)
			svm_clear_irq_window(svm);
	}
	if (window)
		svm_request_irq_window(svm);
	svm->injected = c->event_inj;
	svm->injected_rip = svm->vmcb->save.rip;
}

/*
 * NMI windows.  SVM has no NMI-window intercept (V_NMI is not on every
 * CPU, nor in emulators), so the moment an NMI can be taken is found by
 * single-stepping the guest (TF, with #DB intercepted):
 *  - NMIs stay blocked from an NMI's delivery until the next IRET
 *    completes (APM 15.21.4): an intercepted IRET, then a step over it
 *    (svm_exit_iret).  nmi_masked is also what SET_EVENTS restores (a
 *    state saved inside an NMI handler) and clears, so the intercept
 *    follows nmi_masked at every entry instead of being armed only when an
 *    NMI is injected.  GET_REGS never shows a forced TF, and SET_REGS
 *    keeps it while the step is on (vmcb.c).
 *  - An interrupt shadow (STI, MOV SS) holds NMIs for one instruction: a
 *    step over it, so the NMI comes right after it, not at whatever exit
 *    comes next.  Not while an event is injected: its delivery ends the
 *    shadow, and a TF would be pushed in its frame.  The same step serves
 *    an interrupt that only the shadow holds (svm_irq_waits_for_shadow()).
 *
 * A TF the guest did not set must never reach its memory.  The stepped
 * instruction may fault instead of completing (a #PF of a load in an STI
 * shadow, a #GP of IRET): the CPU would push RFLAGS with our TF in the
 * exception's frame and clear TF for the handler (APM Vol. 2 8.7.1,
 * 8.9.3; SDM Vol. 3A 6.12.1.3), so no step trap comes, and the guest's
 * IRET would later restore a TF it never set.  While such a step is on,
 * the fault vectors are intercepted too (STEP_FAULTS): the fault exits
 * before its delivery (APM Vol. 2 15.12), the step ends with TF cleared,
 * and the same exception is injected (svm_exit_step_fault()).  An event
 * injected at an entry ends the step first for the same reason
 * (svm_sync_nmi_block()).  #MC is not among them; nor is #DB, always
 * intercepted.
 *
 * Some instructions store RFLAGS where the guest reads it later, so our
 * TF would outlive the step even when the instruction completes:
 *  - PUSHF/PUSHFD/PUSHFQ pushes it (a later POPF sets TF), and INT n,
 *    INT3 and INTO push it in the handler's frame (its IRET restores it).
 *    While a forced step is on, PUSHF and INTn are intercepted (APM Vol. 2
 *    15.8, instruction intercepts: checked before the instruction
 *    executes, RIP on it), and so are #BP and #OF (15.12; QEMU's TCG
 *    reports INT3 and INTO as INTn instead; one whose RIP is past the
 *    instruction is injected as svm_exit_step_fault() injects a fault).
 *    The step ends with TF cleared, the shadow it was over is
 *    kept, and the instruction runs without a step (step_skip_rip): the
 *    NMI or interrupt waits for the next exit, late but never lost
 *    (svm_exit_step_insn()).
 *  - SYSCALL saves it in R11 (APM Vol. 3 "SYSCALL"), and SYSRET would
 *    restore it at CPL 3.  SVM has no SYSCALL intercept, and the step's
 *    #DB may not even come after it (QEMU's TCG checks TF only once
 *    SYSCALL has applied SFMASK, which masks TF in Linux): while a forced
 *    step is on, the guest's EFER.SCE is cleared (step_sce; RDMSR and
 *    GET_SREGS still show it), so SYSCALL raises #UD (APM Vol. 3
 *    "SYSCALL"), intercepted with the fault vectors; at the stepped RIP
 *    that #UD ends the step, SCE comes back and the instruction runs
 *    again without a step, as PUSHF does (a #UD of its own is then raised
 *    by the CPU to the guest).
 * The reverse: POPF loads the guest's own RFLAGS, and a TF it sets must
 * stay (its trap comes after the next instruction), but the step's end
 * would clear it with ours.  POPF is intercepted with PUSHF, and IRET
 * during a step over a shadow (svm_sync_nmi_block()), and they run
 * without a step the same way.  The step over an NMI handler's IRET
 * keeps the TF the IRET pops (svm_nmi_step_end()).
 * And a data breakpoint of the guest's own hit by the stepped instruction
 * reports in the same #DB as the step (DR6 B0-B3 and BS, APM Vol. 2
 * 13.1.1, DR6): the step ends and the guest gets its #DB
 * (svm_exit_reinject()).
 */
#define STEP_FAULTS	((1U << X86_TRAP_DE) | (1U << X86_TRAP_BR) |	\
			 (1U << X86_TRAP_UD) | (1U << X86_TRAP_NM) |	\
			 (1U << X86_TRAP_DF) | (1U << X86_TRAP_TS) |	\
			 (1U << X86_TRAP_NP) | (1U << X86_TRAP_SS) |	\
			 (1U << X86_TRAP_GP) | (1U << X86_TRAP_PF) |	\
			 (1U << X86_TRAP_MF) | (1U << X86_TRAP_XF) |	\
			 (1U << X86_TRAP_CP) | (1U << X86_TRAP_BP) |	\
			 (1U << X86_TRAP_OF))
#define STEP_INSNS	(INTERCEPT1_PUSHF | INTERCEPT1_POPF | INTERCEPT1_INTN)

void svm_nmi_step_start(struct svm_vcpu *svm, bool shadow)
{
	struct vmcb_save *save = &svm->vmcb->save;

	svm->nmi_singlestep = true;
	svm->nmi_step_shadow = shadow;
	svm->step_rip = save->rip;
	svm->nmi_saved_dr6 = save->dr6;
	svm->nmi_forced_tf = !(save->rflags & X86_EFLAGS_TF);
	/* RF: an instruction breakpoint on it must not fire twice. */
	save->rflags |= X86_EFLAGS_TF | X86_EFLAGS_RF;
	if (svm->nmi_forced_tf) {
		svm->vmcb->control.intercept_exceptions = SVM_EXC_INTERCEPTS | STEP_FAULTS;
		svm->vmcb->control.intercept_misc1 |= STEP_INSNS;
		svm_dirty(svm, VMCB_CLEAN_I);
		if (save->efer & EFER_SCE) {
			save->efer &= ~EFER_SCE;
			svm->step_sce = true;
			svm_dirty(svm, VMCB_CLEAN_CRX);
		}
	}
}

void svm_nmi_step_end(struct svm_vcpu *svm)
{
	struct vmcb_save *save = &svm->vmcb->save;

	svm->nmi_singlestep = false;
	save->dr6 = svm->nmi_saved_dr6;
	/* IRET popped the guest's own RFLAGS; any other instruction did not. */
	if (svm->nmi_forced_tf && svm->nmi_step_shadow)
		save->rflags &= ~X86_EFLAGS_TF;
	svm->vmcb->control.intercept_exceptions = SVM_EXC_INTERCEPTS;
	svm->vmcb->control.intercept_misc1 &= ~STEP_INSNS;
	svm_dirty(svm, VMCB_CLEAN_DRX | VMCB_CLEAN_I);
	if (svm->step_sce) {
		save->efer |= EFER_SCE;
		svm->step_sce = false;
		svm_dirty(svm, VMCB_CLEAN_CRX);
	}
}

static void svm_sync_nmi_block(struct svm_vcpu *svm)
{
	struct vmcb *vmcb = svm->vmcb;
	struct vmain_vcpu *vcpu = svm->vcpu;
	bool masked = vcpu->nmi_masked, want;
	bool injecting = vmcb->control.event_inj & SVM_EVT_VALID;
	bool shadowed = (vcpu->nmi_pending && !masked && svm_in_shadow(svm) &&
			 !injecting) ||
			svm_irq_waits_for_shadow(svm);

	/*
	 * An event injected now is delivered before the stepped instruction
	 * and would push a forced TF in its frame: the step ends (an IRET's
	 * comes again through the intercept, nmi_masked still set).
	 */
	if (svm->nmi_singlestep &&
	    (!(svm->nmi_step_shadow ? shadowed : masked) || injecting ||
	     !(vmcb->save.rflags & X86_EFLAGS_TF))) {
		/* The step no longer has a purpose, or can no longer trap. */
		if (svm->nmi_forced_tf)
			vmcb->save.rflags &= ~X86_EFLAGS_TF;
		svm_nmi_step_end(svm);
	}
	/* An instruction a step must not run over (svm_exit_step_insn()). */
	if (vmcb->save.rip != svm->step_skip_rip)
		svm->step_skip_rip = ~0ULL;
	if (!svm->nmi_singlestep && shadowed &&
	    vmcb->save.rip != svm->step_skip_rip)
		svm_nmi_step_start(svm, true);
	/*
	 * IRET: intercepted while NMIs are masked, to find their window; and
	 * during a forced step over a shadow, since it loads the guest's own
	 * RFLAGS (svm_exit_iret()).
	 */
	want = (masked && !svm->nmi_singlestep) ||
	       (svm->nmi_singlestep && svm->nmi_step_shadow && svm->nmi_forced_tf);
	if (want == !!(vmcb->control.intercept_misc1 & INTERCEPT1_IRET))
		return;
	if (want)
		vmcb->control.intercept_misc1 |= INTERCEPT1_IRET;
	else
		vmcb->control.intercept_misc1 &= ~INTERCEPT1_IRET;
	svm_dirty(svm, VMCB_CLEAN_I);
}

/*
 * The guest's MOV DR exits again, and its DR0-3 (saved by
 * vmain_switch_to_host()) are loaded only while its DR7 enables a
 * breakpoint.  APM 15.12.1: bits 15:0 reads of DR0-15, 31:16 writes.
 */
void svm_intercept_dr(struct svm_vcpu *svm)
{
	svm->vmcb->control.intercept_dr = SVM_INTERCEPT_DR0_7;
	svm->vcpu->db_owned = false;
	svm_dirty(svm, VMCB_CLEAN_I);
}

/* Reports the interrupt state userspace decides injections by. */
static void svm_report_irq_state(struct svm_vcpu *svm)
{
	struct vmain_run *run = svm->vcpu->run;

	run->if_flag = !!(svm->vmcb->save.rflags & X86_EFLAGS_IF);
	run->ready_for_interrupt_injection = svm_interruptible(svm) &&
		!svm->vcpu->irq_pending;
	run->cr8 = svm->vmcb->control.int_ctl & V_TPR_MASK;
}

/*
 * An event that was not delivered goes back to the neutral layer's queue,
 * where GET_EVENTS shows it and SET_EVENTS replaces it, and is injected
 * again at the next entry: `info` is EXITINTINFO, the event whose
 * delivery an intercept interrupted (APM 15.7.2), or the EVENTINJ of an
 * entry that did not happen.  The same rules as vmx_requeue_interrupted_
 * event(): an exception's error code follows its vector (in real mode the
 * CPU pushes none and reports none, yet SET_EVENTS requires the flag);
 * an NMI is no longer blocked, since its delivery never completed.
 */
static void svm_requeue_event(struct svm_vcpu *svm, u64 info)
{
	struct vmain_vcpu *vcpu = svm->vcpu;
	u64 type = info & SVM_EVT_TYPE_MASK;
	u8 vector = info & SVM_EVT_VECTOR_MASK;
	u64 ours = svm->injected & (SVM_EVT_VALID | SVM_EVT_TYPE_MASK |
				    SVM_EVT_VECTOR_MASK);

	if (!(info & SVM_EVT_VALID))
		return;
	switch (type) {
	case SVM_EVT_TYPE_INTR:
		vcpu->irq_pending = true;
		vcpu->irq_vector = vector;
		break;
	case SVM_EVT_TYPE_NMI:
		vcpu->nmi_pending = true;
		vcpu->nmi_masked = false;
		break;
	case SVM_EVT_TYPE_EXC:
		/*
		 * The guest's own INT3/INTO re-execute from their RIP, which
		 * the exit left pointing at them: re-injecting would double
		 * them.  A #BP/#OF the module injected (SET_EVENTS) has no
		 * instruction behind it, and is still at the injection RIP.
		 */
		if ((vector == X86_TRAP_BP || vector == X86_TRAP_OF) &&
		    (ours != (info & (SVM_EVT_VALID | SVM_EVT_TYPE_MASK |
				      SVM_EVT_VECTOR_MASK)) ||
		     svm->vmcb->save.rip != svm->injected_rip))
			break;
		if (!vcpu->exc_pending)
			vmain_queue_exception(vcpu, vector,
					      vmain_exception_has_error(vector),
					      (info & SVM_EVT_ERR_VALID) ?
					      (u32)(info >> 32) : 0);
		break;
	default:
		/* Software interrupts (INT n) re-execute from their RIP too. */
		break;
	}
}

/* After the world switch: nothing stays in EVENTINJ between entries. */
static void svm_requeue_undelivered(struct svm_vcpu *svm, u64 info)
{
	svm->vmcb->control.event_inj = 0;
	svm_requeue_event(svm, info);
	svm->injected = 0;
}

/*
 * Emulators: QEMU before 10.2 (TCG) marks a pending virtual interrupt at
 * VMRUN with an unlocked read-modify-write of its per-CPU interrupt
 * flags, which can erase the flag another thread set at that moment for
 * one of the host's own interrupts (a timer tick, an IPI).  The vector
 * stays in the host APIC's IRR but is never delivered: that CPU's one-shot
 * timer stops for good, and a CPU waiting for it in an IPI (our own
 * kick_all, TLB shootdowns) waits forever.  Writing CR8 back makes the
 * emulated APIC re-evaluate its IRR and raise what is pending.  On a real
 * CPU this is a TPR write of the TPR's own value (APM 15.21.2; Linux runs
 * with TPR 0); it is done only under a hypervisor, and only after an
 * entry that had V_IRQ set, the one case the emulator gets wrong.
 */
static void svm_recheck_host_apic(void)
{
	unsigned long tpr;

	if (!boot_cpu_has(X86_FEATURE_HYPERVISOR))
		return;
	asm volatile("mov %%cr8, %0" : "=r"(tpr));
	asm volatile("mov %0, %%cr8" : : "r"(tpr) : "memory");
}

int svm_run(struct vmain_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct vmcb *vmcb = svm->vmcb;
	struct vmain_run *run = vcpu->run;
	struct vmain_host_save host;
	struct vmain_spec_switch spec;
	unsigned int enter_flags;
	struct svm_cpu *sc;
	u64 host_xcr0, guest_xcr0;
	bool has_xsave, virq;
	int cpu, ret;

	/* An open window that userspace asked about: report, don't enter. */
	if (run->request_interrupt_window && svm_interruptible(svm) &&
	    !vcpu->irq_pending) {
		svm_report_irq_state(svm);
		run->exit_reason = VMAIN_EXIT_IRQ_WINDOW;
		return 0;
	}
	svm_inject_events(svm);
	svm_sync_nmi_block(svm);

	local_irq_disable();
	if (!vmain_vcpu_enter_check(vcpu)) {
		local_irq_enable();
		/* Not entering after all: the event goes back to the queue. */
		svm_requeue_undelivered(svm, svm->injected);
		return 1;	/* the run loop handles the kick/signal/resched */
	}
	cpu = vcpu->cpu;
	sc = svm_this_cpu();
	svm_pick_asid(svm, sc, cpu);
	svm_set_clean_bits(svm, sc, cpu);

	/* A host without XSAVE (AMD family 10h has NPT but no XSAVE): no XCR0. */
	has_xsave = boot_cpu_has(X86_FEATURE_OSXSAVE);
	host_xcr0 = vmain_host_xcr0();
	if (has_xsave && vcpu->xcr0 != host_xcr0)
		xsetbv(XCR_XFEATURE_ENABLED_MASK, vcpu->xcr0);

	virq = vmcb->control.int_ctl & V_IRQ;
	vmain_switch_to_guest(vcpu, &host, vmcb->save.dr7, false);
	/*
	 * TSC_AUX: RDTSCP runs without an exit, and RDPID cannot be
	 * intercepted at all (APM Vol. 3, "RDPID"): the register must hold
	 * the guest's value (Linux's comes back before user space runs).
	 */
	vmain_tsc_aux_load(vcpu->tsc_aux);

	/*
	 * GIF=0 holds interrupts and NMIs off while the host's IF is set for
	 * the world switch: with V_INTR_MASKING the host's IF at VMRUN gates
	 * physical interrupts in the guest, and they must cause #VMEXIT(INTR)
	 * rather than wait (APM 15.17, 15.21.1).  They are taken at STGI.
	 */
	vmain_mitigations_before_entry(vcpu);
	enter_flags = vmain_mitigations_enter_flags() | vmain_spec_enter(vcpu, &spec);
	asm volatile("clgi" ::: "memory");
	raw_local_irq_enable();
	vmain_svm_enter(svm->vmcb_pa, svm->gprs, sc->host_vmcb_pa, enter_flags, &spec);
	raw_local_irq_disable();
	vmain_mitigations_after_exit();

	/*
	 * XCR0 is not part of the world switch: what is loaded now is the
	 * guest's.  Read it back rather than trust our copy: XSETBV is
	 * intercepted, but an emulator may not honour that intercept (QEMU
	 * TCG does not), and the host must get its own XCR0 back regardless.
	 */
	if (has_xsave) {
		guest_xcr0 = xgetbv(XCR_XFEATURE_ENABLED_MASK);
		if (guest_xcr0 != host_xcr0)
			xsetbv(XCR_XFEATURE_ENABLED_MASK, host_xcr0);
		vcpu->xcr0 = guest_xcr0;
	}
	/*
	 * #VMEXIT leaves DR7 at its reset value, and DR6 holding the guest's
	 * (VMRUN loaded it from the VMCB): the host's come back.
	 */
	vmain_switch_to_host(vcpu, &host, false, vmcb->save.dr6 != DR6_RESERVED);
	if (vcpu->db_owned)
		svm_intercept_dr(svm);
	if (virq)
		svm_recheck_host_apic();
	asm volatile("stgi" ::: "memory");
	WRITE_ONCE(vcpu->mode, VCPU_OUTSIDE_GUEST);
	local_irq_enable();

	/*
	 * VMRUN refused the guest state (APM 15.5.1 consistency checks).  The
	 * code is -1; emulators may store only its low 32 bits.  Nothing was
	 * delivered then; otherwise EXITINTINFO holds what an intercept
	 * interrupted, if anything.
	 */
	if (lower_32_bits(svm->vmcb->control.exit_code) == 0xffffffffU) {
		svm_requeue_undelivered(svm, svm->injected);
		run->exit_reason = VMAIN_EXIT_FAIL_ENTRY;
		memset(&run->exit.fail_entry, 0, sizeof(run->exit.fail_entry));
		run->exit.fail_entry.hardware_reason = SVM_EXIT_INVALID;
		run->exit.fail_entry.cpu = cpu;
		ret = 0;
	} else {
		svm_requeue_undelivered(svm, svm->vmcb->control.exit_int_info);
		ret = svm_handle_exit(svm);
	}
	if (ret <= 0)
		svm_report_irq_state(svm);
	return ret;
}
