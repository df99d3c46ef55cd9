/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * util.h - helpers shared by the /dev/vm-main tests (run inside an arena).
 */
#ifndef VMAIN_TESTS_KMOD_UTIL_H
#define VMAIN_TESTS_KMOD_UTIL_H

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vmain.h"

/* A distinct, non-nil UUID per seed. */
static inline void test_uuid(__u8 uuid[16], uint64_t seed)
{
	uint64_t tag = 0x766d61696e746573ULL;	/* "vmaintes" */

	memcpy(uuid, &tag, 8);
	memcpy(uuid + 8, &seed, 8);
}

static inline int test_open(int flags)
{
	return open(VMAIN_DEVICE_PATH, O_RDWR | O_CLOEXEC | flags);
}

/* CREATE_VM with the UUID of `seed`; returns the VM fd, or -1 and errno. */
static inline int test_create_vm(int devfd, uint64_t seed)
{
	struct vmain_create_vm args;

	memset(&args, 0, sizeof(args));
	test_uuid(args.uuid, seed);
	return ioctl(devfd, VMAIN_CREATE_VM, &args);
}

/* The number a sysfs file holds, or -1. */
static inline long test_read_number(const char *path)
{
	FILE *f = fopen(path, "r");
	long n = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%ld", &n) != 1)
		n = -1;
	fclose(f);
	return n;
}

/* The module's count of live VMs (/sys/class/misc/vm-main/vms), or -1. */
static inline long test_live_vms(void)
{
	return test_read_number("/sys/class/misc/vm-main/vms");
}

/* A /proc/meminfo field in KiB, or -1. */
static inline long test_meminfo(const char *field)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[256];
	size_t len = strlen(field);
	long v = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, field, len) && line[len] == ':') {
			v = strtol(line + len + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return v;
}

/* The module's reference count (/sys/module/vmain/refcnt), or -1. */
static inline long test_module_refs(void)
{
	return test_read_number("/sys/module/vmain/refcnt");
}

#endif
