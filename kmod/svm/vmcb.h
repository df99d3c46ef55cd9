/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * svm/vmcb.h - the Virtual Machine Control Block, per AMD64 APM Vol. 2,
 * Appendix B "Layout of VMCB" (Tables B-1 and B-2), and the SVM exit codes
 * of Appendix C.  Defined here rather than taken from <asm/svm.h> so that
 * the layout is checked against the manual in one place and does not move
 * with kernel-internal renames.
 */
#ifndef VMAIN_SVM_VMCB_H
#define VMAIN_SVM_VMCB_H

#include <linux/build_bug.h>
#include <linux/types.h>

/* Table B-1: the control area, offsets 000h-3FFh. */
struct vmcb_control {
	u32 intercept_cr;		/* 000h: CR reads 15:0, writes 31:16 */
	u32 intercept_dr;		/* 004h: DR reads 15:0, writes 31:16 */
	u32 intercept_exceptions;	/* 008h: one bit per vector */
	u32 intercept_misc1;		/* 00Ch: INTERCEPT1_* */
	u32 intercept_misc2;		/* 010h: INTERCEPT2_* */
	u32 intercept_misc3;		/* 014h */
	u8  reserved_018[0x03c - 0x018];
	u16 pause_filter_threshold;	/* 03Ch */
	u16 pause_filter_count;		/* 03Eh */
	u64 iopm_base_pa;		/* 040h */
	u64 msrpm_base_pa;		/* 048h */
	u64 tsc_offset;			/* 050h */
	u32 asid;			/* 058h */
	u8  tlb_control;		/* 05Ch */
	u8  reserved_05d[3];
	u32 int_ctl;			/* 060h: V_TPR, V_IRQ, V_INTR_MASKING.. */
	u32 int_vector;			/* 064h: V_INTR_VECTOR */
	u64 int_state;			/* 068h: interrupt shadow, bit 0 */
	u64 exit_code;			/* 070h */
	u64 exit_info_1;		/* 078h */
	u64 exit_info_2;		/* 080h */
	u64 exit_int_info;		/* 088h */
	u64 nested_ctl;			/* 090h: NP_ENABLE bit 0 */
	u64 avic_apic_bar;		/* 098h */
	u64 ghcb_pa;			/* 0A0h */
	u64 event_inj;			/* 0A8h */
	u64 nested_cr3;			/* 0B0h */
	u64 virt_ext;			/* 0B8h: LBR virtualization, .. */
	u32 clean;			/* 0C0h: VMCB clean bits */
	u32 reserved_0c4;
	u64 next_rip;			/* 0C8h: with NRIP save */
	u8  insn_len;			/* 0D0h: with decode assists */
	u8  insn_bytes[15];		/* 0D1h */
	u8  reserved_0e0[0x400 - 0x0e0];
} __packed;

/* A segment in the save area (Table B-2), 16 bytes. */
struct vmcb_seg {
	u16 selector;
	u16 attrib;	/* type 3:0, S 4, DPL 6:5, P 7, AVL 8, L 9, DB 10, G 11 */
	u32 limit;
	u64 base;
} __packed;

/* Table B-2: the state save area, offsets 400h-FFFh (relative 000h-). */
struct vmcb_save {
	struct vmcb_seg es;		/* 000h */
	struct vmcb_seg cs;		/* 010h */
	struct vmcb_seg ss;		/* 020h */
	struct vmcb_seg ds;		/* 030h */
	struct vmcb_seg fs;		/* 040h */
	struct vmcb_seg gs;		/* 050h */
	struct vmcb_seg gdtr;		/* 060h */
	struct vmcb_seg ldtr;		/* 070h */
	struct vmcb_seg idtr;		/* 080h */
	struct vmcb_seg tr;		/* 090h */
	u8  reserved_0a0[0x0cb - 0x0a0];
	u8  cpl;			/* 0CBh */
	u32 reserved_0cc;
	u64 efer;			/* 0D0h */
	u8  reserved_0d8[0x148 - 0x0d8];
	u64 cr4;			/* 148h */
	u64 cr3;			/* 150h */
	u64 cr0;			/* 158h */
	u64 dr7;			/* 160h */
	u64 dr6;			/* 168h */
	u64 rflags;			/* 170h */
	u64 rip;			/* 178h */
	u8  reserved_180[0x1d8 - 0x180];
	u64 rsp;			/* 1D8h */
	u8  reserved_1e0[0x1f8 - 0x1e0];
	u64 rax;			/* 1F8h */
	u64 star;			/* 200h */
	u64 lstar;			/* 208h */
	u64 cstar;			/* 210h */
	u64 sfmask;			/* 218h */
	u64 kernel_gs_base;		/* 220h */
	u64 sysenter_cs;		/* 228h */
	u64 sysenter_esp;		/* 230h */
	u64 sysenter_eip;		/* 238h */
	u64 cr2;			/* 240h */
	u8  reserved_248[0x268 - 0x248];
	u64 g_pat;			/* 268h */
	u64 dbgctl;			/* 270h */
	u64 br_from;			/* 278h */
	u64 br_to;			/* 280h */
	u64 last_excp_from;		/* 288h */
	u64 last_excp_to;		/* 290h */
	u8  reserved_298[0xc00 - 0x298];
} __packed;

struct vmcb {
	struct vmcb_control control;	/* 000h */
	struct vmcb_save save;		/* 400h */
} __packed;

static_assert(offsetof(struct vmcb_control, pause_filter_threshold) == 0x03c);
static_assert(offsetof(struct vmcb_control, asid) == 0x058);
static_assert(offsetof(struct vmcb_control, int_ctl) == 0x060);
static_assert(offsetof(struct vmcb_control, exit_code) == 0x070);
static_assert(offsetof(struct vmcb_control, event_inj) == 0x0a8);
static_assert(offsetof(struct vmcb_control, nested_cr3) == 0x0b0);
static_assert(offsetof(struct vmcb_control, next_rip) == 0x0c8);
static_assert(sizeof(struct vmcb_control) == 0x400);
static_assert(offsetof(struct vmcb_save, cpl) == 0x0cb);
static_assert(offsetof(struct vmcb_save, efer) == 0x0d0);
static_assert(offsetof(struct vmcb_save, cr4) == 0x148);
static_assert(offsetof(struct vmcb_save, rsp) == 0x1d8);
static_assert(offsetof(struct vmcb_save, rax) == 0x1f8);
static_assert(offsetof(struct vmcb_save, cr2) == 0x240);
static_assert(offsetof(struct vmcb_save, g_pat) == 0x268);
static_assert(sizeof(struct vmcb) == 4096);

/* intercept_dr (VMCB 004h): reads and writes of DR0-DR7. */
#define SVM_INTERCEPT_DR0_7	0x00ff00ffU

/* intercept_misc1 (VMCB 00Ch). */
#define INTERCEPT1_INTR		(1U << 0)
#define INTERCEPT1_NMI		(1U << 1)
#define INTERCEPT1_SMI		(1U << 2)
#define INTERCEPT1_INIT		(1U << 3)
#define INTERCEPT1_VINTR	(1U << 4)
#define INTERCEPT1_RDPMC	(1U << 15)
#define INTERCEPT1_PUSHF	(1U << 16)
#define INTERCEPT1_POPF		(1U << 17)
#define INTERCEPT1_CPUID	(1U << 18)
#define INTERCEPT1_RSM		(1U << 19)
#define INTERCEPT1_IRET		(1U << 20)
#define INTERCEPT1_INTN		(1U << 21)
#define INTERCEPT1_INVD		(1U << 22)
#define INTERCEPT1_HLT		(1U << 24)
#define INTERCEPT1_INVLPGA	(1U << 26)
#define INTERCEPT1_IOIO_PROT	(1U << 27)
#define INTERCEPT1_MSR_PROT	(1U << 28)
#define INTERCEPT1_TASK_SWITCH	(1U << 29)
#define INTERCEPT1_FERR_FREEZE	(1U << 30)
#define INTERCEPT1_SHUTDOWN	(1U << 31)

/* intercept_misc2 (VMCB 010h). */
#define INTERCEPT2_VMRUN	(1U << 0)
#define INTERCEPT2_VMMCALL	(1U << 1)
#define INTERCEPT2_VMLOAD	(1U << 2)
#define INTERCEPT2_VMSAVE	(1U << 3)
#define INTERCEPT2_STGI		(1U << 4)
#define INTERCEPT2_CLGI		(1U << 5)
#define INTERCEPT2_SKINIT	(1U << 6)
#define INTERCEPT2_RDTSCP	(1U << 7)
#define INTERCEPT2_ICEBP	(1U << 8)
#define INTERCEPT2_WBINVD	(1U << 9)
#define INTERCEPT2_MONITOR	(1U << 10)
#define INTERCEPT2_MWAIT	(1U << 11)
#define INTERCEPT2_MWAIT_COND	(1U << 12)
#define INTERCEPT2_XSETBV	(1U << 13)
#define INTERCEPT2_RDPRU	(1U << 14)

/* int_ctl (VMCB 060h), APM 15.21. */
#define V_TPR_MASK		0x0fU
#define V_IRQ			(1U << 8)
#define V_INTR_PRIO_SHIFT	16
#define V_IGN_TPR		(1U << 20)
#define V_INTR_MASKING		(1U << 24)

/* tlb_control (VMCB 05Ch), APM 15.16.1. */
#define TLB_CONTROL_NONE	0
#define TLB_CONTROL_FLUSH_ALL	1

/*
 * VMCB clean bits (APM 15.15.3, Table 15-9): a set bit tells the CPU it
 * may keep its cached copy of that group of fields.  Software clears the
 * bit for every group it changed since this VMCB last ran on this CPU.
 */
#define VMCB_CLEAN_I		(1U << 0)	/* intercepts, TSC offset, pause */
#define VMCB_CLEAN_IOPM		(1U << 1)	/* IOPM/MSRPM base */
#define VMCB_CLEAN_ASID		(1U << 2)
#define VMCB_CLEAN_TPR		(1U << 3)	/* int_ctl, int_vector */
#define VMCB_CLEAN_NP		(1U << 4)	/* nested CR3, G_PAT */
#define VMCB_CLEAN_CRX		(1U << 5)	/* CR0, CR3, CR4, EFER */
#define VMCB_CLEAN_DRX		(1U << 6)	/* DR6, DR7 */
#define VMCB_CLEAN_DT		(1U << 7)	/* GDTR, IDTR */
#define VMCB_CLEAN_SEG		(1U << 8)	/* CS, DS, SS, ES, CPL */
#define VMCB_CLEAN_CR2		(1U << 9)
#define VMCB_CLEAN_LBR		(1U << 10)
#define VMCB_CLEAN_AVIC		(1U << 11)
#define VMCB_CLEAN_ALL		0xfffU

/* nested_ctl (VMCB 090h). */
#define NESTED_CTL_NP_ENABLE	(1ULL << 0)

/* event_inj / exit_int_info (APM 15.20 "Event Injection"). */
#define SVM_EVT_VECTOR_MASK	0xffULL
#define SVM_EVT_TYPE_SHIFT	8
#define SVM_EVT_TYPE_INTR	(0ULL << 8)
#define SVM_EVT_TYPE_NMI	(2ULL << 8)
#define SVM_EVT_TYPE_EXC	(3ULL << 8)
#define SVM_EVT_TYPE_SOFT	(4ULL << 8)
#define SVM_EVT_TYPE_MASK	(7ULL << 8)
#define SVM_EVT_ERR_VALID	(1ULL << 11)
#define SVM_EVT_VALID		(1ULL << 31)

/* Exit codes (Appendix C). */
#define SVM_EXIT_READ_DR0	0x020	/* 020h-02Fh: MOV from DR0-15 */
#define SVM_EXIT_WRITE_DR7	0x037	/* 030h-03Fh: MOV to DR0-15 */
#define SVM_EXIT_EXCP_BASE	0x040
#define SVM_EXIT_INTR		0x060
#define SVM_EXIT_NMI		0x061
#define SVM_EXIT_SMI		0x062
#define SVM_EXIT_INIT		0x063
#define SVM_EXIT_VINTR		0x064
#define SVM_EXIT_RDPMC		0x06f
#define SVM_EXIT_PUSHF		0x070
#define SVM_EXIT_POPF		0x071
#define SVM_EXIT_CPUID		0x072
#define SVM_EXIT_RSM		0x073
#define SVM_EXIT_IRET		0x074
#define SVM_EXIT_SWINT		0x075
#define SVM_EXIT_INVD		0x076
#define SVM_EXIT_HLT		0x078
#define SVM_EXIT_INVLPGA	0x07a
#define SVM_EXIT_IOIO		0x07b
#define SVM_EXIT_MSR		0x07c
#define SVM_EXIT_TASK_SWITCH	0x07d
#define SVM_EXIT_FERR_FREEZE	0x07e
#define SVM_EXIT_SHUTDOWN	0x07f
#define SVM_EXIT_VMRUN		0x080
#define SVM_EXIT_VMMCALL	0x081
#define SVM_EXIT_VMLOAD		0x082
#define SVM_EXIT_VMSAVE		0x083
#define SVM_EXIT_STGI		0x084
#define SVM_EXIT_CLGI		0x085
#define SVM_EXIT_SKINIT		0x086
#define SVM_EXIT_RDTSCP		0x087
#define SVM_EXIT_ICEBP		0x088
#define SVM_EXIT_WBINVD		0x089
#define SVM_EXIT_MONITOR	0x08a
#define SVM_EXIT_MWAIT		0x08b
#define SVM_EXIT_MWAIT_COND	0x08c
#define SVM_EXIT_XSETBV		0x08d
#define SVM_EXIT_RDPRU		0x08e
#define SVM_EXIT_NPF		0x400
#define SVM_EXIT_INVALID	((u64)-1)

/* IOIO EXITINFO1 (APM 15.10.2, Figure 15-2). */
#define IOIO_TYPE_IN		(1U << 0)
#define IOIO_STR		(1U << 2)
#define IOIO_REP		(1U << 3)
#define IOIO_SZ_SHIFT		4	/* bits 6:4: 1, 2 or 4 bytes, one-hot */
#define IOIO_PORT_SHIFT		16

/* NPF EXITINFO1 (APM 15.25.6): a page-fault error code. */
#define NPF_PRESENT		(1ULL << 0)
#define NPF_WRITE		(1ULL << 1)
#define NPF_FETCH		(1ULL << 4)

#endif
