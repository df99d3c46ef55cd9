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
	uint64_t size;		/* bytes of RAM */
};

/* Host pointer to guest-physical [gpa, gpa + len), or NULL if not RAM. */
static inline void *gmem_ptr(const struct gmem *m, uint64_t gpa, uint64_t len)
{
	if (gpa > m->size || len > m->size - gpa)
		return NULL;
	return m->base + gpa;
}

#endif
