// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fake-vm [OPTION...] NAME - a stand-in VM for the desktop app's tests:
 * the real control API (docs/api.md) of a VM called NAME, with no guest.
 *
 * It serves $VMAIN_RUNTIME_DIR/NAME.sock (else $XDG_RUNTIME_DIR/vmain/
 * NAME.sock) and holds NAME.lock beside it, and the bundle's .lock when
 * NAME has a bundle (whose config.ini gives UUID, Memory, CPUs and
 * Config), as a VM process does: `vmain list` and `vmain status` see it
 * running.  Only the socket's owner may connect (SO_PEERCRED), EXTERNAL
 * authentication only.
 *
 * org.vmain.VM1 keeps the documented states and errors; Accel is "fake";
 * Save fails ("fake VM").  The guest obeys the power button: Stop (and
 * SIGTERM) go to shutting-down and to stopped 200 ms later (at once for
 * Stop(0), a second Stop, Kill); PowerButton stops it 200 ms later; then
 * the process ends.  With --deaf it ignores the button: Stop(T) ends it
 * after T seconds, as the monitor ends such a guest, and PowerButton does
 * nothing.  Reset redraws the screen.
 *
 * org.vmain.Display1 is the monitor's own (vm/dbus-display.c on a
 * display/display.c display, its timer on an I/O loop thread), unless
 * --no-display.  The guest draws fake-pattern.h at --size (1024x768),
 * redraws the frame band every --redraw-ms (0: never: an idle screen
 * stays idle; --full flushes the whole screen each time, for benchmarks;
 * SIGUSR2 flips a 64x64 square at 64,64 between two flat colours and
 * flushes it, the latency benchmark's probe), has a 16x16 cursor
 * (hotspot 1,1) that follows the pointer (absolute positions, and
 * relative motion clamped to the screen; SIGHUP flips the pointer mode
 * between absolute and relative, as a guest whose tablet driver goes
 * and comes back), and takes a viewer's preferred size as a Linux guest does (a
 * new mode of that size, drawn afresh).
 *
 * Everything it gets and does is logged, one line each, to stdout or
 * --log FILE (flushed at once, so that a test can wait for a line):
 *
 *	ready SOCKET			serving
 *	connect N / disconnect N	control connections (N: a serial)
 *	state STATE			every state change
 *	key CODE down|up		Display1 input, as the guest gets it
 *	abs X Y / buttons MASK / wheel DY DX / rel DX DY
 *	size W H			a viewer's preferred size, settled
 *	mode W H			a new mode (the start size, then each size)
 *	private on|off			a viewer took / let go of private mode
 *	pointer relative|absolute	SIGHUP flipped the pointer mode
 *	reset / power-button
 *	stats frame=F calls=C		on SIGUSR1: frames drawn, listener calls
 *					made (replied to) on all connections
 */
#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib-unix.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "display/display.h"
#include "io/ioloop.h"
#include "vm/dbus-display.h"
#include "fake-pattern.h"
#include "vm-xml.h"		/* the interfaces, as vm/dbus.c has them */

#define VM_PATH			"/org/vmain/VM"
#define VM_IFACE		"org.vmain.VM1"
#define ERROR_STATE		"org.vmain.Error.InvalidState"
#define ERROR_FAILED		"org.vmain.Error.Failed"
#define UNIQUE_NAME		":1.0"
#define GUEST_POWEROFF_MS	200	/* how long the fake guest takes to power off */
#define FLUSH_MS		1000
#define CURSOR_SIZE		16

enum state { ST_RUNNING, ST_PAUSED, ST_SHUTTING_DOWN, ST_STOPPED };
static const char *const state_names[] = {
	"running", "paused", "shutting-down", "stopped",
};

struct client {
	GDBusConnection *conn;
	unsigned int serial;
	guint vm_id, bus_id;
	gulong closed_id;
	struct dbus_display *display;
};

static struct {
	char *name, *uuid, *config;
	guint64 memory;
	guint32 cpus;
	enum state state;
	guint stop_timer;
	GMainLoop *main;
	FILE *log;
	GDBusNodeInfo *info, *bus_info;
	GDBusServer *server;
	GPtrArray *clients;		/* struct client * */
	unsigned int serial, hello_serial;
	char *sock_path, *lock_path;
	int lock_fd, bundle_lock_fd;
	/* The screen. */
	struct ioloop *loop;
	struct display *disp;
	struct display_viewer *watcher;	/* sees private mode as Blank */
	struct display_frame frame;
	bool private_on;
	gboolean deaf;		/* --deaf: the guest ignores the power button (an option: gboolean) */
	bool full;		/* --full: each redraw flushes the whole screen */
	uint32_t probe;		/* latency probes drawn */
	uint32_t w, h, frame_no;
	uint32_t *fb;
	int32_t cur_x, cur_y;	/* the cursor, moved by abs and rel (I/O thread) */
	unsigned long calls_gone;	/* listener calls of closed connections */
} vm = { .lock_fd = -1, .bundle_lock_fd = -1 };

static G_GNUC_PRINTF(1, 2) void logf_line(const char *fmt, ...)
{
	static GMutex lock;
	va_list ap;

	g_mutex_lock(&lock);
	va_start(ap, fmt);
	vfprintf(vm.log, fmt, ap);
	va_end(ap);
	fputc('\n', vm.log);
	fflush(vm.log);
	g_mutex_unlock(&lock);
}

/* --- the guest's screen (main thread) ------------------------------------- */

static void draw_band(void)
{
	struct display_rect r = { 0, 0, MIN(vm.w, FAKE_BAND_W), MIN(vm.h, FAKE_BAND_H) };

	for (uint32_t y = 0; y < r.h; y++)
		for (uint32_t x = 0; x < r.w; x++)
			vm.fb[y * vm.w + x] = fake_pixel(x, y, vm.frame_no);
	display_update(vm.disp, &r, vm.fb, vm.w * 4);
}

/* A new mode of w x h, drawn whole (as a guest's console after a mode set). */
static int set_mode(uint32_t w, uint32_t h)
{
	struct display_rect all = { 0, 0, w, h };
	int ret;

	ret = display_set_mode(vm.disp, w, h, DISPLAY_FORMAT_XRGB8888);
	if (ret)
		return ret;
	g_free(vm.fb);
	vm.fb = g_new(uint32_t, (gsize)w * h);
	vm.w = w;
	vm.h = h;
	vm.frame_no = 0;
	for (uint32_t y = 0; y < h; y++)
		for (uint32_t x = 0; x < w; x++)
			vm.fb[y * w + x] = fake_pixel(x, y, 0);
	display_update(vm.disp, &all, vm.fb, w * 4);
	logf_line("mode %u %u", w, h);
	return 0;
}

static gboolean redraw_tick(gpointer opaque)
{
	struct display_rect all = { 0, 0, vm.w, vm.h };

	(void)opaque;
	if (vm.state != ST_RUNNING)
		return G_SOURCE_CONTINUE;	/* a paused guest draws nothing */
	vm.frame_no++;
	draw_band();
	/* --full: the whole screen flushed each time, as a video or a game would. */
	if (vm.full)
		display_update(vm.disp, &all, vm.fb, vm.w * 4);
	return G_SOURCE_CONTINUE;
}

/*
 * SIGUSR2: the latency probe.  A 64x64 square at 64,64 turns the next of
 * two colours (flat 0x204080 and 0xe0c010) and is flushed at once; the
 * benchmark times it from the signal to its pixels on the X server.
 */
static gboolean on_probe(gpointer opaque)
{
	struct display_rect r = { 64, 64, 64, 64 };
	uint32_t c;

	(void)opaque;
	if (!vm.disp || vm.w < 128 || vm.h < 128)
		return G_SOURCE_CONTINUE;
	c = vm.probe++ % 2 ? 0x204080 : 0xe0c010;
	for (uint32_t y = r.y; y < r.y + r.h; y++)
		for (uint32_t x = r.x; x < r.x + r.w; x++)
			vm.fb[y * vm.w + x] = c;
	/* display_update() takes the rectangle's first pixel. */
	display_update(vm.disp, &r, vm.fb + r.y * vm.w + r.x, vm.w * 4);
	return G_SOURCE_CONTINUE;
}

struct size_req {
	uint32_t w, h;
};

static gboolean apply_size(gpointer opaque)
{
	struct size_req *r = opaque;
	int ret = set_mode(r->w, r->h);

	if (ret)
		logf_line("mode %u %u failed: %s", r->w, r->h, strerror(-ret));
	return G_SOURCE_REMOVE;
}

/* The input devices: what a guest would get. */
static void op_key(void *o, uint16_t code, bool down)
{
	(void)o;
	logf_line("key %u %s", code, down ? "down" : "up");
}

static void op_abs(void *o, uint32_t x, uint32_t y, uint32_t w, uint32_t h)
{
	(void)o;
	(void)w;
	(void)h;
	logf_line("abs %u %u", x, y);
	vm.cur_x = (int32_t)x;
	vm.cur_y = (int32_t)y;
	display_cursor_move(vm.disp, vm.cur_x, vm.cur_y, true);
}

static void op_buttons(void *o, uint32_t mask)
{
	(void)o;
	logf_line("buttons %u", mask);
}

static void op_wheel(void *o, int32_t dy, int32_t dx)
{
	(void)o;
	logf_line("wheel %d %d", dy, dx);
}

static void op_rel(void *o, int32_t dx, int32_t dy)
{
	(void)o;
	logf_line("rel %d %d", dx, dy);
	/* As a guest's mouse driver moves its cursor: clamped to the screen. */
	vm.cur_x = CLAMP(vm.cur_x + dx, 0, (int32_t)vm.w - 1);
	vm.cur_y = CLAMP(vm.cur_y + dy, 0, (int32_t)vm.h - 1);
	display_cursor_move(vm.disp, vm.cur_x, vm.cur_y, true);
}

/* On the I/O loop's thread: the mode is set on the main thread. */
static void op_resize(void *o, uint32_t w, uint32_t h)
{
	struct size_req *r = g_new(struct size_req, 1);

	(void)o;
	logf_line("size %u %u", w, h);
	r->w = w;
	r->h = h;
	g_main_context_invoke_full(NULL, G_PRIORITY_DEFAULT, apply_size, r, g_free);
}

/* The watcher: a viewer of our own that only looks at the blank flag. */
static gboolean watcher_poll(gpointer opaque)
{
	(void)opaque;
	if (display_viewer_poll(vm.watcher, &vm.frame) > 0) {
		if (vm.frame.mode_changed && vm.frame.fd >= 0)
			close(vm.frame.fd);
		if (vm.frame.blank != vm.private_on) {
			vm.private_on = vm.frame.blank;
			logf_line("private %s", vm.private_on ? "on" : "off");
		}
	}
	return G_SOURCE_REMOVE;
}

static void watcher_wake(void *opaque)
{
	(void)opaque;
	/* Display lock held: only schedule. */
	g_idle_add(watcher_poll, NULL);
}

static int screen_start(uint32_t w, uint32_t h, guint redraw_ms)
{
	static const struct display_input_ops ops = {
		.key = op_key, .abs = op_abs, .buttons = op_buttons, .wheel = op_wheel,
		.rel = op_rel, .resize = op_resize,
	};
	static const struct display_viewer_ops watcher_ops = { watcher_wake };
	uint32_t cursor[CURSOR_SIZE * CURSOR_SIZE];
	int ret;

	ret = ioloop_create(&vm.loop);
	if (!ret)
		ret = ioloop_start(vm.loop, "fake-vm-io");
	if (!ret)
		ret = display_create(&vm.disp, vm.loop, &ops, NULL);
	if (!ret)
		ret = display_viewer_new(vm.disp, &watcher_ops, NULL, false, &vm.watcher);
	if (!ret)
		ret = set_mode(w, h);
	if (ret)
		return ret;
	/* An opaque white square with a black border, transparent in the middle. */
	for (int y = 0; y < CURSOR_SIZE; y++)
		for (int x = 0; x < CURSOR_SIZE; x++) {
			int edge = MIN(MIN(x, y), MIN(CURSOR_SIZE - 1 - x, CURSOR_SIZE - 1 - y));

			cursor[y * CURSOR_SIZE + x] = edge == 0 ? 0xff000000 :
						      edge < 3 ? 0xffffffff : 0;
		}
	ret = display_cursor_define(vm.disp, CURSOR_SIZE, CURSOR_SIZE, 1, 1, cursor);
	if (ret)
		return ret;
	vm.cur_x = (int32_t)w / 2;
	vm.cur_y = (int32_t)h / 2;
	display_cursor_move(vm.disp, vm.cur_x, vm.cur_y, true);
	if (redraw_ms)
		g_timeout_add(redraw_ms, redraw_tick, NULL);
	return 0;
}

/* --- states --------------------------------------------------------------- */

static void send_signal(GDBusConnection *conn, const char *iface, const char *member,
			GVariant *body)
{
	GDBusMessage *msg = g_dbus_message_new_signal(VM_PATH, iface, member);

	/* A bus-like sender, so that clients matching by sender take it (vm/dbus.c). */
	g_dbus_message_set_sender(msg, UNIQUE_NAME);
	g_dbus_message_set_body(msg, body);
	g_dbus_connection_send_message(conn, msg, G_DBUS_SEND_MESSAGE_FLAGS_NONE, NULL, NULL);
	g_object_unref(msg);
}

static void set_state(enum state s)
{
	vm.state = s;
	logf_line("state %s", state_names[s]);
	for (unsigned int i = 0; i < vm.clients->len; i++) {
		struct client *c = g_ptr_array_index(vm.clients, i);
		GVariantBuilder changed;

		g_variant_builder_init(&changed, G_VARIANT_TYPE("a{sv}"));
		g_variant_builder_add(&changed, "{sv}", "State",
				      g_variant_new_string(state_names[s]));
		send_signal(c->conn, VM_IFACE, "StateChanged",
			    g_variant_new("(s)", state_names[s]));
		send_signal(c->conn, "org.freedesktop.DBus.Properties", "PropertiesChanged",
			    g_variant_new("(sa{sv}as)", VM_IFACE, &changed, NULL));
	}
	if (s == ST_STOPPED)
		g_main_loop_quit(vm.main);
}

static gboolean stop_now(gpointer opaque)
{
	(void)opaque;
	vm.stop_timer = 0;
	if (vm.state != ST_STOPPED)
		set_state(ST_STOPPED);
	return G_SOURCE_REMOVE;
}

/* The power button pressed: the fake guest powers off after a while. */
static void stop_in(guint ms)
{
	if (vm.stop_timer)
		g_source_remove(vm.stop_timer);
	vm.stop_timer = g_timeout_add(ms, stop_now, NULL);
}

/* Stop(timeout): resume a paused guest so that it sees the button. */
static void do_stop(guint32 timeout)
{
	if (vm.state == ST_SHUTTING_DOWN || timeout == 0) {
		if (vm.state != ST_SHUTTING_DOWN)
			set_state(ST_SHUTTING_DOWN);
		stop_in(0);
		return;
	}
	if (vm.state == ST_PAUSED)
		set_state(ST_RUNNING);
	set_state(ST_SHUTTING_DOWN);
	/* A deaf guest is ended by the timeout alone, as the monitor ends one. */
	stop_in(vm.deaf ? (guint)MIN((guint64)timeout * 1000, G_MAXUINT) :
			  MIN((guint64)timeout * 1000, GUEST_POWEROFF_MS));
}

static gboolean on_sigterm(gpointer opaque)
{
	(void)opaque;
	if (vm.state == ST_RUNNING || vm.state == ST_PAUSED)
		do_stop(30);
	else if (vm.state == ST_SHUTTING_DOWN)
		do_stop(0);
	return G_SOURCE_CONTINUE;
}

/*
 * SIGHUP: the guest's tablet driver goes (or comes back): the pointer
 * mode flips between absolute and relative, as machine/screen.c sets it.
 */
static gboolean on_sighup(gpointer opaque)
{
	bool rel = !display_pointer_relative(vm.disp);

	(void)opaque;
	display_set_pointer_relative(vm.disp, rel);
	logf_line("pointer %s", rel ? "relative" : "absolute");
	return G_SOURCE_CONTINUE;
}

static gboolean on_sigusr1(gpointer opaque)
{
	unsigned long calls = vm.calls_gone;

	(void)opaque;
	for (unsigned int i = 0; i < vm.clients->len; i++) {
		struct client *c = g_ptr_array_index(vm.clients, i);

		if (c->display)
			calls += dbus_display_calls(c->display);
	}
	logf_line("stats frame=%u calls=%lu", vm.frame_no, calls);
	return G_SOURCE_CONTINUE;
}

/* --- org.vmain.VM1 -------------------------------------------------------- */

static void invalid_state(GDBusMethodInvocation *inv)
{
	g_dbus_method_invocation_return_dbus_error(inv, ERROR_STATE,
		vm.state == ST_STOPPED ? "the VM has stopped" :
		vm.state == ST_SHUTTING_DOWN ? "the VM is shutting down" :
		vm.state == ST_PAUSED ? "the VM is paused" : "the VM is running");
}

static void vm_method(GDBusConnection *conn, const gchar *sender, const gchar *path,
		      const gchar *iface, const gchar *method, GVariant *params,
		      GDBusMethodInvocation *inv, gpointer opaque)
{
	bool live = vm.state == ST_RUNNING || vm.state == ST_PAUSED;
	guint32 timeout;

	(void)conn;
	(void)sender;
	(void)path;
	(void)iface;
	(void)opaque;
	if (!strcmp(method, "Pause")) {
		if (vm.state != ST_RUNNING)
			goto invalid;
		set_state(ST_PAUSED);
	} else if (!strcmp(method, "Resume")) {
		if (vm.state != ST_PAUSED)
			goto invalid;
		set_state(ST_RUNNING);
	} else if (!strcmp(method, "Stop")) {
		if (!live && vm.state != ST_SHUTTING_DOWN)
			goto invalid;
		g_variant_get(params, "(u)", &timeout);
		do_stop(timeout);
	} else if (!strcmp(method, "Kill")) {
		if (!live && vm.state != ST_SHUTTING_DOWN)
			goto invalid;
		stop_in(0);
	} else if (!strcmp(method, "Reset")) {
		if (!live)
			goto invalid;
		logf_line("reset");
		if (vm.state == ST_PAUSED)
			set_state(ST_RUNNING);
		if (vm.disp)
			set_mode(vm.w, vm.h);
	} else if (!strcmp(method, "PowerButton")) {
		if (vm.state != ST_RUNNING)
			goto invalid;
		logf_line("power-button");
		if (!vm.deaf)
			stop_in(GUEST_POWEROFF_MS);
	} else if (!strcmp(method, "Save")) {
		if (!live)
			goto invalid;
		g_dbus_method_invocation_return_dbus_error(inv, ERROR_FAILED, "fake VM");
		return;
	} else {
		g_dbus_method_invocation_return_dbus_error(inv,
			"org.freedesktop.DBus.Error.UnknownMethod", method);
		return;
	}
	g_dbus_method_invocation_return_value(inv, NULL);
	return;

invalid:
	invalid_state(inv);
}

static GVariant *vm_get_property(GDBusConnection *conn, const gchar *sender,
				 const gchar *path, const gchar *iface,
				 const gchar *prop, GError **error, gpointer opaque)
{
	(void)conn;
	(void)sender;
	(void)path;
	(void)iface;
	(void)opaque;
	if (!strcmp(prop, "Name"))
		return g_variant_new_string(vm.name);
	if (!strcmp(prop, "UUID"))
		return g_variant_new_string(vm.uuid);
	if (!strcmp(prop, "State"))
		return g_variant_new_string(state_names[vm.state]);
	if (!strcmp(prop, "Memory"))
		return g_variant_new_uint64(vm.memory);
	if (!strcmp(prop, "CPUs"))
		return g_variant_new_uint32(vm.cpus);
	if (!strcmp(prop, "Accel"))
		return g_variant_new_string("fake");
	if (!strcmp(prop, "Config"))
		return g_variant_new_string(vm.config);
	if (!strcmp(prop, "Pid"))
		return g_variant_new_uint32((guint32)getpid());
	g_set_error(error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_PROPERTY, "no property %s", prop);
	return NULL;
}

static const GDBusInterfaceVTable vm_vtable = { vm_method, vm_get_property, NULL, { 0 } };

/* --- org.freedesktop.DBus for bus-minded clients (gdbus), as vm/dbus.c ---- */

static const char bus_xml[] =
	"<node><interface name='org.freedesktop.DBus'>"
	"<method name='Hello'><arg name='name' type='s' direction='out'/></method>"
	"<method name='GetNameOwner'><arg name='name' type='s' direction='in'/>"
	"<arg name='owner' type='s' direction='out'/></method>"
	"<method name='AddMatch'><arg name='rule' type='s' direction='in'/></method>"
	"<method name='RemoveMatch'><arg name='rule' type='s' direction='in'/></method>"
	"</interface></node>";

static void bus_method(GDBusConnection *conn, const gchar *sender, const gchar *path,
		       const gchar *iface, const gchar *method, GVariant *params,
		       GDBusMethodInvocation *inv, gpointer opaque)
{
	char name[32];

	(void)conn;
	(void)sender;
	(void)path;
	(void)iface;
	(void)params;
	(void)opaque;
	if (!strcmp(method, "Hello")) {
		snprintf(name, sizeof(name), ":1.%u", ++vm.hello_serial);
		g_dbus_method_invocation_return_value(inv, g_variant_new("(s)", name));
	} else if (!strcmp(method, "GetNameOwner")) {
		g_dbus_method_invocation_return_value(inv, g_variant_new("(s)", UNIQUE_NAME));
	} else {
		g_dbus_method_invocation_return_value(inv, NULL);
	}
}

static const GDBusInterfaceVTable bus_vtable = { bus_method, NULL, NULL, { 0 } };

/* --- connections ---------------------------------------------------------- */

static gboolean authorize_peer(GDBusAuthObserver *observer, GIOStream *stream,
			       GCredentials *credentials, gpointer opaque)
{
	struct ucred uc;
	socklen_t len = sizeof(uc);
	int fd;

	(void)observer;
	(void)credentials;
	(void)opaque;
	if (!G_IS_SOCKET_CONNECTION(stream))
		return FALSE;
	fd = g_socket_get_fd(g_socket_connection_get_socket(G_SOCKET_CONNECTION(stream)));
	/* The kernel's word on the peer (socket(7)), as the monitor checks it. */
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len))
		return FALSE;
	if (uc.uid != geteuid()) {
		fprintf(stderr, "fake-vm: %s: refused a control connection from uid %u "
			"(pid %d): only uid %u may control this VM\n", vm.name,
			(unsigned)uc.uid, (int)uc.pid, (unsigned)geteuid());
		return FALSE;
	}
	return TRUE;
}

static gboolean allow_mechanism(GDBusAuthObserver *observer, const gchar *mechanism,
				gpointer opaque)
{
	(void)observer;
	(void)opaque;
	return !strcmp(mechanism, "EXTERNAL");
}

static void client_free(struct client *c)
{
	if (c->display) {
		vm.calls_gone += dbus_display_calls(c->display);
		dbus_display_free(c->display);
	}
	if (c->vm_id)
		g_dbus_connection_unregister_object(c->conn, c->vm_id);
	if (c->bus_id)
		g_dbus_connection_unregister_object(c->conn, c->bus_id);
	g_signal_handler_disconnect(c->conn, c->closed_id);
	g_object_unref(c->conn);
	g_free(c);
}

static void client_closed(GDBusConnection *conn, gboolean remote, GError *error,
			  gpointer opaque)
{
	struct client *c = opaque;

	(void)conn;
	(void)remote;
	(void)error;
	logf_line("disconnect %u", c->serial);
	g_ptr_array_remove(vm.clients, c);	/* frees it */
}

static gboolean new_connection(GDBusServer *server, GDBusConnection *conn, gpointer opaque)
{
	struct client *c = g_new0(struct client, 1);
	GError *err = NULL;

	(void)server;
	(void)opaque;
	c->conn = g_object_ref(conn);
	c->serial = ++vm.serial;
	c->closed_id = g_signal_connect(conn, "closed", G_CALLBACK(client_closed), c);
	c->vm_id = g_dbus_connection_register_object(conn, VM_PATH,
		g_dbus_node_info_lookup_interface(vm.info, VM_IFACE), &vm_vtable, NULL, NULL, &err);
	if (c->vm_id && vm.disp) {
		/* Every peer is the owner: authorize_peer() admits no other uid. */
		c->display = dbus_display_new(vm.disp, conn, VM_PATH,
			g_dbus_node_info_lookup_interface(vm.info, VM_DBUS_DISPLAY_IFACE),
			true, &err);
		if (!c->display)
			goto fail;
	}
	if (c->vm_id)
		c->bus_id = g_dbus_connection_register_object(conn, "/org/freedesktop/DBus",
			vm.bus_info->interfaces[0], &bus_vtable, NULL, NULL, &err);
	if (!c->bus_id)
		goto fail;
	g_ptr_array_add(vm.clients, c);
	logf_line("connect %u", c->serial);
	return TRUE;

fail:
	fprintf(stderr, "fake-vm: a control connection: %s\n", err->message);
	g_error_free(err);
	client_free(c);
	return FALSE;
}

/* --- where it lives --------------------------------------------------------- */

/* flock()s PATH (made 0600) and writes our pid in it: the fd, or -errno. */
static int lock_file(const char *path)
{
	char pid[24];
	int fd, len;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		int ret = errno == EWOULDBLOCK ? -EBUSY : -errno;

		close(fd);
		return ret;
	}
	len = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) || pwrite(fd, pid, (size_t)len, 0) != len) {
		int ret = -errno;

		close(fd);
		return ret;
	}
	return fd;
}

/* "512M", "2G", "256" (MiB), as config.ini writes memory. */
static guint64 parse_size(const char *s)
{
	char *end;
	guint64 n = g_ascii_strtoull(s, &end, 10);

	switch (g_ascii_toupper(*end)) {
	case 'K': return n << 10;
	case 'G': return n << 30;
	case 'T': return n << 40;
	default: return n << 20;	/* M, or none */
	}
}

static char *vms_dir(void)
{
	const char *v = g_getenv("VMAIN_VMS_DIR"), *data = g_getenv("XDG_DATA_HOME");

	if (v && *v)
		return g_strdup(v);
	if (data && data[0] == '/')
		return g_build_filename(data, "vmain", "VMs", NULL);
	return g_build_filename(g_get_home_dir(), ".local", "share", "vmain", "VMs", NULL);
}

static char *runtime_dir(void)
{
	const char *v = g_getenv("VMAIN_RUNTIME_DIR"), *run = g_getenv("XDG_RUNTIME_DIR");

	if (v && *v)
		return g_strdup(v);
	if (run && run[0] == '/')
		return g_build_filename(run, "vmain", NULL);
	return NULL;
}

/* The bundle, when NAME has one: its lock, and what config.ini says. */
static int open_bundle(void)
{
	char *vms = vms_dir(), *bundle = g_strdup_printf("%s/%s.vmain", vms, vm.name);
	char *ini = g_build_filename(bundle, "config.ini", NULL), *lock, *s;
	GKeyFile *kf = g_key_file_new();
	int ret = 0;

	if (!g_file_get_contents(ini, &vm.config, NULL, NULL))
		goto out;	/* no bundle: a `vmain run` VM */
	lock = g_build_filename(bundle, ".lock", NULL);
	vm.bundle_lock_fd = lock_file(lock);
	if (vm.bundle_lock_fd < 0) {
		ret = vm.bundle_lock_fd;
		fprintf(stderr, "fake-vm: %s: %s\n", lock,
			ret == -EBUSY ? "held: the VM is running" : strerror(-ret));
	}
	g_free(lock);
	if (g_key_file_load_from_data(kf, vm.config, (gsize)-1, G_KEY_FILE_NONE, NULL)) {
		s = g_key_file_get_string(kf, "vm", "uuid", NULL);
		if (s) {
			g_free(vm.uuid);
			vm.uuid = s;
		}
		s = g_key_file_get_string(kf, "vm", "memory", NULL);
		if (s)
			vm.memory = parse_size(s);
		g_free(s);
		s = g_key_file_get_string(kf, "vm", "cpus", NULL);
		if (s)
			vm.cpus = (guint32)g_ascii_strtoull(s, NULL, 10);
		g_free(s);
	}
out:
	g_key_file_free(kf);
	g_free(ini);
	g_free(bundle);
	g_free(vms);
	return ret;
}

static int listen_on(const char *dir)
{
	GDBusAuthObserver *observer;
	GError *err = NULL;
	char *address, *guid;
	mode_t mask;

	if (g_mkdir_with_parents(dir, 0700)) {
		fprintf(stderr, "fake-vm: cannot make %s: %s\n", dir, strerror(errno));
		return -errno;
	}
	vm.lock_path = g_strdup_printf("%s/%s.lock", dir, vm.name);
	vm.sock_path = g_strdup_printf("%s/%s.sock", dir, vm.name);
	vm.lock_fd = lock_file(vm.lock_path);
	if (vm.lock_fd < 0) {
		fprintf(stderr, "fake-vm: %s: %s\n", vm.lock_path, vm.lock_fd == -EBUSY ?
			"held: the VM is running" : strerror(-vm.lock_fd));
		return vm.lock_fd;
	}
	/* We hold the name's lock: a socket there is a dead VM's. */
	unlink(vm.sock_path);
	observer = g_dbus_auth_observer_new();
	g_signal_connect(observer, "authorize-authenticated-peer", G_CALLBACK(authorize_peer), NULL);
	g_signal_connect(observer, "allow-mechanism", G_CALLBACK(allow_mechanism), NULL);
	address = g_strdup_printf("unix:path=%s", vm.sock_path);
	guid = g_dbus_generate_guid();
	mask = umask(0177);
	vm.server = g_dbus_server_new_sync(address, G_DBUS_SERVER_FLAGS_NONE, guid, observer,
					   NULL, &err);
	umask(mask);
	g_free(address);
	g_free(guid);
	g_object_unref(observer);
	if (!vm.server) {
		fprintf(stderr, "fake-vm: cannot listen on %s: %s\n", vm.sock_path, err->message);
		g_error_free(err);
		return -EIO;
	}
	g_signal_connect(vm.server, "new-connection", G_CALLBACK(new_connection), NULL);
	g_dbus_server_start(vm.server);
	return 0;
}

static unsigned int flushes_pending;

static void flushed(GObject *src, GAsyncResult *res, gpointer opaque)
{
	(void)opaque;
	g_dbus_connection_flush_finish(G_DBUS_CONNECTION(src), res, NULL);
	flushes_pending--;
}

static gboolean flush_timeout(gpointer opaque)
{
	*(bool *)opaque = true;
	return G_SOURCE_REMOVE;
}

/* The socket goes before the lock; the last signals get FLUSH_MS to leave. */
static void shut_down(void)
{
	bool timed_out = false;
	guint timer;

	g_dbus_server_stop(vm.server);
	unlink(vm.sock_path);
	flushes_pending = vm.clients->len;
	for (unsigned int i = 0; i < vm.clients->len; i++)
		g_dbus_connection_flush(((struct client *)g_ptr_array_index(vm.clients, i))->conn,
					NULL, flushed, NULL);
	timer = g_timeout_add(FLUSH_MS, flush_timeout, &timed_out);
	while (flushes_pending && !timed_out)
		g_main_context_iteration(NULL, TRUE);
	if (!timed_out)
		g_source_remove(timer);
	for (unsigned int i = 0; i < vm.clients->len; i++)
		g_dbus_connection_close_sync(((struct client *)g_ptr_array_index(vm.clients, i))->conn,
					     NULL, NULL);
	g_ptr_array_free(vm.clients, TRUE);
	if (vm.disp) {
		display_viewer_free(vm.watcher);
		display_destroy(vm.disp);
		ioloop_destroy(vm.loop);
	}
	unlink(vm.lock_path);
	close(vm.lock_fd);
	if (vm.bundle_lock_fd >= 0)
		close(vm.bundle_lock_fd);
}

int main(int argc, char **argv)
{
	char *size = NULL, *log_path = NULL, *dir;
	gboolean no_display = FALSE, full = FALSE;
	gint redraw_ms = 0;
	GOptionEntry entries[] = {
		{ "size", 0, 0, G_OPTION_ARG_STRING, &size, "The screen's first size (default 1024x768)", "WxH" },
		{ "redraw-ms", 0, 0, G_OPTION_ARG_INT, &redraw_ms, "Redraw the frame band every N ms (default 0: never)", "N" },
		{ "log", 0, 0, G_OPTION_ARG_FILENAME, &log_path, "Log input and events to FILE (default stdout)", "FILE" },
		{ "no-display", 0, 0, G_OPTION_ARG_NONE, &no_display, "A headless VM: no Display1", NULL },
		{ "deaf", 0, 0, G_OPTION_ARG_NONE, &vm.deaf, "A guest that ignores the power button", NULL },
		{ "full", 0, 0, G_OPTION_ARG_NONE, &full, "Each redraw flushes the whole screen (benchmarks)", NULL },
		{ NULL, 0, 0, 0, NULL, NULL, NULL },
	};
	GOptionContext *ctx = g_option_context_new("NAME - a stand-in VM for the desktop app's tests");
	GError *err = NULL;
	unsigned int w = 1024, h = 768;
	int ret;

	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, &err) || argc != 2 ||
	    (size && (sscanf(size, "%ux%u", &w, &h) != 2 || w < DISPLAY_MIN_WIDTH ||
		      h < DISPLAY_MIN_HEIGHT || w > 4096 || h > 4096)) || redraw_ms < 0) {
		fprintf(stderr, "fake-vm: %s\n", err ? err->message :
			"usage: fake-vm [--size WxH (64..4096)] [--redraw-ms N] [--full] "
			"[--log FILE] [--no-display] NAME");
		return 2;
	}
	g_option_context_free(ctx);
	g_free(size);
	vm.name = argv[1];
	vm.full = full;
	vm.log = stdout;
	if (log_path) {
		vm.log = fopen(log_path, "a");
		if (!vm.log) {
			fprintf(stderr, "fake-vm: %s: %s\n", log_path, strerror(errno));
			g_free(log_path);
			return 1;
		}
		g_free(log_path);
	}
	vm.uuid = g_uuid_string_random();
	vm.config = NULL;
	vm.memory = 512ull << 20;
	vm.cpus = 1;
	vm.clients = g_ptr_array_new_with_free_func((GDestroyNotify)client_free);
	vm.main = g_main_loop_new(NULL, FALSE);
	vm.info = g_dbus_node_info_new_for_xml(vm_dbus_xml, &err);
	if (vm.info)
		vm.bus_info = g_dbus_node_info_new_for_xml(bus_xml, &err);
	if (!vm.bus_info) {
		fprintf(stderr, "fake-vm: the interfaces: %s\n", err->message);
		return 1;
	}
	dir = runtime_dir();
	if (!dir) {
		fprintf(stderr, "fake-vm: neither VMAIN_RUNTIME_DIR nor XDG_RUNTIME_DIR is set\n");
		return 1;
	}
	if (open_bundle())
		goto free_dir;
	if (!vm.config)
		vm.config = g_strdup("");
	if (!no_display) {
		ret = screen_start(w, h, (guint)redraw_ms);
		if (ret) {
			fprintf(stderr, "fake-vm: the screen: %s\n", strerror(-ret));
			goto free_dir;
		}
	}
	if (listen_on(dir))
		goto free_dir;
	g_unix_signal_add(SIGTERM, on_sigterm, NULL);
	g_unix_signal_add(SIGINT, on_sigterm, NULL);
	g_unix_signal_add(SIGUSR1, on_sigusr1, NULL);
	g_unix_signal_add(SIGUSR2, on_probe, NULL);
	if (vm.disp)
		g_unix_signal_add(SIGHUP, on_sighup, NULL);
	logf_line("state running");
	logf_line("ready %s", vm.sock_path);
	g_main_loop_run(vm.main);
	shut_down();
	g_free(dir);
	return 0;

free_dir:
	/* Refused (another holds the name, a bad bundle): nothing else was made. */
	g_free(dir);
	return 1;
}
