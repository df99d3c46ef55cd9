// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vm/caller-file.c - a file a non-owner caller named (vm/caller-file.h).
 *
 * Why ownership, not access(): the monitor cannot ask the kernel whether
 * another uid may read a file (faccessat checks its own ids, and
 * setfsuid needs CAP_SETUID), and a file the caller owns is one it could
 * read anyway.  O_NONBLOCK: a FIFO must not hang the control thread.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vm/caller-file.h"

int vm_open_callers_file(const char *path, uid_t caller, char *err, size_t errlen)
{
	struct stat sb;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0) {
		int e = errno;

		snprintf(err, errlen, "'%s': %s", path, e == ELOOP ?
			 "a symbolic link: give the file it points to" : strerror(e));
		return -e;
	}
	if (fstat(fd, &sb) || !S_ISREG(sb.st_mode) || sb.st_uid != caller) {
		snprintf(err, errlen, "'%s': not a regular file of yours (on a VM you do not "
			 "own, the file must be one you own)", path);
		close(fd);
		return -EPERM;
	}
	return fd;
}
