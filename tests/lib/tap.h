/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tap.h - a minimal TAP producer for vmain's C tests.
 *
 * Lines are unnumbered ("ok - what", "not ok - what") so that several test
 * programs can share one TAP stream; the driver (a tests/ .t script) adds
 * the plan.  tap_done() returns the exit status: 0 only if every check
 * passed and at least one ran.
 */
#ifndef VMAIN_TESTS_TAP_H
#define VMAIN_TESTS_TAP_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static unsigned int tap_passed, tap_failed;

__attribute__((format(printf, 2, 3)))
static inline int tap_ok(int ok, const char *fmt, ...)
{
	va_list ap;

	printf("%sok - ", ok ? "" : "not ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (ok)
		tap_passed++;
	else
		tap_failed++;
	return ok;
}

__attribute__((format(printf, 1, 2)))
static inline void tap_diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

/*
 * Checks that a call returning -1/errno failed with exactly `want`.  The
 * call is evaluated (and errno captured) before anything else runs.
 */
#define tap_errno(ret, want, ...) ({				\
	long tap_ret_ = (long)(ret);				\
	int tap_err_ = errno;					\
	tap_errno_(tap_ret_, tap_err_, (want), #want, __VA_ARGS__); })

__attribute__((format(printf, 5, 6)))
static inline int tap_errno_(long ret, int err, int want, const char *wname,
			     const char *fmt, ...)
{
	char what[256];
	va_list ap;
	int ok = ret == -1 && err == want;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	tap_ok(ok, "%s: %s", what, wname);
	if (!ok)
		tap_diag("  got return %ld, errno %d (%s)", ret, ret == -1 ? err : 0,
			 ret == -1 ? strerror(err) : "-");
	return ok;
}

static inline int tap_done(void)
{
	tap_diag("%u passed, %u failed", tap_passed, tap_failed);
	return (tap_failed || !tap_passed) ? 1 : 0;
}

#endif
