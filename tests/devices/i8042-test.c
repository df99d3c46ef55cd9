// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * i8042-test.c - the 8042 (monitor/devices/i8042.c) through the bus:
 * status, self-test, command byte, reset pulses, odd sizes (the keyboard
 * behind it: ps2-kbd-test.c).
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "tap.h"
#include "devices/i8042.h"
#include "state/stream.h"

static int resets;

static void on_reset(void *opaque)
{
	(void)opaque;
	resets++;
}

static struct pio_bus bus;

static uint32_t in(uint16_t port, unsigned size)
{
	uint32_t d = 0;

	if (pio_bus_dispatch(&bus, port, size, false, &d))
		tap_diag("in %#x failed", port);
	return d;
}

static void out(uint16_t port, unsigned size, uint32_t v)
{
	if (pio_bus_dispatch(&bus, port, size, true, &v))
		tap_diag("out %#x failed", port);
}

/* --- save and restore ----------------------------------------------------- */

static uint8_t kio(struct i8042 *k, bool cmd, bool write, uint8_t v)
{
	uint32_t d = v;

	if (cmd)
		i8042_cmd_io(k, 0, 1, write, &d);
	else
		i8042_data_io(k, 0, 1, write, &d);
	return (uint8_t)d;
}

static void test_save_restore(void)
{
	static const struct i8042_ops ops = { .reset = on_reset };
	struct i8042 a, b;
	struct state_writer w;
	struct state_reader r;
	const uint8_t *buf;
	uint8_t oa[6], ob[6];
	size_t len;
	int err;

	i8042_init(&a, &ops, NULL);
	kio(&a, true, true, 0xd1);	/* write output port: A20 on */
	kio(&a, false, true, 0x03);
	kio(&a, true, true, 0x60);	/* a command waiting for its byte */
	state_writer_init(&w);
	tap_ok(i8042_save(&a, &w) == 0, "save: controller mid-command");
	buf = state_writer_data(&w, &len, &err);
	i8042_init(&b, &ops, NULL);
	state_reader_init(&r, buf, len);
	tap_ok(i8042_load(&b, &r) == 0 && state_reader_at_end(&r),
	       "load: into a fresh controller (%s)", state_reader_msg(&r));
	oa[0] = kio(&a, true, false, 0);
	ob[0] = kio(&b, true, false, 0);
	kio(&a, false, true, 0x23);	/* completes the pending 0x60 */
	kio(&b, false, true, 0x23);
	kio(&a, true, true, 0x20);
	kio(&b, true, true, 0x20);
	oa[1] = kio(&a, true, false, 0);
	ob[1] = kio(&b, true, false, 0);
	oa[2] = kio(&a, false, false, 0);
	ob[2] = kio(&b, false, false, 0);
	kio(&a, true, true, 0xd0);
	kio(&b, true, true, 0xd0);
	oa[3] = kio(&a, false, false, 0);
	ob[3] = kio(&b, false, false, 0);
	oa[4] = kio(&a, true, false, 0);
	ob[4] = kio(&b, true, false, 0);
	oa[5] = ob[5] = 0;
	tap_ok(!memcmp(oa, ob, sizeof(oa)) && ob[2] == 0x23 && (ob[3] & 2),
	       "load: the pending command takes its byte, output port (A20) kept");
	state_reader_init(&r, buf, len - 1);
	tap_ok(i8042_load(&b, &r) == -EBADMSG, "load: a truncated section is refused");
	state_writer_free(&w);
}

int main(void)
{
	static const struct i8042_ops ops = { .reset = on_reset };
	struct i8042 kbc;
	uint32_t d;
	uint8_t st;

	pio_bus_init(&bus);
	i8042_init(&kbc, &ops, NULL);
	tap_ok(i8042_register(&kbc, &bus) == 0, "register 0x60 and 0x64");
	tap_ok(pio_bus_find(&bus, 0x61) == NULL && pio_bus_find(&bus, 0x63) == NULL,
	       "0x61-0x63 left free");

	st = (uint8_t)in(0x64, 1);
	tap_ok(!(st & 0x01) && !(st & 0x02) && (st & 0x04),
	       "status: OBF 0, IBF 0, SYS 1 (%#x)", st);

	out(0x64, 1, 0xaa);
	st = (uint8_t)in(0x64, 1);
	tap_ok((st & 0x01) && (st & 0x08), "after 0xAA: OBF and CMD set");
	tap_ok(in(0x60, 1) == 0x55, "self-test result 0x55");
	tap_ok(!(in(0x64, 1) & 0x01), "OBF clear after reading data");

	out(0x64, 1, 0x20);
	tap_ok(in(0x60, 1) == 0x45, "0x20 reads the command byte 0x45");
	out(0x64, 1, 0x60);
	out(0x60, 1, 0x30);
	tap_ok(!(in(0x64, 1) & 0x08), "data write clears CMD status bit");
	out(0x64, 1, 0x20);
	tap_ok(in(0x60, 1) == 0x30, "0x60 wrote the command byte 0x30");
	tap_ok(!(in(0x64, 1) & 0x04), "SYS status follows command byte bit 2");
	out(0x64, 1, 0x60);
	out(0x60, 1, 0x47);
	out(0x64, 1, 0xad);
	out(0x64, 1, 0x20);
	tap_ok(in(0x60, 1) == 0x57, "0xAD sets kbd-disable in the command byte");
	out(0x64, 1, 0xae);

	out(0x64, 1, 0xab);
	tap_ok(in(0x60, 1) == 0x00, "0xAB interface test: 0");
	out(0x64, 1, 0xd3);
	out(0x60, 1, 0x5a);
	st = (uint8_t)in(0x64, 1);
	tap_ok((st & 0x21) == 0x21 && in(0x60, 1) == 0x5a,
	       "0xD3 echoes a byte as aux data");

	out(0x64, 1, 0xc8);	/* unknown */
	out(0x64, 1, 0x00);
	st = (uint8_t)in(0x64, 1);
	tap_ok(!(st & 0x03) && resets == 0, "unknown commands ignored, status sane");
	out(0x60, 1, 0xee);	/* to the keyboard: echo */
	tap_ok((in(0x64, 1) & 0x21) == 0x01 && in(0x60, 1) == 0xee &&
	       !(in(0x64, 1) & 0x01), "a keyboard byte reaches the keyboard (echo)");

	out(0x64, 1, 0xfe);
	tap_ok(resets == 1, "0xFE pulses reset");
	out(0x64, 1, 0xff);
	tap_ok(resets == 1, "0xFF pulses nothing");
	out(0x64, 1, 0xf0);
	tap_ok(resets == 2, "0xF0 pulses reset too");
	out(0x64, 1, 0xd1);
	out(0x60, 1, 0x02);
	tap_ok(resets == 3, "output port write with bit 0 clear resets");
	out(0x64, 1, 0xd1);
	out(0x60, 1, 0x03);
	tap_ok(resets == 3, "output port write with bit 0 set does not");

	/* Sizes. */
	out(0x64, 1, 0xaa);
	d = in(0x60, 2);
	tap_ok(d == 0xff55, "word read at 0x60: 0x55 and 0xff for 0x61");
	d = in(0x64, 4);
	tap_ok((d & 0xffffff00) == 0xffffff00, "dword status read: upper bytes 0xff");
	out(0x64, 2, 0x12fe);
	tap_ok(resets == 4, "word write to 0x64 uses the low byte (0xFE)");
	d = 0;
	tap_ok(pio_bus_dispatch(&bus, 0x64, 3, false, &d) == -EINVAL,
	       "size 3: -EINVAL");
	tap_ok(i8042_io(&kbc, 2, 1, false, &d) == -EINVAL,
	       "i8042_io offset 2: -EINVAL");
	tap_ok(i8042_data_io(&kbc, 1, 1, false, &d) == -EINVAL,
	       "data io offset 1: -EINVAL");
	pio_bus_destroy(&bus);
	test_save_restore();
	return tap_done();
}
