// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * devices/cmos_rtc.c - the MC146818 RTC and its 128 bytes of CMOS RAM.
 *
 * References are to the Motorola MC146818A datasheet, by section title.
 *
 * Model: the clock is the time source plus an offset (guest writes to the
 * time registers move the offset; the host clock is never touched).  The
 * time registers are recomputed from that on every read unless register B
 * SET is 1, in which case they hold what the guest wrote; clearing SET (or
 * any time-register write while SET is 0) decodes them and sets the
 * offset so that the written second begins at that moment.
 *
 * Register A UIP: derived from the time source - it reads 1 during the
 * last 244 us of each second, the window in which the datasheet ("Update
 * Cycle") guarantees it is set before the registers change; a reader that
 * waits for UIP = 0 then has at least 244 us of stable values.  With SET
 * = 1 or the divider not in its normal state (DV != 010) there are no
 * updates and UIP reads 0.
 *
 * Register C: UF ("update-ended flag") is derived - set if the shown second
 * changed since C was last read.  PF and AF are not generated, and there
 * is no IRQ 8 output yet.  Register D reads VRT = 1 (battery good).
 *
 * Not modelled: alarms (the alarm bytes are plain RAM), daylight saving
 * (DSE is stored, ignored), the divider stopping the clock.  Byte 0x32 is
 * taken as the century (the IBM convention, and what ACPI FADT.century
 * names on PC firmware).  A write of an impossible date (month 13, Feb
 * 30, bad BCD) is not taken: the clock keeps its previous setting.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "devices/cmos_rtc.h"
#include "state/stream.h"

enum {
	RTC_SECONDS = 0x00,
	RTC_SECONDS_ALARM = 0x01,
	RTC_MINUTES = 0x02,
	RTC_MINUTES_ALARM = 0x03,
	RTC_HOURS = 0x04,
	RTC_HOURS_ALARM = 0x05,
	RTC_DAY_OF_WEEK = 0x06,
	RTC_DAY_OF_MONTH = 0x07,
	RTC_MONTH = 0x08,
	RTC_YEAR = 0x09,
	RTC_REG_A = 0x0a,
	RTC_REG_B = 0x0b,
	RTC_REG_C = 0x0c,
	RTC_REG_D = 0x0d,
};

#define REG_A_UIP	0x80
#define REG_A_DV	0x70
#define REG_A_DV_NORMAL	0x20	/* 32.768 kHz time base, running */
#define REG_B_SET	0x80
#define REG_B_UIE	0x10
#define REG_B_DM_BINARY	0x04
#define REG_B_24H	0x02
#define REG_C_IRQF	0x80
#define REG_C_UF	0x10
#define REG_D_VRT	0x80

#define NSEC_PER_SEC	1000000000LL
#define UIP_WINDOW_NS	244000LL

int64_t cmos_rtc_host_time(void *opaque)
{
	struct timespec ts;

	(void)opaque;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

/* Floor division, so times before 1970 still break down correctly. */
static int64_t div_floor(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t days_from_civil(int64_t y, unsigned int m, unsigned int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = div_floor(y, 400);
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

struct rtc_tm {
	int64_t year;
	unsigned int mon, mday, wday, hour, min, sec;
};

static void civil_from_seconds(int64_t t, struct rtc_tm *tm)
{
	int64_t days = div_floor(t, 86400), secs = t - days * 86400;
	int64_t z = days + 719468, era = div_floor(z, 146097);
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;

	tm->mday = (unsigned int)(doy - (153 * mp + 2) / 5 + 1);
	tm->mon = (unsigned int)(mp < 10 ? mp + 3 : mp - 9);
	tm->year = yoe + era * 400 + (tm->mon <= 2);
	/* 1970-01-01 was a Thursday; the RTC counts Sunday = 1. */
	tm->wday = (unsigned int)((days % 7 + 7 + 4) % 7) + 1;
	tm->hour = (unsigned int)(secs / 3600);
	tm->min = (unsigned int)(secs / 60 % 60);
	tm->sec = (unsigned int)(secs % 60);
}

static unsigned int days_in_month(int64_t y, unsigned int m)
{
	static const unsigned char dim[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return dim[m - 1] + (m == 2 && leap);
}

static int64_t now_ns(const struct cmos_rtc *rtc)
{
	return rtc->now(rtc->opaque);
}

int64_t cmos_rtc_guest_seconds(const struct cmos_rtc *rtc)
{
	return rtc->offset_sec +
	       div_floor(now_ns(rtc) + rtc->offset_subns, NSEC_PER_SEC);
}

/* Nanoseconds into the guest's current second. */
static int64_t guest_subsec(const struct cmos_rtc *rtc)
{
	int64_t ns = now_ns(rtc) + rtc->offset_subns;

	return ns - div_floor(ns, NSEC_PER_SEC) * NSEC_PER_SEC;
}

/* Makes the guest clock show second `t`, just begun. */
static void set_guest_seconds(struct cmos_rtc *rtc, int64_t t)
{
	int64_t now = now_ns(rtc);
	int64_t r = now - div_floor(now, NSEC_PER_SEC) * NSEC_PER_SEC;

	rtc->offset_subns = r ? NSEC_PER_SEC - r : 0;
	rtc->offset_sec = t - (now + rtc->offset_subns) / NSEC_PER_SEC;
}

/* "Register B", DM: values are binary or BCD. */
static bool binary_mode(const struct cmos_rtc *rtc)
{
	return rtc->ram[RTC_REG_B] & REG_B_DM_BINARY;
}

static uint8_t to_reg(const struct cmos_rtc *rtc, unsigned int v)
{
	return binary_mode(rtc) ? (uint8_t)v : (uint8_t)((v / 10) << 4 | v % 10);
}

/* -1 for a byte that is not valid BCD in BCD mode. */
static int from_reg(const struct cmos_rtc *rtc, uint8_t v)
{
	if (binary_mode(rtc))
		return v;
	if ((v & 0x0f) > 9 || (v >> 4) > 9)
		return -1;
	return (v >> 4) * 10 + (v & 0x0f);
}

/*
 * "Register B", 24/12: in 12-hour mode hours run 1-12 and bit 7 of the
 * hours byte is PM, in either data mode.
 */
static uint8_t hour_to_reg(const struct cmos_rtc *rtc, unsigned int h)
{
	if (rtc->ram[RTC_REG_B] & REG_B_24H)
		return to_reg(rtc, h);
	return to_reg(rtc, h % 12 ? h % 12 : 12) | (h >= 12 ? 0x80 : 0);
}

static int hour_from_reg(const struct cmos_rtc *rtc, uint8_t v)
{
	int h;

	if (rtc->ram[RTC_REG_B] & REG_B_24H)
		return from_reg(rtc, v);
	h = from_reg(rtc, v & 0x7f);
	if (h < 1 || h > 12)
		return -1;
	return h % 12 + ((v & 0x80) ? 12 : 0);
}

/* Shows the current guest time in the time bytes, in B's format. */
static void time_to_ram(struct cmos_rtc *rtc)
{
	struct rtc_tm tm;

	civil_from_seconds(cmos_rtc_guest_seconds(rtc), &tm);
	rtc->ram[RTC_SECONDS] = to_reg(rtc, tm.sec);
	rtc->ram[RTC_MINUTES] = to_reg(rtc, tm.min);
	rtc->ram[RTC_HOURS] = hour_to_reg(rtc, tm.hour);
	rtc->ram[RTC_DAY_OF_WEEK] = to_reg(rtc, tm.wday);
	rtc->ram[RTC_DAY_OF_MONTH] = to_reg(rtc, tm.mday);
	rtc->ram[RTC_MONTH] = to_reg(rtc, tm.mon);
	/* The chip counts years 0-99; the century byte is firmware's. */
	rtc->ram[RTC_YEAR] = to_reg(rtc, (unsigned int)(((tm.year % 100) + 100) % 100));
	rtc->ram[CMOS_RTC_CENTURY] =
		to_reg(rtc, (unsigned int)((tm.year / 100) % 100 + 100) % 100);
}

/* Takes the time bytes as the new guest time; -EINVAL if impossible. */
static int ram_to_time(struct cmos_rtc *rtc)
{
	int sec = from_reg(rtc, rtc->ram[RTC_SECONDS]);
	int min = from_reg(rtc, rtc->ram[RTC_MINUTES]);
	int hour = hour_from_reg(rtc, rtc->ram[RTC_HOURS]);
	int mday = from_reg(rtc, rtc->ram[RTC_DAY_OF_MONTH]);
	int mon = from_reg(rtc, rtc->ram[RTC_MONTH]);
	int year = from_reg(rtc, rtc->ram[RTC_YEAR]);
	int cent = from_reg(rtc, rtc->ram[CMOS_RTC_CENTURY]);
	int64_t y, t;

	if (sec < 0 || sec > 59 || min < 0 || min > 59 || hour < 0 ||
	    hour > 23 || mon < 1 || mon > 12 || year < 0 || year > 99 ||
	    mday < 1)
		return -EINVAL;
	if (cent < 0 || cent > 99)
		cent = 20;
	y = (int64_t)cent * 100 + year;
	if ((unsigned int)mday > days_in_month(y, (unsigned int)mon))
		return -EINVAL;
	/* The day of week byte is derived from the date, not taken. */
	t = days_from_civil(y, (unsigned int)mon, (unsigned int)mday) * 86400 +
	    hour * 3600 + min * 60 + sec;
	set_guest_seconds(rtc, t);
	rtc->last_c_sec = t;
	return 0;
}

void cmos_rtc_init(struct cmos_rtc *rtc, cmos_rtc_now_fn now, void *opaque)
{
	memset(rtc, 0, sizeof(*rtc));
	rtc->now = now ? now : cmos_rtc_host_time;
	rtc->opaque = opaque;
	/* As PC firmware leaves it: 32.768 kHz, 1024 Hz rate, 24h, BCD. */
	rtc->ram[RTC_REG_A] = REG_A_DV_NORMAL | 0x06;
	rtc->ram[RTC_REG_B] = REG_B_24H;
	rtc->last_c_sec = cmos_rtc_guest_seconds(rtc);
	time_to_ram(rtc);
}

int cmos_rtc_register(struct cmos_rtc *rtc, struct pio_bus *bus)
{
	return pio_bus_register(bus, CMOS_RTC_BASE, CMOS_RTC_NR_PORTS,
				cmos_rtc_io, rtc, "cmos_rtc");
}

static bool is_time_reg(unsigned int i)
{
	return i == RTC_SECONDS || i == RTC_MINUTES || i == RTC_HOURS ||
	       (i >= RTC_DAY_OF_WEEK && i <= RTC_YEAR) || i == CMOS_RTC_CENTURY;
}

static bool updating(const struct cmos_rtc *rtc)
{
	return !(rtc->ram[RTC_REG_B] & REG_B_SET) &&
	       (rtc->ram[RTC_REG_A] & REG_A_DV) == REG_A_DV_NORMAL;
}

static uint8_t data_read(struct cmos_rtc *rtc, unsigned int i)
{
	int64_t sec;
	uint8_t v;

	switch (i) {
	case RTC_REG_A:
		v = rtc->ram[RTC_REG_A] & (uint8_t)~REG_A_UIP;
		if (updating(rtc) &&
		    guest_subsec(rtc) >= NSEC_PER_SEC - UIP_WINDOW_NS)
			v |= REG_A_UIP;
		return v;
	case RTC_REG_C:
		/* "Register C": all flags clear when read. */
		v = 0;
		sec = cmos_rtc_guest_seconds(rtc);
		if (updating(rtc) && sec != rtc->last_c_sec)
			v |= REG_C_UF;
		rtc->last_c_sec = sec;
		if ((v & REG_C_UF) && (rtc->ram[RTC_REG_B] & REG_B_UIE))
			v |= REG_C_IRQF;
		return v;
	case RTC_REG_D:
		return REG_D_VRT;
	default:
		if (is_time_reg(i) && !(rtc->ram[RTC_REG_B] & REG_B_SET))
			time_to_ram(rtc);
		return rtc->ram[i];
	}
}

static void data_write(struct cmos_rtc *rtc, unsigned int i, uint8_t v)
{
	uint8_t old;

	switch (i) {
	case RTC_REG_A:
		/* UIP is read-only. */
		rtc->ram[RTC_REG_A] = v & (uint8_t)~REG_A_UIP;
		break;
	case RTC_REG_B:
		old = rtc->ram[RTC_REG_B];
		/* "Register B", SET: going to 1 also clears UIE. */
		if (v & REG_B_SET) {
			v &= (uint8_t)~REG_B_UIE;
			if (!(old & REG_B_SET))
				time_to_ram(rtc);	/* freeze what is shown */
		}
		rtc->ram[RTC_REG_B] = v;
		if ((old & REG_B_SET) && !(v & REG_B_SET))
			(void)ram_to_time(rtc);	/* impossible dates ignored */
		break;
	case RTC_REG_C:
	case RTC_REG_D:
		break;	/* read-only */
	default:
		if (is_time_reg(i) && !(rtc->ram[RTC_REG_B] & REG_B_SET)) {
			time_to_ram(rtc);
			rtc->ram[i] = v;
			(void)ram_to_time(rtc);
			time_to_ram(rtc);
		} else {
			rtc->ram[i] = v;
		}
		break;
	}
}

static int cmos_rtc_byte(void *opaque, uint16_t off, bool write, uint8_t *val)
{
	struct cmos_rtc *rtc = opaque;

	if (off == 0) {
		/*
		 * Port 0x70 is write-only on the PC/AT: reads float (0xff).
		 * Bit 7 masks NMI and is kept; bits 0-6 select the byte, so
		 * the index can never leave the 128-byte RAM.
		 */
		if (write)
			rtc->index = *val;
		else
			*val = 0xff;
		return 0;
	}
	if (write)
		data_write(rtc, rtc->index & 0x7f, *val);
	else
		*val = data_read(rtc, rtc->index & 0x7f);
	return 0;
}

/* 8-bit ports: wider accesses are split bytewise (0x70 then 0x71). */
int cmos_rtc_io(void *opaque, uint16_t port_offset, unsigned size,
		bool write, uint32_t *data)
{
	return pio_io_bytewise(opaque, cmos_rtc_byte, CMOS_RTC_NR_PORTS,
			       port_offset, size, write, data);
}

/* --- save and restore --------------------------------------------------- */

#define CMOS_RTC_STATE_VERSION	1

/*
 * The guest's clock is an offset from the host's wall clock, so it keeps
 * running while the VM is saved: after a restore it shows the real time
 * again (plus the offset the guest set), as a powered-off PC's battery
 * clock would.
 */
int cmos_rtc_save(const struct cmos_rtc *rtc, struct state_writer *w)
{
	state_section_begin(w, "cmos_rtc", 0, CMOS_RTC_STATE_VERSION);
	state_put_u8(w, rtc->index);
	state_put_u8(w, CMOS_RTC_RAM_SIZE);
	state_put_bytes(w, rtc->ram, CMOS_RTC_RAM_SIZE);
	state_put_u64(w, (uint64_t)rtc->offset_sec);
	state_put_u64(w, (uint64_t)rtc->offset_subns);
	state_put_u64(w, (uint64_t)rtc->last_c_sec);
	state_section_end(w);
	return state_writer_error(w);
}

int cmos_rtc_load(struct cmos_rtc *rtc, struct state_reader *r)
{
	struct cmos_rtc t = *rtc;
	unsigned int n;
	int ret;

	ret = state_section_open(r, "cmos_rtc", 0, CMOS_RTC_STATE_VERSION, NULL);
	if (ret)
		return ret;
	t.index = state_get_u8(r);
	n = state_get_u8(r);
	if (n != CMOS_RTC_RAM_SIZE)
		return state_reader_fail(r, "%u bytes of CMOS saved, this one has %u",
					 n, CMOS_RTC_RAM_SIZE);
	state_get_bytes(r, t.ram, CMOS_RTC_RAM_SIZE);
	t.offset_sec = (int64_t)state_get_u64(r);
	t.offset_subns = (int64_t)state_get_u64(r);
	t.last_c_sec = (int64_t)state_get_u64(r);
	if (t.offset_subns < 0 || t.offset_subns > 999999999)
		state_reader_fail(r, "sub-second offset %lld",
				  (long long)t.offset_subns);
	/* Years 0-9999 need far less; more would overflow the arithmetic. */
	if (t.offset_sec < -(INT64_C(1) << 40) || t.offset_sec > (INT64_C(1) << 40))
		state_reader_fail(r, "clock offset %lld s", (long long)t.offset_sec);
	ret = state_section_close(r);
	if (ret)
		return ret;
	*rtc = t;
	return 0;
}
