/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * io/fsync-dir.h - making a directory's entries durable.
 *
 * A new or renamed file is durable only once its directory is fsynced
 * too (fsync(2): "Calling fsync() does not necessarily ensure that the
 * entry in the directory containing the file has also reached disk").
 */
#ifndef VMAIN_MONITOR_IO_FSYNC_DIR_H
#define VMAIN_MONITOR_IO_FSYNC_DIR_H

/* fsync(2) of directory `dir`; 0 or -errno. */
int fsync_dir(const char *dir);

#endif
