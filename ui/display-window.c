// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ui/display-window.c - one VM's screen in a window (ui/display-window.h).
 *
 * The picture: the VM's surface (ui/vm.c) is scaled by ui/render.c into
 * an image of the drawing area's device pixels; each flush invalidates
 * only the window pixels it touches, and GTK's draw handler renders what
 * was flushed since the last frame and paints the image clipped to them.
 * Nothing here runs on a timer: an idle guest costs the app no wakeups.
 * Moving or resizing the window never holds the picture back: the VM's
 * calls are served by the main loop, which X11 window moves do not
 * block, and a resize only lays the same image out again.
 *
 * Keys and the pointer: ui/display-input.c.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "dialogs.h"
#include "display-priv.h"
#include "keymap.h"
#include "render.h"
#include "settings.h"
#include "vm.h"

#define FOLLOW_DEBOUNCE_MS	250

struct display_window_options display_window_options;

static GList *windows;

/* ---- messages ---------------------------------------------------------- */

/* Shown to the person (the error bar) and said on stderr (tests and logs). */
void show_error(struct dw *d, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	ui_error_bar_show(d->infobar, d->name, msg);
	g_free(msg);
}

static void set_message(struct dw *d, const char *text)
{
	gtk_label_set_text(GTK_LABEL(d->message), text ? text : "");
	gtk_widget_set_visible(d->message, text != NULL);
}

void update_subtitle(struct dw *d)
{
	const char *state = ui_vm_state(d->vm);
	char *sub;

	if (d->closed)
		sub = g_strdup("stopped");
	else if (d->grabbed)
		sub = g_strdup_printf("%s \u2014 pointer captured: Ctrl+Alt releases", state);
	else if (d->captured)
		sub = g_strdup_printf("%s \u2014 keyboard captured: Ctrl+Alt releases", state);
	else if (d->relative)
		sub = g_strdup_printf("%s \u2014 click to capture the pointer", state);
	else
		sub = g_strdup(state);
	gtk_header_bar_set_subtitle(GTK_HEADER_BAR(d->header), sub);
	g_free(sub);
}

static void update_controls(struct dw *d)
{
	const char *state = ui_vm_state(d->vm);
	bool live = !d->closed && ui_vm_is_connected(d->vm);
	bool running = live && !strcmp(state, "running");
	bool paused = live && !strcmp(state, "paused");

	gtk_button_set_label(GTK_BUTTON(d->pause_btn), paused ? "Resume" : "Pause");
	gtk_widget_set_sensitive(d->pause_btn, running || paused);
	gtk_widget_set_sensitive(d->power_btn, running);
	gtk_widget_set_sensitive(d->kill_btn, live);
	gtk_widget_set_sensitive(d->cad_btn, running && ui_vm_has_display(d->vm));
	gtk_widget_set_sensitive(d->private_btn, live && ui_vm_has_display(d->vm));
	gtk_widget_set_sensitive(d->shot_btn, ui_vm_screen(d->vm)->pixels != NULL);
	update_subtitle(d);
}

/* ---- the picture ------------------------------------------------------- */

int device_scale(struct dw *d)
{
	return gtk_widget_get_scale_factor(d->area);
}

static void clear_pending(struct dw *d)
{
	cairo_region_destroy(d->pending);
	d->pending = cairo_region_create();
}

static void relayout(struct dw *d)
{
	const struct ui_screen *s = ui_vm_screen(d->vm);
	int sf = device_scale(d);
	struct ui_layout l;

	ui_layout_compute(&l, s->pixels ? s->width : 0, s->pixels ? s->height : 0,
			  gtk_widget_get_allocated_width(d->area) * sf,
			  gtk_widget_get_allocated_height(d->area) * sf, d->scaling);
	/* Everything is drawn afresh: what was pending is in it. */
	clear_pending(d);
	if (ui_render_set_layout(&d->render, sf, &l))
		show_error(d, "out of memory for a %dx%d picture", l.area_w, l.area_h);
	gtk_widget_queue_draw(d->area);
}

static void render_pending(struct dw *d);

static void draw_cursor(struct dw *d, cairo_t *cr);

static gboolean on_draw(GtkWidget *w, cairo_t *cr, gpointer opaque)
{
	struct dw *d = opaque;

	(void)w;
	d->draws++;
	render_pending(d);
	if (!d->render.surface) {
		cairo_set_source_rgb(cr, 0, 0, 0);
		cairo_paint(cr);
		return TRUE;
	}
	/* The image is in device pixels: painted unfiltered, pixel for pixel. */
	cairo_set_source_surface(cr, d->render.surface, 0, 0);
	cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_NEAREST);
	cairo_set_operator(cr, CAIRO_OPERATOR_SOURCE);
	cairo_paint(cr);
	draw_cursor(d, cr);
	return TRUE;
}

/* The window's first size, when none was saved: the guest at 1:1 if it fits. */
static void size_to_guest(struct dw *d, const struct ui_screen *s)
{
	GdkMonitor *mon;
	GdkRectangle wa;
	int sf = device_scale(d), extra, w, h;

	d->sized = true;
	mon = gdk_display_get_monitor_at_window(gtk_widget_get_display(d->window),
						 gtk_widget_get_window(d->window));
	if (!mon)
		return;
	gdk_monitor_get_workarea(mon, &wa);
	/* The window's size less the screen's: the header bar and any info bar. */
	gtk_window_get_size(GTK_WINDOW(d->window), &w, &h);
	extra = h - gtk_widget_get_allocated_height(d->area);
	w = (int)(s->width + sf - 1) / sf;
	h = (int)(s->height + sf - 1) / sf;
	if (w <= wa.width && h + extra <= wa.height)
		gtk_window_resize(GTK_WINDOW(d->window), w, h + extra);
}

static void ev_scanout(void *opaque, const struct ui_screen *s)
{
	struct dw *d = opaque;
	int ret;

	d->scanouts++;
	ret = ui_render_set_screen(&d->render, s);
	if (ret == -ENOTSUP)
		show_error(d, "the guest's pixel format %.4s is not supported",
			   (const char *)&s->format);
	else if (ret)
		show_error(d, "the guest's screen: %s", g_strerror(-ret));
	if (!s->pixels)
		set_message(d, "The guest shows nothing on its screen.");
	else
		set_message(d, NULL);
	if (s->pixels && !d->sized && d->scaling != UI_SCALING_FOLLOW)
		size_to_guest(d, s);
	relayout(d);
	update_controls(d);
}

/*
 * A flush is only noted here: the pixels are scaled when GTK draws, once a
 * frame of the display's clock, whatever number of flushes came since.  A
 * guest flushing 600 times a second costs 60 renders, not 600.
 */
static void ev_update(void *opaque, uint32_t x, uint32_t y, uint32_t w, uint32_t h)
{
	struct dw *d = opaque;
	cairo_rectangle_int_t g = { (int)x, (int)y, (int)w, (int)h };
	struct ui_rect out, lg;

	if (!ui_layout_guest_to_area(&d->render.layout, &(struct ui_rect){ g.x, g.y, g.width,
				     g.height }, &out))
		return;
	cairo_region_union_rectangle(d->pending, &g);
	ui_rect_to_logical(&out, device_scale(d), &lg);
	gtk_widget_queue_draw_area(d->area, lg.x, lg.y, lg.w, lg.h);
}

/* The flushes since the last frame, scaled into the picture now. */
static void render_pending(struct dw *d)
{
	int n = cairo_region_num_rectangles(d->pending);
	cairo_rectangle_int_t g;
	struct ui_rect out;

	for (int i = 0; i < n; i++) {
		cairo_region_get_rectangle(d->pending, i, &g);
		ui_render_update(&d->render, &(struct ui_rect){ g.x, g.y, g.width, g.height },
				 &out);
	}
	clear_pending(d);
}

/* ---- the cursor -------------------------------------------------------- */

/*
 * While the pointer is grabbed (relative mode) the host's pointer is
 * hidden and held still, so the guest's cursor is drawn over the picture
 * where the guest puts it (still a plane of its own: no guest pixel is
 * redrawn for it).  Its rectangle in the widget's coordinates:
 */
static bool cursor_rect(struct dw *d, GdkRectangle *r)
{
	const struct ui_layout *l = &d->render.layout;
	double k = l->scale / device_scale(d);	/* widget units per guest pixel */

	double x, y;

	if (!d->cursor_img || !d->cursor_visible || l->scale <= 0)
		return false;
	/* The guest's position is any int32: in double, and kept near the widget. */
	x = (l->dst.x + ((double)d->cursor_x - d->cursor_hx) * l->scale) / device_scale(d);
	y = (l->dst.y + ((double)d->cursor_y - d->cursor_hy) * l->scale) / device_scale(d);
	r->x = (int)floor(CLAMP(x, -65536.0, 65536.0));
	r->y = (int)floor(CLAMP(y, -65536.0, 65536.0));
	r->width = (int)ceil(cairo_image_surface_get_width(d->cursor_img) * k) + 2;
	r->height = (int)ceil(cairo_image_surface_get_height(d->cursor_img) * k) + 2;
	return true;
}

static void queue_cursor_draw(struct dw *d)
{
	GdkRectangle r;

	if (cursor_rect(d, &r))
		gtk_widget_queue_draw_area(d->area, r.x, r.y, r.width, r.height);
}

static void draw_cursor(struct dw *d, cairo_t *cr)
{
	GdkRectangle r;
	double k = d->render.layout.scale / device_scale(d);

	if (!d->grabbed || !cursor_rect(d, &r))
		return;
	cairo_save(cr);
	cairo_translate(cr, r.x, r.y);
	cairo_scale(cr, k, k);
	cairo_set_source_surface(cr, d->cursor_img, 0, 0);
	cairo_set_operator(cr, CAIRO_OPERATOR_OVER);
	cairo_paint(cr);
	cairo_restore(cr);
}

static void apply_cursor(struct dw *d)
{
	GdkWindow *win = gtk_widget_get_window(d->area);
	GdkCursor *c = NULL;

	if (!win)
		return;
	if (d->cursor && d->cursor_visible)
		c = d->cursor;
	else if (d->cursor)
		c = gdk_cursor_new_from_name(gtk_widget_get_display(d->area), "none");
	gdk_window_set_cursor(win, c);
	if (c && c != d->cursor)
		g_object_unref(c);
}

static void ev_cursor_define(void *opaque, uint32_t w, uint32_t h, uint32_t hx, uint32_t hy,
			     const uint32_t *argb)
{
	struct dw *d = opaque;
	cairo_surface_t *img;
	uint32_t *px;
	int stride;

	g_clear_object(&d->cursor);
	if (d->cursor_img)
		cairo_surface_destroy(d->cursor_img);
	d->cursor_img = NULL;
	if (w && h) {
		/* The guest's cursor plane becomes the host's pointer image: no frame redraws. */
		img = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, (int)w, (int)h);
		stride = cairo_image_surface_get_stride(img);
		px = (uint32_t *)cairo_image_surface_get_data(img);
		for (uint32_t y = 0; y < h; y++)
			memcpy((uint8_t *)px + (size_t)y * stride, argb + (size_t)y * w, w * 4);
		cairo_surface_mark_dirty(img);
		d->cursor = gdk_cursor_new_from_surface(gtk_widget_get_display(d->area), img, hx, hy);
		/* Kept for the relative grab, when we draw it ourselves. */
		d->cursor_img = img;
		d->cursor_hx = (int)hx;
		d->cursor_hy = (int)hy;
		d->cursor_visible = true;
	}
	apply_cursor(d);
	if (d->grabbed)
		queue_cursor_draw(d);
}

static void ev_cursor_move(void *opaque, int32_t x, int32_t y, bool visible)
{
	struct dw *d = opaque;

	if (d->grabbed)
		queue_cursor_draw(d);	/* where it was */
	d->cursor_x = x;
	d->cursor_y = y;
	if (visible != d->cursor_visible) {
		d->cursor_visible = visible;
		apply_cursor(d);
	}
	if (d->grabbed)
		queue_cursor_draw(d);	/* where it is */
}

static void ev_pointer_mode(void *opaque, bool relative)
{
	display_input_pointer_mode(opaque, relative);
}

/* ---- the connection ---------------------------------------------------- */

static void ev_state(void *opaque, const char *state)
{
	struct dw *d = opaque;

	(void)state;
	update_controls(d);
}

/* ---- attaching again --------------------------------------------------- */

/*
 * A window outlives its VM's process: when the VM stops (vmain stop, vmain
 * save, a crash) or was not running when the window opened, the window
 * waits for a process to serve the socket again (vmain start, a restore)
 * and attaches to it, the screen coming back as the guest draws.  The
 * socket's directory is watched (inotify through GFileMonitor): nothing
 * polls.  A socket appears when the new process binds it, a moment before
 * it listens, so a refused connection is tried again, a few times.
 */
#define REATTACH_TRIES		20
#define REATTACH_RETRY_MS	100

static const struct ui_vm_events vm_events;

static gboolean reattach_now(gpointer opaque)
{
	struct dw *d = opaque;

	d->reattach_timer = 0;
	if (!d->closed)
		return G_SOURCE_REMOVE;
	ui_vm_free(d->vm);
	d->closed = false;
	d->relative = false;	/* a new connection is told the mode afresh */
	set_message(d, "Attaching to the VM\u2026");
	d->vm = ui_vm_connect(d->socket, &vm_events, d);
	update_controls(d);
	return G_SOURCE_REMOVE;
}

static void reattach_later(struct dw *d, unsigned int ms)
{
	if (!d->reattach_timer)
		d->reattach_timer = g_timeout_add(ms, reattach_now, d);
}

static void on_socket_dir(GFileMonitor *mon, GFile *file, GFile *other,
			  GFileMonitorEvent event, gpointer opaque)
{
	struct dw *d = opaque;
	char *base, *want;

	(void)mon;
	(void)other;
	if (!d->closed || event != G_FILE_MONITOR_EVENT_CREATED)
		return;
	base = g_file_get_basename(file);
	want = g_path_get_basename(d->socket);
	if (!g_strcmp0(base, want)) {
		d->reattach_tries = 1;	/* the first try of up to REATTACH_TRIES */
		reattach_later(d, 0);
	}
	g_free(base);
	g_free(want);
}

/* From the first time the VM is not there until the window closes. */
static void watch_socket(struct dw *d)
{
	GFile *sock, *dir;

	if (d->watch)
		return;
	sock = g_file_new_for_path(d->socket);
	dir = g_file_get_parent(sock);
	if (dir)
		d->watch = g_file_monitor_directory(dir, G_FILE_MONITOR_NONE, NULL, NULL);
	if (d->watch)
		g_signal_connect(d->watch, "changed", G_CALLBACK(on_socket_dir), d);
	g_clear_object(&dir);
	g_object_unref(sock);
}

static void ev_connected(void *opaque, const GError *err)
{
	struct dw *d = opaque;
	int ret;

	if (err) {
		d->closed = true;
		watch_socket(d);
		/* A socket that just appeared may not listen yet. */
		if (d->reattach_tries && d->reattach_tries < REATTACH_TRIES) {
			d->reattach_tries++;
			reattach_later(d, REATTACH_RETRY_MS);
			return;
		}
		show_error(d, "cannot connect to %s: %s", d->socket, err->message);
		set_message(d, "Not connected: waiting for the VM to start.");
		update_controls(d);
		d->reattach_tries = 0;
		return;
	}
	d->reattach_tries = 0;
	gtk_info_bar_set_revealed(GTK_INFO_BAR(d->infobar), FALSE);
	gtk_widget_hide(d->infobar);
	/* Recent VMs are those we reached, not every name typed. */
	if (d->settings)
		ui_settings_add_recent(d->settings, d->name);
	ret = ui_vm_listen(d->vm, display_window_options.inline_pixels);
	if (ret == -ENODEV) {
		show_error(d, "the VM has no screen (it was made without --display)");
		set_message(d, "This VM has no screen.");
	} else if (ret) {
		show_error(d, "cannot watch the screen: %s", g_strerror(-ret));
	} else {
		set_message(d, "Waiting for the guest's screen\u2026");
	}
	update_controls(d);
}

static void ev_closed(void *opaque, const char *why)
{
	struct dw *d = opaque;

	d->closed = true;
	display_input_forget(d);
	show_error(d, "the VM has stopped or gone away (%s)", why);
	watch_socket(d);
	update_controls(d);
}

static const struct ui_vm_events vm_events = {
	.state = ev_state,
	.connected = ev_connected,
	.closed = ev_closed,
	.scanout = ev_scanout,
	.update = ev_update,
	.cursor_define = ev_cursor_define,
	.cursor_move = ev_cursor_move,
	.pointer_mode = ev_pointer_mode,
};

static void call_done(void *opaque, const GError *err)
{
	struct dw *d = opaque;

	if (err)
		show_error(d, "%s", err->message);
}

static void vm_call(struct dw *d, const char *iface, const char *method, GVariant *args)
{
	ui_vm_call(d->vm, iface, method, args, call_done, d);
}

void toggle_fullscreen(struct dw *d)
{
	if (d->fullscreen)
		gtk_window_unfullscreen(GTK_WINDOW(d->window));
	else
		gtk_window_fullscreen(GTK_WINDOW(d->window));
}

/* ---- follow mode, geometry --------------------------------------------- */

static gboolean follow_now(gpointer opaque)
{
	struct dw *d = opaque;
	int sf = device_scale(d);
	uint32_t w, h;

	d->follow_timer = 0;
	if (d->scaling != UI_SCALING_FOLLOW || d->closed || !ui_vm_has_display(d->vm))
		return G_SOURCE_REMOVE;
	ui_follow_size(gtk_widget_get_allocated_width(d->area) * sf,
		       gtk_widget_get_allocated_height(d->area) * sf, &w, &h);
	if (w == d->follow_w && h == d->follow_h)
		return G_SOURCE_REMOVE;
	d->follow_w = w;
	d->follow_h = h;
	vm_call(d, "org.vmain.Display1", "SetPreferredSize", g_variant_new("(uu)", w, h));
	return G_SOURCE_REMOVE;
}

static void follow_later(struct dw *d)
{
	if (d->scaling != UI_SCALING_FOLLOW)
		return;
	/* A drag resizes on every motion: the guest is asked once it settles. */
	if (d->follow_timer)
		g_source_remove(d->follow_timer);
	d->follow_timer = g_timeout_add(FOLLOW_DEBOUNCE_MS, follow_now, d);
}

static void on_size_allocate(GtkWidget *w, GdkRectangle *a, gpointer opaque)
{
	struct dw *d = opaque;

	(void)w;
	(void)a;
	relayout(d);
	follow_later(d);
}

static gboolean on_configure(GtkWidget *w, GdkEventConfigure *ev, gpointer opaque)
{
	struct dw *d = opaque;
	int width, height;

	(void)ev;
	if (!d->settings || d->fullscreen || gtk_window_is_maximized(GTK_WINDOW(w)))
		return FALSE;
	/*
	 * ui/settings.c writes these at most once a second of quiet.  The
	 * size only: where a window goes is the window manager's to choose
	 * (and GTK's position of a window with client-side decorations is
	 * off by their border, so restoring it made windows creep).
	 */
	gtk_window_get_size(GTK_WINDOW(w), &width, &height);
	ui_settings_set_int(d->settings, d->group, "width", width);
	ui_settings_set_int(d->settings, d->group, "height", height);
	return FALSE;
}

static gboolean on_window_state(GtkWidget *w, GdkEventWindowState *ev, gpointer opaque)
{
	struct dw *d = opaque;

	(void)w;
	d->fullscreen = ev->new_window_state & GDK_WINDOW_STATE_FULLSCREEN;
	gtk_widget_set_visible(d->header, !d->fullscreen);
	if (d->settings)
		ui_settings_set_int(d->settings, d->group, "maximized",
				    !!(ev->new_window_state & GDK_WINDOW_STATE_MAXIMIZED));
	return FALSE;
}

/* ---- the header bar's buttons ------------------------------------------ */

static void on_pause(GtkButton *b, gpointer opaque)
{
	struct dw *d = opaque;

	(void)b;
	vm_call(d, "org.vmain.VM1", !strcmp(ui_vm_state(d->vm), "paused") ? "Resume" : "Pause",
		NULL);
}

static void on_power(GtkButton *b, gpointer opaque)
{
	(void)b;
	vm_call(opaque, "org.vmain.VM1", "PowerButton", NULL);
}

static void on_kill(GtkButton *b, gpointer opaque)
{
	struct dw *d = opaque;

	(void)b;
	if (ui_confirm(GTK_WINDOW(d->window), "Stop the VM?",
		       "This pulls the plug: the guest does not shut down, and what it has not "
		       "written to its disks is lost.  Use Power to let it shut down.",
		       "_Stop now"))
		vm_call(d, "org.vmain.VM1", "Kill", NULL);
}

static void on_cad(GtkButton *b, gpointer opaque)
{
	struct dw *d = opaque;
	static const unsigned int keys[] = { KEY_LEFTCTRL, KEY_LEFTALT, KEY_DELETE };

	(void)b;
	gtk_popover_popdown(GTK_POPOVER(d->popover));
	for (unsigned int i = 0; i < 3; i++)
		display_input_key(d, keys[i], true);
	for (unsigned int i = 3; i-- > 0;)
		display_input_key(d, keys[i], false);
}

/* The guest's own pixels as a PNG, whatever the window's scale. */
static int save_png(struct dw *d, const char *path, char **why)
{
	const struct ui_screen *s = ui_vm_screen(d->vm);
	pixman_format_code_t f = ui_render_format(s->format);
	pixman_image_t *src, *dst;
	cairo_surface_t *img;
	cairo_status_t st;

	if (!s->pixels || !f) {
		*why = g_strdup("no screen to save");
		return -ENODATA;
	}
	img = cairo_image_surface_create(CAIRO_FORMAT_RGB24, (int)s->width, (int)s->height);
	if (cairo_surface_status(img)) {
		cairo_surface_destroy(img);
		*why = g_strdup("out of memory");
		return -ENOMEM;
	}
	src = pixman_image_create_bits(f, (int)s->width, (int)s->height,
				       (uint32_t *)(uintptr_t)s->pixels, (int)s->stride);
	dst = pixman_image_create_bits(PIXMAN_x8r8g8b8, (int)s->width, (int)s->height,
				       (uint32_t *)cairo_image_surface_get_data(img),
				       cairo_image_surface_get_stride(img));
	if (!src || !dst) {
		if (src)
			pixman_image_unref(src);
		if (dst)
			pixman_image_unref(dst);
		cairo_surface_destroy(img);
		*why = g_strdup("the screen's layout cannot be read");
		return -EINVAL;
	}
	if (!s->blank)
		pixman_image_composite32(PIXMAN_OP_SRC, src, NULL, dst, 0, 0, 0, 0, 0, 0,
					 (int)s->width, (int)s->height);
	pixman_image_unref(src);
	pixman_image_unref(dst);
	cairo_surface_mark_dirty(img);
	st = cairo_surface_write_to_png(img, path);
	cairo_surface_destroy(img);
	if (st != CAIRO_STATUS_SUCCESS) {
		*why = g_strdup(cairo_status_to_string(st));
		return -EIO;
	}
	return 0;
}

static void on_shot(GtkButton *b, gpointer opaque)
{
	struct dw *d = opaque;
	char *path, *why = NULL;

	(void)b;
	gtk_popover_popdown(GTK_POPOVER(d->popover));
	path = ui_ask_screenshot_path(GTK_WINDOW(d->window), d->name);
	if (path && save_png(d, path, &why))
		show_error(d, "cannot save %s: %s", path, why);
	g_free(why);
	g_free(path);
}

static void on_full(GtkButton *b, gpointer opaque)
{
	struct dw *d = opaque;

	(void)b;
	gtk_popover_popdown(GTK_POPOVER(d->popover));
	toggle_fullscreen(d);
}

static void private_done(void *opaque, const GError *err)
{
	struct dw *d = opaque;

	if (!err)
		return;
	show_error(d, "private mode: %s", err->message);
	/* Put the toggle back as it was, without calling the VM again. */
	d->private_busy = true;
	gtk_toggle_button_set_active(GTK_TOGGLE_BUTTON(d->private_btn),
		!gtk_toggle_button_get_active(GTK_TOGGLE_BUTTON(d->private_btn)));
	d->private_busy = false;
}

static void on_private(GtkToggleButton *b, gpointer opaque)
{
	struct dw *d = opaque;

	if (d->private_busy)
		return;
	gtk_popover_popdown(GTK_POPOVER(d->popover));
	ui_vm_call(d->vm, "org.vmain.Display1",
		   gtk_toggle_button_get_active(b) ? "AcquirePrivate" : "ReleasePrivate", NULL,
		   private_done, d);
}

static void set_scaling(struct dw *d, enum ui_scaling s)
{
	d->scaling = s;
	if (d->settings)
		ui_settings_set_string(d->settings, d->group, "scaling", ui_scaling_name(s));
	d->follow_w = d->follow_h = 0;
	relayout(d);
	if (s == UI_SCALING_FOLLOW)
		follow_later(d);
}

static void on_scaling(GtkComboBox *c, gpointer opaque)
{
	enum ui_scaling s;

	if (!ui_scaling_parse(gtk_combo_box_get_active_id(c), &s))
		set_scaling(opaque, s);
}

static void on_realize(GtkWidget *w, gpointer opaque)
{
	struct dw *d = opaque;

	(void)w;
	d->keycodes = ui_keymap_detect(gtk_widget_get_display(d->area));
	apply_cursor(d);
}

static void on_destroy(GtkWidget *w, gpointer opaque)
{
	struct dw *d = opaque;

	(void)w;
	windows = g_list_remove(windows, d);
	if (d->follow_timer)
		g_source_remove(d->follow_timer);
	if (d->reattach_timer)
		g_source_remove(d->reattach_timer);
	if (d->watch) {
		g_signal_handlers_disconnect_by_data(d->watch, d);
		g_file_monitor_cancel(d->watch);
		g_object_unref(d->watch);
	}
	/* Letting go of the connection detaches; the VM runs on. */
	ui_vm_free(d->vm);
	ui_render_fini(&d->render);
	cairo_region_destroy(d->pending);
	g_clear_object(&d->cursor);
	if (d->cursor_img)
		cairo_surface_destroy(d->cursor_img);
	g_free(d->name);
	g_free(d->socket);
	g_free(d->group);
	g_free(d);
}

/* ---- building the window ---------------------------------------------- */

static GtkWidget *new_button(struct dw *d, const char *label, const char *name,
			     const char *tip, GCallback cb)
{
	GtkWidget *b = gtk_button_new_with_mnemonic(label);

	gtk_widget_set_name(b, name);
	gtk_widget_set_tooltip_text(b, tip);
	/* Clicking a button must not take the keyboard from the guest's screen. */
	gtk_widget_set_focus_on_click(b, FALSE);
	g_signal_connect(b, "clicked", cb, d);
	return b;
}

/* What is used less goes in a menu: the header bar stays narrow enough for small windows. */
static GtkWidget *build_menu(struct dw *d)
{
	GtkWidget *menu = gtk_menu_button_new(), *pop = gtk_popover_new(menu);

	d->popover = pop;
	GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 2);

	gtk_widget_set_name(menu, "menu");
	gtk_widget_set_tooltip_text(menu, "More");
	gtk_widget_set_focus_on_click(menu, FALSE);
	gtk_button_set_image(GTK_BUTTON(menu),
			     gtk_image_new_from_icon_name("open-menu-symbolic", GTK_ICON_SIZE_BUTTON));
	gtk_container_set_border_width(GTK_CONTAINER(box), 6);
	d->cad_btn = new_button(d, "Send Ctrl+Alt+_Del", "ctrl-alt-del",
				"Send Ctrl+Alt+Del to the guest", G_CALLBACK(on_cad));
	d->shot_btn = new_button(d, "_Screenshot…", "screenshot",
				 "Save the guest's screen as a PNG", G_CALLBACK(on_shot));
	d->full_btn = new_button(d, "_Full screen", "fullscreen",
				 "Full screen (Ctrl+Alt+F toggles)", G_CALLBACK(on_full));
	d->private_btn = gtk_check_button_new_with_mnemonic("_Private mode");
	gtk_widget_set_name(d->private_btn, "private");
	gtk_widget_set_tooltip_text(d->private_btn,
		"Only this window sees the screen; other viewers and VNC see black");
	gtk_widget_set_focus_on_click(d->private_btn, FALSE);
	g_signal_connect(d->private_btn, "toggled", G_CALLBACK(on_private), d);
	for (GtkWidget **w = (GtkWidget *[]){ d->cad_btn, d->shot_btn, d->full_btn, NULL }; *w; w++) {
		gtk_button_set_relief(GTK_BUTTON(*w), GTK_RELIEF_NONE);
		gtk_widget_set_halign(gtk_bin_get_child(GTK_BIN(*w)), GTK_ALIGN_START);
		gtk_box_pack_start(GTK_BOX(box), *w, FALSE, FALSE, 0);
	}
	gtk_box_pack_start(GTK_BOX(box), d->private_btn, FALSE, FALSE, 0);
	gtk_widget_show_all(box);
	gtk_container_add(GTK_CONTAINER(pop), box);
	gtk_menu_button_set_popover(GTK_MENU_BUTTON(menu), pop);
	return menu;
}

static void build_header(struct dw *d)
{
	GtkHeaderBar *hb;

	d->header = gtk_header_bar_new();
	hb = GTK_HEADER_BAR(d->header);
	gtk_header_bar_set_show_close_button(hb, TRUE);
	gtk_header_bar_set_title(hb, d->name);
	gtk_window_set_titlebar(GTK_WINDOW(d->window), d->header);

	d->pause_btn = new_button(d, "Pause", "pause", "Pause or resume the VM",
				  G_CALLBACK(on_pause));
	d->power_btn = new_button(d, "Power", "power",
				  "Press the VM's power button: the guest shuts down",
				  G_CALLBACK(on_power));
	d->kill_btn = new_button(d, "Stop", "kill", "Stop the VM at once (asks first)",
				 G_CALLBACK(on_kill));
	gtk_header_bar_pack_start(hb, d->pause_btn);
	gtk_header_bar_pack_start(hb, d->power_btn);
	gtk_header_bar_pack_start(hb, d->kill_btn);
	gtk_header_bar_pack_end(hb, build_menu(d));

	d->scaling_combo = gtk_combo_box_text_new();
	gtk_widget_set_name(d->scaling_combo, "scaling");
	gtk_widget_set_tooltip_text(d->scaling_combo,
		"Fit: as large as the window allows; 1:1: a guest pixel is a screen pixel; "
		"Follow: the guest takes the window's size");
	gtk_combo_box_text_append(GTK_COMBO_BOX_TEXT(d->scaling_combo), "fit", "Fit");
	gtk_combo_box_text_append(GTK_COMBO_BOX_TEXT(d->scaling_combo), "1:1", "1:1");
	gtk_combo_box_text_append(GTK_COMBO_BOX_TEXT(d->scaling_combo), "follow", "Follow");
	gtk_combo_box_set_active_id(GTK_COMBO_BOX(d->scaling_combo), ui_scaling_name(d->scaling));
	gtk_widget_set_focus_on_click(d->scaling_combo, FALSE);
	g_signal_connect(d->scaling_combo, "changed", G_CALLBACK(on_scaling), d);
	gtk_header_bar_pack_end(hb, d->scaling_combo);
}

static void build_body(struct dw *d)
{
	GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 0);

	d->infobar = ui_error_bar_new();
	gtk_box_pack_start(GTK_BOX(box), d->infobar, FALSE, FALSE, 0);

	d->area = gtk_drawing_area_new();
	gtk_widget_set_name(d->area, "screen");
	gtk_widget_set_can_focus(d->area, TRUE);
	gtk_widget_set_size_request(d->area, 160, 120);
	gtk_widget_add_events(d->area, GDK_KEY_PRESS_MASK | GDK_KEY_RELEASE_MASK |
				       GDK_BUTTON_PRESS_MASK | GDK_BUTTON_RELEASE_MASK |
				       GDK_POINTER_MOTION_MASK | GDK_SCROLL_MASK |
				       GDK_SMOOTH_SCROLL_MASK | GDK_FOCUS_CHANGE_MASK);
	g_signal_connect(d->area, "draw", G_CALLBACK(on_draw), d);
	g_signal_connect(d->area, "size-allocate", G_CALLBACK(on_size_allocate), d);
	display_input_attach(d);
	g_signal_connect(d->area, "realize", G_CALLBACK(on_realize), d);

	/* A message over the screen while there is none to show. */
	d->overlay = gtk_overlay_new();
	gtk_container_add(GTK_CONTAINER(d->overlay), d->area);
	d->message = gtk_label_new("Connecting\u2026");
	gtk_widget_set_name(d->message, "message");
	gtk_widget_set_no_show_all(d->message, TRUE);
	gtk_widget_show(d->message);
	gtk_widget_set_halign(d->message, GTK_ALIGN_CENTER);
	gtk_widget_set_valign(d->message, GTK_ALIGN_CENTER);
	/* Clicks go through to the screen. */
	gtk_overlay_add_overlay(GTK_OVERLAY(d->overlay), d->message);
	gtk_overlay_set_overlay_pass_through(GTK_OVERLAY(d->overlay), d->message, TRUE);
	gtk_box_pack_start(GTK_BOX(box), d->overlay, TRUE, TRUE, 0);
	gtk_container_add(GTK_CONTAINER(d->window), box);
}

static void restore_geometry(struct dw *d)
{
	int w = -1, h = -1;
	GdkMonitor *mon;
	GdkRectangle wa;
	char *s;

	if (d->settings) {
		w = ui_settings_get_int(d->settings, d->group, "width", -1);
		h = ui_settings_get_int(d->settings, d->group, "height", -1);
		if (ui_settings_get_int(d->settings, d->group, "maximized", 0))
			gtk_window_maximize(GTK_WINDOW(d->window));
		s = ui_settings_get_string(d->settings, d->group, "scaling");
		if (s && !display_window_options.scaling_set)
			ui_scaling_parse(s, &d->scaling);
		g_free(s);
		/* A mode given on the command line is the person's choice too. */
		ui_settings_set_string(d->settings, d->group, "scaling",
				       ui_scaling_name(d->scaling));
	}
	/*
	 * A size saved on a larger screen, or at another GDK_SCALE, is cut to
	 * this one's work area: a window larger than the screen hides its
	 * middle.  Nonsense from a damaged file is ignored.
	 */
	mon = gdk_display_get_primary_monitor(gdk_display_get_default());
	if (!mon)
		mon = gdk_display_get_monitor(gdk_display_get_default(), 0);
	if (mon) {
		gdk_monitor_get_workarea(mon, &wa);
		w = MIN(w, wa.width);
		h = MIN(h, wa.height);
	}
	if (w >= 160 && h >= 120 && w <= 16384 && h <= 16384) {
		gtk_window_set_default_size(GTK_WINDOW(d->window), w, h);
		d->sized = true;
	} else {
		gtk_window_set_default_size(GTK_WINDOW(d->window), 1024, 800);
	}
}

GtkWindow *display_window_open(GtkApplication *app, const char *name, const char *socket_path,
			       struct ui_settings *settings)
{
	struct dw *d = g_new0(struct dw, 1);

	d->name = g_strdup(name);
	d->socket = g_strdup(socket_path);
	/* A key file's group name cannot hold '[' or ']' (a --socket's name may). */
	d->group = g_strdup_printf("vm %s", name);
	g_strdelimit(d->group, "[]", '_');
	d->settings = settings;
	d->scaling = display_window_options.scaling_set ? display_window_options.scaling :
		     UI_SCALING_FIT;
	ui_render_init(&d->render);
	d->pending = cairo_region_create();
	d->window = gtk_application_window_new(app);
	gtk_widget_set_name(d->window, "display-window");
	gtk_window_set_title(GTK_WINDOW(d->window), name);
	restore_geometry(d);
	build_header(d);
	build_body(d);
	g_signal_connect(d->window, "configure-event", G_CALLBACK(on_configure), d);
	g_signal_connect(d->window, "window-state-event", G_CALLBACK(on_window_state), d);
	g_signal_connect(d->window, "destroy", G_CALLBACK(on_destroy), d);
	windows = g_list_append(windows, d);
	d->vm = ui_vm_connect(socket_path, &vm_events, d);
	update_controls(d);
	gtk_widget_show_all(d->window);
	gtk_widget_grab_focus(d->area);
	return GTK_WINDOW(d->window);
}

void display_window_stats(GString *out)
{
	for (GList *l = windows; l; l = l->next) {
		struct dw *d = l->data;
		const struct ui_layout *lay = &d->render.layout;

		g_string_append_printf(out, "display %s updates=%" G_GUINT64_FORMAT
				       " draws=%" G_GUINT64_FORMAT " scanouts=%" G_GUINT64_FORMAT
				       " scale=%.3f mode=%s %ux%u captured=%d area=%dx%d"
				       " pointer=%s grabbed=%d\n",
				       d->name, ui_vm_frames(d->vm), d->draws, d->scanouts,
				       lay->scale, ui_scaling_name(d->scaling), lay->guest_w,
				       lay->guest_h, d->captured, lay->area_w, lay->area_h,
				       d->relative ? "relative" : "absolute", d->grabbed);
	}
}
