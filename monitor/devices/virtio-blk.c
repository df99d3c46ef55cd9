// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * devices/virtio-blk.c - virtio block device (virtio 1.2 5.2; see
 * virtio-blk.h for the features and the threading).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "le.h"
#include "devices/virtio-blk.h"
#include "state/stream.h"

#define HDR_LEN		16	/* struct virtio_blk_req header: le32 type, reserved; le64 sector */
#define DWZ_SEG_LEN	16	/* le64 sector, le32 num_sectors, le32 flags */

/* One request taken off a ring. */
struct virtio_blk_req {
	struct virtio_blk *blk;
	struct virtio_blk_req *next;
	uint16_t queue, head;
	uint32_t type;
	uint8_t *status;		/* the chain's last writable byte */
	uint8_t code;			/* VIRTIO_BLK_S_* once known */
	uint32_t written;		/* used length (2.7.8) */
	unsigned pending;		/* disk requests not yet completed */
	int err;
	unsigned nr_dreq;
	struct disk_req *dreq;		/* nr_dreq of them */
	unsigned iovcnt;
	struct iovec iov[];
};

static void lock(struct virtio_blk *b)
{
	b->ops.lock(b->opaque);
}

static void unlock(struct virtio_blk *b)
{
	b->ops.unlock(b->opaque);
}

/* --- configuration (5.2.4) --------------------------------------------- */

/*
 * The write cache the guest gets: its `writeback` byte, except that a
 * driver that did not take VIRTIO_BLK_F_FLUSH cannot flush, so it gets
 * write-through (5.2.5: writeback starts at 0 for it).
 */
static bool wce_wanted(struct virtio_blk *b)
{
	if (!(b->vp.status & VIRTIO_STATUS_FEATURES_OK))
		return b->writeback;
	return b->writeback && virtio_pci_has_feature(&b->vp, VIRTIO_BLK_F_FLUSH);
}

static void blk_cfg_read(void *opaque, uint32_t off, unsigned size, uint64_t *val)
{
	struct virtio_blk *b = opaque;
	uint8_t cfg[VIRTIO_BLK_CFG_LEN] = { 0 };
	unsigned i;

	put_le(cfg + 0, b->disk->size / DISK_SECTOR, 8);	/* capacity */
	put_le(cfg + 8, VIRTIO_BLK_SIZE_MAX, 4);
	put_le(cfg + 12, VIRTIO_BLK_SEG_MAX, 4);
	put_le(cfg + 20, DISK_SECTOR, 4);			/* blk_size */
	cfg[24] = 3;						/* physical_block_exp: 4 KiB */
	put_le(cfg + 26, 4096 / DISK_SECTOR, 2);		/* min_io_size */
	cfg[32] = wce_wanted(b);
	put_le(cfg + 34, b->nr_queues, 2);
	put_le(cfg + 36, VIRTIO_BLK_MAX_DWZ_SECTORS, 4);	/* max_discard_sectors */
	put_le(cfg + 40, VIRTIO_BLK_MAX_DWZ_SEG, 4);
	put_le(cfg + 44, 4096 / DISK_SECTOR, 4);		/* discard_sector_alignment */
	put_le(cfg + 48, VIRTIO_BLK_MAX_DWZ_SECTORS, 4);	/* max_write_zeroes_sectors */
	put_le(cfg + 52, VIRTIO_BLK_MAX_DWZ_SEG, 4);
	cfg[56] = b->disk->can_discard;				/* write_zeroes_may_unmap */
	*val = 0;
	for (i = 0; i < size && off + i < sizeof(cfg); i++)
		*val |= (uint64_t)cfg[off + i] << (8 * i);
}

static void blk_cfg_write(void *opaque, uint32_t off, unsigned size, uint64_t val)
{
	struct virtio_blk *b = opaque;

	/* 5.2.4: only `writeback` is writable, and only with CONFIG_WCE. */
	if (off != 32 || size != 1 ||
	    !virtio_pci_has_feature(&b->vp, VIRTIO_BLK_F_CONFIG_WCE))
		return;
	b->writeback = val ? 1 : 0;
	ioloop_bh_schedule(b->loop, &b->wce_bh);
}

/* I/O thread: the disk follows the switch (read with the lock held as `want`). */
static void apply_wce(struct virtio_blk *b, bool want)
{
	if (want != b->wce_applied) {
		b->wce_applied = want;
		disk_set_writeback(b->disk, want);
	}
}

static void wce_bh(void *opaque)
{
	struct virtio_blk *b = opaque;
	bool want;

	lock(b);
	want = wce_wanted(b);
	unlock(b);
	apply_wce(b, want);
}

/* --- completion --------------------------------------------------------- */

static uint8_t status_of(int err)
{
	if (!err)
		return VIRTIO_BLK_S_OK;
	return err == -EOPNOTSUPP ? VIRTIO_BLK_S_UNSUPP : VIRTIO_BLK_S_IOERR;
}

/* I/O thread: a request is finished; the done bottom half reports it. */
static void req_finish(struct virtio_blk_req *r)
{
	struct virtio_blk *b = r->blk;

	r->next = NULL;
	*b->done_tail = r;
	b->done_tail = &r->next;
	ioloop_bh_schedule(b->loop, &b->done_bh);
}

static void dreq_done(struct disk_req *dr, int ret)
{
	struct virtio_blk_req *r = dr->opaque;

	if (ret && !r->err)
		r->err = ret;
	if (--r->pending)
		return;
	r->code = status_of(r->err);
	if (r->type == VIRTIO_BLK_T_IN && r->code == VIRTIO_BLK_S_OK)
		r->written += (uint32_t)r->dreq[0].len;
	req_finish(r);
}

static void signal_drained(struct virtio_blk *b)
{
	pthread_mutex_lock(&b->drain_lock);
	pthread_cond_broadcast(&b->drained);
	pthread_mutex_unlock(&b->drain_lock);
}

/* With the lock: status byte, used ring; the interrupt once per queue. */
static void report(struct virtio_blk *b, struct virtio_blk_req *r)
{
	struct virtq *vq = virtio_pci_queue(&b->vp, r->queue);

	*r->status = r->code;
	if (r->code != VIRTIO_BLK_S_OK)
		b->nr_errors++;
	/* After a reset began or NEEDS_RESET the ring is not used (2.1.2, 2.4.1). */
	if (vq && !b->resetting && !virtq_push(vq, r->head, r->written))
		b->q[r->queue].notify = true;
}

static void done_bh(void *opaque)
{
	struct virtio_blk *b = opaque;
	struct virtio_blk_req *r = b->done_head, *next;
	unsigned i, n = 0;

	b->done_head = NULL;
	b->done_tail = &b->done_head;
	if (!r)
		return;
	lock(b);
	for (next = r; next; next = next->next, n++)
		report(b, next);
	for (i = 0; i < b->nr_queues; i++) {
		if (b->q[i].notify) {
			b->q[i].notify = false;
			virtio_pci_notify_queue(&b->vp, i);
		}
	}
	if (atomic_fetch_sub(&b->inflight, n) == n) {
		if (b->resetting) {
			b->resetting = false;
			virtio_pci_reset_done(&b->vp);
		}
		signal_drained(b);
	}
	unlock(b);
	for (; r; r = next) {
		next = r->next;
		free(r->dreq);
		free(r);
	}
}

/* --- taking requests off the ring (5.2.6) ------------------------------- */

/*
 * The iovec of bytes [start, start + len) of the chain's readable
 * (`writable` false) or writable buffers.  Returns the segments used.
 */
static unsigned carve(const struct virtq_elem *e, bool writable, uint64_t start,
		      uint64_t len, struct iovec *iov)
{
	unsigned i = writable ? e->nr_out : 0, end = writable ? e->nr_out + e->nr_in : e->nr_out;
	unsigned n = 0;

	for (; i < end && len; i++) {
		uint64_t sl = e->seg[i].len;

		if (start >= sl) {
			start -= sl;
			continue;
		}
		iov[n].iov_base = e->seg[i].host + start;
		iov[n].iov_len = sl - start < len ? sl - start : len;
		len -= iov[n].iov_len;
		start = 0;
		n++;
	}
	return n;
}

static struct virtio_blk_req *req_alloc(struct virtio_blk *b, const struct virtq_elem *e,
					unsigned q, unsigned nr_iov)
{
	struct virtio_blk_req *r = calloc(1, sizeof(*r) + nr_iov * sizeof(struct iovec));
	const struct virtq_seg *last = &e->seg[e->nr_out + e->nr_in - 1];

	if (!r)
		return NULL;
	r->blk = b;
	r->queue = (uint16_t)q;
	r->head = e->head;
	r->status = last->host + last->len - 1;
	r->written = 1;
	r->code = VIRTIO_BLK_S_IOERR;
	return r;
}

static void get_id(struct virtio_blk *b, struct virtio_blk_req *r,
		   const struct virtq_elem *e)
{
	uint8_t id[DISK_SERIAL_MAX] = { 0 };
	size_t room = e->in_len - 1, n;

	/* 5.2.6: a NUL-padded string of up to 20 bytes. */
	memcpy(id, b->disk->serial, strnlen(b->disk->serial, DISK_SERIAL_MAX));
	n = room < sizeof(id) ? room : sizeof(id);
	n = virtq_elem_to_guest(e, 0, id, n);
	r->written = (uint32_t)n + 1;
	r->code = VIRTIO_BLK_S_OK;
}

/* IN/OUT: one disk request over the data buffers. */
static int rw_prepare(struct virtio_blk_req *r, const struct virtq_elem *e,
		      uint64_t sector)
{
	bool in = r->type == VIRTIO_BLK_T_IN;
	uint64_t len = in ? e->in_len - 1 : e->out_len - HDR_LEN;
	struct disk_req *dr;

	/* SIZE_MAX x SEG_MAX bounds a request, and keeps its used length in 32 bits. */
	if (!len || len % DISK_SECTOR || sector > UINT64_MAX / DISK_SECTOR ||
	    len > (uint64_t)VIRTIO_BLK_SIZE_MAX * VIRTIO_BLK_SEG_MAX)
		return -EINVAL;
	r->iovcnt = carve(e, in, in ? 0 : HDR_LEN, len, r->iov);
	dr = r->dreq = calloc(1, sizeof(*dr));
	if (!dr)
		return -ENOMEM;
	r->nr_dreq = 1;
	dr->op = in ? DISK_READ : DISK_WRITE;
	dr->offset = sector * DISK_SECTOR;
	dr->len = len;
	dr->iov = r->iov;
	dr->iovcnt = r->iovcnt;
	return 0;
}

/* DISCARD / WRITE_ZEROES: one disk request per segment (5.2.6.2). */
static int dwz_prepare(struct virtio_blk *b, struct virtio_blk_req *r,
		       const struct virtq_elem *e)
{
	bool zeroes = r->type == VIRTIO_BLK_T_WRITE_ZEROES;
	uint64_t bytes = e->out_len - HDR_LEN;
	unsigned i, n;

	if (!virtio_pci_has_feature(&b->vp, zeroes ? VIRTIO_BLK_F_WRITE_ZEROES :
				    VIRTIO_BLK_F_DISCARD))
		return -EOPNOTSUPP;
	if (!bytes || bytes % DWZ_SEG_LEN || bytes > DWZ_SEG_LEN * VIRTIO_BLK_MAX_DWZ_SEG)
		return -EINVAL;
	n = (unsigned)(bytes / DWZ_SEG_LEN);
	r->dreq = calloc(n, sizeof(*r->dreq));
	if (!r->dreq)
		return -ENOMEM;
	r->nr_dreq = n;
	for (i = 0; i < n; i++) {
		uint8_t seg[DWZ_SEG_LEN];
		uint64_t sector;
		uint32_t count, flags;

		virtq_elem_from_guest(e, HDR_LEN + (uint64_t)i * DWZ_SEG_LEN, seg, sizeof(seg));
		sector = get_le(seg, 8);
		count = (uint32_t)get_le(seg + 8, 4);
		flags = (uint32_t)get_le(seg + 12, 4);
		/* 5.2.6.2: unknown flags, or unmap on a discard, are unsupported. */
		if ((flags & ~VIRTIO_BLK_DWZ_F_UNMAP) || (!zeroes && flags))
			return -EOPNOTSUPP;
		if (count > VIRTIO_BLK_MAX_DWZ_SECTORS || sector > UINT64_MAX / DISK_SECTOR)
			return -EINVAL;
		r->dreq[i].op = zeroes ? DISK_WRITE_ZEROES : DISK_DISCARD;
		r->dreq[i].flags = flags & VIRTIO_BLK_DWZ_F_UNMAP ? DISK_REQ_UNMAP : 0;
		r->dreq[i].offset = sector * DISK_SECTOR;
		r->dreq[i].len = (uint64_t)count * DISK_SECTOR;
	}
	return 0;
}

/* Decodes one chain; the request is then ready for the disk or finished. */
static int req_prepare(struct virtio_blk *b, struct virtio_blk_req *r,
		       const struct virtq_elem *e)
{
	uint8_t hdr[HDR_LEN];

	virtq_elem_from_guest(e, 0, hdr, sizeof(hdr));
	r->type = (uint32_t)get_le(hdr, 4);
	switch (r->type) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_OUT:
		return rw_prepare(r, e, get_le(hdr + 8, 8));
	case VIRTIO_BLK_T_FLUSH:
		r->dreq = calloc(1, sizeof(*r->dreq));
		if (!r->dreq)
			return -ENOMEM;
		r->nr_dreq = 1;
		r->dreq->op = DISK_FLUSH;
		return 0;
	case VIRTIO_BLK_T_GET_ID:
		get_id(b, r, e);
		return 0;
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		return dwz_prepare(b, r, e);
	default:
		return -EOPNOTSUPP;
	}
}

/*
 * How soon a queue is looked at again when a request could not be
 * allocated.  The chain goes back to the ring, and the driver, which
 * made its request already, will not notify for it again (with
 * EVENT_IDX the device asks for a notification only when it finds the
 * ring empty, virtqueue.c): the device must come back by itself.
 */
#define RETRY_NS	10000000ll

/*
 * Takes the next chain; NULL when the ring is empty or broke, or when
 * there is no memory for the request (*starved: the chain is left on the
 * ring).  A chain without a header or a status byte breaks the queue
 * (2.1.2).
 */
static struct virtio_blk_req *take(struct virtio_blk *b, struct virtq *vq, unsigned q,
				   bool *starved)
{
	struct virtq_elem *e = &b->elem;
	struct virtio_blk_req *r;
	int ret;

	if (virtq_pop(vq, e) != 1)
		return NULL;
	if (e->out_len < HDR_LEN || !e->nr_in || !e->seg[e->nr_out + e->nr_in - 1].len) {
		virtio_pci_needs_reset(&b->vp, "virtio-blk request without header or status");
		return NULL;
	}
	r = req_alloc(b, e, q, e->nr_out + e->nr_in);
	if (!r) {
		virtq_unpop(vq);
		*starved = true;
		return NULL;
	}
	ret = req_prepare(b, r, e);
	if (ret) {
		r->code = status_of(ret);
		r->nr_dreq = 0;
	}
	return r;
}

static void kick_bh(void *opaque)
{
	struct virtio_blk_queue *bq = opaque;
	struct virtio_blk *b = bq->blk;
	struct virtio_blk_req *batch = NULL, **tail = &batch, *r, *next;
	unsigned i, n = 0;
	struct virtq *vq;
	bool wce, starved = false;

	lock(b);
	/* Read with the requests: a WCE change made before them applies to them. */
	wce = wce_wanted(b);
	vq = b->stopped ? NULL : virtio_pci_queue(&b->vp, bq->idx);
	/* One ring's worth per turn, so other queues and disks get theirs. */
	while (vq && n < vq->size && (r = take(b, vq, bq->idx, &starved))) {
		*tail = r;
		tail = &r->next;
		n++;
	}
	atomic_fetch_add(&b->inflight, n);
	if (vq && n == vq->size)
		ioloop_bh_schedule(b->loop, &bq->kick);
	unlock(b);
	if (starved)
		ioloop_timer_arm(bq->retry, ioloop_now_ns() + RETRY_NS);
	apply_wce(b, wce);

	for (r = batch; r; r = next) {
		next = r->next;
		b->nr_reqs++;
		if (!r->nr_dreq) {
			req_finish(r);
			continue;
		}
		r->pending = r->nr_dreq;
		for (i = 0; i < r->nr_dreq; i++) {
			r->dreq[i].done = dreq_done;
			r->dreq[i].opaque = r;
			disk_submit(b->disk, &r->dreq[i]);
		}
	}
	if (batch)
		disk_unplug(b->disk);
}

/* --- transport hooks ---------------------------------------------------- */

static void blk_notify(void *opaque, unsigned q)
{
	struct virtio_blk *b = opaque;

	if (q < b->nr_queues)
		ioloop_bh_schedule(b->loop, &b->q[q].kick);
}

static int blk_reset(void *opaque)
{
	struct virtio_blk *b = opaque;

	/* 5.2.5: the cache mode goes back to its default with the device. */
	if (b->writeback != b->wce_default) {
		b->writeback = b->wce_default;
		ioloop_bh_schedule(b->loop, &b->wce_bh);
	}
	if (!atomic_load(&b->inflight))
		return 0;
	b->resetting = true;
	return -EINPROGRESS;
}

static const struct virtio_dev_ops blk_ops = {
	.cfg_read = blk_cfg_read,
	.cfg_write = blk_cfg_write,
	.queue_notify = blk_notify,
	.reset = blk_reset,
};

static uint64_t features(const struct disk *d, unsigned nr_queues)
{
	uint64_t f = 1ull << VIRTIO_BLK_F_SIZE_MAX | 1ull << VIRTIO_BLK_F_SEG_MAX |
		     1ull << VIRTIO_BLK_F_BLK_SIZE | 1ull << VIRTIO_BLK_F_TOPOLOGY |
		     1ull << VIRTIO_BLK_F_FLUSH | 1ull << VIRTIO_BLK_F_CONFIG_WCE;

	if (nr_queues > 1)
		f |= 1ull << VIRTIO_BLK_F_MQ;
	if (d->readonly)
		f |= 1ull << VIRTIO_BLK_F_RO;
	else if (d->can_discard)
		f |= 1ull << VIRTIO_BLK_F_DISCARD | 1ull << VIRTIO_BLK_F_WRITE_ZEROES;
	return f;
}

static void retry_timer(void *opaque)
{
	kick_bh(opaque);
}

static void free_timers(struct virtio_blk *b, unsigned n)
{
	while (n--) {
		ioloop_timer_free(b->q[n].retry);
		b->q[n].retry = NULL;
	}
}

int virtio_blk_init(struct virtio_blk *b, struct pci_bus *bus, int slot,
		    const struct gmem *mem, struct disk *disk, struct ioloop *loop,
		    unsigned nr_queues, const struct virtio_blk_ops *ops,
		    void *opaque)
{
	unsigned i;
	int ret;

	if (!disk || !loop || !ops || !nr_queues || nr_queues > VIRTIO_BLK_MAX_QUEUES)
		return -EINVAL;
	for (i = 0; i < nr_queues; i++) {
		ret = ioloop_timer_new(loop, retry_timer, &b->q[i], &b->q[i].retry);
		if (ret)
			goto free_timers;
	}
	ret = virtio_pci_init(&b->vp, bus, slot, mem, VIRTIO_ID_BLOCK,
			      VIRTIO_PCI_CLASS_STORAGE, (uint16_t)nr_queues,
			      VIRTIO_BLK_QUEUE_SIZE, VIRTIO_BLK_CFG_LEN,
			      features(disk, nr_queues), &blk_ops, b);
	if (ret < 0)
		goto free_timers;
	b->disk = disk;
	b->loop = loop;
	b->ops = *ops;
	b->opaque = opaque;
	b->nr_queues = (uint16_t)nr_queues;
	/*
	 * The configured mode, not what the last boot's guest switched the
	 * disk to (the disk outlives a guest reset): the first bottom half
	 * puts the disk back to it.
	 */
	b->wce_default = disk->cache_cfg.mode != WCACHE_WRITETHROUGH;
	b->writeback = b->wce_default;
	b->wce_applied = disk_writeback(disk);
	b->stopped = b->resetting = false;
	atomic_init(&b->inflight, 0);
	b->done_head = NULL;
	b->done_tail = &b->done_head;
	b->nr_reqs = b->nr_errors = 0;
	for (i = 0; i < nr_queues; i++) {
		b->q[i].blk = b;
		b->q[i].idx = i;
		b->q[i].notify = false;
		ioloop_bh_init(&b->q[i].kick, kick_bh, &b->q[i]);
	}
	ioloop_bh_init(&b->done_bh, done_bh, b);
	ioloop_bh_init(&b->wce_bh, wce_bh, b);
	if (b->wce_applied != b->wce_default)
		ioloop_bh_schedule(loop, &b->wce_bh);
	pthread_mutex_init(&b->drain_lock, NULL);
	pthread_cond_init(&b->drained, NULL);
	return ret;

free_timers:
	free_timers(b, i);
	return ret;
}

static void noop(void *opaque)
{
	(void)opaque;
}

void virtio_blk_stop(struct virtio_blk *b)
{
	lock(b);
	b->stopped = true;
	unlock(b);
	pthread_mutex_lock(&b->drain_lock);
	while (atomic_load(&b->inflight)) {
		if (ioloop_in_loop(b->loop)) {
			/* A test turning the loop on this thread. */
			pthread_mutex_unlock(&b->drain_lock);
			ioloop_run_once(b->loop, 100);
			pthread_mutex_lock(&b->drain_lock);
		} else {
			pthread_cond_wait(&b->drained, &b->drain_lock);
		}
	}
	pthread_mutex_unlock(&b->drain_lock);
	/* Bottom halves already scheduled (a kick, the WCE) have run after this. */
	ioloop_call_sync(b->loop, noop, NULL);
}

void virtio_blk_destroy(struct virtio_blk *b)
{
	free_timers(b, b->nr_queues);
	pthread_cond_destroy(&b->drained);
	pthread_mutex_destroy(&b->drain_lock);
}

/* --- save and restore --------------------------------------------------- */

#define VIRTIO_BLK_STATE_VERSION	1

int virtio_blk_save(const struct virtio_blk *b, struct state_writer *w)
{
	int ret;

	/*
	 * A request on the host would complete into a ring that has been
	 * saved already: the caller stops and drains the device first
	 * (virtio_blk_stop()).  So is a reset waiting for one.
	 */
	if (atomic_load(&b->inflight) || b->done_head || b->resetting)
		return -EBUSY;
	ret = virtio_pci_save(&b->vp, w);
	if (ret)
		return ret;
	state_section_begin(w, "virtio-blk", b->vp.pci.devfn, VIRTIO_BLK_STATE_VERSION);
	/* The guest's view of the disk, to refuse a state for another size. */
	state_put_u64(w, b->disk->size);
	state_put_u16(w, b->nr_queues);
	state_put_u8(w, b->writeback);
	state_section_end(w);
	return state_writer_error(w);
}

int virtio_blk_load(struct virtio_blk *b, struct state_reader *r)
{
	struct virtio_pci *vp;
	uint64_t size;
	unsigned i;
	uint16_t nq;
	uint8_t wb;
	int ret;

	if (atomic_load(&b->inflight) || b->resetting)
		return -EBUSY;
	/* The transport into a copy: nothing changes unless all of it loads. */
	vp = malloc(sizeof(*vp));
	if (!vp)
		return -ENOMEM;
	memcpy(vp, &b->vp, sizeof(*vp));
	ret = virtio_pci_load(vp, r);
	if (ret)
		goto out_free;
	ret = state_section_open(r, "virtio-blk", b->vp.pci.devfn,
				 VIRTIO_BLK_STATE_VERSION, NULL);
	if (ret)
		goto out_free;
	size = state_get_u64(r);
	nq = state_get_u16(r);
	wb = state_get_u8(r);
	if (!state_reader_error(r) && size != b->disk->size)
		state_reader_fail(r, "the disk had %llu bytes when saved, it has "
				  "%llu now", (unsigned long long)size,
				  (unsigned long long)b->disk->size);
	if (!state_reader_error(r) && nq != b->nr_queues)
		state_reader_fail(r, "%u queues saved, the device has %u", nq,
				  b->nr_queues);
	if (wb > 1)
		state_reader_fail(r, "writeback %u", wb);
	ret = state_section_close(r);
	if (ret)
		goto out_free;
	memcpy(&b->vp, vp, sizeof(*vp));
	b->writeback = wb;
	/* The disk follows the restored cache mode (on the I/O thread). */
	ioloop_bh_schedule(b->loop, &b->wce_bh);
	/*
	 * Requests the driver made available (and notified) before the save
	 * were never taken: the driver will not notify for them again, so
	 * every queue looks at its ring once.
	 */
	for (i = 0; i < b->nr_queues; i++)
		ioloop_bh_schedule(b->loop, &b->q[i].kick);
out_free:
	free(vp);
	return ret;
}
