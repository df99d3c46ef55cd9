// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * display-viewer - a small viewer of a VM's screen through the control API
 * (docs/api.md, "org.vmain.Display1"): it registers a listener, keeps the
 * guest's screen as the listener calls bring it (the shared surface, or
 * inline pixels), optionally types keys and asks for a size, and saves
 * the screen as a PNG once it has been still for a while.
 *
 *   display-viewer [OPTIONS] SOCKET FILE.png
 *     --inline          pixels in the calls, no file descriptor (as over ssh)
 *     --settle MS       save once no update came for MS ms (default 1000)
 *     --timeout S       give up after S seconds (default 60): status 1
 *     --key CODE        press and release evdev key CODE once the screen
 *                       is there (repeatable, in order)
 *     --size WxH        ask the guest for this size once the screen is there
 *     --private         take private mode first (and keep it until exit)
 *     --frames          print one line per listener call to stdout
 *     --on-signal       save when SIGUSR1 comes (not when the screen is still)
 *     --through-restart S  save only once the VM's process has gone and
 *                       another serves the socket again (vmain save, then
 *                       vmain start): the closed connection is waited
 *                       through (the socket tried every 100 ms, for up to
 *                       S seconds), the listener registered again, and the
 *                       screen saved once still on the new connection
 *
 * Build: cc $(pkg-config --cflags --libs gio-unix-2.0 libpng) ... (make
 * builds it as build/examples/display-viewer, with monitor/display/png.c).
 */
#include <errno.h>
#include <gio/gio.h>
#include <gio/gunixfdlist.h>
#include <glib-unix.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "display/display.h"
#include "display/png.h"

static const char listener_xml[] =
	"<node><interface name='org.vmain.DisplayListener1'>"
	"<method name='Scanout'><arg type='h' direction='in'/><arg type='u' direction='in'/>"
	"<arg type='u' direction='in'/><arg type='u' direction='in'/><arg type='u' direction='in'/>"
	"<arg type='b' direction='in'/></method>"
	"<method name='ScanoutInline'><arg type='u' direction='in'/><arg type='u' direction='in'/>"
	"<arg type='u' direction='in'/><arg type='b' direction='in'/></method>"
	"<method name='Disable'/>"
	"<method name='Blank'><arg type='b' direction='in'/></method>"
	"<method name='Update'><arg type='a(uuuu)' direction='in'/></method>"
	"<method name='UpdateInline'><arg type='u' direction='in'/><arg type='u' direction='in'/>"
	"<arg type='u' direction='in'/><arg type='u' direction='in'/><arg type='ay' direction='in'/>"
	"</method>"
	"<method name='CursorDefine'><arg type='u' direction='in'/><arg type='u' direction='in'/>"
	"<arg type='u' direction='in'/><arg type='u' direction='in'/><arg type='ay' direction='in'/>"
	"</method>"
	"<method name='CursorMove'><arg type='i' direction='in'/><arg type='i' direction='in'/>"
	"<arg type='b' direction='in'/></method>"
	"</interface></node>";

static gboolean opt_inline, opt_private, opt_frames, opt_on_signal;
static gint opt_settle = 1000, opt_timeout = 60, opt_restart;
static gchar **opt_keys, *opt_size;

static const GOptionEntry entries[] = {
	{ "inline", 0, 0, G_OPTION_ARG_NONE, &opt_inline, "Pixels inline, no fd", NULL },
	{ "settle", 0, 0, G_OPTION_ARG_INT, &opt_settle, "Save after MS ms without updates", "MS" },
	{ "timeout", 0, 0, G_OPTION_ARG_INT, &opt_timeout, "Give up after S seconds", "S" },
	{ "key", 0, 0, G_OPTION_ARG_STRING_ARRAY, &opt_keys, "Type evdev key CODE", "CODE" },
	{ "size", 0, 0, G_OPTION_ARG_STRING, &opt_size, "Ask for this size", "WxH" },
	{ "private", 0, 0, G_OPTION_ARG_NONE, &opt_private, "Take private mode", NULL },
	{ "frames", 0, 0, G_OPTION_ARG_NONE, &opt_frames, "Print each call", NULL },
	{ "on-signal", 0, 0, G_OPTION_ARG_NONE, &opt_on_signal, "Save on SIGUSR1", NULL },
	{ "through-restart", 0, 0, G_OPTION_ARG_INT, &opt_restart,
	  "Save after the VM's process is replaced, waiting up to S s for it", "S" },
	{ NULL, 0, 0, 0, NULL, NULL, NULL }
};

/* The screen as this viewer has it. */
static struct {
	uint32_t w, h, stride, format;
	bool blank;
	const uint8_t *map;	/* fd mode: the VM's surface, read-only */
	size_t map_len;
	uint8_t *copy;		/* inline mode: our own pixels */
	bool have;
} screen;

static GMainLoop *loop;
static GDBusConnection *conn;
static guint settle_timer;
static bool acted, saved, failed;
static const char *out_file, *sock_path;
static GDBusNodeInfo *info;
/* --through-restart: the connection closed once (and the retries so far). */
static bool restarted;
static int retries;

static void fail(const char *what, GError *err)
{
	fprintf(stderr, "display-viewer: %s: %s\n", what, err ? err->message : "failed");
	if (err)
		g_error_free(err);
	failed = true;
	g_main_loop_quit(loop);
}

static void forget_screen(void)
{
	if (screen.map)
		munmap((void *)screen.map, screen.map_len);
	g_free(screen.copy);
	memset(&screen, 0, sizeof(screen));
}

static gboolean save_now(gpointer opaque)
{
	const uint8_t *px = screen.map ? screen.map : screen.copy;
	char err[512];

	(void)opaque;
	settle_timer = 0;
	if (!screen.have || !px) {
		if (opt_on_signal) {
			fprintf(stderr, "display-viewer: no screen to save\n");
			failed = true;
			g_main_loop_quit(loop);
		}
		return G_SOURCE_REMOVE;
	}
	if (png_write_surface(out_file, px, screen.w, screen.h, screen.stride, screen.format,
			      err, sizeof(err))) {
		fprintf(stderr, "display-viewer: %s\n", err);
		failed = true;
	} else {
		printf("saved %s %ux%u%s\n", out_file, screen.w, screen.h,
		       screen.blank ? " blank" : "");
	}
	saved = true;
	g_main_loop_quit(loop);
	return G_SOURCE_REMOVE;
}

static void changed(void)
{
	/* Before the restart the screen is the old process's: nothing to save yet. */
	if (opt_on_signal || (opt_restart && !restarted))
		return;
	if (settle_timer)
		g_source_remove(settle_timer);
	settle_timer = g_timeout_add((guint)opt_settle, save_now, NULL);
}

static void call_vm(const char *method, GVariant *args)
{
	GError *err = NULL;
	GVariant *r;

	r = g_dbus_connection_call_sync(conn, NULL, "/org/vmain/VM", "org.vmain.Display1",
					method, args, NULL, G_DBUS_CALL_FLAGS_NONE, 10000,
					NULL, &err);
	if (!r) {
		fail(method, err);
		return;
	}
	g_variant_unref(r);
}

/* Once the screen is there: the keys and the size asked for, once. */
static void act(void)
{
	unsigned int w, h;

	if (acted)
		return;
	acted = true;
	for (unsigned int i = 0; opt_keys && opt_keys[i]; i++) {
		guint32 code = (guint32)strtoul(opt_keys[i], NULL, 0);

		call_vm("Key", g_variant_new("(ub)", code, TRUE));
		call_vm("Key", g_variant_new("(ub)", code, FALSE));
	}
	if (opt_size && sscanf(opt_size, "%ux%u", &w, &h) == 2)
		call_vm("SetPreferredSize", g_variant_new("(uu)", w, h));
}

static void listener_method(GDBusConnection *c, const gchar *sender, const gchar *path,
			    const gchar *iface, const gchar *method, GVariant *params,
			    GDBusMethodInvocation *inv, gpointer opaque)
{
	GDBusMessage *msg = g_dbus_method_invocation_get_message(inv);
	GUnixFDList *fds = g_dbus_message_get_unix_fd_list(msg);
	guint32 x, y, w, h, stride, format;
	gboolean blank;
	gint32 handle;

	(void)c;
	(void)sender;
	(void)path;
	(void)iface;
	(void)opaque;
	if (!strcmp(method, "Scanout")) {
		int fd;

		g_variant_get(params, "(huuuub)", &handle, &w, &h, &stride, &format, &blank);
		forget_screen();
		fd = fds ? g_unix_fd_list_get(fds, handle, NULL) : -1;
		if (fd >= 0) {
			void *m = mmap(NULL, (size_t)stride * h, PROT_READ, MAP_SHARED, fd, 0);

			close(fd);
			if (m != MAP_FAILED) {
				screen.map = m;
				screen.map_len = (size_t)stride * h;
			}
		}
		screen.w = w;
		screen.h = h;
		screen.stride = stride;
		screen.format = format;
		screen.blank = blank;
		screen.have = screen.map != NULL;
		if (opt_frames)
			printf("scanout %ux%u stride %u format %#x%s\n", w, h, stride, format,
			       blank ? " blank" : "");
	} else if (!strcmp(method, "ScanoutInline")) {
		g_variant_get(params, "(uuub)", &w, &h, &format, &blank);
		forget_screen();
		screen.w = w;
		screen.h = h;
		screen.stride = w * 4;
		screen.format = format;
		screen.blank = blank;
		screen.copy = g_malloc0((size_t)w * h * 4);
		screen.have = true;
		if (opt_frames)
			printf("scanout-inline %ux%u format %#x%s\n", w, h, format,
			       blank ? " blank" : "");
	} else if (!strcmp(method, "Blank")) {
		g_variant_get(params, "(b)", &blank);
		screen.blank = blank;
		if (opt_frames)
			printf("blank %s\n", blank ? "on" : "off");
	} else if (!strcmp(method, "Disable")) {
		forget_screen();
		if (opt_frames)
			printf("disable\n");
	} else if (!strcmp(method, "Update")) {
		if (opt_frames) {
			GVariant *rects = g_variant_get_child_value(params, 0);

			printf("update %zu rects\n", g_variant_n_children(rects));
			g_variant_unref(rects);
		}
	} else if (!strcmp(method, "UpdateInline")) {
		GVariant *pxv;
		const uint8_t *px;
		gsize len;

		g_variant_get(params, "(uuuu@ay)", &x, &y, &w, &h, &pxv);
		px = g_variant_get_fixed_array(pxv, &len, 1);
		/* Trust nothing: the rectangle must be inside our copy, the bytes all there. */
		if (screen.copy && x + (uint64_t)w <= screen.w && y + (uint64_t)h <= screen.h &&
		    len == (gsize)w * h * 4)
			for (guint32 r = 0; r < h; r++)
				memcpy(screen.copy + ((size_t)(y + r) * screen.w + x) * 4,
				       px + (size_t)r * w * 4, (size_t)w * 4);
		g_variant_unref(pxv);
		if (opt_frames)
			printf("update-inline %u,%u %ux%u\n", x, y, w, h);
	} else if (opt_frames) {
		printf("%s\n", method);
	}
	fflush(stdout);
	g_dbus_method_invocation_return_value(inv, NULL);
	if (screen.have) {
		changed();
		act();
	}
}

static const GDBusInterfaceVTable listener_vtable = { listener_method, NULL, NULL, { 0 } };

static void closed(GDBusConnection *c, gboolean vanished, GError *err, gpointer opaque);

/*
 * Connects to the socket, exports the listener and registers it (taking
 * private mode first if asked).  false (and *err) when the socket does not
 * serve; a refused call after that fails the run.
 */
static bool attach(GError **err)
{
	GVariantBuilder opts;
	char *addr = g_strdup_printf("unix:path=%s", sock_path);

	conn = g_dbus_connection_new_for_address_sync(addr,
		G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT, NULL, NULL, err);
	g_free(addr);
	if (!conn)
		return false;
	g_signal_connect(conn, "closed", G_CALLBACK(closed), NULL);
	if (!g_dbus_connection_register_object(conn, "/viewer", info->interfaces[0],
					       &listener_vtable, NULL, NULL, err)) {
		fail("register", *err);
		*err = NULL;
		return true;
	}
	if (opt_private)
		call_vm("AcquirePrivate", NULL);
	if (!failed) {
		g_variant_builder_init(&opts, G_VARIANT_TYPE("a{sv}"));
		if (opt_inline)
			g_variant_builder_add(&opts, "{sv}", "inline", g_variant_new_boolean(TRUE));
		call_vm("RegisterListener", g_variant_new("(oa{sv})", "/viewer", &opts));
	}
	return true;
}

/* --through-restart: the socket again, every 100 ms, until it serves. */
static gboolean reattach(gpointer opaque)
{
	GError *err = NULL;

	(void)opaque;
	if (attach(&err)) {
		printf("attached again after %d tries\n", retries);
		fflush(stdout);
		return G_SOURCE_REMOVE;
	}
	g_error_free(err);
	if (++retries > opt_restart * 10) {
		fprintf(stderr, "display-viewer: %s did not serve again within %d s\n", sock_path,
			opt_restart);
		failed = true;
		g_main_loop_quit(loop);
		return G_SOURCE_REMOVE;
	}
	return G_SOURCE_CONTINUE;
}

static void closed(GDBusConnection *c, gboolean vanished, GError *err, gpointer opaque)
{
	(void)vanished;
	(void)err;
	(void)opaque;
	if (c != conn || saved)
		return;
	if (!opt_restart || restarted) {
		fprintf(stderr, "display-viewer: the VM's connection closed\n");
		failed = true;
		g_main_loop_quit(loop);
		return;
	}
	printf("detached: the VM's connection closed\n");
	fflush(stdout);
	restarted = true;
	if (settle_timer)
		g_source_remove(settle_timer);
	settle_timer = 0;
	acted = false;		/* the keys and the size go to the new process */
	forget_screen();
	g_object_unref(conn);
	conn = NULL;
	g_timeout_add(100, reattach, NULL);
}

static gboolean on_timeout(gpointer opaque)
{
	(void)opaque;
	fprintf(stderr, "display-viewer: no still screen within %d s\n", opt_timeout);
	failed = true;
	g_main_loop_quit(loop);
	return G_SOURCE_REMOVE;
}

int main(int argc, char **argv)
{
	GOptionContext *ctx = g_option_context_new("SOCKET FILE.png - save a VM's screen");
	GError *err = NULL;

	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, &err) || argc != 3) {
		fprintf(stderr, "display-viewer: %s\n", err ? err->message :
			"usage: display-viewer [OPTIONS] SOCKET FILE.png");
		return 2;
	}
	g_option_context_free(ctx);
	out_file = argv[2];
	sock_path = argv[1];
	loop = g_main_loop_new(NULL, FALSE);
	info = g_dbus_node_info_new_for_xml(listener_xml, NULL);
	if (!attach(&err)) {
		fail(sock_path, err);
		return 1;
	}
	if (opt_on_signal) {
		sigset_t usr1;

		/* A parent may have blocked it (the mask is inherited). */
		sigemptyset(&usr1);
		sigaddset(&usr1, SIGUSR1);
		pthread_sigmask(SIG_UNBLOCK, &usr1, NULL);
		g_unix_signal_add(SIGUSR1, save_now, NULL);
	}
	if (!failed) {
		g_timeout_add_seconds((guint)opt_timeout, on_timeout, NULL);
		g_main_loop_run(loop);
	}
	g_dbus_node_info_unref(info);
	return failed || !saved ? 1 : 0;
}
