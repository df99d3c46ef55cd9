// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vm/vm.c - the VM's life: outputs, disks, the control socket, and one
 * machine per boot (see vm.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "disk/disk.h"
#include "disk/hostdrive.h"
#include "disk/options.h"
#include "io/ioloop.h"
#include "io/outbuf.h"
#include "io/pool.h"
#include "net/options.h"
#include "devices/atapi.h"
#include "machine/ata-ctl.h"
#include "state/savefile.h"
#include "vm/bundle.h"
#include "vm/caller-file.h"
#include "vm/config.h"
#include "vm/dbus.h"
#include "vm/log.h"
#include "vm/nics.h"
#include "vm/screen.h"
#include "vm/vm.h"

#define OUTPUT_BUFFER		(1u << 20)	/* per console output */
#define VM_VGA_BIOS		"/usr/share/seabios/vgabios-stdvga.bin"	/* package seabios */
#define OUTPUT_FLUSH_NS		2000000000ll	/* at exit, for both together */

int64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static const char *const state_names[] = {
	[VM_STARTING] = "starting",
	[VM_RUNNING] = "running",
	[VM_PAUSED] = "paused",
	[VM_SHUTTING_DOWN] = "shutting-down",
	[VM_STOPPED] = "stopped",
};

const char *vm_state_name(enum vm_state s)
{
	return s < G_N_ELEMENTS(state_names) ? state_names[s] : "unknown";
}

static void set_state(struct vm *vm, enum vm_state s)
{
	if (vm->state == s)
		return;
	vm->state = s;
	vm_log(vm->spec, LOG_DEBUG, "state %s", vm_state_name(s));
	vm_dbus_state_changed(vm);
}

/* --- outputs: where COM1 and the virtio console write -------------------- */

struct outputs {
	int serial_fd, hvc_fd;		/* -1: none */
	struct outbuf *serial, *hvc;	/* one, shared, when both go to stdout */
	int fwlog_fd;			/* the firmware's debug log: a file, or -1 */
	struct outbuf *fwlog;
};

static bool same_file(int fd, const char *path)
{
	struct stat a, b;

	return path && !fstat(fd, &a) && !stat(path, &b) && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

static int open_output(const struct vm_spec *spec, const char *what, const char *where,
		       int *fd)
{
	if (!where || !strcmp(where, "none") || !strcmp(where, "console")) {
		*fd = -1;
		return 0;
	}
	if (!strcmp(where, "stdio")) {
		*fd = STDOUT_FILENO;
		return 0;
	}
	/* Truncated only once every output is open (truncate_outputs()). */
	*fd = open(where, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (*fd < 0) {
		int err = -errno;

		fprintf(stderr, "vmain: cannot open '%s' for the %s: %s\n", where, what,
			strerror(errno));
		return err;
	}
	if (same_file(*fd, spec->kernel_or_initrd[0]) ||
	    same_file(*fd, spec->kernel_or_initrd[1])) {
		fprintf(stderr, "vmain: '%s' for the %s is the kernel or initrd itself\n",
			where, what);
		close(*fd);
		*fd = -1;
		return -EINVAL;
	}
	return 0;
}

/* Starts regular output files afresh (other kinds, e.g. a FIFO, as they are). */
static void truncate_outputs(const struct outputs *o)
{
	struct stat st;

	if (o->serial_fd > STDERR_FILENO && !fstat(o->serial_fd, &st) && S_ISREG(st.st_mode))
		(void)!ftruncate(o->serial_fd, 0);
	if (o->hvc_fd > STDERR_FILENO && !fstat(o->hvc_fd, &st) && S_ISREG(st.st_mode))
		(void)!ftruncate(o->hvc_fd, 0);
	if (o->fwlog_fd > STDERR_FILENO && !fstat(o->fwlog_fd, &st) && S_ISREG(st.st_mode))
		(void)!ftruncate(o->fwlog_fd, 0);
}

static void output_dropped(const char *what, uint64_t dropped)
{
	if (dropped)
		fprintf(stderr, "vmain: %" PRIu64 " bytes of %s output were dropped "
			"(its reader was too slow, or gone)\n", dropped, what);
}

/*
 * After the VM: what the guest wrote last reaches a live reader, within
 * OUTPUT_FLUSH_NS for both outputs; a stuck reader costs no longer.
 */
static void outputs_stop(struct outputs *o, bool verbose)
{
	int64_t deadline = ioloop_now_ns() + OUTPUT_FLUSH_NS;
	bool shared = o->hvc == o->serial;
	uint64_t dropped;

	if (o->fwlog) {
		dropped = outbuf_destroy(o->fwlog, deadline - ioloop_now_ns());
		if (verbose)
			output_dropped("firmware log", dropped);
		o->fwlog = NULL;
	}
	if (o->hvc && !shared) {
		dropped = outbuf_destroy(o->hvc, deadline - ioloop_now_ns());
		if (verbose)
			output_dropped("virtio console", dropped);
	}
	if (o->serial) {
		dropped = outbuf_destroy(o->serial, deadline - ioloop_now_ns());
		if (verbose)
			output_dropped(shared ? "serial port and virtio console" :
				       "serial port", dropped);
	}
	o->serial = o->hvc = NULL;
}

static void outputs_close(struct outputs *o)
{
	if (o->serial_fd > STDERR_FILENO)
		close(o->serial_fd);
	if (o->hvc_fd > STDERR_FILENO)
		close(o->hvc_fd);
	if (o->fwlog_fd > STDERR_FILENO)
		close(o->fwlog_fd);
	o->serial_fd = o->hvc_fd = o->fwlog_fd = -1;
}

static int outputs_open(struct outputs *o, const struct vm_spec *spec)
{
	int ret;

	o->serial_fd = o->hvc_fd = o->fwlog_fd = -1;
	o->serial = o->hvc = o->fwlog = NULL;
	ret = open_output(spec, "serial port", spec->serial, &o->serial_fd);
	if (!ret)
		ret = open_output(spec, "virtio console", spec->hvc, &o->hvc_fd);
	/* A file of its own (the log is not a console: no stdio sharing). */
	if (!ret && spec->firmware_log)
		ret = open_output(spec, "firmware log", spec->firmware_log, &o->fwlog_fd);
	if (ret)
		outputs_close(o);
	return ret;
}

/* The outputs' buffers on the I/O loop (an fd in one epoll set once: shared). */
static int outputs_start(struct outputs *o, struct ioloop *l)
{
	int ret = 0;

	if (o->serial_fd >= 0)
		ret = outbuf_create(&o->serial, l, o->serial_fd, OUTPUT_BUFFER);
	if (!ret && o->hvc_fd >= 0 && o->hvc_fd == o->serial_fd)
		o->hvc = o->serial;
	else if (!ret && o->hvc_fd >= 0)
		ret = outbuf_create(&o->hvc, l, o->hvc_fd, OUTPUT_BUFFER);
	if (!ret && o->fwlog_fd >= 0)
		ret = outbuf_create(&o->fwlog, l, o->fwlog_fd, OUTPUT_BUFFER);
	if (ret) {
		fprintf(stderr, "vmain: cannot set up the console output: %s\n", strerror(-ret));
		outputs_stop(o, false);
	}
	return ret;
}

/* --- storage: the I/O thread, the worker pool, the disks and the NICs ------ */

struct storage {
	struct ioloop *loop;
	struct pool *pool;
	struct disk **disks;
	unsigned int n;
	struct vm_nics nics;		/* the network back ends, on the same loop */
	struct hostdrive *host;		/* --cdrom /dev/srN: the host's drive, held (O_EXCL) */
	struct disk *cdrom;		/* --cdrom FILE: the disc in the CD/DVD drive, or NULL */
	bool cdrom_drive;		/* a CD/DVD drive (with cdrom, or empty) */
	bool usage_error;		/* a bad --disk or --net, not a failed open */
};

static void host_close(void *opaque)
{
	hostdrive_close(opaque);	/* on the loop's thread, as its completions */
}

static void storage_close(struct storage *st)
{
	unsigned int i;

	vm_nics_close(&st->nics);
	if (st->host)
		ioloop_call_sync(st->loop, host_close, st->host);
	for (i = 0; i < st->n; i++)
		disk_close(st->disks[i]);
	if (st->cdrom)
		disk_close(st->cdrom);
	g_free(st->disks);
	if (st->pool)
		pool_destroy(st->pool);
	if (st->loop)
		ioloop_destroy(st->loop);
	memset(st, 0, sizeof(*st));
}

static int open_disk(struct storage *st, const char *spec)
{
	struct disk_options o;
	char err[256] = "";
	char *path;
	int ret;

	ret = disk_options_parse(spec, &o, &path, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "vmain: --disk '%s': %s\n", spec,
			ret == -ENOMEM ? strerror(ENOMEM) : err);
		st->usage_error = true;
		return ret;
	}
	o.lock_wait_ms = DISK_LOCK_WAIT_MS;
	ret = disk_open(&st->disks[st->n], &o, st->loop, st->pool, err, sizeof(err));
	if (ret)
		fprintf(stderr, "vmain: disk '%s': %s\n", path, err);
	else
		st->n++;
	free(path);
	return ret;
}

/*
 * --cdrom FILE: an ISO (raw or qcow2), read-only, behind an ATAPI drive;
 * or a device node, the host's own CD/DVD drive, every command passed to
 * it (disk/hostdrive.h, devices/atapi-pass.c); "" an empty drive (a
 * bundle whose disc was ejected).
 */
static int open_cdrom(struct storage *st, const char *file)
{
	struct disk_options o = {
		.path = file, .format = DISK_FORMAT_AUTO, .cache = WCACHE_WRITEBACK,
		.readonly = true, .bus = DISK_BUS_CDROM, .lock_wait_ms = DISK_LOCK_WAIT_MS,
	};
	char err[256] = "";
	struct stat sb;
	int ret;

	st->cdrom_drive = true;
	if (!*file)
		return 0;	/* an empty drive */
	if (!stat(file, &sb) && (S_ISBLK(sb.st_mode) || S_ISCHR(sb.st_mode))) {
		ret = hostdrive_open(&st->host, file, st->pool, st->loop, err, sizeof(err));
		if (ret)
			fprintf(stderr, "vmain: --cdrom: %s\n", err);
		return ret;
	}
	ret = disk_open(&st->cdrom, &o, st->loop, st->pool, err, sizeof(err));
	if (ret)
		fprintf(stderr, "vmain: --cdrom '%s': %s\n", file, err);
	return ret;
}

static int storage_open(struct storage *st, const struct vm_spec *spec)
{
	unsigned int i;
	int ret;

	memset(st, 0, sizeof(*st));
	st->disks = g_new0(struct disk *, spec->nr_disks ? spec->nr_disks : 1);
	ret = ioloop_create(&st->loop);
	if (!ret)
		ret = ioloop_start(st->loop, "vmain-io");
	if (ret) {
		fprintf(stderr, "vmain: cannot start the I/O thread: %s\n", strerror(-ret));
		goto close;
	}
	ret = pool_create(&st->pool, spec->io_threads ? spec->io_threads : POOL_DEFAULT_THREADS);
	if (ret) {
		fprintf(stderr, "vmain: cannot start the worker pool: %s\n", strerror(-ret));
		goto close;
	}
	for (i = 0; i < spec->nr_disks; i++) {
		ret = open_disk(st, spec->disks[i]);
		if (ret)
			goto close;
	}
	if (spec->cdrom) {
		ret = open_cdrom(st, spec->cdrom);
		if (ret)
			goto close;
	}
	ret = vm_nics_open(&st->nics, spec->nets, spec->nr_nets, spec->mcfg.uuid, st->loop,
			   &st->usage_error);
	if (ret)
		goto close;
	return 0;
close: {
		bool usage = st->usage_error;

		storage_close(st);
		st->usage_error = usage;
		return ret;
	}
}

/* --- stopping: the power button first, a hard stop after the timeout ------ */

static gboolean hard_stop(gpointer opaque)
{
	struct vm *vm = opaque;

	vm->stop_timer = 0;
	if (vm->m) {
		vm_log(vm->spec, LOG_WARNING, "the guest did not power off; stopping the VM");
		vm->kill_requested = true;
		machine_stop(vm->m, MACHINE_EXIT_STOPPED);
	}
	return G_SOURCE_REMOVE;
}

int vm_stop(struct vm *vm, unsigned int timeout_s)
{
	if (vm->state == VM_STOPPED || !vm->m)
		return -EINVAL;
	if (vm->stop_requested) {
		/* A second request: stop now (and the first one's timer goes). */
		if (vm->stop_timer)
			g_source_remove(vm->stop_timer);
		vm->stop_timer = 0;
		hard_stop(vm);
		return 0;
	}
	vm->stop_requested = true;
	set_state(vm, VM_SHUTTING_DOWN);
	/* A paused guest cannot see the button: it runs again to act on it. */
	if (machine_resume(vm->m) == 0) {
		vm_console_set_paused(&vm->console, false);
		vm_log(vm->spec, LOG_INFO, "resumed to power off");
	}
	if (!machine_power_button(vm->m) || timeout_s == 0) {
		hard_stop(vm);
		return 0;
	}
	vm->stop_timer = g_timeout_add_seconds(timeout_s, hard_stop, vm);
	return 0;
}

int vm_kill(struct vm *vm)
{
	if (vm->state == VM_STOPPED || !vm->m)
		return -EINVAL;
	vm->kill_requested = true;
	set_state(vm, VM_SHUTTING_DOWN);
	machine_stop(vm->m, MACHINE_EXIT_STOPPED);
	return 0;
}

int vm_reset(struct vm *vm)
{
	if (!vm->m || (vm->state != VM_RUNNING && vm->state != VM_PAUSED))
		return -EINVAL;
	vm->reset_requested = true;
	machine_stop(vm->m, MACHINE_EXIT_RESET);
	return 0;
}

int vm_power_button(struct vm *vm)
{
	if (!vm->m || vm->state != VM_RUNNING)
		return -EINVAL;
	machine_power_button(vm->m);
	return 0;
}

int vm_set_link(struct vm *vm, const char *nic, bool up, char *err, size_t errlen)
{
	unsigned int i, n = vm->nics ? vm->nics->n : 0;

	if (vm->state == VM_STOPPED) {
		snprintf(err, errlen, "the VM has stopped");
		return -EINVAL;
	}
	if (net_nic_parse(nic, n, &i)) {
		if (!n)
			snprintf(err, errlen, "no network interface '%.32s': the VM has none", nic);
		else if (n == 1)
			snprintf(err, errlen, "no network interface '%.32s': the VM has net0", nic);
		else
			snprintf(err, errlen, "no network interface '%.32s': the VM has net0 .. net%u",
				 nic, n - 1);
		return -ENODEV;
	}
	/* Kept above the machine: the next one after a reset starts so. */
	vm->nics->nic[i].link_down = !up;
	if (vm->m)
		machine_nic_set_link(vm->m, i, up);
	vm_log(vm->spec, LOG_INFO, "net%u: link %s", i, up ? "up" : "down");
	return 0;
}

int vm_pause(struct vm *vm)
{
	int ret;

	if (!vm->m || vm->state != VM_RUNNING)
		return -EINVAL;
	ret = machine_pause(vm->m);
	if (ret)
		return ret;
	vm_console_set_paused(&vm->console, true);
	set_state(vm, VM_PAUSED);
	return 0;
}

int vm_resume(struct vm *vm)
{
	int ret;

	if (!vm->m || vm->state != VM_PAUSED)
		return -EINVAL;
	ret = machine_resume(vm->m);
	if (ret)
		return ret;
	vm_console_set_paused(&vm->console, false);
	set_state(vm, VM_RUNNING);
	return 0;
}

/* --- save (machine_save(); restore: run_machines()) ----------------------- */

/* The state a restore reads: vmain restore's --file, or the bundle's. */
static const char *restore_path(const struct vm *vm)
{
	return vm->spec->restore_path ? vm->spec->restore_path : vm->spec->state_path;
}

#define SAVE_PROGRESS_NS	250000000	/* between two SaveProgress signals */

struct save_progress {
	struct vm *vm;
	uint64_t last_ns;
};

/*
 * RAM is going out: tell the clients (SaveProgress), at most four times a
 * second, and always the end.  GDBus writes the signal from its own
 * thread, so it leaves while this one is busy saving.
 */
static void save_progress(void *opaque, uint64_t done, uint64_t total)
{
	struct save_progress *p = opaque;
	uint64_t now = (uint64_t)ioloop_now_ns();

	if (done < total && p->last_ns && now - p->last_ns < SAVE_PROGRESS_NS)
		return;
	p->last_ns = now;
	vm_dbus_save_progress(p->vm, done, total);
}

int vm_save(struct vm *vm, char *err, size_t errlen)
{
	struct save_progress progress = { .vm = vm };
	struct savefile_stats stats = { 0 };
	bool was_running, detached;
	int ret;

	if (!vm->m || (vm->state != VM_RUNNING && vm->state != VM_PAUSED)) {
		snprintf(err, errlen, "the VM is %s", vm_state_name(vm->state));
		return -EINVAL;
	}
	if (!vm->spec->state_path) {
		snprintf(err, errlen, "a VM without a bundle (vmain run) cannot be saved");
		return -EOPNOTSUPP;
	}
	was_running = vm->state == VM_RUNNING;
	if (was_running) {
		ret = machine_pause(vm->m);
		if (ret && ret != -EALREADY) {
			snprintf(err, errlen, "cannot pause: %s", strerror(-ret));
			return ret;
		}
	}
	ret = machine_save(vm->m, vm->spec->state_path, save_progress, &progress, &stats,
			   &detached, err, errlen);
	if (ret && !detached) {
		if (was_running)
			machine_resume(vm->m);
		return ret;
	}
	vm->kill_requested = true;
	set_state(vm, VM_SHUTTING_DOWN);
	if (ret) {
		vm_log(vm->spec, LOG_ERR, "save to %s failed, the VM stops: %s",
		       vm->spec->state_path, err);
	} else {
		vm->saved = true;
		vm_log(vm->spec, LOG_INFO, "saved to %s: %" PRIu64 " MiB of RAM (%" PRIu64
		       " MiB not zero) in %.2f s, %.0f MiB/s%s", vm->spec->state_path,
		       vm->m->ram.size >> 20, stats.data_pages * 4096 >> 20, stats.ns / 1e9,
		       stats.ns ? stats.bytes_written / 1048576.0 / (stats.ns / 1e9) : 0,
		       stats.direct ? ", O_DIRECT" : "");
	}
	machine_stop(vm->m, MACHINE_EXIT_STOPPED);
	return ret;
}

/* --- the CD/DVD drive's disc (vm_change_media()) -------------------------- */

/* The bundle's [cdrom] follows the drive, so that the next start has the same disc. */
static void media_persist(struct vm *vm, const char *file)
{
	const char *dir = vm->spec->bundle_dir;
	struct vm_config cfg;
	char err[512];
	int ret, lock;

	if (!dir)
		return;
	vm_config_init(&cfg);
	/* vmain edit may be rewriting it now: one read-modify-write at a time. */
	ret = vm_config_lock(dir, 1000, &lock);
	if (ret)
		snprintf(err, sizeof(err), "%s/config.ini: %s", dir, ret == -EAGAIN ?
			 "another process kept it locked for 1 s" : strerror(-ret));
	if (!ret)
		ret = vm_config_load(dir, &cfg, err, sizeof(err));
	if (!ret) {
		vm_config_set_cdrom(&cfg, dir, true, file);
		ret = vm_config_save(dir, &cfg, err, sizeof(err));
	}
	vm_config_unlock(lock);
	if (ret)
		vm_log(vm->spec, LOG_WARNING, "the CD/DVD drive's disc changed, but config.ini "
		       "could not follow: %s", err);
	vm_config_free(&cfg);
}

int vm_change_media(struct vm *vm, const char *file, bool force, uid_t caller,
		    char *err, size_t errlen)
{
	struct storage *st = vm->storage;
	struct disk_options o = {
		.path = file, .format = DISK_FORMAT_AUTO, .cache = WCACHE_WRITEBACK,
		.readonly = true, .bus = DISK_BUS_CDROM,
	};
	struct disk *disc = NULL, *old;
	char why[256] = "", fdpath[64];
	int ret, fd = -1;

	if (!vm->m || vm->state == VM_STOPPED || vm->state == VM_SHUTTING_DOWN) {
		snprintf(err, errlen, "the VM is %s", vm_state_name(vm->state));
		return -EINVAL;
	}
	if (!machine_ata_cdrom(vm->m)) {
		snprintf(err, errlen, "the VM has no CD/DVD drive (vmain edit --iso gives it one, "
			 "from its next start)");
		return -ENODEV;
	}
	if (st->host) {
		snprintf(err, errlen, "the CD/DVD drive is the host's own (%s): change its disc "
			 "there", hostdrive_name(st->host));
		return -ENODEV;
	}
	if (file) {
		if (!g_path_is_absolute(file)) {
			snprintf(err, errlen, "'%s': not an absolute path", file);
			return -EMEDIUMTYPE;
		}
		if (caller != (uid_t)-1) {
			fd = vm_open_callers_file(file, caller, err, errlen);
			if (fd < 0)
				return -EMEDIUMTYPE;
			snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fd);
			o.path = fdpath;
		}
		ret = disk_open(&disc, &o, st->loop, st->pool, why, sizeof(why));
		if (fd >= 0)
			close(fd);
		if (ret) {
			/* One code for them all: the open's own may read as another refusal. */
			snprintf(err, errlen, "%s", why);
			return -EMEDIUMTYPE;
		}
	}
	ret = machine_cdrom_change(vm->m, disc, force, err, errlen);
	if (ret) {
		if (disc)
			disk_close(disc);
		return ret;
	}
	/* Out of the drive (it waited for the reads it had on the host): ours to close. */
	old = st->cdrom;
	st->cdrom = disc;
	vm->mcfg->cdrom = disc;
	if (old)
		disk_close(old);
	vm_log(vm->spec, LOG_INFO, file ? "CD/DVD drive: %s put in%s" : "CD/DVD drive: the "
	       "disc taken out%s%s", file ? file : "", force ? " (forced)" : "");
	/* A non-owner's disc is for this run: config.ini is the owner's to change. */
	if (caller == (uid_t)-1)
		media_persist(vm, file);
	return 0;
}

/*
 * The guest opened the tray (START STOP UNIT: an installer's eject at its
 * end) and the machine ended with the disc out: the disc goes, as from a
 * real drive, so that the next boot (a reset, the next start) does not
 * find the installer again.  A saved machine keeps it: its state has the
 * tray open, and the restore puts the disc back there.
 */
static bool guest_ejected(const struct vm *vm, struct machine *m)
{
	struct ata_drive *d = machine_ata_cdrom(m);

	return !vm->saved && d && vm->storage->cdrom && !atapi_has_medium(d);
}

static void drop_disc(struct vm *vm)
{
	disk_close(vm->storage->cdrom);
	vm->storage->cdrom = NULL;
	vm->mcfg->cdrom = NULL;
	vm_log(vm->spec, LOG_INFO, "CD/DVD drive: the guest ejected the disc; the drive is "
	       "empty from now on");
	media_persist(vm, NULL);
}

static void console_stop(void *opaque)
{
	struct vm *vm = opaque;

	vm_stop(vm, vm->spec->stop_timeout);
}

/* SIGTERM, SIGINT, SIGHUP: the host or the user stops the VM. */
static gboolean on_signal(gpointer opaque)
{
	struct vm *vm = opaque;

	if (vm->spec->stop_kills)
		vm_kill(vm);
	else
		vm_stop(vm, vm->spec->stop_timeout);
	return G_SOURCE_CONTINUE;
}

/* --- the machines --------------------------------------------------------- */

static void print_stats(const struct machine *m)
{
	static const struct { unsigned int reason; const char *name; } kinds[] = {
		{ VMAIN_EXIT_IO, "port I/O" }, { VMAIN_EXIT_MMIO, "MMIO" },
		{ VMAIN_EXIT_MSR, "MSR" }, { VMAIN_EXIT_HLT, "HLT" },
		{ VMAIN_EXIT_IRQ_WINDOW, "IRQ window" }, { VMAIN_EXIT_KICK, "kick" },
		{ VMAIN_EXIT_INTR, "signal" },
	};
	uint64_t total = 0, n;
	unsigned int i, k;

	for (i = 0; i < m->nr_vcpus; i++)
		total += m->vcpus[i].exits;
	fprintf(stderr, "vmain: stats: start-up CPU time %.1f ms; exits to the "
		"monitor %" PRIu64, m->first_entry_cpu_ns / 1e6, total);
	for (i = 0; i < m->nr_vcpus; i++)
		fprintf(stderr, "%s%" PRIu64, i ? "+" : " (", m->vcpus[i].exits);
	fprintf(stderr, ")");
	for (k = 0; k < G_N_ELEMENTS(kinds); k++) {
		for (n = 0, i = 0; i < m->nr_vcpus; i++)
			n += m->vcpus[i].exits_by_reason[kinds[k].reason];
		fprintf(stderr, "%s %s %" PRIu64, k ? "," : ":", kinds[k].name, n);
	}
	for (n = 0, i = 0; i < m->nr_vcpus; i++)
		n += m->vcpus[i].eoi_exits;
	fprintf(stderr, ", I/O APIC EOI %" PRIu64 "; interrupts: %s\r\n", n,
		m->vm.irq_path ? m->vm.irq_path : "local APIC in the monitor");
}

/* COM1's output (a vCPU thread, machine.lock held). */
static void serial_write(void *opaque, const void *buf, size_t len)
{
	struct vm *vm = opaque;

	vm_console_write(&vm->console, buf, len);
}

/* The first boot's vCPUs run: the VM has started (vm.h, ready_fd). */
static void machine_started(void *opaque, struct machine *m)
{
	struct vm *vm = opaque;
	bool failed;

	/* A vCPU thread that could not start: the VM is ending, not running. */
	pthread_mutex_lock(&m->lock);
	failed = m->stopping && m->exit == MACHINE_EXIT_ERROR;
	pthread_mutex_unlock(&m->lock);
	if (failed)
		return;
	vm->accel = m->vm.backend->name;
	/* The terminal goes raw only for a VM that exists. */
	if (!vm->terminal_taken && vm->spec->serial && !strcmp(vm->spec->serial, "stdio")) {
		vm->terminal_taken = true;
		vm_console_take_terminal(&vm->console, STDIN_FILENO, console_stop, vm);
	}
	if (vm->state == VM_STARTING)
		set_state(vm, VM_RUNNING);
	/*
	 * Restored and running: the state must never be restored twice (the
	 * disks move on from here), unless the user asked to keep it.
	 */
	if (vm->restoring) {
		vm->restoring = false;
		if (!vm->spec->restore_keep && unlink(restore_path(vm)) && errno != ENOENT)
			vm_log(vm->spec, LOG_WARNING, "cannot remove %s: %s",
			       restore_path(vm), strerror(errno));
		vm_log(vm->spec, LOG_INFO, "restored from %s in %.1f ms", restore_path(vm),
		       m->restore_ns / 1e6);
	}
	if (!vm->ready_sent) {
		vm->ready_sent = true;
		vm_log_ready(vm->spec);
		if (vm->spec->ready_fd >= 0) {
			(void)!write(vm->spec->ready_fd, "R", 1);
			close(vm->spec->ready_fd);
		}
		if (vm->spec->daemon)
			vm_log_detach(vm->spec);
	}
}

/* What to say after a refused restore: how to go on. */
static const char *restore_hint(const struct vm *vm)
{
	return vm->spec->restore_path ? "" :
	       " (vmain start --discard-state boots it afresh)";
}

/* The first boot restores the bundle's state.sav (spec->restore). */
static int open_restore(struct vm *vm, struct machine_config *cfg)
{
	struct savefile *f;
	char err[512];
	int ret;

	if (!vm->spec->restore_path)
		savefile_remove_stale(vm->spec->state_path);
	ret = savefile_open(&f, restore_path(vm), err, sizeof(err));
	if (ret) {
		/* err names the file. */
		fprintf(stderr, "vmain: cannot restore: %s%s\n", err, restore_hint(vm));
		return ret;
	}
	cfg->restore = f;
	cfg->restore_lazy = vm->spec->restore_lazy;
	return 0;
}

static int run_machines(struct vm *vm, struct machine_config *cfg)
{
	enum machine_exit why;
	uint32_t debug_status = 0;
	struct machine *m;
	bool ejected;
	unsigned int i;
	int ret;

	if (vm->spec->restore && open_restore(vm, cfg))
		return VM_EXIT_FAILURE;
	for (;;) {
		/* A reset keeps the size the viewers settled on. */
		if (vm->screen)
			vm_screen_size(vm->screen, &cfg->display_width, &cfg->display_height);
		if (vm->screen && !cfg->display_width) {
			cfg->display_width = vm->spec->display_width;
			cfg->display_height = vm->spec->display_height;
		}
		ret = machine_create(&m, cfg);
		if (cfg->restore) {
			/* A lazy restore's mapping outlives the file's handle. */
			savefile_close(cfg->restore);
			cfg->restore = NULL;
			vm->restoring = !ret;
			if (ret)
				fprintf(stderr, "vmain: %s was not restored%s\n",
					restore_path(vm), restore_hint(vm));
		}
		if (ret)
			return VM_EXIT_FAILURE;
		vm->m = m;
		/* A restored NIC's link is the saved one: later machines keep it. */
		if (vm->restoring)
			for (i = 0; i < vm->nics->n; i++)
				vm->nics->nic[i].link_down = !machine_nic_link_up(m, i);
		vm_console_set_machine(&vm->console, m);
		if (vm->screen)
			vm_screen_attach(vm->screen, m);
		why = machine_run(m);
		debug_status = m->debug_exit_status;
		if (vm->screen)
			vm_screen_attach(vm->screen, NULL);
		vm_console_set_machine(&vm->console, NULL);
		vm->m = NULL;
		if (vm->spec->stats)
			print_stats(m);
		ejected = guest_ejected(vm, m);
		machine_destroy(m);
		if (ejected)
			drop_disc(vm);
		if (why == MACHINE_EXIT_RESET && !vm->stop_requested && !vm->kill_requested) {
			vm_log(vm->spec, vm->reset_requested ? LOG_INFO : LOG_DEBUG,
			       "the guest reset; restarting");
			vm->reset_requested = false;
			/* A reset while paused boots a machine that runs. */
			if (vm->state == VM_PAUSED) {
				vm_console_set_paused(&vm->console, false);
				set_state(vm, VM_RUNNING);
			}
			continue;
		}
		if (vm->saved)
			return VM_EXIT_SAVED;
		/* QEMU's isa-debug-exit status; the host keeps its low 8 bits. */
		if (why == MACHINE_EXIT_DEBUG)
			return (int)(debug_status & 0xff);
		return why == MACHINE_EXIT_POWEROFF ? VM_EXIT_POWEROFF :
		       why == MACHINE_EXIT_ERROR ? VM_EXIT_FAILURE : VM_EXIT_HARD_STOP;
	}
}

int vm_main(const struct vm_spec *spec)
{
	struct machine_config cfg = spec->mcfg;
	struct outputs out;
	struct storage st;
	struct vm_screen screen;
	struct vm vm;
	guint sigterm, sigint, sighup;
	int status, ret;

	memset(&vm, 0, sizeof(vm));
	vm.spec = spec;
	vm.state = VM_STARTING;
	/* A console reader that went away drops output; it does not kill the VM. */
	signal(SIGPIPE, SIG_IGN);
	if (outputs_open(&out, spec))
		return VM_EXIT_USAGE;
	if (storage_open(&st, spec)) {
		status = st.usage_error ? VM_EXIT_USAGE : VM_EXIT_FAILURE;
		goto close_outputs;
	}
	vm.loop = st.loop;
	vm.nics = &st.nics;
	vm.storage = &st;
	vm.mcfg = &cfg;
	if (outputs_start(&out, st.loop)) {
		status = VM_EXIT_FAILURE;
		goto close_storage;
	}
	truncate_outputs(&out);
	vm_console_init(&vm.console, st.loop, out.serial);
	cfg.serial_write = serial_write;
	cfg.hvc_out = out.hvc;
	cfg.fwlog_out = out.fwlog;
	cfg.on_started = machine_started;
	cfg.opaque = &vm;
	cfg.disks = st.disks;
	cfg.nr_disks = st.n;
	cfg.cdrom_host = st.host;
	cfg.cdrom = st.cdrom;
	cfg.cdrom_drive = st.cdrom_drive;
	cfg.nics = st.nics.nic;
	cfg.nr_nics = st.nics.n;
	cfg.ioloop = st.loop;
	if (spec->display || spec->vnc) {
		bool usage;

		if (vm_screen_open(&screen, st.loop, spec->vnc, spec->vnc_listen_any,
				   spec->vnc_password_file, &usage)) {
			status = usage ? VM_EXIT_USAGE : VM_EXIT_FAILURE;
			goto fini_console;
		}
		vm.screen = &screen;
		cfg.display = screen.display;
		/*
		 * A firmware boot's screen has the standard VGA too
		 * (machine/screen.h): the firmware, boot loaders and text
		 * installers draw on it.  VMAIN_STDVGA (internal, for tests):
		 * "0" leaves it out, "1" adds it to a direct boot too, another
		 * value is the VGA BIOS image to use.
		 */
		const char *stdvga = getenv("VMAIN_STDVGA");

		bool own_rom = stdvga && *stdvga && strcmp(stdvga, "0") && strcmp(stdvga, "1");

		cfg.vga = stdvga && *stdvga ? strcmp(stdvga, "0") != 0 : cfg.bios != NULL;
		cfg.vga_rom = own_rom ? stdvga : VM_VGA_BIOS;
		if (cfg.vga && !own_rom && access(VM_VGA_BIOS, R_OK)) {
			fprintf(stderr, "vmain: no VGA BIOS (%s: %s): the screen stays dark until "
				"the guest's own driver sets a mode\n", VM_VGA_BIOS, strerror(errno));
			cfg.vga_rom = NULL;
		}
	}
	if (spec->socket_path) {
		int64_t t0 = thread_cpu_ns();

		ret = vm_dbus_start(&vm, spec->socket_path);
		if (ret) {
			status = VM_EXIT_FAILURE;
			goto close_screen;
		}
		/* What the VM above the machine costs (docs/perf.md). */
		if (spec->stats)
			fprintf(stderr, "vmain: stats: set-up CPU time: bundle and locks %.3f ms, "
				"control API %.3f ms\r\n", spec->bundle_cpu_ns / 1e6,
				(thread_cpu_ns() - t0) / 1e6);
	}
	sigterm = g_unix_signal_add(SIGTERM, on_signal, &vm);
	sigint = g_unix_signal_add(SIGINT, on_signal, &vm);
	sighup = g_unix_signal_add(SIGHUP, on_signal, &vm);

	status = run_machines(&vm, &cfg);

	if (vm.stop_timer)
		g_source_remove(vm.stop_timer);
	g_source_remove(sigterm);
	g_source_remove(sigint);
	g_source_remove(sighup);
	vm_log_stopping(spec);
	set_state(&vm, VM_STOPPED);
	if (vm.dbus)
		vm_dbus_stop(&vm);
close_screen:
	/* After the API: its connections were the display's viewers. */
	if (vm.screen)
		vm_screen_close(vm.screen);
fini_console:
	vm_console_fini(&vm.console);
	outputs_stop(&out, cfg.verbose);
close_storage:
	storage_close(&st);
close_outputs:
	outputs_close(&out);
	return status;
}
