// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * i8254-test.c - the PIT (monitor/devices/i8254.c) fed synthetic port
 * accesses and injected time: Linux's HZ=1000 mode 2 setup, next-event
 * times, coalesced ticks, mode 0 one-shot, mode 4 strobe, counter latch,
 * read-back, access modes, counter 2's gate (TSC calibration), mode 3.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <stdio.h>

#include "tap.h"
#include "state-patch.h"
#include "devices/i8254.h"
#include "state/stream.h"

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

/* --- save and restore ----------------------------------------------------- */

static uint8_t pio(struct i8254 *p, uint16_t off, bool write, uint8_t v)
{
	uint32_t d = v;

	i8254_io(p, off, 1, write, &d);
	return (uint8_t)d;
}

static int rises_b;
static bool irq_b;

static void on_irq_b(void *opaque, bool level)
{
	(void)opaque;
	if (level && !irq_b)
		rises_b++;
	irq_b = level;
}

/*
 * Counter 0 in mode 2 (periodic IRQ 0), counter 2 in mode 0 mid-count
 * with a half-read LSB/MSB count: saved, the clock jumps 5 s (the VM was
 * off), loaded into a fresh PIT: counts, OUT and the next event continue
 * from where they were at the save, not from the host's clock.
 */
/* A saved channel's bytes, in i8254_save()'s order. */
#define CH_STATE_LEN	37
#define CH_RAN		11	/* le64 ns the current segment has run */

/*
 * Loads buf patched (see patched()) into a fresh PIT: returns the load's
 * result, and whether the PIT was left bit for bit as it was.
 */
static int load_patched(const uint8_t *buf, size_t len, size_t off, uint64_t v,
			unsigned int n, bool *untouched, char *msg, size_t msg_len)
{
	struct i8254 c, before;
	struct state_reader r;
	uint8_t copy[512];
	size_t l = patched(copy, sizeof(copy), buf, len, off, v, n);
	int ret;

	if (!l)
		return -E2BIG;
	i8254_init(&c, NULL, NULL, fake_now, NULL);
	memcpy(&before, &c, sizeof(c));
	state_reader_init(&r, copy, l);
	ret = i8254_load(&c, &r);
	*untouched = !memcmp(&before, &c, sizeof(c));
	snprintf(msg, msg_len, "%s", state_reader_msg(&r));
	return ret;
}

/*
 * A counter whose segment has run longer than any host could (2^63 ns or
 * UINT64_MAX): refused, the PIT untouched.  Before, its start became
 * INT64_MIN and elapsed()'s now - run_ns overflowed.  2^62 ns is taken,
 * and counts without overflow.
 */
static void test_load_bad_ran(void)
{
	static const uint64_t bad[] = { UINT64_MAX, 1ull << 63, STATE_NS_MAX + 1 };
	struct i8254 a;
	struct state_writer w;
	const uint8_t *buf;
	char msg[STATE_MSG_MAX] = "";
	unsigned int ch, i, fails = 0;
	bool untouched;
	size_t len;
	int err;

	i8254_init(&a, NULL, NULL, fake_now, NULL);
	pio(&a, 3, true, 0x34);		/* counter 0: mode 2, count 1000 */
	pio(&a, 0, true, 1000 & 0xff);
	pio(&a, 0, true, 1000 >> 8);
	state_writer_init(&w);
	i8254_save(&a, &w);
	buf = state_writer_data(&w, &len, &err);
	for (ch = 0; ch < 3; ch++)
		for (i = 0; i < 3; i++)
			if (load_patched(buf, len, ch * CH_STATE_LEN + CH_RAN, bad[i], 8,
					 &untouched, msg, sizeof(msg)) != -EINVAL ||
			    !untouched)
				fails++;
	tap_ok(buf && !fails,
	       "load: a counter run 2^62+1, 2^63 or 2^64-1 ns refused, each channel, PIT untouched (%s)",
	       msg);
	{
		struct i8254 c;
		struct state_reader r;
		uint8_t copy[512];
		size_t l = patched(copy, sizeof(copy), buf, len, CH_RAN, STATE_NS_MAX, 8);
		uint8_t lo, hi;

		i8254_init(&c, NULL, NULL, fake_now, NULL);
		state_reader_init(&r, copy, l);
		tap_ok(l && i8254_load(&c, &r) == 0,
		       "load: a counter run 2^62 ns taken (%s)", state_reader_msg(&r));
		i8254_update(&c, now_ns);
		pio(&c, 3, true, 0x00);	/* latch counter 0 */
		lo = pio(&c, 0, false, 0);
		hi = pio(&c, 0, false, 0);
		/* ticks = 2^62 ns * 1193182 / 10^9, then mode 2 from 1000 down. */
		tap_ok((unsigned int)(lo | hi << 8) ==
		       1000 - (unsigned int)((unsigned __int128)STATE_NS_MAX * I8254_FREQ_HZ /
					     1000000000u % 1000),
		       "load: ... and reads its count without overflow (%u)", lo | hi << 8);
	}
	state_writer_free(&w);
}

/* More of a saved channel's fields (CH_STATE_LEN bytes each). */
#define CH_TRIGGERED	5
#define CH_WRITE_MSB	28
#define CH_LATCHED	31
#define CH_LATCH_LEFT	34

/*
 * Latch states the chip cannot reach: a count latched with no byte left
 * to read (counter_read() would wrap latch_left to 255 and read the
 * latch forever), two bytes left in LSB-only access or three; the MSB
 * pointer moved in LSB-only access; a mode 2 counter triggered.  Each
 * refused, the PIT untouched.  The reachable ones load.
 */
static void test_load_bad_latch(void)
{
	static const struct {
		unsigned int ch, off;
		uint8_t v;
		int ret;
		const char *what;
	} cases[] = {
		{ 0, CH_LATCH_LEFT, 0, -EINVAL, "LSB/MSB latch, 0 bytes left" },
		{ 0, CH_LATCH_LEFT, 3, -EINVAL, "LSB/MSB latch, 3 bytes left" },
		{ 1, CH_LATCH_LEFT, 0, -EINVAL, "LSB latch, 0 bytes left" },
		{ 1, CH_LATCH_LEFT, 2, -EINVAL, "LSB latch, 2 bytes left" },
		{ 1, CH_WRITE_MSB, 1, -EINVAL, "MSB write next in LSB access" },
		{ 0, CH_TRIGGERED, 1, -EINVAL, "mode 2 triggered" },
		{ 0, CH_LATCH_LEFT, 1, 0, "LSB/MSB latch, MSB left" },
		{ 2, CH_LATCH_LEFT, 1, 0, "no latch, stale latch_left" },
	};
	struct i8254 a;
	struct state_writer w;
	const uint8_t *buf;
	char msg[STATE_MSG_MAX];
	unsigned int i;
	bool untouched;
	size_t len;
	int err, ret;

	i8254_init(&a, NULL, NULL, fake_now, NULL);
	pio(&a, 3, true, 0x34);		/* counter 0: mode 2, LSB/MSB, 1000 */
	pio(&a, 0, true, 1000 & 0xff);
	pio(&a, 0, true, 1000 >> 8);
	pio(&a, 3, true, 0x00);		/* ... latched: 2 bytes left */
	pio(&a, 3, true, 0x50);		/* counter 1: mode 0, LSB only, 100 */
	pio(&a, 1, true, 100);
	pio(&a, 3, true, 0x40);		/* ... latched: 1 byte left */
	pio(&a, 3, true, 0xb0);		/* counter 2: latched, then a new */
	pio(&a, 3, true, 0x80);		/* control word drops the latch */
	pio(&a, 3, true, 0xb0);
	state_writer_init(&w);
	i8254_save(&a, &w);
	buf = state_writer_data(&w, &len, &err);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		msg[0] = 0;
		ret = load_patched(buf, len, cases[i].ch * CH_STATE_LEN + cases[i].off,
				   cases[i].v, 1, &untouched, msg, sizeof(msg));
		tap_ok(buf && ret == cases[i].ret && untouched == (ret != 0),
		       "load: counter %u %s: %s (%s)", cases[i].ch, cases[i].what,
		       cases[i].ret ? "refused, PIT untouched" : "taken", msg);
	}
	/* The saved latches themselves, as the chip left them. */
	tap_ok(buf && buf[1 + buf[0] + 12 + CH_LATCHED] == 1 &&
	       buf[1 + buf[0] + 12 + CH_LATCH_LEFT] == 2 &&
	       buf[1 + buf[0] + 12 + CH_STATE_LEN + CH_LATCH_LEFT] == 1 &&
	       buf[1 + buf[0] + 12 + 2 * CH_STATE_LEN + CH_LATCHED] == 0,
	       "save: the layout the cases above patch");
	state_writer_free(&w);
}

static void test_save_restore(void)
{
	static const struct i8254_ops ops_b = { .irq = on_irq_b };
	static const struct i8254_ops ops_c = { 0 };
	struct i8254 a, b, c;
	struct state_writer w;
	struct state_reader r;
	const uint8_t *buf;
	int64_t t0, ev_a, left_a;
	uint8_t lo_a, lo_b, hi_a, hi_b;
	size_t len;
	int err;

	i8254_init(&a, &ops_c, NULL, fake_now, NULL);
	t0 = now_ns;
	pio(&a, 3, true, 0x34);
	pio(&a, 0, true, 1000 & 0xff);
	pio(&a, 0, true, 1000 >> 8);
	i8254_set_gate(&a, 2, true);
	pio(&a, 3, true, 0xb0);
	pio(&a, 2, true, 0x30);
	pio(&a, 2, true, 0x75);		/* 30000 */
	now_ns = t0 + tk(2500);		/* counter 0: 2.5 periods in */
	i8254_update(&a, now_ns);
	pio(&a, 3, true, 0x80);		/* latch counter 2 ... */
	lo_a = pio(&a, 2, false, 0);	/* ... and read only its LSB */
	ev_a = i8254_next_event_ns(&a);
	left_a = ev_a - now_ns;
	state_writer_init(&w);
	tap_ok(i8254_save(&a, &w) == 0, "save: two counters running, a latch half read");
	buf = state_writer_data(&w, &len, &err);

	now_ns += 5000000000ll;		/* saved for 5 s */
	i8254_init(&b, &ops_b, NULL, fake_now, NULL);
	state_reader_init(&r, buf, len);
	rises_b = 0;
	tap_ok(i8254_load(&b, &r) == 0 && state_reader_at_end(&r) && rises_b == 0,
	       "load: into a fresh PIT, no callback (%s)", state_reader_msg(&r));
	tap_ok(i8254_next_event_ns(&b) - now_ns == left_a,
	       "load: next IRQ 0 edge as far away as at the save (%lld ns)",
	       (long long)left_a);
	hi_b = pio(&b, 2, false, 0);
	lo_b = lo_a;
	/* The original, read at its save time: the latch's MSB. */
	now_ns -= 5000000000ll;
	hi_a = pio(&a, 2, false, 0);
	tap_ok(hi_a == hi_b && (uint16_t)(lo_b | hi_b << 8) == 30000 - 2500,
	       "load: the latched count's MSB follows (count %u)", lo_b | hi_b << 8);
	now_ns += 5000000000ll;
	now_ns += tk(100);
	pio(&b, 3, true, 0x80);
	lo_b = pio(&b, 2, false, 0);
	hi_b = pio(&b, 2, false, 0);
	tap_ok((uint16_t)(lo_b | hi_b << 8) == 30000 - 2600,
	       "load: counter 2 counts on from its saved position (%u)", lo_b | hi_b << 8);
	pio(&b, 3, true, 0xe2);		/* read-back status of counter 0 */
	tap_ok((pio(&b, 0, false, 0) & 0x7f) == 0x34, "load: counter 0 mode 2, LSB/MSB kept");
	now_ns = i8254_next_event_ns(&b);
	i8254_update(&b, now_ns);
	tap_ok(rises_b == 1, "load: IRQ 0 fires at the restored edge");

	/* A counter in a mode the chip does not have: refused, untouched. */
	i8254_init(&c, &ops_c, NULL, fake_now, NULL);
	{
		struct state_writer w2;
		const uint8_t *b2;
		size_t l2;

		a.ch[1].mode = 7;
		state_writer_init(&w2);
		i8254_save(&a, &w2);
		b2 = state_writer_data(&w2, &l2, &err);
		state_reader_init(&r, b2, l2);
		tap_ok(i8254_load(&c, &r) == -EINVAL && !c.ch[0].armed,
		       "load: mode 7 refused, PIT untouched (%s)", state_reader_msg(&r));
		state_writer_free(&w2);
	}
	state_writer_free(&w);
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
	test_save_restore();
	test_load_bad_ran();
	test_load_bad_latch();
	return tap_done();
}
