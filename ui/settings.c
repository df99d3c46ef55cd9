// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ui/settings.c - vmain-gtk's settings file, written debounced
 * (ui/settings.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <stdio.h>
#include <string.h>

#include "settings.h"

#define QUIET_MS	1000
#define MAX_RECENT	10

struct ui_settings {
	char *path;
	GKeyFile *kf;
	GSource *timer;		/* the pending save, on the thread-default context */
	bool dirty;		/* kf differs from the file */
	bool warned;		/* a damaged file or value has been reported once */
	unsigned int writes;
};

/* One line on stderr per settings object: a damaged file is not worth a flood. */
static void warn_once(struct ui_settings *s, const char *what)
{
	char *valid;

	if (s->warned)
		return;
	s->warned = true;
	/* GKeyFile quotes the bad line, which may be any bytes at all. */
	valid = g_utf8_make_valid(what, -1);
	fprintf(stderr, "vmain-gtk: %s: %s; using defaults\n", s->path, valid);
	g_free(valid);
}

struct ui_settings *ui_settings_load(const char *path)
{
	struct ui_settings *s = g_new0(struct ui_settings, 1);
	GError *err = NULL;

	s->path = path ? g_strdup(path) :
		  g_build_filename(g_get_user_config_dir(), "vmain", "vmain-gtk.ini", NULL);
	s->kf = g_key_file_new();
	if (!g_key_file_load_from_file(s->kf, s->path, G_KEY_FILE_KEEP_COMMENTS, &err)) {
		/* A missing file is the first run; anything else is worth a word, not a failure. */
		if (!g_error_matches(err, G_FILE_ERROR, G_FILE_ERROR_NOENT))
			warn_once(s, err->message);
		g_error_free(err);
		g_key_file_free(s->kf);
		s->kf = g_key_file_new();
	}
	return s;
}

/*
 * A temporary file beside the real one, synced, then renamed over it: a
 * crash leaves the old file or the new one, never half of either.  The
 * temporary name is unique so that two instances saving at once cannot
 * write into each other's file.
 */
static int write_file(const char *path, const char *data, size_t len)
{
	char *tmp = g_strdup_printf("%s.XXXXXX", path);
	char *dir;
	int fd, dfd, ret = 0;

	fd = g_mkstemp_full(tmp, O_WRONLY | O_CLOEXEC, 0600);
	if (fd < 0) {
		ret = -errno;
		goto out_tmp;
	}
	for (size_t done = 0; done < len;) {
		ssize_t n = write(fd, data + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ret = n < 0 ? -errno : -EIO;
			goto out_close;
		}
		done += (size_t)n;
	}
	if (fsync(fd))
		ret = -errno;
out_close:
	if (close(fd) && !ret)
		ret = -errno;
	if (!ret && rename(tmp, path))
		ret = -errno;
	if (ret) {
		unlink(tmp);
		goto out_tmp;
	}
	/* Make the rename itself durable; a failure here loses nothing already on disk. */
	dir = g_path_get_dirname(path);
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	g_free(dir);
out_tmp:
	g_free(tmp);
	return ret;
}

static void cancel_timer(struct ui_settings *s)
{
	if (!s->timer)
		return;
	g_source_destroy(s->timer);
	g_source_unref(s->timer);
	s->timer = NULL;
}

int ui_settings_flush(struct ui_settings *s)
{
	char *dir, *data;
	gsize len;
	int ret = 0;

	cancel_timer(s);
	if (!s->dirty)
		return 0;
	dir = g_path_get_dirname(s->path);
	if (g_mkdir_with_parents(dir, 0700)) {
		ret = -errno;
		fprintf(stderr, "vmain-gtk: cannot make %s: %s\n", dir, g_strerror(errno));
		goto out_dir;
	}
	data = g_key_file_to_data(s->kf, &len, NULL);
	ret = write_file(s->path, data, len);
	/* On failure the changes stay pending: the next change, flush or free tries again. */
	if (ret) {
		fprintf(stderr, "vmain-gtk: cannot save the settings in %s: %s\n", s->path,
			g_strerror(-ret));
	} else {
		s->dirty = false;
		s->writes++;
	}
	g_free(data);
out_dir:
	g_free(dir);
	return ret;
}

void ui_settings_free(struct ui_settings *s)
{
	if (!s)
		return;
	ui_settings_flush(s);
	g_key_file_free(s->kf);
	g_free(s->path);
	g_free(s);
}

static gboolean quiet(gpointer opaque)
{
	struct ui_settings *s = opaque;

	/*
	 * flush() destroys this source while it is being dispatched: GLib holds
	 * its own reference meanwhile, and it is removed anyway.
	 */
	ui_settings_flush(s);
	return G_SOURCE_REMOVE;
}

/*
 * A change: (re)arm the one timer, so that a burst of changes (a window
 * being dragged) is written once, QUIET_MS after the last of them.
 */
static void changed(struct ui_settings *s)
{
	GMainContext *ctx;

	s->dirty = true;
	cancel_timer(s);
	s->timer = g_timeout_source_new(QUIET_MS);
	g_source_set_callback(s->timer, quiet, s, NULL);
	g_source_set_name(s->timer, "vmain-gtk settings save");
	ctx = g_main_context_ref_thread_default();
	g_source_attach(s->timer, ctx);
	g_main_context_unref(ctx);
}

char *ui_settings_get_string(struct ui_settings *s, const char *group, const char *key)
{
	return g_key_file_get_string(s->kf, group, key, NULL);
}

int ui_settings_get_int(struct ui_settings *s, const char *group, const char *key, int def)
{
	GError *err = NULL;
	int v = g_key_file_get_integer(s->kf, group, key, &err);

	if (err) {
		/* Unset is normal; a value that is there but not a number is damage. */
		if (g_error_matches(err, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE))
			warn_once(s, err->message);
		g_error_free(err);
		return def;
	}
	return v;
}

void ui_settings_set_string(struct ui_settings *s, const char *group, const char *key,
			    const char *value)
{
	char *old = ui_settings_get_string(s, group, key);
	bool same = !g_strcmp0(old, value);

	g_free(old);
	if (same)
		return;
	g_key_file_set_string(s->kf, group, key, value);
	changed(s);
}

void ui_settings_set_int(struct ui_settings *s, const char *group, const char *key, int value)
{
	GError *err = NULL;
	int old = g_key_file_get_integer(s->kf, group, key, &err);

	if (!err && old == value)
		return;
	g_clear_error(&err);
	g_key_file_set_integer(s->kf, group, key, value);
	changed(s);
}

char **ui_settings_recent(struct ui_settings *s)
{
	char **v = g_key_file_get_string_list(s->kf, "recent", "vms", NULL, NULL);

	return v ? v : g_new0(char *, 1);
}

void ui_settings_add_recent(struct ui_settings *s, const char *vm)
{
	char **old = ui_settings_recent(s);
	const char *list[MAX_RECENT];
	gsize n = 0;

	if (old[0] && !strcmp(old[0], vm)) {
		g_strfreev(old);
		return;
	}
	list[n++] = vm;
	for (char **p = old; *p && n < MAX_RECENT; p++)
		if (strcmp(*p, vm))
			list[n++] = *p;
	g_key_file_set_string_list(s->kf, "recent", "vms", list, n);
	g_strfreev(old);
	changed(s);
}

unsigned int ui_settings_writes(const struct ui_settings *s)
{
	return s->writes;
}
