// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * virtio-pci-test.c - the virtio-pci modern transport
 * (monitor/virtio/virtio-pci.c) with a toy device type: PCI identity and
 * capabilities, feature negotiation (legacy refused), the status state
 * machine, queue setup, notifications gated by DRIVER_OK, MSI-X and INTx
 * + ISR interrupts, configuration space and generation, NEEDS_RESET on a
 * broken ring, the PCI_CFG window, and reset.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "devices/pci.h"
#include "state/stream.h"
#include "virtio/virtio-pci.h"

/* --- a small virtio-pci driver over a fake guest (shared by the virtio tests) --- */
#include "virtio-driver.h"
}
/* --- end of the driver --- */

#define TOY_TYPE	0x1f
static struct virtio_pci vp;
static int nnotify[4], nreset;
static uint8_t toy_cfg[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };

static void toy_cfg_read(void *o, uint32_t off, unsigned size, uint64_t *val)
{
	(void)o;
	*val = 0;
	memcpy(val, toy_cfg + off, size);
}

static void toy_cfg_write(void *o, uint32_t off, unsigned size, uint64_t val)
{
	(void)o;
	memcpy(toy_cfg + off, &val, size);
}

static void toy_notify(void *o, unsigned q)
{
	(void)o;
	nnotify[q]++;
}

static bool toy_busy;		/* reset() says requests are still in flight */

static int toy_reset(void *o)
{
	(void)o;
	nreset++;
	return toy_busy ? -EINPROGRESS : 0;
}

static const struct virtio_dev_ops toy_ops = {
	.cfg_read = toy_cfg_read, .cfg_write = toy_cfg_write,
	.queue_notify = toy_notify, .reset = toy_reset,
};

#define VER1	(1ull << VIRTIO_F_VERSION_1)

/* --- save and restore ---------------------------------------------------- */

static uint64_t mmio_rd(struct pci_bus *b, uint64_t off, unsigned size)
{
	uint64_t v = 0;

	pci_mmio(b, BAR_BASE + off, size, false, &v);
	return v;
}

/* The common configuration fields at their natural sizes (4.1.4.3). */
static const struct { uint8_t off, size; } common_fields[] = {
	{ 0x00, 4 }, { 0x04, 4 }, { 0x08, 4 }, { 0x0c, 4 }, { 0x10, 2 },
	{ 0x12, 2 }, { 0x14, 1 }, { 0x15, 1 }, { 0x16, 2 }, { 0x18, 2 },
	{ 0x1a, 2 }, { 0x1c, 2 }, { 0x1e, 2 }, { 0x20, 8 }, { 0x28, 8 },
	{ 0x30, 8 }, { 0x38, 2 },
};

/* Reads the same registers of both devices; returns how many differ. */
static unsigned compare_regs(struct pci_bus *b2, unsigned nq)
{
	unsigned q, i, diff = 0;
	uint64_t sel = bar_rd(COMMON(VIRTIO_PCI_COMMON_Q_SELECT), 2);

	for (q = 0; q < nq + 1; q++) {
		bar_wr(COMMON(VIRTIO_PCI_COMMON_Q_SELECT), 2, q);
		pci_mmio(b2, BAR_BASE + COMMON(VIRTIO_PCI_COMMON_Q_SELECT), 2, true,
			 &(uint64_t){ q });
		for (i = 0; i < sizeof(common_fields) / sizeof(common_fields[0]); i++)
			diff += bar_rd(common_fields[i].off, common_fields[i].size) !=
				mmio_rd(b2, common_fields[i].off, common_fields[i].size);
	}
	bar_wr(COMMON(VIRTIO_PCI_COMMON_Q_SELECT), 2, sel);
	pci_mmio(b2, BAR_BASE + COMMON(VIRTIO_PCI_COMMON_Q_SELECT), 2, true, &sel);
	/* MSI-X table and PBA, the toy configuration. */
	for (i = 0; i < 3 * 16 + 8; i += 4) {
		uint64_t off = i < 48 ? VIRTIO_PCI_MSIX_TABLE_OFF + i :
				VIRTIO_PCI_MSIX_PBA_OFF + i - 48;

		diff += bar_rd(off, 4) != mmio_rd(b2, off, 4);
	}
	for (i = 0; i < 8; i++)
		diff += bar_rd(VIRTIO_PCI_DEVICE_OFF + i, 1) !=
			mmio_rd(b2, VIRTIO_PCI_DEVICE_OFF + i, 1);
	return diff;
}

static void test_save_restore(uint8_t df, struct virtq_elem *el)
{
	static const struct pci_bus_ops ops = { .msi = on_msi, .set_irq = on_irq };
	static struct pci_bus bus2, bus3;
	static struct virtio_pci vp2, vp3;
	uint64_t feat = VER1 | 1ull << VIRTIO_F_EVENT_IDX | 1ull << 3;
	struct state_writer w;
	struct state_reader r;
	const uint8_t *buf;
	struct dq q0, q1;
	struct virtq *vq, *vq2;
	uint16_t heads[3];
	uint8_t msix = vp.pci.msix.cap;
	size_t len;
	int err, i;

	/* A driver mid-flight: MSI-X on, two queues, q0 mid-ring. */
	map_bar(df);
	negotiate(feat);
	cfg_wr(df, msix + PCI_MSIX_FLAGS, 2, PCI_MSIX_FLAGS_ENABLE);
	bar_wr(VIRTIO_PCI_MSIX_TABLE_OFF + 16, 8, 0xfee00000ull);
	bar_wr(VIRTIO_PCI_MSIX_TABLE_OFF + 24, 4, 0x41);
	bar_wr(VIRTIO_PCI_MSIX_TABLE_OFF + 28, 4, 0);	/* vector 1 unmasked */
	bar_wr(COMMON(VIRTIO_PCI_COMMON_MSIX), 2, 0);	/* vector 0 masked */
	setup_queue(&q0, 0, 16, 1);
	setup_queue(&q1, 1, 32, VIRTIO_PCI_NO_VECTOR);
	driver_ok();
	for (i = 0; i < 3; i++)
		heads[i] = dq_add(&q0, 0x300000 + 0x1000 * i, 64, true);
	vq = virtio_pci_queue(&vp, 0);
	for (i = 0; i < 2; i++) {
		virtq_pop(vq, el);
		virtq_push(vq, el->head, 8);
	}
	virtio_pci_notify_queue(&vp, 0);
	virtio_pci_config_changed(&vp);		/* vector 0 masked: pending */
	bar_wr(COMMON(VIRTIO_PCI_COMMON_DFSELECT), 4, 1);
	bar_wr(COMMON(VIRTIO_PCI_COMMON_Q_SELECT), 2, 1);
	toy_busy = false;

	state_writer_init(&w);
	tap_ok(virtio_pci_save(&vp, &w) == 0, "save: transport saved");
	buf = state_writer_data(&w, &len, &err);

	pci_bus_init(&bus2, &ops, NULL);
	virtio_pci_init(&vp2, &bus2, 4, &mem, TOY_TYPE, 0xff0000, 2, 64, 8,
			1ull << 3, &toy_ops, NULL);
	state_reader_init(&r, buf, len);
	memset(nnotify, 0, sizeof(nnotify));
	nmsi = 0;
	tap_ok(virtio_pci_load(&vp2, &r) == 0 && state_reader_at_end(&r),
	       "load: into a fresh device (%s)", state_reader_msg(&r));
	tap_ok(nmsi == 0 && nnotify[0] == 0 && nnotify[1] == 0,
	       "load: no interrupt, no queue notification");
	tap_ok(compare_regs(&bus2, 2) == 0,
	       "load: common config of every queue, MSI-X table, PBA read the same");
	/* The ring continues: the third buffer, used index 3, not 0. */
	vq2 = virtio_pci_queue(&vp2, 0);
	tap_ok(vq2 && virtq_pop(vq2, el) == 1 && el->head == heads[2] &&
	       el->in_len == 64, "load: the next pop is the third buffer");
	tap_ok(virtq_pop(vq2, el) == 0, "load: then the ring is empty");
	virtq_push(vq2, heads[2], 16);
	tap_ok(gr16(q0.used + 2) == 3 && gr32(q0.used + 4 + 8 * 2) == heads[2] &&
	       gr32(q0.used + 4 + 8 * 2 + 4) == 16, "load: the push lands at used index 2 -> 3");
	nmsi = 0;
	g16(q0.avail + 4 + 2 * 16, 2);		/* used_event: after entry 2 */
	virtio_pci_notify_queue(&vp2, 0);
	tap_ok(nmsi == 1 && last_msi_data == 0x41,
	       "load: EVENT_IDX record kept, queue interrupt on its saved vector");
	dq_add(&q0, 0x304000, 64, true);
	pci_mmio(&bus2, BAR_BASE + VIRTIO_PCI_NOTIFY_OFF, 2, true, &(uint64_t){ 0 });
	tap_ok(nnotify[0] == 1, "load: a driver kick reaches the device (DRIVER_OK restored)");
	pci_mmio(&bus2, BAR_BASE + VIRTIO_PCI_MSIX_TABLE_OFF + 12, 4, true, &(uint64_t){ 0 });
	tap_ok(nmsi == 2 && last_msi_data == 0,
	       "load: unmasking vector 0 sends the pending config interrupt");

	/* Another device behind the same PCI identity: refused, untouched. */
	pci_bus_init(&bus3, &ops, NULL);
	virtio_pci_init(&vp3, &bus3, 4, &mem, TOY_TYPE, 0xff0000, 2, 64, 8,
			1ull << 4, &toy_ops, NULL);
	state_reader_init(&r, buf, len);
	tap_ok(virtio_pci_load(&vp3, &r) == -EINVAL && vp3.status == 0 &&
	       pci_bar_addr(&vp3.pci, 0) == 0 && !vp3.q[0].vq.enabled,
	       "load: other features refused, device untouched (%s)", state_reader_msg(&r));
	state_writer_free(&w);

	/* Every truncation: refused, the fresh device untouched. */
	{
		size_t n, bad = 0;

		state_writer_init(&w);
		virtio_pci_save(&vp, &w);
		buf = state_writer_data(&w, &len, &err);
		for (n = 0; n < len; n += 7) {
			pci_bus_init(&bus3, &ops, NULL);
			virtio_pci_init(&vp3, &bus3, 4, &mem, TOY_TYPE, 0xff0000, 2, 64,
					8, 1ull << 3, &toy_ops, NULL);
			state_reader_init(&r, buf, n);
			if (virtio_pci_load(&vp3, &r) == 0 || vp3.status ||
			    pci_bar_addr(&vp3.pci, 0) || vp3.q[0].vq.enabled)
				bad++;
		}
		tap_ok(!bad, "load: truncated streams refused, device untouched");
		state_writer_free(&w);
	}

	/* A reset still waiting for the host: nothing to save yet. */
	toy_busy = true;
	bar_wr(COMMON(VIRTIO_PCI_COMMON_STATUS), 1, 0);
	state_writer_init(&w);
	tap_ok(virtio_pci_save(&vp, &w) == -EBUSY, "save: refused during a busy reset");
	state_writer_free(&w);
	toy_busy = false;
	virtio_pci_reset_done(&vp);
}

int main(void)
{
	struct virtq_elem *el = calloc(1, sizeof(*el));
	struct dq q0, q1;
	struct virtq *vq;
	uint8_t df, c;
	uint64_t f;
	uint32_t id, len;
	int ret;

	bus_setup();
	ret = virtio_pci_init(&vp, &bus, 4, &mem, TOY_TYPE, 0xff0000, 2, 64, 8,
			      1ull << 3, &toy_ops, NULL);
	tap_ok(ret == PCI_DEVFN(4, 0), "toy device at 04.0");
	df = (uint8_t)ret;
	tap_ok(virtio_pci_init(&vp, &bus, 5, &mem, TOY_TYPE, 0, 2, 63, 8, 0, &toy_ops, NULL) ==
	       -EINVAL, "queue size 63: -EINVAL");
	tap_ok(cfg_rd(df, 0, 4) == ((uint32_t)(0x1040 + TOY_TYPE) << 16 | 0x1af4),
	       "id 1af4:%04x (4.1.2)", 0x1040 + TOY_TYPE);
	tap_ok(cfg_rd(df, PCI_REVISION_ID, 1) == 1, "revision 1: non-transitional");
	tap_ok(cfg_rd(df, PCI_SUBSYSTEM_VENDOR_ID, 2) == 0x1af4, "subsystem vendor 1af4");
	tap_ok(cfg_rd(df, PCI_INTERRUPT_PIN, 1) == 1, "INTA");
	cfg_wr(df, PCI_BAR0, 4, 0xffffffff);
	cfg_wr(df, PCI_BAR0 + 4, 4, 0xffffffff);
	tap_ok(cfg_rd(df, PCI_BAR0, 4) == (0xffffffffu & ~(VIRTIO_PCI_BAR_SIZE - 1u)) + 4 &&
	       cfg_rd(df, PCI_BAR0 + 4, 4) == 0xffffffffu, "BAR0: 64-bit, 32 KiB");

	c = find_vcap(df, VIRTIO_PCI_CAP_COMMON_CFG);
	tap_ok(c && cfg_rd(df, c + 2u, 1) == 16 && cfg_rd(df, c + 4u, 1) == 0 &&
	       cfg_rd(df, c + 8u, 4) == 0 && cfg_rd(df, c + 12u, 4) == 0x3c,
	       "common cfg capability: BAR 0, offset 0, length 0x3c");
	c = find_vcap(df, VIRTIO_PCI_CAP_NOTIFY_CFG);
	tap_ok(c && cfg_rd(df, c + 2u, 1) == 20 && cfg_rd(df, c + 8u, 4) == 0x3000 &&
	       cfg_rd(df, c + 16u, 4) == 4, "notify capability: 0x3000, multiplier 4");
	c = find_vcap(df, VIRTIO_PCI_CAP_ISR_CFG);
	tap_ok(c && cfg_rd(df, c + 8u, 4) == 0x1000, "ISR capability at 0x1000");
	c = find_vcap(df, VIRTIO_PCI_CAP_DEVICE_CFG);
	tap_ok(c && cfg_rd(df, c + 8u, 4) == 0x2000 && cfg_rd(df, c + 12u, 4) == 8,
	       "device cfg capability: 0x2000, 8 bytes");
	c = find_vcap(df, VIRTIO_PCI_CAP_PCI_CFG);
	tap_ok(c != 0, "PCI_CFG capability present");

	map_bar(df);
	tap_ok(bar_rd(COMMON(VIRTIO_PCI_COMMON_STATUS), 1) == 0, "status 0 after init");
	tap_ok(bar_rd(COMMON(VIRTIO_PCI_COMMON_NUMQ), 2) == 2, "num_queues 2");
	tap_ok(bar_rd(COMMON(VIRTIO_PCI_COMMON_MSIX), 2) == VIRTIO_PCI_NO_VECTOR,
	       "config vector NO_VECTOR");
	bar_wr(COMMON(VIRTIO_PCI_COMMON_Q_SELECT), 2, 1);
	tap_ok(bar_rd(COMMON(VIRTIO_PCI_COMMON_Q_SIZE), 2) == 64 &&
	       bar_rd(COMMON(VIRTIO_PCI_COMMON_Q_NOFF), 2) == 1, "queue 1: size 64, notify_off 1");
	bar_wr(COMMON(VIRTIO_PCI_COMMON_Q_SELECT), 2, 2);
	tap_ok(bar_rd(COMMON(VIRTIO_PCI_COMMON_Q_SIZE), 2) == 0, "queue 2 does not exist: size 0");
	f = read_features();
	tap_ok(f == (VER1 | 1ull << VIRTIO_F_INDIRECT_DESC | 1ull << VIRTIO_F_EVENT_IDX | 1ull << 3),
	       "features: VERSION_1, INDIRECT_DESC, EVENT_IDX and the device's bit 3");
	tap_ok(bar_rd(COMMON(VIRTIO_PCI_COMMON_DF), 2) == 1, "16-bit read of a feature dword");
	bar_wr(COMMON(VIRTIO_PCI_COMMON_DFSELECT), 4, 2);
	tap_ok(bar_rd(COMMON(VIRTIO_PCI_COMMON_DF), 4) == 0, "feature dword 2 reads 0");

	/* Feature negotiation (3.1.1, 6.1). */
	tap_ok(!(negotiate(1ull << 3) & VIRTIO_STATUS_FEATURES_OK),
	       "legacy driver (no VERSION_1): FEATURES_OK refused");
	tap_ok(!(negotiate(VER1 | 1ull << 5) & VIRTIO_STATUS_FEATURES_OK),
	       "feature not offered: FEATURES_OK refused");
	bar_wr(COMMON(VIRTIO_PCI_COMMON_STATUS), 1, 0x0f);
	tap_ok(!(bar_rd(COMMON(VIRTIO_PCI_COMMON_STATUS), 1) & VIRTIO_STATUS_DRIVER_OK),
	       "DRIVER_OK without FEATURES_OK refused");
	tap_ok(negotiate(VER1 | 1ull << 3) == 0x0b, "modern driver: FEATURES_OK accepted");
	bar_wr(COMMON(VIRTIO_PCI_COMMON_GFSELECT), 4, 0);
	bar_wr(COMMON(VIRTIO_PCI_COMMON_GF), 4, 0);
	tap_ok(virtio_pci_has_feature(&vp, 3) && vp.guest_features == (VER1 | 1ull << 3),
	       "features locked after FEATURES_OK");
	bar_wr(COMMON(VIRTIO_PCI_COMMON_STATUS), 1, VIRTIO_STATUS_ACKNOWLEDGE);
	tap_ok(bar_rd(COMMON(VIRTIO_PCI_COMMON_STATUS), 1) == 0x0b, "clearing status bits ignored");

	/* Queues (4.1.5.1.3). */
	tap_ok(setup_queue(&q0, 0, 16, 1) == 1, "queue 0: 16 entries, vector 1, enabled");
	bar_wr(COMMON(VIRTIO_PCI_COMMON_Q_SELECT), 2, 0);
	tap_ok(bar_rd(COMMON(VIRTIO_PCI_COMMON_Q_DESCLO), 8) == q0.desc &&
	       bar_rd(COMMON(VIRTIO_PCI_COMMON_Q_AVAILLO), 4) == (uint32_t)q0.avail &&
	       bar_rd(COMMON(VIRTIO_PCI_COMMON_Q_USEDHI), 4) == 0 &&
	       bar_rd(COMMON(VIRTIO_PCI_COMMON_Q_MSIX), 2) == 1, "queue 0 registers read back");
	bar_wr(COMMON(VIRTIO_PCI_COMMON_Q_DESCLO), 4, 0x5000);
	bar_wr(COMMON(VIRTIO_PCI_COMMON_Q_SIZE), 2, 8);
	tap_ok(vp.q[0].vq.desc_gpa == q0.desc && vp.q[0].vq.size == 16,
	       "enabled queue's size and addresses are frozen");
	bar_wr(COMMON(VIRTIO_PCI_COMMON_Q_MSIX), 2, 7);
	tap_ok(bar_rd(COMMON(VIRTIO_PCI_COMMON_Q_MSIX), 2) == VIRTIO_PCI_NO_VECTOR,
	       "vector 7 of 3: reads NO_VECTOR");
	bar_wr(COMMON(VIRTIO_PCI_COMMON_Q_MSIX), 2, 1);
	tap_ok(setup_queue(&q1, 1, 64, 2) == 1, "queue 1: 64 entries, vector 2");
	tap_ok(virtio_pci_queue(&vp, 0) == NULL, "queue not live before DRIVER_OK");
	kick(0);
	tap_ok(nnotify[0] == 0, "notification before DRIVER_OK ignored");
	driver_ok();
	tap_ok(bar_rd(COMMON(VIRTIO_PCI_COMMON_STATUS), 1) == 0x0f, "DRIVER_OK");
	tap_ok(nnotify[0] == 1 && nnotify[1] == 1, "DRIVER_OK polls every enabled queue");
	kick(1);
	tap_ok(nnotify[1] == 2 && nnotify[0] == 1, "notify at 0x3004 reaches queue 1");
	bar_wr(VIRTIO_PCI_NOTIFY_OFF + 8, 2, 2);
	tap_ok(nnotify[0] == 1 && nnotify[1] == 2, "notify past the last queue ignored");

	/* Device configuration (4.1.4.6). */
	tap_ok(bar_rd(VIRTIO_PCI_DEVICE_OFF + 2, 2) == 0x0403, "device cfg word at 2");
	tap_ok(bar_rd(VIRTIO_PCI_DEVICE_OFF + 4, 4) == 0x08070605, "device cfg dword at 4");
	tap_ok(bar_rd(VIRTIO_PCI_DEVICE_OFF + 6, 4) == 0, "dword past cfg_len reads 0");
	bar_wr(VIRTIO_PCI_DEVICE_OFF, 1, 0xaa);
	tap_ok(toy_cfg[0] == 0xaa, "device cfg write reaches the device");
	tap_ok(bar_rd(0x7000, 4) == 0, "unused BAR space reads 0");

	/* Real I/O: driver adds a buffer, device consumes it, INTx path first. */
	memcpy(mem.base + 0x200000, "ping", 4);
	dq_add(&q0, 0x200000, 4, false);
	dq_add(&q0, 0x200100, 16, true);
	vq = virtio_pci_queue(&vp, 0);
	tap_ok(vq && virtq_pop(vq, el) == 1 && el->nr_out == 1 && !memcmp(el->seg[0].host, "ping", 4),
	       "device pops the driver's buffer");
	virtq_push(vq, el->head, 0);
	tap_ok(virtq_pop(vq, el) == 1 && el->nr_in == 1, "and the writable one");
	memcpy(el->seg[0].host, "pong", 4);
	virtq_push(vq, el->head, 4);
	nirq_calls = 0;
	virtio_pci_notify_queue(&vp, 0);
	tap_ok(irq_line && nirq_calls == 1, "MSI-X off: INTx asserted");
	tap_ok(dq_used(&q0, &id, &len) && id == 0 && len == 0 &&
	       dq_used(&q0, &id, &len) && id == 1 && len == 4 &&
	       !memcmp(mem.base + 0x200100, "pong", 4), "used ring: {0, 0}, {1, 4}");
	tap_ok(bar_rd(VIRTIO_PCI_ISR_OFF, 1) == VIRTIO_ISR_QUEUE && !irq_line,
	       "ISR reads 1, read deasserts INTx");
	tap_ok(bar_rd(VIRTIO_PCI_ISR_OFF, 1) == 0, "ISR cleared by the read");
	c = (uint8_t)bar_rd(COMMON(VIRTIO_PCI_COMMON_CFGGENERATION), 1);
	virtio_pci_config_changed(&vp);
	tap_ok(bar_rd(COMMON(VIRTIO_PCI_COMMON_CFGGENERATION), 1) == (uint8_t)(c + 1u),
	       "config change bumps config_generation");
	tap_ok(irq_line && bar_rd(VIRTIO_PCI_ISR_OFF, 1) == VIRTIO_ISR_CONFIG,
	       "config change: ISR bit 1 over INTx");

	/* MSI-X (4.1.5.1.2). */
	{
		uint8_t mc = 0;
		uint8_t p = (uint8_t)cfg_rd(df, PCI_CAPABILITY_LIST, 1);
		unsigned v;

		while (p) {
			if (cfg_rd(df, p, 1) == PCI_CAP_ID_MSIX)
				mc = p;
			p = (uint8_t)cfg_rd(df, p + 1u, 1);
		}
		tap_ok(mc && (cfg_rd(df, mc + 2u, 2) & 0x7ff) == 2 &&
		       cfg_rd(df, mc + 4u, 4) == VIRTIO_PCI_MSIX_TABLE_OFF,
		       "MSI-X: 3 vectors, table at 0x4000 in BAR 0");
		for (v = 0; v < 3; v++) {
			bar_wr(VIRTIO_PCI_MSIX_TABLE_OFF + 16 * v, 8, 0xfee00000ull);
			bar_wr(VIRTIO_PCI_MSIX_TABLE_OFF + 16 * v + 8, 4, 0x30 + v);
			bar_wr(VIRTIO_PCI_MSIX_TABLE_OFF + 16 * v + 12, 4, 0);
		}
		cfg_wr(df, mc + 2u, 2, PCI_MSIX_FLAGS_ENABLE);
	}
	bar_wr(COMMON(VIRTIO_PCI_COMMON_MSIX), 2, 0);
	tap_ok(bar_rd(COMMON(VIRTIO_PCI_COMMON_MSIX), 2) == 0, "config vector 0");
	dq_add(&q1, 0x200200, 8, true);
	vq = virtio_pci_queue(&vp, 1);
	virtq_pop(vq, el);
	virtq_push(vq, el->head, 8);
	nmsi = 0;
	nirq_calls = 0;
	virtio_pci_notify_queue(&vp, 1);
	tap_ok(nmsi == 1 && last_msi_data == 0x32 && nirq_calls == 0,
	       "queue 1 -> MSI-X vector 2, no INTx");
	tap_ok(bar_rd(VIRTIO_PCI_ISR_OFF, 1) == 0, "ISR untouched with MSI-X");
	virtio_pci_config_changed(&vp);
	tap_ok(nmsi == 2 && last_msi_data == 0x30, "config change -> vector 0");
	bar_wr(COMMON(VIRTIO_PCI_COMMON_Q_SELECT), 2, 1);
	bar_wr(COMMON(VIRTIO_PCI_COMMON_Q_MSIX), 2, VIRTIO_PCI_NO_VECTOR);
	dq_add(&q1, 0x200200, 8, true);
	virtq_pop(vq, el);
	virtq_push(vq, el->head, 8);
	virtio_pci_notify_queue(&vp, 1);
	tap_ok(nmsi == 2 && nirq_calls == 0, "NO_VECTOR: no interrupt at all");
	bar_wr(VIRTIO_PCI_MSIX_TABLE_OFF + 12, 4, 1);
	virtio_pci_config_changed(&vp);
	tap_ok(nmsi == 2 && (bar_rd(VIRTIO_PCI_MSIX_PBA_OFF, 8) & 1),
	       "masked vector 0: pending in the PBA");
	bar_wr(VIRTIO_PCI_MSIX_TABLE_OFF + 12, 4, 0);
	tap_ok(nmsi == 3 && !(bar_rd(VIRTIO_PCI_MSIX_PBA_OFF, 8) & 1), "unmasked: delivered");

	/* PCI_CFG window (4.1.4.8): read device_status through config space. */
	c = find_vcap(df, VIRTIO_PCI_CAP_PCI_CFG);
	cfg_wr(df, c + 4u, 1, 0);
	cfg_wr(df, c + 8u, 4, VIRTIO_PCI_COMMON_STATUS);
	cfg_wr(df, c + 12u, 4, 1);
	tap_ok((cfg_rd(df, c + 16u, 4) & 0xff) == 0x0f, "PCI_CFG window reads device_status");
	cfg_wr(df, c + 8u, 4, VIRTIO_PCI_COMMON_Q_SELECT);
	cfg_wr(df, c + 12u, 4, 2);
	cfg_wr(df, c + 16u, 4, 1);
	tap_ok(vp.queue_select == 1, "PCI_CFG window writes queue_select");
	cfg_wr(df, c + 12u, 4, 3);
	tap_ok(cfg_rd(df, c + 16u, 4) == 1, "length 3: no access, data unchanged");

	/* A broken ring sets NEEDS_RESET and tells the driver (2.1.2). */
	g16(q0.avail + 2, (uint16_t)(q0.avail_idx + 100));
	nmsi = 0;
	vq = virtio_pci_queue(&vp, 0);
	tap_ok(virtq_pop(vq, el) == -EIO, "bad avail index: pop fails");
	tap_ok(bar_rd(COMMON(VIRTIO_PCI_COMMON_STATUS), 1) == (0x0f | VIRTIO_STATUS_NEEDS_RESET) &&
	       nmsi == 1 && last_msi_data == 0x30, "NEEDS_RESET set, config interrupt sent");
	kick(1);
	tap_ok(nnotify[1] == 2, "no notifications while NEEDS_RESET");
	bar_wr(COMMON(VIRTIO_PCI_COMMON_STATUS), 1, 0x0f);
	tap_ok(bar_rd(COMMON(VIRTIO_PCI_COMMON_STATUS), 1) & VIRTIO_STATUS_NEEDS_RESET,
	       "driver cannot clear NEEDS_RESET");

	/* Reset (4.1.4.3.1). */
	nreset = 0;
	bar_wr(COMMON(VIRTIO_PCI_COMMON_STATUS), 1, 0);
	tap_ok(bar_rd(COMMON(VIRTIO_PCI_COMMON_STATUS), 1) == 0 && nreset == 1 &&
	       !vp.q[0].vq.enabled && vp.guest_features == 0 &&
	       vp.msix_config == VIRTIO_PCI_NO_VECTOR, "status 0: reset, queues off, features cleared");
	bar_wr(COMMON(VIRTIO_PCI_COMMON_Q_SELECT), 2, 0);
	tap_ok(bar_rd(COMMON(VIRTIO_PCI_COMMON_Q_SIZE), 2) == 64 &&
	       bar_rd(COMMON(VIRTIO_PCI_COMMON_Q_ENABLE), 2) == 0, "queue size back to max");
	negotiate(VER1);
	bar_wr(COMMON(VIRTIO_PCI_COMMON_Q_SELECT), 2, 0);
	bar_wr(COMMON(VIRTIO_PCI_COMMON_Q_SIZE), 2, 12);
	bar_wr(COMMON(VIRTIO_PCI_COMMON_Q_ENABLE), 2, 1);
	tap_ok(bar_rd(COMMON(VIRTIO_PCI_COMMON_Q_ENABLE), 2) == 0 &&
	       (bar_rd(COMMON(VIRTIO_PCI_COMMON_STATUS), 1) & VIRTIO_STATUS_NEEDS_RESET),
	       "queue size 12 (not a power of 2): not enabled, NEEDS_RESET");
	bar_wr(COMMON(VIRTIO_PCI_COMMON_STATUS), 1, 0);
	negotiate(VER1);
	tap_ok(setup_queue(&q0, 0, 128, 0) == 0, "queue size 128 > max 64: not enabled");
	nreset = 0;
	pci_bus_reset(&bus);
	tap_ok(nreset == 1 && vp.status == 0 && cfg_rd(df, PCI_COMMAND, 2) == 0,
	       "bus reset resets the transport");

	/* A reset while the device still has requests on the host (2.4.1). */
	map_bar(df);
	negotiate(VER1);
	setup_queue(&q0, 0, 16, 1);
	driver_ok();
	toy_busy = true;
	nreset = 0;
	memset(nnotify, 0, sizeof(nnotify));
	bar_wr(COMMON(VIRTIO_PCI_COMMON_STATUS), 1, 0);
	tap_ok(nreset == 1 && bar_rd(COMMON(VIRTIO_PCI_COMMON_STATUS), 1) != 0 &&
	       !virtio_pci_queue(&vp, 0), "busy reset: status reads non-zero, no queue is live");
	kick(0);
	bar_wr(COMMON(VIRTIO_PCI_COMMON_STATUS), 1, 0);
	bar_wr(COMMON(VIRTIO_PCI_COMMON_STATUS), 1, VIRTIO_STATUS_ACKNOWLEDGE);
	tap_ok(nnotify[0] == 0 && nreset == 1 && bar_rd(COMMON(VIRTIO_PCI_COMMON_STATUS), 1) != 0,
	       "busy reset: notifications and status writes are dropped, no second reset");
	toy_busy = false;
	virtio_pci_reset_done(&vp);
	tap_ok(bar_rd(COMMON(VIRTIO_PCI_COMMON_STATUS), 1) == 0 && !vp.q[0].vq.enabled &&
	       vp.guest_features == 0, "reset_done: status 0, queue off, features cleared");
	virtio_pci_reset_done(&vp);
	tap_ok(bar_rd(COMMON(VIRTIO_PCI_COMMON_STATUS), 1) == 0 && nreset == 1,
	       "a second reset_done does nothing");
	test_save_restore(df, el);
	free(el);
	free(mem.base);
	return tap_done();
}
