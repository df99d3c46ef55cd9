// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * acpi/mcfg.c - the MCFG table (PCI Firmware Specification 3.0, 4.1.2
 * "MCFG Table Description"; signature reserved by ACPI 6.x 5.2.6 Table
 * 5.6): one ECAM region, segment 0, buses 0 .. MEMMAP_ECAM_BUSES - 1.
 */
#include <errno.h>

#include "acpi/sdt.h"

long acpi_build_mcfg(uint8_t *p, size_t room, const struct acpi_config *cfg)
{
	const size_t e = ACPI_SDT_HEADER_LEN + 8;	/* after 8 reserved */

	if (room < ACPI_MCFG_LEN)
		return -ENOSPC;
	acpi_put64(p, e, acpi_ecam_base(cfg));		/* base address */
	acpi_put16(p, e + 8, 0);			/* segment group */
	acpi_put8(p, e + 10, 0);			/* start bus */
	acpi_put8(p, e + 11, MEMMAP_ECAM_BUSES - 1);	/* end bus */
	acpi_sdt_finish(p, "MCFG", ACPI_MCFG_LEN, 1, "VMAINMCF");
	return ACPI_MCFG_LEN;
}
