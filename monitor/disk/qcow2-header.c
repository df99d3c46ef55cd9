// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * disk/qcow2-header.c - the qcow2 header at open: its fixed fields, its
 * extensions and feature bits, where the L1 and refcount tables are and
 * whether they fit the file (qcow2.txt "Header", "Header extensions",
 * "Feature name table"); then the tables themselves and the end of the
 * allocated area, read with pread.
 *
 * Everything here is file-controlled and checked before use: a bad
 * image is refused with a one-line reason, never trusted.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "disk/qcow2-internal.h"

/* Header field offsets (qcow2.txt "Header"). */
#define H_MAGIC			0
#define H_VERSION		4
#define H_BACKING_OFFSET	8
#define H_BACKING_SIZE		16
#define H_CLUSTER_BITS		20
#define H_SIZE			24
#define H_CRYPT_METHOD		32
#define H_L1_SIZE		36
#define H_L1_OFFSET		40
#define H_RT_OFFSET		48
#define H_RT_CLUSTERS		56
#define H_NB_SNAPSHOTS		60
#define H_SNAPSHOTS_OFFSET	64
#define H_INCOMPAT		72
#define H_COMPAT		80
#define H_AUTOCLEAR		88
#define H_REFCOUNT_ORDER	96
#define H_HEADER_LENGTH		100
#define H_COMPRESSION_TYPE	104

#define PREAD_ALIGN		4096u	/* the fd may be O_DIRECT */

static uint64_t round_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

static int parse_v3_fields(struct qcow2_header *h, const uint8_t *buf,
			   size_t len, char *err, size_t errlen)
{
	if (len < QCOW2_V3_HEADER_LEN) {
		snprintf(err, errlen, "the file is too short for a qcow2 v3 header");
		return -EINVAL;
	}
	h->incompat = qcow2_be64(buf + H_INCOMPAT);
	h->compat = qcow2_be64(buf + H_COMPAT);
	h->autoclear = qcow2_be64(buf + H_AUTOCLEAR);
	h->refcount_order = qcow2_be32(buf + H_REFCOUNT_ORDER);
	h->header_length = qcow2_be32(buf + H_HEADER_LENGTH);
	if (h->header_length < QCOW2_V3_HEADER_LEN || h->header_length % 8 ||
	    h->header_length > (1u << h->cluster_bits)) {
		snprintf(err, errlen, "bad qcow2 header length %" PRIu32
			 " (version 3 needs a multiple of 8, at least %u, within "
			 "the first cluster)", h->header_length, QCOW2_V3_HEADER_LEN);
		return -EINVAL;
	}
	if (h->refcount_order > 6) {
		snprintf(err, errlen, "bad refcount order %" PRIu32 " (at most 6)",
			 h->refcount_order);
		return -EINVAL;
	}
	/* "Additional fields": compression_type is present past byte 104. */
	if (h->header_length > H_COMPRESSION_TYPE) {
		if (len < H_COMPRESSION_TYPE + 1u) {
			snprintf(err, errlen, "the file is too short for its header");
			return -EINVAL;
		}
		h->compression = buf[H_COMPRESSION_TYPE];
	}
	return 0;
}

int qcow2_header_parse(struct qcow2_header *h, const uint8_t *buf, size_t len,
		       char *err, size_t errlen)
{
	memset(h, 0, sizeof(*h));
	if (len < QCOW2_V2_HEADER_LEN || qcow2_be32(buf + H_MAGIC) != QCOW2_MAGIC) {
		snprintf(err, errlen, "not a qcow2 image (no qcow2 header)");
		return -EINVAL;
	}
	h->version = qcow2_be32(buf + H_VERSION);
	if (h->version != 2 && h->version != 3) {
		snprintf(err, errlen, "qcow2 version %" PRIu32 " is not supported "
			 "(2 and 3 are)", h->version);
		return -EINVAL;
	}
	h->backing_offset = qcow2_be64(buf + H_BACKING_OFFSET);
	h->backing_len = qcow2_be32(buf + H_BACKING_SIZE);
	h->cluster_bits = qcow2_be32(buf + H_CLUSTER_BITS);
	h->size = qcow2_be64(buf + H_SIZE);
	h->crypt_method = qcow2_be32(buf + H_CRYPT_METHOD);
	h->l1_size = qcow2_be32(buf + H_L1_SIZE);
	h->l1_offset = qcow2_be64(buf + H_L1_OFFSET);
	h->rt_offset = qcow2_be64(buf + H_RT_OFFSET);
	h->rt_clusters = qcow2_be32(buf + H_RT_CLUSTERS);
	h->nb_snapshots = qcow2_be32(buf + H_NB_SNAPSHOTS);
	h->snapshots_offset = qcow2_be64(buf + H_SNAPSHOTS_OFFSET);
	if (h->cluster_bits < QCOW2_MIN_CLUSTER_BITS ||
	    h->cluster_bits > QCOW2_MAX_CLUSTER_BITS) {
		snprintf(err, errlen, "cluster size 2^%" PRIu32 " is not supported "
			 "(2^%d to 2^%d bytes)", h->cluster_bits,
			 QCOW2_MIN_CLUSTER_BITS, QCOW2_MAX_CLUSTER_BITS);
		return -EINVAL;
	}
	if (h->version == 2) {
		/* Version 2: 72 bytes, refcount_order 4, no feature bits. */
		h->refcount_order = 4;
		h->header_length = QCOW2_V2_HEADER_LEN;
		return 0;
	}
	return parse_v3_fields(h, buf, len, err, errlen);
}

/* The name the feature name table gives an incompatible bit, or "". */
static void feature_name(const uint8_t *table, size_t n, unsigned bit, char *out,
			 size_t outlen)
{
	size_t i;

	out[0] = 0;
	for (i = 0; i < n; i++) {
		const uint8_t *e = table + i * QCOW2_FEATURE_ENTRY_LEN;

		if (e[0] == 0 && e[1] == bit) {
			size_t k;

			/* 46 bytes, zero-padded, maybe without a terminator. */
			for (k = 0; k < 46 && k + 1 < outlen && e[2 + k]; k++)
				out[k] = (e[2 + k] >= 0x20 && e[2 + k] < 0x7f) ?
					 (char)e[2 + k] : '?';
			out[k] = 0;
			return;
		}
	}
}

static int unknown_features(uint64_t bits, const uint8_t *table, size_t n,
			    char *err, size_t errlen)
{
	size_t used;
	unsigned b;

	used = (size_t)snprintf(err, errlen, "unsupported qcow2 incompatible features:");
	for (b = 0; b < 64 && used < errlen; b++) {
		char name[48];

		if (!(bits & (1ull << b)))
			continue;
		feature_name(table, n, b, name, sizeof(name));
		used += (size_t)snprintf(err + used, errlen - used, " bit %u%s%s%s",
					 b, name[0] ? " (" : "", name,
					 name[0] ? ")" : "");
	}
	return -EOPNOTSUPP;
}

/* qcow2.txt "Header": incompatible_features, and what opening for writing needs. */
static int check_features(const struct qcow2_header *h, const uint8_t *table,
			  size_t ntable, bool writable, char *err, size_t errlen)
{
	if (h->incompat & ~QCOW2_INCOMPAT_KNOWN)
		return unknown_features(h->incompat & ~QCOW2_INCOMPAT_KNOWN, table,
					ntable, err, errlen);
	if (h->incompat & QCOW2_INCOMPAT_DATA_FILE) {
		snprintf(err, errlen, "qcow2 images with an external data file are "
			 "not supported");
		return -EOPNOTSUPP;
	}
	if (h->incompat & QCOW2_INCOMPAT_EXTL2) {
		snprintf(err, errlen, "qcow2 images with extended L2 entries "
			 "(subclusters) are not supported");
		return -EOPNOTSUPP;
	}
	if (!!(h->incompat & QCOW2_INCOMPAT_COMPRESSION) !=
	    (h->compression != QCOW2_COMPRESSION_ZLIB)) {
		snprintf(err, errlen, "bad qcow2 compression type %u for its "
			 "feature bits", h->compression);
		return -EINVAL;
	}
	if (h->compression > QCOW2_COMPRESSION_ZSTD) {
		snprintf(err, errlen, "unsupported qcow2 compression type %u",
			 h->compression);
		return -EOPNOTSUPP;
	}
	if (h->crypt_method) {
		snprintf(err, errlen, "encrypted qcow2 images are not supported");
		return -EOPNOTSUPP;
	}
	if (!writable)
		return 0;
	if (h->incompat & QCOW2_INCOMPAT_CORRUPT) {
		snprintf(err, errlen, "the image is marked corrupt: open it "
			 "read-only, or repair it with qemu-img check -r all");
		return -EROFS;
	}
	if (h->incompat & QCOW2_INCOMPAT_DIRTY) {
		snprintf(err, errlen, "the image was not closed cleanly (dirty bit, "
			 "lazy refcounts): repair it with qemu-img check -r all, "
			 "or open it read-only");
		return -EROFS;
	}
	if (h->nb_snapshots) {
		snprintf(err, errlen, "the image has %" PRIu32 " internal snapshot%s: "
			 "writing it is not supported (open it read-only)",
			 h->nb_snapshots, h->nb_snapshots == 1 ? "" : "s");
		return -EROFS;
	}
	return 0;
}

struct ext_walk {
	const uint8_t *table;		/* the feature name table */
	size_t ntable;
	uint32_t seen;			/* known types found, a bit each */
};

static int ext_once(struct ext_walk *w, unsigned bit, uint32_t type, char *err,
		    size_t errlen)
{
	if (w->seen & (1u << bit)) {
		snprintf(err, errlen, "qcow2 header extension 0x%08" PRIx32
			 " appears twice", type);
		return -EINVAL;
	}
	w->seen |= 1u << bit;
	return 0;
}

static int ext_one(struct qcow2_header *h, struct ext_walk *w, uint32_t type,
		   const uint8_t *data, uint32_t len, char *err, size_t errlen)
{
	switch (type) {
	case QCOW2_EXT_BACKING_FORMAT:
		if (len == 0 || len >= sizeof(h->backing_fmt) ||
		    memchr(data, 0, len)) {
			snprintf(err, errlen, "bad backing format extension (%" PRIu32
				 " bytes)", len);
			return -EINVAL;
		}
		memcpy(h->backing_fmt, data, len);
		h->backing_fmt[len] = 0;
		return ext_once(w, 0, type, err, errlen);
	case QCOW2_EXT_FEATURE_TABLE:
		w->table = data;
		w->ntable = len / QCOW2_FEATURE_ENTRY_LEN;
		return ext_once(w, 1, type, err, errlen);
	case QCOW2_EXT_BITMAPS:
		/* Ours to ignore: its autoclear bit is cleared before writing. */
		return ext_once(w, 2, type, err, errlen);
	case QCOW2_EXT_CRYPTO:
		return ext_once(w, 3, type, err, errlen);
	case QCOW2_EXT_DATA_FILE:
		return ext_once(w, 4, type, err, errlen);
	default:
		/* "Unknown header extension, can be safely ignored". */
		return 0;
	}
}

/*
 * qcow2.txt "Header extensions": after the header up to the end of the
 * first cluster, or to the backing file name stored there.  Every step
 * moves forward by at least 8 bytes inside the cluster, so the walk ends.
 */
static int walk_extensions(struct qcow2_header *h, struct ext_walk *w,
			   const uint8_t *cl, size_t len, char *err, size_t errlen)
{
	uint64_t off = h->header_length, end = len;
	int ret;

	if (h->backing_offset && h->backing_offset < end)
		end = h->backing_offset;
	while (off + 8 <= end) {
		uint32_t type = qcow2_be32(cl + off), elen = qcow2_be32(cl + off + 4);

		if (type == QCOW2_EXT_END)
			break;
		if (elen > end - off - 8) {
			snprintf(err, errlen, "qcow2 header extension 0x%08" PRIx32
				 " (%" PRIu32 " bytes) runs past the header cluster",
				 type, elen);
			return -EINVAL;
		}
		ret = ext_one(h, w, type, cl + off + 8, elen, err, errlen);
		if (ret)
			return ret;
		off += 8 + round_up(elen, 8);
	}
	h->ext_end = (uint32_t)(off < end ? off : end);
	return 0;
}

static int check_backing(struct qcow2_header *h, const uint8_t *cl, size_t len,
			 char *err, size_t errlen)
{
	if (!h->backing_offset || !h->backing_len) {
		h->backing_offset = 0;
		h->backing_len = 0;
		return 0;
	}
	if (h->backing_len > QCOW2_MAX_BACKING_NAME ||
	    h->backing_offset < h->header_length ||
	    h->backing_offset > len || h->backing_len > len - h->backing_offset) {
		snprintf(err, errlen, "bad backing file name (%" PRIu32 " bytes at "
			 "%" PRIu64 ": outside the header cluster or too long)",
			 h->backing_len, h->backing_offset);
		return -EINVAL;
	}
	memcpy(h->backing, cl + h->backing_offset, h->backing_len);
	h->backing[h->backing_len] = 0;
	if (strlen(h->backing) != h->backing_len) {
		snprintf(err, errlen, "bad backing file name (a NUL byte in it)");
		return -EINVAL;
	}
	return 0;
}

/* Does [off, off + len) lie in the file, past the header cluster? */
static bool in_file(uint64_t off, uint64_t len, uint64_t cs, uint64_t file_size)
{
	return off >= cs && off <= file_size && len <= file_size - off;
}

static int check_l1(const struct qcow2_header *h, uint64_t file_size, char *err,
		    size_t errlen)
{
	uint64_t cs = 1ull << h->cluster_bits;
	unsigned span_bits = h->cluster_bits + h->cluster_bits - 3;
	uint64_t need = (h->size + (1ull << span_bits) - 1) >> span_bits;

	if (h->l1_size < need || (uint64_t)h->l1_size * 8 > QCOW2_MAX_L1_BYTES) {
		snprintf(err, errlen, "bad L1 table size %" PRIu32 " for a %" PRIu64
			 "-byte disk (needs %" PRIu64 ", at most %u bytes)",
			 h->l1_size, h->size, need, QCOW2_MAX_L1_BYTES);
		return -EINVAL;
	}
	if (h->l1_size && (h->l1_offset % cs ||
			   !in_file(h->l1_offset, (uint64_t)h->l1_size * 8, cs,
				    file_size))) {
		snprintf(err, errlen, "the L1 table (at %" PRIu64 ", %" PRIu32
			 " entries) is unaligned or outside the file", h->l1_offset,
			 h->l1_size);
		return -EINVAL;
	}
	return 0;
}

static int check_rt(const struct qcow2_header *h, uint64_t file_size, char *err,
		    size_t errlen)
{
	uint64_t cs = 1ull << h->cluster_bits;
	uint64_t bytes = (uint64_t)h->rt_clusters << h->cluster_bits;
	uint64_t l1_end = h->l1_offset + round_up((uint64_t)h->l1_size * 8, cs);

	if (!h->rt_clusters || bytes > QCOW2_MAX_RT_BYTES || h->rt_offset % cs ||
	    !in_file(h->rt_offset, bytes, cs, file_size)) {
		snprintf(err, errlen, "the refcount table (at %" PRIu64 ", %" PRIu32
			 " clusters) is empty, too big, unaligned or outside the file",
			 h->rt_offset, h->rt_clusters);
		return -EINVAL;
	}
	if (h->l1_size && h->rt_offset < l1_end && h->l1_offset < h->rt_offset + bytes) {
		snprintf(err, errlen, "the L1 table and the refcount table overlap");
		return -EINVAL;
	}
	return 0;
}

static int check_geometry(const struct qcow2_header *h, uint64_t file_size,
			  char *err, size_t errlen)
{
	uint64_t cs = 1ull << h->cluster_bits;
	int ret;

	if (h->size > QCOW2_MAX_SIZE) {
		snprintf(err, errlen, "the disk size %" PRIu64 " is too big (at most "
			 "2^55 bytes)", h->size);
		return -EINVAL;
	}
	ret = check_l1(h, file_size, err, errlen);
	if (!ret)
		ret = check_rt(h, file_size, err, errlen);
	if (ret)
		return ret;
	if (h->nb_snapshots && (h->nb_snapshots > QCOW2_MAX_SNAPSHOTS ||
				h->snapshots_offset % cs ||
				!in_file(h->snapshots_offset, 1, cs, file_size))) {
		snprintf(err, errlen, "bad snapshot table (%" PRIu32 " snapshots at %"
			 PRIu64 ")", h->nb_snapshots, h->snapshots_offset);
		return -EINVAL;
	}
	return 0;
}

int qcow2_header_check(struct qcow2_header *h, const uint8_t *cluster,
		       size_t len, uint64_t file_size, bool writable, char *err,
		       size_t errlen)
{
	struct ext_walk w = { 0 };
	int ret;

	if (len < h->header_length) {
		snprintf(err, errlen, "the file is too short for its qcow2 header");
		return -EINVAL;
	}
	ret = walk_extensions(h, &w, cluster, len, err, errlen);
	if (!ret)
		ret = check_features(h, w.table, w.ntable, writable, err, errlen);
	if (!ret)
		ret = check_backing(h, cluster, len, err, errlen);
	if (!ret)
		ret = check_geometry(h, file_size, err, errlen);
	return ret;
}

/*
 * pread through an aligned bounce buffer (the fd may be O_DIRECT); what
 * lies past the end of the file reads as zeros.
 */
int qcow2_pread(int fd, void *buf, size_t len, uint64_t off)
{
	uint64_t start = off & ~(uint64_t)(PREAD_ALIGN - 1);
	uint64_t end = round_up(off + len, PREAD_ALIGN);
	size_t blen = (size_t)(end - start), got = 0;
	uint8_t *b;

	if (posix_memalign((void **)&b, PREAD_ALIGN, blen))
		return -ENOMEM;
	while (got < blen) {
		ssize_t n = pread(fd, b + got, blen - got, (off_t)(start + got));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int ret = -errno;

			free(b);
			return ret;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	memset(b + got, 0, blen - got);
	memcpy(buf, b + (off - start), len);
	free(b);
	return 0;
}

static void set_geometry(struct qcow2 *q)
{
	const struct qcow2_header *h = &q->h;

	q->cluster_bits = h->cluster_bits;
	q->cluster_size = 1ull << h->cluster_bits;
	q->l2_bits = h->cluster_bits - 3;
	q->refcount_bits = 1u << h->refcount_order;
	q->rb_bits = h->cluster_bits + 3 - h->refcount_order;
	q->refcount_max = q->refcount_bits == 64 ? UINT64_MAX :
			  (1ull << q->refcount_bits) - 1;
	/* "Compressed Clusters Descriptor": x = 62 - (cluster_bits - 8). */
	q->csize_shift = 62 - (h->cluster_bits - 8);
	q->csize_mask = (1ull << (h->cluster_bits - 8)) - 1;
	q->coffset_mask = (1ull << q->csize_shift) - 1;
}

int qcow2_read_header(struct qcow2 *q, char *err, size_t errlen)
{
	uint64_t file_size = q->d->file.size, clen;
	uint8_t *buf;
	int ret;

	buf = malloc(PREAD_ALIGN);
	if (!buf)
		return -ENOMEM;
	ret = qcow2_pread(q->d->file.fd, buf, PREAD_ALIGN, 0);
	if (ret) {
		snprintf(err, errlen, "cannot read the qcow2 header: %s", strerror(-ret));
		goto free_buf;
	}
	ret = qcow2_header_parse(&q->h, buf, file_size < PREAD_ALIGN ?
				 (size_t)file_size : PREAD_ALIGN, err, errlen);
	if (ret)
		goto free_buf;
	set_geometry(q);
	memcpy(q->hdr_sector, buf, DISK_SECTOR);
	clen = file_size < q->cluster_size ? file_size : q->cluster_size;
	if (clen > PREAD_ALIGN) {
		free(buf);
		buf = malloc(clen);
		if (!buf)
			return -ENOMEM;
		ret = qcow2_pread(q->d->file.fd, buf, clen, 0);
		if (ret) {
			snprintf(err, errlen, "cannot read the qcow2 header: %s",
				 strerror(-ret));
			goto free_buf;
		}
	}
	ret = qcow2_header_check(&q->h, buf, clen, file_size, q->writable, err,
				 errlen);
free_buf:
	free(buf);
	return ret;
}

static int read_be64_table(int fd, uint64_t *t, uint64_t n, uint64_t off)
{
	uint64_t i;
	int ret;

	ret = qcow2_pread(fd, t, n * 8, off);
	if (ret)
		return ret;
	for (i = 0; i < n; i++)
		t[i] = be64toh(t[i]);
	return 0;
}

int qcow2_read_tables(struct qcow2 *q, char *err, size_t errlen)
{
	int ret;

	/* In memory the L1 table is whole sectors, so it is written back by sectors. */
	q->l1_alloc = round_up(q->h.l1_size, DISK_SECTOR / 8);
	q->l1 = calloc(q->l1_alloc ? q->l1_alloc : 1, 8);
	q->rt_entries = ((uint64_t)q->h.rt_clusters << q->cluster_bits) / 8;
	q->rt = calloc(q->rt_entries, 8);
	if (!q->l1 || !q->rt)
		return -ENOMEM;
	ret = read_be64_table(q->d->file.fd, q->l1, q->h.l1_size, q->h.l1_offset);
	if (!ret)
		ret = read_be64_table(q->d->file.fd, q->rt, q->rt_entries,
				      q->h.rt_offset);
	if (ret) {
		snprintf(err, errlen, "cannot read the qcow2 tables: %s", strerror(-ret));
		return ret;
	}
	q->rt_offset = q->rt_disk_offset = q->h.rt_offset;
	q->rt_clusters = q->rt_disk_clusters = q->h.rt_clusters;
	q->l1_dirty_lo = q->rt_dirty_lo = UINT64_MAX;
	return 0;
}

/* The highest cluster a refcount block counts as used, +1 (0: none). */
static int block_high(struct qcow2 *q, uint64_t ti, uint8_t *blk, uint64_t *out)
{
	uint64_t n = 1ull << q->rb_bits, j;
	int ret;

	ret = qcow2_pread(q->d->file.fd, blk, q->cluster_size, q->rt[ti]);
	if (ret)
		return ret;
	*out = 0;
	for (j = n; j > 0; j--) {
		if (qcow2_rb_get(q, blk, j - 1)) {
			*out = (ti << q->rb_bits) + j;
			break;
		}
	}
	return 0;
}

/* Scans the last refcount blocks backwards for the highest used cluster. */
static int scan_refcounts(struct qcow2 *q, uint64_t *high, char *err,
			  size_t errlen)
{
	unsigned reads = 0;
	uint8_t *blk;
	uint64_t ti;
	int ret = 0;

	*high = 0;
	blk = malloc(q->cluster_size);
	if (!blk)
		return -ENOMEM;
	for (ti = q->rt_entries; ti > 0 && !*high; ti--) {
		if (!q->rt[ti - 1])
			continue;
		/* A writable open reads at most 64 blocks here, whatever the file says. */
		if (++reads > 64) {
			snprintf(err, errlen, "the refcount table has too many empty "
				 "refcount blocks to open the image for writing");
			ret = -EINVAL;
			break;
		}
		ret = block_high(q, ti - 1, blk, high);
		if (ret) {
			snprintf(err, errlen, "cannot read a refcount block: %s",
				 strerror(-ret));
			break;
		}
	}
	free(blk);
	return ret;
}

/*
 * The bump pointer: past the file, every table and every cluster with a
 * refcount (a crash may leave counted clusters that were never written).
 */
int qcow2_find_alloc_end(struct qcow2 *q, char *err, size_t errlen)
{
	uint64_t cs = q->cluster_size, end, high, i;
	int ret;

	end = round_up(q->d->file.size, cs);
	q->alloc_end = end;
	if (!q->writable)
		return 0;
	for (i = 0; i < q->rt_entries; i++) {
		uint64_t e = q->rt[i];

		if (!e)
			continue;
		if ((e & QCOW2_RT_RESERVED) || e % cs || !qcow2_host_range_ok(q, e, cs)) {
			snprintf(err, errlen, "refcount table entry %" PRIu64 " (%#" PRIx64
				 ") is invalid", i, e);
			return -EINVAL;
		}
	}
	ret = scan_refcounts(q, &high, err, errlen);
	if (ret)
		return ret;
	if (high > (QCOW2_MAX_SIZE >> q->cluster_bits)) {
		snprintf(err, errlen, "the refcounts count clusters past 2^55 bytes");
		return -EINVAL;
	}
	if (high << q->cluster_bits > end)
		end = high << q->cluster_bits;
	q->alloc_end = end;
	return 0;
}

/*
 * "autoclear_features": a writer that does not maintain what a bit stands
 * for (we maintain none: bitmaps) clears it before writing.
 */
int qcow2_clear_autoclear(struct qcow2 *q, char *err, size_t errlen)
{
	uint8_t *s;
	ssize_t n;
	int ret = 0;

	if (!q->writable || !q->h.autoclear)
		return 0;
	if (posix_memalign((void **)&s, PREAD_ALIGN, DISK_SECTOR))
		return -ENOMEM;
	memcpy(s, q->hdr_sector, DISK_SECTOR);
	qcow2_put64(s + H_AUTOCLEAR, 0);
	do
		n = pwrite(q->d->file.fd, s, DISK_SECTOR, 0);
	while (n < 0 && errno == EINTR);
	if (n != DISK_SECTOR || fdatasync(q->d->file.fd)) {
		ret = n < 0 || n == DISK_SECTOR ? -errno : -EIO;
		snprintf(err, errlen, "cannot clear the autoclear features: %s",
			 strerror(-ret));
	} else {
		memcpy(q->hdr_sector, s, DISK_SECTOR);
		q->h.autoclear = 0;
	}
	free(s);
	return ret;
}

void qcow2_header_set_rt(uint8_t *sector, uint64_t rt_offset, uint32_t rt_clusters)
{
	qcow2_put64(sector + H_RT_OFFSET, rt_offset);
	qcow2_put32(sector + H_RT_CLUSTERS, rt_clusters);
}
