// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * debug_exit-test.c - the test-exit port (monitor/devices/debug_exit.c):
 * "PORT[,SIZE]" parsing with QEMU's defaults and every bad form, writes of
 * each width at each of its ports giving (V << 1) | 1, reads all-ones,
 * and a clash with a device already on the bus refused and named.
 */
#include <errno.h>
#include <stdint.h>

#include "tap.h"
#include "devices/debug_exit.h"

static uint32_t last_status;
static unsigned int exits;

static void on_exit_cb(void *opaque, uint32_t status)
{
	(void)opaque;
	last_status = status;
	exits++;
}

static int other_io(void *opaque, uint16_t off, unsigned size, bool write, uint32_t *data)
{
	(void)opaque;
	(void)off;
	(void)size;
	if (!write)
		*data = 0x12;
	return 0;
}

static void test_parse(void)
{
	static const struct {
		const char *spec;
		uint16_t port, size;
	} good[] = {
		{ "", 0x501, 2 },
		{ "0x501", 0x501, 2 },
		{ "0xf4,4", 0xf4, 4 },
		{ "0XF4,0x4", 0xf4, 4 },
		{ "244", 244, 2 },
		{ "0x501,1", 0x501, 1 },
		{ "0xffff", 0xffff, 2 - 1 + 1 },	/* checked below: runs past */
		{ "0xff00,256", 0xff00, 256 },
		{ "1,1", 1, 1 },
	};
	static const char *const bad[] = {
		"0", "0x0", "-1", "+5", " 5", "0x10000", "65536", "x", "0x", "12a", "5,",
		",", ",2", "5,0", "5,257", "5,-1", "0xffff,2", "0xff01,256", "5,2,3",
		"99999999999999999999", "5,99999999999999999999", "0x501 ", "5,1x",
	};
	struct debug_exit_config cfg;
	char err[128];
	unsigned int i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		int ret;

		cfg = (struct debug_exit_config){ 0 };
		ret = debug_exit_parse(good[i].spec, &cfg, err, sizeof(err));
		if (!strcmp(good[i].spec, "0xffff")) {
			/* The default size from 0xffff would reach 0x10000. */
			tap_ok(ret == -EINVAL && strstr(err, "past 0xffff"),
			       "parse '0xffff' (default size 2): refused, %s", err);
			continue;
		}
		tap_ok(ret == 0 && cfg.port == good[i].port && cfg.size == good[i].size,
		       "parse '%s': port 0x%x size %u", good[i].spec, cfg.port, cfg.size);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cfg = (struct debug_exit_config){ 7, 7 };
		err[0] = 0;
		tap_ok(debug_exit_parse(bad[i], &cfg, err, sizeof(err)) == -EINVAL && err[0] &&
		       cfg.port == 7 && cfg.size == 7,
		       "parse '%s' refused (%s), nothing changed", bad[i], err);
	}
}

static void test_io(void)
{
	struct debug_exit_config cfg = { 0x501, 2 };
	struct debug_exit d;
	struct pio_bus bus;
	unsigned int off, size;
	int ret, ok = 1;

	pio_bus_init(&bus);
	debug_exit_init(&d, &cfg, on_exit_cb, NULL);
	tap_ok(debug_exit_register(&d, &bus, NULL) == 0, "registered at 0x501..0x502");
	for (off = 0; off < 2; off++)
		for (size = 1; size <= 4; size *= 2) {
			uint32_t v = 0x12345678, want = ((0x12345678 & pio_ones(size)) << 1) | 1;

			exits = 0;
			ret = pio_bus_dispatch(&bus, (uint16_t)(0x501 + off), size, true, &v);
			ok &= ret == 0 && exits == 1 && last_status == want;
			v = 0;
			ret = pio_bus_dispatch(&bus, (uint16_t)(0x501 + off), size, false, &v);
			ok &= ret == 0 && v == pio_ones(size) && exits == 1;
		}
	tap_ok(ok, "a write of V at either port, any width: one exit, status (V << 1) | 1; reads all-ones");
	exits = 0;
	last_status = 0;
	{
		uint32_t v = 3;

		pio_bus_dispatch(&bus, 0x501, 1, true, &v);
		tap_ok(exits == 1 && last_status == 7, "writing 3 ends with status 7 (QEMU's)");
		v = 0;
		pio_bus_dispatch(&bus, 0x501, 1, true, &v);
		tap_ok(exits == 2 && last_status == 1, "writing 0 ends with status 1");
		v = 0x80;
		pio_bus_dispatch(&bus, 0x502, 1, true, &v);
		tap_ok(last_status == 0x101, "writing 0x80 gives 0x101 (the host keeps 8 bits: 1)");
	}
	exits = 0;
	{
		uint32_t v = 5;

		pio_bus_dispatch(&bus, 0x500, 1, true, &v);
		pio_bus_dispatch(&bus, 0x503, 1, true, &v);
		tap_ok(exits == 0, "the ports beside it do nothing");
		tap_ok(debug_exit_io(&d, 0, 3, true, &v) == -EINVAL && exits == 0,
		       "an access of size 3 is refused without an exit");
	}
	/* No callback: a write is harmless. */
	debug_exit_init(&d, &cfg, NULL, NULL);
	{
		uint32_t v = 1;

		tap_ok(debug_exit_io(&d, 0, 1, true, &v) == 0, "no exit callback: a write is dropped");
	}
	pio_bus_destroy(&bus);
}

static void test_clash(void)
{
	struct debug_exit_config cfg;
	struct debug_exit d;
	struct pio_bus bus;
	const char *clash;
	char err[128];

	pio_bus_init(&bus);
	pio_bus_register(&bus, 0x3f8, 8, other_io, NULL, "COM1");
	pio_bus_register(&bus, 0x510, 2, other_io, NULL, "fw_cfg");
	debug_exit_parse("0x3fe,4", &cfg, err, sizeof(err));
	debug_exit_init(&d, &cfg, on_exit_cb, NULL);
	tap_ok(debug_exit_register(&d, &bus, &clash) == -EEXIST && clash && !strcmp(clash, "COM1"),
	       "0x3fe..0x401 over COM1: -EEXIST naming COM1");
	debug_exit_parse("0x50f,2", &cfg, err, sizeof(err));
	debug_exit_init(&d, &cfg, on_exit_cb, NULL);
	tap_ok(debug_exit_register(&d, &bus, &clash) == -EEXIST && clash && !strcmp(clash, "fw_cfg"),
	       "0x50f..0x510, ending on fw_cfg's first port: -EEXIST naming fw_cfg");
	debug_exit_parse("", &cfg, err, sizeof(err));
	debug_exit_init(&d, &cfg, on_exit_cb, NULL);
	tap_ok(debug_exit_register(&d, &bus, &clash) == 0 && !clash,
	       "the default 0x501..0x502 beside them: registered");
	cfg = (struct debug_exit_config){ 0xffff, 2 };
	debug_exit_init(&d, &cfg, on_exit_cb, NULL);
	tap_ok(debug_exit_register(&d, &bus, NULL) == -EINVAL, "a range past 0xffff: -EINVAL");
	cfg = (struct debug_exit_config){ 0x600, 0 };
	debug_exit_init(&d, &cfg, on_exit_cb, NULL);
	tap_ok(debug_exit_register(&d, &bus, NULL) == -EINVAL, "size 0: -EINVAL");
	pio_bus_destroy(&bus);
}

int main(void)
{
	test_parse();
	test_io();
	test_clash();
	return tap_done();
}
