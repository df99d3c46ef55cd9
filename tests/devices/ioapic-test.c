// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ioapic-test.c - the I/O APIC (monitor/devices/ioapic.c) fed synthetic
 * MMIO accesses: ID/version/arbitration, redirection programming, edge
 * and level delivery, masking, Remote IRR and EOI re-delivery, read-only
 * bits, bad register indices and odd sizes.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "tap.h"
#include "devices/ioapic.h"
#include "state/stream.h"

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

/* --- save and restore ----------------------------------------------------- */

static uint32_t rd_on(struct ioapic *x, uint8_t idx)
{
	struct ioapic keep = io;
	uint32_t v;

	io = *x;
	v = rd(idx);
	*x = io;
	io = keep;
	return v;
}

/*
 * A redirection table with a level pin waiting for its EOI (Remote IRR)
 * and its line high, an edge pin masked: a fresh I/O APIC loaded from the
 * save reads the same table and redelivers on the EOI, as the original.
 */
static void test_save_restore(void)
{
	static const struct ioapic_ops ops = { .deliver = on_deliver };
	struct ioapic a, b;
	struct state_writer w;
	struct state_reader r;
	const uint8_t *buf;
	unsigned i, same = 0;
	size_t len;
	int err;

	ioapic_init(&io, &ops, NULL);
	wr(0x00, 0x05000000);
	set_rte(9, 0x41 | IOAPIC_RTE_LEVEL | 0x100 | 3ull << 56);
	set_rte(4, 0x34 | IOAPIC_RTE_MASKED | 1ull << 56);
	set_rte(16, 0x51 | IOAPIC_RTE_LEVEL | 2ull << 56);
	ndeliv = 0;
	ioapic_set_irq(&io, 9, true);
	ioapic_set_irq(&io, 4, true);
	a = io;
	state_writer_init(&w);
	tap_ok(ioapic_save(&a, &w) == 0 && ndeliv == 1, "save: pin 9 waiting for EOI");
	buf = state_writer_data(&w, &len, &err);
	ioapic_init(&b, &ops, NULL);
	state_reader_init(&r, buf, len);
	tap_ok(ioapic_load(&b, &r) == 0 && state_reader_at_end(&r) && ndeliv == 1,
	       "load: into a fresh I/O APIC, nothing delivered (%s)", state_reader_msg(&r));
	for (i = 0; i < 0x40; i++)
		same += rd_on(&a, (uint8_t)i) == rd_on(&b, (uint8_t)i);
	tap_ok(same == 0x40, "load: ID, version and the whole table read the same");
	/* The same events on the original and on the loaded one. */
	{
		struct ioapic *dev[2] = { &a, &b };
		int got[2][3];
		uint8_t vec[2][3];
		int k;

		for (k = 0; k < 2; k++) {
			io = *dev[k];
			ndeliv = 0;
			l_vec = 0;
			ioapic_eoi(&io, 0x41);
			got[k][0] = ndeliv;
			vec[k][0] = l_vec;
			wr(0x18, 0x34);		/* unmask pin 4 */
			got[k][1] = ndeliv;
			vec[k][1] = l_vec;
			ioapic_set_irq(&io, 16, true);
			got[k][2] = ndeliv;
			vec[k][2] = l_vec;
			*dev[k] = io;
		}
		tap_ok(got[1][0] == 1 && vec[1][0] == 0x41,
		       "load: EOI with the line still high redelivers pin 9");
		tap_ok(!memcmp(got[0], got[1], sizeof(got[0])) &&
		       !memcmp(vec[0], vec[1], sizeof(vec[0])) && vec[1][2] == 0x51,
		       "load: EOI, unmasking and a new level deliver as on the original");
	}
	state_writer_free(&w);

	state_writer_init(&w);
	a.id = 0x1f;
	ioapic_save(&a, &w);
	buf = state_writer_data(&w, &len, &err);
	ioapic_init(&b, &ops, NULL);
	state_reader_init(&r, buf, len);
	tap_ok(ioapic_load(&b, &r) == -EINVAL && b.id == 0 && b.rte[9] == IOAPIC_RTE_MASKED,
	       "load: a 5-bit ID refused, I/O APIC untouched (%s)", state_reader_msg(&r));
	state_writer_free(&w);
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

	test_save_restore();
	return tap_done();
}
