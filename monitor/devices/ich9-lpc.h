/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * devices/ich9-lpc.h - the ICH9 LPC interface bridge at 00:1f.0 (Intel
 * 8086:2918), for firmware boots: PIRQ routing to the 8259s, the ACPI
 * power-management I/O block at PMBASE, the reset control register at
 * port 0xcf9 and the APM control/status ports 0xb2/0xb3.
 *
 * Reference: Intel I/O Controller Hub 9 (ICH9) Family datasheet
 * (document 316972): 13.1 "LPC Interface Bridge Registers (D31:F0)":
 * 13.1.10 PMBASE (40h), 13.1.11 ACPI_CNTL (44h), 13.1.13/13.1.14
 * PIRQ[n]_ROUT (60h-63h, 68h-6Bh), 13.1.35 RCBA (F0h); 13.7.5 RST_CNT
 * (I/O CF9h); 13.8.3 "Power Management I/O Registers" (PMBASE + 00h..7Fh):
 * 13.8.3.10 SMI_EN (30h), 13.8.3.11 SMI_STS (34h); 13.7.2 APM_CNT (B2h),
 * APM_STS (B3h).
 *
 * Model
 *  - Identity 8086:2918 rev 2, class 060100 (ISA bridge), subsystem
 *    1af4:1100, as SeaBIOS (src/fw/pciinit.c) looks for it.
 *  - PIRQ routing: PCI INTx line n (pci.h: the swizzled INTA..INTD of
 *    the bus = PIRQA..PIRQD; PIRQE..H have no source here) reaches the
 *    8259 input PIRQn_ROUT[3:0] while IRQEN (bit 7) is clear and that is
 *    a valid ISA IRQ (3-7, 9-12, 14, 15).  Lines sharing an IRQ are
 *    wire-ORed; ops.pic_irq() hears every change of an IRQ's level.
 *    The I/O APIC side is not routed here: the bus drives GSI 16+n
 *    directly, as the ICH9's PIRQ-to-IOxAPIC pins are fixed.
 *  - PMBASE / ACPI_CNTL: while ACPI_EN is set, ports [PMBASE, PMBASE+128)
 *    decode (ich9_lpc_pm_io()): offsets 00h-0Fh (PM1 status, enable,
 *    control, timer, and the machine's reset register at 0Ch, see
 *    acpi_pm.h) go to ops.pm_io, SMI_EN and SMI_STS are served here,
 *    the rest read 0 and ignore writes.  ACPI_CNTL[2:0] selects the SCI's
 *    IRQ (ich9_lpc_sci_irq()).
 *  - No System Management Mode: SMI_EN.APMC_EN (bit 5) reads 1 and cannot
 *    be cleared.  SeaBIOS (src/fw/smm.c) skips its SMM set-up when it
 *    finds that bit set ("SMM init is already done") instead of raising
 *    an SMI that nothing would serve and waiting for it forever; a write
 *    to APM_CNT raises nothing.  The other SMI_EN bits are plain storage.
 *  - RST_CNT (0xcf9): bits 3:1 stored; RST_CPU (bit 2) written 0 -> 1
 *    calls ops.reset().  The port sits inside PCI's 0xcf8-0xcff, so the
 *    machine registers ich9_lpc_cf8_io() for those ports, which passes
 *    everything but a byte at 0xcf9 to pci_cfg_io().
 *  - RCBA is stored (enable and base); the root complex register block
 *    itself is not modelled (reads all-ones there, as unclaimed MMIO).
 *
 * Threads: as pci.h; ops run inside the access that caused them.
 */
#ifndef VMAIN_MONITOR_DEVICES_ICH9_LPC_H
#define VMAIN_MONITOR_DEVICES_ICH9_LPC_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/pci.h"
#include "devices/pio.h"

#define ICH9_LPC_VENDOR		0x8086
#define ICH9_LPC_DEVICE		0x2918
#define ICH9_LPC_SLOT		31
#define ICH9_LPC_CLASS		0x060100

#define ICH9_LPC_PMBASE		0x40
#define ICH9_LPC_ACPI_CNTL	0x44
#define ICH9_LPC_ACPI_EN	0x80
#define ICH9_LPC_PIRQA_ROUT	0x60	/* A-D */
#define ICH9_LPC_PIRQE_ROUT	0x68	/* E-H */
#define ICH9_LPC_PIRQ_DISABLE	0x80	/* IRQEN: not routed to the 8259s */
#define ICH9_LPC_RCBA		0xf0

#define ICH9_PM_SIZE		128
#define ICH9_PM_SMI_EN		0x30
#define ICH9_PM_SMI_STS		0x34
#define ICH9_SMI_EN_APMC_EN	(1u << 5)

#define ICH9_PORT_APM_CNT	0xb2
#define ICH9_PORT_RST_CNT	0xcf9
#define ICH9_RST_CNT_SYS_RST	0x02
#define ICH9_RST_CNT_RST_CPU	0x04
#define ICH9_RST_CNT_FULL_RST	0x08

#define ICH9_NR_PIRQ		8

struct ich9_lpc_ops {
	/* The 8259 input `irq` (ISA IRQ 0-15) changed to `level`. */
	void (*pic_irq)(void *opaque, unsigned irq, bool level);
	/* PM1 registers, offset 0x00-0x0f into the PM block (acpi_pm_io()). */
	pio_io_fn pm_io;
	/* RST_CNT asked for a reset (hard when `full`). */
	void (*reset)(void *opaque, bool full);
};

struct ich9_lpc {
	struct pci_dev dev;
	struct pci_bus *bus;
	struct ich9_lpc_ops ops;
	void *opaque;
	void *pm_opaque;		/* for ops.pm_io */
	bool pirq_level[ICH9_NR_PIRQ];	/* the PIRQ inputs */
	uint16_t pic_level;		/* IRQs this device drives high (bit n = IRQ n) */
	uint32_t smi_en;
	uint32_t smi_sts;
	uint8_t rst_cnt;
	uint8_t apm_cnt, apm_sts;
};

/*
 * Builds the function and adds it to `bus` at 1f.0.  pm_opaque goes to
 * ops.pm_io.  Returns the devfn or -errno.
 */
int ich9_lpc_init(struct ich9_lpc *lpc, struct pci_bus *bus,
		  const struct ich9_lpc_ops *ops, void *opaque, void *pm_opaque);

/* Claims the APM ports 0xb2-0xb3 on `pio`. */
int ich9_lpc_register(struct ich9_lpc *lpc, struct pio_bus *pio);

/*
 * The pio_io_fn for ports 0xcf8-0xcff (opaque = the LPC): RST_CNT at
 * 0xcf9 (byte accesses), everything else pci_cfg_io() on the LPC's bus.
 */
int ich9_lpc_cf8_io(void *opaque, uint16_t port_offset, unsigned size,
		    bool write, uint32_t *data);

/*
 * One port access that no fixed device claimed: served when it falls in
 * the PM block (PMBASE decoding), else PIO_UNCLAIMED (data untouched).
 */
int ich9_lpc_pm_io(struct ich9_lpc *lpc, uint16_t port, unsigned size,
		   bool write, uint32_t *data);

/* PIRQ `n` (0-7: A-H) driven to `level` (from the PCI bus's INTx lines). */
void ich9_lpc_set_pirq(struct ich9_lpc *lpc, unsigned n, bool level);

/* The ISA IRQ the SCI goes to (ACPI_CNTL[2:0]); 9 after reset. */
unsigned ich9_lpc_sci_irq(const struct ich9_lpc *lpc);

/* PMBASE's I/O base while it decodes; 0 while ACPI_EN is clear. */
uint16_t ich9_lpc_pmbase(const struct ich9_lpc *lpc);

/* Power-on state of what the config image does not hold. */
void ich9_lpc_reset(struct ich9_lpc *lpc);

struct state_writer;
struct state_reader;

/*
 * Save and restore (state/stream.h): the function's config space
 * (pci_dev_save(), section "pci-fn" / 0xf8) and section "ich9-lpc" / 0:
 * SMI_EN, SMI_STS, RST_CNT, the APM ports, the PIRQ input levels.  The
 * load recomputes the 8259 levels it drives without calling pic_irq()
 * (the 8259s restore their own inputs).
 */
int ich9_lpc_save(const struct ich9_lpc *lpc, struct state_writer *w);
int ich9_lpc_load(struct ich9_lpc *lpc, struct state_reader *r);

#endif
