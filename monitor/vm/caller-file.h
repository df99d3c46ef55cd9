/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vm/caller-file.h - opening a file a D-Bus caller named, for a caller
 * who is not the VM's owner (a member of group vmain on a system VM).
 */
#ifndef VMAIN_MONITOR_VM_CALLER_FILE_H
#define VMAIN_MONITOR_VM_CALLER_FILE_H

#include <stddef.h>
#include <sys/types.h>

/*
 * The monitor reads with its own rights, which must not become the
 * caller's: the file `path` names now, opened read-only without following
 * a final symlink, must be a regular file that `caller` owns.  Its fd
 * (O_CLOEXEC), to be opened again through /proc/self/fd so that the same
 * inode is used whatever the path names later; or -errno with a message:
 * -ELOOP a symlink, -EPERM not a regular file of the caller's, or the
 * open's own error.
 */
int vm_open_callers_file(const char *path, uid_t caller, char *err, size_t errlen);

#endif
