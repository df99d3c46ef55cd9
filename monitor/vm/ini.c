// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vm/ini.c - GKeyFile text with line numbers (see ini.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vm/ini.h"

/* Keys we accept: what config.ini and vmain.conf use, nothing exotic. */
static bool key_char(char c)
{
	return g_ascii_isalnum(c) || c == '-' || c == '_' || c == '.';
}

static char *lines_key(const char *group, const char *key)
{
	return key ? g_strconcat(group, "\n", key, NULL) : g_strdup(group);
}

unsigned int ini_line(const struct ini_file *ini, const char *group, const char *key)
{
	g_autofree char *k = lines_key(group, key);

	return GPOINTER_TO_UINT(g_hash_table_lookup(ini->lines, k));
}

static int verror(char *err, size_t errlen, const char *path, unsigned int line,
		  const char *group, const char *key, const char *fmt, va_list ap)
{
	g_autofree char *msg = g_strdup_vprintf(fmt, ap);
	g_autofree char *where = line ? g_strdup_printf("%s:%u:", path, line) :
				 g_strdup_printf("%s:", path);

	if (!group)
		snprintf(err, errlen, "%s %s", where, msg);
	else if (!key)
		snprintf(err, errlen, "%s [%s]: %s", where, group, msg);
	else
		snprintf(err, errlen, "%s [%s] %s: %s", where, group, key, msg);
	return -EINVAL;
}

int ini_error(const struct ini_file *ini, char *err, size_t errlen,
	      const char *group, const char *key, const char *fmt, ...)
{
	unsigned int line = 0;
	va_list ap;
	int ret;

	if (group) {
		line = ini_line(ini, group, key);
		if (!line && key)	/* a missing key: point at its group */
			line = ini_line(ini, group, NULL);
	}
	va_start(ap, fmt);
	ret = verror(err, errlen, ini->path, line, group, key, fmt, ap);
	va_end(ap);
	return ret;
}

__attribute__((format(printf, 7, 8)))
static int scan_error(char *err, size_t errlen, const char *path, unsigned int line,
		      const char *group, const char *key, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = verror(err, errlen, path, line, group, key, fmt, ap);
	va_end(ap);
	return ret;
}

/* "[group]" with nothing but blanks after it; the name in *name. */
static int scan_group(const char *line, char **name)
{
	const char *end = strchr(line + 1, ']');
	const char *p;

	if (!end)
		return -EINVAL;
	for (p = end + 1; *p == ' ' || *p == '\t'; p++)
		;
	if (*p)
		return -EINVAL;
	for (p = line + 1; p < end; p++)
		if (*p == '[' || (unsigned char)*p < 0x20 || *p == 0x7f)
			return -EINVAL;
	*name = g_strndup(line + 1, end - line - 1);
	return 0;
}

/*
 * Records each group and key with its line, and refuses what GKeyFile
 * would refuse or silently merge.  `text` is modified (lines split).
 */
static int scan(struct ini_file *ini, char *text, char *err, size_t errlen)
{
	g_autofree char *group = NULL;
	unsigned int lineno = 0;
	char *line, *next;

	for (line = text; line; line = next) {
		char *p, *eq, *key_end;
		gpointer first;
		size_t len;

		lineno++;
		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		len = strlen(line);
		if (len && line[len - 1] == '\r')	/* CRLF, as GKeyFile */
			line[--len] = 0;
		if (!g_utf8_validate(line, len, NULL))
			return scan_error(err, errlen, ini->path, lineno, NULL, NULL,
					  "not UTF-8 text");
		for (p = line; *p == ' ' || *p == '\t'; p++)
			;
		if (!*p || *p == '#')
			continue;
		if (*p == '[') {
			g_free(group);
			group = NULL;
			if (scan_group(p, &group) || !*group)
				return scan_error(err, errlen, ini->path, lineno, NULL, NULL,
						  "'%s' is not a [group] line", p);
			first = g_hash_table_lookup(ini->lines, group);
			if (first)
				return scan_error(err, errlen, ini->path, lineno, group, NULL,
						  "appears twice (first at line %u)",
						  GPOINTER_TO_UINT(first));
			g_hash_table_insert(ini->lines, g_strdup(group),
					    GUINT_TO_POINTER(lineno));
			continue;
		}
		eq = strchr(p, '=');
		if (!eq)
			return scan_error(err, errlen, ini->path, lineno, NULL, NULL,
					  "'%s' is not KEY=VALUE, a [group] or a # comment", p);
		for (key_end = eq; key_end > p && (key_end[-1] == ' ' || key_end[-1] == '\t');)
			key_end--;
		if (key_end == p)
			return scan_error(err, errlen, ini->path, lineno, group, NULL,
					  "'%s': no key before the '='", p);
		*key_end = 0;
		if (!group)
			return scan_error(err, errlen, ini->path, lineno, NULL, NULL,
					  "%s: a key before the first [group]", p);
		for (char *c = p; *c; c++)
			if (!key_char(*c))
				return scan_error(err, errlen, ini->path, lineno, group, p,
						  "not a key name (letters, digits, '-', '_', '.')");
		g_autofree char *k = lines_key(group, p);

		first = g_hash_table_lookup(ini->lines, k);
		if (first)
			return scan_error(err, errlen, ini->path, lineno, group, p,
					  "set twice (first at line %u)", GPOINTER_TO_UINT(first));
		g_hash_table_insert(ini->lines, g_steal_pointer(&k), GUINT_TO_POINTER(lineno));
	}
	return 0;
}

int ini_load_data(struct ini_file *ini, const char *path, const char *data,
		  size_t len, char *err, size_t errlen)
{
	g_autoptr(GError) gerr = NULL;
	char *text;
	int ret;

	memset(ini, 0, sizeof(*ini));
	ini->path = g_strdup(path);
	ini->lines = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	if (memchr(data, 0, len)) {
		ret = scan_error(err, errlen, path, 0, NULL, NULL, "contains a NUL byte");
		goto free_ini;
	}
	/* Invisible in editors, and GKeyFile would take it as part of the first line. */
	if (len >= 3 && !memcmp(data, "\xef\xbb\xbf", 3)) {
		ret = scan_error(err, errlen, path, 1, NULL, NULL,
				 "starts with a byte-order mark (save it as UTF-8 without one)");
		goto free_ini;
	}
	text = g_strndup(data, len);
	ret = scan(ini, text, err, errlen);
	g_free(text);
	if (ret)
		goto free_ini;
	ini->kf = g_key_file_new();
	if (!g_key_file_load_from_data(ini->kf, data, len, G_KEY_FILE_NONE, &gerr)) {
		/* The scan takes what GKeyFile takes; kept for a future GLib. */
		ret = scan_error(err, errlen, path, 0, NULL, NULL, "%s", gerr->message);
		goto free_ini;
	}
	return 0;

free_ini:
	ini_free(ini);
	return ret;
}

int ini_read(const char *path, char **data, size_t *len, char *err, size_t errlen)
{
	struct stat st;
	int fd, ret;

	*data = NULL;
	*len = 0;
	/* O_NONBLOCK: a FIFO put in the file's place must not hang the reader. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-ret));
		return ret;
	}
	if (fstat(fd, &st)) {
		ret = -errno;
		goto read_error;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = -EINVAL;
		snprintf(err, errlen, "%s: not a regular file", path);
		goto close_fd;
	}
	/* Read to EOF rather than trusting st_size: the file may be edited now. */
	*data = g_malloc(INI_MAX_BYTES + 1);
	for (;;) {
		ssize_t n = read(fd, *data + *len, INI_MAX_BYTES + 1 - *len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			goto read_error;
		}
		if (!n)
			break;
		*len += n;
		if (*len > INI_MAX_BYTES) {
			ret = -EFBIG;
			snprintf(err, errlen, "%s: larger than %u bytes", path, INI_MAX_BYTES);
			goto close_fd;
		}
	}
	close(fd);
	(*data)[*len] = 0;
	return 0;

read_error:
	snprintf(err, errlen, "%s: %s", path, strerror(-ret));
close_fd:
	close(fd);
	g_free(*data);
	*data = NULL;
	*len = 0;
	return ret;
}

int ini_load(struct ini_file *ini, const char *path, char *err, size_t errlen)
{
	g_autofree char *data = NULL;
	size_t len;
	int ret;

	memset(ini, 0, sizeof(*ini));
	ret = ini_read(path, &data, &len, err, errlen);
	if (ret)
		return ret;
	return ini_load_data(ini, path, data, len, err, errlen);
}

void ini_free(struct ini_file *ini)
{
	g_free(ini->path);
	if (ini->kf)
		g_key_file_free(ini->kf);
	if (ini->lines)
		g_hash_table_destroy(ini->lines);
	memset(ini, 0, sizeof(*ini));
}

int ini_check_keys(const struct ini_file *ini, const char *group,
		   const char *const *known, char *err, size_t errlen)
{
	g_auto(GStrv) keys = g_key_file_get_keys(ini->kf, group, NULL, NULL);
	g_autofree char *list = g_strjoinv(", ", (char **)known);

	for (char **k = keys; k && *k; k++) {
		const char *const *n;

		for (n = known; *n && strcmp(*n, *k); n++)
			;
		if (!*n)
			return ini_error(ini, err, errlen, group, *k,
					 "unknown key (known: %s)", list);
	}
	return 0;
}

int ini_get(const struct ini_file *ini, const char *group, const char *key,
	    char **out, char *err, size_t errlen)
{
	g_autoptr(GError) gerr = NULL;

	*out = NULL;
	if (!g_key_file_has_key(ini->kf, group, key, NULL))
		return 0;
	/* GKeyFile returns a value even when it says the escapes are bad. */
	*out = g_key_file_get_string(ini->kf, group, key, &gerr);
	if (gerr) {
		g_autofree char *raw = g_key_file_get_value(ini->kf, group, key, NULL);

		g_free(*out);
		*out = NULL;
		return ini_error(ini, err, errlen, group, key, "'%s': a bad escape (known: "
				 "\\s \\n \\t \\r \\\\, and no '\\' at the end)",
				 raw ? raw : "");
	}
	return 0;
}
