/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * devices/cmos_rtc.h - the MC146818 real-time clock and CMOS RAM at
 * ports 0x70 (index, bit 7 = NMI mask) and 0x71 (data).
 *
 * Not thread-safe: the caller serialises cmos_rtc_io().
 */
#ifndef VMAIN_MONITOR_DEVICES_CMOS_RTC_H
#define VMAIN_MONITOR_DEVICES_CMOS_RTC_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/pio.h"

#define CMOS_RTC_BASE		0x70
#define CMOS_RTC_NR_PORTS	2
#define CMOS_RTC_RAM_SIZE	128
#define CMOS_RTC_CENTURY	0x32	/* the IBM PC century byte */

/*
 * The time source: nanoseconds since 1970-01-01 00:00:00 UTC (for the host
 * clock, CLOCK_REALTIME).  NULL means cmos_rtc_host_time().
 */
typedef int64_t (*cmos_rtc_now_fn)(void *opaque);

struct cmos_rtc {
	cmos_rtc_now_fn now;
	void *opaque;

	uint8_t index;		/* bits 0-6 select a byte; bit 7 = NMI masked */
	uint8_t ram[CMOS_RTC_RAM_SIZE];	/* incl. time, A, B; C/D derived */
	/*
	 * Guest time = source + offset_sec s + offset_subns ns; split so
	 * that any year 0-9999 a guest writes fits without overflow.
	 */
	int64_t offset_sec;
	int64_t offset_subns;	/* 0 .. 999999999 */
	int64_t last_c_sec;	/* guest second when register C was last read */
};

int64_t cmos_rtc_host_time(void *opaque);

/* Power-on state; `now` may be NULL (host time). */
void cmos_rtc_init(struct cmos_rtc *rtc, cmos_rtc_now_fn now, void *opaque);

/* The bus callback (pio_io_fn) for [0x70, 0x72). */
int cmos_rtc_io(void *opaque, uint16_t port_offset, unsigned size,
		bool write, uint32_t *data);

int cmos_rtc_register(struct cmos_rtc *rtc, struct pio_bus *bus);

/* Whether the guest has masked NMIs (bit 7 of the last index write). */
static inline bool cmos_rtc_nmi_masked(const struct cmos_rtc *rtc)
{
	return rtc->index & 0x80;
}

/* Guest time, seconds since the epoch (what the clock currently shows). */
int64_t cmos_rtc_guest_seconds(const struct cmos_rtc *rtc);

struct state_writer;
struct state_reader;

/*
 * Save and restore (state/stream.h), section "cmos_rtc" / 0: the index
 * (with the NMI mask bit), the 128 bytes of CMOS RAM (time, alarm,
 * registers A/B, BIOS bytes) and the guest clock's offset from the host's
 * wall clock, so the guest's time runs on across a save and restore (the
 * clock jumps forward by the time the VM was saved).  The load changes
 * `d` only when the section is whole and valid.
 */
int cmos_rtc_save(const struct cmos_rtc *d, struct state_writer *w);
int cmos_rtc_load(struct cmos_rtc *d, struct state_reader *r);

#endif
