/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * devices/i8254.h - the 8254 programmable interval timer at ports
 * 0x40-0x43: three 16-bit counters clocked at 1.193182 MHz.  Counter 0's
 * OUT drives IRQ 0; counter 2's GATE and OUT are port 0x61 bits 0 and 5,
 * which belong to the speaker/system-control-port device (not here): it
 * calls i8254_set_gate() and reads i8254_out().
 *
 * Register semantics follow the Intel "8254 Programmable Interval Timer"
 * datasheet (order no. 231164); i8254.c cites its sections.
 *
 * Time: nothing ticks.  Counter state is derived from an injected
 * monotonic clock (nanoseconds).  The owner arms a host timer for
 * i8254_next_event_ns() and calls i8254_update() when it fires; port
 * accesses update on their own.
 *
 * Not thread-safe: the caller serialises every entry point.  The irq
 * callback runs with that serialisation held and must not call back in.
 */
#ifndef VMAIN_MONITOR_DEVICES_I8254_H
#define VMAIN_MONITOR_DEVICES_I8254_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/pio.h"

#define I8254_BASE		0x40
#define I8254_NR_PORTS		4
#define I8254_IRQ		0
#define I8254_FREQ_HZ		1193182ull
#define I8254_NO_EVENT		INT64_MAX

/* A monotonic clock in nanoseconds (e.g. CLOCK_MONOTONIC). */
typedef int64_t (*i8254_now_fn)(void *opaque);

struct i8254_ops {
	/* Counter 0's OUT (IRQ 0) changed to `level`. */
	void (*irq)(void *opaque, bool level);
};

struct i8254_channel {
	uint8_t mode;		/* 0-5 */
	uint8_t rw;		/* 1 LSB, 2 MSB, 3 LSB then MSB */
	bool bcd;		/* stored for read-back; counting is binary */
	bool gate;
	bool armed;		/* a count has been loaded */
	bool triggered;		/* modes 1/5: a gate edge started counting */
	bool null_count;
	uint32_t reload;	/* 1..65536 (a written 0 means 65536) */
	int64_t run_ns;		/* when the current run segment started */
	uint64_t ticks_before;	/* ticks counted in earlier segments */
	bool running;		/* gate allows counting now */

	bool write_msb_next;	/* LSB-then-MSB write flip-flop */
	uint8_t write_lsb;
	bool read_msb_next;	/* LSB-then-MSB read flip-flop (unlatched) */
	bool count_latched;
	uint16_t latch;
	uint8_t latch_left;	/* bytes of the latched count still unread */
	bool status_latched;
	uint8_t status;
};

struct i8254 {
	struct i8254_ops ops;
	void *opaque;
	i8254_now_fn now;
	void *now_opaque;
	struct i8254_channel ch[3];
	bool irq_level;		/* counter 0's OUT as last reported */
	uint64_t irq_edges;	/* counter 0 rising edges already reported */
};

/* CLOCK_MONOTONIC in nanoseconds. */
int64_t i8254_host_now(void *opaque);

/*
 * Power-on state (`now` NULL means i8254_host_now()): counters unprogrammed (OUT low on counter 0 until the
 * first control word), gates of counters 0 and 1 high (tied on a PC),
 * counter 2's gate low.
 */
void i8254_init(struct i8254 *pit, const struct i8254_ops *ops, void *opaque,
		i8254_now_fn now, void *now_opaque);

/* The bus callback (pio_io_fn) for [0x40, 0x44). */
int i8254_io(void *opaque, uint16_t port_offset, unsigned size, bool write,
	     uint32_t *data);

int i8254_register(struct i8254 *pit, struct pio_bus *bus);

/*
 * Brings counter 0's OUT (and the irq callback) up to `now`.  Rising
 * edges that were missed since the last update are coalesced into one
 * low-high pulse.
 */
void i8254_update(struct i8254 *pit, int64_t now);

/* When counter 0's next rising OUT edge is due, or I8254_NO_EVENT. */
int64_t i8254_next_event_ns(const struct i8254 *pit);

/* GATE input of counter `ch` (0-2); -EINVAL for a bad counter. */
int i8254_set_gate(struct i8254 *pit, unsigned int ch, bool level);

/* OUT of counter `ch` (0-2) now (false for a bad counter). */
bool i8254_out(struct i8254 *pit, unsigned int ch);

struct state_writer;
struct state_reader;

/*
 * Save and restore (state/stream.h), section "i8254" / 0: per counter
 * the mode, access mode, count, gate, the read/write flip-flops and
 * latches, and its position (ticks counted plus the nanoseconds the
 * current run has lasted, never a host timestamp); counter 0's OUT as
 * last reported and its edges already delivered.  The load rebuilds the
 * run from the loading host's clock, changes `d` only when the section
 * is whole and valid, and calls no op: the caller re-arms its host timer
 * from i8254_next_event_ns() afterwards.
 */
int i8254_save(const struct i8254 *d, struct state_writer *w);
int i8254_load(struct i8254 *d, struct state_reader *r);

#endif
