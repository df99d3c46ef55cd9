// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hv/vmain-dev.c - talking to vmain.ko through /dev/vm-main (docs/abi.md).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <unistd.h>

#include "vmain.h"
#include "vmain-dev.h"

int vmain_dev_open(int extra_flags)
{
	int fd = open(VMAIN_DEVICE_PATH, O_RDWR | O_CLOEXEC | extra_flags);

	return fd < 0 ? -errno : fd;
}

static long vmain_dev_cap(int fd, unsigned long cap)
{
	long v = ioctl(fd, VMAIN_CHECK_CAP, cap);

	return v < 0 ? -errno : v;
}

int vmain_dev_query(int fd, struct vmain_dev_info *info)
{
	long v;
	FILE *f;

	memset(info, 0, sizeof(*info));
	v = ioctl(fd, VMAIN_GET_API_VERSION, 0);
	if (v < 0)
		return -errno;
	info->api_version = (int)v;
	v = vmain_dev_cap(fd, VMAIN_CAP_HW);
	if (v < 0)
		return (int)v;
	info->hw = (uint32_t)v;
	info->exclusive_open = vmain_dev_cap(fd, VMAIN_CAP_EXCLUSIVE_OPEN) > 0;
	info->vm_uuid = vmain_dev_cap(fd, VMAIN_CAP_VM_UUID) > 0;
	v = vmain_dev_cap(fd, VMAIN_CAP_MAX_VMS);
	info->max_vms = v > 0 ? (int)v : 0;

	info->live_vms = -1;
	f = fopen("/sys/class/misc/vm-main/vms", "re");
	if (f) {
		if (fscanf(f, "%ld", &info->live_vms) != 1)
			info->live_vms = -1;
		fclose(f);
	}
	return 0;
}

int vmain_dev_create_vm(int fd, const uint8_t uuid[16])
{
	struct vmain_create_vm args;
	int vm;

	memset(&args, 0, sizeof(args));
	memcpy(args.uuid, uuid, sizeof(args.uuid));
	vm = ioctl(fd, VMAIN_CREATE_VM, &args);
	return vm < 0 ? -errno : vm;
}

int vmain_dev_random_uuid(uint8_t uuid[16])
{
	if (getrandom(uuid, 16, 0) != 16)
		return -EIO;
	uuid[6] = (uuid[6] & 0x0f) | 0x40;	/* RFC 4122 version 4 */
	uuid[8] = (uuid[8] & 0x3f) | 0x80;	/* RFC 4122 variant */
	return 0;
}

const char *vmain_dev_explain(int err)
{
	switch (err) {
	case ENOENT:
	case ENXIO:
		return "the vmain kernel module is not loaded (modprobe vmain)";
	case EACCES:
	case EPERM:
		return "permission denied: add yourself to group 'vmain' (scripts/60-vmain.rules)";
	case EBUSY:
		return "busy: another program holds /dev/vm-main exclusively, the VM's UUID is "
		       "in use, or another hypervisor owns the hardware (see the kernel log)";
	case ENODEV:
		return "this host has no usable AMD-V or VT-x (absent, disabled in firmware, "
		       "or without nested paging); the kernel log says which";
	case ENOSPC:
		return "too many VMs exist already";
	default:
		return strerror(err);
	}
}

void vmain_dev_format_hw(uint32_t hw, char *buf, unsigned long len)
{
	static const struct { uint32_t bit; const char *name; } feats[] = {
		{ VMAIN_HW_SVM, "SVM" }, { VMAIN_HW_NPT, "NPT" },
		{ VMAIN_HW_NRIPS, "NRIP save" }, { VMAIN_HW_VMCB_CLEAN, "VMCB clean bits" },
		{ VMAIN_HW_DECODE_ASSISTS, "decode assists" },
		{ VMAIN_HW_VMX, "VMX" }, { VMAIN_HW_EPT, "EPT" },
		{ VMAIN_HW_UNRESTRICTED, "unrestricted guest" }, { VMAIN_HW_VPID, "VPID" },
	};
	unsigned long used;
	unsigned int i;

	if (!hw) {
		snprintf(buf, len, "none usable");
		return;
	}
	used = (unsigned long)snprintf(buf, len, "%s (",
				      (hw & VMAIN_HW_SVM) ? "AMD-V" : "Intel VT-x");
	for (i = 0; i < sizeof(feats) / sizeof(feats[0]) && used < len; i++) {
		if (hw & feats[i].bit)
			used += (unsigned long)snprintf(buf + used, len - used, "%s%s",
							buf[used - 1] == '(' ? "" : ", ",
							feats[i].name);
	}
	if (used < len)
		snprintf(buf + used, len - used, ")");
}
