/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * virtio/virtio-pci.h - the virtio-over-PCI transport, modern interface
 * only (virtio 1.2 section 4.1), for the device types (virtio-console,
 * virtio-rng, ...).
 *
 * PCI identity (4.1.2): vendor 0x1af4, device 0x1040 + virtio type,
 * revision 1 (non-transitional), subsystem 0x1af4 / 0x1040 + type, INTA.
 * One 64-bit memory BAR (BAR 0/1, 32 KiB) holds every structure:
 *
 *   0x0000  common configuration  (VIRTIO_PCI_CAP_COMMON_CFG, 4.1.4.3)
 *   0x1000  ISR status            (VIRTIO_PCI_CAP_ISR_CFG, 4.1.4.5)
 *   0x2000  device configuration  (VIRTIO_PCI_CAP_DEVICE_CFG, 4.1.4.6)
 *   0x3000  notifications         (VIRTIO_PCI_CAP_NOTIFY_CFG, 4.1.4.4):
 *           queue q at 0x3000 + 4 * q (queue_notify_off = q, multiplier 4)
 *   0x4000  MSI-X table, 0x5000 MSI-X PBA (1 + nr_queues vectors)
 *
 * plus a VIRTIO_PCI_CAP_PCI_CFG window (4.1.4.8) in config space.
 *
 * Features: the transport offers VIRTIO_F_VERSION_1 (mandatory: a driver
 * that does not accept it never gets FEATURES_OK, i.e. legacy drivers are
 * refused), VIRTIO_F_INDIRECT_DESC and VIRTIO_F_EVENT_IDX, plus the
 * device type's own bits.  Status (2.1, 3.1.1): FEATURES_OK sticks only
 * if the driver's features are a subset of the offer and include
 * VERSION_1; queues are configured while their queue_enable is 0;
 * notifications are acted on only after DRIVER_OK; writing 0 resets.
 * A broken virtqueue sets DEVICE_NEEDS_RESET and raises a configuration
 * change interrupt (2.1.2).
 *
 * Interrupts (4.1.4.5, 4.1.5.1.2): with MSI-X enabled, queue and config
 * notifications go to the vectors the driver chose (NO_VECTOR: none);
 * otherwise the ISR bits are set and INTx is asserted until the ISR is
 * read.
 *
 * Threads: not thread-safe; the caller serialises every entry point
 * (pci_mmio(), the device ops calls below, and the device models' own
 * entries) with the one device lock.  The ops run with it held.
 */
#ifndef VMAIN_MONITOR_VIRTIO_VIRTIO_PCI_H
#define VMAIN_MONITOR_VIRTIO_VIRTIO_PCI_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/pci.h"
#include "machine/gmem.h"
#include "virtio/virtqueue.h"

#define VIRTIO_PCI_VENDOR		0x1af4
#define VIRTIO_PCI_DEVICE_BASE		0x1040
#define VIRTIO_PCI_MAX_QUEUES		16
#define VIRTIO_PCI_NO_VECTOR		0xffff

/* Device types (5). */
#define VIRTIO_ID_BLOCK			2
#define VIRTIO_ID_CONSOLE		3
#define VIRTIO_ID_RNG			4
#define VIRTIO_ID_GPU			16
#define VIRTIO_ID_INPUT			18

/* Device status bits (2.1). */
#define VIRTIO_STATUS_ACKNOWLEDGE	1
#define VIRTIO_STATUS_DRIVER		2
#define VIRTIO_STATUS_DRIVER_OK		4
#define VIRTIO_STATUS_FEATURES_OK	8
#define VIRTIO_STATUS_NEEDS_RESET	0x40
#define VIRTIO_STATUS_FAILED		0x80

/* Reserved feature bits (6). */
#define VIRTIO_F_INDIRECT_DESC		28
#define VIRTIO_F_EVENT_IDX		29
#define VIRTIO_F_VERSION_1		32

/* ISR bits (4.1.4.5). */
#define VIRTIO_ISR_QUEUE		1
#define VIRTIO_ISR_CONFIG		2

/* Capability types (4.1.4). */
#define VIRTIO_PCI_CAP_COMMON_CFG	1
#define VIRTIO_PCI_CAP_NOTIFY_CFG	2
#define VIRTIO_PCI_CAP_ISR_CFG		3
#define VIRTIO_PCI_CAP_DEVICE_CFG	4
#define VIRTIO_PCI_CAP_PCI_CFG		5

/* BAR layout (see above). */
#define VIRTIO_PCI_BAR			0
#define VIRTIO_PCI_BAR_SIZE		0x8000
#define VIRTIO_PCI_COMMON_OFF		0x0000
#define VIRTIO_PCI_COMMON_LEN		0x3c
#define VIRTIO_PCI_ISR_OFF		0x1000
#define VIRTIO_PCI_DEVICE_OFF		0x2000
#define VIRTIO_PCI_DEVICE_MAXLEN	0x1000
#define VIRTIO_PCI_NOTIFY_OFF		0x3000
#define VIRTIO_PCI_NOTIFY_MULT		4
#define VIRTIO_PCI_MSIX_TABLE_OFF	0x4000
#define VIRTIO_PCI_MSIX_PBA_OFF		0x5000

/* Common configuration offsets (4.1.4.3). */
#define VIRTIO_PCI_COMMON_DFSELECT	0x00
#define VIRTIO_PCI_COMMON_DF		0x04
#define VIRTIO_PCI_COMMON_GFSELECT	0x08
#define VIRTIO_PCI_COMMON_GF		0x0c
#define VIRTIO_PCI_COMMON_MSIX		0x10
#define VIRTIO_PCI_COMMON_NUMQ		0x12
#define VIRTIO_PCI_COMMON_STATUS	0x14
#define VIRTIO_PCI_COMMON_CFGGENERATION	0x15
#define VIRTIO_PCI_COMMON_Q_SELECT	0x16
#define VIRTIO_PCI_COMMON_Q_SIZE	0x18
#define VIRTIO_PCI_COMMON_Q_MSIX	0x1a
#define VIRTIO_PCI_COMMON_Q_ENABLE	0x1c
#define VIRTIO_PCI_COMMON_Q_NOFF	0x1e
#define VIRTIO_PCI_COMMON_Q_DESCLO	0x20
#define VIRTIO_PCI_COMMON_Q_DESCHI	0x24
#define VIRTIO_PCI_COMMON_Q_AVAILLO	0x28
#define VIRTIO_PCI_COMMON_Q_AVAILHI	0x2c
#define VIRTIO_PCI_COMMON_Q_USEDLO	0x30
#define VIRTIO_PCI_COMMON_Q_USEDHI	0x34
#define VIRTIO_PCI_COMMON_Q_NDATA	0x38
#define VIRTIO_PCI_COMMON_Q_RESET	0x3a

struct virtio_pci;

/* What a device type supplies (opaque = the device model). */
struct virtio_dev_ops {
	/* Device-type read of [off, off + size) of its configuration (4.1.4.6). */
	void (*cfg_read)(void *opaque, uint32_t off, unsigned size, uint64_t *val);
	/* Device-type write (optional; NULL: configuration is read-only). */
	void (*cfg_write)(void *opaque, uint32_t off, unsigned size, uint64_t val);
	/*
	 * The driver notified queue `q` (only after DRIVER_OK; also called
	 * for every enabled queue when DRIVER_OK is set, so buffers made
	 * available before it are seen).
	 */
	void (*queue_notify)(void *opaque, unsigned q);
	/*
	 * The device is being reset (status 0 written, or pci_bus_reset()):
	 * it stops taking buffers.  Returns 0 when it is idle, or
	 * -EINPROGRESS while requests it took are still being served on
	 * the host; it then calls virtio_pci_reset_done() once the last one
	 * has finished.  Until then device_status reads back non-zero
	 * (2.4.1: the driver waits for 0 before re-initialising), no queue
	 * is live and notifications are dropped.
	 */
	int (*reset)(void *opaque);
};

struct virtio_pci_queue {
	struct virtq vq;
	uint16_t max_size;
	uint16_t msix_vector;
	uint16_t enable;	/* queue_enable as the driver sees it */
};

struct virtio_pci {
	struct pci_dev pci;	/* first: pci_dev -> virtio_pci */
	const struct virtio_dev_ops *ops;
	void *opaque;
	const struct gmem *mem;
	uint16_t type;
	uint16_t nr_queues;
	uint32_t cfg_len;		/* device configuration bytes */
	uint64_t host_features, guest_features;
	uint32_t dfselect, gfselect;
	uint16_t msix_config;
	uint16_t queue_select;
	uint8_t status;
	uint8_t config_generation;
	uint8_t isr;
	uint8_t pci_cfg_cap;		/* config offset of the PCI_CFG window */
	bool resetting;			/* reset() said -EINPROGRESS */
	const char *last_error;		/* why NEEDS_RESET was set, for logs */
	struct virtio_pci_queue q[VIRTIO_PCI_MAX_QUEUES];
};

/*
 * Sets up the transport for device `type` with `nr_queues` queues of up to
 * `queue_max` entries (power of two) and `cfg_len` bytes of device
 * configuration, PCI class `class_code`, offering `dev_features` (device
 * bits 0-23 and 50+; the transport adds its own), then adds it to `bus` at
 * `slot` (-1: first free).  `mem` is guest RAM for the queues.
 * Returns the devfn (>= 0) or -EINVAL / -errno of pci_bus_add().
 */
int virtio_pci_init(struct virtio_pci *vp, struct pci_bus *bus, int slot,
		    const struct gmem *mem, uint16_t type, uint32_t class_code,
		    uint16_t nr_queues, uint16_t queue_max, uint32_t cfg_len,
		    uint64_t dev_features, const struct virtio_dev_ops *ops,
		    void *opaque);

/*
 * The transport behind PCI function `dev`, or NULL when it is not a
 * virtio one (for the machine's ioeventfds on the notify addresses).
 */
struct virtio_pci *virtio_pci_of(struct pci_dev *dev);

/* Queue `q`'s virtqueue when live (DRIVER_OK, enabled, no NEEDS_RESET), else NULL. */
struct virtq *virtio_pci_queue(struct virtio_pci *vp, unsigned q);

/* Was feature `bit` negotiated (FEATURES_OK set)? */
bool virtio_pci_has_feature(const struct virtio_pci *vp, unsigned bit);

/*
 * After pushing used buffers on queue `q`: sends the used-buffer
 * notification if the driver wants one (virtq_should_notify()).
 */
void virtio_pci_notify_queue(struct virtio_pci *vp, unsigned q);

/* The device configuration changed: bumps config_generation, interrupts. */
void virtio_pci_config_changed(struct virtio_pci *vp);

/* The device finished what it had in flight: completes a pending reset. */
void virtio_pci_reset_done(struct virtio_pci *vp);

/* Sets DEVICE_NEEDS_RESET (2.1.2) with a reason and tells the driver. */
void virtio_pci_needs_reset(struct virtio_pci *vp, const char *why);

struct state_writer;
struct state_reader;

/*
 * Save and restore (state/stream.h): the PCI function (pci_dev_save():
 * BARs, MSI-X table and PBA) then section "virtio-pci" / devfn: the
 * device status, the offered (checked) and accepted features, the
 * feature selects, the queue select, the configuration vector, the
 * configuration generation, the ISR, and per queue its maximum size
 * (checked), vector, queue_enable and virtqueue (virtq_save(): ring
 * addresses and positions).  The device type saves its own section after
 * this one.
 *
 * virtio_pci_save() refuses (-EBUSY) while a reset waits for host
 * requests (2.4.1): stop and drain the device first.  virtio_pci_load()
 * refuses another device (type, queues, configuration length, offered
 * features) and states the driver could not have reached (DRIVER_OK
 * without FEATURES_OK, unoffered features, a vector past the MSI-X
 * table, a queue enabled with a bad ring): -EINVAL with the reader's
 * message.  It changes `vp` only on success, and calls no device op:
 * queues resume where they were, and nothing is notified (the driver's
 * pending notifications are in the restored ISR / PBA / ring indices).
 */
int virtio_pci_save(const struct virtio_pci *vp, struct state_writer *w);
int virtio_pci_load(struct virtio_pci *vp, struct state_reader *r);

#endif
