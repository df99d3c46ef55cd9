/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * devices/ioapic.h - an 82093AA-style I/O APIC at MMIO 0xfec00000 with 24
 * redirection entries (version 0x11).
 *
 * Register semantics follow the Intel "82093AA I/O Advanced Programmable
 * Interrupt Controller (IOAPIC)" datasheet (order no. 290566); ioapic.c
 * cites its sections.
 *
 * Not thread-safe: the caller serialises every entry point.  The deliver
 * callback runs with that serialisation held; it must not call back into
 * the I/O APIC (queue the EOI instead of calling ioapic_eoi() from it).
 */
#ifndef VMAIN_MONITOR_DEVICES_IOAPIC_H
#define VMAIN_MONITOR_DEVICES_IOAPIC_H

#include <stdbool.h>
#include <stdint.h>

#define IOAPIC_BASE_ADDR	0xfec00000ull
#define IOAPIC_MMIO_SIZE	0x1000
#define IOAPIC_NR_PINS		24
#define IOAPIC_VERSION		0x11

/* Register indices written to IOREGSEL. */
#define IOAPIC_REG_ID		0x00
#define IOAPIC_REG_VER		0x01
#define IOAPIC_REG_ARB		0x02
#define IOAPIC_REG_REDTBL	0x10	/* 0x10 + 2 * pin: low, + 1: high */

/* Redirection entry bits ("I/O Redirection Table Registers"). */
#define IOAPIC_RTE_VECTOR	0x000000ffull
#define IOAPIC_RTE_DELMODE	0x00000700ull
#define IOAPIC_RTE_DESTMODE	(1ull << 11)
#define IOAPIC_RTE_DELIVS	(1ull << 12)
#define IOAPIC_RTE_POLARITY	(1ull << 13)
#define IOAPIC_RTE_REMOTE_IRR	(1ull << 14)
#define IOAPIC_RTE_LEVEL	(1ull << 15)
#define IOAPIC_RTE_MASKED	(1ull << 16)
#define IOAPIC_RTE_DEST_SHIFT	56

struct ioapic_ops {
	/*
	 * An interrupt message to the local APICs: `dest` (8-bit APIC ID or
	 * logical destination), `dest_mode` 0 physical / 1 logical,
	 * `delivery_mode` (0 fixed, 1 lowest priority, 2 SMI, 4 NMI, 5 INIT,
	 * 7 ExtINT), `vector`, and whether the entry is level-triggered
	 * (then the LAPIC's EOI must come back through ioapic_eoi()).
	 */
	void (*deliver)(void *opaque, uint8_t dest, uint8_t dest_mode,
			uint8_t delivery_mode, uint8_t vector, bool level_trig);
};

struct ioapic {
	struct ioapic_ops ops;
	void *opaque;
	uint8_t id;		/* 4 bits */
	uint8_t regsel;
	uint32_t irr;		/* asserted pins (level) / seen edges */
	uint64_t rte[IOAPIC_NR_PINS];
};

/* Power-on state: ID 0, every entry masked. */
void ioapic_init(struct ioapic *ioapic, const struct ioapic_ops *ops,
		 void *opaque);

/*
 * One guest access at `offset` into the 4 KiB window.  IOREGSEL (0x00)
 * and IOWIN (0x10) take 32-bit accesses; any other offset or size reads
 * all-ones and drops writes.  Returns 0, or -EINVAL for an offset past
 * the window (*data all-ones on a read).
 */
int ioapic_mmio(struct ioapic *ioapic, uint64_t offset, unsigned size,
		bool write, uint64_t *data);

/* Drives input `pin` (0-23) to `level` (asserted).  0 or -EINVAL. */
int ioapic_set_irq(struct ioapic *ioapic, unsigned int pin, bool level);

/*
 * A local APIC's EOI for `vector` (the EOI broadcast): clears Remote IRR
 * of every level-triggered entry with that vector and delivers again those
 * whose input is still asserted.
 */
void ioapic_eoi(struct ioapic *ioapic, uint8_t vector);

struct state_writer;
struct state_reader;

/*
 * Save and restore (state/stream.h), section "ioapic" / 0: ID, the
 * register select, IRR (asserted level pins, latched edges) and the
 * redirection table.  The load changes `d` only when the section is
 * whole and valid, and delivers nothing: an entry that was waiting for
 * its EOI (Remote IRR) keeps waiting for it.
 */
int ioapic_save(const struct ioapic *d, struct state_writer *w);
int ioapic_load(struct ioapic *d, struct state_reader *r);

#endif
