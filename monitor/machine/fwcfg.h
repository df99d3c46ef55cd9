/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * machine/fwcfg.h - the machine's fw_cfg device (devices/fw_cfg.h) and
 * what it holds, on every boot: the firmware reads it (SeaBIOS), and a
 * directly booted Linux sees it through its qemu_fw_cfg driver
 * (/sys/firmware/qemu_fw_cfg/by_name/...).  docs/firmware.md lists it.
 *
 * Keys: the signature, ID (with DMA), NB_CPUS, MAX_CPUS, RAM_SIZE,
 * NOGRAPHIC, UUID.  Files: bootorder (empty), etc/e820, etc/sercon-port
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
