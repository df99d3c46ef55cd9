// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * net/options.c - the `--net` option's syntax:
 *
 *   user[,hostfwd=PROTO:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT]...
 *       [,restrict=on|off][,net=A.B.C.D/N][,mac=XX:XX:XX:XX:XX:XX]
 *   tap,ifname=NAME[,queues=N][,mac=XX:XX:XX:XX:XX:XX]
 *
 * PROTO is tcp or udp; an empty HOSTADDR is 127.0.0.1 (a forwarded port is
 * open to other hosts only when 0.0.0.0 or an outside address is written),
 * an empty GUESTADDR the first address the DHCP server hands out.  hostfwd
 * may be repeated; every other key may be given once.  Every error is one
 * line naming the part it is about.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/options.h"

#define FIELD_MAX	256

/* Copies the next comma-separated field of *s into buf; advances *s. */
static int next_field(const char **s, char *buf, size_t len, char *err, size_t errlen)
{
	const char *p = *s, *end = strchrnul(p, ',');
	size_t n = end - p;

	if (n >= len) {
		snprintf(err, errlen, "'%.40s...': too long", p);
		return -EINVAL;
	}
	memcpy(buf, p, n);
	buf[n] = 0;
	*s = *end ? end + 1 : end;
	return 0;
}

static int parse_uint(const char *v, unsigned long min, unsigned long max,
		      unsigned long *out)
{
	char *end;
	unsigned long x;

	if (*v < '0' || *v > '9')
		return -EINVAL;
	errno = 0;
	x = strtoul(v, &end, 10);
	if (errno || *end || x < min || x > max)
		return -EINVAL;
	*out = x;
	return 0;
}

/* A dotted quad, all four parts (inet_pton(3) accepts nothing shorter). */
static int parse_addr(const char *v, struct in_addr *out)
{
	return inet_pton(AF_INET, v, out) == 1 ? 0 : -EINVAL;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int set_mac(struct net_options *o, const char *v, char *err, size_t errlen)
{
	uint8_t mac[6];
	int i, hi, lo;

	for (i = 0; i < 6; i++) {
		const char *p = v + 3 * i;

		hi = hexval(p[0]);
		lo = hi < 0 ? -1 : hexval(p[1]);
		if (lo < 0 || p[2] != (i == 5 ? 0 : ':')) {
			snprintf(err, errlen, "mac=%s: six hex pairs separated by ':' "
				 "(e.g. 52:54:00:12:34:56)", v);
			return -EINVAL;
		}
		mac[i] = hi << 4 | lo;
	}
	/* IEEE 802-2014 8.2.2: bit 0 of the first octet is the group bit. */
	if (mac[0] & 1) {
		snprintf(err, errlen, "mac=%s: a multicast address (the first octet is odd)", v);
		return -EINVAL;
	}
	if (!(mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5])) {
		snprintf(err, errlen, "mac=%s: the zero address", v);
		return -EINVAL;
	}
	memcpy(o->mac, mac, 6);
	o->mac_set = true;
	return 0;
}

static int set_net(struct net_options *o, const char *v, char *err, size_t errlen)
{
	char addr[INET_ADDRSTRLEN];
	const char *slash = strchr(v, '/');
	unsigned long prefix;
	struct in_addr a;
	size_t n;

	n = slash ? (size_t)(slash - v) : 0;
	if (!slash || n >= sizeof(addr)) {
		snprintf(err, errlen, "net=%s: a network as A.B.C.D/N", v);
		return -EINVAL;
	}
	memcpy(addr, v, n);
	addr[n] = 0;
	if (parse_addr(addr, &a)) {
		snprintf(err, errlen, "net=%s: '%s' is not an IPv4 address", v, addr);
		return -EINVAL;
	}
	/*
	 * slirp puts its gateway at .2, DNS at .3 and hands out 16 leases
	 * from .15: the network needs 32 addresses at least.
	 */
	if (parse_uint(slash + 1, 8, 27, &prefix)) {
		snprintf(err, errlen, "net=%s: the prefix length must be 8 to 27", v);
		return -EINVAL;
	}
	if (ntohl(a.s_addr) & ~(0xffffffffu << (32 - prefix))) {
		snprintf(err, errlen, "net=%s: host bits set (a network address ends in zeros)", v);
		return -EINVAL;
	}
	o->net = a;
	o->prefix = prefix;
	return 0;
}

/* "[ADDR]:PORT" into addr (left alone when ADDR is empty) and port. */
static int parse_endpoint(const char *v, struct in_addr *addr, uint16_t *port,
			  bool *addr_given)
{
	char a[INET_ADDRSTRLEN];
	const char *colon = strchr(v, ':');
	unsigned long p;
	size_t n;

	if (!colon)
		return -EINVAL;
	n = colon - v;
	if (n >= sizeof(a))
		return -EINVAL;
	memcpy(a, v, n);
	a[n] = 0;
	*addr_given = n > 0;
	if (n && parse_addr(a, addr))
		return -EINVAL;
	if (parse_uint(colon + 1, 1, 65535, &p))
		return -EINVAL;
	*port = p;
	return 0;
}

static int add_hostfwd(struct net_options *o, const char *v, char *err, size_t errlen)
{
	struct net_hostfwd f = { 0 };
	char host[FIELD_MAX];
	const char *rest, *dash;
	bool given;
	unsigned i;

	if (!strncmp(v, "tcp:", 4)) {
		rest = v + 4;
	} else if (!strncmp(v, "udp:", 4)) {
		f.udp = true;
		rest = v + 4;
	} else {
		snprintf(err, errlen, "hostfwd=%s: starts with tcp: or udp:", v);
		return -EINVAL;
	}
	dash = strchr(rest, '-');
	if (!dash || (size_t)(dash - rest) >= sizeof(host)) {
		snprintf(err, errlen, "hostfwd=%s: the form is PROTO:[HOSTADDR]:HOSTPORT-"
			 "[GUESTADDR]:GUESTPORT", v);
		return -EINVAL;
	}
	memcpy(host, rest, dash - rest);
	host[dash - rest] = 0;
	f.host_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (parse_endpoint(host, &f.host_addr, &f.host_port, &given)) {
		snprintf(err, errlen, "hostfwd=%s: bad host side '%s' (want [ADDR]:PORT, "
			 "PORT 1-65535)", v, host);
		return -EINVAL;
	}
	if (parse_endpoint(dash + 1, &f.guest_addr, &f.guest_port, &given)) {
		snprintf(err, errlen, "hostfwd=%s: bad guest side '%s' (want [ADDR]:PORT, "
			 "PORT 1-65535)", v, dash + 1);
		return -EINVAL;
	}
	if (given && !f.guest_addr.s_addr) {
		snprintf(err, errlen, "hostfwd=%s: the guest address cannot be 0.0.0.0", v);
		return -EINVAL;
	}
	for (i = 0; i < o->nr_hostfwd; i++) {
		const struct net_hostfwd *g = &o->hostfwd[i];

		if (g->udp == f.udp && g->host_port == f.host_port &&
		    (g->host_addr.s_addr == f.host_addr.s_addr || !g->host_addr.s_addr ||
		     !f.host_addr.s_addr)) {
			snprintf(err, errlen, "hostfwd=%s: host port %s %u is forwarded twice",
				 v, f.udp ? "udp" : "tcp", f.host_port);
			return -EINVAL;
		}
	}
	if (o->nr_hostfwd == NET_MAX_HOSTFWD) {
		snprintf(err, errlen, "hostfwd=%s: at most %d forwarded ports", v, NET_MAX_HOSTFWD);
		return -EINVAL;
	}
	o->hostfwd[o->nr_hostfwd++] = f;
	return 0;
}

/* The kernel's dev_valid_name(): 1-15 bytes, not . or .., no '/', ':' or space. */
static int set_ifname(struct net_options *o, const char *v, char *err, size_t errlen)
{
	size_t i, n = strlen(v);

	if (!n || n > NET_IFNAME_MAX) {
		snprintf(err, errlen, "ifname=%s: an interface name has 1 to %d characters",
			 v, NET_IFNAME_MAX);
		return -EINVAL;
	}
	if (!strcmp(v, ".") || !strcmp(v, "..")) {
		snprintf(err, errlen, "ifname=%s: not an interface name", v);
		return -EINVAL;
	}
	for (i = 0; i < n; i++) {
		if (v[i] == '/' || v[i] == ':' || v[i] <= 0x20 || v[i] >= 0x7f) {
			snprintf(err, errlen, "ifname=%s: no '/', ':', spaces or control "
				 "characters in an interface name", v);
			return -EINVAL;
		}
	}
	memcpy(o->ifname, v, n + 1);
	return 0;
}

enum { SEEN_MAC = 1, SEEN_RESTRICT = 2, SEEN_NET = 4, SEEN_IFNAME = 8, SEEN_QUEUES = 16 };

static int set_key(struct net_options *o, const char *key, const char *v,
		   unsigned *seen, char *err, size_t errlen)
{
	static const struct { const char *key; unsigned bit; int kind; } keys[] = {
		{ "mac", SEEN_MAC, -1 },
		{ "restrict", SEEN_RESTRICT, NET_KIND_USER },
		{ "net", SEEN_NET, NET_KIND_USER },
		{ "hostfwd", 0, NET_KIND_USER },
		{ "ifname", SEEN_IFNAME, NET_KIND_TAP },
		{ "queues", SEEN_QUEUES, NET_KIND_TAP },
	};
	unsigned long x;
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!strcmp(key, keys[i].key) &&
		    (keys[i].kind < 0 || keys[i].kind == (int)o->kind))
			break;
	if (i == sizeof(keys) / sizeof(keys[0])) {
		snprintf(err, errlen, "unknown option '%s' for %s (%s)", key,
			 o->kind == NET_KIND_USER ? "user" : "tap",
			 o->kind == NET_KIND_USER ? "hostfwd, restrict, net, mac" :
			 "ifname, queues, mac");
		return -EINVAL;
	}
	if (keys[i].bit & *seen) {
		snprintf(err, errlen, "%s= is given twice", key);
		return -EINVAL;
	}
	*seen |= keys[i].bit;
	switch (keys[i].bit) {
	case SEEN_MAC:
		return set_mac(o, v, err, errlen);
	case SEEN_RESTRICT:
		if (!strcmp(v, "on")) {
			o->restrict_ = true;
		} else if (!strcmp(v, "off")) {
			o->restrict_ = false;
		} else {
			snprintf(err, errlen, "restrict=%s: must be on or off", v);
			return -EINVAL;
		}
		return 0;
	case SEEN_NET:
		return set_net(o, v, err, errlen);
	case SEEN_IFNAME:
		return set_ifname(o, v, err, errlen);
	case SEEN_QUEUES:
		if (parse_uint(v, 1, NET_MAX_QUEUES, &x)) {
			snprintf(err, errlen, "queues=%s: a number from 1 to %d", v, NET_MAX_QUEUES);
			return -EINVAL;
		}
		o->queues = x;
		return 0;
	default:
		return add_hostfwd(o, v, err, errlen);
	}
}

struct in_addr net_options_mask(const struct net_options *o)
{
	return (struct in_addr){ htonl(0xffffffffu << (32 - o->prefix)) };
}

static struct in_addr host_in_net(const struct net_options *o, uint32_t host)
{
	return (struct in_addr){ htonl(ntohl(o->net.s_addr) | host) };
}

struct in_addr net_options_gateway(const struct net_options *o)
{
	return host_in_net(o, 2);
}

struct in_addr net_options_dns(const struct net_options *o)
{
	return host_in_net(o, 3);
}

struct in_addr net_options_dhcp_start(const struct net_options *o)
{
	return host_in_net(o, 15);
}

/* After every key: defaults that depend on net=, and what slirp refuses. */
static int check_user(struct net_options *o, char *err, size_t errlen)
{
	uint32_t mask = ntohl(net_options_mask(o).s_addr), net = ntohl(o->net.s_addr);
	char a[INET_ADDRSTRLEN], n[INET_ADDRSTRLEN];
	unsigned i;

	for (i = 0; i < o->nr_hostfwd; i++) {
		struct net_hostfwd *f = &o->hostfwd[i];
		uint32_t g = ntohl(f->guest_addr.s_addr);

		if (!g) {
			f->guest_addr = net_options_dhcp_start(o);
			continue;
		}
		/* slirp_add_hostfwd() only reaches addresses on the guest's network. */
		if ((g & mask) != net || (g & ~mask) == 0 || (g & ~mask) == ~mask) {
			inet_ntop(AF_INET, &f->guest_addr, a, sizeof(a));
			inet_ntop(AF_INET, &o->net, n, sizeof(n));
			snprintf(err, errlen, "hostfwd to %s:%u: the guest address is not a host "
				 "on the guest network %s/%u", a, f->guest_port, n, o->prefix);
			return -EINVAL;
		}
	}
	return 0;
}

int net_options_parse(const char *spec, struct net_options *o, char *err, size_t errlen)
{
	char field[FIELD_MAX];
	const char *s = spec;
	unsigned seen = 0;
	char *eq;
	int ret;

	memset(o, 0, sizeof(*o));
	o->net.s_addr = htonl(0x0a000200);	/* 10.0.2.0/24, as QEMU's user network */
	o->prefix = 24;
	o->queues = 1;
	ret = next_field(&s, field, sizeof(field), err, errlen);
	if (ret)
		return ret;
	if (!strcmp(field, "user")) {
		o->kind = NET_KIND_USER;
	} else if (!strcmp(field, "tap")) {
		o->kind = NET_KIND_TAP;
	} else if (!field[0]) {
		snprintf(err, errlen, "no network kind given (user or tap)");
		return -EINVAL;
	} else {
		snprintf(err, errlen, "'%s': the network kind must be user or tap", field);
		return -EINVAL;
	}
	while (*s || s[-1] == ',') {
		ret = next_field(&s, field, sizeof(field), err, errlen);
		if (ret)
			return ret;
		eq = strchr(field, '=');
		if (!field[0]) {
			snprintf(err, errlen, "an empty option (a stray ',')");
			return -EINVAL;
		}
		if (!eq) {
			snprintf(err, errlen, "'%s': options are KEY=VALUE", field);
			return -EINVAL;
		}
		*eq = 0;
		ret = set_key(o, field, eq + 1, &seen, err, errlen);
		if (ret)
			return ret;
	}
	if (o->kind == NET_KIND_TAP && !(seen & SEEN_IFNAME)) {
		snprintf(err, errlen, "tap: ifname=NAME is required (an existing tap interface)");
		return -EINVAL;
	}
	if (o->kind == NET_KIND_USER)
		return check_user(o, err, errlen);
	return 0;
}

#define APPEND(...) do {						\
	int n_ = snprintf(buf + off, off < len ? len - off : 0, __VA_ARGS__); \
	off += n_;							\
} while (0)

int net_options_format(const struct net_options *o, char *buf, size_t len)
{
	char a[INET_ADDRSTRLEN], g[INET_ADDRSTRLEN];
	size_t off = 0;
	unsigned i;

	if (o->kind == NET_KIND_TAP) {
		APPEND("tap,ifname=%s,queues=%u", o->ifname, o->queues);
	} else {
		inet_ntop(AF_INET, &o->net, a, sizeof(a));
		APPEND("user,net=%s/%u,restrict=%s", a, o->prefix, o->restrict_ ? "on" : "off");
		for (i = 0; i < o->nr_hostfwd; i++) {
			const struct net_hostfwd *f = &o->hostfwd[i];

			inet_ntop(AF_INET, &f->host_addr, a, sizeof(a));
			inet_ntop(AF_INET, &f->guest_addr, g, sizeof(g));
			APPEND(",hostfwd=%s:%s:%u-%s:%u", f->udp ? "udp" : "tcp", a,
			       f->host_port, g, f->guest_port);
		}
	}
	if (o->mac_set)
		APPEND(",mac=%02x:%02x:%02x:%02x:%02x:%02x", o->mac[0], o->mac[1],
		       o->mac[2], o->mac[3], o->mac[4], o->mac[5]);
	if (off >= len)
		return -ENOSPC;
	return off;
}

void net_mac_derive(const uint8_t uuid[16], unsigned index, uint8_t mac[6])
{
	uint64_t h = 0xcbf29ce484222325ull;	/* FNV-1a 64 offset basis */
	uint8_t in[20];
	int i;

	memcpy(in, uuid, 16);
	for (i = 0; i < 4; i++)
		in[16 + i] = index >> (8 * i);
	for (i = 0; i < 20; i++) {
		h ^= in[i];
		h *= 0x100000001b3ull;		/* FNV 64 prime */
	}
	for (i = 0; i < 6; i++)
		mac[i] = h >> (8 * i);
	/* Locally administered (bit 1), unicast (bit 0 clear). */
	mac[0] = (mac[0] & 0xfc) | 0x02;
}

int net_nic_parse(const char *name, unsigned max, unsigned *index)
{
	unsigned long v = 0;
	const char *p = name;

	if (!strncmp(p, "net", 3))
		p += 3;
	/* Digits only, "0" or no leading zero: one spelling per NIC. */
	if (!*p || (p[0] == '0' && p[1]) || strspn(p, "0123456789") != strlen(p) ||
	    strlen(p) > 3)
		return -EINVAL;
	v = strtoul(p, NULL, 10);
	if (v >= max)
		return -EINVAL;
	*index = (unsigned)v;
	return 0;
}
