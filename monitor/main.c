// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * main.c - the vmain command line: `vmain COMMAND [OPTIONS]`.
 */
#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"

#define VMAIN_VERSION "0.1"

static const struct vmain_command {
	const char *name;
	const char *summary;
	int (*run)(int argc, char **argv);
} commands[] = {
	{ "create", "create a VM (a bundle with its settings and disks)", cmd_create },
	{ "list", "list the VMs and their states", cmd_list },
	{ "start", "start a VM, on this terminal or --headless", cmd_start },
	{ "autostart", "start the VMs marked autostart", cmd_autostart },
	{ "stop", "power a VM off (ACPI power button, then a hard stop)", cmd_stop },
	{ "kill", "stop a VM at once", cmd_kill },
	{ "pause", "pause a running VM", cmd_pause },
	{ "resume", "resume a paused VM", cmd_resume },
	{ "reset", "reset a VM", cmd_reset },
	{ "link", "plug a VM's network cable in or pull it out", cmd_link },
	{ "cdrom", "change the disc in a running VM's CD/DVD drive", cmd_cdrom },
	{ "save", "suspend a VM to disk (vmain start restores it)", cmd_save },
	{ "restore", "restore a VM from a state file vmain save wrote", cmd_restore },
	{ "status", "show a VM's state", cmd_status },
	{ "console", "attach this terminal to a VM's serial console", cmd_console },
	{ "screenshot", "save a VM's screen as a PNG file", cmd_screenshot },
	{ "edit", "change a VM's settings", cmd_edit },
	{ "delete", "delete a VM and its bundle", cmd_delete },
	{ "run", "boot a Linux kernel in a new, one-off VM", cmd_run },
	{ "info", "show what /dev/vm-main and this host offer", cmd_info },
};

static void usage(FILE *out)
{
	unsigned int i;

	fprintf(out,
		"Usage: vmain COMMAND [OPTIONS]\n"
		"\n"
		"vmain runs virtual machines with the vmain kernel module (/dev/vm-main).\n"
		"\n"
		"Commands:\n");
	for (i = 0; i < G_N_ELEMENTS(commands); i++)
		fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(out,
		"\n"
		"Options:\n"
		"  -h, --help     show this help\n"
		"  --version      show the version\n"
		"\n"
		"`vmain COMMAND --help` describes each command; docs/cli.md all of them.\n");
}

int main(int argc, char **argv)
{
	unsigned int i;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("vmain %s (ABI version 1)\n", VMAIN_VERSION);
		return 0;
	}
	for (i = 0; i < G_N_ELEMENTS(commands); i++) {
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	}
	fprintf(stderr, "vmain: unknown command '%s' (see vmain --help)\n", argv[1]);
	return 2;
}
