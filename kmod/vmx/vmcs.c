// SPDX-License-Identifier: GPL-2.0-only
/*
 * vmx/vmcs.c - a vCPU's VMCS: checked VMREAD/VMWRITE, the controls, the
 * host-state area, the RESET state, and the conversion between the VMCS
 * and the ABI's register structures (Intel SDM Vol. 3C, chapter 25
 * "Virtual Machine Control Structures").
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/gfp.h>
#include <linux/slab.h>
#include <asm/desc.h>
#include <asm/io.h>
#include <asm/msr.h>
#include <asm/special_insns.h>

#include "vmx.h"

/* EFER bits a VT-x guest has (SDM Vol. 3A, 2.2.1): SCE, LME, LMA, NXE. */
#define VMX_EFER_VALID	(EFER_SCE | EFER_LME | EFER_LMA | EFER_NX)

/*
 * VMWRITE/VMREAD report VMfailInvalid (CF: no current VMCS) or VMfailValid
 * (ZF: the error number is in the VM-instruction error field, SDM Vol.
 * 3C, 31.4 "VM Instruction Error Numbers").  The first failure is kept
 * and ends the next RUN with VMAIN_EXIT_FAIL_ENTRY carrying that number
 * (0xffff for VMfailInvalid); nothing is silently ignored.
 */
static void vmx_vmcs_failed(struct vmx_vcpu *vmx, u32 field, bool invalid)
{
	u64 err = 0xffff;

	if (!invalid)
		asm volatile("vmread %[f], %[v]" : [v] "=r" (err)
			     : [f] "r" ((u64)VMCS_INSN_ERROR) : "cc");
	if (!vmx->vmcs_error) {
		vmx->vmcs_error = err ? err : 0xffff;
		vmx->vmcs_error_field = field;
	}
	pr_warn_ratelimited("VMREAD/VMWRITE of VMCS field %#x failed: VM-instruction error %llu\n",
			    field, err);
}

void vmx_write(struct vmx_vcpu *vmx, u32 field, u64 value)
{
	bool cf, zf;

	asm volatile("vmwrite %[v], %[f]"
		     : "=@ccc" (cf), "=@ccz" (zf)
		     : [f] "r" ((u64)field), [v] "r" (value) : "memory");
	if (unlikely(cf || zf))
		vmx_vmcs_failed(vmx, field, cf);
}

u64 vmx_read(struct vmx_vcpu *vmx, u32 field)
{
	bool cf, zf;
	u64 value;

	asm volatile("vmread %[f], %[v]"
		     : [v] "=r" (value), "=@ccc" (cf), "=@ccz" (zf)
		     : [f] "r" ((u64)field) : "memory");
	if (unlikely(cf || zf)) {
		vmx_vmcs_failed(vmx, field, cf);
		return 0;
	}
	return value;
}

/*
 * Host state the CPU loads at every VM exit (SDM Vol. 3C, 25.5 "Host-State
 * Area", 28.5 "Loading Host State").  This part depends on the CPU the
 * VMCS is current on; vmx_get() writes it after each migration.
 */
void vmx_write_host_cpu_state(struct vmx_vcpu *vmx, struct vmx_cpu *vc)
{
	vmx_write(vmx, VMCS_HOST_TR_BASE, vc->tr_base);
	vmx_write(vmx, VMCS_HOST_GDTR_BASE, vc->gdt_base);
	vmx_write(vmx, VMCS_HOST_IDTR_BASE, vc->idt_base);
	vmx_write(vmx, VMCS_HOST_GS_BASE, vc->gs_base);
	vmx_write(vmx, VMCS_HOST_SYSENTER_ESP, vc->sysenter_esp);
	vmx_write(vmx, VMCS_HOST_SYSENTER_EIP, vc->sysenter_eip);
}

/* Host state that is the same on every CPU. */
static void vmx_write_host_constants(struct vmx_vcpu *vmx)
{
	u64 v;

	vmx_write(vmx, VMCS_HOST_CR0, read_cr0());
	/*
	 * Selectors must have RPL 0 and TI 0 (27.2.3): DS, ES, FS and GS are
	 * null after an exit, and run.c puts back the ones the thread had.
	 */
	vmx_write(vmx, VMCS_HOST_CS_SEL, __KERNEL_CS);
	vmx_write(vmx, VMCS_HOST_SS_SEL, __KERNEL_DS);
	vmx_write(vmx, VMCS_HOST_DS_SEL, 0);
	vmx_write(vmx, VMCS_HOST_ES_SEL, 0);
	vmx_write(vmx, VMCS_HOST_FS_SEL, 0);
	vmx_write(vmx, VMCS_HOST_GS_SEL, 0);
	vmx_write(vmx, VMCS_HOST_TR_SEL, GDT_ENTRY_TSS * 8);
	rdmsrl(MSR_IA32_SYSENTER_CS, v);
	vmx_write(vmx, VMCS_HOST_SYSENTER_CS, v);
	rdmsrl(MSR_EFER, v);
	vmx_write(vmx, VMCS_HOST_EFER, v);
	if (vmx_cfg.exit & EXIT_LOAD_PAT) {
		rdmsrl(MSR_IA32_CR_PAT, v);
		vmx_write(vmx, VMCS_HOST_PAT, v);
	}
	vmx_write(vmx, VMCS_HOST_RIP, (unsigned long)vmain_vmx_exit_point);
	/* CR3, CR4, FS base and RSP are written before each entry. */
	vmx->host_cr3 = vmx->host_cr4 = vmx->host_fs_base = 0;
}

/* VMCS segment access rights (25.4.1, Table 25-2) from the ABI's. */
static u32 seg_ar(const struct vmain_segment *s, bool keep_dpl)
{
	if (s->unusable || !s->present)
		return VMX_AR_UNUSABLE | (keep_dpl ? (s->dpl & 3) << 5 : 0);
	return (s->type & 0xf) | (s->s & 1) << 4 | (s->dpl & 3) << 5 |
	       1 << 7 | (s->avl & 1) << 12 | (s->l & 1) << 13 |
	       (s->db & 1) << 14 | (s->g & 1) << 15;
}

static void seg_write(struct vmx_vcpu *vmx, int n, const struct vmain_segment *s)
{
	vmx_write(vmx, VMCS_SEG_SEL(n), s->selector);
	vmx_write(vmx, VMCS_SEG_BASE(n), s->base);
	vmx_write(vmx, VMCS_SEG_LIMIT(n), s->limit);
	/* SS's DPL is the CPL, even when SS is unusable (25.4.1). */
	vmx_write(vmx, VMCS_SEG_AR(n), seg_ar(s, n == VSEG_SS));
}

static void seg_read(struct vmx_vcpu *vmx, int n, struct vmain_segment *s)
{
	u32 ar = vmx_read(vmx, VMCS_SEG_AR(n));

	memset(s, 0, sizeof(*s));
	s->selector = vmx_read(vmx, VMCS_SEG_SEL(n));
	s->base = vmx_read(vmx, VMCS_SEG_BASE(n));
	s->limit = vmx_read(vmx, VMCS_SEG_LIMIT(n));
	if (ar & VMX_AR_UNUSABLE) {
		/* The other bits are undefined after an exit (28.3.2). */
		s->unusable = 1;
		if (n == VSEG_SS)
			s->dpl = (ar >> 5) & 3;
		return;
	}
	s->type = ar & 0xf;
	s->s = (ar >> 4) & 1;
	s->dpl = (ar >> 5) & 3;
	s->present = (ar >> 7) & 1;
	s->avl = (ar >> 12) & 1;
	s->l = (ar >> 13) & 1;
	s->db = (ar >> 14) & 1;
	s->g = (ar >> 15) & 1;
}

/*
 * CR0 and CR4 under VMX (25.6.6 "Guest/Host Masks and Read Shadows for
 * CR0 and CR4", 24.8): the bits IA32_VMX_CR{0,4}_FIXED{0,1} fix are the
 * host's - the guest reads its own value from the read shadow, and a
 * MOV that changes one exits (exits.c).  Unrestricted guest frees CR0.PE
 * and CR0.PG (27.3.1.1).
 */
static u64 vmx_cr0_must1(void)
{
	u64 must1 = vmx_cfg.cr0_fixed0;

	if (vmx_cfg.unrestricted)
		must1 &= ~(X86_CR0_PE | X86_CR0_PG);
	return must1;
}

u64 vmx_guest_cr0(struct vmx_vcpu *vmx)
{
	return (vmx_read(vmx, VMCS_GUEST_CR0) & ~vmx->cr0_mask) |
	       (vmx_read(vmx, VMCS_CR0_SHADOW) & vmx->cr0_mask);
}

u64 vmx_guest_cr4(struct vmx_vcpu *vmx)
{
	return (vmx_read(vmx, VMCS_GUEST_CR4) & ~vmx->cr4_mask) |
	       (vmx_read(vmx, VMCS_CR4_SHADOW) & vmx->cr4_mask);
}

void vmx_put_cr0(struct vmx_vcpu *vmx, u64 cr0)
{
	vmx_write(vmx, VMCS_CR0_SHADOW, cr0);
	vmx_write(vmx, VMCS_GUEST_CR0,
		  (cr0 | vmx_cr0_must1()) & vmx_cfg.cr0_fixed1);
}

void vmx_put_cr4(struct vmx_vcpu *vmx, u64 cr4)
{
	vmx_write(vmx, VMCS_CR4_SHADOW, cr4);
	vmx_write(vmx, VMCS_GUEST_CR4,
		  (cr4 | vmx_cfg.cr4_fixed0) & vmx_cfg.cr4_fixed1);
}

/* EFER, and the IA-32e mode guest entry control that must match LMA. */
void vmx_put_efer(struct vmx_vcpu *vmx, u64 efer)
{
	u32 entry = vmx->entry_ctls & ~ENTRY_IA32E;

	if (efer & EFER_LMA)
		entry |= ENTRY_IA32E;
	vmx_write(vmx, VMCS_GUEST_EFER, efer);
	if (entry != vmx->entry_ctls) {
		vmx->entry_ctls = entry;
		vmx_write(vmx, VMCS_ENTRY_CONTROLS, entry);
	}
}

/*
 * PAE paging with EPT: VM entry loads the four PDPTEs from the VMCS, not
 * from memory (27.3.2.4), so state set from outside (SET_SREGS,
 * an emulated MOV to CR0/CR3/CR4) must read them from guest memory.
 * Guest memory is read with the VMCS released (it may fault pages in).
 * 0, or -EFAULT when they are not in RAM; -EIO if VMX went off.
 */
int vmx_load_pdptes(struct vmx_vcpu *vmx)
{
	unsigned long flags;
	u64 cr0, cr4, efer, cr3, pdpte[4];
	unsigned int i;

	if (vmx_get(vmx, &flags))
		return -EIO;
	cr0 = vmx_guest_cr0(vmx);
	cr4 = vmx_guest_cr4(vmx);
	efer = vmx_read(vmx, VMCS_GUEST_EFER);
	cr3 = vmx_read(vmx, VMCS_GUEST_CR3);
	vmx_put(vmx, flags);
	if (!(cr0 & X86_CR0_PG) || !(cr4 & X86_CR4_PAE) || (efer & EFER_LMA))
		return 0;
	if (vmain_guest_read(vmx->vcpu->vm, cr3 & ~0x1fULL, pdpte, sizeof(pdpte)))
		return -EFAULT;
	if (vmx_get(vmx, &flags))
		return -EIO;
	for (i = 0; i < 4; i++)
		vmx_write(vmx, VMCS_GUEST_PDPTE0 + 2 * i, pdpte[i]);
	vmx_put(vmx, flags);
	return 0;
}

/* The RESET state (SDM Vol. 3A, 10.1.1 "Processor State After Reset"). */
static void vmx_reset_state(struct vmx_vcpu *vmx)
{
	static const struct vmain_segment data = {
		.limit = 0xffff, .type = 3, .s = 1, .present = 1,
	};
	struct vmain_segment cs = data, ldt = data, tr = data;
	int n;

	cs.selector = 0xf000;
	cs.base = 0xffff0000ULL;
	cs.type = 0xb;
	ldt.type = 2;
	ldt.s = 0;
	tr.type = 0xb;
	tr.s = 0;
	for (n = VSEG_ES; n <= VSEG_GS; n++)
		seg_write(vmx, n, n == VSEG_CS ? &cs : &data);
	seg_write(vmx, VSEG_LDTR, &ldt);
	seg_write(vmx, VSEG_TR, &tr);
	vmx_write(vmx, VMCS_GUEST_GDTR_BASE, 0);
	vmx_write(vmx, VMCS_GUEST_GDTR_LIMIT, 0xffff);
	vmx_write(vmx, VMCS_GUEST_IDTR_BASE, 0);
	vmx_write(vmx, VMCS_GUEST_IDTR_LIMIT, 0xffff);
	vmx_write(vmx, VMCS_GUEST_RIP, 0xfff0);
	vmx_write(vmx, VMCS_GUEST_RSP, 0);
	vmx_write(vmx, VMCS_GUEST_RFLAGS, X86_EFLAGS_FIXED);
	vmx_put_cr0(vmx, X86_CR0_ET | X86_CR0_CD | X86_CR0_NW);
	vmx_write(vmx, VMCS_GUEST_CR3, 0);
	vmx_put_cr4(vmx, 0);
	vmx_put_efer(vmx, 0);
	vmx_write(vmx, VMCS_GUEST_DR7, 0x400);
	vmx_write(vmx, VMCS_GUEST_DEBUGCTL, 0);
	if (vmx_cfg.entry & ENTRY_LOAD_PAT)
		vmx_write(vmx, VMCS_GUEST_PAT, 0x0007040600070406ULL);
	vmx_write(vmx, VMCS_GUEST_SYSENTER_CS, 0);
	vmx_write(vmx, VMCS_GUEST_SYSENTER_ESP, 0);
	vmx_write(vmx, VMCS_GUEST_SYSENTER_EIP, 0);
	vmx_write(vmx, VMCS_GUEST_INTERRUPTIBILITY, 0);
	vmx_write(vmx, VMCS_GUEST_ACTIVITY, 0);
	vmx_write(vmx, VMCS_GUEST_PENDING_DBG, 0);
}

/* The controls (25.6-25.8) and the constant parts of the VMCS. */
static void vmx_init_vmcs(struct vmx_vcpu *vmx)
{
	struct vmain_vm *vm = vmx->vcpu->vm;

	/* 25.4.2: no VMCS shadowing, so the link pointer is all ones. */
	vmx_write(vmx, VMCS_LINK_POINTER, ~0ULL);
	vmx->pin_ctls = vmx_cfg.pin;
	vmx_write(vmx, VMCS_PIN_CONTROLS, vmx->pin_ctls);
	/* The interrupt and NMI windows are opened only when needed. */
	vmx->proc_ctls = vmx_cfg.proc & ~(PROC_INTR_WINDOW | PROC_NMI_WINDOW);
	vmx_write(vmx, VMCS_PROC_CONTROLS, vmx->proc_ctls);
	vmx_write(vmx, VMCS_PROC2_CONTROLS, vmx_cfg.proc2);
	vmx_write(vmx, VMCS_EXIT_CONTROLS, vmx_cfg.exit);
	vmx->entry_ctls = vmx_cfg.entry;
	vmx_write(vmx, VMCS_ENTRY_CONTROLS, vmx->entry_ctls);
	/*
	 * #AC is intercepted and re-injected: a guest can otherwise make its
	 * delivery loop inside the CPU, where no host interrupt can stop it
	 * (CVE-2015-5307).  #DB too: a #DB that exits does not write DR6
	 * (27.1), so the hardware DR6 stays the host's while the guest does
	 * not own the debug registers, and the guest's DR6 is kept in
	 * vcpu->dr6 (exits.c).
	 */
	vmx_write(vmx, VMCS_EXCEPTION_BITMAP,
		  (1U << X86_TRAP_AC) | (1U << X86_TRAP_DB));
	vmx_write(vmx, VMCS_PF_ERROR_MASK, 0);
	vmx_write(vmx, VMCS_PF_ERROR_MATCH, 0);
	vmx_write(vmx, VMCS_CR3_TARGET_COUNT, 0);
	vmx_write(vmx, VMCS_EXIT_MSR_STORE_COUNT, 0);
	vmx_write(vmx, VMCS_EXIT_MSR_LOAD_COUNT, 0);
	vmx_write(vmx, VMCS_ENTRY_MSR_LOAD_COUNT, 0);
	vmx_write(vmx, VMCS_ENTRY_INTR_INFO, 0);
	vmx_write(vmx, VMCS_TSC_OFFSET, 0);
	if (vmx->vpid)
		vmx_write(vmx, VMCS_VPID, vmx->vpid);
	/* EPTP (25.6.11): write-back, 4-level walk (length - 1 in 5:3). */
	vmx_write(vmx, VMCS_EPT_POINTER, vm->mmu.root_pa | (3 << 3) | 6);

	/* Bits 63:32 are reserved (fixed to 0): the shadow keeps them. */
	vmx->cr0_mask = vmx_cr0_must1() | ~vmx_cfg.cr0_fixed1;
	vmx->cr4_mask = vmx_cfg.cr4_fixed0 | ~vmx_cfg.cr4_fixed1;
	vmx_write(vmx, VMCS_CR0_MASK, vmx->cr0_mask);
	vmx_write(vmx, VMCS_CR4_MASK, vmx->cr4_mask);
	vmx_write_host_constants(vmx);
}

int vmx_vcpu_create(struct vmain_vcpu *vcpu)
{
	struct vmx_vcpu *vmx;
	unsigned long flags;
	int ret, vpid;

	if (vmx_unusable) {
		pr_warn_ratelimited("cannot create a vCPU: %s\n", vmx_unusable);
		return -ENODEV;
	}
	vmx = kzalloc(sizeof(*vmx), GFP_KERNEL_ACCOUNT);
	if (!vmx)
		return -ENOMEM;
	vmx->vmcs = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	ret = -ENOMEM;
	if (!vmx->vmcs)
		goto free_vmx;
	/* 25.2: the revision identifier heads the region; bit 31 clear. */
	*(u32 *)vmx->vmcs = vmx_cfg.revision;
	vmx->vcpu = vcpu;
	vmx->loaded_cpu = -1;
	vmx->pat = 0x0007040600070406ULL;	/* the PAT's power-on value */
	INIT_LIST_HEAD(&vmx->loaded_node);
	vpid = vmx_alloc_vpid();
	vmx->vpid = vpid > 0 ? vpid : 0;
	vcpu->engine = vmx;

	ret = vmx_get(vmx, &flags);
	if (ret)
		goto free_vpid;
	vmx_init_vmcs(vmx);
	vmx_reset_state(vmx);
	ret = vmx->vmcs_error ? -EIO : 0;
	vmx_put(vmx, flags);
	if (ret)
		goto forget_vmcs;
	return 0;

forget_vmcs:
	vmx_vmcs_forget(vmx);
free_vpid:
	vmx_free_vpid(vmx->vpid);
	free_page((unsigned long)vmx->vmcs);
free_vmx:
	kfree(vmx);
	vcpu->engine = NULL;
	return ret;
}

void vmx_vcpu_free(struct vmain_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	if (!vmx)
		return;
	vmx_vmcs_forget(vmx);
	vmx_free_vpid(vmx->vpid);
	free_page((unsigned long)vmx->vmcs);
	kfree(vmx);
	vcpu->engine = NULL;
}

void vmx_get_gprs(struct vmain_vcpu *vcpu, struct vmain_gprs *g)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	unsigned long flags;

	memcpy(g->r, vmx->gprs, sizeof(g->r));
	g->r[X86_REG_RSP] = 0;
	g->rip = 0;
	g->rflags = X86_EFLAGS_FIXED;
	if (vmx_get(vmx, &flags))
		return;
	g->r[X86_REG_RSP] = vmx_read(vmx, VMCS_GUEST_RSP);
	g->rip = vmx_read(vmx, VMCS_GUEST_RIP);
	g->rflags = vmx_read(vmx, VMCS_GUEST_RFLAGS);
	vmx_put(vmx, flags);
}

void vmx_set_gprs(struct vmain_vcpu *vcpu, const struct vmain_gprs *g)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	unsigned long flags;

	memcpy(vmx->gprs, g->r, sizeof(vmx->gprs));
	if (vmx_get(vmx, &flags))
		return;
	vmx_write(vmx, VMCS_GUEST_RSP, g->r[X86_REG_RSP]);
	vmx_write(vmx, VMCS_GUEST_RIP, g->rip);
	vmx_write(vmx, VMCS_GUEST_RFLAGS, g->rflags | X86_EFLAGS_FIXED);
	vmx_put(vmx, flags);
}

void vmx_get_sregs(struct vmain_vcpu *vcpu, struct vmain_sregs *s)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	unsigned long flags;

	if (vmx_get(vmx, &flags))
		return;		/* VMX is off (reboot): zeros */
	seg_read(vmx, VSEG_CS, &s->cs);
	seg_read(vmx, VSEG_DS, &s->ds);
	seg_read(vmx, VSEG_ES, &s->es);
	seg_read(vmx, VSEG_FS, &s->fs);
	seg_read(vmx, VSEG_GS, &s->gs);
	seg_read(vmx, VSEG_SS, &s->ss);
	seg_read(vmx, VSEG_TR, &s->tr);
	if (vmx->tr_substituted) {
		/* Unless the guest has loaded a TR of its own since. */
		if (!memcmp(&s->tr, &vmx->tr_fixed, sizeof(s->tr)))
			s->tr = vmx->tr_set;
		else
			vmx->tr_substituted = false;
	}
	seg_read(vmx, VSEG_LDTR, &s->ldt);
	s->gdt.base = vmx_read(vmx, VMCS_GUEST_GDTR_BASE);
	s->gdt.limit = vmx_read(vmx, VMCS_GUEST_GDTR_LIMIT);
	memset(s->gdt.pad, 0, sizeof(s->gdt.pad));
	s->idt.base = vmx_read(vmx, VMCS_GUEST_IDTR_BASE);
	s->idt.limit = vmx_read(vmx, VMCS_GUEST_IDTR_LIMIT);
	memset(s->idt.pad, 0, sizeof(s->idt.pad));
	s->cr0 = vmx_guest_cr0(vmx);
	s->cr3 = vmx_read(vmx, VMCS_GUEST_CR3);
	s->cr4 = vmx_guest_cr4(vmx);
	s->efer = vmx_read(vmx, VMCS_GUEST_EFER);
	vmx_put(vmx, flags);
	/* CR2 is not in the VMCS: run.c switches the register itself. */
	s->cr2 = vmx->cr2;
	s->cr8 = vmx->tpr;
}

/*
 * VM entry requires a usable TR holding a busy TSS (26.3.1.2: selector
 * TI = 0; canonical base; type 11, or 3 outside IA-32e mode; S = 0;
 * P = 1; G consistent with the limit); AMD-V checks nothing of TR (APM
 * 15.5.1), and a 64-bit guest that never switches stacks through its TSS
 * never reads it.  An unusable (or not present) TR, an all-zero one
 * included, is therefore entered as a busy 32/64-bit TSS with the same
 * selector, base and limit, so that both engines run the same states;
 * GET_SREGS still reports it as it was set (unusable, as AMD-V reports a
 * TR with P = 0), until the guest loads a TR of its own.  Guest accesses
 * to the TSS (I/O permission bitmap, stack switches) then see that base
 * and limit on both engines.  Where the entry checks forbid them, the
 * VMCS holds TI cleared and, with a limit of 1 MiB or more (G = 1),
 * limit bits 11:0 set; GET_SREGS still reports the selector and limit
 * as set.  A non-canonical base is sign-extended from the highest
 * implemented linear-address bit, and reported so, as AMD-V's VMRUN
 * and VMLOAD canonicalize the segment bases they load.
 */
static void vmx_write_tr(struct vmx_vcpu *vmx, const struct vmain_segment *tr)
{
	unsigned int bits = boot_cpu_data.x86_virt_bits;

	vmx->tr_substituted = tr->unusable || !tr->present;
	if (!vmx->tr_substituted) {
		seg_write(vmx, VSEG_TR, tr);
		return;
	}
	if (bits < 48 || bits > 63)
		bits = 48;
	memset(&vmx->tr_set, 0, sizeof(vmx->tr_set));
	vmx->tr_set.selector = tr->selector;
	vmx->tr_set.base = (u64)((s64)(tr->base << (64 - bits)) >> (64 - bits));
	vmx->tr_set.limit = tr->limit;
	vmx->tr_set.unusable = 1;
	vmx->tr_fixed = vmx->tr_set;
	vmx->tr_fixed.unusable = 0;
	vmx->tr_fixed.present = 1;
	vmx->tr_fixed.type = 11;
	/* A TR selector's TI flag (bit 2) must be 0. */
	vmx->tr_fixed.selector &= ~4;
	/* Limit bits 31:20 set need G = 1; G = 1 needs bits 11:0 set. */
	vmx->tr_fixed.g = (tr->limit >> 20) != 0;
	if (vmx->tr_fixed.g)
		vmx->tr_fixed.limit |= 0xfff;
	seg_write(vmx, VSEG_TR, &vmx->tr_fixed);
}

int vmx_set_sregs(struct vmain_vcpu *vcpu, const struct vmain_sregs *s)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	unsigned long flags;

	if (s->efer & ~VMX_EFER_VALID)
		return -EINVAL;
	if (s->cr8 > 15)
		return -EINVAL;
	if (vmx_get(vmx, &flags))
		return -EIO;
	seg_write(vmx, VSEG_CS, &s->cs);
	seg_write(vmx, VSEG_DS, &s->ds);
	seg_write(vmx, VSEG_ES, &s->es);
	seg_write(vmx, VSEG_FS, &s->fs);
	seg_write(vmx, VSEG_GS, &s->gs);
	seg_write(vmx, VSEG_SS, &s->ss);
	vmx_write_tr(vmx, &s->tr);
	seg_write(vmx, VSEG_LDTR, &s->ldt);
	vmx_write(vmx, VMCS_GUEST_GDTR_BASE, s->gdt.base);
	vmx_write(vmx, VMCS_GUEST_GDTR_LIMIT, s->gdt.limit);
	vmx_write(vmx, VMCS_GUEST_IDTR_BASE, s->idt.base);
	vmx_write(vmx, VMCS_GUEST_IDTR_LIMIT, s->idt.limit);
	vmx_put_cr0(vmx, s->cr0);
	vmx_write(vmx, VMCS_GUEST_CR3, s->cr3);
	vmx_put_cr4(vmx, s->cr4);
	vmx_put_efer(vmx, s->efer);
	vmx_put(vmx, flags);
	/* Page tables not in RAM: the guest faults on its first access. */
	vmx_load_pdptes(vmx);
	vmx->cr2 = s->cr2;
	vmx->tpr = s->cr8;
	/* Translations may have changed with CR0/CR3/CR4. */
	vmx->flush = true;
	return 0;
}

void vmx_get_shadow(struct vmain_vcpu *vcpu, bool *shadow)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	unsigned long flags;

	*shadow = false;
	if (vmx_get(vmx, &flags))
		return;
	*shadow = vmx_read(vmx, VMCS_GUEST_INTERRUPTIBILITY) &
		  (INTR_BLOCK_STI | INTR_BLOCK_MOV_SS);
	vmx_put(vmx, flags);
}

void vmx_set_shadow(struct vmain_vcpu *vcpu, bool shadow)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	unsigned long flags;
	u32 intr;

	if (vmx_get(vmx, &flags))
		return;
	intr = vmx_read(vmx, VMCS_GUEST_INTERRUPTIBILITY) &
	       ~(INTR_BLOCK_STI | INTR_BLOCK_MOV_SS);
	/*
	 * Blocking by STI needs RFLAGS.IF = 1 (27.3.1.5); with IF = 0 the
	 * shadow is kept as blocking by MOV SS, which holds off the same
	 * events for one instruction.
	 */
	if (shadow)
		intr |= (vmx_read(vmx, VMCS_GUEST_RFLAGS) & X86_EFLAGS_IF) ?
			INTR_BLOCK_STI : INTR_BLOCK_MOV_SS;
	vmx_write(vmx, VMCS_GUEST_INTERRUPTIBILITY, intr);
	vmx_put(vmx, flags);
}

static bool pat_valid(u64 pat)
{
	unsigned int i;

	/* Each byte: UC 0, WC 1, WT 4, WP 5, WB 6, UC- 7 (SDM 11.12.2). */
	for (i = 0; i < 8; i++) {
		u8 t = pat >> (i * 8);

		if (t > 7 || t == 2 || t == 3)
			return false;
	}
	return true;
}

static bool canonical(u64 v)
{
	return (s64)(v << 16) >> 16 == (s64)v;
}

int vmx_get_msr(struct vmain_vcpu *vcpu, u32 index, u64 *data)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	unsigned long flags;
	u32 field;

	switch (index) {
	case MSR_STAR:
		*data = vmx->star;
		return 0;
	case MSR_LSTAR:
		*data = vmx->lstar;
		return 0;
	case MSR_CSTAR:
		*data = vmx->cstar;
		return 0;
	case MSR_SYSCALL_MASK:
		*data = vmx->sfmask;
		return 0;
	case MSR_KERNEL_GS_BASE:
		*data = vmx->kernel_gs_base;
		return 0;
	case MSR_IA32_DEBUGCTLMSR:
		*data = 0;
		return 0;
	case MSR_IA32_CR_PAT:
		if (!(vmx_cfg.entry & ENTRY_LOAD_PAT)) {
			*data = vmx->pat;
			return 0;
		}
		field = VMCS_GUEST_PAT;
		break;
	case MSR_IA32_TSC:
		field = VMCS_TSC_OFFSET;
		break;
	case MSR_EFER:
		field = VMCS_GUEST_EFER;
		break;
	case MSR_FS_BASE:
		field = VMCS_SEG_BASE(VSEG_FS);
		break;
	case MSR_GS_BASE:
		field = VMCS_SEG_BASE(VSEG_GS);
		break;
	case MSR_IA32_SYSENTER_CS:
		field = VMCS_GUEST_SYSENTER_CS;
		break;
	case MSR_IA32_SYSENTER_ESP:
		field = VMCS_GUEST_SYSENTER_ESP;
		break;
	case MSR_IA32_SYSENTER_EIP:
		field = VMCS_GUEST_SYSENTER_EIP;
		break;
	default:
		return -ENOENT;
	}
	*data = 0;
	if (vmx_get(vmx, &flags))
		return 0;
	*data = vmx_read(vmx, field);
	if (index == MSR_IA32_TSC)
		*data += rdtsc();
	vmx_put(vmx, flags);
	return 0;
}

int vmx_set_msr(struct vmain_vcpu *vcpu, u32 index, u64 data)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	unsigned long flags;
	u64 old;
	int ret = 0;

	switch (index) {
	case MSR_STAR:
		vmx->star = data;
		return 0;
	case MSR_LSTAR:
	case MSR_CSTAR:
	case MSR_KERNEL_GS_BASE:
	case MSR_FS_BASE:
	case MSR_GS_BASE:
		/* Addresses: non-canonical values raise #GP (SDM 2.2.1). */
		if (!canonical(data))
			return -EINVAL;
		if (index == MSR_LSTAR) {
			vmx->lstar = data;
			return 0;
		}
		if (index == MSR_CSTAR) {
			vmx->cstar = data;
			return 0;
		}
		if (index == MSR_KERNEL_GS_BASE) {
			vmx->kernel_gs_base = data;
			return 0;
		}
		break;
	case MSR_SYSCALL_MASK:
		vmx->sfmask = (u32)data;
		return 0;
	case MSR_IA32_DEBUGCTLMSR:
		/* No branch tracing for guests: only 0 is accepted. */
		return data ? -EINVAL : 0;
	case MSR_IA32_CR_PAT:
		if (!pat_valid(data))
			return -EINVAL;
		vmx->pat = data;
		if (!(vmx_cfg.entry & ENTRY_LOAD_PAT))
			return 0;
		break;
	case MSR_EFER:
		if (data & ~VMX_EFER_VALID)
			return -EINVAL;
		break;
	case MSR_IA32_TSC:
	case MSR_IA32_SYSENTER_CS:
	case MSR_IA32_SYSENTER_ESP:
	case MSR_IA32_SYSENTER_EIP:
		break;
	default:
		return -ENOENT;
	}
	if (vmx_get(vmx, &flags))
		return -EIO;
	switch (index) {
	case MSR_FS_BASE:
		vmx_write(vmx, VMCS_SEG_BASE(VSEG_FS), data);
		break;
	case MSR_GS_BASE:
		vmx_write(vmx, VMCS_SEG_BASE(VSEG_GS), data);
		break;
	case MSR_IA32_CR_PAT:
		vmx_write(vmx, VMCS_GUEST_PAT, data);
		break;
	case MSR_IA32_TSC:
		vmx_write(vmx, VMCS_TSC_OFFSET, data - rdtsc());
		break;
	case MSR_IA32_SYSENTER_CS:
		vmx_write(vmx, VMCS_GUEST_SYSENTER_CS, data);
		break;
	case MSR_IA32_SYSENTER_ESP:
		vmx_write(vmx, VMCS_GUEST_SYSENTER_ESP, data);
		break;
	case MSR_IA32_SYSENTER_EIP:
		vmx_write(vmx, VMCS_GUEST_SYSENTER_EIP, data);
		break;
	case MSR_EFER:
		old = vmx_read(vmx, VMCS_GUEST_EFER);
		/*
		 * LMA is the processor's (SDM Vol. 3A, 9.8.5); LME cannot change
		 * while paging is on (#GP, SDM Vol. 4 "IA32_EFER").
		 */
		if (((old ^ data) & EFER_LME) &&
		    (vmx_guest_cr0(vmx) & X86_CR0_PG)) {
			ret = -EINVAL;
			break;
		}
		vmx_put_efer(vmx, (data & ~EFER_LMA) | (old & EFER_LMA));
		break;
	}
	vmx_put(vmx, flags);
	return ret;
}
