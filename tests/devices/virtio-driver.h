// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * virtio-driver.h - a small virtio-pci driver over a fake guest, for the
 * virtio device tests (virtio-pci-test.c, virtio-console-test.c,
 * virtio-rng-test.c): guest RAM, the PCI bus with MSI/INTx recorders,
 * config and BAR accessors, capability walking and the driver-side
 * initialisation sequence.  Included by one test program each.
 */
#ifndef VMAIN_TESTS_DEVICES_VIRTIO_DRIVER_H
#define VMAIN_TESTS_DEVICES_VIRTIO_DRIVER_H

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

/* One descriptor of a chain: guest address, length, device-writable. */
struct seg { uint64_t gpa; uint32_t len; bool w; };

/*
 * Adds a chain of `n` descriptors and makes it available; returns its
 * head.  (Inline: not every test that includes this builds chains.)
 */
static inline uint16_t add_chain(struct dq *q, const struct seg *s, unsigned n)
{
	uint16_t head = q->next_desc % q->size, d = head;
	unsigned i;

	for (i = 0; i < n; i++) {
		uint16_t next = (uint16_t)((d + 1) % q->size);

		g64(q->desc + 16ull * d, s[i].gpa);
		g32(q->desc + 16ull * d + 8, s[i].len);
		g16(q->desc + 16ull * d + 12, (uint16_t)((s[i].w ? VIRTQ_DESC_F_WRITE : 0) |
				(i + 1 < n ? VIRTQ_DESC_F_NEXT : 0)));
		g16(q->desc + 16ull * d + 14, next);
		d = next;
	}
	q->next_desc = (uint16_t)(q->next_desc + n);
	g16(q->avail + 4 + 2ull * (q->avail_idx % q->size), head);
	q->avail_idx++;
	g16(q->avail + 2, q->avail_idx);
	return head;
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

#endif
