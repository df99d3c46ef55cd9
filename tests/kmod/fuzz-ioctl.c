// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz-ioctl.c - random ioctl calls against /dev/vm-main and its fds.
 *
 *   fuzz-ioctl [CALLS [SEED]]      (default 1000000 calls, seed from time)
 *
 * Each call picks an fd (the device, a live VM fd, a VM fd of a VM another
 * thread keeps closing and recreating, a closed fd, an O_PATH fd, /dev/null,
 * a pipe), an ioctl number (one of ours, one of ours with a random
 * direction/size, a random number in our magic, a random number outside
 * it) and an argument (NULL, small integers, kernel addresses, unmapped and
 * read-only user memory, a page-straddling buffer, random bytes, a nearly
 * valid CREATE_VM struct).  Every failure must carry an errno that
 * docs/abi.md documents for that kind of fd.  Afterwards: no VM left, the
 * module unreferenced, slab memory stable.  The guest kernel log is checked
 * for oopses and warnings by the arena itself.
 *
 * Numbers outside our magic that the VFS handles itself before any driver
 * sees them (FIOCLEX, FIONBIO, FIFREEZE, FICLONE, ...: ioctl types 'T',
 * 'f', 'X', 0x94 and 0x00) are not sent: their behaviour is the VFS's, and
 * FIFREEZE as root on a real file system would freeze it.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <time.h>

#include "tap.h"
#include "util.h"

enum fd_kind { FD_DEV, FD_VM, FD_RACY_VM, FD_CLOSED, FD_OPATH, FD_NULL,
	       FD_PIPE, FD_KINDS };
static const char *const fd_names[FD_KINDS] = {
	"device", "vm", "racy-vm", "closed", "o_path", "/dev/null", "pipe"
};

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* xorshift64*: fast, and reproducible from the seed. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static int devfd;
static _Atomic int racy_vmfd = -1;
static atomic_bool stop_racer;

/* Keeps closing and recreating one VM so that calls race with release. */
static void *racer(void *unused)
{
	uint64_t n = 0;

	(void)unused;
	while (!atomic_load(&stop_racer)) {
		int fd = test_create_vm(devfd, 100000 + (n++ % 4));
		int old = atomic_exchange(&racy_vmfd, fd);

		if (old >= 0)
			close(old);
	}
	return NULL;
}

static bool errno_documented(enum fd_kind kind, int err)
{
	switch (kind) {
	case FD_DEV:
		return err == ENOTTY || err == EINVAL || err == EFAULT ||
		       err == EBUSY || err == ENODEV || err == ENOSPC ||
		       err == ENOMEM || err == EMFILE;
	case FD_VM:
		return err == ENOTTY || err == EFAULT || err == EINVAL;
	case FD_RACY_VM:
		/* The fd number may be closed, or reused by the racer's VM. */
		return err == ENOTTY || err == EFAULT || err == EINVAL ||
		       err == EBADF;
	case FD_CLOSED:
	case FD_OPATH:
		return err == EBADF;
	case FD_NULL:
	case FD_PIPE:
		return err == ENOTTY;
	default:
		return false;
	}
}

static bool vfs_generic_type(unsigned int type)
{
	return type == 'T' || type == 'f' || type == 'X' || type == 0x94 ||
	       type == 0x00;
}

static unsigned long pick_cmd(void)
{
	static const unsigned long known[] = {
		VMAIN_GET_API_VERSION, VMAIN_CHECK_CAP, VMAIN_CREATE_VM,
		VMAIN_VM_GET_INFO,
	};
	unsigned long cmd;

	switch (rnd() % 4) {
	case 0:
		return known[rnd() % (sizeof(known) / sizeof(known[0]))];
	case 1:		/* ours, with a random direction and size */
		cmd = known[rnd() % (sizeof(known) / sizeof(known[0]))];
		return _IOC(rnd() % 4, VMAIN_IO, _IOC_NR(cmd), rnd() % 256);
	case 2:		/* anything in our magic */
		return _IOC(rnd() % 4, VMAIN_IO, rnd() % 256, rnd() % 0x4000);
	default:	/* anything at all, but what the VFS itself handles */
		do
			cmd = (unsigned int)rnd();
		while (vfs_generic_type(_IOC_TYPE(cmd)));
		return cmd;
	}
}

struct arena_mem {
	char *rw;		/* a read-write page */
	char *ro;		/* a read-only page */
	char *edge;		/* last 16 bytes of a page followed by a hole */
	char *hole;		/* an unmapped page */
};

static unsigned long pick_arg(const struct arena_mem *m, unsigned long cmd)
{
	struct vmain_create_vm *cv;
	size_t i;

	switch (rnd() % 10) {
	case 0:
		return 0;
	case 1:
		return rnd() % 16;
	case 2:
		return rnd();
	case 3:
		return 0xffff888000000000UL + (rnd() % (1UL << 30));
	case 4:
		return (unsigned long)m->hole + rnd() % 4096;
	case 5:
		return (unsigned long)m->ro;
	case 6:
		return (unsigned long)m->edge;
	case 7:		/* a nearly valid CREATE_VM */
		cv = (struct vmain_create_vm *)m->rw;
		memset(cv, 0, sizeof(*cv));
		test_uuid(cv->uuid, 200000 + rnd() % 8);
		if (rnd() % 2)
			((__u8 *)cv)[rnd() % sizeof(*cv)] = (__u8)rnd();
		return (unsigned long)cv;
	default:
		for (i = 0; i < 64; i++)
			m->rw[i] = (char)rnd();
		(void)cmd;
		return (unsigned long)m->rw;
	}
}

int main(int argc, char **argv)
{
	unsigned long calls = argc > 1 ? strtoul(argv[1], NULL, 0) : 1000000;
	uint64_t seed = argc > 2 ? strtoull(argv[2], NULL, 0) : (uint64_t)time(NULL);
	unsigned long counts[FD_KINDS][4] = { { 0 } };	/* ok, errno, bad, vm */
	unsigned long i, bad = 0;
	long page = sysconf(_SC_PAGESIZE);
	long slab0, slab1;
	struct arena_mem m;
	struct timespec t0, t1;
	int fds[FD_KINDS], pipefd[2], vmfd, k;
	pthread_t thread;
	char *map;
	double secs;

	rng_state = seed ? seed : 1;
	tap_diag("fuzz-ioctl: %lu calls, seed %llu", calls, (unsigned long long)seed);

	map = mmap(NULL, 4 * page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED)
		return 1;
	m.rw = map;
	m.ro = map + page;
	m.edge = map + 3 * page - 16;
	m.hole = map + 3 * page;
	mprotect(m.ro, page, PROT_READ);
	munmap(m.hole, page);

	devfd = test_open(0);
	if (!tap_ok(devfd >= 0, "open the device"))
		return tap_done();
	vmfd = test_create_vm(devfd, 99);
	if (!tap_ok(vmfd >= 0, "create the VM under test"))
		return tap_done();
	if (pipe(pipefd))
		return 1;
	fds[FD_DEV] = devfd;
	fds[FD_VM] = vmfd;
	fds[FD_CLOSED] = dup(devfd);
	close(fds[FD_CLOSED]);
	fds[FD_OPATH] = open(VMAIN_DEVICE_PATH, O_PATH | O_CLOEXEC);
	fds[FD_NULL] = open("/dev/null", O_RDWR | O_CLOEXEC);
	fds[FD_PIPE] = pipefd[0];

	/* Warm up, then take the memory baseline. */
	for (i = 0; i < 200; i++)
		close(test_create_vm(devfd, 300000));
	slab0 = test_meminfo("Slab");

	pthread_create(&thread, NULL, racer, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < calls; i++) {
		enum fd_kind kind = rnd() % FD_KINDS;
		unsigned long cmd = pick_cmd(), arg;
		int fd = kind == FD_RACY_VM ? atomic_load(&racy_vmfd) : fds[kind];
		long ret;

		if (kind == FD_NULL || kind == FD_PIPE)
			cmd = _IOC(_IOC_DIR(cmd), VMAIN_IO, _IOC_NR(cmd),
				   _IOC_SIZE(cmd));
		arg = pick_arg(&m, cmd);
		ret = ioctl(fd, cmd, arg);
		if (ret >= 0) {
			counts[kind][0]++;
			/* A new VM fd: only CREATE_VM on the device makes one. */
			if (kind == FD_DEV && cmd == VMAIN_CREATE_VM) {
				counts[kind][3]++;
				close(ret);
			}
		} else if (errno_documented(kind, errno)) {
			counts[kind][1]++;
		} else {
			counts[kind][2]++;
			if (bad++ < 10)
				tap_diag("undocumented errno %d (%s) from %s fd, cmd %#lx, arg %#lx",
					 errno, strerror(errno), fd_names[kind], cmd, arg);
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	atomic_store(&stop_racer, true);
	pthread_join(thread, NULL);
	secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;

	for (k = 0; k < FD_KINDS; k++)
		tap_diag("%-10s ok %lu, documented errors %lu, undocumented %lu, VMs made %lu",
			 fd_names[k], counts[k][0], counts[k][1], counts[k][2],
			 counts[k][3]);
	tap_diag("%lu calls in %.1f s (%.0f calls/s)", calls, secs, calls / secs);
	tap_ok(bad == 0, "%lu random ioctls: only documented errnos (%lu not)",
	       calls, bad);

	close(atomic_exchange(&racy_vmfd, -1));
	close(vmfd);
	/* Released files are freed after an RCU grace period. */
	sleep(1);
	slab1 = test_meminfo("Slab");
	tap_ok(test_live_vms() == 0, "no VM left after the run");
	tap_diag("Slab %ld -> %ld KiB", slab0, slab1);
	tap_ok(slab1 - slab0 < 1024, "Slab stable across the run (+%ld KiB)",
	       slab1 - slab0);
	close(devfd);
	close(fds[FD_OPATH]);
	tap_ok(test_module_refs() == 0, "module reference count back to 0");
	return tap_done();
}
