// SPDX-License-Identifier: GPL-2.0-only
/*
 * mmu.c - the VM's nested page tables (AMD NPT or Intel EPT, both 4-level
 * with 512 entries a table), filled on demand and kept coherent with the
 * owner's address space by an MMU notifier.
 *
 * Host memory safety.  A guest page is mapped only from a struct page that
 * get_user_pages() found at the slot's address *now*; its reference is
 * dropped as soon as the entry is installed.  Whenever the owner's mapping
 * of that address changes (munmap, mremap, COW, migration, swap-out, KSM),
 * the kernel calls invalidate_range_start() before the old page can be
 * freed, and we remove the entries and make every vCPU leave guest mode
 * and flush its TLB before returning.  A fault that raced with an
 * invalidation notices by `seq` and retries.  So the guest can reach a
 * page only while the owner maps it at that address: never a freed or
 * foreign page, and nothing pinned long-term (no RLIMIT_MEMLOCK needed).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/io.h>

#include "vm.h"

#define PTE_ADDR_MASK	0x000ffffffffff000ULL
#define PT_ENTRIES	512
#define PT_LEVELS	4

static inline unsigned int pt_index(u64 gfn, int level)
{
	return (gfn >> (9 * level)) & (PT_ENTRIES - 1);
}

static inline u64 *pt_table(u64 entry)
{
	return phys_to_virt(entry & PTE_ADDR_MASK);
}

static bool npt_present(const struct vmain_pte_format *fmt, u64 e)
{
	/* NPT: P is bit 0; EPT: any of R/W/X.  Both formats set leaf_read. */
	return e & fmt->leaf_read;
}

/* Frees a table and every table below it (level 3: PML4 .. 0: PT). */
static void pt_free(struct vmain_mmu *mmu, u64 *table, int level)
{
	unsigned int i;

	if (level > 0) {
		for (i = 0; i < PT_ENTRIES; i++)
			if (npt_present(mmu->fmt, table[i]))
				pt_free(mmu, pt_table(table[i]), level - 1);
	}
	free_page((unsigned long)table);
	mmu->table_pages--;
}

/*
 * Clears (or write-protects) the leaves for [start, end) below `table`,
 * which maps gfns from `base` at `level`.  Returns whether any changed.
 */
static bool pt_zap(struct vmain_mmu *mmu, u64 *table, int level, u64 base,
		   u64 start, u64 end, bool write_only)
{
	u64 span = 1ULL << (9 * level);
	bool changed = false;
	unsigned int i;

	for (i = 0; i < PT_ENTRIES; i++) {
		u64 lo = base + i * span, hi = lo + span;
		u64 e = table[i];

		if (hi <= start || lo >= end || !npt_present(mmu->fmt, e))
			continue;
		if (level > 0) {
			changed |= pt_zap(mmu, pt_table(e), level - 1, lo, start,
					  end, write_only);
		} else if (write_only) {
			if (e & mmu->fmt->leaf_write) {
				WRITE_ONCE(table[i], e & ~mmu->fmt->leaf_write);
				changed = true;
			}
		} else {
			WRITE_ONCE(table[i], 0);
			changed = true;
		}
	}
	return changed;
}

bool vmain_mmu_zap(struct vmain_vm *vm, u64 gfn, u64 npages, bool write_only)
{
	lockdep_assert_held(&vm->mmu.lock);
	return pt_zap(&vm->mmu, vm->mmu.root, PT_LEVELS - 1, 0, gfn,
		      gfn + npages, write_only);
}

void vmain_mmu_flush_remote(struct vmain_vm *vm)
{
	vmain_vcpu_kick_all(vm, VCPU_REQ_TLB_FLUSH);
}

/* Zaps every slot's part of the host range [start, end). */
static bool mmu_zap_hva(struct vmain_vm *vm, unsigned long start,
			unsigned long end)
{
	struct vmain_memslots *slots;
	bool zapped = false;
	unsigned int i;

	slots = rcu_dereference_protected(vm->slots, lockdep_is_held(&vm->mmu.lock));
	for (i = 0; i < VMAIN_MAX_MEM_SLOTS; i++) {
		struct vmain_memslot *s = slots->slot[i];
		unsigned long s_end, lo, hi;

		if (!s)
			continue;
		s_end = s->uaddr + (s->npages << PAGE_SHIFT);
		lo = max(start, s->uaddr);
		hi = min(end, s_end);
		if (lo >= hi)
			continue;
		zapped |= vmain_mmu_zap(vm, s->base_gfn + ((lo - s->uaddr) >> PAGE_SHIFT),
					(PAGE_ALIGN(hi) - (lo & PAGE_MASK)) >> PAGE_SHIFT,
					false);
	}
	return zapped;
}

static int mmu_invalidate_range_start(struct mmu_notifier *mn,
				      const struct mmu_notifier_range *range)
{
	struct vmain_vm *vm = container_of(mn, struct vmain_vm, mmu.notifier);
	bool zapped;

	spin_lock(&vm->mmu.lock);
	vm->mmu.in_progress++;
	vm->mmu.seq++;
	zapped = mmu_zap_hva(vm, range->start, range->end);
	spin_unlock(&vm->mmu.lock);
	/* Before returning, no vCPU may still use the old translations. */
	if (zapped)
		vmain_mmu_flush_remote(vm);
	return 0;
}

static void mmu_invalidate_range_end(struct mmu_notifier *mn,
				     const struct mmu_notifier_range *range)
{
	struct vmain_vm *vm = container_of(mn, struct vmain_vm, mmu.notifier);

	spin_lock(&vm->mmu.lock);
	vm->mmu.seq++;
	vm->mmu.in_progress--;
	spin_unlock(&vm->mmu.lock);
}

/* The owner's address space is going away: nothing may stay mapped. */
static void mmu_release(struct mmu_notifier *mn, struct mm_struct *mm)
{
	struct vmain_vm *vm = container_of(mn, struct vmain_vm, mmu.notifier);
	bool zapped;

	spin_lock(&vm->mmu.lock);
	vm->mmu.seq++;
	zapped = vmain_mmu_zap(vm, 0, 1ULL << (VMAIN_GUEST_PHYS_BITS - PAGE_SHIFT),
			       false);
	spin_unlock(&vm->mmu.lock);
	if (zapped)
		vmain_mmu_flush_remote(vm);
}

static const struct mmu_notifier_ops mmu_notifier_ops = {
	.invalidate_range_start	= mmu_invalidate_range_start,
	.invalidate_range_end	= mmu_invalidate_range_end,
	.release		= mmu_release,
};

int vmain_mmu_init(struct vmain_vm *vm)
{
	struct vmain_mmu *mmu = &vm->mmu;
	int ret;

	spin_lock_init(&mmu->lock);
	mmu->fmt = vmain_engine()->pte_format;
	mmu->root = (u64 *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!mmu->root)
		return -ENOMEM;
	mmu->root_pa = virt_to_phys(mmu->root);
	mmu->table_pages = 1;

	mmu->notifier.ops = &mmu_notifier_ops;
	ret = mmu_notifier_register(&mmu->notifier, vm->mm);
	if (ret)
		goto free_root;
	mmu->notifier_registered = true;
	return 0;

free_root:
	free_page((unsigned long)mmu->root);
	mmu->root = NULL;
	return ret;
}

void vmain_mmu_destroy(struct vmain_vm *vm)
{
	struct vmain_mmu *mmu = &vm->mmu;

	if (mmu->notifier_registered)
		mmu_notifier_unregister(&mmu->notifier, vm->mm);
	if (mmu->root)
		pt_free(mmu, mmu->root, PT_LEVELS - 1);
	WARN_ON(mmu->table_pages);
}

/* Installs a leaf for gfn; tables come from `spare` (3 pages at most). */
static void pt_install(struct vmain_mmu *mmu, u64 gfn, u64 leaf,
		       u64 **spare, unsigned int *nspare)
{
	u64 *table = mmu->root;
	int level;

	for (level = PT_LEVELS - 1; level > 0; level--) {
		u64 *e = &table[pt_index(gfn, level)];

		if (!npt_present(mmu->fmt, *e)) {
			u64 *next = spare[--(*nspare)];

			mmu->table_pages++;
			WRITE_ONCE(*e, virt_to_phys(next) | mmu->fmt->table);
		}
		table = pt_table(*e);
	}
	WRITE_ONCE(table[pt_index(gfn, 0)], leaf);
}

/* Finds the page behind hva, writable if `write`; -EFAULT if none. */
static int mmu_get_page(unsigned long hva, bool write, struct page **page)
{
	long n = get_user_pages_unlocked(hva, 1, page, write ? FOLL_WRITE : 0);

	return n == 1 ? 0 : (n < 0 ? (int)n : -EFAULT);
}

int vmain_mmu_fault(struct vmain_vcpu *vcpu, u64 gpa, bool write,
		    unsigned long *hva_out)
{
	struct vmain_vm *vm = vcpu->vm;
	struct vmain_mmu *mmu = &vm->mmu;
	const struct vmain_pte_format *fmt = mmu->fmt;
	u64 gfn = gpa >> PAGE_SHIFT, *spare[PT_LEVELS - 1], leaf;
	struct vmain_memslots *slots;
	struct vmain_memslot *s;
	unsigned int nspare = 0;
	unsigned long hva, seq;
	struct page *page;
	bool map_write;
	int idx, ret;

	if (gpa >> VMAIN_GUEST_PHYS_BITS)
		return 1;

	/*
	 * seq before the slot table: memslots_publish() bumps seq when it
	 * replaces the table, so a fault that found a slot which is going
	 * away cannot install its page after the zap (it would never be
	 * zapped again: later invalidations search the new table only).
	 */
	seq = READ_ONCE(mmu->seq);
	smp_rmb();	/* read seq before the slot table and the page */

	idx = srcu_read_lock(&vm->srcu);
	slots = srcu_dereference(vm->slots, &vm->srcu);
	s = vmain_memslot_find(slots, gfn);
	ret = 1;		/* not RAM: MMIO (or a write to a ROM slot) */
	if (!s || (write && (s->flags & VMAIN_MEM_READONLY)))
		goto out_srcu;

	hva = s->uaddr + ((gfn - s->base_gfn) << PAGE_SHIFT);
	*hva_out = hva;
	/*
	 * Map writable at once when the slot allows it and writes are not
	 * being logged, so a read followed by a write faults only once.  A
	 * mapping the owner made read-only still maps, read-only.
	 */
	map_write = !(s->flags & VMAIN_MEM_READONLY) &&
		    (write || !(s->flags & VMAIN_MEM_LOG_DIRTY));
	ret = mmu_get_page(hva, map_write, &page);
	if (ret && map_write && !write) {
		map_write = false;
		ret = mmu_get_page(hva, false, &page);
	}
	if (ret)
		goto out_srcu;

	for (nspare = 0; nspare < PT_LEVELS - 1; nspare++) {
		spare[nspare] = (u64 *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
		if (!spare[nspare]) {
			ret = -ENOMEM;
			goto put_page;
		}
	}

	leaf = (page_to_pfn(page) << PAGE_SHIFT) | fmt->leaf_read |
	       fmt->leaf_exec | fmt->leaf_memtype |
	       (map_write ? fmt->leaf_write : 0);

	spin_lock(&mmu->lock);
	/* An invalidation ran or runs: the page may be stale; retry later. */
	if (mmu->in_progress || mmu->seq != seq) {
		spin_unlock(&mmu->lock);
		ret = 0;
		goto put_page;
	}
	pt_install(mmu, gfn, leaf, spare, &nspare);
	if (map_write && s->dirty_bitmap)
		set_bit(gfn - s->base_gfn, s->dirty_bitmap);
	spin_unlock(&mmu->lock);
	ret = 0;

put_page:
	while (nspare)
		free_page((unsigned long)spare[--nspare]);
	put_page(page);
out_srcu:
	srcu_read_unlock(&vm->srcu, idx);
	return ret;
}

/* Copies between guest RAM and buf, page by page; -EFAULT if not RAM. */
static int guest_copy(struct vmain_vm *vm, u64 gpa, void *buf, size_t len,
		      bool to_guest)
{
	struct vmain_memslots *slots;
	int idx, ret = 0;

	idx = srcu_read_lock(&vm->srcu);
	slots = srcu_dereference(vm->slots, &vm->srcu);
	while (len) {
		u64 gfn = gpa >> PAGE_SHIFT;
		size_t off = gpa & ~PAGE_MASK, n = min_t(size_t, len, PAGE_SIZE - off);
		struct vmain_memslot *s = vmain_memslot_find(slots, gfn);
		void __user *hva;

		if (!s || (to_guest && (s->flags & VMAIN_MEM_READONLY))) {
			ret = -EFAULT;
			break;
		}
		hva = (void __user *)(s->uaddr + ((gfn - s->base_gfn) << PAGE_SHIFT) + off);
		if (to_guest ? copy_to_user(hva, buf, n) : copy_from_user(buf, hva, n)) {
			ret = -EFAULT;
			break;
		}
		if (to_guest && s->dirty_bitmap)
			set_bit(gfn - s->base_gfn, s->dirty_bitmap);
		gpa += n;
		buf += n;
		len -= n;
	}
	srcu_read_unlock(&vm->srcu, idx);
	return ret;
}

int vmain_guest_read(struct vmain_vm *vm, u64 gpa, void *buf, size_t len)
{
	return guest_copy(vm, gpa, buf, len, false);
}

int vmain_guest_write(struct vmain_vm *vm, u64 gpa, const void *buf, size_t len)
{
	return guest_copy(vm, gpa, (void *)buf, len, true);
}

/*
 * Sets `bits` in the 4- or 8-byte guest page-table entry at gpa, if it still
 * holds `old`, with a locked CMPXCHG on the owner's mapping: the guest's
 * other vCPUs (and the guest's own page-table writes) update the same entry
 * concurrently, as hardware's A/D updates are atomic (SDM Vol. 3A 4.8).
 * 0: done; 1: the entry changed (the caller walks again); -EFAULT: not
 * writable RAM.
 */
int vmain_guest_set_pte_bits(struct vmain_vm *vm, u64 gpa, u64 old, u64 bits,
			     bool wide)
{
	struct vmain_memslots *slots;
	struct vmain_memslot *s;
	int idx, ret = -EFAULT;
	unsigned long hva;

	if (gpa & (wide ? 7 : 3))
		return -EFAULT;		/* entries are naturally aligned */
	idx = srcu_read_lock(&vm->srcu);
	slots = srcu_dereference(vm->slots, &vm->srcu);
	s = vmain_memslot_find(slots, gpa >> PAGE_SHIFT);
	if (!s || (s->flags & VMAIN_MEM_READONLY))
		goto out;
	hva = s->uaddr + (((gpa >> PAGE_SHIFT) - s->base_gfn) << PAGE_SHIFT) +
	      (gpa & ~PAGE_MASK);
	if (!access_ok((void __user *)hva, wide ? 8 : 4))
		goto out;
	if (wide) {
		u64 cur = old;

		ret = __try_cmpxchg_user((u64 __user *)hva, &cur, old | bits,
					 efault64);
	} else {
		u32 cur = (u32)old;

		ret = __try_cmpxchg_user((u32 __user *)hva, &cur,
					 (u32)(old | bits), efault32);
	}
	if (ret < 0)
		ret = -EFAULT;
	else if (!ret && s->dirty_bitmap)
		set_bit((gpa >> PAGE_SHIFT) - s->base_gfn, s->dirty_bitmap);
out:
	srcu_read_unlock(&vm->srcu, idx);
	return ret;
}
