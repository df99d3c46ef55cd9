// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vm/nics.c - opening and closing a VM's network back ends (vm/nics.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "io/ioloop.h"
#include "net/net.h"
#include "net/options.h"
#include "net/slirp.h"
#include "net/tap.h"
#include "vm/nics.h"

/*
 * Back ends are made and destroyed on the loop thread, which may already
 * be running the disks (net/net.h: every call into a back end happens
 * there).
 */
struct nic_call {
	struct ioloop *loop;
	const struct net_options *o;
	struct net_backend *be;
	char err[256];
	int ret;
};

static void create_on_loop(void *opaque)
{
	struct nic_call *c = opaque;

	if (c->o->kind == NET_KIND_TAP)
		c->ret = net_tap_create(c->loop, c->o, &c->be, c->err, sizeof(c->err));
	else
		c->ret = net_slirp_create(c->loop, c->o, &c->be, c->err, sizeof(c->err));
}

static void destroy_on_loop(void *opaque)
{
	struct vm_nics *v = opaque;
	unsigned int i;

	for (i = 0; i < v->n; i++)
		net_backend_destroy(v->nic[i].be);
}

void vm_nics_close(struct vm_nics *v)
{
	if (v->n)
		ioloop_call_sync(v->loop, destroy_on_loop, v);
	memset(v, 0, sizeof(*v));
}

int vm_nics_open(struct vm_nics *v, char *const *specs, unsigned int n,
		 const uint8_t uuid[16], struct ioloop *loop, bool *usage)
{
	struct net_options o;
	struct nic_call c;
	unsigned int i;
	int ret;

	memset(v, 0, sizeof(*v));
	v->loop = loop;
	*usage = false;
	if (n > VM_MAX_NETS) {
		fprintf(stderr, "vmain: at most %d network interfaces (--net)\n", VM_MAX_NETS);
		*usage = true;
		return -EINVAL;
	}
	for (i = 0; i < n; i++) {
		memset(&c, 0, sizeof(c));
		ret = net_options_parse(specs[i], &o, c.err, sizeof(c.err));
		if (ret) {
			fprintf(stderr, "vmain: --net '%s': %s\n", specs[i], c.err);
			*usage = true;
			goto close;
		}
		c.loop = loop;
		c.o = &o;
		ioloop_call_sync(loop, create_on_loop, &c);
		ret = c.ret;
		if (ret) {
			fprintf(stderr, "vmain: network interface %u (%s): %s\n", i, specs[i], c.err);
			goto close;
		}
		v->nic[i].be = c.be;
		if (o.mac_set)
			memcpy(v->nic[i].mac, o.mac, sizeof(o.mac));
		else
			net_mac_derive(uuid, i, v->nic[i].mac);
		v->nic[i].queue_pairs = o.kind == NET_KIND_TAP ? o.queues : 1;
		v->n++;
	}
	return 0;
close:
	vm_nics_close(v);
	return ret;
}
