/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ui/vm-list.h - the VMs the library shows: `vmain list --json` read with
 * json-glib (docs/cli.md: fields are only ever added, so unknown ones are
 * ignored), and where a VM's bundles and sockets live, by the same rules
 * as monitor/vm/bundle.c's vm_paths_init() (docs/bundles.md).
 *
 * Pure: no GTK; host-tested in tests/ui/vm-list-test.c.
 */
#ifndef VMAIN_UI_VM_LIST_H
#define VMAIN_UI_VM_LIST_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

struct ui_vm_entry {
	char *name, *state, *uuid;
	char *error;		/* why the bundle could not be read; NULL when fine */
	uint64_t memory;	/* bytes */
	uint32_t cpus;
	int pid;		/* 0: none */
	bool autostart;
	bool system;		/* from `vmain list --system` */
};

/*
 * Parses `vmain list --json` output: 0 and *out (a GPtrArray of entries,
 * g_ptr_array_unref frees them), or -EINVAL and *why (g_free) for text
 * that is no such list (bad JSON, not an array, an entry without a name).
 */
int ui_vm_list_parse(const char *json, bool system, GPtrArray **out, char **why);
/* Frees one entry (the lists' free function). */
void ui_vm_entry_free(gpointer entry);

/*
 * The control socket of VM `name`: $VMAIN_RUNTIME_DIR/NAME.sock, else
 * /run/vmain/NAME.sock for a system VM, else $XDG_RUNTIME_DIR/vmain/
 * NAME.sock; NULL when that is unset.  As in vm_paths_init(), these
 * variables count only when absolute: NULL for a relative VMAIN_* one
 * (vmain refuses it) or XDG_RUNTIME_DIR.  g_free.
 */
char *ui_vm_socket_path(const char *name, bool system);
/* The sockets' directory (as above), and the bundles' ($VMAIN_VMS_DIR, else
 * /var/lib/vmain/VMs for system VMs, else $XDG_DATA_HOME/vmain/VMs with
 * XDG_DATA_HOME, when absolute, defaulting to ~/.local/share).  NULL when
 * unknown; g_free. */
char *ui_vm_runtime_dir(bool system);
char *ui_vm_bundles_dir(bool system);

/* "512 MiB", "1 GiB", "1.5 GiB": g_free */
char *ui_vm_memory_text(uint64_t bytes);

#endif
