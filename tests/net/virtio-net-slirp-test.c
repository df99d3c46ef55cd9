// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * virtio-net-slirp-test.c - the NIC (monitor/devices/virtio-net.c) over
 * the real user-mode back end (monitor/net/slirp.c), both on one I/O
 * loop turned by hand, driven by the fake guest driver of the device
 * tests: the features slirp gets (no offloads), a DHCP DISCOVER sent
 * through the transmit ring answered by an OFFER on the receive ring, an
 * ARP for the gateway answered, and a burst larger than slirp's staging
 * area: -EAGAIN, tx_ready() and every frame taken in the end.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "devices/pci.h"
#include "devices/virtio-net.h"
#include "net/options.h"
#include "net/slirp.h"

/* --- a small virtio-pci driver over a fake guest (shared by the virtio tests) --- */
#include "virtio-driver.h"
}
/* --- end of the driver --- */

#define BIT(b)		(1ull << (b))
#define HDR		VIRTIO_NET_HDR_LEN
#define RX_GPA		0x200000ull	/* 32 receive buffers of 2 KiB */
#define TX_GPA		0x300000ull
#define BIG_GPA		0x310000ull	/* one 64 KiB frame, sent many times */

static const uint8_t MAC[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

static struct ioloop *loop;
static pthread_mutex_t dev_lock = PTHREAD_MUTEX_INITIALIZER;
static struct virtio_net nic;
static struct net_backend *be;
static struct dq q[3];

static void dlock(void *o)
{
	(void)o;
	pthread_mutex_lock(&dev_lock);
}

static void dunlock(void *o)
{
	(void)o;
	pthread_mutex_unlock(&dev_lock);
}

static void lkick(unsigned n)
{
	pthread_mutex_lock(&dev_lock);
	kick(n);
	pthread_mutex_unlock(&dev_lock);
}

static void be16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static unsigned rd16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

/* RFC 1071 one's-complement sum, folded and inverted. */
static uint32_t sum16(const uint8_t *p, size_t len, uint32_t s)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		s += rd16(p + i);
	if (len & 1)
		s += (uint32_t)p[len - 1] << 8;
	return s;
}

static uint16_t finish(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* A DHCP DISCOVER (RFC 2131) from MAC, broadcast; returns the frame length. */
static size_t dhcp_discover(uint8_t *f)
{
	uint8_t *ip = f + 14, *udp = ip + 20, *b = udp + 8;
	size_t blen = 244;

	memset(f, 0, 14 + 20 + 8 + blen);
	memset(f, 0xff, 6);
	memcpy(f + 6, MAC, 6);
	be16(f + 12, 0x0800);
	b[0] = 1;			/* BOOTREQUEST */
	b[1] = 1;			/* Ethernet */
	b[2] = 6;
	b[4] = 0x5a;			/* xid */
	memcpy(b + 28, MAC, 6);
	b[236] = 99;			/* magic cookie 99.130.83.99 */
	b[237] = 130;
	b[238] = 83;
	b[239] = 99;
	b[240] = 53;			/* option 53, DHCPDISCOVER */
	b[241] = 1;
	b[242] = 1;
	b[243] = 255;
	be16(udp, 68);
	be16(udp + 2, 67);
	be16(udp + 4, (unsigned)(8 + blen));
	ip[0] = 0x45;
	be16(ip + 2, (unsigned)(28 + blen));
	ip[8] = 64;
	ip[9] = 17;
	memset(ip + 16, 0xff, 4);
	be16(ip + 10, finish(sum16(ip, 20, 0)));
	be16(udp + 6, finish(sum16(udp, 8 + blen, sum16(ip + 12, 8, 0) + 17 + 8 + (uint32_t)blen)));
	return 14 + 20 + 8 + blen;
}

/* An ARP request (RFC 826) for 10.0.2.2 from 10.0.2.15. */
static size_t arp_request(uint8_t *f)
{
	uint8_t *a = f + 14;

	memset(f, 0, 60);
	memset(f, 0xff, 6);
	memcpy(f + 6, MAC, 6);
	be16(f + 12, 0x0806);
	be16(a, 1);
	be16(a + 2, 0x0800);
	a[4] = 6;
	a[5] = 4;
	be16(a + 6, 1);
	memcpy(a + 8, MAC, 6);
	memcpy(a + 14, "\x0a\x00\x02\x0f", 4);
	memcpy(a + 24, "\x0a\x00\x02\x02", 4);
	return 60;
}

/* Transmits one frame built at TX_GPA + HDR (a zero header in front). */
static void send_frame(size_t len)
{
	memset(mem.base + TX_GPA, 0, HDR);
	dq_add(&q[1], TX_GPA, (uint32_t)(HDR + len), false);
	lkick(1);
}

/* Turns the loop until a received frame satisfies `match` (2 s at most). */
static const uint8_t *wait_rx(bool (*match)(const uint8_t *f, size_t len), uint32_t *flen)
{
	int64_t end = ioloop_now_ns() + 2000000000ll;
	uint32_t id, len;

	while (ioloop_now_ns() < end) {
		while (dq_used(&q[0], &id, &len)) {
			const uint8_t *f = mem.base + RX_GPA + 0x800ull * (id % 32) + HDR;

			/* The buffer goes back to the ring. */
			dq_add(&q[0], RX_GPA + 0x800ull * (id % 32), 0x800, true);
			lkick(0);
			if (len >= HDR && match(f, len - HDR)) {
				*flen = len - HDR;
				return f;
			}
		}
		ioloop_run_once(loop, 5);
	}
	return NULL;
}

static bool is_dhcp_offer(const uint8_t *f, size_t len)
{
	const uint8_t *udp = f + 34;

	return len >= 34 + 8 + 240 && rd16(f + 12) == 0x0800 && f[23] == 17 &&
	       rd16(udp) == 67 && rd16(udp + 2) == 68 && udp[8] == 2 &&
	       !memcmp(udp + 8 + 28, MAC, 6);
}

static bool is_arp_reply(const uint8_t *f, size_t len)
{
	return len >= 42 && rd16(f + 12) == 0x0806 && rd16(f + 20) == 2 &&
	       !memcmp(f + 28, "\x0a\x00\x02\x02", 4) && !memcmp(f, MAC, 6);
}

int main(void)
{
	static const struct virtio_net_ops ops = { .lock = dlock, .unlock = dunlock };
	struct virtio_net_config cfg = { .queue_pairs = 1 };
	struct virtio_net_stats st;
	struct net_options o;
	const uint8_t *f;
	char err[256] = "";
	uint64_t feats;
	uint32_t len, id;
	unsigned i, used;
	int df;

	bus_setup();
	(void)find_vcap;
	if (ioloop_create(&loop) || net_options_parse("user", &o, err, sizeof(err)) ||
	    net_slirp_create(loop, &o, &be, err, sizeof(err))) {
		tap_ok(0, "set-up: %s", err);
		return tap_done();
	}
	memcpy(cfg.mac, MAC, 6);
	df = virtio_net_init(&nic, &bus, 3, &mem, be, loop, &cfg, &ops, NULL);
	tap_ok(df >= 0 && be->peer, "virtio-net over slirp, attached");
	pthread_mutex_lock(&dev_lock);
	map_bar((uint8_t)df);
	feats = read_features();
	pthread_mutex_unlock(&dev_lock);
	tap_ok(!(feats & (BIT(VIRTIO_NET_F_CSUM) | BIT(VIRTIO_NET_F_GUEST_CSUM) |
			  BIT(VIRTIO_NET_F_HOST_TSO4) | BIT(VIRTIO_NET_F_GUEST_TSO4))) &&
	       (feats & BIT(VIRTIO_NET_F_MRG_RXBUF)),
	       "slirp has no offloads: no CSUM/TSO offered; MRG_RXBUF is");

	pthread_mutex_lock(&dev_lock);
	negotiate(BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_NET_F_MAC) | BIT(VIRTIO_NET_F_STATUS) |
		  BIT(VIRTIO_NET_F_MRG_RXBUF) | BIT(VIRTIO_NET_F_CTRL_VQ) |
		  BIT(VIRTIO_NET_F_CTRL_RX) | BIT(VIRTIO_F_EVENT_IDX));
	for (i = 0; i < 3; i++)
		setup_queue(&q[i], i, 64, VIRTIO_PCI_NO_VECTOR);
	driver_ok();
	for (i = 0; i < 32; i++)
		dq_add(&q[0], RX_GPA + 0x800ull * i, 0x800, true);
	pthread_mutex_unlock(&dev_lock);
	ioloop_run_once(loop, 0);

	send_frame(dhcp_discover(mem.base + TX_GPA + HDR));
	f = wait_rx(is_dhcp_offer, &len);
	tap_ok(f != NULL, "DHCP DISCOVER through the tx ring: an OFFER on the rx ring");
	if (f)
		tap_ok(!memcmp(f + 34 + 8 + 16, "\x0a\x00\x02\x0f", 4) &&
		       ((const struct virtio_net_hdr_v1 *)(f - HDR))->num_buffers == 1 &&
		       ((const struct virtio_net_hdr_v1 *)(f - HDR))->flags == 0,
		       "  yiaddr 10.0.2.15, a zeroed header with num_buffers 1");
	send_frame(arp_request(mem.base + TX_GPA + HDR));
	tap_ok(wait_rx(is_arp_reply, &len) != NULL, "ARP for the gateway 10.0.2.2: answered");

	/* 64 frames of 64 KiB: 4 MiB through a 256 KiB staging area. */
	memset(mem.base + BIG_GPA, 0, HDR);
	memcpy(mem.base + BIG_GPA + HDR, "\x52\x54\x00\x99\x99\x99", 6);
	memcpy(mem.base + BIG_GPA + HDR + 6, MAC, 6);
	be16(mem.base + BIG_GPA + HDR + 12, 0x88b5);	/* local experimental */
	while (dq_used(&q[1], &id, &len))
		;
	used = q[1].used_seen;
	for (i = 0; i < 64; i++)
		dq_add(&q[1], BIG_GPA, HDR + 65536, false);
	lkick(1);
	for (i = 0; i < 2000 && gr16(q[1].used + 2) != (uint16_t)(used + 64); i++)
		ioloop_run_once(loop, 5);
	virtio_net_get_stats(&nic, &st);
	tap_ok(gr16(q[1].used + 2) == (uint16_t)(used + 64) && st.tx_stalls > 0 &&
	       st.tx_packets == 66 && st.tx_dropped == 0,
	       "a 4 MiB burst: -EAGAIN %llu times, tx_ready() resumed it, all 64 frames taken",
	       (unsigned long long)st.tx_stalls);

	virtio_net_stop(&nic);
	net_backend_destroy(be);
	virtio_net_destroy(&nic);
	ioloop_destroy(loop);
	free(mem.base);
	return tap_done();
}
