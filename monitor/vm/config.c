// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vm/config.c - config.ini: names, defaults, loading with line-accurate
 * errors, the text we write, atomic saves (see config.h, docs/bundles.md).
 *
 * Everything in config.ini is checked here, where it enters: the rest of
 * the monitor may take a loaded struct vm_config at its word.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>

#include "disk/options.h"
#include "display/display.h"
#include "display/vnc-options.h"
#include "net/options.h"
#include "size.h"
#include "io/fsync-dir.h"
#include "vm/config.h"
#include "vm/ini.h"

#define CONFIG_FILE	"config.ini"

/* ---- names ---------------------------------------------------------- */

static bool name_char(char c)
{
	return g_ascii_isalnum(c) || c == '.' || c == '_' || c == '-';
}

int vm_name_check(const char *name, char *err, size_t errlen)
{
	size_t i, len = strlen(name);

	if (!len) {
		snprintf(err, errlen, "names may not be empty");
		return -EINVAL;
	}
	if (len > VM_NAME_MAX) {
		snprintf(err, errlen, "names may not be longer than %d bytes", VM_NAME_MAX);
		return -EINVAL;
	}
	/* '.' first would hide the bundle and allow "." and ".."; '-' would read as an option. */
	if (name[0] == '.' || name[0] == '-') {
		snprintf(err, errlen, "names may not start with '%c'", name[0]);
		return -EINVAL;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = name[i];

		if (name_char(c))
			continue;
		if (c > 0x20 && c < 0x7f)
			snprintf(err, errlen, "names may not contain '%c' (letters, digits, "
				 "'.', '_' and '-' only)", c);
		else
			snprintf(err, errlen, "names may not contain byte 0x%02x (letters, "
				 "digits, '.', '_' and '-' only)", c);
		return -EINVAL;
	}
	return 0;
}

/* ---- UUIDs ---------------------------------------------------------- */

static void random_bytes(uint8_t *buf, size_t len)
{
	size_t done = 0;
	int fd;

	while (done < len) {
		ssize_t n = getrandom(buf + done, len - done, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		done += n;
	}
	if (done == len)
		return;
	fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		while (done < len) {
			ssize_t n = read(fd, buf + done, len - done);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			done += n;
		}
		close(fd);
	}
	/* Neither (a seccomp filter, no /dev): GLib's generator, seeded from the clock. */
	for (; done < len; done++)
		buf[done] = (uint8_t)g_random_int();
}

void vm_uuid_format(const uint8_t uuid[16], char out[37])
{
	static const char hex[] = "0123456789abcdef";
	unsigned int i;
	char *p = out;

	for (i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*p++ = '-';
		*p++ = hex[uuid[i] >> 4];
		*p++ = hex[uuid[i] & 15];
	}
	*p = 0;
}

int vm_uuid_parse(const char *s, uint8_t uuid[16])
{
	unsigned int i, pos = 0;

	if (strlen(s) != 36)
		return -EINVAL;
	for (i = 0; i < 16; i++) {
		int hi, lo;

		if (pos == 8 || pos == 13 || pos == 18 || pos == 23) {
			if (s[pos] != '-')
				return -EINVAL;
			pos++;
		}
		hi = g_ascii_xdigit_value(s[pos]);
		lo = g_ascii_xdigit_value(s[pos + 1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		uuid[i] = (uint8_t)(hi << 4 | lo);
		pos += 2;
	}
	return 0;
}

/* ---- defaults ------------------------------------------------------- */

static void config_defaults(struct vm_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->memory = VM_MEMORY_DEFAULT;
	cfg->cpus = 1;
	cfg->accel = g_strdup("auto");
	cfg->append = g_strdup("");
	cfg->serial = g_strdup("console");
	cfg->stop_action = VM_STOP_POWEROFF;
	cfg->stop_timeout = 30;
	cfg->pvclock = true;
	cfg->io_threads = 4;
}

void vm_config_init(struct vm_config *cfg)
{
	config_defaults(cfg);
	random_bytes(cfg->uuid, sizeof(cfg->uuid));
	/* RFC 4122 4.4: version 4 in the high nibble of byte 6, variant 10 in byte 8. */
	cfg->uuid[6] = (cfg->uuid[6] & 0x0f) | 0x40;
	cfg->uuid[8] = (cfg->uuid[8] & 0x3f) | 0x80;
}

static void disk_config_free(struct vm_disk_config *d)
{
	g_free(d->file);
	g_free(d->path);
	g_free(d->spec);
}

void vm_config_free(struct vm_config *cfg)
{
	unsigned int i;

	g_free(cfg->accel);
	g_free(cfg->kernel);
	g_free(cfg->initrd);
	g_free(cfg->append);
	g_free(cfg->serial);
	for (i = 0; i < cfg->nr_disks; i++)
		disk_config_free(&cfg->disks[i]);
	g_free(cfg->disks);
	for (i = 0; i < cfg->nr_nets; i++)
		g_free(cfg->nets[i].spec);
	g_free(cfg->nets);
	g_free(cfg->vnc);
	g_free(cfg->vnc_password_file);
	g_free(cfg->vnc_password_path);
	g_free(cfg->cdrom_file);
	g_free(cfg->cdrom_path);
	memset(cfg, 0, sizeof(*cfg));
}

/* ---- paths ---------------------------------------------------------- */

/* The bundle as an absolute path (lexically: ".." and "." folded). */
static char *bundle_abs(const char *bundle_dir)
{
	return g_canonicalize_filename(bundle_dir, NULL);
}

/*
 * A file named on the command line or in config.ini: *path resolved
 * (relative to the bundle unless absolute), *stored what config.ini
 * keeps, relative to the bundle when inside it so that the bundle can
 * be moved.
 */
static void bundle_file(const char *babs, const char *file, char **stored, char **path)
{
	g_autofree char *prefix = g_strconcat(babs, "/", NULL);

	*path = g_canonicalize_filename(file, babs);
	if (g_str_has_prefix(*path, prefix) && (*path)[strlen(prefix)])
		*stored = g_strdup(*path + strlen(prefix));
	else if (g_path_is_absolute(file))
		*stored = g_strdup(*path);
	else
		*stored = g_strdup(file);	/* relative, reaching out of the bundle: as given */
}

void vm_spec_append_escaped(GString *s, const char *v)
{
	for (; *v; v++) {
		if (*v == ',')
			g_string_append_c(s, ',');
		g_string_append_c(s, *v);
	}
}

/* ---- disks ---------------------------------------------------------- */

void vm_config_set_cdrom(struct vm_config *cfg, const char *bundle_dir, bool drive,
			 const char *file)
{
	g_autofree char *babs = NULL;

	g_free(cfg->cdrom_file);
	g_free(cfg->cdrom_path);
	cfg->cdrom_file = cfg->cdrom_path = NULL;
	cfg->cdrom = drive || file;
	if (!file || !*file)
		return;
	babs = bundle_abs(bundle_dir);
	bundle_file(babs, file, &cfg->cdrom_file, &cfg->cdrom_path);
}

static const char *format_name(enum disk_format f)
{
	return f == DISK_FORMAT_RAW ? "raw" : f == DISK_FORMAT_QCOW2 ? "qcow2" : "auto";
}

static const char *bus_name(enum disk_bus b)
{
	return b == DISK_BUS_AHCI ? "ahci" : b == DISK_BUS_IDE ? "ide" : "virtio";
}

static const char *cache_name(enum wcache_mode m)
{
	return m == WCACHE_WRITETHROUGH ? "writethrough" : m == WCACHE_DIRECT ? "none" :
	       "writeback";
}

/* A byte count in the --disk syntax: the largest of K, M, G that divides it. */
static char *disk_size_text(uint64_t n)
{
	static const char units[] = "GMK";
	unsigned int i;

	for (i = 0; i < 3; i++) {
		unsigned int shift = 30 - 10 * i;

		if (n && !(n & ((1ull << shift) - 1)))
			return g_strdup_printf("%llu%c", (unsigned long long)(n >> shift), units[i]);
	}
	return g_strdup_printf("%llu", (unsigned long long)n);
}

/* The spec of `path` with the options `o` (defaults left out). */
static char *disk_spec(const char *path, const struct disk_options *o)
{
	GString *s = g_string_new(NULL);

	vm_spec_append_escaped(s, path);
	if (o->format != DISK_FORMAT_AUTO)
		g_string_append_printf(s, ",format=%s", format_name(o->format));
	if (o->cache != WCACHE_WRITEBACK)
		g_string_append_printf(s, ",cache=%s", cache_name(o->cache));
	if (o->readonly)
		g_string_append(s, ",readonly=on");
	if (o->serial[0]) {
		g_string_append(s, ",serial=");
		vm_spec_append_escaped(s, o->serial);
	}
	if (o->max_dirty) {
		g_autofree char *t = disk_size_text(o->max_dirty);

		g_string_append_printf(s, ",max-dirty=%s", t);
	}
	if (o->max_age_ns)
		g_string_append_printf(s, ",max-age=%llu",
				       (unsigned long long)(o->max_age_ns / 1000000));
	if (o->bus != DISK_BUS_VIRTIO)
		g_string_append_printf(s, ",if=%s", bus_name(o->bus));
	return g_string_free(s, false);
}

/* 0 when no disk of cfg other than `skip` is `path`. */
static int disk_find(const struct vm_config *cfg, const char *path, unsigned int skip)
{
	unsigned int i;

	for (i = 0; i < cfg->nr_disks; i++)
		if (i != skip && !strcmp(cfg->disks[i].path, path))
			return (int)i;
	return -1;
}

int vm_config_add_disk(struct vm_config *cfg, const char *bundle_dir, const char *spec,
		       char *err, size_t errlen)
{
	g_autofree char *babs = bundle_abs(bundle_dir);
	struct vm_disk_config d;
	struct disk_options o;
	char *file = NULL;
	int ret, dup;

	if (cfg->nr_disks >= VM_MAX_DISKS) {
		snprintf(err, errlen, "at most %d disks", VM_MAX_DISKS);
		return -EINVAL;
	}
	ret = disk_options_parse(spec, &o, &file, err, errlen);
	if (ret)
		return ret;
	bundle_file(babs, file, &d.file, &d.path);
	free(file);
	dup = disk_find(cfg, d.path, cfg->nr_disks);
	if (dup >= 0) {
		snprintf(err, errlen, "%s: already disk%d", d.path, dup);
		g_free(d.path);
		g_free(d.file);
		return -EINVAL;
	}
	d.spec = disk_spec(d.path, &o);
	cfg->disks = g_renew(struct vm_disk_config, cfg->disks, cfg->nr_disks + 1);
	cfg->disks[cfg->nr_disks++] = d;
	return 0;
}

/* ---- NICs ----------------------------------------------------------- */

static void mac_text(const uint8_t mac[6], char out[18])
{
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3],
		 mac[4], mac[5]);
}

/* NIC i's options (its spec was checked when it was added or loaded). */
static bool net_get(const struct vm_config *cfg, unsigned int i, struct net_options *o)
{
	char why[256];

	return cfg->nets[i].spec && !net_options_parse(cfg->nets[i].spec, o, why, sizeof(why));
}

static bool fwd_overlap(const struct net_hostfwd *a, const struct net_hostfwd *b)
{
	/* 0.0.0.0 binds every address: it takes the port on all of them. */
	return a->udp == b->udp && a->host_port == b->host_port &&
	       (a->host_addr.s_addr == b->host_addr.s_addr || !a->host_addr.s_addr ||
		!b->host_addr.s_addr);
}

/*
 * Whether `o`, to be NIC `self`, clashes with NIC 0 .. n-1 (self left
 * out): the same MAC (two NICs on one segment would take each other's
 * frames), the same tap interface, or a host port both forward (the
 * second bind(2) would fail at start).  -1, or the key it is about in
 * *key and why in `why`.
 */
static int net_clash(const struct vm_config *cfg, unsigned int n, unsigned int self,
		     const struct net_options *o, const char **key, char *why, size_t len)
{
	struct net_options p;
	char a[INET_ADDRSTRLEN], mac[18];
	unsigned int i, f, g;

	for (i = 0; i < n; i++) {
		if (i == self || !net_get(cfg, i, &p))
			continue;
		if (o->mac_set && p.mac_set && !memcmp(o->mac, p.mac, 6)) {
			mac_text(o->mac, mac);
			snprintf(why, len, "the MAC address %s is net%u's already", mac, i);
			*key = "mac";
			return (int)i;
		}
		if (o->kind == NET_KIND_TAP && p.kind == NET_KIND_TAP &&
		    !strcmp(o->ifname, p.ifname)) {
			snprintf(why, len, "the tap interface %s is net%u's already", o->ifname, i);
			*key = "ifname";
			return (int)i;
		}
		if (o->kind != NET_KIND_USER || p.kind != NET_KIND_USER)
			continue;
		for (f = 0; f < o->nr_hostfwd; f++) {
			for (g = 0; g < p.nr_hostfwd; g++) {
				if (!fwd_overlap(&o->hostfwd[f], &p.hostfwd[g]))
					continue;
				inet_ntop(AF_INET, &o->hostfwd[f].host_addr, a, sizeof(a));
				snprintf(why, len, "host port %s %s:%u is forwarded by net%u already",
					 o->hostfwd[f].udp ? "udp" : "tcp", a,
					 o->hostfwd[f].host_port, i);
				*key = "hostfwd";
				return (int)i;
			}
		}
	}
	return -1;
}

/*
 * A MAC for a NIC given none: net_mac_derive() of the first index from
 * `index` up whose MAC no other NIC has (after a NIC was removed by hand,
 * index N's MAC may be another NIC's).
 */
static void net_pick_mac(const struct vm_config *cfg, unsigned int n, unsigned int self,
			 unsigned int index, struct net_options *o)
{
	struct net_options p;
	unsigned int i, tries;
	bool taken;

	/* Each NIC takes at most one index: n + 1 tries always find a free one. */
	for (tries = 0; tries <= n; tries++, index++) {
		net_mac_derive(cfg->uuid, index, o->mac);
		taken = false;
		for (i = 0; i < n && !taken; i++)
			taken = i != self && net_get(cfg, i, &p) && p.mac_set &&
				!memcmp(p.mac, o->mac, 6);
		if (!taken)
			break;
	}
	o->mac_set = true;
}

static char *net_spec(const struct net_options *o)
{
	char buf[NET_MAX_HOSTFWD * 64 + 128];

	/* Sized for the most a spec can hold: it fits. */
	if (net_options_format(o, buf, sizeof(buf)) < 0)
		return NULL;
	return g_strdup(buf);
}

int vm_config_add_net(struct vm_config *cfg, const char *spec, char *err, size_t errlen)
{
	struct net_options o;
	const char *key;
	int ret;

	if (cfg->nr_nets >= VM_MAX_NETS) {
		snprintf(err, errlen, "at most %d network interfaces", VM_MAX_NETS);
		return -EINVAL;
	}
	ret = net_options_parse(spec, &o, err, errlen);
	if (ret)
		return ret;
	if (!o.mac_set)
		net_pick_mac(cfg, cfg->nr_nets, cfg->nr_nets, cfg->nr_nets, &o);
	if (net_clash(cfg, cfg->nr_nets, cfg->nr_nets, &o, &key, err, errlen) >= 0)
		return -EINVAL;
	cfg->nets = g_renew(struct vm_net_config, cfg->nets, cfg->nr_nets + 1);
	cfg->nets[cfg->nr_nets].spec = net_spec(&o);
	cfg->nr_nets++;
	return 0;
}

/* ---- the display ---------------------------------------------------- */

int vm_display_size_parse(const char *s, unsigned int *w, unsigned int *h,
			  char *err, size_t errlen)
{
	unsigned long v[2];
	const char *p = s;
	unsigned int i;

	for (i = 0; i < 2; i++) {
		if (!g_ascii_isdigit(*p))
			goto syntax;
		/* Saturating: 99999999999x1 is out of range, not wrapped into it. */
		for (v[i] = 0; g_ascii_isdigit(*p); p++)
			v[i] = v[i] > 100000 ? v[i] : v[i] * 10 + (unsigned int)(*p - '0');
		if (!i && *p++ != 'x')
			goto syntax;
	}
	if (*p)
		goto syntax;
	if (v[0] < DISPLAY_MIN_WIDTH || v[0] > DISPLAY_MAX_WIDTH ||
	    v[1] < DISPLAY_MIN_HEIGHT || v[1] > DISPLAY_MAX_HEIGHT) {
		snprintf(err, errlen, "the width must be %d to %d and the height %d to %d",
			 DISPLAY_MIN_WIDTH, DISPLAY_MAX_WIDTH, DISPLAY_MIN_HEIGHT,
			 DISPLAY_MAX_HEIGHT);
		return -EINVAL;
	}
	*w = (unsigned int)v[0];
	*h = (unsigned int)v[1];
	return 0;
syntax:
	snprintf(err, errlen, "not WIDTHxHEIGHT (e.g. 1280x800)");
	return -EINVAL;
}

/*
 * A VNC setting as config.ini may hold it: the spec by the --vnc parser
 * itself (the two syntaxes cannot drift), and vnc_options_check()'s rule
 * with "a password file is named" for "a password was read": the file is
 * read when the VM starts, so that a bundle whose file went missing can
 * still be listed and edited.  0, or -EINVAL with why and the [display]
 * key it is about.
 */
static int vnc_rule(const char *spec, bool listen_any, bool password, const char **key,
		    char *why, size_t len)
{
	struct vnc_options o;

	*key = "vnc";
	if (vnc_options_parse(spec, &o, why, len))
		return -EINVAL;
	if (vnc_options_loopback(&o))
		return 0;
	if (!listen_any) {
		snprintf(why, len, "'%s': not a loopback address: listening beyond this host "
			 "needs vnc-listen-any = true and a vnc-password-file", spec);
		return -EINVAL;
	}
	if (!password) {
		*key = "vnc-listen-any";
		snprintf(why, len, "'%s' is beyond loopback: it needs a vnc-password-file too "
			 "(whoever reaches the port drives the VM's keyboard and mouse)", spec);
		return -EINVAL;
	}
	return 0;
}

int vm_config_set_vnc(struct vm_config *cfg, const char *bundle_dir, const char *spec,
		      bool listen_any, const char *password_file, char *err, size_t errlen)
{
	g_autofree char *babs = NULL;
	const char *key;
	char why[512];

	if (spec && vnc_rule(spec, listen_any, password_file != NULL, &key, why, sizeof(why))) {
		snprintf(err, errlen, "[display] %s: %s", key, why);
		return -EINVAL;
	}
	if (password_file && !*password_file) {
		snprintf(err, errlen, "[display] vnc-password-file: an empty file name");
		return -EINVAL;
	}
	g_free(cfg->vnc);
	g_free(cfg->vnc_password_file);
	g_free(cfg->vnc_password_path);
	cfg->vnc = NULL;
	cfg->vnc_password_file = cfg->vnc_password_path = NULL;
	cfg->vnc_listen_any = false;
	if (!spec)
		return 0;
	cfg->display = true;
	cfg->vnc = g_strdup(spec);
	cfg->vnc_listen_any = listen_any;
	if (password_file) {
		babs = bundle_abs(bundle_dir);
		bundle_file(babs, password_file, &cfg->vnc_password_file, &cfg->vnc_password_path);
	}
	return 0;
}

/* ---- loading -------------------------------------------------------- */

static const char *const vm_keys[] = {
	"uuid", "memory", "cpus", "accel", "serial", "autostart", "stop-action",
	"stop-timeout", "pvclock", "io-threads", NULL
};
static const char *const boot_keys[] = { "kernel", "initrd", "append", NULL };
static const char *const disk_keys[] = {
	"file", "format", "cache", "readonly", "serial", "max-dirty", "max-age", "if", NULL
};
static const char *const cdrom_keys[] = { "file", NULL };
static const char *const net_keys[] = {
	"type", "mac", "hostfwd", "restrict", "net", "ifname", "queues", NULL
};
static const char *const display_keys[] = {
	"enabled", "size", "vnc", "vnc-listen-any", "vnc-password-file", NULL
};

struct loader {
	struct ini_file ini;
	char *babs;		/* the bundle, absolute */
	char *err;
	size_t errlen;
};

static int get_uint(struct loader *l, const char *g, const char *k, unsigned int min,
		    unsigned int max, unsigned int *out)
{
	g_autofree char *v = NULL;
	unsigned long long n = 0;
	const char *p;
	int ret = ini_get(&l->ini, g, k, &v, l->err, l->errlen);

	if (ret || !v)
		return ret;
	for (p = v; g_ascii_isdigit(*p) && n <= max; p++)
		n = n * 10 + (unsigned int)(*p - '0');
	if (p == v || *p || n < min || n > max)
		return ini_error(&l->ini, l->err, l->errlen, g, k,
				 "'%s': a whole number from %u to %u", v, min, max);
	*out = (unsigned int)n;
	return 0;
}

static int get_bool(struct loader *l, const char *g, const char *k, bool *out)
{
	g_autofree char *v = NULL;
	int ret = ini_get(&l->ini, g, k, &v, l->err, l->errlen);

	if (ret || !v)
		return ret;
	if (!strcmp(v, "true"))
		*out = true;
	else if (!strcmp(v, "false"))
		*out = false;
	else
		return ini_error(&l->ini, l->err, l->errlen, g, k,
				 "'%s': must be true or false", v);
	return 0;
}

/* One of `choices` (NULL-terminated, with `help` listing them): *out is the value. */
static int get_choice(struct loader *l, const char *g, const char *k,
		      const char *const *choices, const char *help, char **out)
{
	g_autofree char *v = NULL;
	const char *const *c;
	int ret = ini_get(&l->ini, g, k, &v, l->err, l->errlen);

	if (ret || !v)
		return ret;
	for (c = choices; *c; c++) {
		if (!strcmp(*c, v)) {
			g_free(*out);
			*out = g_steal_pointer(&v);
			return 0;
		}
	}
	return ini_error(&l->ini, l->err, l->errlen, g, k, "'%s': must be %s", v, help);
}

/* A file name, relative to the bundle unless absolute; *out resolved. */
static int get_path(struct loader *l, const char *g, const char *k, char **out)
{
	g_autofree char *v = NULL;
	int ret = ini_get(&l->ini, g, k, &v, l->err, l->errlen);

	if (ret || !v)
		return ret;
	if (!*v)
		return ini_error(&l->ini, l->err, l->errlen, g, k, "an empty file name");
	g_free(*out);
	*out = g_canonicalize_filename(v, l->babs);
	return 0;
}

static int load_memory(struct loader *l, struct vm_config *cfg)
{
	g_autofree char *v = NULL;
	const char *why;
	uint64_t m;
	int ret = ini_get(&l->ini, "vm", "memory", &v, l->err, l->errlen);

	if (ret || !v)
		return ret;
	why = size_parse(v, 20, &m);
	if (why)
		return ini_error(&l->ini, l->err, l->errlen, "vm", "memory", "'%s': %s", v, why);
	if (m & 4095)
		return ini_error(&l->ini, l->err, l->errlen, "vm", "memory",
				 "'%s': not a multiple of 4K", v);
	if (m < VM_MEMORY_MIN || m > VM_MEMORY_MAX)
		return ini_error(&l->ini, l->err, l->errlen, "vm", "memory",
				 "'%s': from 32M to 1T", v);
	cfg->memory = m;
	return 0;
}

static int load_serial(struct loader *l, struct vm_config *cfg)
{
	g_autofree char *v = NULL;
	int ret = ini_get(&l->ini, "vm", "serial", &v, l->err, l->errlen);

	if (ret || !v)
		return ret;
	if (!*v)
		return ini_error(&l->ini, l->err, l->errlen, "vm", "serial",
				 "empty (console, none or a file name)");
	g_free(cfg->serial);
	if (!strcmp(v, "console") || !strcmp(v, "none"))
		cfg->serial = g_steal_pointer(&v);
	else
		cfg->serial = g_canonicalize_filename(v, l->babs);
	return 0;
}

static int load_vm(struct loader *l, struct vm_config *cfg)
{
	static const char *const accels[] = { "auto", "vmain", "kvm", NULL };
	static const char *const actions[] = { "poweroff", "kill", NULL };
	g_autofree char *uuid = NULL, *action = NULL;
	int ret;

	ret = ini_check_keys(&l->ini, "vm", vm_keys, l->err, l->errlen);
	if (ret)
		return ret;
	ret = ini_get(&l->ini, "vm", "uuid", &uuid, l->err, l->errlen);
	if (ret)
		return ret;
	if (!uuid)
		return ini_error(&l->ini, l->err, l->errlen, "vm", "uuid",
				 "missing (every bundle has one, made when it is created)");
	if (vm_uuid_parse(uuid, cfg->uuid))
		return ini_error(&l->ini, l->err, l->errlen, "vm", "uuid",
				 "'%s': not a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)", uuid);
	if (!memcmp(cfg->uuid, (uint8_t[16]){ 0 }, 16))
		return ini_error(&l->ini, l->err, l->errlen, "vm", "uuid",
				 "the nil UUID is not a VM's");
	ret = load_memory(l, cfg);
	if (!ret)
		ret = get_uint(l, "vm", "cpus", 1, VM_CPUS_MAX, &cfg->cpus);
	if (!ret)
		ret = get_choice(l, "vm", "accel", accels, "auto, vmain or kvm", &cfg->accel);
	if (!ret)
		ret = load_serial(l, cfg);
	if (!ret)
		ret = get_bool(l, "vm", "autostart", &cfg->autostart);
	if (!ret)
		ret = get_choice(l, "vm", "stop-action", actions, "poweroff or kill", &action);
	if (!ret && action)
		cfg->stop_action = strcmp(action, "kill") ? VM_STOP_POWEROFF : VM_STOP_KILL;
	if (!ret)
		ret = get_uint(l, "vm", "stop-timeout", 1, VM_STOP_TIMEOUT_MAX, &cfg->stop_timeout);
	if (!ret)
		ret = get_bool(l, "vm", "pvclock", &cfg->pvclock);
	if (!ret)
		ret = get_uint(l, "vm", "io-threads", 1, VM_IO_THREADS_MAX, &cfg->io_threads);
	return ret;
}

static int load_boot(struct loader *l, struct vm_config *cfg)
{
	g_autofree char *append = NULL;
	int ret;

	if (!g_key_file_has_group(l->ini.kf, "boot"))
		return 0;
	ret = ini_check_keys(&l->ini, "boot", boot_keys, l->err, l->errlen);
	if (!ret)
		ret = get_path(l, "boot", "kernel", &cfg->kernel);
	if (!ret)
		ret = get_path(l, "boot", "initrd", &cfg->initrd);
	if (!ret)
		ret = ini_get(&l->ini, "boot", "append", &append, l->err, l->errlen);
	if (ret)
		return ret;
	if (!cfg->kernel && cfg->initrd)
		return ini_error(&l->ini, l->err, l->errlen, "boot", "initrd",
				 "an initrd needs a kernel= in [boot]");
	if (!cfg->kernel && append && *append)
		return ini_error(&l->ini, l->err, l->errlen, "boot", "append",
				 "a command line needs a kernel= in [boot]");
	if (append) {
		g_free(cfg->append);
		cfg->append = g_steal_pointer(&append);
	}
	return 0;
}

/*
 * [display]: the screen is on with enabled = true or with vnc= (a VNC
 * server shows it, as `vmain run --vnc` implies --display); what makes
 * sense only with one of them is refused without, so that a file never
 * says more than the VM does.
 */
static int load_display(struct loader *l, struct vm_config *cfg)
{
	static const char g[] = "display";
	g_autofree char *size = NULL, *vnc = NULL, *pw = NULL;
	bool enabled = false, listen_any = false;
	const char *key;
	char why[512];
	int ret;

	if (!g_key_file_has_group(l->ini.kf, g))
		return 0;
	ret = ini_check_keys(&l->ini, g, display_keys, l->err, l->errlen);
	if (!ret)
		ret = get_bool(l, g, "enabled", &enabled);
	if (!ret)
		ret = ini_get(&l->ini, g, "size", &size, l->err, l->errlen);
	if (!ret)
		ret = ini_get(&l->ini, g, "vnc", &vnc, l->err, l->errlen);
	if (!ret)
		ret = get_bool(l, g, "vnc-listen-any", &listen_any);
	if (!ret)
		ret = ini_get(&l->ini, g, "vnc-password-file", &pw, l->err, l->errlen);
	if (ret)
		return ret;
	if (size && vm_display_size_parse(size, &cfg->display_width, &cfg->display_height,
					  why, sizeof(why)))
		return ini_error(&l->ini, l->err, l->errlen, g, "size", "'%s': %s", size, why);
	if (vnc && !enabled && g_key_file_has_key(l->ini.kf, g, "enabled", NULL))
		return ini_error(&l->ini, l->err, l->errlen, g, "vnc",
				 "a VNC server shows the screen: not with enabled = false");
	if (size && !enabled && !vnc)
		return ini_error(&l->ini, l->err, l->errlen, g, "size",
				 "only with a screen (enabled = true, or vnc=)");
	if (!vnc && g_key_file_has_key(l->ini.kf, g, "vnc-listen-any", NULL))
		return ini_error(&l->ini, l->err, l->errlen, g, "vnc-listen-any", "only with vnc=");
	if (!vnc && pw)
		return ini_error(&l->ini, l->err, l->errlen, g, "vnc-password-file",
				 "only with vnc=");
	if (pw && !*pw)
		return ini_error(&l->ini, l->err, l->errlen, g, "vnc-password-file",
				 "an empty file name");
	if (vnc && vnc_rule(vnc, listen_any, pw != NULL, &key, why, sizeof(why)))
		return ini_error(&l->ini, l->err, l->errlen, g, key, "%s", why);
	cfg->display = enabled || vnc;
	cfg->vnc = g_steal_pointer(&vnc);
	cfg->vnc_listen_any = listen_any;
	if (pw)
		bundle_file(l->babs, pw, &cfg->vnc_password_file, &cfg->vnc_password_path);
	return 0;
}

/*
 * One option of [diskN], checked by the --disk parser itself so that the
 * two syntaxes cannot drift; appended to the spec being built.
 */
static int load_disk_option(struct loader *l, const char *g, const char *k, GString *spec)
{
	g_autofree char *v = NULL;
	g_autofree char *path = NULL;
	GString *one = g_string_new("x,");
	struct disk_options o;
	char why[160];
	const char *msg = why;
	int ret = ini_get(&l->ini, g, k, &v, l->err, l->errlen);

	if (ret || !v)
		goto free_one;
	if (!strcmp(k, "readonly")) {
		if (strcmp(v, "true") && strcmp(v, "false")) {
			ret = ini_error(&l->ini, l->err, l->errlen, g, k,
					"'%s': must be true or false", v);
			goto free_one;
		}
		g_string_append(one, !strcmp(v, "true") ? "readonly=on" : "readonly=off");
	} else {
		g_string_append_printf(one, "%s=", k);
		vm_spec_append_escaped(one, v);
	}
	ret = disk_options_parse(one->str, &o, &path, why, sizeof(why));
	if (ret == -ENOMEM)
		goto free_one;
	if (ret) {
		/* The parser's messages start with "KEY=VALUE: " or "KEY: ". */
		if (g_str_has_prefix(why, k) && strstr(why, ": "))
			msg = strstr(why, ": ") + 2;
		ret = ini_error(&l->ini, l->err, l->errlen, g, k, "'%s': %s", v, msg);
		goto free_one;
	}
	g_string_append(spec, one->str + 1);
free_one:
	g_string_free(one, true);
	return ret;
}

static int load_disk(struct loader *l, struct vm_config *cfg, unsigned int i)
{
	g_autofree char *g = g_strdup_printf("disk%u", i);
	g_autofree char *file = NULL;
	struct vm_disk_config *d = &cfg->disks[i];
	char *path = NULL;
	struct disk_options o;
	const char *const *k;
	GString *spec;
	char why[160];
	int ret, dup;

	ret = ini_check_keys(&l->ini, g, disk_keys, l->err, l->errlen);
	if (!ret)
		ret = ini_get(&l->ini, g, "file", &file, l->err, l->errlen);
	if (ret)
		return ret;
	if (!file)
		return ini_error(&l->ini, l->err, l->errlen, g, "file", "missing (the image)");
	if (!*file)
		return ini_error(&l->ini, l->err, l->errlen, g, "file", "an empty file name");
	d->path = g_canonicalize_filename(file, l->babs);
	d->file = g_steal_pointer(&file);
	cfg->nr_disks = i + 1;		/* d is cfg's to free from here */
	dup = disk_find(cfg, d->path, i);
	if (dup >= 0)
		return ini_error(&l->ini, l->err, l->errlen, g, "file",
				 "%s is disk%d already", d->path, dup);
	spec = g_string_new(NULL);
	vm_spec_append_escaped(spec, d->path);
	for (k = disk_keys + 1; *k && !ret; k++)
		ret = load_disk_option(l, g, *k, spec);
	if (ret) {
		g_string_free(spec, true);
		return ret;
	}
	/* Each option passed alone; the whole spec must pass too. */
	ret = disk_options_parse(spec->str, &o, &path, why, sizeof(why));
	g_string_free(spec, true);
	if (ret)
		return ret == -ENOMEM ? ret : ini_error(&l->ini, l->err, l->errlen, g, NULL, "%s", why);
	d->spec = disk_spec(path, &o);
	free(path);
	return 0;
}

/*
 * One option of [netN] but hostfwd, checked by the --net parser itself
 * (alone, with a stand-in ifname= for a tap) so that the two syntaxes
 * cannot drift; appended to the spec being built.
 */
static int load_net_option(struct loader *l, const char *g, const char *k, bool tap,
			   GString *spec)
{
	g_autofree char *v = NULL;
	struct net_options o;
	char why[256];
	const char *msg = why, *val;
	GString *one;
	int ret = ini_get(&l->ini, g, k, &v, l->err, l->errlen);

	if (ret || !v)
		return ret;
	if (!tap && (!strcmp(k, "ifname") || !strcmp(k, "queues")))
		return ini_error(&l->ini, l->err, l->errlen, g, k, "only for type=tap");
	if (tap && (!strcmp(k, "restrict") || !strcmp(k, "net")))
		return ini_error(&l->ini, l->err, l->errlen, g, k, "only for type=user");
	if (strchr(v, ','))
		return ini_error(&l->ini, l->err, l->errlen, g, k, "'%s': no ',' in a value", v);
	val = v;
	if (!strcmp(k, "restrict")) {
		if (strcmp(v, "true") && strcmp(v, "false"))
			return ini_error(&l->ini, l->err, l->errlen, g, k,
					 "'%s': must be true or false", v);
		val = !strcmp(v, "true") ? "on" : "off";
	}
	one = g_string_new(tap ? "tap" : "user");
	if (tap && strcmp(k, "ifname"))
		g_string_append(one, ",ifname=x");
	g_string_append_printf(one, ",%s=%s", k, val);
	ret = net_options_parse(one->str, &o, why, sizeof(why));
	g_string_free(one, true);
	if (ret) {
		/* The parser's messages start with "KEY=VALUE: ". */
		if (g_str_has_prefix(why, k) && why[strlen(k)] == '=' && strstr(why, ": "))
			msg = strstr(why, ": ") + 2;
		return ini_error(&l->ini, l->err, l->errlen, g, k, "'%s': %s", v, msg);
	}
	g_string_append_printf(spec, ",%s=%s", k, val);
	return 0;
}

/*
 * hostfwd: forwards separated by ';' (blanks around each ignored, a
 * trailing ';' allowed, as in a GKeyFile list), each checked with the
 * NIC's net= and the forwards before it, so that an error names the one.
 */
static int load_hostfwd(struct loader *l, const char *g, bool tap, GString *spec)
{
	g_autofree char *v = NULL;
	g_auto(GStrv) items = NULL;
	struct net_options o;
	unsigned int i, n = 0;
	char why[256];
	const char *msg;
	int ret = ini_get(&l->ini, g, "hostfwd", &v, l->err, l->errlen);

	if (ret || !v)
		return ret;
	if (tap)
		return ini_error(&l->ini, l->err, l->errlen, g, "hostfwd", "only for type=user");
	items = g_strsplit(v, ";", -1);
	for (i = 0; items[i]; i++) {
		char *f = g_strstrip(items[i]);
		size_t before = spec->len;

		if (!*f) {
			if (!items[i + 1] && n)
				break;		/* the trailing ';' of a list */
			return ini_error(&l->ini, l->err, l->errlen, g, "hostfwd",
					 "'%s': an empty forward (forwards are separated by "
					 "';')", v);
		}
		if (strchr(f, ','))
			return ini_error(&l->ini, l->err, l->errlen, g, "hostfwd",
					 "'%s': no ',' in a forward (forwards are separated by "
					 "';')", f);
		g_string_append_printf(spec, ",hostfwd=%s", f);
		ret = net_options_parse(spec->str, &o, why, sizeof(why));
		if (ret) {
			g_string_truncate(spec, before);
			msg = why;
			if (g_str_has_prefix(why, "hostfwd=") && strstr(why, ": "))
				msg = strstr(why, ": ") + 2;
			return ini_error(&l->ini, l->err, l->errlen, g, "hostfwd", "'%s': %s",
					 f, msg);
		}
		n++;
	}
	if (!n)		/* g_strsplit() gives no items at all for "" */
		return ini_error(&l->ini, l->err, l->errlen, g, "hostfwd",
				 "'%s': an empty forward (forwards are separated by ';')", v);
	return 0;
}

/*
 * [netN] into cfg->nets[i]; a NIC without mac= gets its MAC once every
 * group is read (load_net_macs()), so that it can avoid all of theirs.
 */
static int load_net(struct loader *l, struct vm_config *cfg, unsigned int i)
{
	static const char *const opts[] = { "mac", "restrict", "net", "ifname", "queues", NULL };
	g_autofree char *g = g_strdup_printf("net%u", i);
	g_autofree char *type = NULL;
	const char *const *k;
	struct net_options o;
	const char *key;
	GString *spec;
	char why[256];
	bool tap;
	int ret;

	cfg->nr_nets = i + 1;		/* nets[i] is cfg's to free from here */
	ret = ini_check_keys(&l->ini, g, net_keys, l->err, l->errlen);
	if (!ret)
		ret = ini_get(&l->ini, g, "type", &type, l->err, l->errlen);
	if (ret)
		return ret;
	if (!type)
		return ini_error(&l->ini, l->err, l->errlen, g, "type", "missing (user or tap)");
	if (strcmp(type, "user") && strcmp(type, "tap"))
		return ini_error(&l->ini, l->err, l->errlen, g, "type",
				 "'%s': must be user or tap", type);
	tap = !strcmp(type, "tap");
	if (tap && !g_key_file_has_key(l->ini.kf, g, "ifname", NULL))
		return ini_error(&l->ini, l->err, l->errlen, g, "ifname",
				 "missing (the name of an existing tap interface)");
	spec = g_string_new(type);
	for (k = opts; *k && !ret; k++)
		ret = load_net_option(l, g, *k, tap, spec);
	if (!ret)
		ret = load_hostfwd(l, g, tap, spec);
	if (ret) {
		g_string_free(spec, true);
		return ret;
	}
	/* Each option passed alone; the whole spec must pass too. */
	ret = net_options_parse(spec->str, &o, why, sizeof(why));
	g_string_free(spec, true);
	if (ret)
		return ini_error(&l->ini, l->err, l->errlen, g, NULL, "%s", why);
	if (net_clash(cfg, i, i, &o, &key, why, sizeof(why)) >= 0)
		return ini_error(&l->ini, l->err, l->errlen, g, key, "%s", why);
	cfg->nets[i].spec = net_spec(&o);
	return 0;
}

/* The NICs written without mac=: each gets its derived MAC (config.h). */
static void load_net_macs(struct vm_config *cfg)
{
	struct net_options o;
	unsigned int i;

	for (i = 0; i < cfg->nr_nets; i++) {
		if (!net_get(cfg, i, &o) || o.mac_set)
			continue;
		net_pick_mac(cfg, cfg->nr_nets, i, i, &o);
		g_free(cfg->nets[i].spec);
		cfg->nets[i].spec = net_spec(&o);
	}
}

/* PREFIX0 .. PREFIX<big> (no leading zeros) -> 0 and *i. */
static int group_index(const char *g, const char *prefix, unsigned int *i)
{
	size_t len = strlen(prefix);
	const char *p = g + len;

	if (strncmp(g, prefix, len) || !g_ascii_isdigit(*p) || (*p == '0' && p[1]))
		return -EINVAL;
	for (*i = 0; g_ascii_isdigit(*p); p++)	/* saturating: disk99999999999 is too many */
		*i = *i >= 1000 ? *i : *i * 10 + (unsigned int)(*p - '0');
	return *p ? -EINVAL : 0;
}

/* A numbered kind of group: [disk0].., [net0].. */
struct numbered {
	const char *prefix, *what;
	unsigned int max;
	const char *first_of[VM_MAX_DISKS > VM_MAX_NETS ? VM_MAX_DISKS : VM_MAX_NETS];
	unsigned int n;
};

/* The groups of `num` from PREFIX0 without gaps. */
static int check_gaps(struct loader *l, const struct numbered *num)
{
	unsigned int i, next;

	for (i = 0; i < num->n; i++) {
		if (num->first_of[i])
			continue;
		for (next = i; !num->first_of[next]; next++)
			;	/* the next group after the gap names it */
		return ini_error(&l->ini, l->err, l->errlen, num->first_of[next], NULL,
				 "no [%s%u] before it (%s are numbered from %s0 "
				 "without gaps)", num->prefix, i, num->what, num->prefix);
	}
	return 0;
}

/* Known groups only; [diskN] and [netN] from 0 without gaps. */
static int check_groups(struct loader *l, unsigned int *nr_disks, unsigned int *nr_nets)
{
	g_auto(GStrv) groups = g_key_file_get_groups(l->ini.kf, NULL);
	struct numbered kinds[2] = {
		{ .prefix = "disk", .what = "disks", .max = VM_MAX_DISKS },
		{ .prefix = "net", .what = "network interfaces", .max = VM_MAX_NETS },
	};
	struct numbered *num;
	unsigned int i;
	int ret;

	for (char **g = groups; *g; g++) {
		if (!strcmp(*g, "vm") || !strcmp(*g, "boot") || !strcmp(*g, "display") ||
		    !strcmp(*g, "cdrom"))
			continue;
		num = NULL;
		for (unsigned int k = 0; k < 2 && !num; k++)
			if (!group_index(*g, kinds[k].prefix, &i))
				num = &kinds[k];
		if (!num)
			return ini_error(&l->ini, l->err, l->errlen, *g, NULL,
					 "unknown group (known: vm, boot, display, cdrom, "
					 "disk0 .. disk%d, net0 .. net%d)", VM_MAX_DISKS - 1,
					 VM_MAX_NETS - 1);
		if (i >= num->max)
			return ini_error(&l->ini, l->err, l->errlen, *g, NULL,
					 "at most %u %s (%s0 .. %s%u)", num->max, num->what,
					 num->prefix, num->prefix, num->max - 1);
		num->first_of[i] = *g;
		if (i + 1 > num->n)
			num->n = i + 1;
	}
	if (!g_key_file_has_group(l->ini.kf, "vm"))
		return ini_error(&l->ini, l->err, l->errlen, "vm", NULL,
				 "missing (it holds the VM's uuid)");
	ret = check_gaps(l, &kinds[0]);
	if (!ret)
		ret = check_gaps(l, &kinds[1]);
	*nr_disks = kinds[0].n;
	*nr_nets = kinds[1].n;
	return ret;
}

/*
 * [cdrom]: a CD/DVD drive; file= the disc in it (an ISO; relative to the
 * bundle), empty for an empty drive (the disc was ejected).
 */
static int load_cdrom(struct loader *l, struct vm_config *c)
{
	g_autofree char *file = NULL;
	int ret;

	if (!g_key_file_has_group(l->ini.kf, "cdrom"))
		return 0;
	ret = ini_check_keys(&l->ini, "cdrom", cdrom_keys, l->err, l->errlen);
	if (!ret)
		ret = ini_get(&l->ini, "cdrom", "file", &file, l->err, l->errlen);
	if (ret)
		return ret;
	if (!file)
		return ini_error(&l->ini, l->err, l->errlen, "cdrom", "file",
				 "missing (the disc, or empty for an empty drive)");
	c->cdrom = true;
	if (*file) {
		c->cdrom_path = g_canonicalize_filename(file, l->babs);
		c->cdrom_file = g_steal_pointer(&file);
	}
	return 0;
}

/* The settings in l->ini (loaded) into *c (defaults); on failure *c still needs freeing. */
static int load_ini(struct loader *l, struct vm_config *c)
{
	unsigned int i, nr = 0, nr_nets = 0;
	int ret;

	ret = check_groups(l, &nr, &nr_nets);
	if (!ret)
		ret = load_vm(l, c);
	if (!ret)
		ret = load_boot(l, c);
	if (!ret)
		ret = load_display(l, c);
	if (!ret)
		ret = load_cdrom(l, c);
	if (!ret && nr)
		c->disks = g_new0(struct vm_disk_config, nr);
	for (i = 0; !ret && i < nr; i++)
		ret = load_disk(l, c, i);
	if (!ret && nr_nets)
		c->nets = g_new0(struct vm_net_config, nr_nets);
	for (i = 0; !ret && i < nr_nets; i++)
		ret = load_net(l, c, i);
	if (!ret)
		load_net_macs(c);
	return ret;
}

int vm_config_load(const char *bundle_dir, struct vm_config *cfg, char *err, size_t errlen)
{
	g_autofree char *path = g_build_filename(bundle_dir, CONFIG_FILE, NULL);
	struct loader l = { .babs = bundle_abs(bundle_dir), .err = err, .errlen = errlen };
	struct vm_config c;
	int ret;

	config_defaults(&c);
	ret = ini_load(&l.ini, path, err, errlen);
	if (!ret) {
		ret = load_ini(&l, &c);
		ini_free(&l.ini);
	}
	g_free(l.babs);
	vm_config_free(cfg);
	if (ret) {
		vm_config_free(&c);
		return ret;
	}
	*cfg = c;
	return 0;
}

/*
 * Whether `text` would load: a save never writes what the next start
 * refuses (an append= without a kernel=, a memory size load rejects...).
 */
static int check_text(const char *bundle_dir, const char *path, const char *text,
		      char *err, size_t errlen)
{
	g_autofree char *label = g_strconcat(path, " (not saved)", NULL);
	struct loader l = { .babs = bundle_abs(bundle_dir), .err = err, .errlen = errlen };
	struct vm_config c;
	int ret;

	config_defaults(&c);
	ret = ini_load_data(&l.ini, label, text, strlen(text), err, errlen);
	if (!ret) {
		ret = load_ini(&l, &c);
		ini_free(&l.ini);
	}
	vm_config_free(&c);
	g_free(l.babs);
	return ret;
}

/* ---- writing -------------------------------------------------------- */

/* memory= text: the largest of T, G, M, K that divides it. */
static char *memory_text(uint64_t n)
{
	static const char units[] = "TGMK";
	unsigned int i;

	for (i = 0; i < 4; i++) {
		unsigned int shift = 40 - 10 * i;

		if (n && !(n & ((1ull << shift) - 1)))
			return g_strdup_printf("%llu%c", (unsigned long long)(n >> shift), units[i]);
	}
	return g_strdup_printf("%lluK", (unsigned long long)(n >> 10));
}

static void disk_to_ini(GKeyFile *kf, unsigned int i, const struct vm_disk_config *d)
{
	g_autofree char *g = g_strdup_printf("disk%u", i);
	struct disk_options o;
	char *path = NULL;
	char why[160];

	g_key_file_set_string(kf, g, "file", d->file);
	/* The spec was made by this file from checked options: it parses. */
	if (!d->spec || disk_options_parse(d->spec, &o, &path, why, sizeof(why)))
		return;
	free(path);
	if (o.format != DISK_FORMAT_AUTO)
		g_key_file_set_string(kf, g, "format", format_name(o.format));
	if (o.cache != WCACHE_WRITEBACK)
		g_key_file_set_string(kf, g, "cache", cache_name(o.cache));
	if (o.readonly)
		g_key_file_set_string(kf, g, "readonly", "true");
	if (o.serial[0])
		g_key_file_set_string(kf, g, "serial", o.serial);
	if (o.max_dirty) {
		g_autofree char *t = disk_size_text(o.max_dirty);

		g_key_file_set_string(kf, g, "max-dirty", t);
	}
	if (o.max_age_ns) {
		g_autofree char *t = g_strdup_printf("%llu",
					(unsigned long long)(o.max_age_ns / 1000000));

		g_key_file_set_string(kf, g, "max-age", t);
	}
	if (o.bus != DISK_BUS_VIRTIO)
		g_key_file_set_string(kf, g, "if", bus_name(o.bus));
}

static void net_to_ini(GKeyFile *kf, unsigned int i, const struct vm_net_config *n)
{
	g_autofree char *g = g_strdup_printf("net%u", i);
	char a[INET_ADDRSTRLEN], mac[18];
	struct net_options o;
	char why[256];
	unsigned int f;

	/* The spec was made by this file from checked options: it parses. */
	if (!n->spec || net_options_parse(n->spec, &o, why, sizeof(why)))
		return;
	g_key_file_set_string(kf, g, "type", o.kind == NET_KIND_TAP ? "tap" : "user");
	if (o.mac_set) {
		mac_text(o.mac, mac);
		g_key_file_set_string(kf, g, "mac", mac);
	}
	if (o.kind == NET_KIND_TAP) {
		g_key_file_set_string(kf, g, "ifname", o.ifname);
		if (o.queues != 1)
			g_key_file_set_uint64(kf, g, "queues", o.queues);
		return;
	}
	if (o.net.s_addr != htonl(0x0a000200) || o.prefix != 24) {
		g_autofree char *t = NULL;

		inet_ntop(AF_INET, &o.net, a, sizeof(a));
		t = g_strdup_printf("%s/%u", a, o.prefix);
		g_key_file_set_string(kf, g, "net", t);
	}
	if (o.restrict_)
		g_key_file_set_string(kf, g, "restrict", "true");
	if (o.nr_hostfwd) {
		GString *s = g_string_new(NULL);

		/* The host address always (loopback is the point), the guest's when not .15. */
		for (f = 0; f < o.nr_hostfwd; f++) {
			const struct net_hostfwd *h = &o.hostfwd[f];

			inet_ntop(AF_INET, &h->host_addr, a, sizeof(a));
			g_string_append_printf(s, "%s%s:%s:%u-", f ? "; " : "",
					       h->udp ? "udp" : "tcp", a, h->host_port);
			if (h->guest_addr.s_addr != net_options_dhcp_start(&o).s_addr) {
				inet_ntop(AF_INET, &h->guest_addr, a, sizeof(a));
				g_string_append(s, a);
			}
			g_string_append_printf(s, ":%u", h->guest_port);
		}
		g_key_file_set_string(kf, g, "hostfwd", s->str);
		g_string_free(s, true);
	}
}

/* [display], only for a VM with a screen: other bundles' files stay as they were. */
static void display_to_ini(GKeyFile *kf, const struct vm_config *cfg)
{
	if (!cfg->display && !cfg->vnc)
		return;
	g_key_file_set_string(kf, "display", "enabled", "true");
	if (cfg->display_width || cfg->display_height) {
		g_autofree char *t = g_strdup_printf("%ux%u", cfg->display_width,
						     cfg->display_height);

		g_key_file_set_string(kf, "display", "size", t);
	}
	if (!cfg->vnc)
		return;
	g_key_file_set_string(kf, "display", "vnc", cfg->vnc);
	if (cfg->vnc_listen_any)
		g_key_file_set_string(kf, "display", "vnc-listen-any", "true");
	if (cfg->vnc_password_file)
		g_key_file_set_string(kf, "display", "vnc-password-file", cfg->vnc_password_file);
}

char *vm_config_to_ini(const struct vm_config *cfg)
{
	GKeyFile *kf = g_key_file_new();
	g_autofree char *mem = memory_text(cfg->memory);
	char uuid[37];
	unsigned int i;
	char *text;

	g_key_file_set_comment(kf, NULL, NULL,
			       " vmain VM settings: docs/bundles.md lists every key.", NULL);
	vm_uuid_format(cfg->uuid, uuid);
	g_key_file_set_string(kf, "vm", "uuid", uuid);
	g_key_file_set_string(kf, "vm", "memory", mem);
	g_key_file_set_uint64(kf, "vm", "cpus", cfg->cpus);
	g_key_file_set_string(kf, "vm", "accel", cfg->accel ? cfg->accel : "auto");
	g_key_file_set_string(kf, "vm", "serial", cfg->serial ? cfg->serial : "console");
	g_key_file_set_string(kf, "vm", "autostart", cfg->autostart ? "true" : "false");
	g_key_file_set_string(kf, "vm", "stop-action",
			      cfg->stop_action == VM_STOP_KILL ? "kill" : "poweroff");
	g_key_file_set_uint64(kf, "vm", "stop-timeout", cfg->stop_timeout);
	g_key_file_set_string(kf, "vm", "pvclock", cfg->pvclock ? "true" : "false");
	g_key_file_set_uint64(kf, "vm", "io-threads", cfg->io_threads);
	/* An initrd or append without a kernel is written too: save refuses it then. */
	if (cfg->kernel)
		g_key_file_set_string(kf, "boot", "kernel", cfg->kernel);
	if (cfg->initrd)
		g_key_file_set_string(kf, "boot", "initrd", cfg->initrd);
	if (cfg->append && *cfg->append)
		g_key_file_set_string(kf, "boot", "append", cfg->append);
	for (i = 0; i < cfg->nr_disks; i++)
		disk_to_ini(kf, i, &cfg->disks[i]);
	if (cfg->cdrom)
		g_key_file_set_string(kf, "cdrom", "file", cfg->cdrom_file ? cfg->cdrom_file : "");
	for (i = 0; i < cfg->nr_nets; i++)
		net_to_ini(kf, i, &cfg->nets[i]);
	display_to_ini(kf, cfg);
	text = g_key_file_to_data(kf, NULL, NULL);
	g_key_file_free(kf);
	return text;
}

/* true when PATH holds exactly `text` (a missing or unreadable file does not). */
static bool file_holds(const char *path, const char *text, size_t len)
{
	g_autofree char *old = NULL;
	size_t old_len;

	if (ini_read(path, &old, &old_len, NULL, 0))
		return false;
	return old_len == len && !memcmp(old, text, len);
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= n;
	}
	return 0;
}


int vm_config_save(const char *bundle_dir, const struct vm_config *cfg, char *err, size_t errlen)
{
	g_autofree char *path = g_build_filename(bundle_dir, CONFIG_FILE, NULL);
	g_autofree char *tmp = g_build_filename(bundle_dir, "." CONFIG_FILE ".XXXXXX", NULL);
	g_autofree char *text = vm_config_to_ini(cfg);
	size_t len = strlen(text);
	const char *what;
	int fd, ret;

	/* memory= cannot say every byte count (K is its smallest unit): checked here. */
	if ((cfg->memory & 4095) || cfg->memory < VM_MEMORY_MIN || cfg->memory > VM_MEMORY_MAX) {
		snprintf(err, errlen, "%s (not saved): [vm] memory: %llu bytes: a multiple of 4K "
			 "from 32M to 1T", path, (unsigned long long)cfg->memory);
		return -EINVAL;
	}
	ret = check_text(bundle_dir, path, text, err, errlen);
	if (ret)
		return ret;
	if (file_holds(path, text, len))
		return 0;
	what = "creating a temporary file";
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s: %s", path, what, strerror(-ret));
		return ret;
	}
	what = "setting its mode";
	ret = fchmod(fd, 0600) ? -errno : 0;
	if (!ret) {
		what = "writing";
		ret = write_all(fd, text, len);
	}
	/* The data must be on disk before the rename makes it the file (rename(2)). */
	if (!ret) {
		what = "fsync";
		ret = fsync(fd) ? -errno : 0;
	}
	if (close(fd) && !ret) {
		what = "closing";
		ret = -errno;
	}
	if (!ret) {
		what = "renaming the temporary file";
		ret = rename(tmp, path) ? -errno : 0;
	}
	if (ret) {
		unlink(tmp);
		snprintf(err, errlen, "%s: %s: %s", path, what, strerror(-ret));
		return ret;
	}
	/* The rename itself is durable once the directory is synced. */
	ret = fsync_dir(bundle_dir);
	if (ret)
		snprintf(err, errlen, "%s: fsync: %s", bundle_dir, strerror(-ret));
	return ret;
}
