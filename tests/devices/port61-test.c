// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * port61-test.c - system control port B (monitor/devices/port61.c) with
 * the PIT behind it: counter 2 gated from bit 0, its OUT in bit 5, the
 * refresh toggle, read-only bits, odd sizes.  The way Linux's
 * pit_calibrate_tsc() uses it is replayed with an injected clock.
 */
#include <stdint.h>

#include "tap.h"
#include "devices/port61.h"

static int64_t now_ns;

static int64_t fake_now(void *opaque)
{
	(void)opaque;
	return now_ns;
}

static struct pio_bus bus;

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

int main(void)
{
	static const struct i8254_ops ops = { 0 };
	struct i8254 pit;
	struct port61 p;
	uint32_t a, b;

	pio_bus_init(&bus);
	i8254_init(&pit, &ops, NULL, fake_now, NULL);
	port61_init(&p, &pit);
	tap_ok(!i8254_register(&pit, &bus) && !port61_register(&p, &bus),
	       "PIT and port 0x61 register");
	tap_ok((in(0x61, 1) & 0x0f) == 0, "writable bits start clear");

	a = in(0x61, 1);
	b = in(0x61, 1);
	tap_ok((a ^ b) == PORT61_REFRESH, "bit 4 toggles between reads");

	out(0x61, 1, 0xff);
	tap_ok((in(0x61, 1) & 0x0f) == 0x0f, "bits 0-3 take writes");
	tap_ok(!(in(0x61, 1) & 0xc0), "bits 6-7 (error status) read 0");

	/* pit_calibrate_tsc(): gate high, speaker off, mode 0, count 0xffff. */
	out(0x61, 1, (in(0x61, 1) & ~0x02) | 0x01);
	out(0x43, 1, 0xb0);
	out(0x42, 1, 0xff);
	out(0x42, 1, 0xff);
	tap_ok(!(in(0x61, 1) & PORT61_OUT2), "mode 0 with count loaded: OUT2 low");
	now_ns += 30 * 1000 * 1000;	/* 30 ms: 35795 ticks of 65535 */
	tap_ok(!(in(0x61, 1) & PORT61_OUT2), "OUT2 still low before terminal count");
	now_ns += 30 * 1000 * 1000;	/* 60 ms: past 54.9 ms */
	tap_ok(in(0x61, 1) & PORT61_OUT2, "OUT2 high at terminal count");

	out(0x61, 1, 0x00);
	out(0x43, 1, 0xb0);
	out(0x42, 1, 0x10);
	out(0x42, 1, 0x00);
	now_ns += 1000 * 1000;
	tap_ok(!(in(0x61, 1) & PORT61_OUT2), "gate low: counter 2 does not count");

	tap_ok(in(0x61, 2) >> 8 == 0xff, "a 16-bit read: the byte past the port reads 0xff");
	out(0x61, 4, 0xffffff03);
	tap_ok((in(0x61, 1) & 0x0f) == 0x03, "a 32-bit write sets the port from its low byte");
	pio_bus_destroy(&bus);
	return tap_done();
}
