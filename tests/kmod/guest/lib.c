// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * lib.c - the guest test library (see lib.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "lib.h"

#ifndef sigev_notify_thread_id
#define sigev_notify_thread_id _sigev_un._tid
#endif

unsigned long guest_iters;
unsigned int guest_timeout_s = 10;
int guest_devfd = -1;

static char **filters;
static int nfilters;
static const char *case_name = "setup";

/* ------------------------------------------------------------------ */
/* The vector stubs' common handlers, one per mode.                    */
/* ------------------------------------------------------------------ */

GUEST_CODE(vmg_common64);
GUEST_CODE(vmg_common32);
GUEST_CODE(vmg_common16);

/*
 * On entry the stub has pushed the error code (or 0) and the vector, so the
 * stack is: vector, error, RIP, CS, RFLAGS (SS:RSP in 64-bit mode).  The
 * handler saves the accumulator (GUEST_FRAME_* count from there), reports
 * the vector, and returns to the interrupted code.
 */
asm(GUEST_ASM_BEGIN(".code64")
    "vmg_common64_start:\n"
    "	push %rax\n"
    "	mov 8(%rsp), %rax\n"
    "	out %al, $" GUEST_STR(GUEST_PORT_VECTOR) "\n"
    "	pop %rax\n"
    "	add $16, %rsp\n"
    "	iretq\n"
    "vmg_common64_end:\n"
    ".code32\n"
    "vmg_common32_start:\n"
    "	push %eax\n"
    "	mov 4(%esp), %eax\n"
    "	out %al, $" GUEST_STR(GUEST_PORT_VECTOR) "\n"
    "	pop %eax\n"
    "	add $8, %esp\n"
    "	iret\n"
    "vmg_common32_end:\n"
    ".code16\n"
    "vmg_common16_start:\n"
    "	push %ax\n"
    "	mov 2(%esp), %ax\n"	/* 0x67: ESP, whose top half is 0 */
    "	out %al, $" GUEST_STR(GUEST_PORT_VECTOR) "\n"
    "	pop %ax\n"
    "	add $4, %sp\n"
    "	iret\n"
    "vmg_common16_end:\n"
    GUEST_ASM_END);

/* ------------------------------------------------------------------ */
/* Options, device, context                                            */
/* ------------------------------------------------------------------ */

static __thread volatile sig_atomic_t run_alarm;
static __thread timer_t run_timer;
static __thread bool run_timer_made;

static void on_alarm(int sig)
{
	(void)sig;
	run_alarm = 1;
}

void guest_init(int argc, char **argv, unsigned long iters)
{
	struct sigaction sa;
	const char *env = getenv("VMAIN_GUEST_TIMEOUT");
	int opt;

	guest_iters = iters;
	if (env && atoi(env) > 0)
		guest_timeout_s = (unsigned int)atoi(env);
	while ((opt = getopt(argc, argv, "n:T:")) != -1) {
		switch (opt) {
		case 'n':
			guest_iters = strtoul(optarg, NULL, 0);
			break;
		case 'T':
			guest_timeout_s = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		default:
			fprintf(stderr, "usage: %s [-n ITERATIONS] [-T TIMEOUT_S] [CASE...]\n",
				argv[0]);
			exit(2);
		}
	}
	filters = argv + optind;
	nfilters = argc - optind;
	if (!guest_timeout_s)
		guest_timeout_s = 10;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;	/* no SA_RESTART: RUN fails with EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);

	guest_devfd = open(VMAIN_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	if (!tap_ok(guest_devfd >= 0, "open(%s)", VMAIN_DEVICE_PATH)) {
		tap_diag("  errno %d (%s)", errno, strerror(errno));
		exit(tap_done());
	}
	tap_diag("engine 0x%lx, max vcpus %ld, slots %ld, phys bits %ld, "
		 "readonly %ld, dirty log %ld, vcpu mmap %ld, timeout %us, iterations %lu",
		 guest_cap(VMAIN_CAP_HW), guest_cap(VMAIN_CAP_MAX_VCPUS),
		 guest_cap(VMAIN_CAP_MAX_MEM_SLOTS),
		 guest_cap(VMAIN_CAP_GUEST_PHYS_BITS),
		 guest_cap(VMAIN_CAP_READONLY_MEM), guest_cap(VMAIN_CAP_DIRTY_LOG),
		 guest_mmap_size(), guest_timeout_s, guest_iters);
}

bool guest_want(const char *name)
{
	int i;

	if (!nfilters)
		return true;
	for (i = 0; i < nfilters; i++)
		if (strstr(name, filters[i]))
			return true;
	return false;
}

void guest_lib_counts(unsigned int *passed, unsigned int *failed)
{
	*passed = tap_passed;
	*failed = tap_failed;
}

long guest_cap(unsigned long cap)
{
	return ioctl(guest_devfd, VMAIN_CHECK_CAP, cap);
}

long guest_mmap_size(void)
{
	return ioctl(guest_devfd, VMAIN_GET_VCPU_MMAP_SIZE, 0);
}

void guest_random_uuid(__u8 uuid[16])
{
	static uint64_t fallback;
	size_t got = 0;
	ssize_t n;

	while (got < 16) {
		n = getrandom(uuid + got, 16 - got, 0);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (got < 16) {		/* no entropy: still distinct per call */
		uint64_t a = (uint64_t)getpid() << 32 | (uint64_t)time(NULL);

		fallback++;
		memcpy(uuid, &a, 8);
		memcpy(uuid + 8, &fallback, 8);
	}
	uuid[6] = (uuid[6] & 0x0f) | 0x40;	/* version 4 */
	uuid[8] = (uuid[8] & 0x3f) | 0x80;	/* RFC 4122 variant: never nil */
}

void guest_case(const char *name)
{
	case_name = name;
}

const char *guest_case_name(void)
{
	return case_name;
}

void guest_fail(const char *fmt, ...)
{
	char what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	tap_ok(0, "%s: %s", case_name, what);
}

double guest_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* ------------------------------------------------------------------ */
/* VMs and memory                                                      */
/* ------------------------------------------------------------------ */

struct vm *vm_new_bare(void)
{
	struct vmain_create_vm args;
	struct vm *vm = calloc(1, sizeof(*vm));

	if (!vm) {
		guest_fail("out of memory");
		return NULL;
	}
	memset(&args, 0, sizeof(args));
	guest_random_uuid(args.uuid);
	memcpy(vm->uuid, args.uuid, 16);
	vm->fd = ioctl(guest_devfd, VMAIN_CREATE_VM, &args);
	if (vm->fd < 0) {
		guest_fail("CREATE_VM failed: %s", strerror(errno));
		free(vm);
		return NULL;
	}
	return vm;
}

struct vm *vm_new(void)
{
	struct vm *vm = vm_new_bare();

	if (!vm)
		return NULL;
	if (vm_add_slot(vm, GUEST_LOWMEM_SLOT, 0, GUEST_LOWMEM_SIZE, 0,
			GUEST_MEMFD)) {
		vm_free(vm);
		return NULL;
	}
	vm_write_tables(vm);
	return vm;
}

static void slot_release(struct guest_slot *s)
{
	if (!s->used)
		return;
	munmap(s->hva, s->size);
	if (s->memfd >= 0)
		close(s->memfd);
	s->used = false;
}

void vm_free(struct vm *vm)
{
	unsigned int i;

	if (!vm)
		return;
	if (vm->fd >= 0)
		close(vm->fd);
	for (i = 0; i < GUEST_MAX_SLOTS; i++)
		slot_release(&vm->slots[i]);
	free(vm);
}

void *guest_alloc(size_t size, enum guest_backing backing, int *memfd)
{
	void *p;
	int fd = -1;

	if (backing == GUEST_MEMFD) {
		fd = memfd_create("vmain-guest", MFD_CLOEXEC);
		if (fd < 0)
			return NULL;
		if (ftruncate(fd, (off_t)size)) {
			close(fd);
			return NULL;
		}
		p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	} else {
		p = mmap(NULL, size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	}
	if (p == MAP_FAILED) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	if (memfd)
		*memfd = fd;
	else if (fd >= 0)
		close(fd);
	return p;
}

int vm_set_region(struct vm *vm, __u32 slot, __u32 flags, __u64 gpa,
		  __u64 size, __u64 uaddr)
{
	struct vmain_memory_region r;

	memset(&r, 0, sizeof(r));
	r.slot = slot;
	r.flags = flags;
	r.guest_phys_addr = gpa;
	r.size = size;
	r.userspace_addr = uaddr;
	return ioctl(vm->fd, VMAIN_VM_SET_MEMORY_REGION, &r);
}

int vm_add_slot(struct vm *vm, __u32 slot, __u64 gpa, __u64 size, __u32 flags,
		enum guest_backing backing)
{
	struct guest_slot s;
	int err;

	memset(&s, 0, sizeof(s));
	s.hva = guest_alloc(size, backing, &s.memfd);
	if (!s.hva) {
		guest_fail("allocating %llu bytes of guest memory: %s",
			   (unsigned long long)size, strerror(errno));
		return -1;
	}
	if (vm_set_region(vm, slot, flags, gpa, size, (uintptr_t)s.hva)) {
		err = errno;
		guest_fail("SET_MEMORY_REGION slot %u gpa 0x%llx size 0x%llx flags 0x%x: %s",
			   slot, (unsigned long long)gpa, (unsigned long long)size,
			   flags, strerror(err));
		munmap(s.hva, size);
		if (s.memfd >= 0)
			close(s.memfd);
		errno = err;
		return -1;
	}
	s.used = true;
	s.flags = flags;
	s.gpa = gpa;
	s.size = size;
	if (slot < GUEST_MAX_SLOTS) {
		slot_release(&vm->slots[slot]);
		vm->slots[slot] = s;
	}
	return 0;
}

int vm_del_slot(struct vm *vm, __u32 slot)
{
	int ret = vm_set_region(vm, slot, 0, 0, 0, 0);

	if (ret) {
		guest_fail("deleting slot %u: %s", slot, strerror(errno));
		return ret;
	}
	if (slot < GUEST_MAX_SLOTS)
		slot_release(&vm->slots[slot]);
	return 0;
}

void *vm_gpa(struct vm *vm, __u64 gpa)
{
	unsigned int i;

	for (i = 0; i < GUEST_MAX_SLOTS; i++) {
		struct guest_slot *s = &vm->slots[i];

		if (s->used && gpa >= s->gpa && gpa - s->gpa < s->size)
			return (char *)s->hva + (gpa - s->gpa);
	}
	return NULL;
}

void vm_write(struct vm *vm, __u64 gpa, const void *src, size_t len)
{
	char *p = vm_gpa(vm, gpa);

	if (!p || !vm_gpa(vm, gpa + len - 1)) {
		guest_fail("vm_write: gpa 0x%llx+%zu is not in a slot",
			   (unsigned long long)gpa, len);
		return;
	}
	memcpy(p, src, len);
}

void vm_read(struct vm *vm, __u64 gpa, void *dst, size_t len)
{
	char *p = vm_gpa(vm, gpa);

	if (!p || !vm_gpa(vm, gpa + len - 1)) {
		guest_fail("vm_read: gpa 0x%llx+%zu is not in a slot",
			   (unsigned long long)gpa, len);
		memset(dst, 0, len);
		return;
	}
	memcpy(dst, p, len);
}

static void put64(struct vm *vm, __u64 gpa, __u64 v)
{
	vm_write(vm, gpa, &v, 8);
}

static bool vector_has_error(unsigned int v)
{
	return v == 8 || (v >= 10 && v <= 14) || v == 17 || v == 21 ||
	       v == 29 || v == 30;
}

/* Stub for 32/64-bit mode: [push $0] push $v; jmp common. */
static void write_stub32_64(struct vm *vm, __u64 stub, __u64 common,
			    unsigned int v, bool has_error)
{
	unsigned char b[16];
	unsigned int n = 0;
	__s32 rel;
	__u32 imm = v;

	memset(b, 0x90, sizeof(b));
	if (!has_error) {
		b[n++] = 0x6a;		/* push $0 */
		b[n++] = 0x00;
	}
	b[n++] = 0x68;			/* push $imm32 */
	memcpy(b + n, &imm, 4);
	n += 4;
	b[n++] = 0xe9;			/* jmp rel32 */
	rel = (__s32)(common - (stub + n + 4));
	memcpy(b + n, &rel, 4);
	vm_write(vm, stub, b, sizeof(b));
}

void vm_stub_no_error(struct vm *vm, unsigned int vector)
{
	write_stub32_64(vm, GUEST_STUBS64_GPA + 16 * vector, GUEST_COMMON64_GPA, vector, false);
	write_stub32_64(vm, GUEST_STUBS32_GPA + 16 * vector, GUEST_COMMON32_GPA, vector, false);
}

/* Stub for real mode: push $0; push $v; jmp common (segment 0). */
static void write_stub16(struct vm *vm, __u64 stub, __u64 common,
			 unsigned int v)
{
	unsigned char b[16];
	__u16 imm = (__u16)v;
	__s16 rel;

	memset(b, 0x90, sizeof(b));
	b[0] = 0x6a;			/* push $0 */
	b[1] = 0x00;
	b[2] = 0x68;			/* push $imm16 */
	memcpy(b + 3, &imm, 2);
	b[5] = 0xe9;			/* jmp rel16 */
	rel = (__s16)(common - (stub + 8));
	memcpy(b + 6, &rel, 2);
	vm_write(vm, stub, b, sizeof(b));
}

void vm_write_tables(struct vm *vm)
{
	__u64 tss_lo;
	unsigned int v, i, j;

	/* GDT. */
	put64(vm, GUEST_GDT_GPA + 0x00, 0);
	put64(vm, GUEST_GDT_GPA + GUEST_SEL_CODE64, 0x00af9b000000ffffULL);
	put64(vm, GUEST_GDT_GPA + GUEST_SEL_DATA, 0x00cf93000000ffffULL);
	put64(vm, GUEST_GDT_GPA + GUEST_SEL_CODE32, 0x00cf9b000000ffffULL);
	put64(vm, GUEST_GDT_GPA + GUEST_SEL_CODE16, 0x00009b000000ffffULL);
	tss_lo = 0x67 | ((__u64)(GUEST_TSS_GPA & 0xffffff) << 16) |
		 (0x8bULL << 40) | ((__u64)(GUEST_TSS_GPA >> 24) << 56);
	put64(vm, GUEST_GDT_GPA + GUEST_SEL_TSS, tss_lo);
	put64(vm, GUEST_GDT_GPA + GUEST_SEL_TSS + 8, 0);

	/* Common handlers. */
	vm_write(vm, GUEST_COMMON64_GPA, vmg_common64_start,
		 vmg_common64_end - vmg_common64_start);
	vm_write(vm, GUEST_COMMON32_GPA, vmg_common32_start,
		 vmg_common32_end - vmg_common32_start);
	vm_write(vm, GUEST_COMMON16_GPA, vmg_common16_start,
		 vmg_common16_end - vmg_common16_start);

	for (v = 0; v < 256; v++) {
		__u64 s64 = GUEST_STUBS64_GPA + 16 * v;
		__u64 s32 = GUEST_STUBS32_GPA + 16 * v;
		__u64 s16 = GUEST_STUBS16_GPA + 16 * v;
		__u32 ivt = (__u32)s16;	/* segment 0, offset s16 */

		write_stub32_64(vm, s64, GUEST_COMMON64_GPA, v, vector_has_error(v));
		write_stub32_64(vm, s32, GUEST_COMMON32_GPA, v, vector_has_error(v));
		write_stub16(vm, s16, GUEST_COMMON16_GPA, v);

		/* 64-bit interrupt gate, DPL 0, IST 0. */
		put64(vm, GUEST_IDT64_GPA + 16 * v,
		      (s64 & 0xffff) | ((__u64)GUEST_SEL_CODE64 << 16) |
		      (0x8eULL << 40) | (((s64 >> 16) & 0xffff) << 48));
		put64(vm, GUEST_IDT64_GPA + 16 * v + 8, s64 >> 32);
		/* 32-bit interrupt gate. */
		put64(vm, GUEST_IDT32_GPA + 8 * v,
		      (s32 & 0xffff) | ((__u64)GUEST_SEL_CODE32 << 16) |
		      (0x8eULL << 40) | (((s32 >> 16) & 0xffff) << 48));
		vm_write(vm, GUEST_IVT_GPA + 4 * v, &ivt, 4);
	}

	/* Identity map of 0 .. 8 GiB with 2 MiB pages. */
	put64(vm, GUEST_PML4_GPA, GUEST_PDPT_GPA | 3);
	for (i = 0; i < 8; i++) {
		__u64 pd = GUEST_PD_GPA + 0x1000ULL * i;

		put64(vm, GUEST_PDPT_GPA + 8 * i, pd | 3);
		for (j = 0; j < 512; j++)
			put64(vm, pd + 8 * j,
			      ((__u64)i << 30 | (__u64)j << 21) | 0x83);
	}
}

/* ------------------------------------------------------------------ */
/* vCPUs                                                               */
/* ------------------------------------------------------------------ */

struct vcpu *vcpu_new(struct vm *vm, unsigned int id)
{
	struct vcpu *v = calloc(1, sizeof(*v));
	long size = guest_mmap_size();

	if (!v) {
		guest_fail("out of memory");
		return NULL;
	}
	v->vm = vm;
	v->id = id;
	v->fd = ioctl(vm->fd, VMAIN_VM_CREATE_VCPU, (unsigned long)id);
	if (v->fd < 0) {
		guest_fail("CREATE_VCPU %u: %s", id, strerror(errno));
		free(v);
		return NULL;
	}
	if (size < (long)sizeof(struct vmain_run)) {
		guest_fail("GET_VCPU_MMAP_SIZE returned %ld", size);
		close(v->fd);
		free(v);
		return NULL;
	}
	v->run_size = (size_t)size;
	v->run = mmap(NULL, v->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      v->fd, 0);
	if (v->run == MAP_FAILED) {
		guest_fail("mmap of vCPU %u: %s", id, strerror(errno));
		close(v->fd);
		free(v);
		return NULL;
	}
	return v;
}

void vcpu_free(struct vcpu *v)
{
	if (!v)
		return;
	munmap(v->run, v->run_size);
	close(v->fd);
	free(v);
}

static struct vmain_segment mkseg(__u16 sel, __u64 base, __u32 limit,
				  __u8 type, __u8 s, __u8 db, __u8 l, __u8 g)
{
	struct vmain_segment seg;

	memset(&seg, 0, sizeof(seg));
	seg.selector = sel;
	seg.base = base;
	seg.limit = limit;
	seg.type = type;
	seg.present = 1;
	seg.dpl = 0;
	seg.s = s;
	seg.db = db;
	seg.l = l;
	seg.g = g;
	return seg;
}

void guest_sregs_for_mode(struct vmain_sregs *s, enum guest_mode mode)
{
	struct vmain_segment data;

	switch (mode) {
	case GUEST_REAL:
		s->cs = mkseg(0, 0, 0xffff, 0xb, 1, 0, 0, 0);
		data = mkseg(0, 0, 0xffff, 0x3, 1, 0, 0, 0);
		s->ds = s->es = s->fs = s->gs = data;
		s->ss = mkseg((GUEST_STACK_TOP - 0x10000) >> 4,
			      GUEST_STACK_TOP - 0x10000, 0xffff, 0x3, 1, 0, 0, 0);
		s->idt.base = GUEST_IVT_GPA;
		s->idt.limit = 0x3ff;
		s->cr0 = 0x30;			/* ET, NE */
		s->cr3 = 0;
		s->cr4 = 0;
		s->efer = 0;
		break;
	case GUEST_PROT32:
		s->cs = mkseg(GUEST_SEL_CODE32, 0, 0xffffffff, 0xb, 1, 1, 0, 1);
		data = mkseg(GUEST_SEL_DATA, 0, 0xffffffff, 0x3, 1, 1, 0, 1);
		s->ds = s->es = s->fs = s->gs = s->ss = data;
		s->idt.base = GUEST_IDT32_GPA;
		s->idt.limit = 0x7ff;
		s->cr0 = 0x31;			/* PE, ET, NE */
		s->cr3 = 0;
		s->cr4 = 0;
		s->efer = 0;
		break;
	case GUEST_LONG64:
		s->cs = mkseg(GUEST_SEL_CODE64, 0, 0xffffffff, 0xb, 1, 0, 1, 1);
		data = mkseg(GUEST_SEL_DATA, 0, 0xffffffff, 0x3, 1, 1, 0, 1);
		s->ds = s->es = s->fs = s->gs = s->ss = data;
		s->idt.base = GUEST_IDT64_GPA;
		s->idt.limit = 0xfff;
		s->cr0 = 0x80000031;		/* PG, PE, ET, NE */
		s->cr3 = GUEST_PML4_GPA;
		s->cr4 = 0x20;			/* PAE */
		s->efer = 0x500;		/* LME, LMA */
		break;
	}
	/* A busy TSS (type 11: 32-bit or 64-bit), and the RESET LDTR. */
	s->tr = mkseg(GUEST_SEL_TSS, GUEST_TSS_GPA, 0x67, 0xb, 0, 0, 0, 0);
	s->ldt = mkseg(0, 0, 0xffff, 0x2, 0, 0, 0, 0);
	s->gdt.base = GUEST_GDT_GPA;
	s->gdt.limit = GUEST_SEL_TSS + 15;
	memset(s->gdt.pad, 0, sizeof(s->gdt.pad));
	memset(s->idt.pad, 0, sizeof(s->idt.pad));
	s->flags = 0;
	s->pad = 0;
	memset(s->reserved, 0, sizeof(s->reserved));
}

__u64 vcpu_stack_top(const struct vcpu *v)
{
	__u64 top = GUEST_STACK_TOP - 0x10 - 0x1000ULL * (v->id % 16);

	return v->mode == GUEST_REAL ? top - (GUEST_STACK_TOP - 0x10000) : top;
}

int vcpu_setup(struct vcpu *v, enum guest_mode mode, __u64 entry)
{
	struct vmain_sregs s;
	struct vmain_regs r;

	if (vcpu_get_sregs(v, &s))
		return -1;
	guest_sregs_for_mode(&s, mode);
	if (mode == GUEST_REAL) {
		if ((entry & 0xf) || entry > 0xffff0) {
			guest_fail("real-mode entry 0x%llx is not a paragraph below 1 MiB",
				   (unsigned long long)entry);
			return -1;
		}
		s.cs.selector = (__u16)(entry >> 4);
		s.cs.base = entry;
	}
	if (vcpu_set_sregs(v, &s))
		return -1;
	v->mode = mode;
	memset(&r, 0, sizeof(r));
	r.rip = mode == GUEST_REAL ? 0 : entry;
	r.rsp = vcpu_stack_top(v);
	r.rflags = 2;
	return vcpu_set_regs(v, &r);
}

int vcpu_start(struct vcpu *v, enum guest_mode mode,
	       const unsigned char *start, const unsigned char *end)
{
	if (end - start > 0x10000) {
		guest_fail("snippet of %td bytes is too big", end - start);
		return -1;
	}
	vm_write(v->vm, GUEST_CODE_GPA, start, (size_t)(end - start));
	return vcpu_setup(v, mode, GUEST_CODE_GPA);
}

__u64 vcpu_code_rip(struct vcpu *v, __u64 off)
{
	return v->mode == GUEST_REAL ? off : GUEST_CODE_GPA + off;
}

/* ------------------------------------------------------------------ */
/* Running                                                             */
/* ------------------------------------------------------------------ */

int vcpu_run(struct vcpu *v)
{
	struct itimerspec its;
	bool timer_armed = false;
	int ret, err;

	if (!run_timer_made) {
		struct sigevent sev;

		memset(&sev, 0, sizeof(sev));
		sev.sigev_notify = SIGEV_THREAD_ID;
		sev.sigev_signo = SIGALRM;
		sev.sigev_notify_thread_id = gettid();
		if (!timer_create(CLOCK_MONOTONIC, &sev, &run_timer))
			run_timer_made = true;
	}
	run_alarm = 0;
	v->timed_out = false;
	memset(&its, 0, sizeof(its));
	its.it_value.tv_sec = guest_timeout_s;
	if (run_timer_made && !timer_settime(run_timer, 0, &its, NULL))
		timer_armed = true;
	else
		alarm(guest_timeout_s);

	ret = ioctl(v->fd, VMAIN_VCPU_RUN, 0);
	err = errno;

	if (timer_armed) {
		memset(&its, 0, sizeof(its));
		timer_settime(run_timer, 0, &its, NULL);
	} else {
		alarm(0);
	}
	if (ret == -1 && err == EINTR && run_alarm)
		v->timed_out = true;
	errno = err;
	return ret;
}

void guest_thread_done(void)
{
	if (run_timer_made) {
		timer_delete(run_timer);
		run_timer_made = false;
	}
}

/* A register ioctl; a failure is reported as a TAP failure. */
static int vcpu_state_ioctl(struct vcpu *v, unsigned long cmd, const void *arg,
			    const char *what)
{
	if (ioctl(v->fd, cmd, arg)) {
		guest_fail("%s: %s", what, strerror(errno));
		return -1;
	}
	return 0;
}

int vcpu_get_regs(struct vcpu *v, struct vmain_regs *r)
{
	return vcpu_state_ioctl(v, VMAIN_VCPU_GET_REGS, r, "GET_REGS");
}

int vcpu_set_regs(struct vcpu *v, const struct vmain_regs *r)
{
	return vcpu_state_ioctl(v, VMAIN_VCPU_SET_REGS, r, "SET_REGS");
}

int vcpu_get_sregs(struct vcpu *v, struct vmain_sregs *s)
{
	return vcpu_state_ioctl(v, VMAIN_VCPU_GET_SREGS, s, "GET_SREGS");
}

int vcpu_set_sregs(struct vcpu *v, const struct vmain_sregs *s)
{
	return vcpu_state_ioctl(v, VMAIN_VCPU_SET_SREGS, s, "SET_SREGS");
}

__u64 vcpu_reg(struct vcpu *v, enum guest_reg reg)
{
	struct vmain_regs r;

	if (vcpu_get_regs(v, &r))
		return ~0ULL;
	return *regs_ptr(&r, reg);
}

int vcpu_set_reg(struct vcpu *v, enum guest_reg reg, __u64 value)
{
	struct vmain_regs r;

	if (vcpu_get_regs(v, &r))
		return -1;
	*regs_ptr(&r, reg) = value;
	return vcpu_set_regs(v, &r);
}

const char *exit_name(__u32 reason)
{
	static const char *const names[] = {
		"NONE", "IO", "MMIO", "HLT", "SHUTDOWN", "IRQ_WINDOW",
		"FAIL_ENTRY", "INTERNAL_ERROR", "MSR", "KICK", "INTR",
	};

	return reason < sizeof(names) / sizeof(names[0]) ? names[reason] : "?";
}

void *io_data(struct vcpu *v)
{
	struct vmain_run_io *io = &v->run->exit.io;
	__u64 len = (__u64)io->size * io->count;

	if (io->data_offset < sizeof(struct vmain_run) ||
	    io->data_offset > v->run_size || len > v->run_size - io->data_offset)
		return NULL;
	return (char *)v->run + io->data_offset;
}

static void hexbytes(char *buf, size_t n, const void *p, size_t len)
{
	const unsigned char *b = p;
	size_t i, off = 0;

	buf[0] = 0;
	for (i = 0; i < len && off + 3 < n; i++)
		off += (size_t)snprintf(buf + off, n - off, "%02x", b[i]);
}

const char *exit_str(const struct vcpu *cv)
{
	static __thread char buf[512];
	struct vcpu *v = (struct vcpu *)cv;
	struct vmain_run *run = v->run;
	struct vmain_regs regs;
	char hex[80];
	int n;

	n = snprintf(buf, sizeof(buf), "exit %u (%s)", run->exit_reason,
		     exit_name(run->exit_reason));
	switch (run->exit_reason) {
	case VMAIN_EXIT_IO: {
		void *d = io_data(v);

		if (d)
			hexbytes(hex, sizeof(hex), d,
				 (size_t)run->exit.io.size * run->exit.io.count);
		else
			snprintf(hex, sizeof(hex), "(data_offset out of the mapping)");
		n += snprintf(buf + n, sizeof(buf) - n,
			      " %s port 0x%x size %u count %u data_offset %llu data %s",
			      run->exit.io.direction == VMAIN_IO_OUT ? "out" :
			      run->exit.io.direction == VMAIN_IO_IN ? "in" : "?",
			      run->exit.io.port, run->exit.io.size,
			      run->exit.io.count,
			      (unsigned long long)run->exit.io.data_offset, hex);
		break;
	}
	case VMAIN_EXIT_MMIO:
		hexbytes(hex, sizeof(hex), run->exit.mmio.data, 8);
		n += snprintf(buf + n, sizeof(buf) - n,
			      " %s gpa 0x%llx len %u data %s",
			      run->exit.mmio.is_write ? "write" : "read",
			      (unsigned long long)run->exit.mmio.phys_addr,
			      run->exit.mmio.len, hex);
		break;
	case VMAIN_EXIT_FAIL_ENTRY:
		n += snprintf(buf + n, sizeof(buf) - n,
			      " hardware_reason 0x%llx cpu %u",
			      (unsigned long long)run->exit.fail_entry.hardware_reason,
			      run->exit.fail_entry.cpu);
		break;
	case VMAIN_EXIT_INTERNAL_ERROR: {
		unsigned int i;

		n += snprintf(buf + n, sizeof(buf) - n, " suberror %u ndata %u",
			      run->exit.internal.suberror,
			      run->exit.internal.ndata);
		for (i = 0; i < run->exit.internal.ndata && i < 4; i++)
			n += snprintf(buf + n, sizeof(buf) - n, " 0x%llx",
				      (unsigned long long)run->exit.internal.data[i]);
		break;
	}
	case VMAIN_EXIT_MSR:
		n += snprintf(buf + n, sizeof(buf) - n,
			      " index 0x%x %s data 0x%llx",
			      run->exit.msr.index,
			      run->exit.msr.is_write ? "write" : "read",
			      (unsigned long long)run->exit.msr.data);
		break;
	default:
		break;
	}
	if (n < (int)sizeof(buf) && !ioctl(v->fd, VMAIN_VCPU_GET_REGS, &regs))
		snprintf(buf + n, sizeof(buf) - n, ", rip 0x%llx rflags 0x%llx",
			 (unsigned long long)regs.rip,
			 (unsigned long long)regs.rflags);
	return buf;
}

/*
 * Runs once.  Returns false (with `why` filled) if RUN failed, timed out or
 * exited with another reason than `reason`.
 */
bool vcpu_run_expect(struct vcpu *v, __u32 reason, char *why, size_t n)
{
	int ret;

	v->run->exit_reason = VMAIN_EXIT_NONE;
	ret = vcpu_run(v);
	if (ret == -1 && v->timed_out) {
		snprintf(why, n, "RUN timed out after %us (a hang)",
			 guest_timeout_s);
		return false;
	}
	if (ret != 0) {
		int err = errno;

		snprintf(why, n, "RUN returned %d, errno %d (%s), %s", ret,
			 ret == -1 ? err : 0, ret == -1 ? strerror(err) : "-",
			 exit_str(v));
		return false;
	}
	if (v->run->exit_reason != reason) {
		snprintf(why, n, "expected exit %s, got %s", exit_name(reason),
			 exit_str(v));
		return false;
	}
	return true;
}

static void report(bool ok, const char *what, const char *why)
{
	tap_ok(ok, "%s: %s", case_name, what);
	if (!ok && why[0])
		tap_diag("  %s", why);
}

bool expect_exit(struct vcpu *v, __u32 reason, const char *fmt, ...)
{
	char what[256], why[600] = "";
	va_list ap;
	bool ok;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	ok = vcpu_run_expect(v, reason, why, sizeof(why));
	report(ok, what, why);
	return ok;
}

static bool check_io(struct vcpu *v, __u8 dir, __u16 port, unsigned int size,
		     char *why, size_t n)
{
	struct vmain_run_io *io = &v->run->exit.io;

	if (io->direction != dir || io->port != port || io->size != size ||
	    io->count != 1 || !io_data(v)) {
		snprintf(why, n, "expected %s port 0x%x size %u count 1, got %s",
			 dir == VMAIN_IO_OUT ? "out" : "in", port, size,
			 exit_str(v));
		return false;
	}
	return true;
}

bool run_get_out(struct vcpu *v, __u16 port, unsigned int size,
		 __u32 *value, char *why, size_t n)
{
	if (!vcpu_run_expect(v, VMAIN_EXIT_IO, why, n) ||
	    !check_io(v, VMAIN_IO_OUT, port, size, why, n))
		return false;
	*value = 0;
	memcpy(value, io_data(v), size);
	return true;
}

bool expect_out(struct vcpu *v, __u16 port, unsigned int size, __u32 value,
		const char *fmt, ...)
{
	char what[256], why[600] = "";
	va_list ap;
	bool ok;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	ok = vcpu_run_expect(v, VMAIN_EXIT_IO, why, sizeof(why)) &&
	     check_io(v, VMAIN_IO_OUT, port, size, why, sizeof(why));
	if (ok) {
		__u32 got = 0;

		memcpy(&got, io_data(v), size);
		if (got != value) {
			snprintf(why, sizeof(why), "data 0x%x, want 0x%x", got,
				 value);
			ok = false;
		}
	}
	report(ok, what, why);
	return ok;
}

bool expect_in(struct vcpu *v, __u16 port, unsigned int size, __u32 value,
	       const char *fmt, ...)
{
	char what[256], why[600] = "";
	va_list ap;
	bool ok;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	ok = vcpu_run_expect(v, VMAIN_EXIT_IO, why, sizeof(why)) &&
	     check_io(v, VMAIN_IO_IN, port, size, why, sizeof(why));
	if (ok)
		memcpy(io_data(v), &value, size);
	report(ok, what, why);
	return ok;
}

bool expect_mmio_write(struct vcpu *v, __u64 gpa, unsigned int len,
		       __u64 value, const char *fmt, ...)
{
	struct vmain_run_mmio *m = &v->run->exit.mmio;
	char what[256], why[600] = "";
	va_list ap;
	bool ok;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	ok = vcpu_run_expect(v, VMAIN_EXIT_MMIO, why, sizeof(why));
	if (ok) {
		__u64 got = 0;

		if (m->len <= 8)
			memcpy(&got, m->data, m->len);
		if (!m->is_write || m->phys_addr != gpa || m->len != len ||
		    got != value) {
			snprintf(why, sizeof(why),
				 "expected write gpa 0x%llx len %u data 0x%llx, got %s",
				 (unsigned long long)gpa, len,
				 (unsigned long long)value, exit_str(v));
			ok = false;
		}
	}
	report(ok, what, why);
	return ok;
}

bool expect_mmio_read(struct vcpu *v, __u64 gpa, unsigned int len,
		      __u64 value, const char *fmt, ...)
{
	struct vmain_run_mmio *m = &v->run->exit.mmio;
	char what[256], why[600] = "";
	va_list ap;
	bool ok;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	ok = vcpu_run_expect(v, VMAIN_EXIT_MMIO, why, sizeof(why));
	if (ok && (m->is_write || m->phys_addr != gpa || m->len != len)) {
		snprintf(why, sizeof(why),
			 "expected read gpa 0x%llx len %u, got %s",
			 (unsigned long long)gpa, len, exit_str(v));
		ok = false;
	}
	if (ok) {
		/* Bytes past len are garbage: the engine must ignore them. */
		memset(m->data, 0xee, sizeof(m->data));
		memcpy(m->data, &value, len);
	}
	report(ok, what, why);
	return ok;
}

bool expect_hlt(struct vcpu *v, __u64 rip, const char *fmt, ...)
{
	char what[256], why[600] = "";
	va_list ap;
	bool ok;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	ok = vcpu_run_expect(v, VMAIN_EXIT_HLT, why, sizeof(why));
	if (ok && rip != GUEST_ANY_RIP) {
		struct vmain_regs r;

		if (ioctl(v->fd, VMAIN_VCPU_GET_REGS, &r)) {
			snprintf(why, sizeof(why), "GET_REGS: %s", strerror(errno));
			ok = false;
		} else if (r.rip != rip) {
			snprintf(why, sizeof(why), "rip 0x%llx, want 0x%llx (after the HLT)",
				 (unsigned long long)r.rip,
				 (unsigned long long)rip);
			ok = false;
		}
	}
	report(ok, what, why);
	return ok;
}

bool expect_vector(struct vcpu *v, unsigned int vector, const char *fmt, ...)
{
	char what[256], why[600] = "";
	va_list ap;
	bool ok;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	ok = vcpu_run_expect(v, VMAIN_EXIT_IO, why, sizeof(why)) &&
	     check_io(v, VMAIN_IO_OUT, GUEST_PORT_VECTOR, 1, why, sizeof(why));
	if (ok && *(__u8 *)io_data(v) != vector) {
		snprintf(why, sizeof(why), "vector %u's handler ran, want %u",
			 *(__u8 *)io_data(v), vector);
		ok = false;
	}
	report(ok, what, why);
	return ok;
}

bool expect_sync(struct vcpu *v, const char *fmt, ...)
{
	char what[256], why[600] = "";
	va_list ap;
	bool ok;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	ok = vcpu_run_expect(v, VMAIN_EXIT_IO, why, sizeof(why)) &&
	     check_io(v, VMAIN_IO_OUT, GUEST_PORT_SYNC, 1, why, sizeof(why));
	report(ok, what, why);
	return ok;
}

bool run_to_sync(struct vcpu *v, const char *what)
{
	char why[600] = "";

	if (vcpu_run_expect(v, VMAIN_EXIT_IO, why, sizeof(why)) &&
	    check_io(v, VMAIN_IO_OUT, GUEST_PORT_SYNC, 1, why, sizeof(why)))
		return true;
	report(false, what, why);
	return false;
}

bool check_reg(struct vcpu *v, enum guest_reg reg, __u64 mask, __u64 want,
	       const char *what)
{
	static const char *const names[] = {
		"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi", "r8",
		"r9", "r10", "r11", "r12", "r13", "r14", "r15", "rip", "rflags",
	};
	struct vmain_regs r;
	char why[200] = "";
	bool ok;

	if (ioctl(v->fd, VMAIN_VCPU_GET_REGS, &r)) {
		snprintf(why, sizeof(why), "GET_REGS: %s", strerror(errno));
		ok = false;
	} else {
		__u64 got = *regs_ptr(&r, reg);

		ok = (got & mask) == (want & mask);
		if (!ok)
			snprintf(why, sizeof(why),
				 "%s is 0x%llx, want 0x%llx (mask 0x%llx)",
				 names[reg], (unsigned long long)got,
				 (unsigned long long)want,
				 (unsigned long long)mask);
	}
	report(ok, what, why);
	return ok;
}

int guest_read_frame(struct vcpu *v, struct guest_frame *f)
{
	struct vmain_regs r;
	struct vmain_sregs s;
	__u64 slots[6] = { 0 };
	unsigned int i;

	if (vcpu_get_regs(v, &r) || vcpu_get_sregs(v, &s))
		return -1;
	memset(f, 0, sizeof(*f));
	switch (v->mode) {
	case GUEST_REAL:
		f->width = 2;
		f->gpa = s.ss.base + (r.rsp & 0xffff);
		break;
	case GUEST_PROT32:
		f->width = 4;
		f->gpa = (s.ss.base + (r.rsp & 0xffffffff)) & 0xffffffff;
		break;
	case GUEST_LONG64:
		f->width = 8;
		f->gpa = r.rsp;
		break;
	}
	if (!vm_gpa(v->vm, f->gpa) || !vm_gpa(v->vm, f->gpa + 6 * f->width - 1)) {
		guest_fail("the handler's stack 0x%llx is not in RAM",
			   (unsigned long long)f->gpa);
		return -1;
	}
	for (i = 0; i < 6; i++)
		memcpy(&slots[i], vm_gpa(v->vm, f->gpa + i * f->width), f->width);
	f->vector = slots[GUEST_FRAME_VECTOR];
	f->error = slots[GUEST_FRAME_ERROR];
	f->rip = slots[GUEST_FRAME_RIP];
	f->cs = slots[GUEST_FRAME_CS];
	f->rflags = slots[GUEST_FRAME_RFLAGS];
	return 0;
}

int guest_frame_set_rip(struct vcpu *v, __u64 rip)
{
	struct guest_frame f;

	if (guest_read_frame(v, &f))
		return -1;
	vm_write(v->vm, f.gpa + GUEST_FRAME_RIP * f.width, &rip, f.width);
	return 0;
}

bool guest_boot(struct vm **vm, struct vcpu **vcpu, enum guest_mode mode,
		const unsigned char *start, const unsigned char *end)
{
	*vm = vm_new();
	if (!*vm)
		return false;
	*vcpu = vcpu_new(*vm, 0);
	if (!*vcpu || vcpu_start(*vcpu, mode, start, end)) {
		guest_shutdown(vm, vcpu);
		return false;
	}
	return true;
}

void guest_shutdown(struct vm **vm, struct vcpu **vcpu)
{
	vcpu_free(*vcpu);
	vm_free(*vm);
	*vcpu = NULL;
	*vm = NULL;
}

void guest_run_tests(const struct guest_test *tests, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (!guest_want(tests[i].name))
			continue;
		guest_case(tests[i].name);
		tests[i].fn();
	}
}
