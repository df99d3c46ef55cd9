// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * state-patch.h - a crafted state file for the device load tests: one
 * field of a saved section changed and the section's CRC made good again,
 * so that only the device's own checks stand between it and the load.
 * Included by one test program each.
 */
#ifndef VMAIN_TESTS_DEVICES_STATE_PATCH_H
#define VMAIN_TESTS_DEVICES_STATE_PATCH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "state/stream.h"

/*
 * Copies the one-section stream buf[0 .. len) into copy[] with the
 * n-byte little-endian field at payload offset `off` set to v and the
 * CRC made good again.  Returns the length, or 0 if the stream does not
 * fit in cap or the field is not inside the payload.
 */
static size_t patched(uint8_t *copy, size_t cap, const uint8_t *buf, size_t len,
		      size_t off, uint64_t v, unsigned int n)
{
	size_t p = 1 + (size_t)buf[0] + 12 + off;
	uint32_t crc;
	unsigned int i;

	if (len > cap || len < 4 || p + n > len - 4)
		return 0;
	memcpy(copy, buf, len);
	for (i = 0; i < n; i++)
		copy[p + i] = (uint8_t)(v >> 8 * i);
	crc = state_crc32(0, copy, len - 4);
	for (i = 0; i < 4; i++)
		copy[len - 4 + i] = (uint8_t)(crc >> 8 * i);
	return len;
}

#endif
