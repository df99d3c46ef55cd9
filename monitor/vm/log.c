// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vm/log.c - VM messages to the journal or stderr, and sd_notify (see log.h).
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

#include "vm/config.h"
#include "vm/log.h"
#include "vm/vm.h"

/* Whether stderr is the journal: -1 not known yet (vm_log_detach() sets it). */
static int known = -1;

/* stderr is the journal when $JOURNAL_STREAM is its "device:inode". */
static bool stderr_is_journal(void)
{
	const char *e;
	unsigned long long dev, ino;
	struct stat st;

	if (known >= 0)
		return known;
	e = getenv("JOURNAL_STREAM");
	known = e && sscanf(e, "%llu:%llu", &dev, &ino) == 2 && !fstat(STDERR_FILENO, &st) &&
		(unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
	return known;
}

void vm_log(const struct vm_spec *spec, int priority, const char *fmt, ...)
{
	char msg[512], uuid[37];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (stderr_is_journal()) {
		vm_uuid_format(spec->mcfg.uuid, uuid);
		sd_journal_send("MESSAGE=%s: %s", spec->name, msg, "PRIORITY=%d", priority,
				"VMAIN_VM=%s", spec->name, "VMAIN_UUID=%s", uuid,
				"SYSLOG_IDENTIFIER=vmain", NULL);
		return;
	}
	if (priority <= LOG_WARNING || (spec->mcfg.verbose && priority <= LOG_INFO))
		fprintf(stderr, "vmain: %s: %s\r\n", spec->name, msg);
}

void vm_log_ready(const struct vm_spec *spec)
{
	vm_log(spec, LOG_INFO, "the guest runs (pid %ld)", (long)getpid());
	sd_notifyf(0, "READY=1\nSTATUS=running\nMAINPID=%ld", (long)getpid());
}

void vm_log_stopping(const struct vm_spec *spec)
{
	sd_notify(0, "STOPPING=1\nSTATUS=stopped");
	(void)spec;
}

void vm_log_detach(const struct vm_spec *spec)
{
	char ident[80];
	int fd;

	snprintf(ident, sizeof(ident), "vmain-%s", spec->name);
	fd = sd_journal_stream_fd(ident, LOG_INFO, 0);
	/* Messages of our own then go as structured entries (vm_log()). */
	known = fd >= 0;
	if (fd < 0)
		fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		dup2(fd, STDERR_FILENO);
		close(fd);
	}
}
