// SPDX-License-Identifier: GPL-2.0-only
/*
 * emulate/seg.c - segmentation for the memory accesses the module emulates
 * (the data of INS/OUTS; the instruction fetch is limited in walk.c): the
 * checks the processor makes before it forms a linear address, so that an
 * emulated access faults where the same access in the guest would have.
 *
 *  - 64-bit mode: no limits or types; only FS and GS have a base, and the
 *    address must be canonical (SDM Vol. 3A 3.3.7.1, 5.3.1; APM Vol. 2
 *    4.12).
 *  - protected mode: the segment must be usable (not a null selector), a
 *    code or data segment, writable for a write, readable for a read (SDM
 *    Vol. 3A 5.4 "Type Checking", 3.4.5.1); every byte must lie within the
 *    limit, which for an expand-down data segment means above it, up to
 *    0xffff or 0xffffffff by the B flag (5.3 "Limit Checking").
 *  - real and virtual-8086 mode: the limit still applies (an offset past
 *    0xffff with a 32-bit address size faults; SDM Vol. 3A 20.1.1).
 *
 * A violation is #SS(0) when the segment is SS and #GP(0) otherwise (SDM
 * Vol. 3A 6.15, "Interrupt 12", "Interrupt 13").
 */
#include "emulate.h"

#define CR0_PE		(1ULL << 0)
#define SEG_TYPE_CODE	0x8
#define SEG_TYPE_DOWN	0x4	/* data: expand-down */
#define SEG_TYPE_WRITE	0x2	/* data: writable */
#define SEG_TYPE_READ	0x2	/* code: readable */

static const struct vmain_segment *seg_desc(const struct emul *e, int seg)
{
	switch (seg) {
	case X86_SEG_ES: return &e->s.es;
	case X86_SEG_CS: return &e->s.cs;
	case X86_SEG_SS: return &e->s.ss;
	case X86_SEG_FS: return &e->s.fs;
	case X86_SEG_GS: return &e->s.gs;
	default: return &e->s.ds;
	}
}

static int seg_fault(struct emul *e, int seg)
{
	vmain_queue_exception(e->vcpu, seg == X86_SEG_SS ? X86_TRAP_SS : X86_TRAP_GP,
			      true, 0);
	return 1;
}

/* Bits 63:47 all equal (4-level paging; LA57 is not offered). */
static bool canonical(u64 la)
{
	return (u64)((s64)(la << 16) >> 16) == la;
}

int emul_linear(struct emul *e, int seg, u64 off, unsigned int size,
		unsigned int access, u64 *la)
{
	const struct vmain_segment *s = seg_desc(e, seg);
	u64 last = off + size - 1;
	bool write = access & EMUL_WRITE;

	if (emul_mode(e) == X86_MODE_LONG64) {
		*la = emul_seg_base(e, seg) + off;
		if (!canonical(*la) || !canonical(*la + size - 1))
			return seg_fault(e, seg);
		return 0;
	}
	if (!(e->s.cr0 & CR0_PE) || (e->g.rflags & X86_EFLAGS_VM)) {
		if (last > s->limit)
			return seg_fault(e, seg);
	} else {
		if (s->unusable || !s->present || !s->s)
			return seg_fault(e, seg);
		if (s->type & SEG_TYPE_CODE) {
			/* Code segments are never writable (SDM 3.4.5.1). */
			if (write || !(s->type & SEG_TYPE_READ))
				return seg_fault(e, seg);
			if (last > s->limit)
				return seg_fault(e, seg);
		} else {
			if (write && !(s->type & SEG_TYPE_WRITE))
				return seg_fault(e, seg);
			if (s->type & SEG_TYPE_DOWN) {
				u64 upper = s->db ? 0xffffffffULL : 0xffffULL;

				if (off <= s->limit || last > upper)
					return seg_fault(e, seg);
			} else if (last > s->limit) {
				return seg_fault(e, seg);
			}
		}
	}
	*la = (u32)(emul_seg_base(e, seg) + off);
	return 0;
}
