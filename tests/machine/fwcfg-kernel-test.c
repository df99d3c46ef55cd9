// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fwcfg-kernel-test.c - --kernel under the firmware, the machine's side
 * (monitor/machine/fwcfg-kernel.c): a bzImage, initrd and command line
 * given to machine_fw_cfg_add_kernel() come out of the fw_cfg port as
 * QEMU's Linux boot ROM reads them (FW_CFG_SETUP_*, KERNEL_*, INITRD_*,
 * CMDLINE_*), with the setup header patched, the ROM file's bytes are
 * Debian's linuxboot_dma.bin, "bootorder" names it before the drives
 * already listed; an initrd too large, a file that is not a kernel and a
 * missing file are refused and leave no kernel item.  TAP, no plan.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "boot/fwboot.h"
#include "devices/fw_cfg.h"
#include "machine/machine.h"

#define MiB (1ull << 20)
#define KSIZE 0x4000
#define IMG_LEN (4 * 512 + KSIZE)

static char dir[] = "/tmp/fwcfg-kernel-test.XXXXXX";
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

/* A synthetic 64-bit bzImage: 3 setup sectors, 4 MiB init_size at 16 MiB. */
static void make_image(void)
{
	size_t i;

	for (i = 0; i < sizeof(img); i++)
		img[i] = (uint8_t)(i * 7 + 3);
	memset(img + 0x1f1, 0, 0x290 - 0x1f1);
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
}

static char *write_file(const char *name, const void *data, size_t len)
{
	char *path = g_strdup_printf("%s/%s", dir, name);

	if (!g_file_set_contents(path, data, (gssize)len, NULL))
		tap_ok(0, "write %s", path);
	return path;
}

static struct machine *new_machine(uint64_t ram)
{
	struct machine *m = calloc(1, sizeof(*m));

	m->ram.size = ram;
	m->ram.base = NULL;	/* no guest RAM is touched: the ROM does the copies */
	if (fw_cfg_init(&m->fwcfg.dev, &m->ram) || fw_cfg_add_boot_files(&m->fwcfg.dev, 0))
		tap_ok(0, "fw_cfg");
	return m;
}

static void free_machine(struct machine *m)
{
	fw_cfg_destroy(&m->fwcfg.dev);
	free(m);
}

/* Selects `key` and reads len bytes through the data port, as a guest. */
static void port_read(struct fw_cfg *fw, uint16_t key, void *buf, size_t len)
{
	uint32_t v = key;
	uint8_t *p = buf;
	size_t i;

	fw_cfg_io(fw, 0, 2, true, &v);
	for (i = 0; i < len; i++) {
		v = 0;
		fw_cfg_io(fw, 1, 1, false, &v);
		p[i] = (uint8_t)v;
	}
}

static uint32_t port_u32(struct fw_cfg *fw, uint16_t key)
{
	uint8_t b[4];

	port_read(fw, key, b, 4);
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static void test_items(void)
{
	static const char *const drives[] = { "/pci@i0cf8/ide@1,1/drive@1/disk@0" };
	uint8_t *initrd = malloc(3 * MiB), *buf = malloc(3 * MiB);
	gchar *rom = NULL;
	gsize rom_len = 0;
	struct machine *m = new_machine(256 * MiB);
	struct fwboot fb;
	uint32_t len = 0;
	const uint8_t *p;
	char want[128];
	size_t i;
	int ret;

	make_image();
	for (i = 0; i < 3 * MiB; i++)
		initrd[i] = (uint8_t)(i >> 9);
	m->cfg.bios = "unused";
	m->cfg.kernel = write_file("bzImage", img, sizeof(img));
	m->cfg.initrd = write_file("initrd", initrd, 3 * MiB);
	m->cfg.append = "console=ttyS0 vmain.test=poweroff";
	/* A drive listed first by machine_ata_init(), as on a real machine. */
	tap_ok(fw_cfg_set_bootorder(&m->fwcfg.dev, drives, 1) == 0, "a drive in bootorder");
	ret = machine_fw_cfg_add_kernel(m);
	tap_ok(ret == 0, "kernel, initrd and command line added: %d", ret);
	if (ret)
		goto out;
	if (fwboot_prepare(img, sizeof(img), 3 * MiB, m->cfg.append, 256 * MiB, &fb, NULL)) {
		tap_ok(0, "fwboot_prepare");
		goto out;
	}
	tap_ok(port_u32(&m->fwcfg.dev, FW_CFG_SETUP_ADDR) == FWBOOT_SETUP_ADDR &&
	       port_u32(&m->fwcfg.dev, FW_CFG_SETUP_SIZE) == 4 * 512, "SETUP_ADDR/SIZE");
	port_read(&m->fwcfg.dev, FW_CFG_SETUP_DATA, buf, 4 * 512);
	tap_ok(!memcmp(buf, fb.setup, 4 * 512) && buf[0x210] == 0xff &&
	       (buf[0x211] & BZ_CAN_USE_HEAP), "SETUP_DATA: the setup part, header patched");
	tap_ok(port_u32(&m->fwcfg.dev, FW_CFG_KERNEL_ADDR) == FWBOOT_KERNEL_ADDR &&
	       port_u32(&m->fwcfg.dev, FW_CFG_KERNEL_SIZE) == KSIZE, "KERNEL_ADDR/SIZE");
	port_read(&m->fwcfg.dev, FW_CFG_KERNEL_DATA, buf, KSIZE);
	tap_ok(!memcmp(buf, img + 4 * 512, KSIZE), "KERNEL_DATA: the protected-mode part");
	tap_ok(port_u32(&m->fwcfg.dev, FW_CFG_INITRD_ADDR) == fb.initrd_addr &&
	       fb.initrd_addr + 3 * MiB <= 255 * MiB &&
	       port_u32(&m->fwcfg.dev, FW_CFG_INITRD_SIZE) == 3 * MiB,
	       "INITRD_ADDR/SIZE: the header's ramdisk (0x%x)", fb.initrd_addr);
	port_read(&m->fwcfg.dev, FW_CFG_INITRD_DATA, buf, 3 * MiB);
	tap_ok(!memcmp(buf, initrd, 3 * MiB), "INITRD_DATA: the initrd's bytes");
	tap_ok(port_u32(&m->fwcfg.dev, FW_CFG_CMDLINE_ADDR) == FWBOOT_CMDLINE_ADDR &&
	       port_u32(&m->fwcfg.dev, FW_CFG_CMDLINE_SIZE) == strlen(m->cfg.append) + 1,
	       "CMDLINE_ADDR/SIZE (with the NUL)");
	memset(buf, 0x55, 64);
	port_read(&m->fwcfg.dev, FW_CFG_CMDLINE_DATA, buf, strlen(m->cfg.append) + 1);
	tap_ok(!strcmp((char *)buf, m->cfg.append), "CMDLINE_DATA: --append");
	fwboot_free(&fb);

	p = fw_cfg_file_data(&m->fwcfg.dev, FW_LINUXBOOT_FILE, &len);
	tap_ok(p && g_file_get_contents(FW_LINUXBOOT_ROM, &rom, &rom_len, NULL) &&
	       rom_len == len && !memcmp(p, rom, len),
	       "genroms/linuxboot_dma.bin: Debian's ROM (%u bytes)", len);
	tap_ok(fw_cfg_file_key(&m->fwcfg.dev, FW_LINUXBOOT_FILE) >= FW_CFG_FILE_FIRST,
	       "the ROM in the file directory");
	p = fw_cfg_file_data(&m->fwcfg.dev, "bootorder", &len);
	snprintf(want, sizeof(want), "%s\n%s", FW_LINUXBOOT_BOOTPATH, drives[0]);
	tap_ok(p && len == strlen(want) + 1 && !memcmp(p, want, len),
	       "bootorder: the ROM first, then the drive (NUL-ended)");
out:
	g_free(rom);
	unlink(m->cfg.kernel);
	unlink(m->cfg.initrd);
	g_free((char *)m->cfg.kernel);
	g_free((char *)m->cfg.initrd);
	free_machine(m);
	free(initrd);
	free(buf);
}

static void test_refusals(void)
{
	struct machine *m;
	uint32_t len = 1;
	const uint8_t *p;
	int ret;

	make_image();
	/* 44 MiB of initrd in 64 MiB: 43 MiB between init_size's end (20) and 63. */
	m = new_machine(64 * MiB);
	m->cfg.kernel = write_file("bzImage", img, sizeof(img));
	m->cfg.initrd = write_file("big", "", 0);
	if (truncate(m->cfg.initrd, 44 * MiB))
		tap_ok(0, "truncate");
	ret = machine_fw_cfg_add_kernel(m);
	p = fw_cfg_file_data(&m->fwcfg.dev, "bootorder", &len);
	tap_ok(ret == -E2BIG, "an initrd over the room below the firmware's tables: -E2BIG");
	tap_ok(port_u32(&m->fwcfg.dev, FW_CFG_KERNEL_SIZE) == 0 &&
	       fw_cfg_file_key(&m->fwcfg.dev, FW_LINUXBOOT_FILE) == -ENOENT && p && len == 0,
	       "refused: no kernel item, no ROM, bootorder untouched");
	unlink(m->cfg.initrd);
	g_free((char *)m->cfg.initrd);
	m->cfg.initrd = NULL;
	ret = machine_fw_cfg_add_kernel(m);
	tap_ok(ret == 0, "the same kernel without the initrd: taken");
	tap_ok(port_u32(&m->fwcfg.dev, FW_CFG_INITRD_SIZE) == 0, "no initrd: no INITRD_SIZE");
	unlink(m->cfg.kernel);
	g_free((char *)m->cfg.kernel);
	free_machine(m);

	m = new_machine(256 * MiB);
	m->cfg.kernel = write_file("notakernel", "hello", 5);
	tap_ok(machine_fw_cfg_add_kernel(m) == -ENOEXEC, "not a bzImage: -ENOEXEC");
	unlink(m->cfg.kernel);
	tap_ok(machine_fw_cfg_add_kernel(m) == -EIO, "a missing kernel file: -EIO");
	g_free((char *)m->cfg.kernel);
	free_machine(m);
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	if (access(FW_LINUXBOOT_ROM, R_OK)) {
		/* The machine needs it for this path; scripts/deps test installs it. */
		tap_ok(0, "%s missing (package %s)", FW_LINUXBOOT_ROM, FW_LINUXBOOT_PACKAGE);
		rmdir(dir);
		return tap_done();
	}
	test_items();
	test_refusals();
	rmdir(dir);
	return tap_done();
}
