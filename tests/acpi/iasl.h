/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * iasl.h - ACPICA's iasl on a table, for the tests/acpi/ programs: the
 * table disassembled (iasl -d) and recompiled, any error, warning or
 * remark a failure.  Included by one test program each.
 */
#ifndef VMAIN_TESTS_ACPI_IASL_H
#define VMAIN_TESTS_ACPI_IASL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "tap.h"

/* Runs `cmd` in `dir`; its output in *out (malloc'd).  Exit status. */
static inline int iasl_run(const char *dir, const char *cmd, char **out)
{
	char line[4096];
	size_t len = 0;
	FILE *f;
	int st;

	snprintf(line, sizeof(line), "cd '%s' && %s 2>&1", dir, cmd);
	f = popen(line, "r");
	*out = NULL;
	if (!f)
		return -1;
	*out = calloc(1, 1);
	while (fgets(line, sizeof(line), f)) {
		size_t l = strlen(line);
		char *p = realloc(*out, len + l + 1);

		if (!p)
			break;
		*out = p;
		memcpy(*out + len, line, l + 1);
		len += l;
	}
	st = pclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Lines that say Error/Warning/Remark, other than iasl's summary line. */
static inline int iasl_complaints(const char *out)
{
	const char *l = out;
	int n = 0;

	while (l && *l) {
		const char *e = strchr(l, '\n');
		size_t k = e ? (size_t)(e - l) : strlen(l);
		char buf[512];

		snprintf(buf, sizeof(buf), "%.*s", (int)(k < 511 ? k : 511), l);
		if ((strstr(buf, "Error") || strstr(buf, "Warning") || strstr(buf, "Remark") ||
		     strstr(buf, "Invalid") || strstr(buf, "Unknown")) &&
		    !strstr(buf, "0 Errors, 0 Warnings")) {
			tap_diag("  %s", buf);
			n++;
		}
		l = e ? e + 1 : NULL;
	}
	return n;
}

/*
 * Dumps the table `name` (t, len bytes) into dir, disassembles it and
 * compiles the disassembly again: two checks.
 */
static inline void iasl_check(const char *dir, const char *name, const uint8_t *t, size_t len)
{
	char path[512], cmd[512], *out;
	FILE *f;
	int st;

	snprintf(path, sizeof(path), "%s/%s.dat", dir, name);
	f = fopen(path, "wb");
	if (!t || !f || fwrite(t, 1, len, f) != len) {
		tap_ok(0, "%s: dumped", name);
		if (f)
			fclose(f);
		return;
	}
	fclose(f);

	snprintf(cmd, sizeof(cmd), "iasl -d %s.dat", name);
	st = iasl_run(dir, cmd, &out);
	tap_ok(st == 0 && out && !iasl_complaints(out), "iasl -d %s: no error or warning", name);
	if (st)
		tap_diag("%s", out ? out : "");
	free(out);

	/* Back through the compiler. */
	snprintf(cmd, sizeof(cmd), "iasl -p %s.re %s.dsl", name, name);
	st = iasl_run(dir, cmd, &out);
	tap_ok(st == 0 && out && strstr(out, "0 Errors, 0 Warnings") && !iasl_complaints(out),
	       "iasl recompiles %s.dsl: 0 errors, 0 warnings", name);
	if (st || !out || !strstr(out, "0 Errors, 0 Warnings"))
		tap_diag("%s", out ? out : "");
	free(out);
}

#endif
