// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ui/keymap.c - X keycodes to evdev codes (ui/keymap.h).
 */
#include <string.h>

#include "keymap.h"	/* gdk.h first: it says which windowing systems there are */

#ifdef GDK_WINDOWING_X11
#include <X11/XKBlib.h>
#include <gdk/gdkx.h>
#endif

#define KEY_MAX		0x2ff

/*
 * The xfree86 keycodes past the block both sets share (9..91, 94..96 are
 * the AT set 1 scan codes + 8 in both, which is evdev + 8): these are the
 * XFree86 names' positions (HOME, UP, ... in xkb's keycodes/xfree86),
 * each given its evdev key.
 */
static const unsigned short xfree86_high[][2] = {
	{ 92, 99 },	/* SYRQ: Alt+Print, KEY_SYSRQ */
	{ 97, 102 },	/* HOME */
	{ 98, 103 },	/* UP */
	{ 99, 104 },	/* PGUP */
	{ 100, 105 },	/* LEFT */
	{ 102, 106 },	/* RGHT */
	{ 103, 107 },	/* END */
	{ 104, 108 },	/* DOWN */
	{ 105, 109 },	/* PGDN */
	{ 106, 110 },	/* INS */
	{ 107, 111 },	/* DELE */
	{ 108, 96 },	/* KPEN: KEY_KPENTER */
	{ 109, 97 },	/* RCTL */
	{ 110, 119 },	/* PAUS */
	{ 111, 210 },	/* PRSC: KEY_PRINT */
	{ 112, 98 },	/* KPDV: KEY_KPSLASH */
	{ 113, 100 },	/* RALT (AltGr) */
	{ 115, 125 },	/* LWIN: KEY_LEFTMETA */
	{ 116, 126 },	/* RWIN: KEY_RIGHTMETA */
	{ 117, 127 },	/* MENU: KEY_COMPOSE */
	{ 126, 117 },	/* KPEQ: KEY_KPEQUAL */
	{ 129, 92 },	/* XFER: KEY_HENKAN */
	{ 131, 94 },	/* NFER: KEY_MUHENKAN */
	{ 133, 124 },	/* AE13: KEY_YEN */
	{ 208, 93 },	/* HKTG: KEY_KATAKANAHIRAGANA */
	{ 211, 89 },	/* AB11: KEY_RO */
};

unsigned int ui_keymap_to_evdev(enum ui_keycodes kc, unsigned int hw)
{
	if (hw < 9)
		return 0;
	if (kc == UI_KEYCODES_XFREE86) {
		if (hw <= 91 || (hw >= 94 && hw <= 96))
			return hw - 8;
		for (unsigned int i = 0; i < G_N_ELEMENTS(xfree86_high); i++)
			if (xfree86_high[i][0] == hw)
				return xfree86_high[i][1];
		return 0;
	}
	return hw - 8 <= KEY_MAX ? hw - 8 : 0;
}

const char *ui_keymap_name(enum ui_keycodes kc)
{
	return kc == UI_KEYCODES_XFREE86 ? "xfree86" : "evdev";
}

enum ui_keycodes ui_keymap_detect(GdkDisplay *display)
{
	enum ui_keycodes kc = UI_KEYCODES_EVDEV;

#ifdef GDK_WINDOWING_X11
	if (display && GDK_IS_X11_DISPLAY(display)) {
		Display *dpy = gdk_x11_display_get_xdisplay(display);
		XkbDescPtr desc = XkbGetMap(dpy, 0, XkbUseCoreKbd);
		char *name = NULL;

		if (desc && XkbGetNames(dpy, XkbKeycodesNameMask, desc) == Success &&
		    desc->names && desc->names->keycodes)
			name = XGetAtomName(dpy, desc->names->keycodes);
		/* "xfree86", "xfree86+aliases(qwerty)"; "evdev+..." is the default. */
		if (name && !strncmp(name, "xfree86", 7))
			kc = UI_KEYCODES_XFREE86;
		if (name)
			XFree(name);
		if (desc)
			XkbFreeKeyboard(desc, 0, True);
	}
#else
	(void)display;
#endif
	return kc;
}
