/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * acpi/smbios.h - the SMBIOS tables (DMTF DSP0134, version 2.8) a
 * firmware installs for the guest, handed over as QEMU does, in two
 * fw_cfg files: SMBIOS_FILE_ANCHOR, the 31-byte SMBIOS 2.1 (32-bit)
 * entry point ("_SM_" ... "_DMI_"), and SMBIOS_FILE_TABLES, the structure
 * table.  SeaBIOS (src/fw/biostables.c) copies the table, points the
 * entry point at it and fixes both of its checksums; the entry point's
 * table address is 0 here.
 *
 * The structures (one handle each, as QEMU numbers them):
 *   type 0   BIOS information (0x0000): vendor "vmain", BIOS characteristics
 *            "not supported", "targeted content distribution" and "virtual
 *            machine" (so SeaBIOS adds no type 0 of its own)
 *   type 1   system (0x0100): manufacturer "vmain", product "vmain VM",
 *            the VM's UUID (SMBIOS 2.6+ byte order), its serial number
 *   type 3   enclosure (0x0300): "Other"
 *   type 4   one processor per vCPU (0x0400 + i): "CPU i", 1 core, 1 thread,
 *            the CPUID.1 signature and feature flags as its processor ID
 *   type 16  the physical memory array (0x1000), one device
 *   type 17  the memory device (0x1100): all of RAM ("DIMM 0")
 *   type 19  one mapped address range per RAM range (0x1300 + i): below
 *            the PCI hole, and from 4 GiB when RAM goes beyond it
 *   type 32  system boot information (0x2000): no errors
 *   type 127 end of table (0x7f00)
 *
 * Plain C, no GLib (tests/acpi/smbios-test.c).
 */
#ifndef VMAIN_MONITOR_ACPI_SMBIOS_H
#define VMAIN_MONITOR_ACPI_SMBIOS_H

#include <stddef.h>
#include <stdint.h>

#define SMBIOS_FILE_ANCHOR	"etc/smbios/smbios-anchor"
#define SMBIOS_FILE_TABLES	"etc/smbios/smbios-tables"
#define SMBIOS_ANCHOR_LEN	31
#define SMBIOS_MAX_CPUS		1024

struct smbios_config {
	uint32_t nr_cpus;		/* 1 .. SMBIOS_MAX_CPUS */
	uint64_t low_ram;		/* RAM at [0, low_ram) */
	uint64_t high_ram;		/* RAM at [4 GiB, 4 GiB + high_ram) */
	const uint8_t *uuid;		/* 16 bytes, RFC 4122 order; NULL: none */
	const char *serial;		/* system serial number; NULL: none */
	uint32_t cpuid_1_eax;		/* processor ID: CPUID.1:EAX ... */
	uint32_t cpuid_1_edx;		/* ... and CPUID.1:EDX */
};

struct smbios_blobs {
	uint8_t *anchor, *tables;
	size_t anchor_len, tables_len;
};

/*
 * Builds both files.  0 (free with smbios_blobs_free()), -EINVAL (no
 * CPU, no low RAM, a string over 64 bytes), -E2BIG (more than
 * SMBIOS_MAX_CPUS, or a table past the entry point's 16-bit length),
 * -ENOMEM.
 */
int smbios_build(const struct smbios_config *cfg, struct smbios_blobs *out);
void smbios_blobs_free(struct smbios_blobs *b);

#endif
