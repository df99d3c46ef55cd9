// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pci-test.c - PCI bus 0 (monitor/devices/pci.c): config mechanism #1 and
 * ECAM with odd sizes and out-of-range offsets, read-only bits, BAR sizing
 * and moving, decode enables, INTx routing and sharing, MSI-X masking and
 * pending bits, capability list, resource assignment and reset.
 */
#include <errno.h>
#include <stdint.h>

#include "tap.h"
#include "devices/pci.h"
#include "machine/memmap.h"
#include "state/stream.h"

static struct pci_bus bus;
static struct pio_bus pio;
static struct pci_dev dev, dev2;

static int nmsi;
static uint64_t msi_addr;
static uint32_t msi_data;
static int irq_calls;
static unsigned irq_gsi;
static bool irq_level;

static void on_msi(void *o, uint64_t addr, uint32_t data)
{
	(void)o;
	nmsi++;
	msi_addr = addr;
	msi_data = data;
}

static void on_irq(void *o, unsigned gsi, bool level)
{
	(void)o;
	irq_calls++;
	irq_gsi = gsi;
	irq_level = level;
}

static int bar_calls;
static unsigned last_bar;
static uint64_t last_off;
static uint64_t last_wdata;

static int bar_fn(void *opaque, unsigned bar, uint64_t off, unsigned size,
		  bool write, uint64_t *data)
{
	(void)opaque;
	(void)size;
	bar_calls++;
	last_bar = bar;
	last_off = off;
	if (write)
		last_wdata = *data;
	else
		*data = 0x1122334455667788ull;
	return 0;
}

static uint32_t cf8_read(uint8_t devfn, uint32_t reg, unsigned size)
{
	uint32_t a = 0x80000000u | (uint32_t)devfn << 8 | (reg & 0xfc), d = 0;

	pio_bus_dispatch(&pio, 0xcf8, 4, true, &a);
	pio_bus_dispatch(&pio, (uint16_t)(0xcfc + (reg & 3)), size, false, &d);
	return d;
}

static void cf8_write(uint8_t devfn, uint32_t reg, unsigned size, uint32_t v)
{
	uint32_t a = 0x80000000u | (uint32_t)devfn << 8 | (reg & 0xfc);

	pio_bus_dispatch(&pio, 0xcf8, 4, true, &a);
	pio_bus_dispatch(&pio, (uint16_t)(0xcfc + (reg & 3)), size, true, &v);
}

static uint64_t ecam_read(uint8_t devfn, uint32_t reg, unsigned size)
{
	uint64_t d = 0;

	pci_mmio(&bus, MEMMAP_ECAM_BASE + ((uint64_t)devfn << 12) + reg, size,
		 false, &d);
	return d;
}

static void ecam_write(uint8_t devfn, uint32_t reg, unsigned size, uint64_t v)
{
	pci_mmio(&bus, MEMMAP_ECAM_BASE + ((uint64_t)devfn << 12) + reg, size,
		 true, &v);
}

static int mm(uint64_t gpa, unsigned size, bool write, uint64_t *d)
{
	return pci_mmio(&bus, gpa, size, write, d);
}

/* --- save and restore ---------------------------------------------------- */

static void make_fn(struct pci_bus *b, struct pci_dev *f, uint16_t id)
{
	pci_dev_init(f, 0x1234, id, 0xff0000, 3, 0x1234, 0x0001, 1);
	pci_bar_init(f, 0, PCI_BAR_MEM32, false, 0x1000, bar_fn, NULL);
	pci_bar_init(f, 2, PCI_BAR_MEM64, true, 0x10000, bar_fn, NULL);
	pci_msix_init(f, 4, 2, 0x8000, 0x9000);
	pci_bus_add(b, f, 3, 0);
}

static uint32_t cfg_rd(struct pci_bus *b, uint8_t devfn, uint32_t reg)
{
	uint32_t v = 0;

	pci_cfg_access(b, devfn, reg, 4, false, &v);
	return v;
}

static void test_save_restore(void)
{
	static const struct pci_bus_ops ops = { .msi = on_msi, .set_irq = on_irq };
	static struct pci_bus b1, b2, b3;
	static struct pci_dev f1, f2, f3;
	struct state_writer w;
	struct state_reader r;
	const uint8_t *buf;
	uint8_t df = PCI_DEVFN(3, 0);
	uint32_t v, reg, same = 0;
	uint64_t d;
	size_t len;
	int err;

	pci_bus_init(&b1, &ops, NULL);
	pci_bus_init(&b2, &ops, NULL);
	pci_bus_init(&b3, &ops, NULL);
	make_fn(&b1, &f1, 0x5678);
	make_fn(&b2, &f2, 0x5678);
	make_fn(&b3, &f3, 0x5679);
	/* BARs placed, decode on, MSI-X enabled with vector 2 programmed
	 * and pending behind its mask, INTx asserted, CONFIG_ADDRESS set. */
	v = 0xc0200000;
	pci_cfg_access(&b1, df, 0x10, 4, true, &v);
	v = 0x0;
	pci_cfg_access(&b1, df, 0x18, 4, true, &v);
	v = 0x2;
	pci_cfg_access(&b1, df, 0x1c, 4, true, &v);
	v = PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
	pci_cfg_access(&b1, df, PCI_COMMAND, 2, true, &v);
	v = PCI_MSIX_FLAGS_ENABLE;
	pci_cfg_access(&b1, df, 0x42, 2, true, &v);
	d = 0xfee00000ull;
	pci_mmio(&b1, 0x200000000ull + 0x8020, 8, true, &d);
	d = 0x4055;
	pci_mmio(&b1, 0x200000000ull + 0x8028, 4, true, &d);
	pci_msix_notify(&f1, 2);
	pci_set_irq(&f1, true);
	b1.config_address = 0x80001810u;

	state_writer_init(&w);
	pci_dev_save(&f1, &w);
	pci_bus_save(&b1, &w);
	buf = state_writer_data(&w, &len, &err);
	tap_ok(buf && !err, "save: function and bus written (%zu bytes)", len);

	state_reader_init(&r, buf, len);
	tap_ok(pci_dev_load(&f3, &r) == -EINVAL && pci_bar_addr(&f3, 0) == 0,
	       "save: another device id is refused, function untouched (%s)",
	       state_reader_msg(&r));

	irq_calls = 0;
	state_reader_init(&r, buf, len);
	tap_ok(pci_dev_load(&f2, &r) == 0 && pci_bus_load(&b2, &r) == 0 &&
	       state_reader_at_end(&r), "load: function and bus (%s)", state_reader_msg(&r));
	tap_ok(irq_calls == 0, "load: no interrupt callbacks while loading");
	for (reg = 0; reg < PCI_CFG_SIZE; reg += 4)
		same += cfg_rd(&b1, df, reg) == cfg_rd(&b2, df, reg);
	tap_ok(same == PCI_CFG_SIZE / 4, "load: every config dword reads the same");
	tap_ok(b2.config_address == 0x80001810u && b2.intx_count[3] == 1,
	       "load: CONFIG_ADDRESS and the INTx count restored");
	bar_calls = 0;
	tap_ok(pci_mmio(&b2, 0xc0200010, 4, false, &d) == 0 && bar_calls == 1 &&
	       last_bar == 0 && last_off == 0x10, "load: BAR0 decodes at its saved address");
	nmsi = 0;
	d = 0;
	pci_mmio(&b2, 0x200000000ull + 0x9000, 8, false, &d);
	tap_ok(d == 4, "load: PBA shows vector 2 pending");
	d = 0;
	pci_mmio(&b2, 0x200000000ull + 0x802c, 4, true, &d);
	tap_ok(nmsi == 1 && msi_addr == 0xfee00000ull && msi_data == 0x4055,
	       "load: unmasking vector 2 sends the saved message");
	irq_calls = 0;
	pci_set_irq(&f2, false);
	tap_ok(irq_calls == 1 && !irq_level && irq_gsi == 19,
	       "load: deasserting INTx drops the restored line");
	state_writer_free(&w);
}

/* MSI, one message, 64-bit address (PCI 3.0 6.8.1). */
static void test_msi(void)
{
	static struct pci_dev f;
	uint8_t df;
	int cap;

	pci_dev_init(&f, 0x1234, 0x2222, 0xff0000, 0, 0, 0, 1);
	cap = pci_msi_init(&f);
	tap_ok(cap >= 0x40 && f.msi_cap == cap, "MSI capability at 0x%x", cap);
	df = (uint8_t)pci_bus_add(&bus, &f, 9, 0);
	tap_ok(ecam_read(df, PCI_CAPABILITY_LIST, 1) == (unsigned)cap &&
	       ecam_read(df, (uint32_t)cap, 1) == PCI_CAP_ID_MSI, "listed, ID 05h");
	tap_ok(pci_msi_notify(&f) == -ENOENT && !pci_msi_enabled(&f), "disabled: -ENOENT");
	ecam_write(df, (uint32_t)cap + PCI_MSI_FLAGS, 2, 0xffff);
	tap_ok(ecam_read(df, (uint32_t)cap + PCI_MSI_FLAGS, 2) ==
	       (PCI_MSI_FLAGS_64BIT | PCI_MSI_FLAGS_ENABLE),
	       "control: enable writable, one message, 64-bit, no masking");
	ecam_write(df, (uint32_t)cap + PCI_MSI_ADDR_LO, 4, 0xfee0100fu);
	ecam_write(df, (uint32_t)cap + PCI_MSI_ADDR_HI, 4, 0);
	ecam_write(df, (uint32_t)cap + PCI_MSI_DATA_64, 4, 0xabcd0041u);
	tap_ok(ecam_read(df, (uint32_t)cap + PCI_MSI_ADDR_LO, 4) == 0xfee0100cu &&
	       ecam_read(df, (uint32_t)cap + PCI_MSI_DATA_64, 4) == 0x41,
	       "address bits 1:0 read 0; data 16 bits");
	nmsi = 0;
	tap_ok(pci_msi_notify(&f) == 0 && nmsi == 1 && msi_addr == 0xfee0100cull &&
	       msi_data == 0x41, "enabled: message sent as programmed");
	pci_bus_reset(&bus);
	tap_ok(!pci_msi_enabled(&f) && ecam_read(df, (uint32_t)cap + PCI_MSI_ADDR_LO, 4) == 0,
	       "bus reset: MSI off, address cleared");
}

int main(void)
{
	static const struct pci_bus_ops ops = { .msi = on_msi, .set_irq = on_irq };
	uint8_t df, df2;
	uint32_t d32;
	uint64_t d;
	int ret, cap;

	pio_bus_init(&pio);
	pci_bus_init(&bus, &ops, NULL);
	tap_ok(pci_bus_register_ports(&bus, &pio) == 0, "claim 0xcf8-0xcff");

	/* Host bridge through both mechanisms. */
	tap_ok(cf8_read(0, 0, 4) == 0x00081b36, "cf8: host bridge id 1b36:0008");
	tap_ok(cf8_read(0, 0x08, 4) >> 8 == PCI_CLASS_HOST_BRIDGE,
	       "cf8: host bridge class 0x060000");
	tap_ok(ecam_read(0, 0, 4) == 0x00081b36, "ECAM: host bridge id");
	tap_ok(cf8_read(0, 2, 2) == 0x0008, "cf8: word at 0xcfe");
	tap_ok(cf8_read(0, 1, 1) == 0x1b, "cf8: byte at 0xcfd");
	tap_ok(cf8_read(0, 3, 1) == 0x00, "cf8: byte at 0xcff");
	tap_ok(ecam_read(0, 1, 1) == 0x1b && ecam_read(0, 2, 2) == 0x0008,
	       "ECAM: byte and word reads");
	d32 = 0x80000000u;
	pio_bus_dispatch(&pio, 0xcf8, 4, true, &d32);
	d32 = 0;
	pio_bus_dispatch(&pio, 0xcf8, 4, false, &d32);
	tap_ok(d32 == 0x80000000u, "CONFIG_ADDRESS reads back");
	d32 = 0x8000fffeu;
	pio_bus_dispatch(&pio, 0xcf8, 4, true, &d32);
	pio_bus_dispatch(&pio, 0xcf8, 4, false, &d32);
	tap_ok(d32 == 0x8000fffcu, "CONFIG_ADDRESS bits 1:0 read 0");
	d32 = 0;
	pio_bus_dispatch(&pio, 0xcf8, 2, false, &d32);
	tap_ok(d32 == 0xffff, "word read of 0xcf8: all-ones");
	d32 = 0x12;
	pio_bus_dispatch(&pio, 0xcf9, 1, true, &d32);
	pio_bus_dispatch(&pio, 0xcf8, 4, false, &d32);
	tap_ok(d32 == 0x8000fffcu, "byte write to 0xcf9 leaves CONFIG_ADDRESS");
	d32 = 0;
	cf8_read(0, 0, 4);
	pio_bus_dispatch(&pio, 0xcfe, 4, false, &d32);
	tap_ok(d32 == 0xffffffffu, "dword at 0xcfe (splits the dword): all-ones");
	d32 = 0x00000000u;	/* enable bit clear */
	pio_bus_dispatch(&pio, 0xcf8, 4, true, &d32);
	pio_bus_dispatch(&pio, 0xcfc, 4, false, &d32);
	tap_ok(d32 == 0xffffffffu, "enable bit clear: data reads all-ones");
	d32 = 0x80010000u;	/* bus 1 */
	pio_bus_dispatch(&pio, 0xcf8, 4, true, &d32);
	pio_bus_dispatch(&pio, 0xcfc, 4, false, &d32);
	tap_ok(d32 == 0xffffffffu, "bus 1 does not exist: all-ones");
	tap_ok(cf8_read(PCI_DEVFN(5, 0), 0, 4) == 0xffffffffu,
	       "cf8: empty slot reads all-ones");
	tap_ok(ecam_read(PCI_DEVFN(31, 7), 0, 2) == 0xffff,
	       "ECAM: empty 31.7 reads all-ones");
	tap_ok(ecam_read(0, 0x100, 4) == 0, "ECAM: extended space reads 0");
	tap_ok(ecam_read(0, 0xffc, 4) == 0, "ECAM: last dword reads 0");
	tap_ok(ecam_read(0, 0, 8) == ~0ull, "ECAM: 8-byte read all-ones");
	tap_ok(ecam_read(0, 2, 4) == 0xffffffffu, "ECAM: dword crossing a dword: all-ones");
	d = 0;
	tap_ok(mm(MEMMAP_ECAM_BASE, 3, false, &d) == -EINVAL, "ECAM: size 3: -EINVAL");
	ecam_write(0, 0, 4, 0x12345678);
	tap_ok(ecam_read(0, 0, 4) == 0x00081b36, "vendor/device are read-only");
	tap_ok(pci_cfg_access(&bus, 0, 4096, 4, false, &d32) == -EINVAL &&
	       d32 == 0xffffffffu, "register 4096: -EINVAL, all-ones");

	/* A test function: mem32 BAR0, I/O BAR1, mem64 BAR2 with MSI-X. */
	pci_dev_init(&dev, 0x1234, 0x5678, 0xff0000, 3, 0x1234, 0x0001, 1);
	tap_ok(pci_bar_init(&dev, 0, PCI_BAR_MEM32, false, 0x1000, bar_fn, NULL) == 0,
	       "BAR0 mem32 4 KiB");
	tap_ok(pci_bar_init(&dev, 1, PCI_BAR_IO, false, 32, bar_fn, NULL) == 0,
	       "BAR1 I/O 32");
	tap_ok(pci_bar_init(&dev, 2, PCI_BAR_MEM64, true, 0x10000, bar_fn, NULL) == 0,
	       "BAR2/3 mem64 64 KiB");
	tap_ok(pci_bar_init(&dev, 3, PCI_BAR_MEM32, false, 0x1000, bar_fn, NULL) == -EINVAL,
	       "BAR3 is the upper half: -EINVAL");
	tap_ok(pci_bar_init(&dev, 4, PCI_BAR_MEM32, false, 0x1800, bar_fn, NULL) == -EINVAL,
	       "size not a power of two: -EINVAL");
	tap_ok(pci_bar_init(&dev, 5, PCI_BAR_MEM64, false, 0x1000, bar_fn, NULL) == -EINVAL,
	       "mem64 at BAR5: -EINVAL");
	tap_ok(pci_msix_init(&dev, 4, 2, 0x8000, 0x9000) == 0, "MSI-X, 4 vectors in BAR2");
	tap_ok(pci_msix_init(&dev, 4, 1, 0, 8) == -EINVAL, "MSI-X in an I/O BAR: -EINVAL");
	cap = pci_add_cap(&dev, PCI_CAP_ID_VNDR, 8);
	tap_ok(cap == 0x4c, "vendor capability after MSI-X at 0x4c (got %#x)", cap);
	ret = pci_bus_add(&bus, &dev, 3, 0);
	tap_ok(ret == PCI_DEVFN(3, 0), "added at 03.0");
	df = (uint8_t)ret;
	tap_ok(pci_bus_add(&bus, &dev2, 3, 0) == -EEXIST, "03.0 again: -EEXIST");
	tap_ok(pci_bus_add(&bus, &dev2, 3, 8) == -EINVAL, "function 8: -EINVAL");

	tap_ok(cf8_read(df, 0, 4) == 0x56781234, "cf8: id 1234:5678");
	tap_ok(ecam_read(df, 0x08, 4) == 0xff000003, "ECAM: class and revision");
	tap_ok((ecam_read(df, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST) &&
	       ecam_read(df, PCI_CAPABILITY_LIST, 1) == 0x40, "status cap list, pointer 0x40");
	tap_ok(ecam_read(df, 0x40, 1) == PCI_CAP_ID_MSIX && ecam_read(df, 0x41, 1) == 0x4c &&
	       ecam_read(df, 0x4c, 1) == PCI_CAP_ID_VNDR && ecam_read(df, 0x4d, 1) == 0,
	       "capability list: MSI-X -> vendor -> end");
	tap_ok(ecam_read(df, 0x42, 2) == 3, "MSI-X table size field = N - 1");
	tap_ok(ecam_read(df, 0x44, 4) == (0x8000 | 2) && ecam_read(df, 0x48, 4) == (0x9000 | 2),
	       "MSI-X table and PBA offset/BIR");
	tap_ok(ecam_read(df, PCI_INTERRUPT_PIN, 1) == 1 &&
	       ecam_read(df, PCI_INTERRUPT_LINE, 1) == pci_intx_gsi(&bus, 3, 1),
	       "INTA, line preset to the routed GSI");
	tap_ok(pci_intx_gsi(&bus, 3, 1) == 19 && pci_intx_gsi(&bus, 4, 1) == 16 &&
	       pci_intx_gsi(&bus, 3, 2) == 16, "swizzle (slot + pin - 1) %% 4 over GSI 16-19");
	ecam_write(df, PCI_INTERRUPT_LINE, 1, 0x0b);
	tap_ok(ecam_read(df, PCI_INTERRUPT_LINE, 1) == 0x0b, "interrupt line writable");
	ecam_write(df, PCI_INTERRUPT_PIN, 1, 0x03);
	tap_ok(ecam_read(df, PCI_INTERRUPT_PIN, 1) == 1, "interrupt pin read-only");
	ecam_write(df, PCI_COMMAND, 2, 0xffff);
	tap_ok(ecam_read(df, PCI_COMMAND, 2) == 0x0507, "command: only implemented bits stick");
	ecam_write(df, PCI_COMMAND, 2, 0);

	/* BAR sizing (PCI 3.0 6.2.5.1). */
	ecam_write(df, 0x10, 4, 0xffffffff);
	tap_ok(ecam_read(df, 0x10, 4) == 0xfffff000u, "BAR0 sizing: 0xfffff000");
	cf8_write(df, 0x14, 4, 0xffffffff);
	tap_ok(cf8_read(df, 0x14, 4) == 0xffffffe1u, "BAR1 I/O sizing: 0xffffffe1");
	ecam_write(df, 0x18, 4, 0xffffffff);
	ecam_write(df, 0x1c, 4, 0xffffffff);
	tap_ok(ecam_read(df, 0x18, 4) == 0xffff000cu && ecam_read(df, 0x1c, 4) == 0xffffffffu,
	       "BAR2/3 64-bit prefetchable sizing: 0xffff000c, 0xffffffff");
	ecam_write(df, 0x20, 4, 0xffffffff);
	tap_ok(ecam_read(df, 0x20, 4) == 0, "unimplemented BAR4 reads 0");
	ecam_write(df, 0x30, 4, 0xffffffff);
	tap_ok(ecam_read(df, 0x30, 4) == 0, "no expansion ROM");

	ecam_write(df, 0x10, 4, 0xc0001000);
	cf8_write(df, 0x14, 4, 0x1000);
	ecam_write(df, 0x18, 4, 0x00000000);
	ecam_write(df, 0x1c, 4, 0x1);	/* 0x1_0000_0000 */
	tap_ok(pci_bar_addr(&dev, 0) == 0xc0001000 && pci_bar_addr(&dev, 1) == 0x1000 &&
	       pci_bar_addr(&dev, 2) == 0x100000000ull, "BAR addresses programmed");
	d = 0;
	tap_ok(mm(0xc0001000, 4, false, &d) == PCI_UNCLAIMED && d == 0xffffffffu,
	       "memory decode off: unclaimed, all-ones");
	d32 = 0;
	tap_ok(pci_pio(&bus, 0x1000, 2, false, &d32) == PCI_UNCLAIMED && d32 == 0xffff,
	       "I/O decode off: unclaimed");
	ecam_write(df, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	bar_calls = 0;
	tap_ok(mm(0xc0001010, 4, false, &d) == 0 && d == 0x55667788 && bar_calls == 1 &&
	       last_bar == 0 && last_off == 0x10, "memory decode on: BAR0 offset 0x10, read masked");
	d = 0xabcdef0123ull;
	tap_ok(mm(0xc0001ff8, 8, true, &d) == 0 && last_off == 0xff8 &&
	       last_wdata == 0xabcdef0123ull, "8-byte write at the BAR's end");
	tap_ok(mm(0xc0001ffc, 8, false, &d) == -EINVAL, "access running past the BAR: -EINVAL");
	tap_ok(mm(0xc0002000, 4, false, &d) == PCI_UNCLAIMED, "just past BAR0: unclaimed");
	tap_ok(pci_pio(&bus, 0x1000, 2, false, &d32) == PCI_UNCLAIMED,
	       "memory enable does not open I/O decode");
	ecam_write(df, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_IO);
	tap_ok(pci_pio(&bus, 0x101f, 1, false, &d32) == 0 && d32 == 0x88 && last_bar == 1 &&
	       last_off == 0x1f, "I/O decode on: BAR1 last port");
	tap_ok(pci_pio(&bus, 0x1020, 1, false, &d32) == PCI_UNCLAIMED, "past BAR1: unclaimed");
	tap_ok(mm(0x100000000ull + 0x40, 2, false, &d) == 0 && last_bar == 2 && last_off == 0x40,
	       "64-bit BAR above 4 GiB decodes");
	ecam_write(df, 0x10, 4, 0xc0100000);
	tap_ok(mm(0xc0001000, 4, false, &d) == PCI_UNCLAIMED, "BAR0 moved: old address unclaimed");
	tap_ok(mm(0xc0100004, 4, false, &d) == 0 && last_off == 4, "BAR0 moved: new address");
	ecam_write(df, 0x10, 4, 0);
	tap_ok(mm(0x0, 4, false, &d) == PCI_UNCLAIMED, "BAR at 0 does not decode");
	ecam_write(df, 0x10, 4, 0xc0100000);
	tap_ok(mm(0xd0000000, 4, false, &d) == PCI_UNCLAIMED, "random window address unclaimed");
	tap_ok(mm(0xc0100000, 3, false, &d) == -EINVAL, "size 3: -EINVAL");

	/* INTx. */
	irq_calls = 0;
	pci_set_irq(&dev, true);
	tap_ok(irq_calls == 1 && irq_gsi == 19 && irq_level, "INTx asserted on GSI 19");
	tap_ok(ecam_read(df, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT, "status interrupt bit set");
	pci_set_irq(&dev, true);
	tap_ok(irq_calls == 1, "no call without a change");
	ecam_write(df, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_INTX_DISABLE);
	tap_ok(irq_calls == 2 && !irq_level, "INTx disable drops the line");
	tap_ok(ecam_read(df, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT,
	       "status still shows the interrupt");
	ecam_write(df, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	tap_ok(irq_calls == 3 && irq_level, "INTx enable raises it again");
	/* A second device sharing GSI 19: slot 7 INTA -> (7 + 0) % 4 = 3. */
	pci_dev_init(&dev2, 0x1234, 0x9999, 0xff0000, 0, 0, 0, 1);
	df2 = (uint8_t)pci_bus_add(&bus, &dev2, 7, 0);
	tap_ok(df2 == PCI_DEVFN(7, 0), "second device at 07.0");
	pci_set_irq(&dev2, true);
	tap_ok(irq_calls == 3, "shared line already high: no call");
	pci_set_irq(&dev, false);
	tap_ok(irq_calls == 3, "other device still asserts: line stays");
	pci_set_irq(&dev2, false);
	tap_ok(irq_calls == 4 && !irq_level && irq_gsi == 19, "both released: line drops");

	/* MSI-X (PCI 3.0 6.8.2). */
	tap_ok(pci_msix_notify(&dev, 0) == -ENOENT, "MSI-X disabled: -ENOENT");
	d = 0;
	mm(0x100000000ull + 0x800c, 4, false, &d);
	tap_ok(d == 1, "vector 0 starts masked");
	d = 0xfee01000ull;
	mm(0x100000000ull + 0x8000, 8, true, &d);
	d = 0x4041;
	mm(0x100000000ull + 0x8008, 4, true, &d);
	d = 0;
	mm(0x100000000ull + 0x8000, 8, false, &d);
	tap_ok(d == 0xfee01000ull, "table address qword reads back");
	bar_calls = 0;
	mm(0x100000000ull + 0x8008, 4, false, &d);
	tap_ok(d == 0x4041 && bar_calls == 0, "table data reads back, device not called");
	d = 0x1234;
	mm(0x100000000ull + 0x8008, 2, true, &d);
	mm(0x100000000ull + 0x8008, 4, false, &d);
	tap_ok(d == 0x4041, "word write to the table ignored");
	ecam_write(df, 0x42, 2, PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
	tap_ok(pci_msix_enabled(&dev), "MSI-X enabled");
	tap_ok(ecam_read(df, 0x42, 2) == (PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL | 3),
	       "message control: table size read-only");
	nmsi = 0;
	tap_ok(pci_msix_notify(&dev, 0) == 0 && nmsi == 0, "function masked: not sent");
	mm(0x100000000ull + 0x9000, 8, false, &d);
	tap_ok(d == 1, "PBA bit 0 pending");
	d = 0;
	mm(0x100000000ull + 0x9000, 8, true, &d);
	mm(0x100000000ull + 0x9000, 8, false, &d);
	tap_ok(d == 1, "PBA is read-only");
	ecam_write(df, 0x42, 2, PCI_MSIX_FLAGS_ENABLE);
	tap_ok(nmsi == 0, "function unmasked, vector still masked: not sent");
	d = 0;
	mm(0x100000000ull + 0x800c, 4, true, &d);
	tap_ok(nmsi == 1 && msi_addr == 0xfee01000ull && msi_data == 0x4041,
	       "vector unmasked: pending message sent");
	mm(0x100000000ull + 0x9000, 4, false, &d);
	tap_ok(d == 0, "PBA bit cleared");
	tap_ok(pci_msix_notify(&dev, 0) == 0 && nmsi == 2, "unmasked: sent at once");
	tap_ok(pci_msix_notify(&dev, 4) == -EINVAL, "vector 4 of 4: -EINVAL");
	d = 1;
	mm(0x100000000ull + 0x801c, 4, true, &d);	/* vector 1 stays masked */
	pci_msix_notify(&dev, 1);
	mm(0x100000000ull + 0x9000, 4, false, &d);
	tap_ok(d == 2 && nmsi == 2, "vector 1 masked: PBA bit 1");
	d = 0xffffffff;
	mm(0x100000000ull + 0x800c, 4, true, &d);
	mm(0x100000000ull + 0x800c, 4, false, &d);
	tap_ok(d == 1, "vector control: reserved bits read 0");
	ecam_write(df, PCI_COMMAND, 2, 0);
	bar_calls = 0;
	tap_ok(mm(0x100000000ull + 0x8000, 4, false, &d) == PCI_UNCLAIMED,
	       "MSI-X table not decoded with memory space off");

	/* Firmware-style assignment and reset. */
	ecam_write(df, 0x10, 4, 0);
	ecam_write(df, 0x14, 4, 0);
	ecam_write(df, 0x18, 4, 0);
	ecam_write(df, 0x1c, 4, 0);
	tap_ok(pci_bus_assign(&bus, MEMMAP_PCI_MMIO_BASE, MEMMAP_PCI_MMIO_SIZE,
			      0xc000, 0x1000) == 0, "assign resources");
	tap_ok(pci_bar_addr(&dev, 2) == 0xc0000000ull && pci_bar_addr(&dev, 0) == 0xc0010000ull &&
	       pci_bar_addr(&dev, 1) == 0xc000, "largest first, naturally aligned");
	tap_ok((ecam_read(df, PCI_COMMAND, 2) & 7) == 7, "decode and master enabled");
	tap_ok(mm(0xc0010000, 4, false, &d) == 0 && last_bar == 0, "assigned BAR0 decodes");
	tap_ok(pci_bus_assign(&bus, 0xc0000000, 0x100, 0, 0) == 0, "nothing left to assign");
	pci_bus_reset(&bus);
	tap_ok(pci_bar_addr(&dev, 0) == 0 && ecam_read(df, PCI_COMMAND, 2) == 0 &&
	       !pci_msix_enabled(&dev) && ecam_read(df, PCI_INTERRUPT_LINE, 1) == 19,
	       "bus reset: BARs, command, MSI-X, line back to power-on");
	tap_ok(dev.msix.table[12] == 1 && dev.msix.pending == 0, "reset masks vectors, clears PBA");

	/* Multi-function. */
	{
		static struct pci_dev f1;

		pci_dev_init(&f1, 0x1234, 0x1111, 0xff0000, 0, 0, 0, 0);
		tap_ok(pci_bus_add(&bus, &f1, 3, 1) == PCI_DEVFN(3, 1), "function 03.1");
		tap_ok(ecam_read(df, PCI_HEADER_TYPE, 1) == 0x80, "03.0 multi-function bit");
		tap_ok(pci_bus_add(&bus, &f1, -1, 0) == PCI_DEVFN(1, 0), "slot -1: first free slot 1");
	}
	test_msi();
	test_save_restore();
	pio_bus_destroy(&pio);
	return tap_done();
}
