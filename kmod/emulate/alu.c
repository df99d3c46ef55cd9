// SPDX-License-Identifier: GPL-2.0-only
/*
 * emulate/alu.c - the arithmetic and logic of the read-modify-write forms
 * the module emulates on MMIO (ADD, OR, ADC, SBB, AND, SUB, XOR, CMP,
 * TEST), with the status flags each sets (SDM Vol. 1, 3.4.3.1 and
 * appendix A "EFLAGS Cross-Reference"; the instruction pages of Vol. 2;
 * APM Vol. 3, appendix C "Instruction Effects on RFLAGS").
 *
 *  - ADD/ADC: CF is the carry out of the top bit; OF is set when both
 *    operands have the same sign and the result the other one; AF is the
 *    carry out of bit 3.
 *  - SUB/SBB/CMP: CF is the borrow (the unsigned subtrahend, with the
 *    incoming CF for SBB, exceeds the minuend); OF is set when the
 *    operands' signs differ and the result's differs from the minuend's;
 *    AF is the borrow from bit 4.
 *  - AND/OR/XOR/TEST: CF and OF cleared; AF is undefined and cleared here.
 *  - SF, ZF, PF from the result: PF is the even parity of its low byte.
 * Only CF, PF, AF, ZF, SF and OF change; every other RFLAGS bit stays.
 */
#include "emulate.h"

#define FL_CF	(1ULL << 0)
#define FL_PF	(1ULL << 2)
#define FL_AF	(1ULL << 4)
#define FL_ZF	(1ULL << 6)
#define FL_SF	(1ULL << 7)
#define FL_OF	(1ULL << 11)
#define FL_ARITH (FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF | FL_OF)

static u64 size_mask(unsigned int size)
{
	return size >= 8 ? ~0ULL : (1ULL << (size * 8)) - 1;
}

/* SF, ZF and PF of a result already cut to its size. */
static u64 result_flags(u64 r, unsigned int size)
{
	u64 fl = 0;

	if (!r)
		fl |= FL_ZF;
	if (r >> (size * 8 - 1) & 1)
		fl |= FL_SF;
	if (!(hweight8((u8)r) & 1))
		fl |= FL_PF;
	return fl;
}

u64 emul_alu(unsigned int alu, u64 dst, u64 src, unsigned int size, u64 *rflags)
{
	u64 mask = size_mask(size), sign = 1ULL << (size * 8 - 1);
	bool cf_in = *rflags & FL_CF, cf = false, of = false, af = false;
	u64 r;

	dst &= mask;
	src &= mask;
	switch (alu) {
	case X86_ALU_ADD:
	case X86_ALU_ADC: {
		u64 c = alu == X86_ALU_ADC && cf_in;

		r = (dst + src + c) & mask;
		/* A carry out: the sum wrapped, or equals dst with a carry in. */
		cf = r < dst || (c && r == dst);
		of = (~(dst ^ src) & (dst ^ r)) & sign;
		af = (dst ^ src ^ r) & 0x10;
		break;
	}
	case X86_ALU_SUB:
	case X86_ALU_SBB:
	case X86_ALU_CMP: {
		u64 b = alu == X86_ALU_SBB && cf_in;

		r = (dst - src - b) & mask;
		cf = dst < src || (b && dst == src);
		of = ((dst ^ src) & (dst ^ r)) & sign;
		af = (dst ^ src ^ r) & 0x10;
		break;
	}
	case X86_ALU_OR:
		r = dst | src;
		break;
	case X86_ALU_AND:
	case X86_ALU_TEST:
		r = dst & src;
		break;
	default:	/* X86_ALU_XOR */
		r = dst ^ src;
		break;
	}
	*rflags = (*rflags & ~FL_ARITH) | result_flags(r, size) |
		  (cf ? FL_CF : 0) | (of ? FL_OF : 0) | (af ? FL_AF : 0);
	return r;
}
