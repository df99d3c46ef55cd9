// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * q35-host-test.c - the Q35 MCH (monitor/devices/q35-host.c) driven
 * through configuration mechanism #1 the way SeaBIOS drives it: its
 * identity, make_bios_writable()'s dword PAM writes and
 * make_bios_readonly()'s, the SMRAM window opened, closed and locked,
 * PCIEXBAR moving the ECAM, reset, and save/load.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "tap.h"
#include "devices/q35-host.h"
#include "state/stream.h"

/* What the ops were told, in order. */
static int pam_calls, smram_calls;
static int pam_seen[Q35_PAM_REGIONS];
static bool smram_open;

static void pam_op(void *opaque, unsigned region, enum q35_pam_mode mode)
{
	(void)opaque;
	pam_calls++;
	pam_seen[region] = (int)mode;
}

static void smram_op(void *opaque, bool open)
{
	(void)opaque;
	smram_calls++;
	smram_open = open;
}

static const struct q35_host_ops ops = { .pam = pam_op, .smram = smram_op };

static void reset_seen(void)
{
	pam_calls = smram_calls = 0;
	memset(pam_seen, 0xff, sizeof(pam_seen));
}

static uint32_t cfg(struct pci_bus *bus, unsigned reg, unsigned size, bool write, uint32_t v)
{
	uint32_t a = 0x80000000u | (reg & 0xfc);

	pci_cfg_io(bus, 0, 4, true, &a);
	pci_cfg_io(bus, (uint16_t)(4 + (reg & 3)), size, write, &v);
	return v;
}

static void test_identity(struct pci_bus *bus)
{
	tap_ok(cfg(bus, PCI_VENDOR_ID, 4, false, 0) == 0x29c08086u, "identity: 8086:29c0");
	tap_ok(cfg(bus, PCI_SUBSYSTEM_VENDOR_ID, 4, false, 0) == 0x11001af4u,
	       "identity: subsystem 1af4:1100 (SeaBIOS's qemu_detect())");
	tap_ok(cfg(bus, PCI_REVISION_ID, 4, false, 0) >> 8 == 0x060000, "identity: host bridge class");
	tap_ok(cfg(bus, Q35_SMRAM, 1, false, 0) == 0x02 && cfg(bus, Q35_ESMRAMC, 1, false, 0) == 0x38,
	       "reset: SMRAM 02h, ESMRAMC 38h");
	tap_ok(bus->ecam_size == 0, "reset: PCIEXBAR disabled, no ECAM");
}

static void test_pam(struct pci_bus *bus, struct q35_host *h)
{
	unsigned i;
	bool all;

	reset_seen();
	q35_host_apply(h);
	all = pam_calls == Q35_PAM_REGIONS && smram_calls == 1 && !smram_open;
	for (i = 0; i < Q35_PAM_REGIONS; i++)
		all = all && pam_seen[i] == Q35_PAM_OFF;
	tap_ok(all, "apply: every region off, SMRAM closed, each said once");

	/* make_bios_writable(): PAM1-6 = 33h, PAM0 = 30h, two dword writes. */
	reset_seen();
	cfg(bus, 0x90, 4, true, 0x33333330u);
	cfg(bus, 0x94, 4, true, 0x00333333u);
	all = pam_calls == Q35_PAM_REGIONS;
	for (i = 0; i < Q35_PAM_REGIONS; i++)
		all = all && pam_seen[i] == Q35_PAM_RW && q35_host_pam_mode(h, i) == Q35_PAM_RW;
	tap_ok(all, "make_bios_writable: all 13 regions read/write, once each (%d calls)", pam_calls);
	tap_ok(cfg(bus, 0x97, 1, false, 0) == 0, "PAM: byte 97h is not a PAM register");

	/* make_bios_readonly(): 0xc0000-0xc7fff (an option ROM) RO, the rest RW, f-segment RO. */
	reset_seen();
	cfg(bus, 0x91, 1, true, 0x11);
	cfg(bus, 0x90, 1, true, 0x10);
	tap_ok(pam_calls == 3 && pam_seen[0] == Q35_PAM_RO && pam_seen[1] == Q35_PAM_RO &&
	       pam_seen[2] == Q35_PAM_RO && q35_host_pam_mode(h, 3) == Q35_PAM_RW,
	       "make_bios_readonly: regions 0, 1, 2 read-only, 3 still read/write");
	reset_seen();
	cfg(bus, 0x90, 1, true, 0x10);
	tap_ok(pam_calls == 0, "PAM: the same value again changes nothing");
	cfg(bus, 0x92, 1, true, 0x21);
	tap_ok(pam_calls == 2 && pam_seen[3] == Q35_PAM_RO && pam_seen[4] == Q35_PAM_WO,
	       "PAM2: low half read-only, high half write-only");
	cfg(bus, 0x90, 1, true, 0xff);
	tap_ok(cfg(bus, 0x90, 1, false, 0) == 0x30, "PAM0: only HIENABLE (bits 5:4) is writable");
	tap_ok(q35_pam_region(0xbffff) == -1 && q35_pam_region(0xc0000) == 1 &&
	       q35_pam_region(0xc4000) == 2 && q35_pam_region(0xeffff) == 12 &&
	       q35_pam_region(0xf0000) == 0 && q35_pam_region(0xfffff) == 0 &&
	       q35_pam_region(0x100000) == -1, "regions: 0xc0000.. in 16 KiB, 0xf0000 one of 64 KiB");
	tap_ok(q35_pam_base(12) == 0xec000 && q35_pam_size(12) == 0x4000 &&
	       q35_pam_base(0) == 0xf0000 && q35_pam_size(0) == 0x10000, "regions: bases and sizes");
}

static void test_smram(struct pci_bus *bus)
{
	/* SeaBIOS's smm.c: open (02h | 48h), then close (02h | 08h). */
	reset_seen();
	cfg(bus, Q35_SMRAM, 1, true, 0x4a);
	tap_ok(smram_calls == 1 && smram_open, "SMRAM: D_OPEN shows the RAM at 0xa0000");
	cfg(bus, Q35_ESMRAMC, 1, true, Q35_ESMRAMC_H_SMRAME);
	tap_ok(smram_calls == 2 && !smram_open, "SMRAM: H_SMRAME hides the low window again");
	cfg(bus, Q35_ESMRAMC, 1, true, 0);
	tap_ok(smram_calls == 3 && smram_open && cfg(bus, Q35_ESMRAMC, 1, false, 0) == 0x38,
	       "ESMRAMC: cleared, SM bits still read 1");
	cfg(bus, Q35_SMRAM, 1, true, 0x0a);
	tap_ok(smram_calls == 4 && !smram_open, "SMRAM: closed");
	cfg(bus, Q35_SMRAM, 1, true, 0xff);
	tap_ok((cfg(bus, Q35_SMRAM, 1, false, 0) & 0x07) == 0x02, "SMRAM: C_BASE_SEG read-only");
	/* 0xff set D_LCK: D_OPEN is gone and cannot come back. */
	tap_ok(!(cfg(bus, Q35_SMRAM, 1, false, 0) & Q35_SMRAM_D_OPEN) && !smram_open,
	       "SMRAM: D_LCK clears D_OPEN");
	cfg(bus, Q35_SMRAM, 1, true, 0x4a);
	cfg(bus, Q35_ESMRAMC, 1, true, 0x81);
	tap_ok(!smram_open && (cfg(bus, Q35_SMRAM, 1, false, 0) & Q35_SMRAM_D_LCK) &&
	       cfg(bus, Q35_ESMRAMC, 1, false, 0) == 0x38, "SMRAM: locked until reset");
}

static void test_pciexbar(struct pci_bus *bus)
{
	uint64_t v = 0;

	/* mch_mem_addr_setup(): 0, then the high dword, then base | enable. */
	cfg(bus, Q35_PCIEXBAR, 4, true, 0);
	cfg(bus, Q35_PCIEXBAR + 4, 4, true, 0);
	cfg(bus, Q35_PCIEXBAR, 4, true, 0xb0000001u);
	tap_ok(bus->ecam_base == 0xb0000000ull && bus->ecam_size == 1u << 20,
	       "PCIEXBAR: ECAM at 0xb0000000 (256 MiB window, bus 0 decoded)");
	tap_ok(pci_mmio(bus, 0xb0000000ull, 4, false, &v) == 0 && v == 0x29c08086u,
	       "PCIEXBAR: 00.0 read through the new ECAM");
	tap_ok(pci_mmio(bus, 0xe0000000ull, 4, false, &v) == PCI_UNCLAIMED,
	       "PCIEXBAR: nothing at the direct boot's 0xe0000000");
	cfg(bus, Q35_PCIEXBAR, 4, true, 0xe0000005u);
	tap_ok(bus->ecam_base == 0xe0000000ull, "PCIEXBAR: 64 MiB length at 0xe0000000");
	cfg(bus, Q35_PCIEXBAR, 4, true, 0xe0000007u);
	tap_ok(bus->ecam_size == 0, "PCIEXBAR: the reserved length decodes nothing");
	cfg(bus, Q35_PCIEXBAR, 4, true, 0xb0000000u);
	tap_ok(bus->ecam_size == 0, "PCIEXBAR: disabled");
	cfg(bus, Q35_PCIEXBAR, 4, true, 0xb0000001u);
}

static void test_reset(struct pci_bus *bus, struct q35_host *h)
{
	reset_seen();
	pci_bus_reset(bus);
	tap_ok(!h->locked && q35_host_pam_mode(h, 0) == Q35_PAM_OFF && pam_calls > 0 &&
	       pam_seen[0] == Q35_PAM_OFF && bus->ecam_size == 0,
	       "reset: lock gone, regions off (said), ECAM off");
	cfg(bus, Q35_SMRAM, 1, true, 0x4a);
	tap_ok(smram_open, "reset: SMRAM can be opened again");
	cfg(bus, Q35_SMRAM, 1, true, 0x0a);
}

static void test_save_load(void)
{
	struct pci_bus a, b;
	struct q35_host ha, hb;
	struct state_writer w;
	struct state_reader r;
	const uint8_t *buf;
	size_t len;
	int err;

	pci_bus_init(&a, NULL, NULL);
	q35_host_init(&ha, &a, &ops, NULL);
	cfg(&a, 0x90, 4, true, 0x13333310u);	/* f-segment RO, c/d RW, e0000 RO */
	cfg(&a, Q35_PCIEXBAR, 4, true, 0xb0000001u);
	cfg(&a, Q35_SMRAM, 1, true, 0x1a);	/* locked */
	state_writer_init(&w);
	tap_ok(pci_bus_save(&a, &w) == 0 && q35_host_save(&ha, &w) == 0, "save: bus and MCH");
	buf = state_writer_data(&w, &len, &err);

	pci_bus_init(&b, NULL, NULL);
	q35_host_init(&hb, &b, &ops, NULL);
	reset_seen();
	state_reader_init(&r, buf, len);
	tap_ok(pci_bus_load(&b, &r) == 0 && q35_host_load(&hb, &r) == 0 &&
	       state_reader_at_end(&r), "load: bus and MCH (%s)", state_reader_msg(&r));
	tap_ok(pam_calls == Q35_PAM_REGIONS && smram_calls == 1 && pam_seen[0] == Q35_PAM_RO &&
	       pam_seen[1] == Q35_PAM_RW && pam_seen[6] == Q35_PAM_RO,
	       "load: every region mapped again as saved");
	tap_ok(b.ecam_base == 0xb0000000ull && b.ecam_size == 1u << 20, "load: ECAM where saved");
	cfg(&b, Q35_SMRAM, 1, true, 0x4a);
	tap_ok(hb.locked && !smram_open && !(cfg(&b, Q35_SMRAM, 1, false, 0) & Q35_SMRAM_D_OPEN),
	       "load: still locked (D_OPEN refused)");
	state_writer_free(&w);

	/* A lock flag the registers contradict. */
	ha.locked = false;
	state_writer_init(&w);
	pci_bus_save(&a, &w);
	q35_host_save(&ha, &w);
	buf = state_writer_data(&w, &len, &err);
	pci_bus_init(&b, NULL, NULL);
	q35_host_init(&hb, &b, &ops, NULL);
	state_reader_init(&r, buf, len);
	tap_ok(pci_bus_load(&b, &r) == 0 && q35_host_load(&hb, &r) == -EINVAL,
	       "load: lock flag without D_LCK refused (%s)", state_reader_msg(&r));
	state_writer_free(&w);
}

int main(void)
{
	struct pci_bus bus;
	struct q35_host h;

	pci_bus_init(&bus, NULL, NULL);
	tap_ok(q35_host_init(&h, &bus, &ops, NULL) == 0 && bus.devs[0] == &bus.host_bridge,
	       "init: the MCH is 00.0");
	test_identity(&bus);
	test_pam(&bus, &h);
	test_smram(&bus);
	test_pciexbar(&bus);
	test_reset(&bus, &h);
	test_save_load();
	printf("1..%u\n", tap_passed + tap_failed);
	return tap_done();
}
