// SPDX-License-Identifier: GPL-2.0-only
/*
 * vmx/cpu.c - VMX operation on a host CPU: the controls the capability
 * MSRs allow, VMXON/VMXOFF, and which VMCS is active and current where.
 *
 * Intel SDM Vol. 3C, 24.7 "Enabling and Entering VMX Operation", and
 * 25.11 "Software Use of the VMCS and Related Structures": a VMCS may be
 * active on one logical processor at a time.  A vCPU's VMCS stays active
 * on the CPU that ran it last (so VMRESUME can be used); when the vCPU's
 * thread moves, the old CPU VMCLEARs it (an IPI) before the new one makes
 * it current with VMPTRLD.  Every VMCS access happens between vmx_get()
 * and vmx_put(), with interrupts off, so that a VMXOFF from the reboot or
 * hot-unplug path (an IPI, or a CPU callback on that CPU) never lands in
 * the middle of one; after VMXOFF, vmx_get() fails.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/gfp.h>
#include <linux/idr.h>
#include <linux/percpu.h>
#include <linux/smp.h>
#include <asm/desc.h>
#include <asm/io.h>
#include <asm/msr.h>
#include <asm/special_insns.h>
#include <asm/tlbflush.h>
#include <asm/tsc.h>

#include "vmx.h"
#include "../core.h"

#define MSR_FEATURE_CONTROL		0x3a
#define FEATURE_CONTROL_LOCKED		(1ULL << 0)
#define FEATURE_CONTROL_VMX_OUTSIDE_SMX	(1ULL << 2)

struct vmx_config vmx_cfg;
const char *vmx_unusable;

static DEFINE_PER_CPU(struct vmx_cpu, vmx_cpus);
/* VPIDs 1..65535 (0 is the host's; SDM 29.1 "Virtual Processor IDs"). */
static DEFINE_IDA(vmx_vpids);

struct vmx_cpu *vmx_this_cpu(void)
{
	return this_cpu_ptr(&vmx_cpus);
}

/*
 * A control word from its capability MSR (SDM Vol. 3C, A.3-A.5): bits
 * 31:0 are the allowed 0-settings (a 1 there must be 1), bits 63:32 the
 * allowed 1-settings.  `required` bits must be allowed, `optional` ones
 * are used where they are.  -EIO if a required one is not.
 */
static int vmx_adjust(u32 msr, u32 required, u32 optional, u32 *out)
{
	u64 cap;
	u32 must1, may1;

	if (rdmsrl_safe(msr, &cap))
		return -EIO;
	must1 = cap;
	may1 = cap >> 32;
	if (required & ~may1)
		return -EIO;
	*out = (must1 | required | (optional & may1)) & may1;
	return 0;
}

/* Reads what this CPU model allows; sets vmx_unusable if we cannot run. */
static void vmx_read_config(void)
{
	struct vmx_config *c = &vmx_cfg;
	u32 caps = vmain_hw_caps(), misc_pin;
	bool true_ctls;
	u64 basic, misc;

	if (rdmsrl_safe(MSR_VMX_BASIC, &basic)) {
		vmx_unusable = "IA32_VMX_BASIC cannot be read";
		return;
	}
	c->revision = basic & 0x7fffffff;
	/* A.1: bit 55 says the TRUE_* MSRs report the default-1 controls. */
	true_ctls = basic & VMX_BASIC_TRUE_CTLS;

	if (vmx_adjust(true_ctls ? MSR_VMX_TRUE_PINBASED : MSR_VMX_PINBASED,
		       PIN_EXT_INTR | PIN_NMI | PIN_VIRTUAL_NMIS, 0, &c->pin)) {
		vmx_unusable = "VT-x without virtual NMIs is not supported";
		return;
	}
	/*
	 * The VMX-preemption timer (26.5.1, 27.7.4) where there is one: run.c
	 * arms it for guests entered with RFLAGS.IF = 0 (see there).
	 */
	if (!vmx_adjust(true_ctls ? MSR_VMX_TRUE_PINBASED : MSR_VMX_PINBASED,
			PIN_EXT_INTR | PIN_NMI | PIN_VIRTUAL_NMIS | PIN_PREEMPT_TIMER,
			0, &misc_pin) && !rdmsrl_safe(MSR_VMX_MISC, &misc)) {
		/* It counts down at the TSC rate >> IA32_VMX_MISC[4:0] (A.6). */
		c->preempt_ticks = max_t(u64, 1, ((u64)tsc_khz >> (misc & 0x1f)));
	}
	/*
	 * Interrupt and NMI windows, HLT, CR8 (no TPR shadow: the guest's TPR
	 * is ours to keep), MOV DR (until the guest owns DR0-3: switch.c),
	 * all port I/O, MONITOR/MWAIT and RDPMC exit;
	 * without the MSR-bitmap control every RDMSR/WRMSR exits too.  CR3
	 * accesses exit only where the CPU cannot turn that off.
	 */
	if (vmx_adjust(true_ctls ? MSR_VMX_TRUE_PROCBASED : MSR_VMX_PROCBASED,
		       PROC_INTR_WINDOW | PROC_TSC_OFFSET | PROC_HLT |
		       PROC_MWAIT | PROC_RDPMC | PROC_CR8_LOAD | PROC_CR8_STORE |
		       PROC_NMI_WINDOW | PROC_MOV_DR | PROC_UNCOND_IO |
		       PROC_MONITOR | PROC_SECONDARY, 0, &c->proc)) {
		vmx_unusable = "VT-x lacks a required processor-based control";
		return;
	}
	if (vmx_adjust(MSR_VMX_PROCBASED2, PROC2_EPT,
		       PROC2_RDTSCP | PROC2_VPID | PROC2_WBINVD |
		       PROC2_UNRESTRICTED | PROC2_INVPCID, &c->proc2)) {
		vmx_unusable = "VT-x without EPT is not supported";
		return;
	}
	if (vmx_adjust(true_ctls ? MSR_VMX_TRUE_EXIT : MSR_VMX_EXIT,
		       EXIT_HOST_64 | EXIT_SAVE_EFER | EXIT_LOAD_EFER,
		       EXIT_SAVE_PAT | EXIT_LOAD_PAT | EXIT_SAVE_DEBUG, &c->exit) ||
	    vmx_adjust(true_ctls ? MSR_VMX_TRUE_ENTRY : MSR_VMX_ENTRY,
		       ENTRY_LOAD_EFER, ENTRY_LOAD_PAT | ENTRY_LOAD_DEBUG,
		       &c->entry)) {
		vmx_unusable = "VT-x without the IA32_EFER load/save controls is not supported";
		return;
	}
	/* IA-32e mode guest is set per entry, from the guest's EFER.LMA. */
	c->entry &= ~ENTRY_IA32E;
	/* PAT is switched in both directions or not at all. */
	if (!(c->exit & EXIT_LOAD_PAT) || !(c->entry & ENTRY_LOAD_PAT)) {
		c->exit &= ~(EXIT_LOAD_PAT | EXIT_SAVE_PAT);
		c->entry &= ~ENTRY_LOAD_PAT;
	}
	if (rdmsrl_safe(MSR_VMX_CR0_FIXED0, &c->cr0_fixed0) ||
	    rdmsrl_safe(MSR_VMX_CR0_FIXED1, &c->cr0_fixed1) ||
	    rdmsrl_safe(MSR_VMX_CR4_FIXED0, &c->cr4_fixed0) ||
	    rdmsrl_safe(MSR_VMX_CR4_FIXED1, &c->cr4_fixed1) ||
	    rdmsrl_safe(MSR_VMX_EPT_VPID_CAP, &c->ept_vpid_cap)) {
		vmx_unusable = "the VMX fixed-bit or EPT capability MSRs cannot be read";
		return;
	}
	/*
	 * Bochs 2.7 does not implement IA32_DEBUGCTL (RDMSR 1D9h faults), so
	 * whether the host's value must be saved is probed, not assumed.
	 */
	c->debugctl = !rdmsrl_safe(MSR_IA32_DEBUGCTLMSR, &basic);
	c->unrestricted = (c->proc2 & PROC2_UNRESTRICTED) &&
			  (caps & VMAIN_HW_UNRESTRICTED);
	c->vpid = (c->proc2 & PROC2_VPID) &&
		  (c->ept_vpid_cap & VPID_CAP_INVVPID) &&
		  (c->ept_vpid_cap & (VPID_CAP_INVVPID_SINGLE | VPID_CAP_INVVPID_ALL));
	if (!c->vpid)
		c->proc2 &= ~PROC2_VPID;
	if (!c->unrestricted)
		c->proc2 &= ~PROC2_UNRESTRICTED;
	/* EPT PDEs (PDPTEs) may map 2 MiB (1 GiB) only where the CPU says so (SDM A.10). */
	if (!(c->ept_vpid_cap & EPT_CAP_2M_PAGE))
		vmain_mmu_no_2m = true;
	if (!(c->ept_vpid_cap & EPT_CAP_1G_PAGE))
		vmain_mmu_no_1g = true;
	if (!(c->ept_vpid_cap & EPT_CAP_INVEPT) ||
	    !(c->ept_vpid_cap & (EPT_CAP_INVEPT_SINGLE | EPT_CAP_INVEPT_ALL)))
		vmx_unusable = "VT-x without INVEPT is not supported";
}

static void vmx_free_areas(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct vmx_cpu *vc = per_cpu_ptr(&vmx_cpus, cpu);

		free_page((unsigned long)vc->vmxon_region);
		vc->vmxon_region = NULL;
	}
}

int vmx_hw_init(void)
{
	int cpu;

	vmx_read_config();
	if (vmx_unusable)
		pr_info("VT-x vCPUs unavailable: %s\n", vmx_unusable);
	for_each_possible_cpu(cpu) {
		struct vmx_cpu *vc = per_cpu_ptr(&vmx_cpus, cpu);

		INIT_LIST_HEAD(&vc->loaded);
		vc->vmxon_region = (void *)get_zeroed_page(GFP_KERNEL);
		if (!vc->vmxon_region)
			goto free_areas;
	}
	return 0;

free_areas:
	vmx_free_areas();
	return -ENOMEM;
}

void vmx_hw_exit(void)
{
	vmx_free_areas();
	ida_destroy(&vmx_vpids);
}

/* VMXON (SDM Vol. 3C, 31.5 "VMXON"): 0, or -EIO on VMfail or a fault. */
static int vmx_vmxon(u64 pa)
{
	asm goto("1: vmxon %[pa]\n\t"
		 "jbe %l[fail]\n\t"
		 _ASM_EXTABLE(1b, %l[fail])
		 : : [pa] "m" (pa) : "cc", "memory" : fail);
	return 0;
fail:
	return -EIO;
}

/* VMXOFF; a fault (not in VMX operation) is ignored. */
static void vmx_vmxoff(void)
{
	asm goto("1: vmxoff\n\t"
		 _ASM_EXTABLE(1b, %l[fault])
		 : : : "cc", "memory" : fault);
fault:
	return;
}

int vmx_vmclear(void *vmcs)
{
	u64 pa = __pa(vmcs);

	asm goto("vmclear %[pa]\n\t"
		 "jbe %l[fail]"
		 : : [pa] "m" (pa) : "cc", "memory" : fail);
	return 0;
fail:
	return -EIO;
}

static int vmx_vmptrld(void *vmcs)
{
	u64 pa = __pa(vmcs);

	asm goto("vmptrld %[pa]\n\t"
		 "jbe %l[fail]"
		 : : [pa] "m" (pa) : "cc", "memory" : fail);
	return 0;
fail:
	return -EIO;
}

/* INVEPT / INVVPID with a 128-bit descriptor (SDM Vol. 3C, 31.3). */
static void vmx_invept_type(unsigned long type, u64 eptp)
{
	struct { u64 eptp, zero; } desc = { eptp, 0 };

	asm volatile("invept %[desc], %[type]"
		     : : [desc] "m" (desc), [type] "r" (type) : "cc", "memory");
}

static void vmx_invvpid_type(unsigned long type, u16 vpid)
{
	struct { u64 vpid, addr; } desc = { vpid, 0 };

	asm volatile("invvpid %[desc], %[type]"
		     : : [desc] "m" (desc), [type] "r" (type) : "cc", "memory");
}

/*
 * Drops this CPU's guest-physical and combined translations of the VM's
 * EPT (29.4.3.3 "Guidelines for Use of the INVEPT Instruction"):
 * single-context where supported, else all-context.
 */
void vmx_invept(struct vmx_vcpu *vmx)
{
	u64 eptp = vmx_read(vmx, VMCS_EPT_POINTER);

	if (vmx_cfg.ept_vpid_cap & EPT_CAP_INVEPT_SINGLE)
		vmx_invept_type(1, eptp);
	else
		vmx_invept_type(2, 0);
}

/* Drops this CPU's linear translations tagged with the vCPU's VPID. */
void vmx_invvpid(struct vmx_vcpu *vmx)
{
	if (!vmx->vpid)
		return;
	if (vmx_cfg.ept_vpid_cap & VPID_CAP_INVVPID_SINGLE)
		vmx_invvpid_type(1, vmx->vpid);
	else
		vmx_invvpid_type(2, 0);
}

int vmx_alloc_vpid(void)
{
	if (!vmx_cfg.vpid)
		return 0;
	/* Without a free VPID the vCPU runs untagged (VPID disabled). */
	return ida_alloc_range(&vmx_vpids, 1, 0xffff, GFP_KERNEL);
}

void vmx_free_vpid(u16 vpid)
{
	if (vpid)
		ida_free(&vmx_vpids, vpid);
}

/* With interrupts off, on the CPU where vmx's VMCS is active. */
static void vmx_clear_local(struct vmx_vcpu *vmx, struct vmx_cpu *vc)
{
	vmx_vmclear(vmx->vmcs);
	list_del(&vmx->loaded_node);
	if (vc->current_vmcs == vmx)
		vc->current_vmcs = NULL;
	vmx->launched = false;
	/* The VMCS data is in memory before another CPU may load it. */
	smp_wmb();
	WRITE_ONCE(vmx->loaded_cpu, -1);
}

static void vmx_clear_remote(void *data)
{
	struct vmx_vcpu *vmx = data;

	if (READ_ONCE(vmx->loaded_cpu) == smp_processor_id())
		vmx_clear_local(vmx, vmx_this_cpu());
}

/* Makes the VMCS inactive wherever it is (before it is freed). */
void vmx_vmcs_forget(struct vmx_vcpu *vmx)
{
	int cpu = READ_ONCE(vmx->loaded_cpu);

	if (cpu >= 0)
		smp_call_function_single(cpu, vmx_clear_remote, vmx, 1);
}

int vmx_get(struct vmx_vcpu *vmx, unsigned long *flags)
{
	int cpu = get_cpu(), old = READ_ONCE(vmx->loaded_cpu);
	struct vmx_cpu *vc;

	/* Active elsewhere: that CPU VMCLEARs it first (25.11.1). */
	if (old >= 0 && old != cpu)
		smp_call_function_single(old, vmx_clear_remote, vmx, 1);
	local_irq_save(*flags);
	vc = vmx_this_cpu();
	if (!vc->enabled)
		goto fail;
	if (READ_ONCE(vmx->loaded_cpu) != cpu) {
		/* Still active on a CPU that did not answer: never load twice. */
		if (WARN_ON_ONCE(READ_ONCE(vmx->loaded_cpu) >= 0))
			goto fail;
		smp_rmb();
		/*
		 * VMCLEAR before the first VMPTRLD on this CPU (25.11.3): it
		 * initializes a new VMCS and sets the launch state to clear,
		 * which is what `launched` says after a move.
		 */
		if (vmx_vmclear(vmx->vmcs) || vmx_vmptrld(vmx->vmcs))
			goto fail;
		list_add(&vmx->loaded_node, &vc->loaded);
		vmx->loaded_cpu = cpu;
		vc->current_vmcs = vmx;
		vmx_write_host_cpu_state(vmx, vc);
		/*
		 * Translations this vCPU left on this CPU earlier may be stale:
		 * flush its EPT and VPID contexts before the next entry here.
		 */
		vmx->flush = true;
	} else if (vc->current_vmcs != vmx) {
		if (vmx_vmptrld(vmx->vmcs))
			goto fail;
		vc->current_vmcs = vmx;
	}
	return 0;

fail:
	local_irq_restore(*flags);
	put_cpu();
	return -EIO;
}

void vmx_put(struct vmx_vcpu *vmx, unsigned long flags)
{
	local_irq_restore(flags);
	put_cpu();
}

/* The 64-bit base of the TSS descriptor at selector tr (SDM 7.2.3). */
static unsigned long vmx_tss_base(unsigned long gdt, u16 tr)
{
	const u8 *d = (const u8 *)(gdt + (tr & ~7));

	return (unsigned long)(d[2] | d[3] << 8 | d[4] << 16 | (u32)d[7] << 24) |
	       (unsigned long)*(const u32 *)(d + 8) << 32;
}

/*
 * SDM Vol. 3C, 24.7 and 24.8 "Restrictions on VMX Operation": CR4.VMXE,
 * then VMXON with a region holding the revision identifier; CR0 and CR4
 * must keep the bits IA32_VMX_CR{0,4}_FIXED{0,1} fix.  Called with
 * interrupts off on the CPU itself.
 */
int vmx_enable_cpu(void)
{
	struct vmx_cpu *vc = vmx_this_cpu();
	unsigned long cr0, cr4;
	struct desc_ptr dt;
	u64 feat;

	if (__read_cr4() & X86_CR4_VMXE)
		return -EBUSY;		/* another hypervisor is in VMX operation */
	if (!vc->vmxon_region)
		return -ENOMEM;
	if (rdmsrl_safe(MSR_FEATURE_CONTROL, &feat) ||
	    !(feat & FEATURE_CONTROL_LOCKED) ||
	    !(feat & FEATURE_CONTROL_VMX_OUTSIDE_SMX))
		return -EIO;
	cr0 = read_cr0();
	cr4 = __read_cr4() | X86_CR4_VMXE;
	if ((cr0 & vmx_cfg.cr0_fixed0) != vmx_cfg.cr0_fixed0 ||
	    (cr0 & ~vmx_cfg.cr0_fixed1) ||
	    (cr4 & vmx_cfg.cr4_fixed0) != vmx_cfg.cr4_fixed0 ||
	    (cr4 & ~vmx_cfg.cr4_fixed1)) {
		pr_warn_ratelimited("CPU %d: CR0 %#lx / CR4 %#lx do not allow VMX operation\n",
				    smp_processor_id(), cr0, cr4);
		return -EIO;
	}
	*(u32 *)vc->vmxon_region = vmx_cfg.revision;
	cr4_set_bits_irqsoff(X86_CR4_VMXE);
	if (vmx_vmxon(__pa(vc->vmxon_region))) {
		cr4_clear_bits_irqsoff(X86_CR4_VMXE);
		pr_warn_ratelimited("CPU %d: VMXON failed\n", smp_processor_id());
		return -EIO;
	}
	/* Guest-physical translations from before VMXON may linger (29.4.3.4). */
	if (vmx_cfg.ept_vpid_cap & EPT_CAP_INVEPT_ALL)
		vmx_invept_type(2, 0);

	/* Host state the CPU keeps while Linux runs (27.2.3, 28.5). */
	native_store_gdt(&dt);
	vc->gdt_base = dt.address;
	vc->gdt_limit = dt.size;
	store_idt(&dt);
	vc->idt_base = dt.address;
	vc->idt_limit = dt.size;
	vc->tr_base = vmx_tss_base(vc->gdt_base, GDT_ENTRY_TSS * 8);
	rdmsrl(MSR_GS_BASE, vc->gs_base);
	rdmsrl(MSR_IA32_SYSENTER_ESP, vc->sysenter_esp);
	rdmsrl(MSR_IA32_SYSENTER_EIP, vc->sysenter_eip);
	rdmsrl(MSR_STAR, vc->star);
	rdmsrl(MSR_LSTAR, vc->lstar);
	rdmsrl(MSR_CSTAR, vc->cstar);
	rdmsrl(MSR_SYSCALL_MASK, vc->sfmask);
	vc->current_vmcs = NULL;
	vc->enabled = true;
	return 0;
}

/* VMCLEAR every VMCS active here, then VMXOFF and CR4.VMXE off. */
void vmx_disable_cpu(void)
{
	struct vmx_cpu *vc = vmx_this_cpu();
	struct vmx_vcpu *vmx, *next;

	if (!vc->enabled)
		return;
	vmain_tsc_aux_drop();
	list_for_each_entry_safe(vmx, next, &vc->loaded, loaded_node)
		vmx_clear_local(vmx, vc);
	vc->current_vmcs = NULL;
	vmx_vmxoff();
	cr4_clear_bits_irqsoff(X86_CR4_VMXE);
	vc->enabled = false;
}
