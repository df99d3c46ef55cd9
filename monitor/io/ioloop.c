// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * io/ioloop.c - the I/O loop over epoll (see ioloop.h).
 *
 * One epoll set holds three kinds of fd, all level-triggered:
 *   - an eventfd that wakes the loop when bottom halves are queued or
 *     ioloop_stop() is called;
 *   - one timerfd for all the timers: the armed timers sit in a list sorted
 *     by deadline and the timerfd is set to the earliest one, so arming from
 *     another thread needs no wake-up, and timers due together fire in
 *     deadline order (arming order among equal deadlines).  The lists are
 *     walked linearly: a loop holds a handful of watches and timers;
 *   - the watched fds.
 * An epoll event carries an id, not a pointer: a watch removed after
 * epoll_wait() returned and before its event is dispatched is looked up,
 * not found and skipped, never touched after it was freed.
 *
 * Removal while a callback runs.  Each watch and timer counts the runs of
 * its callback in progress.  Removed from another thread, it is taken off
 * the lists at once (so it cannot fire again), then the remover waits for
 * that count to reach zero before freeing it.  Removed on the loop thread
 * (from its own callback, or one nested in it), it is marked orphaned and
 * the dispatcher that ends its last run frees it.
 *
 * The loop's "owner" is the thread ioloop_in_loop() answers true for: the
 * loop thread while one runs, otherwise the thread that created, stopped or
 * last turned the loop by hand.
 */
#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "io/ioloop.h"
#include "io/threads.h"

#define NS_PER_SEC	1000000000ll
#define WAKE_ID		0	/* epoll data of the eventfd */
#define TIMERFD_ID	1	/* epoll data of the timerfd */
#define FIRST_WATCH_ID	2
#define MAX_EVENTS	64	/* per epoll_wait(); the rest come next round */

struct ioloop_watch {
	struct ioloop *loop;
	uint64_t id;			/* epoll data */
	int fd;
	/* loop->lock */
	uint32_t events;
	unsigned running;		/* callbacks of it in progress */
	bool orphaned;			/* unwatched on the loop thread while running */
	struct ioloop_watch *next;	/* loop->watches */
	ioloop_fd_fn fn;
	void *opaque;
};

struct ioloop_timer {
	struct ioloop *loop;
	ioloop_fn fn;
	void *opaque;
	/* loop->lock */
	int64_t when;			/* deadline while armed */
	uint64_t seq;			/* when it was armed, see fire_timers() */
	bool armed;
	bool freeing;			/* in ioloop_timer_free(): arming is ignored */
	unsigned running;
	bool orphaned;
	struct ioloop_timer *next;	/* loop->armed, by deadline */
};

struct ioloop {
	int epfd;
	int wakefd;
	int timerfd;
	pthread_mutex_t lock;
	pthread_cond_t idle;		/* a callback ended, or a call_sync() ran */
	/* lock */
	struct ioloop_bh *bh_head, *bh_tail;	/* queued, FIFO */
	struct ioloop_watch *watches;
	uint64_t next_id;
	struct ioloop_timer *armed;	/* sorted by deadline */
	uint64_t arm_seq;
	unsigned nwatches, ntimers;
	/* the loop thread; started/stopped by one controlling thread */
	pthread_t thread;
	atomic_bool started;
	atomic_bool stopping;
	/* ioloop_in_loop(): `owner` is meaningful while `owned` is set */
	_Atomic(pthread_t) owner;
	atomic_bool owned;
	/* the owner's: rounds in a row that ran bottom halves and skipped epoll_wait() */
	unsigned busy_rounds;
};

int64_t ioloop_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}

/* Makes the calling thread the owner, or (owned = false) nobody. */
static void set_owner(struct ioloop *l, bool owned)
{
	if (owned)
		atomic_store(&l->owner, pthread_self());
	atomic_store(&l->owned, owned);
}

bool ioloop_in_loop(struct ioloop *l)
{
	return atomic_load(&l->owned) &&
	       pthread_equal(atomic_load(&l->owner), pthread_self());
}

static int epoll_set(int epfd, int op, int fd, uint32_t events, uint64_t id)
{
	struct epoll_event ev = { .events = events, .data.u64 = id };

	return epoll_ctl(epfd, op, fd, &ev) ? -errno : 0;
}

/* Empties an eventfd or timerfd; EAGAIN means another round already did. */
static void drain_fd(int fd)
{
	uint64_t v;
	ssize_t n = read(fd, &v, sizeof(v));

	(void)n;
}

static void wake(struct ioloop *l)
{
	uint64_t one = 1;
	/* Fails only when the counter is full: the loop is awake anyway. */
	ssize_t n = write(l->wakefd, &one, sizeof(one));

	(void)n;
}

int ioloop_create(struct ioloop **out)
{
	struct ioloop *l;
	int ret;

	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		ret = -errno;
		goto free_loop;
	}
	l->wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (l->wakefd < 0) {
		ret = -errno;
		goto close_epoll;
	}
	l->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (l->timerfd < 0) {
		ret = -errno;
		goto close_wakefd;
	}
	ret = epoll_set(l->epfd, EPOLL_CTL_ADD, l->wakefd, EPOLLIN, WAKE_ID);
	if (!ret)
		ret = epoll_set(l->epfd, EPOLL_CTL_ADD, l->timerfd, EPOLLIN, TIMERFD_ID);
	if (ret)
		goto close_timerfd;
	pthread_mutex_init(&l->lock, NULL);
	pthread_cond_init(&l->idle, NULL);
	l->next_id = FIRST_WATCH_ID;
	set_owner(l, true);
	*out = l;
	return 0;

close_timerfd:
	close(l->timerfd);
close_wakefd:
	close(l->wakefd);
close_epoll:
	close(l->epfd);
free_loop:
	free(l);
	return ret;
}

/* ---- bottom halves ---- */

void ioloop_bh_init(struct ioloop_bh *bh, ioloop_fn fn, void *opaque)
{
	bh->fn = fn;
	bh->opaque = opaque;
	atomic_init(&bh->queued, false);
	bh->next = NULL;
}

void ioloop_bh_schedule(struct ioloop *l, struct ioloop_bh *bh)
{
	bool was_empty;

	/* Queued and not run yet: that run will see what this caller did. */
	if (atomic_exchange(&bh->queued, true))
		return;
	pthread_mutex_lock(&l->lock);
	bh->next = NULL;
	was_empty = !l->bh_head;
	if (was_empty)
		l->bh_head = bh;
	else
		l->bh_tail->next = bh;
	l->bh_tail = bh;
	pthread_mutex_unlock(&l->lock);
	/*
	 * Only the first of a batch writes the eventfd: the loop drains the
	 * eventfd before it takes the list, so a bottom half queued behind
	 * another is always taken by the run that the first one's wake-up
	 * causes.  The loop's own thread needs no wake-up: it runs the
	 * queued bottom halves before it next sleeps (loop_iterate()), and a
	 * write and a read of the eventfd per request are measurable
	 * (docs/perf.md, the page-cache row).
	 */
	if (was_empty && !ioloop_in_loop(l))
		wake(l);
}

/* Runs the bottom halves queued now; those they queue run next round. */
static int run_bhs(struct ioloop *l)
{
	struct ioloop_bh *bh, *next;
	int n = 0;

	pthread_mutex_lock(&l->lock);
	bh = l->bh_head;
	l->bh_head = l->bh_tail = NULL;
	pthread_mutex_unlock(&l->lock);
	for (; bh; bh = next, n++) {
		/*
		 * `next` first: once `queued` is clear another thread may queue
		 * bh again (rewriting bh->next), and after fn() its owner may
		 * free it.
		 */
		next = bh->next;
		atomic_store(&bh->queued, false);
		bh->fn(bh->opaque);
	}
	return n;
}

/* ---- timers ---- */

/* Sets the timerfd to the earliest deadline, or disarms it.  Lock held. */
static void timerfd_program(struct ioloop *l)
{
	struct itimerspec its = { 0 };

	if (l->armed) {
		/* An it_value of zero would disarm: a past deadline fires at once. */
		int64_t when = l->armed->when > 0 ? l->armed->when : 1;

		its.it_value.tv_sec = when / NS_PER_SEC;
		its.it_value.tv_nsec = when % NS_PER_SEC;
	}
	/* Cannot fail with a valid fd and a normalised, non-negative time. */
	timerfd_settime(l->timerfd, TFD_TIMER_ABSTIME, &its, NULL);
}

/* Takes t off the armed list.  Lock held.  Returns whether it was first. */
static bool timer_unlink(struct ioloop_timer *t)
{
	struct ioloop_timer **pp = &t->loop->armed;
	bool first = *pp == t;

	if (!t->armed)
		return false;
	while (*pp != t)
		pp = &(*pp)->next;
	*pp = t->next;
	t->armed = false;
	return first;
}

int ioloop_timer_new(struct ioloop *l, ioloop_fn fn, void *opaque,
		     struct ioloop_timer **out)
{
	struct ioloop_timer *t;

	if (!fn)
		return -EINVAL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->loop = l;
	t->fn = fn;
	t->opaque = opaque;
	pthread_mutex_lock(&l->lock);
	l->ntimers++;
	pthread_mutex_unlock(&l->lock);
	*out = t;
	return 0;
}

void ioloop_timer_arm(struct ioloop_timer *t, int64_t when_ns)
{
	struct ioloop *l = t->loop;
	struct ioloop_timer **pp, *old_first;

	pthread_mutex_lock(&l->lock);
	/* A callback re-arming its timer while another thread frees it. */
	if (t->freeing) {
		pthread_mutex_unlock(&l->lock);
		return;
	}
	old_first = l->armed;
	timer_unlink(t);
	t->when = when_ns;
	t->seq = ++l->arm_seq;
	t->armed = true;
	/* After every timer due at the same time: equal deadlines fire FIFO. */
	for (pp = &l->armed; *pp && (*pp)->when <= when_ns; pp = &(*pp)->next)
		;
	t->next = *pp;
	*pp = t;
	if (l->armed != old_first || old_first == t)
		timerfd_program(l);
	pthread_mutex_unlock(&l->lock);
}

void ioloop_timer_disarm(struct ioloop_timer *t)
{
	struct ioloop *l = t->loop;

	pthread_mutex_lock(&l->lock);
	if (timer_unlink(t))
		timerfd_program(l);
	pthread_mutex_unlock(&l->lock);
}

bool ioloop_timer_armed(const struct ioloop_timer *t)
{
	bool armed;

	pthread_mutex_lock(&t->loop->lock);
	armed = t->armed;
	pthread_mutex_unlock(&t->loop->lock);
	return armed;
}

/*
 * After a callback, lock held: the dispatcher that ends the last run of an
 * orphaned watch or timer frees it (returns true); otherwise a thread
 * waiting to remove it may go on.
 */
static bool end_dispatch(struct ioloop *l, unsigned *running, bool orphaned)
{
	if (--*running)
		return false;
	if (orphaned)
		return true;
	pthread_cond_broadcast(&l->idle);
	return false;
}

/*
 * Removal of a watch or timer already off the lists, lock held: returns
 * whether the caller frees it now.  On the loop thread a run in progress
 * is the caller's own (or one it is nested in): the dispatcher frees it
 * when that run ends.  Elsewhere, wait for the runs to end.
 */
static bool remove_wait(struct ioloop *l, unsigned *running, bool *orphaned)
{
	if (*running && ioloop_in_loop(l)) {
		*orphaned = true;
		return false;
	}
	while (*running)
		pthread_cond_wait(&l->idle, &l->lock);
	return true;
}

void ioloop_timer_free(struct ioloop_timer *t)
{
	struct ioloop *l;
	bool free_now;

	if (!t)
		return;
	l = t->loop;
	pthread_mutex_lock(&l->lock);
	t->freeing = true;
	if (timer_unlink(t))
		timerfd_program(l);
	l->ntimers--;
	free_now = remove_wait(l, &t->running, &t->orphaned);
	pthread_mutex_unlock(&l->lock);
	if (free_now)
		free(t);
}

/*
 * Runs the timers due now, earliest first.  A timer armed after this round
 * began (by a callback or another thread) waits for the next round even if
 * it is due: `limit` keeps a callback that re-arms its own timer in the
 * past from spinning here forever and starving the fds.
 */
static int fire_timers(struct ioloop *l)
{
	int64_t now;
	struct ioloop_timer *t;
	uint64_t limit;
	bool free_it;
	int n = 0;

	drain_fd(l->timerfd);
	now = ioloop_now_ns();
	pthread_mutex_lock(&l->lock);
	limit = l->arm_seq;
	while ((t = l->armed) && t->when <= now && t->seq <= limit) {
		l->armed = t->next;
		t->armed = false;
		t->running++;
		pthread_mutex_unlock(&l->lock);
		t->fn(t->opaque);
		n++;
		pthread_mutex_lock(&l->lock);
		free_it = end_dispatch(l, &t->running, t->orphaned);
		if (free_it)
			free(t);
	}
	timerfd_program(l);
	pthread_mutex_unlock(&l->lock);
	return n;
}

/* ---- fd watches ---- */

int ioloop_watch_fd(struct ioloop *l, int fd, uint32_t events, ioloop_fd_fn fn,
		    void *opaque, struct ioloop_watch **out)
{
	struct ioloop_watch *w;
	int ret;

	if (fd < 0 || !fn || (events & ~(uint32_t)(EPOLLIN | EPOLLOUT)))
		return -EINVAL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->loop = l;
	w->fd = fd;
	w->events = events;
	w->fn = fn;
	w->opaque = opaque;
	/* Under the lock: an event for the new id finds the watch listed. */
	pthread_mutex_lock(&l->lock);
	w->id = l->next_id++;
	ret = epoll_set(l->epfd, EPOLL_CTL_ADD, fd, events, w->id);
	if (!ret) {
		w->next = l->watches;
		l->watches = w;
		l->nwatches++;
	}
	pthread_mutex_unlock(&l->lock);
	if (ret) {
		free(w);
		return ret;
	}
	*out = w;
	return 0;
}

int ioloop_watch_modify(struct ioloop *l, struct ioloop_watch *w, uint32_t events)
{
	int ret;

	if (events & ~(uint32_t)(EPOLLIN | EPOLLOUT))
		return -EINVAL;
	pthread_mutex_lock(&l->lock);
	ret = epoll_set(l->epfd, EPOLL_CTL_MOD, w->fd, events, w->id);
	if (!ret)
		w->events = events;
	pthread_mutex_unlock(&l->lock);
	return ret;
}

void ioloop_unwatch(struct ioloop *l, struct ioloop_watch *w)
{
	struct ioloop_watch **pp;
	bool free_now;

	if (!w)
		return;
	pthread_mutex_lock(&l->lock);
	for (pp = &l->watches; *pp != w; pp = &(*pp)->next)
		;
	*pp = w->next;
	l->nwatches--;
	/*
	 * Fails only if the caller closed the fd first; an event already
	 * returned for it finds no watch with its id.
	 */
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, w->fd, NULL);
	free_now = remove_wait(l, &w->running, &w->orphaned);
	pthread_mutex_unlock(&l->lock);
	if (free_now)
		free(w);
}

static int dispatch_watch(struct ioloop *l, uint64_t id, uint32_t events)
{
	struct ioloop_watch *w;
	bool free_it;

	pthread_mutex_lock(&l->lock);
	for (w = l->watches; w && w->id != id; w = w->next)
		;
	/* Removed since epoll_wait() returned, or no longer asked for. */
	if (w)
		events &= w->events | EPOLLERR | EPOLLHUP;
	if (!w || !events) {
		pthread_mutex_unlock(&l->lock);
		return 0;
	}
	w->running++;
	pthread_mutex_unlock(&l->lock);
	w->fn(w->opaque, events);
	pthread_mutex_lock(&l->lock);
	free_it = end_dispatch(l, &w->running, w->orphaned);
	pthread_mutex_unlock(&l->lock);
	if (free_it)
		free(w);
	return 1;
}

/* ---- running the loop ---- */

/* One round; returns the callbacks run, or -errno from epoll_wait(). */
static int loop_iterate(struct ioloop *l, int timeout_ms)
{
	struct epoll_event ev[MAX_EVENTS];
	int n, i, ran;

	ran = run_bhs(l);
	/*
	 * Work done already: this round will not sleep, and run_once(-1)
	 * returns after it.  Its look at the fds is a system call that finds
	 * nothing most of the time when the work comes from bottom halves
	 * (a disk request whose completion the io_uring engine reaped from
	 * its ring after submitting it: docs/perf.md, the page-cache row), so
	 * a busy round skips it, but never IOLOOP_BUSY_ROUNDS in a row: an
	 * fd or timer that is ready waits at most that many rounds.
	 */
	if (ran && ++l->busy_rounds < IOLOOP_BUSY_ROUNDS)
		return ran + run_bhs(l);
	l->busy_rounds = 0;
	n = epoll_wait(l->epfd, ev, MAX_EVENTS, ran ? 0 : timeout_ms);
	if (n < 0) {
		if (errno != EINTR)
			return -errno;
		n = 0;	/* a signal on a hand-turning thread: a short round */
	}
	for (i = 0; i < n; i++) {
		switch (ev[i].data.u64) {
		case WAKE_ID:
			drain_fd(l->wakefd);
			break;
		case TIMERFD_ID:
			ran += fire_timers(l);
			break;
		default:
			ran += dispatch_watch(l, ev[i].data.u64, ev[i].events);
			break;
		}
	}
	return ran + run_bhs(l);
}

int ioloop_run_once(struct ioloop *l, int timeout_ms)
{
	if (atomic_load(&l->started)) {
		/* Nested in a callback on the loop thread is fine; elsewhere not. */
		if (!ioloop_in_loop(l))
			return -EBUSY;
	} else {
		set_owner(l, true);
	}
	return loop_iterate(l, timeout_ms);
}

static void *loop_thread(void *opaque)
{
	struct ioloop *l = opaque;
	int ret;

	set_owner(l, true);
	while (!atomic_load(&l->stopping)) {
		ret = loop_iterate(l, -1);
		/* EBADF/EFAULT/EINVAL: the epoll set is gone; nothing can go on. */
		if (ret < 0) {
			fprintf(stderr, "vmain: I/O loop: epoll_wait: %s\n", strerror(-ret));
			abort();
		}
	}
	/* ioloop_stop(): what was queued before it still runs. */
	while (run_bhs(l))
		;
	return NULL;
}

int ioloop_start(struct ioloop *l, const char *name)
{
	char comm[16];	/* TASK_COMM_LEN */
	sigset_t old;
	size_t len;
	int ret;

	if (atomic_load(&l->started))
		return -EBUSY;
	atomic_store(&l->stopping, false);
	set_owner(l, false);
	atomic_store(&l->started, true);
	threads_block_async_signals(&old);
	ret = -pthread_create(&l->thread, NULL, loop_thread, l);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret) {
		atomic_store(&l->started, false);
		set_owner(l, true);
		return ret;
	}
	if (!name)
		name = "vmain-io";
	len = strnlen(name, sizeof(comm) - 1);
	memcpy(comm, name, len);
	comm[len] = '\0';
	pthread_setname_np(l->thread, comm);
	return 0;
}

void ioloop_stop(struct ioloop *l)
{
	if (!atomic_load(&l->started))
		return;
	assert(!ioloop_in_loop(l));
	atomic_store(&l->stopping, true);
	wake(l);
	pthread_join(l->thread, NULL);
	atomic_store(&l->started, false);
	set_owner(l, true);
}

void ioloop_destroy(struct ioloop *l)
{
	if (!l)
		return;
	ioloop_stop(l);
	set_owner(l, true);
	while (run_bhs(l))
		;
	assert(!l->nwatches && !l->ntimers);
	pthread_cond_destroy(&l->idle);
	pthread_mutex_destroy(&l->lock);
	close(l->timerfd);
	close(l->wakefd);
	close(l->epfd);
	free(l);
}

/* ---- ioloop_call_sync() ---- */

struct sync_call {
	struct ioloop *loop;
	ioloop_fn fn;
	void *opaque;
	bool done;			/* loop->lock */
	struct ioloop_bh bh;
};

static void sync_call_run(void *opaque)
{
	struct sync_call *c = opaque;
	struct ioloop *l = c->loop;

	c->fn(c->opaque);
	/* c lives on the caller's stack: not touched once it may return. */
	pthread_mutex_lock(&l->lock);
	c->done = true;
	pthread_cond_broadcast(&l->idle);
	pthread_mutex_unlock(&l->lock);
}

void ioloop_call_sync(struct ioloop *l, ioloop_fn fn, void *opaque)
{
	struct sync_call c = { .loop = l, .fn = fn, .opaque = opaque };

	if (ioloop_in_loop(l)) {
		fn(opaque);
		return;
	}
	/* No loop thread: the caller becomes the one that turns the loop. */
	if (!atomic_load(&l->started)) {
		set_owner(l, true);
		fn(opaque);
		return;
	}
	ioloop_bh_init(&c.bh, sync_call_run, &c);
	ioloop_bh_schedule(l, &c.bh);
	pthread_mutex_lock(&l->lock);
	while (!c.done)
		pthread_cond_wait(&l->idle, &l->lock);
	pthread_mutex_unlock(&l->lock);
}
