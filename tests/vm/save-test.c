// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * save-test.c - vm_config_save(): mode 0600 whatever the umask or the old
 * file's mode, no temporary file left, nothing written (same inode, same
 * mtimes of the file and the directory) when nothing changed, a new inode
 * (rename) when something did, errors that clean up, and a writer killed
 * with SIGKILL at random points never leaves a torn config.ini.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "tap.h"
#include "util.h"
#include "vm/config.h"

#define TEMP_PREFIX	".config.ini."

static char *bundle, *config_path;

static void set_old_mtime(const char *path)
{
	struct timespec ts[2] = { { 1000000000, 0 }, { 1000000000, 0 } };

	utimensat(AT_FDCWD, path, ts, 0);
}

static void test_first_save(void)
{
	g_autofree char *text = NULL, *want = NULL;
	struct vm_config c;
	char err[256] = "";
	struct stat st;
	int ret;

	umask(0);	/* the mode must not depend on it */
	vm_config_init(&c);
	ret = vm_config_save(bundle, &c, err, sizeof(err));
	tap_ok(!ret, "first save");
	if (ret)
		tap_diag("  %s", err);
	memset(&st, 0, sizeof(st));
	ret = stat(config_path, &st);
	tap_ok(!ret && (st.st_mode & 07777) == 0600,
	       "config.ini has mode 0600 under umask 0 (%o)", st.st_mode & 07777);
	text = read_text(config_path);
	want = vm_config_to_ini(&c);
	tap_ok(text && !strcmp(text, want), "it holds vm_config_to_ini()'s text");
	tap_ok(count_prefix(bundle, TEMP_PREFIX) == 0, "no temporary file is left");
	umask(022);
	vm_config_free(&c);
}

static void test_no_rewrite(void)
{
	struct stat before, dbefore, after, dafter;
	struct vm_config c;
	char err[256] = "";
	int ret;

	vm_config_init(&c);
	ret = vm_config_save(bundle, &c, err, sizeof(err));
	set_old_mtime(config_path);
	set_old_mtime(bundle);
	stat(config_path, &before);
	stat(bundle, &dbefore);
	ret |= vm_config_save(bundle, &c, err, sizeof(err));
	stat(config_path, &after);
	stat(bundle, &dafter);
	tap_ok(!ret, "saving the same config twice");
	tap_ok(after.st_ino == before.st_ino && after.st_mtim.tv_sec == 1000000000,
	       "unchanged: same inode, file mtime untouched");
	tap_ok(dafter.st_mtim.tv_sec == 1000000000 && dafter.st_mtim.tv_nsec == 0,
	       "unchanged: no temporary file was even created (directory mtime untouched)");

	c.cpus = 2;
	ret = vm_config_save(bundle, &c, err, sizeof(err));
	stat(config_path, &after);
	tap_ok(!ret && after.st_ino != before.st_ino && after.st_mtim.tv_sec > 1000000000,
	       "changed: a new inode renamed into place, a new mtime");
	{
		g_autofree char *text = read_text(config_path);

		tap_ok(text && strstr(text, "\ncpus=2\n"), "changed: the new value is in the file");
	}
	tap_ok(count_prefix(bundle, TEMP_PREFIX) == 0, "changed: no temporary file is left");

	/* A hand-edited file with the right text but mode 0644 is left as it is. */
	chmod(config_path, 0644);
	stat(config_path, &before);
	ret = vm_config_save(bundle, &c, err, sizeof(err));
	stat(config_path, &after);
	tap_ok(!ret && after.st_ino == before.st_ino, "same text, other mode: not rewritten");
	/* A hand-edited file with other text is replaced by a 0600 one. */
	write_text(config_path, "# edited\n");
	chmod(config_path, 0644);
	ret = vm_config_save(bundle, &c, err, sizeof(err));
	stat(config_path, &after);
	tap_ok(!ret && (after.st_mode & 07777) == 0600, "other text, mode 0644: rewritten as 0600");
	vm_config_free(&c);
}

static void test_errors(void)
{
	g_autofree char *missing = g_build_filename(bundle, "nope", NULL);
	g_autofree char *inner = g_build_filename(config_path, "x", NULL);
	struct vm_config c;
	char err[256] = "";
	int ret;

	vm_config_init(&c);
	ret = vm_config_save(missing, &c, err, sizeof(err));
	tap_ok(ret == -ENOENT && strstr(err, "nope/config.ini: creating a temporary file"),
	       "no bundle directory: %s", err);

	/* What load would refuse is not written; the file stays as it was. */
	{
		g_autofree char *before = NULL, *after = NULL;

		vm_config_save(bundle, &c, err, sizeof(err));
		before = read_text(config_path);
		g_free(c.append);
		c.append = g_strdup("quiet");
		ret = vm_config_save(bundle, &c, err, sizeof(err));
		after = read_text(config_path);
		tap_ok(ret == -EINVAL && strstr(err, "config.ini (not saved):") &&
		       strstr(err, "[boot] append: a command line needs a kernel=") &&
		       before && after && !strcmp(before, after),
		       "append without a kernel: not saved: %s", err + strlen(bundle) + 1);
		g_free(c.append);
		c.append = g_strdup("");
		c.cpus = 0;
		ret = vm_config_save(bundle, &c, err, sizeof(err));
		tap_ok(ret == -EINVAL && strstr(err, "[vm] cpus: '0': a whole number"),
		       "cpus 0: not saved: %s", err + strlen(bundle) + 1);
		c.cpus = 1;
		c.memory = (64ull << 20) + 512;
		ret = vm_config_save(bundle, &c, err, sizeof(err));
		tap_ok(ret == -EINVAL && strstr(err, "[vm] memory:"),
		       "memory not a multiple of 4K: not saved: %s", err + strlen(bundle) + 1);
		c.memory = 64ull << 20;
		tap_ok(count_prefix(bundle, TEMP_PREFIX) == 0, "refused saves leave no temporary file");
	}

	/* rename(2) onto a non-empty directory fails: the temporary file must go. */
	unlink(config_path);
	mkdir(config_path, 0700);
	write_text(inner, "x");
	ret = vm_config_save(bundle, &c, err, sizeof(err));
	tap_ok(ret < 0 && strstr(err, "renaming the temporary file"), "rename fails: %s", err);
	tap_ok(count_prefix(bundle, TEMP_PREFIX) == 0, "rename fails: the temporary file is removed");
	unlink(inner);
	rmdir(config_path);
	vm_config_free(&c);
}

/* A child saves two configs in turn; SIGKILL at random times; what is there always loads whole. */
static void test_kill_during_save(void)
{
	g_autofree char *ta = NULL, *tb = NULL;
	struct vm_config a, b;
	unsigned int i, whole = 0, cycles = 60, seen_a = 0, seen_b = 0;
	char err[256] = "";

	vm_config_init(&a);
	vm_config_init(&b);
	b.cpus = 8;
	g_free(b.append);
	b.append = g_strnfill(3000, 'x');	/* a larger file: more than one write's worth of time */
	b.kernel = g_strdup("/k");
	ta = vm_config_to_ini(&a);
	tb = vm_config_to_ini(&b);
	vm_config_save(bundle, &a, err, sizeof(err));
	srand(12345);
	for (i = 0; i < cycles; i++) {
		struct timespec ts = { 0, (rand() % 40000) * 1000 };	/* fsyncs take ms */
		g_autofree char *text = NULL;
		struct vm_config back = { 0 };
		pid_t pid = fork();

		if (!pid) {
			for (;;) {
				vm_config_save(bundle, &b, NULL, 0);
				vm_config_save(bundle, &a, NULL, 0);
			}
		}
		nanosleep(&ts, NULL);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		text = read_text(config_path);
		if (text && (!strcmp(text, ta) || !strcmp(text, tb)) &&
		    !vm_config_load(bundle, &back, err, sizeof(err))) {
			whole++;
			seen_a += !strcmp(text, ta);
			seen_b += !strcmp(text, tb);
			vm_config_free(&back);
		}
	}
	tap_ok(whole == cycles, "%u of %u SIGKILLed writers left a whole config.ini "
	       "(%u the first text, %u the second)", whole, cycles, seen_a, seen_b);
	tap_diag("temporary files left by the killed writers: %d (removed with the bundle)",
		 count_prefix(bundle, TEMP_PREFIX));
	vm_config_free(&a);
	vm_config_free(&b);
}

int main(void)
{
	char *scratch = scratch_dir("save");

	bundle = g_build_filename(scratch, "web.vmain", NULL);
	config_path = g_build_filename(bundle, "config.ini", NULL);
	mkdir(bundle, 0700);
	test_first_save();
	test_no_rewrite();
	test_errors();
	test_kill_during_save();
	scratch_rm(scratch);
	g_free(scratch);
	g_free(bundle);
	g_free(config_path);
	return tap_done();
}
