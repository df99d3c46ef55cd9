// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hv-test.c - (in the SVM arena with kvm_amd loaded) the monitor's two
 * hypervisor backends run the same guest with the same results (a
 * dirty-logged slot included), and --accel auto picks vmain.ko, or KVM
 * when KVM holds the hardware; KVM's split irqchip (hv_irqchip_ops): the
 * APIC page, the run state, an MSI reaching IRR through an irqfd, an
 * ioeventfd, the I/O APIC's routes.
 *
 * The guest (real mode, at 0x1000, DS base 0x10000 so that its data
 * addresses are past the 64 KiB of RAM):
 *   mov al, 0x42 ; out 0x80, al     -> IO out 0x80 = 0x42
 *   in al, 0x81                      -> IO in 0x81, we answer 0x55
 *   mov [0x5000], al                 -> MMIO write 0x15000 = 0x55
 *   mov al, [0x6000]                 -> MMIO read 0x16000, we answer 0x66
 *   out 0x82, al                     -> IO out 0x82 = 0x66
 *   hlt                              -> HLT
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "tap.h"
#include "hv/hv.h"

static const uint8_t guest[] = {
	0xb0, 0x42, 0xe6, 0x80, 0xe4, 0x81, 0xa2, 0x00, 0x50,
	0xa0, 0x00, 0x60, 0xe6, 0x82, 0xf4,
};

/*
 * The dirty log (set_memory_logged, get_dirty_log), at 0x1100 with DS
 * base 0x40000, a logged slot of 64 KiB there:
 *   mov byte [0x3000], 0x77          -> no exit: RAM, page 3 logged
 *   hlt
 */
static const uint8_t guest_dirty[] = { 0xc6, 0x06, 0x00, 0x30, 0x77, 0xf4 };

static void random_uuid(uint8_t uuid[16])
{
	if (getrandom(uuid, 16, 0) != 16)
		memset(uuid, 0x5a, 16);
}

static bool next_exit(struct hv_vcpu *vcpu, struct hv_exit *e, uint32_t reason,
		      const char *what, const char *name)
{
	int ret = vcpu->vm->backend->vcpu_run(vcpu, e);

	return tap_ok(!ret && e->reason == reason, "%s: %s (exit %u, ret %d)", name,
		      what, e->reason, ret);
}

/* A logged slot: the guest's write lands in RAM and its page, once, in the log. */
static void run_dirty(struct hv_vcpu *vcpu, uint8_t *mem, const char *name)
{
	const struct hv_backend *b = vcpu->vm->backend;
	uint64_t bitmap[1] = { 0 };
	struct vmain_sregs s;
	struct vmain_regs r;
	struct hv_exit e;
	uint8_t *logged;
	int ret;

	logged = mmap(NULL, 0x10000, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (!tap_ok(logged != MAP_FAILED, "%s: memory to log", name))
		return;
	memcpy(mem + 0x1100, guest_dirty, sizeof(guest_dirty));
	if (!tap_ok(!b->set_memory_logged(vcpu->vm, 1, 0x40000, 0x10000, logged),
		    "%s: a dirty-logged slot", name) ||
	    !tap_ok(!b->get_dirty_log(vcpu->vm, 1, bitmap) && !bitmap[0],
		    "%s: its log starts clean", name) ||
	    !tap_ok(!b->get_sregs(vcpu, &s) && !b->get_regs(vcpu, &r), "%s: get state", name))
		goto out;
	s.ds.base = 0x40000;
	s.ds.selector = 0x4000;
	r.rip = 0x1100;
	if (!tap_ok(!b->set_sregs(vcpu, &s) && !b->set_regs(vcpu, &r), "%s: DS at 0x40000", name))
		goto out;
	next_exit(vcpu, &e, VMAIN_EXIT_HLT, "a write to logged RAM, no exit, then HLT", name);
	tap_ok(logged[0x3000] == 0x77, "%s: the write is in the slot's memory", name);
	ret = b->get_dirty_log(vcpu->vm, 1, bitmap);
	tap_ok(!ret && bitmap[0] == 1u << 3, "%s: the log has page 3 (0x%llx)", name,
	       (unsigned long long)bitmap[0]);
	ret = b->get_dirty_log(vcpu->vm, 1, bitmap);
	tap_ok(!ret && !bitmap[0], "%s: read again: cleared (0x%llx)", name,
	       (unsigned long long)bitmap[0]);
	b->set_memory(vcpu->vm, 1, 0x40000, 0, NULL, false);
out:
	munmap(logged, 0x10000);
}

/* Runs the guest through `vm`'s backend; TAP lines prefixed by `name`. */
static void run_guest(struct hv_vm *vm, const char *name)
{
	const struct hv_backend *b = vm->backend;
	struct hv_vcpu vcpu = { .vm = vm, .fd = -1 };
	struct vmain_sregs s;
	struct vmain_regs r;
	struct hv_exit e;
	uint8_t *mem;

	mem = mmap(NULL, 0x10000, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (!tap_ok(mem != MAP_FAILED, "%s: guest RAM", name))
		return;
	memcpy(mem + 0x1000, guest, sizeof(guest));
	if (!tap_ok(!b->set_memory(vm, 0, 0, 0x10000, mem, false), "%s: memory slot", name) ||
	    !tap_ok(!b->vcpu_create(&vcpu), "%s: vCPU 0", name) ||
	    !tap_ok(!b->get_sregs(&vcpu, &s), "%s: get sregs", name))
		goto out;
	s.cs.base = 0;
	s.cs.selector = 0;
	s.ds.base = 0x10000;
	s.ds.selector = 0x1000;
	memset(&r, 0, sizeof(r));
	r.rip = 0x1000;
	r.rflags = 2;
	if (!tap_ok(!b->set_sregs(&vcpu, &s) && !b->set_regs(&vcpu, &r),
		    "%s: real-mode state", name))
		goto out;

	if (next_exit(&vcpu, &e, VMAIN_EXIT_IO, "OUT", name))
		tap_ok(!e.io.in && e.io.port == 0x80 && e.io.size == 1 && e.io.count == 1 &&
		       e.io.data[0] == 0x42, "%s: OUT 0x80 = 0x42", name);
	if (next_exit(&vcpu, &e, VMAIN_EXIT_IO, "IN", name)) {
		tap_ok(e.io.in && e.io.port == 0x81 && e.io.size == 1, "%s: IN 0x81", name);
		e.io.data[0] = 0x55;	/* answered in place */
	}
	if (next_exit(&vcpu, &e, VMAIN_EXIT_MMIO, "MMIO write", name))
		tap_ok(e.mmio.write && e.mmio.gpa == 0x15000 && e.mmio.len == 1 &&
		       e.mmio.data[0] == 0x55, "%s: MMIO write 0x15000 = the IN value", name);
	if (next_exit(&vcpu, &e, VMAIN_EXIT_MMIO, "MMIO read", name)) {
		tap_ok(!e.mmio.write && e.mmio.gpa == 0x16000 && e.mmio.len == 1,
		       "%s: MMIO read 0x16000", name);
		e.mmio.data[0] = 0x66;
	}
	if (next_exit(&vcpu, &e, VMAIN_EXIT_IO, "OUT", name))
		tap_ok(!e.io.in && e.io.port == 0x82 && e.io.data[0] == 0x66,
		       "%s: OUT 0x82 = the MMIO read value", name);
	next_exit(&vcpu, &e, VMAIN_EXIT_HLT, "HLT", name);
	tap_ok(!b->get_regs(&vcpu, &r) && r.rip == 0x1000 + sizeof(guest) &&
	       (r.rax & 0xff) == 0x66, "%s: RIP past HLT, AL = 0x66", name);
	run_dirty(&vcpu, mem, name);
out:
	b->vcpu_destroy(&vcpu);
	munmap(mem, 0x10000);
}

static void test_backend(enum hv_accel accel, const char *name, const char *want)
{
	struct hv_vm vm;
	uint8_t uuid[16];
	char chosen[512];

	random_uuid(uuid);
	if (!tap_ok(!hv_vm_create(&vm, accel, uuid, chosen, sizeof(chosen)),
		    "%s: VM created", name)) {
		tap_diag("  %s", chosen);
		return;
	}
	tap_ok(!strcmp(vm.backend->name, want), "%s: backend is %s (%s)", name,
	       vm.backend->name, chosen);
	run_guest(&vm, name);
	vm.backend->vm_destroy(&vm);
}

static uint32_t page32(const uint8_t *p, unsigned int off)
{
	uint32_t v;

	memcpy(&v, p + off, 4);
	return v;
}

static void page32_set(uint8_t *p, unsigned int off, uint32_t v)
{
	memcpy(p + off, &v, 4);
}

/* The KVM backend's split irqchip, as the machine uses it (machine/irqchip.c). */
static void test_split_irqchip(void)
{
	struct hv_vm vm;
	struct hv_vcpu bsp = { .vm = &vm, .fd = -1 }, ap = { .vm = &vm, .id = 1, .fd = -1 };
	const struct hv_irqchip_ops *c;
	struct hv_msi routes[HV_IOAPIC_PINS];
	uint8_t uuid[16], page[HV_LAPIC_PAGE];
	enum hv_mp_state st = HV_MP_RUNNABLE;
	uint64_t deadline = 1;
	char chosen[512];
	int fd, i, ret;

	random_uuid(uuid);
	if (!tap_ok(!hv_vm_create(&vm, HV_ACCEL_KVM, uuid, chosen, sizeof(chosen)),
		    "split irqchip: KVM VM created"))
		return;
	c = vm.backend->irqchip;
	ret = c ? c->enable(&vm) : -ENOSYS;
	if (!tap_ok(!ret && vm.lapic_in_kernel && strstr(vm.irq_path, "split"),
		    "split irqchip: enabled (%s)", vm.irq_path))
		goto out;
	if (!tap_ok(!vm.backend->vcpu_create(&bsp) && !vm.backend->vcpu_create(&ap),
		    "split irqchip: vCPUs 0 and 1"))
		goto out;
	ret = c->get_lapic(&bsp, page);
	tap_ok(!ret && (page32(page, 0x30) & 0xff) == 0x14,
	       "split irqchip: KVM_GET_LAPIC, an integrated APIC's version (%#x)",
	       page32(page, 0x30));
	page32_set(page, 0x80, 0x30);		/* TPR */
	page32_set(page, 0xf0, 0x1ff);		/* SVR: enabled */
	tap_ok(!c->set_lapic(&bsp, page) && !c->get_lapic(&bsp, page) &&
	       page32(page, 0x80) == 0x30 && page32(page, 0xf0) == 0x1ff,
	       "split irqchip: KVM_SET_LAPIC: TPR and SVR read back");
	tap_ok(!c->get_mp_state(&bsp, &st) && st == HV_MP_RUNNABLE,
	       "split irqchip: the BSP runnable");
	tap_ok(!c->get_mp_state(&ap, &st) && st == HV_MP_WAIT_SIPI,
	       "split irqchip: the AP waits for its SIPI");
	tap_ok(!c->set_mp_state(&ap, HV_MP_HALTED) && !c->get_mp_state(&ap, &st) &&
	       st == HV_MP_HALTED, "split irqchip: KVM_SET_MP_STATE halted, read back");
	tap_ok(!c->get_msr(&bsp, 0x6e0, &deadline) && deadline == 0,
	       "split irqchip: IA32_TSC_DEADLINE from KVM's APIC (0: disarmed)");
	/* Vector 0x51 to APIC 0, twice: the second takes the irqfd made by the first. */
	for (i = 0; i < 2; i++)
		c->signal_msi(&vm, 0xfee00000, 0x51);
	for (i = 0; i < 100; i++) {
		if (!c->get_lapic(&bsp, page) && (page32(page, 0x200 + 0x10 * 2) & 1u << 17))
			break;
		usleep(10000);
	}
	tap_ok(i < 100, "split irqchip: an MSI for vector 0x51 is pending in IRR");
	memset(routes, 0, sizeof(routes));
	routes[9].addr = 0xfee00000;
	routes[9].data = 0x61 | 1u << 15 | 1u << 14;
	routes[9].valid = true;
	tap_ok(!c->set_ioapic_routes(&vm, routes), "split irqchip: pin 9 routed level-triggered");
	fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	tap_ok(fd >= 0 && !c->ioeventfd(&vm, 0xfebf3000, fd, true),
	       "split irqchip: an ioeventfd at 0xfebf3000");
	tap_ok(c->ioeventfd(&vm, 0xfebf3000, fd, true) < 0,
	       "split irqchip: the same one again refused");
	tap_ok(!c->ioeventfd(&vm, 0xfebf3000, fd, false) &&
	       c->ioeventfd(&vm, 0xfebf3000, fd, false) < 0,
	       "split irqchip: deassigned once, not twice");
	if (fd >= 0)
		close(fd);
out:
	if (ap.fd >= 0)
		vm.backend->vcpu_destroy(&ap);
	if (bsp.fd >= 0)
		vm.backend->vcpu_destroy(&bsp);
	vm.backend->vm_destroy(&vm);
}

/* While KVM has a VM (and so AMD-V), auto falls back to KVM and says why. */
static void test_auto_fallback(void)
{
	struct hv_vm vm;
	uint8_t uuid[16];
	char chosen[512];
	int kvm, kvmvm;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	kvmvm = kvm >= 0 ? ioctl(kvm, KVM_CREATE_VM, 0) : -1;
	if (!tap_ok(kvmvm >= 0, "auto: KVM holds AMD-V (a KVM VM exists)"))
		goto out;
	random_uuid(uuid);
	if (tap_ok(!hv_vm_create(&vm, HV_ACCEL_AUTO, uuid, chosen, sizeof(chosen)),
		   "auto: a VM is created while KVM holds the hardware")) {
		tap_ok(!strcmp(vm.backend->name, "kvm") && strstr(chosen, "another hypervisor"),
		       "auto: fell back to KVM, saying why (%s)", chosen);
		vm.backend->vm_destroy(&vm);
	}
	tap_ok(hv_vm_create(&vm, HV_ACCEL_VMAIN, uuid, chosen, sizeof(chosen)) == -EBUSY,
	       "--accel vmain while KVM holds the hardware: EBUSY (%s)", chosen);
out:
	if (kvmvm >= 0)
		close(kvmvm);
	if (kvm >= 0)
		close(kvm);
}

/* A live UUID is the user's problem: auto does not hide it behind KVM. */
static void test_uuid_in_use(void)
{
	struct hv_vm a, b;
	uint8_t uuid[16];
	char chosen[512];

	random_uuid(uuid);
	if (!tap_ok(!hv_vm_create(&a, HV_ACCEL_VMAIN, uuid, chosen, sizeof(chosen)),
		    "uuid: first VM"))
		return;
	tap_ok(hv_vm_create(&b, HV_ACCEL_AUTO, uuid, chosen, sizeof(chosen)) == -EEXIST &&
	       strstr(chosen, "UUID"), "uuid: a second VM with that UUID: EEXIST, no fallback (%s)",
	       chosen);
	a.backend->vm_destroy(&a);
}

int main(void)
{
	enum hv_accel accel;

	tap_ok(!hv_accel_parse("auto", &accel) && accel == HV_ACCEL_AUTO &&
	       !hv_accel_parse("kvm", &accel) && accel == HV_ACCEL_KVM &&
	       !hv_accel_parse("vmain", &accel) && accel == HV_ACCEL_VMAIN &&
	       hv_accel_parse("qemu", &accel) == -EINVAL, "--accel parsing");
	test_backend(HV_ACCEL_VMAIN, "vmain", "vmain");
	test_backend(HV_ACCEL_KVM, "kvm", "kvm");
	test_backend(HV_ACCEL_AUTO, "auto", "vmain");
	test_split_irqchip();
	test_auto_fallback();
	test_uuid_in_use();
	return tap_done();
}
