// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * io/outbuf.c - a bounded output buffer for one fd, drained by the I/O
 * loop (see outbuf.h).
 *
 * The queue is a ring: `len` bytes from `head`, wrapping at `cap`.
 * Writers append after them under `lock`; the loop thread alone consumes
 * them.  It reads the queued bytes and calls write(2) without the lock:
 * writers only fill the free space after the queue and only the loop
 * moves `head`, so those bytes cannot change under it, and a writer never
 * waits for the fd.
 *
 * Who owes the fd a write.  `kicked` is set by the writer that queues
 * bytes into a drained buffer, which then schedules the bottom half; it
 * stays set while the loop writes and while it waits for EPOLLOUT, and is
 * cleared only when the loop finds the queue empty (or the output gone).
 * So there is one wake-up per burst of output, not one per write, and the
 * loop watches the fd only while it refuses bytes: no timer, no polling.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "io/outbuf.h"

#define NS_PER_MS	1000000ll
#define NS_PER_SEC	1000000000ll

struct outbuf {
	/* fixed at creation */
	struct ioloop *loop;
	int fd;
	bool restore_nonblock;		/* O_NONBLOCK was ours to set */
	size_t cap;
	uint8_t *ring;
	struct ioloop_bh bh;		/* flush_bh() */
	/* loop thread */
	struct ioloop_watch *watch;	/* EPOLLOUT, only while the fd is full */
	/* any thread */
	_Atomic uint64_t dropped;
	pthread_mutex_t lock;
	pthread_cond_t drained;		/* the queue emptied, or the output died */
	/* lock */
	size_t head;			/* the oldest queued byte */
	size_t len;			/* bytes queued */
	bool kicked;			/* the loop owes the fd a write, see above */
	bool dead;			/* the fd failed, or destroy gave up */
};

static size_t min_size(size_t a, size_t b)
{
	return a < b ? a : b;
}

/* ---- the writers' side ---- */

/* Appends n bytes (n <= cap - len).  Lock held. */
static void ring_put(struct outbuf *ob, const uint8_t *src, size_t n)
{
	size_t tail = (ob->head + ob->len) % ob->cap;
	size_t first = min_size(n, ob->cap - tail);

	memcpy(ob->ring + tail, src, first);
	memcpy(ob->ring, src + first, n - first);
	ob->len += n;
}

size_t outbuf_write(struct outbuf *ob, const void *buf, size_t len)
{
	size_t took = 0;
	bool kick = false;

	if (!ob || !len)
		return 0;
	pthread_mutex_lock(&ob->lock);
	if (!ob->dead) {
		/* The newest bytes go, never queued ones: gaps, not garbage. */
		took = min_size(len, ob->cap - ob->len);
		ring_put(ob, buf, took);
		kick = took && !ob->kicked;
		if (kick)
			ob->kicked = true;
	}
	pthread_mutex_unlock(&ob->lock);
	if (len > took)
		atomic_fetch_add(&ob->dropped, len - took);
	/* Outside the lock: the loop's own lock is not nested in ours. */
	if (kick)
		ioloop_bh_schedule(ob->loop, &ob->bh);
	return took;
}

uint64_t outbuf_dropped(const struct outbuf *ob)
{
	return atomic_load(&ob->dropped);
}

/* ---- the loop's side ---- */

/* The output is gone: what is queued, and all that comes, is dropped.  Lock held. */
static void drop_all_locked(struct outbuf *ob)
{
	atomic_fetch_add(&ob->dropped, ob->len);
	ob->head = 0;
	ob->len = 0;
	ob->dead = true;
}

/* write(2) of one piece: bytes written, or -errno (0 counts as -EIO). */
static ssize_t fd_write(int fd, const uint8_t *p, size_t n)
{
	ssize_t ret;

	do {
		ret = write(fd, p, n);
	} while (ret < 0 && errno == EINTR);
	if (ret < 0)
		return -errno;
	/* Nothing written and no error: no progress would ever be made. */
	return ret ? ret : -EIO;
}

/*
 * Writes what the fd takes now.  Returns true when it stopped at EAGAIN
 * with bytes still queued (the caller waits for EPOLLOUT); otherwise the
 * queue is empty or the output dead, and `kicked` is cleared.  `hangup`:
 * the fd reported EPOLLHUP or EPOLLERR, so an EAGAIN now would never end.
 */
static bool flush_queue(struct outbuf *ob, bool hangup)
{
	const uint8_t *p;
	bool full = false;
	ssize_t ret;
	size_t n;

	pthread_mutex_lock(&ob->lock);
	while (ob->len && !ob->dead) {
		p = ob->ring + ob->head;
		n = min_size(ob->len, ob->cap - ob->head);
		pthread_mutex_unlock(&ob->lock);
		ret = fd_write(ob->fd, p, n);
		pthread_mutex_lock(&ob->lock);
		if (ret == -EAGAIN && !hangup) {
			full = true;
			break;
		}
		if (ret < 0) {
			drop_all_locked(ob);
			break;
		}
		ob->len -= (size_t)ret;
		/* Empty: start again at 0, so the next burst goes out in one piece. */
		ob->head = ob->len ? (ob->head + (size_t)ret) % ob->cap : 0;
	}
	if (!full) {
		ob->kicked = false;
		pthread_cond_broadcast(&ob->drained);
	}
	pthread_mutex_unlock(&ob->lock);
	return full;
}

static void watch_stop(struct outbuf *ob)
{
	if (ob->watch) {
		ioloop_unwatch(ob->loop, ob->watch);
		ob->watch = NULL;
	}
}

static void on_writable(void *opaque, uint32_t events);

static void watch_start(struct outbuf *ob)
{
	int ret;

	if (ob->watch)
		return;
	ret = ioloop_watch_fd(ob->loop, ob->fd, EPOLLOUT, on_writable, ob, &ob->watch);
	if (ret) {
		/*
		 * An fd that said EAGAIN but cannot be waited on (EPERM: no
		 * poll support): nothing would ever say when to try again.
		 */
		ob->watch = NULL;
		pthread_mutex_lock(&ob->lock);
		drop_all_locked(ob);
		ob->kicked = false;
		pthread_cond_broadcast(&ob->drained);
		pthread_mutex_unlock(&ob->lock);
	}
}

static void flush(struct outbuf *ob, bool hangup)
{
	if (flush_queue(ob, hangup))
		watch_start(ob);
	else
		watch_stop(ob);
}

static void flush_bh(void *opaque)
{
	flush(opaque, false);
}

static void on_writable(void *opaque, uint32_t events)
{
	flush(opaque, events & (EPOLLHUP | EPOLLERR));
}

/* ioloop_call_sync() from destroy: no flush can be running meanwhile. */
static void detach(void *opaque)
{
	struct outbuf *ob = opaque;

	watch_stop(ob);
	pthread_mutex_lock(&ob->lock);
	drop_all_locked(ob);
	ob->kicked = false;
	pthread_mutex_unlock(&ob->lock);
}

/* ---- creation and destruction ---- */

/*
 * A pipe, terminal or socket gets O_NONBLOCK, so that the loop never
 * waits in write(2).  Regular files and block devices ignore the flag
 * (their writes never return EAGAIN) and epoll refuses them: left as
 * they are.
 */
static int fd_prepare(struct outbuf *ob)
{
	struct stat st;
	int flags;

	if (fstat(ob->fd, &st))
		return -errno;
	if (S_ISREG(st.st_mode) || S_ISBLK(st.st_mode))
		return 0;
	flags = fcntl(ob->fd, F_GETFL);
	if (flags < 0)
		return -errno;
	if (flags & O_NONBLOCK)
		return 0;
	if (fcntl(ob->fd, F_SETFL, flags | O_NONBLOCK))
		return -errno;
	ob->restore_nonblock = true;
	return 0;
}

/*
 * Only the bit that was set here goes back: other flags of a description
 * shared with stdin may have been changed since, by their own owners.
 */
static void fd_restore(struct outbuf *ob)
{
	int flags;

	if (!ob->restore_nonblock)
		return;
	flags = fcntl(ob->fd, F_GETFL);
	if (flags >= 0)
		fcntl(ob->fd, F_SETFL, flags & ~O_NONBLOCK);
}

static void init_sync(struct outbuf *ob)
{
	pthread_condattr_t attr;

	pthread_mutex_init(&ob->lock, NULL);
	/* Deadlines are ioloop_now_ns() values: CLOCK_MONOTONIC. */
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&ob->drained, &attr);
	pthread_condattr_destroy(&attr);
}

int outbuf_create(struct outbuf **out, struct ioloop *l, int fd, size_t capacity)
{
	struct outbuf *ob;
	int ret;

	if (!l || !capacity || capacity > OUTBUF_MAX_CAPACITY)
		return -EINVAL;
	if (fd < 0)
		return -EBADF;
	ob = calloc(1, sizeof(*ob));
	if (!ob)
		return -ENOMEM;
	ob->ring = malloc(capacity);
	if (!ob->ring) {
		ret = -ENOMEM;
		goto free_ob;
	}
	ob->loop = l;
	ob->fd = fd;
	ob->cap = capacity;
	ioloop_bh_init(&ob->bh, flush_bh, ob);
	atomic_init(&ob->dropped, 0);
	ret = fd_prepare(ob);
	if (ret)
		goto free_ring;
	init_sync(ob);
	*out = ob;
	return 0;

free_ring:
	free(ob->ring);
free_ob:
	free(ob);
	return ret;
}

/* Milliseconds from now_ns to deadline_ns, rounded up, for epoll. */
static int ms_until(int64_t deadline_ns, int64_t now_ns)
{
	int64_t ms = (deadline_ns - now_ns + NS_PER_MS - 1) / NS_PER_MS;

	return ms > INT_MAX ? INT_MAX : (int)ms;
}

/* Waits until the queue is empty or dead, or the deadline passes. */
static void wait_drained(struct outbuf *ob, bool by_hand, int64_t deadline)
{
	struct timespec ts = {
		.tv_sec = deadline / NS_PER_SEC, .tv_nsec = deadline % NS_PER_SEC,
	};
	int64_t now;

	pthread_mutex_lock(&ob->lock);
	while (ob->len && !ob->dead) {
		now = ioloop_now_ns();
		if (now >= deadline)
			break;
		if (by_hand) {
			/* Nobody else turns the loop: the caller does. */
			pthread_mutex_unlock(&ob->lock);
			ioloop_run_once(ob->loop, ms_until(deadline, now));
			pthread_mutex_lock(&ob->lock);
		} else {
			pthread_cond_timedwait(&ob->drained, &ob->lock, &ts);
		}
	}
	pthread_mutex_unlock(&ob->lock);
}

uint64_t outbuf_destroy(struct outbuf *ob, int64_t flush_timeout_ns)
{
	int64_t now = ioloop_now_ns();
	uint64_t dropped;
	bool by_hand;

	if (!ob)
		return 0;
	by_hand = ioloop_in_loop(ob->loop);
	if (flush_timeout_ns > INT64_MAX - now)
		flush_timeout_ns = INT64_MAX - now;
	if (flush_timeout_ns > 0)
		wait_drained(ob, by_hand, now + flush_timeout_ns);
	ioloop_call_sync(ob->loop, detach, ob);
	/*
	 * The bottom half must not run after the free.  On a loop thread,
	 * one queued before ioloop_call_sync()'s has run before it (bottom
	 * halves run in order).  On a loop turned by the caller (who it is
	 * now, if nobody was), one more turn runs it: it finds nothing to do.
	 */
	if (ioloop_in_loop(ob->loop))
		ioloop_run_once(ob->loop, 0);
	fd_restore(ob);
	dropped = atomic_load(&ob->dropped);
	pthread_cond_destroy(&ob->drained);
	pthread_mutex_destroy(&ob->lock);
	free(ob->ring);
	free(ob);
	return dropped;
}
