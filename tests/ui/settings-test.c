// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tests/ui/settings-test.c - the app's settings file (ui/settings.c): round
 * trips, recent VMs, the debounce (a burst of 1,000 configure events
 * writes the file at most twice; nothing is written while changes keep
 * coming), flush and free, a damaged or unreadable file (one warning, the
 * defaults), a file that cannot be written (-errno, the change kept).
 *
 * Everything runs on a thread-default main context of its own: the save
 * timer must be attached there, not to the global default context.
 */
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "settings.h"
#include "tap.h"

static GMainContext *ctx;

/* Turns the main loop until `ms` milliseconds have passed. */
static void run_loop(unsigned int ms)
{
	gint64 end = g_get_monotonic_time() + (gint64)ms * 1000;

	while (g_get_monotonic_time() < end)
		if (!g_main_context_iteration(ctx, FALSE))
			g_usleep(1000);
}

/* Turns the main loop until the file has been written `n` times, 3 s at most. */
static gint64 wait_writes(struct ui_settings *s, unsigned int n)
{
	gint64 start = g_get_monotonic_time(), end = start + 3 * G_USEC_PER_SEC;

	while (ui_settings_writes(s) < n && g_get_monotonic_time() < end)
		if (!g_main_context_iteration(ctx, FALSE))
			g_usleep(1000);
	return (g_get_monotonic_time() - start) / 1000;
}

static char *read_file(const char *path)
{
	char *s = NULL;

	g_file_get_contents(path, &s, NULL, NULL);
	return s;
}

/* stderr into a file for a while, to count the warnings. */
static int saved_stderr = -1;

static void capture_begin(const char *file)
{
	int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	fflush(stderr);
	saved_stderr = dup(2);
	dup2(fd, 2);
	close(fd);
}

static char *capture_end(const char *file)
{
	fflush(stderr);
	dup2(saved_stderr, 2);
	close(saved_stderr);
	return read_file(file);
}

static unsigned int count_lines(const char *text)
{
	unsigned int n = 0;

	for (; text && *text; text++)
		n += *text == '\n';
	return n;
}

/* The file parses, and holds width=`want` in [group]. */
static bool valid_with(const char *path, const char *group, int want)
{
	GKeyFile *kf = g_key_file_new();
	GError *err = NULL;
	bool ok = g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, NULL) &&
		  g_key_file_get_integer(kf, group, "width", &err) == want && !err;

	g_clear_error(&err);
	g_key_file_free(kf);
	return ok;
}

int main(void)
{
	char *dir = g_dir_make_tmp("settings-test.XXXXXX", NULL);
	char *sub = g_build_filename(dir, "sub", NULL);
	char *path = g_build_filename(sub, "vmain-gtk.ini", NULL);
	char *errs = g_build_filename(dir, "stderr", NULL);
	bool root = geteuid() == 0;
	struct ui_settings *s;
	char **recent, *text;
	void *old_s;
	unsigned int w;
	GStatBuf st;
	gint64 ms;
	int ret;

	ctx = g_main_context_new();
	g_main_context_push_thread_default(ctx);

	/* Round trip. */
	capture_begin(errs);
	s = ui_settings_load(path);
	text = capture_end(errs);
	tap_ok(ui_settings_get_int(s, "vm web", "width", -1) == -1 &&
	       !ui_settings_get_string(s, "vm web", "scaling") && text && !*text,
	       "no file: the defaults, and no warning (a first run)");
	g_free(text);
	ui_settings_set_int(s, "vm web", "width", 1280);
	ui_settings_set_string(s, "vm web", "scaling", "1:1");
	tap_ok(ui_settings_writes(s) == 0 && !g_file_test(path, G_FILE_TEST_EXISTS),
	       "a change is not written at once");
	ms = wait_writes(s, 1);
	tap_ok(ui_settings_writes(s) == 1 && g_file_test(path, G_FILE_TEST_EXISTS) &&
	       ms >= 900, "a second of quiet writes it once (after %lld ms)", (long long)ms);
	ret = g_stat(sub, &st) ? -1 : (int)(st.st_mode & 0777);
	tap_ok(ret == 0700, "its directory was made, mode 0700 (%o)", ret);
	ui_settings_free(s);

	s = ui_settings_load(path);
	text = ui_settings_get_string(s, "vm web", "scaling");
	tap_ok(ui_settings_get_int(s, "vm web", "width", -1) == 1280 &&
	       text && !strcmp(text, "1:1"), "loaded again: width 1280, scaling 1:1");
	g_free(text);
	ui_settings_set_int(s, "vm web", "width", 1280);
	ui_settings_set_string(s, "vm web", "scaling", "1:1");
	tap_ok(!ui_settings_flush(s) && ui_settings_writes(s) == 0,
	       "setting the values they already have: nothing pending, nothing written");

	/* Recent VMs. */
	for (int i = 0; i < 12; i++) {
		char name[16];

		snprintf(name, sizeof(name), "vm%d", i);
		ui_settings_add_recent(s, name);
	}
	ui_settings_add_recent(s, "vm5");
	recent = ui_settings_recent(s);
	tap_ok(g_strv_length(recent) == 10 && !strcmp(recent[0], "vm5") &&
	       !strcmp(recent[1], "vm11") && !strcmp(recent[2], "vm10") &&
	       !strcmp(recent[6], "vm6") && !strcmp(recent[7], "vm4") &&
	       !strcmp(recent[9], "vm2"),
	       "recent: newest first, at most 10, an old one moved to the front");
	g_strfreev(recent);
	tap_ok(!ui_settings_flush(s) && ui_settings_writes(s) == 1,
	       "flush writes what is pending at once");
	ui_settings_add_recent(s, "vm5");
	tap_ok(!ui_settings_flush(s) && ui_settings_writes(s) == 1,
	       "adding the newest again changes nothing");
	ui_settings_free(s);
	s = ui_settings_load(path);
	recent = ui_settings_recent(s);
	tap_ok(g_strv_length(recent) == 10 && !strcmp(recent[0], "vm5") &&
	       !strcmp(recent[9], "vm2"), "recent VMs loaded again in the same order");
	g_strfreev(recent);

	/*
	 * The debounce: 1,000 configure events of a window being dragged, the
	 * main loop turned between them, faster than a second of quiet.
	 */
	for (int i = 0; i < 1000; i++) {
		ui_settings_set_int(s, "vm web", "x", i);
		ui_settings_set_int(s, "vm web", "y", i / 2);
		ui_settings_set_int(s, "vm web", "width", 800 + i);
		ui_settings_set_int(s, "vm web", "height", 600 + i);
		while (g_main_context_iteration(ctx, FALSE))
			;
		g_usleep(500);
	}
	tap_ok(ui_settings_writes(s) == 0, "1,000 configure events: nothing written during them");
	ms = wait_writes(s, 1);
	run_loop(50);
	tap_ok(ui_settings_writes(s) >= 1 && ui_settings_writes(s) <= 2,
	       "and %u write(s) once they stop (after %lld ms)", ui_settings_writes(s),
	       (long long)ms);
	text = read_file(path);
	tap_ok(text && strstr(text, "x=999") && strstr(text, "width=1799") &&
	       strstr(text, "height=1599"), "the file holds the last geometry");
	g_free(text);

	/* Changes every 100 ms for 1.5 s: never a second of quiet. */
	w = ui_settings_writes(s);
	for (int i = 0; i < 15; i++) {
		ui_settings_set_int(s, "vm web", "height", 100 + i);
		run_loop(100);
	}
	tap_ok(ui_settings_writes(s) == w, "changes every 100 ms for 1.5 s: not written meanwhile");
	old_s = s;
	tap_ok(g_main_context_find_source_by_user_data(ctx, old_s) != NULL, "a save is pending");
	ui_settings_free(s);
	tap_ok(g_main_context_find_source_by_user_data(ctx, old_s) == NULL,
	       "free removed the timer from the main context");
	s = ui_settings_load(path);
	tap_ok(ui_settings_get_int(s, "vm web", "height", -1) == 114,
	       "free wrote the last of them (height 114)");
	ui_settings_free(s);

	/* A damaged file: one warning, the defaults, and the next save replaces it. */
	g_file_set_contents(path, "\x01\x02garbage\xff\xfe[[[\n=\n\x80\n", -1, NULL);
	capture_begin(errs);
	s = ui_settings_load(path);
	ret = ui_settings_get_int(s, "vm web", "width", 77);
	text = capture_end(errs);
	tap_ok(ret == 77 && !ui_settings_get_string(s, "vm web", "scaling"),
	       "binary garbage: the defaults");
	ret = count_lines(text) == 1 && g_str_has_prefix(text, "vmain-gtk: ") &&
	      strstr(text, path) && strstr(text, "; using defaults\n") &&
	      g_utf8_validate(text, -1, NULL);
	tap_ok(ret, "one warning, valid UTF-8: %s", text ? g_strchomp(text) : "(none)");
	g_free(text);
	ui_settings_set_int(s, "vm web", "width", 640);
	ret = ui_settings_flush(s);
	ui_settings_free(s);
	text = read_file(path);
	tap_ok(!ret && valid_with(path, "vm web", 640) && text && !strstr(text, "garbage"),
	       "the next save replaces it with a valid file");
	g_free(text);

	g_file_set_contents(path, "[vm x]\nwidth=abc\nheight=12\n", -1, NULL);
	capture_begin(errs);
	s = ui_settings_load(path);
	ret = ui_settings_get_int(s, "vm x", "width", 55);
	ret = ui_settings_get_int(s, "vm x", "width", 55) == 55 && ret == 55;
	text = capture_end(errs);
	tap_ok(ret && ui_settings_get_int(s, "vm x", "height", -1) == 12,
	       "width=abc: the default, the other keys still read");
	ret = count_lines(text) == 1 && strstr(text, path) && strstr(text, "; using defaults\n");
	tap_ok(ret, "width=abc: one warning for two reads: %s", text ? g_strchomp(text) : "(none)");
	g_free(text);
	ui_settings_set_int(s, "vm x", "width", 640);
	ret = ui_settings_flush(s);
	ui_settings_free(s);
	tap_ok(!ret && valid_with(path, "vm x", 640), "a later set and flush make it valid");

	/* An unreadable file: the defaults. */
	if (root) {
		tap_diag("skip: unreadable file (root reads anything)");
	} else {
		g_chmod(path, 0);
		capture_begin(errs);
		s = ui_settings_load(path);
		text = capture_end(errs);
		tap_ok(ui_settings_get_int(s, "vm x", "width", 9) == 9 && count_lines(text) == 1,
		       "an unreadable file: the defaults, one warning");
		g_free(text);
		ui_settings_free(s);
		g_chmod(path, 0600);
	}

	/* A directory that cannot be written: -errno, no crash, the change kept. */
	if (root) {
		tap_diag("skip: unwritable directory (root writes anywhere)");
	} else {
		s = ui_settings_load(path);
		ui_settings_set_int(s, "vm x", "width", 3);
		g_chmod(sub, 0500);
		capture_begin(errs);
		ret = ui_settings_flush(s);
		text = capture_end(errs);
		tap_ok(ret < 0 && count_lines(text) == 1,
		       "an unwritable directory: flush says %d (%s)", ret, g_strerror(-ret));
		g_free(text);
		g_chmod(sub, 0700);
		tap_ok(!ui_settings_flush(s) && valid_with(path, "vm x", 3),
		       "the change was kept, and written once it could be");
		ui_settings_free(s);
	}

	/* The path is a directory: no one can write there, root included. */
	g_remove(path);
	g_mkdir(path, 0700);
	capture_begin(errs);
	s = ui_settings_load(path);
	ui_settings_set_int(s, "vm web", "width", 1);
	ret = ui_settings_flush(s);
	text = capture_end(errs);
	tap_ok(ret == -EISDIR && ui_settings_writes(s) == 0,
	       "the path is a directory: flush says %d (%s)", ret, g_strerror(-ret));
	tap_ok(text && strstr(text, "Is a directory"), "and says so on stderr");
	g_free(text);
	g_rmdir(path);
	tap_ok(!ui_settings_flush(s) && ui_settings_writes(s) == 1 && valid_with(path, "vm web", 1),
	       "the change was kept, and written once it could be");
	ui_settings_free(s);

	g_main_context_pop_thread_default(ctx);
	g_main_context_unref(ctx);
	text = g_strdup_printf("rm -rf '%s'", dir);
	if (system(text))
		tap_diag("could not remove %s", dir);
	g_free(text);
	g_free(errs);
	g_free(path);
	g_free(sub);
	g_free(dir);
	return tap_done();
}
