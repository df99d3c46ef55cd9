// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * caller-file-test.c - vm_open_callers_file() (monitor/vm/caller-file.c):
 * what a non-owner caller may name as a disc on a VM it does not own.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tap.h"
#include "vm/caller-file.h"

int main(void)
{
	char dir[] = "/tmp/caller-file-XXXXXX", file[64], link[64], fifo[64], err[256];
	uid_t me = geteuid();
	struct stat a, b;
	int fd;

	if (!tap_ok(mkdtemp(dir) != NULL, "a scratch directory"))
		return tap_done();
	snprintf(file, sizeof(file), "%s/disc.iso", dir);
	snprintf(link, sizeof(link), "%s/link.iso", dir);
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	fd = open(file, O_CREAT | O_WRONLY, 0600);
	tap_ok(fd >= 0 && write(fd, "CD001", 5) == 5 && !close(fd), "a file of ours");
	tap_ok(!symlink(file, link) && !mkfifo(fifo, 0600), "a symlink to it, a FIFO");

	fd = vm_open_callers_file(file, me, err, sizeof(err));
	tap_ok(fd >= 0 && !fstat(fd, &a) && !stat(file, &b) && a.st_ino == b.st_ino,
	       "the caller's own regular file: its fd, the same inode");
	tap_ok(fd >= 0 && (fcntl(fd, F_GETFD) & FD_CLOEXEC), "the fd is close-on-exec");
	if (fd >= 0)
		close(fd);
	tap_ok(vm_open_callers_file(file, me + 1, err, sizeof(err)) == -EPERM &&
	       strstr(err, "not a regular file of yours"),
	       "another uid's file: EPERM (%s)", err);
	tap_ok(vm_open_callers_file(link, me, err, sizeof(err)) == -ELOOP &&
	       strstr(err, "symbolic link"), "a symlink, even to the caller's file: ELOOP (%s)", err);
	tap_ok(vm_open_callers_file(dir, me, err, sizeof(err)) == -EPERM,
	       "a directory the caller owns: EPERM");
	tap_ok(vm_open_callers_file(fifo, me, err, sizeof(err)) == -EPERM,
	       "a FIFO the caller owns: EPERM, without hanging");
	tap_ok(vm_open_callers_file("/dev/null", 0, err, sizeof(err)) == -EPERM,
	       "a device (root's /dev/null, asked as root): EPERM");
	tap_ok(vm_open_callers_file("/nonexistent/x.iso", me, err, sizeof(err)) == -ENOENT &&
	       strstr(err, "No such file"), "a missing file: ENOENT (%s)", err);

	unlink(fifo);
	unlink(link);
	unlink(file);
	rmdir(dir);
	return tap_done();
}
