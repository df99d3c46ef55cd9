/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ui/settings.h - vmain-gtk's own settings: window geometry, scaling mode
 * and recent VMs, in a GKeyFile at $XDG_CONFIG_HOME/vmain/vmain-gtk.ini.
 *
 * Writes are debounced: a change schedules one save after a second of
 * quiet (a window being dragged changes its geometry on every configure
 * event and must not write the file each time); ui_settings_flush() and
 * ui_settings_free() save at once what is pending.  A damaged or unreadable
 * file is ignored with a warning on stderr and the defaults are used; it is
 * never a reason to fail.
 *
 * Groups are free-form; the app uses "vm NAME" per VM (keys width, height,
 * maximized, scaling = fit | 1:1 | follow) and "recent" (key vms, a string
 * list, newest first).
 *
 * Threads: the GTK main thread only.
 */
#ifndef VMAIN_UI_SETTINGS_H
#define VMAIN_UI_SETTINGS_H

#include <glib.h>
#include <stdbool.h>

struct ui_settings;

/* path NULL: $XDG_CONFIG_HOME/vmain/vmain-gtk.ini.  Never NULL. */
struct ui_settings *ui_settings_load(const char *path);
/* Saves what is pending, then frees. */
void ui_settings_free(struct ui_settings *s);

/* NULL (get_string) or def (get_int) when unset or of the wrong type. */
char *ui_settings_get_string(struct ui_settings *s, const char *group, const char *key);
int ui_settings_get_int(struct ui_settings *s, const char *group, const char *key, int def);
/* Store a value; the file is written once changes have been quiet for 1 s. */
void ui_settings_set_string(struct ui_settings *s, const char *group, const char *key,
			    const char *value);
void ui_settings_set_int(struct ui_settings *s, const char *group, const char *key, int value);

/* Recent VMs, newest first, at most 10: add moves a name to the front. */
void ui_settings_add_recent(struct ui_settings *s, const char *vm);
char **ui_settings_recent(struct ui_settings *s);	/* g_strfreev() it */

/* Write now if anything is pending: 0 or -errno. */
int ui_settings_flush(struct ui_settings *s);
/* How many times the file has been written (tests). */
unsigned int ui_settings_writes(const struct ui_settings *s);

#endif
