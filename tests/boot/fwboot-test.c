// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fwboot-test.c - a bzImage laid out for the firmware's Linux boot ROM
 * (monitor/boot/fwboot.c): the setup part copied with its header patched
 * (and nothing past the header's end touched), the kernel's place, the
 * initrd placed under initrd_addr_max, the kernel's init_size and the
 * firmware's tables, every refusal; then the machine's own kernel.
 * TAP lines without a plan.
 */
#include <errno.h>
#include <glob.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tap.h"
#include "boot/bootparams.h"
#include "boot/fwboot.h"

#define MiB (1ull << 20)
#define KSIZE 0x4000			/* protected-mode part */
#define BIG_SETUP (65 * 512)		/* setup_sects 64: over 32 KiB */
#define IMG_MAX (BIG_SETUP + KSIZE)

static uint8_t img[IMG_MAX];
static size_t img_len;

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

static uint32_t get32(const uint8_t *p, size_t off)
{
	return (uint32_t)p[off] | (uint32_t)p[off + 1] << 8 | (uint32_t)p[off + 2] << 16 |
	       (uint32_t)p[off + 3] << 24;
}

static uint16_t get16(const uint8_t *p, size_t off)
{
	return (uint16_t)(p[off] | p[off + 1] << 8);
}

/* setup_sects 3, protocol 2.15, header up to 0x26c, 4 MiB init_size at 16 MiB. */
static void make_image(void)
{
	size_t i;

	for (i = 0; i < sizeof(img); i++)
		img[i] = (uint8_t)(i * 13 + 7);
	memset(img + 0x1f1, 0, 0x290 - 0x1f1);
	img[0x1f1] = 3;
	put32(img, 0x1f4, KSIZE / 16);
	put16(img, 0x1fe, 0xaa55);
	img[0x200] = 0xeb;
	img[0x201] = 0x6a;
	put32(img, 0x202, 0x53726448);
	put16(img, 0x206, 0x020f);
	img[0x210] = 0x00;
	img[0x211] = 0x01 | 0x20;	/* LOADED_HIGH, QUIET */
	put32(img, 0x22c, 0x7fffffff);
	put32(img, 0x230, 0x200000);
	img[0x234] = 1;
	put16(img, 0x236, 0x0001);
	put32(img, 0x238, 255);
	put32(img, 0x258, 16 * MiB);
	put32(img, 0x260, 4 * MiB);
	img_len = 4 * 512 + KSIZE;
}

/* Every setup byte equals the image's except the loader's fields. */
static int setup_same_but_loader_fields(const struct fwboot *fb)
{
	static const struct { size_t off, len; } patched[] = {
		{ 0x210, 2 }, { 0x218, 8 }, { 0x224, 2 }, { 0x228, 4 },
	};
	size_t i, j;

	for (i = 0; i < fb->setup_len; i++) {
		int skip = 0;

		for (j = 0; j < sizeof(patched) / sizeof(patched[0]); j++)
			skip |= i >= patched[j].off && i < patched[j].off + patched[j].len;
		if (!skip && fb->setup[i] != img[i]) {
			tap_diag("  setup byte 0x%zx: 0x%02x, image 0x%02x", i, fb->setup[i], img[i]);
			return 0;
		}
	}
	return 1;
}

static void test_layout(void)
{
	const char *reason = NULL;
	struct fwboot fb;
	int ret;

	make_image();
	ret = fwboot_prepare(img, img_len, 0, "console=ttyS0", 256 * MiB, &fb, &reason);
	tap_ok(ret == 0, "synthetic image without an initrd: %d %s", ret, reason ? reason : "");
	if (ret)
		return;
	tap_ok(fb.setup_len == 4 * 512 && fb.setup != img, "setup part: 4 sectors, a copy");
	tap_ok(fb.kernel == img + 4 * 512 && fb.kernel_len == KSIZE,
	       "protected-mode kernel: the bytes after the setup, syssize long");
	tap_ok(fb.cmdline_len == strlen("console=ttyS0"), "command line length");
	tap_ok(fb.setup[0x210] == BOOT_LOADER_TYPE_UNDEFINED, "type_of_loader 0xff");
	tap_ok(fb.setup[0x211] == (0x01 | 0x20 | BZ_CAN_USE_HEAP),
	       "loadflags: CAN_USE_HEAP added, the rest kept (0x%02x)", fb.setup[0x211]);
	tap_ok(get16(fb.setup, 0x224) == 0xfe00, "heap_end_ptr: the heap up to the command line");
	tap_ok(get32(fb.setup, 0x228) == FWBOOT_CMDLINE_ADDR, "cmd_line_ptr 0x20000");
	tap_ok(get32(fb.setup, 0x218) == 0 && get32(fb.setup, 0x21c) == 0 &&
	       fb.initrd_addr == 0 && fb.initrd_size == 0, "no initrd: ramdisk_image/size 0");
	tap_ok(setup_same_but_loader_fields(&fb), "every other setup byte is the image's");
	fwboot_free(&fb);
	tap_ok(fb.setup == NULL && fb.setup_len == 0, "fwboot_free() clears");

	ret = fwboot_prepare(img, img_len, 3 * MiB + 5, NULL, 256 * MiB, &fb, &reason);
	tap_ok(ret == 0, "with a 3 MiB + 5 initrd in 256 MiB");
	if (!ret) {
		uint64_t top = 256 * MiB - FWBOOT_TOP_RESERVE;

		tap_ok(fb.initrd_addr % 4096 == 0 && fb.initrd_addr + fb.initrd_size <= top &&
		       fb.initrd_addr + fb.initrd_size > top - 4096 - 4096,
		       "initrd page aligned, as high as the firmware's tables allow (0x%x)",
		       fb.initrd_addr);
		tap_ok(get32(fb.setup, 0x218) == fb.initrd_addr &&
		       get32(fb.setup, 0x21c) == 3 * MiB + 5, "ramdisk_image/size in the header");
		tap_ok(fb.cmdline_len == 0 && get32(fb.setup, 0x228) == FWBOOT_CMDLINE_ADDR,
		       "no command line: an empty one");
		tap_ok(setup_same_but_loader_fields(&fb), "every other setup byte is the image's");
		fwboot_free(&fb);
	}

	/* initrd_addr_max (512 MiB) below the RAM's top (1 GiB). */
	put32(img, 0x22c, 0x1fffffff);
	ret = fwboot_prepare(img, img_len, 8 * MiB, "", 1024 * MiB, &fb, &reason);
	tap_ok(ret == 0 && fb.initrd_addr + fb.initrd_size <= 512 * MiB &&
	       fb.initrd_addr == 504 * MiB, "initrd ends at initrd_addr_max + 1 (0x%x)",
	       fb.initrd_addr);
	fwboot_free(&fb);

	/* The smallest room: right above load_addr + init_size (20 MiB). */
	ret = fwboot_prepare(img, img_len, 10 * MiB, "", 31 * MiB, &fb, &reason);
	tap_ok(ret == 0 && fb.initrd_addr == 20 * MiB, "initrd right above init_size fits (0x%x)",
	       fb.initrd_addr);
	fwboot_free(&fb);
}

static void test_errors(void)
{
	char longline[300];
	const char *reason;
	struct fwboot fb;
	int ret;

	make_image();
	memset(&fb, 0x5a, sizeof(fb));
	reason = NULL;
	ret = fwboot_prepare(img, img_len, 10 * MiB + 4096, "", 31 * MiB, &fb, &reason);
	tap_ok(ret == -E2BIG && reason && fb.setup == NULL && fb.setup_len == 0,
	       "initrd one page over the room above init_size: -E2BIG (%s)", reason);
	ret = fwboot_prepare(img, img_len, 2048 * MiB, "", 3072 * MiB, &fb, &reason);
	tap_ok(ret == -E2BIG, "initrd larger than the RAM below initrd_addr_max: -E2BIG");
	ret = fwboot_prepare(img, img_len, 5ull << 30, "", 3072 * MiB, &fb, &reason);
	tap_ok(ret == -E2BIG, "initrd of 5 GiB: -E2BIG");
	ret = fwboot_prepare(img, img_len, 0, "", 20 * MiB, &fb, &reason);
	tap_ok(ret == -ENOMEM, "RAM below the kernel's init_size + the firmware's tables: -ENOMEM");

	memset(longline, 'a', sizeof(longline));
	longline[256] = 0;
	ret = fwboot_prepare(img, img_len, 0, longline, 256 * MiB, &fb, &reason);
	tap_ok(ret == -E2BIG, "command line of 256 with cmdline_size 255: -E2BIG");
	longline[255] = 0;
	ret = fwboot_prepare(img, img_len, 0, longline, 256 * MiB, &fb, &reason);
	tap_ok(ret == 0 && fb.cmdline_len == 255, "command line of 255: taken");
	fwboot_free(&fb);

	/* setup_sects 64: 32.5 KiB of setup, over boot.rst's 0x8000. */
	img[0x1f1] = 64;
	ret = fwboot_prepare(img, BIG_SETUP + KSIZE, 0, "", 256 * MiB, &fb, &reason);
	tap_ok(ret == -ENOEXEC && fb.setup == NULL, "setup part over 32 KiB: -ENOEXEC");
	img[0x1f1] = 62;	/* 63 sectors: 31.5 KiB, taken */
	ret = fwboot_prepare(img, 63 * 512 + KSIZE, 0, "", 256 * MiB, &fb, &reason);
	tap_ok(ret == 0 && fb.setup_len == 63 * 512, "setup part of 31.5 KiB: taken");
	fwboot_free(&fb);

	make_image();
	put32(img, 0x258, 0x80000);
	img[0x234] = 0;
	ret = fwboot_prepare(img, img_len, 0, "", 256 * MiB, &fb, &reason);
	tap_ok(ret == -ENOEXEC, "load address below 1 MiB: -ENOEXEC");

	make_image();
	put32(img, 0x202, 0x12345678);
	reason = NULL;
	ret = fwboot_prepare(img, img_len, 0, "", 256 * MiB, &fb, &reason);
	tap_ok(ret == -ENOEXEC && reason && fb.setup == NULL,
	       "not a bzImage: bzimage_parse()'s -ENOEXEC (%s)", reason);
	ret = fwboot_prepare(img, 0x300, 0, "", 256 * MiB, &fb, &reason);
	tap_ok(ret == -ENOEXEC, "truncated image: -ENOEXEC");
	tap_ok(fwboot_prepare(NULL, 0, 0, "", 256 * MiB, &fb, &reason) == -EINVAL,
	       "no image: -EINVAL");
	tap_ok(fwboot_prepare(img, img_len, 0, "", 256 * MiB, NULL, &reason) == -EINVAL,
	       "no result: -EINVAL");

	/* A header ending at 0x264: the bytes after it are the image's, not ours. */
	make_image();
	img[0x201] = 0x62;
	ret = fwboot_prepare(img, img_len, MiB, "", 256 * MiB, &fb, &reason);
	tap_ok(ret == 0 && !memcmp(fb.setup + 0x264, img + 0x264, 4 * 512 - 0x264),
	       "a shorter header: nothing past its end written");
	fwboot_free(&fb);
}

static uint8_t *slurp(const char *path, size_t *len)
{
	struct stat st;
	uint8_t *buf;
	FILE *f;

	f = fopen(path, "rb");
	if (!f)
		return NULL;
	if (fstat(fileno(f), &st) || st.st_size <= 0) {
		fclose(f);
		return NULL;
	}
	buf = malloc((size_t)st.st_size);
	if (buf && fread(buf, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*len = (size_t)st.st_size;
	return buf;
}

/* The machine's kernel with its initrd's size, in 2 GiB below 4 GiB. */
static void test_real(void)
{
	char initrd_path[512];
	const char *reason = NULL;
	struct stat st;
	struct fwboot fb;
	uint8_t *k;
	size_t len;
	glob_t g;
	int ret;

	if (glob("/boot/vmlinuz-*", 0, NULL, &g) != 0 || g.gl_pathc == 0) {
		tap_ok(1, "real kernel # SKIP no /boot/vmlinuz-* on this machine");
		return;
	}
	k = slurp(g.gl_pathv[0], &len);
	snprintf(initrd_path, sizeof(initrd_path), "/boot/initrd.img-%s",
		 g.gl_pathv[0] + strlen("/boot/vmlinuz-"));
	if (stat(initrd_path, &st))
		st.st_size = 32 * MiB;
	if (!k) {
		tap_ok(1, "real kernel # SKIP cannot read %s", g.gl_pathv[0]);
		globfree(&g);
		return;
	}
	ret = fwboot_prepare(k, len, (uint64_t)st.st_size, "console=ttyS0 quiet", 2048 * MiB,
			     &fb, &reason);
	tap_ok(ret == 0, "%s prepared: %s", g.gl_pathv[0], ret ? reason : "ok");
	if (!ret) {
		tap_ok(fb.setup_len <= FWBOOT_SETUP_MAX && fb.setup_len == fb.info.kernel_offset &&
		       !memcmp(fb.setup, k, 0x1f1), "its setup part: under 32 KiB, copied");
		tap_ok(fb.initrd_addr >= fb.info.load_addr + fb.info.init_size &&
		       fb.initrd_addr + fb.initrd_size <= fb.info.initrd_addr_max + 1ull,
		       "its initrd above init_size, below initrd_addr_max");
		tap_ok(get32(fb.setup, 0x228) == FWBOOT_CMDLINE_ADDR &&
		       (fb.setup[0x211] & BZ_CAN_USE_HEAP), "its header patched");
		fwboot_free(&fb);
	}
	free(k);
	globfree(&g);
}

int main(void)
{
	test_layout();
	test_errors();
	test_real();
	return tap_done();
}
