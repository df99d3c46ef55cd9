// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ui/vm-list.c - `vmain list --json` and the VMs' directories (ui/vm-list.h).
 */
#include <errno.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "vm-list.h"

void ui_vm_entry_free(gpointer p)
{
	struct ui_vm_entry *e = p;

	g_free(e->name);
	g_free(e->state);
	g_free(e->uuid);
	g_free(e->error);
	g_free(e);
}

/* A member's string, or NULL when missing, null or not a string. */
static char *member_string(JsonObject *o, const char *name)
{
	JsonNode *n = json_object_get_member(o, name);

	if (!n || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING)
		return NULL;
	return g_strdup(json_node_get_string(n));
}

static gint64 member_int(JsonObject *o, const char *name)
{
	JsonNode *n = json_object_get_member(o, name);

	if (!n || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64)
		return 0;
	return json_node_get_int(n);
}

int ui_vm_list_parse(const char *json, bool system, GPtrArray **out, char **why)
{
	JsonParser *p = json_parser_new();
	GError *err = NULL;
	GPtrArray *list;
	JsonArray *a;
	JsonNode *root;
	int ret = -EINVAL;

	*out = NULL;
	*why = NULL;
	if (!json_parser_load_from_data(p, json, -1, &err)) {
		*why = g_strdup_printf("not JSON: %s", err->message);
		g_error_free(err);
		goto out_parser;
	}
	root = json_parser_get_root(p);
	if (!root || !JSON_NODE_HOLDS_ARRAY(root)) {
		*why = g_strdup("not a list of VMs");
		goto out_parser;
	}
	a = json_node_get_array(root);
	list = g_ptr_array_new_with_free_func(ui_vm_entry_free);
	for (guint i = 0; i < json_array_get_length(a); i++) {
		JsonNode *n = json_array_get_element(a, i);
		struct ui_vm_entry *e;
		JsonObject *o;
		gint64 v;

		if (!JSON_NODE_HOLDS_OBJECT(n)) {
			*why = g_strdup_printf("entry %u is not an object", i);
			goto out_list;
		}
		o = json_node_get_object(n);
		e = g_new0(struct ui_vm_entry, 1);
		g_ptr_array_add(list, e);
		e->name = member_string(o, "name");
		if (!e->name || !*e->name) {
			*why = g_strdup_printf("entry %u has no name", i);
			goto out_list;
		}
		e->state = member_string(o, "state");
		if (!e->state)
			e->state = g_strdup("unknown");
		e->uuid = member_string(o, "uuid");
		e->error = member_string(o, "error");
		v = member_int(o, "memory");
		e->memory = v > 0 ? (uint64_t)v : 0;
		v = member_int(o, "cpus");
		e->cpus = v > 0 && v <= UINT32_MAX ? (uint32_t)v : 0;
		v = member_int(o, "pid");
		e->pid = v > 0 && v <= G_MAXINT ? (int)v : 0;
		n = json_object_get_member(o, "autostart");
		e->autostart = n && JSON_NODE_HOLDS_VALUE(n) &&
			       json_node_get_value_type(n) == G_TYPE_BOOLEAN &&
			       json_node_get_boolean(n);
		e->system = system;
	}
	*out = list;
	ret = 0;
	goto out_parser;

out_list:
	g_ptr_array_unref(list);
out_parser:
	g_object_unref(p);
	return ret;
}

/*
 * vm_paths_init()'s rules: VMAIN_VMS_DIR and VMAIN_RUNTIME_DIR (absolute,
 * for system VMs too; a relative one makes vmain refuse, so no directory
 * here), then the system's fixed places, then the XDG ones, where a
 * relative value is invalid by the spec (and ignored, or an error).
 */
static const char *env_abs(const char *var)
{
	const char *v = g_getenv(var);

	return v && v[0] == '/' ? v : NULL;
}

static bool env_set(const char *var)
{
	const char *v = g_getenv(var);

	return v && *v;
}

char *ui_vm_runtime_dir(bool system)
{
	const char *v;

	if (env_set("VMAIN_RUNTIME_DIR")) {
		v = env_abs("VMAIN_RUNTIME_DIR");
		return v ? g_strdup(v) : NULL;
	}
	if (system)
		return g_strdup("/run/vmain");
	v = env_abs("XDG_RUNTIME_DIR");
	return v ? g_build_filename(v, "vmain", NULL) : NULL;
}

char *ui_vm_bundles_dir(bool system)
{
	const char *v;

	if (env_set("VMAIN_VMS_DIR")) {
		v = env_abs("VMAIN_VMS_DIR");
		return v ? g_strdup(v) : NULL;
	}
	if (system)
		return g_strdup("/var/lib/vmain/VMs");
	v = env_abs("XDG_DATA_HOME");
	if (v)
		return g_build_filename(v, "vmain", "VMs", NULL);
	/* As vmain: $HOME, else the password file's home. */
	v = g_get_home_dir();
	if (!v || v[0] != '/')
		return NULL;
	return g_build_filename(v, ".local", "share", "vmain", "VMs", NULL);
}

char *ui_vm_socket_path(const char *name, bool system)
{
	char *dir = ui_vm_runtime_dir(system), *file, *path;

	if (!dir)
		return NULL;
	file = g_strdup_printf("%s.sock", name);
	path = g_build_filename(dir, file, NULL);
	g_free(file);
	g_free(dir);
	return path;
}

char *ui_vm_memory_text(uint64_t bytes)
{
	if (bytes >= (1ull << 30) && bytes % (1ull << 30) == 0)
		return g_strdup_printf("%" G_GUINT64_FORMAT " GiB", bytes >> 30);
	if (bytes >= (1ull << 30))
		return g_strdup_printf("%.1f GiB", (double)bytes / (1ull << 30));
	return g_strdup_printf("%" G_GUINT64_FORMAT " MiB", bytes >> 20);
}
