// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * net/tap.c - the tap back end (see tap.h).
 *
 * Opening.  TUNSETIFF on /dev/net/tun attaches the file to the interface
 * of that name, but with CAP_NET_ADMIN it also creates one when none
 * exists (Documentation/networking/tuntap.rst, "Network device
 * allocation").  vmain must never create interfaces, so the name is looked
 * up first (if_nametoindex(3), in the caller's network namespace) and
 * compared again after TUNSETIFF: a different index means it raced with a
 * delete, and closing the file removes what TUNSETIFF made (a new tap is
 * not persistent).  The kernel itself refuses the other cases: a tun, or
 * anything not made by the tun driver (EINVAL), a multi-queue mismatch
 * (EINVAL), another owner (EPERM), a single-queue tap already attached
 * (EBUSY).
 *
 * Packets.  IFF_NO_PI: no packet-information prefix; IFF_VNET_HDR with
 * TUNSETVNETHDRSZ 12: each read and write starts with a struct
 * virtio_net_hdr_v1 (virtio 1.2 section 5.1.6), little-endian like the
 * host.  TUNSETOFFLOAD says which offloaded packets the kernel may hand
 * us; it starts at none (the kernel then segments and checksums in
 * software) and follows what the guest accepts (set_rx_offloads).
 *
 * Receive reads straight into the guest's buffers when the NIC lends
 * them (net.h, rx_borrow: one copy, the kernel's); otherwise, and always
 * when it has too few, into our own frame buffer, as follows.
 *
 * Flow control (net.h).  Receive: a packet is read, then offered to the
 * NIC; when can_receive() says no it is kept (one packet) and the fds stop
 * being watched for input, so the kernel's queue (txqueuelen) bounds the
 * backlog, until rx_resume().  Transmit: writev() on the fd of the queue
 * the NIC names (its queue pair's: net.h), so a multi-queue guest's
 * queues stay apart down to the tap's; EAGAIN returns -EAGAIN and
 * watches that fd's EPOLLOUT, whose arrival calls tx_ready() for that
 * queue.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "net/tap.h"

#define VNET_HDR_LEN	((int)sizeof(struct virtio_net_hdr_v1))
/* Packets read per wake-up of a queue before the loop serves others. */
#define RX_BUDGET	64
/* Fragments of one guest packet (the NIC's descriptor chain). */
#define TX_MAX_IOV	1023
/* Guest buffers one frame may be read into (rx_borrow); UIO_MAXIOV is 1024. */
#define RX_MAX_IOV	256

_Static_assert(sizeof(struct virtio_net_hdr_v1) == 12, "virtio 1.2 5.1.6");

struct net_tap;

struct tap_queue {
	struct net_tap *t;
	int fd;
	struct ioloop_watch *watch;	/* NULL after a fatal read error */
	uint32_t events;
	bool tx_blocked;		/* send() said -EAGAIN: tx_ready() owed */
};

struct net_tap {
	struct net_backend be;		/* first: be is what the NIC holds */
	struct ioloop *loop;
	char ifname[NET_IFNAME_MAX + 1];
	unsigned nq;
	struct tap_queue q[NET_MAX_QUEUES];
	unsigned kernel_offloads;	/* TUN_F_* the kernel accepted at open */
	bool rx_stopped;		/* the NIC had no buffers: EPOLLIN off */
	/* one packet read but not yet taken by the NIC */
	size_t held_len;		/* frame bytes; 0: none */
	struct virtio_net_hdr_v1 hdr;
	uint8_t *frame;			/* NET_MAX_FRAME bytes */
	struct iovec rx_iov[RX_MAX_IOV];	/* guest buffers lent by the NIC */
};

static struct net_tap *to_tap(struct net_backend *be)
{
	return (struct net_tap *)be;
}

static void set_events(struct tap_queue *q, uint32_t events)
{
	if (!q->watch || q->events == events)
		return;
	/* Cannot fail for a watched, open fd with valid events. */
	if (!ioloop_watch_modify(q->t->loop, q->watch, events))
		q->events = events;
}

static void rx_stop(struct net_tap *t)
{
	unsigned i;

	t->rx_stopped = true;
	for (i = 0; i < t->nq; i++)
		set_events(&t->q[i], t->q[i].events & ~(uint32_t)EPOLLIN);
}

/* Offers the held packet to the NIC; false (still held) when it has no room. */
static bool deliver_held(struct net_tap *t)
{
	const struct net_peer_ops *peer = t->be.peer;
	struct iovec iov = { .iov_base = t->frame, .iov_len = t->held_len };

	if (!peer || !peer->can_receive(t->be.peer_opaque, t->held_len))
		return false;
	/* -ENOSPC: dropped and counted by the NIC. */
	peer->receive(t->be.peer_opaque, &t->hdr, &iov, 1);
	t->held_len = 0;
	return true;
}

static void queue_dead(struct tap_queue *q, int err)
{
	fprintf(stderr, "vmain: tap %s: read: %s; no more packets from this queue\n",
		q->t->ifname, strerror(err));
	ioloop_unwatch(q->t->loop, q->watch);
	q->watch = NULL;
}

/*
 * One read straight into the guest's buffers, if the NIC lends them
 * (net.h, rx_borrow).  false: it did not, read into our own.  Otherwise
 * *n is what readv() returned (errno set when negative).
 */
static bool rx_direct(struct tap_queue *q, ssize_t *n)
{
	struct net_tap *t = q->t;
	const struct net_peer_ops *peer = t->be.peer;
	int cnt, err;

	if (!peer || !peer->rx_borrow || !peer->rx_commit ||
	    peer->rx_borrow(t->be.peer_opaque, t->rx_iov, RX_MAX_IOV, &cnt))
		return false;
	/* As below: the kernel writes 10 bytes of header, the NIC the rest. */
	*n = readv(q->fd, t->rx_iov, cnt);
	err = errno;
	/*
	 * -ENOSPC (the NIC stopped or was reset between the two calls): the
	 * frame was read into buffers the NIC took back, so it is dropped,
	 * where the copying path would have held it for the next NIC.  A
	 * frame lost at a reset is what a real NIC does too.
	 */
	peer->rx_commit(t->be.peer_opaque, t->rx_iov, cnt, *n < 0 ? -err : (long)*n);
	errno = err;
	return true;
}

static void rx(struct tap_queue *q)
{
	struct net_tap *t = q->t;
	struct iovec iov[2] = {
		{ .iov_base = &t->hdr, .iov_len = VNET_HDR_LEN },
		{ .iov_base = t->frame, .iov_len = NET_MAX_FRAME },
	};
	ssize_t n;
	int i;

	for (i = 0; i < RX_BUDGET && !t->rx_stopped; i++) {
		if (rx_direct(q, &n)) {
			if (n >= 0)
				continue;
			if (errno == EAGAIN || errno == EINTR)
				return;
			queue_dead(q, errno);
			return;
		}
		/* The kernel writes the 10-byte legacy header; num_buffers stays ours. */
		memset(&t->hdr, 0, sizeof(t->hdr));
		n = readv(q->fd, iov, 2);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			/* EBADFD: the interface was deleted under us. */
			queue_dead(q, errno);
			return;
		}
		if (n <= VNET_HDR_LEN)
			continue;	/* no frame: nothing to hand on */
		t->held_len = n - VNET_HDR_LEN;
		if (!deliver_held(t))
			rx_stop(t);
	}
}

static void on_queue(void *opaque, uint32_t events)
{
	struct tap_queue *q = opaque;
	struct net_tap *t = q->t;

	if ((events & EPOLLOUT) && q->tx_blocked) {
		set_events(q, q->events & ~(uint32_t)EPOLLOUT);
		q->tx_blocked = false;
		if (t->be.peer)
			t->be.peer->tx_ready(t->be.peer_opaque, (unsigned)(q - t->q));
	}
	/*
	 * epoll reports EPOLLERR whatever the mask: a deleted interface
	 * (tun answers EBADFD from then on) would spin the loop while
	 * receive is stopped and rx() reads nothing.
	 */
	if ((events & (EPOLLERR | EPOLLHUP)) && t->rx_stopped) {
		struct ifreq ifr;

		if (ioctl(q->fd, TUNGETIFF, &ifr) < 0) {
			queue_dead(q, errno);
			return;
		}
	}
	if (events & (EPOLLIN | EPOLLERR | EPOLLHUP))
		rx(q);
}

/* ---- net_backend_ops ---- */

static int tap_send(struct net_backend *be, unsigned queue,
		    const struct virtio_net_hdr_v1 *hdr, const struct iovec *iov, int iovcnt)
{
	static const struct virtio_net_hdr_v1 zero_hdr;
	struct net_tap *t = to_tap(be);
	struct iovec v[TX_MAX_IOV + 1];
	struct tap_queue *q;
	ssize_t n;

	if (queue >= t->nq)
		return -EINVAL;
	if (iovcnt < 0 || iovcnt > TX_MAX_IOV)
		return -EMSGSIZE;
	q = &t->q[queue];
	if (q->tx_blocked)
		return -EAGAIN;		/* tx_ready() is owed already */
	v[0].iov_base = (void *)(hdr ? hdr : &zero_hdr);
	v[0].iov_len = VNET_HDR_LEN;
	memcpy(v + 1, iov, iovcnt * sizeof(*iov));
	n = writev(q->fd, v, iovcnt + 1);
	if (n >= 0)
		return 0;
	if (errno == EAGAIN) {
		q->tx_blocked = true;
		set_events(q, q->events | EPOLLOUT);
		return -EAGAIN;
	}
	/* EIO: the interface is down; EINVAL: a header the kernel refuses. */
	return -errno;
}

static void tap_rx_resume(struct net_backend *be)
{
	struct net_tap *t = to_tap(be);
	unsigned i;

	if (!t->rx_stopped)
		return;
	if (t->held_len && !deliver_held(t))
		return;
	t->rx_stopped = false;
	for (i = 0; i < t->nq; i++)
		set_events(&t->q[i], t->q[i].events | EPOLLIN);
}

static unsigned to_tun_flags(unsigned offloads)
{
	unsigned f = 0;

	if (offloads & NET_OFFLOAD_CSUM)
		f |= TUN_F_CSUM;
	if (offloads & NET_OFFLOAD_TSO4)
		f |= TUN_F_TSO4;
	if (offloads & NET_OFFLOAD_TSO6)
		f |= TUN_F_TSO6;
	if (offloads & NET_OFFLOAD_ECN)
		f |= TUN_F_TSO_ECN;
	if (offloads & NET_OFFLOAD_UFO)
		f |= TUN_F_UFO;
	return f;
}

static int tap_set_rx_offloads(struct net_backend *be, unsigned offloads)
{
	struct net_tap *t = to_tap(be);
	unsigned f;

	if (offloads & ~be->offloads)
		return -EINVAL;
	f = to_tun_flags(offloads);
	/* The kernel takes TSO only with checksum offload (tun's set_offload()). */
	if (!(f & TUN_F_CSUM))
		f = 0;
	return ioctl(t->q[0].fd, TUNSETOFFLOAD, f) ? -errno : 0;
}

static void close_queues(struct net_tap *t)
{
	unsigned i;

	for (i = 0; i < t->nq; i++) {
		ioloop_unwatch(t->loop, t->q[i].watch);
		close(t->q[i].fd);
	}
	t->nq = 0;
}

static void teardown(void *opaque)
{
	struct net_tap *t = opaque;

	close_queues(t);
	free(t->frame);
	free(t);
}

static void tap_destroy(struct net_backend *be)
{
	struct net_tap *t = to_tap(be);

	ioloop_call_sync(t->loop, teardown, t);
}

static const struct net_backend_ops tap_ops = {
	.send = tap_send,
	.rx_resume = tap_rx_resume,
	.set_rx_offloads = tap_set_rx_offloads,
	.destroy = tap_destroy,
};

int net_tap_fd(const struct net_backend *be, unsigned q)
{
	const struct net_tap *t = (const struct net_tap *)be;

	return q < t->nq ? t->q[q].fd : -EINVAL;
}

/* ---- opening ---- */

static int open_queue(const char *name, unsigned queues, int *fdp,
		      char *err, size_t errlen)
{
	bool multi = queues > 1;
	struct ifreq ifr = { 0 };
	int fd, ret, hdrsz = VNET_HDR_LEN;

	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "tap %s: cannot open /dev/net/tun: %s", name,
			 strerror(-ret));
		return ret;
	}
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | (multi ? IFF_MULTI_QUEUE : 0);
	memcpy(ifr.ifr_name, name, strlen(name) + 1);
	if (ioctl(fd, TUNSETIFF, &ifr)) {
		ret = -errno;
		switch (-ret) {
		case EPERM:
			snprintf(err, errlen, "tap %s: owned by another user or group "
				 "(ip tuntap add ... user NAME sets the owner)", name);
			break;
		case EBUSY:
			snprintf(err, errlen, "tap %s: already in use by another process", name);
			break;
		case EINVAL:
			snprintf(err, errlen, "tap %s: not a tap interface, or its multi_queue "
				 "setting does not match queues=%u", name, queues);
			break;
		default:
			snprintf(err, errlen, "tap %s: TUNSETIFF: %s", name, strerror(-ret));
			break;
		}
		goto close_fd;
	}
	if (ioctl(fd, TUNSETVNETHDRSZ, &hdrsz)) {
		ret = -errno;
		snprintf(err, errlen, "tap %s: TUNSETVNETHDRSZ: %s", name, strerror(-ret));
		goto close_fd;
	}
	*fdp = fd;
	return 0;

close_fd:
	close(fd);
	return ret;
}

/* Which offloads the kernel takes (each probed alone on top of CSUM). */
static unsigned probe_offloads(int fd)
{
	static const struct { unsigned net, tun; } extra[] = {
		{ NET_OFFLOAD_ECN, TUN_F_TSO_ECN },
		{ NET_OFFLOAD_UFO, TUN_F_UFO },
	};
	unsigned base = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6, got = 0;
	size_t i;

	if (ioctl(fd, TUNSETOFFLOAD, base))
		return 0;
	got = NET_OFFLOAD_CSUM | NET_OFFLOAD_TSO4 | NET_OFFLOAD_TSO6;
	for (i = 0; i < sizeof(extra) / sizeof(extra[0]); i++)
		if (!ioctl(fd, TUNSETOFFLOAD, base | extra[i].tun))
			got |= extra[i].net;
	return got;
}

int net_tap_create(struct ioloop *l, const struct net_options *o,
		   struct net_backend **out, char *err, size_t errlen)
{
	const char *name = o->ifname;
	bool multi = o->queues > 1;
	unsigned idx, i;
	struct net_tap *t;
	int ret, fd = -1;

	if (o->kind != NET_KIND_TAP || !o->queues || o->queues > NET_MAX_QUEUES) {
		snprintf(err, errlen, "tap: the options are not a tap's");
		return -EINVAL;
	}
	idx = if_nametoindex(name);
	if (!idx) {
		snprintf(err, errlen, "tap %s: no such interface (vmain opens an existing "
			 "tap: ip tuntap add mode tap name %s user USER%s)", name, name,
			 multi ? " multi_queue" : "");
		return -ENOENT;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		goto nomem;
	t->frame = malloc(NET_MAX_FRAME);
	if (!t->frame) {
		free(t);
		goto nomem;
	}
	t->be.ops = &tap_ops;
	t->be.kind = "tap";
	t->be.has_vnet_hdr = true;
	t->be.tx_queues = o->queues;
	t->loop = l;
	memcpy(t->ifname, name, strlen(name) + 1);
	for (i = 0; i < o->queues; i++) {
		ret = open_queue(name, o->queues, &fd, err, errlen);
		if (ret)
			goto close;
		t->q[i].t = t;
		t->q[i].fd = fd;
		t->nq++;
	}
	/* Deleted and made anew, or made by our TUNSETIFF: not the tap we found. */
	if (if_nametoindex(name) != idx) {
		snprintf(err, errlen, "tap %s: no such interface (it went away while "
			 "being opened)", name);
		ret = -ENOENT;
		goto close;
	}
	t->be.offloads = probe_offloads(t->q[0].fd);
	/* None until the guest accepts some (set_rx_offloads). */
	if (ioctl(t->q[0].fd, TUNSETOFFLOAD, 0)) {
		ret = -errno;
		snprintf(err, errlen, "tap %s: TUNSETOFFLOAD: %s", name, strerror(-ret));
		goto close;
	}
	for (i = 0; i < t->nq; i++) {
		t->q[i].events = EPOLLIN;
		ret = ioloop_watch_fd(l, t->q[i].fd, EPOLLIN, on_queue, &t->q[i],
				      &t->q[i].watch);
		if (ret) {
			snprintf(err, errlen, "tap %s: cannot watch its fd: %s", name,
				 strerror(-ret));
			goto close;
		}
	}
	*out = &t->be;
	return 0;

close:
	close_queues(t);
	free(t->frame);
	free(t);
	return ret;
nomem:
	snprintf(err, errlen, "tap %s: out of memory", name);
	return -ENOMEM;
}
