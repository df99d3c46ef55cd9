// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hv/hv.c - choosing a backend.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

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

int hv_vcpu_open(struct hv_vcpu *vcpu, unsigned long create_ioctl)
{
	int ret;

	vcpu->fd = ioctl(vcpu->vm->vmfd, create_ioctl, (unsigned long)vcpu->id);
	if (vcpu->fd < 0)
		return -errno;
	vcpu->run = mmap(NULL, vcpu->vm->run_size, PROT_READ | PROT_WRITE,
			 MAP_SHARED, vcpu->fd, 0);
	if (vcpu->run == MAP_FAILED) {
		ret = -errno;
		close(vcpu->fd);
		vcpu->fd = -1;
		vcpu->run = NULL;
		return ret;
	}
	return 0;
}

void hv_vcpu_close(struct hv_vcpu *vcpu)
{
	if (vcpu->run)
		munmap(vcpu->run, vcpu->vm->run_size);
	if (vcpu->fd >= 0)
		close(vcpu->fd);
	vcpu->run = NULL;
	vcpu->fd = -1;
}

void hv_vm_close(struct hv_vm *vm)
{
	if (vm->vmfd >= 0)
		close(vm->vmfd);
	if (vm->sysfd >= 0)
		close(vm->sysfd);
	vm->vmfd = vm->sysfd = -1;
}
