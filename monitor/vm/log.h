/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vm/log.h - what a VM says about its life, and to whom.
 *
 * Under systemd (stderr is the journal: $JOURNAL_STREAM names it, see
 * systemd.exec(5)) each message is a structured journal entry with the
 * fields VMAIN_VM (the name) and VMAIN_UUID, so `journalctl VMAIN_VM=web`
 * finds a VM's whole history, state changes (LOG_DEBUG) included.
 * Elsewhere warnings go to stderr, LOG_INFO only with --verbose, and
 * debug messages nowhere.  vm_log_ready()/vm_log_stopping() also tell
 * systemd (sd_notify(3): READY=1 once the guest runs, STOPPING=1), which
 * is what a Type=notify unit waits for; without $NOTIFY_SOCKET they do
 * nothing more than log.
 */
#ifndef VMAIN_MONITOR_VM_LOG_H
#define VMAIN_MONITOR_VM_LOG_H

#include <syslog.h>

struct vm_spec;

void vm_log(const struct vm_spec *spec, int priority, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void vm_log_ready(const struct vm_spec *spec);
void vm_log_stopping(const struct vm_spec *spec);
/*
 * A VM that went to the background: stderr (the pipe `vmain start` read
 * until the guest ran) becomes a stream into the journal, or /dev/null
 * where there is no journal.
 */
void vm_log_detach(const struct vm_spec *spec);

#endif
