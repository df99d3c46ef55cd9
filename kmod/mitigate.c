// SPDX-License-Identifier: GPL-2.0-only
/*
 * mitigate.c - speculative-execution mitigations around guest entries,
 * following the host kernel's own choices (its X86_FEATURE_* and X86_BUG_*
 * state, as arch/x86/kernel/cpu/bugs.c set them at boot), never weaker
 * than KVM on the same host.  docs/security.md lists each one, where it
 * is applied, and how to see which are active.
 *
 *   rsb_fill   after every exit, before the first RET: the guest may have
 *              filled the return stack buffer with its own targets
 *              (enter.S: FILL_RETURN_BUFFER, X86_FEATURE_RSB_VMEXIT)
 *   ibpb       when a different vCPU (of any VM) is entered on a CPU than
 *              the last one: the indirect branch predictors another guest
 *              trained are flushed (X86_FEATURE_USE_IBPB, as KVM)
 *   verw       right before the entry: CPU buffers (MDS, TAA, MMIO stale
 *              data, RFDS; AMD TSA) are cleared so the guest cannot sample
 *              host data (enter.S: CLEAR_CPU_BUFFERS / VM_CLEAR_CPU_BUFFERS)
 *   l1d_flush  VT-x, before the entry, on CPUs with L1TF: the L1 data
 *              cache is flushed (IA32_FLUSH_CMD, else by reading 64 KiB)
 *   untrain_ret  AMD-V, after the exit: Retbleed/SRSO return untraining
 *              (enter.S: UNTRAIN_RET; kernel mode only)
 *   rsb_fill_lite  VT-x, after the exit, where the full fill is not needed
 *              (eIBRS) but the CPU has PBRSB: one CALL must retire before
 *              the first RET (enter.S: FILL_RETURN_BUFFER's second
 *              feature, X86_FEATURE_RSB_VMEXIT_LITE)
 *   spec_ctrl  the guest's SPEC_CTRL loaded before the entry and the
 *              host's back after the exit, before any RET, for guests
 *              offered SPEC_CTRL whose value differs from the host's
 *              (spec.c; on wherever the CPU has SPEC_CTRL; not forcible)
 *   ibpb_exit_to_user  after the exit: the kernel issues IBPB before this
 *              CPU next returns to user space, so the monitor does not
 *              run on predictions the guest trained (VMSCAPE; the
 *              kernel's per-CPU x86_ibpb_exit_to_user, as KVM sets it;
 *              kernel mode only)
 *
 * The module parameters force_* apply a mitigation even where the kernel's
 * mode would not (emulators report no such bugs, so this is how the arena
 * tests run the code); they never turn one off.  Each entry that applied a
 * mitigation counts it, per CPU; /sys/class/misc/vm-main/mitigations
 * shows the modes and the sums.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/moduleparam.h>
#include <linux/percpu.h>
#include <linux/slab.h>
#include <linux/sysfs.h>
#include <asm/cpufeature.h>
#include <asm/msr.h>
#include <asm/nospec-branch.h>
#include <asm/processor.h>

#include "mitigate.h"
#include "vcpu.h"

static bool force_rsb_fill;
module_param(force_rsb_fill, bool, 0444);
MODULE_PARM_DESC(force_rsb_fill, "Fill the RSB after every exit even where the kernel does not ask for it");
static bool force_ibpb;
module_param(force_ibpb, bool, 0444);
MODULE_PARM_DESC(force_ibpb, "IBPB on every vCPU switch on a CPU even where the kernel does not use IBPB (needs a CPU with IBPB)");
static bool force_verw;
module_param(force_verw, bool, 0444);
MODULE_PARM_DESC(force_verw, "VERW before every entry even where the kernel does not clear CPU buffers");
static bool force_l1d_flush;
module_param(force_l1d_flush, bool, 0444);
MODULE_PARM_DESC(force_l1d_flush, "VT-x: flush the L1D before every entry even on CPUs without L1TF");
static bool force_rsb_fill_lite;
module_param(force_rsb_fill_lite, bool, 0444);
MODULE_PARM_DESC(force_rsb_fill_lite, "VT-x: the one-slot PBRSB RSB fill after every exit even where the kernel does not ask for it");

struct vmain_mitigation {
	const char *name;
	bool kernel;		/* the host kernel's mode asks for it */
	bool forced;		/* a force_* parameter */
	bool unsupported;	/* forced, but the CPU cannot do it */
	const char *why;	/* what decided the kernel's mode */
};

static struct vmain_mitigation mits[VMAIN_MIT_NR] = {
	[VMAIN_MIT_RSB]		= { .name = "rsb_fill" },
	[VMAIN_MIT_IBPB]	= { .name = "ibpb" },
	[VMAIN_MIT_VERW]	= { .name = "verw" },
	[VMAIN_MIT_L1D]		= { .name = "l1d_flush" },
	[VMAIN_MIT_UNTRAIN]	= { .name = "untrain_ret" },
	[VMAIN_MIT_RSB_LITE]	= { .name = "rsb_fill_lite" },
	[VMAIN_MIT_SPEC_CTRL]	= { .name = "spec_ctrl" },
	[VMAIN_MIT_IBPB_USER]	= { .name = "ibpb_exit_to_user" },
};

static DEFINE_PER_CPU(u64 [VMAIN_MIT_NR], mit_count);
/* The serial number of the vCPU this CPU entered last (0: none yet). */
static DEFINE_PER_CPU(u64, mit_last_vcpu);
static atomic64_t mit_vcpu_serial = ATOMIC64_INIT(0);
/* Software L1D flush: more than the L1D, read at a cache-line stride. */
#define L1D_FLUSH_SIZE	(64 * 1024)
static void *l1d_flush_pages;

static bool mit_active(enum vmain_mitigation_id id)
{
	return (mits[id].kernel || mits[id].forced) && !mits[id].unsupported;
}

static bool l1tf_vmentry_flush(void)
{
	u64 caps = 0;

	if (!boot_cpu_has_bug(X86_BUG_L1TF) || l1tf_mitigation == L1TF_MITIGATION_OFF)
		return false;
	/* ARCH_CAPABILITIES[3]: the CPU flushes L1D itself at VM entry. */
	if (boot_cpu_has(X86_FEATURE_ARCH_CAPABILITIES))
		rdmsrl(MSR_IA32_ARCH_CAPABILITIES, caps);
	return !(caps & ARCH_CAP_SKIP_VMENTRY_L1DFLUSH);
}

int vmain_mitigations_init(bool vmx)
{
	struct vmain_mitigation *m;

	m = &mits[VMAIN_MIT_RSB];
	m->kernel = boot_cpu_has(X86_FEATURE_RSB_VMEXIT);
	m->forced = force_rsb_fill;
	m->why = "X86_FEATURE_RSB_VMEXIT (spectre_v2)";

	m = &mits[VMAIN_MIT_IBPB];
	m->kernel = cpu_feature_enabled(X86_FEATURE_USE_IBPB);
	m->forced = force_ibpb;
	m->unsupported = !m->kernel && m->forced && !boot_cpu_has(X86_FEATURE_IBPB);
	m->why = "X86_FEATURE_USE_IBPB (spectre_v2_user)";

	m = &mits[VMAIN_MIT_VERW];
	m->kernel = boot_cpu_has(vmx ? X86_FEATURE_CLEAR_CPU_BUF :
				 X86_FEATURE_CLEAR_CPU_BUF_VM);
	m->forced = force_verw;
	m->why = vmx ? "X86_FEATURE_CLEAR_CPU_BUF (mds, tsx_async_abort, mmio_stale_data, reg_file_data_sampling)" :
		       "X86_FEATURE_CLEAR_CPU_BUF_VM (tsa)";

	m = &mits[VMAIN_MIT_L1D];
	m->kernel = vmx && l1tf_vmentry_flush();
	m->forced = vmx && force_l1d_flush;
	m->why = vmx ? "X86_BUG_L1TF and l1tf= not off" : "VT-x only";
	if (mit_active(VMAIN_MIT_L1D) && !boot_cpu_has(X86_FEATURE_FLUSH_L1D)) {
		l1d_flush_pages = kvzalloc(L1D_FLUSH_SIZE, GFP_KERNEL);
		if (!l1d_flush_pages)
			return -ENOMEM;
	}

	m = &mits[VMAIN_MIT_UNTRAIN];
	m->kernel = !vmx && (boot_cpu_has(X86_FEATURE_UNRET) ||
			     boot_cpu_has(X86_FEATURE_SRSO_ALIAS) ||
			     boot_cpu_has(X86_FEATURE_ENTRY_IBPB));
	m->why = vmx ? "AMD-V only" : "X86_FEATURE_UNRET, SRSO_ALIAS or ENTRY_IBPB (retbleed, spec_rstack_overflow)";

	/*
	 * PBRSB is Intel's (eIBRS CPUs): KVM's AMD-V path ignores the bit
	 * too, and an AMD-V exit already gets the full fill where needed.
	 */
	m = &mits[VMAIN_MIT_RSB_LITE];
	m->kernel = vmx && boot_cpu_has(X86_FEATURE_RSB_VMEXIT_LITE);
	m->forced = vmx && force_rsb_fill_lite;
	m->why = vmx ? "X86_FEATURE_RSB_VMEXIT_LITE (spectre_v2 eIBRS with PBRSB)" : "VT-x only";

	m = &mits[VMAIN_MIT_SPEC_CTRL];
	m->kernel = boot_cpu_has(X86_FEATURE_MSR_SPEC_CTRL);
	m->why = "X86_FEATURE_MSR_SPEC_CTRL; counts entries that switched a guest's value";

	m = &mits[VMAIN_MIT_IBPB_USER];
	m->kernel = cpu_feature_enabled(X86_FEATURE_IBPB_EXIT_TO_USER);
	m->why = "X86_FEATURE_IBPB_EXIT_TO_USER (vmscape)";
	return 0;
}

void vmain_mitigations_exit(void)
{
	kvfree(l1d_flush_pages);
	l1d_flush_pages = NULL;
}

void vmain_mitigations_vcpu_init(struct vmain_vcpu *vcpu)
{
	vcpu->serial = atomic64_inc_return(&mit_vcpu_serial);
}

/* What enter.S must do beyond the kernel's own ALTERNATIVEs. */
unsigned int vmain_mitigations_enter_flags(void)
{
	unsigned int flags = 0;

	if (mits[VMAIN_MIT_VERW].forced && !mits[VMAIN_MIT_VERW].kernel)
		flags |= VMAIN_ENTER_VERW;
	if (mits[VMAIN_MIT_RSB].forced && !mits[VMAIN_MIT_RSB].kernel)
		flags |= VMAIN_ENTER_RSB;
	if (mits[VMAIN_MIT_RSB_LITE].forced && !mits[VMAIN_MIT_RSB_LITE].kernel)
		flags |= VMAIN_ENTER_RSB_LITE;
	return flags;
}

static void mit_l1d_flush(void)
{
	unsigned int i;

	if (boot_cpu_has(X86_FEATURE_FLUSH_L1D)) {
		wrmsrl(MSR_IA32_FLUSH_CMD, L1D_FLUSH);
		return;
	}
	/* Reading more than the L1D holds evicts every line of it. */
	for (i = 0; i < L1D_FLUSH_SIZE; i += 64)
		READ_ONCE(((u8 *)l1d_flush_pages)[i]);
}

void vmain_mitigations_before_entry(struct vmain_vcpu *vcpu)
{
	u64 *count = this_cpu_ptr(mit_count);

	lockdep_assert_irqs_disabled();
	if (__this_cpu_read(mit_last_vcpu) != vcpu->serial) {
		__this_cpu_write(mit_last_vcpu, vcpu->serial);
		if (mits[VMAIN_MIT_IBPB].kernel) {
			indirect_branch_prediction_barrier();
			count[VMAIN_MIT_IBPB]++;
		} else if (mit_active(VMAIN_MIT_IBPB)) {
			wrmsrl(MSR_IA32_PRED_CMD, PRED_CMD_IBPB);
			count[VMAIN_MIT_IBPB]++;
		}
	}
	if (mit_active(VMAIN_MIT_L1D)) {
		mit_l1d_flush();
		count[VMAIN_MIT_L1D]++;
	}
	if (mit_active(VMAIN_MIT_VERW))
		count[VMAIN_MIT_VERW]++;
}

void vmain_mitigations_after_exit(void)
{
	u64 *count = this_cpu_ptr(mit_count);

	if (mit_active(VMAIN_MIT_RSB))
		count[VMAIN_MIT_RSB]++;
	if (mit_active(VMAIN_MIT_UNTRAIN))
		count[VMAIN_MIT_UNTRAIN]++;
	if (mit_active(VMAIN_MIT_RSB_LITE))
		count[VMAIN_MIT_RSB_LITE]++;
	/* VMSCAPE: the kernel's exit to user space then issues IBPB. */
	if (mits[VMAIN_MIT_IBPB_USER].kernel) {
		this_cpu_write(x86_ibpb_exit_to_user, true);
		count[VMAIN_MIT_IBPB_USER]++;
	}
}

void vmain_mitigations_count(enum vmain_mitigation_id id)
{
	this_cpu_ptr(mit_count)[id]++;
}

/* One line per mitigation: name, mode, count, what decided the mode. */
ssize_t vmain_mitigations_show(char *buf)
{
	ssize_t len = 0;
	unsigned int i;
	int cpu;

	for (i = 0; i < VMAIN_MIT_NR; i++) {
		const struct vmain_mitigation *m = &mits[i];
		const char *mode;
		u64 n = 0;

		for_each_possible_cpu(cpu)
			n += per_cpu(mit_count, cpu)[i];
		if (m->unsupported)
			mode = "unsupported";
		else if (m->kernel)
			mode = "kernel";
		else if (m->forced)
			mode = "forced";
		else
			mode = "off";
		len += sysfs_emit_at(buf, len, "%s %s %llu (%s)\n", m->name, mode,
				     n, m->why);
	}
	return len;
}
