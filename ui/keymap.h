/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ui/keymap.h - host key events to the guest's Linux evdev key codes
 * (linux/input-event-codes.h, KEY_*), by the key's position, not its symbol.
 *
 * A hypervisor passes the physical key, as a real keyboard would: the key
 * labelled Z on a German keyboard sits where the US keyboard has Y, so it
 * reaches the guest as KEY_Y and the guest's own layout setting makes it a
 * "z".  Nothing here therefore depends on the host's layout, only on what
 * GDK's hardware_keycode numbers mean, which is the X server's keycode set:
 *
 *   evdev    Xorg with the evdev or libinput driver, Xvfb, Xwayland, and
 *            GDK's Wayland backend: hardware_keycode = evdev code + 8.
 *   xfree86  the old kbd driver, some Xvnc, Xephyr and XQuartz setups: the
 *            PC main block is the same, the keys past it (arrows, the
 *            navigation block, right Ctrl and Alt, the Windows keys, media
 *            keys) have numbers of their own.
 *
 * Threads: ui_keymap_detect() on the GTK main thread; the rest are pure.
 */
#ifndef VMAIN_UI_KEYMAP_H
#define VMAIN_UI_KEYMAP_H

#include <gdk/gdk.h>

/* EVDEV is 0 so that a zeroed struct holding one means the common case. */
enum ui_keycodes {
	UI_KEYCODES_EVDEV,
	UI_KEYCODES_XFREE86,
	UI_KEYCODES_UNKNOWN,	/* no table: ui_keymap_to_evdev() gives 0 */
};

/*
 * The keycode set `display` uses.  Wayland (and anything not X11) is evdev;
 * an X11 display is asked for its XKB keycodes name ("evdev+aliases(qwerty)",
 * "xfree86", ...) and matched by prefix.  Evdev when the name is neither or
 * cannot be read, since every current X server uses it.
 */
enum ui_keycodes ui_keymap_detect(GdkDisplay *display);

/*
 * The evdev code for `hardware_keycode` (GdkEventKey.hardware_keycode) under
 * `kc`; 0 when the keycode has no evdev key (below 9, past KEY_MAX, a hole in
 * the xfree86 table, or kc UNKNOWN).
 */
unsigned int ui_keymap_to_evdev(enum ui_keycodes kc, unsigned int hardware_keycode);

/* The name, for logs and --help: "evdev", "xfree86", "unknown". */
const char *ui_keymap_name(enum ui_keycodes kc);

/* The set named `name` as ui_keymap_name() spells it; UNKNOWN for any other name. */
enum ui_keycodes ui_keymap_parse(const char *name);

#endif
