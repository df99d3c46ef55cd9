// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * devices/pci.c - PCI bus 0, host bridge, config space, BARs, INTx, MSI-X
 * (see pci.h for the model and the references).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "devices/pci.h"
#include "state/stream.h"
#include "machine/memmap.h"

static uint64_t ones(unsigned size)
{
	return size >= 8 ? ~0ull : (1ull << (8 * size)) - 1;
}

static bool mmio_size_ok(unsigned size)
{
	return size == 1 || size == 2 || size == 4 || size == 8;
}

/* --- building functions ------------------------------------------------ */

void pci_dev_init(struct pci_dev *dev, uint16_t vendor, uint16_t device,
		  uint32_t class_code, uint8_t revision, uint16_t subsys_vendor,
		  uint16_t subsys_id, uint8_t int_pin)
{
	memset(dev, 0, sizeof(*dev));
	pci_cfg_set16(dev, PCI_VENDOR_ID, vendor);
	pci_cfg_set16(dev, PCI_DEVICE_ID, device);
	pci_cfg_set8(dev, PCI_REVISION_ID, revision);
	pci_cfg_set8(dev, PCI_CLASS_PROG, (uint8_t)class_code);
	pci_cfg_set16(dev, PCI_CLASS_PROG + 1, (uint16_t)(class_code >> 8));
	pci_cfg_set16(dev, PCI_SUBSYSTEM_VENDOR_ID, subsys_vendor);
	pci_cfg_set16(dev, PCI_SUBSYSTEM_ID, subsys_id);
	pci_cfg_set8(dev, PCI_INTERRUPT_PIN, int_pin <= 4 ? int_pin : 0);
	/* PCI 3.0 6.2.2: the command bits this model implements. */
	pci_wmask_set(dev, PCI_COMMAND, 2, PCI_COMMAND_IO | PCI_COMMAND_MEMORY |
		      PCI_COMMAND_MASTER | PCI_COMMAND_SERR |
		      PCI_COMMAND_INTX_DISABLE);
	/* Cache line size and latency timer: plain read/write registers. */
	pci_wmask_set(dev, PCI_CACHE_LINE_SIZE, 2, 0xffff);
	/* PCI 3.0 6.2.4: interrupt line is a scratch byte for the OS. */
	if (int_pin)
		pci_wmask_set(dev, PCI_INTERRUPT_LINE, 1, 0xff);
	dev->next_cap = 0x40;
}

int pci_bar_init(struct pci_dev *dev, unsigned idx, enum pci_bar_type type,
		 bool prefetchable, uint64_t size, pci_bar_fn io, void *opaque)
{
	uint32_t off = PCI_BAR0 + 4 * idx;
	uint64_t mask;

	if (idx >= 6 || !io || !size || (size & (size - 1)))
		return -EINVAL;
	if (dev->bars[idx].type != PCI_BAR_NONE)
		return -EINVAL;
	switch (type) {
	case PCI_BAR_IO:
		if (size < 4 || size > 256)
			return -EINVAL;
		/* PCI 3.0 6.2.5.1: bit 0 = 1 for I/O space. */
		pci_cfg_set32(dev, off, 1);
		pci_wmask_set(dev, off, 4, (uint32_t)~(size - 1) & 0xfffffffcu);
		break;
	case PCI_BAR_MEM32:
		if (size < 16 || size > 0x80000000ull)
			return -EINVAL;
		pci_cfg_set32(dev, off, prefetchable ? 0x8 : 0);
		pci_wmask_set(dev, off, 4, (uint32_t)~(size - 1) & 0xfffffff0u);
		break;
	case PCI_BAR_MEM64:
		if (idx >= 5 || size < 16 || dev->bars[idx + 1].type != PCI_BAR_NONE)
			return -EINVAL;
		/* Type 10b = 64-bit; the next BAR holds the high dword. */
		pci_cfg_set32(dev, off, 0x4 | (prefetchable ? 0x8 : 0));
		mask = ~(size - 1);
		pci_wmask_set(dev, off, 4, (uint32_t)mask & 0xfffffff0u);
		pci_wmask_set(dev, off + 4, 4, (uint32_t)(mask >> 32));
		/* Mark the upper half used so nothing else claims it. */
		dev->bars[idx + 1].type = PCI_BAR_MEM64;
		dev->bars[idx + 1].size = 0;
		break;
	default:
		return -EINVAL;
	}
	dev->bars[idx] = (struct pci_bar){
		.type = type, .prefetchable = prefetchable, .size = size,
		.io = io, .opaque = opaque,
	};
	return 0;
}

int pci_rom_init(struct pci_dev *dev, uint64_t size, pci_bar_fn io, void *opaque)
{
	if (!io || size < 2048 || size > 0x1000000 || (size & (size - 1)) || dev->rom.size)
		return -EINVAL;
	/* PCI 3.0 6.2.5.2: address bits 31:11 above the size, and bit 0 the decode enable. */
	pci_cfg_set32(dev, PCI_ROM_ADDRESS, 0);
	pci_wmask_set(dev, PCI_ROM_ADDRESS, 4,
		      ((uint32_t)~(size - 1) & 0xfffff800u) | PCI_ROM_ADDRESS_ENABLE);
	dev->rom = (struct pci_bar){
		.type = PCI_BAR_MEM32, .size = size, .io = io, .opaque = opaque,
	};
	return 0;
}

uint64_t pci_bar_addr(const struct pci_dev *dev, unsigned idx)
{
	const struct pci_bar *b;
	uint32_t off = PCI_BAR0 + 4 * idx;

	if (idx == PCI_ROM_BAR)
		return dev->rom.size ? pci_cfg_get32(dev, PCI_ROM_ADDRESS) & 0xfffff800u : 0;
	if (idx >= 6)
		return 0;
	b = &dev->bars[idx];
	if (!b->size)
		return 0;
	switch (b->type) {
	case PCI_BAR_IO:
		return pci_cfg_get32(dev, off) & 0xfffffffcu;
	case PCI_BAR_MEM32:
		return pci_cfg_get32(dev, off) & 0xfffffff0u;
	case PCI_BAR_MEM64:
		return (pci_cfg_get32(dev, off) & 0xfffffff0u) |
		       (uint64_t)pci_cfg_get32(dev, off + 4) << 32;
	default:
		return 0;
	}
}

int pci_add_cap(struct pci_dev *dev, uint8_t id, uint8_t len)
{
	unsigned off = dev->next_cap, p;

	if (len < 2 || off + len > PCI_CFG_LEGACY_SIZE)
		return -ENOSPC;
	/* Append: walk to the last entry (PCI 3.0 6.7). */
	if (!(dev->cfg[PCI_STATUS] & PCI_STATUS_CAP_LIST)) {
		dev->cfg[PCI_CAPABILITY_LIST] = (uint8_t)off;
		dev->cfg[PCI_STATUS] |= PCI_STATUS_CAP_LIST;
	} else {
		p = dev->cfg[PCI_CAPABILITY_LIST];
		while (dev->cfg[p + 1])
			p = dev->cfg[p + 1];
		dev->cfg[p + 1] = (uint8_t)off;
	}
	dev->cfg[off] = id;
	dev->cfg[off + 1] = 0;
	dev->next_cap = (uint8_t)((off + len + 3) & ~3u);
	if (off + len + 3 >= PCI_CFG_LEGACY_SIZE)
		dev->next_cap = 0xfc;	/* full: further adds fail */
	return (int)off;
}

int pci_msix_init(struct pci_dev *dev, unsigned nvec, unsigned bar,
		  uint32_t table_off, uint32_t pba_off)
{
	struct pci_bar *b;
	unsigned i;
	int cap;

	if (!nvec || nvec > PCI_MSIX_MAX_VECTORS || bar >= 6)
		return -EINVAL;
	b = &dev->bars[bar];
	if (!b->size || b->type == PCI_BAR_IO || (table_off | pba_off) & 7)
		return -EINVAL;
	if ((uint64_t)table_off + nvec * PCI_MSIX_ENTRY_SIZE > b->size ||
	    (uint64_t)pba_off + 8 > b->size)
		return -EINVAL;
	if (pba_off < table_off + nvec * PCI_MSIX_ENTRY_SIZE &&
	    table_off < pba_off + 8)
		return -EINVAL;
	cap = pci_add_cap(dev, PCI_CAP_ID_MSIX, PCI_MSIX_CAP_LEN);
	if (cap < 0)
		return cap;
	pci_cfg_set16(dev, cap + PCI_MSIX_FLAGS, (uint16_t)(nvec - 1));
	pci_cfg_set32(dev, cap + PCI_MSIX_TABLE, table_off | bar);
	pci_cfg_set32(dev, cap + PCI_MSIX_PBA, pba_off | bar);
	pci_wmask_set(dev, cap + PCI_MSIX_FLAGS, 2,
		      PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
	dev->msix.nvec = nvec;
	dev->msix.cap = (uint8_t)cap;
	dev->msix.bar = (uint8_t)bar;
	dev->msix.table_off = table_off;
	dev->msix.pba_off = pba_off;
	memset(dev->msix.table, 0, sizeof(dev->msix.table));
	/* PCI 3.0 6.8.2.9: each vector's mask bit is set after reset. */
	for (i = 0; i < nvec; i++)
		dev->msix.table[i * PCI_MSIX_ENTRY_SIZE + 12] = PCI_MSIX_ENTRY_CTRL_MASKBIT;
	dev->msix.pending = 0;
	return 0;
}

int pci_msi_init(struct pci_dev *dev)
{
	int cap = pci_add_cap(dev, PCI_CAP_ID_MSI, PCI_MSI_CAP_LEN);

	if (cap < 0)
		return cap;
	/* Multiple Message Capable 0 (one vector), 64-bit address capable. */
	pci_cfg_set16(dev, cap + PCI_MSI_FLAGS, PCI_MSI_FLAGS_64BIT);
	pci_wmask_set(dev, cap + PCI_MSI_FLAGS, 2, PCI_MSI_FLAGS_ENABLE);
	/* Message address bits 1:0 are reserved, read 0 (6.8.1.4). */
	pci_wmask_set(dev, cap + PCI_MSI_ADDR_LO, 4, 0xfffffffcu);
	pci_wmask_set(dev, cap + PCI_MSI_ADDR_HI, 4, 0xffffffffu);
	pci_wmask_set(dev, cap + PCI_MSI_DATA_64, 2, 0xffff);
	dev->msi_cap = (uint8_t)cap;
	return cap;
}

/* --- the bus ----------------------------------------------------------- */

void pci_bus_init(struct pci_bus *bus, const struct pci_bus_ops *ops,
		  void *opaque)
{
	unsigned i;

	memset(bus, 0, sizeof(*bus));
	if (ops)
		bus->ops = *ops;
	bus->opaque = opaque;
	bus->ecam_base = MEMMAP_ECAM_BASE;
	bus->ecam_size = MEMMAP_ECAM_SIZE;
	for (i = 0; i < 4; i++)
		bus->intx_gsi[i] = 16 + i;
	pci_dev_init(&bus->host_bridge, PCI_HOST_BRIDGE_VENDOR,
		     PCI_HOST_BRIDGE_DEVICE, PCI_CLASS_HOST_BRIDGE, 0,
		     PCI_HOST_BRIDGE_VENDOR, 0x1100, 0);
	pci_bus_add(bus, &bus->host_bridge, 0, 0);
}

int pci_bus_add(struct pci_bus *bus, struct pci_dev *dev, int slot,
		unsigned fn)
{
	struct pci_dev *f0;
	uint8_t devfn;

	if (fn > 7 || slot > 31 || slot < -1)
		return -EINVAL;
	if (slot < 0) {
		for (slot = 1; slot < 32; slot++)
			if (!bus->devs[PCI_DEVFN(slot, fn)])
				break;
		if (slot == 32)
			return -ENOSPC;
	}
	devfn = PCI_DEVFN(slot, fn);
	if (bus->devs[devfn])
		return -EEXIST;
	dev->bus = bus;
	dev->devfn = devfn;
	if (dev->cfg[PCI_INTERRUPT_PIN])
		dev->cfg[PCI_INTERRUPT_LINE] = (uint8_t)
			pci_intx_gsi(bus, (unsigned)slot, dev->cfg[PCI_INTERRUPT_PIN]);
	memcpy(dev->cfg_reset, dev->cfg, sizeof(dev->cfg));
	bus->devs[devfn] = dev;
	f0 = bus->devs[PCI_DEVFN(slot, 0)];
	if (fn && f0) {
		f0->cfg[PCI_HEADER_TYPE] |= PCI_HEADER_MULTI_FUNCTION;
		f0->cfg_reset[PCI_HEADER_TYPE] |= PCI_HEADER_MULTI_FUNCTION;
	}
	return devfn;
}

int pci_bus_register_ports(struct pci_bus *bus, struct pio_bus *pio)
{
	return pio_bus_register(pio, PORT_PCI_CONFIG_ADDR, 8, pci_cfg_io, bus,
				"pci-config");
}

unsigned pci_intx_gsi(const struct pci_bus *bus, unsigned slot, unsigned pin)
{
	if (pin < 1 || pin > 4)
		return 0;
	return bus->intx_gsi[(slot + pin - 1) & 3];
}

/* --- INTx -------------------------------------------------------------- */

static void intx_update(struct pci_dev *dev)
{
	struct pci_bus *bus = dev->bus;
	bool out = dev->intx_level &&
		   !(pci_cfg_get16(dev, PCI_COMMAND) & PCI_COMMAND_INTX_DISABLE);
	unsigned pin = dev->cfg[PCI_INTERRUPT_PIN], line;

	/* Status bit 3 reflects the function's interrupt, disable or not. */
	if (dev->intx_level)
		dev->cfg[PCI_STATUS] |= PCI_STATUS_INTERRUPT;
	else
		dev->cfg[PCI_STATUS] &= (uint8_t)~PCI_STATUS_INTERRUPT;
	if (!bus || !pin || out == dev->intx_driven)
		return;
	dev->intx_driven = out;
	line = ((dev->devfn >> 3) + pin - 1) & 3;
	if (out) {
		if (bus->intx_count[line]++ == 0 && bus->ops.set_irq)
			bus->ops.set_irq(bus->opaque, bus->intx_gsi[line], true);
	} else {
		if (--bus->intx_count[line] == 0 && bus->ops.set_irq)
			bus->ops.set_irq(bus->opaque, bus->intx_gsi[line], false);
	}
}

void pci_set_irq(struct pci_dev *dev, bool level)
{
	dev->intx_level = level;
	intx_update(dev);
}

/* --- MSI-X ------------------------------------------------------------- */

bool pci_msix_enabled(const struct pci_dev *dev)
{
	return dev->msix.nvec &&
	       (pci_cfg_get16(dev, dev->msix.cap + PCI_MSIX_FLAGS) &
		PCI_MSIX_FLAGS_ENABLE);
}

static bool msix_func_masked(const struct pci_dev *dev)
{
	return pci_cfg_get16(dev, dev->msix.cap + PCI_MSIX_FLAGS) &
	       PCI_MSIX_FLAGS_MASKALL;
}

static bool msix_vec_masked(const struct pci_dev *dev, unsigned v)
{
	return dev->msix.table[v * PCI_MSIX_ENTRY_SIZE + 12] &
	       PCI_MSIX_ENTRY_CTRL_MASKBIT;
}

static void msix_send(struct pci_dev *dev, unsigned v)
{
	const uint8_t *e = &dev->msix.table[v * PCI_MSIX_ENTRY_SIZE];
	uint64_t addr = 0;
	uint32_t data = 0;
	unsigned i;

	for (i = 0; i < 8; i++)
		addr |= (uint64_t)e[i] << (8 * i);
	for (i = 0; i < 4; i++)
		data |= (uint32_t)e[8 + i] << (8 * i);
	if (dev->bus && dev->bus->ops.msi)
		dev->bus->ops.msi(dev->bus->opaque, addr, data);
}

/* Sends the pending vectors that are now unmasked (PCI 3.0 6.8.2.9). */
static void msix_flush(struct pci_dev *dev)
{
	unsigned v;

	if (!pci_msix_enabled(dev) || msix_func_masked(dev))
		return;
	for (v = 0; v < dev->msix.nvec; v++) {
		if ((dev->msix.pending >> v & 1) && !msix_vec_masked(dev, v)) {
			dev->msix.pending &= ~(1ull << v);
			msix_send(dev, v);
		}
	}
}

int pci_msix_notify(struct pci_dev *dev, unsigned vector)
{
	if (vector >= dev->msix.nvec)
		return -EINVAL;
	if (!pci_msix_enabled(dev))
		return -ENOENT;
	if (msix_func_masked(dev) || msix_vec_masked(dev, vector)) {
		dev->msix.pending |= 1ull << vector;
		return 0;
	}
	msix_send(dev, vector);
	return 0;
}

/* --- MSI --------------------------------------------------------------- */

bool pci_msi_enabled(const struct pci_dev *dev)
{
	return dev->msi_cap &&
	       (pci_cfg_get16(dev, dev->msi_cap + PCI_MSI_FLAGS) & PCI_MSI_FLAGS_ENABLE);
}

int pci_msi_notify(struct pci_dev *dev)
{
	uint64_t addr;
	uint32_t data;

	if (!pci_msi_enabled(dev))
		return -ENOENT;
	addr = pci_cfg_get32(dev, dev->msi_cap + PCI_MSI_ADDR_LO) |
	       (uint64_t)pci_cfg_get32(dev, dev->msi_cap + PCI_MSI_ADDR_HI) << 32;
	data = pci_cfg_get16(dev, dev->msi_cap + PCI_MSI_DATA_64);
	if (dev->bus && dev->bus->ops.msi)
		dev->bus->ops.msi(dev->bus->opaque, addr, data);
	return 0;
}

/*
 * Table and PBA accesses (PCI 3.0 6.8.2): aligned dwords or qwords; other
 * accesses read all-ones and write nothing.  Returns 1 if `offset` was in
 * either structure (handled), 0 if not.
 */
static int msix_bar_access(struct pci_dev *dev, unsigned idx, uint64_t off,
			   unsigned size, bool write, uint64_t *data)
{
	struct pci_msix *m = &dev->msix;
	uint64_t tlen = (uint64_t)m->nvec * PCI_MSIX_ENTRY_SIZE;
	unsigned i;

	if (!m->nvec || idx != m->bar)
		return 0;
	if (off >= m->table_off && off < m->table_off + tlen) {
		uint64_t t = off - m->table_off;

		if ((size != 4 && size != 8) || (t & (size - 1))) {
			if (!write)
				*data = ones(size);
			return 1;
		}
		if (!write) {
			uint64_t v = 0;

			for (i = 0; i < size; i++)
				v |= (uint64_t)m->table[t + i] << (8 * i);
			*data = v;
			return 1;
		}
		for (i = 0; i < size; i++) {
			unsigned b = (unsigned)(t + i) % PCI_MSIX_ENTRY_SIZE;
			uint8_t val = (uint8_t)(*data >> (8 * i));

			/* Vector control: only the mask bit is implemented. */
			if (b == 12)
				val &= PCI_MSIX_ENTRY_CTRL_MASKBIT;
			else if (b > 12)
				val = 0;
			m->table[t + i] = val;
		}
		msix_flush(dev);
		return 1;
	}
	if (off >= m->pba_off && off < m->pba_off + 8) {
		uint64_t t = off - m->pba_off;

		/* The PBA is read-only; writes are ignored (6.8.2.10). */
		if (!write) {
			if ((size != 4 && size != 8) || (t & (size - 1)))
				*data = ones(size);
			else
				*data = (m->pending >> (8 * t)) & ones(size);
		}
		return 1;
	}
	return 0;
}

/* --- BAR dispatch ------------------------------------------------------ */

int pci_bar_access(struct pci_dev *dev, unsigned idx, uint64_t offset,
		   unsigned size, bool write, uint64_t *data)
{
	struct pci_bar *b;
	uint64_t v;
	int ret;

	if (!mmio_size_ok(size) || idx > PCI_ROM_BAR) {
		if (!write)
			*data = ~0ull;
		return -EINVAL;
	}
	b = idx == PCI_ROM_BAR ? &dev->rom : &dev->bars[idx];
	if (!b->size || !b->io || offset >= b->size || size > b->size - offset) {
		if (!write)
			*data = ones(size);
		return -EINVAL;
	}
	v = write ? *data & ones(size) : ones(size);
	if (msix_bar_access(dev, idx, offset, size, write, &v)) {
		ret = 0;
	} else {
		ret = b->io(b->opaque, idx, offset, size, write, &v);
	}
	if (!write)
		*data = v & ones(size);
	return ret < 0 ? ret : 0;
}

/* Finds the function and BAR decoding [addr, addr + 1) in memory or I/O space. */
static struct pci_dev *bar_lookup(struct pci_bus *bus, uint64_t addr, bool io,
				  unsigned *idx, uint64_t *off)
{
	unsigned d, i;

	for (d = 0; d < PCI_NR_DEVFN; d++) {
		struct pci_dev *dev = bus->devs[d];
		uint16_t cmd;

		if (!dev)
			continue;
		cmd = pci_cfg_get16(dev, PCI_COMMAND);
		if (!(cmd & (io ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY)))
			continue;
		for (i = 0; i < 6; i++) {
			struct pci_bar *b = &dev->bars[i];
			uint64_t base;

			if (!b->size || (b->type == PCI_BAR_IO) != io)
				continue;
			base = pci_bar_addr(dev, i);
			if (!base || base + b->size < base)
				continue;
			if (addr >= base && addr - base < b->size) {
				*idx = i;
				*off = addr - base;
				return dev;
			}
		}
		/* PCI 3.0 6.2.5.2: the ROM decodes with memory space and its own enable bit. */
		if (!io && dev->rom.size &&
		    (pci_cfg_get32(dev, PCI_ROM_ADDRESS) & PCI_ROM_ADDRESS_ENABLE)) {
			uint64_t base = pci_bar_addr(dev, PCI_ROM_BAR);

			if (base && addr >= base && addr - base < dev->rom.size) {
				*idx = PCI_ROM_BAR;
				*off = addr - base;
				return dev;
			}
		}
	}
	return NULL;
}

int pci_mmio(struct pci_bus *bus, uint64_t gpa, unsigned size, bool write,
	     uint64_t *data)
{
	struct pci_dev *dev;
	uint64_t off;
	unsigned idx;

	if (!mmio_size_ok(size)) {
		if (!write)
			*data = ~0ull;
		return -EINVAL;
	}
	if (gpa >= bus->ecam_base && gpa - bus->ecam_base < bus->ecam_size) {
		/*
		 * PCIe 7.2.2, table 7-1: A[27:20] bus, A[19:15] device,
		 * A[14:12] function, A[11:0] register.  One bus here.
		 */
		uint64_t e = gpa - bus->ecam_base;
		uint32_t v = write ? (uint32_t)*data : 0;
		int ret;

		if (size == 8) {
			/* Wider than a config request can be: unsupported. */
			if (!write)
				*data = ~0ull;
			return 0;
		}
		ret = pci_cfg_access(bus, (uint8_t)(e >> 12), (uint32_t)(e & 0xfff),
				     size, write, &v);
		if (!write)
			*data = v;
		return ret == -EINVAL ? 0 : ret;
	}
	dev = bar_lookup(bus, gpa, false, &idx, &off);
	if (!dev) {
		if (!write)
			*data = ones(size);
		return PCI_UNCLAIMED;
	}
	return pci_bar_access(dev, idx, off, size, write, data);
}

int pci_pio(struct pci_bus *bus, uint16_t port, unsigned size, bool write,
	    uint32_t *data)
{
	struct pci_dev *dev;
	uint64_t off, v;
	unsigned idx;
	int ret;

	if (!pio_size_ok(size)) {
		if (!write)
			*data = ~0u;
		return -EINVAL;
	}
	dev = bar_lookup(bus, port, true, &idx, &off);
	if (!dev) {
		if (!write)
			*data = pio_ones(size);
		return PCI_UNCLAIMED;
	}
	v = write ? *data : 0;
	ret = pci_bar_access(dev, idx, off, size, write, &v);
	if (!write)
		*data = (uint32_t)v;
	return ret;
}

/* --- configuration space ----------------------------------------------- */

static void cfg_write_bytes(struct pci_dev *dev, uint32_t reg, unsigned size,
			    uint32_t val)
{
	uint16_t old_cmd = pci_cfg_get16(dev, PCI_COMMAND);
	uint16_t old_msix = dev->msix.nvec ?
		pci_cfg_get16(dev, dev->msix.cap + PCI_MSIX_FLAGS) : 0;
	unsigned i;

	for (i = 0; i < size; i++) {
		uint32_t o = reg + i;
		uint8_t b = (uint8_t)(val >> (8 * i));

		dev->cfg[o] = (uint8_t)((dev->cfg[o] & ~dev->wmask[o]) |
					(b & dev->wmask[o]));
		dev->cfg[o] &= (uint8_t)~(b & dev->w1cmask[o]);
	}
	if (pci_cfg_get16(dev, PCI_COMMAND) != old_cmd)
		intx_update(dev);
	if (dev->msix.nvec &&
	    pci_cfg_get16(dev, dev->msix.cap + PCI_MSIX_FLAGS) != old_msix)
		msix_flush(dev);
	if (dev->ops && dev->ops->cfg_write)
		dev->ops->cfg_write(dev, reg, size, val);
}

int pci_cfg_access(struct pci_bus *bus, uint8_t devfn, uint32_t reg,
		   unsigned size, bool write, uint32_t *data)
{
	struct pci_dev *dev = bus->devs[devfn];
	uint32_t v = 0;
	unsigned i;

	if (!pio_size_ok(size) || reg >= PCI_CFG_SIZE || (reg & 3) + size > 4) {
		if (!write)
			*data = ~0u;
		return -EINVAL;
	}
	if (!dev) {
		/* No function: master abort, all-ones (PCI 3.0 6.1). */
		if (!write)
			*data = pio_ones(size);
		return 0;
	}
	if (write) {
		cfg_write_bytes(dev, reg, size, *data & pio_ones(size));
		return 0;
	}
	if (dev->ops && dev->ops->cfg_read &&
	    dev->ops->cfg_read(dev, reg, size, &v) == 1) {
		*data = v & pio_ones(size);
		return 0;
	}
	for (i = 0; i < size; i++)
		v |= (uint32_t)dev->cfg[reg + i] << (8 * i);
	*data = v;
	return 0;
}

int pci_cfg_io(void *opaque, uint16_t port_offset, unsigned size,
	       bool write, uint32_t *data)
{
	struct pci_bus *bus = opaque;
	uint32_t a;

	if (port_offset < 4) {
		/* CONFIG_ADDRESS: dword accesses only (PCI 3.0 3.2.2.3.2). */
		if (size != 4 || port_offset != 0) {
			if (!write)
				*data = pio_ones(size);
			return 0;
		}
		if (write)	/* bits 30:24 reserved (read-only 0), 1:0 = 00 */
			bus->config_address = *data & 0x80fffffcu;
		else
			*data = bus->config_address;
		return 0;
	}
	a = bus->config_address;
	port_offset -= 4;
	if (!(a & 0x80000000u) || ((a >> 16) & 0xff) != 0 ||
	    port_offset + size > 4) {
		/* Not enabled, another bus (none exists), or a split access. */
		if (!write)
			*data = pio_ones(size);
		return 0;
	}
	pci_cfg_access(bus, (uint8_t)(a >> 8), (a & 0xfc) + port_offset, size,
		       write, data);
	return 0;
}

/* --- resource assignment and reset ------------------------------------- */

int pci_bus_assign(struct pci_bus *bus, uint64_t mmio_base, uint64_t mmio_size,
		   uint16_t io_base, uint32_t io_size)
{
	uint64_t mem = mmio_base, io = io_base;
	unsigned d, i;
	int pass;

	/* Largest BARs first keeps natural alignment cheap. */
	for (pass = 63; pass >= 0; pass--) {
		for (d = 0; d < PCI_NR_DEVFN; d++) {
			struct pci_dev *dev = bus->devs[d];

			if (!dev)
				continue;
			for (i = 0; i < 6; i++) {
				struct pci_bar *b = &dev->bars[i];
				uint32_t off = PCI_BAR0 + 4 * i;
				uint64_t *cur, a;

				if (!b->size || b->size != 1ull << pass ||
				    pci_bar_addr(dev, i))
					continue;
				cur = b->type == PCI_BAR_IO ? &io : &mem;
				a = (*cur + b->size - 1) & ~(b->size - 1);
				if (b->type == PCI_BAR_IO ?
				    a + b->size > (uint64_t)io_base + io_size :
				    a + b->size > mmio_base + mmio_size)
					return -ENOSPC;
				*cur = a + b->size;
				pci_cfg_set32(dev, off, (pci_cfg_get32(dev, off) & 0xf) |
					      (uint32_t)a);
				if (b->type == PCI_BAR_MEM64)
					pci_cfg_set32(dev, off + 4, (uint32_t)(a >> 32));
				pci_cfg_set16(dev, PCI_COMMAND, pci_cfg_get16(dev, PCI_COMMAND) |
					      (b->type == PCI_BAR_IO ? PCI_COMMAND_IO :
					       PCI_COMMAND_MEMORY) | PCI_COMMAND_MASTER);
			}
		}
	}
	return 0;
}

void pci_bus_reset(struct pci_bus *bus)
{
	unsigned d;

	for (d = 0; d < PCI_NR_DEVFN; d++) {
		struct pci_dev *dev = bus->devs[d];
		unsigned v;

		if (!dev)
			continue;
		memcpy(dev->cfg, dev->cfg_reset, sizeof(dev->cfg));
		dev->msix.pending = 0;
		for (v = 0; v < dev->msix.nvec; v++) {
			memset(&dev->msix.table[v * PCI_MSIX_ENTRY_SIZE], 0,
			       PCI_MSIX_ENTRY_SIZE);
			dev->msix.table[v * PCI_MSIX_ENTRY_SIZE + 12] =
				PCI_MSIX_ENTRY_CTRL_MASKBIT;
		}
		pci_set_irq(dev, false);
		if (dev->ops && dev->ops->reset)
			dev->ops->reset(dev);
	}
}

/* --- save and restore -------------------------------------------------- */

#define PCI_FN_STATE_VERSION	1
#define PCI_BUS_STATE_VERSION	1

int pci_dev_save(const struct pci_dev *dev, struct state_writer *w)
{
	state_section_begin(w, "pci-fn", dev->devfn, PCI_FN_STATE_VERSION);
	state_put_bytes(w, dev->cfg, PCI_CFG_SIZE);
	state_put_bool(w, dev->intx_level);
	state_put_u32(w, dev->msix.nvec);
	state_put_bytes(w, dev->msix.table,
			(size_t)dev->msix.nvec * PCI_MSIX_ENTRY_SIZE);
	state_put_u64(w, dev->msix.pending);
	state_section_end(w);
	return state_writer_error(w);
}

int pci_dev_load(struct pci_dev *dev, struct state_reader *r)
{
	uint8_t *cfg;
	uint8_t table[sizeof(dev->msix.table)];
	uint64_t pending;
	uint32_t nvec, o;
	bool level;
	int ret;

	ret = state_section_open(r, "pci-fn", dev->devfn, PCI_FN_STATE_VERSION, NULL);
	if (ret)
		return ret;
	cfg = malloc(PCI_CFG_SIZE);
	if (!cfg) {
		state_reader_fail(r, "out of memory");
		return -ENOMEM;
	}
	state_get_bytes(r, cfg, PCI_CFG_SIZE);
	level = state_get_bool(r);
	nvec = state_get_u32(r);
	if (nvec != dev->msix.nvec)
		state_reader_fail(r, "%u MSI-X vectors saved, the function has %u",
				  nvec, dev->msix.nvec);
	state_get_bytes(r, table, (size_t)dev->msix.nvec * PCI_MSIX_ENTRY_SIZE);
	pending = state_get_u64(r);
	if (dev->msix.nvec < 64 && pending >> dev->msix.nvec)
		state_reader_fail(r, "MSI-X pending bits beyond the table");
	/*
	 * What the guest cannot write is the function's identity: a saved
	 * byte that differs there is another device (or a corrupt file).
	 * Status bit 3 follows the INTx output and is rebuilt from it.
	 */
	for (o = 0; o < PCI_CFG_SIZE && !state_reader_error(r); o++) {
		uint8_t ro = (uint8_t)~(dev->wmask[o] | dev->w1cmask[o]);

		if (o == PCI_STATUS)
			ro &= (uint8_t)~PCI_STATUS_INTERRUPT;
		if ((cfg[o] ^ dev->cfg[o]) & ro)
			state_reader_fail(r, "read-only config byte 0x%x differs "
					  "(saved 0x%02x, this function 0x%02x)",
					  o, cfg[o], dev->cfg[o]);
	}
	ret = state_section_close(r);
	if (ret) {
		free(cfg);
		return ret;
	}
	memcpy(dev->cfg, cfg, PCI_CFG_SIZE);
	free(cfg);
	if (level)
		dev->cfg[PCI_STATUS] |= PCI_STATUS_INTERRUPT;
	else
		dev->cfg[PCI_STATUS] &= (uint8_t)~PCI_STATUS_INTERRUPT;
	dev->intx_level = level;
	dev->intx_driven = level && dev->cfg[PCI_INTERRUPT_PIN] &&
		!(pci_cfg_get16(dev, PCI_COMMAND) & PCI_COMMAND_INTX_DISABLE);
	memcpy(dev->msix.table, table, (size_t)dev->msix.nvec * PCI_MSIX_ENTRY_SIZE);
	dev->msix.pending = pending;
	return 0;
}

int pci_bus_save(const struct pci_bus *bus, struct state_writer *w)
{
	state_section_begin(w, "pci-bus", 0, PCI_BUS_STATE_VERSION);
	state_put_u32(w, bus->config_address);
	state_section_end(w);
	return pci_dev_save(&bus->host_bridge, w);
}

int pci_bus_load(struct pci_bus *bus, struct state_reader *r)
{
	uint32_t config_address;
	unsigned d;
	int ret;

	ret = state_section_open(r, "pci-bus", 0, PCI_BUS_STATE_VERSION, NULL);
	if (ret)
		return ret;
	config_address = state_get_u32(r);
	/* As pci_cfg_io() stores it. */
	if (config_address & ~0x80fffffcu)
		state_reader_fail(r, "CONFIG_ADDRESS 0x%x has reserved bits",
				  config_address);
	ret = state_section_close(r);
	if (!ret)
		ret = pci_dev_load(&bus->host_bridge, r);
	if (ret)
		return ret;
	bus->config_address = config_address;
	memset(bus->intx_count, 0, sizeof(bus->intx_count));
	for (d = 0; d < PCI_NR_DEVFN; d++) {
		struct pci_dev *dev = bus->devs[d];

		if (dev && dev->intx_driven)
			bus->intx_count[((d >> 3) + dev->cfg[PCI_INTERRUPT_PIN] - 1) & 3]++;
	}
	return 0;
}
