// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bzimage-test.c - the bzImage parser (monitor/boot/bzimage.c): a minimal
 * synthetic image, then each field corrupted in turn, truncation at every
 * length, random garbage, and the machine's own /boot/vmlinuz-* kernels.
 * Every image sits in a malloc'd buffer of its exact length, so ASan
 * catches any read past the end.  TAP lines without a plan (tests/lib/tap.h).
 */
#include <errno.h>
#include <glob.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "boot/bzimage.h"

#define SETUP_SECTS	3
#define SYSSIZE		0x100		/* 4 KiB protected-mode kernel */
#define IMG_LEN		((SETUP_SECTS + 1) * 512 + SYSSIZE * 16)

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

static void put64(uint8_t *p, size_t off, uint64_t v)
{
	put32(p, off, (uint32_t)v);
	put32(p, off + 4, (uint32_t)(v >> 32));
}

/* A minimal valid 2.15 64-bit relocatable bzImage (header only). */
static uint8_t *make_image(size_t *len)
{
	uint8_t *p = calloc(1, IMG_LEN);

	if (!p)
		abort();
	p[0x1f1] = SETUP_SECTS;
	put32(p, 0x1f4, SYSSIZE);
	put16(p, 0x1fe, 0xaa55);
	p[0x200] = 0xeb;
	p[0x201] = 0x6a;			/* header ends at 0x26c */
	put32(p, 0x202, 0x53726448);		/* "HdrS" */
	put16(p, 0x206, 0x020f);
	p[0x211] = 0x01;			/* LOADED_HIGH */
	put32(p, 0x22c, 0x7fffffff);		/* initrd_addr_max */
	put32(p, 0x230, 0x200000);		/* kernel_alignment */
	p[0x234] = 1;				/* relocatable */
	put16(p, 0x236, 0x0003);		/* KERNEL_64 | ABOVE_4G */
	put32(p, 0x238, 2047);			/* cmdline_size */
	put64(p, 0x258, 0x1000000);		/* pref_address */
	put32(p, 0x260, 0x100000);		/* init_size */
	*len = IMG_LEN;
	return p;
}

/* Parses a copy of img[0, len) in a buffer of exactly len bytes. */
static int parse_copy(const uint8_t *img, size_t len, struct bzimage_info *bi,
		      const char **why)
{
	uint8_t *c = malloc(len ? len : 1);
	int ret;

	if (!c)
		abort();
	memcpy(c, img, len);
	ret = bzimage_parse(c, len, bi, why);
	free(c);
	return ret;
}

typedef void (*mutate_fn)(uint8_t *p);

static void m_boot_flag(uint8_t *p) { put16(p, 0x1fe, 0x55aa); }
static void m_magic(uint8_t *p) { p[0x205] = 'T'; }
static void m_version_211(uint8_t *p) { put16(p, 0x206, 0x020b); }
static void m_version_100(uint8_t *p) { put16(p, 0x206, 0x0100); }
static void m_no_64(uint8_t *p) { put16(p, 0x236, 0x0002); }
static void m_setup_huge(uint8_t *p) { p[0x1f1] = 255; }
static void m_syssize_huge(uint8_t *p) { put32(p, 0x1f4, 0xffffffff); }
static void m_syssize_plus1(uint8_t *p) { put32(p, 0x1f4, SYSSIZE + 1); }
static void m_syssize_0(uint8_t *p) { put32(p, 0x1f4, 0); }
static void m_syssize_tiny(uint8_t *p) { put32(p, 0x1f4, 0x20); }
static void m_jump_opcode(uint8_t *p) { p[0x200] = 0xe9; }
static void m_jump_short(uint8_t *p) { p[0x201] = 0x20; }
static void m_jump_long(uint8_t *p) { p[0x201] = 0xff; }
static void m_zimage(uint8_t *p) { p[0x211] = 0; }
static void m_align_0(uint8_t *p) { put32(p, 0x230, 0); }
static void m_align_odd(uint8_t *p) { put32(p, 0x230, 0x300000); }
static void m_init_small(uint8_t *p) { put32(p, 0x260, 0x100); }
static void m_pref_overflow(uint8_t *p) { put64(p, 0x258, UINT64_MAX - 0x1000); }
static void m_pref_wrap_align(uint8_t *p) { put64(p, 0x258, UINT64_MAX - 5); }
static void m_pref_0(uint8_t *p) { put64(p, 0x258, 0); p[0x234] = 0; }
static void m_cmdline_0(uint8_t *p) { put32(p, 0x238, 0); }

static const struct {
	const char *what;
	mutate_fn fn;
} bad_cases[] = {
	{ "boot flag 0x55AA", m_boot_flag },
	{ "\"HdrT\" magic", m_magic },
	{ "protocol 2.11", m_version_211 },
	{ "protocol 1.00", m_version_100 },
	{ "XLF_KERNEL_64 clear", m_no_64 },
	{ "setup_sects 255 in a 6 KiB file", m_setup_huge },
	{ "syssize 0xffffffff", m_syssize_huge },
	{ "syssize one paragraph past the end", m_syssize_plus1 },
	{ "syssize 0", m_syssize_0 },
	{ "kernel smaller than the 0x200 entry offset", m_syssize_tiny },
	{ "no short jump at 0x200", m_jump_opcode },
	{ "header ends before init_size", m_jump_short },
	{ "header runs past 0x290", m_jump_long },
	{ "LOADED_HIGH clear (zImage)", m_zimage },
	{ "relocatable, kernel_alignment 0", m_align_0 },
	{ "relocatable, kernel_alignment 3 MiB", m_align_odd },
	{ "init_size below the kernel size", m_init_small },
	{ "pref_address + init_size overflows", m_pref_overflow },
	{ "pref_address overflows when aligned", m_pref_wrap_align },
	{ "fixed kernel at pref_address 0", m_pref_0 },
	{ "cmdline_size 0", m_cmdline_0 },
};

static void test_valid(void)
{
	struct bzimage_info bi;
	const char *why = NULL;
	uint8_t *img;
	size_t len;
	int ret;

	img = make_image(&len);
	ret = parse_copy(img, len, &bi, &why);
	tap_ok(ret == 0, "minimal synthetic image parses");
	if (ret)
		tap_diag("  %d: %s", ret, why);
	tap_ok(bi.version == 0x020f && bi.setup_sects == SETUP_SECTS,
	       "version and setup_sects");
	tap_ok(bi.kernel_offset == (SETUP_SECTS + 1) * 512 &&
	       bi.kernel_size == SYSSIZE * 16,
	       "protected-mode kernel at (setup_sects + 1) * 512, syssize * 16 bytes");
	tap_ok(bi.hdr_end == 0x26c, "header ends at 0x202 + jump offset");
	tap_ok(bi.load_addr == 0x1000000 && bi.entry64 == 0x1000200,
	       "load at pref_address, entry64 = load + 0x200");
	tap_ok(bi.init_size == 0x100000 && bi.cmdline_size == 2047 &&
	       bi.initrd_addr_max == 0x7fffffff && bi.relocatable &&
	       bi.kernel_alignment == 0x200000 && bi.xloadflags == 3,
	       "init_size, cmdline_size, initrd_addr_max, alignment, xloadflags");

	/* setup_sects 0 means 4 */
	img[0x1f1] = 0;
	ret = parse_copy(img, len - 512, &bi, &why);
	tap_ok(ret == -ENOEXEC, "setup_sects 0 (= 4) with a 4-sector file: truncated");
	{
		uint8_t *big = calloc(1, len + 512);

		if (!big)
			abort();
		memcpy(big, img, len);
		ret = parse_copy(big, len + 512, &bi, &why);
		tap_ok(ret == 0 && bi.setup_sects == 4 && bi.kernel_offset == 5 * 512,
		       "setup_sects 0 means 4 setup sectors");
		free(big);
	}
	img[0x1f1] = SETUP_SECTS;

	/* pref_address unaligned: relocatable rounds up, fixed keeps it */
	put64(img, 0x258, 0x1100000);
	ret = parse_copy(img, len, &bi, &why);
	tap_ok(ret == 0 && bi.load_addr == 0x1200000 && bi.entry64 == 0x1200200,
	       "relocatable: unaligned pref_address rounded up to kernel_alignment");
	img[0x234] = 0;
	put32(img, 0x230, 0x300000);
	ret = parse_copy(img, len, &bi, &why);
	tap_ok(ret == 0 && bi.load_addr == 0x1100000 && !bi.relocatable,
	       "not relocatable: loaded exactly at pref_address, alignment ignored");

	/* trailing bytes (e.g. a signature) are not part of the kernel */
	free(img);
	img = make_image(&len);
	{
		uint8_t *big = calloc(1, len + 1472);

		if (!big)
			abort();
		memcpy(big, img, len);
		ret = parse_copy(big, len + 1472, &bi, &why);
		tap_ok(ret == 0 && bi.kernel_size == SYSSIZE * 16,
		       "trailing data after syssize is not part of the kernel");
		free(big);
	}
	free(img);

	why = NULL;
	tap_ok(bzimage_parse(NULL, 100, &bi, &why) == -EINVAL && why,
	       "NULL buffer: -EINVAL with a reason");
}

static void test_corrupt(void)
{
	size_t i, len;

	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		struct bzimage_info bi;
		const char *why = NULL;
		uint8_t *img = make_image(&len);
		int ret;

		bad_cases[i].fn(img);
		ret = parse_copy(img, len, &bi, &why);
		tap_ok(ret == -ENOEXEC && why, "%s: -ENOEXEC", bad_cases[i].what);
		if (why)
			tap_diag("  reason: %s", why);
		free(img);
	}
}

static void test_truncated(void)
{
	static const size_t at[] = {
		0, 1, 0x1f1, 0x1fe, 0x200, 0x202, 0x206, 0x236, 0x258, 0x263,
		0x264, 0x26c, 0x290, (SETUP_SECTS + 1) * 512 - 1,
		(SETUP_SECTS + 1) * 512, IMG_LEN - 16, IMG_LEN - 1,
	};
	struct bzimage_info bi;
	const char *why;
	size_t i, len, bad = 0;
	uint8_t *img = make_image(&len);

	for (i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		why = NULL;
		tap_ok(parse_copy(img, at[i], &bi, &why) == -ENOEXEC && why,
		       "truncated to %#zx bytes: -ENOEXEC", at[i]);
	}
	for (i = 0; i < len; i++) {
		why = NULL;
		if (parse_copy(img, i, &bi, &why) != -ENOEXEC || !why)
			bad++;
	}
	tap_ok(bad == 0, "truncated at every length 0 .. %#zx: -ENOEXEC each time", len - 1);
	free(img);
}

/* Random bytes, and random bytes behind a valid boot flag and magic. */
static void test_garbage(void)
{
	unsigned long long seed = 1;
	size_t i, j, ok = 0, oob = 0;
	struct bzimage_info bi;

	for (i = 0; i < 20000; i++) {
		size_t len = (size_t)(i * 7919 % 9000);
		uint8_t *p = malloc(len ? len : 1);
		const char *why = NULL;
		int ret;

		if (!p)
			abort();
		for (j = 0; j < len; j++) {
			seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
			p[j] = (uint8_t)(seed >> 56);
		}
		if ((i & 1) && len >= 0x264) {
			put16(p, 0x1fe, 0xaa55);
			p[0x200] = 0xeb;
			put32(p, 0x202, 0x53726448);
			put16(p, 0x206, 0x020f);
			p[0x211] |= 1;
			p[0x236] |= 1;
		}
		ret = bzimage_parse(p, len, &bi, &why);
		if (ret == 0) {
			ok++;
			if (bi.kernel_offset + bi.kernel_size > len ||
			    bi.hdr_end > 0x290 || bi.entry64 != bi.load_addr + 0x200)
				oob++;
		} else if (ret != -ENOEXEC || !why) {
			oob++;
		}
		free(p);
	}
	tap_ok(oob == 0, "20000 random images: -ENOEXEC or a consistent result (%zu parsed)", ok);
}

static void test_real(void)
{
	glob_t g;
	size_t i;

	if (glob("/boot/vmlinuz-*", 0, NULL, &g) != 0 || g.gl_pathc == 0) {
		tap_ok(1, "real kernel # SKIP no /boot/vmlinuz-* on this machine");
		return;
	}
	for (i = 0; i < g.gl_pathc; i++) {
		const char *path = g.gl_pathv[i];
		struct bzimage_info bi;
		const char *why = NULL;
		FILE *f = fopen(path, "rb");
		uint8_t *buf = NULL;
		long sz;
		int ret;

		if (!f || fseek(f, 0, SEEK_END) || (sz = ftell(f)) <= 0 ||
		    fseek(f, 0, SEEK_SET) || !(buf = malloc((size_t)sz)) ||
		    fread(buf, 1, (size_t)sz, f) != (size_t)sz) {
			tap_ok(0, "%s: readable", path);
			if (f)
				fclose(f);
			free(buf);
			continue;
		}
		fclose(f);
		ret = bzimage_parse(buf, (size_t)sz, &bi, &why);
		tap_ok(ret == 0, "%s parses", path);
		if (ret) {
			tap_diag("  %d: %s", ret, why);
		} else {
			tap_diag("  protocol %x.%02x, setup %u sectors, kernel %#zx+%#zx, load %#llx, init_size %#x, cmdline_size %u",
				 bi.version >> 8, bi.version & 0xff, bi.setup_sects,
				 bi.kernel_offset, bi.kernel_size,
				 (unsigned long long)bi.load_addr, bi.init_size,
				 bi.cmdline_size);
			tap_ok(bi.version >= 0x020c && bi.kernel_offset + bi.kernel_size <= (size_t)sz &&
			       bi.entry64 == bi.load_addr + 0x200 &&
			       (!bi.relocatable || bi.load_addr % bi.kernel_alignment == 0) &&
			       bi.init_size >= bi.kernel_size && bi.hdr_end <= 0x290,
			       "%s: consistent layout", path);
			/* and the same file cut short fails cleanly */
			why = NULL;
			tap_ok(bzimage_parse(buf, (size_t)sz / 2, &bi, &why) == -ENOEXEC && why,
			       "%s cut in half: -ENOEXEC", path);
		}
		free(buf);
	}
	globfree(&g);
}

int main(void)
{
	test_valid();
	test_corrupt();
	test_truncated();
	test_garbage();
	test_real();
	return tap_done();
}
