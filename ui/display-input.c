// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ui/display-input.c - a display window's keyboard and pointer
 * (ui/display-priv.h).
 *
 * Keys go to the guest as Linux evdev codes by their physical position
 * (ui/keymap.c), so the guest's layout decides the characters; what the
 * guest holds down is tracked so that losing the focus releases it (no
 * stuck keys).  Clicking the screen captures the keyboard (the desktop's
 * shortcuts go to the guest too) until Ctrl+Alt; Ctrl+Alt+F toggles full
 * screen.  The pointer is an absolute tablet, with no grab, unless the
 * guest drives only its relative mouse (Display1.PointerMode, docs/api.md):
 * then a click captures the pointer too, hidden and held at the middle
 * of the screen widget, and each motion goes to the guest as the delta
 * from there (in guest pixels) until Ctrl+Alt, the focus leaving, or the
 * guest going back to the tablet.  Input calls go without waiting for
 * replies, in order.
 */
#include <math.h>
#include <string.h>

#include "display-priv.h"

static bool key_is_down(struct dw *d, unsigned int code)
{
	return d->down[code / 8] & (1u << (code % 8));
}

static void send_key(struct dw *d, unsigned int code, bool down)
{
	if (!code || code >= NKEYS || d->closed)
		return;
	/* A release the guest never saw pressed (the app kept it, or it was let go) stays here. */
	if (!down && !key_is_down(d, code))
		return;
	if (down)
		d->down[code / 8] |= 1u << (code % 8);
	else
		d->down[code / 8] &= ~(1u << (code % 8));
	ui_vm_call(d->vm, "org.vmain.Display1", "Key", g_variant_new("(ub)", code, down), NULL,
		   NULL);
}

/* What the guest holds down is let go when we lose the keyboard: no stuck keys. */
static void release_keys(struct dw *d)
{
	for (unsigned int c = 1; c < NKEYS; c++)
		if (key_is_down(d, c))
			send_key(d, c, false);
}

static void capture(struct dw *d)
{
	GdkSeat *seat = gdk_display_get_default_seat(gtk_widget_get_display(d->window));
	GdkWindow *win = gtk_widget_get_window(d->window);

	if (d->captured || d->closed || !win)
		return;
	if (gdk_seat_grab(seat, win, GDK_SEAT_CAPABILITY_KEYBOARD, FALSE, NULL, NULL, NULL,
			  NULL) == GDK_GRAB_SUCCESS)
		d->captured = true;
	update_subtitle(d);
}

/* Puts the host pointer back at the middle of the screen widget. */
static void warp_to_middle(struct dw *d)
{
	GdkWindow *win = gtk_widget_get_window(d->area);
	GdkDevice *ptr = gdk_seat_get_pointer(gdk_display_get_default_seat(
		gtk_widget_get_display(d->area)));
	int rx, ry;

	if (!win || !ptr)
		return;
	d->warp_x = gtk_widget_get_allocated_width(d->area) / 2;
	d->warp_y = gtk_widget_get_allocated_height(d->area) / 2;
	gdk_window_get_root_coords(win, (int)d->warp_x, (int)d->warp_y, &rx, &ry);
	gdk_device_warp(ptr, gtk_widget_get_screen(d->area), rx, ry);
}

/*
 * The relative grab: keyboard and pointer, the host's pointer hidden (the
 * guest's cursor is drawn where the guest puts it, display-window.c).
 * A desktop that refuses the grab (another app holds one) leaves things
 * as they were.
 */
static void capture_pointer(struct dw *d)
{
	GdkDisplay *dpy = gtk_widget_get_display(d->area);
	GdkSeat *seat = gdk_display_get_default_seat(dpy);
	GdkWindow *win = gtk_widget_get_window(d->area);
	GdkCursor *none;
	GdkGrabStatus st;

	if (d->grabbed || d->closed || !win)
		return;
	if (d->captured)
		gdk_seat_ungrab(seat);	/* the keyboard's grab, taken again with the pointer */
	none = gdk_cursor_new_from_name(dpy, "none");
	st = gdk_seat_grab(seat, win, GDK_SEAT_CAPABILITY_ALL, FALSE, none, NULL, NULL, NULL);
	if (none)
		g_object_unref(none);
	d->grabbed = st == GDK_GRAB_SUCCESS;
	if (!d->grabbed && d->captured) {
		/* Refused: the keyboard as it was. */
		d->captured = false;
		capture(d);
		return;
	}
	d->captured = d->grabbed;
	if (d->grabbed) {
		d->rel_x = d->rel_y = 0;
		warp_to_middle(d);
		gtk_widget_queue_draw(d->area);	/* the guest's cursor, drawn by us now */
	}
	update_subtitle(d);
}

static void uncapture(struct dw *d)
{
	if (!d->captured)
		return;
	gdk_seat_ungrab(gdk_display_get_default_seat(gtk_widget_get_display(d->window)));
	d->captured = false;
	if (d->grabbed) {
		d->grabbed = false;
		gtk_widget_queue_draw(d->area);
	}
	update_subtitle(d);
}

static bool chord_held(struct dw *d)
{
	return (key_is_down(d, KEY_LEFTCTRL) || key_is_down(d, KEY_RIGHTCTRL)) &&
	       (key_is_down(d, KEY_LEFTALT) || key_is_down(d, KEY_RIGHTALT));
}

static gboolean on_key(GtkWidget *w, GdkEventKey *ev, gpointer opaque)
{
	struct dw *d = opaque;
	unsigned int code = ui_keymap_to_evdev(d->keycodes, ev->hardware_keycode);
	bool down = ev->type == GDK_KEY_PRESS;

	(void)w;
	if (!code)
		return TRUE;
	/*
	 * The host's modifiers, not what the guest holds: while captured,
	 * pressing Ctrl+Alt already let go of the guest's keys.
	 */
	if (down && code == KEY_F && (ev->state & GDK_CONTROL_MASK) && (ev->state & GDK_MOD1_MASK)) {
		/* Ctrl+Alt+F is ours: the guest gets the Ctrl and Alt back up. */
		release_keys(d);
		toggle_fullscreen(d);
		return TRUE;
	}
	send_key(d, code, down);
	if (down && d->captured && chord_held(d)) {
		release_keys(d);
		uncapture(d);
	}
	return TRUE;
}

/*
 * Our grab is gone without us (another client took one, the window was
 * unmapped or hidden): nothing is captured any more, and what the guest
 * holds down is let go.
 */
static gboolean on_grab_lost(GtkWidget *w, GdkEvent *ev, gpointer opaque)
{
	struct dw *d = opaque;

	(void)w;
	(void)ev;
	release_keys(d);
	if (d->captured || d->grabbed) {
		d->captured = false;
		if (d->grabbed) {
			d->grabbed = false;
			gtk_widget_queue_draw(d->area);
		}
		update_subtitle(d);
	}
	return FALSE;
}

static gboolean on_focus_out(GtkWidget *w, GdkEventFocus *ev, gpointer opaque)
{
	struct dw *d = opaque;

	(void)w;
	(void)ev;
	release_keys(d);
	uncapture(d);
	return FALSE;
}

static void send_pointer(struct dw *d, double x, double y)
{
	int sf = device_scale(d);
	uint32_t gx, gy;

	if (d->closed || !ui_layout_area_to_guest(&d->render.layout, x * sf, y * sf, &gx, &gy))
		return;
	ui_vm_call(d->vm, "org.vmain.Display1", "PointerMotion", g_variant_new("(uu)", gx, gy),
		   NULL, NULL);
}

/*
 * Grabbed: the motion from the last event's position (warp_x/y after a
 * warp), in guest pixels (a fit-scaled screen moves the guest's cursor as
 * far as the host's would have moved over the picture), fractions kept
 * for the next event.  The hidden host pointer goes back to the middle
 * only when it nears the widget's edge: events already on their way then
 * still measure from where they were made, and the warp's own event is a
 * motion of 0.  (Where warping does nothing, on Wayland, the deltas stay
 * right; the pointer's travel then ends at the screen's edge.)
 */
static void send_relative(struct dw *d, double x, double y)
{
	double per = d->render.layout.scale > 0 ? device_scale(d) / d->render.layout.scale : 1;
	int w = gtk_widget_get_allocated_width(d->area);
	int h = gtk_widget_get_allocated_height(d->area);
	int dx, dy;

	if (x == d->warp_x && y == d->warp_y)
		return;
	d->rel_x += (x - d->warp_x) * per;
	d->rel_y += (y - d->warp_y) * per;
	d->warp_x = x;
	d->warp_y = y;
	dx = (int)trunc(d->rel_x);
	dy = (int)trunc(d->rel_y);
	d->rel_x -= dx;
	d->rel_y -= dy;
	if (dx || dy)
		ui_vm_call(d->vm, "org.vmain.Display1", "RelativeMotion",
			   g_variant_new("(ii)", dx, dy), NULL, NULL);
	if (x < w / 4.0 || x > w * 3 / 4.0 || y < h / 4.0 || y > h * 3 / 4.0)
		warp_to_middle(d);
}

static gboolean on_motion(GtkWidget *w, GdkEventMotion *ev, gpointer opaque)
{
	struct dw *d = opaque;

	(void)w;
	if (d->grabbed)
		send_relative(d, ev->x, ev->y);
	else if (!d->relative)
		send_pointer(d, ev->x, ev->y);
	/* Relative, not grabbed: the guest has no tablet driver to tell. */
	return TRUE;
}

static uint32_t button_bit(guint button)
{
	switch (button) {
	case 1: return 1;	/* left */
	case 2: return 2;	/* middle */
	case 3: return 4;	/* right */
	case 8: return 8;	/* back: side */
	case 9: return 16;	/* forward: extra */
	default: return 0;
	}
}

static gboolean on_button(GtkWidget *w, GdkEventButton *ev, gpointer opaque)
{
	struct dw *d = opaque;
	uint32_t bit = button_bit(ev->button);

	(void)w;
	if (ev->type != GDK_BUTTON_PRESS && ev->type != GDK_BUTTON_RELEASE)
		return TRUE;	/* the double-click extras repeat a press we sent */
	if (ev->type == GDK_BUTTON_PRESS) {
		gtk_widget_grab_focus(d->area);
		if (d->relative && !d->grabbed) {
			/* The click that captures the pointer is ours, not the guest's. */
			capture_pointer(d);
			return TRUE;
		}
		capture(d);
	}
	if (!bit || d->closed)
		return TRUE;
	/* The release of a press the guest never got (the capturing click) stays here. */
	if (ev->type == GDK_BUTTON_RELEASE && !(d->buttons & bit))
		return TRUE;
	if (!d->relative)
		send_pointer(d, ev->x, ev->y);
	if (ev->type == GDK_BUTTON_PRESS)
		d->buttons |= bit;
	else
		d->buttons &= ~bit;
	ui_vm_call(d->vm, "org.vmain.Display1", "PointerButtons", g_variant_new("(u)", d->buttons),
		   NULL, NULL);
	return TRUE;
}

static gboolean on_scroll(GtkWidget *w, GdkEventScroll *ev, gpointer opaque)
{
	struct dw *d = opaque;
	int dy = 0, dx = 0;

	(void)w;
	switch (ev->direction) {
	case GDK_SCROLL_UP: dy = 1; break;
	case GDK_SCROLL_DOWN: dy = -1; break;
	case GDK_SCROLL_LEFT: dx = -1; break;
	case GDK_SCROLL_RIGHT: dx = 1; break;
	case GDK_SCROLL_SMOOTH:
		/* A touchpad's fractions add up to whole clicks. */
		d->scroll_x += ev->delta_x;
		d->scroll_y += ev->delta_y;
		dx = (int)trunc(d->scroll_x);
		dy = -(int)trunc(d->scroll_y);
		d->scroll_x -= trunc(d->scroll_x);
		d->scroll_y -= trunc(d->scroll_y);
		break;
	default:
		break;
	}
	if ((dx || dy) && !d->closed)
		ui_vm_call(d->vm, "org.vmain.Display1", "Wheel", g_variant_new("(ii)", dy, dx),
			   NULL, NULL);
	return TRUE;
}

void display_input_key(struct dw *d, unsigned int code, bool down)
{
	send_key(d, code, down);
}

void display_input_pointer_mode(struct dw *d, bool relative)
{
	d->relative = relative;
	/* Back on the tablet: the pointer is the desktop's again. */
	if (!relative && d->grabbed) {
		release_keys(d);
		uncapture(d);
	}
	update_subtitle(d);
}

void display_input_forget(struct dw *d)
{
	uncapture(d);
	memset(d->down, 0, sizeof(d->down));
}

void display_input_attach(struct dw *d)
{
	g_signal_connect(d->area, "key-press-event", G_CALLBACK(on_key), d);
	g_signal_connect(d->area, "key-release-event", G_CALLBACK(on_key), d);
	g_signal_connect(d->area, "button-press-event", G_CALLBACK(on_button), d);
	g_signal_connect(d->area, "button-release-event", G_CALLBACK(on_button), d);
	g_signal_connect(d->area, "motion-notify-event", G_CALLBACK(on_motion), d);
	g_signal_connect(d->area, "scroll-event", G_CALLBACK(on_scroll), d);
	g_signal_connect(d->area, "focus-out-event", G_CALLBACK(on_focus_out), d);
	g_signal_connect(d->area, "grab-broken-event", G_CALLBACK(on_grab_lost), d);
	g_signal_connect(d->window, "grab-broken-event", G_CALLBACK(on_grab_lost), d);
	g_signal_connect(d->window, "unmap-event", G_CALLBACK(on_grab_lost), d);
}
