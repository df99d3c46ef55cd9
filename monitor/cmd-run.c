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
#include "boot/multiboot.h"
#include "commands.h"
#include "display/vnc-options.h"
#include "hv/vmain-dev.h"
#include "io/pool.h"
#include "machine/firmware.h"
#include "machine/machine.h"
#include "size.h"
#include "vm/bundle.h"
#include "vm/config.h"
#include "vm/control.h"
#include "vm/vm.h"

#define DEFAULT_MEM		(512ull << 20)
#define DEFAULT_SHUTDOWN_S	10

static gchar *opt_kernel, *opt_initrd, *opt_append, *opt_memory, *opt_accel, *opt_name;
static gchar *opt_hugepages;
static gchar *opt_serial, *opt_hvc;
static gchar *opt_firmware, *opt_bios, *opt_firmware_log;
static gchar *opt_display_size, *opt_vnc, *opt_vnc_password_file;
static gboolean opt_display, opt_vnc_listen_any;
static gchar **opt_disks, **opt_nets;
static gchar *opt_cdrom;
static gint opt_cpus = 1, opt_shutdown_timeout = DEFAULT_SHUTDOWN_S;
static gint opt_io_threads = POOL_DEFAULT_THREADS;
static gboolean opt_verbose, opt_stats, opt_no_pvclock;
static gchar **opt_modules, *opt_debug_exit;

static const GOptionEntry run_options[] = {
	{ "kernel", 'k', 0, G_OPTION_ARG_FILENAME, &opt_kernel,
	  "The kernel to boot directly: a Linux bzImage (e.g. /boot/vmlinuz-*), "
	  "or a Multiboot (v1) kernel (see --module and docs/cli.md); "
	  "without it the VM boots its firmware", "FILE" },
	{ "firmware", 0, 0, G_OPTION_ARG_STRING, &opt_firmware,
	  "seabios: start the BIOS at the reset vector (the default without "
	  "--kernel; with it, the BIOS boots --kernel through fw_cfg first); "
	  "none: boot --kernel directly (the default with it)", "NAME" },
	{ "bios", 0, 0, G_OPTION_ARG_FILENAME, &opt_bios,
	  "The BIOS image for --firmware seabios (default "
	  "/usr/share/seabios/bios-256k.bin): a multiple of 64 KiB, at most 16 MiB", "FILE" },
	{ "firmware-log", 0, 0, G_OPTION_ARG_FILENAME, &opt_firmware_log,
	  "Where the firmware's debug log goes (the debug console, port 0x402): "
	  "a FILE, or none (the default)", "FILE" },
	{ "initrd", 'i', 0, G_OPTION_ARG_FILENAME, &opt_initrd,
	  "An initial RAM disk for the kernel", "FILE" },
	{ "append", 'a', 0, G_OPTION_ARG_STRING, &opt_append,
	  "The kernel command line (e.g. 'console=ttyS0')", "STR" },
	{ "module", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &opt_modules,
	  "A module for a Multiboot --kernel (repeatable, in order, up to 64): "
	  "'FILE' or 'FILE ARGS'; the file is loaded page aligned above the "
	  "kernel and the whole text is the module's string (what one entry of "
	  "QEMU's -initrd 'FILE ARGS,...' gives)", "'FILE [ARGS]'" },
	{ "debug-exit", 0, 0, G_OPTION_ARG_STRING, &opt_debug_exit,
	  "A test-exit port, as QEMU's isa-debug-exit: a guest's write of V to "
	  "it stops the VM (cleanly: disks flushed) and vmain exits with status "
	  "(V << 1) | 1, its low 8 bits.  PORT (default 0x501) and SIZE (ports, "
	  "default 2) in decimal or 0x hex; '' gives both defaults.  A port "
	  "another device has is refused.  Off by default", "PORT[,SIZE]" },
	{ "memory", 'm', 0, G_OPTION_ARG_STRING, &opt_memory,
	  "Guest RAM: a number with an optional K, M, G or T suffix (powers of "
	  "1024; a plain number is MiB); 32M up to the host's RAM, default 512M. "
	  "Above 3G the rest of it is placed above 4 GiB", "SIZE" },
	{ "hugepages", 0, 0, G_OPTION_ARG_STRING, &opt_hugepages,
	  "How guest RAM is backed. 'thp' (default): transparent huge pages, "
	  "so vmain.ko and KVM map it with 2 MiB nested leaves (anonymous "
	  "memory where only that gets them, as on Debian; else a memfd, "
	  "VMAIN_RAM=memfd asking for it always); 'off': 4 KiB pages only (as "
	  "VMAIN_THP=0); '2M' or '1G': the host's hugetlbfs pages of that "
	  "size, reserved when the VM starts (fails at once, with the sysfs "
	  "file to raise, if too few are free; --memory must be a multiple), "
	  "1G giving 1 GiB nested leaves on CPUs that have them",
	  "thp|off|2M|1G" },
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
	  "write it.  if=ahci or if=ide puts the disk behind an AHCI (ICH9) or "
	  "PIIX IDE controller instead of virtio (sda, ...), as firmware and "
	  "installers without virtio drivers need", "FILE[,OPTS]" },
	{ "cdrom", 0, 0, G_OPTION_ARG_FILENAME, &opt_cdrom,
	  "An ISO image (raw or qcow2, opened read-only) in a CD/DVD-ROM drive: "
	  "on the IDE secondary master when a --disk is if=ide, else on AHCI "
	  "port 1.  A device node (/dev/sr0, /dev/sgN) gives the VM the host's "
	  "own drive, held exclusively while it runs (docs/storage.md)", "FILE" },
	{ "net", 0, 0, G_OPTION_ARG_STRING_ARRAY, &opt_nets,
	  "A virtio network interface (repeatable, up to 8; the guest sees them "
	  "in this order).  'user[,OPTS]' is user-mode NAT inside this process (no "
	  "privileges; the guest gets 10.0.2.15 by DHCP, gateway .2, DNS .3, "
	  "and reaches this host's loopback services through .2) "
	  "with the options hostfwd=PROTO:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT "
	  "(repeatable; PROTO tcp or udp; an empty HOSTADDR is 127.0.0.1, so "
	  "the port is open to this host only; an empty GUESTADDR is the "
	  "guest's DHCP address), restrict=on (the guest reaches nothing "
	  "outside, the host included; only forwarded ports reach it), net=A.B.C.D/N (8 to 27) and "
	  "mac=MAC.  'tap,ifname=NAME[,queues=N][,mac=MAC]' uses an existing "
	  "tap interface (queues 1 to 7).  Without mac= the MAC is derived "
	  "from this run's random UUID: give one to keep it.  Without --net the "
	  "VM has no network", "SPEC" },
	{ "display", 0, 0, G_OPTION_ARG_NONE, &opt_display,
	  "Give the VM a screen: a virtio-gpu, a virtio keyboard and tablet, and "
	  "the control API's org.vmain.Display1 (`vmain screenshot`, the desktop "
	  "app).  The guest follows a viewer's window size.  Without it the VM "
	  "is headless and pays nothing for a screen: no device, no memory, no "
	  "thread", NULL },
	{ "display-size", 0, 0, G_OPTION_ARG_STRING, &opt_display_size,
	  "The screen's first size, WIDTHxHEIGHT with each 64 to 8192 (e.g. "
	  "1280x800); default 1024x768.  A viewer that asks for another size "
	  "gets it.  Implies --display", "WxH" },
	{ "vnc", 0, 0, G_OPTION_ARG_STRING, &opt_vnc,
	  "Serve the screen over VNC at ADDR: 'unix:PATH' (a unix "
	  "socket, mode 0600), 'A.B.C.D:PORT' or '[IPV6]:PORT'.  Off by default; "
	  "a loopback address (127.0.0.1:5901, [::1]:5901) or a unix socket is "
	  "all it takes.  A viewer drives the guest's keyboard and mouse, so any "
	  "other address needs --vnc-listen-any and --vnc-password-file.  "
	  "Implies --display", "ADDR" },
	{ "vnc-listen-any", 0, 0, G_OPTION_ARG_NONE, &opt_vnc_listen_any,
	  "Allow --vnc on an address beyond loopback (e.g. 0.0.0.0:5901), "
	  "reachable from other hosts; only with --vnc-password-file.  Note that "
	  "VNC encrypts nothing: prefer a loopback address through an SSH "
	  "tunnel", NULL },
	{ "vnc-password-file", 0, 0, G_OPTION_ARG_FILENAME, &opt_vnc_password_file,
	  "Ask VNC viewers for the password on the first line of FILE (1 to 8 "
	  "bytes: VNC authentication uses no more).  FILE must be a regular file "
	  "readable by its owner only (chmod 600), as ssh wants a private key; "
	  "it is read once, at start", "FILE" },
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
	{ "name", 'n', 0, G_OPTION_ARG_STRING, &opt_name,
	  "The VM's name: its control socket is $XDG_RUNTIME_DIR/vmain/NAME.sock "
	  "(/run/vmain/NAME.sock for root without XDG_RUNTIME_DIR), for `vmain "
	  "console`, `vmain pause` and the rest; default run-PID.  Letters, "
	  "digits, '.', '_' and '-', up to 64", "NAME" },
	{ "verbose", 'v', 0, G_OPTION_ARG_NONE, &opt_verbose,
	  "Say what the monitor does (backend, resets, dropped events)", NULL },
	{ NULL, 0, 0, 0, NULL, NULL, NULL }
};

static const char run_description[] =
	"Boots an unmodified Linux kernel directly (the x86 64-bit boot protocol),\n"
	"or without --kernel the firmware (SeaBIOS, docs/firmware.md: a Q35/ICH9\n"
	"chipset, the BIOS at the reset vector, its log on --firmware-log), on a\n"
	"virtual PC: x2APIC local APICs, I/O APIC, 8259 PICs, 8254 PIT,\n"
	"CMOS RTC, 8250 UART (COM1, IRQ 4), i8042, ACPI (power off, reset, the\n"
	"power button), a PCI host bridge with virtio-console, virtio-rng, a\n"
	"virtio-blk disk for each --disk (one request queue per vCPU) and a\n"
	"virtio-net interface for each --net.\n"
	"\n"
	"Control: the VM serves the control API (docs/api.md) on a socket named by\n"
	"--name, so `vmain status`, `vmain pause`, `vmain console NAME` work on it\n"
	"as on VMs made with `vmain create`.\n"
	"\n"
	"Guest RAM asks the host for transparent huge pages (2 MiB nested\n"
	"mappings); --hugepages off (or VMAIN_THP=0 in the environment) turns\n"
	"that off, --hugepages 2M|1G backs it with hugetlbfs pages instead.\n"
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
	"  (V << 1) | 1, its low 8 bits: the guest wrote V to --debug-exit's port\n"
	"     (QEMU's isa-debug-exit statuses: odd, so 1 and 3 can mean either)\n"
	"\n"
	"Multiboot: a --kernel that is not a bzImage but has a Multiboot (v1)\n"
	"header is booted as QEMU boots one: its a.out-kludge addresses or ELF32\n"
	"segments loaded, --module files after it, the information structure\n"
	"(memory map, command line = the kernel's path and --append, modules,\n"
	"boot loader name \"vmain\"), entered in 32-bit protected mode without\n"
	"paging, EAX = 0x2BADB002.  With --debug-exit, a bare-metal test kernel\n"
	"ends the VM with its own status.  See docs/cli.md.\n"
	"\n"
	"--firmware seabios --kernel K [--initrd I] [--append A]: the BIOS boots\n"
	"the bzImage K through fw_cfg and QEMU's Linux boot option ROM (Debian's\n"
	"qemu-system-data package), before any disk, entering its real-mode setup\n"
	"code: for a guest that needs a BIOS's services (E820, EDD, VESA from the\n"
	"BIOS) or to test the firmware path.  See docs/firmware.md.\n"
	"\n"
	"Disks: the image is opened and locked before the guest starts; a bad\n"
	"--disk is status 2, a missing, unreadable or locked image status 1.  I/O goes\n"
	"through io_uring from one I/O thread; with cache=writeback adjacent\n"
	"writes are merged into writes of up to 1 MiB, and a guest flush (or a\n"
	"guest that turns its write cache off: echo 'write through' >\n"
	"/sys/block/vda/cache_type) makes them durable with fdatasync.  On\n"
	"exit every cached write reaches the image.  See docs/storage.md.\n"
	"\n"
	"Network: none unless --net asks for it.  A bad --net is status 2, before\n"
	"anything starts; a tap interface that cannot be opened or a forwarded\n"
	"port that cannot be bound is status 1.  See docs/networking.md.\n"
	"\n"
	"Display: none unless --display, --display-size or --vnc asks for it; a\n"
	"headless VM has no graphics device and costs nothing for one.  With a\n"
	"screen, the guest's virtio-gpu driver draws into it, and `vmain\n"
	"screenshot`, the API's org.vmain.Display1 and a VNC viewer (--vnc) show\n"
	"and drive it; the guest resizes to a viewer's window.  VNC is off unless\n"
	"--vnc names where it listens: a loopback address or a unix socket, or\n"
	"with --vnc-listen-any and a password file any address.  A bad display\n"
	"option or password file is status 2, before anything starts.\n"
	"\n"
	"Examples:\n"
	"  vmain run --kernel /boot/vmlinuz-$(uname -r) --initrd initrd.img \\\n"
	"            --append 'console=ttyS0 root=/dev/vda' --memory 1G --cpus 2 \\\n"
	"            --disk debian.qcow2 --disk scratch.img,cache=none \\\n"
	"            --net user,hostfwd=tcp:127.0.0.1:2222-:22\n"
	"  (then ssh -p 2222 127.0.0.1 reaches the guest's port 22)\n"
	"  vmain run --kernel bzImage --append console=ttyS0 --net tap,ifname=tap0\n"
	"  vmain run --kernel bzImage --disk root.img --display-size 1280x800 \\\n"
	"            --vnc 127.0.0.1:5901\n"
	"  (then a VNC viewer on 127.0.0.1::5901 shows the screen)\n";

/*
 * --firmware, --bios, --firmware-log: the firmware when there is no
 * --kernel, the direct boot when there is (docs/firmware.md).
 */
static int check_firmware(struct machine_config *cfg)
{
	const char *fw = opt_firmware ? opt_firmware : opt_kernel && !opt_bios ? "none" : "seabios";
	struct stat st;
	const char *why;

	if (strcmp(fw, "seabios") && strcmp(fw, "none")) {
		fprintf(stderr, "vmain run: --firmware '%s': must be seabios or none\n", fw);
		return -EINVAL;
	}
	if (opt_firmware_log && (!strcmp(opt_firmware_log, "stdio") ||
				 !strcmp(opt_firmware_log, "console"))) {
		fprintf(stderr, "vmain run: --firmware-log '%s': must be a FILE or none\n",
			opt_firmware_log);
		return -EINVAL;
	}
	if (!strcmp(fw, "none")) {
		if (opt_bios || opt_firmware_log) {
			fprintf(stderr, "vmain run: %s needs --firmware seabios\n",
				opt_bios ? "--bios" : "--firmware-log");
			return -EINVAL;
		}
		if (!opt_kernel) {
			fprintf(stderr, "vmain run: --firmware none needs --kernel FILE "
				"(see vmain run --help)\n");
			return -EINVAL;
		}
		return 0;
	}
	/*
	 * --kernel under the firmware: SeaBIOS runs QEMU's Linux boot ROM,
	 * which loads it from fw_cfg (machine/fwcfg.h); a Linux bzImage only
	 * (Multiboot kernels take the direct boot).
	 */
	if (!opt_kernel && (opt_initrd || opt_append)) {
		fprintf(stderr, "vmain run: --initrd and --append need --kernel\n");
		return -EINVAL;
	}
	if (opt_kernel && opt_modules) {
		fprintf(stderr, "vmain run: --module (a Multiboot kernel) needs --firmware none\n");
		return -EINVAL;
	}
	if (opt_kernel && access(FW_LINUXBOOT_ROM, R_OK)) {
		fprintf(stderr, "vmain run: --kernel under --firmware seabios needs the Linux "
			"boot ROM %s: %s (Debian's %s package has it)\n", FW_LINUXBOOT_ROM,
			strerror(errno), FW_LINUXBOOT_PACKAGE);
		return -EINVAL;
	}
	cfg->bios = opt_bios ? opt_bios : FW_DEFAULT_BIOS;
	if (stat(cfg->bios, &st) || access(cfg->bios, R_OK)) {
		fprintf(stderr, "vmain run: cannot read the BIOS '%s': %s%s\n", cfg->bios,
			strerror(errno), opt_bios ? "" : " (Debian's seabios package has it)");
		return -EINVAL;
	}
	why = S_ISREG(st.st_mode) ? firmware_rom_size_error((uint64_t)st.st_size) :
	      "it is not a regular file";
	if (why) {
		fprintf(stderr, "vmain run: --bios '%s': %s\n", cfg->bios, why);
		return -EINVAL;
	}
	return 0;
}

/* Checks what can be checked before any resource is taken. */
static int check_args(struct machine_config *cfg, struct vm_config *nets)
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

	if (check_firmware(cfg))
		return -EINVAL;
	if (opt_kernel && access(opt_kernel, R_OK)) {
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
	if (!opt_hugepages || !strcmp(opt_hugepages, "thp")) {
		cfg->hugepages = MACHINE_HUGEPAGES_THP;
	} else if (!strcmp(opt_hugepages, "off")) {
		cfg->hugepages = MACHINE_HUGEPAGES_OFF;
	} else if (!strcmp(opt_hugepages, "2M") || !strcmp(opt_hugepages, "1G")) {
		uint64_t page = opt_hugepages[0] == '1' ? 1ULL << 30 : 2ULL << 20;

		cfg->hugepages = page >> 30 ? MACHINE_HUGEPAGES_1G : MACHINE_HUGEPAGES_2M;
		if (mem % page) {
			fprintf(stderr, "vmain run: --hugepages %s: --memory (%" PRIu64 " MiB) "
				"must be a multiple of %s\n", opt_hugepages, mem >> 20,
				page >> 30 ? "1 GiB" : "2 MiB");
			return -EINVAL;
		}
	} else {
		fprintf(stderr, "vmain run: --hugepages '%s': must be thp, off, 2M or 1G\n",
			opt_hugepages);
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
	/*
	 * Each --net checked as a bundle's [netN] is (the same limits, no MAC,
	 * tap or forwarded port twice), and made canonical with its MAC.
	 */
	for (unsigned int i = 0; opt_nets && opt_nets[i]; i++) {
		char err[256];

		if (vm_config_add_net(nets, opt_nets[i], err, sizeof(err))) {
			fprintf(stderr, "vmain run: --net '%s': %s\n", opt_nets[i], err);
			return -EINVAL;
		}
	}
	if (opt_debug_exit) {
		char err[128];

		if (debug_exit_parse(opt_debug_exit, &cfg->debug_exit, err, sizeof(err))) {
			fprintf(stderr, "vmain run: --debug-exit '%s': %s\n", opt_debug_exit, err);
			return -EINVAL;
		}
	}
	if (opt_modules && !opt_kernel) {
		fprintf(stderr, "vmain run: --module needs a Multiboot --kernel\n");
		return -EINVAL;
	}
	if (opt_modules && g_strv_length(opt_modules) > MB_MAX_MODULES) {
		fprintf(stderr, "vmain run: more than %d --module\n", MB_MAX_MODULES);
		return -EINVAL;
	}
	for (unsigned int i = 0; opt_modules && opt_modules[i]; i++) {
		/* The file is the text up to the first space (machine.c does the same). */
		gchar *path = g_strndup(opt_modules[i], strcspn(opt_modules[i], " "));
		int err = access(path, R_OK) ? errno : 0;

		if (err)
			fprintf(stderr, "vmain run: cannot read the module '%s': %s\n", path,
				strerror(err));
		g_free(path);
		if (err)
			return -err;
	}
	cfg->modules = (const char *const *)opt_modules;
	cfg->nr_modules = opt_modules ? g_strv_length(opt_modules) : 0;
	cfg->kernel = opt_kernel;
	cfg->initrd = opt_initrd;
	cfg->append = opt_append ? opt_append : "";
	cfg->mem = mem;
	cfg->cpus = opt_cpus;
	cfg->verbose = opt_verbose;
	cfg->pvclock = !opt_no_pvclock;
	return 0;
}

/*
 * The screen's options, checked as the VM will check them (the spec, the
 * password file and the rule on addresses beyond loopback), so that a
 * mistake is status 2 before anything is taken.
 */
static int check_display(struct vm_spec *spec)
{
	unsigned int w = 0, h = 0;
	struct vnc_options o;
	char err[512];

	if (opt_display_size && vm_display_size_parse(opt_display_size, &w, &h, err,
						      sizeof(err))) {
		fprintf(stderr, "vmain run: --display-size '%s': %s\n", opt_display_size, err);
		return -EINVAL;
	}
	if (!opt_vnc && (opt_vnc_listen_any || opt_vnc_password_file)) {
		fprintf(stderr, "vmain run: %s needs --vnc ADDR (where VNC listens)\n",
			opt_vnc_listen_any ? "--vnc-listen-any" : "--vnc-password-file");
		return -EINVAL;
	}
	if (opt_vnc) {
		if (vnc_options_parse(opt_vnc, &o, err, sizeof(err))) {
			fprintf(stderr, "vmain run: --vnc: %s\n", err);
			return -EINVAL;
		}
		if (opt_vnc_password_file &&
		    vnc_options_load_password(&o, opt_vnc_password_file, err, sizeof(err))) {
			fprintf(stderr, "vmain run: --vnc-password-file: %s\n", err);
			return -EINVAL;
		}
		explicit_bzero(o.password, sizeof(o.password));
		o.listen_any = opt_vnc_listen_any;
		if (vnc_options_check(&o, err, sizeof(err))) {
			fprintf(stderr, "vmain run: --vnc '%s': %s\n", opt_vnc, err);
			return -EINVAL;
		}
	}
	spec->display = opt_display || opt_display_size || opt_vnc;
	spec->display_width = w;
	spec->display_height = h;
	spec->vnc = opt_vnc;
	spec->vnc_listen_any = opt_vnc_listen_any;
	spec->vnc_password_file = opt_vnc_password_file;
	return 0;
}

/*
 * The control socket: the user's runtime directory, or for root without
 * one (a service, a test rig) the system's.  Another user without
 * XDG_RUNTIME_DIR gets no socket: the VM runs, uncontrolled.
 */
static int claim_control(const char *name, char **sock_path, int *lock_fd)
{
	struct vm_paths paths;
	char err[256];
	int ret;

	*sock_path = NULL;
	*lock_fd = -1;
	ret = vm_paths_init(&paths, false, err, sizeof(err));
	if (ret && geteuid() == 0)
		ret = vm_paths_init(&paths, true, err, sizeof(err));
	if (ret) {
		if (opt_verbose)
			fprintf(stderr, "vmain run: no control socket: %s\n", err);
		return 0;
	}
	ret = vm_control_claim(&paths, name, sock_path, lock_fd, err, sizeof(err));
	if (ret)
		fprintf(stderr, "vmain run: %s\n", err);
	vm_paths_free(&paths);
	return ret;
}

int cmd_run(int argc, char **argv)
{
	struct vm_spec spec = { .ready_fd = -1 };
	struct vm_config nets = { 0 };
	GOptionContext *ctx;
	GError *error = NULL;
	char err[256], *name, *sock_path;
	int status, lock_fd;

	g_set_prgname("vmain run");
	ctx = g_option_context_new("- boot a Linux kernel in a new VM");
	g_option_context_add_main_entries(ctx, run_options, NULL);
	g_option_context_set_description(ctx, run_description);
	if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
		fprintf(stderr, "vmain run: %s\n", error->message);
		g_error_free(error);
		g_option_context_free(ctx);
		return VM_EXIT_USAGE;
	}
	g_option_context_free(ctx);
	if (argc > 1) {
		fprintf(stderr, "vmain run: unexpected argument '%s'\n", argv[1]);
		return VM_EXIT_USAGE;
	}
	/* First: a NIC's MAC is derived from it (check_args()). */
	if (vmain_dev_random_uuid(spec.mcfg.uuid)) {
		fprintf(stderr, "vmain run: cannot make a VM UUID\n");
		return VM_EXIT_FAILURE;
	}
	memcpy(nets.uuid, spec.mcfg.uuid, sizeof(nets.uuid));
	if (check_args(&spec.mcfg, &nets) || check_display(&spec)) {
		vm_config_free(&nets);
		return VM_EXIT_USAGE;
	}
	name = opt_name ? g_strdup(opt_name) : g_strdup_printf("run-%ld", (long)getpid());
	if (vm_name_check(name, err, sizeof(err))) {
		fprintf(stderr, "vmain run: --name '%s': %s\n", name, err);
		status = VM_EXIT_USAGE;
		goto free_name;
	}
	if (claim_control(name, &sock_path, &lock_fd)) {
		status = VM_EXIT_FAILURE;
		goto free_name;
	}
	spec.name = name;
	spec.socket_path = sock_path;
	spec.config_text = "";
	spec.disks = opt_disks;
	spec.nr_disks = opt_disks ? g_strv_length(opt_disks) : 0;
	spec.cdrom = opt_cdrom;
	spec.nets = g_new0(char *, nets.nr_nets + 1);
	for (unsigned int i = 0; i < nets.nr_nets; i++)
		spec.nets[i] = nets.nets[i].spec;
	spec.nr_nets = nets.nr_nets;
	spec.io_threads = (unsigned)opt_io_threads;
	spec.serial = opt_serial ? opt_serial : "stdio";
	spec.hvc = opt_hvc ? opt_hvc : "none";
	spec.firmware_log = opt_firmware_log ? opt_firmware_log : "none";
	spec.kernel_or_initrd[0] = opt_kernel;
	spec.kernel_or_initrd[1] = opt_initrd;
	spec.stop_timeout = (unsigned)opt_shutdown_timeout;
	spec.stats = opt_stats;
	status = vm_main(&spec);
	vm_control_release(sock_path, lock_fd);
	g_free(sock_path);
	g_free(spec.nets);
free_name:
	g_free(name);
	vm_config_free(&nets);
	return status;
}
