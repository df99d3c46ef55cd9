/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * le.h - little-endian fields of 1 to 8 bytes at any alignment: virtio
 * configuration space and rings (virtio 1.2 section 1.4: little-endian),
 * PCI configuration space, and the device-state stream.
 */
#ifndef VMAIN_MONITOR_LE_H
#define VMAIN_MONITOR_LE_H

#include <stdint.h>

/* Stores the low `n` bytes of v at p, least significant first. */
static inline void put_le(uint8_t *p, uint64_t v, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Reads `n` bytes at p, least significant first. */
static inline uint64_t get_le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;
	unsigned i;

	for (i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

#endif
