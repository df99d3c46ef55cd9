// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd-start.c - `vmain start NAME`: run a VM from its bundle, in the
 * foreground on this terminal or in the background (--headless).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "display/vnc-options.h"
#include "machine/firmware.h"
#include "state/savefile.h"
#include "vm/bundle.h"
#include "vm/config.h"
#include "vm/control.h"
#include "vm/hostconf.h"
#include "vm/log.h"
#include "vm/vm.h"

/* "vmain start" or "vmain restore": what the messages start with. */
static const char *prog = "vmain start";
static gboolean opt_headless, opt_verbose, opt_stats, opt_discard_state, opt_keep;
static gchar *opt_restore, *opt_file;

static const GOptionEntry start_entries[] = {
	{ "headless", 'H', 0, G_OPTION_ARG_NONE, &opt_headless,
	  "Run in the background: `vmain start` returns once the guest runs "
	  "(or with the error that kept it from running); the console is "
	  "`vmain console NAME`.  Under systemd (a Type=notify unit) the VM "
	  "stays in the foreground and tells systemd when it runs", NULL },
	{ "verbose", 'v', 0, G_OPTION_ARG_NONE, &opt_verbose,
	  "Say what the monitor does (backend, resets, dropped output)", NULL },
	{ "stats", 0, 0, G_OPTION_ARG_NONE, &opt_stats,
	  "At the end, print on stderr per boot the monitor's CPU time until "
	  "the first guest instruction and the exits each vCPU returned (as "
	  "vmain run --stats)", NULL },
	{ "discard-state", 0, 0, G_OPTION_ARG_NONE, &opt_discard_state,
	  "Delete the state `vmain save` left (state.sav) and boot afresh", NULL },
	{ "restore", 0, 0, G_OPTION_ARG_STRING, &opt_restore,
	  "How a saved state's RAM is loaded: lazy (mapped from the file, each "
	  "page read when the guest first touches it: the guest runs at once; the "
	  "default) or eager (all of it read before the guest runs)", "MODE" },
	{ NULL, 0, 0, 0, NULL, NULL, NULL }
};

static const char start_description[] =
	"Runs VM NAME as its bundle describes it (vmain create, vmain edit).\n"
	"Without --headless the serial console is this terminal, as with `vmain\n"
	"run`: Ctrl-A x stops the VM.  Either way the VM serves its control API,\n"
	"so `vmain console`, `vmain pause`, `vmain stop` and the rest work on it.\n"
	"\n"
	"Checks: the bundle's config.ini (a bad key or value names the file and\n"
	"line), that NAME is not running already, and the host's memory cap\n"
	"(max_memory in /etc/vmain/vmain.conf or ~/.config/vmain/vmain.conf)\n"
	"against the memory of the VMs running now.\n"
	"\n"
	"Exit status:\n"
	"  0  --headless: the guest runs; foreground: the guest powered off\n"
	"  1  the VM could not be started, or failed\n"
	"  2  bad usage, or a bad config.ini\n"
	"  3  foreground: the VM was stopped (vmain stop's timeout, vmain kill, Ctrl-A x)\n"
	"  4  NAME is already running\n"
	"  5  no VM named NAME\n"
	"  6  foreground: the VM was saved (vmain save)\n"
	"\n"
	"A VM suspended by `vmain save` (its bundle holds state.sav) is restored\n"
	"where it stopped instead of booting; the file is deleted once the guest\n"
	"runs.  A state that cannot be restored (corrupt, truncated, from another\n"
	"vmain, for other memory, CPUs or devices, or a CPU lacking features the\n"
	"guest had) is refused with the reason and the VM does not start:\n"
	"--discard-state boots it afresh.\n";

/*
 * System VMs run as user vmain (vmain@.service): one started by root
 * would leave root's lock files in the bundle and /run/vmain, which the
 * service could not take afterwards.
 */
static int check_system_user(const struct vm_paths *paths)
{
	struct passwd *pw;

	if (!paths->system || geteuid() != 0)
		return CLI_OK;
	pw = getpwnam("vmain");
	if (!pw)
		return CLI_OK;	/* no such user: root's own system VMs */
	fprintf(stderr, "%s: system VMs run as user vmain: use `systemctl start "
		"vmain@NAME` (or run this as vmain)\n", prog);
	return CLI_USAGE;
}

/* The memory the other running VMs of this user (or the system) use. */
static uint64_t running_memory(const struct vm_paths *paths, const char *self)
{
	struct vm_config cfg;
	char **names = NULL, *dir, err[256];
	uint64_t total = 0;
	int i, n;

	n = vm_bundle_list(paths, &names);
	for (i = 0; i < n; i++) {
		if (!strcmp(names[i], self))
			continue;
		dir = vm_bundle_dir(paths, names[i]);
		if (vm_bundle_running(dir, NULL)) {
			vm_config_init(&cfg);
			if (!vm_config_load(dir, &cfg, err, sizeof(err)))
				total += cfg.memory;
			vm_config_free(&cfg);
		}
		g_free(dir);
	}
	g_strfreev(names);
	return total;
}

/*
 * Takes the bundle's lock and checks the memory cap, one start at a time
 * (a lock on the VMs directory), so that two starts cannot both fit.
 */
static int claim_bundle(const struct vm_paths *paths, const char *name, const char *dir,
			const struct vm_config *cfg, int *lock_fd)
{
	struct vm_hostconf hc;
	char err[512];
	pid_t holder = 0;
	int dir_fd, ret, status = CLI_OK;

	dir_fd = open(paths->vms_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir_fd >= 0)
		flock(dir_fd, LOCK_EX);
	ret = vm_bundle_lock(dir, lock_fd, &holder);
	if (ret == -EBUSY) {
		if (holder > 0)
			fprintf(stderr, "%s: %s is already running (pid %ld)\n", prog, name,
				(long)holder);
		else
			fprintf(stderr, "%s: %s is already running\n", prog, name);
		status = CLI_STATE;
		goto unlock_dir;
	}
	if (ret) {
		fprintf(stderr, "%s: cannot lock %s: %s\n", prog, dir, strerror(-ret));
		status = CLI_FAILED;
		goto unlock_dir;
	}
	ret = vm_hostconf_load(&hc, paths->system, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "%s: %s\n", prog, err);
		status = CLI_FAILED;
		goto unlock_bundle;
	}
	ret = vm_memcap_check(&hc, name, running_memory(paths, name), cfg->memory, err,
			      sizeof(err));
	vm_hostconf_free(&hc);
	if (ret) {
		fprintf(stderr, "%s: %s\n", prog, err);
		status = CLI_FAILED;
		goto unlock_bundle;
	}
	goto unlock_dir;
unlock_bundle:
	vm_bundle_unlock(*lock_fd);
	*lock_fd = -1;
unlock_dir:
	if (dir_fd >= 0)
		close(dir_fd);
	return status;
}

/*
 * --headless outside systemd: the VM goes on in a child of its own
 * session, and this process waits for it to say that the guest runs (a
 * byte on `ready`).  Until then the child's stderr is a pipe to us, so
 * every error reaches the user who typed the command.  Returns -1 in the
 * child, or the exit status for the parent.
 */
static int daemonize(const char *name, int *ready_fd, int lock_fd1, int lock_fd2)
{
	int rp[2], ep[2], st;
	struct pollfd fds[2];
	char buf[1024];
	bool ready = false;
	ssize_t n;
	pid_t pid;

	if (pipe2(rp, O_CLOEXEC))
		goto fail;
	if (pipe2(ep, O_CLOEXEC)) {
		close(rp[0]);
		close(rp[1]);
		goto fail;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		close(rp[0]);
		close(rp[1]);
		close(ep[0]);
		close(ep[1]);
		goto fail;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);

		close(rp[0]);
		close(ep[0]);
		setsid();
		if (null >= 0) {
			dup2(null, STDIN_FILENO);
			dup2(null, STDOUT_FILENO);
			close(null);
		}
		dup2(ep[1], STDERR_FILENO);
		close(ep[1]);
		if (chdir("/"))
			(void)0;	/* every path in the VM's settings is absolute */
		/* The locks are ours now: the pid in them must be too. */
		vm_lock_set_pid(lock_fd1);
		vm_lock_set_pid(lock_fd2);
		*ready_fd = rp[1];
		return -1;
	}
	close(rp[1]);
	close(ep[1]);
	fds[0] = (struct pollfd){ .fd = rp[0], .events = POLLIN };
	fds[1] = (struct pollfd){ .fd = ep[0], .events = POLLIN };
	while (fds[0].fd >= 0 || fds[1].fd >= 0) {
		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (fds[1].revents) {
			n = read(ep[0], buf, sizeof(buf));
			if (n > 0)
				(void)!write(STDERR_FILENO, buf, (size_t)n);
			else
				fds[1].fd = -1;
		}
		if (fds[0].revents) {
			n = read(rp[0], buf, 1);
			if (n == 1) {
				ready = true;
				break;
			}
			fds[0].fd = -1;
		}
	}
	close(rp[0]);
	close(ep[0]);
	if (ready) {
		printf("%s is running (pid %ld)\n", name, (long)pid);
		return CLI_OK;
	}
	/* It ended before the guest ran: its status is ours. */
	if (waitpid(pid, &st, 0) == pid && WIFEXITED(st))
		return WEXITSTATUS(st);
	return CLI_FAILED;
fail:
	fprintf(stderr, "%s: cannot start %s in the background: %s\n", prog, name,
		strerror(errno));
	return CLI_FAILED;
}

/*
 * The VNC password file is read when the VM opens its screen; reading it
 * here too makes a missing or too open file status 2 with the bundle's
 * name before anything is claimed (config.ini was checked by the load).
 */
static int check_vnc(const struct vm_config *cfg, const char *name)
{
	struct vnc_options o;
	char err[512];
	int ret;

	if (!cfg->vnc || !cfg->vnc_password_path)
		return CLI_OK;
	ret = vnc_options_parse(cfg->vnc, &o, err, sizeof(err));
	if (!ret) {
		ret = vnc_options_load_password(&o, cfg->vnc_password_path, err, sizeof(err));
		explicit_bzero(o.password, sizeof(o.password));
	}
	if (ret) {
		fprintf(stderr, "%s: %s: [display] vnc-password-file: %s\n", prog, name, err);
		return CLI_USAGE;
	}
	return CLI_OK;
}

/* The machine's settings from the bundle's; CLI_USAGE with a message if unusable. */
static int make_spec(struct vm_spec *spec, const struct vm_config *cfg, const char *name)
{
	long online = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned int i;

	/* No kernel: the firmware boots, as `vmain run` without --kernel (docs/firmware.md). */
	if (!cfg->kernel) {
		if (access(FW_DEFAULT_BIOS, R_OK)) {
			fprintf(stderr, "%s: %s has no kernel and the BIOS %s cannot be read: "
				"%s (install seabios, or vmain edit %s --kernel FILE)\n", prog,
				name, FW_DEFAULT_BIOS, strerror(errno), name);
			return CLI_USAGE;
		}
		spec->mcfg.bios = FW_DEFAULT_BIOS;
	}
	if (online > 0 && cfg->cpus > (unsigned long)online) {
		fprintf(stderr, "%s: %s has %u CPUs; this host has %ld online\n", prog,
			name, cfg->cpus, online);
		return CLI_USAGE;
	}
	if (hv_accel_parse(cfg->accel, &spec->mcfg.accel)) {
		fprintf(stderr, "%s: %s: accel '%s' is not auto, vmain or kvm\n", prog,
			name, cfg->accel);
		return CLI_USAGE;
	}
	if (check_vnc(cfg, name))
		return CLI_USAGE;
	memcpy(spec->mcfg.uuid, cfg->uuid, sizeof(cfg->uuid));
	spec->mcfg.kernel = cfg->kernel;
	spec->mcfg.initrd = cfg->initrd;
	spec->mcfg.append = cfg->append ? cfg->append : "";
	spec->mcfg.mem = cfg->memory;
	spec->mcfg.cpus = cfg->cpus;
	spec->mcfg.pvclock = cfg->pvclock;
	spec->mcfg.verbose = opt_verbose;
	spec->disks = g_new0(char *, cfg->nr_disks + 1);
	for (i = 0; i < cfg->nr_disks; i++)
		spec->disks[i] = cfg->disks[i].spec;
	spec->nr_disks = cfg->nr_disks;
	/* "": the drive is there, empty. */
	if (cfg->cdrom)
		spec->cdrom = cfg->cdrom_path ? cfg->cdrom_path : "";
	spec->nets = g_new0(char *, cfg->nr_nets + 1);
	for (i = 0; i < cfg->nr_nets; i++)
		spec->nets[i] = cfg->nets[i].spec;
	spec->nr_nets = cfg->nr_nets;
	spec->io_threads = cfg->io_threads;
	spec->kernel_or_initrd[0] = cfg->kernel;
	spec->kernel_or_initrd[1] = cfg->initrd;
	spec->stop_timeout = cfg->stop_timeout;
	spec->stop_kills = cfg->stop_action == VM_STOP_KILL;
	spec->hvc = "none";
	spec->stats = opt_stats;
	spec->display = cfg->display || cfg->vnc;
	spec->display_width = cfg->display_width;
	spec->display_height = cfg->display_height;
	spec->vnc = cfg->vnc;
	spec->vnc_listen_any = cfg->vnc_listen_any;
	spec->vnc_password_file = cfg->vnc_password_path;
	/* Foreground: the terminal is the console, as with `vmain run`. */
	spec->serial = !opt_headless ? "stdio" : cfg->serial;
	return CLI_OK;
}

/* vmain restore's own options; start_entries but --discard-state follow. */
static const GOptionEntry restore_only_entries[] = {
	{ "file", 'f', 0, G_OPTION_ARG_FILENAME, &opt_file,
	  "The state to restore: a file `vmain save` wrote (required)", "FILE" },
	{ "keep", 0, 0, G_OPTION_ARG_NONE, &opt_keep,
	  "Leave FILE in place once the guest runs.  By default it is deleted, "
	  "as state.sav is: the guest's disks move on from there, and the same "
	  "state restored again over them corrupts what the guest wrote since.  "
	  "Restore a kept state again only with the disks put back as they were "
	  "at the save", NULL },
};

static const char restore_description[] =
	"Restores VM NAME from FILE, a state `vmain save` wrote (its bundle's\n"
	"state.sav, moved or copied away), as `vmain start` restores state.sav:\n"
	"the guest goes on where it stopped, in the foreground or --headless.\n"
	"FILE must come from this VM (or one with the same memory, CPUs, disks\n"
	"and network interfaces, and disk images unchanged since the save); a\n"
	"state that does not fit is refused with the reason and the VM does not\n"
	"start.  FILE is deleted once the guest runs unless --keep.  A VM whose\n"
	"bundle holds a state.sav of its own is refused: `vmain start` restores\n"
	"that one, `vmain start --discard-state` drops it.\n"
	"\n"
	"Exit status: as vmain start's (1: FILE could not be restored).\n";

/* restore_only_entries, then start_entries but --discard-state. */
static GOptionEntry *restore_entries(void)
{
	size_t n = G_N_ELEMENTS(restore_only_entries), i;
	GOptionEntry *e = g_new0(GOptionEntry, n + G_N_ELEMENTS(start_entries));

	memcpy(e, restore_only_entries, sizeof(restore_only_entries));
	for (i = 0; start_entries[i].long_name; i++)
		if (strcmp(start_entries[i].long_name, "discard-state"))
			e[n++] = start_entries[i];
	return e;		/* ends with the zeroed entry */
}

/*
 * vmain restore: FILE (absolute: a --headless VM runs in /) into
 * spec->restore_path, or a message and the exit status.  The bundle's
 * lock is held: its state.sav cannot appear meanwhile.
 */
static int restore_from(struct vm_spec *spec, const char *state_path, char **path)
{
	if (g_file_test(state_path, G_FILE_TEST_EXISTS)) {
		fprintf(stderr, "%s: %s holds a saved state of its own (%s): `vmain "
			"start %s` restores it, `vmain start --discard-state %s` deletes it\n",
			prog, spec->name, state_path, spec->name, spec->name);
		return CLI_FAILED;
	}
	if (!g_file_test(opt_file, G_FILE_TEST_IS_REGULAR)) {
		fprintf(stderr, "vmain restore: %s: %s\n", opt_file,
			g_file_test(opt_file, G_FILE_TEST_EXISTS) ? "not a regular file" :
			"no such file");
		return CLI_FAILED;
	}
	*path = g_canonicalize_filename(opt_file, NULL);
	spec->restore_path = *path;
	spec->restore_keep = opt_keep;
	return CLI_OK;
}

static int start(int argc, char **argv, bool restore)
{
	struct vm_spec spec = { .ready_fd = -1 };
	struct vm_paths paths;
	struct vm_config cfg;
	char *name, *dir, *sock_path = NULL, *ini = NULL, *state_path = NULL, err[512];
	char *restore_path = NULL;
	GOptionEntry *entries = restore ? restore_entries() : NULL;
	int status, ret, bundle_fd = -1, control_fd = -1;
	int64_t t0;

	if (restore) {
		prog = "vmain restore";
		status = cli_parse(&argc, &argv, "restore", "NAME",
				   "restore a VM from the state in --file FILE", restore_description,
				   entries, &name, &paths);
	} else {
		status = cli_parse(&argc, &argv, "start", "NAME", "start a VM",
				   start_description, start_entries, &name, &paths);
	}
	g_free(entries);
	if (status)
		return status;
	if (restore && !opt_file) {
		fprintf(stderr, "vmain restore: --file FILE is required (vmain restore --help)\n");
		vm_paths_free(&paths);
		return CLI_USAGE;
	}
	t0 = thread_cpu_ns();
	status = cli_bundle_exists(restore ? "restore" : "start", &paths, name);
	if (status)
		goto free_paths;
	status = check_system_user(&paths);
	if (status)
		goto free_paths;
	dir = vm_bundle_dir(&paths, name);
	vm_config_init(&cfg);
	ret = vm_config_load(dir, &cfg, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "%s: %s\n", prog, err);
		status = CLI_USAGE;
		goto free_config;
	}
	status = make_spec(&spec, &cfg, name);
	if (status)
		goto free_config;
	if (opt_restore && strcmp(opt_restore, "eager") && strcmp(opt_restore, "lazy")) {
		fprintf(stderr, "%s: --restore %s: must be eager or lazy\n", prog, opt_restore);
		status = CLI_USAGE;
		goto free_config;
	}
	status = claim_bundle(&paths, name, dir, &cfg, &bundle_fd);
	if (status)
		goto free_config;
	/* Under the bundle's lock: no other start restores it meanwhile. */
	state_path = g_build_filename(dir, "state.sav", NULL);
	spec.state_path = state_path;
	savefile_remove_stale(state_path);
	if (restore) {
		spec.name = name;
		status = restore_from(&spec, state_path, &restore_path);
		if (status)
			goto unlock_bundle;
		spec.restore = true;
		spec.restore_lazy = !opt_restore || !strcmp(opt_restore, "lazy");
	} else if (opt_discard_state) {
		if (unlink(state_path) && errno != ENOENT) {
			fprintf(stderr, "%s: cannot delete %s: %s\n", prog, state_path,
				strerror(errno));
			status = CLI_FAILED;
			goto unlock_bundle;
		}
	} else if (g_file_test(state_path, G_FILE_TEST_EXISTS)) {
		spec.restore = true;
		spec.restore_lazy = !opt_restore || !strcmp(opt_restore, "lazy");
	}
	ret = vm_control_claim(&paths, name, &sock_path, &control_fd, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "%s: %s\n", prog, err);
		status = ret == -EBUSY ? CLI_STATE : CLI_FAILED;
		goto unlock_bundle;
	}
	ini = vm_config_to_ini(&cfg);
	spec.bundle_cpu_ns = thread_cpu_ns() - t0;
	spec.name = name;
	spec.bundle_dir = dir;
	spec.socket_path = sock_path;
	spec.config_text = ini;
	spec.system = paths.system;
	if (opt_headless && !getenv("NOTIFY_SOCKET")) {
		status = daemonize(name, &spec.ready_fd, bundle_fd, control_fd);
		if (status >= 0) {
			/* The parent: the locks are the child's now; only our fds go. */
			close(control_fd);
			close(bundle_fd);
			goto free_config;
		}
		spec.daemon = true;
	}
	status = vm_main(&spec);
	vm_control_release(sock_path, control_fd);
unlock_bundle:
	vm_bundle_unlock(bundle_fd);
free_config:
	g_free(restore_path);
	g_free(state_path);
	g_free(ini);
	g_free(sock_path);
	g_free(spec.disks);
	g_free(spec.nets);
	vm_config_free(&cfg);
	g_free(dir);
free_paths:
	vm_paths_free(&paths);
	return status;
}

int cmd_start(int argc, char **argv)
{
	return start(argc, argv, false);
}

int cmd_restore(int argc, char **argv)
{
	return start(argc, argv, true);
}

static const char autostart_description[] =
	"Starts, each with `vmain start --headless`, every VM whose settings say\n"
	"autostart=true (vmain create/edit --autostart yes) and that is not\n"
	"running yet, one after the other.  Under systemd each starts in its own\n"
	"unit instead (systemctl [--user] start vmain@NAME.service).  The user\n"
	"unit vmain-autostart.service runs it when the user's service manager\n"
	"starts; system VMs start with the host through their own units\n"
	"(systemctl enable vmain@NAME), or `vmain autostart --system`.\n"
	"\n"
	"Exit status: 0 every such VM runs; 1 one or more could not start (each\n"
	"says why); 2 bad usage.\n";

int cmd_autostart(int argc, char **argv)
{
	struct vm_paths paths;
	struct vm_config cfg;
	char **names = NULL, *dir, err[512];
	int status, i, n, st;

	status = cli_parse(&argc, &argv, "autostart", "", "start the VMs marked autostart",
			   autostart_description, NULL, NULL, &paths);
	if (status)
		return status;
	n = vm_bundle_list(&paths, &names);
	if (n < 0) {
		fprintf(stderr, "vmain autostart: %s: %s\n", paths.vms_dir, strerror(-n));
		vm_paths_free(&paths);
		return CLI_FAILED;
	}
	for (i = 0; i < n; i++) {
		bool want;

		dir = vm_bundle_dir(&paths, names[i]);
		vm_config_init(&cfg);
		want = !vm_config_load(dir, &cfg, err, sizeof(err)) && cfg.autostart &&
		       !vm_bundle_running(dir, NULL);
		vm_config_free(&cfg);
		g_free(dir);
		if (!want)
			continue;
		/*
		 * Each its own `vmain start`: its own errors, its own daemon; under
		 * systemd ($INVOCATION_ID, systemd.exec(5)) its own unit instead,
		 * so that it is supervised and not part of this one-shot service.
		 */
		{
			char *unit = g_strdup_printf("vmain@%s.service", names[i]);
			char *args[] = { (char *)"/proc/self/exe", (char *)"start",
					 (char *)"--headless", paths.system ? (char *)"--system" : NULL,
					 NULL, NULL };
			char *units[] = { (char *)"systemctl", paths.system ? (char *)"start" :
					  (char *)"--user", (char *)"start", unit, NULL };
			GError *gerr = NULL;

			args[paths.system ? 4 : 3] = names[i];
			if (paths.system) {
				units[2] = unit;
				units[3] = NULL;
			}
			if (!g_spawn_sync(NULL, getenv("INVOCATION_ID") ? units : args, NULL,
					  G_SPAWN_CHILD_INHERITS_STDIN | G_SPAWN_SEARCH_PATH,
					  NULL, NULL, NULL, NULL, &st, &gerr)) {
				fprintf(stderr, "vmain autostart: %s: %s\n", names[i], gerr->message);
				g_error_free(gerr);
				status = CLI_FAILED;
			} else if (!g_spawn_check_wait_status(st, NULL)) {
				status = CLI_FAILED;
			}
			g_free(unit);
		}
	}
	g_strfreev(names);
	vm_paths_free(&paths);
	return status;
}
