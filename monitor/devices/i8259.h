/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * devices/i8259.h - the PC's cascaded pair of 8259A programmable interrupt
 * controllers: master at ports 0x20/0x21 (IRQ 0-7), slave at 0xa0/0xa1
 * (IRQ 8-15) wired to master input 2, and the PIIX/ICH edge/level control
 * registers (ELCR) at 0x4d0/0x4d1.
 *
 * Register semantics follow the Intel "8259A Programmable Interrupt
 * Controller" datasheet (order no. 231468); i8259.c cites its sections.
 *
 * Not thread-safe: the caller serialises every entry point (one device
 * lock).  The output callback runs with that serialisation held and must
 * not call back in.
 */
#ifndef VMAIN_MONITOR_DEVICES_I8259_H
#define VMAIN_MONITOR_DEVICES_I8259_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/pio.h"

#define I8259_MASTER_BASE	0x20
#define I8259_SLAVE_BASE	0xa0
#define I8259_ELCR_BASE		0x4d0
#define I8259_NR_IRQS		16
#define I8259_CASCADE_IRQ	2

struct i8259_ops {
	/* The master's INT output changed to `level` (changes only). */
	void (*output)(void *opaque, bool level);
};

/* One 8259A. */
struct i8259_chip {
	uint8_t irr;		/* interrupt request register */
	uint8_t isr;		/* in-service register */
	uint8_t imr;		/* interrupt mask register (OCW1) */
	uint8_t lines;		/* current input levels (edge detection) */
	uint8_t elcr;		/* 1 = level-triggered input */
	uint8_t elcr_mask;	/* ELCR bits that may be set */
	uint8_t vector_base;	/* ICW2, T7-T3 */
	uint8_t icw3;
	uint8_t lowest;		/* the input with the lowest priority (0-7) */
	uint8_t init_state;	/* 0: ready; 1/2/3: waiting for ICW2/3/4 */
	bool icw4_needed;
	bool single;		/* ICW1 SNGL */
	bool ltim;		/* ICW1 LTIM: all inputs level-triggered */
	bool auto_eoi;		/* ICW4 AEOI */
	bool sfnm;		/* ICW4 special fully nested mode */
	bool rotate_aeoi;	/* OCW2 "rotate in automatic EOI mode" */
	bool special_mask;	/* OCW3 SMM */
	bool read_isr;		/* OCW3 RR/RIS: reads at port 0 give ISR */
	bool poll;		/* OCW3 P: the next port 0 read is a poll */
};

struct i8259 {
	struct i8259_ops ops;
	void *opaque;
	struct i8259_chip chip[2];	/* [0] master, [1] slave */
	bool int_level;			/* master INT as last reported */
};

/* Power-on state: both chips uninitialised, all inputs edge-triggered. */
void i8259_init(struct i8259 *pic, const struct i8259_ops *ops, void *opaque);

/* Bus callbacks (pio_io_fn); `opaque` is the struct i8259. */
int i8259_io_master(void *opaque, uint16_t port_offset, unsigned size,
		    bool write, uint32_t *data);
int i8259_io_slave(void *opaque, uint16_t port_offset, unsigned size,
		   bool write, uint32_t *data);
int i8259_io_elcr(void *opaque, uint16_t port_offset, unsigned size,
		  bool write, uint32_t *data);

/* Claims 0x20-0x21, 0xa0-0xa1 and 0x4d0-0x4d1; -errno from the bus. */
int i8259_register(struct i8259 *pic, struct pio_bus *bus);

/*
 * Drives input `irq` (0-15; 2 is the cascade and is refused) to `level`.
 * Returns 0 or -EINVAL.
 */
int i8259_set_irq(struct i8259 *pic, unsigned int irq, bool level);

/*
 * The vector an INTA cycle would return now, or -1 when INT is not
 * asserted.  Has no side effects.
 */
int i8259_pending(const struct i8259 *pic);

/*
 * The INTA cycle: moves the winning request from IRR to ISR (unless AEOI)
 * and returns its vector.  When nothing is pending any more (the request
 * went away after INT was raised) it returns the spurious vector of
 * IRQ 7 (base + 7, master) or IRQ 15 (slave), with no ISR bit set.
 */
int i8259_ack(struct i8259 *pic);

struct state_writer;
struct state_reader;

/*
 * Save and restore (state/stream.h), section "i8259" / 0: both chips
 * (IRR, ISR, IMR, input levels, ELCR, the ICW/OCW modes, an
 * initialisation in progress, priority rotation) and the master's INT
 * output as last reported.  The load changes `d` only when the section is
 * whole and valid (an ELCR mask of another chipset is refused) and calls
 * no op.
 */
int i8259_save(const struct i8259 *d, struct state_writer *w);
int i8259_load(struct i8259 *d, struct state_reader *r);

#endif
