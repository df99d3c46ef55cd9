// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * acpi_pm-test.c - the ACPI fixed hardware (monitor/devices/acpi_pm.c)
 * with an injected clock: PM timer rate and 32-bit wrap, one sample per
 * access, PM1 status write-1-to-clear, enables, SCI_EN fixed at 1,
 * SLP_EN/SLP_TYP -> sleep(), the reset register -> reset(), the power
 * button and the SCI level, odd sizes and offsets.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "tap.h"
#include "state-patch.h"
#include "devices/acpi_pm.h"
#include "state/stream.h"

#define NS 1000000000LL

static int64_t fake_ns;
static unsigned int clock_calls;
static int sleeps, resets, sci_changes;
static unsigned int last_typ;
static bool sci;

static int64_t fake_now(void *opaque)
{
	(void)opaque;
	clock_calls++;
	return fake_ns;
}

static void on_sleep(void *opaque, unsigned int typ)
{
	(void)opaque;
	sleeps++;
	last_typ = typ;
}

static void on_reset(void *opaque)
{
	(void)opaque;
	resets++;
}

static void on_sci(void *opaque, bool level)
{
	(void)opaque;
	sci_changes++;
	sci = level;
}

static struct pio_bus bus;

static uint32_t in(uint16_t port, unsigned size)
{
	uint32_t d = 0;

	pio_bus_dispatch(&bus, port, size, false, &d);
	return d;
}

static int out(uint16_t port, unsigned size, uint32_t v)
{
	return pio_bus_dispatch(&bus, port, size, true, &v);
}

/* --- save and restore ----------------------------------------------------- */

static uint32_t pmio(struct acpi_pm *p, uint16_t off, unsigned size, bool write,
		     uint32_t v)
{
	acpi_pm_io(p, off, size, write, &v);
	return v;
}

/*
 * The power button pressed with PWRBTN_EN (SCI high), SLP_TYP written,
 * the PM timer 1.5 s in: saved, the host clock jumps 10 s, loaded into a
 * fresh block: the timer continues from 1.5 s, the status, enables,
 * control and the SCI level are the original's.
 */
/*
 * Loads a copy of the one-section stream buf[0 .. len) with the le64 at
 * payload offset `off` replaced by v and the CRC made good again, as a
 * crafted state file would come.
 */
static int load_patched(struct acpi_pm *pm, const uint8_t *buf, size_t len,
			size_t off, uint64_t v, const char **msg)
{
	static char m[STATE_MSG_MAX];
	struct state_reader r;
	uint8_t copy[256];
	int ret;

	if (!patched(copy, sizeof(copy), buf, len, off, v, 8))
		return -E2BIG;
	state_reader_init(&r, copy, len);
	ret = acpi_pm_load(pm, &r);
	snprintf(m, sizeof(m), "%s", state_reader_msg(&r));
	*msg = m;
	return ret;
}

/*
 * A PM timer that has run longer than any host could (2^63 ns, or
 * UINT64_MAX) is refused with the block untouched; before, the start
 * became INT64_MIN and acpi_pm_timer()'s now - t0 overflowed.
 */
static void test_load_bad_ran(const uint8_t *buf, size_t len)
{
	static const uint64_t bad[] = { UINT64_MAX, 1ull << 63, STATE_NS_MAX + 1 };
	struct acpi_pm b;
	const char *msg = "";
	uint32_t tmr;
	unsigned int i, fails = 0;

	for (i = 0; i < 3; i++) {
		acpi_pm_init(&b, NULL, NULL, fake_now, NULL);
		fake_ns += NS;
		tmr = acpi_pm_timer(&b);
		if (load_patched(&b, buf, len, 0, bad[i], &msg) != -EINVAL ||
		    acpi_pm_timer(&b) != tmr || b.sts || b.cnt != ACPI_PM1_SCI_EN)
			fails++;
	}
	tap_ok(!fails, "load: PM timer run 2^62+1, 2^63 or 2^64-1 ns refused, block untouched (%s)",
	       msg);
	acpi_pm_init(&b, NULL, NULL, fake_now, NULL);
	tap_ok(load_patched(&b, buf, len, 0, STATE_NS_MAX, &msg) == 0 &&
	       acpi_pm_timer(&b) == (uint32_t)((STATE_NS_MAX / NS) * ACPI_PM_TIMER_HZ +
					       (STATE_NS_MAX % NS) * ACPI_PM_TIMER_HZ / NS),
	       "load: PM timer run 2^62 ns taken, and reads without overflow");
}

static void test_save_restore(void)
{
	static const struct acpi_pm_ops ops = {
		.sleep = on_sleep, .reset = on_reset, .set_sci = on_sci,
	};
	struct acpi_pm a, b;
	struct state_writer w;
	struct state_reader r;
	const uint8_t *buf;
	uint32_t tmr;
	size_t len;
	int err;

	fake_ns = 7 * NS;
	acpi_pm_init(&a, &ops, NULL, fake_now, NULL);
	fake_ns += NS + NS / 2;
	pmio(&a, 2, 2, true, ACPI_PM1_PWRBTN);		/* PM1_EN */
	acpi_pm_power_button(&a);
	pmio(&a, 4, 2, true, 3u << ACPI_PM1_SLP_TYP_SHIFT);
	tmr = pmio(&a, 8, 4, false, 0);
	state_writer_init(&w);
	tap_ok(sci && acpi_pm_save(&a, &w) == 0, "save: SCI raised by the power button");
	buf = state_writer_data(&w, &len, &err);

	fake_ns += 10 * NS;
	acpi_pm_init(&b, &ops, NULL, fake_now, NULL);
	sci_changes = 0;
	state_reader_init(&r, buf, len);
	tap_ok(acpi_pm_load(&b, &r) == 0 && state_reader_at_end(&r) && !sci_changes,
	       "load: into a fresh block, no callback (%s)", state_reader_msg(&r));
	tap_ok(pmio(&b, 8, 4, false, 0) == tmr && tmr == (uint32_t)(3 * ACPI_PM_TIMER_HZ / 2),
	       "load: the PM timer continues from 1.5 s, not from the host's 10 s jump");
	fake_ns += NS;
	tap_ok(pmio(&b, 8, 4, false, 0) == tmr + ACPI_PM_TIMER_HZ, "load: ... and counts on");
	tap_ok(pmio(&b, 0, 2, false, 0) == pmio(&a, 0, 2, false, 0) &&
	       (pmio(&b, 0, 2, false, 0) & ACPI_PM1_PWRBTN) &&
	       pmio(&b, 2, 2, false, 0) == ACPI_PM1_PWRBTN &&
	       pmio(&b, 4, 2, false, 0) == pmio(&a, 4, 2, false, 0),
	       "load: PM1 status, enable and control as on the original");
	sci = true;
	pmio(&b, 0, 2, true, ACPI_PM1_PWRBTN);		/* the OS acknowledges */
	tap_ok(sci_changes == 1 && !sci, "load: clearing PWRBTN_STS drops the restored SCI");
	state_reader_init(&r, buf, len - 4);
	tap_ok(acpi_pm_load(&b, &r) == -EBADMSG, "load: a truncated section is refused");
	test_load_bad_ran(buf, len);
	state_writer_free(&w);
}

int main(void)
{
	static const struct acpi_pm_ops ops = {
		.sleep = on_sleep, .reset = on_reset, .set_sci = on_sci,
	};
	struct acpi_pm pm, pm2;
	uint32_t t;
	unsigned int c;

	fake_ns = 5 * NS;
	pio_bus_init(&bus);
	acpi_pm_init(&pm, &ops, NULL, fake_now, NULL);
	tap_ok(acpi_pm_register(&pm, &bus) == 0, "register 0x600-0x60c");
	tap_ok(pio_bus_find(&bus, 0x5ff) == NULL && pio_bus_find(&bus, 0x60d) == NULL &&
	       pio_bus_find(&bus, 0x60c) != NULL, "claims exactly 13 ports");

	/* PM timer. */
	tap_ok(in(0x608, 4) == 0, "timer starts at 0");
	fake_ns += NS;
	tap_ok(in(0x608, 4) == 3579545, "one second = 3579545 ticks");
	fake_ns += 1000;
	tap_ok(in(0x608, 4) == 3579548, "one more microsecond = 3 more ticks (floor)");
	fake_ns = 5 * NS + 1200 * NS;	/* 4295454000 ticks: wrapped once */
	tap_ok(in(0x608, 4) == (uint32_t)(1200ull * 3579545), "32-bit timer wraps (TMR_VAL_EXT)");
	fake_ns = 5 * NS + 1234567891LL;
	t = (uint32_t)(1234567891ull * 3579545 / NS);
	tap_ok((in(0x608, 2) | in(0x60a, 2) << 16) == t, "16-bit halves read the timer");
	tap_ok(in(0x609, 1) == ((t >> 8) & 0xff) && in(0x60b, 1) == t >> 24,
	       "byte reads at odd offsets");
	c = clock_calls;
	in(0x608, 4);
	tap_ok(clock_calls == c + 1, "a 32-bit read samples the clock once");
	out(0x608, 4, 0);
	tap_ok(in(0x608, 4) == t, "timer writes are dropped");
	fake_ns = 4 * NS;
	tap_ok(in(0x608, 4) == 0, "a clock behind power-on reads 0");
	fake_ns = 5 * NS;

	/* PM1 control. */
	tap_ok(in(0x604, 2) == ACPI_PM1_SCI_EN, "PM1_CNT: SCI_EN = 1 at power-on");
	out(0x604, 2, 0);
	tap_ok(in(0x604, 2) == ACPI_PM1_SCI_EN, "SCI_EN cannot be cleared (no SMI_CMD)");
	out(0x604, 2, 3u << 10);
	tap_ok(in(0x604, 2) == (ACPI_PM1_SCI_EN | 3u << 10) && sleeps == 0,
	       "SLP_TYP without SLP_EN: stored, no sleep");
	out(0x604, 2, 5u << 10 | ACPI_PM1_SLP_EN);
	tap_ok(sleeps == 1 && last_typ == 5, "SLP_TYP 5 | SLP_EN: sleep(5) (S5 = poweroff)");
	tap_ok(!(in(0x604, 2) & ACPI_PM1_SLP_EN), "SLP_EN reads 0");
	tap_ok(in(0x600, 2) & ACPI_PM1_WAK_STS, "WAK_STS set when sleep() returns");
	out(0x600, 2, ACPI_PM1_WAK_STS);
	tap_ok(in(0x600, 2) == 0, "WAK_STS cleared by writing 1");
	out(0x605, 1, (7u << 10 | ACPI_PM1_SLP_EN) >> 8);
	tap_ok(sleeps == 2 && last_typ == 7, "byte write to the high byte: sleep(7)");
	out(0x604, 4, 2u << 10 | ACPI_PM1_SLP_EN);
	tap_ok(sleeps == 3 && last_typ == 2, "32-bit write at 0x604 reaches PM1_CNT");
	out(0x600, 2, 0xffff);

	/* PM1 status/enable, power button, SCI. */
	out(0x602, 2, 0xffff);
	tap_ok(in(0x602, 2) == (ACPI_PM1_TMR | ACPI_PM1_GBL | ACPI_PM1_PWRBTN | ACPI_PM1_SLPBTN |
				ACPI_PM1_RTC | ACPI_PM1_PCIEXP_WAKE),
	       "PM1_EN keeps only defined enable bits");
	out(0x602, 2, 0);
	tap_ok(in(0x602, 2) == 0, "PM1_EN cleared");
	acpi_pm_power_button(&pm);
	tap_ok(in(0x600, 2) == ACPI_PM1_PWRBTN && !sci && sci_changes == 0,
	       "power button: PWRBTN_STS, no SCI while disabled");
	out(0x603, 1, ACPI_PM1_PWRBTN >> 8);
	tap_ok(sci && sci_changes == 1, "PWRBTN_EN (byte write at 0x603): SCI asserted");
	out(0x600, 2, ACPI_PM1_TMR);
	tap_ok(sci && in(0x600, 2) == ACPI_PM1_PWRBTN, "writing 1 to another bit leaves PWRBTN_STS");
	out(0x600, 1, 0xff);
	tap_ok(sci && in(0x600, 2) == ACPI_PM1_PWRBTN, "writing the low byte leaves it too");
	out(0x601, 1, ACPI_PM1_PWRBTN >> 8);
	tap_ok(!sci && sci_changes == 2 && in(0x600, 2) == 0, "W1C of PWRBTN_STS: SCI deasserted");
	out(0x600, 4, (uint32_t)ACPI_PM1_PWRBTN << 16);
	tap_ok(in(0x602, 2) == ACPI_PM1_PWRBTN, "32-bit write at 0x600: status then enable");
	acpi_pm_power_button(&pm);
	tap_ok(sci && in(0x600, 4) == ((uint32_t)ACPI_PM1_PWRBTN << 16 | ACPI_PM1_PWRBTN),
	       "pressed while enabled: SCI at once; 32-bit read = status | enable << 16");
	out(0x600, 4, ACPI_PM1_PWRBTN | (uint32_t)ACPI_PM1_PWRBTN << 16);
	tap_ok(!sci && in(0x600, 2) == 0, "one 32-bit write clears status, keeps enable");

	/* Reset register. */
	out(0x60c, 1, 5);
	tap_ok(resets == 0, "reset register: 5 does nothing");
	out(0x60c, 1, 6);
	tap_ok(resets == 1, "reset register: 6 resets");
	tap_ok(in(0x60c, 1) == 0, "reset register reads 0");
	out(0x60b, 2, 0x0600);
	tap_ok(resets == 2, "16-bit write at 0x60b: the high byte reaches the reset register");
	tap_ok(in(0x60c, 4) == 0xffffff00, "bytes past 0x60c read 0xff");
	tap_ok(in(0x606, 2) == 0xffff, "0x606-0x607 read 0xff");

	/* Odd sizes, bad offsets. */
	{
		uint32_t d = 0;

		tap_ok(pio_bus_dispatch(&bus, 0x600, 3, false, &d) == -EINVAL,
		       "3-byte access: -EINVAL");
		tap_ok(acpi_pm_io(&pm, 13, 1, false, &d) == -EINVAL, "offset 13: -EINVAL");
	}

	/* No ops, host clock. */
	acpi_pm_init(&pm2, NULL, NULL, NULL, NULL);
	{
		uint32_t a = acpi_pm_timer(&pm2), b;
		int64_t t0 = acpi_pm_host_clock(NULL);

		while (acpi_pm_host_clock(NULL) - t0 < 2000000)
			;
		b = acpi_pm_timer(&pm2);
		tap_ok(b - a >= 7000 && b - a < 3579545, "host clock: 2 ms is >= 7000 ticks");
	}
	{
		struct pio_bus b2;
		uint32_t v = 5u << 10 | ACPI_PM1_SLP_EN;

		pio_bus_init(&b2);
		acpi_pm_register(&pm2, &b2);
		pio_bus_dispatch(&b2, 0x604, 2, true, &v);
		v = 6;
		pio_bus_dispatch(&b2, 0x60c, 1, true, &v);
		acpi_pm_power_button(&pm2);
		v = ACPI_PM1_PWRBTN;
		pio_bus_dispatch(&b2, 0x602, 2, true, &v);
		tap_ok(pm2.sci, "NULL ops: sleep, reset and SCI changes are harmless");
		pio_bus_destroy(&b2);
	}

	pio_bus_destroy(&bus);
	test_save_restore();
	return tap_done();
}
