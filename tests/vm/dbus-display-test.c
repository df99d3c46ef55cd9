// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dbus-display-test - org.vmain.Display1 (vm/dbus-display.c) end to end
 * on the host: a display with a fake producer and fake input devices, a
 * GDBusServer on a temporary socket serving Display1 per connection, and
 * viewers connected to it that export org.vmain.DisplayListener1: the
 * surface by fd and inline (in bands), damage, GetScanout, every input
 * method and its errors, the resize debounce, private mode between two
 * viewers, a frozen listener (one call in flight, damage merged), and
 * connections closing mid-call.
 */
#include <errno.h>
#include <gio/gio.h>
#include <gio/gunixfdlist.h>
#include <linux/input-event-codes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "display/display.h"
#include "io/ioloop.h"
#include "tap.h"
#include "vm/dbus-display.h"
#include "vm/dbus.h"
#include "vm-xml.h"

/* --- the VM side ---------------------------------------------------------- */

static struct display *disp;
static GDBusNodeInfo *info;
static bool next_owner = true;		/* the next connection's owner flag */
static GPtrArray *served;		/* struct dbus_display * */

/* What the fake input devices got. */
static struct {
	unsigned int keys, abs, buttons, wheel, rel, resizes;
	uint16_t last_key;
	bool last_down;
	uint32_t x, y, mask, rw, rh;
	int32_t dy, dx;
} in;

static void op_key(void *o, uint16_t code, bool down) { (void)o; in.keys++; in.last_key = code; in.last_down = down; }
static void op_abs(void *o, uint32_t x, uint32_t y, uint32_t w, uint32_t h) { (void)o; (void)w; (void)h; in.abs++; in.x = x; in.y = y; }
static void op_buttons(void *o, uint32_t m) { (void)o; in.buttons++; in.mask = m; }
static void op_wheel(void *o, int32_t dy, int32_t dx) { (void)o; in.wheel++; in.dy = dy; in.dx = dx; }
static void op_rel(void *o, int32_t dx, int32_t dy) { (void)o; (void)dx; (void)dy; in.rel++; }
static void op_resize(void *o, uint32_t w, uint32_t h) { (void)o; __atomic_add_fetch(&in.resizes, 1, __ATOMIC_SEQ_CST); in.rw = w; in.rh = h; }

static gboolean new_connection(GDBusServer *server, GDBusConnection *conn, gpointer opaque)
{
	struct dbus_display *dd;
	GError *err = NULL;

	(void)server;
	(void)opaque;
	dd = dbus_display_new(disp, conn, "/org/vmain/VM",
			      g_dbus_node_info_lookup_interface(info, VM_DBUS_DISPLAY_IFACE),
			      next_owner, &err);
	if (!dd) {
		tap_diag("dbus_display_new: %s", err->message);
		return FALSE;
	}
	g_object_set_data(G_OBJECT(conn), "dd", dd);
	g_object_ref(conn);
	g_ptr_array_add(served, conn);
	return TRUE;
}

/* The VM frees a connection's Display1 when it closes (as vm/dbus.c does). */
static void reap_closed(void)
{
	for (unsigned int i = 0; i < served->len; i++) {
		GDBusConnection *c = g_ptr_array_index(served, i);

		if (g_dbus_connection_is_closed(c)) {
			dbus_display_free(g_object_get_data(G_OBJECT(c), "dd"));
			g_ptr_array_remove_index(served, i);
			g_object_unref(c);
			i--;
		}
	}
}

/* --- viewers -------------------------------------------------------------- */

struct viewer {
	GDBusConnection *conn;
	unsigned int calls, scanouts, updates, inline_updates, disables, cursors;
	bool blank;
	uint32_t w, h, stride, format;
	const uint8_t *map;
	size_t map_len;
	uint8_t *copy;			/* inline */
	bool frozen;			/* keep the invocations, reply later */
	GPtrArray *held;
};

static void viewer_method(GDBusConnection *c, const gchar *sender, const gchar *path,
			  const gchar *iface, const gchar *method, GVariant *params,
			  GDBusMethodInvocation *inv, gpointer opaque)
{
	struct viewer *v = opaque;
	GUnixFDList *fds = g_dbus_message_get_unix_fd_list(g_dbus_method_invocation_get_message(inv));
	guint32 x, y, w, h, stride, format;
	gboolean blank;
	gint32 handle;

	(void)c; (void)sender; (void)path; (void)iface;
	v->calls++;
	if (!strcmp(method, "Scanout")) {
		int fd;

		g_variant_get(params, "(huuuub)", &handle, &w, &h, &stride, &format, &blank);
		if (v->map)
			munmap((void *)v->map, v->map_len);
		v->map = NULL;
		fd = fds ? g_unix_fd_list_get(fds, handle, NULL) : -1;
		if (fd >= 0) {
			void *m = mmap(NULL, (size_t)stride * h, PROT_READ, MAP_SHARED, fd, 0);

			close(fd);
			if (m != MAP_FAILED) {
				v->map = m;
				v->map_len = (size_t)stride * h;
			}
		}
		v->w = w; v->h = h; v->stride = stride; v->format = format; v->blank = blank;
		v->scanouts++;
	} else if (!strcmp(method, "ScanoutInline")) {
		g_variant_get(params, "(uuub)", &w, &h, &format, &blank);
		g_free(v->copy);
		v->copy = g_malloc0((size_t)w * h * 4);
		v->w = w; v->h = h; v->stride = w * 4; v->format = format; v->blank = blank;
		v->scanouts++;
	} else if (!strcmp(method, "Update")) {
		v->updates++;
	} else if (!strcmp(method, "UpdateInline")) {
		GVariant *pxv;
		const uint8_t *px;
		gsize len;

		g_variant_get(params, "(uuuu@ay)", &x, &y, &w, &h, &pxv);
		px = g_variant_get_fixed_array(pxv, &len, 1);
		if (v->copy && x + w <= v->w && y + h <= v->h && len == (gsize)w * h * 4)
			for (guint32 r = 0; r < h; r++)
				memcpy(v->copy + ((size_t)(y + r) * v->w + x) * 4, px + (size_t)r * w * 4,
				       (size_t)w * 4);
		g_variant_unref(pxv);
		v->inline_updates++;
	} else if (!strcmp(method, "Blank")) {
		g_variant_get(params, "(b)", &blank);
		v->blank = blank;
	} else if (!strcmp(method, "Disable")) {
		v->disables++;
	} else if (!strcmp(method, "CursorDefine") || !strcmp(method, "CursorMove")) {
		v->cursors++;
	}
	if (v->frozen) {
		g_ptr_array_add(v->held, g_object_ref(inv));
		return;
	}
	g_dbus_method_invocation_return_value(inv, NULL);
}

static const GDBusInterfaceVTable viewer_vtable = { viewer_method, NULL, NULL, { 0 } };

static bool spin_until(bool (*cond)(void *), void *arg, int ms)
{
	gint64 end = g_get_monotonic_time() + ms * 1000;

	while (!cond(arg)) {
		if (g_get_monotonic_time() > end)
			return false;
		g_main_context_iteration(NULL, FALSE);
		reap_closed();
		g_usleep(200);
	}
	return true;
}

static void spin(int ms)
{
	gint64 end = g_get_monotonic_time() + ms * 1000;

	while (g_get_monotonic_time() < end) {
		g_main_context_iteration(NULL, FALSE);
		reap_closed();
		g_usleep(200);
	}
}

/* An async call to the VM; the reply's error name lands in *result ("" for success). */
struct pending {
	bool done;
	char err[256];
	GVariant *reply;
	GUnixFDList *fds;
};

static bool pending_done(void *p) { return ((struct pending *)p)->done; }

static void call_done(GObject *src, GAsyncResult *res, gpointer opaque)
{
	struct pending *p = opaque;
	GError *err = NULL;

	p->reply = g_dbus_connection_call_with_unix_fd_list_finish(G_DBUS_CONNECTION(src),
								   &p->fds, res, &err);
	if (!p->reply) {
		char *remote = g_dbus_error_get_remote_error(err);

		snprintf(p->err, sizeof(p->err), "%s", remote ? remote : err->message);
		g_free(remote);
		g_error_free(err);
	}
	p->done = true;
}

/* Calls Display1.METHOD and waits: "" on success, else the D-Bus error name. */
static const char *vm_call(struct viewer *v, const char *method, GVariant *args,
			   struct pending *p)
{
	memset(p, 0, sizeof(*p));
	g_dbus_connection_call_with_unix_fd_list(v->conn, NULL, "/org/vmain/VM",
		VM_DBUS_DISPLAY_IFACE, method, args, NULL, G_DBUS_CALL_FLAGS_NONE, 5000,
		NULL, NULL, call_done, p);
	if (!spin_until(pending_done, p, 6000))
		snprintf(p->err, sizeof(p->err), "(no reply)");
	return p->err;
}

static const char *vm_call1(struct viewer *v, const char *method, GVariant *args)
{
	static struct pending p;

	if (p.reply)
		g_variant_unref(p.reply);
	if (p.fds)
		g_object_unref(p.fds);
	return vm_call(v, method, args, &p);
}

static struct {
	bool done;
	GDBusConnection *c;
	GError *e;
} conn_wait;

static void connected(GObject *src, GAsyncResult *res, gpointer opaque)
{
	(void)src;
	(void)opaque;
	conn_wait.c = g_dbus_connection_new_for_address_finish(res, &conn_wait.e);
	conn_wait.done = true;
}

static bool conn_done(void *opaque)
{
	(void)opaque;
	return conn_wait.done;
}

static struct viewer *viewer_connect(const char *addr, bool owner, bool inl, bool listen)
{
	struct viewer *v = g_new0(struct viewer, 1);
	GDBusNodeInfo *li = info;
	GVariantBuilder opts;
	GError *err = NULL;

	next_owner = owner;
	v->held = g_ptr_array_new();
	v->conn = NULL;
	/* The server's side authenticates in the main context we spin: connect asynchronously. */
	memset(&conn_wait, 0, sizeof(conn_wait));
	g_dbus_connection_new_for_address(addr, G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT,
					  NULL, NULL, connected, &conn_wait);
	spin_until(conn_done, &conn_wait, 5000);
	v->conn = conn_wait.c;
	if (!v->conn) {
		tap_diag("connect: %s", conn_wait.e ? conn_wait.e->message : "timeout");
		return v;
	}
	spin(20);	/* the server's new-connection */
	if (!listen)
		return v;
	g_dbus_connection_register_object(v->conn, "/viewer",
		g_dbus_node_info_lookup_interface(li, VM_DBUS_LISTENER_IFACE), &viewer_vtable,
		v, NULL, &err);
	g_variant_builder_init(&opts, G_VARIANT_TYPE("a{sv}"));
	if (inl)
		g_variant_builder_add(&opts, "{sv}", "inline", g_variant_new_boolean(TRUE));
	vm_call1(v, "RegisterListener", g_variant_new("(oa{sv})", "/viewer", &opts));
	return v;
}

static void viewer_close(struct viewer *v)
{
	if (v->conn) {
		g_dbus_connection_close_sync(v->conn, NULL, NULL);
		/*
		 * Calls that arrived before the close may still be waiting for
		 * the main context: they run now, while v is alive (under load
		 * one ran after the free: ASan's use-after-free).
		 */
		spin(50);
		g_object_unref(v->conn);
	}
	for (unsigned int i = 0; i < v->held->len; i++)
		g_object_unref(g_ptr_array_index(v->held, i));
	g_ptr_array_free(v->held, TRUE);
	if (v->map)
		munmap((void *)v->map, v->map_len);
	g_free(v->copy);
	g_free(v);
	spin(50);
}

/* --- the fake producer ---------------------------------------------------- */

static uint32_t pat(uint32_t x, uint32_t y, uint32_t salt)
{
	return (x * 3 + salt) << 16 ^ (y * 5) << 8 ^ (x ^ y ^ salt);
}

static void draw(uint32_t w, uint32_t h, uint32_t salt)
{
	uint32_t *px = g_malloc((size_t)w * h * 4);
	struct display_rect r = { 0, 0, w, h };

	for (uint32_t y = 0; y < h; y++)
		for (uint32_t x = 0; x < w; x++)
			px[(size_t)y * w + x] = pat(x, y, salt) & 0xffffff;
	display_update(disp, &r, px, w * 4);
	g_free(px);
}

/* Does the viewer's picture (mapped or inline) show the pattern? */
static unsigned int differ(const struct viewer *v, uint32_t salt)
{
	const uint8_t *base = v->map ? v->map : v->copy;
	unsigned int bad = 0;

	if (!base)
		return ~0u;
	for (uint32_t y = 0; y < v->h; y++)
		for (uint32_t x = 0; x < v->w; x++) {
			uint32_t p;

			memcpy(&p, base + (size_t)y * v->stride + x * 4, 4);
			bad += (p & 0xffffff) != (pat(x, y, salt) & 0xffffff);
		}
	return bad;
}

static unsigned int black(const struct viewer *v)
{
	const uint8_t *base = v->map ? v->map : v->copy;
	unsigned int lit = 0;

	for (uint32_t y = 0; base && y < v->h; y++)
		for (uint32_t x = 0; x < v->w; x++)
			lit += base[(size_t)y * v->stride + x * 4] || base[(size_t)y * v->stride + x * 4 + 1] ||
			       base[(size_t)y * v->stride + x * 4 + 2];
	return lit;
}

struct cnt { unsigned int *p; unsigned int want; };
/* Both viewers of the pair are unblanked and show the drawing of salt 4. */
static bool both_see(void *o)
{
	struct viewer **v = o;

	return !v[0]->blank && !v[1]->blank && differ(v[0], 4) == 0 && differ(v[1], 4) == 0;
}

static bool reached(void *o) { struct cnt *c = o; return __atomic_load_n(c->p, __ATOMIC_SEQ_CST) >= c->want; }
#define WAIT_COUNT(ptr, n, ms) ({ struct cnt c_ = { (ptr), (n) }; spin_until(reached, &c_, (ms)); })

/* --- the pointer mode ------------------------------------------------------ */

struct prop_seen {
	unsigned int n;
	char mode[16], sender[16], iface[32];
};

static void prop_signal(GDBusConnection *c, const gchar *sender, const gchar *path,
			const gchar *iface, const gchar *sig, GVariant *params, gpointer opaque)
{
	struct prop_seen *p = opaque;
	const char *ifname, *mode;
	GVariant *changed;

	(void)c; (void)path; (void)iface; (void)sig;
	g_variant_get(params, "(&s@a{sv}@as)", &ifname, &changed, NULL);
	if (g_variant_lookup(changed, "PointerMode", "&s", &mode)) {
		snprintf(p->mode, sizeof(p->mode), "%s", mode);
		snprintf(p->sender, sizeof(p->sender), "%s", sender ? sender : "");
		snprintf(p->iface, sizeof(p->iface), "%s", ifname);
		p->n++;
	}
	g_variant_unref(changed);
}

static struct pending *last_props;

/* org.freedesktop.DBus.Properties.METHOD on the VM's object: the error name, or "". */
static const char *vm_call_props(struct viewer *v, const char *method, GVariant *args)
{
	static struct pending p;

	if (p.reply)
		g_variant_unref(p.reply);
	memset(&p, 0, sizeof(p));
	g_dbus_connection_call_with_unix_fd_list(v->conn, NULL, "/org/vmain/VM",
		"org.freedesktop.DBus.Properties", method, args, NULL, G_DBUS_CALL_FLAGS_NONE,
		5000, NULL, NULL, call_done, &p);
	if (!spin_until(pending_done, &p, 6000))
		snprintf(p.err, sizeof(p.err), "(no reply)");
	last_props = &p;
	return p.err;
}

/* Display1.PointerMode as connection v reads it ("?" on an error). */
static const char *pointer_mode(struct viewer *v)
{
	static char mode[16];
	GVariant *val;

	snprintf(mode, sizeof(mode), "?");
	if (*vm_call_props(v, "Get", g_variant_new("(ss)", VM_DBUS_DISPLAY_IFACE, "PointerMode")) ||
	    !last_props->reply)
		return mode;
	g_variant_get(last_props->reply, "(v)", &val);
	if (g_variant_is_of_type(val, G_VARIANT_TYPE_STRING))
		snprintf(mode, sizeof(mode), "%s", g_variant_get_string(val, NULL));
	g_variant_unref(val);
	return mode;
}

int main(void)
{
	static const struct display_input_ops ops = {
		.key = op_key, .abs = op_abs, .buttons = op_buttons, .wheel = op_wheel,
		.rel = op_rel, .resize = op_resize,
	};
	char dir[] = "/tmp/dbus-display-test.XXXXXX", *addr, *guid;
	struct viewer *a, *b, *c, *f, *g, *inl;
	struct pending p;
	struct ioloop *loop;
	GDBusServer *server;
	GError *err = NULL;
	const char *e;
	unsigned int n;

	if (!mkdtemp(dir) || ioloop_create(&loop) || ioloop_start(loop, "test-io")) {
		perror("set-up");
		return 1;
	}
	info = g_dbus_node_info_new_for_xml(vm_dbus_xml, &err);
	if (!info || display_create(&disp, loop, &ops, NULL)) {
		tap_diag("set-up: %s", err ? err->message : "display");
		return 1;
	}
	served = g_ptr_array_new();
	addr = g_strdup_printf("unix:path=%s/vm.sock", dir);
	guid = g_dbus_generate_guid();
	server = g_dbus_server_new_sync(addr, G_DBUS_SERVER_FLAGS_NONE, guid, NULL, NULL, &err);
	if (!server) {
		tap_diag("server: %s", err->message);
		return 1;
	}
	g_signal_connect(server, "new-connection", G_CALLBACK(new_connection), NULL);
	g_dbus_server_start(server);

	/* The guest shows 320x200. */
	display_set_mode(disp, 320, 200, DISPLAY_FORMAT_XRGB8888);
	draw(320, 200, 1);

	/* A viewer by fd. */
	a = viewer_connect(addr, true, false, true);
	tap_ok(a->conn != NULL, "a viewer connects");
	tap_ok(WAIT_COUNT(&a->updates, 1, 3000), "its listener gets the surface and a first update");
	tap_ok(a->scanouts == 1 && a->w == 320 && a->h == 200 && a->stride == 1280 &&
	       a->format == DISPLAY_FORMAT_XRGB8888 && !a->blank && a->map,
	       "Scanout: 320x200, stride 1280, XRGB8888, an fd it maps");
	tap_ok(differ(a, 1) == 0, "the mapped surface shows what the guest drew");
	n = a->updates;
	draw(320, 200, 2);
	tap_ok(WAIT_COUNT(&a->updates, n + 1, 3000) && differ(a, 2) == 0,
	       "a flush reaches it as Update, and the pixels are the new ones");
	e = vm_call1(a, "RegisterListener", g_variant_new("(oa{sv})", "/viewer", NULL));
	tap_ok(!strcmp(e, VM_DBUS_ERROR_BUSY), "a second RegisterListener: Busy (%s)", e);

	/* GetScanout. */
	e = vm_call(a, "GetScanout", NULL, &p);
	{
		guint32 w = 0, h = 0, stride = 0, format = 0;
		gboolean blank = TRUE;
		int fd = -1;

		if (!*e) {
			g_variant_get(p.reply, "(huuuub)", NULL, &w, &h, &stride, &format, &blank);
			fd = p.fds ? g_unix_fd_list_get(p.fds, 0, NULL) : -1;
		}
		tap_ok(!*e && w == 320 && h == 200 && stride == 1280 && !blank && fd >= 0,
		       "GetScanout: the surface's fd and shape (%s)", e);
		if (fd >= 0) {
			const uint32_t *m = mmap(NULL, 1280 * 200, PROT_READ, MAP_SHARED, fd, 0);

			tap_ok(m != MAP_FAILED && (m[2 * 320 + 7] & 0xffffff) == (pat(7, 2, 2) & 0xffffff),
			       "GetScanout's fd shows the screen");
			if (m != MAP_FAILED)
				munmap((void *)m, 1280 * 200);
			close(fd);
		}
		if (p.reply)
			g_variant_unref(p.reply);
		if (p.fds)
			g_object_unref(p.fds);
	}

	/* Input. */
	e = vm_call1(a, "Key", g_variant_new("(ub)", KEY_A, TRUE));
	tap_ok(!*e && in.keys == 1 && in.last_key == KEY_A && in.last_down, "Key reaches the keyboard");
	e = vm_call1(a, "Key", g_variant_new("(ub)", 0, TRUE));
	tap_ok(!strcmp(e, VM_DBUS_ERROR_INVALID_ARGS) && in.keys == 1, "Key 0: InvalidArgs (%s)", e);
	e = vm_call1(a, "Key", g_variant_new("(ub)", KEY_MAX + 1, TRUE));
	tap_ok(!strcmp(e, VM_DBUS_ERROR_INVALID_ARGS) && in.keys == 1, "Key past KEY_MAX: InvalidArgs");
	e = vm_call1(a, "Key", g_variant_new("(s)", "a"));
	tap_ok(!strcmp(e, "org.freedesktop.DBus.Error.InvalidArgs"), "Key with the wrong signature: refused (%s)", e);
	e = vm_call1(a, "PointerMotion", g_variant_new("(uu)", 100, 50));
	tap_ok(!*e && in.abs == 1 && in.x == 100 && in.y == 50, "PointerMotion reaches the tablet");
	e = vm_call1(a, "PointerMotion", g_variant_new("(uu)", 5000, 5000));
	tap_ok(!*e && in.x == 319 && in.y == 199, "PointerMotion past the edge: clipped (%u,%u)", in.x, in.y);
	e = vm_call1(a, "PointerButtons", g_variant_new("(u)", 5));
	tap_ok(!*e && in.mask == 5, "PointerButtons: left and right");
	e = vm_call1(a, "PointerButtons", g_variant_new("(u)", 0x100));
	tap_ok(!strcmp(e, VM_DBUS_ERROR_INVALID_ARGS) && in.mask == 5, "PointerButtons with an unknown bit: InvalidArgs");
	e = vm_call1(a, "Wheel", g_variant_new("(ii)", -2, 1));
	tap_ok(!*e && in.wheel == 1 && in.dy == -2 && in.dx == 1, "Wheel");
	e = vm_call1(a, "RelativeMotion", g_variant_new("(ii)", 3, -4));
	tap_ok(!*e && in.rel == 1, "RelativeMotion");
	/* The pointer mode: a property, and PropertiesChanged to a listener's connection. */
	{
		struct viewer *q = viewer_connect(addr, false, false, false);
		struct prop_seen pa = { 0 }, pq = { 0 };
		guint sa = g_dbus_connection_signal_subscribe(a->conn, NULL,
			"org.freedesktop.DBus.Properties", "PropertiesChanged", "/org/vmain/VM",
			NULL, G_DBUS_SIGNAL_FLAGS_NONE, prop_signal, &pa, NULL);
		guint sq = g_dbus_connection_signal_subscribe(q->conn, NULL,
			"org.freedesktop.DBus.Properties", "PropertiesChanged", "/org/vmain/VM",
			NULL, G_DBUS_SIGNAL_FLAGS_NONE, prop_signal, &pq, NULL);

		tap_ok(!strcmp(pointer_mode(a), "absolute") && !strcmp(pointer_mode(q), "absolute"),
		       "PointerMode: absolute at first");
		display_set_pointer_relative(disp, true);
		tap_ok(WAIT_COUNT(&pa.n, 1, 3000) && !strcmp(pa.mode, "relative") &&
		       !strcmp(pa.sender, VM_DBUS_SENDER) && !strcmp(pa.iface, VM_DBUS_DISPLAY_IFACE),
		       "the guest drives the mouse only: PropertiesChanged PointerMode relative, from %s",
		       VM_DBUS_SENDER);
		tap_ok(!strcmp(pointer_mode(a), "relative") && !strcmp(pointer_mode(q), "relative"),
		       "PointerMode reads relative on every connection");
		display_set_pointer_relative(disp, true);
		display_set_pointer_relative(disp, false);
		tap_ok(WAIT_COUNT(&pa.n, 2, 3000) && !strcmp(pa.mode, "absolute"),
		       "back to absolute: one more signal (%u in all)", pa.n);
		spin(200);
		tap_ok(pa.n == 2 && pq.n == 0,
		       "no signal for a repeated mode; none to a connection without a listener");
		/* A guest flipping its pointer driver as fast as it can: merged, not queued. */
		{
			unsigned int n0 = pa.n, flips;

			for (flips = 0; flips < 1001; flips++)
				display_set_pointer_relative(disp, flips % 2 == 0);
			spin(500);
			tap_ok(!strcmp(pa.mode, "relative") && pa.n > n0 && pa.n - n0 <= 100,
			       "1,001 flips: %u signal(s), the last one the mode the guest ended in",
			       pa.n - n0);
			display_set_pointer_relative(disp, false);
			WAIT_COUNT(&pa.n, pa.n + 1, 3000);
		}
		e = vm_call_props(a, "Get", g_variant_new("(ss)", VM_DBUS_DISPLAY_IFACE, "Nope"));
		tap_ok(*e != 0, "an unknown Display1 property: an error (%s)", e);
		g_dbus_connection_signal_unsubscribe(a->conn, sa);
		g_dbus_connection_signal_unsubscribe(q->conn, sq);
		viewer_close(q);
	}

	e = vm_call1(a, "SetPreferredSize", g_variant_new("(uu)", 10, 10));
	tap_ok(!strcmp(e, VM_DBUS_ERROR_INVALID_ARGS), "SetPreferredSize 10x10: InvalidArgs");
	for (n = 0; n < 50; n++)
		vm_call1(a, "SetPreferredSize", g_variant_new("(uu)", 640 + n, 480));
	spin(400);
	tap_ok(in.resizes == 1 && in.rw == 689 && in.rh == 480,
	       "50 sizes in a burst: the guest gets one resize, the last size (%u: %ux%u)",
	       in.resizes, in.rw, in.rh);

	/* An inline viewer, with a surface large enough to go in bands. */
	display_set_mode(disp, 1200, 1000, DISPLAY_FORMAT_XRGB8888);
	draw(1200, 1000, 3);
	inl = viewer_connect(addr, false, true, true);
	tap_ok(WAIT_COUNT(&inl->inline_updates, 2, 5000),
	       "an inline viewer gets ScanoutInline and the pixels in bands (%u calls)", inl->inline_updates);
	spin(300);
	tap_ok(inl->scanouts >= 1 && inl->w == 1200 && !inl->map && differ(inl, 3) == 0,
	       "the inline copy is the guest's screen, pixel for pixel (4.8 MB in <= 4 MiB calls)");
	tap_ok(WAIT_COUNT(&a->scanouts, 2, 3000) && a->w == 1200 && differ(a, 3) == 0,
	       "the fd viewer follows the mode change");

	/* Private mode. */
	c = viewer_connect(addr, false, false, false);		/* not the owner */
	e = vm_call1(c, "AcquirePrivate", NULL);
	tap_ok(!strcmp(e, VM_DBUS_ERROR_DENIED), "a non-owner's AcquirePrivate: AccessDenied (%s)", e);
	b = viewer_connect(addr, true, false, true);		/* an owner */
	WAIT_COUNT(&b->updates, 1, 3000);
	e = vm_call1(b, "AcquirePrivate", NULL);
	tap_ok(!*e, "the owner takes private mode (%s)", e);
	e = vm_call1(b, "AcquirePrivate", NULL);
	tap_ok(!strcmp(e, "org.vmain.Error.InvalidState"), "again: InvalidState (%s)", e);
	e = vm_call1(a, "AcquirePrivate", NULL);
	tap_ok(!strcmp(e, VM_DBUS_ERROR_BUSY), "another owner's AcquirePrivate: Busy (%s)", e);
	spin(300);
	tap_ok(a->blank && black(a) == 0 && inl->blank, "the other viewers are blanked: black pixels, blank set");
	tap_ok(differ(b, 3) == 0 && !b->blank, "the holder sees the screen");
	draw(1200, 1000, 4);
	spin(300);
	tap_ok(differ(b, 4) == 0 && black(a) == 0, "new drawing reaches only the holder");
	n = in.keys;
	e = vm_call1(a, "Key", g_variant_new("(ub)", KEY_B, TRUE));
	tap_ok(!strcmp(e, VM_DBUS_ERROR_DENIED) && in.keys == n, "another viewer's key: AccessDenied, not sent");
	e = vm_call1(b, "Key", g_variant_new("(ub)", KEY_B, TRUE));
	tap_ok(!*e && in.keys == n + 1, "the holder's key is sent");
	e = vm_call1(b, "RegisterListener", g_variant_new("(oa{sv})", "/viewer", NULL));
	tap_ok(*e, "the holder cannot re-register while holding it (%s)", e);
	e = vm_call1(b, "ReleasePrivate", NULL);
	tap_ok(!*e, "ReleasePrivate");
	e = vm_call1(b, "ReleasePrivate", NULL);
	tap_ok(!strcmp(e, "org.vmain.Error.InvalidState"), "ReleasePrivate when not held: InvalidState");
	{
		struct viewer *both[2] = { a, inl };

		spin_until(both_see, both, 5000);
	}
	tap_ok(!a->blank && differ(a, 4) == 0 && differ(inl, 4) == 0,
	       "after release every viewer has the screen again, the drawing done meanwhile too");
	vm_call1(b, "AcquirePrivate", NULL);
	spin(200);
	viewer_close(b);		/* a crash releases it */
	spin(400);
	tap_ok(!display_private_held(disp) && !a->blank && differ(a, 4) == 0,
	       "the holder's connection closing releases private mode");


	/* A listener that is not there, then a real one, inline: it starts afresh. */
	g = viewer_connect(addr, false, false, false);
	e = vm_call1(g, "RegisterListener", g_variant_new("(oa{sv})", "/nowhere", NULL));
	spin(300);
	g_dbus_connection_register_object(g->conn, "/viewer",
		g_dbus_node_info_lookup_interface(info, VM_DBUS_LISTENER_IFACE), &viewer_vtable,
		g, NULL, NULL);
	{
		GVariantBuilder opts;

		g_variant_builder_init(&opts, G_VARIANT_TYPE("a{sv}"));
		g_variant_builder_add(&opts, "{sv}", "inline", g_variant_new_boolean(TRUE));
		e = vm_call1(g, "RegisterListener", g_variant_new("(oa{sv})", "/viewer", &opts));
	}
	/* 1200x1000 inline is two bands of rows (4 MiB a call). */
	WAIT_COUNT(&g->inline_updates, 2, 10000);
	spin(300);
	tap_ok(!*e && g->scanouts == 1 && g->copy && differ(g, 4) == 0,
	       "a listener that was not there, then one inline on the same connection: "
	       "the new one gets ScanoutInline first and the screen (%s; %u scanouts, %u differ)",
	       e, g->scanouts, g->copy ? differ(g, 4) : 0);
	viewer_close(g);

	/*
	 * A viewer process that stops reading its socket (SIGSTOP) while the
	 * guest draws: after the first call times out, no new call until the
	 * connection's output drains, so the VM queues nothing more for it.
	 */
	{
		char exe[4096], *viewer_bin, *argv_[6], *exe_dir;
		ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
		GPid child = 0;
		unsigned int before = served->len;
		unsigned long calls0, calls1;

		exe[len > 0 ? len : 0] = 0;
		/* BUILD/tests/vm/dbus-display-test -> BUILD/examples/display-viewer */
		exe_dir = g_path_get_dirname(exe);
		viewer_bin = g_strdup_printf("%s/../../examples/display-viewer", exe_dir);
		g_free(exe_dir);
		argv_[0] = viewer_bin;
		argv_[1] = (char *)"--inline";
		argv_[2] = (char *)"--timeout=60";
		argv_[3] = g_strdup_printf("%s/vm.sock", dir);
		argv_[4] = g_strdup_printf("%s/frozen.png", dir);
		argv_[5] = NULL;
		dbus_display_set_call_timeout(200);
		if (!g_spawn_async(NULL, argv_, NULL, G_SPAWN_DO_NOT_REAP_CHILD |
				   G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
				   NULL, NULL, &child, NULL)) {
			tap_ok(0, "the example viewer runs (%s)", viewer_bin);
		} else {
			struct dbus_display *fdd = NULL;

			for (int i = 0; i < 500 && served->len == before; i++)
				spin(10);
			if (served->len > before)
				fdd = g_object_get_data(G_OBJECT(g_ptr_array_index(served, served->len - 1)), "dd");
			for (int i = 0; i < 300 && fdd && dbus_display_calls(fdd) < 2; i++)
				spin(10);
			kill(child, SIGSTOP);
			spin(100);
			calls0 = fdd ? dbus_display_calls(fdd) : 0;
			for (int i = 0; i < 20; i++) {
				draw(1200, 1000, 10 + i);
				spin(100);
			}
			calls1 = fdd ? dbus_display_calls(fdd) : 0;
			tap_ok(fdd && calls0 >= 1 && calls1 - calls0 <= 2,
			       "a viewer that stopped reading gets no new calls after a timeout "
			       "(%lu during 2 s of drawing 4.8 MB frames)", calls1 - calls0);
			kill(child, SIGKILL);
			waitpid(child, NULL, 0);
			g_spawn_close_pid(child);
			spin(300);
			tap_ok(served->len == before, "killed, its connection is cleaned up");
		}
		dbus_display_set_call_timeout(DBUS_DISPLAY_CALL_TIMEOUT_MS);
		g_free(viewer_bin);
		g_free(argv_[3]);
		g_free(argv_[4]);
	}

	/* A frozen listener: one call in flight, damage merged, then it catches up. */
	display_set_mode(disp, 320, 200, DISPLAY_FORMAT_XRGB8888);

	/* Private mode taken and released 1,000 times while another viewer watches. */
	{
		struct viewer *w = viewer_connect(addr, false, false, true);
		struct viewer *o = viewer_connect(addr, true, false, false);
		unsigned int fails = 0;

		WAIT_COUNT(&w->updates, 1, 3000);
		for (unsigned int i = 0; i < 1000; i++) {
			fails += *vm_call1(o, "AcquirePrivate", NULL) != 0;
			if (i % 100 == 0)
				draw(320, 200, 20 + i / 100);
			fails += *vm_call1(o, "ReleasePrivate", NULL) != 0;
		}
		spin(500);
		tap_ok(fails == 0 && !w->blank && differ(w, 29) == 0,
		       "private mode taken and released 1,000 times (drawing meanwhile): "
		       "the watching viewer ends with the right pixels (%u failed calls)", fails);
		viewer_close(o);
		viewer_close(w);
	}
	f = viewer_connect(addr, false, false, true);
	WAIT_COUNT(&f->updates, 1, 3000);
	f->frozen = true;
	n = f->calls;
	for (unsigned int i = 0; i < 2000; i++) {
		struct display_rect r = { i % 300, i % 190, 8, 8 };
		uint32_t px[64] = { 0 };

		display_update(disp, &r, px, 32);
		if (i % 100 == 0)
			spin(1);
	}
	spin(300);
	tap_ok(f->calls <= n + 1, "a listener that does not reply gets one call at a time (%u during 2000 updates)",
	       f->calls - n);
	f->frozen = false;
	for (unsigned int i = 0; i < f->held->len; i++) {
		g_dbus_method_invocation_return_value(g_ptr_array_index(f->held, i), NULL);
		g_object_unref(g_ptr_array_index(f->held, i));
	}
	g_ptr_array_set_size(f->held, 0);
	draw(320, 200, 5);
	spin(400);
	tap_ok(differ(f, 5) == 0 && f->calls - n <= 4,
	       "once it replies it catches up in a few calls (%u), with the right pixels", f->calls - n);

	/* Connections that go mid-call. */
	f->frozen = true;
	draw(320, 200, 6);
	spin(100);
	viewer_close(f);
	draw(320, 200, 7);
	spin(200);
	tap_ok(differ(a, 7) == 0, "a viewer closed with a call in flight is cleaned up; the others go on");
	viewer_close(inl);
	viewer_close(c);
	e = vm_call1(a, "UnregisterListener", NULL);
	n = a->calls;
	draw(320, 200, 8);
	spin(200);
	tap_ok(!*e && a->calls == n, "UnregisterListener: no more calls");
	e = vm_call1(a, "RegisterListener", g_variant_new("(oa{sv})", "/viewer", NULL));
	spin(300);
	tap_ok(!*e && differ(a, 8) == 0, "registering again brings the whole screen");
	display_set_mode(disp, 0, 0, 0);
	spin(200);
	tap_ok(a->disables == 1, "no scanout: Disable");
	e = vm_call1(a, "GetScanout", NULL);
	tap_ok(!strcmp(e, VM_DBUS_ERROR_NO_SCANOUT), "GetScanout without a scanout: NoScanout (%s)", e);
	viewer_close(a);

	spin(100);
	reap_closed();
	tap_ok(served->len == 0, "every connection's Display1 was freed");
	g_dbus_server_stop(server);
	g_object_unref(server);
	display_destroy(disp);
	ioloop_stop(loop);
	ioloop_destroy(loop);
	g_dbus_node_info_unref(info);
	g_ptr_array_free(served, TRUE);
	g_free(addr);
	g_free(guid);
	rmdir(dir);
	return tap_done();
}
