// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * devices/virtio-input.c - virtio input device: keyboard, tablet, mouse
 * (virtio 1.2 5.8; see virtio-input.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/input.h>

#include "devices/virtio-input.h"
#include "display/display.h"
#include "le.h"
#include "state/stream.h"

#define LEDS_ALL	(1u << LED_NUML | 1u << LED_CAPSL | 1u << LED_SCROLLL)

/* DISPLAY_BUTTON_* bit i is button_codes[i]. */
static const uint16_t button_codes[] = {
	BTN_LEFT, BTN_MIDDLE, BTN_RIGHT, BTN_SIDE, BTN_EXTRA,
};

#define NR_BUTTONS	(sizeof(button_codes) / sizeof(button_codes[0]))

_Static_assert(NR_BUTTONS + 1 == VIRTIO_INPUT_MAX_GROUP,
	       "a group is every button and SYN_REPORT");
_Static_assert(DISPLAY_BUTTONS_ALL == (1u << (VIRTIO_INPUT_MAX_GROUP - 1)) - 1,
	       "one code per display button");

static const char *const kind_names[] = {
	[VIRTIO_INPUT_KEYBOARD] = "vmain keyboard",
	[VIRTIO_INPUT_TABLET] = "vmain tablet",
	[VIRTIO_INPUT_MOUSE] = "vmain mouse",
};

static const char *const kind_serials[] = {
	[VIRTIO_INPUT_KEYBOARD] = "vmain-keyboard-0",
	[VIRTIO_INPUT_TABLET] = "vmain-tablet-0",
	[VIRTIO_INPUT_MOUSE] = "vmain-mouse-0",
};

static const uint16_t kind_products[] = {
	[VIRTIO_INPUT_KEYBOARD] = VIRTIO_INPUT_PRODUCT_KEYBOARD,
	[VIRTIO_INPUT_TABLET] = VIRTIO_INPUT_PRODUCT_TABLET,
	[VIRTIO_INPUT_MOUSE] = VIRTIO_INPUT_PRODUCT_MOUSE,
};

static bool is_button(uint16_t code)
{
	return code >= BTN_LEFT && code <= BTN_EXTRA;
}

/* The DISPLAY_BUTTON_* bit of button `code` (is_button()). */
static unsigned button_bit(uint16_t code)
{
	unsigned i = 0;

	while (i < NR_BUTTONS - 1 && button_codes[i] != code)
		i++;
	return i;
}

/*
 * Does this kind send (type, code)?  The one answer behind the EV_BITS
 * bitmaps, the host calls' checks and the load's.
 */
static bool kind_has(enum virtio_input_kind kind, uint16_t type, uint16_t code)
{
	switch (type) {
	case EV_KEY:
		if (kind != VIRTIO_INPUT_KEYBOARD)
			return is_button(code);
		/* The codes in input-event-codes.h up to KEY_MICMUTE. */
		return code >= KEY_ESC && code <= KEY_MICMUTE && code != 84 &&
		       !(code >= 195 && code <= 199);
	case EV_REL:
		if (code == REL_WHEEL || code == REL_HWHEEL)
			return kind != VIRTIO_INPUT_KEYBOARD;
		return (code == REL_X || code == REL_Y) && kind == VIRTIO_INPUT_MOUSE;
	case EV_ABS:
		return (code == ABS_X || code == ABS_Y) && kind == VIRTIO_INPUT_TABLET;
	case EV_LED:
		return code <= LED_SCROLLL && kind == VIRTIO_INPUT_KEYBOARD;
	case EV_REP:
		return code <= REP_MAX && kind == VIRTIO_INPUT_KEYBOARD;
	}
	return false;
}

/* The largest code of each type a bitmap may hold (128 bytes: 1024 bits). */
static unsigned type_max(uint16_t type)
{
	switch (type) {
	case EV_KEY:
		return KEY_MAX;
	case EV_REL:
		return REL_MAX;
	case EV_ABS:
		return ABS_MAX;
	case EV_LED:
		return LED_MAX;
	case EV_REP:
		return REP_MAX;
	}
	return 0;
}

static void answer_string(struct virtio_input *in, const char *s)
{
	size_t n = strlen(s);

	memcpy(in->cfg_u, s, n);
	in->cfg_size = (uint8_t)n;
}

/*
 * EV_BITS for `type` (5.8.4): a bitmap of the codes, size the bytes up
 * to the last one set; no code: size 0, the type is not supported.
 */
static void answer_bits(struct virtio_input *in, uint16_t type)
{
	unsigned code, max = type_max(type);

	for (code = 0; max && code <= max; code++) {
		if (!kind_has(in->kind, type, (uint16_t)code))
			continue;
		in->cfg_u[code / 8] |= (uint8_t)(1u << code % 8);
		in->cfg_size = (uint8_t)(code / 8 + 1);
	}
}

/* Recomputes the answer to the driver's select/subsel (5.8.4). */
static void cfg_answer(struct virtio_input *in)
{
	uint8_t *u = in->cfg_u;

	memset(u, 0, sizeof(in->cfg_u));
	in->cfg_size = 0;
	switch (in->select) {
	case VIRTIO_INPUT_CFG_ID_NAME:
		if (!in->subsel)
			answer_string(in, kind_names[in->kind]);
		break;
	case VIRTIO_INPUT_CFG_ID_SERIAL:
		if (!in->subsel)
			answer_string(in, kind_serials[in->kind]);
		break;
	case VIRTIO_INPUT_CFG_ID_DEVIDS:
		if (in->subsel)
			break;
		put_le(u, BUS_VIRTUAL, 2);
		put_le(u + 2, VIRTIO_INPUT_VENDOR, 2);
		put_le(u + 4, kind_products[in->kind], 2);
		put_le(u + 6, VIRTIO_INPUT_VERSION, 2);
		in->cfg_size = 8;
		break;
	case VIRTIO_INPUT_CFG_PROP_BITS:
		/* No property (no INPUT_PROP_DIRECT: see the header): empty. */
		break;
	case VIRTIO_INPUT_CFG_EV_BITS:
		answer_bits(in, in->subsel);
		break;
	case VIRTIO_INPUT_CFG_ABS_INFO:
		/* struct virtio_input_absinfo: le32 min, max, fuzz, flat, res. */
		if (!kind_has(in->kind, EV_ABS, in->subsel))
			break;
		put_le(u, 0, 4);
		put_le(u + 4, VIRTIO_INPUT_ABS_MAX, 4);
		in->cfg_size = 20;
		break;
	}
}

static void input_cfg_read(void *opaque, uint32_t off, unsigned size,
			   uint64_t *val)
{
	struct virtio_input *in = opaque;
	uint8_t cfg[VIRTIO_INPUT_CFG_LEN] = { 0 };
	unsigned i;

	cfg[VIRTIO_INPUT_CFG_SELECT] = in->select;
	cfg[VIRTIO_INPUT_CFG_SUBSEL] = in->subsel;
	cfg[VIRTIO_INPUT_CFG_SIZE] = in->cfg_size;
	memcpy(cfg + VIRTIO_INPUT_CFG_U, in->cfg_u, sizeof(in->cfg_u));
	/* The transport keeps off + size within VIRTIO_INPUT_CFG_LEN. */
	*val = 0;
	for (i = 0; i < size && off + i < sizeof(cfg); i++)
		*val |= (uint64_t)cfg[off + i] << (8 * i);
}

/*
 * 5.8.4: the driver writes select and subsel (bytes 0 and 1, alone or
 * as one 16-bit write); size and the answer are the device's, and a
 * write anywhere else is ignored.
 */
static void input_cfg_write(void *opaque, uint32_t off, unsigned size,
			    uint64_t val)
{
	struct virtio_input *in = opaque;

	if (size == 1 && off == VIRTIO_INPUT_CFG_SELECT)
		in->select = (uint8_t)val;
	else if (size == 1 && off == VIRTIO_INPUT_CFG_SUBSEL)
		in->subsel = (uint8_t)val;
	else if (size == 2 && off == VIRTIO_INPUT_CFG_SELECT) {
		in->select = (uint8_t)val;
		in->subsel = (uint8_t)(val >> 8);
	} else
		return;
	cfg_answer(in);
}

/* --- eventq ------------------------------------------------------------- */

static struct virtio_input_event *ring_at(struct virtio_input *in, unsigned i)
{
	return &in->ring[(in->head + i) % VIRTIO_INPUT_RING];
}

/* Events in the oldest waiting group (every group ends in EV_SYN). */
static unsigned first_group_len(struct virtio_input *in)
{
	unsigned n = 0;

	while (n < in->count && ring_at(in, n)->type != EV_SYN)
		n++;
	return n < in->count ? n + 1 : n;
}

/*
 * Puts the first `n` waiting events into `n` eventq buffers, one each,
 * published with one used-index update (virtq_push_many()).  Returns
 * false, taking no buffer, when fewer than `n` are available.
 */
static bool deliver_group(struct virtio_input *in, struct virtq *vq, unsigned n)
{
	uint16_t heads[VIRTIO_INPUT_MAX_GROUP];
	uint32_t written[VIRTIO_INPUT_MAX_GROUP];
	unsigned i;
	int ret;

	for (i = 0; i < n; i++) {
		const struct virtio_input_event *ev = ring_at(in, i);
		uint8_t wire[VIRTIO_INPUT_EVENT_LEN];

		ret = virtq_pop(vq, &in->elem);
		if (ret < 0)
			return false;	/* broken: the transport set NEEDS_RESET */
		if (ret == 0) {
			/*
			 * Too few: give them all back (each virtq_unpop()
			 * steps back one chain); the group waits whole.  With
			 * EVENT_IDX the empty pop asked for a notification at
			 * the current index, so the driver's next buffer kicks.
			 */
			while (i--)
				virtq_unpop(vq);
			return false;
		}
		put_le(wire, ev->type, 2);
		put_le(wire + 2, ev->code, 2);
		put_le(wire + 4, ev->value, 4);
		/* A buffer shorter than an event gets what fits; used says how much. */
		written[i] = (uint32_t)virtq_elem_to_guest(&in->elem, 0, wire,
							   sizeof(wire));
		heads[i] = in->elem.head;
	}
	return virtq_push_many(vq, heads, written, n) == 0;
}

/* Delivers waiting groups, oldest first, while the buffers last. */
static void flush(struct virtio_input *in)
{
	struct virtq *vq = virtio_pci_queue(&in->vp, VIRTIO_INPUT_EVENTQ);
	bool pushed = false;
	unsigned n;

	if (!vq)
		return;
	while (in->count) {
		n = first_group_len(in);
		/* A group the whole queue cannot hold would block the rest forever. */
		if (n <= vq->size) {
			if (!deliver_group(in, vq, n))
				break;
			pushed = true;
		} else {
			in->dropped++;
		}
		in->head = (in->head + n) % VIRTIO_INPUT_RING;
		in->count -= n;
	}
	if (pushed)
		virtio_pci_notify_queue(&in->vp, VIRTIO_INPUT_EVENTQ);
}

static bool is_abs_group(const struct virtio_input_event *ev)
{
	return ev[0].type == EV_ABS && ev[0].code == ABS_X &&
	       ev[1].type == EV_ABS && ev[1].code == ABS_Y && ev[2].type == EV_SYN;
}

/*
 * A new position while the last waiting group is a position: replace its
 * coordinates (see the header).  Returns true when it did.
 */
static bool coalesce_abs(struct virtio_input *in,
			 const struct virtio_input_event *g, unsigned n)
{
	struct virtio_input_event last[3];
	unsigned i, start;

	if (n != 3 || !is_abs_group(g) || in->count < 3)
		return false;
	start = in->count - 3;
	/* The tail is a whole group only if it starts the ring or follows a SYN. */
	if (start && ring_at(in, start - 1)->type != EV_SYN)
		return false;
	for (i = 0; i < 3; i++)
		last[i] = *ring_at(in, start + i);
	if (!is_abs_group(last))
		return false;
	ring_at(in, start)->value = g[0].value;
	ring_at(in, start + 1)->value = g[1].value;
	return true;
}

/* Sends the `n` events of `g` and SYN_REPORT as one group. */
static void emit(struct virtio_input *in, struct virtio_input_event *g,
		 unsigned n)
{
	unsigned i;

	g[n++] = (struct virtio_input_event){ EV_SYN, SYN_REPORT, 0 };
	flush(in);
	if (in->count && coalesce_abs(in, g, n))
		return;
	if (VIRTIO_INPUT_RING - in->count < n) {
		in->dropped++;
		return;
	}
	for (i = 0; i < n; i++)
		in->ring[(in->head + in->count + i) % VIRTIO_INPUT_RING] = g[i];
	in->count += n;
	flush(in);
}

/* --- host input --------------------------------------------------------- */

int virtio_input_key(struct virtio_input *in, uint16_t code, bool down)
{
	struct virtio_input_event g[2] = { { EV_KEY, code, down } };
	unsigned i;

	if (!kind_has(in->kind, EV_KEY, code))
		return -EINVAL;
	if (in->kind != VIRTIO_INPUT_KEYBOARD) {
		i = button_bit(code);
		if (down)
			in->buttons |= 1u << i;
		else
			in->buttons &= ~(1u << i);
	}
	emit(in, g, 1);
	return 0;
}

/* Scales v of 0 .. extent - 1 (clamped) to 0 .. VIRTIO_INPUT_ABS_MAX. */
static uint32_t scale(uint32_t v, uint32_t extent)
{
	if (v >= extent)
		v = extent - 1;
	if (extent == 1)
		return 0;
	return (uint32_t)((uint64_t)v * VIRTIO_INPUT_ABS_MAX / (extent - 1));
}

int virtio_input_abs(struct virtio_input *in, uint32_t x, uint32_t y,
		     uint32_t width, uint32_t height)
{
	struct virtio_input_event g[3] = {
		{ EV_ABS, ABS_X, 0 }, { EV_ABS, ABS_Y, 0 },
	};

	if (in->kind != VIRTIO_INPUT_TABLET)
		return -EOPNOTSUPP;
	if (!width || !height)
		return -EINVAL;
	g[0].value = scale(x, width);
	g[1].value = scale(y, height);
	emit(in, g, 2);
	return 0;
}

int virtio_input_buttons(struct virtio_input *in, uint32_t mask)
{
	struct virtio_input_event g[VIRTIO_INPUT_MAX_GROUP];
	uint32_t changed;
	unsigned i, n = 0;

	if (in->kind == VIRTIO_INPUT_KEYBOARD)
		return -EOPNOTSUPP;
	if (mask & ~DISPLAY_BUTTONS_ALL)
		return -EINVAL;
	changed = mask ^ in->buttons;
	if (!changed)
		return 0;
	for (i = 0; i < NR_BUTTONS; i++)
		if (changed & 1u << i)
			g[n++] = (struct virtio_input_event){
				EV_KEY, button_codes[i], mask >> i & 1 };
	in->buttons = mask;
	emit(in, g, n);
	return 0;
}

int virtio_input_wheel(struct virtio_input *in, int32_t dy, int32_t dx)
{
	struct virtio_input_event g[3];
	unsigned n = 0;

	if (in->kind == VIRTIO_INPUT_KEYBOARD)
		return -EOPNOTSUPP;
	if (dy)
		g[n++] = (struct virtio_input_event){ EV_REL, REL_WHEEL, (uint32_t)dy };
	if (dx)
		g[n++] = (struct virtio_input_event){ EV_REL, REL_HWHEEL, (uint32_t)dx };
	if (n)
		emit(in, g, n);
	return 0;
}

int virtio_input_rel(struct virtio_input *in, int32_t dx, int32_t dy)
{
	struct virtio_input_event g[3];
	unsigned n = 0;

	if (in->kind != VIRTIO_INPUT_MOUSE)
		return -EOPNOTSUPP;
	if (dx)
		g[n++] = (struct virtio_input_event){ EV_REL, REL_X, (uint32_t)dx };
	if (dy)
		g[n++] = (struct virtio_input_event){ EV_REL, REL_Y, (uint32_t)dy };
	if (n)
		emit(in, g, n);
	return 0;
}

static void note_ready(struct virtio_input *in);

void virtio_input_kick(struct virtio_input *in)
{
	note_ready(in);
	flush(in);
}

void virtio_input_on_ready_changed(struct virtio_input *in, void (*cb)(void *opaque),
				   void *opaque)
{
	in->ready_changed = cb;
	in->ready_opaque = opaque;
}

bool virtio_input_driver_ready(const struct virtio_input *in)
{
	return in->driver_ready;
}

uint8_t virtio_input_leds(const struct virtio_input *in)
{
	return in->leds;
}

unsigned virtio_input_pending(const struct virtio_input *in)
{
	return in->count;
}

uint64_t virtio_input_dropped(const struct virtio_input *in)
{
	return in->dropped;
}

/* --- statusq ------------------------------------------------------------ */

/* Events read from one statusq buffer at most (Linux sends one a buffer). */
#define STATUS_EVENTS_MAX	8

/* 5.8.6.2: the driver reports LED state as EV_LED events. */
static void status_event(struct virtio_input *in, const uint8_t *wire)
{
	uint16_t type = (uint16_t)get_le(wire, 2);
	uint16_t code = (uint16_t)get_le(wire + 2, 2);
	uint32_t value = (uint32_t)get_le(wire + 4, 4);

	if (type != EV_LED || !kind_has(in->kind, EV_LED, code))
		return;
	if (value)
		in->leds |= (uint8_t)(1u << code);
	else
		in->leds &= (uint8_t)~(1u << code);
}

static void status_drain(struct virtio_input *in)
{
	struct virtq *vq = virtio_pci_queue(&in->vp, VIRTIO_INPUT_STATUSQ);
	struct virtq_elem *e = &in->elem;
	uint8_t wire[VIRTIO_INPUT_EVENT_LEN];
	bool pushed = false;
	unsigned i;

	if (!vq)
		return;
	while (virtq_pop(vq, e) == 1) {
		for (i = 0; i < STATUS_EVENTS_MAX; i++) {
			if (virtq_elem_from_guest(e, (uint64_t)i * sizeof(wire), wire,
						  sizeof(wire)) < sizeof(wire))
				break;
			status_event(in, wire);
		}
		virtq_push(vq, e->head, 0);
		pushed = true;
	}
	if (pushed)
		virtio_pci_notify_queue(&in->vp, VIRTIO_INPUT_STATUSQ);
}

/*
 * Has the driver come (DRIVER_OK, 3.1.1 step 8) or gone (a reset) since
 * we last looked?  The transport calls queue_notify for each enabled
 * queue when DRIVER_OK is set, and a driver has enabled its eventq by
 * then (5.8.5: it fills it with buffers), so looking here and at reset
 * sees every change.
 */
static void set_ready(struct virtio_input *in, bool ready)
{
	if (ready == in->driver_ready)
		return;
	in->driver_ready = ready;
	if (in->ready_changed)
		in->ready_changed(in->ready_opaque);
}

static void note_ready(struct virtio_input *in)
{
	set_ready(in, (in->vp.status & VIRTIO_STATUS_DRIVER_OK) && !in->vp.resetting);
}

static void input_notify(void *opaque, unsigned q)
{
	struct virtio_input *in = opaque;

	note_ready(in);
	if (q == VIRTIO_INPUT_EVENTQ)
		flush(in);
	else if (q == VIRTIO_INPUT_STATUSQ)
		status_drain(in);
}

static int input_reset(void *opaque)
{
	struct virtio_input *in = opaque;

	in->head = in->count = 0;
	in->leds = 0;
	in->buttons = 0;
	in->select = in->subsel = 0;
	cfg_answer(in);
	/* The status may still read DRIVER_OK here: the driver is gone all the same. */
	set_ready(in, false);
	return 0;
}

static const struct virtio_dev_ops input_ops = {
	.cfg_read = input_cfg_read,
	.cfg_write = input_cfg_write,
	.queue_notify = input_notify,
	.reset = input_reset,
};

int virtio_input_init(struct virtio_input *in, struct pci_bus *bus, int slot,
		      const struct gmem *mem, enum virtio_input_kind kind)
{
	uint32_t class_code = kind == VIRTIO_INPUT_KEYBOARD ?
			      VIRTIO_PCI_CLASS_INPUT_KEYBOARD :
			      VIRTIO_PCI_CLASS_INPUT_OTHER;
	int ret;

	if (kind != VIRTIO_INPUT_KEYBOARD && kind != VIRTIO_INPUT_TABLET &&
	    kind != VIRTIO_INPUT_MOUSE)
		return -EINVAL;
	in->kind = kind;
	in->dropped = 0;
	in->driver_ready = false;
	in->ready_changed = NULL;
	input_reset(in);
	ret = virtio_pci_init(&in->vp, bus, slot, mem, VIRTIO_ID_INPUT, class_code,
			      2, VIRTIO_INPUT_QUEUE_SIZE, VIRTIO_INPUT_CFG_LEN, 0,
			      &input_ops, in);
	return ret;
}

/* --- save and restore --------------------------------------------------- */

#define VIRTIO_INPUT_STATE_VERSION	1

int virtio_input_save(const struct virtio_input *in, struct state_writer *w)
{
	unsigned i;
	int ret = virtio_pci_save(&in->vp, w);

	if (ret)
		return ret;
	state_section_begin(w, "virtio-input", in->vp.pci.devfn,
			    VIRTIO_INPUT_STATE_VERSION);
	state_put_u8(w, (uint8_t)in->kind);
	state_put_u8(w, in->select);
	state_put_u8(w, in->subsel);
	state_put_u8(w, in->leds);
	state_put_u32(w, in->buttons);
	state_put_u16(w, (uint16_t)in->count);
	for (i = 0; i < in->count; i++) {
		const struct virtio_input_event *ev =
			&in->ring[(in->head + i) % VIRTIO_INPUT_RING];

		state_put_u16(w, ev->type);
		state_put_u16(w, ev->code);
		state_put_u32(w, ev->value);
	}
	state_section_end(w);
	return state_writer_error(w);
}

/*
 * Could this device have queued ring[0 .. count)?  Whole groups of at
 * most VIRTIO_INPUT_MAX_GROUP events this kind sends, each ending in
 * SYN_REPORT; positions within the axis range.
 */
static int check_ring(struct state_reader *r, enum virtio_input_kind kind,
		      const struct virtio_input_event *ring, unsigned count)
{
	unsigned i, len = 0;

	for (i = 0; i < count; i++) {
		const struct virtio_input_event *ev = &ring[i];

		if (++len > VIRTIO_INPUT_MAX_GROUP)
			return state_reader_fail(r, "virtio-input: event group at %u too long", i);
		if (ev->type == EV_SYN) {
			if (ev->code != SYN_REPORT || ev->value)
				return state_reader_fail(r, "virtio-input: bad EV_SYN at %u", i);
			len = 0;
			continue;
		}
		if ((ev->type != EV_KEY && ev->type != EV_REL && ev->type != EV_ABS) ||
		    !kind_has(kind, ev->type, ev->code))
			return state_reader_fail(r, "virtio-input: event %u type %u code %u not this device's",
						 i, ev->type, ev->code);
		if ((ev->type == EV_KEY && ev->value > 1) ||
		    (ev->type == EV_ABS && ev->value > VIRTIO_INPUT_ABS_MAX))
			return state_reader_fail(r, "virtio-input: event %u value %u out of range",
						 i, ev->value);
	}
	if (len)
		return state_reader_fail(r, "virtio-input: last event group not ended");
	return 0;
}

int virtio_input_load(struct virtio_input *in, struct state_reader *r)
{
	struct virtio_input_event *ring;
	struct virtio_pci *vp;
	uint8_t kind, select, subsel, leds;
	uint32_t buttons;
	unsigned i, count;
	int ret;

	/* The transport and the ring into copies: nothing changes unless all loads. */
	vp = malloc(sizeof(*vp));
	if (!vp)
		return -ENOMEM;
	ring = calloc(VIRTIO_INPUT_RING, sizeof(*ring));
	if (!ring) {
		ret = -ENOMEM;
		goto out_free_vp;
	}
	memcpy(vp, &in->vp, sizeof(*vp));
	ret = virtio_pci_load(vp, r);
	if (ret)
		goto out_free_ring;
	ret = state_section_open(r, "virtio-input", in->vp.pci.devfn,
				 VIRTIO_INPUT_STATE_VERSION, NULL);
	if (ret)
		goto out_free_ring;
	kind = state_get_u8(r);
	/* Any select/subsel byte is one a driver can write: all are states. */
	select = state_get_u8(r);
	subsel = state_get_u8(r);
	leds = state_get_u8(r);
	buttons = state_get_u32(r);
	count = state_get_u16(r);
	if (kind != in->kind)
		state_reader_fail(r, "virtio-input: kind %u, this device is %u",
				  kind, in->kind);
	else if (leds & ~(kind == VIRTIO_INPUT_KEYBOARD ? LEDS_ALL : 0))
		state_reader_fail(r, "virtio-input: LEDs %#x", leds);
	else if (buttons & ~(kind == VIRTIO_INPUT_KEYBOARD ? 0 : DISPLAY_BUTTONS_ALL))
		state_reader_fail(r, "virtio-input: buttons %#x", buttons);
	else if (count > VIRTIO_INPUT_RING)
		state_reader_fail(r, "virtio-input: %u events, the ring holds %u",
				  count, VIRTIO_INPUT_RING);
	ret = state_reader_error(r);
	if (ret)
		goto out_free_ring;
	for (i = 0; i < count; i++) {
		ring[i].type = state_get_u16(r);
		ring[i].code = state_get_u16(r);
		ring[i].value = state_get_u32(r);
	}
	ret = state_section_close(r);
	if (!ret)
		ret = check_ring(r, in->kind, ring, count);
	if (ret)
		goto out_free_ring;
	memcpy(&in->vp, vp, sizeof(*vp));
	in->select = select;
	in->subsel = subsel;
	cfg_answer(in);
	in->leds = leds;
	in->buttons = buttons;
	memcpy(in->ring, ring, count * sizeof(*ring));
	in->head = 0;
	in->count = count;
out_free_ring:
	free(ring);
out_free_vp:
	free(vp);
	return ret;
}
