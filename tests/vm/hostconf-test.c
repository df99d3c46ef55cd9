// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hostconf-test.c - vmain.conf: no files, the system file, the user file
 * (the lower cap wins; system VMs read only the system file), every error
 * with its file and line; and vm_memcap_check()'s arithmetic: the exact
 * fit, one page over, want alone over the cap, sums that would wrap.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

#include "tap.h"
#include "util.h"
#include "vm/hostconf.h"

#define MiB	(1ull << 20)
#define GiB	(1ull << 30)

static char *sysdir, *userdir, *sys_conf, *user_conf;

static void reset(void)
{
	unlink(sys_conf);
	unlink(user_conf);
}

static void test_load(void)
{
	struct vm_hostconf hc;
	char err[256] = "";
	int ret;

	reset();
	ret = vm_hostconf_load(&hc, false, err, sizeof(err));
	tap_ok(!ret && hc.max_memory == 0 && !hc.max_memory_source, "no files: no cap");
	vm_hostconf_free(&hc);

	write_text(sys_conf, "# host limits\n[host]\nmax_memory = 12G\n");
	ret = vm_hostconf_load(&hc, false, err, sizeof(err));
	tap_ok(!ret && hc.max_memory == 12 * GiB && hc.max_memory_source &&
	       !strcmp(hc.max_memory_source, sys_conf), "system file: 12G, from %s",
	       hc.max_memory_source);
	vm_hostconf_free(&hc);

	write_text(user_conf, "[host]\nmax_memory=8192\n");
	ret = vm_hostconf_load(&hc, false, err, sizeof(err));
	tap_ok(!ret && hc.max_memory == 8 * GiB && hc.max_memory_source &&
	       !strcmp(hc.max_memory_source, user_conf),
	       "user file lower (8192 = MiB): it wins, named as the source");
	vm_hostconf_free(&hc);
	ret = vm_hostconf_load(&hc, true, err, sizeof(err));
	tap_ok(!ret && hc.max_memory == 12 * GiB && !strcmp(hc.max_memory_source, sys_conf),
	       "system VMs: the user file is not read");
	vm_hostconf_free(&hc);

	write_text(user_conf, "[host]\nmax_memory=16G\n");
	ret = vm_hostconf_load(&hc, false, err, sizeof(err));
	tap_ok(!ret && hc.max_memory == 12 * GiB && !strcmp(hc.max_memory_source, sys_conf),
	       "user file higher: the system cap stays");
	vm_hostconf_free(&hc);

	unlink(sys_conf);
	ret = vm_hostconf_load(&hc, false, err, sizeof(err));
	tap_ok(!ret && hc.max_memory == 16 * GiB && !strcmp(hc.max_memory_source, user_conf),
	       "only a user file: its cap");
	vm_hostconf_free(&hc);

	write_text(user_conf, "# nothing set\n[host]\n");
	ret = vm_hostconf_load(&hc, false, err, sizeof(err));
	tap_ok(!ret && hc.max_memory == 0, "an empty [host]: no cap");
	vm_hostconf_free(&hc);
	write_text(user_conf, "");
	ret = vm_hostconf_load(&hc, false, err, sizeof(err));
	tap_ok(!ret && hc.max_memory == 0, "an empty file: no cap");
	vm_hostconf_free(&hc);
}

struct bad {
	bool user;
	const char *text;
	unsigned int line;
	const char *want;
};

static const struct bad bad_files[] = {
	{ false, "[host]\nmax_memory=lots\n", 2, "[host] max_memory: 'lots': not a size" },
	{ false, "[host]\nmax_memory=0\n", 2, "[host] max_memory: '0': must not be zero" },
	{ false, "[host]\nmax_memory=20000000T\n", 2, "[host] max_memory: '20000000T': too large" },
	{ false, "[host]\nmax_cpus=4\n", 2, "[host] max_cpus: unknown key (known: max_memory)" },
	{ false, "[limits]\nmax_memory=1G\n", 1, "[limits]: unknown group (known: host)" },
	{ false, "[host]\nmax_memory=1G\nmax_memory=2G\n", 3, "[host] max_memory: set twice (first at line 2)" },
	{ false, "max_memory=1G\n", 1, "max_memory: a key before the first [group]" },
	{ true, "[host]\n\n# c\nmax_memory=12Q\n", 4, "[host] max_memory: '12Q': unknown unit" },
};

static void test_bad(void)
{
	unsigned int i;

	for (i = 0; i < sizeof(bad_files) / sizeof(bad_files[0]); i++) {
		const struct bad *b = &bad_files[i];
		const char *path = b->user ? user_conf : sys_conf;
		g_autofree char *prefix = g_strdup_printf("%s:%u: ", path, b->line);
		struct vm_hostconf hc;
		char err[256] = "";
		int ret;

		reset();
		write_text(path, b->text);
		ret = vm_hostconf_load(&hc, false, err, sizeof(err));
		tap_ok(ret == -EINVAL && g_str_has_prefix(err, prefix) && strstr(err, b->want) &&
		       !hc.max_memory && !hc.max_memory_source,
		       "%s file refused: %s", b->user ? "user" : "system", err);
		if (ret != -EINVAL || !g_str_has_prefix(err, prefix) || !strstr(err, b->want))
			tap_diag("  got %d, wanted \"%s%s\"", ret, prefix, b->want);
	}
	/* A good system file, a bad user file: an error, and nothing half-set. */
	reset();
	write_text(sys_conf, "[host]\nmax_memory=4G\n");
	write_text(user_conf, "[host]\nbogus=1\n");
	{
		struct vm_hostconf hc;
		char err[256] = "";
		int ret = vm_hostconf_load(&hc, false, err, sizeof(err));

		tap_ok(ret == -EINVAL && !hc.max_memory && !hc.max_memory_source &&
		       strstr(err, user_conf), "good system file, bad user file: error, no cap left set");
	}
	/* An unreadable one (a directory) is an error, not "no cap". */
	reset();
	mkdir(sys_conf, 0700);
	{
		struct vm_hostconf hc;
		char err[256] = "";
		int ret = vm_hostconf_load(&hc, false, err, sizeof(err));

		tap_ok(ret == -EINVAL && strstr(err, "not a regular file"),
		       "vmain.conf a directory: %s", err);
	}
	rmdir(sys_conf);
}

static void test_memcap(void)
{
	struct vm_hostconf hc = { .max_memory = 12 * GiB, .max_memory_source = (char *)"/etc/vmain/vmain.conf" };
	struct vm_hostconf none = { 0 };
	char msg[256] = "";
	int ret;

	tap_ok(!vm_memcap_check(&none, "web", UINT64_MAX, UINT64_MAX, msg, sizeof(msg)),
	       "no cap: anything goes");
	tap_ok(!vm_memcap_check(&hc, "web", 10 * GiB, 2 * GiB, msg, sizeof(msg)),
	       "10 GiB running + 2 GiB = the 12 GiB cap exactly: fine");
	tap_ok(!vm_memcap_check(&hc, "web", 0, 12 * GiB, msg, sizeof(msg)),
	       "nothing running, a 12 GiB VM: fine");
	ret = vm_memcap_check(&hc, "web", 11 * GiB, 2 * GiB, msg, sizeof(msg));
	tap_ok(ret == -ENOSPC && !strcmp(msg, "starting web needs 2048 MiB, and the running VMs "
					 "use 11264 MiB of the 12288 MiB cap (/etc/vmain/vmain.conf)"),
	       "11 GiB running + 2 GiB: %s", msg);
	ret = vm_memcap_check(&hc, "web", 10 * GiB + 4096, 2 * GiB, msg, sizeof(msg));
	tap_ok(ret == -ENOSPC && strstr(msg, "use 10241 MiB"),
	       "one page over: refused, the running total rounded up: %s", msg);
	ret = vm_memcap_check(&hc, "big", 0, 16 * GiB, msg, sizeof(msg));
	tap_ok(ret == -ENOSPC && !strcmp(msg, "starting big needs 16384 MiB, more than the "
					 "12288 MiB cap (/etc/vmain/vmain.conf)"),
	       "a VM larger than the cap: %s", msg);
	/* Sums that wrap must not pass: UINT64_MAX + 2 GiB would be < 12 GiB. */
	ret = vm_memcap_check(&hc, "web", UINT64_MAX, 2 * GiB, msg, sizeof(msg));
	tap_ok(ret == -ENOSPC, "running = 2^64 - 1 (a sum that wraps): refused");
	ret = vm_memcap_check(&hc, "web", 2 * GiB, UINT64_MAX - GiB, msg, sizeof(msg));
	tap_ok(ret == -ENOSPC, "want = 2^64 - 1 GiB (a sum that wraps): refused");
	ret = vm_memcap_check(&hc, "web", UINT64_MAX - 4 * GiB, UINT64_MAX - 4 * GiB, msg, sizeof(msg));
	tap_ok(ret == -ENOSPC, "both huge: refused");
	hc.max_memory = UINT64_MAX;
	tap_ok(!vm_memcap_check(&hc, "web", UINT64_MAX - MiB, MiB, msg, sizeof(msg)),
	       "cap 2^64 - 1, the sum exactly at it: fine");
	tap_ok(vm_memcap_check(&hc, "web", UINT64_MAX - MiB, MiB + 1, msg, sizeof(msg)) == -ENOSPC,
	       "cap 2^64 - 1, one byte over: refused");
	hc.max_memory_source = NULL;
	ret = vm_memcap_check(&hc, "web", UINT64_MAX, 1, msg, sizeof(msg));
	tap_ok(ret == -ENOSPC && strstr(msg, "(vmain.conf)"), "no source recorded: %s", msg);
}

int main(void)
{
	char *scratch = scratch_dir("hostconf");

	sysdir = g_build_filename(scratch, "etc", "vmain", NULL);
	userdir = g_build_filename(scratch, "home", ".config", "vmain", NULL);
	sys_conf = g_build_filename(sysdir, "vmain.conf", NULL);
	user_conf = g_build_filename(userdir, "vmain.conf", NULL);
	g_mkdir_with_parents(sysdir, 0700);
	g_mkdir_with_parents(userdir, 0700);
	{
		g_autofree char *cfg = g_build_filename(scratch, "home", ".config", NULL);

		setenv("VMAIN_SYSCONFDIR", sysdir, 1);
		setenv("XDG_CONFIG_HOME", cfg, 1);
	}
	test_load();
	test_bad();
	test_memcap();
	scratch_rm(scratch);
	g_free(scratch);
	g_free(sysdir);
	g_free(userdir);
	g_free(sys_conf);
	g_free(user_conf);
	return tap_done();
}
