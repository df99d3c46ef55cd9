// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * config-test.c - config.ini: a full round trip (every field, disks with
 * their options, commas and escapes), a hand-written file (comments,
 * blanks, CRLF, relative paths), vm_config_add_disk()'s paths and
 * refusals, and every error of vm_config_load() with its line number.
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "tap.h"
#include "util.h"
#include "vm/config.h"

#define U	"uuid=6f1c1d2e-8a4b-4c3d-9e8f-0a1b2c3d4e5f\n"

static char *bundle;		/* scratch/web.vmain */
static char *config_path;	/* bundle/config.ini */

static bool str_eq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static bool configs_equal(const struct vm_config *a, const struct vm_config *b)
{
	unsigned int i;

	if (memcmp(a->uuid, b->uuid, 16) || a->memory != b->memory || a->cpus != b->cpus ||
	    !str_eq(a->accel, b->accel) || !str_eq(a->kernel, b->kernel) ||
	    !str_eq(a->initrd, b->initrd) || !str_eq(a->append, b->append) ||
	    a->nr_disks != b->nr_disks || !str_eq(a->serial, b->serial) ||
	    a->autostart != b->autostart || a->stop_action != b->stop_action ||
	    a->stop_timeout != b->stop_timeout || a->pvclock != b->pvclock ||
	    a->io_threads != b->io_threads)
		return false;
	for (i = 0; i < a->nr_disks; i++) {
		const struct vm_disk_config *x = &a->disks[i], *y = &b->disks[i];

		if (!str_eq(x->file, y->file) || !str_eq(x->path, y->path) ||
		    !str_eq(x->spec, y->spec)) {
			tap_diag("  disk%u: %s|%s|%s vs %s|%s|%s", i, x->file, x->path, x->spec,
				 y->file, y->path, y->spec);
			return false;
		}
	}
	return true;
}

static void test_round_trip(void)
{
	g_autofree char *inside = g_strdup_printf("%s/sub/../data.img,cache=none", bundle);
	g_autofree char *want0 = g_strdup_printf("%s/disk0.qcow2,format=qcow2,cache=writethrough,"
						 "serial=abc,,def,max-dirty=128M,max-age=250", bundle);
	g_autofree char *serial = g_strdup_printf("%s/serial.log", bundle);
	g_autofree char *t1 = NULL, *t2 = NULL;
	struct vm_config c, back;
	char err[256] = "";
	int ret;

	vm_config_init(&c);
	c.memory = 2ull << 30;
	c.cpus = 4;
	g_free(c.accel);
	c.accel = g_strdup("kvm");
	c.kernel = g_strdup("/boot/vmlinuz");
	c.initrd = g_strdup("/boot/initrd.img");
	g_free(c.append);
	c.append = g_strdup("  console=ttyS0 root=/dev/vda rw\tquiet\\ \"x\"");
	g_free(c.serial);
	c.serial = g_strdup(serial);
	c.autostart = true;
	c.stop_action = VM_STOP_KILL;
	c.stop_timeout = 90;
	c.pvclock = false;
	c.io_threads = 8;

	ret = vm_config_add_disk(&c, bundle, "disk0.qcow2,format=qcow2,cache=writethrough,"
				 "serial=abc,,def,max-dirty=128M,max-age=250", err, sizeof(err));
	tap_ok(!ret && c.nr_disks == 1, "add_disk: a relative qcow2 with every option");
	if (ret)
		tap_diag("  %s", err);
	tap_ok(c.nr_disks == 1 && !strcmp(c.disks[0].file, "disk0.qcow2"),
	       "add_disk: a relative file stays relative to the bundle");
	tap_ok(c.nr_disks == 1 && g_str_has_prefix(c.disks[0].path, bundle) &&
	       !strcmp(c.disks[0].path + strlen(bundle), "/disk0.qcow2"),
	       "add_disk: its path is resolved in the bundle");
	tap_ok(c.nr_disks == 1 && !strcmp(c.disks[0].spec, want0), "add_disk: spec %s",
	       c.nr_disks ? c.disks[0].spec : "-");
	ret = vm_config_add_disk(&c, bundle, "/tmp/x,,y.img,readonly=on,format=raw", err, sizeof(err));
	tap_ok(!ret && c.nr_disks == 2 && !strcmp(c.disks[1].file, "/tmp/x,y.img") &&
	       !strcmp(c.disks[1].spec, "/tmp/x,,y.img,format=raw,readonly=on"),
	       "add_disk: an absolute file with a comma; spec %s", c.nr_disks > 1 ? c.disks[1].spec : "-");
	ret = vm_config_add_disk(&c, bundle, inside, err, sizeof(err));
	tap_ok(!ret && c.nr_disks == 3 && !strcmp(c.disks[2].file, "data.img"),
	       "add_disk: an absolute file inside the bundle is stored relative: %s",
	       c.nr_disks > 2 ? c.disks[2].file : "-");

	ret = vm_config_save(bundle, &c, err, sizeof(err));
	tap_ok(!ret, "save");
	if (ret)
		tap_diag("  %s", err);
	vm_config_init(&back);
	ret = vm_config_load(bundle, &back, err, sizeof(err));
	tap_ok(!ret, "load what was saved (into an initialized config: freed first)");
	if (ret)
		tap_diag("  %s", err);
	tap_ok(!ret && configs_equal(&c, &back), "every field comes back the same");
	t1 = vm_config_to_ini(&c);
	t2 = vm_config_to_ini(&back);
	tap_ok(!strcmp(t1, t2), "the text of the loaded config is the text saved");
	tap_ok(strstr(t1, "memory=2G\n") && strstr(t1, "stop-action=kill\n") &&
	       strstr(t1, "append=\\s\\sconsole=ttyS0") && strstr(t1, "[disk2]\nfile=data.img\ncache=none\n"),
	       "the text: sizes with units, words, leading blanks escaped, defaults left out");
	if (!strstr(t1, "memory=2G\n"))
		tap_diag("%s", t1);
	vm_config_free(&back);

	/* Odd sizes: 4 KiB granularity is kept exactly. */
	c.memory = (1ull << 30) + 4096;
	ret = vm_config_save(bundle, &c, err, sizeof(err));
	memset(&back, 0, sizeof(back));
	ret = ret ?: vm_config_load(bundle, &back, err, sizeof(err));
	tap_ok(!ret && back.memory == c.memory, "memory of 1 GiB + 4 KiB round-trips (%llu)",
	       (unsigned long long)back.memory);
	vm_config_free(&back);
	c.memory = 1ull << 40;
	ret = vm_config_save(bundle, &c, err, sizeof(err));
	memset(&back, 0, sizeof(back));
	ret = ret ?: vm_config_load(bundle, &back, err, sizeof(err));
	tap_ok(!ret && back.memory == 1ull << 40, "memory of 1 TiB round-trips");
	vm_config_free(&back);
	vm_config_free(&c);
}

static void test_add_disk_refused(void)
{
	struct vm_config c;
	char err[256] = "";
	unsigned int i;
	int ret;

	vm_config_init(&c);
	ret = vm_config_add_disk(&c, bundle, "", err, sizeof(err));
	tap_ok(ret == -EINVAL && strstr(err, "no image file"), "add_disk '': %s", err);
	ret = vm_config_add_disk(&c, bundle, "a.img,format=vmdk", err, sizeof(err));
	tap_ok(ret == -EINVAL && strstr(err, "format=vmdk"), "add_disk format=vmdk: %s", err);
	ret = vm_config_add_disk(&c, bundle, "a.img,size=1G", err, sizeof(err));
	tap_ok(ret == -EINVAL && strstr(err, "unknown option 'size'"), "add_disk size=1G: %s", err);
	ret = vm_config_add_disk(&c, bundle, "a.img", err, sizeof(err));
	tap_ok(!ret, "add_disk a.img");
	ret = vm_config_add_disk(&c, bundle, "./x/../a.img,readonly=on", err, sizeof(err));
	tap_ok(ret == -EINVAL && strstr(err, "already disk0"), "the same file again: %s", err);
	ret = 0;
	for (i = 1; i < VM_MAX_DISKS; i++) {
		char spec[32];

		snprintf(spec, sizeof(spec), "d%u.img", i);
		ret |= vm_config_add_disk(&c, bundle, spec, err, sizeof(err));
	}
	tap_ok(!ret && c.nr_disks == VM_MAX_DISKS, "16 disks");
	ret = vm_config_add_disk(&c, bundle, "d99.img", err, sizeof(err));
	tap_ok(ret == -EINVAL && strstr(err, "at most 16 disks") && c.nr_disks == 16,
	       "a 17th: %s", err);
	vm_config_free(&c);
}

static void test_hand_written(void)
{
	g_autofree char *kernel = g_build_filename(bundle, "..", "kernels", "bzImage", NULL);
	g_autofree char *want_kernel = g_canonicalize_filename(kernel, NULL);
	g_autofree char *want_serial = g_strdup_printf("%s/serial.log", bundle);
	g_autofree char *want_disk1 = g_strdup_printf("%s/b.img", bundle);
	struct vm_config c;
	char err[256] = "";
	int ret;

	write_text(config_path,
		   "# my VM\r\n"
		   "\n"
		   "  [vm]  \r\n"
		   "\tuuid = 6F1C1D2E-8A4B-4C3D-9E8F-0A1B2C3D4E5F\r\n"
		   "memory=1536\n"
		   "   # indented comment\n"
		   "cpus=  2\n"
		   "serial=serial.log\n"
		   "[boot]\n"
		   "kernel=../kernels/bzImage\n"
		   "append=console=ttyS0 \n"
		   "[disk1]\n"
		   "file=b.img\n"
		   "readonly=false\n"
		   "[disk0]\n"
		   "file=/dev/vg/root\n"
		   "cache=none\n");
	memset(&c, 0, sizeof(c));
	ret = vm_config_load(bundle, &c, err, sizeof(err));
	tap_ok(!ret, "a hand-written file with comments, blanks, CRLF and spaces loads");
	if (ret) {
		tap_diag("  %s", err);
		return;
	}
	tap_ok(c.uuid[0] == 0x6f && c.uuid[15] == 0x5f, "an upper-case uuid");
	tap_ok(c.memory == 1536ull << 20, "memory=1536 is MiB");
	tap_ok(c.cpus == 2, "cpus=  2 (blanks after '=' dropped)");
	tap_ok(!strcmp(c.serial, want_serial), "serial relative to the bundle: %s", c.serial);
	tap_ok(!strcmp(c.kernel, want_kernel), "kernel relative to the bundle: %s", c.kernel);
	tap_ok(!c.initrd, "no initrd");
	tap_ok(!strcmp(c.append, "console=ttyS0 "), "append keeps its trailing blank");
	tap_ok(c.nr_disks == 2 && !strcmp(c.disks[0].spec, "/dev/vg/root,cache=none") &&
	       !strcmp(c.disks[1].path, want_disk1) && !strcmp(c.disks[1].spec, want_disk1),
	       "[disk1] before [disk0] in the file: numbered by name");
	tap_ok(!strcmp(c.accel, "auto") && c.io_threads == 4 && c.pvclock,
	       "keys left out keep their defaults");
	vm_config_free(&c);
}

struct bad {
	const char *text;
	unsigned int line;	/* 0: no line in the message */
	const char *want;
};

static const struct bad bad_files[] = {
	/* groups and keys nobody knows */
	{ "[vm]\n" U "[net]\nx=1\n", 3, "[net]: unknown group (known: vm, boot, disk0 .. disk15)" },
	{ "[vm]\n" U "colour=red\n", 3, "[vm] colour: unknown key (known: uuid, memory, " },
	{ "[vm]\n" U "[boot]\nkernel=/k\ncmdline=x\n", 5, "[boot] cmdline: unknown key" },
	{ "[vm]\n" U "[disk0]\nfile=a\nsize=1G\n", 5, "[disk0] size: unknown key (known: file, format" },
	/* [vm] values */
	{ "[vm]\nuuid=nope\n", 2, "[vm] uuid: 'nope': not a UUID" },
	{ "[vm]\nuuid=00000000-0000-0000-0000-000000000000\n", 2, "[vm] uuid: the nil UUID" },
	{ "[vm]\n" U "memory=abc\n", 3, "[vm] memory: 'abc': not a size" },
	{ "[vm]\n" U "memory=\n", 3, "[vm] memory: '': not a size" },
	{ "[vm]\n" U "memory=0\n", 3, "[vm] memory: '0': must not be zero" },
	{ "[vm]\n" U "memory=1001K\n", 3, "[vm] memory: '1001K': not a multiple of 4K" },
	{ "[vm]\n" U "memory=16M\n", 3, "[vm] memory: '16M': from 32M to 1T" },
	{ "[vm]\n" U "memory=1025G\n", 3, "[vm] memory: '1025G': from 32M to 1T" },
	{ "[vm]\n" U "memory=12X\n", 3, "[vm] memory: '12X': unknown unit" },
	{ "[vm]\n" U "memory=99999999999999999999\n", 3, "memory: '99999999999999999999': too large" },
	{ "[vm]\n" U "memory=17179869184T\n", 3, "memory: '17179869184T': too large" },
	{ "[vm]\n" U "cpus=0\n", 3, "[vm] cpus: '0': a whole number from 1 to 255" },
	{ "[vm]\n" U "cpus=256\n", 3, "[vm] cpus: '256': a whole number from 1 to 255" },
	{ "[vm]\n" U "cpus=-1\n", 3, "[vm] cpus: '-1': a whole number" },
	{ "[vm]\n" U "cpus=2x\n", 3, "[vm] cpus: '2x': a whole number" },
	{ "[vm]\n" U "cpus=\n", 3, "[vm] cpus: '': a whole number" },
	{ "[vm]\n" U "cpus=99999999999999999999999\n", 3, "[vm] cpus: '99999999999999999999999'" },
	{ "[vm]\n" U "accel=xen\n", 3, "[vm] accel: 'xen': must be auto, vmain or kvm" },
	{ "[vm]\n" U "serial=\n", 3, "[vm] serial: empty (console, none or a file name)" },
	{ "[vm]\n" U "autostart=yes\n", 3, "[vm] autostart: 'yes': must be true or false" },
	{ "[vm]\n" U "stop-action=halt\n", 3, "[vm] stop-action: 'halt': must be poweroff or kill" },
	{ "[vm]\n" U "stop-timeout=0\n", 3, "[vm] stop-timeout: '0': a whole number from 1 to 3600" },
	{ "[vm]\n" U "stop-timeout=3601\n", 3, "[vm] stop-timeout: '3601'" },
	{ "[vm]\n" U "pvclock=1\n", 3, "[vm] pvclock: '1': must be true or false" },
	{ "[vm]\n" U "io-threads=0\n", 3, "[vm] io-threads: '0': a whole number from 1 to 64" },
	{ "[vm]\n" U "io-threads=65\n", 3, "[vm] io-threads: '65': a whole number from 1 to 64" },
	/* [boot] */
	{ "[vm]\n" U "[boot]\nkernel=\n", 4, "[boot] kernel: an empty file name" },
	{ "[vm]\n" U "[boot]\ninitrd=/i\n", 4, "[boot] initrd: an initrd needs a kernel=" },
	{ "[vm]\n" U "[boot]\nappend=quiet\n", 4, "[boot] append: a command line needs a kernel=" },
	{ "[vm]\n" U "[boot]\nkernel=/k\nappend=a\\qb\n", 5, "[boot] append: 'a\\qb': a bad escape" },
	{ "[vm]\n" U "[boot]\nkernel=/k\\\n", 4, "[boot] kernel: '/k\\': a bad escape" },
	/* [diskN] */
	{ "[vm]\n" U "[disk0]\nformat=raw\n", 3, "[disk0] file: missing" },
	{ "[vm]\n" U "[disk0]\nfile=\n", 4, "[disk0] file: an empty file name" },
	{ "[vm]\n" U "[disk0]\nfile=a\nformat=vmdk\n", 5, "[disk0] format: 'vmdk': must be raw, qcow2 or auto" },
	{ "[vm]\n" U "[disk0]\nfile=a\ncache=unsafe\n", 5, "[disk0] cache: 'unsafe': must be writeback" },
	{ "[vm]\n" U "[disk0]\nfile=a\nreadonly=on\n", 5, "[disk0] readonly: 'on': must be true or false" },
	{ "[vm]\n" U "[disk0]\nfile=a\nserial=123456789012345678901\n", 5, "[disk0] serial: '123456789012345678901': at most 20" },
	{ "[vm]\n" U "[disk0]\nfile=a\nserial=caf\xc3\xa9\n", 5, "[disk0] serial: 'caf\xc3\xa9': printable ASCII only" },
	{ "[vm]\n" U "[disk0]\nfile=a\nmax-dirty=1K\n", 5, "[disk0] max-dirty: '1K': a size from 1M to 4G" },
	{ "[vm]\n" U "[disk0]\nfile=a\nmax-age=0\n", 5, "[disk0] max-age: '0': milliseconds, 1 to 60000" },
	{ "[vm]\n" U "[disk0]\nfile=a\n[disk1]\nfile=./a\n", 6, "[disk1] file: " },
	/* duplicates, missing things, gaps */
	{ "[vm]\n" U "memory=1G\ncpus=2\nmemory=2G\n", 5, "[vm] memory: set twice (first at line 3)" },
	{ "[vm]\n" U "[boot]\nkernel=/k\n[boot]\n", 5, "[boot]: appears twice (first at line 3)" },
	{ "[vm]\n" U "[boot]\nkernel=/k\n[vm]\ncpus=2\n", 5, "[vm]: appears twice (first at line 1)" },
	{ "# c\n[vm]\nmemory=1G\n", 2, "[vm] uuid: missing" },
	{ "[boot]\nkernel=/k\n", 0, "[vm]: missing" },
	{ "", 0, "[vm]: missing" },
	{ "[vm]\n" U "[disk0]\nfile=a\n[disk2]\nfile=b\n", 5, "[disk2]: no [disk1] before it" },
	{ "[vm]\n" U "[disk1]\nfile=a\n", 3, "[disk1]: no [disk0] before it" },
	{ "[vm]\n" U "[disk0]\nfile=a\n[disk3]\nfile=b\n", 5, "[disk3]: no [disk1] before it" },
	{ "[vm]\n" U "[disk16]\nfile=a\n", 3, "[disk16]: at most 16 disks" },
	{ "[vm]\n" U "[disk01]\nfile=a\n", 3, "[disk01]: unknown group" },
	{ "[vm]\n" U "[disk]\nfile=a\n", 3, "[disk]: unknown group" },
	{ "[vm]\n" U "[disk-1]\nfile=a\n", 3, "[disk-1]: unknown group" },
	{ "[vm]\n" U "[disk99999999999]\nfile=a\n", 3, "[disk99999999999]: at most 16 disks" },
	/* syntax */
	{ "uuid=x\n[vm]\n", 1, "uuid: a key before the first [group]" },
	{ "[vm]\n" U "memory 1G\n", 3, "'memory 1G' is not KEY=VALUE, a [group] or a # comment" },
	{ "[vm\n", 1, "'[vm' is not a [group] line" },
	{ "[vm] x\n", 1, "'[vm] x' is not a [group] line" },
	{ "[]\n", 1, "'[]' is not a [group] line" },
	{ "[v[m]\n", 1, "'[v[m]' is not a [group] line" },
	{ "[vm]\n" U "=1\n", 3, "[vm]: '=1': no key before the '='" },
	{ "[vm]\n" U "mem ory=1\n", 3, "[vm] mem ory: not a key name" },
	{ "[vm]\n" U "memory[de]=1G\n", 3, "[vm] memory[de]: not a key name" },
	{ "[vm]\n" U "\v\n", 3, "is not KEY=VALUE" },
	{ "[vm]\n" U "append\xff=1\n", 3, "not UTF-8 text" },
	{ "\xef\xbb\xbf[vm]\n" U, 1, "starts with a byte-order mark" },
};

static void test_bad_files(void)
{
	unsigned int i;

	for (i = 0; i < sizeof(bad_files) / sizeof(bad_files[0]); i++) {
		const struct bad *b = &bad_files[i];
		g_autofree char *prefix = b->line ? g_strdup_printf("%s:%u: ", config_path, b->line) :
					  g_strdup_printf("%s: ", config_path);
		struct vm_config c;
		char err[512] = "";
		int ret, want = -EINVAL;
		bool ok;

		write_text(config_path, b->text);
		vm_config_init(&c);	/* load frees it: ASan sees a leak otherwise */
		ret = vm_config_load(bundle, &c, err, sizeof(err));
		ok = ret == want && g_str_has_prefix(err, prefix) &&
		     strstr(err + strlen(prefix), b->want) && !c.accel && !c.nr_disks;
		tap_ok(ok, "refused: %s", err[0] ? err + strlen(bundle) + 1 : "(no message)");
		if (!ok)
			tap_diag("  got %d, wanted %d and \"%s%s\"", ret, want, prefix, b->want);
		if (!ret)
			vm_config_free(&c);
	}
}

static void test_bad_nul_and_size(void)
{
	g_autofree char *big = g_malloc(2 << 20);
	struct vm_config c = { 0 };
	char err[512] = "";
	int ret;

	/* A NUL inside: written with an explicit length. */
	g_file_set_contents(config_path, "[vm]\n" U "\0x=1\n", sizeof("[vm]\n" U "\0x=1\n") - 1, NULL);
	ret = vm_config_load(bundle, &c, err, sizeof(err));
	tap_ok(ret == -EINVAL && strstr(err, "contains a NUL byte"), "a NUL byte: %s", err);

	memset(big, '#', 2 << 20);
	g_file_set_contents(config_path, big, 2 << 20, NULL);
	ret = vm_config_load(bundle, &c, err, sizeof(err));
	tap_ok(ret == -EFBIG && strstr(err, "larger than"), "2 MiB of comments: -EFBIG: %s", err);

	unlink(config_path);
	ret = vm_config_load(bundle, &c, err, sizeof(err));
	tap_ok(ret == -ENOENT && strstr(err, "config.ini: No such file"), "no config.ini: %s", err);

	mkdir(config_path, 0700);
	ret = vm_config_load(bundle, &c, err, sizeof(err));
	tap_ok(ret == -EINVAL && strstr(err, "not a regular file"), "config.ini a directory: %s", err);
	rmdir(config_path);

	/* A FIFO must not hang the reader (vmain list reads every bundle). */
	mkfifo(config_path, 0600);
	ret = vm_config_load(bundle, &c, err, sizeof(err));
	tap_ok(ret == -EINVAL && strstr(err, "not a regular file"), "config.ini a FIFO: %s", err);
	unlink(config_path);
}

int main(void)
{
	char *scratch = scratch_dir("config");

	bundle = g_build_filename(scratch, "web.vmain", NULL);
	config_path = g_build_filename(bundle, "config.ini", NULL);
	mkdir(bundle, 0700);
	test_round_trip();
	test_add_disk_refused();
	test_hand_written();
	test_bad_files();
	test_bad_nul_and_size();
	scratch_rm(scratch);
	g_free(scratch);
	g_free(bundle);
	g_free(config_path);
	return tap_done();
}
