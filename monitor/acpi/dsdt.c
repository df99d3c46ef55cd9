// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * acpi/dsdt.c - the Differentiated System Description Table (ACPI 6.x
 * 5.2.11.1), revision 2 (64-bit integers), in AML (acpi/aml.h).  What it
 * holds, in ASL:
 *
 *   Name (_S5, Package (4) { 5, 5, 0, 0 })       // 7.4.2.5 \_S5
 *   Scope (\_SB) {
 *     Device (PCI0) {                            // PCI Firmware 3.0, 4.1.1
 *       Name (_HID, EISAID ("PNP0A08"))          // PCI Express root
 *       Name (_CID, EISAID ("PNP0A03"))          // PCI root
 *       Name (_SEG, 0)  Name (_BBN, 0)  Name (_UID, 0)
 *       Name (_CRS, ResourceTemplate () {        // 6.2.2 _CRS
 *         WordBusNumber (ResourceProducer, MinFixed, MaxFixed, PosDecode,
 *                        0, 0, 0, 0, 1)
 *         IO (Decode16, 0xcf8, 0xcf8, 1, 8)      // conf1, consumed
 *         WordIO (ResourceProducer, MinFixed, MaxFixed, PosDecode,
 *                 EntireRange, 0, 0x0000, 0x0cf7, 0, 0x0cf8)
 *         WordIO (..., 0, 0x0d00, 0xffff, 0, 0xf300)
 *         DWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed,
 *                      NonCacheable, ReadWrite, 0, 0xc0000000,
 *                      0xdfffffff, 0, 0x20000000)
 *       })
 *       Name (_PRT, Package () { ... })          // if pci_intx_gsi_base
 *     }
 *     Device (MRES) {                            // motherboard resources
 *       Name (_HID, EISAID ("PNP0C02"))  Name (_UID, 0)
 *       Name (_CRS, ResourceTemplate () {
 *         Memory32Fixed (ReadWrite, 0xe0000000, 0x100000)  // ECAM
 *       })
 *     }
 *     Device (COM1) {                            // if cfg->com1
 *       Name (_HID, EISAID ("PNP0501"))  Name (_UID, 1)
 *       Name (_CRS, ResourceTemplate () {
 *         IO (Decode16, 0x3f8, 0x3f8, 8, 8)  IRQNoFlags () {4}
 *       })
 *     }
 *     Device (KBD) {                             // if cfg->ps2
 *       Name (_HID, EISAID ("PNP0303"))
 *       Name (_CRS, ResourceTemplate () {
 *         IO (Decode16, 0x60, 0x60, 1, 1)  IO (Decode16, 0x64, 0x64, 1, 1)
 *         IRQNoFlags () {1}
 *       })
 *     }
 *     Device (MOU) {                             // if cfg->ps2
 *       Name (_HID, EISAID ("PNP0F13"))
 *       Name (_CRS, ResourceTemplate () { IRQNoFlags () {12} })
 *     }
 *     Device (FWCF) {                            // if cfg->fw_cfg
 *       Name (_HID, "QEMU0002")                  // QEMU's fw_cfg.rst
 *       Name (_STA, 0x0B)        // present, enabled, functioning, not shown
 *       Name (_CRS, ResourceTemplate () {
 *         IO (Decode16, 0x510, 0x510, 1, 12)     // selector, data, DMA
 *       })
 *     }
 *   }
 */
#include <errno.h>

#include "acpi/aml.h"
#include "acpi/sdt.h"

#define PCI_SLOTS	32

static void pci0_crs(struct aml *a, const struct acpi_config *cfg)
{
	const uint8_t fixed = AML_RES_MIN_FIXED | AML_RES_MAX_FIXED;
	size_t m;

	aml_name(a, "_CRS");
	m = aml_restemplate_begin(a);
	aml_res_word_bus(a, fixed, 0, MEMMAP_ECAM_BUSES - 1);
	aml_res_io(a, PORT_PCI_CONFIG_ADDR, PORT_PCI_CONFIG_ADDR, 1, 8);
	aml_res_word_io(a, fixed, 0x0000, PORT_PCI_CONFIG_ADDR - 1);
	aml_res_word_io(a, fixed, PORT_PCI_CONFIG_ADDR + 8, 0xffff);
	aml_res_dword_mem(a, fixed, AML_MEM_NON_CACHEABLE | AML_MEM_READ_WRITE,
			  acpi_pci_mmio_base(cfg),
			  acpi_pci_mmio_base(cfg) + acpi_pci_mmio_size(cfg) - 1);
	aml_restemplate_end(a, m);
}

/*
 * 6.2.13 _PRT: Package { Address (slot << 16 | 0xffff: any function),
 * Pin (0 = INTA), Source (0: the GSI form), Source Index (the GSI) }.
 */
static void pci0_prt(struct aml *a, unsigned int gsi_base)
{
	unsigned int slot, pin;
	size_t outer, inner;

	aml_name(a, "_PRT");
	outer = aml_package_begin(a, PCI_SLOTS * 4);
	for (slot = 0; slot < PCI_SLOTS; slot++) {
		for (pin = 0; pin < 4; pin++) {
			inner = aml_package_begin(a, 4);
			aml_integer(a, (uint64_t)slot << 16 | 0xffff);
			aml_integer(a, pin);
			aml_integer(a, 0);
			aml_integer(a, gsi_base + (slot + pin) % 4);
			aml_end(a, inner);
		}
	}
	aml_end(a, outer);
}

long acpi_build_dsdt(uint8_t *p, size_t room, const struct acpi_config *cfg)
{
	struct aml aml, *a = &aml;
	size_t sb, dev, pkg, m;
	int err;

	if (room < ACPI_SDT_HEADER_LEN)
		return -ENOSPC;
	aml_init(a, p + ACPI_SDT_HEADER_LEN, room - ACPI_SDT_HEADER_LEN);

	aml_name(a, "_S5");
	pkg = aml_package_begin(a, 4);
	aml_integer(a, ACPI_SLP_TYP_S5);	/* SLP_TYPa */
	aml_integer(a, ACPI_SLP_TYP_S5);	/* SLP_TYPb (no PM1b) */
	aml_integer(a, 0);
	aml_integer(a, 0);
	aml_end(a, pkg);

	sb = aml_scope_begin(a, "\\_SB");

	dev = aml_device_begin(a, "PCI0");
	aml_name_eisaid(a, "_HID", "PNP0A08");
	aml_name_eisaid(a, "_CID", "PNP0A03");
	aml_name_integer(a, "_SEG", 0);
	aml_name_integer(a, "_BBN", 0);
	aml_name_integer(a, "_UID", 0);
	pci0_crs(a, cfg);
	if (cfg->pci_intx_gsi_base)
		pci0_prt(a, cfg->pci_intx_gsi_base);
	aml_end(a, dev);

	dev = aml_device_begin(a, "MRES");
	aml_name_eisaid(a, "_HID", "PNP0C02");
	aml_name_integer(a, "_UID", 0);
	aml_name(a, "_CRS");
	m = aml_restemplate_begin(a);
	aml_res_mem32_fixed(a, true, (uint32_t)acpi_ecam_base(cfg),
			    (uint32_t)MEMMAP_ECAM_SIZE);
	aml_restemplate_end(a, m);
	aml_end(a, dev);

	if (cfg->com1) {
		dev = aml_device_begin(a, "COM1");
		aml_name_eisaid(a, "_HID", "PNP0501");
		aml_name_integer(a, "_UID", 1);
		aml_name(a, "_CRS");
		m = aml_restemplate_begin(a);
		aml_res_io(a, PORT_COM1, PORT_COM1, 8, 8);
		aml_res_irq_noflags(a, IRQ_COM1);
		aml_restemplate_end(a, m);
		aml_end(a, dev);
	}

	if (cfg->ps2) {
		dev = aml_device_begin(a, "KBD_");
		aml_name_eisaid(a, "_HID", "PNP0303");
		aml_name(a, "_CRS");
		m = aml_restemplate_begin(a);
		aml_res_io(a, PORT_I8042_DATA, PORT_I8042_DATA, 1, 1);
		aml_res_io(a, PORT_I8042_CMD, PORT_I8042_CMD, 1, 1);
		aml_res_irq_noflags(a, IRQ_I8042_KBD);
		aml_restemplate_end(a, m);
		aml_end(a, dev);

		dev = aml_device_begin(a, "MOU_");
		aml_name_eisaid(a, "_HID", "PNP0F13");
		aml_name(a, "_CRS");
		m = aml_restemplate_begin(a);
		aml_res_irq_noflags(a, IRQ_I8042_AUX);
		aml_restemplate_end(a, m);
		aml_end(a, dev);
	}

	if (cfg->fw_cfg) {
		dev = aml_device_begin(a, "FWCF");
		aml_name_string(a, "_HID", "QEMU0002");
		aml_name_integer(a, "_STA", 0x0b);
		aml_name(a, "_CRS");
		m = aml_restemplate_begin(a);
		aml_res_io(a, PORT_FW_CFG, PORT_FW_CFG, 1, PORT_FW_CFG_LEN);
		aml_restemplate_end(a, m);
		aml_end(a, dev);
	}

	aml_end(a, sb);

	err = aml_error(a);
	if (err)
		return err;
	if (a->depth)
		return -EINVAL;
	acpi_sdt_finish(p, "DSDT", (uint32_t)(ACPI_SDT_HEADER_LEN + a->len), 2,
			"VMAINDSD");
	return (long)(ACPI_SDT_HEADER_LEN + a->len);
}
