/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * machine/fwcfg.h - the machine's fw_cfg device (devices/fw_cfg.h) and
 * what it holds, on every boot: the firmware reads it (SeaBIOS), and a
 * directly booted Linux sees it through its qemu_fw_cfg driver
 * (/sys/firmware/qemu_fw_cfg/by_name/...).  docs/firmware.md lists it.
 *
 * Keys: the signature, ID (with DMA), NB_CPUS, MAX_CPUS, RAM_SIZE,
 * NOGRAPHIC, UUID, and with a --kernel under the firmware the kernel's
 * (below).  Files: bootorder (empty), etc/e820, etc/sercon-port
 * (headless VMs: COM1), etc/smbios/smbios-anchor and smbios-tables, and
 * the ACPI tables as etc/acpi/rsdp, etc/acpi/tables and etc/table-loader.
 *
 * The ACPI and SMBIOS files are built when the machine is, so that the
 * directory knows their sizes, and built again the first time the guest
 * selects one of them (QEMU's acpi_build_update() does the same): by
 * then the firmware has programmed what the tables describe.
 */
#ifndef VMAIN_MONITOR_MACHINE_FWCFG_H
#define VMAIN_MONITOR_MACHINE_FWCFG_H

#include <stdbool.h>

#include "devices/fw_cfg.h"

struct machine;
struct acpi_config;

struct machine_fw_cfg {
	struct fw_cfg dev;
	bool acpi_rebuilt, smbios_rebuilt;	/* built again on first selection */
	char serial[48];			/* SMBIOS type 1's serial number */
};

/*
 * --kernel under the firmware (docs/firmware.md): the kernel, initrd and
 * command line go into fw_cfg's legacy items (FW_CFG_SETUP_*, KERNEL_*,
 * INITRD_*, CMDLINE_*, laid out by boot/fwboot.h) and QEMU's Linux boot
 * option ROM into "genroms/linuxboot_dma.bin", which SeaBIOS runs like
 * any option ROM: its boot entry (BEV) reads the items by DMA and enters
 * the kernel's real-mode setup code.  The ROM is Debian's, read at run
 * time (never shipped here).  "bootorder" names it first, as QEMU does
 * (SeaBIOS's bootprio_find_named_rom() matches "/rom@" + the file name).
 */
#define FW_LINUXBOOT_ROM	"/usr/share/qemu/linuxboot_dma.bin"	/* package qemu-system-data */
#define FW_LINUXBOOT_PACKAGE	"qemu-system-data"
#define FW_LINUXBOOT_FILE	"genroms/linuxboot_dma.bin"
#define FW_LINUXBOOT_BOOTPATH	"/rom@" FW_LINUXBOOT_FILE

/*
 * machine/fwcfg-kernel.c (tests/machine/fwcfg-kernel-test.c).
 * Adds the kernel's items and the ROM for m->cfg.kernel, initrd and
 * append, and puts the ROM first in "bootorder" (before the drives that
 * machine_ata_init() listed).  After platform_init(), before the guest
 * runs; on a restore too (the items are configuration).  The kernel and
 * initrd sizes are checked here: -ENOEXEC (not a usable bzImage), -E2BIG
 * (an initrd that does not fit below initrd_addr_max and the RAM's top,
 * a command line too long), -ENOMEM, -EIO (a file unreadable, the ROM
 * missing: the message names its package), -EINVAL (not an option ROM),
 * each with one line on stderr.
 */
int machine_fw_cfg_add_kernel(struct machine *m);

/*
 * Builds the device with its items and claims ports 0x510..0x51b on the
 * machine's port bus.  After pci_bus_init() and firmware_init() (the
 * ACPI tables describe the PCI INTx routing and the firmware's chipset),
 * before the devices that add files of their own to m->fwcfg.dev
 * (fw_cfg_add_file(): the VGA's "vgaroms/..."), so that every file is
 * there before the guest runs.  -errno with a message printed.
 */
int machine_fw_cfg_init(struct machine *m);
void machine_fw_cfg_destroy(struct machine *m);

/*
 * What the machine's ACPI tables describe, for acpi_build() (direct boot)
 * and acpi_build_blobs() (fw_cfg) alike.
 */
void machine_acpi_config(const struct machine *m, struct acpi_config *cfg);

#endif
