// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz-dbus-display - libFuzzer target for org.vmain.Display1
 * (vm/dbus-display.c), the control API's display protocol as the monitor
 * parses it: every input is a sequence of calls from one or two viewers,
 * each with arbitrary argument values (the method's in-signature
 * deserialized from the input's bytes, then put in normal form, so
 * RegisterListener's object path and a{sv} options, key codes, button
 * masks, sizes are anything a peer could send), raw D-Bus messages from
 * the input, the guest drawing and changing mode meanwhile, listeners that
 * reply, fail or never answer, and connections closing mid-call.
 *
 * Everything is real: a display (display/display.c) on an I/O loop,
 * dbus_display_new() on the server end of a GDBus peer connection over a
 * socketpair (authenticated, as on the VM's control socket), served in the
 * main context, viewers on the client ends.  After each input: every
 * viewer still open gets an answer to GetScanout, and a listener it
 * registers anew gets calls when the guest draws (else abort()).  Leaks
 * are LeakSanitizer's (libFuzzer checks after inputs that allocate).
 *
 * Input: byte 0 sets the two viewers' listener behaviour and whether the
 * second viewer exists; then operations, one selector byte each:
 *   sel % 2         which viewer
 *   sel / 2 % 18    0..N-1: Display1's methods in org.vmain.xml order,
 *                   then a length byte L (bit 7: the signature's default
 *                   size, for fixed-size arguments; else L bytes follow);
 *                   N: a raw message (2 length bytes, then the blob);
 *                   N+1 guest draws, N+2 guest mode, N+3 cursor,
 *                   N+4 the main context runs (an odd byte after it:
 *                   past the listener call timeout), N+5 listener behaviour,
 *                   N+6 the viewer closes its connection.
 *
 * Built two ways (Makefile):
 *   make fuzz-dbus-display   clang -fsanitize=fuzzer,address,undefined,
 *                            FUZZ_TIME seconds (default 120)
 *   -DFUZZ_STANDALONE        ./fuzz-dbus-display [-n N] [-s SEED]: N seeded
 *                            random inputs (make check, via tests/vm/fuzz.t);
 *                            -w DIR writes seed inputs; FILE... replays.
 *   It prints one TAP line and exits 0 only if every input passed.
 */
#include <errno.h>
#include <gio/gio.h>
#include <gio/gunixfdlist.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "display/display.h"
#include "io/ioloop.h"
#include "vm/dbus-display.h"
#include "vm/dbus.h"
#include "vm-xml.h"

#define VM_PATH		"/org/vmain/VM"
#define LISTENER_PATH	"/viewer"
#define MAX_OPS		64
#define N_EXTRA		7	/* raw, draw, mode, cursor, spin, behaviour, close */
#define WAIT_MS		3000	/* for any answer: longer is a hang */
#define LISTENER_TIMEOUT_MS	20	/* dbus-display.c's calls to a listener */

enum behaviour { REPLY, FAIL_UNKNOWN, FAIL_OTHER, HOLD };

struct viewer {
	GDBusConnection *conn;		/* NULL: closed */
	GDBusConnection *srv;		/* the VM's end */
	struct dbus_display *dd;
	guint reg;
	enum behaviour beh;
	unsigned int calls;		/* to its listener */
	GPtrArray *held;		/* invocations not answered yet */
};

static struct {
	struct ioloop *loop;
	struct display *disp;
	GDBusNodeInfo *info;
	GDBusInterfaceInfo *iface, *liface;
	unsigned int nr_methods;
	const char *method[16];
	GVariantType *sig[16];
	gsize fixed[16];		/* the signature's default value's size */
	char *guid;
	unsigned int pending;		/* calls from the viewers not answered */
	uint32_t px[64 * 64];
} F;

static void fail(const char *what)
{
	fprintf(stderr, "fuzz-dbus-display: %s\n", what);
	abort();
}

/* --- the guest ------------------------------------------------------------ */

/* Large flat blocks, so a picture is easy to tell apart from garbage. */
static void draw(uint32_t x, uint32_t y, uint32_t w, uint32_t h, uint32_t color)
{
	struct display_rect r = { x, y, w > 64 ? 64 : w, h > 64 ? 64 : h };

	for (unsigned int i = 0; i < 64 * 64; i++)
		F.px[i] = color;
	display_update(F.disp, &r, F.px, 64 * 4);
}

static void guest_reset(void)
{
	if (display_set_mode(F.disp, 320, 200, DISPLAY_FORMAT_XRGB8888))
		fail("display_set_mode");
	draw(0, 0, 64, 64, 0x3060c0);
}

/* --- the viewers' listeners ----------------------------------------------- */

static void listener_method(GDBusConnection *c, const gchar *sender, const gchar *path,
			    const gchar *iface, const gchar *method, GVariant *params,
			    GDBusMethodInvocation *inv, gpointer opaque)
{
	struct viewer *v = opaque;

	(void)c; (void)sender; (void)path; (void)iface; (void)method; (void)params;
	v->calls++;
	switch (v->beh) {
	case REPLY:
		g_dbus_method_invocation_return_value(inv, NULL);
		break;
	case FAIL_UNKNOWN:
		g_dbus_method_invocation_return_error(inv, G_DBUS_ERROR,
						      G_DBUS_ERROR_UNKNOWN_METHOD, "fuzz");
		break;
	case FAIL_OTHER:
		g_dbus_method_invocation_return_dbus_error(inv, "org.example.Fuzz", "fuzz");
		break;
	case HOLD:
		g_ptr_array_add(v->held, g_object_ref(inv));
		break;
	}
}

static const GDBusInterfaceVTable listener_vtable = { listener_method, NULL, NULL, { 0 } };

static void release_held(struct viewer *v)
{
	for (unsigned int i = 0; i < v->held->len; i++) {
		GDBusMethodInvocation *inv = g_ptr_array_index(v->held, i);

		/* Answered: the reference GDBus gave us and the one held go. */
		g_dbus_method_invocation_return_value(inv, NULL);
		g_object_unref(inv);
	}
	g_ptr_array_set_size(v->held, 0);
}

/* --- the main context ----------------------------------------------------- */

static void turn(void)
{
	while (g_main_context_iteration(NULL, FALSE))
		;
}

static void spin_for(int ms)
{
	gint64 end = g_get_monotonic_time() + ms * 1000;

	while (g_get_monotonic_time() < end)
		if (!g_main_context_iteration(NULL, FALSE))
			g_usleep(100);
}

static bool spin_until(bool (*cond)(void *), void *arg, int ms)
{
	gint64 end = g_get_monotonic_time() + ms * 1000;

	while (!cond(arg)) {
		if (g_get_monotonic_time() > end)
			return false;
		if (!g_main_context_iteration(NULL, FALSE))
			g_usleep(100);
	}
	return true;
}

/* --- connections ---------------------------------------------------------- */

struct conn_wait {
	GDBusConnection *c;
	bool done;
};

static void conn_ready(GObject *src, GAsyncResult *res, gpointer opaque)
{
	struct conn_wait *w = opaque;

	(void)src;
	w->c = g_dbus_connection_new_finish(res, NULL);
	w->done = true;
}

static bool both_ready(void *opaque)
{
	struct conn_wait *w = opaque;

	return w[0].done && w[1].done;
}

static GIOStream *stream_of(int fd)
{
	GSocket *s = g_socket_new_from_fd(fd, NULL);
	GIOStream *st;

	if (!s)
		fail("g_socket_new_from_fd");
	st = G_IO_STREAM(g_socket_connection_factory_create_connection(s));
	g_object_unref(s);
	return st;
}

/* A viewer: a peer connection pair, Display1 on the VM's end. */
static void viewer_open(struct viewer *v, bool owner, enum behaviour beh)
{
	struct conn_wait w[2] = { { NULL, false }, { NULL, false } };
	GIOStream *ss, *cs;
	GError *err = NULL;
	int sv[2];

	memset(v, 0, sizeof(*v));
	v->beh = beh;
	v->held = g_ptr_array_new();
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		fail("socketpair");
	ss = stream_of(sv[0]);
	cs = stream_of(sv[1]);
	/* Both ends authenticate at once: asynchronously, in this context. */
	g_dbus_connection_new(ss, F.guid, G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_SERVER |
			      G_DBUS_CONNECTION_FLAGS_DELAY_MESSAGE_PROCESSING,
			      NULL, NULL, conn_ready, &w[0]);
	g_dbus_connection_new(cs, NULL, G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT,
			      NULL, NULL, conn_ready, &w[1]);
	g_object_unref(ss);
	g_object_unref(cs);
	if (!spin_until(both_ready, w, 10000) || !w[0].c || !w[1].c)
		fail("peer connection");
	v->srv = w[0].c;
	v->conn = w[1].c;
	g_dbus_connection_set_exit_on_close(v->srv, FALSE);
	g_dbus_connection_set_exit_on_close(v->conn, FALSE);
	v->dd = dbus_display_new(F.disp, v->srv, VM_PATH, F.iface, owner, &err);
	if (!v->dd)
		fail(err->message);
	g_dbus_connection_start_message_processing(v->srv);
	v->reg = g_dbus_connection_register_object(v->conn, LISTENER_PATH, F.liface,
						   &listener_vtable, v, NULL, NULL);
	if (!v->reg)
		fail("register the listener object");
}

static void viewer_close_client(struct viewer *v)
{
	if (!v->conn)
		return;
	release_held(v);
	g_dbus_connection_unregister_object(v->conn, v->reg);
	g_dbus_connection_close_sync(v->conn, NULL, NULL);
	g_object_unref(v->conn);
	v->conn = NULL;
}

static bool srv_closed(void *opaque)
{
	return g_dbus_connection_is_closed(opaque);
}

/* As vm/dbus.c does when a connection goes: Display1 freed. */
static void viewer_free(struct viewer *v)
{
	viewer_close_client(v);
	if (!spin_until(srv_closed, v->srv, WAIT_MS))
		fail("the VM's end does not see the viewer go");
	dbus_display_free(v->dd);
	g_object_unref(v->srv);
	g_ptr_array_free(v->held, TRUE);
	turn();
}

/* --- calls ---------------------------------------------------------------- */

struct answer {
	bool done;
	bool error;
	bool timed_out;
	char name[128];
};

static void call_done(GObject *src, GAsyncResult *res, gpointer opaque)
{
	struct answer *a = opaque;
	GUnixFDList *fds = NULL;
	GError *err = NULL;
	GVariant *ret;

	ret = g_dbus_connection_call_with_unix_fd_list_finish(G_DBUS_CONNECTION(src), &fds,
							      res, &err);
	if (ret)
		g_variant_unref(ret);
	if (fds)
		g_object_unref(fds);	/* closes GetScanout's fd */
	if (a) {
		char *remote = err ? g_dbus_error_get_remote_error(err) : NULL;

		a->error = err != NULL;
		a->timed_out = err && g_error_matches(err, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
		snprintf(a->name, sizeof(a->name), "%s", remote ? remote : err ? err->message : "");
		g_free(remote);
		a->done = true;
	}
	if (err)
		g_error_free(err);
	F.pending--;
}

static void call(struct viewer *v, const char *method, GVariant *args, struct answer *a)
{
	F.pending++;
	g_dbus_connection_call_with_unix_fd_list(v->conn, NULL, VM_PATH, VM_DBUS_DISPLAY_IFACE,
		method, args, NULL, G_DBUS_CALL_FLAGS_NONE, WAIT_MS, NULL, NULL, call_done, a);
}

static bool answered(void *opaque)
{
	return ((struct answer *)opaque)->done;
}

/* Calls and waits: false if no answer came (the VM hangs). */
static bool call_wait(struct viewer *v, const char *method, GVariant *args, struct answer *a)
{
	memset(a, 0, sizeof(*a));
	call(v, method, args, a);
	return spin_until(answered, a, WAIT_MS + 1000) && !a->timed_out;
}

static bool none_pending(void *opaque)
{
	(void)opaque;
	return F.pending == 0;
}

/* --- one input ------------------------------------------------------------ */

struct input {
	const uint8_t *p;
	size_t left;
};

static unsigned int take(struct input *in)
{
	if (!in->left)
		return 0;
	in->left--;
	return *in->p++;
}

/* The method's arguments from the input: anything its signature can hold. */
static GVariant *args_from(struct input *in, unsigned int m)
{
	unsigned int len = take(in);
	GVariant *raw, *norm;
	uint8_t *data;

	len = len & 0x80 ? F.fixed[m] : len;
	if (len > in->left)
		len = (unsigned int)in->left;
	data = g_memdup2(in->p, len);
	in->p += len;
	in->left -= len;
	/* Sunk first: the normal form of a value that is one is the value, floating. */
	raw = g_variant_ref_sink(g_variant_new_from_data(F.sig[m], data, len, FALSE, g_free, data));
	norm = g_variant_get_normal_form(raw);
	g_variant_unref(raw);
	return norm;
}

static void send_raw(struct viewer *v, struct input *in)
{
	unsigned int len = take(in) << 8;
	GDBusMessage *msg;

	len |= take(in);
	if (len > in->left)
		len = (unsigned int)in->left;
	msg = g_dbus_message_new_from_blob((guchar *)in->p, len, G_DBUS_CAPABILITY_FLAGS_NONE, NULL);
	in->p += len;
	in->left -= len;
	if (!msg)
		return;
	/* A blob claiming fds it does not carry is refused here, not sent. */
	g_dbus_connection_send_message(v->conn, msg, G_DBUS_SEND_MESSAGE_FLAGS_NONE, NULL, NULL);
	g_object_unref(msg);
}

static void guest_op(unsigned int what, struct input *in)
{
	static const uint32_t formats[] = {
		DISPLAY_FORMAT_XRGB8888, DISPLAY_FORMAT_ARGB8888, DISPLAY_FORMAT_XBGR8888,
		DISPLAY_FORMAT_BGRX8888, 0x12345678,
	};
	uint32_t a = take(in), b = take(in), c = take(in), d = take(in);

	switch (what) {
	case 0:
		draw(a * 5, b * 5, c, d, a << 16 | b << 8 | c);
		break;
	case 1:		/* mode: up to 2040x2040, 0 disables it, an odd format fails */
		display_set_mode(F.disp, a * 8, b * 8, formats[c % 5]);
		break;
	default:
		if (a & 1) {
			uint32_t cw = b % 65, ch = c % 65;

			display_cursor_define(F.disp, cw, ch, d % 70, a % 70, F.px);
		} else {
			display_cursor_move(F.disp, (int32_t)(b * 4) - 100, (int32_t)(c * 4), d & 1);
		}
		break;
	}
}

static bool got_calls(void *opaque)
{
	struct viewer *v = opaque;

	return v->calls > 0;
}

/*
 * After the input: each viewer still open is answered, and a listener it
 * registers anew (having let go of private mode) gets the screen.
 */
static void check(struct viewer *v)
{
	struct answer a;

	if (!v->conn || g_dbus_connection_is_closed(v->conn))
		return;
	release_held(v);
	v->beh = REPLY;
	if (!call_wait(v, "GetScanout", NULL, &a))
		fail("GetScanout is not answered");
	if (!call_wait(v, "ReleasePrivate", NULL, &a) ||
	    !call_wait(v, "UnregisterListener", NULL, &a))
		fail("no answer to ReleasePrivate/UnregisterListener");
	if (!call_wait(v, "RegisterListener",
		       g_variant_new("(o@a{sv})", LISTENER_PATH,
				     g_variant_new_array(G_VARIANT_TYPE("{sv}"), NULL, 0)), &a))
		fail("RegisterListener is not answered");
	if (a.error && g_dbus_connection_is_closed(v->conn))
		return;		/* the input's raw messages made the VM drop it */
	if (a.error) {
		fprintf(stderr, "RegisterListener: %s\n", a.name);
		fail("a viewer cannot register its listener");
	}
	v->calls = 0;
	draw(10, 10, 20, 20, 0xffffff);
	if (!spin_until(got_calls, v, WAIT_MS))
		fail("a registered listener gets no calls");
}

static void setup(void)
{
	GError *err = NULL;

	if (F.loop)
		return;
	if (ioloop_create(&F.loop) || ioloop_start(F.loop, "fuzz-io"))
		fail("ioloop");
	if (display_create(&F.disp, F.loop, NULL, NULL))
		fail("display_create");
	F.info = g_dbus_node_info_new_for_xml(vm_dbus_xml, &err);
	if (!F.info)
		fail(err->message);
	F.iface = g_dbus_node_info_lookup_interface(F.info, VM_DBUS_DISPLAY_IFACE);
	F.liface = g_dbus_node_info_lookup_interface(F.info, VM_DBUS_LISTENER_IFACE);
	if (!F.iface || !F.liface)
		fail("org.vmain.xml lacks Display1 or DisplayListener1");
	for (GDBusMethodInfo **m = F.iface->methods; *m && F.nr_methods < 16; m++) {
		GString *s = g_string_new("(");
		GVariant *def, *norm;

		for (GDBusArgInfo **a = (*m)->in_args; a && *a; a++)
			g_string_append(s, (*a)->signature);
		g_string_append_c(s, ')');
		F.method[F.nr_methods] = (*m)->name;
		F.sig[F.nr_methods] = g_variant_type_new(s->str);
		def = g_variant_ref_sink(g_variant_new_from_data(F.sig[F.nr_methods],
								 NULL, 0, FALSE, NULL, NULL));
		norm = g_variant_get_normal_form(def);
		F.fixed[F.nr_methods] = g_variant_get_size(norm);
		g_variant_unref(norm);
		g_variant_unref(def);
		g_string_free(s, TRUE);
		F.nr_methods++;
	}
	F.guid = g_dbus_generate_guid();
	/* A listener that does not answer is given up on soon (the flush path too). */
	dbus_display_set_call_timeout(LISTENER_TIMEOUT_MS);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	struct viewer v[2];
	unsigned int flags, nv, ops;

	setup();
	guest_reset();
	flags = take(&in);
	nv = flags & 0x10 ? 2 : 1;
	viewer_open(&v[0], true, flags & 3);
	if (nv == 2)
		viewer_open(&v[1], flags & 0x20, flags >> 2 & 3);
	for (ops = 0; in.left && ops < MAX_OPS; ops++) {
		unsigned int sel = take(&in);
		struct viewer *w = &v[sel & 1 && nv == 2];
		unsigned int kind = (sel >> 1) % (F.nr_methods + N_EXTRA);

		if (kind < F.nr_methods) {
			GVariant *args = args_from(&in, kind);

			if (w->conn)
				call(w, F.method[kind], args, NULL);
			g_variant_unref(args);
			continue;
		}
		kind -= F.nr_methods;
		if (kind == 0) {
			if (w->conn)
				send_raw(w, &in);
			else
				take(&in);
		} else if (kind <= 3) {
			guest_op(kind - 1, &in);
		} else if (kind == 4) {
			/* An odd byte waits past the listener call timeout. */
			if (take(&in) & 1)
				spin_for(3 * LISTENER_TIMEOUT_MS / 2);
			else
				turn();
		} else if (kind == 5) {
			w->beh = take(&in) & 3;
		} else {
			viewer_close_client(w);
		}
	}
	if (!spin_until(none_pending, NULL, WAIT_MS + 1000))
		fail("calls to the VM are not answered");
	guest_reset();
	for (unsigned int i = 0; i < nv; i++)
		check(&v[i]);
	for (unsigned int i = 0; i < nv; i++)
		viewer_free(&v[i]);
	/* Whatever the input did to its connections, a new viewer is served. */
	viewer_open(&v[0], true, REPLY);
	check(&v[0]);
	viewer_free(&v[0]);
	if (display_private_held(F.disp))
		fail("private mode is still held with every viewer gone");
	return 0;
}

#ifdef FUZZ_STANDALONE
/* --- the standalone driver: seeded random inputs -------------------------- */

static uint64_t rng_state;

static uint64_t rng(void)
{
	/* splitmix64 */
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static unsigned int method_index(const char *name)
{
	for (unsigned int i = 0; i < F.nr_methods; i++)
		if (!strcmp(F.method[i], name))
			return i;
	fail("no such method in org.vmain.xml");
	return 0;
}

static void put(GByteArray *b, unsigned int byte)
{
	uint8_t c = (uint8_t)byte;

	g_byte_array_append(b, &c, 1);
}

/* A well-formed call: selector, explicit length, serialized arguments. */
static void put_call(GByteArray *b, unsigned int viewer, const char *method, GVariant *args)
{
	unsigned int m = method_index(method);
	GVariant *v = g_variant_ref_sink(args);
	gsize n = g_variant_get_size(v);

	put(b, m << 1 | viewer);
	if (n > 127)
		fail("seed argument too long");
	put(b, (unsigned int)n);
	g_byte_array_append(b, g_variant_get_data(v), (guint)n);
	g_variant_unref(v);
}

static GVariant *listener_args(const char *path, bool inl)
{
	GVariantBuilder opts;

	g_variant_builder_init(&opts, G_VARIANT_TYPE("a{sv}"));
	if (inl)
		g_variant_builder_add(&opts, "{sv}", "inline", g_variant_new_boolean(TRUE));
	return g_variant_new("(oa{sv})", path, &opts);
}

/* A raw message: a method call to Display1 serialized by GDBus. */
static void put_raw(GByteArray *b, unsigned int viewer, const char *method, GVariant *args)
{
	GDBusMessage *msg = g_dbus_message_new_method_call(NULL, VM_PATH, VM_DBUS_DISPLAY_IFACE,
							    method);
	guchar *blob;
	gsize n;

	g_dbus_message_set_serial(msg, 1);
	if (args)
		g_dbus_message_set_body(msg, args);
	blob = g_dbus_message_to_blob(msg, &n, G_DBUS_CAPABILITY_FLAGS_NONE, NULL);
	put(b, F.nr_methods << 1 | viewer);
	put(b, (unsigned int)(n >> 8));
	put(b, (unsigned int)n);
	g_byte_array_append(b, blob, (guint)n);
	g_free(blob);
	g_object_unref(msg);
}

/* A plausible session: listeners, input, sizes, private mode, the guest drawing. */
static GByteArray *make_seed(unsigned int k)
{
	GByteArray *b = g_byte_array_new();
	unsigned int i, n = 4 + (unsigned int)(rng() % 20);

	put(b, k == 0 ? 0 : (unsigned int)rng());
	put_call(b, 0, "RegisterListener", listener_args(LISTENER_PATH, rng() & 1));
	put_call(b, 1, "RegisterListener", listener_args(rng() % 4 ? LISTENER_PATH : "/x", rng() & 1));
	for (i = 0; i < n; i++) {
		unsigned int v = (unsigned int)rng() & 1;
		uint32_t x = (uint32_t)rng(), y = (uint32_t)rng();

		switch (rng() % 16) {
		case 0: put_call(b, v, "Key", g_variant_new("(ub)", x % 800, y & 1)); break;
		case 1: put_call(b, v, "PointerMotion", g_variant_new("(uu)", x % 400, y % 300)); break;
		case 2: put_call(b, v, "PointerButtons", g_variant_new("(u)", x % 64)); break;
		case 3: put_call(b, v, "Wheel", g_variant_new("(ii)", (int32_t)x, (int32_t)y)); break;
		case 4: put_call(b, v, "RelativeMotion", g_variant_new("(ii)", (int32_t)x % 9, (int32_t)y % 9)); break;
		case 5: put_call(b, v, "SetPreferredSize", g_variant_new("(uu)", x % 5000, y % 5000)); break;
		case 6: put_call(b, v, "AcquirePrivate", g_variant_new("()")); break;
		case 7: put_call(b, v, "ReleasePrivate", g_variant_new("()")); break;
		case 8: put_call(b, v, "GetScanout", g_variant_new("()")); break;
		case 9: put_call(b, v, "UnregisterListener", g_variant_new("()")); break;
		case 10: put_call(b, v, "RegisterListener", listener_args(LISTENER_PATH, x & 1)); break;
		case 11: put_raw(b, v, "Key", g_variant_new("(ub)", x % 800, y & 1)); break;
		case 12:	/* guest draws, changes mode, moves the cursor */
			put(b, (F.nr_methods + 1 + (unsigned int)(x % 3)) << 1 | v);
			for (unsigned int j = 0; j < 4; j++)
				put(b, (unsigned int)(rng() % 64));
			break;
		case 13: put(b, (F.nr_methods + 4) << 1 | v); put(b, x); break;
		case 14: put(b, (F.nr_methods + 5) << 1 | v); put(b, x); break;
		default:	/* random bytes: any method, any arguments */
			for (unsigned int j = 0, m = 1 + (unsigned int)(x % 24); j < m; j++)
				put(b, (unsigned int)rng());
			break;
		}
	}
	return b;
}

static void mutate(GByteArray *b)
{
	size_t at = b->len ? rng() % b->len : 0;

	switch (rng() % 4) {
	case 0:
		if (b->len)
			b->data[at] ^= (uint8_t)(1u << (rng() % 8));
		break;
	case 1:
		if (b->len)
			b->data[at] = (uint8_t)rng();
		break;
	case 2:
		g_byte_array_set_size(b, (guint)at);
		break;
	default:
		if (b->len)
			b->data[at] = (uint8_t)(b->data[at] + 1);
		break;
	}
}

static int replay(const char *path)
{
	gchar *buf;
	gsize n;

	if (!g_file_get_contents(path, &buf, &n, NULL))
		return -1;
	LLVMFuzzerTestOneInput((const uint8_t *)buf, n);
	g_free(buf);
	return 0;
}

static int write_seeds(const char *dir)
{
	setup();
	rng_state = 1;
	for (unsigned int k = 0; k < 16; k++) {
		GByteArray *b = make_seed(k);
		char *path = g_strdup_printf("%s/seed-%u", dir, k);
		bool ok = g_file_set_contents(path, (const char *)b->data, b->len, NULL);

		g_free(path);
		g_byte_array_free(b, TRUE);
		if (!ok)
			return 1;
	}
	return 0;
}

static void cleanup(void)
{
	if (!F.loop)
		return;
	display_destroy(F.disp);
	ioloop_stop(F.loop);
	ioloop_destroy(F.loop);
	for (unsigned int i = 0; i < F.nr_methods; i++)
		g_variant_type_free(F.sig[i]);
	g_dbus_node_info_unref(F.info);
	g_free(F.guid);
}

int main(int argc, char **argv)
{
	unsigned long long iters = 200, seed = 1, i;
	int argi = 1, nfiles = 0;

	while (argi < argc) {
		if (!strcmp(argv[argi], "-n") && argi + 1 < argc) {
			iters = strtoull(argv[argi + 1], NULL, 0);
			argi += 2;
		} else if (!strcmp(argv[argi], "-s") && argi + 1 < argc) {
			seed = strtoull(argv[argi + 1], NULL, 0);
			argi += 2;
		} else if (!strcmp(argv[argi], "-w") && argi + 1 < argc) {
			return write_seeds(argv[argi + 1]);
		} else if (argv[argi][0] == '-') {
			fprintf(stderr, "usage: fuzz-dbus-display [-n INPUTS] [-s SEED] | "
				"-w DIR | FILE...\n");
			return 2;
		} else {
			if (replay(argv[argi])) {
				printf("not ok - fuzz-dbus-display: cannot read %s\n", argv[argi]);
				return 1;
			}
			nfiles++;
			argi++;
		}
	}
	if (nfiles) {
		cleanup();
		printf("ok - fuzz-dbus-display: %d input files replayed\n", nfiles);
		return 0;
	}
	setup();
	rng_state = seed;
	for (i = 0; i < iters; i++) {
		GByteArray *b = make_seed((unsigned int)i);
		unsigned int k, n = 1 + (unsigned int)(rng() % 4);

		/* Every 4th input unmutated, so the good paths run too. */
		for (k = 0; i % 4 && k < n; k++)
			mutate(b);
		LLVMFuzzerTestOneInput(b->data, b->len);
		g_byte_array_free(b, TRUE);
	}
	cleanup();
	printf("ok - fuzz-dbus-display: %llu inputs of calls from one or two viewers, "
	       "each answered, listeners served after it, seed %llu\n", iters, seed);
	return 0;
}
#endif
