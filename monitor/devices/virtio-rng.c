// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * devices/virtio-rng.c - virtio entropy device (virtio 1.2 5.4; see
 * virtio-rng.h).
 */
#include <errno.h>
#include <sys/random.h>

#include "devices/virtio-rng.h"
#include "state/stream.h"

ssize_t virtio_rng_getrandom(void *opaque, void *buf, size_t len)
{
	ssize_t n;

	(void)opaque;
	do
		n = getrandom(buf, len, 0);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

/* Fills the writable buffers of `e`; returns the bytes written. */
static uint64_t fill(struct virtio_rng *r, const struct virtq_elem *e)
{
	uint64_t total = 0;
	unsigned i;

	for (i = e->nr_out; i < e->nr_out + e->nr_in; i++) {
		const struct virtq_seg *s = &e->seg[i];
		uint32_t got = 0;

		while (got < s->len) {
			ssize_t n = r->source(r->opaque, s->host + got, s->len - got);

			if (n <= 0)
				return total + got;
			if ((size_t)n > s->len - got)
				n = (ssize_t)(s->len - got);
			got += (uint32_t)n;
		}
		total += got;
	}
	return total;
}

void virtio_rng_kick(struct virtio_rng *r)
{
	struct virtq *vq = virtio_pci_queue(&r->vp, 0);
	struct virtq_elem *e = &r->elem;
	bool pushed = false;

	if (!vq)
		return;
	while (virtq_pop(vq, e) == 1) {
		uint64_t n = fill(r, e);

		/* 5.4.6.1: the device places one or more bytes; none: retry later. */
		if (!n && e->in_len) {
			virtq_unpop(vq);
			break;
		}
		virtq_push(vq, e->head, (uint32_t)n);
		pushed = true;
	}
	if (pushed)
		virtio_pci_notify_queue(&r->vp, 0);
}

static void rng_notify(void *opaque, unsigned q)
{
	(void)q;
	virtio_rng_kick(opaque);
}

static int rng_reset(void *opaque)
{
	(void)opaque;
	return 0;
}

static const struct virtio_dev_ops rng_ops = {
	.queue_notify = rng_notify,
	.reset = rng_reset,
};

int virtio_rng_init(struct virtio_rng *r, struct pci_bus *bus, int slot,
		    const struct gmem *mem, virtio_rng_source_fn source,
		    void *opaque)
{
	r->source = source ? source : virtio_rng_getrandom;
	r->opaque = opaque;
	return virtio_pci_init(&r->vp, bus, slot, mem, VIRTIO_ID_RNG,
			       VIRTIO_PCI_CLASS_RNG, 1, VIRTIO_RNG_QUEUE_SIZE, 0, 0,
			       &rng_ops, r);
}

/* --- save and restore --------------------------------------------------- */

/*
 * The entropy device has no state of its own: the transport is all of
 * it, and its type field says what device it was.
 */
int virtio_rng_save(const struct virtio_rng *r, struct state_writer *w)
{
	return virtio_pci_save(&r->vp, w);
}

int virtio_rng_load(struct virtio_rng *r, struct state_reader *rd)
{
	return virtio_pci_load(&r->vp, rd);
}
