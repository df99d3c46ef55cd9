// SPDX-License-Identifier: GPL-2.0-only
/*
 * modrm.c - ModRM, SIB and displacement decoding, and effective addresses.
 *
 * References: Intel SDM Vol. 2, 2.1.5 ("Addressing-Mode Encoding of ModR/M
 * and SIB Bytes", Tables 2-1 to 2-3), 2.2.1 (REX and 64-bit addressing,
 * Table 2-5 for the special cases) and 2.2.1.6 (RIP-relative addressing);
 * AMD APM Vol. 3, chapter 1, "ModRM and SIB Bytes" and the table "Special
 * REX Encodings for Registers".
 */
#include "decode-internal.h"

#define MODRM_MOD(m)	((m) >> 6)
#define MODRM_REG(m)	(((m) >> 3) & 7)
#define MODRM_RM(m)	((m) & 7)

/*
 * 16-bit addressing (SDM Vol. 2, Table 2-1): r/m selects one of eight fixed
 * base/index combinations.  With mod = 00, r/m = 110 is [disp16] instead
 * of [BP].
 */
static const uint8_t modrm16_base[8] = {
	X86_REG_RBX, X86_REG_RBX, X86_REG_RBP, X86_REG_RBP,
	X86_REG_RSI, X86_REG_RDI, X86_REG_RBP, X86_REG_RBX,
};

static const uint8_t modrm16_index[8] = {
	X86_REG_RSI, X86_REG_RDI, X86_REG_RSI, X86_REG_RDI,
	X86_REG_NONE, X86_REG_NONE, X86_REG_NONE, X86_REG_NONE,
};

static int decode_mem16(struct x86_cursor *c, struct x86_insn *insn,
			uint8_t mod, uint8_t rm)
{
	size_t dsize = mod == 1 ? 1 : mod == 2 ? 2 : 0;
	uint64_t disp = 0;
	int err;

	insn->mem.base = modrm16_base[rm];
	insn->mem.index = modrm16_index[rm];
	if (mod == 0 && rm == 6) {
		insn->mem.base = X86_REG_NONE;
		dsize = 2;
	}
	if (dsize) {
		err = x86_cur_read(c, dsize, &disp);
		if (err)
			return err;
	}
	insn->disp_size = (uint8_t)dsize;
	insn->mem.disp = x86_sext(disp, dsize);
	return 0;
}

/*
 * 32- and 64-bit addressing (SDM Vol. 2, Tables 2-2, 2-3, 2-5).  REX.B extends the
 * base (ModRM.rm or SIB.base) and REX.X the SIB index, but the special
 * encodings are decided on the unextended 3-bit fields: r/m = 100 always
 * means a SIB byte follows (also with REX.B: R12 needs a SIB), mod = 00
 * with r/m = 101 always means disp32 / RIP-relative (R13 needs a disp8),
 * and SIB.base = 101 with mod = 00 always means "no base, disp32".  Only
 * SIB.index = 100 without REX.X means "no index": with REX.X it is R12.
 */
static int decode_mem32(struct x86_cursor *c, struct x86_insn *insn,
			uint8_t mod, uint8_t rm)
{
	uint8_t rex_b = insn->rex & 1 ? 8 : 0;
	uint8_t rex_x = insn->rex & 2 ? 8 : 0;
	size_t dsize = mod == 1 ? 1 : mod == 2 ? 4 : 0;
	uint64_t val;
	int err;

	if (rm == 4) {
		uint8_t sib, ss, idx, base;

		err = x86_cur_read(c, 1, &val);
		if (err)
			return err;
		sib = (uint8_t)val;
		ss = sib >> 6;
		idx = ((sib >> 3) & 7) | rex_x;
		base = (sib & 7) | rex_b;
		insn->sib = sib;
		insn->flags |= X86_INSN_SIB;
		if (idx == 4) {
			/* SIB.index = 100, no REX.X: no index, scale ignored. */
			insn->mem.index = X86_REG_NONE;
			insn->mem.scale = 1;
		} else {
			insn->mem.index = idx;
			insn->mem.scale = (uint8_t)(1u << ss);
		}
		if ((sib & 7) == 5 && mod == 0) {
			insn->mem.base = X86_REG_NONE;
			dsize = 4;
		} else {
			insn->mem.base = base;
		}
	} else if (rm == 5 && mod == 0) {
		/*
		 * [disp32] outside 64-bit mode; [rIP + disp32] in 64-bit
		 * mode, also with a 67 prefix, which only truncates the sum
		 * to 32 bits: SDM Vol. 2, 2.2.1.6; APM Vol. 1,
		 * "RIP-Relative Addressing".
		 */
		insn->mem.base = X86_REG_NONE;
		insn->mem.index = X86_REG_NONE;
		if (insn->mode == X86_MODE_LONG64)
			insn->flags |= X86_INSN_RIP_REL;
		dsize = 4;
	} else {
		insn->mem.base = rm | rex_b;
		insn->mem.index = X86_REG_NONE;
	}

	val = 0;
	if (dsize) {
		err = x86_cur_read(c, dsize, &val);
		if (err)
			return err;
	}
	insn->disp_size = (uint8_t)dsize;
	insn->mem.disp = x86_sext(val, dsize);
	return 0;
}

int x86_decode_modrm(struct x86_cursor *c, struct x86_insn *insn)
{
	uint8_t modrm, mod, rm;
	uint64_t val;
	int err;

	err = x86_cur_read(c, 1, &val);
	if (err)
		return err;
	modrm = (uint8_t)val;
	mod = MODRM_MOD(modrm);
	rm = MODRM_RM(modrm);
	insn->modrm = modrm;
	insn->flags |= X86_INSN_MODRM;
	insn->reg = MODRM_REG(modrm) | (insn->rex & 4 ? 8 : 0);
	if (mod == 3)
		return 0;	/* register operand: no SIB, no displacement */

	insn->flags |= X86_INSN_MEM;
	insn->mem.scale = 1;
	if (insn->addrsize == 2)
		err = decode_mem16(c, insn, mod, rm);
	else
		err = decode_mem32(c, insn, mod, rm);
	if (err)
		return err;

	/*
	 * Default segment (SDM Vol. 1, 3.7.4, Table 3-5): SS when the base
	 * register is rBP or rSP, DS otherwise.  In 64-bit mode every
	 * segment but FS/GS is flat, and DS is reported.
	 */
	if (!(insn->flags & X86_INSN_SEG_OVERRIDE) &&
	    insn->mode != X86_MODE_LONG64 &&
	    (insn->mem.base == X86_REG_RBP || insn->mem.base == X86_REG_RSP))
		insn->seg = X86_SEG_SS;
	return 0;
}

uint64_t x86_insn_mem_address(const struct x86_insn *insn,
			      const uint64_t regs[16], uint64_t next_rip)
{
	const struct x86_mem *m = &insn->mem;
	uint64_t ea = (uint64_t)m->disp;

	if (!(insn->flags & X86_INSN_MEM))
		return 0;
	if (insn->flags & X86_INSN_RIP_REL) {
		ea += next_rip;
	} else {
		if (m->base < 16)
			ea += regs[m->base];
		if (m->index < 16)
			ea += regs[m->index] * m->scale;
	}
	/*
	 * Address-size wraparound (SDM Vol. 1, 3.3.7): the sum is computed
	 * modulo 2^16, 2^32 or 2^64, which also reads only the low 16 or 32
	 * bits of the registers, as 16- and 32-bit addressing does.
	 */
	switch (insn->addrsize) {
	case 2:
		return ea & 0xffff;
	case 4:
		return ea & 0xffffffff;
	default:
		return ea;
	}
}
