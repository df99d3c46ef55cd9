// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vm/hostconf.c - vmain.conf and the host memory cap (see hostconf.h).
 *
 * The files are read once per start, never on a timer: a changed cap
 * applies to the next start.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "size.h"
#include "vm/hostconf.h"
#include "vm/ini.h"

#define HOSTCONF_FILE	"vmain.conf"

/* [host] max_memory of PATH into *cap (0: none); a missing file is no cap. */
static int hostconf_read(const char *path, uint64_t *cap, char *err, size_t errlen)
{
	static const char *const keys[] = { "max_memory", NULL };
	g_auto(GStrv) groups = NULL;
	g_autofree char *v = NULL;
	struct ini_file ini;
	const char *why;
	int ret;

	*cap = 0;
	ret = ini_load(&ini, path, err, errlen);
	if (ret == -ENOENT)
		return 0;
	if (ret)
		return ret;
	groups = g_key_file_get_groups(ini.kf, NULL);
	for (char **g = groups; *g; g++) {
		if (strcmp(*g, "host")) {
			ret = ini_error(&ini, err, errlen, *g, NULL, "unknown group (known: host)");
			goto free_ini;
		}
	}
	if (!groups[0])
		goto free_ini;
	ret = ini_check_keys(&ini, "host", keys, err, errlen);
	if (!ret)
		ret = ini_get(&ini, "host", "max_memory", &v, err, errlen);
	if (ret || !v)
		goto free_ini;
	why = size_parse(v, 20, cap);
	if (why)
		ret = ini_error(&ini, err, errlen, "host", "max_memory", "'%s': %s", v, why);
free_ini:
	ini_free(&ini);
	if (ret)
		*cap = 0;
	return ret;
}

static char *user_conf_path(void)
{
	const char *cfg = getenv("XDG_CONFIG_HOME");
	const char *home;

	/* XDG Base Directory spec: a relative $XDG_CONFIG_HOME is ignored. */
	if (cfg && cfg[0] == '/')
		return g_build_filename(cfg, "vmain", HOSTCONF_FILE, NULL);
	home = g_get_home_dir();
	if (!home || home[0] != '/')
		return NULL;
	return g_build_filename(home, ".config", "vmain", HOSTCONF_FILE, NULL);
}

int vm_hostconf_load(struct vm_hostconf *hc, bool system, char *err, size_t errlen)
{
	const char *sysconf = getenv("VMAIN_SYSCONFDIR");
	g_autofree char *path = NULL;
	uint64_t cap;
	int ret;

	memset(hc, 0, sizeof(*hc));
	if (!sysconf || !*sysconf)
		sysconf = VM_SYSCONFDIR;
	path = g_build_filename(sysconf, HOSTCONF_FILE, NULL);
	ret = hostconf_read(path, &cap, err, errlen);
	if (ret)
		return ret;
	if (cap) {
		hc->max_memory = cap;
		hc->max_memory_source = g_steal_pointer(&path);
	}
	if (system)
		return 0;
	g_free(path);
	path = user_conf_path();
	if (!path)
		return 0;
	ret = hostconf_read(path, &cap, err, errlen);
	if (ret) {
		vm_hostconf_free(hc);
		return ret;
	}
	/* A user may only lower the host's cap for their own VMs. */
	if (cap && (!hc->max_memory || cap < hc->max_memory)) {
		g_free(hc->max_memory_source);
		hc->max_memory = cap;
		hc->max_memory_source = g_steal_pointer(&path);
	}
	return 0;
}

void vm_hostconf_free(struct vm_hostconf *hc)
{
	g_free(hc->max_memory_source);
	memset(hc, 0, sizeof(*hc));
}

/* Whole MiB, rounded up: a VM of 1 MiB + 4 KiB needs 2 MiB as far as a person can tell. */
static unsigned long long mib_up(uint64_t n)
{
	return (unsigned long long)(n >> 20) + !!(n & ((1u << 20) - 1));
}

int vm_memcap_check(const struct vm_hostconf *hc, const char *name, uint64_t running,
		    uint64_t want, char *msg, size_t msglen)
{
	uint64_t cap = hc->max_memory;
	const char *src = hc->max_memory_source ? hc->max_memory_source : "vmain.conf";

	if (!cap)
		return 0;
	/* Written as subtractions so that no sum can wrap. */
	if (want > cap) {
		snprintf(msg, msglen, "starting %s needs %llu MiB, more than the %llu MiB cap (%s)",
			 name, mib_up(want), (unsigned long long)(cap >> 20), src);
		return -ENOSPC;
	}
	if (running > cap - want) {
		snprintf(msg, msglen, "starting %s needs %llu MiB, and the running VMs use "
			 "%llu MiB of the %llu MiB cap (%s)", name, mib_up(want), mib_up(running),
			 (unsigned long long)(cap >> 20), src);
		return -ENOSPC;
	}
	return 0;
}
