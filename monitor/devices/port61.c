// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * devices/port61.c - system control port B (see port61.h).
 *
 * Approximation: the refresh-request bit flips on every read instead of
 * every 15 us; software only ever waits for it to change.
 */
#include <errno.h>

#include "devices/port61.h"

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
