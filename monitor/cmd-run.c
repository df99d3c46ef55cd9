// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd-run.c - `vmain run`: boot a Linux kernel in a new VM.
 *
 * This file is the command line and the console; machine/ is the VM.
 */
#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <glib.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "boot/layout.h"
#include "commands.h"
#include "disk/disk.h"
#include "disk/options.h"
#include "io/ioloop.h"
#include "io/outbuf.h"
#include "io/pool.h"
#include "hv/vmain-dev.h"
#include "machine/machine.h"
#include "size.h"

#define DEFAULT_MEM		(512ull << 20)
#define DEFAULT_SHUTDOWN_S	10
#define ESCAPE_CHAR		0x01	/* Ctrl-A */
#define OUTPUT_BUFFER		(1u << 20)	/* per console output */
#define OUTPUT_FLUSH_NS		2000000000ll	/* at exit, for both together */

enum { EXIT_POWEROFF = 0, EXIT_FAILURE_ = 1, EXIT_USAGE = 2, EXIT_HARD_STOP = 3 };

static gchar *opt_kernel, *opt_initrd, *opt_append, *opt_memory, *opt_accel;
static gchar *opt_serial, *opt_hvc;
static gchar **opt_disks;
static gint opt_cpus = 1, opt_shutdown_timeout = DEFAULT_SHUTDOWN_S;
static gint opt_io_threads = POOL_DEFAULT_THREADS;
static gboolean opt_verbose, opt_stats, opt_no_pvclock;

static const GOptionEntry run_options[] = {
	{ "kernel", 'k', 0, G_OPTION_ARG_FILENAME, &opt_kernel,
	  "The Linux kernel to boot (a bzImage, e.g. /boot/vmlinuz-*); required", "FILE" },
	{ "initrd", 'i', 0, G_OPTION_ARG_FILENAME, &opt_initrd,
	  "An initial RAM disk for the kernel", "FILE" },
	{ "append", 'a', 0, G_OPTION_ARG_STRING, &opt_append,
	  "The kernel command line (e.g. 'console=ttyS0')", "STR" },
	{ "memory", 'm', 0, G_OPTION_ARG_STRING, &opt_memory,
	  "Guest RAM: a number with an optional K, M, G or T suffix (powers of "
	  "1024; a plain number is MiB); 32M up to the host's RAM, default 512M. "
	  "Above 3G the rest of it is placed above 4 GiB", "SIZE" },
	{ "cpus", 'c', 0, G_OPTION_ARG_INT, &opt_cpus,
	  "Virtual CPUs: 1 up to the host's online CPUs (at most 255); default 1", "N" },
	{ "accel", 0, 0, G_OPTION_ARG_STRING, &opt_accel,
	  "Backend: 'vmain' (/dev/vm-main), 'kvm' (/dev/kvm) or 'auto' (the "
	  "module if it can be used, else KVM; says which and why); default auto",
	  "auto|vmain|kvm" },
	{ "serial", 's', 0, G_OPTION_ARG_FILENAME, &opt_serial,
	  "Where the first serial port (ttyS0) goes: 'stdio' (this terminal, "
	  "in raw mode: Ctrl-A x stops the VM), 'none', or a FILE to write "
	  "(created or truncated); default stdio", "stdio|none|FILE" },
	{ "hvc", 0, 0, G_OPTION_ARG_FILENAME, &opt_hvc,
	  "Where the virtio console (hvc0) writes: 'stdio' (standard output), "
	  "'none', or a FILE (created or truncated); default none.  It takes no "
	  "input", "stdio|none|FILE" },
	{ "disk", 'd', 0, G_OPTION_ARG_FILENAME_ARRAY, &opt_disks,
	  "A virtio disk (repeatable: vda, vdb, ...): an image FILE (a regular "
	  "file or a block device), then comma-separated options: "
	  "format=raw|qcow2 (default: probed, a qcow2 header means qcow2); "
	  "cache=writeback (default: writes are acknowledged from the host's "
	  "cache, a guest flush makes them durable), writethrough (each write is "
	  "durable when acknowledged) or none (O_DIRECT, no host page cache); "
	  "readonly=on (the guest cannot write; the image is locked shared, "
	  "not exclusive); serial=STR (up to 20 characters, the guest's "
	  "/sys/block/vdX/serial); max-dirty=SIZE (unwritten cached data per "
	  "image, default 64M) and max-age=MS (how long data may stay "
	  "unwritten, default 1000).  A ',' in FILE is written ',,'.  Each "
	  "image is locked (flock) for the VM's life: a second VM cannot "
	  "write it", "FILE[,OPTS]" },
	{ "io-threads", 0, 0, G_OPTION_ARG_INT, &opt_io_threads,
	  "Worker threads for CPU-heavy disk work (decompressing qcow2 "
	  "clusters); created once at start; 1 to 64, default 4", "N" },
	{ "shutdown-timeout", 0, 0, G_OPTION_ARG_INT, &opt_shutdown_timeout,
	  "On SIGTERM or SIGINT, seconds to wait for the guest to power off "
	  "after the ACPI power button is pressed before stopping it; default 10",
	  "SECONDS" },
	{ "no-pvclock", 0, 0, G_OPTION_ARG_NONE, &opt_no_pvclock,
	  "Do not offer the guest the paravirtual clock (kvmclock); it then "
	  "calibrates its TSC against the PIT or the ACPI PM timer", NULL },
	{ "stats", 0, 0, G_OPTION_ARG_NONE, &opt_stats,
	  "At the end, print on stderr per boot: the monitor's CPU time "
	  "until the first guest instruction and the exits each vCPU "
	  "returned to the monitor", NULL },
	{ "verbose", 'v', 0, G_OPTION_ARG_NONE, &opt_verbose,
	  "Say what the monitor does (backend, resets, dropped events)", NULL },
	{ NULL, 0, 0, 0, NULL, NULL, NULL }
};

static const char run_description[] =
	"Boots an unmodified Linux kernel directly (the x86 64-bit boot protocol)\n"
	"on a virtual PC: x2APIC local APICs, I/O APIC, 8259 PICs, 8254 PIT,\n"
	"CMOS RTC, 8250 UART (COM1, IRQ 4), i8042, ACPI (power off, reset, the\n"
	"power button), a PCI host bridge with virtio-console, virtio-rng and a\n"
	"virtio-blk disk for each --disk (one request queue per vCPU).\n"
	"\n"
	"Signals: SIGTERM or SIGINT presses the guest's ACPI power button; if the\n"
	"guest has not powered off after --shutdown-timeout seconds (or on a\n"
	"second signal), the VM is stopped.  A guest reboot restarts the VM.\n"
	"\n"
	"Exit status:\n"
	"  0  the guest powered off\n"
	"  1  the VM could not be created or failed\n"
	"  2  bad usage\n"
	"  3  the VM was stopped (signal and timeout, or Ctrl-A x)\n"
	"\n"
	"Disks: the image is opened and locked before the guest starts; a bad\n"
	"--disk is status 2, a missing, unreadable or locked image status 1.  I/O goes\n"
	"through io_uring from one I/O thread; with cache=writeback adjacent\n"
	"writes are merged into writes of up to 1 MiB, and a guest flush (or a\n"
	"guest that turns its write cache off: echo 'write through' >\n"
	"/sys/block/vda/cache_type) makes them durable with fdatasync.  On\n"
	"exit every cached write reaches the image.  See docs/storage.md.\n"
	"\n"
	"Example:\n"
	"  vmain run --kernel /boot/vmlinuz-$(uname -r) --initrd initrd.img \\\n"
	"            --append 'console=ttyS0 root=/dev/vda' --memory 1G --cpus 2 \\\n"
	"            --disk debian.qcow2 --disk scratch.img,cache=none\n";

/* The console: COM1 on this terminal, or output to a file, or nothing. */
struct console {
	struct machine *m;		/* the machine running now, or NULL */
	int in_fd;			/* -1: no input */
	bool raw;			/* the terminal is in raw mode */
	bool tried_raw;
	struct termios saved;
	bool escape;			/* Ctrl-A seen */
	uint8_t pending[256];		/* input COM1 had no room for yet */
	size_t npending;
	guint in_source, retry_source;
	bool stop_requested;
};

static struct console con = { .in_fd = -1 };

static void console_restore(void)
{
	if (con.raw) {
		tcsetattr(con.in_fd, TCSAFLUSH, &con.saved);
		con.raw = false;
	}
}

/*
 * A crash must not leave the user's terminal raw either: fatal signals
 * restore it (tcsetattr is async-signal-safe) and then take their
 * default action, which SA_RESETHAND has put back.
 */
static void console_fatal(int sig)
{
	if (con.raw)
		tcsetattr(con.in_fd, TCSAFLUSH, &con.saved);
	raise(sig);
}

static void console_catch_fatal(void)
{
	static const int sigs[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGQUIT };
	struct sigaction sa;
	unsigned int i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = console_fatal;
	sa.sa_flags = SA_RESETHAND | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < G_N_ELEMENTS(sigs); i++)
		sigaction(sigs[i], &sa, NULL);
}

static int console_raw(int fd)
{
	struct termios t;

	if (!isatty(fd))
		return 0;
	if (tcgetattr(fd, &con.saved))
		return -errno;
	t = con.saved;
	/* Every key to the guest, ^C included; output as the guest sends it. */
	t.c_iflag &= ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
	t.c_oflag &= ~OPOST;
	t.c_lflag &= ~(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
	t.c_cflag &= ~(CSIZE | PARENB);
	t.c_cflag |= CS8;
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	if (tcsetattr(fd, TCSAFLUSH, &t))
		return -errno;
	con.raw = true;
	atexit(console_restore);
	console_catch_fatal();
	return 0;
}

static void request_stop(void);

static void console_flush(void)
{
	size_t n;

	if (!con.m || !con.npending)
		return;
	n = machine_console_input(con.m, con.pending, con.npending);
	memmove(con.pending, con.pending + n, con.npending - n);
	con.npending -= n;
}

static gboolean console_retry(gpointer opaque)
{
	(void)opaque;
	console_flush();
	if (con.npending)
		return G_SOURCE_CONTINUE;
	con.retry_source = 0;
	return G_SOURCE_REMOVE;
}

static gboolean console_readable(gint fd, GIOCondition cond, gpointer opaque)
{
	uint8_t buf[64];
	ssize_t n, i;

	(void)cond;
	(void)opaque;
	if (con.npending)
		return G_SOURCE_CONTINUE;	/* the retry timer drains first */
	n = read(fd, buf, sizeof(buf));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return G_SOURCE_CONTINUE;
	if (n <= 0) {
		con.in_source = 0;
		return G_SOURCE_REMOVE;		/* EOF: no more input */
	}
	for (i = 0; i < n; i++) {
		if (con.raw && con.escape) {
			con.escape = false;
			if (buf[i] == 'x' || buf[i] == 'X') {
				request_stop();
				continue;
			}
			if (buf[i] != ESCAPE_CHAR)
				continue;
		} else if (con.raw && buf[i] == ESCAPE_CHAR) {
			con.escape = true;
			continue;
		}
		if (con.npending < sizeof(con.pending))
			con.pending[con.npending++] = buf[i];
	}
	console_flush();
	/*
	 * The UART's FIFO is full: try again shortly.  The guest drains it
	 * at interrupt speed, so this only runs while a paste is pending.
	 */
	if (con.npending && !con.retry_source)
		con.retry_source = g_timeout_add(10, console_retry, NULL);
	return G_SOURCE_CONTINUE;
}

/* SIGTERM/SIGINT: the power button first, a hard stop after the timeout. */
static guint stop_timer;

static gboolean hard_stop(gpointer opaque)
{
	(void)opaque;
	stop_timer = 0;
	if (con.m) {
		fprintf(stderr, "\r\nvmain: the guest did not power off; stopping the VM\r\n");
		machine_stop(con.m, MACHINE_EXIT_STOPPED);
	}
	return G_SOURCE_REMOVE;
}

static void request_stop(void)
{
	if (!con.m)
		return;
	if (con.stop_requested) {
		hard_stop(NULL);
		return;
	}
	con.stop_requested = true;
	if (!machine_power_button(con.m)) {
		hard_stop(NULL);
		return;
	}
	stop_timer = g_timeout_add_seconds(opt_shutdown_timeout, hard_stop, NULL);
}

static gboolean on_signal(gpointer opaque)
{
	(void)opaque;
	request_stop();
	return G_SOURCE_CONTINUE;
}

static bool same_file(int fd, const char *path)
{
	struct stat a, b;

	return !fstat(fd, &a) && !stat(path, &b) && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

static int open_output(const char *what, const char *spec, int *fd)
{
	if (!spec || !strcmp(spec, "none")) {
		*fd = -1;
		return 0;
	}
	if (!strcmp(spec, "stdio")) {
		*fd = STDOUT_FILENO;
		return 0;
	}
	/* Truncated only once every output is open (truncate_outputs()). */
	*fd = open(spec, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (*fd < 0) {
		fprintf(stderr, "vmain run: cannot open '%s' for the %s: %s\n",
			spec, what, strerror(errno));
		return -errno;
	}
	if (same_file(*fd, opt_kernel) || (opt_initrd && same_file(*fd, opt_initrd))) {
		fprintf(stderr, "vmain run: '%s' for the %s is the kernel or initrd "
			"itself\n", spec, what);
		close(*fd);
		*fd = -1;
		return -EINVAL;
	}
	return 0;
}

/*
 * Where the consoles write: the fds, and the buffers the I/O loop drains
 * into them (the guest never waits for a terminal, see io/outbuf.h).
 */
struct outputs {
	int serial_fd, hvc_fd;		/* -1: none */
	struct outbuf *serial, *hvc;	/* one, shared, when both go to stdout */
};

/* Starts regular output files afresh (other kinds, e.g. a FIFO, as they are). */
static void truncate_outputs(const struct outputs *o)
{
	struct stat st;

	if (o->serial_fd > STDERR_FILENO && !fstat(o->serial_fd, &st) &&
	    S_ISREG(st.st_mode))
		(void)!ftruncate(o->serial_fd, 0);
	if (o->hvc_fd > STDERR_FILENO && !fstat(o->hvc_fd, &st) &&
	    S_ISREG(st.st_mode))
		(void)!ftruncate(o->hvc_fd, 0);
}

static int open_serial(const char *spec, struct outputs *o)
{
	if (!spec || !strcmp(spec, "stdio")) {
		o->serial_fd = STDOUT_FILENO;
		con.in_fd = STDIN_FILENO;
		return 0;
	}
	return open_output("serial port", spec, &o->serial_fd);
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

/* The outputs' buffers on the I/O loop (an fd in one epoll set once: shared). */
static int outputs_start(struct outputs *o, struct ioloop *l, struct machine_config *cfg)
{
	int ret = 0;

	if (o->serial_fd >= 0)
		ret = outbuf_create(&o->serial, l, o->serial_fd, OUTPUT_BUFFER);
	if (!ret && o->hvc_fd >= 0 && o->hvc_fd == o->serial_fd)
		o->hvc = o->serial;
	else if (!ret && o->hvc_fd >= 0)
		ret = outbuf_create(&o->hvc, l, o->hvc_fd, OUTPUT_BUFFER);
	if (ret) {
		fprintf(stderr, "vmain run: cannot set up the console output: %s\n",
			strerror(-ret));
		outputs_stop(o, false);
		return ret;
	}
	cfg->serial_out = o->serial;
	cfg->hvc_out = o->hvc;
	return 0;
}

/* Checks what can be checked before any resource is taken. */
static int check_args(struct machine_config *cfg)
{
	long online = sysconf(_SC_NPROCESSORS_ONLN);
	long max_cpus = online < MACHINE_MAX_CPUS ? online : MACHINE_MAX_CPUS;
	const char *why;
	uint64_t mem = DEFAULT_MEM;
	/* A guest cannot have more RAM than the host: that is never meant. */
	uint64_t max_mem = (uint64_t)sysconf(_SC_PHYS_PAGES) * (uint64_t)sysconf(_SC_PAGESIZE);

	if (max_mem > MACHINE_MAX_MEM)
		max_mem = MACHINE_MAX_MEM;
	max_mem &= ~((1ull << 20) - 1);

	if (!opt_kernel) {
		fprintf(stderr, "vmain run: --kernel FILE is required (see vmain run --help)\n");
		return -EINVAL;
	}
	if (access(opt_kernel, R_OK)) {
		fprintf(stderr, "vmain run: cannot read the kernel '%s': %s\n",
			opt_kernel, strerror(errno));
		return -errno;
	}
	if (opt_initrd && access(opt_initrd, R_OK)) {
		fprintf(stderr, "vmain run: cannot read the initrd '%s': %s\n",
			opt_initrd, strerror(errno));
		return -errno;
	}
	if (opt_memory) {
		why = size_parse(opt_memory, 20, &mem);
		if (why) {
			fprintf(stderr, "vmain run: --memory '%s': %s\n", opt_memory, why);
			return -EINVAL;
		}
	}
	if (mem < MACHINE_MIN_MEM || mem > max_mem || mem % 4096) {
		fprintf(stderr, "vmain run: --memory '%s': must be a multiple of 4 KiB "
			"from 32M to %" PRIu64 "M (this host's RAM%s)\n", opt_memory,
			max_mem >> 20, max_mem == MACHINE_MAX_MEM ? ", at most 1T" : "");
		return -EINVAL;
	}
	if (opt_cpus < 1 || opt_cpus > max_cpus) {
		fprintf(stderr, "vmain run: --cpus %d: must be 1 to %ld (this host's "
			"online CPUs%s)\n", opt_cpus, max_cpus,
			max_cpus == MACHINE_MAX_CPUS ? ", at most 255" : "");
		return -EINVAL;
	}
	if (opt_io_threads < 1 || opt_io_threads > POOL_MAX_THREADS) {
		fprintf(stderr, "vmain run: --io-threads %d: must be 1 to %d\n",
			opt_io_threads, POOL_MAX_THREADS);
		return -EINVAL;
	}
	if (opt_shutdown_timeout < 0) {
		fprintf(stderr, "vmain run: --shutdown-timeout %d: must be 0 or more\n",
			opt_shutdown_timeout);
		return -EINVAL;
	}
	if (hv_accel_parse(opt_accel ? opt_accel : "auto", &cfg->accel)) {
		fprintf(stderr, "vmain run: --accel '%s': must be auto, vmain or kvm\n",
			opt_accel);
		return -EINVAL;
	}
	cfg->kernel = opt_kernel;
	cfg->initrd = opt_initrd;
	cfg->append = opt_append ? opt_append : "";
	cfg->mem = mem;
	cfg->cpus = opt_cpus;
	cfg->verbose = opt_verbose;
	cfg->pvclock = !opt_no_pvclock;
	return 0;
}

static void print_stats(const struct machine *m)
{
	uint64_t total = 0;
	unsigned int i;

	for (i = 0; i < m->nr_vcpus; i++)
		total += m->vcpus[i].exits;
	fprintf(stderr, "vmain: stats: start-up CPU time %.1f ms; exits to the "
		"monitor %" PRIu64, m->first_entry_cpu_ns / 1e6, total);
	static const struct { unsigned int reason; const char *name; } kinds[] = {
		{ VMAIN_EXIT_IO, "port I/O" }, { VMAIN_EXIT_MMIO, "MMIO" },
		{ VMAIN_EXIT_MSR, "MSR" }, { VMAIN_EXIT_HLT, "HLT" },
		{ VMAIN_EXIT_IRQ_WINDOW, "IRQ window" }, { VMAIN_EXIT_KICK, "kick" },
		{ VMAIN_EXIT_INTR, "signal" },
	};
	unsigned int k;
	uint64_t n;

	for (i = 0; i < m->nr_vcpus; i++)
		fprintf(stderr, "%s%" PRIu64, i ? "+" : " (", m->vcpus[i].exits);
	fprintf(stderr, ")");
	for (k = 0; k < G_N_ELEMENTS(kinds); k++) {
		for (n = 0, i = 0; i < m->nr_vcpus; i++)
			n += m->vcpus[i].exits_by_reason[kinds[k].reason];
		fprintf(stderr, "%s %s %" PRIu64, k ? "," : ":", kinds[k].name, n);
	}
	fprintf(stderr, "\r\n");
}

static int run_vm(struct machine_config *cfg)
{
	enum machine_exit why;
	struct machine *m;
	guint sigterm, sigint, sighup;
	int ret, status, in_flags = -1;

	sigterm = g_unix_signal_add(SIGTERM, on_signal, NULL);
	sigint = g_unix_signal_add(SIGINT, on_signal, NULL);
	sighup = g_unix_signal_add(SIGHUP, on_signal, NULL);
	if (con.in_fd >= 0) {
		/* The caller shares this file description: restored below. */
		in_flags = fcntl(con.in_fd, F_GETFL);
		g_unix_set_fd_nonblocking(con.in_fd, TRUE, NULL);
		con.in_source = g_unix_fd_add(con.in_fd, G_IO_IN | G_IO_HUP,
					      console_readable, NULL);
	}
	for (;;) {
		ret = machine_create(&m, cfg);
		if (ret) {
			status = EXIT_FAILURE_;
			break;
		}
		/* The terminal goes raw only for a VM that exists. */
		if (con.in_fd >= 0 && !con.raw && !con.tried_raw) {
			con.tried_raw = true;
			if (console_raw(con.in_fd) == 0 && con.raw)
				fprintf(stderr, "vmain: the console is this terminal; "
					"Ctrl-A x stops the VM\r\n");
		}
		con.m = m;
		why = machine_run(m);
		con.m = NULL;
		if (opt_stats)
			print_stats(m);
		machine_destroy(m);
		if (why == MACHINE_EXIT_RESET && !con.stop_requested) {
			if (cfg->verbose)
				fprintf(stderr, "vmain: the guest reset; restarting\r\n");
			con.npending = 0;
			continue;
		}
		status = why == MACHINE_EXIT_POWEROFF ? EXIT_POWEROFF :
			 why == MACHINE_EXIT_ERROR ? EXIT_FAILURE_ : EXIT_HARD_STOP;
		break;
	}
	if (stop_timer)
		g_source_remove(stop_timer);
	if (con.in_source)
		g_source_remove(con.in_source);
	if (con.retry_source)
		g_source_remove(con.retry_source);
	g_source_remove(sigterm);
	g_source_remove(sigint);
	g_source_remove(sighup);
	if (in_flags >= 0)
		fcntl(con.in_fd, F_SETFL, in_flags);
	console_restore();
	return status;
}

/*
 * The I/O thread, the worker pool and the disks: the VM's whole life.  The
 * loop and the pool exist with no disk too: the console output needs the loop.
 */
struct storage {
	struct ioloop *loop;
	struct pool *pool;
	struct disk **disks;
	char **paths;
	unsigned int n;
	bool usage_error;		/* a bad --disk, not a failed open */
};

static void storage_close(struct storage *st)
{
	unsigned int i;

	for (i = 0; i < st->n; i++) {
		disk_close(st->disks[i]);
		free(st->paths[i]);
	}
	g_free(st->disks);
	g_free(st->paths);
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
		fprintf(stderr, "vmain run: --disk '%s': %s\n", spec,
			ret == -ENOMEM ? strerror(ENOMEM) : err);
		st->usage_error = true;
		return ret;
	}
	ret = disk_open(&st->disks[st->n], &o, st->loop, st->pool, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "vmain run: disk '%s': %s\n", path, err);
		free(path);
		return ret;
	}
	st->paths[st->n++] = path;
	return 0;
}

static int storage_open(struct storage *st, struct machine_config *cfg)
{
	guint i, n = opt_disks ? g_strv_length(opt_disks) : 0;
	int ret;

	memset(st, 0, sizeof(*st));
	st->disks = g_new0(struct disk *, n);
	st->paths = g_new0(char *, n);
	ret = ioloop_create(&st->loop);
	if (!ret)
		ret = ioloop_start(st->loop, "vmain-io");
	if (ret) {
		fprintf(stderr, "vmain run: cannot start the I/O thread: %s\n", strerror(-ret));
		goto close;
	}
	ret = pool_create(&st->pool, (unsigned)opt_io_threads);
	if (ret) {
		fprintf(stderr, "vmain run: cannot start the worker pool: %s\n", strerror(-ret));
		goto close;
	}
	for (i = 0; i < n; i++) {
		ret = open_disk(st, opt_disks[i]);
		if (ret)
			goto close;
	}
	cfg->disks = st->disks;
	cfg->nr_disks = st->n;
	cfg->ioloop = st->loop;
	return 0;
close: {
		bool usage = st->usage_error;

		storage_close(st);
		st->usage_error = usage;
		return ret;
	}
}

int cmd_run(int argc, char **argv)
{
	struct machine_config cfg = { .serial_out = NULL, .hvc_out = NULL };
	struct outputs out = { .serial_fd = -1, .hvc_fd = -1 };
	struct storage st;
	GOptionContext *ctx;
	GError *error = NULL;
	int status;

	g_set_prgname("vmain run");
	ctx = g_option_context_new("- boot a Linux kernel in a new VM");
	g_option_context_add_main_entries(ctx, run_options, NULL);
	g_option_context_set_description(ctx, run_description);
	if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
		fprintf(stderr, "vmain run: %s\n", error->message);
		g_error_free(error);
		g_option_context_free(ctx);
		return EXIT_USAGE;
	}
	g_option_context_free(ctx);
	if (argc > 1) {
		fprintf(stderr, "vmain run: unexpected argument '%s'\n", argv[1]);
		return EXIT_USAGE;
	}
	if (check_args(&cfg))
		return EXIT_USAGE;
	/* A console reader that went away drops output; it does not kill the VM. */
	signal(SIGPIPE, SIG_IGN);
	if (vmain_dev_random_uuid(cfg.uuid)) {
		fprintf(stderr, "vmain run: cannot make a VM UUID\n");
		return EXIT_FAILURE_;
	}
	if (open_serial(opt_serial, &out))
		return EXIT_USAGE;
	if (open_output("virtio console", opt_hvc, &out.hvc_fd)) {
		if (out.serial_fd > STDERR_FILENO)
			close(out.serial_fd);
		return EXIT_USAGE;
	}
	if (storage_open(&st, &cfg)) {
		status = st.usage_error ? EXIT_USAGE : EXIT_FAILURE_;
		goto close_outputs;
	}
	if (outputs_start(&out, st.loop, &cfg)) {
		status = EXIT_FAILURE_;
		goto close_storage;
	}
	truncate_outputs(&out);
	status = run_vm(&cfg);
	outputs_stop(&out, cfg.verbose);
close_storage:
	storage_close(&st);
close_outputs:
	if (out.serial_fd > STDERR_FILENO)
		close(out.serial_fd);
	if (out.hvc_fd > STDERR_FILENO)
		close(out.hvc_fd);
	return status;
}
