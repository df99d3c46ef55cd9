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

	memcpy(&first8, bytes, min(len, 8U));
	vmain_internal_error(e->vcpu, VMAIN_INTERNAL_EMULATION, 3, e->g.rip,
			     first8, 0, 0);
	return 0;
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
