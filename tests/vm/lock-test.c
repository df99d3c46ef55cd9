// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * lock-test.c - the bundle lock: the holder's pid in .lock, O_CLOEXEC (a
 * program the holder runs does not inherit it), a second lock refused with
 * the holder's pid from another process and from this one, the lock free
 * at once after SIGKILL of its holder, "0" when the pid is not written
 * yet, and probes by vm_bundle_running() never making a lock fail; the
 * config lock (vm_config_lock()) apart from it, across processes.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "tap.h"
#include "util.h"
#include "vm/bundle.h"

static char *bundle, *lock_path;

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void test_own_lock(void)
{
	g_autofree char *text = NULL;
	char want[32];
	int fd, fd2, ret;
	pid_t holder = -1, pid = -1;
	struct stat st;
	double t0;

	tap_ok(!vm_bundle_running(bundle, &pid) && pid == 0, "never locked: not running");
	ret = vm_bundle_lock(bundle, &fd, &holder);
	tap_ok(!ret && fd >= 0 && holder == 0, "lock");
	tap_ok((fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0, "the lock fd is close-on-exec");
	snprintf(want, sizeof(want), "%d\n", (int)getpid());
	text = read_text(lock_path);
	tap_ok(text && !strcmp(text, want), ".lock holds our pid and a newline: %d", (int)getpid());
	tap_ok(!stat(lock_path, &st) && (st.st_mode & 07777) == 0600, ".lock has mode 0600");
	ret = vm_bundle_running(bundle, &pid);
	tap_ok(ret && pid == getpid(), "running, pid %d", (int)pid);
	t0 = now_ms();
	ret = vm_bundle_lock(bundle, &fd2, &holder);
	tap_ok(ret == -EBUSY && holder == getpid() && fd2 == -1,
	       "a second lock in the same process: -EBUSY, holder %d (after %.0f ms of retries)",
	       (int)holder, now_ms() - t0);
	vm_bundle_unlock(fd);
	tap_ok(!vm_bundle_running(bundle, &pid) && pid == 0, "unlocked: not running");
	tap_ok(!stat(lock_path, &st) && st.st_size == 0, "unlock empties .lock (tidy, not needed)");
	tap_ok(vm_bundle_lock("/nonexistent/x.vmain", &fd, &holder) == -ENOENT && fd == -1,
	       "no such bundle: -ENOENT");
	vm_bundle_unlock(-1);
	tap_ok(1, "vm_bundle_unlock(-1) does nothing");
}

/*
 * What a child takes and holds until killed: the bundle lock, a raw flock
 * of .lock without the pid written, or the config lock.
 */
enum hold { HOLD_BUNDLE, HOLD_RAW, HOLD_CONFIG };

static pid_t child_holding(enum hold what)
{
	int p[2], fd;
	pid_t pid, holder;
	char c;

	if (pipe(p))
		exit(2);
	pid = fork();
	if (!pid) {
		close(p[0]);
		if (what == HOLD_RAW) {
			fd = open(lock_path, O_RDWR | O_CREAT, 0600);
			if (fd < 0 || flock(fd, LOCK_EX) || ftruncate(fd, 0) ||
			    pwrite(fd, "junk", 4, 0) != 4)
				_exit(1);
		} else if (what == HOLD_CONFIG ? vm_config_lock(bundle, 0, &fd) :
			   vm_bundle_lock(bundle, &fd, &holder)) {
			_exit(1);
		}
		if (write(p[1], "L", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(p[1]);
	if (read(p[0], &c, 1) != 1) {
		fprintf(stderr, "child did not lock\n");
		exit(2);
	}
	close(p[0]);
	return pid;
}

static void test_other_process(void)
{
	pid_t child, holder = -1, pid = -1;
	int fd = -1, ret;
	double t0;

	child = child_holding(HOLD_BUNDLE);
	ret = vm_bundle_lock(bundle, &fd, &holder);
	tap_ok(ret == -EBUSY && holder == child, "a forked child holds it: -EBUSY, holder %d "
	       "(the child is %d)", (int)holder, (int)child);
	ret = vm_bundle_running(bundle, &pid);
	tap_ok(ret && pid == child, "running, pid %d", (int)pid);
	tap_ok(vm_bundle_running(bundle, NULL), "running, no pid wanted");
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	tap_ok(!vm_bundle_running(bundle, &pid), "the child was killed with SIGKILL: not running");
	/* Free at once: a non-blocking flock on a fresh open succeeds on the first try. */
	fd = open(lock_path, O_RDONLY | O_CLOEXEC);
	ret = fd >= 0 ? flock(fd, LOCK_EX | LOCK_NB) : -1;
	tap_ok(!ret, "after SIGKILL of the holder the kernel has dropped the lock (first try)");
	if (fd >= 0)
		close(fd);
	t0 = now_ms();
	ret = vm_bundle_lock(bundle, &fd, &holder);
	t0 = now_ms() - t0;
	tap_ok(!ret, "vm_bundle_lock takes it (%.1f ms), nothing stale", t0);
	vm_bundle_unlock(fd);

	child = child_holding(HOLD_RAW);
	ret = vm_bundle_lock(bundle, &fd, &holder);
	tap_ok(ret == -EBUSY && holder == 0, "a holder whose pid is not written yet: -EBUSY, holder 0");
	ret = vm_bundle_running(bundle, &pid);
	tap_ok(ret && pid == 0, "running, pid 0 (.lock says 'junk')");
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
}

/*
 * The config lock: one read-modify-write of config.ini at a time, across
 * processes, and apart from the bundle lock a running VM holds.
 */
static void test_config_lock(void)
{
	int bfd = -1, cfd = -1, cfd2 = -1, ret;
	pid_t holder = 0, child;
	double t0;

	ret = vm_bundle_lock(bundle, &bfd, &holder);
	tap_ok(!ret, "config lock: the bundle lock taken first (a running VM)");
	ret = vm_config_lock(bundle, 0, &cfd);
	tap_ok(!ret && cfd >= 0, "config lock: taken while the bundle lock is held (flock and "
	       "OFD locks are apart)");
	tap_ok((fcntl(cfd, F_GETFD) & FD_CLOEXEC) != 0, "config lock: its fd is close-on-exec");
	t0 = now_ms();
	ret = vm_config_lock(bundle, 100, &cfd2);
	t0 = now_ms() - t0;
	tap_ok(ret == -EAGAIN && cfd2 == -1 && t0 >= 100,
	       "config lock: a second open in the same process waits its 100 ms, then -EAGAIN "
	       "(%.0f ms)", t0);
	vm_config_unlock(cfd);
	ret = vm_config_lock(bundle, 0, &cfd2);
	tap_ok(!ret, "config lock: free again once unlocked");
	vm_config_unlock(cfd2);
	tap_ok(vm_bundle_running(bundle, NULL), "config lock: the bundle lock was never touched");
	vm_bundle_unlock(bfd);

	child = child_holding(HOLD_CONFIG);
	ret = vm_config_lock(bundle, 50, &cfd);
	tap_ok(ret == -EAGAIN && cfd == -1, "config lock: another process holds it: -EAGAIN");
	tap_ok(!vm_bundle_running(bundle, NULL), "config lock: ... which is not the bundle lock "
	       "(not running)");
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	ret = vm_config_lock(bundle, 0, &cfd);
	tap_ok(!ret, "config lock: free at once after SIGKILL of its holder (no wait allowed)");
	vm_config_unlock(cfd);
	tap_ok(vm_config_lock("/nonexistent/x.vmain", 0, &cfd) == -ENOENT && cfd == -1,
	       "config lock: no bundle: -ENOENT");
}

/* Locked, then fork+exec a program: after our unlock the lock is free though it runs. */
static void test_exec_does_not_inherit(void)
{
	int p[2], fd, ret;
	pid_t holder, child;
	char c;

	ret = vm_bundle_lock(bundle, &fd, &holder);
	if (pipe2(p, O_CLOEXEC))
		exit(2);
	child = fork();
	if (!child) {
		execl("/bin/sleep", "sleep", "10", (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	/* EOF on the CLOEXEC pipe: the exec has happened and closed such fds. */
	if (read(p[0], &c, 1) != 0)
		tap_diag("unexpected data on the exec pipe");
	close(p[0]);
	vm_bundle_unlock(fd);
	tap_ok(!ret && !vm_bundle_running(bundle, NULL) && !waitpid(child, NULL, WNOHANG),
	       "a program run by the holder does not keep the lock after the holder drops it");
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
}

/* vm_bundle_running() probes from another process while we lock and unlock. */
static void test_probes_do_not_break_locks(void)
{
	atomic_int *stop = mmap(NULL, sizeof(*stop), PROT_READ | PROT_WRITE,
				MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	atomic_long *probes = (atomic_long *)(stop + 2);
	unsigned int i, ok = 0, rounds = 300;
	pid_t child;

	atomic_store(stop, 0);
	atomic_store(probes, 0);
	child = fork();
	if (!child) {
		while (!atomic_load(stop)) {
			vm_bundle_running(bundle, NULL);
			atomic_fetch_add(probes, 1);
		}
		_exit(0);
	}
	while (atomic_load(probes) < 100)
		;
	for (i = 0; i < rounds; i++) {
		pid_t holder;
		int fd;

		if (!vm_bundle_lock(bundle, &fd, &holder)) {
			ok++;
			vm_bundle_unlock(fd);
		}
	}
	atomic_store(stop, 1);
	waitpid(child, NULL, 0);
	tap_ok(ok == rounds, "%u of %u locks taken while another process probed %ld times",
	       ok, rounds, atomic_load(probes));
	munmap(stop, sizeof(*stop));
}

int main(void)
{
	char *scratch = scratch_dir("lock");

	bundle = g_build_filename(scratch, "web.vmain", NULL);
	lock_path = g_build_filename(bundle, ".lock", NULL);
	mkdir(bundle, 0700);
	test_own_lock();
	test_other_process();
	test_exec_does_not_inherit();
	test_probes_do_not_break_locks();
	test_config_lock();
	scratch_rm(scratch);
	g_free(scratch);
	g_free(bundle);
	g_free(lock_path);
	return tap_done();
}
