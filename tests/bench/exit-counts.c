// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * exit-counts.c - how many exits a guest operation costs, and how many
 * round trips to userspace each exit takes (docs/perf.md).
 *
 *   exit-counts [N]     (default 10000 operations of each kind)
 *
 * A real-mode guest runs each operation N times in a loop (OUT to a port,
 * a byte store to MMIO, a byte load from MMIO, HLT).  Counted: RUN
 * returns (round trips to userspace), the module's in-kernel exits
 * (exits_in_kernel) and wall time per exit.  Counts, not times, are the
 * result: times under an emulator say little about hardware.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "vmain.h"

#define CODE	0x1000
#define MMIO_DS	0x1000		/* DS base 0x10000: past the 64 KiB slot */

struct op {
	const char *name;
	unsigned char body[4];	/* the operation, repeated CX times */
	unsigned int len;
	unsigned int exit;	/* the exit reason it must produce */
};

static const struct op ops[] = {
	{ "port I/O (OUT imm8, AL)", { 0xe6, 0x80 }, 2, VMAIN_EXIT_IO },
	{ "MMIO write (mov [bx], al)", { 0x88, 0x07 }, 2, VMAIN_EXIT_MMIO },
	{ "MMIO read (mov al, [bx])", { 0x8a, 0x07 }, 2, VMAIN_EXIT_MMIO },
	{ "HLT", { 0xf4 }, 1, VMAIN_EXIT_HLT },
};

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static int bench(int dev, const struct op *op, unsigned int n)
{
	struct vmain_create_vm c = { .uuid = { 0x62, 0x65, 0x6e, 0x63, 0x68 } };
	struct vmain_memory_region r = { .size = 0x10000 };
	unsigned long returns = 0, other = 0;
	struct vmain_sregs s;
	struct vmain_regs g;
	struct vmain_run *run;
	unsigned char *mem, *p;
	__u64 kernel0;
	double t0, t1;
	int vm, vcpu;

	c.uuid[15] = (unsigned char)(op - ops);
	vm = ioctl(dev, VMAIN_CREATE_VM, &c);
	mem = mmap(NULL, r.size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (vm < 0 || mem == MAP_FAILED)
		return -1;
	/* mov cx, n; body; dec cx; jnz body; out 0xf0, al (done) */
	p = mem + CODE;
	*p++ = 0xb9; *p++ = n & 0xff; *p++ = n >> 8;
	memcpy(p, op->body, op->len);
	p += op->len;
	*p++ = 0x49;
	*p++ = 0x75; *p = (unsigned char)-(int)(op->len + 3); p++;
	*p++ = 0xe6; *p++ = 0xf0;
	r.userspace_addr = (unsigned long)mem;
	vcpu = ioctl(vm, VMAIN_VM_CREATE_VCPU, 0);
	if (ioctl(vm, VMAIN_VM_SET_MEMORY_REGION, &r) || vcpu < 0)
		return -1;
	run = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED || ioctl(vcpu, VMAIN_VCPU_GET_SREGS, &s))
		return -1;
	s.cs.base = 0;
	s.cs.selector = 0;
	s.ds.base = MMIO_DS << 4;
	s.ds.selector = MMIO_DS;
	memset(&g, 0, sizeof(g));
	g.rip = CODE;
	g.rflags = 2;
	if (ioctl(vcpu, VMAIN_VCPU_SET_SREGS, &s) || ioctl(vcpu, VMAIN_VCPU_SET_REGS, &g))
		return -1;

	kernel0 = run->exits_in_kernel;
	t0 = now();
	for (;;) {
		if (ioctl(vcpu, VMAIN_VCPU_RUN, 0)) {
			perror("RUN");
			return -1;
		}
		returns++;
		if (run->exit_reason == VMAIN_EXIT_IO && run->exit.io.port == 0xf0)
			break;
		if (run->exit_reason != op->exit)
			other++;
	}
	t1 = now();
	returns--;	/* the final "done" OUT */
	printf("| %-27s | %6u | %8lu | %8.3f | %8llu | %6lu | %8.1f |\n", op->name, n,
	       returns, (double)returns / n,
	       (unsigned long long)(run->exits_in_kernel - kernel0), other,
	       (t1 - t0) * 1e6 / returns);
	munmap(run, 8192);
	close(vcpu);
	close(vm);
	munmap(mem, r.size);
	return other ? -1 : 0;
}

int main(int argc, char **argv)
{
	unsigned int n = argc > 1 ? (unsigned int)strtoul(argv[1], NULL, 0) : 10000;
	int dev = open(VMAIN_DEVICE_PATH, O_RDWR | O_CLOEXEC), failed = 0;
	unsigned int i;

	if (dev < 0 || n == 0 || n > 65535) {
		fprintf(stderr, "exit-counts: need /dev/vm-main and 1 <= N <= 65535\n");
		return 2;
	}
	printf("| guest operation             |      N | RUN returns | returns/op | in-kernel exits | wrong exits | us/exit |\n");
	printf("| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n");
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		failed |= bench(dev, &ops[i], n) != 0;
	return failed;
}
