// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * display/vnc.c - the VNC server (RFB, RFC 6143) for headless VMs, on
 * libvncserver, as one viewer of the display (display/display.h).
 *
 * Driven by the monitor's I/O loop, not by libvncserver's threads or its
 * select() loop (rfbRunEventLoop/rfbProcessEvents are never called).  We
 * make the listening socket ourselves, accept() on it when the loop says
 * it is readable and hand each connection to rfbNewClient(); each client's
 * socket is watched (a dup of it: libvncserver closes its own fd when it
 * drops a client, and the loop must never be left watching a number the
 * process may already have reused) and rfbProcessClientMessage() runs
 * when it is readable.  The screen is pushed by the display: its wake()
 * schedules a bottom half that polls the viewer and marks each damage
 * rectangle (rfbMarkRectAsModified()), then sends what each client has
 * asked for (rfbUpdateClient(), with deferUpdateTime 0 so nothing waits
 * for a later call).  No timer runs: with the screen idle and the
 * clients quiet nothing here wakes the loop (tests/display/vnc-test.c
 * counts it).  Timers run only while something is wrong: a retry when
 * polling the display failed for want of a file descriptor, and a look
 * every 10 ms at a client whose message is half in (below).
 *
 * The framebuffer is the display's memfd mapped read-only: every DRM
 * format the display has (32 bits, 8 bits a channel) is a true-colour
 * pixel format RFB can describe (shifts 0/8/16/24, RFC 6143 7.4), so
 * nothing is converted or copied on our side; libvncserver translates
 * per client as it encodes.  Its row stride is the surface's
 * (paddedWidthInBytes).  libvncserver draws the cursor into the
 * framebuffer for clients without the cursor pseudo-encodings: that
 * would write into the read-only mapping, so the screen has no cursor
 * (screen->cursor NULL) and the display's cursor goes only to clients
 * that take it as a shape (RichCursor or XCursor, through getCursorPtr).
 * While another viewer holds private mode, or with no scanout, the
 * screen is our own zeroed buffer of the last size: the real pixels are
 * never mapped into what VNC sends.
 *
 * Not blocking the loop.  libvncserver writes with blocking semantics
 * (rfbWriteExact() waits in select() for a full socket) and reads a
 * message whole (rfbReadExact() waits up to maxClientWait for the rest).
 * So a client's updates go through a spool: for the length of one
 * rfbUpdateClient() its cl->sock is a memfd of its own, which takes any
 * length at once, and the loop then sends the spool to the socket as the
 * socket takes it (sendfile(), non-blocking).  An update is thus one
 * FramebufferUpdate covering the whole region asked for, as clients that
 * save the first update they get (vncsnapshot) need, and a spool holds
 * one update at most, since nothing more is encoded for the client until
 * its spool is empty.  An update covers VNC_SPOOL_MAX bytes of pixels at
 * most (a 1920x1080 screen whole; a larger one goes in slices of that,
 * each its own update), so a client that stops reading holds at most
 * about that (raw encoding: 8 MiB), and VNC_MAX_CLIENTS of them 16 times
 * it.  While the spool is not empty, or the socket
 * is full, the client's watch waits for EPOLLOUT alone and its messages
 * are not read (so a client that stops reading also stops being read:
 * its requests, and so our output, stop; damage meanwhile merges in
 * libvncserver's modifiedRegion).  Replies to messages (a colour map, a
 * SetDesktopSize result) are written directly, only while the spool is
 * empty and the socket has room (its send buffer is raised to
 * VNC_SNDBUF), so the write does not wait.  A message is
 * handed to libvncserver only once it is queued whole (its length known
 * from the state and the header: client_message_ready()), so a client
 * that sends half a message and the rest a byte at a time holds nothing
 * but itself, and goes after VNC_CLIENT_WAIT_MS.  What remains: a
 * message whose length we do not know (the UltraVNC extensions
 * libvncserver takes, a ClientCutText over VNC_GATE_MAX) is read as it
 * comes, waiting up to maxClientWait for each missing piece (only an
 * authenticated client can send those); and rfbNewClient() peeks for a
 * WebSockets handshake for 100 ms on each new connection (compiled into
 * Debian's 0.9.14): VNC_MAX_CLIENTS bounds how often that can be asked
 * for at once.  libvncserver's select() cannot take fds >= FD_SETSIZE:
 * a connection is moved below it or refused.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/input-event-codes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/select.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rfb/keysym.h>
#include <rfb/rfb.h>
#include <rfb/rfbregion.h>

#include "display/display.h"
#include "display/vnc.h"
#include "io/ioloop.h"

#define VNC_SNDBUF		(1024 * 1024)	/* asked for; the kernel caps it (wmem_max) */
#define VNC_SPOOL_MAX		(8 * 1024 * 1024)	/* raw pixel bytes one update covers: 1920x1080x4 */
#define VNC_IDLE_W		640		/* the black screen before any mode */
#define VNC_IDLE_H		480
#define VNC_RETRY_NS		100000000ll	/* polling the display again after -EMFILE */
#define VNC_RESIZE_BURST	64
#define VNC_PARTIAL_POLL_NS	10000000ll	/* looking again for the rest of a message */
#define VNC_GATE_MAX		(64 * 1024)	/* longer messages are read as they come */

struct vnc_client {
	struct vnc_server *s;
	rfbClientPtr cl;
	int fd;				/* ours: a dup of cl->sock, what the loop watches */
	int spool;			/* a memfd: the update being sent (below FD_SETSIZE) */
	off_t spool_len;		/* its bytes */
	off_t spool_sent;		/* of which the socket took these */
	struct ioloop_watch *w;
	uint32_t events;
	int last_mask;			/* the pointer buttons last reported */
	int last_x, last_y;		/* its last position (-1: none yet) */
	uint8_t keys_down[256 / 8];	/* evdev codes this client holds down */
	struct ioloop_timer *partial;	/* looks again while a message is half in */
	struct ioloop_timer *handshake;	/* drops it if not through by then */
	int64_t partial_since;		/* 0: no message waiting for its rest */
	int64_t resize_tokens;		/* SetDesktopSize replies of Success left */
	int64_t resize_ns;		/* when the last token was added */
	struct vnc_client *next;
};

struct vnc_server {
	struct display *d;
	struct ioloop *loop;
	struct display_viewer *v;
	rfbScreenInfoPtr screen;

	int lfd;
	struct ioloop_watch *lw;
	bool unix_;
	char path[VNC_PATH_MAX + 1];
	dev_t sock_dev;			/* the socket we made: stop unlinks only that */
	ino_t sock_ino;
	unsigned port;

	char password[VNC_PASSWORD_MAX + 1];
	bool has_password;

	struct ioloop_bh bh;
	struct ioloop_timer *retry;
	struct display_frame frame;

	/* The display's surface, mapped. */
	void *map;
	size_t map_size;
	void *old_map;			/* the last mode's, until the screen lets go */
	size_t old_size;
	uint32_t width, height, stride, format;
	bool blank;

	/* Ours: black, of the last size. */
	void *black;
	uint32_t black_w, black_h;

	/* What the screen shows now. */
	void *shown;
	uint32_t shown_stride, shown_format;

	/* The cursor, as a shape for clients that take one. */
	bool cursor_on;
	rfbCursor cursor;
	uint32_t cursor_argb[DISPLAY_CURSOR_MAX * DISPLAY_CURSOR_MAX];
	unsigned char cursor_source[DISPLAY_CURSOR_MAX / 8 * DISPLAY_CURSOR_MAX];
	unsigned char cursor_mask[DISPLAY_CURSOR_MAX / 8 * DISPLAY_CURSOR_MAX];
	uint32_t cursor_rich[DISPLAY_CURSOR_MAX * DISPLAY_CURSOR_MAX];

	struct vnc_client *clients;
	atomic_uint nr_clients;
	atomic_uint_least64_t callbacks;
	atomic_uint_least64_t updates;
	atomic_uint_least64_t spooled;	/* bytes in the clients' spools, not yet sent */
	atomic_int_least64_t handshake_ns;
};

/* ---- logging ---- */

static atomic_bool verbose;

static void vnc_log(const char *fmt, ...)
{
	va_list ap;

	if (!atomic_load(&verbose))
		return;
	va_start(ap, fmt);
	fputs("vnc: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

void vnc_set_verbose(bool on)
{
	atomic_store(&verbose, on);
}

/* ---- keyboard: X keysyms to evdev codes, US layout ---- */

static const struct { uint32_t sym; uint16_t code; } keymap[] = {
	{ XK_space, KEY_SPACE },
	{ XK_exclam, KEY_1 }, { XK_at, KEY_2 }, { XK_numbersign, KEY_3 },
	{ XK_dollar, KEY_4 }, { XK_percent, KEY_5 }, { XK_asciicircum, KEY_6 },
	{ XK_ampersand, KEY_7 }, { XK_asterisk, KEY_8 }, { XK_parenleft, KEY_9 },
	{ XK_parenright, KEY_0 },
	{ XK_minus, KEY_MINUS }, { XK_underscore, KEY_MINUS },
	{ XK_equal, KEY_EQUAL }, { XK_plus, KEY_EQUAL },
	{ XK_bracketleft, KEY_LEFTBRACE }, { XK_braceleft, KEY_LEFTBRACE },
	{ XK_bracketright, KEY_RIGHTBRACE }, { XK_braceright, KEY_RIGHTBRACE },
	{ XK_backslash, KEY_BACKSLASH }, { XK_bar, KEY_BACKSLASH },
	{ XK_semicolon, KEY_SEMICOLON }, { XK_colon, KEY_SEMICOLON },
	{ XK_apostrophe, KEY_APOSTROPHE }, { XK_quotedbl, KEY_APOSTROPHE },
	{ XK_grave, KEY_GRAVE }, { XK_asciitilde, KEY_GRAVE },
	{ XK_comma, KEY_COMMA }, { XK_less, KEY_COMMA },
	{ XK_period, KEY_DOT }, { XK_greater, KEY_DOT },
	{ XK_slash, KEY_SLASH }, { XK_question, KEY_SLASH },

	{ XK_Return, KEY_ENTER }, { XK_BackSpace, KEY_BACKSPACE },
	{ XK_Tab, KEY_TAB }, { XK_ISO_Left_Tab, KEY_TAB }, { XK_Escape, KEY_ESC },
	{ XK_Left, KEY_LEFT }, { XK_Up, KEY_UP }, { XK_Right, KEY_RIGHT },
	{ XK_Down, KEY_DOWN }, { XK_Home, KEY_HOME }, { XK_End, KEY_END },
	{ XK_Page_Up, KEY_PAGEUP }, { XK_Page_Down, KEY_PAGEDOWN },
	{ XK_Insert, KEY_INSERT }, { XK_Delete, KEY_DELETE },
	{ XK_Print, KEY_SYSRQ }, { XK_Pause, KEY_PAUSE }, { XK_Menu, KEY_COMPOSE },

	{ XK_Shift_L, KEY_LEFTSHIFT }, { XK_Shift_R, KEY_RIGHTSHIFT },
	{ XK_Control_L, KEY_LEFTCTRL }, { XK_Control_R, KEY_RIGHTCTRL },
	{ XK_Alt_L, KEY_LEFTALT }, { XK_Alt_R, KEY_RIGHTALT },
	{ XK_ISO_Level3_Shift, KEY_RIGHTALT }, { XK_Mode_switch, KEY_RIGHTALT },
	{ XK_Meta_L, KEY_LEFTMETA }, { XK_Meta_R, KEY_RIGHTMETA },
	{ XK_Super_L, KEY_LEFTMETA }, { XK_Super_R, KEY_RIGHTMETA },
	{ XK_Caps_Lock, KEY_CAPSLOCK }, { XK_Num_Lock, KEY_NUMLOCK },
	{ XK_Scroll_Lock, KEY_SCROLLLOCK },

	{ XK_F1, KEY_F1 }, { XK_F2, KEY_F2 }, { XK_F3, KEY_F3 }, { XK_F4, KEY_F4 },
	{ XK_F5, KEY_F5 }, { XK_F6, KEY_F6 }, { XK_F7, KEY_F7 }, { XK_F8, KEY_F8 },
	{ XK_F9, KEY_F9 }, { XK_F10, KEY_F10 }, { XK_F11, KEY_F11 }, { XK_F12, KEY_F12 },

	/* The keypad, with Num Lock on (digits) and off (the keys' other faces). */
	{ XK_KP_0, KEY_KP0 }, { XK_KP_1, KEY_KP1 }, { XK_KP_2, KEY_KP2 },
	{ XK_KP_3, KEY_KP3 }, { XK_KP_4, KEY_KP4 }, { XK_KP_5, KEY_KP5 },
	{ XK_KP_6, KEY_KP6 }, { XK_KP_7, KEY_KP7 }, { XK_KP_8, KEY_KP8 },
	{ XK_KP_9, KEY_KP9 }, { XK_KP_Decimal, KEY_KPDOT },
	{ XK_KP_Insert, KEY_KP0 }, { XK_KP_End, KEY_KP1 }, { XK_KP_Down, KEY_KP2 },
	{ XK_KP_Page_Down, KEY_KP3 }, { XK_KP_Left, KEY_KP4 }, { XK_KP_Begin, KEY_KP5 },
	{ XK_KP_Right, KEY_KP6 }, { XK_KP_Home, KEY_KP7 }, { XK_KP_Up, KEY_KP8 },
	{ XK_KP_Page_Up, KEY_KP9 }, { XK_KP_Delete, KEY_KPDOT },
	{ XK_KP_Add, KEY_KPPLUS }, { XK_KP_Subtract, KEY_KPMINUS },
	{ XK_KP_Multiply, KEY_KPASTERISK }, { XK_KP_Divide, KEY_KPSLASH },
	{ XK_KP_Enter, KEY_KPENTER }, { XK_KP_Equal, KEY_KPEQUAL },
};

/* KEY_A.. in the order of the alphabet (evdev numbers them by keyboard row). */
static const uint16_t letters[26] = {
	KEY_A, KEY_B, KEY_C, KEY_D, KEY_E, KEY_F, KEY_G, KEY_H, KEY_I, KEY_J, KEY_K,
	KEY_L, KEY_M, KEY_N, KEY_O, KEY_P, KEY_Q, KEY_R, KEY_S, KEY_T, KEY_U, KEY_V,
	KEY_W, KEY_X, KEY_Y, KEY_Z,
};

uint16_t vnc_keysym_to_evdev(uint32_t sym)
{
	size_t i;

	if (sym >= XK_a && sym <= XK_z)
		return letters[sym - XK_a];
	if (sym >= XK_A && sym <= XK_Z)
		return letters[sym - XK_A];
	if (sym >= XK_1 && sym <= XK_9)
		return KEY_1 + (sym - XK_1);
	if (sym == XK_0)
		return KEY_0;
	for (i = 0; i < sizeof(keymap) / sizeof(keymap[0]); i++)
		if (keymap[i].sym == sym)
			return keymap[i].code;
	return 0;
}

/* ---- input from clients (libvncserver calls these on the loop thread) ---- */

static void kbd_event(rfbBool down, rfbKeySym sym, rfbClientPtr cl)
{
	struct vnc_client *c = cl->clientData;
	uint16_t code = vnc_keysym_to_evdev(sym);

	if (!code || code >= 256)
		return;
	/* Held is what the guest saw go down (not what private mode dropped). */
	if (!display_input_key(c->s->v, code, down) && down)
		c->keys_down[code / 8] |= 1 << (code % 8);
	else if (!down)
		c->keys_down[code / 8] &= ~(1 << (code % 8));
}

/*
 * A client that goes (or is dropped) with keys or buttons down would
 * leave them held in the guest (Ctrl stuck after a closed viewer):
 * release them.
 */
static void client_release_input(struct vnc_client *c)
{
	unsigned code;

	for (code = 0; code < 256; code++)
		if (c->keys_down[code / 8] & (1 << (code % 8)))
			display_input_key(c->s->v, code, false);
	memset(c->keys_down, 0, sizeof(c->keys_down));
	if (c->last_mask & 0x87)
		display_input_buttons(c->s->v, 0);
	c->last_mask = 0;
}

/*
 * RFC 6143 7.5.5: buttons 1-3 are left, middle, right; 4/5 are the wheel
 * up/down and 6/7 left/right, one click per press; 8 is "back" (side).
 */
static void ptr_event(int mask, int x, int y, rfbClientPtr cl)
{
	struct vnc_client *c = cl->clientData;
	struct display_viewer *v = c->s->v;
	int pressed = mask & ~c->last_mask;
	uint32_t buttons = 0;
	int32_t dy = 0, dx = 0;

	/*
	 * RFC 6143 has absolute positions only.  While the guest drives its
	 * relative mouse (display.h, the pointer mode), the motion from the
	 * client's last position goes as a delta; the first event only
	 * sets where the client's pointer is.
	 */
	if (display_pointer_relative(c->s->d)) {
		if (c->last_x >= 0 && (x != c->last_x || y != c->last_y))
			display_input_rel(v, x - c->last_x, y - c->last_y);
	} else {
		display_input_abs(v, x < 0 ? 0 : x, y < 0 ? 0 : y);
	}
	c->last_x = x;
	c->last_y = y;
	if ((mask ^ c->last_mask) & 0x87) {
		if (mask & 1)
			buttons |= DISPLAY_BUTTON_LEFT;
		if (mask & 2)
			buttons |= DISPLAY_BUTTON_MIDDLE;
		if (mask & 4)
			buttons |= DISPLAY_BUTTON_RIGHT;
		if (mask & 0x80)
			buttons |= DISPLAY_BUTTON_SIDE;
		display_input_buttons(v, buttons);
	}
	if (pressed & 0x08)
		dy++;
	if (pressed & 0x10)
		dy--;
	if (pressed & 0x20)
		dx--;
	if (pressed & 0x40)
		dx++;
	if (dy || dx)
		display_input_wheel(v, dy, dx);
	c->last_mask = mask;
}

static void cut_text(char *str, int len, rfbClientPtr cl)
{
	(void)str;
	(void)len;
	(void)cl;		/* no clipboard towards the guest */
}

/*
 * ExtendedDesktopSize SetDesktopSize: the guest is asked (the display
 * debounces a storm), it decides; the new mode reaches the clients as
 * any mode does.  libvncserver 0.9.14 leaks its client iterator (24
 * bytes) each time this returns Success, so a client gets Success at
 * most VNC_RESIZE_BURST times at once and once a second after that;
 * past it the request still goes to the guest, the reply says
 * OutOfResources.
 */
static int set_desktop_size(int width, int height, int nr_screens,
			    struct rfbExtDesktopScreen *screens, rfbClientPtr cl)
{
	struct vnc_client *c = cl->clientData;
	int64_t now = ioloop_now_ns();
	int ret;

	(void)nr_screens;
	(void)screens;
	if (width <= 0 || height <= 0)
		return rfbExtDesktopSize_InvalidScreenLayout;
	ret = display_request_size(c->s->v, width, height);
	if (ret)
		return ret == -EINVAL ? rfbExtDesktopSize_InvalidScreenLayout :
					rfbExtDesktopSize_ResizeProhibited;
	c->resize_tokens += (now - c->resize_ns) / 1000000000;
	if (c->resize_tokens > VNC_RESIZE_BURST)
		c->resize_tokens = VNC_RESIZE_BURST;
	if (now - c->resize_ns >= 1000000000)
		c->resize_ns = now;
	if (c->resize_tokens < 1)
		return rfbExtDesktopSize_OutOfResources;
	c->resize_tokens--;
	return rfbExtDesktopSize_Success;
}

/* VNC authentication (RFC 6143 7.2.2), compared in constant time. */
static rfbBool check_password(rfbClientPtr cl, const char *response, int len)
{
	struct vnc_server *s = cl->screen->screenData;
	unsigned char want[CHALLENGESIZE];
	unsigned char diff = 0;
	int i;

	if (len != CHALLENGESIZE)
		return FALSE;
	memcpy(want, cl->authChallenge, CHALLENGESIZE);
	rfbEncryptBytes(want, s->password);
	for (i = 0; i < CHALLENGESIZE; i++)
		diff |= want[i] ^ (unsigned char)response[i];
	explicit_bzero(want, sizeof(want));
	return !diff;
}

static rfbCursorPtr get_cursor(rfbClientPtr cl)
{
	struct vnc_server *s = cl->screen->screenData;

	return s->cursor_on && !s->blank ? &s->cursor : NULL;
}

static void update_sent(rfbClientPtr cl, int result)
{
	struct vnc_server *s = cl->screen->screenData;

	(void)result;
	atomic_fetch_add(&s->updates, 1);
}

/* ---- clients ---- */

static void client_fd_ready(void *opaque, uint32_t events);

static void client_free(struct vnc_client *c)
{
	struct vnc_server *s = c->s;
	struct vnc_client **pp;

	for (pp = &s->clients; *pp != c; pp = &(*pp)->next)
		;
	*pp = c->next;
	client_release_input(c);
	ioloop_timer_free(c->partial);
	ioloop_timer_free(c->handshake);
	ioloop_unwatch(s->loop, c->w);
	close(c->fd);
	if (c->spool >= 0)
		close(c->spool);
	atomic_fetch_sub(&s->spooled, c->spool_len);
	if (c->cl->sock != RFB_INVALID_SOCKET)
		rfbCloseClient(c->cl);
	rfbClientConnectionGone(c->cl);
	atomic_fetch_sub(&s->nr_clients, 1);
	free(c);
}

/* Did libvncserver drop the client (rfbCloseClient() on an error)?  Then free it. */
static bool client_gone(struct vnc_client *c)
{
	if (c->cl->sock != RFB_INVALID_SOCKET)
		return false;
	client_free(c);
	return true;
}

static void client_watch(struct vnc_client *c, uint32_t events)
{
	if (c->events == events)
		return;
	if (!ioloop_watch_modify(c->s->loop, c->w, events))
		c->events = events;
}

/*
 * Sends the spool to the socket as far as the socket takes it (never
 * waiting), and empties it once all of it is sent.  1: the spool is
 * empty; 0: the socket is full; -errno: the connection failed.
 */
static int client_drain(struct vnc_client *c)
{
	ssize_t n;

	while (c->spool_sent < c->spool_len) {
		n = sendfile(c->fd, c->spool, &c->spool_sent, c->spool_len - c->spool_sent);
		if (n > 0)
			continue;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		return n < 0 ? -errno : -EPIPE;
	}
	if (c->spool_len) {
		atomic_fetch_sub(&c->s->spooled, c->spool_len);
		c->spool_len = c->spool_sent = 0;
		/* Gives the pages back: a spool holds one update, only while it is sent. */
		if (ftruncate(c->spool, 0) || lseek(c->spool, 0, SEEK_SET))
			return -errno;
	}
	return 1;
}

/* 1: nothing spooled and the socket has room; 0: not now; -errno: failed. */
static int client_room(struct vnc_client *c)
{
	struct pollfd p = { .fd = c->fd, .events = POLLOUT };
	int ret = client_drain(c);

	if (ret <= 0)
		return ret;
	return poll(&p, 1, 0) == 1 && (p.revents & POLLOUT);
}

static bool client_pending(rfbClientPtr cl)
{
	return cl->state == RFB_NORMAL && !cl->onHold && FB_UPDATE_PENDING(cl) &&
	       !sraRgnEmpty(cl->requestedRegion);
}

/*
 * Encodes what the client asked for and we have into its spool: one
 * FramebufferUpdate for the whole region asked for (libvncserver then
 * forgets the request until the client sends the next).  False if the
 * client is gone.
 */
static bool client_spool_update(struct vnc_client *c)
{
	rfbClientPtr cl = c->cl;
	int sock = cl->sock;
	sraRegionPtr asked = sraRgnCreateRgn(cl->requestedRegion), left;
	off_t end;

	cl->sock = c->spool;
	rfbUpdateClient(cl);
	/*
	 * A screen over VNC_SPOOL_MAX goes in slices (progressiveSliceHeight)
	 * and libvncserver forgets the request after the first: what is left
	 * of it goes in the next, without another request.
	 */
	if (cl->sock != RFB_INVALID_SOCKET && sraRgnEmpty(cl->requestedRegion)) {
		left = sraRgnCreateRgn(cl->modifiedRegion);
		sraRgnAnd(left, asked);
		if (!sraRgnEmpty(left))
			sraRgnOr(cl->requestedRegion, asked);
		sraRgnDestroy(left);
	}
	sraRgnDestroy(asked);
	if (cl->sock == RFB_INVALID_SOCKET) {
		/*
		 * A write to the memfd failed (no memory): libvncserver
		 * closed the spool as if it were the socket.  Drop the client.
		 */
		vnc_log("dropping a client: its update did not fit in memory\n");
		c->spool = -1;
		cl->sock = sock;
		rfbCloseClient(cl);
		client_gone(c);
		return false;
	}
	cl->sock = sock;
	end = lseek(c->spool, 0, SEEK_CUR);
	if (end < 0) {
		rfbCloseClient(cl);
		client_gone(c);
		return false;
	}
	c->spool_len = end;
	c->spool_sent = 0;
	atomic_fetch_add(&c->s->spooled, end);
	return true;
}

/*
 * Sends what the client asked for and we have, through its spool; then
 * reads its messages again (or, while the spool or the socket is full,
 * waits for room).  False if the client is gone.
 */
static bool client_flush(struct vnc_client *c)
{
	int rounds = 4, room;

	while ((room = client_room(c)) > 0 && client_pending(c->cl) && rounds-- > 0)
		if (!client_spool_update(c))
			return false;
	if (room < 0) {
		client_free(c);
		return false;
	}
	client_watch(c, room ? EPOLLIN : EPOLLOUT);
	return true;
}

static uint32_t be16(const uint8_t *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

/*
 * The length of the message the client sends next (RFC 6143 7.1-7.5,
 * and SetDesktopSize of the community RFB spec), from the bytes queued
 * (`h`, `n` of them); 0: not known from these (read it as it comes).
 */
static size_t msg_need(rfbClientPtr cl, const uint8_t *h, size_t n)
{
	switch (cl->state) {
	case RFB_PROTOCOL_VERSION:
		return sz_rfbProtocolVersionMsg;
	case RFB_SECURITY_TYPE:
	case RFB_INITIALISATION:
		return 1;
	case RFB_AUTHENTICATION:
		return CHALLENGESIZE;
	case RFB_NORMAL:
		break;
	default:
		return 0;
	}
	if (!n)
		return 1;
	switch (h[0]) {
	case rfbSetPixelFormat:
		return sz_rfbSetPixelFormatMsg;
	case rfbFixColourMapEntries:
		return n < 6 ? 6 : 6 + 6 * be16(h + 4);
	case rfbSetEncodings:
		return n < 4 ? 4 : 4 + 4 * be16(h + 2);
	case rfbFramebufferUpdateRequest:
		return sz_rfbFramebufferUpdateRequestMsg;
	case rfbKeyEvent:
		return sz_rfbKeyEventMsg;
	case rfbPointerEvent:
		return sz_rfbPointerEventMsg;
	case rfbClientCutText: {
		uint32_t len;

		if (n < 8)
			return 8;
		len = (uint32_t)h[4] << 24 | (uint32_t)h[5] << 16 | be16(h + 6);
		if (len & 0x80000000)	/* extended clipboard: the length negated */
			len = -len;
		return len > VNC_GATE_MAX ? 0 : 8 + len;
	}
	case rfbSetDesktopSize:
		return n < 8 ? 8 : 8 + 16 * h[6];
	default:
		return 0;
	}
}

/*
 * Is the client's next message all there?  libvncserver reads a message
 * whole and waits in select() for what is missing (a whole
 * maxClientWait per byte): a client that sends half a message and the
 * rest a byte at a time would hold the loop.  So a message is handed to
 * it only once queued in full; meanwhile the client's socket is not
 * watched for input (it stays readable: level-triggered epoll would
 * spin) and a timer looks again every VNC_PARTIAL_POLL_NS, for
 * VNC_CLIENT_WAIT_MS at most, after which the client is dropped.  The
 * timer runs only while a message is half in.
 */
static int client_message_ready(struct vnc_client *c)
{
	uint8_t h[8];
	ssize_t n;
	size_t need;
	int avail = 0;
	int64_t now;

	if (ioctl(c->fd, FIONREAD, &avail) || avail <= 0)
		return 1;		/* nothing, or the end: libvncserver reads it and closes */
	n = recv(c->fd, h, sizeof(h), MSG_PEEK | MSG_DONTWAIT);
	if (n <= 0)
		return 1;
	need = msg_need(c->cl, h, n);
	if (need && (size_t)avail < need) {
		now = ioloop_now_ns();
		if (!c->partial_since)
			c->partial_since = now;
		if (now - c->partial_since > VNC_CLIENT_WAIT_MS * 1000000ll) {
			vnc_log("dropping a client: half a message for %d ms\n", VNC_CLIENT_WAIT_MS);
			return -1;
		}
		client_watch(c, 0);
		ioloop_timer_arm(c->partial, now + VNC_PARTIAL_POLL_NS);
		return 0;
	}
	c->partial_since = 0;
	return 1;
}

static void client_fd_ready(void *opaque, uint32_t events)
{
	struct vnc_client *c = opaque;
	struct pollfd p = { .fd = c->fd, .events = POLLIN };
	int n, ready, room;

	atomic_fetch_add(&c->s->callbacks, 1);
	if ((events & (EPOLLERR | EPOLLHUP)) && !(events & EPOLLIN)) {
		client_free(c);
		return;
	}
	/* A bounded number of messages a turn: other fds get theirs. */
	for (n = 0; n < 32; n++) {
		room = client_room(c);
		if (room < 0) {
			client_free(c);
			return;
		}
		if (!room) {
			client_watch(c, EPOLLOUT);
			return;
		}
		if (poll(&p, 1, 0) != 1 || !(p.revents & (POLLIN | POLLHUP | POLLERR)))
			break;
		ready = client_message_ready(c);
		if (ready < 0) {
			client_free(c);
			return;
		}
		if (!ready)
			return;		/* the timer looks again */
		rfbProcessClientMessage(c->cl);
		if (client_gone(c))
			return;
		if (c->cl->state == RFB_NORMAL && ioloop_timer_armed(c->handshake))
			ioloop_timer_disarm(c->handshake);
	}
	client_flush(c);
}

/*
 * Through the handshake in VNC_HANDSHAKE_NS or gone: a connection that
 * says nothing would hold one of the VNC_MAX_CLIENTS places for good.
 */
static void client_handshake_timer(void *opaque)
{
	struct vnc_client *c = opaque;

	atomic_fetch_add(&c->s->callbacks, 1);
	if (c->cl->state != RFB_NORMAL) {
		vnc_log("dropping a client: no handshake in %lld ms\n",
			(long long)atomic_load(&c->s->handshake_ns) / 1000000);
		client_free(c);
	}
}

static void client_partial_timer(void *opaque)
{
	client_fd_ready(opaque, EPOLLIN);
}

/* libvncserver keeps its fds in fd_sets and select()s on them. */
static int fd_below_setsize(int fd)
{
	int low;

	if (fd < FD_SETSIZE)
		return fd;
	low = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	close(fd);
	if (low >= FD_SETSIZE)
		close(low);
	return low < 0 || low >= FD_SETSIZE ? -EMFILE : low;
}

static void client_new(struct vnc_server *s, int fd)
{
	int sndbuf = VNC_SNDBUF, mine, spool;
	struct vnc_client *c;
	rfbClientPtr cl;

	if (atomic_load(&s->nr_clients) >= VNC_MAX_CLIENTS) {
		vnc_log("refusing a connection: %d clients already\n", VNC_MAX_CLIENTS);
		close(fd);
		return;
	}
	fd = fd_below_setsize(fd);
	if (fd < 0) {
		vnc_log("refusing a connection: no descriptor below %d\n", FD_SETSIZE);
		return;
	}
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	c = calloc(1, sizeof(*c));
	if (c)
		c->spool = -1;
	mine = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (!c || mine < 0)
		goto err_free;
	/* Stands in for the socket while libvncserver encodes: below FD_SETSIZE too. */
	spool = memfd_create("vmain-vnc-spool", MFD_CLOEXEC);
	c->spool = spool < 0 ? spool : fd_below_setsize(spool);
	if (c->spool < 0)
		goto err_free;
	if (ioloop_timer_new(s->loop, client_partial_timer, c, &c->partial) ||
	    ioloop_timer_new(s->loop, client_handshake_timer, c, &c->handshake))
		goto err_free;
	c->s = s;
	c->fd = mine;
	c->events = EPOLLIN;
	c->last_x = c->last_y = -1;
	c->resize_tokens = VNC_RESIZE_BURST;
	c->resize_ns = ioloop_now_ns();
	/* It writes the ProtocolVersion (RFC 6143 7.1.1) and owns fd from here. */
	cl = rfbNewClient(s->screen, fd);
	if (!cl) {
		ioloop_timer_free(c->partial);
		ioloop_timer_free(c->handshake);
		close(c->spool);
		close(mine);
		free(c);
		return;
	}
	c->cl = cl;
	cl->clientData = c;
	if (ioloop_watch_fd(s->loop, c->fd, EPOLLIN, client_fd_ready, c, &c->w)) {
		rfbCloseClient(cl);
		rfbClientConnectionGone(cl);
		ioloop_timer_free(c->partial);
		ioloop_timer_free(c->handshake);
		close(c->spool);
		close(mine);
		free(c);
		return;
	}
	c->next = s->clients;
	s->clients = c;
	atomic_fetch_add(&s->nr_clients, 1);
	ioloop_timer_arm(c->handshake, ioloop_now_ns() + atomic_load(&s->handshake_ns));
	return;

err_free:
	if (mine >= 0)
		close(mine);
	if (c) {
		if (c->spool >= 0)
			close(c->spool);
		ioloop_timer_free(c->partial);
		ioloop_timer_free(c->handshake);
	}
	free(c);
	close(fd);
}

static void listen_ready(void *opaque, uint32_t events)
{
	struct vnc_server *s = opaque;
	int i, fd;

	(void)events;
	atomic_fetch_add(&s->callbacks, 1);
	for (i = 0; i < 4; i++) {
		fd = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0)
			return;
		client_new(s, fd);
	}
}

/* ---- the screen ---- */

static void set_pixel_format(rfbScreenInfoPtr screen, uint32_t format)
{
	rfbPixelFormat *pf = &screen->serverFormat;
	int r, g, b;

	/* Where each channel sits in the little-endian 32-bit pixel. */
	switch (format) {
	case DISPLAY_FORMAT_XBGR8888:
	case DISPLAY_FORMAT_ABGR8888:
		r = 0, g = 8, b = 16;
		break;
	case DISPLAY_FORMAT_BGRX8888:
	case DISPLAY_FORMAT_BGRA8888:
		r = 8, g = 16, b = 24;
		break;
	case DISPLAY_FORMAT_RGBX8888:
	case DISPLAY_FORMAT_RGBA8888:
		r = 24, g = 16, b = 8;
		break;
	default:	/* XRGB8888, ARGB8888 */
		r = 16, g = 8, b = 0;
		break;
	}
	pf->bitsPerPixel = 32;
	pf->depth = 24;
	pf->bigEndian = FALSE;
	pf->trueColour = TRUE;
	pf->redMax = pf->greenMax = pf->blueMax = 255;
	pf->redShift = r;
	pf->greenShift = g;
	pf->blueShift = b;
}

/* The cursor's shape in the screen's pixel format; mask from alpha. */
static void cursor_build(struct vnc_server *s)
{
	const rfbPixelFormat *pf = &s->screen->serverFormat;
	unsigned w = s->cursor.width, h = s->cursor.height, rb = (w + 7) / 8, x, y;

	memset(s->cursor_source, 0, sizeof(s->cursor_source));
	memset(s->cursor_mask, 0, sizeof(s->cursor_mask));
	for (y = 0; y < h; y++) {
		for (x = 0; x < w; x++) {
			uint32_t p = s->cursor_argb[y * w + x];
			uint32_t a = p >> 24, r = (p >> 16) & 0xff, g = (p >> 8) & 0xff, b = p & 0xff;

			s->cursor_rich[y * w + x] = r << pf->redShift | g << pf->greenShift |
						    b << pf->blueShift;
			if (a >= 0x80)
				s->cursor_mask[y * rb + x / 8] |= 0x80 >> (x % 8);
			if (r + g + b >= 3 * 0x80)
				s->cursor_source[y * rb + x / 8] |= 0x80 >> (x % 8);
		}
	}
}

static void cursor_changed_all(struct vnc_server *s)
{
	struct vnc_client *c;

	for (c = s->clients; c; c = c->next)
		c->cl->cursorWasChanged = TRUE;
}

static void cursor_take(struct vnc_server *s, const struct display_frame *f)
{
	rfbCursor *cur = &s->cursor;

	s->cursor_on = f->cursor_w && f->cursor_h && f->cursor_w <= DISPLAY_CURSOR_MAX &&
		       f->cursor_h <= DISPLAY_CURSOR_MAX;
	if (s->cursor_on) {
		memset(cur, 0, sizeof(*cur));
		cur->width = f->cursor_w;
		cur->height = f->cursor_h;
		cur->xhot = f->cursor_hot_x < f->cursor_w ? f->cursor_hot_x : 0;
		cur->yhot = f->cursor_hot_y < f->cursor_h ? f->cursor_hot_y : 0;
		cur->source = s->cursor_source;
		cur->mask = s->cursor_mask;
		cur->richSource = (unsigned char *)s->cursor_rich;
		cur->foreRed = cur->foreGreen = cur->foreBlue = 0xffff;
		memcpy(s->cursor_argb, f->cursor, (size_t)f->cursor_w * f->cursor_h * 4);
		cursor_build(s);
	}
	cursor_changed_all(s);
}

static void unmap_surface(struct vnc_server *s)
{
	if (s->map)
		munmap(s->map, s->map_size);
	s->map = NULL;
	s->map_size = 0;
	if (s->old_map)
		munmap(s->old_map, s->old_size);
	s->old_map = NULL;
}

/*
 * A new mode: map the display's memfd read-only (no copy), or nothing.
 * The old mapping is unmapped once the screen no longer shows it
 * (unmap_old(), after show()).
 */
static void mode_take(struct vnc_server *s, struct display_frame *f)
{
	void *map = NULL;

	if (f->fd >= 0) {
		/* The display's promise; checked, as a short mapping would fault. */
		if (f->width && f->height && f->width <= DISPLAY_MAX_WIDTH &&
		    f->height <= DISPLAY_MAX_HEIGHT && f->stride >= (uint64_t)f->width * 4 &&
		    f->size >= (uint64_t)f->stride * f->height)
			map = mmap(NULL, f->size, PROT_READ, MAP_SHARED, f->fd, 0);
		close(f->fd);
		f->fd = -1;
		if (map == MAP_FAILED) {
			vnc_log("cannot map the screen: %s\n", strerror(errno));
			map = NULL;
		}
	}
	if (s->old_map) {
		/* A show() failed last time: old_map is still shown, map never was. */
		if (s->map)
			munmap(s->map, s->map_size);
	} else {
		s->old_map = s->map;
		s->old_size = s->map_size;
	}
	s->map = map;
	s->map_size = map ? f->size : 0;
	if (map) {
		s->width = f->width;
		s->height = f->height;
		s->stride = f->stride;
		s->format = f->format;
	}
}

static void unmap_old(struct vnc_server *s)
{
	if (s->old_map && s->screen->frameBuffer != s->old_map) {
		munmap(s->old_map, s->old_size);
		s->old_map = NULL;
	}
}

/* Shows the mapping, or black of the last size while blank or with no scanout. */
static int show(struct vnc_server *s)
{
	rfbScreenInfoPtr screen = s->screen;
	uint32_t w, h, stride, format;
	struct vnc_client *c, *next;
	void *buf;

	if (s->map && !s->blank) {
		buf = s->map;
		w = s->width;
		h = s->height;
		stride = s->stride;
		format = s->format;
	} else {
		w = s->width ?: VNC_IDLE_W;
		h = s->height ?: VNC_IDLE_H;
		if (!s->black || s->black_w != w || s->black_h != h) {
			void *black = calloc((size_t)w * h, 4);

			if (!black)
				return -ENOMEM;
			/* The screen may show the old one: swap below, free after. */
			if (s->shown == s->black)
				s->shown = NULL;
			if (screen->frameBuffer == s->black)
				screen->frameBuffer = black;
			free(s->black);
			s->black = black;
			s->black_w = w;
			s->black_h = h;
		}
		buf = s->black;
		stride = w * 4;
		format = DISPLAY_FORMAT_XRGB8888;
	}
	if (buf == s->shown && (int)w == screen->width && (int)h == screen->height &&
	    stride == s->shown_stride && format == s->shown_format)
		return 0;
	if ((int)w != screen->width || (int)h != screen->height) {
		/* Marks everything and sends DesktopSize to clients that take it. */
		rfbNewFramebuffer(screen, buf, w, h, 8, 3, 4);
	} else {
		screen->frameBuffer = buf;
		rfbMarkRectAsModified(screen, 0, 0, w, h);
	}
	screen->paddedWidthInBytes = stride;
	/* Whole in one update (and one spool) up to VNC_SPOOL_MAX; beyond, slices of it. */
	screen->progressiveSliceHeight = (uint64_t)stride * h > VNC_SPOOL_MAX ?
					 VNC_SPOOL_MAX / stride : 0;
	set_pixel_format(screen, format);
	s->shown = buf;
	s->shown_stride = stride;
	s->shown_format = format;
	/* The clients' translation starts from the server's format. */
	for (c = s->clients; c; c = next) {
		next = c->next;
		screen->setTranslateFunction(c->cl);
		if (!client_gone(c))
			c->cl->cursorWasChanged = TRUE;
	}
	if (s->cursor_on)
		cursor_build(s);
	return 0;
}

static void flush_all(struct vnc_server *s)
{
	struct vnc_client *c, *next;

	for (c = s->clients; c; c = next) {
		next = c->next;
		/* One waiting for room gets it when its EPOLLOUT comes. */
		if (c->events == EPOLLIN)
			client_flush(c);
	}
}

static void display_changed(void *opaque)
{
	struct vnc_server *s = opaque;
	struct display_frame *f = &s->frame;
	unsigned i;
	int ret;

	atomic_fetch_add(&s->callbacks, 1);
	if (!s->v)
		return;		/* stopping: queued before the viewer went */
	f->fd = -1;
	ret = display_viewer_poll(s->v, f);
	if (ret < 0) {
		/* No fd for the dup: everything stays pending; try again soon. */
		vnc_log("polling the display: %s\n", strerror(-ret));
		ioloop_timer_arm(s->retry, ioloop_now_ns() + VNC_RETRY_NS);
		return;
	}
	if (f->mode_changed)
		mode_take(s, f);
	if (f->blank != s->blank) {
		s->blank = f->blank;
		cursor_changed_all(s);
	}
	if (f->cursor_changed)
		cursor_take(s, f);
	if (show(s) < 0)
		vnc_log("no memory for a black screen\n");
	unmap_old(s);
	if (s->shown == s->map && s->map) {
		for (i = 0; i < f->nr_rects && i < DISPLAY_MAX_RECTS; i++) {
			const struct display_rect *r = &f->rects[i];

			rfbMarkRectAsModified(s->screen, r->x, r->y, r->x + r->w, r->y + r->h);
		}
	}
	flush_all(s);
}

static void retry_fired(void *opaque)
{
	display_changed(opaque);
}

static void wake(void *opaque)
{
	struct vnc_server *s = opaque;

	ioloop_bh_schedule(s->loop, &s->bh);
}

static const struct display_viewer_ops viewer_ops = { .wake = wake };

/* ---- listening ---- */

static int listen_unix(struct vnc_server *s, const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, ret;

	if (!lstat(path, &st)) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen, "%s exists and is not a socket", path);
			return -EEXIST;
		}
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		goto err_errno;
	if (!lstat(path, &st)) {
		/* A socket: live (another server) or left by one that died. */
		int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

		ret = probe < 0 ? -1 : connect(probe, (struct sockaddr *)&sa, sizeof(sa));
		if (probe >= 0)
			close(probe);
		if (!ret) {
			close(fd);
			snprintf(err, errlen, "%s: another server is listening there", path);
			return -EADDRINUSE;
		}
		unlink(path);
	}
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)))
		goto err_close;
	/* Owner only, before listen(): nobody can connect in between. */
	if (chmod(path, 0600) || lstat(path, &st))
		goto err_unlink;
	s->sock_dev = st.st_dev;
	s->sock_ino = st.st_ino;
	if (listen(fd, 8))
		goto err_unlink;
	s->lfd = fd;
	return 0;

err_unlink:
	ret = -errno;
	unlink(path);
	close(fd);
	snprintf(err, errlen, "%s: %s", path, strerror(-ret));
	return ret;
err_close:
	ret = -errno;
	close(fd);
	snprintf(err, errlen, "%s: %s", path, strerror(-ret));
	return ret;
err_errno:
	ret = -errno;
	snprintf(err, errlen, "%s: %s", path, strerror(-ret));
	return ret;
}

static int listen_tcp(struct vnc_server *s, const struct vnc_options *o, char *err, size_t errlen)
{
	struct sockaddr_storage sa;
	socklen_t len = sizeof(sa);
	char host[INET6_ADDRSTRLEN] = "?";
	int fd, one = 1, ret;
	unsigned port;

	if (o->addr.ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)&o->addr)->sin6_addr, host,
			  sizeof(host));
		port = ntohs(((const struct sockaddr_in6 *)&o->addr)->sin6_port);
	} else {
		inet_ntop(AF_INET, &((const struct sockaddr_in *)&o->addr)->sin_addr, host,
			  sizeof(host));
		port = ntohs(((const struct sockaddr_in *)&o->addr)->sin_port);
	}
	fd = socket(o->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		ret = -errno;
		goto err;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* [::]:PORT means IPv6 only: IPv4 is its own address. */
	if (o->addr.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)&o->addr, o->addrlen) || listen(fd, 8) ||
	    getsockname(fd, (struct sockaddr *)&sa, &len)) {
		ret = -errno;
		close(fd);
		goto err;
	}
	s->port = ntohs(sa.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&sa)->sin6_port :
			((struct sockaddr_in *)&sa)->sin_port);
	s->lfd = fd;
	return 0;
err:
	snprintf(err, errlen, "%s%s%s:%u: %s", o->addr.ss_family == AF_INET6 ? "[" : "", host,
		 o->addr.ss_family == AF_INET6 ? "]" : "", port, strerror(-ret));
	return ret;
}

/* ---- start and stop ---- */

struct start_call {
	struct vnc_server *s;
	int ret;
};

/* On the loop: the first poll, and the listening socket watched. */
static void start_on_loop(void *opaque)
{
	struct start_call *sc = opaque;
	struct vnc_server *s = sc->s;

	sc->ret = ioloop_watch_fd(s->loop, s->lfd, EPOLLIN, listen_ready, s, &s->lw);
	if (!sc->ret)
		ioloop_bh_schedule(s->loop, &s->bh);
}

static void stop_on_loop(void *opaque)
{
	struct vnc_server *s = opaque;
	struct stat st;

	ioloop_unwatch(s->loop, s->lw);
	s->lw = NULL;
	if (s->lfd >= 0)
		close(s->lfd);
	s->lfd = -1;
	if (s->unix_ && !lstat(s->path, &st) && st.st_dev == s->sock_dev &&
	    st.st_ino == s->sock_ino)
		unlink(s->path);
	while (s->clients)
		client_free(s->clients);
	/* Here, so that no display_changed() runs with it half gone. */
	display_viewer_free(s->v);
	s->v = NULL;
	if (s->retry)
		ioloop_timer_free(s->retry);
	s->retry = NULL;
}

static void viewer_free_on_loop(void *opaque)
{
	struct vnc_server *s = opaque;

	display_viewer_free(s->v);
	s->v = NULL;
}

static void nothing(void *opaque)
{
	(void)opaque;
}

/*
 * Waits until our bottom half is not queued: the loop's thread runs it
 * (nothing() queued behind it), or we turn the loop when it has none
 * (ioloop_call_sync() made the caller its owner) or we are its thread.
 */
static void drain_bh(struct vnc_server *s)
{
	while (atomic_load(&s->bh.queued)) {
		if (ioloop_in_loop(s->loop))
			ioloop_run_once(s->loop, 0);
		else
			ioloop_call_sync(s->loop, nothing, NULL);
	}
}

int vnc_server_start(struct vnc_server **out, struct display *d, struct ioloop *loop,
		     const struct vnc_options *o, char *err, size_t errlen)
{
	struct start_call sc;
	rfbScreenInfoPtr screen;
	struct vnc_server *s;
	int ret;

	ret = vnc_options_check(o, err, errlen);
	if (ret)
		return ret;
	rfbLog = rfbErr = vnc_log;
	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "vnc: out of memory");
		return -ENOMEM;
	}
	s->d = d;
	s->loop = loop;
	atomic_store(&s->handshake_ns, VNC_HANDSHAKE_NS);
	s->lfd = -1;
	s->unix_ = o->unix_;
	memcpy(s->path, o->path, sizeof(s->path));
	s->has_password = o->has_password;
	memcpy(s->password, o->password, sizeof(s->password));
	ioloop_bh_init(&s->bh, display_changed, s);
	ret = ioloop_timer_new(loop, retry_fired, s, &s->retry);
	if (ret) {
		snprintf(err, errlen, "vnc: %s", strerror(-ret));
		goto err_free;
	}
	s->black = calloc((size_t)VNC_IDLE_W * VNC_IDLE_H, 4);
	screen = rfbGetScreen(NULL, NULL, VNC_IDLE_W, VNC_IDLE_H, 8, 3, 4);
	if (!s->black || !screen) {
		ret = -ENOMEM;
		snprintf(err, errlen, "vnc: out of memory");
		goto err_timer;
	}
	s->black_w = VNC_IDLE_W;
	s->black_h = VNC_IDLE_H;
	s->screen = screen;
	screen->screenData = s;
	screen->frameBuffer = s->black;
	screen->desktopName = "vmain";
	screen->alwaysShared = TRUE;		/* a second viewer never ends the first */
	screen->deferUpdateTime = 0;		/* send at once: no later call is coming */
	screen->deferPtrUpdateTime = 0;
	screen->maxClientWait = VNC_CLIENT_WAIT_MS;
	screen->permitFileTransfer = FALSE;
	screen->cursor = NULL;			/* never drawn into the read-only mapping */
	screen->getCursorPtr = get_cursor;
	screen->kbdAddEvent = kbd_event;
	screen->ptrAddEvent = ptr_event;
	screen->setXCutText = cut_text;
	screen->setXCutTextUTF8 = cut_text;
	screen->setDesktopSizeHook = set_desktop_size;
	screen->displayFinishedHook = update_sent;
	screen->progressiveSliceHeight = 0;	/* one FramebufferUpdate per request (the spool) */
	set_pixel_format(screen, DISPLAY_FORMAT_XRGB8888);
	s->shown = s->black;
	s->shown_stride = VNC_IDLE_W * 4;
	s->shown_format = DISPLAY_FORMAT_XRGB8888;
	if (s->has_password) {
		/* rfbAuthNewClient offers VNC authentication when this is set. */
		screen->authPasswdData = s->password;
		screen->passwordCheck = check_password;
	}

	ret = o->unix_ ? listen_unix(s, o->path, err, errlen) : listen_tcp(s, o, err, errlen);
	if (ret)
		goto err_screen;
	ret = display_viewer_new(d, &viewer_ops, s, false, &s->v);
	if (ret) {
		snprintf(err, errlen, "vnc: %s", strerror(-ret));
		goto err_listen;
	}
	sc.s = s;
	ioloop_call_sync(loop, start_on_loop, &sc);
	if (sc.ret) {
		ret = sc.ret;
		snprintf(err, errlen, "vnc: %s", strerror(-ret));
		goto err_viewer;
	}
	*out = s;
	return 0;

err_viewer:
	ioloop_call_sync(loop, viewer_free_on_loop, s);
	drain_bh(s);
err_listen:
	close(s->lfd);
	if (s->unix_)
		unlink(s->path);
err_screen:
	rfbScreenCleanup(screen);
err_timer:
	ioloop_timer_free(s->retry);
	free(s->black);
err_free:
	explicit_bzero(s->password, sizeof(s->password));
	free(s);
	return ret;
}

void vnc_server_stop(struct vnc_server *s)
{
	if (!s)
		return;
	/* Clients, listener and viewer go on the loop; then a bottom half already queued runs out. */
	ioloop_call_sync(s->loop, stop_on_loop, s);
	drain_bh(s);
	rfbScreenCleanup(s->screen);
	unmap_surface(s);
	free(s->black);
	explicit_bzero(s->password, sizeof(s->password));
	free(s);
}

unsigned vnc_server_port(const struct vnc_server *s)
{
	return s->unix_ ? 0 : s->port;
}

void vnc_server_set_handshake_ms(struct vnc_server *s, unsigned ms)
{
	atomic_store(&s->handshake_ns, (int64_t)ms * 1000000);
}

void vnc_server_stats(struct vnc_server *s, struct vnc_server_stats *st)
{
	st->clients = atomic_load(&s->nr_clients);
	st->callbacks = atomic_load(&s->callbacks);
	st->updates = atomic_load(&s->updates);
	st->spooled = atomic_load(&s->spooled);
}
