// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * memory.c - memory slots and what the guest sees of them:
 *
 *   memory/region-errors  SET_MEMORY_REGION error cases, one check each
 *                         (EINVAL, also for overlap; EFAULT, ENOENT),
 *                         flag changes, delete and re-add
 *   memory/readd          the guest sees a slot, MMIO once it is deleted,
 *                         the new memory once it is added again
 *   memory/no-ram         RUN with no memory: VMAIN_EXIT_INTERNAL_ERROR,
 *                         VMAIN_INTERNAL_FETCH_NON_RAM at 0xfffffff0, RIP 0xfff0
 *   memory/bad-state      inconsistent register state (the rules docs/abi.md
 *                         lists): SET_SREGS takes it, RUN ends with
 *                         VMAIN_EXIT_FAIL_ENTRY, hardware_reason 0; the vCPU
 *                         runs again once the state is fixed
 *   memory/munmap         the slot's memory is unmapped while the guest
 *                         reads it: VMAIN_INTERNAL_MEMORY_FAULT, never the
 *                         old contents
 *   memory/remap          the slot's memory is replaced (MAP_FIXED) while the
 *                         guest reads it: the new contents, never the old
 *   memory/dirty-log      VMAIN_MEM_LOG_DIRTY: GET_DIRTY_LOG is exactly the
 *                         pages the guest wrote (not read, not host-written;
 *                         REP INS stores by the module count as writes),
 *                         then empty; enabling logging by a flag change;
 *                         errors (EINVAL, ENOENT, EFAULT)
 *   memory/dirty-log-ad   the CPU's own accessed/dirty-flag updates in the
 *                         guest's page tables are guest writes: with the
 *                         slot holding the page tables logging, a guest that
 *                         only fetches code dirties exactly the PML4, PDPT
 *                         and PD pages whose A flags it sets; once they are
 *                         set, at most those; a data write adds the PD page
 *                         (its D flag) and the written page.  Under Bochs
 *                         (VT-x arena), whose walk skips EPT's write check,
 *                         the page-table pages are allowed, not required
 *   memory/huge-thp       a guest touches every 4 KiB page of a slot the
 *                         host backs with THP: each 2 MiB host page is one
 *                         2 MiB nested leaf (VM_GET_INFO's npt_huge_leaves
 *                         equals the THPs smaps counts, table pages and
 *                         faults as computed); MADV_DONTNEED of 4 KiB in a
 *                         huge page: the guest reads zeros there, the rest
 *                         of the 2 MiB stays; dirty logging turned on: no
 *                         large leaves, the log holds exactly the 4 KiB
 *                         pages written
 *   memory/huge-4k        the same slot with MADV_NOHUGEPAGE: 4 KiB leaves
 *                         only (the numbers to compare with, docs/perf.md)
 *   memory/huge-memfd     huge-thp on a memfd, as the monitor backs guest
 *                         RAM (shmem THP, ShmemPmdMapped; MADV_REMOVE
 *                         instead of MADV_DONTNEED, which keeps shmem
 *                         data).  Needs shmem_enabled "advise" or
 *                         "always": as root it sets "advise" for the test
 *                         and puts the old mode back
 *   memory/huge-1g        a 1 GiB slot backed by one 1 GiB hugetlbfs page
 *                         (MAP_HUGETLB | MAP_HUGE_1GB): the guest's pass
 *                         over it is one nested fault and one 1 GiB leaf
 *                         (npt_giant_leaves), no table page; dirty logging
 *                         turned on: 4 KiB leaves and a per-page log;
 *                         MADV_DONTNEED of the whole page: the guest reads
 *                         zeros.  Needs a free 1 GiB page (the SVM arena
 *                         boots with hugepagesz=1G hugepages=1); a host
 *                         without one, or a CPU without 1 GiB pages
 *                         (Page1GB, EPT capability bit 17), is a failure
 *                         unless -n is not 1024 (then the case is skipped,
 *                         as on the VT-x arena: its 512 MiB hold no GiB)
 *
 * Usage: memory [-T TIMEOUT] [-n MIB] [CASE...]; -n is the size of the
 * huge-* slot (default 64 MiB; the SVM arena runs 1024).
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib.h"

#define PAGE		4096ULL
#define KERNEL_ADDR	0xffff888000000000ULL
#define PORT_VAL	0x70
#define TEST_GPA	0x100000	/* slot for readd/munmap/remap */
#define TEST_SLOT	2
#define TEST_SIZE	0x4000
#define DIRTY_GPA	0x200000
#define DIRTY_SLOT	3
#define DIRTY_PAGES	130		/* three bitmap words */

/* Reads TEST_GPA and OUTs it, once (readd) or forever (munmap/remap). */
GUEST_CODE(gl_read1);
GUEST_CODE(gl_readloop);
/*
 * Dirty log: 16-byte operations at GUEST_DATA_GPA: op (0 end, 1 write a
 * byte, 2 read a byte), pad, address.
 */
GUEST_CODE(gl_dirty);
/* For bad-state: just HLT. */
GUEST_CODE(gl_hlt);
/* For dirty-log-ad: one byte written to GUEST_DATA_GPA, then HLT. */
GUEST_CODE(gl_adw);
/* REP INSB of 16 bytes into page 20 of the dirty-log slot. */
GUEST_CODE(gl_dirty_ins);

asm(GUEST_ASM_BEGIN(".code64")
    "gl_read1_start:\n"
    "	mov " GUEST_STR(TEST_GPA) ", %eax\n"
    "	out %eax, $" GUEST_STR(PORT_VAL) "\n"
    "	hlt\n"
    "gl_read1_end:\n"
    "gl_readloop_start:\n"
    "1:	mov " GUEST_STR(TEST_GPA) ", %eax\n"
    "	add " GUEST_STR(TEST_GPA) "+0x1ffc, %eax\n"	/* a second page */
    "	out %eax, $" GUEST_STR(PORT_VAL) "\n"
    "	jmp 1b\n"
    "gl_readloop_end:\n"
    "gl_dirty_start:\n"
    "	mov $" GUEST_STR(GUEST_DATA_GPA) ", %esi\n"
    "1:	mov (%rsi), %eax\n"
    "	test %eax, %eax\n"
    "	jz 3f\n"
    "	mov 8(%rsi), %rdi\n"
    "	cmp $1, %eax\n"
    "	jne 2f\n"
    "	movb $0x5a, (%rdi)\n"
    "	jmp 4f\n"
    "2:	mov (%rdi), %al\n"
    "4:	add $16, %rsi\n"
    "	jmp 1b\n"
    "3:	hlt\n"
    "gl_dirty_end:\n"
    "gl_hlt_start:\n"
    "	hlt\n"
    "gl_hlt_end:\n"
    "gl_adw_start:\n"
    "	movb $1, " GUEST_STR(GUEST_DATA_GPA) "\n"
    "	hlt\n"
    "gl_adw_end:\n"
    "gl_dirty_ins_start:\n"
    "	mov $" GUEST_STR(DIRTY_GPA) " + 20 * 4096 + 8, %edi\n"
    "	mov $" GUEST_STR(PORT_VAL) ", %dx\n"
    "	mov $16, %ecx\n"
    "	cld\n"
    "	rep insb\n"
    "	hlt\n"
    "gl_dirty_ins_end:\n"
    GUEST_ASM_END);

/*
 * huge-*: ops of 16 bytes at GUEST_DATA_GPA: op (0 end, 1 write 0x11 at
 * the start of `count` pages from addr, 2 write 0x5a at addr, 3 read the
 * dword at addr and OUT it to PORT_VAL), count, addr.  HLT after the
 * list; the next RUN starts the list again.
 */
GUEST_CODE(gl_huge);
asm(GUEST_ASM_BEGIN(".code64")
    "gl_huge_start:\n"
    "1:	mov $" GUEST_STR(GUEST_DATA_GPA) ", %esi\n"
    "2:	mov (%rsi), %eax\n"
    "	test %eax, %eax\n"
    "	jz 9f\n"
    "	mov 4(%rsi), %ecx\n"
    "	mov 8(%rsi), %rdi\n"
    "	cmp $1, %eax\n"
    "	jne 3f\n"
    "4:	movb $0x11, (%rdi)\n"
    "	add $4096, %rdi\n"
    "	dec %ecx\n"
    "	jnz 4b\n"
    "	jmp 8f\n"
    "3:	cmp $2, %eax\n"
    "	jne 5f\n"
    "	movb $0x5a, (%rdi)\n"
    "	jmp 8f\n"
    "5:	mov (%rdi), %eax\n"
    "	out %eax, $" GUEST_STR(PORT_VAL) "\n"
    "8:	add $16, %rsi\n"
    "	jmp 2b\n"
    "9:	hlt\n"
    "	jmp 1b\n"
    "gl_huge_end:\n"
    GUEST_ASM_END);

static int region(int vmfd, __u32 slot, __u32 flags, __u64 gpa, __u64 size,
		  __u64 uaddr)
{
	struct vmain_memory_region r;

	memset(&r, 0, sizeof(r));
	r.slot = slot;
	r.flags = flags;
	r.guest_phys_addr = gpa;
	r.size = size;
	r.userspace_addr = uaddr;
	return ioctl(vmfd, VMAIN_VM_SET_MEMORY_REGION, &r);
}

static void test_region_errors(void)
{
	long bits = guest_cap(VMAIN_CAP_GUEST_PHYS_BITS);
	long slots = guest_cap(VMAIN_CAP_MAX_MEM_SLOTS);
	struct vmain_memory_region r;
	struct vm *vm;
	__u64 buf, top;
	unsigned int bit, i;
	void *mem;

	tap_ok(bits >= 32 && bits <= 52, "memory/region-errors: VMAIN_CAP_GUEST_PHYS_BITS is %ld (32..52)", bits);
	tap_ok(slots >= 8, "memory/region-errors: VMAIN_CAP_MAX_MEM_SLOTS is %ld (>= 8)", slots);
	if (bits < 32 || bits > 52 || slots < 8)
		return;
	top = 1ULL << bits;
	vm = vm_new_bare();
	if (!vm)
		return;
	mem = guest_alloc(0x40000, GUEST_MEMFD, NULL);
	if (!mem) {
		guest_fail("guest_alloc: %s", strerror(errno));
		vm_free(vm);
		return;
	}
	buf = (uintptr_t)mem;

	tap_errno(region(vm->fd, 0, 0, 0x1001, 0x1000, buf), EINVAL,
		  "memory/region-errors: unaligned guest_phys_addr");
	tap_errno(region(vm->fd, 0, 0, 0x1000, 0x1001, buf), EINVAL,
		  "memory/region-errors: size not a page multiple");
	tap_errno(region(vm->fd, 0, 0, 0x1000, 0x800, buf), EINVAL,
		  "memory/region-errors: size of half a page");
	tap_errno(region(vm->fd, 0, 0, 0x1000, 0x1000, buf + 1), EINVAL,
		  "memory/region-errors: unaligned userspace_addr");
	tap_errno(region(vm->fd, 0, 0, top - 0x1000, 0x2000, buf), EINVAL,
		  "memory/region-errors: gpa + size past 2^%ld", bits);
	tap_errno(region(vm->fd, 0, 0, top, 0x1000, buf), EINVAL,
		  "memory/region-errors: gpa at 2^%ld", bits);
	tap_errno(region(vm->fd, 0, 0, 0xfffffffffffff000ULL, 0x2000, buf), EINVAL,
		  "memory/region-errors: gpa + size wraps around 2^64");
	tap_errno(region(vm->fd, (__u32)slots, 0, 0, 0x1000, buf), EINVAL,
		  "memory/region-errors: slot VMAIN_CAP_MAX_MEM_SLOTS (%ld)", slots);
	tap_errno(region(vm->fd, 0xffffffff, 0, 0, 0x1000, buf), EINVAL,
		  "memory/region-errors: slot 0xffffffff");
	for (bit = 0; bit < 32; bit++) {
		if ((1U << bit) & VMAIN_MEM_VALID_FLAGS)
			continue;
		tap_errno(region(vm->fd, 0, 1U << bit, 0, 0x1000, buf), EINVAL,
			  "memory/region-errors: unknown flag bit %u", bit);
	}
	for (i = 0; i < 4; i++) {
		memset(&r, 0, sizeof(r));
		r.size = 0x1000;
		r.userspace_addr = buf;
		r.reserved[i] = 1;
		tap_errno(ioctl(vm->fd, VMAIN_VM_SET_MEMORY_REGION, &r), EINVAL,
			  "memory/region-errors: reserved[%u] non-zero", i);
	}
	tap_errno(region(vm->fd, 0, 0, 0, 0x1000, KERNEL_ADDR), EFAULT,
		  "memory/region-errors: userspace_addr is a kernel address");
	tap_errno(ioctl(vm->fd, VMAIN_VM_SET_MEMORY_REGION, NULL), EFAULT,
		  "memory/region-errors: SET_MEMORY_REGION(NULL)");
	tap_errno(region(vm->fd, 5, 0, 0, 0, 0), ENOENT,
		  "memory/region-errors: deleting a slot that does not exist");
	tap_errno(region(vm->fd, (__u32)slots, 0, 0, 0, 0), EINVAL,
		  "memory/region-errors: deleting slot VMAIN_CAP_MAX_MEM_SLOTS");

	/* Valid slots, then overlaps. */
	tap_ok(region(vm->fd, 0, 0, 0x10000, 0x10000, buf) == 0,
	       "memory/region-errors: slot 0 at 0x10000, 64 KiB");
	tap_ok(region(vm->fd, 1, 0, 0x20000, 0x10000, buf + 0x10000) == 0,
	       "memory/region-errors: slot 1 right after it (adjacent is fine)");
	tap_ok(region(vm->fd, (__u32)slots - 1, 0, top - 0x1000, 0x1000, buf + 0x20000) == 0,
	       "memory/region-errors: the last slot, ending exactly at 2^%ld", bits);
	tap_errno(region(vm->fd, 2, 0, 0x8000, 0x10000, buf + 0x20000), EINVAL,
		  "memory/region-errors: overlapping the start of slot 0");
	tap_errno(region(vm->fd, 2, 0, 0x1f000, 0x2000, buf + 0x20000), EINVAL,
		  "memory/region-errors: straddling slots 0 and 1");
	tap_errno(region(vm->fd, 2, 0, 0x14000, 0x1000, buf + 0x20000), EINVAL,
		  "memory/region-errors: inside slot 0");
	tap_errno(region(vm->fd, 2, 0, 0, 0x40000, buf), EINVAL,
		  "memory/region-errors: containing slots 0 and 1");
	tap_ok(region(vm->fd, 2, 0, 0x30000, 0x1000, buf + 0x30000) == 0,
	       "memory/region-errors: slot 2 sharing host memory with nothing, after slot 1");
	tap_ok(region(vm->fd, 3, 0, 0x40000, 0x1000, buf + 0x30000) == 0,
	       "memory/region-errors: slot 3 backed by the same host memory as slot 2 (aliasing is fine)");

	/* Changes to an existing slot. */
	tap_ok(region(vm->fd, 0, 0, 0x10000, 0x10000, buf) == 0,
	       "memory/region-errors: setting slot 0 again unchanged");
	tap_errno(region(vm->fd, 0, 0, 0x50000, 0x10000, buf), EINVAL,
		  "memory/region-errors: moving slot 0 (new gpa) without deleting it");
	tap_errno(region(vm->fd, 0, 0, 0x10000, 0x8000, buf), EINVAL,
		  "memory/region-errors: shrinking slot 0 without deleting it");
	tap_errno(region(vm->fd, 0, 0, 0x10000, 0x10000, buf + 0x30000), EINVAL,
		  "memory/region-errors: new userspace_addr for slot 0 without deleting it");
	if (guest_cap(VMAIN_CAP_DIRTY_LOG) == 1) {
		tap_ok(region(vm->fd, 0, VMAIN_MEM_LOG_DIRTY, 0x10000, 0x10000, buf) == 0,
		       "memory/region-errors: turning on VMAIN_MEM_LOG_DIRTY of slot 0");
		tap_ok(region(vm->fd, 0, 0, 0x10000, 0x10000, buf) == 0,
		       "memory/region-errors: turning it off again");
	} else {
		tap_errno(region(vm->fd, 0, VMAIN_MEM_LOG_DIRTY, 0x10000, 0x10000, buf), EINVAL,
			  "memory/region-errors: VMAIN_MEM_LOG_DIRTY without VMAIN_CAP_DIRTY_LOG");
	}

	/* Delete and re-add. */
	tap_ok(region(vm->fd, 0, 0, 0, 0, 0) == 0, "memory/region-errors: deleting slot 0");
	tap_errno(region(vm->fd, 0, 0, 0, 0, 0), ENOENT,
		  "memory/region-errors: deleting slot 0 again");
	tap_ok(region(vm->fd, 0, 0, 0x50000, 0x8000, buf + 0x8000) == 0,
	       "memory/region-errors: slot 0 re-added elsewhere, smaller, other memory");
	tap_ok(region(vm->fd, 4, 0, 0x10000, 0x10000, buf) == 0,
	       "memory/region-errors: the range slot 0 had is free for another slot");
	for (i = 0; i < 5; i++)
		region(vm->fd, i, 0, 0, 0, 0);
	region(vm->fd, (__u32)slots - 1, 0, 0, 0, 0);
	vm_free(vm);
	munmap(mem, 0x40000);
}

static void test_readd(void)
{
	struct vm *vm = vm_new();
	struct vcpu *vcpu;
	__u32 v;

	if (!vm)
		return;
	vcpu = vcpu_new(vm, 0);
	if (!vcpu || vm_add_slot(vm, TEST_SLOT, TEST_GPA, TEST_SIZE, 0, GUEST_MEMFD))
		goto out;
	v = 0xaaaa0001;
	vm_write(vm, TEST_GPA, &v, 4);
	if (vcpu_start(vcpu, GUEST_LONG64, GUEST_SNIPPET(gl_read1)) ||
	    !expect_out(vcpu, PORT_VAL, 4, v, "the guest reads the slot"))
		goto out;
	if (vm_del_slot(vm, TEST_SLOT) ||
	    vcpu_start(vcpu, GUEST_LONG64, GUEST_SNIPPET(gl_read1)))
		goto out;
	if (!expect_mmio_read(vcpu, TEST_GPA, 4, 0xbbbb0002,
			      "after deleting the slot, its range is MMIO") ||
	    !expect_out(vcpu, PORT_VAL, 4, 0xbbbb0002, "the MMIO read completes"))
		goto out;
	if (vm_add_slot(vm, TEST_SLOT, TEST_GPA, TEST_SIZE, 0, GUEST_ANON))
		goto out;
	v = 0xcccc0003;
	vm_write(vm, TEST_GPA, &v, 4);
	if (vcpu_start(vcpu, GUEST_LONG64, GUEST_SNIPPET(gl_read1)))
		goto out;
	expect_out(vcpu, PORT_VAL, 4, v, "re-added (anonymous memory now): the guest reads the new memory");
out:
	vcpu_free(vcpu);
	vm_free(vm);
}

static void test_no_ram(void)
{
	struct vm *vm = vm_new_bare();
	struct vcpu *vcpu;
	struct vmain_run_internal *in;

	if (!vm)
		return;
	vcpu = vcpu_new(vm, 0);
	if (!vcpu)
		goto out;
	in = &vcpu->run->exit.internal;
	if (expect_exit(vcpu, VMAIN_EXIT_INTERNAL_ERROR,
			"RUN from RESET without memory: VMAIN_EXIT_INTERNAL_ERROR")) {
		bool ok = in->suberror == VMAIN_INTERNAL_FETCH_NON_RAM && in->ndata == 4 &&
			  in->data[0] == 0xfffffff0 && in->data[1] == 0xfff0 &&
			  in->data[2] == 0 && in->data[3] != 0;

		tap_ok(ok, "memory/no-ram: suberror VMAIN_INTERNAL_FETCH_NON_RAM, data[0] gpa 0xfffffff0, data[1] RIP 0xfff0, data[2] 0 (a fetch), data[3] the fault's error code");
		if (!ok)
			tap_diag("  %s", exit_str(vcpu));
	}
out:
	vcpu_free(vcpu);
	vm_free(vm);
}

struct bad_state {
	const char *what;
	enum guest_mode mode;
	void (*corrupt)(struct vmain_sregs *s);
	__u64 rflags;		/* if not 0: RFLAGS to set */
};

static void pg_without_pe(struct vmain_sregs *s)
{
	s->cr0 = 0x80000030;	/* PG, ET, NE; no PE */
}

static void long_without_pae(struct vmain_sregs *s)
{
	s->cr4 &= ~0x20ULL;
}

static void lma_without_pg(struct vmain_sregs *s)
{
	s->cr0 &= ~0x80000000ULL;
}

static void cs_l_and_d(struct vmain_sregs *s)
{
	s->cs.db = 1;
}

static void cs_not_present(struct vmain_sregs *s)
{
	s->cs.present = 0;
}

static void cs_data_type(struct vmain_sregs *s)
{
	s->cs.type = 0x3;
}

static void nw_without_cd(struct vmain_sregs *s)
{
	s->cr0 |= 1ULL << 29;
}

static void cr0_high_bit(struct vmain_sregs *s)
{
	s->cr0 |= 1ULL << 32;
}

static void cr4_vmxe(struct vmain_sregs *s)
{
	s->cr4 |= 1ULL << 13;
}

static void no_change(struct vmain_sregs *s)
{
	(void)s;
}

static void test_bad_state(void)
{
	static const struct bad_state cases[] = {
		{ "CR0.PG=1 with CR0.PE=0", GUEST_PROT32, pg_without_pe, 0 },
		{ "EFER.LME/LMA and CR0.PG with CR4.PAE=0", GUEST_LONG64, long_without_pae, 0 },
		{ "EFER.LMA=1 with CR0.PG=0", GUEST_LONG64, lma_without_pg, 0 },
		{ "64-bit CS with both L and D set", GUEST_LONG64, cs_l_and_d, 0 },
		{ "CS not present", GUEST_PROT32, cs_not_present, 0 },
		{ "CS of a data segment type", GUEST_PROT32, cs_data_type, 0 },
		{ "CR0.NW=1 with CR0.CD=0", GUEST_PROT32, nw_without_cd, 0 },
		{ "a CR0 bit above 31", GUEST_LONG64, cr0_high_bit, 0 },
		{ "CR4.VMXE", GUEST_LONG64, cr4_vmxe, 0 },
		{ "a reserved RFLAGS bit (22)", GUEST_LONG64, no_change, 0x400002 },
		{ "a reserved RFLAGS bit (15)", GUEST_LONG64, no_change, 0x8002 },
	};
	unsigned int i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vm *vm = vm_new();
		struct vcpu *vcpu = vm ? vcpu_new(vm, 0) : NULL;
		struct vmain_sregs s;
		int ret;

		if (!vcpu || vcpu_start(vcpu, cases[i].mode, GUEST_SNIPPET(gl_hlt)) ||
		    vcpu_get_sregs(vcpu, &s))
			goto next;
		cases[i].corrupt(&s);
		if (cases[i].rflags) {
			ret = vcpu_set_reg(vcpu, R_RFLAGS, cases[i].rflags);
		} else {
			ret = ioctl(vcpu->fd, VMAIN_VCPU_SET_SREGS, &s);
			if (!tap_ok(ret == 0, "memory/bad-state: SET_SREGS takes %s (checked at entry)",
				    cases[i].what))
				tap_diag("  errno %d (%s)", errno, strerror(errno));
		}
		if (ret)
			goto next;
		if (expect_exit(vcpu, VMAIN_EXIT_FAIL_ENTRY,
				"RUN with %s: VMAIN_EXIT_FAIL_ENTRY", cases[i].what))
			tap_ok(vcpu->run->exit.fail_entry.hardware_reason == 0,
			       "memory/bad-state: %s: hardware_reason 0 (the module's own check; got 0x%llx)",
			       cases[i].what,
			       (unsigned long long)vcpu->run->exit.fail_entry.hardware_reason);
		if (!vcpu_setup(vcpu, cases[i].mode, GUEST_CODE_GPA))
			expect_hlt(vcpu, GUEST_CODE_GPA + 1,
				   "after FAIL_ENTRY (%s), a valid state runs", cases[i].what);
next:
		vcpu_free(vcpu);
		vm_free(vm);
	}
}

/* munmap / MAP_FIXED replacement while the guest reads. */
#define OLD_VAL	0xa1a1a1a1U
#define NEW_VAL	0xb2b2b2b2U

struct reader {
	struct vcpu *vcpu;
	atomic_int phase;	/* 1 once the memory is gone or replaced */
	atomic_ulong runs_before;
	bool remap;
	__u64 old_hva;
	unsigned long after;	/* RUNs started after the change */
	bool ok, fault;
	char why[400];
	__u64 fault_data[3];
};

static void *reader_main(void *arg)
{
	struct reader *r = arg;
	unsigned long i;

	r->ok = false;
	for (i = 0; i < 10000000; i++) {
		int phase = atomic_load(&r->phase);
		struct vmain_run *run = r->vcpu->run;
		__u32 v;

		if (vcpu_run(r->vcpu)) {
			snprintf(r->why, sizeof(r->why), "RUN failed: %s%s",
				 strerror(errno), r->vcpu->timed_out ? " (timeout)" : "");
			break;
		}
		if (run->exit_reason == VMAIN_EXIT_INTERNAL_ERROR &&
		    run->exit.internal.suberror == VMAIN_INTERNAL_MEMORY_FAULT) {
			r->fault = true;
			memcpy(r->fault_data, run->exit.internal.data, sizeof(r->fault_data));
			if (r->remap)
				snprintf(r->why, sizeof(r->why),
					 "MEMORY_FAULT although the range was re-mapped: %s",
					 exit_str(r->vcpu));
			else if (run->exit.internal.ndata < 3 ||
				 run->exit.internal.data[0] < TEST_GPA ||
				 run->exit.internal.data[0] >= TEST_GPA + TEST_SIZE ||
				 run->exit.internal.data[1] !=
				 r->old_hva + (run->exit.internal.data[0] - TEST_GPA))
				snprintf(r->why, sizeof(r->why),
					 "MEMORY_FAULT data wrong (want a gpa in the slot and its hva, old hva 0x%llx): %s",
					 (unsigned long long)r->old_hva, exit_str(r->vcpu));
			else
				r->ok = true;	/* also if munmap raced with this RUN */
			break;
		}
		if (run->exit_reason != VMAIN_EXIT_IO || run->exit.io.port != PORT_VAL ||
		    run->exit.io.size != 4 || !io_data(r->vcpu)) {
			snprintf(r->why, sizeof(r->why), "unexpected exit: %s",
				 exit_str(r->vcpu));
			break;
		}
		memcpy(&v, io_data(r->vcpu), 4);
		if (phase == 0) {
			/* Old memory, or the new one if the change raced with this RUN. */
			if (v != 2 * OLD_VAL && !(r->remap && (v == 2 * NEW_VAL ||
							      v == OLD_VAL + NEW_VAL))) {
				snprintf(r->why, sizeof(r->why), "read 0x%x before the change", v);
				break;
			}
			atomic_fetch_add(&r->runs_before, 1);
			continue;
		}
		r->after++;
		if (!r->remap) {
			snprintf(r->why, sizeof(r->why),
				 "a RUN started after munmap read 0x%x (%s memory)", v,
				 v == 2 * OLD_VAL ? "the old" : "some");
			break;
		}
		if (v != 2 * NEW_VAL) {
			snprintf(r->why, sizeof(r->why),
				 "a RUN started after the MAP_FIXED replacement read 0x%x%s",
				 v, v == 2 * OLD_VAL ? " (the old memory)" : "");
			break;
		}
		if (r->after >= 200) {
			r->ok = true;
			break;
		}
	}
	guest_thread_done();
	return NULL;
}

static void test_unmap(bool remap)
{
	const char *name = remap ? "memory/remap" : "memory/munmap";
	struct vm *vm = vm_new();
	struct vcpu *vcpu = NULL;
	struct reader r;
	pthread_t thread;
	void *old = NULL, *p;
	int newfd = -1;
	unsigned int i;
	double end;

	if (!vm)
		return;
	memset(&r, 0, sizeof(r));
	/* munmap: memfd memory; remap: anonymous memory replaced by a memfd. */
	old = guest_alloc(TEST_SIZE, remap ? GUEST_ANON : GUEST_MEMFD, NULL);
	if (!old) {
		guest_fail("guest_alloc: %s", strerror(errno));
		goto out;
	}
	for (i = 0; i < TEST_SIZE / 4; i++)
		((__u32 *)old)[i] = OLD_VAL;
	if (vm_set_region(vm, TEST_SLOT, 0, TEST_GPA, TEST_SIZE, (uintptr_t)old)) {
		guest_fail("SET_MEMORY_REGION: %s", strerror(errno));
		goto out;
	}
	vcpu = vcpu_new(vm, 0);
	if (!vcpu || vcpu_start(vcpu, GUEST_LONG64, GUEST_SNIPPET(gl_readloop)))
		goto out;
	r.vcpu = vcpu;
	r.remap = remap;
	r.old_hva = (uintptr_t)old;
	if (remap) {
		newfd = memfd_create("vmain-new", MFD_CLOEXEC);
		p = newfd < 0 || ftruncate(newfd, TEST_SIZE) ? MAP_FAILED :
		    mmap(NULL, TEST_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, newfd, 0);
		if (p == MAP_FAILED) {
			guest_fail("new memory: %s", strerror(errno));
			goto out;
		}
		for (i = 0; i < TEST_SIZE / 4; i++)
			((__u32 *)p)[i] = NEW_VAL;
		munmap(p, TEST_SIZE);
	}
	if (pthread_create(&thread, NULL, reader_main, &r)) {
		guest_fail("pthread_create failed");
		goto out;
	}
	/* Let the guest read the old memory for a while. */
	end = guest_now_ms() + 5000;
	while (atomic_load(&r.runs_before) < 100 && guest_now_ms() < end)
		usleep(100);
	if (remap) {
		p = mmap(old, TEST_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
			 newfd, 0);
		if (p != old)
			guest_fail("mmap MAP_FIXED: %s", strerror(errno));
	} else {
		munmap(old, TEST_SIZE);
	}
	atomic_store(&r.phase, 1);
	pthread_join(thread, NULL);

	tap_ok(atomic_load(&r.runs_before) >= 100,
	       "%s: the guest read the old memory before the change (%lu RUNs)", name,
	       (unsigned long)atomic_load(&r.runs_before));
	if (remap) {
		tap_ok(r.ok, "%s: after mmap(MAP_FIXED) the guest reads the new memory, never the old (%lu RUNs)",
		       name, r.after);
	} else {
		tap_ok(r.ok && r.fault,
		       "%s: after munmap the guest gets VMAIN_INTERNAL_MEMORY_FAULT, never the old memory",
		       name);
		if (r.fault)
			tap_diag("MEMORY_FAULT gpa 0x%llx hva 0x%llx errno %lld (old hva %p)",
				 (unsigned long long)r.fault_data[0],
				 (unsigned long long)r.fault_data[1],
				 (long long)r.fault_data[2], old);
	}
	if (r.why[0])
		tap_diag("  %s", r.why);
out:
	vcpu_free(vcpu);
	vm_free(vm);
	if (old && remap)
		munmap(old, TEST_SIZE);
	if (newfd >= 0)
		close(newfd);
}

/* Dirty logging. */
struct dop {
	__u32 op, pad;
	__u64 addr;
};

static int get_log(int vmfd, __u32 slot, void *bitmap)
{
	struct vmain_dirty_log d;

	memset(&d, 0, sizeof(d));
	d.slot = slot;
	d.bitmap = (uintptr_t)bitmap;
	return ioctl(vmfd, VMAIN_VM_GET_DIRTY_LOG, &d);
}

/* Runs the guest over `ops`; one line. */
static bool dirty_run(struct vcpu *vcpu, const struct dop *ops, unsigned int n,
		      const char *what)
{
	struct dop buf[64];

	memset(buf, 0, sizeof(buf));
	memcpy(buf, ops, n * sizeof(*ops));
	vm_write(vcpu->vm, GUEST_DATA_GPA, buf, sizeof(buf));
	if (vcpu_start(vcpu, GUEST_LONG64, GUEST_SNIPPET(gl_dirty)))
		return false;
	return expect_hlt(vcpu, GUEST_ANY_RIP, "%s", what);
}

/* Checks the log of DIRTY_SLOT against the pages in want[]; one line. */
static void check_log(struct vm *vm, __u32 slot, const unsigned int *want,
		      unsigned int nwant, const char *what)
{
	__u64 bm[4], exp[3] = { 0, 0, 0 };
	unsigned int i;
	bool ok;
	int ret;

	for (i = 0; i < nwant; i++)
		exp[want[i] / 64] |= 1ULL << (want[i] % 64);
	bm[0] = bm[1] = bm[2] = 0xa5a5a5a5a5a5a5a5ULL;
	bm[3] = 0x5a5a5a5a5a5a5a5aULL;	/* past ceil(130 / 64) words */
	ret = get_log(vm->fd, slot, bm);
	ok = ret == 0 && !memcmp(bm, exp, sizeof(exp)) && bm[3] == 0x5a5a5a5a5a5a5a5aULL;
	tap_ok(ok, "memory/dirty-log: %s", what);
	if (!ok)
		tap_diag("  ret %d errno %d: %016llx %016llx %016llx [%016llx], want %016llx %016llx %016llx",
			 ret, ret ? errno : 0, (unsigned long long)bm[0],
			 (unsigned long long)bm[1], (unsigned long long)bm[2],
			 (unsigned long long)bm[3], (unsigned long long)exp[0],
			 (unsigned long long)exp[1], (unsigned long long)exp[2]);
}

#define PG(n) (DIRTY_GPA + (n) * PAGE)

/*
 * memory/dirty-log-ad.  vm_new() writes the identity map with every
 * accessed and dirty flag clear; the CPU sets them as it walks, and its
 * stores to the guest's paging structures are writes for the nested
 * walk (AMD APM Vol. 2, "Nested Paging"; Intel SDM Vol. 3C, "EPT"), so
 * they fault on a write-protected, logging slot like the guest's own
 * stores.  Whether a walk that changes no flag counts as a write is the
 * CPU's choice (Intel's EPT A/D feature makes every paging-structure
 * access one, QEMU's AMD-V does the same): such pages may be in the log,
 * and are reported as a # line.
 *
 * Bochs 2.7 (the VT-x arena) sets the flags without the EPT write check
 * that hardware makes, so no page-table page reaches the log there: on
 * a VT-x VM under Bochs (DMI names it) the page-table pages are only
 * allowed, not required, and a # line says so; the guest's own write
 * is still required.
 */
static bool bochs_vtx(struct vm *vm)
{
	static const char *const files[] = {
		"/sys/class/dmi/id/bios_vendor", "/sys/class/dmi/id/sys_vendor",
		"/sys/class/dmi/id/product_name",
	};
	struct vmain_vm_info info;
	char buf[128];
	unsigned int i;
	bool bochs = false;

	memset(&info, 0, sizeof(info));
	if (ioctl(vm->fd, VMAIN_VM_GET_INFO, &info) || !(info.hw & VMAIN_HW_VMX))
		return false;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		FILE *f = fopen(files[i], "r");

		if (!f)
			continue;
		if (fgets(buf, sizeof(buf), f)) {
			buf[strcspn(buf, "\n")] = 0;
			tap_diag("%s: %s", files[i], buf);
			bochs = bochs || strstr(buf, "Bochs") || strstr(buf, "BOCHS");
		}
		fclose(f);
	}
	return bochs;
}

static void check_low_log(struct vm *vm, const unsigned int *want,
			  unsigned int nwant, const unsigned int *may,
			  unsigned int nmay, const char *what)
{
	__u64 bm[GUEST_LOWMEM_SIZE / PAGE / 64], exp[GUEST_LOWMEM_SIZE / PAGE / 64];
	__u64 allowed[GUEST_LOWMEM_SIZE / PAGE / 64];
	unsigned int i;
	bool ok;
	int ret;

	memset(exp, 0, sizeof(exp));
	for (i = 0; i < nwant; i++)
		exp[want[i] / 64] |= 1ULL << (want[i] % 64);
	memcpy(allowed, exp, sizeof(exp));
	for (i = 0; i < nmay; i++)
		allowed[may[i] / 64] |= 1ULL << (may[i] % 64);
	memset(bm, 0xa5, sizeof(bm));
	ret = get_log(vm->fd, GUEST_LOWMEM_SLOT, bm);
	ok = ret == 0;
	for (i = 0; ok && i < sizeof(bm) / sizeof(bm[0]); i++)
		ok = (bm[i] & exp[i]) == exp[i] && !(bm[i] & ~allowed[i]);
	tap_ok(ok, "memory/dirty-log-ad: %s", what);
	for (i = 0; i < sizeof(bm) / sizeof(bm[0]); i++)
		if (!ok || bm[i] != exp[i])
			tap_diag("  %s: log word %u: %016llx, required %016llx, allowed %016llx",
				 ok ? "(allowed)" : "", i, (unsigned long long)bm[i],
				 (unsigned long long)exp[i], (unsigned long long)allowed[i]);
}

static void test_dirty_log_ad(void)
{
	static const unsigned int walk[] = {
		GUEST_PML4_GPA / PAGE, GUEST_PDPT_GPA / PAGE, GUEST_PD_GPA / PAGE,
	};
	static const unsigned int write[] = { GUEST_PD_GPA / PAGE, GUEST_DATA_GPA / PAGE };
	__u64 bm[GUEST_LOWMEM_SIZE / PAGE / 64], pde;
	struct vm *vm;
	struct vcpu *vcpu = NULL;
	bool emu;

	if (guest_cap(VMAIN_CAP_DIRTY_LOG) != 1)
		return;
	vm = vm_new();
	if (!vm)
		return;
	emu = bochs_vtx(vm);
	if (emu)
		tap_diag("VT-x under Bochs: its A/D-flag stores skip the EPT write check; page-table pages are not required in the log");
	vcpu = vcpu_new(vm, 0);
	if (!vcpu || vcpu_start(vcpu, GUEST_LONG64, GUEST_SNIPPET(gl_hlt)))
		goto out;
	if (vm_set_region(vm, GUEST_LOWMEM_SLOT, VMAIN_MEM_LOG_DIRTY, 0, GUEST_LOWMEM_SIZE,
			  (uintptr_t)vm_gpa(vm, 0)) || get_log(vm->fd, GUEST_LOWMEM_SLOT, bm)) {
		guest_fail("logging on the low RAM slot: %s", strerror(errno));
		goto out;
	}
	vm_read(vm, GUEST_PD_GPA, &pde, sizeof(pde));
	tap_ok((pde & 0x60) == 0, "memory/dirty-log-ad: the guest's PDE 0 starts with A and D clear");
	if (!expect_hlt(vcpu, GUEST_ANY_RIP, "a guest that only fetches code (HLT)"))
		goto out;
	vm_read(vm, GUEST_PD_GPA, &pde, sizeof(pde));
	tap_ok((pde & 0x60) == 0x20, "memory/dirty-log-ad: the CPU set A (not D) in PDE 0 (0x%llx)",
	       (unsigned long long)pde);
	if (emu)
		check_low_log(vm, NULL, 0, walk, 3,
			      "nothing but page-table pages is logged for a guest that only fetches code");
	else
		check_low_log(vm, walk, 3, NULL, 0,
			      "its A-flag updates dirty exactly the PML4, PDPT and PD pages (the code page, only read, is clean)");

	if (vcpu_start(vcpu, GUEST_LONG64, GUEST_SNIPPET(gl_hlt)) ||
	    !expect_hlt(vcpu, GUEST_ANY_RIP, "the same guest again (a fresh CR3 load)"))
		goto out;
	check_low_log(vm, NULL, 0, walk, 3,
		      "with the A flags already set, nothing but (on some CPUs) the walked tables");

	if (vcpu_start(vcpu, GUEST_LONG64, GUEST_SNIPPET(gl_adw)) ||
	    !expect_hlt(vcpu, GUEST_ANY_RIP, "a guest writing one byte to GUEST_DATA_GPA"))
		goto out;
	vm_read(vm, GUEST_PD_GPA, &pde, sizeof(pde));
	tap_ok((pde & 0x60) == 0x60, "memory/dirty-log-ad: the write set D in PDE 0 (0x%llx)",
	       (unsigned long long)pde);
	if (emu)
		check_low_log(vm, write + 1, 1, walk, 3,
			      "the written page is logged (page-table pages allowed)");
	else
		check_low_log(vm, write, 2, walk, 3,
			      "the D-flag update dirties the PD page, next to the written page");
out:
	vcpu_free(vcpu);
	vm_free(vm);
}


/* Runs gl_dirty_ins (REP INSB of 16 bytes into page 20), answering the IN. */
static bool dirty_by_ins(struct vcpu *vcpu)
{
	unsigned int got = 0, exits = 0;
	bool ok;

	if (vcpu_start(vcpu, GUEST_LONG64, GUEST_SNIPPET(gl_dirty_ins)))
		return tap_ok(false, "memory/dirty-log: start the REP INSB guest");
	ok = true;
	while (ok && got < 16 && exits++ < 16) {
		struct vmain_run_io *io = &vcpu->run->exit.io;

		ok = vcpu_run(vcpu) == 0 && vcpu->run->exit_reason == VMAIN_EXIT_IO &&
		     io->direction == VMAIN_IO_IN && io->port == PORT_VAL &&
		     io->size == 1 && io->count >= 1 && io->count <= 16 - got &&
		     io_data(vcpu);
		if (ok) {
			memset(io_data(vcpu), 0x77, io->count);
			got += io->count;
		}
	}
	tap_ok(ok && got == 16, "memory/dirty-log: the guest's REP INSB of 16 bytes into page 20");
	if (!ok)
		tap_diag("  %s", exit_str(vcpu));
	return ok && got == 16;
}

static void test_dirty_log(void)
{
	static const struct dop phase1[] = {
		{ 1, 0, PG(0) }, { 1, 0, PG(0) + 100 }, { 1, 0, PG(1) + 4095 },
		{ 2, 0, PG(2) }, { 2, 0, PG(3) + 17 }, { 1, 0, PG(5) },
		{ 1, 0, PG(63) }, { 1, 0, PG(64) }, { 1, 0, PG(65) + 2048 },
		{ 2, 0, PG(100) }, { 1, 0, PG(127) }, { 1, 0, PG(129) + 4095 },
	};
	static const unsigned int dirty1[] = { 0, 1, 5, 63, 64, 65, 127, 129 };
	static const struct dop phase2[] = {
		{ 2, 0, PG(0) }, { 2, 0, PG(1) }, { 1, 0, PG(3) }, { 1, 0, PG(64) },
		{ 1, 0, PG(128) }, { 2, 0, PG(129) },
	};
	static const unsigned int dirty2[] = { 3, 64, 128 };
	static const struct dop phase3[] = { { 1, 0, PG(5) }, { 1, 0, PG(7) }, { 2, 0, PG(8) } };
	static const unsigned int dirty3[] = { 5, 7 };
	long slots = guest_cap(VMAIN_CAP_MAX_MEM_SLOTS);
	struct vmain_dirty_log d;
	struct vm *vm;
	struct vcpu *vcpu = NULL;
	__u64 bm[4];
	unsigned int i, n;
	int ret;

	if (guest_cap(VMAIN_CAP_DIRTY_LOG) != 1) {
		vm = vm_new_bare();
		if (vm) {
			void *mem = guest_alloc(PAGE, GUEST_ANON, NULL);

			tap_errno(vm_set_region(vm, 0, VMAIN_MEM_LOG_DIRTY, 0, PAGE,
						(uintptr_t)mem), EINVAL,
				  "memory/dirty-log: without VMAIN_CAP_DIRTY_LOG the flag is rejected");
			if (mem)
				munmap(mem, PAGE);
			vm_free(vm);
		}
		return;
	}
	vm = vm_new();
	if (!vm)
		return;
	vcpu = vcpu_new(vm, 0);
	if (!vcpu || vm_add_slot(vm, DIRTY_SLOT, DIRTY_GPA, DIRTY_PAGES * PAGE,
				 VMAIN_MEM_LOG_DIRTY, GUEST_MEMFD))
		goto out;

	ret = get_log(vm->fd, DIRTY_SLOT, bm);
	tap_ok(ret == 0, "memory/dirty-log: GET_DIRTY_LOG of a new logging slot");
	n = 0;
	for (i = 0; i < 3; i++)
		n += (unsigned int)__builtin_popcountll(bm[i]);
	tap_diag("a new slot's log had %u page(s) set", n);

	if (!dirty_run(vcpu, phase1, sizeof(phase1) / sizeof(phase1[0]),
		       "phase 1: the guest writes pages 0 1 5 63 64 65 127 129, reads 2 3 100"))
		goto out;
	check_log(vm, DIRTY_SLOT, dirty1, sizeof(dirty1) / sizeof(dirty1[0]),
		  "the log is exactly the written pages (reads set nothing), 3 words written");
	check_log(vm, DIRTY_SLOT, NULL, 0, "a second GET_DIRTY_LOG is empty");

	memset((char *)vm_gpa(vm, PG(10)), 1, 64);	/* the host writes: not logged */
	if (!dirty_run(vcpu, phase2, sizeof(phase2) / sizeof(phase2[0]),
		       "phase 2: the guest writes pages 3 64 128, reads 0 1 129"))
		goto out;
	check_log(vm, DIRTY_SLOT, dirty2, sizeof(dirty2) / sizeof(dirty2[0]),
		  "new writes show again, page 64 a second time; host writes do not");
	check_log(vm, DIRTY_SLOT, NULL, 0, "and the log is empty again");

	/* The module's own stores (string I/O) are logged too. */
	if (dirty_by_ins(vcpu) && expect_hlt(vcpu, GUEST_ANY_RIP, "the INS completed")) {
		static const unsigned int dirty_ins[] = { 20 };

		check_log(vm, DIRTY_SLOT, dirty_ins, 1,
			  "stores the module makes for the guest (string I/O) are logged: page 20");
		/* A copy-out that fails loses nothing: the bits stay for later. */
		if (dirty_by_ins(vcpu) && expect_hlt(vcpu, GUEST_ANY_RIP, "the INS completed again")) {
			tap_errno(get_log(vm->fd, DIRTY_SLOT, NULL), EFAULT,
				  "memory/dirty-log: GET_DIRTY_LOG into NULL with page 20 dirty");
			check_log(vm, DIRTY_SLOT, dirty_ins, 1,
				  "after the EFAULT, page 20 is still reported");
		}
	}

	/* Errors. */
	tap_errno(get_log(vm->fd, GUEST_LOWMEM_SLOT, bm), EINVAL,
		  "memory/dirty-log: GET_DIRTY_LOG of a slot without logging");
	tap_errno(get_log(vm->fd, 7, bm), ENOENT,
		  "memory/dirty-log: GET_DIRTY_LOG of a slot that does not exist");
	tap_errno(get_log(vm->fd, (__u32)slots, bm), EINVAL,
		  "memory/dirty-log: GET_DIRTY_LOG of slot VMAIN_CAP_MAX_MEM_SLOTS");
	tap_errno(get_log(vm->fd, DIRTY_SLOT, NULL), EFAULT,
		  "memory/dirty-log: GET_DIRTY_LOG with bitmap NULL");
	tap_errno(get_log(vm->fd, DIRTY_SLOT, (void *)KERNEL_ADDR), EFAULT,
		  "memory/dirty-log: GET_DIRTY_LOG with the bitmap at a kernel address");
	tap_errno(ioctl(vm->fd, VMAIN_VM_GET_DIRTY_LOG, NULL), EFAULT,
		  "memory/dirty-log: GET_DIRTY_LOG(NULL)");
	memset(&d, 0, sizeof(d));
	d.slot = DIRTY_SLOT;
	d.bitmap = (uintptr_t)bm;
	d.flags = 1;
	tap_errno(ioctl(vm->fd, VMAIN_VM_GET_DIRTY_LOG, &d), EINVAL,
		  "memory/dirty-log: GET_DIRTY_LOG with non-zero flags");
	d.flags = 0;
	for (i = 0; i < 2; i++) {
		d.reserved[i] = 1;
		tap_errno(ioctl(vm->fd, VMAIN_VM_GET_DIRTY_LOG, &d), EINVAL,
			  "memory/dirty-log: GET_DIRTY_LOG with reserved[%u] non-zero", i);
		d.reserved[i] = 0;
	}

	/* Logging turned on by a flag change of an existing slot. */
	if (vm_del_slot(vm, DIRTY_SLOT) ||
	    vm_add_slot(vm, DIRTY_SLOT, DIRTY_GPA, DIRTY_PAGES * PAGE, 0, GUEST_MEMFD))
		goto out;
	if (!dirty_run(vcpu, phase1, sizeof(phase1) / sizeof(phase1[0]),
		       "without logging, the guest writes the slot"))
		goto out;
	if (!tap_ok(vm_set_region(vm, DIRTY_SLOT, VMAIN_MEM_LOG_DIRTY, DIRTY_GPA,
				  DIRTY_PAGES * PAGE,
				  (uintptr_t)vm->slots[DIRTY_SLOT].hva) == 0,
		    "memory/dirty-log: turning on VMAIN_MEM_LOG_DIRTY of an existing slot"))
		goto out;
	get_log(vm->fd, DIRTY_SLOT, bm);
	if (!dirty_run(vcpu, phase3, 3, "then the guest writes pages 5 and 7, reads page 8"))
		goto out;
	check_log(vm, DIRTY_SLOT, dirty3, 2,
		  "exactly pages 5 (written before logging was on, already mapped) and 7");
	if (tap_ok(vm_set_region(vm, DIRTY_SLOT, 0, DIRTY_GPA, DIRTY_PAGES * PAGE,
				 (uintptr_t)vm->slots[DIRTY_SLOT].hva) == 0,
		   "memory/dirty-log: turning logging off again"))
		tap_errno(get_log(vm->fd, DIRTY_SLOT, bm), EINVAL,
			  "memory/dirty-log: GET_DIRTY_LOG once logging is off");
out:
	vcpu_free(vcpu);
	vm_free(vm);
}

/* ------------------------------------------------------------------ */
/* Large nested pages                                                  */
/* ------------------------------------------------------------------ */

#define HUGE_GPA	0x40000000ULL	/* 1 GiB: its own PD */
#define HUGE_SLOT	4
#define HUGE_2M		(2ULL << 20)
#define HUGE_PER_2M	512

struct hop {
	__u32 op, count;
	__u64 addr;
};

static bool vm_info(struct vm *vm, struct vmain_vm_info *info)
{
	memset(info, 0, sizeof(*info));
	if (ioctl(vm->fd, VMAIN_VM_GET_INFO, info)) {
		tap_ok(0, "%s: VM_GET_INFO: %s", guest_case_name(), strerror(errno));
		return false;
	}
	return true;
}

enum huge_kind { HUGE_THP, HUGE_4K, HUGE_MEMFD };

/*
 * AnonHugePages (or ShmemPmdMapped for a memfd) of the mapping that starts
 * at `start`, in 2 MiB pages.
 */
static long smaps_thp(void *start, bool shmem)
{
	const char *field = shmem ? "ShmemPmdMapped: %ld kB" : "AnonHugePages: %ld kB";
	char line[256], want[32];
	bool in = false;
	long kb = -1;
	FILE *f = fopen("/proc/self/smaps", "r");

	if (!f)
		return -1;
	snprintf(want, sizeof(want), "%lx-", (unsigned long)(uintptr_t)start);
	while (fgets(line, sizeof(line), f)) {
		if (strchr(line, '-') && strchr(line, ' ') &&
		    strchr(line, '-') < strchr(line, ' ')) {
			in = !strncmp(line, want, strlen(want));
			continue;
		}
		if (in && sscanf(line, field, &kb) == 1)
			break;
	}
	fclose(f);
	return kb < 0 ? -1 : kb / 2048;
}

static bool huge_run(struct vm *vm, struct vcpu *vcpu, const struct hop *ops,
		     unsigned int n, const __u32 *outs, unsigned int nouts,
		     const char *what)
{
	struct hop end = { 0, 0, 0 };
	unsigned int i;
	__u32 v;
	char why[300] = "";
	bool ok = true;

	if (n)
		vm_write(vm, GUEST_DATA_GPA, ops, n * sizeof(*ops));
	vm_write(vm, GUEST_DATA_GPA + n * sizeof(*ops), &end, sizeof(end));
	for (i = 0; ok && i < nouts; i++) {
		ok = run_get_out(vcpu, PORT_VAL, 4, &v, why, sizeof(why));
		if (ok && v != outs[i]) {
			snprintf(why, sizeof(why), "read %u: 0x%x, want 0x%x", i, v, outs[i]);
			ok = false;
		}
	}
	if (ok)
		ok = vcpu_run_expect(vcpu, VMAIN_EXIT_HLT, why, sizeof(why));
	tap_ok(ok, "%s: %s", guest_case_name(), what);
	if (!ok)
		tap_diag("  %s", why);
	return ok;
}

/*
 * Boots the huge-* guest over `size` bytes at `mem` (slot HUGE_SLOT at
 * HUGE_GPA) and runs it once over an empty list, which maps its code and
 * list in low memory, so that the counters count the slot alone (*i0);
 * then the guest writes every 4 KiB page of the slot once (*i1 after,
 * its time in *ms).  False with the failure reported.
 */
static bool huge_pass(struct vm **vm, struct vcpu **vcpu, void *mem, __u64 size,
		      const char *what, struct vmain_vm_info *i0, struct vmain_vm_info *i1,
		      double *ms)
{
	struct hop touch = { 1, (__u32)(size / PAGE), HUGE_GPA };
	double t0;

	if (!guest_boot(vm, vcpu, GUEST_LONG64, GUEST_SNIPPET(gl_huge)))
		return false;
	if (vm_set_region(*vm, HUGE_SLOT, 0, HUGE_GPA, size, (uintptr_t)mem)) {
		tap_ok(0, "%s: SET_MEMORY_REGION: %s", guest_case_name(), strerror(errno));
		return false;
	}
	if (!huge_run(*vm, *vcpu, NULL, 0, NULL, 0, "the guest runs") || !vm_info(*vm, i0))
		return false;
	t0 = guest_now_ms();
	if (!huge_run(*vm, *vcpu, &touch, 1, NULL, 0, what))
		return false;
	*ms = guest_now_ms() - t0;
	return vm_info(*vm, i1);
}

#define SHMEM_THP	"/sys/kernel/mm/transparent_hugepage/shmem_enabled"

/* The [selected] word of a THP mode file into mode; false if none. */
static bool thp_mode(const char *path, char *mode, size_t n)
{
	char buf[128], *l, *r;
	FILE *f = fopen(path, "r");

	if (!f)
		return false;
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return false;
	}
	fclose(f);
	l = strchr(buf, '[');
	r = l ? strchr(l, ']') : NULL;
	if (!r || (size_t)(r - l) >= n)
		return false;
	memcpy(mode, l + 1, (size_t)(r - l - 1));
	mode[r - l - 1] = 0;
	return true;
}

static bool thp_set_mode(const char *path, const char *mode)
{
	FILE *f = fopen(path, "w");
	bool ok;

	if (!f)
		return false;
	ok = fputs(mode, f) >= 0;
	return fclose(f) == 0 && ok;
}

static void test_huge(enum huge_kind kind)
{
	bool thp = kind != HUGE_4K, shmem = kind == HUGE_MEMFD;
	char old_shmem[32] = "";
	int memfd = -1;
	unsigned long mib = guest_iters ? guest_iters : 64;
	__u64 size = (__u64)mib << 20, pages = size / PAGE, regions = size / HUGE_2M;
	struct vmain_vm_info i0, i1, i2;
	struct vm *vm = NULL;
	struct vcpu *vcpu = NULL;
	unsigned char *map = MAP_FAILED, *mem;
	__u64 *bm = NULL, want_tables, want_faults, faults, w;
	long nthp = 0;
	double ms;
	bool ok;

	if (mib < 16 || mib % 2 || mib > 1024) {
		tap_ok(0, "%s: -n %lu: the slot size in MiB must be even, 16..1024",
		       guest_case_name(), mib);
		return;
	}
	if (shmem) {
		char mode[32];

		if (!thp_mode(SHMEM_THP, mode, sizeof(mode))) {
			tap_ok(1, "%s: # SKIP no %s", guest_case_name(), SHMEM_THP);
			return;
		}
		if (strcmp(mode, "advise") && strcmp(mode, "always") &&
		    strcmp(mode, "force")) {
			if (!thp_set_mode(SHMEM_THP, "advise")) {
				tap_ok(1, "%s: # SKIP shmem THP is \"%s\" and cannot be set to \"advise\" (%s)",
				       guest_case_name(), mode, strerror(errno));
				return;
			}
			snprintf(old_shmem, sizeof(old_shmem), "%s", mode);
		}
	}
	map = mmap(NULL, size + HUGE_2M, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (map == MAP_FAILED) {
		tap_ok(0, "%s: mmap %lu MiB: %s", guest_case_name(), mib, strerror(errno));
		goto out;
	}
	mem = (unsigned char *)(((uintptr_t)map + HUGE_2M - 1) & ~(uintptr_t)(HUGE_2M - 1));
	if (shmem) {
		/* The monitor's backing: a shared memfd mapping, 2 MiB aligned. */
		memfd = memfd_create("vmain-huge", MFD_CLOEXEC);
		if (memfd < 0 || ftruncate(memfd, (off_t)size) ||
		    mmap(mem, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
			 memfd, 0) == MAP_FAILED) {
			tap_ok(0, "%s: memfd of %lu MiB: %s", guest_case_name(), mib,
			       strerror(errno));
			goto out;
		}
	}
	if (madvise(shmem ? mem : map, shmem ? size : size + HUGE_2M,
		    thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE)) {
		tap_ok(0, "%s: madvise: %s", guest_case_name(), strerror(errno));
		goto out;
	}
	if (!huge_pass(&vm, &vcpu, mem, size, "the guest wrote every 4 KiB page", &i0, &i1, &ms))
		goto out;
	nthp = thp ? smaps_thp(shmem ? mem : map, shmem) : 0;
	if (nthp < 0) {
		tap_ok(0, "%s: %s not found in /proc/self/smaps", guest_case_name(),
		       shmem ? "ShmemPmdMapped" : "AnonHugePages");
		goto out;
	}
	if (thp && nthp == 0) {
		tap_ok(1, "%s: # SKIP the host gave no THP (transparent_hugepage disabled or memory fragmented)",
		       guest_case_name());
		goto out;
	}
	/*
	 * One PD for the slot's GiB; one PT for each 2 MiB not mapped large.
	 * Faults: one per leaf, and one for the guest's own page directory
	 * of its second GiB (GUEST_PD_GPA + 4 KiB, in low memory), which its
	 * page walk reads for the first time.
	 */
	want_tables = 1 + (regions - (__u64)nthp);
	want_faults = (__u64)nthp + (regions - (__u64)nthp) * HUGE_PER_2M + 1;
	faults = i1.npt_faults - i0.npt_faults;
	tap_diag("%s: %lu MiB touched in %.0f ms: %llu THP of %llu, %llu 2 MiB leaves, %llu table pages added, %llu faults",
		 guest_case_name(), mib, ms, (unsigned long long)nthp,
		 (unsigned long long)regions, (unsigned long long)i1.npt_huge_leaves,
		 (unsigned long long)(i1.npt_table_pages - i0.npt_table_pages),
		 (unsigned long long)faults);
	tap_ok(i1.npt_huge_leaves - i0.npt_huge_leaves == (__u64)nthp,
	       "%s: each 2 MiB host page is one 2 MiB nested leaf (%ld)",
	       guest_case_name(), nthp);
	tap_ok(i1.npt_table_pages - i0.npt_table_pages == want_tables,
	       "%s: nested table pages added: %llu (1 PD + a PT per 2 MiB not mapped large)",
	       guest_case_name(), (unsigned long long)want_tables);
	/* A fault that raced with an invalidation is taken again: 1% slack. */
	tap_ok(faults >= want_faults && faults <= want_faults + want_faults / 100 + 4,
	       "%s: nested page faults: %llu, want %llu (+1%%)",
	       guest_case_name(), (unsigned long long)faults,
	       (unsigned long long)want_faults);
	if (!thp)
		goto out;

	/*
	 * 4 KiB of a huge page dropped by the owner: the guest reads zeros.
	 * MADV_DONTNEED of a shared mapping only unmaps (the memfd keeps
	 * the data): MADV_REMOVE frees it.
	 */
	if (madvise(mem + 3 * HUGE_2M + 2 * PAGE, PAGE,
		    shmem ? MADV_REMOVE : MADV_DONTNEED)) {
		tap_ok(0, "%s: %s: %s", guest_case_name(),
		       shmem ? "MADV_REMOVE" : "MADV_DONTNEED", strerror(errno));
		goto out;
	}
	{
		static const __u32 outs[] = { 0, 0x11, 0x11 };
		struct hop rd[] = {
			{ 3, 0, HUGE_GPA + 3 * HUGE_2M + 2 * PAGE },
			{ 3, 0, HUGE_GPA + 3 * HUGE_2M + 3 * PAGE },
			{ 3, 0, HUGE_GPA + 3 * HUGE_2M + 511 * PAGE },
		};

		if (!huge_run(vm, vcpu, rd, 3, outs, 3, shmem ?
			      "after MADV_REMOVE of 4 KiB in a 2 MiB page the guest reads zeros there, its data around it" :
			      "after MADV_DONTNEED of 4 KiB in a 2 MiB page the guest reads zeros there, its data around it"))
			goto out;
	}
	if (!vm_info(vm, &i2))
		goto out;
	/*
	 * Anonymous memory: the kernel splits the huge PMD, so the 2 MiB
	 * comes back as 4 KiB leaves.  (A memfd may keep its huge page
	 * with the hole zeroed, and map it huge again.)
	 */
	if (!shmem && nthp == (long)regions)
		tap_ok(i2.npt_huge_leaves == i1.npt_huge_leaves - 1,
		       "%s: that 2 MiB leaf is gone (%llu -> %llu), the others stay",
		       guest_case_name(), (unsigned long long)i1.npt_huge_leaves,
		       (unsigned long long)i2.npt_huge_leaves);

	/* Dirty logging: 4 KiB leaves, the log per 4 KiB page. */
	if (guest_cap(VMAIN_CAP_DIRTY_LOG) != 1)
		goto out;
	if (vm_set_region(vm, HUGE_SLOT, VMAIN_MEM_LOG_DIRTY, HUGE_GPA, size,
			  (uintptr_t)mem)) {
		tap_ok(0, "%s: turning dirty logging on: %s", guest_case_name(), strerror(errno));
		goto out;
	}
	{
		static const __u32 outs[] = { 0x11 };
		struct hop wr[] = {
			{ 2, 0, HUGE_GPA + 5 * HUGE_2M + 3 * PAGE },
			{ 2, 0, HUGE_GPA + 5 * HUGE_2M + 100 * PAGE + 17 },
			{ 3, 0, HUGE_GPA + 7 * HUGE_2M },
		};
		struct vmain_dirty_log d;
		__u64 nbits = 0, b;

		if (!huge_run(vm, vcpu, wr, 3, outs, 1,
			      "with dirty logging on, two writes in one 2 MiB page, a read in another"))
			goto out;
		bm = calloc(pages / 64, sizeof(*bm));
		memset(&d, 0, sizeof(d));
		d.slot = HUGE_SLOT;
		d.bitmap = (uintptr_t)bm;
		ok = bm && ioctl(vm->fd, VMAIN_VM_GET_DIRTY_LOG, &d) == 0;
		for (b = 0; ok && b < pages; b++)
			nbits += (bm[b / 64] >> (b % 64)) & 1;
		w = 5 * HUGE_PER_2M;
		ok = ok && nbits == 2 && ((bm[(w + 3) / 64] >> ((w + 3) % 64)) & 1) &&
		     ((bm[(w + 100) / 64] >> ((w + 100) % 64)) & 1);
		tap_ok(ok, "%s: the dirty log is exactly the two 4 KiB pages written (%llu bits set)",
		       guest_case_name(), (unsigned long long)nbits);
		if (vm_info(vm, &i2))
			tap_ok(i2.npt_huge_leaves == 0,
			       "%s: no 2 MiB leaf while the slot logs dirty pages (%llu)",
			       guest_case_name(), (unsigned long long)i2.npt_huge_leaves);
	}
out:
	free(bm);
	guest_shutdown(&vm, &vcpu);
	if (map != MAP_FAILED)
		munmap(map, size + HUGE_2M);
	if (memfd >= 0)
		close(memfd);
	if (old_shmem[0] && !thp_set_mode(SHMEM_THP, old_shmem))
		tap_diag("could not put %s back to \"%s\": %s", SHMEM_THP,
			 old_shmem, strerror(errno));
}

#define HUGE_1G		(1ULL << 30)
#ifndef MAP_HUGE_1GB
#define MAP_HUGE_1GB	(30 << 26)	/* MAP_HUGE_SHIFT 26, log2(1 GiB) */
#endif

/* Whether the CPU has 1 GiB pages (CPUID Fn8000_0001_EDX[26], both vendors). */
static bool cpu_has_1g(void)
{
	unsigned int a = 0x80000001, b, c = 0, d;

	asm volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
	return d & (1U << 26);
}

/*
 * One 1 GiB hugetlbfs page behind a 1 GiB slot at guest-physical 1 GiB:
 * one PDPT-level leaf.  Only where the arena provides the page (-n 1024
 * says so): anywhere else the case cannot run and says why.
 */
static void test_huge_1g(void)
{
	const __u64 pages = HUGE_1G / PAGE;
	struct vmain_vm_info i0, i1, i2;
	struct vm *vm = NULL;
	struct vcpu *vcpu = NULL;
	unsigned char *mem;
	__u64 *bm = NULL, faults;
	double ms;

	if (guest_iters != 1024) {
		tap_ok(1, "%s: # SKIP needs -n 1024 and a free 1 GiB hugetlbfs page (the SVM arena's huge section)",
		       guest_case_name());
		return;
	}
	if (!cpu_has_1g()) {
		tap_ok(0, "%s: the CPU has no 1 GiB pages (CPUID Fn8000_0001_EDX[26])",
		       guest_case_name());
		return;
	}
	mem = mmap(NULL, HUGE_1G, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_HUGE_1GB, -1, 0);
	if (mem == MAP_FAILED) {
		tap_ok(0, "%s: mmap of a 1 GiB hugetlbfs page: %s (boot with hugepagesz=1G hugepages=1)",
		       guest_case_name(), strerror(errno));
		return;
	}
	if (!huge_pass(&vm, &vcpu, mem, HUGE_1G, "the guest wrote every 4 KiB page of the GiB",
		       &i0, &i1, &ms))
		goto out;
	faults = i1.npt_faults - i0.npt_faults;
	tap_diag("%s: 1024 MiB touched in %.0f ms: %llu 1 GiB leaves, %llu 2 MiB leaves, %llu table pages added, %llu faults",
		 guest_case_name(), ms, (unsigned long long)i1.npt_giant_leaves,
		 (unsigned long long)i1.npt_huge_leaves,
		 (unsigned long long)(i1.npt_table_pages - i0.npt_table_pages),
		 (unsigned long long)faults);
	tap_ok(i1.npt_giant_leaves - i0.npt_giant_leaves == 1 &&
	       i1.npt_huge_leaves == i0.npt_huge_leaves,
	       "%s: the 1 GiB host page is one 1 GiB nested leaf", guest_case_name());
	tap_ok(i1.npt_table_pages == i0.npt_table_pages,
	       "%s: no nested table page added (the leaf sits in the PDPT)",
	       guest_case_name());
	/* The leaf, and the guest's own page directory of its second GiB. */
	tap_ok(faults == 2, "%s: nested page faults: %llu, want 2", guest_case_name(),
	       (unsigned long long)faults);

	/* Dirty logging: the GiB comes back in 4 KiB leaves, the log per page. */
	if (guest_cap(VMAIN_CAP_DIRTY_LOG) != 1) {
		tap_ok(1, "%s: # SKIP the module has no dirty logging (VMAIN_CAP_DIRTY_LOG)",
		       guest_case_name());
	} else {
		static const __u32 outs[] = { 0x11 };
		struct hop wr[] = {
			{ 2, 0, HUGE_GPA + 300 * HUGE_2M + 3 * PAGE },
			{ 3, 0, HUGE_GPA + 511 * HUGE_2M + 511 * PAGE },
		};
		struct vmain_dirty_log d;
		__u64 nbits = 0, b, w = 300 * HUGE_PER_2M + 3;
		bool ok;

		if (vm_set_region(vm, HUGE_SLOT, VMAIN_MEM_LOG_DIRTY, HUGE_GPA, HUGE_1G,
				  (uintptr_t)mem)) {
			tap_ok(0, "%s: turning dirty logging on: %s", guest_case_name(),
			       strerror(errno));
			goto out;
		}
		if (!vm_info(vm, &i2))
			goto out;
		tap_ok(i2.npt_giant_leaves == 0,
		       "%s: turning dirty logging on removes the 1 GiB leaf", guest_case_name());
		if (!huge_run(vm, vcpu, wr, 2, outs, 1,
			      "with dirty logging on, a write and a read in the GiB"))
			goto out;
		bm = calloc(pages / 64, sizeof(*bm));
		memset(&d, 0, sizeof(d));
		d.slot = HUGE_SLOT;
		d.bitmap = (uintptr_t)bm;
		ok = bm && ioctl(vm->fd, VMAIN_VM_GET_DIRTY_LOG, &d) == 0;
		for (b = 0; ok && b < pages; b++)
			nbits += (bm[b / 64] >> (b % 64)) & 1;
		ok = ok && nbits == 1 && ((bm[w / 64] >> (w % 64)) & 1);
		tap_ok(ok, "%s: the dirty log is exactly the 4 KiB page written (%llu bits set)",
		       guest_case_name(), (unsigned long long)nbits);
		if (!vm_info(vm, &i2))
			goto out;
		tap_ok(i2.npt_giant_leaves == 0 && i2.npt_huge_leaves == 0,
		       "%s: no large leaf while the slot logs dirty pages", guest_case_name());
		if (vm_set_region(vm, HUGE_SLOT, 0, HUGE_GPA, HUGE_1G, (uintptr_t)mem)) {
			tap_ok(0, "%s: turning dirty logging off: %s", guest_case_name(),
			       strerror(errno));
			goto out;
		}
	}

	/* The owner drops the page: the guest reads zeros, not the old data. */
	if (madvise(mem, HUGE_1G, MADV_DONTNEED)) {
		tap_ok(0, "%s: MADV_DONTNEED of the 1 GiB page: %s", guest_case_name(),
		       strerror(errno));
		goto out;
	}
	{
		static const __u32 outs[] = { 0, 0 };
		struct hop rd[] = {
			{ 3, 0, HUGE_GPA },
			{ 3, 0, HUGE_GPA + 300 * HUGE_2M + 3 * PAGE },
		};

		huge_run(vm, vcpu, rd, 2, outs, 2,
			 "after MADV_DONTNEED of the 1 GiB page the guest reads zeros");
	}
out:
	free(bm);
	guest_shutdown(&vm, &vcpu);
	munmap(mem, HUGE_1G);
}

static void test_huge_thp(void)
{
	test_huge(HUGE_THP);
}

static void test_huge_4k(void)
{
	test_huge(HUGE_4K);
}

static void test_huge_memfd(void)
{
	test_huge(HUGE_MEMFD);
}

int main(int argc, char **argv)
{
	static const struct guest_test tests[] = {
		{ "memory/region-errors", test_region_errors },
		{ "memory/readd", test_readd },
		{ "memory/no-ram", test_no_ram },
		{ "memory/bad-state", test_bad_state },
		{ "memory/dirty-log", test_dirty_log },
		{ "memory/dirty-log-ad", test_dirty_log_ad },
		{ "memory/huge-thp", test_huge_thp },
		{ "memory/huge-4k", test_huge_4k },
		{ "memory/huge-memfd", test_huge_memfd },
		{ "memory/huge-1g", test_huge_1g },
	};

	guest_init(argc, argv, 0);
	guest_run_tests(tests, sizeof(tests) / sizeof(tests[0]));
	if (guest_want("memory/munmap")) {
		guest_case("memory/munmap");
		test_unmap(false);
	}
	if (guest_want("memory/remap")) {
		guest_case("memory/remap");
		test_unmap(true);
	}
	close(guest_devfd);
	return guest_done();
}
