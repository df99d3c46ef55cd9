/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * devices/virtio-gpu.h - virtio GPU, 2D only (device type 16, virtio 1.2
 * section 5.7) on the virtio-pci transport, drawing into the VM's display
 * (display/display.h) through the ops below.
 *
 * Queues (5.7.2): 0 controlq, 1 cursorq.  Features (5.7.3): only
 * VIRTIO_GPU_F_EDID; no VIRGL, blobs or contexts.  Configuration (5.7.4):
 * le32 events_read (RO), le32 events_clear (write 1 to clear), le32
 * num_scanouts (1), le32 num_capsets (0).
 *
 * Commands (5.7.6.7): GET_DISPLAY_INFO, RESOURCE_CREATE_2D, RESOURCE_UNREF,
 * SET_SCANOUT, RESOURCE_FLUSH, TRANSFER_TO_HOST_2D, RESOURCE_ATTACH_BACKING,
 * RESOURCE_DETACH_BACKING, GET_EDID on the controlq; UPDATE_CURSOR and
 * MOVE_CURSOR on the cursorq (5.7.6.10).  Anything else: ERR_UNSPEC.
 * Every command completes before its buffer is returned, so a fenced
 * request (VIRTIO_GPU_FLAG_FENCE) completes at once, in order, with the
 * flag and fence_id echoed (5.7.6.7).
 *
 * Resources are host memory (width * height * 4 bytes, 32-bit pixels)
 * the device allocates; the guest's backing pages are only read by
 * TRANSFER_TO_HOST_2D.  Limits, each refused without harm to the VM:
 *   - all resources together: `mem_cap` bytes (0 at init:
 *     VIRTIO_GPU_DEFAULT_MEM_CAP, 256 MiB); beyond: ERR_OUT_OF_MEMORY;
 *   - VIRTIO_GPU_MAX_RESOURCES resources (ERR_OUT_OF_MEMORY);
 *   - VIRTIO_GPU_MAX_ENTRIES backing entries per resource
 *     (ERR_INVALID_PARAMETER) and VIRTIO_GPU_MAX_ENTRIES_TOTAL in all
 *     (ERR_OUT_OF_MEMORY), which bounds the bookkeeping to 4 MiB;
 *   - a backing entry outside guest RAM (gmem_ptr()), a rectangle outside
 *     its resource, a transfer past the end of the backing, an unknown
 *     format: ERR_INVALID_PARAMETER.
 *
 * The screen: SET_SCANOUT shows rectangle r of a resource.  A new size or
 * format (or a disabled scanout becoming enabled) calls ops.set_mode;
 * any change of resource or rectangle then copies the whole scanout with
 * one ops.update (a page flip shows the new buffer, not a black one).
 * RESOURCE_FLUSH of the scanned-out resource calls ops.update with the
 * flushed rectangle clipped to the scanout.  Nothing else updates the
 * screen: no timer, no polling.  UNREF of the scanned-out resource, a
 * SET_SCANOUT with resource 0 and a device reset call
 * ops.set_mode(0, 0, 0): the display never keeps a pointer to a freed
 * resource (it copies, and the device calls it only with live pixels).
 *
 * The cursor: UPDATE_CURSOR converts the resource (up to 64 x 64, any of
 * the formats) to ARGB8888, clamps the hot spot into the image, and calls
 * ops.cursor_define then ops.cursor_move; resource 0 hides it.
 * MOVE_CURSOR calls only ops.cursor_move.  Linux gives cursor commands no
 * response buffer; when there is one, the response header is written.
 *
 * Threads: not thread-safe; the caller serialises the bus entry points
 * (pci_mmio()), virtio_gpu_set_preferred_size() and save/load with the
 * device lock (machine.lock in the VM).  The ops run with it held.
 */
#ifndef VMAIN_MONITOR_DEVICES_VIRTIO_GPU_H
#define VMAIN_MONITOR_DEVICES_VIRTIO_GPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "display/display.h"
#include "virtio/virtio-pci.h"

#define VIRTIO_PCI_CLASS_GPU		0x038000	/* display controller, other */
#define VIRTIO_GPU_QUEUE_SIZE		256
#define VIRTIO_GPU_CTRLQ		0
#define VIRTIO_GPU_CURSORQ		1
#define VIRTIO_GPU_CFG_LEN		16

/* Feature bits (5.7.3). */
#define VIRTIO_GPU_F_VIRGL		0
#define VIRTIO_GPU_F_EDID		1

/* events_read / events_clear (5.7.4). */
#define VIRTIO_GPU_EVENT_DISPLAY	(1u << 0)

/* Request header flags (5.7.6.7). */
#define VIRTIO_GPU_FLAG_FENCE		(1u << 0)

/* Command types (5.7.6.7). */
#define VIRTIO_GPU_CMD_GET_DISPLAY_INFO		0x0100
#define VIRTIO_GPU_CMD_RESOURCE_CREATE_2D	0x0101
#define VIRTIO_GPU_CMD_RESOURCE_UNREF		0x0102
#define VIRTIO_GPU_CMD_SET_SCANOUT		0x0103
#define VIRTIO_GPU_CMD_RESOURCE_FLUSH		0x0104
#define VIRTIO_GPU_CMD_TRANSFER_TO_HOST_2D	0x0105
#define VIRTIO_GPU_CMD_RESOURCE_ATTACH_BACKING	0x0106
#define VIRTIO_GPU_CMD_RESOURCE_DETACH_BACKING	0x0107
#define VIRTIO_GPU_CMD_GET_CAPSET_INFO		0x0108
#define VIRTIO_GPU_CMD_GET_CAPSET		0x0109
#define VIRTIO_GPU_CMD_GET_EDID			0x010a
#define VIRTIO_GPU_CMD_UPDATE_CURSOR		0x0300
#define VIRTIO_GPU_CMD_MOVE_CURSOR		0x0301

/* Response types. */
#define VIRTIO_GPU_RESP_OK_NODATA		0x1100
#define VIRTIO_GPU_RESP_OK_DISPLAY_INFO		0x1101
#define VIRTIO_GPU_RESP_OK_EDID			0x1104
#define VIRTIO_GPU_RESP_ERR_UNSPEC		0x1200
#define VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY	0x1201
#define VIRTIO_GPU_RESP_ERR_INVALID_SCANOUT_ID	0x1202
#define VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID	0x1203
#define VIRTIO_GPU_RESP_ERR_INVALID_CONTEXT_ID	0x1204
#define VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER	0x1205

/* Formats (5.7.6.8), all 4 bytes a pixel. */
#define VIRTIO_GPU_FORMAT_B8G8R8A8_UNORM	1
#define VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM	2
#define VIRTIO_GPU_FORMAT_A8R8G8B8_UNORM	3
#define VIRTIO_GPU_FORMAT_X8R8G8B8_UNORM	4
#define VIRTIO_GPU_FORMAT_R8G8B8A8_UNORM	67
#define VIRTIO_GPU_FORMAT_X8B8G8R8_UNORM	68
#define VIRTIO_GPU_FORMAT_A8B8G8R8_UNORM	121
#define VIRTIO_GPU_FORMAT_R8G8B8X8_UNORM	134

#define VIRTIO_GPU_MAX_SCANOUTS		16	/* pmodes[] in the display info */
#define VIRTIO_GPU_CTRL_HDR_LEN		24
#define VIRTIO_GPU_EDID_LEN		128	/* the base block only */

/* Limits (see above). */
#define VIRTIO_GPU_DEFAULT_MEM_CAP	(256ull << 20)
#define VIRTIO_GPU_MAX_RESOURCES	1024
#define VIRTIO_GPU_MAX_ENTRIES		16384	/* 64 MiB of scattered 4 KiB pages */
#define VIRTIO_GPU_MAX_ENTRIES_TOTAL	262144	/* 16 bytes each: 4 MiB */

/* Display size reported until virtio_gpu_set_preferred_size(). */
#define VIRTIO_GPU_DEFAULT_WIDTH	1024
#define VIRTIO_GPU_DEFAULT_HEIGHT	768

/* What the device drives: thin wrappers over display_*() in the VM. */
struct virtio_gpu_ops {
	/* A new scanout mode (DISPLAY_FORMAT_*); width 0: no scanout. */
	int (*set_mode)(void *opaque, uint32_t width, uint32_t height,
			uint32_t drm_format);
	/* Pixels of scanout rectangle r: src at (r.x, r.y), src_stride a row. */
	void (*update)(void *opaque, const struct display_rect *r,
		       const void *src, uint32_t src_stride);
	/* Cursor image (ARGB8888, w x h <= 64 x 64); w 0: none. */
	int (*cursor_define)(void *opaque, uint32_t w, uint32_t h,
			     uint32_t hot_x, uint32_t hot_y, const uint32_t *argb);
	/* Cursor hot spot position in scanout coordinates. */
	void (*cursor_move)(void *opaque, int32_t x, int32_t y, bool visible);
};

/* One guest-physical backing entry (5.7.6.8 virtio_gpu_mem_entry). */
struct virtio_gpu_entry {
	uint64_t addr;
	uint32_t len;
};

struct virtio_gpu_resource {
	uint32_t id;
	uint32_t format;		/* VIRTIO_GPU_FORMAT_* */
	uint32_t drm_format;		/* DISPLAY_FORMAT_* */
	uint32_t width, height;
	size_t size;			/* width * height * 4 */
	uint8_t *pixels;
	uint32_t nr_entries;		/* 0: no backing */
	struct virtio_gpu_entry *entries;
	uint64_t backing_len;		/* sum of the entries' lengths */
	bool contiguous;		/* the entries follow each other in guest memory */
};

/* Requests refused, by cause: for logs and tests (never reset). */
struct virtio_gpu_stats {
	uint64_t err_resp;		/* commands answered with an ERR_* */
	uint64_t bad_request;		/* too short, or no room for a response */
	uint64_t cursor_err;		/* cursor commands refused */
};

struct virtio_gpu {
	struct virtio_pci vp;		/* first */
	struct virtio_gpu_ops ops;
	void *opaque;
	uint64_t mem_cap;

	uint32_t width, height;		/* what GET_DISPLAY_INFO reports */
	uint32_t events_read;

	struct virtio_gpu_resource **res;	/* nr_res of them, unordered */
	unsigned nr_res;
	uint64_t res_bytes;		/* their pixels, in all */
	uint64_t res_entries;		/* their backing entries, in all */

	/* The one scanout: resource 0 is disabled. */
	uint32_t scanout_res;
	struct display_rect scanout;	/* in resource coordinates */
	/* The mode last given to ops.set_mode (width 0: none). */
	uint32_t mode_w, mode_h, mode_format;

	/* The cursor (5.7.6.10). */
	uint32_t cursor_res;		/* 0: none, or its resource was freed (the image stays) */
	uint32_t cursor_w, cursor_h, cursor_hot_x, cursor_hot_y;
	int32_t cursor_x, cursor_y;
	bool cursor_visible;
	uint32_t cursor_img[DISPLAY_CURSOR_MAX * DISPLAY_CURSOR_MAX];

	struct virtio_gpu_stats stats;
	struct virtq_elem elem;		/* scratch for one chain */
	uint8_t resp[VIRTIO_GPU_CTRL_HDR_LEN + 8 + 1024];	/* largest response */
};

/*
 * Builds the device and adds it to `bus` at `slot` (-1: first free).
 * `mem_cap` bounds the resources' memory (0: VIRTIO_GPU_DEFAULT_MEM_CAP).
 * `ops` (copied) may leave any op NULL.  Returns the devfn or -errno.
 */
int virtio_gpu_init(struct virtio_gpu *g, struct pci_bus *bus, int slot,
		    const struct gmem *mem, const struct virtio_gpu_ops *ops,
		    void *opaque, uint64_t mem_cap);

/* Frees every resource; calls no op (the display may be gone already). */
void virtio_gpu_destroy(struct virtio_gpu *g);

/*
 * The viewers' preferred size (the display's settled resize), clamped to
 * DISPLAY_MIN_* .. DISPLAY_MAX_*.  A change is reported by
 * GET_DISPLAY_INFO and GET_EDID from now on, sets VIRTIO_GPU_EVENT_DISPLAY
 * in events_read and raises a configuration change interrupt (5.7.4.1),
 * so the driver probes again.
 */
void virtio_gpu_set_preferred_size(struct virtio_gpu *g, uint32_t width,
				   uint32_t height);

/* Serves every pending request on both queues (what a notification does). */
void virtio_gpu_kick(struct virtio_gpu *g);

/*
 * The EDID 1.4 base block (VIRTIO_GPU_EDID_LEN bytes) for a width x
 * height display: its preferred detailed timing is that size at about
 * 60 Hz (halved until both fit the 12-bit fields: past 4095 only
 * GET_DISPLAY_INFO carries the exact size).
 */
void virtio_gpu_edid(uint8_t *edid, uint32_t width, uint32_t height);

struct state_writer;
struct state_reader;

/*
 * Save and restore (state/stream.h): the transport (virtio_pci_save())
 * then section "virtio-gpu" / devfn: the display size, events_read, every
 * resource (id, format, size, backing entries, and its pixels: the guest
 * cannot be asked to draw again), the scanout (resource and rectangle)
 * and the cursor (resource, hot spot, position, visibility, image).  The
 * load checks every value against the same limits as the commands do
 * (this device's mem_cap) and changes nothing unless all of it loads;
 * then it shows what was loaded: ops.set_mode and a full ops.update of
 * the scanout (set_mode(0, 0, 0) when disabled), ops.cursor_define and
 * ops.cursor_move.
 */
int virtio_gpu_save(const struct virtio_gpu *g, struct state_writer *w);
int virtio_gpu_load(struct virtio_gpu *g, struct state_reader *r);

#endif
