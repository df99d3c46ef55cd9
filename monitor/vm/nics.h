/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vm/nics.h - a VM's network back ends: one per `--net` (or [netN] of a
 * bundle), opened once for the VM's life on its I/O thread, each with the
 * MAC and queue count its virtio-net function gets in every machine the
 * VM builds (machine.h: struct machine_nic).
 */
#ifndef VMAIN_MONITOR_VM_NICS_H
#define VMAIN_MONITOR_VM_NICS_H

#include <stdbool.h>
#include <stdint.h>

#include "machine/machine.h"
#include "vm/config.h"		/* VM_MAX_NETS */

struct ioloop;

struct vm_nics {
	struct machine_nic nic[VM_MAX_NETS];
	unsigned int n;
	struct ioloop *loop;
};

/*
 * Opens a back end for each of `specs` (net/options.h syntax) on `loop`,
 * which may be running.  A NIC without mac= gets net_mac_derive(uuid,
 * its index).  0, or -errno after one line on stderr naming the NIC;
 * *usage is set when a spec itself is wrong (not a failed open).  On
 * failure nothing is left open.
 */
int vm_nics_open(struct vm_nics *v, char *const *specs, unsigned int n,
		 const uint8_t uuid[16], struct ioloop *loop, bool *usage);

/* Destroys the back ends (no machine may be attached to them). */
void vm_nics_close(struct vm_nics *v);

#endif
