/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * acpi/loader.h - the commands of QEMU's BIOS linker/loader, the fw_cfg
 * file "etc/table-loader" that SeaBIOS (src/fw/romfile_loader.c) and OVMF
 * execute to place the ACPI tables themselves: allocate each fw_cfg file
 * in guest memory, patch the pointers between them, then fix the
 * checksums.  The format is QEMU's hw/acpi/bios-linker-loader.c: an
 * array of 128-byte entries, all integers little-endian, names NUL-padded
 * to 56 bytes (FW_CFG_MAX_FILE_PATH):
 *
 *   +0   le32 command
 *   ALLOCATE (1):     +4 file[56], +60 le32 align (power of two),
 *                     +64 u8 zone (1 = anywhere below 4 GiB, 2 = FSEG,
 *                     0xe0000..0xfffff, where the RSDP must be found)
 *   ADD_POINTER (2):  +4 dest_file[56], +60 src_file[56],
 *                     +116 le32 offset, +120 u8 size (1, 2, 4 or 8):
 *                     the size-byte field at dest_file + offset holds an
 *                     offset into src_file; the loader adds src_file's
 *                     address to it
 *   ADD_CHECKSUM (3): +4 file[56], +60 le32 offset, +64 le32 start,
 *                     +68 le32 length: the byte at file + offset is
 *                     adjusted so that [start, start + length) sums to 0
 *
 * Plain C, no GLib (tests/acpi/).
 */
#ifndef VMAIN_MONITOR_ACPI_LOADER_H
#define VMAIN_MONITOR_ACPI_LOADER_H

#include <stddef.h>
#include <stdint.h>

#define ACPI_LOADER_ENTRY_LEN		128
#define ACPI_LOADER_FILESZ		56

#define ACPI_LOADER_ALLOCATE		1
#define ACPI_LOADER_ADD_POINTER		2
#define ACPI_LOADER_ADD_CHECKSUM	3

#define ACPI_LOADER_ZONE_HIGH		1
#define ACPI_LOADER_ZONE_FSEG		2

/* A growing command list; errors are sticky (the first one is kept). */
struct acpi_loader {
	uint8_t *buf;
	size_t len, cap;
	int err;
};

void acpi_loader_init(struct acpi_loader *l);
void acpi_loader_free(struct acpi_loader *l);

/*
 * Each appends one entry, or records -EINVAL (a name of 0 or 56+
 * characters, an align that is not a power of two, a bad zone or size)
 * or -ENOMEM.  Return the sticky error.
 */
int acpi_loader_allocate(struct acpi_loader *l, const char *file,
			 uint32_t align, uint8_t zone);
int acpi_loader_add_pointer(struct acpi_loader *l, const char *dest_file,
			    const char *src_file, uint32_t offset, uint8_t size);
int acpi_loader_add_checksum(struct acpi_loader *l, const char *file,
			     uint32_t offset, uint32_t start, uint32_t length);

/*
 * Hands over the command list (malloc()ed, *len bytes) and empties `l`;
 * NULL with the error in *err when one was recorded (or nothing added).
 */
uint8_t *acpi_loader_take(struct acpi_loader *l, size_t *len, int *err);

#endif
