/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * virtio/virtqueue.h - the device side of a split virtqueue (virtio 1.2
 * section 2.7): descriptor table, available ring, used ring, indirect
 * descriptors (2.7.5.3), and optional VIRTIO_F_EVENT_IDX (2.7.7, 2.7.10).
 *
 * Everything the driver wrote is untrusted.  Ring areas are mapped once,
 * when the queue is enabled, through gmem_ptr() (so they lie wholly in
 * RAM); every descriptor buffer and indirect table goes through gmem_ptr()
 * when a chain is popped.  A descriptor is copied out of guest memory once
 * and only that copy is used, so a driver rewriting it concurrently cannot
 * make a checked value differ from a used one.  A bad ring (an available
 * index more than queue-size ahead, a head or next index out of range, a
 * loop, a buffer outside RAM, a readable buffer after a writable one, an
 * indirect table inside an indirect table or with NEXT set, a chain longer
 * than VIRTQ_MAX_SEGS) makes virtq_pop() fail with -EIO: the queue is then
 * "broken" until reset and the fail() hook tells the transport, which sets
 * DEVICE_NEEDS_RESET (2.1.2).
 *
 * Memory ordering: the driver runs concurrently on vCPUs.  virtq_pop()
 * reads avail->idx with acquire semantics before the ring entries;
 * virtq_push() publishes the used entry before used->idx (release);
 * virtq_should_notify() issues a full barrier before reading the driver's
 * suppression fields (2.7.7.2 / 2.7.10).
 *
 * Threads: not thread-safe; the caller serialises every call on a queue
 * (the device lock).  Host byte order must be little-endian (x86).
 */
#ifndef VMAIN_MONITOR_VIRTIO_VIRTQUEUE_H
#define VMAIN_MONITOR_VIRTIO_VIRTQUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "machine/gmem.h"

#define VIRTQ_MAX_SIZE		32768	/* 2.7: queue size <= 32768, power of 2 */
#define VIRTQ_MAX_SEGS		256	/* this model's chain limit */

/* Descriptor flags (2.7.5). */
#define VIRTQ_DESC_F_NEXT	1
#define VIRTQ_DESC_F_WRITE	2
#define VIRTQ_DESC_F_INDIRECT	4

#define VIRTQ_AVAIL_F_NO_INTERRUPT 1	/* 2.7.6 */
#define VIRTQ_USED_F_NO_NOTIFY	1	/* 2.7.8 */

struct virtq;

/* Called once when a queue breaks; `why` names the violation. */
typedef void (*virtq_fail_fn)(void *opaque, struct virtq *vq, const char *why);

struct virtq {
	const struct gmem *mem;
	uint16_t size;		/* entries; set before virtq_enable() */
	bool enabled;
	bool broken;
	bool event_idx;		/* VIRTIO_F_EVENT_IDX negotiated */
	bool indirect;		/* VIRTIO_F_INDIRECT_DESC negotiated */
	uint64_t desc_gpa, avail_gpa, used_gpa;	/* set before virtq_enable() */

	/* Host mappings of the three areas, valid while enabled. */
	uint8_t *desc;		/* 16 * size */
	uint8_t *avail;		/* 6 + 2 * size */
	uint8_t *used;		/* 6 + 8 * size */

	uint16_t last_avail;	/* next available-ring slot to consume */
	uint16_t used_idx;	/* our copy of used->idx */
	uint16_t signalled_used;	/* used_idx at the last notification */
	bool signalled_valid;

	virtq_fail_fn fail;
	void *fail_opaque;
};

/* One buffer of a chain: `len` bytes at host `host` (guest `gpa`). */
struct virtq_seg {
	uint8_t *host;
	uint64_t gpa;
	uint32_t len;
};

/*
 * A popped chain.  seg[0 .. nr_out) are device-readable ("out", driver to
 * device) and seg[nr_out .. nr_out + nr_in) device-writable ("in").
 */
struct virtq_elem {
	uint16_t head;		/* id for virtq_push() */
	unsigned nr_out, nr_in;
	uint64_t out_len, in_len;
	struct virtq_seg seg[VIRTQ_MAX_SEGS];
};

/* Power-on state: disabled, no addresses, size 0. */
void virtq_init(struct virtq *vq, const struct gmem *mem, virtq_fail_fn fail,
		void *fail_opaque);

/* Back to the virtq_init() state (keeps mem and the fail hook). */
void virtq_reset(struct virtq *vq);

/*
 * Validates size (power of two, 1..VIRTQ_MAX_SIZE), the area alignments of
 * 2.7 (descriptors 16, available 2, used 4) and that each area is RAM
 * (gmem_ptr()), then maps them and starts at index 0.  `event_idx` and
 * `indirect` are the negotiated features.  Returns 0 or -EINVAL (queue
 * stays disabled).
 */
int virtq_enable(struct virtq *vq, bool event_idx, bool indirect);

/*
 * Takes the next available chain into `e`.  Returns 1 (got one), 0 (ring
 * empty, or queue disabled), or -EIO (bad chain or broken queue: see
 * above; nothing was consumed and the queue is now broken).
 *
 * Notifications with EVENT_IDX (2.7.10): only a look that finds the ring
 * empty (here or in virtq_has_avail()) asks the driver for one, at the
 * next index; taking a chain does not move avail_event.  So a device
 * that stops taking chains while some are left must come back for them
 * by itself (a bottom half it schedules, a back end's "ready again"),
 * never wait for a notification: none comes for chains added while it
 * was taking them.
 */
int virtq_pop(struct virtq *vq, struct virtq_elem *e);

/* Gives back the chain virtq_pop() returned last (it is popped again). */
void virtq_unpop(struct virtq *vq);

/*
 * Puts chain `head` on the used ring with `written` bytes written into
 * its writable buffers (2.7.8).  Returns 0, or -EIO if the queue is
 * broken/disabled.
 */
int virtq_push(struct virtq *vq, uint16_t head, uint32_t written);

/*
 * Puts `n` chains on the used ring as one group: every entry first, then
 * a single used->idx update, so the driver never sees part of the group
 * (virtio-net's merged receive buffers, 5.1.6.4: a packet's num_buffers
 * entries).  Returns 0, or -EIO (nothing pushed) if the queue is
 * broken/disabled, an id is out of range or n exceeds the queue size.
 */
int virtq_push_many(struct virtq *vq, const uint16_t *heads,
		    const uint32_t *written, unsigned n);

/*
 * After one or more pushes: should the device send a used-buffer
 * notification?  Honours VIRTQ_AVAIL_F_NO_INTERRUPT (2.7.7) or, with
 * EVENT_IDX, used_event (2.7.10).  Records the notification as sent when
 * it returns true.
 */
bool virtq_should_notify(struct virtq *vq);

/*
 * Is anything available (without consuming it)?  With EVENT_IDX, "no"
 * asks for a notification at the next index, as an empty virtq_pop().
 */
bool virtq_has_avail(struct virtq *vq);

/*
 * Copies to/from an element's writable/readable buffers starting `off`
 * bytes into them.  Return the bytes copied.
 */
size_t virtq_elem_to_guest(const struct virtq_elem *e, uint64_t off,
			   const void *buf, size_t len);
size_t virtq_elem_from_guest(const struct virtq_elem *e, uint64_t off,
			     void *buf, size_t len);

struct state_writer;
struct state_reader;

/*
 * Save and restore (state/stream.h): the queue's fields (size, ring
 * addresses, negotiated features, ring positions: last_avail, used_idx,
 * the EVENT_IDX notification record, broken) into the section the
 * transport has open.  No host pointers: virtq_load() maps an enabled
 * queue's rings again through gmem_ptr() and keeps the ring positions
 * (unlike virtq_enable(), which starts them at 0).  It changes `vq` only
 * when every field was read and is valid; otherwise it returns the
 * reader's error (-EINVAL for a ring outside RAM).  Chains popped and not
 * pushed are not state: the device drains them before saving.
 */
void virtq_save(const struct virtq *vq, struct state_writer *w);
int virtq_load(struct virtq *vq, struct state_reader *r);

#endif
