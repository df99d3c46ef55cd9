/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * boot/bootparams.h - the "zero page" (struct boot_params) handed to a
 * Linux kernel entered at its 64-bit entry point.
 *
 * The layout is the kernel's ABI (arch/x86/include/uapi/asm/bootparam.h);
 * vmain declares only the fields it writes or checks, with the rest as
 * padding, and pins every declared field's offset with _Static_assert.
 * The setup header inside it (0x1F1) is copied from the image, then the
 * loader-owned fields are filled in (boot.rst, "64-bit boot protocol").
 *
 * Plain C, no GLib (tests/boot/bootparams-test.c).
 */
#ifndef VMAIN_MONITOR_BOOT_BOOTPARAMS_H
#define VMAIN_MONITOR_BOOT_BOOTPARAMS_H

#include <stddef.h>
#include <stdint.h>

#include "boot/bzimage.h"
#include "boot/e820.h"

/* The setup header, at 0x1F1 of the file and of the zero page. */
struct boot_setup_header {
	uint8_t  setup_sects;		/* 0x1f1 */
	uint16_t root_flags;		/* 0x1f2 */
	uint32_t syssize;		/* 0x1f4 */
	uint16_t ram_size;		/* 0x1f8 */
	uint16_t vid_mode;		/* 0x1fa */
	uint16_t root_dev;		/* 0x1fc */
	uint16_t boot_flag;		/* 0x1fe */
	uint16_t jump;			/* 0x200 */
	uint32_t header;		/* 0x202 */
	uint16_t version;		/* 0x206 */
	uint32_t realmode_swtch;	/* 0x208 */
	uint16_t start_sys_seg;		/* 0x20c */
	uint16_t kernel_version;	/* 0x20e */
	uint8_t  type_of_loader;	/* 0x210 */
	uint8_t  loadflags;		/* 0x211 */
	uint16_t setup_move_size;	/* 0x212 */
	uint32_t code32_start;		/* 0x214 */
	uint32_t ramdisk_image;		/* 0x218 */
	uint32_t ramdisk_size;		/* 0x21c */
	uint32_t bootsect_kludge;	/* 0x220 */
	uint16_t heap_end_ptr;		/* 0x224 */
	uint8_t  ext_loader_ver;	/* 0x226 */
	uint8_t  ext_loader_type;	/* 0x227 */
	uint32_t cmd_line_ptr;		/* 0x228 */
	uint32_t initrd_addr_max;	/* 0x22c */
	uint32_t kernel_alignment;	/* 0x230 */
	uint8_t  relocatable_kernel;	/* 0x234 */
	uint8_t  min_alignment;		/* 0x235 */
	uint16_t xloadflags;		/* 0x236 */
	uint32_t cmdline_size;		/* 0x238 */
	uint32_t hardware_subarch;	/* 0x23c */
	uint64_t hardware_subarch_data;	/* 0x240 */
	uint32_t payload_offset;	/* 0x248 */
	uint32_t payload_length;	/* 0x24c */
	uint64_t setup_data;		/* 0x250 */
	uint64_t pref_address;		/* 0x258 */
	uint32_t init_size;		/* 0x260 */
	uint32_t handover_offset;	/* 0x264 */
	uint32_t kernel_info_offset;	/* 0x268 */
} __attribute__((packed));

struct boot_params {
	uint8_t  _pad_0x000[0x070];		/* screen, APM, IST, ... */
	uint64_t acpi_rsdp_addr;		/* 0x070 (protocol 2.14) */
	uint8_t  _pad_0x078[0x048];
	uint32_t ext_ramdisk_image;		/* 0x0c0 */
	uint32_t ext_ramdisk_size;		/* 0x0c4 */
	uint32_t ext_cmd_line_ptr;		/* 0x0c8 */
	uint8_t  _pad_0x0cc[0x1e8 - 0x0cc];	/* CC blob, EDID, EFI, ... */
	uint8_t  e820_entries;			/* 0x1e8 */
	uint8_t  _pad_0x1e9[0x1ef - 0x1e9];	/* EDD counts, kbd, secure boot */
	uint8_t  sentinel;			/* 0x1ef: must stay 0 */
	uint8_t  _pad_0x1f0;			/* 0x1f0 */
	struct boot_setup_header hdr;		/* 0x1f1 */
	uint8_t  _pad_0x26c[0x2d0 - 0x26c];	/* EDD MBR signatures */
	struct boot_e820_entry e820_table[BOOT_E820_MAX];	/* 0x2d0 */
	uint8_t  _pad_0xcd0[0x1000 - 0xcd0];	/* EDD info */
} __attribute__((packed));

#define BP_OFF(f) __builtin_offsetof(struct boot_params, f)
_Static_assert(sizeof(struct boot_params) == 4096, "zero page is 4 KiB");
_Static_assert(BP_OFF(ext_ramdisk_image) == 0x0c0, "ext_ramdisk_image");
_Static_assert(BP_OFF(ext_ramdisk_size) == 0x0c4, "ext_ramdisk_size");
_Static_assert(BP_OFF(ext_cmd_line_ptr) == 0x0c8, "ext_cmd_line_ptr");
_Static_assert(BP_OFF(e820_entries) == 0x1e8, "e820_entries");
_Static_assert(BP_OFF(sentinel) == 0x1ef, "sentinel");
_Static_assert(BP_OFF(hdr) == 0x1f1, "hdr");
_Static_assert(BP_OFF(hdr.boot_flag) == 0x1fe, "boot_flag");
_Static_assert(BP_OFF(hdr.header) == 0x202, "header");
_Static_assert(BP_OFF(hdr.type_of_loader) == 0x210, "type_of_loader");
_Static_assert(BP_OFF(hdr.loadflags) == 0x211, "loadflags");
_Static_assert(BP_OFF(hdr.ramdisk_image) == 0x218, "ramdisk_image");
_Static_assert(BP_OFF(hdr.ramdisk_size) == 0x21c, "ramdisk_size");
_Static_assert(BP_OFF(hdr.heap_end_ptr) == 0x224, "heap_end_ptr");
_Static_assert(BP_OFF(hdr.cmd_line_ptr) == 0x228, "cmd_line_ptr");
_Static_assert(BP_OFF(hdr.initrd_addr_max) == 0x22c, "initrd_addr_max");
_Static_assert(BP_OFF(hdr.xloadflags) == 0x236, "xloadflags");
_Static_assert(BP_OFF(hdr.cmdline_size) == 0x238, "cmdline_size");
_Static_assert(BP_OFF(hdr.pref_address) == 0x258, "pref_address");
_Static_assert(BP_OFF(hdr.init_size) == 0x260, "init_size");
_Static_assert(BP_OFF(hdr.kernel_info_offset) == 0x268, "kernel_info_offset");
_Static_assert(sizeof(struct boot_setup_header) == 0x26c - 0x1f1, "setup header");
_Static_assert(BP_OFF(e820_table) == 0x2d0, "e820_table");
_Static_assert(BP_OFF(e820_table[1]) == 0x2d0 + 20, "e820 entry stride");

/* type_of_loader: 0xFF, "undefined" (no assigned boot loader ID). */
#define BOOT_LOADER_TYPE_UNDEFINED	0xff

/*
 * heap_end_ptr: the end of the setup heap, from the start of the real-mode
 * code, minus 0x200.  The setup code never runs on a 64-bit entry; the
 * usual "whole 64 KiB segment" value is given for consistency.
 */
#define BOOT_HEAP_END_PTR		0xfe00

/* What the caller decided about the guest; see bootparams_build(). */
struct boot_params_config {
	const struct boot_mem_range *mem;	/* guest memory map */
	size_t nr_mem;
	uint64_t cmdline_addr;			/* guest-physical */
	const char *cmdline;			/* NUL-terminated; NULL = "" */
	uint64_t initrd_addr;			/* guest-physical, page aligned */
	uint64_t initrd_size;			/* 0 = no initrd */
};

/*
 * Builds *bp from the image (buf, len) that bzimage_parse() described in
 * *info: a zeroed page, the setup header copied from [0x1F1, hdr_end),
 * then type_of_loader, loadflags (CAN_USE_HEAP set, KEEP_SEGMENTS and
 * QUIET cleared), heap_end_ptr, cmd_line_ptr, ramdisk_image/size (each
 * with its ext_ high half) and the e820 table.
 *
 * Checks: the command line fits cmdline_size (-E2BIG), its buffer is in
 * RAM (-EINVAL); the initrd lies in RAM (-EINVAL), ends at or below
 * initrd_addr_max (-E2BIG), and is page aligned (-EINVAL); the map is
 * valid (boot_e820_build()'s errors).  *reason (if not NULL) says which.
 * On error *bp is left zeroed.
 */
int bootparams_build(struct boot_params *bp, const void *buf, size_t len,
		     const struct bzimage_info *info,
		     const struct boot_params_config *cfg, const char **reason);

/*
 * The highest page-aligned address for an initrd of `size` bytes in RAM
 * of map (as built by boot_e820_build()) at or above min_addr, ending at
 * or below min(initrd_addr_max + 1, limit).  0 / -E2BIG / -ENOSPC.
 */
int bootparams_place_initrd(const struct boot_e820_entry *map, size_t n,
			    const struct bzimage_info *info, uint64_t size,
			    uint64_t min_addr, uint64_t limit, uint64_t *addr,
			    const char **reason);

#endif
