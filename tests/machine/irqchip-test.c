// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * irqchip-test.c - the machine's side of KVM's split irqchip with a
 * recording backend (monitor/machine/irq.c, monitor/machine/irqchip.c):
 * MSIs and I/O APIC redirection entries turned into the messages the
 * kernel's APICs take, the level-triggered pins' routes (set once, again
 * only when an entry changes, masked ones kept), only the 8259s' ExtINT
 * injected from the monitor; and the APIC's state copied from the
 * kernel's register page into the model's form and back (the save and
 * load path), the timer's count, the TSC deadline and the run state
 * included; the ioeventfds on the notify addresses of virtio-net's
 * queues (only), following the BAR and the memory-space bit, a guest
 * write through one reaching the transport as its MMIO write would.
 */
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "io/ioloop.h"
#include "machine/machine.h"
#include "virtio/virtio-pci.h"

#define NCPUS 2

static struct machine m;
static struct vcpu vcpus[NCPUS];

static struct { uint64_t addr; uint32_t data; } msis[16];
static unsigned int nmsi, nroutes;
static struct hv_msi routes[HV_IOAPIC_PINS];
static uint8_t page[NCPUS][HV_LAPIC_PAGE];
static enum hv_mp_state mp[NCPUS];
static uint64_t deadline[NCPUS];

static int fake_signal_msi(struct hv_vm *vm, uint64_t addr, uint32_t data)
{
	(void)vm;
	if (nmsi < 16) {
		msis[nmsi].addr = addr;
		msis[nmsi].data = data;
	}
	nmsi++;
	return 0;
}

static int fake_routes(struct hv_vm *vm, const struct hv_msi r[HV_IOAPIC_PINS])
{
	(void)vm;
	memcpy(routes, r, sizeof(routes));
	nroutes++;
	return 0;
}

static int fake_get_lapic(struct hv_vcpu *v, uint8_t regs[HV_LAPIC_PAGE])
{
	memcpy(regs, page[v->id], HV_LAPIC_PAGE);
	return 0;
}

static int fake_set_lapic(struct hv_vcpu *v, const uint8_t regs[HV_LAPIC_PAGE])
{
	memcpy(page[v->id], regs, HV_LAPIC_PAGE);
	return 0;
}

static int fake_get_mp(struct hv_vcpu *v, enum hv_mp_state *st)
{
	*st = mp[v->id];
	return 0;
}

static int fake_set_mp(struct hv_vcpu *v, enum hv_mp_state st)
{
	mp[v->id] = st;
	return 0;
}

/* Each kernel APIC's IA32_APIC_BASE: x2APIC mode unless a test says not. */
static bool xapic_mode[NCPUS];

static int fake_get_msr(struct hv_vcpu *v, uint32_t index, uint64_t *data)
{
	if (index == 0x1b) {
		*data = 0xfee00000ull | 1u << 11 | (xapic_mode[v->id] ? 0 : 1u << 10);
		return 0;
	}
	if (index != LAPIC_MSR_TSC_DEADLINE)
		return -EINVAL;
	*data = deadline[v->id];
	return 0;
}

static int fake_set_msr(struct hv_vcpu *v, uint32_t index, uint64_t data)
{
	if (index != LAPIC_MSR_TSC_DEADLINE)
		return -EINVAL;
	deadline[v->id] = data;
	return 0;
}

/* KVM_IOEVENTFD as it stands: gpa -> fd. */
static struct { uint64_t gpa; int fd; } iofds[16];
static unsigned int niofds, iofd_calls;

static int fake_ioeventfd(struct hv_vm *vm, uint64_t gpa, int fd, bool assign)
{
	unsigned int i;

	(void)vm;
	iofd_calls++;
	for (i = 0; i < niofds; i++)
		if (iofds[i].gpa == gpa && iofds[i].fd == fd)
			break;
	if (assign) {
		if (i < niofds || niofds == 16)
			return -EEXIST;
		iofds[niofds].gpa = gpa;
		iofds[niofds++].fd = fd;
		return 0;
	}
	if (i == niofds)
		return -ENOENT;
	iofds[i] = iofds[--niofds];
	return 0;
}

static int iofd_at(uint64_t gpa)
{
	unsigned int i;

	for (i = 0; i < niofds; i++)
		if (iofds[i].gpa == gpa)
			return iofds[i].fd;
	return -1;
}

static void fake_kick(struct hv_vcpu *hv)
{
	(void)hv;
}

static const struct hv_irqchip_ops fake_chip = {
	.signal_msi = fake_signal_msi, .set_ioapic_routes = fake_routes,
	.get_lapic = fake_get_lapic, .set_lapic = fake_set_lapic,
	.get_mp_state = fake_get_mp, .set_mp_state = fake_set_mp,
	.get_msr = fake_get_msr, .ioeventfd = fake_ioeventfd,
};

static const struct hv_backend fake = {
	.name = "fake", .kick = fake_kick, .set_msr = fake_set_msr, .irqchip = &fake_chip,
};

static void pic_output(void *opaque, bool level)
{
	((struct machine *)opaque)->pic_output = level;
}

static void setup(void)
{
	static const struct ioapic_ops ioapic_ops = { .deliver = machine_ioapic_deliver };
	static const struct i8259_ops pic_ops = { .output = pic_output };
	struct lapic_ops ops;
	unsigned int i;

	memset(&m, 0, sizeof(m));
	memset(vcpus, 0, sizeof(vcpus));
	memset(routes, 0, sizeof(routes));
	nmsi = nroutes = 0;
	m.vm.backend = &fake;
	m.vm.lapic_in_kernel = true;
	m.vcpus = vcpus;
	m.nr_vcpus = NCPUS;
	m.tsc_hz = 1000000000;	/* guest TSC ticks = ns: deadlines read plainly */
	pthread_mutex_init(&m.lock, NULL);
	ioapic_init(&m.ioapic, &ioapic_ops, &m);
	i8259_init(&m.pic, &pic_ops, &m);
	machine_lapic_ops(&ops);
	for (i = 0; i < NCPUS; i++) {
		vcpus[i].m = &m;
		vcpus[i].id = i;
		vcpus[i].hv.vm = &m.vm;
		vcpus[i].hv.id = i;
		vcpus[i].state = VCPU_RUNNABLE;
		pthread_cond_init(&vcpus[i].wake, NULL);
		lapic_init(&vcpus[i].lapic, &ops, &vcpus[i], i, machine_tsc_ns, &m, m.tsc_hz);
	}
}

static void rte(unsigned int pin, uint64_t value)
{
	uint64_t sel = 0x10 + 2 * pin, lo = value & 0xffffffff, hi = value >> 32;

	ioapic_mmio(&m.ioapic, 0x00, 4, true, &sel);
	ioapic_mmio(&m.ioapic, 0x10, 4, true, &lo);
	sel++;
	ioapic_mmio(&m.ioapic, 0x00, 4, true, &sel);
	ioapic_mmio(&m.ioapic, 0x10, 4, true, &hi);
}

static void pio(uint16_t port, uint8_t v)
{
	uint32_t d = v;

	i8259_io_master(&m.pic, port - 0x20, 1, true, &d);
}

static void test_messages(void)
{
	setup();
	/* A virtio MSI-X message goes to the kernel as it is. */
	machine_msi(&m, 0xfee01000, 0x4041);
	tap_ok(nmsi == 1 && msis[0].addr == 0xfee01000 && msis[0].data == 0x4041,
	       "MSI: the message to the kernel's APICs unchanged");
	tap_ok(lapic_next_vector(&vcpus[1].lapic) < 0, "MSI: the monitor's APIC model untouched");
	machine_msi(&m, 0xfed00000, 0x41);
	tap_ok(nmsi == 1, "MSI: a write outside 0xFEExxxxx is no interrupt: dropped");

	/* COM1 (ISA 4): edge, vector 0x30, physical destination 1. */
	rte(4, 0x30 | 1ull << 56);
	machine_isa_irq(&m, 4, true);
	tap_ok(nmsi == 2 && msis[1].addr == 0xfee01000 && msis[1].data == 0x30,
	       "I/O APIC edge entry: address 0xfee01000, data 0x30 (fixed, edge)");
	tap_ok(nroutes == 0, "edge entry: no route needed (no EOI comes back)");
	machine_isa_irq(&m, 4, false);

	/* IRQ 0 lands on pin 2 (the MADT's override), NMI delivery mode kept. */
	rte(2, 0x400 | 0x02 | 0ull << 56);
	machine_isa_irq(&m, 0, true);
	tap_ok(nmsi == 3 && msis[2].data == 0x402 && msis[2].addr == 0xfee00000,
	       "ISA IRQ 0 on pin 2: NMI delivery mode in data bits 10:8");
}

static void test_level_routes(void)
{
	setup();
	/* ACPI's SCI (pin 9): level, logical destination 2, vector 0x41. */
	rte(9, 0x41 | IOAPIC_RTE_LEVEL | IOAPIC_RTE_DESTMODE | 2ull << 56);
	ioapic_set_irq(&m.ioapic, 9, true);
	tap_ok(nroutes == 1 && routes[9].valid && routes[9].addr == 0xfee02004 &&
	       routes[9].data == (0x41 | 1u << 15 | 1u << 14),
	       "level entry: pin 9's route set before delivery (logical, trigger level, assert)");
	tap_ok(nmsi == 1 && msis[0].data == routes[9].data && msis[0].addr == routes[9].addr,
	       "level entry: the same message delivered");
	tap_ok(!routes[4].valid && !routes[2].valid, "level entry: the other pins route nothing");
	/* The kernel's EOI exit: Remote IRR clears, the still-high pin fires again. */
	ioapic_eoi(&m.ioapic, 0x41);
	tap_ok(nmsi == 2 && nroutes == 1,
	       "EOI with the pin still asserted: delivered again, routes unchanged (not re-sent)");
	ioapic_set_irq(&m.ioapic, 9, false);
	ioapic_eoi(&m.ioapic, 0x41);
	/* The guest moves the SCI: new routes before the next delivery. */
	rte(9, 0x52 | IOAPIC_RTE_LEVEL | 1ull << 56);
	ioapic_set_irq(&m.ioapic, 9, true);
	tap_ok(nroutes == 2 && routes[9].data == (0x52 | 1u << 15 | 1u << 14) &&
	       routes[9].addr == 0xfee01000, "entry changed: routes sent again with vector 0x52");
	/*
	 * rte() writes the I/O APIC directly; the machine's MMIO path
	 * (platform.c) calls machine_irqchip_sync() after every write, as
	 * these checks do by hand.
	 * Masked while waiting for its EOI: still routed, so the EOI still exits.
	 */
	rte(9, 0x52 | IOAPIC_RTE_LEVEL | IOAPIC_RTE_MASKED | 1ull << 56);
	machine_irqchip_sync(&m);
	tap_ok(nroutes == 2 && routes[9].valid,
	       "a masked level entry keeps its route (the same message: not re-sent)");
	rte(9, 0x52 | 1ull << 56);	/* edge now */
	machine_irqchip_sync(&m);
	tap_ok(nroutes == 3 && !routes[9].valid, "an edge entry drops it");
	rte(10, 0x05 | IOAPIC_RTE_LEVEL);	/* vectors 0-15 are illegal */
	machine_irqchip_sync(&m);
	tap_ok(nroutes == 3 && !routes[10].valid, "a level entry with vector 5 routes nothing");
}

static void test_extint(void)
{
	setup();
	/* The model's IRR means nothing now: the kernel owns the APIC. */
	lapic_msr_write(&vcpus[0].lapic, LAPIC_MSR_SVR, LAPIC_SVR_ENABLE | 0xff);
	lapic_accept(&vcpus[0].lapic, 0x50, false);
	tap_ok(machine_irq_pending(&vcpus[0]) == -1, "nothing injected from the monitor's APIC model");
	/* ICW1-4 at 0x20: vectors 0x20-0x27, then IRQ 1 raised. */
	pio(0x20, 0x11);
	pio(0x21, 0x20);
	pio(0x21, 0x04);
	pio(0x21, 0x01);
	pio(0x21, 0x00);
	i8259_set_irq(&m.pic, 1, true);
	tap_ok(m.pic_output && machine_irq_pending(&vcpus[0]) == 0x21,
	       "8259 IRQ 1: ExtINT vector 0x21 for the BSP (KVM checks LINT0)");
	tap_ok(machine_irq_pending(&vcpus[1]) == -1, "never for an AP");
	tap_ok(machine_irq_ack(&vcpus[0]) == 0x21, "taken by INTA");
}

static void put32(uint8_t *p, unsigned int off, uint32_t v)
{
	memcpy(p + off, &v, 4);
}

static uint32_t get32(const uint8_t *p, unsigned int off)
{
	uint32_t v;

	memcpy(&v, p + off, 4);
	return v;
}

static void test_state(void)
{
	struct lapic tmp;
	const struct lapic *l;
	uint64_t ccr;
	int err = 0;

	setup();
	/* The kernel's APIC 1: a one-shot timer a quarter through, vectors in flight. */
	memset(page[1], 0, HV_LAPIC_PAGE);
	put32(page[1], 0x20, 1u << 24);		/* ID: KVM's, kept */
	put32(page[1], 0x80, 0x20);		/* TPR */
	put32(page[1], 0xf0, 0x1ff);		/* SVR: enabled, spurious 0xff */
	put32(page[1], 0x100 + 0x10 * 1, 1u << 1);	/* ISR: vector 0x21 */
	put32(page[1], 0x180 + 0x10 * 1, 1u << 1);	/* TMR: level */
	put32(page[1], 0x200 + 0x10 * 2, 1u << 3);	/* IRR: vector 0x43 */
	put32(page[1], 0x2f0, 0x10000);		/* CMCI masked */
	put32(page[1], 0x320, 0xec);		/* timer: one-shot, vector 0xec */
	put32(page[1], 0x350, 0x700);		/* LINT0: ExtINT */
	put32(page[1], 0x360, 0x400);		/* LINT1: NMI */
	put32(page[1], 0x370, 0xfe);		/* error */
	put32(page[1], 0x380, 4000000000u);	/* initial count */
	put32(page[1], 0x390, 3000000000u);	/* current count */
	put32(page[1], 0x3e0, 0xb);		/* divide by 1 */
	mp[1] = HV_MP_HALTED;
	vcpus[1].state = VCPU_RUNNABLE;
	l = machine_irqchip_lapic_get(&vcpus[1], &tmp, &err);
	tap_ok(l == &tmp && !err, "get: the kernel's APIC in the model's form");
	tap_ok(tmp.tpr == 0x20 && tmp.svr == 0x1ff && tmp.isr[1] == 2 && tmp.tmr[1] == 2 &&
	       tmp.irr[2] == 8 && tmp.lvt[LAPIC_LVT_CMCI] == 0x10000 &&
	       tmp.lvt[LAPIC_LVT_TIMER] == 0xec && tmp.lvt[LAPIC_LVT_LINT0] == 0x700 &&
	       tmp.lvt[LAPIC_LVT_LINT1] == 0x400 && tmp.lvt[LAPIC_LVT_ERROR] == 0xfe &&
	       tmp.id == 1, "get: TPR, SVR, ISR/TMR/IRR, every LVT; the model's ID");
	ccr = 0;
	lapic_msr_read(&tmp, LAPIC_MSR_TIMER_CCR, &ccr);
	tap_ok(tmp.timer_armed && tmp.timer_initial == 4000000000u && ccr <= 3000000000u &&
	       ccr > 3000000000u - 100000000u, "get: the timer counting from where KVM's was (%llu)",
	       (unsigned long long)ccr);
	tap_ok(vcpus[1].state == VCPU_HALTED, "get: the run state KVM holds (halted)");

	/* And back into a blank kernel APIC, as a load does. */
	vcpus[1].lapic = tmp;
	vcpus[1].state = VCPU_HALTED;
	memset(page[1], 0, HV_LAPIC_PAGE);
	put32(page[1], 0x20, 1u << 24);
	mp[1] = HV_MP_RUNNABLE;
	err = machine_irqchip_lapic_put(&vcpus[1]);
	tap_ok(!err && get32(page[1], 0x80) == 0x20 && get32(page[1], 0xf0) == 0x1ff &&
	       get32(page[1], 0x110) == 2 && get32(page[1], 0x190) == 2 &&
	       get32(page[1], 0x220) == 8 && get32(page[1], 0x320) == 0xec &&
	       get32(page[1], 0x350) == 0x700 && get32(page[1], 0x2f0) == 0x10000 &&
	       get32(page[1], 0x20) == 1u << 24, "put: the registers back, KVM's ID kept");
	tap_ok(get32(page[1], 0x380) == 4000000000u && get32(page[1], 0x390) <= ccr &&
	       get32(page[1], 0x390) > ccr - 100000000u && get32(page[1], 0x3e0) == 0xb,
	       "put: initial and current count, divider");
	tap_ok(mp[1] == HV_MP_HALTED && vcpus[1].state == VCPU_RUNNABLE,
	       "put: KVM holds it halted; the vCPU thread just enters");
	tap_ok(!vcpus[1].lapic.timer_armed && lapic_next_vector(&vcpus[1].lapic) < 0,
	       "put: the model left idle (no timer, nothing pending)");

	/* TSC deadline mode: the MSR travels both ways; an AP waiting for SIPI. */
	put32(page[0], 0x320, 0x400ec);
	put32(page[0], 0x380, 0);
	deadline[0] = 123456789012ull;
	mp[0] = HV_MP_WAIT_SIPI;
	l = machine_irqchip_lapic_get(&vcpus[0], &tmp, &err);
	tap_ok(l && !err && tmp.tsc_deadline == 123456789012ull && !tmp.timer_armed &&
	       vcpus[0].state == VCPU_WAIT_SIPI, "get: TSC-deadline mode reads the MSR; waiting for SIPI");
	vcpus[0].lapic = tmp;
	deadline[0] = 0;
	mp[0] = HV_MP_RUNNABLE;
	err = machine_irqchip_lapic_put(&vcpus[0]);
	tap_ok(!err && deadline[0] == 123456789012ull && mp[0] == HV_MP_WAIT_SIPI,
	       "put: the deadline written after the page; KVM holds the AP for its SIPI");

	/*
	 * ICR and its destination: x2APIC's 32-bit one in 310h, xAPIC's in
	 * its bits 31:24; the model keeps either in ICR bits 63:32.
	 */
	put32(page[1], 0x300, 0x4830 | 1u << 12);	/* INIT-less fixed 30h, pending */
	put32(page[1], 0x310, 0x00012345);
	l = machine_irqchip_lapic_get(&vcpus[1], &tmp, &err);
	tap_ok(l && !err && tmp.icr == (0x12345ull << 32 | 0x4830),
	       "get: x2APIC ICR, the 32-bit destination from 310h, delivery status idle");
	vcpus[1].lapic = tmp;
	memset(page[1], 0, HV_LAPIC_PAGE);
	err = machine_irqchip_lapic_put(&vcpus[1]);
	tap_ok(!err && get32(page[1], 0x300) == 0x4830 && get32(page[1], 0x310) == 0x12345,
	       "put: x2APIC ICR low and high back");
	xapic_mode[1] = true;
	put32(page[1], 0x310, 0x07000000);
	l = machine_irqchip_lapic_get(&vcpus[1], &tmp, &err);
	tap_ok(l && !err && tmp.icr >> 32 == 7, "get: xAPIC ICR high, destination 7 from bits 31:24");
	vcpus[1].lapic = tmp;
	memset(page[1], 0, HV_LAPIC_PAGE);
	err = machine_irqchip_lapic_put(&vcpus[1]);
	tap_ok(!err && get32(page[1], 0x310) == 0x07000000, "put: xAPIC ICR high back in bits 31:24");
	xapic_mode[1] = false;

	/* Without the split irqchip the model is the APIC. */
	m.vm.lapic_in_kernel = false;
	tap_ok(machine_irqchip_lapic_get(&vcpus[0], &tmp, &err) == &vcpus[0].lapic &&
	       !machine_irqchip_lapic_put(&vcpus[0]), "no split irqchip: the model saved as it is");
}

static unsigned int notified[4];

static void net_notify(void *opaque, unsigned q)
{
	(void)opaque;
	if (q < 4)
		notified[q]++;
}

static uint32_t cfg(struct pci_bus *bus, uint8_t devfn, uint32_t reg, bool write, uint32_t v)
{
	pci_cfg_access(bus, devfn, reg, 4, write, &v);
	return v;
}

static void test_ioeventfds(void)
{
	static const struct virtio_dev_ops net_ops = { .queue_notify = net_notify };
	static const struct virtio_dev_ops rng_ops = { .queue_notify = net_notify };
	static const struct pci_bus_ops bus_ops;
	static struct virtio_pci net, rng;
	static struct gmem mem;
	struct ioloop *loop;
	uint64_t one = 1, bar;
	int net_fn, rng_fn, fd;

	setup();
	memset(iofds, 0, sizeof(iofds));
	niofds = 0;
	tap_ok(!ioloop_create(&loop), "an I/O loop, turned by hand");
	m.cfg.ioloop = loop;
	pci_bus_init(&m.pci, &bus_ops, &m);
	net_fn = virtio_pci_init(&net, &m.pci, 3, &mem, VIRTIO_ID_NET, 0x020000, 3, 256, 8, 0,
				 &net_ops, &net);
	rng_fn = virtio_pci_init(&rng, &m.pci, 4, &mem, VIRTIO_ID_RNG, 0xff0000, 1, 64, 0, 0,
				 &rng_ops, &rng);
	tap_ok(net_fn >= 0 && rng_fn >= 0, "a virtio-net (3 queues) and a virtio-rng on the bus");
	tap_ok(!machine_ioeventfds_init(&m) && m.ioeventfds && niofds == 0,
	       "init: eventfds made, none assigned while BAR 0 is unassigned");
	/* The guest places BAR 0 (64-bit) and turns memory space on. */
	cfg(&m.pci, (uint8_t)net_fn, 0x10, true, 0xfe000000);
	cfg(&m.pci, (uint8_t)net_fn, 0x14, true, 0);
	cfg(&m.pci, (uint8_t)rng_fn, 0x10, true, 0xfd000000);
	cfg(&m.pci, (uint8_t)rng_fn, 0x04, true, PCI_COMMAND_MEMORY);
	pthread_mutex_lock(&m.lock);
	machine_ioeventfds_sync(&m);
	pthread_mutex_unlock(&m.lock);
	tap_ok(niofds == 0, "memory space off: none assigned");
	cfg(&m.pci, (uint8_t)net_fn, 0x04, true, PCI_COMMAND_MEMORY);
	pthread_mutex_lock(&m.lock);
	machine_ioeventfds_sync(&m);
	pthread_mutex_unlock(&m.lock);
	bar = pci_bar_addr(&net.pci, VIRTIO_PCI_BAR);
	tap_ok(bar == 0xfe000000 && niofds == 3 && iofd_at(bar + 0x3000) >= 0 &&
	       iofd_at(bar + 0x3004) >= 0 && iofd_at(bar + 0x3008) >= 0,
	       "BAR 0 at 0xfe000000: one per queue at 0x3000 + 4q (virtio-rng keeps its exits)");
	iofd_calls = 0;
	pthread_mutex_lock(&m.lock);
	machine_ioeventfds_sync(&m);
	pthread_mutex_unlock(&m.lock);
	tap_ok(iofd_calls == 0, "sync with nothing moved: no KVM call");

	/* A guest write KVM took: the transport's own checks decide. */
	fd = iofd_at(bar + 0x3004);
	tap_ok(write(fd, &one, 8) == 8, "queue 1's eventfd signalled");
	ioloop_run_once(loop, 100);
	tap_ok(notified[1] == 0, "before DRIVER_OK: the transport drops it, as for an MMIO write");
	net.status = VIRTIO_STATUS_DRIVER_OK;
	net.q[1].enable = 1;
	tap_ok(write(fd, &one, 8) == 8 && ioloop_run_once(loop, 100) >= 1 && notified[1] == 1 &&
	       !notified[0] && !notified[2], "after DRIVER_OK: queue 1 notified, once");
	/* Taken but not yet handled at a save: the flush hands it on. */
	tap_ok(write(fd, &one, 8) == 8, "signalled again, the loop not turned");
	pthread_mutex_lock(&m.lock);
	machine_ioeventfds_flush(&m);
	pthread_mutex_unlock(&m.lock);
	tap_ok(notified[1] == 2, "flush: handed on under the lock");
	ioloop_run_once(loop, 0);
	tap_ok(notified[1] == 2, "and not twice");

	/* The guest moves BAR 0. */
	cfg(&m.pci, (uint8_t)net_fn, 0x10, true, 0xfc000000);
	pthread_mutex_lock(&m.lock);
	machine_ioeventfds_sync(&m);
	pthread_mutex_unlock(&m.lock);
	tap_ok(niofds == 3 && iofd_at(0xfe003004) < 0 && iofd_at(0xfc003004) == fd,
	       "BAR moved: the same eventfds at the new addresses, none left at the old");
	cfg(&m.pci, (uint8_t)net_fn, 0x04, true, 0);
	pthread_mutex_lock(&m.lock);
	machine_ioeventfds_sync(&m);
	pthread_mutex_unlock(&m.lock);
	tap_ok(niofds == 0, "memory space off: all deassigned");
	cfg(&m.pci, (uint8_t)net_fn, 0x04, true, PCI_COMMAND_MEMORY);
	pthread_mutex_lock(&m.lock);
	machine_ioeventfds_sync(&m);
	pthread_mutex_unlock(&m.lock);
	machine_ioeventfds_fini(&m);
	tap_ok(!m.ioeventfds && niofds == 0, "fini: deassigned and freed");
	ioloop_destroy(loop);

	/* The monitor's APIC path has none. */
	setup();
	m.vm.lapic_in_kernel = false;
	m.cfg.ioloop = NULL;
	tap_ok(!machine_ioeventfds_init(&m) && !m.ioeventfds, "no split irqchip: no ioeventfds");
}

int main(void)
{
	test_messages();
	test_level_routes();
	test_extint();
	test_state();
	test_ioeventfds();
	return tap_done();
}
