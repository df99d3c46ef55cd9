// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd-save.c - `vmain save NAME`: suspend a running VM to its bundle's
 * state.sav through its control API (org.vmain.VM1.Save, docs/api.md);
 * `vmain start NAME` restores it.
 */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "vm/bundle.h"
#include "vm/client.h"
#include "vm/control.h"
#include "vm/dbus.h"

#define EXIT_GRACE_MS	15000	/* for the VM process to end once saved */
#define MIB		1048576.0

/* The Save call, waited for in a main loop so that SaveProgress comes in. */
struct save_call {
	GMainLoop *loop;
	GVariant *reply;
	GError *err;
	bool tty;		/* stderr is a terminal: show the progress */
	bool shown;		/* a progress line is on it */
	gint64 t0;		/* g_get_monotonic_time() at the call */
};

/* "1.5 GiB", "312 MiB": RAM sizes in a line that must stay short. */
static void put_size(uint64_t bytes)
{
	if (bytes >= 10ull << 30)
		fprintf(stderr, "%.0f GiB", bytes / (MIB * 1024));
	else if (bytes >= 1ull << 30)
		fprintf(stderr, "%.1f GiB", bytes / (MIB * 1024));
	else
		fprintf(stderr, "%.0f MiB", bytes / MIB);
}

/*
 * SaveProgress(done, total): one line, redrawn in place (\r, then erase
 * to its end): bytes of RAM, the rate so far and the time left at it.
 */
static void on_progress(GDBusConnection *conn, const gchar *sender, const gchar *path,
			const gchar *iface, const gchar *signal, GVariant *params,
			gpointer opaque)
{
	struct save_call *s = opaque;
	guint64 done, total;
	double secs, rate;

	(void)conn;
	(void)sender;
	(void)path;
	(void)iface;
	(void)signal;
	if (!s->tty || !g_variant_is_of_type(params, G_VARIANT_TYPE("(tt)")))
		return;
	g_variant_get(params, "(tt)", &done, &total);
	if (!total || done > total)
		return;
	secs = (double)(g_get_monotonic_time() - s->t0) / 1e6;
	rate = secs > 0 ? done / secs : 0;
	fputs("\r\033[Ksaving: ", stderr);
	put_size(done);
	fputs(" of ", stderr);
	put_size(total);
	if (rate >= 1)
		fprintf(stderr, ", %.0f MiB/s", rate / MIB);
	if (done == total)
		fprintf(stderr, ", %.1f s", secs);
	else if (rate >= 1)
		fprintf(stderr, ", %.0f s left", (double)(total - done) / rate + 0.5);
	fflush(stderr);
	s->shown = true;
}

static void on_reply(GObject *source, GAsyncResult *res, gpointer opaque)
{
	struct save_call *s = opaque;

	s->reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, &s->err);
	g_main_loop_quit(s->loop);
}

/* Calls Save (no time limit: it writes all of guest RAM); NULL and *err. */
static GVariant *call_save(GDBusConnection *conn, GError **err)
{
	struct save_call s = {
		.loop = g_main_loop_new(NULL, FALSE),
		.tty = isatty(STDERR_FILENO),
		.t0 = g_get_monotonic_time(),
	};
	guint sub;

	sub = g_dbus_connection_signal_subscribe(conn, NULL, VM_DBUS_IFACE, "SaveProgress",
						 VM_DBUS_PATH, NULL, G_DBUS_SIGNAL_FLAGS_NONE,
						 on_progress, &s, NULL);
	g_dbus_connection_call(conn, NULL, VM_DBUS_PATH, VM_DBUS_IFACE, "Save", NULL, NULL,
			       G_DBUS_CALL_FLAGS_NONE, G_MAXINT, NULL, on_reply, &s);
	g_main_loop_run(s.loop);
	g_dbus_connection_signal_unsubscribe(conn, sub);
	g_main_loop_unref(s.loop);
	/* The line stays when it says it is done; a failure replaces it. */
	if (s.shown)
		fputs(s.reply ? "\n" : "\r\033[K", stderr);
	*err = s.err;
	return s.reply;
}

int cmd_save(int argc, char **argv)
{
	struct vm_paths paths;
	GDBusConnection *conn;
	GError *gerr = NULL;
	GVariant *r;
	struct pollfd pfd;
	char *name, *remote, *sock;
	pid_t pid = 0;
	int status, pidfd;

	status = cli_parse(&argc, &argv, "save", "NAME", "suspend a VM to disk",
		"Pauses the VM, writes its whole state (virtual CPUs, devices and\n"
		"guest RAM) to its bundle's state.sav and stops it.  `vmain start NAME`\n"
		"then restores it where it stopped (`vmain start --discard-state`\n"
		"boots it afresh instead).  The disks are flushed, not copied: do not\n"
		"change them before the restore (it refuses a disk whose size or first\n"
		"4 KiB changed, but cannot see every change).  The file is written under a\n"
		"temporary name and renamed once complete: an interrupted save leaves\n"
		"the previous state.sav, or none.  A VM with a display is saved with\n"
		"its screen: viewers reconnect after the restore.\n"
		"\n"
		"On a terminal, a line on stderr shows the RAM written so far, the\n"
		"rate and the time left; nothing is printed when stderr is not one.\n"
		"\n"
		"Exit status: 0 saved and stopped; 1 failed (the message says whether\n"
		"the VM runs on); 2 bad usage; 4 the VM is not running or paused;\n"
		"5 no such VM.\n",
		NULL, &name, &paths);
	if (status)
		return status;
	status = cli_connect("save", &paths, name, &conn);
	if (status)
		goto free_paths;
	/*
	 * The process itself must have ended when we return (its VM released,
	 * its locks gone), so that a `vmain start` right after does not race
	 * its teardown: watch it through a pidfd the kernel names.
	 */
	sock = vm_socket_path(&paths, name);
	pidfd = vm_control_server_pidfd(sock, &pid);
	g_free(sock);
	r = call_save(conn, &gerr);
	if (!r) {
		remote = g_dbus_error_get_remote_error(gerr);
		g_dbus_error_strip_remote_error(gerr);
		fprintf(stderr, "vmain save: %s\n", gerr->message);
		status = remote && !strcmp(remote, VM_DBUS_ERROR_STATE) ? CLI_STATE : CLI_FAILED;
		g_free(remote);
		g_error_free(gerr);
	} else {
		g_variant_unref(r);
		pfd = (struct pollfd){ .fd = pidfd, .events = POLLIN };
		if (pidfd >= 0 ? poll(&pfd, 1, EXIT_GRACE_MS) <= 0 :
		    !vm_client_wait_closed(conn, EXIT_GRACE_MS)) {
			fprintf(stderr, "vmain save: %s was saved but did not end within %d "
				"seconds\n", name, EXIT_GRACE_MS / 1000);
			status = CLI_FAILED;
		}
	}
	if (pidfd >= 0)
		close(pidfd);
	g_object_unref(conn);
free_paths:
	vm_paths_free(&paths);
	return status;
}
