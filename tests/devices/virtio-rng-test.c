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
#include "state/stream.h"

/* --- a small virtio-pci driver over a fake guest (shared by the virtio tests) --- */
#include "virtio-driver.h"
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

	/* Save with a request waiting for entropy; a fresh device serves it. */
	{
		static const struct pci_bus_ops ops = { .msi = on_msi, .set_irq = on_irq };
		static struct pci_bus bus3;
		static struct virtio_rng rng3;
		struct state_writer w;
		struct state_reader r;
		const uint8_t *buf;
		size_t slen;
		int err;

		budget = 0;
		dq_add(&q, 0x200400, 8, true);
		kick(0);
		state_writer_init(&w);
		tap_ok(virtio_rng_save(&rng, &w) == 0, "save: with a request on the ring");
		buf = state_writer_data(&w, &slen, &err);
		pci_bus_init(&bus3, &ops, NULL);
		virtio_rng_init(&rng3, &bus3, 2, &mem, counter_source, NULL);
		state_reader_init(&r, buf, slen);
		tap_ok(virtio_rng_load(&rng3, &r) == 0 && state_reader_at_end(&r),
		       "load: into a fresh device (%s)", state_reader_msg(&r));
		budget = 100;
		nirq_calls = 0;
		g16(q.avail + 4 + 2 * 8, 3);	/* used_event (EVENT_IDX): after entry 3 */
		virtio_rng_kick(&rng3);
		tap_ok(dq_used(&q, &id, &len) && len == 8 && gr16(q.used + 2) == 4 &&
		       nirq_calls == 1 && irq_line,
		       "load: the waiting request is served at used index 4, INTx raised");
		state_writer_free(&w);
		/* Back into the first device, which the rest of the test drives. */
		state_writer_init(&w);
		virtio_rng_save(&rng3, &w);
		buf = state_writer_data(&w, &slen, &err);
		state_reader_init(&r, buf, slen);
		tap_ok(virtio_rng_load(&rng, &r) == 0 && rng.vp.q[0].vq.used_idx == 4,
		       "load: a second round trip, into the live device");
		state_writer_free(&w);
		pci_set_irq(&rng3.vp.pci, false);
		bar_rd(VIRTIO_PCI_ISR_OFF, 1);
	}

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
