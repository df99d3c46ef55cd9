// SPDX-License-Identifier: GPL-2.0-only
/*
 * emulate/mmio.c - guest accesses to guest-physical addresses that are not
 * RAM (or writes to read-only slots) become VMAIN_EXIT_MMIO.
 *
 * The nested page fault tells the address but not the instruction, so the
 * instruction is fetched at CS:RIP (or taken from the decode-assist bytes
 * the CPU saved, when it has them) and decoded with common/x86.  The MOV
 * family is what drivers use for MMIO (readb..readq, writeb..writeq); any
 * other instruction touching MMIO ends the RUN with an internal error
 * that carries the instruction bytes, never a guess.
 */
#include "emulate.h"

int vmain_mmio_exit(struct vmain_vcpu *vcpu, u64 gpa, bool write,
		    const u8 *insn_bytes, unsigned int insn_len)
{
	struct vmain_run *run = vcpu->run;
	u8 bytes[X86_MAX_INSN_LEN];
	struct x86_insn insn;
	unsigned int len = insn_len;
	bool high8, store;
	struct emul e;
	u64 value = 0;
	int ret;

	emul_load(&e, vcpu, true);
	if (insn_len) {
		memcpy(bytes, insn_bytes, min_t(unsigned int, insn_len, sizeof(bytes)));
	} else {
		ret = emul_fetch(&e, bytes, &len);
		if (ret > 0)
			return 1;	/* #PF on the fetch, queued */
		if (ret < 0) {
			/* The MMIO access's own code is not in RAM. */
			vmain_internal_error(vcpu, VMAIN_INTERNAL_FETCH_NON_RAM, 3,
					     gpa, e.g.rip, 1, 0);
			return 0;
		}
	}
	ret = x86_decode(bytes, len, emul_mode(&e), &insn);
	if (ret)
		return emul_undecodable(&e, bytes, len);
	high8 = insn.flags & X86_INSN_HIGH_BYTE;

	switch (insn.op) {
	case X86_OP_MOV_STORE:
	case X86_OP_MOV_STORE_MOFFS:
		value = emul_read_gpr(&e, insn.reg, high8, insn.memsize);
		store = true;
		break;
	case X86_OP_MOV_STORE_IMM:
		value = insn.imm;
		store = true;
		break;
	case X86_OP_MOV_LOAD:
	case X86_OP_MOV_LOAD_MOFFS:
	case X86_OP_MOVZX:
	case X86_OP_MOVSX:
	case X86_OP_MOVSXD:
		store = false;
		break;
	default:
		return emul_undecodable(&e, bytes, len);
	}
	/* The fault and the instruction must agree on the direction. */
	if (store != write || !insn.memsize || insn.memsize > 8)
		return emul_undecodable(&e, bytes, len);

	run->exit_reason = VMAIN_EXIT_MMIO;
	memset(&run->exit.mmio, 0, sizeof(run->exit.mmio));
	run->exit.mmio.phys_addr = gpa;
	run->exit.mmio.len = insn.memsize;
	run->exit.mmio.is_write = store;
	if (store) {
		memcpy(run->exit.mmio.data, &value, insn.memsize);
		e.g.rip += insn.len;
		emul_store(&e);
		return 0;
	}
	vcpu->pending = PENDING_MMIO_READ;
	vcpu->pending_reg = insn.reg;
	vcpu->pending_high8 = high8;
	vcpu->pending_size = insn.opsize;
	vcpu->pending_mem_size = insn.memsize;
	vcpu->pending_sign_extend = insn.op == X86_OP_MOVSX || insn.op == X86_OP_MOVSXD;
	vcpu->pending_next_rip = e.g.rip + insn.len;
	return 0;
}

int vmain_mmio_complete(struct vmain_vcpu *vcpu)
{
	unsigned int bits = vcpu->pending_mem_size * 8;
	struct emul e;
	u64 v = 0;

	emul_load(&e, vcpu, false);
	memcpy(&v, vcpu->run->exit.mmio.data, vcpu->pending_mem_size);
	if (vcpu->pending_sign_extend && bits < 64)
		v = (u64)((s64)(v << (64 - bits)) >> (64 - bits));
	emul_write_gpr(&e, vcpu->pending_reg, vcpu->pending_high8,
		       vcpu->pending_size, v);
	e.g.rip = vcpu->pending_next_rip;
	emul_store(&e);
	return 1;
}
