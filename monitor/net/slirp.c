// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * net/slirp.c - the user-mode NAT back end over libslirp (see slirp.h).
 *
 * libslirp has no loop of its own.  Its owner asks it which sockets to
 * poll (slirp_pollfds_fill(): an add_poll callback per fd, and how long it
 * may sleep for its TCP timers), sleeps, then reports what happened
 * (slirp_pollfds_poll(): a get_revents callback per index add_poll gave).
 * Here that cycle is one bottom half, "the poll step":
 *
 *   1. slirp_pollfds_poll() with the events our watches saw since the last
 *      step (slirp reads, writes, accepts, runs its TCP timers);
 *   2. the guest frames staged by send() go to slirp_input();
 *   3. slirp_pollfds_fill(), and the loop's watches are brought in line
 *      with the set it asked for: an fd no longer asked for loses its
 *      watch, one asked for with other events gets them; the poll timer is
 *      armed for slirp's timeout, or not at all when none of slirp's TCP
 *      timers runs (an idle network never wakes the loop).
 *
 * The step runs after anything that may change slirp's state: a watched fd
 * became ready (level-triggered: the watch only records the events and
 * schedules the step, so several ready fds make one step), the poll timer
 * or one of slirp's own timers (timer_new_opaque, e.g. IPv6 router
 * advertisements) fired, the guest sent a frame, or slirp's notify().
 *
 * File descriptor numbers.  slirp closes sockets inside its calls; the
 * kernel drops a closed fd from the epoll set, and a new socket may get the
 * same number.  So a watch is dropped when slirp says it is closing the fd
 * (unregister_poll_fd) and when it announces a new socket under a number we
 * still watch (register_poll_fd): the next fill then adds a fresh watch.
 *
 * Limits: urgent TCP data is read inline (slirp sets SO_OOBINLINE; the loop
 * watches EPOLLIN and EPOLLOUT only, so POLL_PRI is never reported).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include <libslirp.h>

#include "net/slirp.h"

/* Guest frames staged between send() and the next poll step. */
#define TX_STAGE_BYTES	(256 * 1024)
/* The timeout slirp_pollfds_fill() gives when none of its timers runs (see step()). */
#define SLIRP_IDLE_TIMEOUT_MS	1000u
/* slirp's complaints about guest packets: the first few reach stderr. */
#define GUEST_ERRORS_SHOWN	10

struct net_slirp;

/* A socket slirp asked us to poll. */
struct slirp_fd {
	struct net_slirp *s;
	int fd;
	struct ioloop_watch *watch;	/* NULL until the fill after it appeared */
	uint32_t watched;		/* the watch's EPOLLIN/EPOLLOUT */
	uint32_t wanted;		/* asked for by the fill in progress */
	uint32_t revents;		/* seen by the watch since the last step */
	bool seen;			/* asked for by the fill in progress */
};

/* One of slirp's timers (timer_new_opaque). */
struct slirp_timer {
	struct net_slirp *s;
	SlirpTimerId id;
	void *cb_opaque;
	struct ioloop_timer *t;
};

struct net_slirp {
	struct net_backend be;		/* first: be is what the NIC holds */
	struct ioloop *loop;
	Slirp *slirp;
	struct ioloop_bh step_bh;
	struct ioloop_timer *poll_timer;
	bool filled;			/* a fill happened: a poll may follow */
	bool dead;			/* destroyed while step_bh was queued */
	/* sockets by fd number */
	struct slirp_fd **byfd;
	int nbyfd;
	/* the last fill's add_poll indices: entry i is the fd of index i */
	struct slirp_fd **polls;
	uint32_t *poll_events;		/* the SLIRP_POLL_* asked at index i */
	int npolls, cappolls;
	/* staged guest frames: [uint32_t len][frame], 4-byte aligned */
	uint8_t *tx;
	size_t tx_used;
	bool tx_blocked;		/* send() said -EAGAIN: tx_ready() owed */
	uint64_t rx_dropped;
	unsigned guest_errors;
};

static struct net_slirp *to_slirp(struct net_backend *be)
{
	return (struct net_slirp *)be;
}

/* ---- fd bookkeeping ---- */

static void fd_drop(struct net_slirp *s, int fd)
{
	struct slirp_fd *sfd;
	int i;

	if (fd < 0 || fd >= s->nbyfd || !s->byfd[fd])
		return;
	sfd = s->byfd[fd];
	s->byfd[fd] = NULL;
	/* Its index in the last fill reports nothing. */
	for (i = 0; i < s->npolls; i++)
		if (s->polls[i] == sfd)
			s->polls[i] = NULL;
	ioloop_unwatch(s->loop, sfd->watch);
	free(sfd);
}

static void on_fd(void *opaque, uint32_t events)
{
	struct slirp_fd *sfd = opaque;

	sfd->revents |= events;
	ioloop_bh_schedule(sfd->s->loop, &sfd->s->step_bh);
}

static struct slirp_fd *fd_get(struct net_slirp *s, int fd)
{
	struct slirp_fd *sfd;

	if (fd >= s->nbyfd) {
		int n = s->nbyfd ? s->nbyfd : 64;
		struct slirp_fd **b;

		while (n <= fd)
			n *= 2;
		b = realloc(s->byfd, n * sizeof(*b));
		if (!b)
			return NULL;
		memset(b + s->nbyfd, 0, (n - s->nbyfd) * sizeof(*b));
		s->byfd = b;
		s->nbyfd = n;
	}
	if (s->byfd[fd])
		return s->byfd[fd];
	sfd = calloc(1, sizeof(*sfd));
	if (!sfd)
		return NULL;
	sfd->s = s;
	sfd->fd = fd;
	s->byfd[fd] = sfd;
	return sfd;
}

/* ---- libslirp's callbacks ---- */

static int add_poll(int fd, int events, void *opaque)
{
	struct net_slirp *s = opaque;
	struct slirp_fd *sfd;

	if (fd < 0)
		return -1;
	if (s->npolls == s->cappolls) {
		int n = s->cappolls ? 2 * s->cappolls : 64;
		struct slirp_fd **p = realloc(s->polls, n * sizeof(*p));
		uint32_t *e;

		if (!p)
			return -1;
		s->polls = p;
		e = realloc(s->poll_events, n * sizeof(*e));
		if (!e)
			return -1;
		s->poll_events = e;
		s->cappolls = n;
	}
	sfd = fd_get(s, fd);
	if (!sfd)
		return -1;
	sfd->seen = true;
	if (events & (SLIRP_POLL_IN | SLIRP_POLL_PRI))
		sfd->wanted |= EPOLLIN;
	if (events & SLIRP_POLL_OUT)
		sfd->wanted |= EPOLLOUT;
	s->polls[s->npolls] = sfd;
	s->poll_events[s->npolls] = events;
	return s->npolls++;
}

static int get_revents(int idx, void *opaque)
{
	struct net_slirp *s = opaque;
	struct slirp_fd *sfd;
	int r = 0;

	if (idx < 0 || idx >= s->npolls || !(sfd = s->polls[idx]))
		return 0;
	if (sfd->revents & EPOLLIN)
		r |= SLIRP_POLL_IN;
	if (sfd->revents & EPOLLOUT)
		r |= SLIRP_POLL_OUT;
	if (sfd->revents & EPOLLERR)
		r |= SLIRP_POLL_ERR;
	if (sfd->revents & EPOLLHUP)
		r |= SLIRP_POLL_HUP;
	/* Only what this index asked for (an fd may be added twice). */
	return r & (s->poll_events[idx] | SLIRP_POLL_ERR | SLIRP_POLL_HUP);
}

static ssize_t send_packet(const void *buf, size_t len, void *opaque)
{
	struct net_slirp *s = opaque;
	const struct net_peer_ops *peer = s->be.peer;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };

	/* net.h: slirp's frames are dropped when the NIC has no buffers; TCP resends. */
	if (!peer || !peer->can_receive(s->be.peer_opaque, len)) {
		s->rx_dropped++;
		return len;
	}
	/* -ENOSPC: the NIC dropped and counted it. */
	peer->receive(s->be.peer_opaque, NULL, &iov, 1);
	return len;
}

static void guest_error(const char *msg, void *opaque)
{
	struct net_slirp *s = opaque;

	/* The guest controls how often: say the first few only. */
	if (s->guest_errors++ < GUEST_ERRORS_SHOWN)
		fprintf(stderr, "vmain: net user: guest error: %s%s\n", msg,
			s->guest_errors == GUEST_ERRORS_SHOWN ? " (no more shown)" : "");
}

static int64_t clock_get_ns(void *opaque)
{
	(void)opaque;
	return ioloop_now_ns();
}

static void on_slirp_timer(void *opaque)
{
	struct slirp_timer *st = opaque;

	slirp_handle_timer(st->s->slirp, st->id, st->cb_opaque);
	ioloop_bh_schedule(st->s->loop, &st->s->step_bh);
}

static void *timer_new_opaque(SlirpTimerId id, void *cb_opaque, void *opaque)
{
	struct net_slirp *s = opaque;
	struct slirp_timer *st = calloc(1, sizeof(*st));

	if (!st)
		return NULL;
	st->s = s;
	st->id = id;
	st->cb_opaque = cb_opaque;
	if (ioloop_timer_new(s->loop, on_slirp_timer, st, &st->t)) {
		free(st);
		return NULL;
	}
	return st;
}

static void timer_free(void *timer, void *opaque)
{
	struct slirp_timer *st = timer;

	(void)opaque;
	if (!st)
		return;
	ioloop_timer_free(st->t);
	free(st);
}

/* expire_time is in ms of clock_get_ns()'s clock, CLOCK_MONOTONIC. */
static void timer_mod(void *timer, int64_t expire_time, void *opaque)
{
	struct slirp_timer *st = timer;

	(void)opaque;
	if (st)
		ioloop_timer_arm(st->t, expire_time * 1000000);
}

/* A new socket: a watch still held under its number is stale (see above). */
static void register_poll_fd(int fd, void *opaque)
{
	fd_drop(opaque, fd);
}

static void unregister_poll_fd(int fd, void *opaque)
{
	fd_drop(opaque, fd);
}

static void notify(void *opaque)
{
	struct net_slirp *s = opaque;

	ioloop_bh_schedule(s->loop, &s->step_bh);
}

static const SlirpCb slirp_callbacks = {
	.send_packet = send_packet,
	.guest_error = guest_error,
	.clock_get_ns = clock_get_ns,
	.timer_free = timer_free,
	.timer_mod = timer_mod,
	.register_poll_fd = register_poll_fd,
	.unregister_poll_fd = unregister_poll_fd,
	.notify = notify,
	.timer_new_opaque = timer_new_opaque,
};

/* ---- the poll step ---- */

/* Brings the watches in line with the fill that just ran. */
static void update_watches(struct net_slirp *s)
{
	struct slirp_fd *sfd;
	int fd, ret;

	for (fd = 0; fd < s->nbyfd; fd++) {
		sfd = s->byfd[fd];
		if (!sfd)
			continue;
		if (!sfd->seen) {
			fd_drop(s, fd);
			continue;
		}
		ret = 0;
		if (!sfd->watch)
			ret = ioloop_watch_fd(s->loop, fd, sfd->wanted, on_fd, sfd, &sfd->watch);
		else if (sfd->wanted != sfd->watched)
			ret = ioloop_watch_modify(s->loop, sfd->watch, sfd->wanted);
		if (ret) {
			/* Only a bug or ENOMEM: slirp's TCP timers will retry. */
			fprintf(stderr, "vmain: net user: cannot watch fd %d: %s\n",
				fd, strerror(-ret));
			fd_drop(s, fd);
			continue;
		}
		sfd->watched = sfd->wanted;
	}
}

static void tx_flush(struct net_slirp *s)
{
	size_t off = 0;
	uint32_t len;

	while (off < s->tx_used) {
		memcpy(&len, s->tx + off, sizeof(len));
		slirp_input(s->slirp, s->tx + off + sizeof(len), len);
		off += (sizeof(len) + len + 3) & ~(size_t)3;
	}
	s->tx_used = 0;
}

static void step(void *opaque)
{
	struct net_slirp *s = opaque;
	const struct net_peer_ops *peer = s->be.peer;
	uint32_t timeout = UINT32_MAX;
	int fd;

	if (s->dead) {
		free(s);
		return;
	}
	if (s->filled)
		slirp_pollfds_poll(s->slirp, 0, get_revents, s);
	tx_flush(s);
	if (s->tx_blocked && peer) {
		s->tx_blocked = false;
		peer->tx_ready(s->be.peer_opaque, 0);
	}
	for (fd = 0; fd < s->nbyfd; fd++) {
		if (s->byfd[fd]) {
			s->byfd[fd]->seen = false;
			s->byfd[fd]->wanted = 0;
			s->byfd[fd]->revents = 0;
		}
	}
	s->npolls = 0;
	slirp_pollfds_fill(s->slirp, &timeout, add_poll, s);
	s->filled = true;
	update_watches(s);
	/*
	 * slirp_update_timeout() (libslirp 4.7 to 4.9) caps the timeout at
	 * 1000 ms and lowers it only for its TCP fast (2 ms) and slow (499 ms)
	 * timers, the latter also covering IP reassembly and UDP/ICMP socket
	 * expiry.  So 1000 means nothing of slirp's is due: no wake-up then,
	 * an idle VM's network costs the loop nothing.  (A TCP hostfwd rule's
	 * listening socket is on slirp's TCP list, which keeps the slow timer
	 * running: two wake-ups a second.)
	 */
	if (timeout >= SLIRP_IDLE_TIMEOUT_MS)
		ioloop_timer_disarm(s->poll_timer);
	else
		ioloop_timer_arm(s->poll_timer, ioloop_now_ns() + (int64_t)timeout * 1000000);
}

static void on_poll_timer(void *opaque)
{
	struct net_slirp *s = opaque;

	ioloop_bh_schedule(s->loop, &s->step_bh);
}

/* ---- net_backend_ops ---- */

static int slirp_send(struct net_backend *be, unsigned queue,
		      const struct virtio_net_hdr_v1 *hdr, const struct iovec *iov, int iovcnt)
{
	struct net_slirp *s = to_slirp(be);
	size_t len = 0, need;
	uint32_t len32;
	uint8_t *p;
	int i;

	(void)hdr;	/* no offloads: the NIC passes flags 0, GSO_NONE */
	if (queue)
		return -EINVAL;		/* one queue: slirp is one host stack */
	for (i = 0; i < iovcnt; i++) {
		len += iov[i].iov_len;
		if (len > NET_MAX_FRAME)
			return -EMSGSIZE;
	}
	if (len < 14)
		return -EINVAL;		/* not even an Ethernet header */
	need = (sizeof(len32) + len + 3) & ~(size_t)3;
	if (s->tx_used + need > TX_STAGE_BYTES) {
		s->tx_blocked = true;
		ioloop_bh_schedule(s->loop, &s->step_bh);
		return -EAGAIN;
	}
	len32 = len;
	p = s->tx + s->tx_used;
	memcpy(p, &len32, sizeof(len32));
	p += sizeof(len32);
	for (i = 0; i < iovcnt; i++) {
		memcpy(p, iov[i].iov_base, iov[i].iov_len);
		p += iov[i].iov_len;
	}
	s->tx_used += need;
	ioloop_bh_schedule(s->loop, &s->step_bh);
	return 0;
}

static int slirp_set_rx_offloads(struct net_backend *be, unsigned offloads)
{
	(void)be;
	/* be->offloads is 0: the NIC offers no offload feature, so none is accepted. */
	return offloads ? -EINVAL : 0;
}

static void teardown(void *opaque)
{
	struct net_slirp *s = opaque;
	int fd;

	/* Closes slirp's sockets and frees its timers (timer_free). */
	slirp_cleanup(s->slirp);
	for (fd = 0; fd < s->nbyfd; fd++)
		fd_drop(s, fd);
	ioloop_timer_free(s->poll_timer);
	free(s->byfd);
	free(s->polls);
	free(s->poll_events);
	free(s->tx);
	/* A queued step cannot be taken back: it frees s when it runs. */
	if (atomic_load(&s->step_bh.queued))
		s->dead = true;
	else
		free(s);
}

static void slirp_destroy(struct net_backend *be)
{
	struct net_slirp *s = to_slirp(be);

	ioloop_call_sync(s->loop, teardown, s);
}

static const struct net_backend_ops slirp_ops = {
	.send = slirp_send,
	.set_rx_offloads = slirp_set_rx_offloads,
	.destroy = slirp_destroy,
};

uint64_t net_slirp_rx_dropped(const struct net_backend *be)
{
	return ((const struct net_slirp *)be)->rx_dropped;
}

static void addr6(struct in6_addr *a, uint16_t last)
{
	/* fec0::/64, QEMU's site-local default, so guests see familiar addresses. */
	memset(a, 0, sizeof(*a));
	a->s6_addr[0] = 0xfe;
	a->s6_addr[1] = 0xc0;
	a->s6_addr[14] = last >> 8;
	a->s6_addr[15] = last;
}

int net_slirp_create(struct ioloop *l, const struct net_options *o,
		     struct net_backend **out, char *err, size_t errlen)
{
	SlirpConfig cfg = { .version = 4 };
	char a[INET_ADDRSTRLEN];
	struct net_slirp *s;
	unsigned i;
	int ret;

	if (o->kind != NET_KIND_USER) {
		snprintf(err, errlen, "net user: the options are not a user network's");
		return -EINVAL;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		goto nomem;
	s->tx = malloc(TX_STAGE_BYTES);
	if (!s->tx) {
		free(s);
		goto nomem;
	}
	s->be.ops = &slirp_ops;
	s->be.kind = "user";
	s->be.offloads = 0;
	s->be.tx_queues = 1;
	s->be.has_vnet_hdr = false;
	s->loop = l;
	ioloop_bh_init(&s->step_bh, step, s);
	ret = ioloop_timer_new(l, on_poll_timer, s, &s->poll_timer);
	if (ret) {
		snprintf(err, errlen, "net user: %s", strerror(-ret));
		goto free_tx;
	}

	cfg.restricted = o->restrict_;
	cfg.in_enabled = true;
	cfg.vnetwork = o->net;
	cfg.vnetmask = net_options_mask(o);
	cfg.vhost = net_options_gateway(o);
	cfg.vnameserver = net_options_dns(o);
	cfg.vdhcp_start = net_options_dhcp_start(o);
	cfg.in6_enabled = true;
	addr6(&cfg.vprefix_addr6, 0);
	cfg.vprefix_len = 64;
	addr6(&cfg.vhost6, 2);
	addr6(&cfg.vnameserver6, 3);
	/* enable_emu stays off: libslirp calls its protocol emulation unsafe. */
	s->slirp = slirp_new(&cfg, &slirp_callbacks, s);
	if (!s->slirp) {
		snprintf(err, errlen, "net user: libslirp refused the configuration");
		ret = -EINVAL;
		goto free_timer;
	}
	for (i = 0; i < o->nr_hostfwd; i++) {
		const struct net_hostfwd *f = &o->hostfwd[i];

		errno = 0;
		if (slirp_add_hostfwd(s->slirp, f->udp, f->host_addr, f->host_port,
				      f->guest_addr, f->guest_port) < 0) {
			ret = errno ? -errno : -EINVAL;
			inet_ntop(AF_INET, &f->host_addr, a, sizeof(a));
			snprintf(err, errlen, "hostfwd %s %s:%u: cannot listen: %s",
				 f->udp ? "udp" : "tcp", a, f->host_port,
				 errno ? strerror(errno) : "refused by libslirp");
			goto cleanup;
		}
	}
	/* The first fill: from here the loop drives slirp. */
	ioloop_bh_schedule(l, &s->step_bh);
	*out = &s->be;
	return 0;

cleanup:
	teardown(s);
	return ret;
free_timer:
	ioloop_timer_free(s->poll_timer);
free_tx:
	free(s->tx);
	free(s);
	return ret;
nomem:
	snprintf(err, errlen, "net user: out of memory");
	return -ENOMEM;
}
