/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ui/display-priv.h - what the display window's two files share: the
 * window (ui/display-window.c: the connection, the picture, the header
 * bar, geometry) and its input (ui/display-input.c: keys, capture,
 * pointer).  Not for other parts of the app.
 *
 * Threads: the GTK main thread only.
 */
#ifndef VMAIN_UI_DISPLAY_PRIV_H
#define VMAIN_UI_DISPLAY_PRIV_H

#include <stdint.h>

#include "display-window.h"
#include "keymap.h"
#include "render.h"
#include "vm.h"

/* Linux evdev codes (linux/input-event-codes.h) the window itself uses. */
#define KEY_LEFTCTRL		29
#define KEY_LEFTALT		56
#define KEY_RIGHTCTRL		97
#define KEY_RIGHTALT		100
#define KEY_DELETE		111
#define KEY_F			33
#define NKEYS			768	/* KEY_MAX + 1 */

struct dw {
	GtkWidget *window, *header, *area, *overlay, *message;
	GtkWidget *infobar;
	GtkWidget *pause_btn, *power_btn, *kill_btn, *shot_btn, *cad_btn, *full_btn;
	GtkWidget *scaling_combo, *private_btn, *popover;
	struct ui_vm *vm;
	struct ui_settings *settings;
	char *name, *socket, *group;
	enum ui_scaling scaling;
	struct ui_render render;
	cairo_region_t *pending;	/* guest rectangles flushed, not yet rendered */
	enum ui_keycodes keycodes;
	bool captured, fullscreen, closed, sized, private_busy;
	/*
	 * The guest drives its relative mouse (Display1.PointerMode); grabbed:
	 * the pointer is captured too (captured is then set as well), held
	 * at (warp_x, warp_y) of the screen widget, rel_*: fractions of a
	 * guest pixel not yet sent.
	 */
	bool relative, grabbed;
	double warp_x, warp_y, rel_x, rel_y;
	/* Waiting for the VM's socket to come back (display-window.c). */
	GFileMonitor *watch;
	guint reattach_timer;
	unsigned int reattach_tries;
	uint8_t down[NKEYS / 8];
	uint32_t buttons;
	guint follow_timer;
	uint32_t follow_w, follow_h;
	double scroll_x, scroll_y;
	GdkCursor *cursor;
	bool cursor_visible;
	/* The guest's cursor image and where it is, drawn by us while grabbed. */
	cairo_surface_t *cursor_img;
	int cursor_hx, cursor_hy;
	int32_t cursor_x, cursor_y;
	uint64_t draws, scanouts;
};

/* ui/display-window.c */
void show_error(struct dw *d, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
void update_subtitle(struct dw *d);
int device_scale(struct dw *d);
void toggle_fullscreen(struct dw *d);

/* ui/display-input.c */
/* Connects the screen widget's key, button, motion, scroll and focus events. */
void display_input_attach(struct dw *d);
/* Presses or releases evdev key `code` in the guest (kept in d->down). */
void display_input_key(struct dw *d, unsigned int code, bool down);
/* The guest's pointer mode changed: a grab ends when it is absolute again. */
void display_input_pointer_mode(struct dw *d, bool relative);
/* The VM is gone: the keyboard let go of, nothing held any more. */
void display_input_forget(struct dw *d);

#endif
