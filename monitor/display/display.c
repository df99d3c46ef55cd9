// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * display/display.c - a VM's screen between the virtio-gpu and its viewers
 * (see display.h; DESIGN.md, "Display").
 *
 * Surfaces.  Each mode is a fresh memfd, sized once (height x stride) and
 * sealed against shrinking and growing (F_SEAL_SHRINK | F_SEAL_GROW, then
 * F_SEAL_SEAL): a viewer's mapping can never fault past the end of the
 * file, and nobody can change the seals afterwards.  A memfd is never
 * resized or reused for another mode; viewers keep mapping the old one
 * until their next poll hands them the new fd.  The display keeps its own
 * fd and writable mapping of the current surfaces only.
 *
 * The fd a poll hands out is the surface reopened read-only through
 * /proc/self/fd (a new open file description, O_RDONLY): the viewer can
 * map it PROT_READ but cannot write pixels other viewers see, truncate or
 * seal it.  Where /proc is not there, it is a plain dup.
 *
 * Damage.  Each viewer holds at most DISPLAY_MAX_RECTS rectangles.  A new
 * rectangle inside one already held is dropped; one that overlaps or
 * touches a held rectangle, or contains it, is united with it when the
 * union covers no more pixels than the two separately (so two halves of a
 * row unite, two far corners of the screen do not), and the union is
 * merged again; when all slots are taken everything collapses into the
 * bounding box.  A pending mode change stands for full damage: nothing
 * is added to it.  So a viewer's pending state is a fixed-size record
 * however much the guest draws, and wake() is called once, when the
 * first change lands after a poll (a viewer that was just registered is
 * woken by the first change too, though its first poll already has the
 * mode: it polls when it is ready).
 *
 * Polls.  Every poll fills the whole frame: the size, format and `blank`
 * describe the viewer's surface now (fd only with mode_changed); the
 * cursor image only with cursor_changed, packed (cursor_w pixels a row).
 * A blanked viewer gets cursor width 0, position (0, 0), not visible.
 *
 * Private mode.  While a viewer holds it, display_update() draws into a
 * second surface of the same mode that only the holder is given; the
 * public surface is cleared to black (its pages punched out of the memfd,
 * or zeroed where that fails) and the other viewers get full damage,
 * `blank`, a hidden cursor and no input.  A mode change renews both
 * surfaces.  Release copies the private pixels back.
 *
 * Resize debounce.  The first request arms the timer for now + SETTLE;
 * later ones only record the size and the time.  When the timer fires and
 * the last request is younger than SETTLE it re-arms for the rest, else
 * the guest gets the last size: one timer event per settle period at most
 * during a storm, none while nobody asks.  A display created without a
 * loop refuses size requests (-EOPNOTSUPP).
 *
 * Input.  Checked under the lock (private mode, the mode's size for the
 * absolute pointer), then passed to the ops with the lock dropped.  Key
 * codes outside 1..KEY_MAX and unknown button bits are -EINVAL.  An
 * absolute pointer with no scanout is refused (-ENODEV); a NULL op drops
 * the event and the call returns 0, as does a wheel or motion of zero.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/input-event-codes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "display/display.h"
#include "io/ioloop.h"

#define BYTES_PER_PIXEL		4
#define NS_PER_MS		1000000ll
#define RESIZE_SETTLE_NS	(DISPLAY_RESIZE_SETTLE_MS * NS_PER_MS)

struct surface {
	int fd;				/* -1: no scanout */
	uint8_t *map;			/* the producer's writable mapping */
	uint32_t width, height, stride, format;
	size_t size;
};

struct display_viewer {
	struct display *d;
	void (*wake)(void *opaque);
	void *opaque;
	bool owner;
	struct display_viewer *next;	/* d->viewers */
	/* Since the last poll (display lock): */
	bool woken;			/* wake() was called */
	bool mode_dirty;		/* a new surface: full damage */
	bool cursor_dirty, cursor_moved;
	bool pointer_dirty;		/* the pointer mode changed */
	unsigned nr_rects;
	struct display_rect rects[DISPLAY_MAX_RECTS];
	/*
	 * What this viewer holds down in the guest (display lock): its
	 * releases always go through, even while another viewer holds
	 * private mode, and whatever it still holds is released when it
	 * goes or when private mode is taken from under it, so no key is
	 * left stuck (and auto-repeating) in the guest.
	 */
	uint64_t keys_down[(KEY_MAX + 64) / 64];
	uint32_t buttons;
};

/* Keys and buttons to release once the display lock is dropped. */
struct release {
	uint16_t keys[KEY_MAX + 1];
	unsigned int nr_keys;
	bool buttons;
};

struct display {
	pthread_mutex_t lock;
	struct ioloop *loop;
	struct display_input_ops ops;
	void *opaque;
	struct surface pub;		/* what every viewer maps */
	struct surface priv;		/* the holder's, while private mode is held */
	struct display_viewer *viewers;
	unsigned int nr_watchers;	/* viewers with a wake op */
	struct display_viewer *holder;	/* of private mode, or NULL */
	/* The cursor plane. */
	uint32_t cur_w, cur_h, cur_hot_x, cur_hot_y;
	int32_t cur_x, cur_y;
	bool cur_visible;
	uint32_t cursor[DISPLAY_CURSOR_MAX * DISPLAY_CURSOR_MAX];
	bool pointer_relative;		/* the guest drives only the relative mouse */
	/* The resize debounce. */
	struct ioloop_timer *resize_timer;	/* NULL without a loop */
	bool resize_armed;		/* the timer is armed or running */
	bool resize_pending;		/* a size the guest has not been given */
	uint32_t resize_w, resize_h;
	int64_t resize_last_ns;		/* when the last request came */
};

bool display_format_valid(uint32_t format)
{
	switch (format) {
	case DISPLAY_FORMAT_XRGB8888:
	case DISPLAY_FORMAT_ARGB8888:
	case DISPLAY_FORMAT_XBGR8888:
	case DISPLAY_FORMAT_ABGR8888:
	case DISPLAY_FORMAT_BGRX8888:
	case DISPLAY_FORMAT_BGRA8888:
	case DISPLAY_FORMAT_RGBX8888:
	case DISPLAY_FORMAT_RGBA8888:
		return true;
	}
	return false;
}

/* ---- surfaces ---- */

static void surface_none(struct surface *s)
{
	memset(s, 0, sizeof(*s));
	s->fd = -1;
}

/* A black surface of width x height (width 0: none).  0 or -errno. */
static int surface_make(struct surface *s, uint32_t width, uint32_t height, uint32_t format)
{
	size_t size = (size_t)width * BYTES_PER_PIXEL * height;
	void *map;
	int fd, ret;

	surface_none(s);
	if (!width)
		return 0;
	fd = memfd_create("vmain-display", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, size)) {
		ret = -errno;
		goto close_fd;
	}
	/* Its size is final: no viewer's mapping can SIGBUS, nobody can re-seal. */
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)) {
		ret = -errno;
		goto close_fd;
	}
	map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		ret = -errno;
		goto close_fd;
	}
	s->fd = fd;
	s->map = map;
	s->width = width;
	s->height = height;
	s->stride = width * BYTES_PER_PIXEL;
	s->format = format;
	s->size = size;
	return 0;

close_fd:
	close(fd);
	return ret;
}

static void surface_free(struct surface *s)
{
	if (s->map)
		munmap(s->map, s->size);
	if (s->fd >= 0)
		close(s->fd);
	surface_none(s);
}

/* Black, and its memory given back: the pixels live in the private surface. */
static void surface_clear(struct surface *s)
{
	if (!s->map)
		return;
	if (fallocate(s->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, s->size))
		memset(s->map, 0, s->size);
}

/* The fd a viewer gets: its own read-only open of the memfd.  fd or -errno. */
static int surface_viewer_fd(const struct surface *s)
{
	char path[40];
	int fd;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", s->fd);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0)
		return fd;
	if (errno == EMFILE || errno == ENFILE || errno == ENOMEM)
		return -errno;
	/* No /proc (a bare chroot): the viewer shares our open file. */
	fd = fcntl(s->fd, F_DUPFD_CLOEXEC, 0);
	return fd < 0 ? -errno : fd;
}

/* ---- rectangles ---- */

static uint64_t rect_area(const struct display_rect *r)
{
	return (uint64_t)r->w * r->h;
}

/* Does a contain b?  Both clipped to a surface (no overflow). */
static bool rect_contains(const struct display_rect *a, const struct display_rect *b)
{
	return b->x >= a->x && b->y >= a->y &&
	       b->x + b->w <= a->x + a->w && b->y + b->h <= a->y + a->h;
}

/* Do they overlap or share (part of) an edge or a corner? */
static bool rect_touch(const struct display_rect *a, const struct display_rect *b)
{
	return a->x <= b->x + b->w && b->x <= a->x + a->w &&
	       a->y <= b->y + b->h && b->y <= a->y + a->h;
}

static struct display_rect rect_union(const struct display_rect *a, const struct display_rect *b)
{
	uint32_t x0 = a->x < b->x ? a->x : b->x;
	uint32_t y0 = a->y < b->y ? a->y : b->y;
	uint32_t x1 = a->x + a->w > b->x + b->w ? a->x + a->w : b->x + b->w;
	uint32_t y1 = a->y + a->h > b->y + b->h ? a->y + a->h : b->y + b->h;

	return (struct display_rect){ x0, y0, x1 - x0, y1 - y0 };
}

/* r clipped to the surface into *out; false if nothing is left. */
static bool rect_clip(const struct display_rect *r, const struct surface *s,
		      struct display_rect *out)
{
	if (!r->w || !r->h || r->x >= s->width || r->y >= s->height)
		return false;
	out->x = r->x;
	out->y = r->y;
	/* Compare against what is left, never r->x + r->w: that may wrap. */
	out->w = r->w < s->width - r->x ? r->w : s->width - r->x;
	out->h = r->h < s->height - r->y ? r->h : s->height - r->y;
	return true;
}

/* ---- viewers' pending state (display lock held) ---- */

/* The surface viewer v is shown. */
static struct surface *viewer_surface(struct display *d, const struct display_viewer *v)
{
	return d->holder && d->holder == v ? &d->priv : &d->pub;
}

/* Does v see what the producer draws and the cursor (not blanked)? */
static bool viewer_sees(const struct display *d, const struct display_viewer *v)
{
	return !d->holder || d->holder == v;
}

/* Something is pending for v: the first change since its poll wakes it. */
static void viewer_notify(struct display_viewer *v)
{
	if (v->woken)
		return;
	v->woken = true;
	if (v->wake)
		v->wake(v->opaque);
}

static void damage_full(struct display *d, struct display_viewer *v)
{
	const struct surface *s = viewer_surface(d, v);

	if (v->mode_dirty)
		return;
	v->nr_rects = 0;
	if (s->width)
		v->rects[v->nr_rects++] = (struct display_rect){ 0, 0, s->width, s->height };
	viewer_notify(v);
}

static void damage_add(struct display_viewer *v, struct display_rect r)
{
	unsigned i;

	if (v->mode_dirty)
		goto notify;		/* the new mode is full damage */
again:
	for (i = 0; i < v->nr_rects; i++) {
		struct display_rect *e = &v->rects[i];
		struct display_rect u = rect_union(e, &r);

		if (rect_contains(e, &r))
			goto notify;
		/* Contains e, or worth uniting (see the top of the file). */
		if (rect_touch(e, &r) && rect_area(&u) <= rect_area(e) + rect_area(&r)) {
			/* Unite, drop e, and merge the union again. */
			r = u;
			*e = v->rects[--v->nr_rects];
			goto again;
		}
	}
	if (v->nr_rects == DISPLAY_MAX_RECTS) {
		for (i = 0; i < v->nr_rects; i++)
			r = rect_union(&v->rects[i], &r);
		v->nr_rects = 0;
	}
	v->rects[v->nr_rects++] = r;
notify:
	viewer_notify(v);
}

static void mode_changed_all(struct display *d)
{
	struct display_viewer *v;

	for (v = d->viewers; v; v = v->next) {
		v->mode_dirty = true;
		v->nr_rects = 0;
		viewer_notify(v);
	}
}

static void cursor_changed_all(struct display *d, bool image)
{
	struct display_viewer *v;

	for (v = d->viewers; v; v = v->next) {
		if (!viewer_sees(d, v))
			continue;
		if (image)
			v->cursor_dirty = true;
		else
			v->cursor_moved = true;
		viewer_notify(v);
	}
}

/* ---- the display ---- */

static void resize_fire(void *opaque);

int display_create(struct display **out, struct ioloop *loop,
		   const struct display_input_ops *ops, void *opaque)
{
	struct display *d;
	int ret;

	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	ret = -pthread_mutex_init(&d->lock, NULL);
	if (ret)
		goto free_d;
	d->loop = loop;
	if (ops)
		d->ops = *ops;
	d->opaque = opaque;
	surface_none(&d->pub);
	surface_none(&d->priv);
	if (loop) {
		/* Created disarmed: an idle display costs the loop nothing. */
		ret = ioloop_timer_new(loop, resize_fire, d, &d->resize_timer);
		if (ret)
			goto destroy_lock;
	}
	*out = d;
	return 0;

destroy_lock:
	pthread_mutex_destroy(&d->lock);
free_d:
	free(d);
	return ret;
}

void display_destroy(struct display *d)
{
	if (!d)
		return;
	assert(!d->viewers);
	/* Waits for a resize_fire() in progress (it takes our lock: not held here). */
	if (d->resize_timer)
		ioloop_timer_free(d->resize_timer);
	surface_free(&d->priv);
	surface_free(&d->pub);
	pthread_mutex_destroy(&d->lock);
	free(d);
}

/* ---- the producer ---- */

int display_set_mode(struct display *d, uint32_t width, uint32_t height, uint32_t format)
{
	struct surface pub, priv;
	int ret;

	if (width) {
		if (width > DISPLAY_MAX_WIDTH || !height || height > DISPLAY_MAX_HEIGHT ||
		    !display_format_valid(format))
			return -EINVAL;
	} else {
		height = 0;
		format = 0;
	}
	/* The new surfaces are made first: on failure the old mode stays. */
	ret = surface_make(&pub, width, height, format);
	if (ret)
		return ret;
	pthread_mutex_lock(&d->lock);
	surface_none(&priv);
	if (d->holder) {
		ret = surface_make(&priv, width, height, format);
		if (ret) {
			pthread_mutex_unlock(&d->lock);
			surface_free(&pub);
			return ret;
		}
	}
	surface_free(&d->pub);
	surface_free(&d->priv);
	d->pub = pub;
	d->priv = priv;
	mode_changed_all(d);
	pthread_mutex_unlock(&d->lock);
	return 0;
}

void display_update(struct display *d, const struct display_rect *r,
		    const void *src, uint32_t src_stride)
{
	const uint8_t *from = src;
	struct display_viewer *v;
	struct display_rect c;
	struct surface *s;
	size_t row;
	uint8_t *to;
	uint32_t y;

	if (!r || !src)
		return;
	pthread_mutex_lock(&d->lock);
	s = d->holder ? &d->priv : &d->pub;
	if (!s->map || !rect_clip(r, s, &c))
		goto unlock;
	row = (size_t)c.w * BYTES_PER_PIXEL;
	/* Rows that overlap in the source are the producer's bug: drop them. */
	if (c.h > 1 && src_stride < row)
		goto unlock;
	to = s->map + (size_t)c.y * s->stride + (size_t)c.x * BYTES_PER_PIXEL;
	for (y = 0; y < c.h; y++) {
		memcpy(to, from, row);
		to += s->stride;
		from += src_stride;
	}
	for (v = d->viewers; v; v = v->next)
		if (viewer_sees(d, v))
			damage_add(v, c);
unlock:
	pthread_mutex_unlock(&d->lock);
}

int display_cursor_define(struct display *d, uint32_t width, uint32_t height,
			  uint32_t hot_x, uint32_t hot_y, const uint32_t *argb)
{
	if (width && (width > DISPLAY_CURSOR_MAX || !height || height > DISPLAY_CURSOR_MAX ||
		      hot_x >= width || hot_y >= height || !argb))
		return -EINVAL;
	if (!width)
		height = hot_x = hot_y = 0;
	pthread_mutex_lock(&d->lock);
	d->cur_w = width;
	d->cur_h = height;
	d->cur_hot_x = hot_x;
	d->cur_hot_y = hot_y;
	if (width)
		memcpy(d->cursor, argb, (size_t)width * height * sizeof(*argb));
	cursor_changed_all(d, true);
	pthread_mutex_unlock(&d->lock);
	return 0;
}

void display_cursor_move(struct display *d, int32_t x, int32_t y, bool visible)
{
	pthread_mutex_lock(&d->lock);
	d->cur_x = x;
	d->cur_y = y;
	d->cur_visible = visible;
	cursor_changed_all(d, false);
	pthread_mutex_unlock(&d->lock);
}

void display_set_pointer_relative(struct display *d, bool relative)
{
	struct display_viewer *v;

	pthread_mutex_lock(&d->lock);
	if (d->pointer_relative != relative) {
		d->pointer_relative = relative;
		for (v = d->viewers; v; v = v->next) {
			v->pointer_dirty = true;
			viewer_notify(v);
		}
	}
	pthread_mutex_unlock(&d->lock);
}

bool display_pointer_relative(struct display *d)
{
	bool relative;

	pthread_mutex_lock(&d->lock);
	relative = d->pointer_relative;
	pthread_mutex_unlock(&d->lock);
	return relative;
}

/* ---- viewers ---- */

int display_viewer_new(struct display *d, const struct display_viewer_ops *ops,
		       void *opaque, bool owner, struct display_viewer **out)
{
	struct display_viewer *v = calloc(1, sizeof(*v));
	bool first;

	if (!v)
		return -ENOMEM;
	v->d = d;
	v->wake = ops ? ops->wake : NULL;
	v->opaque = opaque;
	v->owner = owner;
	/* Its first poll has everything; the first change after that wakes it. */
	v->mode_dirty = true;
	v->cursor_dirty = true;
	v->cursor_moved = true;
	v->pointer_dirty = true;
	pthread_mutex_lock(&d->lock);
	v->next = d->viewers;
	d->viewers = v;
	first = v->wake && ++d->nr_watchers == 1;
	pthread_mutex_unlock(&d->lock);
	*out = v;
	if (first && d->ops.watched_changed)
		d->ops.watched_changed(d->opaque);
	return 0;
}

void display_refresh(struct display *d)
{
	if (d->ops.refresh)
		d->ops.refresh(d->opaque);
}

bool display_watched(struct display *d)
{
	bool watched;

	pthread_mutex_lock(&d->lock);
	watched = d->nr_watchers > 0;
	pthread_mutex_unlock(&d->lock);
	return watched;
}

/* Ends private mode (its holder is gone or let go).  Lock held. */
static void private_end(struct display *d, struct display_viewer *was)
{
	struct display_viewer *v;

	if (d->pub.map && d->priv.map)
		memcpy(d->pub.map, d->priv.map, d->pub.size);
	surface_free(&d->priv);
	d->holder = NULL;
	for (v = d->viewers; v; v = v->next) {
		if (v == was) {
			v->mode_dirty = true;
			v->nr_rects = 0;
		} else {
			damage_full(d, v);
		}
		v->cursor_dirty = true;
		v->cursor_moved = true;
		viewer_notify(v);
	}
}

/* Moves what v holds down into *r (display lock held). */
static void take_held(struct display_viewer *v, struct release *r)
{
	for (unsigned int i = 0; i < sizeof(v->keys_down) / sizeof(v->keys_down[0]); i++) {
		while (v->keys_down[i]) {
			unsigned int bit = (unsigned int)__builtin_ctzll(v->keys_down[i]);

			v->keys_down[i] &= v->keys_down[i] - 1;
			if (r->nr_keys < sizeof(r->keys) / sizeof(r->keys[0]))
				r->keys[r->nr_keys++] = (uint16_t)(i * 64 + bit);
		}
	}
	if (v->buttons)
		r->buttons = true;
	v->buttons = 0;
}

/* Releases them in the guest (display lock NOT held: the ops take machine.lock). */
static void do_release(struct display *d, const struct release *r)
{
	for (unsigned int i = 0; i < r->nr_keys && d->ops.key; i++)
		d->ops.key(d->opaque, r->keys[i], false);
	if (r->buttons && d->ops.buttons)
		d->ops.buttons(d->opaque, 0);
}

void display_viewer_free(struct display_viewer *v)
{
	struct display *d;
	struct display_viewer **pp;
	struct release *r;
	bool last;

	if (!v)
		return;
	d = v->d;
	r = calloc(1, sizeof(*r));
	pthread_mutex_lock(&d->lock);
	for (pp = &d->viewers; *pp != v; pp = &(*pp)->next)
		;
	*pp = v->next;
	last = v->wake && --d->nr_watchers == 0;
	if (d->holder == v)
		private_end(d, NULL);
	if (r)
		take_held(v, r);
	pthread_mutex_unlock(&d->lock);
	/* A viewer that went (or crashed) with keys down leaves none stuck. */
	if (r)
		do_release(d, r);
	free(r);
	free(v);
	if (last && d->ops.watched_changed)
		d->ops.watched_changed(d->opaque);
}

int display_viewer_poll(struct display_viewer *v, struct display_frame *f)
{
	struct display *d = v->d;
	const struct surface *s;
	bool blank;
	int ret;

	pthread_mutex_lock(&d->lock);
	s = viewer_surface(d, v);
	blank = !viewer_sees(d, v);
	f->mode_changed = v->mode_dirty;
	f->fd = -1;
	if (v->mode_dirty && s->fd >= 0) {
		ret = surface_viewer_fd(s);
		if (ret < 0) {
			/* Everything stays pending; the caller polls again. */
			pthread_mutex_unlock(&d->lock);
			return ret;
		}
		f->fd = ret;
	}
	f->width = s->width;
	f->height = s->height;
	f->stride = s->stride;
	f->format = s->format;
	f->size = s->size;
	f->blank = blank;
	if (v->mode_dirty) {
		f->nr_rects = 0;
		if (s->width)
			f->rects[f->nr_rects++] = (struct display_rect){ 0, 0, s->width, s->height };
	} else {
		f->nr_rects = v->nr_rects;
		memcpy(f->rects, v->rects, v->nr_rects * sizeof(v->rects[0]));
	}
	f->cursor_changed = v->cursor_dirty;
	f->cursor_w = f->cursor_h = f->cursor_hot_x = f->cursor_hot_y = 0;
	if (v->cursor_dirty && !blank && d->cur_w) {
		f->cursor_w = d->cur_w;
		f->cursor_h = d->cur_h;
		f->cursor_hot_x = d->cur_hot_x;
		f->cursor_hot_y = d->cur_hot_y;
		memcpy(f->cursor, d->cursor, (size_t)d->cur_w * d->cur_h * sizeof(d->cursor[0]));
	}
	f->cursor_moved = v->cursor_moved;
	/* A blanked viewer learns nothing of the holder's pointer. */
	f->cursor_x = blank ? 0 : d->cur_x;
	f->cursor_y = blank ? 0 : d->cur_y;
	f->cursor_visible = d->cur_visible && !blank;
	/* The mode is the guest's, not the holder's: a blanked viewer has it too. */
	f->pointer_changed = v->pointer_dirty;
	f->pointer_relative = d->pointer_relative;
	ret = f->mode_changed || f->nr_rects || f->cursor_changed || f->cursor_moved ||
	      f->pointer_changed;
	v->pointer_dirty = false;
	v->mode_dirty = false;
	v->nr_rects = 0;
	v->cursor_dirty = false;
	v->cursor_moved = false;
	v->woken = false;
	pthread_mutex_unlock(&d->lock);
	return ret;
}

/* ---- private mode ---- */

int display_private_acquire(struct display_viewer *v)
{
	struct display *d = v->d;
	struct display_viewer *w;
	struct release *r;
	int ret;

	if (!v->owner)
		return -EPERM;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	pthread_mutex_lock(&d->lock);
	if (d->holder) {
		ret = d->holder == v ? -EALREADY : -EBUSY;
		goto unlock;
	}
	ret = surface_make(&d->priv, d->pub.width, d->pub.height, d->pub.format);
	if (ret)
		goto unlock;
	if (d->pub.map) {
		memcpy(d->priv.map, d->pub.map, d->pub.size);
		surface_clear(&d->pub);
	}
	d->holder = v;
	for (w = d->viewers; w; w = w->next) {
		if (w == v) {
			w->mode_dirty = true;
			w->nr_rects = 0;
		} else {
			/* Black everywhere, no cursor, and nothing of it held down. */
			damage_full(d, w);
			w->cursor_dirty = true;
			w->cursor_moved = true;
			take_held(w, r);
		}
		viewer_notify(w);
	}
unlock:
	pthread_mutex_unlock(&d->lock);
	if (!ret)
		do_release(d, r);
	free(r);
	return ret;
}

int display_private_release(struct display_viewer *v)
{
	struct display *d = v->d;
	int ret = -EINVAL;

	pthread_mutex_lock(&d->lock);
	if (d->holder == v) {
		private_end(d, v);
		ret = 0;
	}
	pthread_mutex_unlock(&d->lock);
	return ret;
}

bool display_private_held(struct display *d)
{
	bool held;

	pthread_mutex_lock(&d->lock);
	held = d->holder != NULL;
	pthread_mutex_unlock(&d->lock);
	return held;
}

/* ---- input ---- */

/* May v's input reach the guest now?  The mode's size into *w, *h. */
static int input_check(struct display_viewer *v, uint32_t *w, uint32_t *h)
{
	struct display *d = v->d;
	int ret = 0;

	pthread_mutex_lock(&d->lock);
	if (!viewer_sees(d, v))
		ret = -EACCES;
	if (w)
		*w = d->pub.width;
	if (h)
		*h = d->pub.height;
	pthread_mutex_unlock(&d->lock);
	return ret;
}

int display_input_key(struct display_viewer *v, uint16_t code, bool down)
{
	struct display *d = v->d;
	uint64_t bit = 1ull << (code % 64);
	int ret = 0;

	if (!code || code > KEY_MAX)
		return -EINVAL;
	pthread_mutex_lock(&d->lock);
	if (down) {
		if (viewer_sees(d, v))
			v->keys_down[code / 64] |= bit;
		else
			ret = -EACCES;
	} else if (v->keys_down[code / 64] & bit) {
		v->keys_down[code / 64] &= ~bit;	/* its own key: always released */
	} else if (!viewer_sees(d, v)) {
		ret = -EACCES;
	}
	pthread_mutex_unlock(&d->lock);
	if (!ret && d->ops.key)
		d->ops.key(d->opaque, code, down);
	return ret;
}

int display_input_abs(struct display_viewer *v, uint32_t x, uint32_t y)
{
	struct display *d = v->d;
	uint32_t w, h;
	int ret;

	ret = input_check(v, &w, &h);
	if (ret)
		return ret;
	if (!w)
		return -ENODEV;
	if (x >= w)
		x = w - 1;
	if (y >= h)
		y = h - 1;
	if (d->ops.abs)
		d->ops.abs(d->opaque, x, y, w, h);
	return 0;
}

int display_input_buttons(struct display_viewer *v, uint32_t mask)
{
	struct display *d = v->d;
	uint32_t send = mask;
	bool call = true;
	int ret = 0;

	if (mask & ~DISPLAY_BUTTONS_ALL)
		return -EINVAL;
	pthread_mutex_lock(&d->lock);
	if (!viewer_sees(d, v)) {
		/* Blanked: only the releases of its own buttons go through. */
		send = v->buttons & mask;
		call = send != v->buttons;
		if (mask & ~v->buttons)
			ret = -EACCES;
	}
	v->buttons = send;
	pthread_mutex_unlock(&d->lock);
	if (call && d->ops.buttons)
		d->ops.buttons(d->opaque, send);
	return ret;
}

int display_input_wheel(struct display_viewer *v, int32_t dy, int32_t dx)
{
	struct display *d = v->d;
	int ret = input_check(v, NULL, NULL);

	if (!ret && d->ops.wheel && (dy || dx))
		d->ops.wheel(d->opaque, dy, dx);
	return ret;
}

int display_input_rel(struct display_viewer *v, int32_t dx, int32_t dy)
{
	struct display *d = v->d;
	int ret = input_check(v, NULL, NULL);

	if (!ret && d->ops.rel && (dx || dy))
		d->ops.rel(d->opaque, dx, dy);
	return ret;
}

/* ---- the resize debounce ---- */

int display_request_size(struct display_viewer *v, uint32_t width, uint32_t height)
{
	struct display *d = v->d;
	int64_t now;
	int ret = 0;

	if (width < DISPLAY_MIN_WIDTH || width > DISPLAY_MAX_WIDTH ||
	    height < DISPLAY_MIN_HEIGHT || height > DISPLAY_MAX_HEIGHT)
		return -EINVAL;
	pthread_mutex_lock(&d->lock);
	if (!viewer_sees(d, v)) {
		ret = -EACCES;
		goto unlock;
	}
	if (!d->resize_timer) {
		ret = -EOPNOTSUPP;
		goto unlock;
	}
	now = ioloop_now_ns();
	d->resize_w = width;
	d->resize_h = height;
	d->resize_pending = true;
	d->resize_last_ns = now;
	if (!d->resize_armed) {
		d->resize_armed = true;
		ioloop_timer_arm(d->resize_timer, now + RESIZE_SETTLE_NS);
	}
unlock:
	pthread_mutex_unlock(&d->lock);
	return ret;
}

/* The resize timer, on the loop's thread. */
static void resize_fire(void *opaque)
{
	struct display *d = opaque;
	uint32_t w, h;

	pthread_mutex_lock(&d->lock);
	if (!d->resize_pending) {
		d->resize_armed = false;
		goto unlock;
	}
	if (ioloop_now_ns() - d->resize_last_ns < RESIZE_SETTLE_NS) {
		/* Still storming: wait out the rest from the last request. */
		ioloop_timer_arm(d->resize_timer, d->resize_last_ns + RESIZE_SETTLE_NS);
		goto unlock;
	}
	w = d->resize_w;
	h = d->resize_h;
	d->resize_pending = false;
	d->resize_armed = false;
	pthread_mutex_unlock(&d->lock);
	if (d->ops.resize)
		d->ops.resize(d->opaque, w, h);
	return;
unlock:
	pthread_mutex_unlock(&d->lock);
}
