/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hv/hv.h - the monitor's hypervisor backends, behind one small interface.
 *
 * Two backends: vmain.ko (/dev/vm-main) and KVM (/dev/kvm), for hosts
 * where the module cannot load or the hardware is KVM's.  Device models
 * never see which one runs: an exit is a struct hv_exit whose data
 * pointers point straight into the backend's mapped run structure, so a
 * device writes an IN or MMIO-read result in place, with no copy, and the
 * next hv_vcpu_run() completes the instruction.
 *
 * The register formats are vmain's ABI structs (struct vmain_regs,
 * struct vmain_sregs): the KVM backend converts.
 */
#ifndef VMAIN_MONITOR_HV_H
#define VMAIN_MONITOR_HV_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "vmain.h"

enum hv_accel { HV_ACCEL_AUTO, HV_ACCEL_VMAIN, HV_ACCEL_KVM };

struct hv_backend;

struct hv_vm {
	const struct hv_backend *backend;
	int sysfd;		/* /dev/vm-main or /dev/kvm */
	int vmfd;
	long run_size;		/* mmap size of a vCPU's run structure */
	/*
	 * KVM with KVM_CAP_SPLIT_IRQCHIP: the local APICs (timers, IPIs,
	 * INIT/SIPI, HLT, EOI) live in the kernel, the I/O APIC and the
	 * 8259s stay in the monitor; interrupt messages go in through
	 * signal_msi(), the 8259s' ExtINT through interrupt().  False: the
	 * monitor's own APIC model (devices/lapic.c) serves the guest.
	 */
	bool lapic_in_kernel;
	const char *irq_path;	/* how interrupts reach the guest, for --stats */
	void *priv;		/* the backend's own (KVM: routes, irqfds) */
};

struct hv_vcpu {
	struct hv_vm *vm;
	unsigned int id;
	int fd;
	void *run;		/* the backend's mapped run structure */
	pthread_t thread;	/* the thread that runs it (for kicks) */
	bool has_thread;
};

/*
 * Split irqchip only: the guest's EOI of a vector the I/O APIC routes
 * level-triggered (KVM_EXIT_IOAPIC_EOI); eoi_vector says which.  Beyond
 * every VMAIN_EXIT_* value.
 */
#define HV_EXIT_IOAPIC_EOI	0x100

/* An exit for userspace; reason is a VMAIN_EXIT_* value or HV_EXIT_*. */
struct hv_exit {
	uint32_t reason;
	uint8_t eoi_vector;		/* HV_EXIT_IOAPIC_EOI */
	struct {
		bool in;
		uint8_t size;
		uint16_t port;
		uint32_t count;
		uint8_t *data;		/* size * count bytes, in place */
	} io;
	struct {
		uint64_t gpa;
		uint8_t *data;		/* 8 bytes, in place */
		uint32_t len;
		bool write;
	} mmio;
	struct {
		uint32_t index;
		bool write;
		uint64_t *data;		/* write: the value; read: fill it in */
		uint8_t *error;		/* set to 1: #GP(0) instead */
	} msr;
	uint64_t hw_reason;		/* VMAIN_EXIT_FAIL_ENTRY */
	uint32_t suberror;		/* VMAIN_EXIT_INTERNAL_ERROR */
	uint32_t ndata;			/* ... and what the backend said of it */
	uint64_t data[4];
};

/* Keeps up to 4 words of what a backend reported with an internal error. */
static inline void hv_exit_set_data(struct hv_exit *exit, uint32_t ndata,
				    const uint64_t *data)
{
	exit->ndata = ndata < 4 ? ndata : 4;
	memcpy(exit->data, data, exit->ndata * sizeof(exit->data[0]));
}

/*
 * A vCPU's architectural state for save and restore, in a form neither
 * backend owns: get_state() on one backend, set_state() on the other
 * (vmain.ko <-> KVM) gives the guest the same CPU.
 *
 * What it covers:
 *  - regs, sregs: vmain's ABI structs (docs/abi.md); sregs holds CR0-4,
 *    CR8 (the TPR), EFER, FS/GS base, APIC_BASE, GDT/IDT and all segments.
 *  - xcr0 and the x87/SSE/AVX registers as an XSAVE image in the standard
 *    (non-compacted) format of SDM Vol. 1 13.4, xsave_size bytes of it
 *    (get_state: HV_XSAVE_SIZE; set_state takes 576 .. HV_XSAVE_SIZE, the
 *    legacy region plus the header at least, and zero-fills the rest).
 *    Components past 4 KiB (AMX tiles) do not fit: the monitor does not
 *    offer them.  vmain: VMAIN_VCPU_GET/SET_FPU; KVM: KVM_GET/SET_XSAVE
 *    and KVM_GET/SET_XCRS.  XSTATE_BV holds only components XCR0 enables.
 *  - msr: the MSRs both backends keep that regs/sregs do not hold, the
 *    list hv_state_msrs[] (hv.c).  Both backends save exactly that list.
 *    tsc is the guest's TSC when get_state read it; set_state writes it
 *    back (IA32_TSC: both backends turn the write into a TSC offset), so
 *    the guest's TSC continues from the value it had when saved.  A
 *    caller that wants the guest's TSC to account for the time it was
 *    stopped adds that time itself.
 *  - events: what is pending delivery and the blocking state (struct
 *    vmain_events): an exception with its error code, an external
 *    interrupt queued, NMI pending/masked, the STI/MOV-SS shadow.  The
 *    error-code rule follows the vector (docs/abi.md), whatever the
 *    backend reported.  KVM's "injected" and "pending" are one flag here.
 *  - pvclock_system_time / pvclock_wall_clock: the guest's kvmclock MSRs
 *    (4B564D01h, 4B564D00h).  Only a backend that serves the paravirtual
 *    clock in its kernel (KVM: clock_stopped != NULL) reads and writes
 *    them.  On vmain the monitor serves them (machine/pvclock.c keeps
 *    pv_time_msr): get_state leaves them 0 and set_state ignores them, and
 *    the machine copies its own values in and out.
 *  - pv_eoi: the guest's paravirtual EOI MSR (MSR_KVM_PV_EOI_EN,
 *    4B564D04h: the address of its EOI flag, bit 0 enable).  Only KVM with
 *    the local APIC in the kernel (hv_vm.lapic_in_kernel) serves it, reads
 *    and writes it; elsewhere get_state leaves it 0 and set_state ignores
 *    it.  KVM sets the guest's flag only for the span of a KVM_RUN and
 *    clears it again at each exit (doing the EOI the guest skipped), so
 *    a stopped vCPU never has one pending: a state without the MSR, or
 *    one loaded where nothing serves it, only makes the guest write its
 *    EOIs again.
 *
 * What a backend cannot do:
 *  - KVM on an AMD host keeps only the low 32 bits of SYSENTER_ESP and
 *    SYSENTER_EIP unless the guest's CPUID vendor is Intel (its SVM code
 *    stores them in the VMCB as AMD CPUs do, which have no SYSENTER in
 *    long mode); vmain keeps all 64.  A state moved vmain -> KVM there
 *    loses the upper halves; nothing an AMD guest executes reads them.
 *  - KVM: the FPU goes through KVM_GET/SET_XSAVE (KVM_CAP_XSAVE); a KVM
 *    without it (or with AMX enabled, which needs KVM_GET_XSAVE2) fails
 *    get_state.  vmain: SET_FPU refuses components the host has not
 *    enabled, so a state with AVX-512 restores only where the host has it.
 *  - vmain does not keep the kvmclock MSRs (the monitor does, above).
 *  - An external interrupt queued while RFLAGS.IF=0 means different
 *    things: vmain waits for the window, KVM injects it at the next
 *    entry.  The monitor queues one only when the window is open, so a
 *    saved state holds one only in that case.
 *
 * What it does NOT cover, saved by the machine separately:
 *  - the local APIC: the monitor's model (devices/lapic.c) holds it, or
 *    with KVM's split irqchip the kernel does and the machine copies it
 *    into that model's form for a save and back on a load
 *    (machine/irqchip.c); its save/load covers TPR-side state, timers,
 *    IRR/ISR and IA32_TSC_DEADLINE;
 *  - the CPUID table (the machine rebuilds it from its configuration);
 *  - guest RAM and device state.
 */
#define HV_XSAVE_SIZE		4096
#define HV_XSAVE_MIN_SIZE	576	/* legacy region + XSAVE header */

struct hv_state_msrs {
	uint64_t tsc;			/* 10h, IA32_TSC */
	uint64_t star;			/* C0000081h */
	uint64_t lstar;			/* C0000082h */
	uint64_t cstar;			/* C0000083h */
	uint64_t sfmask;		/* C0000084h */
	uint64_t kernel_gs_base;	/* C0000102h */
	uint64_t sysenter_cs;		/* 174h */
	uint64_t sysenter_esp;		/* 175h */
	uint64_t sysenter_eip;		/* 176h */
	uint64_t pat;			/* 277h */
	uint64_t misc_enable;		/* 1A0h */
	uint64_t mtrr_def_type;		/* 2FFh */
	uint64_t tsc_aux;		/* C0000103h */
	uint64_t spec_ctrl;		/* 48h, IA32_SPEC_CTRL: 0 unless offered */
};

struct hv_vcpu_state {
	struct vmain_regs regs;
	struct vmain_sregs sregs;
	uint64_t xcr0;
	uint32_t xsave_size;		/* bytes of xsave[] that hold the image */
	uint32_t pad;
	uint8_t xsave[HV_XSAVE_SIZE] __attribute__((aligned(64)));
	struct hv_state_msrs msr;
	struct vmain_events events;
	uint64_t pvclock_system_time;	/* 4B564D01h, where the backend serves it */
	uint64_t pvclock_wall_clock;	/* 4B564D00h, likewise; 0: never written */
	uint64_t pv_eoi;		/* 4B564D04h, with KVM's local APIC only */
};

/* The MSRs in struct hv_state_msrs: index and where the value lives. */
struct hv_state_msr {
	uint32_t index;
	const char *name;
	size_t offset;			/* in struct hv_state_msrs */
};

extern const struct hv_state_msr hv_state_msrs[];
extern const unsigned int hv_state_nr_msrs;

static inline uint64_t *hv_state_msr_value(struct hv_state_msrs *m, unsigned int i)
{
	return (uint64_t *)((char *)m + hv_state_msrs[i].offset);
}

/* The vectors that push an error code in protected mode (SDM Vol. 3A 6.3.1). */
static inline bool hv_vector_has_error(uint8_t vector)
{
	return vector == 8 || (vector >= 10 && vector <= 14) || vector == 17 ||
	       vector == 21;
}

/*
 * For backends' get_state: the image keeps only the components XCR0
 * enables (XSTATE_BV &= xcr0; vmain.ko and KVM report others too, and
 * vmain's SET_FPU refuses them): a component the guest has not enabled
 * is not state it can see.  XCOMP_BV is 0 in the standard format.
 */
static inline void hv_xsave_normalize(struct hv_vcpu_state *st)
{
	uint64_t bv;

	memcpy(&bv, st->xsave + 512, 8);
	bv &= st->xcr0;
	memcpy(st->xsave + 512, &bv, 8);
	memset(st->xsave + 520, 0, 8);
}

struct hv_backend {
	const char *name;
	/*
	 * Opens the device and creates the VM; -errno and a reason: -EEXIST
	 * if a VM with this UUID runs, -EBUSY if the hardware is taken.
	 */
	int (*vm_create)(struct hv_vm *vm, const uint8_t uuid[16],
			 char *why, size_t whylen);
	void (*vm_destroy)(struct hv_vm *vm);
	int (*set_memory)(struct hv_vm *vm, uint32_t slot, uint64_t gpa,
			  uint64_t size, void *hva, bool readonly);
	/*
	 * set_memory (writable) with the guest's writes logged per 4 KiB
	 * page (VMAIN_MEM_LOG_DIRTY, KVM_MEM_LOG_DIRTY_PAGES), for a
	 * device that shows memory the guest writes without telling it (the
	 * VGA's framebuffer).  get_dirty_log copies out the slot's bitmap,
	 * one bit per page, ceil(pages / 64) words, and clears it.  0 or
	 * -errno.
	 */
	int (*set_memory_logged)(struct hv_vm *vm, uint32_t slot, uint64_t gpa,
				 uint64_t size, void *hva);
	int (*get_dirty_log)(struct hv_vm *vm, uint32_t slot, uint64_t *bitmap);
	int (*vcpu_create)(struct hv_vcpu *vcpu);
	void (*vcpu_destroy)(struct hv_vcpu *vcpu);
	/* 0 and *exit; -EINTR for a signal; other -errno: fatal for the vCPU. */
	int (*vcpu_run)(struct hv_vcpu *vcpu, struct hv_exit *exit);
	int (*get_regs)(struct hv_vcpu *vcpu, struct vmain_regs *regs);
	int (*set_regs)(struct hv_vcpu *vcpu, const struct vmain_regs *regs);
	int (*get_sregs)(struct hv_vcpu *vcpu, struct vmain_sregs *sregs);
	int (*set_sregs)(struct hv_vcpu *vcpu, const struct vmain_sregs *sregs);
	/*
	 * Queues an external interrupt (-EBUSY while one is queued).  With
	 * the LAPIC in the kernel (lapic_in_kernel) only the 8259s' ExtINT
	 * goes this way (KVM: -EEXIST while one is pending), the kernel
	 * checking LINT0 itself.
	 */
	int (*interrupt)(struct hv_vcpu *vcpu, uint8_t vector);
	/* Queues an NMI (delivered when the guest is not in an NMI handler). */
	int (*nmi)(struct hv_vcpu *vcpu);
	/* Sets or clears the "exit when interrupts open" request. */
	void (*request_irq_window)(struct hv_vcpu *vcpu, bool on);
	bool (*ready_for_interrupt)(struct hv_vcpu *vcpu);
	/*
	 * Makes a RUN in progress on another thread return soon (exit
	 * reason KICK or INTR), or the next RUN if none is in progress.
	 * Safe from any thread.
	 */
	void (*kick)(struct hv_vcpu *vcpu);
	/* After RUN returned: clears what kick() left behind. */
	void (*kick_done)(struct hv_vcpu *vcpu);
	/* The CPUID table the guest reads (vmain's entry format). */
	int (*set_cpuid)(struct hv_vcpu *vcpu,
			 const struct vmain_cpuid_entry *e, uint32_t n);
	/*
	 * What the guest may be offered: fills up to *n entries, sets *n.
	 * Leaves the backend cannot virtualise are cleared by the caller's
	 * own policy (machine/cpuid.c) afterwards.
	 */
	int (*supported_cpuid)(struct hv_vm *vm, struct vmain_cpuid_entry *e,
			       uint32_t *n);
	/* Sets one MSR the backend keeps (e.g. IA32_TSC); 0 or -errno. */
	int (*set_msr)(struct hv_vcpu *vcpu, uint32_t index, uint64_t data);
	/*
	 * After a pause: tells the guest's paravirtual clock that the vCPU
	 * was stopped (kvmclock's PVCLOCK_GUEST_STOPPED flag), so that its
	 * soft-lockup and RCU-stall watchdogs do not take the pause for a
	 * hang.  NULL where the monitor serves the paravirtual clock itself
	 * (machine/pvclock.c sets the flag).  Not while the vCPU runs.
	 */
	int (*clock_stopped)(struct hv_vcpu *vcpu);
	/*
	 * The vCPU's whole state (struct hv_vcpu_state above), not while it
	 * runs.  get_state first re-enters with immediate_exit, which
	 * finishes the instruction behind the last exit without running the
	 * guest: call it after that exit's results (IN data, MMIO read
	 * value) are stored, as the next run would need them.  On vmain
	 * that RUN also takes a kick left pending (none is owed then: the
	 * vCPU is stopped).  Any thread may call these while the vCPU is
	 * stopped; on KVM its own thread is cheaper (a KVM_RUN from another
	 * thread moves the vCPU's pid).  set_state writes, in order, sregs, regs, the FPU, the MSRs
	 * and the events, into a vCPU whose CPUID table is already set (KVM
	 * checks XCR0 and CR4 against it).  0 or -errno; -EIO where the
	 * backend refused one of the MSRs.
	 */
	int (*get_state)(struct hv_vcpu *vcpu, struct hv_vcpu_state *st);
	int (*set_state)(struct hv_vcpu *vcpu, const struct hv_vcpu_state *st);
	/*
	 * Before get_state: re-enters with immediate_exit to finish the
	 * instruction behind the last exit.  0 once it is whole; 1 when
	 * finishing it needs another exit handled first (the write half of
	 * an emulated read-modify-write or MMIO-to-MMIO MOVS, docs/abi.md
	 * RUN), then *exit is that exit, to handle as a run's and settle
	 * again; or -errno.  The guest never runs in between.
	 */
	int (*settle)(struct hv_vcpu *vcpu, struct hv_exit *exit);
	/*
	 * The paravirtual clock's value (kvmclock system time, ns) where
	 * the backend keeps it (KVM); NULL where the monitor serves it
	 * (machine/pvclock.c).  Save and restore carry it across, so that
	 * the guest's monotonic time never goes back.  Not while a vCPU
	 * runs.
	 */
	int (*get_clock)(struct hv_vm *vm, uint64_t *ns);
	int (*set_clock)(struct hv_vm *vm, uint64_t ns);
	/* The in-kernel LAPIC's interface; used only while vm->lapic_in_kernel. */
	const struct hv_irqchip_ops *irqchip;
};

/*
 * An I/O APIC pin's message for a backend with the LAPIC in its kernel
 * (set_ioapic_routes): the MSI address and data a redirection entry makes
 * (SDM Vol. 3A 11.11 "Message Signalled Interrupts"), valid false for a
 * pin that routes nothing level-triggered.
 */
struct hv_msi {
	uint64_t addr;
	uint32_t data;
	bool valid;
};

#define HV_IOAPIC_PINS		24
#define HV_LAPIC_PAGE		1024	/* KVM_GET_LAPIC's register image */

/* A vCPU's run state where the backend keeps it (split irqchip). */
enum hv_mp_state { HV_MP_RUNNABLE, HV_MP_HALTED, HV_MP_WAIT_SIPI };

/*
 * What a backend with the LAPIC in its kernel adds (NULL otherwise; see
 * hv_vm.lapic_in_kernel).  All 0 or -errno.
 */
struct hv_irqchip_ops {
	/*
	 * Moves the local APICs into the kernel, after vm_create and before
	 * any vCPU exists: sets vm->lapic_in_kernel and vm->irq_path.
	 * -EOPNOTSUPP where the kernel cannot (KVM: no KVM_CAP_SPLIT_IRQCHIP,
	 * irqfd, ioeventfd or KVM_SIGNAL_MSI); the VM is then unchanged
	 * and the monitor's APIC model serves it.
	 */
	int (*enable)(struct hv_vm *vm);
	/* An interrupt message (address 0xFEExxxxx), any thread. */
	int (*signal_msi)(struct hv_vm *vm, uint64_t addr, uint32_t data);
	/*
	 * The I/O APIC's pins as messages, so that the kernel's APICs exit
	 * with HV_EXIT_IOAPIC_EOI for the level-triggered vectors.
	 */
	int (*set_ioapic_routes)(struct hv_vm *vm, const struct hv_msi routes[HV_IOAPIC_PINS]);
	/*
	 * A guest write of any size to `gpa` (MMIO) signals eventfd `fd`
	 * instead of exiting (assign), or no longer does (!assign).
	 */
	int (*ioeventfd)(struct hv_vm *vm, uint64_t gpa, int fd, bool assign);
	/* The APIC's register page (SDM Vol. 3A table 11-1 layout), not while it runs. */
	int (*get_lapic)(struct hv_vcpu *vcpu, uint8_t regs[HV_LAPIC_PAGE]);
	int (*set_lapic)(struct hv_vcpu *vcpu, const uint8_t regs[HV_LAPIC_PAGE]);
	int (*get_mp_state)(struct hv_vcpu *vcpu, enum hv_mp_state *st);
	int (*set_mp_state)(struct hv_vcpu *vcpu, enum hv_mp_state st);
	/* One MSR the kernel keeps (IA32_TSC_DEADLINE). */
	int (*get_msr)(struct hv_vcpu *vcpu, uint32_t index, uint64_t *data);
};

extern const struct hv_backend hv_backend_vmain;
extern const struct hv_backend hv_backend_kvm;

/*
 * Creates a VM with the backend `accel` asks for.  AUTO prefers vmain.ko
 * and falls back to KVM when the module is absent, has no usable engine,
 * or finds the hardware owned by another hypervisor.  *chosen (may be
 * NULL) receives a line saying which backend was taken and why.
 */
int hv_vm_create(struct hv_vm *vm, enum hv_accel accel, const uint8_t uuid[16],
		 char *chosen, size_t chosen_len);

/*
 * For backends: both ABIs create a vCPU with an ioctl on the VM fd that
 * takes the id, and map its run structure from offset 0.
 */
int hv_vcpu_open(struct hv_vcpu *vcpu, unsigned long create_ioctl);
void hv_vcpu_close(struct hv_vcpu *vcpu);
void hv_vm_close(struct hv_vm *vm);

/* The host CPU's own CPUID leaves, as a table (for backends). */
int hv_host_cpuid(struct vmain_cpuid_entry *e, uint32_t *n);

/* Parses "auto", "vmain" or "kvm"; -EINVAL otherwise. */
int hv_accel_parse(const char *s, enum hv_accel *accel);

#endif
