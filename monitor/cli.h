/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cli.h - what the VM commands (create, start, stop, ...) share: exit
 * statuses, option parsing, finding a VM, JSON output.
 */
#ifndef VMAIN_MONITOR_CLI_H
#define VMAIN_MONITOR_CLI_H

#include <gio/gio.h>
#include <glib.h>
#include <stdbool.h>

#include "vm/bundle.h"

/* Exit statuses of the VM commands (docs/cli.md; `vmain start` in the
 * foreground ends like `vmain run`: 0 powered off, 3 stopped hard). */
enum {
	CLI_OK = 0,
	CLI_FAILED = 1,		/* it could not be done (the message says why) */
	CLI_USAGE = 2,		/* bad options or arguments */
	CLI_STOPPED_HARD = 3,	/* start (foreground): the VM was stopped, not powered off */
	CLI_STATE = 4,		/* not now: the VM is (not) running, paused, busy */
	CLI_NO_VM = 5,		/* no VM of that name */
};

/*
 * Parses `entries` (plus --system) for command `cmd` with one NAME
 * argument (or none when name is NULL; one argument for each further word
 * of `params`, left in (*argv)[2] on); prints the error and returns
 * CLI_USAGE, or CLI_OK with *name set (valid, see vm_name_check()) and
 * paths initialised (vm_paths_free() them).
 */
int cli_parse(int *argc, char ***argv, const char *cmd, const char *params,
	      const char *summary, const char *description, const GOptionEntry *entries,
	      char **name, struct vm_paths *paths);

/* The bundle of `name` exists: CLI_OK, or CLI_NO_VM with a message. */
int cli_bundle_exists(const char *cmd, const struct vm_paths *paths, const char *name);

/*
 * Connects to running VM `name` (vm/client.h): CLI_OK, or the message and
 * CLI_STATE (it is not running), CLI_NO_VM (no such VM) or CLI_FAILED.
 */
int cli_connect(const char *cmd, const struct vm_paths *paths, const char *name,
		GDBusConnection **conn);

/* Appends s as a JSON string (RFC 8259 section 7), quotes included. */
void cli_json_string(GString *out, const char *s);

#endif
