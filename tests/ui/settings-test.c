// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tests/ui/settings-test.c - the app's settings file (ui/settings.c): round
 * trips, recent VMs, the debounce (a burst of 1,000 configure events
 * writes the file at most twice; nothing is written while changes keep
 * coming), flush and free, a damaged file, a file that cannot be written.
 */
#include <errno.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <unistd.h>

#include "settings.h"
#include "tap.h"

/* Turns the main loop for `ms` milliseconds. */
static void run_loop(unsigned int ms)
{
	gint64 end = g_get_monotonic_time() + ms * 1000;

	while (g_get_monotonic_time() < end)
		if (!g_main_context_iteration(NULL, FALSE))
			g_usleep(2000);
}

static char *read_file(const char *path)
{
	char *s = NULL;

	g_file_get_contents(path, &s, NULL, NULL);
	return s;
}

int main(void)
{
	char *dir = g_dir_make_tmp("settings-test.XXXXXX", NULL);
	char *path = g_build_filename(dir, "sub", "vmain-gtk.ini", NULL);
	struct ui_settings *s;
	char **recent, *text;
	unsigned int w;
	int ok;

	/* Round trip. */
	s = ui_settings_load(path);
	tap_ok(ui_settings_get_int(s, "vm web", "width", -1) == -1 &&
	       !ui_settings_get_string(s, "vm web", "scaling"), "no file: the defaults");
	ui_settings_set_int(s, "vm web", "width", 1280);
	ui_settings_set_string(s, "vm web", "scaling", "1:1");
	tap_ok(ui_settings_writes(s) == 0 && !g_file_test(path, G_FILE_TEST_EXISTS),
	       "a change is not written at once");
	run_loop(1300);
	tap_ok(ui_settings_writes(s) == 1 && g_file_test(path, G_FILE_TEST_EXISTS),
	       "a second of quiet writes it once (and makes its directory)");
	ui_settings_set_int(s, "vm web", "width", 1280);
	run_loop(1200);
	tap_ok(ui_settings_writes(s) == 1, "setting the same value writes nothing");
	ui_settings_free(s);
	s = ui_settings_load(path);
	text = ui_settings_get_string(s, "vm web", "scaling");
	tap_ok(ui_settings_get_int(s, "vm web", "width", -1) == 1280 && text && !strcmp(text, "1:1"),
	       "loaded again: width 1280, scaling 1:1");
	g_free(text);

	/* Recent VMs. */
	for (int i = 0; i < 12; i++) {
		char name[16];

		snprintf(name, sizeof(name), "vm%d", i);
		ui_settings_add_recent(s, name);
	}
	ui_settings_add_recent(s, "vm5");
	recent = ui_settings_recent(s);
	tap_ok(g_strv_length(recent) == 10 && !strcmp(recent[0], "vm5") &&
	       !strcmp(recent[1], "vm11") && !strcmp(recent[9], "vm2"),
	       "recent: newest first, at most 10, an old one moved to the front");
	g_strfreev(recent);
	tap_ok(!ui_settings_flush(s) && ui_settings_writes(s) == 1, "flush writes what is pending at once");

	/* The debounce: 1,000 configure events, one every millisecond. */
	w = ui_settings_writes(s);
	for (int i = 0; i < 1000; i++) {
		ui_settings_set_int(s, "vm web", "x", i);
		ui_settings_set_int(s, "vm web", "y", i / 2);
		ui_settings_set_int(s, "vm web", "width", 800 + i);
		ui_settings_set_int(s, "vm web", "height", 600 + i);
		run_loop(1);
	}
	tap_ok(ui_settings_writes(s) - w == 0, "1,000 configure events in a second: nothing written yet");
	run_loop(1500);
	tap_ok(ui_settings_writes(s) - w >= 1 && ui_settings_writes(s) - w <= 2,
	       "and at most twice after they stop (%u)", ui_settings_writes(s) - w);
	/* Changes every 100 ms for 1.5 s: never a second of quiet. */
	w = ui_settings_writes(s);
	for (int i = 0; i < 15; i++) {
		ui_settings_set_int(s, "vm web", "height", 100 + i);
		run_loop(100);
	}
	tap_ok(ui_settings_writes(s) == w, "changes every 100 ms for 1.5 s: not written meanwhile");
	ui_settings_free(s);
	s = ui_settings_load(path);
	tap_ok(ui_settings_get_int(s, "vm web", "height", -1) == 114,
	       "free wrote the last of them (height 114)");
	ui_settings_free(s);

	/* A damaged file: a warning, the defaults, and the next save replaces it. */
	g_file_set_contents(path, "\x01\x02garbage\xff[[[\n=\n", -1, NULL);
	s = ui_settings_load(path);
	tap_ok(ui_settings_get_int(s, "vm web", "width", 77) == 77, "binary garbage: the defaults");
	ui_settings_set_int(s, "vm web", "width", 640);
	ok = !ui_settings_flush(s);
	ui_settings_free(s);
	text = read_file(path);
	tap_ok(ok && text && strstr(text, "[vm web]") && strstr(text, "width=640") &&
	       !strstr(text, "garbage"), "the next save replaces it with a valid file");
	g_free(text);
	g_file_set_contents(path, "[vm web]\nwidth=abc\n", -1, NULL);
	s = ui_settings_load(path);
	tap_ok(ui_settings_get_int(s, "vm web", "width", 55) == 55,
	       "width=abc: the default, no crash");
	ui_settings_free(s);

	/* A file that cannot be written: an error, no crash. */
	g_remove(path);
	g_mkdir(path, 0700);	/* a directory where the file should be */
	s = ui_settings_load(path);
	ui_settings_set_int(s, "vm web", "width", 1);
	ok = ui_settings_flush(s);
	tap_ok(ok < 0, "the path is a directory: flush says %d (%s)", ok, g_strerror(-ok));
	ui_settings_free(s);
	g_rmdir(path);

	text = g_strdup_printf("rm -rf '%s'", dir);
	if (system(text))
		tap_diag("could not remove %s", dir);
	g_free(text);
	g_free(path);
	g_free(dir);
	return tap_done();
}
