// SPDX-License-Identifier: GPL-2.0-only
/*
 * emulate/io.c - port I/O intercepts become VMAIN_EXIT_IO.
 *
 * IN/OUT: one exit, the data in page 1 of the vCPU mapping.  OUT leaves
 * with RIP already past the instruction; IN is finished by the next RUN
 * (complete.c) with the value userspace stored.
 *
 * INS/OUTS (SDM Vol. 2B, "INS", "OUTS"; with REP, Vol. 2B "REP"): each exit
 * carries up to one page of data (count elements).  OUTS reads the
 * elements from guest memory before the exit; INS writes them after.  RSI
 * or RDI and RCX advance by the elements done; while RCX is not 0 the
 * instruction is re-executed (RIP stays), so a long REP becomes several
 * exits and interrupts can be taken between them, as on hardware.
 *
 * The data accesses go through the segment checks (seg.c) and the guest's
 * paging (walk.c, which sets A/D bits) as the CPU's own would.  INS's ES
 * destination is checked before the exit, so that a #GP/#SS comes without
 * the port having been read (SDM Vol. 2A "INS": the protection checks come
 * before the input).  A fault anywhere in a chunk faults the whole chunk
 * with RSI/RDI, RCX and RIP unchanged: the guest's handler sees the
 * instruction as not yet started.
 */
#include "emulate.h"

static u64 addr_mask(unsigned int addr_size)
{
	return addr_size == 8 ? ~0ULL : (1ULL << (addr_size * 8)) - 1;
}

/*
 * Guest memory <-> io_data for `count` elements at seg:reg; with
 * check_only, only the segment checks of writes there (INS before its
 * exit).  0, 1 (an exception is queued) or -EFAULT.
 */
static int io_string_copy(struct emul *e, int seg, unsigned int reg,
			  unsigned int size, unsigned int addr_size,
			  u32 count, bool to_guest, bool check_only)
{
	int step = (e->g.rflags & X86_EFLAGS_DF) ? -(int)size : (int)size;
	unsigned int access = to_guest ? EMUL_WRITE : 0;
	u64 mask = addr_mask(addr_size);
	u8 *data = e->vcpu->io_data;
	u64 off = e->g.r[reg], gpa, la;
	u32 i;
	int ret;

	for (i = 0; i < count; i++) {
		unsigned int b;

		/*
		 * Per byte: an element may straddle two pages, and its offset
		 * wraps at the address size byte by byte.
		 */
		for (b = 0; b < size; b++) {
			ret = emul_linear(e, seg, (off + b) & mask, 1, access, &la);
			if (ret || check_only) {
				if (ret)
					return ret;
				continue;
			}
			ret = emul_translate(e, la, access, &gpa);
			if (ret)
				return ret;
			ret = to_guest ?
				vmain_guest_write(e->vcpu->vm, gpa, &data[i * size + b], 1) :
				vmain_guest_read(e->vcpu->vm, gpa, &data[i * size + b], 1);
			if (ret)
				return ret;
		}
		off += step;
	}
	return 0;
}

/* After a chunk: advance the index register and RCX, maybe RIP. */
static void io_string_advance(struct emul *e, unsigned int reg, unsigned int size,
			      unsigned int addr_size, bool rep, u32 done,
			      u64 next_rip)
{
	u64 mask = addr_mask(addr_size);
	s64 delta = (s64)done * size * ((e->g.rflags & X86_EFLAGS_DF) ? -1 : 1);

	e->g.r[reg] = (e->g.r[reg] & ~mask) | ((e->g.r[reg] + delta) & mask);
	if (rep) {
		u64 rcx = (e->g.r[X86_REG_RCX] & mask) - done;

		e->g.r[X86_REG_RCX] = (e->g.r[X86_REG_RCX] & ~mask) | (rcx & mask);
		if (rcx & mask)
			return;		/* re-execute for the rest */
	}
	e->g.rip = next_rip;
}

static int io_string(struct emul *e, const struct vmain_io_exit *io)
{
	struct vmain_vcpu *vcpu = e->vcpu;
	struct vmain_run *run = vcpu->run;
	unsigned int addr_size;
	u64 mask;
	u32 count;
	int seg, ret;

	{
		/*
		 * The address size and OUTS's segment come from the instruction
		 * itself: exit information for them is missing without decode
		 * assists and not dependable under emulation.
		 */
		struct x86_insn insn;
		unsigned int len;
		u8 bytes[X86_MAX_INSN_LEN];

		ret = emul_fetch(e, bytes, &len);
		if (ret)
			return ret > 0 ? 1 : emul_undecodable(e, bytes, 0);
		ret = x86_decode(bytes, len, emul_mode(e), &insn);
		if (ret)
			return emul_decode_failed(e, ret, bytes, len);
		if (insn.op != (io->in ? X86_OP_INS : X86_OP_OUTS))
			return emul_undecodable(e, bytes, len);
		addr_size = insn.addrsize;
		seg = insn.seg;
		mask = addr_mask(addr_size);
		count = io->rep ? (u32)min_t(u64, e->g.r[X86_REG_RCX] & mask,
					    PAGE_SIZE / io->size) : 1;
	}
	if (io->rep && !count) {
		e->g.rip = io->next_rip;	/* REP with rCX = 0: no iteration */
		emul_store(e);
		return 1;
	}

	if (!io->in) {
		ret = io_string_copy(e, seg, X86_REG_RSI, io->size, addr_size,
				     count, false, false);
		if (ret) {
			if (ret < 0)
				vmain_internal_error(vcpu, VMAIN_INTERNAL_MEMORY_FAULT,
						     1, e->g.rip, 0, 0, 0);
			return ret < 0 ? 0 : 1;
		}
		io_string_advance(e, X86_REG_RSI, io->size, addr_size,
				  io->rep, count, io->next_rip);
		emul_store(e);
	} else {
		/* INS always writes ES:rDI (no segment override). */
		ret = io_string_copy(e, X86_SEG_ES, X86_REG_RDI, io->size,
				     addr_size, count, true, true);
		if (ret)
			return 1;
		vcpu->pending = PENDING_IO_STRING;
		vcpu->pending_size = io->size;
		vcpu->pending_count = count;
		vcpu->pending_next_rip = io->next_rip;
		vcpu->pending_addr_size = addr_size;
		vcpu->pending_rep = io->rep;
	}
	run->exit_reason = VMAIN_EXIT_IO;
	run->exit.io.direction = io->in ? VMAIN_IO_IN : VMAIN_IO_OUT;
	run->exit.io.size = io->size;
	run->exit.io.port = io->port;
	run->exit.io.count = count;
	run->exit.io.data_offset = VMAIN_RUN_IO_DATA_OFFSET;
	return 0;
}

int vmain_io_exit(struct vmain_vcpu *vcpu, const struct vmain_io_exit *io)
{
	struct vmain_run *run = vcpu->run;
	struct emul e;

	/* Plain IN/OUT touch only RAX and RIP: skip the system registers. */
	emul_load(&e, vcpu, io->string);
	if (io->string)
		return io_string(&e, io);

	run->exit_reason = VMAIN_EXIT_IO;
	run->exit.io.direction = io->in ? VMAIN_IO_IN : VMAIN_IO_OUT;
	run->exit.io.size = io->size;
	run->exit.io.port = io->port;
	run->exit.io.count = 1;
	run->exit.io.data_offset = VMAIN_RUN_IO_DATA_OFFSET;
	if (io->in) {
		vcpu->pending = PENDING_IO_IN;
		vcpu->pending_size = io->size;
		vcpu->pending_next_rip = io->next_rip;
		memset(vcpu->io_data, 0, 4);
	} else {
		u64 v = emul_read_gpr(&e, X86_REG_RAX, false, io->size);

		memcpy(vcpu->io_data, &v, io->size);
		e.g.rip = io->next_rip;
		emul_store(&e);
	}
	return 0;
}

/* The next RUN after an IN (string false) or INS exit. */
int vmain_io_complete(struct vmain_vcpu *vcpu, bool string)
{
	struct emul e;
	u64 v = 0;
	int ret;

	emul_load(&e, vcpu, string);
	if (!string) {
		memcpy(&v, vcpu->io_data, vcpu->pending_size);
		/* IN AL/AX merges; IN EAX zero-extends (SDM Vol. 2A "IN"). */
		emul_write_gpr(&e, X86_REG_RAX, false, vcpu->pending_size, v);
		e.g.rip = vcpu->pending_next_rip;
		emul_store(&e);
		return 1;
	}
	/* The INS chunk lands in guest memory. */
	ret = io_string_copy(&e, X86_SEG_ES, X86_REG_RDI, vcpu->pending_size,
			     vcpu->pending_addr_size, vcpu->pending_count, true,
			     false);
	if (ret < 0) {
		vmain_internal_error(vcpu, VMAIN_INTERNAL_MEMORY_FAULT, 1,
				     e.g.rip, 0, 0, 0);
		return 0;
	}
	if (ret > 0)
		return 1;	/* #PF queued; the guest retries the INS */
	io_string_advance(&e, X86_REG_RDI, vcpu->pending_size,
			  vcpu->pending_addr_size, vcpu->pending_rep, vcpu->pending_count,
			  vcpu->pending_next_rip);
	emul_store(&e);
	return 1;
}
