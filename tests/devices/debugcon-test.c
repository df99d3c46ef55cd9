// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * debugcon-test.c - the firmware's debug console port (monitor/devices/
 * debugcon.c): bytes written reach the sink in order, a wide write gives
 * its bytes low first, a read answers 0xe9, no sink drops quietly.
 */
#include <stdint.h>
#include <string.h>

#include "tap.h"
#include "devices/debugcon.h"

static char got[64];
static size_t ngot;

static void sink(void *opaque, const uint8_t *buf, size_t len)
{
	(void)opaque;
	if (ngot + len < sizeof(got)) {
		memcpy(got + ngot, buf, len);
		ngot += len;
	}
}

int main(void)
{
	struct pio_bus bus;
	struct debugcon d, quiet;
	const char *msg = "SeaBIOS\n";
	uint32_t v;
	size_t i;

	pio_bus_init(&bus);
	debugcon_init(&d, sink, NULL);
	tap_ok(debugcon_register(&d, &bus, DEBUGCON_PORT) == 0, "registered at 0x402");
	for (i = 0; i < strlen(msg); i++) {
		v = (uint8_t)msg[i];
		pio_bus_dispatch(&bus, DEBUGCON_PORT, 1, true, &v);
	}
	tap_ok(ngot == strlen(msg) && !memcmp(got, msg, ngot), "byte writes reach the sink in order");
	v = 'a' | 'b' << 8;
	pio_bus_dispatch(&bus, DEBUGCON_PORT, 2, true, &v);
	tap_ok(ngot == strlen(msg) + 2 && got[ngot - 2] == 'a' && got[ngot - 1] == 'b',
	       "a word write: two bytes, low first");
	v = 0;
	pio_bus_dispatch(&bus, DEBUGCON_PORT, 1, false, &v);
	tap_ok(v == DEBUGCON_READBACK, "a read answers 0xe9");
	v = 0;
	pio_bus_dispatch(&bus, DEBUGCON_PORT + 1, 1, false, &v);
	tap_ok(v == 0xff, "0x403 is not the console's");
	debugcon_init(&quiet, NULL, NULL);
	v = 'x';
	tap_ok(debugcon_io(&quiet, 0, 1, true, &v) == 0, "no sink: the byte is dropped");
	pio_bus_destroy(&bus);
	printf("1..%u\n", tap_passed + tap_failed);
	return tap_done();
}
