/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * devices/virtio-blk.h - virtio block device (device type 2, virtio 1.2
 * section 5.2) on the virtio-pci transport, over a disk (disk/disk.h).
 *
 * Features offered (5.2.3): SIZE_MAX, SEG_MAX, BLK_SIZE (512-byte logical
 * blocks), TOPOLOGY (4 KiB physical), FLUSH, CONFIG_WCE, MQ (one request
 * queue per vCPU by default, up to VIRTIO_BLK_MAX_QUEUES), RO for a
 * read-only disk, and DISCARD and WRITE_ZEROES when the disk can
 * deallocate.  Requests (5.2.6): IN, OUT, FLUSH, GET_ID (the serial),
 * DISCARD, WRITE_ZEROES; anything else is VIRTIO_BLK_S_UNSUPP, a failed
 * or out-of-range request VIRTIO_BLK_S_IOERR.  A chain without a
 * 16-byte header or a status byte breaks the queue (NEEDS_RESET).
 *
 * The write-cache switch: the `writeback` configuration byte (5.2.4,
 * with CONFIG_WCE) starts as 1 unless the disk is cache=writethrough
 * (at every device reset and every boot: the disk outlives the guest);
 * the driver writing 0 makes every later write durable before it
 * completes (disk_set_writeback()), and so does a driver that did not
 * negotiate FLUSH (5.2.5).
 *
 * Threads (DESIGN.md "The monitor's I/O model").  The transport's entry
 * points run on vCPU threads with the device lock held (ops.lock: the
 * machine's lock).  A queue notification only schedules that queue's
 * bottom half on the I/O loop; there, with the device lock held, the
 * requests are taken off the ring and checked; then, without the lock,
 * they go to the disk.  Completions come back on the I/O thread, which
 * takes the device lock to write the status, put the chain on the used
 * ring and interrupt the guest.  No host I/O ever runs with the device
 * lock held, and nothing waits for the I/O thread with it held: a driver
 * reset with requests in flight finishes when the last one completes
 * (virtio_pci_reset_done(), 2.4.1).
 */
#ifndef VMAIN_MONITOR_DEVICES_VIRTIO_BLK_H
#define VMAIN_MONITOR_DEVICES_VIRTIO_BLK_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "disk/disk.h"
#include "io/ioloop.h"
#include "virtio/virtio-pci.h"

#define VIRTIO_BLK_MAX_QUEUES		VIRTIO_PCI_MAX_QUEUES
#define VIRTIO_BLK_QUEUE_SIZE		256
#define VIRTIO_PCI_CLASS_STORAGE	0x018000	/* mass storage, other */

/* Feature bits (5.2.3). */
#define VIRTIO_BLK_F_SIZE_MAX		1
#define VIRTIO_BLK_F_SEG_MAX		2
#define VIRTIO_BLK_F_RO			5
#define VIRTIO_BLK_F_BLK_SIZE		6
#define VIRTIO_BLK_F_FLUSH		9
#define VIRTIO_BLK_F_TOPOLOGY		10
#define VIRTIO_BLK_F_CONFIG_WCE		11
#define VIRTIO_BLK_F_MQ			12
#define VIRTIO_BLK_F_DISCARD		13
#define VIRTIO_BLK_F_WRITE_ZEROES	14

/* Request types and status (5.2.6). */
#define VIRTIO_BLK_T_IN			0
#define VIRTIO_BLK_T_OUT		1
#define VIRTIO_BLK_T_FLUSH		4
#define VIRTIO_BLK_T_GET_ID		8
#define VIRTIO_BLK_T_DISCARD		11
#define VIRTIO_BLK_T_WRITE_ZEROES	13
#define VIRTIO_BLK_S_OK			0
#define VIRTIO_BLK_S_IOERR		1
#define VIRTIO_BLK_S_UNSUPP		2
#define VIRTIO_BLK_DWZ_F_UNMAP		1u	/* discard/write-zeroes flags */

/* Limits this model offers (configuration fields). */
#define VIRTIO_BLK_SIZE_MAX		(1u << 20)	/* bytes in one segment */
#define VIRTIO_BLK_SEG_MAX		(VIRTQ_MAX_SEGS - 2)	/* less header and status */
#define VIRTIO_BLK_MAX_DWZ_SECTORS	(1u << 22)	/* 2 GiB per discard segment */
#define VIRTIO_BLK_MAX_DWZ_SEG		32
#define VIRTIO_BLK_CFG_LEN		60	/* up to write_zeroes_may_unmap + pad */

struct virtio_blk_ops {
	/* The device lock (the machine's): serialises the transport and the rings. */
	void (*lock)(void *opaque);
	void (*unlock)(void *opaque);
};

struct virtio_blk;
struct virtio_blk_req;

struct virtio_blk_queue {
	struct virtio_blk *blk;
	unsigned idx;
	struct ioloop_bh kick;		/* takes requests off the ring */
	struct ioloop_timer *retry;	/* kicks again after a failed allocation */
	bool notify;			/* I/O thread: used entries not yet signalled */
};

struct virtio_blk {
	struct virtio_pci vp;		/* first */
	struct disk *disk;
	struct ioloop *loop;
	struct virtio_blk_ops ops;
	void *opaque;
	uint16_t nr_queues;
	/* Under the device lock. */
	uint8_t writeback;		/* the WCE configuration byte */
	bool wce_default;		/* from the disk's cache= */
	bool stopped;			/* virtio_blk_stop(): take no more requests */
	bool resetting;			/* reset() returned -EINPROGRESS */
	atomic_uint inflight;		/* requests taken and not completed */
	struct virtq_elem elem;		/* scratch, under the lock */
	struct virtio_blk_queue q[VIRTIO_BLK_MAX_QUEUES];
	/* I/O thread only. */
	struct virtio_blk_req *done_head, **done_tail;
	struct ioloop_bh done_bh;
	struct ioloop_bh wce_bh;
	bool wce_applied;		/* what the disk was last told */
	/* virtio_blk_stop()'s wait for inflight == 0. */
	pthread_mutex_t drain_lock;
	pthread_cond_t drained;
	/* Counters (I/O thread). */
	uint64_t nr_reqs, nr_errors;
};

/*
 * Builds the device for `disk` with `nr_queues` request queues
 * (1..VIRTIO_BLK_MAX_QUEUES), its I/O on `loop`, and adds it to `bus` at
 * `slot` (-1: first free).  Returns the devfn or -errno.
 */
int virtio_blk_init(struct virtio_blk *b, struct pci_bus *bus, int slot,
		    const struct gmem *mem, struct disk *disk, struct ioloop *loop,
		    unsigned nr_queues, const struct virtio_blk_ops *ops,
		    void *opaque);

/*
 * Takes no more requests and waits until every request taken has
 * completed (without the device lock held; the I/O loop must be running
 * or be turned by this thread).  Then the device may be freed with
 * virtio_blk_destroy(); the disk stays open.
 */
void virtio_blk_stop(struct virtio_blk *b);
void virtio_blk_destroy(struct virtio_blk *b);

struct state_writer;
struct state_reader;

/*
 * Save and restore (state/stream.h): the transport (virtio_pci_save())
 * then section "virtio-blk" / devfn: the disk's size (a state for another
 * size is refused), the number of queues and the guest's `writeback`
 * byte.  In-flight requests are not state: virtio_blk_save() refuses
 * (-EBUSY) while any is on the host or a reset waits for one; call
 * virtio_blk_stop() first.  virtio_blk_load() (device lock held, device
 * idle) changes nothing unless everything loads; the disk is then switched
 * to the restored cache mode, and every queue takes the requests the
 * driver made available before the save, on the I/O loop.
 */
int virtio_blk_save(const struct virtio_blk *b, struct state_writer *w);
int virtio_blk_load(struct virtio_blk *b, struct state_reader *r);

#endif
