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

#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/notifier.h>
#include <linux/panic_notifier.h>
#include <linux/ratelimit.h>
#include <linux/reboot.h>
#include <linux/syscore_ops.h>
#include <asm/processor.h>

#include "vmain.h"
#include "core.h"
#include "mitigate.h"
#include "vm.h"

enum hw_engine { HW_NONE, HW_SVM, HW_VMX };

static enum hw_engine hw_engine;
static u32 hw_caps;		/* VMAIN_HW_* found at load */
static const char *hw_missing;	/* why no engine is usable, or NULL */
static const struct vmain_engine_ops *hw_ops;

/*
 * Protects hw_users and hw_enabled.  While hw_users > 0, virtualization
 * is on (EFER.SVME / VMXON) on every online CPU: turned on for the first
 * VM and off after the last, on CPUs coming online and going offline,
 * and off for good (hw_dead) on reboot, kexec and panic.
 */
static DEFINE_MUTEX(hw_lock);
static unsigned int hw_users;
static bool hw_enabled;
static bool hw_dead;
static int hw_cpuhp_state = -1;

const struct vmain_engine_ops *vmain_engine(void)
{
	return hw_ops;
}

bool vmain_hw_dead(void)
{
	return READ_ONCE(hw_dead);
}

static void hw_enable_this_cpu(void *failed)
{
	if (hw_ops->enable_cpu() && failed)
		atomic_inc(failed);
}

static void hw_disable_this_cpu(void *unused)
{
	hw_ops->disable_cpu();
}

/* Under hw_lock. */
static int hw_enable_all(void)
{
	atomic_t failed = ATOMIC_INIT(0);

	if (!hw_ops->enable_cpu)
		return 0;
	cpus_read_lock();
	on_each_cpu(hw_enable_this_cpu, &failed, 1);
	if (atomic_read(&failed)) {
		on_each_cpu(hw_disable_this_cpu, NULL, 1);
		cpus_read_unlock();
		return -EBUSY;
	}
	WRITE_ONCE(hw_enabled, true);
	cpus_read_unlock();
	return 0;
}

static void hw_disable_all(void)
{
	if (!hw_ops || !hw_ops->disable_cpu)
		return;
	cpus_read_lock();
	WRITE_ONCE(hw_enabled, false);
	on_each_cpu(hw_disable_this_cpu, NULL, 1);
	cpus_read_unlock();
}

static int hw_cpu_online(unsigned int cpu)
{
	unsigned long flags;
	int ret = 0;

	if (READ_ONCE(hw_enabled) && !READ_ONCE(hw_dead)) {
		local_irq_save(flags);
		ret = hw_ops->enable_cpu();
		local_irq_restore(flags);
		if (ret)
			pr_warn("cannot enable %s on CPU %u: error %d\n",
				hw_ops->name, cpu, ret);
	}
	return ret;
}

static int hw_cpu_offline(unsigned int cpu)
{
	unsigned long flags;

	if (READ_ONCE(hw_enabled)) {
		local_irq_save(flags);
		hw_ops->disable_cpu();
		local_irq_restore(flags);
	}
	return 0;
}

/*
 * Orderly reboot, halt, power-off and kexec: virtualization goes off on
 * every CPU and no vCPU enters a guest again (they fail with EIO).  A
 * vCPU in guest mode takes the IPI only after its #VMEXIT, so nothing
 * executes VMRUN on a CPU where it was turned off.
 */
static int hw_reboot(struct notifier_block *nb, unsigned long code, void *unused)
{
	WRITE_ONCE(hw_dead, true);
	smp_mb();
	if (READ_ONCE(hw_enabled))
		hw_disable_all();
	return NOTIFY_OK;
}

static struct notifier_block hw_reboot_nb = {
	.notifier_call = hw_reboot,
	.priority = 0,
};

/*
 * Panic: the other CPUs are stopped already; turn it off here.  (Crash
 * kexec and emergency restart go through the kernel's own
 * cpu_emergency_disable_virtualization(), which clears EFER.SVME and does
 * VMXOFF on every CPU.)
 */
static int hw_panic(struct notifier_block *nb, unsigned long code, void *unused)
{
	WRITE_ONCE(hw_dead, true);
	if (READ_ONCE(hw_enabled))
		hw_ops->disable_cpu();
	return NOTIFY_DONE;
}

static struct notifier_block hw_panic_nb = {
	.notifier_call = hw_panic,
};

/* Suspend: the other CPUs are offline (hw_cpu_offline ran on each). */
static int hw_suspend(void)
{
	if (READ_ONCE(hw_enabled))
		hw_ops->disable_cpu();
	return 0;
}

static void hw_resume(void)
{
	if (READ_ONCE(hw_enabled) && hw_ops->enable_cpu())
		pr_err("cannot re-enable %s after resume\n", hw_ops->name);
}

static struct syscore_ops hw_syscore_ops = {
	.suspend = hw_suspend,
	.resume = hw_resume,
};

int vmain_hw_init(void)
{
	int ret;

	if (!hw_ops)
		return 0;
	ret = vmain_mitigations_init(hw_ops == &vmx_engine_ops);
	if (ret)
		return ret;
	if (hw_ops->init) {
		ret = hw_ops->init();
		if (ret)
			goto undo_mitigations;
	}
	ret = cpuhp_setup_state(CPUHP_AP_ONLINE_DYN, "vmain:online",
				hw_cpu_online, hw_cpu_offline);
	if (ret < 0)
		goto undo_engine;
	hw_cpuhp_state = ret;
	register_reboot_notifier(&hw_reboot_nb);
	atomic_notifier_chain_register(&panic_notifier_list, &hw_panic_nb);
	register_syscore_ops(&hw_syscore_ops);
	return 0;

undo_engine:
	if (hw_ops->exit)
		hw_ops->exit();
undo_mitigations:
	vmain_mitigations_exit();
	return ret;
}

void vmain_hw_exit(void)
{
	if (!hw_ops)
		return;
	unregister_syscore_ops(&hw_syscore_ops);
	atomic_notifier_chain_unregister(&panic_notifier_list, &hw_panic_nb);
	unregister_reboot_notifier(&hw_reboot_nb);
	cpuhp_remove_state(hw_cpuhp_state);
	if (hw_ops->exit)
		hw_ops->exit();
	vmain_mitigations_exit();
}

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
		hw_ops = &svm_engine_ops;
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
		hw_ops = &vmx_engine_ops;
		break;
	default:
		caps = 0;
		hw_missing = "the CPU vendor has neither AMD-V nor VT-x";
		break;
	}
	hw_caps = hw_engine == HW_NONE ? 0 : caps;
	if (hw_engine == HW_NONE)
		hw_ops = NULL;

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

/* cpu: where the flag was seen set, or -1: it appeared while enabling. */
static void hw_report_owned(int cpu)
{
	const bool svm = hw_engine == HW_SVM;
	char where[32];

	if (cpu >= 0)
		snprintf(where, sizeof(where), "on CPU %d", cpu);
	else
		snprintf(where, sizeof(where), "while enabling");
	pr_warn_ratelimited("%s is in use by another hypervisor, probably %s (%s set %s); "
			    "stop it (e.g. `rmmod %s`; with Linux 6.12+ KVM, boot with kvm.enable_virt_at_load=0) and retry\n",
			    svm ? "AMD-V" : "VT-x", hw_likely_owner(),
			    svm ? "EFER.SVME" : "CR4.VMXE", where,
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
	ret = -EIO;
	if (hw_dead)
		goto out_unlock;
	if (!hw_users) {
		owned = hw_engine == HW_SVM ? svm_owned_elsewhere(&cpu)
					    : vmx_owned_elsewhere(&cpu);
		ret = -EBUSY;
		if (owned) {
			hw_report_owned(cpu);
			goto out_unlock;
		}
		/* It may be taken between the check and here: enable says. */
		if (hw_enable_all()) {
			hw_report_owned(-1);
			goto out_unlock;
		}
	}
	ret = 0;
	hw_users++;
out_unlock:
	mutex_unlock(&hw_lock);
	return ret;
}

void vmain_hw_put(void)
{
	mutex_lock(&hw_lock);
	WARN_ON(!hw_users);
	if (!--hw_users && hw_enabled)
		hw_disable_all();
	mutex_unlock(&hw_lock);
}
