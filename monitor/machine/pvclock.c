// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * machine/pvclock.c - the paravirtual clock records (see pvclock.h).
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "machine/machine.h"
#include "machine/pvclock.h"

/* pvclock flags (Linux's asm/pvclock-abi.h). */
#define PVCLOCK_GUEST_STOPPED	(1 << 1)

/* struct pvclock_vcpu_time_info (32 bytes), Linux's pvclock ABI. */
struct pv_time {
	uint32_t version;	/* odd while being updated */
	uint32_t pad0;
	uint64_t tsc_timestamp;
	uint64_t system_time;	/* ns at tsc_timestamp */
	uint32_t tsc_to_system_mul;
	int8_t tsc_shift;
	uint8_t flags;
	uint8_t pad[2];
};

/* struct pvclock_wall_clock (12 bytes). */
struct pv_wall {
	uint32_t version;
	uint32_t sec;
	uint32_t nsec;
};

_Static_assert(sizeof(struct pv_time) == 32, "pvclock_vcpu_time_info");
_Static_assert(sizeof(struct pv_wall) == 12, "pvclock_wall_clock");

#define PVCLOCK_TSC_STABLE_BIT	(1u << 0)
#define SYSTEM_TIME_ENABLE	1ull

bool pvclock_msr(uint32_t index)
{
	return index == PVCLOCK_MSR_WALL_CLOCK || index == PVCLOCK_MSR_SYSTEM_TIME;
}

/*
 * ns = ((tsc - tsc_timestamp) shifted by tsc_shift) * mul >> 32: pick the
 * shift that puts the scaled frequency in (1 GHz, 2 GHz], so that the
 * multiplier 10^9 * 2^32 / scaled fits 32 bits.
 */
static void tsc_scale(uint64_t tsc_hz, uint32_t *mul, int8_t *shift)
{
	uint64_t scaled = tsc_hz;
	int s = 0;

	while (scaled > 2000000000ull) {
		scaled >>= 1;
		s--;
	}
	while (scaled <= 1000000000ull) {
		scaled <<= 1;
		s++;
	}
	*mul = (uint32_t)((1000000000ull << 32) / scaled);
	*shift = (int8_t)s;
}

static void write_time(struct vcpu *v, uint64_t gpa)
{
	struct machine *m = v->m;
	struct pv_time t, *dst = gmem_ptr(&m->ram, gpa, sizeof(t));

	if (!dst)
		return;
	memset(&t, 0, sizeof(t));
	t.version = 2;
	t.tsc_timestamp = m->tsc0;
	t.system_time = 0;
	tsc_scale(m->tsc_hz, &t.tsc_to_system_mul, &t.tsc_shift);
	t.flags = PVCLOCK_TSC_STABLE_BIT;
	memcpy(dst, &t, sizeof(t));
}

static void write_wall(struct machine *m, uint64_t gpa)
{
	struct pv_wall w, *dst = gmem_ptr(&m->ram, gpa, sizeof(w));
	struct timespec now;
	int64_t boot_ns;

	if (!dst)
		return;
	/* Wall time at system time 0: now less the guest time since then. */
	clock_gettime(CLOCK_REALTIME, &now);
	boot_ns = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec -
		  (machine_tsc_ns(m) - m->tsc0_ns);
	w.version = 2;
	w.sec = (uint32_t)(boot_ns / 1000000000);
	w.nsec = (uint32_t)(boot_ns % 1000000000);
	memcpy(dst, &w, sizeof(w));
}

int pvclock_msr_access(struct vcpu *v, uint32_t index, bool write, uint64_t *data)
{
	if (!write) {
		*data = index == PVCLOCK_MSR_WALL_CLOCK ? v->m->pv_wall_msr : v->pv_time_msr;
		return 0;
	}
	if (index == PVCLOCK_MSR_WALL_CLOCK) {
		v->m->pv_wall_msr = *data;
		write_wall(v->m, *data);
		return 0;
	}
	/*
	 * Bit 0 enables; bits 4:1 are reserved (the record is 32-byte
	 * aligned: bit 5 is an address bit, SeaBIOS puts it at 0x...20).
	 */
	if (*data & 0x1e)
		return -EINVAL;
	v->pv_time_msr = *data;
	if (*data & SYSTEM_TIME_ENABLE)
		write_time(v, *data & ~SYSTEM_TIME_ENABLE);
	return 0;
}

void pvclock_guest_stopped(struct vcpu *v)
{
	struct pv_time *t;

	if (!v->m->cfg.pvclock || !(v->pv_time_msr & SYSTEM_TIME_ENABLE))
		return;
	t = gmem_ptr(&v->m->ram, v->pv_time_msr & ~SYSTEM_TIME_ENABLE, sizeof(*t));
	/* One byte, which the guest only ever clears: no version dance needed. */
	if (t)
		__atomic_or_fetch(&t->flags, PVCLOCK_GUEST_STOPPED, __ATOMIC_SEQ_CST);
}
