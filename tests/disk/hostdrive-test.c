// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hostdrive-test - monitor/disk/hostdrive.c, a host CD/DVD drive through
 * SG_IO in the worker pool.
 *
 *   hostdrive-test                 (host, tests/disk/disk.t) what a path
 *                                  that is no CD/DVD drive gets: each
 *                                  refusal and its one line
 *   hostdrive-test drive DEV ISO   (the arena, tests/guest-full/hostdrive.t)
 *                                  DEV holds ISO: MMC commands through
 *                                  the pool, data against ISO, the loop
 *                                  turning meanwhile, eject and load,
 *                                  cancel and close with a command out
 *   hostdrive-test unpriv DEV UID  (the arena) as UID: read commands
 *                                  pass, a write the kernel keeps from
 *                                  an unprivileged reader fails that
 *                                  command only
 *   hostdrive-test hold DEV        opens DEV and says "held" until killed
 *   hostdrive-test probe DEV       one line: what hostdrive_open() and a
 *                                  plain open(O_EXCL) get now
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

#include "disk/hostdrive.h"
#include "io/ioloop.h"
#include "io/pool.h"
#include "tap.h"

static struct ioloop *loop;
static struct pool *pool;

struct answer {
	bool done;
	struct hostdrive_result r;
	uint8_t data[HOSTDRIVE_MAX_XFER];
};

static struct answer ans;

static void got(void *opaque, const struct hostdrive_result *r)
{
	struct answer *a = opaque;

	a->r = *r;
	if (r->data && r->len <= sizeof(a->data))
		memcpy(a->data, r->data, r->len);
	a->r.data = NULL;
	a->done = true;
}

static unsigned ticks;
static struct ioloop_timer *ticker;

static void tick(void *opaque)
{
	(void)opaque;
	ticks++;
	ioloop_timer_arm(ticker, ioloop_now_ns() + 1000000);	/* 1 ms */
}

/* Sends one command and turns the loop until it completes (20 s at most). */
static int cmd(struct hostdrive *hd, const uint8_t *cdb, unsigned cdb_len,
	       enum hostdrive_dir dir, const void *out, size_t len)
{
	int64_t end = ioloop_now_ns() + 20000000000ll;
	int ret;

	memset(&ans.r, 0, sizeof(ans.r));
	ans.done = false;
	ret = hostdrive_submit(hd, cdb, cdb_len, dir, out, len, 0, got, &ans);
	if (ret)
		return ret;
	while (!ans.done && ioloop_now_ns() < end)
		ioloop_run_once(loop, 100);
	return ans.done ? ans.r.err : -ETIMEDOUT;
}

/* The sense key, ASC and ASCQ of fixed-format sense (SPC-4 4.5.3). */
static unsigned sense(void)
{
	if (ans.r.sense_len < 14)
		return 0;
	return (ans.r.sense[2] & 0x0f) << 16 | ans.r.sense[12] << 8 | ans.r.sense[13];
}

static int host_tests(void)
{
	char why[256], dir[] = "/tmp/hostdrive-test.XXXXXX", file[300];
	struct hostdrive *hd = NULL;
	int ret, fd;

	if (!mkdtemp(dir))
		return 1;
	snprintf(file, sizeof(file), "%s/disc.iso", dir);
	fd = open(file, O_CREAT | O_WRONLY, 0600);
	if (fd >= 0) {
		ret = ftruncate(fd, 1 << 20);
		close(fd);
	}

	why[0] = 0;
	ret = hostdrive_open(&hd, "/nonexistent/sr9", pool, loop, why, sizeof(why));
	tap_ok(ret == -ENOENT && strstr(why, "/nonexistent/sr9: No such file"),
	       "a missing node: -ENOENT (%s)", why);
	why[0] = 0;
	ret = hostdrive_open(&hd, file, pool, loop, why, sizeof(why));
	tap_ok(ret == -ENOTTY && strstr(why, "is not a device"),
	       "an ISO file given as a drive: -ENOTTY (%s)", why);
	why[0] = 0;
	ret = hostdrive_open(&hd, dir, pool, loop, why, sizeof(why));
	tap_ok(ret < 0 && why[0], "a directory: %d (%s)", ret, why);
	why[0] = 0;
	ret = hostdrive_open(&hd, "/dev/null", pool, loop, why, sizeof(why));
	tap_ok(ret == -ENOTTY && strstr(why, "not a SCSI device (no SG_IO)"),
	       "/dev/null, a device without SG_IO: -ENOTTY (%s)", why);
	unlink(file);
	rmdir(dir);
	return tap_done();
}

static bool same(const uint8_t *a, const uint8_t *b, size_t n)
{
	return !memcmp(a, b, n);
}

static int drive_tests(const char *dev, const char *iso_path)
{
	static uint8_t iso_buf[HOSTDRIVE_MAX_XFER];
	char why[256] = "";
	struct hostdrive *hd;
	struct stat st;
	uint64_t sectors;
	unsigned t0, i, bad;
	int ret, iso;
	uint8_t tur[6] = { 0x00 };
	uint8_t inq[6] = { 0x12, 0, 0, 0, 96, 0 };
	uint8_t cap[10] = { 0x25 };
	uint8_t toc[10] = { 0x43, 0, 0, 0, 0, 0, 0, 0x03, 0x24, 0 };	/* format 0, LBA */
	uint8_t gesn[10] = { 0x4a, 1, 0, 0, 0x10, 0, 0, 0, 8, 0 };	/* polled, media class */
	uint8_t bogus[6] = { 0xd9 };
	uint8_t eject[6] = { 0x1b, 0, 0, 0, 0x02, 0 };		/* START STOP: LoEj, Start 0 */
	uint8_t load[6] = { 0x1b, 0, 0, 0, 0x03, 0 };		/* LoEj, Start 1 */

	iso = open(iso_path, O_RDONLY);
	if (iso < 0 || fstat(iso, &st)) {
		tap_ok(0, "%s opens", iso_path);
		return tap_done();
	}
	ret = hostdrive_open(&hd, dev, pool, loop, why, sizeof(why));
	if (!tap_ok(ret == 0, "%s opens exclusively as a CD/DVD drive: \"%s\" (%s)", dev,
		    ret ? "" : hostdrive_name(hd), why))
		return tap_done();

	/* A drive just given media may report UNIT ATTENTION first (SPC-4 5.14). */
	for (i = 0; i < 5; i++)
		if (!cmd(hd, tur, 6, HOSTDRIVE_NONE, NULL, 0) && ans.r.status == 0)
			break;
	tap_ok(ans.r.status == 0, "TEST UNIT READY: GOOD after %u tries", i + 1);

	ret = cmd(hd, inq, 6, HOSTDRIVE_FROM_DEV, NULL, 96);
	tap_ok(!ret && ans.r.status == 0 && ans.r.len >= 36 && (ans.data[0] & 0x1f) == 5,
	       "INQUIRY: peripheral type 5, %zu bytes", ans.r.len);

	ret = cmd(hd, cap, 10, HOSTDRIVE_FROM_DEV, NULL, 8);
	sectors = ((uint64_t)ans.data[0] << 24 | ans.data[1] << 16 | ans.data[2] << 8 | ans.data[3]) + 1;
	tap_ok(!ret && ans.r.status == 0 && sectors == (uint64_t)st.st_size / 2048 &&
	       (ans.data[4] << 24 | ans.data[5] << 16 | ans.data[6] << 8 | ans.data[7]) == 2048,
	       "READ CAPACITY: %llu sectors of 2048 bytes, the ISO's size",
	       (unsigned long long)sectors);

	ret = cmd(hd, toc, 10, HOSTDRIVE_FROM_DEV, NULL, 0x324);
	tap_ok(!ret && ans.r.status == 0 && ans.r.len >= 12 && ans.data[2] == 1 &&
	       (ans.data[5] & 0x0f) == 4 && ans.data[6] == 1,
	       "READ TOC: first track 1, a data track (control %#x)", ans.data[5] & 0x0f);

	ret = cmd(hd, gesn, 10, HOSTDRIVE_FROM_DEV, NULL, 8);
	tap_ok(!ret && ans.r.status == 0 && ans.r.len >= 4 && (ans.data[2] & 0x07) == 4,
	       "GET EVENT STATUS NOTIFICATION: the media class answers");

	/*
	 * READ(10) of the whole disc in 512 KiB commands, against the ISO,
	 * while a 1 ms timer runs on the loop: the reads wait on pool
	 * threads, the loop goes on.
	 */
	ioloop_timer_arm(ticker, ioloop_now_ns() + 1000000);
	t0 = ticks;
	bad = 0;
	for (uint64_t lba = 0; lba < sectors; lba += 256) {
		unsigned n = sectors - lba < 256 ? sectors - lba : 256;
		uint8_t rd[10] = { 0x28, 0, lba >> 24, lba >> 16, lba >> 8, lba, 0, n >> 8, n, 0 };

		ret = cmd(hd, rd, 10, HOSTDRIVE_FROM_DEV, NULL, n * 2048);
		if (ret || ans.r.status || ans.r.len != n * 2048 ||
		    pread(iso, iso_buf, n * 2048, lba * 2048) != (ssize_t)n * 2048 ||
		    !same(ans.data, iso_buf, n * 2048)) {
			tap_diag("READ(10) of %u at %llu: %d, status %u, host %#x driver %#x, %zu bytes, sense %06x", n,
				 (unsigned long long)lba, ret, ans.r.status, ans.r.host_status,
				 ans.r.driver_status, ans.r.len, sense());
			bad++;
			break;
		}
	}
	ioloop_timer_disarm(ticker);
	tap_ok(!bad, "READ(10) of all %llu sectors matches the ISO byte for byte",
	       (unsigned long long)sectors);
	tap_ok(ticks - t0 > 0, "the loop turned meanwhile: %u timer ticks", ticks - t0);

	{
		uint8_t past[10] = { 0x28, 0, sectors >> 24, sectors >> 16, sectors >> 8, sectors,
				     0, 0, 4, 0 };

		ret = cmd(hd, past, 10, HOSTDRIVE_FROM_DEV, NULL, 4 * 2048);
		tap_ok(!ret && ans.r.status == 2 && sense() == 0x052100,
		       "READ(10) past the last sector: CHECK CONDITION, ILLEGAL REQUEST, LBA out "
		       "of range (sense %06x)", sense());
	}
	/*
	 * libata fails an opcode the drive refuses at the transport
	 * (host DID_ERROR) rather than with its sense: either way that
	 * command fails alone.
	 */
	ret = cmd(hd, bogus, 6, HOSTDRIVE_NONE, NULL, 0);
	tap_ok((ret == -EIO || (!ret && ans.r.status == 2)) &&
	       !cmd(hd, tur, 6, HOSTDRIVE_NONE, NULL, 0) && ans.r.status == 0,
	       "an opcode the drive does not know fails that command only "
	       "(host %#x), and the drive answers the next", ans.r.host_status);

	ret = cmd(hd, eject, 6, HOSTDRIVE_NONE, NULL, 0);
	tap_ok(!ret && ans.r.status == 0, "START STOP UNIT opens the tray");
	ret = cmd(hd, tur, 6, HOSTDRIVE_NONE, NULL, 0);
	tap_ok(!ret && ans.r.status == 2 && (sense() & 0xffff00) == 0x023a00,
	       "TEST UNIT READY: NOT READY, medium not present (sense %06x)", sense());
	ret = cmd(hd, load, 6, HOSTDRIVE_NONE, NULL, 0);
	for (i = 0; i < 5; i++)
		if (!cmd(hd, tur, 6, HOSTDRIVE_NONE, NULL, 0) && ans.r.status == 0)
			break;
	tap_ok(ans.r.status == 0, "loaded again: TEST UNIT READY GOOD after %u tries", i + 1);

	/* Bad requests fail at submit and leave the drive free. */
	tap_ok(hostdrive_submit(hd, tur, 5, HOSTDRIVE_NONE, NULL, 0, 0, got, &ans) == -EINVAL &&
	       hostdrive_submit(hd, inq, 6, HOSTDRIVE_FROM_DEV, NULL, HOSTDRIVE_MAX_XFER + 1, 0,
				got, &ans) == -EINVAL &&
	       hostdrive_submit(hd, inq, 6, HOSTDRIVE_NONE, NULL, 96, 0, got, &ans) == -EINVAL &&
	       !hostdrive_busy(hd),
	       "a short CDB, a transfer over %d bytes, a length without a direction: -EINVAL",
	       HOSTDRIVE_MAX_XFER);

	/* One command at a time; a cancelled one calls nobody back. */
	{
		uint8_t rd[10] = { 0x28, 0, 0, 0, 0, 16, 0, 1, 0, 0 };	/* 256 sectors at 16 */
		int64_t end;

		ans.done = false;
		ret = hostdrive_submit(hd, rd, 10, HOSTDRIVE_FROM_DEV, NULL, 256 * 2048, 0, got, &ans);
		tap_ok(!ret && hostdrive_busy(hd) &&
		       hostdrive_submit(hd, tur, 6, HOSTDRIVE_NONE, NULL, 0, 0, got, &ans) == -EBUSY,
		       "a second command while one is pending: -EBUSY");
		hostdrive_cancel(hd);
		tap_ok(!hostdrive_busy(hd), "cancelled: the drive takes the next command");
		ret = cmd(hd, tur, 6, HOSTDRIVE_NONE, NULL, 0);
		tap_ok(!ret && ans.r.status == 0, "which completes (TEST UNIT READY GOOD)");
		/* A read out, then the drive closed: the job finishes alone. */
		ans.done = false;
		ret = hostdrive_submit(hd, rd, 10, HOSTDRIVE_FROM_DEV, NULL, 256 * 2048, 0, got, &ans);
		hostdrive_close(hd);
		end = ioloop_now_ns() + 2000000000ll;
		while (ioloop_now_ns() < end)
			ioloop_run_once(loop, 100);
		tap_ok(!ret && !ans.done, "closed with a read out: no callback comes (the job closes the drive once the read returns)");
	}
	close(iso);
	return tap_done();
}

static int unpriv_tests(const char *dev)
{
	char why[256] = "";
	struct hostdrive *hd;
	uint8_t rd[10] = { 0x28, 0, 0, 0, 0, 16, 0, 0, 1, 0 };
	uint8_t wr[10] = { 0x2a, 0, 0, 0, 0, 16, 0, 0, 1, 0 };		/* WRITE(10) */
	uint8_t sector[2048] = { 0 };
	int ret;

	ret = hostdrive_open(&hd, dev, pool, loop, why, sizeof(why));
	if (!tap_ok(ret == 0, "uid %u opens %s (%s)", (unsigned)getuid(), dev, why))
		return tap_done();
	ret = cmd(hd, rd, 10, HOSTDRIVE_FROM_DEV, NULL, 2048);
	tap_ok(!ret && ans.r.status == 0 && ans.r.len == 2048,
	       "uid %u: READ(10) passes", (unsigned)getuid());
	ret = cmd(hd, wr, 10, HOSTDRIVE_TO_DEV, sector, 2048);
	tap_ok(ret == -EPERM, "uid %u: WRITE(10), which the kernel allows only to a writer "
	       "or CAP_SYS_RAWIO, fails that command: %d (%s)", (unsigned)getuid(), ret,
	       ret < 0 ? strerror(-ret) : "sent");
	ret = cmd(hd, rd, 10, HOSTDRIVE_FROM_DEV, NULL, 2048);
	tap_ok(!ret && ans.r.status == 0, "and the drive goes on (READ(10) again)");
	hostdrive_close(hd);
	return tap_done();
}

int main(int argc, char **argv)
{
	char why[256] = "";
	struct hostdrive *hd;
	int ret, fd;

	if (ioloop_create(&loop) || pool_create(&pool, 2) ||
	    ioloop_timer_new(loop, tick, NULL, &ticker)) {
		fprintf(stderr, "hostdrive-test: no loop or pool\n");
		return 1;
	}
	if (argc == 1)
		return host_tests();
	if (argc == 4 && !strcmp(argv[1], "drive"))
		return drive_tests(argv[2], argv[3]);
	if (argc == 4 && !strcmp(argv[1], "unpriv")) {
		uid_t uid = strtoul(argv[3], NULL, 10);

		if (setgroups(0, NULL) || setgid(uid) || setuid(uid)) {
			perror("hostdrive-test: dropping to the uid");
			return 1;
		}
		return unpriv_tests(argv[2]);
	}
	if (argc == 3 && !strcmp(argv[1], "hold")) {
		ret = hostdrive_open(&hd, argv[2], pool, loop, why, sizeof(why));
		printf("%s\n", ret ? why : "held");
		fflush(stdout);
		if (ret)
			return 1;
		for (;;)
			pause();
	}
	if (argc == 3 && !strcmp(argv[1], "probe")) {
		ret = hostdrive_open(&hd, argv[2], pool, loop, why, sizeof(why));
		if (!ret)
			hostdrive_close(hd);
		fd = open(argv[2], O_RDONLY | O_NONBLOCK | O_EXCL);
		printf("hostdrive_open %d (%s); open(O_EXCL) %s\n", ret, ret ? why : "ok",
		       fd >= 0 ? "ok" : strerror(errno));
		return 0;
	}
	fprintf(stderr, "usage: hostdrive-test [drive DEV ISO | unpriv DEV UID | hold DEV | probe DEV]\n");
	return 2;
}
