/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vm/control.h - claiming a VM name's control socket.
 *
 * RUNTIME/NAME.sock is served by the one process that holds
 * RUNTIME/NAME.lock (flock(2), exclusive): a socket file without a
 * holder is a dead VM's and is replaced, and a VM killed with SIGKILL
 * leaves nothing that blocks the next start.  The holder's pid is written
 * into the lock file for the "already running" message, and a VM that
 * ends removes the file (a claim checks that the name still leads to the
 * file it locked, so removing it never lets two processes in).
 */
#ifndef VMAIN_MONITOR_VM_CONTROL_H
#define VMAIN_MONITOR_VM_CONTROL_H

#include <stddef.h>

struct vm_paths;

/*
 * Makes the runtime directory, takes the name's lock and says where the
 * socket goes (*sock_path, g_free).  -EBUSY with "NAME is already running
 * (pid N)" in err, or -errno with the reason.
 */
int vm_control_claim(const struct vm_paths *p, const char *name, char **sock_path,
		     int *lock_fd, char *err, size_t errlen);

/*
 * Writes this process's pid into a lock file it holds (NAME.lock or a
 * bundle's .lock): after `vmain start --headless` forked, the child that
 * runs the VM holds the locks, not the parent that took them.
 */
int vm_lock_set_pid(int lock_fd);

/*
 * The pid of the process serving the socket at `sock_path`, from the
 * kernel (SO_PEERCRED of a connection to it: the process that called
 * listen()), as a pidfd (pidfd_open(2)) so that it cannot name a reused
 * pid; only for a server of our own uid (or any, for root).  -errno.
 */
int vm_control_server_pidfd(const char *sock_path, pid_t *pid);

/* Removes the lock file (still holding the lock) and closes it. */
void vm_control_release(const char *sock_path, int lock_fd);

#endif
