// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * io/fsync-dir.c - fsync of a directory (see fsync-dir.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "io/fsync-dir.h"

int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int ret = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd))
		ret = -errno;
	close(fd);
	return ret;
}
