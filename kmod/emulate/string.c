// SPDX-License-Identifier: GPL-2.0-only
/*
 * emulate/string.c - LODS, STOS and MOVS with an operand on MMIO (SDM
 * Vol. 2B "LODS", "STOS", "MOVS", "REP/REPE/REPZ/REPNE/REPNZ"; Vol. 1
 * 7.3.9; APM Vol. 3 "Repeat Prefixes"): what firmware and VGA BIOSes use
 * to clear and scroll the text screen (rep stosw to 0xb8000) and to copy
 * fonts into plane 2.
 *
 * One iteration per exit, as KVM and QEMU do for string MMIO: the
 * iteration's MMIO access is one exit, rSI/rDI move by the operand size
 * (down with DF=1), rCX counts down under a REP prefix (F3, or F2, which
 * these three instructions take as REP), and RIP stays on the
 * instruction while rCX is not 0.  The guest then runs the instruction
 * again, so pending interrupts are taken between iterations as the SDM
 * allows (Vol. 2B "REP": "interrupts ... recognized and handled between
 * iterations"), and iterations on RAM run on the processor.  A fault in an
 * iteration leaves it undone with RIP on the instruction.
 *
 * The index registers and rCX have the address size: 16-bit updates keep
 * bits 63:16, 32-bit updates zero-extend (SDM Vol. 1 3.4.1.1), as KVM's
 * emulator does.  The source is seg:rSI (DS or an override), the
 * destination always ES:rDI.
 */
#include "emulate.h"

static u64 addr_mask(unsigned int addr_size)
{
	return addr_size == 8 ? ~0ULL : (1ULL << (addr_size * 8)) - 1;
}

static void set_index(struct emul *e, unsigned int reg, unsigned int addr_size,
		      u64 value)
{
	u64 mask = addr_mask(addr_size);

	if (addr_size == 4)
		e->g.r[reg] = (u32)value;
	else
		e->g.r[reg] = (e->g.r[reg] & ~mask) | (value & mask);
}

int emul_string(struct emul_insn *x)
{
	const struct x86_insn *insn = &x->insn;
	struct emul *e = &x->e;
	unsigned int size = insn->opsize, as = insn->addrsize;
	bool rep = insn->flags & (X86_INSN_REP | X86_INSN_REPNE);
	s64 step = (e->g.rflags & X86_EFLAGS_DF) ? -(s64)size : (s64)size;
	u64 mask = addr_mask(as), rsi = e->g.r[X86_REG_RSI] & mask;
	u64 rdi = e->g.r[X86_REG_RDI] & mask, rcx = e->g.r[X86_REG_RCX] & mask;
	u64 v = 0;
	int ret = EMUL_CONTINUE;

	if (rep && !rcx)
		return emul_insn_finish(x, false);	/* no iteration */

	switch (insn->op) {
	case X86_OP_LODS:
		ret = emul_mem_read(x, insn->seg, rsi, size, 0, &v);
		if (ret)
			break;
		/* LODS AL/AX merge; EAX zero-extends (SDM Vol. 1 3.4.1.1). */
		emul_write_gpr(e, X86_REG_RAX, false, size, v);
		set_index(e, X86_REG_RSI, as, rsi + step);
		break;
	case X86_OP_STOS:
		v = emul_read_gpr(e, X86_REG_RAX, false, size);
		ret = emul_mem_write(x, X86_SEG_ES, rdi, size, v);
		if (ret)
			break;
		set_index(e, X86_REG_RDI, as, rdi + step);
		break;
	case X86_OP_MOVS:
		ret = emul_mem_read(x, insn->seg, rsi, size, 0, &v);
		if (ret)
			break;
		ret = emul_mem_write(x, X86_SEG_ES, rdi, size, v);
		if (ret)
			break;
		set_index(e, X86_REG_RSI, as, rsi + step);
		set_index(e, X86_REG_RDI, as, rdi + step);
		break;
	default:
		return emul_undecodable(e, x->bytes, x->len);
	}
	if (ret == EMUL_RESUME)
		return 1;
	if (ret)
		return 0;	/* an MMIO read or an internal error: nothing done */
	if (rep) {
		set_index(e, X86_REG_RCX, as, rcx - 1);
		return emul_insn_finish(x, rcx - 1 != 0);
	}
	return emul_insn_finish(x, false);
}
