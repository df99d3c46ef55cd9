/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * devices/virtio-console.h - virtio console (device type 3, virtio 1.2
 * section 5.3) on the virtio-pci transport: one port, no multiport.
 *
 * Queues (5.3.2): 0 receiveq (host -> guest), 1 transmitq (guest -> host).
 * Features (5.3.3): VIRTIO_CONSOLE_F_SIZE (cols/rows in the configuration)
 * and VIRTIO_CONSOLE_F_EMERG_WRITE (emerg_wr: one character, usable before
 * the queues are set up).  Configuration (5.3.4): le16 cols, le16 rows,
 * le32 max_nr_ports (1), le32 emerg_wr.
 *
 * Output: every byte the guest transmits goes to ops.output() at once.
 * Input: virtio_console_input() copies into the receive buffers the
 * driver has made available and returns how many bytes it placed; 0 when
 * there are none (or the driver is not ready).  Then wait for
 * ops.rx_ready(), called when the driver makes receive buffers available
 * (its notification on receiveq, and at DRIVER_OK), and offer the rest.
 *
 * Threads: not thread-safe; the caller serialises virtio_console_input(),
 * virtio_console_set_size() and the bus entry points (pci_mmio()) with
 * the one device lock.  ops run with it held and must not call back in:
 * rx_ready() should schedule the retry (wake the input side), which then
 * takes the lock and calls virtio_console_input().
 */
#ifndef VMAIN_MONITOR_DEVICES_VIRTIO_CONSOLE_H
#define VMAIN_MONITOR_DEVICES_VIRTIO_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "virtio/virtio-pci.h"

#define VIRTIO_CONSOLE_F_SIZE		0
#define VIRTIO_CONSOLE_F_MULTIPORT	1
#define VIRTIO_CONSOLE_F_EMERG_WRITE	2
#define VIRTIO_CONSOLE_CFG_LEN		12
#define VIRTIO_CONSOLE_QUEUE_SIZE	128
#define VIRTIO_CONSOLE_RXQ		0
#define VIRTIO_CONSOLE_TXQ		1
#define VIRTIO_PCI_CLASS_CONSOLE	0x078000	/* simple comm., other */

struct virtio_console_ops {
	/* Bytes the guest wrote (transmitq or emerg_wr). */
	void (*output)(void *opaque, const uint8_t *buf, size_t len);
	/* Receive buffers may have appeared: offer pending input again. */
	void (*rx_ready)(void *opaque);
};

struct virtio_console {
	struct virtio_pci vp;		/* first */
	struct virtio_console_ops ops;
	void *opaque;
	uint16_t cols, rows;
	struct virtq_elem elem;		/* scratch for one chain */
};

/*
 * Builds the device and adds it to `bus` at `slot` (-1: first free).
 * Returns the devfn or -errno.
 */
int virtio_console_init(struct virtio_console *c, struct pci_bus *bus,
			int slot, const struct gmem *mem,
			const struct virtio_console_ops *ops, void *opaque);

/*
 * Host input: places up to `len` bytes into receive buffers, raises the
 * used-buffer interrupt, returns the bytes accepted (0: no buffer now).
 */
size_t virtio_console_input(struct virtio_console *c, const uint8_t *buf,
			    size_t len);

/* Are receive buffers available right now? */
bool virtio_console_can_input(struct virtio_console *c);

/* Console size for VIRTIO_CONSOLE_F_SIZE; a change interrupts the driver. */
void virtio_console_set_size(struct virtio_console *c, uint16_t cols,
			     uint16_t rows);

struct state_writer;
struct state_reader;

/*
 * Save and restore (state/stream.h): the transport (virtio_pci_save())
 * then section "virtio-console" / devfn: the size the guest sees.  Host
 * input not yet offered is the caller's, not the device's.  The load
 * changes nothing unless everything loads, and calls no op: after it, the
 * caller offers pending input again (receive buffers made available
 * before the save are on the restored ring).
 */
int virtio_console_save(const struct virtio_console *c, struct state_writer *w);
int virtio_console_load(struct virtio_console *c, struct state_reader *r);

#endif
