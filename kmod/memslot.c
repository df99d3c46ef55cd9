// SPDX-License-Identifier: GPL-2.0-only
/*
 * memslot.c - guest-physical memory slots and their dirty logs.
 *
 * A slot maps a page-aligned guest-physical range onto the owner's own
 * memory.  Nothing is pinned: mmu.c maps pages into the nested page
 * tables on demand and MMU notifiers take them away again, so the slot
 * table only records where guest memory comes from.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "vm.h"

struct vmain_memslot *vmain_memslot_find(struct vmain_memslots *slots, u64 gfn)
{
	unsigned int i;

	for (i = 0; i < VMAIN_MAX_MEM_SLOTS; i++) {
		struct vmain_memslot *s = slots->slot[i];

		if (s && gfn >= s->base_gfn && gfn - s->base_gfn < s->npages)
			return s;
	}
	return NULL;
}

static void memslot_free(struct vmain_memslot *s)
{
	if (!s)
		return;
	kvfree(s->dirty_bitmap);
	kfree(s);
}

void vmain_memslots_free(struct vmain_memslots *slots)
{
	unsigned int i;

	if (!slots)
		return;
	for (i = 0; i < VMAIN_MAX_MEM_SLOTS; i++)
		memslot_free(slots->slot[i]);
	kfree(slots);
}

static int memslot_check(const struct vmain_memory_region *r)
{
	u64 limit = 1ULL << VMAIN_GUEST_PHYS_BITS;

	if (r->slot >= VMAIN_MAX_MEM_SLOTS)
		return -EINVAL;
	if (r->flags & ~VMAIN_MEM_VALID_FLAGS)
		return -EINVAL;
	if (memchr_inv(r->reserved, 0, sizeof(r->reserved)))
		return -EINVAL;
	if (!r->size)
		return 0;
	if (!PAGE_ALIGNED(r->guest_phys_addr) || !PAGE_ALIGNED(r->size) ||
	    !PAGE_ALIGNED(r->userspace_addr))
		return -EINVAL;
	/* No wrap, and inside the guest-physical space nested paging maps. */
	if (r->size > limit || r->guest_phys_addr > limit - r->size)
		return -EINVAL;
	if (r->userspace_addr + r->size < r->userspace_addr)
		return -EINVAL;
	if (!access_ok((void __user *)(unsigned long)r->userspace_addr, r->size))
		return -EFAULT;
	return 0;
}

/* A new table: a copy of old with slot `id` replaced by `s` (or removed). */
static struct vmain_memslots *memslots_replace(struct vmain_memslots *old,
					       u32 id, struct vmain_memslot *s)
{
	struct vmain_memslots *new = kmemdup(old, sizeof(*old), GFP_KERNEL_ACCOUNT);

	if (!new)
		return NULL;
	if (new->slot[id])
		new->count--;
	new->slot[id] = s;
	if (s)
		new->count++;
	return new;
}

/*
 * Publishes `new` and unmaps what the old slot `id` mapped; the old table
 * and the old slot are freed once no vCPU can still look at them.
 */
static void memslots_publish(struct vmain_vm *vm, struct vmain_memslots *new,
			     struct vmain_memslot *gone, bool write_protect_only)
{
	struct vmain_memslots *old;
	bool zapped = false;

	spin_lock(&vm->mmu.lock);
	old = rcu_dereference_protected(vm->slots, lockdep_is_held(&vm->mmu.lock));
	rcu_assign_pointer(vm->slots, new);
	/* A fault that looked at the old table must not install its result. */
	vm->mmu.seq++;
	if (gone)
		zapped = vmain_mmu_zap(vm, gone->base_gfn, gone->npages,
				       write_protect_only);
	spin_unlock(&vm->mmu.lock);
	if (zapped)
		vmain_mmu_flush_remote(vm);

	synchronize_srcu(&vm->srcu);
	kfree(old);
}

long vmain_memslot_set(struct vmain_vm *vm, void __user *uarg)
{
	struct vmain_memory_region r;
	struct vmain_memslots *slots, *new;
	struct vmain_memslot *cur, *s = NULL;
	u64 gfn, npages;
	unsigned int i;
	int ret;

	if (copy_from_user(&r, uarg, sizeof(r)))
		return -EFAULT;
	ret = memslot_check(&r);
	if (ret)
		return ret;
	gfn = r.guest_phys_addr >> PAGE_SHIFT;
	npages = r.size >> PAGE_SHIFT;

	mutex_lock(&vm->lock);
	slots = rcu_dereference_protected(vm->slots, lockdep_is_held(&vm->lock));
	cur = slots->slot[r.slot];

	if (!r.size) {				/* delete */
		ret = -ENOENT;
		if (!cur)
			goto out_unlock;
		ret = -ENOMEM;
		new = memslots_replace(slots, r.slot, NULL);
		if (!new)
			goto out_unlock;
		memslots_publish(vm, new, cur, false);
		memslot_free(cur);
		ret = 0;
		goto out_unlock;
	}

	if (cur) {
		/* Only the flags of a live slot may change (KVM's rule too). */
		ret = -EINVAL;
		if (cur->base_gfn != gfn || cur->npages != npages ||
		    cur->uaddr != r.userspace_addr)
			goto out_unlock;
	} else {
		/* An overlap is a bad argument like the others (EINVAL). */
		ret = -EINVAL;
		for (i = 0; i < VMAIN_MAX_MEM_SLOTS; i++) {
			struct vmain_memslot *o = slots->slot[i];

			if (o && gfn < o->base_gfn + o->npages &&
			    o->base_gfn < gfn + npages)
				goto out_unlock;
		}
	}

	ret = -ENOMEM;
	s = kzalloc(sizeof(*s), GFP_KERNEL_ACCOUNT);
	if (!s)
		goto out_unlock;
	s->id = r.slot;
	s->flags = r.flags;
	s->base_gfn = gfn;
	s->npages = npages;
	s->uaddr = r.userspace_addr;
	if (r.flags & VMAIN_MEM_LOG_DIRTY) {
		s->dirty_bitmap = kvzalloc(BITS_TO_LONGS(npages) * sizeof(long),
					   GFP_KERNEL_ACCOUNT);
		if (!s->dirty_bitmap)
			goto free_slot;
	}
	new = memslots_replace(slots, r.slot, s);
	if (!new)
		goto free_slot;
	/*
	 * A flag change re-derives every mapping of the range: turning on
	 * dirty logging or read-only must remove write access that existing
	 * entries grant, so the range is unmapped and faults back in.
	 */
	memslots_publish(vm, new, cur, false);
	memslot_free(cur);
	mutex_unlock(&vm->lock);
	return 0;

free_slot:
	memslot_free(s);
out_unlock:
	mutex_unlock(&vm->lock);
	return ret;
}

long vmain_memslot_get_dirty_log(struct vmain_vm *vm, void __user *uarg)
{
	struct vmain_dirty_log log;
	struct vmain_memslots *slots;
	struct vmain_memslot *s;
	unsigned long *copy;
	size_t bytes;
	bool zapped;
	int ret;

	if (copy_from_user(&log, uarg, sizeof(log)))
		return -EFAULT;
	if (log.flags || memchr_inv(log.reserved, 0, sizeof(log.reserved)) ||
	    log.slot >= VMAIN_MAX_MEM_SLOTS)
		return -EINVAL;

	mutex_lock(&vm->lock);
	slots = rcu_dereference_protected(vm->slots, lockdep_is_held(&vm->lock));
	s = slots->slot[log.slot];
	ret = -ENOENT;
	if (!s)
		goto out_unlock;
	ret = -EINVAL;
	if (!s->dirty_bitmap)
		goto out_unlock;

	/* The ABI's bitmap is __u64 words: round up to whole words. */
	bytes = DIV_ROUND_UP(s->npages, 64) * 8;
	ret = -ENOMEM;
	copy = kvzalloc(bytes, GFP_KERNEL_ACCOUNT);
	if (!copy)
		goto out_unlock;

	/*
	 * Get and clear atomically with respect to faults (mmu.lock), and
	 * write-protect the slot so the next write to any page faults and is
	 * logged again.
	 */
	spin_lock(&vm->mmu.lock);
	memcpy(copy, s->dirty_bitmap, BITS_TO_LONGS(s->npages) * sizeof(long));
	bitmap_zero(s->dirty_bitmap, s->npages);
	zapped = vmain_mmu_zap(vm, s->base_gfn, s->npages, true);
	spin_unlock(&vm->mmu.lock);
	if (zapped)
		vmain_mmu_flush_remote(vm);

	ret = 0;
	if (copy_to_user(u64_to_user_ptr(log.bitmap), copy, bytes)) {
		/* Nothing is lost: the pages stay dirty for the next call. */
		spin_lock(&vm->mmu.lock);
		bitmap_or(s->dirty_bitmap, s->dirty_bitmap, copy, s->npages);
		spin_unlock(&vm->mmu.lock);
		ret = -EFAULT;
	}
	kvfree(copy);
out_unlock:
	mutex_unlock(&vm->lock);
	return ret;
}
