// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * machine/fwcfg-kernel.c - --kernel under the firmware: the kernel's
 * fw_cfg items and the Linux boot ROM (see fwcfg.h,
 * machine_fw_cfg_add_kernel()).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boot/fwboot.h"
#include "machine/fwcfg.h"
#include "machine/machine.h"

static uint64_t low_ram(const struct machine *m)
{
	return m->ram.low_size ? m->ram.low_size : m->ram.size;
}

/* The whole file; -EIO with a message naming it (and `hint`, if any). */
static int read_whole(const char *what, const char *path, const char *hint, gchar **buf,
		      gsize *len)
{
	GError *err = NULL;

	if (g_file_get_contents(path, buf, len, &err))
		return 0;
	fprintf(stderr, "vmain: cannot read the %s: %s%s\n", what, err->message, hint ? hint : "");
	g_error_free(err);
	return -EIO;
}

/*
 * An option ROM as SeaBIOS takes it (its optionroms.c): 55 AAh, the size
 * in 512-byte blocks at byte 2, within the 128 KiB of option-ROM space.
 */
static const char *rom_error(const uint8_t *rom, gsize len)
{
	if (len < 512 || len % 512 || len > 128 * 1024)
		return "not a whole number of 512-byte blocks up to 128 KiB";
	if (rom[0] != 0x55 || rom[1] != 0xaa)
		return "no 55 AAh option ROM signature";
	if ((gsize)rom[2] * 512 > len || !rom[2])
		return "its size byte does not match the file";
	return NULL;
}

/*
 * "bootorder" with the boot ROM's line first, then what was there (the
 * drives machine_ata_init() put in): SeaBIOS gives the ROM's BEV the
 * first place, as QEMU's bootindex 0 for it does.
 */
static int boot_rom_first(struct fw_cfg *fw)
{
	const char *path = FW_LINUXBOOT_BOOTPATH;
	const uint8_t *old;
	uint32_t len = 0;
	size_t plen = strlen(path);
	char *buf;

	old = fw_cfg_file_data(fw, "bootorder", &len);
	if (!old)
		len = 0;
	buf = malloc(plen + 1 + len);
	if (!buf)
		return -ENOMEM;
	/* Lines joined by newlines, the last ended by a NUL (as QEMU). */
	memcpy(buf, path, plen);
	buf[plen] = len ? '\n' : '\0';
	if (len)
		memcpy(buf + plen + 1, old, len);
	return fw_cfg_update_file(fw, "bootorder", buf, plen + 1 + len, FW_CFG_DATA_OWN);
}

int machine_fw_cfg_add_kernel(struct machine *m)
{
	struct fw_cfg *fw = &m->fwcfg.dev;
	gchar *kernel = NULL, *initrd = NULL, *rom = NULL;
	gsize klen = 0, ilen = 0, rlen = 0;
	const char *reason = NULL;
	struct fw_cfg_kernel k;
	struct fwboot fb;
	int ret;

	ret = read_whole("Linux boot ROM", FW_LINUXBOOT_ROM,
			 " (Debian's " FW_LINUXBOOT_PACKAGE " package has it; --kernel under "
			 "--firmware seabios needs it)", &rom, &rlen);
	if (ret)
		return ret;
	reason = rom_error((const uint8_t *)rom, rlen);
	if (reason) {
		fprintf(stderr, "vmain: the Linux boot ROM %s: %s\n", FW_LINUXBOOT_ROM, reason);
		ret = -EINVAL;
		goto free_rom;
	}
	ret = read_whole("kernel", m->cfg.kernel, NULL, &kernel, &klen);
	if (!ret && m->cfg.initrd)
		ret = read_whole("initrd", m->cfg.initrd, NULL, &initrd, &ilen);
	if (ret)
		goto free_files;
	ret = fwboot_prepare(kernel, klen, ilen, m->cfg.append, low_ram(m), &fb, &reason);
	if (ret) {
		fprintf(stderr, "vmain: cannot boot %s through the firmware: %s", m->cfg.kernel,
			reason ? reason : strerror(-ret));
		if (ret == -E2BIG && ilen)
			fprintf(stderr, " (initrd %" G_GSIZE_FORMAT " MiB, RAM below 4 GiB %"
				G_GUINT64_FORMAT " MiB)", ilen >> 20, (guint64)(low_ram(m) >> 20));
		fprintf(stderr, "\n");
		goto free_files;
	}
	k = (struct fw_cfg_kernel){
		.setup_addr = FWBOOT_SETUP_ADDR,
		.kernel_addr = FWBOOT_KERNEL_ADDR,
		.initrd_addr = fb.initrd_addr,
		.cmdline_addr = FWBOOT_CMDLINE_ADDR,
		.entry = FWBOOT_KERNEL_ADDR,	/* code32_start; the ROM enters the setup */
		.setup = fb.setup,
		.setup_len = fb.setup_len,
		.kernel = fb.kernel,
		.kernel_len = fb.kernel_len,
		.initrd = initrd,
		.initrd_len = ilen,
		.cmdline = m->cfg.append,
	};
	ret = fw_cfg_add_kernel(fw, &k);
	fwboot_free(&fb);
	if (!ret)
		ret = fw_cfg_add_file(fw, FW_LINUXBOOT_FILE, rom, rlen, FW_CFG_DATA_COPY);
	if (!ret)
		ret = boot_rom_first(fw);
	if (ret && !reason)
		fprintf(stderr, "vmain: cannot give %s to the firmware: %s\n", m->cfg.kernel,
			strerror(-ret));
free_files:
	g_free(kernel);
	g_free(initrd);
free_rom:
	g_free(rom);
	return ret;
}
