// SPDX-License-Identifier: GPL-2.0-only
/*
 * hw.c - which virtualization engine this host has, and whether it is free.
 *
 * The module loads on any x86-64 host so that VMAIN_CHECK_CAP can tell a
 * tool what is missing; VMAIN_CREATE_VM is where the hardware must be
 * present (ENODEV otherwise) and not owned by another hypervisor (EBUSY).
 *
 * "Owned" means EFER.SVME (AMD) or CR4.VMXE (Intel) is already set on some
 * CPU while vmain has no VM: KVM sets them while it has VMs (or from load
 * with kvm.enable_virt_at_load=1 on Linux 6.12+), VirtualBox while it runs
 * guests.  Two hypervisors sharing SVM/VMX state corrupt each other, so we
 * refuse and say whom to stop.  The check runs on the transition from no
 * VM to the first one; while vmain has VMs, the hardware is vmain's.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/ratelimit.h>
#include <asm/processor.h>

#include "vmain.h"
#include "core.h"

enum hw_engine { HW_NONE, HW_SVM, HW_VMX };

static enum hw_engine hw_engine;
static u32 hw_caps;		/* VMAIN_HW_* found at load */
static const char *hw_missing;	/* why no engine is usable, or NULL */

/* Protects hw_users. */
static DEFINE_MUTEX(hw_lock);
static unsigned int hw_users;

void vmain_hw_probe(void)
{
	u32 caps;

	switch (boot_cpu_data.x86_vendor) {
	case X86_VENDOR_AMD:
	case X86_VENDOR_HYGON:
		caps = svm_detect();
		if (!(caps & VMAIN_HW_SVM))
			hw_missing = "this AMD CPU has no usable AMD-V (SVM absent or disabled by firmware)";
		else if (!(caps & VMAIN_HW_NPT))
			hw_missing = "AMD-V without nested paging (NPT) is not supported";
		else
			hw_engine = HW_SVM;
		break;
	case X86_VENDOR_INTEL:
	case X86_VENDOR_CENTAUR:
	case X86_VENDOR_ZHAOXIN:
		caps = vmx_detect();
		if (!(caps & VMAIN_HW_VMX))
			hw_missing = "this CPU has no usable VT-x (VMX absent or disabled by firmware)";
		else if (!(caps & VMAIN_HW_EPT))
			hw_missing = "VT-x without EPT (4-level, write-back) is not supported";
		else
			hw_engine = HW_VMX;
		break;
	default:
		caps = 0;
		hw_missing = "the CPU vendor has neither AMD-V nor VT-x";
		break;
	}
	hw_caps = hw_engine == HW_NONE ? 0 : caps;

	if (hw_engine == HW_NONE)
		pr_info("loaded without a usable engine: %s\n", hw_missing);
	else
		pr_info("loaded, engine %s (capabilities %#x)\n",
			hw_engine == HW_SVM ? "AMD-V" : "VT-x", hw_caps);
}

u32 vmain_hw_caps(void)
{
	return hw_caps;
}

/* Names the probable owner: KVM when its core module is loaded. */
static const char *hw_likely_owner(void)
{
	void *kvm = __symbol_get("kvm_init");

	if (kvm) {
		__symbol_put("kvm_init");
		return hw_engine == HW_SVM ? "KVM (kvm_amd)" : "KVM (kvm_intel)";
	}
	return "an out-of-tree hypervisor such as VirtualBox (vboxdrv)";
}

static void hw_report_owned(int cpu)
{
	const bool svm = hw_engine == HW_SVM;

	pr_warn_ratelimited("%s is in use by another hypervisor, probably %s (%s set on CPU %d); "
			    "stop it (e.g. `rmmod %s`; with Linux 6.12+ KVM, boot with kvm.enable_virt_at_load=0) and retry\n",
			    svm ? "AMD-V" : "VT-x", hw_likely_owner(),
			    svm ? "EFER.SVME" : "CR4.VMXE", cpu,
			    svm ? "kvm_amd" : "kvm_intel");
}

int vmain_hw_get(void)
{
	int ret = 0, cpu = -1;
	bool owned;

	if (hw_engine == HW_NONE) {
		pr_warn_ratelimited("cannot create a VM: %s\n", hw_missing);
		return -ENODEV;
	}

	mutex_lock(&hw_lock);
	if (!hw_users) {
		owned = hw_engine == HW_SVM ? svm_owned_elsewhere(&cpu)
					    : vmx_owned_elsewhere(&cpu);
		if (owned) {
			hw_report_owned(cpu);
			ret = -EBUSY;
			goto out_unlock;
		}
	}
	hw_users++;
out_unlock:
	mutex_unlock(&hw_lock);
	return ret;
}

void vmain_hw_put(void)
{
	mutex_lock(&hw_lock);
	WARN_ON(!hw_users);
	hw_users--;
	mutex_unlock(&hw_lock);
}
