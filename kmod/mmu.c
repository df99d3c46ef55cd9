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
 *
 * Large pages.  Where the owner maps a slot's memory with a 2 MiB page
 * (THP on the memfd or anonymous memory, a 2 MiB hugetlbfs page) and the
 * slot covers the whole aligned 2 MiB of guest-physical space at the same
 * offset within it, a fault maps the 2 MiB with one PDE-level leaf (NPT:
 * PS, APM Vol. 2 15.25.5 and 5.3.4; EPT: bit 7 of an EPT PDE, SDM Vol. 3C
 * 29.3.2), which saves the page-table page and the 511 faults that 4 KiB
 * entries would cost, and the TLB entries.  Where the owner maps a whole
 * 1 GiB page (a 1 GiB hugetlbfs page: THP never does) and the slot covers
 * the aligned GiB the same way, one PDPTE-level leaf maps it (NPT: PS in
 * the PDPTE where the CPU has 1 GiB pages, CPUID Fn8000_0001_EDX[26],
 * APM Vol. 2 5.3.5; EPT: bit 7 of an EPT PDPTE where IA32_VMX_EPT_VPID_CAP
 * bit 17 allows it, SDM Vol. 3C 29.3.2 and A.10).  A large leaf is never
 * split in place: an invalidation that touches any part of it (a THP
 * split, MADV_DONTNEED of 4 KiB, migration) removes it whole, and the next
 * faults map again at whatever size the owner's mapping then has; a slot
 * that logs dirty pages is mapped in 4 KiB pages only, and turning logging
 * on removes its large leaves, so the log stays per 4 KiB page.
 * Re-merging 4 KiB entries into a large one is not done.  The module
 * parameter `huge_pages` (default on) turns the large leaves off.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mm.h>
#include <linux/module.h>
#include <linux/pgtable.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/io.h>

#include "vm.h"

#define PTE_ADDR_MASK	0x000ffffffffff000ULL
#define PT_ENTRIES	512
#define PT_LEVELS	4
/* Bit 7 of a PDE/PDPTE: NPT's PS and EPT's "maps a page" are the same bit. */
#define PTE_LARGE	(1ULL << 7)
#define HUGE_NPAGES	512		/* 4 KiB pages in a 2 MiB leaf */
#define GIANT_NPAGES	(512 * 512)	/* 4 KiB pages in a 1 GiB leaf */

bool vmain_mmu_no_2m;
bool vmain_mmu_no_1g;
static bool huge_pages = true;
module_param(huge_pages, bool, 0644);
MODULE_PARM_DESC(huge_pages,
		 "map guest RAM the owner backs with 2 MiB or 1 GiB pages with nested page-table leaves of that size (default on)");

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

/* A present entry at `level` (0: PT) that points to a table below it. */
static bool pt_is_table(u64 e, int level)
{
	return level > 0 && !(e & PTE_LARGE);
}

/* The count of large leaves at `level` (1: 2 MiB, 2: 1 GiB). */
static unsigned long *leaf_count(struct vmain_mmu *mmu, int level)
{
	return level == 2 ? &mmu->giant_leaves : &mmu->huge_leaves;
}

/* Frees a table and every table below it (level 3: PML4 .. 0: PT). */
static void pt_free(struct vmain_mmu *mmu, u64 *table, int level)
{
	unsigned int i;

	if (level > 0) {
		for (i = 0; i < PT_ENTRIES; i++)
			if (npt_present(mmu->fmt, table[i]) &&
			    pt_is_table(table[i], level))
				pt_free(mmu, pt_table(table[i]), level - 1);
	}
	free_page((unsigned long)table);
	mmu->table_pages--;
}

/*
 * Clears (or write-protects) the leaves for [start, end) below `table`,
 * which maps gfns from `base` at `level`.  Returns whether any changed.
 * A large leaf that the range touches is cleared whole, also when only
 * write access was to go: dirty logging needs 4 KiB write faults.
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
		if (pt_is_table(e, level)) {
			changed |= pt_zap(mmu, pt_table(e), level - 1, lo, start,
					  end, write_only);
		} else if (level > 0) {
			WRITE_ONCE(table[i], 0);
			(*leaf_count(mmu, level))--;
			changed = true;
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
	/*
	 * mm_take_all_locks() gives up with -EINTR when the task has a
	 * signal or task work pending (the work an io_uring queues as it
	 * winds down is enough).  Nothing is left half done here, so the
	 * ioctl restarts once the task has dealt with it, rather than
	 * failing CREATE_VM with an EINTR the caller did nothing to cause.
	 */
	if (ret == -EINTR)
		ret = -ERESTARTNOINTR;
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

/*
 * Installs a leaf for gfn at `leaf_level` (0: 4 KiB, 1: 2 MiB, 2: 1 GiB);
 * tables come from `spare` (3 pages at most).  A large leaf goes in only
 * where no table is (smaller entries already there stay: no merging);
 * false then.  A smaller leaf under a larger one replaces that with a
 * table; *flush is set, because the CPUs may hold the large translation.
 */
static bool pt_install(struct vmain_mmu *mmu, u64 gfn, u64 leaf, int leaf_level,
		       u64 **spare, unsigned int *nspare, bool *flush)
{
	u64 *table = mmu->root, *e;
	int level;

	for (level = PT_LEVELS - 1; level > leaf_level; level--) {
		e = &table[pt_index(gfn, level)];
		if (npt_present(mmu->fmt, *e) && !pt_is_table(*e, level)) {
			/* A 2 MiB or 1 GiB leaf (levels 1, 2: never the PML4). */
			WRITE_ONCE(*e, 0);
			(*leaf_count(mmu, level))--;
			*flush = true;
		}
		if (!npt_present(mmu->fmt, *e)) {
			u64 *next = spare[--(*nspare)];

			mmu->table_pages++;
			WRITE_ONCE(*e, virt_to_phys(next) | mmu->fmt->table);
		}
		table = pt_table(*e);
	}
	e = &table[pt_index(gfn, leaf_level)];
	if (leaf_level) {
		if (npt_present(mmu->fmt, *e) && pt_is_table(*e, leaf_level))
			return false;
		if (!npt_present(mmu->fmt, *e))
			(*leaf_count(mmu, leaf_level))++;
		leaf |= PTE_LARGE;
	}
	WRITE_ONCE(*e, leaf);
	return true;
}

/*
 * The size of the owner's page at hva, as a leaf level (0: 4 KiB or none,
 * 1: 2 MiB, 2: 1 GiB), writable if `write` (else 0).  Read locklessly, as
 * the CPU's page walker does: interrupts off keep the page-table pages
 * from being freed under us (their freeing waits for an IPI or an RCU
 * grace period).  A change after this read goes through the MMU notifier,
 * which the caller's seq check catches.
 */
static int host_page_level(struct mm_struct *mm, unsigned long hva, bool write)
{
	unsigned long flags;
	int level = 0;
	pgd_t pgd;
	p4d_t p4d;
	pud_t pud;
	pmd_t pmd;

	local_irq_save(flags);
	pgd = READ_ONCE(*pgd_offset(mm, hva));
	if (pgd_none(pgd) || pgd_bad(pgd))
		goto out;
	p4d = READ_ONCE(*p4d_offset(&pgd, hva));
	if (p4d_none(p4d) || !p4d_present(p4d) || p4d_bad(p4d))
		goto out;
	pud = READ_ONCE(*pud_offset(&p4d, hva));
	if (pud_none(pud) || !pud_present(pud))
		goto out;
	if (pud_large(pud)) {
		level = !write || pud_write(pud) ? 2 : 0;
		goto out;
	}
	if (pud_bad(pud))
		goto out;
	pmd = READ_ONCE(*pmd_offset(&pud, hva));
	if (pmd_present(pmd) && pmd_large(pmd))
		level = !write || pmd_write(pmd) ? 1 : 0;
out:
	local_irq_restore(flags);
	return level;
}

/*
 * Whether the slot holds the whole aligned range of `npages` (2 MiB or
 * 1 GiB) around gfn, at an owner address with the same offset within its
 * range, so that one host page of that size can back it.
 */
static bool slot_covers(const struct vmain_memslot *s, u64 gfn, u64 npages)
{
	u64 first = gfn & ~(npages - 1);

	return first >= s->base_gfn && first + npages <= s->base_gfn + s->npages &&
	       !(((s->uaddr >> PAGE_SHIFT) - s->base_gfn) & (npages - 1));
}

static u64 level_npages(int level)
{
	return level == 2 ? GIANT_NPAGES : HUGE_NPAGES;
}

/* The first pfn of the `level` page that holds `page`, aligned as hva. */
static unsigned long level_head_pfn(struct page *page, unsigned long hva, int level)
{
	return page_to_pfn(page) - ((hva >> PAGE_SHIFT) & (level_npages(level) - 1));
}

/*
 * The largest leaf level that may map gfn: the owner's page size, capped
 * by what the engine allows, the slot covers and the host page's
 * alignment, and 0 while the slot logs dirty pages.
 */
static int fault_level(struct vmain_vm *vm, const struct vmain_memslot *s,
		       u64 gfn, unsigned long hva, bool write, struct page *page)
{
	int level;

	if (!huge_pages || vmain_mmu_no_2m || (s->flags & VMAIN_MEM_LOG_DIRTY))
		return 0;
	level = host_page_level(vm->mm, hva, write);
	if (level == 2 && vmain_mmu_no_1g)
		level = 1;
	for (; level > 0; level--)
		if (slot_covers(s, gfn, level_npages(level)) &&
		    !(level_head_pfn(page, hva, level) & (level_npages(level) - 1)))
			break;
	return level;
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
	unsigned long hva, seq;
	bool map_write, flush = false;
	unsigned int nspare = 0;
	struct page *page;
	int idx, ret, level;

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
	atomic64_inc(&mmu->faults);
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

	leaf = fmt->leaf_read | fmt->leaf_exec | fmt->leaf_memtype |
	       (map_write ? fmt->leaf_write : 0);
	level = fault_level(vm, s, gfn, hva, map_write, page);

	spin_lock(&mmu->lock);
	/* An invalidation ran or runs: the page may be stale; retry later. */
	if (mmu->in_progress || mmu->seq != seq) {
		spin_unlock(&mmu->lock);
		ret = 0;
		goto put_page;
	}
	/* Down from the largest size that fits to 4 KiB: no merging. */
	for (; level > 0; level--)
		if (pt_install(mmu, gfn, ((u64)level_head_pfn(page, hva, level) << PAGE_SHIFT) | leaf,
			       level, spare, &nspare, &flush))
			break;
	if (!level)
		pt_install(mmu, gfn, (page_to_pfn(page) << PAGE_SHIFT) | leaf, 0,
			   spare, &nspare, &flush);
	if (map_write && s->dirty_bitmap)
		set_bit(gfn - s->base_gfn, s->dirty_bitmap);
	spin_unlock(&mmu->lock);
	if (flush)
		vmain_mmu_flush_remote(vm);
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
