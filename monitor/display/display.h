/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * display/display.h - a VM's screen, between the device that draws it
 * (virtio-gpu) and the viewers that show and drive it (the control API's
 * org.vmain.Display1, VNC, the desktop app through the API).
 *
 * DESIGN.md, "Display".  One display per VM, one scanout.  The display
 * owns the surface viewers read: a memfd of height x stride bytes, 32
 * bits per pixel, in one of the DRM formats below, that viewers map
 * read-only (display_viewer_poll() hands each viewer its own dup of the
 * fd).  The producer copies what the guest flushed into it
 * (display_update()): updates are driven by the guest's flush
 * rectangles only; nothing polls the pixels and nothing runs on a timer
 * while the screen is idle.  The cursor is a separate plane: moving it
 * touches no pixel.
 *
 * Viewers pull.  A change marks each viewer and calls its wake() once
 * (until it polls again); display_viewer_poll() then returns everything
 * since the last poll: a new mode, the damage merged into at most
 * DISPLAY_MAX_RECTS rectangles (more collapse into their bounding box),
 * the cursor's last image and position.  A slow or frozen viewer costs a
 * fixed amount of memory however much the guest draws: its damage merges,
 * nothing queues.
 *
 * Private mode (the "monitor blanking" of VMware's DevTap, done right):
 * one viewer created with `owner` may take the display exclusively.
 * While it holds it, updates go to a second surface only it is given;
 * every other viewer sees the public surface cleared to black (one full
 * damage), gets no cursor, and its input is dropped.  Release (or
 * display_viewer_free() of the holder: a crashed client) copies the
 * private surface back and damages everything for everybody.
 *
 * The guest's pointer mode (absolute tablet or relative mouse) goes to
 * viewers like the cursor does: display_set_pointer_relative().
 *
 * Input goes the other way: keys (evdev codes, linux/input-event-codes.h),
 * the absolute pointer in surface coordinates, buttons, the wheel and
 * relative motion, through display_input_ops to the guest's input
 * devices.  A viewer's preferred size is debounced: requests that come
 * closer together than DISPLAY_RESIZE_SETTLE_MS cost the guest one
 * change, the last size, once they settle.
 *
 * Threads.  Every function may be called from any thread; the display has
 * its own lock.  The producer calls in with machine.lock held (lock
 * order: machine.lock, then the display's).  The input ops and the
 * resize op are called with no display lock held (they take machine.lock
 * themselves); resize runs on the ioloop's thread.  wake() is called with
 * the display lock held: it must only schedule (an eventfd write, a
 * g_main_context_wakeup(), an ioloop bottom half), never call back in.
 */
#ifndef VMAIN_MONITOR_DISPLAY_DISPLAY_H
#define VMAIN_MONITOR_DISPLAY_DISPLAY_H

#include <stdbool.h>
#include <stdint.h>

struct ioloop;
struct display;
struct display_viewer;

/* DRM fourcc codes (drm_fourcc.h), little-endian 32-bit pixels. */
#define DISPLAY_FOURCC(a, b, c, d) \
	((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16 | (uint32_t)(d) << 24)
#define DISPLAY_FORMAT_XRGB8888	DISPLAY_FOURCC('X', 'R', '2', '4')	/* [31:0] x:R:G:B */
#define DISPLAY_FORMAT_ARGB8888	DISPLAY_FOURCC('A', 'R', '2', '4')	/* [31:0] A:R:G:B */
#define DISPLAY_FORMAT_XBGR8888	DISPLAY_FOURCC('X', 'B', '2', '4')	/* [31:0] x:B:G:R */
#define DISPLAY_FORMAT_ABGR8888	DISPLAY_FOURCC('A', 'B', '2', '4')	/* [31:0] A:B:G:R */
#define DISPLAY_FORMAT_BGRX8888	DISPLAY_FOURCC('B', 'X', '2', '4')	/* [31:0] B:G:R:x */
#define DISPLAY_FORMAT_BGRA8888	DISPLAY_FOURCC('B', 'A', '2', '4')	/* [31:0] B:G:R:A */
#define DISPLAY_FORMAT_RGBX8888	DISPLAY_FOURCC('R', 'X', '2', '4')	/* [31:0] R:G:B:x */
#define DISPLAY_FORMAT_RGBA8888	DISPLAY_FOURCC('R', 'A', '2', '4')	/* [31:0] R:G:B:A */

#define DISPLAY_MAX_WIDTH		8192
#define DISPLAY_MAX_HEIGHT		8192
#define DISPLAY_MIN_WIDTH		64	/* smallest size a viewer may request */
#define DISPLAY_MIN_HEIGHT		64
#define DISPLAY_MAX_RECTS		16
#define DISPLAY_CURSOR_MAX		64	/* cursor images up to 64 x 64 */
#define DISPLAY_RESIZE_SETTLE_MS	100

/* Pointer buttons (display_input_ops.buttons): a mask of these. */
#define DISPLAY_BUTTON_LEFT		(1u << 0)
#define DISPLAY_BUTTON_MIDDLE		(1u << 1)
#define DISPLAY_BUTTON_RIGHT		(1u << 2)
#define DISPLAY_BUTTON_SIDE		(1u << 3)
#define DISPLAY_BUTTON_EXTRA		(1u << 4)
#define DISPLAY_BUTTONS_ALL		0x1fu

struct display_rect {
	uint32_t x, y, w, h;
};

/* Is `format` one of DISPLAY_FORMAT_*? */
bool display_format_valid(uint32_t format);

/* What the display drives: the guest's input devices, and its mode. */
struct display_input_ops {
	void (*key)(void *opaque, uint16_t code, bool down);
	/* Absolute pointer at (x, y) of a width x height surface. */
	void (*abs)(void *opaque, uint32_t x, uint32_t y, uint32_t width, uint32_t height);
	/* The buttons now down (DISPLAY_BUTTON_*). */
	void (*buttons)(void *opaque, uint32_t mask);
	/* Wheel clicks: dy > 0 scrolls up, dx > 0 right. */
	void (*wheel)(void *opaque, int32_t dy, int32_t dx);
	/* Relative motion, for guests that use the relative mouse. */
	void (*rel)(void *opaque, int32_t dx, int32_t dy);
	/* The viewers' preferred size, settled (display-info change). */
	void (*resize)(void *opaque, uint32_t width, uint32_t height);
	/*
	 * display_watched() may have changed: the first viewer that draws
	 * came, or the last one went.  For a producer that must look for
	 * changes itself (the VGA's framebuffer) and should not while
	 * nobody looks.  Called with no display lock held.
	 */
	void (*watched_changed)(void *opaque);
	/*
	 * Bring the surface up to date now (display_refresh()): for such a
	 * producer, before a one-off read by a viewer that is not watching
	 * (a screenshot).  Called with no display lock held.
	 */
	void (*refresh)(void *opaque);
};

/*
 * A display whose debounce timer runs on `loop`; any op may be NULL (that
 * input is dropped).  Returns 0 or -errno.
 */
int display_create(struct display **out, struct ioloop *loop,
		   const struct display_input_ops *ops, void *opaque);
/* Viewers must be freed first. */
void display_destroy(struct display *d);

/* ---- The producer (the virtio-gpu), machine.lock held ---- */

/*
 * A new mode: a fresh surface (black) of width x height in `format`;
 * width 0 disables the scanout (viewers get a mode with no fd).
 * -EINVAL for a size past DISPLAY_MAX_* or an unknown format, -ENOMEM /
 * -errno when the memfd cannot be made (the old mode stays).
 */
int display_set_mode(struct display *d, uint32_t width, uint32_t height, uint32_t format);

/*
 * Copies rectangle `r` of the surface from `src` (pixels of the current
 * format, `src_stride` bytes a row, `src` pointing at pixel (r.x, r.y))
 * and damages it for the viewers.  The rectangle is clipped to the
 * surface; nothing happens without a mode.
 */
void display_update(struct display *d, const struct display_rect *r,
		    const void *src, uint32_t src_stride);

/*
 * The cursor image: width x height (up to DISPLAY_CURSOR_MAX) ARGB8888
 * pixels, premultiplied or not as the guest gave them, hotspot inside.
 * width 0: no cursor.  -EINVAL when out of range.
 */
int display_cursor_define(struct display *d, uint32_t width, uint32_t height,
			  uint32_t hot_x, uint32_t hot_y, const uint32_t *argb);
/* Cursor position (its hotspot) in surface coordinates; `visible` false hides it. */
void display_cursor_move(struct display *d, int32_t x, int32_t y, bool visible);

/*
 * The pointer mode: relative when the guest drives only the relative
 * mouse (its absolute tablet has no driver: none was ever bound, or the
 * guest unbound it, as a game or a system without an absolute-pointer
 * driver does), absolute otherwise.  A change marks every viewer
 * (display_frame.pointer_changed); viewers that can should then capture
 * the host pointer and send relative motion (display_input_rel()).
 * The producer calls the setter with machine.lock held; absolute at
 * create.
 */
void display_set_pointer_relative(struct display *d, bool relative);
bool display_pointer_relative(struct display *d);

/* ---- Viewers ---- */

struct display_viewer_ops {
	/* Something changed since the last poll (display lock held: only schedule). */
	void (*wake)(void *opaque);
};

/*
 * Registers a viewer; `owner` says it may take private mode.  A new
 * viewer's first poll returns the current mode (full damage) and cursor.
 * `ops` may be NULL for a viewer that only sends input.  Returns 0 or
 * -ENOMEM.
 */
int display_viewer_new(struct display *d, const struct display_viewer_ops *ops,
		       void *opaque, bool owner, struct display_viewer **out);
/* Unregisters it (releasing private mode if it held it); no wake() after. */
void display_viewer_free(struct display_viewer *v);

/* What changed for one viewer since its last poll. */
struct display_frame {
	bool mode_changed;		/* the fields below describe a new surface */
	int fd;				/* its memfd (the caller's dup: close it), -1: no scanout */
	uint32_t width, height, stride, format;
	uint64_t size;			/* bytes to map (height x stride) */
	bool blank;			/* another viewer holds private mode */
	unsigned nr_rects;		/* damage, clipped to the surface */
	struct display_rect rects[DISPLAY_MAX_RECTS];
	bool cursor_changed;		/* a new image (width 0: none) */
	uint32_t cursor_w, cursor_h, cursor_hot_x, cursor_hot_y;
	uint32_t cursor[DISPLAY_CURSOR_MAX * DISPLAY_CURSOR_MAX];
	bool cursor_moved;
	int32_t cursor_x, cursor_y;
	bool cursor_visible;
	bool pointer_changed;		/* the pointer mode changed (a new viewer: set) */
	bool pointer_relative;		/* the pointer mode now */
};

/*
 * Takes what changed into `f` and clears it for this viewer; returns 1 if
 * anything changed, 0 if nothing, -errno (the dup failed: poll again).
 * Re-arms wake().
 */
int display_viewer_poll(struct display_viewer *v, struct display_frame *f);

/*
 * Private mode: 0, -EPERM (not an owner), -EBUSY (another viewer holds
 * it), -EALREADY (this one already does).  Release: 0 or -EINVAL (not
 * held by this viewer).
 */
int display_private_acquire(struct display_viewer *v);
int display_private_release(struct display_viewer *v);
/* Does any viewer hold private mode? */
bool display_private_held(struct display *d);

/* Is any viewer that draws (one with a wake op) registered? */
bool display_watched(struct display *d);

/* Asks the producer for what it has not drawn yet (ops.refresh); no lock held. */
void display_refresh(struct display *d);

/*
 * Input from a viewer: dropped (-EACCES) while another viewer holds
 * private mode; the pointer is clipped to the surface.
 */
int display_input_key(struct display_viewer *v, uint16_t code, bool down);
int display_input_abs(struct display_viewer *v, uint32_t x, uint32_t y);
int display_input_buttons(struct display_viewer *v, uint32_t mask);
int display_input_wheel(struct display_viewer *v, int32_t dy, int32_t dx);
int display_input_rel(struct display_viewer *v, int32_t dx, int32_t dy);
/*
 * The viewer's preferred size: -EINVAL outside DISPLAY_MIN_* ..
 * DISPLAY_MAX_*, -EACCES as above; else the guest gets it once requests
 * settle (DISPLAY_RESIZE_SETTLE_MS without a new one).
 */
int display_request_size(struct display_viewer *v, uint32_t width, uint32_t height);

#endif
