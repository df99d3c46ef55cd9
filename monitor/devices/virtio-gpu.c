// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * devices/virtio-gpu.c - virtio GPU, 2D (virtio 1.2 5.7; see virtio-gpu.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "devices/virtio-gpu.h"
#include "state/stream.h"

#define HDR		VIRTIO_GPU_CTRL_HDR_LEN
#define BPP		4

/* --- little-endian fields of the request and response structs ----------- */

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

/* struct virtio_gpu_rect (5.7.6.7): le32 x, y, width, height. */
static struct display_rect get_rect(const uint8_t *p)
{
	struct display_rect r = { le32(p), le32(p + 4), le32(p + 8), le32(p + 12) };

	return r;
}

/* --- formats ------------------------------------------------------------- */

/*
 * The virtio formats name the bytes in memory order (5.7.6.8: the first
 * letter is byte 0); DRM fourccs name the bits of a little-endian 32-bit
 * word from 31 down to 0, i.e. bytes 3..0.  So a format maps to the DRM
 * name that lists the same bytes reversed:
 *   B8G8R8A8: bytes B,G,R,A -> word A:R:G:B = ARGB8888
 *   B8G8R8X8: bytes B,G,R,X -> word x:R:G:B = XRGB8888
 *   A8R8G8B8: bytes A,R,G,B -> word B:G:R:A = BGRA8888
 *   X8R8G8B8: bytes X,R,G,B -> word B:G:R:x = BGRX8888
 *   R8G8B8A8: bytes R,G,B,A -> word A:B:G:R = ABGR8888
 *   X8B8G8R8: bytes X,B,G,R -> word R:G:B:x = RGBX8888
 *   A8B8G8R8: bytes A,B,G,R -> word R:G:B:A = RGBA8888
 *   R8G8B8X8: bytes R,G,B,X -> word x:B:G:R = XBGR8888
 * (Linux's driver maps DRM_FORMAT_XRGB8888 to B8G8R8X8 the same way.)
 * The byte offsets of R, G, B and A (-1: none, opaque) convert a cursor.
 */
static const struct gpu_format {
	uint32_t virtio, drm;
	int8_t r, g, b, a;
} formats[] = {
	{ VIRTIO_GPU_FORMAT_B8G8R8A8_UNORM, DISPLAY_FORMAT_ARGB8888, 2, 1, 0, 3 },
	{ VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM, DISPLAY_FORMAT_XRGB8888, 2, 1, 0, -1 },
	{ VIRTIO_GPU_FORMAT_A8R8G8B8_UNORM, DISPLAY_FORMAT_BGRA8888, 1, 2, 3, 0 },
	{ VIRTIO_GPU_FORMAT_X8R8G8B8_UNORM, DISPLAY_FORMAT_BGRX8888, 1, 2, 3, -1 },
	{ VIRTIO_GPU_FORMAT_R8G8B8A8_UNORM, DISPLAY_FORMAT_ABGR8888, 0, 1, 2, 3 },
	{ VIRTIO_GPU_FORMAT_X8B8G8R8_UNORM, DISPLAY_FORMAT_RGBX8888, 3, 2, 1, -1 },
	{ VIRTIO_GPU_FORMAT_A8B8G8R8_UNORM, DISPLAY_FORMAT_RGBA8888, 3, 2, 1, 0 },
	{ VIRTIO_GPU_FORMAT_R8G8B8X8_UNORM, DISPLAY_FORMAT_XBGR8888, 0, 1, 2, -1 },
};

static const struct gpu_format *find_format(uint32_t virtio)
{
	size_t i;

	for (i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		if (formats[i].virtio == virtio)
			return &formats[i];
	return NULL;
}

/* --- resources ----------------------------------------------------------- */

static struct virtio_gpu_resource *find_res(const struct virtio_gpu *g,
					    uint32_t id)
{
	unsigned i;

	if (!id)
		return NULL;
	for (i = 0; i < g->nr_res; i++)
		if (g->res[i]->id == id)
			return g->res[i];
	return NULL;
}

/* Bytes of a width x height resource, or 0 if that overflows or is empty. */
static size_t res_size(uint32_t width, uint32_t height)
{
	uint64_t n = (uint64_t)width * height;	/* < 2^64 */

	if (!width || !height || n > SIZE_MAX / BPP)
		return 0;
	return (size_t)(n * BPP);
}

/* Is rectangle r inside a width x height area (no wrap: x + w <= width)? */
static bool rect_inside(const struct display_rect *r, uint32_t width,
			uint32_t height)
{
	return r->x <= width && r->w <= width - r->x &&
	       r->y <= height && r->h <= height - r->y;
}

static void res_free(struct virtio_gpu_resource *res)
{
	free(res->entries);
	free(res->pixels);
	free(res);
}

/* The scanout shows nothing: tells the display once. */
static void scanout_disable(struct virtio_gpu *g)
{
	g->scanout_res = 0;
	memset(&g->scanout, 0, sizeof(g->scanout));
	if (g->mode_w) {
		g->mode_w = g->mode_h = g->mode_format = 0;
		if (g->ops.set_mode)
			g->ops.set_mode(g->opaque, 0, 0, 0);
	}
}

/* Sends rectangle r (resource coordinates, inside the scanout) to the display. */
static void scanout_update(struct virtio_gpu *g,
			   const struct virtio_gpu_resource *res,
			   const struct display_rect *r)
{
	struct display_rect d = {
		r->x - g->scanout.x, r->y - g->scanout.y, r->w, r->h
	};
	size_t stride = (size_t)res->width * BPP;

	if (!g->ops.update || !r->w || !r->h)
		return;
	g->ops.update(g->opaque, &d,
		      res->pixels + (size_t)r->y * stride + (size_t)r->x * BPP,
		      (uint32_t)stride);
}

/* Removes res from the table (and the screen) and frees it. */
static void res_destroy(struct virtio_gpu *g, unsigned i)
{
	struct virtio_gpu_resource *res = g->res[i];

	if (g->scanout_res == res->id)
		scanout_disable(g);
	/* The display copied the cursor image: it stays shown. */
	if (g->cursor_res == res->id)
		g->cursor_res = 0;
	g->res_bytes -= res->size;
	g->res_entries -= res->nr_entries;
	g->res[i] = g->res[--g->nr_res];
	res_free(res);
}

/* Frees every resource without a word to the display (the caller's job). */
static void res_free_all(struct virtio_gpu *g)
{
	while (g->nr_res)
		res_free(g->res[--g->nr_res]);
	free(g->res);
	g->res = NULL;
	g->res_bytes = g->res_entries = 0;
	g->scanout_res = g->cursor_res = 0;
}

/*
 * Checks a backing list against guest RAM and the per-resource limit;
 * sets *total and *contiguous.  Returns 0 or a VIRTIO_GPU_RESP_ERR_*.
 */
static uint32_t check_entries(const struct virtio_gpu *g,
			      const struct virtio_gpu_entry *ents, uint32_t n,
			      uint64_t *total, bool *contiguous)
{
	uint64_t sum = 0;
	bool contig = true;
	uint32_t i;

	if (n > VIRTIO_GPU_MAX_ENTRIES)
		return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
	for (i = 0; i < n; i++) {
		if (!gmem_ptr(g->vp.mem, ents[i].addr, ents[i].len))
			return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
		if (i && ents[i - 1].addr + ents[i - 1].len != ents[i].addr)
			contig = false;
		sum += ents[i].len;	/* n * 2^32 at most: no wrap */
	}
	*total = sum;
	*contiguous = contig;
	return 0;
}

/*
 * Copies backing bytes [off, off + len) into dst, walking the entries
 * from *idx / *base (the first byte of entry *idx), which only move
 * forward: successive rows cost O(rows + entries).  Returns false if a
 * byte is not backed (or left RAM).
 */
static bool backing_read(const struct virtio_gpu *g,
			 const struct virtio_gpu_resource *res,
			 uint32_t *idx, uint64_t *base, uint64_t off,
			 uint8_t *dst, size_t len)
{
	while (len) {
		const struct virtio_gpu_entry *e;
		uint64_t in;
		size_t n;
		void *src;

		while (*idx < res->nr_entries &&
		       off - *base >= res->entries[*idx].len) {
			*base += res->entries[*idx].len;
			(*idx)++;
		}
		if (*idx >= res->nr_entries)
			return false;
		e = &res->entries[*idx];
		in = off - *base;
		n = e->len - in < len ? (size_t)(e->len - in) : len;
		src = gmem_ptr(g->vp.mem, e->addr + in, n);
		if (!src)
			return false;
		memcpy(dst, src, n);
		dst += n;
		off += n;
		len -= n;
	}
	return true;
}

/* --- commands (5.7.6.8) -------------------------------------------------- */

struct gpu_req {
	const struct virtq_elem *e;
	uint8_t cmd[64];		/* the command struct, header first */
	uint8_t *resp;			/* g->resp */
	size_t resp_len;		/* bytes of it to return */
};

static uint32_t cmd_display_info(struct virtio_gpu *g, struct gpu_req *rq)
{
	uint8_t *one = rq->resp + HDR;	/* pmodes[0] */

	/* 5.7.6.8: pmodes[16] of { rect r; le32 enabled; le32 flags; }. */
	memset(rq->resp + HDR, 0, VIRTIO_GPU_MAX_SCANOUTS * 24);
	put32(one + 8, g->width);
	put32(one + 12, g->height);
	put32(one + 16, 1);
	rq->resp_len = HDR + VIRTIO_GPU_MAX_SCANOUTS * 24;
	return VIRTIO_GPU_RESP_OK_DISPLAY_INFO;
}

static uint32_t cmd_create_2d(struct virtio_gpu *g, struct gpu_req *rq)
{
	uint32_t id = le32(rq->cmd + HDR), format = le32(rq->cmd + HDR + 4);
	uint32_t width = le32(rq->cmd + HDR + 8), height = le32(rq->cmd + HDR + 12);
	const struct gpu_format *f = find_format(format);
	struct virtio_gpu_resource *res, **tab;
	size_t size;

	if (!id || find_res(g, id))
		return VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID;
	if (!f)
		return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
	size = res_size(width, height);
	if (!size)
		return width && height ? VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY :
					 VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
	if (size > g->mem_cap - g->res_bytes || g->nr_res >= VIRTIO_GPU_MAX_RESOURCES)
		return VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY;
	tab = realloc(g->res, (g->nr_res + 1) * sizeof(*tab));
	if (!tab)
		return VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY;
	g->res = tab;
	res = calloc(1, sizeof(*res));
	if (!res)
		return VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY;
	/* 5.7.6.8: the host allocates the resource; calloc starts it black. */
	res->pixels = calloc(1, size);
	if (!res->pixels) {
		free(res);
		return VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY;
	}
	res->id = id;
	res->format = format;
	res->drm_format = f->drm;
	res->width = width;
	res->height = height;
	res->size = size;
	g->res[g->nr_res++] = res;
	g->res_bytes += size;
	return VIRTIO_GPU_RESP_OK_NODATA;
}

static unsigned res_index(const struct virtio_gpu *g, uint32_t id)
{
	unsigned i;

	for (i = 0; i < g->nr_res; i++)
		if (g->res[i]->id == id)
			break;
	return i;
}

static uint32_t cmd_unref(struct virtio_gpu *g, struct gpu_req *rq)
{
	uint32_t id = le32(rq->cmd + HDR);
	unsigned i = res_index(g, id);

	if (!id || i == g->nr_res)
		return VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID;
	res_destroy(g, i);
	return VIRTIO_GPU_RESP_OK_NODATA;
}

/*
 * Points the scanout at rectangle r of res (already checked), telling the
 * display: a new mode if the size or format changed, then the whole
 * scanout.  Returns 0 or -errno of set_mode (nothing changed then).
 */
static int scanout_set(struct virtio_gpu *g, struct virtio_gpu_resource *res,
		       const struct display_rect *r)
{
	bool moved = g->scanout_res != res->id || memcmp(&g->scanout, r, sizeof(*r));

	if (g->mode_w != r->w || g->mode_h != r->h ||
	    g->mode_format != res->drm_format) {
		int ret = g->ops.set_mode ?
			  g->ops.set_mode(g->opaque, r->w, r->h, res->drm_format) : 0;

		if (ret < 0)
			return ret;
		g->mode_w = r->w;
		g->mode_h = r->h;
		g->mode_format = res->drm_format;
		moved = true;
	}
	g->scanout_res = res->id;
	g->scanout = *r;
	if (moved)
		scanout_update(g, res, r);
	return 0;
}

static uint32_t cmd_set_scanout(struct virtio_gpu *g, struct gpu_req *rq)
{
	struct display_rect r = get_rect(rq->cmd + HDR);
	uint32_t scanout = le32(rq->cmd + HDR + 16), id = le32(rq->cmd + HDR + 20);
	struct virtio_gpu_resource *res;

	if (scanout != 0)
		return VIRTIO_GPU_RESP_ERR_INVALID_SCANOUT_ID;
	/* 5.7.6.8: resource 0 disables the scanout. */
	if (!id) {
		scanout_disable(g);
		return VIRTIO_GPU_RESP_OK_NODATA;
	}
	res = find_res(g, id);
	if (!res)
		return VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID;
	if (!r.w || !r.h || r.w > DISPLAY_MAX_WIDTH || r.h > DISPLAY_MAX_HEIGHT ||
	    !rect_inside(&r, res->width, res->height))
		return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
	if (scanout_set(g, res, &r) < 0)
		return VIRTIO_GPU_RESP_ERR_UNSPEC;
	return VIRTIO_GPU_RESP_OK_NODATA;
}

static uint32_t cmd_flush(struct virtio_gpu *g, struct gpu_req *rq)
{
	struct display_rect r = get_rect(rq->cmd + HDR), s = g->scanout;
	struct virtio_gpu_resource *res = find_res(g, le32(rq->cmd + HDR + 16));
	uint32_t x0, y0, x1, y1;

	if (!res)
		return VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID;
	if (!rect_inside(&r, res->width, res->height))
		return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
	if (g->scanout_res != res->id)
		return VIRTIO_GPU_RESP_OK_NODATA;
	/* Both rectangles are inside the resource: these sums cannot wrap. */
	x0 = r.x > s.x ? r.x : s.x;
	y0 = r.y > s.y ? r.y : s.y;
	x1 = r.x + r.w < s.x + s.w ? r.x + r.w : s.x + s.w;
	y1 = r.y + r.h < s.y + s.h ? r.y + r.h : s.y + s.h;
	if (x0 < x1 && y0 < y1) {
		struct display_rect c = { x0, y0, x1 - x0, y1 - y0 };

		scanout_update(g, res, &c);
	}
	return VIRTIO_GPU_RESP_OK_NODATA;
}

static uint32_t cmd_transfer(struct virtio_gpu *g, struct gpu_req *rq)
{
	struct display_rect r = get_rect(rq->cmd + HDR);
	uint64_t off = le64(rq->cmd + HDR + 16), need;
	struct virtio_gpu_resource *res = find_res(g, le32(rq->cmd + HDR + 24));
	size_t stride, row;
	uint8_t *fast = NULL;
	uint32_t idx = 0, y;
	uint64_t base = 0;

	if (!res)
		return VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID;
	if (!rect_inside(&r, res->width, res->height))
		return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
	if (!r.w || !r.h)
		return VIRTIO_GPU_RESP_OK_NODATA;
	/*
	 * As Linux lays the backing out: rows of width * 4 bytes, `off` the
	 * byte of pixel (r.x, r.y).  need < the resource's size: no wrap.
	 */
	stride = (size_t)res->width * BPP;
	row = (size_t)r.w * BPP;
	need = (uint64_t)(r.h - 1) * stride + row;
	if (off > res->backing_len || need > res->backing_len - off)
		return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
	if (res->contiguous)
		fast = gmem_ptr(g->vp.mem, res->entries[0].addr, res->backing_len);
	for (y = 0; y < r.h; y++) {
		uint8_t *dst = res->pixels + (size_t)(r.y + y) * stride +
			       (size_t)r.x * BPP;
		uint64_t o = off + (uint64_t)y * stride;

		if (fast)
			memcpy(dst, fast + o, row);
		else if (!backing_read(g, res, &idx, &base, o, dst, row))
			return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
	}
	return VIRTIO_GPU_RESP_OK_NODATA;
}

static uint32_t cmd_attach(struct virtio_gpu *g, struct gpu_req *rq)
{
	struct virtio_gpu_resource *res = find_res(g, le32(rq->cmd + HDR));
	uint32_t n = le32(rq->cmd + HDR + 4), i, err;
	uint8_t raw[256 * 16];
	struct virtio_gpu_entry *ents;
	uint64_t total;
	bool contig;

	if (!res)
		return VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID;
	if (res->nr_entries)	/* detach first (Linux never attaches twice) */
		return VIRTIO_GPU_RESP_ERR_UNSPEC;
	if (!n || n > VIRTIO_GPU_MAX_ENTRIES)
		return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
	if (n > VIRTIO_GPU_MAX_ENTRIES_TOTAL - g->res_entries)
		return VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY;
	/* The entries follow the command struct in the readable buffers. */
	if (rq->e->out_len < HDR + 8 + (uint64_t)n * 16)
		return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
	ents = calloc(n, sizeof(*ents));
	if (!ents)
		return VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY;
	/* Linux puts them in a buffer of their own; read them 256 at a time. */
	for (i = 0; i < n; i++) {
		if (!(i % 256))
			virtq_elem_from_guest(rq->e, HDR + 8 + (uint64_t)i * 16, raw,
					      (n - i < 256 ? n - i : 256) * 16);
		ents[i].addr = le64(raw + i % 256 * 16);
		ents[i].len = le32(raw + i % 256 * 16 + 8);
	}
	err = check_entries(g, ents, n, &total, &contig);
	if (err) {
		free(ents);
		return err;
	}
	res->entries = ents;
	res->nr_entries = n;
	res->backing_len = total;
	res->contiguous = contig;
	g->res_entries += n;
	return VIRTIO_GPU_RESP_OK_NODATA;
}

static void res_detach(struct virtio_gpu *g, struct virtio_gpu_resource *res)
{
	g->res_entries -= res->nr_entries;
	free(res->entries);
	res->entries = NULL;
	res->nr_entries = 0;
	res->backing_len = 0;
	res->contiguous = false;
}

static uint32_t cmd_detach(struct virtio_gpu *g, struct gpu_req *rq)
{
	struct virtio_gpu_resource *res = find_res(g, le32(rq->cmd + HDR));

	if (!res)
		return VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID;
	res_detach(g, res);
	return VIRTIO_GPU_RESP_OK_NODATA;
}

/* --- EDID ---------------------------------------------------------------- */

/* A detailed timing descriptor (EDID 1.4 section 3.10.2) for w x h. */
static void edid_dtd(uint8_t *d, uint32_t w, uint32_t h, uint32_t mm_w,
		     uint32_t mm_h)
{
	/* Reduced blanking: 160 pixels (48 front, 32 sync), 30 lines (3, 6). */
	const uint32_t hbl = 160, hfp = 48, hsw = 32, vbl = 30, vfp = 3, vsw = 6;
	uint64_t clk = ((uint64_t)(w + hbl) * (h + vbl) * 60 + 9999) / 10000;

	if (clk > 0xffff)	/* 655.35 MHz: the refresh drops below 60 Hz */
		clk = 0xffff;
	d[0] = (uint8_t)clk;
	d[1] = (uint8_t)(clk >> 8);
	d[2] = (uint8_t)w;
	d[3] = (uint8_t)hbl;
	d[4] = (uint8_t)((w >> 8) << 4 | hbl >> 8);
	d[5] = (uint8_t)h;
	d[6] = (uint8_t)vbl;
	d[7] = (uint8_t)((h >> 8) << 4 | vbl >> 8);
	d[8] = (uint8_t)hfp;
	d[9] = (uint8_t)hsw;
	d[10] = (uint8_t)((vfp & 15) << 4 | (vsw & 15));
	d[11] = (uint8_t)((hfp >> 8) << 6 | (hsw >> 8) << 4 | (vfp >> 4) << 2 | vsw >> 4);
	d[12] = (uint8_t)mm_w;
	d[13] = (uint8_t)mm_h;
	d[14] = (uint8_t)((mm_w >> 8) << 4 | (mm_h >> 8));
	d[15] = d[16] = 0;			/* no border */
	d[17] = 0x18 | 0x02;			/* digital separate sync, +hsync -vsync */
}

void virtio_gpu_edid(uint8_t *e, uint32_t width, uint32_t height)
{
	/* sRGB primaries and D65 white, x/y in 1/1024 (section 3.7). */
	static const uint16_t chroma[8] = { 655, 338, 307, 614, 154, 61, 320, 337 };
	static const char name[] = "vmain";
	/* Manufacturer "VMN": three 5-bit letters, 'A' = 1, big-endian. */
	const uint16_t mfg = ('V' - '@') << 10 | ('M' - '@') << 5 | ('N' - '@');
	/* Physical size at 96 dpi (0.2646 mm a pixel); fits 12 bits for 8192. */
	uint32_t mm_w = width * 254 / 960, mm_h = height * 254 / 960;
	uint32_t w = width, h = height;
	uint8_t sum = 0;
	unsigned i;

	memset(e, 0, VIRTIO_GPU_EDID_LEN);
	/* 3.3: header, vendor and product, EDID 1.4. */
	memset(e + 1, 0xff, 6);
	e[8] = (uint8_t)(mfg >> 8);
	e[9] = (uint8_t)mfg;
	e[10] = 0x01;				/* product code 1 */
	e[16] = 0;				/* week unspecified */
	e[17] = 2026 - 1990;			/* model year */
	e[18] = 1;
	e[19] = 4;
	/* 3.6: digital, 8 bits a colour; size in cm; gamma 2.2; sRGB, PTM native. */
	e[20] = 0x80 | 2 << 4;
	e[21] = (uint8_t)((mm_w + 5) / 10 ? (mm_w + 5) / 10 : 1);
	e[22] = (uint8_t)((mm_h + 5) / 10 ? (mm_h + 5) / 10 : 1);
	e[23] = 220 - 100;
	e[24] = 0x04 | 0x02;
	e[25] = (uint8_t)((chroma[0] & 3) << 6 | (chroma[1] & 3) << 4 |
			  (chroma[2] & 3) << 2 | (chroma[3] & 3));
	e[26] = (uint8_t)((chroma[4] & 3) << 6 | (chroma[5] & 3) << 4 |
			  (chroma[6] & 3) << 2 | (chroma[7] & 3));
	for (i = 0; i < 8; i++)
		e[27 + i] = (uint8_t)(chroma[i] >> 2);
	/* 3.8, 3.9: no established timings; standard timings unused (01 01). */
	for (i = 38; i < 54; i++)
		e[i] = 1;
	/* 3.10: the preferred timing first; its fields hold 12 bits. */
	while (w > 4095 || h > 4095) {
		w /= 2;
		h /= 2;
	}
	edid_dtd(e + 54, w, h, mm_w, mm_h);
	/* 3.10.3.4: the monitor name, ended by a line feed, padded by spaces. */
	e[72 + 3] = 0xfc;
	memset(e + 72 + 5, ' ', 13);
	memcpy(e + 72 + 5, name, sizeof(name) - 1);
	e[72 + 5 + sizeof(name) - 1] = '\n';
	/* 3.10.3.11: the other two descriptors are dummies. */
	e[90 + 3] = 0x10;
	e[108 + 3] = 0x10;
	/* 3.11: no extension blocks; the checksum makes the bytes sum to 0. */
	for (i = 0; i < VIRTIO_GPU_EDID_LEN - 1; i++)
		sum = (uint8_t)(sum + e[i]);
	e[127] = (uint8_t)(0x100 - sum);
}

static uint32_t cmd_get_edid(struct virtio_gpu *g, struct gpu_req *rq)
{
	/* 5.7.6.8: { hdr; le32 size; le32 padding; u8 edid[1024]; }. */
	if (le32(rq->cmd + HDR) != 0)
		return VIRTIO_GPU_RESP_ERR_INVALID_SCANOUT_ID;
	memset(rq->resp + HDR, 0, 8 + 1024);
	put32(rq->resp + HDR, VIRTIO_GPU_EDID_LEN);
	virtio_gpu_edid(rq->resp + HDR + 8, g->width, g->height);
	rq->resp_len = HDR + 8 + 1024;
	return VIRTIO_GPU_RESP_OK_EDID;
}

/* --- cursor (5.7.6.10) --------------------------------------------------- */

/* struct virtio_gpu_update_cursor: hdr; pos { scanout_id, x, y, pad }; resource_id, hot_x, hot_y, pad. */
static uint32_t cmd_update_cursor(struct virtio_gpu *g, struct gpu_req *rq)
{
	const uint8_t *c = rq->cmd + HDR;
	int32_t x = (int32_t)le32(c + 4), y = (int32_t)le32(c + 8);
	uint32_t id = le32(c + 16), hot_x = le32(c + 20), hot_y = le32(c + 24);
	struct virtio_gpu_resource *res;
	const struct gpu_format *f;
	uint32_t i, n;

	if (le32(c) != 0)
		return VIRTIO_GPU_RESP_ERR_INVALID_SCANOUT_ID;
	if (!id) {
		g->cursor_res = 0;
		g->cursor_w = g->cursor_h = g->cursor_hot_x = g->cursor_hot_y = 0;
		g->cursor_x = x;
		g->cursor_y = y;
		g->cursor_visible = false;
		if (g->ops.cursor_define)
			g->ops.cursor_define(g->opaque, 0, 0, 0, 0, NULL);
		if (g->ops.cursor_move)
			g->ops.cursor_move(g->opaque, x, y, false);
		return VIRTIO_GPU_RESP_OK_NODATA;
	}
	res = find_res(g, id);
	if (!res)
		return VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID;
	if (res->width > DISPLAY_CURSOR_MAX || res->height > DISPLAY_CURSOR_MAX)
		return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
	f = find_format(res->format);
	n = res->width * res->height;
	for (i = 0; i < n; i++) {
		const uint8_t *p = res->pixels + (size_t)i * BPP;
		uint32_t a = f->a < 0 ? 0xff : p[f->a];

		g->cursor_img[i] = a << 24 | (uint32_t)p[f->r] << 16 |
				   (uint32_t)p[f->g] << 8 | p[f->b];
	}
	/* The display wants the hot spot inside the image. */
	g->cursor_res = id;
	g->cursor_w = res->width;
	g->cursor_h = res->height;
	g->cursor_hot_x = hot_x < res->width ? hot_x : res->width - 1;
	g->cursor_hot_y = hot_y < res->height ? hot_y : res->height - 1;
	g->cursor_x = x;
	g->cursor_y = y;
	g->cursor_visible = true;
	if (g->ops.cursor_define &&
	    g->ops.cursor_define(g->opaque, g->cursor_w, g->cursor_h, g->cursor_hot_x,
				 g->cursor_hot_y, g->cursor_img) < 0)
		return VIRTIO_GPU_RESP_ERR_UNSPEC;
	if (g->ops.cursor_move)
		g->ops.cursor_move(g->opaque, x, y, true);
	return VIRTIO_GPU_RESP_OK_NODATA;
}

static uint32_t cmd_move_cursor(struct virtio_gpu *g, struct gpu_req *rq)
{
	const uint8_t *c = rq->cmd + HDR;

	if (le32(c) != 0)
		return VIRTIO_GPU_RESP_ERR_INVALID_SCANOUT_ID;
	g->cursor_x = (int32_t)le32(c + 4);
	g->cursor_y = (int32_t)le32(c + 8);
	if (g->ops.cursor_move)
		g->ops.cursor_move(g->opaque, g->cursor_x, g->cursor_y, g->cursor_visible);
	return VIRTIO_GPU_RESP_OK_NODATA;
}

/* --- the queues ---------------------------------------------------------- */

/* Each command: its queue, the size of its struct, its handler. */
static const struct gpu_cmd {
	uint32_t type;
	unsigned queue;
	uint32_t len;
	uint32_t (*run)(struct virtio_gpu *g, struct gpu_req *rq);
} cmds[] = {
	{ VIRTIO_GPU_CMD_GET_DISPLAY_INFO, VIRTIO_GPU_CTRLQ, HDR, cmd_display_info },
	{ VIRTIO_GPU_CMD_RESOURCE_CREATE_2D, VIRTIO_GPU_CTRLQ, HDR + 16, cmd_create_2d },
	{ VIRTIO_GPU_CMD_RESOURCE_UNREF, VIRTIO_GPU_CTRLQ, HDR + 8, cmd_unref },
	{ VIRTIO_GPU_CMD_SET_SCANOUT, VIRTIO_GPU_CTRLQ, HDR + 24, cmd_set_scanout },
	{ VIRTIO_GPU_CMD_RESOURCE_FLUSH, VIRTIO_GPU_CTRLQ, HDR + 24, cmd_flush },
	{ VIRTIO_GPU_CMD_TRANSFER_TO_HOST_2D, VIRTIO_GPU_CTRLQ, HDR + 32, cmd_transfer },
	{ VIRTIO_GPU_CMD_RESOURCE_ATTACH_BACKING, VIRTIO_GPU_CTRLQ, HDR + 8, cmd_attach },
	{ VIRTIO_GPU_CMD_RESOURCE_DETACH_BACKING, VIRTIO_GPU_CTRLQ, HDR + 8, cmd_detach },
	{ VIRTIO_GPU_CMD_GET_EDID, VIRTIO_GPU_CTRLQ, HDR + 8, cmd_get_edid },
	{ VIRTIO_GPU_CMD_UPDATE_CURSOR, VIRTIO_GPU_CURSORQ, HDR + 32, cmd_update_cursor },
	{ VIRTIO_GPU_CMD_MOVE_CURSOR, VIRTIO_GPU_CURSORQ, HDR + 32, cmd_move_cursor },
};

/* Serves one chain of queue q; returns the bytes written into it. */
static uint32_t serve(struct virtio_gpu *g, unsigned q, const struct virtq_elem *e)
{
	struct gpu_req rq = { .e = e, .resp = g->resp, .resp_len = HDR };
	const struct gpu_cmd *c = NULL;
	uint32_t type = 0, resp;
	size_t i;

	/* The controlq answers every command: no room for a header, no command. */
	if (q == VIRTIO_GPU_CTRLQ && e->in_len < HDR) {
		g->stats.bad_request++;
		return 0;
	}
	memset(rq.cmd, 0, sizeof(rq.cmd));
	if (e->out_len >= HDR) {
		virtq_elem_from_guest(e, 0, rq.cmd, HDR);
		type = le32(rq.cmd);
		for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
			if (cmds[i].type == type && cmds[i].queue == q)
				c = &cmds[i];
	}
	if (e->out_len < HDR || (c && e->out_len < c->len)) {
		g->stats.bad_request++;
		resp = VIRTIO_GPU_RESP_ERR_UNSPEC;
	} else if (!c) {
		resp = VIRTIO_GPU_RESP_ERR_UNSPEC;	/* 3D, blobs, capsets, unknown */
	} else {
		virtq_elem_from_guest(e, 0, rq.cmd, c->len);
		resp = c->run(g, &rq);
	}
	if (resp >= VIRTIO_GPU_RESP_ERR_UNSPEC) {
		g->stats.err_resp++;
		if (q == VIRTIO_GPU_CURSORQ)
			g->stats.cursor_err++;
	}
	if (e->in_len < HDR)	/* the cursorq without a response buffer */
		return 0;
	/* A data response that does not fit: the header alone, as an error. */
	if (e->in_len < rq.resp_len) {
		if (resp < VIRTIO_GPU_RESP_ERR_UNSPEC) {
			g->stats.bad_request++;
			g->stats.err_resp++;
		}
		resp = VIRTIO_GPU_RESP_ERR_UNSPEC;
		rq.resp_len = HDR;
	}
	if (resp >= VIRTIO_GPU_RESP_ERR_UNSPEC)
		rq.resp_len = HDR;
	/*
	 * 5.7.6.7: a fenced request echoes the flag and fence_id; every
	 * command is complete by now, so its fence is too.  ctx_id is 0 in
	 * 2D (echoed anyway); ring_idx needs CONTEXT_INIT, not offered.
	 */
	memset(g->resp, 0, HDR);
	put32(g->resp, resp);
	put32(g->resp + 4, le32(rq.cmd + 4) & VIRTIO_GPU_FLAG_FENCE);
	put64(g->resp + 8, le64(rq.cmd + 8));
	put32(g->resp + 16, le32(rq.cmd + 16));
	return (uint32_t)virtq_elem_to_guest(e, 0, g->resp, rq.resp_len);
}

static void serve_queue(struct virtio_gpu *g, unsigned q)
{
	struct virtq *vq = virtio_pci_queue(&g->vp, q);
	struct virtq_elem *e = &g->elem;
	bool pushed = false;

	if (!vq)
		return;
	while (virtq_pop(vq, e) == 1) {
		virtq_push(vq, e->head, serve(g, q, e));
		pushed = true;
	}
	if (pushed)
		virtio_pci_notify_queue(&g->vp, q);
}

void virtio_gpu_kick(struct virtio_gpu *g)
{
	serve_queue(g, VIRTIO_GPU_CTRLQ);
	serve_queue(g, VIRTIO_GPU_CURSORQ);
}

/* --- transport hooks ----------------------------------------------------- */

static void gpu_cfg_read(void *opaque, uint32_t off, unsigned size,
			 uint64_t *val)
{
	struct virtio_gpu *g = opaque;
	uint8_t cfg[VIRTIO_GPU_CFG_LEN] = { 0 };
	unsigned i;

	/* 5.7.4: events_read, events_clear (reads 0), num_scanouts, num_capsets. */
	put32(cfg, g->events_read);
	put32(cfg + 8, 1);
	*val = 0;
	for (i = 0; i < size && off + i < sizeof(cfg); i++)
		*val |= (uint64_t)cfg[off + i] << (8 * i);
}

static void gpu_cfg_write(void *opaque, uint32_t off, unsigned size,
			  uint64_t val)
{
	struct virtio_gpu *g = opaque;
	unsigned i;

	/* 5.7.4: writing 1s to events_clear clears those bits of events_read. */
	for (i = 0; i < size; i++)
		if (off + i >= 4 && off + i < 8)
			g->events_read &= ~((uint32_t)(uint8_t)(val >> 8 * i) << 8 * (off + i - 4));
}

static void gpu_notify(void *opaque, unsigned q)
{
	serve_queue(opaque, q);
}

static void cursor_hide(struct virtio_gpu *g)
{
	bool shown = g->cursor_w || g->cursor_visible;

	g->cursor_res = g->cursor_w = g->cursor_h = 0;
	g->cursor_hot_x = g->cursor_hot_y = 0;
	g->cursor_x = g->cursor_y = 0;
	g->cursor_visible = false;
	if (!shown)
		return;
	if (g->ops.cursor_define)
		g->ops.cursor_define(g->opaque, 0, 0, 0, 0, NULL);
	if (g->ops.cursor_move)
		g->ops.cursor_move(g->opaque, 0, 0, false);
}

/* 5.7.1 / 2.4: a reset forgets the resources, the scanout and the cursor. */
static int gpu_reset(void *opaque)
{
	struct virtio_gpu *g = opaque;

	scanout_disable(g);
	cursor_hide(g);
	res_free_all(g);
	g->events_read = 0;
	return 0;
}

static const struct virtio_dev_ops gpu_ops = {
	.cfg_read = gpu_cfg_read,
	.cfg_write = gpu_cfg_write,
	.queue_notify = gpu_notify,
	.reset = gpu_reset,
};

int virtio_gpu_init(struct virtio_gpu *g, struct pci_bus *bus, int slot,
		    const struct gmem *mem, const struct virtio_gpu_ops *ops,
		    void *opaque, uint64_t mem_cap)
{
	int ret;

	memset(g, 0, sizeof(*g));
	if (ops)
		g->ops = *ops;
	g->opaque = opaque;
	g->mem_cap = mem_cap ? mem_cap : VIRTIO_GPU_DEFAULT_MEM_CAP;
	g->width = VIRTIO_GPU_DEFAULT_WIDTH;
	g->height = VIRTIO_GPU_DEFAULT_HEIGHT;
	ret = virtio_pci_init(&g->vp, bus, slot, mem, VIRTIO_ID_GPU,
			      VIRTIO_PCI_CLASS_GPU, 2, VIRTIO_GPU_QUEUE_SIZE,
			      VIRTIO_GPU_CFG_LEN, 1ull << VIRTIO_GPU_F_EDID,
			      &gpu_ops, g);
	return ret;
}

void virtio_gpu_destroy(struct virtio_gpu *g)
{
	res_free_all(g);
}

static uint32_t clamp(uint32_t v, uint32_t lo, uint32_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

void virtio_gpu_set_preferred_size(struct virtio_gpu *g, uint32_t width,
				   uint32_t height)
{
	width = clamp(width, DISPLAY_MIN_WIDTH, DISPLAY_MAX_WIDTH);
	height = clamp(height, DISPLAY_MIN_HEIGHT, DISPLAY_MAX_HEIGHT);
	if (width == g->width && height == g->height)
		return;
	g->width = width;
	g->height = height;
	/* 5.7.4.1: the display configuration changed: the driver re-reads it. */
	g->events_read |= VIRTIO_GPU_EVENT_DISPLAY;
	virtio_pci_config_changed(&g->vp);
}

/* --- save and restore ---------------------------------------------------- */

#define VIRTIO_GPU_STATE_VERSION	1

/*
 * Layout, after the transport's sections: le32 width, height,
 * events_read, nr_resources; per resource le32 id, format, width, height,
 * nr_entries, then { le64 addr; le32 len; } per entry, then its pixels
 * (width * height * 4 bytes, as the guest's format lays them out); the
 * scanout le32 resource, x, y, w, h; the cursor le32 resource, hot_x,
 * hot_y, x, y, u8 visible, le32 w, h, then w * h le32 ARGB pixels.
 */
int virtio_gpu_save(const struct virtio_gpu *g, struct state_writer *w)
{
	unsigned i, j;
	int ret = virtio_pci_save(&g->vp, w);

	if (ret)
		return ret;
	state_section_begin(w, "virtio-gpu", g->vp.pci.devfn,
			    VIRTIO_GPU_STATE_VERSION);
	state_put_u32(w, g->width);
	state_put_u32(w, g->height);
	state_put_u32(w, g->events_read);
	state_put_u32(w, g->nr_res);
	for (i = 0; i < g->nr_res; i++) {
		const struct virtio_gpu_resource *res = g->res[i];

		state_put_u32(w, res->id);
		state_put_u32(w, res->format);
		state_put_u32(w, res->width);
		state_put_u32(w, res->height);
		state_put_u32(w, res->nr_entries);
		for (j = 0; j < res->nr_entries; j++) {
			state_put_u64(w, res->entries[j].addr);
			state_put_u32(w, res->entries[j].len);
		}
		state_put_bytes(w, res->pixels, res->size);
	}
	state_put_u32(w, g->scanout_res);
	state_put_u32(w, g->scanout.x);
	state_put_u32(w, g->scanout.y);
	state_put_u32(w, g->scanout.w);
	state_put_u32(w, g->scanout.h);
	state_put_u32(w, g->cursor_res);
	state_put_u32(w, g->cursor_hot_x);
	state_put_u32(w, g->cursor_hot_y);
	state_put_u32(w, (uint32_t)g->cursor_x);
	state_put_u32(w, (uint32_t)g->cursor_y);
	state_put_bool(w, g->cursor_visible);
	state_put_u32(w, g->cursor_w);
	state_put_u32(w, g->cursor_h);
	for (i = 0; i < g->cursor_w * g->cursor_h; i++)
		state_put_u32(w, g->cursor_img[i]);
	state_section_end(w);
	return state_writer_error(w);
}

/* Everything the load builds before it touches the device. */
struct gpu_loaded {
	struct virtio_gpu_resource **res;
	unsigned nr_res;
	uint64_t bytes, entries;
};

static void loaded_free(struct gpu_loaded *l)
{
	while (l->nr_res)
		res_free(l->res[--l->nr_res]);
	free(l->res);
}

static struct virtio_gpu_resource *loaded_find(const struct gpu_loaded *l,
					       uint32_t id)
{
	unsigned i;

	for (i = 0; i < l->nr_res; i++)
		if (l->res[i]->id == id)
			return l->res[i];
	return NULL;
}

/* One resource, checked as RESOURCE_CREATE_2D and ATTACH_BACKING check. */
static int load_res(const struct virtio_gpu *g, struct state_reader *r,
		    struct gpu_loaded *l)
{
	uint32_t id = state_get_u32(r), format = state_get_u32(r);
	uint32_t width = state_get_u32(r), height = state_get_u32(r);
	uint32_t n = state_get_u32(r), i;
	const struct gpu_format *f = find_format(format);
	struct virtio_gpu_resource *res;
	size_t size = res_size(width, height);
	int ret;

	ret = state_reader_error(r);
	if (ret)
		return ret;
	if (!id || loaded_find(l, id))
		return state_reader_fail(r, "virtio-gpu: resource id %u bad or twice", id);
	if (!f)
		return state_reader_fail(r, "virtio-gpu: resource %u format %u", id, format);
	if (!size || size > g->mem_cap - l->bytes)
		return state_reader_fail(r, "virtio-gpu: resource %u of %ux%u past the cap",
					 id, width, height);
	if (n > VIRTIO_GPU_MAX_ENTRIES || n > VIRTIO_GPU_MAX_ENTRIES_TOTAL - l->entries)
		return state_reader_fail(r, "virtio-gpu: resource %u has %u entries", id, n);
	res = calloc(1, sizeof(*res));
	if (!res)
		return -ENOMEM;
	l->res[l->nr_res++] = res;	/* loaded_free() frees it from now on */
	res->id = id;
	res->format = format;
	res->drm_format = f->drm;
	res->width = width;
	res->height = height;
	res->size = size;
	res->pixels = malloc(size);
	res->entries = n ? calloc(n, sizeof(*res->entries)) : NULL;
	if (!res->pixels || (n && !res->entries))
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		res->entries[i].addr = state_get_u64(r);
		res->entries[i].len = state_get_u32(r);
	}
	res->nr_entries = n;
	l->bytes += size;
	l->entries += n;
	state_get_bytes(r, res->pixels, size);
	ret = state_reader_error(r);
	if (ret)
		return ret;
	if (check_entries(g, res->entries, n, &res->backing_len, &res->contiguous))
		return state_reader_fail(r, "virtio-gpu: resource %u backing outside RAM", id);
	return 0;
}

int virtio_gpu_load(struct virtio_gpu *g, struct state_reader *r)
{
	struct gpu_loaded l = { 0 };
	struct virtio_gpu_resource *sres = NULL, *cres = NULL;
	struct display_rect s;
	uint32_t width, height, events, nr, sid, cid, hot_x, hot_y, cw, ch, i;
	int32_t cx, cy;
	bool visible;
	uint32_t *img = NULL;
	struct virtio_pci *vp;
	int ret;

	/* The transport into a copy: nothing changes unless all of it loads. */
	vp = malloc(sizeof(*vp));
	if (!vp)
		return -ENOMEM;
	memcpy(vp, &g->vp, sizeof(*vp));
	ret = virtio_pci_load(vp, r);
	if (ret)
		goto out_free_vp;
	ret = state_section_open(r, "virtio-gpu", g->vp.pci.devfn,
				 VIRTIO_GPU_STATE_VERSION, NULL);
	if (ret)
		goto out_free_vp;
	width = state_get_u32(r);
	height = state_get_u32(r);
	events = state_get_u32(r);
	nr = state_get_u32(r);
	if (!state_reader_error(r) &&
	    (width < DISPLAY_MIN_WIDTH || width > DISPLAY_MAX_WIDTH ||
	     height < DISPLAY_MIN_HEIGHT || height > DISPLAY_MAX_HEIGHT ||
	     events & ~VIRTIO_GPU_EVENT_DISPLAY || nr > VIRTIO_GPU_MAX_RESOURCES))
		state_reader_fail(r, "virtio-gpu: size %ux%u, events %#x, %u resources",
				  width, height, events, nr);
	ret = state_reader_error(r);
	if (ret)
		goto out_free_vp;
	l.res = calloc(nr ? nr : 1, sizeof(*l.res));
	if (!l.res) {
		ret = -ENOMEM;
		goto out_free_vp;
	}
	for (i = 0; i < nr; i++) {
		ret = load_res(g, r, &l);
		if (ret)
			goto out_free_loaded;
	}
	/* The scanout, checked as SET_SCANOUT checks it. */
	sid = state_get_u32(r);
	s.x = state_get_u32(r);
	s.y = state_get_u32(r);
	s.w = state_get_u32(r);
	s.h = state_get_u32(r);
	if (sid) {
		sres = loaded_find(&l, sid);
		if (!sres || !s.w || !s.h || s.w > DISPLAY_MAX_WIDTH ||
		    s.h > DISPLAY_MAX_HEIGHT || !rect_inside(&s, sres->width, sres->height))
			state_reader_fail(r, "virtio-gpu: scanout of resource %u bad", sid);
	} else if (s.x || s.y || s.w || s.h) {
		state_reader_fail(r, "virtio-gpu: disabled scanout with a rectangle");
	}
	/* The cursor, checked as UPDATE_CURSOR checks it. */
	cid = state_get_u32(r);
	hot_x = state_get_u32(r);
	hot_y = state_get_u32(r);
	cx = (int32_t)state_get_u32(r);
	cy = (int32_t)state_get_u32(r);
	visible = state_get_bool(r);
	cw = state_get_u32(r);
	ch = state_get_u32(r);
	if (cid && !(cres = loaded_find(&l, cid)))
		state_reader_fail(r, "virtio-gpu: cursor resource %u unknown", cid);
	if (cw > DISPLAY_CURSOR_MAX || ch > DISPLAY_CURSOR_MAX || !cw != !ch ||
	    (cw && (hot_x >= cw || hot_y >= ch)) || (!cw && (hot_x || hot_y)) ||
	    (cres && (cres->width != cw || cres->height != ch)))
		state_reader_fail(r, "virtio-gpu: cursor %ux%u hot spot %u,%u bad",
				  cw, ch, hot_x, hot_y);
	ret = state_reader_error(r);
	if (ret)
		goto out_free_loaded;
	img = calloc(DISPLAY_CURSOR_MAX * DISPLAY_CURSOR_MAX, sizeof(*img));
	if (!img) {
		ret = -ENOMEM;
		goto out_free_loaded;
	}
	for (i = 0; i < cw * ch; i++)
		img[i] = state_get_u32(r);
	ret = state_section_close(r);
	if (ret)
		goto out_free_img;

	/* All of it loaded: replace the device's state (quietly), then show it. */
	res_free_all(g);
	memcpy(&g->vp, vp, sizeof(*vp));
	g->width = width;
	g->height = height;
	g->events_read = events;
	g->res = l.res;
	g->nr_res = l.nr_res;
	g->res_bytes = l.bytes;
	g->res_entries = l.entries;
	l.res = NULL;
	l.nr_res = 0;
	g->scanout_res = 0;
	memset(&g->scanout, 0, sizeof(g->scanout));
	/* mode_w 0: scanout_set() gives the display the mode in any case. */
	g->mode_w = g->mode_h = g->mode_format = 0;
	if (!sres && g->ops.set_mode)
		g->ops.set_mode(g->opaque, 0, 0, 0);
	if (sres && scanout_set(g, sres, &s) < 0)
		/* The display refused (no memory): disabled until the next SET_SCANOUT. */
		memset(&g->scanout, 0, sizeof(g->scanout));
	g->cursor_res = cid;
	g->cursor_w = cw;
	g->cursor_h = ch;
	g->cursor_hot_x = hot_x;
	g->cursor_hot_y = hot_y;
	g->cursor_x = cx;
	g->cursor_y = cy;
	g->cursor_visible = visible;
	memcpy(g->cursor_img, img, sizeof(g->cursor_img));
	if (g->ops.cursor_define)
		g->ops.cursor_define(g->opaque, cw, ch, hot_x, hot_y, cw ? g->cursor_img : NULL);
	if (g->ops.cursor_move)
		g->ops.cursor_move(g->opaque, cx, cy, visible);
out_free_img:
	free(img);
out_free_loaded:
	loaded_free(&l);
out_free_vp:
	free(vp);
	return ret;
}
