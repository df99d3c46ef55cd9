// SPDX-License-Identifier: GPL-2.0-only
/*
 * switch.c - guest and host state that the hardware world switch leaves
 * alone, switched by hand around every entry, for both engines.
 *
 * Debug registers.  VMRUN/#VMEXIT switch DR6 and DR7 (they are in the
 * VMCB, AMD APM Vol. 2, 15.5.1 and Table B-2), VM entry/exit only DR7
 * (SDM Vol. 3C, 27.3.2 and 28.3.1, "load/save debug controls"); both
 * leave DR7 at 400h after the exit, and neither touches DR0-3.  The guest
 * gets DR0-3 lazily, as KVM does: its MOV DR exits while it has not used
 * them (vcpu->db_owned false); the first one makes the engine stop
 * intercepting, and the instruction runs again on the guest's own values,
 * which are loaded here before each entry and saved back after the exit,
 * where the intercept comes back on.  While the guest's DR7 enables a
 * breakpoint its DR0-3 are loaded at every entry, so breakpoints hit in
 * the guest.  The host's breakpoints (ptrace, perf) are put back after
 * every exit that loaded guest values, and DR6 is left as Linux expects
 * it between debug exceptions (DR6_RESERVED: exc_debug() reads and resets
 * it, and a guest's sticky bits would be taken for the host's).
 *
 * PKRU.  The kernel swaps the guest's FPU state in and out
 * (fpu_swap_kvm_fpstate()), but restores only XFEATURE_MASK_FPSTATE,
 * which excludes PKRU: Linux keeps the task's PKRU apart and writes it at
 * context switch.  So the guest would run with the monitor's PKRU, and a
 * WRPKRU or XRSTOR in the guest would leave its value in force in the
 * monitor.  It is switched here (SDM Vol. 3A, 4.6.2 "Protection Keys").
 *
 * TSC_AUX.  Linux keeps the CPU and node number there for user space
 * (RDTSCP, RDPID in the vDSO's getcpu); the kernel itself never reads
 * it.  The guest's value must be in the register while it runs (RDPID
 * cannot be intercepted on AMD-V), and Linux's only by the time anything
 * returns to user space on that CPU: so it is restored lazily, by a user
 * return notifier (as KVM does for such MSRs), not at every exit.  A
 * context switch passes the notifier's flag to the next task, so no
 * other process ever runs on the guest's value.
 */
#include <linux/percpu.h>
#include <linux/user-return-notifier.h>
#include <asm/cpufeature.h>
#include <asm/debugreg.h>
#include <asm/msr.h>
#include <asm/special_insns.h>

#include "vcpu.h"

struct vmain_tsc_aux {
	struct user_return_notifier urn;
	bool registered;	/* the register may hold a guest's value */
	u64 host;		/* Linux's value on this CPU */
	u64 cur;		/* what the register holds */
};

static DEFINE_PER_CPU(struct vmain_tsc_aux, vmain_tsc_aux);

static void vmain_tsc_aux_restore(struct user_return_notifier *urn)
{
	struct vmain_tsc_aux *t = container_of(urn, struct vmain_tsc_aux, urn);
	unsigned long flags;

	/* Also called from vmain_tsc_aux_drop() with interrupts off. */
	local_irq_save(flags);
	if (t->registered) {
		if (t->cur != t->host)
			wrmsrl(MSR_TSC_AUX, t->host);
		t->cur = t->host;
		user_return_notifier_unregister(urn);
		t->registered = false;
	}
	local_irq_restore(flags);
}

void vmain_tsc_aux_load(u64 guest)
{
	struct vmain_tsc_aux *t = this_cpu_ptr(&vmain_tsc_aux);

	lockdep_assert_irqs_disabled();
	if (!boot_cpu_has(X86_FEATURE_RDTSCP) && !boot_cpu_has(X86_FEATURE_RDPID))
		return;
	if (!t->registered) {
		rdmsrl(MSR_TSC_AUX, t->host);
		t->cur = t->host;
		t->urn.on_user_return = vmain_tsc_aux_restore;
		user_return_notifier_register(&t->urn);
		t->registered = true;
	}
	if (t->cur != guest) {
		wrmsrl(MSR_TSC_AUX, guest);
		t->cur = guest;
	}
}

void vmain_tsc_aux_drop(void)
{
	vmain_tsc_aux_restore(&this_cpu_ptr(&vmain_tsc_aux)->urn);
}

/* DR7 L0/G0 .. L3/G3: a breakpoint is enabled (SDM Vol. 3B, 17.2.4). */
#define DR7_ENABLE_BITS	0xffULL

void vmain_switch_to_guest(struct vmain_vcpu *vcpu, struct vmain_host_save *h,
			   u64 guest_dr7, bool dr6_in_vcpu)
{
	lockdep_assert_irqs_disabled();
	if (cpu_feature_enabled(X86_FEATURE_OSPKE)) {
		h->pkru = rdpkru();
		if (vcpu->pkru != h->pkru)
			wrpkru(vcpu->pkru);
	}

	h->db_loaded = vcpu->db_owned || (guest_dr7 & DR7_ENABLE_BITS);
	if (!h->db_loaded)
		return;
	/*
	 * A host breakpoint still enabled in DR7 would match the guest's
	 * addresses in the host code between here and the entry.
	 */
	if (hw_breakpoint_active())
		set_debugreg(0UL, 7);
	set_debugreg(vcpu->db[0], 0);
	set_debugreg(vcpu->db[1], 1);
	set_debugreg(vcpu->db[2], 2);
	set_debugreg(vcpu->db[3], 3);
	/*
	 * VT-x: the hardware DR6 is the guest's only while it owns the
	 * registers; otherwise its MOV from DR6 exits and its #DB is
	 * intercepted, which does not write DR6 (SDM Vol. 3C, 27.1).
	 */
	if (dr6_in_vcpu && vcpu->db_owned)
		set_debugreg(vcpu->dr6, 6);
}

void vmain_switch_to_host(struct vmain_vcpu *vcpu, struct vmain_host_save *h,
			  bool dr6_in_vcpu, bool host_dr6_dirty)
{
	u32 pkru;

	lockdep_assert_irqs_disabled();
	if (cpu_feature_enabled(X86_FEATURE_OSPKE)) {
		pkru = rdpkru();
		vcpu->pkru = pkru;
		if (pkru != h->pkru)
			wrpkru(h->pkru);
	}

	if (vcpu->db_owned) {
		/* The guest wrote them without exits: keep its values. */
		get_debugreg(vcpu->db[0], 0);
		get_debugreg(vcpu->db[1], 1);
		get_debugreg(vcpu->db[2], 2);
		get_debugreg(vcpu->db[3], 3);
		if (dr6_in_vcpu) {
			get_debugreg(vcpu->dr6, 6);
			host_dr6_dirty = true;
		}
	}
	/*
	 * DR7 is 400h after every exit; what the host had enabled comes
	 * back with its addresses (and DR6 reset).  Without host
	 * breakpoints DR0-3 are unused and only DR6 matters.
	 */
	if (hw_breakpoint_active())
		hw_breakpoint_restore();
	else if (host_dr6_dirty)
		set_debugreg(DR6_RESERVED, 6);
}
