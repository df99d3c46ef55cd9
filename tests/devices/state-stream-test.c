// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * state-stream-test.c - the device-state stream (monitor/state/stream.c):
 * fields round-trip little-endian, every truncation and every flipped
 * byte is refused (never a crash: run under ASan), a version from the
 * future and a different device set are refused with a message.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "state/stream.h"

/* Two sections with one field of each kind. */
static const uint8_t *build(struct state_writer *w, size_t *len)
{
	static const uint8_t blob[5] = { 1, 2, 3, 4, 5 };
	int err;

	state_writer_init(w);
	state_section_begin(w, "alpha", 7, 2);
	state_put_u8(w, 0xa1);
	state_put_u16(w, 0xb2c3);
	state_put_u32(w, 0xd4e5f607);
	state_put_u64(w, 0x1122334455667788ull);
	state_put_bool(w, true);
	state_put_bytes(w, blob, sizeof(blob));
	state_section_end(w);
	state_section_begin(w, "beta.q-1:x", 0, 1);
	state_put_u32(w, 42);
	state_section_end(w);
	return state_writer_data(w, len, &err);
}

/* Reads both sections back; 0 only if every value matched. */
static int load(const uint8_t *buf, size_t len, struct state_reader *r)
{
	uint8_t blob[5];
	uint32_t ver;
	int ok;

	state_reader_init(r, buf, len);
	if (state_section_open(r, "alpha", 7, 2, &ver))
		return state_reader_error(r);
	ok = state_get_u8(r) == 0xa1;
	ok &= state_get_u16(r) == 0xb2c3;
	ok &= state_get_u32(r) == 0xd4e5f607;
	ok &= state_get_u64(r) == 0x1122334455667788ull;
	ok &= state_get_bool(r);
	state_get_bytes(r, blob, sizeof(blob));
	ok &= blob[0] == 1 && blob[4] == 5;
	if (state_section_close(r))
		return state_reader_error(r);
	if (state_section_open(r, "beta.q-1:x", 0, 1, &ver))
		return state_reader_error(r);
	ok &= state_get_u32(r) == 42;
	if (state_section_close(r))
		return state_reader_error(r);
	if (!state_reader_at_end(r))
		return 1;
	return ok ? 0 : 2;
}

static void test_roundtrip(void)
{
	struct state_writer w;
	struct state_reader r;
	const uint8_t *buf;
	size_t len;

	buf = build(&w, &len);
	tap_ok(buf != NULL, "stream: written without error");
	/* Header: len 5, "alpha", id 7, version 2, payload 1+2+4+8+1+5. */
	tap_ok(buf[0] == 5 && !memcmp(buf + 1, "alpha", 5) && buf[6] == 7 &&
	       buf[10] == 2 && buf[14] == 21 && buf[18] == 0xa1 &&
	       buf[19] == 0xc3 && buf[20] == 0xb2 && buf[21] == 0x07 &&
	       buf[25] == 0x88 && buf[32] == 0x11,
	       "stream: header and fields are little-endian at fixed places");
	tap_ok(len == (1 + 5 + 12 + 21 + 4) + (1 + 10 + 12 + 4 + 4),
	       "stream: length is header + payload + CRC per section (%zu)", len);
	tap_ok(load(buf, len, &r) == 0, "stream: every field reads back");
	state_writer_free(&w);
}

static void test_truncation(void)
{
	struct state_writer w;
	struct state_reader r;
	const uint8_t *buf;
	uint8_t *copy;
	size_t len, n, bad = 0, badmsg = 0;

	buf = build(&w, &len);
	for (n = 0; n < len; n++) {
		/* An exact-size heap copy, so ASan sees any read past it. */
		copy = malloc(n ? n : 1);
		memcpy(copy, buf, n);
		if (load(copy, n, &r) >= 0 || !state_reader_msg(&r)[0])
			bad++;
		if (state_reader_error(&r) == -EBADMSG)
			badmsg++;
		free(copy);
	}
	tap_ok(!bad, "stream: every truncation (%zu lengths) is refused with a message", len);
	tap_ok(badmsg == len, "stream: ... as -EBADMSG (%zu of %zu)", badmsg, len);
	state_writer_free(&w);
}

static void test_corruption(void)
{
	struct state_writer w;
	struct state_reader r;
	const uint8_t *buf;
	uint8_t *copy;
	size_t len, i, bad = 0, bit, badbits = 0;

	buf = build(&w, &len);
	copy = malloc(len);
	for (i = 0; i < len; i++) {
		memcpy(copy, buf, len);
		copy[i] ^= 0xff;
		if (load(copy, len, &r) >= 0 || !state_reader_msg(&r)[0])
			bad++;
	}
	tap_ok(!bad, "stream: every flipped byte (%zu) is refused", len);
	for (i = 0; i < len; i++) {
		for (bit = 0; bit < 8; bit++) {
			memcpy(copy, buf, len);
			copy[i] ^= (uint8_t)(1u << bit);
			if (load(copy, len, &r) >= 0)
				badbits++;
		}
	}
	tap_ok(!badbits, "stream: every single-bit flip (%zu) is refused", 8 * len);
	/* Appended garbage is not silently accepted either. */
	copy = realloc(copy, len + 1);
	memcpy(copy, buf, len);
	copy[len] = 0;
	tap_ok(load(copy, len + 1, &r) == 1 && state_reader_error(&r) == 0,
	       "stream: trailing bytes leave the reader not at its end");
	free(copy);
	state_writer_free(&w);
}

static void test_refusals(void)
{
	struct state_writer w;
	struct state_reader r;
	const uint8_t *buf;
	uint32_t ver = 99;
	size_t len;
	int err;

	/* A section from a newer vmain. */
	state_writer_init(&w);
	state_section_begin(&w, "dev", 0, 3);
	state_put_u32(&w, 1);
	state_section_end(&w);
	buf = state_writer_data(&w, &len, &err);
	state_reader_init(&r, buf, len);
	tap_ok(state_section_open(&r, "dev", 0, 2, &ver) == -EPROTONOSUPPORT &&
	       ver == 0 && strstr(state_reader_msg(&r), "version 3"),
	       "stream: a version from the future is refused (%s)", state_reader_msg(&r));
	state_reader_init(&r, buf, len);
	tap_ok(state_section_open(&r, "dev", 0, 3, &ver) == 0 && ver == 3 &&
	       state_get_u32(&r) == 1 && state_section_close(&r) == 0,
	       "stream: the same section opens for a reader that knows version 3");
	state_reader_init(&r, buf, len);
	tap_ok(state_section_open(&r, "other", 0, 3, &ver) == -ENOENT &&
	       strstr(state_reader_msg(&r), "found dev:0"),
	       "stream: another device's section is refused (%s)", state_reader_msg(&r));
	state_reader_init(&r, buf, len);
	tap_ok(state_section_open(&r, "dev", 1, 3, &ver) == -ENOENT,
	       "stream: another instance id is refused");
	/* Fields left unread, or read past the end. */
	state_reader_init(&r, buf, len);
	state_section_open(&r, "dev", 0, 3, &ver);
	state_get_u16(&r);
	tap_ok(state_section_close(&r) == -EBADMSG,
	       "stream: a field left unread fails the close (%s)", state_reader_msg(&r));
	state_reader_init(&r, buf, len);
	state_section_open(&r, "dev", 0, 3, &ver);
	tap_ok(state_get_u64(&r) == 0 && state_reader_error(&r) == -EBADMSG &&
	       state_get_u8(&r) == 0 && state_section_close(&r) == -EBADMSG,
	       "stream: reading past the payload is an error, and sticky");
	state_reader_init(&r, buf, len);
	state_section_open(&r, "dev", 0, 3, &ver);
	tap_ok(state_get_u16(&r) == 1 &&
	       state_reader_fail(&r, "value %d out of range", 5) == -EINVAL &&
	       state_get_u16(&r) == 0 && state_section_close(&r) == -EINVAL &&
	       !strcmp(state_reader_msg(&r), "section dev:0: value 5 out of range"),
	       "stream: a loader's refusal keeps the first error (%s)", state_reader_msg(&r));
	state_writer_free(&w);

	state_writer_init(&w);
	state_section_begin(&w, "b", 0, 1);
	state_put_u8(&w, 2);
	state_section_end(&w);
	buf = state_writer_data(&w, &len, &err);
	state_reader_init(&r, buf, len);
	state_section_open(&r, "b", 0, 1, &ver);
	tap_ok(!state_get_bool(&r) && state_reader_error(&r) == -EINVAL,
	       "stream: a bool other than 0/1 is refused");
	state_writer_free(&w);

	/* Writer misuse. */
	state_writer_init(&w);
	state_section_begin(&w, "Bad Name", 0, 1);
	tap_ok(state_writer_error(&w) == -EINVAL, "stream: a bad section name is refused");
	state_writer_free(&w);
	state_writer_init(&w);
	state_section_begin(&w, "a", 0, 1);
	state_section_begin(&w, "b", 0, 1);
	tap_ok(state_writer_error(&w) == -EINVAL, "stream: sections do not nest");
	state_writer_free(&w);
	state_writer_init(&w);
	state_put_u8(&w, 1);
	tap_ok(state_writer_error(&w) == -EINVAL, "stream: a field outside a section is refused");
	state_writer_free(&w);
	state_writer_init(&w);
	state_section_begin(&w, "a", 0, 1);
	tap_ok(state_writer_data(&w, &len, &err) == NULL && err == -EINVAL,
	       "stream: no data while a section is open");
	state_writer_free(&w);
}

static void test_helpers(void)
{
	tap_ok(state_crc32(0, "123456789", 9) == 0xcbf43926u,
	       "stream: CRC-32 check value of \"123456789\"");
	tap_ok(state_ns_left(1500, 1000) == 500 && state_ns_left(900, 1000) == 0,
	       "stream: time left, overdue is 0");
	tap_ok(state_deadline(500, 7000) == 7500 &&
	       state_deadline(UINT64_MAX, 5) == INT64_MAX,
	       "stream: deadline rebuilt on the new clock, saturating");
	tap_ok(state_ns_since(1000, 4000) == 3000 && state_ns_since(5000, 4000) == 0,
	       "stream: time run so far");
	tap_ok(state_start(3000, 100) == -2900 &&
	       state_start(100, INT64_MIN + 50) == INT64_MIN,
	       "stream: start time rebuilt on the new clock, saturating");
	/*
	 * A run time past STATE_NS_MAX counts as STATE_NS_MAX: the devices'
	 * signed "now - start" then stays in range, where INT64_MIN would
	 * overflow it (UBSan: 5000000000 - -9223372036854775808).
	 */
	{
		int64_t now = 5000000000ll;
		int64_t s1 = state_start(UINT64_MAX, now);
		int64_t s2 = state_start((uint64_t)INT64_MAX + 1, now);
		int64_t s3 = state_start(STATE_NS_MAX, now);

		tap_ok(s1 == s3 && s2 == s3 && now - s3 == (int64_t)STATE_NS_MAX &&
		       state_start(UINT64_MAX, 0) == -(int64_t)STATE_NS_MAX,
		       "stream: a start more than STATE_NS_MAX back is clamped to it");
	}
}

int main(void)
{
	test_roundtrip();
	test_truncation();
	test_corruption();
	test_refusals();
	test_helpers();
	return tap_done();
}
