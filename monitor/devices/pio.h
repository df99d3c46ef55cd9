/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * devices/pio.h - the port-I/O bus: which device answers which x86 I/O port.
 *
 * A guest IN/OUT arrives from the module (or KVM) as (port, size 1/2/4,
 * direction, data) and is handed to pio_bus_dispatch(), which finds the
 * device whose range [base, base + len) holds `port` and calls its io
 * callback with the offset into that range.
 *
 * Threads: the bus is built once at start (pio_bus_register() from one
 * thread, before any vCPU runs) and is read-only afterwards, so vCPU
 * threads may call pio_bus_dispatch() concurrently without a lock.  Each
 * device serialises its own state if it can be reached from several vCPUs.
 *
 * Plain C, no GLib, so that device models can be tested on the host.
 */
#ifndef VMAIN_MONITOR_DEVICES_PIO_H
#define VMAIN_MONITOR_DEVICES_PIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A device's port-I/O callback: one function serves reads and writes.
 * `port_offset` is port - base; `size` is 1, 2 or 4.  On a write `*data`
 * holds the value (masked to `size`); on a read the callback stores the
 * value there (the bus has pre-filled all-ones and masks the result).
 * Returns 0 or -errno; an error fails this access only.
 */
typedef int (*pio_io_fn)(void *opaque, uint16_t port_offset, unsigned size,
			 bool write, uint32_t *data);

struct pio_region {
	uint16_t base;
	uint32_t len;		/* 1 .. 0x10000 - base */
	pio_io_fn io;
	void *opaque;
	const char *name;	/* for diagnostics; not copied */
};

struct pio_bus {
	struct pio_region *regions;	/* sorted by base, never overlapping */
	size_t nr, cap;
};

/* pio_bus_dispatch()'s return for a port no device claims. */
#define PIO_UNCLAIMED 1

void pio_bus_init(struct pio_bus *bus);
void pio_bus_destroy(struct pio_bus *bus);

/*
 * Claims [base, base + len) for `io`/`opaque`.  -EINVAL for len 0, a range
 * past port 0xffff or a NULL io; -EEXIST if any port is already claimed;
 * -ENOMEM.  Call only while building the bus (see the note above).
 */
int pio_bus_register(struct pio_bus *bus, uint16_t base, uint32_t len,
		     pio_io_fn io, void *opaque, const char *name);

/* The region holding `port`, or NULL. */
const struct pio_region *pio_bus_find(const struct pio_bus *bus, uint16_t port);

/*
 * Performs one guest access.  Returns:
 *   0              a device handled it;
 *   PIO_UNCLAIMED  no device claims `port`: a read gives all-ones (0xff,
 *                  0xffff or 0xffffffff), a write is dropped, as on a PC
 *                  bus where nothing drives the data lines;
 *   -EINVAL        size is not 1, 2 or 4 (*data untouched on a write,
 *                  all-ones of 4 bytes on a read);
 *   -errno         the device failed the access (a read gives all-ones
 *                  unless the device stored something).
 * The device is chosen by the first port of the access; bytes of a wide
 * access that run past that device's range are the device's business
 * (see pio_io_bytewise()), not another device's.
 */
int pio_bus_dispatch(const struct pio_bus *bus, uint16_t port, unsigned size,
		     bool write, uint32_t *data);

/* All-ones of `size` bytes (size 1, 2 or 4). */
static inline uint32_t pio_ones(unsigned size)
{
	return size >= 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
}

static inline bool pio_size_ok(unsigned size)
{
	return size == 1 || size == 2 || size == 4;
}

/*
 * For devices made of 8-bit registers (the ISA parts: 8250, MC146818,
 * 8042): a wider access is split into byte accesses at consecutive
 * offsets, low byte first, the way the ISA bus bridge splits a 16/32-bit
 * cycle to an 8-bit device.  Bytes at offsets >= `len` are outside the
 * device: they read as 0xff and writes to them are dropped.  `fn` gets
 * offsets < len only.  Returns -EINVAL for a bad size or an offset >= len,
 * else the first error of `fn`, else 0.
 */
typedef int (*pio_byte_fn)(void *opaque, uint16_t offset, bool write,
			   uint8_t *val);
int pio_io_bytewise(void *opaque, pio_byte_fn fn, uint16_t len,
		    uint16_t offset, unsigned size, bool write, uint32_t *data);

#endif
