/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * devices/serial8250.h - a 16550A UART (PC COM1: ports 0x3f8-0x3ff, IRQ 4).
 *
 * Register semantics follow the National/TI PC16550D "Universal
 * Asynchronous Receiver/Transmitter with FIFOs" datasheet; serial8250.c
 * cites its sections by name.
 *
 * Not thread-safe: the caller serialises serial8250_io() and
 * serial8250_receive() (one device lock, or one thread).  Callbacks are
 * called with that serialisation held and must not call back in.
 */
#ifndef VMAIN_MONITOR_DEVICES_SERIAL8250_H
#define VMAIN_MONITOR_DEVICES_SERIAL8250_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "devices/pio.h"

#define SERIAL8250_COM1_BASE	0x3f8
#define SERIAL8250_COM1_IRQ	4
#define SERIAL8250_NR_PORTS	8
#define SERIAL8250_FIFO_SIZE	16

struct serial8250_ops {
	/* A byte the guest transmitted (not called in loopback mode). */
	void (*tx)(void *opaque, uint8_t byte);
	/* The interrupt output changed to `level` (called on changes only). */
	void (*irq)(void *opaque, bool level);
};

struct serial8250 {
	struct serial8250_ops ops;
	void *opaque;

	uint8_t ier;		/* low 4 bits; the high nibble reads 0 */
	uint8_t fcr;		/* last FCR write: FIFO enable + trigger level */
	uint8_t lcr;
	uint8_t mcr;		/* low 5 bits */
	uint8_t lsr;		/* only the sticky error bits; DR/THRE/TEMT derived */
	uint8_t msr;		/* status (high nibble) and delta (low nibble) bits */
	uint8_t scr;
	uint8_t dll, dlm;
	bool thr_ipending;	/* THR-empty interrupt pending (cleared by IIR read) */
	bool irq_level;

	uint8_t rx[SERIAL8250_FIFO_SIZE];	/* receive FIFO, a ring */
	unsigned int rx_head, rx_count;
};

/* Sets the power-on state (datasheet Table: "UART Reset Configuration"). */
void serial8250_init(struct serial8250 *s, const struct serial8250_ops *ops,
		     void *opaque);

/* The bus callback (pio_io_fn); `opaque` is the struct serial8250. */
int serial8250_io(void *opaque, uint16_t port_offset, unsigned size,
		  bool write, uint32_t *data);

/* Claims [base, base + 8) on `bus`; -errno from pio_bus_register(). */
int serial8250_register(struct serial8250 *s, struct pio_bus *bus,
			uint16_t base);

/*
 * Host input: queues up to `len` bytes into the receive FIFO and returns
 * how many were queued.  The FIFO holds 16 bytes (1 with FIFOs disabled);
 * bytes arriving while it is full are lost and set LSR.OE, like a line
 * with no flow control.  Callers that must not lose input offer only
 * serial8250_rx_room() bytes.  In loopback mode the receiver is cut off
 * from the line: nothing is taken and 0 is returned.
 */
size_t serial8250_receive(struct serial8250 *s, const uint8_t *buf, size_t len);

/* Free space in the receive FIFO (0 in loopback mode). */
size_t serial8250_rx_room(const struct serial8250 *s);

struct state_writer;
struct state_reader;

/*
 * Save and restore (state/stream.h), section "serial8250" / 0 (the caller
 * tells several UARTs apart by saving each into its own stream part, or by
 * loading them in the same order): every register, the divisor latch, the
 * pending THR-empty interrupt, the interrupt output and the receive FIFO
 * (oldest byte first).  The load changes `d` only when everything is
 * valid, and calls no op: the interrupt controllers restore their own
 * input levels.
 */
int serial8250_save(const struct serial8250 *d, struct state_writer *w);
int serial8250_load(struct serial8250 *d, struct state_reader *r);

#endif
