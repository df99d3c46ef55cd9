/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * machine/firmware.h - booting a BIOS (SeaBIOS) instead of a Linux
 * kernel: the ROM below 4 GiB and its shadow below 1 MiB, the Q35 host
 * bridge and ICH9 LPC bridge the firmware drives, its debug console, and
 * the boot CPU at the reset vector.  docs/firmware.md tells the story.
 *
 * Guest-physical map under firmware (memory slots, hv/hv.h set_memory):
 *
 *   0x00000 .. 0x9ffff     RAM (slot FW_SLOT_LOW)
 *   0xa0000 .. 0xbffff     the PCI/VGA window; RAM while the MCH's SMRAM
 *                          window is open (slot FW_SLOT_SMRAM)
 *   0xc0000 .. 0xfffff     13 PAM regions (slots FW_SLOT_PAM + n): off
 *                          (the last 128 KiB of the ROM at 0xe0000, nothing
 *                          below), read-only RAM, write-only RAM (no slot:
 *                          emulated by firmware_mmio()) or RAM
 *   0x100000 .. low end    RAM (slot FW_SLOT_RAM); low end at most
 *                          FW_LOW_RAM_MAX, the rest above 4 GiB (slot 1)
 *   4 GiB - ROM size       the ROM, read-only (slot FW_SLOT_ROM)
 *
 * The RAM of every region is part of the same mapping as the rest of
 * guest RAM (gmem: a memfd or anonymous memory), so what the firmware
 * shadows stays where a save finds it.
 *
 * Threads: the map changes on the vCPU thread whose config write moved a
 * PAM or SMRAM register, with machine.lock held.  Another vCPU touching a
 * region while its slot is being replaced takes an MMIO exit and waits for
 * the lock; firmware_mmio() then serves it from the region's new mode, so
 * every vCPU sees one consistent map.
 */
#ifndef VMAIN_MONITOR_MACHINE_FIRMWARE_H
#define VMAIN_MONITOR_MACHINE_FIRMWARE_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/debugcon.h"
#include "devices/ich9-lpc.h"
#include "devices/q35-host.h"

#define FW_ROM_MAX		(16u << 20)
#define FW_ROM_ALIGN		(64u << 10)
#define FW_ROM_ALIAS_SIZE	(128u << 10)	/* shown at 0xe0000-0xfffff */
/* SeaBIOS puts the Q35's ECAM at 0xb0000000: low RAM stays below it. */
#define FW_ECAM_BASE		0xb0000000ull
#define FW_LOW_RAM_MAX		FW_ECAM_BASE
#define FW_LOW_RAM_SPLIT	0x80000000ull	/* low RAM when more than that */
#define FW_DEFAULT_BIOS		"/usr/share/seabios/bios-256k.bin"

enum {
	FW_SLOT_LOW = 0,	/* machine.c's slot 0, cut at 640 KiB */
	FW_SLOT_RAM = 2,	/* slot 1 is RAM above 4 GiB */
	FW_SLOT_ROM = 3,
	FW_SLOT_SMRAM = 4,
	FW_SLOT_PAM = 5,	/* .. 5 + Q35_PAM_REGIONS - 1 */
};

/* What one region below 1 MiB shows through its slot. */
enum fw_view {
	FW_VIEW_NONE,		/* no slot: MMIO exits */
	FW_VIEW_ROM,		/* the ROM alias, read-only */
	FW_VIEW_RAM_RO,
	FW_VIEW_RAM,
};

struct machine;
struct vcpu;

struct machine_firmware {
	int rom_fd;		/* memfd holding the ROM image */
	uint8_t *rom;		/* mapped read-only */
	uint64_t rom_size;
	struct q35_host mch;
	struct ich9_lpc lpc;
	struct debugcon dbg;
	uint8_t pam_view[Q35_PAM_REGIONS];	/* enum fw_view */
	bool smram_mapped;
	bool mapped;		/* the VM exists: ops change slots */
	int map_error;		/* the first slot change that failed, or 0 */
};

/*
 * Checks a ROM image's size: a multiple of 64 KiB, at most 16 MiB.
 * NULL, or why not (for a message).
 */
const char *firmware_rom_size_error(uint64_t size);

/*
 * Reads the ROM (cfg.bios) and builds the firmware's devices on the
 * machine's buses, in place of the direct boot's PCI port claim: the MCH
 * at 00.0, the LPC at 1f.0 with the ACPI block at PMBASE, the debug
 * console, the APM ports, and the CMOS bytes SeaBIOS reads before it
 * finds fw_cfg (RAM sizes, CPU count).  Called by platform_init() after
 * pci_bus_init(); -errno with a message printed.
 */
int firmware_init(struct machine *m);

/*
 * Maps RAM and the ROM into the new VM as the reset state has them
 * (instead of machine.c's single low slot).  -errno with a message.
 */
int firmware_map(struct machine *m);

/* Frees what firmware_init() made (the VM is gone or never was). */
void firmware_destroy(struct machine *m);

/*
 * The boot CPU at the reset vector (SDM Vol. 3A 9.1.1 "Processor State
 * After Reset", table 9-1; APM Vol. 2 14.1.3): real mode, CS F000h with
 * base FFFF0000h, IP FFF0h, EDX the processor signature.
 */
int firmware_reset_state(struct vcpu *v);

/*
 * An MMIO access the firmware's map owns (below 1 MiB, the ROM): served,
 * true; false for anything else.  Lock held.
 */
bool firmware_mmio(struct machine *m, uint64_t gpa, unsigned size, bool write,
		   uint64_t *data);

/* A port nothing else claimed: the LPC's PM block.  Lock held. */
void firmware_pio(struct machine *m, uint16_t port, unsigned size, bool write,
		  uint32_t *data);

/* A PCI INTx line (GSI) changed: the LPC routes it to the 8259s. */
void firmware_pci_line(struct machine *m, unsigned gsi, bool level);

/* The ISA IRQ of the SCI (the LPC's ACPI_CNTL). */
unsigned firmware_sci_irq(const struct machine *m);

/*
 * The local APIC's xAPIC MMIO page (0xfee00000) for vCPU `v`: the
 * firmware's APIC is in xAPIC mode (machine/xapic.c).  True if served.
 */
bool firmware_xapic_mmio(struct vcpu *v, uint64_t gpa, unsigned size, bool write,
			 uint8_t *data);

#endif
