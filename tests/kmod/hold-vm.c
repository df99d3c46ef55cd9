// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hold-vm.c - a helper for shell tests: creates a VM and holds it.
 *
 *   hold-vm SEED         create the VM of UUID seed SEED, print "ready",
 *                        then sleep until killed
 *   hold-vm --once SEED  create and close it; exit 0 if that worked
 *   hold-vm --spin SEED  also give it a vCPU spinning in `jmp .` and keep
 *                        it in guest mode; print "ready" once it runs
 */
#include <errno.h>
#include <stdbool.h>
#include <sys/mman.h>

#include "util.h"

/* A real-mode vCPU at 0x1000 running `jmp .` (EB FE), until killed. */
static int spin(int devfd, int vm)
{
	struct vmain_memory_region r;
	struct vmain_sregs s;
	struct vmain_regs g;
	struct vmain_run *run;
	unsigned char *mem;
	long size;
	int vcpu;

	mem = mmap(NULL, 0x10000, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return -1;
	mem[0x1000] = 0xeb;
	mem[0x1001] = 0xfe;
	memset(&r, 0, sizeof(r));
	r.size = 0x10000;
	r.userspace_addr = (unsigned long)mem;
	vcpu = ioctl(vm, VMAIN_VM_CREATE_VCPU, 0);
	size = ioctl(devfd, VMAIN_GET_VCPU_MMAP_SIZE, 0);
	if (ioctl(vm, VMAIN_VM_SET_MEMORY_REGION, &r) || vcpu < 0 || size <= 0)
		return -1;
	run = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED || ioctl(vcpu, VMAIN_VCPU_GET_SREGS, &s))
		return -1;
	s.cs.base = 0;
	s.cs.selector = 0;
	memset(&g, 0, sizeof(g));
	g.rip = 0x1000;
	g.rflags = 2;
	if (ioctl(vcpu, VMAIN_VCPU_SET_SREGS, &s) || ioctl(vcpu, VMAIN_VCPU_SET_REGS, &g))
		return -1;
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		if (ioctl(vcpu, VMAIN_VCPU_RUN, 0) && errno != EINTR) {
			perror("hold-vm: RUN");
			return -1;
		}
		if (run->exit_reason != VMAIN_EXIT_INTR) {
			fprintf(stderr, "hold-vm: unexpected exit %u\n", run->exit_reason);
			return -1;
		}
	}
}

int main(int argc, char **argv)
{
	bool once = argc > 1 && !strcmp(argv[1], "--once");
	bool spinning = argc > 1 && !strcmp(argv[1], "--spin");
	const char *seed = argv[once || spinning ? 2 : 1];
	int fd, vm;

	if (!seed) {
		fprintf(stderr, "usage: hold-vm [--once | --spin] SEED\n");
		return 2;
	}
	fd = test_open(0);
	if (fd < 0) {
		perror("hold-vm: open " VMAIN_DEVICE_PATH);
		return 1;
	}
	vm = test_create_vm(fd, strtoull(seed, NULL, 0));
	if (vm < 0) {
		perror("hold-vm: CREATE_VM");
		return 1;
	}
	if (once)
		return 0;
	if (spinning)
		return spin(fd, vm) ? 1 : 0;
	printf("ready\n");
	fflush(stdout);
	for (;;)
		pause();
}
