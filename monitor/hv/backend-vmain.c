// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hv/backend-vmain.c - the vmain.ko backend (/dev/vm-main, docs/abi.md).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hv/hv.h"
#include "hv/vmain-dev.h"

/*
 * CREATE_VM's EBUSY has two causes (docs/abi.md): this UUID is live, or
 * another hypervisor holds the hardware.  A VM with a fresh random UUID
 * tells them apart: -EEXIST for the first, -EBUSY for the second.
 */
static int vmain_busy_cause(int sysfd)
{
	uint8_t probe[16];
	int fd;

	if (vmain_dev_random_uuid(probe))
		return -EBUSY;
	fd = vmain_dev_create_vm(sysfd, probe);
	if (fd < 0)
		return fd;
	close(fd);
	return -EEXIST;
}

static int vmain_vm_create(struct hv_vm *vm, const uint8_t uuid[16],
			   char *why, size_t whylen)
{
	int ret;

	ret = vmain_dev_open(0);
	if (ret < 0) {
		snprintf(why, whylen, "%s: %s", VMAIN_DEVICE_PATH, vmain_dev_explain(-ret));
		return ret;
	}
	vm->sysfd = ret;
	vm->run_size = ioctl(vm->sysfd, VMAIN_GET_VCPU_MMAP_SIZE, 0);
	if (vm->run_size <= 0) {
		ret = -errno;
		snprintf(why, whylen, "%s does not answer as vmain.ko", VMAIN_DEVICE_PATH);
		goto close_dev;
	}
	ret = vmain_dev_create_vm(vm->sysfd, uuid);
	if (ret == -EBUSY)
		ret = vmain_busy_cause(vm->sysfd);
	if (ret < 0) {
		snprintf(why, whylen, "vmain.ko cannot create the VM: %s",
			 ret == -EEXIST ? "a VM with this UUID is running" :
			 ret == -EBUSY ? "another hypervisor (e.g. KVM) owns the hardware" :
			 vmain_dev_explain(-ret));
		goto close_dev;
	}
	vm->vmfd = ret;
	return 0;

close_dev:
	close(vm->sysfd);
	vm->sysfd = -1;
	return ret;
}

static int vmain_set_memory(struct hv_vm *vm, uint32_t slot, uint64_t gpa,
			    uint64_t size, void *hva, bool readonly)
{
	struct vmain_memory_region r;

	memset(&r, 0, sizeof(r));
	r.slot = slot;
	r.flags = readonly ? VMAIN_MEM_READONLY : 0;
	r.guest_phys_addr = gpa;
	r.size = size;
	r.userspace_addr = (uintptr_t)hva;
	return ioctl(vm->vmfd, VMAIN_VM_SET_MEMORY_REGION, &r) ? -errno : 0;
}

static int vmain_set_memory_logged(struct hv_vm *vm, uint32_t slot, uint64_t gpa,
				   uint64_t size, void *hva)
{
	struct vmain_memory_region r;

	memset(&r, 0, sizeof(r));
	r.slot = slot;
	r.flags = VMAIN_MEM_LOG_DIRTY;
	r.guest_phys_addr = gpa;
	r.size = size;
	r.userspace_addr = (uintptr_t)hva;
	return ioctl(vm->vmfd, VMAIN_VM_SET_MEMORY_REGION, &r) ? -errno : 0;
}

static int vmain_get_dirty_log(struct hv_vm *vm, uint32_t slot, uint64_t *bitmap)
{
	struct vmain_dirty_log log;

	memset(&log, 0, sizeof(log));
	log.slot = slot;
	log.bitmap = (uintptr_t)bitmap;
	return ioctl(vm->vmfd, VMAIN_VM_GET_DIRTY_LOG, &log) ? -errno : 0;
}

static int vmain_vcpu_create(struct hv_vcpu *vcpu)
{
	return hv_vcpu_open(vcpu, VMAIN_VM_CREATE_VCPU);
}

static int vmain_vcpu_run(struct hv_vcpu *vcpu, struct hv_exit *exit)
{
	struct vmain_run *run = vcpu->run;

	memset(exit, 0, sizeof(*exit));
	if (ioctl(vcpu->fd, VMAIN_VCPU_RUN, 0)) {
		exit->reason = run->exit_reason;
		return -errno;
	}
	/* vmain's exit reasons are the neutral ones: only the views differ. */
	exit->reason = run->exit_reason;
	switch (run->exit_reason) {
	case VMAIN_EXIT_IO:
		exit->io.in = run->exit.io.direction == VMAIN_IO_IN;
		exit->io.size = run->exit.io.size;
		exit->io.port = run->exit.io.port;
		exit->io.count = run->exit.io.count;
		exit->io.data = (uint8_t *)run + run->exit.io.data_offset;
		break;
	case VMAIN_EXIT_MMIO:
		exit->mmio.gpa = run->exit.mmio.phys_addr;
		exit->mmio.data = run->exit.mmio.data;
		exit->mmio.len = run->exit.mmio.len;
		exit->mmio.write = run->exit.mmio.is_write;
		break;
	case VMAIN_EXIT_MSR:
		exit->msr.index = run->exit.msr.index;
		exit->msr.write = run->exit.msr.is_write;
		exit->msr.data = (uint64_t *)&run->exit.msr.data;
		exit->msr.error = &run->exit.msr.error;
		break;
	case VMAIN_EXIT_FAIL_ENTRY:
		exit->hw_reason = run->exit.fail_entry.hardware_reason;
		break;
	case VMAIN_EXIT_INTERNAL_ERROR:
		exit->suberror = run->exit.internal.suberror;
		hv_exit_set_data(exit, run->exit.internal.ndata,
				 (const uint64_t *)run->exit.internal.data);
		break;
	}
	return 0;
}

static int vmain_get_regs(struct hv_vcpu *vcpu, struct vmain_regs *regs)
{
	return ioctl(vcpu->fd, VMAIN_VCPU_GET_REGS, regs) ? -errno : 0;
}

static int vmain_set_regs(struct hv_vcpu *vcpu, const struct vmain_regs *regs)
{
	return ioctl(vcpu->fd, VMAIN_VCPU_SET_REGS, regs) ? -errno : 0;
}

static int vmain_get_sregs(struct hv_vcpu *vcpu, struct vmain_sregs *sregs)
{
	return ioctl(vcpu->fd, VMAIN_VCPU_GET_SREGS, sregs) ? -errno : 0;
}

static int vmain_set_sregs(struct hv_vcpu *vcpu, const struct vmain_sregs *sregs)
{
	return ioctl(vcpu->fd, VMAIN_VCPU_SET_SREGS, sregs) ? -errno : 0;
}

static int vmain_interrupt(struct hv_vcpu *vcpu, uint8_t vector)
{
	struct vmain_interrupt irq = { .vector = vector };

	return ioctl(vcpu->fd, VMAIN_VCPU_INTERRUPT, &irq) ? -errno : 0;
}

static int vmain_nmi(struct hv_vcpu *vcpu)
{
	return ioctl(vcpu->fd, VMAIN_VCPU_NMI, 0) ? -errno : 0;
}

static void vmain_request_irq_window(struct hv_vcpu *vcpu, bool on)
{
	((struct vmain_run *)vcpu->run)->request_interrupt_window = on;
}

static bool vmain_ready_for_interrupt(struct hv_vcpu *vcpu)
{
	return ((struct vmain_run *)vcpu->run)->ready_for_interrupt_injection;
}

static void vmain_kick(struct hv_vcpu *vcpu)
{
	/* The module keeps a kick that finds no RUN for the next one. */
	ioctl(vcpu->fd, VMAIN_VCPU_KICK, 0);
}

static void vmain_kick_done(struct hv_vcpu *vcpu)
{
	(void)vcpu;
}

static int vmain_set_cpuid(struct hv_vcpu *vcpu,
			   const struct vmain_cpuid_entry *e, uint32_t n)
{
	struct vmain_cpuid c;

	memset(&c, 0, sizeof(c));
	c.nent = n;
	c.entries = (uintptr_t)e;
	return ioctl(vcpu->fd, VMAIN_VCPU_SET_CPUID, &c) ? -errno : 0;
}

static int vmain_supported_cpuid(struct hv_vm *vm, struct vmain_cpuid_entry *e,
				 uint32_t *n)
{
	(void)vm;	/* the module passes CPUID through as the table says */
	return hv_host_cpuid(e, n);
}

static int vmain_set_msr(struct hv_vcpu *vcpu, uint32_t index, uint64_t data)
{
	struct vmain_msr_entry e = { .index = index, .data = data };
	struct vmain_msrs m;
	int ret;

	memset(&m, 0, sizeof(m));
	m.nmsrs = 1;
	m.entries = (uintptr_t)&e;
	ret = ioctl(vcpu->fd, VMAIN_VCPU_SET_MSRS, &m);
	if (ret < 0)
		return -errno;
	return ret == 1 ? 0 : -EINVAL;
}

/* All of hv_state_msrs[] in one GET or SET_MSRS; -EIO if one stopped it. */
static int vmain_state_msrs(struct hv_vcpu *vcpu, struct hv_state_msrs *m, bool set)
{
	struct vmain_msr_entry e[sizeof(struct hv_state_msrs) / sizeof(uint64_t)];
	struct vmain_msrs req;
	unsigned int i;
	int ret;

	memset(e, 0, sizeof(e));
	for (i = 0; i < hv_state_nr_msrs; i++) {
		e[i].index = hv_state_msrs[i].index;
		e[i].data = set ? *hv_state_msr_value(m, i) : 0;
	}
	memset(&req, 0, sizeof(req));
	req.nmsrs = hv_state_nr_msrs;
	req.entries = (uintptr_t)e;
	ret = ioctl(vcpu->fd, set ? VMAIN_VCPU_SET_MSRS : VMAIN_VCPU_GET_MSRS, &req);
	if (ret < 0)
		return -errno;
	if ((unsigned int)ret != hv_state_nr_msrs)
		return -EIO;	/* the module stopped at entry `ret` */
	if (!set)
		for (i = 0; i < hv_state_nr_msrs; i++)
			*hv_state_msr_value(m, i) = e[i].data;
	return 0;
}

/*
 * RUN with immediate_exit completes the instruction behind the last exit
 * (an IN's data, an MMIO read's value) and returns EINTR without entering
 * the guest (docs/abi.md, RUN): only then is the state whole.  A kick
 * left for the next RUN may answer first.
 */
static int vmain_complete_exit(struct hv_vcpu *vcpu)
{
	struct vmain_run *run = vcpu->run;
	uint8_t saved = run->immediate_exit;
	int ret = -EIO, tries;

	run->immediate_exit = 1;
	for (tries = 0; tries < 2; tries++) {
		if (ioctl(vcpu->fd, VMAIN_VCPU_RUN, 0)) {
			ret = errno == EINTR ? 0 : -errno;
			break;
		}
		if (run->exit_reason != VMAIN_EXIT_KICK)
			break;		/* it ran the guest: should not be */
	}
	run->immediate_exit = saved;
	return ret;
}

static int vmain_settle(struct hv_vcpu *vcpu, struct hv_exit *exit)
{
	struct vmain_run *run = vcpu->run;
	uint8_t saved = run->immediate_exit;
	int ret = -EIO, tries;

	run->immediate_exit = 1;
	for (tries = 0; tries < 2; tries++) {
		ret = vmain_vcpu_run(vcpu, exit);
		if (ret == -EINTR) {
			ret = 0;
			break;
		}
		if (ret)
			break;
		/* A kick left for the next RUN answers first: once more. */
		ret = exit->reason == VMAIN_EXIT_KICK ? -EIO : 1;
		if (ret == 1)
			break;
	}
	run->immediate_exit = saved;
	return ret;
}

static int vmain_get_state(struct hv_vcpu *vcpu, struct hv_vcpu_state *st)
{
	struct vmain_fpu fpu;
	int ret;

	memset(st, 0, sizeof(*st));
	ret = vmain_complete_exit(vcpu);
	if (ret)
		return ret;
	if (ioctl(vcpu->fd, VMAIN_VCPU_GET_REGS, &st->regs) ||
	    ioctl(vcpu->fd, VMAIN_VCPU_GET_SREGS, &st->sregs) ||
	    ioctl(vcpu->fd, VMAIN_VCPU_GET_FPU, &fpu) ||
	    ioctl(vcpu->fd, VMAIN_VCPU_GET_EVENTS, &st->events))
		return -errno;
	st->xcr0 = fpu.xcr0;
	st->xsave_size = HV_XSAVE_SIZE;
	_Static_assert(sizeof(fpu.xsave) == HV_XSAVE_SIZE, "vmain_fpu image size");
	memcpy(st->xsave, fpu.xsave, HV_XSAVE_SIZE);
	hv_xsave_normalize(st);
	ret = vmain_state_msrs(vcpu, &st->msr, false);
	/* The paravirtual clock is the machine's here (machine/pvclock.c). */
	return ret;
}

static int vmain_set_state(struct hv_vcpu *vcpu, const struct hv_vcpu_state *st)
{
	struct hv_state_msrs msr = st->msr;
	struct vmain_fpu fpu;
	int ret;

	if (st->xsave_size < HV_XSAVE_MIN_SIZE || st->xsave_size > HV_XSAVE_SIZE)
		return -EINVAL;
	memset(&fpu, 0, sizeof(fpu));
	fpu.xcr0 = st->xcr0;
	memcpy(fpu.xsave, st->xsave, st->xsave_size);
	if (ioctl(vcpu->fd, VMAIN_VCPU_SET_SREGS, &st->sregs) ||
	    ioctl(vcpu->fd, VMAIN_VCPU_SET_REGS, &st->regs) ||
	    ioctl(vcpu->fd, VMAIN_VCPU_SET_FPU, &fpu))
		return -errno;
	ret = vmain_state_msrs(vcpu, &msr, true);
	if (ret)
		return ret;
	return ioctl(vcpu->fd, VMAIN_VCPU_SET_EVENTS, &st->events) ? -errno : 0;
}

const struct hv_backend hv_backend_vmain = {
	.name			= "vmain",
	.vm_create		= vmain_vm_create,
	.vm_destroy		= hv_vm_close,
	.set_memory		= vmain_set_memory,
	.set_memory_logged	= vmain_set_memory_logged,
	.get_dirty_log		= vmain_get_dirty_log,
	.vcpu_create		= vmain_vcpu_create,
	.vcpu_destroy		= hv_vcpu_close,
	.vcpu_run		= vmain_vcpu_run,
	.get_regs		= vmain_get_regs,
	.set_regs		= vmain_set_regs,
	.get_sregs		= vmain_get_sregs,
	.set_sregs		= vmain_set_sregs,
	.interrupt		= vmain_interrupt,
	.nmi			= vmain_nmi,
	.request_irq_window	= vmain_request_irq_window,
	.ready_for_interrupt	= vmain_ready_for_interrupt,
	.kick			= vmain_kick,
	.kick_done		= vmain_kick_done,
	.set_cpuid		= vmain_set_cpuid,
	.supported_cpuid	= vmain_supported_cpuid,
	.set_msr		= vmain_set_msr,
	.settle			= vmain_settle,
	.get_state		= vmain_get_state,
	.set_state		= vmain_set_state,
};
