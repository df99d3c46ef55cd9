/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ui/display-window.h - a window showing one VM's screen (org.vmain.Display1)
 * and driving its keyboard and pointer.  It attaches to a running VM by its
 * control socket and detaches when closed; closing it never stops the VM.
 * Any number of windows, on one VM or several, may be open at once.
 *
 * Threads: the GTK main thread only.
 */
#ifndef VMAIN_UI_DISPLAY_WINDOW_H
#define VMAIN_UI_DISPLAY_WINDOW_H

#include <gtk/gtk.h>
#include <stdbool.h>

#include "scale.h"

struct ui_settings;

/* What main.c's options set for every window opened after. */
struct display_window_options {
	bool inline_pixels;	/* --inline: pixels in the calls (forwarded sockets) */
	bool scaling_set;	/* --scaling: overrides the saved mode */
	enum ui_scaling scaling;
};
extern struct display_window_options display_window_options;

/*
 * Opens and shows a display window for VM `name` whose control socket is
 * `socket_path`.  Connection errors (no such VM, refused, no display) are
 * shown inside the window, with the reason.  `settings` (may be NULL) gives
 * and keeps the window's geometry and scaling mode under "vm NAME"; it
 * must outlive the window.
 */
GtkWindow *display_window_open(GtkApplication *app, const char *name,
			       const char *socket_path, struct ui_settings *settings);

/*
 * One line per open display window, for tests and measurements:
 * "display NAME updates=U draws=D scanouts=S scale=F mode=M WxH captured=C
 * area=WxH" (U: damage calls from the VM, D: draws of the window, WxH the
 * guest's size, C: 1 while the keyboard is captured, area: the drawing
 * area in device pixels).
 */
void display_window_stats(GString *out);

#endif
