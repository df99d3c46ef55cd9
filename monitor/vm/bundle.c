// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vm/bundle.c - the bundle directories, their lock, and where the control
 * sockets go (see bundle.h, docs/bundles.md).
 *
 * The lock is an flock(2) on BUNDLE/.lock: the kernel drops it when the
 * last descriptor of its open file description closes, which includes
 * the death of the process by any signal, so no stale lock can outlive
 * a VM.  The pid in the file is only there to be named in messages.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>

#include "io/fsync-dir.h"
#include "vm/bundle.h"

#define LOCK_FILE	".lock"
/* Deeper trees than this in a bundle are refused by delete (fds are finite). */
#define DELETE_MAX_DEPTH	64
/* vm_bundle_lock() retries this long while a probe holds the lock shared. */
#define LOCK_RETRY_MS		50

/* ---- paths ---------------------------------------------------------- */

/* $VAR when set: it must be absolute.  1 set, 0 unset/empty, -EINVAL. */
static int env_dir(const char *var, const char **out, char *err, size_t errlen)
{
	const char *v = getenv(var);

	if (!v || !*v)
		return 0;
	if (v[0] != '/') {
		snprintf(err, errlen, "%s=%s: not an absolute path", var, v);
		return -EINVAL;
	}
	*out = v;
	return 1;
}

static int user_vms_dir(struct vm_paths *p, char *err, size_t errlen)
{
	const char *data = getenv("XDG_DATA_HOME");
	const char *home;

	/* XDG Base Directory spec: a relative $XDG_DATA_HOME is invalid and ignored. */
	if (data && data[0] == '/') {
		p->vms_dir = g_build_filename(data, "vmain", "VMs", NULL);
		return 0;
	}
	home = g_get_home_dir();
	if (!home || home[0] != '/') {
		snprintf(err, errlen, "neither XDG_DATA_HOME nor HOME is set to an "
			 "absolute path: no place for the VMs");
		return -EINVAL;
	}
	p->vms_dir = g_build_filename(home, ".local", "share", "vmain", "VMs", NULL);
	return 0;
}

static int user_runtime_dir(struct vm_paths *p, char *err, size_t errlen)
{
	const char *run = getenv("XDG_RUNTIME_DIR");

	if (!run || run[0] != '/') {
		snprintf(err, errlen, "XDG_RUNTIME_DIR is not set%s (a login session "
			 "sets it, e.g. to /run/user/%u; the control sockets live there)",
			 run && *run ? " to an absolute path" : "", (unsigned int)getuid());
		return -EINVAL;
	}
	p->runtime_dir = g_build_filename(run, "vmain", NULL);
	return 0;
}

int vm_paths_init(struct vm_paths *p, bool system, char *err, size_t errlen)
{
	const char *v = NULL;
	int ret;

	memset(p, 0, sizeof(*p));
	p->system = system;
	ret = env_dir("VMAIN_VMS_DIR", &v, err, errlen);
	if (ret > 0)
		p->vms_dir = g_strdup(v);
	else if (!ret && system)
		p->vms_dir = g_strdup(VM_SYSTEM_VMS_DIR);
	else if (!ret)
		ret = user_vms_dir(p, err, errlen);
	if (ret < 0)
		goto free_paths;
	ret = env_dir("VMAIN_RUNTIME_DIR", &v, err, errlen);
	if (ret > 0)
		p->runtime_dir = g_strdup(v);
	else if (!ret && system)
		p->runtime_dir = g_strdup(VM_SYSTEM_RUNTIME_DIR);
	else if (!ret)
		ret = user_runtime_dir(p, err, errlen);
	if (ret < 0)
		goto free_paths;
	return 0;

free_paths:
	vm_paths_free(p);
	return ret;
}

void vm_paths_free(struct vm_paths *p)
{
	g_free(p->vms_dir);
	g_free(p->runtime_dir);
	p->vms_dir = p->runtime_dir = NULL;
}

char *vm_bundle_dir(const struct vm_paths *p, const char *name)
{
	/* A name that was not checked must not reach the file system ("../x"). */
	if (vm_name_check(name, NULL, 0))
		return NULL;
	return g_strdup_printf("%s/%s" VM_BUNDLE_SUFFIX, p->vms_dir, name);
}

char *vm_socket_path(const struct vm_paths *p, const char *name)
{
	if (vm_name_check(name, NULL, 0))
		return NULL;
	return g_strdup_printf("%s/%s.sock", p->runtime_dir, name);
}

/* mkdir -p: missing components made with `mode`.  *made: the last one was. */
static int mkdir_p(const char *path, mode_t mode, bool *made)
{
	g_autofree char *copy = g_strdup(path);
	char *p = copy;
	struct stat st;

	*made = false;
	for (;;) {
		char *slash;

		while (*p == '/')
			p++;
		slash = strchr(p, '/');
		if (slash)
			*slash = 0;
		if (*p) {
			*made = !mkdir(copy, mode);
			if (!*made && errno != EEXIST)
				return -errno;
			if (!*made && stat(copy, &st))
				return -errno;
			if (!*made && !S_ISDIR(st.st_mode))
				return -ENOTDIR;
		}
		if (!slash)
			return 0;
		*slash = '/';
		p = slash + 1;
	}
}

int vm_runtime_dir_make(const struct vm_paths *p)
{
	struct group *g;
	bool made;
	int ret;

	ret = mkdir_p(p->runtime_dir, 0700, &made);
	if (ret || !made || !p->system)
		return ret;
	/* A new system directory: the vmain group may reach the sockets (0660 in it). */
	g = getgrnam("vmain");
	if (!g)
		return 0;
	if (chown(p->runtime_dir, (uid_t)-1, g->gr_gid) || chmod(p->runtime_dir, 0750))
		return -errno;
	return 0;
}

/* ---- create, list, delete ------------------------------------------- */


/*
 * Empties the directory `dfd` without following links: each entry is
 * opened relative to its parent with O_NOFOLLOW, so a symlink (or one
 * swapped in meanwhile) is unlinked itself and never entered.
 */
static int remove_tree(int dfd, unsigned int depth)
{
	struct dirent *e;
	DIR *d;
	int fd, ret = 0;

	if (depth > DELETE_MAX_DEPTH)
		return -ELOOP;
	fd = dup(dfd);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		ret = -errno;
		close(fd);
		return ret;
	}
	while (!ret && (errno = 0, e = readdir(d))) {
		int sub;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (!unlinkat(dfd, e->d_name, 0))
			continue;
		/* EISDIR (Linux unlink(2)) for a directory; anything else is an error. */
		if (errno != EISDIR && errno != EPERM) {
			ret = -errno;
			break;
		}
		sub = openat(dfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0) {
			ret = -errno;
			break;
		}
		ret = remove_tree(sub, depth + 1);
		close(sub);
		if (!ret && unlinkat(dfd, e->d_name, AT_REMOVEDIR))
			ret = -errno;
	}
	if (!ret && errno)
		ret = -errno;
	closedir(d);
	return ret;
}

int vm_bundle_create(const struct vm_paths *p, const char *name, const struct vm_config *cfg,
		     char *err, size_t errlen)
{
	g_autofree char *dir = NULL;
	bool made;
	int ret;

	ret = vm_name_check(name, err, errlen);
	if (ret)
		return ret;
	dir = vm_bundle_dir(p, name);
	ret = mkdir_p(p->vms_dir, 0700, &made);
	if (ret) {
		snprintf(err, errlen, "%s: %s", p->vms_dir, strerror(-ret));
		return ret;
	}
	/* mkdir(2) is the atomic claim of the name: of two creates, one gets EEXIST. */
	if (mkdir(dir, 0700)) {
		ret = -errno;
		if (ret == -EEXIST)
			snprintf(err, errlen, "%s already exists", name);
		else
			snprintf(err, errlen, "%s: %s", dir, strerror(-ret));
		return ret;
	}
	ret = vm_config_save(dir, cfg, err, errlen);
	if (!ret) {
		ret = fsync_dir(p->vms_dir);
		if (ret)
			snprintf(err, errlen, "%s: fsync: %s", p->vms_dir, strerror(-ret));
	}
	if (ret) {
		int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

		if (fd >= 0) {
			remove_tree(fd, 0);
			close(fd);
		}
		rmdir(dir);
	}
	return ret;
}

static gint compare_names(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int vm_bundle_list(const struct vm_paths *p, char ***names)
{
	GPtrArray *a = g_ptr_array_new_with_free_func(g_free);
	const size_t sl = strlen(VM_BUNDLE_SUFFIX);
	struct dirent *e;
	DIR *d;
	int ret;

	*names = NULL;
	d = opendir(p->vms_dir);
	if (!d && errno != ENOENT) {
		ret = -errno;
		g_ptr_array_free(a, true);
		return ret;
	}
	while (d && (errno = 0, e = readdir(d))) {
		size_t len = strlen(e->d_name);
		g_autofree char *name = NULL;
		struct stat st;

		if (len <= sl || strcmp(e->d_name + len - sl, VM_BUNDLE_SUFFIX))
			continue;
		name = g_strndup(e->d_name, len - sl);
		if (vm_name_check(name, NULL, 0))
			continue;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) ||
		    !S_ISDIR(st.st_mode))
			continue;
		g_ptr_array_add(a, g_steal_pointer(&name));
	}
	ret = d && errno ? -errno : 0;
	if (d)
		closedir(d);
	if (ret) {
		g_ptr_array_free(a, true);
		return ret;
	}
	g_ptr_array_sort(a, compare_names);
	ret = (int)a->len;
	g_ptr_array_add(a, NULL);
	*names = (char **)g_ptr_array_free(a, false);
	return ret;
}

static pid_t read_pid(int fd)
{
	char buf[24];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	long long v = 0;
	char *p;

	if (n <= 0)
		return 0;
	buf[n] = 0;
	for (p = buf; *p >= '0' && *p <= '9' && v <= INT_MAX; p++)
		v = v * 10 + (*p - '0');
	if (p == buf || (*p && *p != '\n') || v <= 0 || v > INT_MAX)
		return 0;
	return (pid_t)v;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { .tv_sec = 0, .tv_nsec = (long)ms * 1000000 };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* The lock on DIRFD/.lock (see vm_bundle_lock()). */
static int lock_at(int dirfd, int *lockfd, pid_t *holder)
{
	unsigned int waited = 0;
	char buf[24];
	int fd, n, ret;

	*lockfd = -1;
	*holder = 0;
	fd = openat(dirfd, LOCK_FILE, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
	if (fd < 0)
		return -errno;
	while (flock(fd, LOCK_EX | LOCK_NB)) {
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK) {
			ret = -errno;
			goto close_fd;
		}
		/* A holder that stays is a running VM; a probe lets go within microseconds. */
		if (waited >= LOCK_RETRY_MS) {
			*holder = read_pid(fd);
			ret = -EBUSY;
			goto close_fd;
		}
		sleep_ms(2);
		waited += 2;
	}
	n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	if (ftruncate(fd, 0) || pwrite(fd, buf, n, 0) != n) {
		ret = errno ? -errno : -EIO;
		goto close_fd;
	}
	*lockfd = fd;
	return 0;

close_fd:
	close(fd);
	return ret;
}

int vm_bundle_lock(const char *bundle_dir, int *fd, pid_t *holder)
{
	int dfd = open(bundle_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int ret;

	*fd = -1;
	*holder = 0;
	if (dfd < 0)
		return -errno;
	ret = lock_at(dfd, fd, holder);
	close(dfd);
	return ret;
}

void vm_bundle_unlock(int fd)
{
	if (fd < 0)
		return;
	/* Tidy only: a pid left behind would be harmless, the flock is the truth. */
	if (ftruncate(fd, 0)) {
		/* nothing to do: closing still drops the lock */
	}
	close(fd);
}

int vm_config_lock(const char *bundle_dir, unsigned int wait_ms, int *fd)
{
	g_autofree char *path = g_build_filename(bundle_dir, LOCK_FILE, NULL);
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1 };
	unsigned int waited = 0;
	int lfd, ret;

	*fd = -1;
	lfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
	if (lfd < 0)
		return -errno;
	/* Polled, not F_OFD_SETLKW: a stopped writer must not hang a monitor's thread. */
	while (fcntl(lfd, F_OFD_SETLK, &fl)) {
		ret = -errno;
		if (ret == -EINTR)
			continue;
		if (ret != -EAGAIN && ret != -EACCES)
			goto close_fd;
		if (waited >= wait_ms) {
			ret = -EAGAIN;
			goto close_fd;
		}
		sleep_ms(5);
		waited += 5;
	}
	*fd = lfd;
	return 0;

close_fd:
	close(lfd);
	return ret;
}

void vm_config_unlock(int fd)
{
	if (fd >= 0)
		close(fd);	/* an OFD lock goes with its open file description */
}

bool vm_bundle_running(const char *bundle_dir, pid_t *pid)
{
	g_autofree char *path = g_build_filename(bundle_dir, LOCK_FILE, NULL);
	bool running = false;
	int fd;

	if (pid)
		*pid = 0;
	/* Read-only is enough for flock(2), and works on another user's bundle. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (fd < 0)
		return false;
	while (flock(fd, LOCK_SH | LOCK_NB)) {
		if (errno == EINTR)
			continue;
		running = errno == EWOULDBLOCK;
		break;
	}
	if (running && pid)
		*pid = read_pid(fd);
	close(fd);	/* drops the shared lock if we took it */
	return running;
}

/* Empties and removes VMS/NAME.vmain (dfd) while holding its lock. */
static int delete_locked(int vms_fd, int dfd, const char *entry)
{
	int ret = 0, tries;

	/* A start racing us may create .lock again after we removed it: go again. */
	for (tries = 0; tries < 3; tries++) {
		ret = remove_tree(dfd, 0);
		if (ret)
			return ret;
		if (!unlinkat(vms_fd, entry, AT_REMOVEDIR))
			return fsync(vms_fd) ? -errno : 0;
		ret = -errno;
		if (ret != -ENOTEMPTY)
			return ret;
	}
	return ret;
}

int vm_bundle_delete(const struct vm_paths *p, const char *name, char *err, size_t errlen)
{
	g_autofree char *entry = NULL;
	int vms_fd, dfd, lockfd, ret;
	pid_t holder;

	ret = vm_name_check(name, err, errlen);
	if (ret)
		return ret;
	entry = g_strconcat(name, VM_BUNDLE_SUFFIX, NULL);
	vms_fd = open(p->vms_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (vms_fd < 0) {
		ret = -errno;
		goto report;
	}
	dfd = openat(vms_fd, entry, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0) {
		ret = -errno;
		goto close_vms;
	}
	ret = lock_at(dfd, &lockfd, &holder);
	if (ret == -EBUSY) {
		if (holder)
			snprintf(err, errlen, "%s is running (pid %d)", name, (int)holder);
		else
			snprintf(err, errlen, "%s is running", name);
		goto close_dir;
	}
	if (!ret) {
		ret = delete_locked(vms_fd, dfd, entry);
		close(lockfd);
		if (ret == -ELOOP)
			snprintf(err, errlen, "deleting %s/%s: nested more than %d levels deep "
				 "(partly deleted)", p->vms_dir, entry, DELETE_MAX_DEPTH);
	}
close_dir:
	close(dfd);
close_vms:
	close(vms_fd);
	if (ret == -EBUSY || ret == -ELOOP)
		return ret;
report:
	if (ret == -ENOENT)
		snprintf(err, errlen, "there is no VM named %s", name);
	else if (ret == -ENOTDIR || ret == -ELOOP)	/* O_NOFOLLOW|O_DIRECTORY on a link or file */
		snprintf(err, errlen, "%s/%s: not a bundle directory (a symlink or a file)",
			 p->vms_dir, entry);
	else if (ret)
		snprintf(err, errlen, "deleting %s/%s: %s", p->vms_dir, entry, strerror(-ret));
	return ret;
}
