// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * io/pool.c - the bounded worker pool (see pool.h).
 *
 * Every thread is created in pool_create() and lives until pool_destroy();
 * jobs wait in one FIFO queue for a free thread.  A job goes
 *   QUEUED   on p->head (p->lock),
 *   RUNNING  taken off the queue by one pool thread, run() called,
 *   DONE     job->ret set, then done() called: on job->loop through the
 *            job's own bottom half, or on the pool thread without a loop.
 * job->ret is written before the bottom half is scheduled, and scheduling
 * takes the loop's lock, so done() on the loop thread sees it.
 */
#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "io/pool.h"
#include "io/threads.h"

struct pool {
	pthread_mutex_t lock;
	pthread_cond_t work;		/* a job was queued, or shutdown began */
	/* lock */
	struct pool_job *head, *tail;	/* QUEUED, oldest first */
	bool shutdown;			/* pool_destroy() began */
	/* fixed in pool_create() */
	unsigned nthreads;
	pthread_t threads[];
};

static void job_done_bh(void *opaque)
{
	struct pool_job *job = opaque;

	job->done(job, job->ret);
}

/* DONE: done() on the job's loop, or right here without one. */
static void job_complete(struct pool_job *job, int ret)
{
	job->ret = ret;
	if (!job->done)
		return;
	if (job->loop)
		ioloop_bh_schedule(job->loop, &job->bh);
	else
		job->done(job, ret);
}

/* The next QUEUED job, waiting for one; NULL once shut down and empty. */
static struct pool_job *pool_take(struct pool *p)
{
	struct pool_job *job;

	pthread_mutex_lock(&p->lock);
	while (!p->head && !p->shutdown)
		pthread_cond_wait(&p->work, &p->lock);
	job = p->head;
	if (job) {
		p->head = job->next;
		if (!p->head)
			p->tail = NULL;
	}
	pthread_mutex_unlock(&p->lock);
	return job;
}

static void *pool_thread(void *opaque)
{
	struct pool *p = opaque;
	struct pool_job *job;

	while ((job = pool_take(p))) {
		job->run(job);
		job_complete(job, 0);
	}
	return NULL;
}

/*
 * Sets shutdown and returns what was still QUEUED, in one critical
 * section: no thread takes a job after this, and no job can slip in.
 */
static struct pool_job *pool_shutdown(struct pool *p)
{
	struct pool_job *queued;

	pthread_mutex_lock(&p->lock);
	assert(!p->shutdown);
	p->shutdown = true;
	queued = p->head;
	p->head = p->tail = NULL;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->lock);
	return queued;
}

/* Joins the first n threads, once shut down: each ends after its job. */
static void pool_join(struct pool *p, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		pthread_join(p->threads[i], NULL);
}

int pool_create(struct pool **out, unsigned threads)
{
	char name[16];	/* TASK_COMM_LEN */
	struct pool *p;
	sigset_t old;
	unsigned i;
	int ret = 0;

	if (!threads || threads > POOL_MAX_THREADS)
		return -EINVAL;
	p = calloc(1, sizeof(*p) + threads * sizeof(p->threads[0]));
	if (!p)
		return -ENOMEM;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->work, NULL);
	p->nthreads = threads;
	threads_block_async_signals(&old);
	for (i = 0; i < threads; i++) {
		ret = -pthread_create(&p->threads[i], NULL, pool_thread, p);
		if (ret)
			break;
		snprintf(name, sizeof(name), "vmain-pool-%u", i);
		pthread_setname_np(p->threads[i], name);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret)
		goto join_threads;
	*out = p;
	return 0;

join_threads:
	pool_shutdown(p);
	pool_join(p, i);
	pthread_cond_destroy(&p->work);
	pthread_mutex_destroy(&p->lock);
	free(p);
	return ret;
}

void pool_submit(struct pool *p, struct pool_job *job)
{
	job->ret = 0;
	job->next = NULL;
	ioloop_bh_init(&job->bh, job_done_bh, job);
	pthread_mutex_lock(&p->lock);
	/* A job queued after pool_destroy() began would never finish. */
	assert(!p->shutdown);
	if (p->tail)
		p->tail->next = job;
	else
		p->head = job;
	p->tail = job;
	pthread_cond_signal(&p->work);
	pthread_mutex_unlock(&p->lock);
}

void pool_destroy(struct pool *p)
{
	struct pool_job *job, *next;

	if (!p)
		return;
	/* Cancelled first, so their owners hear while running jobs finish. */
	for (job = pool_shutdown(p); job; job = next) {
		next = job->next;
		job_complete(job, -ECANCELED);
	}
	pool_join(p, p->nthreads);
	pthread_cond_destroy(&p->work);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

unsigned pool_threads(const struct pool *p)
{
	return p->nthreads;
}
