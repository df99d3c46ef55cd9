// SPDX-License-Identifier: GPL-2.0-only
/*
 * emulate/complete.c - the next RUN finishes the instruction behind the
 * last exit, with what userspace put in the run structure; and internal
 * error reports.
 */
#include "emulate.h"

void vmain_internal_error(struct vmain_vcpu *vcpu, u32 suberror,
			  unsigned int ndata, u64 d0, u64 d1, u64 d2, u64 d3)
{
	struct vmain_run *run = vcpu->run;

	run->exit_reason = VMAIN_EXIT_INTERNAL_ERROR;
	memset(&run->exit.internal, 0, sizeof(run->exit.internal));
	run->exit.internal.suberror = suberror;
	run->exit.internal.ndata = ndata;
	run->exit.internal.data[0] = d0;
	run->exit.internal.data[1] = d1;
	run->exit.internal.data[2] = d2;
	run->exit.internal.data[3] = d3;
}

int emul_undecodable(struct emul *e, const u8 *bytes, unsigned int len)
{
	u64 first8 = 0;

	/*
	 * Guest user code may reach MMIO with any instruction (a mapped PCI
	 * BAR): what the module does not emulate faults in the guest, as
	 * KVM's emulation failures do outside CPL 0, rather than ending the
	 * VM for every process in it.  #UD is a fault (SDM Vol. 3A 6.15,
	 * "Interrupt 6"): RIP stays on the instruction and nothing of it is
	 * done, so callers store no state after this returns 1.  At CPL 0
	 * the guest's kernel is what went wrong: userspace gets the bytes.
	 */
	if (emul_cpl(e)) {
		vmain_queue_exception(e->vcpu, X86_TRAP_UD, false, 0);
		return 1;
	}
	memcpy(&first8, bytes, min(len, 8U));
	vmain_internal_error(e->vcpu, VMAIN_INTERNAL_EMULATION, 3, e->g.rip,
			     first8, 0, 0);
	return 0;
}

int emul_decode_failed(struct emul *e, int err, const u8 *bytes,
		       unsigned int len)
{
	switch (err) {
	case -EINVAL:
		/*
		 * LOCK on an instruction or form not in the SDM's list (Vol. 2
		 * "LOCK": CMP, TEST, a register destination, MOV...), or an
		 * opcode's undefined ModRM.reg: the CPU raises #UD before any
		 * memory access (APM Vol. 3 1.2.5), whatever the CPL.
		 */
		vmain_queue_exception(e->vcpu, X86_TRAP_UD, false, 0);
		return 1;
	case -E2BIG:
		/* Past 15 bytes: #GP(0) (SDM Vol. 2 2.3.11; APM Vol. 3 1.1). */
		vmain_queue_exception(e->vcpu, X86_TRAP_GP, true, 0);
		return 1;
	default:
		return emul_undecodable(e, bytes, len);
	}
}

static int msr_complete(struct vmain_vcpu *vcpu, bool read)
{
	struct vmain_run_msr *m = &vcpu->run->exit.msr;
	struct emul e;

	emul_load(&e, vcpu, false);
	if (m->error) {
		/* Userspace refused: #GP(0), RIP stays (SDM "RDMSR"/"WRMSR"). */
		vmain_queue_exception(vcpu, X86_TRAP_GP, true, 0);
		return 1;
	}
	if (read) {
		e.g.r[X86_REG_RAX] = (u32)m->data;
		e.g.r[X86_REG_RDX] = m->data >> 32;
	}
	e.g.rip = vcpu->pending_next_rip;
	emul_store(&e);
	return 1;
}

int vmain_complete_user_exit(struct vmain_vcpu *vcpu)
{
	enum vmain_pending_exit pending = vcpu->pending;

	vcpu->pending = PENDING_NONE;
	switch (pending) {
	case PENDING_IO_IN:
		return vmain_io_complete(vcpu, false);
	case PENDING_IO_STRING:
		return vmain_io_complete(vcpu, true);
	case PENDING_MMIO_READ:
		return vmain_mmio_complete(vcpu);
	case PENDING_MMIO_INSN:
		return vmain_mmio_insn_complete(vcpu);
	case PENDING_MSR_READ:
		return msr_complete(vcpu, true);
	case PENDING_MSR_WRITE:
		return msr_complete(vcpu, false);
	default:
		return 1;
	}
}
