/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * vmain.h - the ioctl ABI of /dev/vm-main.
 *
 * This header is a public API: third-party tools include it to drive the
 * vmain kernel module directly.  It follows the discipline of the kernel's
 * own uapi headers (<linux/kvm.h> in particular):
 *
 *  - only fixed-width types (__u8 .. __u64), explicit padding, no pointers,
 *    no enums and no bit-fields in structures;
 *  - every structure carries a `flags` word and a reserved tail that must be
 *    zero; the module rejects non-zero flags it does not know and non-zero
 *    reserved/pad fields with EINVAL, so they can be given meaning later;
 *  - sizes are asserted at compile time; an ioctl number, once published,
 *    is never reused or changed.  Growth happens through new ioctls and
 *    capabilities (VMAIN_CHECK_CAP), never by editing a published struct;
 *  - VMAIN_API_VERSION is frozen at 1.
 *
 * docs/abi.md documents every ioctl, structure, flag and errno.
 */
#ifndef _UAPI_LINUX_VMAIN_H
#define _UAPI_LINUX_VMAIN_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define VMAIN_API_VERSION	1

/* The device node the module creates (misc device, dynamic minor). */
#define VMAIN_DEVICE_PATH	"/dev/vm-main"

/*
 * The ioctl magic.  0xE7 is listed for no driver in the kernel's
 * Documentation/userspace-api/ioctl/ioctl-number.rst and used by no
 * _IO/_IOR/_IOW/_IOWR definition in the kernel's uapi headers
 * (tests/abi/magic-unique.sh checks the installed headers).
 */
#define VMAIN_IO		0xE7

/* ------------------------------------------------------------------ */
/* Capabilities (VMAIN_CHECK_CAP).  Unknown capabilities answer 0.     */
/* ------------------------------------------------------------------ */

/* 1: open(O_EXCL) makes the caller the only user of /dev/vm-main. */
#define VMAIN_CAP_EXCLUSIVE_OPEN	1
/* 1: VMs are claimed by UUID, one live VM per UUID system-wide. */
#define VMAIN_CAP_VM_UUID		2
/*
 * A bit mask of VMAIN_HW_* describing the virtualization hardware of this
 * host as the module sees it (0: none usable).  It says what the CPU has,
 * not whether another hypervisor currently owns it.
 */
#define VMAIN_CAP_HW			3
/* The largest number of VMs that may exist at once. */
#define VMAIN_CAP_MAX_VMS		4
/* The largest number of vCPUs per VM (vCPU ids are 0 .. value-1). */
#define VMAIN_CAP_MAX_VCPUS		5
/* The number of memory slots per VM (slot numbers are 0 .. value-1). */
#define VMAIN_CAP_MAX_MEM_SLOTS		6
/* Guest-physical addresses are below 2^value. */
#define VMAIN_CAP_GUEST_PHYS_BITS	7
/* 1: VMAIN_MEM_READONLY slots (guest writes exit as MMIO writes). */
#define VMAIN_CAP_READONLY_MEM		8
/* 1: VMAIN_MEM_LOG_DIRTY and VMAIN_VM_GET_DIRTY_LOG. */
#define VMAIN_CAP_DIRTY_LOG		9
/*
 * 1: VMAIN_VCPU_INTERRUPT and VMAIN_VCPU_SET_EVENTS take external
 * interrupts on every vector, 0-255 (a BIOS's 8259 at 08h-0Fh); modules
 * without it take 16-255 only.
 */
#define VMAIN_CAP_LOW_VECTORS		10

#define VMAIN_HW_SVM		(1U << 0)	/* AMD-V (SVM) */
#define VMAIN_HW_NPT		(1U << 1)	/* AMD nested paging */
#define VMAIN_HW_VMX		(1U << 2)	/* Intel VT-x (VMX) */
#define VMAIN_HW_EPT		(1U << 3)	/* Intel extended page tables */
#define VMAIN_HW_UNRESTRICTED	(1U << 4)	/* VMX unrestricted guest */
#define VMAIN_HW_VPID		(1U << 5)	/* VMX virtual-processor IDs */
#define VMAIN_HW_NRIPS		(1U << 6)	/* SVM next-RIP save */
#define VMAIN_HW_VMCB_CLEAN	(1U << 7)	/* SVM VMCB clean bits */
#define VMAIN_HW_DECODE_ASSISTS	(1U << 8)	/* SVM decode assists */

/* ------------------------------------------------------------------ */
/* Structures                                                          */
/* ------------------------------------------------------------------ */

/* VMAIN_CREATE_VM: no flags are defined in API version 1. */
#define VMAIN_CREATE_VM_VALID_FLAGS	0U

struct vmain_create_vm {
	__u8  uuid[16];		/*  0: identity of the VM; must not be all zero */
	__u32 flags;		/* 16: VMAIN_CREATE_VM_* flags, none defined yet */
	__u32 pad;		/* 20: must be 0 */
	__u64 reserved[5];	/* 24: must be 0 */
};				/* 64 bytes */

/* VMAIN_VM_GET_INFO: filled in by the module. */
struct vmain_vm_info {
	__u8  uuid[16];		/*  0: the UUID the VM was created with */
	__u32 flags;		/* 16: the flags it was created with */
	__u32 owner_pid;	/* 20: thread-group id of the owning process,
				 *     as seen from the caller's pid namespace */
	__u32 hw;		/* 24: VMAIN_HW_* engine this VM runs on */
	__u32 pad;		/* 28: 0 */
	/*
	 * Nested paging counters (read-only, for tests and tuning): table
	 * pages held now, faults on RAM so far, 2 MiB and 1 GiB leaves held
	 * now.  Zero from a module older than these fields: npt_giant_leaves
	 * was the always-zero `reserved` word of modules without 1 GiB leaves.
	 */
	__u64 npt_table_pages;	/* 32 */
	__u64 npt_faults;	/* 40 */
	__u64 npt_huge_leaves;	/* 48 */
	__u64 npt_giant_leaves;	/* 56 */
};				/* 64 bytes */

/*
 * VMAIN_VM_SET_MEMORY_REGION: backs guest-physical memory with the caller's
 * own memory (anonymous or memfd mappings).  The module maps it into the
 * nested page tables (NPT/EPT) on demand and follows changes to the
 * caller's mappings through MMU notifiers: a page the process unmaps or
 * replaces is unmapped from the guest first, so the guest can never reach a
 * freed or foreign page.  Nothing is pinned long-term.
 */
#define VMAIN_MEM_READONLY	(1U << 0)	/* guest writes exit as MMIO */
#define VMAIN_MEM_LOG_DIRTY	(1U << 1)	/* track guest writes per page */
#define VMAIN_MEM_VALID_FLAGS	(VMAIN_MEM_READONLY | VMAIN_MEM_LOG_DIRTY)

struct vmain_memory_region {
	__u32 slot;		/*  0: 0 .. VMAIN_CAP_MAX_MEM_SLOTS-1 */
	__u32 flags;		/*  4: VMAIN_MEM_* */
	__u64 guest_phys_addr;	/*  8: page aligned */
	__u64 size;		/* 16: page multiple; 0 deletes the slot */
	__u64 userspace_addr;	/* 24: page aligned, in the caller's memory */
	__u64 reserved[4];	/* 32: must be 0 */
};				/* 64 bytes */

/* VMAIN_VM_GET_DIRTY_LOG: one bit per page of the slot, then cleared. */
struct vmain_dirty_log {
	__u32 slot;		/*  0 */
	__u32 flags;		/*  4: must be 0 */
	__u64 bitmap;		/*  8: user address of ceil(pages / 64) __u64 */
	__u64 reserved[2];	/* 16: must be 0 */
};				/* 32 bytes */

/* VMAIN_VCPU_GET_REGS / SET_REGS: general registers, in encoding order. */
struct vmain_regs {
	__u64 rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi;	/*   0 */
	__u64 r8, r9, r10, r11, r12, r13, r14, r15;	/*  64 */
	__u64 rip;		/* 128 */
	__u64 rflags;		/* 136: bit 1 always reads as 1 */
	__u32 flags;		/* 144: must be 0 */
	__u32 pad;		/* 148: must be 0 */
	__u64 reserved[5];	/* 152: must be 0 */
};				/* 192 bytes */

/* A segment register with its hidden part (SDM Vol. 3A 3.4.5). */
struct vmain_segment {
	__u64 base;		/*  0 */
	__u32 limit;		/*  8: byte granular (G already applied) */
	__u16 selector;		/* 12 */
	__u8  type;		/* 14: descriptor type, 4 bits */
	__u8  present;		/* 15 */
	__u8  dpl;		/* 16 */
	__u8  db;		/* 17: default operation size */
	__u8  s;		/* 18: 1 = code/data, 0 = system */
	__u8  l;		/* 19: 64-bit code */
	__u8  g;		/* 20: granularity */
	__u8  avl;		/* 21 */
	__u8  unusable;		/* 22: a null selector was loaded */
	__u8  pad;		/* 23: must be 0 */
};				/* 24 bytes */

/* GDTR / IDTR. */
struct vmain_dtable {
	__u64 base;		/*  0 */
	__u16 limit;		/*  8 */
	__u16 pad[3];		/* 10: must be 0 */
};				/* 16 bytes */

/* VMAIN_VCPU_GET_SREGS / SET_SREGS: system registers. */
struct vmain_sregs {
	struct vmain_segment cs, ds, es, fs, gs, ss;	/*   0 */
	struct vmain_segment tr, ldt;			/* 144 */
	struct vmain_dtable gdt, idt;			/* 192 */
	__u64 cr0, cr2, cr3, cr4;			/* 224 */
	__u64 cr8;		/* 256: the task-priority register */
	__u64 efer;		/* 264: as the guest sees it */
	__u64 apic_base;	/* 272: IA32_APIC_BASE, kept for userspace */
	__u32 flags;		/* 280: must be 0 */
	__u32 pad;		/* 284: must be 0 */
	__u64 reserved[6];	/* 288: must be 0 */
};				/* 336 bytes */

/*
 * VMAIN_VCPU_GET_FPU / SET_FPU: x87/SSE/AVX state in the XSAVE standard
 * format (SDM Vol. 1 13.4: legacy region, XSAVE header, components), and
 * the guest's XCR0.  SET_FPU rejects an image with components outside the
 * host's supported set or reserved header bits set (EINVAL).
 */
struct vmain_fpu {
	__u64 xcr0;		/*   0: the guest's XCR0 */
	__u32 flags;		/*   8: must be 0 */
	__u32 pad;		/*  12: must be 0 */
	__u64 reserved[6];	/*  16: must be 0 */
	__u32 xsave[1024];	/*  64: XSAVE standard-format image */
};				/* 4160 bytes */

/* VMAIN_VCPU_GET_MSRS / SET_MSRS. */
struct vmain_msr_entry {
	__u32 index;		/*  0 */
	__u32 reserved;		/*  4: must be 0 */
	__u64 data;		/*  8 */
};				/* 16 bytes */

#define VMAIN_MAX_MSR_ENTRIES	256

struct vmain_msrs {
	__u32 nmsrs;		/*  0: 1 .. VMAIN_MAX_MSR_ENTRIES */
	__u32 flags;		/*  4: must be 0 */
	__u64 entries;		/*  8: user address of nmsrs vmain_msr_entry */
	__u64 reserved[2];	/* 16: must be 0 */
};				/* 32 bytes */

/* VMAIN_VCPU_SET_CPUID / GET_CPUID: the CPUID table the guest sees. */
#define VMAIN_CPUID_INDEXED	(1U << 0)	/* ECX (index) selects the entry */

struct vmain_cpuid_entry {
	__u32 function;		/*  0: EAX input */
	__u32 index;		/*  4: ECX input, if VMAIN_CPUID_INDEXED */
	__u32 flags;		/*  8: VMAIN_CPUID_* */
	__u32 eax, ebx, ecx, edx;	/* 12 */
	__u32 reserved[3];	/* 28: must be 0 */
};				/* 40 bytes */

#define VMAIN_MAX_CPUID_ENTRIES	256

struct vmain_cpuid {
	__u32 nent;		/*  0: 0 .. VMAIN_MAX_CPUID_ENTRIES */
	__u32 flags;		/*  4: must be 0 */
	__u64 entries;		/*  8: user address of nent vmain_cpuid_entry */
	__u64 reserved[2];	/* 16: must be 0 */
};				/* 32 bytes */

/*
 * VMAIN_VCPU_GET_EVENTS / SET_EVENTS: events pending delivery to the guest
 * and the blocking state, for save/restore and for userspace exception
 * injection.
 */
struct vmain_events {
	__u8  exception_pending;	/*  0 */
	__u8  exception_vector;		/*  1: 0-31 */
	__u8  exception_has_error;	/*  2 */
	__u8  pad0;			/*  3: must be 0 */
	__u32 exception_error_code;	/*  4 */
	__u8  interrupt_pending;	/*  8: external interrupt queued */
	__u8  interrupt_vector;		/*  9: 16-255 */
	__u8  nmi_pending;		/* 10 */
	__u8  nmi_masked;		/* 11: the guest is handling an NMI */
	__u8  interrupt_shadow;		/* 12: after STI / MOV SS */
	__u8  pad1[3];			/* 13: must be 0 */
	__u32 flags;			/* 16: must be 0 */
	__u32 pad2;			/* 20: must be 0 */
	__u64 reserved[5];		/* 24: must be 0 */
};					/* 64 bytes */

/* VMAIN_VCPU_INTERRUPT: queue an external interrupt. */
struct vmain_interrupt {
	__u32 vector;		/*  0: 16-255 */
	__u32 flags;		/*  4: must be 0 */
	__u64 reserved;		/*  8: must be 0 */
};				/* 16 bytes */

/*
 * Exit reasons (vmain_run.exit_reason).  Numbers are ABI: new reasons get
 * new numbers.
 */
#define VMAIN_EXIT_NONE			0	/* RUN has not returned yet */
#define VMAIN_EXIT_IO			1	/* port I/O: exit.io */
#define VMAIN_EXIT_MMIO			2	/* MMIO: exit.mmio */
#define VMAIN_EXIT_HLT			3	/* HLT and nothing to deliver */
#define VMAIN_EXIT_SHUTDOWN		4	/* triple fault; reset the vCPU */
#define VMAIN_EXIT_IRQ_WINDOW		5	/* the guest can take an interrupt */
#define VMAIN_EXIT_FAIL_ENTRY		6	/* the CPU refused the state: exit.fail_entry */
#define VMAIN_EXIT_INTERNAL_ERROR	7	/* exit.internal */
#define VMAIN_EXIT_MSR			8	/* an MSR for userspace: exit.msr */
#define VMAIN_EXIT_KICK			9	/* VMAIN_VCPU_KICK */
#define VMAIN_EXIT_INTR			10	/* a signal: RUN also fails with EINTR */

/* exit.io.direction */
#define VMAIN_IO_IN		0
#define VMAIN_IO_OUT		1

/* exit.internal.suberror */
#define VMAIN_INTERNAL_UNHANDLED_EXIT	1	/* data[0]: hardware exit code */
#define VMAIN_INTERNAL_EMULATION	2	/* data[0]: rip, data[1]: bytes 0-7 */
#define VMAIN_INTERNAL_FETCH_NON_RAM	3	/* data[0]: guest-physical address */
#define VMAIN_INTERNAL_MEMORY_FAULT	4	/* data[0]: gpa, data[1]: hva, data[2]: errno */

/* Offset of string I/O data in the vCPU mapping (page 1). */
#define VMAIN_RUN_IO_DATA_OFFSET	4096

/*
 * The vCPU's run structure: page 0 of the vCPU fd's mapping (mmap with
 * offset 0 and VMAIN_GET_VCPU_MMAP_SIZE bytes).  Reading an exit costs no
 * system call and no copy.
 */
struct vmain_run_io {
	__u8  direction;	/* VMAIN_IO_IN / VMAIN_IO_OUT */
	__u8  size;		/* 1, 2 or 4 */
	__u16 port;
	__u32 count;		/* > 1 for string I/O (INS/OUTS) */
	__u64 data_offset;	/* data (size * count bytes) at run + offset */
};

struct vmain_run_mmio {
	__u64 phys_addr;
	__u8  data[8];		/* write: the value; read: fill it in */
	__u32 len;		/* 1, 2, 4 or 8 */
	__u8  is_write;
	__u8  pad[3];
};

struct vmain_run_fail_entry {
	__u64 hardware_reason;	/* SVM exit code / VMX VM-instruction error */
	__u32 cpu;		/* host CPU that refused the entry */
	__u32 pad;
};

struct vmain_run_internal {
	__u32 suberror;		/* VMAIN_INTERNAL_* */
	__u32 ndata;
	__u64 data[16];
};

struct vmain_run_msr {
	__u32 index;
	__u8  is_write;
	__u8  error;		/* set by userspace: inject #GP */
	__u16 pad;
	__u64 data;		/* write: the value; read: fill it in */
};

struct vmain_run {
	/* Set by userspace before RUN. */
	__u8  request_interrupt_window;	/*  0: exit when interrupts open */
	__u8  immediate_exit;		/*  1: RUN fails with EINTR at once */
	__u8  pad0[6];			/*  2 */
	/* Set by the module when RUN returns. */
	__u32 exit_reason;		/*  8: VMAIN_EXIT_* */
	__u8  ready_for_interrupt_injection;	/* 12 */
	__u8  if_flag;			/* 13: the guest's RFLAGS.IF */
	__u8  pad1[2];			/* 14 */
	__u64 cr8;			/* 16: the guest's TPR */
	__u64 exits_in_kernel;		/* 24: exits handled without returning */
	__u64 reserved[4];		/* 32 */
	union {				/* 64 */
		struct vmain_run_io io;
		struct vmain_run_mmio mmio;
		struct vmain_run_fail_entry fail_entry;
		struct vmain_run_internal internal;
		struct vmain_run_msr msr;
		__u8 padding[256];
	} exit;
};					/* 320 bytes */

/*
 * Compile-time size checks in every language the header is used from:
 * C11 and later, C++11 and later, and a negative-size array for C99/C89.
 */
#if defined(__cplusplus) && __cplusplus >= 201103L
#define VMAIN_ABI_CHECK(name, cond) static_assert(cond, #name)
#elif defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
#define VMAIN_ABI_CHECK(name, cond) _Static_assert(cond, #name)
#else
#define VMAIN_ABI_CHECK(name, cond) \
	typedef char vmain_abi_check_##name[(cond) ? 1 : -1]
#endif
VMAIN_ABI_CHECK(create_vm_is_64_bytes, sizeof(struct vmain_create_vm) == 64);
VMAIN_ABI_CHECK(vm_info_is_64_bytes, sizeof(struct vmain_vm_info) == 64);
VMAIN_ABI_CHECK(memory_region_is_64_bytes, sizeof(struct vmain_memory_region) == 64);
VMAIN_ABI_CHECK(dirty_log_is_32_bytes, sizeof(struct vmain_dirty_log) == 32);
VMAIN_ABI_CHECK(regs_is_192_bytes, sizeof(struct vmain_regs) == 192);
VMAIN_ABI_CHECK(segment_is_24_bytes, sizeof(struct vmain_segment) == 24);
VMAIN_ABI_CHECK(dtable_is_16_bytes, sizeof(struct vmain_dtable) == 16);
VMAIN_ABI_CHECK(sregs_is_336_bytes, sizeof(struct vmain_sregs) == 336);
VMAIN_ABI_CHECK(fpu_is_4160_bytes, sizeof(struct vmain_fpu) == 4160);
VMAIN_ABI_CHECK(msr_entry_is_16_bytes, sizeof(struct vmain_msr_entry) == 16);
VMAIN_ABI_CHECK(msrs_is_32_bytes, sizeof(struct vmain_msrs) == 32);
VMAIN_ABI_CHECK(cpuid_entry_is_40_bytes, sizeof(struct vmain_cpuid_entry) == 40);
VMAIN_ABI_CHECK(cpuid_is_32_bytes, sizeof(struct vmain_cpuid) == 32);
VMAIN_ABI_CHECK(events_is_64_bytes, sizeof(struct vmain_events) == 64);
VMAIN_ABI_CHECK(interrupt_is_16_bytes, sizeof(struct vmain_interrupt) == 16);
VMAIN_ABI_CHECK(run_is_320_bytes, sizeof(struct vmain_run) == 320);
#undef VMAIN_ABI_CHECK

/* ------------------------------------------------------------------ */
/* ioctls on /dev/vm-main (numbers 0x00-0x1f)                          */
/* ------------------------------------------------------------------ */

/* arg must be 0.  Returns VMAIN_API_VERSION. */
#define VMAIN_GET_API_VERSION	_IO(VMAIN_IO, 0x00)
/* arg is a VMAIN_CAP_* number.  Returns its value, 0 when unknown. */
#define VMAIN_CHECK_CAP		_IO(VMAIN_IO, 0x01)
/* arg points to struct vmain_create_vm.  Returns a new VM fd (O_CLOEXEC). */
#define VMAIN_CREATE_VM		_IOW(VMAIN_IO, 0x02, struct vmain_create_vm)
/* arg must be 0.  Returns the size of a vCPU fd's mapping (two pages). */
#define VMAIN_GET_VCPU_MMAP_SIZE	_IO(VMAIN_IO, 0x03)

/* ------------------------------------------------------------------ */
/* ioctls on a VM fd (numbers 0x20-0x5f)                               */
/* ------------------------------------------------------------------ */

/* VMAIN_CHECK_CAP is accepted on a VM fd too, with the same meaning. */
/* arg points to struct vmain_vm_info, which the module fills.  Returns 0. */
#define VMAIN_VM_GET_INFO	_IOR(VMAIN_IO, 0x20, struct vmain_vm_info)
/* Adds, changes the flags of, or (size 0) deletes a memory slot. */
#define VMAIN_VM_SET_MEMORY_REGION _IOW(VMAIN_IO, 0x21, struct vmain_memory_region)
/* Copies out and clears the dirty bitmap of a VMAIN_MEM_LOG_DIRTY slot. */
#define VMAIN_VM_GET_DIRTY_LOG	_IOW(VMAIN_IO, 0x22, struct vmain_dirty_log)
/* arg is the vCPU id.  Returns a new vCPU fd (O_CLOEXEC). */
#define VMAIN_VM_CREATE_VCPU	_IO(VMAIN_IO, 0x23)

/* ------------------------------------------------------------------ */
/* ioctls on a vCPU fd (numbers 0x60-0x9f)                             */
/* ------------------------------------------------------------------ */

/* arg must be 0.  Runs the guest until an exit for userspace. */
#define VMAIN_VCPU_RUN		_IO(VMAIN_IO, 0x60)
#define VMAIN_VCPU_GET_REGS	_IOR(VMAIN_IO, 0x61, struct vmain_regs)
#define VMAIN_VCPU_SET_REGS	_IOW(VMAIN_IO, 0x62, struct vmain_regs)
#define VMAIN_VCPU_GET_SREGS	_IOR(VMAIN_IO, 0x63, struct vmain_sregs)
#define VMAIN_VCPU_SET_SREGS	_IOW(VMAIN_IO, 0x64, struct vmain_sregs)
#define VMAIN_VCPU_GET_FPU	_IOR(VMAIN_IO, 0x65, struct vmain_fpu)
#define VMAIN_VCPU_SET_FPU	_IOW(VMAIN_IO, 0x66, struct vmain_fpu)
/* Return the number of entries done; stop at the first unknown MSR. */
#define VMAIN_VCPU_GET_MSRS	_IOWR(VMAIN_IO, 0x67, struct vmain_msrs)
#define VMAIN_VCPU_SET_MSRS	_IOW(VMAIN_IO, 0x68, struct vmain_msrs)
#define VMAIN_VCPU_SET_CPUID	_IOW(VMAIN_IO, 0x69, struct vmain_cpuid)
/* nent in: room; out: the table's size.  E2BIG if the room is short. */
#define VMAIN_VCPU_GET_CPUID	_IOWR(VMAIN_IO, 0x6a, struct vmain_cpuid)
#define VMAIN_VCPU_GET_EVENTS	_IOR(VMAIN_IO, 0x6b, struct vmain_events)
#define VMAIN_VCPU_SET_EVENTS	_IOW(VMAIN_IO, 0x6c, struct vmain_events)
/* Queues an external interrupt; EBUSY while one is still queued. */
#define VMAIN_VCPU_INTERRUPT	_IOW(VMAIN_IO, 0x6d, struct vmain_interrupt)
/* arg must be 0.  Queues an NMI. */
#define VMAIN_VCPU_NMI		_IO(VMAIN_IO, 0x6e)
/*
 * arg must be 0.  From any thread of the owning process: the vCPU leaves
 * guest mode and RUN returns VMAIN_EXIT_KICK; a kick that finds no RUN in
 * progress makes the next RUN return at once, so none is lost.
 */
#define VMAIN_VCPU_KICK		_IO(VMAIN_IO, 0x6f)

#endif /* _UAPI_LINUX_VMAIN_H */
