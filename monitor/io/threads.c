// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * io/threads.c - the signal mask of the monitor's helper threads (see
 * threads.h).
 */
#include <pthread.h>

#include "io/threads.h"

void threads_block_async_signals(sigset_t *old)
{
	static const int sync_signals[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS };
	sigset_t set;
	size_t i;

	sigfillset(&set);
	for (i = 0; i < sizeof(sync_signals) / sizeof(sync_signals[0]); i++)
		sigdelset(&set, sync_signals[i]);
	pthread_sigmask(SIG_BLOCK, &set, old);
}
