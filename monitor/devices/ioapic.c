// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * devices/ioapic.c - an 82093AA-style I/O APIC.
 *
 * References are to sections of the Intel "82093AA I/O Advanced
 * Programmable Interrupt Controller (IOAPIC)" datasheet, cited by section
 * title, and the Intel SDM Vol. 3A chapter "Advanced Programmable
 * Interrupt Controller (APIC)" for the EOI/Remote IRR handshake.
 *
 * Model and approximations:
 *  - Messages are delivered at once, so Delivery Status (bit 12) always
 *    reads 0 ("Send Pending" never lasts).
 *  - Interrupt Input Pin Polarity (bit 13) is stored but not applied:
 *    ioapic_set_irq() takes the logical (asserted) level, as the board
 *    wiring code knows it; this is what KVM and QEMU do.
 *  - An edge on a masked pin is lost, as the datasheet's "Interrupt Mask"
 *    bit description says ("edge-sensitive interrupts signaled on a masked
 *    interrupt pin are ignored").  A level-triggered pin still asserted
 *    when unmasked is delivered then.
 *  - Accesses other than aligned 32-bit ones at IOREGSEL/IOWIN read
 *    all-ones and are otherwise ignored; unknown register indices read
 *    all-ones too.
 */
#include <errno.h>
#include <string.h>

#include "devices/ioapic.h"
#include "state/stream.h"

#define IOREGSEL	0x00
#define IOWIN		0x10

/* Bits a guest may write in a redirection entry (not 12 or 14). */
#define RTE_WRITABLE	(~(IOAPIC_RTE_DELIVS | IOAPIC_RTE_REMOTE_IRR))

static void ioapic_deliver(struct ioapic *io, unsigned int pin)
{
	uint64_t e = io->rte[pin];
	bool level = e & IOAPIC_RTE_LEVEL;

	if (level)
		io->rte[pin] |= IOAPIC_RTE_REMOTE_IRR;
	if (io->ops.deliver)
		io->ops.deliver(io->opaque, (uint8_t)(e >> IOAPIC_RTE_DEST_SHIFT),
				(uint8_t)!!(e & IOAPIC_RTE_DESTMODE),
				(uint8_t)((e & IOAPIC_RTE_DELMODE) >> 8),
				(uint8_t)(e & IOAPIC_RTE_VECTOR), level);
}

/*
 * A level-triggered pin is delivered while it is asserted, unmasked and
 * not awaiting an EOI (Remote IRR clear): "I/O Redirection Table
 * Registers", bit 14 "Remote IRR".
 */
static void ioapic_service_level(struct ioapic *io, unsigned int pin)
{
	uint64_t e = io->rte[pin];

	if ((e & IOAPIC_RTE_LEVEL) && (io->irr & (1u << pin)) &&
	    !(e & (IOAPIC_RTE_MASKED | IOAPIC_RTE_REMOTE_IRR)))
		ioapic_deliver(io, pin);
}

void ioapic_init(struct ioapic *io, const struct ioapic_ops *ops,
		 void *opaque)
{
	unsigned int i;

	memset(io, 0, sizeof(*io));
	if (ops)
		io->ops = *ops;
	io->opaque = opaque;
	/* "I/O Redirection Table Registers": reset leaves the mask set. */
	for (i = 0; i < IOAPIC_NR_PINS; i++)
		io->rte[i] = IOAPIC_RTE_MASKED;
}

int ioapic_set_irq(struct ioapic *io, unsigned int pin, bool level)
{
	uint32_t bit;
	bool was;

	if (pin >= IOAPIC_NR_PINS)
		return -EINVAL;
	bit = 1u << pin;
	was = io->irr & bit;
	if (level)
		io->irr |= bit;
	else
		io->irr &= ~bit;

	if (io->rte[pin] & IOAPIC_RTE_LEVEL) {
		ioapic_service_level(io, pin);
	} else if (level && !was && !(io->rte[pin] & IOAPIC_RTE_MASKED)) {
		ioapic_deliver(io, pin);	/* rising edge */
	}
	return 0;
}

void ioapic_eoi(struct ioapic *io, uint8_t vector)
{
	unsigned int i;

	for (i = 0; i < IOAPIC_NR_PINS; i++) {
		uint64_t e = io->rte[i];

		if (!(e & IOAPIC_RTE_LEVEL) ||
		    (uint8_t)(e & IOAPIC_RTE_VECTOR) != vector)
			continue;
		io->rte[i] &= ~IOAPIC_RTE_REMOTE_IRR;
		ioapic_service_level(io, i);
	}
}

static uint32_t ioapic_read_reg(const struct ioapic *io, uint8_t idx)
{
	unsigned int pin;

	switch (idx) {
	case IOAPIC_REG_ID:	/* "IOAPICID": bits 27:24 */
		return (uint32_t)io->id << 24;
	case IOAPIC_REG_VER:	/* "IOAPICVER": max entry 23:16, version 7:0 */
		return (uint32_t)(IOAPIC_NR_PINS - 1) << 16 | IOAPIC_VERSION;
	case IOAPIC_REG_ARB:	/* "IOAPICARB": loaded from the ID */
		return (uint32_t)io->id << 24;
	}
	if (idx < IOAPIC_REG_REDTBL || idx >= IOAPIC_REG_REDTBL + 2 * IOAPIC_NR_PINS)
		return 0xffffffffu;
	pin = (idx - IOAPIC_REG_REDTBL) / 2;
	if (idx & 1)
		return (uint32_t)(io->rte[pin] >> 32);
	return (uint32_t)io->rte[pin];
}

static void ioapic_write_reg(struct ioapic *io, uint8_t idx, uint32_t val)
{
	unsigned int pin;
	uint64_t old, e;

	if (idx == IOAPIC_REG_ID) {
		io->id = (val >> 24) & 0xf;
		return;
	}
	if (idx < IOAPIC_REG_REDTBL || idx >= IOAPIC_REG_REDTBL + 2 * IOAPIC_NR_PINS)
		return;		/* version, arbitration: read-only */
	pin = (idx - IOAPIC_REG_REDTBL) / 2;
	old = io->rte[pin];
	if (idx & 1) {
		/* High half: only the destination field, bits 63:56. */
		e = (old & 0xffffffffull) | ((uint64_t)val << 32 & 0xff00000000000000ull);
	} else {
		e = (old & ~0xffffffffull) | (val & RTE_WRITABLE & 0x1ffffull);
		e |= old & (IOAPIC_RTE_DELIVS | IOAPIC_RTE_REMOTE_IRR);
		/* Remote IRR is undefined for edge entries; keep it clear. */
		if (!(e & IOAPIC_RTE_LEVEL))
			e &= ~IOAPIC_RTE_REMOTE_IRR;
	}
	io->rte[pin] = e;
	/* Unmasking (or switching to level) an asserted level pin delivers. */
	ioapic_service_level(io, pin);
}

int ioapic_mmio(struct ioapic *io, uint64_t offset, unsigned size,
		bool write, uint64_t *data)
{
	if (offset >= IOAPIC_MMIO_SIZE) {
		if (!write)
			*data = ~0ull;
		return -EINVAL;
	}
	/* "Register Address Map": 32-bit accesses to IOREGSEL and IOWIN. */
	if (size != 4 || (offset != IOREGSEL && offset != IOWIN)) {
		if (!write)
			*data = ~0ull;
		return 0;
	}
	if (offset == IOREGSEL) {
		if (write)
			io->regsel = (uint8_t)*data;
		else
			*data = io->regsel;
		return 0;
	}
	if (write)
		ioapic_write_reg(io, io->regsel, (uint32_t)*data);
	else
		*data = ioapic_read_reg(io, io->regsel);
	return 0;
}

/* --- save and restore --------------------------------------------------- */

#define IOAPIC_STATE_VERSION	1

int ioapic_save(const struct ioapic *io, struct state_writer *w)
{
	unsigned int i;

	state_section_begin(w, "ioapic", 0, IOAPIC_STATE_VERSION);
	state_put_u8(w, io->id);
	state_put_u8(w, io->regsel);
	state_put_u32(w, io->irr);
	state_put_u8(w, IOAPIC_NR_PINS);
	for (i = 0; i < IOAPIC_NR_PINS; i++)
		state_put_u64(w, io->rte[i]);
	state_section_end(w);
	return state_writer_error(w);
}

int ioapic_load(struct ioapic *io, struct state_reader *r)
{
	struct ioapic t = *io;
	unsigned int i, n;
	int ret;

	ret = state_section_open(r, "ioapic", 0, IOAPIC_STATE_VERSION, NULL);
	if (ret)
		return ret;
	t.id = state_get_u8(r);
	t.regsel = state_get_u8(r);
	t.irr = state_get_u32(r);
	n = state_get_u8(r);
	if (n != IOAPIC_NR_PINS)
		return state_reader_fail(r, "%u pins saved, this I/O APIC has %u",
					 n, IOAPIC_NR_PINS);
	for (i = 0; i < IOAPIC_NR_PINS; i++)
		t.rte[i] = state_get_u64(r);
	if (t.id > 15)
		state_reader_fail(r, "ID %u is wider than 4 bits", t.id);
	if (IOAPIC_NR_PINS < 32 && (t.irr >> IOAPIC_NR_PINS))
		state_reader_fail(r, "IRR 0x%x beyond the pins", t.irr);
	ret = state_section_close(r);
	if (ret)
		return ret;
	*io = t;
	return 0;
}
