// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * devices/virtio-console.c - virtio console, one port (virtio 1.2 5.3;
 * see virtio-console.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "devices/virtio-console.h"
#include "state/stream.h"

static void con_cfg_read(void *opaque, uint32_t off, unsigned size,
			 uint64_t *val)
{
	struct virtio_console *c = opaque;
	uint8_t cfg[VIRTIO_CONSOLE_CFG_LEN] = { 0 };
	unsigned i;

	/* 5.3.4: cols, rows, max_nr_ports, emerg_wr (write-only, reads 0). */
	cfg[0] = (uint8_t)c->cols;
	cfg[1] = (uint8_t)(c->cols >> 8);
	cfg[2] = (uint8_t)c->rows;
	cfg[3] = (uint8_t)(c->rows >> 8);
	cfg[4] = 1;
	*val = 0;
	for (i = 0; i < size && off + i < sizeof(cfg); i++)
		*val |= (uint64_t)cfg[off + i] << (8 * i);
}

static void con_cfg_write(void *opaque, uint32_t off, unsigned size,
			  uint64_t val)
{
	struct virtio_console *c = opaque;
	uint8_t ch = (uint8_t)val;

	/* 5.3.4 / 5.3.6.2: a write to emerg_wr outputs one character. */
	if (off == 8 && size == 4 &&
	    virtio_pci_has_feature(&c->vp, VIRTIO_CONSOLE_F_EMERG_WRITE) &&
	    c->ops.output)
		c->ops.output(c->opaque, &ch, 1);
}

/* 5.3.6.1: transmitq buffers hold output; none are device-writable. */
static void con_tx(struct virtio_console *c)
{
	struct virtq *vq = virtio_pci_queue(&c->vp, VIRTIO_CONSOLE_TXQ);
	struct virtq_elem *e = &c->elem;
	bool pushed = false;
	unsigned i;

	if (!vq)
		return;
	while (virtq_pop(vq, e) == 1) {
		for (i = 0; i < e->nr_out; i++)
			if (e->seg[i].len && c->ops.output)
				c->ops.output(c->opaque, e->seg[i].host, e->seg[i].len);
		virtq_push(vq, e->head, 0);
		pushed = true;
	}
	if (pushed)
		virtio_pci_notify_queue(&c->vp, VIRTIO_CONSOLE_TXQ);
}

static void con_notify(void *opaque, unsigned q)
{
	struct virtio_console *c = opaque;

	if (q == VIRTIO_CONSOLE_TXQ)
		con_tx(c);
	else if (q == VIRTIO_CONSOLE_RXQ && c->ops.rx_ready &&
		 virtio_console_can_input(c))
		c->ops.rx_ready(c->opaque);
}

static int con_reset(void *opaque)
{
	(void)opaque;
	return 0;
}

static const struct virtio_dev_ops con_ops = {
	.cfg_read = con_cfg_read,
	.cfg_write = con_cfg_write,
	.queue_notify = con_notify,
	.reset = con_reset,
};

int virtio_console_init(struct virtio_console *c, struct pci_bus *bus,
			int slot, const struct gmem *mem,
			const struct virtio_console_ops *ops, void *opaque)
{
	int ret;

	ret = virtio_pci_init(&c->vp, bus, slot, mem, VIRTIO_ID_CONSOLE,
			      VIRTIO_PCI_CLASS_CONSOLE, 2, VIRTIO_CONSOLE_QUEUE_SIZE,
			      VIRTIO_CONSOLE_CFG_LEN,
			      1ull << VIRTIO_CONSOLE_F_SIZE |
			      1ull << VIRTIO_CONSOLE_F_EMERG_WRITE, &con_ops, c);
	if (ret < 0)
		return ret;
	memset(&c->ops, 0, sizeof(c->ops));
	if (ops)
		c->ops = *ops;
	c->opaque = opaque;
	c->cols = 80;
	c->rows = 25;
	return ret;
}

bool virtio_console_can_input(struct virtio_console *c)
{
	struct virtq *vq = virtio_pci_queue(&c->vp, VIRTIO_CONSOLE_RXQ);

	return vq && virtq_has_avail(vq);
}

size_t virtio_console_input(struct virtio_console *c, const uint8_t *buf,
			    size_t len)
{
	struct virtq *vq = virtio_pci_queue(&c->vp, VIRTIO_CONSOLE_RXQ);
	struct virtq_elem *e = &c->elem;
	size_t done = 0;
	bool pushed = false;

	if (!vq)
		return 0;
	while (done < len && virtq_pop(vq, e) == 1) {
		size_t n = virtq_elem_to_guest(e, 0, buf + done, len - done);

		/* A buffer with no writable space is returned empty. */
		virtq_push(vq, e->head, (uint32_t)n);
		done += n;
		pushed = true;
	}
	if (pushed)
		virtio_pci_notify_queue(&c->vp, VIRTIO_CONSOLE_RXQ);
	return done;
}

void virtio_console_set_size(struct virtio_console *c, uint16_t cols,
			     uint16_t rows)
{
	if (c->cols == cols && c->rows == rows)
		return;
	c->cols = cols;
	c->rows = rows;
	/* 5.3.6.1: a size change is a configuration change. */
	if (virtio_pci_has_feature(&c->vp, VIRTIO_CONSOLE_F_SIZE))
		virtio_pci_config_changed(&c->vp);
}

/* --- save and restore --------------------------------------------------- */

#define VIRTIO_CONSOLE_STATE_VERSION	1

int virtio_console_save(const struct virtio_console *c, struct state_writer *w)
{
	int ret = virtio_pci_save(&c->vp, w);

	if (ret)
		return ret;
	state_section_begin(w, "virtio-console", c->vp.pci.devfn,
			    VIRTIO_CONSOLE_STATE_VERSION);
	state_put_u16(w, c->cols);
	state_put_u16(w, c->rows);
	state_section_end(w);
	return state_writer_error(w);
}

int virtio_console_load(struct virtio_console *c, struct state_reader *r)
{
	struct virtio_pci *vp;
	uint16_t cols, rows;
	int ret;

	/* The transport into a copy: nothing changes unless all of it loads. */
	vp = malloc(sizeof(*vp));
	if (!vp)
		return -ENOMEM;
	memcpy(vp, &c->vp, sizeof(*vp));
	ret = virtio_pci_load(vp, r);
	if (ret)
		goto out_free;
	ret = state_section_open(r, "virtio-console", c->vp.pci.devfn,
				 VIRTIO_CONSOLE_STATE_VERSION, NULL);
	if (ret)
		goto out_free;
	cols = state_get_u16(r);
	rows = state_get_u16(r);
	ret = state_section_close(r);
	if (ret)
		goto out_free;
	memcpy(&c->vp, vp, sizeof(*vp));
	/* What the guest last read; the host's terminal may resize it after. */
	c->cols = cols;
	c->rows = rows;
out_free:
	free(vp);
	return ret;
}
