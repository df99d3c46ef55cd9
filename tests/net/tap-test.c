// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tap-test.c - the tap back end (monitor/net/tap.c) on taps made in a
 * private network namespace (unshare(2) CLONE_NEWNET as root, else with a
 * user namespace too), with a fake NIC and an I/O loop turned by hand:
 * frames both ways (a packet socket on the tap is the host's side), a
 * frame read straight into buffers the NIC lends, the receive hold while
 * the NIC has no buffers, offloads, two queues, and
 * every open error: no such interface, not a tap, in use, a multi-queue
 * mismatch, another owner (as another uid: root only), plus an owner
 * opening its tap without privilege, a tap that is down, and a tap deleted
 * while open.  The test runs `ip`; the back end never does.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/if_tun.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "io/ioloop.h"
#include "net/tap.h"
#include "tap.h"

#define ETHERTYPE_TEST	0x88b5	/* IEEE 802 local experimental */
#define OTHER_UID	4242
#define MAX_FRAMES	32

static struct {
	bool can;
	int n;
	size_t len[MAX_FRAMES];
	uint8_t f[MAX_FRAMES][2048];
	struct virtio_net_hdr_v1 hdr[MAX_FRAMES];
	bool no_hdr;
	int tx_ready;
	unsigned tx_ready_queue;	/* of the last tx_ready() */
	int received;			/* receive() calls */
	bool lend;			/* rx_borrow() lends `lent` */
	int borrows, commits, empty_commits;
} nic;

/* What rx_borrow() lends: a header and the largest frame. */
static uint8_t lent[sizeof(struct virtio_net_hdr_v1) + NET_MAX_FRAME];

static bool nic_can_receive(void *opaque, size_t len)
{
	(void)opaque;
	(void)len;
	return nic.can;
}

/* Keeps test frames only: the kernel may send its own (IPv6 router solicitations). */
static long nic_receive(void *opaque, const struct virtio_net_hdr_v1 *hdr,
			const struct iovec *iov, int iovcnt)
{
	const uint8_t *p = iov[0].iov_base;

	(void)opaque;
	nic.received++;
	if (iovcnt != 1 || iov[0].iov_len < 14 || iov[0].iov_len > sizeof(nic.f[0]))
		return -ENOSPC;
	if ((p[12] << 8 | p[13]) != ETHERTYPE_TEST || nic.n == MAX_FRAMES)
		return iov[0].iov_len;
	if (!hdr)
		nic.no_hdr = true;
	else
		nic.hdr[nic.n] = *hdr;
	memcpy(nic.f[nic.n], p, iov[0].iov_len);
	nic.len[nic.n++] = iov[0].iov_len;
	return iov[0].iov_len;
}

static void nic_tx_ready(void *opaque, unsigned queue)
{
	(void)opaque;
	nic.tx_ready++;
	nic.tx_ready_queue = queue;
}

/* Lends `lent` in two pieces, the split inside the header. */
static int nic_rx_borrow(void *opaque, struct iovec *iov, int max, int *cnt)
{
	(void)opaque;
	if (!nic.lend || max < 2)
		return -ENOSPC;
	iov[0] = (struct iovec){ lent, 5 };
	iov[1] = (struct iovec){ lent + 5, sizeof(lent) - 5 };
	*cnt = 2;
	nic.borrows++;
	return 0;
}

static long nic_rx_commit(void *opaque, const struct iovec *iov, int cnt, long len)
{
	const size_t h = sizeof(struct virtio_net_hdr_v1);
	const uint8_t *p = lent + h;
	size_t flen;

	(void)opaque;
	nic.commits++;
	if (cnt != 2 || iov[0].iov_base != lent || len <= (long)h) {
		nic.empty_commits++;
		return 0;
	}
	flen = (size_t)len - h;
	if (flen < 14 || (p[12] << 8 | p[13]) != ETHERTYPE_TEST || nic.n == MAX_FRAMES ||
	    flen > sizeof(nic.f[0]))
		return (long)flen;
	memcpy(&nic.hdr[nic.n], lent, h);
	memcpy(nic.f[nic.n], p, flen);
	nic.len[nic.n++] = flen;
	return (long)flen;
}

static const struct net_peer_ops nic_ops = {
	.can_receive = nic_can_receive,
	.receive = nic_receive,
	.tx_ready = nic_tx_ready,
	.rx_borrow = nic_rx_borrow,
	.rx_commit = nic_rx_commit,
};

static struct ioloop *loop;

static void pump_until_n(int n, int ms)
{
	int64_t end = ioloop_now_ns() + ms * 1000000ll;

	while (nic.n < n && ioloop_now_ns() < end)
		ioloop_run_once(loop, 5);
}

static void pump(int ms)
{
	int64_t end = ioloop_now_ns() + ms * 1000000ll;

	while (ioloop_now_ns() < end)
		ioloop_run_once(loop, 5);
}

static int sh(const char *cmd)
{
	char buf[512];

	snprintf(buf, sizeof(buf), "PATH=/usr/sbin:/sbin:$PATH; %s", cmd);
	return system(buf);
}

static int open_tap(const char *spec, struct net_backend **be, char *err)
{
	struct net_options o;
	int ret;

	err[0] = 0;
	*be = NULL;
	ret = net_options_parse(spec, &o, err, 256);
	if (!ret)
		ret = net_tap_create(loop, &o, be, err, 256);
	if (!ret)
		net_backend_attach(*be, &nic_ops, NULL);
	return ret;
}

/* A frame from `src` with sequence byte `seq` in a 100-byte payload. */
static size_t test_frame(uint8_t *f, uint8_t src_last, uint8_t seq)
{
	int i;

	memset(f, 0xff, 6);
	memcpy(f + 6, "\x02\x00\x00\x00\x00", 5);
	f[11] = src_last;
	f[12] = ETHERTYPE_TEST >> 8;
	f[13] = ETHERTYPE_TEST & 0xff;
	for (i = 0; i < 100; i++)
		f[14 + i] = seq + i;
	return 114;
}

static int packet_socket(const char *ifname)
{
	struct sockaddr_ll a = { .sll_family = AF_PACKET, .sll_protocol = htons(ETHERTYPE_TEST),
				 .sll_ifindex = if_nametoindex(ifname) };
	int s = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK, htons(ETHERTYPE_TEST));

	if (s >= 0 && bind(s, (struct sockaddr *)&a, sizeof(a))) {
		close(s);
		return -1;
	}
	return s;
}

static int host_send(int ps, const char *ifname, const uint8_t *f, size_t len)
{
	struct sockaddr_ll a = { .sll_family = AF_PACKET, .sll_protocol = htons(ETHERTYPE_TEST),
				 .sll_ifindex = if_nametoindex(ifname), .sll_halen = 6 };

	memcpy(a.sll_addr, f, 6);
	return sendto(ps, f, len, 0, (struct sockaddr *)&a, sizeof(a)) == (ssize_t)len ? 0 : -errno;
}

/* The next frame the host receives on the tap (not its own sends); length or -1. */
static ssize_t host_recv(int ps, uint8_t *buf, size_t len, int ms)
{
	struct sockaddr_ll from;
	socklen_t flen;
	struct pollfd p = { .fd = ps, .events = POLLIN };
	ssize_t n;

	while (poll(&p, 1, ms) == 1) {
		flen = sizeof(from);
		n = recvfrom(ps, buf, len, 0, (struct sockaddr *)&from, &flen);
		if (n >= 0 && from.sll_pkttype != PACKET_OUTGOING)
			return n;
	}
	return -1;
}

static void frames(void)
{
	struct virtio_net_hdr_v1 hdr = { 0 };
	struct net_backend *be, *be2;
	uint8_t f[200], got[2048];
	char err[256];
	int ret, ps, i, ok;
	ssize_t n;
	struct iovec iov[2];
	size_t len;

	ret = open_tap("tap,ifname=vt0", &be, err);
	if (!tap_ok(ret == 0, "tap,ifname=vt0: opened (%s)", err))
		return;
	tap_ok(!strcmp(be->kind, "tap") && be->has_vnet_hdr, "kind tap, with a virtio-net header");
	tap_ok((be->offloads & (NET_OFFLOAD_CSUM | NET_OFFLOAD_TSO4 | NET_OFFLOAD_TSO6)) ==
	       (NET_OFFLOAD_CSUM | NET_OFFLOAD_TSO4 | NET_OFFLOAD_TSO6),
	       "offloads: CSUM, TSO4, TSO6 at least (0x%x; UFO 0x%x, ECN 0x%x)", be->offloads,
	       NET_OFFLOAD_UFO, NET_OFFLOAD_ECN);
	ps = packet_socket("vt0");
	if (!tap_ok(ps >= 0, "a packet socket on vt0"))
		goto out;

	/* Guest -> host, in two fragments. */
	len = test_frame(f, 1, 7);
	iov[0] = (struct iovec){ f, 20 };
	iov[1] = (struct iovec){ f + 20, len - 20 };
	ret = net_backend_send(be, 0, &hdr, iov, 2);
	n = host_recv(ps, got, sizeof(got), 1000);
	tap_ok(ret == 0 && n == (ssize_t)len && !memcmp(got, f, len),
	       "guest -> host: a 114-byte frame sent through the tap arrives on vt0 (%d, %zd)",
	       ret, n);

	/* Host -> guest. */
	memset(&nic, 0, sizeof(nic));
	nic.can = true;
	len = test_frame(f, 2, 9);
	ret = host_send(ps, "vt0", f, len);
	pump_until_n(1, 1000);
	tap_ok(ret == 0 && nic.n == 1 && nic.len[0] == len && !memcmp(nic.f[0], f, len),
	       "host -> guest: a frame sent on vt0 reaches the NIC (%d, %d)", ret, nic.n);
	tap_ok(!nic.no_hdr && nic.hdr[0].flags == 0 &&
	       nic.hdr[0].gso_type == VIRTIO_NET_HDR_GSO_NONE && nic.hdr[0].num_buffers == 0,
	       "it comes with a header: no flags, GSO none");
	tap_ok(nic.received >= 1, "  through receive(): the NIC lent no buffers");

	/* The NIC lends its buffers (rx_borrow): read straight into them. */
	memset(&nic, 0, sizeof(nic));
	nic.can = true;
	nic.lend = true;
	len = test_frame(f, 2, 11);
	ret = host_send(ps, "vt0", f, len);
	pump_until_n(1, 1000);
	tap_ok(ret == 0 && nic.n == 1 && nic.len[0] == len && !memcmp(nic.f[0], f, len) &&
	       nic.hdr[0].flags == 0 && nic.hdr[0].gso_type == VIRTIO_NET_HDR_GSO_NONE,
	       "rx_borrow: the frame read into the lent buffers, header first (%d)", nic.n);
	tap_ok(nic.received == 0 && nic.borrows == nic.commits && nic.empty_commits >= 1,
	       "  receive() not called; every borrow committed, the read that found "
	       "nothing with nothing (%d/%d/%d)", nic.borrows, nic.commits, nic.empty_commits);
	nic.lend = false;

	/* No guest buffers: one frame held, the rest wait in the kernel. */
	memset(&nic, 0, sizeof(nic));
	nic.can = false;
	for (i = 0; i < 3; i++)
		host_send(ps, "vt0", f, test_frame(f, 3, 10 * i));
	pump(50);
	tap_ok(nic.n == 0, "can_receive() false: nothing delivered, nothing lost yet");
	nic.can = true;
	pump(50);
	tap_ok(nic.n == 0, "input stays unwatched until rx_resume()");
	net_backend_rx_resume(be);
	pump_until_n(3, 1000);
	ok = nic.n == 3;
	for (i = 0; ok && i < 3; i++)
		ok = nic.f[i][14] == 10 * i;
	tap_ok(ok, "rx_resume(): the held frame, then the kernel's two, in order (%d)", nic.n);

	ret = be->ops->set_rx_offloads(be, NET_OFFLOAD_CSUM | NET_OFFLOAD_TSO4 | NET_OFFLOAD_TSO6);
	tap_ok(ret == 0, "set_rx_offloads(CSUM|TSO4|TSO6): TUNSETOFFLOAD accepts (%d)", ret);
	ret = be->ops->set_rx_offloads(be, be->offloads);
	tap_ok(ret == 0, "set_rx_offloads(every offered offload 0x%x): accepted (%d)",
	       be->offloads, ret);
	tap_ok(be->ops->set_rx_offloads(be, 0) == 0, "set_rx_offloads(0): accepted");
	tap_ok(be->ops->set_rx_offloads(be, 1u << 7) == -EINVAL,
	       "set_rx_offloads(an offload not offered): -EINVAL");

	/* Opened twice. */
	ret = open_tap("tap,ifname=vt0", &be2, err);
	tap_ok(ret == -EBUSY && !strcmp(err, "tap vt0: already in use by another process"),
	       "vt0 opened again: -EBUSY, '%s'", err);
	net_backend_destroy(be2);
	ret = open_tap("tap,ifname=vt0,queues=2", &be2, err);
	tap_ok(ret == -EINVAL && !strcmp(err, "tap vt0: not a tap interface, or its multi_queue "
					  "setting does not match queues=2"),
	       "vt0 (single queue) with queues=2: -EINVAL, '%s'", err);
	net_backend_destroy(be2);

	/* Down: the kernel refuses guest frames; the NIC drops and counts them. */
	sh("ip link set vt0 down");
	len = test_frame(f, 1, 1);
	iov[0] = (struct iovec){ f, len };
	ret = net_backend_send(be, 0, &hdr, iov, 1);
	tap_ok(ret == -EIO, "vt0 down: send() -> -EIO (%d)", ret);
	sh("ip link set vt0 up");

	/* Deleted while open: the queue is dropped, the loop does not spin. */
	sh("ip link del vt0");
	pump(20);
	ret = ioloop_run_once(loop, 0);
	ret += ioloop_run_once(loop, 0);
	tap_ok(ret == 0, "vt0 deleted while open: its fd is no longer watched (%d callbacks)",
	       ret);
	close(ps);
out:
	net_backend_destroy(be);
}

static void open_errors(void)
{
	struct net_backend *be;
	char err[256];
	int ret;

	ret = open_tap("tap,ifname=vt9", &be, err);
	tap_ok(ret == -ENOENT && !strcmp(err, "tap vt9: no such interface (vmain opens an existing "
					  "tap: ip tuntap add mode tap name vt9 user USER)"),
	       "a missing tap: -ENOENT, '%s'", err);
	tap_ok(if_nametoindex("vt9") == 0, "and none was created");
	net_backend_destroy(be);
	ret = open_tap("tap,ifname=lo", &be, err);
	tap_ok(ret == -EINVAL && !strcmp(err, "tap lo: not a tap interface, or its multi_queue "
					  "setting does not match queues=1"),
	       "lo: -EINVAL, '%s'", err);
	net_backend_destroy(be);
}

/*
 * Guest -> host on each queue of a two-queue tap (net.h: queue N carries
 * queue pair N).  That each send goes through its own queue's file is
 * shown by putting a pipe in place of queue 0's fd for a moment: a frame
 * sent on queue 0 lands in the pipe (behind its 12-byte header), one sent
 * on queue 1 reaches the host through the tap.
 */
static void multi_queue_send(struct net_backend *be, int ps)
{
	struct virtio_net_hdr_v1 hdr = { 0 };
	uint8_t f[200], got[2048];
	int r0, r1, r2, p[2], fd0 = net_tap_fd(be, 0), saved = -1;
	struct iovec iov;
	ssize_t n, np;

	iov = (struct iovec){ f, test_frame(f, 0x21, 1) };
	tap_ok(be->tx_queues == 2, "a two-queue tap has two transmit queues (%u)", be->tx_queues);
	r1 = net_backend_send(be, 1, &hdr, &iov, 1);
	n = host_recv(ps, got, sizeof(got), 1000);
	tap_ok(r1 == 0 && n == (ssize_t)iov.iov_len && !memcmp(got, f, iov.iov_len),
	       "guest -> host on queue 1: the frame arrives on vt1 (%d, %zd)", r1, n);
	if (!tap_ok(pipe2(p, O_NONBLOCK) == 0 && (saved = dup(fd0)) >= 0 &&
		    dup2(p[1], fd0) == fd0, "queue 0's fd replaced by a pipe"))
		return;
	iov.iov_len = test_frame(f, 0x22, 2);
	r0 = net_backend_send(be, 0, &hdr, &iov, 1);
	np = read(p[0], got, sizeof(got));
	tap_ok(r0 == 0 && np == 12 + (ssize_t)iov.iov_len && !memcmp(got + 12, f, iov.iov_len),
	       "a send on queue 0 goes to queue 0's fd only (%d, %zd bytes)", r0, np);
	iov.iov_len = test_frame(f, 0x23, 3);
	r1 = net_backend_send(be, 1, &hdr, &iov, 1);
	n = host_recv(ps, got, sizeof(got), 1000);
	np = read(p[0], got + 1024, 1024);
	tap_ok(r1 == 0 && n == (ssize_t)iov.iov_len && got[11] == 0x23 && np < 0,
	       "a send on queue 1 reaches the host, nothing of it on queue 0 (%d, %zd, "
	       "from ..:%02x)", r1, n, n > 11 ? got[11] : 0);
	dup2(saved, fd0);
	close(saved);
	close(p[0]);
	close(p[1]);
	r2 = net_backend_send(be, 2, &hdr, &iov, 1);
	tap_ok(r2 == -EINVAL, "a send on queue 2 of two: -EINVAL (%d)", r2);
}

static void multi_queue(void)
{
	struct net_backend *be, *be2;
	uint8_t f[200];
	char err[256];
	int ret, ps, i;

	if (!tap_ok(sh("ip tuntap add mode tap name vt1 multi_queue && ip link set vt1 up") == 0,
		    "ip tuntap add ... vt1 multi_queue"))
		return;
	ret = open_tap("tap,ifname=vt1,queues=2", &be, err);
	if (!tap_ok(ret == 0 && net_tap_fd(be, 0) >= 0 && net_tap_fd(be, 1) >= 0 &&
		    net_tap_fd(be, 2) == -EINVAL, "vt1 with queues=2: two fds (%s)", err))
		return;
	ret = open_tap("tap,ifname=vt1", &be2, err);
	tap_ok(ret == -EINVAL && strstr(err, "does not match queues=1"),
	       "vt1 (multi_queue) with one queue: -EINVAL, '%s'", err);
	net_backend_destroy(be2);
	ps = packet_socket("vt1");
	memset(&nic, 0, sizeof(nic));
	nic.can = true;
	for (i = 0; i < 8; i++)
		host_send(ps, "vt1", f, test_frame(f, 0x10 + i, i));
	/* 5 s: once, beside two arenas, none had come in 1 s (not understood). */
	pump_until_n(8, 5000);
	tap_ok(nic.n == 8, "8 frames from the host through a two-queue tap: all 8 arrive (%d)",
	       nic.n);
	multi_queue_send(be, ps);
	close(ps);
	net_backend_destroy(be);
}

/* In a child as uid `uid`: opens vt2 and reports the result through a pipe. */
static int open_as(uid_t uid, char *err)
{
	int p[2], status, ret;
	pid_t pid;
	ssize_t n;

	if (pipe(p))
		return -errno;
	pid = fork();
	if (pid == 0) {
		struct net_options o;
		struct net_backend *be = NULL;
		struct ioloop *l;
		char e[256] = "";

		close(p[0]);
		ret = setgroups(0, NULL) || setgid(uid) || setuid(uid) ? -errno : 0;
		if (!ret)
			ret = ioloop_create(&l);
		if (!ret) {
			net_options_parse("tap,ifname=vt2", &o, e, sizeof(e));
			ret = net_tap_create(l, &o, &be, e, sizeof(e));
			net_backend_destroy(be);
			ioloop_destroy(l);
		} else {
			snprintf(e, sizeof(e), "setuid: %s", strerror(-ret));
		}
		n = write(p[1], &ret, sizeof(ret));
		n += write(p[1], e, strlen(e) + 1);
		_exit(n > 0 ? 0 : 1);
	}
	close(p[1]);
	ret = -EIO;
	if (read(p[0], &ret, sizeof(ret)) != sizeof(ret))
		ret = -EIO;
	n = read(p[0], err, 255);
	err[n > 0 ? n : 0] = 0;
	close(p[0]);
	waitpid(pid, &status, 0);
	return ret;
}

static void owners(bool real_root)
{
	char err[256];
	int ret;

	if (!real_root) {
		tap_diag("not root: the other-owner checks need a second uid (run as root)");
		return;
	}
	if (!tap_ok(sh("ip tuntap add mode tap name vt2 user 4242") == 0,
		    "ip tuntap add ... vt2 user %d", OTHER_UID))
		return;
	ret = open_as(OTHER_UID + 1, err);
	tap_ok(ret == -EPERM && !strcmp(err, "tap vt2: owned by another user or group "
					  "(ip tuntap add ... user NAME sets the owner)"),
	       "vt2 opened by uid %d: -EPERM, '%s'", OTHER_UID + 1, err);
	ret = open_as(OTHER_UID, err);
	tap_ok(ret == 0, "vt2 opened by its owner, uid %d, without privilege (%d %s)",
	       OTHER_UID, ret, err);
}

/* A private network namespace; *real_root when we are root outside it too. */
static int private_net(bool *real_root)
{
	char map[64];
	uid_t uid = getuid();
	gid_t gid = getgid();
	int fd;

	*real_root = false;
	if (!unshare(CLONE_NEWNET)) {
		*real_root = uid == 0;
		return 0;
	}
	if (unshare(CLONE_NEWUSER | CLONE_NEWNET))
		return -errno;
	/* user_namespaces(7): setgroups denied before an unprivileged gid_map. */
	fd = open("/proc/self/setgroups", O_WRONLY);
	if (fd >= 0) {
		if (write(fd, "deny", 4) != 4)
			return -errno;
		close(fd);
	}
	snprintf(map, sizeof(map), "0 %u 1", uid);
	fd = open("/proc/self/uid_map", O_WRONLY);
	if (fd < 0 || write(fd, map, strlen(map)) < 0)
		return -errno;
	close(fd);
	snprintf(map, sizeof(map), "0 %u 1", gid);
	fd = open("/proc/self/gid_map", O_WRONLY);
	if (fd < 0 || write(fd, map, strlen(map)) < 0)
		return -errno;
	close(fd);
	return 0;
}

int main(void)
{
	bool real_root;
	int ret;

	ret = private_net(&real_root);
	if (!tap_ok(ret == 0, "a private network namespace (%s)", ret ? strerror(-ret) : "ok"))
		return tap_done();
	if (!tap_ok(sh("ip link set lo up && ip tuntap add mode tap name vt0 && "
		       "ip link set vt0 up") == 0, "ip tuntap add mode tap name vt0; up"))
		return tap_done();
	ret = ioloop_create(&loop);
	if (!tap_ok(ret == 0, "ioloop_create"))
		return tap_done();
	frames();
	open_errors();
	multi_queue();
	owners(real_root);
	ioloop_destroy(loop);
	return tap_done();
}
