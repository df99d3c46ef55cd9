/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * state/stream.h - the device-state stream: versioned, checksummed
 * sections of explicitly encoded fields, the same whichever backend
 * (vmain.ko or KVM) saved or restores it (DESIGN.md "Save and restore").
 *
 * A stream is a sequence of sections, one per device (or per part of one).
 * A section is, all integers little-endian:
 *
 *   u8   name length (1 .. STATE_NAME_MAX)
 *   name bytes ([a-z0-9_.:-], no NUL)
 *   le32 instance id   (which device of that kind: a devfn, a COM index)
 *   le32 version       (the writer's layout of this section, >= 1)
 *   le32 payload length
 *   payload            (the fields, as the device's save wrote them)
 *   le32 CRC-32        (IEEE 802.3, over everything above, header included)
 *
 * Fields are written one by one with the typed helpers below (u8, u16,
 * u32, u64, bytes), never as a raw struct: a struct's padding, field
 * order and host pointers are not a format.  Nothing host-specific is
 * saved: no pointers, fds or host clock readings; a timer is saved as
 * the nanoseconds it has left (or has run), and its deadline rebuilt from
 * the loading host's clock.
 *
 * The reader refuses, with -errno and a message (state_reader_msg()):
 *   - a truncated stream or section (-EBADMSG),
 *   - a wrong checksum (-EBADMSG),
 *   - a section other than the one the loader expects, name or id
 *     (-ENOENT: the device set differs),
 *   - a version newer than the loader knows, or 0 (-EPROTONOSUPPORT),
 *   - a payload shorter than the fields read from it, or longer (fields
 *     left unread: -EBADMSG),
 *   - a value a device's load finds out of range (-EINVAL, through
 *     state_reader_fail()).
 * Errors are sticky: after the first one every get returns 0 and the
 * first error and its message are kept.  A device's load therefore reads
 * every field into locals or a scratch copy, calls state_section_close(),
 * and changes the device only when that returned 0: a load that fails
 * leaves the device as it was, never half loaded.
 *
 * The writer builds the stream in memory (it is small: the device state,
 * not RAM); an allocation failure is sticky too (-ENOMEM from
 * state_writer_error()).
 *
 * Not thread-safe: one writer or reader per thread.
 */
#ifndef VMAIN_MONITOR_STATE_STREAM_H
#define VMAIN_MONITOR_STATE_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STATE_NAME_MAX		63
#define STATE_MSG_MAX		160
/* Bytes a section adds around its payload, at most. */
#define STATE_SECTION_OVERHEAD	(1 + STATE_NAME_MAX + 4 + 4 + 4 + 4)

struct state_writer {
	uint8_t *buf;
	size_t len, cap;
	size_t sect_start;	/* offset of the open section's name length */
	size_t payload_start;	/* offset of its payload */
	bool in_section;
	int err;		/* first error, sticky */
};

struct state_reader {
	const uint8_t *buf;
	size_t len, pos;
	/* The open section: payload [payload, end). */
	bool in_section;
	size_t end;
	char name[STATE_NAME_MAX + 1];
	uint32_t id;
	int err;		/* first error, sticky */
	char msg[STATE_MSG_MAX];
};

/* CRC-32 (IEEE 802.3, reflected 0xedb88320), continuing from `crc` (0 first). */
uint32_t state_crc32(uint32_t crc, const void *data, size_t len);

/* --- writing ----------------------------------------------------------- */

void state_writer_init(struct state_writer *w);
void state_writer_free(struct state_writer *w);

/*
 * Opens a section `name` / `id` written in layout `version` (>= 1).
 * Sections do not nest; a bad name or nesting is -EINVAL (sticky).
 */
void state_section_begin(struct state_writer *w, const char *name, uint32_t id,
			 uint32_t version);
/* Closes it: fills in the length and appends the checksum. */
void state_section_end(struct state_writer *w);

void state_put_u8(struct state_writer *w, uint8_t v);
void state_put_u16(struct state_writer *w, uint16_t v);
void state_put_u32(struct state_writer *w, uint32_t v);
void state_put_u64(struct state_writer *w, uint64_t v);
void state_put_bool(struct state_writer *w, bool v);
void state_put_bytes(struct state_writer *w, const void *p, size_t len);

/* 0, or the first error (-ENOMEM, -EINVAL). */
int state_writer_error(const struct state_writer *w);

/*
 * The stream written so far (every section closed), or NULL with the
 * error in *err.  The buffer stays the writer's.
 */
const uint8_t *state_writer_data(const struct state_writer *w, size_t *len,
				 int *err);

/* --- reading ----------------------------------------------------------- */

/* Reads sections from buf[0 .. len) (not copied: keep it alive). */
void state_reader_init(struct state_reader *r, const void *buf, size_t len);

/*
 * Opens the next section, which must be `name` / `id`, with a version in
 * 1 .. max_version (returned in *version) and a good checksum.  Returns
 * 0 or the (sticky) error.
 */
int state_section_open(struct state_reader *r, const char *name, uint32_t id,
		       uint32_t max_version, uint32_t *version);

/*
 * Closes the open section: every payload byte must have been read.
 * Returns 0 or the first error of the section (or before it).
 */
int state_section_close(struct state_reader *r);

/* Next field of the open section; 0 (and a sticky error) past its end. */
uint8_t state_get_u8(struct state_reader *r);
uint16_t state_get_u16(struct state_reader *r);
uint32_t state_get_u32(struct state_reader *r);
uint64_t state_get_u64(struct state_reader *r);
/* A bool field must be 0 or 1 (anything else: -EINVAL). */
bool state_get_bool(struct state_reader *r);
/* `len` bytes into p (zeroed on error). */
void state_get_bytes(struct state_reader *r, void *p, size_t len);

/*
 * A loader found a value it cannot take: records -EINVAL with the
 * message (unless an error is already recorded).  Returns the error.
 */
__attribute__((format(printf, 2, 3)))
int state_reader_fail(struct state_reader *r, const char *fmt, ...);

/* 0 or the first error; its message ("" if none). */
int state_reader_error(const struct state_reader *r);
const char *state_reader_msg(const struct state_reader *r);

/* Has every byte of the stream been consumed (no section open)? */
bool state_reader_at_end(const struct state_reader *r);

/*
 * Timers: a deadline on the saving host's clock becomes the nanoseconds
 * left (never negative: an overdue timer is saved as 0, due at once), and
 * back to a deadline on the loading host's clock.
 */
static inline uint64_t state_ns_left(int64_t deadline, int64_t now)
{
	return deadline > now ? (uint64_t)(deadline - now) : 0;
}

static inline int64_t state_deadline(uint64_t left, int64_t now)
{
	if (left > (uint64_t)(INT64_MAX - (now > 0 ? now : 0)))
		return INT64_MAX;
	return now + (int64_t)left;
}

/*
 * A count that runs from a start time (the PIT's current segment, the
 * APIC timer's period, the PM timer): saved as the nanoseconds run so far,
 * and back to a start time on the loading host's clock.
 */
static inline uint64_t state_ns_since(int64_t start, int64_t now)
{
	return now > start ? (uint64_t)now - (uint64_t)start : 0;
}

/*
 * The most nanoseconds a load takes as a count's run time: 2^62 ns is
 * about 146 years, beyond any host's uptime, and leaves the devices'
 * "now - start" (both signed) room for another 146 years before it could
 * overflow.  A load refuses more (state_reader_fail()); state_start()
 * clamps to it in any case, so a start it returns is never INT64_MIN
 * while the clock is past it.
 */
#define STATE_NS_MAX		(1ull << 62)

static inline int64_t state_start(uint64_t ran, int64_t now)
{
	if (ran > STATE_NS_MAX)
		ran = STATE_NS_MAX;
	/* The distance from INT64_MIN up to now, in unsigned arithmetic. */
	if (ran > (uint64_t)now - (uint64_t)INT64_MIN)
		return INT64_MIN;
	return (int64_t)((uint64_t)now - ran);
}

#endif
