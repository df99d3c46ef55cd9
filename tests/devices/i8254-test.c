// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * i8254-test.c - the PIT (monitor/devices/i8254.c) fed synthetic port
 * accesses and injected time: Linux's HZ=1000 mode 2 setup, next-event
 * times, coalesced ticks, mode 0 one-shot, mode 4 strobe, counter latch,
 * read-back, access modes, counter 2's gate (TSC calibration), mode 3.
 */
#include <errno.h>
#include <stdint.h>

#include "tap.h"
#include "devices/i8254.h"

static struct pio_bus bus;
static int64_t now_ns = 1000000;	/* any start */
static bool irq;
static int rises;

static int64_t fake_now(void *opaque)
{
	(void)opaque;
	return now_ns;
}

static void on_irq(void *opaque, bool level)
{
	(void)opaque;
	if (level && !irq)
		rises++;
	irq = level;
}

static uint8_t in(uint16_t port)
{
	uint32_t d = 0;

	if (pio_bus_dispatch(&bus, port, 1, false, &d))
		tap_diag("in %#x failed", port);
	return (uint8_t)d;
}

static void out(uint16_t port, uint8_t v)
{
	uint32_t d = v;

	if (pio_bus_dispatch(&bus, port, 1, true, &d))
		tap_diag("out %#x failed", port);
}

static uint16_t read16(uint16_t port)
{
	uint16_t lo = in(port);

	return (uint16_t)(lo | in(port) << 8);
}

/* ns for `t` PIT ticks, rounded up. */
static int64_t tk(uint64_t t)
{
	return (int64_t)((t * 1000000000ull + 1193181) / 1193182);
}

int main(void)
{
	static const struct i8254_ops ops = { .irq = on_irq };
	struct i8254 pit;
	int64_t t0, ev;
	uint16_t v;
	uint32_t d;
	int i;

	pio_bus_init(&bus);
	i8254_init(&pit, &ops, NULL, fake_now, NULL);
	tap_ok(i8254_register(&pit, &bus) == 0, "register 0x40-0x43");
	tap_ok(i8254_next_event_ns(&pit) == I8254_NO_EVENT,
	       "unprogrammed: no event");
	tap_ok(in(0x43) == 0xff, "control word register reads 0xff");

	/* arch/x86/kernel/i8253.c / clockevents: mode 2, LATCH = 1193. */
	out(0x43, 0x34);
	t0 = now_ns;
	out(0x40, 1193 & 0xff);
	out(0x40, 1193 >> 8);
	rises = 0;
	tap_ok(irq, "mode 2: OUT high after the count is written");
	ev = i8254_next_event_ns(&pit);
	tap_ok(ev == t0 + tk(1193), "next event one period ahead (%lld ns)",
	       (long long)(ev - t0));
	now_ns = ev - 1;
	i8254_update(&pit, now_ns);
	tap_ok(rises == 0, "no tick 1 ns early");
	now_ns = ev;
	i8254_update(&pit, now_ns);
	tap_ok(rises == 1 && irq, "tick at the event time");
	tap_ok(i8254_next_event_ns(&pit) == t0 + tk(2 * 1193), "next: period 2");
	for (i = 3; i <= 12; i++) {
		now_ns = i8254_next_event_ns(&pit);
		i8254_update(&pit, now_ns);
	}
	tap_ok(rises == 11, "11 ticks after 11 periods (%d)", rises);
	tap_ok(i8254_next_event_ns(&pit) == t0 + tk(12 * 1193),
	       "no drift: next event is t0 + 12 periods");
	now_ns = t0 + tk(20 * 1193) + 5;
	i8254_update(&pit, now_ns);
	tap_ok(rises == 12, "8 missed periods coalesce into one tick");
	tap_ok(i8254_next_event_ns(&pit) == t0 + tk(21 * 1193),
	       "next event after the catch-up");

	/* Counter latch: count = 1193 - (elapsed ticks % 1193). */
	now_ns = t0 + tk(20 * 1193 + 500);
	out(0x43, 0x00);
	now_ns += tk(100);
	out(0x43, 0x00);	/* second latch ignored */
	v = read16(0x40);
	tap_ok(v == 1193 - 500, "latched count %u", v);
	v = read16(0x40);
	tap_ok(v == 1193 - 600 || v == 1193 - 599, "live count after the latch %u", v);

	/* Read-back: status and count of counter 0. */
	out(0x43, 0xc2);
	tap_ok(in(0x40) == (0x80 | 0x34), "read-back status: OUT, LSB/MSB, mode 2");
	v = read16(0x40);
	tap_ok(v == 1193 - 600 || v == 1193 - 599, "read-back count %u", v);
	out(0x43, 0xe2);	/* status only */
	tap_ok(in(0x40) == 0xb4 && (in(0x40), true), "status-only read-back");
	out(0x43, 0x30);	/* mode 0, count not yet written */
	out(0x43, 0xe2);
	tap_ok(in(0x40) == 0x70, "NULL COUNT set, OUT low after mode 0 CW");
	tap_ok(!irq, "mode 0 CW drops IRQ0");

	/* Mode 0 one-shot. */
	rises = 0;
	t0 = now_ns;
	out(0x40, 100);
	out(0x40, 0);
	tap_ok(!irq, "mode 0: OUT low while counting");
	ev = i8254_next_event_ns(&pit);
	tap_ok(ev == t0 + tk(100), "one-shot event 100 ticks ahead");
	now_ns = t0 + tk(99);
	i8254_update(&pit, now_ns);
	tap_ok(!irq, "still low at 99 ticks");
	now_ns = ev;
	i8254_update(&pit, now_ns);
	tap_ok(irq && rises == 1, "OUT rises at terminal count");
	tap_ok(i8254_next_event_ns(&pit) == I8254_NO_EVENT, "one-shot: no more events");
	now_ns += tk(70000);
	i8254_update(&pit, now_ns);
	tap_ok(irq && rises == 1, "stays high after wrap");
	out(0x43, 0x00);
	v = read16(0x40);
	tap_ok(v == (uint16_t)(100 - 70100), "count wraps and keeps going (%u)", v);

	/* LSB-only and MSB-only access. */
	out(0x43, 0x10);	/* counter 0, LSB only, mode 0 */
	t0 = now_ns;
	out(0x40, 50);
	now_ns += tk(10);
	tap_ok(in(0x40) == 40 && in(0x40) == 40, "LSB-only reads");
	out(0x43, 0x20);	/* MSB only */
	out(0x40, 2);		/* count 0x200 */
	tap_ok(in(0x40) == 2, "MSB-only read");
	tap_ok(pit.ch[0].reload == 0x200, "MSB-only count 0x200");
	out(0x43, 0x34);
	out(0x40, 0);
	out(0x40, 0);
	tap_ok(pit.ch[0].reload == 0x10000, "count 0 is 65536");

	/* Mode 4: strobe one tick wide after N ticks. */
	out(0x43, 0x38);
	t0 = now_ns;
	rises = 0;
	out(0x40, 10);
	out(0x40, 0);
	tap_ok(irq, "mode 4: OUT high");
	ev = i8254_next_event_ns(&pit);
	tap_ok(ev == t0 + tk(11), "mode 4 event: rising edge after the strobe");
	now_ns = ev;
	i8254_update(&pit, now_ns);
	tap_ok(irq && rises == 1, "mode 4 pulse delivered");

	/* Counter 2, the TSC calibration dance (gate via port 0x61). */
	tap_ok(!pit.ch[2].gate, "counter 2 gate low at reset");
	out(0x43, 0xb0);	/* counter 2, LSB/MSB, mode 0 */
	out(0x42, 0xff);
	out(0x42, 0xff);
	t0 = now_ns;
	now_ns += tk(100000);
	out(0x43, 0x80);
	tap_ok(read16(0x42) == 0xffff, "gate low: counter 2 holds");
	tap_ok(i8254_set_gate(&pit, 2, true) == 0, "gate high");
	now_ns += tk(0xfffe);
	tap_ok(!i8254_out(&pit, 2), "OUT low before terminal count");
	now_ns += tk(1);
	tap_ok(i8254_out(&pit, 2), "OUT high at terminal count");
	tap_ok(i8254_set_gate(&pit, 3, true) == -EINVAL, "gate of counter 3: -EINVAL");

	/* Mode 3 square wave on counter 2. */
	out(0x43, 0xb6);
	out(0x42, 100);
	out(0x42, 0);
	t0 = now_ns;
	now_ns = t0 + tk(10);
	tap_ok(i8254_out(&pit, 2), "mode 3: high in the first half");
	out(0x43, 0x80);
	v = read16(0x42);
	tap_ok(v == 80, "mode 3 counts by two (%u)", v);
	now_ns = t0 + tk(60);
	tap_ok(!i8254_out(&pit, 2), "mode 3: low in the second half");
	i8254_set_gate(&pit, 2, false);
	tap_ok(i8254_out(&pit, 2), "mode 3: gate low forces OUT high");

	/* Sizes: a word write hits 0x40 then 0x41. */
	out(0x43, 0x30);
	d = 0x0005;
	tap_ok(pio_bus_dispatch(&bus, 0x40, 2, true, &d) == 0, "word write");
	tap_ok(i8254_io(&pit, 4, 1, false, &d) == -EINVAL, "offset 4: -EINVAL");
	d = 0;
	tap_ok(pio_bus_dispatch(&bus, 0x43, 2, false, &d) == 0 && d == 0xffff,
	       "word read at 0x43: 0xffff");

	pio_bus_destroy(&bus);
	return tap_done();
}
