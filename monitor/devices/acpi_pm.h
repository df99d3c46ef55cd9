/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * devices/acpi_pm.h - the ACPI fixed hardware (ACPI 6.x 4.8 "ACPI
 * Hardware Specification") at ports 0x600-0x60c, as the FADT
 * (acpi/tables.h) describes it:
 *
 *   0x600  PM1a_STS  16 bits, write 1 to clear   (4.8.4.1.1.1)
 *   0x602  PM1a_EN   16 bits                     (4.8.4.1.1.2)
 *   0x604  PM1a_CNT  16 bits                     (4.8.4.2.1)
 *   0x606  -         not decoded (reads 0xff)
 *   0x608  PM_TMR    32 bits, read-only, 3.579545 MHz (4.8.4.3,
 *                    FADT TMR_VAL_EXT)
 *   0x60c  RESET_REG 8 bits, write-only: ACPI_RESET_VALUE (6) resets
 *                    (4.8.4.6)
 *
 * PM1a_CNT: SCI_EN (bit 0) always reads 1 - the FADT has no SMI_CMD, so
 * the machine is always in ACPI mode (4.8.4.2.1, 5.2.9 SMI_CMD).
 * Writing SLP_EN (bit 13, reads 0) calls ops.sleep() with SLP_TYP
 * (bits 10-12); ACPI_SLP_TYP_S5 (acpi/tables.h: 5) is the one state the
 * DSDT offers, soft off.  If sleep() returns (the monitor did not stop
 * the VM), WAK_STS is set, as after a wake-up, so a guest that polls it
 * carries on.
 *
 * Events: only the fixed power button (PWRBTN_STS, bit 8) is generated,
 * by acpi_pm_power_button() - e.g. a graceful "stop" from the monitor.
 * The SCI (ISA IRQ 9, level, active-high) is asserted while any enabled
 * status bit (PWRBTN, and TMR/GBL/RTC/SLPBTN if the guest sets them) is
 * set in both PM1a_STS and PM1a_EN; ops.set_sci() gets every change of
 * that level.  TMR_STS (timer carry) is not generated.
 *
 * Accesses of any size at any offset act bytewise, low byte first (as
 * pio_io_bytewise() does); the timer is sampled once per access, so a
 * 32-bit read is consistent.
 *
 * Not thread-safe: the caller serialises acpi_pm_io() and
 * acpi_pm_power_button().  The callbacks run inside those calls.
 */
#ifndef VMAIN_MONITOR_DEVICES_ACPI_PM_H
#define VMAIN_MONITOR_DEVICES_ACPI_PM_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/pio.h"

#define ACPI_PM_BASE		0x600	/* = PORT_ACPI_PM1A_EVT */
#define ACPI_PM_NR_PORTS	13	/* 0x600 .. 0x60c */
#define ACPI_PM_TIMER_HZ	3579545ull

/* PM1 status and enable bits (4.8.4.1 Tables 4.16, 4.17). */
#define ACPI_PM1_TMR		(1u << 0)
#define ACPI_PM1_BM_STS		(1u << 4)
#define ACPI_PM1_GBL		(1u << 5)
#define ACPI_PM1_PWRBTN		(1u << 8)
#define ACPI_PM1_SLPBTN		(1u << 9)
#define ACPI_PM1_RTC		(1u << 10)
#define ACPI_PM1_PCIEXP_WAKE	(1u << 14)
#define ACPI_PM1_WAK_STS	(1u << 15)

/* PM1 control bits (4.8.4.2.1 Table 4.18). */
#define ACPI_PM1_SCI_EN		(1u << 0)
#define ACPI_PM1_BM_RLD		(1u << 1)
#define ACPI_PM1_GBL_RLS	(1u << 2)
#define ACPI_PM1_SLP_TYP_SHIFT	10
#define ACPI_PM1_SLP_TYP	(7u << ACPI_PM1_SLP_TYP_SHIFT)
#define ACPI_PM1_SLP_EN		(1u << 13)

/* A monotonic clock in nanoseconds; NULL means acpi_pm_host_clock(). */
typedef int64_t (*acpi_pm_clock_fn)(void *opaque);

struct acpi_pm_ops {
	/*
	 * The guest wrote SLP_EN with SLP_TYP `slp_typ` (0-7):
	 * ACPI_SLP_TYP_S5 means power off.  May be NULL (ignored).
	 */
	void (*sleep)(void *opaque, unsigned int slp_typ);
	/* The guest wrote ACPI_RESET_VALUE to the reset register. */
	void (*reset)(void *opaque);
	/* The SCI line (IRQ 9) changed to `level`.  May be NULL. */
	void (*set_sci)(void *opaque, bool level);
};

struct acpi_pm {
	struct acpi_pm_ops ops;
	void *opaque;		/* for the ops */
	acpi_pm_clock_fn clock;
	void *clock_opaque;

	int64_t t0;		/* clock at power-on: timer 0 */
	uint32_t tmr_latch;	/* the timer, sampled for the current access */
	uint16_t sts;
	uint16_t en;
	uint16_t cnt;		/* SCI_EN, BM_RLD, SLP_TYP as last written */
	bool sci;		/* the SCI level last reported */
};

int64_t acpi_pm_host_clock(void *opaque);	/* CLOCK_MONOTONIC */

/*
 * Power-on state: status and enables 0, SCI_EN 1, timer 0 now.  `ops`
 * is copied (NULL: no callbacks); `clock` may be NULL (host clock).
 */
void acpi_pm_init(struct acpi_pm *pm, const struct acpi_pm_ops *ops,
		  void *opaque, acpi_pm_clock_fn clock, void *clock_opaque);

/* The PM timer value now (32 bits, wraps every ~20 minutes). */
uint32_t acpi_pm_timer(const struct acpi_pm *pm);

/* The bus callback (pio_io_fn) for [0x600, 0x60d). */
int acpi_pm_io(void *opaque, uint16_t port_offset, unsigned size, bool write,
	       uint32_t *data);

/* Claims 0x600 .. 0x60c on `bus`. */
int acpi_pm_register(struct acpi_pm *pm, struct pio_bus *bus);

/*
 * A press of the fixed power button: sets PWRBTN_STS (the SCI follows
 * if the guest enabled PWRBTN_EN; Linux's button driver then starts an
 * orderly shutdown, e.g. systemd-logind powers off).
 */
void acpi_pm_power_button(struct acpi_pm *pm);

struct state_writer;
struct state_reader;

/*
 * Save and restore (state/stream.h), section "acpi_pm" / 0: the PM
 * timer as the time it has run (it continues from that value on the
 * loading host's clock), PM1 status, enable and control, the SCI level
 * last reported.  The load changes `d` only when the section is whole and
 * calls no op.
 */
int acpi_pm_save(const struct acpi_pm *d, struct state_writer *w);
int acpi_pm_load(struct acpi_pm *d, struct state_reader *r);

#endif
