// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * virtio-locked.h - for the tests of virtio devices that do their ring
 * work on an I/O thread under a device lock (virtio-blk, virtio-net):
 * that lock, the device's lock/unlock ops over it, and the transport's
 * entry points taken with it held, as a vCPU's exit would.  Included
 * after virtio-driver.h by one test program each.
 */
#ifndef VMAIN_TESTS_DEVICES_VIRTIO_LOCKED_H
#define VMAIN_TESTS_DEVICES_VIRTIO_LOCKED_H

#include <pthread.h>

static pthread_mutex_t dev_lock = PTHREAD_MUTEX_INITIALIZER;

static void dlock(void *o)
{
	(void)o;
	pthread_mutex_lock(&dev_lock);
}

static void dunlock(void *o)
{
	(void)o;
	pthread_mutex_unlock(&dev_lock);
}

static uint64_t lbar_rd(uint64_t off, unsigned size)
{
	uint64_t v;

	pthread_mutex_lock(&dev_lock);
	v = bar_rd(off, size);
	pthread_mutex_unlock(&dev_lock);
	return v;
}

static void lbar_wr(uint64_t off, unsigned size, uint64_t v)
{
	pthread_mutex_lock(&dev_lock);
	bar_wr(off, size, v);
	pthread_mutex_unlock(&dev_lock);
}

static void lkick(unsigned q)
{
	pthread_mutex_lock(&dev_lock);
	kick(q);
	pthread_mutex_unlock(&dev_lock);
}

#endif
