/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * disk/options.h - parsing a `--disk FILE[,KEY=VALUE...]` option into
 * struct disk_options (syntax in options.c and docs/storage.md).
 */
#ifndef VMAIN_MONITOR_DISK_OPTIONS_H
#define VMAIN_MONITOR_DISK_OPTIONS_H

#include <stddef.h>

#include "disk/disk.h"

#define DISK_MIN_MAX_DIRTY	(1ull << 20)
#define DISK_MAX_MAX_DIRTY	(4ull << 30)
#define DISK_MAX_MAX_AGE_MS	60000u

/*
 * Fills `o` (defaults: format auto, cache writeback, read-write, no
 * serial) from `spec`.  *path gets the file name (malloc'd, o->path
 * points at it; the caller frees it).  -EINVAL with a one-line reason in
 * err, or -ENOMEM.
 */
int disk_options_parse(const char *spec, struct disk_options *o, char **path,
		       char *err, size_t errlen);

#endif
