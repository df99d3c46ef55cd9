/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/vm/util.h - scratch directories and files for the bundle tests.
 */
#ifndef VMAIN_TESTS_VM_UTIL_H
#define VMAIN_TESTS_VM_UTIL_H

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>

/* A fresh directory under $TMPDIR (or /tmp); g_free it. */
static inline char *scratch_dir(const char *what)
{
	char *t = g_strdup_printf("%s/vmain-%s-XXXXXX", g_get_tmp_dir(), what);

	if (!mkdtemp(t)) {
		perror("mkdtemp");
		exit(2);
	}
	return t;
}

/* Removes a scratch tree (the tests' own: nothing outside /tmp). */
static inline void scratch_rm(const char *dir)
{
	char *cmd = g_strdup_printf("rm -rf '%s'", dir);

	if (system(cmd))
		fprintf(stderr, "# could not remove %s\n", dir);
	g_free(cmd);
}

static inline void write_text(const char *path, const char *text)
{
	GError *e = NULL;

	if (!g_file_set_contents(path, text, -1, &e)) {
		fprintf(stderr, "writing %s: %s\n", path, e->message);
		exit(2);
	}
}

/* The text of path (g_free), or NULL. */
static inline char *read_text(const char *path)
{
	char *t = NULL;

	if (!g_file_get_contents(path, &t, NULL, NULL))
		return NULL;
	return t;
}

/* Entries in dir whose name starts with prefix. */
static inline int count_prefix(const char *dir, const char *prefix)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *n;
	int count = 0;

	if (!d)
		return -1;
	while ((n = g_dir_read_name(d)))
		count += g_str_has_prefix(n, prefix);
	g_dir_close(d);
	return count;
}

#endif
