/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ui/library-window.h - the library: the user's VMs (and the system's ones
 * the user may see) with their states, kept live, and what a person does
 * with them: start, pause and resume, stop (the power button, then a hard
 * stop after a confirmation), open the screen, take a screenshot, create,
 * edit and delete.  VMs are made, changed and removed by running the
 * `vmain` command (ui/vmain-cli.h): the same code and checks as a
 * terminal.  Running VMs are watched over their control API (ui/vm.h);
 * VMs that appear or go are noticed by watching the bundles' and the
 * sockets' directories.  Nothing polls.
 *
 * Threads: the GTK main thread only.
 */
#ifndef VMAIN_UI_LIBRARY_WINDOW_H
#define VMAIN_UI_LIBRARY_WINDOW_H

#include <gtk/gtk.h>

struct ui_settings;

/* Opens the library window; `settings` (may be NULL) must outlive it. */
GtkWindow *library_window_open(GtkApplication *app, struct ui_settings *settings);

/* One line per VM shown, "library NAME STATE [system]" (tests, SIGUSR1). */
void library_window_stats(GString *out);

#endif
