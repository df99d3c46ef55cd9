// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * virtio-input-test.c - the virtio input device (monitor/devices/
 * virtio-input.c) driven like a guest driver through PCI: each kind's
 * configuration (5.8.4), the host calls' events on eventq, the bounded
 * ring of waiting events (delivery in order, whole groups only, drops
 * counted, coalesced positions), LEDs on statusq, reset, save and
 * restore with crafted bad states.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <linux/input.h>

#include "tap.h"
#include "devices/pci.h"
#include "devices/virtio-input.h"
#include "display/display.h"
#include "le.h"
#include "state/stream.h"

/* --- a small virtio-pci driver over a fake guest (shared by the virtio tests) --- */
#include "virtio-driver.h"
}
/* --- end of the driver --- */

#include "state-patch.h"

#define VER1		(1ull << VIRTIO_F_VERSION_1)
#define EVBUF		0x200000ull	/* eventq buffer of descriptor d: EVBUF + 8 d */
#define STBUF		0x280000ull	/* statusq buffers */
#define DEV(off)	(VIRTIO_PCI_DEVICE_OFF + (off))

static const struct pci_bus_ops bus_ops = { .msi = on_msi, .set_irq = on_irq };
static struct virtio_input dev;
static struct dq evq, stq;
static uint8_t df;

/* --- configuration ------------------------------------------------------ */

/* Selects (select, subsel); returns the size the device answers. */
static unsigned cfg_sel(uint8_t select, uint8_t subsel)
{
	bar_wr(DEV(VIRTIO_INPUT_CFG_SELECT), 1, select);
	bar_wr(DEV(VIRTIO_INPUT_CFG_SUBSEL), 1, subsel);
	return (unsigned)bar_rd(DEV(VIRTIO_INPUT_CFG_SIZE), 1);
}

static unsigned cfg_u8(unsigned i)
{
	return (unsigned)bar_rd(DEV(VIRTIO_INPUT_CFG_U + i), 1);
}

/* Is bit `code` set in the answer (read byte by byte, as Linux does)? */
static bool cfg_bit(unsigned code)
{
	return cfg_u8(code / 8) >> code % 8 & 1;
}

/* The string answer (size bytes) equals s? */
static bool cfg_str(const char *s)
{
	unsigned i, n = (unsigned)bar_rd(DEV(VIRTIO_INPUT_CFG_SIZE), 1);

	if (n != strlen(s))
		return false;
	for (i = 0; i < n; i++)
		if (cfg_u8(i) != (uint8_t)s[i])
			return false;
	return true;
}

/* Every answer byte from `from` on reads 0? */
static bool cfg_zero_from(unsigned from)
{
	unsigned i;

	for (i = from; i < VIRTIO_INPUT_CFG_U_LEN; i++)
		if (cfg_u8(i))
			return false;
	return true;
}

/* --- the driver's queues ------------------------------------------------ */

/* A fresh bus with a device of `kind` at 01.0, its BAR mapped; no driver yet. */
static int new_dev(enum virtio_input_kind kind)
{
	int ret;

	pci_bus_init(&bus, &bus_ops, NULL);
	ret = virtio_input_init(&dev, &bus, 1, &mem, kind);
	if (ret >= 0) {
		df = (uint8_t)ret;
		map_bar(df);
	}
	return ret;
}

/* The driver: features, both queues (eventq of `evsize`), DRIVER_OK. */
static bool driver_up(uint16_t evsize)
{
	bool ok = negotiate(VER1) == 0x0b &&
		  setup_queue(&evq, VIRTIO_INPUT_EVENTQ, evsize, VIRTIO_PCI_NO_VECTOR) == 1 &&
		  setup_queue(&stq, VIRTIO_INPUT_STATUSQ, 16, VIRTIO_PCI_NO_VECTOR) == 1;

	driver_ok();
	return ok && (bar_rd(COMMON(VIRTIO_PCI_COMMON_STATUS), 1) & VIRTIO_STATUS_DRIVER_OK);
}

/* Makes n eventq buffers available (no notification). */
static void add_bufs(unsigned n)
{
	while (n--) {
		uint16_t d = evq.next_desc % evq.size;

		memset(mem.base + EVBUF + 8ull * d, 0xee, 8);
		dq_add(&evq, EVBUF + 8ull * d, 8, true);
	}
}

struct ev {
	uint16_t type, code;
	uint32_t value;
};

/* Takes up to max used eventq entries as events; returns how many. */
static unsigned take(struct ev *out, unsigned max)
{
	uint32_t id, len;
	unsigned n = 0;

	while (n < max && dq_used(&evq, &id, &len)) {
		uint64_t gpa = EVBUF + 8ull * id;

		if (len != 8 || id >= evq.size)
			return 1000;	/* no event fails every caller's count */
		out[n].type = gr16(gpa);
		out[n].code = gr16(gpa + 2);
		out[n].value = gr32(gpa + 4);
		n++;
	}
	return n;
}

static bool is_ev(const struct ev *e, uint16_t type, uint16_t code, uint32_t value)
{
	return e->type == type && e->code == code && e->value == value;
}

static bool is_syn(const struct ev *e)
{
	return is_ev(e, EV_SYN, SYN_REPORT, 0);
}

/* Nothing new on the used ring? */
static bool none_used(void)
{
	return gr16(evq.used + 2) == evq.used_seen;
}

/* Buffers the device can still fill (added, not yet used). */
static unsigned bufs_avail(void)
{
	return (uint16_t)(evq.avail_idx - gr16(evq.used + 2));
}

/* take(), then eventq full of buffers again (for the event tests). */
static unsigned take_refill(struct ev *out, unsigned max)
{
	unsigned n = take(out, max);

	add_bufs(evq.size - bufs_avail());
	return n;
}

/* Sends one LED event on statusq (a one-buffer chain of `len` bytes). */
static void status_send(uint16_t type, uint16_t code, uint32_t value, uint32_t len)
{
	uint16_t d = stq.next_desc % stq.size;
	uint64_t gpa = STBUF + 16ull * d;

	g16(gpa, type);
	g16(gpa + 2, code);
	g32(gpa + 4, value);
	dq_add(&stq, gpa, len, false);
	kick(VIRTIO_INPUT_STATUSQ);
}


/* Status handshake down to 0 (a reset, 2.4), then the driver again. */
static bool reset_and_up(uint16_t evsize)
{
	bar_wr(COMMON(VIRTIO_PCI_COMMON_STATUS), 1, 0);
	return bar_rd(COMMON(VIRTIO_PCI_COMMON_STATUS), 1) == 0 && driver_up(evsize);
}

/* --- the driver coming and going (the machine's pointer mode) ----------- */

static unsigned ready_calls;

static void count_ready(void *opaque)
{
	(void)opaque;
	ready_calls++;
}

static void test_ready(void)
{
	virtio_input_on_ready_changed(&dev, count_ready, NULL);
	ready_calls = 0;
	bar_wr(COMMON(VIRTIO_PCI_COMMON_STATUS), 1, 0);
	tap_ok(!virtio_input_driver_ready(&dev) && ready_calls == 1,
	       "ready: a reset: no driver, one call");
	bar_wr(COMMON(VIRTIO_PCI_COMMON_STATUS), 1, 0);
	tap_ok(ready_calls == 1, "ready: a second reset: no call");
	tap_ok(negotiate(VER1) == 0x0b && !virtio_input_driver_ready(&dev) && ready_calls == 1,
	       "ready: FEATURES_OK is not a driver yet");
	tap_ok(setup_queue(&evq, VIRTIO_INPUT_EVENTQ, 16, VIRTIO_PCI_NO_VECTOR) == 1 &&
	       setup_queue(&stq, VIRTIO_INPUT_STATUSQ, 16, VIRTIO_PCI_NO_VECTOR) == 1, "ready: queues");
	driver_ok();
	tap_ok(virtio_input_driver_ready(&dev) && ready_calls == 2,
	       "ready: DRIVER_OK: a driver, one call");
	kick(VIRTIO_INPUT_EVENTQ);
	virtio_input_kick(&dev);
	tap_ok(ready_calls == 2, "ready: notifications and kicks while it stays: no call");
	tap_ok(reset_and_up(16) && virtio_input_driver_ready(&dev) && ready_calls == 4,
	       "ready: a driver that resets and binds again: two calls");
	virtio_input_on_ready_changed(&dev, NULL, NULL);
}

/* --- the keyboard ------------------------------------------------------- */

static void test_keyboard_config(void)
{
	tap_ok(cfg_rd(df, 0, 4) == 0x10521af4, "keyboard: id 1af4:1052 (type 18)");
	tap_ok(cfg_rd(df, 0x08, 4) >> 8 == VIRTIO_PCI_CLASS_INPUT_KEYBOARD,
	       "keyboard: class 0x090000 (input, keyboard controller)");
	tap_ok(find_vcap(df, VIRTIO_PCI_CAP_DEVICE_CFG) != 0, "keyboard: device cfg capability");
	tap_ok((read_features() & 0xffffff) == 0, "keyboard: no device feature bits (5.8.3)");
	cfg_sel(VIRTIO_INPUT_CFG_ID_NAME, 0);
	tap_ok(cfg_str("vmain keyboard"), "keyboard: ID_NAME \"vmain keyboard\"");
	tap_ok(cfg_sel(VIRTIO_INPUT_CFG_ID_SERIAL, 0) > 0 && cfg_str("vmain-keyboard-0"),
	       "keyboard: ID_SERIAL");
	tap_ok(cfg_sel(VIRTIO_INPUT_CFG_ID_DEVIDS, 0) == 8 &&
	       bar_rd(DEV(VIRTIO_INPUT_CFG_U), 2) == BUS_VIRTUAL &&
	       bar_rd(DEV(VIRTIO_INPUT_CFG_U + 2), 2) == VIRTIO_INPUT_VENDOR &&
	       bar_rd(DEV(VIRTIO_INPUT_CFG_U + 4), 2) == VIRTIO_INPUT_PRODUCT_KEYBOARD &&
	       bar_rd(DEV(VIRTIO_INPUT_CFG_U + 6), 2) == 1,
	       "keyboard: ID_DEVIDS BUS_VIRTUAL 0627:0001 version 1");
	tap_ok(cfg_sel(VIRTIO_INPUT_CFG_EV_BITS, EV_KEY) == KEY_MICMUTE / 8 + 1 &&
	       cfg_bit(KEY_ESC) && cfg_bit(KEY_A) && cfg_bit(KEY_LEFTSHIFT) &&
	       cfg_bit(KEY_F12) && cfg_bit(KEY_RIGHTMETA) && cfg_bit(KEY_MICMUTE),
	       "keyboard: EV_BITS EV_KEY has KEY_ESC .. KEY_MICMUTE (size %u)",
	       cfg_sel(VIRTIO_INPUT_CFG_EV_BITS, EV_KEY));
	tap_ok(!cfg_bit(0) && !cfg_bit(84) && !cfg_bit(195) && !cfg_bit(199) &&
	       cfg_zero_from(KEY_MICMUTE / 8 + 1),
	       "keyboard: EV_KEY lacks code 0, the unassigned 84 and 195..199, and BTN_*");
	tap_ok(cfg_sel(VIRTIO_INPUT_CFG_EV_BITS, EV_LED) == 1 && cfg_u8(0) == 0x07 &&
	       cfg_zero_from(1), "keyboard: EV_LED NUML, CAPSL, SCROLLL");
	tap_ok(cfg_sel(VIRTIO_INPUT_CFG_EV_BITS, EV_REP) == 1,
	       "keyboard: EV_REP advertised (the guest repeats)");
	tap_ok(cfg_sel(VIRTIO_INPUT_CFG_EV_BITS, EV_REL) == 0 &&
	       cfg_sel(VIRTIO_INPUT_CFG_EV_BITS, EV_ABS) == 0 &&
	       cfg_sel(VIRTIO_INPUT_CFG_EV_BITS, EV_SYN) == 0 &&
	       cfg_sel(VIRTIO_INPUT_CFG_EV_BITS, EV_MSC) == 0 && cfg_zero_from(0),
	       "keyboard: no EV_REL, EV_ABS, EV_MSC: size 0, answer zeroed");
	tap_ok(cfg_sel(VIRTIO_INPUT_CFG_ABS_INFO, ABS_X) == 0 &&
	       cfg_sel(VIRTIO_INPUT_CFG_PROP_BITS, 0) == 0,
	       "keyboard: no ABS_INFO, empty PROP_BITS");
	tap_ok(cfg_sel(0x55, 0) == 0 && cfg_sel(VIRTIO_INPUT_CFG_UNSET, 0) == 0 &&
	       cfg_sel(VIRTIO_INPUT_CFG_ID_NAME, 1) == 0 &&
	       cfg_sel(VIRTIO_INPUT_CFG_ID_DEVIDS, 3) == 0,
	       "keyboard: unknown select, UNSET, a bad subsel: size 0");
	tap_ok(bar_rd(DEV(0), 1) == VIRTIO_INPUT_CFG_ID_DEVIDS && bar_rd(DEV(1), 1) == 3,
	       "keyboard: select and subsel read back");

	/* Writes the device does not take. */
	cfg_sel(VIRTIO_INPUT_CFG_ID_NAME, 0);
	bar_wr(DEV(VIRTIO_INPUT_CFG_SIZE), 1, 99);
	bar_wr(DEV(VIRTIO_INPUT_CFG_U), 4, 0x41414141);
	bar_wr(DEV(0), 4, 0x0000ff11);
	bar_wr(DEV(VIRTIO_INPUT_CFG_LEN - 1), 4, 0xffffffff);
	tap_ok(bar_rd(DEV(VIRTIO_INPUT_CFG_SIZE), 1) == 14 && cfg_str("vmain keyboard") &&
	       bar_rd(DEV(0), 1) == VIRTIO_INPUT_CFG_ID_NAME,
	       "keyboard: writes to size, the answer, a 4-byte select: ignored");
	bar_wr(DEV(0), 2, EV_LED << 8 | VIRTIO_INPUT_CFG_EV_BITS);
	tap_ok(bar_rd(DEV(VIRTIO_INPUT_CFG_SIZE), 1) == 1 && cfg_u8(0) == 7,
	       "keyboard: one 16-bit write sets select and subsel");
	tap_ok(bar_rd(DEV(VIRTIO_INPUT_CFG_LEN), 1) == 0 &&
	       bar_rd(DEV(VIRTIO_INPUT_CFG_LEN - 2), 4) == 0 &&
	       bar_rd(DEV(0x400), 4) == 0, "keyboard: reads past the configuration: 0");
}

static void test_keyboard_events(void)
{
	struct ev e[8];

	tap_ok(virtio_input_key(&dev, KEY_A, true) == 0 && virtio_input_pending(&dev) == 2,
	       "keyboard: a key before the driver waits (2 events)");
	tap_ok(negotiate(VER1) == 0x0b && virtio_input_pending(&dev) == 0,
	       "keyboard: the driver's first reset drops what waited");
	tap_ok(setup_queue(&evq, VIRTIO_INPUT_EVENTQ, 16, VIRTIO_PCI_NO_VECTOR) == 1 &&
	       setup_queue(&stq, VIRTIO_INPUT_STATUSQ, 16, VIRTIO_PCI_NO_VECTOR) == 1,
	       "keyboard: FEATURES_OK, eventq and statusq enabled");
	virtio_input_key(&dev, KEY_A, true);
	add_bufs(16);
	tap_ok(none_used() && virtio_input_pending(&dev) == 2,
	       "keyboard: buffers before DRIVER_OK: nothing delivered yet");
	driver_ok();
	tap_ok(take(e, 8) == 2 && is_ev(&e[0], EV_KEY, KEY_A, 1) && is_syn(&e[1]) &&
	       virtio_input_pending(&dev) == 0,
	       "keyboard: DRIVER_OK delivers the waiting key + SYN_REPORT");
	tap_ok(irq_line && bar_rd(VIRTIO_PCI_ISR_OFF, 1) == VIRTIO_ISR_QUEUE,
	       "keyboard: used-buffer interrupt (INTx, ISR bit 0)");

	virtio_input_key(&dev, KEY_LEFTSHIFT, true);
	virtio_input_key(&dev, KEY_LEFTSHIFT, false);
	tap_ok(take(e, 8) == 4 && is_ev(&e[0], EV_KEY, KEY_LEFTSHIFT, 1) && is_syn(&e[1]) &&
	       is_ev(&e[2], EV_KEY, KEY_LEFTSHIFT, 0) && is_syn(&e[3]),
	       "keyboard: down (value 1), SYN, up (value 0), SYN");
	tap_ok(virtio_input_key(&dev, KEY_MICMUTE, true) == 0 && take(e, 8) == 2 &&
	       is_ev(&e[0], EV_KEY, KEY_MICMUTE, 1), "keyboard: KEY_MICMUTE accepted");
	tap_ok(virtio_input_key(&dev, 84, true) == -EINVAL &&
	       virtio_input_key(&dev, 0, true) == -EINVAL &&
	       virtio_input_key(&dev, KEY_MICMUTE + 1, true) == -EINVAL &&
	       virtio_input_key(&dev, BTN_LEFT, true) == -EINVAL &&
	       virtio_input_key(&dev, KEY_MAX, false) == -EINVAL &&
	       virtio_input_key(&dev, 0xffff, true) == -EINVAL &&
	       none_used() && virtio_input_pending(&dev) == 0,
	       "keyboard: unadvertised codes -EINVAL, nothing emitted");
	tap_ok(virtio_input_abs(&dev, 1, 1, 10, 10) == -EOPNOTSUPP &&
	       virtio_input_buttons(&dev, DISPLAY_BUTTON_LEFT) == -EOPNOTSUPP &&
	       virtio_input_wheel(&dev, 1, 0) == -EOPNOTSUPP &&
	       virtio_input_rel(&dev, 1, 1) == -EOPNOTSUPP && none_used(),
	       "keyboard: abs, buttons, wheel, rel: -EOPNOTSUPP");
	bar_rd(VIRTIO_PCI_ISR_OFF, 1);
}

static void test_keyboard_leds(void)
{
	uint32_t id, len;
	int n = 0;

	tap_ok(virtio_input_leds(&dev) == 0, "keyboard: LEDs off at start");
	status_send(EV_LED, LED_CAPSL, 1, 8);
	tap_ok(virtio_input_leds(&dev) == 1u << LED_CAPSL && dq_used(&stq, &id, &len) &&
	       len == 0, "statusq: CAPSL on recorded, buffer returned (used length 0)");
	status_send(EV_LED, LED_NUML, 1, 8);
	status_send(EV_LED, LED_CAPSL, 0, 8);
	tap_ok(virtio_input_leds(&dev) == 1u << LED_NUML, "statusq: NUML on, CAPSL off");
	status_send(EV_LED, LED_KANA, 1, 8);
	status_send(EV_SND, SND_BELL, 1, 8);
	status_send(EV_LED, LED_SCROLLL, 1, 4);
	tap_ok(virtio_input_leds(&dev) == 1u << LED_NUML,
	       "statusq: another LED, EV_SND, a short buffer: ignored");
	/* Two events in one buffer, both taken. */
	g16(STBUF + 0x800, EV_LED);
	g16(STBUF + 0x802, LED_NUML);
	g32(STBUF + 0x804, 0);
	g16(STBUF + 0x808, EV_LED);
	g16(STBUF + 0x80a, LED_SCROLLL);
	g32(STBUF + 0x80c, 1);
	dq_add(&stq, STBUF + 0x800, 16, false);
	kick(VIRTIO_INPUT_STATUSQ);
	tap_ok(virtio_input_leds(&dev) == 1u << LED_SCROLLL,
	       "statusq: a buffer of two events: both applied");
	while (dq_used(&stq, &id, &len))
		n++;
	tap_ok(n == 6 && gr16(stq.used + 2) == 7, "statusq: every buffer returned");
	bar_rd(VIRTIO_PCI_ISR_OFF, 1);
}

static void test_keyboard_reset(void)
{
	/* A driver with no eventq buffer: the key waits. */
	tap_ok(reset_and_up(16) && virtio_input_leds(&dev) == 0, "reset: LEDs off");
	status_send(EV_LED, LED_NUML, 1, 8);
	cfg_sel(VIRTIO_INPUT_CFG_ID_NAME, 0);
	virtio_input_key(&dev, KEY_B, true);
	tap_ok(virtio_input_pending(&dev) == 2 && virtio_input_leds(&dev) == 1u << LED_NUML,
	       "reset: before it, a key waits and NUML is on");
	bar_wr(COMMON(VIRTIO_PCI_COMMON_STATUS), 1, 0);
	tap_ok(virtio_input_pending(&dev) == 0 && virtio_input_leds(&dev) == 0 &&
	       bar_rd(DEV(0), 1) == 0 && bar_rd(DEV(VIRTIO_INPUT_CFG_SIZE), 1) == 0,
	       "reset: waiting events gone, LEDs off, select 0");
	tap_ok(driver_up(16) && virtio_input_pending(&dev) == 0 && none_used(),
	       "reset: the driver again, nothing stale waits");
}

/* The ring: waiting events delivered in order as buffers come. */
static void test_keyboard_ring(void)
{
	static const uint16_t keys[10] = {
		KEY_1, KEY_2, KEY_3, KEY_4, KEY_5, KEY_6, KEY_7, KEY_8, KEY_9, KEY_0,
	};
	struct ev e[32];
	unsigned i, n, groups, got;
	bool order = true;

	for (i = 0; i < 10; i++)
		virtio_input_key(&dev, keys[i], true);
	tap_ok(virtio_input_pending(&dev) == 20 && none_used(),
	       "ring: no buffers, 10 keys wait (20 events)");
	add_bufs(15);
	kick(VIRTIO_INPUT_EVENTQ);
	n = take(e, 32);
	for (i = 0; i < 14 && n == 14; i++)
		order &= i % 2 ? is_syn(&e[i]) : is_ev(&e[i], EV_KEY, keys[i / 2], 1);
	tap_ok(n == 14 && order && virtio_input_pending(&dev) == 6,
	       "ring: 15 buffers take 7 whole groups, in order; the 8th waits (%u)", n);
	add_bufs(1);
	kick(VIRTIO_INPUT_EVENTQ);
	tap_ok(take(e, 32) == 2 && is_ev(&e[0], EV_KEY, KEY_8, 1) &&
	       virtio_input_pending(&dev) == 4, "ring: one more buffer: the 8th group");
	add_bufs(4);
	kick(VIRTIO_INPUT_EVENTQ);
	tap_ok(take(e, 32) == 4 && is_ev(&e[0], EV_KEY, KEY_9, 1) &&
	       is_ev(&e[2], EV_KEY, KEY_0, 1) && is_syn(&e[3]) &&
	       virtio_input_pending(&dev) == 0, "ring: the rest, in order");

	/* Overflow: 140 groups into a ring of 128 two-event groups. */
	for (i = 0; i < 140; i++)
		virtio_input_key(&dev, KEY_A, i % 2 == 0);
	tap_ok(virtio_input_pending(&dev) == VIRTIO_INPUT_RING &&
	       virtio_input_dropped(&dev) == 12,
	       "ring: full at %u events, 12 groups dropped and counted", VIRTIO_INPUT_RING);
	groups = 0;
	order = true;
	for (got = 0; got < 20 && virtio_input_pending(&dev); got++) {
		add_bufs(16);
		kick(VIRTIO_INPUT_EVENTQ);
		n = take(e, 32);
		order &= n == 16;
		for (i = 0; i + 1 < n; i += 2, groups++)
			order &= is_ev(&e[i], EV_KEY, KEY_A, groups % 2 == 0) &&
				 is_syn(&e[i + 1]);
	}
	tap_ok(order && groups == 128 && virtio_input_pending(&dev) == 0,
	       "ring: the 128 oldest groups delivered whole and in order (%u)", groups);
}

/* --- the tablet --------------------------------------------------------- */

static void test_tablet_config(void)
{
	tap_ok(cfg_rd(df, 0x08, 4) >> 8 == VIRTIO_PCI_CLASS_INPUT_OTHER,
	       "tablet: class 0x098000 (input, other)");
	cfg_sel(VIRTIO_INPUT_CFG_ID_NAME, 0);
	tap_ok(cfg_str("vmain tablet"), "tablet: ID_NAME \"vmain tablet\"");
	tap_ok(cfg_sel(VIRTIO_INPUT_CFG_ID_DEVIDS, 0) == 8 &&
	       bar_rd(DEV(VIRTIO_INPUT_CFG_U + 4), 2) == VIRTIO_INPUT_PRODUCT_TABLET,
	       "tablet: ID_DEVIDS product 3");
	tap_ok(cfg_sel(VIRTIO_INPUT_CFG_EV_BITS, EV_ABS) == 1 && cfg_u8(0) == 0x03 &&
	       cfg_zero_from(1), "tablet: EV_ABS ABS_X, ABS_Y only");
	tap_ok(cfg_sel(VIRTIO_INPUT_CFG_ABS_INFO, ABS_X) == 20 &&
	       bar_rd(DEV(VIRTIO_INPUT_CFG_U), 4) == 0 &&
	       bar_rd(DEV(VIRTIO_INPUT_CFG_U + 4), 4) == 32767 &&
	       bar_rd(DEV(VIRTIO_INPUT_CFG_U + 8), 4) == 0 &&
	       bar_rd(DEV(VIRTIO_INPUT_CFG_U + 16), 4) == 0,
	       "tablet: ABS_INFO ABS_X min 0, max 32767, fuzz 0, res 0");
	tap_ok(cfg_sel(VIRTIO_INPUT_CFG_ABS_INFO, ABS_Y) == 20 &&
	       bar_rd(DEV(VIRTIO_INPUT_CFG_U + 4), 4) == 32767 &&
	       cfg_sel(VIRTIO_INPUT_CFG_ABS_INFO, ABS_Z) == 0 &&
	       cfg_sel(VIRTIO_INPUT_CFG_ABS_INFO, ABS_MT_POSITION_X) == 0,
	       "tablet: ABS_INFO ABS_Y; none for ABS_Z, ABS_MT_POSITION_X");
	tap_ok(cfg_sel(VIRTIO_INPUT_CFG_EV_BITS, EV_KEY) == BTN_EXTRA / 8 + 1 &&
	       cfg_bit(BTN_LEFT) && cfg_bit(BTN_RIGHT) && cfg_bit(BTN_MIDDLE) &&
	       cfg_bit(BTN_SIDE) && cfg_bit(BTN_EXTRA) && !cfg_bit(BTN_FORWARD) &&
	       !cfg_bit(KEY_A) && !cfg_bit(BTN_TOUCH) && cfg_zero_from(BTN_EXTRA / 8 + 1),
	       "tablet: EV_KEY the five buttons, no key, no BTN_TOUCH");
	tap_ok(cfg_sel(VIRTIO_INPUT_CFG_EV_BITS, EV_REL) == 2 && cfg_bit(REL_WHEEL) &&
	       cfg_bit(REL_HWHEEL) && !cfg_bit(REL_X) && !cfg_bit(REL_Y),
	       "tablet: EV_REL the wheels only");
	tap_ok(cfg_sel(VIRTIO_INPUT_CFG_EV_BITS, EV_LED) == 0 &&
	       cfg_sel(VIRTIO_INPUT_CFG_EV_BITS, EV_REP) == 0 &&
	       cfg_sel(VIRTIO_INPUT_CFG_PROP_BITS, 0) == 0,
	       "tablet: no EV_LED, no EV_REP, no INPUT_PROP_DIRECT");
}

static void test_tablet_events(void)
{
	struct ev e[16];

	tap_ok(driver_up(16), "tablet: driver up");
	add_bufs(16);
	kick(VIRTIO_INPUT_EVENTQ);
	virtio_input_abs(&dev, 0, 0, 1024, 768);
	tap_ok(take_refill(e, 16) == 3 && is_ev(&e[0], EV_ABS, ABS_X, 0) &&
	       is_ev(&e[1], EV_ABS, ABS_Y, 0) && is_syn(&e[2]), "abs: top left (0, 0)");
	virtio_input_abs(&dev, 1023, 767, 1024, 768);
	tap_ok(take_refill(e, 16) == 3 && e[0].value == 32767 && e[1].value == 32767,
	       "abs: bottom right (width-1, height-1) is 32767");
	virtio_input_abs(&dev, 512, 384, 1024, 768);
	tap_ok(take_refill(e, 16) == 3 && e[0].value == 16399 && e[1].value == 16404,
	       "abs: (512, 384) of 1024 x 768 is (16399, 16404): x * 32767 / (width - 1)");
	virtio_input_abs(&dev, 5000, UINT32_MAX, 1024, 768);
	tap_ok(take_refill(e, 16) == 3 && e[0].value == 32767 && e[1].value == 32767,
	       "abs: beyond the surface clamps to 32767");
	virtio_input_abs(&dev, 7, 3, 1, UINT32_MAX);
	tap_ok(take_refill(e, 16) == 3 && e[0].value == 0 && e[1].value == 0,
	       "abs: a 1-pixel axis is 0; a 4G axis scales without overflow");
	tap_ok(virtio_input_abs(&dev, 1, 1, 0, 768) == -EINVAL &&
	       virtio_input_abs(&dev, 1, 1, 1024, 0) == -EINVAL && none_used(),
	       "abs: width or height 0: -EINVAL, nothing emitted");

	virtio_input_buttons(&dev, DISPLAY_BUTTON_LEFT);
	tap_ok(take_refill(e, 16) == 2 && is_ev(&e[0], EV_KEY, BTN_LEFT, 1) && is_syn(&e[1]),
	       "buttons: left down");
	virtio_input_buttons(&dev, DISPLAY_BUTTON_LEFT | DISPLAY_BUTTON_RIGHT);
	tap_ok(take_refill(e, 16) == 2 && is_ev(&e[0], EV_KEY, BTN_RIGHT, 1),
	       "buttons: right added: only BTN_RIGHT");
	virtio_input_buttons(&dev, DISPLAY_BUTTON_RIGHT | DISPLAY_BUTTON_MIDDLE);
	tap_ok(take_refill(e, 16) == 3 && is_ev(&e[0], EV_KEY, BTN_LEFT, 0) &&
	       is_ev(&e[1], EV_KEY, BTN_MIDDLE, 1) && is_syn(&e[2]),
	       "buttons: left up and middle down in one group");
	tap_ok(virtio_input_buttons(&dev, DISPLAY_BUTTON_RIGHT | DISPLAY_BUTTON_MIDDLE) == 0 &&
	       none_used(), "buttons: the same mask: nothing");
	tap_ok(virtio_input_buttons(&dev, 1u << 5) == -EINVAL &&
	       virtio_input_buttons(&dev, ~0u) == -EINVAL && none_used(),
	       "buttons: unknown bits -EINVAL");
	virtio_input_buttons(&dev, DISPLAY_BUTTON_SIDE | DISPLAY_BUTTON_EXTRA);
	tap_ok(take_refill(e, 16) == 5 && is_ev(&e[0], EV_KEY, BTN_MIDDLE, 0) &&
	       is_ev(&e[1], EV_KEY, BTN_RIGHT, 0) && is_ev(&e[2], EV_KEY, BTN_SIDE, 1) &&
	       is_ev(&e[3], EV_KEY, BTN_EXTRA, 1) && is_syn(&e[4]),
	       "buttons: side and extra");
	tap_ok(virtio_input_key(&dev, BTN_SIDE, false) == 0 && take_refill(e, 16) == 2 &&
	       is_ev(&e[0], EV_KEY, BTN_SIDE, 0) && virtio_input_buttons(&dev, 0) == 0 &&
	       take_refill(e, 16) == 2 && is_ev(&e[0], EV_KEY, BTN_EXTRA, 0),
	       "key(BTN_SIDE) on a pointer updates the button mask");
	tap_ok(virtio_input_key(&dev, KEY_A, true) == -EINVAL &&
	       virtio_input_rel(&dev, 1, 1) == -EOPNOTSUPP && none_used(),
	       "tablet: a key code -EINVAL, rel -EOPNOTSUPP");

	virtio_input_wheel(&dev, 1, 0);
	tap_ok(take_refill(e, 16) == 2 && is_ev(&e[0], EV_REL, REL_WHEEL, 1) && is_syn(&e[1]),
	       "wheel: one click up");
	virtio_input_wheel(&dev, -2, 3);
	tap_ok(take_refill(e, 16) == 3 && is_ev(&e[0], EV_REL, REL_WHEEL, (uint32_t)-2) &&
	       is_ev(&e[1], EV_REL, REL_HWHEEL, 3), "wheel: down 2 and right 3");
	tap_ok(virtio_input_wheel(&dev, 0, 0) == 0 && none_used(), "wheel: (0, 0) sends nothing");
	{
		uint32_t id, len;

		status_send(EV_LED, LED_CAPSL, 1, 8);
		tap_ok(virtio_input_leds(&dev) == 0 && dq_used(&stq, &id, &len) && len == 0,
		       "tablet: an LED event on statusq ignored, its buffer returned");
	}

	bar_rd(VIRTIO_PCI_ISR_OFF, 1);
}

static void test_tablet_groups(void)
{
	struct ev e[16];
	uint16_t before;
	unsigned n;

	tap_ok(reset_and_up(16) && bufs_avail() == 0, "groups: reset, a driver with no buffer");
	virtio_input_buttons(&dev, DISPLAY_BUTTONS_ALL);
	add_bufs(5);
	kick(VIRTIO_INPUT_EVENTQ);
	tap_ok(none_used() && virtio_input_pending(&dev) == 6,
	       "groups: 6 events, 5 buffers: the group waits whole, no buffer used");
	before = gr16(evq.used + 2);
	add_bufs(1);
	kick(VIRTIO_INPUT_EVENTQ);
	tap_ok((uint16_t)(gr16(evq.used + 2) - before) == 6,
	       "groups: the 6th buffer: all 6 used (virtq_push_many: one index update)");
	n = take(e, 16);
	tap_ok(n == 6 && is_ev(&e[0], EV_KEY, BTN_LEFT, 1) && is_ev(&e[4], EV_KEY, BTN_EXTRA, 1) &&
	       is_syn(&e[5]), "groups: the whole group, in order");

	/* Positions coalesce while they wait. */
	virtio_input_abs(&dev, 10, 10, 100, 100);
	virtio_input_abs(&dev, 20, 30, 100, 100);
	virtio_input_abs(&dev, 99, 99, 100, 100);
	tap_ok(virtio_input_pending(&dev) == 3, "coalesce: three positions wait as one group");
	add_bufs(3);
	kick(VIRTIO_INPUT_EVENTQ);
	tap_ok(take(e, 16) == 3 && e[0].value == 32767 && e[1].value == 32767,
	       "coalesce: the newest position delivered");
	virtio_input_abs(&dev, 0, 0, 100, 100);
	virtio_input_buttons(&dev, DISPLAY_BUTTONS_ALL & ~DISPLAY_BUTTON_LEFT);
	virtio_input_abs(&dev, 50, 50, 101, 101);
	virtio_input_abs(&dev, 100, 100, 101, 101);
	tap_ok(virtio_input_pending(&dev) == 8,
	       "coalesce: not across a button group (3 + 2 + 3 waiting)");
	add_bufs(8);
	kick(VIRTIO_INPUT_EVENTQ);
	tap_ok(take(e, 16) == 8 && e[0].value == 0 && is_ev(&e[3], EV_KEY, BTN_LEFT, 0) &&
	       is_ev(&e[5], EV_ABS, ABS_X, 32767) && is_ev(&e[6], EV_ABS, ABS_Y, 32767),
	       "coalesce: position, button, newest position");
	bar_rd(VIRTIO_PCI_ISR_OFF, 1);
}

/* --- the mouse ---------------------------------------------------------- */

static void test_mouse(void)
{
	struct ev e[32];
	unsigned i, n, got, groups = 0;
	bool order = true;

	tap_ok(cfg_rd(df, 0x08, 4) >> 8 == VIRTIO_PCI_CLASS_INPUT_OTHER,
	       "mouse: class 0x098000");
	cfg_sel(VIRTIO_INPUT_CFG_ID_NAME, 0);
	tap_ok(cfg_str("vmain mouse"), "mouse: ID_NAME \"vmain mouse\"");
	tap_ok(cfg_sel(VIRTIO_INPUT_CFG_ID_DEVIDS, 0) == 8 &&
	       bar_rd(DEV(VIRTIO_INPUT_CFG_U + 4), 2) == VIRTIO_INPUT_PRODUCT_MOUSE,
	       "mouse: ID_DEVIDS product 2");
	tap_ok(cfg_sel(VIRTIO_INPUT_CFG_EV_BITS, EV_REL) == 2 && cfg_bit(REL_X) &&
	       cfg_bit(REL_Y) && cfg_bit(REL_WHEEL) && cfg_bit(REL_HWHEEL) &&
	       !cfg_bit(REL_Z) && !cfg_bit(REL_DIAL) && cfg_zero_from(2),
	       "mouse: EV_REL X, Y, WHEEL, HWHEEL");
	tap_ok(cfg_sel(VIRTIO_INPUT_CFG_EV_BITS, EV_ABS) == 0 &&
	       cfg_sel(VIRTIO_INPUT_CFG_ABS_INFO, ABS_X) == 0 &&
	       cfg_sel(VIRTIO_INPUT_CFG_EV_BITS, EV_KEY) == BTN_EXTRA / 8 + 1 &&
	       cfg_bit(BTN_LEFT) && !cfg_bit(KEY_ESC),
	       "mouse: no EV_ABS, the buttons in EV_KEY");

	tap_ok(driver_up(16), "mouse: driver up");
	add_bufs(16);
	kick(VIRTIO_INPUT_EVENTQ);
	virtio_input_rel(&dev, 5, -3);
	tap_ok(take_refill(e, 32) == 3 && is_ev(&e[0], EV_REL, REL_X, 5) &&
	       is_ev(&e[1], EV_REL, REL_Y, (uint32_t)-3) && is_syn(&e[2]),
	       "rel: REL_X 5, REL_Y -3, SYN");
	virtio_input_rel(&dev, 0, 7);
	tap_ok(take_refill(e, 32) == 2 && is_ev(&e[0], EV_REL, REL_Y, 7), "rel: a zero axis is not sent");
	tap_ok(virtio_input_rel(&dev, 0, 0) == 0 && none_used() &&
	       virtio_input_abs(&dev, 1, 1, 2, 2) == -EOPNOTSUPP,
	       "rel: (0, 0) sends nothing; abs on a mouse -EOPNOTSUPP");
	virtio_input_buttons(&dev, DISPLAY_BUTTON_MIDDLE);
	tap_ok(take_refill(e, 32) == 2 && is_ev(&e[0], EV_KEY, BTN_MIDDLE, 1), "mouse: buttons");
	virtio_input_wheel(&dev, 0, -1);
	tap_ok(take_refill(e, 32) == 2 && is_ev(&e[0], EV_REL, REL_HWHEEL, (uint32_t)-1),
	       "mouse: horizontal wheel");

	/* Never half a group: 85 groups of 3 leave one slot a group of 2 cannot use. */
	tap_ok(reset_and_up(16), "mouse: reset, driver again, no buffers");
	for (i = 0; i < 86; i++)
		virtio_input_rel(&dev, (int32_t)i + 1, 1);
	tap_ok(virtio_input_pending(&dev) == 255 && virtio_input_dropped(&dev) == 1,
	       "ring: 85 groups of 3 wait (255), the 86th dropped");
	tap_ok(virtio_input_key(&dev, BTN_LEFT, true) == 0 &&
	       virtio_input_pending(&dev) == 255 && virtio_input_dropped(&dev) == 2,
	       "ring: a 2-event group with 1 slot free is dropped whole");
	for (got = 0; got < 30 && virtio_input_pending(&dev); got++) {
		add_bufs(15);
		kick(VIRTIO_INPUT_EVENTQ);
		n = take(e, 32);
		order &= n == 15;
		for (i = 0; i + 2 < n; i += 3, groups++)
			order &= is_ev(&e[i], EV_REL, REL_X, groups + 1) &&
				 is_ev(&e[i + 1], EV_REL, REL_Y, 1) && is_syn(&e[i + 2]);
	}
	tap_ok(order && groups == 85, "ring: the 85 groups delivered whole and in order (%u)",
	       groups);

	/* A group larger than the whole eventq would block it: dropped. */
	tap_ok(reset_and_up(4), "mouse: eventq of 4 entries");
	add_bufs(4);
	kick(VIRTIO_INPUT_EVENTQ);
	n = (unsigned)virtio_input_dropped(&dev);
	virtio_input_buttons(&dev, DISPLAY_BUTTONS_ALL);
	tap_ok(virtio_input_dropped(&dev) == n + 1 && virtio_input_pending(&dev) == 0 &&
	       none_used(), "ring: 6 events for a queue of 4: dropped, counted");
	virtio_input_rel(&dev, 1, 1);
	tap_ok(take(e, 32) == 3 && is_ev(&e[0], EV_REL, REL_X, 1),
	       "ring: the next group still delivered");

	/* A bad buffer breaks the queue: the device stops, events wait, bounded. */
	dq_add(&evq, RAM_SIZE - 2, 8, true);
	dq_add(&evq, RAM_SIZE - 2, 8, true);
	dq_add(&evq, RAM_SIZE - 2, 8, true);
	virtio_input_rel(&dev, 2, 2);
	tap_ok((bar_rd(COMMON(VIRTIO_PCI_COMMON_STATUS), 1) & VIRTIO_STATUS_NEEDS_RESET) &&
	       none_used() && virtio_input_pending(&dev) == 3,
	       "bad eventq buffer: NEEDS_RESET, the group waits");
	for (i = 0; i < 200; i++)
		virtio_input_rel(&dev, 1, 1);
	tap_ok(virtio_input_pending(&dev) <= VIRTIO_INPUT_RING, "bad eventq: the ring stays bounded");
	bar_wr(COMMON(VIRTIO_PCI_COMMON_STATUS), 1, 0);
	tap_ok(virtio_input_pending(&dev) == 0, "bad eventq: reset empties it");
	bar_rd(VIRTIO_PCI_ISR_OFF, 1);
}

/* --- save and restore --------------------------------------------------- */

/* Offset of the "virtio-input" section in a saved stream (len: none). */
static size_t input_section(const uint8_t *buf, size_t len)
{
	size_t p = 0, nl;

	while (p < len) {
		nl = buf[p];
		if (p + 1 + nl + 12 > len)
			return len;
		if (nl == 12 && !memcmp(buf + p + 1, "virtio-input", 12))
			return p;
		p += 1 + nl + 12 + (size_t)get_le(buf + p + 1 + nl + 8, 4) + 4;
	}
	return len;
}

/* Payload offsets in section "virtio-input" (see virtio-input.h). */
#define ST_KIND		0
#define ST_SELECT	1
#define ST_LEDS		3
#define ST_BUTTONS	4
#define ST_COUNT	8
#define ST_EV(i)	(10 + 8 * (i))	/* le16 type, le16 code, le32 value */

static uint8_t saved[8192], bad[8192], bad2[8192];
static size_t saved_len, sect;

/*
 * Loads saved[] with the n-byte field `off` of the input section set to
 * v (and, when n2, field off2 to v2) into `in`; returns the load's result.
 */
static int load_patched(struct virtio_input *in, size_t off, uint64_t v, unsigned n,
			size_t off2, uint64_t v2, unsigned n2)
{
	struct state_reader r;
	size_t len;

	memcpy(bad, saved, sect);
	len = patched(bad + sect, sizeof(bad) - sect, saved + sect, saved_len - sect, off, v, n);
	if (!len)
		return 1;
	if (n2) {
		memcpy(bad2, bad, sect);
		len = patched(bad2 + sect, sizeof(bad2) - sect, bad + sect, len, off2, v2, n2);
		if (!len)
			return 1;
		memcpy(bad, bad2, sect + len);
	}
	state_reader_init(&r, bad, sect + len);
	return virtio_input_load(in, &r);
}

static void test_save_load(void)
{
	static struct pci_bus bus2;
	static struct virtio_input dev2;
	struct state_writer w;
	struct state_reader r;
	const uint8_t *buf;
	struct ev e[16];
	int err, ret;

	/* A tablet with 8 events waiting and two buttons down. */
	tap_ok(reset_and_up(16), "save: tablet driver with no eventq buffer");
	virtio_input_buttons(&dev, DISPLAY_BUTTON_LEFT | DISPLAY_BUTTON_RIGHT);
	virtio_input_abs(&dev, 100, 200, 1001, 1001);
	virtio_input_wheel(&dev, 1, 0);
	cfg_sel(VIRTIO_INPUT_CFG_ID_NAME, 0);
	tap_ok(virtio_input_pending(&dev) == 8, "save: 8 events waiting");
	state_writer_init(&w);
	tap_ok(virtio_input_save(&dev, &w) == 0, "save: tablet");
	buf = state_writer_data(&w, &saved_len, &err);
	if (!buf || saved_len > sizeof(saved)) {
		tap_ok(0, "save: stream of %zu bytes", saved_len);
		state_writer_free(&w);
		return;
	}
	memcpy(saved, buf, saved_len);
	state_writer_free(&w);
	sect = input_section(saved, saved_len);
	tap_ok(sect < saved_len, "save: section virtio-input after the transport's");

	pci_bus_init(&bus2, &bus_ops, NULL);
	tap_ok(virtio_input_init(&dev2, &bus2, 1, &mem, VIRTIO_INPUT_TABLET) == df,
	       "load: a fresh tablet in the same slot");
	state_reader_init(&r, saved, saved_len);
	ret = virtio_input_load(&dev2, &r);
	tap_ok(ret == 0 && state_reader_at_end(&r) && virtio_input_pending(&dev2) == 8 &&
	       virtio_input_pending(&dev) == 8, "load: 8 events waiting (%s)",
	       state_reader_msg(&r));
	bus.devs[df] = &dev2.vp.pci;
	dev2.vp.pci.bus = &bus;
	tap_ok(bar_rd(DEV(VIRTIO_INPUT_CFG_SIZE), 1) == 12 && cfg_str("vmain tablet"),
	       "load: the driver's select restored with its answer");
	add_bufs(8);
	ready_calls = 0;
	virtio_input_on_ready_changed(&dev2, count_ready, NULL);
	tap_ok(none_used() && !virtio_input_driver_ready(&dev2) && !ready_calls,
	       "load: calls nothing (no events, no ready call); the loader kicks");
	virtio_input_kick(&dev2);
	tap_ok(virtio_input_driver_ready(&dev2) && ready_calls == 1,
	       "load: the kick finds the loaded driver: one ready call");
	virtio_input_on_ready_changed(&dev2, NULL, NULL);
	tap_ok(take(e, 16) == 8 && is_ev(&e[0], EV_KEY, BTN_LEFT, 1) &&
	       is_ev(&e[1], EV_KEY, BTN_RIGHT, 1) && is_syn(&e[2]) &&
	       is_ev(&e[3], EV_ABS, ABS_X, 3276) && is_ev(&e[4], EV_ABS, ABS_Y, 6553) &&
	       is_syn(&e[5]) && is_ev(&e[6], EV_REL, REL_WHEEL, 1) && is_syn(&e[7]),
	       "load: the driver reads the same 8 events");
	add_bufs(3);
	tap_ok(virtio_input_buttons(&dev2, DISPLAY_BUTTON_LEFT | DISPLAY_BUTTON_RIGHT) == 0 &&
	       none_used(), "load: the button mask restored (the same mask sends nothing)");
	virtio_input_buttons(&dev2, 0);
	tap_ok(take(e, 16) == 3 && is_ev(&e[0], EV_KEY, BTN_LEFT, 0) &&
	       is_ev(&e[1], EV_KEY, BTN_RIGHT, 0), "load: releasing them sends both ups");

	/* Crafted states: refused, dev2 unchanged (nothing waiting). */
	tap_ok(load_patched(&dev2, ST_KIND, VIRTIO_INPUT_KEYBOARD, 1, 0, 0, 0) == -EINVAL,
	       "bad load: another kind");
	tap_ok(load_patched(&dev2, ST_KIND, 7, 1, 0, 0, 0) == -EINVAL, "bad load: kind 7");
	tap_ok(load_patched(&dev2, ST_COUNT, VIRTIO_INPUT_RING + 1, 2, 0, 0, 0) == -EINVAL,
	       "bad load: more events than the ring holds");
	tap_ok(load_patched(&dev2, ST_COUNT, 0xffff, 2, 0, 0, 0) == -EINVAL,
	       "bad load: 65535 events");
	tap_ok(load_patched(&dev2, ST_COUNT, 7, 2, 0, 0, 0) != 0,
	       "bad load: fewer events than the payload holds");
	tap_ok(load_patched(&dev2, ST_LEDS, 1, 1, 0, 0, 0) == -EINVAL,
	       "bad load: LEDs on a tablet");
	tap_ok(load_patched(&dev2, ST_BUTTONS, 1u << 5, 4, 0, 0, 0) == -EINVAL,
	       "bad load: an unknown button");
	tap_ok(load_patched(&dev2, ST_EV(0), EV_LED | LED_NUML << 16, 4, 0, 0, 0) == -EINVAL,
	       "bad load: an event type the tablet does not send");
	tap_ok(load_patched(&dev2, ST_EV(0), EV_KEY | KEY_A << 16, 4, 0, 0, 0) == -EINVAL,
	       "bad load: a key the tablet does not have");
	tap_ok(load_patched(&dev2, ST_EV(0) + 4, 2, 4, 0, 0, 0) == -EINVAL,
	       "bad load: a key value of 2");
	tap_ok(load_patched(&dev2, ST_EV(3) + 4, VIRTIO_INPUT_ABS_MAX + 1, 4, 0, 0, 0) == -EINVAL,
	       "bad load: a position past 32767");
	tap_ok(load_patched(&dev2, ST_EV(7), EV_REL | REL_HWHEEL << 16, 4, 0, 0, 0) == -EINVAL,
	       "bad load: the last group not ended by SYN_REPORT");
	tap_ok(load_patched(&dev2, ST_EV(7) + 4, 1, 4, 0, 0, 0) == -EINVAL,
	       "bad load: a SYN_REPORT with a value");
	tap_ok(load_patched(&dev2, ST_EV(2), EV_REL | REL_WHEEL << 16, 4,
			    ST_EV(5), EV_REL | REL_HWHEEL << 16, 4) == -EINVAL,
	       "bad load: a group of 8 events (longer than any host call sends)");
	tap_ok(virtio_input_pending(&dev2) == 0 && virtio_input_leds(&dev2) == 0,
	       "bad load: the device unchanged");
	tap_ok(load_patched(&dev2, ST_SELECT, 0x55, 1, 0, 0, 0) == 0 &&
	       bar_rd(DEV(VIRTIO_INPUT_CFG_SIZE), 1) == 0 && virtio_input_pending(&dev2) == 8,
	       "load: any select byte is a state a driver can reach (answer size 0)");
	bus.devs[df] = &dev.vp.pci;
}

int main(void)
{
	static const enum virtio_input_kind kinds[] = {
		VIRTIO_INPUT_KEYBOARD, VIRTIO_INPUT_TABLET, VIRTIO_INPUT_MOUSE,
	};
	unsigned k;

	bus_setup();
	tap_ok(new_dev((enum virtio_input_kind)3) == -EINVAL, "init: an unknown kind -EINVAL");
	for (k = 0; k < 3; k++) {
		tap_ok(new_dev(kinds[k]) == PCI_DEVFN(1, 0), "init: kind %u at 01.0", k);
		switch (kinds[k]) {
		case VIRTIO_INPUT_KEYBOARD:
			test_keyboard_config();
			test_keyboard_events();
			test_keyboard_leds();
			test_keyboard_reset();
			test_keyboard_ring();
			break;
		case VIRTIO_INPUT_TABLET:
			test_tablet_config();
			test_tablet_events();
			test_tablet_groups();
			test_ready();
			test_save_load();
			break;
		case VIRTIO_INPUT_MOUSE:
			test_mouse();
			break;
		}
	}
	free(mem.base);
	return tap_done();
}
