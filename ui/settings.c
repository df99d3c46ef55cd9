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
	guint timer;
	bool dirty;
	unsigned int writes;
};

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
			fprintf(stderr, "vmain-gtk: %s: %s; using defaults\n", s->path,
				err->message);
		g_error_free(err);
		g_key_file_free(s->kf);
		s->kf = g_key_file_new();
	}
	return s;
}

/* A temporary file, synced, renamed over the old one: never half a file. */
static int write_file(const char *path, const char *data, size_t len)
{
	char *tmp = g_strdup_printf("%s.tmp", path);
	int fd, ret = 0;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
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
	if (ret)
		unlink(tmp);
out_tmp:
	g_free(tmp);
	return ret;
}

int ui_settings_flush(struct ui_settings *s)
{
	char *dir, *data;
	gsize len;
	int ret = 0;

	if (s->timer) {
		g_source_remove(s->timer);
		s->timer = 0;
	}
	if (!s->dirty)
		return 0;
	s->dirty = false;
	dir = g_path_get_dirname(s->path);
	if (g_mkdir_with_parents(dir, 0700)) {
		ret = -errno;
		fprintf(stderr, "vmain-gtk: cannot make %s: %s\n", dir, g_strerror(errno));
		goto out_dir;
	}
	data = g_key_file_to_data(s->kf, &len, NULL);
	ret = write_file(s->path, data, len);
	if (ret)
		fprintf(stderr, "vmain-gtk: cannot save the settings in %s: %s\n", s->path,
			g_strerror(-ret));
	else
		s->writes++;
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

	s->timer = 0;
	ui_settings_flush(s);
	return G_SOURCE_REMOVE;
}

/* A change: written once changes have stopped for QUIET_MS. */
static void changed(struct ui_settings *s)
{
	s->dirty = true;
	if (s->timer)
		g_source_remove(s->timer);
	s->timer = g_timeout_add(QUIET_MS, quiet, s);
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
