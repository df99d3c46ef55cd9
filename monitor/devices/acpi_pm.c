// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * devices/acpi_pm.c - the ACPI fixed-hardware registers (see acpi_pm.h).
 * Section numbers are the ACPI 6.x specification's (4.8 "ACPI Hardware
 * Specification").
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "devices/acpi_pm.h"
#include "state/stream.h"

#define NSEC_PER_SEC	1000000000ll

/* Register offsets from ACPI_PM_BASE. */
enum {
	PM1_STS = 0x0,
	PM1_EN = 0x2,
	PM1_CNT = 0x4,
	PM_TMR = 0x8,
	RESET_REG = 0xc,
};

#define RESET_VALUE	0x06	/* = ACPI_RESET_VALUE, machine/memmap.h */

/* Bits the guest may set in PM1_EN (PCIEXP_WAKE is a disable bit). */
#define EN_MASK		(ACPI_PM1_TMR | ACPI_PM1_GBL | ACPI_PM1_PWRBTN | \
			 ACPI_PM1_SLPBTN | ACPI_PM1_RTC | ACPI_PM1_PCIEXP_WAKE)
/* Bits that can be set in PM1_STS (and cleared by writing 1). */
#define STS_MASK	(ACPI_PM1_TMR | ACPI_PM1_BM_STS | ACPI_PM1_GBL | \
			 ACPI_PM1_PWRBTN | ACPI_PM1_SLPBTN | ACPI_PM1_RTC | \
			 ACPI_PM1_PCIEXP_WAKE | ACPI_PM1_WAK_STS)
/* Events that raise the SCI when enabled (4.8.4.1). */
#define SCI_EVENTS	(ACPI_PM1_TMR | ACPI_PM1_GBL | ACPI_PM1_PWRBTN | \
			 ACPI_PM1_SLPBTN | ACPI_PM1_RTC)
/* PM1_CNT bits that hold a value (SLP_EN and GBL_RLS are write-only). */
#define CNT_MASK	(ACPI_PM1_SCI_EN | ACPI_PM1_BM_RLD | ACPI_PM1_SLP_TYP)

int64_t acpi_pm_host_clock(void *opaque)
{
	struct timespec ts;

	(void)opaque;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

static int64_t now(const struct acpi_pm *pm)
{
	return pm->clock(pm->clock_opaque);
}

void acpi_pm_init(struct acpi_pm *pm, const struct acpi_pm_ops *ops,
		  void *opaque, acpi_pm_clock_fn clock, void *clock_opaque)
{
	memset(pm, 0, sizeof(*pm));
	if (ops)
		pm->ops = *ops;
	pm->opaque = opaque;
	pm->clock = clock ? clock : acpi_pm_host_clock;
	pm->clock_opaque = clock_opaque;
	pm->t0 = now(pm);
	pm->cnt = ACPI_PM1_SCI_EN;
}

/* 4.8.4.3: a free-running 3.579545 MHz count; 32 bits (TMR_VAL_EXT). */
uint32_t acpi_pm_timer(const struct acpi_pm *pm)
{
	int64_t d = now(pm) - pm->t0;
	uint64_t sec, ns;

	if (d < 0)
		d = 0;
	sec = (uint64_t)d / NSEC_PER_SEC;
	ns = (uint64_t)d % NSEC_PER_SEC;
	return (uint32_t)(sec * ACPI_PM_TIMER_HZ +
			  ns * ACPI_PM_TIMER_HZ / NSEC_PER_SEC);
}

static void update_sci(struct acpi_pm *pm)
{
	bool level = (pm->cnt & ACPI_PM1_SCI_EN) &&
		     (pm->sts & pm->en & SCI_EVENTS);

	if (level != pm->sci) {
		pm->sci = level;
		if (pm->ops.set_sci)
			pm->ops.set_sci(pm->opaque, level);
	}
}

/* Replaces byte `hi` (0 low, 1 high) of *reg with v under mask. */
static void set_byte(uint16_t *reg, unsigned int hi, uint8_t v, uint16_t mask)
{
	uint16_t shift = hi ? 8 : 0;
	uint16_t m = (uint16_t)(0xff << shift) & mask;

	*reg = (uint16_t)((*reg & ~m) | (((uint16_t)v << shift) & m));
}

static void write_cnt(struct acpi_pm *pm, unsigned int hi, uint8_t v)
{
	set_byte(&pm->cnt, hi, v, CNT_MASK);
	pm->cnt |= ACPI_PM1_SCI_EN;	/* fixed: no SMI_CMD to leave ACPI mode */
	if (hi && (v & (ACPI_PM1_SLP_EN >> 8))) {
		unsigned int typ = (pm->cnt & ACPI_PM1_SLP_TYP) >>
				   ACPI_PM1_SLP_TYP_SHIFT;

		if (pm->ops.sleep)
			pm->ops.sleep(pm->opaque, typ);
		/* Still running: as if woken at once (4.8.4.1.1.1 WAK_STS). */
		pm->sts |= ACPI_PM1_WAK_STS;
	}
}

static int pm_byte(void *opaque, uint16_t off, bool write, uint8_t *val)
{
	struct acpi_pm *pm = opaque;
	unsigned int hi = off & 1;

	switch (off) {
	case PM1_STS:
	case PM1_STS + 1:
		if (write)
			pm->sts &= (uint16_t)~((uint16_t)*val << (8 * hi));
		else
			*val = (uint8_t)(pm->sts >> (8 * hi));
		return 0;
	case PM1_EN:
	case PM1_EN + 1:
		if (write)
			set_byte(&pm->en, hi, *val, EN_MASK);
		else
			*val = (uint8_t)(pm->en >> (8 * hi));
		return 0;
	case PM1_CNT:
	case PM1_CNT + 1:
		if (write)
			write_cnt(pm, hi, *val);
		else
			*val = (uint8_t)(pm->cnt >> (8 * hi));
		return 0;
	case PM_TMR:
	case PM_TMR + 1:
	case PM_TMR + 2:
	case PM_TMR + 3:
		/* Read-only; writes are dropped. */
		if (!write)
			*val = (uint8_t)(pm->tmr_latch >> (8 * (off - PM_TMR)));
		return 0;
	case RESET_REG:
		if (!write)
			*val = 0;
		else if (*val == RESET_VALUE && pm->ops.reset)
			pm->ops.reset(pm->opaque);
		return 0;
	default:
		/* 0x606-0x607: nothing there. */
		if (!write)
			*val = 0xff;
		return 0;
	}
}

int acpi_pm_io(void *opaque, uint16_t port_offset, unsigned size, bool write,
	       uint32_t *data)
{
	struct acpi_pm *pm = opaque;
	int ret;

	if (!write && port_offset < PM_TMR + 4 && port_offset + size > PM_TMR)
		pm->tmr_latch = acpi_pm_timer(pm);
	ret = pio_io_bytewise(opaque, pm_byte, ACPI_PM_NR_PORTS, port_offset,
			      size, write, data);
	if (write)
		update_sci(pm);
	return ret;
}

int acpi_pm_register(struct acpi_pm *pm, struct pio_bus *bus)
{
	return pio_bus_register(bus, ACPI_PM_BASE, ACPI_PM_NR_PORTS, acpi_pm_io,
				pm, "acpi-pm");
}

void acpi_pm_power_button(struct acpi_pm *pm)
{
	pm->sts |= ACPI_PM1_PWRBTN;
	update_sci(pm);
}

/* --- save and restore --------------------------------------------------- */

#define ACPI_PM_STATE_VERSION	1

/* The PM timer counts from t0: saved as the nanoseconds it has run. */
int acpi_pm_save(const struct acpi_pm *pm, struct state_writer *w)
{
	state_section_begin(w, "acpi_pm", 0, ACPI_PM_STATE_VERSION);
	state_put_u64(w, state_ns_since(pm->t0, pm->clock(pm->clock_opaque)));
	state_put_u16(w, pm->sts);
	state_put_u16(w, pm->en);
	state_put_u16(w, pm->cnt);
	state_put_bool(w, pm->sci);
	state_section_end(w);
	return state_writer_error(w);
}

int acpi_pm_load(struct acpi_pm *pm, struct state_reader *r)
{
	uint64_t ran;
	uint16_t sts, en, cnt;
	bool sci;
	int ret;

	ret = state_section_open(r, "acpi_pm", 0, ACPI_PM_STATE_VERSION, NULL);
	if (ret)
		return ret;
	ran = state_get_u64(r);
	sts = state_get_u16(r);
	en = state_get_u16(r);
	cnt = state_get_u16(r);
	sci = state_get_bool(r);
	/* No host has run that long; acpi_pm_timer() subtracts t0. */
	if (ran > STATE_NS_MAX)
		state_reader_fail(r, "PM timer ran %llu ns", (unsigned long long)ran);
	ret = state_section_close(r);
	if (ret)
		return ret;
	pm->t0 = state_start(ran, pm->clock(pm->clock_opaque));
	pm->sts = sts;
	pm->en = en;
	pm->cnt = cnt;
	pm->sci = sci;
	return 0;
}
