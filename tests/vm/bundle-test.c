// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bundle-test.c - where bundles and sockets live (XDG variables, HOME,
 * system paths, the VMAIN_* overrides, the errors), the runtime directory,
 * and bundle create / list / delete: names claimed atomically, only real
 * bundle directories listed, and delete removing links inside a bundle
 * without ever following them, refusing a bundle that is itself a link
 * and a bundle that is running.
 */
#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "tap.h"
#include "util.h"
#include "vm/bundle.h"

static char *scratch;

static void env_clear(void)
{
	unsetenv("VMAIN_VMS_DIR");
	unsetenv("VMAIN_RUNTIME_DIR");
	unsetenv("XDG_DATA_HOME");
	unsetenv("XDG_RUNTIME_DIR");
}

static void test_paths(void)
{
	struct vm_paths p;
	char err[256] = "";
	char *s;
	int ret;

	/* First: GLib reads $HOME once, at its first g_get_home_dir(). */
	env_clear();
	setenv("HOME", "/home/u", 1);
	setenv("XDG_DATA_HOME", "relative/data", 1);
	setenv("XDG_RUNTIME_DIR", "/run/user/1000", 1);
	ret = vm_paths_init(&p, false, err, sizeof(err));
	tap_ok(!ret && !p.system && !strcmp(p.vms_dir, "/home/u/.local/share/vmain/VMs"),
	       "user VMs under $HOME/.local/share (a relative XDG_DATA_HOME is ignored): %s",
	       ret ? err : p.vms_dir);
	tap_ok(!ret && !strcmp(p.runtime_dir, "/run/user/1000/vmain"),
	       "user sockets under $XDG_RUNTIME_DIR/vmain: %s", ret ? err : p.runtime_dir);
	if (!ret) {
		s = vm_bundle_dir(&p, "web");
		tap_ok(s && !strcmp(s, "/home/u/.local/share/vmain/VMs/web.vmain"), "bundle dir %s", s);
		g_free(s);
		s = vm_socket_path(&p, "web");
		tap_ok(s && !strcmp(s, "/run/user/1000/vmain/web.sock"), "socket %s", s);
		g_free(s);
		tap_ok(!vm_bundle_dir(&p, "../etc") && !vm_socket_path(&p, "a/b"),
		       "no path for a bad name (NULL)");
		vm_paths_free(&p);
	}

	setenv("XDG_DATA_HOME", "/xdg/data", 1);
	ret = vm_paths_init(&p, false, err, sizeof(err));
	tap_ok(!ret && !strcmp(p.vms_dir, "/xdg/data/vmain/VMs"), "XDG_DATA_HOME is honoured: %s",
	       ret ? err : p.vms_dir);
	vm_paths_free(&p);

	unsetenv("XDG_RUNTIME_DIR");
	ret = vm_paths_init(&p, false, err, sizeof(err));
	tap_ok(ret == -EINVAL && strstr(err, "XDG_RUNTIME_DIR is not set (") && !p.vms_dir,
	       "no XDG_RUNTIME_DIR: %s", err);
	setenv("XDG_RUNTIME_DIR", "run", 1);
	ret = vm_paths_init(&p, false, err, sizeof(err));
	tap_ok(ret == -EINVAL && strstr(err, "XDG_RUNTIME_DIR is not set to an absolute path"),
	       "a relative XDG_RUNTIME_DIR: %s", err);

	ret = vm_paths_init(&p, true, err, sizeof(err));
	tap_ok(!ret && p.system && !strcmp(p.vms_dir, "/var/lib/vmain/VMs") &&
	       !strcmp(p.runtime_dir, "/run/vmain"),
	       "system: /var/lib/vmain/VMs and /run/vmain, without XDG_RUNTIME_DIR");
	vm_paths_free(&p);

	setenv("VMAIN_VMS_DIR", "/t/vms", 1);
	setenv("VMAIN_RUNTIME_DIR", "/t/run", 1);
	ret = vm_paths_init(&p, true, err, sizeof(err));
	tap_ok(!ret && !strcmp(p.vms_dir, "/t/vms") && !strcmp(p.runtime_dir, "/t/run"),
	       "system: VMAIN_VMS_DIR and VMAIN_RUNTIME_DIR override");
	vm_paths_free(&p);
	ret = vm_paths_init(&p, false, err, sizeof(err));
	tap_ok(!ret && !strcmp(p.vms_dir, "/t/vms") && !strcmp(p.runtime_dir, "/t/run"),
	       "user: VMAIN_VMS_DIR and VMAIN_RUNTIME_DIR override (XDG_RUNTIME_DIR not needed)");
	vm_paths_free(&p);
	setenv("VMAIN_VMS_DIR", "t/vms", 1);
	ret = vm_paths_init(&p, false, err, sizeof(err));
	tap_ok(ret == -EINVAL && strstr(err, "VMAIN_VMS_DIR=t/vms: not an absolute path"),
	       "a relative VMAIN_VMS_DIR: %s", err);
	env_clear();
}

/* Paths for the rest: everything under the scratch directory. */
static void paths_scratch(struct vm_paths *p, bool system)
{
	g_autofree char *vms = g_build_filename(scratch, "data", "VMs", NULL);
	g_autofree char *run = g_build_filename(scratch, "run", "user", "vmain", NULL);
	char err[256];

	setenv("VMAIN_VMS_DIR", vms, 1);
	setenv("VMAIN_RUNTIME_DIR", run, 1);
	if (vm_paths_init(p, system, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		exit(2);
	}
}

static void test_runtime_dir(void)
{
	g_autofree char *file = g_build_filename(scratch, "afile", NULL);
	struct vm_paths p;
	struct stat st;
	int ret;

	paths_scratch(&p, false);
	ret = vm_runtime_dir_make(&p);
	tap_ok(!ret && !stat(p.runtime_dir, &st) && S_ISDIR(st.st_mode) &&
	       (st.st_mode & 07777) == 0700, "runtime dir made with its parents, mode 0700");
	tap_ok(!vm_runtime_dir_make(&p), "made again: fine");
	vm_paths_free(&p);

	write_text(file, "x");
	setenv("VMAIN_RUNTIME_DIR", file, 1);
	vm_paths_init(&p, false, NULL, 0);
	ret = vm_runtime_dir_make(&p);
	tap_ok(ret == -ENOTDIR, "a file in its place: -ENOTDIR (%d)", ret);
	vm_paths_free(&p);

	{
		g_autofree char *sys = g_build_filename(scratch, "sysrun", NULL);
		struct group *g = getgrnam("vmain");

		setenv("VMAIN_RUNTIME_DIR", sys, 1);
		vm_paths_init(&p, true, NULL, 0);
		ret = vm_runtime_dir_make(&p);
		stat(sys, &st);
		if (g)
			tap_ok(!ret && (st.st_mode & 07777) == 0750 && st.st_gid == g->gr_gid,
			       "system runtime dir: 0750, group vmain");
		else
			tap_ok(!ret && (st.st_mode & 07777) == 0700,
			       "system runtime dir without a vmain group: 0700");
		vm_paths_free(&p);
	}
}

static void test_create(void)
{
	g_autofree char *dir = NULL;
	struct vm_config c, back;
	struct vm_paths p;
	char err[256] = "";
	struct stat st;
	int ret;

	paths_scratch(&p, false);
	vm_config_init(&c);
	c.cpus = 3;
	ret = vm_bundle_create(&p, "web", &c, err, sizeof(err));
	tap_ok(!ret, "create web (the VMs directory does not exist yet)");
	if (ret)
		tap_diag("  %s", err);
	dir = vm_bundle_dir(&p, "web");
	tap_ok(!stat(p.vms_dir, &st) && (st.st_mode & 07777) == 0700, "VMs directory: mode 0700");
	tap_ok(!stat(dir, &st) && S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0700,
	       "web.vmain: a directory, mode 0700");
	memset(&back, 0, sizeof(back));
	ret = vm_config_load(dir, &back, err, sizeof(err));
	tap_ok(!ret && !memcmp(back.uuid, c.uuid, 16) && back.cpus == 3,
	       "its config.ini loads with the same UUID");
	if (!ret)
		vm_config_free(&back);
	ret = vm_bundle_create(&p, "web", &c, err, sizeof(err));
	tap_ok(ret == -EEXIST && !strcmp(err, "web already exists"), "create web again: %s", err);
	ret = vm_bundle_create(&p, ".web", &c, err, sizeof(err));
	tap_ok(ret == -EINVAL && strstr(err, "may not start with '.'"), "create .web: %s", err);
	ret = vm_bundle_create(&p, "a/b", &c, err, sizeof(err));
	tap_ok(ret == -EINVAL && strstr(err, "may not contain '/'"), "create a/b: %s", err);
	vm_paths_free(&p);

	/* The VMs directory is a file: nothing to create in. */
	{
		g_autofree char *f = g_build_filename(scratch, "afile", NULL);

		setenv("VMAIN_VMS_DIR", f, 1);
		vm_paths_init(&p, false, NULL, 0);
		ret = vm_bundle_create(&p, "x", &c, err, sizeof(err));
		tap_ok(ret == -ENOTDIR && strstr(err, "afile"), "VMs directory is a file: %s", err);
		vm_paths_free(&p);
	}
	vm_config_free(&c);
}

static void test_list(void)
{
	static const char *const not_bundles[] = {
		".hidden.vmain", "bad name.vmain", ".vmain", "plain", "-x.vmain",
	};
	g_autofree char *outside = g_build_filename(scratch, "outside", NULL);
	g_auto(GStrv) names = NULL;
	struct vm_config c;
	struct vm_paths p;
	unsigned int i;
	int n;

	paths_scratch(&p, false);
	vm_config_init(&c);
	vm_bundle_create(&p, "db", &c, NULL, 0);
	vm_bundle_create(&p, "app", &c, NULL, 0);
	vm_bundle_create(&p, "Zeta", &c, NULL, 0);
	for (i = 0; i < sizeof(not_bundles) / sizeof(not_bundles[0]); i++) {
		g_autofree char *d = g_build_filename(p.vms_dir, not_bundles[i], NULL);

		mkdir(d, 0700);
	}
	{
		g_autofree char *f = g_build_filename(p.vms_dir, "notes.vmain", NULL);
		g_autofree char *l = g_build_filename(p.vms_dir, "link.vmain", NULL);

		write_text(f, "x");
		mkdir(outside, 0700);
		if (symlink(outside, l))
			tap_diag("symlink: %s", strerror(errno));
	}
	n = vm_bundle_list(&p, &names);
	tap_ok(n == 4 && names && !strcmp(names[0], "Zeta") && !strcmp(names[1], "app") &&
	       !strcmp(names[2], "db") && !strcmp(names[3], "web") && !names[4],
	       "list: Zeta app db web, sorted; no files, links, hidden or badly named entries");
	if (n >= 0)
		for (i = 0; names[i]; i++)
			tap_diag("  %s", names[i]);
	vm_paths_free(&p);
	g_strfreev(g_steal_pointer(&names));

	setenv("VMAIN_VMS_DIR", "/nonexistent/vmain-test/VMs", 1);
	vm_paths_init(&p, false, NULL, 0);
	n = vm_bundle_list(&p, &names);
	tap_ok(n == 0 && names && !names[0], "list without a VMs directory: none");
	vm_paths_free(&p);
	vm_config_free(&c);
}

static void test_delete(void)
{
	g_autofree char *outside = g_build_filename(scratch, "outside", NULL);
	g_autofree char *keep = g_build_filename(outside, "keep.txt", NULL);
	g_autofree char *keepdir = g_build_filename(outside, "sub", NULL);
	g_autofree char *keep2 = g_build_filename(keepdir, "keep2.txt", NULL);
	g_autofree char *dir = NULL, *deep = NULL, *evil = NULL;
	struct vm_paths p;
	char err[256] = "";
	struct stat st;
	int ret;

	paths_scratch(&p, false);
	dir = vm_bundle_dir(&p, "db");
	mkdir(keepdir, 0700);
	write_text(keep, "precious");
	write_text(keep2, "precious too");
	{
		g_autofree char *a = g_build_filename(dir, "snap", "a", "b", NULL);
		g_autofree char *f = g_build_filename(a, "img", NULL);
		g_autofree char *l1 = g_build_filename(dir, "escape", NULL);
		g_autofree char *l2 = g_build_filename(dir, "snap", "a", "escape-dir", NULL);
		g_autofree char *l3 = g_build_filename(dir, "escape-file", NULL);
		g_autofree char *l4 = g_build_filename(dir, "dangling", NULL);

		g_mkdir_with_parents(a, 0700);
		write_text(f, "data");
		if (symlink(outside, l1) || symlink(keepdir, l2) || symlink(keep, l3) ||
		    symlink("/nonexistent/x", l4))
			tap_diag("symlink: %s", strerror(errno));
	}
	ret = vm_bundle_delete(&p, "db", err, sizeof(err));
	tap_ok(!ret, "delete db (nested directories, links to the outside, a dangling link)");
	if (ret)
		tap_diag("  %s", err);
	tap_ok(stat(dir, &st) && errno == ENOENT, "db.vmain is gone");
	{
		g_autofree char *a = read_text(keep), *b = read_text(keep2);

		tap_ok(a && !strcmp(a, "precious") && b && !strcmp(b, "precious too") &&
		       !stat(keepdir, &st), "what the links pointed to is untouched");
	}

	ret = vm_bundle_delete(&p, "nope", err, sizeof(err));
	tap_ok(ret == -ENOENT && !strcmp(err, "there is no VM named nope"), "delete nope: %s", err);
	ret = vm_bundle_delete(&p, "..", err, sizeof(err));
	tap_ok(ret == -EINVAL && strstr(err, "may not start with '.'"), "delete ..: %s", err);

	/* A bundle that is itself a link: refused, the target stays. */
	evil = g_build_filename(p.vms_dir, "evil.vmain", NULL);
	if (symlink(outside, evil))
		tap_diag("symlink: %s", strerror(errno));
	ret = vm_bundle_delete(&p, "evil", err, sizeof(err));
	tap_ok((ret == -ELOOP || ret == -ENOTDIR) && strstr(err, "not a bundle directory") &&
	       !lstat(evil, &st) && S_ISLNK(st.st_mode) && !stat(keep, &st),
	       "delete of a link named evil.vmain: refused, nothing removed: %s", err);

	/* A tree deeper than delete goes: refused with a reason. */
	{
		g_autofree char *deepdir = vm_bundle_dir(&p, "deep");
		GString *s = g_string_new(deepdir);
		unsigned int i;

		for (i = 0; i < 70; i++)
			g_string_append(s, "/d");
		g_mkdir_with_parents(s->str, 0700);
		deep = g_string_free(s, false);
		ret = vm_bundle_delete(&p, "deep", err, sizeof(err));
		tap_ok(ret == -ELOOP && strstr(err, "nested more than 64 levels deep"),
		       "70 levels deep: %s", err);
	}
	vm_paths_free(&p);
}

/* Delete refuses a bundle whose lock another process holds, naming it. */
static void test_delete_running(void)
{
	g_autofree char *dir = NULL, *cfg = NULL;
	int pipefd[2], lockfd, ret;
	struct vm_config c;
	struct vm_paths p;
	char err[256] = "", want[64], byte;
	pid_t pid, holder;

	paths_scratch(&p, false);
	vm_config_init(&c);
	vm_bundle_create(&p, "busy", &c, NULL, 0);
	dir = vm_bundle_dir(&p, "busy");
	cfg = g_build_filename(dir, "config.ini", NULL);
	if (pipe(pipefd))
		exit(2);
	pid = fork();
	if (!pid) {
		close(pipefd[0]);
		if (vm_bundle_lock(dir, &lockfd, &holder))
			_exit(1);
		if (write(pipefd[1], "L", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(pipefd[1]);
	ret = read(pipefd[0], &byte, 1) == 1 ? 0 : -1;
	snprintf(want, sizeof(want), "busy is running (pid %d)", (int)pid);
	if (!ret)
		ret = vm_bundle_delete(&p, "busy", err, sizeof(err));
	tap_ok(ret == -EBUSY && !strcmp(err, want) && !access(cfg, F_OK),
	       "delete of a running VM: refused, nothing removed: %s", err);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(pipefd[0]);
	ret = vm_bundle_delete(&p, "busy", err, sizeof(err));
	tap_ok(!ret && access(dir, F_OK), "after its holder is killed: deleted");
	vm_config_free(&c);
	vm_paths_free(&p);
}

int main(void)
{
	scratch = scratch_dir("bundle");
	test_paths();
	test_runtime_dir();
	test_create();
	test_list();
	test_delete();
	test_delete_running();
	scratch_rm(scratch);
	g_free(scratch);
	return tap_done();
}
