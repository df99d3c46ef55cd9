// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * boot/bzimage.c - parse and validate a bzImage's setup header for the
 * 64-bit boot protocol.  Field meanings follow the kernel's
 * Documentation/arch/x86/boot.rst ("The real-mode kernel header" and
 * "64-bit boot protocol"); the layout is that of struct setup_header in
 * arch/x86/include/uapi/asm/bootparam.h.
 */
#include <errno.h>
#include <string.h>

#include "boot/bzimage.h"

static uint16_t get16(const uint8_t *p, size_t off)
{
	return (uint16_t)(p[off] | p[off + 1] << 8);
}

static uint32_t get32(const uint8_t *p, size_t off)
{
	return (uint32_t)get16(p, off) | (uint32_t)get16(p, off + 2) << 16;
}

static uint64_t get64(const uint8_t *p, size_t off)
{
	return (uint64_t)get32(p, off) | (uint64_t)get32(p, off + 4) << 32;
}

static int fail(const char **reason, const char *why)
{
	if (reason)
		*reason = why;
	return -ENOEXEC;
}

int bzimage_parse(const void *buf, size_t len, struct bzimage_info *info,
		  const char **reason)
{
	const uint8_t *p = buf;
	struct bzimage_info bi;
	size_t setup_size;
	uint64_t kernel_size;

	if (!buf || !info) {
		if (reason)
			*reason = "no image buffer or result";
		return -EINVAL;
	}
	memset(&bi, 0, sizeof(bi));

	/*
	 * Everything up to init_size must be in the file before any field is
	 * read; the setup part proper (checked below) is longer still.
	 */
	if (len < BZ_HDR_MIN_END)
		return fail(reason, "file too short for a setup header");
	if (get16(p, BZ_OFF_BOOT_FLAG) != BZ_BOOT_FLAG)
		return fail(reason, "no 0xAA55 boot flag at 0x1FE");
	if (get32(p, BZ_OFF_HEADER) != BZ_HDRS_MAGIC)
		return fail(reason, "no \"HdrS\" magic at 0x202 (not a bzImage, or protocol before 2.00)");
	bi.version = get16(p, BZ_OFF_VERSION);
	if (bi.version < BZ_MIN_VERSION)
		return fail(reason, "boot protocol older than 2.12 (no xloadflags, no 64-bit entry)");

	/*
	 * 0x200 holds a short jump (EB xx) over the header; the header is
	 * the bytes from 0x1F1 up to the jump's target (boot.rst, "Loading
	 * the rest of the kernel": the copy ends at 0x0202 + byte 0x0201).
	 */
	if (p[BZ_OFF_JUMP] != 0xeb)
		return fail(reason, "no short jump at 0x200");
	bi.hdr_end = BZ_OFF_HEADER + (size_t)p[BZ_OFF_JUMP + 1];
	if (bi.hdr_end < BZ_HDR_MIN_END)
		return fail(reason, "setup header ends before init_size (jump at 0x200 too short)");
	if (bi.hdr_end > BZ_HDR_MAX_END)
		return fail(reason, "setup header runs past 0x290 (jump at 0x200 too long)");

	bi.setup_sects = p[BZ_OFF_SETUP_SECTS];
	if (bi.setup_sects == 0)
		bi.setup_sects = 4;	/* boot.rst: "0 means 4" */
	setup_size = ((size_t)bi.setup_sects + 1) * 512;
	if (setup_size > len)
		return fail(reason, "file shorter than its setup part (setup_sects)");

	/* syssize: the protected-mode part in 16-byte units (32 bits since 2.04). */
	kernel_size = (uint64_t)get32(p, BZ_OFF_SYSSIZE) * 16;
	if (kernel_size == 0)
		return fail(reason, "syssize is 0 (no protected-mode kernel)");
	if (kernel_size > len - setup_size)
		return fail(reason, "file shorter than setup part + syssize (truncated)");
	if (kernel_size <= BZ_ENTRY64_OFFSET)
		return fail(reason, "protected-mode kernel too small to hold the 64-bit entry");
	bi.kernel_offset = setup_size;
	bi.kernel_size = (size_t)kernel_size;

	bi.loadflags = p[BZ_OFF_LOADFLAGS];
	if (!(bi.loadflags & BZ_LOADED_HIGH))
		return fail(reason, "zImage (loaded at 0x10000), not a bzImage");
	bi.xloadflags = get16(p, BZ_OFF_XLOADFLAGS);
	if (!(bi.xloadflags & BZ_XLF_KERNEL_64))
		return fail(reason, "no 64-bit entry point (XLF_KERNEL_64 clear: a 32-bit kernel)");

	bi.relocatable = p[BZ_OFF_RELOCATABLE] != 0;
	bi.kernel_alignment = get32(p, BZ_OFF_KERNEL_ALIGN);
	bi.pref_address = get64(p, BZ_OFF_PREF_ADDRESS);
	bi.init_size = get32(p, BZ_OFF_INIT_SIZE);
	bi.cmdline_size = get32(p, BZ_OFF_CMDLINE_SIZE);
	bi.initrd_addr_max = get32(p, BZ_OFF_INITRD_ADDR_MAX);

	/*
	 * Load address: pref_address.  A non-relocatable kernel must go
	 * exactly there; a relocatable one may go anywhere kernel_alignment
	 * allows, so an unaligned pref_address is rounded up.
	 */
	bi.load_addr = bi.pref_address;
	if (bi.relocatable) {
		uint64_t a = bi.kernel_alignment;

		if (a == 0 || (a & (a - 1)))
			return fail(reason, "kernel_alignment is not a power of two");
		if (bi.load_addr > UINT64_MAX - (a - 1))
			return fail(reason, "pref_address overflows when aligned");
		bi.load_addr = (bi.load_addr + a - 1) & ~(a - 1);
	}
	if (bi.load_addr == 0)
		return fail(reason, "load address (pref_address) is 0");
	if (bi.init_size < bi.kernel_size)
		return fail(reason, "init_size smaller than the protected-mode kernel");
	if (bi.load_addr > UINT64_MAX - bi.init_size)
		return fail(reason, "load address + init_size overflows");
	bi.entry64 = bi.load_addr + BZ_ENTRY64_OFFSET;
	if (bi.cmdline_size == 0)
		return fail(reason, "cmdline_size is 0");

	*info = bi;
	return 0;
}
