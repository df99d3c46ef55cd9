/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * devices/virtio-rng.h - virtio entropy device (device type 4, virtio 1.2
 * section 5.4) on the virtio-pci transport.
 *
 * One queue, requestq (5.4.2); no features, no configuration.  Each
 * request's device-writable buffers are filled from the entropy source
 * (5.4.6) and returned with the byte count.  The default source is
 * getrandom(2).  If the source yields nothing (an error or 0), the
 * request is left on the ring; call virtio_rng_kick() to retry later.
 *
 * Threads: not thread-safe; the caller serialises virtio_rng_kick() and
 * the bus entry points with the one device lock.  The source runs with
 * that lock held; it should not block for long.
 */
#ifndef VMAIN_MONITOR_DEVICES_VIRTIO_RNG_H
#define VMAIN_MONITOR_DEVICES_VIRTIO_RNG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "virtio/virtio-pci.h"

#define VIRTIO_RNG_QUEUE_SIZE		64
#define VIRTIO_PCI_CLASS_RNG		0xff0000	/* "unassigned class" */

/* Fills up to `len` bytes of `buf`; returns bytes written or -errno. */
typedef ssize_t (*virtio_rng_source_fn)(void *opaque, void *buf, size_t len);

struct virtio_rng {
	struct virtio_pci vp;		/* first */
	virtio_rng_source_fn source;
	void *opaque;
	struct virtq_elem elem;
};

/* The default source: getrandom(2) (blocking only until the pool is ready). */
ssize_t virtio_rng_getrandom(void *opaque, void *buf, size_t len);

/*
 * Builds the device and adds it to `bus` at `slot` (-1: first free).
 * `source` NULL means virtio_rng_getrandom.  Returns the devfn or -errno.
 */
int virtio_rng_init(struct virtio_rng *r, struct pci_bus *bus, int slot,
		    const struct gmem *mem, virtio_rng_source_fn source,
		    void *opaque);

/* Serves every pending request (also what a guest notification does). */
void virtio_rng_kick(struct virtio_rng *r);

struct state_writer;
struct state_reader;

/*
 * Save and restore (state/stream.h): the transport only
 * (virtio_pci_save()); requests still on the ring stay there and are
 * served after the load by the next virtio_rng_kick() (the loader calls
 * it: the load itself calls nothing).
 */
int virtio_rng_save(const struct virtio_rng *r, struct state_writer *w);
int virtio_rng_load(struct virtio_rng *r, struct state_reader *rd);

#endif
