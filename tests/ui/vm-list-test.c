// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tests/ui/vm-list-test.c - the library's reading of `vmain list --json`
 * and its paths (ui/vm-list.c): the documented form, extra fields, bad
 * input, where sockets and bundles are by the environment, memory text.
 */
#include <stdlib.h>

#include "tap.h"
#include "vm-list.h"

static const char two[] =
	"[{\"name\": \"db\", \"state\": \"stopped\", "
	"\"uuid\": \"806da32a-b20a-4757-a51f-8ea1e67536eb\", \"memory\": 536870912, "
	"\"cpus\": 1, \"pid\": null, \"autostart\": false, \"error\": null},\n"
	" {\"name\": \"web\", \"state\": \"running\", "
	"\"uuid\": \"4c6553dc-ba12-4308-aa0e-40c365970736\", "
	"\"memory\": 1073741824, \"cpus\": 2, \"pid\": 4242, \"autostart\": true, \"error\": null, "
	"\"future\": {\"a\": [1, 2]}}]\n";

static int parse_fails(const char *json, const char *why_has)
{
	GPtrArray *l;
	char *why;
	int ret = ui_vm_list_parse(json, false, &l, &why);
	int ok = ret == -EINVAL && !l && why && strstr(why, why_has);

	if (!ok)
		tap_diag("'%s': ret %d, why '%s'", json, ret, why ? why : "(none)");
	g_free(why);
	if (l)
		g_ptr_array_unref(l);
	return ok;
}

static int path_is(char *got, const char *want)
{
	int ok = got && !strcmp(got, want);

	if (!ok)
		tap_diag("got '%s', want '%s'", got ? got : "(null)", want);
	g_free(got);
	return ok;
}

int main(void)
{
	GPtrArray *l;
	struct ui_vm_entry *db, *web;
	char *why, *m;

	tap_ok(!ui_vm_list_parse(two, false, &l, &why) && l && l->len == 2,
	       "vmain list --json's form: two VMs");
	db = g_ptr_array_index(l, 0);
	web = g_ptr_array_index(l, 1);
	tap_ok(!strcmp(db->name, "db") && !strcmp(db->state, "stopped") &&
	       db->memory == 512ull << 20 && db->cpus == 1 && db->pid == 0 && !db->autostart &&
	       !db->error && !db->system, "db: stopped, 512 MiB, 1 CPU, no pid (null)");
	tap_ok(!strcmp(web->name, "web") && !strcmp(web->state, "running") &&
	       web->memory == 1ull << 30 && web->cpus == 2 && web->pid == 4242 && web->autostart &&
	       !strcmp(web->uuid, "4c6553dc-ba12-4308-aa0e-40c365970736"),
	       "web: running, 1 GiB, 2 CPUs, pid 4242, autostart; an unknown field is ignored");
	g_ptr_array_unref(l);

	tap_ok(!ui_vm_list_parse("[]", true, &l, &why) && l && l->len == 0, "[]: no VMs");
	g_ptr_array_unref(l);
	tap_ok(!ui_vm_list_parse("[{\"name\": \"s\", \"state\": \"paused\", "
				 "\"error\": \"config.ini: bad\"}]", true, &l, &why) &&
	       l->len == 1 && (db = g_ptr_array_index(l, 0))->system &&
	       !strcmp(db->error, "config.ini: bad") && db->memory == 0 && db->cpus == 0,
	       "a system VM with an error: both kept; missing numbers are 0");
	g_ptr_array_unref(l);
	tap_ok(!ui_vm_list_parse("[{\"name\": \"x\"}]", false, &l, &why) &&
	       !strcmp(((struct ui_vm_entry *)g_ptr_array_index(l, 0))->state, "unknown"),
	       "no state: unknown");
	g_ptr_array_unref(l);

	tap_ok(parse_fails("not json", "not JSON"), "garbage: -EINVAL, not JSON");
	tap_ok(parse_fails("{\"name\": \"x\"}", "not a list"), "an object: not a list");
	tap_ok(parse_fails("[{\"state\": \"running\"}]", "no name"), "an entry without a name");
	tap_ok(parse_fails("[{\"name\": \"\"}]", "no name"), "an empty name");
	tap_ok(parse_fails("[1]", "not an object"), "an entry that is no object");
	tap_ok(parse_fails("[{\"name\": 7}]", "no name"), "a name that is no string");
	tap_ok(parse_fails("[{\"name\": \"a\"", "not JSON"), "cut short");

	/* Paths, by the rules of vm_paths_init(). */
	g_unsetenv("VMAIN_RUNTIME_DIR");
	g_unsetenv("VMAIN_VMS_DIR");
	g_setenv("XDG_RUNTIME_DIR", "/run/user/1000", TRUE);
	g_setenv("XDG_DATA_HOME", "/home/u/.data", TRUE);
	tap_ok(path_is(ui_vm_socket_path("web", false), "/run/user/1000/vmain/web.sock"),
	       "a user's socket: $XDG_RUNTIME_DIR/vmain/NAME.sock");
	tap_ok(path_is(ui_vm_socket_path("web", true), "/run/vmain/web.sock"),
	       "a system VM's: /run/vmain/NAME.sock");
	tap_ok(path_is(ui_vm_bundles_dir(false), "/home/u/.data/vmain/VMs"),
	       "a user's bundles: $XDG_DATA_HOME/vmain/VMs");
	tap_ok(path_is(ui_vm_bundles_dir(true), "/var/lib/vmain/VMs"),
	       "the system's: /var/lib/vmain/VMs");
	g_unsetenv("XDG_DATA_HOME");
	g_setenv("HOME", "/home/u", TRUE);
	tap_ok(path_is(ui_vm_bundles_dir(false), "/home/u/.local/share/vmain/VMs"),
	       "no XDG_DATA_HOME: ~/.local/share/vmain/VMs");
	g_setenv("XDG_DATA_HOME", "rel/data", TRUE);
	tap_ok(path_is(ui_vm_bundles_dir(false), "/home/u/.local/share/vmain/VMs"),
	       "a relative XDG_DATA_HOME is ignored (the XDG spec, as vmain does)");
	g_unsetenv("XDG_RUNTIME_DIR");
	tap_ok(ui_vm_socket_path("web", false) == NULL,
	       "no XDG_RUNTIME_DIR: no user socket (NULL)");
	tap_ok(path_is(ui_vm_socket_path("web", true), "/run/vmain/web.sock"),
	       "no XDG_RUNTIME_DIR: a system VM's socket is still known");
	g_setenv("XDG_RUNTIME_DIR", "run/user", TRUE);
	tap_ok(ui_vm_runtime_dir(false) == NULL,
	       "a relative XDG_RUNTIME_DIR: none (vmain refuses it)");
	g_setenv("VMAIN_RUNTIME_DIR", "rel/run", TRUE);
	tap_ok(ui_vm_socket_path("web", true) == NULL,
	       "a relative VMAIN_RUNTIME_DIR: none, not /run/vmain (vmain refuses it)");
	g_setenv("VMAIN_RUNTIME_DIR", "/tmp/r", TRUE);
	g_setenv("VMAIN_VMS_DIR", "/tmp/v", TRUE);
	tap_ok(path_is(ui_vm_socket_path("web", true), "/tmp/r/web.sock") &&
	       path_is(ui_vm_bundles_dir(false), "/tmp/v"),
	       "VMAIN_RUNTIME_DIR and VMAIN_VMS_DIR replace both, system VMs too");

	m = ui_vm_memory_text(512ull << 20);
	tap_ok(!strcmp(m, "512 MiB"), "512 MiB");
	g_free(m);
	m = ui_vm_memory_text(2ull << 30);
	tap_ok(!strcmp(m, "2 GiB"), "2 GiB");
	g_free(m);
	m = ui_vm_memory_text(3ull << 29);
	tap_ok(!strcmp(m, "1.5 GiB"), "1.5 GiB (got %s)", m);
	g_free(m);
	return tap_done();
}
