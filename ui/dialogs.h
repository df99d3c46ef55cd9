/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ui/dialogs.h - what the app's windows share to talk to the person: an
 * error bar above a window's content (the message, with its reason, also
 * said on stderr for logs and tests), a yes/no confirmation, and where to
 * save a screenshot.
 *
 * Threads: the GTK main thread only.
 */
#ifndef VMAIN_UI_DIALOGS_H
#define VMAIN_UI_DIALOGS_H

#include <gtk/gtk.h>
#include <stdbool.h>

/* A hidden error bar (widget name "error") with a close button. */
GtkWidget *ui_error_bar_new(void);

/* Shows `msg` in the bar and prints "vmain-gtk: [WHO: ]MSG" on stderr. */
void ui_error_bar_show(GtkWidget *bar, const char *who, const char *msg);

/*
 * Asks `title` (the dialog's title too) with `text` below it; true when
 * the person chose `yes` (a mnemonic label), false for Cancel or Escape.
 */
bool ui_confirm(GtkWindow *parent, const char *title, const char *text, const char *yes);

/*
 * Asks where to save VM `name`'s screenshot ("Save Screenshot", NAME.png
 * proposed, overwriting confirmed): the path (g_free), or NULL when the
 * person cancelled.
 */
char *ui_ask_screenshot_path(GtkWindow *parent, const char *name);

#endif
