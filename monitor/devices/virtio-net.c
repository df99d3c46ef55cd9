// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * devices/virtio-net.c - virtio network device (virtio 1.2 5.1; see
 * virtio-net.h for the features, the checks and the threading).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "le.h"
#include "devices/virtio-net.h"
#include "state/stream.h"

#define ETH_HLEN	14
#define VLAN_HLEN	4
#define PEEK_LEN	96	/* Ethernet + VLAN + IPv4 with options + ports */

enum qkind { Q_NONE, Q_RX, Q_TX, Q_CTRL };

static void lock(struct virtio_net *n)
{
	n->ops.lock(n->opaque);
}

static void unlock(struct virtio_net *n)
{
	n->ops.unlock(n->opaque);
}

static bool has(const struct virtio_net *n, unsigned bit)
{
	return virtio_pci_has_feature(&n->vp, bit);
}

/* 5.1.2: the control queue is 2N with MQ, 2 without; the rest are pairs. */
static enum qkind queue_kind(const struct virtio_net *n, unsigned q)
{
	unsigned pairs = has(n, VIRTIO_NET_F_MQ) ? n->max_pairs : 1;

	if (has(n, VIRTIO_NET_F_CTRL_VQ) && q == 2 * pairs)
		return Q_CTRL;
	if (q >= 2 * pairs)
		return Q_NONE;
	return q & 1 ? Q_TX : Q_RX;
}

/* A queue the I/O thread may use now (lock held). */
static struct virtq *live(struct virtio_net *n, unsigned q)
{
	if (n->stopped || n->resetting)
		return NULL;
	return virtio_pci_queue(&n->vp, q);
}

/* --- configuration (5.1.4) --------------------------------------------- */

static void net_cfg_read(void *opaque, uint32_t off, unsigned size, uint64_t *val)
{
	struct virtio_net *n = opaque;
	uint8_t cfg[VIRTIO_NET_CFG_LEN];
	unsigned i;

	memcpy(cfg, n->mac, 6);
	put_le(cfg + 6, n->link_up ? VIRTIO_NET_S_LINK_UP : 0, 2);
	put_le(cfg + 8, n->max_pairs, 2);
	put_le(cfg + 10, n->mtu, 2);
	*val = 0;
	for (i = 0; i < size && off + i < sizeof(cfg); i++)
		*val |= (uint64_t)cfg[off + i] << (8 * i);
}

/* The receive offloads the guest accepted (5.1.3: the GUEST_ bits). */
static unsigned guest_offloads(const struct virtio_net *n)
{
	unsigned o = 0;

	/* 5.1.3.1: every GUEST_ segmentation offload depends on GUEST_CSUM. */
	if (!has(n, VIRTIO_NET_F_GUEST_CSUM))
		return 0;
	o |= NET_OFFLOAD_CSUM;
	if (has(n, VIRTIO_NET_F_GUEST_TSO4))
		o |= NET_OFFLOAD_TSO4;
	if (has(n, VIRTIO_NET_F_GUEST_TSO6))
		o |= NET_OFFLOAD_TSO6;
	if (has(n, VIRTIO_NET_F_GUEST_UFO))
		o |= NET_OFFLOAD_UFO;
	if (has(n, VIRTIO_NET_F_GUEST_ECN))
		o |= NET_OFFLOAD_ECN;
	return o;
}

/* --- receive steering (5.1.6.5.6.1) ------------------------------------- */

/*
 * A hash of a TCP/UDP flow that is the same in both directions (the
 * addresses and the ports are each folded with XOR), so a frame received
 * finds the pair its flow last transmitted on.  false: not TCP/UDP.
 */
static bool flow_hash(const uint8_t *f, size_t len, unsigned *slot)
{
	size_t off = ETH_HLEN, l4, alen, i;
	unsigned type, proto;
	uint32_t x = 0, ports = 0;

	if (len < ETH_HLEN)
		return false;
	type = (unsigned)f[12] << 8 | f[13];
	if (type == 0x8100 && len >= ETH_HLEN + VLAN_HLEN) {
		type = (unsigned)f[16] << 8 | f[17];
		off += VLAN_HLEN;
	}
	if (type == 0x0800) {
		size_t ip = off;

		if (len < ip + 20 || (f[ip] & 15) < 5)
			return false;
		proto = f[ip + 9];
		l4 = ip + (f[ip] & 15u) * 4;
		/* A fragment other than the first carries no ports. */
		if ((f[ip + 6] & 0x1f) || f[ip + 7])
			l4 = SIZE_MAX;
		alen = 8;
		off = ip + 12;
	} else if (type == 0x86dd) {
		if (len < off + 40)
			return false;
		proto = f[off + 6];
		l4 = off + 40;
		alen = 32;
		off += 8;
	} else {
		return false;
	}
	if (proto != 6 && proto != 17)
		return false;
	for (i = 0; i < alen; i += 4)
		x ^= get_le(f + off + i, 4);
	if (l4 != SIZE_MAX && len >= l4 + 4)
		ports = get_le(f + l4, 2) ^ get_le(f + l4 + 2, 2);
	x = (x ^ ports * 0x9e3779b1u ^ proto) * 0x85ebca6bu;
	*slot = (x >> 24) & (VIRTIO_NET_FLOWS - 1);
	return true;
}

/* --- transmit (5.1.6.2) ------------------------------------------------- */

/* The iovec of bytes [start, start + len) of the chain's readable buffers. */
static int carve_out(const struct virtq_elem *e, uint64_t start, uint64_t len,
		     struct iovec *iov)
{
	unsigned i;
	int cnt = 0;

	for (i = 0; i < e->nr_out && len; i++) {
		uint64_t sl = e->seg[i].len;

		if (start >= sl) {
			start -= sl;
			continue;
		}
		iov[cnt].iov_base = e->seg[i].host + start;
		iov[cnt].iov_len = sl - start < len ? sl - start : len;
		len -= iov[cnt].iov_len;
		start = 0;
		cnt++;
	}
	return cnt;
}

/* Which HOST_ (tx) or GUEST_ (rx) feature a gso_type needs; -1: none allowed. */
static int gso_feature(uint8_t gso, bool tx)
{
	switch (gso & ~VIRTIO_NET_HDR_GSO_ECN) {
	case VIRTIO_NET_HDR_GSO_TCPV4:
		return tx ? VIRTIO_NET_F_HOST_TSO4 : VIRTIO_NET_F_GUEST_TSO4;
	case VIRTIO_NET_HDR_GSO_TCPV6:
		return tx ? VIRTIO_NET_F_HOST_TSO6 : VIRTIO_NET_F_GUEST_TSO6;
	case VIRTIO_NET_HDR_GSO_UDP:
		return tx ? VIRTIO_NET_F_HOST_UFO : VIRTIO_NET_F_GUEST_UFO;
	default:
		return -1;	/* UDP_L4 (USO) is never offered */
	}
}

/* Largest frame without GSO: the MTU (5.1.4.1) plus Ethernet and a VLAN tag. */
static uint64_t max_plain_frame(const struct virtio_net *n)
{
	if (n->mtu && has(n, VIRTIO_NET_F_MTU))
		return (uint64_t)n->mtu + ETH_HLEN + VLAN_HLEN;
	return NET_MAX_FRAME;
}

/*
 * 5.1.6.2.1: the driver's obligations, checked so the back end may trust
 * the header.  Cleans fields that mean nothing for this packet.
 */
static int tx_check(const struct virtio_net *n, struct virtio_net_hdr_v1 *h,
		    uint64_t flen)
{
	uint8_t base = h->gso_type & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN;
	int feat;

	if (flen < ETH_HLEN || flen > NET_MAX_FRAME)
		return -EINVAL;
	/*
	 * 5.1.6.2.2: the device ignores flag bits it does not act on
	 * (DATA_VALID and RSC_INFO are the device's, 5.1.6.2.1).  A partial
	 * checksum without CSUM negotiated cannot be completed: dropped.
	 */
	h->flags &= VIRTIO_NET_HDR_F_NEEDS_CSUM;
	if (h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
		if (!has(n, VIRTIO_NET_F_CSUM) ||
		    (uint64_t)h->csum_start + h->csum_offset + 2 > flen)
			return -EINVAL;
	} else {
		h->csum_start = h->csum_offset = 0;
	}
	if (h->hdr_len > flen)
		return -EINVAL;
	if (base == VIRTIO_NET_HDR_GSO_NONE) {
		if (h->gso_type != VIRTIO_NET_HDR_GSO_NONE || flen > max_plain_frame(n))
			return -EINVAL;
		h->gso_size = 0;
	} else {
		/* 5.1.3.1: HOST_TSO4/TSO6/UFO depend on CSUM; ECN on HOST_ECN. */
		feat = gso_feature(h->gso_type, true);
		if (feat < 0 || !has(n, (unsigned)feat) || !has(n, VIRTIO_NET_F_CSUM) ||
		    !h->gso_size)
			return -EINVAL;
		if ((h->gso_type & VIRTIO_NET_HDR_GSO_ECN) && !has(n, VIRTIO_NET_F_HOST_ECN))
			return -EINVAL;
	}
	h->num_buffers = 0;
	return 0;
}

/* The back end's transmit queue for transmit queue `q` (pair q / 2). */
static unsigned tx_backend_queue(const struct virtio_net *n, unsigned q)
{
	return q / 2 % n->tx_queues;
}

static void tx_push(struct virtio_net *n, struct virtq *vq, unsigned q, uint16_t head)
{
	/* 5.1.6.2: nothing is written into a transmit chain. */
	if (!virtq_push(vq, head, 0))
		n->q[q].notify = true;
}

/* Remembers the pair a flow transmits on (only with several pairs). */
static void tx_steer(struct virtio_net *n, const struct virtq_elem *e, unsigned q,
		     uint64_t flen)
{
	uint8_t peek[PEEK_LEN];
	size_t len = flen < PEEK_LEN ? (size_t)flen : PEEK_LEN;
	unsigned slot;

	if (n->curr_pairs < 2)
		return;
	len = virtq_elem_from_guest(e, VIRTIO_NET_HDR_LEN, peek, len);
	if (flow_hash(peek, len, &slot))
		n->flow_q[slot] = (uint8_t)(q / 2 + 1);
}

enum tx_result { TX_DONE, TX_STALL, TX_ABORT };

/*
 * One popped chain (lock held; dropped around send()).  TX_STALL: the
 * chain went back on the ring; TX_ABORT: a reset or NEEDS_RESET came
 * while the lock was dropped, the queue is not ours any more.
 */
static enum tx_result tx_one(struct virtio_net *n, struct virtq *vq, unsigned q)
{
	struct virtq_elem *e = &n->tx_elem;
	unsigned bq = tx_backend_queue(n, q);
	struct virtio_net_hdr_v1 h;
	uint64_t flen;
	uint32_t seq;
	int cnt, ret;

	if (e->out_len < VIRTIO_NET_HDR_LEN) {
		n->stats.tx_errors++;
		tx_push(n, vq, q, e->head);
		return TX_DONE;
	}
	/* Copied out once: the driver may rewrite guest memory meanwhile. */
	virtq_elem_from_guest(e, 0, &h, sizeof(h));
	flen = e->out_len - VIRTIO_NET_HDR_LEN;
	if (tx_check(n, &h, flen)) {
		n->stats.tx_errors++;
		tx_push(n, vq, q, e->head);
		return TX_DONE;
	}
	if (!n->link_up) {
		n->stats.tx_dropped++;
		tx_push(n, vq, q, e->head);
		return TX_DONE;
	}
	tx_steer(n, e, q, flen);
	cnt = carve_out(e, VIRTIO_NET_HDR_LEN, flen, n->tx_iov);
	seq = n->tx_ready_seq[bq];
	n->sending = true;
	unlock(n);
	ret = net_backend_send(n->be, bq, &h, n->tx_iov, cnt);
	lock(n);
	n->sending = false;
	if (ret == 0) {
		n->stats.tx_packets++;
		n->stats.tx_bytes += flen;
	} else if (ret != -EAGAIN) {
		n->stats.tx_dropped++;
	}
	if (n->resetting) {
		/* 2.4.1: the reset waited for this send; it completes now. */
		n->resetting = false;
		virtio_pci_reset_done(&n->vp);
		return TX_ABORT;
	}
	if (virtio_pci_queue(&n->vp, q) != vq)
		return TX_ABORT;
	if (ret == -EAGAIN) {
		n->stats.tx_stalls++;
		virtq_unpop(vq);
		/* A tx_ready() from inside send() already said "go on". */
		if (seq == n->tx_ready_seq[bq])
			n->tx_blocked |= 1u << bq;
		return TX_STALL;
	}
	tx_push(n, vq, q, e->head);
	return TX_DONE;
}

static void tx_kick(struct virtio_net *n, unsigned q)
{
	struct virtq *vq = live(n, q);
	unsigned budget = vq ? vq->size : 0;
	uint32_t bit = 1u << tx_backend_queue(n, q);
	bool more = false;
	int r;

	/* One ring's worth per turn, so the other queues get theirs. */
	while (vq && !(n->tx_blocked & bit) && !n->stopped) {
		if (!budget--) {
			more = true;
			break;
		}
		r = virtq_pop(vq, &n->tx_elem);
		if (r != 1)
			break;		/* empty, or broken: NEEDS_RESET is set */
		switch (tx_one(n, vq, q)) {
		case TX_DONE:
		case TX_STALL:
			continue;
		case TX_ABORT:
			vq = NULL;
			break;
		}
	}
	if (more)
		ioloop_bh_schedule(n->loop, &n->q[q].kick);
	if (vq && n->q[q].notify) {
		n->q[q].notify = false;
		virtio_pci_notify_queue(&n->vp, q);
	}
}

/* --- receive (5.1.6.3, 5.1.6.4) ----------------------------------------- */

/*
 * A receive chain the driver had no right to post (5.1.6.3.1: nothing
 * writable, or with MRG_RXBUF smaller than the header): the device needs
 * a reset (2.1.2).
 */
static bool rx_chain_bad(struct virtio_net *n, const struct virtq_elem *e, bool mrg)
{
	if (e->nr_in && (!mrg || e->in_len >= VIRTIO_NET_HDR_LEN))
		return false;
	virtio_pci_needs_reset(&n->vp, "virtio-net receive buffer without room for the header");
	return true;
}

/*
 * Does receive queue `vq` hold room for a frame of `flen` bytes?  With
 * MRG_RXBUF the chains it would take are walked (popped, then given back)
 * so that a back end that can wait (tap holds the packet) is told no
 * rather than having a large GSO frame dropped; without it one chain is
 * what a frame gets, and one too small drops the frame (rx_fill()).
 * flen 0: any buffer at all.
 */
static bool rx_room(struct virtio_net *n, struct virtq *vq, size_t flen)
{
	uint64_t need = VIRTIO_NET_HDR_LEN + (uint64_t)flen, got = 0;
	unsigned k = 0, i;

	if (!virtq_has_avail(vq))
		return false;
	if (!flen || !has(n, VIRTIO_NET_F_MRG_RXBUF))
		return true;
	while (got < need && k < vq->size && virtq_pop(vq, &n->rx_elem) == 1) {
		if (rx_chain_bad(n, &n->rx_elem, true))
			return false;	/* NEEDS_RESET: the queue is dead */
		got += n->rx_elem.in_len;
		k++;
	}
	for (i = 0; i < k; i++)
		virtq_unpop(vq);
	return got >= need;
}

/* The active receive queue with room for a frame; -1 if none. */
static int rx_pick(struct virtio_net *n, const uint8_t *peek, size_t plen, size_t flen)
{
	unsigned slot, p, i;
	struct virtq *vq;

	if (n->curr_pairs > 1 && flow_hash(peek, plen, &slot) && n->flow_q[slot]) {
		p = n->flow_q[slot] - 1u;
		vq = p < n->curr_pairs ? live(n, 2 * p) : NULL;
		if (vq && rx_room(n, vq, flen))
			return (int)(2 * p);
	}
	for (i = 0; i < n->curr_pairs; i++) {
		vq = live(n, 2 * i);
		if (vq && rx_room(n, vq, flen))
			return (int)(2 * i);
	}
	return -1;
}

/* Receiving at all: driver ready, back end told the offloads, link up. */
static bool rx_open(struct virtio_net *n)
{
	return !n->stopped && !n->resetting && n->link_up && n->offloads_applied &&
	       live(n, 0);
}

/* Unicast filtering (5.1.6.5.1, 5.1.6.5.2); multicast always passes. */
static bool rx_accept(const struct virtio_net *n, const uint8_t *dst)
{
	unsigned i;

	if ((dst[0] & 1) || n->promisc || n->uni_overflow || !memcmp(dst, n->mac, 6))
		return true;
	for (i = 0; i < n->nr_uni; i++)
		if (!memcmp(dst, n->uni[i], 6))
			return true;
	return false;
}

/* 5.1.6.4.1: the header the guest gets, within what it negotiated. */
static int rx_header(const struct virtio_net *n, const struct virtio_net_hdr_v1 *in,
		     size_t flen, struct virtio_net_hdr_v1 *h)
{
	uint8_t base;
	int feat;

	memset(h, 0, sizeof(*h));
	if (in) {
		*h = *in;
		h->num_buffers = 0;
		if (!has(n, VIRTIO_NET_F_GUEST_CSUM)) {
			if (h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM)
				return -EINVAL;
			h->flags = 0;
		}
		h->flags &= VIRTIO_NET_HDR_F_NEEDS_CSUM | VIRTIO_NET_HDR_F_DATA_VALID;
		if ((h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) &&
		    (uint64_t)h->csum_start + h->csum_offset + 2 > flen)
			return -EINVAL;
		base = h->gso_type & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN;
		if (base != VIRTIO_NET_HDR_GSO_NONE) {
			feat = gso_feature(h->gso_type, false);
			if (feat < 0 || !has(n, (unsigned)feat))
				return -EINVAL;
			if ((h->gso_type & VIRTIO_NET_HDR_GSO_ECN) &&
			    !has(n, VIRTIO_NET_F_GUEST_ECN))
				return -EINVAL;
			return 0;
		}
		if (h->gso_type != VIRTIO_NET_HDR_GSO_NONE)
			return -EINVAL;
	}
	/* 5.1.6.4.1: nothing over the MTU without GSO, once MTU is negotiated. */
	return flen > max_plain_frame(n) ? -EINVAL : 0;
}

/* Reads a back end's iovec in order. */
struct iov_cursor {
	const struct iovec *iov;
	int cnt, i;
	size_t off;
};

static size_t cursor_copy(struct iov_cursor *c, uint8_t *dst, size_t len)
{
	size_t done = 0;

	while (done < len && c->i < c->cnt) {
		size_t avail = c->iov[c->i].iov_len - c->off, k = len - done;

		if (k > avail)
			k = avail;
		memcpy(dst + done, (const uint8_t *)c->iov[c->i].iov_base + c->off, k);
		done += k;
		c->off += k;
		if (c->off == c->iov[c->i].iov_len) {
			c->i++;
			c->off = 0;
		}
	}
	return done;
}

/* Up to `len` frame bytes into the chain's writable buffers from `off`. */
static size_t fill_elem(const struct virtq_elem *e, uint64_t off, struct iov_cursor *c,
			size_t len)
{
	size_t done = 0;
	unsigned i;

	for (i = e->nr_out; i < e->nr_out + e->nr_in && done < len; i++) {
		const struct virtq_seg *s = &e->seg[i];
		size_t k;

		if (off >= s->len) {
			off -= s->len;
			continue;
		}
		k = s->len - off;
		if (k > len - done)
			k = len - done;
		done += cursor_copy(c, s->host + off, k);
		off = 0;
	}
	return done;
}

/*
 * Puts one frame on receive queue `q` (lock held).  Returns 0, -ENOSPC (no
 * or too few buffers: nothing consumed), -EMSGSIZE (no MRG_RXBUF and the
 * first chain is too small: dropped, chain kept) or -EIO (bad ring).
 */
static int rx_fill(struct virtio_net *n, unsigned q, struct virtio_net_hdr_v1 *h,
		   const struct iovec *iov, int iovcnt, size_t flen)
{
	struct virtq *vq = live(n, q);
	struct iov_cursor c = { iov, iovcnt, 0, 0 };
	bool mrg = has(n, VIRTIO_NET_F_MRG_RXBUF);
	size_t left = flen, k;
	unsigned nb = 0, i;
	uint16_t num;
	int r;

	if (!vq)
		return -ENOSPC;
	r = virtq_pop(vq, &n->rx_first);
	if (r != 1)
		return r ? -EIO : -ENOSPC;
	if (rx_chain_bad(n, &n->rx_first, mrg))
		return -EIO;
	if (!mrg && n->rx_first.in_len < VIRTIO_NET_HDR_LEN + flen) {
		/* 5.1.6.4.1: one chain without MRG_RXBUF; this one is too small. */
		virtq_unpop(vq);
		return -EMSGSIZE;
	}
	/* 5.1.6.4.1: num_buffers is 1 without MRG_RXBUF. */
	h->num_buffers = 1;
	virtq_elem_to_guest(&n->rx_first, 0, h, VIRTIO_NET_HDR_LEN);
	k = fill_elem(&n->rx_first, VIRTIO_NET_HDR_LEN, &c, left);
	left -= k;
	n->rx_heads[0] = n->rx_first.head;
	n->rx_lens[0] = (uint32_t)(VIRTIO_NET_HDR_LEN + k);
	nb = 1;
	/* 5.1.6.4.2: MRG_RXBUF spreads the rest over further chains. */
	while (left) {
		if (nb == vq->size || nb == VIRTIO_NET_QUEUE_SIZE) {
			r = 0;
			goto undo;
		}
		r = virtq_pop(vq, &n->rx_elem);
		if (r != 1)
			goto undo;
		if (rx_chain_bad(n, &n->rx_elem, mrg))
			return -EIO;
		nb++;
		k = fill_elem(&n->rx_elem, 0, &c, left);
		left -= k;
		n->rx_heads[nb - 1] = n->rx_elem.head;
		n->rx_lens[nb - 1] = (uint32_t)k;
	}
	num = (uint16_t)nb;
	virtq_elem_to_guest(&n->rx_first, 10, &num, 2);
	/* One group on the used ring: the driver sees all num_buffers at once. */
	if (virtq_push_many(vq, n->rx_heads, n->rx_lens, nb))
		return -EIO;
	n->q[q].notify = true;
	ioloop_bh_schedule(n->loop, &n->rx_notify_bh);
	return 0;
undo:
	if (r < 0)
		return -EIO;
	/* Not enough buffers for the whole frame: give them all back. */
	for (i = 0; i < nb; i++)
		virtq_unpop(vq);
	return -ENOSPC;
}

static bool peer_can_receive(void *opaque, size_t len)
{
	struct virtio_net *n = opaque;
	bool ok;

	lock(n);
	ok = rx_open(n) && rx_pick(n, NULL, 0, len) >= 0;
	if (!ok)
		n->rx_waiting = true;
	unlock(n);
	return ok;
}

static long peer_receive(void *opaque, const struct virtio_net_hdr_v1 *hdr,
			 const struct iovec *iov, int iovcnt)
{
	struct virtio_net *n = opaque;
	struct virtio_net_hdr_v1 h;
	struct iov_cursor c = { iov, iovcnt, 0, 0 };
	uint8_t peek[PEEK_LEN];
	size_t flen = 0, plen;
	long ret;
	int i, q;

	for (i = 0; i < iovcnt; i++)
		flen += iov[i].iov_len;
	plen = cursor_copy(&c, peek, sizeof(peek));
	lock(n);
	if (!rx_open(n)) {
		n->stats.rx_dropped++;
		n->rx_waiting = true;
		ret = -ENOSPC;
		goto out;
	}
	/* A bad frame or header from the back end is consumed, not retried. */
	ret = (long)flen;
	if (flen < ETH_HLEN || flen > NET_MAX_FRAME || rx_header(n, hdr, flen, &h)) {
		n->stats.rx_errors++;
		goto out;
	}
	if (!rx_accept(n, peek)) {
		n->stats.rx_filtered++;
		goto out;
	}
	q = rx_pick(n, peek, plen, flen);
	switch (q < 0 ? -ENOSPC : rx_fill(n, (unsigned)q, &h, iov, iovcnt, flen)) {
	case 0:
		n->stats.rx_packets++;
		n->stats.rx_bytes += flen;
		break;
	case -EMSGSIZE:
		n->stats.rx_dropped++;
		break;
	default:	/* -ENOSPC, -EIO */
		n->stats.rx_dropped++;
		n->rx_waiting = true;
		ret = -ENOSPC;
		break;
	}
out:
	unlock(n);
	return ret;
}

static void peer_tx_ready(void *opaque, unsigned bq)
{
	struct virtio_net *n = opaque;
	unsigned i;

	/* Only a queue send() was given can be ready again. */
	if (bq >= n->tx_queues)
		return;
	lock(n);
	n->tx_ready_seq[bq]++;
	n->tx_blocked &= ~(1u << bq);
	/* The transmit queues that send through it (tx_backend_queue()). */
	for (i = 1; i < 2u * n->max_pairs; i += 2)
		if (tx_backend_queue(n, i) == bq)
			ioloop_bh_schedule(n->loop, &n->q[i].kick);
	unlock(n);
}

/* --- receive into lent chains (virtio-net.h; net.h, rx_borrow) ---------- */

/* Gives the last `k` chains popped off `vq` back to the ring. */
static void unpop_n(struct virtq *vq, unsigned k)
{
	while (k--)
		virtq_unpop(vq);
}

static int peer_rx_borrow(void *opaque, struct iovec *iov, int max, int *cnt)
{
	struct virtio_net *n = opaque;
	uint64_t need = VIRTIO_NET_HDR_LEN + (uint64_t)NET_MAX_FRAME, got = 0;
	struct virtq_elem *e = &n->rx_elem;
	struct virtq *vq;
	unsigned k = 0, i;
	int c = 0, ret = -ENOSPC;

	lock(n);
	/*
	 * One pair: the queue is known before the frame is (no steering);
	 * MRG_RXBUF: the frame takes only the chains it fills (5.1.6.4.2).
	 */
	if (!rx_open(n) || n->lending || n->curr_pairs != 1 ||
	    !has(n, VIRTIO_NET_F_MRG_RXBUF))
		goto out;
	vq = live(n, 0);
	while (got < need && k < vq->size && k < VIRTIO_NET_QUEUE_SIZE) {
		if (virtq_pop(vq, e) != 1)
			break;
		k++;
		/* NEEDS_RESET: the queue is dead, nothing to give back. */
		if (rx_chain_bad(n, e, true))
			goto out;
		if (e->nr_in > (unsigned)(max - c))
			break;
		for (i = e->nr_out; i < e->nr_out + e->nr_in; i++) {
			iov[c].iov_base = e->seg[i].host;
			iov[c].iov_len = e->seg[i].len;
			c++;
		}
		n->rx_heads[k - 1] = e->head;
		n->rx_lens[k - 1] = e->in_len < need ? (uint32_t)e->in_len : (uint32_t)need;
		got += e->in_len;
	}
	if (got < need) {
		unpop_n(vq, k);
		goto out;
	}
	n->lending = true;
	n->lent = (uint16_t)k;
	n->lent_vq = vq;
	*cnt = c;
	ret = 0;
out:
	unlock(n);
	return ret;
}

/* Writes `len` bytes at the start of an iovec. */
static void iov_put(const struct iovec *iov, int cnt, const void *buf, size_t len)
{
	const uint8_t *src = buf;
	int i;

	for (i = 0; i < cnt && len; i++) {
		size_t k = iov[i].iov_len < len ? iov[i].iov_len : len;

		memcpy(iov[i].iov_base, src, k);
		src += k;
		len -= k;
	}
}

static long peer_rx_commit(void *opaque, const struct iovec *iov, int cnt, long len)
{
	struct virtio_net *n = opaque;
	struct iov_cursor c = { iov, cnt, 0, 0 };
	struct virtio_net_hdr_v1 in, h;
	uint8_t dst[6];
	struct virtq *vq;
	unsigned k, nb;
	size_t flen, left;
	long ret;

	lock(n);
	if (!n->lending) {
		unlock(n);
		return -EINVAL;		/* no rx_borrow() before: a back end bug */
	}
	n->lending = false;
	k = n->lent;
	vq = n->lent_vq;
	if (n->resetting) {
		/* 2.4.1: the reset waited for these chains; it completes now. */
		n->resetting = false;
		virtio_pci_reset_done(&n->vp);
		ret = -ENOSPC;
		goto out;
	}
	/* NEEDS_RESET meanwhile: the queue is dead, its positions void. */
	if (virtio_pci_queue(&n->vp, 0) != vq) {
		ret = -ENOSPC;
		goto out;
	}
	/* Stopped meanwhile: given back whole, so a save keeps them the guest's. */
	if (n->stopped) {
		n->stats.rx_dropped++;
		ret = -ENOSPC;
		goto give_back;
	}
	ret = 0;
	if (len <= VIRTIO_NET_HDR_LEN)
		goto give_back;		/* nothing read (EAGAIN) or an empty frame */
	flen = (size_t)len - VIRTIO_NET_HDR_LEN;
	ret = len - VIRTIO_NET_HDR_LEN;
	/* Copied out once, then only the copies are used. */
	cursor_copy(&c, (uint8_t *)&in, sizeof(in));
	if (flen < ETH_HLEN || flen > NET_MAX_FRAME || rx_header(n, &in, flen, &h)) {
		n->stats.rx_errors++;
		goto give_back;
	}
	cursor_copy(&c, dst, sizeof(dst));
	if (!rx_accept(n, dst)) {
		n->stats.rx_filtered++;
		goto give_back;
	}
	/* The chains the frame filled, in order; the first holds the header. */
	left = (size_t)len;
	for (nb = 0; nb < k && left; nb++) {
		if (n->rx_lens[nb] > left)
			n->rx_lens[nb] = (uint32_t)left;
		left -= n->rx_lens[nb];
	}
	unpop_n(vq, k - nb);
	h.num_buffers = (uint16_t)nb;
	iov_put(iov, cnt, &h, sizeof(h));
	if (virtq_push_many(vq, n->rx_heads, n->rx_lens, nb)) {
		n->stats.rx_dropped++;
		goto out;
	}
	n->stats.rx_packets++;
	n->stats.rx_bytes += flen;
	n->q[0].notify = true;
	ioloop_bh_schedule(n->loop, &n->rx_notify_bh);
	goto out;
give_back:
	unpop_n(vq, k);
out:
	n->lent = 0;
	n->lent_vq = NULL;
	unlock(n);
	return ret;
}

static const struct net_peer_ops peer_ops = {
	.can_receive = peer_can_receive,
	.receive = peer_receive,
	.tx_ready = peer_tx_ready,
	.rx_borrow = peer_rx_borrow,
	.rx_commit = peer_rx_commit,
};

/* I/O thread, lock not held: tell a waiting back end if it may send again. */
static void try_resume(struct virtio_net *n)
{
	bool resume;

	lock(n);
	resume = n->rx_waiting && rx_open(n) && rx_pick(n, NULL, 0, 0) >= 0;
	if (resume)
		n->rx_waiting = false;
	unlock(n);
	if (resume)
		net_backend_rx_resume(n->be);
}

static void resume_bh(void *opaque)
{
	try_resume(opaque);
}

static void rx_notify_bh(void *opaque)
{
	struct virtio_net *n = opaque;
	unsigned i;

	lock(n);
	/*
	 * Stopped: the interrupt stays owed (notify kept), so that a save
	 * after virtio_net_stop() records it and the restored NIC raises it.
	 * A reset has cleared every notify already.
	 */
	for (i = 0; i < 2u * n->max_pairs; i += 2) {
		if (n->q[i].notify && !n->stopped && !n->resetting) {
			n->q[i].notify = false;
			virtio_pci_notify_queue(&n->vp, i);
		}
	}
	unlock(n);
}

static void offload_bh(void *opaque)
{
	struct virtio_net *n = opaque;
	unsigned want;
	uint32_t gen;

	lock(n);
	if (n->stopped || n->resetting || n->offloads_applied ||
	    !(n->vp.status & VIRTIO_STATUS_DRIVER_OK)) {
		unlock(n);
		return;
	}
	gen = n->gen;
	want = guest_offloads(n);
	unlock(n);
	/* A back end that cannot follow keeps its offloads; rx_header() guards. */
	if (n->be->ops->set_rx_offloads)
		n->be->ops->set_rx_offloads(n->be, want);
	lock(n);
	if (gen == n->gen)
		n->offloads_applied = true;
	unlock(n);
	try_resume(n);
}

/* --- control queue (5.1.6.5) -------------------------------------------- */

/* MAC_TABLE_SET (5.1.6.5.2): two tables, le32 entries then 6-byte MACs. */
static uint8_t ctrl_mac_table(struct virtio_net *n, const struct virtq_elem *e,
			      uint64_t dlen)
{
	uint8_t le[4];
	uint64_t off = 2, nuni, nmulti;
	unsigned i;

	if (dlen < 8 || virtq_elem_from_guest(e, off, le, 4) != 4)
		return VIRTIO_NET_ERR;
	nuni = get_le(le, 4);
	if (4 + 6 * nuni + 4 > dlen)
		return VIRTIO_NET_ERR;
	virtq_elem_from_guest(e, off + 4 + 6 * nuni, le, 4);
	nmulti = get_le(le, 4);
	if (4 + 6 * nuni + 4 + 6 * nmulti != dlen)
		return VIRTIO_NET_ERR;
	n->nr_uni = 0;
	n->uni_overflow = nuni > VIRTIO_NET_MAC_TABLE;
	for (i = 0; i < nuni && i < VIRTIO_NET_MAC_TABLE; i++)
		virtq_elem_from_guest(e, off + 4 + 6ull * i, n->uni[n->nr_uni++], 6);
	/* The multicast table is not kept: multicast always passes. */
	return VIRTIO_NET_OK;
}

static uint8_t ctrl_command(struct virtio_net *n, const struct virtq_elem *e)
{
	uint8_t cmd[2], b[2];
	uint64_t dlen = e->out_len - 2;
	uint16_t pairs;

	virtq_elem_from_guest(e, 0, cmd, 2);
	switch (cmd[0]) {
	case VIRTIO_NET_CTRL_RX:
		/* 5.1.6.5.1: one byte, on or off. */
		if (!has(n, VIRTIO_NET_F_CTRL_RX) || dlen != 1)
			return VIRTIO_NET_ERR;
		virtq_elem_from_guest(e, 2, b, 1);
		if (cmd[1] == VIRTIO_NET_CTRL_RX_PROMISC)
			n->promisc = b[0] != 0;
		else if (cmd[1] == VIRTIO_NET_CTRL_RX_ALLMULTI)
			n->allmulti = b[0] != 0;
		else
			return VIRTIO_NET_ERR;
		return VIRTIO_NET_OK;
	case VIRTIO_NET_CTRL_MAC:
		if (!has(n, VIRTIO_NET_F_CTRL_RX) || cmd[1] != VIRTIO_NET_CTRL_MAC_TABLE_SET)
			return VIRTIO_NET_ERR;
		return ctrl_mac_table(n, e, dlen);
	case VIRTIO_NET_CTRL_MQ:
		/* 5.1.6.5.6: 1..max_virtqueue_pairs, le16. */
		if (!has(n, VIRTIO_NET_F_MQ) || cmd[1] != VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET ||
		    dlen != 2)
			return VIRTIO_NET_ERR;
		virtq_elem_from_guest(e, 2, b, 2);
		pairs = (uint16_t)get_le(b, 2);
		if (pairs < 1 || pairs > n->max_pairs)
			return VIRTIO_NET_ERR;
		n->curr_pairs = pairs;
		return VIRTIO_NET_OK;
	default:
		return VIRTIO_NET_ERR;
	}
}

static void ctrl_kick(struct virtio_net *n, unsigned q)
{
	struct virtq_elem *e = &n->ctrl_elem;
	struct virtq *vq = live(n, q);
	unsigned budget = vq ? vq->size : 0;
	uint8_t ack;

	while (vq && budget--) {
		if (virtq_pop(vq, e) != 1)
			break;
		if (e->out_len < 2 || !e->in_len) {
			/* Nowhere to answer: returned unanswered. */
			n->stats.ctrl_errors++;
			if (!virtq_push(vq, e->head, 0))
				n->q[q].notify = true;
			continue;
		}
		ack = ctrl_command(n, e);
		n->stats.ctrl_cmds++;
		virtq_elem_to_guest(e, 0, &ack, 1);
		if (!virtq_push(vq, e->head, 1))
			n->q[q].notify = true;
	}
	if (vq && virtq_has_avail(vq))
		ioloop_bh_schedule(n->loop, &n->q[q].kick);
	if (vq && n->q[q].notify) {
		n->q[q].notify = false;
		virtio_pci_notify_queue(&n->vp, q);
	}
}

/* --- bottom halves and transport hooks ---------------------------------- */

static void kick_bh(void *opaque)
{
	struct virtio_net_queue *nq = opaque;
	struct virtio_net *n = nq->n;
	enum qkind kind;

	lock(n);
	kind = queue_kind(n, nq->idx);
	switch (kind) {
	case Q_TX:
		tx_kick(n, nq->idx);
		break;
	case Q_CTRL:
		ctrl_kick(n, nq->idx);
		break;
	case Q_RX:
	case Q_NONE:
		break;
	}
	unlock(n);
	/* New receive buffers: a back end that was told no may go on. */
	if (kind == Q_RX)
		try_resume(n);
}

/* vCPU, lock held: only schedule (DESIGN.md: no ring work on the vCPU). */
static void net_notify(void *opaque, unsigned q)
{
	struct virtio_net *n = opaque;

	if (q >= n->vp.nr_queues || n->stopped)
		return;
	if (!n->offloads_applied)
		ioloop_bh_schedule(n->loop, &n->offload_bh);
	ioloop_bh_schedule(n->loop, &n->q[q].kick);
}

/* vCPU (or pci_bus_reset()), lock held: 5.1.6.5.1/5.1.6.5.6 defaults back. */
static int net_reset(void *opaque)
{
	struct virtio_net *n = opaque;
	unsigned i;

	n->gen++;
	n->promisc = true;
	n->allmulti = false;
	n->nr_uni = 0;
	n->uni_overflow = false;
	n->curr_pairs = 1;
	n->offloads_applied = false;
	memset(n->flow_q, 0, sizeof(n->flow_q));
	for (i = 0; i < VIRTIO_PCI_MAX_QUEUES; i++)
		n->q[i].notify = false;
	/* tx_blocked stays: the back end is still full and tx_ready() follows. */
	if (!n->sending && !n->lending)
		return 0;
	n->resetting = true;
	return -EINPROGRESS;
}

static const struct virtio_dev_ops net_ops = {
	.cfg_read = net_cfg_read,
	.queue_notify = net_notify,
	.reset = net_reset,
};

/* 5.1.3: offloads only where the back end honours them (with a vnet header). */
static uint64_t features(const struct net_backend *be, const struct virtio_net_config *cfg)
{
	uint64_t f = 1ull << VIRTIO_NET_F_MAC | 1ull << VIRTIO_NET_F_STATUS |
		     1ull << VIRTIO_NET_F_MRG_RXBUF | 1ull << VIRTIO_NET_F_CTRL_VQ |
		     1ull << VIRTIO_NET_F_CTRL_RX;
	unsigned o = be->has_vnet_hdr ? be->offloads : 0;

	if (cfg->queue_pairs > 1)
		f |= 1ull << VIRTIO_NET_F_MQ;
	if (cfg->mtu)
		f |= 1ull << VIRTIO_NET_F_MTU;
	/* 5.1.3.1: every segmentation offload depends on checksum offload. */
	if (!(o & NET_OFFLOAD_CSUM))
		return f;
	f |= 1ull << VIRTIO_NET_F_CSUM | 1ull << VIRTIO_NET_F_GUEST_CSUM;
	if (o & NET_OFFLOAD_TSO4)
		f |= 1ull << VIRTIO_NET_F_HOST_TSO4 | 1ull << VIRTIO_NET_F_GUEST_TSO4;
	if (o & NET_OFFLOAD_TSO6)
		f |= 1ull << VIRTIO_NET_F_HOST_TSO6 | 1ull << VIRTIO_NET_F_GUEST_TSO6;
	if (o & NET_OFFLOAD_UFO)
		f |= 1ull << VIRTIO_NET_F_HOST_UFO | 1ull << VIRTIO_NET_F_GUEST_UFO;
	if ((o & NET_OFFLOAD_ECN) && (o & (NET_OFFLOAD_TSO4 | NET_OFFLOAD_TSO6)))
		f |= 1ull << VIRTIO_NET_F_HOST_ECN | 1ull << VIRTIO_NET_F_GUEST_ECN;
	return f;
}

int virtio_net_init(struct virtio_net *n, struct pci_bus *bus, int slot,
		    const struct gmem *mem, struct net_backend *be,
		    struct ioloop *loop, const struct virtio_net_config *cfg,
		    const struct virtio_net_ops *ops, void *opaque)
{
	unsigned i;
	int ret;

	if (!be || !be->ops || !be->ops->send || !be->tx_queues ||
	    be->tx_queues > NET_MAX_TX_QUEUES || !loop || !cfg || !ops || !ops->lock ||
	    !ops->unlock || !cfg->queue_pairs || cfg->queue_pairs > VIRTIO_NET_MAX_PAIRS ||
	    (cfg->mtu && cfg->mtu < 68))
		return -EINVAL;
	/* 5.1.2: N pairs and the control queue. */
	ret = virtio_pci_init(&n->vp, bus, slot, mem, VIRTIO_ID_NET, VIRTIO_PCI_CLASS_NET,
			      (uint16_t)(2 * cfg->queue_pairs + 1), VIRTIO_NET_QUEUE_SIZE,
			      VIRTIO_NET_CFG_LEN, features(be, cfg), &net_ops, n);
	if (ret < 0)
		return ret;
	n->be = be;
	n->loop = loop;
	n->ops = *ops;
	n->opaque = opaque;
	n->max_pairs = (uint16_t)cfg->queue_pairs;
	n->mtu = cfg->mtu;
	memcpy(n->mac, cfg->mac, 6);
	n->link_up = !cfg->link_down;
	n->stopped = n->sending = n->lending = n->resetting = false;
	n->lent = 0;
	n->lent_vq = NULL;
	n->tx_blocked = 0;
	n->rx_waiting = false;
	n->tx_queues = (uint16_t)be->tx_queues;
	memset(n->tx_ready_seq, 0, sizeof(n->tx_ready_seq));
	n->gen = 0;
	memset(&n->stats, 0, sizeof(n->stats));
	net_reset(n);
	for (i = 0; i < VIRTIO_PCI_MAX_QUEUES; i++) {
		n->q[i].n = n;
		n->q[i].idx = i;
		n->q[i].notify = false;
		ioloop_bh_init(&n->q[i].kick, kick_bh, &n->q[i]);
	}
	ioloop_bh_init(&n->rx_notify_bh, rx_notify_bh, n);
	ioloop_bh_init(&n->offload_bh, offload_bh, n);
	ioloop_bh_init(&n->resume_bh, resume_bh, n);
	net_backend_attach(be, &peer_ops, n);
	return ret;
}

void virtio_net_set_link(struct virtio_net *n, bool up)
{
	lock(n);
	if (n->link_up != up) {
		n->link_up = up;
		/* 5.1.4.2: the status field changed; tell the driver. */
		virtio_pci_config_changed(&n->vp);
		if (up && !n->stopped)
			ioloop_bh_schedule(n->loop, &n->resume_bh);
	}
	unlock(n);
}

bool virtio_net_link_up(struct virtio_net *n)
{
	bool up;

	lock(n);
	up = n->link_up;
	unlock(n);
	return up;
}

void virtio_net_get_stats(struct virtio_net *n, struct virtio_net_stats *out)
{
	lock(n);
	*out = n->stats;
	unlock(n);
}

static void noop(void *opaque)
{
	(void)opaque;
}

void virtio_net_stop(struct virtio_net *n)
{
	lock(n);
	n->stopped = true;
	unlock(n);
	/* Whatever bottom half is running or queued has finished after this. */
	ioloop_call_sync(n->loop, noop, NULL);
}

void virtio_net_destroy(struct virtio_net *n)
{
	/*
	 * Bottom halves scheduled since the stop (a kick, the back end's last
	 * tx_ready()) run now and do nothing; none is left pointing at `n`.
	 */
	if (ioloop_in_loop(n->loop))
		while (ioloop_run_once(n->loop, 0) > 0)
			;
	else
		ioloop_call_sync(n->loop, noop, NULL);
	n->be = NULL;
}

/* --- save and restore --------------------------------------------------- */

#define VIRTIO_NET_STATE_VERSION	1

/* The counters, one by one, in struct virtio_net_stats order. */
static void put_stats(struct state_writer *w, const struct virtio_net_stats *s)
{
	state_put_u64(w, s->tx_packets);
	state_put_u64(w, s->tx_bytes);
	state_put_u64(w, s->tx_dropped);
	state_put_u64(w, s->tx_errors);
	state_put_u64(w, s->tx_stalls);
	state_put_u64(w, s->rx_packets);
	state_put_u64(w, s->rx_bytes);
	state_put_u64(w, s->rx_dropped);
	state_put_u64(w, s->rx_filtered);
	state_put_u64(w, s->rx_errors);
	state_put_u64(w, s->ctrl_cmds);
	state_put_u64(w, s->ctrl_errors);
}

static void get_stats(struct state_reader *r, struct virtio_net_stats *s)
{
	s->tx_packets = state_get_u64(r);
	s->tx_bytes = state_get_u64(r);
	s->tx_dropped = state_get_u64(r);
	s->tx_errors = state_get_u64(r);
	s->tx_stalls = state_get_u64(r);
	s->rx_packets = state_get_u64(r);
	s->rx_bytes = state_get_u64(r);
	s->rx_dropped = state_get_u64(r);
	s->rx_filtered = state_get_u64(r);
	s->rx_errors = state_get_u64(r);
	s->ctrl_cmds = state_get_u64(r);
	s->ctrl_errors = state_get_u64(r);
}

int virtio_net_save(const struct virtio_net *n, struct state_writer *w)
{
	uint32_t owed = 0;
	unsigned i;
	int ret;

	/*
	 * A frame in send() is a transmit chain popped and not yet pushed,
	 * which the ring positions cannot express, and a reset waiting for
	 * it is unfinished (2.4.1): the caller stops the NIC first
	 * (virtio_net_stop(), after which neither can be), or retries.
	 */
	if (n->sending || n->lending || n->resetting)
		return -EBUSY;
	ret = virtio_pci_save(&n->vp, w);
	if (ret)
		return ret;
	state_section_begin(w, "virtio-net", n->vp.pci.devfn, VIRTIO_NET_STATE_VERSION);
	/* What the driver read from the configuration (5.1.4), to refuse another NIC. */
	state_put_bytes(w, n->mac, 6);
	state_put_u16(w, n->max_pairs);
	state_put_u16(w, n->mtu);
	/* The status field the driver sees (5.1.4): the host may change it after. */
	state_put_bool(w, n->link_up);
	/* Receive filtering (5.1.6.5.1, 5.1.6.5.2). */
	state_put_bool(w, n->promisc);
	state_put_bool(w, n->allmulti);
	state_put_bool(w, n->uni_overflow);
	state_put_u8(w, (uint8_t)n->nr_uni);
	for (i = 0; i < n->nr_uni; i++)
		state_put_bytes(w, n->uni[i], 6);
	/* 5.1.6.5.6: the pairs in use, and where each known flow's answers go. */
	state_put_u16(w, n->curr_pairs);
	state_put_bytes(w, n->flow_q, VIRTIO_NET_FLOWS);
	/* Used entries pushed and not yet signalled: an interrupt still owed. */
	for (i = 0; i < n->vp.nr_queues; i++)
		if (n->q[i].notify)
			owed |= 1u << i;
	state_put_u32(w, owed);
	put_stats(w, &n->stats);
	state_section_end(w);
	return state_writer_error(w);
}

int virtio_net_load(struct virtio_net *n, struct state_reader *r)
{
	uint8_t mac[6], uni[VIRTIO_NET_MAC_TABLE][6], flow_q[VIRTIO_NET_FLOWS];
	bool link_up, promisc, allmulti, overflow;
	struct virtio_net_stats stats;
	uint16_t max_pairs, mtu, pairs;
	struct virtio_pci *vp;
	unsigned nr_uni, i;
	uint32_t owed;
	int ret;

	if (n->sending || n->lending || n->resetting)
		return -EBUSY;
	/* The transport into a copy: nothing changes unless all of it loads. */
	vp = malloc(sizeof(*vp));
	if (!vp)
		return -ENOMEM;
	memcpy(vp, &n->vp, sizeof(*vp));
	ret = virtio_pci_load(vp, r);
	if (ret)
		goto out_free;
	ret = state_section_open(r, "virtio-net", n->vp.pci.devfn,
				 VIRTIO_NET_STATE_VERSION, NULL);
	if (ret)
		goto out_free;
	state_get_bytes(r, mac, 6);
	max_pairs = state_get_u16(r);
	mtu = state_get_u16(r);
	if (!state_reader_error(r) && memcmp(mac, n->mac, 6))
		state_reader_fail(r, "the NIC had MAC %02x:%02x:%02x:%02x:%02x:%02x "
				  "when saved, it has %02x:%02x:%02x:%02x:%02x:%02x",
				  mac[0], mac[1], mac[2], mac[3], mac[4], mac[5],
				  n->mac[0], n->mac[1], n->mac[2], n->mac[3], n->mac[4],
				  n->mac[5]);
	if (!state_reader_error(r) && max_pairs != n->max_pairs)
		state_reader_fail(r, "%u queue pairs saved, the NIC has %u", max_pairs,
				  n->max_pairs);
	if (!state_reader_error(r) && mtu != n->mtu)
		state_reader_fail(r, "MTU %u saved, the NIC has %u", mtu, n->mtu);
	link_up = state_get_bool(r);
	promisc = state_get_bool(r);
	allmulti = state_get_bool(r);
	overflow = state_get_bool(r);
	nr_uni = state_get_u8(r);
	/* ctrl_mac_table() keeps the first VIRTIO_NET_MAC_TABLE of a longer list. */
	if (nr_uni > VIRTIO_NET_MAC_TABLE || (overflow && nr_uni != VIRTIO_NET_MAC_TABLE))
		state_reader_fail(r, "MAC table of %u entries%s", nr_uni,
				  overflow ? ", overflowed" : "");
	for (i = 0; i < nr_uni && !state_reader_error(r); i++)
		state_get_bytes(r, uni[i], 6);
	pairs = state_get_u16(r);
	/* VQ_PAIRS_SET takes 1..max_virtqueue_pairs, and only with MQ (5.1.6.5.6). */
	if (!state_reader_error(r) &&
	    (pairs < 1 || pairs > n->max_pairs ||
	     (pairs > 1 && !(vp->guest_features & (1ull << VIRTIO_NET_F_MQ)))))
		state_reader_fail(r, "%u queue pairs in use (of %u%s)", pairs, n->max_pairs,
				  vp->guest_features & (1ull << VIRTIO_NET_F_MQ) ? "" :
				  ", MQ not negotiated");
	state_get_bytes(r, flow_q, VIRTIO_NET_FLOWS);
	for (i = 0; i < VIRTIO_NET_FLOWS && !state_reader_error(r); i++)
		if (flow_q[i] > n->max_pairs)
			state_reader_fail(r, "flow %u steered to pair %u of %u", i,
					  flow_q[i], n->max_pairs);
	owed = state_get_u32(r);
	if (!state_reader_error(r) && n->vp.nr_queues < 32 && owed >> n->vp.nr_queues)
		state_reader_fail(r, "interrupt owed on queue mask 0x%x, %u queues", owed,
				  n->vp.nr_queues);
	get_stats(r, &stats);
	ret = state_section_close(r);
	if (ret)
		goto out_free;

	memcpy(&n->vp, vp, sizeof(*vp));
	n->link_up = link_up;
	n->promisc = promisc;
	n->allmulti = allmulti;
	n->uni_overflow = overflow;
	n->nr_uni = nr_uni;
	memcpy(n->uni, uni, 6 * (size_t)nr_uni);
	n->curr_pairs = pairs;
	memcpy(n->flow_q, flow_q, sizeof(flow_q));
	n->stats = stats;
	for (i = 0; i < VIRTIO_PCI_MAX_QUEUES; i++)
		n->q[i].notify = i < n->vp.nr_queues && (owed >> i & 1);
	/*
	 * The back end is this NIC's, not the saved one's: what it has been
	 * told or has said (tx_blocked, rx_waiting) stays, but it has to be
	 * told the restored driver's receive offloads; an offload_bh already
	 * past its check must not count (gen).
	 */
	n->gen++;
	n->offloads_applied = false;
	if (!n->stopped) {
		ioloop_bh_schedule(n->loop, &n->offload_bh);
		ioloop_bh_schedule(n->loop, &n->rx_notify_bh);
		/*
		 * Chains the driver made available and notified before the
		 * save were never taken; it will not notify again for them
		 * (2.7.10): every queue is looked at once.
		 */
		for (i = 0; i < n->vp.nr_queues; i++)
			ioloop_bh_schedule(n->loop, &n->q[i].kick);
	}
out_free:
	free(vp);
	return ret;
}
