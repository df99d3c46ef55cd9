// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * firmware-test.c - the firmware boot's machine side with a recording
 * backend: the reset map (RAM cut at 640 KiB and 1 MiB, the ROM below
 * 4 GiB, its alias at 0xe0000), PAM and SMRAM writes becoming slot
 * changes, firmware_mmio() serving every mode (write-only included),
 * ROM sizes refused and the reset vector.  (A BIOS's vector 08h needs
 * nothing here any more: both backends inject vectors 0-255.)
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "machine/firmware.h"
#include "machine/machine.h"

#define ROM_SIZE	(256u << 10)
#define RAM_SIZE	(64u << 20)

/* --- a recording backend ------------------------------------------------- */

struct slot { bool live; uint64_t gpa, size; void *hva; bool ro; };
static struct slot slots[32];
static int set_memory_calls, interrupt_ret, interrupts, stops;
static enum machine_exit stop_why;
static struct vmain_regs regs;
static struct vmain_sregs sregs;

static int fake_set_memory(struct hv_vm *vm, uint32_t slot, uint64_t gpa, uint64_t size,
			   void *hva, bool readonly)
{
	(void)vm;
	set_memory_calls++;
	if (slot >= 32)
		return -EINVAL;
	if (!size) {
		if (!slots[slot].live)
			return -ENOENT;
		slots[slot].live = false;
		return 0;
	}
	if (slots[slot].live)
		return -EINVAL;	/* as vmain.ko: delete first */
	slots[slot] = (struct slot){ true, gpa, size, hva, readonly };
	return 0;
}

static int fake_get_regs(struct hv_vcpu *v, struct vmain_regs *r) { (void)v; *r = regs; return 0; }
static int fake_set_regs(struct hv_vcpu *v, const struct vmain_regs *r) { (void)v; regs = *r; return 0; }
static int fake_get_sregs(struct hv_vcpu *v, struct vmain_sregs *s) { (void)v; *s = sregs; return 0; }
static int fake_set_sregs(struct hv_vcpu *v, const struct vmain_sregs *s) { (void)v; sregs = *s; return 0; }
static bool fake_ready(struct hv_vcpu *v) { (void)v; return true; }
static int fake_interrupt(struct hv_vcpu *v, uint8_t vec)
{
	(void)v;
	(void)vec;
	if (!interrupt_ret)
		interrupts++;
	return interrupt_ret;
}
static void fake_kick(struct hv_vcpu *v) { (void)v; }

static const struct hv_backend fake = {
	.name = "fake", .set_memory = fake_set_memory, .get_regs = fake_get_regs,
	.set_regs = fake_set_regs, .get_sregs = fake_get_sregs, .set_sregs = fake_set_sregs,
	.ready_for_interrupt = fake_ready, .interrupt = fake_interrupt, .kick = fake_kick,
};

/* What machine.c and vcpu.c would provide. */
void machine_stop_locked(struct machine *mm, enum machine_exit why)
{
	(void)mm;
	stops++;
	stop_why = why;
}

void machine_vcpu_rearm_timer(struct vcpu *v)
{
	(void)v;
}

/* --- the machine ----------------------------------------------------------- */

static struct machine m;
static struct vcpu vcpu;
static uint8_t *ram;
static char rom_path[] = "/tmp/firmware-test-XXXXXX";

static int64_t zero_clock(void *opaque)
{
	(void)opaque;
	return 0;
}

static void pic_output(void *opaque, bool level)
{
	((struct machine *)opaque)->pic_output = level;
}

static int setup(void)
{
	static const struct i8259_ops pic_ops = { .output = pic_output };
	struct lapic_ops ops;
	uint8_t *rom = malloc(ROM_SIZE);
	int fd, ret;
	unsigned i;

	for (i = 0; i < ROM_SIZE; i++)
		rom[i] = (uint8_t)(i * 7 + 1);
	fd = mkstemp(rom_path);
	if (fd < 0 || write(fd, rom, ROM_SIZE) != (ssize_t)ROM_SIZE)
		return -EIO;
	close(fd);
	free(rom);
	ram = calloc(1, RAM_SIZE);
	memset(&m, 0, sizeof(m));
	m.cfg.bios = rom_path;
	m.vm.backend = &fake;
	m.ram.base = ram;
	m.ram.size = RAM_SIZE;
	m.nr_vcpus = 1;
	m.vcpus = &vcpu;
	pio_bus_init(&m.pio);
	i8259_init(&m.pic, &pic_ops, &m);
	cmos_rtc_init(&m.rtc, NULL, NULL);
	pci_bus_init(&m.pci, NULL, NULL);
	ret = firmware_init(&m);
	if (ret)
		return ret;
	vcpu.m = &m;
	vcpu.hv.vm = &m.vm;
	pthread_cond_init(&vcpu.wake, NULL);
	machine_lapic_ops(&ops);
	lapic_init(&vcpu.lapic, &ops, &vcpu, 0, zero_clock, NULL, 1000000000);
	return firmware_map(&m);
}

static uint32_t cfg(unsigned devfn, unsigned reg, unsigned size, bool write, uint32_t v)
{
	pci_cfg_access(&m.pci, (uint8_t)devfn, reg, size, write, &v);
	return v;
}

static uint8_t rom_byte(uint64_t off)
{
	return (uint8_t)(off * 7 + 1);
}

static uint64_t mmio(uint64_t gpa, unsigned size, bool write, uint64_t v, bool *handled)
{
	*handled = firmware_mmio(&m, gpa, size, write, &v);
	return v;
}

static void test_map(void)
{
	struct slot *pam0 = &slots[FW_SLOT_PAM + 0], *e0 = &slots[FW_SLOT_PAM + 9];

	tap_ok(slots[FW_SLOT_LOW].live && slots[FW_SLOT_LOW].gpa == 0 &&
	       slots[FW_SLOT_LOW].size == 0xa0000 && !slots[FW_SLOT_LOW].ro,
	       "reset map: RAM 0-640 KiB");
	tap_ok(slots[FW_SLOT_RAM].live && slots[FW_SLOT_RAM].gpa == 0x100000 &&
	       slots[FW_SLOT_RAM].size == RAM_SIZE - 0x100000 &&
	       slots[FW_SLOT_RAM].hva == ram + 0x100000, "reset map: RAM from 1 MiB");
	tap_ok(slots[FW_SLOT_ROM].live && slots[FW_SLOT_ROM].gpa == 0x100000000ull - ROM_SIZE &&
	       slots[FW_SLOT_ROM].ro, "reset map: the ROM read-only at 4 GiB - 256 KiB");
	tap_ok(pam0->live && pam0->ro && pam0->gpa == 0xf0000 &&
	       pam0->hva == m.fw->rom + ROM_SIZE - 0x10000 && e0->live && e0->gpa == 0xe0000 &&
	       e0->hva == m.fw->rom + ROM_SIZE - 0x20000,
	       "reset map: the ROM's last 128 KiB aliased at 0xe0000 (PAM off)");
	tap_ok(!slots[FW_SLOT_PAM + 1].live && !slots[FW_SLOT_SMRAM].live,
	       "reset map: nothing at 0xc0000 (PCI), SMRAM closed");
	tap_ok(m.rtc.ram[0x34] == ((RAM_SIZE - (16u << 20)) >> 16 & 0xff) &&
	       m.rtc.ram[0x35] == ((RAM_SIZE - (16u << 20)) >> 24) && m.rtc.ram[0x5f] == 0,
	       "CMOS: RAM above 16 MiB and the CPU count for SeaBIOS");
}

static void test_pam(void)
{
	bool h;
	uint64_t v;

	/* make_bios_writable(): everything read/write. */
	cfg(0, 0x90, 4, true, 0x33333330u);
	cfg(0, 0x94, 4, true, 0x00333333u);
	tap_ok(slots[FW_SLOT_PAM].live && !slots[FW_SLOT_PAM].ro &&
	       slots[FW_SLOT_PAM].hva == ram + 0xf0000 && slots[FW_SLOT_PAM + 1].live &&
	       slots[FW_SLOT_PAM + 1].hva == ram + 0xc0000 && !stops,
	       "PAM read/write: the regions are guest RAM (same memory as gmem)");
	v = mmio(0xf0010, 4, true, 0x11223344, &h);
	tap_ok(h && ram[0xf0010] == 0x44 && ram[0xf0013] == 0x11,
	       "firmware_mmio: a vCPU caught mid-change writes the RAM");
	cfg(0, 0x90, 1, true, 0x10);
	tap_ok(slots[FW_SLOT_PAM].live && slots[FW_SLOT_PAM].ro &&
	       slots[FW_SLOT_PAM].hva == ram + 0xf0000, "PAM0 read-only: RAM, read-only slot");
	mmio(0xf0010, 1, true, 0x99, &h);
	v = mmio(0xf0010, 4, false, 0, &h);
	tap_ok(h && ram[0xf0010] == 0x44 && v == 0x11223344, "read-only: write dropped, RAM read");
	cfg(0, 0x90, 1, true, 0x20);
	tap_ok(!slots[FW_SLOT_PAM].live, "PAM0 write-only: no slot (emulated)");
	v = mmio(0xf0010, 2, false, 0, &h);
	tap_ok(h && v == (uint64_t)(rom_byte(ROM_SIZE - 0x10000 + 0x10) |
				    rom_byte(ROM_SIZE - 0x10000 + 0x11) << 8),
	       "write-only: reads come from the ROM alias");
	mmio(0xf0020, 1, true, 0x5a, &h);
	tap_ok(h && ram[0xf0020] == 0x5a, "write-only: writes reach RAM");
	cfg(0, 0x90, 1, true, 0x00);
	tap_ok(slots[FW_SLOT_PAM].live && slots[FW_SLOT_PAM].ro &&
	       slots[FW_SLOT_PAM].hva == m.fw->rom + ROM_SIZE - 0x10000,
	       "PAM0 off: the ROM alias again");
	cfg(0, 0x91, 1, true, 0x00);
	tap_ok(!slots[FW_SLOT_PAM + 1].live, "PAM1 off: 0xc0000 back to PCI");
	v = mmio(0xc0000, 1, false, 0, &h);
	tap_ok(!h, "off below the alias: not the firmware's (PCI decides)");
	v = mmio(0xfffff000ull, 4, false, 0, &h);
	tap_ok(h && v == (uint64_t)(rom_byte(ROM_SIZE - 0x1000) | rom_byte(ROM_SIZE - 0xfff) << 8 |
				    rom_byte(ROM_SIZE - 0xffe) << 16 |
				    (uint64_t)rom_byte(ROM_SIZE - 0xffd) << 24),
	       "the ROM below 4 GiB reads as the file");
	mmio(0xfffff000ull, 1, true, 0, &h);
	tap_ok(h && m.fw->rom[ROM_SIZE - 0x1000] == rom_byte(ROM_SIZE - 0x1000),
	       "a write to the ROM is dropped");
	/* SeaBIOS's SMM window: open, then closed. */
	cfg(0, Q35_SMRAM, 1, true, 0x4a);
	tap_ok(slots[FW_SLOT_SMRAM].live && slots[FW_SLOT_SMRAM].gpa == 0xa0000 &&
	       slots[FW_SLOT_SMRAM].hva == ram + 0xa0000, "SMRAM open: RAM at 0xa0000");
	cfg(0, Q35_SMRAM, 1, true, 0x0a);
	tap_ok(!slots[FW_SLOT_SMRAM].live, "SMRAM closed: the VGA window again");
	v = mmio(0xb8000, 2, false, 0, &h);
	tap_ok(!h, "0xb8000 closed: not the firmware's");
	tap_ok(firmware_rom_size_error(0) && firmware_rom_size_error(100000) &&
	       firmware_rom_size_error(32u << 20) && !firmware_rom_size_error(64u << 10) &&
	       !firmware_rom_size_error(16u << 20), "ROM sizes: multiples of 64 KiB up to 16 MiB");
}

static void test_reset_vector(void)
{
	memset(&sregs, 0xff, sizeof(sregs));
	memset(&regs, 0xff, sizeof(regs));
	tap_ok(firmware_reset_state(&vcpu) == 0 && sregs.cs.selector == 0xf000 &&
	       sregs.cs.base == 0xffff0000ull && sregs.cs.limit == 0xffff && regs.rip == 0xfff0 &&
	       regs.rflags == 2 && sregs.cr0 == 0x60000010 && sregs.efer == 0 &&
	       sregs.ds.base == 0 && sregs.ss.selector == 0 && sregs.idt.limit == 0xffff,
	       "reset vector: F000:FFF0 with CS base FFFF0000h, real mode, table 9-1's values");
}

int main(void)
{
	int ret = setup();

	if (!tap_ok(ret == 0, "firmware_init and firmware_map (%d)", ret)) {
		unlink(rom_path);
		printf("1..%u\n", tap_passed + tap_failed);
		return 1;
	}
	test_map();
	test_pam();
	test_reset_vector();
	firmware_destroy(&m);
	pio_bus_destroy(&m.pio);
	unlink(rom_path);
	free(ram);
	printf("1..%u\n", tap_passed + tap_failed);
	return tap_done();
}
