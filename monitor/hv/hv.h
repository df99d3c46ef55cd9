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
};

struct hv_vcpu {
	struct hv_vm *vm;
	unsigned int id;
	int fd;
	void *run;		/* the backend's mapped run structure */
	pthread_t thread;	/* the thread that runs it (for kicks) */
	bool has_thread;
};

/* An exit for userspace; reason is a VMAIN_EXIT_* value. */
struct hv_exit {
	uint32_t reason;
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
	int (*vcpu_create)(struct hv_vcpu *vcpu);
	void (*vcpu_destroy)(struct hv_vcpu *vcpu);
	/* 0 and *exit; -EINTR for a signal; other -errno: fatal for the vCPU. */
	int (*vcpu_run)(struct hv_vcpu *vcpu, struct hv_exit *exit);
	int (*get_regs)(struct hv_vcpu *vcpu, struct vmain_regs *regs);
	int (*set_regs)(struct hv_vcpu *vcpu, const struct vmain_regs *regs);
	int (*get_sregs)(struct hv_vcpu *vcpu, struct vmain_sregs *sregs);
	int (*set_sregs)(struct hv_vcpu *vcpu, const struct vmain_sregs *sregs);
	/* Queues an external interrupt (-EBUSY while one is queued). */
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
