// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * port61-test.c - system control port B (monitor/devices/port61.c) with
 * the PIT behind it: counter 2 gated from bit 0, its OUT in bit 5, the
 * refresh toggle, read-only bits, odd sizes.  The way Linux's
 * pit_calibrate_tsc() uses it is replayed with an injected clock.
 */
#include <errno.h>
#include <stdint.h>

#include "tap.h"
#include "devices/port61.h"
#include "state/stream.h"

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

/* --- save and restore ----------------------------------------------------- */

static uint8_t p61(struct port61 *p, bool write, uint8_t v)
{
	uint32_t d = v;

	port61_io(p, 0, 1, write, &d);
	return (uint8_t)d;
}

/*
 * pit_calibrate_tsc() interrupted by a save: gate and speaker bits, the
 * refresh toggle and OUT2 (counter 2's terminal count) continue in a
 * fresh PIT + port 0x61 pair loaded after a 2 s gap.
 */
static void test_save_restore(void)
{
	static const struct i8254_ops ops = { 0 };
	struct i8254 pa, pb;
	struct port61 a, b;
	struct state_writer w;
	struct state_reader r;
	const uint8_t *buf;
	uint32_t d;
	size_t len;
	int err;

	i8254_init(&pa, &ops, NULL, fake_now, NULL);
	port61_init(&a, &pa);
	p61(&a, true, 0x01);		/* gate 2 high, speaker off */
	d = 0xb0;
	i8254_io(&pa, 3, 1, true, &d);
	d = 0xff;
	i8254_io(&pa, 2, 1, true, &d);
	i8254_io(&pa, 2, 1, true, &d);
	now_ns += 30 * 1000 * 1000;	/* 35795 of 65535 ticks */
	p61(&a, false, 0);		/* toggle now set */
	state_writer_init(&w);
	tap_ok(i8254_save(&pa, &w) == 0 && port61_save(&a, &w) == 0,
	       "save: PIT and port 0x61 mid-calibration");
	buf = state_writer_data(&w, &len, &err);
	now_ns += 2000000000ll;
	i8254_init(&pb, &ops, NULL, fake_now, NULL);
	port61_init(&b, &pb);
	state_reader_init(&r, buf, len);
	tap_ok(i8254_load(&pb, &r) == 0 && port61_load(&b, &r) == 0 &&
	       state_reader_at_end(&r), "load: both (%s)", state_reader_msg(&r));
	tap_ok(p61(&b, false, 0) == 0x01, "load: gate bit kept, toggle clear, OUT2 low");
	now_ns += 30 * 1000 * 1000;	/* past the terminal count */
	tap_ok(p61(&b, false, 0) == (0x01 | PORT61_REFRESH | PORT61_OUT2),
	       "load: OUT2 goes high 60 ms into the count, as before the save");
	state_writer_free(&w);

	state_writer_init(&w);
	a.value = 0x80;
	port61_save(&a, &w);
	buf = state_writer_data(&w, &len, &err);
	state_reader_init(&r, buf, len);
	tap_ok(port61_load(&b, &r) == -EINVAL && b.value == 0x01,
	       "load: a read-only bit refused, port untouched");
	state_writer_free(&w);
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
	test_save_restore();
	return tap_done();
}
