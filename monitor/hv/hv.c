// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hv/hv.c - choosing a backend.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hv/hv.h"

/*
 * The MSRs a saved vCPU state carries besides regs/sregs: those of the
 * SYSCALL/SYSENTER paths, memory types, the TSC and TSC_AUX,
 * MISC_ENABLE, and SPEC_CTRL (0 where the guest is not offered it; both
 * read it for any guest, KVM takes only a write of what the host has, so
 * its back end leaves a 0 out); both backends keep all of them
 * (docs/abi.md, "MSRs the module keeps"; KVM's kvm_set_msr_common).  EFER, FS/GS base and
 * APIC_BASE are in sregs.  Left out: DEBUGCTL (vmain keeps only 0), AMD's
 * HWCR (KVM refuses most of its bits), MTRRcap/MCG_* (constants), and the
 * paravirtual clock's MSRs, which have their own fields.
 */
#define STATE_MSR(idx, field) \
	{ idx, #field, offsetof(struct hv_state_msrs, field) }
const struct hv_state_msr hv_state_msrs[] = {
	STATE_MSR(0x10, tsc),
	STATE_MSR(0xc0000081, star),
	STATE_MSR(0xc0000082, lstar),
	STATE_MSR(0xc0000083, cstar),
	STATE_MSR(0xc0000084, sfmask),
	STATE_MSR(0xc0000102, kernel_gs_base),
	STATE_MSR(0x174, sysenter_cs),
	STATE_MSR(0x175, sysenter_esp),
	STATE_MSR(0x176, sysenter_eip),
	STATE_MSR(0x277, pat),
	STATE_MSR(0x1a0, misc_enable),
	STATE_MSR(0x2ff, mtrr_def_type),
	STATE_MSR(0xc0000103, tsc_aux),
	STATE_MSR(0x48, spec_ctrl),
};
const unsigned int hv_state_nr_msrs = sizeof(hv_state_msrs) / sizeof(hv_state_msrs[0]);
_Static_assert(sizeof(hv_state_msrs) / sizeof(hv_state_msrs[0]) ==
	       sizeof(struct hv_state_msrs) / sizeof(uint64_t),
	       "every field of struct hv_state_msrs has its MSR");

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

/* Leaves whose ECX input selects a sub-leaf (SDM Vol. 2A, CPUID). */
static bool cpuid_indexed(uint32_t leaf)
{
	switch (leaf) {
	case 0x4: case 0x7: case 0xb: case 0xd: case 0xf: case 0x10:
	case 0x12: case 0x14: case 0x17: case 0x18: case 0x1f:
	case 0x8000001d: case 0x80000020:
		return true;
	}
	return false;
}

/* How many sub-leaves of an indexed leaf to record. */
static uint32_t cpuid_subleaves(uint32_t leaf, uint32_t sub, const uint32_t r[4])
{
	switch (leaf) {
	case 0x4: case 0x8000001d:	/* cache type 0 ends the list */
		return (r[0] & 0x1f) ? sub + 2 : sub + 1;
	case 0xb: case 0x1f:		/* level type 0 ends the list */
		return (r[2] & 0xff00) ? sub + 2 : sub + 1;
	case 0x7:			/* sub-leaf 0 EAX: the last sub-leaf */
		return sub == 0 ? (r[0] > 3 ? 4 : r[0] + 1) : 0;
	case 0xd:			/* state components 0..62 */
		return 63;
	default:
		return 1;
	}
}

int hv_host_cpuid(struct vmain_cpuid_entry *e, uint32_t *n)
{
	static const uint32_t bases[] = { 0, 0x80000000u };
	uint32_t cap = *n, out = 0, b, leaf, sub, nsub, max, r[4];

	for (b = 0; b < 2; b++) {
		__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
				 : "a"(bases[b]), "c"(0));
		max = r[0];
		if (max < bases[b] || max > bases[b] + 0x3f)
			max = bases[b] + (b ? 0 : 0x1f);
		for (leaf = bases[b]; leaf <= max; leaf++) {
			nsub = 1;
			for (sub = 0; sub < nsub; sub++) {
				__asm__ volatile("cpuid"
						 : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
						 : "a"(leaf), "c"(sub));
				if (cpuid_indexed(leaf)) {
					uint32_t want = cpuid_subleaves(leaf, sub, r);

					if (want > nsub)
						nsub = want;
					/* Empty XSAVE components are left out. */
					if (leaf == 0xd && sub > 1 && !r[0])
						continue;
				}
				if (out == cap)
					return -E2BIG;
				memset(&e[out], 0, sizeof(e[out]));
				e[out].function = leaf;
				e[out].index = sub;
				e[out].flags = cpuid_indexed(leaf) ? VMAIN_CPUID_INDEXED : 0;
				e[out].eax = r[0];
				e[out].ebx = r[1];
				e[out].ecx = r[2];
				e[out].edx = r[3];
				out++;
			}
		}
	}
	*n = out;
	return 0;
}
