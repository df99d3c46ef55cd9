// SPDX-License-Identifier: GPL-2.0-only
/*
 * state.c - architectural consistency of a guest state userspace set.
 *
 * VMRUN and VM entry check guest state, but not in the same way: VT-x
 * checks segments closely (SDM Vol. 3C, 28.3.1), AMD-V hardly at all (APM
 * Vol. 2, 15.5.1), and emulators check less than either.  So that a state
 * which no real CPU could be in fails the same way on every engine, the
 * module checks these rules itself before the first entry after
 * SET_REGS/SET_SREGS, and reports VMAIN_EXIT_FAIL_ENTRY with
 * hardware_reason 0 when one is broken.  The rules are the SDM's and
 * APM's: what MOV to CR0/CR4, WRMSR to EFER and far transfers to CS would
 * refuse with #GP, so a guest can never reach such a state itself.
 */
#include "vcpu.h"

#define CR0_PE		(1ULL << 0)
#define CR0_NW		(1ULL << 29)
#define CR0_CD		(1ULL << 30)
#define CR0_PG		(1ULL << 31)
#define CR4_PAE		(1ULL << 5)
#define CR4_VMXE	(1ULL << 13)
#define CR4_SMXE	(1ULL << 14)
/* CR4 bits defined up to PKS (24); others are reserved (SDM 2.5). */
#define CR4_DEFINED	((1ULL << 25) - 1)
#define EFER_LME_BIT	(1ULL << 8)
#define EFER_LMA_BIT	(1ULL << 10)
/* RFLAGS bits 63:22, 15, 5 and 3 are reserved (SDM Vol. 1, 3.4.3). */
#define RFLAGS_DEFINED	(((1ULL << 22) - 1) & ~((1ULL << 15) | (1ULL << 5) | (1ULL << 3)))

/* 0 if the state is one a CPU can be in; -EINVAL otherwise. */
int vmain_check_state(const struct vmain_sregs *s, u64 rflags)
{
	bool pg = s->cr0 & CR0_PG, lme = s->efer & EFER_LME_BIT;

	/* CR0: no upper bits, PG needs PE, NW needs CD (SDM 2.5, MOV CR). */
	if ((s->cr0 >> 32) || (pg && !(s->cr0 & CR0_PE)) ||
	    ((s->cr0 & CR0_NW) && !(s->cr0 & CR0_CD)))
		return -EINVAL;
	/* CR4: no reserved bits; no VMX/SMX for guests (no nesting). */
	if ((s->cr4 & ~CR4_DEFINED) || (s->cr4 & (CR4_VMXE | CR4_SMXE)))
		return -EINVAL;
	/* IA-32e mode: PAE required, and LMA = LME && PG (SDM 9.8.5). */
	if (lme && pg && !(s->cr4 & CR4_PAE))
		return -EINVAL;
	if (!!(s->efer & EFER_LMA_BIT) != (lme && pg))
		return -EINVAL;
	/* 64-bit code segments have D clear (SDM 3.4.5, L bit). */
	if ((s->efer & EFER_LMA_BIT) && s->cs.l && s->cs.db)
		return -EINVAL;
	/* In protected mode CS is a present code segment. */
	if ((s->cr0 & CR0_PE) &&
	    (s->cs.unusable || !s->cs.present || !s->cs.s || !(s->cs.type & 8)))
		return -EINVAL;
	if (rflags & ~RFLAGS_DEFINED)
		return -EINVAL;
	return 0;
}
