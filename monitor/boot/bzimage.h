/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * boot/bzimage.h - parse a Linux x86 bzImage for a 64-bit direct boot.
 *
 * The file is a real-mode setup part ((setup_sects + 1) 512-byte sectors,
 * holding the "setup header" at 0x1F1) followed by the protected-mode
 * kernel.  A VMM that enters the kernel at its 64-bit entry point (the
 * "64-bit boot protocol" of the kernel's Documentation/arch/x86/boot.rst)
 * never runs the setup code: it copies the setup header into the zero page
 * (boot/bootparams.h), loads the protected-mode part at the load address
 * and jumps to load address + 0x200 (startup_64).
 *
 * The image comes from the user, so every field is treated as hostile:
 * each offset and length is checked against the buffer before it is used.
 * A malformed image is -ENOEXEC with a static reason string.
 *
 * Plain C, no GLib: tested on the host (tests/boot/bzimage-test.c).
 */
#ifndef VMAIN_MONITOR_BOOT_BZIMAGE_H
#define VMAIN_MONITOR_BOOT_BZIMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Offsets of setup header fields in the file (and in the zero page). */
#define BZ_OFF_SETUP_SECTS	0x1f1
#define BZ_OFF_SYSSIZE		0x1f4
#define BZ_OFF_BOOT_FLAG	0x1fe
#define BZ_OFF_JUMP		0x200
#define BZ_OFF_HEADER		0x202
#define BZ_OFF_VERSION		0x206
#define BZ_OFF_LOADFLAGS	0x211
#define BZ_OFF_INITRD_ADDR_MAX	0x22c
#define BZ_OFF_KERNEL_ALIGN	0x230
#define BZ_OFF_RELOCATABLE	0x234
#define BZ_OFF_XLOADFLAGS	0x236
#define BZ_OFF_CMDLINE_SIZE	0x238
#define BZ_OFF_PREF_ADDRESS	0x258
#define BZ_OFF_INIT_SIZE	0x260
/* The last field this parser reads ends here (init_size, protocol 2.10). */
#define BZ_HDR_MIN_END		0x264
/* The zero page's room for the setup header ends here (bootparam.h). */
#define BZ_HDR_MAX_END		0x290

#define BZ_BOOT_FLAG		0xaa55
#define BZ_HDRS_MAGIC		0x53726448u	/* "HdrS", little endian */
#define BZ_MIN_VERSION		0x020c		/* 2.12: xloadflags */

/* loadflags (0x211) */
#define BZ_LOADED_HIGH		0x01
#define BZ_KASLR_FLAG		0x02
#define BZ_QUIET_FLAG		0x20
#define BZ_KEEP_SEGMENTS	0x40
#define BZ_CAN_USE_HEAP		0x80

/* xloadflags (0x236) */
#define BZ_XLF_KERNEL_64		0x0001
#define BZ_XLF_CAN_BE_LOADED_ABOVE_4G	0x0002

/* The 64-bit entry point is this far into the protected-mode kernel. */
#define BZ_ENTRY64_OFFSET	0x200

struct bzimage_info {
	uint16_t version;		/* protocol, 0x020c or later */
	unsigned setup_sects;		/* effective: 0 in the file means 4 */
	size_t hdr_end;			/* 0x202 + the jump's offset: the header
					 * bytes to copy are [0x1f1, hdr_end) */
	size_t kernel_offset;		/* protected-mode kernel in the file */
	size_t kernel_size;		/* syssize * 16 (trailing data, e.g. a
					 * signature, is not part of it) */
	uint8_t loadflags;
	uint16_t xloadflags;
	bool relocatable;
	uint32_t kernel_alignment;	/* power of two when relocatable */
	uint64_t pref_address;
	uint64_t load_addr;		/* where to put the kernel */
	uint64_t entry64;		/* load_addr + 0x200 (startup_64) */
	uint32_t init_size;		/* bytes needed from load_addr on */
	uint32_t cmdline_size;		/* max cmdline length, without NUL */
	uint32_t initrd_addr_max;	/* highest byte an initrd may occupy */
};

/*
 * Parses the bzImage in buf[0, len).  Returns 0 and fills *info, or
 * -ENOEXEC (not a usable 64-bit bzImage: truncated, bad magic, protocol
 * older than 2.12, no 64-bit entry, inconsistent sizes) or -EINVAL (NULL
 * arguments); *reason (if not NULL) then names the problem.  Never reads
 * outside buf[0, len).
 */
int bzimage_parse(const void *buf, size_t len, struct bzimage_info *info,
		  const char **reason);

#endif
