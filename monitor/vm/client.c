// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vm/client.c - calling a VM's control API (see client.h).
 */
#include <errno.h>
#include <gio/gunixfdlist.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "vm/bundle.h"
#include "vm/client.h"
#include "vm/dbus.h"

int vm_client_connect(const struct vm_paths *p, const char *name, GDBusConnection **conn,
		      char *err, size_t errlen)
{
	GError *gerr = NULL;
	char *path, *address;
	struct stat st;
	int ret = 0;

	path = vm_socket_path(p, name);
	if (stat(path, &st)) {
		ret = -errno;
		if (ret == -ENOENT)
			snprintf(err, errlen, "%s is not running", name);
		else
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
		g_free(path);
		return ret;
	}
	address = g_strdup_printf("unix:path=%s", path);
	*conn = g_dbus_connection_new_for_address_sync(address,
		G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT, NULL, NULL, &gerr);
	if (!*conn) {
		/* A socket file nobody listens on: a VM that was killed. */
		if (g_error_matches(gerr, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED)) {
			ret = -ECONNREFUSED;
			snprintf(err, errlen, "%s is not running", name);
		} else if (g_error_matches(gerr, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED)) {
			ret = -EACCES;
			snprintf(err, errlen, "%s: permission denied (the VM belongs to "
				 "another user)", path);
		} else {
			ret = -EIO;
			snprintf(err, errlen, "cannot connect to %s: %s", path, gerr->message);
		}
		g_error_free(gerr);
	} else {
		/* Our calls, not a signal from the VM, decide when we exit. */
		g_dbus_connection_set_exit_on_close(*conn, FALSE);
	}
	g_free(address);
	g_free(path);
	return ret;
}

int vm_client_call(GDBusConnection *conn, const char *iface, const char *method,
		   GVariant *args, GVariant **reply, GUnixFDList **fds, char *err,
		   size_t errlen)
{
	GError *gerr = NULL;
	GVariant *r;
	char *remote;
	int ret;

	r = g_dbus_connection_call_with_unix_fd_list_sync(conn, NULL, VM_DBUS_PATH, iface,
		method, args, NULL, G_DBUS_CALL_FLAGS_NONE, VM_CLIENT_TIMEOUT_MS, NULL,
		fds, NULL, &gerr);
	if (r) {
		if (reply)
			*reply = r;
		else
			g_variant_unref(r);
		return 0;
	}
	remote = g_dbus_error_get_remote_error(gerr);
	ret = -EIO;
	if (remote && !strcmp(remote, VM_DBUS_ERROR_STATE))
		ret = -EINVAL;
	else if (remote && !strcmp(remote, VM_DBUS_ERROR_BUSY))
		ret = -EBUSY;
	else if (remote && !strcmp(remote, VM_DBUS_ERROR_ARGS))
		ret = -ERANGE;
	g_dbus_error_strip_remote_error(gerr);
	snprintf(err, errlen, "%s", gerr->message);
	g_free(remote);
	g_error_free(gerr);
	return ret;
}

GVariant *vm_client_properties(GDBusConnection *conn, char *err, size_t errlen)
{
	GError *gerr = NULL;
	GVariant *r, *props;

	r = g_dbus_connection_call_sync(conn, NULL, VM_DBUS_PATH,
		"org.freedesktop.DBus.Properties", "GetAll",
		g_variant_new("(s)", VM_DBUS_IFACE), G_VARIANT_TYPE("(a{sv})"),
		G_DBUS_CALL_FLAGS_NONE, VM_CLIENT_TIMEOUT_MS, NULL, &gerr);
	if (!r) {
		g_dbus_error_strip_remote_error(gerr);
		snprintf(err, errlen, "%s", gerr->message);
		g_error_free(gerr);
		return NULL;
	}
	props = g_variant_get_child_value(r, 0);
	g_variant_unref(r);
	return props;
}

static void on_closed(GDBusConnection *conn, gboolean remote, GError *error, gpointer opaque)
{
	(void)conn;
	(void)remote;
	(void)error;
	*(bool *)opaque = true;
}

static gboolean on_timeout(gpointer opaque)
{
	*(bool *)opaque = true;
	return G_SOURCE_REMOVE;
}

bool vm_client_wait_closed(GDBusConnection *conn, int timeout_ms)
{
	bool closed = g_dbus_connection_is_closed(conn), timed_out = false;
	gulong id;
	guint timer = 0;

	if (closed)
		return true;
	id = g_signal_connect(conn, "closed", G_CALLBACK(on_closed), &closed);
	if (timeout_ms >= 0)
		timer = g_timeout_add((guint)timeout_ms, on_timeout, &timed_out);
	while (!closed && !timed_out)
		g_main_context_iteration(NULL, TRUE);
	if (timer && !timed_out)
		g_source_remove(timer);
	g_signal_handler_disconnect(conn, id);
	return closed;
}
