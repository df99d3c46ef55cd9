// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * display-storm SOCKET sizes RATE SECONDS | private COUNT - the display
 * test's abuse of org.vmain.Display1 (the DevTap failure, issue 12):
 *   sizes   SetPreferredSize with a new size RATE times a second for
 *           SECONDS (sizes cycling through 640..1919 x 480..1079), sent
 *           without waiting for each reply (at most MAX_INFLIGHT
 *           unanswered: a VM slower than RATE slows the storm, never
 *           queues it without bound), then every reply awaited
 *   private AcquirePrivate then ReleasePrivate, COUNT times (synchronous)
 * Prints what it did ("sizes=N answered=N seconds=S" or "private=N") and
 * exits 0; 1 at the first failed call, with the error, unless the VM went
 * away (then "gone" and 3).
 */
#include <gio/gio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_INFLIGHT	64

static GDBusConnection *conn;
static unsigned long inflight, answered;
static int async_ret;

static int call(const char *method, GVariant *args)
{
	GError *err = NULL;
	GVariant *r;

	r = g_dbus_connection_call_sync(conn, NULL, "/org/vmain/VM", "org.vmain.Display1",
					method, args, NULL, G_DBUS_CALL_FLAGS_NONE, 10000,
					NULL, &err);
	if (r) {
		g_variant_unref(r);
		return 0;
	}
	if (g_dbus_connection_is_closed(conn) ||
	    g_error_matches(err, G_IO_ERROR, G_IO_ERROR_CLOSED)) {
		printf("gone\n");
		g_error_free(err);
		return 3;
	}
	fprintf(stderr, "display-storm: %s: %s\n", method, err->message);
	g_error_free(err);
	return 1;
}

static void size_done(GObject *src, GAsyncResult *res, gpointer opaque)
{
	GError *err = NULL;
	GVariant *r;

	(void)opaque;
	inflight--;
	r = g_dbus_connection_call_finish(G_DBUS_CONNECTION(src), res, &err);
	if (r) {
		answered++;
		g_variant_unref(r);
		return;
	}
	if (!async_ret) {
		if (g_dbus_connection_is_closed(conn) ||
		    g_error_matches(err, G_IO_ERROR, G_IO_ERROR_CLOSED)) {
			printf("gone\n");
			async_ret = 3;
		} else {
			fprintf(stderr, "display-storm: SetPreferredSize: %s\n", err->message);
			async_ret = 1;
		}
	}
	g_error_free(err);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	GError *err = NULL;
	char *addr;
	int ret = 0;

	if (argc < 4 || (strcmp(argv[2], "sizes") && strcmp(argv[2], "private")) ||
	    (!strcmp(argv[2], "sizes") && argc != 5)) {
		fprintf(stderr, "usage: display-storm SOCKET sizes RATE SECONDS | private COUNT\n");
		return 2;
	}
	addr = g_strdup_printf("unix:path=%s", argv[1]);
	conn = g_dbus_connection_new_for_address_sync(addr,
		G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT, NULL, NULL, &err);
	g_free(addr);
	if (!conn) {
		fprintf(stderr, "display-storm: %s: %s\n", argv[1], err->message);
		return 1;
	}
	if (!strcmp(argv[2], "sizes")) {
		double rate = atof(argv[3]), secs = atof(argv[4]), t0 = now(), t;
		unsigned long n = 0;

		while ((t = now()) - t0 < secs && !async_ret) {
			/* Pace to RATE: sleep off what is ahead of schedule. */
			double due = t0 + n / rate;

			while (g_main_context_iteration(NULL, FALSE))
				;
			if (inflight >= MAX_INFLIGHT) {
				g_main_context_iteration(NULL, TRUE);
				continue;
			}
			if (due > t)
				g_usleep((gulong)((due - t) * 1e6));
			g_dbus_connection_call(conn, NULL, "/org/vmain/VM", "org.vmain.Display1",
					       "SetPreferredSize",
					       g_variant_new("(uu)", 640 + (unsigned)(n * 37 % 1280),
							     480 + (unsigned)(n * 53 % 600)),
					       NULL, G_DBUS_CALL_FLAGS_NONE, 10000, NULL, size_done, NULL);
			inflight++;
			n++;
		}
		while (inflight)
			g_main_context_iteration(NULL, TRUE);
		ret = async_ret;
		printf("sizes=%lu answered=%lu seconds=%.1f\n", n, answered, now() - t0);
	} else {
		long count = atol(argv[3]), i;

		for (i = 0; i < count && !ret; i++) {
			ret = call("AcquirePrivate", NULL);
			if (!ret)
				ret = call("ReleasePrivate", NULL);
		}
		printf("private=%ld\n", i);
	}
	g_object_unref(conn);
	return ret;
}
