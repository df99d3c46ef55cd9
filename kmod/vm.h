/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vm.h - the VM, its memory slots, its nested-paging MMU and its vCPUs, as
 * the engine-neutral part of the module sees them, and the interface an
 * engine (kmod/svm/, kmod/vmx/) implements.
 */
#ifndef VMAIN_KMOD_VM_H
#define VMAIN_KMOD_VM_H

#include <linux/list.h>
#include <linux/mmu_notifier.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/srcu.h>
#include <linux/types.h>
#include <asm/fpu/api.h>
#include <asm/trapnr.h>

#include "vmain.h"

#define VMAIN_MAX_VCPUS		64
#define VMAIN_MAX_MEM_SLOTS	32
/* Nested paging is 4-level (NPT and EPT alike): 48-bit guest-physical. */
#define VMAIN_GUEST_PHYS_BITS	48

struct vmain_vcpu;

/* One guest-physical range backed by the owner's memory. */
struct vmain_memslot {
	u32 id;
	u32 flags;			/* VMAIN_MEM_* */
	u64 base_gfn;
	u64 npages;
	unsigned long uaddr;
	unsigned long *dirty_bitmap;	/* VMAIN_MEM_LOG_DIRTY only */
};

/*
 * The slot table is copied on write: readers (vCPU faults) hold vm->srcu,
 * the MMU notifier and the fault's final check hold mmu.lock; writers
 * hold vm->lock and publish under mmu.lock.
 */
struct vmain_memslots {
	unsigned int count;
	struct vmain_memslot *slot[VMAIN_MAX_MEM_SLOTS];	/* by id */
};

/* How an engine encodes nested page-table entries (NPT or EPT). */
struct vmain_pte_format {
	u64 table;		/* bits of a non-leaf entry */
	u64 leaf_read;		/* bits of a readable leaf (incl. present) */
	u64 leaf_write;		/* added for a writable leaf */
	u64 leaf_exec;		/* added for an executable leaf */
	u64 leaf_memtype;	/* memory-type bits of every leaf (EPT) */
};

struct vmain_mmu {
	spinlock_t lock;		/* page tables, seq, in_progress */
	u64 *root;			/* PML4 (virtual address) */
	unsigned long root_pa;
	const struct vmain_pte_format *fmt;
	unsigned long seq;		/* bumped by every invalidation */
	unsigned int in_progress;	/* open invalidate_range_start()s */
	struct mmu_notifier notifier;
	bool notifier_registered;
	unsigned long table_pages;	/* accounting, for the leak tests */
	unsigned long huge_leaves;	/* 2 MiB leaves now installed */
	unsigned long giant_leaves;	/* 1 GiB leaves now installed */
	atomic64_t faults;		/* nested page faults on RAM */
};

struct vmain_vm {
	struct list_head node;		/* in vm_list, under vm_lock */
	u8 uuid[16];
	u32 flags;
	u32 hw;				/* VMAIN_HW_* of the engine */
	struct mm_struct *mm;		/* owner's address space (mmgrab) */
	struct pid *owner;		/* owner's thread-group id (get_pid) */
	struct file *devfile;		/* /dev/vm-main file it came from */

	struct mutex lock;		/* slots updates, vCPU creation */
	struct vmain_memslots __rcu *slots;
	struct srcu_struct srcu;
	struct vmain_mmu mmu;
	struct vmain_vcpu *vcpus[VMAIN_MAX_VCPUS];	/* under lock */
	unsigned int nr_vcpus;
};

/* Requests to a vCPU, set from other threads (bit numbers). */
#define VCPU_REQ_TLB_FLUSH	0
#define VCPU_REQ_KICK		1

/* vcpu->mode: whether the vCPU may be in guest mode on some CPU. */
#define VCPU_OUTSIDE_GUEST	0
#define VCPU_IN_GUEST		1

/* A userspace exit whose instruction the next RUN must complete. */
enum vmain_pending_exit {
	PENDING_NONE,
	PENDING_IO_IN,		/* copy run data into RAX / memory */
	PENDING_IO_STRING,	/* a string I/O chunk to finish */
	PENDING_MMIO_READ,	/* load run->exit.mmio.data into a register */
	PENDING_MMIO_INSN,	/* emulate/: re-run pending_insn with the read data */
	PENDING_MSR_READ,	/* RDMSR result from userspace */
	PENDING_MSR_WRITE,	/* WRMSR accepted or refused by userspace */
};

struct vmain_vcpu {
	struct vmain_vm *vm;
	u32 id;
	u64 serial;			/* never reused: IBPB (mitigate.c) */
	struct vmain_run *run;		/* page 0 of the mapping */
	void *io_data;			/* page 1 of the mapping */
	struct file *vmfile;		/* keeps the VM alive */
	struct mutex mutex;		/* serializes the vCPU's ioctls */

	unsigned long requests;		/* VCPU_REQ_* */
	int mode;			/* VCPU_* mode, read by flushers */
	int cpu;			/* where it last ran, -1 if never */

	/* Events to deliver (vmain_events). */
	bool exc_pending, exc_has_error;
	u8 exc_vector;
	u32 exc_error;
	bool irq_pending;
	u8 irq_vector;
	bool nmi_pending, nmi_masked;

	/* The instruction behind the last userspace exit. */
	bool check_state;		/* userspace set registers: check them */
	enum vmain_pending_exit pending;
	u8 pending_reg;			/* destination register (MMIO read) */
	u8 pending_size;		/* operand (destination) size */
	u8 pending_mem_size;		/* MMIO read: bytes loaded */
	bool pending_sign_extend;
	bool pending_high8;		/* AH..BH */
	u64 pending_next_rip;
	u32 pending_count;		/* string I/O iterations in this chunk */
	u8 pending_addr_size;		/* string I/O address size */
	bool pending_rep;		/* string I/O with REP */
	/* PENDING_MMIO_INSN: the instruction's bytes (decoded again) and RIP. */
	u8 pending_insn[15];
	u8 pending_insn_len;
	u64 pending_rip;

	/* CPUID table (SET_CPUID). */
	u32 cpuid_nent;
	struct vmain_cpuid_entry *cpuid;

	/* MSRs kept by the neutral layer. */
	u64 apic_base, misc_enable, tsc_aux, mtrr_def_type, hwcr;
	u64 xcr0;			/* guest XCR0 */
	/*
	 * Speculation control (spec.c): the guest's SPEC_CTRL, the bits of
	 * it its CPUID offers (and the host has), whether PRED_CMD and
	 * ARCH_CAPABILITIES exist for it.  Set by SET_CPUID.
	 */
	u64 spec_ctrl, spec_ctrl_offered;
	bool pred_cmd_offered, arch_caps_offered;

	/*
	 * Guest state no world switch carries (switch.c): DR0-3 (and DR6 on
	 * VT-x, where the VMCS has no field for it), while the guest does not
	 * own them; db_owned: its MOV DR no longer exits and the registers
	 * hold its values until the next exit.  PKRU, which the FPU swap
	 * leaves alone (the kernel keeps PKRU outside the restored state).
	 */
	u64 db[4];
	u64 dr6;
	bool db_owned;
	u32 pkru;

	struct fpu_guest guest_fpu;

	void *engine;			/* struct svm_vcpu / struct vmx_vcpu */
};

/*
 * The general registers as the neutral layer sees them (encoding order,
 * so a ModRM register number indexes it), plus RIP and RFLAGS.
 */
struct vmain_gprs {
	u64 r[16];
	u64 rip;
	u64 rflags;
};

/*
 * An engine.  run() enters the guest once and handles the exit:
 *   > 0  resume the guest (the exit was handled in the kernel),
 *   0    return to userspace (run->exit_reason and data are filled in),
 *   < 0  return this errno to userspace.
 */
struct vmain_engine_ops {
	const char *name;
	const struct vmain_pte_format *pte_format;
	int (*init)(void);		/* at module load: global areas */
	void (*exit)(void);
	int (*enable_cpu)(void);	/* on the CPU itself, IRQs off */
	void (*disable_cpu)(void);
	int (*vcpu_create)(struct vmain_vcpu *vcpu);
	void (*vcpu_free)(struct vmain_vcpu *vcpu);
	int (*run)(struct vmain_vcpu *vcpu);
	void (*get_gprs)(struct vmain_vcpu *vcpu, struct vmain_gprs *gprs);
	void (*set_gprs)(struct vmain_vcpu *vcpu, const struct vmain_gprs *gprs);
	void (*get_sregs)(struct vmain_vcpu *vcpu, struct vmain_sregs *sregs);
	int (*set_sregs)(struct vmain_vcpu *vcpu, const struct vmain_sregs *sregs);
	/* MSRs the engine keeps in hardware state; -ENOENT if not its own. */
	int (*get_msr)(struct vmain_vcpu *vcpu, u32 index, u64 *data);
	int (*set_msr)(struct vmain_vcpu *vcpu, u32 index, u64 data);
	void (*get_shadow)(struct vmain_vcpu *vcpu, bool *shadow);
	void (*set_shadow)(struct vmain_vcpu *vcpu, bool shadow);
};

/* vm.c */
struct vmain_vm *vmain_vm_from_file(struct file *file);

/* memslot.c */
long vmain_memslot_set(struct vmain_vm *vm, void __user *uarg);
long vmain_memslot_get_dirty_log(struct vmain_vm *vm, void __user *uarg);
struct vmain_memslot *vmain_memslot_find(struct vmain_memslots *slots, u64 gfn);
void vmain_memslots_free(struct vmain_memslots *slots);

/* mmu.c */
/* Set by an engine whose nested page tables cannot map 2 MiB (1 GiB) pages. */
extern bool vmain_mmu_no_2m;
extern bool vmain_mmu_no_1g;
int vmain_mmu_init(struct vmain_vm *vm);
void vmain_mmu_destroy(struct vmain_vm *vm);
/*
 * Maps gpa for a fault; 0, 1 if it is not RAM (MMIO), or -errno.  *hva is
 * set to the owner's address behind gpa when there is one.
 */
int vmain_mmu_fault(struct vmain_vcpu *vcpu, u64 gpa, bool write,
		    unsigned long *hva);
/* Under mmu.lock: unmaps [gfn, gfn + npages); returns whether any was. */
bool vmain_mmu_zap(struct vmain_vm *vm, u64 gfn, u64 npages, bool write_only);
void vmain_mmu_flush_remote(struct vmain_vm *vm);
/* Copies guest memory at gpa (RAM only); -EFAULT if not RAM. */
int vmain_guest_read(struct vmain_vm *vm, u64 gpa, void *buf, size_t len);
int vmain_guest_write(struct vmain_vm *vm, u64 gpa, const void *buf, size_t len);
int vmain_guest_set_pte_bits(struct vmain_vm *vm, u64 gpa, u64 old, u64 bits,
			     bool wide);

/* vcpu.c */
long vmain_vcpu_create(struct vmain_vm *vm, struct file *vmfile, unsigned long id);
void vmain_vcpu_kick_all(struct vmain_vm *vm, int request);

/* hw.c */
const struct vmain_engine_ops *vmain_engine(void);

#endif
