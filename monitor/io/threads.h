/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * io/threads.h - what every helper thread of the monitor (the I/O loop,
 * the worker pool) does before it is created.
 */
#ifndef VMAIN_MONITOR_IO_THREADS_H
#define VMAIN_MONITOR_IO_THREADS_H

#include <signal.h>

/*
 * Blocks the asynchronous signals in the calling thread (so that a thread
 * it creates inherits the mask from its first instruction): SIGINT,
 * SIGTERM and the rest go to the main thread.  The synchronous ones a
 * fault raises stay open, so a crash in a helper thread is still reported
 * as one.  The old mask goes to *old, to restore after pthread_create().
 */
void threads_block_async_signals(sigset_t *old);

#endif
