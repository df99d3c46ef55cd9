// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd-list.c - `vmain list` and `vmain status NAME`: what VMs there are
 * and what they do.  A running VM answers for itself through its control
 * API; a stopped one is its bundle.  The --json output is documented in
 * docs/cli.md and checked against docs/schema/ in the tests.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "vm/client.h"
#include "vm/config.h"
#include "vm/dbus.h"

static gboolean opt_json;

static const GOptionEntry json_entries[] = {
	{ "json", 'j', 0, G_OPTION_ARG_NONE, &opt_json,
	  "Print JSON (docs/cli.md describes it; fields are only ever added)", NULL },
	{ NULL, 0, 0, 0, NULL, NULL, NULL }
};

/* One VM, as list and status show it. */
struct vm_info {
	char *name;
	char *state;		/* from the VM, or "stopped" */
	char uuid[37];
	uint64_t memory;
	unsigned int cpus;
	long pid;		/* 0: not running */
	char *accel;		/* "" unless running */
	bool autostart;
	bool console_attached;
	char *bundle, *socket;
	char *error;		/* the bundle's config.ini cannot be read */
};

static void info_free(struct vm_info *in)
{
	g_free(in->name);
	g_free(in->state);
	g_free(in->accel);
	g_free(in->bundle);
	g_free(in->socket);
	g_free(in->error);
}

static void info_from_vm(struct vm_info *in, GDBusConnection *conn)
{
	GVariant *props, *v, *inner;
	const char *str;
	guint32 pid, cpus;
	guint64 mem;
	char err[256];

	props = vm_client_properties(conn, err, sizeof(err));
	if (!props)
		return;
	if (g_variant_lookup(props, "State", "&s", &str)) {
		g_free(in->state);
		in->state = g_strdup(str);
	}
	if (g_variant_lookup(props, "Accel", "&s", &str)) {
		g_free(in->accel);
		in->accel = g_strdup(str);
	}
	if (g_variant_lookup(props, "Pid", "u", &pid))
		in->pid = pid;
	if (g_variant_lookup(props, "CPUs", "u", &cpus))
		in->cpus = cpus;
	if (g_variant_lookup(props, "Memory", "t", &mem))
		in->memory = mem;
	g_variant_unref(props);
	v = g_dbus_connection_call_sync(conn, NULL, VM_DBUS_PATH,
		"org.freedesktop.DBus.Properties", "Get",
		g_variant_new("(ss)", VM_DBUS_CONSOLE_IFACE, "Attached"), G_VARIANT_TYPE("(v)"),
		G_DBUS_CALL_FLAGS_NONE, VM_CLIENT_TIMEOUT_MS, NULL, NULL);
	if (v) {
		g_variant_get(v, "(v)", &inner);
		if (g_variant_is_of_type(inner, G_VARIANT_TYPE_BOOLEAN))
			in->console_attached = g_variant_get_boolean(inner);
		g_variant_unref(inner);
		g_variant_unref(v);
	}
}

static void info_get(struct vm_info *in, const struct vm_paths *paths, const char *name)
{
	GDBusConnection *conn;
	struct vm_config cfg;
	char err[512];
	pid_t pid = 0;

	memset(in, 0, sizeof(*in));
	in->name = g_strdup(name);
	in->state = g_strdup("stopped");
	in->accel = g_strdup("");
	in->bundle = vm_bundle_dir(paths, name);
	in->socket = vm_socket_path(paths, name);
	vm_config_init(&cfg);
	if (vm_config_load(in->bundle, &cfg, err, sizeof(err))) {
		in->error = g_strdup(err);
	} else {
		vm_uuid_format(cfg.uuid, in->uuid);
		in->memory = cfg.memory;
		in->cpus = cfg.cpus;
		in->autostart = cfg.autostart;
	}
	vm_config_free(&cfg);
	/*
	 * The VM answers for itself first: group vmain may connect to a
	 * system VM's socket without being able to read its bundle.
	 */
	if (!vm_client_connect(paths, name, &conn, err, sizeof(err))) {
		g_free(in->state);
		in->state = g_strdup("starting");
		info_from_vm(in, conn);
		g_object_unref(conn);
	} else if (vm_bundle_running(in->bundle, &pid)) {
		/* Its lock is held, its API not (yet) answering: starting, or stuck. */
		g_free(in->state);
		in->state = g_strdup("starting");
		in->pid = pid;
	}
}

static void json_info(GString *o, const struct vm_info *in, bool full)
{
	g_string_append(o, "{\"name\": ");
	cli_json_string(o, in->name);
	g_string_append(o, ", \"state\": ");
	cli_json_string(o, in->state);
	g_string_append(o, ", \"uuid\": ");
	cli_json_string(o, in->uuid);
	g_string_append_printf(o, ", \"memory\": %" G_GUINT64_FORMAT ", \"cpus\": %u",
			       in->memory, in->cpus);
	if (in->pid)
		g_string_append_printf(o, ", \"pid\": %ld", in->pid);
	else
		g_string_append(o, ", \"pid\": null");
	g_string_append_printf(o, ", \"autostart\": %s", in->autostart ? "true" : "false");
	if (full) {
		g_string_append(o, ", \"accel\": ");
		cli_json_string(o, in->accel);
		g_string_append(o, ", \"bundle\": ");
		cli_json_string(o, in->bundle);
		g_string_append(o, ", \"socket\": ");
		cli_json_string(o, in->socket);
		g_string_append_printf(o, ", \"console_attached\": %s",
				       in->console_attached ? "true" : "false");
	}
	g_string_append(o, ", \"error\": ");
	if (in->error)
		cli_json_string(o, in->error);
	else
		g_string_append(o, "null");
	g_string_append(o, "}");
}

int cmd_list(int argc, char **argv)
{
	struct vm_paths paths;
	struct vm_info in;
	char **names = NULL;
	GString *o;
	int status, n, i;

	status = cli_parse(&argc, &argv, "list", "", "list the VMs",
		"One line per VM of this user (--system: the system's): its name, state\n"
		"(running, paused, starting, shutting-down or stopped), memory, CPUs and\n"
		"the pid of its process.  VMs run with `vmain run` have no bundle and\n"
		"are not listed.\n"
		"\n"
		"Exit status: 0 listed; 1 failed; 2 bad usage.\n",
		json_entries, NULL, &paths);
	if (status)
		return status;
	n = vm_bundle_list(&paths, &names);
	if (n < 0) {
		fprintf(stderr, "vmain list: %s: %s\n", paths.vms_dir, strerror(-n));
		vm_paths_free(&paths);
		return CLI_FAILED;
	}
	o = g_string_new(opt_json ? "[" : "");
	if (!opt_json && n)
		g_string_append_printf(o, "%-20s %-14s %8s %4s %8s\n", "NAME", "STATE",
				       "MEMORY", "CPUS", "PID");
	for (i = 0; i < n; i++) {
		info_get(&in, &paths, names[i]);
		if (opt_json) {
			g_string_append(o, i ? ",\n " : "");
			json_info(o, &in, false);
		} else if (in.error) {
			g_string_append_printf(o, "%-20s %-14s (%s)\n", in.name, in.state,
					       in.error);
		} else {
			g_string_append_printf(o, "%-20s %-14s %7" G_GUINT64_FORMAT "M %4u ",
					       in.name, in.state, in.memory >> 20, in.cpus);
			if (in.pid)
				g_string_append_printf(o, "%8ld\n", in.pid);
			else
				g_string_append_printf(o, "%8s\n", "-");
		}
		info_free(&in);
	}
	if (opt_json)
		g_string_append(o, "]\n");
	fputs(o->str, stdout);
	g_string_free(o, TRUE);
	g_strfreev(names);
	vm_paths_free(&paths);
	return CLI_OK;
}

int cmd_status(int argc, char **argv)
{
	struct vm_paths paths;
	struct vm_info in;
	GString *o;
	char *name;
	int status;

	status = cli_parse(&argc, &argv, "status", "NAME", "show a VM's state",
		"Its state, UUID, memory, CPUs, backend, process, bundle and control\n"
		"socket, and whether a console client is attached.\n"
		"\n"
		"Exit status: 0 shown (whatever the state); 1 failed; 2 bad usage;\n"
		"5 no such VM.\n",
		json_entries, &name, &paths);
	if (status)
		return status;
	status = cli_bundle_exists("status", &paths, name);
	if (status) {
		vm_paths_free(&paths);
		return status;
	}
	info_get(&in, &paths, name);
	o = g_string_new(NULL);
	if (opt_json) {
		json_info(o, &in, true);
		g_string_append_c(o, '\n');
	} else {
		g_string_append_printf(o, "name:      %s\nstate:     %s\n", in.name, in.state);
		if (in.error)
			g_string_append_printf(o, "error:     %s\n", in.error);
		else
			g_string_append_printf(o, "uuid:      %s\nmemory:    %" G_GUINT64_FORMAT
					       " MiB\ncpus:      %u\nautostart: %s\n", in.uuid,
					       in.memory >> 20, in.cpus, in.autostart ? "yes" : "no");
		if (in.pid)
			g_string_append_printf(o, "pid:       %ld\naccel:     %s\nconsole:   %s\n",
					       in.pid, in.accel[0] ? in.accel : "-",
					       in.console_attached ? "attached" : "free");
		g_string_append_printf(o, "bundle:    %s\nsocket:    %s\n", in.bundle, in.socket);
	}
	fputs(o->str, stdout);
	g_string_free(o, TRUE);
	info_free(&in);
	vm_paths_free(&paths);
	return CLI_OK;
}
