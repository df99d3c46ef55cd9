// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * options-test.c - the `--net` syntax (monitor/net/options.c): every
 * accepted form with its defaults, every error message, the canonical
 * spec written back, and the derived MAC addresses.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "net/options.h"
#include "tap.h"

static const char *ip(struct in_addr a)
{
	static char buf[4][INET_ADDRSTRLEN];
	static int n;

	n = (n + 1) % 4;
	return inet_ntop(AF_INET, &a, buf[n], sizeof(buf[n]));
}

static int parse(const char *spec, struct net_options *o, char *err)
{
	err[0] = 0;
	return net_options_parse(spec, o, err, 256);
}

static void accepted(void)
{
	struct net_options o;
	char err[256], buf[1024];
	int ret;

	ret = parse("user", &o, err);
	tap_ok(!ret && o.kind == NET_KIND_USER && !o.mac_set && !o.restrict_ &&
	       !o.nr_hostfwd && !strcmp(ip(o.net), "10.0.2.0") && o.prefix == 24,
	       "'user': 10.0.2.0/24, unrestricted, no forwards, no MAC (%d %s)", ret, err);
	tap_ok(!strcmp(ip(net_options_mask(&o)), "255.255.255.0") &&
	       !strcmp(ip(net_options_gateway(&o)), "10.0.2.2") &&
	       !strcmp(ip(net_options_dns(&o)), "10.0.2.3") &&
	       !strcmp(ip(net_options_dhcp_start(&o)), "10.0.2.15"),
	       "user addresses: mask /24, gateway .2, DNS .3, first lease .15");

	ret = parse("user,hostfwd=tcp::2222-:22", &o, err);
	tap_ok(!ret && o.nr_hostfwd == 1 && !o.hostfwd[0].udp &&
	       !strcmp(ip(o.hostfwd[0].host_addr), "127.0.0.1") && o.hostfwd[0].host_port == 2222 &&
	       !strcmp(ip(o.hostfwd[0].guest_addr), "10.0.2.15") && o.hostfwd[0].guest_port == 22,
	       "hostfwd=tcp::2222-:22: 127.0.0.1:2222 -> 10.0.2.15:22 (%s)", err);

	ret = parse("user,hostfwd=udp:0.0.0.0:5353-10.0.2.20:53,hostfwd=tcp:192.168.1.5:80-:8080,"
		    "hostfwd=tcp::80-:80", &o, err);
	tap_ok(!ret && o.nr_hostfwd == 3 && o.hostfwd[0].udp &&
	       !strcmp(ip(o.hostfwd[0].host_addr), "0.0.0.0") && o.hostfwd[0].host_port == 5353 &&
	       !strcmp(ip(o.hostfwd[0].guest_addr), "10.0.2.20") && o.hostfwd[0].guest_port == 53 &&
	       !strcmp(ip(o.hostfwd[1].host_addr), "192.168.1.5") && o.hostfwd[1].guest_port == 8080 &&
	       !strcmp(ip(o.hostfwd[2].host_addr), "127.0.0.1") && o.hostfwd[2].host_port == 80,
	       "hostfwd repeated; udp; 0.0.0.0 only when written; explicit addresses (%s)", err);

	ret = parse("user,restrict=on,net=192.168.76.0/24,hostfwd=tcp::2222-:22", &o, err);
	tap_ok(!ret && o.restrict_ && !strcmp(ip(o.net), "192.168.76.0") &&
	       !strcmp(ip(o.hostfwd[0].guest_addr), "192.168.76.15"),
	       "restrict=on, net=192.168.76.0/24: the default guest address follows net= "
	       "given after hostfwd (%s)", err);
	ret = parse("user,restrict=off,net=172.16.0.0/12", &o, err);
	tap_ok(!ret && !o.restrict_ && o.prefix == 12 &&
	       !strcmp(ip(net_options_mask(&o)), "255.240.0.0") &&
	       !strcmp(ip(net_options_gateway(&o)), "172.16.0.2"),
	       "restrict=off, net=172.16.0.0/12 (%s)", err);
	ret = parse("user,net=10.9.8.224/27", &o, err);
	tap_ok(!ret && o.prefix == 27 && !strcmp(ip(net_options_dhcp_start(&o)), "10.9.8.239"),
	       "net=/27, the smallest: leases from .239 (%s)", err);

	ret = parse("user,mac=02:AB:cd:00:11:fe", &o, err);
	tap_ok(!ret && o.mac_set && o.mac[0] == 2 && o.mac[1] == 0xab && o.mac[2] == 0xcd &&
	       o.mac[5] == 0xfe, "mac= in either case (%s)", err);

	ret = parse("tap,ifname=vt0", &o, err);
	tap_ok(!ret && o.kind == NET_KIND_TAP && !strcmp(o.ifname, "vt0") && o.queues == 1,
	       "tap,ifname=vt0: one queue (%s)", err);
	ret = parse("tap,ifname=abcdefghijklmno,queues=7,mac=52:54:00:12:34:56", &o, err);
	tap_ok(!ret && !strcmp(o.ifname, "abcdefghijklmno") && o.queues == 7 && o.mac_set &&
	       o.mac[0] == 0x52, "tap: a 15-character name, queues=7, mac= (%s)", err);

	/* Written back and read again: the same options. */
	ret = parse("user,hostfwd=udp:0.0.0.0:5353-10.0.2.20:53,restrict=on,mac=02:00:00:00:00:01,"
		    "hostfwd=tcp::2222-:22", &o, err);
	ret = ret ? ret : net_options_format(&o, buf, sizeof(buf));
	tap_ok(ret > 0 && !strcmp(buf, "user,net=10.0.2.0/24,restrict=on,"
				  "hostfwd=udp:0.0.0.0:5353-10.0.2.20:53,"
				  "hostfwd=tcp:127.0.0.1:2222-10.0.2.15:22,mac=02:00:00:00:00:01"),
	       "format: every default spelled out (%s)", ret > 0 ? buf : err);
	{
		struct net_options o2;

		ret = parse(buf, &o2, err);
		tap_ok(!ret && !memcmp(&o, &o2, sizeof(o)), "format, then parse: the same options");
	}
	parse("tap,ifname=vt0,queues=4", &o, err);
	ret = net_options_format(&o, buf, sizeof(buf));
	tap_ok(ret == (int)strlen("tap,ifname=vt0,queues=4") && !strcmp(buf, "tap,ifname=vt0,queues=4"),
	       "format tap: %s", buf);
	tap_ok(net_options_format(&o, buf, 10) == -ENOSPC, "format into a short buffer: -ENOSPC");
}

static const struct {
	const char *spec;
	const char *msg;
} bad[] = {
	{ "", "no network kind given (user or tap)" },
	{ "bridge", "'bridge': the network kind must be user or tap" },
	{ "user,", "an empty option (a stray ',')" },
	{ "user,,restrict=on", "an empty option (a stray ',')" },
	{ "user,restrict", "'restrict': options are KEY=VALUE" },
	{ "user,ifname=vt0", "unknown option 'ifname' for user (hostfwd, restrict, net, mac)" },
	{ "tap,ifname=vt0,hostfwd=tcp::1-:1", "unknown option 'hostfwd' for tap (ifname, queues, mac)" },
	{ "user,restrict=yes", "restrict=yes: must be on or off" },
	{ "user,restrict=on,restrict=off", "restrict= is given twice" },
	{ "user,mac=02:00:00:00:00:01,mac=02:00:00:00:00:02", "mac= is given twice" },
	{ "user,mac=02:00:00:00:00", "mac=02:00:00:00:00: six hex pairs separated by ':' (e.g. 52:54:00:12:34:56)" },
	{ "user,mac=02-00-00-00-00-01", "mac=02-00-00-00-00-01: six hex pairs separated by ':' (e.g. 52:54:00:12:34:56)" },
	{ "user,mac=02:00:00:00:00:0g", "mac=02:00:00:00:00:0g: six hex pairs separated by ':' (e.g. 52:54:00:12:34:56)" },
	{ "user,mac=02:00:00:00:00:011", "mac=02:00:00:00:00:011: six hex pairs separated by ':' (e.g. 52:54:00:12:34:56)" },
	{ "user,mac=01:00:5e:00:00:01", "mac=01:00:5e:00:00:01: a multicast address (the first octet is odd)" },
	{ "user,mac=00:00:00:00:00:00", "mac=00:00:00:00:00:00: the zero address" },
	{ "user,net=10.0.2.0", "net=10.0.2.0: a network as A.B.C.D/N" },
	{ "user,net=10.0.2/24", "net=10.0.2/24: '10.0.2' is not an IPv4 address" },
	{ "user,net=10.0.2.0/28", "net=10.0.2.0/28: the prefix length must be 8 to 27" },
	{ "user,net=10.0.0.0/7", "net=10.0.0.0/7: the prefix length must be 8 to 27" },
	{ "user,net=10.0.2.0/", "net=10.0.2.0/: the prefix length must be 8 to 27" },
	{ "user,net=10.0.2.1/24", "net=10.0.2.1/24: host bits set (a network address ends in zeros)" },
	{ "user,hostfwd=sctp::1-:1", "hostfwd=sctp::1-:1: starts with tcp: or udp:" },
	{ "user,hostfwd=tcp::2222", "hostfwd=tcp::2222: the form is PROTO:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT" },
	{ "user,hostfwd=tcp:2222-:22", "hostfwd=tcp:2222-:22: bad host side '2222' (want [ADDR]:PORT, PORT 1-65535)" },
	{ "user,hostfwd=tcp::0-:22", "hostfwd=tcp::0-:22: bad host side ':0' (want [ADDR]:PORT, PORT 1-65535)" },
	{ "user,hostfwd=tcp::65536-:22", "hostfwd=tcp::65536-:22: bad host side ':65536' (want [ADDR]:PORT, PORT 1-65535)" },
	{ "user,hostfwd=tcp:localhost:22-:22", "hostfwd=tcp:localhost:22-:22: bad host side 'localhost:22' (want [ADDR]:PORT, PORT 1-65535)" },
	{ "user,hostfwd=tcp::22-:", "hostfwd=tcp::22-:: bad guest side ':' (want [ADDR]:PORT, PORT 1-65535)" },
	{ "user,hostfwd=tcp::22-10.0.2.300:22", "hostfwd=tcp::22-10.0.2.300:22: bad guest side '10.0.2.300:22' (want [ADDR]:PORT, PORT 1-65535)" },
	{ "user,hostfwd=tcp::22-0.0.0.0:22", "hostfwd=tcp::22-0.0.0.0:22: the guest address cannot be 0.0.0.0" },
	{ "user,hostfwd=tcp::22-:22,hostfwd=tcp:127.0.0.1:22-:23", "hostfwd=tcp:127.0.0.1:22-:23: host port tcp 22 is forwarded twice" },
	{ "user,hostfwd=udp:0.0.0.0:53-:53,hostfwd=udp::53-:54", "hostfwd=udp::53-:54: host port udp 53 is forwarded twice" },
	{ "user,hostfwd=tcp::22-192.168.1.15:22", "hostfwd to 192.168.1.15:22: the guest address is not a host on the guest network 10.0.2.0/24" },
	{ "user,hostfwd=tcp::22-10.0.2.255:22", "hostfwd to 10.0.2.255:22: the guest address is not a host on the guest network 10.0.2.0/24" },
	{ "user,hostfwd=tcp::22-10.0.2.20:22,net=10.1.0.0/16", "hostfwd to 10.0.2.20:22: the guest address is not a host on the guest network 10.1.0.0/16" },
	{ "tap", "tap: ifname=NAME is required (an existing tap interface)" },
	{ "tap,queues=2", "tap: ifname=NAME is required (an existing tap interface)" },
	{ "tap,ifname=", "ifname=: an interface name has 1 to 15 characters" },
	{ "tap,ifname=abcdefghijklmnop", "ifname=abcdefghijklmnop: an interface name has 1 to 15 characters" },
	{ "tap,ifname=..", "ifname=..: not an interface name" },
	{ "tap,ifname=a/b", "ifname=a/b: no '/', ':', spaces or control characters in an interface name" },
	{ "tap,ifname=eth0:1", "ifname=eth0:1: no '/', ':', spaces or control characters in an interface name" },
	{ "tap,ifname=a b", "ifname=a b: no '/', ':', spaces or control characters in an interface name" },
	{ "tap,ifname=vt0,ifname=vt1", "ifname= is given twice" },
	{ "tap,ifname=vt0,queues=0", "queues=0: a number from 1 to 7" },
	{ "tap,ifname=vt0,queues=8", "queues=8: a number from 1 to 7" },
	{ "tap,ifname=vt0,queues=-1", "queues=-1: a number from 1 to 7" },
	{ "tap,ifname=vt0,queues=2x", "queues=2x: a number from 1 to 7" },
};

static void errors(void)
{
	struct net_options o;
	char err[256], spec[8192];
	size_t i;
	int ret;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ret = parse(bad[i].spec, &o, err);
		if (!tap_ok(ret == -EINVAL && !strcmp(err, bad[i].msg), "'%s' -> %s",
			    bad[i].spec, bad[i].msg))
			tap_diag("  got %d '%s'", ret, err);
	}
	/* 33 forwards: one too many. */
	strcpy(spec, "user");
	for (i = 0; i <= NET_MAX_HOSTFWD; i++)
		sprintf(spec + strlen(spec), ",hostfwd=tcp::%zu-:22", 1000 + i);
	ret = parse(spec, &o, err);
	tap_ok(ret == -EINVAL && !strcmp(err, "hostfwd=tcp::1032-:22: at most 32 forwarded ports"),
	       "33 forwards -> at most 32 (%s)", err);
	/* A field longer than any valid one. */
	memset(spec, 'x', 400);
	memcpy(spec, "tap,ifname=", 11);
	spec[400] = 0;
	ret = parse(spec, &o, err);
	tap_ok(ret == -EINVAL && strstr(err, "too long"), "a 389-character field: too long (%s)", err);
}

static void mac(void)
{
	uint8_t uuid[16], uuid2[16], a[6], b[6], c[6], d[6];
	int i, ok_bits = 1, distinct = 1;

	for (i = 0; i < 16; i++) {
		uuid[i] = 0x10 * i + 7;
		uuid2[i] = uuid[i];
	}
	uuid2[15] ^= 1;
	net_mac_derive(uuid, 0, a);
	net_mac_derive(uuid, 0, b);
	net_mac_derive(uuid, 1, c);
	net_mac_derive(uuid2, 0, d);
	tap_ok(!memcmp(a, b, 6), "MAC: stable for the same UUID and index "
	       "(%02x:%02x:%02x:%02x:%02x:%02x)", a[0], a[1], a[2], a[3], a[4], a[5]);
	tap_ok(memcmp(a, c, 6) != 0, "MAC: another index, another address");
	tap_ok(memcmp(a, d, 6) != 0, "MAC: another UUID, another address");
	/* A known value: the scheme is documented and must not drift. */
	{
		static const uint8_t zero[16];
		uint8_t z[6];
		uint64_t h = 0xcbf29ce484222325ull;

		for (i = 0; i < 20; i++) {
			h ^= 0;
			h *= 0x100000001b3ull;
		}
		net_mac_derive(zero, 0, z);
		tap_ok(z[1] == (uint8_t)(h >> 8) && z[5] == (uint8_t)(h >> 40) &&
		       z[0] == (((uint8_t)h & 0xfc) | 2),
		       "MAC: FNV-1a 64 of 20 zero bytes for the zero UUID, index 0");
	}
	for (i = 0; i < 4096; i++) {
		uint8_t m[6], m2[6];

		uuid[0] = i;
		uuid[1] = i >> 8;
		net_mac_derive(uuid, i % 7, m);
		if ((m[0] & 3) != 2)
			ok_bits = 0;
		net_mac_derive(uuid, i % 7 + 1, m2);
		if (!memcmp(m, m2, 6))
			distinct = 0;
	}
	tap_ok(ok_bits, "MAC: 4096 UUIDs: every address locally administered and unicast");
	tap_ok(distinct, "MAC: 4096 UUIDs: indices n and n+1 never collide");
}

/* SetLink's and `vmain link`'s NIC names. */
static void nic_names(void)
{
	static const struct { const char *s; unsigned idx; } good[] = {
		{ "net0", 0 }, { "0", 0 }, { "net7", 7 }, { "7", 7 }, { "net3", 3 },
	};
	static const char *const bad[] = {
		"", "net", "net8", "8", "net00", "01", "-1", "+1", "net-1", "eth0", "NET0",
		"net0 ", " 0", "net1a", "0x1", "net99999999999999999999", "1e0",
	};
	unsigned i, idx;
	int ret;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		idx = 99;
		ret = net_nic_parse(good[i].s, 8, &idx);
		tap_ok(!ret && idx == good[i].idx, "NIC name '%s' is NIC %u (ret %d, got %u)",
		       good[i].s, good[i].idx, ret, idx);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		idx = 99;
		ret = net_nic_parse(bad[i], 8, &idx);
		tap_ok(ret == -EINVAL && idx == 99, "NIC name '%s' refused with 8 NICs", bad[i]);
	}
	tap_ok(net_nic_parse("net1", 1, &idx) == -EINVAL && !net_nic_parse("net0", 1, &idx),
	       "NIC name: net1 refused, net0 taken when there is one NIC");
}

int main(void)
{
	accepted();
	errors();
	mac();
	nic_names();
	return tap_done();
}
