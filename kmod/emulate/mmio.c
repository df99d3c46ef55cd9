// SPDX-License-Identifier: GPL-2.0-only
/*
 * emulate/mmio.c - guest accesses to guest-physical addresses that are not
 * RAM (or writes to read-only slots) become VMAIN_EXIT_MMIO.
 *
 * The nested page fault tells the address but not the instruction, so the
 * instruction is fetched at CS:RIP (or taken from the decode-assist bytes
 * the CPU saved, when it has them) and decoded with common/x86.  The MOV
 * family is what drivers use for MMIO (readb..readq, writeb..writeq): the
 * processor made its segment and paging checks before the nested fault,
 * whose address is the operand's, so it is emulated here from the fault.
 * Firmware and VGA code also use the string instructions and the
 * read-modify-write forms (string.c, rmw.c), whose operands are found
 * from the instruction and checked again (mem.c): the fault says where
 * one access went, not where the others of the instruction go.  Any
 * other instruction touching MMIO is never guessed at: from the guest's
 * kernel it ends the RUN with an internal error that carries the
 * instruction bytes; from its user code it raises #UD in the guest
 * (complete.c).  An encoding the CPU refuses (a misplaced LOCK) raises
 * #UD at any CPL.
 */
#include "emulate.h"

int emul_mmio_insn(struct emul_insn *x)
{
	switch (x->insn.op) {
	case X86_OP_LODS:
	case X86_OP_STOS:
	case X86_OP_MOVS:
		return emul_string(x);
	default:
		return emul_rmw(x);
	}
}

/* Starts an instruction of string.c or rmw.c at its fault. */
static int mmio_insn_start(struct emul *e, const struct x86_insn *insn,
			   const u8 *bytes)
{
	struct emul_insn x = {
		.e = *e,
		.insn = *insn,
		.bytes = bytes,
		.len = insn->len,
	};

	return emul_mmio_insn(&x);
}

/*
 * The next RUN after the read exit of such an instruction: it runs again
 * from the start, its MMIO read answered with run->exit.mmio.data.
 */
int vmain_mmio_insn_complete(struct vmain_vcpu *vcpu)
{
	struct emul_insn x = { .have_read = true };
	u8 bytes[X86_MAX_INSN_LEN];
	unsigned int len = min_t(unsigned int, vcpu->pending_insn_len,
				 sizeof(bytes));

	emul_load(&x.e, vcpu, true);
	memcpy(bytes, vcpu->pending_insn, len);
	memcpy(&x.read_data, vcpu->run->exit.mmio.data, sizeof(x.read_data));
	x.bytes = bytes;
	x.len = len;
	/*
	 * SET_REGS and SET_SREGS drop the pending exit, so RIP and the mode
	 * are those of the read; the bytes decoded the same then.
	 */
	if (x.e.g.rip != vcpu->pending_rip ||
	    x86_decode(bytes, len, emul_mode(&x.e), &x.insn) ||
	    x.insn.len != len)
		return emul_undecodable(&x.e, bytes, len);
	return emul_mmio_insn(&x);
}

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
			/*
			 * The MMIO access's own code is not in RAM: user code
			 * gets #UD, as for a fetch from a device
			 * (vmain_fetch_non_ram()); the kernel's ends the RUN.
			 */
			if (emul_cpl(&e)) {
				vmain_queue_exception(vcpu, X86_TRAP_UD, false, 0);
				return 1;
			}
			vmain_internal_error(vcpu, VMAIN_INTERNAL_FETCH_NON_RAM, 3,
					     gpa, e.g.rip, 1, 0);
			return 0;
		}
	}
	ret = x86_decode(bytes, len, emul_mode(&e), &insn);
	if (ret)
		return emul_decode_failed(&e, ret, bytes, len);
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
	case X86_OP_LODS:
	case X86_OP_STOS:
	case X86_OP_MOVS:
	case X86_OP_ALU_STORE:
	case X86_OP_ALU_LOAD:
	case X86_OP_ALU_IMM:
	case X86_OP_XCHG:
		return mmio_insn_start(&e, &insn, bytes);
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
		/* Done: it ends an STI/MOV SS shadow (emul_insn_finish()). */
		vmain_engine()->set_shadow(vcpu, false);
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

/*
 * Code run from a device's mapping cannot be fetched here: a user process
 * that jumps into a mapped BAR gets #UD (no instruction was executed;
 * RIP stays), as KVM's emulation failures outside CPL 0 do, instead of
 * ending the VM; the guest's kernel doing so ends the RUN.
 */
int vmain_fetch_non_ram(struct vmain_vcpu *vcpu, u64 gpa, u64 qual)
{
	struct emul e;

	emul_load(&e, vcpu, true);
	if (emul_cpl(&e)) {
		vmain_queue_exception(vcpu, X86_TRAP_UD, false, 0);
		return 1;
	}
	vmain_internal_error(vcpu, VMAIN_INTERNAL_FETCH_NON_RAM, 4, gpa,
			     e.g.rip, 0, qual);
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
	vmain_engine()->set_shadow(vcpu, false);
	return 1;
}
