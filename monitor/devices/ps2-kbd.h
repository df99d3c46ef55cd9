/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * devices/ps2-kbd.h - a PS/2 (AT-compatible MF-II) keyboard, the device
 * on the 8042's first port (devices/i8042.c).  It takes command bytes
 * from the controller, answers them and queues scancodes for the
 * display's key input (Linux KEY_* codes) in set 2 (or set 1 when the
 * guest selects it).  The controller pulls queued bytes one at a time.
 *
 * Not thread-safe: the caller serialises every call (the machine lock).
 */
#ifndef VMAIN_MONITOR_DEVICES_PS2_KBD_H
#define VMAIN_MONITOR_DEVICES_PS2_KBD_H

#include <stdbool.h>
#include <stdint.h>

/* A real keyboard's buffer is 16 bytes; the 17th key is an overrun. */
#define PS2_KBD_QUEUE	16

struct ps2_kbd {
	uint8_t q[PS2_KBD_QUEUE];
	uint8_t head;		/* index of the oldest byte */
	uint8_t count;		/* bytes queued */
	uint8_t pending;	/* a command waiting for its argument, or 0 */
	uint8_t set;		/* scancode set, 1 or 2 */
	uint8_t leds;		/* ED's argument: bit 0 scroll, 1 num, 2 caps */
	uint8_t typematic;	/* F3's argument */
	uint8_t last;		/* the last byte handed out, for FE (resend) */
	bool scanning;		/* F4: keys are reported; F5/reset: not */
	bool overrun;		/* an overrun code is queued; keys dropped */
};

void ps2_kbd_init(struct ps2_kbd *kbd);

/* A byte the guest sent to the keyboard (through the 8042's port 0x60). */
void ps2_kbd_write(struct ps2_kbd *kbd, uint8_t byte);

/*
 * A key (Linux KEY_* code) pressed or released on the display: queues its
 * make or break sequence.  Returns -EINVAL for a key the table lacks,
 * -EAGAIN while the guest has scanning off, -ENOSPC when the queue
 * overran (the overrun code is queued instead, as a real keyboard does).
 */
int ps2_kbd_key(struct ps2_kbd *kbd, uint16_t code, bool down);

bool ps2_kbd_has_data(const struct ps2_kbd *kbd);
/* The oldest queued byte (0 when empty: the caller checks first). */
uint8_t ps2_kbd_read(struct ps2_kbd *kbd);

/*
 * The 8042's translation (command byte bit 6) of a set 2 byte to set 1,
 * without the break prefix F0 (the controller ORs 0x80 into the byte after
 * it).  Bytes that are not set 2 key codes (ACK, BAT, prefixes) pass.
 */
uint8_t ps2_kbd_translate(uint8_t set2);

struct state_writer;
struct state_reader;

/* Fields of the 8042's section (devices/i8042.c), in this order. */
void ps2_kbd_save(const struct ps2_kbd *kbd, struct state_writer *w);
/* Reads into `kbd`; the caller copies it only when the section is whole. */
void ps2_kbd_load(struct ps2_kbd *kbd, struct state_reader *r);

#endif
