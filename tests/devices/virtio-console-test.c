// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * virtio-console-test.c - the virtio console (monitor/devices/
 * virtio-console.c) driven like a guest driver through PCI: init
 * sequence, transmit to the output callback, input into receive buffers
 * with rx_ready, configuration (size, max_nr_ports, emerg_wr), and a
 * malicious transmit ring.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "devices/pci.h"
#include "devices/virtio-console.h"
#include "state/stream.h"

/* --- a small virtio-pci driver over a fake guest (shared by the virtio tests) --- */
#include "virtio-driver.h"
}
/* --- end of the driver --- */

static struct virtio_console con;
static char out[256];
static size_t out_len;
static int nready;

static void on_output(void *o, const uint8_t *buf, size_t len)
{
	(void)o;
	if (out_len + len <= sizeof(out)) {
		memcpy(out + out_len, buf, len);
		out_len += len;
	}
}

static void on_rx_ready(void *o)
{
	(void)o;
	nready++;
}

#define VER1	(1ull << VIRTIO_F_VERSION_1)

int main(void)
{
	static const struct virtio_console_ops ops = {
		.output = on_output, .rx_ready = on_rx_ready,
	};
	struct dq rx, tx;
	uint32_t id, len;
	uint8_t df;
	int ret;

	bus_setup();
	ret = virtio_console_init(&con, &bus, -1, &mem, &ops, NULL);
	tap_ok(ret == PCI_DEVFN(1, 0), "console at 01.0");
	df = (uint8_t)ret;
	tap_ok(cfg_rd(df, 0, 4) == 0x10431af4, "id 1af4:1043 (type 3)");
	tap_ok(cfg_rd(df, 0x08, 4) >> 8 == VIRTIO_PCI_CLASS_CONSOLE, "class 0x078000");
	tap_ok(find_vcap(df, VIRTIO_PCI_CAP_DEVICE_CFG) != 0, "device cfg capability");
	map_bar(df);
	tap_ok(virtio_console_input(&con, (const uint8_t *)"x", 1) == 0,
	       "input before the driver: 0");
	tap_ok((read_features() & 7) == 5, "features: SIZE and EMERG_WRITE, no MULTIPORT");
	tap_ok(bar_rd(VIRTIO_PCI_DEVICE_OFF, 2) == 80 && bar_rd(VIRTIO_PCI_DEVICE_OFF + 2, 2) == 25 &&
	       bar_rd(VIRTIO_PCI_DEVICE_OFF + 4, 4) == 1, "config: 80x25, max_nr_ports 1");
	tap_ok(negotiate(VER1 | 1ull << VIRTIO_CONSOLE_F_EMERG_WRITE |
			 1ull << VIRTIO_CONSOLE_F_SIZE) == 0x0b, "FEATURES_OK");
	bar_wr(VIRTIO_PCI_DEVICE_OFF + 8, 4, '!');
	tap_ok(out_len == 1 && out[0] == '!', "emerg_wr outputs one character");
	tap_ok(setup_queue(&rx, VIRTIO_CONSOLE_RXQ, 16, VIRTIO_PCI_NO_VECTOR) == 1 &&
	       setup_queue(&tx, VIRTIO_CONSOLE_TXQ, 16, VIRTIO_PCI_NO_VECTOR) == 1,
	       "receiveq and transmitq enabled");
	/* Linux adds receive buffers before DRIVER_OK; they count at DRIVER_OK. */
	dq_add(&rx, 0x200000, 4, true);
	nready = 0;
	driver_ok();
	tap_ok(nready == 1, "DRIVER_OK with receive buffers: rx_ready");

	/* Input. */
	nirq_calls = 0;
	tap_ok(virtio_console_input(&con, (const uint8_t *)"hello", 5) == 4,
	       "input: 4 of 5 bytes fit the one buffer");
	tap_ok(dq_used(&rx, &id, &len) && id == 0 && len == 4 &&
	       !memcmp(mem.base + 0x200000, "hell", 4), "used {0, 4}, bytes in guest RAM");
	tap_ok(irq_line && bar_rd(VIRTIO_PCI_ISR_OFF, 1) == 1, "INTx + ISR for the input");
	tap_ok(virtio_console_input(&con, (const uint8_t *)"o", 1) == 0 &&
	       !virtio_console_can_input(&con), "no buffer left: 0, can_input false");
	dq_add(&rx, 0x200100, 2, true);
	dq_add(&rx, 0x200200, 2, true);
	tap_ok(virtio_console_can_input(&con), "buffers added: can_input");
	nready = 0;
	kick(VIRTIO_CONSOLE_RXQ);
	tap_ok(nready == 1, "receiveq notification: rx_ready");
	tap_ok(virtio_console_input(&con, (const uint8_t *)"o\r\n", 3) == 3,
	       "input spreads over two buffers");
	tap_ok(dq_used(&rx, &id, &len) && len == 2 && dq_used(&rx, &id, &len) && len == 1 &&
	       !memcmp(mem.base + 0x200100, "o\r", 2) && mem.base[0x200200] == '\n',
	       "used {1, 2}, {2, 1}");
	bar_rd(VIRTIO_PCI_ISR_OFF, 1);

	/* Output. */
	out_len = 0;
	memcpy(mem.base + 0x210000, "boot: ", 6);
	memcpy(mem.base + 0x210100, "ok\n", 3);
	dq_add(&tx, 0x210000, 6, false);
	dq_add(&tx, 0x210100, 3, false);
	kick(VIRTIO_CONSOLE_TXQ);
	tap_ok(out_len == 9 && !memcmp(out, "boot: ok\n", 9), "transmit reaches the output callback");
	tap_ok(dq_used(&tx, &id, &len) && id == 0 && len == 0 &&
	       dq_used(&tx, &id, &len) && id == 1, "transmit buffers returned");
	tap_ok(irq_line, "transmit completion interrupts");
	bar_rd(VIRTIO_PCI_ISR_OFF, 1);

	/* Size change (5.3.6.1). */
	virtio_console_set_size(&con, 132, 43);
	tap_ok(bar_rd(VIRTIO_PCI_DEVICE_OFF, 4) == (43u << 16 | 132) &&
	       bar_rd(VIRTIO_PCI_ISR_OFF, 1) == VIRTIO_ISR_CONFIG, "resize: config + ISR bit 1");

	/* Save and restore: a fresh device in the same slot continues both rings. */
	{
		static const struct pci_bus_ops bops = { .msi = on_msi, .set_irq = on_irq };
		static struct pci_bus bus2;
		static struct virtio_console con2;
		struct state_writer w;
		struct state_reader r;
		const uint8_t *buf;
		size_t slen;
		int err;

		dq_add(&rx, 0x200300, 4, true);
		state_writer_init(&w);
		tap_ok(virtio_console_save(&con, &w) == 0, "save: console");
		buf = state_writer_data(&w, &slen, &err);
		pci_bus_init(&bus2, &bops, NULL);
		virtio_console_init(&con2, &bus2, 1, &mem, &ops, NULL);
		state_reader_init(&r, buf, slen);
		nready = 0;
		tap_ok(virtio_console_load(&con2, &r) == 0 && state_reader_at_end(&r) &&
		       nready == 0, "load: into a fresh device, no callback (%s)",
		       state_reader_msg(&r));
		state_writer_free(&w);
		bus.devs[df] = &con2.vp.pci;
		con2.vp.pci.bus = &bus;
		tap_ok(bar_rd(VIRTIO_PCI_DEVICE_OFF, 4) == (43u << 16 | 132),
		       "load: size 132x43 restored");
		tap_ok(virtio_console_can_input(&con2) &&
		       virtio_console_input(&con2, (const uint8_t *)"abcdef", 6) == 4 &&
		       dq_used(&rx, &id, &len) && id == 3 && len == 4 &&
		       gr16(rx.used + 2) == 4 && !memcmp(mem.base + 0x200300, "abcd", 4),
		       "load: input fills the buffer made available before the save (used 4)");
		out_len = 0;
		memcpy(mem.base + 0x210200, "resumed", 7);
		dq_add(&tx, 0x210200, 7, false);
		kick(VIRTIO_CONSOLE_TXQ);
		tap_ok(out_len == 7 && !memcmp(out, "resumed", 7) &&
		       dq_used(&tx, &id, &len) && id == 2 && gr16(tx.used + 2) == 3,
		       "load: transmit continues at used index 3");
		bar_rd(VIRTIO_PCI_ISR_OFF, 1);
		/* Back into the first device for the rest of the test. */
		state_writer_init(&w);
		virtio_console_save(&con2, &w);
		buf = state_writer_data(&w, &slen, &err);
		state_reader_init(&r, buf, slen);
		tap_ok(virtio_console_load(&con, &r) == 0, "load: round trip back");
		state_writer_free(&w);
		bus.devs[df] = &con.vp.pci;
	}

	/* A malicious transmit descriptor pointing outside RAM. */
	out_len = 0;
	dq_add(&tx, RAM_SIZE - 2, 100, false);
	kick(VIRTIO_CONSOLE_TXQ);
	tap_ok(out_len == 0 && (bar_rd(COMMON(VIRTIO_PCI_COMMON_STATUS), 1) &
				VIRTIO_STATUS_NEEDS_RESET), "bad transmit buffer: nothing output, NEEDS_RESET");
	dq_add(&rx, 0x200300, 4, true);
	tap_ok(virtio_console_input(&con, (const uint8_t *)"z", 1) == 0,
	       "input after NEEDS_RESET: 0, queues stopped");
	bar_wr(COMMON(VIRTIO_PCI_COMMON_STATUS), 1, 0);
	tap_ok(virtio_console_input(&con, (const uint8_t *)"z", 1) == 0, "after reset: 0");
	free(mem.base);
	return tap_done();
}
