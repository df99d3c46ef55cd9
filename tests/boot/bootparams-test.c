// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bootparams-test.c - the e820 map (monitor/boot/e820.c) and the zero page
 * (monitor/boot/bootparams.c): sorting, merging and overlap errors; the
 * setup header copy; command line and initrd checks; initrd placement.
 * TAP lines without a plan (tests/lib/tap.h).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "boot/bootparams.h"

#define MiB (1ull << 20)
#define GiB (1ull << 30)
#define IMG_LEN (4 * 512 + 0x1000)

static void put16(uint8_t *p, size_t off, uint16_t v)
{
	p[off] = (uint8_t)v;
	p[off + 1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, size_t off, uint32_t v)
{
	put16(p, off, (uint16_t)v);
	put16(p, off + 2, (uint16_t)(v >> 16));
}

static uint8_t img[IMG_LEN];

static void make_image(struct bzimage_info *bi)
{
	const char *why = NULL;
	size_t i;

	memset(img, 0, sizeof(img));
	/* fill the header area with a pattern to see exactly what is copied */
	for (i = 0x1e0; i < 0x300; i++)
		img[i] = (uint8_t)(i * 3 + 1);
	img[0x1f1] = 3;
	put32(img, 0x1f4, 0x100);
	put16(img, 0x1fe, 0xaa55);
	img[0x200] = 0xeb;
	img[0x201] = 0x6a;
	put32(img, 0x202, 0x53726448);
	put16(img, 0x206, 0x020f);
	img[0x210] = 0;
	img[0x211] = 0x01 | 0x40 | 0x20;	/* LOADED_HIGH, KEEP_SEGMENTS, QUIET */
	put32(img, 0x218, 0xdeadbeef);		/* must be overwritten */
	put32(img, 0x22c, 0x7fffffff);
	put32(img, 0x230, 0x200000);
	img[0x234] = 1;
	put16(img, 0x236, 0x0001);
	put32(img, 0x238, 15);			/* cmdline_size */
	put32(img, 0x258, 0x1000000);
	put32(img, 0x25c, 0);
	put32(img, 0x260, 0x200000);
	if (bzimage_parse(img, sizeof(img), bi, &why))
		tap_diag("bzimage_parse: %s", why);
}

static void test_e820(void)
{
	struct boot_e820_entry out[BOOT_E820_MAX];
	const char *why;
	size_t n = 0, i;
	int ret;

	{
		/* out of order, with touching RAM pieces and a reserved hole */
		struct boot_mem_range in[] = {
			{ 16 * MiB, 16 * MiB, BOOT_E820_RAM },
			{ 0, 0x9fc00, BOOT_E820_RAM },
			{ 1 * MiB, 15 * MiB, BOOT_E820_RAM },
			{ 0x9fc00, 0x100000 - 0x9fc00, BOOT_E820_RESERVED },
			{ 4 * GiB, 1 * GiB, BOOT_E820_RAM },
			{ 32 * MiB, 32 * MiB, BOOT_E820_RAM },
		};

		ret = boot_e820_build(in, 6, out, BOOT_E820_MAX, &n, &why);
		tap_ok(ret == 0 && n == 4, "6 ranges sort and merge into 4 (%zu)", n);
		tap_ok(out[0].addr == 0 && out[0].size == 0x9fc00 && out[0].type == 1 &&
		       out[1].addr == 0x9fc00 && out[1].type == 2 &&
		       out[2].addr == MiB && out[2].size == 63 * MiB && out[2].type == 1 &&
		       out[3].addr == 4 * GiB && out[3].size == GiB,
		       "merged map: low RAM, reserved, 1..64 MiB RAM, 4..5 GiB RAM");
		tap_ok(boot_e820_is_ram(out, n, 0, 0x9fc00) &&
		       !boot_e820_is_ram(out, n, 0x9f000, 0x1000) &&
		       boot_e820_is_ram(out, n, MiB, 63 * MiB) &&
		       !boot_e820_is_ram(out, n, MiB, 63 * MiB + 1) &&
		       !boot_e820_is_ram(out, n, 64 * MiB, 4096) &&
		       !boot_e820_is_ram(out, n, MiB, 0),
		       "boot_e820_is_ram: inside, across reserved, past the end, size 0");
	}
	{
		/* a range merging with both neighbours */
		struct boot_mem_range in[] = {
			{ 0, MiB, BOOT_E820_RAM },
			{ 2 * MiB, MiB, BOOT_E820_RAM },
			{ MiB, MiB, BOOT_E820_RAM },
		};

		ret = boot_e820_build(in, 3, out, BOOT_E820_MAX, &n, &why);
		tap_ok(ret == 0 && n == 1 && out[0].addr == 0 && out[0].size == 3 * MiB,
		       "a middle piece joins both neighbours");
	}
	{
		struct boot_mem_range in[] = {
			{ 0, MiB, BOOT_E820_RAM },
			{ MiB, MiB, BOOT_E820_RESERVED },
		};

		ret = boot_e820_build(in, 2, out, BOOT_E820_MAX, &n, &why);
		tap_ok(ret == 0 && n == 2, "touching ranges of different types stay apart");
	}
	{
		static const struct {
			const char *what;
			struct boot_mem_range in[2];
			size_t n;
		} bad[] = {
			{ "overlap", { { 0, 2 * MiB, 1 }, { MiB, 2 * MiB, 1 } }, 2 },
			{ "overlap, reversed", { { MiB, 2 * MiB, 1 }, { 0, 2 * MiB, 1 } }, 2 },
			{ "same start", { { MiB, 1, 1 }, { MiB, 1, 2 } }, 2 },
			{ "one inside another", { { 0, 8 * MiB, 2 }, { MiB, MiB, 1 } }, 2 },
			{ "size 0", { { MiB, 0, 1 } }, 1 },
			{ "wraps past 2^64", { { UINT64_MAX - 10, 12, 1 } }, 1 },
			{ "unknown type 0", { { 0, MiB, 0 } }, 1 },
			{ "unknown type 6", { { 0, MiB, 6 } }, 1 },
			{ "no ranges", { { 0, 0, 0 } }, 0 },
		};

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			why = NULL;
			ret = boot_e820_build(bad[i].in, bad[i].n, out, BOOT_E820_MAX, &n, &why);
			tap_ok(ret == -EINVAL && why, "e820 %s: -EINVAL", bad[i].what);
		}
	}
	{
		/* a range ending exactly at 2^64 is fine */
		struct boot_mem_range in[] = { { UINT64_MAX - 4095, 4096, 2 } };

		tap_ok(boot_e820_build(in, 1, out, BOOT_E820_MAX, &n, &why) == 0,
		       "range ending at 2^64 accepted");
	}
	{
		/* two halves of the 64-bit space: merging would overflow size */
		struct boot_mem_range in[] = {
			{ 1ull << 63, 1ull << 63, 1 }, { 0, 1ull << 63, 1 },
		};

		tap_ok(boot_e820_build(in, 2, out, BOOT_E820_MAX, &n, &why) == 0 && n == 2 &&
		       out[0].size == 1ull << 63 && out[1].size == 1ull << 63,
		       "ranges covering all 2^64 bytes stay two entries (no size overflow)");
		tap_ok(boot_e820_is_ram(out, n, (1ull << 63) - 4096, 8192),
		       "boot_e820_is_ram across the two halves");
	}
	{
		/* 129 separate ranges: too many; 129 touching ones: one entry */
		struct boot_mem_range in[129];

		for (i = 0; i < 129; i++)
			in[128 - i] = (struct boot_mem_range){ i * 2 * MiB, MiB, 1 };
		why = NULL;
		tap_ok(boot_e820_build(in, 129, out, BOOT_E820_MAX, &n, &why) == -E2BIG && why,
		       "129 separate ranges: -E2BIG");
		tap_ok(boot_e820_build(in, 128, out, BOOT_E820_MAX, &n, &why) == 0 && n == 128 &&
		       out[0].addr == 2 * MiB && out[127].addr == 256 * MiB,
		       "128 separate ranges, given backwards: fit, sorted");
		for (i = 0; i < 129; i++)
			in[i] = (struct boot_mem_range){ i * MiB, MiB, 1 };
		tap_ok(boot_e820_build(in, 129, out, BOOT_E820_MAX, &n, &why) == 0 && n == 1 &&
		       out[0].size == 129 * MiB, "129 touching RAM ranges: one entry");
	}
}

static const struct boot_mem_range ram[] = {
	{ 0, 0x9fc00, BOOT_E820_RAM },
	{ 0x9fc00, 0x100000 - 0x9fc00, BOOT_E820_RESERVED },
	{ MiB, 255 * MiB, BOOT_E820_RAM },
};

static void test_zero_page(void)
{
	struct boot_params_config cfg = {
		.mem = ram, .nr_mem = 3,
		.cmdline_addr = 0x20000, .cmdline = "console=ttyS0",
		.initrd_addr = 200 * MiB, .initrd_size = 12345,
	};
	struct bzimage_info bi;
	struct boot_params *bp = malloc(sizeof(*bp));
	const uint8_t *z = (const uint8_t *)bp;
	const char *why = NULL;
	size_t i, stray = 0;
	int ret;

	if (!bp)
		abort();
	make_image(&bi);
	ret = bootparams_build(bp, img, sizeof(img), &bi, &cfg, &why);
	tap_ok(ret == 0, "zero page builds");
	if (ret)
		tap_diag("  %d: %s", ret, why);

	/* header copy: [0x1f1, 0x26c) from the image, except loader fields */
	for (i = 0; i < 0x1f1; i++)
		if (z[i] && i != 0x1e8 && !(i >= 0xc0 && i < 0xcc))
			stray++;
	tap_ok(stray == 0 && bp->sentinel == 0,
	       "nothing below 0x1F1 copied from the image (sentinel 0)");
	tap_ok(memcmp(z + 0x1f1, img + 0x1f1, 0x210 - 0x1f1) == 0 &&
	       memcmp(z + 0x22c, img + 0x22c, 0x26c - 0x22c) == 0,
	       "setup header bytes copied from the image");
	for (i = 0x26c, stray = 0; i < 0x2d0; i++)
		stray += z[i] != 0;
	tap_ok(stray == 0, "nothing past the header end (0x26C) copied");
	tap_ok(bp->hdr.type_of_loader == 0xff, "type_of_loader 0xFF");
	tap_ok(bp->hdr.loadflags == (0x01 | 0x80), "loadflags: LOADED_HIGH | CAN_USE_HEAP only");
	tap_ok(bp->hdr.heap_end_ptr == 0xfe00, "heap_end_ptr 0xFE00");
	tap_ok(bp->hdr.cmd_line_ptr == 0x20000 && bp->ext_cmd_line_ptr == 0,
	       "cmd_line_ptr");
	tap_ok(bp->hdr.ramdisk_image == 200 * MiB && bp->hdr.ramdisk_size == 12345 &&
	       bp->ext_ramdisk_image == 0 && bp->ext_ramdisk_size == 0,
	       "ramdisk_image/size");
	tap_ok(bp->e820_entries == 3 && bp->e820_table[2].addr == MiB &&
	       bp->e820_table[2].size == 255 * MiB && bp->e820_table[1].type == 2,
	       "e820 table in the zero page");
	tap_ok(z[0x1e8] == 3 && z[0x2d0 + 2 * 20] == 0 && z[0x2d0 + 2 * 20 + 2] == 0x10 &&
	       z[0x2d0 + 2 * 20 + 16] == 1,
	       "e820 bytes at the ABI offsets");

	/* no initrd */
	cfg.initrd_size = 0;
	ret = bootparams_build(bp, img, sizeof(img), &bi, &cfg, &why);
	tap_ok(ret == 0 && bp->hdr.ramdisk_image == 0 && bp->hdr.ramdisk_size == 0,
	       "no initrd: ramdisk fields 0");

	/* command line: exactly cmdline_size (15) is fine, 16 is not */
	cfg.cmdline = "123456789012345";
	tap_ok(bootparams_build(bp, img, sizeof(img), &bi, &cfg, &why) == 0,
	       "command line of cmdline_size bytes accepted");
	cfg.cmdline = "1234567890123456";
	why = NULL;
	ret = bootparams_build(bp, img, sizeof(img), &bi, &cfg, &why);
	tap_ok(ret == -E2BIG && why && bp->hdr.boot_flag == 0,
	       "command line one byte over cmdline_size: -E2BIG, page zeroed");
	cfg.cmdline = NULL;
	tap_ok(bootparams_build(bp, img, sizeof(img), &bi, &cfg, &why) == 0,
	       "NULL command line means empty");
	cfg.cmdline = "x";
	cfg.cmdline_addr = 0x9fc00 - 1;
	why = NULL;
	tap_ok(bootparams_build(bp, img, sizeof(img), &bi, &cfg, &why) == -EINVAL && why,
	       "command line running into reserved memory: -EINVAL");
	cfg.cmdline_addr = 0x20000;

	/* initrd checks */
	cfg.initrd_size = 4096;
	cfg.initrd_addr = 200 * MiB + 1;
	why = NULL;
	tap_ok(bootparams_build(bp, img, sizeof(img), &bi, &cfg, &why) == -EINVAL && why,
	       "unaligned initrd: -EINVAL");
	cfg.initrd_addr = 256 * MiB - 4096;
	cfg.initrd_size = 8192;
	why = NULL;
	tap_ok(bootparams_build(bp, img, sizeof(img), &bi, &cfg, &why) == -EINVAL && why,
	       "initrd past the end of RAM: -EINVAL");
	cfg.initrd_addr = 0x9f000;
	why = NULL;
	tap_ok(bootparams_build(bp, img, sizeof(img), &bi, &cfg, &why) == -EINVAL && why,
	       "initrd over reserved memory: -EINVAL");
	put32(img, 0x22c, 100 * MiB - 1);	/* initrd_addr_max 100 MiB */
	make_image(&bi);
	put32(img, 0x22c, 100 * MiB - 1);
	bi.initrd_addr_max = 100 * MiB - 1;
	cfg.initrd_addr = 100 * MiB - 4096;
	cfg.initrd_size = 4096;
	tap_ok(bootparams_build(bp, img, sizeof(img), &bi, &cfg, &why) == 0,
	       "initrd ending exactly at initrd_addr_max accepted");
	cfg.initrd_size = 4097;
	why = NULL;
	tap_ok(bootparams_build(bp, img, sizeof(img), &bi, &cfg, &why) == -E2BIG && why,
	       "initrd crossing initrd_addr_max: -E2BIG");

	/* a bad map fails the whole page */
	{
		struct boot_mem_range over[] = { { 0, 2 * MiB, 1 }, { MiB, MiB, 2 } };

		cfg.mem = over;
		cfg.nr_mem = 2;
		cfg.initrd_size = 0;
		why = NULL;
		tap_ok(bootparams_build(bp, img, sizeof(img), &bi, &cfg, &why) == -EINVAL && why,
		       "overlapping memory map: -EINVAL");
	}
	/* a description that does not fit the buffer */
	cfg.mem = ram;
	cfg.nr_mem = 3;
	tap_ok(bootparams_build(bp, img, 0x200, &bi, &cfg, &why) == -EINVAL,
	       "image shorter than the parsed header end: -EINVAL");
	free(bp);
}

static void test_place(void)
{
	struct boot_e820_entry map[BOOT_E820_MAX];
	struct bzimage_info bi;
	const char *why;
	uint64_t a = 0;
	size_t n;
	int ret;

	make_image(&bi);
	boot_e820_build(ram, 3, map, BOOT_E820_MAX, &n, &why);
	ret = bootparams_place_initrd(map, n, &bi, 12345, 32 * MiB, UINT64_MAX, &a, &why);
	tap_ok(ret == 0 && a == 256 * MiB - 16384 && a % 4096 == 0,
	       "initrd placed at the top of RAM, page aligned (%#llx)", (unsigned long long)a);
	bi.initrd_addr_max = 128 * MiB - 1;
	ret = bootparams_place_initrd(map, n, &bi, 4096, 32 * MiB, UINT64_MAX, &a, &why);
	tap_ok(ret == 0 && a == 128 * MiB - 4096, "initrd placed just below initrd_addr_max");
	ret = bootparams_place_initrd(map, n, &bi, 4096, 32 * MiB, 64 * MiB + 100, &a, &why);
	tap_ok(ret == 0 && a == 64 * MiB - 4096, "initrd placed below the caller's limit");
	why = NULL;
	ret = bootparams_place_initrd(map, n, &bi, 100 * MiB, 32 * MiB, UINT64_MAX, &a, &why);
	tap_ok(ret == -ENOSPC && why, "initrd not fitting above min_addr: -ENOSPC");
	why = NULL;
	ret = bootparams_place_initrd(map, n, &bi, 129 * MiB, 0, UINT64_MAX, &a, &why);
	tap_ok(ret == -E2BIG && why, "initrd larger than initrd_addr_max: -E2BIG");
	ret = bootparams_place_initrd(map, n, &bi, 0x1000, 0, 0x9f000, &a, &why);
	tap_ok(ret == 0 && a == 0x9e000, "small initrd in low memory when limited there");
	ret = bootparams_place_initrd(map, n, &bi, 0x1000, 0x9f000, 0x100000, &a, &why);
	tap_ok(ret == -ENOSPC, "reserved memory never used");
}

int main(void)
{
	test_e820();
	test_zero_page();
	test_place();
	return tap_done();
}
