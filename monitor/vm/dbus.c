// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vm/dbus.c - the control API's server (see dbus.h).
 */
#include <errno.h>
#include <gio/gio.h>
#include <gio/gunixfdlist.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vm/config.h"
#include "vm/dbus.h"
#include "vm/dbus-display.h"
#include "vm/screen.h"
#include "vm/log.h"
#include "vm/vm.h"

/* The interfaces, from the one file that defines them. */
__asm__(".pushsection .rodata\n"
	".globl vm_dbus_xml\n"
	".type vm_dbus_xml, @object\n"
	"vm_dbus_xml:\n"
	".incbin \"common/org.vmain.xml\"\n"
	".byte 0\n"
	".size vm_dbus_xml, . - vm_dbus_xml\n"
	".popsection\n");

#define FLUSH_MS	1000	/* the last signals, at most this long */
#define MAX_GROUPS	256

struct client {
	struct vm_dbus *d;
	GDBusConnection *conn;
	guint vm_id, console_id, bus_id;
	gulong closed_id;
	struct dbus_display *display;	/* org.vmain.Display1, on VMs with a screen */
};

struct vm_dbus {
	struct vm *vm;
	GDBusServer *server;
	GDBusAuthObserver *observer;
	GDBusNodeInfo *info;
	GDBusNodeInfo *bus_info;
	unsigned int serial;		/* for the unique names Hello gives */
	GPtrArray *clients;		/* struct client * */
	char *path;
	gid_t group;			/* system VMs: group vmain, else (gid_t)-1 */
};

/* --- who may connect ------------------------------------------------------ */

static bool peer_in_group(int fd, gid_t group, gid_t primary)
{
	gid_t groups[MAX_GROUPS];
	socklen_t len = sizeof(groups);
	unsigned int i;

	if (primary == group)
		return true;
	/* SO_PEERGROUPS (socket(7), Linux 4.13): the peer's supplementary groups. */
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len))
		return false;
	for (i = 0; i < len / sizeof(gid_t); i++)
		if (groups[i] == group)
			return true;
	return false;
}

static gboolean authorize_peer(GDBusAuthObserver *observer, GIOStream *stream,
			       GCredentials *credentials, gpointer opaque)
{
	struct vm_dbus *d = opaque;
	struct ucred uc;
	socklen_t len = sizeof(uc);
	GSocket *sock;
	bool ok;
	int fd;

	(void)observer;
	(void)credentials;
	if (!G_IS_SOCKET_CONNECTION(stream))
		return FALSE;
	sock = g_socket_connection_get_socket(G_SOCKET_CONNECTION(stream));
	fd = g_socket_get_fd(sock);
	/* The kernel's word on who connected (socket(7), SO_PEERCRED), not the peer's. */
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len)) {
		vm_log(d->vm->spec, LOG_WARNING, "refused a control connection: "
		       "SO_PEERCRED: %s", strerror(errno));
		return FALSE;
	}
	ok = uc.uid == geteuid();
	if (!ok && d->vm->spec->system)
		ok = uc.uid == 0 || (d->group != (gid_t)-1 && peer_in_group(fd, d->group, uc.gid));
	if (!ok)
		vm_log(d->vm->spec, LOG_WARNING, "refused a control connection from uid %u "
		       "(pid %d): only uid %u may control this VM", (unsigned)uc.uid,
		       (int)uc.pid, (unsigned)geteuid());
	return ok;
}

/* EXTERNAL only: the uid the kernel vouches for, no cookie files. */
static gboolean allow_mechanism(GDBusAuthObserver *observer, const gchar *mechanism,
				gpointer opaque)
{
	(void)observer;
	(void)opaque;
	return !strcmp(mechanism, "EXTERNAL");
}

/* --- org.vmain.VM1 -------------------------------------------------------- */

static void return_errno(GDBusMethodInvocation *inv, struct vm *vm, int err)
{
	if (err == -EINVAL || err == -EALREADY)
		g_dbus_method_invocation_return_dbus_error(inv, VM_DBUS_ERROR_STATE,
			vm->state == VM_STOPPED ? "the VM has stopped" :
			vm->state == VM_STARTING ? "the VM is still starting" :
			vm->state == VM_SHUTTING_DOWN ? "the VM is shutting down" :
			vm->state == VM_PAUSED ? "the VM is paused" : "the VM is running");
	else
		g_dbus_method_invocation_return_dbus_error(inv, VM_DBUS_ERROR_FAILED,
							   strerror(-err));
}

static bool peer_is_owner(GDBusConnection *conn);

static void vm_method(GDBusConnection *conn, const gchar *sender, const gchar *path,
		      const gchar *iface, const gchar *method, GVariant *params,
		      GDBusMethodInvocation *inv, gpointer opaque)
{
	struct vm_dbus *d = opaque;
	struct vm *vm = d->vm;
	guint32 timeout;
	int ret;

	(void)conn;
	(void)sender;
	(void)path;
	(void)iface;
	if (!strcmp(method, "Pause")) {
		ret = vm_pause(vm);
	} else if (!strcmp(method, "Resume")) {
		ret = vm_resume(vm);
	} else if (!strcmp(method, "Stop")) {
		g_variant_get(params, "(u)", &timeout);
		ret = vm_stop(vm, timeout);
	} else if (!strcmp(method, "Kill")) {
		ret = vm_kill(vm);
	} else if (!strcmp(method, "Reset")) {
		ret = vm_reset(vm);
	} else if (!strcmp(method, "PowerButton")) {
		ret = vm_power_button(vm);
	} else if (!strcmp(method, "SetLink")) {
		const char *nic;
		gboolean up;
		char err[128];

		g_variant_get(params, "(&sb)", &nic, &up);
		ret = vm_set_link(vm, nic, up, err, sizeof(err));
		if (ret) {
			g_dbus_method_invocation_return_dbus_error(inv, ret == -EINVAL ?
				VM_DBUS_ERROR_STATE : VM_DBUS_ERROR_ARGS, err);
			return;
		}
	} else if (!strcmp(method, "ChangeMedia") || !strcmp(method, "EjectMedia")) {
		const char *drive, *file = NULL;
		gboolean force;
		char err[512];

		if (!strcmp(method, "ChangeMedia"))
			g_variant_get(params, "(&s&sb)", &drive, &file, &force);
		else
			g_variant_get(params, "(&sb)", &drive, &force);
		if (*drive && strcmp(drive, "cdrom")) {
			snprintf(err, sizeof(err), "no drive '%.32s': the CD/DVD drive is 'cdrom'",
				 drive);
			ret = -ENODEV;
		} else {
			GCredentials *cred = g_dbus_connection_get_peer_credentials(conn);
			uid_t uid = cred ? g_credentials_get_unix_user(cred, NULL) : (uid_t)-1;

			if (peer_is_owner(conn)) {
				ret = vm_change_media(vm, file, force, (uid_t)-1, err, sizeof(err));
			} else if (uid == (uid_t)-1) {
				snprintf(err, sizeof(err), "the caller's credentials are unknown");
				ret = -EPERM;
			} else {
				ret = vm_change_media(vm, file, force, uid, err, sizeof(err));
			}
		}
		if (ret) {
			g_dbus_method_invocation_return_dbus_error(inv,
				ret == -EINVAL ? VM_DBUS_ERROR_STATE :
				ret == -ENODEV ? VM_DBUS_ERROR_ARGS :
				ret == -EBUSY ? VM_DBUS_ERROR_BUSY : VM_DBUS_ERROR_FAILED, err);
			return;
		}
	} else if (!strcmp(method, "Save")) {
		char err[512];

		ret = vm_save(vm, err, sizeof(err));
		if (ret) {
			g_dbus_method_invocation_return_dbus_error(inv, ret == -EINVAL ?
				VM_DBUS_ERROR_STATE : VM_DBUS_ERROR_FAILED, err);
			return;
		}
	} else {
		/* Not reached: GDBus checks calls against the interface. */
		g_dbus_method_invocation_return_dbus_error(inv,
			"org.freedesktop.DBus.Error.UnknownMethod", method);
		return;
	}
	if (ret)
		return_errno(inv, vm, ret);
	else
		g_dbus_method_invocation_return_value(inv, NULL);
}

static GVariant *vm_get_property(GDBusConnection *conn, const gchar *sender,
				 const gchar *path, const gchar *iface,
				 const gchar *prop, GError **error, gpointer opaque)
{
	struct vm_dbus *d = opaque;
	const struct vm_spec *spec = d->vm->spec;
	char uuid[37];

	(void)conn;
	(void)sender;
	(void)path;
	(void)iface;
	if (!strcmp(prop, "Name"))
		return g_variant_new_string(spec->name);
	if (!strcmp(prop, "UUID")) {
		vm_uuid_format(spec->mcfg.uuid, uuid);
		return g_variant_new_string(uuid);
	}
	if (!strcmp(prop, "State"))
		return g_variant_new_string(vm_state_name(d->vm->state));
	if (!strcmp(prop, "Memory"))
		return g_variant_new_uint64(spec->mcfg.mem);
	if (!strcmp(prop, "CPUs"))
		return g_variant_new_uint32(spec->mcfg.cpus);
	if (!strcmp(prop, "Accel"))
		return g_variant_new_string(d->vm->accel ? d->vm->accel : "");
	if (!strcmp(prop, "Config"))
		return g_variant_new_string(spec->config_text ? spec->config_text : "");
	if (!strcmp(prop, "Pid"))
		return g_variant_new_uint32((guint32)getpid());
	g_set_error(error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_PROPERTY, "no property %s", prop);
	return NULL;
}

/* --- org.vmain.Console1 --------------------------------------------------- */

static void console_method(GDBusConnection *conn, const gchar *sender, const gchar *path,
			   const gchar *iface, const gchar *method, GVariant *params,
			   GDBusMethodInvocation *inv, gpointer opaque)
{
	struct vm_dbus *d = opaque;
	GUnixFDList *fds;
	int fd, ret;

	(void)sender;
	(void)path;
	(void)iface;
	(void)method;
	(void)params;
	if (!(g_dbus_connection_get_capabilities(conn) & G_DBUS_CAPABILITY_FLAGS_UNIX_FD_PASSING)) {
		g_dbus_method_invocation_return_dbus_error(inv, VM_DBUS_ERROR_FAILED,
			"this connection cannot pass file descriptors");
		return;
	}
	ret = vm_console_attach(&d->vm->console, &fd);
	if (ret == -EBUSY) {
		g_dbus_method_invocation_return_dbus_error(inv, VM_DBUS_ERROR_BUSY,
			"another client is attached to the console");
		return;
	}
	if (ret) {
		g_dbus_method_invocation_return_dbus_error(inv, VM_DBUS_ERROR_FAILED,
							   strerror(-ret));
		return;
	}
	fds = g_unix_fd_list_new_from_array(&fd, 1);	/* takes fd */
	g_dbus_method_invocation_return_value_with_unix_fd_list(inv,
		g_variant_new("(h)", 0), fds);
	g_object_unref(fds);
}

static GVariant *console_get_property(GDBusConnection *conn, const gchar *sender,
				      const gchar *path, const gchar *iface,
				      const gchar *prop, GError **error, gpointer opaque)
{
	struct vm_dbus *d = opaque;

	(void)conn;
	(void)sender;
	(void)path;
	(void)iface;
	if (!strcmp(prop, "Attached"))
		return g_variant_new_boolean(vm_console_attached(&d->vm->console));
	g_set_error(error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_PROPERTY, "no property %s", prop);
	return NULL;
}

/* --- org.freedesktop.DBus, the little that bus-minded clients ask ------- */

/*
 * Tools written for a message bus (gdbus(1) with --address among them)
 * open every connection with org.freedesktop.DBus.Hello, and `gdbus
 * monitor` adds match rules and asks who owns the name it watches.  A
 * peer-to-peer server has no bus: Hello gets a unique name of the form a
 * bus gives (D-Bus specification, "Message Bus Messages"), every name is
 * owned by the VM itself (VM_DBUS_SENDER, the sender of its signals), and
 * match rules are accepted and ignored (every signal goes to every client).
 */

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
	struct vm_dbus *d = opaque;
	char name[32];

	(void)conn;
	(void)sender;
	(void)path;
	(void)iface;
	(void)params;
	if (!strcmp(method, "Hello")) {
		snprintf(name, sizeof(name), ":1.%u", ++d->serial);
		g_dbus_method_invocation_return_value(inv, g_variant_new("(s)", name));
		return;
	}
	if (!strcmp(method, "GetNameOwner")) {
		g_dbus_method_invocation_return_value(inv, g_variant_new("(s)", VM_DBUS_SENDER));
		return;
	}
	g_dbus_method_invocation_return_value(inv, NULL);	/* AddMatch, RemoveMatch */
}

static const GDBusInterfaceVTable bus_vtable = { bus_method, NULL, NULL, { 0 } };

static const GDBusInterfaceVTable vm_vtable = { vm_method, vm_get_property, NULL, { 0 } };
static const GDBusInterfaceVTable console_vtable = {
	console_method, console_get_property, NULL, { 0 }
};

/* --- connections ---------------------------------------------------------- */

static void client_free(struct client *c)
{
	dbus_display_free(c->display);
	if (c->vm_id)
		g_dbus_connection_unregister_object(c->conn, c->vm_id);
	if (c->console_id)
		g_dbus_connection_unregister_object(c->conn, c->console_id);
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
	g_ptr_array_remove(c->d->clients, c);	/* frees it */
}

/*
 * The VM's owner: its own uid, or root.  Members of group vmain may
 * control a system VM but not take its screen from the others.
 */
static bool peer_is_owner(GDBusConnection *conn)
{
	GCredentials *cred = g_dbus_connection_get_peer_credentials(conn);
	uid_t uid;

	if (!cred)
		return false;
	uid = g_credentials_get_unix_user(cred, NULL);
	return uid != (uid_t)-1 && (uid == geteuid() || uid == 0);
}

static gboolean new_connection(GDBusServer *server, GDBusConnection *conn, gpointer opaque)
{
	struct vm_dbus *d = opaque;
	struct client *c;
	GError *err = NULL;
	bool ok;

	(void)server;
	c = g_new0(struct client, 1);
	c->d = d;
	c->conn = g_object_ref(conn);
	c->vm_id = g_dbus_connection_register_object(conn, VM_DBUS_PATH,
		g_dbus_node_info_lookup_interface(d->info, VM_DBUS_IFACE),
		&vm_vtable, d, NULL, &err);
	if (c->vm_id)
		c->console_id = g_dbus_connection_register_object(conn, VM_DBUS_PATH,
			g_dbus_node_info_lookup_interface(d->info, VM_DBUS_CONSOLE_IFACE),
			&console_vtable, d, NULL, &err);
	ok = c->console_id;
	if (ok && d->vm->screen) {
		c->display = dbus_display_new(d->vm->screen->display, conn, VM_DBUS_PATH,
			g_dbus_node_info_lookup_interface(d->info, VM_DBUS_DISPLAY_IFACE),
			peer_is_owner(conn), &err);
		ok = c->display;
	}
	if (ok)
		c->bus_id = g_dbus_connection_register_object(conn, "/org/freedesktop/DBus",
			d->bus_info->interfaces[0], &bus_vtable, d, NULL, &err);
	c->closed_id = g_signal_connect(conn, "closed", G_CALLBACK(client_closed), c);
	if (!c->bus_id) {
		vm_log(d->vm->spec, LOG_WARNING, "control connection: %s", err->message);
		g_error_free(err);
		client_free(c);
		return FALSE;
	}
	g_ptr_array_add(d->clients, c);
	return TRUE;
}

/*
 * A signal with VM_DBUS_SENDER as its sender, so that clients that match
 * signals by sender, as on a bus, take them (g_dbus_connection_emit_signal()
 * sends none on a peer-to-peer connection).
 */
static void send_signal(GDBusConnection *conn, const char *iface, const char *member,
			GVariant *body)
{
	GDBusMessage *msg = g_dbus_message_new_signal(VM_DBUS_PATH, iface, member);

	g_dbus_message_set_sender(msg, VM_DBUS_SENDER);
	g_dbus_message_set_body(msg, body);
	g_dbus_connection_send_message(conn, msg, G_DBUS_SEND_MESSAGE_FLAGS_NONE, NULL, NULL);
	g_object_unref(msg);
}

void vm_dbus_state_changed(struct vm *vm)
{
	struct vm_dbus *d = vm->dbus;
	const char *state = vm_state_name(vm->state);
	GVariantBuilder changed;
	unsigned int i;

	if (!d)
		return;
	for (i = 0; i < d->clients->len; i++) {
		struct client *c = g_ptr_array_index(d->clients, i);

		g_variant_builder_init(&changed, G_VARIANT_TYPE("a{sv}"));
		g_variant_builder_add(&changed, "{sv}", "State", g_variant_new_string(state));
		send_signal(c->conn, VM_DBUS_IFACE, "StateChanged", g_variant_new("(s)", state));
		send_signal(c->conn, "org.freedesktop.DBus.Properties", "PropertiesChanged",
			    g_variant_new("(sa{sv}as)", VM_DBUS_IFACE, &changed, NULL));
	}
}

void vm_dbus_save_progress(struct vm *vm, uint64_t done, uint64_t total)
{
	struct vm_dbus *d = vm->dbus;
	unsigned int i;

	for (i = 0; d && i < d->clients->len; i++) {
		struct client *c = g_ptr_array_index(d->clients, i);

		send_signal(c->conn, VM_DBUS_IFACE, "SaveProgress",
			    g_variant_new("(tt)", (guint64)done, (guint64)total));
	}
}

int vm_dbus_start(struct vm *vm, const char *path)
{
	struct vm_dbus *d;
	GError *err = NULL;
	struct group *gr;
	char *address, *guid;
	mode_t mask;
	int ret;

	d = g_new0(struct vm_dbus, 1);
	d->vm = vm;
	d->group = (gid_t)-1;
	d->path = g_strdup(path);
	d->clients = g_ptr_array_new_with_free_func((GDestroyNotify)client_free);
	d->info = g_dbus_node_info_new_for_xml(vm_dbus_xml, &err);
	if (d->info)
		d->bus_info = g_dbus_node_info_new_for_xml(bus_xml, &err);
	if (!d->bus_info) {
		fprintf(stderr, "vmain: the control API's interfaces: %s\n", err->message);
		ret = -EINVAL;
		if (d->info)
			g_dbus_node_info_unref(d->info);
		goto free_d;
	}
	if (vm->spec->system) {
		gr = getgrnam("vmain");
		if (gr)
			d->group = gr->gr_gid;
	}
	d->observer = g_dbus_auth_observer_new();
	g_signal_connect(d->observer, "authorize-authenticated-peer",
			 G_CALLBACK(authorize_peer), d);
	g_signal_connect(d->observer, "allow-mechanism", G_CALLBACK(allow_mechanism), d);
	/* We hold the VM's lock: a socket file left there is a dead VM's. */
	unlink(path);
	address = g_strdup_printf("unix:path=%s", path);
	guid = g_dbus_generate_guid();
	/* Born 0600: never a moment when others may connect. */
	mask = umask(0177);
	d->server = g_dbus_server_new_sync(address, G_DBUS_SERVER_FLAGS_NONE, guid,
					   d->observer, NULL, &err);
	umask(mask);
	g_free(address);
	g_free(guid);
	if (!d->server) {
		fprintf(stderr, "vmain: cannot listen on %s: %s\n", path, err->message);
		ret = -EIO;
		goto free_observer;
	}
	if (d->group != (gid_t)-1 && (chown(path, (uid_t)-1, d->group) || chmod(path, 0660)))
		vm_log(vm->spec, LOG_WARNING, "%s: cannot give group vmain access: %s", path,
		       strerror(errno));
	g_signal_connect(d->server, "new-connection", G_CALLBACK(new_connection), d);
	g_dbus_server_start(d->server);
	vm->dbus = d;
	return 0;

free_observer:
	g_object_unref(d->observer);
	g_dbus_node_info_unref(d->bus_info);
	g_dbus_node_info_unref(d->info);
free_d:
	if (err)
		g_error_free(err);
	g_ptr_array_free(d->clients, TRUE);
	g_free(d->path);
	g_free(d);
	return ret;
}

/* Flushes still to finish, and whether FLUSH_MS is over (vm_dbus_stop()). */
static unsigned int flushes_pending;
static bool flush_timed_out;

static void flushed(GObject *src, GAsyncResult *res, gpointer opaque)
{
	(void)opaque;
	g_dbus_connection_flush_finish(G_DBUS_CONNECTION(src), res, NULL);
	flushes_pending--;
}

static gboolean flush_timeout(gpointer opaque)
{
	(void)opaque;
	flush_timed_out = true;
	return G_SOURCE_REMOVE;
}

void vm_dbus_stop(struct vm *vm)
{
	struct vm_dbus *d = vm->dbus;
	unsigned int i;
	guint timer;

	if (!d)
		return;
	/* No new clients; the socket goes before the VM's lock does. */
	g_dbus_server_stop(d->server);
	unlink(d->path);
	/* The last signals ("stopped") reach clients that read, within FLUSH_MS. */
	flushes_pending = d->clients->len;
	flush_timed_out = false;
	for (i = 0; i < d->clients->len; i++)
		g_dbus_connection_flush(((struct client *)g_ptr_array_index(d->clients, i))->conn,
					NULL, flushed, NULL);
	timer = g_timeout_add(FLUSH_MS, flush_timeout, NULL);
	while (flushes_pending && !flush_timed_out)
		g_main_context_iteration(NULL, TRUE);
	if (!flush_timed_out)
		g_source_remove(timer);
	for (i = 0; i < d->clients->len; i++)
		g_dbus_connection_close(((struct client *)g_ptr_array_index(d->clients, i))->conn,
					NULL, NULL, NULL);
	g_ptr_array_free(d->clients, TRUE);
	g_object_unref(d->server);
	g_object_unref(d->observer);
	g_dbus_node_info_unref(d->bus_info);
	g_dbus_node_info_unref(d->info);
	g_free(d->path);
	g_free(d);
	vm->dbus = NULL;
}
