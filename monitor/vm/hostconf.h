/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vm/hostconf.h - host-wide limits: /etc/vmain/vmain.conf, and
 * ~/.config/vmain/vmain.conf for user VMs (docs/bundles.md).
 */
#ifndef VMAIN_MONITOR_VM_HOSTCONF_H
#define VMAIN_MONITOR_VM_HOSTCONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VM_SYSCONFDIR	"/etc/vmain"

struct vm_hostconf {
	uint64_t max_memory;		/* bytes; 0: no cap */
	char *max_memory_source;	/* the file that set it (NULL: none) */
};

/*
 * Reads SYSCONFDIR/vmain.conf (SYSCONFDIR = $VMAIN_SYSCONFDIR or
 * /etc/vmain), then for user VMs $XDG_CONFIG_HOME/vmain/vmain.conf
 * (default ~/.config): the lower cap wins.  A missing file is fine; a bad
 * or unreadable one is an error "FILE:LINE: [group] key: what" like
 * config.ini's.  Format: GKeyFile, [host] max_memory=12G (size_parse():
 * K, M, G, T; a plain number is MiB).  On failure *hc holds no cap and
 * nothing to free.
 */
int vm_hostconf_load(struct vm_hostconf *hc, bool system, char *err, size_t errlen);
void vm_hostconf_free(struct vm_hostconf *hc);

/*
 * 0 when running + want <= max (or no cap); else -ENOSPC with msg naming
 * the numbers in MiB and the file, e.g. "starting web needs 2048 MiB, and
 * the running VMs use 11264 MiB of the 12288 MiB cap
 * (/etc/vmain/vmain.conf)".  Overflow-safe.
 */
int vm_memcap_check(const struct vm_hostconf *hc, const char *name, uint64_t running,
		    uint64_t want, char *msg, size_t msglen);

#endif
