// SPDX-License-Identifier: GPL-2.0-only
/*
 * emulate/mem.c - the memory operands of an instruction emulated on MMIO
 * (struct emul_insn): each goes through the checks the processor makes
 * before it touches memory, in its order: segmentation (seg.c: limits,
 * types, canonical addresses; #GP/#SS), then paging (walk.c: #PF, and
 * the accessed/dirty flags of the entries used, SDM Vol. 3A 4.8, APM
 * Vol. 2 5.4.2).  Then the bytes are RAM, read or written here, or MMIO,
 * which becomes one VMAIN_EXIT_MMIO of the operand's size.
 *
 * An operand that crosses a page is translated page by page.  On MMIO it
 * must still be one access: two pages that are not contiguous in
 * guest-physical memory, or half RAM and half MMIO, end the RUN with
 * VMAIN_INTERNAL_EMULATION at CPL 0 and raise #UD above it
 * (emul_undecodable(): a device access split by the guest's paging has
 * no meaning a device model could give it).
 */
#include "emulate.h"

static bool gpa_is_ram(struct vmain_vm *vm, u64 gpa, bool write)
{
	struct vmain_memslots *slots;
	struct vmain_memslot *s;
	bool ram;
	int idx;

	idx = srcu_read_lock(&vm->srcu);
	slots = srcu_dereference(vm->slots, &vm->srcu);
	s = vmain_memslot_find(slots, gpa >> PAGE_SHIFT);
	/* A write to a read-only slot is the device's (VMAIN_MEM_READONLY). */
	ram = s && !(write && (s->flags & VMAIN_MEM_READONLY));
	srcu_read_unlock(&vm->srcu, idx);
	return ram;
}

/* An operand's bytes in guest-physical memory: one piece per page. */
struct emul_span {
	u64 gpa[2];
	unsigned int n[2];
	unsigned int pieces;
	bool ram;
};

static int fail_memory(struct emul_insn *x, u64 gpa)
{
	vmain_internal_error(x->e.vcpu, VMAIN_INTERNAL_MEMORY_FAULT, 3, gpa, 0,
			     EFAULT, 0);
	return EMUL_FAIL;
}

/* An internal error (CPL 0), or #UD with nothing done (emul_undecodable). */
static int fail_split(struct emul_insn *x)
{
	return emul_undecodable(&x->e, x->bytes, x->len) ? EMUL_RESUME : EMUL_FAIL;
}

/*
 * seg:off -> pieces of guest-physical memory, and whether they are RAM.
 * EMUL_CONTINUE, EMUL_RESUME (#GP/#SS/#PF queued) or EMUL_FAIL.
 */
static int span_of(struct emul_insn *x, int seg, u64 off, unsigned int size,
		   unsigned int access, bool write, struct emul_span *sp)
{
	struct emul *e = &x->e;
	u64 la, la2;
	int ret;

	ret = emul_linear(e, seg, off, size, access, &la);
	if (ret)
		return EMUL_RESUME;
	sp->n[0] = min_t(unsigned int, size, PAGE_SIZE - (la & ~PAGE_MASK));
	sp->n[1] = size - sp->n[0];
	sp->pieces = sp->n[1] ? 2 : 1;
	ret = emul_translate(e, la, access, &sp->gpa[0]);
	if (ret)
		return ret > 0 ? EMUL_RESUME : fail_memory(x, 0);
	sp->ram = gpa_is_ram(e->vcpu->vm, sp->gpa[0], write);
	if (sp->pieces == 1)
		return EMUL_CONTINUE;

	/* Linear addresses wrap at 4 GiB outside 64-bit mode (SDM 3A 3.3). */
	la2 = la + sp->n[0];
	if (emul_mode(e) != X86_MODE_LONG64)
		la2 = (u32)la2;
	ret = emul_translate(e, la2, access, &sp->gpa[1]);
	if (ret)
		return ret > 0 ? EMUL_RESUME : fail_memory(x, 0);
	if (gpa_is_ram(e->vcpu->vm, sp->gpa[1], write) != sp->ram)
		return fail_split(x);
	if (!sp->ram && sp->gpa[1] != sp->gpa[0] + sp->n[0])
		return fail_split(x);
	return EMUL_CONTINUE;
}

static void mmio_exit(struct emul_insn *x, u64 gpa, unsigned int size,
		      bool write, u64 val)
{
	struct vmain_run *run = x->e.vcpu->run;

	run->exit_reason = VMAIN_EXIT_MMIO;
	memset(&run->exit.mmio, 0, sizeof(run->exit.mmio));
	run->exit.mmio.phys_addr = gpa;
	run->exit.mmio.len = size;
	run->exit.mmio.is_write = write;
	if (write)
		memcpy(run->exit.mmio.data, &val, size);
}

int emul_mem_read(struct emul_insn *x, int seg, u64 off, unsigned int size,
		  unsigned int access, u64 *val)
{
	struct vmain_vcpu *vcpu = x->e.vcpu;
	struct emul_span sp;
	u64 v = 0;
	int ret;

	ret = span_of(x, seg, off, size, access, false, &sp);
	if (ret)
		return ret;
	if (sp.ram) {
		if (vmain_guest_read(vcpu->vm, sp.gpa[0], &v, sp.n[0]))
			return fail_memory(x, sp.gpa[0]);
		if (sp.pieces == 2 &&
		    vmain_guest_read(vcpu->vm, sp.gpa[1], (u8 *)&v + sp.n[0], sp.n[1]))
			return fail_memory(x, sp.gpa[1]);
		*val = v;
		return EMUL_CONTINUE;
	}
	if (x->have_read) {
		/* The second run of the instruction: userspace's answer. */
		x->have_read = false;
		*val = size >= 8 ? x->read_data :
			x->read_data & ((1ULL << (size * 8)) - 1);
		return EMUL_CONTINUE;
	}
	mmio_exit(x, sp.gpa[0], size, false, 0);
	vcpu->pending = PENDING_MMIO_INSN;
	memcpy(vcpu->pending_insn, x->bytes, x->len);
	vcpu->pending_insn_len = x->len;
	vcpu->pending_rip = x->e.g.rip;
	return EMUL_EXIT;
}

int emul_mem_write(struct emul_insn *x, int seg, u64 off, unsigned int size,
		   u64 val)
{
	struct vmain_vcpu *vcpu = x->e.vcpu;
	struct emul_span sp;
	int ret;

	ret = span_of(x, seg, off, size, EMUL_WRITE, true, &sp);
	if (ret)
		return ret;
	if (sp.ram) {
		if (vmain_guest_write(vcpu->vm, sp.gpa[0], &val, sp.n[0]))
			return fail_memory(x, sp.gpa[0]);
		if (sp.pieces == 2 &&
		    vmain_guest_write(vcpu->vm, sp.gpa[1], (u8 *)&val + sp.n[0], sp.n[1]))
			return fail_memory(x, sp.gpa[1]);
		return EMUL_CONTINUE;
	}
	/* One exit carries one access: the instruction's only MMIO write. */
	if (x->wrote_mmio)
		return fail_split(x);
	mmio_exit(x, sp.gpa[0], size, true, val);
	x->wrote_mmio = true;
	return EMUL_CONTINUE;
}

int emul_insn_finish(struct emul_insn *x, bool restart)
{
	if (!restart)
		x->e.g.rip += x->insn.len;
	emul_store(&x->e);
	/*
	 * An STI or MOV SS shadow covers one instruction (SDM Vol. 3A 6.8.3,
	 * APM Vol. 2 15.21.5): once this one (or one iteration of its REP,
	 * where interrupts are taken, SDM Vol. 2B "REP") is done, it is
	 * over, as the engines' own RIP advances end it (svm_advance()).
	 */
	vmain_engine()->set_shadow(x->e.vcpu, false);
	return x->wrote_mmio ? 0 : 1;
}
