/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * boot/fwboot.h - a bzImage prepared for a boot through the firmware:
 * --kernel under --firmware seabios.
 *
 * The firmware runs an option ROM (Debian's linuxboot_dma.bin, from QEMU)
 * that reads the kernel's pieces from fw_cfg's legacy items (QEMU's
 * docs/specs/fw_cfg.rst; machine/fwcfg.c adds them) to the addresses
 * given there and enters the real-mode setup code at the 16-bit entry of
 * the Linux boot protocol (Documentation/arch/x86/boot.rst, "Running the
 * Kernel": CS = setup segment + 0x20, IP 0).  The setup code then asks
 * the BIOS for the memory map, EDD and video, switches to protected mode
 * and jumps to the protected-mode kernel at 1 MiB.
 *
 * This file decides the layout and patches the setup header the setup
 * code reads: the real-mode part at 0x10000 (boot.rst "Memory layout":
 * at most 32 KiB of setup, then its stack and heap up to 0x20000), the
 * command line at 0x20000, the protected-mode kernel at 1 MiB and the
 * initrd as high as initrd_addr_max and the firmware's tables allow.
 * The image is parsed by bzimage_parse() (boot/bzimage.h), as for the
 * direct boot.
 *
 * Plain C, no GLib (tests/boot/fwboot-test.c).
 */
#ifndef VMAIN_MONITOR_BOOT_FWBOOT_H
#define VMAIN_MONITOR_BOOT_FWBOOT_H

#include <stddef.h>
#include <stdint.h>

#include "boot/bzimage.h"

#define FWBOOT_SETUP_ADDR	0x10000u	/* the real-mode part ("X") */
#define FWBOOT_SETUP_MAX	0x8000u		/* X .. X+0x8000: setup */
#define FWBOOT_CMDLINE_ADDR	0x20000u	/* X+0x10000: the command line */
#define FWBOOT_CMDLINE_MAX	0x10000u	/* with its NUL, below 0x30000 */
#define FWBOOT_KERNEL_ADDR	0x100000u	/* code32_start of a bzImage */
/*
 * Kept free at the top of the RAM below 4 GiB: SeaBIOS puts its high
 * tables (ACPI, SMBIOS, its own; up to 256 KiB, BUILD_MAX_HIGHTABLE in
 * its src/config.h) there before the option ROM loads the initrd.
 */
#define FWBOOT_TOP_RESERVE	0x100000u

struct fwboot {
	struct bzimage_info info;
	uint8_t *setup;			/* malloc()ed copy, header patched */
	size_t setup_len;		/* (setup_sects + 1) * 512 */
	const uint8_t *kernel;		/* into the image: not a copy */
	size_t kernel_len;
	uint32_t initrd_addr;		/* 0 without an initrd */
	uint32_t initrd_size;
	size_t cmdline_len;		/* without the NUL */
};

/*
 * Prepares the image (buf, len) with an initrd of initrd_size bytes (0:
 * none) and `cmdline` (NULL: "") for a machine whose RAM below 4 GiB
 * ends at low_ram.  The setup header in fb->setup gets type_of_loader
 * (undefined), CAN_USE_HEAP with heap_end_ptr (the heap up to the command
 * line), cmd_line_ptr, ramdisk_image and ramdisk_size.
 *
 * Errors, with *reason (if not NULL) saying which: bzimage_parse()'s;
 * -ENOEXEC (setup part over 32 KiB); -E2BIG (command line over
 * cmdline_size, initrd over 4 GiB or larger than the RAM between the
 * kernel and min(initrd_addr_max, low_ram - FWBOOT_TOP_RESERVE));
 * -ENOMEM (RAM too small for the kernel's init_size); -EINVAL (NULL
 * arguments).  On error *fb is zeroed and holds nothing.
 */
int fwboot_prepare(const void *buf, size_t len, uint64_t initrd_size,
		   const char *cmdline, uint64_t low_ram, struct fwboot *fb,
		   const char **reason);
void fwboot_free(struct fwboot *fb);

#endif
