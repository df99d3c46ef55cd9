// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * virtio/virtio-pci.c - virtio-over-PCI, modern interface (virtio 1.2
 * section 4.1; see virtio-pci.h for the layout).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "le.h"
#include "state/stream.h"
#include "virtio/virtio-pci.h"

/* struct virtio_pci_cap (4.1.4): vndr, next, len, cfg_type, bar, id, pad[2],
 * le32 offset, le32 length; the notify cap adds le32 multiplier, the
 * PCI_CFG cap adds u8 pci_cfg_data[4]. */
#define CAP_BAR		4
#define CAP_OFFSET	8
#define CAP_LENGTH	12
#define CAP_EXTRA	16
#define CAP_LEN		16

static void raise_irq(struct virtio_pci *vp, uint16_t vector, uint8_t isr_bit)
{
	if (pci_msix_enabled(&vp->pci)) {
		/* 4.1.5.1.2: NO_VECTOR means no interrupt at all. */
		if (vector != VIRTIO_PCI_NO_VECTOR)
			pci_msix_notify(&vp->pci, vector);
		return;
	}
	/* 4.1.4.5: INTx with the ISR status bits, cleared on read. */
	vp->isr |= isr_bit;
	pci_set_irq(&vp->pci, true);
}

void virtio_pci_notify_queue(struct virtio_pci *vp, unsigned q)
{
	if (q >= vp->nr_queues || !virtq_should_notify(&vp->q[q].vq))
		return;
	raise_irq(vp, vp->q[q].msix_vector, VIRTIO_ISR_QUEUE);
}

void virtio_pci_config_changed(struct virtio_pci *vp)
{
	vp->config_generation++;
	if (vp->status & VIRTIO_STATUS_DRIVER_OK)
		raise_irq(vp, vp->msix_config, VIRTIO_ISR_CONFIG);
}

void virtio_pci_needs_reset(struct virtio_pci *vp, const char *why)
{
	if (vp->status & VIRTIO_STATUS_NEEDS_RESET)
		return;
	vp->status |= VIRTIO_STATUS_NEEDS_RESET;
	vp->last_error = why;
	/* 2.1.2: with DRIVER_OK set, a configuration change notification. */
	if (vp->status & VIRTIO_STATUS_DRIVER_OK)
		raise_irq(vp, vp->msix_config, VIRTIO_ISR_CONFIG);
}

static void vq_failed(void *opaque, struct virtq *vq, const char *why)
{
	(void)vq;
	virtio_pci_needs_reset(opaque, why);
}

bool virtio_pci_has_feature(const struct virtio_pci *vp, unsigned bit)
{
	return bit < 64 && (vp->status & VIRTIO_STATUS_FEATURES_OK) &&
	       (vp->guest_features >> bit & 1);
}

struct virtq *virtio_pci_queue(struct virtio_pci *vp, unsigned q)
{
	/* 2.1.2: after NEEDS_RESET the device stops using its queues. */
	if (q >= vp->nr_queues || vp->resetting ||
	    !(vp->status & VIRTIO_STATUS_DRIVER_OK) ||
	    (vp->status & VIRTIO_STATUS_NEEDS_RESET) || !vp->q[q].vq.enabled)
		return NULL;
	return &vp->q[q].vq;
}

/* 4.1.4.3.1 / 2.4: the transport's state back to the initial one. */
static void reset_state(struct virtio_pci *vp)
{
	unsigned i;

	vp->resetting = false;
	vp->status = 0;
	vp->guest_features = 0;
	vp->dfselect = vp->gfselect = 0;
	vp->msix_config = VIRTIO_PCI_NO_VECTOR;
	vp->queue_select = 0;
	vp->isr = 0;
	vp->last_error = NULL;
	pci_set_irq(&vp->pci, false);
	for (i = 0; i < vp->nr_queues; i++) {
		struct virtio_pci_queue *q = &vp->q[i];

		virtq_reset(&q->vq);
		q->vq.size = q->max_size;
		q->msix_vector = VIRTIO_PCI_NO_VECTOR;
		q->enable = 0;
	}
}

/*
 * A reset: the device first stops taking buffers; if it still has
 * requests on the host, the transport state is kept (device_status reads
 * non-zero, 2.4.1) until virtio_pci_reset_done().
 */
static void device_reset(struct virtio_pci *vp)
{
	if (vp->resetting)
		return;
	if (vp->ops->reset && vp->ops->reset(vp->opaque) == -EINPROGRESS) {
		vp->resetting = true;
		pci_set_irq(&vp->pci, false);
		return;
	}
	reset_state(vp);
}

void virtio_pci_reset_done(struct virtio_pci *vp)
{
	if (vp->resetting)
		reset_state(vp);
}

static void set_status(struct virtio_pci *vp, uint8_t v)
{
	uint8_t old = vp->status, added;
	unsigned i;

	if (v == 0) {
		device_reset(vp);
		return;
	}
	/* NEEDS_RESET is the device's; the driver cannot clear bits (3.1.1). */
	v |= old & VIRTIO_STATUS_NEEDS_RESET;
	if (old & ~v)
		return;
	added = v & ~old;
	if (added & VIRTIO_STATUS_FEATURES_OK) {
		/*
		 * 3.1.1 step 5/6, 2.2.2: accept only offered features, and
		 * only a modern driver (VERSION_1, 6.1): no legacy interface.
		 */
		if ((vp->guest_features & ~vp->host_features) ||
		    !(vp->guest_features >> VIRTIO_F_VERSION_1 & 1))
			v &= (uint8_t)~VIRTIO_STATUS_FEATURES_OK;
	}
	if ((added & VIRTIO_STATUS_DRIVER_OK) && !(v & VIRTIO_STATUS_FEATURES_OK))
		v &= (uint8_t)~VIRTIO_STATUS_DRIVER_OK;
	vp->status = v;
	if ((v & ~old) & VIRTIO_STATUS_DRIVER_OK) {
		for (i = 0; i < vp->nr_queues; i++)
			if (vp->q[i].vq.enabled && vp->ops->queue_notify)
				vp->ops->queue_notify(vp->opaque, i);
	}
}

static struct virtio_pci_queue *selected(struct virtio_pci *vp)
{
	return vp->queue_select < vp->nr_queues ? &vp->q[vp->queue_select] : NULL;
}

static uint64_t common_read(struct virtio_pci *vp, uint32_t off, unsigned size)
{
	struct virtio_pci_queue *q = selected(vp);
	uint8_t img[VIRTIO_PCI_COMMON_LEN];
	uint64_t v = 0;
	unsigned i;

	memset(img, 0, sizeof(img));
	put_le(img + VIRTIO_PCI_COMMON_DFSELECT, vp->dfselect, 4);
	if (vp->dfselect < 2)
		put_le(img + VIRTIO_PCI_COMMON_DF,
		       vp->host_features >> (32 * vp->dfselect), 4);
	put_le(img + VIRTIO_PCI_COMMON_GFSELECT, vp->gfselect, 4);
	if (vp->gfselect < 2)
		put_le(img + VIRTIO_PCI_COMMON_GF,
		       vp->guest_features >> (32 * vp->gfselect), 4);
	put_le(img + VIRTIO_PCI_COMMON_MSIX, vp->msix_config, 2);
	put_le(img + VIRTIO_PCI_COMMON_NUMQ, vp->nr_queues, 2);
	img[VIRTIO_PCI_COMMON_STATUS] = vp->status;
	img[VIRTIO_PCI_COMMON_CFGGENERATION] = vp->config_generation;
	put_le(img + VIRTIO_PCI_COMMON_Q_SELECT, vp->queue_select, 2);
	if (q) {
		/* A missing queue reads size 0 (4.1.4.3). */
		put_le(img + VIRTIO_PCI_COMMON_Q_SIZE, q->vq.size, 2);
		put_le(img + VIRTIO_PCI_COMMON_Q_MSIX, q->msix_vector, 2);
		put_le(img + VIRTIO_PCI_COMMON_Q_ENABLE, q->enable, 2);
		put_le(img + VIRTIO_PCI_COMMON_Q_NOFF, vp->queue_select, 2);
		put_le(img + VIRTIO_PCI_COMMON_Q_DESCLO, q->vq.desc_gpa, 8);
		put_le(img + VIRTIO_PCI_COMMON_Q_AVAILLO, q->vq.avail_gpa, 8);
		put_le(img + VIRTIO_PCI_COMMON_Q_USEDLO, q->vq.used_gpa, 8);
		put_le(img + VIRTIO_PCI_COMMON_Q_NDATA, vp->queue_select, 2);
	}
	for (i = 0; i < size && off + i < sizeof(img); i++)
		v |= (uint64_t)img[off + i] << (8 * i);
	return v;
}

static uint16_t check_vector(struct virtio_pci *vp, uint64_t v)
{
	/* 4.1.5.1.2.1: a vector the device cannot map reads back NO_VECTOR. */
	return v < vp->pci.msix.nvec ? (uint16_t)v : VIRTIO_PCI_NO_VECTOR;
}

static void set_addr(uint64_t *a, uint32_t off, unsigned size, uint64_t v)
{
	if (size == 8)
		*a = v;
	else if (off & 4)
		*a = (*a & 0xffffffffull) | v << 32;
	else
		*a = (*a & ~0xffffffffull) | (uint32_t)v;
}

static void queue_enable(struct virtio_pci *vp, struct virtio_pci_queue *q)
{
	struct virtq *vq = &q->vq;

	if (vq->size > q->max_size ||
	    virtq_enable(vq, vp->guest_features >> VIRTIO_F_EVENT_IDX & 1,
			 vp->guest_features >> VIRTIO_F_INDIRECT_DESC & 1) < 0) {
		virtio_pci_needs_reset(vp, "bad queue size or ring address");
		return;
	}
	q->enable = 1;
}

static void common_write(struct virtio_pci *vp, uint32_t off, unsigned size,
			 uint64_t v)
{
	struct virtio_pci_queue *q = selected(vp);
	bool qcfg = q && !q->enable;
	bool feat_locked = vp->status & VIRTIO_STATUS_FEATURES_OK;

	/* 2.4.1: until a reset has finished the driver must only wait. */
	if (vp->resetting)
		return;

	/* Fields are written at their natural width, 64-bit ones also as halves. */
	switch (off) {
	case VIRTIO_PCI_COMMON_DFSELECT:
		if (size == 4)
			vp->dfselect = (uint32_t)v;
		break;
	case VIRTIO_PCI_COMMON_GFSELECT:
		if (size == 4)
			vp->gfselect = (uint32_t)v;
		break;
	case VIRTIO_PCI_COMMON_GF:
		/* 3.1.1: features are fixed once FEATURES_OK is set. */
		if (size == 4 && vp->gfselect < 2 && !feat_locked) {
			unsigned sh = 32 * vp->gfselect;

			vp->guest_features &= ~(0xffffffffull << sh);
			vp->guest_features |= (v & 0xffffffffull) << sh;
		}
		break;
	case VIRTIO_PCI_COMMON_MSIX:
		if (size == 2)
			vp->msix_config = check_vector(vp, v);
		break;
	case VIRTIO_PCI_COMMON_STATUS:
		if (size == 1)
			set_status(vp, (uint8_t)v);
		break;
	case VIRTIO_PCI_COMMON_Q_SELECT:
		if (size == 2)
			vp->queue_select = (uint16_t)v;
		break;
	case VIRTIO_PCI_COMMON_Q_SIZE:
		if (size == 2 && qcfg)
			q->vq.size = (uint16_t)v;
		break;
	case VIRTIO_PCI_COMMON_Q_MSIX:
		if (size == 2 && q)
			q->msix_vector = check_vector(vp, v);
		break;
	case VIRTIO_PCI_COMMON_Q_ENABLE:
		/* 4.1.4.3.2: the driver never writes 0 here; ignore it. */
		if (size == 2 && qcfg && v == 1)
			queue_enable(vp, q);
		break;
	case VIRTIO_PCI_COMMON_Q_DESCLO:
	case VIRTIO_PCI_COMMON_Q_DESCHI:
		if (qcfg && (size == 4 || (size == 8 && !(off & 4))))
			set_addr(&q->vq.desc_gpa, off, size, v);
		break;
	case VIRTIO_PCI_COMMON_Q_AVAILLO:
	case VIRTIO_PCI_COMMON_Q_AVAILHI:
		if (qcfg && (size == 4 || (size == 8 && !(off & 4))))
			set_addr(&q->vq.avail_gpa, off, size, v);
		break;
	case VIRTIO_PCI_COMMON_Q_USEDLO:
	case VIRTIO_PCI_COMMON_Q_USEDHI:
		if (qcfg && (size == 4 || (size == 8 && !(off & 4))))
			set_addr(&q->vq.used_gpa, off, size, v);
		break;
	default:
		/* Read-only fields and odd offsets: dropped. */
		break;
	}
}

static int bar_io(void *opaque, unsigned bar, uint64_t off, unsigned size,
		  bool write, uint64_t *data)
{
	struct virtio_pci *vp = opaque;

	(void)bar;
	if (off < VIRTIO_PCI_COMMON_LEN) {
		if (write)
			common_write(vp, (uint32_t)off, size, *data);
		else
			*data = common_read(vp, (uint32_t)off, size);
		return 0;
	}
	if (off >= VIRTIO_PCI_ISR_OFF && off < VIRTIO_PCI_ISR_OFF + 4) {
		/* 4.1.4.5.1: reading clears the ISR and deasserts INTx. */
		if (!write) {
			*data = off == VIRTIO_PCI_ISR_OFF ? vp->isr : 0;
			if (off == VIRTIO_PCI_ISR_OFF) {
				vp->isr = 0;
				pci_set_irq(&vp->pci, false);
			}
		}
		return 0;
	}
	if (off >= VIRTIO_PCI_DEVICE_OFF &&
	    off < VIRTIO_PCI_DEVICE_OFF + VIRTIO_PCI_DEVICE_MAXLEN) {
		uint32_t o = (uint32_t)(off - VIRTIO_PCI_DEVICE_OFF);

		if (o + size > vp->cfg_len) {
			if (!write)
				*data = 0;
			return 0;
		}
		if (write) {
			if (vp->ops->cfg_write)
				vp->ops->cfg_write(vp->opaque, o, size, *data);
		} else {
			*data = 0;
			if (vp->ops->cfg_read)
				vp->ops->cfg_read(vp->opaque, o, size, data);
		}
		return 0;
	}
	if (off >= VIRTIO_PCI_NOTIFY_OFF &&
	    off < VIRTIO_PCI_NOTIFY_OFF + VIRTIO_PCI_NOTIFY_MULT * (uint64_t)vp->nr_queues) {
		unsigned q = (unsigned)(off - VIRTIO_PCI_NOTIFY_OFF) / VIRTIO_PCI_NOTIFY_MULT;

		/* 4.1.4.4: the address names the queue.  2.1: act only after
		 * DRIVER_OK, and not while the device needs a reset. */
		if (write && !vp->resetting && (vp->status & VIRTIO_STATUS_DRIVER_OK) &&
		    !(vp->status & VIRTIO_STATUS_NEEDS_RESET) &&
		    vp->q[q].enable && vp->ops->queue_notify)
			vp->ops->queue_notify(vp->opaque, q);
		if (!write)
			*data = 0;
		return 0;
	}
	if (!write)
		*data = 0;
	return 0;
}

/* --- VIRTIO_PCI_CAP_PCI_CFG window (4.1.4.8) ---------------------------- */

static bool window_args(struct pci_dev *dev, uint8_t cap, unsigned *bar,
			uint32_t *off, unsigned *len)
{
	*bar = dev->cfg[cap + CAP_BAR];
	*off = pci_cfg_get32(dev, cap + CAP_OFFSET);
	*len = pci_cfg_get32(dev, cap + CAP_LENGTH);
	/* 4.1.4.8.1: length 1, 2 or 4, offset aligned to it. */
	return (*len == 1 || *len == 2 || *len == 4) && !(*off & (*len - 1));
}

static int vp_cfg_read(struct pci_dev *dev, uint32_t off, unsigned size,
		       uint32_t *val)
{
	struct virtio_pci *vp = dev->opaque;
	uint8_t cap = vp->pci_cfg_cap;
	uint32_t boff;
	unsigned bar, len, i;
	uint64_t v = 0;

	if (!cap || off + size <= cap + CAP_EXTRA + 0u || off >= cap + CAP_EXTRA + 4u)
		return 0;
	if (window_args(dev, cap, &bar, &boff, &len) &&
	    pci_bar_access(dev, bar, boff, len, false, &v) == 0)
		pci_cfg_set32(dev, cap + CAP_EXTRA, (uint32_t)v);
	*val = 0;
	for (i = 0; i < size; i++)
		*val |= (uint32_t)dev->cfg[off + i] << (8 * i);
	return 1;
}

static void vp_cfg_write(struct pci_dev *dev, uint32_t off, unsigned size,
			 uint32_t val)
{
	struct virtio_pci *vp = dev->opaque;
	uint8_t cap = vp->pci_cfg_cap;
	uint32_t boff;
	unsigned bar, len;
	uint64_t v;

	(void)val;
	if (!cap || off + size <= cap + CAP_EXTRA + 0u || off >= cap + CAP_EXTRA + 4u)
		return;
	if (window_args(dev, cap, &bar, &boff, &len)) {
		v = pci_cfg_get32(dev, cap + CAP_EXTRA);
		pci_bar_access(dev, bar, boff, len, true, &v);
	}
}

static void vp_pci_reset(struct pci_dev *dev)
{
	device_reset(dev->opaque);
}

static const struct pci_dev_ops vp_pci_ops = {
	.cfg_read = vp_cfg_read,
	.cfg_write = vp_cfg_write,
	.reset = vp_pci_reset,
};

struct virtio_pci *virtio_pci_of(struct pci_dev *dev)
{
	return dev && dev->ops == &vp_pci_ops ? dev->opaque : NULL;
}

static int add_vcap(struct pci_dev *dev, uint8_t type, uint8_t len,
		    uint32_t off, uint32_t length)
{
	int cap = pci_add_cap(dev, PCI_CAP_ID_VNDR, len);

	if (cap < 0)
		return cap;
	dev->cfg[cap + 2] = len;
	dev->cfg[cap + 3] = type;
	dev->cfg[cap + CAP_BAR] = VIRTIO_PCI_BAR;
	pci_cfg_set32(dev, cap + CAP_OFFSET, off);
	pci_cfg_set32(dev, cap + CAP_LENGTH, length);
	return cap;
}

int virtio_pci_init(struct virtio_pci *vp, struct pci_bus *bus, int slot,
		    const struct gmem *mem, uint16_t type, uint32_t class_code,
		    uint16_t nr_queues, uint16_t queue_max, uint32_t cfg_len,
		    uint64_t dev_features, const struct virtio_dev_ops *ops,
		    void *opaque)
{
	struct pci_dev *dev = &vp->pci;
	unsigned i;
	int cap, ret;

	if (!ops || !mem || !nr_queues || nr_queues > VIRTIO_PCI_MAX_QUEUES ||
	    !queue_max || queue_max > VIRTQ_MAX_SIZE ||
	    (queue_max & (queue_max - 1)) || cfg_len > VIRTIO_PCI_DEVICE_MAXLEN)
		return -EINVAL;
	memset(vp, 0, sizeof(*vp));
	/* 4.1.2.1: 0x1040 + type, revision >= 1 for a non-transitional device. */
	pci_dev_init(dev, VIRTIO_PCI_VENDOR, (uint16_t)(VIRTIO_PCI_DEVICE_BASE + type),
		     class_code, 1, VIRTIO_PCI_VENDOR,
		     (uint16_t)(VIRTIO_PCI_DEVICE_BASE + type), 1);
	dev->ops = &vp_pci_ops;
	dev->opaque = vp;
	vp->ops = ops;
	vp->opaque = opaque;
	vp->mem = mem;
	vp->type = type;
	vp->nr_queues = nr_queues;
	vp->cfg_len = cfg_len;
	vp->host_features = dev_features | 1ull << VIRTIO_F_VERSION_1 |
			    1ull << VIRTIO_F_INDIRECT_DESC | 1ull << VIRTIO_F_EVENT_IDX;
	for (i = 0; i < nr_queues; i++) {
		virtq_init(&vp->q[i].vq, mem, vq_failed, vp);
		vp->q[i].max_size = queue_max;
	}

	ret = pci_bar_init(dev, VIRTIO_PCI_BAR, PCI_BAR_MEM64, false,
			   VIRTIO_PCI_BAR_SIZE, bar_io, vp);
	if (ret < 0)
		return ret;
	/* 4.1.4: one capability per structure, all in the one BAR. */
	if ((ret = add_vcap(dev, VIRTIO_PCI_CAP_COMMON_CFG, CAP_LEN,
			    VIRTIO_PCI_COMMON_OFF, VIRTIO_PCI_COMMON_LEN)) < 0)
		return ret;
	if ((cap = add_vcap(dev, VIRTIO_PCI_CAP_NOTIFY_CFG, CAP_LEN + 4,
			    VIRTIO_PCI_NOTIFY_OFF,
			    VIRTIO_PCI_NOTIFY_MULT * nr_queues)) < 0)
		return cap;
	pci_cfg_set32(dev, cap + CAP_EXTRA, VIRTIO_PCI_NOTIFY_MULT);
	if ((ret = add_vcap(dev, VIRTIO_PCI_CAP_ISR_CFG, CAP_LEN,
			    VIRTIO_PCI_ISR_OFF, 1)) < 0)
		return ret;
	if (cfg_len && (ret = add_vcap(dev, VIRTIO_PCI_CAP_DEVICE_CFG, CAP_LEN,
				       VIRTIO_PCI_DEVICE_OFF, cfg_len)) < 0)
		return ret;
	/* 4.1.4.8: bar, offset, length and data are the driver's to write. */
	if ((cap = add_vcap(dev, VIRTIO_PCI_CAP_PCI_CFG, CAP_LEN + 4, 0, 0)) < 0)
		return cap;
	dev->cfg[cap + CAP_BAR] = 0;
	pci_wmask_set(dev, cap + CAP_BAR, 1, 0xff);
	pci_wmask_set(dev, cap + CAP_OFFSET, 4, 0xffffffffu);
	pci_wmask_set(dev, cap + CAP_LENGTH, 4, 0xffffffffu);
	pci_wmask_set(dev, cap + CAP_EXTRA, 4, 0xffffffffu);
	vp->pci_cfg_cap = (uint8_t)cap;
	/* 4.1.5.1.2: one vector for configuration changes plus one per queue. */
	ret = pci_msix_init(dev, 1u + nr_queues, VIRTIO_PCI_BAR,
			    VIRTIO_PCI_MSIX_TABLE_OFF, VIRTIO_PCI_MSIX_PBA_OFF);
	if (ret < 0)
		return ret;

	reset_state(vp);
	return pci_bus_add(bus, dev, slot, 0);
}

/* --- save and restore -------------------------------------------------- */

#define VIRTIO_PCI_STATE_VERSION	1

int virtio_pci_save(const struct virtio_pci *vp, struct state_writer *w)
{
	unsigned i;
	int ret;

	/* 2.4.1: a reset still waiting for host requests is in-flight work. */
	if (vp->resetting)
		return -EBUSY;
	ret = pci_dev_save(&vp->pci, w);
	if (ret)
		return ret;
	state_section_begin(w, "virtio-pci", vp->pci.devfn, VIRTIO_PCI_STATE_VERSION);
	state_put_u16(w, vp->type);
	state_put_u16(w, vp->nr_queues);
	state_put_u32(w, vp->cfg_len);
	state_put_u64(w, vp->host_features);
	state_put_u64(w, vp->guest_features);
	state_put_u32(w, vp->dfselect);
	state_put_u32(w, vp->gfselect);
	state_put_u16(w, vp->msix_config);
	state_put_u16(w, vp->queue_select);
	state_put_u8(w, vp->status);
	state_put_u8(w, vp->config_generation);
	state_put_u8(w, vp->isr);
	for (i = 0; i < vp->nr_queues; i++) {
		const struct virtio_pci_queue *q = &vp->q[i];

		state_put_u16(w, q->max_size);
		state_put_u16(w, q->msix_vector);
		state_put_u16(w, q->enable);
		virtq_save(&q->vq, w);
	}
	state_section_end(w);
	return state_writer_error(w);
}

static bool vector_ok(const struct virtio_pci *vp, uint16_t v)
{
	return v == VIRTIO_PCI_NO_VECTOR || v < vp->pci.msix.nvec;
}

/* The saved transport in `t` (a copy of `vp`) against the device it loads into. */
static void check_loaded(struct state_reader *r, const struct virtio_pci *vp,
			 const struct virtio_pci *t, uint16_t type,
			 uint16_t nr_queues, uint32_t cfg_len, uint64_t host_features)
{
	uint64_t ei = 1ull << VIRTIO_F_EVENT_IDX, ind = 1ull << VIRTIO_F_INDIRECT_DESC;
	unsigned i;

	if (type != vp->type || nr_queues != vp->nr_queues ||
	    cfg_len != vp->cfg_len || host_features != vp->host_features) {
		state_reader_fail(r, "saved virtio device (type %u, %u queues, "
				  "features 0x%llx) is not this one (type %u, "
				  "%u queues, features 0x%llx)", type, nr_queues,
				  (unsigned long long)host_features, vp->type,
				  vp->nr_queues, (unsigned long long)vp->host_features);
		return;
	}
	/* What set_status() and common_write() let a driver reach. */
	if ((t->status & VIRTIO_STATUS_DRIVER_OK) &&
	    !(t->status & VIRTIO_STATUS_FEATURES_OK))
		state_reader_fail(r, "DRIVER_OK without FEATURES_OK");
	if ((t->status & VIRTIO_STATUS_FEATURES_OK) &&
	    ((t->guest_features & ~t->host_features) ||
	     !(t->guest_features >> VIRTIO_F_VERSION_1 & 1)))
		state_reader_fail(r, "accepted features 0x%llx not offered",
				  (unsigned long long)t->guest_features);
	if (!vector_ok(vp, t->msix_config))
		state_reader_fail(r, "configuration vector %u", t->msix_config);
	if (t->isr & ~(VIRTIO_ISR_QUEUE | VIRTIO_ISR_CONFIG))
		state_reader_fail(r, "ISR 0x%x", t->isr);
	for (i = 0; i < nr_queues; i++) {
		const struct virtio_pci_queue *q = &t->q[i];

		if (q->max_size != vp->q[i].max_size)
			state_reader_fail(r, "queue %u: maximum size %u, the device "
					  "has %u", i, q->max_size, vp->q[i].max_size);
		else if (!vector_ok(vp, q->msix_vector))
			state_reader_fail(r, "queue %u: vector %u", i, q->msix_vector);
		else if (q->enable > 1 || q->enable != q->vq.enabled)
			state_reader_fail(r, "queue %u: enable %u", i, q->enable);
		else if (q->vq.enabled &&
			 (q->vq.size > q->max_size ||
			  q->vq.event_idx != !!(t->guest_features & ei) ||
			  q->vq.indirect != !!(t->guest_features & ind)))
			state_reader_fail(r, "queue %u: size or features differ "
					  "from the negotiated ones", i);
	}
}

int virtio_pci_load(struct virtio_pci *vp, struct state_reader *r)
{
	struct virtio_pci *t;
	uint64_t host_features;
	uint32_t cfg_len;
	uint16_t type, nr_queues;
	unsigned i;
	int ret;

	/* Everything goes into a copy first: a failed load changes nothing. */
	t = malloc(sizeof(*t));
	if (!t)
		return -ENOMEM;
	memcpy(t, vp, sizeof(*t));
	ret = pci_dev_load(&t->pci, r);
	if (ret)
		goto out_free;
	ret = state_section_open(r, "virtio-pci", vp->pci.devfn,
				 VIRTIO_PCI_STATE_VERSION, NULL);
	if (ret)
		goto out_free;
	type = state_get_u16(r);
	nr_queues = state_get_u16(r);
	cfg_len = state_get_u32(r);
	host_features = state_get_u64(r);
	if (nr_queues != vp->nr_queues)
		state_reader_fail(r, "%u queues saved, the device has %u",
				  nr_queues, vp->nr_queues);
	t->guest_features = state_get_u64(r);
	t->dfselect = state_get_u32(r);
	t->gfselect = state_get_u32(r);
	t->msix_config = state_get_u16(r);
	t->queue_select = state_get_u16(r);
	t->status = state_get_u8(r);
	t->config_generation = state_get_u8(r);
	t->isr = state_get_u8(r);
	for (i = 0; i < vp->nr_queues && !state_reader_error(r); i++) {
		struct virtio_pci_queue *q = &t->q[i];

		q->max_size = state_get_u16(r);
		q->msix_vector = state_get_u16(r);
		q->enable = state_get_u16(r);
		virtq_load(&q->vq, r);
	}
	if (!state_reader_error(r))
		check_loaded(r, vp, t, type, nr_queues, cfg_len, host_features);
	ret = state_section_close(r);
	if (ret)
		goto out_free;
	vp->pci = t->pci;
	vp->guest_features = t->guest_features;
	vp->dfselect = t->dfselect;
	vp->gfselect = t->gfselect;
	vp->msix_config = t->msix_config;
	vp->queue_select = t->queue_select;
	vp->status = t->status;
	vp->config_generation = t->config_generation;
	vp->isr = t->isr;
	vp->resetting = false;
	/* The reason is a host string, not state; the bit is what matters. */
	vp->last_error = (vp->status & VIRTIO_STATUS_NEEDS_RESET) ?
			 "needed a reset when saved" : NULL;
	for (i = 0; i < vp->nr_queues; i++)
		vp->q[i] = t->q[i];
out_free:
	free(t);
	return ret;
}
