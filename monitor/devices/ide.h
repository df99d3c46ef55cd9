/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * devices/ide.h - the PIIX3 IDE controller (8086:7010, class 01 01 80) in
 * compatibility mode: two channels of two drives each over the ATA/ATAPI
 * layer of devices/ata.h, and the bus master in BAR4.
 *
 * References: ATA8-ACS ("ATA8") and ATA/ATAPI-8 Parallel Transport
 * ("ATA8-APT") for the task-file registers and the PIO, DMA and PACKET
 * protocols; SFF-8038i rev 1.0 ("SFF-8038i") and Intel's 82371SB PIIX3
 * datasheet ("PIIX3") for the bus master and the IDETIM registers.
 *
 * Model
 *  - Ports: primary 0x1f0-0x1f7 and 0x3f6, secondary 0x170-0x177 and
 *    0x376 (ATA8-APT 5.2 command and control blocks), IRQ 14 and 15.
 *    They decode while the channel's IDETIM bit 15 (IDE decode enable,
 *    PIIX3 2.3.9; on at power-on) is set.  The bus master registers sit
 *    in BAR4 (16 ports, SFF-8038i 2): command, status, PRD table pointer
 *    per channel.
 *  - Both devices of a channel latch every task-file write; reads come
 *    from the selected one (DEV bit); a selected device that is absent
 *    reads 0 (its neighbour answers "not present", ATA8-APT 5.2.7), a
 *    channel with none reads the floating bus (FFh).  Each register
 *    keeps the byte written before (the HOB byte), read while the
 *    device control register's HOB bit is set (ATA8-APT 5.2.2).
 *  - The data port (offset 0) takes 8-, 16- and 32-bit accesses and
 *    feeds the layer's PIO blocks (ata_pio_read()/ata_pio_write()); for
 *    PACKET the controller takes the 12-byte CDB itself (interrupt reason
 *    CoD=1 IO=0, no interrupt) before submitting.
 *  - DMA (READ/WRITE DMA, PACKET with the DMA feature bit) waits for the
 *    bus master's start bit; the PRD table (dword aligned, within 64 KiB,
 *    up to ATA_MAX_IOV entries, each buffer wholly in RAM through
 *    gmem_ptr(), 0 meaning 64 KiB, EOT ends it) becomes the command's
 *    iovecs.  A bad table fails that command: the bus master's error and
 *    interrupt bits, the device's ERR/ABRT, an interrupt.  Never the VM.
 *  - Device control: nIEN masks the channel's interrupt, SRST resets both
 *    devices (ata_reset(); BSY until their requests on the host are done)
 *    and its release brings their signatures.
 *
 * Threads: every entry point is called with the controller's lock held
 * (the machine's device lock: port I/O and the PCI bus run under it);
 * the drives' events come from the I/O loop with it taken through ops.
 *
 * Plain C, no GLib, host-tested (tests/devices/ide-test.c).
 */
#ifndef VMAIN_MONITOR_DEVICES_IDE_H
#define VMAIN_MONITOR_DEVICES_IDE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "devices/ata.h"
#include "devices/pci.h"
#include "devices/pio.h"

struct gmem;
struct state_writer;
struct state_reader;

#define IDE_VENDOR		0x8086
#define IDE_DEVICE		0x7010	/* PIIX3 IDE */
#define IDE_CLASS		0x010180	/* IDE, compatibility mode, bus master */
#define IDE_BM_BAR		4
#define IDE_BM_SIZE		16
#define IDE_IDETIM		0x40	/* primary; secondary at 0x42 (PIIX3 2.3.9) */
#define IDE_IDETIM_IDE		0x8000	/* IDE decode enable */

#define IDE_CHANNELS		2
#define IDE_DRIVES		2

/* Task-file offsets in the command block (ATA8-APT 5.2). */
#define IDE_DATA		0
#define IDE_ERROR		1	/* write: feature */
#define IDE_COUNT		2
#define IDE_LBAL		3
#define IDE_LBAM		4
#define IDE_LBAH		5
#define IDE_DEVICE_REG		6
#define IDE_STATUS		7	/* write: command */

/* Device control (write at 0x3f6 / 0x376). */
#define IDE_CTL_NIEN		0x02
#define IDE_CTL_SRST		0x04
#define IDE_CTL_HOB		0x80
#define IDE_DEV_DEV		0x10	/* device register: device 1 selected */

/* Bus master (SFF-8038i 2): per channel at 0 and 8. */
#define IDE_BM_CMD		0
#define IDE_BM_STATUS		2
#define IDE_BM_PRD		4
#define IDE_BM_CMD_START	0x01
#define IDE_BM_CMD_READ		0x08	/* the bus master writes memory (device to host) */
#define IDE_BM_ST_ACTIVE	0x01
#define IDE_BM_ST_ERROR		0x02
#define IDE_BM_ST_INTR		0x04
#define IDE_BM_ST_DMA_CAP	0x60	/* drive 0/1 DMA capable, software's bits */
#define IDE_PRD_EOT		0x80000000u

struct ide;
struct ide_channel;

/* The registers of one device as the guest sees them. */
struct ide_regs {
	uint8_t feature, count, lbal, lbam, lbah;
	uint8_t hob_feature, hob_count, hob_lbal, hob_lbam, hob_lbah;
	uint8_t device, status, error;
};

struct ide_drive {
	struct ide_channel *ch;
	unsigned idx;			/* 0 master, 1 slave */
	struct ata_drive *drive;	/* NULL: absent */
	struct ide_regs r;
	bool intrq;			/* INTRQ asserted (cleared by a status read) */
	bool busy;			/* a command is with the layer (or waits for DMA) */
	bool resetting;			/* ata_abort/reset() returned -EINPROGRESS */
	bool srst_sig;			/* SRST released while resetting: the signature when idle */
	/* PACKET: collecting the CDB through the data port. */
	bool cdb_phase;
	unsigned cdb_len;
	/* A DMA command waiting for the bus master's start bit. */
	bool dma_wait;
	struct ata_cmd pending;
};

struct ide_channel {
	struct ide *ide;
	unsigned idx;			/* 0 primary, 1 secondary */
	unsigned irq;			/* 14 / 15 */
	struct ide_drive d[IDE_DRIVES];
	unsigned sel;			/* the DEV bit */
	uint8_t ctl;			/* device control as last written */
	bool line;			/* the IRQ line as last driven */
	uint8_t bm_cmd, bm_status;
	uint32_t bm_prd;
	bool bm_dma;			/* a command of this channel uses the PRDs */
	uint32_t bm_total;		/* bytes the PRD table describes */
};

struct ide_ops {
	/* The controller's lock (the machine's device lock). */
	void (*lock)(void *opaque);
	void (*unlock)(void *opaque);
	/* The ISA interrupt `irq` (14, 15) is now `level`. */
	void (*set_irq)(void *opaque, unsigned irq, bool level);
};

struct ide {
	struct pci_dev pci;
	const struct gmem *mem;
	struct ide_ops ops;
	void *opaque;
	struct ide_channel ch[IDE_CHANNELS];
	struct iovec iov[ATA_MAX_IOV];	/* scratch for one command */
};

/*
 * Builds the controller, adds it to `bus` at slot/fn (slot -1: the
 * first free) and claims the legacy ports on `pio`.  Returns the devfn or
 * -errno.  Without the lock, before the vCPUs run.
 */
int ide_init(struct ide *ide, const struct gmem *mem, const struct ide_ops *ops,
	     void *opaque, struct pci_bus *bus, int slot, unsigned fn, struct pio_bus *pio);

/*
 * A drive on channel `ch` (0/1), device `dev` (0 master, 1 slave; the
 * master first): `cfg` as for ata_drive_create() without ops/opaque, no
 * NCQ.  0 or -errno.
 */
int ide_attach(struct ide *ide, unsigned ch, unsigned dev, const struct ata_drive_config *cfg);

struct ata_drive *ide_drive(struct ide *ide, unsigned ch, unsigned dev);

/* The pio_io_fn of the command block (opaque: the channel), for tests and wrappers. */
int ide_cmd_io(void *opaque, uint16_t off, unsigned size, bool write, uint32_t *data);
/* The control block's one port (alternate status / device control). */
int ide_ctl_io(void *opaque, uint16_t off, unsigned size, bool write, uint32_t *data);

void ide_stop(struct ide *ide);
void ide_destroy(struct ide *ide);

/*
 * Section "ide" / devfn, the PCI function, then each drive
 * (ata_drive_save() id ch << 9 | dev << 8 | devfn).  After ide_stop();
 * -EBUSY while a command is on the host.  A PIO phase the guest is in
 * and a DMA command waiting for the bus master are state.
 */
int ide_save(const struct ide *ide, struct state_writer *w);
int ide_load(struct ide *ide, struct state_reader *r);

#endif
