// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hold-vm.c - a helper for shell tests: creates a VM and holds it.
 *
 *   hold-vm SEED         create the VM of UUID seed SEED, print "ready",
 *                        then sleep until killed
 *   hold-vm --once SEED  create and close it; exit 0 if that worked
 */
#include <errno.h>
#include <stdbool.h>

#include "util.h"

int main(int argc, char **argv)
{
	bool once = argc > 1 && !strcmp(argv[1], "--once");
	const char *seed = argv[once ? 2 : 1];
	int fd, vm;

	if (!seed) {
		fprintf(stderr, "usage: hold-vm [--once] SEED\n");
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
	printf("ready\n");
	fflush(stdout);
	for (;;)
		pause();
}
