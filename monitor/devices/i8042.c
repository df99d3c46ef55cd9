// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * devices/i8042.c - the 8042 keyboard controller, a PS/2 keyboard behind it.
 *
 * Command and status semantics follow the IBM PC/AT Technical Reference
 * ("Keyboard Controller" section) and Intel's 8042 datasheet, as Linux's
 * drivers/input/serio/i8042.h uses them.  Commands complete instantly, so
 * the input buffer is never full (IBF = 0).  The keyboard (ps2-kbd.c)
 * gets the data bytes written with no command pending; its bytes move
 * into the output buffer one at a time while that is empty and the
 * keyboard port is enabled, translated to set 1 when the command byte's
 * XLATE bit is set.  IRQ 1 follows "output buffer full with keyboard
 * data" while the command byte enables it (IRQ 12 likewise for aux data,
 * which only D3 makes: no mouse is attached; D4's byte is dropped).
 *
 * Handled commands (port 0x64):
 *   0x20      read the command byte          0x60  write it (next data)
 *   0xA7/0xA8 disable/enable the aux port    0xA9  aux interface test -> 0
 *   0xAA      self-test -> 0x55, sets SYS    0xAB  kbd interface test -> 0
 *   0xAD/0xAE disable/enable the kbd port    0xC0  read input port -> 0
 *   0xD0      read the output port           0xD1  write it (next data;
 *                                                  bit 0 = 0 resets)
 *   0xD2/0xD3 echo the next data byte as if from the keyboard/aux port
 *   0xD4      next data byte to the aux device (dropped)
 *   0xF0-0xFF pulse output port bits 0-3 low; bit 0 of the command clear
 *             pulses the reset line (0xFE is the usual one)
 * Anything else is accepted and ignored; the status stays consistent.
 */
#include <errno.h>
#include <string.h>

#include "devices/i8042.h"
#include "state/stream.h"

#define STR_OBF		0x01	/* output buffer full */
#define STR_IBF		0x02	/* input buffer full (never here) */
#define STR_SYS		0x04	/* system flag */
#define STR_CMD		0x08	/* last write was to 0x64 (A2) */
#define STR_KEYLOCK	0x10	/* 1 = keyboard not inhibited */
#define STR_AUXDATA	0x20	/* output buffer holds aux data */

#define CTR_KBDINT	0x01
#define CTR_AUXINT	0x02
#define CTR_SYS		0x04
#define CTR_KBDDIS	0x10
#define CTR_AUXDIS	0x20
#define CTR_XLATE	0x40

#define OUTPORT_RESET	0x01	/* 0 holds the CPU in reset */
#define OUTPORT_A20	0x02

static void update_irq(struct i8042 *kbc)
{
	bool full = kbc->status & STR_OBF, aux = kbc->status & STR_AUXDATA;
	bool l1 = full && !aux && (kbc->ctr & CTR_KBDINT);
	bool l12 = full && aux && (kbc->ctr & CTR_AUXINT);

	if (l1 != kbc->irq1) {
		kbc->irq1 = l1;
		if (kbc->ops.irq)
			kbc->ops.irq(kbc->opaque, 1, l1);
	}
	if (l12 != kbc->irq12) {
		kbc->irq12 = l12;
		if (kbc->ops.irq)
			kbc->ops.irq(kbc->opaque, 12, l12);
	}
}

/*
 * The 8042's set 2 -> set 1 translation: the keyboard's table, and the
 * scancode-set answers (F0 00 -> 1, 2, 3 read as 43, 41, 3F: the key
 * codes 01 and 03 are F9 and F5, 02 no key's, translated all the same).
 */
static uint8_t translate(uint8_t b)
{
	return b == 0x02 ? 0x41 : ps2_kbd_translate(b);
}

/* Moves the keyboard's next byte into an empty output buffer. */
static void refill(struct i8042 *kbc)
{
	uint8_t b;

	while (!(kbc->status & STR_OBF) && !(kbc->ctr & CTR_KBDDIS) &&
	       ps2_kbd_has_data(&kbc->kbd)) {
		b = ps2_kbd_read(&kbc->kbd);
		if (kbc->ctr & CTR_XLATE) {
			if (b == 0xf0) {
				kbc->xlat_break = true;
				continue;
			}
			b = translate(b);
			if (kbc->xlat_break)
				b |= 0x80;
			kbc->xlat_break = false;
		}
		kbc->outb = b;
		kbc->status = (uint8_t)((kbc->status | STR_OBF) & ~STR_AUXDATA);
	}
	update_irq(kbc);
}

void i8042_init(struct i8042 *kbc, const struct i8042_ops *ops, void *opaque)
{
	memset(kbc, 0, sizeof(*kbc));
	if (ops)
		kbc->ops = *ops;
	kbc->opaque = opaque;
	/* As firmware leaves it: self-test passed, translation, kbd IRQ. */
	kbc->ctr = CTR_KBDINT | CTR_SYS | CTR_XLATE;
	kbc->status = STR_SYS | STR_KEYLOCK;
	kbc->outport = OUTPORT_RESET | OUTPORT_A20;
	ps2_kbd_init(&kbc->kbd);
}

int i8042_key(struct i8042 *kbc, uint16_t code, bool down)
{
	int ret = ps2_kbd_key(&kbc->kbd, code, down);

	refill(kbc);
	return ret;
}

static void put_output(struct i8042 *kbc, uint8_t byte, bool aux)
{
	kbc->outb = byte;
	kbc->status |= STR_OBF;
	if (aux)
		kbc->status |= STR_AUXDATA;
	else
		kbc->status &= (uint8_t)~STR_AUXDATA;
}

static void pulse_reset(struct i8042 *kbc)
{
	if (kbc->ops.reset)
		kbc->ops.reset(kbc->opaque);
}

static void set_ctr(struct i8042 *kbc, uint8_t v)
{
	kbc->ctr = v;
	/* The SYS status bit follows command byte bit 2. */
	if (v & CTR_SYS)
		kbc->status |= STR_SYS;
	else
		kbc->status &= (uint8_t)~STR_SYS;
}

static void command(struct i8042 *kbc, uint8_t cmd)
{
	kbc->pending = 0;
	switch (cmd) {
	case 0x20:
		put_output(kbc, kbc->ctr, false);
		break;
	case 0x60:
	case 0xd1:
	case 0xd2:
	case 0xd3:
	case 0xd4:
		kbc->pending = cmd;	/* takes the next data byte */
		break;
	case 0xa7:
		kbc->ctr |= CTR_AUXDIS;
		break;
	case 0xa8:
		kbc->ctr &= (uint8_t)~CTR_AUXDIS;
		break;
	case 0xa9:
	case 0xab:
		put_output(kbc, 0x00, false);	/* interface OK */
		break;
	case 0xaa:
		kbc->status |= STR_SYS;
		put_output(kbc, 0x55, false);
		break;
	case 0xad:
		kbc->ctr |= CTR_KBDDIS;
		break;
	case 0xae:
		kbc->ctr &= (uint8_t)~CTR_KBDDIS;
		break;
	case 0xc0:
		put_output(kbc, 0x00, false);
		break;
	case 0xd0:
		put_output(kbc, kbc->outport |
			   ((kbc->status & STR_OBF) ? 0x10 : 0), false);
		break;
	default:
		/* 0xF0-0xFF: pulse the output port lines whose bit is 0. */
		if (cmd >= 0xf0 && !(cmd & OUTPORT_RESET))
			pulse_reset(kbc);
		break;
	}
}

static void data_write(struct i8042 *kbc, uint8_t v)
{
	uint8_t cmd = kbc->pending;

	kbc->pending = 0;
	switch (cmd) {
	case 0x60:
		set_ctr(kbc, v);
		break;
	case 0xd1:
		/* Writing the output port with bit 0 clear resets the CPU. */
		kbc->outport = v | OUTPORT_RESET;
		if (!(v & OUTPORT_RESET))
			pulse_reset(kbc);
		break;
	case 0xd2:
		put_output(kbc, v, false);
		break;
	case 0xd3:
		put_output(kbc, v, true);
		break;
	case 0xd4:
		break;	/* for the aux device: none is attached */
	default:
		ps2_kbd_write(&kbc->kbd, v);
		break;
	}
}

static uint8_t data_read(struct i8042 *kbc)
{
	/* An empty buffer reads its last value, as on the real part. */
	kbc->status &= (uint8_t)~(STR_OBF | STR_AUXDATA);
	return kbc->outb;
}

int i8042_io(void *opaque, uint16_t port_offset, unsigned size, bool write,
	     uint32_t *data)
{
	struct i8042 *kbc = opaque;
	uint8_t v = (uint8_t)*data;

	if (!pio_size_ok(size) || (port_offset != 0 && port_offset != 4))
		return -EINVAL;

	if (port_offset == 0) {
		if (write) {
			kbc->status &= (uint8_t)~STR_CMD;
			data_write(kbc, v);
		} else {
			v = data_read(kbc);
		}
		refill(kbc);
	} else {
		if (write) {
			kbc->status |= STR_CMD;
			command(kbc, v);
			refill(kbc);
		} else {
			v = kbc->status;
		}
	}
	if (!write)
		*data = (pio_ones(size) & ~0xffu) | v;
	return 0;
}

int i8042_data_io(void *opaque, uint16_t port_offset, unsigned size,
		  bool write, uint32_t *data)
{
	if (port_offset != 0)
		return -EINVAL;
	return i8042_io(opaque, 0, size, write, data);
}

int i8042_cmd_io(void *opaque, uint16_t port_offset, unsigned size,
		 bool write, uint32_t *data)
{
	if (port_offset != 0)
		return -EINVAL;
	return i8042_io(opaque, 4, size, write, data);
}

int i8042_register(struct i8042 *kbc, struct pio_bus *bus)
{
	int ret;

	ret = pio_bus_register(bus, I8042_DATA_PORT, 1, i8042_data_io, kbc,
			       "i8042-data");
	if (ret)
		return ret;
	return pio_bus_register(bus, I8042_CMD_PORT, 1, i8042_cmd_io, kbc,
				"i8042-cmd");
}

/* --- save and restore --------------------------------------------------- */

#define I8042_STATE_VERSION	2	/* 2: the keyboard */

int i8042_save(const struct i8042 *k, struct state_writer *w)
{
	state_section_begin(w, "i8042", 0, I8042_STATE_VERSION);
	state_put_u8(w, k->status);
	state_put_u8(w, k->ctr);
	state_put_u8(w, k->outb);
	state_put_u8(w, k->pending);
	state_put_u8(w, k->outport);
	state_put_u8(w, k->xlat_break);
	ps2_kbd_save(&k->kbd, w);
	state_section_end(w);
	return state_writer_error(w);
}

int i8042_load(struct i8042 *k, struct state_reader *r)
{
	uint8_t status, ctr, outb, pending, outport, brk = 0;
	struct ps2_kbd kbd;
	uint32_t version;
	int ret;

	ps2_kbd_init(&kbd);
	ret = state_section_open(r, "i8042", 0, I8042_STATE_VERSION, &version);
	if (ret)
		return ret;
	status = state_get_u8(r);
	ctr = state_get_u8(r);
	outb = state_get_u8(r);
	pending = state_get_u8(r);
	outport = state_get_u8(r);
	if (version >= 2) {
		brk = state_get_u8(r);
		if (brk > 1)
			state_reader_fail(r, "i8042: bad translation flag %u", brk);
		ps2_kbd_load(&kbd, r);
	}
	ret = state_section_close(r);
	if (ret)
		return ret;
	k->status = status;
	k->ctr = ctr;
	k->outb = outb;
	k->pending = pending;
	k->outport = outport;
	k->xlat_break = brk;
	k->kbd = kbd;
	k->irq1 = (status & STR_OBF) && !(status & STR_AUXDATA) && (ctr & CTR_KBDINT);
	k->irq12 = (status & STR_OBF) && (status & STR_AUXDATA) && (ctr & CTR_AUXINT);
	return 0;
}
