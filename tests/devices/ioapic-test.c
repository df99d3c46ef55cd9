// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ioapic-test.c - the I/O APIC (monitor/devices/ioapic.c) fed synthetic
 * MMIO accesses: ID/version/arbitration, redirection programming, edge
 * and level delivery, masking, Remote IRR and EOI re-delivery, read-only
 * bits, bad register indices and odd sizes.
 */
#include <errno.h>
#include <stdint.h>

#include "tap.h"
#include "devices/ioapic.h"

static struct ioapic io;
static int ndeliv;
static uint8_t l_dest, l_dmode, l_delmode, l_vec;
static bool l_level;

static void on_deliver(void *opaque, uint8_t dest, uint8_t dest_mode,
		       uint8_t delivery_mode, uint8_t vector, bool level_trig)
{
	(void)opaque;
	ndeliv++;
	l_dest = dest;
	l_dmode = dest_mode;
	l_delmode = delivery_mode;
	l_vec = vector;
	l_level = level_trig;
}

static uint32_t rd(uint8_t idx)
{
	uint64_t d = idx;

	ioapic_mmio(&io, 0x00, 4, true, &d);
	d = 0;
	ioapic_mmio(&io, 0x10, 4, false, &d);
	return (uint32_t)d;
}

static void wr(uint8_t idx, uint32_t v)
{
	uint64_t d = idx;

	ioapic_mmio(&io, 0x00, 4, true, &d);
	d = v;
	ioapic_mmio(&io, 0x10, 4, true, &d);
}

static void set_rte(unsigned int pin, uint64_t e)
{
	wr((uint8_t)(0x11 + 2 * pin), (uint32_t)(e >> 32));
	wr((uint8_t)(0x10 + 2 * pin), (uint32_t)e);
}

int main(void)
{
	static const struct ioapic_ops ops = { .deliver = on_deliver };
	uint64_t d;
	unsigned int i;
	bool all_masked = true;

	ioapic_init(&io, &ops, NULL);
	tap_ok(rd(0x01) == 0x00170011, "version 0x11, max entry 23 (%#x)", rd(1));
	tap_ok(rd(0x00) == 0, "ID 0 at reset");
	wr(0x00, 0x0a000000);
	tap_ok(rd(0x00) == 0x0a000000 && rd(0x02) == 0x0a000000,
	       "ID written; arbitration ID follows");
	wr(0x00, 0xffffffff);
	tap_ok(rd(0x00) == 0x0f000000, "ID keeps bits 27:24");
	wr(0x01, 0);
	tap_ok(rd(0x01) == 0x00170011, "version read-only");
	for (i = 0; i < IOAPIC_NR_PINS; i++)
		if (rd((uint8_t)(0x10 + 2 * i)) != 0x10000 || rd((uint8_t)(0x11 + 2 * i)))
			all_masked = false;
	tap_ok(all_masked, "all 24 entries masked at reset");
	tap_ok(rd(0x03) == 0xffffffff && rd(0x40) == 0xffffffff &&
	       rd(0xff) == 0xffffffff, "bad indices read all-ones");
	wr(0x40, 0x12345678);
	tap_ok(rd(0x3e) == 0x10000 && rd(0x3f) == 0, "write past the table ignored");
	d = 0;
	ioapic_mmio(&io, 0x00, 4, false, &d);
	tap_ok(d == 0x3f, "IOREGSEL reads back");

	/* Odd sizes and offsets. */
	d = 0;
	tap_ok(ioapic_mmio(&io, 0x10, 1, false, &d) == 0 && d == ~0ull,
	       "byte read of IOWIN: all-ones");
	d = 0x01;
	ioapic_mmio(&io, 0x00, 2, true, &d);
	tap_ok(io.regsel == 0x3f, "word write of IOREGSEL ignored");
	d = 0;
	tap_ok(ioapic_mmio(&io, 0x10, 8, false, &d) == 0 && d == ~0ull,
	       "qword read: all-ones");
	tap_ok(ioapic_mmio(&io, 0x04, 4, false, &d) == 0 && d == ~0ull,
	       "offset 0x04: all-ones");
	tap_ok(ioapic_mmio(&io, 0x20, 4, false, &d) == 0 && d == ~0ull,
	       "offset 0x20 (no EOI register in v0x11): all-ones");
	tap_ok(ioapic_mmio(&io, 0x1000, 4, false, &d) == -EINVAL,
	       "offset past the window: -EINVAL");
	tap_ok(ioapic_set_irq(&io, 24, true) == -EINVAL, "pin 24 refused");

	/* Edge-triggered pin 2 (the PIT on a PC), vector 0x30, dest 1. */
	set_rte(2, 0x30 | 1ull << 56);
	tap_ok(rd(0x14) == 0x30 && rd(0x15) == 0x01000000, "RTE 2 reads back");
	ndeliv = 0;
	ioapic_set_irq(&io, 2, true);
	tap_ok(ndeliv == 1 && l_vec == 0x30 && l_dest == 1 && l_dmode == 0 &&
	       l_delmode == 0 && !l_level, "edge delivered: vec 0x30 dest 1 fixed");
	ioapic_set_irq(&io, 2, true);
	tap_ok(ndeliv == 1, "no second delivery without a new edge");
	ioapic_set_irq(&io, 2, false);
	ioapic_set_irq(&io, 2, true);
	tap_ok(ndeliv == 2, "new edge delivered again (no EOI needed)");
	ioapic_set_irq(&io, 2, false);
	tap_ok(!(rd(0x14) & IOAPIC_RTE_REMOTE_IRR), "edge entry: no Remote IRR");

	/* Masked edge is lost. */
	set_rte(2, 0x30 | IOAPIC_RTE_MASKED | 1ull << 56);
	ioapic_set_irq(&io, 2, true);
	tap_ok(ndeliv == 2, "masked edge not delivered");
	set_rte(2, 0x30 | 1ull << 56);
	tap_ok(ndeliv == 2, "and not delivered on unmask");
	ioapic_set_irq(&io, 2, false);

	/* Level-triggered pin 9 (ACPI SCI), logical, lowest priority. */
	set_rte(9, 0x41 | IOAPIC_RTE_LEVEL | IOAPIC_RTE_DESTMODE | 0x100 |
		   IOAPIC_RTE_POLARITY | 0xffull << 56);
	ndeliv = 0;
	ioapic_set_irq(&io, 9, true);
	tap_ok(ndeliv == 1 && l_vec == 0x41 && l_level && l_dmode == 1 &&
	       l_delmode == 1 && l_dest == 0xff, "level delivered (logical, lowest prio)");
	tap_ok(rd(0x22) & IOAPIC_RTE_REMOTE_IRR, "Remote IRR set");
	ioapic_set_irq(&io, 9, false);
	ioapic_set_irq(&io, 9, true);
	tap_ok(ndeliv == 1, "no re-delivery while Remote IRR is set");
	wr(0x22, 0x41 | IOAPIC_RTE_LEVEL | IOAPIC_RTE_DESTMODE | 0x100 |
		 IOAPIC_RTE_POLARITY);
	tap_ok(rd(0x22) & IOAPIC_RTE_REMOTE_IRR, "guest cannot clear Remote IRR");
	ioapic_eoi(&io, 0x42);
	tap_ok(ndeliv == 1 && (rd(0x22) & IOAPIC_RTE_REMOTE_IRR),
	       "EOI of another vector: nothing");
	ioapic_eoi(&io, 0x41);
	tap_ok(ndeliv == 2 && (rd(0x22) & IOAPIC_RTE_REMOTE_IRR),
	       "EOI with the line still high: re-delivered");
	ioapic_set_irq(&io, 9, false);
	ioapic_eoi(&io, 0x41);
	tap_ok(ndeliv == 2 && !(rd(0x22) & IOAPIC_RTE_REMOTE_IRR),
	       "EOI with the line low: Remote IRR clear, no delivery");

	/* Level pin masked while asserted, delivered on unmask. */
	set_rte(9, 0x41 | IOAPIC_RTE_LEVEL | IOAPIC_RTE_MASKED);
	ioapic_set_irq(&io, 9, true);
	tap_ok(ndeliv == 2, "masked level pin: no delivery");
	set_rte(9, 0x41 | IOAPIC_RTE_LEVEL);
	tap_ok(ndeliv == 3 && l_vec == 0x41, "unmasking an asserted level pin delivers");
	set_rte(9, 0x41);
	tap_ok(!(rd(0x22) & IOAPIC_RTE_REMOTE_IRR), "switching to edge clears Remote IRR");
	ioapic_set_irq(&io, 9, false);

	/* Two level pins sharing a vector: one EOI serves both. */
	set_rte(10, 0x50 | IOAPIC_RTE_LEVEL);
	set_rte(11, 0x50 | IOAPIC_RTE_LEVEL);
	ndeliv = 0;
	ioapic_set_irq(&io, 10, true);
	ioapic_set_irq(&io, 11, true);
	tap_ok(ndeliv == 2, "two level pins delivered");
	ioapic_set_irq(&io, 10, false);
	ioapic_eoi(&io, 0x50);
	tap_ok(ndeliv == 3 && !(rd(0x24) & IOAPIC_RTE_REMOTE_IRR) &&
	       (rd(0x26) & IOAPIC_RTE_REMOTE_IRR), "EOI: only the asserted one again");

	/* Delivery status and high-half reserved bits. */
	wr(0x13, 0xffffffff);
	tap_ok(rd(0x13) == 0xff000000, "high half keeps only bits 63:56");
	wr(0x12, 0xffffffff);
	tap_ok(rd(0x12) == 0x1afff, "low half: delivery status and Remote IRR read-only (%#x)",
	       rd(0x12));

	return tap_done();
}
