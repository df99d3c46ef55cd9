// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ui/vmain-cli.c - the vmain command as a child process (ui/vmain-cli.h).
 */
#include <gio/gio.h>
#include <string.h>
#include <unistd.h>

#include "vmain-cli.h"

const char *ui_vmain_cli(void)
{
	static char *path;
	char *self, *dir, *p;

	if (path)
		return path;
	if (g_getenv("VMAIN_CLI") && *g_getenv("VMAIN_CLI"))
		return path = g_strdup(g_getenv("VMAIN_CLI"));
	self = g_file_read_link("/proc/self/exe", NULL);
	if (self) {
		dir = g_path_get_dirname(self);
		p = g_build_filename(dir, "..", "monitor", "vmain", NULL);
		if (!access(p, X_OK))
			path = p;
		else
			g_free(p);
		if (!path) {
			p = g_build_filename(dir, "vmain", NULL);
			if (!access(p, X_OK))
				path = p;
			else
				g_free(p);
		}
		g_free(dir);
		g_free(self);
	}
	if (!path)
		path = g_strdup("vmain");
	return path;
}

struct run {
	ui_vmain_done_fn done;
	void *opaque;
};

static void finished(GObject *src, GAsyncResult *res, gpointer data)
{
	GSubprocess *sp = G_SUBPROCESS(src);
	struct run *r = data;
	char *out = NULL, *err = NULL;
	GError *e = NULL;
	int status = -1;

	if (g_subprocess_communicate_utf8_finish(sp, res, &out, &err, &e)) {
		if (g_subprocess_get_if_exited(sp))
			status = g_subprocess_get_exit_status(sp);
	} else {
		err = g_strdup(e->message);
		g_error_free(e);
	}
	r->done(r->opaque, status, out ? out : "", err ? err : "");
	g_free(out);
	g_free(err);
	g_object_unref(sp);
	g_free(r);
}

void ui_vmain_run(const char *const *args, ui_vmain_done_fn done, void *opaque)
{
	GPtrArray *argv = g_ptr_array_new();
	struct run *r;
	GSubprocess *sp;
	GError *e = NULL;

	g_ptr_array_add(argv, (gpointer)ui_vmain_cli());
	for (const char *const *a = args; *a; a++)
		g_ptr_array_add(argv, (gpointer)*a);
	g_ptr_array_add(argv, NULL);
	/* stdin from /dev/null: `vmain` must never wait on the app's terminal. */
	sp = g_subprocess_newv((const char *const *)argv->pdata,
			       G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, &e);
	g_ptr_array_free(argv, TRUE);
	if (!sp) {
		char *msg = g_strdup_printf("cannot run %s: %s", ui_vmain_cli(), e->message);

		g_error_free(e);
		done(opaque, -1, "", msg);
		g_free(msg);
		return;
	}
	r = g_new0(struct run, 1);
	r->done = done;
	r->opaque = opaque;
	g_subprocess_communicate_utf8_async(sp, NULL, NULL, finished, r);
}

char *ui_vmain_reason(const char *err)
{
	char **lines = g_strsplit(err, "\n", -1), *last = NULL, *r;

	for (char **l = lines; *l; l++)
		if (**l)
			last = *l;
	r = g_strdup(last ? (g_str_has_prefix(last, "vmain: ") ? last + 7 : last) : "failed");
	g_strfreev(lines);
	return r;
}
