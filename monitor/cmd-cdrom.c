// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd-cdrom.c - `vmain cdrom NAME FILE` and `vmain cdrom NAME --eject`:
 * the disc in a running VM's CD/DVD drive, through its control API
 * (org.vmain.VM1.ChangeMedia and EjectMedia, docs/api.md).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "vm/client.h"
#include "vm/dbus.h"

static gboolean opt_eject, opt_force;

static const GOptionEntry cdrom_entries[] = {
	{ "eject", 'e', 0, G_OPTION_ARG_NONE, &opt_eject,
	  "Take the disc out (instead of FILE)", NULL },
	{ "force", 'f', 0, G_OPTION_ARG_NONE, &opt_force,
	  "Even when the guest has locked the drive's tray", NULL },
	{ NULL, 0, 0, 0, NULL, NULL, NULL }
};

/* --eject before any "--": the command then takes NAME alone. */
static bool wants_eject(int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "--eject") || !strcmp(argv[i], "-e"))
			return true;
	return false;
}

int cmd_cdrom(int argc, char **argv)
{
	bool eject = wants_eject(argc, argv);
	g_autofree char *file = NULL;
	struct vm_paths paths;
	GDBusConnection *conn;
	char *name, err[512];
	int status, ret;

	status = cli_parse(&argc, &argv, "cdrom", eject ? "NAME" : "NAME FILE",
		"change the disc in a running VM's CD/DVD drive",
		"Puts FILE, an ISO image (raw, or qcow2), in the CD/DVD drive of the\n"
		"running VM NAME, in place of the disc there; --eject takes the disc out.\n"
		"The guest sees it as a real drive's disc change: its drive reports the\n"
		"new medium (or none), and a desktop guest mounts or unmounts it.  The\n"
		"disc is the VM's, not the guest's: a reset keeps it, and the bundle's\n"
		"config.ini ([cdrom] file) follows, so the next start has the same disc\n"
		"(or an empty drive).  The VM process opens FILE read-only: a relative\n"
		"FILE is taken from the current directory, and a system VM's process\n"
		"(--system) must be able to read it.\n"
		"\n"
		"A guest may lock the tray (PREVENT ALLOW MEDIUM REMOVAL: Linux does\n"
		"while the disc is mounted, an installer while it reads it); the\n"
		"change is then refused and the guest is told of the eject request, as\n"
		"when a drive's button is pressed.  --force takes the disc out anyway,\n"
		"as pulling it from a real drive would: the guest's reads of it fail.\n"
		"\n"
		"A VM gets its CD/DVD drive from `vmain create --iso FILE` (or\n"
		"`vmain edit --iso`, from its next start); `vmain run --cdrom FILE` too.\n"
		"The host's own drive (--cdrom /dev/srN) changes its disc by hand.\n"
		"\n"
		"Examples:\n"
		"  vmain cdrom web ~/Downloads/debian-12.8.0-amd64-netinst.iso\n"
		"  vmain cdrom web --eject\n"
		"\n"
		"Exit status: 0 done; 1 failed (FILE does not open: the message says\n"
		"why); 2 bad usage, or the VM has no CD/DVD drive; 4 the VM is not\n"
		"running, or the guest has locked the tray (without --force); 5 no such\n"
		"VM.\n",
		cdrom_entries, &name, &paths);
	if (status)
		return status;
	if (!eject) {
		if (!*argv[2]) {
			fprintf(stderr, "vmain cdrom: an empty FILE (--eject takes the disc out)\n");
			status = CLI_USAGE;
			goto free_paths;
		}
		/* The VM process has another working directory. */
		file = g_canonicalize_filename(argv[2], NULL);
		if (access(file, R_OK)) {
			fprintf(stderr, "vmain cdrom: cannot read '%s': %s\n", argv[2],
				strerror(errno));
			status = CLI_FAILED;
			goto free_paths;
		}
	}
	status = cli_connect("cdrom", &paths, name, &conn);
	if (status)
		goto free_paths;
	if (eject)
		ret = vm_client_call(conn, VM_DBUS_IFACE, "EjectMedia",
				     g_variant_new("(sb)", "cdrom", opt_force), NULL, NULL, err,
				     sizeof(err));
	else
		ret = vm_client_call(conn, VM_DBUS_IFACE, "ChangeMedia",
				     g_variant_new("(ssb)", "cdrom", file, opt_force), NULL, NULL,
				     err, sizeof(err));
	g_object_unref(conn);
	if (ret) {
		fprintf(stderr, "vmain cdrom: %s\n", err);
		status = ret == -ERANGE ? CLI_USAGE : ret == -EINVAL || ret == -EBUSY ?
			 CLI_STATE : CLI_FAILED;
	}
free_paths:
	vm_paths_free(&paths);
	return status;
}
