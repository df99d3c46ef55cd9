// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * machine/clock.c - the clocks under the device models, and host timers.
 *
 * Two time domains.  The PIT, the PM timer and host timers use
 * CLOCK_MONOTONIC.  The local APICs use the guest TSC expressed in
 * nanoseconds, because a TSC-deadline write is a TSC value: the guest
 * TSC is the host TSC (the backends run it unscaled and, after the
 * monitor writes IA32_TSC at start, unoffset), and its frequency is
 * measured once against CLOCK_MONOTONIC.  A deadline is turned back into
 * a monotonic instant only to arm the timerfd that wakes the machine.
 */
#include <stdint.h>
#include <sys/timerfd.h>
#include <time.h>
#include <x86intrin.h>

#include "machine/machine.h"

int64_t machine_mono_ns(void *opaque)
{
	struct timespec ts;

	(void)opaque;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t machine_tsc_ns(void *opaque)
{
	struct machine *m = opaque;
	unsigned __int128 t = __rdtsc();

	return (int64_t)(t * 1000000000u / m->tsc_hz);
}

/*
 * The TSC rate: TSC ticks over 10 ms of CLOCK_MONOTONIC, bracketed by
 * clock reads so that a preemption in between shows up as a wide window
 * (the sample with the narrowest bracket wins).
 */
uint64_t machine_calibrate_tsc(void)
{
	int64_t t0, t1, best_win = INT64_MAX;

	uint64_t a0 = 0, a1 = 0, hz = 0;
	int i;

	for (i = 0; i < 3; i++) {
		int64_t s0 = machine_mono_ns(NULL);
		uint64_t c0 = __rdtsc();
		int64_t s1 = machine_mono_ns(NULL);
		struct timespec d = { 0, 10 * 1000 * 1000 };
		int64_t e0, e1;
		uint64_t c1;

		nanosleep(&d, NULL);
		e0 = machine_mono_ns(NULL);
		c1 = __rdtsc();
		e1 = machine_mono_ns(NULL);
		if ((s1 - s0) + (e1 - e0) < best_win) {
			best_win = (s1 - s0) + (e1 - e0);
			t0 = (s0 + s1) / 2;
			t1 = (e0 + e1) / 2;
			a0 = c0;
			a1 = c1;
			hz = (uint64_t)((unsigned __int128)(a1 - a0) * 1000000000u /
					(uint64_t)(t1 - t0));
		}
	}
	return hz ? hz : 1000000000u;
}

void machine_arm_timerfd(struct machine *m, int fd, int64_t when_ns, bool tsc_domain)
{
	struct itimerspec its = { 0 };
	int64_t mono;

	if (when_ns != INT64_MAX) {
		mono = when_ns;
		if (tsc_domain)
			mono = machine_mono_ns(NULL) + (when_ns - machine_tsc_ns(m));
		if (mono <= 0)
			mono = 1;	/* already due: fire at once (0 disarms) */
		its.it_value.tv_sec = mono / 1000000000;
		its.it_value.tv_nsec = mono % 1000000000;
	}
	timerfd_settime(fd, TFD_TIMER_ABSTIME, &its, NULL);
}
