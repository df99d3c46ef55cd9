// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * virtio-rng-test.c - the virtio entropy device (monitor/devices/
 * virtio-rng.c) driven like a guest driver: requests filled from a test
 * source and from getrandom(2), a source that runs dry, and a malicious
 * request.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "devices/pci.h"
#include "devices/virtio-rng.h"

/* --- a small virtio-pci driver over a fake guest (shared by the virtio tests) --- */
#define RAM_SIZE	(4u << 20)
#define BAR_BASE	0xc0000000ull

static struct gmem mem;
static struct pci_bus bus;
static int nmsi, nirq_calls;
static uint32_t last_msi_data;
static bool irq_line;

static void on_msi(void *o, uint64_t addr, uint32_t data)
{
	(void)o;
	(void)addr;
	nmsi++;
	last_msi_data = data;
}

static void on_irq(void *o, unsigned gsi, bool level)
{
	(void)o;
	(void)gsi;
	nirq_calls++;
	irq_line = level;
}

static void bus_setup(void)
{
	static const struct pci_bus_ops ops = { .msi = on_msi, .set_irq = on_irq };

	mem.size = RAM_SIZE;
	mem.base = aligned_alloc(4096, RAM_SIZE);
	memset(mem.base, 0, RAM_SIZE);
	pci_bus_init(&bus, &ops, NULL);
}

static uint32_t cfg_rd(uint8_t devfn, uint32_t reg, unsigned size)
{
	uint32_t v = 0;

	pci_cfg_access(&bus, devfn, reg, size, false, &v);
	return v;
}

static void cfg_wr(uint8_t devfn, uint32_t reg, unsigned size, uint32_t v)
{
	pci_cfg_access(&bus, devfn, reg, size, true, &v);
}

static uint64_t bar_rd(uint64_t off, unsigned size)
{
	uint64_t v = 0;

	pci_mmio(&bus, BAR_BASE + off, size, false, &v);
	return v;
}

static void bar_wr(uint64_t off, unsigned size, uint64_t v)
{
	pci_mmio(&bus, BAR_BASE + off, size, true, &v);
}

/* Finds the virtio capability of `type` (4.1.4); returns its offset or 0. */
static uint8_t find_vcap(uint8_t devfn, uint8_t type)
{
	uint8_t p = (uint8_t)cfg_rd(devfn, PCI_CAPABILITY_LIST, 1);
	int hops = 0;

	while (p && hops++ < 48) {
		if (cfg_rd(devfn, p, 1) == PCI_CAP_ID_VNDR && cfg_rd(devfn, p + 3u, 1) == type)
			return p;
		p = (uint8_t)cfg_rd(devfn, p + 1u, 1);
	}
	return 0;
}

static void map_bar(uint8_t devfn)
{
	cfg_wr(devfn, PCI_BAR0, 4, (uint32_t)BAR_BASE);
	cfg_wr(devfn, PCI_BAR0 + 4, 4, 0);
	cfg_wr(devfn, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
}

#define COMMON(off)	(VIRTIO_PCI_COMMON_OFF + (off))

/* Driver-side view of one split queue in fake RAM. */
struct dq {
	uint64_t desc, avail, used;
	uint16_t size, avail_idx, used_seen, next_desc;
};

static void dq_layout(struct dq *q, unsigned idx, uint16_t size)
{
	uint64_t base = 0x100000ull + 0x10000ull * idx;

	q->size = size;
	q->desc = base;
	q->avail = base + 16ull * size;
	q->used = (q->avail + 6 + 2ull * size + 4095) & ~4095ull;
	q->avail_idx = q->used_seen = q->next_desc = 0;
	memset(mem.base + base, 0, 0x10000);	/* a driver zeroes its rings */
}

static void g16(uint64_t gpa, uint16_t v) { memcpy(mem.base + gpa, &v, 2); }
static void g32(uint64_t gpa, uint32_t v) { memcpy(mem.base + gpa, &v, 4); }
static void g64(uint64_t gpa, uint64_t v) { memcpy(mem.base + gpa, &v, 8); }
static uint16_t gr16(uint64_t gpa) { uint16_t v; memcpy(&v, mem.base + gpa, 2); return v; }
static uint32_t gr32(uint64_t gpa) { uint32_t v; memcpy(&v, mem.base + gpa, 4); return v; }

/* Sets up queue `idx` (4.1.5.1.3) with `vector`; returns queue_enable read back. */
static unsigned setup_queue(struct dq *q, unsigned idx, uint16_t size, uint16_t vector)
{
	dq_layout(q, idx, size);
	bar_wr(COMMON(VIRTIO_PCI_COMMON_Q_SELECT), 2, idx);
	bar_wr(COMMON(VIRTIO_PCI_COMMON_Q_SIZE), 2, size);
	bar_wr(COMMON(VIRTIO_PCI_COMMON_Q_DESCLO), 4, (uint32_t)q->desc);
	bar_wr(COMMON(VIRTIO_PCI_COMMON_Q_DESCHI), 4, (uint32_t)(q->desc >> 32));
	bar_wr(COMMON(VIRTIO_PCI_COMMON_Q_AVAILLO), 8, q->avail);
	bar_wr(COMMON(VIRTIO_PCI_COMMON_Q_USEDLO), 8, q->used);
	bar_wr(COMMON(VIRTIO_PCI_COMMON_Q_MSIX), 2, vector);
	bar_wr(COMMON(VIRTIO_PCI_COMMON_Q_ENABLE), 2, 1);
	return (unsigned)bar_rd(COMMON(VIRTIO_PCI_COMMON_Q_ENABLE), 2);
}

/* Status handshake up to FEATURES_OK (3.1.1); returns the status read back. */
static uint8_t negotiate(uint64_t features)
{
	bar_wr(COMMON(VIRTIO_PCI_COMMON_STATUS), 1, 0);
	bar_wr(COMMON(VIRTIO_PCI_COMMON_STATUS), 1, VIRTIO_STATUS_ACKNOWLEDGE);
	bar_wr(COMMON(VIRTIO_PCI_COMMON_STATUS), 1,
	       VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	bar_wr(COMMON(VIRTIO_PCI_COMMON_GFSELECT), 4, 0);
	bar_wr(COMMON(VIRTIO_PCI_COMMON_GF), 4, (uint32_t)features);
	bar_wr(COMMON(VIRTIO_PCI_COMMON_GFSELECT), 4, 1);
	bar_wr(COMMON(VIRTIO_PCI_COMMON_GF), 4, (uint32_t)(features >> 32));
	bar_wr(COMMON(VIRTIO_PCI_COMMON_STATUS), 1, VIRTIO_STATUS_ACKNOWLEDGE |
	       VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	return (uint8_t)bar_rd(COMMON(VIRTIO_PCI_COMMON_STATUS), 1);
}

static void driver_ok(void)
{
	bar_wr(COMMON(VIRTIO_PCI_COMMON_STATUS), 1, VIRTIO_STATUS_ACKNOWLEDGE |
	       VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
}

static uint64_t read_features(void)
{
	uint64_t f;

	bar_wr(COMMON(VIRTIO_PCI_COMMON_DFSELECT), 4, 0);
	f = bar_rd(COMMON(VIRTIO_PCI_COMMON_DF), 4);
	bar_wr(COMMON(VIRTIO_PCI_COMMON_DFSELECT), 4, 1);
	return f | bar_rd(COMMON(VIRTIO_PCI_COMMON_DF), 4) << 32;
}

/* Adds a one-buffer chain and makes it available; returns its head. */
static uint16_t dq_add(struct dq *q, uint64_t gpa, uint32_t len, bool writable)
{
	uint16_t d = q->next_desc++ % q->size;

	g64(q->desc + 16ull * d, gpa);
	g32(q->desc + 16ull * d + 8, len);
	g16(q->desc + 16ull * d + 12, writable ? VIRTQ_DESC_F_WRITE : 0);
	g16(q->desc + 16ull * d + 14, 0);
	g16(q->avail + 4 + 2ull * (q->avail_idx % q->size), d);
	q->avail_idx++;
	g16(q->avail + 2, q->avail_idx);
	return d;
}

/* Takes one used entry; returns 1 and fills id/len, or 0 if none. */
static int dq_used(struct dq *q, uint32_t *id, uint32_t *len)
{
	uint64_t e;

	if (gr16(q->used + 2) == q->used_seen)
		return 0;
	e = q->used + 4 + 8ull * (q->used_seen % q->size);
	*id = gr32(e);
	*len = gr32(e + 4);
	q->used_seen++;
	return 1;
}

static void kick(unsigned q)
{
	bar_wr(VIRTIO_PCI_NOTIFY_OFF + VIRTIO_PCI_NOTIFY_MULT * q, 2, q);
}
/* --- end of the driver --- */

static struct virtio_rng rng, rng2;
static size_t budget = ~(size_t)0;
static int ncalls;

/* Bytes 0, 1, 2, ...; at most 7 per call to exercise the refill loop. */
static ssize_t counter_source(void *o, void *buf, size_t len)
{
	static uint8_t next;
	uint8_t *p = buf;
	size_t i;

	(void)o;
	ncalls++;
	if (len > 7)
		len = 7;
	if (len > budget)
		len = budget;
	if (!len)
		return -EAGAIN;
	for (i = 0; i < len; i++)
		p[i] = next++;
	budget -= len;
	return (ssize_t)len;
}

#define VER1	(1ull << VIRTIO_F_VERSION_1)

int main(void)
{
	struct dq q;
	uint32_t id, len;
	uint8_t df, *p;
	unsigned i;
	bool seq;
	int ret;

	bus_setup();
	ret = virtio_rng_init(&rng, &bus, 2, &mem, counter_source, NULL);
	tap_ok(ret == PCI_DEVFN(2, 0), "rng at 02.0");
	df = (uint8_t)ret;
	tap_ok(cfg_rd(df, 0, 4) == 0x10441af4, "id 1af4:1044 (type 4)");
	tap_ok(find_vcap(df, VIRTIO_PCI_CAP_DEVICE_CFG) == 0, "no device configuration");
	map_bar(df);
	tap_ok(read_features() == (VER1 | 1ull << VIRTIO_F_INDIRECT_DESC |
				   1ull << VIRTIO_F_EVENT_IDX), "transport features only");
	tap_ok(negotiate(VER1 | 1ull << VIRTIO_F_EVENT_IDX) == 0x0b, "FEATURES_OK with EVENT_IDX");
	tap_ok(setup_queue(&q, 0, 8, 0) == 1, "requestq enabled");
	driver_ok();

	dq_add(&q, 0x200000, 20, true);
	kick(0);
	p = mem.base + 0x200000;
	seq = true;
	for (i = 0; i < 20; i++)
		seq = seq && p[i] == i;
	tap_ok(dq_used(&q, &id, &len) && id == 0 && len == 20 && seq && ncalls == 3,
	       "20 bytes from the source in three calls");
	tap_ok(irq_line, "INTx raised (MSI-X off)");
	bar_rd(VIRTIO_PCI_ISR_OFF, 1);

	budget = 5;
	dq_add(&q, 0x200100, 16, true);
	kick(0);
	tap_ok(dq_used(&q, &id, &len) && len == 5, "source runs dry: 5 bytes returned");
	dq_add(&q, 0x200200, 16, true);
	kick(0);
	tap_ok(!dq_used(&q, &id, &len), "source empty: request stays on the ring");
	budget = 100;
	virtio_rng_kick(&rng);
	tap_ok(dq_used(&q, &id, &len) && len == 16, "virtio_rng_kick() serves it later");

	dq_add(&q, 0x200300, 0x7fffffff, true);
	kick(0);
	tap_ok(!dq_used(&q, &id, &len) && (bar_rd(COMMON(VIRTIO_PCI_COMMON_STATUS), 1) &
					   VIRTIO_STATUS_NEEDS_RESET),
	       "2 GiB request past RAM: refused, NEEDS_RESET");

	/* The default source. */
	tap_ok(virtio_rng_init(&rng2, &bus, -1, &mem, NULL, NULL) == PCI_DEVFN(1, 0),
	       "second rng (getrandom) at 01.0");
	cfg_wr(df, PCI_COMMAND, 2, 0);
	map_bar(PCI_DEVFN(1, 0));
	negotiate(VER1);
	setup_queue(&q, 0, 8, 0);
	driver_ok();
	memset(mem.base + 0x300000, 0, 64);
	dq_add(&q, 0x300000, 64, true);
	kick(0);
	for (i = 0, ret = 0; i < 64; i++)
		ret += mem.base[0x300000 + i] != 0;
	tap_ok(dq_used(&q, &id, &len) && len == 64 && ret > 32, "getrandom fills 64 bytes");
	free(mem.base);
	return tap_done();
}
