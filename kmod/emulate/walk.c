// SPDX-License-Identifier: GPL-2.0-only
/*
 * emulate/walk.c - guest state snapshot and linear-to-physical translation
 * through the guest's own page tables (SDM Vol. 3A, 4.3 32-bit paging,
 * 4.4 PAE paging, 4.5 4-level paging; AMD APM Vol. 2, 5.3-5.4), for the
 * few paths that must read guest memory by linear address: instruction
 * fetch for MMIO emulation, and string I/O.  A translation that succeeds
 * sets the accessed flag of every paging-structure entry it used and, for a
 * write, the dirty flag of the entry that maps the page, as the processor
 * does (SDM Vol. 3A 4.8 "Accessed and Dirty Flags"; APM Vol. 2 5.4.2): the
 * guest's memory manager relies on them (page aging, writeback of dirty
 * file pages), and the string I/O it emulates is an access hardware never
 * made.  A walk that faults sets nothing.
 */
#include "emulate.h"

#define CR0_PE		(1ULL << 0)
#define CR0_WP		(1ULL << 16)
#define CR0_PG		(1ULL << 31)
#define CR4_PSE		(1ULL << 4)
#define CR4_PAE		(1ULL << 5)
#define CR4_LA57	(1ULL << 12)
#define EFER_LMA_BIT	(1ULL << 10)
#define EFER_NXE_BIT	(1ULL << 11)

#define PTE_P		(1ULL << 0)
#define PTE_RW		(1ULL << 1)
#define PTE_US		(1ULL << 2)
#define PTE_A		(1ULL << 5)
#define PTE_D		(1ULL << 6)
#define PTE_PS		(1ULL << 7)
#define PTE_NX		(1ULL << 63)

/* #PF error code bits (SDM 4.7). */
#define PFEC_P		(1U << 0)
#define PFEC_W		(1U << 1)
#define PFEC_U		(1U << 2)
#define PFEC_RSVD	(1U << 3)
#define PFEC_I		(1U << 4)

void emul_load(struct emul *e, struct vmain_vcpu *vcpu, bool sregs)
{
	e->vcpu = vcpu;
	vmain_engine()->get_gprs(vcpu, &e->g);
	if (sregs)
		vmain_engine()->get_sregs(vcpu, &e->s);
}

void emul_store(struct emul *e)
{
	vmain_engine()->set_gprs(e->vcpu, &e->g);
}

enum x86_cpu_mode emul_mode(const struct emul *e)
{
	if ((e->s.efer & EFER_LMA_BIT) && e->s.cs.l)
		return X86_MODE_LONG64;
	if ((e->s.cr0 & CR0_PE) && e->s.cs.db && !(e->g.rflags & X86_EFLAGS_VM))
		return X86_MODE_PROT32;
	return X86_MODE_REAL;
}

/*
 * The CPL is SS.DPL in protected mode (SDM Vol. 3A 5.5): CS.DPL differs
 * from it in a conforming code segment.  The AMD-V engine reports SS.DPL
 * from the VMCB's CPL field (svm_get_sregs(): after SYSRET the cached SS
 * attributes of an AMD CPU still say DPL 0), VT-x's guest SS.DPL is the
 * CPL (SDM Vol. 3C 27.3.1.2 checks it).  Real mode runs at 0 and
 * virtual-8086 mode at 3 (SDM Vol. 3A 20.2.1).
 */
unsigned int emul_cpl(const struct emul *e)
{
	if (!(e->s.cr0 & CR0_PE))
		return 0;
	if (e->g.rflags & X86_EFLAGS_VM)
		return 3;
	return e->s.ss.dpl & 3;
}

u64 emul_seg_base(const struct emul *e, int seg)
{
	const struct vmain_segment *s;

	switch (seg) {
	case X86_SEG_ES: s = &e->s.es; break;
	case X86_SEG_CS: s = &e->s.cs; break;
	case X86_SEG_SS: s = &e->s.ss; break;
	case X86_SEG_FS: s = &e->s.fs; break;
	case X86_SEG_GS: s = &e->s.gs; break;
	default: s = &e->s.ds; break;
	}
	/* In 64-bit mode only FS and GS have a base (SDM 3.2.4). */
	if (emul_mode(e) == X86_MODE_LONG64 && seg != X86_SEG_FS && seg != X86_SEG_GS)
		return 0;
	return s->base;
}

static int walk_fault(struct emul *e, u64 la, u32 pfec)
{
	/* CR2 is the engine's: it is loaded from sregs on the next entry. */
	e->s.cr2 = la;
	vmain_engine()->set_sregs(e->vcpu, &e->s);
	vmain_queue_exception(e->vcpu, X86_TRAP_PF, true, pfec);
	return 1;
}

static int read_pte(struct emul *e, u64 gpa, u64 *pte, bool wide)
{
	u32 pte32;

	if (!wide) {
		if (vmain_guest_read(e->vcpu->vm, gpa, &pte32, 4))
			return -EFAULT;
		*pte = pte32;
		return 0;
	}
	return vmain_guest_read(e->vcpu->vm, gpa, pte, 8) ? -EFAULT : 0;
}

/* The entries a walk used: where they are and what they held. */
struct walk_path {
	u64 gpa[4], pte[4];
	unsigned int n;
};

static int walk(struct emul *e, u64 la, unsigned int access, u64 *gpa,
		struct walk_path *path, bool *wide_out)
{
	bool user = emul_cpl(e) == 3, write = access & EMUL_WRITE;
	bool fetch = access & EMUL_FETCH, nxe = e->s.efer & EFER_NXE_BIT;
	u64 table, pte = 0, addr_mask = 0x000ffffffffff000ULL;
	bool rw = true, us = true, nx = false, wide;
	int levels, level, ret;
	u32 pfec = (write ? PFEC_W : 0) | (user ? PFEC_U : 0) |
		   (fetch && nxe ? PFEC_I : 0);

	path->n = 0;
	if (e->s.efer & EFER_LMA_BIT) {
		if (e->s.cr4 & CR4_LA57)
			return -EFAULT;		/* 5-level: not offered to guests */
		levels = 4;
		wide = true;
		table = e->s.cr3 & addr_mask;
	} else if (e->s.cr4 & CR4_PAE) {
		u64 pdpte;

		la = (u32)la;
		/*
		 * The 4 PDPTEs sit at CR3[31:5] (SDM 4.4.1).  They are loaded
		 * with CR3 and have no accessed flag: nothing to set there.
		 */
		ret = read_pte(e, (e->s.cr3 & 0xffffffe0ULL) + ((la >> 30) & 3) * 8,
			       &pdpte, true);
		if (ret)
			return ret;
		if (!(pdpte & PTE_P))
			return walk_fault(e, la, pfec);
		levels = 2;
		wide = true;
		table = pdpte & addr_mask;
	} else {
		la = (u32)la;
		levels = 2;
		wide = false;
		addr_mask = 0xfffff000ULL;
		table = e->s.cr3 & addr_mask;
	}
	*wide_out = wide;

	for (level = levels; level >= 1; level--) {
		unsigned int shift = wide ? 12 + 9 * (level - 1) : 12 + 10 * (level - 1);
		unsigned int mask = wide ? 511 : 1023;
		u64 idx = (la >> shift) & mask;
		u64 at = table + idx * (wide ? 8 : 4);

		ret = read_pte(e, at, &pte, wide);
		if (ret)
			return ret;
		if (!(pte & PTE_P))
			return walk_fault(e, la, pfec);
		path->gpa[path->n] = at;
		path->pte[path->n++] = pte;
		rw &= !!(pte & PTE_RW);
		us &= !!(pte & PTE_US);
		if (wide && nxe)
			nx |= !!(pte & PTE_NX);
		/* Large pages: 1 GiB (4-level L3), 2 MiB (L2), 4 MiB (32-bit PSE). */
		if (level > 1 && (pte & PTE_PS) &&
		    (wide ? level <= 3 : (e->s.cr4 & CR4_PSE))) {
			u64 page_mask = (1ULL << shift) - 1;
			u64 base = wide ? (pte & addr_mask & ~page_mask)
					: ((pte & 0xffc00000ULL) | ((pte & 0x1fe000ULL) << 19));

			*gpa = base | (la & page_mask);
			goto check;
		}
		table = pte & addr_mask;
	}
	*gpa = (pte & addr_mask) | (la & 0xfff);
check:
	pfec |= PFEC_P;
	if (user && !us)
		return walk_fault(e, la, pfec);
	if (write && !rw && (user || (e->s.cr0 & CR0_WP)))
		return walk_fault(e, la, pfec);
	if (fetch && nx)
		return walk_fault(e, la, pfec);
	return 0;
}

/*
 * Sets A in every entry of the path, and D in its last (the one that maps
 * the page) for a write.  0, 1 if an entry changed under us (walk again),
 * -EFAULT.
 */
static int walk_set_ad(struct emul *e, const struct walk_path *path,
		       bool write, bool wide)
{
	unsigned int i;
	int ret;

	for (i = 0; i < path->n; i++) {
		u64 want = PTE_A | (write && i == path->n - 1 ? PTE_D : 0);

		if ((path->pte[i] & want) == want)
			continue;
		ret = vmain_guest_set_pte_bits(e->vcpu->vm, path->gpa[i],
					       path->pte[i], want, wide);
		if (ret)
			return ret;
	}
	return 0;
}

int emul_translate(struct emul *e, u64 la, unsigned int access, u64 *gpa)
{
	struct walk_path path;
	unsigned int tries;
	bool wide;
	int ret;

	if (!(e->s.cr0 & CR0_PG)) {
		*gpa = (e->s.efer & EFER_LMA_BIT) ? la : (u32)la;
		return 0;
	}
	/*
	 * An entry that changed between our read and the CMPXCHG is walked
	 * again, as the processor's locked update would have seen the new
	 * value; a guest rewriting it without pause gets an internal error
	 * rather than a livelocked host thread.
	 */
	for (tries = 0; tries < 8; tries++) {
		ret = walk(e, la, access, gpa, &path, &wide);
		if (ret)
			return ret;
		ret = walk_set_ad(e, &path, access & EMUL_WRITE, wide);
		if (ret <= 0)
			return ret;
	}
	return -EFAULT;
}

int emul_fetch(struct emul *e, u8 *buf, unsigned int *len)
{
	u64 la = emul_seg_base(e, X86_SEG_CS) + e->g.rip, gpa;
	unsigned int got = 0, max = X86_MAX_INSN_LEN;
	int ret;

	if (emul_mode(e) != X86_MODE_LONG64) {
		la = (u32)la;
		/*
		 * Bytes past the CS limit are not the instruction's (SDM Vol.
		 * 3A 5.3): the decoder sees the instruction cut there.
		 */
		if (e->g.rip > e->s.cs.limit) {
			vmain_queue_exception(e->vcpu, X86_TRAP_GP, true, 0);
			return 1;
		}
		max = min_t(u64, max, (u64)e->s.cs.limit - e->g.rip + 1);
	}
	while (got < max) {
		unsigned int chunk = min_t(unsigned int, max - got,
					   PAGE_SIZE - ((la + got) & ~PAGE_MASK));

		ret = emul_translate(e, la + got, EMUL_FETCH, &gpa);
		if (ret) {
			if (!got)
				return ret;
			/*
			 * The instruction may end before the unmapped page:
			 * no #PF yet; the decoder says if it needs more.
			 */
			if (ret == 1)
				e->vcpu->exc_pending = false;
			break;
		}
		if (vmain_guest_read(e->vcpu->vm, gpa, buf + got, chunk))
			break;
		got += chunk;
	}
	*len = got;
	return got ? 0 : -EFAULT;
}

void emul_write_gpr(struct emul *e, unsigned int reg, bool high8,
		    unsigned int size, u64 value)
{
	u64 *r;

	if (high8) {
		r = &e->g.r[reg - 4];
		*r = (*r & ~0xff00ULL) | ((value & 0xff) << 8);
		return;
	}
	r = &e->g.r[reg];
	switch (size) {
	case 1: *r = (*r & ~0xffULL) | (value & 0xff); break;
	case 2: *r = (*r & ~0xffffULL) | (value & 0xffff); break;
	case 4: *r = (u32)value; break;	/* 32-bit writes zero-extend */
	default: *r = value; break;
	}
}

u64 emul_read_gpr(const struct emul *e, unsigned int reg, bool high8,
		  unsigned int size)
{
	if (high8)
		return (e->g.r[reg - 4] >> 8) & 0xff;
	switch (size) {
	case 1: return e->g.r[reg] & 0xff;
	case 2: return e->g.r[reg] & 0xffff;
	case 4: return (u32)e->g.r[reg];
	default: return e->g.r[reg];
	}
}
