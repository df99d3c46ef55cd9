// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * devices/ide.c - the PIIX3 IDE controller over devices/ata.h.  See
 * ide.h for the model and the references.
 */
#include <errno.h>
#include <string.h>

#include "le.h"
#include "devices/ide.h"
#include "machine/gmem.h"
#include "state/stream.h"

#define IDE_STATE_VERSION	1

static const uint16_t cmd_base[IDE_CHANNELS] = { 0x1f0, 0x170 };
static const uint16_t ctl_base[IDE_CHANNELS] = { 0x3f6, 0x376 };

static bool ch_decodes(const struct ide_channel *ch)
{
	return pci_cfg_get16(&ch->ide->pci, IDE_IDETIM + 2 * ch->idx) & IDE_IDETIM_IDE;
}

static bool ch_empty(const struct ide_channel *ch)
{
	return !ch->d[0].drive && !ch->d[1].drive;
}

static struct ide_drive *ch_sel(struct ide_channel *ch)
{
	return &ch->d[ch->sel];
}

/* --- interrupts ------------------------------------------------------------ */

/*
 * The channel's IRQ line: the selected device's INTRQ unless nIEN
 * (ATA8-APT 5.2.3, "the selected device drives INTRQ").
 */
static void ch_irq_update(struct ide_channel *ch)
{
	bool level = !(ch->ctl & IDE_CTL_NIEN) && ch_sel(ch)->intrq;

	if (level == ch->line)
		return;
	ch->line = level;
	ch->ide->ops.set_irq(ch->ide->opaque, ch->irq, level);
}

/* INTRQ asserted; the bus master's interrupt bit follows it (SFF-8038i 2.1.2). */
static void drive_raise(struct ide_drive *d)
{
	d->intrq = true;
	d->ch->bm_status |= IDE_BM_ST_INTR;
	ch_irq_update(d->ch);
}

/* --- results ------------------------------------------------------------- */

static void regs_lba(struct ide_regs *r, uint64_t lba)
{
	r->lbal = (uint8_t)lba;
	r->lbam = (uint8_t)(lba >> 8);
	r->lbah = (uint8_t)(lba >> 16);
	r->hob_lbal = (uint8_t)(lba >> 24);
	r->hob_lbam = (uint8_t)(lba >> 32);
	r->hob_lbah = (uint8_t)(lba >> 40);
}

/* The device's signature after a reset (ATA8 "Signature and persistence"). */
static void drive_signature(struct ide_drive *d)
{
	struct ata_result sig;

	ata_signature(d->drive, &sig);
	memset(&d->r, 0, sizeof(d->r));
	d->r.count = (uint8_t)sig.count;
	regs_lba(&d->r, sig.lba);
	d->r.status = sig.status;
	d->r.error = sig.error;
}

/* A command the controller could not start: ERR/ABRT and an interrupt. */
static void drive_abort_cmd(struct ide_drive *d)
{
	d->busy = false;
	d->dma_wait = false;
	d->cdb_phase = false;
	d->r.status = ATA_STAT_DRDY | ATA_STAT_ERR;
	d->r.error = ATA_ERR_ABRT;
	drive_raise(d);
}

static bool is_packet(const struct ide_drive *d)
{
	return ata_drive_kind(d->drive) == ATA_KIND_CDROM && d->pending.tf.command == 0xa0;
}

/* ata.h ops.event: a PIO block is ready / wanted, or the command finished. */
static void ide_event(void *opaque, unsigned slot, const struct ata_result *res)
{
	struct ide_drive *d = opaque;
	struct ide_channel *ch = d->ch;

	(void)slot;
	if (!d->busy)
		return;
	d->r.status = res->status;
	d->r.error = res->error;
	if (is_packet(d)) {
		/* Interrupt reason and byte count (ATA8 PACKET outputs). */
		d->r.count = (uint8_t)((d->r.count & ~3u) | (res->count & 3u));
		if (res->phase != ATA_PHASE_DONE) {
			d->r.lbam = (uint8_t)(res->lba >> 8);
			d->r.lbah = (uint8_t)(res->lba >> 16);
		}
	} else if (res->count || res->lba) {
		d->r.count = (uint8_t)res->count;
		d->r.hob_count = (uint8_t)(res->count >> 8);
		regs_lba(&d->r, res->lba);
	}
	if (res->phase != ATA_PHASE_DONE) {
		d->r.status |= ATA_STAT_DRQ;
	} else {
		d->busy = false;
		if (ch->bm_dma) {
			ch->bm_dma = false;
			/* SFF-8038i 2.1.2: a PRD table longer than the transfer keeps Active. */
			if (res->bytes >= ch->bm_total)
				ch->bm_status &= ~IDE_BM_ST_ACTIVE;
		}
	}
	if (res->irq)
		drive_raise(d);
}

/* ata.h ops.idle: an abort or reset has no request on the host any more. */
static void ide_idle(void *opaque)
{
	struct ide_drive *d = opaque;

	d->resetting = false;
	if (d->ch->ctl & IDE_CTL_SRST)
		return;		/* still in reset: the release signs */
	if (d->srst_sig) {
		d->srst_sig = false;
		drive_signature(d);
	} else {
		d->r.status = ATA_STAT_DRDY | ATA_STAT_ERR;
		d->r.error = ATA_ERR_ABRT;
	}
}

static void drive_lock(void *opaque)
{
	struct ide_drive *d = opaque;

	d->ch->ide->ops.lock(d->ch->ide->opaque);
}

static void drive_unlock(void *opaque)
{
	struct ide_drive *d = opaque;

	d->ch->ide->ops.unlock(d->ch->ide->opaque);
}

/* --- commands -------------------------------------------------------------- */

static void drive_submit(struct ide_drive *d)
{
	if (ata_submit(d->drive, &d->pending) < 0) {
		drive_abort_cmd(d);
		return;
	}
	d->busy = true;
	d->r.status = (uint8_t)((d->r.status & ~ATA_STAT_DRQ) | ATA_STAT_BSY);
}

/*
 * The bus master's PRD table (SFF-8038i 1.2) into ide->iov: 8-byte
 * entries (address, byte count with 0 meaning 64 KiB, EOT in bit 31),
 * within the 64 KiB page the table starts in, each buffer in RAM.
 * Returns the count of entries, or -EFAULT.
 */
static int bm_prdt(struct ide_channel *ch, uint32_t *total)
{
	struct ide *ide = ch->ide;
	uint32_t prd = ch->bm_prd & ~3u, sum = 0;
	unsigned i;

	for (i = 0; i < ATA_MAX_IOV; i++) {
		uint32_t at = prd + 8 * i;
		const uint8_t *e;
		uint32_t addr, len, flags;
		void *buf;

		if ((at & ~0xffffu) != (prd & ~0xffffu))
			return -EFAULT;
		e = gmem_ptr(ide->mem, at, 8);
		if (!e)
			return -EFAULT;
		addr = (uint32_t)get_le(e, 4) & ~1u;	/* bit 0 reserved: word aligned */
		flags = (uint32_t)get_le(e + 4, 4);
		len = flags & 0xfffe;
		if (!len)
			len = 0x10000;
		buf = gmem_ptr(ide->mem, addr, len);
		if (!buf)
			return -EFAULT;
		ide->iov[i].iov_base = buf;
		ide->iov[i].iov_len = len;
		sum += len;
		if (flags & IDE_PRD_EOT) {
			*total = sum;
			return (int)i + 1;
		}
	}
	return -EFAULT;		/* no EOT within the entries a drive takes */
}

/* The bus master started with a DMA command waiting on drive `d`. */
static void bm_go(struct ide_channel *ch, struct ide_drive *d)
{
	uint32_t total = 0;
	int n = bm_prdt(ch, &total);

	d->dma_wait = false;
	if (n < 0) {
		/* A master abort: the bus master's error bit; the command fails. */
		ch->bm_status = (uint8_t)((ch->bm_status & ~IDE_BM_ST_ACTIVE) | IDE_BM_ST_ERROR);
		drive_abort_cmd(d);
		return;
	}
	d->pending.xfer = ATA_XFER_IOV;
	d->pending.iov = ch->ide->iov;
	d->pending.iovcnt = (unsigned)n;
	ch->bm_total = total;
	ch->bm_dma = true;
	drive_submit(d);
	if (!d->busy)
		ch->bm_dma = false;
	d->pending.iov = NULL;
	d->pending.iovcnt = 0;
}

/* A command's data phase by DMA: now if the bus master runs, else at its start. */
static void drive_dma(struct ide_drive *d)
{
	d->dma_wait = true;
	d->busy = true;
	d->r.status = (uint8_t)((d->r.status & ~ATA_STAT_DRQ) | ATA_STAT_BSY);
	if (d->ch->bm_cmd & IDE_BM_CMD_START)
		bm_go(d->ch, d);
}

static void drive_command(struct ide_drive *d, uint8_t command)
{
	struct ide_regs *r = &d->r;
	enum ata_proto proto;

	d->intrq = false;
	ch_irq_update(d->ch);
	memset(&d->pending, 0, sizeof(d->pending));
	d->pending.tf.command = command;
	d->pending.tf.feature = (uint16_t)(r->hob_feature << 8 | r->feature);
	d->pending.tf.count = (uint16_t)(r->hob_count << 8 | r->count);
	d->pending.tf.lba = (uint64_t)r->lbal | (uint64_t)r->lbam << 8 | (uint64_t)r->lbah << 16 |
			    (uint64_t)r->hob_lbal << 24 | (uint64_t)r->hob_lbam << 32 |
			    (uint64_t)r->hob_lbah << 40;
	d->pending.tf.device = r->device;
	d->pending.xfer = ATA_XFER_PIO;
	if (is_packet(d)) {
		/* ATA8 PACKET: the device asks for the CDB (CoD=1, IO=0), no interrupt. */
		d->busy = true;
		d->cdb_phase = true;
		d->cdb_len = 0;
		r->count = (uint8_t)((r->count & ~3u) | ATAPI_IREASON_COD);
		r->status = ATA_STAT_DRDY | ATA_STAT_DRQ;
		return;
	}
	proto = ata_command_proto(d->drive, command, d->pending.tf.feature);
	if (proto == ATA_PROTO_DMA)
		drive_dma(d);
	else
		drive_submit(d);
}

/* A data-port write while the device wants the CDB. */
static void drive_cdb(struct ide_drive *d, uint32_t val, unsigned size)
{
	unsigned i;

	for (i = 0; i < size && d->cdb_len < ATAPI_CDB_LEN; i++)
		d->pending.cdb[d->cdb_len++] = (uint8_t)(val >> (8 * i));
	if (d->cdb_len < ATAPI_CDB_LEN)
		return;
	d->cdb_phase = false;
	if (d->pending.tf.feature & 1)	/* the DMA bit (ATA8 PACKET) */
		drive_dma(d);
	else
		drive_submit(d);
}

static void data_io(struct ide_drive *d, unsigned size, bool write, uint32_t *data)
{
	uint8_t buf[4];
	int left;

	if (!d->drive) {
		if (!write)
			*data = pio_ones(size);
		return;
	}
	if (d->cdb_phase) {
		if (write)
			drive_cdb(d, *data, size);
		else
			*data = pio_ones(size);
		return;
	}
	if (write) {
		put_le(buf, *data, size);
		left = ata_pio_write(d->drive, buf, size);
	} else {
		memset(buf, 0xff, sizeof(buf));
		left = ata_pio_read(d->drive, buf, size);
		*data = (uint32_t)get_le(buf, size);
	}
	if (left == 0) {
		/* The block is done: BSY until the layer's next event. */
		d->r.status = (uint8_t)((d->r.status & ~ATA_STAT_DRQ) | ATA_STAT_BSY);
	}
}

/* --- the command and control blocks ------------------------------------------ */

static uint8_t reg_read(struct ide_channel *ch, unsigned off)
{
	struct ide_drive *d = ch_sel(ch);
	const struct ide_regs *r = &d->r;
	bool hob = ch->ctl & IDE_CTL_HOB;

	if (ch_empty(ch))
		return 0xff;		/* nothing drives the bus */
	if (!d->drive)
		return 0;		/* device 0 answers for an absent device 1 */
	switch (off) {
	case IDE_ERROR:		return r->error;
	case IDE_COUNT:		return hob ? r->hob_count : r->count;
	case IDE_LBAL:		return hob ? r->hob_lbal : r->lbal;
	case IDE_LBAM:		return hob ? r->hob_lbam : r->lbam;
	case IDE_LBAH:		return hob ? r->hob_lbah : r->lbah;
	case IDE_DEVICE_REG:	return r->device;
	default:
		/* Reading status acknowledges the interrupt (ATA8-APT 5.2.13). */
		d->intrq = false;
		ch_irq_update(ch);
		return r->status;
	}
}

static void reg_write(struct ide_channel *ch, unsigned off, uint8_t v)
{
	struct ide_drive *d;
	unsigned i;

	if (off == IDE_STATUS) {
		d = ch_sel(ch);
		/* A command to a busy device, or none there, is not taken. */
		if (!d->drive || d->busy || d->resetting ||
		    (d->r.status & (ATA_STAT_BSY | ATA_STAT_DRQ)))
			return;
		drive_command(d, v);
		return;
	}
	/* Both devices latch task-file writes; the older byte becomes HOB. */
	ch->ctl &= ~IDE_CTL_HOB;
	for (i = 0; i < IDE_DRIVES; i++) {
		struct ide_regs *r = &ch->d[i].r;

		switch (off) {
		case IDE_ERROR:	r->hob_feature = r->feature; r->feature = v; break;
		case IDE_COUNT:	r->hob_count = r->count; r->count = v; break;
		case IDE_LBAL:	r->hob_lbal = r->lbal; r->lbal = v; break;
		case IDE_LBAM:	r->hob_lbam = r->lbam; r->lbam = v; break;
		case IDE_LBAH:	r->hob_lbah = r->lbah; r->lbah = v; break;
		default:	r->device = v; break;
		}
	}
	if (off == IDE_DEVICE_REG) {
		ch->sel = v & IDE_DEV_DEV ? 1 : 0;
		ch_irq_update(ch);
	}
}

int ide_cmd_io(void *opaque, uint16_t off, unsigned size, bool write, uint32_t *data)
{
	struct ide_channel *ch = opaque;

	if (!pio_size_ok(size) || off > IDE_STATUS)
		return -EINVAL;
	if (!ch_decodes(ch)) {
		if (!write)
			*data = pio_ones(size);
		return 0;
	}
	if (off == IDE_DATA) {
		data_io(ch_sel(ch), size, write, data);
		return 0;
	}
	/* The other registers are 8 bits wide: the low byte of a wider access. */
	if (write)
		reg_write(ch, off, (uint8_t)*data);
	else
		*data = reg_read(ch, off) | (pio_ones(size) & ~0xffu);
	return 0;
}

/* SRST (ATA8-APT 5.2.3, 6.2.1): both devices reset; the release signs. */
static void ch_srst(struct ide_channel *ch, bool on)
{
	struct ide_drive *d;
	unsigned i;

	for (i = 0; i < IDE_DRIVES; i++) {
		d = &ch->d[i];
		if (!d->drive)
			continue;
		if (on) {
			d->busy = d->dma_wait = d->cdb_phase = false;
			d->srst_sig = false;
			d->intrq = false;
			if (ata_reset(d->drive) == -EINPROGRESS)
				d->resetting = true;
			d->r.status = ATA_STAT_BSY;
		} else if (d->resetting) {
			d->srst_sig = true;
		} else {
			drive_signature(d);
		}
	}
	if (on) {
		ch->bm_dma = false;
		ch->bm_status &= ~IDE_BM_ST_ACTIVE;
	} else {
		ch->sel = 0;	/* the device register is 0 after a reset */
	}
}

int ide_ctl_io(void *opaque, uint16_t off, unsigned size, bool write, uint32_t *data)
{
	struct ide_channel *ch = opaque;
	struct ide_drive *d = ch_sel(ch);
	uint8_t old = ch->ctl;

	if (!pio_size_ok(size) || off)
		return -EINVAL;
	if (!ch_decodes(ch)) {
		if (!write)
			*data = pio_ones(size);
		return 0;
	}
	if (!write) {
		/* Alternate status: no acknowledgement. */
		*data = (ch_empty(ch) ? 0xff : d->drive ? d->r.status : 0) |
			(pio_ones(size) & ~0xffu);
		return 0;
	}
	ch->ctl = (uint8_t)*data;
	if ((ch->ctl ^ old) & IDE_CTL_SRST)
		ch_srst(ch, ch->ctl & IDE_CTL_SRST);
	ch_irq_update(ch);
	return 0;
}

/* --- the bus master (BAR4) ----------------------------------------------------- */

static void bm_write_cmd(struct ide_channel *ch, uint8_t v)
{
	uint8_t old = ch->bm_cmd;
	unsigned i;

	ch->bm_cmd = v & (IDE_BM_CMD_START | IDE_BM_CMD_READ);
	if ((ch->bm_cmd & IDE_BM_CMD_START) && !(old & IDE_BM_CMD_START)) {
		ch->bm_status |= IDE_BM_ST_ACTIVE;
		for (i = 0; i < IDE_DRIVES; i++)
			if (ch->d[i].dma_wait)
				bm_go(ch, &ch->d[i]);
	} else if (!(ch->bm_cmd & IDE_BM_CMD_START) && (old & IDE_BM_CMD_START)) {
		ch->bm_status &= ~IDE_BM_ST_ACTIVE;
		if (!ch->bm_dma)
			return;
		/* SFF-8038i 2.1.1: stopping mid-transfer aborts it. */
		ch->bm_dma = false;
		for (i = 0; i < IDE_DRIVES; i++) {
			struct ide_drive *d = &ch->d[i];

			if (!d->busy)
				continue;
			d->busy = false;
			if (ata_abort(d->drive) == -EINPROGRESS) {
				d->resetting = true;
				d->r.status = ATA_STAT_BSY;
			} else {
				d->r.status = ATA_STAT_DRDY | ATA_STAT_ERR;
				d->r.error = ATA_ERR_ABRT;
			}
		}
	}
}

static void bm_byte(struct ide_channel *ch, unsigned reg, bool write, uint8_t *v)
{
	unsigned sh;

	switch (reg) {
	case IDE_BM_CMD:
		if (write)
			bm_write_cmd(ch, *v);
		else
			*v = ch->bm_cmd;
		return;
	case IDE_BM_STATUS:
		if (write) {
			/* Error and Interrupt are write-1-to-clear; the DMA-capable bits plain. */
			ch->bm_status &= (uint8_t)~(*v & (IDE_BM_ST_ERROR | IDE_BM_ST_INTR));
			ch->bm_status = (uint8_t)((ch->bm_status & ~IDE_BM_ST_DMA_CAP) |
						  (*v & IDE_BM_ST_DMA_CAP));
		} else {
			*v = ch->bm_status;
		}
		return;
	case 4: case 5: case 6: case 7:
		sh = 8 * (reg - 4);
		if (write)
			ch->bm_prd = ((ch->bm_prd & ~(0xffu << sh)) | (uint32_t)*v << sh) & ~3u;
		else
			*v = (uint8_t)(ch->bm_prd >> sh);
		return;
	default:
		if (!write)
			*v = 0;
		return;
	}
}

static int ide_bm_io(void *opaque, unsigned bar, uint64_t offset, unsigned size,
		     bool write, uint64_t *data)
{
	struct ide *ide = opaque;
	unsigned i;
	uint8_t v;

	(void)bar;
	if (!write)
		*data = 0;
	for (i = 0; i < size && offset + i < IDE_BM_SIZE; i++) {
		unsigned at = (unsigned)offset + i;

		v = (uint8_t)(*data >> (8 * i));
		bm_byte(&ide->ch[at / 8], at % 8, write, &v);
		if (!write)
			*data |= (uint64_t)v << (8 * i);
	}
	return 0;
}

/* --- PCI and life ------------------------------------------------------------- */

static void ide_reset_all(struct ide *ide)
{
	unsigned c, i;

	for (c = 0; c < IDE_CHANNELS; c++) {
		struct ide_channel *ch = &ide->ch[c];

		ch->ctl = 0;
		ch->bm_cmd = 0;
		ch->bm_status = 0;
		ch->bm_prd = 0;
		ch->bm_dma = false;
		ch_srst(ch, true);
		ch->ctl = 0;
		ch_srst(ch, false);
		for (i = 0; i < IDE_DRIVES; i++)
			if (!ch->d[i].drive)
				memset(&ch->d[i].r, 0, sizeof(ch->d[i].r));
		ch_irq_update(ch);
	}
}

static void ide_pci_reset(struct pci_dev *dev)
{
	ide_reset_all(dev->opaque);
}

static const struct pci_dev_ops ide_pci_ops = {
	.reset = ide_pci_reset,
};

int ide_init(struct ide *ide, const struct gmem *mem, const struct ide_ops *ops,
	     void *opaque, struct pci_bus *bus, int slot, unsigned fn, struct pio_bus *pio)
{
	unsigned c, i;
	int ret;

	if (!mem || !ops || !ops->lock || !ops->unlock || !ops->set_irq)
		return -EINVAL;
	memset(ide, 0, sizeof(*ide));
	ide->mem = mem;
	ide->ops = *ops;
	ide->opaque = opaque;
	/* Subsystem 1af4:1100 as the AHCI; no PCI interrupt pin: IRQ 14/15. */
	pci_dev_init(&ide->pci, IDE_VENDOR, IDE_DEVICE, IDE_CLASS, 0, 0x1af4, 0x1100, 0);
	ide->pci.ops = &ide_pci_ops;
	ide->pci.opaque = ide;
	ret = pci_bar_init(&ide->pci, IDE_BM_BAR, PCI_BAR_IO, false, IDE_BM_SIZE, ide_bm_io, ide);
	if (ret < 0)
		return ret;
	/* IDETIM (PIIX3 2.3.9): IDE decode on for both channels; SIDETIM. */
	pci_cfg_set16(&ide->pci, IDE_IDETIM, IDE_IDETIM_IDE);
	pci_cfg_set16(&ide->pci, IDE_IDETIM + 2, IDE_IDETIM_IDE);
	pci_wmask_set(&ide->pci, IDE_IDETIM, 4, 0xffffffffu);
	pci_wmask_set(&ide->pci, IDE_IDETIM + 4, 1, 0xff);
	for (c = 0; c < IDE_CHANNELS; c++) {
		struct ide_channel *ch = &ide->ch[c];

		ch->ide = ide;
		ch->idx = c;
		ch->irq = c ? 15 : 14;
		for (i = 0; i < IDE_DRIVES; i++) {
			ch->d[i].ch = ch;
			ch->d[i].idx = i;
		}
		if (!pio)
			continue;
		ret = pio_bus_register(pio, cmd_base[c], 8, ide_cmd_io, ch,
				       c ? "ide1" : "ide0");
		if (ret < 0)
			return ret;
		ret = pio_bus_register(pio, ctl_base[c], 1, ide_ctl_io, ch,
				       c ? "ide1-ctl" : "ide0-ctl");
		if (ret < 0)
			return ret;
	}
	return pci_bus_add(bus, &ide->pci, slot, fn);
}

int ide_attach(struct ide *ide, unsigned ch, unsigned dev, const struct ata_drive_config *cfg)
{
	struct ata_drive_config c;
	struct ide_drive *d;
	int ret;

	if (ch >= IDE_CHANNELS || dev >= IDE_DRIVES)
		return -EINVAL;
	d = &ide->ch[ch].d[dev];
	if (d->drive || (dev && !ide->ch[ch].d[0].drive))
		return -EINVAL;
	c = *cfg;
	c.ncq = false;
	c.ops.lock = drive_lock;
	c.ops.unlock = drive_unlock;
	c.ops.event = ide_event;
	c.ops.idle = ide_idle;
	c.opaque = d;
	ret = ata_drive_create(&d->drive, &c);
	if (ret < 0)
		return ret;
	drive_signature(d);
	return 0;
}

struct ata_drive *ide_drive(struct ide *ide, unsigned ch, unsigned dev)
{
	return ch < IDE_CHANNELS && dev < IDE_DRIVES ? ide->ch[ch].d[dev].drive : NULL;
}

void ide_stop(struct ide *ide)
{
	unsigned c, i;

	for (c = 0; c < IDE_CHANNELS; c++)
		for (i = 0; i < IDE_DRIVES; i++)
			if (ide->ch[c].d[i].drive)
				ata_drive_stop(ide->ch[c].d[i].drive);
}

void ide_destroy(struct ide *ide)
{
	unsigned c, i;

	for (c = 0; c < IDE_CHANNELS; c++)
		for (i = 0; i < IDE_DRIVES; i++) {
			if (ide->ch[c].d[i].drive)
				ata_drive_destroy(ide->ch[c].d[i].drive);
			ide->ch[c].d[i].drive = NULL;
		}
}

/* --- save and restore ----------------------------------------------------------- */

static uint32_t drive_id(const struct ide *ide, unsigned c, unsigned i)
{
	return c << 9 | i << 8 | ide->pci.devfn;
}

static void put_regs(struct state_writer *w, const struct ide_regs *r)
{
	const uint8_t b[] = { r->feature, r->count, r->lbal, r->lbam, r->lbah,
			      r->hob_feature, r->hob_count, r->hob_lbal, r->hob_lbam,
			      r->hob_lbah, r->device, r->status, r->error };

	state_put_bytes(w, b, sizeof(b));
}

static void get_regs(struct state_reader *rd, struct ide_regs *r)
{
	uint8_t b[13];

	state_get_bytes(rd, b, sizeof(b));
	r->feature = b[0]; r->count = b[1]; r->lbal = b[2]; r->lbam = b[3]; r->lbah = b[4];
	r->hob_feature = b[5]; r->hob_count = b[6]; r->hob_lbal = b[7];
	r->hob_lbam = b[8]; r->hob_lbah = b[9];
	r->device = b[10]; r->status = b[11]; r->error = b[12];
}

int ide_save(const struct ide *ide, struct state_writer *w)
{
	unsigned c, i;
	int ret;

	for (c = 0; c < IDE_CHANNELS; c++)
		for (i = 0; i < IDE_DRIVES; i++)
			if (ide->ch[c].d[i].resetting || ide->ch[c].bm_dma)
				return -EBUSY;
	state_section_begin(w, "ide", ide->pci.devfn, IDE_STATE_VERSION);
	for (c = 0; c < IDE_CHANNELS; c++) {
		const struct ide_channel *ch = &ide->ch[c];

		state_put_u8(w, (uint8_t)ch->sel);
		state_put_u8(w, ch->ctl);
		state_put_bool(w, ch->line);
		state_put_u8(w, ch->bm_cmd);
		state_put_u8(w, ch->bm_status);
		state_put_u32(w, ch->bm_prd);
		for (i = 0; i < IDE_DRIVES; i++) {
			const struct ide_drive *d = &ch->d[i];

			state_put_bool(w, d->drive != NULL);
			put_regs(w, &d->r);
			state_put_bool(w, d->intrq);
			state_put_bool(w, d->busy);
			state_put_bool(w, d->cdb_phase);
			state_put_u8(w, (uint8_t)d->cdb_len);
			state_put_bool(w, d->dma_wait);
			state_put_bool(w, d->srst_sig);
			state_put_u16(w, d->pending.tf.feature);
			state_put_u16(w, d->pending.tf.count);
			state_put_u64(w, d->pending.tf.lba);
			state_put_u8(w, d->pending.tf.device);
			state_put_u8(w, d->pending.tf.command);
			state_put_bytes(w, d->pending.cdb, ATAPI_CDB_LEN);
		}
	}
	state_section_end(w);
	ret = pci_dev_save(&ide->pci, w);
	for (c = 0; !ret && c < IDE_CHANNELS; c++)
		for (i = 0; !ret && i < IDE_DRIVES; i++)
			if (ide->ch[c].d[i].drive)
				ret = ata_drive_save(ide->ch[c].d[i].drive, w, drive_id(ide, c, i));
	return ret ? ret : state_writer_error(w);
}

int ide_load(struct ide *ide, struct state_reader *r)
{
	struct ide_channel chs[IDE_CHANNELS];
	uint32_t version;
	unsigned c, i;
	int ret;

	ret = state_section_open(r, "ide", ide->pci.devfn, IDE_STATE_VERSION, &version);
	if (ret)
		return ret;
	memcpy(chs, ide->ch, sizeof(chs));
	for (c = 0; c < IDE_CHANNELS; c++) {
		struct ide_channel *ch = &chs[c];

		ch->sel = state_get_u8(r);
		ch->ctl = state_get_u8(r);
		ch->line = state_get_bool(r);
		ch->bm_cmd = state_get_u8(r);
		ch->bm_status = state_get_u8(r);
		ch->bm_prd = state_get_u32(r) & ~3u;
		ch->bm_dma = false;
		if (ch->sel > 1 || (ch->bm_cmd & ~(IDE_BM_CMD_START | IDE_BM_CMD_READ)))
			state_reader_fail(r, "ide channel %u: selection / bus master out of range", c);
		for (i = 0; i < IDE_DRIVES; i++) {
			struct ide_drive *d = &ch->d[i];

			if (state_get_bool(r) != (d->drive != NULL))
				state_reader_fail(r, "ide %u.%u: the drive differs", c, i);
			get_regs(r, &d->r);
			d->intrq = state_get_bool(r);
			d->busy = state_get_bool(r);
			d->cdb_phase = state_get_bool(r);
			d->cdb_len = state_get_u8(r);
			d->dma_wait = state_get_bool(r);
			d->srst_sig = state_get_bool(r);
			d->resetting = false;
			memset(&d->pending, 0, sizeof(d->pending));
			d->pending.tf.feature = state_get_u16(r);
			d->pending.tf.count = state_get_u16(r);
			d->pending.tf.lba = state_get_u64(r) & 0xffffffffffffull;
			d->pending.tf.device = state_get_u8(r);
			d->pending.tf.command = state_get_u8(r);
			d->pending.xfer = ATA_XFER_PIO;
			state_get_bytes(r, d->pending.cdb, ATAPI_CDB_LEN);
			if (d->cdb_len > ATAPI_CDB_LEN || (d->dma_wait && d->cdb_phase) ||
			    ((d->dma_wait || d->cdb_phase) && !d->busy))
				state_reader_fail(r, "ide %u.%u: command state out of range", c, i);
		}
	}
	ret = state_section_close(r);
	if (ret)
		return ret;
	ret = pci_dev_load(&ide->pci, r);
	for (c = 0; !ret && c < IDE_CHANNELS; c++)
		for (i = 0; !ret && i < IDE_DRIVES; i++)
			if (ide->ch[c].d[i].drive)
				ret = ata_drive_load(ide->ch[c].d[i].drive, r, drive_id(ide, c, i));
	if (ret)
		return ret;
	memcpy(ide->ch, chs, sizeof(chs));
	return 0;
}
