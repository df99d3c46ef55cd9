/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * machine/platform.h - the PC platform's devices: which model answers
 * which port and address (machine/memmap.h), and their wiring to the
 * interrupt controllers and to the machine's power and reset lines.
 */
#ifndef VMAIN_MONITOR_MACHINE_PLATFORM_H
#define VMAIN_MONITOR_MACHINE_PLATFORM_H

#include <stdbool.h>
#include <stdint.h>

struct machine;
struct boot_layout;

/* Creates and registers every device; -errno with a message printed. */
int platform_init(struct machine *m);
void platform_destroy(struct machine *m);
/*
 * Stops the disk devices and NICs and waits for their work in flight
 * (vCPUs stopped, machine.lock not held): before guest RAM goes away.
 * The NICs' back ends are left attached to a peer that takes nothing.
 */
void platform_stop_io(struct machine *m);

/*
 * After the kernel is in RAM: the firmware tables (ACPI) and their
 * pointer in the zero page (layout NULL: a kernel without one, which
 * scans for the RSDP: Multiboot).  -errno with a message printed.
 */
int platform_load(struct machine *m, const struct boot_layout *layout);

/*
 * One guest access, with machine.lock held.  `data` is the backend's
 * buffer: `size` bytes, written on a read.  Nothing a guest does here
 * fails the VM: an access no device claims reads all-ones and a write to
 * it is dropped.
 */
void platform_pio(struct machine *m, uint16_t port, unsigned size, bool write,
		  uint8_t *data);
void platform_mmio(struct machine *m, uint64_t gpa, unsigned size, bool write,
		   uint8_t *data);

/* Re-arms the PIT's host timer after its state changed (lock held). */
void platform_rearm_pit(struct machine *m);

#endif
