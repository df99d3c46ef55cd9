// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ioloop-test.c - the I/O loop (monitor/io/ioloop.c), turned by hand and on
 * its own thread: bottom halves (coalescing, many threads scheduling at
 * once, stop with some still queued), timers (order, timing, disarm,
 * re-arm), fd watches (readable, writable, modify), removal of a watch or
 * timer from its own callback and from another thread while it runs, and
 * ioloop_call_sync().
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "io/ioloop.h"
#include "tap.h"

#define MS		1000000ll

static void sleep_ms(int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * MS };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* Polls *v until it reaches want, for at most timeout_ms; true if it did. */
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

static struct ioloop *new_loop(void)
{
	struct ioloop *l = NULL;
	int ret = ioloop_create(&l);

	if (ret) {
		tap_ok(0, "ioloop_create: %s", strerror(-ret));
		exit(tap_done());
	}
	return l;
}

/* ---- bottom halves ---- */

struct counter {
	struct ioloop *loop;
	atomic_int runs;
	atomic_int not_in_loop;
	int again;		/* times to schedule itself again from fn */
	struct ioloop_bh bh;
};

static void count_bh(void *opaque)
{
	struct counter *c = opaque;

	if (!ioloop_in_loop(c->loop))
		atomic_fetch_add(&c->not_in_loop, 1);
	atomic_fetch_add(&c->runs, 1);
	if (c->again > 0) {
		c->again--;
		ioloop_bh_schedule(c->loop, &c->bh);
	}
}

static void test_bh_coalesce(void)
{
	struct ioloop *l = new_loop();
	struct counter c = { .loop = l };
	int i, n;

	ioloop_bh_init(&c.bh, count_bh, &c);
	for (i = 0; i < 5; i++)
		ioloop_bh_schedule(l, &c.bh);
	n = ioloop_run_once(l, -1);
	tap_ok(n == 1 && c.runs == 1,
	       "bh: 5 schedules before it runs coalesce into 1 run (ran %d)", n);
	n = ioloop_run_once(l, 0);
	tap_ok(n == 0 && c.runs == 1, "bh: nothing more runs");

	/* run_once() runs bhs before and after its wait: the second pass. */
	c.again = 1;
	ioloop_bh_schedule(l, &c.bh);
	n = ioloop_run_once(l, 0);
	tap_ok(n == 2 && c.runs == 3 && !c.not_in_loop,
	       "bh: scheduled from its own callback, it runs again afterwards (%d runs)", n);
	n = ioloop_run_once(l, 0);
	tap_ok(n == 0 && c.runs == 3, "bh: and not a third time");
	ioloop_destroy(l);
}

#define BH_THREADS	4
#define BH_PER_THREAD	20000

struct bh_storm {
	struct ioloop *loop;
	struct counter each[BH_THREADS][BH_PER_THREAD / 100];
	atomic_int pending;		/* scheduled on `shared`, not yet seen */
	atomic_int seen;
	atomic_int shared_runs;
	struct ioloop_bh shared;
	atomic_int go;
};

struct bh_storm_arg {
	struct bh_storm *s;
	int idx;
};

static void shared_bh(void *opaque)
{
	struct bh_storm *s = opaque;

	atomic_fetch_add(&s->shared_runs, 1);
	atomic_fetch_add(&s->seen, atomic_exchange(&s->pending, 0));
}

static void *bh_storm_thread(void *opaque)
{
	struct bh_storm_arg *a = opaque;
	struct bh_storm *s = a->s;
	int i;

	while (!atomic_load(&s->go))
		;
	for (i = 0; i < BH_PER_THREAD; i++) {
		/* Every 100th schedule is a bh of its own, run exactly once. */
		if (i % 100 == 0)
			ioloop_bh_schedule(s->loop, &s->each[a->idx][i / 100].bh);
		atomic_fetch_add(&s->pending, 1);
		ioloop_bh_schedule(s->loop, &s->shared);
	}
	return NULL;
}

static void test_bh_threads(void)
{
	struct bh_storm *s = calloc(1, sizeof(*s));
	struct bh_storm_arg args[BH_THREADS];
	pthread_t th[BH_THREADS];
	int i, j, runs = 0, bad = 0, total = BH_THREADS * BH_PER_THREAD;
	bool all;

	s->loop = new_loop();
	ioloop_bh_init(&s->shared, shared_bh, s);
	for (i = 0; i < BH_THREADS; i++)
		for (j = 0; j < BH_PER_THREAD / 100; j++) {
			s->each[i][j].loop = s->loop;
			ioloop_bh_init(&s->each[i][j].bh, count_bh, &s->each[i][j]);
		}
	tap_ok(ioloop_start(s->loop, "test-io") == 0, "bh storm: loop thread started");
	for (i = 0; i < BH_THREADS; i++) {
		args[i] = (struct bh_storm_arg){ s, i };
		pthread_create(&th[i], NULL, bh_storm_thread, &args[i]);
	}
	atomic_store(&s->go, 1);
	for (i = 0; i < BH_THREADS; i++)
		pthread_join(th[i], NULL);
	/* A lost wake-up leaves some schedules unseen for ever. */
	all = wait_for(&s->seen, total, 10000);
	ioloop_destroy(s->loop);
	for (i = 0; i < BH_THREADS; i++)
		for (j = 0; j < BH_PER_THREAD / 100; j++) {
			runs += s->each[i][j].runs;
			bad += s->each[i][j].runs != 1 || s->each[i][j].not_in_loop;
		}
	tap_ok(all && s->seen == total,
	       "bh storm: %d threads x %d schedules of one bh, every one seen by a run (%d)",
	       BH_THREADS, BH_PER_THREAD, atomic_load(&s->seen));
	tap_ok(s->shared_runs >= 1 && s->shared_runs <= total,
	       "bh storm: the shared bh coalesced (%d runs for %d schedules)",
	       atomic_load(&s->shared_runs), total);
	tap_ok(!bad && runs == total / 100,
	       "bh storm: %d distinct bhs ran exactly once each, on the loop thread", runs);
	free(s);
}

/* Stops the loop from a helper thread while a bh holds the loop busy. */
struct stopper {
	struct ioloop *loop;
	atomic_int blocker_in, release;
	struct counter after;
	struct ioloop_bh blocker;
};

static void blocker_bh(void *opaque)
{
	struct stopper *s = opaque;

	atomic_store(&s->blocker_in, 1);
	while (!atomic_load(&s->release))
		sleep_ms(1);
}

static void *stop_thread(void *opaque)
{
	ioloop_stop(opaque);
	/* The stopping thread is the one that may turn it by hand now. */
	return ioloop_in_loop(opaque) ? opaque : NULL;
}

static void test_stop_pending(void)
{
	struct stopper s = { .loop = new_loop() };
	struct counter c[10];
	pthread_t th;
	void *owns;
	int i, runs = 0;

	ioloop_bh_init(&s.blocker, blocker_bh, &s);
	ioloop_start(s.loop, "test-io");
	ioloop_bh_schedule(s.loop, &s.blocker);
	wait_for(&s.blocker_in, 1, 5000);
	for (i = 0; i < 10; i++) {
		c[i] = (struct counter){ .loop = s.loop };
		ioloop_bh_init(&c[i].bh, count_bh, &c[i]);
		ioloop_bh_schedule(s.loop, &c[i].bh);
	}
	pthread_create(&th, NULL, stop_thread, s.loop);
	sleep_ms(30);	/* ioloop_stop() has asked the thread to end by now */
	atomic_store(&s.release, 1);
	pthread_join(th, &owns);
	for (i = 0; i < 10; i++)
		runs += c[i].runs;
	tap_ok(runs == 10,
	       "stop: the 10 bhs queued before ioloop_stop() ran before the thread ended (%d)",
	       runs);
	tap_ok(owns && !ioloop_in_loop(s.loop),
	       "stop: the stopping thread, not this one, owns the loop");
	ioloop_destroy(s.loop);
}

/* ---- timers ---- */

#define NTIMERS		5

struct timer_log {
	struct ioloop *loop;
	pthread_mutex_t lock;
	int order[NTIMERS + 3];
	int64_t at[NTIMERS + 3];
	atomic_int n;
	int rearm;		/* past re-arms left for the self-re-arming one */
};

struct timer_slot {
	struct timer_log *log;
	int idx;
	struct ioloop_timer *t;
};

static void log_timer(void *opaque)
{
	struct timer_slot *s = opaque;
	struct timer_log *g = s->log;
	int i;

	pthread_mutex_lock(&g->lock);
	i = atomic_load(&g->n);
	if (i < NTIMERS + 3) {
		g->order[i] = s->idx;
		g->at[i] = ioloop_now_ns();
	}
	atomic_store(&g->n, i + 1);
	if (g->rearm > 0) {
		g->rearm--;
		ioloop_timer_arm(s->t, 0);
	}
	pthread_mutex_unlock(&g->lock);
}

static void test_timers_order(void)
{
	static const int offset_ms[NTIMERS] = { 250, 50, 150, 100, 200 };
	struct timer_log g = { .loop = new_loop() };
	struct timer_slot s[NTIMERS];
	int64_t base;
	bool ordered = true, timely = true, all;
	int i;

	pthread_mutex_init(&g.lock, NULL);
	for (i = 0; i < NTIMERS; i++) {
		s[i] = (struct timer_slot){ &g, i, NULL };
		ioloop_timer_new(g.loop, log_timer, &s[i], &s[i].t);
	}
	ioloop_start(g.loop, "test-io");
	base = ioloop_now_ns();
	for (i = 0; i < NTIMERS; i++)
		ioloop_timer_arm(s[i].t, base + offset_ms[i] * MS);
	tap_ok(ioloop_timer_armed(s[0].t), "timers: armed");
	all = wait_for(&g.n, NTIMERS, 5000);
	sleep_ms(20);
	ioloop_stop(g.loop);
	for (i = 0; all && i < NTIMERS; i++) {
		int64_t due = base + offset_ms[g.order[i]] * MS;

		if (i && offset_ms[g.order[i]] < offset_ms[g.order[i - 1]])
			ordered = false;
		/* Never early; late by less than a second even on a loaded CI box. */
		if (g.at[i] < due || g.at[i] > due + 1000 * MS)
			timely = false;
		tap_diag("timer %d: due +%d ms, fired +%.1f ms", g.order[i], offset_ms[g.order[i]],
			 (double)(g.at[i] - base) / MS);
	}
	tap_ok(all && g.n == NTIMERS, "timers: all 5 fired once (%d)", atomic_load(&g.n));
	tap_ok(all && ordered, "timers: fired in deadline order");
	tap_ok(all && timely, "timers: none early, none more than 1 s late");
	tap_ok(!ioloop_timer_armed(s[0].t), "timers: disarmed once fired");
	for (i = 0; i < NTIMERS; i++)
		ioloop_timer_free(s[i].t);
	ioloop_destroy(g.loop);
	pthread_mutex_destroy(&g.lock);
}

static void test_timers_hand(void)
{
	struct timer_log g = { .loop = new_loop() };
	struct timer_slot s[3];
	int64_t t0, now;
	int i, n;

	pthread_mutex_init(&g.lock, NULL);
	for (i = 0; i < 3; i++) {
		s[i] = (struct timer_slot){ &g, i, NULL };
		ioloop_timer_new(g.loop, log_timer, &s[i], &s[i].t);
	}

	/* Due together: by deadline, then in arming order. */
	now = ioloop_now_ns();
	ioloop_timer_arm(s[0].t, now - 1 * MS);
	ioloop_timer_arm(s[1].t, now - 1 * MS);
	ioloop_timer_arm(s[2].t, now - 2 * MS);
	n = ioloop_run_once(g.loop, 1000);
	tap_ok(n == 3 && g.order[0] == 2 && g.order[1] == 0 && g.order[2] == 1,
	       "timers due together fire by deadline, then FIFO (%d ran: %d %d %d)", n,
	       g.order[0], g.order[1], g.order[2]);

	/* Disarm. */
	atomic_store(&g.n, 0);
	ioloop_timer_arm(s[0].t, ioloop_now_ns() + 20 * MS);
	ioloop_timer_disarm(s[0].t);
	t0 = ioloop_now_ns();
	n = ioloop_run_once(g.loop, 100);
	tap_ok(n == 0 && g.n == 0 && !ioloop_timer_armed(s[0].t),
	       "timer disarmed before its deadline does not fire");
	tap_ok(ioloop_now_ns() - t0 >= 90 * MS,
	       "run_once(100 ms) with nothing due waited (%.1f ms)",
	       (double)(ioloop_now_ns() - t0) / MS);

	/* Re-arming replaces the deadline. */
	ioloop_timer_arm(s[0].t, ioloop_now_ns() + 10000 * MS);
	t0 = ioloop_now_ns();
	ioloop_timer_arm(s[0].t, t0 + 10 * MS);
	n = ioloop_run_once(g.loop, 3000);
	tap_ok(n == 1 && g.n == 1 && ioloop_now_ns() - t0 < 2000 * MS,
	       "re-armed from +10 s to +10 ms: fired after %.1f ms",
	       (double)(ioloop_now_ns() - t0) / MS);

	/* A callback re-arming its timer in the past fires once per round. */
	atomic_store(&g.n, 0);
	g.rearm = 2;
	ioloop_timer_arm(s[1].t, 0);
	for (i = 0; i < 3; i++) {
		n = ioloop_run_once(g.loop, 1000);
		if (n != 1)
			break;
	}
	tap_ok(i == 3 && g.n == 3 && !ioloop_timer_armed(s[1].t),
	       "a timer re-armed in the past by its callback fires once per round, 3 rounds");

	for (i = 0; i < 3; i++)
		ioloop_timer_free(s[i].t);
	ioloop_destroy(g.loop);
	pthread_mutex_destroy(&g.lock);
}

/* ---- fd watches ---- */

struct fdw {
	struct ioloop *loop;
	struct ioloop_watch *w;
	int fd;
	int calls;
	uint32_t events;
	bool consume, self_unwatch;
};

static void fdw_cb(void *opaque, uint32_t events)
{
	struct fdw *f = opaque;
	char b;

	f->calls++;
	f->events = events;
	if (f->consume && read(f->fd, &b, 1) != 1)
		f->events = 0;
	if (f->self_unwatch) {
		ioloop_unwatch(f->loop, f->w);
		f->w = NULL;
	}
}

static void test_watch_rw(void)
{
	struct ioloop *l = new_loop();
	struct fdw r = { .loop = l, .consume = true }, w = { .loop = l };
	int p[2], n;

	if (!tap_ok(pipe(p) == 0, "pipe"))
		return;
	r.fd = p[0];
	w.fd = p[1];
	tap_ok(ioloop_watch_fd(l, p[0], EPOLLIN, fdw_cb, &r, &r.w) == 0,
	       "watch: read end, EPOLLIN");
	n = ioloop_run_once(l, 0);
	tap_ok(n == 0 && !r.calls, "watch: an empty pipe is not readable");
	tap_ok(write(p[1], "x", 1) == 1, "watch: one byte written");
	n = ioloop_run_once(l, 1000);
	tap_ok(n == 1 && r.calls == 1 && r.events == EPOLLIN, "watch: readable once (events %#x)",
	       r.events);
	n = ioloop_run_once(l, 0);
	tap_ok(n == 0 && r.calls == 1, "watch: consumed, not readable any more");

	tap_ok(ioloop_watch_fd(l, p[1], EPOLLOUT, fdw_cb, &w, &w.w) == 0,
	       "watch: write end, EPOLLOUT");
	n = ioloop_run_once(l, 1000);
	tap_ok(n == 1 && w.calls == 1 && w.events == EPOLLOUT,
	       "watch: writable (events %#x)", w.events);
	n = ioloop_run_once(l, 0);
	tap_ok(w.calls == 2, "watch: level-triggered, writable again next round");
	tap_ok(ioloop_watch_modify(l, w.w, 0) == 0, "watch_modify: no events");
	n = ioloop_run_once(l, 0);
	tap_ok(n == 0 && w.calls == 2, "watch_modify: no callback without events");
	tap_ok(ioloop_watch_modify(l, w.w, EPOLLIN | EPOLLOUT | EPOLLET) == -EINVAL,
	       "watch_modify: edge-triggered refused with -EINVAL");
	tap_ok(ioloop_watch_fd(l, -1, EPOLLIN, fdw_cb, &w, &w.w) == -EINVAL,
	       "watch_fd: fd -1 refused with -EINVAL");

	/* Unwatch from its own callback, with data left: never called again. */
	ioloop_unwatch(l, w.w);
	ioloop_unwatch(l, r.w);
	r = (struct fdw){ .loop = l, .fd = p[0], .self_unwatch = true };
	tap_ok(write(p[1], "y", 1) == 1, "watch: a byte left unread");
	ioloop_watch_fd(l, p[0], EPOLLIN, fdw_cb, &r, &r.w);
	ioloop_run_once(l, 1000);
	ioloop_run_once(l, 0);
	ioloop_run_once(l, 0);
	tap_ok(r.calls == 1 && !r.w,
	       "watch removed from its own callback: called once, freed safely");
	ioloop_destroy(l);
	close(p[0]);
	close(p[1]);
}

/*
 * Busy rounds (ioloop.h): a round that starts with bottom halves to run
 * skips epoll_wait(), but never IOLOOP_BUSY_ROUNDS in a row, so a ready
 * fd and a due timer still get their turn while bottom halves keep the
 * loop busy; a round with no bottom half looks at the fds at once.
 */
static void tick(void *opaque)
{
	atomic_fetch_add((atomic_int *)opaque, 1);
}

static void test_busy_rounds(void)
{
	struct ioloop *l = new_loop();
	struct fdw r = { .loop = l, .consume = true };
	struct counter c = { .loop = l, .again = 1000000 };
	struct ioloop_timer *t;
	atomic_int fired = 0;
	int p[2], i, n, skipped_calls = 0, skipped_fired = 0;
	int64_t start;

	if (!tap_ok(pipe(p) == 0, "busy rounds: pipe"))
		return;
	r.fd = p[0];
	tap_ok(ioloop_watch_fd(l, p[0], EPOLLIN, fdw_cb, &r, &r.w) == 0 &&
	       ioloop_timer_new(l, tick, &fired, &t) == 0,
	       "busy rounds: a watched pipe and a timer");
	ioloop_bh_init(&c.bh, count_bh, &c);
	tap_ok(write(p[1], "x", 1) == 1, "busy rounds: the pipe is readable");
	ioloop_timer_arm(t, ioloop_now_ns());
	ioloop_bh_schedule(l, &c.bh);
	start = ioloop_now_ns();
	for (i = 1; i < IOLOOP_BUSY_ROUNDS; i++) {
		n = ioloop_run_once(l, 1000);
		skipped_calls += r.calls;
		skipped_fired += atomic_load(&fired);
		if (n != 2)
			break;
	}
	tap_ok(i == IOLOOP_BUSY_ROUNDS && !skipped_calls && !skipped_fired,
	       "busy rounds: %d rounds that ran a bottom half (twice each) left the fd and "
	       "the timer alone", IOLOOP_BUSY_ROUNDS - 1);
	n = ioloop_run_once(l, 1000);
	tap_ok(n == 4 && r.calls == 1 && atomic_load(&fired) == 1,
	       "busy rounds: round %d looked at them: fd and timer dispatched (%d callbacks)",
	       IOLOOP_BUSY_ROUNDS, n);
	tap_ok(ioloop_now_ns() - start < 500 * MS,
	       "busy rounds: none of them waited (%.1f ms for %d)",
	       (double)(ioloop_now_ns() - start) / MS, IOLOOP_BUSY_ROUNDS);

	/* The streak starts again: the fd waits for the next 16th round. */
	tap_ok(write(p[1], "y", 1) == 1, "busy rounds: readable again");
	for (i = 1; i < IOLOOP_BUSY_ROUNDS && r.calls == 1; i++)
		ioloop_run_once(l, 1000);
	n = ioloop_run_once(l, 1000);
	tap_ok(i == IOLOOP_BUSY_ROUNDS && r.calls == 2,
	       "busy rounds: the next streak too skips %d rounds, then looks", i - 1);

	/* No bottom half: the round polls (and would wait) at once. */
	c.again = 0;
	while (ioloop_run_once(l, 0) > 0)
		;
	tap_ok(write(p[1], "z", 1) == 1, "busy rounds: readable with the loop idle");
	n = ioloop_run_once(l, 1000);
	tap_ok(n == 1 && r.calls == 3, "busy rounds: an idle round dispatches the fd at once");
	ioloop_unwatch(l, r.w);
	ioloop_timer_free(t);
	ioloop_destroy(l);
	close(p[0]);
	close(p[1]);
}

/* Removal from another thread while the callback runs on the loop thread. */
struct busy {
	struct ioloop *loop;
	struct ioloop_timer *t;
	atomic_int in_cb, calls;
};

static void busy_fd(void *opaque, uint32_t events)
{
	struct busy *b = opaque;

	(void)events;
	atomic_store(&b->in_cb, 1);
	usleep(300);
	atomic_fetch_add(&b->calls, 1);
	atomic_store(&b->in_cb, 0);
}

static void busy_timer(void *opaque)
{
	struct busy *b = opaque;

	busy_fd(b, 0);
	ioloop_timer_arm(b->t, 0);
}

static void test_remove_cross_thread(void)
{
	struct busy b = { .loop = new_loop() };
	struct ioloop_watch *w;
	int p[2], round, running_after = 0, late_calls = 0, seen;

	if (!tap_ok(pipe(p) == 0 && write(p[1], "z", 1) == 1, "pipe with a byte nobody reads"))
		return;
	ioloop_start(b.loop, "test-io");
	for (round = 0; round < 20; round++) {
		int before = atomic_load(&b.calls);

		ioloop_watch_fd(b.loop, p[0], EPOLLIN, busy_fd, &b, &w);
		wait_for(&b.calls, before + 1 + round % 3, 5000);
		ioloop_unwatch(b.loop, w);
		running_after += atomic_load(&b.in_cb);
		seen = atomic_load(&b.calls);
		sleep_ms(3);
		late_calls += atomic_load(&b.calls) - seen;
	}
	tap_ok(!running_after,
	       "unwatch from another thread: returns only after the running callback (20 rounds)");
	tap_ok(!late_calls, "unwatch from another thread: no callback after it returned (%d late)",
	       late_calls);

	running_after = late_calls = 0;
	for (round = 0; round < 20; round++) {
		int before = atomic_load(&b.calls);

		ioloop_timer_new(b.loop, busy_timer, &b, &b.t);
		ioloop_timer_arm(b.t, 0);
		wait_for(&b.calls, before + 1 + round % 3, 5000);
		ioloop_timer_free(b.t);
		running_after += atomic_load(&b.in_cb);
		seen = atomic_load(&b.calls);
		sleep_ms(3);
		late_calls += atomic_load(&b.calls) - seen;
	}
	tap_ok(!running_after && !late_calls,
	       "timer_free from another thread while it re-arms itself: waits, then silence (%d, %d)",
	       running_after, late_calls);
	ioloop_destroy(b.loop);
	close(p[0]);
	close(p[1]);
}

/* ---- run_once by hand, ioloop_call_sync() ---- */

static void *in_loop_thread(void *opaque)
{
	return ioloop_in_loop(opaque) ? opaque : NULL;
}

static void test_run_once(void)
{
	struct ioloop *l = new_loop();
	struct counter c = { .loop = l };
	pthread_t th;
	void *res;
	int64_t t0;
	int n;

	tap_ok(ioloop_in_loop(l), "run_once: the creating thread owns a loop nobody runs");
	pthread_create(&th, NULL, in_loop_thread, l);
	pthread_join(th, &res);
	tap_ok(!res, "run_once: another thread is not in the loop");
	n = ioloop_run_once(l, 0);
	tap_ok(n == 0, "run_once(0) with nothing to do returns 0");
	ioloop_bh_init(&c.bh, count_bh, &c);
	ioloop_bh_schedule(l, &c.bh);
	t0 = ioloop_now_ns();
	n = ioloop_run_once(l, -1);
	tap_ok(n == 1 && c.runs == 1 && !c.not_in_loop && ioloop_now_ns() - t0 < 1000 * MS,
	       "run_once(-1) runs a queued bh on the caller and returns");
	tap_ok(ioloop_start(l, "test-io") == 0, "run_once: loop started");
	tap_ok(ioloop_start(l, "test-io") == -EBUSY, "ioloop_start twice: -EBUSY");
	tap_ok(!ioloop_in_loop(l), "run_once: the main thread is not in a started loop");
	tap_ok(ioloop_run_once(l, 0) == -EBUSY, "run_once on a started loop from outside: -EBUSY");
	ioloop_stop(l);
	ioloop_bh_schedule(l, &c.bh);
	n = ioloop_run_once(l, 1000);
	tap_ok(n == 1 && c.runs == 2, "run_once after ioloop_stop() turns it by hand again");
	ioloop_destroy(l);
}

struct sync_probe {
	struct ioloop *loop;
	bool in_loop, sigint_blocked, sigsegv_open;
	char name[16];
	int value;
};

static void sync_probe_fn(void *opaque)
{
	struct sync_probe *p = opaque;
	sigset_t cur;

	p->in_loop = ioloop_in_loop(p->loop);
	pthread_getname_np(pthread_self(), p->name, sizeof(p->name));
	pthread_sigmask(SIG_BLOCK, NULL, &cur);
	p->sigint_blocked = sigismember(&cur, SIGINT) && sigismember(&cur, SIGTERM);
	p->sigsegv_open = !sigismember(&cur, SIGSEGV);
	sleep_ms(20);	/* the caller must still be waiting */
	p->value = 42;
}

static void test_call_sync(void)
{
	struct sync_probe p = { .loop = new_loop() };

	ioloop_start(p.loop, "test-io-thread-long-name");
	ioloop_call_sync(p.loop, sync_probe_fn, &p);
	tap_ok(p.value == 42 && p.in_loop, "call_sync: ran on the loop thread and was waited for");
	tap_ok(!strcmp(p.name,
	       "test-io-thread-"), "loop thread named (truncated to 15: \"%s\")", p.name);
	tap_ok(p.sigint_blocked && p.sigsegv_open,
	       "loop thread: SIGINT/SIGTERM blocked, SIGSEGV left for crash reports");
	ioloop_stop(p.loop);
	p.value = 0;
	ioloop_call_sync(p.loop, sync_probe_fn, &p);
	tap_ok(p.value == 42 && p.in_loop, "call_sync on a stopped loop: runs on the caller");
	ioloop_destroy(p.loop);
}

int main(void)
{
	test_bh_coalesce();
	test_bh_threads();
	test_stop_pending();
	test_timers_order();
	test_timers_hand();
	test_watch_rw();
	test_remove_cross_thread();
	test_run_once();
	test_busy_rounds();
	test_call_sync();
	return tap_done();
}
