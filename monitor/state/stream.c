// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * state/stream.c - the device-state stream (format in stream.h).
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "le.h"
#include "state/stream.h"

/* --- CRC-32 ------------------------------------------------------------ */

static uint32_t crc_table[256];

static void crc_table_init(void)
{
	uint32_t i, j, c;

	for (i = 0; i < 256; i++) {
		c = i;
		for (j = 0; j < 8; j++)
			c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
		crc_table[i] = c;
	}
}

uint32_t state_crc32(uint32_t crc, const void *data, size_t len)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	const uint8_t *p = data;

	pthread_once(&once, crc_table_init);
	crc = ~crc;
	while (len--)
		crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

static bool name_ok(const char *name, size_t *len)
{
	size_t n = strnlen(name, STATE_NAME_MAX + 1), i;

	if (!n || n > STATE_NAME_MAX)
		return false;
	for (i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == ':' || c == '-'))
			return false;
	}
	*len = n;
	return true;
}

/* --- writing ----------------------------------------------------------- */

void state_writer_init(struct state_writer *w)
{
	memset(w, 0, sizeof(*w));
}

void state_writer_free(struct state_writer *w)
{
	free(w->buf);
	memset(w, 0, sizeof(*w));
}

static void w_fail(struct state_writer *w, int err)
{
	if (!w->err)
		w->err = err;
}

static uint8_t *w_reserve(struct state_writer *w, size_t n)
{
	uint8_t *p;
	size_t cap;

	if (w->err)
		return NULL;
	if (n > SIZE_MAX / 2 - w->len) {
		w_fail(w, -ENOMEM);
		return NULL;
	}
	if (w->len + n > w->cap) {
		cap = w->cap ? w->cap : 4096;
		while (cap < w->len + n)
			cap *= 2;
		p = realloc(w->buf, cap);
		if (!p) {
			w_fail(w, -ENOMEM);
			return NULL;
		}
		w->buf = p;
		w->cap = cap;
	}
	p = w->buf + w->len;
	w->len += n;
	return p;
}

static void w_raw(struct state_writer *w, uint64_t v, unsigned n)
{
	uint8_t *p = w_reserve(w, n);

	if (p)
		put_le(p, v, n);
}

void state_section_begin(struct state_writer *w, const char *name, uint32_t id,
			 uint32_t version)
{
	size_t n;
	uint8_t *p;

	if (w->in_section || !version || !name_ok(name, &n)) {
		w_fail(w, -EINVAL);
		return;
	}
	w->sect_start = w->len;
	w->in_section = true;
	w_raw(w, n, 1);
	p = w_reserve(w, n);
	if (p)
		memcpy(p, name, n);
	w_raw(w, id, 4);
	w_raw(w, version, 4);
	w_raw(w, 0, 4);		/* length, filled in by state_section_end() */
	w->payload_start = w->len;
}

void state_section_end(struct state_writer *w)
{
	size_t plen;

	if (!w->in_section) {
		w_fail(w, -EINVAL);
		return;
	}
	w->in_section = false;
	if (w->err)
		return;
	plen = w->len - w->payload_start;
	if (plen > UINT32_MAX) {
		w_fail(w, -EINVAL);
		return;
	}
	put_le(w->buf + w->payload_start - 4, plen, 4);
	w_raw(w, state_crc32(0, w->buf + w->sect_start, w->len - w->sect_start), 4);
}

static void w_field(struct state_writer *w, uint64_t v, unsigned n)
{
	if (!w->in_section) {
		w_fail(w, -EINVAL);
		return;
	}
	w_raw(w, v, n);
}

void state_put_u8(struct state_writer *w, uint8_t v)
{
	w_field(w, v, 1);
}

void state_put_u16(struct state_writer *w, uint16_t v)
{
	w_field(w, v, 2);
}

void state_put_u32(struct state_writer *w, uint32_t v)
{
	w_field(w, v, 4);
}

void state_put_u64(struct state_writer *w, uint64_t v)
{
	w_field(w, v, 8);
}

void state_put_bool(struct state_writer *w, bool v)
{
	w_field(w, v ? 1 : 0, 1);
}

void state_put_bytes(struct state_writer *w, const void *p, size_t len)
{
	uint8_t *d;

	if (!w->in_section) {
		w_fail(w, -EINVAL);
		return;
	}
	d = w_reserve(w, len);
	if (d && len)
		memcpy(d, p, len);
}

int state_writer_error(const struct state_writer *w)
{
	return w->err;
}

const uint8_t *state_writer_data(const struct state_writer *w, size_t *len,
				 int *err)
{
	int e = w->err ? w->err : w->in_section ? -EINVAL : 0;

	if (err)
		*err = e;
	if (e)
		return NULL;
	*len = w->len;
	return w->buf;
}

/* --- reading ----------------------------------------------------------- */

void state_reader_init(struct state_reader *r, const void *buf, size_t len)
{
	memset(r, 0, sizeof(*r));
	r->buf = buf;
	r->len = len;
}

__attribute__((format(printf, 3, 4)))
static int r_fail(struct state_reader *r, int err, const char *fmt, ...)
{
	va_list ap;

	if (r->err)
		return r->err;
	r->err = err;
	va_start(ap, fmt);
	vsnprintf(r->msg, sizeof(r->msg), fmt, ap);
	va_end(ap);
	return err;
}

int state_reader_fail(struct state_reader *r, const char *fmt, ...)
{
	va_list ap;
	int n = 0;

	if (r->err)
		return r->err;
	r->err = -EINVAL;
	if (r->in_section || r->name[0])
		n = snprintf(r->msg, sizeof(r->msg), "section %s:%u: ", r->name,
			     r->id);
	if (n < 0 || (size_t)n >= sizeof(r->msg))
		n = 0;
	va_start(ap, fmt);
	vsnprintf(r->msg + n, sizeof(r->msg) - (size_t)n, fmt, ap);
	va_end(ap);
	return r->err;
}

/* Bytes left before `limit` (the stream's end or the section's). */
static bool r_have(const struct state_reader *r, size_t limit, size_t n)
{
	return r->pos <= limit && limit - r->pos >= n;
}

int state_section_open(struct state_reader *r, const char *name, uint32_t id,
		       uint32_t max_version, uint32_t *version)
{
	const uint8_t *h = r->buf + r->pos;
	size_t start = r->pos, n, want_n, plen, i;
	uint32_t ver, sid, crc;
	char got[STATE_NAME_MAX + 1];

	if (version)
		*version = 0;
	if (r->err)
		return r->err;
	if (r->in_section)
		return r_fail(r, -EINVAL, "section %s:%u still open", r->name, r->id);
	if (!name_ok(name, &want_n))
		return r_fail(r, -EINVAL, "bad section name asked for");
	if (!r_have(r, r->len, 1))
		return r_fail(r, -EBADMSG, "state ends before section %s:%u",
			      name, id);
	n = h[0];
	if (!n || n > STATE_NAME_MAX)
		return r_fail(r, -EBADMSG, "corrupt section header at byte %zu "
			      "(expected %s:%u)", start, name, id);
	if (!r_have(r, r->len, 1 + n + 12))
		return r_fail(r, -EBADMSG, "state truncated in the header of "
			      "section %s:%u", name, id);
	for (i = 0; i < n; i++)
		got[i] = (char)h[1 + i];
	got[n] = 0;
	sid = (uint32_t)get_le(h + 1 + n, 4);
	ver = (uint32_t)get_le(h + 1 + n + 4, 4);
	plen = (size_t)get_le(h + 1 + n + 8, 4);
	if (!r_have(r, r->len, 1 + n + 12 + plen + 4))
		return r_fail(r, -EBADMSG, "state truncated in section %s:%u "
			      "(%zu payload bytes announced, %zu left)", name, id,
			      plen, r->len - r->pos - (1 + n + 12));
	crc = (uint32_t)get_le(h + 1 + n + 12 + plen, 4);
	/* The checksum first: a name or version read from a damaged
	 * header would give a misleading message. */
	if (crc != state_crc32(0, h, 1 + n + 12 + plen))
		return r_fail(r, -EBADMSG, "checksum mismatch in section %s:%u "
			      "at byte %zu: the state is corrupt", name, id, start);
	if (n != want_n || memcmp(got, name, n) || sid != id) {
		/* Printable only: the name came from the file. */
		for (i = 0; i < n; i++)
			if (got[i] < 0x20 || got[i] > 0x7e)
				got[i] = '?';
		return r_fail(r, -ENOENT, "expected section %s:%u, found %s:%u "
			      "(the saved device set differs)", name, id, got, sid);
	}
	if (!ver || ver > max_version)
		return r_fail(r, -EPROTONOSUPPORT, "section %s:%u has version %u; "
			      "this vmain reads versions 1 to %u (saved by a "
			      "newer vmain?)", name, id, ver, max_version);
	memcpy(r->name, name, n + 1);
	r->id = id;
	r->pos = start + 1 + n + 12;
	r->end = r->pos + plen;
	r->in_section = true;
	if (version)
		*version = ver;
	return 0;
}

int state_section_close(struct state_reader *r)
{
	if (!r->in_section)
		return r->err ? r->err :
		       r_fail(r, -EINVAL, "no section open");
	r->in_section = false;
	if (r->err)
		return r->err;
	if (r->pos != r->end)
		return r_fail(r, -EBADMSG, "section %s:%u has %zu bytes this vmain "
			      "does not read", r->name, r->id, r->end - r->pos);
	r->pos = r->end + 4;	/* the checksum, verified at open */
	return 0;
}

static const uint8_t *r_field(struct state_reader *r, size_t n)
{
	const uint8_t *p;

	if (r->err)
		return NULL;
	if (!r->in_section) {
		r_fail(r, -EINVAL, "field read outside a section");
		return NULL;
	}
	if (!r_have(r, r->end, n)) {
		r_fail(r, -EBADMSG, "section %s:%u is too short for its fields",
		       r->name, r->id);
		return NULL;
	}
	p = r->buf + r->pos;
	r->pos += n;
	return p;
}

uint8_t state_get_u8(struct state_reader *r)
{
	const uint8_t *p = r_field(r, 1);

	return p ? p[0] : 0;
}

uint16_t state_get_u16(struct state_reader *r)
{
	const uint8_t *p = r_field(r, 2);

	return p ? (uint16_t)get_le(p, 2) : 0;
}

uint32_t state_get_u32(struct state_reader *r)
{
	const uint8_t *p = r_field(r, 4);

	return p ? (uint32_t)get_le(p, 4) : 0;
}

uint64_t state_get_u64(struct state_reader *r)
{
	const uint8_t *p = r_field(r, 8);

	return p ? get_le(p, 8) : 0;
}

bool state_get_bool(struct state_reader *r)
{
	const uint8_t *p = r_field(r, 1);

	if (!p)
		return false;
	if (p[0] > 1) {
		state_reader_fail(r, "boolean field holds %u", p[0]);
		return false;
	}
	return p[0];
}

void state_get_bytes(struct state_reader *r, void *p, size_t len)
{
	const uint8_t *s = r_field(r, len);

	if (s)
		memcpy(p, s, len);
	else if (len)
		memset(p, 0, len);
}

int state_reader_error(const struct state_reader *r)
{
	return r->err;
}

const char *state_reader_msg(const struct state_reader *r)
{
	return r->msg;
}

bool state_reader_at_end(const struct state_reader *r)
{
	return !r->err && !r->in_section && r->pos == r->len;
}
