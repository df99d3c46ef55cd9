// SPDX-License-Identifier: GPL-2.0-only
/*
 * vmx/run.c - one guest entry: events to inject and the interrupt/NMI
 * windows, TLB flushes, the host state VM entry and exit do not switch,
 * the world switch itself, and what the exit left to pick up.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/hw_breakpoint.h>
#include <asm/debugreg.h>
#include <asm/desc.h>
#include <asm/cpufeature.h>
#include <asm/fpu/xcr.h>
#include <asm/msr.h>
#include <asm/special_insns.h>
#include <asm/tlbflush.h>

#include "vmx.h"
#include "../mitigate.h"
#include "../spec.h"

static bool vmx_interruptible(u64 rflags, u32 intr)
{
	return (rflags & X86_EFLAGS_IF) &&
	       !(intr & (INTR_BLOCK_STI | INTR_BLOCK_MOV_SS));
}

/*
 * One event per entry, exceptions before NMIs before interrupts (SDM Vol.
 * 3C, 27.6 "Event Injection"); what cannot be injected now opens the
 * interrupt window (25.6.2, "interrupt-window exiting") or the NMI window
 * ("NMI-window exiting", 27.7.6; it needs virtual NMIs, 25.6.1).  With the
 * VMCS current.
 */
static void vmx_inject_events(struct vmx_vcpu *vmx, u64 rflags, u32 intr)
{
	struct vmain_vcpu *vcpu = vmx->vcpu;
	bool irq_window = false, nmi_window = false;
	u32 info = 0, proc, want_intr;

	/* The neutral layer's NMI mask is virtual-NMI blocking (25.4.2). */
	want_intr = vcpu->nmi_masked ? intr | INTR_BLOCK_NMI : intr & ~INTR_BLOCK_NMI;
	/*
	 * Blocking by STI needs IF = 1 (27.3.1.5); if SET_REGS cleared IF
	 * under a shadow, keep the shadow as blocking by MOV SS.
	 */
	if ((want_intr & INTR_BLOCK_STI) && !(rflags & X86_EFLAGS_IF))
		want_intr = (want_intr & ~INTR_BLOCK_STI) | INTR_BLOCK_MOV_SS;
	if (want_intr != intr)
		vmx_write(vmx, VMCS_GUEST_INTERRUPTIBILITY, want_intr);

	if (vcpu->exc_pending) {
		info = vcpu->exc_vector | INTR_TYPE_HW_EXC | INTR_INFO_VALID;
		/* Real mode pushes no error code (27.2.1.3, SDM Vol. 3A 20.1.4). */
		if (vcpu->exc_has_error &&
		    (vmx_read(vmx, VMCS_CR0_SHADOW) & X86_CR0_PE)) {
			info |= INTR_INFO_ERROR_VALID;
			vmx_write(vmx, VMCS_ENTRY_EXC_ERROR, vcpu->exc_error);
		}
		vcpu->exc_pending = false;
	} else if (vcpu->nmi_pending && !vcpu->nmi_masked &&
		   !(intr & (INTR_BLOCK_STI | INTR_BLOCK_MOV_SS))) {
		/* Delivery sets virtual-NMI blocking until the handler's IRET. */
		info = X86_TRAP_NMI | INTR_TYPE_NMI | INTR_INFO_VALID;
		vcpu->nmi_pending = false;
		vcpu->nmi_masked = true;
	} else if (vcpu->irq_pending && vmx_interruptible(rflags, intr)) {
		info = vcpu->irq_vector | INTR_TYPE_EXT | INTR_INFO_VALID;
		vcpu->irq_pending = false;
	}
	vmx->inject_info = info;
	vmx_write(vmx, VMCS_ENTRY_INTR_INFO, info);

	if (vcpu->nmi_pending)
		nmi_window = true;
	if (vcpu->irq_pending)
		irq_window = true;
	if (vcpu->run->request_interrupt_window && !vmx_interruptible(rflags, intr))
		irq_window = true;
	proc = vmx->proc_ctls & ~(PROC_INTR_WINDOW | PROC_NMI_WINDOW);
	if (irq_window)
		proc |= PROC_INTR_WINDOW;
	if (nmi_window)
		proc |= PROC_NMI_WINDOW;
	if (proc != vmx->proc_ctls) {
		vmx->proc_ctls = proc;
		vmx_write(vmx, VMCS_PROC_CONTROLS, proc);
	}
}

/*
 * An event whose delivery the exit interrupted (IDT-vectoring information,
 * 28.2.4) goes back to the neutral layer's queue and is delivered again.
 * Software interrupts and INT3/INTO/INT1 are not: RIP still points at
 * their instruction, which runs again.  An exception's error-code flag
 * follows its vector, as SET_EVENTS requires: in real mode the CPU
 * delivers (and reports) no error code even for #GP.
 */
static void vmx_requeue_interrupted_event(struct vmx_vcpu *vmx)
{
	struct vmain_vcpu *vcpu = vmx->vcpu;
	u32 info = vmx->exit.idt_info;
	u8 vector = info & INTR_INFO_VECTOR_MASK;

	vmx->inject_info = 0;
	if (!(info & INTR_INFO_VALID))
		return;
	switch (info & INTR_INFO_TYPE_MASK) {
	case INTR_TYPE_EXT:
		vcpu->irq_pending = true;
		vcpu->irq_vector = vector;
		break;
	case INTR_TYPE_NMI:
		vcpu->nmi_pending = true;
		vcpu->nmi_masked = false;
		break;
	case INTR_TYPE_HW_EXC:
		if (!vcpu->exc_pending)
			vmain_queue_exception(vcpu, vector,
					      vmain_exception_has_error(vector),
					      (info & INTR_INFO_ERROR_VALID) ?
					      vmx->exit.idt_error : 0);
		break;
	default:
		break;
	}
}

/*
 * Bochs 2.7 quirk: it decides whether an external interrupt is blocked
 * only when RFLAGS.IF changes, and VM entry loads the guest's RFLAGS
 * before the CPU counts as in VMX non-root operation.  A guest entered
 * with IF = 0 (host IF is 0 too) therefore never gets the external-
 * interrupt exit (25.6.1) until it executes STI: a guest spinning with
 * interrupts off would hold the (single) CPU for good, and neither
 * signals nor the scheduler could get it back.  For such entries the
 * VMX-preemption timer (26.5.1) forces an exit after about 1 ms of guest
 * time; the host's interrupt is then taken as usual.  On hardware this
 * costs at most 1000 exits a second, and only while a guest runs with
 * interrupts off.
 */
static void vmx_arm_preempt_timer(struct vmx_vcpu *vmx, u64 rflags)
{
	u32 pin = vmx->pin_ctls & ~PIN_PREEMPT_TIMER;

	if (vmx_cfg.preempt_ticks && !(rflags & X86_EFLAGS_IF)) {
		pin |= PIN_PREEMPT_TIMER;
		vmx_write(vmx, VMCS_PREEMPT_TIMER, vmx_cfg.preempt_ticks);
	}
	if (pin != vmx->pin_ctls) {
		vmx->pin_ctls = pin;
		vmx_write(vmx, VMCS_PIN_CONTROLS, pin);
	}
}

/* With the VMCS current: the event of an entry that did not happen. */
static void vmx_requeue_undelivered(struct vmx_vcpu *vmx)
{
	vmx->exit.idt_info = vmx->inject_info;
	vmx->exit.idt_error = (vmx->inject_info & INTR_INFO_ERROR_VALID) ?
			      vmx_read(vmx, VMCS_ENTRY_EXC_ERROR) : 0;
	vmx_requeue_interrupted_event(vmx);
}

/* Reports the interrupt state userspace decides injections by. */
static void vmx_report_irq_state(struct vmx_vcpu *vmx, u64 rflags, u32 intr)
{
	struct vmain_run *run = vmx->vcpu->run;

	run->if_flag = !!(rflags & X86_EFLAGS_IF);
	run->ready_for_interrupt_injection = vmx_interruptible(rflags, intr) &&
		!vmx->vcpu->irq_pending && !vmx->inject_info;
	run->cr8 = vmx->tpr;
}

static void vmx_report_state_now(struct vmx_vcpu *vmx)
{
	unsigned long flags;

	if (vmx_get(vmx, &flags))
		return;
	vmx_report_irq_state(vmx, vmx_read(vmx, VMCS_GUEST_RFLAGS),
			     vmx_read(vmx, VMCS_GUEST_INTERRUPTIBILITY));
	vmx_put(vmx, flags);
}

static int vmx_fail_entry(struct vmx_vcpu *vmx, u64 reason, int cpu)
{
	struct vmain_run *run = vmx->vcpu->run;

	run->exit_reason = VMAIN_EXIT_FAIL_ENTRY;
	memset(&run->exit.fail_entry, 0, sizeof(run->exit.fail_entry));
	run->exit.fail_entry.hardware_reason = reason;
	run->exit.fail_entry.cpu = cpu;
	return 0;
}

/* Host state that VM entry and exit do not switch, saved per entry. */
struct vmx_host {
	u16 ds, es, fs, gs, ldt;
	u64 kernel_gs_base, debugctl, xcr0;
	struct vmain_host_save common;	/* debug registers, PKRU */
};

/*
 * Before entry, with interrupts off: the host-state fields that change
 * with the thread (CR3, CR4, FS base; 25.5), and the guest's values of
 * registers VMX leaves alone: the SYSCALL MSRs, KERNEL_GS_BASE (SWAPGS),
 * TSC_AUX (RDTSCP; restored lazily, switch.c), CR2 and XCR0.
 */
static void vmx_switch_to_guest(struct vmx_vcpu *vmx, struct vmx_cpu *vc,
				struct vmx_host *h)
{
	unsigned long cr3 = __read_cr3(), cr4 = cr4_read_shadow(), fs_base;

	if (cr3 != vmx->host_cr3) {
		vmx_write(vmx, VMCS_HOST_CR3, cr3);
		vmx->host_cr3 = cr3;
	}
	if (cr4 != vmx->host_cr4) {
		vmx_write(vmx, VMCS_HOST_CR4, cr4);
		vmx->host_cr4 = cr4;
	}
	savesegment(ds, h->ds);
	savesegment(es, h->es);
	savesegment(fs, h->fs);
	savesegment(gs, h->gs);
	asm volatile("sldt %0" : "=g" (h->ldt));
	rdmsrl(MSR_FS_BASE, fs_base);
	if (fs_base != vmx->host_fs_base) {
		vmx_write(vmx, VMCS_HOST_FS_BASE, fs_base);
		vmx->host_fs_base = fs_base;
	}
	rdmsrl(MSR_KERNEL_GS_BASE, h->kernel_gs_base);
	wrmsrl(MSR_KERNEL_GS_BASE, vmx->kernel_gs_base);
	if (vmx->star != vc->star)
		wrmsrl(MSR_STAR, vmx->star);
	if (vmx->lstar != vc->lstar)
		wrmsrl(MSR_LSTAR, vmx->lstar);
	if (vmx->cstar != vc->cstar)
		wrmsrl(MSR_CSTAR, vmx->cstar);
	if (vmx->sfmask != vc->sfmask)
		wrmsrl(MSR_SYSCALL_MASK, vmx->sfmask);
	if (vmx_cfg.proc2 & PROC2_RDTSCP)
		vmain_tsc_aux_load(vmx->vcpu->tsc_aux);
	/* VM exit clears IA32_DEBUGCTL (28.5.1); the host's comes back. */
	h->debugctl = 0;
	if (vmx_cfg.debugctl)
		rdmsrl(MSR_IA32_DEBUGCTLMSR, h->debugctl);
	if (native_read_cr2() != vmx->cr2)
		native_write_cr2(vmx->cr2);
	vmain_switch_to_guest(vmx->vcpu, &h->common,
			      vmx_read(vmx, VMCS_GUEST_DR7), true);
	/* Without XSAVE enabled (no CR4.OSXSAVE) XGETBV is #UD: no XCR0. */
	if (!boot_cpu_has(X86_FEATURE_OSXSAVE))
		return;
	h->xcr0 = xgetbv(XCR_XFEATURE_ENABLED_MASK);
	if (vmx->vcpu->xcr0 != h->xcr0)
		xsetbv(XCR_XFEATURE_ENABLED_MASK, vmx->vcpu->xcr0);
}

/* After the exit, still with interrupts off: the host's values back. */
static void vmx_switch_to_host(struct vmx_vcpu *vmx, struct vmx_cpu *vc,
			       struct vmx_host *h)
{
	struct desc_ptr dt;
	u64 guest_xcr0;

	/*
	 * XSETBV always exits under VMX, but read XCR0 back anyway rather
	 * than trust our copy: the host must get its own value regardless.
	 */
	if (boot_cpu_has(X86_FEATURE_OSXSAVE)) {
		guest_xcr0 = xgetbv(XCR_XFEATURE_ENABLED_MASK);
		if (guest_xcr0 != h->xcr0)
			xsetbv(XCR_XFEATURE_ENABLED_MASK, h->xcr0);
		vmx->vcpu->xcr0 = guest_xcr0;
	}
	vmx->cr2 = native_read_cr2();

	/*
	 * VM exit leaves LDTR null, DS/ES/FS/GS with the host-state selectors
	 * (null), and the GDTR/IDTR limits at 0xffff (28.5.2); the thread's
	 * own selectors and LDT come back here.  Loading GS's selector
	 * changes the inactive GS base, so KERNEL_GS_BASE is restored after.
	 */
	if (h->ldt)
		asm volatile("lldt %0" : : "r" (h->ldt));
	if (h->gs)
		load_gs_index(h->gs);
	if (h->fs)
		loadsegment(fs, h->fs);
	if (h->ds)
		loadsegment(ds, h->ds);
	if (h->es)
		loadsegment(es, h->es);
	rdmsrl(MSR_KERNEL_GS_BASE, vmx->kernel_gs_base);
	wrmsrl(MSR_KERNEL_GS_BASE, h->kernel_gs_base);
	if (vmx->star != vc->star)
		wrmsrl(MSR_STAR, vc->star);
	if (vmx->lstar != vc->lstar)
		wrmsrl(MSR_LSTAR, vc->lstar);
	if (vmx->cstar != vc->cstar)
		wrmsrl(MSR_CSTAR, vc->cstar);
	if (vmx->sfmask != vc->sfmask)
		wrmsrl(MSR_SYSCALL_MASK, vc->sfmask);
	if (vc->gdt_limit != 0xffff) {
		dt.address = vc->gdt_base;
		dt.size = vc->gdt_limit;
		native_load_gdt(&dt);
	}
	if (vc->idt_limit != 0xffff) {
		dt.address = vc->idt_base;
		dt.size = vc->idt_limit;
		native_load_idt(&dt);
	}
	/* The TR limit is 0x67 now (28.5.2): the I/O bitmap needs more. */
	invalidate_tss_limit();
	if (h->debugctl)
		wrmsrl(MSR_IA32_DEBUGCTLMSR, h->debugctl);
	/* VM exit leaves DR7 at 0x400: the host's breakpoints come back. */
	vmain_switch_to_host(vmx->vcpu, &h->common, true, false);
	if (vmx->vcpu->db_owned) {
		/* The guest's next MOV DR exits again (exits.c). */
		vmx->vcpu->db_owned = false;
		vmx->proc_ctls |= PROC_MOV_DR;
		vmx_write(vmx, VMCS_PROC_CONTROLS, vmx->proc_ctls);
	}
}

/* Reads the exit information (25.9) while the VMCS is current. */
static void vmx_read_exit(struct vmx_vcpu *vmx)
{
	struct vmx_exit *x = &vmx->exit;

	x->reason = vmx_read(vmx, VMCS_EXIT_REASON);
	x->qual = vmx_read(vmx, VMCS_EXIT_QUALIFICATION);
	x->intr_info = vmx_read(vmx, VMCS_EXIT_INTR_INFO);
	x->intr_error = (x->intr_info & INTR_INFO_ERROR_VALID) ?
			vmx_read(vmx, VMCS_EXIT_INTR_ERROR) : 0;
	x->idt_info = vmx_read(vmx, VMCS_IDT_VECTORING_INFO);
	x->idt_error = (x->idt_info & INTR_INFO_ERROR_VALID) ?
		       vmx_read(vmx, VMCS_IDT_VECTORING_ERROR) : 0;
	x->insn_len = vmx_read(vmx, VMCS_EXIT_INSN_LEN);
	x->gpa = (u16)x->reason == EXIT_REASON_EPT_VIOLATION ?
		 vmx_read(vmx, VMCS_GUEST_PHYS_ADDR) : 0;
}

/* The exit's effects on state the neutral layer keeps. */
static void vmx_after_exit(struct vmx_vcpu *vmx)
{
	struct vmain_vcpu *vcpu = vmx->vcpu;
	u32 intr = vmx_read(vmx, VMCS_GUEST_INTERRUPTIBILITY);
	u16 basic = vmx->exit.reason;
	bool nmi_unblocked_by_iret = false;
	u64 efer;

	vcpu->nmi_masked = intr & INTR_BLOCK_NMI;
	/*
	 * An exit in the middle of an IRET that unblocked NMIs (28.2.2, "NMI
	 * unblocking due to IRET"): the IRET runs again, so NMIs stay blocked
	 * until it completes.
	 */
	if (basic == EXIT_REASON_EXCEPTION_NMI)
		nmi_unblocked_by_iret = vmx->exit.intr_info & INTR_INFO_NMI_UNBLOCK;
	else if (basic == EXIT_REASON_EPT_VIOLATION)
		nmi_unblocked_by_iret = vmx->exit.qual & (1ULL << 12);
	if (nmi_unblocked_by_iret && !(vmx->exit.idt_info & INTR_INFO_VALID))
		vcpu->nmi_masked = true;
	/*
	 * An entry that failed while loading guest state delivered nothing
	 * (27.8): the event it was to inject goes back to the queue.
	 */
	if (vmx->exit.reason & EXIT_REASON_ENTRY_FAILED)
		vmx_requeue_undelivered(vmx);
	else
		vmx_requeue_interrupted_event(vmx);

	/*
	 * The guest may have turned IA-32e mode on or off with CR0.PG; the
	 * IA-32e mode guest entry control must follow EFER.LMA (27.3.1.1).
	 */
	efer = vmx_read(vmx, VMCS_GUEST_EFER);
	if (!!(efer & EFER_LMA) != !!(vmx->entry_ctls & ENTRY_IA32E))
		vmx_put_efer(vmx, efer);
}

int vmx_run(struct vmain_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	struct vmain_run *run = vcpu->run;
	struct vmx_host host;
	struct vmain_spec_switch spec;
	struct vmx_cpu *vc;
	unsigned long flags;
	u64 rflags, cr0;
	u32 intr;
	int cpu, ret;

	if (vmx->vmcs_error) {
		pr_warn_ratelimited("vCPU %u: VMCS field %#x could not be accessed (VM-instruction error %u)\n",
				    vcpu->id, vmx->vmcs_error_field, vmx->vmcs_error);
		ret = vmx->vmcs_error;
		vmx->vmcs_error = 0;
		return vmx_fail_entry(vmx, ret, raw_smp_processor_id());
	}
	if (vmx_get(vmx, &flags))
		return -EIO;
	cpu = smp_processor_id();
	vc = vmx_this_cpu();

	cr0 = vmx_read(vmx, VMCS_CR0_SHADOW);
	if (!vmx_cfg.unrestricted && (!(cr0 & X86_CR0_PE) || !(cr0 & X86_CR0_PG))) {
		vmx_put(vmx, flags);
		pr_warn_ratelimited("vCPU %u: real mode and unpaged protected mode need VT-x unrestricted guest, which this CPU lacks\n",
				    vcpu->id);
		return vmx_fail_entry(vmx, EXIT_REASON_ENTRY_FAILED |
				      EXIT_REASON_BAD_GUEST_STATE, cpu);
	}

	rflags = vmx_read(vmx, VMCS_GUEST_RFLAGS);
	intr = vmx_read(vmx, VMCS_GUEST_INTERRUPTIBILITY);
	/* An open window that userspace asked about: report, don't enter. */
	if (run->request_interrupt_window && vmx_interruptible(rflags, intr) &&
	    !vcpu->irq_pending) {
		vmx_report_irq_state(vmx, rflags, intr);
		vmx_put(vmx, flags);
		run->exit_reason = VMAIN_EXIT_IRQ_WINDOW;
		return 0;
	}
	vmx_inject_events(vmx, rflags, intr);
	vmx_arm_preempt_timer(vmx, rflags);

	if (!vmain_vcpu_enter_check(vcpu)) {
		/* Not entering after all: the event goes back to the queue. */
		vmx_requeue_undelivered(vmx);
		vmx_put(vmx, flags);
		return 1;	/* the run loop handles the kick/signal/resched */
	}
	/*
	 * After enter_check set IN_GUEST: an MMU notifier that zapped EPT
	 * entries either sees IN_GUEST and interrupts us out of the guest,
	 * or its flush request is seen here (29.4.3.3, 29.4.3.4).
	 */
	if (test_and_clear_bit(VCPU_REQ_TLB_FLUSH, &vcpu->requests) || vmx->flush) {
		vmx_invept(vmx);
		vmx_invvpid(vmx);
		vmx->flush = false;
	}
	vmx_switch_to_guest(vmx, vc, &host);
	vmain_mitigations_before_entry(vcpu);
	if (vmx->vmcs_error)
		ret = 2;
	else
		ret = vmain_vmx_enter(vmx->gprs, vmx->launched,
				      vmain_mitigations_enter_flags() |
				      vmain_spec_enter(vcpu, &spec), &spec);
	vmain_mitigations_after_exit();
	vmx_switch_to_host(vmx, vc, &host);

	if (ret == 0) {
		vmx->launched = true;
		vmx_read_exit(vmx);
		/* A host NMI caused the exit: the host handles it now (26.2). */
		if ((u16)vmx->exit.reason == EXIT_REASON_EXCEPTION_NMI &&
		    (vmx->exit.intr_info & (INTR_INFO_VALID | INTR_INFO_TYPE_MASK)) ==
		    (INTR_INFO_VALID | INTR_TYPE_NMI))
			vmain_vmx_host_nmi();
	}
	WRITE_ONCE(vcpu->mode, VCPU_OUTSIDE_GUEST);

	if (ret) {
		/*
		 * VMfail (31.2): VMfailValid puts the reason in the VM-instruction
		 * error field (31.4); VMfailInvalid means no current VMCS.
		 */
		u64 err = 0xffff;

		if (ret == 1)
			err = vmx_read(vmx, VMCS_INSN_ERROR) ? : 0xffff;
		else if (vmx->vmcs_error)
			err = vmx->vmcs_error;	/* a VMWRITE before entry failed */
		vmx->vmcs_error = 0;
		/* Nothing was delivered: the event goes back to the queue. */
		vmx_requeue_undelivered(vmx);
		vmx_put(vmx, flags);
		pr_warn_ratelimited("vCPU %u: VM entry failed, VM-instruction error %llu\n",
				    vcpu->id, err);
		vmx_fail_entry(vmx, err, cpu);
		vmx_report_state_now(vmx);
		return 0;
	}
	vmx_after_exit(vmx);
	vmx_put(vmx, flags);	/* the host takes its interrupt here */

	if (vmx->exit.reason & EXIT_REASON_ENTRY_FAILED) {
		/*
		 * The entry failed while checking or loading guest state (27.8):
		 * the exit reason (bit 31 set; 33 invalid guest state, 34 MSR
		 * loading, 41 machine check) is the hardware reason.
		 */
		ret = vmx_fail_entry(vmx, vmx->exit.reason, cpu);
	} else {
		ret = vmx_handle_exit(vmx);
	}
	if (ret <= 0)
		vmx_report_state_now(vmx);
	return ret;
}
