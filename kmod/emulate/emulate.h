/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * emulate/emulate.h - what the emulation paths (port I/O, MMIO, exit
 * completion) share: the guest state snapshot, mode, address translation.
 */
#ifndef VMAIN_KMOD_EMULATE_H
#define VMAIN_KMOD_EMULATE_H

#include "../vcpu.h"
#include "x86/decode.h"

struct emul {
	struct vmain_vcpu *vcpu;
	struct vmain_gprs g;
	struct vmain_sregs s;
};

/* Reads the guest's GPRs, and its system registers if `sregs`, into e. */
void emul_load(struct emul *e, struct vmain_vcpu *vcpu, bool sregs);
/* Writes e->g back (RIP, RFLAGS and the GPRs). */
void emul_store(struct emul *e);

enum x86_cpu_mode emul_mode(const struct emul *e);
/* The guest's current privilege level (walk.c). */
unsigned int emul_cpl(const struct emul *e);
/* The base of segment `seg` (enum x86_seg) as the mode applies it. */
u64 emul_seg_base(const struct emul *e, int seg);

/*
 * Translates a linear address through the guest's page tables.  0 and
 * *gpa; or 1: a #PF is queued for the guest (the caller resumes it); or
 * -EFAULT: the guest's page tables are not in RAM.
 */
#define EMUL_WRITE	(1U << 0)
#define EMUL_FETCH	(1U << 1)
int emul_translate(struct emul *e, u64 la, unsigned int access, u64 *gpa);

/*
 * seg.c: the linear address of `size` bytes at offset `off` (already cut to
 * the address size) of segment `seg` (enum x86_seg), accessed as `access`
 * (EMUL_WRITE or 0 for a read), after the mode's segment checks.  0 and
 * *la; or 1: #GP(0) or #SS(0) is queued for the guest.
 */
int emul_linear(struct emul *e, int seg, u64 off, unsigned int size,
		unsigned int access, u64 *la);

/*
 * Reads up to X86_MAX_INSN_LEN bytes at CS:RIP into buf; *len is how many
 * could be read (stops at a page that is not RAM or not mapped, and at the
 * CS limit outside 64-bit mode; RIP past the limit queues #GP(0)).  0, 1 (a
 * #PF was queued), or -EFAULT (nothing readable at RIP).
 */
int emul_fetch(struct emul *e, u8 *buf, unsigned int *len);

/* Writes `size` bytes of value into GPR reg as a MOV would (SDM 3.4.1.1). */
void emul_write_gpr(struct emul *e, unsigned int reg, bool high8,
		    unsigned int size, u64 value);
u64 emul_read_gpr(const struct emul *e, unsigned int reg, bool high8,
		  unsigned int size);

/*
 * complete.c: an instruction that cannot be emulated here.  At CPL 0 it
 * ends the RUN with VMAIN_INTERNAL_EMULATION (rip, first bytes) and
 * returns 0; at CPL > 0 it queues #UD with RIP on the instruction and
 * returns 1 (resume), so that a guest process cannot stop its VM.
 */
int emul_undecodable(struct emul *e, const u8 *bytes, unsigned int len);
/*
 * complete.c: x86_decode() refused bytes[0..len) with err.  An encoding
 * the CPU refuses too (-EINVAL: LOCK where it is not allowed, an
 * undefined ModRM.reg; -E2BIG: past 15 bytes) raises what the CPU
 * raises, #UD or #GP(0), at any CPL, and returns 1; anything else is
 * emul_undecodable().
 */
int emul_decode_failed(struct emul *e, int err, const u8 *bytes,
		       unsigned int len);

/*
 * An instruction other than the MOV family emulated on MMIO (mem.c,
 * rmw.c, string.c): it reads at most one MMIO operand and writes at most
 * one, the write being its last memory access.  A read from MMIO ends
 * the RUN with an MMIO read exit and nothing done; the next RUN runs the
 * instruction again from the start with have_read (complete.c), so the
 * guest's state is always that before or after the whole instruction.
 * A write to MMIO ends the RUN with an MMIO write exit and the
 * instruction done.
 */
struct emul_insn {
	struct emul e;
	struct x86_insn insn;
	const u8 *bytes;
	unsigned int len;
	bool have_read;		/* read_data answers the MMIO read */
	u64 read_data;
	bool wrote_mmio;	/* an MMIO write exit is set up */
};

/* What the memory accessors of mem.c return. */
#define EMUL_CONTINUE	0	/* done (RAM, or the MMIO read's data) */
#define EMUL_RESUME	1	/* an exception is queued: resume the guest */
#define EMUL_EXIT	2	/* an MMIO read exit is set up; nothing done */
#define EMUL_FAIL	3	/* an internal-error exit is set up */

/*
 * mem.c: `size` bytes at seg:off (off already cut to the address size),
 * after the segment checks and the guest's paging (A/D bits set), from
 * or to RAM or MMIO.  access: EMUL_WRITE for the read of a
 * read-modify-write (the checks of a write, SDM Vol. 3A 4.8).  A write
 * to MMIO sets wrote_mmio and returns EMUL_CONTINUE: the caller finishes
 * the instruction and returns to userspace.
 */
int emul_mem_read(struct emul_insn *x, int seg, u64 off, unsigned int size,
		  unsigned int access, u64 *val);
int emul_mem_write(struct emul_insn *x, int seg, u64 off, unsigned int size,
		   u64 val);
/* Ends the instruction: RIP past it unless `restart`, registers stored. */
int emul_insn_finish(struct emul_insn *x, bool restart);

/* alu.c: dst OP src in `size` bytes; CF PF AF ZF SF OF into *rflags. */
u64 emul_alu(unsigned int alu, u64 dst, u64 src, unsigned int size, u64 *rflags);
/* rmw.c: ALU r/m forms and XCHG.  0: exit to userspace; 1: resume. */
int emul_rmw(struct emul_insn *x);
/* string.c: one iteration of LODS, STOS or MOVS.  0 or 1 as emul_rmw(). */
int emul_string(struct emul_insn *x);
/* mmio.c: runs x (decoded) through rmw.c or string.c. */
int emul_mmio_insn(struct emul_insn *x);

/* io.c: the next RUN after an IN (string false) or INS exit. */
int vmain_io_complete(struct vmain_vcpu *vcpu, bool string);
/* mmio.c: the next RUN after an MMIO read exit (of a MOV; of string.c/rmw.c). */
int vmain_mmio_complete(struct vmain_vcpu *vcpu);
int vmain_mmio_insn_complete(struct vmain_vcpu *vcpu);

#endif
