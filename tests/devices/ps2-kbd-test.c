// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ps2-kbd-test.c - the PS/2 keyboard (monitor/devices/ps2-kbd.c) behind
 * the 8042 (i8042.c), driven through ports 0x60/0x64 as SeaBIOS's
 * ps2port.c and Linux's i8042/atkbd probe it: controller self-test and
 * interface test, command byte, keyboard reset/identify/LEDs/scancode
 * set/echo/resend, unknown bytes, key scancodes in set 1 (translated by
 * the controller and the keyboard's own) and raw set 2, the 16-byte
 * queue's overrun, the IRQ 1/12 lines, save and load.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "tap.h"
#include "devices/i8042.h"
#include "state/stream.h"

static struct i8042 kbc;
static bool line[16];
static unsigned edges[16];

static void on_irq(void *opaque, unsigned irq, bool level)
{
	(void)opaque;
	if (irq < 16) {
		line[irq] = level;
		edges[irq]++;
	}
}

static const struct i8042_ops ops = { .irq = on_irq };

static uint8_t io(struct i8042 *k, uint16_t off, bool write, uint8_t v)
{
	uint32_t d = v;

	if (i8042_io(k, off, 1, write, &d))
		tap_diag("i8042_io %u failed", off);
	return (uint8_t)d;
}

static uint8_t status(void) { return io(&kbc, 4, false, 0); }
static void cmd(uint8_t c) { io(&kbc, 4, true, c); }
static void data(uint8_t v) { io(&kbc, 0, true, v); }

/* Reads the output buffer while it is full (as a polling BIOS does). */
static unsigned drain_k(struct i8042 *k, uint8_t *out, unsigned max)
{
	unsigned n = 0;

	while (n < max && (io(k, 4, false, 0) & 0x01))
		out[n++] = io(k, 0, false, 0);
	return n;
}

static unsigned drain(uint8_t *out, unsigned max)
{
	return drain_k(&kbc, out, max);
}

/* Exactly `want` comes out, and then the buffer is empty. */
static int expect(const uint8_t *want, unsigned n)
{
	uint8_t got[40];
	unsigned i, m = drain(got, sizeof(got));

	if (m == n && !memcmp(got, want, n))
		return 1;
	for (i = 0; i < m; i++)
		tap_diag("  got[%u] = %#x", i, got[i]);
	return 0;
}

#define EXPECT(...) ({ static const uint8_t w_[] = { __VA_ARGS__ }; expect(w_, sizeof(w_)); })

static void set_ctr(uint8_t v)
{
	cmd(0x60);
	data(v);
}

static void test_probe(void)
{
	i8042_init(&kbc, &ops, NULL);
	/* SeaBIOS: flush, self-test, interface test, then the keyboard. */
	tap_ok(!(status() & 0x01), "probe: output buffer empty at start");
	cmd(0xaa);
	tap_ok(EXPECT(0x55), "probe: controller self-test 0x55");
	cmd(0xab);
	tap_ok(EXPECT(0x00), "probe: keyboard interface test 0");
	cmd(0x20);
	tap_ok(EXPECT(0x45), "probe: command byte 0x45 (XLATE, SYS, KBDINT)");
	set_ctr(0x54);	/* keyboard port off, interrupts off */
	data(0xff);
	tap_ok(!(status() & 0x01), "probe: keyboard port disabled: answer held");
	set_ctr(0x44);
	tap_ok(EXPECT(0xfa, 0xaa), "reset FF: FA AA");
	data(0xf5);
	tap_ok(EXPECT(0xfa), "disable F5: FA");
	data(0xf2);
	tap_ok(EXPECT(0xfa, 0xab, 0x41), "identify F2 (translated): FA AB 41");
	set_ctr(0x04);
	data(0xf2);
	tap_ok(EXPECT(0xfa, 0xab, 0x83), "identify F2 (raw): FA AB 83");
	data(0xed);
	tap_ok(EXPECT(0xfa), "set LEDs ED: FA");
	data(0x06);
	tap_ok(EXPECT(0xfa) && kbc.kbd.leds == 6, "LED byte 06: FA, num+caps lit");
	data(0xf3);
	data(0x20);
	tap_ok(EXPECT(0xfa, 0xfa) && kbc.kbd.typematic == 0x20, "typematic F3 20: FA FA");
	data(0xf0);
	data(0x00);
	tap_ok(EXPECT(0xfa, 0xfa, 0x02), "scancode set query F0 00 (raw): FA FA 02");
	set_ctr(0x44);
	data(0xf0);
	data(0x00);
	tap_ok(EXPECT(0xfa, 0xfa, 0x41), "scancode set query (translated): 41 for set 2");
	data(0xf0);
	data(0x03);
	tap_ok(EXPECT(0xfa, 0xfe) && kbc.kbd.set == 2, "set 3 refused: FA FE, set 2 kept");
	data(0xee);
	tap_ok(EXPECT(0xee), "echo EE: EE");
	data(0x88);
	tap_ok(EXPECT(0xfe), "unknown byte 88: FE (resend)");
	data(0x12);
	tap_ok(EXPECT(0xfe), "unknown byte 12: FE");
	data(0xfe);
	tap_ok(EXPECT(0xfe), "resend FE: the last byte again");
	data(0xed);
	data(0xf4);	/* a command where the LED byte was due */
	tap_ok(EXPECT(0xfa, 0xfa) && kbc.kbd.scanning && kbc.kbd.leds == 6,
	       "ED then F4: F4 taken as a command, LEDs unchanged");
	data(0xf6);
	tap_ok(EXPECT(0xfa) && kbc.kbd.set == 2 && kbc.kbd.leds == 0, "defaults F6: FA");
	tap_ok(i8042_key(&kbc, 0x2ff, true) == -EINVAL && !(status() & 1),
	       "unknown key code: -EINVAL, nothing queued");
	data(0xf5);
	tap_ok(EXPECT(0xfa) && i8042_key(&kbc, 30, true) == -EAGAIN && !(status() & 1),
	       "scanning off (F5): a key is not queued");
	data(0xf4);
	(void)EXPECT(0xfa);
}

struct keycase {
	uint16_t key;
	const char *name;
	uint8_t make[8], nmake;
	uint8_t brk[8], nbrk;
};

/* Press and release `c`, expect its bytes. */
static int key_seq(const struct keycase *c)
{
	bool ok;

	i8042_key(&kbc, c->key, true);
	ok = expect(c->make, c->nmake);
	i8042_key(&kbc, c->key, false);
	return expect(c->brk, c->nbrk) && ok;
}

static void test_scancodes(void)
{
	static const struct keycase set1[] = {
		{ 30, "A", { 0x1e }, 1, { 0x9e }, 1 },
		{ 28, "Enter", { 0x1c }, 1, { 0x9c }, 1 },
		{ 1, "Esc", { 0x01 }, 1, { 0x81 }, 1 },
		{ 65, "F7", { 0x41 }, 1, { 0xc1 }, 1 },
		{ 88, "F12", { 0x58 }, 1, { 0xd8 }, 1 },
		{ 57, "Space", { 0x39 }, 1, { 0xb9 }, 1 },
		{ 103, "Up", { 0xe0, 0x48 }, 2, { 0xe0, 0xc8 }, 2 },
		{ 108, "Down", { 0xe0, 0x50 }, 2, { 0xe0, 0xd0 }, 2 },
		{ 96, "KPEnter", { 0xe0, 0x1c }, 2, { 0xe0, 0x9c }, 2 },
		{ 97, "RightCtrl", { 0xe0, 0x1d }, 2, { 0xe0, 0x9d }, 2 },
		{ 125, "LeftMeta", { 0xe0, 0x5b }, 2, { 0xe0, 0xdb }, 2 },
		{ 99, "PrintScreen", { 0xe0, 0x2a, 0xe0, 0x37 }, 4,
		  { 0xe0, 0xb7, 0xe0, 0xaa }, 4 },
		{ 119, "Pause", { 0xe1, 0x1d, 0x45, 0xe1, 0x9d, 0xc5 }, 6, { 0 }, 0 },
	};
	static const struct keycase set2[] = {
		{ 30, "A", { 0x1c }, 1, { 0xf0, 0x1c }, 2 },
		{ 28, "Enter", { 0x5a }, 1, { 0xf0, 0x5a }, 2 },
		{ 65, "F7", { 0x83 }, 1, { 0xf0, 0x83 }, 2 },
		{ 103, "Up", { 0xe0, 0x75 }, 2, { 0xe0, 0xf0, 0x75 }, 3 },
		{ 99, "PrintScreen", { 0xe0, 0x12, 0xe0, 0x7c }, 4,
		  { 0xe0, 0xf0, 0x7c, 0xe0, 0xf0, 0x12 }, 6 },
		{ 119, "Pause", { 0xe1, 0x14, 0x77, 0xe1, 0xf0, 0x14, 0xf0, 0x77 }, 8,
		  { 0 }, 0 },
	};
	size_t i;

	i8042_init(&kbc, &ops, NULL);
	for (i = 0; i < sizeof(set1) / sizeof(set1[0]); i++)
		tap_ok(key_seq(&set1[i]), "set 1 through the 8042's translation: %s",
		       set1[i].name);
	set_ctr(0x05);	/* XLATE off */
	for (i = 0; i < sizeof(set2) / sizeof(set2[0]); i++)
		tap_ok(key_seq(&set2[i]), "raw set 2: %s", set2[i].name);
	data(0xf0);
	data(0x01);
	(void)EXPECT(0xfa, 0xfa);
	for (i = 0; i < sizeof(set1) / sizeof(set1[0]); i++)
		tap_ok(key_seq(&set1[i]), "the keyboard's own set 1 (F0 01): %s",
		       set1[i].name);
}

static void test_overrun_irq(void)
{
	uint8_t got[32];
	unsigned i, n, fail = 0;

	i8042_init(&kbc, &ops, NULL);
	memset(line, 0, sizeof(line));
	memset(edges, 0, sizeof(edges));
	cmd(0xad);	/* keyboard port off: the bytes stay in the keyboard */
	for (i = 0; i < 15; i++)
		fail += i8042_key(&kbc, (uint16_t)(16 + i), true) != 0;
	tap_ok(fail == 0, "15 keys fit the 16-byte queue (one place kept)");
	tap_ok(i8042_key(&kbc, 44, true) == -ENOSPC && i8042_key(&kbc, 45, true) == -ENOSPC,
	       "the 16th and 17th: -ENOSPC");
	cmd(0xae);
	n = drain(got, sizeof(got));
	tap_ok(n == 16 && got[0] == 0x10 && got[14] == 0x1e && got[15] == 0xff,
	       "read back: 15 make codes, then the overrun code (FF translated)");
	tap_ok(i8042_key(&kbc, 30, true) == 0 && EXPECT(0x1e),
	       "after the queue drained, keys queue again");
	tap_ok(line[1] == false && edges[1] >= 2, "IRQ 1 rose and fell with the buffer");
	edges[1] = 0;
	i8042_key(&kbc, 30, false);
	tap_ok(line[1] && edges[1] == 1, "a key raises IRQ 1 (KBDINT set)");
	(void)io(&kbc, 0, false, 0);
	tap_ok(!line[1], "reading the byte lowers IRQ 1");
	set_ctr(0x44);	/* KBDINT clear */
	edges[1] = 0;
	i8042_key(&kbc, 30, true);
	tap_ok(!line[1] && edges[1] == 0 && (status() & 1), "KBDINT clear: no IRQ 1, OBF set");
	(void)drain(got, sizeof(got));
	set_ctr(0x46);	/* AUXINT */
	cmd(0xd3);
	data(0x08);
	tap_ok(line[12] && !line[1] && (status() & 0x21) == 0x21, "aux data (D3) raises IRQ 12");
	(void)io(&kbc, 0, false, 0);
	tap_ok(!line[12], "reading it lowers IRQ 12");
}

static void test_save_load(void)
{
	struct i8042 a, b;
	struct state_writer w;
	struct state_reader r;
	const uint8_t *buf;
	uint8_t ga[32], gb[32];
	unsigned na, nb;
	size_t len;
	int err;

	i8042_init(&a, &ops, NULL);
	io(&a, 0, true, 0xed);	/* LEDs: the byte is due */
	(void)drain_k(&a, ga, sizeof(ga));
	io(&a, 4, true, 0xad);
	i8042_key(&a, 103, true);	/* E0 75 queued behind a disabled port */
	i8042_key(&a, 30, false);	/* F0 1C */
	state_writer_init(&w);
	tap_ok(i8042_save(&a, &w) == 0, "save: keys queued, an LED byte due");
	buf = state_writer_data(&w, &len, &err);
	i8042_init(&b, &ops, NULL);
	state_reader_init(&r, buf, len);
	tap_ok(i8042_load(&b, &r) == 0 && state_reader_at_end(&r),
	       "load: into a fresh controller (%s)", state_reader_msg(&r));
	io(&a, 4, true, 0xae);
	io(&b, 4, true, 0xae);
	na = drain_k(&a, ga, sizeof(ga));
	nb = drain_k(&b, gb, sizeof(gb));
	tap_ok(na == 3 && na == nb && !memcmp(ga, gb, na) && gb[2] == 0x9e,
	       "load: the same bytes come out (E0 48 then 9E)");
	io(&a, 0, true, 0x02);
	io(&b, 0, true, 0x02);
	tap_ok(b.kbd.leds == 2 && drain_k(&b, gb, 4) == 1 && gb[0] == 0xfa,
	       "load: the LED byte due is taken (FA)");
	state_reader_init(&r, buf, len - 1);
	tap_ok(i8042_load(&b, &r) == -EBADMSG, "load: a truncated section is refused");
	state_writer_free(&w);

	/* A version 1 section (before the keyboard) loads with a fresh one. */
	state_writer_init(&w);
	state_section_begin(&w, "i8042", 0, 1);
	state_put_u8(&w, 0x14);
	state_put_u8(&w, 0x45);
	state_put_u8(&w, 0);
	state_put_u8(&w, 0);
	state_put_u8(&w, 0x03);
	state_section_end(&w);
	buf = state_writer_data(&w, &len, &err);
	state_reader_init(&r, buf, len);
	tap_ok(i8042_load(&b, &r) == 0 && !b.kbd.count && b.kbd.set == 2 && b.kbd.scanning,
	       "load: version 1 gets a fresh keyboard");
	state_writer_free(&w);

	/* A queue count past 16 is refused, the controller untouched. */
	i8042_init(&a, &ops, NULL);
	a.kbd.count = 17;
	state_writer_init(&w);
	i8042_save(&a, &w);
	buf = state_writer_data(&w, &len, &err);
	state_reader_init(&r, buf, len);
	b.kbd.leds = 5;
	tap_ok(i8042_load(&b, &r) < 0 && b.kbd.leds == 5,
	       "load: a queue of 17 bytes refused, nothing changed");
	state_writer_free(&w);
}

int main(void)
{
	test_probe();
	test_scancodes();
	test_overrun_irq();
	test_save_load();
	return tap_done();
}
