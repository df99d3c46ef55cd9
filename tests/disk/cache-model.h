/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cache-model.h - the expected contents of a disk, for tests of the disk
 * stack: one version number per 512-byte sector.  Version 0 is zeros;
 * version v > 0 is the bytes write number v put there, a pattern of v
 * and the sector's index, so data at the wrong place or from the wrong
 * write never matches.  Nothing but the version array is stored, so a
 * model of a 64 MiB disk takes 512 KiB.
 */
#ifndef VMAIN_TESTS_DISK_CACHE_MODEL_H
#define VMAIN_TESTS_DISK_CACHE_MODEL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#define MODEL_SECTOR	512u

struct model {
	uint32_t *ver;
	uint64_t sectors;
};

static inline int model_init(struct model *m, uint64_t bytes)
{
	m->sectors = bytes / MODEL_SECTOR;
	m->ver = calloc(m->sectors, sizeof(*m->ver));
	return m->ver ? 0 : -1;
}

static inline void model_free(struct model *m)
{
	free(m->ver);
	m->ver = NULL;
}

/* splitmix64 (S. Vigna): the pattern's seeds. */
static inline uint64_t model_mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/*
 * The 512 bytes of sector `s` at version `v`: a xorshift64 stream from a
 * seed that mixes both (cheap per word; only the seed needs mixing well).
 */
static inline void model_sector(uint32_t v, uint64_t s, unsigned char *out)
{
	uint64_t x;
	unsigned i;

	if (!v) {
		memset(out, 0, MODEL_SECTOR);
		return;
	}
	x = model_mix(((uint64_t)v << 32) ^ s) | 1;
	for (i = 0; i < MODEL_SECTOR / 8; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		memcpy(out + 8 * i, &x, 8);
	}
}

/* Fills `buf` with what write `v` of `bytes` at `off` carries. */
static inline void model_fill(uint32_t v, uint64_t off, uint64_t bytes,
			      unsigned char *buf)
{
	uint64_t i;

	for (i = 0; i < bytes / MODEL_SECTOR; i++)
		model_sector(v, off / MODEL_SECTOR + i, buf + i * MODEL_SECTOR);
}

/* Write `v` (0: zeros, a discard or WRITE_ZEROES) of [off, off + bytes). */
static inline void model_set(struct model *m, uint32_t v, uint64_t off,
			     uint64_t bytes)
{
	uint64_t i;

	for (i = off / MODEL_SECTOR; i < (off + bytes) / MODEL_SECTOR; i++)
		m->ver[i] = v;
}

/*
 * Compares `bytes` of data at `off` (in `buf`) with the model: returns the
 * first byte offset that differs, or UINT64_MAX if none does.
 */
static inline uint64_t model_diff(const struct model *m, uint64_t off,
				  uint64_t bytes, const unsigned char *buf)
{
	unsigned char want[MODEL_SECTOR];
	uint64_t i, s;

	for (i = 0; i < bytes / MODEL_SECTOR; i++) {
		s = off / MODEL_SECTOR + i;
		model_sector(m->ver[s], s, want);
		if (memcmp(want, buf + i * MODEL_SECTOR, MODEL_SECTOR))
			return off + i * MODEL_SECTOR;
	}
	return UINT64_MAX;
}

/* Gathers an iovec array into `out`. */
static inline void model_gather(const struct iovec *iov, unsigned cnt,
				unsigned char *out)
{
	unsigned i;

	for (i = 0; i < cnt; i++) {
		memcpy(out, iov[i].iov_base, iov[i].iov_len);
		out += iov[i].iov_len;
	}
}

/*
 * Reads the whole file through `fd` (pread) and compares it with the
 * model; sectors with skip[s] set are not compared (skip may be NULL).
 * Returns the first differing byte offset, UINT64_MAX if none, or
 * UINT64_MAX - 1 if reading failed.
 */
static inline uint64_t model_diff_file(const struct model *m, int fd,
				       const bool *skip)
{
	const uint64_t chunk = 1u << 20;
	unsigned char want[MODEL_SECTOR];
	uint64_t off, total = m->sectors * MODEL_SECTOR, n, i, s;
	unsigned char *buf = malloc(chunk);

	if (!buf)
		return UINT64_MAX - 1;
	for (off = 0; off < total; off += n) {
		n = total - off < chunk ? total - off : chunk;
		if (pread(fd, buf, n, (off_t)off) != (ssize_t)n) {
			free(buf);
			return UINT64_MAX - 1;
		}
		for (i = 0; i < n / MODEL_SECTOR; i++) {
			s = off / MODEL_SECTOR + i;
			if (skip && skip[s])
				continue;
			model_sector(m->ver[s], s, want);
			if (memcmp(want, buf + i * MODEL_SECTOR, MODEL_SECTOR)) {
				free(buf);
				return s * MODEL_SECTOR;
			}
		}
	}
	free(buf);
	return UINT64_MAX;
}

#endif
