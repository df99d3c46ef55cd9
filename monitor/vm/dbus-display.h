/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vm/dbus-display.h - org.vmain.Display1 on one control connection: the
 * guest's screen to a viewer (its listener, org.vmain.DisplayListener1 on
 * the viewer's side) and the viewer's input to the guest.
 *
 * Each connection is one display viewer (display/display.h).  The
 * listener gets one call at a time: the next waits for the reply to the
 * last, and what the guest draws meanwhile merges in the viewer's damage,
 * so a slow, frozen or vanished viewer holds a bounded amount of memory
 * (one call's pixels at most, in inline mode) and never stalls the guest.
 * Inline calls carry at most DBUS_DISPLAY_INLINE_MAX bytes of pixels: a
 * larger rectangle goes as bands of rows.
 *
 * The PointerMode property ("absolute" or "relative", display.h) is
 * signalled with PropertiesChanged as the listener's frames are taken:
 * only on a connection with a listener registered, and only when it
 * differs from what that connection was last told (absolute before the
 * first signal).  It goes in the same one-at-a-time order as the calls:
 * what follows a signal waits for the connection's output to drain, so
 * changes between drains merge and a peer that does not read has at
 * most one signal queued.
 *
 * Threads: main thread (GDBus calls us in the main context); the
 * display's wake() comes from any thread and only marks a GSource ready.
 */
#ifndef VMAIN_MONITOR_VM_DBUS_DISPLAY_H
#define VMAIN_MONITOR_VM_DBUS_DISPLAY_H

#include <gio/gio.h>
#include <stdbool.h>

#define VM_DBUS_DISPLAY_IFACE		"org.vmain.Display1"
#define VM_DBUS_LISTENER_IFACE		"org.vmain.DisplayListener1"
#define VM_DBUS_ERROR_DENIED		"org.vmain.Error.AccessDenied"
#define VM_DBUS_ERROR_NO_SCANOUT	"org.vmain.Error.NoScanout"
#define VM_DBUS_ERROR_INVALID_ARGS	"org.vmain.Error.InvalidArgs"
#define DBUS_DISPLAY_INLINE_MAX		(4u << 20)
#define DBUS_DISPLAY_CALL_TIMEOUT_MS	10000

struct display;
struct dbus_display;

/*
 * Serves org.vmain.Display1 at `path` on `conn` for display `d`; `owner`
 * says the peer may take private mode.  NULL with *err set on failure.
 */
struct dbus_display *dbus_display_new(struct display *d, GDBusConnection *conn,
				      const char *path, GDBusInterfaceInfo *iface,
				      bool owner, GError **err);
/* Unregisters it, frees the viewer (private mode is released). */
void dbus_display_free(struct dbus_display *dd);

/* Calls made to its listener so far (tests: one at a time, bounded). */
unsigned long dbus_display_calls(const struct dbus_display *dd);
/* The listener call timeout for every connection (tests; default DBUS_DISPLAY_CALL_TIMEOUT_MS). */
void dbus_display_set_call_timeout(int ms);

#endif
