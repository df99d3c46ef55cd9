// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd-create.c - `vmain create`, `vmain edit` and `vmain delete`: a VM's
 * bundle (docs/bundles.md).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "disk/create.h"
#include "display/vnc-options.h"
#include "size.h"
#include "vm/bundle.h"
#include "vm/config.h"

/* The settings both create and edit take; NULL/-1: not given. */
static gchar *opt_memory, *opt_kernel, *opt_initrd, *opt_append, *opt_accel, *opt_serial;
static gchar *opt_stop_action, *opt_autostart, *opt_pvclock;
static gint opt_cpus = -1, opt_stop_timeout = -1, opt_io_threads = -1;
static gboolean opt_yes, opt_no_initrd, opt_no_net;
/* The screen: --display, --display-size, --vnc and its options; edit's --no-*. */
static gchar *opt_display_size, *opt_vnc, *opt_vnc_password_file;
static gboolean opt_display, opt_vnc_listen_any, opt_no_display, opt_no_vnc;
/* --net (create) or --add-net (edit), in order. */
static gchar **opt_nets;
/* --disk and --disk-size, in the order given: "d:SPEC" or "s:SIZE[,format=F]". */
static GPtrArray *disk_args;
/* --iso (create, edit) and --no-cdrom (edit): the CD/DVD drive. */
static gchar *opt_iso;
static gboolean opt_no_cdrom;
/* create --iso: the images --disk-size makes go on AHCI (the installer's defaults). */
static bool new_disks_ahci;

static gboolean add_disk_arg(const gchar *option, const gchar *value, gpointer data,
			     GError **error)
{
	(void)data;
	(void)error;
	if (!disk_args)
		disk_args = g_ptr_array_new_with_free_func(g_free);
	/* --disk-size and --add-disk-size make an image; --disk and --add-disk name one. */
	g_ptr_array_add(disk_args, g_strdup_printf("%c:%s",
			g_str_has_suffix(option, "-size") ? 's' : 'd', value));
	return TRUE;
}

/* The --net syntax, for create's and edit's --help (net/options.c reads it). */
#define NET_SYNTAX \
	"user[,hostfwd=PROTO:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT]...[,restrict=on|off]" \
	"[,net=A.B.C.D/N][,mac=MAC] (user-mode NAT: no privileges needed) or " \
	"tap,ifname=NAME[,queues=N][,mac=MAC] (an existing tap interface)"

#define SETTING_ENTRIES \
	{ "memory", 'm', 0, G_OPTION_ARG_STRING, &opt_memory, \
	  "Guest RAM: a number with an optional K, M, G or T suffix (a plain " \
	  "number is MiB); 32M to 1T; default 512M", "SIZE" }, \
	{ "cpus", 'c', 0, G_OPTION_ARG_INT, &opt_cpus, \
	  "Virtual CPUs, 1 to 255; default 1", "N" }, \
	{ "kernel", 'k', 0, G_OPTION_ARG_FILENAME, &opt_kernel, \
	  "The Linux kernel to boot (a bzImage); required to start", "FILE" }, \
	{ "initrd", 'i', 0, G_OPTION_ARG_FILENAME, &opt_initrd, \
	  "An initial RAM disk", "FILE" }, \
	{ "append", 'a', 0, G_OPTION_ARG_STRING, &opt_append, \
	  "The kernel command line", "STR" }, \
	{ "accel", 0, 0, G_OPTION_ARG_STRING, &opt_accel, \
	  "Backend: auto (default), vmain or kvm", "auto|vmain|kvm" }, \
	{ "serial", 's', 0, G_OPTION_ARG_FILENAME, &opt_serial, \
	  "Where a headless VM's serial console also writes: console (only " \
	  "`vmain console`; the default), none, or a FILE", "console|none|FILE" }, \
	{ "autostart", 0, 0, G_OPTION_ARG_STRING, &opt_autostart, \
	  "Start with the host (system VMs: systemctl enable vmain@NAME); " \
	  "default no", "yes|no" }, \
	{ "stop-action", 0, 0, G_OPTION_ARG_STRING, &opt_stop_action, \
	  "What stopping the VM with the host does: poweroff (the ACPI " \
	  "power button, default) or kill", "poweroff|kill" }, \
	{ "stop-timeout", 0, 0, G_OPTION_ARG_INT, &opt_stop_timeout, \
	  "Seconds `vmain stop` waits after the power button before stopping " \
	  "the VM hard; 1 to 3600, default 30", "S" }, \
	{ "pvclock", 0, 0, G_OPTION_ARG_STRING, &opt_pvclock, \
	  "Offer the guest the paravirtual clock (kvmclock); default yes", "yes|no" }, \
	{ "io-threads", 0, 0, G_OPTION_ARG_INT, &opt_io_threads, \
	  "Worker threads for CPU-heavy disk work, 1 to 64; default 4", "N" }, \
	{ "display", 0, 0, G_OPTION_ARG_NONE, &opt_display, \
	  "Give the VM a screen (a virtio-gpu, a virtio keyboard and tablet, the " \
	  "API's Display1); the guest follows a viewer's size.  Default: none, " \
	  "and a headless VM pays nothing for one", NULL }, \
	{ "display-size", 0, 0, G_OPTION_ARG_STRING, &opt_display_size, \
	  "The screen's first size, each 64 to 8192 (e.g. 1280x800); default " \
	  "1024x768.  Implies --display", "WxH" }, \
	{ "vnc", 0, 0, G_OPTION_ARG_STRING, &opt_vnc, \
	  "Serve the screen over VNC at unix:PATH, A.B.C.D:PORT or [IPV6]:PORT " \
	  "(off by default).  An address beyond loopback needs --vnc-listen-any " \
	  "and --vnc-password-file.  Replaces the VNC settings there were, " \
	  "those two included.  Implies --display", "ADDR" }, \
	{ "vnc-listen-any", 0, 0, G_OPTION_ARG_NONE, &opt_vnc_listen_any, \
	  "With --vnc: allow an address beyond loopback (only with " \
	  "--vnc-password-file; VNC encrypts nothing)", NULL }, \
	{ "vnc-password-file", 0, 0, G_OPTION_ARG_FILENAME, &opt_vnc_password_file, \
	  "With --vnc: the password VNC viewers must give, the first line of " \
	  "FILE (1 to 8 bytes); FILE readable by its owner only (chmod 600).  " \
	  "Read again at each start", "FILE" }

static const GOptionEntry create_entries[] = {
	SETTING_ENTRIES,
	{ "disk", 'd', 0, G_OPTION_ARG_CALLBACK, (gpointer)add_disk_arg,
	  "Attach an existing image (repeatable: vda, vdb, ... in order), with "
	  "`vmain run --disk`'s options: FILE[,format=raw|qcow2][,cache=...]"
	  "[,readonly=on][,serial=STR]...  A relative FILE is taken from the "
	  "current directory and stored as an absolute path", "FILE[,OPTS]" },
	{ "disk-size", 0, 0, G_OPTION_ARG_CALLBACK, (gpointer)add_disk_arg,
	  "Make a new, empty image of SIZE in the bundle (diskN.qcow2, or "
	  "diskN.img with format=raw) and attach it", "SIZE[,format=qcow2|raw]" },
	{ "iso", 0, 0, G_OPTION_ARG_FILENAME, &opt_iso,
	  "An installer: give the VM a CD/DVD drive with this ISO image in it, "
	  "booted first (the firmware, SeaBIOS, tries the drive, then the disks).  "
	  "With it the disks --disk-size makes are on AHCI (SATA), which every "
	  "installer knows, and the VM has a screen (as --display)", "FILE" },
	{ "net", 0, 0, G_OPTION_ARG_STRING_ARRAY, &opt_nets,
	  "Add a virtio network interface (repeatable, up to 8; the guest sees "
	  "them in this order): " NET_SYNTAX ".  Without --net the VM has no network.  A "
	  "NIC without mac= gets one made from the VM's UUID, written into "
	  "config.ini", "SPEC" },
	{ NULL, 0, 0, 0, NULL, NULL, NULL }
};

static const GOptionEntry edit_entries[] = {
	SETTING_ENTRIES,
	{ "no-initrd", 0, 0, G_OPTION_ARG_NONE, &opt_no_initrd,
	  "Boot without an initial RAM disk", NULL },
	{ "add-disk", 'd', 0, G_OPTION_ARG_CALLBACK, (gpointer)add_disk_arg,
	  "Attach another existing image, as `vmain create --disk`", "FILE[,OPTS]" },
	{ "add-disk-size", 0, 0, G_OPTION_ARG_CALLBACK, (gpointer)add_disk_arg,
	  "Attach another new image, as `vmain create --disk-size`",
	  "SIZE[,format=qcow2|raw]" },
	{ "add-net", 0, 0, G_OPTION_ARG_STRING_ARRAY, &opt_nets,
	  "Add a network interface after the others, as `vmain create --net` "
	  "(repeatable): " NET_SYNTAX, "SPEC" },
	{ "no-net", 0, 0, G_OPTION_ARG_NONE, &opt_no_net,
	  "Remove every network interface (before the --add-net ones are added: "
	  "--no-net --add-net SPEC replaces them)", NULL },
	{ "iso", 0, 0, G_OPTION_ARG_FILENAME, &opt_iso,
	  "Put this ISO image in the CD/DVD drive (the VM gets one if it has "
	  "none) from the next start; `vmain cdrom` changes it while the VM "
	  "runs", "FILE" },
	{ "no-cdrom", 0, 0, G_OPTION_ARG_NONE, &opt_no_cdrom,
	  "Remove the CD/DVD drive", NULL },
	{ "no-display", 0, 0, G_OPTION_ARG_NONE, &opt_no_display,
	  "Remove the screen, its size and VNC: the VM is headless again", NULL },
	{ "no-vnc", 0, 0, G_OPTION_ARG_NONE, &opt_no_vnc,
	  "Stop serving the screen over VNC (the screen stays; --no-display "
	  "removes it)", NULL },
	{ NULL, 0, 0, 0, NULL, NULL, NULL }
};

static int parse_bool(const char *cmd, const char *opt, const char *v, bool *out)
{
	if (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "on")) {
		*out = true;
		return 0;
	}
	if (!strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "off")) {
		*out = false;
		return 0;
	}
	fprintf(stderr, "vmain %s: --%s '%s': must be yes or no\n", cmd, opt, v);
	return -EINVAL;
}

/* A readable file, as an absolute path (relative to the working directory). */
static int abs_file(const char *cmd, const char *what, const char *path, char **out)
{
	if (access(path, R_OK)) {
		fprintf(stderr, "vmain %s: cannot read the %s '%s': %s\n", cmd, what, path,
			strerror(errno));
		return -errno;
	}
	g_free(*out);
	*out = g_canonicalize_filename(path, NULL);
	return 0;
}

/* Applies the settings given; what changes while the VM runs is refused. */
static int apply_settings(const char *cmd, struct vm_config *cfg, bool running,
			  const char *name)
{
	const char *live_refused = NULL;
	uint64_t mem;
	const char *why;

	if (running) {
		if (opt_memory) live_refused = "--memory";
		else if (opt_cpus >= 0) live_refused = "--cpus";
		else if (opt_kernel) live_refused = "--kernel";
		else if (opt_initrd || opt_no_initrd) live_refused = "--initrd";
		else if (opt_append) live_refused = "--append";
		else if (opt_accel) live_refused = "--accel";
		else if (opt_serial) live_refused = "--serial";
		else if (opt_pvclock) live_refused = "--pvclock";
		else if (opt_io_threads >= 0) live_refused = "--io-threads";
		else if (disk_args) live_refused = "a disk";
		else if (opt_iso || opt_no_cdrom)
			live_refused = "the CD/DVD drive (`vmain cdrom` changes its disc now)";
		else if (opt_nets || opt_no_net) live_refused = "a network interface";
		else if (opt_display || opt_display_size || opt_vnc || opt_vnc_listen_any ||
			 opt_vnc_password_file || opt_no_display || opt_no_vnc)
			live_refused = "the display";
		if (live_refused) {
			fprintf(stderr, "vmain %s: %s runs: %s cannot change until it "
				"stops (autostart, stop-action and stop-timeout can)\n", cmd,
				name, live_refused);
			return -EBUSY;
		}
	}
	if (opt_memory) {
		why = size_parse(opt_memory, 20, &mem);
		if (!why && (mem < VM_MEMORY_MIN || mem > VM_MEMORY_MAX || mem % 4096))
			why = "must be a multiple of 4 KiB from 32M to 1T";
		if (why) {
			fprintf(stderr, "vmain %s: --memory '%s': %s\n", cmd, opt_memory, why);
			return -EINVAL;
		}
		cfg->memory = mem;
	}
	if (opt_cpus >= 0) {
		if (opt_cpus < 1 || opt_cpus > VM_CPUS_MAX) {
			fprintf(stderr, "vmain %s: --cpus %d: must be 1 to %d\n", cmd, opt_cpus,
				VM_CPUS_MAX);
			return -EINVAL;
		}
		cfg->cpus = (unsigned)opt_cpus;
	}
	if (opt_kernel && abs_file(cmd, "kernel", opt_kernel, &cfg->kernel))
		return -EINVAL;
	if (opt_initrd && abs_file(cmd, "initrd", opt_initrd, &cfg->initrd))
		return -EINVAL;
	if (opt_no_initrd) {
		g_free(cfg->initrd);
		cfg->initrd = NULL;
	}
	if (opt_append) {
		g_free(cfg->append);
		cfg->append = g_strdup(opt_append);
	}
	if (opt_accel) {
		if (strcmp(opt_accel, "auto") && strcmp(opt_accel, "vmain") &&
		    strcmp(opt_accel, "kvm")) {
			fprintf(stderr, "vmain %s: --accel '%s': must be auto, vmain or kvm\n",
				cmd, opt_accel);
			return -EINVAL;
		}
		g_free(cfg->accel);
		cfg->accel = g_strdup(opt_accel);
	}
	if (opt_serial) {
		g_free(cfg->serial);
		cfg->serial = !strcmp(opt_serial, "console") || !strcmp(opt_serial, "none") ?
			      g_strdup(opt_serial) : g_canonicalize_filename(opt_serial, NULL);
	}
	if (opt_autostart && parse_bool(cmd, "autostart", opt_autostart, &cfg->autostart))
		return -EINVAL;
	if (opt_pvclock && parse_bool(cmd, "pvclock", opt_pvclock, &cfg->pvclock))
		return -EINVAL;
	if (opt_stop_action) {
		if (!strcmp(opt_stop_action, "poweroff"))
			cfg->stop_action = VM_STOP_POWEROFF;
		else if (!strcmp(opt_stop_action, "kill"))
			cfg->stop_action = VM_STOP_KILL;
		else {
			fprintf(stderr, "vmain %s: --stop-action '%s': must be poweroff or "
				"kill\n", cmd, opt_stop_action);
			return -EINVAL;
		}
	}
	if (opt_stop_timeout >= 0 || opt_stop_timeout < -1) {
		if (opt_stop_timeout < 1 || opt_stop_timeout > VM_STOP_TIMEOUT_MAX) {
			fprintf(stderr, "vmain %s: --stop-timeout %d: must be 1 to %d\n", cmd,
				opt_stop_timeout, VM_STOP_TIMEOUT_MAX);
			return -EINVAL;
		}
		cfg->stop_timeout = (unsigned)opt_stop_timeout;
	}
	if (opt_io_threads >= 0 || opt_io_threads < -1) {
		if (opt_io_threads < 1 || opt_io_threads > VM_IO_THREADS_MAX) {
			fprintf(stderr, "vmain %s: --io-threads %d: must be 1 to %d\n", cmd,
				opt_io_threads, VM_IO_THREADS_MAX);
			return -EINVAL;
		}
		cfg->io_threads = (unsigned)opt_io_threads;
	}
	return 0;
}

/*
 * The screen's options, checked as `vmain run` checks them (the password
 * file is read now, to catch a mistake early, and again at each start),
 * then applied: --no-display and --no-vnc first, then what is given.
 * -EINVAL: a usage error, said in one line.
 */
static int apply_display(const char *cmd, struct vm_config *cfg, const char *dir)
{
	g_autofree char *pw = NULL;
	unsigned int w = 0, h = 0;
	struct vnc_options o;
	char err[512];

	if (opt_no_display && (opt_display || opt_display_size || opt_vnc)) {
		fprintf(stderr, "vmain %s: --no-display and %s contradict each other\n", cmd,
			opt_display ? "--display" : opt_display_size ? "--display-size" : "--vnc");
		return -EINVAL;
	}
	if (opt_no_vnc && opt_vnc) {
		fprintf(stderr, "vmain %s: --no-vnc and --vnc contradict each other\n", cmd);
		return -EINVAL;
	}
	if (opt_display_size && vm_display_size_parse(opt_display_size, &w, &h, err,
						      sizeof(err))) {
		fprintf(stderr, "vmain %s: --display-size '%s': %s\n", cmd, opt_display_size, err);
		return -EINVAL;
	}
	/* Given with --vnc only: --vnc replaces the whole VNC setting. */
	if (!opt_vnc && (opt_vnc_listen_any || opt_vnc_password_file)) {
		fprintf(stderr, "vmain %s: %s needs --vnc ADDR (where VNC listens)\n", cmd,
			opt_vnc_listen_any ? "--vnc-listen-any" : "--vnc-password-file");
		return -EINVAL;
	}
	if (opt_vnc) {
		if (vnc_options_parse(opt_vnc, &o, err, sizeof(err))) {
			fprintf(stderr, "vmain %s: --vnc: %s\n", cmd, err);
			return -EINVAL;
		}
		if (opt_vnc_password_file) {
			/* Relative to the working directory, stored absolute (or in the bundle). */
			pw = g_canonicalize_filename(opt_vnc_password_file, NULL);
			if (vnc_options_load_password(&o, pw, err, sizeof(err))) {
				fprintf(stderr, "vmain %s: --vnc-password-file: %s\n", cmd, err);
				return -EINVAL;
			}
			explicit_bzero(o.password, sizeof(o.password));
		}
		o.listen_any = opt_vnc_listen_any;
		if (vnc_options_check(&o, err, sizeof(err))) {
			fprintf(stderr, "vmain %s: --vnc '%s': %s\n", cmd, opt_vnc, err);
			return -EINVAL;
		}
	}
	if (opt_no_display) {
		cfg->display = false;
		cfg->display_width = cfg->display_height = 0;
	}
	if ((opt_no_display || opt_no_vnc) &&
	    vm_config_set_vnc(cfg, dir, NULL, false, NULL, err, sizeof(err)))
		goto refused;
	if (opt_display || opt_display_size)
		cfg->display = true;
	if (opt_display_size) {
		cfg->display_width = w;
		cfg->display_height = h;
	}
	if (opt_vnc && vm_config_set_vnc(cfg, dir, opt_vnc, opt_vnc_listen_any, pw, err,
					 sizeof(err)))
		goto refused;
	return 0;
refused:
	fprintf(stderr, "vmain %s: %s\n", cmd, err);
	return -EINVAL;
}

/*
 * --iso FILE: the CD/DVD drive with FILE (checked readable, stored
 * absolute or in the bundle), or --no-cdrom: none.  -EINVAL: a usage
 * error, said in one line.
 */
static int apply_cdrom(const char *cmd, struct vm_config *cfg, const char *dir)
{
	g_autofree char *path = NULL;

	if (opt_iso && opt_no_cdrom) {
		fprintf(stderr, "vmain %s: --iso and --no-cdrom contradict each other\n", cmd);
		return -EINVAL;
	}
	if (opt_no_cdrom)
		vm_config_set_cdrom(cfg, dir, false, NULL);
	if (!opt_iso)
		return 0;
	if (!*opt_iso) {
		fprintf(stderr, "vmain %s: --iso: an empty file name\n", cmd);
		return -EINVAL;
	}
	if (abs_file(cmd, "ISO image", opt_iso, &path))
		return -EINVAL;
	vm_config_set_cdrom(cfg, dir, true, path);
	return 0;
}

/* A --disk spec with its FILE made absolute (a ',' in a name is written ',,'). */
static char *absolute_disk_spec(const char *spec)
{
	GString *s;
	char *cwd;

	if (spec[0] == '/')
		return g_strdup(spec);
	cwd = g_get_current_dir();
	s = g_string_new(NULL);
	vm_spec_append_escaped(s, cwd);
	g_string_append_c(s, '/');
	g_string_append(s, spec);
	g_free(cwd);
	return g_string_free(s, FALSE);
}

/* A new image for --disk-size SIZE[,format=qcow2|raw]: the next diskN in the bundle. */
static int new_disk(const char *cmd, struct vm_config *cfg, const char *dir, const char *arg,
		    GPtrArray *made)
{
	enum disk_create_format fmt = DISK_CREATE_QCOW2;
	char err[256], *size_s, *comma, *file, *path, *spec;
	const char *why;
	uint64_t size;
	unsigned int n;
	int ret;

	size_s = g_strdup(arg);
	comma = strchr(size_s, ',');
	if (comma) {
		*comma++ = 0;
		if (!strcmp(comma, "format=raw"))
			fmt = DISK_CREATE_RAW;
		else if (strcmp(comma, "format=qcow2")) {
			fprintf(stderr, "vmain %s: --disk-size '%s': the only option is "
				"format=qcow2 or format=raw\n", cmd, arg);
			g_free(size_s);
			return -EINVAL;
		}
	}
	why = size_parse(size_s, 20, &size);
	if (!why && (size == 0 || size % 512))
		why = "must be a positive multiple of 512 bytes";
	g_free(size_s);
	if (why) {
		fprintf(stderr, "vmain %s: --disk-size '%s': %s\n", cmd, arg, why);
		return -EINVAL;
	}
	/* diskN for the Nth disk (vda: disk0), or the next free name. */
	for (n = cfg->nr_disks;; n++) {
		file = g_strdup_printf("disk%u.%s", n, fmt == DISK_CREATE_RAW ? "img" : "qcow2");
		path = g_build_filename(dir, file, NULL);
		if (!g_file_test(path, G_FILE_TEST_EXISTS))
			break;
		g_free(file);
		g_free(path);
	}
	ret = disk_create(path, fmt, size, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "vmain %s: --disk-size '%s': %s\n", cmd, arg, err);
		goto free_names;
	}
	g_ptr_array_add(made, g_strdup(path));
	spec = g_strdup_printf("%s,format=%s%s", file, fmt == DISK_CREATE_RAW ? "raw" : "qcow2",
			       new_disks_ahci ? ",if=ahci" : "");
	ret = vm_config_add_disk(cfg, dir, spec, err, sizeof(err));
	if (ret)
		fprintf(stderr, "vmain %s: %s\n", cmd, err);
	g_free(spec);
free_names:
	g_free(file);
	g_free(path);
	return ret;
}

/* Adds the --disk and --disk-size arguments, in order; `made` lists new images. */
static int add_disks(const char *cmd, struct vm_config *cfg, const char *dir, GPtrArray *made)
{
	char err[512], *spec;
	unsigned int i;
	int ret;

	for (i = 0; disk_args && i < disk_args->len; i++) {
		const char *arg = g_ptr_array_index(disk_args, i);

		if (arg[0] == 's') {
			ret = new_disk(cmd, cfg, dir, arg + 2, made);
		} else {
			spec = absolute_disk_spec(arg + 2);
			ret = vm_config_add_disk(cfg, dir, spec, err, sizeof(err));
			if (ret)
				fprintf(stderr, "vmain %s: --disk '%s': %s\n", cmd, arg + 2, err);
			g_free(spec);
		}
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * --no-net, then each --net / --add-net in order; the first bad one is
 * one line naming it.  -EINVAL: a usage error.
 */
static int add_nets(const char *cmd, const char *opt, struct vm_config *cfg)
{
	char err[512];
	unsigned int i;

	if (opt_no_net) {
		for (i = 0; i < cfg->nr_nets; i++)
			g_free(cfg->nets[i].spec);
		g_free(cfg->nets);
		cfg->nets = NULL;
		cfg->nr_nets = 0;
	}
	for (i = 0; opt_nets && opt_nets[i]; i++) {
		if (vm_config_add_net(cfg, opt_nets[i], err, sizeof(err))) {
			fprintf(stderr, "vmain %s: --%s '%s': %s\n", cmd, opt, opt_nets[i], err);
			return -EINVAL;
		}
	}
	return 0;
}

static void remove_made(GPtrArray *made)
{
	for (unsigned int i = 0; i < made->len; i++)
		unlink(g_ptr_array_index(made, i));
}

int cmd_create(int argc, char **argv)
{
	struct vm_paths paths;
	struct vm_config cfg;
	GPtrArray *made;
	char *name, *dir, err[512];
	int status, ret;

	status = cli_parse(&argc, &argv, "create", "NAME", "create a VM",
		"Makes the VM's bundle, NAME.vmain in $XDG_DATA_HOME/vmain/VMs (with\n"
		"--system in /var/lib/vmain/VMs): its config.ini, with a UUID of its own,\n"
		"and the images --disk-size makes.  `vmain start NAME` runs it.\n"
		"\n"
		"Network: a VM has no network unless --net gives it one.  Each --net is a\n"
		"virtio-net interface, in the order given (eth0, eth1, ... in a guest\n"
		"that does not rename them):\n"
		"  user[,OPTS]      user-mode NAT (libslirp) in the VM process: no root, no\n"
		"                   host setup.  The guest gets 10.0.2.15 by DHCP (net=\n"
		"                   picks another network), gateway .2, DNS .3; through\n"
		"                   .2 it also reaches this host's loopback services.\n"
		"                   Options:\n"
		"                   hostfwd=PROTO:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT\n"
		"                   (repeatable; PROTO tcp or udp; HOSTADDR defaults to\n"
		"                   127.0.0.1, so a forwarded port is open to this host\n"
		"                   only unless 0.0.0.0 or an address is written),\n"
		"                   restrict=on (the guest reaches nothing outside, the\n"
		"                   host included; only forwarded ports reach it),\n"
		"                   net=A.B.C.D/N, mac=MAC\n"
		"  tap,ifname=NAME  an existing tap interface the user may open (made with\n"
		"                   `ip tuntap add dev NAME mode tap user USER`, usually on\n"
		"                   a bridge).  Options: queues=N (1-7), mac=MAC\n"
		"A NIC without mac= gets a locally administered MAC made from the VM's\n"
		"UUID and its index, written into config.ini, so it never changes.\n"
		"See docs/networking.md.\n"
		"\n"
		"Display: a VM is headless unless --display, --display-size or --vnc\n"
		"gives it a screen (a virtio-gpu, a virtio keyboard and tablet, the API's\n"
		"Display1); headless costs nothing.  VNC is off unless --vnc names where\n"
		"it listens: a loopback address or a unix socket, or any address with\n"
		"--vnc-listen-any and a --vnc-password-file only its owner may read.\n"
		"config.ini keeps them in [display] (docs/bundles.md).\n"
		"\n"
		"Installing an operating system: --iso FILE gives the VM a CD/DVD drive\n"
		"with the installer's ISO image in it, and a screen.  Without --kernel\n"
		"the VM boots its firmware (SeaBIOS), which tries the CD/DVD drive first\n"
		"and the disks after it: the installer starts from the disc, installs onto\n"
		"the disk, and once the disc is out (`vmain cdrom NAME --eject`, or an\n"
		"installer's own eject) the VM boots from its disk.  With --iso the images\n"
		"--disk-size makes are on AHCI (SATA, which every installer knows) and so\n"
		"is the drive; --disk FILE,if=ahci|ide|virtio picks for an existing image\n"
		"(the drive goes on IDE beside an IDE disk).  Watch and answer the\n"
		"installer in the app (vmain-gtk) or over VNC (--vnc); give it memory\n"
		"(--memory 2G).  config.ini keeps the drive in [cdrom].\n"
		"\n"
		"Exit status: 0 created; 1 failed; 2 bad usage or a bad setting;\n"
		"4 a VM of that name exists.\n"
		"\n"
		"Examples:\n"
		"  vmain create web --memory 2G --cpus 2 --kernel /boot/vmlinuz \\\n"
		"               --append 'console=ttyS0 root=/dev/vda' --disk-size 20G \\\n"
		"               --net user,hostfwd=tcp:127.0.0.1:2222-:22\n"
		"  vmain create db --kernel /boot/vmlinuz --disk-size 8G --net tap,ifname=tap0\n"
		"  vmain create deb --memory 2G --iso debian-12.8.0-amd64-netinst.iso \\\n"
		"               --disk-size 20G --net user\n",
		create_entries, &name, &paths);
	if (status)
		return status;
	vm_config_init(&cfg);
	dir = vm_bundle_dir(&paths, name);
	if (apply_settings("create", &cfg, false, name) || add_nets("create", "net", &cfg) ||
	    apply_display("create", &cfg, dir) || apply_cdrom("create", &cfg, dir)) {
		status = CLI_USAGE;
		goto free_dir;
	}
	/* An installer shows itself on a screen and knows AHCI disks. */
	if (opt_iso) {
		cfg.display = true;
		new_disks_ahci = true;
	}
	ret = vm_bundle_create(&paths, name, &cfg, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "vmain create: %s\n", err);
		status = ret == -EEXIST ? CLI_STATE : CLI_FAILED;
		goto free_dir;
	}
	made = g_ptr_array_new_with_free_func(g_free);
	ret = add_disks("create", &cfg, dir, made);
	if (!ret) {
		ret = vm_config_save(dir, &cfg, err, sizeof(err));
		if (ret)
			fprintf(stderr, "vmain create: %s\n", err);
	}
	if (ret) {
		/* Nothing half-made stays behind. */
		remove_made(made);
		vm_bundle_delete(&paths, name, err, sizeof(err));
		status = ret == -EINVAL ? CLI_USAGE : CLI_FAILED;
	}
	g_ptr_array_free(made, TRUE);
free_dir:
	g_free(dir);
	vm_config_free(&cfg);
	vm_paths_free(&paths);
	return status;
}

int cmd_edit(int argc, char **argv)
{
	struct vm_paths paths;
	struct vm_config cfg;
	GPtrArray *made;
	char *name, *dir, err[512];
	pid_t holder = 0;
	int status, ret, lock_fd = -1, cfg_fd = -1;
	bool running;

	status = cli_parse(&argc, &argv, "edit", "NAME", "change a VM's settings",
		"Changes the settings given and keeps the rest; config.ini is rewritten\n"
		"atomically, and only when something changed.  While the VM runs only\n"
		"--autostart, --stop-action and --stop-timeout may change: the rest\n"
		"needs the VM stopped.\n"
		"\n"
		"Network interfaces: --add-net SPEC adds one after those there are\n"
		"(`vmain create --help` has the syntax), --no-net removes them all;\n"
		"together, --no-net --add-net SPEC... replaces them.  Each keeps the MAC\n"
		"config.ini gives it; edit [netN] in config.ini to change one in place.\n"
		"\n"
		"Display: --display or --display-size gives the VM a screen, --no-display\n"
		"takes it away (its size and VNC with it).  --vnc ADDR replaces the VNC\n"
		"settings (give --vnc-listen-any and --vnc-password-file with it again);\n"
		"--no-vnc turns VNC off and keeps the screen.\n"
		"\n"
		"Exit status: 0 done; 1 failed; 2 bad usage or a bad setting; 4 the VM\n"
		"runs and the setting cannot change now; 5 no such VM.\n",
		edit_entries, &name, &paths);
	if (status)
		return status;
	status = cli_bundle_exists("edit", &paths, name);
	if (status)
		goto free_paths;
	dir = vm_bundle_dir(&paths, name);
	vm_config_init(&cfg);
	ret = vm_bundle_lock(dir, &lock_fd, &holder);
	running = ret == -EBUSY;
	if (ret && !running) {
		fprintf(stderr, "vmain edit: cannot lock %s: %s\n", dir, strerror(-ret));
		status = CLI_FAILED;
		goto free_config;
	}
	/* A running VM's monitor may write config.ini too (a disc change). */
	ret = vm_config_lock(dir, 5000, &cfg_fd);
	if (ret) {
		fprintf(stderr, "vmain edit: %s/config.ini: %s\n", dir, ret == -EAGAIN ?
			"another process is writing it; try again" : strerror(-ret));
		status = CLI_FAILED;
		goto unlock;
	}
	ret = vm_config_load(dir, &cfg, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "vmain edit: %s\n", err);
		status = CLI_FAILED;
		goto unlock;
	}
	ret = apply_settings("edit", &cfg, running, name);
	if (!ret)
		ret = add_nets("edit", "add-net", &cfg);
	if (!ret)
		ret = apply_display("edit", &cfg, dir);
	if (!ret)
		ret = apply_cdrom("edit", &cfg, dir);
	if (ret) {
		status = ret == -EBUSY ? CLI_STATE : CLI_USAGE;
		goto unlock;
	}
	made = g_ptr_array_new_with_free_func(g_free);
	ret = add_disks("edit", &cfg, dir, made);
	if (!ret) {
		ret = vm_config_save(dir, &cfg, err, sizeof(err));
		if (ret)
			fprintf(stderr, "vmain edit: %s\n", err);
	}
	if (ret) {
		remove_made(made);
		status = ret == -EINVAL ? CLI_USAGE : CLI_FAILED;
	}
	g_ptr_array_free(made, TRUE);
unlock:
	vm_config_unlock(cfg_fd);
	if (lock_fd >= 0)
		vm_bundle_unlock(lock_fd);
free_config:
	vm_config_free(&cfg);
	g_free(dir);
free_paths:
	vm_paths_free(&paths);
	return status;
}

static const GOptionEntry delete_entries[] = {
	{ "yes", 'y', 0, G_OPTION_ARG_NONE, &opt_yes,
	  "Do not ask (needed without a terminal)", NULL },
	{ NULL, 0, 0, 0, NULL, NULL, NULL }
};

int cmd_delete(int argc, char **argv)
{
	struct vm_paths paths;
	char *name, *dir, err[512], answer[16];
	int status, ret;

	status = cli_parse(&argc, &argv, "delete", "NAME", "delete a VM and its bundle",
		"Removes NAME.vmain and everything in it: config.ini and the disk images\n"
		"inside the bundle (images attached from elsewhere stay where they are).\n"
		"A running VM is refused.  Asks first, unless --yes.\n"
		"\n"
		"Exit status: 0 deleted; 1 failed, or not confirmed; 2 bad usage; 4 the VM\n"
		"runs; 5 no such VM.\n",
		delete_entries, &name, &paths);
	if (status)
		return status;
	status = cli_bundle_exists("delete", &paths, name);
	if (status)
		goto free_paths;
	dir = vm_bundle_dir(&paths, name);
	if (!opt_yes) {
		if (!isatty(STDIN_FILENO)) {
			fprintf(stderr, "vmain delete: not deleting %s without a terminal to ask "
				"on; use --yes\n", dir);
			status = CLI_FAILED;
			goto free_dir;
		}
		fprintf(stderr, "Delete VM %s and everything in %s? [y/N] ", name, dir);
		if (!fgets(answer, sizeof(answer), stdin) ||
		    (answer[0] != 'y' && answer[0] != 'Y')) {
			fprintf(stderr, "vmain delete: %s kept\n", name);
			status = CLI_FAILED;
			goto free_dir;
		}
	}
	ret = vm_bundle_delete(&paths, name, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "vmain delete: %s\n", err);
		status = ret == -EBUSY ? CLI_STATE : ret == -ENOENT ? CLI_NO_VM : CLI_FAILED;
	}
free_dir:
	g_free(dir);
free_paths:
	vm_paths_free(&paths);
	return status;
}
