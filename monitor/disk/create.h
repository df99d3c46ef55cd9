/* SPDX-License-Identifier: GPL-2.0-or-later */
/* monitor/disk/create.h - making new, empty disk images. */
#ifndef VMAIN_MONITOR_DISK_CREATE_H
#define VMAIN_MONITOR_DISK_CREATE_H

#include <stddef.h>
#include <stdint.h>

enum disk_create_format { DISK_CREATE_RAW, DISK_CREATE_QCOW2 };

/*
 * The largest qcow2 image disk_create() makes: 64 KiB clusters put 8192
 * entries in an L2 table (512 MiB of guest space each), and the L1 table
 * may hold at most 32 MiB of entries (QCOW2_MAX_L1_BYTES, the limit QEMU
 * and our driver share): 2^22 * 2^29 = 2^51 bytes (2 PiB).
 */
#define DISK_CREATE_QCOW2_MAX	(1ull << 51)

/*
 * Creates `path` (O_CREAT|O_EXCL: never overwrites; -EEXIST) as an empty image of `size` bytes
 * (a multiple of 512, > 0; qcow2: at most what the format's tables allow), mode 0600.
 * raw: a sparse file (ftruncate), no blocks allocated.
 * qcow2: version 3, 64 KiB clusters, 16-bit refcounts, no backing file, lazy refcounts off,
 * an L1 table big enough for `size`, a refcount table and refcount block(s) covering the
 * metadata, all fsynced (file and directory) before returning; what qemu-img create -f qcow2
 * would make in substance (qemu-img check reports no errors and no leaks; qemu-img info reads
 * it; our qcow2 driver opens it and reads zeros).
 * On failure nothing is left behind (the partial file is unlinked).  0 or -errno, err says why.
 *
 * The mode is 0600 whatever the umask (fchmod after the create).  err is
 * one line without the path (as disk_open()'s).  Blocking: call it off
 * the I/O loop.
 */
int disk_create(const char *path, enum disk_create_format fmt, uint64_t size,
		char *err, size_t errlen);

#endif
