// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * disk/qcow2-compress.c - reading compressed clusters (qcow2.txt
 * "Compressed Clusters Descriptor", "compression_type").
 *
 * The compressed bytes are read through the write cache (whole sectors:
 * the data starts anywhere in its first sector and ends somewhere in its
 * last), then decompressed in a worker-pool job, off the I/O loop: raw
 * deflate for zlib (no zlib header), zstd frames for zstd.  A cluster
 * must come out whole; anything else is an I/O error.
 */
#include <errno.h>
#include <stdlib.h>
#include <zlib.h>
#include <zstd.h>

#include "disk/qcow2-internal.h"

static int inflate_raw(const uint8_t *in, size_t in_len, uint8_t *out,
		       size_t out_len)
{
	z_stream s;
	int ret;

	memset(&s, 0, sizeof(s));
	/* Negative window bits: a raw deflate stream; 15 reads any window. */
	if (inflateInit2(&s, -MAX_WBITS) != Z_OK)
		return -ENOMEM;
	s.next_in = (Bytef *)(uintptr_t)in;
	s.avail_in = (uInt)in_len;
	s.next_out = out;
	s.avail_out = (uInt)out_len;
	ret = inflate(&s, Z_FINISH);
	inflateEnd(&s);
	/* Decompression "stops when it has produced a cluster of data". */
	if ((ret == Z_STREAM_END || ret == Z_BUF_ERROR || ret == Z_OK) &&
	    s.avail_out == 0)
		return 0;
	return -EIO;
}

static int unzstd(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_len)
{
	ZSTD_inBuffer ib = { in, in_len, 0 };
	ZSTD_outBuffer ob = { out, out_len, 0 };
	ZSTD_DCtx *dc = ZSTD_createDCtx();
	int ret = -EIO;

	if (!dc)
		return -ENOMEM;
	/* Frame after frame until the cluster is full or the input ends. */
	while (ob.pos < ob.size && ib.pos < ib.size) {
		size_t before_in = ib.pos, before_out = ob.pos;
		size_t r = ZSTD_decompressStream(dc, &ob, &ib);

		if (ZSTD_isError(r))
			break;
		if (ib.pos == before_in && ob.pos == before_out)
			break;
	}
	if (ob.pos == ob.size)
		ret = 0;
	ZSTD_freeDCtx(dc);
	return ret;
}

int qcow2_decompress(int type, const uint8_t *in, size_t in_len, uint8_t *out,
		     size_t out_len)
{
	if (type == QCOW2_COMPRESSION_ZSTD)
		return unzstd(in, in_len, out, out_len);
	return inflate_raw(in, in_len, out, out_len);
}

static void job_run(struct pool_job *job)
{
	struct qcow2_comp *c = job->opaque;

	c->ret = qcow2_decompress(c->q->h.compression, c->in + c->in_skip,
				  c->in_len - c->in_skip, c->out, c->q->cluster_size);
}

static void job_done(struct pool_job *job, int ret)
{
	struct qcow2_comp *c = job->opaque;
	struct qcow2 *q = c->q;

	/* done() may free c. */
	c->done(c, ret ? ret : c->ret);
	qcow2_unplug_all(q);
}

static void read_done(struct disk_req *req, int ret)
{
	struct qcow2_comp *c = req->opaque;
	struct qcow2 *q = c->q;

	if (ret) {
		c->done(c, ret);
		qcow2_unplug_all(q);
		return;
	}
	if (!c->q->d->pool) {
		job_run(&c->job);
		job_done(&c->job, 0);
		return;
	}
	c->job.run = job_run;
	c->job.done = job_done;
	c->job.loop = c->q->d->loop;
	c->job.opaque = c;
	pool_submit(c->q->d->pool, &c->job);
}

int qcow2_comp_start(struct qcow2 *q, struct qcow2_comp *c,
		     const struct qcow2_map *m)
{
	uint64_t start = m->host & ~(uint64_t)(DISK_SECTOR - 1);

	c->q = q;
	c->host = m->host;
	c->csize = m->csize;
	c->in_skip = (size_t)(m->host - start);
	c->in_len = c->in_skip + (size_t)m->csize;
	if (posix_memalign((void **)&c->in, 4096, c->in_len))
		c->in = NULL;
	c->out = malloc(q->cluster_size);
	if (!c->in || !c->out) {
		qcow2_comp_fini(c);
		return -ENOMEM;
	}
	c->iov.iov_base = c->in;
	c->iov.iov_len = c->in_len;
	memset(&c->io, 0, sizeof(c->io));
	c->io.op = DISK_READ;
	c->io.offset = start;
	c->io.len = c->in_len;
	c->io.iov = &c->iov;
	c->io.iovcnt = 1;
	c->io.done = read_done;
	c->io.opaque = c;
	wcache_submit(q->d->file.cache, &c->io);
	return 0;
}

void qcow2_comp_fini(struct qcow2_comp *c)
{
	free(c->in);
	free(c->out);
	c->in = NULL;
	c->out = NULL;
}
