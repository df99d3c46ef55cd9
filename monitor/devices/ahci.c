// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * devices/ahci.c - the ICH9 AHCI controller over devices/ata.h.  See
 * ahci.h for the model; section numbers are AHCI 1.3.1's.
 */
#include <errno.h>
#include <string.h>

#include "le.h"
#include "devices/ahci.h"
#include "machine/gmem.h"
#include "state/stream.h"

#define AHCI_STATE_VERSION	1

/* CAP (3.1.1): 6 ports, 32 slots (NCS 31), Gen 1 (ISS 1). */
#define AHCI_CAP_VALUE	(AHCI_CAP_S64A | AHCI_CAP_SNCQ | AHCI_CAP_SSS | AHCI_CAP_SAM | \
			 AHCI_CAP_SCLO | 1u << 20 | 31u << 8 | (AHCI_MAX_PORTS - 1))
#define AHCI_VS_VALUE	0x00010300u	/* 1.3 (3.1.5) */

/* Device control register bits in an H2D FIS with C clear (SATA 10.5.5). */
#define ATA_CTL_SRST	0x04

static uint32_t port_ci_bit(unsigned slot)
{
	return 1u << slot;
}

/* --- interrupts (AHCI 3.1.2 GHC.IE, 3.1.3 IS, 10.6) ------------------- */

/*
 * Recomputes IS from the ports (a port's bit stays set while its PxIS &
 * PxIE does, so a driver clearing IS before PxIS sees it again) and the
 * function's interrupt.  `kick`: a port event just arrived; with MSI each
 * one is a message, since an edge may come while the handler runs.
 */
static void ahci_irq_update(struct ahci *h, bool kick)
{
	unsigned i;
	bool level;

	for (i = 0; i < AHCI_MAX_PORTS; i++)
		if (h->port[i].is & h->port[i].ie)
			h->is |= 1u << i;
	level = (h->ghc & AHCI_GHC_IE) && h->is;
	if (pci_msi_enabled(&h->pci)) {
		pci_set_irq(&h->pci, false);	/* PCI 3.0 6.8.1.3: no INTx with MSI */
		if (level && kick)
			pci_msi_notify(&h->pci);
		return;
	}
	pci_set_irq(&h->pci, level);
}

/*
 * A port event: each one that is enabled is a message under MSI, even
 * with the bit still set (the driver may be between reading PxIS and
 * clearing IS: a level that never dropped would lose it).
 */
static void port_raise(struct ahci_port *p, uint32_t bits)
{
	p->is |= bits;
	ahci_irq_update(p->h, bits & p->ie);
}

/* --- the received-FIS area (4.2.1) ------------------------------------- */

static uint8_t *rfis(struct ahci_port *p, unsigned off, unsigned len)
{
	uint64_t fb = (uint64_t)p->fbu << 32 | p->fb;

	if (!(p->cmd & AHCI_PxCMD_FRE))
		return NULL;
	return gmem_ptr(p->h->mem, fb + off, len);
}

static void fis_regs(uint8_t *f, const struct ata_result *res)
{
	f[2] = res->status;
	f[3] = res->error;
	f[4] = (uint8_t)res->lba;
	f[5] = (uint8_t)(res->lba >> 8);
	f[6] = (uint8_t)(res->lba >> 16);
	f[7] = res->device;
	f[8] = (uint8_t)(res->lba >> 24);
	f[9] = (uint8_t)(res->lba >> 32);
	f[10] = (uint8_t)(res->lba >> 40);
	f[12] = (uint8_t)res->count;
	f[13] = (uint8_t)(res->count >> 8);
}

/* D2H Register FIS (SATA 10.5.6) into RFIS; PxTFD follows it. */
static void port_d2h(struct ahci_port *p, const struct ata_result *res, bool irq)
{
	uint8_t *f = rfis(p, AHCI_RFIS_RFIS, 20);

	p->tfd = (uint32_t)res->error << 8 | res->status;
	if (!f)
		return;
	memset(f, 0, 20);
	f[0] = SATA_FIS_D2H;
	f[1] = irq ? 0x40 : 0;
	fis_regs(f, res);
}

/* PIO Setup FIS (SATA 10.5.11): E_Status is the status after the data. */
static void port_pio_setup(struct ahci_port *p, const struct ata_result *res, bool in)
{
	uint8_t *f = rfis(p, AHCI_RFIS_PSFIS, 20);

	if (!f)
		return;
	memset(f, 0, 20);
	f[0] = SATA_FIS_PIO_SETUP;
	f[1] = (in ? 0x20 : 0) | 0x40;
	fis_regs(f, res);
	f[2] = (uint8_t)(res->status | ATA_STAT_DRQ);
	f[15] = res->status;
	put_le(f + 16, res->bytes > 0xffff ? 0xffff : res->bytes, 2);
}

/* Set Device Bits FIS (SATA 10.5.7): the tags an NCQ completion finished. */
static void port_sdb(struct ahci_port *p, const struct ata_result *res, uint32_t sactive)
{
	uint8_t *f = rfis(p, AHCI_RFIS_SDBFIS, 8);

	/* Status bits 6:4 and 2:0 travel; BSY and DRQ are not in the FIS. */
	p->tfd = (p->tfd & ~0x77u) | (res->status & 0x77u);
	if (res->status & ATA_STAT_ERR)
		p->tfd = (p->tfd & 0xffu) | (uint32_t)res->error << 8;
	if (!f)
		return;
	f[0] = SATA_FIS_SDB;
	f[1] = 0x40;
	f[2] = res->status & 0x77;
	f[3] = res->error;
	put_le(f + 4, sactive, 4);
}

/* --- link and signature ------------------------------------------------ */

/*
 * The device's signature after a COMRESET or software reset (ATA8-ACS
 * "Signature and persistence", AHCI 10.4.2): in PxSIG, PxTFD and a D2H
 * FIS (no interrupt: the driver polls PxTFD / PxSSTS).
 */
static void port_signature(struct ahci_port *p)
{
	struct ata_result sig;

	ata_signature(p->drive, &sig);
	p->sig = (uint32_t)(sig.lba & 0xffffff) << 8 | (sig.count & 0xff);
	port_d2h(p, &sig, false);
}

/* Abort or reset the drive; until it is idle the port shows it is busy. */
static void port_drive_reset(struct ahci_port *p, bool device_reset)
{
	int ret;

	p->issued = p->queued = 0;
	if (!p->drive)
		return;
	ret = device_reset ? ata_reset(p->drive) : ata_abort(p->drive);
	if (ret == -EINPROGRESS)
		p->resetting = true;
}

/* --- commands (5.6, 4.2.2, 4.2.3) -------------------------------------- */

/*
 * A fatal error (6.1.2): the task file shows ERR/ABRT, PxIS gets TFES and
 * `why` (HBFS: the command list or table was not in RAM; HBDS: a data
 * buffer was not), PxCMD.CCS names the slot, and the port issues nothing
 * more until software clears PxCMD.ST.
 */
static void port_fatal(struct ahci_port *p, unsigned slot, uint32_t why)
{
	p->tfd = (uint32_t)ATA_ERR_ABRT << 8 | ATA_STAT_ERR | ATA_STAT_DRDY;
	p->cmd = (p->cmd & ~(0x1fu << AHCI_PxCMD_CCS_SHIFT)) | slot << AHCI_PxCMD_CCS_SHIFT;
	p->fatal = true;
	port_raise(p, AHCI_PxIS_TFES | why);
}

/*
 * A control FIS (C bit clear, SATA 10.5.5): software reset (AHCI 10.4.1).
 * SRST set resets the device; the FIS carrying SRST clear then brings the
 * signature.  Both complete at once (the driver polls PxCI for the first).
 */
static void port_control(struct ahci_port *p, unsigned slot, uint8_t control)
{
	p->ci &= ~port_ci_bit(slot);
	if (control & ATA_CTL_SRST) {
		p->srst = true;
		p->sig_pending = false;
		port_drive_reset(p, true);
		p->tfd = ATA_STAT_BSY;
		return;
	}
	if (!p->srst)
		return;
	p->srst = false;
	if (p->resetting)
		p->sig_pending = true;
	else
		port_signature(p);
}

/*
 * The PRDT into h->iov: every entry's buffer wholly in RAM, at most 4 MiB
 * (DBC is 22 bits, 4.2.3.3).  Returns 0, or the PxIS error bit.
 */
static uint32_t port_prdt(struct ahci_port *p, uint64_t ctba, unsigned prdtl)
{
	struct ahci *h = p->h;
	const uint8_t *prd;
	unsigned i;

	if (prdtl > ATA_MAX_IOV)
		return AHCI_PxIS_HBFS;	/* more segments than a drive takes */
	prd = gmem_ptr(h->mem, ctba + AHCI_CMDT_PRDT, (uint64_t)prdtl * AHCI_PRD_SIZE);
	if (!prd)
		return AHCI_PxIS_HBFS;
	for (i = 0; i < prdtl; i++, prd += AHCI_PRD_SIZE) {
		/* DBA bit 0 is reserved: buffers are word aligned. */
		uint64_t dba = (get_le(prd, 4) & ~1ull) | get_le(prd + 4, 4) << 32;
		uint32_t len = ((uint32_t)get_le(prd + 12, 4) & AHCI_PRD_DBC) + 1;
		void *buf = gmem_ptr(h->mem, dba, len);

		if (!buf)
			return AHCI_PxIS_HBDS;
		h->iov[i].iov_base = buf;
		h->iov[i].iov_len = len;
	}
	return 0;
}

/* The task file of an H2D Register FIS (SATA 10.5.5). */
static void fis_taskfile(const uint8_t *f, struct ata_taskfile *tf)
{
	tf->command = f[2];
	tf->feature = (uint16_t)(f[3] | f[11] << 8);
	tf->lba = (uint64_t)f[4] | (uint64_t)f[5] << 8 | (uint64_t)f[6] << 16 |
		  (uint64_t)f[8] << 24 | (uint64_t)f[9] << 32 | (uint64_t)f[10] << 40;
	tf->device = f[7];
	tf->count = (uint16_t)(f[12] | f[13] << 8);
}

/*
 * Issues slot `slot`.  0: handed to the drive (or done: a control FIS, a
 * failed fetch); -EBUSY: the drive takes no command now (try again after
 * its next event).
 */
static int port_issue(struct ahci_port *p, unsigned slot)
{
	struct ahci *h = p->h;
	uint64_t clb = (uint64_t)p->clbu << 32 | p->clb;
	const uint8_t *hdr, *cfis;
	struct ata_cmd cmd;
	enum ata_proto proto;
	uint64_t ctba;
	uint32_t dw0, err;
	int ret;

	hdr = gmem_ptr(h->mem, clb + (uint64_t)slot * AHCI_CMDH_SIZE, AHCI_CMDH_SIZE);
	if (!hdr) {
		port_fatal(p, slot, AHCI_PxIS_HBFS);
		return 0;
	}
	dw0 = (uint32_t)get_le(hdr, 4);
	/* CTBA bits 6:0 are reserved: the table is 128-byte aligned (4.2.2). */
	ctba = (get_le(hdr + 8, 4) & ~0x7full) | get_le(hdr + 12, 4) << 32;
	cfis = gmem_ptr(h->mem, ctba, AHCI_CMDT_PRDT);
	if (!cfis) {
		port_fatal(p, slot, AHCI_PxIS_HBFS);
		return 0;
	}
	if (cfis[0] != SATA_FIS_H2D || (dw0 & AHCI_CMDH_CFL) < 5) {
		port_fatal(p, slot, 0);	/* not a command the device understands */
		return 0;
	}
	if (!(cfis[1] & 0x80)) {
		port_control(p, slot, cfis[15]);
		return 0;
	}
	if (p->srst || p->resetting)
		return -EBUSY;
	memset(&cmd, 0, sizeof(cmd));
	fis_taskfile(cfis, &cmd.tf);
	if (dw0 & AHCI_CMDH_ATAPI)
		memcpy(cmd.cdb, cfis + AHCI_CMDT_ACMD, ATAPI_CDB_LEN);
	err = port_prdt(p, ctba, dw0 >> 16);
	if (err) {
		port_fatal(p, slot, err);
		return 0;
	}
	proto = ata_command_proto(p->drive, cmd.tf.command, cmd.tf.feature);
	/* 5.6.4.1 / SATA 13.6: a queued command's tag is its command slot. */
	if (proto == ATA_PROTO_DMA_QUEUED && (cmd.tf.count >> 3 & 0x1f) != slot) {
		port_fatal(p, slot, 0);
		return 0;
	}
	cmd.xfer = ATA_XFER_IOV;
	cmd.iov = h->iov;
	cmd.iovcnt = dw0 >> 16;
	cmd.slot = slot;
	ret = ata_submit(p->drive, &cmd);
	if (ret == -EBUSY || ret == -ESHUTDOWN)
		return -EBUSY;
	if (ret < 0) {
		port_fatal(p, slot, 0);
		return 0;
	}
	p->issued |= port_ci_bit(slot);
	p->tfd |= ATA_STAT_BSY;
	p->pio_in &= ~port_ci_bit(slot);
	p->pio_out &= ~port_ci_bit(slot);
	if (proto == ATA_PROTO_PIO_IN)
		p->pio_in |= port_ci_bit(slot);
	if (proto == ATA_PROTO_PIO_OUT)
		p->pio_out |= port_ci_bit(slot);
	if (proto == ATA_PROTO_DMA_QUEUED) {
		/*
		 * The device took the queued command and released BSY (SATA
		 * 13.6.4.1, a D2H FIS without interrupt): PxCI clears, the
		 * tag stays in PxSACT until its Set Device Bits FIS.
		 */
		p->queued |= port_ci_bit(slot);
		p->ci &= ~port_ci_bit(slot);
		p->tfd &= ~(uint32_t)ATA_STAT_BSY;
	}
	return 0;
}

/* Issues what PxCI holds and the drive can take (5.6.2). */
static void port_run(struct ahci_port *p)
{
	unsigned slot;
	uint32_t todo;

	if (!(p->cmd & AHCI_PxCMD_ST) || p->fatal || !p->link_up)
		return;
	todo = p->ci & ~p->issued;
	for (slot = 0; todo && slot < AHCI_SLOTS; slot++) {
		if (!(todo & port_ci_bit(slot)))
			continue;
		todo &= ~port_ci_bit(slot);
		if (port_issue(p, slot) == -EBUSY || p->fatal)
			return;
	}
}

/* A drive's event: the command in `slot` finished (ata.h "Events"). */
static void ahci_event(void *opaque, unsigned slot, const struct ata_result *res)
{
	struct ahci_port *p = opaque;
	struct ahci *h = p->h;
	uint32_t bit = port_ci_bit(slot);
	uint64_t clb = (uint64_t)p->clbu << 32 | p->clb;
	uint8_t *hdr;
	bool err = res->status & ATA_STAT_ERR;

	if (res->phase != ATA_PHASE_DONE || !(p->issued & bit))
		return;		/* AHCI uses ATA_XFER_IOV: no PIO phases */
	p->issued &= ~bit;
	/* PRDBC (4.2.2 DW1): bytes moved. */
	hdr = gmem_ptr(h->mem, clb + (uint64_t)slot * AHCI_CMDH_SIZE, AHCI_CMDH_SIZE);
	if (hdr)
		put_le(hdr + 4, res->bytes, 4);
	if (p->queued & bit) {
		p->queued &= ~bit;
		p->sact &= ~bit;
		port_sdb(p, res, bit);
		if (err) {
			p->fatal = true;
			port_raise(p, AHCI_PxIS_SDBS | AHCI_PxIS_TFES);
		} else {
			port_raise(p, AHCI_PxIS_SDBS);
		}
	} else {
		uint32_t is = res->irq ? AHCI_PxIS_DHRS : 0;

		if (!err && res->bytes && (p->pio_in | p->pio_out) & bit) {
			port_pio_setup(p, res, p->pio_in & bit);
			is |= AHCI_PxIS_PSS;
		}
		port_d2h(p, res, res->irq);
		if (err) {
			/* 6.2.2.1: PxCI keeps the failed slot; CCS names it. */
			p->cmd = (p->cmd & ~(0x1fu << AHCI_PxCMD_CCS_SHIFT)) |
				 slot << AHCI_PxCMD_CCS_SHIFT;
			p->fatal = true;
			is |= AHCI_PxIS_TFES;
		} else {
			p->ci &= ~bit;
		}
		if (is)
			port_raise(p, is);
	}
	port_run(p);
}

/* ata.h ops.idle: the drive's requests of an abort/reset have all completed. */
static void ahci_idle(void *opaque)
{
	struct ahci_port *p = opaque;
	struct ahci *h = p->h;
	unsigned i;

	p->resetting = false;
	if (!(p->cmd & AHCI_PxCMD_ST))
		p->cmd &= ~AHCI_PxCMD_CR;	/* 10.1.2: the port is idle now */
	if (p->sig_pending && p->link_up) {
		p->sig_pending = false;
		port_signature(p);
	}
	if (h->hr_pending) {
		for (i = 0; i < AHCI_MAX_PORTS; i++)
			if (h->port[i].resetting)
				break;
		if (i == AHCI_MAX_PORTS) {
			h->hr_pending = false;
			h->ghc &= ~AHCI_GHC_HR;	/* 10.4.3: the reset is done */
		}
	}
	port_run(p);
}

static void port_lock(void *opaque)
{
	struct ahci_port *p = opaque;

	p->h->ops.lock(p->h->opaque);
}

static void port_unlock(void *opaque)
{
	struct ahci_port *p = opaque;

	p->h->ops.unlock(p->h->opaque);
}

/* --- link, resets ------------------------------------------------------- */

/*
 * The link comes up (a COMRESET released, spin-up with PxCMD.SUD,
 * AHCI 10.4.2 / 10.10.1): PxSSTS shows the device; its signature follows
 * at once, or when the drive's reset has finished (BSY until then).
 */
static void port_link_update(struct ahci_port *p)
{
	if (!p->drive || p->link_up || !(p->cmd & AHCI_PxCMD_SUD) || (p->sctl & 0xf) == 1)
		return;
	p->link_up = true;
	p->ssts = AHCI_PxSSTS_UP;
	p->serr |= AHCI_PxSERR_DIAG_X;
	if (p->resetting) {
		p->tfd = ATA_STAT_BSY;
		p->sig_pending = true;
	} else {
		port_signature(p);
	}
}

/* No link: no device answers (PxTFD 7Fh, PxSIG all-ones, PxSSTS 0). */
static void port_link_down(struct ahci_port *p)
{
	p->link_up = false;
	p->sig_pending = false;
	p->ssts = 0;
	p->sig = 0xffffffff;
	p->tfd = 0x7f;
}

/* A port's registers back to their reset values (3.3), the drive reset. */
static void port_reset(struct ahci_port *p)
{
	p->clb = p->clbu = p->fb = p->fbu = p->is = p->ie = 0;
	p->cmd = p->sctl = p->serr = p->sact = p->ci = 0;
	p->fatal = p->srst = false;
	p->pio_in = p->pio_out = 0;
	port_drive_reset(p, true);
	if (p->resetting)
		p->cmd |= AHCI_PxCMD_CR;	/* still busy: cleared by ahci_idle() */
	port_link_down(p);
}

/* GHC.HR (10.4.3): every port and the global registers; HR clears when done. */
static void ahci_hba_reset(struct ahci *h)
{
	unsigned i;

	h->ghc = AHCI_GHC_AE;
	h->is = 0;
	h->hr_pending = false;
	for (i = 0; i < AHCI_MAX_PORTS; i++) {
		port_reset(&h->port[i]);
		/* Staggered spin-up: links stay down until software sets SUD. */
		h->port[i].cmd &= ~AHCI_PxCMD_CR;
		if (h->port[i].resetting)
			h->hr_pending = true;
	}
	if (h->hr_pending)
		h->ghc |= AHCI_GHC_HR;
	ahci_irq_update(h, false);
}

/* PxSCTL (3.3.11): DET 1 holds COMRESET; going back to 0 releases it. */
static void port_write_sctl(struct ahci_port *p, uint32_t val)
{
	uint32_t old = p->sctl;

	p->sctl = val & 0xfff;
	if ((p->sctl & 0xf) == 1 && (old & 0xf) != 1) {
		port_drive_reset(p, true);
		p->srst = false;
		port_link_down(p);
		if (p->drive)
			p->tfd = ATA_STAT_BSY;
	} else if ((p->sctl & 0xf) != 1 && (old & 0xf) == 1) {
		port_link_update(p);
	}
}

/* PxCMD (3.3.7). */
static void port_write_cmd(struct ahci_port *p, uint32_t val)
{
	const uint32_t rw = AHCI_PxCMD_ST | AHCI_PxCMD_SUD | AHCI_PxCMD_POD | AHCI_PxCMD_FRE |
			    AHCI_PxCMD_ATAPI | AHCI_PxCMD_DLAE | AHCI_PxCMD_ALPE |
			    AHCI_PxCMD_ASP | 0xfu << AHCI_PxCMD_ICC_SHIFT;
	uint32_t old = p->cmd;

	p->cmd = (old & ~rw) | (val & rw);
	/* ICC is a request: the interface is always active (0h reads back). */
	p->cmd &= ~(0xfu << AHCI_PxCMD_ICC_SHIFT);
	if (val & AHCI_PxCMD_CLO)	/* command list override: clears BSY and DRQ */
		p->tfd &= ~(uint32_t)(ATA_STAT_BSY | ATA_STAT_DRQ);
	if (p->cmd & AHCI_PxCMD_FRE)
		p->cmd |= AHCI_PxCMD_FR;
	else
		p->cmd &= ~AHCI_PxCMD_FR;
	if ((old & AHCI_PxCMD_ST) && !(p->cmd & AHCI_PxCMD_ST)) {
		/* 3.3.14/3.3.13: PxCI and PxSACT clear; CR once nothing runs. */
		p->ci = p->sact = 0;
		p->fatal = false;
		p->cmd &= ~(0x1fu << AHCI_PxCMD_CCS_SHIFT);
		port_drive_reset(p, false);
		if (!p->resetting)
			p->cmd &= ~AHCI_PxCMD_CR;
	} else if (!(old & AHCI_PxCMD_ST) && (p->cmd & AHCI_PxCMD_ST)) {
		p->cmd |= AHCI_PxCMD_CR;
	}
	if (!(old & AHCI_PxCMD_SUD) && (p->cmd & AHCI_PxCMD_SUD))
		port_link_update(p);
	port_run(p);
}

/* --- the ABAR ------------------------------------------------------------- */

static uint32_t port_read(const struct ahci_port *p, unsigned reg)
{
	switch (reg) {
	case AHCI_PxCLB:	return p->clb;
	case AHCI_PxCLBU:	return p->clbu;
	case AHCI_PxFB:		return p->fb;
	case AHCI_PxFBU:	return p->fbu;
	case AHCI_PxIS:		return p->is;
	case AHCI_PxIE:		return p->ie;
	case AHCI_PxCMD:	return p->cmd;
	case AHCI_PxTFD:	return p->tfd;
	case AHCI_PxSIG:	return p->sig;
	case AHCI_PxSSTS:	return p->ssts;
	case AHCI_PxSCTL:	return p->sctl;
	case AHCI_PxSERR:	return p->serr;
	case AHCI_PxSACT:	return p->sact;
	case AHCI_PxCI:		return p->ci;
	default:		return 0;	/* SNTF, FBS, DEVSLP, vendor: not offered */
	}
}

/* `mask`: the bytes of the dword the guest wrote (narrow writes). */
static void port_write(struct ahci_port *p, unsigned reg, uint32_t val, uint32_t mask)
{
	uint32_t v = (port_read(p, reg) & ~mask) | (val & mask);

	switch (reg) {
	case AHCI_PxCLB:	p->clb = v & ~0x3ffu; break;	/* 1 KiB aligned */
	case AHCI_PxCLBU:	p->clbu = v; break;
	case AHCI_PxFB:		p->fb = v & ~0xffu; break;	/* 256-byte aligned */
	case AHCI_PxFBU:	p->fbu = v; break;
	case AHCI_PxIS:
		p->is &= ~(val & mask);
		ahci_irq_update(p->h, false);
		break;
	case AHCI_PxIE: {
		bool new = (v & AHCI_PxIS_MASK) & ~p->ie & p->is;

		p->ie = v & AHCI_PxIS_MASK;
		ahci_irq_update(p->h, new);
		break;
	}
	case AHCI_PxCMD:	port_write_cmd(p, v); break;
	case AHCI_PxSCTL:	port_write_sctl(p, v); break;
	case AHCI_PxSERR:	p->serr &= ~(val & mask); break;
	case AHCI_PxSACT:
		if (p->cmd & AHCI_PxCMD_ST)
			p->sact |= val & mask;
		break;
	case AHCI_PxCI:
		/* 3.3.14: only while ST; writing 0 bits has no effect. */
		if (p->cmd & AHCI_PxCMD_ST) {
			p->ci |= val & mask;
			port_run(p);
		}
		break;
	default:
		break;		/* read-only: TFD, SIG, SSTS */
	}
}

static uint32_t ahci_read(struct ahci *h, unsigned off)
{
	unsigned port;

	if (off >= AHCI_PORT_BASE) {
		port = (off - AHCI_PORT_BASE) / AHCI_PORT_SIZE;
		if (port >= AHCI_MAX_PORTS)
			return 0;
		return port_read(&h->port[port], (off - AHCI_PORT_BASE) % AHCI_PORT_SIZE);
	}
	switch (off) {
	case AHCI_CAP:	return AHCI_CAP_VALUE;
	case AHCI_GHC:	return h->ghc;
	case AHCI_IS:	return h->is;
	case AHCI_PI:	return (1u << AHCI_MAX_PORTS) - 1;
	case AHCI_VS:	return AHCI_VS_VALUE;
	default:	return 0;	/* CCC, EM, CAP2, BOHC: not offered */
	}
}

static void ahci_write(struct ahci *h, unsigned off, uint32_t val, uint32_t mask)
{
	unsigned port;

	if (off >= AHCI_PORT_BASE) {
		port = (off - AHCI_PORT_BASE) / AHCI_PORT_SIZE;
		if (port < AHCI_MAX_PORTS)
			port_write(&h->port[port], (off - AHCI_PORT_BASE) % AHCI_PORT_SIZE,
				   val, mask);
		return;
	}
	if (off == AHCI_GHC) {
		val = (h->ghc & ~mask) | (val & mask);
		if (val & AHCI_GHC_HR) {
			ahci_hba_reset(h);
			return;
		}
		/* AE is read-only 1 (CAP.SAM); MRSM is not offered. */
		h->ghc = AHCI_GHC_AE | (h->ghc & AHCI_GHC_HR) | (val & AHCI_GHC_IE);
		ahci_irq_update(h, true);
	} else if (off == AHCI_IS) {
		h->is &= ~(val & mask);
		ahci_irq_update(h, false);
	}
}

/*
 * BAR5 accesses: registers are dwords (3: "accessed as 32-bit"); a
 * narrower access reads part of one and writes only its bytes; a qword
 * is two dwords.
 */
static int ahci_bar_io(void *opaque, unsigned bar, uint64_t offset, unsigned size,
		       bool write, uint64_t *data)
{
	struct ahci *h = opaque;
	unsigned off = (unsigned)offset & ~3u, shift = 8 * ((unsigned)offset & 3);
	uint32_t mask;

	(void)bar;
	if (size == 8) {
		if (offset & 7)
			return -EINVAL;
		if (write) {
			ahci_write(h, off, (uint32_t)*data, 0xffffffffu);
			ahci_write(h, off + 4, (uint32_t)(*data >> 32), 0xffffffffu);
		} else {
			*data = ahci_read(h, off) | (uint64_t)ahci_read(h, off + 4) << 32;
		}
		return 0;
	}
	if (offset % size)
		return -EINVAL;
	mask = (size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1) << shift;
	if (write)
		ahci_write(h, off, (uint32_t)(*data << shift), mask);
	else
		*data = (ahci_read(h, off) & mask) >> shift;
	return 0;
}

/* --- PCI -------------------------------------------------------------- */

static void ahci_cfg_write(struct pci_dev *dev, uint32_t off, unsigned size, uint32_t val)
{
	struct ahci *h = dev->opaque;

	(void)off;
	(void)size;
	(void)val;
	/* MSI switched on or off: the interrupt moves between INTx and MSI. */
	ahci_irq_update(h, false);
}

static void ahci_pci_reset(struct pci_dev *dev)
{
	ahci_hba_reset(dev->opaque);
}

static const struct pci_dev_ops ahci_pci_ops = {
	.cfg_write = ahci_cfg_write,
	.reset = ahci_pci_reset,
};

int ahci_init(struct ahci *h, const struct gmem *mem, const struct ahci_ops *ops,
	      void *opaque, struct pci_bus *bus, int slot, unsigned fn)
{
	unsigned i;
	int ret;

	if (!mem || !ops || !ops->lock || !ops->unlock)
		return -EINVAL;
	memset(h, 0, sizeof(*h));
	h->mem = mem;
	h->ops = *ops;
	h->opaque = opaque;
	/* Subsystem 1af4:1100, the id QEMU gives its emulated chipset parts. */
	pci_dev_init(&h->pci, AHCI_VENDOR, AHCI_DEVICE, AHCI_CLASS, 0x02, 0x1af4, 0x1100, 1);
	h->pci.ops = &ahci_pci_ops;
	h->pci.opaque = h;
	ret = pci_bar_init(&h->pci, AHCI_ABAR, PCI_BAR_MEM32, false, AHCI_ABAR_SIZE,
			   ahci_bar_io, h);
	if (ret < 0)
		return ret;
	ret = pci_msi_init(&h->pci);
	if (ret < 0)
		return ret;
	h->msi_cap = (uint8_t)ret;
	for (i = 0; i < AHCI_MAX_PORTS; i++) {
		h->port[i].h = h;
		h->port[i].idx = i;
	}
	ahci_hba_reset(h);
	return pci_bus_add(bus, &h->pci, slot, fn);
}

int ahci_attach(struct ahci *h, unsigned port, const struct ata_drive_config *cfg)
{
	struct ata_drive_config c;
	struct ahci_port *p;
	int ret;

	if (port >= AHCI_MAX_PORTS || h->port[port].drive)
		return -EINVAL;
	p = &h->port[port];
	c = *cfg;
	c.ncq = cfg->kind == ATA_KIND_DISK;
	c.ops.lock = port_lock;
	c.ops.unlock = port_unlock;
	c.ops.event = ahci_event;
	c.ops.idle = ahci_idle;
	c.opaque = p;
	ret = ata_drive_create(&p->drive, &c);
	if (ret < 0)
		return ret;
	port_link_down(p);
	return 0;
}

struct ata_drive *ahci_drive(struct ahci *h, unsigned port)
{
	return port < AHCI_MAX_PORTS ? h->port[port].drive : NULL;
}

void ahci_stop(struct ahci *h)
{
	unsigned i;

	h->stopped = true;
	for (i = 0; i < AHCI_MAX_PORTS; i++)
		if (h->port[i].drive)
			ata_drive_stop(h->port[i].drive);
}

void ahci_destroy(struct ahci *h)
{
	unsigned i;

	for (i = 0; i < AHCI_MAX_PORTS; i++) {
		if (h->port[i].drive)
			ata_drive_destroy(h->port[i].drive);
		h->port[i].drive = NULL;
	}
}

/* --- save and restore --------------------------------------------------- */

static uint32_t drive_id(const struct ahci *h, unsigned port)
{
	return port << 8 | h->pci.devfn;
}

int ahci_save(const struct ahci *h, struct state_writer *w)
{
	const struct ahci_port *p;
	unsigned i;
	int ret;

	if (h->hr_pending)
		return -EBUSY;
	for (i = 0; i < AHCI_MAX_PORTS; i++)
		if (h->port[i].issued || h->port[i].resetting)
			return -EBUSY;
	state_section_begin(w, "ahci", h->pci.devfn, AHCI_STATE_VERSION);
	state_put_u32(w, h->ghc);
	state_put_u32(w, h->is);
	for (i = 0; i < AHCI_MAX_PORTS; i++) {
		p = &h->port[i];
		state_put_bool(w, p->drive != NULL);
		state_put_u32(w, p->clb);
		state_put_u32(w, p->clbu);
		state_put_u32(w, p->fb);
		state_put_u32(w, p->fbu);
		state_put_u32(w, p->is);
		state_put_u32(w, p->ie);
		state_put_u32(w, p->cmd);
		state_put_u32(w, p->tfd);
		state_put_u32(w, p->sig);
		state_put_u32(w, p->ssts);
		state_put_u32(w, p->sctl);
		state_put_u32(w, p->serr);
		state_put_u32(w, p->sact);
		state_put_u32(w, p->ci);
		state_put_bool(w, p->link_up);
		state_put_bool(w, p->fatal);
		state_put_bool(w, p->srst);
		state_put_bool(w, p->sig_pending);
	}
	state_section_end(w);
	ret = pci_dev_save(&h->pci, w);
	for (i = 0; !ret && i < AHCI_MAX_PORTS; i++)
		if (h->port[i].drive)
			ret = ata_drive_save(h->port[i].drive, w, drive_id(h, i));
	return ret ? ret : state_writer_error(w);
}

int ahci_load(struct ahci *h, struct state_reader *r)
{
	struct ahci_port ports[AHCI_MAX_PORTS], *p;
	uint32_t version, ghc, is;
	unsigned i;
	int ret;

	ret = state_section_open(r, "ahci", h->pci.devfn, AHCI_STATE_VERSION, &version);
	if (ret)
		return ret;
	ghc = state_get_u32(r);
	is = state_get_u32(r);
	for (i = 0; i < AHCI_MAX_PORTS; i++) {
		p = &ports[i];
		*p = h->port[i];
		if (state_get_bool(r) != (p->drive != NULL))
			state_reader_fail(r, "ahci port %u: the drive differs", i);
		p->clb = state_get_u32(r) & ~0x3ffu;
		p->clbu = state_get_u32(r);
		p->fb = state_get_u32(r) & ~0xffu;
		p->fbu = state_get_u32(r);
		p->is = state_get_u32(r) & AHCI_PxIS_MASK;
		p->ie = state_get_u32(r) & AHCI_PxIS_MASK;
		p->cmd = state_get_u32(r);
		p->tfd = state_get_u32(r) & 0xffff;
		p->sig = state_get_u32(r);
		p->ssts = state_get_u32(r);
		p->sctl = state_get_u32(r) & 0xfff;
		p->serr = state_get_u32(r);
		p->sact = state_get_u32(r);
		p->ci = state_get_u32(r);
		p->link_up = state_get_bool(r);
		p->fatal = state_get_bool(r);
		p->srst = state_get_bool(r);
		p->sig_pending = state_get_bool(r);
		p->issued = p->queued = p->pio_in = p->pio_out = 0;
		p->resetting = false;
		if (p->link_up && !p->drive)
			state_reader_fail(r, "ahci port %u: a link without a drive", i);
	}
	if ((ghc & ~(AHCI_GHC_AE | AHCI_GHC_IE)) || is >> AHCI_MAX_PORTS)
		state_reader_fail(r, "ahci: GHC %#x / IS %#x out of range", ghc, is);
	ret = state_section_close(r);
	if (ret)
		return ret;
	ret = pci_dev_load(&h->pci, r);
	for (i = 0; !ret && i < AHCI_MAX_PORTS; i++)
		if (h->port[i].drive)
			ret = ata_drive_load(h->port[i].drive, r, drive_id(h, i));
	if (ret)
		return ret;
	h->ghc = ghc | AHCI_GHC_AE;
	h->is = is;
	h->hr_pending = false;
	memcpy(h->port, ports, sizeof(ports));
	/* Commands the guest issued that had not reached the drive go now. */
	for (i = 0; i < AHCI_MAX_PORTS; i++)
		port_run(&h->port[i]);
	return 0;
}
