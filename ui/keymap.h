/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ui/keymap.h - host key events to the guest's Linux evdev key codes
 * (linux/input-event-codes.h), by the key's position, not its symbol.
 *
 * A hypervisor passes the physical key, as a real keyboard would: the
 * key labelled Z on a German keyboard is the US keyboard's Y key and
 * reaches the guest as KEY_Y; the guest's own layout setting then makes
 * it a "z".  So nothing here depends on the host's layout, only on what
 * GDK's hardware_keycode numbers mean, which is the X server's keycode
 * set: "evdev" (Xorg with evdev or libinput, Xvfb, Xwayland, and GDK's
 * Wayland backend: evdev code + 8) or the older "xfree86" (the kbd
 * driver, some Xvnc and Xephyr setups), whose codes past the main block
 * differ.
 */
#ifndef VMAIN_UI_KEYMAP_H
#define VMAIN_UI_KEYMAP_H

#include <gdk/gdk.h>

enum ui_keycodes {
	UI_KEYCODES_EVDEV,
	UI_KEYCODES_XFREE86,
};

/* The display's keycode set: X11 says by its XKB keycodes name; anything else is evdev. */
enum ui_keycodes ui_keymap_detect(GdkDisplay *display);

/* The evdev code for hardware keycode `hw` in set `kc`; 0 when none. */
unsigned int ui_keymap_to_evdev(enum ui_keycodes kc, unsigned int hw);

const char *ui_keymap_name(enum ui_keycodes kc);	/* "evdev", "xfree86" */

#endif
