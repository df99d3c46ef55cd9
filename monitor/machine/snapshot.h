/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * machine/snapshot.h - a machine's whole state other than RAM (every
 * vCPU, every device) as a device-state stream (state/stream.h), for the
 * save file (state/savefile.h; DESIGN.md "Save and restore").
 *
 * The stream, in this order (each a section, refused on load when its
 * name or id differs: the device set differs):
 *   "machine" / 0    memory size, vCPU, disk and NIC counts, display and
 *                    pvclock flags (all must match the loading machine),
 *                    the TSC rate, the paravirtual clock's time and wall
 *                    MSR, the 8259 pair's output, vCPU 0's CPUID
 *                    feature leaves (the loading host must offer every
 *                    feature bit the saved guest had: snapshot_load()
 *                    refuses a CPU that lacks one) and, from version 2,
 *                    the host's CLOCK_REALTIME at the save;
 *   from version 3, per disk: "disk" / N (the image's path as configured,
 *             its format and disk_identity(): its file's size and a CRC of
 *             its first 4 KiB; snapshot_load() refuses another file,
 *             format, size or CRC: the image changed since the save);
 *             from version 4 every disk (virtio, AHCI, IDE: cfg.disks in
 *             order) and then the CD/DVD drive's disc, and the "machine"
 *             section also has the count of all disks and whether the
 *             machine has AHCI/IDE controllers, a CD/DVD drive and a disc
 *             in it (all must match);
 *   per vCPU: "vcpu" / id (its run state, struct hv_vcpu_state written
 *             field by field, the kvmclock system-time MSR) and "lapic" /
 *             id (lapic_save());
 *   the platform: i8259, i8254, port61, cmos_rtc, i8042, serial8250,
 *   ioapic, acpi_pm, virtio-console, virtio-rng, each virtio-blk, each
 *   virtio-net, with a display the virtio-gpu (its resources' pixels
 *   too) and the keyboard, tablet and mouse, the AHCI then the IDE
 *   controller with their drives (machine/ata-ctl.h; version 4), and
 *   last the PCI bus (pci_bus_load() recounts the lines).
 *
 * Time.  The guest TSC is the host TSC (machine/clock.c) before and after
 * a restore: a restored guest's TSC and paravirtual clock jump forward by
 * the time it spent saved, as after a host suspend, so its wall clock is
 * right at once (its clock reads host TSC; the CMOS clock keeps its offset
 * from host time).  Where the host's TSC is now behind the saved one (the
 * host rebooted), the paravirtual clock continues from its saved value
 * instead, and the guest's wall clock lags by the time it spent saved.
 * Timers (PIT, local APICs) are saved as time left.
 *
 * The "machine" section's paravirtual clock time is the kvmclock value
 * whichever backend keeps it: the monitor's own, or KVM's (get_clock, i.e.
 * KVM_GET_CLOCK).  Through KVM a restore sets the clock (KVM_SET_CLOCK) to
 * that value plus the host's CLOCK_REALTIME time spent saved (version 2 of
 * the section records it), so the guest's monotonic time jumps forward
 * over the time saved as on vmain.ko, and flags every vCPU's record
 * PVCLOCK_GUEST_STOPPED (KVM_KVMCLOCK_CTRL).
 */
#ifndef VMAIN_MONITOR_MACHINE_SNAPSHOT_H
#define VMAIN_MONITOR_MACHINE_SNAPSHOT_H

#include <stddef.h>

struct machine;
struct state_writer;

/*
 * Writes the paused machine's state to `w` (disk I/O drained, no vCPU in
 * the guest).  Takes machine.lock.  0 or -errno with a message in err.
 */
int snapshot_save(struct machine *m, struct state_writer *w, char *err, size_t errlen);
/*
 * What cannot be saved (the host's own CD/DVD drive), said before the
 * save stops or detaches anything: 0 or -EOPNOTSUPP with a message.
 */
int snapshot_check(struct machine *m, char *err, size_t errlen);

/*
 * Loads buf[0 .. len) into a machine just built for it (machine_create()
 * with cfg.restore: vCPUs created with their CPUID, devices fresh, no
 * thread running), and re-arms its timers.  0 or -errno with a message.
 */
int snapshot_load(struct machine *m, const void *buf, size_t len, char *err, size_t errlen);

#endif
