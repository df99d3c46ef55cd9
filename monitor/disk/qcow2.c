// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * disk/qcow2.c - the qcow2 image format (QEMU's docs/interop/qcow2.txt,
 * versions 2 and 3, as `qemu-img create -f qcow2` makes them): the ops
 * table, opening (header, tables, backing file) and closing, and the
 * completion of guest requests.  The pieces are described in
 * qcow2-internal.h.
 *
 * Supported: reading and writing, any cluster size QEMU supports (512
 * bytes to 2 MiB), refcounts of any width (1 to 64 bits), zero clusters,
 * compressed clusters (read; zlib or zstd), backing files (raw or qcow2,
 * chained, read-only), lazy_refcounts images (refcounts are kept exact
 * anyway).  Refused: encryption, external data files, extended L2
 * entries, unknown incompatible features; writing to an image with
 * internal snapshots, or one marked dirty or corrupt (open those
 * read-only).
 */
#include <errno.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "disk/qcow2-internal.h"

static bool qcow2_probe(const uint8_t *buf, size_t len)
{
	return len >= 4 && qcow2_be32(buf) == QCOW2_MAGIC;
}

int qcow2_set_corrupt(struct qcow2 *q, const char *fmt, ...)
{
	char msg[160];
	va_list ap;

	if (!q->corrupt) {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		fprintf(stderr, "vmain: %s: the qcow2 image is corrupt: %s; it is "
			"not written to any more\n", q->d->path, msg);
		q->corrupt = true;
	}
	return -EIO;
}

bool qcow2_write_through(const struct qcow2 *q)
{
	return !disk_writeback(q->d);
}

void qcow2_unplug_all(struct qcow2 *q)
{
	qcow2_meta_run_kicks(q);
	wcache_unplug(q->d->file.cache);
	if (q->backing)
		disk_unplug(q->backing);
}

/* == Completion: always from the bottom half, never inside submit == */

void qcow2_complete(struct qcow2_req *r)
{
	struct qcow2 *q = r->q;

	r->next = NULL;
	*q->done_tail = r;
	q->done_tail = &r->next;
	ioloop_bh_schedule(q->d->loop, &q->done_bh);
}

static void done_bh(void *opaque)
{
	struct qcow2 *q = opaque;
	struct qcow2_req *r = q->done_head, *next;
	struct disk_req *lost = q->oom_head, *lnext;

	q->done_head = NULL;
	q->done_tail = &q->done_head;
	q->oom_head = NULL;
	for (; r; r = next) {
		struct disk_req *req = r->req;
		int err = r->err;

		next = r->next;
		free(r);
		q->nreqs--;
		req->done(req, err);
	}
	for (; lost; lost = lnext) {
		lnext = lost->priv[0];
		q->nreqs--;
		lost->done(lost, -ENOMEM);
	}
}

static void qcow2_submit(struct disk *d, struct disk_req *req)
{
	struct qcow2 *q = d->priv;
	struct qcow2_req *r = malloc(sizeof(*r));

	q->nreqs++;
	if (!r) {
		/* No note to keep: the request itself carries the link. */
		req->priv[0] = q->oom_head;
		q->oom_head = req;
		ioloop_bh_schedule(d->loop, &q->done_bh);
		return;
	}
	qcow2_req_start(q, req, r);
}

int qcow2_get_stats(const struct disk *d, struct qcow2_stats *out)
{
	const struct qcow2 *q = d->priv;

	if (d->ops != &disk_qcow2_ops || !q)
		return -EINVAL;
	*out = q->stats;
	out->l2_loads = q->l2c.loads;
	out->rb_loads = q->rbc.loads;
	return 0;
}

static void qcow2_unplug(struct disk *d)
{
	qcow2_unplug_all(d->priv);
}

static unsigned qcow2_pending(struct disk *d)
{
	struct qcow2 *q = d->priv;

	return q->nreqs;
}

/* == Open == */

/* qcow2.txt "Header": a relative backing file name is relative to the image. */
static int backing_path(const char *image, const char *name, char **out)
{
	char *dir, *copy;
	int n;

	if (name[0] == '/') {
		*out = strdup(name);
		return *out ? 0 : -ENOMEM;
	}
	copy = strdup(image);
	if (!copy)
		return -ENOMEM;
	dir = dirname(copy);
	n = asprintf(out, "%s/%s", dir, name);
	free(copy);
	return n < 0 ? -ENOMEM : 0;
}

static int open_backing(struct qcow2 *q, const struct disk_options *o, char *err,
			size_t errlen)
{
	struct disk_options bo = *o;
	char sub[160], *path;
	int ret;

	if (!q->h.backing_len)
		return 0;
	if (o->format == DISK_FORMAT_AUTO) {
		/*
		 * A qcow2 header found by probing could be a guest's: a raw
		 * image's guest can write one into its first sector, naming
		 * any host file as its backing file, and read that file after
		 * the next start (QEMU's CVE-2008-2004).  A backing file is
		 * followed only when the user said the image is qcow2, or its
		 * parent's header names its format (backing_fmt): a backing
		 * file probed for lack of one (another VM's raw disk, say) is
		 * taken without a backing file of its own.
		 */
		snprintf(err, errlen, "a qcow2 image with a backing file (%.60s), found by probing: "
			 "give format=qcow2 if it is yours (a raw image's guest can write such "
			 "a header)", q->h.backing);
		return -EPERM;
	}
	if (!q->h.backing_fmt[0])
		bo.format = DISK_FORMAT_AUTO;
	else if (disk_format_parse(q->h.backing_fmt, &bo.format) ||
		 bo.format == DISK_FORMAT_AUTO) {
		snprintf(err, errlen, "backing file format '%s' is not supported",
			 q->h.backing_fmt);
		return -EOPNOTSUPP;
	}
	ret = backing_path(q->d->path, q->h.backing, &path);
	if (ret)
		return ret;
	bo.path = path;
	bo.readonly = true;
	bo.serial[0] = 0;
	bo.lock_wait_ms = 0;	/* one of ours (a loop in the chain) would not go away */
	bo.depth = o->depth + 1;
	ret = disk_open(&q->backing, &bo, q->d->loop, q->d->pool, sub, sizeof(sub));
	if (ret)
		snprintf(err, errlen, "backing file %s: %s", q->h.backing, sub);
	free(path);
	q->has_backing = !ret;
	return ret;
}

static unsigned cache_slots(uint64_t bytes, unsigned max, uint64_t cluster_size)
{
	uint64_t n = bytes / cluster_size;

	if (n < QCOW2_CACHE_MIN)
		n = QCOW2_CACHE_MIN;
	return n > max ? max : (unsigned)n;
}

static int open_memory(struct qcow2 *q)
{
	int ret;

	if (posix_memalign((void **)&q->zero_buf, 4096, q->cluster_size))
		return -ENOMEM;
	memset(q->zero_buf, 0, q->cluster_size);
	ret = qcow2_tcache_init(&q->l2c, q, cache_slots(QCOW2_L2_CACHE_BYTES,
							QCOW2_L2_CACHE_MAX,
							q->cluster_size));
	if (!ret)
		ret = qcow2_tcache_init(&q->rbc, q, cache_slots(QCOW2_RB_CACHE_BYTES,
								QCOW2_RB_CACHE_MAX,
								q->cluster_size));
	if (!ret)
		ret = qcow2_cycle_init(q);
	return ret;
}

static void qcow2_free(struct qcow2 *q)
{
	qcow2_cycle_fini(q);
	qcow2_tcache_fini(&q->l2c);
	qcow2_tcache_fini(&q->rbc);
	qcow2_freelist_fini(&q->frees_pending);
	qcow2_freelist_fini(&q->frees_inflight);
	qcow2_freelist_fini(&q->frees_ready);
	qcow2_freelist_fini(&q->rt_retired);
	free(q->l1);
	free(q->rt);
	free(q->hdr_sector);
	free(q->zero_buf);
	free(q);
}

static int qcow2_open(struct disk *d, const struct disk_options *o, char *err,
		      size_t errlen)
{
	struct qcow2 *q = calloc(1, sizeof(*q));
	int ret;

	err[0] = 0;
	if (!q)
		return -ENOMEM;
	q->d = d;
	q->writable = !d->readonly;
	q->done_tail = &q->done_head;
	ioloop_bh_init(&q->done_bh, done_bh, q);
	if (posix_memalign((void **)&q->hdr_sector, 4096, DISK_SECTOR)) {
		ret = -ENOMEM;
		goto free_q;
	}
	ret = qcow2_read_header(q, err, errlen);
	if (!ret)
		ret = qcow2_read_tables(q, err, errlen);
	if (!ret)
		ret = qcow2_find_alloc_end(q, err, errlen);
	if (!ret)
		ret = open_memory(q);
	if (!ret)
		ret = qcow2_clear_autoclear(q, err, errlen);
	if (!ret)
		ret = open_backing(q, o, err, errlen);
	if (ret)
		goto free_q;
	d->size = q->h.size & ~(uint64_t)(DISK_SECTOR - 1);
	d->can_discard = true;
	d->priv = q;
	return 0;

free_q:
	if (ret == -ENOMEM && !err[0])
		snprintf(err, errlen, "out of memory");
	qcow2_free(q);
	return ret;
}

static void qcow2_close(struct disk *d)
{
	struct qcow2 *q = d->priv;

	if (q->writable && (qcow2_meta_dirty(q) || q->cycle.running))
		fprintf(stderr, "vmain: %s: closing with qcow2 metadata not written "
			"back (a failed flush): the image may have leaked clusters\n",
			d->path);
	if (q->backing)
		disk_close(q->backing);
	d->priv = NULL;
	/*
	 * Only after a failed final flush can a retry cycle still be in
	 * flight: its completions would find freed memory, so it stays.
	 */
	if (q->cycle.running) {
		qcow2_cycle_fini(q);
		return;
	}
	qcow2_free(q);
}

const struct disk_format_ops disk_qcow2_ops = {
	.name = "qcow2",
	.probe = qcow2_probe,
	.open = qcow2_open,
	.submit = qcow2_submit,
	.unplug = qcow2_unplug,
	.pending = qcow2_pending,
	.close = qcow2_close,
};
