// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd-screenshot.c - `vmain screenshot NAME FILE.png`: the guest's screen
 * as a PNG, through the control API (org.vmain.Display1.GetScanout).
 */
#include <errno.h>
#include <gio/gunixfdlist.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "display/png.h"
#include "vm/client.h"
#include "vm/dbus-display.h"
#include "vm/dbus.h"

static const char description[] =
	"Saves what the guest's screen shows now as FILE (PNG, 8-bit RGB), written\n"
	"to a temporary name and renamed, so FILE is never half an image.  The\n"
	"pixels come from the VM's display as a file descriptor (the control\n"
	"socket must be a local one); the guest is not paused or disturbed.\n"
	"\n"
	"Exit status: 0 saved; 1 failed (FILE could not be written); 2 bad usage;\n"
	"4 the VM is not running, has no display (started without --display),\n"
	"its guest shows nothing yet, or another viewer holds private mode;\n"
	"5 no such VM.\n";

/* The screen as the fd, size and format GetScanout gave; CLI status. */
static int get_scanout(GDBusConnection *conn, const char *name, int *fd, uint32_t *w,
		       uint32_t *h, uint32_t *stride, uint32_t *format)
{
	GUnixFDList *fds = NULL;
	GError *err = NULL;
	GVariant *r;
	gboolean blank;
	char *remote;
	int status;

	r = g_dbus_connection_call_with_unix_fd_list_sync(conn, NULL, VM_DBUS_PATH,
		VM_DBUS_DISPLAY_IFACE, "GetScanout", NULL, G_VARIANT_TYPE("(huuuub)"),
		G_DBUS_CALL_FLAGS_NONE, VM_CLIENT_TIMEOUT_MS, NULL, &fds, NULL, &err);
	if (!r) {
		remote = g_dbus_error_get_remote_error(err);
		g_dbus_error_strip_remote_error(err);
		status = CLI_FAILED;
		if (remote && (!strcmp(remote, "org.freedesktop.DBus.Error.UnknownInterface") ||
			       !strcmp(remote, "org.freedesktop.DBus.Error.UnknownMethod"))) {
			fprintf(stderr, "vmain screenshot: %s has no display (start it with a "
				"display: `vmain edit %s --display`)\n", name, name);
			status = CLI_STATE;
		} else if (remote && !strcmp(remote, VM_DBUS_ERROR_NO_SCANOUT)) {
			fprintf(stderr, "vmain screenshot: %s: the guest shows nothing yet "
				"(no scanout: its virtio-gpu driver has not set a mode)\n", name);
			status = CLI_STATE;
		} else {
			fprintf(stderr, "vmain screenshot: %s: %s\n", name, err->message);
		}
		g_free(remote);
		g_error_free(err);
		return status;
	}
	g_variant_get(r, "(huuuub)", NULL, w, h, stride, format, &blank);
	g_variant_unref(r);
	*fd = fds && g_unix_fd_list_get_length(fds) == 1 ? g_unix_fd_list_get(fds, 0, NULL) : -1;
	if (fds)
		g_object_unref(fds);
	if (*fd < 0) {
		fprintf(stderr, "vmain screenshot: %s: no surface came with the reply\n", name);
		return CLI_FAILED;
	}
	if (blank) {
		fprintf(stderr, "vmain screenshot: %s: another viewer holds private mode: "
			"the screen is not shown to others\n", name);
		close(*fd);
		return CLI_STATE;
	}
	return CLI_OK;
}

int cmd_screenshot(int argc, char **argv)
{
	uint32_t w, h, stride, format;
	struct vm_paths paths;
	GDBusConnection *conn;
	char *name, *file, err[512];
	struct stat st;
	void *map;
	int status, fd, ret;

	status = cli_parse(&argc, &argv, "screenshot", "NAME FILE.png",
			   "save a VM's screen as a PNG file", description, NULL, &name, &paths);
	if (status)
		return status;
	file = argv[2];
	status = cli_connect("screenshot", &paths, name, &conn);
	if (status)
		goto free_paths;
	status = get_scanout(conn, name, &fd, &w, &h, &stride, &format);
	g_object_unref(conn);
	if (status)
		goto free_paths;
	/* The VM says how big the surface is; the fd says how big it really is. */
	if (fstat(fd, &st) || (uint64_t)st.st_size < (uint64_t)stride * h || !h) {
		fprintf(stderr, "vmain screenshot: %s: the surface is smaller than %ux%u\n",
			name, w, h);
		status = CLI_FAILED;
		goto close_fd;
	}
	map = mmap(NULL, (size_t)stride * h, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		fprintf(stderr, "vmain screenshot: %s: mapping the surface: %s\n", name,
			strerror(errno));
		status = CLI_FAILED;
		goto close_fd;
	}
	ret = png_write_surface(file, map, w, h, stride, format, err, sizeof(err));
	munmap(map, (size_t)stride * h);
	if (ret) {
		fprintf(stderr, "vmain screenshot: %s\n", err);
		status = CLI_FAILED;
	}
close_fd:
	close(fd);
free_paths:
	vm_paths_free(&paths);
	return status;
}
