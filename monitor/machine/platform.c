// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * machine/platform.c - the PC platform's devices and their wiring (see
 * platform.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acpi/tables.h"
#include "boot/bootparams.h"
#include "boot/layout.h"
#include "io/ioloop.h"
#include "io/outbuf.h"
#include "machine/ata-ctl.h"
#include "machine/firmware.h"
#include "machine/fwcfg.h"
#include "machine/machine.h"
#include "machine/memmap.h"
#include "machine/platform.h"
#include "machine/screen.h"
#include "net/options.h"

/*
 * Console output runs on a vCPU thread with machine.lock held: it is only
 * queued, and the I/O loop writes it.  What a slow or gone reader cannot
 * take is dropped; the guest never waits for the terminal.
 */
static void com1_tx(void *opaque, uint8_t byte)
{
	struct machine *m = opaque;

	if (m->cfg.serial_write)
		m->cfg.serial_write(m->cfg.opaque, &byte, 1);
}

static void hvc_output(void *opaque, const uint8_t *buf, size_t len)
{
	struct machine *m = opaque;

	outbuf_write(m->cfg.hvc_out, buf, len);
}

static void pci_message(void *opaque, uint64_t addr, uint32_t data)
{
	machine_msi(opaque, addr, data);
}

static void pci_line(void *opaque, unsigned gsi, bool level)
{
	struct machine *m = opaque;

	ioapic_set_irq(&m->ioapic, gsi, level);
	firmware_pci_line(m, gsi, level);	/* and the 8259s, as the LPC routes it */
}

static void com1_irq(void *opaque, bool level)
{
	machine_isa_irq(opaque, IRQ_COM1, level);
}

static void pit_irq(void *opaque, bool level)
{
	machine_isa_irq(opaque, IRQ_PIT, level);
}

static void pic_output(void *opaque, bool level)
{
	struct machine *m = opaque;

	m->pic_output = level;
	if (level)
		machine_vcpu_kick_locked(&m->vcpus[0]);
}

static void kbc_reset(void *opaque)
{
	machine_stop_locked(opaque, MACHINE_EXIT_RESET);
}

/* The 8042's keyboard (1) and aux (12) lines, ISA IRQs as on the PC. */
static void kbc_irq(void *opaque, unsigned irq, bool level)
{
	machine_isa_irq(opaque, irq, level);
}

static void pm_sleep(void *opaque, unsigned int slp_typ)
{
	/* Only S5 is described (\_S5 in the DSDT): soft off. */
	if (slp_typ == ACPI_SLP_TYP_S5)
		machine_stop_locked(opaque, MACHINE_EXIT_POWEROFF);
}

static void pm_reset(void *opaque)
{
	machine_stop_locked(opaque, MACHINE_EXIT_RESET);
}

static void pm_sci(void *opaque, bool level)
{
	machine_isa_irq(opaque, firmware_sci_irq(opaque), level);
}

/*
 * The device lock of virtio-blk and virtio-net is the machine lock: a
 * vCPU reaches their registers through the PCI bus under it.  Their ring
 * work on the I/O thread takes it, their host I/O never runs under it.
 */
static void machine_lock_op(void *opaque)
{
	struct machine *m = opaque;

	pthread_mutex_lock(&m->lock);
}

static void machine_unlock_op(void *opaque)
{
	struct machine *m = opaque;

	pthread_mutex_unlock(&m->lock);
}

/* One virtio-blk function per if=virtio disk, in order (vda, vdb, ...). */
static int disks_init(struct machine *m)
{
	static const struct virtio_blk_ops blk_ops = {
		.lock = machine_lock_op, .unlock = machine_unlock_op,
	};
	unsigned int i, nq = m->cfg.blk_queues ? m->cfg.blk_queues : m->nr_vcpus;
	int ret;

	if (!m->cfg.nr_disks)
		return 0;
	if (nq > VIRTIO_BLK_MAX_QUEUES)
		nq = VIRTIO_BLK_MAX_QUEUES;
	m->blk = calloc(m->cfg.nr_disks, sizeof(*m->blk));
	if (!m->blk)
		return -ENOMEM;
	for (i = 0; i < m->cfg.nr_disks; i++) {
		if (m->cfg.disks[i]->bus != DISK_BUS_VIRTIO)
			continue;	/* machine_ata_init()'s */
		ret = virtio_blk_init(&m->blk[m->nr_blk], &m->pci, -1, &m->ram, m->cfg.disks[i],
				      m->cfg.ioloop, nq, &blk_ops, m);
		if (ret < 0)
			return ret;
		m->nr_blk++;
	}
	return 0;
}

/* The I/O thread: the back end calls the NIC from there only (net/net.h). */
struct nic_init {
	struct machine *m;
	const struct machine_nic *nic;
	int ret;
};

/* A tap's queue count is a NIC's queue pairs (net/options.h). */
_Static_assert(NET_MAX_QUEUES <= VIRTIO_NET_MAX_PAIRS, "more tap queues than virtio-net pairs");

static void nic_init_on_loop(void *opaque)
{
	static const struct virtio_net_ops net_ops = {
		.lock = machine_lock_op, .unlock = machine_unlock_op,
	};
	struct nic_init *ni = opaque;
	struct virtio_net_config cfg = {
		.queue_pairs = ni->nic->queue_pairs,
		.link_down = ni->nic->link_down,
	};

	memcpy(cfg.mac, ni->nic->mac, sizeof(cfg.mac));
	ni->ret = virtio_net_init(&ni->m->net[ni->m->nr_net], &ni->m->pci, -1, &ni->m->ram,
				  ni->nic->be, ni->m->cfg.ioloop, &cfg, &net_ops, ni->m);
	/*
	 * A back end that stopped receiving while no NIC, or the last
	 * machine's stopping one, was attached waits for an rx_resume() no
	 * one else owes it (net.h): resume it now.  Its held frame meets the
	 * new NIC's can_receive(), which says no until the driver posts
	 * buffers and then resumes it itself.
	 */
	if (ni->ret >= 0)
		net_backend_rx_resume(ni->nic->be);
}

/*
 * One virtio-net function per NIC, after the disks.  Each is built on the
 * I/O thread, where its back end may be delivering a frame this moment:
 * attaching it there means no frame ever sees half of the new peer.
 */
static int nics_init(struct machine *m)
{
	struct nic_init ni = { .m = m };
	unsigned int i;

	if (!m->cfg.nr_nics)
		return 0;
	m->net = calloc(m->cfg.nr_nics, sizeof(*m->net));
	if (!m->net)
		return -ENOMEM;
	for (i = 0; i < m->cfg.nr_nics; i++) {
		ni.nic = &m->cfg.nics[i];
		ioloop_call_sync(m->cfg.ioloop, nic_init_on_loop, &ni);
		if (ni.ret < 0)
			return ni.ret;
		m->nr_net++;
	}
	return 0;
}

int machine_nic_set_link(struct machine *m, unsigned int index, bool up)
{
	if (index >= m->nr_net)
		return -ENODEV;
	/*
	 * Not the I/O thread: the device takes its lock and leaves the ring
	 * work to its bottom halves there (virtio-net.h).
	 */
	virtio_net_set_link(&m->net[index], up);
	return 0;
}

bool machine_nic_link_up(struct machine *m, unsigned int index)
{
	return index < m->nr_net && virtio_net_link_up(&m->net[index]);
}

/*
 * The back ends outlive this machine (the next reset attaches a new NIC):
 * until then they talk to a peer that takes nothing, so a frame arriving
 * between two machines is dropped, as on a cable unplugged.
 */
static bool detached_can_receive(void *opaque, size_t len)
{
	(void)opaque;
	(void)len;
	return false;
}

static long detached_receive(void *opaque, const struct virtio_net_hdr_v1 *hdr,
			     const struct iovec *iov, int iovcnt)
{
	(void)opaque;
	(void)hdr;
	(void)iov;
	(void)iovcnt;
	return -ENOSPC;
}

static void detached_tx_ready(void *opaque, unsigned queue)
{
	(void)opaque;
	(void)queue;
}

static const struct net_peer_ops detached_peer = {
	.can_receive = detached_can_receive,
	.receive = detached_receive,
	.tx_ready = detached_tx_ready,
};

static void nics_detach_on_loop(void *opaque)
{
	struct machine *m = opaque;
	unsigned int i;

	for (i = 0; i < m->nr_net; i++)
		net_backend_attach(m->cfg.nics[i].be, &detached_peer, NULL);
}

void platform_stop_io(struct machine *m)
{
	unsigned int i;

	for (i = 0; i < m->nr_blk; i++)
		virtio_blk_stop(&m->blk[i]);
	for (i = 0; i < m->nr_net; i++)
		virtio_net_stop(&m->net[i]);
	machine_ata_stop(m);
	if (m->nr_net)
		ioloop_call_sync(m->cfg.ioloop, nics_detach_on_loop, m);
}

void platform_rearm_pit(struct machine *m)
{
	machine_arm_timerfd(m, m->pit_timerfd, i8254_next_event_ns(&m->pit), false);
}

int platform_init(struct machine *m)
{
	static const struct serial8250_ops com1_ops = { .tx = com1_tx, .irq = com1_irq };
	static const struct i8254_ops pit_ops = { .irq = pit_irq };
	static const struct i8259_ops pic_ops = { .output = pic_output };
	static const struct i8042_ops kbc_ops = { .reset = kbc_reset, .irq = kbc_irq };
	static const struct ioapic_ops ioapic_ops = { .deliver = machine_ioapic_deliver };
	static const struct pci_bus_ops pci_ops = { .msi = pci_message, .set_irq = pci_line };
	static const struct virtio_console_ops hvc_ops = { .output = hvc_output };
	static const struct acpi_pm_ops pm_ops = {
		.sleep = pm_sleep, .reset = pm_reset, .set_sci = pm_sci,
	};
	int ret;

	pio_bus_init(&m->pio);
	i8259_init(&m->pic, &pic_ops, m);
	i8254_init(&m->pit, &pit_ops, m, machine_mono_ns, NULL);
	port61_init(&m->port61, &m->pit);
	cmos_rtc_init(&m->rtc, NULL, NULL);
	i8042_init(&m->kbc, &kbc_ops, m);
	serial8250_init(&m->com1, &com1_ops, m);
	ioapic_init(&m->ioapic, &ioapic_ops, m);
	acpi_pm_init(&m->pm, &pm_ops, m, acpi_pm_host_clock, NULL);

	ret = i8259_register(&m->pic, &m->pio);
	if (!ret)
		ret = i8254_register(&m->pit, &m->pio);
	if (!ret)
		ret = port61_register(&m->port61, &m->pio);
	if (!ret)
		ret = cmos_rtc_register(&m->rtc, &m->pio);
	if (!ret)
		ret = i8042_register(&m->kbc, &m->pio);
	if (!ret)
		ret = serial8250_register(&m->com1, &m->pio, PORT_COM1);
	/* Under firmware the LPC decodes the ACPI block where PMBASE puts it. */
	if (!ret && !m->cfg.bios)
		ret = acpi_pm_register(&m->pm, &m->pio);
	if (!ret) {
		pci_bus_init(&m->pci, &pci_ops, m);
		ret = m->cfg.bios ? firmware_init(m) : pci_bus_register_ports(&m->pci, &m->pio);
	}
	/* Before the devices that add fw_cfg files (the VGA's ROMs). */
	if (!ret)
		ret = machine_fw_cfg_init(m);
	if (!ret)
		ret = virtio_console_init(&m->hvc, &m->pci, -1, &m->ram, &hvc_ops, m);
	if (ret >= 0)
		ret = virtio_rng_init(&m->rng, &m->pci, -1, &m->ram, NULL, NULL);
	if (ret >= 0)
		ret = disks_init(m);
	if (ret >= 0)
		ret = machine_ata_init(m);
	if (ret >= 0)
		ret = nics_init(m);
	if (ret >= 0 && m->cfg.display)
		ret = machine_screen_init(m);
	/* No firmware: the BARs are placed here, as a BIOS would. */
	if (ret >= 0 && !m->cfg.bios)
		ret = pci_bus_assign(&m->pci, MEMMAP_PCI_MMIO_BASE, MEMMAP_PCI_MMIO_SIZE,
				     0xc000, 0x1000);
	if (ret > 0)
		ret = 0;
	if (ret) {
		fprintf(stderr, "vmain: cannot set up the platform devices: %s\n",
			strerror(-ret));
		/* The NICs made so far are attached to back ends that outlive them. */
		platform_stop_io(m);
		platform_destroy(m);
		return ret;
	}
	return 0;
}

/* The disks and NICs must have been stopped (platform_stop_io()). */
void platform_destroy(struct machine *m)
{
	unsigned int i;

	for (i = 0; i < m->nr_blk; i++)
		virtio_blk_destroy(&m->blk[i]);
	free(m->blk);
	m->blk = NULL;
	m->nr_blk = 0;
	for (i = 0; i < m->nr_net; i++)
		virtio_net_destroy(&m->net[i]);
	free(m->net);
	m->net = NULL;
	m->nr_net = 0;
	machine_ata_destroy(m);
	machine_screen_destroy(m);
	firmware_destroy(m);
	machine_fw_cfg_destroy(m);
	pio_bus_destroy(&m->pio);
}

static bool is_pit_port(uint16_t port)
{
	return (port >= PORT_PIT && port < PORT_PIT + 4) || port == PORT_SYSCTL_B;
}

void platform_pio(struct machine *m, uint16_t port, unsigned size, bool write,
		  uint8_t *data)
{
	uint32_t v = 0;

	if (write)
		memcpy(&v, data, size);
	if (pio_bus_dispatch(&m->pio, port, size, write, &v) == PIO_UNCLAIMED &&
	    pci_pio(&m->pci, port, size, write, &v) == PCI_UNCLAIMED)	/* I/O BARs */
		firmware_pio(m, port, size, write, &v);	/* the LPC's PMBASE */
	if (!write)
		memcpy(data, &v, size);
	if (is_pit_port(port))
		platform_rearm_pit(m);
}

void platform_mmio(struct machine *m, uint64_t gpa, unsigned size, bool write,
		   uint8_t *data)
{
	uint64_t v = 0;

	if (size > 8)
		size = 8;
	if (write)
		memcpy(&v, data, size);
	else
		v = ~0ull;
	if (gpa >= MEMMAP_IOAPIC_BASE && gpa < MEMMAP_IOAPIC_BASE + IOAPIC_MMIO_SIZE) {
		ioapic_mmio(&m->ioapic, gpa - MEMMAP_IOAPIC_BASE, size, write, &v);
		/*
		 * A redirection entry the guest rewrote reaches the kernel's
		 * APICs now (their EOI-exit bitmap), not at the pin's next
		 * level delivery; unchanged routes cost a compare.
		 */
		if (write)
			machine_irqchip_sync(m);
	} else if (firmware_mmio(m, gpa, size, write, &v))
		;	/* the shadow map below 1 MiB, the ROM */
	else if (machine_screen_mmio(m, gpa, size, write, &v))
		;	/* the VGA's window at 0xa0000 */
	else
		pci_mmio(&m->pci, gpa, size, write, &v);	/* ECAM and BARs */
	if (!write)
		memcpy(data, &v, size);
}

int platform_load(struct machine *m, const struct boot_layout *layout)
{
	struct acpi_config cfg;
	struct boot_params *bp;
	uint64_t rsdp;
	int ret;

	/* The same tables as fw_cfg's (machine/fwcfg.c), at their fixed place. */
	machine_acpi_config(m, &cfg);
	ret = acpi_build(m->ram.base, m->ram.low_size ? m->ram.low_size : m->ram.size,
			 &cfg, &rsdp);
	if (ret) {
		fprintf(stderr, "vmain: cannot build the ACPI tables: %s\n", strerror(-ret));
		return ret;
	}
	/* Linux would also find the RSDP by scanning 0xe0000..0xfffff. */
	if (layout) {
		bp = (struct boot_params *)(m->ram.base + layout->zero_page);
		bp->acpi_rsdp_addr = rsdp;
	}
	return 0;
}
