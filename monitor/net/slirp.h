/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * net/slirp.h - the user-mode NAT back end (`--net user`): libslirp driven
 * from the I/O loop, no thread of its own.  The guest gets DHCP (first
 * lease x.x.x.15), a gateway at .2 that forwards its TCP and UDP through
 * host sockets, a DNS forwarder at .3, IPv6 (fec0::/64, router fec0::2,
 * DNS fec0::3), and the hostfwd rules of its options.
 */
#ifndef VMAIN_MONITOR_NET_SLIRP_H
#define VMAIN_MONITOR_NET_SLIRP_H

#include <stddef.h>
#include <stdint.h>

#include "io/ioloop.h"
#include "net/net.h"
#include "net/options.h"

/*
 * A user back end from `o` (o->kind == NET_KIND_USER) on loop `l`.
 * Opens the hostfwd listening sockets now: 0, or -errno with one line in
 * err naming the rule (e.g. its port in use).  Call it before the loop
 * thread runs or on it; every later call into the back end (the ops, the
 * destroy) happens on the loop thread, as net.h says.  The back end's
 * send() never calls the peer back from inside: guest frames are staged
 * (bounded, -EAGAIN when full) and handed to slirp from a bottom half.
 */
int net_slirp_create(struct ioloop *l, const struct net_options *o,
		     struct net_backend **out, char *err, size_t errlen);

/* Frames slirp had for the guest while the peer's can_receive() said no. */
uint64_t net_slirp_rx_dropped(const struct net_backend *be);

#endif
