// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * virtio-net-test.c - the virtio network device (monitor/devices/
 * virtio-net.c) driven like a guest driver over a fake packet back end
 * (net/net.h: it records what it is sent, can say -EAGAIN or fail, and
 * injects received frames), with the real I/O loop turned by hand:
 * feature negotiation per back-end offloads, configuration and link
 * changes, transmit of single and multi-descriptor frames, every bad
 * transmit header, -EAGAIN and tx_ready(), receive into single and
 * merged buffers, no buffers and rx_resume(), frames read straight into
 * lent chains (rx_borrow/rx_commit), filtering, the control
 * queue, multiqueue steering, resets with a packet in send(), hostile
 * rings, stop; save and load into a fresh NIC over a fresh back end,
 * which continues the rings, the filters and the steering, and refuses
 * damaged or foreign states untouched.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tap.h"
#include "devices/pci.h"
#include "devices/virtio-net.h"
#include "state/stream.h"

/* --- a small virtio-pci driver over a fake guest (shared by the virtio tests) --- */
#include "virtio-driver.h"
}
/* --- end of the driver --- */
#include "virtio-locked.h"

#define BIT(b)		(1ull << (b))
#define VER1		BIT(VIRTIO_F_VERSION_1)
#define QSZ		64
#define MAX_REC		16
#define HDR		VIRTIO_NET_HDR_LEN

/* Guest memory: tx at 0x200000, rx at 0x280000, ctrl at 0x2f0000, a big frame at 0x300000. */
#define TX_GPA		0x200000ull
#define RX_GPA		0x280000ull
#define CTRL_GPA	0x2f0000ull
#define BIG_GPA		0x300000ull

static const uint8_t MAC[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
static const uint8_t OTHER[6] = { 0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc };
static const uint8_t BCAST[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

/* --- the fake back end --- */

struct rec {
	struct virtio_net_hdr_v1 hdr;
	uint8_t *data;
	size_t len;
	int iovcnt;
	unsigned queue;			/* the back end's transmit queue */
};

struct fake_be {
	struct net_backend be;
	struct rec rec[MAX_REC];
	unsigned nrec, nsend, nresume, nset_off;
	unsigned offloads_set;
	bool full;			/* send() says -EAGAIN */
	uint32_t full_queues;		/* bit q: send() on queue q says -EAGAIN */
	int fail;			/* next send() returns this */
	void (*in_send)(struct fake_be *f);	/* runs inside send(), lock dropped */
};

static int fake_send(struct net_backend *be, unsigned queue,
		     const struct virtio_net_hdr_v1 *hdr, const struct iovec *iov, int iovcnt)
{
	struct fake_be *f = (struct fake_be *)be;
	struct rec *r;
	int i, ret = f->fail;
	size_t off = 0;

	f->nsend++;
	if (f->in_send) {
		void (*fn)(struct fake_be *) = f->in_send;

		f->in_send = NULL;
		fn(f);
	}
	if (queue >= be->tx_queues)
		return -EINVAL;
	if (f->full || (f->full_queues >> queue & 1))
		return -EAGAIN;
	f->fail = 0;
	if (ret)
		return ret;
	if (f->nrec == MAX_REC)
		return 0;
	r = &f->rec[f->nrec++];
	r->hdr = *hdr;
	r->iovcnt = iovcnt;
	r->queue = queue;
	r->len = 0;
	for (i = 0; i < iovcnt; i++)
		r->len += iov[i].iov_len;
	r->data = malloc(r->len);
	for (i = 0; i < iovcnt; i++) {
		memcpy(r->data + off, iov[i].iov_base, iov[i].iov_len);
		off += iov[i].iov_len;
	}
	return 0;
}

static void fake_rx_resume(struct net_backend *be)
{
	((struct fake_be *)be)->nresume++;
}

static int fake_set_off(struct net_backend *be, unsigned offloads)
{
	struct fake_be *f = (struct fake_be *)be;

	f->nset_off++;
	f->offloads_set = offloads;
	return 0;
}

static void fake_destroy(struct net_backend *be)
{
	struct fake_be *f = (struct fake_be *)be;

	while (f->nrec)
		free(f->rec[--f->nrec].data);
}

static const struct net_backend_ops fake_ops = {
	.send = fake_send,
	.rx_resume = fake_rx_resume,
	.set_rx_offloads = fake_set_off,
	.destroy = fake_destroy,
};

static void fake_init(struct fake_be *f, const char *kind, unsigned offloads, bool vnet)
{
	memset(f, 0, sizeof(*f));
	f->be.ops = &fake_ops;
	f->be.kind = kind;
	f->be.offloads = offloads;
	f->be.has_vnet_hdr = vnet;
	/* A tap-like back end has a queue per pair (device B has two). */
	f->be.tx_queues = vnet ? 2 : 1;
}

static void fake_clear(struct fake_be *f)
{
	while (f->nrec)
		free(f->rec[--f->nrec].data);
	f->nsend = 0;
}

/* --- the device and the loop --- */

static struct ioloop *loop;
static struct fake_be fa, fb, fc;
static struct virtio_net na, nb, nc;
static struct virtio_net *cur;
static struct fake_be *cbe;
static struct dq dq[5];

static const struct virtio_net_ops net_ops = { .lock = dlock, .unlock = dunlock };

static void turn(void)
{
	int i;

	for (i = 0; i < 6; i++)
		ioloop_run_once(loop, 0);
}

static uint8_t status(void)
{
	return (uint8_t)lbar_rd(COMMON(VIRTIO_PCI_COMMON_STATUS), 1);
}

static struct virtio_net_stats stats(void)
{
	struct virtio_net_stats s;

	virtio_net_get_stats(cur, &s);
	return s;
}

static void enable_msix(uint8_t df, unsigned nvec)
{
	uint8_t p = (uint8_t)cfg_rd(df, PCI_CAPABILITY_LIST, 1);
	unsigned v;

	while (p && cfg_rd(df, p, 1) != PCI_CAP_ID_MSIX)
		p = (uint8_t)cfg_rd(df, p + 1u, 1);
	for (v = 0; v < nvec; v++) {
		bar_wr(VIRTIO_PCI_MSIX_TABLE_OFF + 16 * v, 8, 0xfee00000ull);
		bar_wr(VIRTIO_PCI_MSIX_TABLE_OFF + 16 * v + 8, 4, 0x30 + v);
		bar_wr(VIRTIO_PCI_MSIX_TABLE_OFF + 16 * v + 12, 4, 0);
	}
	cfg_wr(df, p + 2u, 2, PCI_MSIX_FLAGS_ENABLE);
}

/* Full driver bring-up (3.1.1): features, config vector 0, queue q on vector q + 1. */
static bool bring_up(uint64_t feats, unsigned nq)
{
	uint8_t st;
	unsigned i;

	pthread_mutex_lock(&dev_lock);
	st = negotiate(feats);
	bar_wr(COMMON(VIRTIO_PCI_COMMON_MSIX), 2, 0);
	for (i = 0; i < nq; i++)
		setup_queue(&dq[i], i, QSZ, (uint16_t)(i + 1));
	driver_ok();
	pthread_mutex_unlock(&dev_lock);
	turn();
	return st & VIRTIO_STATUS_FEATURES_OK;
}

/* A 12-byte header in guest memory. */
static void put_hdr(uint64_t gpa, uint8_t flags, uint8_t gso, uint16_t hdr_len,
		    uint16_t gso_size, uint16_t cs, uint16_t co)
{
	struct virtio_net_hdr_v1 h = { flags, gso, hdr_len, gso_size, cs, co, 0 };

	memcpy(mem.base + gpa, &h, sizeof(h));
}

/* An Ethernet frame to `dst`, IPv4 ethertype, payload a pattern seeded by `seed`. */
static void make_frame(uint8_t *f, const uint8_t *dst, size_t len, unsigned seed)
{
	size_t i;

	memcpy(f, dst, 6);
	memcpy(f + 6, OTHER, 6);
	f[12] = 0x08;
	f[13] = 0x00;
	for (i = 14; i < len; i++)
		f[i] = (uint8_t)(i * 13 + seed);
}

/* One frame transmitted on queue q: header then frame in one buffer. */
static void tx_simple(unsigned q, uint64_t gpa, size_t flen, unsigned seed)
{
	put_hdr(gpa, 0, 0, 0, 0, 0, 0);
	make_frame(mem.base + gpa + HDR, OTHER, flen, seed);
	add_chain(&dq[q], (struct seg[]){ { gpa, (uint32_t)(HDR + flen), false } }, 1);
}

static long inject(const struct virtio_net_hdr_v1 *h, const uint8_t *f, size_t len)
{
	struct iovec iov[2] = {
		{ (void *)f, len / 2 },
		{ (void *)(f + len / 2), len - len / 2 },
	};

	return cbe->be.peer->receive(cbe->be.peer_opaque, h, iov, 2);
}

static void rx_post(unsigned q, uint64_t gpa, uint32_t len)
{
	memset(mem.base + gpa, 0xee, len);
	add_chain(&dq[q], (struct seg[]){ { gpa, len, true } }, 1);
}

static unsigned drain_used(struct dq *q)
{
	uint32_t id, len;
	unsigned n = 0;

	while (dq_used(q, &id, &len))
		n++;
	return n;
}

/* --- the tests --- */

static uint64_t a_features(void)
{
	return VER1 | BIT(VIRTIO_NET_F_MAC) | BIT(VIRTIO_NET_F_STATUS) |
	       BIT(VIRTIO_NET_F_CTRL_VQ) | BIT(VIRTIO_NET_F_CTRL_RX);
}

static void test_features(void)
{
	uint64_t f = read_features();
	uint64_t off = BIT(VIRTIO_NET_F_CSUM) | BIT(VIRTIO_NET_F_GUEST_CSUM) |
		       BIT(VIRTIO_NET_F_HOST_TSO4) | BIT(VIRTIO_NET_F_HOST_TSO6) |
		       BIT(VIRTIO_NET_F_GUEST_TSO4) | BIT(VIRTIO_NET_F_GUEST_TSO6) |
		       BIT(VIRTIO_NET_F_HOST_UFO) | BIT(VIRTIO_NET_F_GUEST_UFO) |
		       BIT(VIRTIO_NET_F_HOST_ECN) | BIT(VIRTIO_NET_F_GUEST_ECN);

	tap_ok((f & (a_features() | BIT(VIRTIO_NET_F_MRG_RXBUF))) ==
	       (a_features() | BIT(VIRTIO_NET_F_MRG_RXBUF)),
	       "no-offload back end: VERSION_1, MAC, STATUS, MRG_RXBUF, CTRL_VQ, CTRL_RX offered");
	tap_ok(!(f & off) && !(f & BIT(VIRTIO_NET_F_MQ)) && !(f & BIT(VIRTIO_NET_F_MTU)),
	       "  no checksum/segmentation offloads, no MQ (1 pair), no MTU");
	f = nb.vp.host_features;
	tap_ok((f & off) == (off & ~(BIT(VIRTIO_NET_F_HOST_UFO) | BIT(VIRTIO_NET_F_GUEST_UFO))) &&
	       (f & BIT(VIRTIO_NET_F_MQ)) && (f & BIT(VIRTIO_NET_F_MTU)),
	       "CSUM|TSO4|TSO6|ECN back end with a vnet header: those offloads, not UFO; MQ, MTU");
	f = nc.vp.host_features;
	tap_ok(!(f & off), "offloads claimed without a vnet header: none offered");
	tap_ok((negotiate(a_features() | BIT(VIRTIO_NET_F_CSUM)) & VIRTIO_STATUS_FEATURES_OK) == 0,
	       "CSUM not offered: FEATURES_OK refused");
}

static void test_config(void)
{
	uint8_t mac[6];
	unsigned i;

	for (i = 0; i < 6; i++)
		mac[i] = (uint8_t)lbar_rd(VIRTIO_PCI_DEVICE_OFF + i, 1);
	tap_ok(!memcmp(mac, MAC, 6), "config mac 52:54:00:12:34:56 (5.1.4)");
	tap_ok(lbar_rd(VIRTIO_PCI_DEVICE_OFF + 6, 2) == VIRTIO_NET_S_LINK_UP &&
	       lbar_rd(VIRTIO_PCI_DEVICE_OFF + 8, 2) == 1,
	       "status LINK_UP, max_virtqueue_pairs 1");
}

static void test_link(void)
{
	uint8_t gen = (uint8_t)lbar_rd(COMMON(VIRTIO_PCI_COMMON_CFGGENERATION), 1);
	struct virtio_net_stats s0 = stats(), s1;
	int m = nmsi;
	uint8_t f[60];

	virtio_net_set_link(cur, false);
	tap_ok(lbar_rd(VIRTIO_PCI_DEVICE_OFF + 6, 2) == 0 && nmsi == m + 1 &&
	       last_msi_data == 0x30 &&
	       (uint8_t)lbar_rd(COMMON(VIRTIO_PCI_COMMON_CFGGENERATION), 1) != gen,
	       "link down: status 0, a config interrupt (vector 0), generation bumped");
	virtio_net_set_link(cur, false);
	tap_ok(nmsi == m + 1, "link down again: no interrupt");
	tx_simple(1, TX_GPA, 60, 1);
	lkick(1);
	turn();
	s1 = stats();
	tap_ok(cbe->nsend == 0 && s1.tx_dropped == s0.tx_dropped + 1 && drain_used(&dq[1]) == 1,
	       "tx while the link is down: dropped, counted, chain returned");
	make_frame(f, MAC, sizeof(f), 0);
	tap_ok(!cbe->be.peer->can_receive(cbe->be.peer_opaque, 60) &&
	       inject(NULL, f, sizeof(f)) == -ENOSPC && stats().rx_dropped == s0.rx_dropped + 1,
	       "rx while the link is down: can_receive false, -ENOSPC, counted");
	rx_post(0, RX_GPA, 1600);
	lkick(0);
	turn();
	tap_ok(cbe->nresume == 0, "  buffers posted while down: no rx_resume() yet");
	m = nmsi;
	virtio_net_set_link(cur, true);
	turn();
	tap_ok(lbar_rd(VIRTIO_PCI_DEVICE_OFF + 6, 2) == VIRTIO_NET_S_LINK_UP && nmsi == m + 1 &&
	       last_msi_data == 0x30 &&
	       cbe->nresume == 1, "link up: LINK_UP, a config interrupt, the back end resumed");
	cbe->nresume = 0;
	drain_used(&dq[0]);
}

static void test_tx(void)
{
	struct virtio_net_stats s0 = stats(), s1;
	uint32_t id, len;
	uint8_t want[200];
	int m = nmsi;

	tx_simple(1, TX_GPA, 60, 7);
	lkick(1);
	turn();
	make_frame(want, OTHER, 60, 7);
	tap_ok(cbe->nrec == 1 && cbe->rec[0].len == 60 && !memcmp(cbe->rec[0].data, want, 60) &&
	       cbe->rec[0].hdr.flags == 0 && cbe->rec[0].hdr.gso_type == 0,
	       "tx: one 60-byte frame to the back end, header stripped");
	tap_ok(dq_used(&dq[1], &id, &len) == 1 && len == 0 && nmsi == m + 1 &&
	       last_msi_data == 0x32, "  chain used (length 0), one interrupt on txq1's vector");
	s1 = stats();
	tap_ok(s1.tx_packets == s0.tx_packets + 1 && s1.tx_bytes == s0.tx_bytes + 60,
	       "  counted: tx_packets +1, tx_bytes +60");

	/* Header split 5 + 7, frame over three buffers. */
	put_hdr(TX_GPA, 0, 0, 0, 0, 0, 0);
	make_frame(want, OTHER, 200, 3);
	memcpy(mem.base + TX_GPA + 0x100, want, 50);
	memcpy(mem.base + TX_GPA + 0x200, want + 50, 100);
	memcpy(mem.base + TX_GPA + 0x300, want + 150, 50);
	add_chain(&dq[1], (struct seg[]){ { TX_GPA, 5, false }, { TX_GPA + 5, 7, false },
					  { TX_GPA + 0x100, 50, false },
					  { TX_GPA + 0x200, 100, false },
					  { TX_GPA + 0x300, 50, false } }, 5);
	lkick(1);
	turn();
	tap_ok(cbe->nrec == 2 && cbe->rec[1].len == 200 && cbe->rec[1].iovcnt == 3 &&
	       !memcmp(cbe->rec[1].data, want, 200) && drain_used(&dq[1]) == 1,
	       "tx of a 5-descriptor chain (split header): 200 bytes in 3 iovecs, in order");

	/* A batch: one interrupt for three frames. */
	m = nmsi;
	tx_simple(1, TX_GPA + 0x1000, 100, 1);
	tx_simple(1, TX_GPA + 0x2000, 100, 2);
	tx_simple(1, TX_GPA + 0x3000, 100, 3);
	lkick(1);
	turn();
	tap_ok(cbe->nrec == 5 && drain_used(&dq[1]) == 3 && nmsi == m + 1,
	       "three frames in one kick: three sent, one interrupt");

	/* A back end error: dropped, counted, the ring goes on. */
	cbe->fail = -EIO;
	tx_simple(1, TX_GPA, 60, 1);
	tx_simple(1, TX_GPA + 0x1000, 60, 2);
	lkick(1);
	turn();
	s1 = stats();
	tap_ok(cbe->nrec == 6 && drain_used(&dq[1]) == 2 && s1.tx_dropped == s0.tx_dropped + 1,
	       "send() -EIO: that frame dropped and counted, the next one sent");
	fake_clear(cbe);
}

/* Sends one frame with header h (at TX_GPA) and frame length flen; true if it was dropped. */
static bool tx_bad(uint8_t flags, uint8_t gso, uint16_t hdr_len, uint16_t gso_size,
		   uint16_t cs, uint16_t co, uint32_t flen)
{
	uint64_t err = stats().tx_errors;
	unsigned sent = cbe->nrec;

	put_hdr(TX_GPA, flags, gso, hdr_len, gso_size, cs, co);
	make_frame(mem.base + TX_GPA + HDR, OTHER, flen, 0);
	add_chain(&dq[1], (struct seg[]){ { TX_GPA, HDR + flen, false } }, 1);
	lkick(1);
	turn();
	return drain_used(&dq[1]) == 1 && cbe->nrec == sent && stats().tx_errors == err + 1;
}

static void test_tx_bad_a(void)
{
	uint64_t err = stats().tx_errors;

	tap_ok(tx_bad(VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 0, 0, 14, 16, 100),
	       "NEEDS_CSUM without CSUM negotiated: dropped, counted");
	tap_ok(!tx_bad(VIRTIO_NET_HDR_F_DATA_VALID | 0x40, 0, 0, 0, 0, 0, 100) &&
	       cbe->nrec == 1 && cbe->rec[0].hdr.flags == 0 && stats().tx_errors == err + 1,
	       "DATA_VALID and an unknown bit on tx: ignored (5.1.6.2.2), sent with flags 0");
	fake_clear(cbe);
	tap_ok(tx_bad(0, VIRTIO_NET_HDR_GSO_TCPV4, 54, 1448, 0, 0, 100),
	       "GSO TCPV4 without HOST_TSO4: dropped");
	tap_ok(tx_bad(0, VIRTIO_NET_HDR_GSO_ECN, 0, 0, 0, 0, 100),
	       "ECN bit with GSO NONE: dropped");
	tap_ok(tx_bad(0, 0, 101, 0, 0, 0, 100), "hdr_len past the frame: dropped");
	tap_ok(tx_bad(0, 0, 0, 0, 0, 0, 13), "a 13-byte frame (no Ethernet header): dropped");
	/* Only a header, or less. */
	add_chain(&dq[1], (struct seg[]){ { TX_GPA, 8, false } }, 1);
	lkick(1);
	turn();
	tap_ok(drain_used(&dq[1]) == 1 && stats().tx_errors == err + 6 && cbe->nrec == 0,
	       "an 8-byte chain (shorter than the header): dropped");
	/* NET_MAX_FRAME + 1 bytes. */
	put_hdr(BIG_GPA, 0, 0, 0, 0, 0, 0);
	make_frame(mem.base + BIG_GPA + HDR, OTHER, 60, 0);
	add_chain(&dq[1], (struct seg[]){ { BIG_GPA, HDR + NET_MAX_FRAME + 1, false } }, 1);
	lkick(1);
	turn();
	tap_ok(drain_used(&dq[1]) == 1 && stats().tx_errors == err + 7 && cbe->nrec == 0,
	       "a frame of NET_MAX_FRAME + 1 bytes: dropped");
	add_chain(&dq[1], (struct seg[]){ { BIG_GPA, HDR + NET_MAX_FRAME, false } }, 1);
	lkick(1);
	turn();
	tap_ok(drain_used(&dq[1]) == 1 && cbe->nrec == 1 && cbe->rec[0].len == NET_MAX_FRAME,
	       "a frame of NET_MAX_FRAME bytes: sent");
	tx_simple(1, TX_GPA, 60, 0);
	lkick(1);
	turn();
	tap_ok(cbe->nrec == 2 && drain_used(&dq[1]) == 1 &&
	       !(status() & VIRTIO_STATUS_NEEDS_RESET), "the device carries on");
	fake_clear(cbe);
}

static void test_eagain(void)
{
	struct virtio_net_stats s0 = stats();
	unsigned i;

	cbe->full = true;
	for (i = 0; i < 3; i++)
		tx_simple(1, TX_GPA + 0x1000 * i, 60 + i, i);
	lkick(1);
	turn();
	tap_ok(cbe->nsend == 1 && cbe->nrec == 0 && drain_used(&dq[1]) == 0 &&
	       stats().tx_stalls == s0.tx_stalls + 1,
	       "send() -EAGAIN: one attempt, nothing used, a stall counted");
	lkick(1);
	turn();
	tap_ok(cbe->nsend == 1, "  a new kick while stalled: no further attempt");
	cbe->full = false;
	cbe->be.peer->tx_ready(cbe->be.peer_opaque, 0);
	turn();
	tap_ok(cbe->nrec == 3 && cbe->rec[0].len == 60 && cbe->rec[1].len == 61 &&
	       cbe->rec[2].len == 62 && drain_used(&dq[1]) == 3,
	       "tx_ready(): the three frames go, in order");
	tap_ok(stats().tx_packets == s0.tx_packets + 3 && stats().tx_dropped == s0.tx_dropped,
	       "  counted once each, nothing dropped");
	fake_clear(cbe);
}

static void test_rx_single(void)
{
	struct virtio_net_stats s0 = stats();
	struct virtio_net_hdr_v1 h;
	uint8_t f[300];
	uint32_t id, len;
	int m;

	rx_post(0, RX_GPA, 1600);
	rx_post(0, RX_GPA + 0x1000, 100);
	lkick(0);
	turn();
	make_frame(f, MAC, 100, 9);
	m = nmsi;
	tap_ok(cbe->be.peer->can_receive(cbe->be.peer_opaque, 100) &&
	       inject(NULL, f, 100) == 100, "rx: can_receive, a 100-byte frame taken");
	turn();
	memcpy(&h, mem.base + RX_GPA, sizeof(h));
	tap_ok(dq_used(&dq[0], &id, &len) == 1 && len == HDR + 100 &&
	       h.flags == 0 && h.gso_type == 0 && h.hdr_len == 0 && h.csum_start == 0 &&
	       h.num_buffers == 1 && !memcmp(mem.base + RX_GPA + HDR, f, 100),
	       "  used length 112, a zeroed header with num_buffers 1, the frame");
	tap_ok(nmsi == m + 1 && last_msi_data == 0x31, "  one interrupt, on rxq1's vector");
	/* The second buffer holds 100 bytes: a 200-byte frame does not fit it. */
	make_frame(f, MAC, 200, 1);
	tap_ok(inject(NULL, f, 200) == 200 && !dq_used(&dq[0], &id, &len) &&
	       stats().rx_dropped == s0.rx_dropped + 1,
	       "no MRG_RXBUF, buffer too small: the frame dropped, counted");
	make_frame(f, MAC, 60, 2);
	tap_ok(inject(NULL, f, 60) == 60 && dq_used(&dq[0], &id, &len) == 1 && len == HDR + 60,
	       "  the buffer is kept for a frame that fits");
	tap_ok(stats().rx_packets == s0.rx_packets + 2 && stats().rx_bytes == s0.rx_bytes + 160,
	       "  rx_packets +2, rx_bytes +160");

	/* No buffers. */
	tap_ok(!cbe->be.peer->can_receive(cbe->be.peer_opaque, 60) &&
	       inject(NULL, f, 60) == -ENOSPC && stats().rx_dropped == s0.rx_dropped + 2,
	       "no buffers: can_receive false, -ENOSPC, counted");
	rx_post(0, RX_GPA, 1600);
	lkick(0);
	turn();
	tap_ok(cbe->nresume == 1, "the guest posts a buffer: rx_resume()");
	tap_ok(inject(NULL, f, 60) == 60 && drain_used(&dq[0]) == 1, "  and the next frame lands");
	lkick(0);
	turn();
	tap_ok(cbe->nresume == 1, "  a kick with nobody waiting: no rx_resume()");
	cbe->nresume = 0;
}

static void test_rx_merged(void)
{
	struct virtio_net_stats s0 = stats();
	struct virtio_net_hdr_v1 h;
	uint8_t f[300], got[300];
	uint32_t id, len[3];
	uint16_t before = gr16(dq[0].used + 2);
	unsigned i;

	for (i = 0; i < 4; i++)
		rx_post(0, RX_GPA + 0x100 * i, 64);
	lkick(0);
	turn();
	make_frame(f, MAC, 150, 5);
	tap_ok(inject(NULL, f, 150) == 150 && gr16(dq[0].used + 2) == (uint16_t)(before + 3),
	       "MRG_RXBUF: a 150-byte frame over 64-byte buffers: three used entries at once");
	for (i = 0; i < 3; i++)
		dq_used(&dq[0], &id, &len[i]);
	memcpy(&h, mem.base + RX_GPA, sizeof(h));
	memcpy(got, mem.base + RX_GPA + HDR, 52);
	memcpy(got + 52, mem.base + RX_GPA + 0x100, 64);
	memcpy(got + 116, mem.base + RX_GPA + 0x200, 34);
	tap_ok(h.num_buffers == 3 && len[0] == 64 && len[1] == 64 && len[2] == 34 &&
	       !memcmp(got, f, 150), "  num_buffers 3, lengths 64/64/34, the frame across them");
	/* One buffer left (64 bytes): not enough for 150. */
	tap_ok(!cbe->be.peer->can_receive(cbe->be.peer_opaque, 150) &&
	       cbe->be.peer->can_receive(cbe->be.peer_opaque, 52),
	       "  can_receive(150) false with one 64-byte buffer left, can_receive(52) true");
	tap_ok(inject(NULL, f, 150) == -ENOSPC && stats().rx_dropped == s0.rx_dropped + 1 &&
	       gr16(dq[0].used + 2) == (uint16_t)(before + 3),
	       "  too few buffers for the frame: -ENOSPC, none consumed, counted");
	rx_post(0, RX_GPA + 0x400, 64);
	rx_post(0, RX_GPA + 0x500, 64);
	lkick(0);
	turn();
	tap_ok(cbe->nresume == 1 && inject(NULL, f, 150) == 150 && drain_used(&dq[0]) == 3 &&
	       ((struct virtio_net_hdr_v1 *)(mem.base + RX_GPA + 0x300))->num_buffers == 3,
	       "  more buffers: rx_resume(), then the frame uses the kept one and two new");
	cbe->nresume = 0;
}

static int save_in_send_ret;
static void save_in_send(struct fake_be *f);

/* A read into lent buffers, as tap's readv(): header then frame, in order. */
static void fill_lent(const struct iovec *iov, int cnt, const struct virtio_net_hdr_v1 *h,
		      const uint8_t *f, size_t flen)
{
	size_t off = 0, total = HDR + flen;
	int i;

	for (i = 0; i < cnt && off < total; i++) {
		size_t k = iov[i].iov_len, j;

		for (j = 0; j < k && off < total; j++, off++)
			((uint8_t *)iov[i].iov_base)[j] = off < 10 ? ((const uint8_t *)h)[off] :
							  off < HDR ? 0xab : f[off - HDR];
	}
}

static int borrow(struct iovec *iov, int max, int *cnt)
{
	return cbe->be.peer->rx_borrow(cbe->be.peer_opaque, iov, max, cnt);
}

static long commit(const struct iovec *iov, int cnt, long len)
{
	return cbe->be.peer->rx_commit(cbe->be.peer_opaque, iov, cnt, len);
}

/* MRG_RXBUF, one pair: frames read straight into lent chains (net.h, rx_borrow). */
static void test_rx_lent(void)
{
	static uint8_t f[5000], got[5000];
	struct virtio_net_stats s0 = stats();
	struct virtio_net_hdr_v1 h = { 0 }, *gh;
	struct iovec iov[64];
	uint16_t before;
	uint32_t id, len[2];
	unsigned i;
	int cnt = -1;

	drain_used(&dq[0]);
	before = gr16(dq[0].used + 2);
	/* 16 x 4 KiB: less than a header and NET_MAX_FRAME. */
	for (i = 0; i < 16; i++)
		rx_post(0, BIG_GPA + 0x1000 * i, 0x1000);
	lkick(0);
	turn();
	tap_ok(borrow(iov, 64, &cnt) == -ENOSPC && cnt == -1,
	       "rx_borrow: 64 KiB of buffers, less than the largest frame: -ENOSPC");
	make_frame(f, MAC, 100, 3);
	tap_ok(inject(NULL, f, 100) == 100 && dq_used(&dq[0], &id, &len[0]) == 1 &&
	       len[0] == HDR + 100, "  nothing taken: receive() still lands in the first");
	rx_post(0, BIG_GPA + 0x10000, 0x1000);
	rx_post(0, BIG_GPA + 0x11000, 0x1000);
	lkick(0);
	turn();
	tap_ok(borrow(iov, 16, &cnt) == -ENOSPC, "  17 chains but room for 16 iovec entries: -ENOSPC");
	tap_ok(borrow(iov, 64, &cnt) == 0 && cnt == 17 && iov[0].iov_base == mem.base + BIG_GPA + 0x1000 &&
	       iov[0].iov_len == 0x1000, "  17 chains of 4 KiB: lent, from the next available");
	make_frame(f, MAC, sizeof(f), 7);
	fill_lent(iov, cnt, &h, f, sizeof(f));
	tap_ok(commit(iov, cnt, HDR + sizeof(f)) == (long)sizeof(f) &&
	       gr16(dq[0].used + 2) == (uint16_t)(before + 3), "  a 5000-byte frame: committed, two chains used");
	dq_used(&dq[0], &id, &len[0]);
	dq_used(&dq[0], &id, &len[1]);
	gh = (struct virtio_net_hdr_v1 *)(mem.base + BIG_GPA + 0x1000);
	memcpy(got, mem.base + BIG_GPA + 0x1000 + HDR, 0x1000 - HDR);
	memcpy(got + 0x1000 - HDR, mem.base + BIG_GPA + 0x2000, sizeof(f) - (0x1000 - HDR));
	tap_ok(len[0] == 0x1000 && len[1] == HDR + sizeof(f) - 0x1000 && gh->num_buffers == 2 &&
	       gh->flags == 0 && gh->gso_type == 0 && !memcmp(got, f, sizeof(f)),
	       "  lengths 4096/916, num_buffers 2 written over the read's bytes, the frame");
	tap_ok(stats().rx_packets == s0.rx_packets + 2 && stats().rx_bytes == s0.rx_bytes + 5100,
	       "  counted as received");
	/* The other 15 went back: with two more there are 17 again. */
	rx_post(0, BIG_GPA + 0x12000, 0x1000);
	rx_post(0, BIG_GPA + 0x13000, 0x1000);
	lkick(0);
	turn();
	tap_ok(borrow(iov, 64, &cnt) == 0 && cnt == 17 && iov[0].iov_base == mem.base + BIG_GPA + 0x3000,
	       "  the 15 unused chains were given back, in order");
	tap_ok(commit(iov, cnt, -EAGAIN) == 0 && gr16(dq[0].used + 2) == (uint16_t)(before + 3),
	       "  nothing read (EAGAIN): commit 0, nothing used");
	/* A header the guest did not negotiate (NEEDS_CSUM without GUEST_CSUM). */
	tap_ok(borrow(iov, 64, &cnt) == 0, "  lent again");
	h.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	fill_lent(iov, cnt, &h, f, 100);
	tap_ok(commit(iov, cnt, HDR + 100) == 100 && gr16(dq[0].used + 2) == (uint16_t)(before + 3) &&
	       stats().rx_errors == s0.rx_errors + 1, "  a header not negotiated: dropped, counted, none used");
	h.flags = 0;
	/* Too short for Ethernet. */
	tap_ok(borrow(iov, 64, &cnt) == 0, "  lent again");
	fill_lent(iov, cnt, &h, f, 10);
	tap_ok(commit(iov, cnt, HDR + 10) == 10 && gr16(dq[0].used + 2) == (uint16_t)(before + 3) &&
	       stats().rx_errors == s0.rx_errors + 2, "  a 10-byte frame: dropped, counted, none used");
	tap_ok(commit(iov, cnt, HDR + 100) == -EINVAL, "rx_commit without rx_borrow: -EINVAL");
	/* A save while chains are lent is refused; a reset waits for the commit. */
	tap_ok(borrow(iov, 64, &cnt) == 0, "lent again");
	save_in_send(cbe);
	tap_ok(save_in_send_ret == -EBUSY, "  a save meanwhile: -EBUSY");
	lbar_wr(COMMON(VIRTIO_PCI_COMMON_STATUS), 1, 0);
	tap_ok(status() != 0, "  a reset meanwhile: status reads non-zero (2.4.1)");
	fill_lent(iov, cnt, &h, f, 100);
	tap_ok(commit(iov, cnt, HDR + 100) == -ENOSPC && status() == 0 &&
	       gr16(dq[0].used + 2) == (uint16_t)(before + 3),
	       "  then the commit: -ENOSPC, nothing used, the reset done");
	bring_up(a_features() | BIT(VIRTIO_NET_F_MRG_RXBUF), 3);
	tap_ok(borrow(iov, 64, &cnt) == -ENOSPC, "after the reset: no buffers, -ENOSPC");
}

/* Control command: class, cmd, data, then a writable ack; returns the ack (0xee: none). */
static uint8_t ctrl(unsigned q, uint8_t cls, uint8_t cmd, const void *data, uint32_t dlen)
{
	mem.base[CTRL_GPA] = cls;
	mem.base[CTRL_GPA + 1] = cmd;
	memcpy(mem.base + CTRL_GPA + 2, data, dlen);
	mem.base[CTRL_GPA + 0x800] = 0xee;
	add_chain(&dq[q], (struct seg[]){ { CTRL_GPA, 2 + dlen, false },
					  { CTRL_GPA + 0x800, 1, true } }, 2);
	lkick(q);
	turn();
	drain_used(&dq[q]);
	return mem.base[CTRL_GPA + 0x800];
}

static void test_ctrl_filter(void)
{
	struct virtio_net_stats s0 = stats();
	uint8_t on = 1, off = 0, two[2] = { 1, 1 }, f[60];
	uint8_t table[4 + 6 + 4 + 6];
	uint32_t id, len;

	tap_ok(ctrl(2, VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_PROMISC, &off, 1) == VIRTIO_NET_OK &&
	       ctrl(2, VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_ALLMULTI, &on, 1) == VIRTIO_NET_OK,
	       "ctrl: RX PROMISC 0 and ALLMULTI 1 acked (5.1.6.5.1)");
	tap_ok(ctrl(2, VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_PROMISC, two, 2) == VIRTIO_NET_ERR,
	       "  PROMISC with two data bytes: ERR");
	tap_ok(ctrl(2, VIRTIO_NET_CTRL_RX, 7, &on, 1) == VIRTIO_NET_ERR &&
	       ctrl(2, 9, 0, &on, 1) == VIRTIO_NET_ERR,
	       "  an unknown command, an unknown class: ERR");
	tap_ok(ctrl(2, VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, two, 2) == VIRTIO_NET_ERR,
	       "  MQ VQ_PAIRS_SET without MQ negotiated: ERR");

	rx_post(0, RX_GPA, 1600);
	rx_post(0, RX_GPA + 0x1000, 1600);
	rx_post(0, RX_GPA + 0x2000, 1600);
	lkick(0);
	turn();
	make_frame(f, OTHER, 60, 0);
	tap_ok(inject(NULL, f, 60) == 60 && !dq_used(&dq[0], &id, &len) &&
	       stats().rx_filtered == s0.rx_filtered + 1,
	       "not promiscuous: a frame for another MAC is filtered (counted)");
	make_frame(f, BCAST, 60, 0);
	tap_ok(inject(NULL, f, 60) == 60 && dq_used(&dq[0], &id, &len) == 1,
	       "  broadcast passes");
	/* MAC_TABLE_SET: one unicast (OTHER), one multicast. */
	memset(table, 0, sizeof(table));
	table[0] = 1;
	memcpy(table + 4, OTHER, 6);
	table[10] = 1;
	memcpy(table + 14, "\x01\x00\x5e\x00\x00\x01", 6);
	tap_ok(ctrl(2, VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_TABLE_SET, table, sizeof(table)) ==
	       VIRTIO_NET_OK, "MAC TABLE_SET with one unicast, one multicast: OK (5.1.6.5.2)");
	make_frame(f, OTHER, 60, 0);
	tap_ok(inject(NULL, f, 60) == 60 && dq_used(&dq[0], &id, &len) == 1,
	       "  a frame for the table's MAC passes");
	table[0] = 2;
	tap_ok(ctrl(2, VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_TABLE_SET, table, sizeof(table)) ==
	       VIRTIO_NET_ERR, "  a table whose counts disagree with its length: ERR");
	tap_ok(ctrl(2, VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_PROMISC, &on, 1) == VIRTIO_NET_OK,
	       "promiscuous again");
	drain_used(&dq[0]);

	/* Malformed chains: nowhere to write the ack, or no command. */
	s0 = stats();
	mem.base[CTRL_GPA] = 0;
	add_chain(&dq[2], (struct seg[]){ { CTRL_GPA, 3, false } }, 1);
	add_chain(&dq[2], (struct seg[]){ { CTRL_GPA, 1, false }, { CTRL_GPA + 0x800, 1, true } }, 2);
	lkick(2);
	turn();
	tap_ok(drain_used(&dq[2]) == 2 && stats().ctrl_errors == s0.ctrl_errors + 2 &&
	       !(status() & VIRTIO_STATUS_NEEDS_RESET),
	       "ctrl chains without an ack byte or a command: returned, counted, device fine");
}

/* In send(): the guest resets the device (a vCPU; the device lock is free). */
static void reset_in_send(struct fake_be *f)
{
	(void)f;
	lbar_wr(COMMON(VIRTIO_PCI_COMMON_STATUS), 1, 0);
}

static uint8_t status_in_send;

static void reset_and_look(struct fake_be *f)
{
	reset_in_send(f);
	status_in_send = status();
}

/* In send(): the back end answers at once (slirp's ARP), re-entering the NIC. */
static long reentrant_ret;

static void answer_in_send(struct fake_be *f)
{
	uint8_t fr[60];

	(void)f;
	make_frame(fr, MAC, sizeof(fr), 4);
	reentrant_ret = inject(NULL, fr, sizeof(fr));
}

static void test_reentry_reset(void)
{
	uint32_t id, len;

	rx_post(0, RX_GPA, 1600);
	lkick(0);
	turn();
	cbe->in_send = answer_in_send;
	tx_simple(1, TX_GPA, 60, 0);
	lkick(1);
	turn();
	tap_ok(reentrant_ret == 60 && cbe->nrec == 1 && dq_used(&dq[0], &id, &len) == 1 &&
	       drain_used(&dq[1]) == 1,
	       "a frame received from inside send(): no deadlock, both delivered");
	fake_clear(cbe);

	/* Reset with a frame in send(), and two more queued. */
	cbe->in_send = reset_and_look;
	tx_simple(1, TX_GPA, 60, 0);
	tx_simple(1, TX_GPA + 0x1000, 60, 1);
	tx_simple(1, TX_GPA + 0x2000, 60, 2);
	lkick(1);
	turn();
	tap_ok(status_in_send != 0, "reset during send(): status reads non-zero meanwhile (2.4.1)");
	tap_ok(status() == 0 && cbe->nsend == 1 && !dq_used(&dq[1], &id, &len),
	       "  after send() returns: reset done, nothing more sent, nothing used");
	fake_clear(cbe);

	/* A kick scheduled, then a reset before the loop turns: the bottom half finds nothing. */
	bring_up(a_features(), 3);
	tx_simple(1, TX_GPA, 60, 0);
	lkick(1);
	lbar_wr(COMMON(VIRTIO_PCI_COMMON_STATUS), 1, 0);
	turn();
	tap_ok(cbe->nsend == 0 && status() == 0, "reset with a kick pending: nothing sent");
	tap_ok(ioloop_run_once(loop, 0) == 0, "  and no bottom half left pending");
}

static void test_hostile(void)
{
	uint16_t d;

	bring_up(a_features(), 3);
	/* A descriptor that chains to itself. */
	d = add_chain(&dq[1], (struct seg[]){ { TX_GPA, 72, false }, { TX_GPA, 72, false } }, 2);
	g16(dq[1].desc + 16ull * d + 14, d);
	lkick(1);
	turn();
	tap_ok((status() & VIRTIO_STATUS_NEEDS_RESET) && cbe->nsend == 0,
	       "tx descriptor loop: NEEDS_RESET, nothing sent, the VM goes on");
	bring_up(a_features(), 3);
	add_chain(&dq[1], (struct seg[]){ { RAM_SIZE - 16, 72, false } }, 1);
	lkick(1);
	turn();
	tap_ok((status() & VIRTIO_STATUS_NEEDS_RESET) && cbe->nsend == 0,
	       "tx buffer past the end of RAM: NEEDS_RESET");
	bring_up(a_features(), 3);
	g16(dq[1].avail + 2, 1000);
	lkick(1);
	turn();
	tap_ok(status() & VIRTIO_STATUS_NEEDS_RESET, "avail index far ahead: NEEDS_RESET");

	bring_up(a_features() | BIT(VIRTIO_NET_F_MRG_RXBUF), 3);
	add_chain(&dq[0], (struct seg[]){ { RX_GPA, 1600, false } }, 1);
	lkick(0);
	turn();
	{
		uint8_t f[60];

		make_frame(f, MAC, 60, 0);
		tap_ok(inject(NULL, f, 60) == -ENOSPC && (status() & VIRTIO_STATUS_NEEDS_RESET),
		       "rx chain with nothing writable: NEEDS_RESET, frame dropped");
		bring_up(a_features() | BIT(VIRTIO_NET_F_MRG_RXBUF), 3);
		rx_post(0, RX_GPA, 8);
		lkick(0);
		turn();
		tap_ok(inject(NULL, f, 60) == -ENOSPC && (status() & VIRTIO_STATUS_NEEDS_RESET),
		       "MRG_RXBUF, an 8-byte rx buffer (5.1.6.3.1): NEEDS_RESET");
	}
	/* An indirect table (2.7.5.3) whose entry chains to itself. */
	bring_up(a_features(), 3);
	g64(TX_GPA + 0x800, TX_GPA);
	g32(TX_GPA + 0x808, 72);
	g16(TX_GPA + 0x80c, VIRTQ_DESC_F_NEXT);
	g16(TX_GPA + 0x80e, 0);
	d = add_chain(&dq[1], (struct seg[]){ { TX_GPA + 0x800, 16, false } }, 1);
	g16(dq[1].desc + 16ull * d + 12, VIRTQ_DESC_F_INDIRECT);
	lkick(1);
	turn();
	tap_ok((status() & VIRTIO_STATUS_NEEDS_RESET) && cbe->nsend == 0,
	       "indirect table looping on itself: NEEDS_RESET");
	/* A receive buffer outside RAM. */
	bring_up(a_features(), 3);
	add_chain(&dq[0], (struct seg[]){ { RAM_SIZE + 0x1000, 1600, true } }, 1);
	lkick(0);
	turn();
	{
		uint8_t f[60];

		make_frame(f, MAC, 60, 0);
		tap_ok(inject(NULL, f, 60) == -ENOSPC && (status() & VIRTIO_STATUS_NEEDS_RESET),
		       "rx buffer outside RAM: NEEDS_RESET, frame dropped");
	}
	bring_up(a_features(), 3);
	tx_simple(1, TX_GPA, 60, 0);
	lkick(1);
	turn();
	tap_ok(cbe->nrec == 1 && drain_used(&dq[1]) == 1,
	       "after a reset the device works again");
	fake_clear(cbe);
}

/* 2.7.7 / 2.7.10: the driver's interrupt suppression is honoured. */
static void test_suppress(void)
{
	int m;

	bring_up(a_features(), 3);
	g16(dq[1].avail, VIRTQ_AVAIL_F_NO_INTERRUPT);
	m = nmsi;
	tx_simple(1, TX_GPA, 60, 0);
	lkick(1);
	turn();
	tap_ok(cbe->nrec == 1 && drain_used(&dq[1]) == 1 && nmsi == m,
	       "VIRTQ_AVAIL_F_NO_INTERRUPT: frame sent, no interrupt");
	g16(dq[1].avail, 0);
	tx_simple(1, TX_GPA, 60, 0);
	lkick(1);
	turn();
	tap_ok(drain_used(&dq[1]) == 1 && nmsi == m + 1, "  flag cleared: an interrupt");

	bring_up(a_features() | BIT(VIRTIO_F_EVENT_IDX), 3);
	m = nmsi;
	tx_simple(1, TX_GPA, 60, 0);
	lkick(1);
	turn();
	tap_ok(drain_used(&dq[1]) == 1 && nmsi == m + 1, "EVENT_IDX: the first used buffer interrupts");
	g16(dq[1].avail + 4 + 2 * QSZ, 2);	/* used_event: after used index 2 */
	tx_simple(1, TX_GPA, 60, 0);
	lkick(1);
	turn();
	tap_ok(drain_used(&dq[1]) == 1 && nmsi == m + 1, "  used_event 2, used idx 1 -> 2: no interrupt");
	tx_simple(1, TX_GPA, 60, 0);
	lkick(1);
	turn();
	tap_ok(drain_used(&dq[1]) == 1 && nmsi == m + 2, "  used idx 2 -> 3: an interrupt");
	tap_ok(gr16(dq[1].used + 4 + 8 * QSZ) == 3, "  avail_event asks for the next buffer");
	fake_clear(cbe);
}

static void inject_one(void *opaque)
{
	uint8_t f[100];

	make_frame(f, MAC, sizeof(f), 0);
	*(long *)opaque += inject(NULL, f, sizeof(f)) == (long)sizeof(f);
}

/* Waits up to 5 s for `q`'s used index to reach `want`. */
static bool wait_used(struct dq *q, uint16_t want)
{
	struct timespec ts = { 0, 1000000 };
	int i;

	for (i = 0; i < 5000; i++) {
		if (__atomic_load_n((uint16_t *)(void *)(mem.base + q->used + 2),
				    __ATOMIC_ACQUIRE) == want)
			return true;
		nanosleep(&ts, NULL);
	}
	return false;
}

/* The I/O loop in its own thread, this thread as the vCPU. */
static void test_threaded(void)
{
	struct virtio_net_stats s0;
	uint64_t bytes = 0;
	uint16_t used;
	long got = 0;
	bool ok = true;
	unsigned b, j;

	bring_up(a_features() | BIT(VIRTIO_F_EVENT_IDX), 3);
	fake_clear(cbe);
	s0 = stats();
	used = gr16(dq[1].used + 2);
	if (ioloop_start(loop, "net-test")) {
		tap_ok(0, "ioloop_start");
		return;
	}
	for (b = 0; b < 8 && ok; b++) {
		for (j = 0; j < 32; j++) {
			tx_simple(1, TX_GPA + 0x800ull * j, 60 + j, j);
			bytes += 60 + j;
		}
		lkick(1);
		used = (uint16_t)(used + 32);
		ok = wait_used(&dq[1], used);
	}
	for (j = 0; j < 32; j++)
		rx_post(0, RX_GPA + 0x800ull * j, 1600);
	lkick(0);
	/* Frames come from the I/O thread, as a back end's would. */
	for (j = 0; j < 32; j++)
		ioloop_call_sync(loop, inject_one, &got);
	virtio_net_stop(&nb);
	ioloop_stop(loop);
	tap_ok(ok && cbe->nsend == 256 && stats().tx_packets == s0.tx_packets + 256 &&
	       stats().tx_bytes == s0.tx_bytes + bytes,
	       "I/O thread running: 256 frames in 8 kicks of 32, all sent, counted");
	tap_ok(got == 32 && stats().rx_packets == s0.rx_packets + 32 && drain_used(&dq[0]) == 32,
	       "  32 frames received from the I/O thread into 32 buffers");
	drain_used(&dq[1]);
	fake_clear(cbe);
}

/* --- device B: offloads, MTU, two queue pairs --- */

static uint64_t b_features(void)
{
	return VER1 | BIT(VIRTIO_NET_F_MAC) | BIT(VIRTIO_NET_F_STATUS) |
	       BIT(VIRTIO_NET_F_CTRL_VQ) | BIT(VIRTIO_NET_F_CTRL_RX) | BIT(VIRTIO_NET_F_MQ) |
	       BIT(VIRTIO_NET_F_MTU) | BIT(VIRTIO_NET_F_MRG_RXBUF) |
	       BIT(VIRTIO_NET_F_CSUM) | BIT(VIRTIO_NET_F_GUEST_CSUM) |
	       BIT(VIRTIO_NET_F_HOST_TSO4) | BIT(VIRTIO_NET_F_GUEST_TSO4) |
	       BIT(VIRTIO_NET_F_HOST_TSO6);
}

/* An Ethernet + IPv4 + TCP frame from a:pa to b:pb. */
static void tcp_frame(uint8_t *f, size_t len, uint32_t a, uint32_t b, uint16_t pa, uint16_t pb,
		      const uint8_t *dst)
{
	make_frame(f, dst, len, 0);
	memset(f + 14, 0, 40);
	f[14] = 0x45;
	f[23] = 6;
	memcpy(f + 26, &a, 4);
	memcpy(f + 30, &b, 4);
	f[34] = (uint8_t)(pa >> 8);
	f[35] = (uint8_t)pa;
	f[36] = (uint8_t)(pb >> 8);
	f[37] = (uint8_t)pb;
}

/*
 * Each pair sends on its own back-end queue, and a full one stalls only
 * its pair (net.h): pair 1's queue says -EAGAIN while pair 0 goes on;
 * tx_ready(1) lets pair 1's frames go, in order, on queue 1.
 */
static void test_b_tx_queues(void)
{
	struct virtio_net_stats s0 = stats();
	unsigned i, q1 = 0;

	fb.full_queues = 1u << 1;
	tx_simple(3, TX_GPA, 70, 1);
	tx_simple(3, TX_GPA + 0x1000, 71, 2);
	lkick(3);
	turn();
	tap_ok(fb.nsend == 1 && fb.nrec == 0 && drain_used(&dq[3]) == 0 &&
	       stats().tx_stalls == s0.tx_stalls + 1,
	       "back-end queue 1 full: transmitq2 stalls (one attempt, nothing used)");
	tx_simple(1, TX_GPA + 0x2000, 72, 3);
	lkick(1);
	turn();
	tap_ok(fb.nrec == 1 && fb.rec[0].queue == 0 && fb.rec[0].len == 72 &&
	       drain_used(&dq[1]) == 1,
	       "  transmitq1 still sends, on queue 0");
	lkick(3);
	turn();
	tap_ok(fb.nsend == 2, "  a kick of transmitq2 while its queue is full: no attempt");
	fb.be.peer->tx_ready(fb.be.peer_opaque, 0);
	turn();
	tap_ok(fb.nsend == 2 && fb.nrec == 1, "  tx_ready() of queue 0 does not restart it");
	fb.be.peer->tx_ready(fb.be.peer_opaque, 7);
	fb.be.peer->tx_ready(fb.be.peer_opaque, NET_MAX_TX_QUEUES + 1);
	turn();
	tap_ok(fb.nsend == 2, "  tx_ready() of queues it does not have (7, %u): ignored",
	       NET_MAX_TX_QUEUES + 1);
	fb.full_queues = 0;
	fb.be.peer->tx_ready(fb.be.peer_opaque, 1);
	turn();
	for (i = 1; i < fb.nrec; i++)
		q1 += fb.rec[i].queue == 1;
	tap_ok(fb.nrec == 3 && q1 == 2 && fb.rec[1].len == 70 && fb.rec[2].len == 71 &&
	       drain_used(&dq[3]) == 2,
	       "tx_ready(1): transmitq2's two frames go, in order, on queue 1");
	fake_clear(&fb);
}

static void test_b(uint8_t df_b, uint8_t df_a)
{
	struct virtio_net_hdr_v1 h;
	uint8_t f[3000], two[2] = { 2, 0 }, three[2] = { 3, 0 };
	uint32_t id, len;

	/* Only B answers at BAR_BASE now. */
	pthread_mutex_lock(&dev_lock);
	cfg_wr(df_a, PCI_COMMAND, 2, 0);
	map_bar(df_b);
	enable_msix(df_b, 6);
	pthread_mutex_unlock(&dev_lock);
	cur = &nb;
	cbe = &fb;
	tap_ok(lbar_rd(VIRTIO_PCI_DEVICE_OFF + 8, 2) == 2 &&
	       lbar_rd(VIRTIO_PCI_DEVICE_OFF + 10, 2) == 1500,
	       "device B: max_virtqueue_pairs 2, mtu 1500");
	tap_ok(bring_up(b_features(), 5) && fb.nset_off == 1 &&
	       fb.offloads_set == (NET_OFFLOAD_CSUM | NET_OFFLOAD_TSO4),
	       "after DRIVER_OK: set_rx_offloads(CSUM|TSO4), what the guest took");

	/* Good offloaded transmit: partial checksum + TSO4 of a 3000-byte frame. */
	tcp_frame(f, 3000, 0x0100000a, 0x0200000a, 1000, 80, OTHER);
	put_hdr(BIG_GPA, VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, 54, 1448, 34, 16);
	memcpy(mem.base + BIG_GPA + HDR, f, 3000);
	add_chain(&dq[1], (struct seg[]){ { BIG_GPA, HDR + 3000, false } }, 1);
	lkick(1);
	turn();
	tap_ok(fb.nrec == 1 && fb.rec[0].len == 3000 &&
	       fb.rec[0].hdr.flags == VIRTIO_NET_HDR_F_NEEDS_CSUM &&
	       fb.rec[0].hdr.gso_type == VIRTIO_NET_HDR_GSO_TCPV4 && fb.rec[0].hdr.gso_size == 1448 &&
	       fb.rec[0].hdr.csum_start == 34 && fb.rec[0].hdr.csum_offset == 16 &&
	       fb.rec[0].hdr.hdr_len == 54 && drain_used(&dq[1]) == 1,
	       "TSO4 + NEEDS_CSUM frame: passed with its header");
	tap_ok(tx_bad(VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 0, 0, 90, 9, 100),
	       "csum_start + csum_offset + 2 past the frame: dropped");
	tap_ok(tx_bad(VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, 54, 0, 34, 16, 2000),
	       "GSO with gso_size 0: dropped");
	tap_ok(tx_bad(VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_UDP, 42, 1472, 34, 6, 2000),
	       "GSO UDP (UFO not offered): dropped");
	tap_ok(tx_bad(VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4 | VIRTIO_NET_HDR_GSO_ECN,
		      54, 1448, 34, 16, 2000), "GSO with ECN, HOST_ECN not negotiated: dropped");
	tap_ok(tx_bad(0, 0, 0, 0, 0, 0, 1519), "a 1519-byte frame without GSO, MTU 1500: dropped");
	tap_ok(!tx_bad(0, 0, 0, 0, 0, 0, 1518), "  1518 bytes (MTU + Ethernet + VLAN): sent");

	/* Receive with the back end's header, merged buffers. */
	rx_post(0, RX_GPA, 2048);
	rx_post(0, RX_GPA + 0x1000, 2048);
	rx_post(0, RX_GPA + 0x2000, 2048);
	lkick(0);
	turn();
	tcp_frame(f, 3000, 0x0200000a, 0x0100000a, 80, 1000, MAC);
	h = (struct virtio_net_hdr_v1){ VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4,
					54, 1448, 34, 16, 0 };
	tap_ok(inject(&h, f, 3000) == 3000 && dq_used(&dq[0], &id, &len) == 1 && len == 2048 &&
	       dq_used(&dq[0], &id, &len) == 1 && len == HDR + 3000 - 2048,
	       "rx of a 3000-byte GSO frame with the back end's header: two buffers");
	memcpy(&h, mem.base + RX_GPA, sizeof(h));
	tap_ok(h.flags == VIRTIO_NET_HDR_F_NEEDS_CSUM && h.gso_type == VIRTIO_NET_HDR_GSO_TCPV4 &&
	       h.gso_size == 1448 && h.num_buffers == 2, "  header passed on, num_buffers 2");
	h = (struct virtio_net_hdr_v1){ VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV6,
					74, 1428, 54, 16, 0 };
	tap_ok(inject(&h, f, 3000) == 3000 && !dq_used(&dq[0], &id, &len) && stats().rx_errors == 1,
	       "a TCPV6 GSO frame the guest did not take (GUEST_TSO6): dropped, rx_errors");
	h = (struct virtio_net_hdr_v1){ 0, 0, 0, 0, 0, 0, 0 };
	tap_ok(inject(&h, f, 1519) == 1519 && !dq_used(&dq[0], &id, &len) && stats().rx_errors == 2,
	       "a 1519-byte frame without GSO over MTU 1500: dropped");

	/* Multiqueue: the control queue is 4 (2N) with MQ. */
	tap_ok(ctrl(4, VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, three, 2) ==
	       VIRTIO_NET_ERR && ctrl(4, VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET,
				      "\0\0", 2) == VIRTIO_NET_ERR,
	       "VQ_PAIRS_SET 3 and 0 with 2 pairs: ERR (5.1.6.5.6)");
	tap_ok(ctrl(4, VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, two, 2) == VIRTIO_NET_OK,
	       "VQ_PAIRS_SET 2: OK");
	fake_clear(&fb);
	/* Transmit a flow on txq2 (queue 3); its answers come to rxq2 (queue 2). */
	tcp_frame(f, 80, 0x0100000a, 0x0200000a, 1234, 443, OTHER);
	put_hdr(TX_GPA, 0, 0, 0, 0, 0, 0);
	memcpy(mem.base + TX_GPA + HDR, f, 80);
	add_chain(&dq[3], (struct seg[]){ { TX_GPA, HDR + 80, false } }, 1);
	lkick(3);
	turn();
	tap_ok(fb.nrec == 1 && drain_used(&dq[3]) == 1 && fb.rec[0].queue == 1,
	       "tx on transmitq2 goes out on the back end's queue 1 (%u)", fb.rec[0].queue);
	rx_post(0, RX_GPA, 2048);
	rx_post(2, RX_GPA + 0x4000, 2048);
	lkick(0);
	lkick(2);
	turn();
	tcp_frame(f, 80, 0x0200000a, 0x0100000a, 443, 1234, MAC);
	tap_ok(inject(NULL, f, 80) == 80 && dq_used(&dq[2], &id, &len) == 1 &&
	       !dq_used(&dq[0], &id, &len), "the flow's answer lands on receiveq2 (5.1.6.5.6.1)");
	tcp_frame(f, 80, 0x0300000a, 0x0100000a, 443, 999, MAC);
	tap_ok(inject(NULL, f, 80) == 80 && dq_used(&dq[0], &id, &len) == 1,
	       "an unknown flow lands on receiveq1");
	fake_clear(&fb);
	test_b_tx_queues();
}

/* --- save and restore --- */

static struct fake_be fd, fe;
static struct virtio_net nd, ne;
static struct pci_bus bus2, bus3;
static const uint8_t THIRD[6] = { 0x52, 0x54, 0x00, 0x77, 0x77, 0x77 };

/* In send(): the host tries to save (the device lock is free). */
static int save_in_send_ret;

static void save_in_send(struct fake_be *f)
{
	struct state_writer w;

	(void)f;
	state_writer_init(&w);
	pthread_mutex_lock(&dev_lock);
	save_in_send_ret = virtio_net_save(cur, &w);
	pthread_mutex_unlock(&dev_lock);
	state_writer_free(&w);
}

/* A fresh NIC like B (2 pairs, MTU 1500) at 04.0 on bus b, over a fresh back end f. */
static void fresh(struct virtio_net *n, struct pci_bus *b, struct fake_be *f,
		  const uint8_t *mac)
{
	static const struct pci_bus_ops ops = { .msi = on_msi, .set_irq = on_irq };
	struct virtio_net_config c = { .queue_pairs = 2, .mtu = 1500 };

	memcpy(c.mac, mac, 6);
	fake_init(f, "tap", NET_OFFLOAD_CSUM | NET_OFFLOAD_TSO4 | NET_OFFLOAD_TSO6 |
		  NET_OFFLOAD_ECN, true);
	pci_bus_init(b, &ops, NULL);
	virtio_net_init(n, b, 4, &mem, &f->be, loop, &c, &net_ops, NULL);
}

/* Is NIC n as virtio_net_init() left it? */
static bool pristine(const struct virtio_net *n)
{
	static const struct virtio_net_stats zero;
	unsigned i;

	for (i = 0; i < VIRTIO_NET_FLOWS; i++)
		if (n->flow_q[i])
			return false;
	return n->vp.status == 0 && pci_bar_addr(&n->vp.pci, 0) == 0 &&
	       !n->vp.q[0].vq.enabled && n->vp.guest_features == 0 && n->link_up &&
	       n->promisc && !n->allmulti && !n->nr_uni && n->curr_pairs == 1 &&
	       !n->q[0].notify && !memcmp(&n->stats, &zero, sizeof(zero));
}

/* Loads buf[0 .. len) into a fresh NIC E with MAC mac: 0 if refused and E untouched. */
static int refused(const uint8_t *buf, size_t len, const uint8_t *mac, struct state_reader *r)
{
	int ret;

	fresh(&ne, &bus3, &fe, mac);
	state_reader_init(r, buf, len);
	pthread_mutex_lock(&dev_lock);
	ret = virtio_net_load(&ne, r);
	pthread_mutex_unlock(&dev_lock);
	if (!ret) {
		turn();		/* its bottom halves run before the next init */
		return -1;
	}
	return ret < 0 && state_reader_msg(r)[0] && pristine(&ne) ? 0 : -1;
}

/*
 * A copy of the state with byte `off` of the virtio-net payload set to
 * `v` and the section's CRC made good again: only the NIC's own checks
 * stand between it and the device.
 */
static uint8_t *patched(const uint8_t *buf, size_t len, size_t off, uint8_t v)
{
	static const char name[] = "\012virtio-net";
	uint8_t *c = malloc(len);
	const uint8_t *at = memmem(buf, len, name, sizeof(name) - 1);
	size_t start = (size_t)(at - buf), hdr = sizeof(name) - 1 + 12, plen;
	uint32_t crc;

	memcpy(c, buf, len);
	if (!at)
		return c;
	plen = (uint32_t)c[start + hdr - 4] | (uint32_t)c[start + hdr - 3] << 8 |
	       (uint32_t)c[start + hdr - 2] << 16 | (uint32_t)c[start + hdr - 1] << 24;
	c[start + hdr + off] = v;
	crc = state_crc32(0, c + start, hdr + plen);
	memcpy(c + start + hdr + plen, &crc, 4);
	return c;
}

/* Posts one receive buffer on queue q; returns its head. */
static uint16_t rx_post_h(unsigned q, uint64_t gpa, uint32_t len)
{
	uint16_t head = dq[q].next_desc % dq[q].size;

	rx_post(q, gpa, len);
	return head;
}

/*
 * B in a state worth keeping (mid-ring in every direction, a transmit
 * stalled by a full back end, merged receive buffers half used, not
 * promiscuous with a MAC table, two pairs with a known flow, link down,
 * an rx interrupt owed across the stop), saved, and loaded into a fresh
 * NIC over a fresh back end plugged into B's slot.
 */
static void test_save_restore(uint8_t df)
{
	struct virtio_net_stats s0, s1;
	struct virtio_net_hdr_v1 h;
	struct state_writer w;
	struct state_reader r;
	uint8_t table[4 + 6 + 4], f[1500], exp[1500], off = 0, on = 1, *c;
	uint16_t tx_head, tx_used, rx_used, p2, p3, p4, q2h, q0_used, q2_used;
	uint32_t id, len, id2, len2;
	const uint8_t *buf;
	size_t slen, n, bad = 0;
	int err, ret, nmsi0;

	memset(table, 0, sizeof(table));
	table[0] = 1;
	memcpy(table + 4, OTHER, 6);
	tap_ok(ctrl(4, VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_PROMISC, &off, 1) == VIRTIO_NET_OK &&
	       ctrl(4, VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_ALLMULTI, &on, 1) == VIRTIO_NET_OK &&
	       ctrl(4, VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_TABLE_SET, table, sizeof(table)) ==
	       VIRTIO_NET_OK && nb.curr_pairs == 2,
	       "save: B not promiscuous, ALLMULTI, MAC table { OTHER }, 2 pairs in use");

	/* Transmit: one frame while the host tries to save, then one the back end refuses. */
	cbe->in_send = save_in_send;
	tx_simple(1, TX_GPA, 100, 1);
	lkick(1);
	turn();
	tap_ok(save_in_send_ret == -EBUSY && fb.nrec == 1 && drain_used(&dq[1]) == 1,
	       "save: refused (-EBUSY) while a frame is in send(); the frame goes on");
	fb.full = true;
	tx_head = dq[1].next_desc % dq[1].size;
	tx_simple(1, TX_GPA + 0x1000, 200, 2);
	lkick(1);
	turn();
	tx_used = gr16(dq[1].used + 2);
	tap_ok(fb.nrec == 1 && !dq_used(&dq[1], &id, &len) && nb.tx_blocked,
	       "save: a frame stalled by the full back end stays on transmitq1 (used %u)",
	       tx_used);

	/* Receive: use up what test_b left, then 4 x 1024 merged buffers, half taken. */
	make_frame(f, MAC, 60, 3);
	while (gr16(dq[0].used + 2) != dq[0].avail_idx && inject(NULL, f, 60) == 60)
		;
	drain_used(&dq[0]);
	rx_post_h(0, RX_GPA, 1024);
	rx_post_h(0, RX_GPA + 0x1000, 1024);
	p2 = rx_post_h(0, RX_GPA + 0x2000, 1024);
	p3 = rx_post_h(0, RX_GPA + 0x3000, 1024);
	lkick(0);
	turn();
	make_frame(f, MAC, 1500, 5);
	tap_ok(inject(NULL, f, 1500) == 1500 && dq_used(&dq[0], &id, &len) && len == 1024 &&
	       dq_used(&dq[0], &id, &len) && len == HDR + 1500 - 1024,
	       "save: a 1500-byte frame took 2 of 4 merged buffers");
	rx_used = gr16(dq[0].used + 2);
	nmsi0 = nmsi;
	virtio_net_set_link(&nb, false);
	tap_ok(nmsi == nmsi0 + 1 && lbar_rd(VIRTIO_PCI_DEVICE_OFF + 6, 2) == 0,
	       "save: link down, the driver told");
	/* Stopped before its rx interrupt went out: the interrupt stays owed. */
	nmsi0 = nmsi;
	virtio_net_stop(&nb);
	turn();
	tap_ok(nmsi == nmsi0 && nb.q[0].notify, "save: stopped with receiveq1's interrupt owed");

	s0 = stats();
	state_writer_init(&w);
	pthread_mutex_lock(&dev_lock);
	ret = virtio_net_save(&nb, &w);
	pthread_mutex_unlock(&dev_lock);
	buf = state_writer_data(&w, &slen, &err);
	tap_ok(ret == 0 && buf, "save: the stopped NIC saved (%zu bytes)", slen);
	if (!buf) {
		state_writer_free(&w);
		return;
	}

	/* Refusals, each into a fresh NIC E that must stay as it was. */
	tap_ok(refused(buf, slen, THIRD, &r) == 0 && state_reader_error(&r) == -EINVAL,
	       "load: a NIC with another MAC refuses it, untouched (%s)", state_reader_msg(&r));
	for (n = 0; n < slen; n++) {
		c = malloc(slen);
		memcpy(c, buf, slen);
		c[n] ^= 0x40;
		if (refused(c, slen, MAC, &r))
			bad++;
		free(c);
		/* An exact-size heap copy, so ASan sees any read past it. */
		c = malloc(n ? n : 1);
		memcpy(c, buf, n);
		if (refused(c, n, MAC, &r))
			bad++;
		free(c);
	}
	tap_ok(!bad, "load: every flipped byte and truncation (%zu) refused, NIC untouched",
	       slen);
	/* Payload: mac 0, N 6, mtu 8, link 10, ..., nr_uni 14, 1 MAC, curr_pairs 21, flows 23. */
	bad = 0;
	{
		static const struct { size_t off; uint8_t v; } bads[] = {
			{ 6, 3 }, { 8, 0 }, { 10, 2 }, { 14, 33 }, { 13, 1 },
			{ 21, 0 }, { 21, 3 }, { 23 + 77, 3 },
		};
		unsigned i;

		for (i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
			c = patched(buf, slen, bads[i].off, bads[i].v);
			if (refused(c, slen, MAC, &r) || state_reader_error(&r) != -EINVAL)
				bad++;
			else
				tap_diag("  %s", state_reader_msg(&r));
			free(c);
		}
	}
	tap_ok(!bad, "load: N, MTU, a bad bool, MAC table sizes, curr_pairs 0/3, a flow on "
	       "pair 3 refused (good CRC), untouched");

	/* The real thing: a fresh NIC over a fresh back end, in B's slot. */
	fresh(&nd, &bus2, &fd, MAC);
	state_reader_init(&r, buf, slen);
	pthread_mutex_lock(&dev_lock);
	ret = virtio_net_load(&nd, &r);
	pthread_mutex_unlock(&dev_lock);
	tap_ok(ret == 0 && state_reader_at_end(&r), "load: into a fresh NIC (%s)",
	       state_reader_msg(&r));
	bus.devs[df] = &nd.vp.pci;
	nd.vp.pci.bus = &bus;
	cur = &nd;
	cbe = &fd;
	s1 = stats();
	tap_ok(!memcmp(&s0, &s1, sizeof(s0)), "load: the counters carry on");
	tap_ok(status() == 0x0f && lbar_rd(VIRTIO_PCI_DEVICE_OFF, 4) == 0x12005452u &&
	       lbar_rd(VIRTIO_PCI_DEVICE_OFF + 4, 2) == 0x5634 &&
	       lbar_rd(VIRTIO_PCI_DEVICE_OFF + 6, 2) == 0 &&
	       lbar_rd(VIRTIO_PCI_DEVICE_OFF + 8, 2) == 2 &&
	       lbar_rd(VIRTIO_PCI_DEVICE_OFF + 10, 2) == 1500,
	       "load: DRIVER_OK; configuration: the MAC, link down, 2 pairs, MTU 1500");
	nmsi0 = nmsi;
	virtio_net_set_link(&nd, true);
	tap_ok(nmsi == nmsi0 + 1 && last_msi_data == 0x30 &&
	       lbar_rd(VIRTIO_PCI_DEVICE_OFF + 6, 2) == VIRTIO_NET_S_LINK_UP,
	       "load: the host brings the link up: a change, the config interrupt on vector 0");

	/* The loop: offloads told, the owed interrupt, the stalled frame sent. */
	nmsi0 = nmsi;
	turn();
	make_frame(exp, OTHER, 200, 2);
	tap_ok(fd.nset_off == 1 && fd.offloads_set == (NET_OFFLOAD_CSUM | NET_OFFLOAD_TSO4),
	       "load: the fresh back end is told the guest's offloads (CSUM|TSO4)");
	tap_ok(fd.nrec == 1 && fd.rec[0].len == 200 && !memcmp(fd.rec[0].data, exp, 200) &&
	       dq_used(&dq[1], &id, &len) && id == tx_head && gr16(dq[1].used + 2) == tx_used + 1,
	       "load: the stalled frame is sent without a new kick, used entry %u (head %u)",
	       tx_used, tx_head);
	tap_ok(!nd.q[0].notify && nmsi == nmsi0 + 2 && last_msi_data == 0x32,
	       "load: receiveq1's owed interrupt raised, then transmitq1's (vectors 1, 2)");
	tx_head = dq[1].next_desc % dq[1].size;
	tx_simple(1, TX_GPA + 0x2000, 300, 6);
	lkick(1);
	turn();
	make_frame(exp, OTHER, 300, 6);
	tap_ok(fd.nrec == 2 && fd.rec[1].len == 300 && !memcmp(fd.rec[1].data, exp, 300) &&
	       dq_used(&dq[1], &id, &len) && id == tx_head && gr16(dq[1].used + 2) == tx_used + 2,
	       "load: the next frame comes from the next available entry");

	/* Receive: filtering as before, the rest of the merged buffers. */
	make_frame(f, THIRD, 1500, 7);
	tap_ok(inject(NULL, f, 1500) == 1500 && gr16(dq[0].used + 2) == rx_used &&
	       stats().rx_filtered == s0.rx_filtered + 1,
	       "load: not promiscuous: a frame for a MAC outside the table is filtered");
	make_frame(f, OTHER, 1500, 8);
	nmsi0 = nmsi;
	ret = (int)inject(NULL, f, 1500);
	turn();
	tap_ok(ret == 1500 && dq_used(&dq[0], &id, &len) && id == p2 && len == 1024 &&
	       dq_used(&dq[0], &id2, &len2) && id2 == p3 && len2 == HDR + 1500 - 1024 &&
	       gr16(dq[0].used + 2) == (uint16_t)(rx_used + 2) && nmsi == nmsi0 + 1 &&
	       last_msi_data == 0x31,
	       "load: a frame for the table's MAC lands in the next 2 posted buffers "
	       "(heads %u, %u), used %u, vector 1", p2, p3, rx_used + 2);
	memcpy(&h, mem.base + RX_GPA + 0x2000, sizeof(h));
	tap_ok(h.num_buffers == 2 && !memcmp(mem.base + RX_GPA + 0x2000 + HDR, f, 1024 - HDR) &&
	       !memcmp(mem.base + RX_GPA + 0x3000, f + 1024 - HDR, 1500 - (1024 - HDR)),
	       "load: ... num_buffers 2, the frame across them");

	/* Steering: the flow test_b sent on transmitq2 still answers on receiveq2. */
	p4 = rx_post_h(0, RX_GPA + 0x4000, 2048);
	q2h = rx_post_h(2, RX_GPA + 0x5000, 2048);
	lkick(0);
	lkick(2);
	turn();
	q0_used = gr16(dq[0].used + 2);
	q2_used = gr16(dq[2].used + 2);
	tcp_frame(f, 80, 0x0200000a, 0x0100000a, 443, 1234, MAC);
	tap_ok(inject(NULL, f, 80) == 80 && gr16(dq[0].used + 2) == q0_used &&
	       dq_used(&dq[2], &id, &len) && id == q2h && gr16(dq[2].used + 2) == q2_used + 1,
	       "load: the known flow's answer lands on receiveq2 (curr_pairs 2, flow table)");
	tcp_frame(f, 80, 0x0300000a, 0x0100000a, 443, 999, MAC);
	tap_ok(inject(NULL, f, 80) == 80 && dq_used(&dq[0], &id, &len) && id == p4,
	       "load: an unknown flow lands on receiveq1");
	drain_used(&dq[0]);
	drain_used(&dq[2]);

	/* B's slot back to B (stopped); the fresh NICs go. */
	bus.devs[df] = &nb.vp.pci;
	cur = &nb;
	cbe = &fb;
	fb.full = false;
	fake_clear(&fb);
	virtio_net_stop(&nd);
	virtio_net_stop(&ne);
	net_backend_destroy(&fd.be);
	net_backend_destroy(&fe.be);
	virtio_net_destroy(&nd);
	virtio_net_destroy(&ne);
	state_writer_free(&w);
}

int main(void)
{
	struct virtio_net_config ca = { .queue_pairs = 1 }, cb = { .queue_pairs = 2, .mtu = 1500 };
	int df_a, df_b, df_c;

	bus_setup();
	if (ioloop_create(&loop)) {
		tap_ok(0, "ioloop_create");
		return tap_done();
	}
	memcpy(ca.mac, MAC, 6);
	memcpy(cb.mac, MAC, 6);
	fake_init(&fa, "user", 0, false);
	fake_init(&fb, "tap", NET_OFFLOAD_CSUM | NET_OFFLOAD_TSO4 | NET_OFFLOAD_TSO6 |
		  NET_OFFLOAD_ECN, true);
	fake_init(&fc, "odd", NET_OFFLOAD_CSUM | NET_OFFLOAD_TSO4, false);
	ca.queue_pairs = 0;
	tap_ok(virtio_net_init(&na, &bus, 3, &mem, &fa.be, loop, &ca, &net_ops, NULL) == -EINVAL,
	       "0 queue pairs: -EINVAL");
	ca.queue_pairs = VIRTIO_NET_MAX_PAIRS + 1;
	tap_ok(virtio_net_init(&na, &bus, 3, &mem, &fa.be, loop, &ca, &net_ops, NULL) == -EINVAL,
	       "%u queue pairs: -EINVAL", VIRTIO_NET_MAX_PAIRS + 1);
	ca.queue_pairs = 1;
	fa.be.tx_queues = 0;
	tap_ok(virtio_net_init(&na, &bus, 3, &mem, &fa.be, loop, &ca, &net_ops, NULL) == -EINVAL,
	       "a back end with no transmit queue: -EINVAL");
	fa.be.tx_queues = NET_MAX_TX_QUEUES + 1;
	tap_ok(virtio_net_init(&na, &bus, 3, &mem, &fa.be, loop, &ca, &net_ops, NULL) == -EINVAL,
	       "a back end with %u transmit queues: -EINVAL", NET_MAX_TX_QUEUES + 1);
	fa.be.tx_queues = 1;
	df_a = virtio_net_init(&na, &bus, 3, &mem, &fa.be, loop, &ca, &net_ops, NULL);
	tap_ok(df_a == PCI_DEVFN(3, 0) && fa.be.peer && fa.be.peer_opaque == &na,
	       "virtio-net at 03.0, the back end attached");
	df_b = virtio_net_init(&nb, &bus, 4, &mem, &fb.be, loop, &cb, &net_ops, NULL);
	df_c = virtio_net_init(&nc, &bus, 5, &mem, &fc.be, loop, &ca, &net_ops, NULL);
	tap_ok(df_b == PCI_DEVFN(4, 0) && df_c == PCI_DEVFN(5, 0), "two more at 04.0 and 05.0");
	tap_ok(cfg_rd((uint8_t)df_a, 0, 4) == (0x1041u << 16 | 0x1af4) &&
	       cfg_rd((uint8_t)df_a, 8, 4) >> 8 == VIRTIO_PCI_CLASS_NET,
	       "id 1af4:1041 (4.1.2: 0x1040 + 1), class Ethernet");
	tap_ok(find_vcap((uint8_t)df_a, VIRTIO_PCI_CAP_DEVICE_CFG) != 0,
	       "device configuration capability");
	(void)dq_add;
	cur = &na;
	cbe = &fa;

	pthread_mutex_lock(&dev_lock);
	map_bar((uint8_t)df_a);
	enable_msix((uint8_t)df_a, 4);
	pthread_mutex_unlock(&dev_lock);
	tap_ok(lbar_rd(COMMON(VIRTIO_PCI_COMMON_NUMQ), 2) == 3, "3 queues: rx, tx, control");
	pthread_mutex_lock(&dev_lock);
	test_features();
	pthread_mutex_unlock(&dev_lock);
	test_config();
	tap_ok(bring_up(a_features(), 3) && fa.nset_off == 1 && fa.offloads_set == 0,
	       "driver up without offloads: set_rx_offloads(0)");
	test_tx();
	test_tx_bad_a();
	test_eagain();
	test_rx_single();
	test_link();
	test_ctrl_filter();
	test_reentry_reset();
	bring_up(a_features() | BIT(VIRTIO_NET_F_MRG_RXBUF), 3);
	test_rx_merged();
	test_rx_lent();
	test_hostile();
	test_suppress();
	test_b((uint8_t)df_b, (uint8_t)df_a);
	test_save_restore((uint8_t)df_b);

	/* Stop: nothing taken afterwards in either direction. */
	cur = &na;
	cbe = &fa;
	pthread_mutex_lock(&dev_lock);
	cfg_wr((uint8_t)df_b, PCI_COMMAND, 2, 0);
	map_bar((uint8_t)df_a);
	pthread_mutex_unlock(&dev_lock);
	test_threaded();
	bring_up(a_features(), 3);
	rx_post(0, RX_GPA, 1600);
	lkick(0);
	turn();
	virtio_net_stop(&na);
	tx_simple(1, TX_GPA, 60, 0);
	lkick(1);
	turn();
	{
		uint8_t f[60];

		make_frame(f, MAC, 60, 0);
		tap_ok(fa.nsend == 0 && inject(NULL, f, 60) == -ENOSPC &&
		       !fa.be.peer->can_receive(fa.be.peer_opaque, 60),
		       "stopped: nothing sent, nothing received");
	}
	virtio_net_stop(&nb);
	virtio_net_stop(&nc);
	net_backend_destroy(&fa.be);
	net_backend_destroy(&fb.be);
	net_backend_destroy(&fc.be);
	virtio_net_destroy(&na);
	virtio_net_destroy(&nb);
	virtio_net_destroy(&nc);
	ioloop_destroy(loop);
	free(mem.base);
	return tap_done();
}
