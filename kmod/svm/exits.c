// SPDX-License-Identifier: GPL-2.0-only
/*
 * svm/exits.c - #VMEXIT handlers, one per exit code (AMD APM Vol. 2,
 * Appendix C), in a table.
 *
 * The contract of every handler:
 *   > 0  the exit is handled in the kernel; enter the guest again,
 *   0    return to userspace; run->exit_reason says why,
 *   < 0  return this errno to userspace.
 * A code without a handler ends the RUN with VMAIN_EXIT_INTERNAL_ERROR /
 * VMAIN_INTERNAL_UNHANDLED_EXIT carrying the code: never a silent skip.
 */
#include "svm.h"
#include <asm/debugreg.h>
#include "../emulate/emulate.h"

typedef int (*svm_exit_handler)(struct svm_vcpu *svm);

/*
 * Where the intercepted instruction ends.  With NRIP save the CPU tells
 * (APM 15.7.1); otherwise the instruction is decoded, and must be the
 * one the exit says it is.  0 and *next; 1: a #PF was queued (resume);
 * -1: an internal error was reported (return to userspace).
 */
static int svm_next_rip(struct svm_vcpu *svm, enum x86_op op, enum x86_op alt,
			u64 *next)
{
	struct vmcb_control *c = &svm->vmcb->control;
	u8 bytes[X86_MAX_INSN_LEN];
	struct x86_insn insn;
	unsigned int len = 0;
	struct emul e;
	int ret;

	if ((svm_features & VMAIN_HW_NRIPS) && c->next_rip) {
		*next = c->next_rip;
		return 0;
	}
	emul_load(&e, svm->vcpu, true);
	ret = emul_fetch(&e, bytes, &len);
	if (ret > 0)
		return 1;
	if (!ret)
		ret = x86_decode(bytes, len, emul_mode(&e), &insn);
	if (ret || (insn.op != op && insn.op != alt)) {
		u64 first8 = 0;

		memcpy(&first8, bytes, min(len, 8U));
		vmain_internal_error(svm->vcpu, VMAIN_INTERNAL_EMULATION, 3,
				     e.g.rip, first8, c->exit_code, 0);
		return -1;
	}
	*next = e.g.rip + insn.len;
	if (emul_mode(&e) != X86_MODE_LONG64)
		*next = (u32)*next;
	return 0;
}

/* The intercepted instruction completed: the guest goes on at next. */
static void svm_advance(struct svm_vcpu *svm, u64 next)
{
	svm->vmcb->save.rip = next;
	/* An instruction that completes ends an STI/MOV SS shadow. */
	svm->vmcb->control.int_state &= ~1ULL;
}

/* Skips the intercepted instruction: 1 (resume) or 0 (error reported). */
static int svm_skip(struct svm_vcpu *svm, enum x86_op op)
{
	u64 next;
	int ret = svm_next_rip(svm, op, X86_OP_NONE, &next);

	if (ret)
		return ret > 0 ? 1 : 0;
	svm_advance(svm, next);
	return 1;
}

static int svm_inject_ud(struct svm_vcpu *svm)
{
	vmain_queue_exception(svm->vcpu, X86_TRAP_UD, false, 0);
	return 1;
}

static int svm_inject_gp(struct svm_vcpu *svm)
{
	vmain_queue_exception(svm->vcpu, X86_TRAP_GP, true, 0);
	return 1;
}

/* The host takes its interrupt (or NMI, SMI) at STGI; nothing else to do. */
static int svm_exit_host_event(struct svm_vcpu *svm)
{
	return 1;
}

static int svm_exit_vintr(struct svm_vcpu *svm)
{
	struct vmain_run *run = svm->vcpu->run;

	svm_clear_irq_window(svm);
	/* A queued interrupt is injected on the next entry. */
	if (svm->vcpu->irq_pending || !run->request_interrupt_window)
		return 1;
	run->exit_reason = VMAIN_EXIT_IRQ_WINDOW;
	return 0;
}

static int svm_exit_step_insn(struct svm_vcpu *svm);

static int svm_exit_iret(struct svm_vcpu *svm)
{
	/*
	 * An IRET a forced step over an interrupt shadow is about to run:
	 * it pops the guest's RFLAGS, whose TF the step's end would clear
	 * with ours.  It runs without the step, as PUSHF and POPF do.
	 */
	if (svm->nmi_singlestep && svm->nmi_step_shadow)
		return svm_exit_step_insn(svm);
	/*
	 * The NMI handler is about to return: the intercept comes before the
	 * IRET executes, and NMIs unblock only once it completes.  Step over
	 * it: with TF set before IRET, a #DB trap follows it whatever RFLAGS
	 * it pops (SDM Vol. 3A, 18.3.1.4), and that #DB is ours (intercepted).
	 * While the step is on, svm_sync_nmi_block() drops the IRET intercept.
	 */
	svm_nmi_step_start(svm, false);
	return 1;
}

static int svm_exit_cpuid(struct svm_vcpu *svm)
{
	struct vmain_gprs g;
	u64 next;
	/*
	 * Where CPUID ends, first: finding out may queue a #PF (no NRIP
	 * save), after which the guest runs CPUID again and must find its
	 * EAX and ECX as they were.
	 */
	int ret = svm_next_rip(svm, X86_OP_CPUID, X86_OP_NONE, &next);

	if (ret)
		return ret > 0 ? 1 : 0;
	svm_get_gprs(svm->vcpu, &g);
	vmain_cpuid_answer(svm->vcpu, &g, svm->vmcb->save.cr4);
	svm_set_gprs(svm->vcpu, &g);
	svm_advance(svm, next);
	return 1;
}

static int svm_exit_hlt(struct svm_vcpu *svm)
{
	struct vmain_vcpu *vcpu = svm->vcpu;
	int ret = svm_skip(svm, X86_OP_HLT);

	if (ret <= 0)
		return ret;
	/* Something to deliver: HLT ends at once, as on hardware. */
	if ((vcpu->irq_pending && (svm->vmcb->save.rflags & X86_EFLAGS_IF)) ||
	    (vcpu->nmi_pending && !vcpu->nmi_masked) || vcpu->exc_pending)
		return 1;
	vcpu->run->exit_reason = VMAIN_EXIT_HLT;
	return 0;
}

static int svm_exit_ioio(struct svm_vcpu *svm)
{
	struct vmcb_control *c = &svm->vmcb->control;
	u32 info = c->exit_info_1;
	struct vmain_io_exit io = {
		.port = info >> IOIO_PORT_SHIFT,
		.in = info & IOIO_TYPE_IN,
		.string = info & IOIO_STR,
		.rep = info & IOIO_REP,
		/* The CPU saves the next RIP for IOIO even without NRIPS. */
		.next_rip = c->exit_info_2,
	};
	unsigned int sz = (info >> IOIO_SZ_SHIFT) & 7;

	io.size = sz & 4 ? 4 : sz & 2 ? 2 : 1;
	return vmain_io_exit(svm->vcpu, &io);
}

static int svm_exit_msr(struct svm_vcpu *svm)
{
	struct vmain_vcpu *vcpu = svm->vcpu;
	bool write = svm->vmcb->control.exit_info_1 & 1;
	u32 index = svm->gprs[X86_REG_RCX];
	u64 data = (svm->vmcb->save.rax & 0xffffffffULL) |
		   (svm->gprs[X86_REG_RDX] << 32);
	u64 next;
	int ret;

	ret = svm_next_rip(svm, write ? X86_OP_WRMSR : X86_OP_RDMSR, X86_OP_NONE,
			   &next);
	if (ret)
		return ret > 0 ? 1 : 0;
	ret = vmain_msr_guest_access(vcpu, index, write, &data, next);
	if (ret == -EPERM)
		return svm_inject_gp(svm);
	if (ret > 0)
		return 0;		/* userspace answers (VMAIN_EXIT_MSR) */
	if (!write) {
		svm->vmcb->save.rax = (u32)data;
		svm->gprs[X86_REG_RDX] = data >> 32;
	}
	svm->vmcb->save.rip = next;
	return 1;
}

static int svm_exit_shutdown(struct svm_vcpu *svm)
{
	/* The VMCB is undefined after a shutdown intercept (APM 15.12). */
	svm->vcpu->run->exit_reason = VMAIN_EXIT_SHUTDOWN;
	return 0;
}

static int svm_exit_rdtscp(struct svm_vcpu *svm)
{
	u64 tsc = rdtsc() + svm->vmcb->control.tsc_offset;

	svm->vmcb->save.rax = (u32)tsc;
	svm->gprs[X86_REG_RDX] = tsc >> 32;
	svm->gprs[X86_REG_RCX] = (u32)svm->vcpu->tsc_aux;
	return svm_skip(svm, X86_OP_RDTSCP);
}

static int svm_exit_xsetbv(struct svm_vcpu *svm)
{
	u64 xcr0 = (svm->vmcb->save.rax & 0xffffffffULL) |
		   (svm->gprs[X86_REG_RDX] << 32);

	/* A host without XSAVE gives its guests none: XSETBV is #UD. */
	if (!boot_cpu_has(X86_FEATURE_OSXSAVE))
		return svm_inject_ud(svm);
	/* SDM Vol. 2C "XSETBV": #GP at CPL > 0, for ECX != 0, bad values. */
	if (svm->vmcb->save.cpl || (u32)svm->gprs[X86_REG_RCX] ||
	    vmain_xcr0_check(xcr0))
		return svm_inject_gp(svm);
	svm->vcpu->xcr0 = xcr0;
	return svm_skip(svm, X86_OP_XSETBV);
}

static int svm_exit_invd(struct svm_vcpu *svm)
{
	/* Caches are the host's: INVD would lose host data; a no-op. */
	return svm_skip(svm, X86_OP_INVD);
}

static int svm_exit_wbinvd(struct svm_vcpu *svm)
{
	u64 next;
	/* WBNOINVD (F3 0F 09) exits as WBINVD too; both are no-ops here. */
	int ret = svm_next_rip(svm, X86_OP_WBINVD, X86_OP_WBNOINVD, &next);

	if (ret)
		return ret > 0 ? 1 : 0;
	svm->vmcb->save.rip = next;
	return 1;
}

/*
 * The breakpoints of DR6 B0-B3 that the guest's DR7 enables (L0-L3 or
 * G0-G3, APM Vol. 2 13.1.1, DR7).
 */
static u64 svm_guest_bp_hits(struct svm_vcpu *svm)
{
	u64 dr6 = svm->vmcb->save.dr6, dr7 = svm->vmcb->save.dr7;
	u64 hits = 0;
	unsigned int i;

	for (i = 0; i < 4; i++)
		if ((dr6 & (1ULL << i)) && (dr7 & (3ULL << (2 * i))))
			hits |= 1ULL << i;
	return hits;
}

/* #DB and #AC: give them to the guest (intercepted only for safety). */
static int svm_exit_reinject(struct svm_vcpu *svm)
{
	u8 vector = svm->vmcb->control.exit_code - SVM_EXIT_EXCP_BASE;

	if (vector == X86_TRAP_DB && svm->nmi_singlestep) {
		/*
		 * The stepped instruction completed: the IRET of an NMI handler
		 * (NMIs are open again) or the one in the interrupt shadow.  The
		 * pending NMI is injected at the next entry.  A TF the guest set
		 * itself gets its own single-step #DB (DR6.BS); a data
		 * breakpoint of its own that the instruction hit reports in the
		 * same #DB (APM Vol. 2 13.1.1, DR6) and gets its #DB, with the B
		 * bits the CPU set and BS only for the guest's TF.
		 */
		bool guest_tf = !svm->nmi_forced_tf;
		u64 bp = svm_guest_bp_hits(svm) ? svm->vmcb->save.dr6 & DR_TRAP_BITS : 0;

		if (!svm->nmi_step_shadow)
			svm->vcpu->nmi_masked = false;
		svm_nmi_step_end(svm);
		if (guest_tf || bp) {
			svm->vmcb->save.dr6 |= bp | (guest_tf ? DR_STEP : 0);
			vmain_queue_exception(svm->vcpu, X86_TRAP_DB, false, 0);
		}
		return 1;
	}
	if (vector == X86_TRAP_AC)
		vmain_queue_exception(svm->vcpu, vector, true,
				      svm->vmcb->control.exit_info_1);
	else
		vmain_queue_exception(svm->vcpu, vector, false, 0);
	return 1;
}

/*
 * PUSHF, POPF, INT n (INT3, INTO in QEMU's TCG; #BP, #OF on hardware) or SYSCALL
 * (#UD while the step holds EFER.SCE) about to run under a forced step
 * (run.c): it would store our TF where the guest reads it back (POPF: the
 * step's end would clear a TF it loads for the guest).  The
 * step ends with TF cleared; the shadow it was over still holds the
 * instruction (the VMCB's, which QEMU's TCG may not have
 * saved at this exit, is set again), and the instruction runs without a
 * step (step_skip_rip), the NMI or interrupt waiting for the next exit.
 * Intercepted during no step (stale), the instruction just runs.
 */
static int svm_exit_step_insn(struct svm_vcpu *svm)
{
	struct vmcb *vmcb = svm->vmcb;

	if (svm->nmi_singlestep) {
		if (svm->nmi_step_shadow && vmcb->save.rip == svm->step_rip)
			vmcb->control.int_state |= 1;
		if (svm->nmi_forced_tf)
			vmcb->save.rflags &= ~X86_EFLAGS_TF;
		svm_nmi_step_end(svm);
	}
	vmcb->control.intercept_misc1 &= ~(INTERCEPT1_PUSHF | INTERCEPT1_POPF |
					   INTERCEPT1_INTN);
	svm_dirty(svm, VMCB_CLEAN_I);
	svm->step_skip_rip = vmcb->save.rip;
	return 1;
}

/*
 * A fault of the instruction a forced step is over (run.c, STEP_FAULTS),
 * intercepted before its delivery (APM Vol. 2 15.12): the step ends and
 * our TF leaves RFLAGS, then the same exception is injected, so the frame
 * the guest's handler gets holds its own RFLAGS.  A #PF intercept leaves
 * CR2 alone and the address in EXITINFO2 (APM Vol. 2 15.12, #PF): CR2 is
 * written as the delivery would have.  EXITINFO1 holds the error code of
 * those that push one.  Intercepted during no step, it is re-injected
 * just the same.
 */
static int svm_exit_step_fault(struct svm_vcpu *svm)
{
	struct vmcb_control *c = &svm->vmcb->control;
	u8 vector = c->exit_code - SVM_EXIT_EXCP_BASE;

	/*
	 * INT3 or INTO at the stepped instruction, not yet run, or a #UD
	 * there while the step holds EFER.SCE (a SYSCALL): as INT n.
	 */
	if ((vector == X86_TRAP_BP || vector == X86_TRAP_OF ||
	     (vector == X86_TRAP_UD && svm->step_sce)) &&
	    svm->nmi_singlestep && svm->vmcb->save.rip == svm->step_rip)
		return svm_exit_step_insn(svm);

	if (vector == X86_TRAP_PF) {
		svm->vmcb->save.cr2 = c->exit_info_2;
		svm_dirty(svm, VMCB_CLEAN_CR2);
	}
	if (svm->nmi_singlestep) {
		if (svm->nmi_forced_tf)
			svm->vmcb->save.rflags &= ~X86_EFLAGS_TF;
		svm_nmi_step_end(svm);
	}
	vmain_queue_exception(svm->vcpu, vector, vmain_exception_has_error(vector),
			      (u32)c->exit_info_1);
	return 1;
}

/*
 * The guest's first MOV to or from a debug register since the last exit:
 * from now until the next exit it owns them (switch.c loads its DR0-3
 * before the entry).  The instruction is not emulated: it runs again,
 * without the intercept, with the CPU's own checks (CR4.DE, CPL, DR7.GD).
 */
static int svm_exit_dr(struct svm_vcpu *svm)
{
	svm->vmcb->control.intercept_dr = 0;
	svm->vcpu->db_owned = true;
	svm_dirty(svm, VMCB_CLEAN_I);
	return 1;
}

static int svm_exit_npf(struct svm_vcpu *svm)
{
	struct vmcb_control *c = &svm->vmcb->control;
	u64 gpa = c->exit_info_2, err = c->exit_info_1;
	bool write = err & NPF_WRITE, fetch = err & NPF_FETCH;
	int ret;

	unsigned long hva = 0;

	ret = vmain_mmu_fault(svm->vcpu, gpa, write, &hva);
	if (!ret)
		return 1;
	if (ret == -ENOMEM)
		return ret;
	if (ret < 0) {
		/* The owner's memory behind the slot is gone or unusable. */
		vmain_internal_error(svm->vcpu, VMAIN_INTERNAL_MEMORY_FAULT, 3,
				     gpa, hva, -ret, 0);
		return 0;
	}
	if (fetch)
		return vmain_fetch_non_ram(svm->vcpu, gpa, err);
	/* Decode assists leave the faulting instruction's bytes (15.8.4). */
	return vmain_mmio_exit(svm->vcpu, gpa, write, c->insn_bytes,
			       (svm_features & VMAIN_HW_DECODE_ASSISTS) ?
			       min_t(unsigned int, c->insn_len, 15) : 0);
}

static const svm_exit_handler svm_exit_handlers[] = {
	[SVM_EXIT_EXCP_BASE + X86_TRAP_DB]	= svm_exit_reinject,
	[SVM_EXIT_EXCP_BASE + X86_TRAP_AC]	= svm_exit_reinject,
	[SVM_EXIT_EXCP_BASE + X86_TRAP_DE]	= svm_exit_step_fault,
	[SVM_EXIT_EXCP_BASE + X86_TRAP_BR]	= svm_exit_step_fault,
	[SVM_EXIT_EXCP_BASE + X86_TRAP_UD]	= svm_exit_step_fault,
	[SVM_EXIT_EXCP_BASE + X86_TRAP_NM]	= svm_exit_step_fault,
	[SVM_EXIT_EXCP_BASE + X86_TRAP_DF]	= svm_exit_step_fault,
	[SVM_EXIT_EXCP_BASE + X86_TRAP_TS]	= svm_exit_step_fault,
	[SVM_EXIT_EXCP_BASE + X86_TRAP_NP]	= svm_exit_step_fault,
	[SVM_EXIT_EXCP_BASE + X86_TRAP_SS]	= svm_exit_step_fault,
	[SVM_EXIT_EXCP_BASE + X86_TRAP_GP]	= svm_exit_step_fault,
	[SVM_EXIT_EXCP_BASE + X86_TRAP_PF]	= svm_exit_step_fault,
	[SVM_EXIT_EXCP_BASE + X86_TRAP_MF]	= svm_exit_step_fault,
	[SVM_EXIT_EXCP_BASE + X86_TRAP_XF]	= svm_exit_step_fault,
	[SVM_EXIT_EXCP_BASE + X86_TRAP_CP]	= svm_exit_step_fault,
	[SVM_EXIT_EXCP_BASE + X86_TRAP_BP]	= svm_exit_step_fault,
	[SVM_EXIT_EXCP_BASE + X86_TRAP_OF]	= svm_exit_step_fault,
	[SVM_EXIT_PUSHF]	= svm_exit_step_insn,
	[SVM_EXIT_POPF]		= svm_exit_step_insn,
	[SVM_EXIT_SWINT]	= svm_exit_step_insn,
	[SVM_EXIT_INTR]		= svm_exit_host_event,
	[SVM_EXIT_NMI]		= svm_exit_host_event,
	[SVM_EXIT_SMI]		= svm_exit_host_event,
	[SVM_EXIT_VINTR]	= svm_exit_vintr,
	[SVM_EXIT_CPUID]	= svm_exit_cpuid,
	[SVM_EXIT_RSM]		= svm_inject_ud,
	[SVM_EXIT_IRET]		= svm_exit_iret,
	[SVM_EXIT_INVD]		= svm_exit_invd,
	[SVM_EXIT_HLT]		= svm_exit_hlt,
	[SVM_EXIT_INVLPGA]	= svm_inject_ud,
	[SVM_EXIT_IOIO]		= svm_exit_ioio,
	[SVM_EXIT_MSR]		= svm_exit_msr,
	[SVM_EXIT_SHUTDOWN]	= svm_exit_shutdown,
	[SVM_EXIT_VMRUN]	= svm_inject_ud,
	[SVM_EXIT_VMMCALL]	= svm_inject_ud,
	[SVM_EXIT_VMLOAD]	= svm_inject_ud,
	[SVM_EXIT_VMSAVE]	= svm_inject_ud,
	[SVM_EXIT_STGI]		= svm_inject_ud,
	[SVM_EXIT_CLGI]		= svm_inject_ud,
	[SVM_EXIT_SKINIT]	= svm_inject_ud,
	[SVM_EXIT_RDTSCP]	= svm_exit_rdtscp,
	[SVM_EXIT_WBINVD]	= svm_exit_wbinvd,
	[SVM_EXIT_MONITOR]	= svm_inject_ud,
	[SVM_EXIT_MWAIT]	= svm_inject_ud,
	[SVM_EXIT_MWAIT_COND]	= svm_inject_ud,
	[SVM_EXIT_XSETBV]	= svm_exit_xsetbv,
	[SVM_EXIT_RDPRU]	= svm_inject_ud,
};

int svm_handle_exit(struct svm_vcpu *svm)
{
	u64 code = svm->vmcb->control.exit_code;

	if (code >= SVM_EXIT_READ_DR0 && code <= SVM_EXIT_WRITE_DR7)
		return svm_exit_dr(svm);
	if (code < ARRAY_SIZE(svm_exit_handlers) && svm_exit_handlers[code])
		return svm_exit_handlers[code](svm);
	if (code == SVM_EXIT_NPF)
		return svm_exit_npf(svm);
	vmain_internal_error(svm->vcpu, VMAIN_INTERNAL_UNHANDLED_EXIT, 3, code,
			     svm->vmcb->control.exit_info_1,
			     svm->vmcb->control.exit_info_2, 0);
	return 0;
}
