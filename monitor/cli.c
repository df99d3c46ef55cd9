// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cli.c - shared by the VM commands (see cli.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "vm/client.h"
#include "vm/config.h"

static gboolean opt_system;

static const GOptionEntry system_entries[] = {
	{ "system", 0, 0, G_OPTION_ARG_NONE, &opt_system,
	  "A system VM: bundles in /var/lib/vmain/VMs, sockets in /run/vmain "
	  "(the vmain@NAME.service units); default: this user's, in "
	  "$XDG_DATA_HOME/vmain/VMs and $XDG_RUNTIME_DIR/vmain", NULL },
	{ NULL, 0, 0, 0, NULL, NULL, NULL }
};

int cli_parse(int *argc, char ***argv, const char *cmd, const char *params,
	      const char *summary, const char *description, const GOptionEntry *entries,
	      char **name, struct vm_paths *paths)
{
	GOptionContext *ctx;
	GError *error = NULL;
	char err[256], *prg, *title;
	/* NAME and the other words of `params` are the arguments wanted. */
	int want = 1;
	const char *p;

	if (name)
		for (want = 2, p = params; (p = strchr(p, ' ')); p++)
			want++;

	prg = g_strdup_printf("vmain %s", cmd);
	g_set_prgname(prg);
	title = g_strdup_printf("%s - %s", params, summary);
	ctx = g_option_context_new(title);
	if (entries)
		g_option_context_add_main_entries(ctx, entries, NULL);
	g_option_context_add_main_entries(ctx, system_entries, NULL);
	if (description)
		g_option_context_set_description(ctx, description);
	g_free(title);
	if (!g_option_context_parse(ctx, argc, argv, &error)) {
		fprintf(stderr, "%s: %s\n", prg, error->message);
		g_error_free(error);
		goto usage;
	}
	if (*argc < want) {
		if (*argc < 2)
			fprintf(stderr, "%s: which VM? (usage: %s %s)\n", prg, prg, params);
		else
			fprintf(stderr, "%s: missing argument (usage: %s %s)\n", prg, prg, params);
		goto usage;
	}
	if (*argc > want) {
		fprintf(stderr, "%s: unexpected argument '%s'\n", prg, (*argv)[want]);
		goto usage;
	}
	if (name) {
		*name = (*argv)[1];
		if (vm_name_check(*name, err, sizeof(err))) {
			fprintf(stderr, "%s: '%s': %s\n", prg, *name, err);
			goto usage;
		}
	}
	if (vm_paths_init(paths, opt_system, err, sizeof(err))) {
		fprintf(stderr, "%s: %s\n", prg, err);
		goto usage;
	}
	g_option_context_free(ctx);
	g_free(prg);
	return CLI_OK;
usage:
	g_option_context_free(ctx);
	g_free(prg);
	return CLI_USAGE;
}

int cli_bundle_exists(const char *cmd, const struct vm_paths *paths, const char *name)
{
	char *dir = vm_bundle_dir(paths, name);
	struct stat st;
	int ret = CLI_OK;

	if (lstat(dir, &st) || !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "vmain %s: no VM named '%s'%s (vmain list shows them)\n", cmd,
			name, paths->system ? " among the system VMs" : "");
		ret = CLI_NO_VM;
	}
	g_free(dir);
	return ret;
}

int cli_connect(const char *cmd, const struct vm_paths *paths, const char *name,
		GDBusConnection **conn)
{
	char err[512], *dir;
	bool bundle;
	int ret;

	ret = vm_client_connect(paths, name, conn, err, sizeof(err));
	if (!ret)
		return CLI_OK;
	fprintf(stderr, "vmain %s: %s\n", cmd, err);
	if (ret != -ENOENT && ret != -ECONNREFUSED)
		return CLI_FAILED;
	/* Not running: a VM that is not there at all is another answer. */
	dir = vm_bundle_dir(paths, name);
	bundle = g_file_test(dir, G_FILE_TEST_IS_DIR);
	g_free(dir);
	return bundle || g_str_has_prefix(name, "run-") ? CLI_STATE : CLI_NO_VM;
}

void cli_json_string(GString *out, const char *s)
{
	const unsigned char *p;

	g_string_append_c(out, '"');
	for (p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': g_string_append(out, "\\\""); break;
		case '\\': g_string_append(out, "\\\\"); break;
		case '\n': g_string_append(out, "\\n"); break;
		case '\r': g_string_append(out, "\\r"); break;
		case '\t': g_string_append(out, "\\t"); break;
		default:
			if (*p < 0x20)
				g_string_append_printf(out, "\\u%04x", *p);
			else
				g_string_append_c(out, (char)*p);
		}
	}
	g_string_append_c(out, '"');
}
