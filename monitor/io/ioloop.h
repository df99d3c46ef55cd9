/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * io/ioloop.h - the monitor's I/O loop: fd watches, timers and "run this
 * on the loop" (bottom halves), GLib-free, over epoll.
 *
 * This is the small interface device models and the disk stack use to
 * reach an event loop (DESIGN.md, "The monitor's I/O model").  One loop
 * runs in its own thread, the I/O thread, started once per process and
 * living across guest resets; the disk stack, io_uring completions and
 * worker-pool completions all run there.  Tests create a loop and either
 * start its thread or turn it by hand with ioloop_run_once().
 *
 * Threads.  Every function may be called from any thread (the loop's
 * lists have their own lock); callbacks run on the loop thread only.
 * Removing a watch or freeing a timer from another thread waits until a
 * callback of it that is running has returned.  Bottom halves are how a
 * vCPU thread, a worker thread or the main thread hands work to the
 * loop.  Nothing here takes the machine lock.
 */
#ifndef VMAIN_MONITOR_IO_IOLOOP_H
#define VMAIN_MONITOR_IO_IOLOOP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

struct ioloop;
struct ioloop_watch;
struct ioloop_timer;

/* fd readiness callback; `events` is a mask of EPOLLIN, EPOLLOUT, EPOLLERR, EPOLLHUP. */
typedef void (*ioloop_fd_fn)(void *opaque, uint32_t events);
typedef void (*ioloop_fn)(void *opaque);

/*
 * A bottom half: a function the loop runs soon, on its thread.  Embedded
 * in its owner's object (no allocation per call).  Scheduling one that is
 * already scheduled and has not run yet does nothing (calls coalesce);
 * one scheduled while it runs runs again afterwards.
 */
struct ioloop_bh {
	ioloop_fn fn;
	void *opaque;
	atomic_bool queued;
	struct ioloop_bh *next;		/* the loop's pending list */
};

/* A new loop (no thread yet).  0 or -errno. */
int ioloop_create(struct ioloop **out);
/*
 * Stops the thread if started (ioloop_stop()) and frees the loop.  Every
 * watch and timer must have been removed; pending bottom halves are run
 * first.
 */
void ioloop_destroy(struct ioloop *l);

/* Runs the loop in a new thread named `name`.  0 or -errno. */
int ioloop_start(struct ioloop *l, const char *name);
/*
 * From any other thread: ends the loop thread after the iteration it is
 * in and joins it; bottom halves already scheduled run before it ends.
 */
void ioloop_stop(struct ioloop *l);

/*
 * One iteration on the calling thread (the loop must not be started):
 * runs due bottom halves, waits up to `timeout_ms` (-1: forever) for fds
 * and timers, dispatches them, runs bottom halves again.  Returns the
 * number of callbacks run, or -errno.
 *
 * An iteration that ran bottom halves first does not wait, and does not
 * look at the fds and timers either (no epoll_wait() system call), unless
 * the IOLOOP_BUSY_ROUNDS - 1 iterations before it all did the same: a
 * ready fd or due timer waits at most IOLOOP_BUSY_ROUNDS iterations while
 * bottom halves keep the loop busy, and none while it would sleep.
 */
#define IOLOOP_BUSY_ROUNDS	16
int ioloop_run_once(struct ioloop *l, int timeout_ms);

/* Is the caller the loop's thread (or the thread turning it by hand)? */
bool ioloop_in_loop(struct ioloop *l);

/* Watches `fd` for `events` (EPOLLIN and/or EPOLLOUT, level-triggered). */
int ioloop_watch_fd(struct ioloop *l, int fd, uint32_t events, ioloop_fd_fn fn,
		    void *opaque, struct ioloop_watch **out);
/* Changes the events of a watch (e.g. EPOLLOUT only while output is queued). */
int ioloop_watch_modify(struct ioloop *l, struct ioloop_watch *w, uint32_t events);
/* Removes and frees a watch; its callback is not called after this returns. */
void ioloop_unwatch(struct ioloop *l, struct ioloop_watch *w);

/* A one-shot timer on CLOCK_MONOTONIC; disarmed when created. */
int ioloop_timer_new(struct ioloop *l, ioloop_fn fn, void *opaque,
		     struct ioloop_timer **out);
/* Fires once at CLOCK_MONOTONIC `when_ns` (re-arming replaces the old time). */
void ioloop_timer_arm(struct ioloop_timer *t, int64_t when_ns);
void ioloop_timer_disarm(struct ioloop_timer *t);
bool ioloop_timer_armed(const struct ioloop_timer *t);
void ioloop_timer_free(struct ioloop_timer *t);

/* CLOCK_MONOTONIC now, in ns. */
int64_t ioloop_now_ns(void);

void ioloop_bh_init(struct ioloop_bh *bh, ioloop_fn fn, void *opaque);
/* Any thread: run bh->fn on the loop soon (wakes the loop through an eventfd). */
void ioloop_bh_schedule(struct ioloop *l, struct ioloop_bh *bh);

/*
 * Any thread except the loop's: runs fn(opaque) on the loop and waits
 * until it has returned.  On the loop thread itself, calls fn directly.
 */
void ioloop_call_sync(struct ioloop *l, ioloop_fn fn, void *opaque);

#endif
