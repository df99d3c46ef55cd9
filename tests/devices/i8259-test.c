// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * i8259-test.c - the 8259A pair (monitor/devices/i8259.c) fed synthetic
 * port accesses: Linux's init sequence, masking, priorities, cascade,
 * EOI, spurious IRQ 7/15, level triggering via the ELCR, OCW3 reads,
 * poll, AEOI, rotation, odd sizes.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "tap.h"
#include "devices/i8259.h"
#include "state/stream.h"

static struct pio_bus bus;
static bool intr;
static int edges;

static void on_output(void *opaque, bool level)
{
	(void)opaque;
	intr = level;
	edges++;
}

static uint8_t in(uint16_t port)
{
	uint32_t d = 0;

	if (pio_bus_dispatch(&bus, port, 1, false, &d))
		tap_diag("in %#x failed", port);
	return (uint8_t)d;
}

static void out(uint16_t port, uint8_t v)
{
	uint32_t d = v;

	if (pio_bus_dispatch(&bus, port, 1, true, &d))
		tap_diag("out %#x failed", port);
}

/* arch/x86/kernel/i8259.c init_8259A(), with vectors 0x20/0x28. */
static void linux_init(bool aeoi)
{
	out(0x21, 0xff);
	out(0xa1, 0xff);
	out(0x20, 0x11);	/* ICW1: edge, cascade, ICW4 */
	out(0x21, 0x20);	/* ICW2 */
	out(0x21, 0x04);	/* ICW3: slave on IR2 */
	out(0x21, aeoi ? 0x03 : 0x01);
	out(0xa0, 0x11);
	out(0xa1, 0x28);
	out(0xa1, 0x02);	/* ICW3: slave id 2 */
	out(0xa1, 0x01);
	out(0x21, 0x00);
	out(0xa1, 0x00);
}

static void eoi_master(void) { out(0x20, 0x20); }
static void eoi_slave(void) { out(0xa0, 0x20); }

/* --- save and restore ----------------------------------------------------- */

static uint8_t bio(struct pio_bus *b, uint16_t port, bool write, uint8_t v)
{
	uint32_t d = v;

	pio_bus_dispatch(b, port, 1, write, &d);
	return (uint8_t)d;
}

/* What the guest and the CPU can see, the same way on both PICs. */
static void observe(struct i8259 *p, struct pio_bus *b, int *o)
{
	int n = 0, k;

	bio(b, 0x20, true, 0x0a);
	o[n++] = bio(b, 0x20, false, 0);	/* IRR */
	bio(b, 0x20, true, 0x0b);
	o[n++] = bio(b, 0x20, false, 0);	/* ISR */
	bio(b, 0xa0, true, 0x0a);
	o[n++] = bio(b, 0xa0, false, 0);
	o[n++] = bio(b, 0x21, false, 0);	/* IMR */
	o[n++] = bio(b, 0xa1, false, 0);
	o[n++] = bio(b, 0x4d0, false, 0);	/* ELCR */
	o[n++] = bio(b, 0x4d1, false, 0);
	o[n++] = i8259_pending(p);
	/* Take every deliverable interrupt with an EOI each, then unmask 3. */
	for (k = 0; k < 4; k++) {
		o[n++] = i8259_ack(p);
		if (o[n - 1] >= 0x28)
			bio(b, 0xa0, true, 0x20);
		bio(b, 0x20, true, 0x20);
	}
	bio(b, 0x21, true, 0x00);
	o[n++] = i8259_ack(p);
}

static bool out_b;
static int edges_b;

static void on_output_b(void *opaque, bool level)
{
	(void)opaque;
	out_b = level;
	edges_b++;
}

/*
 * Linux's initialisation, IRQ 3 masked but requested, IRQ 1 in service
 * without its EOI, IRQ 10 pending on the slave, IRQ 9 level-triggered:
 * saved, loaded into a fresh PIC pair, which then acknowledges the same
 * vectors in the same order as the original.
 */
static void test_save_restore(void)
{
	static const struct i8259_ops ops = { .output = on_output };
	static const struct i8259_ops ops_b = { .output = on_output_b };
	static const uint16_t init[][2] = {
		{ 0x21, 0xff }, { 0xa1, 0xff }, { 0x20, 0x11 }, { 0x21, 0x20 },
		{ 0x21, 0x04 }, { 0x21, 0x01 }, { 0xa0, 0x11 }, { 0xa1, 0x28 },
		{ 0xa1, 0x02 }, { 0xa1, 0x01 }, { 0x21, 0x08 }, { 0xa1, 0x00 },
		{ 0x4d1, 0x02 },
	};
	struct pio_bus ba, bb;
	struct i8259 a, b;
	struct state_writer w;
	struct state_reader r;
	const uint8_t *buf;
	int oa[20] = { 0 }, ob[20] = { 0 };
	unsigned i;
	size_t len;
	int err;

	pio_bus_init(&ba);
	pio_bus_init(&bb);
	i8259_init(&a, &ops, NULL);
	i8259_init(&b, &ops_b, NULL);
	i8259_register(&a, &ba);
	i8259_register(&b, &bb);
	for (i = 0; i < sizeof(init) / sizeof(init[0]); i++)
		bio(&ba, init[i][0], true, (uint8_t)init[i][1]);
	i8259_set_irq(&a, 3, true);
	i8259_set_irq(&a, 1, true);
	i8259_ack(&a);			/* IRQ 1 in service, no EOI */
	i8259_set_irq(&a, 10, true);
	i8259_set_irq(&a, 9, true);
	state_writer_init(&w);
	tap_ok(i8259_save(&a, &w) == 0, "save: PICs with masked, pending and in-service IRQs");
	buf = state_writer_data(&w, &len, &err);
	state_reader_init(&r, buf, len);
	edges_b = 0;
	tap_ok(i8259_load(&b, &r) == 0 && state_reader_at_end(&r) && edges_b == 0,
	       "load: into a fresh pair, no callback (%s)", state_reader_msg(&r));
	tap_ok(b.int_level == a.int_level, "load: INT output level kept");
	observe(&a, &ba, oa);
	observe(&b, &bb, ob);
	tap_ok(!memcmp(oa, ob, sizeof(oa)), "load: IRR, ISR, IMR, ELCR and the ack order match");
	tap_ok(ob[0] == 0x0c && ob[1] == 0x02 && ob[2] == 0x06 && ob[3] == 0x08 &&
	       ob[6] == 0x02 && ob[7] == -1 && ob[8] == 0x27 && ob[9] == 0x29 &&
	       ob[12] == 0x29, "load: ... IRQ 1 in service blocks (spurious 7) until its "
	       "EOI, then level IRQ 9 keeps winning");
	state_writer_free(&w);

	/* Another chipset's ELCR mask: refused. */
	state_writer_init(&w);
	a.chip[1].elcr_mask = 0xff;
	i8259_save(&a, &w);
	buf = state_writer_data(&w, &len, &err);
	i8259_init(&b, &ops_b, NULL);
	state_reader_init(&r, buf, len);
	tap_ok(i8259_load(&b, &r) == -EINVAL && b.chip[0].imr == 0,
	       "load: another ELCR mask refused, PIC untouched (%s)", state_reader_msg(&r));
	state_writer_free(&w);
	pio_bus_destroy(&ba);
	pio_bus_destroy(&bb);
}

int main(void)
{
	static const struct i8259_ops ops = { .output = on_output };
	struct i8259 pic;
	uint32_t d;
	int v;

	pio_bus_init(&bus);
	i8259_init(&pic, &ops, NULL);
	tap_ok(i8259_register(&pic, &bus) == 0, "register");
	tap_ok(i8259_register(&pic, &bus) == -EEXIST, "second register: -EEXIST");

	/* Linux's probe: the mask register reads back. */
	out(0x21, 0xff);
	tap_ok(in(0x21) == 0xff, "IMR reads back 0xff");
	out(0x21, 0xa5);
	tap_ok(in(0x21) == 0xa5, "IMR reads back 0xa5");

	linux_init(false);
	tap_ok(in(0x21) == 0 && in(0xa1) == 0, "masks clear after init");
	tap_ok(pic.chip[0].vector_base == 0x20 && pic.chip[1].vector_base == 0x28,
	       "vector bases 0x20/0x28");
	tap_ok(!intr && i8259_pending(&pic) == -1, "nothing pending");

	/* Edge-triggered IRQ 0. */
	i8259_set_irq(&pic, 0, true);
	tap_ok(intr && i8259_pending(&pic) == 0x20, "IRQ0 raises INT, vector 0x20");
	v = i8259_ack(&pic);
	tap_ok(v == 0x20, "ack returns 0x20");
	tap_ok(!intr, "INT drops after ack");
	out(0x20, 0x0b);	/* OCW3: read ISR */
	tap_ok(in(0x20) == 0x01, "ISR bit 0 set");
	out(0x20, 0x0a);	/* OCW3: read IRR */
	tap_ok(in(0x20) == 0x00, "IRR bit 0 cleared by ack (edge)");
	i8259_set_irq(&pic, 0, false);
	i8259_set_irq(&pic, 0, true);
	tap_ok(!intr && in(0x20) == 0x01, "second edge latched in IRR, blocked by ISR");
	eoi_master();
	tap_ok(intr && i8259_ack(&pic) == 0x20, "after EOI the second edge is delivered");
	eoi_master();
	i8259_set_irq(&pic, 0, true);
	tap_ok(!intr, "no edge while the line stays high");
	i8259_set_irq(&pic, 0, false);

	/* Priorities: IRQ 1 beats IRQ 4; nested higher priority interrupts. */
	i8259_set_irq(&pic, 4, true);
	i8259_set_irq(&pic, 1, true);
	tap_ok(i8259_ack(&pic) == 0x21, "IRQ1 before IRQ4");
	tap_ok(!intr, "IRQ4 blocked while IRQ1 in service");
	eoi_master();
	tap_ok(intr && i8259_ack(&pic) == 0x24, "then IRQ4");
	i8259_set_irq(&pic, 3, true);
	tap_ok(intr && i8259_ack(&pic) == 0x23, "IRQ3 nests over IRQ4");
	out(0x20, 0x0b);
	tap_ok(in(0x20) == 0x18, "ISR 3 and 4");
	eoi_master();
	tap_ok(in(0x20) == 0x10, "non-specific EOI clears the highest (3)");
	out(0x20, 0x64);	/* specific EOI, level 4 */
	tap_ok(in(0x20) == 0x00, "specific EOI 4");
	i8259_set_irq(&pic, 1, false);
	i8259_set_irq(&pic, 3, false);
	i8259_set_irq(&pic, 4, false);

	/* Masking. */
	out(0x21, 0x02);
	i8259_set_irq(&pic, 1, true);
	tap_ok(!intr, "masked IRQ1 does not raise INT");
	out(0x20, 0x0a);
	tap_ok(in(0x20) == 0x02, "but sits in IRR");
	out(0x21, 0x00);
	tap_ok(intr && i8259_ack(&pic) == 0x21, "unmasking delivers it");
	eoi_master();
	i8259_set_irq(&pic, 1, false);

	/* Cascade: IRQ 12 goes through master IR2. */
	i8259_set_irq(&pic, 12, true);
	tap_ok(intr && i8259_pending(&pic) == 0x2c, "IRQ12 pending as 0x2c");
	tap_ok(i8259_ack(&pic) == 0x2c, "ack IRQ12");
	out(0x20, 0x0b);
	out(0xa0, 0x0b);
	tap_ok(in(0x20) == 0x04 && in(0xa0) == 0x10, "ISR: master IR2, slave IR4");
	i8259_set_irq(&pic, 14, true);
	tap_ok(!intr, "IRQ14 waits (fully nested: IR2 in service on master)");
	i8259_set_irq(&pic, 0, true);
	tap_ok(intr && i8259_ack(&pic) == 0x20, "IRQ0 nests over the cascade");
	eoi_master();
	i8259_set_irq(&pic, 0, false);
	eoi_slave();
	eoi_master();
	tap_ok(intr && i8259_ack(&pic) == 0x2e, "IRQ14 after both EOIs");
	eoi_slave();
	eoi_master();
	i8259_set_irq(&pic, 12, false);
	i8259_set_irq(&pic, 14, false);
	out(0xa1, 0x10);
	i8259_set_irq(&pic, 12, true);
	tap_ok(!intr, "slave mask blocks IRQ12");
	out(0xa1, 0x00);
	tap_ok(intr, "slave unmask raises INT");
	i8259_ack(&pic);
	eoi_slave();
	eoi_master();
	i8259_set_irq(&pic, 12, false);
	tap_ok(i8259_set_irq(&pic, 2, true) == -EINVAL &&
	       i8259_set_irq(&pic, 16, true) == -EINVAL, "IRQ 2 and 16 refused");

	/* Spurious: request withdrawn before INTA (level mode). */
	out(0x4d0, 0x20);	/* IRQ5 level */
	tap_ok(in(0x4d0) == 0x20, "ELCR1 reads back");
	out(0x4d0, 0xff);
	tap_ok(in(0x4d0) == 0xf8, "ELCR1 bits 0-2 reserved");
	out(0x4d1, 0xff);
	tap_ok(in(0x4d1) == 0xde, "ELCR2 bits 0 and 5 reserved");
	out(0x4d0, 0x20);
	out(0x4d1, 0x02);	/* IRQ9 level */
	i8259_set_irq(&pic, 5, true);
	tap_ok(intr, "level IRQ5 raises INT");
	i8259_set_irq(&pic, 5, false);
	tap_ok(!intr, "and drops it with the line");
	i8259_set_irq(&pic, 5, true);
	edges = 0;
	v = i8259_ack(&pic);
	tap_ok(v == 0x25, "level IRQ5 acked");
	eoi_master();
	tap_ok(intr && i8259_pending(&pic) == 0x25,
	       "level IRQ5 re-asserts after EOI while the line is high");
	i8259_set_irq(&pic, 5, false);
	tap_ok(!intr && i8259_ack(&pic) == 0x27, "no request: spurious IRQ7");
	out(0x20, 0x0b);
	tap_ok(in(0x20) == 0, "spurious IRQ7 sets no ISR bit");
	i8259_set_irq(&pic, 9, true);
	tap_ok(intr, "level IRQ9 via cascade");
	/*
	 * The slave's level request vanishes between INT and INTA; the
	 * master's edge-triggered IR2 stays latched, as on a real PC.
	 */
	i8259_set_irq(&pic, 9, false);
	tap_ok(intr, "master INT stays up (IR2 latched)");
	tap_ok(i8259_ack(&pic) == 0x2f, "slave spurious: IRQ15 vector");
	out(0x20, 0x0b);
	out(0xa0, 0x0b);
	tap_ok(in(0x20) == 0x04 && in(0xa0) == 0,
	       "master IR2 in service, slave ISR empty");
	eoi_master();
	out(0x4d0, 0);
	out(0x4d1, 0);

	/* Poll mode. */
	out(0x21, 0xff);
	i8259_set_irq(&pic, 6, true);
	out(0x21, 0xbf);
	out(0x20, 0x0c);	/* OCW3: poll */
	tap_ok(in(0x20) == 0x86, "poll: 0x80 | 6");
	out(0x20, 0x0b);
	tap_ok(in(0x20) == 0x40, "poll acknowledged IRQ6");
	eoi_master();
	out(0x20, 0x0c);
	tap_ok(in(0x20) == 0x00, "poll with nothing pending: 0");
	out(0x21, 0x00);
	i8259_set_irq(&pic, 6, false);

	/* Rotation: set priority makes IRQ 3 lowest, so IRQ 4 beats IRQ 0. */
	out(0x20, 0xc3);
	i8259_set_irq(&pic, 0, true);
	i8259_set_irq(&pic, 4, true);
	tap_ok(i8259_ack(&pic) == 0x24, "after set priority(3) IRQ4 wins");
	out(0x20, 0xe4);	/* rotate on specific EOI 4 */
	tap_ok(i8259_ack(&pic) == 0x20, "then IRQ0");
	out(0x20, 0xa0);	/* rotate on non-specific EOI: 0 lowest */
	tap_ok(pic.chip[0].lowest == 0, "rotate on non-specific EOI");
	out(0x20, 0xc7);
	i8259_set_irq(&pic, 0, false);
	i8259_set_irq(&pic, 4, false);

	/* AEOI mode. */
	linux_init(true);
	i8259_set_irq(&pic, 3, true);
	tap_ok(i8259_ack(&pic) == 0x23, "AEOI ack");
	out(0x20, 0x0b);
	tap_ok(in(0x20) == 0, "AEOI: no ISR bit");
	i8259_set_irq(&pic, 3, false);
	i8259_set_irq(&pic, 3, true);
	tap_ok(intr, "AEOI: next edge delivered without EOI");
	i8259_ack(&pic);
	i8259_set_irq(&pic, 3, false);

	/* ICW1 resets the edge sense: a high line needs a new edge. */
	i8259_set_irq(&pic, 7, true);
	linux_init(false);
	tap_ok(!intr, "ICW1 clears latched edge requests");
	out(0x20, 0x0a);
	tap_ok(in(0x20) == 0, "IRR empty after re-init");

	/* Special mask mode: masked in-service levels do not block. */
	i8259_set_irq(&pic, 1, true);
	tap_ok(i8259_ack(&pic) == 0x21, "IRQ1 in service");
	out(0x21, 0x02);
	out(0x20, 0x68);	/* OCW3: set special mask */
	i8259_set_irq(&pic, 5, true);
	tap_ok(intr && i8259_ack(&pic) == 0x25, "SMM: IRQ5 despite IRQ1 in service");
	out(0x20, 0x48);	/* reset special mask */
	out(0x20, 0x65);
	out(0x20, 0x61);
	out(0x21, 0);
	i8259_set_irq(&pic, 1, false);
	i8259_set_irq(&pic, 5, false);

	/* Sizes. */
	d = 0x120b;
	tap_ok(pio_bus_dispatch(&bus, 0x20, 2, true, &d) == 0, "word write");
	tap_ok(in(0x21) == 0x12 && pic.chip[0].read_isr,
	       "word write at 0x20: OCW3 then IMR 0x12");
	d = 0;
	tap_ok(pio_bus_dispatch(&bus, 0x21, 4, false, &d) == 0 &&
	       d == 0xffffff12, "dword read at 0x21: IMR then 0xff");
	tap_ok(i8259_io_master(&pic, 2, 1, false, &d) == -EINVAL,
	       "offset 2 direct: -EINVAL");
	tap_ok(i8259_io_master(&pic, 0, 3, false, &d) == -EINVAL,
	       "size 3 direct: -EINVAL");

	pio_bus_destroy(&bus);
	test_save_restore();
	return tap_done();
}
