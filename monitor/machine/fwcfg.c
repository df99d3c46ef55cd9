// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * machine/fwcfg.c - the machine's fw_cfg items and files (see fwcfg.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "acpi/smbios.h"
#include "acpi/tables.h"
#include "machine/firmware.h"
#include "machine/fwcfg.h"
#include "machine/machine.h"
#include "machine/memmap.h"

_Static_assert(FW_CFG_PORT_SEL == PORT_FW_CFG && FW_CFG_PORT_LEN == PORT_FW_CFG_LEN,
	       "fw_cfg's ports are the DSDT's");

/*
 * SeaBIOS's window for 32-bit BARs on a Q35 (src/fw/pciinit.c): from the
 * end of the 256 MiB PCIEXBAR window at 0xb0000000 up to the I/O APIC.
 */
#define FW_PCI_MMIO_BASE	0xc0000000u
#define FW_PCI_MMIO_END		0xfec00000u

void machine_acpi_config(const struct machine *m, struct acpi_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->nr_cpus = m->nr_vcpus;
	cfg->com1 = true;
	cfg->pci_intx_gsi_base = m->pci.intx_gsi[0];
	cfg->fw_cfg = true;
	if (!m->fw)
		return;
	/*
	 * Under firmware the tables describe what it programmed (they are
	 * rebuilt when it first selects them): the LPC's PMBASE (0 while
	 * ACPI decoding is off: the default then), the MCH's PCIEXBAR, and
	 * the BAR window.
	 */
	/*
	 * The 8042 has a keyboard (devices/ps2-kbd.h): SeaBIOS sets it up,
	 * and serves INT 16h (its boot menu, ISOLINUX, GRUB) from it, only
	 * when the DSDT has a PNP0303 (src/hw/ps2port.c).
	 */
	cfg->ps2 = true;
	cfg->pm_base = ich9_lpc_pmbase(&m->fw->lpc);
	if (m->pci.ecam_size && m->pci.ecam_base < 0x100000000ull)
		cfg->ecam_base = m->pci.ecam_base;
	cfg->pci_mmio_base = FW_PCI_MMIO_BASE;
	cfg->pci_mmio_size = FW_PCI_MMIO_END - FW_PCI_MMIO_BASE;
}

static uint64_t low_ram(const struct machine *m)
{
	return m->ram.low_size ? m->ram.low_size : m->ram.size;
}

/* CPUID.1 of vCPU 0's table, once the vCPUs exist (0 before). */
static void cpuid_1(const struct machine *m, uint32_t *eax, uint32_t *edx)
{
	uint32_t i;

	*eax = *edx = 0;
	for (i = 0; m->cpuid && i < m->ncpuid; i++) {
		if (m->cpuid[i].function == 1) {
			*eax = m->cpuid[i].eax;
			*edx = m->cpuid[i].edx;
			return;
		}
	}
}

static void acpi_selected(void *opaque, struct fw_cfg *fw, const char *name);
static void smbios_selected(void *opaque, struct fw_cfg *fw, const char *name);

/*
 * The ACPI files, added (first build) or replaced (the rebuild).  The
 * blobs' buffers are handed to fw_cfg, which frees them.
 */
static int acpi_files(struct machine *m, bool add)
{
	static const char *const names[3] = { ACPI_FILE_TABLES, ACPI_FILE_RSDP, ACPI_FILE_LOADER };
	struct fw_cfg *fw = &m->fwcfg.dev;
	struct acpi_config cfg;
	struct acpi_blobs b;
	uint8_t *data[3];
	size_t len[3];
	unsigned int i;
	int ret;

	machine_acpi_config(m, &cfg);
	ret = acpi_build_blobs(&cfg, &b);
	if (ret)
		return ret;
	data[0] = b.tables, len[0] = b.tables_len;
	data[1] = b.rsdp, len[1] = b.rsdp_len;
	data[2] = b.loader, len[2] = b.loader_len;
	for (i = 0; i < 3; i++) {
		/* Each call takes its buffer, on error too. */
		int r = add ? fw_cfg_add_file_cb(fw, names[i], data[i], len[i], FW_CFG_DATA_OWN,
						 acpi_selected, m) :
			      fw_cfg_update_file(fw, names[i], data[i], len[i], FW_CFG_DATA_OWN);

		ret = ret ? ret : r;
	}
	return ret;
}

static void acpi_selected(void *opaque, struct fw_cfg *fw, const char *name)
{
	struct machine *m = opaque;

	(void)fw;
	(void)name;
	if (m->fwcfg.acpi_rebuilt)
		return;
	m->fwcfg.acpi_rebuilt = true;
	/* A failure keeps the first build, which is whole. */
	if (acpi_files(m, false))
		fprintf(stderr, "vmain: cannot rebuild the ACPI tables for the firmware\n");
}

static int smbios_files(struct machine *m, bool add)
{
	struct fw_cfg *fw = &m->fwcfg.dev;
	struct smbios_config cfg = {
		.nr_cpus = m->nr_vcpus,
		.low_ram = low_ram(m),
		.high_ram = m->ram.size - low_ram(m),
		.uuid = m->cfg.uuid,
		.serial = m->fwcfg.serial,
	};
	struct smbios_blobs b;
	int ret, r;

	cpuid_1(m, &cfg.cpuid_1_eax, &cfg.cpuid_1_edx);
	ret = smbios_build(&cfg, &b);
	if (ret)
		return ret;
	if (add) {
		ret = fw_cfg_add_file_cb(fw, SMBIOS_FILE_ANCHOR, b.anchor, b.anchor_len,
					 FW_CFG_DATA_OWN, smbios_selected, m);
		r = fw_cfg_add_file_cb(fw, SMBIOS_FILE_TABLES, b.tables, b.tables_len,
				       FW_CFG_DATA_OWN, smbios_selected, m);
	} else {
		ret = fw_cfg_update_file(fw, SMBIOS_FILE_ANCHOR, b.anchor, b.anchor_len,
					 FW_CFG_DATA_OWN);
		r = fw_cfg_update_file(fw, SMBIOS_FILE_TABLES, b.tables, b.tables_len,
				       FW_CFG_DATA_OWN);
	}
	return ret ? ret : r;
}

/* Again once the vCPUs exist: type 4's processor ID is CPUID.1's. */
static void smbios_selected(void *opaque, struct fw_cfg *fw, const char *name)
{
	struct machine *m = opaque;

	(void)fw;
	(void)name;
	if (m->fwcfg.smbios_rebuilt)
		return;
	m->fwcfg.smbios_rebuilt = true;
	if (smbios_files(m, false))
		fprintf(stderr, "vmain: cannot rebuild the SMBIOS tables for the firmware\n");
}

static int fill(struct machine *m)
{
	struct fw_cfg *fw = &m->fwcfg.dev;
	const uint8_t *u = m->cfg.uuid;
	struct fw_cfg_machine mc = {
		.nr_cpus = (uint16_t)m->nr_vcpus,
		.max_cpus = (uint16_t)m->nr_vcpus,
		.ram_size = m->ram.size,
		.nographic = !m->cfg.display,
		.uuid = u,
	};
	int ret;

	snprintf(m->fwcfg.serial, sizeof(m->fwcfg.serial),
		 "vmain-%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11],
		 u[12], u[13], u[14], u[15]);
	if (m->nr_vcpus > 0xffff)
		return -E2BIG;
	ret = fw_cfg_add_machine(fw, &mc);
	/* Headless: SeaBIOS's console (and boot menu) on COM1. */
	if (!ret)
		ret = fw_cfg_add_boot_files(fw, m->cfg.display ? 0 : PORT_COM1);
	if (!ret)
		ret = fw_cfg_add_memory_map(fw, low_ram(m), m->ram.size - low_ram(m), NULL, 0);
	if (!ret)
		ret = smbios_files(m, true);
	if (!ret)
		ret = acpi_files(m, true);
	return ret;
}

int machine_fw_cfg_init(struct machine *m)
{
	int ret;

	ret = fw_cfg_init(&m->fwcfg.dev, &m->ram);
	if (!ret)
		ret = fill(m);
	if (!ret)
		ret = fw_cfg_register(&m->fwcfg.dev, &m->pio);
	if (ret) {
		fprintf(stderr, "vmain: cannot set up fw_cfg: %s\n", strerror(-ret));
		fw_cfg_destroy(&m->fwcfg.dev);
	}
	return ret;
}

void machine_fw_cfg_destroy(struct machine *m)
{
	fw_cfg_destroy(&m->fwcfg.dev);
}
