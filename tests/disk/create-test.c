// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * create-test.c - disk_create() (monitor/disk/create.c): new raw and
 * qcow2 images, checked by qemu-img and opened by our own drivers.
 *
 *   - raw and qcow2 at 1 MiB, 1 GiB, 100 GiB, an odd multiple of 512
 *     and (qcow2) the largest size, 2^51: mode 0600 (under any umask),
 *     a raw file has no blocks, `qemu-img info` reads the size, format
 *     and cluster size, `qemu-img check` is clean, the qcow2 header
 *     matches qemu-img create's field by field, and its tables (refcount
 *     table and block, L1) byte for byte, up to where qemu-img's end;
 *   - our driver opens each image and reads zeros; a qcow2 image takes a
 *     write that reads back, through qemu-io too, and still checks clean;
 *   - refusals that leave nothing behind: an existing file or symlink
 *     (-EEXIST, untouched), bad sizes and formats (-EINVAL), a missing
 *     directory, a directory we may not write (as another uid when run as
 *     root), and a file limit hit after the file exists (RLIMIT_FSIZE:
 *     the partial file is removed).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"
#include "sh.h"
#include "disk/create.h"
#include "disk/disk.h"
#include "disk/qcow2-internal.h"

#define KiB	(1ull << 10)
#define MiB	(1ull << 20)
#define GiB	(1ull << 30)

static struct {
	struct ioloop *loop;
	struct pool *pool;
	char dir[64];
} E;

static void path_of(char *out, size_t n, const char *name)
{
	snprintf(out, n, "%s/%s", E.dir, name);
}

static bool exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* The whole of a small file, NUL-terminated; NULL on error. */
static char *slurp(const char *path)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;
	FILE *f = fopen(path, "r");

	if (!f)
		return NULL;
	for (;;) {
		size_t n;

		if (cap - len < 4096) {
			char *nb = realloc(buf, cap + 65536);

			if (!nb)
				break;
			buf = nb;
			cap += 65536;
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
		if (!n)
			break;
	}
	fclose(f);
	if (buf)
		buf[len] = 0;
	return buf;
}

/* The text after "key": in a JSON document (numbers and literals as text). */
static bool json_field(const char *doc, const char *key, char *out, size_t n)
{
	char pat[64];
	const char *p;
	size_t i = 0;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = doc ? strstr(doc, pat) : NULL;
	if (!p)
		return false;
	p += strlen(pat);
	while (*p == ' ')
		p++;
	if (*p == '"')
		p++;
	while (*p && *p != '"' && *p != ',' && *p != '\n' && i + 1 < n)
		out[i++] = *p++;
	out[i] = 0;
	return true;
}

static bool json_is(const char *doc, const char *key, const char *want)
{
	char v[64];

	if (!json_field(doc, key, v, sizeof(v))) {
		tap_diag("  no \"%s\" in the JSON", key);
		return false;
	}
	if (strcmp(v, want)) {
		tap_diag("  \"%s\" is %s, want %s", key, v, want);
		return false;
	}
	return true;
}

/* qemu-img info --output=json of `path`, or NULL. */
static char *img_info(const char *path)
{
	char out[256];

	path_of(out, sizeof(out), "info.json");
	if (sh("qemu-img info --output=json %s >%s 2>&1", path, out)) {
		sh("sed 's/^/#   /' %s | head -5", out);
		return NULL;
	}
	return slurp(out);
}

/* qemu-img check: its exit status (0: no errors, no leaks), its JSON in *json. */
static int img_check(const char *path, char **json)
{
	char out[256];
	int ret;

	path_of(out, sizeof(out), "check.json");
	ret = sh("qemu-img check --output=json %s >%s 2>&1", path, out);
	if (ret)
		sh("sed 's/^/#   /' %s | head -20", out);
	if (json)
		*json = slurp(out);
	return ret;
}

static int open_disk(const char *path, enum disk_format fmt, struct disk **d)
{
	struct disk_options o;
	char err[256] = "";
	int ret;

	memset(&o, 0, sizeof(o));
	o.path = path;
	o.format = fmt;
	o.cache = WCACHE_WRITEBACK;
	ret = disk_open(d, &o, E.loop, E.pool, err, sizeof(err));
	if (ret)
		tap_diag("  disk_open: %s", err);
	return ret;
}

struct io {
	struct disk_req req;
	struct iovec iov;
	int ret;
	bool done;
};

static void io_done(struct disk_req *req, int ret)
{
	struct io *io = req->opaque;

	io->ret = ret;
	io->done = true;
}

static int io_sync(struct disk *d, enum disk_op op, uint64_t off, void *buf,
		   uint64_t len)
{
	struct io io;

	memset(&io, 0, sizeof(io));
	io.req.op = op;
	io.req.offset = off;
	io.req.len = len;
	if (buf) {
		io.iov.iov_base = buf;
		io.iov.iov_len = len;
		io.req.iov = &io.iov;
		io.req.iovcnt = 1;
	}
	io.req.done = io_done;
	io.req.opaque = &io;
	disk_submit(d, &io.req);
	disk_unplug(d);
	while (!io.done)
		ioloop_run_once(E.loop, 1000);
	return io.ret;
}

static bool all_bytes(const uint8_t *p, size_t n, uint8_t v)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != v)
			return false;
	return true;
}

/* Reads `len` bytes at the start and at the end of the disk: zeros? */
static bool reads_zeros(struct disk *d, uint64_t size)
{
	const uint64_t len = 64 * KiB < size ? 64 * KiB : size;
	uint8_t *buf = malloc(len);
	bool ok = buf != NULL;

	if (ok) {
		memset(buf, 0xee, len);
		ok = io_sync(d, DISK_READ, 0, buf, len) == 0 && all_bytes(buf, len, 0);
	}
	if (ok) {
		memset(buf, 0xee, len);
		ok = io_sync(d, DISK_READ, size - len, buf, len) == 0 &&
		     all_bytes(buf, len, 0);
	}
	free(buf);
	return ok;
}

static const char *fmt_name(enum disk_create_format f)
{
	return f == DISK_CREATE_QCOW2 ? "qcow2" : f == DISK_CREATE_RAW ? "raw" :
	       "an unknown format";
}

/* The mode and type every new image has. */
static bool check_file(const char *path, uint64_t size, bool raw)
{
	struct stat st;

	if (stat(path, &st)) {
		tap_diag("  stat: %s", strerror(errno));
		return false;
	}
	if (!S_ISREG(st.st_mode) || (st.st_mode & 07777) != 0600) {
		tap_diag("  mode %o, want a regular file, 0600", st.st_mode);
		return false;
	}
	if (raw && ((uint64_t)st.st_size != size || st.st_blocks != 0)) {
		tap_diag("  %jd bytes, %jd blocks; want %" PRIu64 " bytes, none",
			 (intmax_t)st.st_size, (intmax_t)st.st_blocks, size);
		return false;
	}
	return true;
}

/* == raw == */

static void test_raw(const char *label, uint64_t size)
{
	char path[256], num[32], err[256] = "";
	struct disk *d;
	char *info;
	int ret;

	path_of(path, sizeof(path), "new.raw");
	ret = disk_create(path, DISK_CREATE_RAW, size, err, sizeof(err));
	if (!tap_ok(ret == 0, "raw %s: created", label)) {
		tap_diag("  %d: %s", ret, err);
		return;
	}
	tap_ok(check_file(path, size, true), "raw %s: a sparse file of the size, "
	       "mode 0600, no blocks", label);
	info = img_info(path);
	snprintf(num, sizeof(num), "%" PRIu64, size);
	tap_ok(info && json_is(info, "virtual-size", num) && json_is(info, "format", "raw"),
	       "raw %s: qemu-img info: format raw, virtual size %s", label, num);
	free(info);
	if (tap_ok(open_disk(path, DISK_FORMAT_RAW, &d) == 0 && d->size == size,
		   "raw %s: our raw driver opens it at its size", label)) {
		tap_ok(reads_zeros(d, size), "raw %s: reads zeros (first and last 64 KiB)",
		       label);
		disk_close(d);
	}
	unlink(path);
}

/* == qcow2 == */

/* The header of a qcow2 file, parsed by our driver's parser. */
static bool header_of(const char *path, struct qcow2_header *h)
{
	uint8_t buf[4096];
	char err[256];
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = pread(fd, buf, sizeof(buf), 0);
	close(fd);
	if (n < (ssize_t)QCOW2_V3_HEADER_LEN)
		return false;
	if (qcow2_header_parse(h, buf, (size_t)n, err, sizeof(err))) {
		tap_diag("  %s: %s", path, err);
		return false;
	}
	return true;
}

#define SAME(f) do {							\
	if (a->f != b->f) {						\
		tap_diag("  " #f ": ours %" PRIu64 ", qemu-img's %" PRIu64,	\
			 (uint64_t)a->f, (uint64_t)b->f);		\
		same = false;						\
	}								\
} while (0)

/* Every field, the tables' places too: qemu-img lays out header, refcount table, block, L1. */
static bool same_header(const struct qcow2_header *a, const struct qcow2_header *b)
{
	bool same = true;

	SAME(version);
	SAME(backing_offset);
	SAME(backing_len);
	SAME(cluster_bits);
	SAME(size);
	SAME(crypt_method);
	SAME(l1_size);
	SAME(l1_offset);
	SAME(rt_offset);
	SAME(rt_clusters);
	SAME(nb_snapshots);
	SAME(snapshots_offset);
	SAME(incompat);
	SAME(compat);
	SAME(autoclear);
	SAME(refcount_order);
	SAME(header_length);
	SAME(compression);
	return same;
}

/* pread of `len` bytes at `off`; what lies past the end of the file is zeros. */
static bool read_at(int fd, uint8_t *buf, size_t len, uint64_t off)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = pread(fd, buf + got, len - got, (off_t)(off + got));

		if (n < 0)
			return false;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	memset(buf + got, 0, len - got);
	return true;
}

/*
 * Bytes [from, to) of two files equal (past either end: zeros)?  For the
 * tables after the header cluster, whose refcounts qemu-img check does not
 * look at past the end of the file.
 */
static bool same_bytes(const char *pa, const char *pb, uint64_t from, uint64_t to)
{
	const size_t chunk = 1 << 20;
	uint8_t *a = malloc(chunk), *b = malloc(chunk);
	int fa = open(pa, O_RDONLY | O_CLOEXEC), fb = open(pb, O_RDONLY | O_CLOEXEC);
	bool same = a && b && fa >= 0 && fb >= 0 && from < to;
	uint64_t off;

	for (off = from; same && off < to; off += chunk) {
		size_t n = to - off < chunk ? (size_t)(to - off) : chunk;

		same = read_at(fa, a, n, off) && read_at(fb, b, n, off) &&
		       !memcmp(a, b, n);
		if (!same)
			tap_diag("  the files differ in [%" PRIu64 ", +%zu)", off, n);
	}
	if (fa >= 0)
		close(fa);
	if (fb >= 0)
		close(fb);
	free(a);
	free(b);
	return same;
}

/* Our image beside qemu-img create's: the header, the tables, where the metadata ends. */
static void compare_with_qemu(const char *label, const char *path, uint64_t size,
			      const char *ours_check)
{
	struct qcow2_header a, b;
	char ref[256], ea[32] = "", eb[32] = "";
	char *ref_check = NULL;

	path_of(ref, sizeof(ref), "ref.qcow2");
	if (!tap_ok(sh("qemu-img create -q -f qcow2 -o cluster_size=64k,"
		       "refcount_bits=16,lazy_refcounts=off %s %" PRIu64, ref, size) == 0,
		    "qcow2 %s: qemu-img create makes the same size to compare with",
		    label))
		return;
	tap_ok(header_of(path, &a) && header_of(ref, &b) && same_header(&a, &b),
	       "qcow2 %s: the header equals qemu-img create's, field by field", label);
	tap_ok(img_check(ref, &ref_check) == 0 && ours_check &&
	       json_field(ours_check, "image-end-offset", ea, sizeof(ea)) &&
	       json_field(ref_check, "image-end-offset", eb, sizeof(eb)) &&
	       !strcmp(ea, eb), "qcow2 %s: the metadata ends where qemu-img's does "
	       "(%s, %s)", label, ea, eb);
	tap_ok(same_bytes(path, ref, 64 * KiB, strtoull(eb, NULL, 10)),
	       "qcow2 %s: the refcount table, refcount block and L1 table equal "
	       "qemu-img's byte for byte", label);
	free(ref_check);
	unlink(ref);
}

/* Writes 4 KiB of 0x5a at `off`, reads it back and zeros around it. */
static bool write_block(struct disk *d, uint64_t off)
{
	uint8_t *buf = malloc(8 * KiB);
	bool ok = buf != NULL;

	if (ok) {
		memset(buf, 0x5a, 4 * KiB);
		ok = io_sync(d, DISK_WRITE, off, buf, 4 * KiB) == 0 &&
		     io_sync(d, DISK_FLUSH, 0, NULL, 0) == 0;
	}
	if (ok) {
		memset(buf, 0, 8 * KiB);
		ok = io_sync(d, DISK_READ, off, buf, 4 * KiB) == 0 &&
		     all_bytes(buf, 4 * KiB, 0x5a);
	}
	if (ok && off >= 4 * KiB) {
		memset(buf, 0xee, 4 * KiB);
		ok = io_sync(d, DISK_READ, off - 4 * KiB, buf, 4 * KiB) == 0 &&
		     all_bytes(buf, 4 * KiB, 0);
	}
	free(buf);
	return ok;
}

static void test_qcow2(const char *label, uint64_t size)
{
	char path[256], out[256], num[32], err[256] = "";
	char *info, *check = NULL;
	uint64_t off = size - 4 * KiB;
	struct disk *d;
	int ret;

	path_of(path, sizeof(path), "new.qcow2");
	ret = disk_create(path, DISK_CREATE_QCOW2, size, err, sizeof(err));
	if (!tap_ok(ret == 0, "qcow2 %s: created", label)) {
		tap_diag("  %d: %s", ret, err);
		return;
	}
	tap_ok(check_file(path, size, false), "qcow2 %s: a regular file, mode 0600",
	       label);
	ret = img_check(path, &check);
	tap_ok(ret == 0, "qcow2 %s: qemu-img check: no errors, no leaks (exit %d)",
	       label, ret);
	info = img_info(path);
	snprintf(num, sizeof(num), "%" PRIu64, size);
	tap_ok(info && json_is(info, "virtual-size", num) &&
	       json_is(info, "format", "qcow2") && json_is(info, "cluster-size", "65536") &&
	       json_is(info, "compat", "1.1") && json_is(info, "refcount-bits", "16") &&
	       json_is(info, "lazy-refcounts", "false") && !strstr(info, "backing-filename") &&
	       json_is(info, "dirty-flag", "false"),
	       "qcow2 %s: qemu-img info: qcow2 v3 (compat 1.1), virtual size %s, "
	       "64 KiB clusters, 16-bit refcounts, no lazy refcounts, no backing file",
	       label, num);
	free(info);
	compare_with_qemu(label, path, size, check);
	free(check);

	if (!tap_ok(open_disk(path, DISK_FORMAT_QCOW2, &d) == 0 && d->size == size,
		    "qcow2 %s: our qcow2 driver opens it at its size", label)) {
		unlink(path);
		return;
	}
	tap_ok(reads_zeros(d, size), "qcow2 %s: reads zeros (first and last 64 KiB)",
	       label);
	tap_ok(write_block(d, off), "qcow2 %s: 4 KiB written at %" PRIu64
	       " read back, zeros before it", label, off);
	disk_close(d);
	ret = img_check(path, NULL);
	tap_ok(ret == 0, "qcow2 %s: after our write, qemu-img check: no errors, "
	       "no leaks (exit %d)", label, ret);
	path_of(out, sizeof(out), "io.out");
	ret = sh("qemu-io -r -f qcow2 -c 'read -P 0x5a %" PRIu64 " 4k' "
		 "-c 'read -P 0 0 64k' %s >%s 2>&1 && ! grep -q -i fail %s",
		 off, path, out, out);
	if (ret)
		sh("sed 's/^/#   /' %s | head -5", out);
	tap_ok(ret == 0, "qcow2 %s: qemu-io reads our write and zeros", label);
	unlink(path);
}

/* == refusals == */

/* 0600 whatever the umask: none, or one that takes the owner's write bit. */
static void test_umask(void)
{
	static const mode_t masks[] = { 0, 0277, 0777 };
	char path[256], err[256];
	unsigned i;
	int ret;

	path_of(path, sizeof(path), "umask.qcow2");
	for (i = 0; i < sizeof(masks) / sizeof(masks[0]); i++) {
		mode_t old = umask(masks[i]);

		ret = disk_create(path, DISK_CREATE_QCOW2, 1 * MiB, err, sizeof(err));
		umask(old);
		tap_ok(ret == 0 && check_file(path, 1 * MiB, false),
		       "under umask %04o: mode 0600", masks[i]);
		unlink(path);
	}
}

static void test_exists(void)
{
	enum disk_create_format f;
	char path[256], link[256], target[256], err[256];
	static const char keep[] = "keep me";
	char *back;
	int fd, ret;

	path_of(path, sizeof(path), "exists.img");
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	tap_ok(fd >= 0 && write(fd, keep, sizeof(keep) - 1) == sizeof(keep) - 1 &&
	       close(fd) == 0, "a file to collide with");
	for (f = DISK_CREATE_RAW; f <= DISK_CREATE_QCOW2; f++) {
		struct stat st;

		err[0] = 0;
		ret = disk_create(path, f, 1 * MiB, err, sizeof(err));
		back = slurp(path);
		tap_ok(ret == -EEXIST && err[0] && back && !strcmp(back, keep) &&
		       stat(path, &st) == 0 && (st.st_mode & 0777) == 0644,
		       "%s over an existing file: -EEXIST (%s), the file untouched",
		       fmt_name(f), err);
		free(back);
	}
	unlink(path);

	/* O_EXCL does not follow a symlink, even a dangling one. */
	path_of(link, sizeof(link), "link.img");
	path_of(target, sizeof(target), "target.img");
	tap_ok(symlink("target.img", link) == 0, "a dangling symlink");
	for (f = DISK_CREATE_RAW; f <= DISK_CREATE_QCOW2; f++) {
		ret = disk_create(link, f, 1 * MiB, err, sizeof(err));
		tap_ok(ret == -EEXIST && !exists(target) && exists(link),
		       "%s over a dangling symlink: -EEXIST, nothing made at its target",
		       fmt_name(f));
	}
	unlink(link);
}

static void test_bad_args(void)
{
	static const struct {
		enum disk_create_format f;
		uint64_t size;
		const char *what;
	} bad[] = {
		{ DISK_CREATE_RAW, 0, "size 0" },
		{ DISK_CREATE_QCOW2, 0, "size 0" },
		{ DISK_CREATE_RAW, 511, "511 bytes" },
		{ DISK_CREATE_QCOW2, 511, "511 bytes" },
		{ DISK_CREATE_RAW, 1 * MiB + 1, "1 MiB + 1" },
		{ DISK_CREATE_QCOW2, 1000, "1000 bytes" },
		{ DISK_CREATE_QCOW2, DISK_CREATE_QCOW2_MAX + 512, "2^51 + 512 (past the L1 limit)" },
		{ DISK_CREATE_QCOW2, 1ull << 55, "2^55" },
		{ DISK_CREATE_QCOW2, UINT64_MAX & ~511ull, "2^64 - 512" },
		{ DISK_CREATE_RAW, 1ull << 63, "2^63 (past off_t)" },
		{ DISK_CREATE_RAW, UINT64_MAX & ~511ull, "2^64 - 512" },
		{ (enum disk_create_format)7, 1 * MiB, "format 7" },
	};
	char path[256], err[256];
	unsigned i;
	int ret;

	path_of(path, sizeof(path), "bad.img");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = 0;
		ret = disk_create(path, bad[i].f, bad[i].size, err, sizeof(err));
		tap_ok(ret == -EINVAL && err[0] && !exists(path),
		       "%s, %s: -EINVAL, no file (%s)", fmt_name(bad[i].f),
		       bad[i].what, err);
		unlink(path);
	}
	ret = disk_create("", DISK_CREATE_RAW, 1 * MiB, err, sizeof(err));
	tap_ok(ret == -EINVAL, "an empty path: -EINVAL");
}

static void test_missing_dir(void)
{
	enum disk_create_format f;
	char path[256], dir[256], file[256], err[256];
	int ret;

	path_of(dir, sizeof(dir), "no-such-dir");
	path_of(path, sizeof(path), "no-such-dir/x.img");
	for (f = DISK_CREATE_RAW; f <= DISK_CREATE_QCOW2; f++) {
		ret = disk_create(path, f, 1 * MiB, err, sizeof(err));
		tap_ok(ret == -ENOENT && !exists(dir), "%s in a missing directory: "
		       "-ENOENT (%s), nothing made", fmt_name(f), err);
	}
	path_of(file, sizeof(file), "plain");
	path_of(path, sizeof(path), "plain/x.img");
	tap_ok(sh("printf x >%s", file) == 0, "a plain file");
	ret = disk_create(path, DISK_CREATE_QCOW2, 1 * MiB, err, sizeof(err));
	tap_ok(ret == -ENOTDIR, "qcow2 under a plain file: -ENOTDIR (%s)", err);
	unlink(file);
}

static unsigned entries(const char *dir)
{
	struct dirent *e;
	unsigned n = 0;
	DIR *d = opendir(dir);

	if (!d)
		return 1000;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

#define CHILD_NO_SETUID	200

/*
 * disk_create() in a child as uid/gid 65534 when run as root (root
 * writes into any directory); its -errno as the exit status.
 */
static int create_as_other(const char *path, enum disk_create_format f)
{
	char err[256];
	pid_t pid;
	int st;

	if (geteuid() != 0)
		return -disk_create(path, f, 1 * MiB, err, sizeof(err));
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (setgroups(0, NULL) || setresgid(65534, 65534, 65534) ||
		    setresuid(65534, 65534, 65534))
			_exit(CHILD_NO_SETUID);
		_exit(-disk_create(path, f, 1 * MiB, err, sizeof(err)) & 0xff);
	}
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

static void test_readonly_dir(void)
{
	enum disk_create_format f;
	char ro[256], rw[256], path[256];
	int st;

	path_of(ro, sizeof(ro), "ro");
	path_of(rw, sizeof(rw), "rw");
	/* The other uid must reach both: the test directory is 0700. */
	tap_ok(chmod(E.dir, 0711) == 0 && mkdir(ro, 0555) == 0 && chmod(ro, 0555) == 0 &&
	       mkdir(rw, 0777) == 0 && chmod(rw, 0777) == 0,
	       "a read-only directory (0555) and a writable one (0777)");
	path_of(path, sizeof(path), "rw/x.img");
	st = create_as_other(path, DISK_CREATE_QCOW2);
	if (st == CHILD_NO_SETUID) {
		/* Not a pass: no line counts for it. */
		tap_diag("SKIP the read-only directory: running as root and cannot "
			 "drop to uid 65534 (setresuid: no CAP_SETUID here)");
		goto cleanup;
	}
	tap_ok(st == 0 && exists(path), "%s: qcow2 in the writable directory: "
	       "created (so a refusal below is the directory's mode)",
	       geteuid() ? "as ourselves" : "as uid 65534");
	unlink(path);
	path_of(path, sizeof(path), "ro/x.img");
	for (f = DISK_CREATE_RAW; f <= DISK_CREATE_QCOW2; f++) {
		st = create_as_other(path, f);
		tap_ok(st == EACCES && entries(ro) == 0, "%s in a read-only directory: "
		       "-EACCES (got %d), nothing made", fmt_name(f), st);
	}
cleanup:
	rmdir(ro);
	rmdir(rw);
	chmod(E.dir, 0700);
}

/*
 * A failure after the file exists: RLIMIT_FSIZE (setrlimit(2)) makes
 * ftruncate fail with EFBIG; the partial file must go.  In a child, so
 * the limit and SIGXFSZ stay there.
 */
static void test_file_limit(void)
{
	enum disk_create_format f;
	char path[256], err[256];

	path_of(path, sizeof(path), "big.img");
	for (f = DISK_CREATE_RAW; f <= DISK_CREATE_QCOW2; f++) {
		struct rlimit lim = { 64 * KiB, 64 * KiB };
		pid_t pid;
		int st = -1;

		pid = fork();
		if (pid == 0) {
			signal(SIGXFSZ, SIG_IGN);
			if (setrlimit(RLIMIT_FSIZE, &lim))
				_exit(255);
			_exit(-disk_create(path, f, 1 * GiB, err, sizeof(err)) & 0xff);
		}
		if (pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st))
			st = WEXITSTATUS(st);
		tap_ok(st == EFBIG && !exists(path), "%s past RLIMIT_FSIZE: -EFBIG "
		       "(got %d) and the partial file removed", fmt_name(f), st);
		unlink(path);
	}
}

int main(void)
{
	const char *tmp = getenv("TMPDIR");
	const uint64_t odd = 512ull * 200001;	/* 97.7 MiB: not a whole cluster */

	if (tmp && strlen(tmp) < 40)
		snprintf(E.dir, sizeof(E.dir), "%s/create-test.XXXXXX", tmp);
	else
		snprintf(E.dir, sizeof(E.dir), "/tmp/create-test.XXXXXX");
	umask(022);
	if (!mkdtemp(E.dir) || ioloop_create(&E.loop) || pool_create(&E.pool, 2)) {
		tap_ok(0, "set up a temporary directory, an I/O loop and a pool");
		return tap_done();
	}
	if (!tap_ok(sh("qemu-img --version >/dev/null && qemu-io --version >/dev/null") == 0,
		    "qemu-img and qemu-io are installed"))
		return tap_done();

	test_raw("1 MiB", 1 * MiB);
	test_raw("1 GiB", 1 * GiB);
	test_raw("100 GiB", 100 * GiB);
	test_raw("512 x 200001", odd);
	test_qcow2("1 MiB", 1 * MiB);
	test_qcow2("1 GiB", 1 * GiB);
	test_qcow2("100 GiB", 100 * GiB);
	test_qcow2("512 x 200001", odd);
	test_qcow2("2^51 (the largest)", DISK_CREATE_QCOW2_MAX);

	test_umask();
	test_exists();
	test_bad_args();
	test_missing_dir();
	test_readonly_dir();
	test_file_limit();

	pool_destroy(E.pool);
	ioloop_destroy(E.loop);
	sh("rm -rf %s", E.dir);
	return tap_done();
}
