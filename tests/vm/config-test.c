// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * config-test.c - config.ini: a full round trip (every field, disks with
 * their options, commas and escapes, NICs with their MACs), a hand-written
 * file (comments, blanks, CRLF, relative paths, NICs without mac=),
 * vm_config_add_disk()'s paths and refusals, vm_config_add_net()'s MACs
 * and refusals, [display] (its round trip, vm_config_set_vnc() and
 * vm_display_size_parse()), and every error of vm_config_load() with its
 * line number.
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "net/options.h"
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
	    a->io_threads != b->io_threads || a->nr_nets != b->nr_nets ||
	    a->display != b->display || a->display_width != b->display_width ||
	    a->display_height != b->display_height || !str_eq(a->vnc, b->vnc) ||
	    a->vnc_listen_any != b->vnc_listen_any ||
	    !str_eq(a->vnc_password_file, b->vnc_password_file) ||
	    !str_eq(a->vnc_password_path, b->vnc_password_path))
		return false;
	for (i = 0; i < a->nr_nets; i++) {
		if (!str_eq(a->nets[i].spec, b->nets[i].spec)) {
			tap_diag("  net%u: %s vs %s", i, a->nets[i].spec, b->nets[i].spec);
			return false;
		}
	}
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
	tap_ok(!strstr(t1, "[display]") && !back.display && !back.vnc,
	       "a VM without a screen: no [display] written, none loaded");
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
	{ "[vm]\n" U "[nic]\nx=1\n", 3, "[nic]: unknown group (known: vm, boot, display, cdrom, disk0 .. disk15, net0 .. net7)" },
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
	/* [netN] */
	{ "[vm]\n" U "[net0]\nmac=52:54:00:12:34:56\n", 3, "[net0] type: missing (user or tap)" },
	{ "[vm]\n" U "[net0]\ntype=vde\n", 4, "[net0] type: 'vde': must be user or tap" },
	{ "[vm]\n" U "[net0]\ntype=\n", 4, "[net0] type: '': must be user or tap" },
	{ "[vm]\n" U "[net0]\ntype=user\ncolour=red\n", 5, "[net0] colour: unknown key (known: type, mac, hostfwd, restrict, net, ifname, queues)" },
	{ "[vm]\n" U "[net0]\ntype=user\nmac=52:54:00:12:34\n", 5, "[net0] mac: '52:54:00:12:34': six hex pairs separated by ':'" },
	{ "[vm]\n" U "[net0]\ntype=user\nmac=52-54-00-12-34-56\n", 5, "[net0] mac: '52-54-00-12-34-56': six hex pairs" },
	{ "[vm]\n" U "[net0]\ntype=tap\nifname=t0\nmac=01:00:5e:00:00:01\n", 6, "[net0] mac: '01:00:5e:00:00:01': a multicast address" },
	{ "[vm]\n" U "[net0]\ntype=user\nmac=00:00:00:00:00:00\n", 5, "[net0] mac: '00:00:00:00:00:00': the zero address" },
	{ "[vm]\n" U "[net0]\ntype=user\nrestrict=on\n", 5, "[net0] restrict: 'on': must be true or false" },
	{ "[vm]\n" U "[net0]\ntype=user\nnet=10.0.2.0\n", 5, "[net0] net: '10.0.2.0': a network as A.B.C.D/N" },
	{ "[vm]\n" U "[net0]\ntype=user\nnet=10.0.2.300/24\n", 5, "[net0] net: '10.0.2.300/24': '10.0.2.300' is not an IPv4 address" },
	{ "[vm]\n" U "[net0]\ntype=user\nnet=10.0.2.1/24\n", 5, "[net0] net: '10.0.2.1/24': host bits set" },
	{ "[vm]\n" U "[net0]\ntype=user\nnet=10.0.0.0/28\n", 5, "[net0] net: '10.0.0.0/28': the prefix length must be 8 to 27" },
	{ "[vm]\n" U "[net0]\ntype=user\nnet=10.0.2.0/24,restrict=on\n", 5, "[net0] net: '10.0.2.0/24,restrict=on': no ',' in a value" },
	{ "[vm]\n" U "[net0]\ntype=user\nifname=tap0\n", 5, "[net0] ifname: only for type=tap" },
	{ "[vm]\n" U "[net0]\ntype=user\nqueues=2\n", 5, "[net0] queues: only for type=tap" },
	{ "[vm]\n" U "[net0]\ntype=tap\nifname=t0\nrestrict=true\n", 6, "[net0] restrict: only for type=user" },
	{ "[vm]\n" U "[net0]\ntype=tap\nifname=t0\nnet=10.0.2.0/24\n", 6, "[net0] net: only for type=user" },
	{ "[vm]\n" U "[net0]\ntype=tap\nifname=t0\nhostfwd=tcp::1-:2\n", 6, "[net0] hostfwd: only for type=user" },
	{ "[vm]\n" U "[net0]\ntype=tap\nqueues=2\n", 3, "[net0] ifname: missing (the name of an existing tap interface)" },
	{ "[vm]\n" U "[net0]\ntype=tap\nifname=\n", 5, "[net0] ifname: '': an interface name has 1 to 15 characters" },
	{ "[vm]\n" U "[net0]\ntype=tap\nifname=abcdefghijklmnop\n", 5, "[net0] ifname: 'abcdefghijklmnop': an interface name has 1 to 15" },
	{ "[vm]\n" U "[net0]\ntype=tap\nifname=br/0\n", 5, "[net0] ifname: 'br/0': no '/', ':', spaces" },
	{ "[vm]\n" U "[net0]\ntype=tap\nifname=..\n", 5, "[net0] ifname: '..': not an interface name" },
	{ "[vm]\n" U "[net0]\ntype=tap\nifname=t0\nqueues=0\n", 6, "[net0] queues: '0': a number from 1 to 7" },
	{ "[vm]\n" U "[net0]\ntype=tap\nifname=t0\nqueues=8\n", 6, "[net0] queues: '8': a number from 1 to 7" },
	{ "[vm]\n" U "[net0]\ntype=tap\nifname=t0\nqueues=two\n", 6, "[net0] queues: 'two': a number from 1 to 7" },
	{ "[vm]\n" U "[net0]\ntype=user\nhostfwd=\n", 5, "[net0] hostfwd: '': an empty forward (forwards are separated by ';')" },
	{ "[vm]\n" U "[net0]\ntype=user\nhostfwd=tcp::1-:2;;tcp::3-:4\n", 5, "[net0] hostfwd: 'tcp::1-:2;;tcp::3-:4': an empty forward" },
	{ "[vm]\n" U "[net0]\ntype=user\nhostfwd=tcp::2222\n", 5, "[net0] hostfwd: 'tcp::2222': the form is PROTO:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT" },
	{ "[vm]\n" U "[net0]\ntype=user\nhostfwd=sctp::1-:2\n", 5, "[net0] hostfwd: 'sctp::1-:2': starts with tcp: or udp:" },
	{ "[vm]\n" U "[net0]\ntype=user\nhostfwd=tcp::22-:22; tcp::0-:22\n", 5, "[net0] hostfwd: 'tcp::0-:22': bad host side ':0'" },
	{ "[vm]\n" U "[net0]\ntype=user\nhostfwd=tcp::22-:65536\n", 5, "[net0] hostfwd: 'tcp::22-:65536': bad guest side ':65536'" },
	{ "[vm]\n" U "[net0]\ntype=user\nhostfwd=tcp::22-0.0.0.0:22\n", 5, "[net0] hostfwd: 'tcp::22-0.0.0.0:22': the guest address cannot be 0.0.0.0" },
	{ "[vm]\n" U "[net0]\ntype=user\nhostfwd=tcp::2222-:22; tcp:127.0.0.1:2222-:23\n", 5, "[net0] hostfwd: 'tcp:127.0.0.1:2222-:23': host port tcp 2222 is forwarded twice" },
	{ "[vm]\n" U "[net0]\ntype=user\nhostfwd=tcp::2222-10.0.3.5:22\n", 5, "[net0] hostfwd: 'tcp::2222-10.0.3.5:22': hostfwd to 10.0.3.5:22: the guest address is not a host on the guest network 10.0.2.0/24" },
	{ "[vm]\n" U "[net0]\ntype=user\nnet=192.168.7.0/24\nhostfwd=tcp::2222-10.0.2.15:22\n", 6, "[net0] hostfwd: 'tcp::2222-10.0.2.15:22': hostfwd to 10.0.2.15:22: the guest address is not a host on the guest network 192.168.7.0/24" },
	{ "[vm]\n" U "[net0]\ntype=user\nhostfwd=tcp::1-:2,restrict=on\n", 5, "[net0] hostfwd: 'tcp::1-:2,restrict=on': no ',' in a forward" },
	{ "[vm]\n" U "[net0]\ntype=user\nhostfwd=tcp::1-:2\\q\n", 5, "[net0] hostfwd: 'tcp::1-:2\\q': a bad escape" },
	{ "[vm]\n" U "[net0]\ntype=tap\nifname=t0\n[net1]\ntype=tap\nifname=t0\n", 8, "[net1] ifname: the tap interface t0 is net0's already" },
	{ "[vm]\n" U "[net0]\ntype=user\nmac=02:00:00:00:00:01\n[net1]\ntype=tap\nifname=t0\nmac=02:00:00:00:00:01\n", 9, "[net1] mac: the MAC address 02:00:00:00:00:01 is net0's already" },
	{ "[vm]\n" U "[net0]\ntype=user\nhostfwd=udp:0.0.0.0:53-:53\n[net1]\ntype=user\nhostfwd=udp::53-:53\n", 8, "[net1] hostfwd: host port udp 127.0.0.1:53 is forwarded by net0 already" },
	{ "[vm]\n" U "[net0]\ntype=user\n[net2]\ntype=user\n", 5, "[net2]: no [net1] before it (network interfaces are numbered from net0 without gaps)" },
	{ "[vm]\n" U "[net1]\ntype=user\n", 3, "[net1]: no [net0] before it" },
	{ "[vm]\n" U "[net8]\ntype=user\n", 3, "[net8]: at most 8 network interfaces (net0 .. net7)" },
	{ "[vm]\n" U "[net01]\ntype=user\n", 3, "[net01]: unknown group" },
	{ "[vm]\n" U "[net]\ntype=user\n", 3, "[net]: unknown group" },
	{ "[vm]\n" U "[net0]\ntype=user\n[net0]\ntype=tap\n", 5, "[net0]: appears twice (first at line 3)" },
	{ "[vm]\n" U "[net0]\ntype=user\nhostfwd=tcp::1-:2\nhostfwd=tcp::3-:4\n", 6, "[net0] hostfwd: set twice (first at line 5)" },
	/* [display] */
	{ "[vm]\n" U "[display]\nenabled=true\nwidth=800\n", 5, "[display] width: unknown key (known: enabled, size, vnc, vnc-listen-any, vnc-password-file)" },
	{ "[vm]\n" U "[display]\nenabled=yes\n", 4, "[display] enabled: 'yes': must be true or false" },
	{ "[vm]\n" U "[display]\nenabled=true\nsize=1280\n", 5, "[display] size: '1280': not WIDTHxHEIGHT (e.g. 1280x800)" },
	{ "[vm]\n" U "[display]\nenabled=true\nsize=1280X800\n", 5, "[display] size: '1280X800': not WIDTHxHEIGHT (e.g. 1280x800)" },
	{ "[vm]\n" U "[display]\nenabled=true\nsize=1280x800x2\n", 5, "[display] size: '1280x800x2': not WIDTHxHEIGHT" },
	{ "[vm]\n" U "[display]\nenabled=true\nsize= x800\n", 5, "[display] size: 'x800': not WIDTHxHEIGHT" },
	{ "[vm]\n" U "[display]\nenabled=true\nsize=-1x800\n", 5, "[display] size: '-1x800': not WIDTHxHEIGHT" },
	{ "[vm]\n" U "[display]\nenabled=true\nsize=\n", 5, "[display] size: '': not WIDTHxHEIGHT" },
	{ "[vm]\n" U "[display]\nenabled=true\nsize=63x600\n", 5, "[display] size: '63x600': the width must be 64 to 8192 and the height 64 to 8192" },
	{ "[vm]\n" U "[display]\nenabled=true\nsize=800x8193\n", 5, "[display] size: '800x8193': the width must be 64 to 8192" },
	{ "[vm]\n" U "[display]\nenabled=true\nsize=99999999999999999999x800\n", 5, "[display] size: '99999999999999999999x800': the width must be 64 to 8192" },
	{ "[vm]\n" U "[display]\nsize=800x600\n", 4, "[display] size: only with a screen (enabled = true, or vnc=)" },
	{ "[vm]\n" U "[display]\nenabled=false\nsize=800x600\n", 5, "[display] size: only with a screen" },
	{ "[vm]\n" U "[display]\nenabled=false\nvnc=127.0.0.1:5901\n", 5, "[display] vnc: a VNC server shows the screen: not with enabled = false" },
	{ "[vm]\n" U "[display]\nenabled=true\nvnc-listen-any=true\n", 5, "[display] vnc-listen-any: only with vnc=" },
	{ "[vm]\n" U "[display]\nenabled=true\nvnc-listen-any=false\n", 5, "[display] vnc-listen-any: only with vnc=" },
	{ "[vm]\n" U "[display]\nenabled=true\nvnc-password-file=p\n", 5, "[display] vnc-password-file: only with vnc=" },
	{ "[vm]\n" U "[display]\nvnc=127.0.0.1:5901\nvnc-listen-any=1\n", 5, "[display] vnc-listen-any: '1': must be true or false" },
	{ "[vm]\n" U "[display]\nvnc=127.0.0.1:5901\nvnc-password-file=\n", 5, "[display] vnc-password-file: an empty file name" },
	{ "[vm]\n" U "[display]\nvnc=\n", 4, "[display] vnc: an empty address: unix:PATH, A.B.C.D:PORT or [IPV6]:PORT" },
	{ "[vm]\n" U "[display]\nvnc=5901\n", 4, "[display] vnc: '5901': not an address: unix:PATH, A.B.C.D:PORT or [IPV6]:PORT" },
	{ "[vm]\n" U "[display]\nvnc=unix:\n", 4, "[display] vnc: 'unix:': the socket path is empty" },
	{ "[vm]\n" U "[display]\nvnc=127.0.0.1:0\n", 4, "[display] vnc: '127.0.0.1:0': the port '0' is not a number from 1 to 65535" },
	{ "[vm]\n" U "[display]\nvnc=localhost:5901\n", 4, "[display] vnc: 'localhost:5901': 'localhost' is not an IPv4 address" },
	{ "[vm]\n" U "[display]\nvnc=::1:5901\n", 4, "[display] vnc: '::1:5901': '::1' is not an IPv4 address (A.B.C.D; IPv6 is written [ADDR]:PORT)" },
	{ "[vm]\n" U "[display]\nvnc=[::1]\n", 4, "[display] vnc: '[::1]': an IPv6 address is written [ADDR]:PORT" },
	{ "[vm]\n" U "[display]\nvnc=0.0.0.0:5901\n", 4, "[display] vnc: '0.0.0.0:5901': not a loopback address: listening beyond this host needs vnc-listen-any = true and a vnc-password-file" },
	{ "[vm]\n" U "[display]\nvnc=[::]:5901\nvnc-password-file=p\n", 4, "[display] vnc: '[::]:5901': not a loopback address" },
	{ "[vm]\n" U "[display]\nvnc=192.168.1.2:5901\nvnc-listen-any=true\n", 5, "[display] vnc-listen-any: '192.168.1.2:5901' is beyond loopback: it needs a vnc-password-file too (whoever reaches the port drives the VM's keyboard and mouse)" },
	{ "[vm]\n" U "[display]\nenabled=true\n[display]\n", 5, "[display]: appears twice (first at line 3)" },
	{ "[vm]\n" U "[display]\nvnc=unix:/a\nvnc=unix:/b\n", 5, "[display] vnc: set twice (first at line 4)" },
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

static const uint8_t net_uuid[16] = {
	0x6f, 0x1c, 0x1d, 0x2e, 0x8a, 0x4b, 0x4c, 0x3d, 0x9e, 0x8f, 0x0a, 0x1b, 0x2c, 0x3d, 0x4e, 0x5f
};

/* The MAC net_mac_derive() gives net_uuid's NIC `index`, as text. */
static const char *derived(unsigned int index)
{
	static char buf[4][18];
	static int n;
	uint8_t m[6];

	n = (n + 1) % 4;
	net_mac_derive(net_uuid, index, m);
	snprintf(buf[n], sizeof(buf[n]), "%02x:%02x:%02x:%02x:%02x:%02x",
		 m[0], m[1], m[2], m[3], m[4], m[5]);
	return buf[n];
}

static void test_nets(void)
{
	g_autofree char *want0 = g_strdup_printf("user,net=10.0.2.0/24,restrict=off,mac=%s",
						 derived(0));
	g_autofree char *want1 = g_strdup_printf("user,net=192.168.76.0/24,restrict=on,"
						 "hostfwd=tcp:127.0.0.1:8080-192.168.76.15:80,"
						 "hostfwd=udp:0.0.0.0:5353-192.168.76.20:53,mac=%s",
						 derived(1));
	g_autofree char *ini0 = g_strdup_printf("[net0]\ntype=user\nmac=%s\n\n", derived(0));
	g_autofree char *ini1 = g_strdup_printf("[net1]\ntype=user\nmac=%s\nnet=192.168.76.0/24\n"
						"restrict=true\nhostfwd=tcp:127.0.0.1:8080-:80; "
						"udp:0.0.0.0:5353-192.168.76.20:53\n\n", derived(1));
	g_autofree char *t1 = NULL, *t2 = NULL;
	struct vm_config c, back;
	char err[256] = "";
	int ret;

	vm_config_init(&c);
	memcpy(c.uuid, net_uuid, 16);
	tap_ok(c.nr_nets == 0 && !c.nets, "a new config has no network interface");
	ret = vm_config_add_net(&c, "user", err, sizeof(err));
	tap_ok(!ret && c.nr_nets == 1 && !strcmp(c.nets[0].spec, want0),
	       "add_net user: canonical, with the MAC derived for index 0: %s",
	       c.nr_nets ? c.nets[0].spec : err);
	ret = vm_config_add_net(&c, "user,restrict=on,hostfwd=tcp::8080-:80,net=192.168.76.0/24,"
				"hostfwd=udp:0.0.0.0:5353-192.168.76.20:53", err, sizeof(err));
	tap_ok(!ret && c.nr_nets == 2 && !strcmp(c.nets[1].spec, want1),
	       "add_net user with every option: index 1's MAC: %s", c.nr_nets > 1 ? c.nets[1].spec : err);
	ret = vm_config_add_net(&c, "tap,mac=52:54:00:AB:cd:01,queues=4,ifname=vm-web0", err, sizeof(err));
	tap_ok(!ret && c.nr_nets == 3 &&
	       !strcmp(c.nets[2].spec, "tap,ifname=vm-web0,queues=4,mac=52:54:00:ab:cd:01"),
	       "add_net tap with its own MAC: kept: %s", c.nr_nets > 2 ? c.nets[2].spec : err);
	ret = vm_config_save(bundle, &c, err, sizeof(err));
	tap_ok(!ret, "save with three NICs");
	if (ret)
		tap_diag("  %s", err);
	vm_config_init(&back);
	ret = vm_config_load(bundle, &back, err, sizeof(err));
	tap_ok(!ret && configs_equal(&c, &back), "the NICs come back the same");
	if (ret)
		tap_diag("  %s", err);
	t1 = vm_config_to_ini(&c);
	t2 = vm_config_to_ini(&back);
	tap_ok(!strcmp(t1, t2), "the text of the loaded config is the text saved");
	tap_ok(strstr(t1, ini0) && strstr(t1, ini1) &&
	       strstr(t1, "[net2]\ntype=tap\nmac=52:54:00:ab:cd:01\nifname=vm-web0\nqueues=4\n"),
	       "the text: type, the MAC always, defaults left out, forwards separated by '; '");
	if (!strstr(t1, ini1))
		tap_diag("%s", t1);
	vm_config_free(&back);

	/* Renumbered by hand (net0 removed): every NIC keeps its written MAC. */
	{
		g_autofree char *text = g_strdup_printf("[vm]\n" U "[net0]\ntype=user\nmac=%s\n",
							derived(1));

		write_text(config_path, text);
	}
	memset(&back, 0, sizeof(back));
	ret = vm_config_load(bundle, &back, err, sizeof(err));
	tap_ok(!ret && back.nr_nets == 1 && strstr(back.nets[0].spec, derived(1)),
	       "a NIC moved to net0 keeps the MAC written for it");
	ret = ret ?: vm_config_add_net(&back, "user", err, sizeof(err));
	tap_ok(!ret && back.nr_nets == 2 && strstr(back.nets[1].spec, derived(2)),
	       "a NIC added as net1 skips index 1's MAC (net0 has it): %s",
	       back.nr_nets > 1 ? back.nets[1].spec : err);
	vm_config_free(&back);
	vm_config_free(&c);
}

static void test_add_net_refused(void)
{
	struct vm_config c;
	char err[256] = "", spec[64];
	unsigned int i;
	int ret;

	vm_config_init(&c);
	ret = vm_config_add_net(&c, "", err, sizeof(err));
	tap_ok(ret == -EINVAL && !strcmp(err, "no network kind given (user or tap)"), "add_net '': %s", err);
	ret = vm_config_add_net(&c, "vde", err, sizeof(err));
	tap_ok(ret == -EINVAL && strstr(err, "'vde': the network kind must be user or tap"),
	       "add_net vde: %s", err);
	ret = vm_config_add_net(&c, "tap", err, sizeof(err));
	tap_ok(ret == -EINVAL && strstr(err, "ifname=NAME is required"), "add_net tap: %s", err);
	ret = vm_config_add_net(&c, "user,ifname=tap0", err, sizeof(err));
	tap_ok(ret == -EINVAL && strstr(err, "unknown option 'ifname' for user"),
	       "add_net user,ifname=: %s", err);
	tap_ok(c.nr_nets == 0, "nothing added by the refusals");
	ret = vm_config_add_net(&c, "user,mac=52:54:00:00:00:01,hostfwd=tcp::2222-:22", err, sizeof(err));
	tap_ok(!ret, "add_net with a MAC and a forward");
	ret = vm_config_add_net(&c, "tap,ifname=t1,mac=52:54:00:00:00:01", err, sizeof(err));
	tap_ok(ret == -EINVAL && !strcmp(err, "the MAC address 52:54:00:00:00:01 is net0's already"),
	       "the same MAC again: %s", err);
	ret = vm_config_add_net(&c, "tap,ifname=t1", err, sizeof(err));
	tap_ok(!ret, "add_net tap t1");
	ret = vm_config_add_net(&c, "tap,ifname=t1,queues=2", err, sizeof(err));
	tap_ok(ret == -EINVAL && !strcmp(err, "the tap interface t1 is net1's already"),
	       "the same tap again: %s", err);
	ret = vm_config_add_net(&c, "user,hostfwd=tcp:0.0.0.0:2222-:22", err, sizeof(err));
	tap_ok(ret == -EINVAL && !strcmp(err, "host port tcp 0.0.0.0:2222 is forwarded by net0 already"),
	       "a host port forwarded by another NIC (0.0.0.0 takes every address): %s", err);
	ret = vm_config_add_net(&c, "user,hostfwd=udp::2222-:22,hostfwd=tcp:10.9.9.9:2222-:22",
				err, sizeof(err));
	tap_ok(!ret, "the same port over udp, or on another address, is another port");
	ret = 0;
	for (i = c.nr_nets; i < VM_MAX_NETS; i++) {
		snprintf(spec, sizeof(spec), "tap,ifname=t%u0", i);
		ret |= vm_config_add_net(&c, spec, err, sizeof(err));
	}
	tap_ok(!ret && c.nr_nets == VM_MAX_NETS, "8 NICs");
	ret = vm_config_add_net(&c, "user", err, sizeof(err));
	tap_ok(ret == -EINVAL && !strcmp(err, "at most 8 network interfaces") && c.nr_nets == 8,
	       "a 9th: %s", err);
	for (i = 0; i < c.nr_nets; i++) {
		uint8_t m[6];
		struct net_options o;
		char e[256];
		unsigned int j;
		bool unique = true;

		ret = net_options_parse(c.nets[i].spec, &o, e, sizeof(e));
		memcpy(m, o.mac, 6);
		for (j = 0; j < i; j++) {
			struct net_options p;

			net_options_parse(c.nets[j].spec, &p, e, sizeof(e));
			unique = unique && memcmp(p.mac, m, 6);
		}
		if (ret || !o.mac_set || !unique || (i && (m[0] & 3) != 2)) {
			tap_ok(0, "net%u: a MAC of its own: %s", i, c.nets[i].spec);
			break;
		}
		if (i == c.nr_nets - 1)
			tap_ok(1, "every NIC has a MAC of its own, derived ones locally administered unicast");
	}
	vm_config_free(&c);
}

static void test_nets_hand_written(void)
{
	g_autofree char *text = g_strdup_printf(
		"[vm]\n" U
		"[net1]\n"
		"type = tap\n"
		"ifname = tap0\n"
		"[net0]\n"
		"type=user\n"
		"net=192.168.0.0/16\n"
		"restrict=false\n"
		"hostfwd = tcp::2222-:22 ;  udp:0.0.0.0:69-192.168.3.4:69;\n"
		"[net2]\n"
		"type=user\n"
		"hostfwd=tcp::8080-:80\n"
		"mac=%s\n", derived(1));
	g_autofree char *want0 = g_strdup_printf("user,net=192.168.0.0/16,restrict=off,"
		"hostfwd=tcp:127.0.0.1:2222-192.168.0.15:22,hostfwd=udp:0.0.0.0:69-192.168.3.4:69,"
		"mac=%s", derived(0));
	g_autofree char *want1 = g_strdup_printf("tap,ifname=tap0,queues=1,mac=%s", derived(2));
	struct vm_config c = { 0 };
	char err[256] = "";
	int ret;

	write_text(config_path, text);
	ret = vm_config_load(bundle, &c, err, sizeof(err));
	tap_ok(!ret && c.nr_nets == 3, "a hand-written file: NICs out of order, blanks, a trailing ';'");
	if (ret) {
		tap_diag("  %s", err);
		return;
	}
	tap_ok(!strcmp(c.nets[0].spec, want0), "net0 without mac=: index 0's MAC: %s", c.nets[0].spec);
	tap_ok(!strcmp(c.nets[1].spec, want1),
	       "net1 without mac=: index 1's MAC is net2's, so index 2's: %s", c.nets[1].spec);
	tap_ok(g_str_has_suffix(c.nets[2].spec, derived(1)), "net2 keeps its written MAC");
	ret = vm_config_save(bundle, &c, err, sizeof(err));
	vm_config_free(&c);
	ret = ret ?: vm_config_load(bundle, &c, err, sizeof(err));
	tap_ok(!ret && c.nr_nets == 3 && !strcmp(c.nets[1].spec, want1) &&
	       !strcmp(c.nets[0].spec, want0),
	       "a save writes the MACs given at load: the same after a reload");
	{
		g_autofree char *t = NULL;

		ret = g_file_get_contents(config_path, &t, NULL, NULL);
		tap_ok(ret && strstr(t, derived(0)) && strstr(t, derived(2)),
		       "config.ini now holds net0's and net1's MACs");
	}
	vm_config_free(&c);
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

static void test_display_size_parse(void)
{
	static const struct { const char *s; unsigned int w, h; } good[] = {
		{ "1280x800", 1280, 800 }, { "64x64", 64, 64 }, { "8192x8192", 8192, 8192 },
		{ "0800x0600", 800, 600 },
	};
	static const char *const bad[] = {
		"", "x", "800", "800x", "x600", "800x600 ", " 800x600", "800X600", "800*600",
		"+800x600", "800x-600", "63x600", "800x63", "8193x600", "800x8193", "0x0",
		"4294968096x600",
	};
	unsigned int i, w, h;
	char err[128];

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		w = h = 0;
		tap_ok(!vm_display_size_parse(good[i].s, &w, &h, err, sizeof(err)) &&
		       w == good[i].w && h == good[i].h, "display size '%s': %ux%u", good[i].s, w, h);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		w = h = 7;
		err[0] = 0;
		tap_ok(vm_display_size_parse(bad[i], &w, &h, err, sizeof(err)) == -EINVAL &&
		       w == 7 && h == 7 && err[0], "display size '%s' refused: %s", bad[i], err);
	}
}

static void test_display(void)
{
	g_autofree char *inside = g_strdup_printf("%s/keys/../vnc.pass", bundle);
	g_autofree char *want_path = g_strdup_printf("%s/vnc.pass", bundle);
	char *t;
	struct vm_config c, back;
	char err[512] = "";
	int ret;

	vm_config_init(&c);
	c.display = true;
	ret = vm_config_save(bundle, &c, err, sizeof(err));
	t = vm_config_to_ini(&c);
	tap_ok(!ret && g_str_has_suffix(t, "\n[display]\nenabled=true\n"),
	       "a screen and nothing else: [display] enabled=true, last");
	g_free(t);
	memset(&back, 0, sizeof(back));
	ret = vm_config_load(bundle, &back, err, sizeof(err));
	tap_ok(!ret && back.display && !back.display_width && !back.display_height && !back.vnc,
	       "... loads as a screen of the default size without VNC");
	vm_config_free(&back);

	c.display_width = 1280;
	c.display_height = 800;
	ret = vm_config_set_vnc(&c, bundle, "0.0.0.0:5901", true, inside, err, sizeof(err));
	tap_ok(!ret && c.vnc && !strcmp(c.vnc, "0.0.0.0:5901") && c.vnc_listen_any,
	       "set_vnc: any address with listen-any and a password file");
	if (ret)
		tap_diag("  %s", err);
	tap_ok(c.vnc_password_file && !strcmp(c.vnc_password_file, "vnc.pass") &&
	       !strcmp(c.vnc_password_path, want_path),
	       "set_vnc: a password file inside the bundle is stored relative: %s (%s)",
	       c.vnc_password_file, c.vnc_password_path);
	ret = vm_config_save(bundle, &c, err, sizeof(err));
	tap_ok(!ret, "save with [display] and VNC");
	if (ret)
		tap_diag("  %s", err);
	t = vm_config_to_ini(&c);
	tap_ok(g_str_has_suffix(t, "\n[display]\nenabled=true\nsize=1280x800\nvnc=0.0.0.0:5901\n"
				"vnc-listen-any=true\nvnc-password-file=vnc.pass\n"),
	       "the text of [display]: every key");
	if (!g_str_has_suffix(t, "vnc-password-file=vnc.pass\n"))
		tap_diag("%s", t);
	g_free(t);
	memset(&back, 0, sizeof(back));
	ret = vm_config_load(bundle, &back, err, sizeof(err));
	tap_ok(!ret && configs_equal(&c, &back), "[display] round-trips, every field");
	if (ret)
		tap_diag("  %s", err);
	vm_config_free(&back);

	ret = vm_config_set_vnc(&c, bundle, "[::1]:5902", false, "/etc/vmain/vnc.pass", err,
				sizeof(err));
	tap_ok(!ret && !strcmp(c.vnc, "[::1]:5902") && !c.vnc_listen_any &&
	       !strcmp(c.vnc_password_file, "/etc/vmain/vnc.pass") &&
	       !strcmp(c.vnc_password_path, "/etc/vmain/vnc.pass"),
	       "set_vnc again: replaces it; an absolute file outside the bundle stays absolute");
	ret = vm_config_set_vnc(&c, bundle, "unix:/run/vnc.sock", false, NULL, err, sizeof(err));
	tap_ok(!ret && !strcmp(c.vnc, "unix:/run/vnc.sock") && !c.vnc_password_file &&
	       !c.vnc_password_path, "set_vnc: a unix socket, no password: the old file is gone");

	ret = vm_config_set_vnc(&c, bundle, "10.1.2.3:5901", false, NULL, err, sizeof(err));
	tap_ok(ret == -EINVAL && !strcmp(err, "[display] vnc: '10.1.2.3:5901': not a loopback "
	       "address: listening beyond this host needs vnc-listen-any = true and a "
	       "vnc-password-file") && !strcmp(c.vnc, "unix:/run/vnc.sock"),
	       "set_vnc refused: beyond loopback without listen-any; nothing changed");
	ret = vm_config_set_vnc(&c, bundle, "10.1.2.3:5901", true, NULL, err, sizeof(err));
	tap_ok(ret == -EINVAL && g_str_has_prefix(err, "[display] vnc-listen-any: '10.1.2.3:5901' "
	       "is beyond loopback: it needs a vnc-password-file too"),
	       "set_vnc refused: listen-any without a password file: %s", err);
	ret = vm_config_set_vnc(&c, bundle, "127.0.0.1", false, NULL, err, sizeof(err));
	tap_ok(ret == -EINVAL && !strcmp(err, "[display] vnc: '127.0.0.1': not an address: "
	       "unix:PATH, A.B.C.D:PORT or [IPV6]:PORT"), "set_vnc refused: a bad spec: %s", err);
	ret = vm_config_set_vnc(&c, bundle, "127.0.0.1:5900", false, "", err, sizeof(err));
	tap_ok(ret == -EINVAL && !strcmp(err, "[display] vnc-password-file: an empty file name"),
	       "set_vnc refused: an empty password file name");

	ret = vm_config_set_vnc(&c, bundle, NULL, false, NULL, err, sizeof(err));
	tap_ok(!ret && !c.vnc && !c.vnc_listen_any && !c.vnc_password_file && c.display &&
	       c.display_width == 1280, "set_vnc(NULL): VNC gone, the screen and its size stay");
	t = vm_config_to_ini(&c);
	tap_ok(g_str_has_suffix(t, "\n[display]\nenabled=true\nsize=1280x800\n"),
	       "... and config.ini says so");
	g_free(t);

	c.display = false;
	c.display_width = c.display_height = 0;
	t = vm_config_to_ini(&c);
	tap_ok(!strstr(t, "[display]"), "no screen: no [display] at all");
	g_free(t);
	vm_config_free(&c);

	/* By hand: vnc= alone is a screen; enabled=false alone is none. */
	write_text(config_path, "[vm]\n" U "[display]\nvnc = unix:vnc.sock\n"
		   "vnc-password-file = ../secret/pass\n");
	memset(&c, 0, sizeof(c));
	ret = vm_config_load(bundle, &c, err, sizeof(err));
	tap_ok(!ret && c.display && c.vnc && !strcmp(c.vnc, "unix:vnc.sock"),
	       "by hand: vnc= without enabled= is a screen with VNC");
	if (ret)
		tap_diag("  %s", err);
	{
		g_autofree char *rel = g_build_filename(bundle, "..", "secret", "pass", NULL);
		g_autofree char *want = g_canonicalize_filename(rel, NULL);

		tap_ok(!ret && !strcmp(c.vnc_password_file, "../secret/pass") &&
		       !strcmp(c.vnc_password_path, want),
		       "by hand: a relative password file outside the bundle: kept as written, "
		       "resolved against the bundle (%s)", ret ? "-" : c.vnc_password_path);
	}
	vm_config_free(&c);
	write_text(config_path, "[vm]\n" U "[display]\nenabled = false\n");
	ret = vm_config_load(bundle, &c, err, sizeof(err));
	tap_ok(!ret && !c.display, "by hand: enabled = false alone: no screen");
	t = ret ? NULL : vm_config_to_ini(&c);
	tap_ok(t && !strstr(t, "[display]"), "... and a save writes no [display]");
	g_free(t);
	vm_config_free(&c);
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
	test_nets();
	test_add_net_refused();
	test_nets_hand_written();
	test_display_size_parse();
	test_display();
	test_bad_files();
	test_bad_nul_and_size();
	scratch_rm(scratch);
	g_free(scratch);
	g_free(bundle);
	g_free(config_path);
	return tap_done();
}
