// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * devices/i8259.c - the master/slave 8259A pair.
 *
 * References are to sections of the Intel "8259A Programmable Interrupt
 * Controller (8259A/8259A-2)" datasheet, cited by section title, and, for
 * the ELCR, the Intel PIIX4 datasheet section "ELCR1/ELCR2 - Edge/Level
 * Control Registers".
 *
 * Model and approximations:
 *  - Only 8086 mode (ICW4 uPM = 1) is meaningful: in MCS-80/85 mode the
 *    vector would be a CALL sequence, which no PC guest uses, so the same
 *    vector byte is returned.  ICW1 ADI and the ICW4 BUF/M-S bits are
 *    stored implicitly (ignored): the master/slave roles are fixed by the
 *    PC wiring, not by SP/EN or BUF.
 *  - An edge-triggered request stays latched in IRR once seen, even if the
 *    input drops before INTA (the datasheet requires it to stay high until
 *    the first INTA; guests do not rely on the difference).  A level-
 *    triggered request follows its input.
 *  - Poll mode (OCW3 P) is supported per chip; a poll of the master that
 *    finds IRQ 2 reports 2 and does not poll the slave.
 *  - Triggering per input comes from the ELCR (LTIM = 1 makes all inputs
 *    of that chip level-triggered).
 */
#include <errno.h>
#include <string.h>

#include "devices/i8259.h"
#include "state/stream.h"

#define ICW1_IC4	0x01
#define ICW1_SNGL	0x02
#define ICW1_LTIM	0x08
#define ICW1_INIT	0x10
#define OCW3_SEL	0x08	/* bit 3 = 1, bit 4 = 0: OCW3, else OCW2 */
#define OCW3_RIS	0x01
#define OCW3_RR		0x02
#define OCW3_POLL	0x04
#define OCW3_SMM	0x20
#define OCW3_ESMM	0x40
#define ICW4_AEOI	0x02
#define ICW4_SFNM	0x10

static uint8_t trig_level_mask(const struct i8259_chip *c)
{
	return c->ltim ? 0xff : c->elcr;
}

/*
 * Priority of bit `irq` under the current rotation: 0 is the highest.
 * "Interrupt Sequence" / "Priority Modes": after rotation the input after
 * `lowest` has priority 0.
 */
static unsigned int prio_of(const struct i8259_chip *c, unsigned int irq)
{
	return (irq - c->lowest - 1) & 7;
}

/* The highest-priority input set in `mask`, or -1. */
static int highest(const struct i8259_chip *c, uint8_t mask)
{
	unsigned int p;

	for (p = 0; p < 8; p++) {
		unsigned int irq = (c->lowest + 1 + p) & 7;

		if (mask & (1u << irq))
			return (int)irq;
	}
	return -1;
}

/*
 * The input this chip would ask the CPU for, or -1: the highest unmasked
 * request whose priority is above every in-service level ("Fully Nested
 * Mode").  In special mask mode, masked in-service levels do not block
 * ("Special Mask Mode"); in special fully nested mode the master lets the
 * slave interrupt while the slave's cascade level is in service ("Special
 * Fully Nested Mode").
 */
static int chip_pending(const struct i8259_chip *c, bool master)
{
	uint8_t isr = c->isr;
	int req, cur;

	req = highest(c, c->irr & ~c->imr);
	if (req < 0)
		return -1;
	if (c->special_mask)
		isr &= ~c->imr;
	if (master && c->sfnm)
		isr &= (uint8_t)~(1u << I8259_CASCADE_IRQ);
	cur = highest(c, isr);
	if (cur >= 0 && prio_of(c, (unsigned int)cur) <= prio_of(c, (unsigned int)req))
		return -1;
	return req;
}

/* Drives input `irq` (0-7) of chip `c`. */
static void chip_set_input(struct i8259_chip *c, unsigned int irq, bool level)
{
	uint8_t bit = (uint8_t)(1u << irq);

	if (trig_level_mask(c) & bit) {
		if (level)
			c->irr |= bit;
		else
			c->irr &= (uint8_t)~bit;
	} else if (level && !(c->lines & bit)) {
		c->irr |= bit;		/* rising edge */
	}
	if (level)
		c->lines |= bit;
	else
		c->lines &= (uint8_t)~bit;
}

/* Propagates slave INT to master IR2 and master INT to the callback. */
static void i8259_update(struct i8259 *pic)
{
	bool slave_int = chip_pending(&pic->chip[1], false) >= 0;
	bool out;

	chip_set_input(&pic->chip[0], I8259_CASCADE_IRQ, slave_int);
	out = chip_pending(&pic->chip[0], true) >= 0;
	if (out != pic->int_level) {
		pic->int_level = out;
		if (pic->ops.output)
			pic->ops.output(pic->opaque, out);
	}
}

static void chip_reset(struct i8259_chip *c, uint8_t elcr_mask)
{
	memset(c, 0, sizeof(*c));
	c->elcr_mask = elcr_mask;
	c->lowest = 7;
}

void i8259_init(struct i8259 *pic, const struct i8259_ops *ops, void *opaque)
{
	memset(pic, 0, sizeof(*pic));
	if (ops)
		pic->ops = *ops;
	pic->opaque = opaque;
	/*
	 * PIIX4 "ELCR1/ELCR2": IRQ 0, 1, 2, 8 and 13 are edge-only; those
	 * ELCR bits are reserved and read 0.
	 */
	chip_reset(&pic->chip[0], 0xf8);
	chip_reset(&pic->chip[1], 0xde);
}

int i8259_set_irq(struct i8259 *pic, unsigned int irq, bool level)
{
	if (irq >= I8259_NR_IRQS || irq == I8259_CASCADE_IRQ)
		return -EINVAL;
	chip_set_input(&pic->chip[irq >> 3], irq & 7, level);
	i8259_update(pic);
	return 0;
}

int i8259_pending(const struct i8259 *pic)
{
	int m, s;

	m = chip_pending(&pic->chip[0], true);
	if (m < 0)
		return -1;
	if (m != I8259_CASCADE_IRQ)
		return pic->chip[0].vector_base + m;
	s = chip_pending(&pic->chip[1], false);
	return pic->chip[1].vector_base + (s < 0 ? 7 : s);
}

/*
 * One chip's part of the INTA sequence ("Interrupt Sequence", 8086 mode):
 * the first INTA sets the ISR bit and clears the IRR bit of an edge-
 * triggered request; in AEOI mode the ISR bit is cleared again at the end
 * of the second INTA ("Automatic End of Interrupt (AEOI) Mode").
 */
static void chip_ack(struct i8259_chip *c, unsigned int irq)
{
	uint8_t bit = (uint8_t)(1u << irq);

	if (!(trig_level_mask(c) & bit))
		c->irr &= (uint8_t)~bit;
	if (c->auto_eoi) {
		if (c->rotate_aeoi)
			c->lowest = (uint8_t)irq;
	} else {
		c->isr |= bit;
	}
}

int i8259_ack(struct i8259 *pic)
{
	struct i8259_chip *m = &pic->chip[0], *s = &pic->chip[1];
	int irq, sirq, vec;

	irq = chip_pending(m, true);
	if (irq < 0) {
		/*
		 * "Interrupt Sequence": if the request is gone by the first
		 * INTA, the 8259A issues an interrupt level 7 (no ISR bit).
		 */
		vec = m->vector_base + 7;
	} else if (irq == I8259_CASCADE_IRQ) {
		sirq = chip_pending(s, false);
		/* The master acknowledges IR2 in either case. */
		chip_ack(m, (unsigned int)irq);
		if (sirq < 0) {
			vec = s->vector_base + 7;	/* spurious IRQ 15 */
		} else {
			chip_ack(s, (unsigned int)sirq);
			vec = s->vector_base + sirq;
		}
	} else {
		chip_ack(m, (unsigned int)irq);
		vec = m->vector_base + irq;
	}
	i8259_update(pic);
	return vec;
}

/* "Operation Command Words (OCWs)", OCW2: EOI and rotation commands. */
static void chip_ocw2(struct i8259_chip *c, uint8_t val)
{
	unsigned int level = val & 7;
	int irq;

	switch (val >> 5) {
	case 0:		/* rotate in AEOI mode (clear) */
		c->rotate_aeoi = false;
		break;
	case 4:		/* rotate in AEOI mode (set) */
		c->rotate_aeoi = true;
		break;
	case 1:		/* non-specific EOI */
	case 5:		/* rotate on non-specific EOI */
		/*
		 * "End of Interrupt": the highest in-service level is reset;
		 * in special mask mode a specific EOI would be needed, but
		 * resetting the highest is what a fully nested guest means.
		 */
		irq = highest(c, c->isr);
		if (irq < 0)
			break;
		c->isr &= (uint8_t)~(1u << irq);
		if (val >> 5 == 5)
			c->lowest = (uint8_t)irq;
		break;
	case 3:		/* specific EOI */
		c->isr &= (uint8_t)~(1u << level);
		break;
	case 7:		/* rotate on specific EOI */
		c->isr &= (uint8_t)~(1u << level);
		c->lowest = (uint8_t)level;
		break;
	case 6:		/* set priority: `level` becomes the lowest */
		c->lowest = (uint8_t)level;
		break;
	default:	/* 2: no operation */
		break;
	}
}

static void chip_ocw3(struct i8259_chip *c, uint8_t val)
{
	if (val & OCW3_RR)
		c->read_isr = val & OCW3_RIS;
	if (val & OCW3_ESMM)
		c->special_mask = val & OCW3_SMM;
	c->poll = val & OCW3_POLL;
}

/*
 * "Initialization Command Words (ICWs)", ICW1: starts the sequence.  The
 * edge sense circuit is reset (an edge-triggered input must go low to
 * high again), IMR is cleared, IR7 gets the lowest priority, special mask
 * mode is cleared, status read is set to IRR, and without IC4 all ICW4
 * functions are zero.
 */
static void chip_icw1(struct i8259_chip *c, uint8_t val)
{
	c->imr = 0;
	c->isr = 0;
	c->lowest = 7;
	c->special_mask = false;
	c->read_isr = false;
	c->poll = false;
	c->rotate_aeoi = false;
	c->auto_eoi = false;
	c->sfnm = false;
	c->icw4_needed = val & ICW1_IC4;
	c->single = val & ICW1_SNGL;
	c->ltim = val & ICW1_LTIM;
	/* Level inputs keep following the line; edges must come anew. */
	c->irr = c->lines & trig_level_mask(c);
	c->init_state = 1;
}

static void chip_write(struct i8259_chip *c, unsigned int port, uint8_t val)
{
	if (port == 0) {
		if (val & ICW1_INIT)
			chip_icw1(c, val);
		else if (val & OCW3_SEL)
			chip_ocw3(c, val);
		else
			chip_ocw2(c, val);
		return;
	}
	switch (c->init_state) {
	case 1:		/* ICW2: T7-T3 of the vector (8086 mode) */
		c->vector_base = val & 0xf8;
		c->init_state = c->single ? (c->icw4_needed ? 3 : 0) : 2;
		break;
	case 2:		/* ICW3: cascade wiring, fixed on a PC; stored */
		c->icw3 = val;
		c->init_state = c->icw4_needed ? 3 : 0;
		break;
	case 3:		/* ICW4 */
		c->auto_eoi = val & ICW4_AEOI;
		c->sfnm = val & ICW4_SFNM;
		c->init_state = 0;
		break;
	default:	/* OCW1: the mask */
		c->imr = val;
		break;
	}
}

/*
 * "Poll Command": the read is treated as an interrupt acknowledge; the
 * byte is 0x80 | level when a request is pending, else 0.
 */
static uint8_t chip_poll(struct i8259 *pic, struct i8259_chip *c)
{
	int irq = chip_pending(c, c == &pic->chip[0]);

	c->poll = false;
	if (irq < 0)
		return 0;
	chip_ack(c, (unsigned int)irq);
	return (uint8_t)(0x80 | irq);
}

static uint8_t chip_read(struct i8259 *pic, struct i8259_chip *c,
			 unsigned int port)
{
	if (c->poll)
		return chip_poll(pic, c);
	if (port == 1)
		return c->imr;
	/* "Reading the 8259A Status": OCW3 chooses IRR or ISR. */
	return c->read_isr ? c->isr : c->irr;
}

static int i8259_io_chip(struct i8259 *pic, unsigned int idx, uint16_t off,
			 unsigned size, bool write, uint32_t *data)
{
	struct i8259_chip *c = &pic->chip[idx];
	uint32_t out = 0;
	unsigned int i;

	if (!pio_size_ok(size) || off >= 2)
		return -EINVAL;
	/* Byte registers: a wide access is split as the ISA bridge does. */
	for (i = 0; i < size; i++) {
		unsigned int port = off + i;
		uint8_t b = 0xff;

		if (port < 2) {
			if (write)
				chip_write(c, port, (uint8_t)(*data >> (8 * i)));
			else
				b = chip_read(pic, c, port);
		}
		out |= (uint32_t)b << (8 * i);
	}
	if (!write)
		*data = out;
	i8259_update(pic);
	return 0;
}

int i8259_io_master(void *opaque, uint16_t port_offset, unsigned size,
		    bool write, uint32_t *data)
{
	return i8259_io_chip(opaque, 0, port_offset, size, write, data);
}

int i8259_io_slave(void *opaque, uint16_t port_offset, unsigned size,
		   bool write, uint32_t *data)
{
	return i8259_io_chip(opaque, 1, port_offset, size, write, data);
}

static int elcr_byte(void *opaque, uint16_t offset, bool write, uint8_t *val)
{
	struct i8259 *pic = opaque;
	struct i8259_chip *c = &pic->chip[offset];

	if (!write) {
		*val = c->elcr;
		return 0;
	}
	c->elcr = *val & c->elcr_mask;
	/* Inputs now level-triggered report their current line level. */
	c->irr = (uint8_t)((c->irr & ~trig_level_mask(c)) |
			   (c->lines & trig_level_mask(c)));
	return 0;
}

int i8259_io_elcr(void *opaque, uint16_t port_offset, unsigned size,
		  bool write, uint32_t *data)
{
	int ret = pio_io_bytewise(opaque, elcr_byte, 2, port_offset, size,
				  write, data);

	i8259_update(opaque);
	return ret;
}

int i8259_register(struct i8259 *pic, struct pio_bus *bus)
{
	int ret;

	ret = pio_bus_register(bus, I8259_MASTER_BASE, 2, i8259_io_master,
			       pic, "i8259-master");
	if (ret)
		return ret;
	ret = pio_bus_register(bus, I8259_SLAVE_BASE, 2, i8259_io_slave,
			       pic, "i8259-slave");
	if (ret)
		return ret;
	return pio_bus_register(bus, I8259_ELCR_BASE, 2, i8259_io_elcr,
				pic, "i8259-elcr");
}

/* --- save and restore --------------------------------------------------- */

#define I8259_STATE_VERSION	1

static void chip_save(const struct i8259_chip *c, struct state_writer *w)
{
	state_put_u8(w, c->irr);
	state_put_u8(w, c->isr);
	state_put_u8(w, c->imr);
	state_put_u8(w, c->lines);
	state_put_u8(w, c->elcr);
	state_put_u8(w, c->elcr_mask);
	state_put_u8(w, c->vector_base);
	state_put_u8(w, c->icw3);
	state_put_u8(w, c->lowest);
	state_put_u8(w, c->init_state);
	state_put_bool(w, c->icw4_needed);
	state_put_bool(w, c->single);
	state_put_bool(w, c->ltim);
	state_put_bool(w, c->auto_eoi);
	state_put_bool(w, c->sfnm);
	state_put_bool(w, c->rotate_aeoi);
	state_put_bool(w, c->special_mask);
	state_put_bool(w, c->read_isr);
	state_put_bool(w, c->poll);
}

static void chip_load(struct i8259_chip *c, struct state_reader *r)
{
	uint8_t mask = c->elcr_mask;

	c->irr = state_get_u8(r);
	c->isr = state_get_u8(r);
	c->imr = state_get_u8(r);
	c->lines = state_get_u8(r);
	c->elcr = state_get_u8(r);
	c->elcr_mask = state_get_u8(r);
	c->vector_base = state_get_u8(r);
	c->icw3 = state_get_u8(r);
	c->lowest = state_get_u8(r);
	c->init_state = state_get_u8(r);
	c->icw4_needed = state_get_bool(r);
	c->single = state_get_bool(r);
	c->ltim = state_get_bool(r);
	c->auto_eoi = state_get_bool(r);
	c->sfnm = state_get_bool(r);
	c->rotate_aeoi = state_get_bool(r);
	c->special_mask = state_get_bool(r);
	c->read_isr = state_get_bool(r);
	c->poll = state_get_bool(r);
	if (c->elcr_mask != mask || (c->elcr & ~mask))
		state_reader_fail(r, "ELCR 0x%x / mask 0x%x: another chipset",
				  c->elcr, c->elcr_mask);
	if (c->lowest > 7 || c->init_state > 3)
		state_reader_fail(r, "lowest priority %u, init state %u",
				  c->lowest, c->init_state);
}

int i8259_save(const struct i8259 *pic, struct state_writer *w)
{
	state_section_begin(w, "i8259", 0, I8259_STATE_VERSION);
	chip_save(&pic->chip[0], w);
	chip_save(&pic->chip[1], w);
	state_put_bool(w, pic->int_level);
	state_section_end(w);
	return state_writer_error(w);
}

int i8259_load(struct i8259 *pic, struct state_reader *r)
{
	struct i8259 t = *pic;
	int ret;

	ret = state_section_open(r, "i8259", 0, I8259_STATE_VERSION, NULL);
	if (ret)
		return ret;
	chip_load(&t.chip[0], r);
	chip_load(&t.chip[1], r);
	t.int_level = state_get_bool(r);
	ret = state_section_close(r);
	if (ret)
		return ret;
	*pic = t;
	return 0;
}
