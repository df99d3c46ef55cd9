// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * devices/debugcon.c - the firmware's debug console port (see debugcon.h).
 */
#include "devices/debugcon.h"

void debugcon_init(struct debugcon *d,
		   void (*write)(void *opaque, const uint8_t *buf, size_t len),
		   void *opaque)
{
	d->write = write;
	d->opaque = opaque;
}

int debugcon_io(void *opaque, uint16_t port_offset, unsigned size, bool write,
		uint32_t *data)
{
	struct debugcon *d = opaque;
	uint8_t buf[4];
	unsigned i;

	(void)port_offset;
	if (!write) {
		*data = DEBUGCON_READBACK;
		return 0;
	}
	for (i = 0; i < size && i < 4; i++)
		buf[i] = (uint8_t)(*data >> (8 * i));
	if (d->write)
		d->write(d->opaque, buf, i);
	return 0;
}

int debugcon_register(struct debugcon *d, struct pio_bus *bus, uint16_t port)
{
	return pio_bus_register(bus, port, 1, debugcon_io, d, "debugcon");
}
