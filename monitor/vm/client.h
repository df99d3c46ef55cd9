/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vm/client.h - the CLI's side of the control API (vm/dbus.h): connect to
 * a VM's socket, call a method, read its properties.  The CLI has no
 * other way into a running VM.
 */
#ifndef VMAIN_MONITOR_VM_CLIENT_H
#define VMAIN_MONITOR_VM_CLIENT_H

#include <gio/gio.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VM_CLIENT_TIMEOUT_MS	10000	/* a call to a VM that does not answer */

struct vm_paths;

/*
 * Connects to VM `name`'s socket.  -ENOENT or -ECONNREFUSED when no VM of
 * that name runs (err: "NAME is not running"); other -errno with err.
 */
int vm_client_connect(const struct vm_paths *p, const char *name, GDBusConnection **conn,
		      char *err, size_t errlen);

/*
 * Calls org.vmain.VM1.METHOD (or Console1 when `iface` says so) with
 * `args` (floating, may be NULL); *reply (may be NULL) gets the reply and
 * *fds (may be NULL) its file descriptors.  -EINVAL for
 * org.vmain.Error.InvalidState, -EBUSY for org.vmain.Error.Busy, -ERANGE
 * for org.vmain.Error.InvalidArgs (a value it refuses), -EIO for the
 * rest; err says what the VM said.
 */
int vm_client_call(GDBusConnection *conn, const char *iface, const char *method,
		   GVariant *args, GVariant **reply, GUnixFDList **fds, char *err,
		   size_t errlen);

/* All of org.vmain.VM1's properties (a{sv}); NULL with err on failure. */
GVariant *vm_client_properties(GDBusConnection *conn, char *err, size_t errlen);

/* Waits up to timeout_ms (-1: for ever) for the connection to close (the VM process ended). */
bool vm_client_wait_closed(GDBusConnection *conn, int timeout_ms);

#endif
