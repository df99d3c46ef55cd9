/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vm/ini.h - reading a hand-editable GKeyFile (config.ini, vmain.conf) so
 * that every problem is reported as "PATH:LINE: [group] key: what".
 *
 * GKeyFile itself keeps no line numbers and quietly takes the last of two
 * equal keys and merges two equal groups; a person who wrote `memory=`
 * twice should be told so instead.  So the text is first scanned here
 * with GKeyFile's own line rules (glib/gkeyfile.c: leading whitespace
 * skipped, '#' comments, "[group]", "key = value" with the key's trailing
 * and the value's leading whitespace dropped), which records where each
 * group and key is, and only then handed to GKeyFile for the values and
 * their escapes (\s \n \t \r \\).
 */
#ifndef VMAIN_MONITOR_VM_INI_H
#define VMAIN_MONITOR_VM_INI_H

#include <stddef.h>

#include <glib.h>

/* Files larger than this are refused: settings are a few hundred bytes. */
#define INI_MAX_BYTES	(1u << 20)

struct ini_file {
	char *path;		/* as given, for messages */
	GKeyFile *kf;
	GHashTable *lines;	/* "group" and "group\nkey" -> line number */
};

/*
 * The text of PATH, a regular file of at most INI_MAX_BYTES (*data is
 * NUL-terminated, g_free).  -errno and "PATH: why".
 */
int ini_read(const char *path, char **data, size_t *len, char *err, size_t errlen);

/*
 * Reads and checks PATH.  -ENOENT (and err) when it does not exist, other
 * -errno from reading it, -EFBIG past INI_MAX_BYTES, -EINVAL for a syntax
 * error, a duplicate group or key, or text that is not UTF-8.  On failure
 * nothing is left to free.
 */
int ini_load(struct ini_file *ini, const char *path, char *err, size_t errlen);
/* The same for text already in memory; `path` only names it in messages. */
int ini_load_data(struct ini_file *ini, const char *path, const char *data,
		  size_t len, char *err, size_t errlen);
void ini_free(struct ini_file *ini);

/* Line of [group] (key NULL) or of its key; 0 when not in the file. */
unsigned int ini_line(const struct ini_file *ini, const char *group, const char *key);

/*
 * Writes "PATH:LINE: [group] key: MESSAGE" (no LINE when the place is not
 * in the file, no key when key is NULL) and returns -EINVAL.
 */
__attribute__((format(printf, 6, 7)))
int ini_error(const struct ini_file *ini, char *err, size_t errlen,
	      const char *group, const char *key, const char *fmt, ...);

/*
 * Every key of [group] must be one of `known` (NULL-terminated); the
 * first that is not is an error listing the known ones.
 */
int ini_check_keys(const struct ini_file *ini, const char *group,
		   const char *const *known, char *err, size_t errlen);

/*
 * The value of [group] key with GKeyFile's escapes undone (g_free), or
 * NULL when the key is absent; -EINVAL for a bad escape.
 */
int ini_get(const struct ini_file *ini, const char *group, const char *key,
	    char **out, char *err, size_t errlen);

#endif
