// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * devices/ps2-kbd.c - a PS/2 keyboard behind the 8042 (see ps2-kbd.h).
 *
 * Commands are those of the IBM PS/2 Keyboard Technical Reference (the
 * "Commands from the system" section) as SeaBIOS (src/hw/ps2port.c) and
 * Linux (drivers/input/keyboard/atkbd.c) send them:
 *   FF reset -> FA AA (self-test passed), defaults, scanning on
 *   FE resend -> the last byte again      F6 defaults -> FA
 *   F5 disable (and defaults) -> FA       F4 enable -> FA
 *   F3 typematic, then its byte -> FA FA  F2 identify -> FA AB 83
 *   F0 scancode set, then 0 (which) or 1/2 -> FA FA [set]
 *   EE echo -> EE                         ED LEDs, then its byte -> FA FA
 * Anything else is answered FE (resend), as the keyboard does for a byte
 * it does not take.  Set 3 is not implemented: F0 03 is answered FE and
 * the set stays.  Answers go ahead of the keys queued.
 */
#include <errno.h>
#include <string.h>

#include "devices/ps2-kbd.h"
#include "state/stream.h"

#define KBD_ACK		0xfa
#define KBD_RESEND	0xfe
#define KBD_BAT_OK	0xaa
#define KBD_ECHO	0xee
#define SET2_BREAK	0xf0
#define SET2_OVERRUN	0x00	/* set 2's overrun code (set 1's is FF) */

/*
 * Linux KEY_* code -> set 2 make code and set 1 make code, with E0 for
 * the extended keys (PS/2 Keyboard Technical Reference, scancode set 1
 * and 2 tables; the same pairs are the 8042's translation).
 */
struct key_code {
	uint16_t key;
	uint8_t s2;
	uint8_t s1;
	bool e0;
};

static const struct key_code keys[] = {
	{ 1, 0x76, 0x01, 0 },	/* ESC */
	{ 2, 0x16, 0x02, 0 }, { 3, 0x1e, 0x03, 0 }, { 4, 0x26, 0x04, 0 },
	{ 5, 0x25, 0x05, 0 }, { 6, 0x2e, 0x06, 0 }, { 7, 0x36, 0x07, 0 },
	{ 8, 0x3d, 0x08, 0 }, { 9, 0x3e, 0x09, 0 }, { 10, 0x46, 0x0a, 0 },
	{ 11, 0x45, 0x0b, 0 },	/* 0 */
	{ 12, 0x4e, 0x0c, 0 }, { 13, 0x55, 0x0d, 0 },	/* - = */
	{ 14, 0x66, 0x0e, 0 }, { 15, 0x0d, 0x0f, 0 },	/* BACKSPACE TAB */
	{ 16, 0x15, 0x10, 0 }, { 17, 0x1d, 0x11, 0 }, { 18, 0x24, 0x12, 0 },
	{ 19, 0x2d, 0x13, 0 }, { 20, 0x2c, 0x14, 0 }, { 21, 0x35, 0x15, 0 },
	{ 22, 0x3c, 0x16, 0 }, { 23, 0x43, 0x17, 0 }, { 24, 0x44, 0x18, 0 },
	{ 25, 0x4d, 0x19, 0 },	/* QWERTYUIOP */
	{ 26, 0x54, 0x1a, 0 }, { 27, 0x5b, 0x1b, 0 },	/* [ ] */
	{ 28, 0x5a, 0x1c, 0 }, { 29, 0x14, 0x1d, 0 },	/* ENTER LEFTCTRL */
	{ 30, 0x1c, 0x1e, 0 }, { 31, 0x1b, 0x1f, 0 }, { 32, 0x23, 0x20, 0 },
	{ 33, 0x2b, 0x21, 0 }, { 34, 0x34, 0x22, 0 }, { 35, 0x33, 0x23, 0 },
	{ 36, 0x3b, 0x24, 0 }, { 37, 0x42, 0x25, 0 }, { 38, 0x4b, 0x26, 0 },
	{ 39, 0x4c, 0x27, 0 }, { 40, 0x52, 0x28, 0 }, { 41, 0x0e, 0x29, 0 },
	{ 42, 0x12, 0x2a, 0 }, { 43, 0x5d, 0x2b, 0 },	/* LEFTSHIFT \ */
	{ 44, 0x1a, 0x2c, 0 }, { 45, 0x22, 0x2d, 0 }, { 46, 0x21, 0x2e, 0 },
	{ 47, 0x2a, 0x2f, 0 }, { 48, 0x32, 0x30, 0 }, { 49, 0x31, 0x31, 0 },
	{ 50, 0x3a, 0x32, 0 }, { 51, 0x41, 0x33, 0 }, { 52, 0x49, 0x34, 0 },
	{ 53, 0x4a, 0x35, 0 }, { 54, 0x59, 0x36, 0 },	/* / RIGHTSHIFT */
	{ 55, 0x7c, 0x37, 0 }, { 56, 0x11, 0x38, 0 },	/* KP* LEFTALT */
	{ 57, 0x29, 0x39, 0 }, { 58, 0x58, 0x3a, 0 },	/* SPACE CAPSLOCK */
	{ 59, 0x05, 0x3b, 0 }, { 60, 0x06, 0x3c, 0 }, { 61, 0x04, 0x3d, 0 },
	{ 62, 0x0c, 0x3e, 0 }, { 63, 0x03, 0x3f, 0 }, { 64, 0x0b, 0x40, 0 },
	{ 65, 0x83, 0x41, 0 }, { 66, 0x0a, 0x42, 0 }, { 67, 0x01, 0x43, 0 },
	{ 68, 0x09, 0x44, 0 },	/* F1-F10 */
	{ 69, 0x77, 0x45, 0 }, { 70, 0x7e, 0x46, 0 },	/* NUMLOCK SCROLLLOCK */
	{ 71, 0x6c, 0x47, 0 }, { 72, 0x75, 0x48, 0 }, { 73, 0x7d, 0x49, 0 },
	{ 74, 0x7b, 0x4a, 0 }, { 75, 0x6b, 0x4b, 0 }, { 76, 0x73, 0x4c, 0 },
	{ 77, 0x74, 0x4d, 0 }, { 78, 0x79, 0x4e, 0 }, { 79, 0x69, 0x4f, 0 },
	{ 80, 0x72, 0x50, 0 }, { 81, 0x7a, 0x51, 0 }, { 82, 0x70, 0x52, 0 },
	{ 83, 0x71, 0x53, 0 },	/* the keypad */
	{ 86, 0x61, 0x56, 0 },	/* 102ND */
	{ 87, 0x78, 0x57, 0 }, { 88, 0x07, 0x58, 0 },	/* F11 F12 */
	{ 96, 0x5a, 0x1c, 1 }, { 97, 0x14, 0x1d, 1 },	/* KPENTER RIGHTCTRL */
	{ 98, 0x4a, 0x35, 1 }, { 100, 0x11, 0x38, 1 },	/* KPSLASH RIGHTALT */
	{ 102, 0x6c, 0x47, 1 }, { 103, 0x75, 0x48, 1 },	/* HOME UP */
	{ 104, 0x7d, 0x49, 1 }, { 105, 0x6b, 0x4b, 1 },	/* PAGEUP LEFT */
	{ 106, 0x74, 0x4d, 1 }, { 107, 0x69, 0x4f, 1 },	/* RIGHT END */
	{ 108, 0x72, 0x50, 1 }, { 109, 0x7a, 0x51, 1 },	/* DOWN PAGEDOWN */
	{ 110, 0x70, 0x52, 1 }, { 111, 0x71, 0x53, 1 },	/* INSERT DELETE */
	{ 125, 0x1f, 0x5b, 1 }, { 126, 0x27, 0x5c, 1 },	/* LEFT/RIGHTMETA */
	{ 127, 0x2f, 0x5d, 1 },	/* COMPOSE (the menu key) */
};

#define KEY_SYSRQ	99	/* Print Screen: a fake-shift sequence */
#define KEY_PAUSE	119	/* make only, no break */

static const uint8_t sysrq_make[] = { 0xe0, 0x12, 0xe0, 0x7c };
static const uint8_t sysrq_break[] = { 0xe0, 0xf0, 0x7c, 0xe0, 0xf0, 0x12 };
static const uint8_t pause_make[] = { 0xe1, 0x14, 0x77, 0xe1, 0xf0, 0x14, 0xf0, 0x77 };

uint8_t ps2_kbd_translate(uint8_t set2)
{
	size_t i;

	if (set2 == SET2_OVERRUN)
		return 0xff;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (keys[i].s2 == set2)
			return keys[i].s1;
	return set2;
}

static void defaults(struct ps2_kbd *kbd)
{
	kbd->set = 2;
	kbd->leds = 0;
	kbd->typematic = 0x2b;	/* 10.9 cps after 500 ms: the default */
}

static void clear_queue(struct ps2_kbd *kbd)
{
	kbd->head = 0;
	kbd->count = 0;
	kbd->overrun = false;
}

void ps2_kbd_init(struct ps2_kbd *kbd)
{
	memset(kbd, 0, sizeof(*kbd));
	defaults(kbd);
	kbd->scanning = true;
}

static void push(struct ps2_kbd *kbd, uint8_t b)
{
	kbd->q[(kbd->head + kbd->count) % PS2_KBD_QUEUE] = b;
	kbd->count++;
}

/*
 * An answer goes ahead of the keys queued (the keyboard stops sending
 * scancodes to answer the system); the newest keys make room for it.
 * Reset and enable clear the keyboard's buffer first (PS/2 Keyboard
 * Technical Reference, commands FF and F4/F5).
 */
static void answer(struct ps2_kbd *kbd, const uint8_t *b, unsigned n)
{
	unsigned i;

	while (kbd->count + n > PS2_KBD_QUEUE)
		kbd->count--;
	kbd->head = (uint8_t)((kbd->head + PS2_KBD_QUEUE - n) % PS2_KBD_QUEUE);
	for (i = 0; i < n; i++)
		kbd->q[(kbd->head + i) % PS2_KBD_QUEUE] = b[i];
	kbd->count = (uint8_t)(kbd->count + n);
}

static void answer1(struct ps2_kbd *kbd, uint8_t b)
{
	answer(kbd, &b, 1);
}

static void argument(struct ps2_kbd *kbd, uint8_t cmd, uint8_t arg)
{
	uint8_t two[2] = { KBD_ACK, 0 };

	switch (cmd) {
	case 0xed:
		kbd->leds = arg & 7;
		answer1(kbd, KBD_ACK);
		break;
	case 0xf3:
		kbd->typematic = arg & 0x7f;
		answer1(kbd, KBD_ACK);
		break;
	case 0xf0:
		if (arg == 0) {
			two[1] = kbd->set;
			answer(kbd, two, 2);
		} else if (arg == 1 || arg == 2) {
			kbd->set = arg;
			answer1(kbd, KBD_ACK);
		} else {
			answer1(kbd, KBD_RESEND);	/* set 3 and the rest */
		}
		break;
	}
}

void ps2_kbd_write(struct ps2_kbd *kbd, uint8_t byte)
{
	static const uint8_t reset_ok[] = { KBD_ACK, KBD_BAT_OK };
	static const uint8_t ident[] = { KBD_ACK, 0xab, 0x83 };
	uint8_t cmd = kbd->pending;

	kbd->pending = 0;
	/* A command byte (ED and up) where an argument was due starts anew. */
	if (cmd && byte < 0xed) {
		argument(kbd, cmd, byte);
		return;
	}
	switch (byte) {
	case 0xff:
		defaults(kbd);
		clear_queue(kbd);
		kbd->scanning = true;
		answer(kbd, reset_ok, sizeof(reset_ok));
		break;
	case 0xfe:
		answer1(kbd, kbd->last);
		break;
	case 0xf6:
		defaults(kbd);
		answer1(kbd, KBD_ACK);
		break;
	case 0xf5:
		defaults(kbd);
		clear_queue(kbd);
		kbd->scanning = false;
		answer1(kbd, KBD_ACK);
		break;
	case 0xf4:
		clear_queue(kbd);
		kbd->scanning = true;
		answer1(kbd, KBD_ACK);
		break;
	case 0xf2:
		answer(kbd, ident, sizeof(ident));
		break;
	case 0xee:
		answer1(kbd, KBD_ECHO);
		break;
	case 0xed:
	case 0xf3:
	case 0xf0:
		kbd->pending = byte;
		answer1(kbd, KBD_ACK);
		break;
	default:
		answer1(kbd, KBD_RESEND);
		break;
	}
}

/* Set 2 bytes as set 1 (the keyboard's own set 1, as the 8042 does it). */
static unsigned to_set1(const uint8_t *in, unsigned n, uint8_t *out)
{
	unsigned i, len = 0;
	bool brk = false;

	for (i = 0; i < n; i++) {
		if (in[i] == SET2_BREAK) {
			brk = true;
			continue;
		}
		out[len++] = (uint8_t)(ps2_kbd_translate(in[i]) | (brk ? 0x80 : 0));
		brk = false;
	}
	return len;
}

int ps2_kbd_key(struct ps2_kbd *kbd, uint16_t code, bool down)
{
	uint8_t seq[8], out[8];
	unsigned n = 0, i;
	size_t k;

	if (code == KEY_SYSRQ) {
		n = down ? sizeof(sysrq_make) : sizeof(sysrq_break);
		memcpy(seq, down ? sysrq_make : sysrq_break, n);
	} else if (code == KEY_PAUSE) {
		if (!down)
			return 0;	/* Pause has no break sequence */
		n = sizeof(pause_make);
		memcpy(seq, pause_make, n);
	} else {
		for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
			if (keys[k].key == code)
				break;
		if (k == sizeof(keys) / sizeof(keys[0]))
			return -EINVAL;
		if (keys[k].e0)
			seq[n++] = 0xe0;
		if (!down)
			seq[n++] = SET2_BREAK;
		seq[n++] = keys[k].s2;
	}
	if (!kbd->scanning)
		return -EAGAIN;
	if (kbd->set == 1) {
		n = to_set1(seq, n, out);
		memcpy(seq, out, n);
	}
	/*
	 * The last place of the 16 is the overrun code's: a sequence that
	 * does not fit whole is dropped, and the overrun code queued once,
	 * until the system has read the queue empty.
	 */
	if (kbd->overrun)
		return -ENOSPC;
	if (kbd->count + n > PS2_KBD_QUEUE - 1) {
		push(kbd, kbd->set == 1 ? 0xff : SET2_OVERRUN);
		kbd->overrun = true;
		return -ENOSPC;
	}
	for (i = 0; i < n; i++)
		push(kbd, seq[i]);
	return 0;
}

bool ps2_kbd_has_data(const struct ps2_kbd *kbd)
{
	return kbd->count != 0;
}

uint8_t ps2_kbd_read(struct ps2_kbd *kbd)
{
	uint8_t b;

	if (!kbd->count)
		return 0;
	b = kbd->q[kbd->head];
	kbd->head = (uint8_t)((kbd->head + 1) % PS2_KBD_QUEUE);
	kbd->count--;
	if (!kbd->count)
		kbd->overrun = false;
	kbd->last = b;
	return b;
}

void ps2_kbd_save(const struct ps2_kbd *kbd, struct state_writer *w)
{
	uint8_t q[PS2_KBD_QUEUE];
	unsigned i;

	/* The queue oldest first, so a load need not trust a head index. */
	for (i = 0; i < PS2_KBD_QUEUE; i++)
		q[i] = kbd->q[(kbd->head + i) % PS2_KBD_QUEUE];
	state_put_u8(w, kbd->count);
	state_put_bytes(w, q, sizeof(q));
	state_put_u8(w, kbd->pending);
	state_put_u8(w, kbd->set);
	state_put_u8(w, kbd->leds);
	state_put_u8(w, kbd->typematic);
	state_put_u8(w, kbd->last);
	state_put_u8(w, kbd->scanning);
	state_put_u8(w, kbd->overrun);
}

void ps2_kbd_load(struct ps2_kbd *kbd, struct state_reader *r)
{
	uint8_t scanning, overrun;

	memset(kbd, 0, sizeof(*kbd));
	kbd->count = state_get_u8(r);
	state_get_bytes(r, kbd->q, sizeof(kbd->q));
	kbd->pending = state_get_u8(r);
	kbd->set = state_get_u8(r);
	kbd->leds = state_get_u8(r);
	kbd->typematic = state_get_u8(r);
	kbd->last = state_get_u8(r);
	scanning = state_get_u8(r);
	overrun = state_get_u8(r);
	kbd->scanning = scanning != 0;
	kbd->overrun = overrun != 0;
	if (kbd->count > PS2_KBD_QUEUE || (kbd->set != 1 && kbd->set != 2) ||
	    (kbd->pending && kbd->pending != 0xed && kbd->pending != 0xf3 &&
	     kbd->pending != 0xf0) || scanning > 1 || overrun > 1)
		state_reader_fail(r, "ps2-kbd: bad state (queue %u, set %u, command %#x)",
				  kbd->count, kbd->set, kbd->pending);
}
