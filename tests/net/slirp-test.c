// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * slirp-test.c - the user-mode NAT back end (monitor/net/slirp.c) on an I/O
 * loop turned by hand, with a fake NIC that records what it receives:
 * DHCP DISCOVER -> OFFER, ARP for the gateway, a hostfwd connection from
 * the host becoming a SYN toward the guest, restrict=on against off for a
 * guest connecting out, a hostfwd port in use, drops while the NIC has no
 * buffers, the bounded transmit stage with its tx_ready(), and teardown
 * with work still queued (ASan checks the frees; ioloop_destroy() that no
 * watch or timer is left).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "io/ioloop.h"
#include "net/slirp.h"
#include "tap.h"

#define MAX_FRAMES	64

/* The fake NIC. */
static struct {
	bool can;			/* can_receive()'s answer */
	int n;				/* frames received */
	size_t len[MAX_FRAMES];
	uint8_t f[MAX_FRAMES][2048];
	bool hdr_seen;			/* a non-NULL header (slirp must pass NULL) */
	int tx_ready;
	unsigned tx_ready_queue;	/* of the last tx_ready() */
} nic;

static bool nic_can_receive(void *opaque, size_t len)
{
	(void)opaque;
	(void)len;
	return nic.can;
}

static long nic_receive(void *opaque, const struct virtio_net_hdr_v1 *hdr,
			const struct iovec *iov, int iovcnt)
{
	size_t len = 0;
	int i;

	(void)opaque;
	if (hdr)
		nic.hdr_seen = true;
	if (nic.n == MAX_FRAMES)
		return -ENOSPC;
	for (i = 0; i < iovcnt; i++) {
		if (len + iov[i].iov_len > sizeof(nic.f[0]))
			return -ENOSPC;
		memcpy(nic.f[nic.n] + len, iov[i].iov_base, iov[i].iov_len);
		len += iov[i].iov_len;
	}
	nic.len[nic.n++] = len;
	return len;
}

static void nic_tx_ready(void *opaque, unsigned queue)
{
	(void)opaque;
	nic.tx_ready++;
	nic.tx_ready_queue = queue;
}

static const struct net_peer_ops nic_ops = {
	.can_receive = nic_can_receive,
	.receive = nic_receive,
	.tx_ready = nic_tx_ready,
};

static void nic_reset(void)
{
	nic.n = 0;
	nic.can = true;
}

static struct ioloop *loop;

/* Turns the loop for `ms` milliseconds. */
static void pump(int ms)
{
	int64_t end = ioloop_now_ns() + ms * 1000000ll;

	while (ioloop_now_ns() < end)
		ioloop_run_once(loop, 5);
}

/* Turns the loop until match() finds a frame (its index) or `ms` pass (-1). */
static int pump_until(bool (*match)(const uint8_t *f, size_t len), int ms)
{
	int64_t end = ioloop_now_ns() + ms * 1000000ll;
	int i, from = 0;

	for (;;) {
		for (i = from; i < nic.n; i++)
			if (match(nic.f[i], nic.len[i]))
				return i;
		from = nic.n;
		if (ioloop_now_ns() > end)
			return -1;
		ioloop_run_once(loop, 5);
	}
}

/* ---- frames ---- */

static const uint8_t guest_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static uint16_t get16(const uint8_t *p)
{
	return p[0] << 8 | p[1];
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static uint32_t sum(const uint8_t *p, size_t len, uint32_t s)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		s += get16(p + i);
	if (len & 1)
		s += p[len - 1] << 8;
	return s;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return ~s;
}

static size_t eth(uint8_t *f, const uint8_t *dst, uint16_t type)
{
	memcpy(f, dst, 6);
	memcpy(f + 6, guest_mac, 6);
	put16(f + 12, type);
	return 14;
}

/* An IPv4 header at f (20 bytes) with a correct checksum. */
static void ip4(uint8_t *f, uint8_t proto, const char *src, const char *dst, size_t payload)
{
	memset(f, 0, 20);
	f[0] = 0x45;
	put16(f + 2, 20 + payload);
	f[8] = 64;
	f[9] = proto;
	inet_pton(AF_INET, src, f + 12);
	inet_pton(AF_INET, dst, f + 16);
	put16(f + 10, fold(sum(f, 20, 0)));
}

/* The transport checksum over the IPv4 pseudo-header (RFC 793, RFC 768). */
static uint16_t l4sum(const uint8_t *iph, const uint8_t *l4, size_t len)
{
	uint32_t s = sum(iph + 12, 8, 0) + iph[9] + len;

	return fold(sum(l4, len, s));
}

static size_t dhcp_discover(uint8_t *f)
{
	uint8_t *ip = f + 14, *udp = ip + 20, *b = udp + 8;
	size_t blen = 240 + 4;

	memset(f, 0, 14 + 20 + 8 + blen);
	eth(f, bcast, 0x0800);
	b[0] = 1;		/* BOOTREQUEST (RFC 2131 section 2) */
	b[1] = 1;		/* htype Ethernet */
	b[2] = 6;
	b[4] = 0xde; b[5] = 0xad; b[6] = 0xbe; b[7] = 0xef;	/* xid */
	memcpy(b + 28, guest_mac, 6);
	b[236] = 99; b[237] = 130; b[238] = 83; b[239] = 99;	/* magic cookie */
	b[240] = 53; b[241] = 1; b[242] = 1;			/* DHCPDISCOVER */
	b[243] = 255;
	put16(udp, 68);
	put16(udp + 2, 67);
	put16(udp + 4, 8 + blen);
	ip4(ip, 17, "0.0.0.0", "255.255.255.255", 8 + blen);
	put16(udp + 6, l4sum(ip, udp, 8 + blen));
	return 14 + 20 + 8 + blen;
}

static size_t arp_request(uint8_t *f, const char *sender, const char *target)
{
	uint8_t *a = f + 14;

	memset(f, 0, 60);
	eth(f, bcast, 0x0806);
	put16(a, 1);		/* Ethernet */
	put16(a + 2, 0x0800);
	a[4] = 6;
	a[5] = 4;
	put16(a + 6, 1);	/* request (RFC 826) */
	memcpy(a + 8, guest_mac, 6);
	inet_pton(AF_INET, sender, a + 14);
	inet_pton(AF_INET, target, a + 24);
	return 60;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

static const uint8_t *gw_mac = (const uint8_t *)"\x52\x55\x0a\x00\x02\x02";

/* A TCP segment (RFC 793 section 3.1) with `plen` bytes of payload. */
static size_t tcp_seg(uint8_t *f, const uint8_t *dst_mac, const char *src, const char *dst,
		      uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack,
		      uint8_t flags, const void *payload, size_t plen)
{
	uint8_t *ip = f + 14, *t = ip + 20;

	memset(f, 0, 14 + 40);
	eth(f, dst_mac, 0x0800);
	put16(t, sport);
	put16(t + 2, dport);
	put32(t + 4, seq);
	put32(t + 8, ack);
	t[12] = 5 << 4;			/* data offset */
	t[13] = flags;
	put16(t + 14, 64240);
	if (plen)
		memcpy(t + 20, payload, plen);
	ip4(ip, 6, src, dst, 20 + plen);
	put16(t + 16, l4sum(ip, t, 20 + plen));
	return 14 + 40 + plen;
}

static size_t tcp_syn(uint8_t *f, const uint8_t *dst_mac, const char *src, const char *dst,
		      uint16_t sport, uint16_t dport)
{
	return tcp_seg(f, dst_mac, src, dst, sport, dport, 0x12340000, 0, 0x02, NULL, 0);
}

static int send_frame(struct net_backend *be, uint8_t *f, size_t len)
{
	struct virtio_net_hdr_v1 hdr = { 0 };
	/* Two fragments, as a descriptor chain would give them. */
	struct iovec iov[2] = {
		{ .iov_base = f, .iov_len = 10 },
		{ .iov_base = f + 10, .iov_len = len - 10 },
	};

	return net_backend_send(be, 0, &hdr, iov, 2);
}

static const uint8_t *ipv4_of(const uint8_t *f, size_t len, uint8_t proto)
{
	if (len < 14 + 20 || get16(f + 12) != 0x0800 || (f[14] >> 4) != 4 || f[14 + 9] != proto)
		return NULL;
	return f + 14;
}

static bool is_dhcp_offer(const uint8_t *f, size_t len)
{
	const uint8_t *ip = ipv4_of(f, len, 17), *udp, *b;

	if (!ip || len < 14 + 20 + 8 + 240)
		return false;
	udp = ip + (ip[0] & 15) * 4;
	b = udp + 8;
	return get16(udp) == 67 && get16(udp + 2) == 68 && b[0] == 2;
}

/* The value of DHCP option `code` in the BOOTP message at b, or NULL. */
static const uint8_t *dhcp_opt(const uint8_t *b, size_t blen, uint8_t code)
{
	size_t i = 240;

	while (i + 2 <= blen && b[i] != 255) {
		if (b[i] == 0) {
			i++;
			continue;
		}
		if (b[i] == code)
			return b + i + 2;
		i += 2 + b[i + 1];
	}
	return NULL;
}

static bool is_arp_reply(const uint8_t *f, size_t len)
{
	return len >= 42 && get16(f + 12) == 0x0806 && get16(f + 14 + 6) == 2;
}

static uint16_t want_sport, want_dport;
static const char *want_dst;

static bool is_syn_to_guest(const uint8_t *f, size_t len)
{
	const uint8_t *ip = ipv4_of(f, len, 6), *t;
	char dst[INET_ADDRSTRLEN];

	if (!ip)
		return false;
	t = ip + (ip[0] & 15) * 4;
	inet_ntop(AF_INET, ip + 16, dst, sizeof(dst));
	return !strcmp(dst, want_dst) && get16(t + 2) == want_dport &&
	       (t[13] & 0x12) == 0x02;
}

/* A TCP segment from (want_dst as source) port want_dport to the guest's want_sport. */
static bool is_tcp_reply(const uint8_t *f, size_t len)
{
	const uint8_t *ip = ipv4_of(f, len, 6), *t;

	if (!ip)
		return false;
	t = ip + (ip[0] & 15) * 4;
	return get16(t) == want_dport && get16(t + 2) == want_sport;
}

static const uint8_t *tcp_of(const uint8_t *f)
{
	return f + 14 + (f[14] & 15) * 4;
}

/* ---- helpers ---- */

static struct net_backend *make(const char *spec, char *err, int *ret)
{
	struct net_options o;
	struct net_backend *be = NULL;

	err[0] = 0;
	*ret = net_options_parse(spec, &o, err, 256);
	if (!*ret)
		*ret = net_slirp_create(loop, &o, &be, err, 256);
	if (!*ret)
		net_backend_attach(be, &nic_ops, NULL);
	return *ret ? NULL : be;
}

/* A TCP port free on 127.0.0.1 now. */
static int free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM, 0), port;

	bind(s, (struct sockaddr *)&a, sizeof(a));
	getsockname(s, (struct sockaddr *)&a, &alen);
	port = ntohs(a.sin_port);
	close(s);
	return port;
}

static int listen_on(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;

	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s, (struct sockaddr *)&a, sizeof(a)) || listen(s, 4)) {
		close(s);
		return -1;
	}
	return s;
}

/* ---- tests ---- */

static uint16_t data_port;
static const char *data_want;

/* A segment to the guest's data_port carrying data_want. */
static bool is_data_to_guest(const uint8_t *f, size_t len)
{
	const uint8_t *ip = ipv4_of(f, len, 6), *t;
	size_t n = strlen(data_want), hl;

	if (!ip)
		return false;
	t = ip + (ip[0] & 15) * 4;
	hl = (t[12] >> 4) * 4;
	return get16(t + 2) == data_port && get16(ip + 2) == (ip[0] & 15) * 4 + hl + n &&
	       !memcmp(t + hl, data_want, n);
}

/*
 * After slirp's SYN (frame syn) for host socket c: the guest accepts, then
 * data goes both ways, through slirp's fd watches and poll steps.
 */
static void tcp_data(struct net_backend *be, int c, const uint8_t *syn)
{
	const uint8_t *t = tcp_of(syn);
	uint16_t sport = get16(t);
	uint32_t sseq = get32(t + 4), gseq = 0x7000;
	char buf[64];
	uint8_t f[200];
	int i, got = 0;
	int64_t end;
	ssize_t n;

	nic_reset();
	send_frame(be, f, tcp_seg(f, gw_mac, "10.0.2.15", "10.0.2.2", 2222, sport, gseq,
				  sseq + 1, 0x12, NULL, 0));
	pump(30);
	n = write(c, "hello guest", 11);
	data_port = 2222;
	data_want = "hello guest";
	i = pump_until(is_data_to_guest, 2000);
	tap_ok(n == 11 && i >= 0, "hostfwd: 11 bytes the host writes reach the guest in a segment");
	send_frame(be, f, tcp_seg(f, gw_mac, "10.0.2.15", "10.0.2.2", 2222, sport, gseq + 1,
				  sseq + 1 + 11, 0x18, "hello host", 10));
	end = ioloop_now_ns() + 2000 * 1000000ll;
	while (got < 10 && ioloop_now_ns() < end) {
		ioloop_run_once(loop, 5);
		n = read(c, buf + got, sizeof(buf) - got);
		if (n > 0)
			got += n;
	}
	tap_ok(got == 10 && !memcmp(buf, "hello host", 10),
	       "hostfwd: 10 bytes the guest sends reach the host socket (%d)", got);
	/* A connection open: slirp's slow TCP timer (499 ms) wakes the loop. */
	pump(20);
	end = ioloop_now_ns();
	i = ioloop_run_once(loop, 1500);
	end = (ioloop_now_ns() - end) / 1000000;
	tap_ok(i > 0 && end < 700, "with a connection open the loop wakes for slirp's "
	       "timers (after %lld ms)", (long long)end);
}

/* The host connects to forwarded port `port`: slirp opens toward 10.0.2.15:2222. */
static void hostfwd_syn(struct net_backend *be, int port, const char *what)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int c, ret, i;

	nic_reset();
	c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	ret = connect(c, (struct sockaddr *)&a, sizeof(a));
	tap_ok(ret == 0 || errno == EINPROGRESS,
	       "%sconnect() to 127.0.0.1:%d, the forwarded port", what, port);
	want_dst = "10.0.2.15";
	want_dport = 2222;
	i = pump_until(is_syn_to_guest, 2000);
	tap_ok(i >= 0, "%sslirp sends a TCP SYN to 10.0.2.15:2222", what);
	if (i >= 0) {
		const uint8_t *t = tcp_of(nic.f[i]);

		tap_ok(!memcmp(nic.f[i], guest_mac, 6) && get16(nic.f[i] + 12) == 0x0800,
		       "%sthe SYN's frame: to the guest's MAC, IPv4", what);
		tap_ok(t[13] == 0x02 && l4sum(nic.f[i] + 14, t, nic.len[i] - 34) == 0,
		       "%sthe segment: SYN only, a valid checksum", what);
		if (!*what) {
			uint8_t syn[128];

			memcpy(syn, nic.f[i], nic.len[i] < sizeof(syn) ? nic.len[i] : sizeof(syn));
			tcp_data(be, c, syn);
		}
	}
	close(c);
}

static void dhcp_arp_hostfwd(void)
{
	char err[256], spec[128], gw[INET_ADDRSTRLEN];
	struct net_backend *be;
	uint8_t f[600];
	int ret, i, port = free_port();
	size_t len;

	snprintf(spec, sizeof(spec), "user,hostfwd=tcp::%d-:2222", port);
	be = make(spec, err, &ret);
	tap_ok(be && !strcmp(be->kind, "user") && !be->offloads && !be->has_vnet_hdr,
	       "%s: created; kind user, no offloads, no vnet header (%d %s)", spec, ret, err);
	if (!be)
		return;
	nic_reset();
	pump(20);

	len = dhcp_discover(f);
	ret = send_frame(be, f, len);
	tap_ok(ret == 0, "DHCP DISCOVER taken by send() (%d)", ret);
	i = pump_until(is_dhcp_offer, 2000);
	tap_ok(i >= 0, "a DHCP reply arrives");
	if (i >= 0) {
		const uint8_t *b = nic.f[i] + 14 + 20 + 8, *t, *sid;
		char yi[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, b + 16, yi, sizeof(yi));
		t = dhcp_opt(b, nic.len[i] - 42, 53);
		sid = dhcp_opt(b, nic.len[i] - 42, 54);
		if (sid)
			inet_ntop(AF_INET, sid, gw, sizeof(gw));
		tap_ok(!strcmp(yi, "10.0.2.15"), "the offer's address: 10.0.2.15 (%s)", yi);
		tap_ok(t && *t == 2, "DHCP message type OFFER (%d)", t ? *t : -1);
		tap_ok(sid && !strcmp(gw, "10.0.2.2"), "server identifier 10.0.2.2");
		tap_ok(!memcmp(nic.f[i], guest_mac, 6) || !memcmp(nic.f[i], bcast, 6),
		       "the offer goes to the guest's MAC (or broadcast)");
		tap_ok(!memcmp(b + 4, "\xde\xad\xbe\xef", 4), "the offer carries the DISCOVER's xid");
	}
	tap_ok(!nic.hdr_seen, "slirp hands frames without a virtio-net header (hdr NULL)");

	nic_reset();
	len = arp_request(f, "10.0.2.15", "10.0.2.2");
	send_frame(be, f, len);
	i = pump_until(is_arp_reply, 2000);
	tap_ok(i >= 0, "ARP who-has 10.0.2.2: answered");
	if (i >= 0) {
		const uint8_t *a = nic.f[i] + 14;
		char spa[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, a + 14, spa, sizeof(spa));
		tap_ok(!strcmp(spa, "10.0.2.2") && !memcmp(a + 18, guest_mac, 6) &&
		       !memcmp(nic.f[i], guest_mac, 6),
		       "the reply: 10.0.2.2 is at %02x:%02x:%02x:%02x:%02x:%02x, sent to the guest",
		       a[8], a[9], a[10], a[11], a[12], a[13]);
	}

	hostfwd_syn(be, port, "");
	net_backend_destroy(be);
}

/* The guest connects to the host's loopback (10.0.2.2:port), restricted or not. */
static void restrict_mode(bool restricted)
{
	char err[256], spec[128];
	struct net_backend *be;
	int ret, i, port = free_port(), fwd = free_port(), l, a;
	uint8_t f[128];
	size_t len;

	snprintf(spec, sizeof(spec), "user,restrict=%s,hostfwd=tcp::%d-:2222",
		 restricted ? "on" : "off", fwd);
	l = listen_on(port);
	be = make(spec, err, &ret);
	tap_ok(be != NULL && l >= 0, "%s: created; a listener on 127.0.0.1:%d", spec, port);
	if (!be || l < 0)
		goto out;
	nic_reset();
	pump(20);
	len = arp_request(f, "10.0.2.15", "10.0.2.2");
	send_frame(be, f, len);
	pump_until(is_arp_reply, 1000);
	nic_reset();
	len = tcp_syn(f, gw_mac, "10.0.2.15", "10.0.2.2",
		      40000, port);
	want_sport = 40000;
	want_dport = port;
	ret = send_frame(be, f, len);
	i = pump_until(is_tcp_reply, 1000);
	pump(100);
	a = accept(l, NULL, NULL);
	if (restricted) {
		tap_ok(ret == 0 && a < 0, "restrict=on: the guest's SYN to 10.0.2.2:%d reaches "
		       "no host socket", port);
		tap_ok(i < 0 || (tcp_of(nic.f[i])[13] & 0x12) != 0x12,
		       "restrict=on: no SYN-ACK for it (%s)", i < 0 ? "nothing" : "a reset");
		/* Forwarded ports still work. */
		hostfwd_syn(be, fwd, "restrict=on: ");
	} else {
		tap_ok(ret == 0 && a >= 0, "restrict=off: the guest's SYN to 10.0.2.2:%d is "
		       "a connection on the host's 127.0.0.1:%d", port, port);
		tap_ok(i >= 0 && (tcp_of(nic.f[i])[13] & 0x12) == 0x12,
		       "restrict=off: the guest gets the SYN-ACK");
	}
	if (a >= 0)
		close(a);
	net_backend_destroy(be);
out:
	if (l >= 0)
		close(l);
}

static void hostfwd_in_use(void)
{
	char err[256], spec[128], want[128];
	struct net_backend *be;
	int ret, port = free_port(), l = listen_on(port);

	snprintf(spec, sizeof(spec), "user,hostfwd=tcp::%d-:22", port);
	be = make(spec, err, &ret);
	snprintf(want, sizeof(want), "hostfwd tcp 127.0.0.1:%d: cannot listen: %s", port,
		 strerror(EADDRINUSE));
	tap_ok(!be && ret == -EADDRINUSE && !strcmp(err, want),
	       "a forwarded port in use: -EADDRINUSE, '%s' (%d '%s')", want, ret, err);
	net_backend_destroy(be);
	close(l);
}

static void other_net(void)
{
	char err[256];
	struct net_backend *be;
	uint8_t f[600];
	int ret, i;

	be = make("user,net=192.168.76.0/24", err, &ret);
	if (!tap_ok(be != NULL, "net=192.168.76.0/24: created (%s)", err))
		return;
	nic_reset();
	send_frame(be, f, dhcp_discover(f));
	i = pump_until(is_dhcp_offer, 2000);
	tap_ok(i >= 0 && !memcmp(nic.f[i] + 14 + 20 + 8 + 16, "\xc0\xa8\x4c\x0f", 4),
	       "net=192.168.76.0/24: the offer is 192.168.76.15");

	/* No guest buffers: slirp's frames are dropped and counted. */
	nic_reset();
	nic.can = false;
	send_frame(be, f, arp_request(f, "192.168.76.15", "192.168.76.2"));
	pump(50);
	tap_ok(nic.n == 0 && net_slirp_rx_dropped(be) == 1,
	       "can_receive() false: the ARP reply is dropped and counted (%d received, "
	       "%llu dropped)", nic.n, (unsigned long long)net_slirp_rx_dropped(be));
	net_backend_destroy(be);
}

/* An ICMPv6 router solicitation (RFC 4861 section 4.1) from the guest's link-local address. */
static size_t router_solicitation(uint8_t *f)
{
	uint8_t *ip = f + 14, *icmp = ip + 40;
	uint32_t s;

	memset(f, 0, 14 + 40 + 16);
	eth(f, (const uint8_t *)"\x33\x33\x00\x00\x00\x02", 0x86dd);
	ip[0] = 0x60;
	put16(ip + 4, 16);
	ip[6] = 58;		/* ICMPv6 */
	ip[7] = 255;
	inet_pton(AF_INET6, "fe80::5054:ff:fe12:3456", ip + 8);
	inet_pton(AF_INET6, "ff02::2", ip + 24);
	icmp[0] = 133;
	icmp[8] = 1;		/* source link-layer address option */
	icmp[9] = 1;
	memcpy(icmp + 10, guest_mac, 6);
	/* RFC 8200 section 8.1: the pseudo-header's addresses, length, next header. */
	s = sum(ip + 8, 32, 0) + 16 + 58;
	put16(icmp + 2, fold(sum(icmp, 16, s)));
	return 14 + 40 + 16;
}

static bool is_router_advert(const uint8_t *f, size_t len)
{
	return len >= 14 + 40 + 16 && get16(f + 12) == 0x86dd && f[14 + 6] == 58 &&
	       f[14 + 40] == 134;
}

static void ipv6(void)
{
	char err[256], prefix[INET6_ADDRSTRLEN] = "";
	struct net_backend *be;
	uint8_t f[128];
	int ret, i;
	size_t off;

	be = make("user", err, &ret);
	if (!tap_ok(be != NULL, "user: created (%s)", err))
		return;
	nic_reset();
	send_frame(be, f, router_solicitation(f));
	i = pump_until(is_router_advert, 2000);
	tap_ok(i >= 0, "IPv6: a router solicitation is answered with an advertisement");
	if (i >= 0) {
		/* Options after the 16-byte RA header (RFC 4861 section 4.2). */
		for (off = 14 + 40 + 16; off + 8 <= nic.len[i] && nic.f[i][off + 1];
		     off += nic.f[i][off + 1] * 8) {
			if (nic.f[i][off] == 3 && off + 32 <= nic.len[i])
				inet_ntop(AF_INET6, nic.f[i] + off + 16, prefix, sizeof(prefix));
		}
		tap_ok(!strcmp(prefix, "fec0::"), "the advertised prefix: fec0::/64 (%s)", prefix);
	}
	net_backend_destroy(be);
}

/* No connection, nothing to send: slirp never wakes the loop. */
static void idle(void)
{
	char err[256], spec[64];
	struct net_backend *be;
	int64_t t;
	int ret;

	/*
	 * A UDP forward, not TCP: a listening TCP socket is on slirp's TCP list,
	 * and libslirp runs its slow timer (499 ms) whenever that list is not
	 * empty.
	 */
	snprintf(spec, sizeof(spec), "user,hostfwd=udp::%d-:53", free_port());
	be = make(spec, err, &ret);
	if (!tap_ok(be != NULL, "%s: created (%s)", spec, err))
		return;
	pump(50);
	t = ioloop_now_ns();
	ret = ioloop_run_once(loop, 1300);
	t = (ioloop_now_ns() - t) / 1000000;
	tap_ok(ret == 0 && t >= 1250, "idle, a UDP forward listening: no wake-up in 1.3 s "
	       "(%d callbacks, %lld ms)", ret,
	       (long long)t);
	net_backend_destroy(be);
}

static void tx_bounds(void)
{
	struct virtio_net_hdr_v1 hdr = { 0 };
	char err[256];
	struct net_backend *be;
	static uint8_t f[1514];
	struct iovec iov = { .iov_base = f, .iov_len = sizeof(f) };
	int ret, n = 0, big;

	be = make("user", err, &ret);
	if (!tap_ok(be != NULL, "user: created (%s)", err))
		return;
	nic_reset();
	nic.tx_ready = 0;
	/* Frames to nobody (an unknown ether type): slirp drops them. */
	eth(f, bcast, 0x88b5);
	while ((ret = net_backend_send(be, 0, &hdr, &iov, 1)) == 0 && n < 100000)
		n++;
	tap_ok(ret == -EAGAIN && n > 100 && n < 200,
	       "send() without the loop turning: %d frames of 1514 staged, then -EAGAIN", n);
	tap_ok(net_backend_send(be, 0, &hdr, &iov, 1) == -EAGAIN && nic.tx_ready == 0,
	       "full: -EAGAIN again; no tx_ready() yet");
	pump(20);
	tap_ok(nic.tx_ready == 1 && nic.tx_ready_queue == 0,
	       "the loop turns: tx_ready() once, for queue 0 (%d)", nic.tx_ready);
	tap_ok(net_backend_send(be, 0, &hdr, &iov, 1) == 0, "send() takes frames again");
	tap_ok(be->tx_queues == 1 && net_backend_send(be, 1, &hdr, &iov, 1) == -EINVAL,
	       "one transmit queue: send() on queue 1 is -EINVAL");
	iov.iov_len = 13;
	tap_ok(net_backend_send(be, 0, &hdr, &iov, 1) == -EINVAL, "a 13-byte frame: -EINVAL");
	{
		struct iovec two[2] = { { f, sizeof(f) }, { f, NET_MAX_FRAME } };

		big = net_backend_send(be, 0, &hdr, two, 2);
	}
	tap_ok(big == -EMSGSIZE, "a frame over NET_MAX_FRAME: -EMSGSIZE");
	tap_ok(be->ops->set_rx_offloads(be, 0) == 0 &&
	       be->ops->set_rx_offloads(be, NET_OFFLOAD_CSUM) == -EINVAL,
	       "set_rx_offloads: none taken, CSUM refused");
	/* Destroyed with frames staged and the poll step queued. */
	iov.iov_len = sizeof(f);
	net_backend_send(be, 0, &hdr, &iov, 1);
	/* The step frees it when it runs: LeakSanitizer and ASan watch that. */
	net_backend_destroy(be);
}

int main(void)
{
	int ret = ioloop_create(&loop);

	if (!tap_ok(ret == 0, "ioloop_create"))
		return tap_done();
	dhcp_arp_hostfwd();
	restrict_mode(false);
	restrict_mode(true);
	hostfwd_in_use();
	other_net();
	ipv6();
	idle();
	tx_bounds();
	pump(10);
	/* Aborts unless every back end removed all its watches and timers. */
	ioloop_destroy(loop);
	return tap_done();
}
