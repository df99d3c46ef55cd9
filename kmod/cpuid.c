// SPDX-License-Identifier: GPL-2.0-only
/*
 * cpuid.c - the CPUID table the guest sees.
 *
 * Userspace decides what the guest is told (SET_CPUID).  A leaf that is
 * not in the table reads as zeros.  The module changes only what depends
 * on the guest's own state: CPUID.1:ECX.OSXSAVE follows the guest's
 * CR4.OSXSAVE (SDM Vol. 2A, CPUID, Table 3-10).  The table decides which
 * speculation-control MSRs the guest has (spec.c).
 */
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "spec.h"
#include "vcpu.h"

#define CR4_OSXSAVE		(1ULL << 18)
#define CPUID_1_ECX_OSXSAVE	(1U << 27)

const struct vmain_cpuid_entry *vmain_cpuid_lookup(const struct vmain_vcpu *vcpu,
						   u32 function, u32 index)
{
	u32 i;

	for (i = 0; i < vcpu->cpuid_nent; i++) {
		const struct vmain_cpuid_entry *e = &vcpu->cpuid[i];

		if (e->function == function &&
		    (!(e->flags & VMAIN_CPUID_INDEXED) || e->index == index))
			return e;
	}
	return NULL;
}

void vmain_cpuid_answer(struct vmain_vcpu *vcpu, struct vmain_gprs *g, u64 cr4)
{
	const struct vmain_cpuid_entry *e = vmain_cpuid_lookup(vcpu, (u32)g->r[0], (u32)g->r[1]);
	u32 function = (u32)g->r[0];

	/* CPUID writes EAX, EBX, ECX, EDX zero-extended (r[0], r[3], r[1], r[2]). */
	g->r[0] = e ? e->eax : 0;
	g->r[3] = e ? e->ebx : 0;
	g->r[1] = e ? e->ecx : 0;
	g->r[2] = e ? e->edx : 0;
	if (function == 1) {
		g->r[1] &= ~(u64)CPUID_1_ECX_OSXSAVE;
		if (cr4 & CR4_OSXSAVE)
			g->r[1] |= CPUID_1_ECX_OSXSAVE;
	}
}

long vmain_cpuid_set(struct vmain_vcpu *vcpu, void __user *uarg)
{
	struct vmain_cpuid_entry *entries = NULL;
	struct vmain_cpuid c;
	u32 i, j;

	if (copy_from_user(&c, uarg, sizeof(c)))
		return -EFAULT;
	if (c.flags || memchr_inv(c.reserved, 0, sizeof(c.reserved)) ||
	    c.nent > VMAIN_MAX_CPUID_ENTRIES)
		return -EINVAL;
	if (c.nent) {
		entries = memdup_user(u64_to_user_ptr(c.entries),
				      c.nent * sizeof(*entries));
		if (IS_ERR(entries))
			return PTR_ERR(entries);
	}
	for (i = 0; i < c.nent; i++) {
		if ((entries[i].flags & ~VMAIN_CPUID_INDEXED) ||
		    memchr_inv(entries[i].reserved, 0, sizeof(entries[i].reserved)))
			goto invalid;
		/* Two entries answering the same question are ambiguous. */
		for (j = 0; j < i; j++)
			if (entries[j].function == entries[i].function &&
			    (!(entries[j].flags & VMAIN_CPUID_INDEXED) ||
			     !(entries[i].flags & VMAIN_CPUID_INDEXED) ||
			     entries[j].index == entries[i].index))
				goto invalid;
	}
	kfree(vcpu->cpuid);
	vcpu->cpuid = entries;
	vcpu->cpuid_nent = c.nent;
	/* The speculation-control MSRs follow the table (spec.c). */
	vmain_spec_cpuid_update(vcpu);
	return 0;

invalid:
	kfree(entries);
	return -EINVAL;
}

long vmain_cpuid_get(struct vmain_vcpu *vcpu, void __user *uarg)
{
	struct vmain_cpuid c;
	u32 room;

	if (copy_from_user(&c, uarg, sizeof(c)))
		return -EFAULT;
	if (c.flags || memchr_inv(c.reserved, 0, sizeof(c.reserved)))
		return -EINVAL;
	room = c.nent;
	c.nent = vcpu->cpuid_nent;
	if (copy_to_user(uarg, &c, sizeof(c)))
		return -EFAULT;
	if (room < vcpu->cpuid_nent)
		return -E2BIG;
	if (vcpu->cpuid_nent &&
	    copy_to_user(u64_to_user_ptr(c.entries), vcpu->cpuid,
			 vcpu->cpuid_nent * sizeof(*vcpu->cpuid)))
		return -EFAULT;
	return 0;
}
