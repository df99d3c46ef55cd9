// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vm/dbus-display.c - org.vmain.Display1 on one control connection (see
 * dbus-display.h).
 */
#include <errno.h>
#include <gio/gunixfdlist.h>
#include <linux/input-event-codes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "display/display.h"
#include "vm/dbus-display.h"
#include "vm/dbus.h"

/*
 * One call to the listener in flight.  The call's reply may be on its way
 * to the main context when the connection goes: the token, not the
 * dbus_display, is what the reply callback gets, and free clears it.
 */
struct call_token {
	struct dbus_display *dd;
};

/* Where the frame being sent is: what goes next. */
enum send_step {
	STEP_POINTER,
	STEP_MODE,
	STEP_CURSOR_DEFINE,
	STEP_CURSOR_MOVE,
	STEP_RECTS,
	STEP_DONE,
};

struct dbus_display {
	struct display *d;
	GDBusConnection *conn;
	guint reg_id;
	bool owner;
	struct display_viewer *v;
	bool polled;			/* the viewer has given a frame to a listener */
	bool holds_private;		/* the viewer took private mode */
	GSource *wake;			/* made ready by the display's wake() */

	char *listener;			/* object path, NULL: none */
	bool inline_mode;
	struct call_token *token;	/* the call in flight, NULL: none */
	unsigned long calls;		/* made so far */

	struct display_frame *frame;	/* being sent */
	bool frame_active;
	enum send_step step;
	unsigned int rect;		/* STEP_RECTS, inline: the rectangle ... */
	uint32_t row;			/* ... and its next row */

	bool blank;			/* what the listener was last told */
	bool told_relative;		/* the PointerMode last signalled (absolute at first) */

	/* The surface, mapped for inline pixels. */
	const uint8_t *map;
	size_t map_len;
	uint32_t width, height, stride;
};

static void pump(struct dbus_display *dd);

static int call_timeout_ms = DBUS_DISPLAY_CALL_TIMEOUT_MS;

void dbus_display_set_call_timeout(int ms)
{
	call_timeout_ms = ms;
}

unsigned long dbus_display_calls(const struct dbus_display *dd)
{
	return dd->calls;
}

/* --- waking up on the main context -------------------------------------- */

static gboolean wake_dispatch(GSource *src, GSourceFunc cb, gpointer opaque)
{
	(void)cb;
	g_source_set_ready_time(src, -1);
	pump(opaque);
	return G_SOURCE_CONTINUE;
}

static GSourceFuncs wake_funcs = { NULL, NULL, wake_dispatch, NULL, NULL, NULL };

/* The display's wake(): any thread, display lock held; only marks the source. */
static void viewer_wake(void *opaque)
{
	struct dbus_display *dd = opaque;

	g_source_set_ready_time(dd->wake, 0);
}

static const struct display_viewer_ops viewer_ops = { viewer_wake };

/* --- calls to the listener ------------------------------------------------ */

static void unmap_surface(struct dbus_display *dd)
{
	if (dd->map)
		munmap((void *)dd->map, dd->map_len);
	dd->map = NULL;
	dd->map_len = 0;
}

/* Forgets the listener and what was being sent to it (a new one starts afresh). */
static void drop_listener(struct dbus_display *dd);

/*
 * The connection's output drained after a call timed out: the peer reads
 * again, the calls may go on.
 */
static void flushed(GObject *src, GAsyncResult *res, gpointer opaque)
{
	struct call_token *t = opaque;
	struct dbus_display *dd = t->dd;

	g_dbus_connection_flush_finish(G_DBUS_CONNECTION(src), res, NULL);
	g_free(t);
	if (!dd)
		return;
	dd->token = NULL;
	pump(dd);
}

static void call_done(GObject *src, GAsyncResult *res, gpointer opaque)
{
	struct call_token *t = opaque;
	struct dbus_display *dd = t->dd;
	GError *err = NULL;
	GVariant *ret;

	ret = g_dbus_connection_call_with_unix_fd_list_finish(G_DBUS_CONNECTION(src), NULL,
							      res, &err);
	g_free(t);
	if (ret)
		g_variant_unref(ret);
	if (!dd) {		/* freed, or the listener changed meanwhile */
		if (err)
			g_error_free(err);
		return;
	}
	dd->token = NULL;
	if (err) {
		/*
		 * A listener that is not there (any more) stops the calls; a
		 * timeout (a frozen viewer) or any other error does not: the
		 * next call brings it up to date, as merged damage.
		 */
		if (g_error_matches(err, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_OBJECT) ||
		    g_error_matches(err, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_METHOD) ||
		    g_error_matches(err, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_INTERFACE) ||
		    g_error_matches(err, G_IO_ERROR, G_IO_ERROR_CLOSED)) {
			drop_listener(dd);
		} else if (g_error_matches(err, G_IO_ERROR, G_IO_ERROR_TIMED_OUT)) {
			/*
			 * A peer that stopped reading: its unread calls still sit
			 * in GDBus's output queue, which a timeout does not empty.
			 * No new call until that queue has drained, or the
			 * queue would grow by one call (up to 4 MiB inline, or a
			 * surface's fd) per timeout for as long as it sleeps.
			 */
			struct call_token *ft = g_new0(struct call_token, 1);

			ft->dd = dd;
			dd->token = ft;
			g_error_free(err);
			g_dbus_connection_flush(dd->conn, NULL, flushed, ft);
			return;
		}
		g_error_free(err);
	}
	pump(dd);
}

/* Sends one call (takes `args`, floating, and `fds`); its reply comes to call_done(). */
static void call(struct dbus_display *dd, const char *method, GVariant *args,
		 GUnixFDList *fds)
{
	struct call_token *t = g_new0(struct call_token, 1);

	t->dd = dd;
	dd->token = t;
	dd->calls++;
	g_dbus_connection_call_with_unix_fd_list(dd->conn, NULL, dd->listener,
		VM_DBUS_LISTENER_IFACE, method, args, NULL, G_DBUS_CALL_FLAGS_NONE,
		call_timeout_ms, fds, NULL, call_done, t);
	if (fds)
		g_object_unref(fds);
}

static bool send_mode(struct dbus_display *dd)
{
	struct display_frame *f = dd->frame;
	GUnixFDList *fds;
	void *map;

	unmap_surface(dd);
	if (f->fd < 0) {
		dd->width = dd->height = 0;
		call(dd, "Disable", NULL, NULL);
		return true;
	}
	dd->width = f->width;
	dd->height = f->height;
	dd->stride = f->stride;
	if (dd->inline_mode) {
		map = mmap(NULL, f->size, PROT_READ, MAP_SHARED, f->fd, 0);
		close(f->fd);
		f->fd = -1;
		if (map == MAP_FAILED) {
			/* Nothing to read the pixels from: show nothing, not garbage. */
			dd->width = dd->height = 0;
			call(dd, "Disable", NULL, NULL);
			return true;
		}
		dd->map = map;
		dd->map_len = f->size;
		call(dd, "ScanoutInline", g_variant_new("(uuub)", f->width, f->height,
							f->format, f->blank), NULL);
		return true;
	}
	fds = g_unix_fd_list_new_from_array(&f->fd, 1);	/* takes the fd */
	f->fd = -1;
	call(dd, "Scanout", g_variant_new("(huuuub)", 0, f->width, f->height, f->stride,
					  f->format, f->blank), fds);
	return true;
}

static bool send_rects(struct dbus_display *dd)
{
	struct display_frame *f = dd->frame;
	GVariantBuilder b;
	unsigned int i;

	if (dd->rect >= f->nr_rects || !dd->width)
		return false;
	if (!dd->inline_mode) {
		g_variant_builder_init(&b, G_VARIANT_TYPE("a(uuuu)"));
		for (i = 0; i < f->nr_rects; i++)
			g_variant_builder_add(&b, "(uuuu)", f->rects[i].x, f->rects[i].y,
					      f->rects[i].w, f->rects[i].h);
		call(dd, "Update", g_variant_new("(a(uuuu))", &b), NULL);
		dd->rect = f->nr_rects;
		return true;
	}
	if (!dd->map) {		/* no surface to read the pixels from */
		dd->rect = f->nr_rects;
		return false;
	}
	while (dd->rect < f->nr_rects) {
		const struct display_rect *r = &f->rects[dd->rect];
		uint32_t rowlen, band, y;
		uint8_t *px;

		/* The display clips damage to the surface; check it against our map anyway. */
		if (!r->w || !r->h || r->x + (uint64_t)r->w > dd->width ||
		    r->y + (uint64_t)r->h > dd->height || dd->row >= r->h) {
			dd->rect++;
			dd->row = 0;
			continue;
		}
		rowlen = r->w * 4;
		band = DBUS_DISPLAY_INLINE_MAX / rowlen;
		if (!band)
			band = 1;
		if (band > r->h - dd->row)
			band = r->h - dd->row;
		px = g_malloc((size_t)rowlen * band);
		for (y = 0; y < band; y++)
			memcpy(px + (size_t)y * rowlen,
			       dd->map + (size_t)(r->y + dd->row + y) * dd->stride + (size_t)r->x * 4,
			       rowlen);
		call(dd, "UpdateInline", g_variant_new("(uuuu@ay)", r->x, r->y + dd->row, r->w, band,
			g_variant_new_from_data(G_VARIANT_TYPE("ay"), px, (size_t)rowlen * band,
						TRUE, g_free, px)), NULL);
		dd->row += band;
		if (dd->row >= r->h) {
			dd->rect++;
			dd->row = 0;
		}
		return true;
	}
	return false;
}

static void signal_pointer_mode(struct dbus_display *dd);

/* Sends the frame's next call; false when the frame is all sent. */
static bool send_next(struct dbus_display *dd)
{
	struct display_frame *f = dd->frame;
	uint8_t *px;
	size_t len;

	for (;;) {
		switch (dd->step) {
		case STEP_POINTER:
			dd->step = STEP_MODE;
			if (!f->pointer_changed || f->pointer_relative == dd->told_relative)
				break;
			dd->told_relative = f->pointer_relative;
			signal_pointer_mode(dd);
			return true;
		case STEP_MODE:
			dd->step = STEP_CURSOR_DEFINE;
			if (f->mode_changed && send_mode(dd)) {
				dd->blank = f->blank;
				return true;
			}
			/* Private mode came or went: the same surface, blanked or not. */
			if (f->blank != dd->blank && dd->width) {
				dd->blank = f->blank;
				call(dd, "Blank", g_variant_new("(b)", f->blank), NULL);
				return true;
			}
			break;
		case STEP_CURSOR_DEFINE:
			dd->step = STEP_CURSOR_MOVE;
			if (!f->cursor_changed)
				break;
			len = (size_t)f->cursor_w * f->cursor_h * 4;
			px = g_memdup2(f->cursor, len);
			call(dd, "CursorDefine", g_variant_new("(uuuu@ay)", f->cursor_w, f->cursor_h,
				f->cursor_hot_x, f->cursor_hot_y,
				g_variant_new_from_data(G_VARIANT_TYPE("ay"), px, len, TRUE,
							g_free, px)), NULL);
			return true;
		case STEP_CURSOR_MOVE:
			dd->step = STEP_RECTS;
			dd->rect = 0;
			dd->row = 0;
			if (!f->cursor_moved)
				break;
			call(dd, "CursorMove", g_variant_new("(iib)", f->cursor_x, f->cursor_y,
							     f->cursor_visible), NULL);
			return true;
		case STEP_RECTS:
			if (send_rects(dd))
				return true;
			dd->step = STEP_DONE;
			break;
		case STEP_DONE:
			return false;
		}
	}
}

static const char *pointer_mode_name(bool relative)
{
	return relative ? "relative" : "absolute";
}

/*
 * PropertiesChanged for PointerMode, sent by VM_DBUS_SENDER as every
 * signal of the VM is (vm/dbus.c: clients that match by sender take it).
 * A signal has no reply to wait for: the next call or signal waits for
 * the connection's output to drain instead (flushed()), so a guest that
 * flips its pointer driver as fast as it can queues at most one signal
 * to a peer that does not read, and the flips between drains merge in
 * the viewer's frame.
 */
static void signal_pointer_mode(struct dbus_display *dd)
{
	bool relative = dd->told_relative;
	struct call_token *t;
	GDBusMessage *msg = g_dbus_message_new_signal(VM_DBUS_PATH,
		"org.freedesktop.DBus.Properties", "PropertiesChanged");
	GVariantBuilder changed;

	g_variant_builder_init(&changed, G_VARIANT_TYPE("a{sv}"));
	g_variant_builder_add(&changed, "{sv}", "PointerMode",
			      g_variant_new_string(pointer_mode_name(relative)));
	g_dbus_message_set_sender(msg, VM_DBUS_SENDER);
	g_dbus_message_set_body(msg, g_variant_new("(sa{sv}as)", VM_DBUS_DISPLAY_IFACE,
						   &changed, NULL));
	g_dbus_connection_send_message(dd->conn, msg, G_DBUS_SEND_MESSAGE_FLAGS_NONE, NULL,
				       NULL);
	g_object_unref(msg);
	t = g_new0(struct call_token, 1);
	t->dd = dd;
	dd->token = t;
	dd->calls++;
	g_dbus_connection_flush(dd->conn, NULL, flushed, t);
}

/* Brings the listener up to date, one call at a time (main thread). */
static void pump(struct dbus_display *dd)
{
	int ret;

	while (dd->listener && !dd->token) {
		if (!dd->frame_active) {
			ret = display_viewer_poll(dd->v, dd->frame);
			if (ret < 0) {
				/*
				 * Out of fds or memory: the change stays pending but
				 * wake() is not re-armed, so try again in 100 ms.
				 */
				g_source_set_ready_time(dd->wake, g_get_monotonic_time() + 100000);
				return;
			}
			if (!ret)
				return;		/* nothing new */
			dd->polled = true;
			dd->frame_active = true;
			dd->step = STEP_POINTER;
		}
		if (send_next(dd))
			return;
		dd->frame_active = false;
	}
}

/* Forgets the frame being sent (its fd too) and the call in flight. */
static void drop_frame(struct dbus_display *dd)
{
	if (dd->token)
		dd->token->dd = NULL;
	dd->token = NULL;
	if (dd->frame_active && dd->frame->mode_changed && dd->frame->fd >= 0)
		close(dd->frame->fd);
	dd->frame_active = false;
}

static void drop_listener(struct dbus_display *dd)
{
	g_free(dd->listener);
	dd->listener = NULL;
	drop_frame(dd);
	unmap_surface(dd);
	dd->width = dd->height = 0;
	dd->blank = false;
}

/* --- org.vmain.Display1 --------------------------------------------------- */

static void return_err(GDBusMethodInvocation *inv, int err)
{
	switch (err) {
	case -EACCES:
		g_dbus_method_invocation_return_dbus_error(inv, VM_DBUS_ERROR_DENIED,
			"another viewer holds private mode");
		break;
	case -EPERM:
		g_dbus_method_invocation_return_dbus_error(inv, VM_DBUS_ERROR_DENIED,
			"only the VM's owner may take private mode");
		break;
	case -EBUSY:
		g_dbus_method_invocation_return_dbus_error(inv, VM_DBUS_ERROR_BUSY,
			"another viewer holds private mode");
		break;
	case -EALREADY:
		g_dbus_method_invocation_return_dbus_error(inv, VM_DBUS_ERROR_STATE,
			"this connection holds private mode already");
		break;
	case -ENODEV:
		g_dbus_method_invocation_return_dbus_error(inv, VM_DBUS_ERROR_NO_SCANOUT,
			"the guest shows nothing");
		break;
	case -EINVAL:
		g_dbus_method_invocation_return_dbus_error(inv, VM_DBUS_ERROR_INVALID_ARGS,
			"a value out of range");
		break;
	default:
		g_dbus_method_invocation_return_dbus_error(inv, VM_DBUS_ERROR_FAILED,
			strerror(-err));
		break;
	}
}

static void reply(GDBusMethodInvocation *inv, int ret)
{
	if (ret)
		return_err(inv, ret);
	else
		g_dbus_method_invocation_return_value(inv, NULL);
}

static void register_listener(struct dbus_display *dd, GVariant *params,
			      GDBusMethodInvocation *inv)
{
	const char *path;
	GVariant *opts;
	gboolean inl = FALSE;
	struct display_viewer *v;
	int ret;

	if (dd->listener) {
		g_dbus_method_invocation_return_dbus_error(inv, VM_DBUS_ERROR_BUSY,
			"this connection has a listener already");
		return;
	}
	g_variant_get(params, "(&o@a{sv})", &path, &opts);
	g_variant_lookup(opts, "inline", "b", &inl);
	g_variant_unref(opts);
	/*
	 * A viewer that gave frames to an earlier listener starts afresh, so
	 * the new one gets the whole screen; one holding private mode cannot
	 * be replaced without letting go of it.
	 */
	if (dd->polled) {
		if (dd->holds_private) {
			g_dbus_method_invocation_return_dbus_error(inv, VM_DBUS_ERROR_STATE,
				"release private mode before registering a new listener");
			return;
		}
		ret = display_viewer_new(dd->d, &viewer_ops, dd, dd->owner, &v);
		if (ret) {
			return_err(inv, ret);
			return;
		}
		display_viewer_free(dd->v);
		dd->v = v;
		dd->polled = false;
	}
	drop_listener(dd);	/* nothing of an earlier listener's frame goes to this one */
	dd->inline_mode = inl || !(g_dbus_connection_get_capabilities(dd->conn) &
				   G_DBUS_CAPABILITY_FLAGS_UNIX_FD_PASSING);
	dd->listener = g_strdup(path);
	g_dbus_method_invocation_return_value(inv, NULL);
	pump(dd);
}

static void get_scanout(struct dbus_display *dd, GDBusMethodInvocation *inv)
{
	struct display_frame *f = g_new0(struct display_frame, 1);
	struct display_viewer *v;
	GUnixFDList *fds;
	int ret;

	/*
	 * What the guest drew and its device has not shown yet (the VGA,
	 * which shows changes only while a viewer watches), then a viewer
	 * of its own, so this connection's listener loses no damage.
	 */
	display_refresh(dd->d);
	ret = display_viewer_new(dd->d, NULL, NULL, false, &v);
	if (!ret) {
		ret = display_viewer_poll(v, f);
		display_viewer_free(v);
	}
	if (ret >= 0 && (!f->mode_changed || f->fd < 0))
		ret = -ENODEV;
	if (ret < 0) {
		return_err(inv, ret);
		goto free_f;
	}
	fds = g_unix_fd_list_new_from_array(&f->fd, 1);	/* takes the fd */
	g_dbus_method_invocation_return_value_with_unix_fd_list(inv,
		g_variant_new("(huuuub)", 0, f->width, f->height, f->stride, f->format, f->blank),
		fds);
	g_object_unref(fds);
free_f:
	g_free(f);
}

static void display_method(GDBusConnection *conn, const gchar *sender, const gchar *path,
			   const gchar *iface, const gchar *method, GVariant *params,
			   GDBusMethodInvocation *inv, gpointer opaque)
{
	struct dbus_display *dd = opaque;
	guint32 a, b;
	gint32 i, j;
	gboolean down;

	(void)conn;
	(void)sender;
	(void)path;
	(void)iface;
	if (!strcmp(method, "RegisterListener")) {
		register_listener(dd, params, inv);
	} else if (!strcmp(method, "UnregisterListener")) {
		drop_listener(dd);
		g_dbus_method_invocation_return_value(inv, NULL);
	} else if (!strcmp(method, "GetScanout")) {
		get_scanout(dd, inv);
	} else if (!strcmp(method, "Key")) {
		g_variant_get(params, "(ub)", &a, &down);
		reply(inv, a && a <= KEY_MAX ? display_input_key(dd->v, (uint16_t)a, down)
					     : -EINVAL);
	} else if (!strcmp(method, "PointerMotion")) {
		g_variant_get(params, "(uu)", &a, &b);
		reply(inv, display_input_abs(dd->v, a, b));
	} else if (!strcmp(method, "PointerButtons")) {
		g_variant_get(params, "(u)", &a);
		reply(inv, a & ~DISPLAY_BUTTONS_ALL ? -EINVAL : display_input_buttons(dd->v, a));
	} else if (!strcmp(method, "Wheel")) {
		g_variant_get(params, "(ii)", &i, &j);
		reply(inv, display_input_wheel(dd->v, i, j));
	} else if (!strcmp(method, "RelativeMotion")) {
		g_variant_get(params, "(ii)", &i, &j);
		reply(inv, display_input_rel(dd->v, i, j));
	} else if (!strcmp(method, "SetPreferredSize")) {
		g_variant_get(params, "(uu)", &a, &b);
		reply(inv, display_request_size(dd->v, a, b));
	} else if (!strcmp(method, "AcquirePrivate")) {
		int ret = display_private_acquire(dd->v);

		dd->holds_private |= !ret;
		reply(inv, ret);
	} else if (!strcmp(method, "ReleasePrivate")) {
		int ret = display_private_release(dd->v);

		if (!ret)
			dd->holds_private = false;
		if (ret == -EINVAL)
			g_dbus_method_invocation_return_dbus_error(inv, VM_DBUS_ERROR_STATE,
				"this connection does not hold private mode");
		else
			reply(inv, ret);
	} else {
		g_dbus_method_invocation_return_dbus_error(inv, VM_DBUS_ERROR_FAILED,
							   "no such method");
	}
}

static GVariant *display_get_property(GDBusConnection *conn, const gchar *sender,
				      const gchar *path, const gchar *iface,
				      const gchar *prop, GError **err, gpointer opaque)
{
	struct dbus_display *dd = opaque;

	(void)conn;
	(void)sender;
	(void)path;
	(void)iface;
	if (!strcmp(prop, "PointerMode"))
		return g_variant_new_string(pointer_mode_name(display_pointer_relative(dd->d)));
	g_set_error(err, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_PROPERTY, "no property %s", prop);
	return NULL;
}

static const GDBusInterfaceVTable display_vtable = {
	display_method, display_get_property, NULL, { 0 }
};

struct dbus_display *dbus_display_new(struct display *d, GDBusConnection *conn,
				      const char *path, GDBusInterfaceInfo *iface,
				      bool owner, GError **err)
{
	struct dbus_display *dd = g_new0(struct dbus_display, 1);
	int ret;

	dd->d = d;
	dd->conn = conn;
	dd->owner = owner;
	dd->frame = g_new0(struct display_frame, 1);
	dd->wake = g_source_new(&wake_funcs, sizeof(GSource));
	g_source_set_callback(dd->wake, NULL, dd, NULL);
	g_source_attach(dd->wake, g_main_context_get_thread_default());
	ret = display_viewer_new(d, &viewer_ops, dd, owner, &dd->v);
	if (ret) {
		g_set_error(err, G_IO_ERROR, g_io_error_from_errno(-ret),
			    "display viewer: %s", strerror(-ret));
		goto destroy_wake;
	}
	dd->reg_id = g_dbus_connection_register_object(conn, path, iface, &display_vtable,
						       dd, NULL, err);
	if (!dd->reg_id)
		goto free_viewer;
	return dd;

free_viewer:
	display_viewer_free(dd->v);
destroy_wake:
	g_source_destroy(dd->wake);
	g_source_unref(dd->wake);
	g_free(dd->frame);
	g_free(dd);
	return NULL;
}

void dbus_display_free(struct dbus_display *dd)
{
	if (!dd)
		return;
	g_dbus_connection_unregister_object(dd->conn, dd->reg_id);
	display_viewer_free(dd->v);	/* no wake() after this */
	g_source_destroy(dd->wake);
	g_source_unref(dd->wake);
	drop_frame(dd);
	unmap_surface(dd);
	g_free(dd->listener);
	g_free(dd->frame);
	g_free(dd);
}
