// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ich9-lpc-test.c - the ICH9 LPC bridge (monitor/devices/ich9-lpc.c) as
 * SeaBIOS's pciinit.c and smm.c drive it: PIRQ routing to the 8259s
 * (wire-OR, disable, invalid IRQs), PMBASE and ACPI_EN moving the PM
 * block, SMI_EN's hard-wired APMC_EN, the SCI's IRQ, RST_CNT at 0xcf9
 * beside the PCI config ports, the APM ports, reset and save/load.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "tap.h"
#include "devices/ich9-lpc.h"
#include "state/stream.h"

static int pic_calls, pic_irq_seen, pic_level_seen;
static int pm_calls;
static uint16_t pm_off_seen;
static int resets, full_seen;

static void pic_op(void *opaque, unsigned irq, bool level)
{
	(void)opaque;
	pic_calls++;
	pic_irq_seen = (int)irq;
	pic_level_seen = level;
}

static int pm_op(void *opaque, uint16_t off, unsigned size, bool write, uint32_t *data)
{
	(void)opaque;
	(void)size;
	pm_calls++;
	pm_off_seen = off;
	if (!write)
		*data = 0x1234;
	return 0;
}

static void reset_op(void *opaque, bool full)
{
	(void)opaque;
	resets++;
	full_seen = full;
}

static const struct ich9_lpc_ops ops = { .pic_irq = pic_op, .pm_io = pm_op, .reset = reset_op };

static struct pci_bus bus;
static struct pio_bus pio;

/* Config space of 1f.0 through 0xcf8/0xcfc, as the LPC's port handler serves them. */
static uint32_t cfg(struct ich9_lpc *l, unsigned reg, unsigned size, bool write, uint32_t v)
{
	uint32_t a = 0x80000000u | (uint32_t)PCI_DEVFN(31, 0) << 8 | (reg & 0xfc);

	ich9_lpc_cf8_io(l, 0, 4, true, &a);
	ich9_lpc_cf8_io(l, (uint16_t)(4 + (reg & 3)), size, write, &v);
	return v;
}

static uint32_t pm(struct ich9_lpc *l, uint16_t port, unsigned size, bool write, uint32_t v,
		   int *ret)
{
	*ret = ich9_lpc_pm_io(l, port, size, write, &v);
	return v;
}

static void test_pirq(struct ich9_lpc *l)
{
	static const uint8_t irqs[8] = { 10, 10, 11, 11, 10, 10, 11, 11 };
	unsigned i;

	pic_calls = 0;
	ich9_lpc_set_pirq(l, 0, true);
	tap_ok(pic_calls == 0, "PIRQ: routing disabled (80h) after reset: nothing reaches the 8259s");
	ich9_lpc_set_pirq(l, 0, false);
	/* mch_isa_bridge_setup(): PIRQA-H to 10, 10, 11, 11, ... */
	for (i = 0; i < 8; i++)
		cfg(l, i < 4 ? 0x60 + i : 0x68 + i - 4, 1, true, irqs[i]);
	tap_ok(cfg(l, 0x60, 4, false, 0) == 0x0b0b0a0au && cfg(l, 0x68, 4, false, 0) == 0x0b0b0a0au,
	       "PIRQ: the routing SeaBIOS writes reads back");
	pic_calls = 0;
	ich9_lpc_set_pirq(l, 0, true);
	tap_ok(pic_calls == 1 && pic_irq_seen == 10 && pic_level_seen, "PIRQA raises IRQ 10");
	ich9_lpc_set_pirq(l, 1, true);
	tap_ok(pic_calls == 1, "PIRQB on the same IRQ: no new edge (wire-OR)");
	ich9_lpc_set_pirq(l, 0, false);
	tap_ok(pic_calls == 1, "PIRQA drops, PIRQB holds IRQ 10 high");
	ich9_lpc_set_pirq(l, 1, false);
	tap_ok(pic_calls == 2 && pic_irq_seen == 10 && !pic_level_seen, "both low: IRQ 10 low");
	ich9_lpc_set_pirq(l, 2, true);
	tap_ok(pic_calls == 3 && pic_irq_seen == 11 && pic_level_seen, "PIRQC raises IRQ 11");
	cfg(l, 0x62, 1, true, 0x8b);
	tap_ok(pic_calls == 4 && pic_irq_seen == 11 && !pic_level_seen,
	       "IRQEN set while asserted: IRQ 11 released");
	cfg(l, 0x62, 1, true, 0x0d);
	tap_ok(pic_calls == 4, "routing to IRQ 13 (reserved): not routed");
	cfg(l, 0x62, 1, true, 0x05);
	tap_ok(pic_calls == 5 && pic_irq_seen == 5 && pic_level_seen, "rerouted to IRQ 5: raised there");
	ich9_lpc_set_pirq(l, 2, false);
	ich9_lpc_set_pirq(l, 9, true);
	tap_ok(pic_calls == 6, "PIRQ 9 does not exist: ignored");
	cfg(l, 0x62, 1, true, 0xff);
	tap_ok(cfg(l, 0x62, 1, false, 0) == 0x8f, "PIRQ: bits 6:4 reserved");
	cfg(l, 0x62, 1, true, 0x0b);
}

static void test_pm(struct ich9_lpc *l)
{
	uint32_t v;
	int ret;

	tap_ok(cfg(l, 0x40, 4, false, 0) == 1 && ich9_lpc_pmbase(l) == 0,
	       "PMBASE: RTE reads 1, nothing decodes after reset");
	pm(l, 0xb004, 2, false, 0, &ret);
	tap_ok(ret == PIO_UNCLAIMED, "PM block: unclaimed before ACPI_EN");
	/* ich9 LPC setup: PMBASE = 0xb000 | RTE, ACPI_EN, SCI on IRQ 9. */
	cfg(l, 0x40, 4, true, 0xb001);
	cfg(l, 0x44, 1, true, 0x80);
	tap_ok(cfg(l, 0x40, 4, false, 0) == 0xb001 && ich9_lpc_pmbase(l) == 0xb000,
	       "PMBASE: 0xb000, decoding");
	pm_calls = 0;
	v = pm(l, 0xb008, 4, false, 0, &ret);
	tap_ok(ret == 0 && pm_calls == 1 && pm_off_seen == 8 && v == 0x1234,
	       "PM block: the timer at PMBASE+8 goes to the PM1 registers");
	v = pm(l, 0xb030, 4, false, 0, &ret);
	tap_ok(ret == 0 && pm_calls == 1 && (v & ICH9_SMI_EN_APMC_EN),
	       "SMI_EN: APMC_EN reads 1 (SeaBIOS: SMM already set up)");
	pm(l, 0xb030, 4, true, 0x1, &ret);
	v = pm(l, 0xb030, 4, false, 0, &ret);
	tap_ok(v == (ICH9_SMI_EN_APMC_EN | 1), "SMI_EN: GBL_SMI_EN stored, APMC_EN cannot be cleared");
	v = pm(l, 0xb031, 1, false, 0, &ret);
	tap_ok(v == 0, "SMI_EN: byte access to the second byte");
	v = pm(l, 0xb020, 4, false, 0, &ret);
	tap_ok(ret == 0 && v == 0, "PM block: an unmodelled register reads 0");
	pm(l, 0xb080, 1, false, 0, &ret);
	tap_ok(ret == PIO_UNCLAIMED, "PM block: 128 bytes only");
	tap_ok(ich9_lpc_sci_irq(l) == 9, "SCI: IRQ 9");
	cfg(l, 0x44, 1, true, 0x81);
	tap_ok(ich9_lpc_sci_irq(l) == 10, "SCI: IRQ 10 when SCI_IRQ_SEL is 001b");
	cfg(l, 0x44, 1, true, 0x80);
	cfg(l, 0x40, 4, true, 0x0601);
	tap_ok(ich9_lpc_pmbase(l) == 0x600, "PMBASE moves (0x600)");
	pm_calls = 0;
	pm(l, 0xb004, 2, false, 0, &ret);
	pm(l, 0x604, 2, true, 0x2000, &ret);
	tap_ok(ret == 0 && pm_calls == 1 && pm_off_seen == 4, "PM block: follows PMBASE");
	cfg(l, 0x40, 4, true, 0xb001);
}

static void test_ports(struct ich9_lpc *l)
{
	uint32_t v = 0;

	v = cfg(l, PCI_VENDOR_ID, 4, false, 0);
	tap_ok(v == 0x29188086u, "config ports: 1f.0 is 8086:2918");
	tap_ok(cfg(l, PCI_REVISION_ID, 4, false, 0) >> 8 == ICH9_LPC_CLASS, "class: ISA bridge");
	resets = 0;
	v = 0x02;
	ich9_lpc_cf8_io(l, 1, 1, true, &v);
	tap_ok(resets == 0, "RST_CNT: SYS_RST alone resets nothing");
	v = 0x06;
	ich9_lpc_cf8_io(l, 1, 1, true, &v);
	tap_ok(resets == 1 && full_seen, "RST_CNT: RST_CPU 0 -> 1 with SYS_RST: a hard reset");
	v = 0;
	ich9_lpc_cf8_io(l, 1, 1, false, &v);
	tap_ok(v == 0x06, "RST_CNT: reads back");
	v = 0x06;
	ich9_lpc_cf8_io(l, 1, 1, true, &v);
	tap_ok(resets == 1, "RST_CNT: RST_CPU already 1: no second reset");
	v = 0xff;
	ich9_lpc_cf8_io(l, 1, 1, true, &v);
	ich9_lpc_cf8_io(l, 1, 1, false, &v);
	tap_ok(v == 0x0e, "RST_CNT: only bits 3:1");
	v = 0;
	ich9_lpc_cf8_io(l, 1, 1, true, &v);
	v = 0x04;
	ich9_lpc_cf8_io(l, 1, 1, true, &v);
	tap_ok(resets == 2 && !full_seen, "RST_CNT: RST_CPU alone: a soft reset");
	v = 0;
	ich9_lpc_cf8_io(l, 1, 1, true, &v);
	v = 0xab;
	pio_bus_dispatch(&pio, 0xb2, 1, true, &v);
	v = 0xcd;
	pio_bus_dispatch(&pio, 0xb3, 1, true, &v);
	v = 0;
	pio_bus_dispatch(&pio, 0xb2, 2, false, &v);
	tap_ok(v == 0xcdab, "APM_CNT/APM_STS: stored, read as a word");
}

static void test_save_load(struct ich9_lpc *l)
{
	struct pci_bus b2;
	struct ich9_lpc l2;
	struct state_writer w;
	struct state_reader r;
	const uint8_t *buf;
	uint32_t v;
	size_t len;
	int err, ret;

	ich9_lpc_set_pirq(l, 3, true);	/* IRQ 11 high */
	state_writer_init(&w);
	tap_ok(ich9_lpc_save(l, &w) == 0, "save");
	buf = state_writer_data(&w, &len, &err);
	pci_bus_init(&b2, NULL, NULL);
	ich9_lpc_init(&l2, &b2, &ops, NULL, NULL);
	pic_calls = 0;
	state_reader_init(&r, buf, len);
	tap_ok(ich9_lpc_load(&l2, &r) == 0 && state_reader_at_end(&r), "load (%s)",
	       state_reader_msg(&r));
	tap_ok(pic_calls == 0 && l2.pic_level == (1u << 11) && ich9_lpc_pmbase(&l2) == 0xb000,
	       "load: IRQ 11 counted high without a call, PMBASE decoding");
	v = pm(&l2, 0xb030, 4, false, 0, &ret);
	tap_ok(v == (ICH9_SMI_EN_APMC_EN | 1) && l2.apm_cnt == 0xab && l2.apm_sts == 0xcd,
	       "load: SMI_EN and the APM ports as saved");
	ich9_lpc_set_pirq(&l2, 3, false);
	tap_ok(pic_calls == 1 && pic_irq_seen == 11 && !pic_level_seen,
	       "load: the saved level drops as it would have");
	state_writer_free(&w);

	l->smi_en = 0;
	state_writer_init(&w);
	ich9_lpc_save(l, &w);
	buf = state_writer_data(&w, &len, &err);
	state_reader_init(&r, buf, len);
	tap_ok(ich9_lpc_load(&l2, &r) == -EINVAL, "load: APMC_EN clear refused (%s)",
	       state_reader_msg(&r));
	state_writer_free(&w);
	l->smi_en = ICH9_SMI_EN_APMC_EN;
}

static void test_reset(struct ich9_lpc *l)
{
	pic_calls = 0;
	pci_bus_reset(&bus);
	tap_ok(pic_calls == 1 && pic_irq_seen == 11 && !pic_level_seen && ich9_lpc_pmbase(l) == 0 &&
	       cfg(l, 0x63, 1, false, 0) == 0x80 && l->smi_en == ICH9_SMI_EN_APMC_EN,
	       "reset: routing off (IRQ released), PM block off, SMI_EN back");
}

int main(void)
{
	static struct ich9_lpc lpc;

	pci_bus_init(&bus, NULL, NULL);
	pio_bus_init(&pio);
	tap_ok(ich9_lpc_init(&lpc, &bus, &ops, NULL, NULL) == PCI_DEVFN(31, 0) &&
	       ich9_lpc_register(&lpc, &pio) == 0, "init: 1f.0, APM ports");
	test_pirq(&lpc);
	test_pm(&lpc);
	test_ports(&lpc);
	test_save_load(&lpc);
	test_reset(&lpc);
	pio_bus_destroy(&pio);
	printf("1..%u\n", tap_passed + tap_failed);
	return tap_done();
}
