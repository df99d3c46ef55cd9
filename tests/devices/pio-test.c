// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pio-test.c - the port-I/O bus (monitor/devices/pio.c): registration
 * overlaps, dispatch offsets, unclaimed ports, bad sizes, byte splitting.
 * TAP lines without a plan (tests/lib/tap.h).
 */
#include <errno.h>
#include <stdint.h>

#include "tap.h"
#include "devices/pio.h"

struct rec {
	int calls;
	uint16_t off;
	unsigned size;
	bool write;
	uint32_t data;
	int ret;
};

static int rec_io(void *opaque, uint16_t off, unsigned size, bool write,
		  uint32_t *data)
{
	struct rec *r = opaque;

	r->calls++;
	r->off = off;
	r->size = size;
	r->write = write;
	if (write)
		r->data = *data;
	else
		*data = 0x12345678;	/* the bus must mask this to size */
	return r->ret;
}

static uint8_t bytes[4] = { 0x11, 0x22, 0x33, 0x44 };

static int byte_fn(void *opaque, uint16_t off, bool write, uint8_t *val)
{
	(void)opaque;
	if (write)
		bytes[off] = *val;
	else
		*val = bytes[off];
	return 0;
}

int main(void)
{
	struct pio_bus bus;
	struct rec a = { 0 }, b = { 0 };
	uint32_t d;
	int ret;

	pio_bus_init(&bus);
	tap_ok(pio_bus_register(&bus, 0x3f8, 8, rec_io, &a, "a") == 0,
	       "register [0x3f8, 0x400)");
	tap_ok(pio_bus_register(&bus, 0x3f8, 8, rec_io, &b, "b") == -EEXIST,
	       "same range again: -EEXIST");
	tap_ok(pio_bus_register(&bus, 0x3f0, 9, rec_io, &b, "b") == -EEXIST,
	       "overlap at the start: -EEXIST");
	tap_ok(pio_bus_register(&bus, 0x3ff, 4, rec_io, &b, "b") == -EEXIST,
	       "overlap at the end: -EEXIST");
	tap_ok(pio_bus_register(&bus, 0x3f9, 1, rec_io, &b, "b") == -EEXIST,
	       "range inside: -EEXIST");
	tap_ok(pio_bus_register(&bus, 0x300, 0x200, rec_io, &b, "b") == -EEXIST,
	       "range around: -EEXIST");
	tap_ok(pio_bus_register(&bus, 0x3f0, 8, rec_io, &b, "b") == 0,
	       "adjacent below [0x3f0, 0x3f8)");
	tap_ok(pio_bus_register(&bus, 0x400, 1, rec_io, &b, "b") == 0,
	       "adjacent above [0x400, 0x401)");
	tap_ok(pio_bus_register(&bus, 0x10, 0, rec_io, &b, "b") == -EINVAL,
	       "length 0: -EINVAL");
	tap_ok(pio_bus_register(&bus, 0xfff0, 0x11, rec_io, &b, "b") == -EINVAL,
	       "range past 0xffff: -EINVAL");
	tap_ok(pio_bus_register(&bus, 0x10, 1, NULL, &b, "b") == -EINVAL,
	       "NULL io: -EINVAL");
	tap_ok(pio_bus_register(&bus, 0xfff0, 0x10, rec_io, &b, "top") == 0,
	       "range ending exactly at 0xffff");
	for (unsigned i = 0; i < 40; i++)
		if (pio_bus_register(&bus, (uint16_t)(0x1000 + 2 * i), 1, rec_io,
				     &b, "many"))
			tap_ok(0, "register many %u", i);
	tap_ok(bus.nr == 44, "44 regions (array grows)");

	d = 0xabcd;
	ret = pio_bus_dispatch(&bus, 0x3fb, 1, true, &d);
	tap_ok(ret == 0 && a.calls == 1 && a.off == 3 && a.write && a.data == 0xcd,
	       "write byte to 0x3fb: offset 3, data masked to 0xcd");
	ret = pio_bus_dispatch(&bus, 0x3f8, 2, false, &d);
	tap_ok(ret == 0 && a.off == 0 && a.size == 2 && d == 0x5678,
	       "word read from 0x3f8: masked to 0x5678");
	ret = pio_bus_dispatch(&bus, 0x3ff, 4, false, &d);
	tap_ok(ret == 0 && a.off == 7 && d == 0x12345678,
	       "dword read at the last port goes to the device (offset 7)");
	b.calls = 0;
	ret = pio_bus_dispatch(&bus, 0x400, 1, false, &d);
	tap_ok(ret == 0 && b.calls == 1 && b.off == 0, "0x400 is the other device");
	ret = pio_bus_dispatch(&bus, 0xffff, 1, false, &d);
	tap_ok(ret == 0 && b.off == 0xf, "port 0xffff dispatched");

	a.ret = -EIO;
	d = 0;
	ret = pio_bus_dispatch(&bus, 0x3f8, 1, true, &d);
	tap_ok(ret == -EIO, "device error passed through");
	a.ret = 0;

	a.calls = b.calls = 0;
	d = 0;
	tap_ok(pio_bus_dispatch(&bus, 0x80, 1, false, &d) == PIO_UNCLAIMED &&
	       d == 0xff, "unclaimed byte read: 0xff, PIO_UNCLAIMED");
	tap_ok(pio_bus_dispatch(&bus, 0x80, 2, false, &d) == PIO_UNCLAIMED &&
	       d == 0xffff, "unclaimed word read: 0xffff");
	tap_ok(pio_bus_dispatch(&bus, 0x80, 4, false, &d) == PIO_UNCLAIMED &&
	       d == 0xffffffff, "unclaimed dword read: 0xffffffff");
	d = 0x42;
	tap_ok(pio_bus_dispatch(&bus, 0x80, 1, true, &d) == PIO_UNCLAIMED &&
	       d == 0x42, "unclaimed write dropped");
	tap_ok(pio_bus_dispatch(&bus, 0x3f7 + 0x10, 1, false, &d) == PIO_UNCLAIMED,
	       "hole between regions unclaimed");
	tap_ok(a.calls == 0 && b.calls == 0, "no device called for unclaimed ports");

	d = 0;
	tap_ok(pio_bus_dispatch(&bus, 0x3f8, 3, false, &d) == -EINVAL &&
	       a.calls == 0, "size 3 read: -EINVAL, device not called");
	tap_ok(pio_bus_dispatch(&bus, 0x3f8, 0, true, &d) == -EINVAL,
	       "size 0 write: -EINVAL");
	tap_ok(pio_bus_dispatch(&bus, 0x3f8, 8, true, &d) == -EINVAL,
	       "size 8 write: -EINVAL");
	tap_ok(pio_bus_dispatch(&bus, 0x80, 3, false, &d) == -EINVAL,
	       "size 3 on an unclaimed port: -EINVAL");
	tap_ok(pio_bus_find(&bus, 0x3f8) && pio_bus_find(&bus, 0x3f8)->opaque == &a,
	       "pio_bus_find");
	pio_bus_destroy(&bus);

	/* pio_io_bytewise() */
	d = 0;
	tap_ok(pio_io_bytewise(NULL, byte_fn, 2, 0, 4, false, &d) == 0 &&
	       d == 0xffff2211, "bytewise dword read of a 2-port device");
	d = 0xaabbccdd;
	tap_ok(pio_io_bytewise(NULL, byte_fn, 2, 1, 2, true, &d) == 0 &&
	       bytes[1] == 0xdd && bytes[2] == 0x33,
	       "bytewise word write at the last port: only that port written");
	tap_ok(pio_io_bytewise(NULL, byte_fn, 2, 2, 1, false, &d) == -EINVAL,
	       "bytewise offset past the device: -EINVAL");
	tap_ok(pio_io_bytewise(NULL, byte_fn, 2, 0, 3, false, &d) == -EINVAL,
	       "bytewise size 3: -EINVAL");
	return tap_done();
}
