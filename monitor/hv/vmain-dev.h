/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hv/vmain-dev.h - the /dev/vm-main backend's access to the module.
 */
#ifndef VMAIN_MONITOR_HV_VMAIN_DEV_H
#define VMAIN_MONITOR_HV_VMAIN_DEV_H

#include <stdint.h>

/* What the module reports about itself and the host. */
struct vmain_dev_info {
	int api_version;
	uint32_t hw;		/* VMAIN_HW_* */
	int exclusive_open;
	int vm_uuid;
	int max_vms;
	long live_vms;		/* -1 if sysfs does not say */
};

/* Opens /dev/vm-main (O_CLOEXEC | extra flags); -errno on failure. */
int vmain_dev_open(int extra_flags);

/* Fills *info from an open device fd; -errno on failure. */
int vmain_dev_query(int fd, struct vmain_dev_info *info);

/* Creates a VM with `uuid`; returns its fd or -errno. */
int vmain_dev_create_vm(int fd, const uint8_t uuid[16]);

/* A random RFC 4122 version-4 UUID; -errno if no randomness. */
int vmain_dev_random_uuid(uint8_t uuid[16]);

/* A user-facing explanation of an errno from open or CREATE_VM. */
const char *vmain_dev_explain(int err);

/* "AMD-V (SVM, NPT, NRIP save)" and the like, into buf. */
void vmain_dev_format_hw(uint32_t hw, char *buf, unsigned long len);

#endif
