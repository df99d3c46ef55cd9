// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * devices/i8254.c - the 8254 PIT.
 *
 * References are to sections of the Intel "8254 Programmable Interval
 * Timer" datasheet, cited by section title.
 *
 * Model: a counter's state is a function of the ticks counted since its
 * count was loaded, ticks = elapsed ns * 1193182 / 10^9, summed over the
 * stretches of time in which its gate let it count.  From that and the
 * mode follow the count a read sees and the OUT level.
 *
 * Approximations:
 *  - The count is loaded at the write, not on the next CLK edge, so OUT
 *    in mode 0 rises N ticks after the write instead of N + 1.
 *  - A new count written while counting takes effect at once in every
 *    mode (in modes 2/3 the hardware waits for the end of the period).
 *    Writing the first byte of a two-byte count does not stop counting.
 *  - BCD counting (control word bit 0) is stored and reported by read-
 *    back, but counting is binary; no PC guest uses BCD.
 *  - Modes 2 and 3 with a count of 1 (illegal per "Mode 2: Rate
 *    Generator"/"Mode 3: Square Wave Mode") count as 2.  In mode 3 an odd
 *    count reads as if it were even (the hardware's N+1/N-1 halves are
 *    approximated by N+1 high ticks rounded to whole counts).
 *  - IRQ 0 is reported by rising edges of OUT; edges missed between two
 *    i8254_update() calls are coalesced into one pulse (like lost ticks
 *    on real hardware when the CPU has interrupts off for too long).
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "devices/i8254.h"
#include "state/stream.h"

#define NSEC_PER_SEC	1000000000ull

#define CW_SC(v)	(((v) >> 6) & 3)
#define CW_RW(v)	(((v) >> 4) & 3)
#define CW_MODE(v)	(((v) >> 1) & 7)
#define CW_BCD		0x01
#define RB_NOT_COUNT	0x20
#define RB_NOT_STATUS	0x10

static uint64_t ns_to_ticks(int64_t ns)
{
	if (ns <= 0)
		return 0;
	return (uint64_t)((unsigned __int128)ns * I8254_FREQ_HZ / NSEC_PER_SEC);
}

/* The first ns at which ns_to_ticks() reaches `ticks`. */
static int64_t ticks_to_ns(uint64_t ticks)
{
	unsigned __int128 ns = ((unsigned __int128)ticks * NSEC_PER_SEC +
				I8254_FREQ_HZ - 1) / I8254_FREQ_HZ;

	return ns > INT64_MAX ? INT64_MAX : (int64_t)ns;
}

int64_t i8254_host_now(void *opaque)
{
	struct timespec ts;

	(void)opaque;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * (int64_t)NSEC_PER_SEC + ts.tv_nsec;
}

static int64_t pit_now(const struct i8254 *pit)
{
	return pit->now(pit->now_opaque);
}

/* Ticks counted since the count was loaded (or the gate triggered). */
static uint64_t elapsed(const struct i8254_channel *c, int64_t now)
{
	uint64_t t = c->ticks_before;

	if (c->running)
		t += ns_to_ticks(now - c->run_ns);
	return t;
}

static uint32_t period(const struct i8254_channel *c)
{
	if ((c->mode == 2 || c->mode == 3) && c->reload < 2)
		return 2;
	return c->reload;
}

/* Whether the counter is counting down from a loaded count. */
static bool active(const struct i8254_channel *c)
{
	if (!c->armed)
		return false;
	if (c->mode == 1 || c->mode == 5)
		return c->triggered;
	return true;
}

/* OUT after `d` ticks, per the mode's waveform ("Operating Modes"). */
static bool out_at(const struct i8254_channel *c, uint64_t d)
{
	uint64_t n = period(c), r;

	if (!c->armed)
		return c->mode != 0;	/* mode 0 OUT goes low on the CW */
	switch (c->mode) {
	case 0:		/* "Mode 0: Interrupt on Terminal Count" */
		return d >= n;
	case 1:		/* "Mode 1: Hardware Retriggerable One-Shot" */
		return !c->triggered || d >= n;
	case 2:		/* "Mode 2: Rate Generator": low for one CLK at 1 */
		if (!c->gate)
			return true;
		return d % n != n - 1;
	case 3:		/* "Mode 3: Square Wave Mode": high (N+1)/2 */
		if (!c->gate)
			return true;
		r = d % n;
		return r < (n + 1) / 2;
	case 4:		/* "Mode 4: Software Triggered Strobe" */
		return d != n;
	case 5:		/* "Mode 5: Hardware Triggered Strobe" */
		return !c->triggered || d != n;
	}
	return true;
}

/* The counting element after `d` ticks. */
static uint16_t count_at(const struct i8254_channel *c, uint64_t d)
{
	uint64_t n = period(c), r;

	if (!active(c))
		return (uint16_t)c->reload;
	switch (c->mode) {
	case 2:
		return (uint16_t)(n - d % n);
	case 3:
		/* Counts down by two, twice per period. */
		r = d % n;
		if (r >= (n + 1) / 2)
			r -= (n + 1) / 2;
		return (uint16_t)((n & ~1ull) - 2 * r);
	default:	/* 0, 1, 4, 5: wraps past 0 and keeps counting */
		return (uint16_t)(n - d);
	}
}

/* Rising OUT edges in ticks (0, d] since the load. */
static uint64_t edges_upto(const struct i8254_channel *c, uint64_t d)
{
	uint64_t n = period(c);

	if (!active(c))
		return 0;
	switch (c->mode) {
	case 0:
	case 1:
		return d >= n;
	case 2:
	case 3:
		return c->gate ? d / n : 0;
	default:	/* 4, 5: OUT rises one tick after the strobe */
		return d >= n + 1;
	}
}

static void set_irq(struct i8254 *pit, bool level)
{
	if (level == pit->irq_level)
		return;
	pit->irq_level = level;
	if (pit->ops.irq)
		pit->ops.irq(pit->opaque, level);
}

void i8254_update(struct i8254 *pit, int64_t now)
{
	const struct i8254_channel *c = &pit->ch[0];
	uint64_t d = elapsed(c, now), e;
	bool out = out_at(c, d);

	e = edges_upto(c, d);
	if (e > pit->irq_edges) {
		/* At least one rising edge since the last look: pulse. */
		set_irq(pit, false);
		set_irq(pit, true);
		pit->irq_edges = e;
	}
	set_irq(pit, out);
}

/* The tick of OUT's k-th rising edge (k >= 1) since the load. */
static uint64_t edge_tick(const struct i8254_channel *c, uint64_t k)
{
	uint64_t n = period(c);

	switch (c->mode) {
	case 0:
	case 1:
		return k == 1 ? n : UINT64_MAX;
	case 2:
	case 3:
		return k > UINT64_MAX / n ? UINT64_MAX : k * n;
	default:
		return k == 1 ? n + 1 : UINT64_MAX;
	}
}

int64_t i8254_next_event_ns(const struct i8254 *pit)
{
	const struct i8254_channel *c = &pit->ch[0];
	uint64_t next;
	int64_t ns;

	if (!active(c) || !c->running)
		return I8254_NO_EVENT;
	/* The edge after the last one reported (in the past if overdue). */
	next = edge_tick(c, pit->irq_edges + 1);
	if (next == UINT64_MAX)
		return I8254_NO_EVENT;
	if (next <= c->ticks_before)
		return c->run_ns;
	ns = ticks_to_ns(next - c->ticks_before);
	if (c->run_ns > 0 && ns > INT64_MAX - c->run_ns)
		return I8254_NO_EVENT;
	return c->run_ns + ns;
}

/* (Re)starts counting from the loaded count at `now`. */
static void start(struct i8254 *pit, struct i8254_channel *c, int64_t now)
{
	c->ticks_before = 0;
	c->run_ns = now;
	c->running = c->gate || c->mode == 1 || c->mode == 5;
	if (c == &pit->ch[0])
		pit->irq_edges = 0;
}

static void load_count(struct i8254 *pit, struct i8254_channel *c,
		       uint32_t val, int64_t now)
{
	/* "Write Operations": a count of 0 is 2^16 in binary mode. */
	c->reload = val ? val : 0x10000;
	c->armed = true;
	c->null_count = false;
	if (c->mode != 1 && c->mode != 5)
		start(pit, c, now);
}

int i8254_set_gate(struct i8254 *pit, unsigned int ch, bool level)
{
	struct i8254_channel *c;
	int64_t now;

	if (ch > 2)
		return -EINVAL;
	c = &pit->ch[ch];
	if (c->gate == level)
		return 0;
	now = pit_now(pit);
	/* "Gate": table "Gate Pin Operations Summary". */
	switch (c->mode) {
	case 0:
	case 4:		/* gate enables counting; the count holds */
		if (level) {
			c->run_ns = now;
			c->running = true;
		} else {
			c->ticks_before = elapsed(c, now);
			c->running = false;
		}
		break;
	case 2:
	case 3:		/* low forces OUT high and stops; rising edge reloads */
		if (level && c->armed) {
			c->gate = true;
			start(pit, c, now);
		} else {
			c->running = false;
		}
		break;
	default:	/* 1, 5: a rising edge (re)triggers */
		if (level && c->armed) {
			c->triggered = true;
			start(pit, c, now);
			c->running = true;
		}
		break;
	}
	c->gate = level;
	if (ch == 0)
		i8254_update(pit, now);
	return 0;
}

bool i8254_out(struct i8254 *pit, unsigned int ch)
{
	const struct i8254_channel *c;

	if (ch > 2)
		return false;
	c = &pit->ch[ch];
	return out_at(c, elapsed(c, pit_now(pit)));
}

static void latch_count(struct i8254_channel *c, int64_t now)
{
	/* "Counter Latch Command": a second latch before reading is ignored. */
	if (c->count_latched)
		return;
	c->count_latched = true;
	c->latch = count_at(c, elapsed(c, now));
	c->latch_left = c->rw == 3 ? 2 : 1;
}

static void latch_status(struct i8254_channel *c, uint8_t cw, int64_t now)
{
	if (c->status_latched)
		return;
	/* "Read-Back Command", status byte: OUT, NULL COUNT, RW, M, BCD. */
	c->status = (uint8_t)((out_at(c, elapsed(c, now)) ? 0x80 : 0) |
			      (c->null_count ? 0x40 : 0) | (cw & 0x3f));
	c->status_latched = true;
}

static uint8_t channel_cw(const struct i8254_channel *c)
{
	return (uint8_t)(c->rw << 4 | c->mode << 1 | (c->bcd ? CW_BCD : 0));
}

static void control_word(struct i8254 *pit, uint8_t val, int64_t now)
{
	struct i8254_channel *c;
	unsigned int i;

	if (CW_SC(val) == 3) {
		/* "Read-Back Command": bits 3-1 select counters 2-0. */
		for (i = 0; i < 3; i++) {
			if (!(val & (2u << i)))
				continue;
			c = &pit->ch[i];
			if (!(val & RB_NOT_STATUS))
				latch_status(c, channel_cw(c), now);
			if (!(val & RB_NOT_COUNT))
				latch_count(c, now);
		}
		return;
	}
	c = &pit->ch[CW_SC(val)];
	if (CW_RW(val) == 0) {
		latch_count(c, now);
		return;
	}
	/* "Control Word Format": a new mode stops the counter until loaded. */
	c->rw = CW_RW(val);
	c->mode = CW_MODE(val);
	if (c->mode > 5)
		c->mode -= 4;	/* 6 and 7 are modes 2 and 3 */
	c->bcd = val & CW_BCD;
	c->armed = false;
	c->triggered = false;
	c->null_count = true;
	c->write_msb_next = false;
	c->read_msb_next = false;
	c->count_latched = false;
	c->status_latched = false;
	c->running = false;
	c->ticks_before = 0;
	if (c == &pit->ch[0])
		pit->irq_edges = 0;
}

static void counter_write(struct i8254 *pit, struct i8254_channel *c,
			  uint8_t val, int64_t now)
{
	switch (c->rw) {
	case 1:
		load_count(pit, c, val, now);
		break;
	case 2:
		load_count(pit, c, (uint32_t)val << 8, now);
		break;
	case 3:
		if (!c->write_msb_next) {
			c->write_lsb = val;
			c->write_msb_next = true;
		} else {
			c->write_msb_next = false;
			load_count(pit, c, c->write_lsb | (uint32_t)val << 8, now);
		}
		break;
	default:	/* never programmed: ignore */
		break;
	}
}

static uint8_t counter_read(struct i8254_channel *c, int64_t now)
{
	uint16_t v;
	uint8_t b;

	/* "Read-Back Command": status first if both are latched. */
	if (c->status_latched) {
		c->status_latched = false;
		return c->status;
	}
	if (c->count_latched) {
		v = c->latch;
		if (c->rw == 2)
			b = (uint8_t)(v >> 8);
		else if (c->rw == 3 && c->latch_left == 1)
			b = (uint8_t)(v >> 8);
		else
			b = (uint8_t)v;
		if (--c->latch_left == 0)
			c->count_latched = false;
		return b;
	}
	v = count_at(c, elapsed(c, now));
	switch (c->rw) {
	case 1:
		return (uint8_t)v;
	case 2:
		return (uint8_t)(v >> 8);
	case 3:
		b = c->read_msb_next ? (uint8_t)(v >> 8) : (uint8_t)v;
		c->read_msb_next = !c->read_msb_next;
		return b;
	default:
		return 0xff;
	}
}

static int pit_byte(void *opaque, uint16_t offset, bool write, uint8_t *val)
{
	struct i8254 *pit = opaque;
	int64_t now = pit_now(pit);

	if (offset == 3) {
		/* The control word register cannot be read. */
		if (write)
			control_word(pit, *val, now);
		else
			*val = 0xff;
	} else if (write) {
		counter_write(pit, &pit->ch[offset], *val, now);
	} else {
		*val = counter_read(&pit->ch[offset], now);
	}
	i8254_update(pit, now);
	return 0;
}

int i8254_io(void *opaque, uint16_t port_offset, unsigned size, bool write,
	     uint32_t *data)
{
	return pio_io_bytewise(opaque, pit_byte, I8254_NR_PORTS, port_offset,
			       size, write, data);
}

int i8254_register(struct i8254 *pit, struct pio_bus *bus)
{
	return pio_bus_register(bus, I8254_BASE, I8254_NR_PORTS, i8254_io,
				pit, "i8254");
}

void i8254_init(struct i8254 *pit, const struct i8254_ops *ops, void *opaque,
		i8254_now_fn now, void *now_opaque)
{
	unsigned int i;

	memset(pit, 0, sizeof(*pit));
	if (ops)
		pit->ops = *ops;
	pit->opaque = opaque;
	pit->now = now ? now : i8254_host_now;
	pit->now_opaque = now_opaque;
	for (i = 0; i < 3; i++) {
		pit->ch[i].reload = 0x10000;
		pit->ch[i].gate = i != 2;
	}
}

/* --- save and restore --------------------------------------------------- */

#define I8254_STATE_VERSION	1

/*
 * A counter's position is the ticks of earlier run segments plus the
 * time its current segment has run: saved as nanoseconds run, and the
 * segment restarted that long before "now" on the loading host's clock,
 * so the count and OUT continue where they were.
 */
int i8254_save(const struct i8254 *pit, struct state_writer *w)
{
	int64_t now = pit_now(pit);
	unsigned int i;

	state_section_begin(w, "i8254", 0, I8254_STATE_VERSION);
	for (i = 0; i < 3; i++) {
		const struct i8254_channel *c = &pit->ch[i];

		state_put_u8(w, c->mode);
		state_put_u8(w, c->rw);
		state_put_bool(w, c->bcd);
		state_put_bool(w, c->gate);
		state_put_bool(w, c->armed);
		state_put_bool(w, c->triggered);
		state_put_bool(w, c->null_count);
		state_put_u32(w, c->reload);
		state_put_u64(w, state_ns_since(c->run_ns, now));
		state_put_u64(w, c->ticks_before);
		state_put_bool(w, c->running);
		state_put_bool(w, c->write_msb_next);
		state_put_u8(w, c->write_lsb);
		state_put_bool(w, c->read_msb_next);
		state_put_bool(w, c->count_latched);
		state_put_u16(w, c->latch);
		state_put_u8(w, c->latch_left);
		state_put_bool(w, c->status_latched);
		state_put_u8(w, c->status);
	}
	state_put_bool(w, pit->irq_level);
	state_put_u64(w, pit->irq_edges);
	state_section_end(w);
	return state_writer_error(w);
}

int i8254_load(struct i8254 *pit, struct state_reader *r)
{
	struct i8254 t = *pit;
	uint64_t ran[3];
	unsigned int i;
	int64_t now;
	int ret;

	ret = state_section_open(r, "i8254", 0, I8254_STATE_VERSION, NULL);
	if (ret)
		return ret;
	for (i = 0; i < 3; i++) {
		struct i8254_channel *c = &t.ch[i];

		c->mode = state_get_u8(r);
		c->rw = state_get_u8(r);
		c->bcd = state_get_bool(r);
		c->gate = state_get_bool(r);
		c->armed = state_get_bool(r);
		c->triggered = state_get_bool(r);
		c->null_count = state_get_bool(r);
		c->reload = state_get_u32(r);
		ran[i] = state_get_u64(r);
		c->ticks_before = state_get_u64(r);
		c->running = state_get_bool(r);
		c->write_msb_next = state_get_bool(r);
		c->write_lsb = state_get_u8(r);
		c->read_msb_next = state_get_bool(r);
		c->count_latched = state_get_bool(r);
		c->latch = state_get_u16(r);
		c->latch_left = state_get_u8(r);
		c->status_latched = state_get_bool(r);
		c->status = state_get_u8(r);
		/* What the control word and count writes can produce. */
		if (c->mode > 5 || c->rw > 3 || !c->reload || c->reload > 0x10000 ||
		    c->latch_left > 2)
			state_reader_fail(r, "counter %u: mode %u, access %u, count %u",
					  i, c->mode, c->rw, c->reload);
		/*
		 * A latch holds the bytes latch_count() gave it: 2 for LSB
		 * then MSB, 1 otherwise or after the LSB was read; it is
		 * dropped at 0, so a latched count at 0 would make
		 * counter_read() wrap latch_left.  (Cleared, latch_left is
		 * unused; a control word clears the latch and leaves it.)
		 * The byte pointers move only in LSB-then-MSB access, and
		 * only a gate edge in modes 1 and 5 triggers.  BCD is not
		 * checked against the count: counting is binary (see the
		 * top), and a guest may write any count in BCD mode.
		 */
		if (c->count_latched && c->latch_left != 1 &&
		    !(c->latch_left == 2 && c->rw == 3))
			state_reader_fail(r, "counter %u: latch with %u bytes left, access %u",
					  i, c->latch_left, c->rw);
		if ((c->write_msb_next || c->read_msb_next) && c->rw != 3)
			state_reader_fail(r, "counter %u: MSB next in access %u", i, c->rw);
		if (c->triggered && c->mode != 1 && c->mode != 5)
			state_reader_fail(r, "counter %u: triggered in mode %u", i, c->mode);
		/* No host has run that long; elapsed() subtracts the start. */
		if (ran[i] > STATE_NS_MAX)
			state_reader_fail(r, "counter %u ran %llu ns", i,
					  (unsigned long long)ran[i]);
	}
	t.irq_level = state_get_bool(r);
	t.irq_edges = state_get_u64(r);
	ret = state_section_close(r);
	if (ret)
		return ret;
	now = pit_now(pit);
	for (i = 0; i < 3; i++)
		t.ch[i].run_ns = state_start(ran[i], now);
	*pit = t;
	return 0;
}
