// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd-save.c - `vmain save NAME`: suspend a running VM to its bundle's
 * state.sav through its control API (org.vmain.VM1.Save, docs/api.md);
 * `vmain start NAME` restores it.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "vm/bundle.h"
#include "vm/client.h"
#include "vm/control.h"
#include "vm/dbus.h"

#define EXIT_GRACE_MS	15000	/* for the VM process to end once saved */

int cmd_save(int argc, char **argv)
{
	struct vm_paths paths;
	GDBusConnection *conn;
	GError *gerr = NULL;
	GVariant *r;
	struct pollfd pfd;
	char *name, *remote, *sock;
	pid_t pid = 0;
	int status, pidfd;

	status = cli_parse(&argc, &argv, "save", "NAME", "suspend a VM to disk",
		"Pauses the VM, writes its whole state (virtual CPUs, devices and\n"
		"guest RAM) to its bundle's state.sav and stops it.  `vmain start NAME`\n"
		"then restores it where it stopped (`vmain start --discard-state`\n"
		"boots it afresh instead).  The disks are flushed, not copied: do not\n"
		"change them before the restore.  The file is written under a\n"
		"temporary name and renamed once complete: an interrupted save leaves\n"
		"the previous state.sav, or none.  A VM with a display is saved with\n"
		"its screen: viewers reconnect after the restore.\n"
		"\n"
		"Exit status: 0 saved and stopped; 1 failed (the message says whether\n"
		"the VM runs on); 2 bad usage; 4 the VM is not running or paused;\n"
		"5 no such VM.\n",
		NULL, &name, &paths);
	if (status)
		return status;
	status = cli_connect("save", &paths, name, &conn);
	if (status)
		goto free_paths;
	/*
	 * The process itself must have ended when we return (its VM released,
	 * its locks gone), so that a `vmain start` right after does not race
	 * its teardown: watch it through a pidfd the kernel names.
	 */
	sock = vm_socket_path(&paths, name);
	pidfd = vm_control_server_pidfd(sock, &pid);
	g_free(sock);
	/* No time limit: the save writes all of guest RAM. */
	r = g_dbus_connection_call_sync(conn, NULL, VM_DBUS_PATH, VM_DBUS_IFACE, "Save",
					NULL, NULL, G_DBUS_CALL_FLAGS_NONE, G_MAXINT, NULL,
					&gerr);
	if (!r) {
		remote = g_dbus_error_get_remote_error(gerr);
		g_dbus_error_strip_remote_error(gerr);
		fprintf(stderr, "vmain save: %s\n", gerr->message);
		status = remote && !strcmp(remote, VM_DBUS_ERROR_STATE) ? CLI_STATE : CLI_FAILED;
		g_free(remote);
		g_error_free(gerr);
	} else {
		g_variant_unref(r);
		pfd = (struct pollfd){ .fd = pidfd, .events = POLLIN };
		if (pidfd >= 0 ? poll(&pfd, 1, EXIT_GRACE_MS) <= 0 :
		    !vm_client_wait_closed(conn, EXIT_GRACE_MS)) {
			fprintf(stderr, "vmain save: %s was saved but did not end within %d "
				"seconds\n", name, EXIT_GRACE_MS / 1000);
			status = CLI_FAILED;
		}
	}
	if (pidfd >= 0)
		close(pidfd);
	g_object_unref(conn);
free_paths:
	vm_paths_free(&paths);
	return status;
}
