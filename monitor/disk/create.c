// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * disk/create.c - new, empty images: a sparse raw file, or a qcow2 image
 * with nothing allocated (QEMU's docs/interop/qcow2.txt, sections cited
 * by title).
 *
 * The qcow2 layout, in 64 KiB clusters:
 *
 *   0                  the header (no extensions, no backing file name)
 *   1 .. rt            the refcount table
 *   rt+1 .. rt+rb      the refcount blocks (one unless the metadata grows
 *                      past 32768 clusters, which 2^51 bytes never needs)
 *   then               the L1 table, all zeros (every L2 unallocated)
 *
 * Every one of those clusters has refcount 1 and nothing else does, so
 * `qemu-img check` finds no leak.  The file is sized to the end of the
 * L1 table's last cluster with ftruncate, so the zero parts (the L1 table,
 * the tails of the tables) are holes: a 2 PiB image's 32 MiB L1 table
 * costs no blocks and no writes.
 *
 * Order: the tables first, fdatasync, then the header, fsync, then the
 * directory.  A crash part way leaves a file with no qcow2 magic (never
 * a header whose tables are not yet on disk); a failure we see unlinks it.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "disk/create.h"
#include "io/fsync-dir.h"
#include "disk/qcow2-internal.h"

/* qcow2.txt "Header": byte offsets of the fields we set. */
#define H_MAGIC			0
#define H_VERSION		4
#define H_CLUSTER_BITS		20
#define H_SIZE			24
#define H_L1_SIZE		36
#define H_L1_OFFSET		40
#define H_RT_OFFSET		48
#define H_RT_CLUSTERS		56
#define H_REFCOUNT_ORDER	96
#define H_HEADER_LENGTH		100
/*
 * "Additional fields": compression_type at byte 104 (0, zlib, as when
 * absent), then "Header padding" to a multiple of 8: 112 bytes, the
 * length qemu-img writes.  Everything else in the header is 0: no
 * backing file, no encryption, no snapshots, and no incompatible,
 * compatible (lazy refcounts) or autoclear feature bits.
 */
#define CREATE_HEADER_LEN	112u

#define CREATE_CLUSTER_BITS	16
#define CREATE_CLUSTER		(1ull << CREATE_CLUSTER_BITS)
#define CREATE_REFCOUNT_ORDER	4	/* refcount_bits = 1 << 4 = 16 */
/* "Host cluster management": refcount_block_entries = cluster_size * 8 / refcount_bits. */
#define CREATE_RB_ENTRIES	(CREATE_CLUSTER * 8 / (1u << CREATE_REFCOUNT_ORDER))
/* "Cluster mapping": l2_entries = cluster_size / 8; one L1 entry covers an L2 table. */
#define CREATE_L2_SPAN		(CREATE_CLUSTER * (CREATE_CLUSTER / 8))

_Static_assert(DISK_CREATE_QCOW2_MAX / CREATE_L2_SPAN * 8 == QCOW2_MAX_L1_BYTES,
	       "the largest image fills the largest L1 table the driver opens");

static uint64_t div_up(uint64_t v, uint64_t d)
{
	return v / d + (v % d != 0);
}

/* The qcow2 layout for `size` guest bytes, in clusters. */
struct layout {
	uint64_t l1_size;		/* L1 entries */
	uint64_t rt_clusters;
	uint64_t rb_count;
	uint64_t l1_clusters;
	uint64_t total;			/* clusters in the file */
};

static void plan(struct layout *p, uint64_t size)
{
	uint64_t rb, rt;

	p->l1_size = div_up(size, CREATE_L2_SPAN);
	p->l1_clusters = div_up(p->l1_size * 8, CREATE_CLUSTER);
	/*
	 * The refcount blocks count every cluster, themselves and the table
	 * included; the table holds one 8-byte entry per block.  Both only
	 * grow as `total` does, so this settles (at once, for any size we make).
	 */
	p->rb_count = 1;
	p->rt_clusters = 1;
	for (;;) {
		p->total = 1 + p->rt_clusters + p->rb_count + p->l1_clusters;
		rb = div_up(p->total, CREATE_RB_ENTRIES);
		rt = div_up(rb * 8, CREATE_CLUSTER);
		if (rb == p->rb_count && rt == p->rt_clusters)
			break;
		p->rb_count = rb;
		p->rt_clusters = rt;
	}
}

/* pwrite(2) all of it: retried on EINTR and short writes. */
static int write_all(int fd, const void *buf, size_t len, uint64_t off)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = pwrite(fd, p, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

static int fail(int ret, char *err, size_t errlen, const char *what)
{
	snprintf(err, errlen, "%s: %s", what, strerror(-ret));
	return ret;
}

/* The tables, then the header (see the top of the file for why in that order). */
static int write_qcow2(int fd, uint64_t size, char *err, size_t errlen)
{
	const uint64_t cs = CREATE_CLUSTER;
	struct layout p;
	uint64_t rt_off, rb_off, l1_off, i;
	uint8_t *buf;
	int ret = 0;

	plan(&p, size);
	rt_off = cs;
	rb_off = rt_off + p.rt_clusters * cs;
	l1_off = rb_off + p.rb_count * cs;
	if (ftruncate(fd, (off_t)(p.total * cs)))
		return fail(-errno, err, errlen, "cannot size the image file");
	buf = malloc(cs);
	if (!buf)
		return fail(-ENOMEM, err, errlen, "cannot make the qcow2 tables");

	/* "Host cluster management": refcount table entries point at the blocks. */
	for (i = 0; i < p.rt_clusters && !ret; i++) {
		uint64_t j;

		memset(buf, 0, cs);
		for (j = 0; j < cs / 8; j++) {
			uint64_t b = i * (cs / 8) + j;

			if (b < p.rb_count)
				qcow2_put64(buf + j * 8, rb_off + b * cs);
		}
		ret = write_all(fd, buf, cs, rt_off + i * cs);
	}
	if (ret) {
		fail(ret, err, errlen, "cannot write the qcow2 refcount table");
		goto free_buf;
	}
	/* Refcount block entries: 16 bits each, 1 for every cluster of the file. */
	for (i = 0; i < p.rb_count && !ret; i++) {
		uint64_t j;

		memset(buf, 0, cs);
		for (j = 0; j < CREATE_RB_ENTRIES; j++)
			if (i * CREATE_RB_ENTRIES + j < p.total)
				qcow2_put16(buf + j * 2, 1);
		ret = write_all(fd, buf, cs, rb_off + i * cs);
	}
	if (ret) {
		fail(ret, err, errlen, "cannot write the qcow2 refcount blocks");
		goto free_buf;
	}
	/* The L1 table stays a hole: all zeros, "the L2 table ... unallocated". */
	if (fdatasync(fd)) {
		ret = fail(-errno, err, errlen, "cannot sync the qcow2 tables");
		goto free_buf;
	}

	/* qcow2.txt "Header", version 3; then the end-of-extensions marker (zeros). */
	memset(buf, 0, DISK_SECTOR);
	qcow2_put32(buf + H_MAGIC, QCOW2_MAGIC);
	qcow2_put32(buf + H_VERSION, 3);
	qcow2_put32(buf + H_CLUSTER_BITS, CREATE_CLUSTER_BITS);
	qcow2_put64(buf + H_SIZE, size);
	qcow2_put32(buf + H_L1_SIZE, (uint32_t)p.l1_size);
	qcow2_put64(buf + H_L1_OFFSET, l1_off);
	qcow2_put64(buf + H_RT_OFFSET, rt_off);
	qcow2_put32(buf + H_RT_CLUSTERS, (uint32_t)p.rt_clusters);
	qcow2_put32(buf + H_REFCOUNT_ORDER, CREATE_REFCOUNT_ORDER);
	qcow2_put32(buf + H_HEADER_LENGTH, CREATE_HEADER_LEN);
	ret = write_all(fd, buf, DISK_SECTOR, 0);
	if (ret)
		fail(ret, err, errlen, "cannot write the qcow2 header");
free_buf:
	free(buf);
	return ret;
}

/* fsync(2) of the directory `path` is in, so that its new entry is durable. */
static int sync_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int ret;

	if (!slash)
		dir = strdup(".");
	else if (slash == path)
		dir = strdup("/");
	else
		dir = strndup(path, (size_t)(slash - path));
	if (!dir)
		return -ENOMEM;
	ret = fsync_dir(dir);
	free(dir);
	return ret;
}

/*
 * Unlinks what we created, unless someone renamed it away and put
 * something else at `path` meanwhile.
 */
static void remove_ours(int fd, const char *path)
{
	struct stat ours, there;

	if (fstat(fd, &ours) || lstat(path, &there) || ours.st_dev != there.st_dev ||
	    ours.st_ino != there.st_ino)
		return;
	unlink(path);
}

static int check_args(const char *path, enum disk_create_format fmt,
		      uint64_t size, char *err, size_t errlen)
{
	if (!path || !path[0]) {
		snprintf(err, errlen, "no path for the new image");
		return -EINVAL;
	}
	if (fmt != DISK_CREATE_RAW && fmt != DISK_CREATE_QCOW2) {
		snprintf(err, errlen, "unknown image format %d", (int)fmt);
		return -EINVAL;
	}
	if (!size || size % DISK_SECTOR) {
		snprintf(err, errlen, "the size %" PRIu64 " is not a positive "
			 "multiple of %u bytes", size, DISK_SECTOR);
		return -EINVAL;
	}
	if (fmt == DISK_CREATE_QCOW2 && size > DISK_CREATE_QCOW2_MAX) {
		snprintf(err, errlen, "the size %" PRIu64 " is too big for a qcow2 "
			 "image with 64 KiB clusters (at most %llu bytes, 2 PiB)",
			 size, DISK_CREATE_QCOW2_MAX);
		return -EINVAL;
	}
	/* off_t is signed: ftruncate(2) could not take more. */
	if (size > (uint64_t)INT64_MAX) {
		snprintf(err, errlen, "the size %" PRIu64 " is too big for a file",
			 size);
		return -EINVAL;
	}
	return 0;
}

int disk_create(const char *path, enum disk_create_format fmt, uint64_t size,
		char *err, size_t errlen)
{
	int fd, ret;

	ret = check_args(path, fmt, size, err, errlen);
	if (ret)
		return ret;
	/* O_EXCL: an existing file, or a symlink even dangling, is -EEXIST (open(2)). */
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return fail(-errno, err, errlen, "cannot create the image file");
	/*
	 * 0600 whatever the umask (as config.ini's saves): a umask that took
	 * the owner's write bit would make an image the VM cannot write.
	 */
	if (fchmod(fd, 0600)) {
		ret = fail(-errno, err, errlen, "cannot set the image file's mode");
	} else if (fmt == DISK_CREATE_RAW) {
		/* A hole of `size` bytes: reads zeros, no blocks (ftruncate(2)). */
		if (ftruncate(fd, (off_t)size))
			ret = fail(-errno, err, errlen, "cannot size the image file");
	} else {
		ret = write_qcow2(fd, size, err, errlen);
	}
	if (!ret && fsync(fd))
		ret = fail(-errno, err, errlen, "cannot sync the image file");
	if (!ret) {
		ret = sync_dir(path);
		if (ret)
			fail(ret, err, errlen, "cannot sync the image's directory");
	}
	if (ret)
		goto remove_file;
	close(fd);
	return 0;

remove_file:
	remove_ours(fd, path);
	close(fd);
	return ret;
}
