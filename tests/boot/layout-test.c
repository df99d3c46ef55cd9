// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * layout-test.c - the 64-bit direct-boot layout (monitor/boot/layout.c):
 * a synthetic bzImage and initrd loaded into a malloc'd guest RAM, then
 * the page tables walked, the GDT decoded, the zero page and the entry
 * state checked; the error paths leave RAM untouched; finally the
 * machine's own kernel and initrd.  TAP lines without a plan.
 */
#include <errno.h>
#include <glob.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "boot/layout.h"

#define MiB (1ull << 20)
#define KSIZE 0x4000			/* protected-mode part */
#define IMG_LEN (4 * 512 + KSIZE)

static uint8_t img[IMG_LEN];

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

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void make_image(void)
{
	size_t i;

	memset(img, 0, sizeof(img));
	img[0x1f1] = 3;
	put32(img, 0x1f4, KSIZE / 16);
	put16(img, 0x1fe, 0xaa55);
	img[0x200] = 0xeb;
	img[0x201] = 0x6a;
	put32(img, 0x202, 0x53726448);
	put16(img, 0x206, 0x020f);
	img[0x211] = 0x01;
	put32(img, 0x22c, 0x7fffffff);
	put32(img, 0x230, 0x200000);
	img[0x234] = 1;
	put16(img, 0x236, 0x0001);
	put32(img, 0x238, 255);
	put32(img, 0x258, 16 * MiB);
	put32(img, 0x260, 4 * MiB);
	for (i = 4 * 512; i < IMG_LEN; i++)
		img[i] = (uint8_t)(i * 13 + 7);
}

/* Walks the 4-level tables at cr3 in ram; returns the physical address or ~0. */
static uint64_t walk(const uint8_t *ram, uint64_t cr3, uint64_t va)
{
	uint64_t e;

	e = get64(ram + cr3 + 8 * ((va >> 39) & 511));
	if (!(e & 1))
		return ~0ull;
	e = get64(ram + (e & 0xffffffffff000ull) + 8 * ((va >> 30) & 511));
	if (!(e & 1) || (e & 0x80))
		return ~0ull;	/* no 1 GiB pages expected */
	e = get64(ram + (e & 0xffffffffff000ull) + 8 * ((va >> 21) & 511));
	if (!(e & 1) || !(e & 0x80) || !(e & 2))
		return ~0ull;
	return (e & 0xfffffffe00000ull) | (va & (2 * MiB - 1));
}

static int seg_ok(const struct boot_segment *s, uint16_t sel, unsigned type,
		  unsigned l, unsigned db)
{
	return s->selector == sel && s->base == 0 && s->limit == 0xffffffff &&
	       s->type == type && s->s && s->present && s->g && s->l == l &&
	       s->db == db && !s->dpl && !s->unusable;
}

static void test_synthetic(void)
{
	const uint64_t ram_size = 64 * MiB;
	uint8_t *ram = calloc(1, ram_size);
	uint8_t initrd[5000];
	struct boot_layout lo;
	struct boot_cpu_state cpu;
	const struct boot_params *bp;
	const char *why = NULL;
	uint64_t gdt0x10, gdt0x18;
	static const uint64_t probe[] = {
		0, 0x7000, 16 * MiB + 0x200, 0x12345678, 3ull << 30, (4ull << 30) - 1,
	};
	size_t i, bad;
	int ret;

	if (!ram)
		abort();
	make_image();
	memset(initrd, 0x5a, sizeof(initrd));
	ret = boot_layout_load(ram, ram_size, img, sizeof(img), initrd, sizeof(initrd),
			       "console=ttyS0 panic=-1", &lo, &cpu, &why);
	tap_ok(ret == 0, "synthetic kernel + initrd load into 64 MiB");
	if (ret) {
		tap_diag("  %d: %s", ret, why);
		free(ram);
		return;
	}
	tap_ok(lo.kernel == 16 * MiB && lo.kernel_end == 20 * MiB && lo.entry == 16 * MiB + 0x200,
	       "kernel at pref_address, entry + 0x200");
	tap_ok(memcmp(ram + 16 * MiB, img + 2048, KSIZE) == 0,
	       "protected-mode kernel copied to its load address");
	tap_ok(lo.initrd == 64 * MiB - 8192 && lo.initrd_size == 5000 &&
	       memcmp(ram + lo.initrd, initrd, sizeof(initrd)) == 0,
	       "initrd at the top of RAM, page aligned (%#llx)", (unsigned long long)lo.initrd);
	tap_ok(strcmp((char *)ram + 0x20000, "console=ttyS0 panic=-1") == 0 &&
	       lo.cmdline == 0x20000 && lo.cmdline_len == 22,
	       "command line at 0x20000");

	bp = (const struct boot_params *)(ram + lo.zero_page);
	tap_ok(bp->hdr.boot_flag == 0xaa55 && bp->hdr.cmd_line_ptr == 0x20000 &&
	       bp->hdr.ramdisk_image == lo.initrd && bp->hdr.ramdisk_size == 5000 &&
	       bp->hdr.type_of_loader == 0xff,
	       "zero page: header, cmd_line_ptr, ramdisk");
	tap_ok(bp->e820_entries == 3 && bp->e820_table[0].size == 0x9fc00 &&
	       bp->e820_table[1].type == 2 && bp->e820_table[2].addr == MiB &&
	       bp->e820_table[2].addr + bp->e820_table[2].size == ram_size,
	       "zero page: e820 low RAM, reserved hole, RAM from 1 MiB to the end");

	tap_ok(boot_layout_add_high_ram(ram, &lo, 4ull << 30, 1ull << 30) == 0 &&
	       bp->e820_entries == 4 && bp->e820_table[3].addr == (4ull << 30) &&
	       bp->e820_table[3].size == (1ull << 30) && bp->e820_table[3].type == 1,
	       "RAM above the hole: a fourth e820 entry at 4 GiB");
	tap_ok(boot_layout_add_high_ram(ram, &lo, 3ull << 30, MiB) == -EINVAL &&
	       boot_layout_add_high_ram(ram, &lo, (4ull << 30) + 1, MiB) == -EINVAL &&
	       boot_layout_add_high_ram(ram, &lo, 5ull << 30, 0) == -EINVAL &&
	       boot_layout_add_high_ram(ram, &lo, ~0ull << 12, 1ull << 20) == -EINVAL &&
	       bp->e820_entries == 4,
	       "high RAM below 4 GiB, unaligned, empty or wrapping: -EINVAL, map untouched");

	for (i = 0, bad = 0; i < sizeof(probe) / sizeof(probe[0]); i++)
		if (walk(ram, cpu.cr3, probe[i]) != probe[i])
			bad++;
	tap_ok(bad == 0, "page tables identity-map the first 4 GiB with 2 MiB pages");
	tap_ok(walk(ram, cpu.cr3, 4ull << 30) == ~0ull, "nothing mapped at 4 GiB");

	gdt0x10 = get64(ram + cpu.gdt.base + 0x10);
	gdt0x18 = get64(ram + cpu.gdt.base + 0x18);
	tap_ok(get64(ram + cpu.gdt.base) == 0 && cpu.gdt.limit == 31,
	       "GDT: null first entry, 4 entries");
	tap_ok(((gdt0x10 >> 40) & 0xff) == 0x9b && ((gdt0x10 >> 53) & 3) == 1 &&
	       (gdt0x10 & 0xffff) == 0xffff && ((gdt0x10 >> 55) & 1),
	       "GDT 0x10: present, code, execute/read, L = 1, D = 0");
	tap_ok(((gdt0x18 >> 40) & 0xff) == 0x93 && ((gdt0x18 >> 53) & 3) == 2,
	       "GDT 0x18: present, data, read/write, D/B = 1");

	tap_ok(cpu.rip == lo.entry && cpu.rsi == lo.zero_page, "RIP = entry, RSI = zero page");
	tap_ok(!(cpu.rflags & (1 << 9)) && (cpu.rflags & 2), "RFLAGS: IF = 0, bit 1 set");
	tap_ok((cpu.cr0 & 0x80000001) == 0x80000001 && (cpu.cr4 & 0x20) &&
	       (cpu.efer & 0x500) == 0x500 && cpu.cr3 == BOOT_PML4_ADDR,
	       "CR0.PE|PG, CR4.PAE, EFER.LME|LMA, CR3 = PML4");
	tap_ok(seg_ok(&cpu.cs, 0x10, 0xb, 1, 0), "CS = 0x10, flat 64-bit code");
	tap_ok(seg_ok(&cpu.ds, 0x18, 3, 0, 1) && seg_ok(&cpu.es, 0x18, 3, 0, 1) &&
	       seg_ok(&cpu.ss, 0x18, 3, 0, 1), "DS, ES, SS = 0x18, flat data");
	free(ram);
}

static void test_errors(void)
{
	uint8_t *ram = calloc(1, 32 * MiB);
	struct boot_layout lo;
	struct boot_cpu_state cpu;
	const char *why;
	size_t i, dirty;
	char longcmd[300];
	static uint8_t big_initrd[14 * MiB];

	if (!ram)
		abort();
	make_image();
	memset(longcmd, 'a', sizeof(longcmd) - 1);
	longcmd[sizeof(longcmd) - 1] = 0;

#define EXPECT(want, what, ...) do {						\
		why = NULL;							\
		tap_ok(boot_layout_load(__VA_ARGS__, &lo, &cpu, &why) == (want) && why, \
		       what ": " #want);					\
		if (why)							\
			tap_diag("  reason: %s", why);				\
	} while (0)

	EXPECT(-ENOMEM, "kernel does not fit in 18 MiB",
	       ram, 18 * MiB, img, sizeof(img), NULL, 0, NULL);
	EXPECT(-EINVAL, "RAM size not page aligned",
	       ram, 32 * MiB - 100, img, sizeof(img), NULL, 0, NULL);
	EXPECT(-E2BIG, "RAM above 3 GiB",
	       ram, 4ull << 30, img, sizeof(img), NULL, 0, NULL);
	EXPECT(-E2BIG, "command line over cmdline_size (255)",
	       ram, 32 * MiB, img, sizeof(img), NULL, 0, longcmd);
	EXPECT(-ENOSPC, "initrd larger than RAM above the kernel",
	       ram, 32 * MiB, img, sizeof(img), big_initrd, sizeof(big_initrd), NULL);
	EXPECT(-ENOEXEC, "truncated image",
	       ram, 32 * MiB, img, sizeof(img) - 1, NULL, 0, NULL);
	EXPECT(-EINVAL, "initrd size without data",
	       ram, 32 * MiB, img, sizeof(img), NULL, 10, NULL);
	put32(img, 0x258, 0x80000);
	img[0x234] = 0;
	EXPECT(-ENOEXEC, "fixed load address below 1 MiB",
	       ram, 32 * MiB, img, sizeof(img), NULL, 0, NULL);
	for (i = 0, dirty = 0; i < 32 * MiB; i++)
		dirty += ram[i] != 0;
	tap_ok(dirty == 0, "failed loads leave guest RAM untouched");

	/* initrd fitting exactly between kernel end (20 MiB) and 32 MiB */
	make_image();
	tap_ok(boot_layout_load(ram, 32 * MiB, img, sizeof(img), big_initrd, 12 * MiB,
				NULL, &lo, &cpu, &why) == 0 && lo.initrd == 20 * MiB,
	       "initrd exactly filling RAM above the kernel");
	free(ram);
}

static void *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long sz;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) || (sz = ftell(f)) <= 0 || fseek(f, 0, SEEK_SET) ||
	    !(buf = malloc((size_t)sz)) || fread(buf, 1, (size_t)sz, f) != (size_t)sz) {
		free(buf);
		buf = NULL;
	} else {
		*len = (size_t)sz;
	}
	fclose(f);
	return buf;
}

static void test_real(void)
{
	const uint64_t ram_size = 512 * MiB;
	glob_t g;
	char initrd_path[4096];
	uint8_t *kernel, *initrd = NULL, *ram;
	size_t klen = 0, ilen = 0;
	struct boot_layout lo;
	struct boot_cpu_state cpu;
	const char *why = NULL;
	int ret;

	if (glob("/boot/vmlinuz-*", 0, NULL, &g) != 0 || g.gl_pathc == 0) {
		tap_ok(1, "real kernel layout # SKIP no /boot/vmlinuz-* on this machine");
		return;
	}
	kernel = slurp(g.gl_pathv[0], &klen);
	snprintf(initrd_path, sizeof(initrd_path), "/boot/initrd.img-%s",
		 g.gl_pathv[0] + strlen("/boot/vmlinuz-"));
	initrd = slurp(initrd_path, &ilen);
	ram = calloc(1, ram_size);
	if (!kernel || !ram) {
		tap_ok(0, "%s readable", g.gl_pathv[0]);
		goto out;
	}
	tap_diag("%s (%zu bytes), initrd %s (%zu bytes)", g.gl_pathv[0], klen,
		 initrd ? initrd_path : "none", ilen);
	ret = boot_layout_load(ram, ram_size, kernel, klen, initrd, ilen,
			       "console=ttyS0 earlyprintk=serial", &lo, &cpu, &why);
	tap_ok(ret == 0, "%s loads into 512 MiB", g.gl_pathv[0]);
	if (ret) {
		tap_diag("  %d: %s", ret, why);
		goto out;
	}
	tap_diag("kernel %#llx..%#llx, entry %#llx, initrd %#llx+%#llx",
		 (unsigned long long)lo.kernel, (unsigned long long)lo.kernel_end,
		 (unsigned long long)lo.entry, (unsigned long long)lo.initrd,
		 (unsigned long long)lo.initrd_size);
	tap_ok(lo.initrd >= lo.kernel_end && lo.initrd + ilen <= ram_size &&
	       lo.initrd % 4096 == 0 && (!initrd || memcmp(ram + lo.initrd, initrd, ilen) == 0),
	       "real initrd above the kernel, below the end of RAM, intact");
	tap_ok(memcmp(ram + 0x7000 + 0x1f1, kernel + 0x1f1, 0x210 - 0x1f1) == 0,
	       "real setup header in the zero page");
out:
	free(ram);
	free(initrd);
	free(kernel);
	globfree(&g);
}

int main(void)
{
	test_synthetic();
	test_errors();
	test_real();
	return tap_done();
}
