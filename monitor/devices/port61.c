// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * devices/port61.c - system control port B (see port61.h).
 *
 * Approximation: the refresh-request bit flips on every read instead of
 * every 15 us; software only ever waits for it to change.
 */
#include <errno.h>

#include "devices/port61.h"
#include "state/stream.h"

void port61_init(struct port61 *p, struct i8254 *pit)
{
	p->pit = pit;
	p->value = 0;
	p->toggle = 0;
	i8254_set_gate(pit, 2, false);
}

static int port61_byte(void *opaque, uint16_t offset, bool write, uint8_t *val)
{
	struct port61 *p = opaque;

	(void)offset;
	if (write) {
		p->value = *val & PORT61_WRITABLE;
		return i8254_set_gate(p->pit, 2, p->value & 1);
	}
	p->toggle ^= PORT61_REFRESH;
	*val = p->value | p->toggle | (i8254_out(p->pit, 2) ? PORT61_OUT2 : 0);
	return 0;
}

int port61_io(void *opaque, uint16_t port_offset, unsigned size, bool write,
	      uint32_t *data)
{
	return pio_io_bytewise(opaque, port61_byte, 1, port_offset, size, write, data);
}

int port61_register(struct port61 *p, struct pio_bus *bus)
{
	return pio_bus_register(bus, PORT61_PORT, 1, port61_io, p, "port61");
}

/* --- save and restore --------------------------------------------------- */

#define PORT61_STATE_VERSION	1

/* Counter 2's gate is the PIT's state (i8254_save()); this is the rest. */
int port61_save(const struct port61 *p, struct state_writer *w)
{
	state_section_begin(w, "port61", 0, PORT61_STATE_VERSION);
	state_put_u8(w, p->value);
	state_put_u8(w, p->toggle);
	state_section_end(w);
	return state_writer_error(w);
}

int port61_load(struct port61 *p, struct state_reader *r)
{
	uint8_t value, toggle;
	int ret;

	ret = state_section_open(r, "port61", 0, PORT61_STATE_VERSION, NULL);
	if (ret)
		return ret;
	value = state_get_u8(r);
	toggle = state_get_u8(r);
	if (value & ~PORT61_WRITABLE)
		state_reader_fail(r, "value 0x%x has read-only bits", value);
	if (toggle & ~PORT61_REFRESH)
		state_reader_fail(r, "toggle 0x%x", toggle);
	ret = state_section_close(r);
	if (ret)
		return ret;
	p->value = value;
	p->toggle = toggle;
	return 0;
}
