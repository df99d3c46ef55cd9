/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vm/bundle.h - where bundles and sockets live, and the bundle lock
 * (docs/bundles.md).
 */
#ifndef VMAIN_MONITOR_VM_BUNDLE_H
#define VMAIN_MONITOR_VM_BUNDLE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "vm/config.h"

#define VM_BUNDLE_SUFFIX	".vmain"
#define VM_SYSTEM_VMS_DIR	"/var/lib/vmain/VMs"
#define VM_SYSTEM_RUNTIME_DIR	"/run/vmain"

struct vm_paths {
	bool system;		/* /var/lib/vmain/VMs and /run/vmain */
	char *vms_dir;		/* user: $XDG_DATA_HOME/vmain/VMs, XDG_DATA_HOME defaulting to $HOME/.local/share */
	char *runtime_dir;	/* user: $XDG_RUNTIME_DIR/vmain (error if XDG_RUNTIME_DIR unset: say so) */
};

/*
 * Env overrides for tests and packagers: VMAIN_VMS_DIR, VMAIN_RUNTIME_DIR
 * replace the two dirs when set (user and system alike).  -EINVAL + err
 * when a needed variable is unset or not an absolute path.
 */
int vm_paths_init(struct vm_paths *p, bool system, char *err, size_t errlen);
void vm_paths_free(struct vm_paths *p);
char *vm_bundle_dir(const struct vm_paths *p, const char *name);	/* VMS/NAME.vmain, g_free */
char *vm_socket_path(const struct vm_paths *p, const char *name);	/* RUNTIME/NAME.sock, g_free */
/* mkdir -p, 0700 (system: 0750 group vmain if that group exists); -errno */
int vm_runtime_dir_make(const struct vm_paths *p);

/*
 * Creates VMS (mkdir -p, 0700) and VMS/NAME.vmain (0700; -EEXIST and
 * "NAME already exists") and saves cfg into it; a bundle that cannot be
 * completed is removed again.  -EINVAL for a bad name (vm_name_check()).
 */
int vm_bundle_create(const struct vm_paths *p, const char *name, const struct vm_config *cfg,
		     char *err, size_t errlen);

/*
 * Sorted names of the bundles: entries NAME.vmain that are directories
 * (not symlinks) with a valid name.  Returns how many (0 when VMS does not
 * exist yet) or -errno; *names is NULL-terminated, g_strfreev.
 */
int vm_bundle_list(const struct vm_paths *p, char ***names);

/*
 * Removes the bundle directory recursively without following symlinks
 * (openat/unlinkat: a link inside is removed, never what it points to).
 * It holds the bundle lock while it does: -EBUSY and "NAME is running
 * (pid N)" when some process holds it, this one included.  -ENOENT when
 * there is no such bundle; other -errno + err.
 */
int vm_bundle_delete(const struct vm_paths *p, const char *name, char *err, size_t errlen);

/*
 * The bundle lock: BUNDLE/.lock, flock(LOCK_EX|LOCK_NB), O_CLOEXEC.  On
 * success the holder's pid is written into the file (ftruncate+pwrite)
 * and *fd is the lock.  -EBUSY when another open of the file holds it
 * (flock locks belong to an open file description: a second
 * vm_bundle_lock() in the same process is refused too): *holder = the pid
 * read from the file (0 if unreadable yet).  Other -errno (no bundle:
 * -ENOENT).  The lock dies with the process (kill -9 leaves nothing stale).
 */
int vm_bundle_lock(const char *bundle_dir, int *fd, pid_t *holder);
void vm_bundle_unlock(int fd);

/*
 * true while some process holds the lock; *pid as above (may be NULL).
 * The probe takes and drops a shared lock at once; vm_bundle_lock()
 * retries for a few milliseconds, so a probe never makes a start fail.
 */
bool vm_bundle_running(const char *bundle_dir, pid_t *pid);

/*
 * The config lock, around every read-modify-write of config.ini that can
 * meet another (vmain edit of a running VM, and that VM's monitor writing
 * a disc change): without it one writer's change is lost to the other's
 * rename.  An OFD write lock (fcntl(2), F_OFD_SETLK) on byte 0 of
 * BUNDLE/.lock: Linux keeps fcntl locks apart from the flock that a
 * running VM holds on the same file for its whole life.  Waits up to
 * wait_ms for another writer; -EAGAIN if it still holds the lock then,
 * other -errno (no bundle: -ENOENT).  Dies with its fd or process.
 */
int vm_config_lock(const char *bundle_dir, unsigned int wait_ms, int *fd);
void vm_config_unlock(int fd);

#endif
