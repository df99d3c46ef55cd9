// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * disk/disk.c - opening, checking and closing disk images (see disk.h):
 * the file, its lock, its size, its engine and cache, then the format.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "disk/disk.h"

#define PROBE_LEN	4096	/* also the O_DIRECT alignment of the probe read */
/*
 * A busy lock is looked at again every LOCK_POLL_MS, for o->lock_wait_ms
 * (DISK_LOCK_WAIT_MS at a VM's start).  A process killed with its writes
 * in flight holds its image's lock a little beyond its death: io_uring
 * tears the ring down in a kernel worker, after the process is reaped,
 * and its requests hold the open file (so the flock) until they end.
 * Measured: 3-16 ms after waitpid() (tests/disk/crash-test, idle and
 * loaded host), longer where the writes are slow (an fsync on a busy
 * disk, NFS).  A VM started again at once, after a kill -9 or a crash,
 * must not fail for it.  Nothing else waits: a disc change or a backing
 * file conflicts with a lock that does not go away by itself (flock
 * belongs to the open file, so one of this process's own too).
 */
#define LOCK_POLL_MS	5

/* The formats, most specific first; raw accepts anything and comes last. */
static const struct disk_format_ops *const formats[] = {
	&disk_qcow2_ops,
	&disk_raw_ops,
};

/* A request disk_submit() refused, completed from a bottom half. */
struct disk_reject {
	struct disk_req *req;
	int ret;
	struct disk_reject *next;
};


int disk_format_parse(const char *s, enum disk_format *out)
{
	if (!strcmp(s, "raw"))
		*out = DISK_FORMAT_RAW;
	else if (!strcmp(s, "qcow2"))
		*out = DISK_FORMAT_QCOW2;
	else if (!strcmp(s, "auto"))
		*out = DISK_FORMAT_AUTO;
	else
		return -EINVAL;
	return 0;
}

int disk_cache_parse(const char *s, enum wcache_mode *out)
{
	if (!strcmp(s, "writeback"))
		*out = WCACHE_WRITEBACK;
	else if (!strcmp(s, "writethrough"))
		*out = WCACHE_WRITETHROUGH;
	else if (!strcmp(s, "none"))
		*out = WCACHE_DIRECT;
	else
		return -EINVAL;
	return 0;
}

/* flock(2)s fd, waiting wait_ms at most (by the clock) for a busy lock: -EBUSY. */
static int lock_file(int fd, bool shared, unsigned wait_ms)
{
	const struct timespec poll = { .tv_nsec = LOCK_POLL_MS * 1000000L };
	int64_t deadline = ioloop_now_ns() + wait_ms * 1000000ll;

	for (;;) {
		if (!flock(fd, (shared ? LOCK_SH : LOCK_EX) | LOCK_NB))
			return 0;
		if (errno != EWOULDBLOCK)
			return -errno;
		if (ioloop_now_ns() >= deadline)
			return -EBUSY;
		nanosleep(&poll, NULL);
	}
}

static int file_open(struct disk *d, const struct disk_options *o, char *err,
		     size_t errlen)
{
	int flags = (o->readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC;
	struct stat st;
	int ret;

	if (o->cache == WCACHE_DIRECT)
		flags |= O_DIRECT;
	d->file.fd = open(o->path, flags);
	if (d->file.fd < 0 && errno == EINVAL && (flags & O_DIRECT)) {
		snprintf(err, errlen, "cache=none needs O_DIRECT, which this "
			 "filesystem does not support");
		return -EINVAL;
	}
	if (d->file.fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot open it%s: %s",
			 o->readonly ? " for reading" : " for reading and writing",
			 strerror(errno));
		return ret;
	}
	/* One writer or any number of readers, across processes (flock(2)). */
	ret = lock_file(d->file.fd, o->readonly, o->lock_wait_ms);
	if (ret) {
		snprintf(err, errlen, "%s", ret == -EBUSY ?
			 "it is in use (locked) by another process" : strerror(-ret));
		goto close_fd;
	}
	if (fstat(d->file.fd, &st)) {
		ret = -errno;
		snprintf(err, errlen, "cannot stat it: %s", strerror(errno));
		goto close_fd;
	}
	if (S_ISREG(st.st_mode)) {
		d->file.size = (uint64_t)st.st_size;
	} else if (S_ISBLK(st.st_mode)) {
		d->file.block_device = true;
		if (ioctl(d->file.fd, BLKGETSIZE64, &d->file.size)) {
			ret = -errno;
			snprintf(err, errlen, "cannot read the block device's size: %s",
				 strerror(errno));
			goto close_fd;
		}
	} else {
		ret = -EINVAL;
		snprintf(err, errlen, "not a regular file or a block device");
		goto close_fd;
	}
	return 0;

close_fd:
	close(d->file.fd);
	d->file.fd = -1;
	return ret;
}

/* Reads the file's first bytes (aligned: the fd may be O_DIRECT). */
static int probe_read(struct disk *d, uint8_t **buf, size_t *len, char *err,
		      size_t errlen)
{
	ssize_t n;

	if (posix_memalign((void **)buf, PROBE_LEN, PROBE_LEN))
		return -ENOMEM;
	memset(*buf, 0, PROBE_LEN);
	do
		n = pread(d->file.fd, *buf, PROBE_LEN, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		int ret = -errno;

		snprintf(err, errlen, "cannot read it: %s", strerror(errno));
		free(*buf);
		return ret;
	}
	*len = (size_t)n;
	return 0;
}

static int pick_format(struct disk *d, const struct disk_options *o, char *err,
		       size_t errlen)
{
	const struct disk_format_ops *found = NULL;
	uint8_t *buf;
	size_t len = 0, i;
	int ret;

	ret = probe_read(d, &buf, &len, err, errlen);
	if (ret)
		return ret;
	for (i = 0; i < sizeof(formats) / sizeof(formats[0]) && !found; i++)
		if (formats[i]->probe(buf, len))
			found = formats[i];
	free(buf);
	if (o->format == DISK_FORMAT_AUTO) {
		d->ops = found;
		return 0;
	}
	d->ops = o->format == DISK_FORMAT_QCOW2 ? &disk_qcow2_ops : &disk_raw_ops;
	if (found != d->ops) {
		snprintf(err, errlen, "format=%s was given, but the image is %s",
			 d->ops->name, found == &disk_raw_ops ? "not qcow2" :
			 "qcow2 (its header says so)");
		return -EINVAL;
	}
	return 0;
}

static void rejects_run(void *opaque)
{
	struct disk *d = opaque;
	struct disk_reject *r, *next;

	pthread_mutex_lock(&d->reject_lock);
	r = d->rejects;
	d->rejects = NULL;
	d->rejects_tail = &d->rejects;
	pthread_mutex_unlock(&d->reject_lock);
	for (; r; r = next) {
		next = r->next;
		r->req->done(r->req, r->ret);
		free(r);
	}
}

static int engine_and_cache(struct disk *d, const struct disk_options *o,
			    char *err, size_t errlen)
{
	int ret;

	ret = uring_engine_create(&d->file.engine, d->loop, d->file.fd,
				  URING_DEFAULT_DEPTH);
	if (ret) {
		snprintf(err, errlen, "cannot set up io_uring: %s", strerror(-ret));
		return ret;
	}
	d->cache_cfg.mode = o->cache;
	d->cache_cfg.max_dirty = o->max_dirty;
	d->cache_cfg.max_age_ns = o->max_age_ns;
	ret = wcache_create(&d->file.cache, d->loop, d->file.engine, &d->cache_cfg);
	if (ret) {
		snprintf(err, errlen, "cannot set up its cache: %s", strerror(-ret));
		uring_engine_destroy(d->file.engine);
		d->file.engine = NULL;
		return ret;
	}
	/* A device's discard is BLKDISCARD, a blocking ioctl: for the pool. */
	if (d->file.block_device && d->pool && !o->readonly)
		wcache_set_block_device(d->file.cache, d->pool, d->file.fd);
	return 0;
}

int disk_open(struct disk **out, const struct disk_options *o, struct ioloop *l,
	      struct pool *p, char *err, size_t errlen)
{
	struct disk *d;
	int ret;

	if (o->depth > DISK_MAX_BACKING_DEPTH) {
		snprintf(err, errlen, "the backing-file chain is longer than %d",
			 DISK_MAX_BACKING_DEPTH);
		return -ELOOP;
	}
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	disk_init(d, l);
	d->pool = p;
	d->readonly = o->readonly;
	d->writeback = o->cache != WCACHE_WRITETHROUGH;
	memcpy(d->serial, o->serial, sizeof(d->serial));
	d->serial[DISK_SERIAL_MAX] = 0;
	d->bus = o->bus;
	d->path = strdup(o->path);
	if (!d->path) {
		ret = -ENOMEM;
		goto free_d;
	}
	ret = file_open(d, o, err, errlen);
	if (ret)
		goto free_d;
	ret = pick_format(d, o, err, errlen);
	if (ret)
		goto close_file;
	ret = engine_and_cache(d, o, err, errlen);
	if (ret)
		goto close_file;
	ret = d->ops->open(d, o, err, errlen);
	if (ret)
		goto free_cache;
	*out = d;
	return 0;

free_cache:
	wcache_destroy(d->file.cache);
	uring_engine_destroy(d->file.engine);
close_file:
	close(d->file.fd);
free_d:
	free(d->path);
	disk_fini(d);
	free(d);
	return ret;
}

void disk_init(struct disk *d, struct ioloop *l)
{
	d->loop = l;
	d->file.fd = -1;
	pthread_mutex_init(&d->reject_lock, NULL);
	d->rejects = NULL;
	d->rejects_tail = &d->rejects;
	ioloop_bh_init(&d->reject_bh, rejects_run, d);
}

void disk_fini(struct disk *d)
{
	pthread_mutex_destroy(&d->reject_lock);
}

static void reject(struct disk *d, struct disk_req *req, int ret)
{
	struct disk_reject *r = malloc(sizeof(*r));

	/* Out of memory for the note: there is no way to complete it later. */
	if (!r) {
		fprintf(stderr, "vmain: out of memory completing a disk request\n");
		abort();
	}
	r->req = req;
	r->ret = ret;
	r->next = NULL;
	pthread_mutex_lock(&d->reject_lock);
	*d->rejects_tail = r;
	d->rejects_tail = &r->next;
	pthread_mutex_unlock(&d->reject_lock);
	ioloop_bh_schedule(d->loop, &d->reject_bh);
}

static int check_req(const struct disk *d, const struct disk_req *req)
{
	int ret = disk_req_check(req, DISK_SECTOR, d->size);

	if (!ret && req->op != DISK_READ && req->op != DISK_FLUSH && d->readonly)
		return -EROFS;
	return ret;
}

void disk_submit(struct disk *d, struct disk_req *req)
{
	int ret = check_req(d, req);

	if (ret)
		reject(d, req, ret);
	else
		d->ops->submit(d, req);
}

void disk_unplug(struct disk *d)
{
	if (d->ops->unplug)
		d->ops->unplug(d);
}

unsigned disk_pending(struct disk *d)
{
	return d->ops->pending(d);
}

void disk_set_writeback(struct disk *d, bool on)
{
	d->writeback = on;
	if (d->file.cache)
		wcache_set_writeback(d->file.cache, on);
	if (d->ops->set_writeback)
		d->ops->set_writeback(d, on);
}

bool disk_writeback(const struct disk *d)
{
	return d->writeback;
}

/* --- flushing; closing: a final FLUSH through the format, then the teardown */

struct flush_wait {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool done;
	int ret;
	struct disk *d;
	struct disk_req req;
};

static void flush_done(struct disk_req *req, int ret)
{
	struct flush_wait *w = req->opaque;

	pthread_mutex_lock(&w->lock);
	w->done = true;
	w->ret = ret;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

static void flush_start(void *opaque)
{
	struct flush_wait *w = opaque;

	w->req.op = DISK_FLUSH;
	w->req.done = flush_done;
	w->req.opaque = w;
	/* Nothing to write back on a read-only disk. */
	if (w->d->readonly) {
		flush_done(&w->req, 0);
		return;
	}
	w->d->ops->submit(w->d, &w->req);
	disk_unplug(w->d);
}

static void close_finish(void *opaque)
{
	struct disk *d = opaque;

	d->ops->close(d);
}

int disk_flush(struct disk *d)
{
	struct flush_wait w = { .d = d };

	pthread_mutex_init(&w.lock, NULL);
	pthread_cond_init(&w.cond, NULL);
	ioloop_call_sync(d->loop, flush_start, &w);
	pthread_mutex_lock(&w.lock);
	while (!w.done) {
		if (ioloop_in_loop(d->loop)) {
			/* Tests turn the loop by hand on this thread. */
			pthread_mutex_unlock(&w.lock);
			ioloop_run_once(d->loop, 100);
			pthread_mutex_lock(&w.lock);
		} else {
			pthread_cond_wait(&w.cond, &w.lock);
		}
	}
	pthread_mutex_unlock(&w.lock);
	pthread_cond_destroy(&w.cond);
	pthread_mutex_destroy(&w.lock);
	return w.ret;
}

int disk_identity(struct disk *d, struct disk_identity *id)
{
	struct stat st;
	uint8_t *buf;
	ssize_t n;

	memset(id, 0, sizeof(*id));
	if (fstat(d->file.fd, &st))
		return -errno;
	id->file_size = (uint64_t)st.st_size;
	if (d->file.block_device && ioctl(d->file.fd, BLKGETSIZE64, &id->file_size))
		return -errno;
	/* Aligned for a file opened O_DIRECT (cache=none). */
	buf = aligned_alloc(4096, DISK_IDENTITY_HEAD);
	if (!buf)
		return -ENOMEM;
	do
		n = pread(d->file.fd, buf, DISK_IDENTITY_HEAD, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		n = -errno;
		free(buf);
		return (int)n;
	}
	id->head_len = (uint32_t)n;
	id->head_crc = (uint32_t)crc32(0, buf, (uInt)n);
	free(buf);
	return 0;
}

void disk_close(struct disk *d)
{
	int ret;

	if (!d)
		return;
	ret = disk_flush(d);
	if (ret)
		fprintf(stderr, "vmain: %s: the final flush failed: %s\n", d->path,
			strerror(-ret));
	ioloop_call_sync(d->loop, close_finish, d);
	wcache_destroy(d->file.cache);
	uring_engine_destroy(d->file.engine);
	/* Bad requests still being completed: let their bottom half run. */
	ioloop_call_sync(d->loop, rejects_run, d);
	close(d->file.fd);		/* drops the flock */
	free(d->path);
	disk_fini(d);
	free(d);
}
