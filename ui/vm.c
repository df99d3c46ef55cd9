// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ui/vm.c - one VM's control connection for the app (ui/vm.h): state,
 * calls, and the display listener that keeps the guest's screen.
 */
#include <errno.h>
#include <fcntl.h>
#include <gio/gunixfdlist.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api-xml.h"
#include "vm.h"

#define LISTENER_PATH	"/org/vmain/ui/listener"
#define VM_PATH		"/org/vmain/VM"
/* The largest screen we map or copy: 16384 x 16384 x 4 (1 GiB); the monitor's own cap is lower. */
#define MAX_DIM		16384u
#define MAX_SURFACE	((size_t)1 << 30)

struct ui_vm {
	const struct ui_vm_events *ev;
	void *opaque;
	GCancellable *cancel;
	GDBusConnection *conn;
	guint state_sub, props_sub, listener_reg;
	gulong closed_handler;
	char *name, *state;
	char *socket_path;
	bool connected, has_display, listening, want_inline;
	bool pointer_relative;	/* Display1.PointerMode, as last signalled */
	struct ui_screen screen;
	void *map;		/* the VM's surface, read-only */
	size_t map_len;
	uint8_t *copy;		/* inline: our own pixels */
	uint64_t frames;
};

static void forget_screen(struct ui_vm *vm)
{
	if (vm->map)
		munmap(vm->map, vm->map_len);
	g_free(vm->copy);
	vm->map = NULL;
	vm->map_len = 0;
	vm->copy = NULL;
	memset(&vm->screen, 0, sizeof(vm->screen));
}

static void set_state(struct ui_vm *vm, const char *state)
{
	if (!g_strcmp0(vm->state, state))
		return;
	g_free(vm->state);
	vm->state = g_strdup(state);
	if (vm->ev->state)
		vm->ev->state(vm->opaque, state);
}

/* A valid w x h screen of `stride` bytes a row: its size, or 0. */
static size_t screen_bytes(uint32_t w, uint32_t h, uint32_t stride)
{
	/* Whole pixels a row: pixman (and any reader of 32-bit pixels) needs it. */
	if (!w || !h || w > MAX_DIM || h > MAX_DIM || stride / 4 < w || stride % 4)
		return 0;
	if ((size_t)stride * h > MAX_SURFACE)
		return 0;
	return (size_t)stride * h;
}

static void register_listener(struct ui_vm *vm);

static void on_scanout(struct ui_vm *vm, GDBusMethodInvocation *inv, GVariant *params)
{
	GUnixFDList *fds = g_dbus_message_get_unix_fd_list(g_dbus_method_invocation_get_message(inv));
	guint32 w, h, stride, format;
	gboolean blank;
	gint32 handle;
	struct stat st;
	size_t len;
	void *m;
	int fd, seals;

	g_variant_get(params, "(huuuub)", &handle, &w, &h, &stride, &format, &blank);
	forget_screen(vm);
	len = screen_bytes(w, h, stride);
	fd = fds && handle >= 0 && handle < g_unix_fd_list_get_length(fds) ?
	     g_unix_fd_list_get(fds, handle, NULL) : -1;
	if (fd < 0) {
		/*
		 * The descriptor did not cross: a socket forwarded by a relay
		 * that passes bytes only (the SVM arena's, ssh's).  Ask again
		 * for pixels inside the calls.
		 */
		if (!vm->want_inline) {
			vm->want_inline = true;
			g_dbus_connection_call(vm->conn, NULL, VM_PATH, "org.vmain.Display1",
					       "UnregisterListener", NULL, NULL,
					       G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL, NULL);
			register_listener(vm);
		}
		/* The old surface is unmapped: whoever drew from it must know now. */
		if (vm->ev->scanout)
			vm->ev->scanout(vm->opaque, &vm->screen);
		return;
	}
	/*
	 * Only a surface that cannot shrink is mapped: the monitor seals its
	 * memfds (F_SEAL_SHRINK); a peer that could truncate the file under
	 * our mapping would make every later read a SIGBUS.
	 */
	m = MAP_FAILED;
	seals = fcntl(fd, F_GET_SEALS);
	if (len && !fstat(fd, &st) && st.st_size >= 0 && (size_t)st.st_size >= len &&
	    seals > 0 && (seals & F_SEAL_SHRINK))
		m = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (m == MAP_FAILED) {
		g_warning("vmain-gtk: the VM's screen (%ux%u, stride %u) cannot be mapped", w, h,
			  stride);
	} else {
		vm->map = m;
		vm->map_len = len;
		vm->screen = (struct ui_screen){ .pixels = m, .width = w, .height = h,
						 .stride = stride, .format = format,
						 .blank = blank };
	}
	if (vm->ev->scanout)
		vm->ev->scanout(vm->opaque, &vm->screen);
}

static void on_scanout_inline(struct ui_vm *vm, GVariant *params)
{
	guint32 w, h, format;
	gboolean blank;
	size_t len;

	g_variant_get(params, "(uuub)", &w, &h, &format, &blank);
	forget_screen(vm);
	len = screen_bytes(w, h, w * 4);
	if (len) {
		vm->copy = g_try_malloc0(len);
		if (vm->copy)
			vm->screen = (struct ui_screen){ .pixels = vm->copy, .width = w,
							 .height = h, .stride = w * 4,
							 .format = format, .blank = blank,
							 .inline_copy = true };
	}
	if (vm->ev->scanout)
		vm->ev->scanout(vm->opaque, &vm->screen);
}

static void emit_update(struct ui_vm *vm, uint32_t x, uint32_t y, uint32_t w, uint32_t h)
{
	const struct ui_screen *s = &vm->screen;

	/* Clip to the screen: a VM's rectangle is a hint, never an index. */
	if (!s->pixels || x >= s->width || y >= s->height || !w || !h)
		return;
	if (w > s->width - x)
		w = s->width - x;
	if (h > s->height - y)
		h = s->height - y;
	if (vm->ev->update)
		vm->ev->update(vm->opaque, x, y, w, h);
}

static void on_update_inline(struct ui_vm *vm, GVariant *params)
{
	guint32 x, y, w, h;
	GVariant *pxv;
	const uint8_t *px;
	gsize len;

	g_variant_get(params, "(uuuu@ay)", &x, &y, &w, &h, &pxv);
	px = g_variant_get_fixed_array(pxv, &len, 1);
	/* The rectangle must lie inside our copy and the bytes must all be there. */
	if (vm->copy && w && h && x < vm->screen.width && y < vm->screen.height &&
	    w <= vm->screen.width - x && h <= vm->screen.height - y &&
	    len == (gsize)w * h * 4) {
		for (guint32 r = 0; r < h; r++)
			memcpy(vm->copy + ((size_t)(y + r) * vm->screen.width + x) * 4,
			       px + (size_t)r * w * 4, (size_t)w * 4);
		vm->frames++;
		emit_update(vm, x, y, w, h);
	}
	g_variant_unref(pxv);
}

static void on_cursor_define(struct ui_vm *vm, GVariant *params)
{
	guint32 w, h, hx, hy;
	GVariant *pxv;
	const uint32_t *px;
	gsize len;

	g_variant_get(params, "(uuuu@ay)", &w, &h, &hx, &hy, &pxv);
	px = g_variant_get_fixed_array(pxv, &len, 1);
	if (w <= 64 && h <= 64 && len == (gsize)w * h * 4 && (!w || (hx < w && hy < h))) {
		uint32_t *argb = g_memdup2(px, len ? len : 1);

		if (vm->ev->cursor_define)
			vm->ev->cursor_define(vm->opaque, w, w ? h : 0, hx, hy, argb);
		g_free(argb);
	}
	g_variant_unref(pxv);
}

static void listener_call(GDBusConnection *c, const gchar *sender, const gchar *path,
			  const gchar *iface, const gchar *method, GVariant *params,
			  GDBusMethodInvocation *inv, gpointer opaque)
{
	struct ui_vm *vm = opaque;

	(void)c;
	(void)sender;
	(void)path;
	(void)iface;
	if (!strcmp(method, "Scanout")) {
		on_scanout(vm, inv, params);
	} else if (!strcmp(method, "ScanoutInline")) {
		on_scanout_inline(vm, params);
	} else if (!strcmp(method, "Update")) {
		GVariant *rects = g_variant_get_child_value(params, 0);
		GVariantIter it;
		guint32 x, y, w, h;

		g_variant_iter_init(&it, rects);
		vm->frames++;
		while (g_variant_iter_next(&it, "(uuuu)", &x, &y, &w, &h))
			emit_update(vm, x, y, w, h);
		g_variant_unref(rects);
	} else if (!strcmp(method, "UpdateInline")) {
		on_update_inline(vm, params);
	} else if (!strcmp(method, "Blank")) {
		gboolean blank;

		g_variant_get(params, "(b)", &blank);
		vm->screen.blank = blank;
		if (vm->ev->scanout)
			vm->ev->scanout(vm->opaque, &vm->screen);
	} else if (!strcmp(method, "Disable")) {
		forget_screen(vm);
		if (vm->ev->scanout)
			vm->ev->scanout(vm->opaque, &vm->screen);
	} else if (!strcmp(method, "CursorDefine")) {
		on_cursor_define(vm, params);
	} else if (!strcmp(method, "CursorMove")) {
		gint32 x, y;
		gboolean visible;

		g_variant_get(params, "(iib)", &x, &y, &visible);
		if (vm->ev->cursor_move)
			vm->ev->cursor_move(vm->opaque, x, y, visible);
	}
	/* The VM waits for this reply before its next call: answer at once. */
	g_dbus_method_invocation_return_value(inv, NULL);
}

static const GDBusInterfaceVTable listener_vtable = { .method_call = listener_call };

struct call {
	ui_vm_done_fn done;
	void *opaque;
};

static void call_done(GObject *src, GAsyncResult *res, gpointer data)
{
	struct call *c = data;
	GError *err = NULL;
	GVariant *r = g_dbus_connection_call_finish(G_DBUS_CONNECTION(src), res, &err);

	if (r)
		g_variant_unref(r);
	/* Cancelled: the ui_vm is gone, and so may be whoever asked. */
	if (!g_error_matches(err, G_IO_ERROR, G_IO_ERROR_CANCELLED) && c->done) {
		if (err)
			g_dbus_error_strip_remote_error(err);
		c->done(c->opaque, err);
	}
	g_clear_error(&err);
	g_free(c);
}

void ui_vm_call(struct ui_vm *vm, const char *iface, const char *method, GVariant *args,
		ui_vm_done_fn done, void *opaque)
{
	struct call *c;

	if (!vm->conn) {
		GError *err = g_error_new_literal(G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
						  "not connected to the VM");

		if (args)
			g_variant_unref(g_variant_ref_sink(args));
		if (done)
			done(opaque, err);
		g_error_free(err);
		return;
	}
	if (!done) {
		/* No reply wanted (input): the VM sends none, nothing waits. */
		g_dbus_connection_call(vm->conn, NULL, VM_PATH, iface, method, args, NULL,
				       G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL, NULL);
		return;
	}
	c = g_new0(struct call, 1);
	c->done = done;
	c->opaque = opaque;
	/* Save takes as long as writing the RAM does: no timeout suits it. */
	g_dbus_connection_call(vm->conn, NULL, VM_PATH, iface, method, args, NULL,
			       G_DBUS_CALL_FLAGS_NONE, !strcmp(method, "Save") ? G_MAXINT : -1,
			       vm->cancel, call_done, c);
}

static void listen_done(void *opaque, const GError *err)
{
	struct ui_vm *vm = opaque;

	if (err) {
		g_warning("vmain-gtk: the VM's display: %s", err->message);
		vm->listening = false;
	}
}

static void register_listener(struct ui_vm *vm)
{
	GVariantBuilder opts;

	g_variant_builder_init(&opts, G_VARIANT_TYPE("a{sv}"));
	if (vm->want_inline)
		g_variant_builder_add(&opts, "{sv}", "inline", g_variant_new_boolean(TRUE));
	ui_vm_call(vm, "org.vmain.Display1", "RegisterListener",
		   g_variant_new("(oa{sv})", LISTENER_PATH, &opts), listen_done, vm);
}

int ui_vm_listen(struct ui_vm *vm, bool want_inline)
{
	GDBusNodeInfo *node;
	GDBusInterfaceInfo *iface;
	GError *err = NULL;

	if (!vm->connected)
		return -ENOTCONN;
	if (!vm->has_display)
		return -ENODEV;
	if (vm->listening)
		return -EBUSY;
	node = g_dbus_node_info_new_for_xml(ui_api_xml, &err);
	if (!node) {
		g_warning("vmain-gtk: the API's XML: %s", err->message);
		g_error_free(err);
		return -EINVAL;
	}
	iface = g_dbus_node_info_lookup_interface(node, "org.vmain.DisplayListener1");
	vm->listener_reg = iface ? g_dbus_connection_register_object(vm->conn, LISTENER_PATH, iface,
								      &listener_vtable, vm, NULL,
								      &err) : 0;
	g_dbus_node_info_unref(node);
	if (!vm->listener_reg) {
		g_warning("vmain-gtk: the display listener: %s", err ? err->message : "not in the XML");
		g_clear_error(&err);
		return -EINVAL;
	}
	vm->want_inline = want_inline;
	vm->listening = true;
	register_listener(vm);
	return 0;
}

static void state_signal(GDBusConnection *c, const gchar *sender, const gchar *path,
			 const gchar *iface, const gchar *signal, GVariant *params, gpointer opaque)
{
	const char *state;

	(void)c;
	(void)sender;
	(void)path;
	(void)iface;
	(void)signal;
	if (g_variant_is_of_type(params, G_VARIANT_TYPE("(s)"))) {
		g_variant_get(params, "(&s)", &state);
		set_state(opaque, state);
	}
}

/*
 * PropertiesChanged of org.vmain.Display1 (the signal's arg0): the VM
 * sends it to a connection with a listener when the guest's pointer mode
 * changes; until then the mode is absolute.
 */
static void props_signal(GDBusConnection *c, const gchar *sender, const gchar *path,
			 const gchar *iface, const gchar *signal, GVariant *params, gpointer opaque)
{
	struct ui_vm *vm = opaque;
	GVariant *changed;
	const char *mode;
	bool rel;

	(void)c;
	(void)sender;
	(void)path;
	(void)iface;
	(void)signal;
	if (!g_variant_is_of_type(params, G_VARIANT_TYPE("(sa{sv}as)")))
		return;
	g_variant_get_child(params, 1, "@a{sv}", &changed);
	if (g_variant_lookup(changed, "PointerMode", "&s", &mode) &&
	    (!strcmp(mode, "relative") || !strcmp(mode, "absolute"))) {
		rel = !strcmp(mode, "relative");
		if (rel != vm->pointer_relative) {
			vm->pointer_relative = rel;
			if (vm->ev->pointer_mode)
				vm->ev->pointer_mode(vm->opaque, rel);
		}
	}
	g_variant_unref(changed);
}

static void conn_closed(GDBusConnection *c, gboolean vanished, GError *err, gpointer opaque)
{
	struct ui_vm *vm = opaque;
	char *why;

	(void)c;
	/* GDBus's words for a peer that went ("0 bytes on an async read") help nobody. */
	why = g_strdup(vanished || !err ? "its control connection closed" : err->message);
	vm->connected = false;
	if (vm->ev->closed)
		vm->ev->closed(vm->opaque, why);
	g_free(why);
}

static void introspected(GObject *src, GAsyncResult *res, gpointer data)
{
	struct ui_vm *vm = data;
	GError *err = NULL;
	GVariant *r = g_dbus_connection_call_finish(G_DBUS_CONNECTION(src), res, &err);
	const char *xml;

	if (g_error_matches(err, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
		g_error_free(err);
		return;
	}
	if (r) {
		g_variant_get(r, "(&s)", &xml);
		vm->has_display = strstr(xml, "\"org.vmain.Display1\"") != NULL;
		g_variant_unref(r);
	}
	g_clear_error(&err);
	vm->connected = true;
	/* The state first: `connected` may free vm (ui_vm_free() at any time). */
	if (vm->state && vm->ev->state)
		vm->ev->state(vm->opaque, vm->state);
	if (vm->ev->connected)
		vm->ev->connected(vm->opaque, NULL);
}

static void got_props(GObject *src, GAsyncResult *res, gpointer data)
{
	struct ui_vm *vm = data;
	GError *err = NULL;
	GVariant *r = g_dbus_connection_call_finish(G_DBUS_CONNECTION(src), res, &err);
	GVariant *props;
	const char *s;

	if (!r) {
		if (!g_error_matches(err, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
			g_dbus_error_strip_remote_error(err);
			if (vm->ev->connected)
				vm->ev->connected(vm->opaque, err);
		}
		g_error_free(err);
		return;
	}
	props = g_variant_get_child_value(r, 0);
	if (g_variant_lookup(props, "Name", "&s", &s)) {
		g_free(vm->name);
		vm->name = g_strdup(s);
	}
	/* A StateChanged may have come first: it is newer than this reply. */
	if (!vm->state && g_variant_lookup(props, "State", "&s", &s))
		vm->state = g_strdup(s);
	g_variant_unref(props);
	g_variant_unref(r);
	g_dbus_connection_call(vm->conn, NULL, VM_PATH, "org.freedesktop.DBus.Introspectable",
			       "Introspect", NULL, G_VARIANT_TYPE("(s)"), G_DBUS_CALL_FLAGS_NONE,
			       -1, vm->cancel, introspected, vm);
}

/*
 * A VM admits only its owner (docs/api.md, "Where and who": a system VM
 * also root and group vmain) and closes any other connection during the
 * authentication, which GDBus reports in words that say nothing of it
 * ("Unexpected lack of content trying to read a line").  When the socket
 * is not ours, say whose it is.  NULL: nothing to add.
 */
static GError *explain_refusal(const char *path, const GError *err)
{
	struct passwd *pw;
	struct stat st;

	/* GDBus's auth reads end so (G_IO_ERROR_FAILED); connect() on a mode-0600 socket: EACCES. */
	if (!g_error_matches(err, G_IO_ERROR, G_IO_ERROR_FAILED) &&
	    !g_error_matches(err, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED))
		return NULL;
	if (stat(path, &st) || st.st_uid == geteuid())
		return NULL;
	pw = getpwuid(st.st_uid);
	return g_error_new(G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
			   "permission denied: the VM belongs to %s (uid %u), and only its owner "
			   "may connect (a system VM's socket also admits root and group vmain) (%s)",
			   pw ? pw->pw_name : "another user", (unsigned int)st.st_uid, err->message);
}

static void conn_ready(GObject *src, GAsyncResult *res, gpointer data)
{
	struct ui_vm *vm = data;
	GError *err = NULL, *why;
	GDBusConnection *conn = g_dbus_connection_new_for_address_finish(res, &err);

	(void)src;
	if (!conn) {
		if (!g_error_matches(err, G_IO_ERROR, G_IO_ERROR_CANCELLED) && vm->ev->connected) {
			why = explain_refusal(vm->socket_path, err);
			vm->ev->connected(vm->opaque, why ? why : err);
			if (why)
				g_error_free(why);
		}
		g_error_free(err);
		return;
	}
	vm->conn = conn;
	/* The VM may go before we do: that is news, not an exit. */
	g_dbus_connection_set_exit_on_close(conn, FALSE);
	vm->closed_handler = g_signal_connect(conn, "closed", G_CALLBACK(conn_closed), vm);
	vm->state_sub = g_dbus_connection_signal_subscribe(conn, NULL, "org.vmain.VM1",
							   "StateChanged", VM_PATH, NULL,
							   G_DBUS_SIGNAL_FLAGS_NONE, state_signal,
							   vm, NULL);
	vm->props_sub = g_dbus_connection_signal_subscribe(conn, NULL,
		"org.freedesktop.DBus.Properties", "PropertiesChanged", VM_PATH,
		"org.vmain.Display1", G_DBUS_SIGNAL_FLAGS_NONE, props_signal, vm, NULL);
	g_dbus_connection_call(conn, NULL, VM_PATH, "org.freedesktop.DBus.Properties", "GetAll",
			       g_variant_new("(s)", "org.vmain.VM1"), G_VARIANT_TYPE("(a{sv})"),
			       G_DBUS_CALL_FLAGS_NONE, -1, vm->cancel, got_props, vm);
}

struct ui_vm *ui_vm_connect(const char *socket_path, const struct ui_vm_events *ev, void *opaque)
{
	struct ui_vm *vm = g_new0(struct ui_vm, 1);
	char *esc = g_dbus_address_escape_value(socket_path);
	char *addr = g_strdup_printf("unix:path=%s", esc);

	vm->ev = ev;
	vm->opaque = opaque;
	vm->socket_path = g_strdup(socket_path);
	vm->cancel = g_cancellable_new();
	g_dbus_connection_new_for_address(addr, G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT,
					  NULL, vm->cancel, conn_ready, vm);
	g_free(addr);
	g_free(esc);
	return vm;
}

void ui_vm_free(struct ui_vm *vm)
{
	if (!vm)
		return;
	g_cancellable_cancel(vm->cancel);
	if (vm->conn) {
		if (vm->listener_reg)
			g_dbus_connection_unregister_object(vm->conn, vm->listener_reg);
		if (vm->state_sub)
			g_dbus_connection_signal_unsubscribe(vm->conn, vm->state_sub);
		if (vm->props_sub)
			g_dbus_connection_signal_unsubscribe(vm->conn, vm->props_sub);
		g_signal_handler_disconnect(vm->conn, vm->closed_handler);
		/* Closing is what tells the VM to forget our listener; it never stops the VM. */
		g_dbus_connection_close(vm->conn, NULL, NULL, NULL);
		g_object_unref(vm->conn);
	}
	g_object_unref(vm->cancel);
	forget_screen(vm);
	g_free(vm->name);
	g_free(vm->state);
	g_free(vm->socket_path);
	g_free(vm);
}

bool ui_vm_is_connected(const struct ui_vm *vm)
{
	return vm->connected;
}

const char *ui_vm_state(const struct ui_vm *vm)
{
	return vm->state ? vm->state : "";
}

const char *ui_vm_name(const struct ui_vm *vm)
{
	return vm->name ? vm->name : "";
}

bool ui_vm_has_display(const struct ui_vm *vm)
{
	return vm->has_display;
}

const struct ui_screen *ui_vm_screen(const struct ui_vm *vm)
{
	return &vm->screen;
}

uint64_t ui_vm_frames(const struct ui_vm *vm)
{
	return vm->frames;
}
