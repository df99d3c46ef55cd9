/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * devices/i8042.h - the PC's 8042 keyboard controller at ports 0x60
 * (data) and 0x64 (status/command), with a PS/2 keyboard on its first
 * port (devices/ps2-kbd.h) raising IRQ 1.  No mouse is attached to the
 * aux port: bytes for it are dropped.
 *
 * Not thread-safe: the caller serialises the io callbacks.
 */
#ifndef VMAIN_MONITOR_DEVICES_I8042_H
#define VMAIN_MONITOR_DEVICES_I8042_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/pio.h"
#include "devices/ps2-kbd.h"

#define I8042_DATA_PORT		0x60
#define I8042_CMD_PORT		0x64

struct i8042_ops {
	/* The guest pulsed the CPU reset line (command 0xFE and kin). */
	void (*reset)(void *opaque);
	/* The level of ISA IRQ `irq` (1: keyboard, 12: aux) changed. */
	void (*irq)(void *opaque, unsigned irq, bool level);
};

struct i8042 {
	struct i8042_ops ops;
	void *opaque;
	uint8_t status;		/* the status register */
	uint8_t ctr;		/* the controller command byte */
	uint8_t outb;		/* output buffer (valid while status OBF) */
	uint8_t pending;	/* a command waiting for its data byte, or 0 */
	uint8_t outport;	/* the output port (bit 0 = reset, 1 = A20) */
	bool xlat_break;	/* translating: F0 seen, the next byte | 0x80 */
	bool irq1, irq12;	/* the levels last signalled */
	struct ps2_kbd kbd;
};

void i8042_init(struct i8042 *kbc, const struct i8042_ops *ops, void *opaque);

/*
 * The device's io function, with port_offset relative to 0x60: 0 is the
 * data port, 4 the status/command port; other offsets are not the
 * 8042's (-EINVAL).  Accesses wider than a byte act on the addressed
 * port's register in the low byte; the other bytes are other ports,
 * which read 0xff and are not written.
 */
int i8042_io(void *opaque, uint16_t port_offset, unsigned size, bool write,
	     uint32_t *data);

/* Bus callbacks (pio_io_fn) for the one-port regions 0x60 and 0x64. */
int i8042_data_io(void *opaque, uint16_t port_offset, unsigned size,
		  bool write, uint32_t *data);
int i8042_cmd_io(void *opaque, uint16_t port_offset, unsigned size,
		 bool write, uint32_t *data);

/*
 * A key (Linux KEY_* code) on the keyboard: queued, and in the output
 * buffer at once when that is free (ps2_kbd_key()'s returns).
 */
int i8042_key(struct i8042 *kbc, uint16_t code, bool down);

/* Claims 0x60 and 0x64 (not 0x61-0x63, which are other devices'). */
int i8042_register(struct i8042 *kbc, struct pio_bus *bus);

struct state_writer;
struct state_reader;

/*
 * Save and restore (state/stream.h), section "i8042" / 0, version 2:
 * status, command byte, output buffer, a command waiting for its data
 * byte, the output port, then the translation's break flag and the
 * keyboard (ps2_kbd_save()).  Version 1 (no keyboard) loads with a fresh
 * keyboard.  The load changes `d` only when the section is whole; the IRQ
 * levels are taken as the load leaves them (the PICs restore their own).
 */
int i8042_save(const struct i8042 *d, struct state_writer *w);
int i8042_load(struct i8042 *d, struct state_reader *r);

#endif
