// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tests/ui/keymap-test.c - ui/keymap.c: X keycodes of both sets reach the
 * guest as the evdev key at the same position whatever the host's layout,
 * the xfree86 table has no typo'd duplicates, and, when $DISPLAY names an
 * X server (xvfb-run), detection says evdev (or $KEYMAP_TEST_EXPECT, for a
 * server started with xfree86 keycodes) and agrees with the server's own
 * keymap.
 */
#include <linux/input-event-codes.h>
#include <stdbool.h>
#include <stdlib.h>

#include "keymap.h"
#include "tap.h"

struct key {
	unsigned int hw;
	unsigned int evdev;
	const char *what;
};

/* X keycodes under "evdev" keycodes (Xorg evdev/libinput, Xvfb, Xwayland). */
static const struct key evdev_keys[] = {
	{ 9, KEY_ESC, "Escape" },
	{ 36, KEY_ENTER, "Return" },
	{ 24, KEY_Q, "q" },
	{ 25, KEY_W, "w" },
	{ 26, KEY_E, "e" },
	{ 27, KEY_R, "r" },
	{ 28, KEY_T, "t" },
	{ 29, KEY_Y, "y (German host: the key labelled Z)" },
	{ 52, KEY_Z, "z (German host: the key labelled Y)" },
	{ 20, KEY_MINUS, "minus (German host: the key labelled sharp s / ?)" },
	{ 94, KEY_102ND, "the ISO key left of Z (German host: < > |)" },
	{ 111, KEY_UP, "Up" },
	{ 113, KEY_LEFT, "Left" },
	{ 114, KEY_RIGHT, "Right" },
	{ 116, KEY_DOWN, "Down" },
	{ 37, KEY_LEFTCTRL, "Control_L" },
	{ 64, KEY_LEFTALT, "Alt_L" },
	{ 133, KEY_LEFTMETA, "Super_L" },
	{ 105, KEY_RIGHTCTRL, "Control_R" },
	{ 108, KEY_RIGHTALT, "AltGr (ISO_Level3_Shift)" },
	{ 104, KEY_KPENTER, "KP_Enter" },
	{ 119, KEY_DELETE, "Delete" },
	{ 0, 0, "keycode 0" },
	{ 8, 0, "keycode 8 (below X's first key)" },
	{ 800, 0, "keycode 800 (past KEY_MAX)" },
	{ KEY_MAX + 8, KEY_MAX, "the last evdev code, KEY_MAX" },
	{ KEY_MAX + 9, 0, "one past KEY_MAX" },
};

/* The same physical keys under "xfree86" keycodes (the kbd driver). */
static const struct key xfree86_keys[] = {
	{ 9, KEY_ESC, "Escape" },
	{ 36, KEY_ENTER, "Return" },
	{ 24, KEY_Q, "q" },
	{ 25, KEY_W, "w" },
	{ 26, KEY_E, "e" },
	{ 27, KEY_R, "r" },
	{ 28, KEY_T, "t" },
	{ 29, KEY_Y, "y (German host: the key labelled Z)" },
	{ 52, KEY_Z, "z (German host: the key labelled Y)" },
	{ 20, KEY_MINUS, "minus (German host: the key labelled sharp s / ?)" },
	{ 94, KEY_102ND, "the ISO key left of Z" },
	{ 37, KEY_LEFTCTRL, "Control_L" },
	{ 64, KEY_LEFTALT, "Alt_L" },
	{ 91, KEY_KPDOT, "KP_Delete, the main block's last key" },
	{ 96, KEY_F12, "F12" },
	{ 97, KEY_HOME, "Home" },
	{ 98, KEY_UP, "Up" },
	{ 100, KEY_LEFT, "Left" },
	{ 102, KEY_RIGHT, "Right" },
	{ 104, KEY_DOWN, "Down" },
	{ 106, KEY_INSERT, "Insert" },
	{ 107, KEY_DELETE, "Delete" },
	{ 108, KEY_KPENTER, "KP_Enter" },
	{ 109, KEY_RIGHTCTRL, "Control_R" },
	{ 113, KEY_RIGHTALT, "Alt_R (AltGr)" },
	{ 115, KEY_LEFTMETA, "Super_L" },
	{ 0, 0, "keycode 0" },
	{ 8, 0, "keycode 8" },
	{ 101, 0, "keycode 101 (no key)" },
	{ 256, 0, "keycode 256 (past X's keycodes)" },
	{ 800, 0, "keycode 800" },
};

/*
 * The only evdev codes two xfree86 keycodes may share: a PC keyboard's
 * SysRq (Alt+Print) and Break (Ctrl+Pause) are second codes of Print and
 * Pause, and Linux gives each pair one key.
 */
static bool shared_code(unsigned int evdev)
{
	return evdev == KEY_SYSRQ || evdev == KEY_PAUSE;
}

static void check_keys(enum ui_keycodes kc, const struct key *keys, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned int got = ui_keymap_to_evdev(kc, keys[i].hw);

		if (!tap_ok(got == keys[i].evdev, "%s: keycode %u (%s) -> %u", ui_keymap_name(kc),
			    keys[i].hw, keys[i].what, keys[i].evdev))
			tap_diag("  got %u", got);
	}
}

static void check_xfree86_table(void)
{
	unsigned short first[KEY_MAX + 1] = { 0 };
	unsigned int keys = 0, dups = 0, big = 0;

	for (unsigned int hw = 0; hw < 1024; hw++) {
		unsigned int ev = ui_keymap_to_evdev(UI_KEYCODES_XFREE86, hw);

		if (!ev)
			continue;
		keys++;
		if (ev > KEY_MAX) {
			tap_diag("  xfree86 keycode %u -> %u, past KEY_MAX", hw, ev);
			big++;
			continue;
		}
		if (first[ev] && !shared_code(ev)) {
			tap_diag("  xfree86 keycodes %u and %u both -> %u", first[ev], hw, ev);
			dups++;
		}
		if (!first[ev])
			first[ev] = hw;
	}
	tap_ok(big == 0, "xfree86: all %u keys' evdev codes are <= KEY_MAX", keys);
	tap_ok(dups == 0, "xfree86: no two keycodes give one evdev code (but SysRq, Break)");
	tap_ok(first[KEY_SYSRQ] == 92 && ui_keymap_to_evdev(UI_KEYCODES_XFREE86, 111) == KEY_SYSRQ,
	       "xfree86: Print (111) and SysRq (92) are both KEY_SYSRQ");
	tap_ok(first[KEY_PAUSE] == 110 && ui_keymap_to_evdev(UI_KEYCODES_XFREE86, 114) == KEY_PAUSE,
	       "xfree86: Pause (110) and Break (114) are both KEY_PAUSE");
}

static void check_names(void)
{
	tap_ok(!strcmp(ui_keymap_name(UI_KEYCODES_EVDEV), "evdev") &&
	       !strcmp(ui_keymap_name(UI_KEYCODES_XFREE86), "xfree86") &&
	       !strcmp(ui_keymap_name(UI_KEYCODES_UNKNOWN), "unknown"),
	       "names: evdev, xfree86, unknown");
	tap_ok(ui_keymap_parse("evdev") == UI_KEYCODES_EVDEV &&
	       ui_keymap_parse("xfree86") == UI_KEYCODES_XFREE86 &&
	       ui_keymap_parse("xfree") == UI_KEYCODES_UNKNOWN &&
	       ui_keymap_parse("") == UI_KEYCODES_UNKNOWN &&
	       ui_keymap_parse(NULL) == UI_KEYCODES_UNKNOWN,
	       "parse: the two names; anything else is unknown");
	tap_ok(ui_keymap_to_evdev(UI_KEYCODES_UNKNOWN, 9) == 0 &&
	       ui_keymap_to_evdev(UI_KEYCODES_UNKNOWN, 36) == 0,
	       "unknown keycodes: no key");
	tap_ok(ui_keymap_detect(NULL) == UI_KEYCODES_EVDEV, "detect: no display is evdev");
}

/* `keyval`'s keycode on the display's first group and level, 0 when it has none. */
static unsigned int keycode_of(GdkDisplay *display, unsigned int keyval)
{
	GdkKeymapKey *keys;
	unsigned int hw = 0;
	gint n;

	if (!gdk_keymap_get_entries_for_keyval(gdk_keymap_get_for_display(display), keyval,
					       &keys, &n))
		return 0;
	for (gint i = 0; i < n && !hw; i++)
		if (keys[i].group == 0 && keys[i].level == 0)
			hw = keys[i].keycode;
	g_free(keys);
	return hw;
}

static void check_detect(void)
{
	static const struct {
		unsigned int keyval, evdev;
		const char *what;
	} sym[] = {
		{ GDK_KEY_Escape, KEY_ESC, "Escape" },
		{ GDK_KEY_Return, KEY_ENTER, "Return" },
		{ GDK_KEY_q, KEY_Q, "q" },
		{ GDK_KEY_Up, KEY_UP, "Up" },
		{ GDK_KEY_Right, KEY_RIGHT, "Right" },
		{ GDK_KEY_Delete, KEY_DELETE, "Delete" },
		{ GDK_KEY_Control_R, KEY_RIGHTCTRL, "Control_R" },
		{ GDK_KEY_KP_Enter, KEY_KPENTER, "KP_Enter" },
	};
	const char *x = getenv("DISPLAY");
	const char *expect = getenv("KEYMAP_TEST_EXPECT");
	enum ui_keycodes want = expect ? ui_keymap_parse(expect) : UI_KEYCODES_EVDEV;
	GdkDisplay *display;
	enum ui_keycodes kc;

	if (!x || !*x) {
		tap_diag("DISPLAY unset: ui_keymap_detect() on a real display is tested by the "
			 "end-to-end test (or run this under xvfb-run -a)");
		return;
	}
	gdk_set_allowed_backends("x11");
	display = gdk_display_open(x);
	if (!tap_ok(display != NULL, "X display %s opens", x))
		return;
	kc = ui_keymap_detect(display);
	tap_ok(kc == want, "detect: X display %s uses %s keycodes (got %s)", x,
	       expect ? expect : "evdev", ui_keymap_name(kc));
	/* The server's own keymap, read through GDK, agrees with the table detection chose. */
	for (size_t i = 0; i < G_N_ELEMENTS(sym); i++) {
		unsigned int hw = keycode_of(display, sym[i].keyval);
		unsigned int got = ui_keymap_to_evdev(kc, hw);

		if (!tap_ok(got == sym[i].evdev, "detect: the server's %s (keycode %u) -> %u",
			    sym[i].what, hw, sym[i].evdev))
			tap_diag("  got %u", got);
	}
	gdk_display_close(display);
}

int main(void)
{
	check_keys(UI_KEYCODES_EVDEV, evdev_keys, G_N_ELEMENTS(evdev_keys));
	check_keys(UI_KEYCODES_XFREE86, xfree86_keys, G_N_ELEMENTS(xfree86_keys));
	check_xfree86_table();
	check_names();
	check_detect();
	return tap_done();
}
