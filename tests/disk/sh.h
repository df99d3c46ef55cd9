/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/disk/sh.h - running a shell command from a disk test (qemu-img,
 * qemu-io, dd): its exit status, or -1 when it did not exit normally.
 */
#ifndef VMAIN_TESTS_DISK_SH_H
#define VMAIN_TESTS_DISK_SH_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

__attribute__((format(printf, 1, 2), unused))
static int sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	if (st == -1 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

#endif
