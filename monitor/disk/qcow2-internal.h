/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * disk/qcow2-internal.h - the qcow2 image format's pieces, shared by its
 * files (the format is disk_qcow2_ops, disk.h):
 *
 *   qcow2.c           the ops table, open and close, the backing file,
 *                     completing guest requests
 *   qcow2-header.c    the header, its extensions and feature bits; reading
 *                     the L1 and refcount tables at open
 *   qcow2-table.c     a bounded LRU cache of cluster-sized tables (L2
 *                     tables, refcount blocks) loaded through the write cache
 *   qcow2-map.c       L1/L2 lookups and the checks on every entry
 *   qcow2-alloc.c     refcounts, cluster allocation at the end of the file,
 *                     new refcount blocks and a bigger refcount table, frees
 *   qcow2-meta.c      writing dirty metadata back in dependency order
 *   qcow2-io.c        the request path: reads, in-place writes, discards,
 *                     write-zeroes, flushes
 *   qcow2-write.c     allocating writes and their copy-on-write
 *   qcow2-compress.c  compressed clusters (zlib, zstd), in the worker pool
 *
 * The on-disk format is QEMU's docs/interop/qcow2.txt; sections are cited
 * by title.  All numbers on disk are big-endian.
 *
 * Crash consistency.  Metadata changes live in memory (dirty L2 tables,
 * refcount blocks, the L1 and refcount tables) and are written back by one
 * "cycle" at a time (qcow2-meta.c), from copies taken at one instant:
 * refcount blocks (and a new refcount table) -> FLUSH -> refcount table
 * entries or the header's table pointer -> FLUSH -> L2 tables -> FLUSH ->
 * L1 -> FLUSH.  An L2 entry is set only once the data it points to has
 * been written (is in the cache), so the first FLUSH also makes that data
 * durable.  Refcount decrements (frees) wait until the L2 change that
 * dropped the reference is durable, so after a crash a refcount is never
 * below the number of references: at worst a cluster leaks.  Freed
 * clusters are never reused (allocation is a bump pointer at the end of
 * the file), so data still on its way to a freed cluster can never alias
 * new data.  The dirty bit and lazy refcounts are not used.
 *
 * Threads: everything here runs on the disk's I/O loop, except open (any
 * thread, pread) and decompression (a pool job).
 */
#ifndef VMAIN_MONITOR_DISK_QCOW2_INTERNAL_H
#define VMAIN_MONITOR_DISK_QCOW2_INTERNAL_H

#include <endian.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "disk/disk.h"

/* == Header == */
#define QCOW2_MAGIC			0x514649fbu	/* "QFI\xfb" */
#define QCOW2_V2_HEADER_LEN		72u
#define QCOW2_V3_HEADER_LEN		104u
#define QCOW2_MIN_CLUSTER_BITS		9
#define QCOW2_MAX_CLUSTER_BITS		21	/* 2 MiB, as QEMU */
#define QCOW2_MAX_SIZE			(1ull << 55)
#define QCOW2_MAX_L1_BYTES		(32u << 20)	/* QEMU's limit */
#define QCOW2_MAX_RT_BYTES		(8u << 20)	/* QEMU's limit */
#define QCOW2_MAX_BACKING_NAME		1023u
#define QCOW2_MAX_SNAPSHOTS		65536u

/* incompatible_features */
#define QCOW2_INCOMPAT_DIRTY		(1ull << 0)
#define QCOW2_INCOMPAT_CORRUPT		(1ull << 1)
#define QCOW2_INCOMPAT_DATA_FILE	(1ull << 2)
#define QCOW2_INCOMPAT_COMPRESSION	(1ull << 3)
#define QCOW2_INCOMPAT_EXTL2		(1ull << 4)
#define QCOW2_INCOMPAT_KNOWN		0x1full

/* == Header extensions == */
#define QCOW2_EXT_END			0x00000000u
#define QCOW2_EXT_BACKING_FORMAT	0xe2792acau
#define QCOW2_EXT_FEATURE_TABLE		0x6803f857u
#define QCOW2_EXT_BITMAPS		0x23852875u
#define QCOW2_EXT_CRYPTO		0x0537be77u
#define QCOW2_EXT_DATA_FILE		0x44415441u
#define QCOW2_FEATURE_ENTRY_LEN		48u

/* == Cluster mapping == */
#define QCOW2_OFLAG_COPIED		(1ull << 63)
#define QCOW2_OFLAG_COMPRESSED		(1ull << 62)
#define QCOW2_OFLAG_ZERO		(1ull << 0)
#define QCOW2_OFFSET_MASK		0x00fffffffffffe00ull	/* bits 9-55 */
#define QCOW2_L1_RESERVED		0x7f000000000001ffull	/* bits 0-8, 56-62 */
#define QCOW2_L2_RESERVED		0x3f000000000001feull	/* bits 1-8, 56-61 */
#define QCOW2_RT_RESERVED		0x00000000000001ffull	/* bits 0-8 */

#define QCOW2_COMPRESSION_ZLIB		0
#define QCOW2_COMPRESSION_ZSTD		1

/* Bounds of the in-memory metadata (see qcow2.c, open_caches()). */
#define QCOW2_L2_CACHE_BYTES		(16u << 20)
#define QCOW2_L2_CACHE_MAX		64u
#define QCOW2_RB_CACHE_BYTES		(4u << 20)
#define QCOW2_RB_CACHE_MAX		32u
#define QCOW2_CACHE_MIN			8u	/* tables, whatever the cluster size */
#define QCOW2_MAX_PENDING_FREES		4096u	/* free ranges before a write-back */
#define QCOW2_META_MAX_AGE_NS		(1000ll * 1000 * 1000)

static inline uint64_t qcow2_be64(const void *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return be64toh(v);
}

static inline uint32_t qcow2_be32(const void *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return be32toh(v);
}

static inline uint16_t qcow2_be16(const void *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return be16toh(v);
}

static inline void qcow2_put64(void *p, uint64_t v)
{
	v = htobe64(v);
	memcpy(p, &v, 8);
}

static inline void qcow2_put32(void *p, uint32_t v)
{
	v = htobe32(v);
	memcpy(p, &v, 4);
}

static inline void qcow2_put16(void *p, uint16_t v)
{
	v = htobe16(v);
	memcpy(p, &v, 2);
}

/* The header's fields (host order), as parsed and checked at open. */
struct qcow2_header {
	uint32_t version;
	uint64_t backing_offset;
	uint32_t backing_len;
	uint32_t cluster_bits;
	uint64_t size;
	uint32_t crypt_method;
	uint32_t l1_size;
	uint64_t l1_offset;
	uint64_t rt_offset;
	uint32_t rt_clusters;
	uint32_t nb_snapshots;
	uint64_t snapshots_offset;
	uint64_t incompat;
	uint64_t compat;
	uint64_t autoclear;
	uint32_t refcount_order;
	uint32_t header_length;
	uint8_t compression;
	uint32_t ext_end;		/* where the extension area ends */
	char backing[QCOW2_MAX_BACKING_NAME + 1];
	char backing_fmt[32];
};

/* == Waiting == */

/*
 * Something parked until an event: a request waiting for a table to load,
 * an allocation to finish or a write-back cycle; the cycle waiting for a
 * load.  fn() runs on the loop with 0 or the error of what it waited for.
 */
struct qcow2_wait {
	void (*fn)(struct qcow2_wait *w, int err);
	struct qcow2_wait *next;
	bool bumped;			/* a flush kept one cycle more (qcow2-meta.c) */
};

struct qcow2_waitlist {
	struct qcow2_wait *head;
	struct qcow2_wait **tail;
};

void qcow2_waitlist_init(struct qcow2_waitlist *l);
void qcow2_waitlist_add(struct qcow2_waitlist *l, struct qcow2_wait *w);
bool qcow2_waitlist_empty(const struct qcow2_waitlist *l);
/* Takes every waiter off `l` (so new ones queue afresh), then wakes them in order. */
void qcow2_waitlist_wake(struct qcow2_waitlist *l, int err);
/* Moves every waiter of `from` to the end of `to`. */
void qcow2_waitlist_splice(struct qcow2_waitlist *to, struct qcow2_waitlist *from);

/* == Table cache (qcow2-table.c) == */

struct qcow2;

struct qcow2_table {
	uint64_t host;			/* cluster offset in the file; 0: slot unused */
	uint8_t *buf;			/* one cluster, as on disk (big-endian) */
	uint64_t lru;
	unsigned pins;			/* allocations in flight into this table */
	bool loading;
	bool dirty;
	bool writing;			/* a write-back copy is in flight */
	struct qcow2_waitlist waiters;	/* waiting for the load */
	struct qcow2_tcache *cache;
	struct disk_req io;
	struct iovec iov;
};

struct qcow2_tcache {
	struct qcow2 *q;
	struct qcow2_table *slots;
	unsigned n;
	unsigned ndirty;
	uint64_t clock;
	struct qcow2_waitlist slot_waiters;	/* waiting for an evictable slot */
	uint64_t loads;			/* tables read */
};

int qcow2_tcache_init(struct qcow2_tcache *c, struct qcow2 *q, unsigned n);
void qcow2_tcache_fini(struct qcow2_tcache *c);
/*
 * The table at `host`: 0 with *out set; -EAGAIN with `w` parked on its
 * load (or on a free slot, a write-back cycle kicked); -errno if it cannot
 * be loaded.
 */
int qcow2_table_get(struct qcow2_tcache *c, uint64_t host, struct qcow2_wait *w,
		    struct qcow2_table **out);
/* Is there a slot for `n` new tables now?  -EAGAIN with `w` parked if not. */
int qcow2_table_reserve(struct qcow2_tcache *c, unsigned n, struct qcow2_wait *w);
/* A new, zeroed, dirty table at `host` in a slot qcow2_table_reserve() found. */
struct qcow2_table *qcow2_table_new(struct qcow2_tcache *c, uint64_t host);
void qcow2_table_dirty(struct qcow2_table *t);
void qcow2_table_pin(struct qcow2_table *t);
void qcow2_table_unpin(struct qcow2_table *t);
/* Is a table in memory inside [off, off + len) of the file? */
bool qcow2_tcache_overlaps(const struct qcow2_tcache *c, uint64_t off, uint64_t len);
/* Wakes requests waiting for a slot (after a write-back or an unpin). */
void qcow2_tcache_wake_slots(struct qcow2_tcache *c);

static inline uint64_t qcow2_table_entry(const struct qcow2_table *t, uint64_t i)
{
	return qcow2_be64(t->buf + i * 8);
}

static inline void qcow2_table_set_entry(struct qcow2_table *t, uint64_t i,
					 uint64_t v)
{
	qcow2_put64(t->buf + i * 8, v);
}

/* == Frees (qcow2-alloc.c) == */

struct qcow2_free {
	uint64_t off;			/* first cluster */
	uint64_t n;			/* clusters */
};

struct qcow2_freelist {
	struct qcow2_free *v;
	size_t head, len, cap;		/* live entries are v[head..len) */
};

/* == Write-back cycle (qcow2-meta.c) == */

struct qcow2_mwrite;

struct qcow2_cycle {
	bool running;
	int err;
	unsigned step;			/* index into plan[] */
	unsigned nplan;
	int plan[8];			/* stage numbers, or -1 for a FLUSH */
	unsigned outstanding;		/* writes (or the flush) in flight */
	struct qcow2_mwrite *writes[4];	/* per stage, a list */
	struct qcow2_waitlist cur;	/* flushes this cycle completes */
	struct qcow2_waitlist next;	/* flushes for the next cycle */
	struct qcow2_wait park;		/* the cycle waiting for a refcount block */
	bool rt_switch;			/* the header's table pointer changes */
	uint64_t rt_offset;		/* what this cycle writes into the header */
	uint32_t rt_clusters;
	struct disk_req flush;
};

/* == The image == */

/* What the format did, for tests and benchmarks (qcow2_get_stats()). */
struct qcow2_stats {
	uint64_t allocs;		/* data clusters allocated */
	uint64_t cows;			/* copy-on-write fills */
	uint64_t cycles;		/* write-back cycles completed */
	uint64_t meta_writes;		/* metadata writes issued */
	uint64_t frees;			/* clusters whose refcount went down */
	uint64_t rt_grown;		/* times the refcount table grew */
	uint64_t l2_loads, rb_loads;	/* tables read into the caches */
};

struct qcow2_req;
struct qcow2_run;

struct qcow2 {
	struct disk *d;
	struct qcow2_header h;
	unsigned cluster_bits;
	uint64_t cluster_size;
	unsigned l2_bits;		/* log2 of the entries in an L2 table */
	unsigned rb_bits;		/* log2 of the entries in a refcount block */
	unsigned refcount_bits;
	uint64_t refcount_max;
	unsigned csize_shift;		/* compressed descriptor: x (see map.c) */
	uint64_t csize_mask;
	uint64_t coffset_mask;
	bool writable;
	bool corrupt;			/* found bad metadata: no more writes */
	bool has_backing;

	/* The L1 table, host order, l1_alloc entries (l1_size rounded up to a sector). */
	uint64_t *l1;
	uint64_t l1_alloc;
	uint64_t l1_dirty_lo, l1_dirty_hi;	/* entries [lo, hi) changed */

	/* The refcount table, host order. */
	uint64_t *rt;
	uint64_t rt_entries;
	uint64_t rt_offset;		/* where the live table is (maybe not yet the header's) */
	uint32_t rt_clusters;
	uint64_t rt_disk_offset;	/* what the header on disk says */
	uint32_t rt_disk_clusters;
	uint64_t rt_dirty_lo, rt_dirty_hi;
	bool rt_moved;			/* rt is new: written whole, then the header */
	struct qcow2_freelist rt_retired;	/* old refcount tables */

	uint64_t alloc_end;		/* next cluster to allocate */

	uint8_t *hdr_sector;		/* the header's first 512 bytes, as on disk */
	uint8_t *zero_buf;		/* one cluster of zeros, never written to */

	struct qcow2_tcache l2c;	/* L2 tables */
	struct qcow2_tcache rbc;	/* refcount blocks */

	struct qcow2_freelist frees_pending;	/* L2 change not yet written */
	struct qcow2_freelist frees_inflight;	/* in the cycle now running */
	struct qcow2_freelist frees_ready;	/* durable: decrement next cycle */

	struct qcow2_cycle cycle;
	struct ioloop_timer *age_timer;
	bool kick_wanted, kick_force;	/* see qcow2_meta_kick_later() */

	struct qcow2_run *runs;		/* allocating writes in flight */
	struct qcow2_req *done_head, **done_tail;
	struct disk_req *oom_head;	/* taken without memory for a note */
	struct ioloop_bh done_bh;
	unsigned nreqs;			/* guest requests taken, not completed */

	struct disk *backing;
	struct qcow2_stats stats;
};

/* == qcow2.c == */
/* The statistics of a qcow2 disk: 0, or -EINVAL for another format. */
int qcow2_get_stats(const struct disk *d, struct qcow2_stats *out);
void qcow2_complete(struct qcow2_req *r);
/* Marks the image corrupt (once, with a message): later writes fail with -EIO. */
int qcow2_set_corrupt(struct qcow2 *q, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/*
 * Is the guest's write cache off (cache=writethrough, or the guest turned
 * it off)?  Then an allocating write waits for its metadata to be durable.
 */
bool qcow2_write_through(const struct qcow2 *q);
/* Ends a batch: starts a cycle wished for, and what was staged (cache, backing). */
void qcow2_unplug_all(struct qcow2 *q);

/* == qcow2-header.c == */
/*
 * The fixed header fields from the first `len` bytes of the file (at least
 * enough for the header; more is ignored): magic, version, cluster size,
 * header length.  0 or -errno with the reason in err.
 */
int qcow2_header_parse(struct qcow2_header *h, const uint8_t *buf, size_t len,
		       char *err, size_t errlen);
/*
 * The rest, given the first cluster (`len` = min(cluster, file) bytes):
 * extensions, feature bits, the backing file name, the tables' places.
 */
int qcow2_header_check(struct qcow2_header *h, const uint8_t *cluster,
		       size_t len, uint64_t file_size, bool writable, char *err,
		       size_t errlen);
int qcow2_pread(int fd, void *buf, size_t len, uint64_t off);
int qcow2_read_header(struct qcow2 *q, char *err, size_t errlen);
int qcow2_read_tables(struct qcow2 *q, char *err, size_t errlen);
int qcow2_find_alloc_end(struct qcow2 *q, char *err, size_t errlen);
int qcow2_clear_autoclear(struct qcow2 *q, char *err, size_t errlen);
/* The header's first sector with the refcount table pointer given. */
void qcow2_header_set_rt(uint8_t *sector, uint64_t rt_offset, uint32_t rt_clusters);

/* == qcow2-map.c == */
enum qcow2_kind {
	QCOW2_UNALLOC,		/* read from the backing file, or zeros */
	QCOW2_ZERO,		/* reads zeros, no host cluster */
	QCOW2_ZERO_ALLOC,	/* reads zeros, host cluster kept (preallocated) */
	QCOW2_NORMAL,		/* data at host */
	QCOW2_COMPRESSED,
};

struct qcow2_map {
	enum qcow2_kind kind;
	uint64_t entry;		/* the raw L2 entry */
	uint64_t host;		/* NORMAL, ZERO_ALLOC: cluster; COMPRESSED: byte offset */
	bool copied;		/* refcount exactly one: writable in place */
	uint64_t csize;		/* COMPRESSED: bytes from host to the end of its last sector */
};

/* Is [off, off + len) a place for a cluster of metadata or data? */
bool qcow2_host_range_ok(const struct qcow2 *q, uint64_t off, uint64_t len);
int qcow2_decode_l2(struct qcow2 *q, uint64_t entry, struct qcow2_map *m);
/*
 * The L2 table for guest offset `g`: 0 with *t (NULL when the L1 entry is
 * unallocated) and *idx; -EAGAIN parked on `w`; -EIO.
 */
int qcow2_l2_get(struct qcow2 *q, uint64_t g, struct qcow2_wait *w,
		 struct qcow2_table **t, uint64_t *idx);
/* The L1 entry for `g` as a checked L2 table offset (0: unallocated), or -EIO. */
int qcow2_l1_lookup(struct qcow2 *q, uint64_t g, uint64_t *l2_off);
void qcow2_l1_set(struct qcow2 *q, uint64_t l1_index, uint64_t entry);
/* Clusters of one L2 table from `g` on, up to `len` bytes of guest range. */
uint64_t qcow2_clusters_in_table(const struct qcow2 *q, uint64_t g, uint64_t len);

static inline uint64_t qcow2_l1_index(const struct qcow2 *q, uint64_t g)
{
	return g >> (q->cluster_bits + q->l2_bits);
}

static inline uint64_t qcow2_l2_index(const struct qcow2 *q, uint64_t g)
{
	return (g >> q->cluster_bits) & ((1ull << q->l2_bits) - 1);
}

static inline uint64_t qcow2_cluster_off(const struct qcow2 *q, uint64_t g)
{
	return g & (q->cluster_size - 1);
}

/* == qcow2-alloc.c == */
uint64_t qcow2_rb_get(const struct qcow2 *q, const uint8_t *block, uint64_t i);
void qcow2_rb_set(const struct qcow2 *q, uint8_t *block, uint64_t i, uint64_t v);
/*
 * Allocates up to `n` contiguous new clusters at the end of the image,
 * refcount 1: 0 with *host and *got (>= 1); -EAGAIN parked on `w`; -errno.
 */
int qcow2_alloc_clusters(struct qcow2 *q, uint64_t n, struct qcow2_wait *w,
			 uint64_t *host, uint64_t *got);
/* Frees what an L2 entry referenced, once the change is durable. */
void qcow2_free_entry(struct qcow2 *q, const struct qcow2_map *m);
void qcow2_free_add(struct qcow2_freelist *l, uint64_t off, uint64_t n,
		    uint64_t cluster_size);
bool qcow2_freelist_empty(const struct qcow2_freelist *l);
void qcow2_freelist_move(struct qcow2_freelist *to, struct qcow2_freelist *from,
			 uint64_t cluster_size);
void qcow2_freelist_fini(struct qcow2_freelist *l);
/*
 * Decrements refcounts for frees_ready, punching holes for clusters that
 * reach zero: 0 when done, -EAGAIN parked on `w`, -ENOSPC when no slot.
 */
int qcow2_apply_frees(struct qcow2 *q, struct qcow2_wait *w);

/* == qcow2-meta.c == */
int qcow2_cycle_init(struct qcow2 *q);
/* Completes `w` after a cycle that starts from now has made everything durable. */
void qcow2_sync_wait(struct qcow2 *q, struct qcow2_wait *w);
/*
 * Starts a background cycle if metadata passed its bounds, flushes wait
 * (or `force` and anything is dirty).  Never in the middle of a change to
 * the metadata: there, qcow2_meta_kick_later() notes the wish, and
 * qcow2_meta_run_kicks() (from qcow2_unplug_all(), at the end of every
 * submission batch and callback) acts on it.
 */
void qcow2_meta_kick(struct qcow2 *q, bool force);
void qcow2_meta_kick_later(struct qcow2 *q, bool force);
void qcow2_meta_run_kicks(struct qcow2 *q);
/* Some metadata is dirty now: arms the age timer, checks the bounds. */
void qcow2_meta_dirtied(struct qcow2 *q);
bool qcow2_meta_dirty(const struct qcow2 *q);
void qcow2_cycle_fini(struct qcow2 *q);

/* == qcow2-io.c == */

/* A guest iovec and a position in it. */
struct qcow2_iovcur {
	const struct iovec *iov;
	unsigned cnt;
	unsigned idx;
	size_t off;
};

struct qcow2_req {
	struct qcow2 *q;
	struct disk_req *req;
	uint64_t pos;			/* bytes of req handed on so far */
	struct qcow2_iovcur cur;	/* the guest iovec at pos */
	unsigned inflight;		/* sub-requests in flight */
	int err;
	bool parked;
	bool needs_sync;		/* write-through: wait for the metadata */
	struct qcow2_wait wait;
	struct qcow2_req *next;		/* the completion list */
};

/* Starts `req` with `r` (the format's note for it, zeroed here). */
void qcow2_req_start(struct qcow2 *q, struct disk_req *req, struct qcow2_req *r);
void qcow2_sub_done(struct qcow2_req *r, int ret);
unsigned qcow2_iovcur_count(const struct qcow2_iovcur *c, uint64_t len);
void qcow2_iovcur_take(struct qcow2_iovcur *c, uint64_t len, struct iovec *out);
void qcow2_iovcur_zero(struct qcow2_iovcur *c, uint64_t len);
void qcow2_iovcur_copy(struct qcow2_iovcur *c, uint8_t *buf, uint64_t len);
/* The data of a write: the guest's iovec, or zeros (WRITE_ZEROES). */
unsigned qcow2_src_count(const struct qcow2_req *r, uint64_t len, bool zeros);
void qcow2_src_take(struct qcow2_req *r, uint64_t len, bool zeros, struct iovec *out);
/* The L2 entry idx of t (NULL: an unallocated L1 entry), decoded. */
int qcow2_map_at(struct qcow2 *q, const struct qcow2_table *t, uint64_t idx,
		 struct qcow2_map *m);
void qcow2_iov_from_buf(const struct iovec *iov, unsigned cnt, const uint8_t *buf,
			uint64_t len);
/* Does guest cluster at `g` (kind m) read as zeros without any I/O? */
bool qcow2_reads_zero(const struct qcow2 *q, uint64_t g, const struct qcow2_map *m);

/* == qcow2-write.c == */
/*
 * An allocating write of [r->pos, r->pos + len) in L2 table t (len within
 * the table; the first cluster needs a new host cluster): 0 when issued
 * (r->pos advanced), -EAGAIN parked, -errno.  `zeros`: the data is zeros
 * (WRITE_ZEROES), not the guest's iovec.
 */
int qcow2_write_alloc(struct qcow2_req *r, struct qcow2_table *t, uint64_t len,
		      bool zeros);
/* An allocating write in flight over a cluster of [g, g + len)? */
struct qcow2_run *qcow2_run_find(struct qcow2 *q, uint64_t g, uint64_t len);
/* Parks `w` until that write has updated its L2 entries. */
void qcow2_run_wait(struct qcow2_run *run, struct qcow2_wait *w);

/* == qcow2-compress.c == */
struct qcow2_comp {
	struct qcow2 *q;
	uint64_t host;			/* first byte of the compressed data */
	uint64_t csize;
	uint8_t *in;
	size_t in_len;
	size_t in_skip;			/* host - the sector it starts in */
	uint8_t *out;			/* one cluster */
	struct disk_req io;
	struct iovec iov;
	struct pool_job job;
	int ret;
	void (*done)(struct qcow2_comp *c, int ret);
	void *opaque;
};

/* Reads and decompresses the cluster m describes into c->out; done() later, or -ENOMEM now. */
int qcow2_comp_start(struct qcow2 *q, struct qcow2_comp *c,
		      const struct qcow2_map *m);
void qcow2_comp_fini(struct qcow2_comp *c);
/* Decompresses `in` into exactly `out_len` bytes: 0 or -EIO. */
int qcow2_decompress(int type, const uint8_t *in, size_t in_len, uint8_t *out,
		     size_t out_len);

#endif
