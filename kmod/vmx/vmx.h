/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vmx/vmx.h - the VT-x engine's private state, the VMCS field encodings
 * (Intel SDM Vol. 3C, Appendix B "Field Encoding in VMCS") and the control
 * bits it uses (SDM Vol. 3C, 25.6 "VM-Execution Control Fields", 25.7
 * "VM-Exit Control Fields", 25.8 "VM-Entry Control Fields").
 */
#ifndef VMAIN_VMX_VMX_H
#define VMAIN_VMX_VMX_H

#include <linux/list.h>
#include "../vcpu.h"
#include "x86/decode.h"

/* Capability MSRs (SDM Vol. 3C, Appendix A). */
#define MSR_VMX_BASIC			0x480
#define MSR_VMX_PINBASED		0x481
#define MSR_VMX_PROCBASED		0x482
#define MSR_VMX_EXIT			0x483
#define MSR_VMX_ENTRY			0x484
#define MSR_VMX_MISC			0x485
#define MSR_VMX_CR0_FIXED0		0x486
#define MSR_VMX_CR0_FIXED1		0x487
#define MSR_VMX_CR4_FIXED0		0x488
#define MSR_VMX_CR4_FIXED1		0x489
#define MSR_VMX_PROCBASED2		0x48b
#define MSR_VMX_EPT_VPID_CAP		0x48c
#define MSR_VMX_TRUE_PINBASED		0x48d
#define MSR_VMX_TRUE_PROCBASED		0x48e
#define MSR_VMX_TRUE_EXIT		0x48f
#define MSR_VMX_TRUE_ENTRY		0x490
#define VMX_BASIC_TRUE_CTLS		(1ULL << 55)

/* Pin-based controls (25.6.1). */
#define PIN_EXT_INTR			(1U << 0)
#define PIN_NMI				(1U << 3)
#define PIN_VIRTUAL_NMIS		(1U << 5)
#define PIN_PREEMPT_TIMER		(1U << 6)
/* Primary processor-based controls (25.6.2, Table 25-6). */
#define PROC_INTR_WINDOW		(1U << 2)
#define PROC_TSC_OFFSET			(1U << 3)
#define PROC_HLT			(1U << 7)
#define PROC_MWAIT			(1U << 10)
#define PROC_RDPMC			(1U << 11)
#define PROC_CR3_LOAD			(1U << 15)
#define PROC_CR3_STORE			(1U << 16)
#define PROC_CR8_LOAD			(1U << 19)
#define PROC_CR8_STORE			(1U << 20)
#define PROC_NMI_WINDOW			(1U << 22)
#define PROC_MOV_DR			(1U << 23)
#define PROC_UNCOND_IO			(1U << 24)
#define PROC_MONITOR			(1U << 29)
#define PROC_SECONDARY			(1U << 31)
/* Secondary processor-based controls (Table 25-7). */
#define PROC2_EPT			(1U << 1)
#define PROC2_RDTSCP			(1U << 3)
#define PROC2_VPID			(1U << 5)
#define PROC2_WBINVD			(1U << 6)
#define PROC2_UNRESTRICTED		(1U << 7)
#define PROC2_INVPCID			(1U << 12)
/* VM-exit controls (25.7.1, Table 25-13). */
#define EXIT_SAVE_DEBUG			(1U << 2)
#define EXIT_HOST_64			(1U << 9)
#define EXIT_SAVE_PAT			(1U << 18)
#define EXIT_LOAD_PAT			(1U << 19)
#define EXIT_SAVE_EFER			(1U << 20)
#define EXIT_LOAD_EFER			(1U << 21)
/* VM-entry controls (25.8.1, Table 25-15). */
#define ENTRY_LOAD_DEBUG		(1U << 2)
#define ENTRY_IA32E			(1U << 9)
#define ENTRY_LOAD_PAT			(1U << 14)
#define ENTRY_LOAD_EFER			(1U << 15)

/* IA32_VMX_EPT_VPID_CAP (Appendix A.10). */
#define EPT_CAP_2M_PAGE			(1ULL << 16)
#define EPT_CAP_1G_PAGE			(1ULL << 17)
#define EPT_CAP_INVEPT			(1ULL << 20)
#define EPT_CAP_INVEPT_SINGLE		(1ULL << 25)
#define EPT_CAP_INVEPT_ALL		(1ULL << 26)
#define VPID_CAP_INVVPID		(1ULL << 32)
#define VPID_CAP_INVVPID_SINGLE		(1ULL << 41)
#define VPID_CAP_INVVPID_ALL		(1ULL << 42)

/* VMCS fields (Appendix B). */
enum vmcs_field {
	VMCS_VPID			= 0x0000,
	VMCS_GUEST_ES_SEL		= 0x0800,	/* + 2 * segment */
	VMCS_HOST_ES_SEL		= 0x0c00,
	VMCS_HOST_CS_SEL		= 0x0c02,
	VMCS_HOST_SS_SEL		= 0x0c04,
	VMCS_HOST_DS_SEL		= 0x0c06,
	VMCS_HOST_FS_SEL		= 0x0c08,
	VMCS_HOST_GS_SEL		= 0x0c0a,
	VMCS_HOST_TR_SEL		= 0x0c0c,
	VMCS_TSC_OFFSET			= 0x2010,
	VMCS_EPT_POINTER		= 0x201a,
	VMCS_GUEST_PHYS_ADDR		= 0x2400,
	VMCS_LINK_POINTER		= 0x2800,
	VMCS_GUEST_DEBUGCTL		= 0x2802,
	VMCS_GUEST_PAT			= 0x2804,
	VMCS_GUEST_EFER			= 0x2806,
	VMCS_GUEST_PDPTE0		= 0x280a,	/* + 2 * n */
	VMCS_HOST_PAT			= 0x2c00,
	VMCS_HOST_EFER			= 0x2c02,
	VMCS_PIN_CONTROLS		= 0x4000,
	VMCS_PROC_CONTROLS		= 0x4002,
	VMCS_EXCEPTION_BITMAP		= 0x4004,
	VMCS_PF_ERROR_MASK		= 0x4006,
	VMCS_PF_ERROR_MATCH		= 0x4008,
	VMCS_CR3_TARGET_COUNT		= 0x400a,
	VMCS_EXIT_CONTROLS		= 0x400c,
	VMCS_EXIT_MSR_STORE_COUNT	= 0x400e,
	VMCS_EXIT_MSR_LOAD_COUNT	= 0x4010,
	VMCS_ENTRY_CONTROLS		= 0x4012,
	VMCS_ENTRY_MSR_LOAD_COUNT	= 0x4014,
	VMCS_ENTRY_INTR_INFO		= 0x4016,
	VMCS_ENTRY_EXC_ERROR		= 0x4018,
	VMCS_ENTRY_INSN_LEN		= 0x401a,
	VMCS_TPR_THRESHOLD		= 0x401c,
	VMCS_PROC2_CONTROLS		= 0x401e,
	VMCS_INSN_ERROR			= 0x4400,
	VMCS_EXIT_REASON		= 0x4402,
	VMCS_EXIT_INTR_INFO		= 0x4404,
	VMCS_EXIT_INTR_ERROR		= 0x4406,
	VMCS_IDT_VECTORING_INFO		= 0x4408,
	VMCS_IDT_VECTORING_ERROR	= 0x440a,
	VMCS_EXIT_INSN_LEN		= 0x440c,
	VMCS_GUEST_ES_LIMIT		= 0x4800,	/* + 2 * segment */
	VMCS_GUEST_GDTR_LIMIT		= 0x4810,
	VMCS_GUEST_IDTR_LIMIT		= 0x4812,
	VMCS_GUEST_ES_AR		= 0x4814,	/* + 2 * segment */
	VMCS_GUEST_INTERRUPTIBILITY	= 0x4824,
	VMCS_GUEST_ACTIVITY		= 0x4826,
	VMCS_GUEST_SYSENTER_CS		= 0x482a,
	VMCS_PREEMPT_TIMER		= 0x482e,
	VMCS_HOST_SYSENTER_CS		= 0x4c00,
	VMCS_CR0_MASK			= 0x6000,
	VMCS_CR4_MASK			= 0x6002,
	VMCS_CR0_SHADOW			= 0x6004,
	VMCS_CR4_SHADOW			= 0x6006,
	VMCS_EXIT_QUALIFICATION		= 0x6400,
	VMCS_GUEST_CR0			= 0x6800,
	VMCS_GUEST_CR3			= 0x6802,
	VMCS_GUEST_CR4			= 0x6804,
	VMCS_GUEST_ES_BASE		= 0x6806,	/* + 2 * segment */
	VMCS_GUEST_GDTR_BASE		= 0x6816,
	VMCS_GUEST_IDTR_BASE		= 0x6818,
	VMCS_GUEST_DR7			= 0x681a,
	VMCS_GUEST_RSP			= 0x681c,
	VMCS_GUEST_RIP			= 0x681e,
	VMCS_GUEST_RFLAGS		= 0x6820,
	VMCS_GUEST_PENDING_DBG		= 0x6822,
	VMCS_GUEST_SYSENTER_ESP		= 0x6824,
	VMCS_GUEST_SYSENTER_EIP		= 0x6826,
	VMCS_HOST_CR0			= 0x6c00,
	VMCS_HOST_CR3			= 0x6c02,
	VMCS_HOST_CR4			= 0x6c04,
	VMCS_HOST_FS_BASE		= 0x6c06,
	VMCS_HOST_GS_BASE		= 0x6c08,
	VMCS_HOST_TR_BASE		= 0x6c0a,
	VMCS_HOST_GDTR_BASE		= 0x6c0c,
	VMCS_HOST_IDTR_BASE		= 0x6c0e,
	VMCS_HOST_SYSENTER_ESP		= 0x6c10,
	VMCS_HOST_SYSENTER_EIP		= 0x6c12,
	VMCS_HOST_RSP			= 0x6c14,
	VMCS_HOST_RIP			= 0x6c16,
};

/* Segment numbers in the guest-state area's field order (Table B-1). */
enum { VSEG_ES, VSEG_CS, VSEG_SS, VSEG_DS, VSEG_FS, VSEG_GS, VSEG_LDTR, VSEG_TR };
#define VMCS_SEG_SEL(n)		(0x0800 + 2 * (n))
#define VMCS_SEG_LIMIT(n)	(0x4800 + 2 * (n))
#define VMCS_SEG_AR(n)		(0x4814 + 2 * (n))
#define VMCS_SEG_BASE(n)	(0x6806 + 2 * (n))
#define VMX_AR_UNUSABLE		(1U << 16)

/* Interruptibility state (25.4.2, Table 25-3). */
#define INTR_BLOCK_STI			(1U << 0)
#define INTR_BLOCK_MOV_SS		(1U << 1)
#define INTR_BLOCK_NMI			(1U << 3)

/* Interruption-information fields (25.8.3, 25.9.2, 25.9.3). */
#define INTR_INFO_VECTOR_MASK		0xffU
#define INTR_INFO_TYPE_MASK		(7U << 8)
#define INTR_TYPE_EXT			(0U << 8)
#define INTR_TYPE_NMI			(2U << 8)
#define INTR_TYPE_HW_EXC		(3U << 8)
#define INTR_TYPE_SOFT_INTR		(4U << 8)
#define INTR_TYPE_PRIV_SOFT_EXC		(5U << 8)
#define INTR_TYPE_SOFT_EXC		(6U << 8)
#define INTR_INFO_ERROR_VALID		(1U << 11)
#define INTR_INFO_NMI_UNBLOCK		(1U << 12)
#define INTR_INFO_VALID			(1U << 31)

/* Basic exit reasons (Appendix C). */
#define EXIT_REASON_EXCEPTION_NMI	0
#define EXIT_REASON_EXT_INTR		1
#define EXIT_REASON_TRIPLE_FAULT	2
#define EXIT_REASON_INIT		3
#define EXIT_REASON_SIPI		4
#define EXIT_REASON_IO_SMI		5
#define EXIT_REASON_OTHER_SMI		6
#define EXIT_REASON_INTR_WINDOW		7
#define EXIT_REASON_NMI_WINDOW		8
#define EXIT_REASON_TASK_SWITCH		9
#define EXIT_REASON_CPUID		10
#define EXIT_REASON_GETSEC		11
#define EXIT_REASON_HLT			12
#define EXIT_REASON_INVD		13
#define EXIT_REASON_INVLPG		14
#define EXIT_REASON_RDPMC		15
#define EXIT_REASON_RDTSC		16
#define EXIT_REASON_RSM			17
#define EXIT_REASON_VMCALL		18
#define EXIT_REASON_VMCLEAR		19
#define EXIT_REASON_VMLAUNCH		20
#define EXIT_REASON_VMPTRLD		21
#define EXIT_REASON_VMPTRST		22
#define EXIT_REASON_VMREAD		23
#define EXIT_REASON_VMRESUME		24
#define EXIT_REASON_VMWRITE		25
#define EXIT_REASON_VMXOFF		26
#define EXIT_REASON_VMXON		27
#define EXIT_REASON_CR_ACCESS		28
#define EXIT_REASON_DR_ACCESS		29
#define EXIT_REASON_IO			30
#define EXIT_REASON_RDMSR		31
#define EXIT_REASON_WRMSR		32
#define EXIT_REASON_BAD_GUEST_STATE	33
#define EXIT_REASON_MSR_LOADING		34
#define EXIT_REASON_MWAIT		36
#define EXIT_REASON_MONITOR		39
#define EXIT_REASON_PAUSE		40
#define EXIT_REASON_MACHINE_CHECK	41
#define EXIT_REASON_EPT_VIOLATION	48
#define EXIT_REASON_EPT_MISCONFIG	49
#define EXIT_REASON_INVEPT		50
#define EXIT_REASON_RDTSCP		51
#define EXIT_REASON_PREEMPT_TIMER	52
#define EXIT_REASON_INVVPID		53
#define EXIT_REASON_WBINVD		54
#define EXIT_REASON_XSETBV		55
#define EXIT_REASON_INVPCID		58
#define EXIT_REASON_VMFUNC		59
#define EXIT_REASON_MAX			65
#define EXIT_REASON_ENTRY_FAILED	(1U << 31)

/* What the capability MSRs allowed, found once at module load. */
struct vmx_config {
	u32 revision;			/* VMCS revision identifier */
	u32 pin, proc, proc2, exit, entry;
	u64 cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
	u64 ept_vpid_cap;
	bool unrestricted, vpid;
	bool debugctl;			/* IA32_DEBUGCTL exists (Bochs: no) */
	u32 preempt_ticks;		/* VMX-preemption timer: about 1 ms */
};
extern struct vmx_config vmx_cfg;

/* Per host CPU (SDM Vol. 3C, 24.7 "Enabling and Entering VMX Operation"). */
struct vmx_cpu {
	void *vmxon_region;
	bool enabled;			/* VMXON done by us */
	struct vmx_vcpu *current_vmcs;	/* the VMCS VMPTRLD made current */
	struct list_head loaded;	/* VMCSs active on this CPU */
	/* Host state that is fixed for the CPU (Linux never changes it). */
	unsigned long gdt_base, idt_base, tr_base, gs_base;
	u16 gdt_limit, idt_limit;
	u64 sysenter_esp, sysenter_eip;
	u64 star, lstar, cstar, sfmask;
};

/* The exit's information, read once right after the exit. */
struct vmx_exit {
	u32 reason;
	u32 intr_info, intr_error;
	u32 idt_info, idt_error;
	u32 insn_len;
	u64 qual;
	u64 gpa;
};

struct vmx_vcpu {
	struct vmain_vcpu *vcpu;
	void *vmcs;
	int loaded_cpu;			/* where the VMCS is active, -1: clear */
	bool launched;			/* VMLAUNCH done since the last VMCLEAR */
	struct list_head loaded_node;	/* in that CPU's vmx_cpu.loaded */
	u16 vpid;			/* 0: none */
	bool flush;			/* flush TLBs at the next entry */
	/* GPRs in encoding order; RSP lives in the VMCS. */
	u64 gprs[16];
	/* Guest state the VMCS does not hold (SDM Vol. 3C, 25.4). */
	u64 star, lstar, cstar, sfmask, kernel_gs_base;
	u64 cr2;			/* the register itself while in guest mode */
	u64 pat;			/* without the PAT load/save controls */
	u8 tpr;				/* CR8 */
	u64 cr0_mask, cr4_mask;		/* bits the host owns (25.6.6) */
	u32 entry_ctls;			/* as in the VMCS */
	u32 proc_ctls;
	u32 pin_ctls;
	u32 inject_info;		/* what the entry injects (25.8.3), 0: none */
	/*
	 * SET_SREGS gave an unusable TR, which VM entry refuses (26.3.1.2):
	 * the VMCS holds tr_fixed (a busy TSS) and GET_SREGS reports tr_set
	 * while the VMCS still holds that (vmcs.c).
	 */
	bool tr_substituted;
	struct vmain_segment tr_set, tr_fixed;
	struct vmx_exit exit;
	/* The first VMWRITE/VMREAD that failed: reported at the next RUN. */
	u32 vmcs_error;
	u32 vmcs_error_field;
	/* Cached host values, to skip VMWRITEs that would change nothing. */
	unsigned long host_cr3, host_cr4, host_fs_base;
};

static inline struct vmx_vcpu *to_vmx(struct vmain_vcpu *vcpu)
{
	return vcpu->engine;
}

/* vmx/cpu.c */
int vmx_hw_init(void);
void vmx_hw_exit(void);
int vmx_enable_cpu(void);
void vmx_disable_cpu(void);
struct vmx_cpu *vmx_this_cpu(void);
/*
 * Makes the vCPU's VMCS current on this CPU, with preemption and
 * interrupts off until vmx_put(); 0 or -EIO (VMX is off on this CPU:
 * reboot or panic ran).  *flags keeps the interrupt state.
 */
int vmx_get(struct vmx_vcpu *vmx, unsigned long *flags);
void vmx_put(struct vmx_vcpu *vmx, unsigned long flags);
void vmx_vmcs_forget(struct vmx_vcpu *vmx);
int vmx_vmclear(void *vmcs);
void vmx_invept(struct vmx_vcpu *vmx);
void vmx_invvpid(struct vmx_vcpu *vmx);
/* A VPID for a new vCPU (0: none, VPID off), and its release. */
int vmx_alloc_vpid(void);
void vmx_free_vpid(u16 vpid);
/* Why VT-x vCPUs cannot run on this CPU model, or NULL. */
extern const char *vmx_unusable;

/* vmx/vmcs.c */
void vmx_write(struct vmx_vcpu *vmx, u32 field, u64 value);
u64 vmx_read(struct vmx_vcpu *vmx, u32 field);
int vmx_vcpu_create(struct vmain_vcpu *vcpu);
void vmx_vcpu_free(struct vmain_vcpu *vcpu);
void vmx_write_host_cpu_state(struct vmx_vcpu *vmx, struct vmx_cpu *vc);
void vmx_get_gprs(struct vmain_vcpu *vcpu, struct vmain_gprs *g);
void vmx_set_gprs(struct vmain_vcpu *vcpu, const struct vmain_gprs *g);
void vmx_get_sregs(struct vmain_vcpu *vcpu, struct vmain_sregs *s);
int vmx_set_sregs(struct vmain_vcpu *vcpu, const struct vmain_sregs *s);
int vmx_get_msr(struct vmain_vcpu *vcpu, u32 index, u64 *data);
int vmx_set_msr(struct vmain_vcpu *vcpu, u32 index, u64 data);
void vmx_get_shadow(struct vmain_vcpu *vcpu, bool *shadow);
void vmx_set_shadow(struct vmain_vcpu *vcpu, bool shadow);
/* With the VMCS current: guest CR0/CR4 as the guest sees them. */
u64 vmx_guest_cr0(struct vmx_vcpu *vmx);
u64 vmx_guest_cr4(struct vmx_vcpu *vmx);
/* With the VMCS current: sets CR0/CR4/EFER, keeping VMX's rules. */
void vmx_put_cr0(struct vmx_vcpu *vmx, u64 cr0);
void vmx_put_cr4(struct vmx_vcpu *vmx, u64 cr4);
void vmx_put_efer(struct vmx_vcpu *vmx, u64 efer);
/* Without the VMCS current (it reads guest memory): PAE PDPTEs. */
int vmx_load_pdptes(struct vmx_vcpu *vmx);

/* vmx/run.c */
int vmx_run(struct vmain_vcpu *vcpu);

/* vmx/exits.c */
int vmx_handle_exit(struct vmx_vcpu *vmx);

/* vmx/enter.S */
struct vmain_spec_switch;
int vmain_vmx_enter(u64 *gprs, bool launched, unsigned int flags,
		    const struct vmain_spec_switch *spec);
void vmain_vmx_exit_point(void);
void vmain_vmx_host_nmi(void);

#endif
