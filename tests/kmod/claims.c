// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * claims.c - the two exclusive claims of /dev/vm-main and their lifetime.
 *
 * Per VM: one live VM per UUID system-wide.  Per device: open(O_EXCL) is
 * the only user.  Both must end exactly with the last fd: on close and on
 * kill -9, at once (no retry loops here: the first attempt after the
 * owner is reaped must succeed).
 */
#include <errno.h>
#include <signal.h>
#include <sys/wait.h>

#include "tap.h"
#include "util.h"

/*
 * A child that runs `fn` (which claims something), reports the result of
 * the claim over a pipe, then waits to be killed.  Returns the pid, with
 * *claimed set to whether the child's claim succeeded.
 */
typedef int (*claim_fn)(void);

static pid_t spawn_holder(claim_fn fn, int *claimed)
{
	int pipefd[2];
	char c = 0;
	pid_t pid;

	if (pipe(pipefd))
		return -1;
	pid = fork();
	if (pid == 0) {
		close(pipefd[0]);
		c = fn() >= 0 ? 1 : 0;
		if (write(pipefd[1], &c, 1) != 1)
			_exit(2);
		for (;;)
			pause();
	}
	close(pipefd[1]);
	if (read(pipefd[0], &c, 1) != 1)
		c = 0;
	close(pipefd[0]);
	*claimed = c;
	return pid;
}

static void kill_and_reap(pid_t pid)
{
	int status;

	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
}

static int claim_vm_9(void)
{
	int fd = test_open(0);

	return fd < 0 ? -1 : test_create_vm(fd, 9);
}

static int claim_excl(void)
{
	return test_open(O_EXCL);
}

static int claim_plain(void)
{
	return test_open(0);
}

/* In a child: CREATE_VM with UUID seed 9 from a fresh open; 1 if EBUSY. */
static int child_sees_uuid_busy(void)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		int fd = test_open(0);

		_exit(fd >= 0 && test_create_vm(fd, 9) == -1 && errno == EBUSY ? 1 : 0);
	}
	waitpid(pid, &status, 0);
	return WIFEXITED(status) && WEXITSTATUS(status) == 1;
}

static void test_uuid_claims(void)
{
	int fd, vm, vm2, claimed;
	pid_t holder;

	fd = test_open(0);
	vm = test_create_vm(fd, 9);
	tap_ok(vm >= 0, "process A creates the VM with UUID U");
	tap_ok(child_sees_uuid_busy(), "process B creating UUID U gets EBUSY");
	close(vm);
	vm = test_create_vm(fd, 9);
	tap_ok(vm >= 0, "after A closes its VM fd, UUID U is free at once");
	vm2 = dup(vm);
	close(vm);
	tap_ok(child_sees_uuid_busy(), "a dup of the VM fd keeps the claim");
	close(vm2);

	holder = spawn_holder(claim_vm_9, &claimed);
	tap_ok(holder > 0 && claimed, "process C holds UUID U");
	tap_errno(test_create_vm(fd, 9), EBUSY, "CREATE_VM(U) while C holds it");
	kill_and_reap(holder);
	vm = test_create_vm(fd, 9);
	tap_ok(vm >= 0, "after kill -9 of C, UUID U is free at once");
	close(vm);
	close(fd);
	tap_ok(test_live_vms() == 0, "no VM left alive");
}

static void test_excl_claims(void)
{
	int plain, excl, excl2, dupfd, vm, claimed;
	pid_t holder;

	plain = test_open(0);
	tap_errno(test_open(O_EXCL), EBUSY, "O_EXCL open while a plain open is held");
	close(plain);

	excl = test_open(O_EXCL);
	tap_ok(excl >= 0, "O_EXCL open once nobody else has the device");
	tap_errno(test_open(0), EBUSY, "plain open while O_EXCL is held");
	tap_errno(test_open(O_EXCL), EBUSY, "second O_EXCL open while held");
	tap_ok(ioctl(excl, VMAIN_GET_API_VERSION, 0) == VMAIN_API_VERSION,
	       "the O_EXCL holder uses the device");
	dupfd = dup(excl);
	close(excl);
	tap_errno(test_open(0), EBUSY, "a dup of the O_EXCL fd keeps the claim");
	close(dupfd);
	plain = test_open(0);
	tap_ok(plain >= 0, "plain open works at once after the O_EXCL fd closes");

	/* A live VM keeps its creator's open counted. */
	vm = test_create_vm(plain, 10);
	close(plain);
	tap_errno(test_open(O_EXCL), EBUSY,
		  "O_EXCL open while a VM created by another open lives");
	close(vm);
	excl = test_open(O_EXCL);
	tap_ok(excl >= 0, "O_EXCL open once that VM is closed");
	close(excl);

	/* Other processes, released by kill -9. */
	holder = spawn_holder(claim_excl, &claimed);
	tap_ok(holder > 0 && claimed, "process D holds the device with O_EXCL");
	tap_errno(test_open(0), EBUSY, "plain open while D holds O_EXCL");
	tap_errno(test_open(O_EXCL), EBUSY, "O_EXCL open while D holds O_EXCL");
	kill_and_reap(holder);
	plain = test_open(0);
	tap_ok(plain >= 0, "after kill -9 of D, plain open works at once");
	close(plain);

	holder = spawn_holder(claim_plain, &claimed);
	tap_ok(holder > 0 && claimed, "process E holds a plain open");
	tap_errno(test_open(O_EXCL), EBUSY, "O_EXCL open while E holds a plain open");
	kill_and_reap(holder);
	excl = test_open(O_EXCL);
	tap_ok(excl >= 0, "after kill -9 of E, O_EXCL open works at once");
	close(excl);

	excl2 = test_open(0);
	tap_ok(excl2 >= 0, "plain opens share the device (1)");
	plain = test_open(0);
	tap_ok(plain >= 0, "plain opens share the device (2)");
	close(plain);
	close(excl2);
}

static void test_cycles(void)
{
	long slab0, avail0, slab1, avail1;
	int fd, vm, i, failures = 0;

	fd = test_open(0);
	/* Warm up caches so the baseline is not the first allocation. */
	for (i = 0; i < 50; i++) {
		vm = test_create_vm(fd, 20);
		if (vm >= 0)
			close(vm);
	}
	slab0 = test_meminfo("Slab");
	avail0 = test_meminfo("MemAvailable");
	for (i = 0; i < 1000; i++) {
		vm = test_create_vm(fd, 20);
		if (vm < 0) {
			failures++;
			continue;
		}
		close(vm);
	}
	slab1 = test_meminfo("Slab");
	avail1 = test_meminfo("MemAvailable");
	tap_ok(failures == 0, "1000 create/close cycles of the same UUID (%d failed)",
	       failures);
	tap_ok(test_live_vms() == 0, "no VM alive after the cycles");
	tap_diag("Slab %ld -> %ld KiB, MemAvailable %ld -> %ld KiB",
		 slab0, slab1, avail0, avail1);
	/* 1000 leaked VMs would be >100 KiB of objects plus files and pids. */
	tap_ok(slab1 - slab0 < 256, "Slab stable across 1000 cycles (+%ld KiB)",
	       slab1 - slab0);
	close(fd);
	tap_ok(test_module_refs() == 0, "module reference count back to 0");
}

int main(void)
{
	test_uuid_claims();
	test_excl_claims();
	test_cycles();
	return tap_done();
}
