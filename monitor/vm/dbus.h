/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vm/dbus.h - the VM's control API: D-Bus peer-to-peer on a UNIX socket.
 *
 * Interfaces org.vmain.VM1 and org.vmain.Console1 at /org/vmain/VM, as
 * common/org.vmain.xml defines them (compiled into the program) and
 * docs/api.md documents.  GDBus's GDBusServer serves the socket: no
 * message bus, no TCP.  The socket is mode 0600 (0660 and group vmain for
 * a system VM), and every connection's peer is checked with SO_PEERCRED
 * (socket(7)) before it may call anything: its uid must be ours (a system
 * VM also admits root and members of group vmain).  Refusals are logged.
 *
 * Threads: main thread.  GDBus does its socket I/O on its own worker
 * thread and calls us in the main context; a client that never reads
 * makes its own queue grow, never the VM wait.
 */
#ifndef VMAIN_MONITOR_VM_DBUS_H
#define VMAIN_MONITOR_VM_DBUS_H

#define VM_DBUS_PATH		"/org/vmain/VM"
#define VM_DBUS_IFACE		"org.vmain.VM1"
#define VM_DBUS_CONSOLE_IFACE	"org.vmain.Console1"
#define VM_DBUS_ERROR_STATE	"org.vmain.Error.InvalidState"
#define VM_DBUS_ERROR_BUSY	"org.vmain.Error.Busy"
#define VM_DBUS_ERROR_FAILED	"org.vmain.Error.Failed"
#define VM_DBUS_ERROR_ARGS	"org.vmain.Error.InvalidArgs"	/* a value the VM refuses */
/*
 * The unique name the VM gives itself on its peer-to-peer connections and
 * sends its signals from (vm/dbus.c says why).
 */
#define VM_DBUS_SENDER		":1.0"

struct vm;

/* The introspection data (common/org.vmain.xml), NUL-terminated. */
extern const char vm_dbus_xml[];

/* Listens on `path` (removed first: the caller holds the VM's lock). */
int vm_dbus_start(struct vm *vm, const char *path);
/* Signals the VM's state to every client. */
void vm_dbus_state_changed(struct vm *vm);
/* SaveProgress(done, total) to every client: bytes of RAM saved so far. */
void vm_dbus_save_progress(struct vm *vm, uint64_t done, uint64_t total);
/* Flushes the last signals (bounded), closes every connection, removes the socket. */
void vm_dbus_stop(struct vm *vm);

#endif
