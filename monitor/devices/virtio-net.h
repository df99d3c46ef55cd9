/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * devices/virtio-net.h - virtio network device (device type 1, virtio 1.2
 * section 5.1) on the virtio-pci transport, over a packet back end
 * (net/net.h: slirp, tap).
 *
 * Queues (5.1.2): receiveq1, transmitq1, ..., receiveqN, transmitqN, then
 * the control queue: queue 2N with VIRTIO_NET_F_MQ negotiated, queue 2
 * without it.  N (max_virtqueue_pairs) is the caller's, 1 to
 * VIRTIO_NET_MAX_PAIRS; the transport always has 2N + 1 queues.
 *
 * Features offered (5.1.3): VERSION_1 (the transport refuses legacy
 * drivers), MAC (the caller's address), STATUS (link state, with a
 * configuration change interrupt on each change), MRG_RXBUF, CTRL_VQ,
 * CTRL_RX, MQ when N > 1, MTU when the caller gives one, and the
 * offloads only where the back end honours them (net_backend.offloads):
 * NET_OFFLOAD_CSUM gives CSUM and GUEST_CSUM, TSO4/TSO6/UFO/ECN (each
 * together with CSUM) the matching HOST_ and GUEST_ bits.  Once the
 * driver's features are final (FEATURES_OK, then DRIVER_OK), the back end
 * is told the receive offloads the guest took (set_rx_offloads); until
 * then nothing is received.
 *
 * Transmit (5.1.6.2): each chain is a 12-byte struct virtio_net_hdr_v1
 * and the frame, anywhere in its readable buffers.  The header is copied
 * out once and checked against what was negotiated: flag bits other than
 * NEEDS_CSUM ignored (5.1.6.2.2), NEEDS_CSUM only with CSUM,
 * csum_start + csum_offset + 2 and hdr_len
 * inside the frame, a gso_type only with its HOST_ feature (ECN with
 * HOST_ECN) and a non-zero gso_size, the frame 14 bytes to NET_MAX_FRAME
 * (the MTU plus an Ethernet and a VLAN header without GSO when MTU was
 * negotiated).  A bad packet is dropped and counted (tx_errors), its
 * chain returned; the VM carries on.  transmitqN goes out on the back
 * end's transmit queue N-1 mod its tx_queues (net.h: a multi-queue tap's
 * queue N-1).  The back end's -EAGAIN leaves the chain on the ring and
 * stops the transmit queues sending through that back-end queue until
 * its tx_ready(); the others go on.  Other errors drop and count
 * (tx_dropped).  A link that is down drops transmissions (tx_dropped).
 *
 * Receive (5.1.6.3, 5.1.6.4): a frame goes to one chain, or with
 * MRG_RXBUF to as many as it needs, whose used entries are published
 * together with num_buffers set in the first header.  Back ends without a
 * vnet header get a zeroed one; a back end's header is checked against
 * the guest's GUEST_ features (a packet the guest did not ask for is
 * dropped, DATA_VALID cleared without GUEST_CSUM).  No room (no buffer;
 * with MRG_RXBUF, too few for can_receive()'s length; link down; before
 * DRIVER_OK): can_receive() says no, receive() returns -ENOSPC and counts
 * rx_dropped; when the guest next posts receive buffers the back end gets
 * net_backend_rx_resume().  A frame the NIC drops on purpose (filtered,
 * bad back-end header, too big for a non-merged buffer) is counted and
 * receive() returns its length: it was consumed, nothing to wait for.  A receive chain
 * with nothing writable, or (MRG_RXBUF) smaller than the header, breaks
 * the device (NEEDS_RESET, 2.1.2: 5.1.6.3.1 makes it a driver MUST).
 * With several queue pairs active, a frame goes to the receive queue of
 * the pair its flow last transmitted on (5.1.6.5.6.1, a small hash table
 * of TCP/UDP flows), else to receiveq1.
 *
 * Receive without a copy of our own (net.h, rx_borrow): with MRG_RXBUF
 * and one queue pair in use, a back end that reads its frames (tap) is
 * lent receiveq1's next chains, as many as the largest frame could fill
 * (the header and NET_MAX_FRAME), and reads into them; rx_commit() then
 * checks the header and the destination as receive() does, copying them
 * out of guest memory once (a driver that rewrites its own buffer
 * meanwhile only spoils its own frame), writes the checked header with
 * num_buffers, publishes the chains the frame filled and gives the rest
 * back to the ring.  A frame dropped there gives them all back.  Fewer
 * buffers than that, or other settings: -ENOSPC, and the back end reads
 * into its own buffer and uses can_receive()/receive() as before, which
 * also does the waiting for buffers.  While chains are lent the lock is
 * not held: a driver reset waits for rx_commit() as for send(), and a
 * save is refused (-EBUSY).
 *
 * Receive filtering (5.1.6.5.1, 5.1.6.5.2).  CTRL_RX PROMISC and ALLMULTI
 * are acked and kept; MAC_TABLE_SET's unicast list (up to
 * VIRTIO_NET_MAC_TABLE entries; a longer list accepts every unicast) is
 * kept.  When not promiscuous, a unicast frame is delivered only if it
 * is for our MAC or an address in the table (rx_filtered counts the
 * others).  Multicast and broadcast frames are always delivered (as if
 * ALLMULTI were on: a guest filters those itself).  After a reset the
 * device is promiscuous, so a driver that never sends CTRL_RX commands
 * sees every frame.
 *
 * Control queue (5.1.6.5): class, command, data in readable buffers, the
 * ack byte last writable.  RX PROMISC/ALLMULTI, MAC TABLE_SET and MQ
 * VQ_PAIRS_SET (1..N, with MQ) are VIRTIO_NET_OK; anything else, or a
 * command with the wrong data length, VIRTIO_NET_ERR.  A chain without a
 * 2-byte command or an ack byte is returned unanswered (ctrl_errors).
 *
 * Threads (DESIGN.md "The monitor's I/O model"), as virtio-blk.  The
 * transport's entry points run on vCPU threads with the device lock held
 * (ops.lock).  A queue notification only schedules that queue's bottom
 * half on the I/O loop; every ring access then happens on the I/O thread
 * with the device lock held, and every back-end call on the I/O thread
 * with it NOT held: a back end may deliver a frame from inside send()
 * (slirp answers ARP that way) and receive() takes the lock, and a tap
 * write is host I/O, which never runs under the machine's lock.  A
 * driver reset while a frame is in send() completes (2.4.1,
 * virtio_pci_reset_done()) when send() returns.  The back end's
 * callbacks (net_peer_ops) run on the I/O thread and take the lock.
 * Each bottom-half turn takes at most one ring's worth of packets and
 * reschedules itself, and raises one interrupt per queue per turn; rx
 * interrupts are raised from a bottom half after the back end's batch.
 */
#ifndef VMAIN_MONITOR_DEVICES_VIRTIO_NET_H
#define VMAIN_MONITOR_DEVICES_VIRTIO_NET_H

#include <stdbool.h>
#include <stdint.h>

#include "io/ioloop.h"
#include "net/net.h"
#include "virtio/virtio-pci.h"

#define VIRTIO_ID_NET			1	/* 5: device type */
#define VIRTIO_PCI_CLASS_NET		0x020000	/* network, Ethernet */

/* 2N + 1 <= VIRTIO_PCI_MAX_QUEUES. */
#define VIRTIO_NET_MAX_PAIRS		((VIRTIO_PCI_MAX_QUEUES - 1) / 2)
#define VIRTIO_NET_QUEUE_SIZE		256
#define VIRTIO_NET_HDR_LEN		12	/* struct virtio_net_hdr_v1 (5.1.6) */
#define VIRTIO_NET_MAC_TABLE		32	/* unicast filter entries kept */
#define VIRTIO_NET_FLOWS		256	/* rx steering table (power of 2) */
#define VIRTIO_NET_CFG_LEN		12	/* mac, status, max_virtqueue_pairs, mtu */

/* Feature bits (5.1.3). */
#define VIRTIO_NET_F_CSUM		0
#define VIRTIO_NET_F_GUEST_CSUM		1
#define VIRTIO_NET_F_MTU		3
#define VIRTIO_NET_F_MAC		5
#define VIRTIO_NET_F_GUEST_TSO4		7
#define VIRTIO_NET_F_GUEST_TSO6		8
#define VIRTIO_NET_F_GUEST_ECN		9
#define VIRTIO_NET_F_GUEST_UFO		10
#define VIRTIO_NET_F_HOST_TSO4		11
#define VIRTIO_NET_F_HOST_TSO6		12
#define VIRTIO_NET_F_HOST_ECN		13
#define VIRTIO_NET_F_HOST_UFO		14
#define VIRTIO_NET_F_MRG_RXBUF		15
#define VIRTIO_NET_F_STATUS		16
#define VIRTIO_NET_F_CTRL_VQ		17
#define VIRTIO_NET_F_CTRL_RX		18
#define VIRTIO_NET_F_MQ			22

/* Configuration `status` (5.1.4). */
#define VIRTIO_NET_S_LINK_UP		1

/* Control queue (5.1.6.5). */
#define VIRTIO_NET_OK			0
#define VIRTIO_NET_ERR			1
#define VIRTIO_NET_CTRL_RX		0
#define VIRTIO_NET_CTRL_RX_PROMISC	0
#define VIRTIO_NET_CTRL_RX_ALLMULTI	1
#define VIRTIO_NET_CTRL_MAC		1
#define VIRTIO_NET_CTRL_MAC_TABLE_SET	0
#define VIRTIO_NET_CTRL_MQ		4
#define VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET	0

struct virtio_net_ops {
	/* The device lock: serialises the transport, the rings and the state. */
	void (*lock)(void *opaque);
	void (*unlock)(void *opaque);
};

/* What the caller chooses. */
struct virtio_net_config {
	uint8_t mac[6];			/* VIRTIO_NET_F_MAC */
	unsigned queue_pairs;		/* N: 1..VIRTIO_NET_MAX_PAIRS (1 for slirp) */
	uint16_t mtu;			/* 68..65535 offers VIRTIO_NET_F_MTU; 0: none */
	bool link_down;			/* start with the link down */
};

/* Counters since init, carried on by a load (virtio_net_get_stats()). */
struct virtio_net_stats {
	uint64_t tx_packets, tx_bytes;	/* frames the back end took */
	uint64_t tx_dropped;		/* back end error, or link down */
	uint64_t tx_errors;		/* bad header or frame: dropped */
	uint64_t tx_stalls;		/* -EAGAIN from the back end */
	uint64_t rx_packets, rx_bytes;	/* frames put on a receive ring */
	uint64_t rx_dropped;		/* no buffers, link down, not ready, too big */
	uint64_t rx_filtered;		/* unicast for another MAC, not promiscuous */
	uint64_t rx_errors;		/* back end header the guest did not negotiate */
	uint64_t ctrl_cmds, ctrl_errors;	/* commands answered; unanswerable chains */
};

struct virtio_net;

struct virtio_net_queue {
	struct virtio_net *n;
	unsigned idx;			/* transport queue index */
	struct ioloop_bh kick;
	bool notify;			/* used entries not yet signalled (lock) */
};

struct virtio_net {
	struct virtio_pci vp;		/* first */
	struct net_backend *be;
	struct ioloop *loop;
	struct virtio_net_ops ops;
	void *opaque;
	uint16_t max_pairs;
	uint16_t mtu;
	uint8_t mac[6];
	/* Under the device lock. */
	bool link_up;
	bool stopped;			/* virtio_net_stop() */
	bool sending;			/* the I/O thread is in send(), lock dropped */
	bool lending;			/* receive chains lent (rx_borrow), lock dropped */
	uint16_t lent;			/* how many: rx_heads[0..lent) */
	struct virtq *lent_vq;		/* the queue they came off */
	bool resetting;			/* reset() said -EINPROGRESS */
	uint32_t tx_blocked;		/* bit q: send(q) said -EAGAIN; until tx_ready(q) */
	bool rx_waiting;		/* said no to the back end; resume it later */
	bool offloads_applied;		/* set_rx_offloads() done for this driver */
	bool promisc, allmulti;		/* CTRL_RX (5.1.6.5.1) */
	bool uni_overflow;		/* MAC table longer than we keep */
	unsigned nr_uni;
	uint8_t uni[VIRTIO_NET_MAC_TABLE][6];
	uint16_t curr_pairs;		/* VQ_PAIRS_SET; 1 after reset */
	uint32_t gen;			/* bumped by each reset */
	uint16_t tx_queues;		/* the back end's (net_backend.tx_queues) */
	uint32_t tx_ready_seq[NET_MAX_TX_QUEUES];	/* tx_ready(q) calls */
	uint8_t flow_q[VIRTIO_NET_FLOWS];	/* rx steering: pair + 1, 0 unknown */
	struct virtio_net_stats stats;
	struct virtio_net_queue q[VIRTIO_PCI_MAX_QUEUES];
	/* I/O thread scratch, used under the lock. */
	struct virtq_elem tx_elem, rx_elem, rx_first, ctrl_elem;
	struct iovec tx_iov[VIRTQ_MAX_SEGS];
	uint16_t rx_heads[VIRTIO_NET_QUEUE_SIZE];
	uint32_t rx_lens[VIRTIO_NET_QUEUE_SIZE];
	struct ioloop_bh rx_notify_bh;	/* rx interrupts after a batch */
	struct ioloop_bh offload_bh;	/* set_rx_offloads() after DRIVER_OK */
	struct ioloop_bh resume_bh;	/* rx_resume() / tx restart */
};

/*
 * Builds the device over back end `be` (attached here with
 * net_backend_attach(): `be` calls the NIC from now on), its I/O on
 * `loop`, and adds it to `bus` at `slot` (-1: first free).  The back end
 * stays the caller's.  Returns the devfn or -errno (-EINVAL for a bad
 * configuration).
 */
int virtio_net_init(struct virtio_net *n, struct pci_bus *bus, int slot,
		    const struct gmem *mem, struct net_backend *be,
		    struct ioloop *loop, const struct virtio_net_config *cfg,
		    const struct virtio_net_ops *ops, void *opaque);

/*
 * Link up or down (any thread except the I/O thread inside a NIC call;
 * takes the device lock): the configuration `status` changes and, if it
 * did change, the driver gets a configuration change interrupt (5.1.4.2).
 */
void virtio_net_set_link(struct virtio_net *n, bool up);

/* Whether the link is up (takes the device lock). */
bool virtio_net_link_up(struct virtio_net *n);

/* A copy of the counters (takes the device lock). */
void virtio_net_get_stats(struct virtio_net *n, struct virtio_net_stats *out);

/*
 * Takes no more packets in either direction and waits until the I/O
 * thread has left every NIC bottom half (without the device lock held;
 * the loop must be running or be turned by this thread).  Then destroy
 * the back end (it must not call the NIC any more), then
 * virtio_net_destroy().
 */
void virtio_net_stop(struct virtio_net *n);
void virtio_net_destroy(struct virtio_net *n);

struct state_writer;
struct state_reader;

/*
 * Save and restore (state/stream.h), device lock held: the transport
 * (virtio_pci_save(): features, status, vectors, every queue's rings and
 * positions) then section "virtio-net" / devfn, version 1: the MAC, N and
 * the MTU (a state for a NIC with others is refused), the link status the
 * driver sees, PROMISC, ALLMULTI, the unicast MAC table (count, overflow,
 * entries), curr_pairs, the flow steering table (a pair per hash slot:
 * the hash is a fixed function of the frame, so it means the same on the
 * loading host; without it a flow's answers would go to receiveq1 until
 * it transmits again), the queues whose used entries are not yet
 * signalled (an interrupt owed, kept across virtio_net_stop()), and the
 * counters.
 *
 * Not saved: the back end, which the VM builds again (what it was told
 * or said: tx_blocked, rx_waiting, its offloads), and host bookkeeping
 * (gen, tx_ready_seq, scratch).  Packets in flight are not state either:
 * with the lock held a chain is only ever off its ring while a frame is
 * in send() or receive chains are lent (rx_borrow), and
 * virtio_net_save() refuses (-EBUSY) then, or while a
 * reset waits for that send; after virtio_net_stop() it never does.
 *
 * virtio_net_load() (lock held; -EBUSY while a frame is in send())
 * changes nothing unless everything loads: -EINVAL with the reader's
 * message for another NIC or a state the driver could not have reached
 * (a MAC table longer than kept, curr_pairs outside 1..N or above 1
 * without MQ, a flow on a pair past N).  Then, on the I/O loop: the back
 * end is told the restored driver's receive offloads, owed interrupts
 * are raised, and every queue is looked at once, so chains made
 * available before the save are taken without a new notification.  The
 * restored link status stands until virtio_net_set_link().
 */
int virtio_net_save(const struct virtio_net *n, struct state_writer *w);
int virtio_net_load(struct virtio_net *n, struct state_reader *r);

#endif
