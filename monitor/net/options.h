/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * net/options.h - a `--net` option value (and the same string kept in a
 * bundle's settings) parsed into struct net_options, and the MAC address a
 * NIC gets when none is given.  Syntax in options.c.
 */
#ifndef VMAIN_MONITOR_NET_OPTIONS_H
#define VMAIN_MONITOR_NET_OPTIONS_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NET_MAX_HOSTFWD		32
#define NET_MAX_QUEUES		7	/* tap queues = virtio-net queue pairs: (VIRTIO_PCI_MAX_QUEUES - 1) / 2 */
#define NET_IFNAME_MAX		15	/* IFNAMSIZ - 1 */

enum net_kind {
	NET_KIND_USER,		/* net/slirp.c */
	NET_KIND_TAP,		/* net/tap.c */
};

/* One host port forwarded into the guest (user only). */
struct net_hostfwd {
	bool udp;
	struct in_addr host_addr;	/* default 127.0.0.1, never INADDR_ANY unless written */
	uint16_t host_port;		/* 1..65535 */
	struct in_addr guest_addr;	/* default: the first DHCP address (x.x.x.15) */
	uint16_t guest_port;		/* 1..65535 */
};

struct net_options {
	enum net_kind kind;
	bool mac_set;
	uint8_t mac[6];			/* when mac_set: unicast, not zero */
	/* user */
	struct in_addr net;		/* network address, default 10.0.2.0 */
	unsigned prefix;		/* default 24, 8..27 */
	bool restrict_;			/* restrict=on: only forwarded ports reach the guest */
	unsigned nr_hostfwd;
	struct net_hostfwd hostfwd[NET_MAX_HOSTFWD];
	/* tap */
	char ifname[NET_IFNAME_MAX + 1];
	unsigned queues;		/* 1..NET_MAX_QUEUES */
};

/*
 * Fills `o` from `spec`.  0, or -EINVAL with one line naming the bad part
 * in err.  Nothing is allocated.
 */
int net_options_parse(const char *spec, struct net_options *o, char *err, size_t errlen);

/*
 * Writes `o` back as a spec net_options_parse() reads to the same options
 * (every default spelled out), e.g. for a bundle's config.ini.  Returns the
 * length, or -ENOSPC if it did not fit in len (NUL included).
 */
int net_options_format(const struct net_options *o, char *buf, size_t len);

/* The user network's addresses, from o->net (o->kind == NET_KIND_USER). */
struct in_addr net_options_mask(const struct net_options *o);
struct in_addr net_options_gateway(const struct net_options *o);	/* .2 */
struct in_addr net_options_dns(const struct net_options *o);		/* .3 */
struct in_addr net_options_dhcp_start(const struct net_options *o);	/* .15 */

/*
 * The MAC address of NIC `index` of the VM with UUID `uuid` when the
 * options give none: stable across runs, different per NIC, locally
 * administered unicast (IEEE 802-2014 section 8.2.2: bit 1 of the first
 * octet set, bit 0 clear).  Scheme: FNV-1a 64 over the 16 UUID bytes
 * followed by the index as 4 little-endian bytes; the MAC is the hash's
 * 6 low bytes, least significant first, with the first octet's two low
 * bits forced to 10.
 */
void net_mac_derive(const uint8_t uuid[16], unsigned index, uint8_t mac[6]);

/*
 * A NIC named in the control API (SetLink) or on the command line: "netN",
 * as its bundle's [netN] group, or plain "N", N in decimal without a sign
 * or leading zeros and below `max`.  0 with *index set, or -EINVAL.
 */
int net_nic_parse(const char *name, unsigned max, unsigned *index);

#endif
