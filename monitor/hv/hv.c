// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hv/hv.c - choosing a backend.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "hv/hv.h"

int hv_accel_parse(const char *s, enum hv_accel *accel)
{
	if (!strcmp(s, "auto"))
		*accel = HV_ACCEL_AUTO;
	else if (!strcmp(s, "vmain"))
		*accel = HV_ACCEL_VMAIN;
	else if (!strcmp(s, "kvm"))
		*accel = HV_ACCEL_KVM;
	else
		return -EINVAL;
	return 0;
}

int hv_vm_create(struct hv_vm *vm, enum hv_accel accel, const uint8_t uuid[16],
		 char *chosen, size_t chosen_len)
{
	char why_vmain[256] = "", why_kvm[256] = "";
	int ret;

	memset(vm, 0, sizeof(*vm));
	vm->sysfd = vm->vmfd = -1;
	if (accel != HV_ACCEL_KVM) {
		vm->backend = &hv_backend_vmain;
		ret = vm->backend->vm_create(vm, uuid, why_vmain, sizeof(why_vmain));
		if (!ret) {
			if (chosen)
				snprintf(chosen, chosen_len, "vmain.ko (/dev/vm-main)");
			return 0;
		}
		/*
		 * Only a module that is missing, unusable here, or refused the
		 * hardware sends AUTO to KVM; a UUID in use (-EEXIST) or a full
		 * table is the user's business and is reported as it is.
		 */
		if (accel == HV_ACCEL_VMAIN ||
		    (ret != -ENOENT && ret != -ENXIO && ret != -ENODEV &&
		     ret != -EBUSY && ret != -EACCES)) {
			if (chosen)
				snprintf(chosen, chosen_len, "%s", why_vmain);
			return ret;
		}
	}
	vm->backend = &hv_backend_kvm;
	ret = vm->backend->vm_create(vm, uuid, why_kvm, sizeof(why_kvm));
	if (chosen) {
		if (ret)
			snprintf(chosen, chosen_len, "%s%s%s", why_vmain,
				 *why_vmain ? "; " : "", why_kvm);
		else if (accel == HV_ACCEL_AUTO)
			snprintf(chosen, chosen_len, "KVM (/dev/kvm), because %s", why_vmain);
		else
			snprintf(chosen, chosen_len, "KVM (/dev/kvm)");
	}
	return ret;
}
