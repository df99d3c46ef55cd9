/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * net/net.h - the contract between a NIC model (devices/virtio-net.c) and
 * a packet back end (net/slirp.c: user-mode NAT; net/tap.c: a host tap).
 *
 * Threads.  Everything here runs on the I/O thread (io/ioloop.h): the NIC
 * hands guest transmissions to the back end from a bottom half, and the
 * back end delivers received frames from its fd watches and timers.  So
 * neither side takes the machine lock, and no host I/O happens on a vCPU
 * thread (DESIGN.md, "The monitor's I/O model").  The NIC takes its own
 * device lock inside its callbacks.
 *
 * Packets.  A frame is an Ethernet frame (destination MAC first, no FCS)
 * in an iovec.  Each packet travels with a struct virtio_net_hdr_v1 (virtio
 * 1.2 section 5.1.6): for a back end without offloads (slirp) the NIC
 * only ever passes a header with flags 0 and gso_type NONE, and always
 * receives one zeroed; a back end with offloads (tap with IFF_VNET_HDR)
 * passes it through.  The NIC validates a guest's header before handing
 * it on (offsets inside the frame, gso only when negotiated), so a back
 * end may trust it.
 *
 * Queues.  A back end has tx_queues transmit queues (slirp one, a
 * multi-queue tap one per queue of the tap): each guest packet is sent on
 * one of them, so that a NIC with several queue pairs (virtio 1.2
 * 5.1.6.5.6) keeps its pairs apart on the host too: pair N sends on queue
 * N mod tx_queues.  Packets of one queue leave in the order sent.
 *
 * Bounds.  A back end never queues without limit: net_backend_send()
 * returns -EAGAIN when it cannot take the packet on that queue now, and
 * later calls net_peer_ops.tx_ready() for that queue once; the NIC stops
 * taking descriptors off the transmit rings that send through it
 * meanwhile (the other queues go on).  On receive, the back end asks can_receive()
 * first; when the NIC says no (no guest buffers), a back end that reads
 * an fd stops watching it (the kernel's queue bounds it), and slirp's
 * frames are dropped and counted by the NIC.  net_backend_rx_resume() tells
 * the back end the guest has posted buffers again.
 */
#ifndef VMAIN_MONITOR_NET_NET_H
#define VMAIN_MONITOR_NET_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

/* virtio 1.2 section 5.1.6: the header in front of each packet. */
struct virtio_net_hdr_v1 {
#define VIRTIO_NET_HDR_F_NEEDS_CSUM	1
#define VIRTIO_NET_HDR_F_DATA_VALID	2
#define VIRTIO_NET_HDR_F_RSC_INFO	4
	uint8_t flags;
#define VIRTIO_NET_HDR_GSO_NONE		0
#define VIRTIO_NET_HDR_GSO_TCPV4	1
#define VIRTIO_NET_HDR_GSO_UDP		3
#define VIRTIO_NET_HDR_GSO_TCPV6	4
#define VIRTIO_NET_HDR_GSO_UDP_L4	5
#define VIRTIO_NET_HDR_GSO_ECN		0x80
	uint8_t gso_type;
	uint16_t hdr_len;	/* little-endian, as on the ring */
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
	uint16_t num_buffers;	/* rx with MRG_RXBUF; 0 on tx */
};

/* Transmit queues of one back end, at most (a bit each in the NIC). */
#define NET_MAX_TX_QUEUES	32

/* The largest frame without GSO: 65535-byte IP packet + Ethernet + VLAN. */
#define NET_MAX_FRAME		(65535 + 14 + 4)

/* What a back end can honour (NIC feature bits are offered only for these). */
#define NET_OFFLOAD_CSUM	(1u << 0)	/* partial checksums (NEEDS_CSUM) */
#define NET_OFFLOAD_TSO4	(1u << 1)
#define NET_OFFLOAD_TSO6	(1u << 2)
#define NET_OFFLOAD_UFO		(1u << 3)
#define NET_OFFLOAD_ECN		(1u << 4)

/* The NIC's side, called by the back end on the I/O thread. */
struct net_peer_ops {
	/* Can the NIC take a frame of up to `len` bytes now? */
	bool (*can_receive)(void *opaque, size_t len);
	/*
	 * One received frame; `hdr` is NULL for a back end without
	 * offloads.  Returns the frame's length, or -ENOSPC if it was
	 * dropped (the NIC counts it).
	 */
	long (*receive)(void *opaque, const struct virtio_net_hdr_v1 *hdr,
			const struct iovec *iov, int iovcnt);
	/* After a send on `queue` returned -EAGAIN: it takes packets again. */
	void (*tx_ready)(void *opaque, unsigned queue);
	/*
	 * Optional: receive straight into the guest's buffers, for a back end
	 * with a vnet header that reads its frames (tap), which then reads
	 * with one copy, the kernel's, instead of two.  rx_borrow() lends
	 * buffers for the next frame, whatever its size: up to `max` iovec
	 * entries that hold a struct virtio_net_hdr_v1 then NET_MAX_FRAME
	 * bytes, in order.  0 (*cnt set), or -ENOSPC: not now (too few
	 * buffers, several queue pairs, no MRG_RXBUF...), use can_receive()
	 * and receive().  After 0, exactly one rx_commit() follows, with the
	 * same iovec and what was read into it (header included; 0 or
	 * -errno: nothing), before any other call to the NIC.  Between the
	 * two the NIC's lock is not held, so the read is not under it.
	 * rx_commit() returns the frame's length (delivered, or dropped and
	 * counted: a bad header, filtered), 0 when nothing was read, or
	 * -ENOSPC when the NIC could not take it (stopped or reset meanwhile).
	 */
	int (*rx_borrow)(void *opaque, struct iovec *iov, int max, int *cnt);
	long (*rx_commit)(void *opaque, const struct iovec *iov, int cnt, long len);
};

struct net_backend;

struct net_backend_ops {
	/*
	 * One frame from the guest on transmit queue `queue` (below
	 * tx_queues).  0 (sent or deliberately dropped), -EAGAIN (that queue
	 * is full: not taken, tx_ready(queue) follows), other -errno (the
	 * packet was dropped: the NIC counts it and carries on; -EINVAL for
	 * a queue the back end does not have).
	 */
	int (*send)(struct net_backend *be, unsigned queue,
		    const struct virtio_net_hdr_v1 *hdr, const struct iovec *iov,
		    int iovcnt);
	/* The guest posted receive buffers after can_receive() said no. */
	void (*rx_resume)(struct net_backend *be);
	/*
	 * The offloads the guest accepts on receive (NET_OFFLOAD_*), once
	 * features are negotiated; tap passes them to TUNSETOFFLOAD.
	 */
	int (*set_rx_offloads)(struct net_backend *be, unsigned offloads);
	/* Stops every watch and timer and frees the back end. */
	void (*destroy)(struct net_backend *be);
};

struct net_backend {
	const struct net_backend_ops *ops;
	const char *kind;		/* "user", "tap": for messages */
	unsigned offloads;		/* NET_OFFLOAD_* this back end honours */
	unsigned tx_queues;		/* 1..NET_MAX_TX_QUEUES */
	bool has_vnet_hdr;		/* frames carry a virtio_net_hdr_v1 */
	const struct net_peer_ops *peer;
	void *peer_opaque;
};

/* Connects the NIC; called once, before any packet flows. */
static inline void net_backend_attach(struct net_backend *be,
				      const struct net_peer_ops *peer,
				      void *opaque)
{
	be->peer = peer;
	be->peer_opaque = opaque;
}

static inline int net_backend_send(struct net_backend *be, unsigned queue,
				   const struct virtio_net_hdr_v1 *hdr,
				   const struct iovec *iov, int iovcnt)
{
	return be->ops->send(be, queue, hdr, iov, iovcnt);
}

static inline void net_backend_rx_resume(struct net_backend *be)
{
	if (be->ops->rx_resume)
		be->ops->rx_resume(be);
}

static inline void net_backend_destroy(struct net_backend *be)
{
	if (be)
		be->ops->destroy(be);
}

#endif
