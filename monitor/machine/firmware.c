// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * machine/firmware.c - the BIOS ROM, its shadow map below 1 MiB, the
 * firmware's chipset devices and the reset vector (see firmware.h).
 */
#include <errno.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "boot/layout.h"
#include "io/outbuf.h"
#include "machine/firmware.h"
#include "machine/machine.h"
#include "machine/memmap.h"

#define LOW_RAM_END		0xa0000ull	/* 640 KiB: the VGA window above */
#define SMRAM_BASE		0xa0000ull
#define SMRAM_SIZE		0x20000ull
#define SHADOW_END		0x100000ull
#define FOUR_GIB		(4ull << 30)

/* CMOS bytes a BIOS reads for the memory size and CPU count (QEMU's layout). */
#define CMOS_BASE_MEM_LO	0x15	/* KiB below 1 MiB */
#define CMOS_EXT_MEM_LO		0x17	/* KiB from 1 MiB, to 63 MiB */
#define CMOS_EXT_MEM2_LO	0x30	/* the same again */
#define CMOS_MEM_ABOVE_16M_LO	0x34	/* 64 KiB units from 16 MiB, below 4 GiB */
#define CMOS_MEM_ABOVE_4G	0x5b	/* 64 KiB units above 4 GiB, 3 bytes */
#define CMOS_SMP_COUNT		0x5f	/* CPUs - 1 */

const char *firmware_rom_size_error(uint64_t size)
{
	if (!size)
		return "it is empty";
	if (size % FW_ROM_ALIGN)
		return "its size is not a multiple of 64 KiB";
	if (size > FW_ROM_MAX)
		return "it is larger than 16 MiB";
	return NULL;
}

/*
 * The ROM in a memfd of its own, mapped read-only: the guest reaches it
 * only through read-only slots, and nothing in the monitor writes it.
 */
static int rom_load(struct machine_firmware *fw, const char *path)
{
	GError *err = NULL;
	const char *why;
	gchar *buf;
	gsize len;
	int ret;

	if (!g_file_get_contents(path, &buf, &len, &err)) {
		fprintf(stderr, "vmain: cannot read the BIOS: %s\n", err->message);
		g_error_free(err);
		return -EIO;
	}
	why = firmware_rom_size_error(len);
	if (why) {
		fprintf(stderr, "vmain: cannot use the BIOS %s: %s (%zu bytes)\n", path, why,
			(size_t)len);
		g_free(buf);
		return -EINVAL;
	}
	fw->rom_fd = memfd_create("vmain-bios", MFD_CLOEXEC);
	if (fw->rom_fd < 0)
		goto fail_errno;
	if (ftruncate(fw->rom_fd, (off_t)len) ||
	    pwrite(fw->rom_fd, buf, len, 0) != (ssize_t)len)
		goto fail_errno;
	fw->rom = mmap(NULL, len, PROT_READ, MAP_SHARED, fw->rom_fd, 0);
	if (fw->rom == MAP_FAILED) {
		fw->rom = NULL;
		goto fail_errno;
	}
	fw->rom_size = len;
	g_free(buf);
	return 0;

fail_errno:
	ret = -errno;
	fprintf(stderr, "vmain: cannot load the BIOS: %s\n", strerror(errno));
	g_free(buf);
	return ret;
}

/* --- the map below 1 MiB ---------------------------------------------------- */

/* First guest-physical byte of the ROM's alias below 1 MiB. */
static uint64_t alias_base(const struct machine_firmware *fw)
{
	return SHADOW_END - (fw->rom_size < FW_ROM_ALIAS_SIZE ? fw->rom_size :
			     FW_ROM_ALIAS_SIZE);
}

static enum fw_view pam_view(const struct machine_firmware *fw, unsigned region,
			     enum q35_pam_mode mode)
{
	switch (mode) {
	case Q35_PAM_RO:
		return FW_VIEW_RAM_RO;
	case Q35_PAM_RW:
		return FW_VIEW_RAM;
	case Q35_PAM_WO:
		return FW_VIEW_NONE;	/* reads go to PCI: firmware_mmio() */
	case Q35_PAM_OFF:
	default:
		return q35_pam_base(region) >= alias_base(fw) ? FW_VIEW_ROM : FW_VIEW_NONE;
	}
}

static void map_failed(struct machine *m, const char *what, int ret)
{
	if (!m->fw->map_error) {
		m->fw->map_error = ret;
		fprintf(stderr, "vmain: cannot remap %s: %s\n", what, strerror(-ret));
	}
	/* While the machine is built, firmware_map() returns the error instead. */
	if (m->vcpus)
		machine_stop_locked(m, MACHINE_EXIT_ERROR);
}

/* Region `region`'s slot to `view`: the old slot goes, the new one comes. */
static void pam_changed(void *opaque, unsigned region, enum q35_pam_mode mode)
{
	struct machine *m = opaque;
	struct machine_firmware *fw = m->fw;
	const struct hv_backend *be = m->vm.backend;
	enum fw_view old = fw->pam_view[region], view = pam_view(fw, region, mode);
	uint64_t base = q35_pam_base(region), size = q35_pam_size(region);
	uint32_t slot = FW_SLOT_PAM + region;
	void *hva;
	int ret = 0;

	if (!fw->mapped || view == old)
		return;
	if (old != FW_VIEW_NONE)
		ret = be->set_memory(&m->vm, slot, base, 0, NULL, false);
	if (!ret && view != FW_VIEW_NONE) {
		hva = view == FW_VIEW_ROM ?
		      fw->rom + fw->rom_size - (SHADOW_END - base) : m->ram.base + base;
		ret = be->set_memory(&m->vm, slot, base, size, hva, view != FW_VIEW_RAM);
	}
	if (ret) {
		map_failed(m, "a shadow RAM region", ret);
		fw->pam_view[region] = FW_VIEW_NONE;
		return;
	}
	fw->pam_view[region] = (uint8_t)view;
}

static void smram_changed(void *opaque, bool open)
{
	struct machine *m = opaque;
	struct machine_firmware *fw = m->fw;
	int ret;

	if (!fw->mapped || open == fw->smram_mapped)
		return;
	ret = m->vm.backend->set_memory(&m->vm, FW_SLOT_SMRAM, SMRAM_BASE,
					open ? SMRAM_SIZE : 0,
					open ? m->ram.base + SMRAM_BASE : NULL, false);
	if (ret) {
		map_failed(m, "the SMRAM window", ret);
		return;
	}
	fw->smram_mapped = open;
}

/* One byte below 1 MiB or in the ROM, as the current map has it. */
static bool map_byte(struct machine *m, uint64_t gpa, bool write, uint8_t *b)
{
	struct machine_firmware *fw = m->fw;
	enum q35_pam_mode mode;
	int region;

	if (gpa >= FOUR_GIB - fw->rom_size && gpa < FOUR_GIB) {
		if (!write)
			*b = fw->rom[gpa - (FOUR_GIB - fw->rom_size)];
		return true;		/* a write to ROM goes nowhere */
	}
	if (gpa >= SMRAM_BASE && gpa < SMRAM_BASE + SMRAM_SIZE) {
		if (!fw->mch.smram_open)
			return false;	/* the PCI/VGA window */
		if (write)
			m->ram.base[gpa] = *b;
		else
			*b = m->ram.base[gpa];
		return true;
	}
	region = q35_pam_region(gpa);
	if (region < 0)
		return false;
	mode = q35_host_pam_mode(&fw->mch, (unsigned)region);
	if (write ? (mode & Q35_PAM_WO) : (mode & Q35_PAM_RO)) {
		if (write)
			m->ram.base[gpa] = *b;
		else
			*b = m->ram.base[gpa];
		return true;
	}
	/* DRAM not selected for this direction: PCI, where the ROM alias sits. */
	if (gpa >= alias_base(fw)) {
		if (!write)
			*b = fw->rom[fw->rom_size - (SHADOW_END - gpa)];
		return true;
	}
	return false;
}

bool firmware_mmio(struct machine *m, uint64_t gpa, unsigned size, bool write,
		   uint64_t *data)
{
	unsigned i;
	uint8_t b;

	/* Whether the map owns the first byte (a read has no side effect). */
	if (!m->fw || size > 8 || !map_byte(m, gpa, false, &b))
		return false;
	if (!write)
		*data = 0;
	for (i = 0; i < size; i++) {
		b = (uint8_t)(*data >> (8 * i));
		if (!map_byte(m, gpa + i, write, &b))
			b = 0xff;
		if (!write)
			*data |= (uint64_t)b << (8 * i);
	}
	return true;
}

/* --- devices ------------------------------------------------------------------ */

static void debug_write(void *opaque, const uint8_t *buf, size_t len)
{
	struct machine *m = opaque;

	outbuf_write(m->cfg.fwlog_out, buf, len);
}

static void lpc_pic_irq(void *opaque, unsigned irq, bool level)
{
	struct machine *m = opaque;

	/* The 8259 input only: the I/O APIC has the line at its own GSI. */
	i8259_set_irq(&m->pic, irq, level);
}

static void lpc_reset(void *opaque, bool full)
{
	(void)full;		/* a new machine either way */
	machine_stop_locked(opaque, MACHINE_EXIT_RESET);
}

void firmware_pci_line(struct machine *m, unsigned gsi, bool level)
{
	if (m->fw && gsi >= m->pci.intx_gsi[0] && gsi < m->pci.intx_gsi[0] + 4)
		ich9_lpc_set_pirq(&m->fw->lpc, gsi - m->pci.intx_gsi[0], level);
}

unsigned firmware_sci_irq(const struct machine *m)
{
	return m->fw ? ich9_lpc_sci_irq(&m->fw->lpc) : IRQ_ACPI_SCI;
}

void firmware_pio(struct machine *m, uint16_t port, unsigned size, bool write,
		  uint32_t *data)
{
	if (m->fw)
		ich9_lpc_pm_io(&m->fw->lpc, port, size, write, data);
}

static void cmos_put16(struct cmos_rtc *rtc, unsigned idx, uint64_t v)
{
	if (v > 0xffff)
		v = 0xffff;
	rtc->ram[idx] = (uint8_t)v;
	rtc->ram[idx + 1] = (uint8_t)(v >> 8);
}

/*
 * The sizes a BIOS reads from CMOS before (or without) fw_cfg: SeaBIOS's
 * qemu_preinit() takes RAM below 4 GiB from 34h/35h (or 30h/31h), and
 * smp_setup() the CPU count from 5Fh.
 */
static void cmos_setup(struct machine *m)
{
	struct cmos_rtc *rtc = &m->rtc;
	uint64_t low = m->ram.low_size ? m->ram.low_size : m->ram.size;
	uint64_t high = m->ram.size - low;

	cmos_put16(rtc, CMOS_BASE_MEM_LO, 640);
	cmos_put16(rtc, CMOS_EXT_MEM_LO, low > (1ull << 20) ? (low >> 10) - 1024 : 0);
	cmos_put16(rtc, CMOS_EXT_MEM2_LO, low > (1ull << 20) ? (low >> 10) - 1024 : 0);
	cmos_put16(rtc, CMOS_MEM_ABOVE_16M_LO, low > (16ull << 20) ?
		   (low - (16ull << 20)) >> 16 : 0);
	rtc->ram[CMOS_MEM_ABOVE_4G] = (uint8_t)(high >> 16);
	rtc->ram[CMOS_MEM_ABOVE_4G + 1] = (uint8_t)(high >> 24);
	rtc->ram[CMOS_MEM_ABOVE_4G + 2] = (uint8_t)(high >> 32);
	rtc->ram[CMOS_SMP_COUNT] = (uint8_t)(m->nr_vcpus - 1);
}

int firmware_init(struct machine *m)
{
	static const struct q35_host_ops mch_ops = {
		.pam = pam_changed, .smram = smram_changed,
	};
	static const struct ich9_lpc_ops lpc_ops = {
		.pic_irq = lpc_pic_irq, .pm_io = acpi_pm_io, .reset = lpc_reset,
	};
	struct machine_firmware *fw;
	int ret;

	fw = calloc(1, sizeof(*fw));
	if (!fw)
		return -ENOMEM;
	fw->rom_fd = -1;
	m->fw = fw;
	ret = rom_load(fw, m->cfg.bios);
	if (ret)
		return ret;
	ret = q35_host_init(&fw->mch, &m->pci, &mch_ops, m);
	if (!ret)
		ret = ich9_lpc_init(&fw->lpc, &m->pci, &lpc_ops, m, &m->pm);
	if (ret >= 0)
		ret = ich9_lpc_register(&fw->lpc, &m->pio);
	if (!ret)
		ret = pio_bus_register(&m->pio, PORT_PCI_CONFIG_ADDR, 8, ich9_lpc_cf8_io,
				       &fw->lpc, "pci-config");
	if (!ret) {
		debugcon_init(&fw->dbg, debug_write, m);
		ret = debugcon_register(&fw->dbg, &m->pio, DEBUGCON_PORT);
	}
	if (ret < 0) {
		fprintf(stderr, "vmain: cannot set up the firmware's devices: %s\n",
			strerror(-ret));
		return ret;
	}
	cmos_setup(m);
	return 0;
}

int firmware_map(struct machine *m)
{
	struct machine_firmware *fw = m->fw;
	const struct hv_backend *be = m->vm.backend;
	uint64_t low = m->ram.low_size ? m->ram.low_size : m->ram.size;
	int ret;

	ret = be->set_memory(&m->vm, FW_SLOT_LOW, 0, LOW_RAM_END, m->ram.base, false);
	if (!ret)
		ret = be->set_memory(&m->vm, FW_SLOT_RAM, SHADOW_END, low - SHADOW_END,
				     m->ram.base + SHADOW_END, false);
	if (!ret)
		ret = be->set_memory(&m->vm, FW_SLOT_ROM, FOUR_GIB - fw->rom_size,
				     fw->rom_size, fw->rom, true);
	if (ret) {
		fprintf(stderr, "vmain: cannot map guest RAM and the BIOS: %s\n",
			strerror(-ret));
		return ret;
	}
	fw->mapped = true;
	q35_host_apply(&fw->mch);
	if (fw->map_error)
		return fw->map_error;
	return 0;
}

void firmware_destroy(struct machine *m)
{
	struct machine_firmware *fw = m->fw;

	if (!fw)
		return;
	if (fw->rom)
		munmap(fw->rom, fw->rom_size);
	if (fw->rom_fd >= 0)
		close(fw->rom_fd);
	free(fw);
	m->fw = NULL;
}

/* --- the reset vector ------------------------------------------------------- */

static void real_mode_seg(struct vmain_segment *s, uint16_t sel, uint64_t base, uint8_t type)
{
	memset(s, 0, sizeof(*s));
	s->selector = sel;
	s->base = base;
	s->limit = 0xffff;
	s->type = type;
	s->present = 1;
	s->s = 1;
}

int firmware_reset_state(struct vcpu *v)
{
	const struct hv_backend *be = v->m->vm.backend;
	struct vmain_sregs s;
	struct vmain_regs r;
	uint32_t i;
	int ret;

	ret = be->get_sregs(&v->hv, &s);
	if (ret)
		return ret;
	/* Table 9-1: CS F000h base FFFF0000h; data segments 0; limits FFFFh, accessed. */
	real_mode_seg(&s.cs, 0xf000, 0xffff0000ull, 0xb);
	real_mode_seg(&s.ds, 0, 0, 0x3);
	s.es = s.fs = s.gs = s.ss = s.ds;
	real_mode_seg(&s.tr, 0, 0, 0xb);
	s.tr.s = 0;
	real_mode_seg(&s.ldt, 0, 0, 0x2);
	s.ldt.s = 0;
	s.gdt.base = s.idt.base = 0;
	s.gdt.limit = s.idt.limit = 0xffff;
	s.cr0 = 0x60000010;	/* CD, NW, ET */
	s.cr2 = s.cr3 = s.cr4 = s.cr8 = 0;
	s.efer = 0;
	ret = be->set_sregs(&v->hv, &s);
	if (ret)
		return ret;
	memset(&r, 0, sizeof(r));
	r.rip = 0xfff0;
	r.rflags = 2;
	/* EDX: the family, model and stepping CPUID.1:EAX reports. */
	for (i = 0; i < v->m->ncpuid; i++)
		if (v->m->cpuid[i].function == 1)
			r.rdx = v->m->cpuid[i].eax;
	return be->set_regs(&v->hv, &r);
}
