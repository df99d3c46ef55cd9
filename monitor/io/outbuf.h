/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * io/outbuf.h - a bounded output buffer for one fd (a terminal, a pipe,
 * a socket or a file), drained by the I/O loop.
 *
 * Console output comes from device models on vCPU threads with the
 * machine lock held; nothing may write to a terminal there (DESIGN.md,
 * "The monitor's I/O model"): a reader that stops reading would block the
 * vCPU in write() with the lock held, and with it every other vCPU and the
 * main thread's power button.  outbuf_write() only copies into a ring
 * buffer and wakes the loop; the loop writes what the fd takes without
 * blocking and waits for EPOLLOUT when it takes no more.  What does not
 * fit in the ring is dropped: the newest bytes, never ones already queued,
 * so the output has gaps but no garbled lines.  A reader that went away
 * (EPIPE, EIO, any error) makes the outbuf drop everything from then on,
 * silently: the guest never notices.
 *
 * The fd.  A pipe, terminal or socket is set O_NONBLOCK while the outbuf
 * lives (that flag belongs to the open file description, which stdout may
 * share with stdin and with the user's shell: outbuf_destroy() puts it back
 * as it was).  A regular file or a block device is written as it is: such
 * writes never return EAGAIN.  The fd stays the caller's: it is never
 * closed, and while the loop watches it no other watch on the same loop
 * may use it, so two outputs to one fd share one outbuf.
 *
 * Threads.  outbuf_write() and outbuf_dropped() may be called from any
 * thread with any lock held; outbuf_create() and outbuf_destroy() from a
 * thread that is not running one of the loop's callbacks.
 */
#ifndef VMAIN_MONITOR_IO_OUTBUF_H
#define VMAIN_MONITOR_IO_OUTBUF_H

#include <stddef.h>
#include <stdint.h>

#include "io/ioloop.h"

#define OUTBUF_MAX_CAPACITY	(1u << 30)

struct outbuf;

/*
 * A buffer of `capacity` bytes (1 to OUTBUF_MAX_CAPACITY) writing to `fd`
 * on loop `l`.  0 or -errno (-EINVAL, -EBADF, -ENOMEM, or fcntl's error).
 */
int outbuf_create(struct outbuf **out, struct ioloop *l, int fd, size_t capacity);

/*
 * Queues up to `len` bytes of `buf` and returns how many it took: all of
 * them while they fit, the first ones that fit when the buffer is nearly
 * full, none once the output is gone.  The rest is dropped and counted.
 * Never blocks on I/O; its one system call is the loop's wake-up, made
 * when the buffer goes from drained to not.  The bytes of one call stay
 * together: calls from several threads are queued one after the other.
 * `ob` NULL: the output is "none", everything is dropped (returns 0).
 */
size_t outbuf_write(struct outbuf *ob, const void *buf, size_t len);

/* Bytes dropped so far (not taken, or taken and lost to an fd error). */
uint64_t outbuf_dropped(const struct outbuf *ob);

/*
 * Waits up to `flush_timeout_ns` (0 or less: not at all) for what is
 * queued to reach the fd, drops the rest, puts back the fd's O_NONBLOCK
 * as it was and frees the outbuf (the fd stays open).  No outbuf_write()
 * may run or start once this is called.  A thread turning the loop by
 * hand (a test) may call it: it then turns the loop while it waits.
 * Returns the bytes dropped in all (outbuf_dropped() at the end).
 */
uint64_t outbuf_destroy(struct outbuf *ob, int64_t flush_timeout_ns);

#endif
