/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * devices/pci.h - PCI bus 0: the host bridge, configuration space (port
 * mechanism #1 at 0xcf8/0xcfc and ECAM), BAR decoding, INTx routing and
 * MSI-X.
 *
 * References: PCI Local Bus Specification 3.0 ("PCI 3.0"): 3.2.2.3.2
 * configuration mechanism #1, 6.1 the type 0 header, 6.2.5 base address
 * registers, 6.7 capabilities list, 6.8.2 MSI-X; PCI Express Base
 * Specification 4.0 ("PCIe"): 7.2.2 the Enhanced Configuration Access
 * Mechanism (ECAM), 7.5.1 the common header.
 *
 * Model
 *  - One bus (0), 32 devices x 8 functions.  Each function has a 4 KiB
 *    configuration space (PCIe extended space; offsets 0x100 and up read 0
 *    unless a device fills them), a write mask (bits the guest may change)
 *    and a write-1-to-clear mask.  00.0 is the host bridge.
 *  - BARs decode only while the command register enables memory (bit 1)
 *    or I/O (bit 0) space, and only at a non-zero address.  The BAR
 *    register itself is the only state: moving a BAR is a config write,
 *    nothing to re-register.
 *  - MSI-X table and PBA accesses inside the BAR that holds them are
 *    served here; the device's BAR callback never sees them.
 *  - INTx: pin INTA..INTD of device `slot` drives GSI
 *    intx_gsi[(slot + pin - 1) % 4] (the usual swizzle; defaults 16..19,
 *    I/O APIC pins above the ISA ones, level-triggered, active high at the
 *    I/O APIC input as asserted/deasserted).  Lines shared by several
 *    devices are wire-ORed here; set_irq() is called on changes only.
 *    pci_intx_gsi() gives the map for the ACPI _PRT.
 *
 * Threads: not thread-safe.  The caller serialises every entry point
 * (pci_mmio, pci_pio, pci_cfg_io, pci_cfg_access, pci_set_irq,
 * pci_msix_notify, and the device models' own entries) with one device
 * lock.  The bus callbacks msi() and set_irq(), and the device callbacks,
 * run with that lock held and must not call back into the bus.
 *
 * Plain C, no GLib, host-tested (tests/devices/pci-test.c).
 */
#ifndef VMAIN_MONITOR_DEVICES_PCI_H
#define VMAIN_MONITOR_DEVICES_PCI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "devices/pio.h"

#define PCI_CFG_SIZE		4096	/* PCIe extended configuration space */
#define PCI_CFG_LEGACY_SIZE	256
#define PCI_NR_DEVFN		256
#define PCI_DEVFN(slot, fn)	((uint8_t)(((slot) << 3) | (fn)))

/* Type 0 header offsets (PCI 3.0 6.1, figure 6-1). */
#define PCI_VENDOR_ID		0x00
#define PCI_DEVICE_ID		0x02
#define PCI_COMMAND		0x04
#define PCI_STATUS		0x06
#define PCI_REVISION_ID		0x08
#define PCI_CLASS_PROG		0x09	/* class code: 0x09 prog-if, 0x0a sub, 0x0b base */
#define PCI_CACHE_LINE_SIZE	0x0c
#define PCI_LATENCY_TIMER	0x0d
#define PCI_HEADER_TYPE		0x0e
#define PCI_BAR0		0x10	/* 6 dwords */
#define PCI_SUBSYSTEM_VENDOR_ID	0x2c
#define PCI_SUBSYSTEM_ID	0x2e
#define PCI_ROM_ADDRESS		0x30
#define PCI_CAPABILITY_LIST	0x34
#define PCI_INTERRUPT_LINE	0x3c
#define PCI_INTERRUPT_PIN	0x3d

#define PCI_COMMAND_IO		0x0001
#define PCI_COMMAND_MEMORY	0x0002
#define PCI_COMMAND_MASTER	0x0004
#define PCI_COMMAND_SERR	0x0100
#define PCI_COMMAND_INTX_DISABLE 0x0400

#define PCI_STATUS_INTERRUPT	0x0008
#define PCI_STATUS_CAP_LIST	0x0010

#define PCI_HEADER_MULTI_FUNCTION 0x80

/* Capability IDs (PCI Code and ID Assignment Specification). */
#define PCI_CAP_ID_MSI		0x05
#define PCI_CAP_ID_VNDR		0x09
#define PCI_CAP_ID_MSIX		0x11

/* MSI-X capability (PCI 3.0 6.8.2.1-6.8.2.5). */
#define PCI_MSIX_FLAGS		2	/* message control, 16 bits */
#define PCI_MSIX_TABLE		4	/* table offset | BIR */
#define PCI_MSIX_PBA		8	/* PBA offset | BIR */
#define PCI_MSIX_CAP_LEN	12
#define PCI_MSIX_FLAGS_QSIZE	0x07ff
#define PCI_MSIX_FLAGS_MASKALL	0x4000
#define PCI_MSIX_FLAGS_ENABLE	0x8000
#define PCI_MSIX_ENTRY_SIZE	16
#define PCI_MSIX_ENTRY_CTRL_MASKBIT 1
#define PCI_MSIX_MAX_VECTORS	64	/* this model's limit (spec: 2048) */

/* MSI capability, 64-bit address, no per-vector masking (PCI 3.0 6.8.1). */
#define PCI_MSI_FLAGS		2	/* message control, 16 bits */
#define PCI_MSI_ADDR_LO		4
#define PCI_MSI_ADDR_HI		8
#define PCI_MSI_DATA_64		12
#define PCI_MSI_CAP_LEN		14
#define PCI_MSI_FLAGS_ENABLE	0x0001
#define PCI_MSI_FLAGS_64BIT	0x0080

/* BAR kinds for pci_bar_init(). */
enum pci_bar_type {
	PCI_BAR_NONE = 0,
	PCI_BAR_IO,		/* I/O space, 32-bit register, 16-bit ports on x86 */
	PCI_BAR_MEM32,
	PCI_BAR_MEM64,		/* uses this BAR and the next one */
};

/* Returns of pci_mmio() / pci_pio() for an address nobody decodes. */
#define PCI_UNCLAIMED		1

struct pci_dev;

/*
 * A BAR's access callback: `offset` into the BAR, `size` 1, 2, 4 or 8, the
 * access lies wholly inside the BAR.  On a write `*data` holds the value
 * (masked to size); on a read store it (pre-filled with all-ones).
 * Returns 0 or -errno (a read then gives all-ones unless stored).
 */
typedef int (*pci_bar_fn)(void *opaque, unsigned bar, uint64_t offset,
			  unsigned size, bool write, uint64_t *data);

struct pci_bar {
	enum pci_bar_type type;
	bool prefetchable;
	uint64_t size;		/* power of two; 0 = unimplemented */
	pci_bar_fn io;
	void *opaque;
};

/* Optional per-function hooks. */
struct pci_dev_ops {
	/*
	 * A config read of [off, off + size) (size 1/2/4, within one dword):
	 * return 1 after storing *val to override the stored bytes, 0 to
	 * read them.
	 */
	int (*cfg_read)(struct pci_dev *dev, uint32_t off, unsigned size,
			uint32_t *val);
	/* Called after a config write has been applied to the stored bytes. */
	void (*cfg_write)(struct pci_dev *dev, uint32_t off, unsigned size,
			  uint32_t val);
	/* pci_bus_reset(): the function's own state back to power-on. */
	void (*reset)(struct pci_dev *dev);
};

struct pci_msix {
	unsigned nvec;		/* 0: no MSI-X */
	uint8_t cap;		/* config offset of the capability */
	uint8_t bar;		/* BIR of both table and PBA */
	uint32_t table_off, pba_off;
	uint8_t table[PCI_MSIX_MAX_VECTORS * PCI_MSIX_ENTRY_SIZE];
	uint64_t pending;	/* PBA bits */
};

struct pci_bus;

struct pci_dev {
	struct pci_bus *bus;	/* set by pci_bus_add() */
	uint8_t devfn;
	const struct pci_dev_ops *ops;
	void *opaque;		/* the device model's, for its ops */
	struct pci_bar bars[6];
	struct pci_bar rom;	/* the expansion ROM (pci_rom_init()); size 0: none */
	struct pci_msix msix;
	uint8_t msi_cap;	/* config offset of the MSI capability; 0: none */
	uint8_t next_cap;	/* first free config offset for pci_add_cap() */
	bool intx_level;	/* the device's INTx output (before INTX_DISABLE) */
	bool intx_driven;	/* what the bus currently counts for it */
	uint8_t cfg[PCI_CFG_SIZE];
	uint8_t wmask[PCI_CFG_SIZE];	/* guest-writable bits */
	uint8_t w1cmask[PCI_CFG_SIZE];	/* write-1-to-clear bits */
	uint8_t cfg_reset[PCI_CFG_SIZE];	/* power-on image, pci_bus_add() */
};

struct pci_bus_ops {
	/* Deliver an MSI/MSI-X message: write `data` to `addr` (0xfeexxxxx). */
	void (*msi)(void *opaque, uint64_t addr, uint32_t data);
	/* The wire-OR of the INTx lines routed to `gsi` changed to `level`. */
	void (*set_irq)(void *opaque, unsigned gsi, bool level);
};

struct pci_bus {
	struct pci_bus_ops ops;
	void *opaque;
	uint64_t ecam_base;		/* MEMMAP_ECAM_BASE by default */
	uint64_t ecam_size;		/* 1 MiB: bus 0 only */
	uint32_t config_address;	/* the 0xcf8 register */
	unsigned intx_gsi[4];		/* GSI of swizzled INTA..INTD */
	unsigned intx_count[4];		/* asserting functions per line */
	struct pci_dev *devs[PCI_NR_DEVFN];
	struct pci_dev host_bridge;	/* 00.0 */
};

/*
 * Host bridge identity: Red Hat's 1b36:0008 "PCIe host bridge", the id
 * block assigned to virtual hardware.  A generic id on purpose: a real
 * chipset's id (e.g. Intel's 8086:29c0) makes guests bind chipset
 * drivers (AGP, EDAC) and apply quirks that poke registers we lack.
 */
#define PCI_HOST_BRIDGE_VENDOR	0x1b36
#define PCI_HOST_BRIDGE_DEVICE	0x0008
#define PCI_CLASS_HOST_BRIDGE	0x060000

/*
 * Sets up an empty bus 0 with the host bridge at 00.0, ECAM at
 * MEMMAP_ECAM_BASE (1 MiB) and INTx lines on GSIs 16-19.
 */
void pci_bus_init(struct pci_bus *bus, const struct pci_bus_ops *ops,
		  void *opaque);

/* Claims ports 0xcf8-0xcff on `pio` for pci_cfg_io() (see the note there). */
int pci_bus_register_ports(struct pci_bus *bus, struct pio_bus *pio);

/*
 * The pio_io_fn for configuration mechanism #1 (opaque = the bus), ports
 * 0xcf8-0xcff as offsets 0-7 (PCI 3.0 3.2.2.3.2): CONFIG_ADDRESS takes
 * dword accesses at 0xcf8 only (other sizes read all-ones, writes
 * dropped); CONFIG_DATA takes 1/2/4-byte accesses at 0xcfc-0xcff that stay
 * inside the dword.  pci_bus_register_ports() registers it directly; a
 * caller with concurrent vCPUs registers its own wrapper that takes the
 * device lock and calls this.
 */
int pci_cfg_io(void *opaque, uint16_t port_offset, unsigned size,
	       bool write, uint32_t *data);

/*
 * One configuration access to bus 0 `devfn`, register `reg` (0-4095),
 * `size` 1/2/4, not crossing a dword.  Reads of a missing function give
 * all-ones, writes to it are dropped.  Returns 0, or -EINVAL for a bad
 * size/alignment/offset (read: all-ones).
 */
int pci_cfg_access(struct pci_bus *bus, uint8_t devfn, uint32_t reg,
		   unsigned size, bool write, uint32_t *data);

/*
 * One guest MMIO access (size 1, 2, 4 or 8) at `gpa`: to ECAM, or to the
 * memory BAR of a function with memory decode enabled.  Returns 0,
 * PCI_UNCLAIMED (read: all-ones; write dropped) if nothing decodes `gpa`,
 * or -errno (bad size; an access running past the BAR's end).
 */
int pci_mmio(struct pci_bus *bus, uint64_t gpa, unsigned size, bool write,
	     uint64_t *data);

/*
 * One guest port access to an I/O BAR.  Call it for ports that
 * pio_bus_dispatch() reports PIO_UNCLAIMED.  Same returns as pci_mmio().
 */
int pci_pio(struct pci_bus *bus, uint16_t port, unsigned size, bool write,
	    uint32_t *data);

/* GSI driven by INT`pin` (1 = INTA .. 4 = INTD) of device `slot`. */
unsigned pci_intx_gsi(const struct pci_bus *bus, unsigned slot, unsigned pin);

/*
 * Firmware-style resource assignment: gives every unassigned BAR of every
 * function an address in [mmio_base, mmio_base + mmio_size) or
 * [io_base, io_base + io_size), naturally aligned, and enables memory/I/O
 * decode and bus mastering.  For direct kernel boot without firmware.
 * Returns 0 or -ENOSPC.
 */
int pci_bus_assign(struct pci_bus *bus, uint64_t mmio_base, uint64_t mmio_size,
		   uint16_t io_base, uint32_t io_size);

/* Every function's config space back to its pci_bus_add() image, ops->reset. */
void pci_bus_reset(struct pci_bus *bus);

/* --- building a function (before pci_bus_add) ------------------------- */

/*
 * A type 0 header: ids, 24-bit class code (base << 16 | sub << 8 |
 * prog-if), revision, subsystem ids, interrupt pin (0 none, 1 INTA..4).
 * Command (I/O, memory, master, SERR, INTx disable) and the interrupt line
 * are writable; everything else read-only.
 */
void pci_dev_init(struct pci_dev *dev, uint16_t vendor, uint16_t device,
		  uint32_t class_code, uint8_t revision, uint16_t subsys_vendor,
		  uint16_t subsys_id, uint8_t int_pin);

/*
 * Declares BAR `idx` (0-5; a 64-bit BAR takes idx and idx + 1).  `size`
 * must be a power of two, >= 16 for memory (>= 4 KiB recommended), >= 4
 * and <= 256 for I/O.  Sizing (PCI 3.0 6.2.5.1): the address bits below
 * `size` are read-only zero, so writing all-ones reads back the size mask.
 * Returns 0 or -EINVAL.
 */
int pci_bar_init(struct pci_dev *dev, unsigned idx, enum pci_bar_type type,
		 bool prefetchable, uint64_t size, pci_bar_fn io, void *opaque);

/*
 * The expansion ROM BAR at config offset 0x30 (PCI 3.0 6.2.5.2), `size`
 * a power of two from 2 KiB to 16 MiB: address bits above the size and
 * the enable bit (0) are writable.  It decodes (read-only: the callback
 * gets BAR index PCI_ROM_BAR) while both the enable bit and memory space
 * are on.  Returns 0 or -EINVAL.
 */
#define PCI_ROM_BAR		6
#define PCI_ROM_ADDRESS_ENABLE	0x1u
int pci_rom_init(struct pci_dev *dev, uint64_t size, pci_bar_fn io, void *opaque);

/* The current address of BAR `idx` (0 if unassigned/unimplemented; PCI_ROM_BAR: the ROM's). */
uint64_t pci_bar_addr(const struct pci_dev *dev, unsigned idx);

/*
 * Appends a capability of `len` bytes (header included) with ID `id` to
 * the list (PCI 3.0 6.7).  Returns its config offset (dword aligned, at
 * 0x40 or above) or -ENOSPC.  The body is read-only until the caller sets
 * wmask bits; fill it with pci_cfg_set*().
 */
int pci_add_cap(struct pci_dev *dev, uint8_t id, uint8_t len);

/*
 * MSI-X with `nvec` vectors (1..PCI_MSIX_MAX_VECTORS), table at
 * `table_off` and PBA at `pba_off` in BAR `bar` (both 8-byte aligned, the
 * table 16 * nvec bytes, the PBA 8 bytes, inside the BAR, BAR declared
 * first).  Every vector starts masked.  Returns 0 or -EINVAL/-ENOSPC.
 */
int pci_msix_init(struct pci_dev *dev, unsigned nvec, unsigned bar,
		  uint32_t table_off, uint32_t pba_off);

/*
 * An MSI capability with one message and a 64-bit address (PCI 3.0
 * 6.8.1): the enable bit, the address (dword aligned) and the data are
 * guest-writable; multiple messages and per-vector masking are not
 * offered.  Returns the capability's config offset or -ENOSPC.
 */
int pci_msi_init(struct pci_dev *dev);

/*
 * Adds `dev` as bus 0 slot `slot` (0-31; -1: first free slot above 0)
 * function `fn`.  Sets function 0's multi-function bit when fn > 0.
 * Returns the devfn (>= 0), or -EEXIST/-ENOSPC/-EINVAL.
 */
int pci_bus_add(struct pci_bus *bus, struct pci_dev *dev, int slot,
		unsigned fn);

/* --- device-side run-time helpers ------------------------------------ */

/*
 * Drives the function's INTx output.  The line reaches set_irq() unless
 * the command register's INTx disable bit is set; status bit 3 follows
 * the output (PCI 3.0 6.2.3).
 */
void pci_set_irq(struct pci_dev *dev, bool level);

/* MSI-X enabled by the guest (message control bit 15)? */
bool pci_msix_enabled(const struct pci_dev *dev);

/*
 * Signals MSI-X `vector`: delivered through ops.msi() unless the
 * function or the vector is masked, in which case its PBA bit is set and
 * it goes out when unmasked (PCI 3.0 6.8.2.9).  Returns 0, -EINVAL for a
 * vector >= nvec, -ENOENT if MSI-X is disabled.
 */
int pci_msix_notify(struct pci_dev *dev, unsigned vector);

/* MSI enabled by the guest (message control bit 0)? */
bool pci_msi_enabled(const struct pci_dev *dev);

/*
 * Sends the function's MSI message through ops.msi() (PCI 3.0 6.8.3.3:
 * the data as programmed, one message).  Returns 0, or -ENOENT when MSI
 * is absent or disabled (the caller uses INTx then).  A function with
 * MSI enabled must not drive INTx (PCI 3.0 6.8.1.3): the caller keeps
 * its line low.
 */
int pci_msi_notify(struct pci_dev *dev);

/* Raw config-space helpers (little-endian, no masks, no side effects). */
static inline void pci_cfg_set8(struct pci_dev *d, uint32_t off, uint8_t v)
{
	d->cfg[off] = v;
}

static inline void pci_cfg_set16(struct pci_dev *d, uint32_t off, uint16_t v)
{
	d->cfg[off] = (uint8_t)v;
	d->cfg[off + 1] = (uint8_t)(v >> 8);
}

static inline void pci_cfg_set32(struct pci_dev *d, uint32_t off, uint32_t v)
{
	pci_cfg_set16(d, off, (uint16_t)v);
	pci_cfg_set16(d, off + 2, (uint16_t)(v >> 16));
}

static inline uint16_t pci_cfg_get16(const struct pci_dev *d, uint32_t off)
{
	return (uint16_t)(d->cfg[off] | d->cfg[off + 1] << 8);
}

static inline uint32_t pci_cfg_get32(const struct pci_dev *d, uint32_t off)
{
	return pci_cfg_get16(d, off) | (uint32_t)pci_cfg_get16(d, off + 2) << 16;
}

/* Marks config bits guest-writable (`mask` ORed into the write mask). */
static inline void pci_wmask_set(struct pci_dev *d, uint32_t off, unsigned len,
				 uint32_t mask)
{
	unsigned i;

	for (i = 0; i < len; i++)
		d->wmask[off + i] |= (uint8_t)(mask >> (8 * i));
}

/*
 * Performs an access to BAR `idx` as if decoded (MSI-X regions included),
 * regardless of the command register: for config-space windows such as
 * virtio's VIRTIO_PCI_CAP_PCI_CFG.  Returns as pci_mmio().
 */
int pci_bar_access(struct pci_dev *dev, unsigned idx, uint64_t offset,
		   unsigned size, bool write, uint64_t *data);

/* --- save and restore (state/stream.h) -------------------------------- */

struct state_writer;
struct state_reader;

/*
 * One function's state as section "pci-fn" / devfn: its configuration
 * space (BAR addresses, command, capabilities the guest wrote), the MSI-X
 * table and pending bits, and its INTx output.  The load refuses a
 * section whose read-only configuration bits (ids, class, BAR types,
 * capability layout) differ from this function's: another device.  It
 * changes `dev` only on success, and does not touch the bus: the bus's
 * line counts are rebuilt by pci_bus_load(), and the interrupt
 * controllers restore their own input levels.  Saves return 0 or the
 * writer's error.
 */
int pci_dev_save(const struct pci_dev *dev, struct state_writer *w);
int pci_dev_load(struct pci_dev *dev, struct state_reader *r);

/*
 * The bus's own state (section "pci-bus": CONFIG_ADDRESS) and the host
 * bridge's function.  Load it after every other function on the bus: it
 * recounts the INTx lines from the loaded functions (without calling
 * set_irq()).
 */
int pci_bus_save(const struct pci_bus *bus, struct state_writer *w);
int pci_bus_load(struct pci_bus *bus, struct state_reader *r);

#endif
