// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ui/keymap.c - X keycodes to evdev key codes, and which set a display uses
 * (ui/keymap.h).
 */
#include <linux/input-event-codes.h>
#include <string.h>

#include "keymap.h"	/* gdk.h first: it says which windowing systems exist */

#ifdef GDK_WINDOWING_X11
#include <X11/XKBlib.h>
#include <gdk/gdkx.h>
#endif

/* X keycodes are 8..255; both sets start their keys at 8 + the key's number. */
#define X_KEYCODE_OFFSET	8
#define X_KEYCODE_MAX		255

/*
 * The xfree86 set, past the main block.  Keycodes 9..91 and 94..96 are the
 * PC's set 1 scan codes + 8 in both sets (Escape through the keypad's
 * Delete; the ISO key left of Z; F11, F12), and an evdev code is also the
 * set 1 scan code there, so those need no table.  The rest are the XFree86
 * keyboard driver's own numbers for the 0xe0-prefixed keys and the Japanese
 * keys, here with the evdev key a Linux guest gets from the same physical
 * key.  The driver gives an 0xe0 key it has no name for 0x80 + its scan
 * code (the I-names of xkb's keycodes/xfree86, e.g. I20 = 160): the
 * multimedia keys below.
 *
 * Two are second codes of a key that already has one, as a PC keyboard
 * sends them: Alt+Print is SysRq and Ctrl+Pause is Break.  Linux reports
 * those as the same KEY_SYSRQ and KEY_PAUSE, so the guest sees the key it
 * would from real hardware.
 */
static const unsigned short xfree86_high[X_KEYCODE_MAX + 1] = {
	[92] = KEY_SYSRQ,		/* SYRQ: Alt+Print */
	[97] = KEY_HOME,
	[98] = KEY_UP,
	[99] = KEY_PAGEUP,
	[100] = KEY_LEFT,
	[102] = KEY_RIGHT,		/* 101 is the driver's Begin, no key */
	[103] = KEY_END,
	[104] = KEY_DOWN,
	[105] = KEY_PAGEDOWN,
	[106] = KEY_INSERT,
	[107] = KEY_DELETE,
	[108] = KEY_KPENTER,
	[109] = KEY_RIGHTCTRL,
	[110] = KEY_PAUSE,
	[111] = KEY_SYSRQ,		/* PRSC: Linux's code for the Print key */
	[112] = KEY_KPSLASH,
	[113] = KEY_RIGHTALT,		/* RALT, AltGr on most layouts */
	[114] = KEY_PAUSE,		/* BRK: Ctrl+Pause */
	[115] = KEY_LEFTMETA,		/* LWIN */
	[116] = KEY_RIGHTMETA,		/* RWIN */
	[117] = KEY_COMPOSE,		/* MENU */
	[118] = KEY_F13,
	[119] = KEY_F14,
	[120] = KEY_F15,
	[121] = KEY_F16,
	[122] = KEY_F17,
	[126] = KEY_KPEQUAL,
	[129] = KEY_HENKAN,		/* XFER */
	[131] = KEY_MUHENKAN,		/* NFER */
	[133] = KEY_YEN,		/* AE13 */
	[144] = KEY_PREVIOUSSONG,	/* I10 */
	[153] = KEY_NEXTSONG,		/* I19 */
	[160] = KEY_MUTE,		/* I20 */
	[161] = KEY_CALC,		/* I21 */
	[162] = KEY_PLAYPAUSE,		/* I22 */
	[164] = KEY_STOPCD,		/* I24 */
	[174] = KEY_VOLUMEDOWN,		/* I2E */
	[176] = KEY_VOLUMEUP,		/* I30 */
	[178] = KEY_HOMEPAGE,		/* I32 */
	[208] = KEY_KATAKANAHIRAGANA,	/* HKTG */
	[211] = KEY_RO,			/* AB11 */
	[222] = KEY_POWER,		/* I5E */
	[223] = KEY_SLEEP,		/* I5F */
	[227] = KEY_WAKEUP,		/* I63 */
	[229] = KEY_SEARCH,		/* I65 */
	[230] = KEY_BOOKMARKS,		/* I66 */
	[231] = KEY_REFRESH,		/* I67 */
	[232] = KEY_STOP,		/* I68 */
	[233] = KEY_FORWARD,		/* I69 */
	[234] = KEY_BACK,		/* I6A */
	[235] = KEY_COMPUTER,		/* I6B */
	[236] = KEY_MAIL,		/* I6C */
	[237] = KEY_MEDIA,		/* I6D */
};

static unsigned int xfree86_to_evdev(unsigned int hw)
{
	if (hw > X_KEYCODE_MAX)
		return 0;
	if (hw <= 91 || (hw >= 94 && hw <= 96))
		return hw - X_KEYCODE_OFFSET;
	return xfree86_high[hw];
}

unsigned int ui_keymap_to_evdev(enum ui_keycodes kc, unsigned int hardware_keycode)
{
	/* 0..8 are no key in either set (X keycodes start at 8, and 8 is evdev's KEY_RESERVED). */
	if (hardware_keycode <= X_KEYCODE_OFFSET)
		return 0;
	switch (kc) {
	case UI_KEYCODES_EVDEV:
		/* Wayland's keycodes go past X's 255; evdev's own limit is KEY_MAX. */
		if (hardware_keycode - X_KEYCODE_OFFSET > KEY_MAX)
			return 0;
		return hardware_keycode - X_KEYCODE_OFFSET;
	case UI_KEYCODES_XFREE86:
		return xfree86_to_evdev(hardware_keycode);
	case UI_KEYCODES_UNKNOWN:
		break;
	}
	return 0;
}

const char *ui_keymap_name(enum ui_keycodes kc)
{
	switch (kc) {
	case UI_KEYCODES_EVDEV:
		return "evdev";
	case UI_KEYCODES_XFREE86:
		return "xfree86";
	case UI_KEYCODES_UNKNOWN:
		break;
	}
	return "unknown";
}

enum ui_keycodes ui_keymap_parse(const char *name)
{
	if (name && !strcmp(name, "evdev"))
		return UI_KEYCODES_EVDEV;
	if (name && !strcmp(name, "xfree86"))
		return UI_KEYCODES_XFREE86;
	return UI_KEYCODES_UNKNOWN;
}

#ifdef GDK_WINDOWING_X11
/*
 * The X server's XKB keycodes name, e.g. "evdev+aliases(qwerty)"; NULL when
 * the server has no XKB or no name.  Free with XFree().
 */
static char *x11_keycodes_name(Display *dpy)
{
	XkbDescPtr xkb = XkbAllocKeyboard();
	char *name = NULL;

	if (!xkb)
		return NULL;
	xkb->device_spec = XkbUseCoreKbd;
	if (XkbGetNames(dpy, XkbKeycodesNameMask, xkb) == Success && xkb->names &&
	    xkb->names->keycodes != None)
		name = XGetAtomName(dpy, xkb->names->keycodes);
	XkbFreeKeyboard(xkb, 0, True);
	return name;
}
#endif

enum ui_keycodes ui_keymap_detect(GdkDisplay *display)
{
	enum ui_keycodes kc = UI_KEYCODES_EVDEV;

#ifdef GDK_WINDOWING_X11
	if (display && GDK_IS_X11_DISPLAY(display)) {
		char *name = x11_keycodes_name(gdk_x11_display_get_xdisplay(display));

		/* Prefixes: rules may add parts, as in "xfree86+aliases(qwerty)". */
		if (name && !strncmp(name, "xfree86", strlen("xfree86")))
			kc = UI_KEYCODES_XFREE86;
		if (name)
			XFree(name);
	}
#else
	(void)display;
#endif
	return kc;
}
