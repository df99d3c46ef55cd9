// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * boot/fwboot.c - a bzImage laid out for the firmware's Linux boot ROM
 * (see fwboot.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "boot/bootparams.h"
#include "boot/e820.h"
#include "boot/fwboot.h"

static int bad(struct fwboot *fb, const char **reason, const char *why, int err)
{
	free(fb->setup);
	memset(fb, 0, sizeof(*fb));
	if (reason)
		*reason = why;
	return err;
}

int fwboot_prepare(const void *buf, size_t len, uint64_t initrd_size,
		   const char *cmdline, uint64_t low_ram, struct fwboot *fb,
		   const char **reason)
{
	struct boot_setup_header h;
	struct boot_e820_entry ram;
	uint64_t kernel_end, top, addr = 0;
	int ret;

	if (!fb)
		return -EINVAL;
	memset(fb, 0, sizeof(*fb));
	if (!buf)
		return bad(fb, reason, "missing argument", -EINVAL);
	if (!cmdline)
		cmdline = "";
	ret = bzimage_parse(buf, len, &fb->info, reason);
	if (ret) {
		memset(fb, 0, sizeof(*fb));
		return ret;
	}
	/* boot.rst "Memory layout": setup code and boot sector within X..X+0x8000. */
	fb->setup_len = fb->info.kernel_offset;
	if (fb->setup_len > FWBOOT_SETUP_MAX)
		return bad(fb, reason, "setup part larger than 32 KiB (setup_sects)", -ENOEXEC);
	if (fb->info.load_addr < FWBOOT_KERNEL_ADDR)
		return bad(fb, reason, "kernel load address inside the first MiB", -ENOEXEC);
	fb->cmdline_len = strnlen(cmdline, (size_t)fb->info.cmdline_size + 1);
	if (fb->cmdline_len > fb->info.cmdline_size)
		return bad(fb, reason, "command line longer than the kernel's cmdline_size", -E2BIG);
	if (fb->cmdline_len + 1 > FWBOOT_CMDLINE_MAX)
		return bad(fb, reason, "command line longer than its low-memory slot", -E2BIG);

	/*
	 * The protected-mode part goes to 1 MiB; the decompressor then
	 * needs [load_addr, load_addr + init_size) (boot.rst: init_size),
	 * so the initrd goes above both, below the firmware's tables.
	 */
	fb->kernel = (const uint8_t *)buf + fb->info.kernel_offset;
	fb->kernel_len = fb->info.kernel_size;
	kernel_end = FWBOOT_KERNEL_ADDR + (uint64_t)fb->kernel_len;
	if (kernel_end < fb->info.load_addr + fb->info.init_size)
		kernel_end = fb->info.load_addr + fb->info.init_size;
	kernel_end = (kernel_end + 4095) & ~(uint64_t)4095;
	top = low_ram > FWBOOT_TOP_RESERVE ? low_ram - FWBOOT_TOP_RESERVE : 0;
	if (kernel_end > top)
		return bad(fb, reason, "guest RAM below 4 GiB too small for the kernel's init_size",
			   -ENOMEM);
	if (initrd_size) {
		if (initrd_size > UINT32_MAX)
			return bad(fb, reason, "initrd of 4 GiB or more", -E2BIG);
		ram = (struct boot_e820_entry){ FWBOOT_KERNEL_ADDR, top - FWBOOT_KERNEL_ADDR,
						BOOT_E820_RAM };
		ret = bootparams_place_initrd(&ram, 1, &fb->info, initrd_size, kernel_end, top,
					      &addr, reason);
		/* Either way the initrd does not fit where the kernel can reach it. */
		if (ret)
			return bad(fb, reason, "initrd larger than the RAM between the kernel "
				   "and initrd_addr_max (or the firmware's tables below 4 GiB)",
				   -E2BIG);
		fb->initrd_addr = (uint32_t)addr;
		fb->initrd_size = (uint32_t)initrd_size;
	}

	fb->setup = malloc(fb->setup_len);
	if (!fb->setup)
		return bad(fb, reason, "out of memory", -ENOMEM);
	memcpy(fb->setup, buf, fb->setup_len);
	memcpy(&h, fb->setup + BZ_OFF_SETUP_SECTS, sizeof(h));
	/* boot.rst "Details of header fields": the fields a boot loader writes. */
	h.type_of_loader = BOOT_LOADER_TYPE_UNDEFINED;
	h.loadflags |= BZ_CAN_USE_HEAP;
	/* The heap ends where the command line starts, from the setup's 0x200. */
	h.heap_end_ptr = (uint16_t)(FWBOOT_CMDLINE_ADDR - FWBOOT_SETUP_ADDR - 0x200);
	h.cmd_line_ptr = FWBOOT_CMDLINE_ADDR;
	h.ramdisk_image = fb->initrd_addr;
	h.ramdisk_size = fb->initrd_size;
	/* Only the bytes the header really has (up to hdr_end) are written. */
	memcpy(fb->setup + BZ_OFF_SETUP_SECTS, &h, fb->info.hdr_end - BZ_OFF_SETUP_SECTS);
	return 0;
}

void fwboot_free(struct fwboot *fb)
{
	if (!fb)
		return;
	free(fb->setup);
	memset(fb, 0, sizeof(*fb));
}
