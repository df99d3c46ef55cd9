// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * boot/bootparams.c - fill the zero page for the 64-bit boot protocol
 * (the kernel's Documentation/arch/x86/boot.rst: "Loading the rest of the
 * kernel", "64-bit boot protocol", and the field notes for each header
 * entry the loader writes).
 */
#include <errno.h>
#include <string.h>

#include "boot/bootparams.h"

#define PAGE_SIZE_4K	4096u

static int bad(const char **reason, const char *why, int err)
{
	if (reason)
		*reason = why;
	return err;
}

int bootparams_place_initrd(const struct boot_e820_entry *map, size_t n,
			    const struct bzimage_info *info, uint64_t size,
			    uint64_t min_addr, uint64_t limit, uint64_t *addr,
			    const char **reason)
{
	/* initrd_addr_max is the highest byte the initrd may occupy. */
	uint64_t max_end = (uint64_t)info->initrd_addr_max + 1;

	if (size == 0)
		return bad(reason, "initrd of size 0", -EINVAL);
	if (limit > max_end)
		limit = max_end;
	if (size > limit)
		return bad(reason, "initrd larger than the memory below initrd_addr_max", -E2BIG);
	if (boot_e820_place_high(map, n, size, PAGE_SIZE_4K, min_addr, limit, addr))
		return bad(reason, "no RAM range below initrd_addr_max holds the initrd", -ENOSPC);
	return 0;
}

static int build(struct boot_params *bp, const uint8_t *img, size_t len,
		 const struct bzimage_info *info,
		 const struct boot_params_config *cfg, const char **reason)
{
	const char *cmdline = cfg->cmdline ? cfg->cmdline : "";
	struct boot_e820_entry *map = bp->e820_table;
	size_t cmdlen, nr;
	int ret;

	/*
	 * Only the setup header comes from the image, into an otherwise
	 * zero page: the bytes from 0x1F1 to the end of the header (the
	 * jump's target at 0x202 + byte 0x201).  The sentinel at 0x1EF thus
	 * stays 0, telling the kernel the rest of the page is trustworthy.
	 */
	if (info->hdr_end > len || info->hdr_end > BZ_HDR_MAX_END ||
	    info->hdr_end < BZ_HDR_MIN_END)
		return bad(reason, "image does not match its parsed description", -EINVAL);
	memcpy((uint8_t *)bp + BZ_OFF_SETUP_SECTS, img + BZ_OFF_SETUP_SECTS,
	       info->hdr_end - BZ_OFF_SETUP_SECTS);

	ret = boot_e820_build(cfg->mem, cfg->nr_mem, map, BOOT_E820_MAX, &nr, reason);
	if (ret)
		return ret;
	bp->e820_entries = (uint8_t)nr;

	/* The command line: at most cmdline_size bytes plus the NUL. */
	cmdlen = strnlen(cmdline, (size_t)info->cmdline_size + 1);
	if (cmdlen > info->cmdline_size)
		return bad(reason, "command line longer than the kernel's cmdline_size", -E2BIG);
	if (!boot_e820_is_ram(map, nr, cfg->cmdline_addr, cmdlen + 1))
		return bad(reason, "command line buffer is not in guest RAM", -EINVAL);

	if (cfg->initrd_size) {
		if (cfg->initrd_addr & (PAGE_SIZE_4K - 1))
			return bad(reason, "initrd is not page aligned", -EINVAL);
		if (!boot_e820_is_ram(map, nr, cfg->initrd_addr, cfg->initrd_size))
			return bad(reason, "initrd is not in guest RAM", -EINVAL);
		if (cfg->initrd_addr + (cfg->initrd_size - 1) > info->initrd_addr_max)
			return bad(reason, "initrd ends above the kernel's initrd_addr_max", -E2BIG);
	}

	bp->hdr.type_of_loader = BOOT_LOADER_TYPE_UNDEFINED;
	bp->hdr.ext_loader_ver = 0;
	bp->hdr.ext_loader_type = 0;
	/*
	 * CAN_USE_HEAP: heap_end_ptr is valid.  KEEP_SEGMENTS is a 32-bit
	 * entry matter; QUIET is the user's choice, off by default.
	 */
	bp->hdr.loadflags = (uint8_t)((bp->hdr.loadflags | BZ_CAN_USE_HEAP) &
				      ~(BZ_KEEP_SEGMENTS | BZ_QUIET_FLAG));
	bp->hdr.heap_end_ptr = BOOT_HEAP_END_PTR;

	bp->hdr.cmd_line_ptr = (uint32_t)cfg->cmdline_addr;
	bp->ext_cmd_line_ptr = (uint32_t)(cfg->cmdline_addr >> 32);

	bp->hdr.ramdisk_image = (uint32_t)cfg->initrd_addr;
	bp->ext_ramdisk_image = (uint32_t)(cfg->initrd_addr >> 32);
	bp->hdr.ramdisk_size = (uint32_t)cfg->initrd_size;
	bp->ext_ramdisk_size = (uint32_t)(cfg->initrd_size >> 32);
	if (!cfg->initrd_size) {
		bp->hdr.ramdisk_image = 0;
		bp->ext_ramdisk_image = 0;
	}
	return 0;
}

int bootparams_build(struct boot_params *bp, const void *buf, size_t len,
		     const struct bzimage_info *info,
		     const struct boot_params_config *cfg, const char **reason)
{
	int ret;

	if (!bp || !buf || !info || !cfg)
		return bad(reason, "missing argument", -EINVAL);
	memset(bp, 0, sizeof(*bp));
	ret = build(bp, buf, len, info, cfg, reason);
	if (ret)
		memset(bp, 0, sizeof(*bp));
	return ret;
}
