/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/disk/unlocked.h - waiting for a killed writer's image lock: the
 * kernel ends a dead process's io_uring requests in a worker after
 * waitpid() returned, and until then they hold the file (its flock) and
 * may still write.  A crash test looks at the image only after that.
 */
#ifndef VMAIN_TESTS_DISK_UNLOCKED_H
#define VMAIN_TESTS_DISK_UNLOCKED_H

#include <fcntl.h>
#include <stdint.h>
#include <sys/file.h>
#include <unistd.h>

#include "io/ioloop.h"

/* CLOCK_MONOTONIC in ms (the I/O loop's clock). */
static inline int64_t unlocked_now_ms(void)
{
	return ioloop_now_ns() / 1000000;
}

/* Waits until path's flock is free, 10 s at most: the ms waited, or -1. */
__attribute__((unused))
static int64_t wait_unlocked(const char *path)
{
	int64_t start = unlocked_now_ms(), waited = -1;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	while (unlocked_now_ms() - start < 10000) {
		if (!flock(fd, LOCK_EX | LOCK_NB)) {
			waited = unlocked_now_ms() - start;
			break;
		}
		usleep(200);
	}
	close(fd);		/* drops the lock */
	return waited;
}

#endif
