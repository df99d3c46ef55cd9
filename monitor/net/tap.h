/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * net/tap.h - the tap back end (`--net tap,ifname=NAME`): an existing,
 * persistent tap interface opened through /dev/net/tun.  vmain never
 * creates, configures or deletes interfaces: the administrator makes the
 * tap once (e.g. `ip tuntap add mode tap name vt0 user alice`) and puts it
 * on a bridge; a tap owned by the user needs no privilege to open.
 */
#ifndef VMAIN_MONITOR_NET_TAP_H
#define VMAIN_MONITOR_NET_TAP_H

#include <stddef.h>
#include <stdint.h>

#include "io/ioloop.h"
#include "net/net.h"
#include "net/options.h"

/*
 * Opens the tap o->ifname (o->kind == NET_KIND_TAP) with o->queues queues
 * (IFF_MULTI_QUEUE when more than one: the tap must have been made with
 * `multi_queue`), with a virtio-net header on every packet.  0, or -errno
 * with one line in err naming the interface: -ENOENT (no such interface),
 * -EPERM (owned by another user or group), -EBUSY (opened by another
 * process already), -EINVAL (not a tap, or its multi-queue setting differs).
 * Call it before the loop thread runs or on it; later calls are on the
 * loop thread (net.h).
 *
 * All queues are read; guest packets leave through the queue the NIC
 * names (net.h: tx_queues is o->queues, queue N carries queue pair N).
 */
int net_tap_create(struct ioloop *l, const struct net_options *o,
		   struct net_backend **out, char *err, size_t errlen);

/* The fd of queue `q` (tests). */
int net_tap_fd(const struct net_backend *be, unsigned q);

#endif
