/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * boot/multiboot.h - load a Multiboot (version 1) kernel and its modules,
 * as QEMU's -kernel does for an image that is not a bzImage.
 *
 * The image carries a Multiboot header (Multiboot Specification 0.6.96,
 * 3.1 "OS image format"): the magic 0x1BADB002, 32-bit aligned, wholly in
 * the first 8192 bytes, with flags and a checksum making the three words
 * sum to 0.  Flag 16 gives the load addresses in the header (the "a.out
 * kludge"); without it the image must be a 32-bit ELF executable whose
 * PT_LOAD segments go to their physical addresses.  A 64-bit ELF file is
 * refused, as QEMU refuses it.
 *
 * multiboot_load() validates everything first, then writes guest RAM
 * (one buffer, guest-physical 0 at its first byte):
 *
 *   the kernel's segments      where the image says (RAM below 4 GiB)
 *   modules                    page aligned, from the first page at or
 *                              above both the kernel's end and 1 MiB
 *   the boot block             the next page: a GDT, the information
 *                              structure (3.3 "Boot information format"),
 *                              the memory map, the module list, the
 *                              strings, and a 4 KiB scratch stack
 *
 * so nothing overlaps the kernel, a module or the reserved 0x9fc00..1 MiB
 * (where the ACPI tables go).  The entry state (3.2 "Machine state") is in
 * a struct boot_cpu_state (boot/layout.h): 32-bit protected mode without
 * paging, EAX = 0x2BADB002, EBX = the information structure, flat CS
 * (0x10) and DS/ES/FS/GS/SS (0x18), EFLAGS.IF = VM = 0.
 *
 * Everything the image controls is hostile: each offset, length and
 * address is checked (overflow-safe) before use; a bad image is -ENOEXEC
 * with a static reason string.  Plain C, no GLib (tests/boot/multiboot-test.c).
 */
#ifndef VMAIN_MONITOR_BOOT_MULTIBOOT_H
#define VMAIN_MONITOR_BOOT_MULTIBOOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "boot/layout.h"

#define MB_HEADER_MAGIC		0x1badb002u
#define MB_BOOTLOADER_MAGIC	0x2badb002u	/* in EAX at entry */
#define MB_SEARCH_LEN		8192		/* the header lies within this */
#define MB_HEADER_MIN		12		/* magic, flags, checksum */
#define MB_HEADER_AOUT_END	32		/* ... + the five address fields */

/* Header flags (3.1.2): bits 0-15 are requirements, 16-31 optional. */
#define MB_HF_PAGE_ALIGN	(1u << 0)	/* modules page aligned */
#define MB_HF_MEMORY_INFO	(1u << 1)	/* mem_* (and mmap) needed */
#define MB_HF_VIDEO_MODE	(1u << 2)	/* a video mode wanted */
#define MB_HF_AOUT_KLUDGE	(1u << 16)	/* the address fields are valid */
#define MB_HF_REQUIRED_MASK	0xffffu
#define MB_HF_REQUIRED_KNOWN	(MB_HF_PAGE_ALIGN | MB_HF_MEMORY_INFO | MB_HF_VIDEO_MODE)

/* Information structure flags (3.3) that this loader sets. */
#define MB_INFO_MEMORY		(1u << 0)
#define MB_INFO_CMDLINE		(1u << 2)
#define MB_INFO_MODS		(1u << 3)
#define MB_INFO_MMAP		(1u << 6)
#define MB_INFO_LOADER_NAME	(1u << 9)

/* Offsets in the information structure (3.3). */
#define MB_INFO_OFF_FLAGS	0
#define MB_INFO_OFF_MEM_LOWER	4
#define MB_INFO_OFF_MEM_UPPER	8
#define MB_INFO_OFF_CMDLINE	16
#define MB_INFO_OFF_MODS_COUNT	20
#define MB_INFO_OFF_MODS_ADDR	24
#define MB_INFO_OFF_MMAP_LENGTH	44
#define MB_INFO_OFF_MMAP_ADDR	48
#define MB_INFO_OFF_LOADER_NAME	64
#define MB_INFO_SIZE		116		/* up to the framebuffer fields */

#define MB_MODULE_SIZE		16		/* mod_start, mod_end, string, 0 */
#define MB_MMAP_ENTRY_SIZE	24		/* size (= 20), base, length, type */
#define MB_LOADER_NAME		"vmain"

/* What this loader takes; more is -E2BIG. */
#define MB_MAX_MODULES		64
#define MB_MAX_SEGMENTS		16		/* ELF PT_LOAD segments */
#define MB_MAX_STRING		65536		/* a command line, with its NUL */
#define MB_STACK_SIZE		4096

/* The GDT the boot block starts with (selectors as the Linux boot's). */
#define MB_CS_SELECTOR		0x10
#define MB_DS_SELECTOR		0x18

struct multiboot_header {
	size_t offset;			/* of the magic in the file */
	uint32_t flags;
	/* Valid with MB_HF_AOUT_KLUDGE (3.1.3). */
	uint32_t header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr;
};

/* One piece of the image copied to RAM: file bytes, then zeroes. */
struct multiboot_segment {
	uint64_t file_offset;
	uint64_t file_size;
	uint64_t addr;			/* guest-physical, below 4 GiB */
	uint64_t mem_size;		/* >= file_size, > 0 */
};

struct multiboot_image {
	struct multiboot_header hdr;
	bool elf;			/* loaded from ELF program headers */
	uint32_t entry;			/* physical entry point */
	unsigned int nr_segments;
	struct multiboot_segment seg[MB_MAX_SEGMENTS];
	uint64_t start, end;		/* lowest address, highest end */
};

/* A module as the caller gives it: its bytes and its string. */
struct multiboot_module {
	const void *data;
	uint64_t size;
	const char *string;		/* NULL: "" */
};

/* Where things went. */
struct multiboot_layout {
	uint32_t entry;
	uint64_t kernel_start, kernel_end;
	uint64_t mods;			/* first module (when there are any) */
	uint64_t block, block_end;	/* the boot block */
	uint64_t gdt;
	uint64_t info;			/* EBX */
	uint64_t mmap, mmap_length;
	uint64_t mod_list;		/* the mods_addr array */
	uint64_t cmdline;
	size_t e820_entries;
};

/*
 * Finds the first valid header in buf[0, min(len, 8192)).  Returns 0 and
 * fills *hdr; -ENOENT when no magic is there at all (not a Multiboot
 * image); -ENOEXEC (with *reason) for a magic whose checksum is wrong and
 * no valid one after it, a header that runs past the first 8192 bytes or
 * the file, or a requirement flag (bits 3-15) this loader does not know;
 * -EINVAL for NULL arguments.
 */
int multiboot_find_header(const void *buf, size_t len, struct multiboot_header *hdr,
			  const char **reason);

/*
 * Finds the header and works out the segments (a.out kludge or ELF32),
 * each inside the file and below 4 GiB, none overlapping another, the
 * entry point inside loaded bytes.  0, -ENOENT as above, -ENOEXEC (with
 * *reason) or -EINVAL.  Writes nothing but *img.
 */
int multiboot_parse(const void *buf, size_t len, struct multiboot_image *img,
		    const char **reason);

/*
 * Loads the kernel (image, image_len), nr_mods modules and the command
 * line (NULL: "") into ram[0, ram_size) and fills *layout and *cpu.
 * high_ram is RAM at 4 GiB and up (0: none), listed in the memory map.
 *
 * Errors, all before RAM is written: -EINVAL (NULL arguments, RAM size
 * not a multiple of 4 KiB or below 2 MiB, a module with size but no
 * data), -E2BIG (RAM above BOOT_RAM_MAX, more than MB_MAX_MODULES
 * modules, a string of MB_MAX_STRING bytes or more), -ENOENT (not a
 * Multiboot image), -ENOEXEC (a bad image, see multiboot_parse(); a
 * segment outside the guest's RAM below 4 GiB), -ENOSPC (no room for the
 * modules and the boot block above the kernel).  *reason (if not NULL)
 * says why.
 */
int multiboot_load(void *ram, uint64_t ram_size, uint64_t high_ram,
		   const void *image, size_t image_len,
		   const struct multiboot_module *mods, size_t nr_mods,
		   const char *cmdline, struct multiboot_layout *layout,
		   struct boot_cpu_state *cpu, const char **reason);

/*
 * The entry state of 3.2 "Machine state" for `entry`, the information
 * structure at `info` and the GDT at `gdt` (MB_CS/DS_SELECTOR), ESP =
 * `esp` (the spec leaves it undefined; the loader gives a scratch stack).
 */
void multiboot_cpu_state(struct boot_cpu_state *cpu, uint32_t entry, uint32_t info,
			 uint32_t gdt, uint32_t esp);

#endif
