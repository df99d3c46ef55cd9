/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * devices/q35-host.h - the host bridge at 00.0 as a Q35 memory controller
 * hub (MCH, Intel 8086:29c0), for firmware boots: the registers SeaBIOS
 * drives to shadow itself (PAM), to open and close SMRAM, and to place
 * PCI Express configuration space (PCIEXBAR).
 *
 * Reference: Intel 3 Series Express Chipset Family datasheet (Q35/G33,
 * document 316966), chapter 5.1 "DRAM Controller Registers (D0:F0)":
 * 5.1.12 PCIEXBAR (60h), 5.1.16-5.1.22 PAM0-PAM6 (90h-96h), 5.1.24 SMRAM
 * (9Dh), 5.1.25 ESMRAMC (9Eh).
 *
 * Model
 *  - Identity 8086:29c0, class 060000, subsystem 1af4:1100: the pair
 *    SeaBIOS (src/fw/paravirt.c, qemu_detect()) takes for "a QEMU
 *    machine" before it looks for fw_cfg.  Only firmware boots use this
 *    identity: the Linux direct boot keeps pci.h's generic bridge.
 *  - PAM: 13 regions below 1 MiB, each "off" (reads and writes go to
 *    PCI: the BIOS ROM alias at 0xe0000-0xfffff, nothing elsewhere),
 *    "read-only" (reads RAM, writes go to PCI), "write-only" (reads PCI,
 *    writes RAM) or "read/write" RAM (5.1.16).  Region 0 is
 *    0xf0000-0xfffff (PAM0[5:4]); regions 1..12 are the 16 KiB pieces
 *    0xc0000..0xeffff (PAMn[1:0] the low, PAMn[5:4] the high half).
 *    ops.pam() is called for each region whose mode a write changes.
 *  - SMRAM / ESMRAMC: the machine has no System Management Mode (its
 *    vCPUs never enter it), so the only visible effect is the legacy
 *    window 0xa0000-0xbffff: RAM while D_OPEN is set and H_SMRAME clear
 *    (5.1.24: "D_OPEN ... makes SMRAM visible even when SMM decode is not
 *    active"), else the PCI/VGA window.  D_LCK locks D_OPEN (cleared and
 *    read-only), G_SMRAME, C_BASE_SEG and ESMRAMC until reset.  TSEG
 *    (T_EN) is stored but hides no memory: nothing runs in SMM to use it.
 *  - PCIEXBAR: enable bit 0, length bits 2:1 (256/128/64 MiB), base
 *    bits 35:26 as the length allows.  The bus's ECAM moves with it
 *    (pci_bus.ecam_base; one bus, so 1 MiB of the window decodes and the
 *    rest reads all-ones), disabled while PCIEXBAREN is clear.
 *
 * Threads: as pci.h (the caller serialises every entry with the bus's
 * lock; ops run inside the config write that caused them).
 */
#ifndef VMAIN_MONITOR_DEVICES_Q35_HOST_H
#define VMAIN_MONITOR_DEVICES_Q35_HOST_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/pci.h"

#define Q35_MCH_VENDOR		0x8086
#define Q35_MCH_DEVICE		0x29c0
#define Q35_SUBSYS_VENDOR	0x1af4	/* SeaBIOS's qemu_detect() */
#define Q35_SUBSYS_ID		0x1100

#define Q35_PCIEXBAR		0x60	/* 64 bits */
#define Q35_PCIEXBAR_EN		0x1ull
#define Q35_PAM0		0x90	/* .. 0x96 */
#define Q35_SMRAM		0x9d
#define Q35_ESMRAMC		0x9e

#define Q35_SMRAM_C_BASE_SEG	0x07	/* 010b: 0xa0000 */
#define Q35_SMRAM_G_SMRAME	0x08
#define Q35_SMRAM_D_LCK		0x10
#define Q35_SMRAM_D_CLS		0x20
#define Q35_SMRAM_D_OPEN	0x40
#define Q35_ESMRAMC_T_EN	0x01
#define Q35_ESMRAMC_TSEG_SZ	0x06
#define Q35_ESMRAMC_SM_BITS	0x38	/* SM_L2, SM_L1, SM_CACHE: read as 1 */
#define Q35_ESMRAMC_E_SMERR	0x40
#define Q35_ESMRAMC_H_SMRAME	0x80

/* PAM regions: 0 = 0xf0000 (64 KiB), 1..12 = 0xc0000 + 16 KiB * (n - 1). */
#define Q35_PAM_REGIONS		13

enum q35_pam_mode {
	Q35_PAM_OFF = 0,	/* DRAM disabled: PCI (the ROM alias, or nothing) */
	Q35_PAM_RO = 1,		/* reads DRAM, writes PCI */
	Q35_PAM_WO = 2,		/* reads PCI, writes DRAM */
	Q35_PAM_RW = 3,
};

/* Guest-physical start and size of PAM region `i`. */
static inline uint32_t q35_pam_base(unsigned i)
{
	return i == 0 ? 0xf0000u : 0xc0000u + 0x4000u * (i - 1);
}

static inline uint32_t q35_pam_size(unsigned i)
{
	return i == 0 ? 0x10000u : 0x4000u;
}

struct q35_host_ops {
	/* PAM region `region` is now in mode `mode` (enum q35_pam_mode). */
	void (*pam)(void *opaque, unsigned region, enum q35_pam_mode mode);
	/* 0xa0000-0xbffff shows SMRAM (RAM) when `open`, else the PCI window. */
	void (*smram)(void *opaque, bool open);
};

struct q35_host {
	struct pci_dev *dev;		/* the bus's host_bridge */
	struct q35_host_ops ops;
	void *opaque;
	/* What the ops were last told, so they hear of changes only. */
	uint8_t pam[Q35_PAM_REGIONS];
	bool smram_open;
	bool locked;			/* D_LCK was set: until reset */
};

/*
 * Turns the bus's host bridge (00.0) into the MCH and resets it: every
 * PAM region off (the ROM alias showing at 0xe0000-0xfffff), SMRAM
 * closed, PCIEXBAR disabled (the ECAM decodes nowhere until the firmware
 * places it).  Calls no op: the caller maps the reset state itself (or
 * calls q35_host_apply()).  Returns 0 or -errno.
 */
int q35_host_init(struct q35_host *h, struct pci_bus *bus,
		  const struct q35_host_ops *ops, void *opaque);

/* Calls every op with the current state (after a load, or at start). */
void q35_host_apply(struct q35_host *h);

/* The current mode of PAM region `region`. */
enum q35_pam_mode q35_host_pam_mode(const struct q35_host *h, unsigned region);

/*
 * PAM region holding guest-physical `gpa`, or -1 when it is outside
 * 0xc0000-0xfffff.
 */
int q35_pam_region(uint64_t gpa);

struct state_writer;
struct state_reader;

/*
 * Save and restore (state/stream.h), section "q35-host" / 0: the lock
 * (D_LCK makes bits read-only, which the config bytes alone do not say).
 * The registers themselves are config bytes, saved with the bus
 * (pci_bus_save()): load this after pci_bus_load(); it checks them,
 * re-derives the ECAM window and calls every op (q35_host_apply()).
 */
int q35_host_save(const struct q35_host *h, struct state_writer *w);
int q35_host_load(struct q35_host *h, struct state_reader *r);

#endif
