// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * disk/req.c - the shape check every layer of the disk stack makes on the
 * requests it takes (see req.h).
 */
#include <errno.h>

#include "disk/req.h"

/* The iovec's total, false if it is NULL or overflows. */
static bool iov_total(const struct iovec *iov, unsigned cnt, uint64_t *total)
{
	unsigned i;

	*total = 0;
	if (!iov)
		return false;
	for (i = 0; i < cnt; i++) {
		if (iov[i].iov_len > UINT64_MAX - *total)
			return false;
		*total += iov[i].iov_len;
	}
	return true;
}

int disk_req_check(const struct disk_req *req, uint32_t gran, uint64_t limit)
{
	uint64_t total;

	if (req->flags & ~(DISK_REQ_FUA | DISK_REQ_UNMAP))
		return -EINVAL;
	switch (req->op) {
	case DISK_FLUSH:
		return 0;
	case DISK_READ:
	case DISK_WRITE:
		if (!req->iovcnt || req->iovcnt > DISK_MAX_IOV ||
		    !iov_total(req->iov, req->iovcnt, &total) || total != req->len)
			return -EINVAL;
		break;
	case DISK_DISCARD:
	case DISK_WRITE_ZEROES:
		break;
	default:
		return -EOPNOTSUPP;
	}
	if (!req->len || req->offset % gran || req->len % gran ||
	    req->offset > limit || req->len > limit - req->offset)
		return -EINVAL;
	return 0;
}
