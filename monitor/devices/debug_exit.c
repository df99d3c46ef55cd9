// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * devices/debug_exit.c - the test-exit port (see debug_exit.h).  Its
 * behaviour is that of QEMU's isa-debug-exit as its documentation and
 * the arenas (ARENA.md) use it: status = (value << 1) | 1, so that a
 * guest's exit can never look like a clean 0.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/debug_exit.h"

/* One number: decimal or 0x hex, nothing else, at most `max`. */
static int parse_number(const char *s, size_t len, unsigned long max, unsigned long *out)
{
	char buf[16], *end;
	unsigned long v;

	if (len == 0 || len >= sizeof(buf) || s[0] == '-' || s[0] == '+' || s[0] == ' ')
		return -EINVAL;
	memcpy(buf, s, len);
	buf[len] = 0;
	errno = 0;
	v = strtoul(buf, &end, buf[0] == '0' && (buf[1] == 'x' || buf[1] == 'X') ? 16 : 10);
	if (errno || *end || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

int debug_exit_parse(const char *spec, struct debug_exit_config *cfg, char *err,
		     size_t errlen)
{
	unsigned long port = DEBUG_EXIT_DEFAULT_PORT, size = DEBUG_EXIT_DEFAULT_SIZE;
	const char *comma;

	if (!spec || !cfg) {
		snprintf(err, errlen, "no spec");
		return -EINVAL;
	}
	comma = strchr(spec, ',');
	if (*spec && parse_number(spec, comma ? (size_t)(comma - spec) : strlen(spec),
				  0xffff, &port)) {
		snprintf(err, errlen, "PORT must be a number from 1 to 0xffff (decimal or 0x hex)");
		return -EINVAL;
	}
	if (port == 0) {
		snprintf(err, errlen, "PORT must be a number from 1 to 0xffff (decimal or 0x hex)");
		return -EINVAL;
	}
	if (comma && parse_number(comma + 1, strlen(comma + 1), DEBUG_EXIT_MAX_SIZE, &size)) {
		snprintf(err, errlen, "SIZE must be a number of ports from 1 to %d",
			 DEBUG_EXIT_MAX_SIZE);
		return -EINVAL;
	}
	if (size == 0) {
		snprintf(err, errlen, "SIZE must be a number of ports from 1 to %d",
			 DEBUG_EXIT_MAX_SIZE);
		return -EINVAL;
	}
	if (port + size > 0x10000) {
		snprintf(err, errlen, "ports 0x%lx..0x%lx run past 0xffff", port, port + size - 1);
		return -EINVAL;
	}
	cfg->port = (uint16_t)port;
	cfg->size = (uint16_t)size;
	return 0;
}

void debug_exit_init(struct debug_exit *d, const struct debug_exit_config *cfg,
		     void (*exit)(void *opaque, uint32_t status), void *opaque)
{
	memset(d, 0, sizeof(*d));
	d->cfg = *cfg;
	d->exit = exit;
	d->opaque = opaque;
}

int debug_exit_io(void *opaque, uint16_t port_offset, unsigned size, bool write,
		  uint32_t *data)
{
	struct debug_exit *d = opaque;

	(void)port_offset;
	if (!pio_size_ok(size))
		return -EINVAL;
	if (!write) {
		*data = pio_ones(size);
		return 0;
	}
	/*
	 * Any offset, any width: the value written, as wide as the access,
	 * shifted left once with bit 0 set.  A 32-bit value's top bit falls
	 * off, as it would in the host's int exit status anyway.
	 */
	if (d->exit)
		d->exit(d->opaque, (*data & pio_ones(size)) << 1 | 1);
	return 0;
}

int debug_exit_register(struct debug_exit *d, struct pio_bus *bus, const char **clash)
{
	uint32_t i;
	int ret;

	if (clash)
		*clash = NULL;
	if (!d->cfg.size || d->cfg.port + (uint32_t)d->cfg.size > 0x10000)
		return -EINVAL;
	ret = pio_bus_register(bus, d->cfg.port, d->cfg.size, debug_exit_io, d, "debug-exit");
	if (ret == -EEXIST && clash) {
		for (i = 0; i < d->cfg.size; i++) {
			const struct pio_region *r = pio_bus_find(bus, (uint16_t)(d->cfg.port + i));

			if (r) {
				*clash = r->name;
				break;
			}
		}
	}
	return ret;
}
