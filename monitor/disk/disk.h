/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * disk/disk.h - a virtual disk as a device model sees it: open an image
 * (raw or qcow2, probed or named), submit block requests, close.
 *
 * The stack (DESIGN.md "Disk stack"): device model -> this interface ->
 * image format (disk/raw.c, disk/qcow2.c: a struct disk_format_ops) ->
 * write-coalescing cache (disk/cache.c) -> io_uring engine (disk/uring.c)
 * -> file.  The disk layer knows no device model.
 *
 * An image file is opened once with an exclusive flock (shared for a
 * read-only disk), so two VMs can never write one image; the lock dies
 * with the process.  A block device (an LVM volume, a partition) works
 * like a file: its size from BLKGETSIZE64.
 *
 * Threads: disk_open() and disk_close() on any thread but the I/O loop's
 * (they turn or wait for the loop); everything else on the I/O thread.
 */
#ifndef VMAIN_MONITOR_DISK_DISK_H
#define VMAIN_MONITOR_DISK_DISK_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "disk/cache.h"
#include "disk/req.h"
#include "disk/uring.h"
#include "io/ioloop.h"
#include "io/pool.h"

#define DISK_SERIAL_MAX		20	/* virtio-blk GET_ID: 20 bytes */
#define DISK_MAX_BACKING_DEPTH	16	/* backing-file chain length */

enum disk_format {
	DISK_FORMAT_AUTO,	/* probe: a qcow2 header is qcow2, anything else raw */
	DISK_FORMAT_RAW,
	DISK_FORMAT_QCOW2,
};

/*
 * The controller a disk sits behind (`--disk ...,if=`; `--cdrom` is an
 * ATAPI drive): the machine's business, carried here from the option to
 * the platform (machine/platform.c).  The disk stack ignores it.
 */
enum disk_bus {
	DISK_BUS_VIRTIO,	/* virtio-blk (the default) */
	DISK_BUS_AHCI,		/* a hard disk on the ICH9 AHCI controller */
	DISK_BUS_IDE,		/* a hard disk on the PIIX3 IDE controller */
	DISK_BUS_CDROM,		/* a CD/DVD-ROM (an ISO) on AHCI or IDE */
};

struct disk_options {
	const char *path;
	enum disk_format format;
	enum wcache_mode cache;		/* WRITEBACK, WRITETHROUGH or DIRECT (cache=none) */
	bool readonly;
	char serial[DISK_SERIAL_MAX + 1];
	uint64_t max_dirty;		/* 0: WCACHE_DEFAULT_MAX_DIRTY */
	int64_t max_age_ns;		/* 0: WCACHE_DEFAULT_MAX_AGE_NS */
	unsigned depth;			/* backing-chain depth of this open (0: the top image) */
	enum disk_bus bus;		/* `if=` */
	/*
	 * How long a busy lock is waited for (0: not at all).  A VM's start
	 * waits DISK_LOCK_WAIT_MS: a process killed with writes in flight
	 * holds its lock a little past its death (disk.c, lock_file()).
	 */
	unsigned lock_wait_ms;
};

#define DISK_LOCK_WAIT_MS	1000

/* One open host file: the image itself, or a backing file. */
struct disk_file {
	int fd;
	bool block_device;
	uint64_t size;			/* bytes at open */
	struct uring_engine *engine;
	struct wcache *cache;
};

struct disk;
struct disk_reject;

/* An image format.  Entry points other than probe/open run on the I/O thread. */
struct disk_format_ops {
	const char *name;
	/* Is this (the first `len` bytes of the file) this format? */
	bool (*probe)(const uint8_t *buf, size_t len);
	/*
	 * Opens the format over d->file (fd, engine and cache exist; reads
	 * at open may use pread on d->file.fd).  Sets d->size (guest bytes,
	 * a multiple of DISK_SECTOR), d->can_discard, d->priv.  -errno with
	 * a one-line reason in err.
	 */
	int (*open)(struct disk *d, const struct disk_options *o, char *err,
		    size_t errlen);
	/* A request inside [0, d->size), checked by disk_submit(). */
	void (*submit)(struct disk *d, struct disk_req *req);
	/* End of a batch of submissions (optional). */
	void (*unplug)(struct disk *d);
	/* Requests taken and not completed. */
	unsigned (*pending)(struct disk *d);
	/* The guest turned its write cache on or off (optional; after the cache's switch). */
	void (*set_writeback)(struct disk *d, bool on);
	/* Writes back metadata, frees d->priv; nothing is pending. */
	void (*close)(struct disk *d);
};

struct disk {
	const struct disk_format_ops *ops;
	struct disk_file file;
	struct ioloop *loop;
	struct pool *pool;
	char *path;
	uint64_t size;			/* guest-visible bytes */
	bool readonly;
	bool can_discard;		/* DISCARD/WRITE_ZEROES deallocate */
	/*
	 * The guest-visible write cache is on: a completed write is durable
	 * only after a FLUSH.  Starts on unless cache=writethrough.
	 */
	bool writeback;
	char serial[DISK_SERIAL_MAX + 1];
	enum disk_bus bus;		/* disk_options.bus */
	void *priv;			/* the format's */
	struct wcache_config cache_cfg;
	/* disk.c's: requests disk_submit() refused, completed from a bottom half. */
	pthread_mutex_t reject_lock;
	struct disk_reject *rejects, **rejects_tail;	/* FIFO */
	struct ioloop_bh reject_bh;
};

extern const struct disk_format_ops disk_raw_ops;
extern const struct disk_format_ops disk_qcow2_ops;

/*
 * Opens an image: the file (O_CLOEXEC, O_DIRECT for cache=none, read-only
 * when o->readonly), its flock (LOCK_EX or LOCK_SH; a lock still busy
 * after o->lock_wait_ms is -EBUSY "in use by another process"), its size, its
 * engine and cache on loop `l`, then the format (probed for
 * DISK_FORMAT_AUTO; a named format that does not match the header is
 * -EINVAL).  -errno with a one-line reason in err (no path prefix).
 */
int disk_open(struct disk **out, const struct disk_options *o, struct ioloop *l,
	      struct pool *p, char *err, size_t errlen);
/*
 * The fields disk.c owns, for a struct disk made without disk_open() (a
 * test's in-memory disk with its own ops; `d` zeroed, then ops, size and
 * the rest set by the caller).  disk_fini() undoes it.
 */
void disk_init(struct disk *d, struct ioloop *l);
void disk_fini(struct disk *d);

/* Waits for pending requests, writes back and syncs, unlocks, closes. */
void disk_close(struct disk *d);

/*
 * A FLUSH through the format, waited for: everything written so far, data
 * and metadata, is in the file and synced (nothing on a read-only disk).
 * For a caller other than the I/O thread that submits nothing meanwhile
 * (a save with the device stopped).  0 or -errno.
 */
int disk_flush(struct disk *d);

/*
 * What a saved VM keeps of each image to tell, at the restore, that it is
 * still the image the guest had (machine/snapshot.h): the file's size now
 * and a CRC-32 (zlib's) of its first DISK_IDENTITY_HEAD bytes, or of all
 * of it when shorter.  For qcow2 that is the header with the backing
 * file's name and the header extensions (another image, a resize, a
 * snapshot, an amend or a rebase by qemu-img changes it); for raw it is the guest's
 * partition table and boot sector.  A change elsewhere in a raw image that
 * keeps its size goes unseen.  Read with pread() at offset 0 after
 * disk_flush(); 0 or -errno.
 */
#define DISK_IDENTITY_HEAD	4096
struct disk_identity {
	uint64_t file_size;
	uint32_t head_len;		/* bytes the CRC covers */
	uint32_t head_crc;
};
int disk_identity(struct disk *d, struct disk_identity *id);

/*
 * Checks the request (aligned, inside the disk, not a write to a
 * read-only disk, at most DISK_MAX_IOV segments) and hands it to the
 * format; a bad one completes with -EINVAL, -EROFS or -EOPNOTSUPP.
 */
void disk_submit(struct disk *d, struct disk_req *req);
void disk_unplug(struct disk *d);
unsigned disk_pending(struct disk *d);
/* The guest's write-cache switch (see wcache_set_writeback()). */
void disk_set_writeback(struct disk *d, bool on);
bool disk_writeback(const struct disk *d);

/* "raw", "qcow2", "auto" -> enum; -EINVAL otherwise. */
int disk_format_parse(const char *s, enum disk_format *out);
/* "writeback", "writethrough", "none" -> enum; -EINVAL otherwise. */
int disk_cache_parse(const char *s, enum wcache_mode *out);

#endif
