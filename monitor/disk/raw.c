// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * disk/raw.c - the raw image format: guest byte N is file byte N.
 *
 * Requests pass straight to the file's write cache, which merges, orders
 * and syncs them.  The guest-visible size is the file (or block device)
 * size rounded down to whole sectors; a trailing partial sector is not
 * shown.  DISCARD and WRITE_ZEROES punch holes in a regular file
 * (fallocate).  On a block device DISCARD is ioctl(BLKDISCARD), run in the
 * worker pool (the punch-hole fallocate there is a zeroing discard that
 * devices without write-zeroes refuse), and WRITE_ZEROES stays the
 * fallocate, the kernel's write-zeroes (see docs/storage.md).
 */
#include <errno.h>
#include <stdio.h>

#include "disk/disk.h"

/* Any image can be read raw: raw is what a file is when it is nothing else. */
static bool raw_probe(const uint8_t *buf, size_t len)
{
	(void)buf;
	(void)len;
	return true;
}

static int raw_open(struct disk *d, const struct disk_options *o, char *err,
		    size_t errlen)
{
	(void)o;
	d->size = d->file.size & ~(uint64_t)(DISK_SECTOR - 1);
	if (!d->size) {
		snprintf(err, errlen, "the image is empty (a raw disk needs at least %u bytes)",
			 DISK_SECTOR);
		return -EINVAL;
	}
	d->can_discard = true;
	return 0;
}

static void raw_submit(struct disk *d, struct disk_req *req)
{
	wcache_submit(d->file.cache, req);
}

static void raw_unplug(struct disk *d)
{
	wcache_unplug(d->file.cache);
}

static unsigned raw_pending(struct disk *d)
{
	return wcache_pending(d->file.cache);
}

static void raw_close(struct disk *d)
{
	(void)d;
}

const struct disk_format_ops disk_raw_ops = {
	.name = "raw",
	.probe = raw_probe,
	.open = raw_open,
	.submit = raw_submit,
	.unplug = raw_unplug,
	.pending = raw_pending,
	.close = raw_close,
};
