// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * serial8250-test.c - the 16550A (monitor/devices/serial8250.c) fed
 * synthetic port accesses at COM1: tx, rx FIFO and overflow, IIR
 * priorities and the IRQ line, DLAB, loopback, odd sizes.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "state-patch.h"
#include "devices/serial8250.h"
#include "state/stream.h"

#define B 0x3f8

static uint8_t txbuf[64];
static unsigned ntx;
static bool irq;
static int irq_edges;

static void on_tx(void *opaque, uint8_t byte)
{
	(void)opaque;
	if (ntx < sizeof(txbuf))
		txbuf[ntx++] = byte;
}

static void on_irq(void *opaque, bool level)
{
	(void)opaque;
	irq = level;
	irq_edges++;
}

static struct pio_bus bus;

static uint8_t in(unsigned reg)
{
	uint32_t d = 0;

	if (pio_bus_dispatch(&bus, (uint16_t)(B + reg), 1, false, &d))
		tap_diag("in %u failed", reg);
	return (uint8_t)d;
}

static void out(unsigned reg, uint8_t v)
{
	uint32_t d = v;

	if (pio_bus_dispatch(&bus, (uint16_t)(B + reg), 1, true, &d))
		tap_diag("out %u failed", reg);
}

/* --- save and restore ----------------------------------------------------- */

static uint8_t sio(struct serial8250 *u, unsigned reg, bool write, uint8_t v)
{
	uint32_t d = v;

	serial8250_io(u, (uint16_t)reg, 1, write, &d);
	return (uint8_t)d;
}

/* The same reads on a UART: every register, the FIFO drained, the divisor. */
static void observe(struct serial8250 *u, uint8_t *o)
{
	unsigned i, n = 0;

	o[n++] = sio(u, 2, false, 0);	/* IIR: the pending interrupt */
	o[n++] = sio(u, 5, false, 0);
	for (i = 1; i < 8; i++)
		if (i != 2 && i != 5)
			o[n++] = sio(u, i, false, 0);
	for (i = 0; i < 16; i++) {
		o[n++] = sio(u, 0, false, 0);
		o[n++] = sio(u, 5, false, 0);
	}
	o[n++] = sio(u, 2, false, 0);
	sio(u, 3, true, 0x83);
	o[n++] = sio(u, 0, false, 0);
	o[n++] = sio(u, 1, false, 0);
	sio(u, 3, true, 0x03);
}

static bool irq_b;
static int irq_b_calls;

static void on_irq_b(void *opaque, bool level)
{
	(void)opaque;
	irq_b = level;
	irq_b_calls++;
}

/*
 * Loads buf with its FCR byte (payload offset 1) set to fcr into a fresh
 * UART: returns the load's result; *untouched says whether the UART was
 * left bit for bit as it was.
 */
static int load_fcr(const uint8_t *buf, size_t len, uint8_t fcr, bool *untouched,
		    char *msg, size_t msg_len)
{
	struct serial8250 c, before;
	struct state_reader r;
	uint8_t copy[256];
	size_t l = patched(copy, sizeof(copy), buf, len, 1, fcr, 1);
	int ret;

	if (!l)
		return -E2BIG;
	serial8250_init(&c, NULL, NULL);
	memcpy(&before, &c, sizeof(c));
	state_reader_init(&r, copy, l);
	ret = serial8250_load(&c, &r);
	*untouched = !memcmp(&before, &c, sizeof(c));
	snprintf(msg, msg_len, "%s", state_reader_msg(&r));
	return ret;
}

/*
 * The receive queue must fit the saved FCR: 16 bytes with the FIFOs on,
 * one without (16450 mode).  15 bytes saved with the FIFOs on and the FCR
 * then turned off: refused, the UART untouched (before, the load took it
 * and serial8250_rx_room() returned (size_t)(1 - 15)).  FCR bits a write
 * cannot leave (DMA mode, a trigger with the FIFOs off) are refused too.
 */
static void test_load_rx_capacity(const uint8_t *buf, size_t len)
{
	static const struct serial8250_ops ops = { .tx = on_tx, .irq = on_irq };
	struct serial8250 a, b;
	struct state_writer w;
	struct state_reader r;
	const uint8_t *b1;
	char msg[STATE_MSG_MAX] = "", msg2[STATE_MSG_MAX] = "";
	bool untouched, untouched2, untouched3;
	size_t l1;
	int err;

	tap_ok(load_fcr(buf, len, 0x00, &untouched, msg, sizeof(msg)) == -EINVAL && untouched,
	       "load: 15 bytes queued with the FIFOs off refused, UART untouched (%s)", msg);
	tap_ok(load_fcr(buf, len, 0xc0, &untouched, msg, sizeof(msg)) == -EINVAL && untouched &&
	       load_fcr(buf, len, 0x09, &untouched2, msg2, sizeof(msg2)) == -EINVAL && untouched2,
	       "load: FCR 0xc0 (trigger, FIFOs off) and 0x09 (DMA mode) refused (%s; %s)",
	       msg, msg2);
	tap_ok(load_fcr(buf, len, 0x01, &untouched3, msg, sizeof(msg)) == 0 && !untouched3,
	       "load: the same 15 bytes with the FIFOs on, trigger 1, taken (%s)", msg);

	/* 16450 mode, its one byte held: taken, no room left. */
	serial8250_init(&a, &ops, NULL);
	serial8250_receive(&a, (const uint8_t *)"xy", 2);
	state_writer_init(&w);
	serial8250_save(&a, &w);
	b1 = state_writer_data(&w, &l1, &err);
	serial8250_init(&b, NULL, NULL);
	state_reader_init(&r, b1, l1);
	tap_ok(b1 && serial8250_rx_room(&a) == 0 && serial8250_load(&b, &r) == 0 &&
	       serial8250_rx_room(&b) == 0 && sio(&b, 0, false, 0) == 'x',
	       "load: FIFOs off with one byte held: taken, no room (%s)", state_reader_msg(&r));
	state_writer_free(&w);
}

static void test_save_restore(void)
{
	static const struct serial8250_ops ops = { .tx = on_tx, .irq = on_irq };
	static const struct serial8250_ops ops_b = { .tx = on_tx, .irq = on_irq_b };
	struct serial8250 a, b, c;
	struct state_writer w;
	struct state_reader r;
	const uint8_t *buf;
	uint8_t oa[48] = { 0 }, ob[48] = { 0 };
	size_t len, n, bad = 0;
	int err;

	serial8250_init(&a, &ops, NULL);
	sio(&a, 3, true, 0x80);		/* DLAB: divisor 0x010c */
	sio(&a, 0, true, 0x0c);
	sio(&a, 1, true, 0x01);
	sio(&a, 3, true, 0x1b);		/* 8E1 */
	sio(&a, 2, true, 0xc7);		/* FIFO on, trigger 14 */
	sio(&a, 4, true, 0x0b);
	sio(&a, 7, true, 0x5a);
	serial8250_receive(&a, (const uint8_t *)"hello, world", 12);
	sio(&a, 0, false, 0);		/* the ring wraps differently from 0 */
	serial8250_receive(&a, (const uint8_t *)"!!!!", 4);
	sio(&a, 1, true, 0x05);		/* RDA + RLS interrupts: the line goes up */
	state_writer_init(&w);
	tap_ok(serial8250_save(&a, &w) == 0, "save: UART with 15 bytes queued");
	buf = state_writer_data(&w, &len, &err);

	serial8250_init(&b, &ops_b, NULL);
	state_reader_init(&r, buf, len);
	irq_b_calls = 0;
	tap_ok(serial8250_load(&b, &r) == 0 && state_reader_at_end(&r) && irq_b_calls == 0,
	       "load: into a fresh UART, no callback (%s)", state_reader_msg(&r));
	tap_ok(serial8250_rx_room(&b) == serial8250_rx_room(&a) &&
	       serial8250_rx_room(&b) == SERIAL8250_FIFO_SIZE - 15, "load: FIFO room 1");
	observe(&a, oa);
	observe(&b, ob);
	tap_ok(!memcmp(oa, ob, sizeof(oa)) && (ob[1] & 1) && ob[0] == 0xc4 &&
	       ob[7] == 'e' && ob[7 + 2 * 14] == '!' && !(ob[8 + 2 * 14] & 1) &&
	       ob[39] == 0xc1 && ob[40] == 0x0c && ob[41] == 0x01,
	       "load: registers, FIFO bytes, IIR and divisor latch read the same");
	tap_ok(irq_b_calls == 1 && !irq_b, "load: draining the FIFO drops the restored line");

	/* Damaged streams: refused, the UART untouched. */
	for (n = 0; n < len; n++) {
		uint8_t *copy = malloc(len);

		memcpy(copy, buf, len);
		copy[n] ^= 0x40;
		serial8250_init(&c, &ops_b, NULL);
		state_reader_init(&r, copy, len);
		if (serial8250_load(&c, &r) == 0 || c.rx_count || c.dll)
			bad++;
		state_reader_init(&r, buf, n);
		if (serial8250_load(&c, &r) == 0 || c.rx_count || c.dll)
			bad++;
		free(copy);
	}
	tap_ok(!bad, "load: every flipped byte and truncation refused, UART untouched");
	test_load_rx_capacity(buf, len);
	state_writer_free(&w);
}

int main(void)
{
	static const struct serial8250_ops ops = { .tx = on_tx, .irq = on_irq };
	struct serial8250 s;
	uint8_t buf[40];
	uint32_t d;
	size_t n;

	for (n = 0; n < sizeof(buf); n++)
		buf[n] = (uint8_t)('a' + n % 26);
	pio_bus_init(&bus);
	serial8250_init(&s, &ops, NULL);
	tap_ok(serial8250_register(&s, &bus, SERIAL8250_COM1_BASE) == 0,
	       "register COM1");

	/* Reset state. */
	tap_ok(in(5) == 0x60, "LSR after reset: THRE|TEMT");
	tap_ok(in(2) == 0x01, "IIR after reset: no interrupt");
	tap_ok(in(1) == 0 && in(3) == 0 && in(4) == 0, "IER, LCR, MCR 0");
	tap_ok((in(6) & 0xf0) == 0xb0, "MSR: DCD, DSR, CTS");
	out(7, 0xa5);
	tap_ok(in(7) == 0xa5, "scratch register");
	out(1, 0xff);
	tap_ok(in(1) == 0x0f, "IER keeps the low 4 bits");
	out(1, 0);
	irq_edges = 0;
	irq = false;

	/* Output. */
	out(3, 0x03);
	out(0, 'h');
	out(0, 'i');
	tap_ok(ntx == 2 && txbuf[0] == 'h' && txbuf[1] == 'i', "THR writes reach tx");
	out(3, 0x02);	/* 7 bits */
	out(0, 0xc1);
	tap_ok(ntx == 3 && txbuf[2] == 0x41, "7-bit words lose bit 7");
	out(3, 0x03);

	/* DLAB. */
	out(3, 0x83);
	out(0, 0x01);
	out(1, 0x02);
	tap_ok(in(0) == 0x01 && in(1) == 0x02, "DLAB: DLL/DLM read back");
	tap_ok(ntx == 3, "DLL write is not transmitted");
	out(3, 0x03);
	tap_ok(in(1) == 0x00, "DLAB off: IER again (0)");
	out(3, 0x83);
	tap_ok(in(0) == 0x01 && in(1) == 0x02, "divisor latch kept");
	out(3, 0x03);

	/* THRE interrupt. */
	out(1, 0x02);
	tap_ok(irq && irq_edges == 1, "enabling ETBEI raises the IRQ");
	tap_ok(in(2) == 0x02, "IIR: THR empty");
	tap_ok(!irq && in(2) == 0x01, "reading IIR cleared THRE, IRQ low");
	out(0, 'x');
	tap_ok(irq, "THR write: THRE interrupt again");
	out(1, 0x00);
	tap_ok(!irq, "IER 0: IRQ low");
	out(1, 0x02);
	(void)in(2);

	/* Receive, non-FIFO (16450) mode: one byte holds. */
	out(1, 0x00);
	n = serial8250_receive(&s, buf, 3);
	tap_ok(n == 1, "16450 mode takes 1 byte (%zu)", n);
	tap_ok((in(5) & 0x03) == 0x03, "LSR: DR and OE");
	tap_ok((in(5) & 0x02) == 0, "OE cleared by reading LSR");
	tap_ok(in(0) == 'a' && !(in(5) & 0x01), "RBR read; DR clear");

	/* FIFO mode. */
	out(2, 0xc1);	/* enable, trigger 14 */
	tap_ok((in(2) & 0xc0) == 0xc0, "IIR bits 6-7: FIFOs enabled");
	tap_ok(serial8250_rx_room(&s) == 16, "room 16");
	out(1, 0x01);	/* ERDAI */
	n = serial8250_receive(&s, buf, 5);
	tap_ok(n == 5 && irq, "5 bytes queued, IRQ up");
	tap_ok((in(2) & 0x0f) == 0x0c, "below trigger: character timeout (0xC)");
	n = serial8250_receive(&s, buf + 5, 35);
	tap_ok(n == 11, "FIFO bounded: 11 more taken of 35");
	tap_ok(serial8250_rx_room(&s) == 0, "room 0");
	tap_ok((in(2) & 0x0f) == 0x04, "at trigger: received data available");
	out(1, 0x05);	/* + ELSI */
	tap_ok((in(2) & 0x0f) == 0x06, "OE with ELSI: line status first");
	{
		uint8_t lsr = in(5);

		tap_ok((lsr & 0x63) == 0x63, "LSR: DR, OE, THRE, TEMT (%#x)", lsr);
	}
	tap_ok((in(2) & 0x0f) == 0x04, "after LSR read: data available again");
	{
		int ok = 1;

		for (n = 0; n < 16; n++)
			ok &= in(0) == buf[n];
		tap_ok(ok, "16 bytes in order");
	}
	tap_ok(!(in(5) & 0x01) && !irq, "FIFO drained: DR 0, IRQ low");
	tap_ok(in(0) == 0, "empty RBR reads 0");

	/* FCR clears. */
	serial8250_receive(&s, buf, 4);
	out(2, 0xc3);
	tap_ok(!(in(5) & 0x01) && !irq, "FCR bit 1 clears the RX FIFO");
	serial8250_receive(&s, buf, 4);
	out(2, 0x00);
	tap_ok(!(in(5) & 0x01) && (in(2) & 0xc0) == 0, "disabling FIFOs clears them");
	out(2, 0x01);	/* trigger 1 */
	serial8250_receive(&s, buf, 1);
	tap_ok((in(2) & 0x0f) == 0x04, "trigger level 1: RDA on one byte");
	(void)in(0);

	/* Priorities: RDA over THRE over MSR. */
	out(1, 0x0f);
	serial8250_receive(&s, buf, 1);
	tap_ok((in(2) & 0x0f) == 0x04, "RDA beats THRE");
	(void)in(0);
	tap_ok((in(2) & 0x0f) == 0x02, "then THRE");
	tap_ok((in(2) & 0x0f) == 0x01 && !irq, "then none");

	/* Loopback and modem status. */
	out(4, 0x10);	/* loop, no outputs */
	tap_ok(irq && (in(2) & 0x0f) == 0x00, "MSR deltas raise modem status IRQ");
	tap_ok(in(6) == 0x0b, "loopback: MSR inputs follow MCR (none), deltas");
	tap_ok((in(6) & 0x0f) == 0x00 && !irq, "deltas cleared by MSR read");
	out(4, 0x1a);	/* loop | RTS | OUT2: Linux's autoconfig check */
	tap_ok((in(6) & 0xf0) == 0x90, "loop RTS|OUT2 -> CTS|DCD (0x90)");
	out(4, 0x15);	/* loop | DTR | OUT1 */
	tap_ok((in(6) & 0xf0) == 0x60, "loop DTR|OUT1 -> DSR|RI");
	out(4, 0x11);
	tap_ok((in(6) & 0x04), "RI trailing edge sets TERI");
	ntx = 0;
	out(0, 'L');
	tap_ok(ntx == 0 && in(0) == 'L', "loopback: THR comes back on RBR, not tx");
	tap_ok(serial8250_receive(&s, buf, 3) == 0 && !(in(5) & 0x03),
	       "loopback: host input not taken, no OE");
	out(4, 0x0b);
	(void)in(6);
	out(0, 'M');
	tap_ok(ntx == 1 && txbuf[0] == 'M', "loop off: tx again");
	out(1, 0x00);
	tap_ok(!irq, "IRQ low with IER 0");

	/* Sizes. */
	serial8250_receive(&s, (const uint8_t *)"PQ", 2);
	d = 0;
	tap_ok(pio_bus_dispatch(&bus, B, 2, false, &d) == 0 && d == 0x0050,
	       "word read at RBR: RBR 'P' then IER 0 (%#x)", d);
	tap_ok(pio_bus_dispatch(&bus, B + 7, 4, false, &d) == 0 &&
	       (d & 0xffffff00) == 0xffffff00, "dword at SCR: bytes past 0x3ff 0xff");
	ntx = 0;
	d = 0x004a;
	tap_ok(pio_bus_dispatch(&bus, B, 2, true, &d) == 0 && ntx == 1 &&
	       txbuf[0] == 'J' && in(1) == 0, "word write: THR then IER");
	tap_ok(pio_bus_dispatch(&bus, B, 3, false, &d) == -EINVAL,
	       "size 3: -EINVAL");
	tap_ok(serial8250_io(&s, 8, 1, false, &d) == -EINVAL,
	       "offset 8 direct: -EINVAL");
	out(5, 0xff);
	tap_ok((in(5) & 0x9e) == 0, "LSR writes ignored");
	pio_bus_destroy(&bus);
	test_save_restore();
	return tap_done();
}
