// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * machine/snapshot.c - the machine's state to and from a stream (see
 * snapshot.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <x86intrin.h>

#include "disk/disk.h"
#include "machine/ata-ctl.h"
#include "machine/firmware.h"
#include "machine/machine.h"
#include "machine/platform.h"
#include "machine/pvclock.h"
#include "machine/screen.h"
#include "machine/snapshot.h"
#include "state/stream.h"

/*
 * 2: the host's CLOCK_REALTIME at the save, after the CPUID words.
 * 3: a "disk" section per disk follows (disk_identity()).
 * 4: the AHCI and IDE controllers (machine/ata-ctl.h): the count of every
 *    disk (virtio, AHCI, IDE), whether there are controllers, a CD/DVD
 *    drive and a disc in it; a "disk" section per disk, the disc's after
 *    them; the controllers' sections after the virtio devices.
 */
#define MACHINE_SECTION_VERSION	4
#define DISK_SECTION_VERSION	1
/* A saved disk path longer than this is not one this vmain wrote. */
#define DISK_PATH_MAX		4096
/* 2: the paravirtual EOI MSR at the end (hv.h, pv_eoi). */
#define VCPU_SECTION_VERSION	2
#define PV_ENABLE		1ull	/* kvmclock system-time MSR, bit 0 */
/* The same host: its TSC rate measured again within this (parts per million). */
#define TSC_SAME_PPM		1000

/*
 * The CPUID words whose bits are features a guest may be using: the
 * loading host must offer each bit the saved guest was offered (SDM Vol.
 * 2A CPUID; leaf 0Dh's EAX: the XCR0 components).  Leaf 1 ECX bit 27
 * (OSXSAVE) follows the guest's CR4 and is not a feature of the host.
 */
enum { R_EAX, R_EBX, R_ECX, R_EDX };
static const char *const reg_names[] = { "EAX", "EBX", "ECX", "EDX" };

static const struct feature_word {
	uint32_t function, index;
	uint8_t reg;
	uint32_t ignore;
} feature_words[] = {
	{ 1, 0, R_ECX, 1u << 27 },
	{ 1, 0, R_EDX, 0 },
	{ 7, 0, R_EBX, 0 },
	{ 7, 0, R_ECX, 0 },
	{ 7, 0, R_EDX, 0 },
	{ 0xd, 0, R_EAX, 0 },
	{ 0x80000001, 0, R_ECX, 0 },
	{ 0x80000001, 0, R_EDX, 0 },
};

__attribute__((format(printf, 3, 4)))
static void fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static uint32_t feature_value(const struct machine *m, const struct feature_word *f)
{
	const struct vmain_cpuid_entry *e;
	uint32_t i;

	for (i = 0; i < m->ncpuid; i++) {
		e = &m->cpuid[i];
		if (e->function != f->function ||
		    ((e->flags & VMAIN_CPUID_INDEXED) && e->index != f->index))
			continue;
		switch (f->reg) {
		case R_EAX: return e->eax & ~f->ignore;
		case R_EBX: return e->ebx & ~f->ignore;
		case R_ECX: return e->ecx & ~f->ignore;
		default: return e->edx & ~f->ignore;
		}
	}
	return 0;
}

/* The guest's kvmclock system time now, in ns (the monitor's clock). */
static uint64_t pv_time_now(const struct machine *m)
{
	int64_t ns = machine_tsc_ns((void *)m) - m->tsc0_ns;

	return ns > 0 ? (uint64_t)ns : 0;
}

/* --- writing ---------------------------------------------------------- */

static void put_seg(struct state_writer *w, const struct vmain_segment *s)
{
	state_put_u64(w, s->base);
	state_put_u32(w, s->limit);
	state_put_u16(w, s->selector);
	state_put_u8(w, s->type);
	state_put_u8(w, s->present);
	state_put_u8(w, s->dpl);
	state_put_u8(w, s->db);
	state_put_u8(w, s->s);
	state_put_u8(w, s->l);
	state_put_u8(w, s->g);
	state_put_u8(w, s->avl);
	state_put_u8(w, s->unusable);
}

static void put_dtable(struct state_writer *w, const struct vmain_dtable *d)
{
	state_put_u64(w, d->base);
	state_put_u16(w, d->limit);
}

static void put_cpu(struct state_writer *w, const struct vcpu *v, const struct hv_vcpu_state *st)
{
	const struct vmain_regs *r = &st->regs;
	const struct vmain_sregs *s = &st->sregs;
	const uint64_t gpr[18] = {
		r->rax, r->rcx, r->rdx, r->rbx, r->rsp, r->rbp, r->rsi, r->rdi,
		r->r8, r->r9, r->r10, r->r11, r->r12, r->r13, r->r14, r->r15,
		r->rip, r->rflags,
	};
	struct hv_state_msrs msr = st->msr;
	unsigned int i;

	state_section_begin(w, "vcpu", v->id, VCPU_SECTION_VERSION);
	state_put_u8(w, (uint8_t)v->state);
	state_put_bool(w, v->sipi_pending);
	state_put_u8(w, v->sipi_vector);
	state_put_bool(w, v->nmi_pending);
	for (i = 0; i < 18; i++)
		state_put_u64(w, gpr[i]);
	put_seg(w, &s->cs);
	put_seg(w, &s->ds);
	put_seg(w, &s->es);
	put_seg(w, &s->fs);
	put_seg(w, &s->gs);
	put_seg(w, &s->ss);
	put_seg(w, &s->tr);
	put_seg(w, &s->ldt);
	put_dtable(w, &s->gdt);
	put_dtable(w, &s->idt);
	state_put_u64(w, s->cr0);
	state_put_u64(w, s->cr2);
	state_put_u64(w, s->cr3);
	state_put_u64(w, s->cr4);
	state_put_u64(w, s->cr8);
	state_put_u64(w, s->efer);
	state_put_u64(w, s->apic_base);
	state_put_u64(w, st->xcr0);
	state_put_u32(w, st->xsave_size);
	state_put_bytes(w, st->xsave, st->xsave_size);
	/* The MSRs by index, so that a reader with another list can tell. */
	state_put_u32(w, hv_state_nr_msrs);
	for (i = 0; i < hv_state_nr_msrs; i++) {
		state_put_u32(w, hv_state_msrs[i].index);
		state_put_u64(w, *hv_state_msr_value(&msr, i));
	}
	state_put_u8(w, st->events.exception_pending);
	state_put_u8(w, st->events.exception_vector);
	state_put_u8(w, st->events.exception_has_error);
	state_put_u32(w, st->events.exception_error_code);
	state_put_u8(w, st->events.interrupt_pending);
	state_put_u8(w, st->events.interrupt_vector);
	state_put_u8(w, st->events.nmi_pending);
	state_put_u8(w, st->events.nmi_masked);
	state_put_u8(w, st->events.interrupt_shadow);
	state_put_u64(w, v->pv_time_msr);
	state_put_u64(w, st->pv_eoi);
	state_section_end(w);
}

/* The display devices, in load_screen()'s order. */
static int save_screen(const struct machine_screen *s, struct state_writer *w)
{
	int ret;

	ret = virtio_gpu_save(&s->gpu, w);
	if (!ret)
		ret = virtio_input_save(&s->keyboard, w);
	if (!ret)
		ret = virtio_input_save(&s->tablet, w);
	if (!ret)
		ret = virtio_input_save(&s->mouse, w);
	if (!ret && s->vga)
		ret = machine_screen_vga_save(s, w);
	return ret;
}

/*
 * Not here: the test-exit port (devices/debug_exit.h), which has no state
 * (its ports are configuration, and only `vmain run`, which never saves,
 * has one).
 */
static int save_devices(struct machine *m, struct state_writer *w)
{
	unsigned int i;
	int ret;

	ret = i8259_save(&m->pic, w);
	if (!ret)
		ret = i8254_save(&m->pit, w);
	if (!ret)
		ret = port61_save(&m->port61, w);
	if (!ret)
		ret = cmos_rtc_save(&m->rtc, w);
	if (!ret)
		ret = i8042_save(&m->kbc, w);
	if (!ret)
		ret = serial8250_save(&m->com1, w);
	if (!ret)
		ret = ioapic_save(&m->ioapic, w);
	if (!ret)
		ret = acpi_pm_save(&m->pm, w);
	if (!ret)
		ret = virtio_console_save(&m->hvc, w);
	if (!ret)
		ret = virtio_rng_save(&m->rng, w);
	for (i = 0; !ret && i < m->nr_blk; i++)
		ret = virtio_blk_save(&m->blk[i], w);
	for (i = 0; !ret && i < m->nr_net; i++)
		ret = virtio_net_save(&m->net[i], w);
	if (!ret && m->screen)
		ret = save_screen(m->screen, w);
	/* Before the bus: its load counts the functions' INTx lines. */
	if (!ret)
		ret = machine_ata_save(m, w);
	/* A firmware boot's chipset: the LPC's function before the bus, the MCH after. */
	if (!ret && m->fw)
		ret = ich9_lpc_save(&m->fw->lpc, w);
	if (!ret)
		ret = pci_bus_save(&m->pci, w);
	if (!ret && m->fw)
		ret = q35_host_save(&m->fw->mch, w);
	if (!ret)
		ret = fw_cfg_save(&m->fwcfg.dev, w);
	return ret;
}

/*
 * A "disk" / N section: what the restore checks of disk N's image (its
 * path as configured, its format, disk_identity()), so that a guest never
 * runs on with its caches and file-system state over another image or one
 * changed behind its back.
 */
static void put_disk(struct state_writer *w, unsigned int i, const struct disk *d,
		     const struct disk_identity *id)
{
	size_t plen = strlen(d->path), flen = strlen(d->ops->name);

	state_section_begin(w, "disk", i, DISK_SECTION_VERSION);
	state_put_u32(w, (uint32_t)plen);
	state_put_bytes(w, d->path, plen);
	state_put_u32(w, (uint32_t)flen);
	state_put_bytes(w, d->ops->name, flen);
	state_put_u64(w, id->file_size);
	state_put_u32(w, id->head_len);
	state_put_u32(w, id->head_crc);
	state_section_end(w);
}

/* The images a save names: every disk (cfg.disks), then the CD/DVD drive's disc. */
static unsigned int nr_images(const struct machine *m)
{
	return m->cfg.nr_disks + (m->cfg.cdrom ? 1 : 0);
}

static struct disk *image(const struct machine *m, unsigned int i)
{
	return i < m->cfg.nr_disks ? m->cfg.disks[i] : m->cfg.cdrom;
}

int snapshot_check(struct machine *m, char *err, size_t errlen)
{
	return machine_ata_check_save(m, err, errlen);
}

int snapshot_save(struct machine *m, struct state_writer *w, char *err, size_t errlen)
{
	const struct hv_backend *be = m->vm.backend;
	struct disk_identity *ids = NULL;
	unsigned int nimg = nr_images(m);
	struct hv_vcpu_state *st;
	struct timespec real;
	unsigned int i;
	uint64_t pv_ns;
	int ret;

	ret = snapshot_check(m, err, errlen);
	if (ret)
		return ret;
	st = aligned_alloc(64, sizeof(*st) * m->nr_vcpus);
	ids = calloc(nimg + 1, sizeof(*ids));
	if (!st || !ids) {
		ret = -ENOMEM;
		goto free_state;
	}
	/* Each image as the restore must find it (the caller flushed them). */
	for (i = 0; i < nimg; i++) {
		ret = disk_identity(image(m, i), &ids[i]);
		if (ret) {
			fail(err, errlen, "cannot read %s: %s", image(m, i)->path,
			     strerror(-ret));
			goto free_state;
		}
	}
	pthread_mutex_lock(&m->lock);
	/* Notifications KVM took for the devices reach them before they are saved. */
	machine_ioeventfds_flush(m);
	for (i = 0; i < m->nr_vcpus; i++) {
		struct vcpu *v = &m->vcpus[i];

		machine_flush_eois(v);
		memset(&st[i], 0, sizeof(st[i]));
		ret = machine_vcpu_settle_locked(v);
		if (!ret)
			ret = be->get_state(&v->hv, &st[i]);
		if (ret) {
			fail(err, errlen, "cannot read CPU %u's state: %s", i, strerror(-ret));
			goto unlock;
		}
	}
	/*
	 * The kvmclock value: KVM's own where it keeps the clock, else the
	 * monitor's.  Either backend restores it, so one field serves both.
	 */
	pv_ns = pv_time_now(m);
	if (be->get_clock) {
		ret = be->get_clock(&m->vm, &pv_ns);
		if (ret) {
			fail(err, errlen, "cannot read %s's paravirtual clock: %s", be->name,
			     strerror(-ret));
			goto unlock;
		}
	}
	clock_gettime(CLOCK_REALTIME, &real);

	state_section_begin(w, "machine", 0, MACHINE_SECTION_VERSION);
	state_put_u64(w, m->ram.size);
	state_put_u32(w, m->nr_vcpus);
	state_put_u32(w, m->nr_blk);
	state_put_u32(w, m->nr_net);
	state_put_bool(w, m->screen != NULL);
	state_put_bool(w, m->cfg.pvclock);
	state_put_u64(w, m->tsc_hz);
	state_put_u64(w, m->tsc0);
	state_put_u64(w, pv_ns);
	state_put_u64(w, m->pv_wall_msr);
	state_put_bool(w, m->pic_output);
	state_put_u32(w, G_N_ELEMENTS(feature_words));
	for (i = 0; i < G_N_ELEMENTS(feature_words); i++)
		state_put_u32(w, feature_value(m, &feature_words[i]));
	state_put_u64(w, (uint64_t)real.tv_sec * 1000000000u + (uint64_t)real.tv_nsec);
	state_put_u32(w, m->cfg.nr_disks);
	state_put_bool(w, m->ata != NULL);
	state_put_bool(w, machine_ata_cdrom(m) != NULL);
	state_put_bool(w, m->cfg.cdrom != NULL);
	state_section_end(w);
	for (i = 0; i < nimg; i++)
		put_disk(w, i, image(m, i), &ids[i]);

	for (i = 0; i < m->nr_vcpus; i++) {
		struct vcpu *v = &m->vcpus[i];
		enum vcpu_state run = v->state;
		const struct lapic *l;
		struct lapic kernel_apic;

		/* Split irqchip: KVM's APIC and run state, in the model's form. */
		l = machine_irqchip_lapic_get(v, &kernel_apic, &ret);
		if (!l)
			break;
		put_cpu(w, v, &st[i]);
		v->state = run;		/* KVM keeps running it as it was */
		ret = lapic_save(l, w);
		if (ret)
			break;
	}
	if (!ret)
		ret = save_devices(m, w);
	if (!ret)
		ret = state_writer_error(w);
	if (ret)
		fail(err, errlen, "cannot save the devices' state: %s%s", strerror(-ret),
		     ret == -EBUSY ? " (a device is busy)" : "");
unlock:
	pthread_mutex_unlock(&m->lock);
free_state:
	free(ids);
	free(st);
	return ret;
}

/* --- reading ---------------------------------------------------------- */

static void get_seg(struct state_reader *r, struct vmain_segment *s)
{
	memset(s, 0, sizeof(*s));
	s->base = state_get_u64(r);
	s->limit = state_get_u32(r);
	s->selector = state_get_u16(r);
	s->type = state_get_u8(r);
	s->present = state_get_u8(r);
	s->dpl = state_get_u8(r);
	s->db = state_get_u8(r);
	s->s = state_get_u8(r);
	s->l = state_get_u8(r);
	s->g = state_get_u8(r);
	s->avl = state_get_u8(r);
	s->unusable = state_get_u8(r);
}

static void get_dtable(struct state_reader *r, struct vmain_dtable *d)
{
	memset(d, 0, sizeof(*d));
	d->base = state_get_u64(r);
	d->limit = state_get_u16(r);
}

/* One vCPU's section into st and the run state into *v's fields. */
static int get_cpu(struct state_reader *r, struct vcpu *v, struct hv_vcpu_state *st)
{
	struct vmain_regs *g = &st->regs;
	struct vmain_sregs *s = &st->sregs;
	__u64 *gpr[18] = {
		&g->rax, &g->rcx, &g->rdx, &g->rbx, &g->rsp, &g->rbp, &g->rsi, &g->rdi,
		&g->r8, &g->r9, &g->r10, &g->r11, &g->r12, &g->r13, &g->r14, &g->r15,
		&g->rip, &g->rflags,
	};
	uint8_t run_state, sipi_vector;
	bool sipi_pending, nmi_pending;
	uint64_t pv_time, pv_eoi = 0;
	uint32_t version, n, idx, i, k;
	int ret;

	memset(st, 0, sizeof(*st));
	ret = state_section_open(r, "vcpu", v->id, VCPU_SECTION_VERSION, &version);
	if (ret)
		return ret;
	run_state = state_get_u8(r);
	sipi_pending = state_get_bool(r);
	sipi_vector = state_get_u8(r);
	nmi_pending = state_get_bool(r);
	for (i = 0; i < 18; i++)
		*gpr[i] = state_get_u64(r);
	get_seg(r, &s->cs);
	get_seg(r, &s->ds);
	get_seg(r, &s->es);
	get_seg(r, &s->fs);
	get_seg(r, &s->gs);
	get_seg(r, &s->ss);
	get_seg(r, &s->tr);
	get_seg(r, &s->ldt);
	get_dtable(r, &s->gdt);
	get_dtable(r, &s->idt);
	s->cr0 = state_get_u64(r);
	s->cr2 = state_get_u64(r);
	s->cr3 = state_get_u64(r);
	s->cr4 = state_get_u64(r);
	s->cr8 = state_get_u64(r);
	s->efer = state_get_u64(r);
	s->apic_base = state_get_u64(r);
	st->xcr0 = state_get_u64(r);
	st->xsave_size = state_get_u32(r);
	if (st->xsave_size < HV_XSAVE_MIN_SIZE || st->xsave_size > HV_XSAVE_SIZE)
		return state_reader_fail(r, "CPU %u: an XSAVE image of %u bytes", v->id,
					 st->xsave_size);
	state_get_bytes(r, st->xsave, st->xsave_size);
	n = state_get_u32(r);
	if (n > 64)
		return state_reader_fail(r, "CPU %u: %u MSRs", v->id, n);
	for (k = 0; k < n; k++) {
		idx = state_get_u32(r);
		for (i = 0; i < hv_state_nr_msrs; i++)
			if (hv_state_msrs[i].index == idx)
				break;
		if (i == hv_state_nr_msrs)
			return state_reader_fail(r, "CPU %u: MSR %#x is not one this vmain "
						 "restores", v->id, idx);
		*hv_state_msr_value(&st->msr, i) = state_get_u64(r);
	}
	st->events.exception_pending = state_get_u8(r);
	st->events.exception_vector = state_get_u8(r);
	st->events.exception_has_error = state_get_u8(r);
	st->events.exception_error_code = state_get_u32(r);
	st->events.interrupt_pending = state_get_u8(r);
	st->events.interrupt_vector = state_get_u8(r);
	st->events.nmi_pending = state_get_u8(r);
	st->events.nmi_masked = state_get_u8(r);
	st->events.interrupt_shadow = state_get_u8(r);
	pv_time = state_get_u64(r);
	if (version >= 2)
		pv_eoi = state_get_u64(r);
	if (run_state > VCPU_WAIT_SIPI)
		return state_reader_fail(r, "CPU %u: run state %u", v->id, run_state);
	/* Bits 4:1 reserved, as pvclock_msr_access() checks (bit 5 is an address bit). */
	if (pv_time & 0x1e)
		return state_reader_fail(r, "CPU %u: kvmclock MSR %#" PRIx64, v->id, pv_time);
	/* Bits 1:0 are the enable and a reserved bit: the flag's address is 4-aligned. */
	if (pv_eoi & 2)
		return state_reader_fail(r, "CPU %u: PV EOI MSR %#" PRIx64, v->id, pv_eoi);
	ret = state_section_close(r);
	if (ret)
		return ret;
	v->state = (enum vcpu_state)run_state;
	v->sipi_pending = sipi_pending;
	v->sipi_vector = sipi_vector;
	v->nmi_pending = nmi_pending;
	st->pvclock_system_time = pv_time;
	st->pv_eoi = pv_eoi;
	return 0;
}

/*
 * The display devices (machine/screen.h), where the VM has them: the GPU
 * with its resources' pixels (the guest is never asked to draw again: a
 * restored screen shows what it showed), then the three input devices,
 * then the VGA and which of the two owns the display.
 */
static int load_screen(struct machine_screen *s, struct state_reader *r)
{
	int ret;

	ret = virtio_gpu_load(&s->gpu, r);
	if (!ret)
		ret = virtio_input_load(&s->keyboard, r);
	if (!ret)
		ret = virtio_input_load(&s->tablet, r);
	if (!ret)
		ret = virtio_input_load(&s->mouse, r);
	if (!ret && s->vga)
		ret = machine_screen_vga_load(s, r);
	return ret;
}

static int load_devices(struct machine *m, struct state_reader *r)
{
	unsigned int i;
	int ret;

	ret = i8259_load(&m->pic, r);
	if (!ret)
		ret = i8254_load(&m->pit, r);
	if (!ret)
		ret = port61_load(&m->port61, r);
	if (!ret)
		ret = cmos_rtc_load(&m->rtc, r);
	if (!ret)
		ret = i8042_load(&m->kbc, r);
	if (!ret)
		ret = serial8250_load(&m->com1, r);
	if (!ret)
		ret = ioapic_load(&m->ioapic, r);
	if (!ret)
		ret = acpi_pm_load(&m->pm, r);
	if (!ret)
		ret = virtio_console_load(&m->hvc, r);
	if (!ret)
		ret = virtio_rng_load(&m->rng, r);
	for (i = 0; !ret && i < m->nr_blk; i++)
		ret = virtio_blk_load(&m->blk[i], r);
	for (i = 0; !ret && i < m->nr_net; i++)
		ret = virtio_net_load(&m->net[i], r);
	if (!ret && m->screen)
		ret = load_screen(m->screen, r);
	if (!ret)
		ret = machine_ata_load(m, r);
	if (!ret && m->fw)
		ret = ich9_lpc_load(&m->fw->lpc, r);
	if (!ret)
		ret = pci_bus_load(&m->pci, r);
	/* The MCH maps the shadow regions and the ECAM again as saved. */
	if (!ret && m->fw)
		ret = q35_host_load(&m->fw->mch, r);
	/*
	 * fw_cfg last, and optional: a state saved before the machine had
	 * it ends here, and its guest never selected anything (power-on).
	 */
	if (!ret && !state_reader_at_end(r))
		ret = fw_cfg_load(&m->fwcfg.dev, r);
	return ret;
}

/* A string field (u32 length, bytes) of at most max bytes, NUL-terminated. */
static char *get_string(struct state_reader *r, size_t max)
{
	uint32_t len = state_get_u32(r);
	char *p;

	if (state_reader_error(r))
		return NULL;
	if (len > max) {
		state_reader_fail(r, "a string of %u bytes", len);
		return NULL;
	}
	p = malloc((size_t)len + 1);
	if (!p) {
		state_reader_fail(r, "out of memory");
		return NULL;
	}
	state_get_bytes(r, p, len);
	p[len] = 0;
	if (state_reader_error(r) || memchr(p, 0, len)) {
		if (!state_reader_error(r))
			state_reader_fail(r, "a string with a NUL byte");
		free(p);
		return NULL;
	}
	return p;
}

/*
 * A "disk" / N section against the machine's disk N, opened by this
 * monitor: the same path and format, and disk_identity() as at the save.
 */
static int check_disk(struct state_reader *r, unsigned int i, struct disk *d, char *err,
		      size_t errlen)
{
	struct disk_identity id, now;
	char *path = NULL, *format = NULL;
	int ret;

	ret = state_section_open(r, "disk", i, DISK_SECTION_VERSION, NULL);
	if (ret)
		return ret;
	path = get_string(r, DISK_PATH_MAX);
	if (path)
		format = get_string(r, 16);
	id.file_size = state_get_u64(r);
	id.head_len = state_get_u32(r);
	id.head_crc = state_get_u32(r);
	ret = state_section_close(r);
	if (ret)
		goto free_strings;
	if (strcmp(path, d->path)) {
		fail(err, errlen, "the saved VM's disk %u was %s, this one's is %s", i, path,
		     d->path);
		ret = -EINVAL;
		goto free_strings;
	}
	if (strcmp(format, d->ops->name)) {
		fail(err, errlen, "%s was a %s image when saved, it is %s now", path, format,
		     d->ops->name);
		ret = -EINVAL;
		goto free_strings;
	}
	ret = disk_identity(d, &now);
	if (ret) {
		fail(err, errlen, "cannot read %s: %s", path, strerror(-ret));
		goto free_strings;
	}
	if (now.file_size != id.file_size) {
		fail(err, errlen, "%s changed since the save: the file had %" PRIu64
		     " bytes, it has %" PRIu64 " now", path, id.file_size, now.file_size);
		ret = -EINVAL;
	} else if (now.head_len != id.head_len || now.head_crc != id.head_crc) {
		fail(err, errlen, "%s changed since the save: its first %u bytes (%s) "
		     "differ", path, now.head_len,
		     strcmp(format, "qcow2") ? "the partition table and boot sector" :
		     "the qcow2 header");
		ret = -EINVAL;
	}
free_strings:
	free(format);
	free(path);
	return ret;
}

/* The "machine" section: checks it against m, and sets the clocks. */
static int load_machine(struct machine *m, struct state_reader *r, char *err, size_t errlen,
			uint64_t *pv_ns, uint64_t *tsc0, uint64_t *realtime)
{
	uint64_t mem, tsc_hz, wall;
	uint32_t version, cpus, disks, nics, nwords, i, all_disks = 0, nimg;
	uint32_t words[G_N_ELEMENTS(feature_words)];
	bool display, pvclock, pic_output, ata = false, cd_drive = false, cd_disc = false;
	int ret;

	ret = state_section_open(r, "machine", 0, MACHINE_SECTION_VERSION, &version);
	if (ret)
		return ret;
	mem = state_get_u64(r);
	cpus = state_get_u32(r);
	disks = state_get_u32(r);
	nics = state_get_u32(r);
	display = state_get_bool(r);
	pvclock = state_get_bool(r);
	tsc_hz = state_get_u64(r);
	*tsc0 = state_get_u64(r);
	*pv_ns = state_get_u64(r);
	wall = state_get_u64(r);
	pic_output = state_get_bool(r);
	nwords = state_get_u32(r);
	if (nwords != G_N_ELEMENTS(feature_words))
		return state_reader_fail(r, "%u CPUID words", nwords);
	for (i = 0; i < nwords; i++)
		words[i] = state_get_u32(r);
	*realtime = version >= 2 ? state_get_u64(r) : 0;
	if (version >= 4) {
		all_disks = state_get_u32(r);
		ata = state_get_bool(r);
		cd_drive = state_get_bool(r);
		cd_disc = state_get_bool(r);
	} else {
		/* Saved before the controllers were: only virtio disks. */
		all_disks = disks;
	}
	ret = state_section_close(r);
	if (ret)
		return ret;
	if (mem != m->ram.size || cpus != m->nr_vcpus || disks != m->nr_blk ||
	    nics != m->nr_net || display != (m->screen != NULL) || pvclock != m->cfg.pvclock) {
		fail(err, errlen, "the saved VM had %" PRIu64 " MiB of RAM, %u CPUs, %u disks, "
		     "%u NICs, %s, pvclock %s; this one has %" PRIu64 " MiB, %u, %u, %u, %s, %s",
		     mem >> 20, cpus, disks, nics, display ? "a display" : "no display",
		     pvclock ? "on" : "off", m->ram.size >> 20, m->nr_vcpus, m->nr_blk,
		     m->nr_net, m->screen ? "a display" : "no display",
		     m->cfg.pvclock ? "on" : "off");
		return -EINVAL;
	}
	for (i = 0; i < nwords; i++) {
		uint32_t missing = words[i] & ~feature_value(m, &feature_words[i]);

		if (missing) {
			fail(err, errlen, "this host's CPU (through %s) lacks features the "
			     "saved guest had: CPUID %#x.%u %s bits %#x",
			     m->vm.backend->name, feature_words[i].function,
			     feature_words[i].index, reg_names[feature_words[i].reg], missing);
			return -EINVAL;
		}
	}
	if (all_disks != m->cfg.nr_disks || ata != (m->ata != NULL) ||
	    cd_drive != (machine_ata_cdrom(m) != NULL)) {
		fail(err, errlen, "the saved VM had %u disks in all, %s, %s; this one has %u, "
		     "%s, %s", all_disks, ata ? "AHCI/IDE controllers" : "no AHCI/IDE controller",
		     cd_drive ? "a CD/DVD drive" : "no CD/DVD drive", m->cfg.nr_disks,
		     m->ata ? "AHCI/IDE controllers" : "no AHCI/IDE controller",
		     machine_ata_cdrom(m) ? "a CD/DVD drive" : "no CD/DVD drive");
		return -EINVAL;
	}
	if (cd_disc != (m->cfg.cdrom != NULL)) {
		fail(err, errlen, "the saved VM's CD/DVD drive %s, this one's %s",
		     cd_disc ? "had a disc" : "was empty",
		     m->cfg.cdrom ? "has one" : "is empty");
		return -EINVAL;
	}
	nimg = version >= 3 ? nr_images(m) : 0;
	for (i = 0; i < nimg; i++) {
		ret = check_disk(r, i, image(m, i), err, errlen);
		if (ret)
			return ret;
	}
	/* The same host (its rate measured again): keep the exact rate. */
	if (tsc_hz && (tsc_hz > m->tsc_hz ? tsc_hz - m->tsc_hz : m->tsc_hz - tsc_hz) <=
		      m->tsc_hz / (1000000 / TSC_SAME_PPM))
		m->tsc_hz = tsc_hz;
	m->pv_wall_msr = wall;
	m->pic_output = pic_output;
	return 0;
}

/*
 * The paravirtual clock goes on from where it was: tsc0 (its zero, in
 * host TSC) is the saved one when the host's TSC has run past the saved
 * time since (the same host boot: the clock jumps over the time spent
 * saved), else now less the saved time (it continues from its value).
 */
static void restore_pvclock(struct machine *m, uint64_t pv_ns, uint64_t tsc0)
{
	uint64_t now = __rdtsc();
	uint64_t ticks = (uint64_t)((unsigned __int128)pv_ns * m->tsc_hz / 1000000000u);
	unsigned int i;
	uint64_t val;

	if (now >= tsc0 && now - tsc0 >= ticks)
		m->tsc0 = tsc0;
	else
		m->tsc0 = now - ticks;
	m->tsc0_ns = (int64_t)((unsigned __int128)m->tsc0 * 1000000000u / m->tsc_hz);
	if (m->vm.backend->clock_stopped)
		return;
	/* Rewrites the records in guest RAM with the new zero and rate. */
	for (i = 0; i < m->nr_vcpus; i++) {
		struct vcpu *v = &m->vcpus[i];

		if (v->pv_time_msr & PV_ENABLE) {
			val = v->pv_time_msr;
			pvclock_msr_access(v, PVCLOCK_MSR_SYSTEM_TIME, true, &val);
			pvclock_guest_stopped(v);
		}
	}
	if (m->pv_wall_msr) {
		val = m->pv_wall_msr;
		pvclock_msr_access(&m->vcpus[0], PVCLOCK_MSR_WALL_CLOCK, true, &val);
	}
}

/*
 * Where the backend keeps kvmclock (KVM): it reads the saved value plus
 * the wall-clock time spent saved, as after a host suspend (the guest's
 * monotonic time jumps forward, never back), and each vCPU's record is
 * flagged PVCLOCK_GUEST_STOPPED so the guest's watchdogs forgive the jump.
 */
static int restore_backend_clock(struct machine *m, uint64_t pv_ns, uint64_t realtime)
{
	const struct hv_backend *be = m->vm.backend;
	struct timespec now;
	uint64_t now_ns;
	unsigned int i;
	int ret;

	clock_gettime(CLOCK_REALTIME, &now);
	now_ns = (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
	if (realtime && now_ns > realtime)
		pv_ns += now_ns - realtime;
	ret = be->set_clock(&m->vm, pv_ns);
	for (i = 0; !ret && be->clock_stopped && i < m->nr_vcpus; i++)
		ret = be->clock_stopped(&m->vcpus[i].hv);
	return ret;
}

int snapshot_load(struct machine *m, const void *buf, size_t len, char *err, size_t errlen)
{
	const struct hv_backend *be = m->vm.backend;
	struct hv_vcpu_state *st;
	struct state_reader r;
	uint64_t pv_ns = 0, tsc0 = 0, realtime = 0;
	unsigned int i;
	int ret;

	err[0] = 0;
	st = aligned_alloc(64, sizeof(*st) * m->nr_vcpus);
	if (!st)
		return -ENOMEM;
	state_reader_init(&r, buf, len);
	pthread_mutex_lock(&m->lock);
	ret = load_machine(m, &r, err, errlen, &pv_ns, &tsc0, &realtime);
	for (i = 0; !ret && i < m->nr_vcpus; i++) {
		ret = get_cpu(&r, &m->vcpus[i], &st[i]);
		if (!ret)
			ret = lapic_load(&m->vcpus[i].lapic, &r);
	}
	if (!ret)
		ret = load_devices(m, &r);
	if (!ret && !state_reader_at_end(&r))
		ret = state_reader_fail(&r, "sections after the last device");
	if (ret) {
		if (!err[0])
			fail(err, errlen, "%s", state_reader_msg(&r)[0] ?
			     state_reader_msg(&r) : strerror(-ret));
		goto unlock;
	}
	for (i = 0; i < m->nr_vcpus; i++) {
		struct vcpu *v = &m->vcpus[i];

		/* Guest TSC = host TSC (machine/clock.c): it jumps over the time saved. */
		st[i].msr.tsc = __rdtsc();
		if (!be->clock_stopped)
			v->pv_time_msr = st[i].pvclock_system_time;
		st[i].pvclock_system_time = be->clock_stopped ? st[i].pvclock_system_time : 0;
		/*
		 * Where no kernel APIC serves PV EOI (vmain.ko, the monitor's
		 * APIC) the guest's flag is never set again, so it writes its
		 * EOIs as before: nothing is pending at a save (hv.h, pv_eoi).
		 */
		if (!m->vm.lapic_in_kernel)
			st[i].pv_eoi = 0;
		ret = be->set_state(&v->hv, &st[i]);
		if (ret) {
			fail(err, errlen, "%s refused CPU %u's saved state: %s", be->name, i,
			     strerror(-ret));
			goto unlock;
		}
	}
	/* Split irqchip: the APICs into KVM, the level pins' routes, the notify addresses. */
	for (i = 0; i < m->nr_vcpus; i++) {
		ret = machine_irqchip_lapic_put(&m->vcpus[i]);
		if (ret) {
			fail(err, errlen, "%s refused CPU %u's local APIC: %s", be->name, i,
			     strerror(-ret));
			goto unlock;
		}
	}
	machine_irqchip_sync(m);
	machine_ioeventfds_sync(m);
	restore_pvclock(m, pv_ns, tsc0);
	if (be->set_clock) {
		ret = restore_backend_clock(m, pv_ns, realtime);
		if (ret) {
			fail(err, errlen, "%s refused the paravirtual clock: %s", be->name,
			     strerror(-ret));
			goto unlock;
		}
	}
	/* Events the input devices held: to the guest, now that it is whole. */
	if (m->screen) {
		virtio_input_kick(&m->screen->keyboard);
		virtio_input_kick(&m->screen->tablet);
		virtio_input_kick(&m->screen->mouse);
	}
	/* Timers due already fire at once, from the main loop. */
	platform_rearm_pit(m);
	for (i = 0; i < m->nr_vcpus; i++)
		machine_vcpu_rearm_timer(&m->vcpus[i]);
unlock:
	pthread_mutex_unlock(&m->lock);
	free(st);
	return ret;
}
