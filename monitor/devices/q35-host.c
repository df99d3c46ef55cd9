// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * devices/q35-host.c - the Q35 MCH's PAM, SMRAM and PCIEXBAR registers
 * on the host bridge (see q35-host.h for the model and the datasheet).
 */
#include <errno.h>
#include <string.h>

#include "devices/q35-host.h"
#include "machine/memmap.h"
#include "state/stream.h"

#define Q35_STATE_VERSION	1

/* Power-on values (datasheet 5.1.24, 5.1.25). */
#define SMRAM_RESET		0x02	/* C_BASE_SEG = 010b */
#define ESMRAMC_RESET		Q35_ESMRAMC_SM_BITS
#define SMRAM_WMASK		(Q35_SMRAM_D_OPEN | Q35_SMRAM_D_CLS | \
				 Q35_SMRAM_D_LCK | Q35_SMRAM_G_SMRAME)
#define SMRAM_WMASK_LOCKED	Q35_SMRAM_D_CLS
#define ESMRAMC_WMASK		(Q35_ESMRAMC_H_SMRAME | Q35_ESMRAMC_TSEG_SZ | \
				 Q35_ESMRAMC_T_EN)

static enum q35_pam_mode pam_from_cfg(const struct pci_dev *d, unsigned region)
{
	uint8_t reg;

	if (region == 0)
		return (enum q35_pam_mode)((d->cfg[Q35_PAM0] >> 4) & 3);
	reg = d->cfg[Q35_PAM0 + (region + 1) / 2];
	return (enum q35_pam_mode)((region & 1 ? reg : reg >> 4) & 3);
}

static bool smram_open_from_cfg(const struct pci_dev *d)
{
	return (d->cfg[Q35_SMRAM] & Q35_SMRAM_D_OPEN) &&
	       !(d->cfg[Q35_ESMRAMC] & Q35_ESMRAMC_H_SMRAME);
}

/*
 * PCIEXBAR (5.1.12): length 00b 256 MiB (base bits 35:28), 01b 128 MiB
 * (35:27), 10b 64 MiB (35:26), 11b reserved (treated as disabled).  One
 * bus here: its 1 MiB of the window decodes, the rest reads all-ones.
 */
static void ecam_update(struct q35_host *h)
{
	static const uint64_t sizes[4] = { 256ull << 20, 128ull << 20, 64ull << 20, 0 };
	uint64_t bar = pci_cfg_get32(h->dev, Q35_PCIEXBAR) |
		       (uint64_t)pci_cfg_get32(h->dev, Q35_PCIEXBAR + 4) << 32;
	uint64_t size = sizes[(bar >> 1) & 3];
	struct pci_bus *bus = h->dev->bus;

	if (!(bar & Q35_PCIEXBAR_EN) || !size) {
		bus->ecam_size = 0;
		return;
	}
	bus->ecam_base = bar & ~(size - 1) & ((1ull << 36) - 1);
	bus->ecam_size = MEMMAP_ECAM_SIZE;
}

/* The lock's effect on what the guest may write (5.1.24 D_LCK). */
static void lock_apply(struct q35_host *h)
{
	struct pci_dev *d = h->dev;

	if (!h->locked)
		return;
	d->cfg[Q35_SMRAM] &= (uint8_t)~Q35_SMRAM_D_OPEN;
	d->wmask[Q35_SMRAM] = SMRAM_WMASK_LOCKED;
	d->wmask[Q35_ESMRAMC] = 0;
}

/* Tells the ops what changed since they were last told. */
static void update(struct q35_host *h, bool all)
{
	unsigned i;
	bool open;

	for (i = 0; i < Q35_PAM_REGIONS; i++) {
		enum q35_pam_mode mode = pam_from_cfg(h->dev, i);

		if (!all && mode == h->pam[i])
			continue;
		h->pam[i] = (uint8_t)mode;
		if (h->ops.pam)
			h->ops.pam(h->opaque, i, mode);
	}
	open = smram_open_from_cfg(h->dev);
	if (all || open != h->smram_open) {
		h->smram_open = open;
		if (h->ops.smram)
			h->ops.smram(h->opaque, open);
	}
}

static void q35_cfg_write(struct pci_dev *d, uint32_t off, unsigned size, uint32_t val)
{
	struct q35_host *h = d->opaque;

	(void)val;
	if (off + size > Q35_PCIEXBAR && off < Q35_PCIEXBAR + 8)
		ecam_update(h);
	if (off + size > Q35_SMRAM && off <= Q35_SMRAM &&
	    (d->cfg[Q35_SMRAM] & Q35_SMRAM_D_LCK) && !h->locked) {
		h->locked = true;
		lock_apply(h);
	}
	/* E_SMERR is write-1-to-clear (pci.c applies w1cmask). */
	if (off + size > Q35_PAM0 && off <= Q35_ESMRAMC)
		update(h, false);
}

/* pci_bus_reset(): the config bytes are back at their image already. */
static void q35_reset(struct pci_dev *d)
{
	struct q35_host *h = d->opaque;

	h->locked = false;
	d->wmask[Q35_SMRAM] = SMRAM_WMASK;
	d->wmask[Q35_ESMRAMC] = ESMRAMC_WMASK;
	ecam_update(h);
	update(h, false);
}

static const struct pci_dev_ops q35_ops = {
	.cfg_write = q35_cfg_write,
	.reset = q35_reset,
};

int q35_host_init(struct q35_host *h, struct pci_bus *bus,
		  const struct q35_host_ops *ops, void *opaque)
{
	struct pci_dev *d = &bus->host_bridge;
	unsigned i;
	int ret;

	memset(h, 0, sizeof(*h));
	if (ops)
		h->ops = *ops;
	h->opaque = opaque;
	h->dev = d;
	/* Rebuild 00.0 with the MCH's identity and registers. */
	bus->devs[PCI_DEVFN(0, 0)] = NULL;
	pci_dev_init(d, Q35_MCH_VENDOR, Q35_MCH_DEVICE, PCI_CLASS_HOST_BRIDGE, 0,
		     Q35_SUBSYS_VENDOR, Q35_SUBSYS_ID, 0);
	d->ops = &q35_ops;
	d->opaque = h;
	/* PCIEXBAR: enable, length, base bits 35:26 (5.1.12). */
	pci_wmask_set(d, Q35_PCIEXBAR, 4, 0xfc000007u);
	pci_wmask_set(d, Q35_PCIEXBAR + 4, 4, 0x0000000fu);
	/* PAM0: only HIENABLE (bits 5:4); PAM1-6 both halves (5.1.16). */
	pci_wmask_set(d, Q35_PAM0, 1, 0x30);
	for (i = 1; i <= 6; i++)
		pci_wmask_set(d, Q35_PAM0 + i, 1, 0x33);
	pci_cfg_set8(d, Q35_SMRAM, SMRAM_RESET);
	pci_wmask_set(d, Q35_SMRAM, 1, SMRAM_WMASK);
	pci_cfg_set8(d, Q35_ESMRAMC, ESMRAMC_RESET);
	pci_wmask_set(d, Q35_ESMRAMC, 1, ESMRAMC_WMASK);
	d->w1cmask[Q35_ESMRAMC] = Q35_ESMRAMC_E_SMERR;
	ret = pci_bus_add(bus, d, 0, 0);
	if (ret < 0)
		return ret;
	ecam_update(h);
	for (i = 0; i < Q35_PAM_REGIONS; i++)
		h->pam[i] = Q35_PAM_OFF;
	h->smram_open = false;
	return 0;
}

void q35_host_apply(struct q35_host *h)
{
	update(h, true);
}

enum q35_pam_mode q35_host_pam_mode(const struct q35_host *h, unsigned region)
{
	return region < Q35_PAM_REGIONS ? (enum q35_pam_mode)h->pam[region] : Q35_PAM_OFF;
}

int q35_pam_region(uint64_t gpa)
{
	if (gpa < 0xc0000 || gpa >= 0x100000)
		return -1;
	if (gpa >= 0xf0000)
		return 0;
	return (int)((gpa - 0xc0000) / 0x4000) + 1;
}

int q35_host_save(const struct q35_host *h, struct state_writer *w)
{
	state_section_begin(w, "q35-host", 0, Q35_STATE_VERSION);
	state_put_bool(w, h->locked);
	state_section_end(w);
	return state_writer_error(w);
}

int q35_host_load(struct q35_host *h, struct state_reader *r)
{
	struct pci_dev *d = h->dev;
	bool locked;
	int ret;

	ret = state_section_open(r, "q35-host", 0, Q35_STATE_VERSION, NULL);
	if (ret)
		return ret;
	locked = state_get_bool(r);
	/* A lock the config bytes contradict: not a state this device makes. */
	if (locked != !!(d->cfg[Q35_SMRAM] & Q35_SMRAM_D_LCK))
		state_reader_fail(r, "SMRAM lock %s but D_LCK %s", locked ? "saved" : "not saved",
				  d->cfg[Q35_SMRAM] & Q35_SMRAM_D_LCK ? "set" : "clear");
	if (locked && (d->cfg[Q35_SMRAM] & Q35_SMRAM_D_OPEN))
		state_reader_fail(r, "SMRAM open while locked");
	if ((d->cfg[Q35_PCIEXBAR] & 6) == 6 && (d->cfg[Q35_PCIEXBAR] & 1))
		state_reader_fail(r, "PCIEXBAR enabled with a reserved length");
	ret = state_section_close(r);
	if (ret)
		return ret;
	h->locked = locked;
	d->wmask[Q35_SMRAM] = SMRAM_WMASK;
	d->wmask[Q35_ESMRAMC] = ESMRAMC_WMASK;
	lock_apply(h);
	ecam_update(h);
	q35_host_apply(h);
	return 0;
}
