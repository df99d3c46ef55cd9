// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * devices/ich9-lpc.c - the ICH9 LPC bridge: PIRQ routing, the PM block
 * at PMBASE, RST_CNT and the APM ports (see ich9-lpc.h and the datasheet
 * sections cited there).
 */
#include <errno.h>
#include <string.h>

#include "devices/ich9-lpc.h"
#include "state/stream.h"

#define LPC_STATE_VERSION	1
#define LPC_REVISION		2

/* PMBASE (13.1.10): bits 15:7 the base, bit 0 RTE (resource type I/O, reads 1). */
#define PMBASE_MASK		0xff80u
/* ACPI_CNTL (13.1.11): ACPI_EN and SCI_IRQ_SEL. */
#define ACPI_CNTL_WMASK		(ICH9_LPC_ACPI_EN | 0x07)
/* RCBA (13.1.35): base bits 31:14, enable bit 0. */
#define RCBA_WMASK		0xffffc001u
/* SMI_EN bits the guest may change: all but APMC_EN (hard-wired 1) and reserved 31:28. */
#define SMI_EN_WMASK		(0x0fffffffu & ~ICH9_SMI_EN_APMC_EN)

/* The PIRQ routing register of PIRQ n (A-D at 60h, E-H at 68h). */
static uint32_t pirq_reg(unsigned n)
{
	return n < 4 ? ICH9_LPC_PIRQA_ROUT + n : ICH9_LPC_PIRQE_ROUT + n - 4;
}

/* The 8259 input PIRQ n reaches, or -1 (disabled, or not a routable IRQ). */
static int pirq_irq(const struct ich9_lpc *lpc, unsigned n)
{
	/* 13.1.13: IRQ 0-2, 8 and 13 are reserved values. */
	static const uint16_t routable = 0xdef8;	/* 3-7, 9-12, 14, 15 */
	uint8_t r = lpc->dev.cfg[pirq_reg(n)];
	unsigned irq = r & 0x0f;

	if (r & ICH9_LPC_PIRQ_DISABLE || !(routable >> irq & 1))
		return -1;
	return (int)irq;
}

/* The levels this device drives into the 8259s, bit n = IRQ n. */
static uint16_t pic_levels(const struct ich9_lpc *lpc)
{
	uint16_t lv = 0;
	unsigned n;

	for (n = 0; n < ICH9_NR_PIRQ; n++) {
		int irq = pirq_irq(lpc, n);

		if (irq >= 0 && lpc->pirq_level[n])
			lv |= (uint16_t)(1u << irq);
	}
	return lv;
}

static void pic_update(struct ich9_lpc *lpc)
{
	uint16_t lv = pic_levels(lpc), changed = lv ^ lpc->pic_level;
	unsigned irq;

	lpc->pic_level = lv;
	for (irq = 0; irq < 16; irq++)
		if ((changed >> irq & 1) && lpc->ops.pic_irq)
			lpc->ops.pic_irq(lpc->opaque, irq, lv >> irq & 1);
}

void ich9_lpc_set_pirq(struct ich9_lpc *lpc, unsigned n, bool level)
{
	if (n >= ICH9_NR_PIRQ)
		return;
	lpc->pirq_level[n] = level;
	pic_update(lpc);
}

unsigned ich9_lpc_sci_irq(const struct ich9_lpc *lpc)
{
	/* 13.1.11 SCI_IRQ_SEL: 000b IRQ9, 001b IRQ10, 010b IRQ11, 1xxb IRQ20-23. */
	static const uint8_t irqs[8] = { 9, 10, 11, 9, 20, 21, 22, 23 };

	return irqs[lpc->dev.cfg[ICH9_LPC_ACPI_CNTL] & 7];
}

uint16_t ich9_lpc_pmbase(const struct ich9_lpc *lpc)
{
	if (!(lpc->dev.cfg[ICH9_LPC_ACPI_CNTL] & ICH9_LPC_ACPI_EN))
		return 0;
	return (uint16_t)(pci_cfg_get32(&lpc->dev, ICH9_LPC_PMBASE) & PMBASE_MASK);
}

static void lpc_cfg_write(struct pci_dev *d, uint32_t off, unsigned size, uint32_t val)
{
	struct ich9_lpc *lpc = d->opaque;

	(void)val;
	if ((off < ICH9_LPC_PIRQA_ROUT + 4 && off + size > ICH9_LPC_PIRQA_ROUT) ||
	    (off < ICH9_LPC_PIRQE_ROUT + 4 && off + size > ICH9_LPC_PIRQE_ROUT))
		pic_update(lpc);
}

static void lpc_pci_reset(struct pci_dev *d)
{
	ich9_lpc_reset(d->opaque);
}

static const struct pci_dev_ops lpc_ops = {
	.cfg_write = lpc_cfg_write,
	.reset = lpc_pci_reset,
};

void ich9_lpc_reset(struct ich9_lpc *lpc)
{
	lpc->smi_en = ICH9_SMI_EN_APMC_EN;
	lpc->smi_sts = 0;
	lpc->rst_cnt = 0;
	lpc->apm_cnt = lpc->apm_sts = 0;
	/* The routing registers are back at 80h (disabled): drop what we drove. */
	pic_update(lpc);
}

int ich9_lpc_init(struct ich9_lpc *lpc, struct pci_bus *bus,
		  const struct ich9_lpc_ops *ops, void *opaque, void *pm_opaque)
{
	struct pci_dev *d = &lpc->dev;
	unsigned n;

	memset(lpc, 0, sizeof(*lpc));
	if (ops)
		lpc->ops = *ops;
	lpc->opaque = opaque;
	lpc->pm_opaque = pm_opaque;
	lpc->bus = bus;
	pci_dev_init(d, ICH9_LPC_VENDOR, ICH9_LPC_DEVICE, ICH9_LPC_CLASS, LPC_REVISION,
		     0x1af4, 0x1100, 0);
	d->ops = &lpc_ops;
	d->opaque = lpc;
	/* A bridge to ISA: no BARs; its command bits are fixed on (13.1.3). */
	pci_cfg_set16(d, PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MEMORY);
	pci_cfg_set32(d, ICH9_LPC_PMBASE, 1);
	pci_wmask_set(d, ICH9_LPC_PMBASE, 4, PMBASE_MASK);
	pci_wmask_set(d, ICH9_LPC_ACPI_CNTL, 1, ACPI_CNTL_WMASK);
	for (n = 0; n < ICH9_NR_PIRQ; n++) {
		pci_cfg_set8(d, pirq_reg(n), ICH9_LPC_PIRQ_DISABLE);
		pci_wmask_set(d, pirq_reg(n), 1, 0x8f);
	}
	pci_wmask_set(d, ICH9_LPC_RCBA, 4, RCBA_WMASK);
	lpc->smi_en = ICH9_SMI_EN_APMC_EN;
	return pci_bus_add(bus, d, ICH9_LPC_SLOT, 0);
}

/* APM_CNT (B2h) and APM_STS (B3h): bytes; no SMI behind APM_CNT here. */
static int apm_io(void *opaque, uint16_t off, unsigned size, bool write, uint32_t *data)
{
	struct ich9_lpc *lpc = opaque;
	uint8_t *reg[2] = { &lpc->apm_cnt, &lpc->apm_sts };
	unsigned i;

	for (i = 0; i < size && off + i < 2; i++) {
		if (write)
			*reg[off + i] = (uint8_t)(*data >> (8 * i));
		else
			*data = (*data & ~(0xffu << (8 * i))) | (uint32_t)*reg[off + i] << (8 * i);
	}
	return 0;
}

int ich9_lpc_register(struct ich9_lpc *lpc, struct pio_bus *pio)
{
	return pio_bus_register(pio, ICH9_PORT_APM_CNT, 2, apm_io, lpc, "ich9-apm");
}

int ich9_lpc_cf8_io(void *opaque, uint16_t port_offset, unsigned size,
		    bool write, uint32_t *data)
{
	struct ich9_lpc *lpc = opaque;
	uint8_t old;

	if (port_offset != ICH9_PORT_RST_CNT - 0xcf8 || size != 1)
		return pci_cfg_io(lpc->bus, port_offset, size, write, data);
	if (!write) {
		*data = lpc->rst_cnt;
		return 0;
	}
	/* 13.7.5: bits 3:1 are read/write; RST_CPU going 0 -> 1 starts the reset. */
	old = lpc->rst_cnt;
	lpc->rst_cnt = (uint8_t)(*data & 0x0e);
	if (!(old & ICH9_RST_CNT_RST_CPU) && (lpc->rst_cnt & ICH9_RST_CNT_RST_CPU) &&
	    lpc->ops.reset)
		lpc->ops.reset(lpc->opaque, lpc->rst_cnt & (ICH9_RST_CNT_SYS_RST |
							    ICH9_RST_CNT_FULL_RST));
	return 0;
}

/* One byte of SMI_EN or SMI_STS (PM block offsets 30h-37h). */
static void smi_byte(struct ich9_lpc *lpc, unsigned off, bool write, uint8_t *b)
{
	unsigned sh = 8 * (off & 3);

	if (off < ICH9_PM_SMI_STS) {
		if (write)
			lpc->smi_en = (lpc->smi_en & ~(SMI_EN_WMASK & (0xffu << sh))) |
				      ((uint32_t)*b << sh & SMI_EN_WMASK);
		else
			*b = (uint8_t)(lpc->smi_en >> sh);
	} else {
		/* SMI_STS bits are write-1-to-clear; nothing sets them without SMM. */
		if (write)
			lpc->smi_sts &= ~((uint32_t)*b << sh);
		else
			*b = (uint8_t)(lpc->smi_sts >> sh);
	}
}

int ich9_lpc_pm_io(struct ich9_lpc *lpc, uint16_t port, unsigned size,
		   bool write, uint32_t *data)
{
	uint16_t base = ich9_lpc_pmbase(lpc);
	unsigned off, i;

	if (!base || port < base || port - base >= ICH9_PM_SIZE || !pio_size_ok(size))
		return PIO_UNCLAIMED;
	off = port - base;
	if (off < 0x10) {
		/* An access reaching past 0Fh is the PM1 block's to cut. */
		if (lpc->ops.pm_io)
			return lpc->ops.pm_io(lpc->pm_opaque, (uint16_t)off, size, write, data);
		if (!write)
			*data = pio_ones(size);
		return 0;
	}
	if (!write)
		*data = 0;
	for (i = 0; i < size; i++) {
		uint8_t b = (uint8_t)(*data >> (8 * i));

		if (off + i >= ICH9_PM_SMI_EN && off + i < ICH9_PM_SMI_STS + 4) {
			smi_byte(lpc, off + i, write, &b);
			if (!write)
				*data |= (uint32_t)b << (8 * i);
		}
		/* Other registers of the block (GPE0, TCO, ...) read 0, take nothing. */
	}
	return 0;
}

int ich9_lpc_save(const struct ich9_lpc *lpc, struct state_writer *w)
{
	unsigned n;
	int ret;

	ret = pci_dev_save(&lpc->dev, w);
	if (ret)
		return ret;
	state_section_begin(w, "ich9-lpc", 0, LPC_STATE_VERSION);
	state_put_u32(w, lpc->smi_en);
	state_put_u32(w, lpc->smi_sts);
	state_put_u8(w, lpc->rst_cnt);
	state_put_u8(w, lpc->apm_cnt);
	state_put_u8(w, lpc->apm_sts);
	for (n = 0; n < ICH9_NR_PIRQ; n++)
		state_put_bool(w, lpc->pirq_level[n]);
	state_section_end(w);
	return state_writer_error(w);
}

int ich9_lpc_load(struct ich9_lpc *lpc, struct state_reader *r)
{
	bool level[ICH9_NR_PIRQ];
	uint32_t smi_en, smi_sts;
	uint8_t rst, cnt, sts;
	unsigned n;
	int ret;

	ret = pci_dev_load(&lpc->dev, r);
	if (ret)
		return ret;
	ret = state_section_open(r, "ich9-lpc", 0, LPC_STATE_VERSION, NULL);
	if (ret)
		return ret;
	smi_en = state_get_u32(r);
	smi_sts = state_get_u32(r);
	rst = state_get_u8(r);
	cnt = state_get_u8(r);
	sts = state_get_u8(r);
	for (n = 0; n < ICH9_NR_PIRQ; n++)
		level[n] = state_get_bool(r);
	if ((smi_en & ~SMI_EN_WMASK) != ICH9_SMI_EN_APMC_EN)
		state_reader_fail(r, "SMI_EN 0x%x: APMC_EN clear or reserved bits set", smi_en);
	if (rst & ~0x0eu)
		state_reader_fail(r, "RST_CNT 0x%x has reserved bits", rst);
	ret = state_section_close(r);
	if (ret)
		return ret;
	lpc->smi_en = smi_en;
	lpc->smi_sts = smi_sts;
	lpc->rst_cnt = rst;
	lpc->apm_cnt = cnt;
	lpc->apm_sts = sts;
	memcpy(lpc->pirq_level, level, sizeof(level));
	lpc->pic_level = pic_levels(lpc);
	return 0;
}
