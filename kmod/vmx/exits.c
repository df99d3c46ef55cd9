// SPDX-License-Identifier: GPL-2.0-only
/*
 * vmx/exits.c - VM-exit handlers, one per basic exit reason (Intel SDM
 * Vol. 3C, Appendix C "VMX Basic Exit Reasons"), in a table.
 *
 * The contract of every handler (the same as the AMD-V engine's):
 *   > 0  the exit is handled in the kernel; enter the guest again,
 *   0    return to userspace; run->exit_reason says why,
 *   < 0  return this errno to userspace.
 * A reason without a handler ends the RUN with VMAIN_EXIT_INTERNAL_ERROR /
 * VMAIN_INTERNAL_UNHANDLED_EXIT carrying the reason, the exit
 * qualification and the interruption information: never a silent skip.
 *
 * Handlers run with interrupts on and preemption allowed; each VMCS
 * access goes through vmx_get()/vmx_put().
 */
#include <asm/cpufeature.h>
#include <asm/debugreg.h>

#include "vmx.h"

typedef int (*vmx_exit_handler)(struct vmx_vcpu *vmx);

static bool vmx_long64(struct vmx_vcpu *vmx)
{
	return (vmx->entry_ctls & ENTRY_IA32E) &&
	       (vmx_read(vmx, VMCS_SEG_AR(VSEG_CS)) & (1U << 13));
}

/* With the VMCS current: where the exiting instruction ends (25.9.4). */
static u64 vmx_next_rip(struct vmx_vcpu *vmx)
{
	u64 next = vmx_read(vmx, VMCS_GUEST_RIP) + vmx->exit.insn_len;

	return vmx_long64(vmx) ? next : (u32)next;
}

/* With the VMCS current: completes the instruction at next. */
static void vmx_set_rip(struct vmx_vcpu *vmx, u64 next)
{
	u32 intr = vmx_read(vmx, VMCS_GUEST_INTERRUPTIBILITY);

	vmx_write(vmx, VMCS_GUEST_RIP, next);
	/* An instruction that completes ends an STI/MOV SS shadow. */
	if (intr & (INTR_BLOCK_STI | INTR_BLOCK_MOV_SS))
		vmx_write(vmx, VMCS_GUEST_INTERRUPTIBILITY,
			  intr & ~(INTR_BLOCK_STI | INTR_BLOCK_MOV_SS));
}

/* Skips the exiting instruction: 1 (resume), or -EIO (VMX went off). */
static int vmx_skip(struct vmx_vcpu *vmx)
{
	unsigned long flags;

	if (vmx_get(vmx, &flags))
		return -EIO;
	vmx_set_rip(vmx, vmx_next_rip(vmx));
	vmx_put(vmx, flags);
	return 1;
}

static int vmx_inject_ud(struct vmx_vcpu *vmx)
{
	vmain_queue_exception(vmx->vcpu, X86_TRAP_UD, false, 0);
	return 1;
}

static int vmx_inject_gp(struct vmx_vcpu *vmx)
{
	vmain_queue_exception(vmx->vcpu, X86_TRAP_GP, true, 0);
	return 1;
}

/* The host took its interrupt when run.c turned interrupts back on. */
static int vmx_exit_host_event(struct vmx_vcpu *vmx)
{
	return 1;
}

/* DR6 bits a #DB's exit qualification reports (28.2.1, Table 28-1). */
#define DB_QUAL_BD	(1ULL << 13)
#define DB_QUAL_BITS	(DR_TRAP_BITS | DR_STEP | DB_QUAL_BD)
#define DR7_GD		(1ULL << 13)

/*
 * A #DB the guest caused (in the exception bitmap: vmcs.c).  It did not
 * write DR6 (27.1): its bits are in the exit qualification, and go into
 * the guest's DR6 (B0-B3 replaced, the others sticky; SDM Vol. 3B,
 * 17.2.3) before it is delivered.  INT1 (ICEBP) is a privileged software
 * exception: it is delivered as a #DB trap after the instruction, and
 * sets no DR6 bit.
 */
static int vmx_exit_db(struct vmx_vcpu *vmx, u32 type)
{
	struct vmain_vcpu *vcpu = vmx->vcpu;
	unsigned long flags;

	if (type == INTR_TYPE_PRIV_SOFT_EXC) {
		int ret = vmx_skip(vmx);

		if (ret <= 0)
			return ret;
	} else {
		vcpu->dr6 = (vcpu->dr6 & ~DR_TRAP_BITS) |
			    (vmx->exit.qual & DB_QUAL_BITS);
		/* A #DB for DR7.GD clears GD, so the handler may use DRs. */
		if (vmx->exit.qual & DB_QUAL_BD) {
			if (vmx_get(vmx, &flags))
				return -EIO;
			vmx_write(vmx, VMCS_GUEST_DR7,
				  vmx_read(vmx, VMCS_GUEST_DR7) & ~DR7_GD);
			vmx_put(vmx, flags);
		}
	}
	vmain_queue_exception(vcpu, X86_TRAP_DB, false, 0);
	return 1;
}

/*
 * MOV to or from a debug register while the guest does not own them:
 * from now until the next exit it does (run.c, switch.c).  The
 * instruction runs again without the exit, with the CPU's own checks.
 */
static int vmx_exit_dr(struct vmx_vcpu *vmx)
{
	unsigned long flags;

	if (vmx_get(vmx, &flags))
		return -EIO;
	vmx->proc_ctls &= ~PROC_MOV_DR;
	vmx_write(vmx, VMCS_PROC_CONTROLS, vmx->proc_ctls);
	vmx->vcpu->db_owned = true;
	vmx_put(vmx, flags);
	return 1;
}

/*
 * Exceptions and NMIs (exit reason 0; 28.2.2): a host NMI was handled in
 * run.c; #DB and #AC are the exceptions in the bitmap and go back to the
 * guest, #AC with its error code.
 */
static int vmx_exit_exception_nmi(struct vmx_vcpu *vmx)
{
	u32 info = vmx->exit.intr_info;
	u8 vector = info & INTR_INFO_VECTOR_MASK;

	if ((info & INTR_INFO_TYPE_MASK) == INTR_TYPE_NMI)
		return 1;
	if (vector == X86_TRAP_DB &&
	    ((info & INTR_INFO_TYPE_MASK) == INTR_TYPE_HW_EXC ||
	     (info & INTR_INFO_TYPE_MASK) == INTR_TYPE_PRIV_SOFT_EXC))
		return vmx_exit_db(vmx, info & INTR_INFO_TYPE_MASK);
	if ((info & INTR_INFO_TYPE_MASK) == INTR_TYPE_HW_EXC &&
	    vector == X86_TRAP_AC) {
		vmain_queue_exception(vmx->vcpu, vector, true, vmx->exit.intr_error);
		return 1;
	}
	vmain_internal_error(vmx->vcpu, VMAIN_INTERNAL_UNHANDLED_EXIT, 3,
			     vmx->exit.reason, vmx->exit.qual, info, 0);
	return 0;
}

static int vmx_exit_triple_fault(struct vmx_vcpu *vmx)
{
	vmx->vcpu->run->exit_reason = VMAIN_EXIT_SHUTDOWN;
	return 0;
}

/* The interrupt window opened (25.6.2): run.c injects what is queued. */
static int vmx_exit_intr_window(struct vmx_vcpu *vmx)
{
	struct vmain_run *run = vmx->vcpu->run;

	if (vmx->vcpu->irq_pending || !run->request_interrupt_window)
		return 1;
	run->exit_reason = VMAIN_EXIT_IRQ_WINDOW;
	return 0;
}

static int vmx_exit_cpuid(struct vmx_vcpu *vmx)
{
	struct vmain_gprs g;
	unsigned long flags;
	u64 cr4;

	if (vmx_get(vmx, &flags))
		return -EIO;
	cr4 = vmx_guest_cr4(vmx);
	vmx_put(vmx, flags);
	vmx_get_gprs(vmx->vcpu, &g);
	vmain_cpuid_answer(vmx->vcpu, &g, cr4);
	vmx_set_gprs(vmx->vcpu, &g);
	return vmx_skip(vmx);
}

static int vmx_exit_hlt(struct vmx_vcpu *vmx)
{
	struct vmain_vcpu *vcpu = vmx->vcpu;
	unsigned long flags;
	u64 rflags;

	if (vmx_get(vmx, &flags))
		return -EIO;
	vmx_set_rip(vmx, vmx_next_rip(vmx));
	rflags = vmx_read(vmx, VMCS_GUEST_RFLAGS);
	vmx_put(vmx, flags);
	/* Something to deliver: HLT ends at once, as on hardware. */
	if ((vcpu->irq_pending && (rflags & X86_EFLAGS_IF)) ||
	    (vcpu->nmi_pending && !vcpu->nmi_masked) || vcpu->exc_pending)
		return 1;
	vcpu->run->exit_reason = VMAIN_EXIT_HLT;
	return 0;
}

/* INVD would drop host data from the caches, and WBINVD is a no-op here. */
static int vmx_exit_skip(struct vmx_vcpu *vmx)
{
	return vmx_skip(vmx);
}

/* I/O instructions: exit qualification per 28.2.1, Table 28-5. */
static int vmx_exit_io(struct vmx_vcpu *vmx)
{
	u64 q = vmx->exit.qual;
	struct vmain_io_exit io = {
		.size = (q & 7) + 1,
		.in = q & (1 << 3),
		.string = q & (1 << 4),
		.rep = q & (1 << 5),
		.port = q >> 16,
	};
	unsigned long flags;

	if (vmx_get(vmx, &flags))
		return -EIO;
	io.next_rip = vmx_next_rip(vmx);
	vmx_put(vmx, flags);
	return vmain_io_exit(vmx->vcpu, &io);
}

static int vmx_exit_msr(struct vmx_vcpu *vmx)
{
	struct vmain_vcpu *vcpu = vmx->vcpu;
	bool write = (u16)vmx->exit.reason == EXIT_REASON_WRMSR;
	u32 index = vmx->gprs[X86_REG_RCX];
	u64 data = (vmx->gprs[X86_REG_RAX] & 0xffffffffULL) |
		   (vmx->gprs[X86_REG_RDX] << 32);
	unsigned long flags;
	u64 next;
	int ret;

	if (vmx_get(vmx, &flags))
		return -EIO;
	next = vmx_next_rip(vmx);
	vmx_put(vmx, flags);
	ret = vmain_msr_guest_access(vcpu, index, write, &data, next);
	if (ret == -EPERM)
		return vmx_inject_gp(vmx);
	if (ret > 0)
		return 0;		/* userspace answers (VMAIN_EXIT_MSR) */
	if (!write) {
		vmx->gprs[X86_REG_RAX] = (u32)data;
		vmx->gprs[X86_REG_RDX] = data >> 32;
	}
	if (vmx_get(vmx, &flags))
		return -EIO;
	vmx_set_rip(vmx, next);
	vmx_put(vmx, flags);
	return 1;
}

static int vmx_exit_xsetbv(struct vmx_vcpu *vmx)
{
	u64 xcr0 = (vmx->gprs[X86_REG_RAX] & 0xffffffffULL) |
		   (vmx->gprs[X86_REG_RDX] << 32);
	unsigned long flags;
	unsigned int cpl;

	/* A host without XSAVE gives its guests none: XSETBV is #UD. */
	if (!boot_cpu_has(X86_FEATURE_OSXSAVE))
		return vmx_inject_ud(vmx);
	if (vmx_get(vmx, &flags))
		return -EIO;
	/* The CPL is SS.DPL (25.4.1). */
	cpl = (vmx_read(vmx, VMCS_SEG_AR(VSEG_SS)) >> 5) & 3;
	vmx_put(vmx, flags);
	/* SDM Vol. 2C "XSETBV": #GP at CPL > 0, for ECX != 0, bad values. */
	if (cpl || (u32)vmx->gprs[X86_REG_RCX] || vmain_xcr0_check(xcr0))
		return vmx_inject_gp(vmx);
	vmx->vcpu->xcr0 = xcr0;
	return vmx_skip(vmx);
}

/* With the VMCS current: GPR n as the CR-access qualification names it. */
static u64 vmx_gpr(struct vmx_vcpu *vmx, unsigned int n)
{
	return n == X86_REG_RSP ? vmx_read(vmx, VMCS_GUEST_RSP) : vmx->gprs[n];
}

static void vmx_set_gpr(struct vmx_vcpu *vmx, unsigned int n, u64 v)
{
	if (n == X86_REG_RSP)
		vmx_write(vmx, VMCS_GUEST_RSP, v);
	else
		vmx->gprs[n] = v;
}

/*
 * MOV to CR0 and LMSW/CLTS (SDM Vol. 2B "MOV-Move to/from Control
 * Registers"): #GP for what the CPU would refuse; IA-32e mode follows
 * CR0.PG with EFER.LME (SDM Vol. 3A, 9.8.5).  0, or -1: inject #GP.
 */
static int vmx_mov_cr0(struct vmx_vcpu *vmx, u64 cr0)
{
	u64 old = vmx_guest_cr0(vmx), efer = vmx_read(vmx, VMCS_GUEST_EFER);
	bool pg = cr0 & X86_CR0_PG;

	if ((cr0 >> 32) || (pg && !(cr0 & X86_CR0_PE)) ||
	    ((cr0 & X86_CR0_NW) && !(cr0 & X86_CR0_CD)))
		return -1;
	if (pg && !(old & X86_CR0_PG) && (efer & EFER_LME)) {
		if (!(vmx_guest_cr4(vmx) & X86_CR4_PAE))
			return -1;
		vmx_put_efer(vmx, efer | EFER_LMA);
	} else if (!pg && (old & X86_CR0_PG) && (efer & EFER_LMA)) {
		vmx_put_efer(vmx, efer & ~EFER_LMA);
	}
	vmx_put_cr0(vmx, cr0);
	return 0;
}

/* MOV to CR4: no reserved, unsupported, VMX or SMX bits; 0 or -1 (#GP). */
static int vmx_mov_cr4(struct vmx_vcpu *vmx, u64 cr4)
{
	if ((cr4 & ~vmx_cfg.cr4_fixed1) || (cr4 & (X86_CR4_VMXE | X86_CR4_SMXE)))
		return -1;
	if ((vmx->entry_ctls & ENTRY_IA32E) && !(cr4 & X86_CR4_PAE))
		return -1;
	vmx_put_cr4(vmx, cr4);
	return 0;
}

/*
 * Control-register accesses (exit qualification: 28.2.1, Table 28-3).
 * They exit only for bits the host owns (CR0.NE, CR4.VMXE and the like,
 * 25.6.6), for CR8 (no TPR shadow: the TPR is kept here and reported in
 * run->cr8), and for CR3 on CPUs that cannot turn CR3 exiting off.
 */
static int vmx_exit_cr(struct vmx_vcpu *vmx)
{
	u64 q = vmx->exit.qual, val, next;
	unsigned int cr = q & 15, type = (q >> 4) & 3, reg = (q >> 8) & 15;
	unsigned long flags;
	bool pdptes = false;
	int bad = 0;

	if (vmx_get(vmx, &flags))
		return -EIO;
	switch (type) {
	case 0:		/* MOV to CR */
		val = vmx_gpr(vmx, reg);
		if (!vmx_long64(vmx))
			val = (u32)val;
		switch (cr) {
		case 0:
			bad = vmx_mov_cr0(vmx, val);
			break;
		case 3:
			vmx_write(vmx, VMCS_GUEST_CR3, val);
			break;
		case 4:
			bad = vmx_mov_cr4(vmx, val);
			break;
		case 8:
			if (val > 15)
				bad = -1;
			else
				vmx->tpr = val;
			break;
		default:
			goto unhandled;
		}
		if (!bad && cr != 8) {
			pdptes = true;
			vmx->flush = true;
		}
		break;
	case 1:		/* MOV from CR */
		if (cr == 3)
			val = vmx_read(vmx, VMCS_GUEST_CR3);
		else if (cr == 8)
			val = vmx->tpr;
		else
			goto unhandled;
		vmx_set_gpr(vmx, reg, val);
		break;
	case 2:		/* CLTS */
		bad = vmx_mov_cr0(vmx, vmx_guest_cr0(vmx) & ~X86_CR0_TS);
		break;
	default:	/* LMSW: sets PE but never clears it */
		val = vmx_guest_cr0(vmx);
		val = (val & ~0xeULL) | ((q >> 16) & 0xf) | (val & X86_CR0_PE);
		bad = vmx_mov_cr0(vmx, val);
		break;
	}
	if (!bad) {
		next = vmx_next_rip(vmx);
		vmx_set_rip(vmx, next);
	}
	vmx_put(vmx, flags);
	/*
	 * PAE paging takes its PDPTEs from the VMCS (27.3.2.4): load them now,
	 * from guest memory (PDPTEs outside RAM: #GP, as a CPU whose load of
	 * them failed would raise).
	 */
	if (!bad && pdptes && vmx_load_pdptes(vmx))
		bad = -1;
	return bad ? vmx_inject_gp(vmx) : 1;

unhandled:
	vmx_put(vmx, flags);
	vmain_internal_error(vmx->vcpu, VMAIN_INTERNAL_UNHANDLED_EXIT, 3,
			     vmx->exit.reason, q, 0, 0);
	return 0;
}

/*
 * EPT violations (28.2.1, Table 28-7; 29.3.3): map RAM on demand through
 * the shared MMU (also what ends a write-protection for dirty logging),
 * else emulate the MMIO access.
 */
static int vmx_exit_ept_violation(struct vmx_vcpu *vmx)
{
	u64 q = vmx->exit.qual, gpa = vmx->exit.gpa;
	bool write = q & (1 << 1), fetch = q & (1 << 2);
	unsigned long hva = 0;
	int ret;

	ret = vmain_mmu_fault(vmx->vcpu, gpa, write, &hva);
	if (!ret)
		return 1;
	if (ret == -ENOMEM)
		return ret;
	if (ret < 0) {
		/* The owner's memory behind the slot is gone or unusable. */
		vmain_internal_error(vmx->vcpu, VMAIN_INTERNAL_MEMORY_FAULT, 3,
				     gpa, hva, -ret, 0);
		return 0;
	}
	if (fetch)
		return vmain_fetch_non_ram(vmx->vcpu, gpa, q);
	return vmain_mmio_exit(vmx->vcpu, gpa, write, NULL, 0);
}

static const vmx_exit_handler vmx_exit_handlers[EXIT_REASON_MAX] = {
	[EXIT_REASON_EXCEPTION_NMI]	= vmx_exit_exception_nmi,
	[EXIT_REASON_EXT_INTR]		= vmx_exit_host_event,
	[EXIT_REASON_TRIPLE_FAULT]	= vmx_exit_triple_fault,
	[EXIT_REASON_IO_SMI]		= vmx_exit_host_event,
	[EXIT_REASON_OTHER_SMI]		= vmx_exit_host_event,
	[EXIT_REASON_INTR_WINDOW]	= vmx_exit_intr_window,
	[EXIT_REASON_NMI_WINDOW]	= vmx_exit_host_event,	/* run.c injects */
	[EXIT_REASON_CPUID]		= vmx_exit_cpuid,
	[EXIT_REASON_GETSEC]		= vmx_inject_ud,
	[EXIT_REASON_HLT]		= vmx_exit_hlt,
	[EXIT_REASON_INVD]		= vmx_exit_skip,
	[EXIT_REASON_RDPMC]		= vmx_inject_gp,	/* no PMU */
	[EXIT_REASON_VMCALL]		= vmx_inject_ud,
	[EXIT_REASON_VMCLEAR]		= vmx_inject_ud,
	[EXIT_REASON_VMLAUNCH]		= vmx_inject_ud,
	[EXIT_REASON_VMPTRLD]		= vmx_inject_ud,
	[EXIT_REASON_VMPTRST]		= vmx_inject_ud,
	[EXIT_REASON_VMREAD]		= vmx_inject_ud,
	[EXIT_REASON_VMRESUME]		= vmx_inject_ud,
	[EXIT_REASON_VMWRITE]		= vmx_inject_ud,
	[EXIT_REASON_VMXOFF]		= vmx_inject_ud,
	[EXIT_REASON_VMXON]		= vmx_inject_ud,
	[EXIT_REASON_CR_ACCESS]		= vmx_exit_cr,
	[EXIT_REASON_DR_ACCESS]		= vmx_exit_dr,
	[EXIT_REASON_IO]		= vmx_exit_io,
	[EXIT_REASON_RDMSR]		= vmx_exit_msr,
	[EXIT_REASON_WRMSR]		= vmx_exit_msr,
	[EXIT_REASON_MWAIT]		= vmx_inject_ud,
	[EXIT_REASON_MONITOR]		= vmx_inject_ud,
	[EXIT_REASON_EPT_VIOLATION]	= vmx_exit_ept_violation,
	[EXIT_REASON_INVEPT]		= vmx_inject_ud,
	[EXIT_REASON_INVVPID]		= vmx_inject_ud,
	[EXIT_REASON_WBINVD]		= vmx_exit_skip,
	[EXIT_REASON_PREEMPT_TIMER]	= vmx_exit_host_event,	/* run.c */
	[EXIT_REASON_XSETBV]		= vmx_exit_xsetbv,
	[EXIT_REASON_VMFUNC]		= vmx_inject_ud,
};

int vmx_handle_exit(struct vmx_vcpu *vmx)
{
	u16 basic = vmx->exit.reason;

	if (basic < ARRAY_SIZE(vmx_exit_handlers) && vmx_exit_handlers[basic])
		return vmx_exit_handlers[basic](vmx);
	vmain_internal_error(vmx->vcpu, VMAIN_INTERNAL_UNHANDLED_EXIT, 3,
			     vmx->exit.reason, vmx->exit.qual,
			     vmx->exit.intr_info, 0);
	return 0;
}
