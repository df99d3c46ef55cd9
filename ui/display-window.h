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

struct ui_settings;

/*
 * Opens and shows a display window for VM `name` whose control socket is
 * `socket_path`.  Connection errors (no such VM, refused, no display) are
 * shown inside the window, with the reason.  `settings` (may be NULL) gives
 * and keeps the window's geometry and scaling mode under "vm NAME"; it
 * must outlive the window.
 */
GtkWindow *display_window_open(GtkApplication *app, const char *name,
			       const char *socket_path, struct ui_settings *settings);

#endif
