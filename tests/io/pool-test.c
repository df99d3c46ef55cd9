// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pool-test.c - the worker pool (monitor/io/pool.c): jobs run on the pool's
 * named threads with signals blocked and done() runs on the loop thread (or
 * the pool thread without a loop); never more jobs at once than threads; no
 * thread created after pool_create(); pool_destroy() cancels what is queued
 * and waits for what runs.
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "io/ioloop.h"
#include "io/pool.h"
#include "tap.h"

#define MS		1000000ll

static void sleep_ms(int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * MS };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static bool wait_for(atomic_int *v, int want, int timeout_ms)
{
	int64_t end = ioloop_now_ns() + timeout_ms * MS;

	while (atomic_load(v) < want) {
		if (ioloop_now_ns() > end)
			return false;
		sleep_ms(1);
	}
	return true;
}

/* Counts this process's threads, and those whose name starts with `prefix`. */
static int count_tasks(const char *prefix, int *named)
{
	char path[64], comm[32];
	struct dirent *d;
	DIR *dir = opendir("/proc/self/task");
	int n = 0;

	*named = 0;
	if (!dir)
		return -1;
	while ((d = readdir(dir))) {
		FILE *f;

		if (d->d_name[0] == '.')
			continue;
		n++;
		snprintf(path, sizeof(path), "/proc/self/task/%.20s/comm", d->d_name);
		f = fopen(path, "r");
		if (f && fgets(comm, sizeof(comm), f) && !strncmp(comm, prefix, strlen(prefix)))
			(*named)++;
		if (f)
			fclose(f);
	}
	closedir(dir);
	return n;
}

static bool on_pool_thread(void)
{
	char name[16] = "";

	pthread_getname_np(pthread_self(), name, sizeof(name));
	return !strncmp(name, "vmain-pool-", 11);
}

/* ---- where run() and done() execute ---- */

struct where {
	struct ioloop *loop;
	atomic_int runs, dones, run_off_pool, run_on_loop, done_off_loop, bad_ret;
	atomic_int sig_open;
};

static void where_run(struct pool_job *job)
{
	struct where *w = job->opaque;
	sigset_t cur;

	if (!on_pool_thread())
		atomic_fetch_add(&w->run_off_pool, 1);
	if (w->loop && ioloop_in_loop(w->loop))
		atomic_fetch_add(&w->run_on_loop, 1);
	pthread_sigmask(SIG_BLOCK, NULL, &cur);
	if (!sigismember(&cur, SIGINT) || !sigismember(&cur, SIGTERM) ||
	    !sigismember(&cur, SIGCHLD))
		atomic_fetch_add(&w->sig_open, 1);
	atomic_fetch_add(&w->runs, 1);
}

static void where_done(struct pool_job *job, int ret)
{
	struct where *w = job->opaque;

	if (w->loop ? !ioloop_in_loop(w->loop) : !on_pool_thread())
		atomic_fetch_add(&w->done_off_loop, 1);
	if (ret || job->ret)
		atomic_fetch_add(&w->bad_ret, 1);
	atomic_fetch_add(&w->dones, 1);
}

static void test_threads_of_run_and_done(void)
{
	struct where w = { 0 };
	struct pool_job jobs[100];
	struct pool *p;
	int i, n;

	tap_ok(ioloop_create(&w.loop) == 0 && ioloop_start(w.loop, "test-io") == 0,
	       "loop thread started");
	tap_ok(pool_create(&p, 3) == 0 && pool_threads(p) == 3, "pool of 3 threads");
	for (i = 0; i < 100; i++) {
		jobs[i] = (struct pool_job){ .run = where_run, .done = where_done,
					     .loop = w.loop, .opaque = &w };
		pool_submit(p, &jobs[i]);
	}
	tap_ok(wait_for(&w.dones, 100, 10000), "100 jobs done");
	tap_ok(w.runs == 100 && !w.run_off_pool && !w.run_on_loop,
	       "run() on a vmain-pool-N thread, never the loop's");
	tap_ok(!w.done_off_loop && !w.bad_ret, "done() on the loop thread with ret 0");
	tap_ok(!w.sig_open, "pool threads block SIGINT, SIGTERM, SIGCHLD");
	pool_destroy(p);
	ioloop_destroy(w.loop);

	/* Without a loop: done() on the pool thread. */
	w = (struct where){ 0 };
	pool_create(&p, 2);
	for (i = 0; i < 10; i++) {
		jobs[i] = (struct pool_job){ .run = where_run, .done = where_done, .opaque = &w };
		pool_submit(p, &jobs[i]);
	}
	n = wait_for(&w.dones, 10, 10000);
	tap_ok(n && !w.done_off_loop && !w.bad_ret, "no loop: done() on the pool thread");
	pool_destroy(p);

	tap_ok(pool_create(&p, 0) == -EINVAL, "pool_create(0): -EINVAL");
	tap_ok(pool_create(&p, POOL_MAX_THREADS + 1) == -EINVAL, "pool_create(%d): -EINVAL",
	       POOL_MAX_THREADS + 1);
}

/* ---- the bound, and no thread creation ---- */

struct bound {
	atomic_int now, peak, dones;
	int sleep_ms;
};

static void bound_run(struct pool_job *job)
{
	struct bound *b = job->opaque;
	int n = atomic_fetch_add(&b->now, 1) + 1;
	int peak = atomic_load(&b->peak);

	while (n > peak && !atomic_compare_exchange_weak(&b->peak, &peak, n))
		;
	if (b->sleep_ms)
		sleep_ms(b->sleep_ms);
	atomic_fetch_sub(&b->now, 1);
}

static void bound_done(struct pool_job *job, int ret)
{
	struct bound *b = job->opaque;

	(void)ret;
	atomic_fetch_add(&b->dones, 1);
}

static void test_bound(void)
{
	struct bound b = { .sleep_ms = 10 };
	struct pool_job jobs[40];
	struct pool *p;
	int i;

	pool_create(&p, 3);
	for (i = 0; i < 40; i++) {
		jobs[i] = (struct pool_job){ .run = bound_run, .done = bound_done, .opaque = &b };
		pool_submit(p, &jobs[i]);
	}
	tap_ok(wait_for(&b.dones, 40, 10000), "bound: 40 sleeping jobs done");
	tap_ok(b.peak == 3, "bound: at most 3 jobs ran at once on 3 threads, and 3 did (peak %d)",
	       atomic_load(&b.peak));
	pool_destroy(p);
}

static void test_no_new_threads(void)
{
	struct bound b = { 0 };
	struct pool_job *jobs = calloc(1000, sizeof(*jobs));
	struct ioloop *l;
	struct pool *p;
	int before, after, named, i, turned = 0;

	ioloop_create(&l);
	pool_create(&p, POOL_DEFAULT_THREADS);
	before = count_tasks("vmain-pool-", &named);
	tap_ok(named == POOL_DEFAULT_THREADS, "%d threads named vmain-pool-N", named);
	for (i = 0; i < 1000; i++) {
		jobs[i] = (struct pool_job){ .run = bound_run, .done = bound_done,
					     .loop = l, .opaque = &b };
		pool_submit(p, &jobs[i]);
	}
	/* done() runs on this thread, turning the loop by hand. */
	while (atomic_load(&b.dones) < 1000 && turned++ < 100000)
		ioloop_run_once(l, 100);
	after = count_tasks("vmain-pool-", &named);
	tap_ok(b.dones == 1000, "1000 jobs done, done() by hand-turning the loop");
	tap_ok(before > 0 && before == after,
	       "no thread created by 1000 jobs (%d threads before, %d after)", before, after);
	tap_ok(b.peak <= POOL_DEFAULT_THREADS, "never more than %d at once (peak %d)",
	       POOL_DEFAULT_THREADS, atomic_load(&b.peak));
	pool_destroy(p);
	ioloop_destroy(l);
	free(jobs);
}

/* ---- pool_destroy() ---- */

struct shut {
	atomic_int started, release, ran, cancelled, finished, bad;
	struct pool *pool;
};

static void shut_run(struct pool_job *job)
{
	struct shut *s = job->opaque;

	atomic_fetch_add(&s->started, 1);
	while (!atomic_load(&s->release))
		sleep_ms(1);
	atomic_fetch_add(&s->ran, 1);
}

static void shut_done(struct pool_job *job, int ret)
{
	struct shut *s = job->opaque;

	if (ret == -ECANCELED && job->ret == -ECANCELED)
		atomic_fetch_add(&s->cancelled, 1);
	else if (ret == 0)
		atomic_fetch_add(&s->finished, 1);
	else
		atomic_fetch_add(&s->bad, 1);
}

static void *destroy_thread(void *opaque)
{
	pool_destroy(opaque);
	return NULL;
}

static void test_destroy(void)
{
	struct shut s = { 0 };
	struct pool_job jobs[12];
	pthread_t th;
	int i, cancelled_early, finished_early;

	pool_create(&s.pool, 2);
	for (i = 0; i < 12; i++) {
		jobs[i] = (struct pool_job){ .run = shut_run, .done = shut_done, .opaque = &s };
		pool_submit(s.pool, &jobs[i]);
	}
	wait_for(&s.started, 2, 5000);
	pthread_create(&th, NULL, destroy_thread, s.pool);
	sleep_ms(50);
	cancelled_early = atomic_load(&s.cancelled);
	finished_early = atomic_load(&s.finished);
	atomic_store(&s.release, 1);
	pthread_join(th, NULL);
	tap_ok(cancelled_early == 10 && !finished_early,
	       "destroy: the 10 queued jobs cancelled while 2 still ran (%d)", cancelled_early);
	tap_ok(s.started == 2 && s.ran == 2 && s.finished == 2 && s.cancelled == 10 && !s.bad,
	       "destroy: waited for the 2 running jobs, which finished with 0; cancelled ones never ran");
}

/* Cancelled jobs with a loop complete through it, once it turns. */
static void test_destroy_loop(void)
{
	struct shut s = { .release = 1 };
	struct pool_job jobs[50];
	struct ioloop *l;
	int i;

	ioloop_create(&l);
	pool_create(&s.pool, 1);
	for (i = 0; i < 50; i++) {
		jobs[i] = (struct pool_job){ .run = shut_run, .done = shut_done, .loop = l,
					     .opaque = &s };
		pool_submit(s.pool, &jobs[i]);
	}
	pool_destroy(s.pool);
	tap_ok(!s.cancelled && !s.finished, "destroy with a loop: no done() before the loop turns");
	while (ioloop_run_once(l, 0) > 0)
		;
	tap_ok(s.cancelled + s.finished == 50 && s.ran == s.finished && !s.bad,
	       "destroy with a loop: all 50 done on it (%d ran, %d cancelled)",
	       atomic_load(&s.finished), atomic_load(&s.cancelled));
	ioloop_destroy(l);
}

int main(void)
{
	test_threads_of_run_and_done();
	test_bound();
	test_no_new_threads();
	test_destroy();
	test_destroy_loop();
	return tap_done();
}
