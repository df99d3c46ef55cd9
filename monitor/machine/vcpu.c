// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * machine/vcpu.c - a vCPU's thread: enter the guest, handle the exit,
 * inject interrupts, sleep while halted or waiting for a startup IPI.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "machine/firmware.h"
#include "machine/machine.h"
#include "machine/platform.h"
#include "machine/pvclock.h"

#define MSR_TSC_DEADLINE	0x6e0

/*
 * The state INIT then SIPI leave an AP in (SDM Vol. 3A "Initialization
 * Overview", table "IA-32 and Intel 64 Processor States Following
 * Power-up, Reset, or INIT"; "MP Initialization Protocol"): real mode,
 * CS = vector << 8 with base vector << 12, IP = 0.
 */
static int vcpu_sipi_state(struct vcpu *v, uint8_t vector)
{
	const struct hv_backend *be = v->m->vm.backend;
	struct vmain_sregs s;
	struct vmain_regs r;
	int ret;

	ret = be->get_sregs(&v->hv, &s);
	if (ret)
		return ret;
	memset(&s.cs, 0, sizeof(s.cs) * 6);
	s.cs.selector = vector << 8;
	s.cs.base = (uint64_t)vector << 12;
	s.cs.limit = 0xffff;
	s.cs.type = 0xb;
	s.cs.present = 1;
	s.cs.s = 1;
	s.ds = s.es = s.fs = s.gs = s.ss = s.cs;
	s.ds.selector = s.es.selector = s.fs.selector = 0;
	s.gs.selector = s.ss.selector = 0;
	s.ds.base = s.es.base = s.fs.base = s.gs.base = s.ss.base = 0;
	s.ds.type = s.es.type = s.fs.type = s.gs.type = s.ss.type = 0x3;
	memset(&s.tr, 0, sizeof(s.tr));
	s.tr.limit = 0xffff;
	s.tr.type = 0xb;
	s.tr.present = 1;
	memset(&s.ldt, 0, sizeof(s.ldt));
	s.ldt.limit = 0xffff;
	s.ldt.type = 0x2;
	s.ldt.present = 1;
	s.gdt.base = s.idt.base = 0;
	s.gdt.limit = s.idt.limit = 0xffff;
	s.cr0 = 0x60000010;	/* CD, NW, ET */
	s.cr2 = s.cr3 = s.cr4 = s.cr8 = 0;
	s.efer = 0;
	ret = be->set_sregs(&v->hv, &s);
	if (ret)
		return ret;
	memset(&r, 0, sizeof(r));
	r.rflags = 2;
	r.rdx = 0x600;		/* family 6: a processor signature of sorts */
	return be->set_regs(&v->hv, &r);
}

/* What vmain.ko's internal errors mean (common/vmain.h, docs/abi.md). */
static const char *internal_name(const struct hv_backend *be, uint32_t suberror)
{
	static const char *const names[] = {
		[VMAIN_INTERNAL_UNHANDLED_EXIT]	= ": an exit the module does not handle",
		[VMAIN_INTERNAL_EMULATION]	= ": an instruction it cannot emulate",
		[VMAIN_INTERNAL_FETCH_NON_RAM]	= ": code fetched from outside guest RAM",
		[VMAIN_INTERNAL_MEMORY_FAULT]	= ": guest RAM unusable behind its slot",
	};

	if (strcmp(be->name, "vmain") || suberror >= G_N_ELEMENTS(names) || !names[suberror])
		return "";
	return names[suberror];
}

static void report_failure(struct vcpu *v, const struct hv_exit *ex)
{
	const struct hv_backend *be = v->m->vm.backend;
	struct vmain_regs r;
	struct vmain_sregs s;

	if (ex->reason == VMAIN_EXIT_FAIL_ENTRY)
		fprintf(stderr, "vmain: CPU %u: the hardware refused guest entry "
			"(reason %#" PRIx64 ")\n", v->id, ex->hw_reason);
	else
		fprintf(stderr, "vmain: CPU %u: the backend could not continue "
			"(exit %u, internal error %#x%s)\n", v->id, ex->reason,
			ex->suberror, internal_name(v->m->vm.backend, ex->suberror));
	for (unsigned int i = 0; i < ex->ndata; i++)
		fprintf(stderr, "vmain: CPU %u: error data[%u] %#" PRIx64 "\n",
			v->id, i, ex->data[i]);
	if (!be->get_regs(&v->hv, &r) && !be->get_sregs(&v->hv, &s))
		fprintf(stderr, "vmain: CPU %u: rip %#llx rsp %#llx cr0 %#llx "
			"cr3 %#llx cr4 %#llx efer %#llx cs %#x\n", v->id,
			(unsigned long long)r.rip, (unsigned long long)r.rsp,
			(unsigned long long)s.cr0, (unsigned long long)s.cr3,
			(unsigned long long)s.cr4, (unsigned long long)s.efer,
			s.cs.selector);
}

static void handle_msr(struct vcpu *v, const struct hv_exit *ex)
{
	uint32_t idx = ex->msr.index;
	int ret;

	if (pvclock_msr(idx) && v->m->cfg.pvclock)
		ret = pvclock_msr_access(v, idx, ex->msr.write, ex->msr.data);
	else if (ex->msr.write)
		ret = lapic_msr_write(&v->lapic, idx, *ex->msr.data);
	else
		ret = lapic_msr_read(&v->lapic, idx, ex->msr.data);
	if (ret)
		*ex->msr.error = 1;
	machine_flush_eois(v);
	if (ex->msr.write && (idx == MSR_TSC_DEADLINE || idx == LAPIC_MSR_LVT_TIMER ||
			      idx == LAPIC_MSR_TIMER_ICR || idx == LAPIC_MSR_TIMER_DCR))
		machine_vcpu_rearm_timer(v);
}

/* Handles one exit with the lock held: 0 to go on, or -1 to stop. */
static int handle_exit(struct vcpu *v, struct hv_exit *ex)
{
	struct machine *m = v->m;
	uint32_t i;

	switch (ex->reason) {
	case VMAIN_EXIT_IO:
		for (i = 0; i < ex->io.count; i++)
			platform_pio(m, ex->io.port, ex->io.size, !ex->io.in,
				     ex->io.data + i * ex->io.size);
		/* CONFIG_DATA (PCI 3.0 3.2.2.3.2): a BAR may have moved. */
		if (m->ioeventfds && !ex->io.in && ex->io.port >= 0xcfc && ex->io.port < 0xd00)
			machine_ioeventfds_sync(m);
		return 0;
	case VMAIN_EXIT_MMIO:
		/* A firmware's APIC is at its xAPIC page, per vCPU. */
		if (!firmware_xapic_mmio(v, ex->mmio.gpa, ex->mmio.len, ex->mmio.write,
					 ex->mmio.data))
			platform_mmio(m, ex->mmio.gpa, ex->mmio.len, ex->mmio.write,
				      ex->mmio.data);
		/* ECAM (PCIe 6.0 7.2.2): likewise. */
		if (m->ioeventfds && ex->mmio.write && ex->mmio.gpa >= m->pci.ecam_base &&
		    ex->mmio.gpa - m->pci.ecam_base < m->pci.ecam_size)
			machine_ioeventfds_sync(m);
		return 0;
	case HV_EXIT_IOAPIC_EOI:
		/* Split irqchip: KVM's APIC took the EOI of a level-triggered pin's vector. */
		v->eoi_exits++;
		ioapic_eoi(&m->ioapic, ex->eoi_vector);
		return 0;
	case VMAIN_EXIT_MSR:
		handle_msr(v, ex);
		return 0;
	case VMAIN_EXIT_HLT:
		if (machine_irq_pending(v) < 0 && !v->nmi_pending)
			v->state = VCPU_HALTED;
		return 0;
	case VMAIN_EXIT_SHUTDOWN:
		/* A triple fault resets a PC (SDM Vol. 3A "Triple Fault"). */
		if (m->cfg.verbose)
			fprintf(stderr, "vmain: CPU %u: triple fault, resetting\n", v->id);
		machine_stop_locked(m, MACHINE_EXIT_RESET);
		return -1;
	case VMAIN_EXIT_IRQ_WINDOW:	/* inject() offers the interrupt next */
	case VMAIN_EXIT_KICK:
	case VMAIN_EXIT_INTR:
		return 0;
	default:
		report_failure(v, ex);
		machine_stop_locked(m, MACHINE_EXIT_ERROR);
		return -1;
	}
}

int machine_vcpu_settle_locked(struct vcpu *v)
{
	const struct hv_backend *be = v->m->vm.backend;
	struct hv_exit ex;
	int ret = 0, tries;

	if (!be->settle)
		return 0;	/* a backend whose get_state finishes it alone */
	/* An instruction makes two accesses at most (a read, then a write). */
	for (tries = 0; tries < 4; tries++) {
		ret = be->settle(&v->hv, &ex);
		if (ret <= 0)
			return ret;
		v->exits++;
		if (ex.reason != VMAIN_EXIT_MMIO && ex.reason != VMAIN_EXIT_IO)
			return -EIO;	/* nothing else finishes an instruction */
		handle_exit(v, &ex);
	}
	return -EIO;
}

/*
 * Offers the highest pending interrupt, or asks for the window.  The
 * vector is taken from the APIC (or the 8259s) only once the backend has
 * queued it: a backend that still holds an earlier one refuses (EBUSY),
 * and the vector stays pending for the next entry.
 */
static void inject(struct vcpu *v)
{
	const struct hv_backend *be = v->m->vm.backend;
	bool window = false;
	int vec = machine_irq_pending(v);

	/* An NMI is not blocked by IF; the backend holds it past an NMI handler. */
	if (v->nmi_pending && !be->nmi(&v->hv))
		v->nmi_pending = false;

	if (vec >= 0) {
		int ret = be->ready_for_interrupt(&v->hv) ? be->interrupt(&v->hv, vec) : -EBUSY;

		if (!ret) {
			machine_irq_ack(v);
			window = machine_irq_pending(v) >= 0;
		} else if (ret == -EINVAL) {
			/*
			 * Every vector is an external interrupt to KVM and to
			 * vmain.ko with VMAIN_CAP_LOW_VECTORS; an older module
			 * refuses a BIOS's 08h-0Fh, and would be asked forever.
			 */
			fprintf(stderr, "vmain: CPU %u: the backend refuses interrupt vector %d "
				"(an older vmain.ko: load this version's module)\n", v->id, vec);
			machine_stop_locked(v->m, MACHINE_EXIT_ERROR);
		} else {
			window = true;
		}
	}
	be->request_irq_window(&v->hv, window);
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	struct machine *m = v->m;
	const struct hv_backend *be = m->vm.backend;
	struct hv_exit ex;
	sigset_t set;
	int ret;

	/* Signals for the process go to the main loop, not to vCPUs. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	pthread_mutex_lock(&m->lock);
	while (!m->stopping) {
		/* Paused: nothing, not even an interrupt, enters the guest. */
		if (m->paused) {
			pthread_cond_wait(&v->wake, &m->lock);
			continue;
		}
		if (v->state == VCPU_WAIT_SIPI) {
			if (!v->sipi_pending) {
				pthread_cond_wait(&v->wake, &m->lock);
				continue;
			}
			v->sipi_pending = false;
			ret = vcpu_sipi_state(v, v->sipi_vector);
			if (ret) {
				fprintf(stderr, "vmain: CPU %u: cannot start: %s\n",
					v->id, strerror(-ret));
				machine_stop_locked(m, MACHINE_EXIT_ERROR);
				break;
			}
			v->state = VCPU_RUNNABLE;
		}
		if (v->state == VCPU_HALTED) {
			if (machine_irq_pending(v) < 0 && !v->nmi_pending) {
				pthread_cond_wait(&v->wake, &m->lock);
				continue;
			}
			v->state = VCPU_RUNNABLE;
		}
		inject(v);
		if (v->id == 0 && !m->first_entry_cpu_ns) {
			struct timespec ts;

			clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
			m->first_entry_cpu_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
		}
		v->in_guest = true;
		pthread_mutex_unlock(&m->lock);
		ret = be->vcpu_run(&v->hv, &ex);
		be->kick_done(&v->hv);
		pthread_mutex_lock(&m->lock);
		v->in_guest = false;
		if (m->paused)
			pthread_cond_broadcast(&m->parked);
		if (ret == -EINTR)
			continue;
		if (ret < 0) {
			fprintf(stderr, "vmain: CPU %u: RUN failed: %s\n", v->id,
				strerror(-ret));
			machine_stop_locked(m, MACHINE_EXIT_ERROR);
			break;
		}
		v->exits++;
		if (ex.reason <= VMAIN_EXIT_INTR)
			v->exits_by_reason[ex.reason]++;
		if (handle_exit(v, &ex))
			break;
	}
	pthread_mutex_unlock(&m->lock);
	return NULL;
}

void machine_vcpu_rearm_timer(struct vcpu *v)
{
	machine_arm_timerfd(v->m, v->timerfd, lapic_next_event_ns(&v->lapic), true);
}

int machine_vcpu_start(struct vcpu *v)
{
	int ret;

	ret = pthread_create(&v->thread, NULL, vcpu_thread, v);
	if (ret)
		return -ret;
	v->hv.thread = v->thread;
	v->hv.has_thread = true;
	v->thread_started = true;
	return 0;
}
