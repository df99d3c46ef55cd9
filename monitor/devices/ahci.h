/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * devices/ahci.h - the ICH9 AHCI SATA controller (8086:2922, class
 * 01 06 01): the transport over the ATA/ATAPI drives of devices/ata.h.
 *
 * References: Serial ATA AHCI 1.3.1 ("AHCI"): 3.1 generic host control,
 * 3.3 port registers, 4.2.1 received FIS structure, 4.2.2 command list,
 * 4.2.3 command table and PRDT, 5.6 command processing, 6.2 error
 * handling, 10.4 resets; Serial ATA 3.x 10.5 (FIS layouts).
 *
 * Model
 *  - ABAR is BAR5 (4 KiB, 32-bit memory): the generic host control
 *    registers and AHCI_MAX_PORTS ports.  CAP: 64-bit addressing, NCQ,
 *    staggered spin-up (a port's link comes up when software sets
 *    PxCMD.SUD), AHCI-only, command-list override, 32 slots, Gen 1
 *    speed; no command completion coalescing, no port multiplier, no
 *    enclosure management.  VS 1.3.
 *  - Commands are read from guest RAM through gmem_ptr() only: the
 *    command header, the command table (H2D Register FIS, ATAPI CDB) and
 *    every PRD entry (at most 4 MiB, AHCI 4.2.3.3) are validated before
 *    the command reaches the drive, as ATA_XFER_IOV.  A command list or
 *    command table outside RAM fails that port with PxIS.HBFS, a data
 *    buffer outside RAM with PxIS.HBDS, both with a task-file error
 *    (PxIS.TFES, PxTFD ERR/ABRT): AHCI 6.1.2 fatal errors, which stop the
 *    port until software clears PxCMD.ST, as the driver's error handling
 *    expects.  Never the VM.
 *  - Completions write the received-FIS area (when PxCMD.FRE): a D2H
 *    Register FIS for non-queued commands (and a PIO Setup FIS with
 *    E_Status for PIO data commands, which Linux reads), a Set Device
 *    Bits FIS for READ/WRITE FPDMA QUEUED, the byte count into the
 *    command header's PRDBC.
 *  - Interrupts: PxIS & PxIE set the port's bit in IS; with GHC.IE the
 *    function interrupts: MSI when the guest enabled it (one message for
 *    every enabled port event, even with IS still set), else INTx
 *    (level, INTA, while IS is non-empty).  The PRD "I" bit (DPS) is not
 *    raised: a command's completion is.
 *  - Resets: COMRESET (PxSCTL.DET 1 then 0), the software reset through
 *    an H2D FIS with the C bit clear and SRST, PxCMD.ST cleared with
 *    commands in flight, and GHC.HR.  The drive's requests already on the
 *    host cannot be recalled (ata.h "Reset and abort"): until they have
 *    completed PxCMD.CR (port stop), PxTFD.BSY (COMRESET, SRST) or GHC.HR
 *    (HBA reset) stays set, as AHCI lets hardware take its time.
 *
 * Threads: every entry point is called with the controller's lock held
 * (the config's lock, also the PCI bus's lock); the drives' events come
 * from the I/O loop with it taken through the same ops.
 *
 * Plain C, no GLib, host-tested (tests/devices/ahci-test.c).
 */
#ifndef VMAIN_MONITOR_DEVICES_AHCI_H
#define VMAIN_MONITOR_DEVICES_AHCI_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "devices/ata.h"
#include "devices/pci.h"

struct gmem;
struct state_writer;
struct state_reader;

#define AHCI_MAX_PORTS		6	/* ICH9: six SATA ports */
#define AHCI_ABAR		5	/* the BAR of the memory registers */
#define AHCI_ABAR_SIZE		4096
#define AHCI_VENDOR		0x8086
#define AHCI_DEVICE		0x2922	/* ICH9 6-port SATA AHCI controller */
#define AHCI_CLASS		0x010601	/* mass storage, SATA, AHCI 1.0 */

/* Generic host control (AHCI 3.1). */
#define AHCI_CAP		0x00
#define AHCI_GHC		0x04
#define AHCI_IS			0x08
#define AHCI_PI			0x0c
#define AHCI_VS			0x10
#define AHCI_CCC_CTL		0x14
#define AHCI_CCC_PORTS		0x18
#define AHCI_CAP2		0x24
#define AHCI_BOHC		0x28

#define AHCI_CAP_SXS		(1u << 5)
#define AHCI_CAP_SCLO		(1u << 24)
#define AHCI_CAP_SAM		(1u << 18)
#define AHCI_CAP_SSS		(1u << 27)
#define AHCI_CAP_SNCQ		(1u << 30)
#define AHCI_CAP_S64A		(1u << 31)

#define AHCI_GHC_HR		(1u << 0)
#define AHCI_GHC_IE		(1u << 1)
#define AHCI_GHC_AE		(1u << 31)

/* Port registers at 0x100 + port * 0x80 (AHCI 3.3). */
#define AHCI_PORT_BASE		0x100
#define AHCI_PORT_SIZE		0x80
#define AHCI_PxCLB		0x00
#define AHCI_PxCLBU		0x04
#define AHCI_PxFB		0x08
#define AHCI_PxFBU		0x0c
#define AHCI_PxIS		0x10
#define AHCI_PxIE		0x14
#define AHCI_PxCMD		0x18
#define AHCI_PxTFD		0x20
#define AHCI_PxSIG		0x24
#define AHCI_PxSSTS		0x28
#define AHCI_PxSCTL		0x2c
#define AHCI_PxSERR		0x30
#define AHCI_PxSACT		0x34
#define AHCI_PxCI		0x38

/* PxIS / PxIE (AHCI 3.3.5). */
#define AHCI_PxIS_DHRS		(1u << 0)
#define AHCI_PxIS_PSS		(1u << 1)
#define AHCI_PxIS_DSS		(1u << 2)
#define AHCI_PxIS_SDBS		(1u << 3)
#define AHCI_PxIS_DPS		(1u << 5)
#define AHCI_PxIS_PCS		(1u << 6)
#define AHCI_PxIS_HBDS		(1u << 28)
#define AHCI_PxIS_HBFS		(1u << 29)
#define AHCI_PxIS_TFES		(1u << 30)
#define AHCI_PxIS_MASK		0xfdc000ffu	/* implemented bits */

/* PxCMD (AHCI 3.3.7). */
#define AHCI_PxCMD_ST		(1u << 0)
#define AHCI_PxCMD_SUD		(1u << 1)
#define AHCI_PxCMD_POD		(1u << 2)
#define AHCI_PxCMD_CLO		(1u << 3)
#define AHCI_PxCMD_FRE		(1u << 4)
#define AHCI_PxCMD_CCS_SHIFT	8
#define AHCI_PxCMD_FR		(1u << 14)
#define AHCI_PxCMD_CR		(1u << 15)
#define AHCI_PxCMD_ATAPI	(1u << 24)
#define AHCI_PxCMD_DLAE		(1u << 25)
#define AHCI_PxCMD_ALPE		(1u << 26)
#define AHCI_PxCMD_ASP		(1u << 27)
#define AHCI_PxCMD_ICC_SHIFT	28

#define AHCI_PxSERR_DIAG_X	(1u << 26)	/* exchanged: a COMINIT came */
#define AHCI_PxSSTS_UP		0x113		/* IPM active, Gen 1, device and Phy up */

/* The received-FIS area (AHCI 4.2.1): offsets of each FIS. */
#define AHCI_RFIS_PSFIS		0x20
#define AHCI_RFIS_RFIS		0x40
#define AHCI_RFIS_SDBFIS	0x58
#define AHCI_RFIS_SIZE		0x100

/* FIS types (SATA 3.x 10.5). */
#define SATA_FIS_H2D		0x27
#define SATA_FIS_D2H		0x34
#define SATA_FIS_SDB		0xa1
#define SATA_FIS_PIO_SETUP	0x5f

/* Command header (AHCI 4.2.2) DW0 and the command table (4.2.3). */
#define AHCI_CMDH_SIZE		32
#define AHCI_CMDH_CFL		0x1fu
#define AHCI_CMDH_ATAPI		(1u << 5)
#define AHCI_CMDH_WRITE		(1u << 6)
#define AHCI_CMDH_CLR_BUSY	(1u << 10)
#define AHCI_CMDT_ACMD		0x40
#define AHCI_CMDT_PRDT		0x80
#define AHCI_PRD_SIZE		16
#define AHCI_PRD_DBC		0x3fffffu	/* byte count - 1: up to 4 MiB */
#define AHCI_PRD_I		(1u << 31)

#define AHCI_SLOTS		32

struct ahci;

struct ahci_port {
	struct ahci *h;
	unsigned idx;
	struct ata_drive *drive;	/* NULL: nothing attached */
	/* The registers (AHCI 3.3), as the guest reads them. */
	uint32_t clb, clbu, fb, fbu, is, ie, cmd, tfd, sig, ssts, sctl, serr, sact, ci;
	uint32_t issued;	/* slots handed to the drive, waiting for their event */
	uint32_t queued;	/* of those, READ/WRITE FPDMA QUEUED */
	uint32_t pio_in, pio_out;	/* of those, PIO data commands (a PIO Setup FIS) */
	bool link_up;		/* the device answered a COMRESET / spin-up */
	bool fatal;		/* AHCI 6.1.2: stopped until PxCMD.ST is cleared */
	bool resetting;		/* the drive's abort/reset returned -EINPROGRESS */
	bool srst;		/* a software reset's SRST FIS came; signature on release */
	bool sig_pending;	/* the signature waits for the drive's reset to end */
};

struct ahci_ops {
	/* The controller's lock (the machine's device lock). */
	void (*lock)(void *opaque);
	void (*unlock)(void *opaque);
};

struct ahci {
	struct pci_dev pci;
	const struct gmem *mem;
	struct ahci_ops ops;
	void *opaque;
	uint8_t msi_cap;	/* config offset of the MSI capability */
	uint32_t ghc, is;
	bool hr_pending;	/* GHC.HR set, drives still busy */
	bool stopped;
	struct ahci_port port[AHCI_MAX_PORTS];
	struct iovec iov[ATA_MAX_IOV];	/* scratch for one command (ata_submit copies it) */
};

/*
 * Builds the controller (no drives) and adds it to `bus` at slot/fn
 * (slot -1: the first free).  Returns the devfn or -errno.  Without the
 * lock, before the vCPUs run.
 */
int ahci_init(struct ahci *h, const struct gmem *mem, const struct ahci_ops *ops,
	      void *opaque, struct pci_bus *bus, int slot, unsigned fn);

/*
 * Attaches a drive to `port` (0..AHCI_MAX_PORTS-1): `cfg` as for
 * ata_drive_create() without ops/opaque (the port's), NCQ for a disk.
 * 0 or -errno.  Before the vCPUs run.
 */
int ahci_attach(struct ahci *h, unsigned port, const struct ata_drive_config *cfg);

/* The drive on `port`, or NULL. */
struct ata_drive *ahci_drive(struct ahci *h, unsigned port);

/* ata_drive_stop() on every drive: no more commands (for save and teardown). */
void ahci_stop(struct ahci *h);
/* Stops and frees the drives. */
void ahci_destroy(struct ahci *h);

/*
 * Section "ahci" / devfn, then the PCI function and each drive
 * (ata_drive_save() with id port << 8 | devfn).  Save after ahci_stop():
 * -EBUSY while a command or reset is still on the host.  Load into a
 * controller built with the same drives (lock held): commands the guest
 * had issued that had not reached the drive are issued then.
 */
int ahci_save(const struct ahci *h, struct state_writer *w);
int ahci_load(struct ahci *h, struct state_reader *r);

#endif
