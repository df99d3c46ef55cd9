/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * machine/gmem.h - guest RAM as seen by device models (virtqueues, DMA):
 * one mapping of guest-physical [0, size).
 *
 * Everything a device reads from guest memory is guest-controlled: the
 * only way to reach it is gmem_ptr(), which refuses a range that is not
 * wholly inside RAM (overflow-safe), so a bad descriptor fails that
 * request and never touches host memory outside the guest's.
 */
#ifndef VMAIN_MONITOR_MACHINE_GMEM_H
#define VMAIN_MONITOR_MACHINE_GMEM_H

#include <stddef.h>
#include <stdint.h>

struct gmem {
	uint8_t *base;		/* host address of guest-physical 0 */
	uint64_t size;		/* bytes of RAM in all */
	/*
	 * 0: all of it at guest-physical 0.  Else the first low_size bytes
	 * are at 0 and the rest at GMEM_HIGH_BASE (above the MMIO hole,
	 * machine/memmap.h), contiguous in the host mapping.
	 */
	uint64_t low_size;
};

#define GMEM_HIGH_BASE	(4ull << 30)

/*
 * Host pointer to guest-physical [gpa, gpa + len), or NULL if that is
 * not all RAM (a range across the hole is refused too).
 */
static inline void *gmem_ptr(const struct gmem *m, uint64_t gpa, uint64_t len)
{
	uint64_t low = m->low_size ? m->low_size : m->size;

	if (gpa <= low && len <= low - gpa)
		return m->base + gpa;
	if (!m->low_size || gpa < GMEM_HIGH_BASE)
		return NULL;
	gpa -= GMEM_HIGH_BASE;
	if (gpa > m->size - low || len > m->size - low - gpa)
		return NULL;
	return m->base + low + gpa;
}

#endif
