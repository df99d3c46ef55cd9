// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * disk/uring.c - the io_uring engine (see uring.h).
 *
 * A request taken by uring_submit() is in exactly one place until done():
 *   STAGED     its SQE is in the SQ ring and the kernel has not consumed it
 *              (the next io_uring_submit() does);
 *   IN KERNEL  consumed, its CQE not yet reaped;
 *   WAITING    on e->wait_head, because no SQE could be had: the SQ ring was
 *              full and could not be flushed, or `sqes_out` had reached the
 *              CQ ring's size.  Keeping at most that many SQEs out means the
 *              CQ ring never overflows, so the kernel never has to hold CQEs
 *              back (io_uring_setup(2), IORING_FEAT_NODROP) and
 *              io_uring_enter(2) never fails with -EBUSY for it.
 * The waiting list is FIFO and a new request queues behind it: a burst
 * bigger than the ring goes to the kernel in order as completions make
 * room, without blocking and without dropping anything.
 *
 * Completions are reaped from the CQ ring in two places, both on the I/O
 * loop, and nothing polls:
 *   - the ring's own fd, watched by the loop (EPOLLIN, level-triggered): it
 *     is readable while the CQ ring holds CQEs (io_uring_enter(2): the ring
 *     fd can be polled; the kernel wakes its pollers at every CQE it posts,
 *     whichever thread or task work posts it).  Nothing has to be drained:
 *     once reaped, the fd is not readable any more;
 *   - a bottom half that uring_flush() schedules when the CQ ring holds
 *     CQEs after io_uring_enter() returned: a read the page cache holds
 *     completes inside the io_uring_enter() that submitted it, and reaping
 *     it without a look at the fds costs no system call (the loop's busy
 *     rounds, io/ioloop.h; docs/perf.md, the page-cache row).
 * Either one reaps the CQEs, finishes or resubmits each request, moves
 * waiting requests into the ring and submits everything staged with one
 * io_uring_enter().  done() runs only there, or in the drain of
 * uring_engine_destroy(): never inside uring_submit() or uring_flush().
 * An eventfd registered with the ring (io_uring_register_eventfd(3)) would
 * cost a read(2) per wake-up to drain it, and one registered with
 * io_uring_register_eventfd_async() is not signalled for completions
 * posted from task work, which this engine would then miss (docs/perf.md).
 *
 * A short transfer is resubmitted for the rest with the request's iovec
 * array adjusted in place (uring.h allows it): the segments already done
 * are dropped (the array is moved down, so req->iov still points at its
 * start) and the first one left is advanced.
 */
#include <assert.h>
#include <errno.h>
#include <liburing.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "disk/uring.h"

#define URING_MAX_DEPTH		32768		/* IORING_MAX_ENTRIES */
/* Positioned and ours to finish: no RWF_APPEND, no RWF_NOWAIT (-EAGAIN loops). */
#define URING_RW_FLAGS		(RWF_DSYNC | RWF_SYNC)
/* io_uring_enter() took nothing: try again this much later. */
#define URING_RETRY_NS		1000000

/*
 * The bottom half that reaps what a submission completed inline.  Apart
 * from the engine: one still queued when the engine is freed finds
 * e == NULL and frees itself (uring_drain()).
 */
struct uring_reap {
	struct ioloop_bh bh;
	struct uring_engine *e;
};

struct uring_engine {
	struct io_uring ring;
	struct ioloop *loop;
	int fd;
	struct ioloop_watch *watch;	/* the ring's fd */
	struct uring_reap *reap;
	struct ioloop_timer *retry;	/* a submission the kernel refused */
	unsigned cq_entries;
	unsigned sqes_out;		/* STAGED + IN KERNEL, at most cq_entries */
	unsigned inflight;		/* taken, done() not yet called */
	struct uring_req *wait_head, *wait_tail;	/* WAITING, FIFO */
	struct uring_stats stats;
};

/* Is `req` something this engine can do?  Anything else fails with -EINVAL. */
static bool req_valid(const struct uring_req *req)
{
	switch (req->op) {
	case URING_READV:
	case URING_WRITEV:
		return !(req->rw_flags & ~URING_RW_FLAGS) && (req->iov || !req->iovcnt);
	case URING_FDATASYNC:
	case URING_FALLOCATE:
		return true;
	}
	return false;
}

static void prep_sqe(struct uring_engine *e, struct io_uring_sqe *sqe,
		     struct uring_req *req)
{
	uint64_t off = req->offset + req->done_bytes;

	if (!req_valid(req)) {
		/* Fails from its CQE: done() never runs inside uring_submit(). */
		io_uring_prep_nop(sqe);
	} else if (req->op == URING_READV) {
		io_uring_prep_readv2(sqe, e->fd, req->iov, req->iovcnt, off, req->rw_flags);
	} else if (req->op == URING_WRITEV) {
		io_uring_prep_writev2(sqe, e->fd, req->iov, req->iovcnt, off, req->rw_flags);
	} else if (req->op == URING_FDATASYNC) {
		io_uring_prep_fsync(sqe, e->fd, IORING_FSYNC_DATASYNC);
	} else {
		/* An offset or length past INT64_MAX turns negative: -EINVAL from the kernel. */
		io_uring_prep_fallocate(sqe, e->fd, req->mode, (off_t)req->offset,
					(off_t)req->len);
	}
	io_uring_sqe_set_data(sqe, req);
}

static void retry_later(struct uring_engine *e)
{
	if (!ioloop_timer_armed(e->retry))
		ioloop_timer_arm(e->retry, ioloop_now_ns() + URING_RETRY_NS);
}

void uring_flush(struct uring_engine *e)
{
	int ret;

	assert(ioloop_in_loop(e->loop));
	/*
	 * One io_uring_enter() takes everything (IORING_SETUP_SUBMIT_ALL goes
	 * on past an SQE that fails); the loop is for a kernel without it.
	 */
	while (io_uring_sq_ready(&e->ring)) {
		ret = io_uring_submit(&e->ring);
		if (ret <= 0) {
			/*
			 * -EAGAIN, -ENOMEM, -EINTR: the kernel is short of
			 * something.  The SQEs stay in the ring; the next
			 * completion or the retry timer submits them.
			 */
			retry_later(e);
			return;
		}
		e->stats.enters++;
		e->stats.sqes += (unsigned)ret;
	}
	/*
	 * Completed inside that io_uring_enter() (a page-cache hit), or by
	 * task work that ran on its way out: reaped by the loop's next round
	 * without waiting for the ring's fd.
	 */
	if (io_uring_cq_ready(&e->ring))
		ioloop_bh_schedule(e->loop, &e->reap->bh);
}

/* Puts req in an SQE; false if none can be had now (then it must wait). */
static bool uring_stage(struct uring_engine *e, struct uring_req *req)
{
	struct io_uring_sqe *sqe;

	if (e->sqes_out >= e->cq_entries)
		return false;
	sqe = io_uring_get_sqe(&e->ring);
	if (!sqe) {
		/* The SQ ring is full: hand it to the kernel, then try again. */
		uring_flush(e);
		sqe = io_uring_get_sqe(&e->ring);
		if (!sqe)
			return false;
	}
	prep_sqe(e, sqe, req);
	e->sqes_out++;
	return true;
}

static void wait_push_back(struct uring_engine *e, struct uring_req *req)
{
	req->next = NULL;
	if (e->wait_tail)
		e->wait_tail->next = req;
	else
		e->wait_head = req;
	e->wait_tail = req;
}

/* A resubmission that found no SQE goes first: it was in flight already. */
static void wait_push_front(struct uring_engine *e, struct uring_req *req)
{
	req->next = e->wait_head;
	e->wait_head = req;
	if (!e->wait_tail)
		e->wait_tail = req;
}

/* Moves WAITING requests into the ring while there is room, then submits. */
static void uring_kick(struct uring_engine *e)
{
	struct uring_req *req;

	while ((req = e->wait_head) && uring_stage(e, req)) {
		e->wait_head = req->next;
		if (!e->wait_head)
			e->wait_tail = NULL;
	}
	uring_flush(e);
}

void uring_submit(struct uring_engine *e, struct uring_req *req)
{
	assert(ioloop_in_loop(e->loop));
	req->done_bytes = 0;
	req->next = NULL;
	e->inflight++;
	if (e->wait_head || !uring_stage(e, req))
		wait_push_back(e, req);
}

/* ---- completion ---- */

static uint64_t iov_bytes(const struct iovec *iov, unsigned n)
{
	uint64_t sum = 0;
	unsigned i;

	/* Saturates: the kernel refuses anything near this (-EINVAL). */
	for (i = 0; i < n; i++)
		sum = sum + iov[i].iov_len < sum ? UINT64_MAX : sum + iov[i].iov_len;
	return sum;
}

/* Drops the first `n` bytes of req's iovec, in place (see the top). */
static void iov_advance(struct uring_req *req, uint64_t n)
{
	unsigned i = 0;

	while (i < req->iovcnt && n >= req->iov[i].iov_len)
		n -= req->iov[i++].iov_len;
	if (i < req->iovcnt) {
		req->iov[i].iov_base = (char *)req->iov[i].iov_base + n;
		req->iov[i].iov_len -= n;
	}
	if (i) {
		memmove(req->iov, req->iov + i, (req->iovcnt - i) * sizeof(*req->iov));
		req->iovcnt -= i;
	}
}

/*
 * A READV/WRITEV CQE of `res` bytes or -errno.  Returns true with *ret when
 * the request is over, false when the rest must be submitted again.
 */
static bool rw_progress(struct uring_req *req, int res, int *ret)
{
	uint64_t left = iov_bytes(req->iov, req->iovcnt);
	unsigned i;

	if (res < 0 || (uint64_t)res > left) {
		/* More than asked for cannot happen; were it to, fail safe. */
		*ret = res < 0 ? res : -EIO;
		return true;
	}
	req->done_bytes += (unsigned)res;
	left -= (unsigned)res;
	iov_advance(req, (unsigned)res);
	if (!left) {
		*ret = 0;
		return true;
	}
	if (res)
		return false;
	if (req->op == URING_WRITEV) {
		/* A write that makes no progress: the file system is full. */
		*ret = -ENOSPC;
		return true;
	}
	/* End of file: what lies beyond reads as zeros, like a hole. */
	for (i = 0; i < req->iovcnt; i++)
		if (req->iov[i].iov_len)
			memset(req->iov[i].iov_base, 0, req->iov[i].iov_len);
	*ret = 0;
	return true;
}

static void uring_finish(struct uring_engine *e, struct uring_req *req, int ret)
{
	switch (req->op) {
	case URING_READV:
		e->stats.reads++;
		e->stats.bytes_read += req->done_bytes;
		break;
	case URING_WRITEV:
		e->stats.writes++;
		e->stats.bytes_written += req->done_bytes;
		break;
	case URING_FDATASYNC:
		e->stats.syncs++;
		break;
	case URING_FALLOCATE:
		e->stats.fallocates++;
		break;
	}
	e->inflight--;
	req->done(req, ret);
}

static void uring_complete(struct uring_engine *e, struct uring_req *req, int res)
{
	bool again = false;
	int ret = res;

	if (res == -EAGAIN || res == -EINTR)
		again = true;	/* io_uring_enter(2): the request is intact, try again */
	else if (!req_valid(req))
		ret = -EINVAL;
	else if (req->op == URING_READV || req->op == URING_WRITEV)
		again = !rw_progress(req, res, &ret);
	if (!again)
		uring_finish(e, req, ret);
	else if (!uring_stage(e, req))
		wait_push_front(e, req);
}

/* Reaps at most one CQ ring's worth; returns whether CQEs are left. */
static bool uring_reap(struct uring_engine *e)
{
	struct io_uring_cqe *cqe;
	unsigned n;

	for (n = 0; n < e->cq_entries; n++) {
		struct uring_req *req;
		int res;

		if (io_uring_peek_cqe(&e->ring, &cqe))
			return false;
		req = io_uring_cqe_get_data(cqe);
		res = cqe->res;
		/* Seen before done(): the slot is free for what done() submits. */
		io_uring_cqe_seen(&e->ring, cqe);
		e->sqes_out--;
		uring_complete(e, req, res);
	}
	return io_uring_cq_ready(&e->ring) > 0;
}

/*
 * The ring's fd is readable.  A long batch leaves CQEs behind: the fd stays
 * readable and the rest comes next round, after the loop's other fds.
 */
static void uring_event(void *opaque, uint32_t events)
{
	struct uring_engine *e = opaque;

	(void)events;
	uring_reap(e);
	uring_kick(e);
}

static void uring_reap_bh(void *opaque)
{
	struct uring_reap *r = opaque;

	if (!r->e) {
		free(r);	/* queued when the engine was destroyed */
		return;
	}
	uring_reap(r->e);
	uring_kick(r->e);
}

static void uring_retry(void *opaque)
{
	uring_kick(opaque);
}

/* ---- life ---- */

static int ring_init(struct uring_engine *e, unsigned depth)
{
	int ret = io_uring_queue_init(depth, &e->ring, IORING_SETUP_SUBMIT_ALL);

	if (ret == -EINVAL)	/* IORING_SETUP_SUBMIT_ALL: Linux 5.18 */
		ret = io_uring_queue_init(depth, &e->ring, 0);
	if (ret)
		return ret;
	e->cq_entries = e->ring.cq.ring_entries;
	return 0;
}

int uring_engine_create(struct uring_engine **out, struct ioloop *l, int fd,
			unsigned depth)
{
	struct uring_engine *e;
	int ret;

	if (!l || fd < 0 || !depth || depth > URING_MAX_DEPTH)
		return -EINVAL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->loop = l;
	e->fd = fd;
	e->reap = calloc(1, sizeof(*e->reap));
	if (!e->reap) {
		ret = -ENOMEM;
		goto free_engine;
	}
	e->reap->e = e;
	ioloop_bh_init(&e->reap->bh, uring_reap_bh, e->reap);
	ret = ring_init(e, depth);
	if (ret)
		goto free_reap;
	ret = ioloop_timer_new(l, uring_retry, e, &e->retry);
	if (ret)
		goto exit_ring;
	/* Last: from here on completions can reach the engine. */
	ret = ioloop_watch_fd(l, e->ring.ring_fd, EPOLLIN, uring_event, e, &e->watch);
	if (ret)
		goto free_timer;
	*out = e;
	return 0;

free_timer:
	ioloop_timer_free(e->retry);
exit_ring:
	io_uring_queue_exit(&e->ring);
free_reap:
	free(e->reap);
free_engine:
	free(e);
	return ret;
}

static void sleep_retry(void)
{
	struct timespec ts = { .tv_nsec = URING_RETRY_NS };

	nanosleep(&ts, NULL);
}

/*
 * On the loop thread (or the thread turning it): completes every request by
 * hand, blocking in io_uring_wait_cqe(3), then detaches from the loop.
 * done() may submit more; those are waited for too.
 */
static void uring_drain(void *opaque)
{
	struct uring_engine *e = opaque;
	struct io_uring_cqe *cqe;

	while (e->inflight) {
		uring_kick(e);
		if (e->sqes_out > io_uring_sq_ready(&e->ring))
			io_uring_wait_cqe(&e->ring, &cqe);	/* -EINTR: round again */
		else
			sleep_retry();	/* the kernel took nothing: it is short of memory */
		uring_reap(e);
	}
	ioloop_unwatch(e->loop, e->watch);
	ioloop_timer_free(e->retry);
	/*
	 * Only this thread runs or dequeues the loop's bottom halves now (it
	 * is the loop's), so `queued` cannot change under this test.
	 */
	if (atomic_load(&e->reap->bh.queued))
		e->reap->e = NULL;
	else
		free(e->reap);
	e->reap = NULL;
}

void uring_engine_destroy(struct uring_engine *e)
{
	if (!e)
		return;
	/* Direct on the loop thread or with no loop thread; else run there. */
	ioloop_call_sync(e->loop, uring_drain, e);
	io_uring_queue_exit(&e->ring);
	free(e);
}

unsigned uring_inflight(const struct uring_engine *e)
{
	return e->inflight;
}

void uring_get_stats(const struct uring_engine *e, struct uring_stats *out)
{
	*out = e->stats;
}
