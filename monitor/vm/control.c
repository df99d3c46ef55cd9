// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vm/control.c - the control socket's name lock (see control.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vm/bundle.h"
#include "vm/control.h"

#define CLAIM_RETRIES	8

static pid_t read_pid(int fd)
{
	char buf[24];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		return 0;
	buf[n] = 0;
	return (pid_t)strtol(buf, NULL, 10);
}

/* The name still leads to the file we hold (not unlinked, not replaced). */
static bool still_named(int fd, const char *path)
{
	struct stat a, b;

	return !fstat(fd, &a) && !stat(path, &b) && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

int vm_control_claim(const struct vm_paths *p, const char *name, char **sock_path,
		     int *lock_fd, char *err, size_t errlen)
{
	int fd, ret, retries = CLAIM_RETRIES;
	char *lock_path;

	ret = vm_runtime_dir_make(p);
	if (ret) {
		snprintf(err, errlen, "cannot make %s: %s", p->runtime_dir, strerror(-ret));
		return ret;
	}
	lock_path = g_strdup_printf("%s/%s.lock", p->runtime_dir, name);
again:
	fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot open %s: %s", lock_path, strerror(errno));
		goto free_path;
	}
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		ret = -errno;
		if (ret == -EWOULDBLOCK) {
			pid_t holder = read_pid(fd);

			ret = -EBUSY;
			if (holder > 0)
				snprintf(err, errlen, "%s is already running (pid %ld)", name,
					 (long)holder);
			else
				snprintf(err, errlen, "%s is already running", name);
		} else {
			snprintf(err, errlen, "cannot lock %s: %s", lock_path, strerror(-ret));
		}
		goto close_fd;
	}
	/*
	 * The holder before us removes the file as it ends
	 * (vm_control_release()): if that happened after our open, our lock
	 * is on a file nobody else will open.  Take the one the name has now.
	 */
	if (!still_named(fd, lock_path)) {
		close(fd);
		if (retries-- > 0)
			goto again;
		ret = -EAGAIN;
		snprintf(err, errlen, "cannot lock %s: it keeps being replaced", lock_path);
		goto free_path;
	}
	ret = vm_lock_set_pid(fd);
	if (ret) {
		snprintf(err, errlen, "cannot write %s: %s", lock_path, strerror(-ret));
		goto close_fd;
	}
	*sock_path = vm_socket_path(p, name);
	*lock_fd = fd;
	g_free(lock_path);
	return 0;

close_fd:
	close(fd);
free_path:
	g_free(lock_path);
	return ret;
}

int vm_lock_set_pid(int lock_fd)
{
	char pid[24];
	int len = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());

	if (ftruncate(lock_fd, 0) || pwrite(lock_fd, pid, (size_t)len, 0) != len)
		return -errno;
	return 0;
}

int vm_control_server_pidfd(const char *sock_path, pid_t *pid)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct ucred uc;
	socklen_t len = sizeof(uc);
	int fd, pidfd, ret;

	if (strlen(sock_path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, sock_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* The kernel accepts into the backlog even when the VM's loop is stuck. */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len)) {
		ret = -errno;
		goto close_fd;
	}
	if (uc.pid <= 0 || (uc.uid != geteuid() && geteuid() != 0)) {
		ret = -EPERM;
		goto close_fd;
	}
	pidfd = (int)syscall(SYS_pidfd_open, uc.pid, 0);
	if (pidfd < 0) {
		ret = -errno;
		goto close_fd;
	}
	close(fd);
	*pid = uc.pid;
	return pidfd;

close_fd:
	close(fd);
	return ret;
}

void vm_control_release(const char *sock_path, int lock_fd)
{
	size_t n;
	char *lock_path;

	if (lock_fd < 0 || !sock_path)
		return;
	n = strlen(sock_path);
	if (n > 5 && !strcmp(sock_path + n - 5, ".sock")) {
		lock_path = g_strdup_printf("%.*s.lock", (int)(n - 5), sock_path);
		/* Still ours: nobody else may unlink or replace it meanwhile. */
		if (still_named(lock_fd, lock_path))
			unlink(lock_path);
		g_free(lock_path);
	}
	close(lock_fd);
}
