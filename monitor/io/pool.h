/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * io/pool.h - the monitor's one bounded pool of worker threads, for
 * blocking or CPU-heavy jobs that io_uring does not cover (qcow2
 * decompression, fallocate on old kernels, SG_IO later).
 *
 * Created once per process with a fixed number of threads (`vmain run
 * --io-threads`, default POOL_DEFAULT_THREADS); jobs are queued, never
 * a thread per job.  A job's run() executes on a pool thread; its done()
 * then runs on the job's loop thread (ioloop bottom half), or on the pool
 * thread when the job has no loop.
 *
 * Fields of struct pool_job marked "pool" belong to the pool between
 * pool_submit() and done().
 */
#ifndef VMAIN_MONITOR_IO_POOL_H
#define VMAIN_MONITOR_IO_POOL_H

#include <stdbool.h>

#include "io/ioloop.h"

#define POOL_DEFAULT_THREADS	4
#define POOL_MAX_THREADS	64

struct pool;
struct pool_job;

struct pool_job {
	/* Set by the submitter. */
	void (*run)(struct pool_job *job);		/* pool thread */
	/* `ret` is 0 after run(), -ECANCELED if the pool shut down first. */
	void (*done)(struct pool_job *job, int ret);	/* loop thread */
	struct ioloop *loop;		/* where done() runs; NULL: pool thread */
	void *opaque;
	/* pool */
	int ret;
	struct ioloop_bh bh;
	struct pool_job *next;
};

/* A pool of `threads` (1..POOL_MAX_THREADS) threads.  0 or -errno. */
int pool_create(struct pool **out, unsigned threads);
/* Any thread: queues `job`.  Never blocks, never creates a thread. */
void pool_submit(struct pool *p, struct pool_job *job);
/*
 * Shuts down: jobs running now finish, jobs still queued are cancelled
 * (done() with -ECANCELED, without run()), the threads are joined.  Call
 * it from a thread that is not the done() loop's if done() callbacks may
 * still be pending there, or turn the loop afterwards.
 */
void pool_destroy(struct pool *p);
unsigned pool_threads(const struct pool *p);

#endif
