/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * devices/virtio-input.h - virtio input device (device type 18, virtio
 * 1.2 section 5.8) on the virtio-pci transport: a keyboard, a tablet
 * (absolute pointer) or a mouse (relative pointer), chosen at init.
 *
 * Queues (5.8.2): 0 eventq (device -> driver), 1 statusq (driver ->
 * device).  No feature bits (5.8.3).  Configuration (5.8.4): u8 select,
 * u8 subsel, u8 size, u8 reserved[5], then 128 bytes of answer; the
 * driver writes select/subsel and reads size and the answer (size 0: not
 * supported).  What each kind answers:
 *
 *   keyboard  EV_KEY: KEY_ESC .. KEY_MICMUTE (every code a PC keyboard
 *             has through atkbd; the unassigned 84 and 195..199 left out),
 *             EV_REP, EV_LED: LED_NUML, LED_CAPSL, LED_SCROLLL
 *   tablet    EV_ABS: ABS_X, ABS_Y in 0 .. VIRTIO_INPUT_ABS_MAX, EV_KEY:
 *             BTN_LEFT, BTN_RIGHT, BTN_MIDDLE, BTN_SIDE, BTN_EXTRA,
 *             EV_REL: REL_WHEEL, REL_HWHEEL; no INPUT_PROP_DIRECT, so a
 *             Linux guest takes it for an absolute mouse
 *   mouse     EV_REL: REL_X, REL_Y, REL_WHEEL, REL_HWHEEL, the same buttons
 *
 * and all three ID_NAME ("vmain keyboard", ...), ID_SERIAL, ID_DEVIDS
 * (BUS_VIRTUAL, vendor VIRTIO_INPUT_VENDOR, product per kind, version 1)
 * and an empty PROP_BITS (size 0).
 *
 * Events (5.8.6): each host call below emits its events then EV_SYN /
 * SYN_REPORT, one group.  A group goes into the driver's eventq buffers,
 * one 8-byte struct virtio_input_event per buffer, all of it under one
 * used-index update (the driver never sees half a group), as soon as
 * enough buffers are available; until then it waits, in order, in a ring
 * of VIRTIO_INPUT_RING events per device, flushed when the driver
 * notifies eventq (and at DRIVER_OK).  A full ring drops the new group
 * whole and counts it (`dropped`): a guest that never reads costs a
 * fixed amount of memory.  A group larger than the eventq could ever
 * hold is dropped likewise.  Absolute motion coalesces: a tablet position
 * whose group would wait behind a position group that is still the last
 * one waiting replaces that group's coordinates (the guest gets the
 * newest position, and a stalled guest fills no ring with motion).
 * Key repeat is the guest's (EV_REP advertised).
 *
 * statusq: the driver's LED events (EV_LED, LED_NUML/CAPSL/SCROLLL) set
 * the keyboard's LED state (virtio_input_leds()); everything else there
 * is ignored, and every buffer is returned.
 *
 * Events made before DRIVER_OK wait in the ring too; but a driver resets
 * the device first when it binds (3.1.1 step 1), and a reset (status 0)
 * drops the waiting events (not counted), turns the LEDs off, counts the
 * buttons as up and sets select/subsel back to 0: input typed before the
 * driver bound is not replayed to it.
 *
 * Threads: not thread-safe; the caller serialises the host calls, the
 * bus entry points (pci_mmio()) and save/load with the one device lock
 * (machine.lock in the VM).  Nothing blocks.
 */
#ifndef VMAIN_MONITOR_DEVICES_VIRTIO_INPUT_H
#define VMAIN_MONITOR_DEVICES_VIRTIO_INPUT_H

#include <stdbool.h>
#include <stdint.h>

#include "virtio/virtio-pci.h"

/* Configuration selects (5.8.4). */
#define VIRTIO_INPUT_CFG_UNSET		0x00
#define VIRTIO_INPUT_CFG_ID_NAME	0x01
#define VIRTIO_INPUT_CFG_ID_SERIAL	0x02
#define VIRTIO_INPUT_CFG_ID_DEVIDS	0x03
#define VIRTIO_INPUT_CFG_PROP_BITS	0x10
#define VIRTIO_INPUT_CFG_EV_BITS	0x11
#define VIRTIO_INPUT_CFG_ABS_INFO	0x12

/* Configuration layout (5.8.4). */
#define VIRTIO_INPUT_CFG_SELECT		0
#define VIRTIO_INPUT_CFG_SUBSEL		1
#define VIRTIO_INPUT_CFG_SIZE		2
#define VIRTIO_INPUT_CFG_U		8
#define VIRTIO_INPUT_CFG_U_LEN		128
#define VIRTIO_INPUT_CFG_LEN		(VIRTIO_INPUT_CFG_U + VIRTIO_INPUT_CFG_U_LEN)

#define VIRTIO_INPUT_EVENTQ		0
#define VIRTIO_INPUT_STATUSQ		1
#define VIRTIO_INPUT_QUEUE_SIZE		64
#define VIRTIO_INPUT_EVENT_LEN		8	/* le16 type, le16 code, le32 value */
#define VIRTIO_INPUT_RING		256	/* events waiting per device */
#define VIRTIO_INPUT_MAX_GROUP		6	/* five buttons + SYN_REPORT */
#define VIRTIO_INPUT_ABS_MAX		32767

/*
 * 0x0627: the vendor id virtual input devices commonly report (vmain has
 * no USB-IF vendor id of its own); products below, one per kind.
 */
#define VIRTIO_INPUT_VENDOR		0x0627
#define VIRTIO_INPUT_PRODUCT_KEYBOARD	1
#define VIRTIO_INPUT_PRODUCT_MOUSE	2
#define VIRTIO_INPUT_PRODUCT_TABLET	3
#define VIRTIO_INPUT_VERSION		1

/*
 * PCI class codes: PCI Code and ID Assignment Specification, base class
 * 09h "input device controller": 00h keyboard controller, 80h other
 * input controller (a pointer that is no pen digitizer, 01h).
 */
#define VIRTIO_PCI_CLASS_INPUT_KEYBOARD	0x090000
#define VIRTIO_PCI_CLASS_INPUT_OTHER	0x098000

enum virtio_input_kind {
	VIRTIO_INPUT_KEYBOARD,
	VIRTIO_INPUT_TABLET,
	VIRTIO_INPUT_MOUSE,
};

/* One event in host order (the wire form is 5.8.6's, little-endian). */
struct virtio_input_event {
	uint16_t type;
	uint16_t code;
	uint32_t value;
};

struct virtio_input {
	struct virtio_pci vp;		/* first */
	enum virtio_input_kind kind;
	/* Configuration: what the driver selected and the answer to it. */
	uint8_t select, subsel;
	uint8_t cfg_size;
	uint8_t cfg_u[VIRTIO_INPUT_CFG_U_LEN];
	uint8_t leds;			/* bit LED_* set: that LED is on */
	uint32_t buttons;		/* DISPLAY_BUTTON_* now down */
	uint64_t dropped;		/* groups dropped, ring full (statistic) */
	/* Events waiting for eventq buffers: whole groups, oldest at head. */
	unsigned head, count;
	struct virtio_input_event ring[VIRTIO_INPUT_RING];
	struct virtq_elem elem;		/* scratch for one chain */
	/* A driver has the device (DRIVER_OK, no reset since), as last seen. */
	bool driver_ready;
	void (*ready_changed)(void *opaque);
	void *ready_opaque;
};

/*
 * Builds a device of `kind` and adds it to `bus` at `slot` (-1: first
 * free).  PCI class VIRTIO_PCI_CLASS_INPUT_KEYBOARD for the keyboard,
 * VIRTIO_PCI_CLASS_INPUT_OTHER for the pointers.  Returns the devfn or
 * -errno (-EINVAL for an unknown kind).
 */
int virtio_input_init(struct virtio_input *in, struct pci_bus *bus, int slot,
		      const struct gmem *mem, enum virtio_input_kind kind);

/*
 * Host input.  Each returns 0 (the group was delivered, is waiting, or
 * was dropped because the ring is full: see `dropped`), -EOPNOTSUPP for
 * an input this kind does not have, or -EINVAL for a bad argument; an
 * error emits nothing.
 *
 * key: EV_KEY `code` down (1) or up (0).  The keyboard takes the codes it
 * advertises; the pointers take BTN_LEFT/RIGHT/MIDDLE/SIDE/EXTRA only
 * (and track them in the button mask).
 */
int virtio_input_key(struct virtio_input *in, uint16_t code, bool down);

/*
 * Tablet: the pointer at (x, y) of a width x height surface, scaled to
 * 0 .. VIRTIO_INPUT_ABS_MAX (x = width - 1 is the maximum; beyond the
 * surface clamps to its edge).  width or height 0: -EINVAL.
 */
int virtio_input_abs(struct virtio_input *in, uint32_t x, uint32_t y,
		     uint32_t width, uint32_t height);

/*
 * Pointers: the buttons now down (DISPLAY_BUTTON_*, display/display.h);
 * one EV_KEY per button that changed, nothing when none did.  Bits past
 * DISPLAY_BUTTONS_ALL: -EINVAL.
 */
int virtio_input_buttons(struct virtio_input *in, uint32_t mask);

/* Pointers: wheel clicks, dy > 0 up (REL_WHEEL), dx > 0 right (REL_HWHEEL). */
int virtio_input_wheel(struct virtio_input *in, int32_t dy, int32_t dx);

/* Mouse: relative motion (REL_X, REL_Y); zero axes are not sent. */
int virtio_input_rel(struct virtio_input *in, int32_t dx, int32_t dy);

/*
 * Delivers waiting events into the buffers the driver made available
 * (what an eventq notification does); the loader calls it after a load.
 */
void virtio_input_kick(struct virtio_input *in);

/*
 * Is a driver using the device: DRIVER_OK set (3.1.1) and no reset
 * since?  `cb` is called (device lock held, from the bus access or from
 * virtio_input_kick()) each time that changes; the machine uses it to
 * tell which pointer the guest drives.  After a load the answer is the
 * fresh device's until virtio_input_kick(), which then calls `cb` if
 * the loaded device differs.
 */
void virtio_input_on_ready_changed(struct virtio_input *in, void (*cb)(void *opaque),
				   void *opaque);
bool virtio_input_driver_ready(const struct virtio_input *in);

/* The keyboard LEDs the driver last set: bit LED_NUML, LED_CAPSL, LED_SCROLLL. */
uint8_t virtio_input_leds(const struct virtio_input *in);

/* Events waiting for buffers; groups dropped so far. */
unsigned virtio_input_pending(const struct virtio_input *in);
uint64_t virtio_input_dropped(const struct virtio_input *in);

struct state_writer;
struct state_reader;

/*
 * Save and restore (state/stream.h): the transport (virtio_pci_save())
 * then section "virtio-input" / devfn: u8 kind, u8 select, u8 subsel,
 * u8 LEDs, le32 button mask, le16 number of waiting events and each
 * (le16 type, le16 code, le32 value), oldest first.  The load refuses
 * another kind, more events than the ring holds, an event this kind
 * could not have sent, a ring that is not whole groups of at most
 * VIRTIO_INPUT_MAX_GROUP, LED or button bits the kind does not have
 * (-EINVAL with the reader's message), and changes the device only when
 * everything loads.  It calls nothing: the loader calls
 * virtio_input_kick() once the machine is loaded.
 */
int virtio_input_save(const struct virtio_input *in, struct state_writer *w);
int virtio_input_load(struct virtio_input *in, struct state_reader *r);

#endif
