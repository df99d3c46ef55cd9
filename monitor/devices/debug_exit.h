/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * devices/debug_exit.h - a test-exit port for bare-metal test kernels,
 * compatible with QEMU's "isa-debug-exit" device: a write of V to any of
 * its ports (any width) ends the VM, and the VM's process exits with
 * status (V << 1) | 1 (of which the host keeps the low 8 bits, as for
 * QEMU).  Reads return all-ones, as an unassigned port would.
 *
 * `vmain run --debug-exit PORT[,SIZE]` places it: PORT 0x501 and SIZE 2
 * by default, QEMU's iobase and iosize defaults.
 *
 * Stateless: nothing to save or restore (its ports are configuration,
 * and `vmain run`, the only way to have one, makes no VM that saves).
 * Not thread-safe: the caller serialises debug_exit_io(); ops.exit() runs
 * inside it (machine.lock is held: record and stop, never wait).
 */
#ifndef VMAIN_MONITOR_DEVICES_DEBUG_EXIT_H
#define VMAIN_MONITOR_DEVICES_DEBUG_EXIT_H

#include <stddef.h>
#include <stdint.h>

#include "devices/pio.h"

#define DEBUG_EXIT_DEFAULT_PORT	0x501
#define DEBUG_EXIT_DEFAULT_SIZE	2
#define DEBUG_EXIT_MAX_SIZE	256

/* Where it sits; size 0 means "no device". */
struct debug_exit_config {
	uint16_t port;
	uint16_t size;
};

/*
 * Parses "PORT[,SIZE]" (each decimal or 0x-prefixed hex; SIZE 1 to 256,
 * default 2; PORT 1 or more and the range within 0x0000..0xffff) into
 * *cfg.  "" means the defaults.  0, or -EINVAL with a message in err.
 */
int debug_exit_parse(const char *spec, struct debug_exit_config *cfg, char *err,
		     size_t errlen);

struct debug_exit {
	struct debug_exit_config cfg;
	void (*exit)(void *opaque, uint32_t status);
	void *opaque;
};

void debug_exit_init(struct debug_exit *d, const struct debug_exit_config *cfg,
		     void (*exit)(void *opaque, uint32_t status), void *opaque);

/* The pio_io_fn for its ports. */
int debug_exit_io(void *opaque, uint16_t port_offset, unsigned size, bool write,
		  uint32_t *data);

/*
 * Claims its ports on `bus` after the machine's other devices: -EEXIST
 * when one of them already answers there (*clash, if not NULL, names it),
 * -EINVAL for a size of 0 or a range past 0xffff, -ENOMEM.
 */
int debug_exit_register(struct debug_exit *d, struct pio_bus *bus, const char **clash);

#endif
