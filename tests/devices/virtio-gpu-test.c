// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * virtio-gpu-test.c - the 2D virtio GPU (monitor/devices/virtio-gpu.c)
 * driven like a guest driver through PCI, drawing into a fake display
 * that records the ops: display info and EDID, resources with scattered
 * backing, transfers, scanout and flushes (pixel-exact), every error
 * response, fences, the cursor, display size changes, reset, and save /
 * load (a round trip and crafted bad states).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "devices/pci.h"
#include "devices/virtio-gpu.h"
#include "state/stream.h"

/* --- a small virtio-pci driver over a fake guest (shared by the virtio tests) --- */
#include "virtio-driver.h"
}
/* --- end of the driver --- */

/* --- a fake display: what the device told it ---------------------------- */

#define SCR_MAX	64

struct fake_display {
	int nmode, nupd, ndef, nmove;
	int mode_ret;			/* what set_mode answers */
	uint32_t mw, mh, mfmt;
	struct display_rect ur;		/* the last update */
	uint32_t screen[SCR_MAX * SCR_MAX];	/* the surface, updates applied */
	uint32_t cw, ch, chx, chy;
	uint32_t cimg[DISPLAY_CURSOR_MAX * DISPLAY_CURSOR_MAX];
	int32_t cx, cy;
	bool cvis;
};

static struct fake_display d1, d2, d3;

static int fd_set_mode(void *o, uint32_t w, uint32_t h, uint32_t fmt)
{
	struct fake_display *d = o;

	d->nmode++;
	if (d->mode_ret)
		return d->mode_ret;
	d->mw = w;
	d->mh = h;
	d->mfmt = fmt;
	memset(d->screen, 0, sizeof(d->screen));	/* a fresh, black surface */
	return 0;
}

static void fd_update(void *o, const struct display_rect *r, const void *src,
		      uint32_t stride)
{
	struct fake_display *d = o;
	uint32_t y;

	d->nupd++;
	d->ur = *r;
	if (r->x + r->w > d->mw || r->y + r->h > d->mh || d->mw > SCR_MAX)
		return;
	for (y = 0; y < r->h; y++)
		memcpy(&d->screen[(r->y + y) * SCR_MAX + r->x],
		       (const uint8_t *)src + (size_t)y * stride, r->w * 4);
}

static int fd_cursor_define(void *o, uint32_t w, uint32_t h, uint32_t hx,
			    uint32_t hy, const uint32_t *argb)
{
	struct fake_display *d = o;

	d->ndef++;
	d->cw = w;
	d->ch = h;
	d->chx = hx;
	d->chy = hy;
	if (w)
		memcpy(d->cimg, argb, (size_t)w * h * 4);
	return 0;
}

static void fd_cursor_move(void *o, int32_t x, int32_t y, bool visible)
{
	struct fake_display *d = o;

	d->nmove++;
	d->cx = x;
	d->cy = y;
	d->cvis = visible;
}

static const struct virtio_gpu_ops fd_ops = {
	.set_mode = fd_set_mode,
	.update = fd_update,
	.cursor_define = fd_cursor_define,
	.cursor_move = fd_cursor_move,
};

/* --- requests ------------------------------------------------------------ */

#define REQ_GPA		0x200000ull
#define RESP_GPA	0x240000ull
#define BK_GPA		0x300000ull	/* backing pages */
#define VER1		(1ull << VIRTIO_F_VERSION_1)

static struct virtio_gpu gpu, gpu2, gpu3;
static struct dq cq, kq;
static struct virtio_gpu *direct;	/* non-NULL: kick this device, not the BAR */
static uint32_t used_len;

/* A request buffer being built at REQ_GPA. */
static uint8_t *req(void) { return mem.base + REQ_GPA; }
static void p32(size_t off, uint32_t v) { g32(REQ_GPA + off, v); }
static void p64(size_t off, uint64_t v) { g64(REQ_GPA + off, v); }
static uint32_t r32(size_t off) { return gr32(RESP_GPA + off); }
static uint64_t r64(size_t off) { return (uint64_t)r32(off) | (uint64_t)r32(off + 4) << 32; }

static void hdr(uint32_t type)
{
	memset(req(), 0, 0x1000);
	p32(0, type);
}

/*
 * Sends the request at REQ_GPA (req_len bytes) with a resp_len-byte
 * response buffer (0: none) on queue q; returns the response type.
 */
static uint32_t send(unsigned q, uint32_t req_len, uint32_t resp_len)
{
	struct seg s[2] = { { REQ_GPA, req_len, false }, { RESP_GPA, resp_len, true } };
	struct dq *dq = q ? &kq : &cq;
	uint32_t id;

	memset(mem.base + RESP_GPA, 0xaa, 0x2000);
	add_chain(dq, s, resp_len ? 2 : 1);
	if (direct)
		virtio_gpu_kick(direct);
	else
		kick(q);
	used_len = 0xdeadbeef;
	if (!dq_used(dq, &id, &used_len))
		return 0;
	return resp_len >= 4 ? r32(0) : 0;
}

static uint32_t ctrl(uint32_t req_len) { return send(0, req_len, 0x1000); }

static uint32_t create(uint32_t id, uint32_t fmt, uint32_t w, uint32_t h)
{
	hdr(VIRTIO_GPU_CMD_RESOURCE_CREATE_2D);
	p32(24, id);
	p32(28, fmt);
	p32(32, w);
	p32(36, h);
	return ctrl(40);
}

static uint32_t unref(uint32_t id)
{
	hdr(VIRTIO_GPU_CMD_RESOURCE_UNREF);
	p32(24, id);
	return ctrl(32);
}

static uint32_t attach(uint32_t id, const struct virtio_gpu_entry *e, uint32_t n)
{
	uint32_t i;

	hdr(VIRTIO_GPU_CMD_RESOURCE_ATTACH_BACKING);
	p32(24, id);
	p32(28, n);
	for (i = 0; i < n; i++) {
		p64(32 + 16 * i, e[i].addr);
		p32(40 + 16 * i, e[i].len);
	}
	return ctrl(32 + 16 * n);
}

static uint32_t detach(uint32_t id)
{
	hdr(VIRTIO_GPU_CMD_RESOURCE_DETACH_BACKING);
	p32(24, id);
	return ctrl(32);
}

static void rect(size_t off, uint32_t x, uint32_t y, uint32_t w, uint32_t h)
{
	p32(off, x);
	p32(off + 4, y);
	p32(off + 8, w);
	p32(off + 12, h);
}

static uint32_t transfer(uint32_t id, uint32_t x, uint32_t y, uint32_t w,
			 uint32_t h, uint64_t off)
{
	hdr(VIRTIO_GPU_CMD_TRANSFER_TO_HOST_2D);
	rect(24, x, y, w, h);
	p64(40, off);
	p32(48, id);
	return ctrl(56);
}

static uint32_t scanout(uint32_t sid, uint32_t id, uint32_t x, uint32_t y,
			uint32_t w, uint32_t h)
{
	hdr(VIRTIO_GPU_CMD_SET_SCANOUT);
	rect(24, x, y, w, h);
	p32(40, sid);
	p32(44, id);
	return ctrl(48);
}

static uint32_t flush(uint32_t id, uint32_t x, uint32_t y, uint32_t w, uint32_t h)
{
	hdr(VIRTIO_GPU_CMD_RESOURCE_FLUSH);
	rect(24, x, y, w, h);
	p32(40, id);
	return ctrl(48);
}

/* UPDATE_CURSOR / MOVE_CURSOR with no response buffer, as Linux sends them. */
static uint32_t cursor(uint32_t type, uint32_t sid, int32_t x, int32_t y,
		       uint32_t id, uint32_t hx, uint32_t hy, uint32_t resp_len)
{
	hdr(type);
	p32(24, sid);
	p32(28, (uint32_t)x);
	p32(32, (uint32_t)y);
	p32(40, id);
	p32(44, hx);
	p32(48, hy);
	return send(1, 56, resp_len);
}

/* --- the scattered backing of resource 1: 32 x 16, 2048 bytes ------------ */

#define W1	32
#define H1	16
static const struct virtio_gpu_entry bk1[3] = {
	{ BK_GPA + 0x100, 700 }, { BK_GPA + 0x1000, 600 }, { BK_GPA + 0x2300, 748 },
};

/* The guest's byte at backing offset `off`. */
static uint8_t *bk_byte(uint64_t off)
{
	unsigned i;

	for (i = 0; i < 3; i++) {
		if (off < bk1[i].len)
			return mem.base + bk1[i].addr + off;
		off -= bk1[i].len;
	}
	abort();
}

static uint32_t pix(uint32_t x, uint32_t y, uint32_t salt)
{
	return salt << 24 | y << 16 | x << 8 | 0x5a;
}

/* The guest draws pixel (x, y) = pix(x, y, salt) for the whole backing. */
static void draw(uint32_t salt)
{
	uint32_t x, y, i;

	for (y = 0; y < H1; y++)
		for (x = 0; x < W1; x++)
			for (i = 0; i < 4; i++)
				*bk_byte((y * W1 + x) * 4 + i) = (uint8_t)(pix(x, y, salt) >> 8 * i);
}

/* Does the fake screen show resource-1 rect (sx, sy, w, h) as `want(x, y)`? */
static bool screen_is(const struct fake_display *d, uint32_t sx, uint32_t sy,
		      uint32_t w, uint32_t h, const uint32_t *want)
{
	uint32_t x, y;

	for (y = 0; y < h; y++)
		for (x = 0; x < w; x++)
			if (d->screen[y * SCR_MAX + x] != want[(sy + y) * W1 + sx + x])
				return false;
	return true;
}

static uint32_t expect[W1 * H1];

static void expect_fill(uint32_t salt, uint32_t x0, uint32_t y0, uint32_t w, uint32_t h)
{
	uint32_t x, y;

	for (y = y0; y < y0 + h; y++)
		for (x = x0; x < x0 + w; x++)
			expect[y * W1 + x] = pix(x, y, salt);
}

/* --- EDID ---------------------------------------------------------------- */

static bool edid_ok(const uint8_t *e, uint32_t w, uint32_t h)
{
	static const uint8_t magic[8] = { 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0 };
	const uint8_t *t = e + 54;
	uint8_t sum = 0;
	unsigned i;

	for (i = 0; i < 128; i++)
		sum = (uint8_t)(sum + e[i]);
	return !sum && !memcmp(e, magic, 8) && e[18] == 1 && e[19] == 4 &&
	       (t[0] | t[1]) && (uint32_t)(t[2] | (t[4] >> 4) << 8) == w &&
	       (uint32_t)(t[5] | (t[7] >> 4) << 8) == h && (e[24] & 0x02);
}

static uint32_t get_edid(uint32_t sid)
{
	hdr(VIRTIO_GPU_CMD_GET_EDID);
	p32(24, sid);
	return ctrl(32);
}

/* --- save and restore ------------------------------------------------------ */

/* Payload offset of the "virtio-gpu" section in a stream, and its length. */
static size_t gpu_section(const uint8_t *buf, size_t len, size_t *payload_len)
{
	size_t p = 0;

	while (p < len) {
		size_t nl = buf[p];
		uint32_t pl;

		memcpy(&pl, buf + p + 1 + nl + 8, 4);
		if (nl == 10 && !memcmp(buf + p + 1, "virtio-gpu", 10)) {
			*payload_len = pl;
			return p;
		}
		p += 1 + nl + 12 + pl + 4;
	}
	return 0;
}

/*
 * A copy of the stream with the n-byte field at payload offset `off` of
 * the virtio-gpu section set to v and that section's CRC made good.
 */
static size_t patch_gpu(uint8_t *copy, const uint8_t *buf, size_t len,
			size_t off, uint64_t v, unsigned n)
{
	size_t pl, s = gpu_section(buf, len, &pl), p = s + 1 + buf[s] + 12;
	uint32_t crc;
	unsigned i;

	memcpy(copy, buf, len);
	for (i = 0; i < n; i++)
		copy[p + off + i] = (uint8_t)(v >> 8 * i);
	crc = state_crc32(0, copy + s, p + pl - s);
	for (i = 0; i < 4; i++)
		copy[p + pl + i] = (uint8_t)(crc >> 8 * i);
	return len;
}

static struct pci_bus bus2;

/* A fresh device on bus2 drawing into d; loads buf; returns the load's result. */
static int load_fresh(struct virtio_gpu *g, struct fake_display *d,
		      const uint8_t *buf, size_t len, uint64_t cap)
{
	static const struct pci_bus_ops ops = { .msi = on_msi, .set_irq = on_irq };
	struct state_reader r;
	int ret;

	pci_bus_init(&bus2, &ops, NULL);
	memset(d, 0, sizeof(*d));
	virtio_gpu_init(g, &bus2, 3, &mem, &fd_ops, d, cap);
	state_reader_init(&r, buf, len);
	ret = virtio_gpu_load(g, &r);
	if (ret)
		tap_diag("load: %s", state_reader_msg(&r));
	return ret;
}

static uint8_t crafted[1 << 20];

int main(void)
{
	struct state_writer w;
	uint32_t x, y, n, i;
	const uint8_t *sbuf;
	size_t slen, pl, sec, po;
	uint8_t df;
	int ret, err;

	bus_setup();
	ret = virtio_gpu_init(&gpu, &bus, 3, &mem, &fd_ops, &d1, 0);
	tap_ok(ret == PCI_DEVFN(3, 0), "gpu at 03.0");
	df = (uint8_t)ret;
	tap_ok(cfg_rd(df, 0, 4) == 0x10501af4, "id 1af4:1050 (type 16)");
	tap_ok(cfg_rd(df, 0x08, 4) >> 8 == VIRTIO_PCI_CLASS_GPU, "class 0x038000");
	tap_ok(find_vcap(df, VIRTIO_PCI_CAP_DEVICE_CFG) != 0, "device configuration capability");
	tap_ok(gpu.mem_cap == VIRTIO_GPU_DEFAULT_MEM_CAP, "mem_cap 0: the 256 MiB default");
	map_bar(df);
	tap_ok(read_features() == (VER1 | 1ull << VIRTIO_F_INDIRECT_DESC |
				   1ull << VIRTIO_F_EVENT_IDX | 1ull << VIRTIO_GPU_F_EDID),
	       "features: EDID (no VIRGL) and the transport's");
	tap_ok(bar_rd(VIRTIO_PCI_DEVICE_OFF, 4) == 0 && bar_rd(VIRTIO_PCI_DEVICE_OFF + 4, 4) == 0 &&
	       bar_rd(VIRTIO_PCI_DEVICE_OFF + 8, 4) == 1 && bar_rd(VIRTIO_PCI_DEVICE_OFF + 12, 4) == 0,
	       "config: no events, 1 scanout, 0 capsets");
	tap_ok(negotiate(VER1 | 1ull << VIRTIO_GPU_F_EDID) == 0x0b, "FEATURES_OK with EDID");
	tap_ok(setup_queue(&cq, 0, 64, VIRTIO_PCI_NO_VECTOR) == 1 &&
	       setup_queue(&kq, 1, 64, VIRTIO_PCI_NO_VECTOR) == 1, "controlq and cursorq enabled");
	driver_ok();

	/* Display info (5.7.6.8): one enabled 1024x768 scanout. */
	hdr(VIRTIO_GPU_CMD_GET_DISPLAY_INFO);
	tap_ok(ctrl(24) == VIRTIO_GPU_RESP_OK_DISPLAY_INFO && used_len == 24 + 16 * 24 &&
	       r32(24) == 0 && r32(28) == 0 && r32(32) == 1024 && r32(36) == 768 &&
	       r32(40) == 1 && r32(48 + 16) == 0 && r32(24 + 15 * 24 + 16) == 0,
	       "GET_DISPLAY_INFO: scanout 0 enabled 1024x768, the rest disabled");
	tap_ok(get_edid(0) == VIRTIO_GPU_RESP_OK_EDID && used_len == 24 + 8 + 1024 &&
	       r32(24) == 128 && edid_ok(mem.base + RESP_GPA + 32, 1024, 768),
	       "GET_EDID: 128 bytes, EDID 1.4, checksum good, preferred 1024x768");
	tap_ok(!memcmp(mem.base + RESP_GPA + 32 + 72 + 5, "vmain\n", 6),
	       "GET_EDID: the monitor name descriptor says vmain");
	tap_ok(get_edid(1) == VIRTIO_GPU_RESP_ERR_INVALID_SCANOUT_ID, "GET_EDID scanout 1: INVALID_SCANOUT_ID");

	/* A resource with scattered backing, drawn and shown. */
	tap_ok(create(1, VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM, W1, H1) == VIRTIO_GPU_RESP_OK_NODATA &&
	       used_len == 24 && gpu.nr_res == 1 && gpu.res_bytes == W1 * H1 * 4,
	       "RESOURCE_CREATE_2D 32x16 B8G8R8X8: OK, 2048 bytes");
	tap_ok(attach(1, bk1, 3) == VIRTIO_GPU_RESP_OK_NODATA && gpu.res[0]->backing_len == 2048 &&
	       !gpu.res[0]->contiguous, "ATTACH_BACKING: 3 scattered entries");
	draw(1);
	tap_ok(transfer(1, 0, 0, W1, H1, 0) == VIRTIO_GPU_RESP_OK_NODATA,
	       "TRANSFER_TO_HOST_2D of the whole resource: OK");
	tap_ok(d1.nmode == 0 && d1.nupd == 0, "nothing reaches the display before a scanout");
	tap_ok(scanout(0, 1, 0, 0, W1, H1) == VIRTIO_GPU_RESP_OK_NODATA && d1.nmode == 1 &&
	       d1.mw == W1 && d1.mh == H1 && d1.mfmt == DISPLAY_FORMAT_XRGB8888,
	       "SET_SCANOUT: set_mode 32x16 XRGB8888");
	expect_fill(1, 0, 0, W1, H1);
	tap_ok(d1.nupd == 1 && d1.ur.x == 0 && d1.ur.w == W1 && d1.ur.h == H1 &&
	       screen_is(&d1, 0, 0, W1, H1, expect),
	       "SET_SCANOUT: the whole resource copied once, pixel-exact (rows across entries)");
	tap_ok(scanout(0, 1, 0, 0, W1, H1) == VIRTIO_GPU_RESP_OK_NODATA && d1.nmode == 1 &&
	       d1.nupd == 1, "SET_SCANOUT unchanged: no mode, no update");

	draw(2);
	tap_ok(transfer(1, 5, 3, 10, 4, 3 * W1 * 4 + 5 * 4) == VIRTIO_GPU_RESP_OK_NODATA &&
	       d1.nupd == 1, "TRANSFER at (5,3) 10x4: OK, no update before the flush");
	tap_ok(flush(1, 5, 3, 10, 4) == VIRTIO_GPU_RESP_OK_NODATA && d1.nupd == 2 &&
	       d1.ur.x == 5 && d1.ur.y == 3 && d1.ur.w == 10 && d1.ur.h == 4,
	       "RESOURCE_FLUSH (5,3) 10x4: one update of exactly that rectangle");
	expect_fill(2, 5, 3, 10, 4);
	tap_ok(screen_is(&d1, 0, 0, W1, H1, expect),
	       "the screen: new pixels in the rectangle, old ones around it");

	/* A scanout of part of the resource: flushes clip and translate. */
	tap_ok(scanout(0, 1, 4, 2, 20, 10) == VIRTIO_GPU_RESP_OK_NODATA && d1.nmode == 2 &&
	       d1.mw == 20 && d1.mh == 10 && d1.nupd == 3 && screen_is(&d1, 4, 2, 20, 10, expect),
	       "SET_SCANOUT (4,2) 20x10: new mode, the sub-rectangle shown");
	tap_ok(flush(1, 0, 0, 8, 4) == VIRTIO_GPU_RESP_OK_NODATA && d1.nupd == 4 &&
	       d1.ur.x == 0 && d1.ur.y == 0 && d1.ur.w == 4 && d1.ur.h == 2,
	       "flush (0,0) 8x4: clipped to (4,2) 4x2, at (0,0) of the scanout");
	tap_ok(flush(1, 25, 12, 7, 4) == VIRTIO_GPU_RESP_OK_NODATA && d1.nupd == 4,
	       "flush outside the scanout: no update");
	tap_ok(scanout(0, 1, 0, 0, W1, H1) == VIRTIO_GPU_RESP_OK_NODATA && d1.nmode == 3,
	       "back to the whole resource");

	/* Fences (5.7.6.7): flag and id echoed, errors too. */
	hdr(VIRTIO_GPU_CMD_RESOURCE_FLUSH);
	p32(4, VIRTIO_GPU_FLAG_FENCE);
	p64(8, 0x1122334455667788ull);
	rect(24, 0, 0, 1, 1);
	p32(40, 1);
	tap_ok(ctrl(48) == VIRTIO_GPU_RESP_OK_NODATA && r32(4) == VIRTIO_GPU_FLAG_FENCE &&
	       r64(8) == 0x1122334455667788ull, "fenced flush: FLAG_FENCE and fence_id echoed");
	p32(40, 77);
	tap_ok(ctrl(48) == VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID && r32(4) == VIRTIO_GPU_FLAG_FENCE &&
	       r64(8) == 0x1122334455667788ull, "fenced failing flush: fence echoed with the error");
	tap_ok(flush(1, 0, 0, 1, 1) == VIRTIO_GPU_RESP_OK_NODATA && r32(4) == 0 && r64(8) == 0,
	       "unfenced: flags 0");

	/* Every error response. */
	n = (uint32_t)gpu.stats.err_resp;
	tap_ok(create(0, VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM, 4, 4) == VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID,
	       "create id 0: INVALID_RESOURCE_ID");
	tap_ok(create(1, VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM, 4, 4) == VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID,
	       "create id in use: INVALID_RESOURCE_ID");
	tap_ok(create(2, 5, 4, 4) == VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER,
	       "create unknown format: INVALID_PARAMETER");
	tap_ok(create(2, VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM, 0, 4) == VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER,
	       "create width 0: INVALID_PARAMETER");
	tap_ok(create(2, VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM, 0xffffffff, 0xffffffff) ==
	       VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY, "create w*h*4 past 2^64: OUT_OF_MEMORY");
	/* 512 * 131071 * 4 + 2048 bytes (resource 1) = 256 MiB. */
	tap_ok(create(2, VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM, 512, 131072) ==
	       VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY && gpu.nr_res == 1,
	       "create just past the 256 MiB cap: OUT_OF_MEMORY");
	tap_ok(create(2, VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM, 512, 131071) == VIRTIO_GPU_RESP_OK_NODATA &&
	       gpu.res_bytes == 256ull << 20, "create up to the cap exactly: OK");
	tap_ok(create(3, VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM, 1, 1) == VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY,
	       "cap reached: one more pixel is OUT_OF_MEMORY");
	tap_ok(unref(2) == VIRTIO_GPU_RESP_OK_NODATA && gpu.res_bytes == W1 * H1 * 4,
	       "RESOURCE_UNREF frees its bytes");
	for (i = 100, ret = 1; i < 100 + VIRTIO_GPU_MAX_RESOURCES - 1; i++)
		ret &= create(i, VIRTIO_GPU_FORMAT_B8G8R8A8_UNORM, 1, 1) == VIRTIO_GPU_RESP_OK_NODATA;
	tap_ok(ret && gpu.nr_res == VIRTIO_GPU_MAX_RESOURCES, "1024 resources");
	tap_ok(create(5000, VIRTIO_GPU_FORMAT_B8G8R8A8_UNORM, 1, 1) == VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY,
	       "the 1025th: OUT_OF_MEMORY");
	for (i = 100, ret = 1; i < 100 + VIRTIO_GPU_MAX_RESOURCES - 1; i++)
		ret &= unref(i) == VIRTIO_GPU_RESP_OK_NODATA;
	tap_ok(ret && gpu.nr_res == 1 && d1.nmode == 3, "unref them: one left, the scanout untouched");
	tap_ok(unref(2) == VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID, "unref unknown: INVALID_RESOURCE_ID");
	tap_ok(unref(0) == VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID, "unref 0: INVALID_RESOURCE_ID");

	tap_ok(scanout(1, 1, 0, 0, 4, 4) == VIRTIO_GPU_RESP_ERR_INVALID_SCANOUT_ID,
	       "SET_SCANOUT scanout 1: INVALID_SCANOUT_ID");
	tap_ok(scanout(0, 9, 0, 0, 4, 4) == VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID,
	       "SET_SCANOUT unknown resource: INVALID_RESOURCE_ID");
	tap_ok(scanout(0, 1, 0xfffffff0u, 0, 0x20, 4) == VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER,
	       "SET_SCANOUT x + w wraps: INVALID_PARAMETER");
	tap_ok(scanout(0, 1, 0, 0, 0, 4) == VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER,
	       "SET_SCANOUT width 0: INVALID_PARAMETER");
	tap_ok(scanout(0, 1, 0, 1, W1, H1) == VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER &&
	       d1.nmode == 3 && gpu.scanout_res == 1, "SET_SCANOUT past the bottom: refused, scanout kept");
	d1.mode_ret = -ENOMEM;
	tap_ok(scanout(0, 1, 0, 0, 16, 16) == VIRTIO_GPU_RESP_ERR_UNSPEC && d1.nmode == 4 &&
	       d1.mw == W1 && gpu.scanout_res == 1 && gpu.scanout.w == W1 && gpu.mode_w == W1,
	       "SET_SCANOUT the display refuses: ERR_UNSPEC, the old scanout kept");
	d1.mode_ret = 0;
	tap_ok(flush(9, 0, 0, 1, 1) == VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID,
	       "flush unknown resource: INVALID_RESOURCE_ID");
	tap_ok(flush(1, 1, 0xffffffffu, 1, 2) == VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER,
	       "flush y + h wraps: INVALID_PARAMETER");
	tap_ok(transfer(9, 0, 0, 1, 1, 0) == VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID,
	       "transfer unknown resource: INVALID_RESOURCE_ID");
	tap_ok(transfer(1, 0xfffffff0u, 0, 0x20, 1, 0) == VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER,
	       "transfer x + w wraps: INVALID_PARAMETER");
	tap_ok(transfer(1, 0, 0, W1, H1, 4) == VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER,
	       "transfer 4 bytes past the backing: INVALID_PARAMETER");
	tap_ok(transfer(1, 0, 0, 1, 1, ~0ull - 2) == VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER,
	       "transfer offset near 2^64: INVALID_PARAMETER");
	tap_ok(transfer(1, 31, 15, 1, 1, 2044) == VIRTIO_GPU_RESP_OK_NODATA,
	       "transfer of the last pixel at the backing's last byte: OK");
	{
		struct virtio_gpu_entry out[2] = { { BK_GPA, 64 }, { RAM_SIZE - 16, 64 } };
		struct virtio_gpu_entry wrap[1] = { { ~0ull - 7, 16 } };

		tap_ok(create(2, VIRTIO_GPU_FORMAT_R8G8B8A8_UNORM, 4, 4) == VIRTIO_GPU_RESP_OK_NODATA,
		       "resource 2");
		tap_ok(attach(9, out, 1) == VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID,
		       "attach unknown resource: INVALID_RESOURCE_ID");
		tap_ok(attach(2, out, 2) == VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER,
		       "attach an entry past the end of RAM: INVALID_PARAMETER");
		tap_ok(attach(2, wrap, 1) == VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER,
		       "attach an entry whose end wraps: INVALID_PARAMETER");
		hdr(VIRTIO_GPU_CMD_RESOURCE_ATTACH_BACKING);
		p32(24, 2);
		p32(28, VIRTIO_GPU_MAX_ENTRIES + 1);
		tap_ok(ctrl(32 + 16) == VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER,
		       "attach 16385 entries: INVALID_PARAMETER");
		p32(28, 4);
		tap_ok(ctrl(32 + 16 * 3) == VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER,
		       "attach 4 entries in a buffer that holds 3: INVALID_PARAMETER");
		tap_ok(transfer(2, 0, 0, 1, 1, 0) == VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER &&
		       gpu.res_entries == 3, "transfer without backing: INVALID_PARAMETER, nothing attached");
		tap_ok(attach(2, out, 1) == VIRTIO_GPU_RESP_OK_NODATA &&
		       attach(2, out, 1) == VIRTIO_GPU_RESP_ERR_UNSPEC, "attach twice: ERR_UNSPEC");
		tap_ok(detach(9) == VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID,
		       "detach unknown resource: INVALID_RESOURCE_ID");
		tap_ok(detach(2) == VIRTIO_GPU_RESP_OK_NODATA && gpu.res_entries == 3 &&
		       transfer(2, 0, 0, 1, 1, 0) == VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER,
		       "detach: transfers refused after it");
	}
	hdr(0x0200);	/* VIRTIO_GPU_CMD_CTX_CREATE: no 3D */
	tap_ok(ctrl(24 + 72) == VIRTIO_GPU_RESP_ERR_UNSPEC, "3D command: ERR_UNSPEC");
	hdr(VIRTIO_GPU_CMD_GET_CAPSET_INFO);
	tap_ok(ctrl(32) == VIRTIO_GPU_RESP_ERR_UNSPEC, "GET_CAPSET_INFO (no capsets): ERR_UNSPEC");
	hdr(VIRTIO_GPU_CMD_MOVE_CURSOR);
	tap_ok(ctrl(56) == VIRTIO_GPU_RESP_ERR_UNSPEC && d1.nmove == 0,
	       "a cursor command on the controlq: ERR_UNSPEC");
	tap_ok(gpu.stats.err_resp - n == 34, "34 error responses counted (%llu)",
	       (unsigned long long)(gpu.stats.err_resp - n));
	tap_ok(gpu.stats.cursor_err == 0, "no cursor errors so far");

	/* Short and garbled buffers. */
	n = (uint32_t)gpu.stats.bad_request;
	tap_ok(create(7, VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM, 4, 4) == VIRTIO_GPU_RESP_OK_NODATA &&
	       unref(7) == VIRTIO_GPU_RESP_OK_NODATA, "(resource 7 made and unmade)");
	hdr(VIRTIO_GPU_CMD_RESOURCE_CREATE_2D);
	p32(24, 7);
	p32(28, 1);
	p32(32, 4);
	p32(36, 4);
	tap_ok(ctrl(36) == VIRTIO_GPU_RESP_ERR_UNSPEC && used_len == 24 && gpu.nr_res == 2,
	       "create in 36 of its 40 bytes: ERR_UNSPEC, nothing created");
	tap_ok(ctrl(10) == VIRTIO_GPU_RESP_ERR_UNSPEC && used_len == 24,
	       "a 10-byte header: ERR_UNSPEC");
	{
		uint32_t id;

		dq_add(&cq, REQ_GPA, 40, false);
		kick(0);
		tap_ok(dq_used(&cq, &id, &used_len) && used_len == 0 && gpu.nr_res == 2,
		       "no writable buffer: returned with 0 bytes, nothing created");
	}
	tap_ok(send(0, 40, 20) == 0xaaaaaaaa && used_len == 0 && gpu.nr_res == 2,
	       "a 20-byte response buffer: returned with 0 bytes");
	hdr(VIRTIO_GPU_CMD_GET_DISPLAY_INFO);
	tap_ok(send(0, 24, 24) == VIRTIO_GPU_RESP_ERR_UNSPEC && used_len == 24,
	       "display info into 24 bytes: the header alone, ERR_UNSPEC");
	tap_ok(gpu.stats.bad_request - n == 5, "5 bad requests counted");
	{
		struct seg s[3] = { { REQ_GPA, 16, false }, { REQ_GPA + 16, 24, false },
				    { RESP_GPA, 24, true } };
		uint32_t id;

		create(7, VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM, 4, 4);	/* (the request) */
		unref(7);
		hdr(VIRTIO_GPU_CMD_RESOURCE_CREATE_2D);
		p32(24, 7);
		p32(28, 1);
		p32(32, 4);
		p32(36, 4);
		add_chain(&cq, s, 3);
		kick(0);
		tap_ok(dq_used(&cq, &id, &used_len) && used_len == 24 &&
		       r32(0) == VIRTIO_GPU_RESP_OK_NODATA && unref(7) == VIRTIO_GPU_RESP_OK_NODATA,
		       "a command split across two readable buffers: served");
	}

	/* ATTACH_BACKING as Linux sends it: the entries in a buffer of their own. */
	{
		struct seg s[3] = { { REQ_GPA, 32, false }, { REQ_GPA + 0x800, 300 * 16, false },
				    { RESP_GPA, 24, true } };
		uint32_t id;

		tap_ok(create(8, VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM, 300, 1) == VIRTIO_GPU_RESP_OK_NODATA,
		       "resource 8: 300x1");
		hdr(VIRTIO_GPU_CMD_RESOURCE_ATTACH_BACKING);
		p32(24, 8);
		p32(28, 300);
		for (i = 0; i < 300; i++) {
			p64(0x800 + 16 * i, BK_GPA + 0x30000 + 8 * i);	/* every other 4 bytes */
			p32(0x800 + 16 * i + 8, 4);
			g32(BK_GPA + 0x30000 + 8 * i, 0xc0de0000 + i);
		}
		add_chain(&cq, s, 3);
		kick(0);
		tap_ok(dq_used(&cq, &id, &used_len) && r32(0) == VIRTIO_GPU_RESP_OK_NODATA &&
		       gpu.res_entries == 303, "300 entries in a second buffer: attached");
		tap_ok(transfer(8, 0, 0, 300, 1, 0) == VIRTIO_GPU_RESP_OK_NODATA &&
		       scanout(0, 8, 0, 0, 300, 1) == VIRTIO_GPU_RESP_OK_NODATA && d1.nmode == 5,
		       "transfer over 300 4-byte entries, shown");
		for (i = 0, ret = 0; i < gpu.nr_res; i++)
			if (gpu.res[i]->id == 8)
				for (x = 0, ret = 1; x < 300; x++)
					ret &= gpu.res[i]->pixels[4 * x] == (uint8_t)x &&
					       gpu.res[i]->pixels[4 * x + 3] == 0xc0;
		tap_ok(ret, "the 300 pixels gathered from their entries");
		tap_ok(d1.ur.w == 300 && unref(8) == VIRTIO_GPU_RESP_OK_NODATA && d1.mw == 0 &&
		       gpu.res_entries == 3 && scanout(0, 1, 0, 0, W1, H1) == VIRTIO_GPU_RESP_OK_NODATA,
		       "(unref it: scanout back on resource 1)");
	}

	/* The cursor (5.7.6.10). */
	{
		struct virtio_gpu_entry ce = { BK_GPA + 0x10000, 64 * 64 * 4 };
		struct virtio_gpu_entry ce2 = { BK_GPA + 0x20000, 4 };
		uint8_t *cp = mem.base + ce.addr;
		bool same = true;

		for (i = 0; i < 64 * 64 * 4; i++)
			cp[i] = (uint8_t)(i * 7);
		tap_ok(create(20, VIRTIO_GPU_FORMAT_B8G8R8A8_UNORM, 64, 64) == VIRTIO_GPU_RESP_OK_NODATA &&
		       attach(20, &ce, 1) == VIRTIO_GPU_RESP_OK_NODATA &&
		       transfer(20, 0, 0, 64, 64, 0) == VIRTIO_GPU_RESP_OK_NODATA,
		       "cursor resource 64x64 B8G8R8A8, one contiguous entry, transferred");
		n = (uint32_t)gpu.stats.bad_request;
		tap_ok(cursor(VIRTIO_GPU_CMD_UPDATE_CURSOR, 0, 100, 200, 20, 3, 4, 0) == 0 &&
		       used_len == 0 && gpu.stats.cursor_err == 0 && gpu.stats.bad_request == n,
		       "UPDATE_CURSOR without a response buffer (as Linux): served, 0 bytes, no error");
		for (i = 0; i < 64 * 64; i++)
			same &= d1.cimg[i] == ((uint32_t)cp[4 * i] | (uint32_t)cp[4 * i + 1] << 8 |
					       (uint32_t)cp[4 * i + 2] << 16 | (uint32_t)cp[4 * i + 3] << 24);
		tap_ok(d1.ndef == 1 && d1.cw == 64 && d1.ch == 64 && d1.chx == 3 && d1.chy == 4 && same,
		       "cursor_define 64x64 hot (3,4), the resource's pixels as ARGB8888");
		tap_ok(d1.nmove == 1 && d1.cx == 100 && d1.cy == 200 && d1.cvis,
		       "cursor_move (100,200) visible");
		tap_ok(cursor(VIRTIO_GPU_CMD_MOVE_CURSOR, 0, -5, 10, 0, 0, 0, 24) == VIRTIO_GPU_RESP_OK_NODATA &&
		       d1.ndef == 1 && d1.nmove == 2 && d1.cx == -5 && d1.cy == 10 && d1.cvis,
		       "MOVE_CURSOR (-5,10): moves only, OK_NODATA in a response buffer");
		tap_ok(create(21, VIRTIO_GPU_FORMAT_R8G8B8A8_UNORM, 2, 2) == VIRTIO_GPU_RESP_OK_NODATA &&
		       attach(21, &ce2, 1) == VIRTIO_GPU_RESP_OK_NODATA, "cursor resource 2x2 R8G8B8A8");
		memcpy(mem.base + ce2.addr, "\x11\x22\x33\x44", 4);
		tap_ok(transfer(21, 0, 0, 1, 1, 0) == VIRTIO_GPU_RESP_OK_NODATA &&
		       cursor(VIRTIO_GPU_CMD_UPDATE_CURSOR, 0, 1, 2, 21, 100, 100, 24) ==
		       VIRTIO_GPU_RESP_OK_NODATA && d1.ndef == 2 && d1.cimg[0] == 0x44112233 &&
		       d1.cimg[1] == 0 && d1.chx == 1 && d1.chy == 1,
		       "R8G8B8A8 cursor converted to ARGB 0x44112233; hot spot clamped to (1,1)");
		n = (uint32_t)gpu.stats.cursor_err;
		tap_ok(create(22, VIRTIO_GPU_FORMAT_B8G8R8A8_UNORM, 65, 64) == VIRTIO_GPU_RESP_OK_NODATA &&
		       cursor(VIRTIO_GPU_CMD_UPDATE_CURSOR, 0, 0, 0, 22, 0, 0, 24) ==
		       VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER && d1.ndef == 2 &&
		       unref(22) == VIRTIO_GPU_RESP_OK_NODATA, "a 65x64 cursor: INVALID_PARAMETER, ignored");
		tap_ok(cursor(VIRTIO_GPU_CMD_UPDATE_CURSOR, 0, 0, 0, 99, 0, 0, 0) == 0 && d1.ndef == 2 &&
		       cursor(VIRTIO_GPU_CMD_UPDATE_CURSOR, 1, 0, 0, 20, 0, 0, 24) ==
		       VIRTIO_GPU_RESP_ERR_INVALID_SCANOUT_ID && d1.ndef == 2,
		       "cursor of an unknown resource, on scanout 1: ignored");
		tap_ok(cursor(0x0302, 0, 0, 0, 0, 0, 0, 24) == VIRTIO_GPU_RESP_ERR_UNSPEC &&
		       gpu.stats.cursor_err - n == 4, "unknown cursor command: ERR_UNSPEC; 4 cursor errors counted");
		tap_ok(cursor(VIRTIO_GPU_CMD_UPDATE_CURSOR, 0, 7, 8, 0, 0, 0, 0) == 0 && d1.ndef == 3 &&
		       d1.cw == 0 && d1.nmove == 4 && !d1.cvis && d1.cx == 7,
		       "UPDATE_CURSOR resource 0: no image, hidden");
		tap_ok(cursor(VIRTIO_GPU_CMD_MOVE_CURSOR, 0, 9, 9, 0, 0, 0, 0) == 0 && d1.nmove == 5 &&
		       !d1.cvis, "MOVE_CURSOR while hidden: stays hidden");
		cursor(VIRTIO_GPU_CMD_UPDATE_CURSOR, 0, 100, 200, 20, 3, 4, 0);
	}

	/* The display size (5.7.4.1). */
	bar_rd(VIRTIO_PCI_ISR_OFF, 1);
	virtio_gpu_set_preferred_size(&gpu, 1920, 1080);
	tap_ok(bar_rd(VIRTIO_PCI_DEVICE_OFF, 4) == VIRTIO_GPU_EVENT_DISPLAY && irq_line &&
	       bar_rd(VIRTIO_PCI_ISR_OFF, 1) == VIRTIO_ISR_CONFIG,
	       "new size: EVENT_DISPLAY in events_read, a configuration interrupt");
	hdr(VIRTIO_GPU_CMD_GET_DISPLAY_INFO);
	tap_ok(ctrl(24) == VIRTIO_GPU_RESP_OK_DISPLAY_INFO && r32(32) == 1920 && r32(36) == 1080 &&
	       r32(40) == 1, "GET_DISPLAY_INFO: 1920x1080");
	tap_ok(get_edid(0) == VIRTIO_GPU_RESP_OK_EDID && edid_ok(mem.base + RESP_GPA + 32, 1920, 1080),
	       "GET_EDID: preferred 1920x1080, checksum good");
	bar_wr(VIRTIO_PCI_DEVICE_OFF + 4, 4, VIRTIO_GPU_EVENT_DISPLAY);
	tap_ok(bar_rd(VIRTIO_PCI_DEVICE_OFF, 4) == 0 && bar_rd(VIRTIO_PCI_DEVICE_OFF + 4, 4) == 0,
	       "events_clear clears it (and reads 0)");
	nirq_calls = 0;
	virtio_gpu_set_preferred_size(&gpu, 1920, 1080);
	tap_ok(nirq_calls == 0 && bar_rd(VIRTIO_PCI_DEVICE_OFF, 4) == 0, "the same size: no event");
	virtio_gpu_set_preferred_size(&gpu, 10, 99999);
	tap_ok(gpu.width == 64 && gpu.height == 8192 && bar_rd(VIRTIO_PCI_DEVICE_OFF, 4) == 1,
	       "clamped to 64x8192");
	{
		uint8_t e[128];

		virtio_gpu_edid(e, 8192, 5000);
		tap_ok(edid_ok(e, 2048, 1250), "EDID of 8192x5000: timing halved to 2048x1250");
	}
	bar_wr(VIRTIO_PCI_DEVICE_OFF + 4, 4, ~0u);
	virtio_gpu_set_preferred_size(&gpu, 1024, 768);
	bar_wr(VIRTIO_PCI_DEVICE_OFF + 4, 1, 1);
	bar_rd(VIRTIO_PCI_ISR_OFF, 1);

	/* Save, load into a fresh device: the same screen, the same behaviour. */
	tap_ok(scanout(0, 1, 2, 1, 20, 12) == VIRTIO_GPU_RESP_OK_NODATA, "scanout (2,1) 20x12 for the save");
	state_writer_init(&w);
	tap_ok(virtio_gpu_save(&gpu, &w) == 0 && gpu.nr_res == 4 && gpu.res_entries == 5,
	       "save: four resources (5 backing entries), a scanout and a cursor");
	sbuf = state_writer_data(&w, &slen, &err);
	tap_ok(sbuf && load_fresh(&gpu2, &d2, sbuf, slen, 0) == 0, "load into a fresh device");
	tap_ok(gpu2.nr_res == 4 && gpu2.res_bytes == gpu.res_bytes && gpu2.res_entries == 5 &&
	       gpu2.scanout_res == 1 && gpu2.width == 1024, "loaded: resources, backing, scanout");
	tap_ok(d2.nmode == 1 && d2.mw == 20 && d2.mh == 12 && d2.mfmt == DISPLAY_FORMAT_XRGB8888 &&
	       d2.nupd == 1 && d2.ur.w == 20 && d2.ur.h == 12 &&
	       !memcmp(d2.screen, d1.screen, sizeof(d1.screen)),
	       "load shows the screen: set_mode 20x12 and one full update, same pixels");
	tap_ok(d2.ndef == 1 && d2.cw == 64 && d2.chx == 3 && d2.chy == 4 &&
	       !memcmp(d2.cimg, d1.cimg, 64 * 64 * 4) && d2.nmove == 1 && d2.cx == 100 &&
	       d2.cy == 200 && d2.cvis, "load shows the cursor: same image, hot spot, position");
	/* The guest draws on: a transfer and flush served by the loaded device. */
	draw(3);
	direct = &gpu2;
	tap_ok(transfer(1, 0, 0, W1, H1, 0) == VIRTIO_GPU_RESP_OK_NODATA &&
	       flush(1, 0, 0, W1, H1) == VIRTIO_GPU_RESP_OK_NODATA && d2.nupd == 2 &&
	       d2.ur.x == 0 && d2.ur.y == 0 && d2.ur.w == 20 && d2.ur.h == 12,
	       "loaded device: transfer through the restored scattered backing, flush clipped");
	expect_fill(3, 0, 0, W1, H1);
	tap_ok(screen_is(&d2, 2, 1, 20, 12, expect), "loaded device: the flushed pixels are right");
	direct = NULL;
	state_writer_free(&w);
	/* Back into the first (live) device, replacing its resources. */
	state_writer_init(&w);
	virtio_gpu_save(&gpu2, &w);
	sbuf = state_writer_data(&w, &slen, &err);
	{
		struct state_reader r;

		state_reader_init(&r, sbuf, slen);
		n = (uint32_t)d1.nmode;
		tap_ok(virtio_gpu_load(&gpu, &r) == 0 && state_reader_at_end(&r) && gpu.nr_res == 4 &&
		       d1.nmode == (int)n + 1 && screen_is(&d1, 2, 1, 20, 12, expect),
		       "load into the live device: its resources replaced, the new pixels shown");
	}
	virtio_gpu_destroy(&gpu2);

	/* Crafted states: each refused, the fresh device left empty and quiet. */
	sec = gpu_section(sbuf, slen, &pl);
	po = sec + 1 + sbuf[sec] + 12;	/* payload */
	{
		/* Find resource 1's record (its entries follow at +20). */
		size_t o = 16, r1 = 0, r2 = 0, scan, cur;
		uint32_t k;

		for (k = 0; k < 4; k++) {
			uint32_t id, ne;

			memcpy(&id, sbuf + po + o, 4);
			memcpy(&ne, sbuf + po + o + 16, 4);
			memcpy(&x, sbuf + po + o + 8, 4);
			memcpy(&y, sbuf + po + o + 12, 4);
			if (id == 1)
				r1 = o;
			else if (!r2)
				r2 = o;
			o += 20 + 12ull * ne + 4ull * x * y;
		}
		scan = o;
		cur = o + 20;
		struct { size_t off; uint64_t v; unsigned n; const char *what; } bad[] = {
			{ 0, 0, 4, "display width 0" },
			{ 4, 8193, 4, "display height 8193" },
			{ 8, 2, 4, "an unknown event bit" },
			{ 12, VIRTIO_GPU_MAX_RESOURCES + 1, 4, "1025 resources" },
			{ 12, 5, 4, "5 resources in a stream of 4" },
			{ r1, 0, 4, "resource id 0" },
			{ r1, 21, 4, "a resource id twice" },
			{ r1 + 4, 5, 4, "an unknown format" },
			{ r1 + 8, 0xffffffff, 4, "w*h*4 past the cap" },
			{ r1 + 8, 0, 4, "width 0" },
			{ r1 + 16, VIRTIO_GPU_MAX_ENTRIES + 1, 4, "16385 entries" },
			{ r1 + 20, RAM_SIZE - 8, 8, "a backing entry past RAM" },
			{ r1 + 20, ~0ull - 3, 8, "a backing entry wrapping" },
			{ r2, 1, 4, "another resource with id 1" },
			{ scan, 77, 4, "scanout of an unknown resource" },
			{ scan + 4, 0xfffffff0u, 4, "scanout x + w wrapping" },
			{ scan + 12, 0, 4, "scanout width 0" },
			{ scan + 16, 16, 4, "scanout past the resource's bottom" },
			{ cur, 77, 4, "cursor of an unknown resource" },
			{ cur + 4, 64, 4, "cursor hot spot outside" },
			{ cur + 20, 2, 1, "cursor visible = 2" },
			{ cur + 21, 65, 4, "a 65-pixel-wide cursor" },
			{ cur + 21, 32, 4, "a cursor image of another size than its resource" },
		};

		for (k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
			patch_gpu(crafted, sbuf, slen, bad[k].off, bad[k].v, bad[k].n);
			ret = load_fresh(&gpu3, &d3, crafted, slen, 0);
			tap_ok(ret < 0 && gpu3.nr_res == 0 && gpu3.res_bytes == 0 && !d3.nmode &&
			       !d3.ndef && !d3.nmove && !d3.nupd, "load refuses %s (%d)", bad[k].what, ret);
			virtio_gpu_destroy(&gpu3);
		}
		patch_gpu(crafted, sbuf, slen, scan, 1, 4);
		tap_ok(load_fresh(&gpu3, &d3, crafted, slen, 0) == 0,
		       "(the patcher itself: an unchanged field loads)");
		virtio_gpu_destroy(&gpu3);
	}
	tap_ok(gpu.res_bytes > 16384 && load_fresh(&gpu3, &d3, sbuf, slen, 16384) == -EINVAL &&
	       gpu3.nr_res == 0 && !d3.nmode,
	       "a device with a 16 KiB cap refuses %llu bytes of resources",
	       (unsigned long long)gpu.res_bytes);
	virtio_gpu_destroy(&gpu3);
	memcpy(crafted, sbuf, slen);
	crafted[po + 40] ^= 1;
	tap_ok(load_fresh(&gpu3, &d3, crafted, slen, 0) == -EBADMSG && gpu3.nr_res == 0,
	       "a flipped bit: bad checksum, refused");
	virtio_gpu_destroy(&gpu3);
	{
		struct state_reader r;

		state_reader_init(&r, crafted, slen);
		n = (uint32_t)d1.nmode;
		tap_ok(virtio_gpu_load(&gpu, &r) < 0 && gpu.nr_res == 4 && gpu.scanout_res == 1 &&
		       d1.nmode == (int)n, "a refused load leaves the live device as it was");
	}
	state_writer_free(&w);

	/* UNREF of the scanned-out resource disables the scanout. */
	n = (uint32_t)d1.nupd;
	tap_ok(unref(1) == VIRTIO_GPU_RESP_OK_NODATA && d1.mw == 0 && gpu.scanout_res == 0 &&
	       d1.nupd == (int)n, "UNREF of the scanout's resource: set_mode(0), no update");
	tap_ok(flush(20, 0, 0, 64, 64) == VIRTIO_GPU_RESP_OK_NODATA && d1.nupd == (int)n,
	       "flush of a resource not shown: no update");
	tap_ok(scanout(0, 20, 0, 0, 64, 64) == VIRTIO_GPU_RESP_OK_NODATA && d1.mw == 64 &&
	       scanout(0, 0, 0, 0, 0, 0) == VIRTIO_GPU_RESP_OK_NODATA && d1.mw == 0 &&
	       gpu.scanout_res == 0, "SET_SCANOUT resource 0: disabled");

	/* Every format reaches the display as its DRM fourcc (byte order: see the device). */
	{
		static const uint32_t map[8][2] = {
			{ VIRTIO_GPU_FORMAT_B8G8R8A8_UNORM, DISPLAY_FORMAT_ARGB8888 },
			{ VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM, DISPLAY_FORMAT_XRGB8888 },
			{ VIRTIO_GPU_FORMAT_A8R8G8B8_UNORM, DISPLAY_FORMAT_BGRA8888 },
			{ VIRTIO_GPU_FORMAT_X8R8G8B8_UNORM, DISPLAY_FORMAT_BGRX8888 },
			{ VIRTIO_GPU_FORMAT_R8G8B8A8_UNORM, DISPLAY_FORMAT_ABGR8888 },
			{ VIRTIO_GPU_FORMAT_X8B8G8R8_UNORM, DISPLAY_FORMAT_RGBX8888 },
			{ VIRTIO_GPU_FORMAT_A8B8G8R8_UNORM, DISPLAY_FORMAT_RGBA8888 },
			{ VIRTIO_GPU_FORMAT_R8G8B8X8_UNORM, DISPLAY_FORMAT_XBGR8888 },
		};

		for (i = 0, ret = 1; i < 8; i++) {
			ret &= create(300 + i, map[i][0], 8, 8) == VIRTIO_GPU_RESP_OK_NODATA &&
			       scanout(0, 300 + i, 0, 0, 8, 8) == VIRTIO_GPU_RESP_OK_NODATA &&
			       d1.mfmt == map[i][1] && d1.mw == 8;
			ret &= unref(300 + i) == VIRTIO_GPU_RESP_OK_NODATA && d1.mw == 0;
		}
		tap_ok(ret, "the 8 formats: set_mode with their DRM fourccs");
	}

	/* Reset frees everything. */
	tap_ok(scanout(0, 20, 0, 0, 64, 64) == VIRTIO_GPU_RESP_OK_NODATA && d1.mw == 64, "scanout again");
	n = (uint32_t)d1.ndef;
	bar_wr(COMMON(VIRTIO_PCI_COMMON_STATUS), 1, 0);
	tap_ok(gpu.nr_res == 0 && gpu.res_bytes == 0 && gpu.res_entries == 0 && !gpu.res &&
	       d1.mw == 0 && gpu.scanout_res == 0 && d1.ndef == (int)n + 1 && d1.cw == 0 && !d1.cvis,
	       "reset: resources freed, scanout disabled, cursor gone");
	negotiate(VER1);
	setup_queue(&cq, 0, 64, VIRTIO_PCI_NO_VECTOR);
	setup_queue(&kq, 1, 64, VIRTIO_PCI_NO_VECTOR);
	driver_ok();
	tap_ok(create(1, VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM, W1, H1) == VIRTIO_GPU_RESP_OK_NODATA &&
	       gpu.nr_res == 1, "after reset: resource id 1 is free again");
	virtio_gpu_destroy(&gpu);
	tap_ok(gpu.nr_res == 0 && !gpu.res, "destroy frees the resources");
	free(mem.base);
	return tap_done();
}
