/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ui/vm.h - the app's connection to one running VM: its control socket
 * (docs/api.md), org.vmain.VM1's state and methods, and, when asked, a
 * listener (org.vmain.DisplayListener1) that keeps the guest's screen.
 *
 * The app is a client only: nothing here can stop a VM by going away
 * (dropping a connection just unregisters its listener).  Connecting is
 * asynchronous, so a VM that does not answer never freezes a window.
 *
 * The screen is kept as the VM gives it: the surface's memfd mapped
 * read-only, or (inline listeners: a socket forwarded where descriptors
 * cannot go) a copy of our own that UpdateInline fills.  Everything a VM
 * sends is checked before use: sizes against the mapping, rectangles
 * against the screen.  A Scanout that arrives without a descriptor makes
 * the listener register again inline.
 *
 * Threads: the GTK main thread only (GDBus calls us back on the thread
 * default main context of the thread that connected).
 */
#ifndef VMAIN_UI_VM_H
#define VMAIN_UI_VM_H

#include <gio/gio.h>
#include <stdbool.h>
#include <stdint.h>

/* The guest's screen as this client has it. */
struct ui_screen {
	const uint8_t *pixels;	/* height x stride bytes; NULL: no screen */
	uint32_t width, height, stride, format;	/* format: a DRM fourcc */
	bool blank;		/* black: another viewer holds private mode */
	bool inline_copy;	/* pixels are our copy, not the VM's surface */
};

struct ui_vm_events {
	/* the VM's State property: "running", "paused", ... */
	void (*state)(void *opaque, const char *state);
	/* connected (err NULL) or failed (err says why; the ui_vm is dead) */
	void (*connected)(void *opaque, const GError *err);
	/* the connection closed: the VM stopped or went away */
	void (*closed)(void *opaque, const char *why);
	/* display listener (ui_vm_listen()): a new screen (pixels may be NULL:
	 * the guest shows nothing), damage, private mode of another viewer */
	void (*scanout)(void *opaque, const struct ui_screen *screen);
	void (*update)(void *opaque, uint32_t x, uint32_t y, uint32_t w, uint32_t h);
	/* ARGB8888 pixels, w x h (w == 0: no cursor) */
	void (*cursor_define)(void *opaque, uint32_t w, uint32_t h, uint32_t hot_x,
			      uint32_t hot_y, const uint32_t *argb);
	void (*cursor_move)(void *opaque, int32_t x, int32_t y, bool visible);
	/* the guest's pointer mode changed (Display1.PointerMode): relative
	 * means only its mouse has a driver (send RelativeMotion) */
	void (*pointer_mode)(void *opaque, bool relative);
};

struct ui_vm;

/*
 * Starts connecting to the control socket at `socket_path`; events go to
 * `ev` with `opaque`.  Never NULL.  ui_vm_free() at any time, also while
 * connecting (no event comes after it).
 */
struct ui_vm *ui_vm_connect(const char *socket_path, const struct ui_vm_events *ev,
			    void *opaque);
void ui_vm_free(struct ui_vm *vm);

bool ui_vm_is_connected(const struct ui_vm *vm);
const char *ui_vm_state(const struct ui_vm *vm);	/* "" until known */
const char *ui_vm_name(const struct ui_vm *vm);		/* "" until known */
bool ui_vm_has_display(const struct ui_vm *vm);
const struct ui_screen *ui_vm_screen(const struct ui_vm *vm);

/*
 * Registers the display listener (once connected); `want_inline`: pixels in
 * the calls.  0, or -errno (-ENOTCONN before connected, -ENODEV: no display).
 */
int ui_vm_listen(struct ui_vm *vm, bool want_inline);

/*
 * Calls `method` of `iface` (e.g. "org.vmain.VM1", "Pause") with `args`
 * (floating references are sunk), without waiting.  When `done` is given,
 * it is called with NULL or the error (as the VM said it, remote error
 * names stripped).  Input methods (Key, PointerMotion, ...) go this way,
 * in order, without waiting for each reply.
 */
typedef void (*ui_vm_done_fn)(void *opaque, const GError *err);
void ui_vm_call(struct ui_vm *vm, const char *iface, const char *method, GVariant *args,
		ui_vm_done_fn done, void *opaque);

/* Listener calls answered so far (tests, stats). */
uint64_t ui_vm_frames(const struct ui_vm *vm);

#endif
