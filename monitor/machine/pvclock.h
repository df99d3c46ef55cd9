/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * machine/pvclock.h - the paravirtual clock a guest may use (KVM's
 * kvmclock ABI, Linux Documentation/virt/kvm/x86/msr.rst and
 * include/uapi pvclock layout): with it Linux learns the TSC frequency
 * exactly instead of calibrating the TSC against the PIT or the PM timer
 * through port exits, which is slow and, nested, fails.
 *
 * The guest TSC is the host TSC on every vCPU (machine/clock.c), so one
 * time record serves all vCPUs and never changes: system time is
 * nanoseconds of guest TSC since the machine was created, and the record
 * carries PVCLOCK_TSC_STABLE_BIT.
 *
 * With machine.lock held.  Only for backends that pass these MSRs to the
 * monitor (vmain.ko); KVM serves them itself.
 */
#ifndef VMAIN_MONITOR_MACHINE_PVCLOCK_H
#define VMAIN_MONITOR_MACHINE_PVCLOCK_H

#include <stdbool.h>
#include <stdint.h>

#define PVCLOCK_MSR_WALL_CLOCK	0x4b564d00
#define PVCLOCK_MSR_SYSTEM_TIME	0x4b564d01

struct vcpu;

/* Whether `index` is one of the two MSRs. */
bool pvclock_msr(uint32_t index);
/*
 * RDMSR/WRMSR of one of them for vCPU `v`: 0, or -EINVAL for a value the
 * guest may not write (reserved bits; #GP).  A record address outside
 * guest RAM is accepted and nothing is written, as on KVM.
 */
int pvclock_msr_access(struct vcpu *v, uint32_t index, bool write, uint64_t *data);
/*
 * After a pause: sets PVCLOCK_GUEST_STOPPED in the vCPU's time record, if
 * the guest has one; the guest's watchdogs clear it and forgive the gap
 * (Linux: kvm_check_and_clear_guest_paused()).  machine.lock held.
 */
void pvclock_guest_stopped(struct vcpu *v);

#endif
