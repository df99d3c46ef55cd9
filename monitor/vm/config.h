/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vm/config.h - a VM's settings: NAME.vmain/config.ini (docs/bundles.md
 * lists every key, its values and its default).
 */
#ifndef VMAIN_MONITOR_VM_CONFIG_H
#define VMAIN_MONITOR_VM_CONFIG_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VM_NAME_MAX		64
#define VM_MAX_DISKS		16
#define VM_MAX_NETS		8
#define VM_MEMORY_MIN		(32ull << 20)
#define VM_MEMORY_MAX		(1ull << 40)
#define VM_MEMORY_DEFAULT	(512ull << 20)
#define VM_CPUS_MAX		255
#define VM_IO_THREADS_MAX	64
#define VM_STOP_TIMEOUT_MAX	3600

struct vm_disk_config {
	char *file;	/* as written in config.ini: relative paths are relative to the bundle */
	char *path;	/* resolved absolute path */
	char *spec;	/* the same disk in `vmain run --disk` syntax: "PATH[,format=..,cache=..,readonly=on,serial=..,max-dirty=..,max-age=..]" with ',' in PATH doubled (see monitor/disk/options.h) */
};

/*
 * A NIC.  The spec is canonical (net_options_format(): every default
 * spelled out) and always has mac=: a NIC given without one gets
 * net_mac_derive(uuid, index) when it is added, and that MAC is then
 * written into config.ini so it stays the NIC's whatever is renumbered.
 */
struct vm_net_config {
	char *spec;	/* the NIC in `vmain run --net` syntax (monitor/net/options.h) */
};

enum vm_stop_action { VM_STOP_POWEROFF, VM_STOP_KILL };

struct vm_config {
	uint8_t uuid[16];	/* stable per bundle: made once at create */
	uint64_t memory;	/* bytes: multiple of 4 KiB, 32 MiB .. 1 TiB */
	unsigned int cpus;	/* 1..255 */
	char *accel;		/* "auto" (default), "vmain" or "kvm" */
	char *kernel, *initrd;	/* resolved absolute paths; NULL: none */
	char *append;		/* kernel command line, "" default */
	struct vm_disk_config *disks;
	unsigned int nr_disks;	/* at most 16 */
	struct vm_net_config *nets;
	unsigned int nr_nets;	/* at most VM_MAX_NETS; none by default */
	char *serial;		/* "console" (default: the console channel), "none", or a resolved file path */
	bool autostart;		/* default false */
	enum vm_stop_action stop_action;	/* default poweroff */
	unsigned int stop_timeout;	/* seconds to wait after the ACPI power button, default 30 (1..3600) */
	bool pvclock;		/* default true */
	unsigned int io_threads;	/* 1..64, default 4 */
	/*
	 * [display]: a screen (a virtio-gpu and input devices, Display1 on
	 * the API), off by default.  Whenever vnc is set display is true
	 * too (a VNC server shows the screen); the vnc_* fields are only
	 * set with vnc.
	 */
	bool display;
	unsigned int display_width, display_height;	/* the guest's first size; 0: none given (1024x768) */
	char *vnc;		/* where VNC listens, a `vmain run --vnc` spec (display/vnc-options.h); NULL: no VNC */
	bool vnc_listen_any;	/* an address beyond loopback may be used (with a password) */
	char *vnc_password_file;	/* as written in config.ini: relative paths are relative to the bundle; NULL: none */
	char *vnc_password_path;	/* resolved absolute path */
	/*
	 * [cdrom]: a CD/DVD drive (on AHCI, or on IDE when a disk is:
	 * machine/ata-ctl.h), with the disc cdrom_file in it, or empty
	 * (cdrom_file NULL: ejected).  `vmain cdrom` keeps it current.
	 */
	bool cdrom;
	char *cdrom_file;	/* as written in config.ini: relative paths are relative to the bundle */
	char *cdrom_path;	/* resolved absolute path */
};

/*
 * 0 or -EINVAL; err: why, e.g. "names may not contain '/'".  Rules:
 * 1..VM_NAME_MAX bytes, [A-Za-z0-9._-] only, no leading '.' or '-'.
 */
int vm_name_check(const char *name, char *err, size_t errlen);

/* Defaults and a new random UUID (RFC 4122 version 4, from getrandom()). */
void vm_config_init(struct vm_config *cfg);
/* Frees what cfg points to and zeroes it; a zeroed cfg is fine to free. */
void vm_config_free(struct vm_config *cfg);

/*
 * Loads BUNDLE/config.ini into *cfg, which must be initialized
 * (vm_config_init()) or zeroed: its old contents are freed.  -errno and
 * err = "PATH:LINE: [group] key: what is wrong" (line numbers from the
 * file text; unknown groups/keys, bad values, missing required keys,
 * duplicate keys and groups are all errors).  On failure *cfg is left
 * freed and zeroed, so vm_config_free() on it is harmless either way.
 */
int vm_config_load(const char *bundle_dir, struct vm_config *cfg, char *err, size_t errlen);

/*
 * Writes BUNDLE/config.ini atomically: a temporary name in the same
 * directory, fsync, rename, fsync of the directory; mode 0600.  Writes
 * nothing when the file already holds exactly this text.  A config that
 * vm_config_load() would refuse (an initrd or append without a kernel, a
 * value out of range) is not written: -EINVAL, and err says why as load
 * would, the file named "BUNDLE/config.ini (not saved)".
 */
int vm_config_save(const char *bundle_dir, const struct vm_config *cfg, char *err, size_t errlen);

/* The config.ini text (what save writes); g_free() it.  Also the D-Bus `Config` property. */
char *vm_config_to_ini(const struct vm_config *cfg);

/*
 * Adds a disk from a `--disk` spec (monitor/disk/options.h syntax),
 * validated with disk_options_parse().  A relative path is relative to
 * the bundle (a caller with a path relative to its working directory makes
 * it absolute first); an absolute path inside the bundle is stored
 * relative to it, so the bundle can be moved.  -EINVAL + err (bad spec,
 * more than VM_MAX_DISKS, the same file twice).
 */
int vm_config_add_disk(struct vm_config *cfg, const char *bundle_dir, const char *spec,
		       char *err, size_t errlen);

/*
 * The CD/DVD drive: none (drive false, file NULL), empty (drive true,
 * file NULL or ""), or with the disc `file` (relative to the bundle, or
 * absolute: stored relative when inside it, as vm_config_add_disk()
 * does).  The file is not opened here.
 */
void vm_config_set_cdrom(struct vm_config *cfg, const char *bundle_dir, bool drive,
			 const char *file);

/*
 * Adds a NIC from a `--net` spec (monitor/net/options.h syntax), validated
 * with net_options_parse().  Without mac= the NIC gets
 * net_mac_derive(cfg->uuid, N) for the first N from cfg->nr_nets up whose
 * MAC no other NIC has.  -EINVAL + err (bad spec, more than VM_MAX_NETS,
 * a MAC, tap interface or forwarded host port another NIC has).
 */
int vm_config_add_net(struct vm_config *cfg, const char *spec, char *err, size_t errlen);

/*
 * WIDTHxHEIGHT (e.g. 1280x800; each DISPLAY_MIN_* .. DISPLAY_MAX_*, so
 * 64 to 8192) into *w and *h: 0, or -EINVAL and err says why.  The
 * syntax of `--display-size` and of [display] size.
 */
int vm_display_size_parse(const char *s, unsigned int *w, unsigned int *h,
			  char *err, size_t errlen);

/*
 * Sets VNC from a `--vnc` spec (and turns the screen on), or with spec
 * NULL removes it (the screen stays).  The spec is checked with
 * vnc_options_parse(), and the rule that an address beyond loopback
 * needs listen_any and a password file; the file itself is not read
 * here (vmain start reads it).  A relative password_file is relative to
 * the bundle; an absolute one inside the bundle is stored relative to
 * it, as vm_config_add_disk() does.  0 or -EINVAL + err.
 */
int vm_config_set_vnc(struct vm_config *cfg, const char *bundle_dir, const char *spec,
		      bool listen_any, const char *password_file, char *err, size_t errlen);

/* Appends v to s with each ',' doubled, as the --disk syntax wants it. */
void vm_spec_append_escaped(GString *s, const char *v);

/* Lower-case RFC 4122 text, "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx". */
void vm_uuid_format(const uint8_t uuid[16], char out[37]);
/* 0 or -EINVAL (either case; exactly 36 characters, hyphens in place). */
int vm_uuid_parse(const char *s, uint8_t uuid[16]);

#endif
