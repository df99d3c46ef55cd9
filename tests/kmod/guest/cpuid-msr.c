// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cpuid-msr.c - CPUID and MSRs, from the guest (64-bit) and from userspace:
 *
 *   cpuid/guest     the SET_CPUID table answers the guest's CPUID, indexed
 *                   leaves by (function, index), other leaves ignore ECX,
 *                   absent leaves read as zeros; an empty table
 *   cpuid/ioctl     GET_CPUID round trip, E2BIG when the room is short (nent
 *                   then says the size), bad input, duplicate entries
 *   msr/kernel      RDMSR/WRMSR of in-kernel MSRs (STAR, PAT, SYSENTER_CS)
 *                   agree with GET_MSRS/SET_MSRS both ways; TSC monotonic
 *                   between host and guest reads, and settable
 *   msr/unknown     an unknown MSR raises #GP (vector 13, error code 0), as
 *                   do WRMSR of an invalid PAT type and IA32_XSS (no
 *                   supervisor XSAVE state is offered)
 *   msr/user        x2APIC MSRs (0x800-0x8ff) and TSC_DEADLINE (0x6e0) exit
 *                   with VMAIN_EXIT_MSR; reads return userspace's data;
 *                   exit.msr.error = 1 injects #GP
 *   msr/tsc-aux     the TSC_AUX the guest writes is what its RDTSCP (and
 *                   RDPID, where the CPU has it) read; the host thread's
 *                   RDTSCP reads the host's own value after every RUN
 *   msr/ioctl       GET_MSRS/SET_MSRS return the count done and stop at an
 *                   unknown MSR or a refused value; bad input (EINVAL, EFAULT)
 *   msr/spec-absent SPEC_CTRL, PRED_CMD, ARCH_CAPABILITIES #GP when CPUID
 *                   does not offer them, or offers what the host lacks;
 *                   userspace reads SPEC_CTRL 0 and may write 0
 *   msr/arch-caps   ARCH_CAPABILITIES offered: read-only, documented bits,
 *                   RDCL_NO/SSB_NO/MDS_NO as the host kernel's verdicts
 *   msr/spec-ctrl   (CPUs with SPEC_CTRL) each bit written and read back,
 *                   the host's SPEC_CTRL unchanged after every exit, bits
 *                   not offered #GP, PRED_CMD IBPB taken
 *   msr/host-state  the syscall MSRs, SYSENTER_*, TSC_AUX (and SPEC_CTRL):
 *                   the guest's values read back by the guest, the host's
 *                   (through /dev/cpu/N/msr) unchanged after every exit
 *
 * Usage: cpuid-msr [-T TIMEOUT] [CASE...]
 */
#include <cpuid.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib.h"

#define PORT_CPUID	0x30
#define PORT_LO		0x31
#define PORT_HI		0x32
#define PORT_WROTE	0x33

#define MSR_TSC			0x10
#define MSR_SYSENTER_CS		0x174
#define MSR_PAT			0x277
#define MSR_TSC_DEADLINE	0x6e0
#define MSR_STAR		0xc0000081
#define MSR_KERNEL_GS_BASE	0xc0000102
#define MSR_UNKNOWN		0x12345678
#define MSR_XSS			0xda0

#define KERNEL_ADDR	((void *)0xffff888000000000UL)

#define MSR_TSC_AUX	0xc0000103
#define PORT_AUX	0x34
#define GUEST_AUX	0x00c0ffee

/* Sets TSC_AUX, an exit, then RDTSCP's ECX out; RDPID's too if RBX = 1. */
GUEST_CODE(gl_tscaux);
asm(GUEST_ASM_BEGIN(".code64")
    "gl_tscaux_start:\n"
    "	mov $" GUEST_STR(MSR_TSC_AUX) ", %ecx\n"
    "	mov $" GUEST_STR(GUEST_AUX) ", %eax\n"
    "	xor %edx, %edx\n"
    "	wrmsr\n"
    "	out %al, $" GUEST_STR(GUEST_PORT_SYNC) "\n"
    "	rdtscp\n"
    "	mov %ecx, %eax\n"
    "	out %eax, $" GUEST_STR(PORT_AUX) "\n"
    "	test %rbx, %rbx\n"
    "	jz 1f\n"
    "	rdpid %rax\n"
    "	out %eax, $" GUEST_STR(PORT_AUX) "\n"
    "1:	hlt\n"
    "gl_tscaux_end:\n"
    GUEST_ASM_END);

/*
 * CPUID: the table at GUEST_DATA_GPA is a count, then (EAX, ECX) pairs;
 * each result is reported as four 4-byte OUTs (EAX, EBX, ECX, EDX).
 */
GUEST_CODE(gl_cpuid);

asm(GUEST_ASM_BEGIN(".code64")
    "gl_cpuid_start:\n"
    "	mov $" GUEST_STR(GUEST_DATA_GPA) ", %esi\n"
    "	mov (%rsi), %r8d\n"
    "	add $8, %rsi\n"
    "1:	test %r8d, %r8d\n"
    "	jz 2f\n"
    "	mov (%rsi), %eax\n"
    "	mov 4(%rsi), %ecx\n"
    "	cpuid\n"
    "	out %eax, $" GUEST_STR(PORT_CPUID) "\n"
    "	mov %ebx, %eax\n"
    "	out %eax, $" GUEST_STR(PORT_CPUID) "\n"
    "	mov %ecx, %eax\n"
    "	out %eax, $" GUEST_STR(PORT_CPUID) "\n"
    "	mov %edx, %eax\n"
    "	out %eax, $" GUEST_STR(PORT_CPUID) "\n"
    "	add $8, %rsi\n"
    "	dec %r8d\n"
    "	jmp 1b\n"
    "2:	hlt\n"
    "gl_cpuid_end:\n"
    GUEST_ASM_END);

/*
 * MSRs: a list of 16-byte operations at GUEST_DATA_GPA: op (0 end, 1
 * RDMSR, 2 WRMSR, 3 RDTSC), index, value.  Reads report the low and high
 * halves to PORT_LO and PORT_HI; writes report to PORT_WROTE.  After a #GP
 * the test points the handler's return at gl_msr_next to go on.
 */
GUEST_CODE(gl_msr);
GUEST_LABEL(gl_msr_rd);
GUEST_LABEL(gl_msr_wr);
GUEST_LABEL(gl_msr_next);

asm(GUEST_ASM_BEGIN(".code64")
    "gl_msr_start:\n"
    "	mov $" GUEST_STR(GUEST_DATA_GPA) ", %esi\n"
    "1:	mov (%rsi), %eax\n"
    "	test %eax, %eax\n"
    "	jz 4f\n"
    "	mov 4(%rsi), %ecx\n"
    "	cmp $1, %eax\n"
    "	jne 2f\n"
    "gl_msr_rd:\n"
    "	rdmsr\n"
    "	out %eax, $" GUEST_STR(PORT_LO) "\n"
    "	mov %edx, %eax\n"
    "	out %eax, $" GUEST_STR(PORT_HI) "\n"
    "	jmp gl_msr_next\n"
    "2:	cmp $2, %eax\n"
    "	jne 3f\n"
    "	mov 8(%rsi), %eax\n"
    "	mov 12(%rsi), %edx\n"
    "gl_msr_wr:\n"
    "	wrmsr\n"
    "	out %al, $" GUEST_STR(PORT_WROTE) "\n"
    "	jmp gl_msr_next\n"
    "3:	rdtsc\n"
    "	out %eax, $" GUEST_STR(PORT_LO) "\n"
    "	mov %edx, %eax\n"
    "	out %eax, $" GUEST_STR(PORT_HI) "\n"
    "gl_msr_next:\n"
    "	add $16, %rsi\n"
    "	jmp 1b\n"
    "4:	hlt\n"
    "gl_msr_end:\n"
    GUEST_ASM_END);

static struct vm *vm;
static struct vcpu *vcpu;

static bool boot(const unsigned char *start, const unsigned char *end)
{
	return guest_boot(&vm, &vcpu, GUEST_LONG64, start, end);
}

static void shutdown_vm(void)
{
	guest_shutdown(&vm, &vcpu);
}

/* ------------------------------------------------------------------ */
/* CPUID                                                               */
/* ------------------------------------------------------------------ */

static struct vmain_cpuid_entry ent(__u32 fn, __u32 idx, __u32 flags, __u32 a,
				    __u32 b, __u32 c, __u32 d)
{
	struct vmain_cpuid_entry e;

	memset(&e, 0, sizeof(e));
	e.function = fn;
	e.index = idx;
	e.flags = flags;
	e.eax = a;
	e.ebx = b;
	e.ecx = c;
	e.edx = d;
	return e;
}

#define NTABLE 11
static struct vmain_cpuid_entry table[NTABLE];

static void make_table(void)
{
	/* "VmainTestCPU" in EBX, EDX, ECX. */
	table[0] = ent(0, 0, 0, 0x16, 0x69616d56, 0x55504374, 0x7365546e);
	table[1] = ent(2, 0, 0, 0x12345678, 0x9abcdef0, 0x0fedcba9, 0x87654321);
	table[2] = ent(4, 0, VMAIN_CPUID_INDEXED, 0x04000121, 0x01c0003f, 0x3f, 0);
	table[3] = ent(4, 1, VMAIN_CPUID_INDEXED, 0x04000122, 0x01c0003f, 0x3f, 1);
	table[4] = ent(4, 3, VMAIN_CPUID_INDEXED, 0x04000163, 0x03c0003f, 0x3fff, 6);
	table[5] = ent(0x40000010, 0, 0, 0xaaaa0001, 0xbbbb0002, 0xcccc0003, 0xdddd0004);
	table[6] = ent(0x40000011, 7, VMAIN_CPUID_INDEXED, 1, 2, 3, 4);
	table[7] = ent(0x80000000, 0, 0, 0x80000004, 0, 0, 0);
	table[8] = ent(0x80000002, 0, 0, 0x69616d76, 0x6574206e, 0x43207473, 0x20205550);
	table[9] = ent(0x80000003, 0, 0, 0x20202020, 0x20202020, 0x20202020, 0x20202020);
	table[10] = ent(0x80000004, 0, 0, 0x20202020, 0x20202020, 0x20202020, 0x00202020);
}

static int set_cpuid(int fd, struct vmain_cpuid_entry *e, __u32 n)
{
	struct vmain_cpuid c;

	memset(&c, 0, sizeof(c));
	c.nent = n;
	c.entries = (uintptr_t)e;
	return ioctl(fd, VMAIN_VCPU_SET_CPUID, &c);
}

struct cpuid_q {
	__u32 eax, ecx;
	const struct vmain_cpuid_entry *want;	/* NULL: zeros */
	const char *what;
};

static void run_cpuid_queries(const struct cpuid_q *q, unsigned int n)
{
	__u32 buf[2 + 2 * 32];
	unsigned int i, k;

	memset(buf, 0, sizeof(buf));
	buf[0] = n;
	for (i = 0; i < n; i++) {
		buf[2 + 2 * i] = q[i].eax;
		buf[3 + 2 * i] = q[i].ecx;
	}
	vm_write(vm, GUEST_DATA_GPA, buf, sizeof(buf));
	if (vcpu_start(vcpu, GUEST_LONG64, GUEST_SNIPPET(gl_cpuid)))
		return;
	for (i = 0; i < n; i++) {
		__u32 got[4], want[4] = { 0, 0, 0, 0 };
		char why[600] = "";
		bool ok = true;

		if (q[i].want) {
			want[0] = q[i].want->eax;
			want[1] = q[i].want->ebx;
			want[2] = q[i].want->ecx;
			want[3] = q[i].want->edx;
		}
		for (k = 0; k < 4 && ok; k++)
			ok = run_get_out(vcpu, PORT_CPUID, 4, &got[k], why, sizeof(why));
		if (ok && memcmp(got, want, sizeof(got))) {
			snprintf(why, sizeof(why),
				 "got %08x %08x %08x %08x, want %08x %08x %08x %08x",
				 got[0], got[1], got[2], got[3],
				 want[0], want[1], want[2], want[3]);
			ok = false;
		}
		tap_ok(ok, "cpuid/guest: CPUID(0x%x, 0x%x): %s", q[i].eax,
		       q[i].ecx, q[i].what);
		if (!ok) {
			tap_diag("  %s", why);
			if (!strstr(why, "got"))
				return;
		}
	}
	expect_hlt(vcpu, GUEST_ANY_RIP, "the guest ran every CPUID");
}

static void test_cpuid_guest(void)
{
	const struct cpuid_q q[] = {
		{ 0, 0, &table[0], "vendor leaf from the table" },
		{ 0, 7, &table[0], "a non-indexed leaf ignores ECX" },
		{ 2, 0, &table[1], "leaf 2" },
		{ 2, 0xffffffff, &table[1], "leaf 2, ECX all ones" },
		{ 4, 0, &table[2], "indexed leaf 4, index 0" },
		{ 4, 1, &table[3], "indexed leaf 4, index 1" },
		{ 4, 3, &table[4], "indexed leaf 4, index 3" },
		{ 4, 2, NULL, "indexed leaf 4, index 2 (absent): zeros" },
		{ 4, 4, NULL, "indexed leaf 4, index 4 (absent): zeros" },
		{ 0x40000010, 5, &table[5], "leaf 0x40000010" },
		{ 0x40000011, 7, &table[6], "indexed leaf 0x40000011, index 7" },
		{ 0x40000011, 0, NULL, "indexed leaf 0x40000011, index 0 (absent): zeros" },
		{ 0x80000000, 0, &table[7], "extended max leaf" },
		{ 0x80000002, 0, &table[8], "brand string 1" },
		{ 0x80000003, 0, &table[9], "brand string 2" },
		{ 0x80000004, 0, &table[10], "brand string 3" },
		{ 3, 0, NULL, "leaf 3 (absent): zeros" },
		{ 0x80000008, 0, NULL, "leaf 0x80000008 (absent): zeros" },
		{ 0x12345678, 0, NULL, "leaf 0x12345678 (absent): zeros" },
	};
	const struct cpuid_q empty[] = {
		{ 0, 0, NULL, "after SET_CPUID with nent 0: zeros" },
	};

	if (!boot(GUEST_SNIPPET(gl_cpuid)))
		return;
	make_table();
	if (!tap_ok(set_cpuid(vcpu->fd, table, NTABLE) == 0,
		    "cpuid/guest: SET_CPUID with %d entries", NTABLE)) {
		tap_diag("  errno %d (%s)", errno, strerror(errno));
		goto out;
	}
	run_cpuid_queries(q, sizeof(q) / sizeof(q[0]));
	shutdown_vm();

	/* A fresh vCPU: whether the table may change after RUN is open. */
	if (!boot(GUEST_SNIPPET(gl_cpuid)))
		return;
	if (tap_ok(set_cpuid(vcpu->fd, table, 0) == 0,
		   "cpuid/guest: SET_CPUID with nent 0 (empty table)"))
		run_cpuid_queries(empty, 1);
out:
	shutdown_vm();
}

static bool same_entry(const struct vmain_cpuid_entry *a,
		       const struct vmain_cpuid_entry *b)
{
	return !memcmp(a, b, sizeof(*a));
}

static void test_cpuid_ioctl(void)
{
	struct vmain_cpuid_entry got[NTABLE + 10], bad[2];
	struct vmain_cpuid c;
	unsigned int i, j, found;
	int ret;

	if (!boot(GUEST_SNIPPET(gl_cpuid)))
		return;
	make_table();
	if (set_cpuid(vcpu->fd, table, NTABLE)) {
		guest_fail("SET_CPUID: %s", strerror(errno));
		goto out;
	}

	memset(got, 0x5a, sizeof(got));
	memset(&c, 0, sizeof(c));
	c.nent = NTABLE;
	c.entries = (uintptr_t)got;
	ret = ioctl(vcpu->fd, VMAIN_VCPU_GET_CPUID, &c);
	tap_ok(ret == 0 && c.nent == NTABLE,
	       "cpuid/ioctl: GET_CPUID with exactly enough room returns %d entries",
	       NTABLE);
	if (ret)
		tap_diag("  errno %d (%s)", errno, strerror(errno));
	found = 0;
	for (i = 0; i < NTABLE; i++)
		for (j = 0; j < NTABLE; j++)
			if (same_entry(&table[i], &got[j])) {
				found++;
				break;
			}
	tap_ok(ret == 0 && found == NTABLE,
	       "cpuid/ioctl: GET_CPUID returns the entries SET_CPUID set (%u of %d)",
	       found, NTABLE);

	memset(&c, 0, sizeof(c));
	c.nent = NTABLE + 10;
	c.entries = (uintptr_t)got;
	ret = ioctl(vcpu->fd, VMAIN_VCPU_GET_CPUID, &c);
	tap_ok(ret == 0 && c.nent == NTABLE,
	       "cpuid/ioctl: GET_CPUID with more room sets nent to the table's size");

	memset(&c, 0, sizeof(c));
	c.nent = NTABLE - 1;
	c.entries = (uintptr_t)got;
	tap_errno(ioctl(vcpu->fd, VMAIN_VCPU_GET_CPUID, &c), E2BIG,
		  "cpuid/ioctl: GET_CPUID with room for one entry less");
	tap_ok(c.nent == NTABLE, "cpuid/ioctl: with E2BIG, nent says the table's size (%u)",
	       c.nent);
	memset(&c, 0, sizeof(c));
	c.entries = (uintptr_t)got;
	tap_errno(ioctl(vcpu->fd, VMAIN_VCPU_GET_CPUID, &c), E2BIG,
		  "cpuid/ioctl: GET_CPUID with room 0");

	/* Bad input. */
	memset(&c, 0, sizeof(c));
	c.nent = 1;
	c.entries = (uintptr_t)table;
	c.flags = 1;
	tap_errno(ioctl(vcpu->fd, VMAIN_VCPU_SET_CPUID, &c), EINVAL,
		  "cpuid/ioctl: SET_CPUID with non-zero flags");
	c.flags = 0;
	c.reserved[1] = 1;
	tap_errno(ioctl(vcpu->fd, VMAIN_VCPU_SET_CPUID, &c), EINVAL,
		  "cpuid/ioctl: SET_CPUID with non-zero reserved");
	memset(&c, 0, sizeof(c));
	c.nent = NTABLE;
	c.entries = (uintptr_t)table;
	c.flags = 1;
	tap_errno(ioctl(vcpu->fd, VMAIN_VCPU_GET_CPUID, &c), EINVAL,
		  "cpuid/ioctl: GET_CPUID with non-zero flags");
	bad[0] = table[0];
	bad[1] = table[1];
	bad[1].flags = 1U << 1;
	tap_errno(set_cpuid(vcpu->fd, bad, 2), EINVAL,
		  "cpuid/ioctl: SET_CPUID with an unknown entry flag");
	bad[1] = table[1];
	bad[1].reserved[2] = 1;
	tap_errno(set_cpuid(vcpu->fd, bad, 2), EINVAL,
		  "cpuid/ioctl: SET_CPUID with a non-zero entry reserved word");
	bad[0] = table[1];
	bad[1] = table[1];
	bad[1].eax ^= 1;
	tap_errno(set_cpuid(vcpu->fd, bad, 2), EINVAL,
		  "cpuid/ioctl: SET_CPUID with two entries for the same function");
	bad[0] = table[3];
	bad[1] = table[3];
	tap_errno(set_cpuid(vcpu->fd, bad, 2), EINVAL,
		  "cpuid/ioctl: SET_CPUID with two entries for the same (function, index)");
	tap_errno(set_cpuid(vcpu->fd, table, VMAIN_MAX_CPUID_ENTRIES + 1), EINVAL,
		  "cpuid/ioctl: SET_CPUID with nent > VMAIN_MAX_CPUID_ENTRIES");
	tap_errno(set_cpuid(vcpu->fd, NULL, 2), EFAULT,
		  "cpuid/ioctl: SET_CPUID with entries NULL");
	tap_errno(set_cpuid(vcpu->fd, KERNEL_ADDR, 2), EFAULT,
		  "cpuid/ioctl: SET_CPUID with entries at a kernel address");
	tap_errno(ioctl(vcpu->fd, VMAIN_VCPU_SET_CPUID, NULL), EFAULT,
		  "cpuid/ioctl: SET_CPUID(NULL)");
	tap_errno(ioctl(vcpu->fd, VMAIN_VCPU_GET_CPUID, NULL), EFAULT,
		  "cpuid/ioctl: GET_CPUID(NULL)");
	memset(&c, 0, sizeof(c));
	c.nent = NTABLE;
	c.entries = (uintptr_t)KERNEL_ADDR;
	tap_errno(ioctl(vcpu->fd, VMAIN_VCPU_GET_CPUID, &c), EFAULT,
		  "cpuid/ioctl: GET_CPUID with entries at a kernel address");

	/* The failed calls left the table alone. */
	memset(&c, 0, sizeof(c));
	c.nent = NTABLE + 10;
	c.entries = (uintptr_t)got;
	ret = ioctl(vcpu->fd, VMAIN_VCPU_GET_CPUID, &c);
	found = 0;
	for (i = 0; ret == 0 && i < NTABLE && c.nent == NTABLE; i++)
		for (j = 0; j < NTABLE; j++)
			if (same_entry(&table[i], &got[j])) {
				found++;
				break;
			}
	tap_ok(found == NTABLE, "cpuid/ioctl: failed SET_CPUID calls left the table unchanged");

	memset(&c, 0, sizeof(c));
	c.nent = VMAIN_MAX_CPUID_ENTRIES;
	c.entries = (uintptr_t)got;
	ret = set_cpuid(vcpu->fd, table, 0);
	tap_ok(ret == 0 && ioctl(vcpu->fd, VMAIN_VCPU_GET_CPUID, &c) == 0 && c.nent == 0,
	       "cpuid/ioctl: after SET_CPUID with nent 0, GET_CPUID returns 0 entries");
out:
	shutdown_vm();
}

/* ------------------------------------------------------------------ */
/* MSRs                                                                */
/* ------------------------------------------------------------------ */

enum { OP_END, OP_RD, OP_WR, OP_RDTSC };

struct msr_op {
	__u32 op, index;
	__u64 value;
};

/* Loads the operations and restarts the guest at the beginning. */
static bool msr_prog(const struct msr_op *ops, unsigned int n)
{
	struct msr_op buf[32];

	memset(buf, 0, sizeof(buf));
	memcpy(buf, ops, n * sizeof(*ops));
	vm_write(vm, GUEST_DATA_GPA, buf, sizeof(buf));
	return vcpu_start(vcpu, GUEST_LONG64, GUEST_SNIPPET(gl_msr)) == 0;
}

/* The guest's next RDMSR/RDTSC result (two OUTs). */
static bool guest_value(__u64 *value, char *why, size_t n)
{
	__u32 lo, hi;

	if (!run_get_out(vcpu, PORT_LO, 4, &lo, why, n) ||
	    !run_get_out(vcpu, PORT_HI, 4, &hi, why, n))
		return false;
	*value = (__u64)hi << 32 | lo;
	return true;
}

__attribute__((format(printf, 2, 3)))
static bool expect_value(__u64 want, const char *fmt, ...)
{
	char what[200], why[600] = "";
	va_list ap;
	__u64 got = 0;
	bool ok;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	ok = guest_value(&got, why, sizeof(why));
	if (ok && got != want) {
		snprintf(why, sizeof(why), "read 0x%llx, want 0x%llx",
			 (unsigned long long)got, (unsigned long long)want);
		ok = false;
	}
	tap_ok(ok, "%s: %s", guest_case_name(), what);
	if (!ok)
		tap_diag("  %s", why);
	return ok;
}

static int set_msrs(struct vmain_msr_entry *e, __u32 n)
{
	struct vmain_msrs m;

	memset(&m, 0, sizeof(m));
	m.nmsrs = n;
	m.entries = (uintptr_t)e;
	return ioctl(vcpu->fd, VMAIN_VCPU_SET_MSRS, &m);
}

static int get_msrs(struct vmain_msr_entry *e, __u32 n)
{
	struct vmain_msrs m;

	memset(&m, 0, sizeof(m));
	m.nmsrs = n;
	m.entries = (uintptr_t)e;
	return ioctl(vcpu->fd, VMAIN_VCPU_GET_MSRS, &m);
}

static struct vmain_msr_entry msr(__u32 index, __u64 data)
{
	struct vmain_msr_entry e;

	memset(&e, 0, sizeof(e));
	e.index = index;
	e.data = data;
	return e;
}

static bool get_one(__u32 index, __u64 *value)
{
	struct vmain_msr_entry e = msr(index, 0);

	if (get_msrs(&e, 1) != 1)
		return false;
	*value = e.data;
	return true;
}

static void test_msr_kernel(void)
{
	static const struct {
		__u32 index;
		const char *name;
		__u64 host, guest;
	} m[] = {
		{ MSR_STAR, "STAR", 0x0023001000000000ULL, 0x001b000800000000ULL },
		{ MSR_PAT, "PAT", 0x0007050600070106ULL, 0x0007040600010406ULL },
		{ MSR_SYSENTER_CS, "SYSENTER_CS", 0x10, 0x23 },
	};
	const unsigned int n = sizeof(m) / sizeof(m[0]);
	struct vmain_msr_entry e[3];
	struct msr_op ops[8];
	__u64 t0 = 0, t1 = 0, t2 = 0, t3 = 0, t4 = 0, v = 0;
	char why[600] = "";
	unsigned int i;
	bool ok;

	if (!boot(GUEST_SNIPPET(gl_msr)))
		return;
	for (i = 0; i < n; i++)
		e[i] = msr(m[i].index, m[i].host);
	if (!tap_ok(set_msrs(e, n) == (int)n, "msr/kernel: SET_MSRS of STAR, PAT, SYSENTER_CS returns %u", n)) {
		tap_diag("  errno %d (%s)", errno, strerror(errno));
		goto out;
	}
	memset(ops, 0, sizeof(ops));
	for (i = 0; i < n; i++)
		ops[i] = (struct msr_op){ OP_RD, m[i].index, 0 };
	msr_prog(ops, n);
	for (i = 0; i < n; i++)
		if (!expect_value(m[i].host, "guest RDMSR %s reads what SET_MSRS wrote",
				  m[i].name))
			goto out;
	if (!expect_hlt(vcpu, GUEST_ANY_RIP, "the guest finished its RDMSRs"))
		goto out;

	for (i = 0; i < n; i++)
		ops[i] = (struct msr_op){ OP_WR, m[i].index, m[i].guest };
	msr_prog(ops, n);
	for (i = 0; i < n; i++)
		if (!expect_out(vcpu, PORT_WROTE, 1, (__u8)m[i].guest,
				"guest WRMSR %s", m[i].name))
			goto out;
	expect_hlt(vcpu, GUEST_ANY_RIP, "the guest finished its WRMSRs");
	for (i = 0; i < n; i++)
		e[i] = msr(m[i].index, 0);
	ok = get_msrs(e, n) == (int)n;
	for (i = 0; ok && i < n; i++)
		ok = e[i].data == m[i].guest;
	tap_ok(ok, "msr/kernel: GET_MSRS returns what the guest wrote");

	/* TSC: host, guest RDMSR, guest RDTSC, guest RDMSR, host. */
	ops[0] = (struct msr_op){ OP_RD, MSR_TSC, 0 };
	ops[1] = (struct msr_op){ OP_RDTSC, 0, 0 };
	ops[2] = (struct msr_op){ OP_RD, MSR_TSC, 0 };
	ops[3] = (struct msr_op){ OP_END, 0, 0 };
	msr_prog(ops, 4);
	ok = get_one(MSR_TSC, &t0) && guest_value(&t1, why, sizeof(why)) &&
	     guest_value(&t2, why, sizeof(why)) &&
	     guest_value(&t3, why, sizeof(why)) && get_one(MSR_TSC, &t4);
	tap_ok(ok && t0 <= t1 && t1 <= t2 && t2 <= t3 && t3 <= t4,
	       "msr/kernel: TSC is monotonic: host GET_MSRS <= guest RDMSR <= RDTSC <= RDMSR <= host GET_MSRS");
	tap_diag("TSC: %llu %llu %llu %llu %llu %s", (unsigned long long)t0,
		 (unsigned long long)t1, (unsigned long long)t2,
		 (unsigned long long)t3, (unsigned long long)t4, why);
	expect_hlt(vcpu, GUEST_ANY_RIP, "the guest finished its TSC reads");

	e[0] = msr(MSR_TSC, 1ULL << 40);
	ok = set_msrs(e, 1) == 1;
	msr_prog(ops, 1);
	ok = ok && guest_value(&v, why, sizeof(why));
	tap_ok(ok && v >= 1ULL << 40 && v < (1ULL << 40) + 10000000000000ULL,
	       "msr/kernel: after SET_MSRS TSC = 2^40, the guest reads a little more (0x%llx)",
	       (unsigned long long)v);
out:
	shutdown_vm();
}

/* Expects the #GP handler; checks its error code and the faulting RIP. */
static bool expect_gp(__u64 fault_off, const char *what)
{
	struct guest_frame f;
	bool ok;

	if (!expect_vector(vcpu, 13, "%s raises #GP", what))
		return false;
	ok = !guest_read_frame(vcpu, &f) && f.error == 0 &&
	     f.rip == vcpu_code_rip(vcpu, fault_off);
	tap_ok(ok, "%s: %s: #GP error code 0 at the faulting instruction",
	       guest_case_name(), what);
	if (!ok)
		tap_diag("  error 0x%llx rip 0x%llx, want rip 0x%llx",
			 (unsigned long long)f.error, (unsigned long long)f.rip,
			 (unsigned long long)vcpu_code_rip(vcpu, fault_off));
	/* Go on with the next operation. */
	return guest_frame_set_rip(vcpu, vcpu_code_rip(vcpu, GUEST_OFF(gl_msr, gl_msr_next))) == 0;
}

static void test_msr_unknown(void)
{
	struct msr_op ops[] = {
		{ OP_RD, MSR_UNKNOWN, 0 },
		{ OP_WR, MSR_UNKNOWN, 0x1234 },
		{ OP_WR, MSR_PAT, 0x0007040600070402ULL },	/* type 2: invalid */
		{ OP_RD, MSR_XSS, 0 },		/* no supervisor XSAVE state */
		{ OP_WR, MSR_XSS, 0 },
		{ OP_RD, MSR_STAR, 0 },
	};
	struct vmain_msr_entry e = msr(MSR_STAR, 0x0023001000000000ULL);

	if (!boot(GUEST_SNIPPET(gl_msr)))
		return;
	if (set_msrs(&e, 1) != 1) {
		guest_fail("SET_MSRS STAR: %s", strerror(errno));
		goto out;
	}
	msr_prog(ops, 6);
	if (expect_gp(GUEST_OFF(gl_msr, gl_msr_rd), "RDMSR 0x12345678") &&
	    expect_gp(GUEST_OFF(gl_msr, gl_msr_wr), "WRMSR 0x12345678") &&
	    expect_gp(GUEST_OFF(gl_msr, gl_msr_wr), "WRMSR PAT with an invalid type") &&
	    expect_gp(GUEST_OFF(gl_msr, gl_msr_rd), "RDMSR IA32_XSS") &&
	    expect_gp(GUEST_OFF(gl_msr, gl_msr_wr), "WRMSR IA32_XSS 0") &&
	    expect_value(e.data, "after the #GPs the guest goes on (RDMSR STAR)"))
		expect_hlt(vcpu, GUEST_ANY_RIP, "the guest finished");
out:
	shutdown_vm();
}

/* Expects VMAIN_EXIT_MSR for (index, is_write[, data]). */
__attribute__((format(printf, 4, 5)))
static bool expect_msr_exit(__u32 index, bool write, __u64 data,
			    const char *fmt, ...)
{
	struct vmain_run_msr *x = &vcpu->run->exit.msr;
	char what[200], why[600] = "";
	va_list ap;
	bool ok;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	ok = vcpu_run_expect(vcpu, VMAIN_EXIT_MSR, why, sizeof(why));
	if (ok && (x->index != index || x->is_write != write ||
		   (write && x->data != data))) {
		snprintf(why, sizeof(why),
			 "want index 0x%x %s data 0x%llx, got %s", index,
			 write ? "write" : "read", (unsigned long long)data,
			 exit_str(vcpu));
		ok = false;
	}
	tap_ok(ok, "%s: %s", guest_case_name(), what);
	if (!ok)
		tap_diag("  %s", why);
	return ok;
}

static void test_msr_user(void)
{
	struct msr_op ops[] = {
		{ OP_RD, 0x808, 0 },			/* TPR */
		{ OP_WR, 0x830, 0x00000001000000feULL },	/* ICR */
		{ OP_RD, 0x800, 0 },			/* first of the range */
		{ OP_RD, 0x8ff, 0 },			/* last of the range */
		{ OP_WR, MSR_TSC_DEADLINE, 0x123456789aULL },
		{ OP_RD, MSR_TSC_DEADLINE, 0 },
	};
	struct msr_op err_ops[] = {
		{ OP_RD, 0x808, 0 },
		{ OP_WR, 0x80b, 0 },			/* EOI */
		{ OP_RD, 0x803, 0 },			/* version */
	};
	struct msr_op outside[] = {
		{ OP_RD, 0x7ff, 0 },
		{ OP_RD, 0x900, 0 },
		{ OP_END, 0, 0 },
	};

	if (!boot(GUEST_SNIPPET(gl_msr)))
		return;
	msr_prog(ops, 6);
	if (!expect_msr_exit(0x808, false, 0, "RDMSR 0x808 exits VMAIN_EXIT_MSR (read)"))
		goto out;
	vcpu->run->exit.msr.data = 0xdeadbeef00000020ULL;
	vcpu->run->exit.msr.error = 0;
	if (!expect_value(0xdeadbeef00000020ULL, "RDMSR 0x808 returns the data userspace filled in") ||
	    !expect_msr_exit(0x830, true, 0x00000001000000feULL,
			     "WRMSR 0x830 exits VMAIN_EXIT_MSR (write) with EDX:EAX"))
		goto out;
	vcpu->run->exit.msr.error = 0;
	if (!expect_out(vcpu, PORT_WROTE, 1, 0xfe, "the guest goes on after WRMSR 0x830") ||
	    !expect_msr_exit(0x800, false, 0, "RDMSR 0x800 exits to userspace"))
		goto out;
	vcpu->run->exit.msr.data = 1;
	vcpu->run->exit.msr.error = 0;
	if (!expect_value(1, "RDMSR 0x800 returns 1") ||
	    !expect_msr_exit(0x8ff, false, 0, "RDMSR 0x8ff exits to userspace"))
		goto out;
	vcpu->run->exit.msr.data = 0xffffffffffffffffULL;
	vcpu->run->exit.msr.error = 0;
	if (!expect_value(0xffffffffffffffffULL, "RDMSR 0x8ff returns all ones") ||
	    !expect_msr_exit(MSR_TSC_DEADLINE, true, 0x123456789aULL,
			     "WRMSR TSC_DEADLINE exits to userspace"))
		goto out;
	vcpu->run->exit.msr.error = 0;
	if (!expect_out(vcpu, PORT_WROTE, 1, 0x9a, "the guest goes on after WRMSR TSC_DEADLINE") ||
	    !expect_msr_exit(MSR_TSC_DEADLINE, false, 0, "RDMSR TSC_DEADLINE exits to userspace"))
		goto out;
	vcpu->run->exit.msr.data = 0x123456789bULL;
	vcpu->run->exit.msr.error = 0;
	if (!expect_value(0x123456789bULL, "RDMSR TSC_DEADLINE returns userspace's data"))
		goto out;
	expect_hlt(vcpu, GUEST_ANY_RIP, "the guest finished");

	/* exit.msr.error = 1: #GP. */
	msr_prog(err_ops, 3);
	if (!expect_msr_exit(0x808, false, 0, "RDMSR 0x808 exits (error case)"))
		goto out;
	vcpu->run->exit.msr.error = 1;
	if (!expect_gp(GUEST_OFF(gl_msr, gl_msr_rd), "RDMSR answered with error = 1") ||
	    !expect_msr_exit(0x80b, true, 0, "WRMSR 0x80b exits (error case)"))
		goto out;
	vcpu->run->exit.msr.error = 1;
	if (!expect_gp(GUEST_OFF(gl_msr, gl_msr_wr), "WRMSR answered with error = 1") ||
	    !expect_msr_exit(0x803, false, 0, "RDMSR 0x803 exits after the #GPs"))
		goto out;
	vcpu->run->exit.msr.data = 0x50014;
	vcpu->run->exit.msr.error = 0;
	if (expect_value(0x50014, "error = 0 again: RDMSR 0x803 returns the data"))
		expect_hlt(vcpu, GUEST_ANY_RIP, "the guest finished");

	/* Just outside the x2APIC range: unknown MSRs, #GP, no exit. */
	msr_prog(outside, 2);
	if (expect_gp(GUEST_OFF(gl_msr, gl_msr_rd), "RDMSR 0x7ff (not x2APIC)"))
		expect_gp(GUEST_OFF(gl_msr, gl_msr_rd), "RDMSR 0x900 (not x2APIC)");
out:
	shutdown_vm();
}

static void test_msr_ioctl(void)
{
	static struct vmain_msr_entry many[VMAIN_MAX_MSR_ENTRIES + 1];
	struct vmain_msr_entry e[4];
	struct vmain_msrs m;
	unsigned int i;
	int ret;
	bool ok;

	if (!boot(GUEST_SNIPPET(gl_msr)))
		return;
	e[0] = msr(MSR_STAR, 0x0023001000000000ULL);
	e[1] = msr(MSR_PAT, 0x0007040600070406ULL);
	e[2] = msr(MSR_SYSENTER_CS, 0x10);
	if (set_msrs(e, 3) != 3) {
		guest_fail("SET_MSRS: %s", strerror(errno));
		goto out;
	}

	e[0] = msr(MSR_STAR, 0);
	e[1] = msr(MSR_PAT, 0);
	e[2] = msr(MSR_UNKNOWN, 0x5a5a);
	e[3] = msr(MSR_SYSENTER_CS, 0x5a5a);
	ret = get_msrs(e, 4);
	tap_ok(ret == 2, "msr/ioctl: GET_MSRS stops at an unknown MSR and returns 2 (got %d)", ret);
	tap_ok(e[0].data == 0x0023001000000000ULL && e[1].data == 0x0007040600070406ULL,
	       "msr/ioctl: GET_MSRS filled the entries before the unknown MSR");
	tap_ok(e[3].data == 0x5a5a, "msr/ioctl: GET_MSRS left the entries after it alone");

	e[0] = msr(MSR_STAR, 0x0033002000000000ULL);
	e[1] = msr(MSR_UNKNOWN, 0);
	e[2] = msr(MSR_PAT, 0x0606060606060606ULL);
	ret = set_msrs(e, 3);
	tap_ok(ret == 1, "msr/ioctl: SET_MSRS stops at an unknown MSR and returns 1 (got %d)", ret);
	e[0] = msr(MSR_STAR, 0);
	e[1] = msr(MSR_PAT, 0);
	ok = get_msrs(e, 2) == 2 && e[0].data == 0x0033002000000000ULL &&
	     e[1].data == 0x0007040600070406ULL;
	tap_ok(ok, "msr/ioctl: SET_MSRS wrote the MSR before the unknown one, not the one after");

	e[0] = msr(MSR_STAR, 0x0044003000000000ULL);
	e[1] = msr(MSR_PAT, 0x0007040600070402ULL);	/* type 2: invalid */
	e[2] = msr(MSR_SYSENTER_CS, 0x77);
	ret = set_msrs(e, 3);
	tap_ok(ret == 1, "msr/ioctl: SET_MSRS stops at a value the MSR refuses (invalid PAT type) and returns 1 (got %d)",
	       ret);
	e[0] = msr(MSR_PAT, 0);
	e[1] = msr(MSR_SYSENTER_CS, 0);
	ok = get_msrs(e, 2) == 2 && e[0].data == 0x0007040600070406ULL && e[1].data == 0x10;
	tap_ok(ok, "msr/ioctl: neither the refused value nor the entries after it were written");
	e[0] = msr(MSR_KERNEL_GS_BASE, 0x8000000000000000ULL);
	tap_ok(set_msrs(e, 1) == 0,
	       "msr/ioctl: SET_MSRS of a non-canonical KERNEL_GS_BASE returns 0");

	for (i = 0; i < VMAIN_MAX_MSR_ENTRIES; i++)
		many[i] = msr(MSR_STAR, 0);
	ret = get_msrs(many, VMAIN_MAX_MSR_ENTRIES);
	tap_ok(ret == VMAIN_MAX_MSR_ENTRIES,
	       "msr/ioctl: GET_MSRS with VMAIN_MAX_MSR_ENTRIES entries returns %d",
	       VMAIN_MAX_MSR_ENTRIES);

	e[0] = msr(MSR_STAR, 0);
	tap_errno(get_msrs(e, 0), EINVAL, "msr/ioctl: GET_MSRS with nmsrs 0");
	tap_errno(set_msrs(e, 0), EINVAL, "msr/ioctl: SET_MSRS with nmsrs 0");
	tap_errno(get_msrs(many, VMAIN_MAX_MSR_ENTRIES + 1), EINVAL,
		  "msr/ioctl: GET_MSRS with nmsrs > VMAIN_MAX_MSR_ENTRIES");
	tap_errno(set_msrs(many, VMAIN_MAX_MSR_ENTRIES + 1), EINVAL,
		  "msr/ioctl: SET_MSRS with nmsrs > VMAIN_MAX_MSR_ENTRIES");
	tap_errno(get_msrs(NULL, 1), EFAULT, "msr/ioctl: GET_MSRS with entries NULL");
	tap_errno(set_msrs(NULL, 1), EFAULT, "msr/ioctl: SET_MSRS with entries NULL");
	tap_errno(get_msrs(KERNEL_ADDR, 1), EFAULT,
		  "msr/ioctl: GET_MSRS with entries at a kernel address");
	tap_errno(set_msrs(KERNEL_ADDR, 1), EFAULT,
		  "msr/ioctl: SET_MSRS with entries at a kernel address");
	tap_errno(ioctl(vcpu->fd, VMAIN_VCPU_GET_MSRS, NULL), EFAULT,
		  "msr/ioctl: GET_MSRS(NULL)");
	tap_errno(ioctl(vcpu->fd, VMAIN_VCPU_SET_MSRS, NULL), EFAULT,
		  "msr/ioctl: SET_MSRS(NULL)");

	memset(&m, 0, sizeof(m));
	m.nmsrs = 1;
	m.entries = (uintptr_t)e;
	m.flags = 1;
	tap_errno(ioctl(vcpu->fd, VMAIN_VCPU_GET_MSRS, &m), EINVAL,
		  "msr/ioctl: GET_MSRS with non-zero flags");
	tap_errno(ioctl(vcpu->fd, VMAIN_VCPU_SET_MSRS, &m), EINVAL,
		  "msr/ioctl: SET_MSRS with non-zero flags");
	m.flags = 0;
	for (i = 0; i < 2; i++) {
		m.reserved[i] = 1;
		tap_errno(ioctl(vcpu->fd, VMAIN_VCPU_GET_MSRS, &m), EINVAL,
			  "msr/ioctl: GET_MSRS with reserved[%u] non-zero", i);
		tap_errno(ioctl(vcpu->fd, VMAIN_VCPU_SET_MSRS, &m), EINVAL,
			  "msr/ioctl: SET_MSRS with reserved[%u] non-zero", i);
		m.reserved[i] = 0;
	}
	e[0] = msr(MSR_STAR, 0);
	e[0].reserved = 1;
	tap_errno(ioctl(vcpu->fd, VMAIN_VCPU_GET_MSRS, &m), EINVAL,
		  "msr/ioctl: GET_MSRS with a non-zero entry reserved word");
	tap_errno(ioctl(vcpu->fd, VMAIN_VCPU_SET_MSRS, &m), EINVAL,
		  "msr/ioctl: SET_MSRS with a non-zero entry reserved word");
out:
	shutdown_vm();
}

static unsigned int host_tsc_aux(void)
{
	unsigned int lo, hi, aux;

	asm volatile("rdtscp" : "=a" (lo), "=d" (hi), "=c" (aux));
	(void)lo;
	(void)hi;
	return aux;
}

/*
 * TSC_AUX is what Linux keeps its CPU number in (RDTSCP, RDPID in the
 * vDSO's getcpu): the guest's value must be in the register while the
 * guest runs (RDPID cannot be intercepted on AMD-V), and the host's
 * back after every exit.  The thread stays on one CPU so the host's
 * value does not change under the test.
 */
static void test_tsc_aux(void)
{
	unsigned int a, b, c, d, host, got;
	bool rdpid;
	cpu_set_t set, old;

	if (!__get_cpuid(0x80000001, &a, &b, &c, &d) || !(d & (1U << 27))) {
		tap_ok(1, "%s # SKIP the CPU has no RDTSCP", guest_case_name());
		return;
	}
	rdpid = __get_cpuid_count(7, 0, &a, &b, &c, &d) && (c & (1U << 22));
	sched_getaffinity(0, sizeof(old), &old);
	CPU_ZERO(&set);
	CPU_SET(sched_getcpu(), &set);
	sched_setaffinity(0, sizeof(set), &set);
	host = host_tsc_aux();
	if (!guest_boot(&vm, &vcpu, GUEST_LONG64, GUEST_SNIPPET(gl_tscaux)))
		goto out;
	if (vcpu_set_reg(vcpu, R_RBX, rdpid))
		goto out;
	if (!expect_sync(vcpu, "the guest writes TSC_AUX %#x", GUEST_AUX))
		goto out;
	got = host_tsc_aux();
	tap_ok(got == host, "%s: the host thread's RDTSCP reads the host's TSC_AUX (%#x)",
	       guest_case_name(), host);
	if (got != host)
		tap_diag("  host RDTSCP: ECX %#x", got);
	if (!expect_out(vcpu, PORT_AUX, 4, GUEST_AUX, "the guest's RDTSCP reads its TSC_AUX"))
		goto out;
	if (rdpid && !expect_out(vcpu, PORT_AUX, 4, GUEST_AUX, "the guest's RDPID reads its TSC_AUX"))
		goto out;
	if (!rdpid)
		tap_ok(1, "%s: RDPID # SKIP the CPU has no RDPID", guest_case_name());
	if (!expect_hlt(vcpu, GUEST_ANY_RIP, "the guest finished"))
		goto out;
	got = host_tsc_aux();
	tap_ok(got == host, "%s: after the guest's RDTSCP and RDPID the host's TSC_AUX is back",
	       guest_case_name());
	if (got != host)
		tap_diag("  host RDTSCP: ECX %#x", got);
out:
	guest_shutdown(&vm, &vcpu);
	sched_setaffinity(0, sizeof(old), &old);
}

/* ------------------------------------------------------------------ */
/* Speculation control and the host's MSRs                             */
/* ------------------------------------------------------------------ */

#define MSR_SPEC_CTRL		0x48
#define MSR_PRED_CMD		0x49
#define MSR_ARCH_CAPS		0x10a
#define MSR_SYSENTER_ESP	0x175
#define MSR_SYSENTER_EIP	0x176
#define MSR_LSTAR		0xc0000082
#define MSR_CSTAR		0xc0000083
#define MSR_SFMASK		0xc0000084
#define SPEC_IBRS		1ULL
#define SPEC_STIBP		2ULL
#define SPEC_SSBD		4ULL
#define SPEC_RESERVED		(1ULL << 20)
#define PRED_CMD_IBPB		1ULL
/* CPUID.7.0:EDX and 8000_0008h:EBX bits of speculation control. */
#define L7_IBRS_IBPB		(1U << 26)
#define L7_STIBP		(1U << 27)
#define L7_ARCH_CAPS		(1U << 29)
#define L7_SSBD			(1U << 31)
#define X8_IBPB			(1U << 12)
#define X8_IBRS			(1U << 14)
#define X8_STIBP		(1U << 15)
#define X8_SSBD			(1U << 24)
#define L7_SPEC_ALL		(L7_IBRS_IBPB | L7_STIBP | L7_SSBD)
#define X8_SPEC_ALL		(X8_IBPB | X8_IBRS | X8_STIBP | X8_SSBD)
/* docs/abi.md: the ARCH_CAPABILITIES bits a guest may see. */
#define ARCH_CAPS_GUEST		0x1d1ae177ULL
#define ARCH_CAP_RDCL_NO	(1ULL << 0)
#define ARCH_CAP_SSB_NO		(1ULL << 4)
#define ARCH_CAP_MDS_NO		(1ULL << 5)

/* The host CPU's CPUID words for speculation control. */
static void host_spec_cpuid(__u32 *edx7, __u32 *ebx8)
{
	unsigned int a, b, c, d;

	*edx7 = *ebx8 = 0;
	if (__get_cpuid_count(7, 0, &a, &b, &c, &d))
		*edx7 = d;
	if (__get_cpuid(0x80000000, &a, &b, &c, &d) && a >= 0x80000008 &&
	    __get_cpuid(0x80000008, &a, &b, &c, &d))
		*ebx8 = b;
}

/* SPEC_CTRL bits the host's CPUID says its register has. */
static __u64 host_spec_bits(void)
{
	__u32 edx7, ebx8;
	__u64 bits = 0;

	host_spec_cpuid(&edx7, &ebx8);
	if ((edx7 & L7_IBRS_IBPB) || (ebx8 & X8_IBRS))
		bits |= SPEC_IBRS;
	if ((edx7 & L7_STIBP) || (ebx8 & X8_STIBP))
		bits |= SPEC_STIBP;
	if ((edx7 & L7_SSBD) || (ebx8 & X8_SSBD))
		bits |= SPEC_SSBD;
	return bits;
}

static bool host_has_ibpb(void)
{
	__u32 edx7, ebx8;

	host_spec_cpuid(&edx7, &ebx8);
	return (edx7 & L7_IBRS_IBPB) || (ebx8 & X8_IBPB);
}

/* A CPUID table with just leaf 7.0's EDX and 8000_0008h's EBX. */
static int set_spec_table(__u32 edx7, __u32 ebx8)
{
	struct vmain_cpuid_entry e[4];

	e[0] = ent(0, 0, 0, 7, 0, 0, 0);
	e[1] = ent(7, 0, VMAIN_CPUID_INDEXED, 0, 0, 0, edx7);
	e[2] = ent(0x80000000, 0, 0, 0x80000008, 0, 0, 0);
	e[3] = ent(0x80000008, 0, 0, 0x3030, ebx8, 0, 0);
	return set_cpuid(vcpu->fd, e, 4);
}

/*
 * The host-state checker: the host's MSRs read on this CPU through the
 * msr driver (/dev/cpu/N/msr; the arenas load it), while the test thread
 * is pinned there.
 */
static int host_msr_fd = -1;
static cpu_set_t pinned_old;

static bool pin_and_open_msr(void)
{
	char path[64];
	cpu_set_t set;
	int cpu = sched_getcpu();

	sched_getaffinity(0, sizeof(pinned_old), &pinned_old);
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
	snprintf(path, sizeof(path), "/dev/cpu/%d/msr", cpu);
	host_msr_fd = open(path, O_RDONLY | O_CLOEXEC);
	return host_msr_fd >= 0;
}

static void unpin_and_close_msr(void)
{
	if (host_msr_fd >= 0)
		close(host_msr_fd);
	host_msr_fd = -1;
	sched_setaffinity(0, sizeof(pinned_old), &pinned_old);
}

static bool host_msr(__u32 index, __u64 *value)
{
	return pread(host_msr_fd, value, 8, index) == 8;
}

struct host_msr_check {
	__u32 index;
	const char *name;
	__u64 guest;		/* what the guest writes */
	__u64 host;		/* read before the VM ran */
};

/* Every host MSR in c[] still has its value from before the VM ran. */
static bool host_unchanged(const struct host_msr_check *c, unsigned int n,
			   const char *when)
{
	unsigned int i;
	__u64 v;
	bool ok = true;

	for (i = 0; i < n; i++) {
		if (!host_msr(c[i].index, &v) || v != c[i].host) {
			tap_diag("  host %s: 0x%llx, was 0x%llx (guest wrote 0x%llx)",
				 c[i].name, (unsigned long long)v,
				 (unsigned long long)c[i].host,
				 (unsigned long long)c[i].guest);
			ok = false;
		}
	}
	tap_ok(ok, "%s: %s: the host's %u MSRs are unchanged on this CPU",
	       guest_case_name(), when, n);
	return ok;
}

/*
 * The guest's SPEC_CTRL, PRED_CMD and ARCH_CAPABILITIES when its CPUID
 * does not offer them, or offers what the host cannot back: #GP, while
 * userspace can still read SPEC_CTRL (0) and write 0 (a saved state).
 * Runs on every CPU: in the arenas (no SPEC_CTRL under QEMU TCG or
 * Bochs) this is the path there is.
 */
static void test_spec_absent(void)
{
	struct msr_op ops[] = {
		{ OP_RD, MSR_SPEC_CTRL, 0 },
		{ OP_WR, MSR_SPEC_CTRL, 0 },
		{ OP_WR, MSR_PRED_CMD, PRED_CMD_IBPB },
		{ OP_RD, MSR_PRED_CMD, 0 },
		{ OP_RD, MSR_ARCH_CAPS, 0 },
		{ OP_RD, MSR_STAR, 0 },
	};
	struct vmain_msr_entry e = msr(MSR_STAR, 0x0023001000000000ULL);
	__u64 v = 1, host = host_spec_bits();
	bool ibpb = host_has_ibpb();
	unsigned int i;

	if (!boot(GUEST_SNIPPET(gl_msr)))
		return;
	if (set_msrs(&e, 1) != 1 || set_spec_table(0, 0)) {
		guest_fail("SET_MSRS STAR or SET_CPUID: %s", strerror(errno));
		goto out;
	}
	msr_prog(ops, 6);
	if (!expect_gp(GUEST_OFF(gl_msr, gl_msr_rd), "not offered: RDMSR SPEC_CTRL") ||
	    !expect_gp(GUEST_OFF(gl_msr, gl_msr_wr), "not offered: WRMSR SPEC_CTRL 0") ||
	    !expect_gp(GUEST_OFF(gl_msr, gl_msr_wr), "not offered: WRMSR PRED_CMD IBPB") ||
	    !expect_gp(GUEST_OFF(gl_msr, gl_msr_rd), "not offered: RDMSR PRED_CMD") ||
	    !expect_gp(GUEST_OFF(gl_msr, gl_msr_rd), "not offered: RDMSR ARCH_CAPABILITIES") ||
	    !expect_value(e.data, "after the #GPs the guest goes on (RDMSR STAR)") ||
	    !expect_hlt(vcpu, GUEST_ANY_RIP, "the guest finished"))
		goto out;
	tap_ok(get_one(MSR_SPEC_CTRL, &v) && v == 0,
	       "msr/spec-absent: GET_MSRS SPEC_CTRL reads 0 for a guest without it");
	e = msr(MSR_SPEC_CTRL, 0);
	tap_ok(set_msrs(&e, 1) == 1, "msr/spec-absent: SET_MSRS SPEC_CTRL 0 is taken (a restore)");
	e = msr(MSR_SPEC_CTRL, SPEC_SSBD);
	tap_ok(set_msrs(&e, 1) == 0, "msr/spec-absent: SET_MSRS SPEC_CTRL SSBD is refused (not offered)");
	e = msr(MSR_PRED_CMD, PRED_CMD_IBPB);
	tap_ok(set_msrs(&e, 1) == 0, "msr/spec-absent: SET_MSRS PRED_CMD is refused (the guest's command)");
	e = msr(MSR_ARCH_CAPS, 0);
	tap_ok(set_msrs(&e, 1) == 0, "msr/spec-absent: SET_MSRS ARCH_CAPABILITIES is refused (read-only)");

	/*
	 * A table that offers every bit: the module still offers only what
	 * the host has.  On a host with them all, msr/spec-ctrl covers it.
	 */
	if (host == (SPEC_IBRS | SPEC_STIBP | SPEC_SSBD) && ibpb) {
		tap_ok(1, "%s: a table beyond the host # SKIP this host has every bit",
		       guest_case_name());
		goto out;
	}
	if (set_spec_table(L7_SPEC_ALL, X8_SPEC_ALL)) {
		guest_fail("SET_CPUID: %s", strerror(errno));
		goto out;
	}
	i = 0;
	ops[i++] = (struct msr_op){ OP_WR, MSR_SPEC_CTRL,
				    (SPEC_IBRS | SPEC_STIBP | SPEC_SSBD) & ~host };
	if (!ibpb)
		ops[i++] = (struct msr_op){ OP_WR, MSR_PRED_CMD, PRED_CMD_IBPB };
	ops[i++] = (struct msr_op){ OP_RD, MSR_STAR, 0 };
	msr_prog(ops, i);
	if (!expect_gp(GUEST_OFF(gl_msr, gl_msr_wr),
		       "offered in CPUID but not by the host: WRMSR SPEC_CTRL of the host's missing bits"))
		goto out;
	if (!ibpb && !expect_gp(GUEST_OFF(gl_msr, gl_msr_wr),
				"offered in CPUID, host without IBPB: WRMSR PRED_CMD IBPB"))
		goto out;
	if (expect_value(0x0023001000000000ULL, "the guest goes on (RDMSR STAR)"))
		expect_hlt(vcpu, GUEST_ANY_RIP, "the guest finished");
out:
	shutdown_vm();
}

/*
 * ARCH_CAPABILITIES offered (7.0:EDX[29]): emulated on any host, read-only,
 * only documented bits, and saying "not affected" exactly where the host
 * kernel's /sys/devices/system/cpu/vulnerabilities does.
 */
static bool vuln_not_affected(const char *name, bool *not_affected)
{
	char path[128], line[256] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/sys/devices/system/cpu/vulnerabilities/%s", name);
	f = fopen(path, "r");
	if (!f)
		return false;
	if (!fgets(line, sizeof(line), f))
		line[0] = 0;
	fclose(f);
	*not_affected = !strncmp(line, "Not affected", 12);
	return true;
}

static void test_arch_caps(void)
{
	static const struct {
		const char *vuln;
		__u64 bit;
		const char *name;
	} v[] = {
		{ "meltdown", ARCH_CAP_RDCL_NO, "RDCL_NO" },
		{ "spec_store_bypass", ARCH_CAP_SSB_NO, "SSB_NO" },
		{ "mds", ARCH_CAP_MDS_NO, "MDS_NO" },
	};
	struct msr_op ops[] = {
		{ OP_RD, MSR_ARCH_CAPS, 0 },
		{ OP_WR, MSR_ARCH_CAPS, 0 },
	};
	__u64 guest = 0, user = 0;
	char why[600] = "";
	unsigned int i;
	bool na;

	if (!boot(GUEST_SNIPPET(gl_msr)))
		return;
	if (set_spec_table(L7_ARCH_CAPS, 0)) {
		guest_fail("SET_CPUID: %s", strerror(errno));
		goto out;
	}
	msr_prog(ops, 2);
	if (!tap_ok(guest_value(&guest, why, sizeof(why)),
		    "msr/arch-caps: offered in CPUID, the guest's RDMSR ARCH_CAPABILITIES works")) {
		tap_diag("  %s", why);
		goto out;
	}
	tap_diag("ARCH_CAPABILITIES: 0x%llx", (unsigned long long)guest);
	if (!expect_gp(GUEST_OFF(gl_msr, gl_msr_wr), "WRMSR ARCH_CAPABILITIES (read-only)") ||
	    !expect_hlt(vcpu, GUEST_ANY_RIP, "the guest finished"))
		goto out;
	tap_ok(get_one(MSR_ARCH_CAPS, &user) && user == guest,
	       "msr/arch-caps: GET_MSRS reads what the guest read");
	tap_ok(!(guest & ~ARCH_CAPS_GUEST), "msr/arch-caps: only the documented bits (0x%llx)",
	       (unsigned long long)(guest & ~ARCH_CAPS_GUEST));
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		if (!vuln_not_affected(v[i].vuln, &na)) {
			tap_ok(1, "msr/arch-caps: %s # SKIP no vulnerabilities/%s",
			       v[i].name, v[i].vuln);
			continue;
		}
		tap_ok(na == !!(guest & v[i].bit),
		       "msr/arch-caps: %s is %s, as the host kernel's %s says (%s)",
		       v[i].name, na ? "set" : "clear", v[i].vuln,
		       na ? "Not affected" : "affected");
	}
	/* A table without the bit takes the MSR away again. */
	if (set_spec_table(0, 0) == 0) {
		msr_prog(ops, 1);
		if (expect_gp(GUEST_OFF(gl_msr, gl_msr_rd),
			      "after SET_CPUID without 7.0:EDX[29]: RDMSR ARCH_CAPABILITIES"))
			expect_hlt(vcpu, GUEST_ANY_RIP, "the guest finished");
	}
out:
	shutdown_vm();
}

/*
 * SPEC_CTRL offered as the host has it: each bit the guest writes it
 * reads back, GET_MSRS sees it, the host's value on this CPU is the same
 * after every exit as before the VM ran (the host-state checker), bits
 * not offered #GP; PRED_CMD's IBPB is taken, its other bits #GP.  Needs
 * a CPU with SPEC_CTRL: none of the arenas has one (QEMU TCG 7.2 drops
 * spec-ctrl/ssbd/ibpb, Bochs' models lack them), where it says SKIP and
 * msr/spec-absent covers the not-offered path.
 */
static void test_spec_ctrl(void)
{
	__u64 host = host_spec_bits(), bit, v = 0, before = 0, after = 0;
	struct msr_op ops[8];
	__u32 edx7, ebx8;
	bool have_msr;

	if (!host) {
		tap_ok(1, "%s # SKIP the CPU has no SPEC_CTRL (msr/spec-absent covers the not-offered path)",
		       guest_case_name());
		return;
	}
	have_msr = pin_and_open_msr() && host_msr(MSR_SPEC_CTRL, &before);
	if (!have_msr)
		tap_diag("no /dev/cpu/N/msr: the host's SPEC_CTRL is not checked");
	if (!boot(GUEST_SNIPPET(gl_msr)))
		goto out;
	host_spec_cpuid(&edx7, &ebx8);
	if (set_spec_table(edx7 & (L7_SPEC_ALL | L7_ARCH_CAPS), ebx8 & X8_SPEC_ALL)) {
		guest_fail("SET_CPUID: %s", strerror(errno));
		goto out;
	}
	for (bit = 1; bit <= SPEC_SSBD; bit <<= 1) {
		if (!(host & bit))
			continue;
		ops[0] = (struct msr_op){ OP_WR, MSR_SPEC_CTRL, bit };
		ops[1] = (struct msr_op){ OP_RD, MSR_SPEC_CTRL, 0 };
		msr_prog(ops, 2);
		if (!expect_out(vcpu, PORT_WROTE, 1, (__u8)bit, "WRMSR SPEC_CTRL 0x%llx",
				(unsigned long long)bit))
			goto out;
		if (have_msr) {
			tap_ok(host_msr(MSR_SPEC_CTRL, &after) && after == before,
			       "msr/spec-ctrl: after the exit the host's SPEC_CTRL is its own (0x%llx)",
			       (unsigned long long)before);
			if (after != before)
				tap_diag("  host SPEC_CTRL 0x%llx", (unsigned long long)after);
		}
		if (!expect_value(bit, "RDMSR SPEC_CTRL reads 0x%llx back", (unsigned long long)bit) ||
		    !expect_hlt(vcpu, GUEST_ANY_RIP, "the guest finished"))
			goto out;
		tap_ok(get_one(MSR_SPEC_CTRL, &v) && v == bit,
		       "msr/spec-ctrl: GET_MSRS reads the guest's 0x%llx", (unsigned long long)bit);
	}
	ops[0] = (struct msr_op){ OP_WR, MSR_SPEC_CTRL, SPEC_RESERVED };
	ops[1] = (struct msr_op){ OP_WR, MSR_PRED_CMD, 2 };
	ops[2] = (struct msr_op){ OP_RD, MSR_PRED_CMD, 0 };
	ops[3] = (struct msr_op){ OP_WR, MSR_PRED_CMD, PRED_CMD_IBPB };
	msr_prog(ops, host_has_ibpb() ? 4 : 3);
	if (!expect_gp(GUEST_OFF(gl_msr, gl_msr_wr), "WRMSR SPEC_CTRL of a bit not offered") ||
	    !expect_gp(GUEST_OFF(gl_msr, gl_msr_wr), "WRMSR PRED_CMD bit 1") ||
	    !expect_gp(GUEST_OFF(gl_msr, gl_msr_rd), "RDMSR PRED_CMD (write-only)"))
		goto out;
	if (host_has_ibpb() &&
	    !expect_out(vcpu, PORT_WROTE, 1, PRED_CMD_IBPB, "WRMSR PRED_CMD IBPB is taken"))
		goto out;
	if (!expect_hlt(vcpu, GUEST_ANY_RIP, "the guest finished"))
		goto out;
	if (have_msr) {
		tap_ok(host_msr(MSR_SPEC_CTRL, &after) && after == before,
		       "msr/spec-ctrl: after the guest's last exit the host's SPEC_CTRL is its own");
	}
	/* A narrower table: SSBD only (where the host has it), IBRS #GPs. */
	if ((host & SPEC_SSBD) && (host & SPEC_IBRS) &&
	    set_spec_table(edx7 & L7_SSBD, ebx8 & X8_SSBD) == 0) {
		ops[0] = (struct msr_op){ OP_WR, MSR_SPEC_CTRL, SPEC_IBRS };
		msr_prog(ops, 1);
		if (expect_gp(GUEST_OFF(gl_msr, gl_msr_wr), "SSBD-only table: WRMSR SPEC_CTRL IBRS"))
			expect_hlt(vcpu, GUEST_ANY_RIP, "the guest finished");
	}
out:
	shutdown_vm();
	unpin_and_close_msr();
}

/*
 * The MSRs the guest and the host both use: the syscall MSRs, SYSENTER_*,
 * TSC_AUX (and SPEC_CTRL where offered).  The guest writes values of its
 * own and reads them back; at every exit, and after it halts, the host's
 * values on this CPU are what they were before the VM ran.
 */
static void test_host_state(void)
{
	struct host_msr_check c[] = {
		{ MSR_STAR, "STAR", 0x001b000800000000ULL, 0 },
		{ MSR_LSTAR, "LSTAR", 0xffffffff8badf000ULL, 0 },
		{ MSR_CSTAR, "CSTAR", 0xffffffff8badf100ULL, 0 },
		{ MSR_SFMASK, "SFMASK", 0x4700, 0 },
		{ MSR_KERNEL_GS_BASE, "KERNEL_GS_BASE", 0xffff8880deadb000ULL, 0 },
		{ MSR_SYSENTER_CS, "SYSENTER_CS", 0x5b, 0 },
		{ MSR_SYSENTER_ESP, "SYSENTER_ESP", 0x00fff000, 0 },
		{ MSR_SYSENTER_EIP, "SYSENTER_EIP", 0x00abc000, 0 },
		{ MSR_TSC_AUX, "TSC_AUX", 0x5eed, 0 },
		{ MSR_SPEC_CTRL, "SPEC_CTRL", 0, 0 },
	};
	unsigned int n = sizeof(c) / sizeof(c[0]), i, k;
	struct msr_op ops[32];
	__u64 host_spec = host_spec_bits();
	__u32 edx7, ebx8;

	if (!pin_and_open_msr()) {
		tap_ok(1, "%s # SKIP no /dev/cpu/N/msr (the msr module; svm.t and vmx.t load it)",
		       guest_case_name());
		goto out;
	}
	/* SPEC_CTRL only where the host has it; TSC_AUX where it exists. */
	if (!host_spec)
		n--;
	for (i = 0; i < n; i++) {
		if (!host_msr(c[i].index, &c[i].host)) {
			tap_diag("the host has no %s: left out", c[i].name);
			memmove(&c[i], &c[i + 1], (n - i - 1) * sizeof(c[0]));
			n--;
			i--;
			continue;
		}
		if (c[i].index == MSR_SPEC_CTRL) {
			/* A bit the host has but has not set; else 0. */
			__u64 avail = host_spec & ~c[i].host;

			c[i].guest = avail & -avail;
		} else if (c[i].guest == c[i].host) {
			c[i].guest ^= 0x1000;
		}
	}
	if (!boot(GUEST_SNIPPET(gl_msr)))
		goto out;
	host_spec_cpuid(&edx7, &ebx8);
	if (set_spec_table(edx7 & L7_SPEC_ALL, ebx8 & X8_SPEC_ALL)) {
		guest_fail("SET_CPUID: %s", strerror(errno));
		goto out;
	}
	for (i = k = 0; i < n; i++)
		ops[k++] = (struct msr_op){ OP_WR, c[i].index, c[i].guest };
	for (i = 0; i < n; i++)
		ops[k++] = (struct msr_op){ OP_RD, c[i].index, 0 };
	msr_prog(ops, k);
	for (i = 0; i < n; i++) {
		if (!expect_out(vcpu, PORT_WROTE, 1, (__u8)c[i].guest, "the guest writes %s 0x%llx",
				c[i].name, (unsigned long long)c[i].guest))
			goto out;
		if (!host_unchanged(c, n, c[i].name))
			goto out;
	}
	for (i = 0; i < n; i++)
		if (!expect_value(c[i].guest, "the guest reads its own %s back", c[i].name))
			goto out;
	if (expect_hlt(vcpu, GUEST_ANY_RIP, "the guest finished"))
		host_unchanged(c, n, "after the guest halted");
out:
	shutdown_vm();
	unpin_and_close_msr();
}

int main(int argc, char **argv)
{
	static const struct guest_test tests[] = {
		{ "cpuid/guest", test_cpuid_guest },
		{ "cpuid/ioctl", test_cpuid_ioctl },
		{ "msr/kernel", test_msr_kernel },
		{ "msr/unknown", test_msr_unknown },
		{ "msr/user", test_msr_user },
		{ "msr/tsc-aux", test_tsc_aux },
		{ "msr/ioctl", test_msr_ioctl },
		{ "msr/spec-absent", test_spec_absent },
		{ "msr/arch-caps", test_arch_caps },
		{ "msr/spec-ctrl", test_spec_ctrl },
		{ "msr/host-state", test_host_state },
	};

	guest_init(argc, argv, 0);
	guest_run_tests(tests, sizeof(tests) / sizeof(tests[0]));
	close(guest_devfd);
	return guest_done();
}
