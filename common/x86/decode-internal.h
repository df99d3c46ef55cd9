/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * decode-internal.h - what decode.c and modrm.c share: the byte cursor that
 * enforces both the caller's buffer end and the 15-byte limit.
 */
#ifndef VMAIN_X86_DECODE_INTERNAL_H
#define VMAIN_X86_DECODE_INTERNAL_H

#include "decode.h"

/*
 * bytes[0..avail) is what the caller gave us; pos is the next byte to
 * decode.  pos never exceeds X86_MAX_INSN_LEN, so pos + n cannot overflow.
 */
struct x86_cursor {
	const uint8_t *bytes;
	size_t avail;
	size_t pos;
};

/*
 * May n more bytes be consumed?  An instruction that would grow past 15
 * bytes is invalid whatever follows (APM Vol. 3, "Instruction Byte Order"; SDM Vol. 2, 2.3.11:
 * the limit is 15 bytes, more raises #GP), so that
 * takes precedence over running out of input: the answer for a given byte
 * sequence is then the same for every avail that reaches the decision.
 */
static inline int x86_cur_need(const struct x86_cursor *c, size_t n)
{
	if (c->pos + n > X86_MAX_INSN_LEN)
		return -E2BIG;
	if (c->pos + n > c->avail)
		return -ENODATA;
	return 0;
}

/*
 * Reads an n-byte little-endian field (n = 1, 2, 4 or 8; SDM Vol. 1,
 * 1.3.1: displacements and immediates are stored little-endian) into *val,
 * zero-extended, and advances.  Byte by byte: no alignment assumptions.
 */
static inline int x86_cur_read(struct x86_cursor *c, size_t n, uint64_t *val)
{
	int err = x86_cur_need(c, n);
	uint64_t v = 0;
	size_t i;

	if (err)
		return err;
	for (i = 0; i < n; i++)
		v |= (uint64_t)c->bytes[c->pos + i] << (8 * i);
	c->pos += n;
	*val = v;
	return 0;
}

/* Sign-extends the low n bytes of v (n = 1, 2, 4 or 8). */
static inline int64_t x86_sext(uint64_t v, size_t n)
{
	switch (n) {
	case 1:
		return (int8_t)v;
	case 2:
		return (int16_t)v;
	case 4:
		return (int32_t)v;
	default:
		return (int64_t)v;
	}
}

/*
 * Decodes the ModRM byte at the cursor and, for a memory operand, the SIB
 * byte and displacement that follow (modrm.c).  Uses insn->mode, addrsize,
 * rex and the segment-override state already in insn; fills modrm, reg,
 * the X86_INSN_MODRM/SIB/MEM/RIP_REL flags, mem, disp_size and seg.  A
 * register operand (mod = 11) leaves X86_INSN_MEM clear.
 */
int x86_decode_modrm(struct x86_cursor *c, struct x86_insn *insn);

#endif /* VMAIN_X86_DECODE_INTERNAL_H */
