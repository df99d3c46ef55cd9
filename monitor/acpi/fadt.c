// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * acpi/fadt.c - the Fixed ACPI Description Table, revision 6 (ACPI 6.x
 * 5.2.9, Table 5.9 "FADT Format"), full fixed hardware (not
 * HW_REDUCED_ACPI): Linux keeps the PC's PIT, PICs, 8042 and RTC.
 *
 * The 32-bit block addresses and the X_ Generic Address Structures name
 * the same ports with the same lengths (ACPICA checks that they agree).
 * SMI_CMD is 0: the machine is always in ACPI mode, SCI_EN reads 1
 * (4.8.2.5 "Legacy/ACPI Select and the SCI Interrupt").
 */
#include <errno.h>

#include "acpi/sdt.h"

/* 5.2.9 Table 5.10 "Fixed ACPI Description Table Fixed Feature Flags". */
#define FADT_WBINVD		(1u << 0)
#define FADT_PROC_C1		(1u << 2)
#define FADT_SLP_BUTTON		(1u << 5)	/* no fixed sleep button */
#define FADT_FIX_RTC		(1u << 6)	/* no RTC wake status */
#define FADT_TMR_VAL_EXT	(1u << 8)	/* 32-bit PM timer */
#define FADT_RESET_REG_SUP	(1u << 10)

/* 5.2.9.3 Table 5.11 "IA-PC Boot Architecture Flags". */
#define BOOT_LEGACY_DEVICES	(1u << 0)
#define BOOT_8042		(1u << 1)
#define BOOT_VGA_NOT_PRESENT	(1u << 2)

/* Lengths of the fixed-hardware blocks (devices/acpi_pm.h). */
#define PM1_EVT_LEN		4
#define PM1_CNT_LEN		2
#define PM_TMR_LEN		4

long acpi_build_fadt(uint8_t *p, size_t room, const struct acpi_config *cfg,
		     uint64_t facs_addr, uint64_t dsdt_addr)
{
	const uint16_t pm = acpi_pm_base(cfg);

	if (room < ACPI_FADT_LEN)
		return -ENOSPC;

	acpi_put32(p, 36, (uint32_t)facs_addr);		/* FIRMWARE_CTRL */
	acpi_put32(p, 40, (uint32_t)dsdt_addr);		/* DSDT */
	acpi_put8(p, 45, 0);		/* Preferred_PM_Profile: unspecified */
	acpi_put16(p, 46, IRQ_ACPI_SCI);		/* SCI_INT */
	acpi_put32(p, 48, 0);		/* SMI_CMD: no SMM, ACPI mode fixed */
	acpi_put32(p, 56, pm);				/* PM1a_EVT_BLK */
	acpi_put32(p, 64, pm + ACPI_PM1A_CNT_OFF);	/* PM1a_CNT_BLK */
	acpi_put32(p, 76, pm + ACPI_PM_TMR_OFF);	/* PM_TMR_BLK */
	acpi_put8(p, 88, PM1_EVT_LEN);
	acpi_put8(p, 89, PM1_CNT_LEN);
	acpi_put8(p, 91, PM_TMR_LEN);
	/* No C2/C3 (5.2.9: > 100 and > 1000 us mean "not supported"). */
	acpi_put16(p, 96, 101);				/* P_LVL2_LAT */
	acpi_put16(p, 98, 1001);			/* P_LVL3_LAT */
	acpi_put8(p, 108, 0x32);	/* CENTURY: CMOS byte (devices/cmos_rtc.h) */
	acpi_put16(p, 109, BOOT_LEGACY_DEVICES | BOOT_8042 |
		   BOOT_VGA_NOT_PRESENT);		/* IAPC_BOOT_ARCH */
	acpi_put32(p, 112, FADT_WBINVD | FADT_PROC_C1 | FADT_SLP_BUTTON |
		   FADT_FIX_RTC | FADT_TMR_VAL_EXT | FADT_RESET_REG_SUP);
	acpi_put_gas(p, 116, ACPI_GAS_SYSTEM_IO, 8, ACPI_GAS_ACCESS_BYTE,
		     pm + ACPI_RESET_OFF);		/* RESET_REG */
	acpi_put8(p, 128, ACPI_RESET_VALUE);		/* RESET_VALUE */
	acpi_put8(p, 131, 0);				/* FADT minor version */
	acpi_put64(p, 132, facs_addr);			/* X_FIRMWARE_CTRL */
	acpi_put64(p, 140, dsdt_addr);			/* X_DSDT */
	acpi_put_gas(p, 148, ACPI_GAS_SYSTEM_IO, 8 * PM1_EVT_LEN,
		     ACPI_GAS_ACCESS_WORD, pm);
	acpi_put_gas(p, 172, ACPI_GAS_SYSTEM_IO, 8 * PM1_CNT_LEN,
		     ACPI_GAS_ACCESS_WORD, pm + ACPI_PM1A_CNT_OFF);
	acpi_put_gas(p, 208, ACPI_GAS_SYSTEM_IO, 8 * PM_TMR_LEN,
		     ACPI_GAS_ACCESS_DWORD, pm + ACPI_PM_TMR_OFF);
	/* Hypervisor Vendor Identity (offset 268): left 0. */

	acpi_sdt_finish(p, "FACP", ACPI_FADT_LEN, ACPI_FADT_REVISION, "VMAINFAC");
	return ACPI_FADT_LEN;
}
