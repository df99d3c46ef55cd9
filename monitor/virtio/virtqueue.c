// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * virtio/virtqueue.c - split virtqueues, device side (see virtqueue.h).
 *
 * Layouts (virtio 1.2 2.7.5, 2.7.6, 2.7.8), little-endian:
 *   descriptor  { le64 addr; le32 len; le16 flags; le16 next; }  16 bytes
 *   available   { le16 flags; le16 idx; le16 ring[size]; le16 used_event; }
 *   used        { le16 flags; le16 idx; { le32 id; le32 len; } ring[size];
 *                 le16 avail_event; }
 * The ring areas are aligned (checked in virtq_enable()), so the 16/32-bit
 * fields the driver and device exchange are accessed atomically.
 */
#include <errno.h>
#include <string.h>

#include "state/stream.h"
#include "virtio/virtqueue.h"

struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

static uint16_t ld16(const uint8_t *p)
{
	return __atomic_load_n((const uint16_t *)(const void *)p, __ATOMIC_RELAXED);
}

static uint16_t ld16_acq(const uint8_t *p)
{
	return __atomic_load_n((const uint16_t *)(const void *)p, __ATOMIC_ACQUIRE);
}

static void st16(uint8_t *p, uint16_t v)
{
	__atomic_store_n((uint16_t *)(void *)p, v, __ATOMIC_RELAXED);
}

static void st16_rel(uint8_t *p, uint16_t v)
{
	__atomic_store_n((uint16_t *)(void *)p, v, __ATOMIC_RELEASE);
}

static void st32(uint8_t *p, uint32_t v)
{
	__atomic_store_n((uint32_t *)(void *)p, v, __ATOMIC_RELAXED);
}

/* One copy of a descriptor out of guest memory (2.7.5); any alignment. */
static void read_desc(const uint8_t *p, struct desc *d)
{
	uint8_t b[16];

	memcpy(b, p, sizeof(b));
	memcpy(&d->addr, b, 8);
	memcpy(&d->len, b + 8, 4);
	memcpy(&d->flags, b + 12, 2);
	memcpy(&d->next, b + 14, 2);
}

void virtq_init(struct virtq *vq, const struct gmem *mem, virtq_fail_fn fail,
		void *fail_opaque)
{
	memset(vq, 0, sizeof(*vq));
	vq->mem = mem;
	vq->fail = fail;
	vq->fail_opaque = fail_opaque;
}

void virtq_reset(struct virtq *vq)
{
	virtq_init(vq, vq->mem, vq->fail, vq->fail_opaque);
}

/* Checks size and alignment (2.7) and maps the three areas (RAM only). */
static int vq_map(struct virtq *vq)
{
	uint64_t n = vq->size;

	if (!n || n > VIRTQ_MAX_SIZE || (n & (n - 1)))
		return -EINVAL;
	/* 2.7, table "Virtqueue Part Alignment". */
	if ((vq->desc_gpa & 15) || (vq->avail_gpa & 1) || (vq->used_gpa & 3))
		return -EINVAL;
	vq->desc = gmem_ptr(vq->mem, vq->desc_gpa, 16 * n);
	vq->avail = gmem_ptr(vq->mem, vq->avail_gpa, 6 + 2 * n);
	vq->used = gmem_ptr(vq->mem, vq->used_gpa, 6 + 8 * n);
	if (!vq->desc || !vq->avail || !vq->used) {
		vq->desc = vq->avail = vq->used = NULL;
		return -EINVAL;
	}
	return 0;
}

int virtq_enable(struct virtq *vq, bool event_idx, bool indirect)
{
	vq->enabled = false;
	if (vq_map(vq) < 0)
		return -EINVAL;
	vq->event_idx = event_idx;
	vq->indirect = indirect;
	vq->last_avail = vq->used_idx = 0;
	vq->signalled_valid = false;
	vq->broken = false;
	vq->enabled = true;
	return 0;
}

static int vq_fail(struct virtq *vq, const char *why)
{
	if (!vq->broken) {
		vq->broken = true;
		if (vq->fail)
			vq->fail(vq->fail_opaque, vq, why);
	}
	return -EIO;
}

static uint8_t *avail_event_ptr(struct virtq *vq)
{
	return vq->used + 4 + 8 * (size_t)vq->size;
}

/*
 * With EVENT_IDX: the ring looked empty; ask for a notification at the
 * next index (avail_event, 2.7.10), then look again so that a buffer
 * added meanwhile is not missed.  True if one was.
 */
static bool arm_and_recheck(struct virtq *vq)
{
	st16(avail_event_ptr(vq), vq->last_avail);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return ld16_acq(vq->avail + 2) != vq->last_avail;
}

bool virtq_has_avail(struct virtq *vq)
{
	if (!vq->enabled || vq->broken)
		return false;
	if (ld16_acq(vq->avail + 2) != vq->last_avail)
		return true;
	return vq->event_idx && arm_and_recheck(vq);
}

/* Walks the chain at `head` into `e` (2.7.5.2, 2.7.5.3). */
static int walk_chain(struct virtq *vq, uint16_t head, struct virtq_elem *e)
{
	const uint8_t *table = vq->desc;
	uint32_t tsize = vq->size, hops = 0, i = head;
	bool in_indirect = false;
	unsigned nseg = 0;

	e->head = head;
	e->nr_out = e->nr_in = 0;
	e->out_len = e->in_len = 0;
	for (;;) {
		struct desc d;
		struct virtq_seg *s;

		/* A chain visits each descriptor of its table at most once. */
		if (++hops > tsize)
			return vq_fail(vq, "descriptor loop");
		read_desc(table + 16 * (size_t)i, &d);

		if (d.flags & VIRTQ_DESC_F_INDIRECT) {
			/* 2.7.5.3.1: the driver MUST NOT set these. */
			if (!vq->indirect)
				return vq_fail(vq, "indirect descriptor not negotiated");
			if (in_indirect)
				return vq_fail(vq, "indirect descriptor in an indirect table");
			if (d.flags & VIRTQ_DESC_F_NEXT)
				return vq_fail(vq, "indirect descriptor with NEXT");
			if (!d.len || d.len % 16 || d.len / 16 > VIRTQ_MAX_SIZE)
				return vq_fail(vq, "bad indirect table length");
			table = gmem_ptr(vq->mem, d.addr, d.len);
			if (!table)
				return vq_fail(vq, "indirect table outside RAM");
			tsize = d.len / 16;
			in_indirect = true;
			hops = 0;
			i = 0;
			continue;
		}

		if (nseg == VIRTQ_MAX_SEGS)
			return vq_fail(vq, "descriptor chain too long");
		if (d.flags & VIRTQ_DESC_F_WRITE) {
			e->nr_in++;
			e->in_len += d.len;
		} else {
			/* 2.7.4.2: readable buffers come before writable ones. */
			if (e->nr_in)
				return vq_fail(vq, "readable descriptor after a writable one");
			e->nr_out++;
			e->out_len += d.len;
		}
		s = &e->seg[nseg++];
		s->gpa = d.addr;
		s->len = d.len;
		s->host = gmem_ptr(vq->mem, d.addr, d.len);
		if (!s->host)
			return vq_fail(vq, "buffer outside RAM");

		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			return 0;
		i = d.next;
		if (i >= tsize)
			return vq_fail(vq, "next index out of range");
	}
}

int virtq_pop(struct virtq *vq, struct virtq_elem *e)
{
	uint16_t idx, head;
	int ret;

	if (!vq->enabled)
		return 0;
	if (vq->broken)
		return -EIO;
	idx = ld16_acq(vq->avail + 2);
	if (idx == vq->last_avail) {
		if (!vq->event_idx || !arm_and_recheck(vq))
			return 0;
		idx = ld16_acq(vq->avail + 2);
	}
	/* 2.7.13.3.1: idx - last_avail is the number of new entries. */
	if ((uint16_t)(idx - vq->last_avail) > vq->size)
		return vq_fail(vq, "available index too far ahead");
	head = ld16(vq->avail + 4 + 2 * (size_t)(vq->last_avail & (vq->size - 1)));
	if (head >= vq->size)
		return vq_fail(vq, "head index out of range");
	ret = walk_chain(vq, head, e);
	if (ret < 0)
		return ret;
	/*
	 * avail_event is left where the last empty look put it: while the
	 * device is still taking chains it will come back for the ones
	 * added meanwhile, so the driver need not notify (each notification
	 * is an exit).  Moving it along with every chain, as before, asked
	 * for a notification for nearly every chain a busy driver added.
	 */
	vq->last_avail++;
	return 1;
}

void virtq_unpop(struct virtq *vq)
{
	vq->last_avail--;
}

int virtq_push(struct virtq *vq, uint16_t head, uint32_t written)
{
	uint8_t *ent;

	if (!vq->enabled || vq->broken || head >= vq->size)
		return -EIO;
	ent = vq->used + 4 + 8 * (size_t)(vq->used_idx & (vq->size - 1));
	st32(ent, head);
	st32(ent + 4, written);
	vq->used_idx++;
	/* 2.7.8.2 / 2.7.13.4: the entry is visible before the index. */
	st16_rel(vq->used + 2, vq->used_idx);
	return 0;
}

int virtq_push_many(struct virtq *vq, const uint16_t *heads,
		    const uint32_t *written, unsigned n)
{
	unsigned i;

	if (!vq->enabled || vq->broken || n > vq->size)
		return -EIO;
	for (i = 0; i < n; i++)
		if (heads[i] >= vq->size)
			return -EIO;
	for (i = 0; i < n; i++) {
		uint8_t *ent = vq->used + 4 +
			8 * (size_t)((uint16_t)(vq->used_idx + i) & (vq->size - 1));

		st32(ent, heads[i]);
		st32(ent + 4, written[i]);
	}
	vq->used_idx = (uint16_t)(vq->used_idx + n);
	/* 2.7.8.2 / 2.7.13.4: every entry is visible before the index. */
	st16_rel(vq->used + 2, vq->used_idx);
	return 0;
}

bool virtq_should_notify(struct virtq *vq)
{
	uint16_t old, new, event;
	bool valid;

	if (!vq->enabled || vq->broken)
		return false;
	/* Our used->idx store before the driver's suppression fields. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!vq->event_idx)
		return !(ld16(vq->avail) & VIRTQ_AVAIL_F_NO_INTERRUPT);
	/* 2.7.10: notify if used_event lies in (old, new]. */
	event = ld16(vq->avail + 4 + 2 * (size_t)vq->size);
	old = vq->signalled_used;
	new = vq->used_idx;
	valid = vq->signalled_valid;
	vq->signalled_used = new;
	vq->signalled_valid = true;
	if (!valid)
		return true;
	return (uint16_t)(new - event - 1) < (uint16_t)(new - old);
}

size_t virtq_elem_to_guest(const struct virtq_elem *e, uint64_t off,
			   const void *buf, size_t len)
{
	const uint8_t *src = buf;
	size_t done = 0;
	unsigned i;

	for (i = e->nr_out; i < e->nr_out + e->nr_in && done < len; i++) {
		const struct virtq_seg *s = &e->seg[i];
		size_t n;

		if (off >= s->len) {
			off -= s->len;
			continue;
		}
		n = s->len - off;
		if (n > len - done)
			n = len - done;
		memcpy(s->host + off, src + done, n);
		done += n;
		off = 0;
	}
	return done;
}

size_t virtq_elem_from_guest(const struct virtq_elem *e, uint64_t off,
			     void *buf, size_t len)
{
	uint8_t *dst = buf;
	size_t done = 0;
	unsigned i;

	for (i = 0; i < e->nr_out && done < len; i++) {
		const struct virtq_seg *s = &e->seg[i];
		size_t n;

		if (off >= s->len) {
			off -= s->len;
			continue;
		}
		n = s->len - off;
		if (n > len - done)
			n = len - done;
		memcpy(dst + done, s->host + off, n);
		done += n;
		off = 0;
	}
	return done;
}

/* --- save and restore -------------------------------------------------- */

void virtq_save(const struct virtq *vq, struct state_writer *w)
{
	state_put_u16(w, vq->size);
	state_put_bool(w, vq->enabled);
	state_put_bool(w, vq->broken);
	state_put_bool(w, vq->event_idx);
	state_put_bool(w, vq->indirect);
	state_put_u64(w, vq->desc_gpa);
	state_put_u64(w, vq->avail_gpa);
	state_put_u64(w, vq->used_gpa);
	state_put_u16(w, vq->last_avail);
	state_put_u16(w, vq->used_idx);
	state_put_u16(w, vq->signalled_used);
	state_put_bool(w, vq->signalled_valid);
}

int virtq_load(struct virtq *vq, struct state_reader *r)
{
	struct virtq t = *vq;

	t.size = state_get_u16(r);
	t.enabled = state_get_bool(r);
	t.broken = state_get_bool(r);
	t.event_idx = state_get_bool(r);
	t.indirect = state_get_bool(r);
	t.desc_gpa = state_get_u64(r);
	t.avail_gpa = state_get_u64(r);
	t.used_gpa = state_get_u64(r);
	t.last_avail = state_get_u16(r);
	t.used_idx = state_get_u16(r);
	t.signalled_used = state_get_u16(r);
	t.signalled_valid = state_get_bool(r);
	if (state_reader_error(r))
		return state_reader_error(r);
	t.desc = t.avail = t.used = NULL;
	/*
	 * An enabled queue is mapped again on this host (its rings must lie
	 * in this guest's RAM, as virtq_enable() checked when the driver
	 * enabled it), keeping its ring positions: virtq_enable() would
	 * start them at 0 and the driver would see its buffers lost.
	 */
	if (t.enabled && vq_map(&t) < 0)
		return state_reader_fail(r, "enabled virtqueue with a bad size "
					 "(%u) or ring outside RAM", t.size);
	*vq = t;
	return 0;
}
