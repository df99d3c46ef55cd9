// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * devices/pio.c - the port-I/O bus (see pio.h).
 *
 * Regions live in an array sorted by base; a dispatch is a binary search.
 * A PC has a few dozen claimed ranges, so anything fancier buys nothing.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "devices/pio.h"

void pio_bus_init(struct pio_bus *bus)
{
	memset(bus, 0, sizeof(*bus));
}

void pio_bus_destroy(struct pio_bus *bus)
{
	free(bus->regions);
	memset(bus, 0, sizeof(*bus));
}

static uint32_t region_end(const struct pio_region *r)
{
	return (uint32_t)r->base + r->len;
}

/* Index of the first region whose end is above `port`. */
static size_t pio_bus_lower(const struct pio_bus *bus, uint32_t port)
{
	size_t lo = 0, hi = bus->nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (region_end(&bus->regions[mid]) <= port)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int pio_bus_register(struct pio_bus *bus, uint16_t base, uint32_t len,
		     pio_io_fn io, void *opaque, const char *name)
{
	struct pio_region *r;
	size_t i;

	if (!io || len == 0 || (uint32_t)base + len > 0x10000)
		return -EINVAL;

	i = pio_bus_lower(bus, base);
	/* bus->regions[i] is the first region ending above base. */
	if (i < bus->nr && bus->regions[i].base < (uint32_t)base + len)
		return -EEXIST;

	if (bus->nr == bus->cap) {
		size_t cap = bus->cap ? bus->cap * 2 : 16;

		r = realloc(bus->regions, cap * sizeof(*r));
		if (!r)
			return -ENOMEM;
		bus->regions = r;
		bus->cap = cap;
	}
	memmove(&bus->regions[i + 1], &bus->regions[i],
		(bus->nr - i) * sizeof(*r));
	bus->regions[i] = (struct pio_region){
		.base = base, .len = len, .io = io,
		.opaque = opaque, .name = name,
	};
	bus->nr++;
	return 0;
}

const struct pio_region *pio_bus_find(const struct pio_bus *bus, uint16_t port)
{
	size_t i = pio_bus_lower(bus, port);

	if (i < bus->nr && bus->regions[i].base <= port)
		return &bus->regions[i];
	return NULL;
}

int pio_bus_dispatch(const struct pio_bus *bus, uint16_t port, unsigned size,
		     bool write, uint32_t *data)
{
	const struct pio_region *r;
	uint32_t val;
	int ret;

	if (!pio_size_ok(size)) {
		if (!write)
			*data = 0xffffffffu;
		return -EINVAL;
	}

	r = pio_bus_find(bus, port);
	if (!r) {
		if (!write)
			*data = pio_ones(size);
		return PIO_UNCLAIMED;
	}

	/* The device never sees bits the guest did not drive. */
	val = write ? *data & pio_ones(size) : pio_ones(size);
	ret = r->io(r->opaque, (uint16_t)(port - r->base), size, write, &val);
	if (!write)
		*data = val & pio_ones(size);
	return ret < 0 ? ret : 0;
}

int pio_io_bytewise(void *opaque, pio_byte_fn fn, uint16_t len,
		    uint16_t offset, unsigned size, bool write, uint32_t *data)
{
	uint32_t out = 0;
	int ret = 0;
	unsigned i;

	if (!pio_size_ok(size) || offset >= len)
		return -EINVAL;

	for (i = 0; i < size; i++) {
		uint8_t b = write ? (uint8_t)(*data >> (8 * i)) : 0xff;

		if ((uint32_t)offset + i < len) {
			int r = fn(opaque, (uint16_t)(offset + i), write, &b);

			if (r < 0 && !ret)
				ret = r;
		} else {
			b = 0xff;
		}
		out |= (uint32_t)b << (8 * i);
	}
	if (!write)
		*data = out;
	return ret;
}
