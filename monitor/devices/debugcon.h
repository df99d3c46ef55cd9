/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * devices/debugcon.h - a debug console port: every byte written to it is
 * firmware log output (QEMU's "isa-debugcon"; Debian's SeaBIOS, built
 * for QEMU, writes its log to port 0x402).  A read returns 0xe9, the
 * value SeaBIOS and QEMU use to tell the port is present.
 *
 * Stateless: nothing to save or restore (the bytes have gone out).
 * Not thread-safe: the caller serialises debugcon_io(); ops.write() runs
 * inside it and must not block (machine.lock is held: queue, don't write).
 */
#ifndef VMAIN_MONITOR_DEVICES_DEBUGCON_H
#define VMAIN_MONITOR_DEVICES_DEBUGCON_H

#include <stddef.h>
#include <stdint.h>

#include "devices/pio.h"

#define DEBUGCON_PORT		0x402
#define DEBUGCON_READBACK	0xe9

struct debugcon {
	void (*write)(void *opaque, const uint8_t *buf, size_t len);
	void *opaque;
};

void debugcon_init(struct debugcon *d,
		   void (*write)(void *opaque, const uint8_t *buf, size_t len),
		   void *opaque);

/* The pio_io_fn for the port: a wide write gives its bytes, low first. */
int debugcon_io(void *opaque, uint16_t port_offset, unsigned size, bool write,
		uint32_t *data);

int debugcon_register(struct debugcon *d, struct pio_bus *bus, uint16_t port);

#endif
