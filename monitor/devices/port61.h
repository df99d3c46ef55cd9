/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * devices/port61.h - the PC/AT "system control port B" at I/O port 0x61:
 * the gate of PIT counter 2 (bit 0), the speaker enable (bit 1), the
 * parity/channel-check enables (bits 2-3) and, read-only, the refresh
 * toggle (bit 4) and counter 2's OUT (bit 5).  Linux calibrates the TSC by
 * gating counter 2 here and polling bit 5.
 *
 * Not thread-safe: the caller serialises it together with the PIT.
 */
#ifndef VMAIN_MONITOR_DEVICES_PORT61_H
#define VMAIN_MONITOR_DEVICES_PORT61_H

#include <stdint.h>

#include "devices/i8254.h"
#include "devices/pio.h"

#define PORT61_PORT		0x61
#define PORT61_WRITABLE		0x0f
#define PORT61_REFRESH		0x10
#define PORT61_OUT2		0x20

struct port61 {
	struct i8254 *pit;
	uint8_t value;		/* the writable bits */
	uint8_t toggle;		/* flips on every read (refresh toggle) */
};

void port61_init(struct port61 *p, struct i8254 *pit);
int port61_io(void *opaque, uint16_t port_offset, unsigned size, bool write,
	      uint32_t *data);
int port61_register(struct port61 *p, struct pio_bus *bus);

struct state_writer;
struct state_reader;

/*
 * Save and restore (state/stream.h), section "port61" / 0: the writable
 * bits and the refresh toggle.  Counter 2's gate (bit 0) is restored with
 * the PIT (i8254_load()), not driven again here.
 */
int port61_save(const struct port61 *d, struct state_writer *w);
int port61_load(struct port61 *d, struct state_reader *r);

#endif
