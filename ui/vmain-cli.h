/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ui/vmain-cli.h - running the `vmain` command for the library: creating,
 * starting, editing, deleting VMs and listing them go through the CLI,
 * so the app does it with the same code and the same checks as a person
 * at a terminal, and links none of it.
 *
 * Threads: the GTK main thread; the command runs as a child process and
 * never blocks the main loop.
 */
#ifndef VMAIN_UI_VMAIN_CLI_H
#define VMAIN_UI_VMAIN_CLI_H

#include <glib.h>

/*
 * The vmain program: $VMAIN_CLI when set; else `vmain` built beside us
 * (build/monitor/vmain for build/ui/vmain-gtk) or installed beside us
 * (/usr/bin/vmain for /usr/bin/vmain-gtk); else "vmain" from PATH.
 */
const char *ui_vmain_cli(void);

/*
 * Called when the command ended: its exit status (-1 when it could not
 * run or was killed), stdout and stderr (never NULL; trailing newlines
 * kept).
 */
typedef void (*ui_vmain_done_fn)(void *opaque, int status, const char *out, const char *err);

/* Runs `vmain ARGS...` (a NULL-terminated list) without waiting for it. */
void ui_vmain_run(const char *const *args, ui_vmain_done_fn done, void *opaque);

/* The last line of a command's stderr, without "vmain: " (for a message). */
char *ui_vmain_reason(const char *err);

#endif
