// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fw_cfg-test.c - the QEMU fw_cfg device (monitor/devices/fw_cfg.c) fed
 * the port accesses SeaBIOS and Linux's qemu_fw_cfg make: every standard
 * key, the file directory, reads by port and by DMA (READ, SKIP, SELECT,
 * WRITE refused), every malformed DMA request failing with nothing
 * outside the guest touched, select callbacks, the kernel keys,
 * bootorder, etc/sercon-port, etc/e820, and save/restore.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "state-patch.h"
#include "boot/e820.h"
#include "devices/fw_cfg.h"
#include "state/stream.h"

#define RAM_SIZE	(1u << 20)

static struct pio_bus bus;
static uint8_t *ram;
static struct gmem gm;
static struct fw_cfg fw;

static uint32_t in(uint16_t port, unsigned size)
{
	uint32_t d = 0;

	pio_bus_dispatch(&bus, port, size, false, &d);
	return d;
}

static void out(uint16_t port, unsigned size, uint32_t v)
{
	pio_bus_dispatch(&bus, port, size, true, &v);
}

static void sel(uint16_t key)
{
	out(FW_CFG_PORT_SEL, 2, key);
}

static void read_port(void *buf, size_t len)
{
	uint8_t *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)in(FW_CFG_PORT_DATA, 1);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Writes an FWCfgDmaAccess at `at` (guest-physical) and starts it. */
static void dma_at(uint64_t at, uint32_t control, uint32_t length, uint64_t addr,
		   uint8_t *acc)
{
	if (acc) {
		put_be32(acc, control);
		put_be32(acc + 4, length);
		put_be32(acc + 8, (uint32_t)(addr >> 32));
		put_be32(acc + 12, (uint32_t)addr);
	}
	/* As Linux's fw_cfg_dma_transfer(): iowrite32be high, then low. */
	out(FW_CFG_PORT_DMA, 4, __builtin_bswap32((uint32_t)(at >> 32)));
	out(FW_CFG_PORT_DMA + 4, 4, __builtin_bswap32((uint32_t)at));
}

#define ACC	0x1000u		/* the access structure */
#define BUF	0x2000u		/* the buffer */

static uint32_t dma(uint32_t control, uint32_t length, uint64_t addr)
{
	dma_at(ACC, control, length, addr, ram + ACC);
	return be32(ram + ACC);
}

static void test_standard_keys(void)
{
	uint8_t b[16];
	static const uint8_t uuid[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
	struct fw_cfg_machine mc = {
		.nr_cpus = 2, .max_cpus = 4, .ram_size = 0x123456789ull, .uuid = uuid,
	};

	sel(FW_CFG_SIGNATURE);
	read_port(b, 4);
	tap_ok(!memcmp(b, "QEMU", 4), "signature \"QEMU\" at key 0");
	tap_ok(in(FW_CFG_PORT_DATA, 1) == 0, "read past the signature's end: 0");
	sel(FW_CFG_ID);
	read_port(b, 4);
	tap_ok(b[0] == (FW_CFG_VERSION | FW_CFG_VERSION_DMA) && !b[1] && !b[2] && !b[3],
	       "ID: traditional interface and DMA");
	sel(FW_CFG_FILE_DIR);
	read_port(b, 4);
	tap_ok(be32(b) == 0, "directory: no files yet");
	sel(FW_CFG_NB_CPUS);
	tap_ok(in(FW_CFG_PORT_DATA, 1) == 0, "NB_CPUS absent before the machine adds it: 0");

	tap_ok(fw_cfg_add_machine(&fw, &mc) == 0, "machine keys added");
	sel(FW_CFG_NB_CPUS);
	read_port(b, 2);
	tap_ok(b[0] == 2 && b[1] == 0, "NB_CPUS le16 2");
	sel(FW_CFG_MAX_CPUS);
	read_port(b, 2);
	tap_ok(b[0] == 4 && b[1] == 0, "MAX_CPUS le16 4");
	sel(FW_CFG_RAM_SIZE);
	read_port(b, 8);
	tap_ok(b[0] == 0x89 && b[1] == 0x67 && b[2] == 0x45 && b[3] == 0x23 &&
	       b[4] == 0x01 && !b[5] && !b[6] && !b[7], "RAM_SIZE le64");
	sel(FW_CFG_UUID);
	read_port(b, 16);
	tap_ok(!memcmp(b, uuid, 16), "UUID 16 bytes");
	sel(FW_CFG_NOGRAPHIC);
	read_port(b, 2);
	tap_ok(b[0] == 0 && b[1] == 0, "NOGRAPHIC 0");
	mc.max_cpus = 1;
	tap_ok(fw_cfg_add_machine(&fw, &mc) == -EINVAL, "max_cpus below nr_cpus refused");

	tap_ok(fw_cfg_add_u32(&fw, FW_CFG_SIGNATURE, 1) == -EPERM &&
	       fw_cfg_add_u32(&fw, FW_CFG_ID, 1) == -EPERM &&
	       fw_cfg_add_u32(&fw, FW_CFG_FILE_DIR, 1) == -EPERM,
	       "signature, ID and directory cannot be replaced");
	tap_ok(fw_cfg_add_u32(&fw, FW_CFG_FILE_FIRST, 1) == -EINVAL,
	       "a file key is not a standard key");
	tap_ok(fw_cfg_add_bytes(&fw, FW_CFG_BOOT_MENU, NULL, 3, FW_CFG_DATA_COPY) == -EINVAL,
	       "NULL data with a length refused");
	sel(FW_CFG_ARCH_LOCAL | 3);
	tap_ok(in(FW_CFG_PORT_DATA, 1) == 0, "an arch-local key reads 0");
	sel(FW_CFG_WRITE_CHANNEL | FW_CFG_SIGNATURE);
	tap_ok(in(FW_CFG_PORT_DATA, 1) == 'Q', "the write-channel bit names the same item");
}

static void test_ports(void)
{
	sel(FW_CFG_SIGNATURE);
	tap_ok(in(FW_CFG_PORT_DATA, 1) == 'Q', "data port: 'Q'");
	tap_ok(in(FW_CFG_PORT_SEL, 1) == 'E', "8-bit read at 0x510 is data too (QEMU's combined region)");
	out(FW_CFG_PORT_DATA, 1, 0x55);
	tap_ok(in(FW_CFG_PORT_DATA, 1) == 'M', "data writes ignored, offset not moved");
	out(FW_CFG_PORT_SEL, 1, FW_CFG_ID);
	tap_ok(in(FW_CFG_PORT_DATA, 1) == 'U', "an 8-bit selector write selects nothing");
	tap_ok(in(FW_CFG_PORT_SEL, 2) == 0xffff && in(FW_CFG_PORT_DATA, 4) == 0xffffffff,
	       "wide data reads: all-ones, no byte consumed");
	sel(FW_CFG_SIGNATURE);
	tap_ok(in(FW_CFG_PORT_DATA, 1) == 'Q', "reselect rewinds");
	tap_ok(in(0x512, 1) == 0xff && in(0x513, 1) == 0xff, "0x512-0x513: nothing");
	/* "QEMU CFG" big-endian: port order Q E M U ' ' C F G. */
	tap_ok(in(FW_CFG_PORT_DMA, 4) == 0x554d4551 && in(FW_CFG_PORT_DMA + 4, 4) == 0x47464320,
	       "DMA register reads \"QEMU CFG\"");
	tap_ok(in(FW_CFG_PORT_DMA + 7, 1) == 'G' && in(FW_CFG_PORT_DMA + 6, 2) == 0x4746,
	       "DMA register: narrow reads of the signature");
	tap_ok(pio_bus_find(&bus, 0x51b) && !pio_bus_find(&bus, 0x51c) &&
	       !pio_bus_find(&bus, 0x50f), "ports 0x510..0x51b claimed, no more");
}

static void test_files(void)
{
	static const char *const names[] = { "etc/zz", "b-file", "etc/aa", "etc/a" };
	uint8_t dir[4 + 64 * 4], b[8];
	uint32_t len;
	unsigned int i;
	char longname[64];

	for (i = 0; i < 4; i++) {
		char data[8];

		snprintf(data, sizeof(data), "f%u", i);
		tap_ok(fw_cfg_add_file(&fw, names[i], data, strlen(data), FW_CFG_DATA_COPY) == 0,
		       "add file %s", names[i]);
	}
	tap_ok(fw_cfg_add_file(&fw, "etc/aa", "x", 1, FW_CFG_DATA_COPY) == -EEXIST,
	       "a name taken twice refused");
	memset(longname, 'n', sizeof(longname));
	longname[56] = 0;
	tap_ok(fw_cfg_add_file(&fw, longname, "x", 1, FW_CFG_DATA_COPY) == -ENAMETOOLONG,
	       "56-character name refused (55 + NUL fit)");
	longname[55] = 0;
	tap_ok(fw_cfg_add_file(&fw, longname, "x", 1, FW_CFG_DATA_BORROW) == 0,
	       "55-character name taken");
	tap_ok(fw_cfg_add_file(&fw, "", "x", 1, FW_CFG_DATA_COPY) == -EINVAL, "empty name refused");

	sel(FW_CFG_FILE_DIR);
	read_port(dir, 4);
	tap_ok(be32(dir) == 5, "directory: 5 files");
	read_port(dir + 4, 64 * 4);
	/* Sorted by strcmp: b-file, etc/a, etc/aa, etc/zz, nnn... */
	tap_ok(!strcmp((char *)dir + 4 + 8, "b-file") &&
	       !strcmp((char *)dir + 4 + 64 + 8, "etc/a") &&
	       !strcmp((char *)dir + 4 + 128 + 8, "etc/aa") &&
	       !strcmp((char *)dir + 4 + 192 + 8, "etc/zz"), "directory sorted by name");
	tap_ok(dir[4 + 4] == 0 && dir[4 + 5] == 0x20 && dir[4 + 64 + 5] == 0x21 &&
	       dir[4 + 192 + 5] == 0x23 && !dir[4 + 6] && !dir[4 + 7],
	       "select keys 0x20.. in name order, big-endian; reserved 0");
	tap_ok(be32(dir + 4) == 2 && be32(dir + 4 + 192) == 2, "sizes big-endian");
	tap_ok(fw_cfg_file_key(&fw, "etc/zz") == 0x23 && fw_cfg_file_key(&fw, "nope") == -ENOENT,
	       "fw_cfg_file_key");
	sel(0x23);
	read_port(b, 3);
	tap_ok(b[0] == 'f' && b[1] == '0' && b[2] == 0, "etc/zz's bytes by port, 0 past the end");
	tap_ok(fw_cfg_update_file(&fw, "etc/zz", "longer", 6, FW_CFG_DATA_COPY) == 0 &&
	       fw_cfg_file_data(&fw, "etc/zz", &len) && len == 6, "update changes the size");
	sel(FW_CFG_FILE_DIR);
	read_port(dir, 4 + 64 * 4);
	tap_ok(be32(dir + 4 + 192) == 6, "directory follows the new size");
	tap_ok(fw_cfg_update_file(&fw, "nope", "x", 1, FW_CFG_DATA_COPY) == -ENOENT,
	       "update of a missing file: -ENOENT");
	sel(0x20 + 5);
	tap_ok(in(FW_CFG_PORT_DATA, 1) == 0, "a key past the last file reads 0");
}

static void test_dma(void)
{
	int key = fw_cfg_file_key(&fw, "etc/zz");	/* "longer" */
	uint8_t *buf = ram + BUF;

	memset(buf, 0xaa, 16);
	tap_ok(dma(FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ | (uint32_t)key << 16, 4, BUF) == 0,
	       "DMA SELECT+READ: control cleared");
	tap_ok(!memcmp(buf, "long", 4) && buf[4] == 0xaa, "DMA READ: 4 bytes, not one more");
	tap_ok(in(FW_CFG_PORT_DATA, 1) == 'e', "the port goes on where DMA stopped");
	tap_ok(dma(FW_CFG_DMA_CTL_READ, 8, BUF) == 0 && buf[0] == 'r' &&
	       !buf[1] && !buf[7] && buf[8] == 0xaa, "DMA READ past the end: the rest zeroed");
	tap_ok(dma(FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_SKIP | (uint32_t)key << 16, 2, 0) == 0,
	       "DMA SELECT+SKIP 2");
	memset(buf, 0xaa, 16);
	tap_ok(dma(FW_CFG_DMA_CTL_READ, 2, BUF) == 0 && !memcmp(buf, "ng", 2),
	       "READ after SKIP continues at offset 2");
	tap_ok(dma(FW_CFG_DMA_CTL_SKIP, 100, 0) == 0 && in(FW_CFG_PORT_DATA, 1) == 0,
	       "SKIP past the end stops at the end");
	tap_ok(dma(FW_CFG_DMA_CTL_SELECT | FW_CFG_FILE_DIR << 16, 0, 0) == 0 &&
	       fw.cur_key == FW_CFG_FILE_DIR && fw.cur_off == 0, "SELECT alone selects");
	memset(buf, 0xaa, 16);
	tap_ok(dma(FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_WRITE | (uint32_t)key << 16, 4, BUF) ==
	       FW_CFG_DMA_CTL_ERROR && !memcmp(fw_cfg_file_data(&fw, "etc/zz", NULL), "longer", 6),
	       "DMA WRITE refused: ERROR, item unchanged");
	tap_ok(dma(FW_CFG_DMA_CTL_READ, 0, 0) == 0, "READ of 0 bytes at 0: done");
	/* A 32-bit guest writes the low half only: the high half was cleared. */
	put_be32(ram + ACC, FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ | FW_CFG_SIGNATURE << 16);
	put_be32(ram + ACC + 4, 4);
	put_be32(ram + ACC + 8, 0);
	put_be32(ram + ACC + 12, BUF);
	out(FW_CFG_PORT_DMA + 4, 4, __builtin_bswap32(ACC));
	tap_ok(be32(ram + ACC) == 0 && !memcmp(buf, "QEMU", 4), "low half alone starts a transfer");
	out(FW_CFG_PORT_DMA, 2, 0x1234);
	out(FW_CFG_PORT_DMA + 4, 1, 0x12);
	tap_ok(fw.dma_addr_high == 0, "narrow writes to the DMA register ignored");
}

/* Every malformed request fails alone; nothing outside RAM is touched. */
static void test_dma_malformed(void)
{
	int key = fw_cfg_file_key(&fw, "etc/zz");
	uint8_t *buf = ram + BUF;
	uint8_t save[16];

	sel(key);
	memset(buf, 0xaa, 16);
	tap_ok(dma(FW_CFG_DMA_CTL_READ, 8, RAM_SIZE - 4) == FW_CFG_DMA_CTL_ERROR &&
	       fw.cur_off == 0 && ram[RAM_SIZE - 1] == 0, "READ buffer running past RAM: ERROR, nothing copied");
	tap_ok(dma(FW_CFG_DMA_CTL_READ, 4, RAM_SIZE) == FW_CFG_DMA_CTL_ERROR,
	       "READ buffer just past RAM: ERROR");
	tap_ok(dma(FW_CFG_DMA_CTL_READ, 0xffffffffu, 0xffffffffffff0000ull) == FW_CFG_DMA_CTL_ERROR,
	       "READ address + length wrapping 2^64: ERROR");
	tap_ok(dma(FW_CFG_DMA_CTL_READ, 0xffffffffu, BUF) == FW_CFG_DMA_CTL_ERROR &&
	       buf[0] == 0xaa, "READ of 4 GiB - 1 into 1 MiB of RAM: ERROR, nothing copied");
	tap_ok(dma(FW_CFG_DMA_CTL_READ | 0x20, 4, BUF) == FW_CFG_DMA_CTL_ERROR &&
	       buf[0] == 0xaa && fw.cur_off == 0, "unknown control bit 5: ERROR, nothing done");
	tap_ok(dma(FW_CFG_DMA_CTL_READ | 0x8000, 4, BUF) == FW_CFG_DMA_CTL_ERROR,
	       "unknown control bit 15: ERROR");
	tap_ok(dma(FW_CFG_DMA_CTL_READ | FW_CFG_DMA_CTL_ERROR, 4, BUF) == FW_CFG_DMA_CTL_ERROR &&
	       buf[0] == 0xaa, "ERROR set by the guest: nothing transferred");
	tap_ok(dma(FW_CFG_DMA_CTL_SKIP | FW_CFG_DMA_CTL_WRITE, 1, BUF) == FW_CFG_DMA_CTL_ERROR &&
	       fw.cur_off == 0, "WRITE with SKIP: refused, no skip");

	/* The access structure itself outside RAM, or straddling its end. */
	memcpy(save, ram + RAM_SIZE - 16, 16);
	dma_at(RAM_SIZE - 8, FW_CFG_DMA_CTL_READ, 4, BUF, NULL);
	tap_ok(!memcmp(save, ram + RAM_SIZE - 16, 16) && fw.cur_off == 0 && buf[0] == 0xaa,
	       "access structure straddling the end of RAM: dropped, nothing written");
	dma_at(0xfffffffffffffff8ull, FW_CFG_DMA_CTL_READ, 4, BUF, NULL);
	tap_ok(fw.cur_off == 0 && buf[0] == 0xaa, "access structure at 2^64 - 8: dropped");
	dma_at(1ull << 40, FW_CFG_DMA_CTL_READ, 4, BUF, NULL);
	tap_ok(fw.cur_off == 0 && fw.dma_addr_high == 0, "access structure at 1 TiB: dropped");

	/*
	 * "A loop": a READ whose buffer is its own access structure.  The
	 * request was copied out first, so it runs as written once, and the
	 * control word written last says it completed.
	 */
	tap_ok(dma(FW_CFG_DMA_CTL_READ, 6, ACC) == 0 && !memcmp(ram + ACC + 4, "er", 2) &&
	       fw.cur_off == 6, "READ over its own access structure: done once, control 0");
	sel(key);
	dma_at(ACC, FW_CFG_DMA_CTL_SKIP, 0xffffffffu, 0, ram + ACC);
	tap_ok(be32(ram + ACC) == 0 && fw.cur_off == 6, "SKIP of 4 GiB - 1: capped at the end");
	tap_ok(fw.dma_addr_high == 0, "DMA high half cleared after each transfer");
}

/* A machine with RAM above the hole: buffers are checked across it. */
static void test_dma_hole(void)
{
	struct gmem split = { .base = ram, .size = RAM_SIZE, .low_size = RAM_SIZE / 2 };
	const struct gmem *keep = fw.ram;
	uint64_t high = GMEM_HIGH_BASE;

	fw.ram = &split;
	sel(FW_CFG_SIGNATURE);
	memset(ram + RAM_SIZE / 2, 0xaa, 8);
	tap_ok(dma(FW_CFG_DMA_CTL_READ, 4, high) == 0 && !memcmp(ram + RAM_SIZE / 2, "QEMU", 4),
	       "READ into RAM above 4 GiB");
	sel(FW_CFG_SIGNATURE);
	tap_ok(dma(FW_CFG_DMA_CTL_READ, 4, RAM_SIZE / 2 - 2) == FW_CFG_DMA_CTL_ERROR &&
	       ram[RAM_SIZE / 2 - 1] == 0, "READ across the end of low RAM into the hole: ERROR");
	tap_ok(dma(FW_CFG_DMA_CTL_READ, 4, high - 2) == FW_CFG_DMA_CTL_ERROR,
	       "READ from the hole into high RAM: ERROR");
	tap_ok(dma(FW_CFG_DMA_CTL_READ, 4, high + RAM_SIZE / 2 - 2) == FW_CFG_DMA_CTL_ERROR,
	       "READ past the end of high RAM: ERROR");
	memset(ram + RAM_SIZE / 2, 0, 8);
	fw.ram = keep;
}

struct cb_log {
	unsigned int calls;
	char last[FW_CFG_MAX_FILE_PATH];
};

/* Lazy content: the file gets its bytes when selected, as ACPI does. */
static void lazy_select(void *opaque, struct fw_cfg *f, const char *name)
{
	struct cb_log *log = opaque;
	char data[16];

	log->calls++;
	snprintf(log->last, sizeof(log->last), "%s", name);
	snprintf(data, sizeof(data), "built%u", log->calls);
	fw_cfg_update_file(f, name, data, 6, FW_CFG_DATA_COPY);
}

static struct cb_log lazy_log;

static void test_select_callback(void)
{
	uint8_t b[8];
	int key;

	tap_ok(fw_cfg_add_file_cb(&fw, "etc/lazy", "......", 6, FW_CFG_DATA_COPY,
				  lazy_select, &lazy_log) == 0, "file with a select callback");
	key = fw_cfg_file_key(&fw, "etc/lazy");
	tap_ok(lazy_log.calls == 0, "not called when added");
	sel((uint16_t)key);
	read_port(b, 6);
	tap_ok(lazy_log.calls == 1 && !strcmp(lazy_log.last, "etc/lazy") &&
	       !memcmp(b, "built1", 6), "port select: built before the first byte");
	tap_ok(dma(FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ | (uint32_t)key << 16, 6, BUF) == 0 &&
	       lazy_log.calls == 2 && !memcmp(ram + BUF, "built2", 6),
	       "DMA select: built again");
	tap_ok(dma(FW_CFG_DMA_CTL_READ, 2, BUF) == 0 && lazy_log.calls == 2,
	       "a READ without SELECT: no call");
}

static void test_kernel(void)
{
	static const uint8_t setup[600] = { [0x1f1] = 4, [0x202] = 'H' };
	uint8_t kernel[3000], initrd[100], b[16];
	struct fw_cfg_kernel k = {
		.setup_addr = 0x10000, .kernel_addr = 0x100000, .initrd_addr = 0x7f00000,
		.cmdline_addr = 0x20000, .entry = 0x10200,
		.setup = setup, .setup_len = sizeof(setup),
		.kernel = kernel, .kernel_len = sizeof(kernel),
		.initrd = initrd, .initrd_len = sizeof(initrd),
		.cmdline = "console=ttyS0",
	};
	uint32_t v;

	memset(kernel, 0x5a, sizeof(kernel));
	memset(initrd, 0x33, sizeof(initrd));
	tap_ok(fw_cfg_add_kernel(&fw, &k) == 0, "kernel, initrd, command line added");
#define KEY32(key, want, what) do {					\
		sel(key);						\
		read_port(b, 4);					\
		v = (uint32_t)b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24; \
		tap_ok(v == (want), "%s le32 0x%x", what, (unsigned)(want)); \
	} while (0)
	KEY32(FW_CFG_SETUP_ADDR, 0x10000, "SETUP_ADDR");
	KEY32(FW_CFG_SETUP_SIZE, 600, "SETUP_SIZE");
	KEY32(FW_CFG_KERNEL_ADDR, 0x100000, "KERNEL_ADDR");
	KEY32(FW_CFG_KERNEL_SIZE, 3000, "KERNEL_SIZE");
	KEY32(FW_CFG_KERNEL_ENTRY, 0x10200, "KERNEL_ENTRY");
	KEY32(FW_CFG_INITRD_ADDR, 0x7f00000, "INITRD_ADDR");
	KEY32(FW_CFG_INITRD_SIZE, 100, "INITRD_SIZE");
	KEY32(FW_CFG_CMDLINE_ADDR, 0x20000, "CMDLINE_ADDR");
	KEY32(FW_CFG_KERNEL_CMDLINE, 0x20000, "KERNEL_CMDLINE (legacy address)");
	KEY32(FW_CFG_CMDLINE_SIZE, 14, "CMDLINE_SIZE, NUL included");
#undef KEY32
	sel(FW_CFG_CMDLINE_DATA);
	read_port(b, 14);
	tap_ok(!memcmp(b, "console=ttyS0", 14), "CMDLINE_DATA NUL-terminated");
	tap_ok(dma(FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ | FW_CFG_SETUP_DATA << 16,
		   600, BUF) == 0 && !memcmp(ram + BUF, setup, 600), "SETUP_DATA by DMA");
	tap_ok(dma(FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ | FW_CFG_KERNEL_DATA << 16,
		   3000, BUF) == 0 && !memcmp(ram + BUF, kernel, 3000), "KERNEL_DATA by DMA");
	tap_ok(dma(FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ | FW_CFG_INITRD_DATA << 16,
		   100, BUF) == 0 && !memcmp(ram + BUF, initrd, 100), "INITRD_DATA by DMA");
	k.kernel = NULL;
	tap_ok(fw_cfg_add_kernel(&fw, &k) == -EINVAL, "a kernel without its bytes refused");
}

static void test_boot_files(void)
{
	static const char *const paths[] = { "/pci@i0cf8/ide@1,1/drive@0/disk@0", "HALT" };
	struct boot_e820_entry map[3] = {
		{ 0, 0xc0000000ull, BOOT_E820_RAM },
		{ 0xe0000000ull, 0x100000, BOOT_E820_RESERVED },
		{ 0x100000000ull, 0x40000000ull, BOOT_E820_RAM },
	};
	const uint8_t *p;
	uint32_t len;

	tap_ok(fw_cfg_add_boot_files(&fw, 0x3f8) == 0, "bootorder and etc/sercon-port added");
	p = fw_cfg_file_data(&fw, "bootorder", &len);
	tap_ok(p && len == 0, "bootorder empty by default");
	p = fw_cfg_file_data(&fw, "etc/sercon-port", &len);
	tap_ok(p && len == 2 && p[0] == 0xf8 && p[1] == 0x03, "etc/sercon-port le16 0x3f8");
	tap_ok(fw_cfg_set_bootorder(&fw, paths, 2) == 0, "boot order set");
	p = fw_cfg_file_data(&fw, "bootorder", &len);
	tap_ok(p && len == strlen(paths[0]) + 1 + 5 &&
	       !memcmp(p, "/pci@i0cf8/ide@1,1/drive@0/disk@0\nHALT", len),
	       "bootorder: one path a line, NUL-terminated");
	tap_ok(fw_cfg_set_bootorder(&fw, (const char *const[]){ "a\nb" }, 1) == -EINVAL,
	       "a path with a newline refused");
	tap_ok(fw_cfg_set_bootorder(&fw, NULL, 0) == 0 &&
	       fw_cfg_file_data(&fw, "bootorder", &len) && len == 0, "boot order cleared");

	tap_ok(fw_cfg_add_e820(&fw, map, 3) == 0, "etc/e820 added");
	p = fw_cfg_file_data(&fw, "etc/e820", &len);
	tap_ok(p && len == 60 && p[4] == 0 && p[8 + 3] == 0xc0 && p[16] == BOOT_E820_RAM &&
	       p[20 + 3] == 0xe0 && p[20 + 10] == 0x10 && p[20 + 16] == BOOT_E820_RESERVED &&
	       p[40 + 4] == 1 && p[40 + 11] == 0x40 && p[40 + 16] == BOOT_E820_RAM,
	       "etc/e820: 3 packed le entries of 20 bytes");
	map[1].addr = 0xbfff0000ull;
	tap_ok(fw_cfg_add_e820(&fw, map, 3) == -EINVAL, "an overlapping map refused");
}

static uint64_t le(const uint8_t *p, unsigned int n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | p[n];
	return v;
}

/* Entry i of an etc/e820 file: address, length, type. */
static int e820_is(const uint8_t *p, unsigned int i, uint64_t addr, uint64_t size,
		   uint32_t type)
{
	p += 20 * i;
	return le(p, 8) == addr && le(p + 8, 8) == size && le(p + 16, 4) == type;
}

static void test_memory_map(void)
{
	const struct boot_e820_entry ecam = { 0xe0000000ull, 0x100000, BOOT_E820_RESERVED };
	const struct boot_e820_entry bad = { 0x0ff00000ull, 0x200000, BOOT_E820_RESERVED };
	struct fw_cfg d;
	const uint8_t *p;
	uint32_t len;

	/* 256 MiB: all of it below the hole. */
	fw_cfg_init(&d, &gm);
	tap_ok(fw_cfg_add_memory_map(&d, 256ull << 20, 0, &ecam, 1) == 0, "256 MiB map added");
	p = fw_cfg_file_data(&d, "etc/e820", &len);
	tap_ok(p && len == 40 && e820_is(p, 0, 0, 256ull << 20, BOOT_E820_RAM) &&
	       e820_is(p, 1, 0xe0000000ull, 0x100000, BOOT_E820_RESERVED),
	       "256 MiB: RAM [0, 256 MiB), the ECAM reserved");
	fw_cfg_destroy(&d);

	/* 4.5 GiB: 3 GiB below the hole, 1.5 GiB from 4 GiB. */
	fw_cfg_init(&d, &gm);
	tap_ok(fw_cfg_add_memory_map(&d, 3ull << 30, 1536ull << 20, &ecam, 1) == 0,
	       "4.5 GiB map added");
	p = fw_cfg_file_data(&d, "etc/e820", &len);
	tap_ok(p && len == 60 && e820_is(p, 0, 0, 3ull << 30, BOOT_E820_RAM) &&
	       e820_is(p, 1, 0xe0000000ull, 0x100000, BOOT_E820_RESERVED) &&
	       e820_is(p, 2, 4ull << 30, 1536ull << 20, BOOT_E820_RAM),
	       "4.5 GiB: RAM [0, 3 GiB), ECAM, RAM [4 GiB, 5.5 GiB), sorted");
	tap_ok(fw_cfg_add_memory_map(&d, 3ull << 30, 0, NULL, 0) == -EEXIST,
	       "a second etc/e820 refused");
	fw_cfg_destroy(&d);

	fw_cfg_init(&d, &gm);
	tap_ok(fw_cfg_add_memory_map(&d, 256ull << 20, 0, &bad, 1) == -EINVAL &&
	       !fw_cfg_file_data(&d, "etc/e820", NULL), "a reserved range overlapping RAM refused");
	tap_ok(fw_cfg_add_memory_map(&d, 0, 0, NULL, 0) == -EINVAL, "no low RAM refused");
	tap_ok(fw_cfg_add_memory_map(&d, 5ull << 30, 0, NULL, 0) == -EINVAL,
	       "low RAM past 4 GiB refused");
	fw_cfg_destroy(&d);
}

static uint8_t dev_in(struct fw_cfg *d, uint16_t off)
{
	uint32_t v = 0;

	fw_cfg_io(d, off, 1, false, &v);
	return (uint8_t)v;
}

static void dev_out(struct fw_cfg *d, uint16_t off, unsigned size, uint32_t v)
{
	fw_cfg_io(d, off, size, true, &v);
}

/* A machine's fw_cfg as both the saving and the restoring machine build it. */
static int build(struct fw_cfg *d, struct cb_log *log)
{
	int ret = fw_cfg_init(d, &gm);

	if (!ret)
		ret = fw_cfg_add_file(d, "etc/other", "abcdef", 6, FW_CFG_DATA_COPY);
	if (!ret)
		ret = fw_cfg_add_file_cb(d, "etc/lazy", "......", 6, FW_CFG_DATA_COPY,
					 lazy_select, log);
	return ret;
}

static void test_save_restore(void)
{
	struct cb_log log1 = { 0 }, log2 = { 0 };
	struct fw_cfg a, b;
	struct state_writer w;
	struct state_reader r;
	const uint8_t *buf;
	uint8_t copy[64], copy2[64];
	size_t len, clen;
	int key, err;

	tap_ok(build(&a, &log1) == 0 && build(&b, &log2) == 0,
	       "two devices with the same files");
	key = fw_cfg_file_key(&a, "etc/lazy");
	dev_out(&a, 0, 2, (uint32_t)key);
	dev_in(&a, 1);
	dev_in(&a, 1);
	dev_out(&a, 4, 4, __builtin_bswap32(0x1234));
	state_writer_init(&w);
	tap_ok(fw_cfg_save(&a, &w) == 0, "save: selector, offset, DMA high half");
	buf = state_writer_data(&w, &len, &err);

	state_reader_init(&r, buf, len);
	tap_ok(fw_cfg_load(&b, &r) == 0 && state_reader_at_end(&r), "load (%s)",
	       state_reader_msg(&r));
	tap_ok(b.cur_key == key && b.cur_off == 2 && b.dma_addr_high == 0x1234,
	       "load: key, offset and DMA high half as saved");
	tap_ok(log2.calls == 1, "load: the lazy file built again");
	tap_ok(dev_in(&b, 1) == 'i' && b.cur_off == 3,
	       "load: reading continues at offset 2 (\"built1\")");

	clen = patched(copy, sizeof(copy), buf, len, 2, 7, 4);
	state_reader_init(&r, copy, clen);
	tap_ok(clen && fw_cfg_load(&b, &r) == -EINVAL && b.cur_off == 3,
	       "load: an offset past the item's end refused, device untouched");
	clen = patched(copy, sizeof(copy), buf, len, 0, 0x7777, 2);
	clen = patched(copy2, sizeof(copy2), copy, clen, 2, 1, 4);
	state_reader_init(&r, copy2, clen);
	tap_ok(clen && fw_cfg_load(&b, &r) == -EINVAL && b.cur_key == key,
	       "load: an offset into a missing key refused");
	clen = patched(copy, sizeof(copy), buf, len, 0, 0x7777, 2);
	clen = patched(copy2, sizeof(copy2), copy, clen, 2, 0, 4);
	state_reader_init(&r, copy2, clen);
	tap_ok(clen && fw_cfg_load(&b, &r) == 0 && b.cur_key == 0x7777 && dev_in(&b, 1) == 0,
	       "load: a missing key at offset 0 taken (reads 0s, as before)");
	state_writer_free(&w);

	fw_cfg_reset(&b);
	tap_ok(b.cur_key == 0 && b.cur_off == 0 && b.dma_addr_high == 0, "reset: selector 0");
	fw_cfg_destroy(&a);
	fw_cfg_destroy(&b);
}

int main(void)
{
	ram = calloc(1, RAM_SIZE);
	if (!ram)
		return 1;
	gm.base = ram;
	gm.size = RAM_SIZE;
	pio_bus_init(&bus);
	tap_ok(fw_cfg_init(&fw, &gm) == 0 && fw_cfg_register(&fw, &bus) == 0,
	       "fw_cfg at 0x510");
	test_standard_keys();
	test_ports();
	test_files();
	test_dma();
	test_dma_malformed();
	test_dma_hole();
	test_select_callback();
	test_kernel();
	test_boot_files();
	test_memory_map();
	test_save_restore();
	fw_cfg_destroy(&fw);
	pio_bus_destroy(&bus);
	free(ram);
	return tap_done();
}
