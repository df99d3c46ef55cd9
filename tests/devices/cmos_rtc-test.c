// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmos_rtc-test.c - the MC146818 (monitor/devices/cmos_rtc.c) with an
 * injected clock: BCD/binary, 12/24h, UIP window, SET and time writes,
 * register C/D, NMI bit, index masking, odd sizes.
 */
#include <errno.h>
#include <stdint.h>

#include "tap.h"
#include "devices/cmos_rtc.h"
#include "state/stream.h"

#define NS 1000000000LL

static int64_t fake_ns;

static int64_t fake_now(void *opaque)
{
	(void)opaque;
	return fake_ns;
}

static struct pio_bus bus;

static uint8_t rd(uint8_t idx)
{
	uint32_t d = idx;

	pio_bus_dispatch(&bus, 0x70, 1, true, &d);
	pio_bus_dispatch(&bus, 0x71, 1, false, &d);
	return (uint8_t)d;
}

static void wr(uint8_t idx, uint8_t v)
{
	uint32_t d = idx;

	pio_bus_dispatch(&bus, 0x70, 1, true, &d);
	d = v;
	pio_bus_dispatch(&bus, 0x71, 1, true, &d);
}

/* --- save and restore ----------------------------------------------------- */

static uint8_t crd(struct cmos_rtc *c, uint8_t idx)
{
	uint32_t d = idx;

	cmos_rtc_io(c, 0, 1, true, &d);
	cmos_rtc_io(c, 1, 1, false, &d);
	return (uint8_t)d;
}

static void cwr(struct cmos_rtc *c, uint8_t idx, uint8_t v)
{
	uint32_t d = idx;

	cmos_rtc_io(c, 0, 1, true, &d);
	d = v;
	cmos_rtc_io(c, 1, 1, true, &d);
}

/*
 * A guest that set its clock 3 days back in binary mode, with BIOS bytes
 * and NMIs masked, is saved; 100 s pass; a fresh RTC loaded from the
 * save shows the guest's clock 100 s on (it kept running, as a battery
 * clock does) and reads the same as the original at the same moment.
 */
static void test_save_restore(void)
{
	struct cmos_rtc a, b;
	struct state_writer w;
	struct state_reader r;
	const uint8_t *buf;
	int64_t guest_at_save;
	unsigned i, same = 0;
	uint32_t d;
	size_t len;
	int err;

	fake_ns = 1614863106LL * NS + 100;	/* 2021-03-04 13:05:06 */
	cmos_rtc_init(&a, fake_now, NULL);
	cwr(&a, 0x0b, 0x86);			/* SET, binary, 24h */
	cwr(&a, 7, 1);				/* the 1st: 3 days back */
	cwr(&a, 0x0b, 0x06);
	cwr(&a, 0x40, 0x5a);
	d = 0x8f;				/* NMI masked, index 0x0f */
	cmos_rtc_io(&a, 0, 1, true, &d);
	guest_at_save = cmos_rtc_guest_seconds(&a);
	state_writer_init(&w);
	tap_ok(cmos_rtc_save(&a, &w) == 0, "save: clock set back 3 days");
	buf = state_writer_data(&w, &len, &err);

	fake_ns += 100 * NS;
	cmos_rtc_init(&b, fake_now, NULL);
	state_reader_init(&r, buf, len);
	tap_ok(cmos_rtc_load(&b, &r) == 0 && state_reader_at_end(&r),
	       "load: into a fresh RTC (%s)", state_reader_msg(&r));
	tap_ok(cmos_rtc_nmi_masked(&b) && b.index == 0x8f, "load: index and NMI mask kept");
	tap_ok(cmos_rtc_guest_seconds(&b) == guest_at_save + 100 &&
	       cmos_rtc_guest_seconds(&b) == cmos_rtc_guest_seconds(&a),
	       "load: the guest clock ran on through the save (+100 s)");
	for (i = 0; i < 0x80; i++)
		if (i != 0x0c)		/* C clears on read */
			same += crd(&a, (uint8_t)i) == crd(&b, (uint8_t)i);
	tap_ok(same == 0x7f && crd(&b, 7) == 1 && crd(&b, 0x40) == 0x5a &&
	       crd(&b, 0) == 46, "load: every register reads as on the original "
	       "(binary 13:06:46 on the 1st)");
	state_writer_free(&w);

	/* A sub-second offset out of range: refused, RTC untouched. */
	state_writer_init(&w);
	a.offset_subns = 1000000000;
	cmos_rtc_save(&a, &w);
	buf = state_writer_data(&w, &len, &err);
	cmos_rtc_init(&b, fake_now, NULL);
	state_reader_init(&r, buf, len);
	tap_ok(cmos_rtc_load(&b, &r) == -EINVAL && b.ram[0x40] == 0,
	       "load: a bad offset refused, RTC untouched (%s)", state_reader_msg(&r));
	state_writer_free(&w);
}

int main(void)
{
	struct cmos_rtc rtc;
	uint32_t d;
	int ok, i;

	fake_ns = 1614863106LL * NS + 100;	/* Thu 2021-03-04 13:05:06 UTC */
	pio_bus_init(&bus);
	cmos_rtc_init(&rtc, fake_now, NULL);
	tap_ok(cmos_rtc_register(&rtc, &bus) == 0, "register 0x70-0x71");

	tap_ok(rd(0x0b) == 0x02 && rd(0x0d) == 0x80, "B = 24h BCD, D = VRT");
	tap_ok(rd(0) == 0x06 && rd(2) == 0x05 && rd(4) == 0x13,
	       "BCD time 13:05:06");
	tap_ok(rd(7) == 0x04 && rd(8) == 0x03 && rd(9) == 0x21 && rd(0x32) == 0x20,
	       "BCD date 04-03-(20)21");
	tap_ok(rd(6) == 5, "day of week Thursday = 5");

	wr(0x0b, 0x06);	/* binary, 24h */
	tap_ok(rd(0) == 6 && rd(2) == 5 && rd(4) == 13 && rd(9) == 21 &&
	       rd(0x32) == 20, "binary 13:05:06, year 21, century 20");
	wr(0x0b, 0x04);	/* binary, 12h */
	tap_ok(rd(4) == (0x80 | 1), "12h binary: 1 PM = 0x81");
	wr(0x0b, 0x00);	/* BCD, 12h */
	tap_ok(rd(4) == 0x81, "12h BCD: 0x81");
	fake_ns -= 13 * 3600 * NS;	/* 00:05:06 */
	tap_ok(rd(4) == 0x12, "12h: midnight hour is 12 AM");
	fake_ns += 12 * 3600 * NS;	/* 12:05:06 */
	tap_ok(rd(4) == 0x92, "12h: noon is 12 PM (0x92)");
	fake_ns += 11 * 3600 * NS;	/* 23:05:06 */
	tap_ok(rd(4) == 0x91, "12h: 23h is 11 PM (0x91)");
	fake_ns -= 10 * 3600 * NS;	/* 13:05:06 again */
	wr(0x0b, 0x02);

	/* Seconds advance with the source; UIP window. */
	fake_ns += NS;
	tap_ok(rd(0) == 0x07, "a second later: 07");
	tap_ok(!(rd(0x0a) & 0x80), "UIP 0 early in the second");
	fake_ns = (fake_ns / NS) * NS + NS - 100000;
	tap_ok(rd(0x0a) & 0x80, "UIP 1 in the last 244us");
	tap_ok((rd(0x0a) & 0x7f) == 0x26, "A reads 0x26 besides UIP");
	fake_ns += 200000;
	tap_ok(!(rd(0x0a) & 0x80) && rd(0) == 0x08, "after the update: UIP 0, 08");

	/* Register C. */
	(void)rd(0x0c);
	tap_ok(rd(0x0c) == 0, "C read clears (no update since)");
	fake_ns += NS;
	tap_ok(rd(0x0c) == 0x10, "C: UF after a second");
	wr(0x0b, 0x12);	/* UIE */
	fake_ns += NS;
	tap_ok(rd(0x0c) == 0x90, "C: IRQF with UIE");
	wr(0x0c, 0xff);
	wr(0x0d, 0x00);
	tap_ok(rd(0x0c) == 0 && rd(0x0d) == 0x80, "C and D read-only");

	/* Setting the time with SET, the way Linux does. */
	wr(0x0b, 0x82 | 0x10);
	tap_ok(!(rd(0x0b) & 0x10), "SET clears UIE");
	wr(0, 0x58); wr(2, 0x59); wr(4, 0x23);
	wr(7, 0x29); wr(8, 0x02); wr(9, 0x00); wr(0x32, 0x20);
	fake_ns += 5 * NS;
	tap_ok(rd(0) == 0x58, "SET: time frozen at what was written");
	wr(0x0b, 0x02);
	tap_ok(cmos_rtc_guest_seconds(&rtc) == 951868798,
	       "SET cleared: 2000-02-29 23:59:58");
	fake_ns += 2 * NS;
	tap_ok(rd(0) == 0x00 && rd(4) == 0x00 && rd(7) == 0x01 && rd(8) == 0x03 &&
	       rd(9) == 0x00, "two seconds later: 2000-03-01 00:00:00");

	/* Single-register write without SET, binary mode, far future. */
	wr(0x0b, 0x06);
	wr(9, 99);
	tap_ok(rd(9) == 99 && rd(0x32) == 20, "year write 99 -> 2099");
	wr(0x32, 99);
	tap_ok(rd(0x32) == 99 && rd(9) == 99, "century 99: year 9999, no overflow");
	wr(0x32, 20);

	/* Impossible dates ignored. */
	{
		int64_t before = cmos_rtc_guest_seconds(&rtc);

		wr(8, 13);
		tap_ok(rd(8) == 3 && cmos_rtc_guest_seconds(&rtc) == before,
		       "month 13 ignored");
		wr(0x0b, 0x02);
		wr(0, 0x7a);
		tap_ok(cmos_rtc_guest_seconds(&rtc) == before, "bad BCD ignored");
		wr(0x0b, 0x82);
		wr(7, 0x30); wr(8, 0x02);
		wr(0x0b, 0x02);
		tap_ok(cmos_rtc_guest_seconds(&rtc) == before, "Feb 30 ignored");
	}

	/* RAM, index, NMI. */
	wr(0x40, 0xab);
	wr(0x7f, 0xcd);
	tap_ok(rd(0x40) == 0xab && rd(0x7f) == 0xcd, "CMOS RAM bytes");
	d = 0x80 | 0x40;
	pio_bus_dispatch(&bus, 0x70, 1, true, &d);
	tap_ok(cmos_rtc_nmi_masked(&rtc), "index bit 7: NMI masked");
	pio_bus_dispatch(&bus, 0x71, 1, false, &d);
	tap_ok(d == 0xab, "index 0xc0 selects byte 0x40");
	ok = 1;
	for (i = 0x80; i <= 0xff; i++) {
		d = (uint32_t)i;
		pio_bus_dispatch(&bus, 0x70, 1, true, &d);
		d = 0x5a;
		pio_bus_dispatch(&bus, 0x71, 1, true, &d);
	}
	ok = rd(0x7f) == 0x5a && rd(0x40) == 0x5a;
	tap_ok(ok, "indexes 0x80-0xff wrap to 0x00-0x7f, nothing overflows");
	wr(0x40, 0xab);
	tap_ok(!cmos_rtc_nmi_masked(&rtc), "NMI unmasked again");
	pio_bus_dispatch(&bus, 0x70, 1, false, &d);
	tap_ok(d == 0xff, "port 0x70 reads 0xff");

	/* Sizes. */
	d = 0xab00 | 0x40;
	tap_ok(pio_bus_dispatch(&bus, 0x70, 2, false, &d) == 0 && d == 0xabff,
	       "word read at 0x70: 0xff then byte 0x40");
	d = 0x3c00 | 0x41;
	pio_bus_dispatch(&bus, 0x70, 2, true, &d);
	tap_ok(rd(0x41) == 0x3c, "word write at 0x70: index then data");
	tap_ok(pio_bus_dispatch(&bus, 0x71, 4, false, &d) == 0 &&
	       (d & 0xffffff00) == 0xffffff00, "dword at 0x71: upper bytes 0xff");
	tap_ok(pio_bus_dispatch(&bus, 0x70, 3, false, &d) == -EINVAL,
	       "size 3: -EINVAL");
	tap_ok(cmos_rtc_io(&rtc, 2, 1, false, &d) == -EINVAL,
	       "offset 2 direct: -EINVAL");

	/* Host time source works. */
	cmos_rtc_init(&rtc, NULL, NULL);
	tap_ok(cmos_rtc_guest_seconds(&rtc) > 1600000000, "host time source");
	pio_bus_destroy(&bus);
	test_save_restore();
	return tap_done();
}
