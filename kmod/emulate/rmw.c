// SPDX-License-Identifier: GPL-2.0-only
/*
 * emulate/rmw.c - the read-modify-write forms on MMIO that VGA code uses
 * on planar memory and firmware on device registers, as KVM's x86
 * emulator has them: ADD, OR, ADC, SBB, AND, SUB, XOR, CMP with a register
 * or an immediate, TEST, and XCHG (SDM Vol. 2 instruction pages).
 *
 * The memory operand is read first, with the checks of a write when the
 * instruction writes it back (SDM Vol. 3A 4.8: a read-modify-write sets
 * the dirty flag): from MMIO that is one read exit, and the instruction
 * runs again when userspace answers (mem.c).  The result goes back as
 * one write exit.  CMP and TEST write nothing and take one exit.
 *
 * LOCK anywhere else (CMP, TEST, ADD reg, [mem]) is #UD (SDM Vol. 2
 * "LOCK"): x86_decode() refuses it and the guest gets the #UD
 * (emul_decode_failed()).  LOCK is accepted where the architecture
 * accepts it but cannot make the
 * read and the write one bus transaction: they are two exits, and another
 * vCPU's access to the same device register may fall between them, as
 * with KVM's emulation of the same instructions.
 */
#include "emulate.h"

static bool alu_writes(unsigned int alu)
{
	return alu != X86_ALU_CMP && alu != X86_ALU_TEST;
}

int emul_rmw(struct emul_insn *x)
{
	const struct x86_insn *insn = &x->insn;
	struct emul *e = &x->e;
	bool high8 = insn->flags & X86_INSN_HIGH_BYTE;
	unsigned int size = insn->memsize;
	u64 off, mem, reg, res, rflags = e->g.rflags;
	int ret;

	off = x86_insn_mem_address(insn, e->g.r, e->g.rip + insn->len);
	switch (insn->op) {
	case X86_OP_ALU_STORE:
	case X86_OP_ALU_IMM:
		ret = emul_mem_read(x, insn->seg, off, size,
				    alu_writes(insn->alu) ? EMUL_WRITE : 0, &mem);
		if (ret)
			break;
		reg = insn->op == X86_OP_ALU_IMM ? insn->imm :
			emul_read_gpr(e, insn->reg, high8, size);
		res = emul_alu(insn->alu, mem, reg, size, &rflags);
		if (alu_writes(insn->alu))
			ret = emul_mem_write(x, insn->seg, off, size, res);
		break;
	case X86_OP_ALU_LOAD:
		ret = emul_mem_read(x, insn->seg, off, size, 0, &mem);
		if (ret)
			break;
		reg = emul_read_gpr(e, insn->reg, high8, size);
		res = emul_alu(insn->alu, reg, mem, size, &rflags);
		if (alu_writes(insn->alu))
			emul_write_gpr(e, insn->reg, high8, size, res);
		break;
	case X86_OP_XCHG:
		/* XCHG with memory is locked: the checks of a write. */
		ret = emul_mem_read(x, insn->seg, off, size, EMUL_WRITE, &mem);
		if (ret)
			break;
		reg = emul_read_gpr(e, insn->reg, high8, size);
		ret = emul_mem_write(x, insn->seg, off, size, reg);
		if (!ret)
			emul_write_gpr(e, insn->reg, high8, size, mem);
		break;
	default:
		return emul_undecodable(e, x->bytes, x->len);
	}
	if (ret == EMUL_RESUME)
		return 1;
	if (ret)
		return 0;	/* an MMIO read or an internal error: nothing done */
	e->g.rflags = rflags;
	return emul_insn_finish(x, false);
}
