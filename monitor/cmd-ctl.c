// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd-ctl.c - `vmain stop|kill|pause|resume|reset NAME` and `vmain link
 * NAME NIC up|down`: a running VM, through its control API (docs/api.md).
 */
#include <errno.h>
#include <poll.h>
#include <sys/syscall.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "net/options.h"
#include "vm/client.h"
#include "vm/config.h"
#include "vm/control.h"
#include "vm/dbus.h"

#define DEFAULT_STOP_TIMEOUT	30	/* a VM with no bundle (`vmain run`) */
#define EXIT_GRACE_MS		15000	/* for the VM process to end after its last step */

static int call_status(const char *cmd, int ret, const char *err)
{
	if (!ret)
		return CLI_OK;
	fprintf(stderr, "vmain %s: %s\n", cmd, err);
	return ret == -EINVAL || ret == -EBUSY ? CLI_STATE : CLI_FAILED;
}

/* pause, resume, reset: one call. */
static int simple(int argc, char **argv, const char *cmd, const char *method,
		  const char *summary, const char *description)
{
	struct vm_paths paths;
	GDBusConnection *conn;
	char *name, err[512];
	int status, ret;

	status = cli_parse(&argc, &argv, cmd, "NAME", summary, description, NULL, &name, &paths);
	if (status)
		return status;
	status = cli_connect(cmd, &paths, name, &conn);
	if (!status) {
		ret = vm_client_call(conn, VM_DBUS_IFACE, method, NULL, NULL, NULL, err,
				     sizeof(err));
		status = call_status(cmd, ret, err);
		g_object_unref(conn);
	}
	vm_paths_free(&paths);
	return status;
}

int cmd_pause(int argc, char **argv)
{
	return simple(argc, argv, "pause", "Pause", "pause a running VM",
		"Stops every virtual CPU outside guest mode, with its state kept, and\n"
		"the VM's timers.  The guest's clock keeps the host's time: after\n"
		"`vmain resume` it is right, and timers that expired meanwhile fire\n"
		"once.  Disk requests already under way complete.\n"
		"\n"
		"Exit status: 0 paused; 1 failed; 2 bad usage; 4 the VM is not running\n"
		"(or is already paused); 5 no such VM.\n");
}

int cmd_resume(int argc, char **argv)
{
	return simple(argc, argv, "resume", "Resume", "resume a paused VM",
		"Lets the virtual CPUs run again exactly where they paused.\n"
		"\n"
		"Exit status: 0 running; 1 failed; 2 bad usage; 4 the VM is not paused;\n"
		"5 no such VM.\n");
}

int cmd_reset(int argc, char **argv)
{
	return simple(argc, argv, "reset", "Reset", "reset a VM (like its reset button)",
		"The guest boots again at once, in the same VM process: its disks,\n"
		"console and control socket stay.  Nothing is flushed inside the guest.\n"
		"\n"
		"Exit status: 0 done; 1 failed; 2 bad usage; 4 the VM is not running;\n"
		"5 no such VM.\n");
}

int cmd_link(int argc, char **argv)
{
	struct vm_paths paths;
	GDBusConnection *conn;
	char *name, *nic, *updown, err[512];
	unsigned int idx;
	int status, ret;

	status = cli_parse(&argc, &argv, "link", "NAME NIC up|down",
		"plug a VM's network cable in or pull it out",
		"Sets the link status of the VM's network interface NIC: net0 (or 0) is\n"
		"the first --net, as [net0] in its config.ini, net1 the second, and so\n"
		"on.  `down` is a cable pulled out: the guest's driver is told at once\n"
		"(its interface loses carrier), and no packet goes in or out; `up`\n"
		"plugs it back, and the guest's driver is told again.  The\n"
		"setting holds across a guest reset for as long as the VM process runs;\n"
		"a new start comes up with every link up, and a VM restored by `vmain\n"
		"start` has the links it was saved with.\n"
		"\n"
		"Example:\n"
		"  vmain link web net0 down\n"
		"  vmain link web net0 up\n"
		"\n"
		"Exit status: 0 done; 1 failed; 2 bad usage (NIC not netN, a word other\n"
		"than up or down, or a NIC the VM does not have); 4 the VM is not\n"
		"running; 5 no such VM.\n",
		NULL, &name, &paths);
	if (status)
		return status;
	nic = argv[2];
	updown = argv[3];
	if (net_nic_parse(nic, VM_MAX_NETS, &idx)) {
		fprintf(stderr, "vmain link: '%s': not a network interface (net0 .. net%d)\n",
			nic, VM_MAX_NETS - 1);
		status = CLI_USAGE;
	} else if (strcmp(updown, "up") && strcmp(updown, "down")) {
		fprintf(stderr, "vmain link: '%s': up or down\n", updown);
		status = CLI_USAGE;
	}
	if (!status)
		status = cli_connect("link", &paths, name, &conn);
	if (!status) {
		ret = vm_client_call(conn, VM_DBUS_IFACE, "SetLink",
				     g_variant_new("(sb)", nic, (gboolean)!strcmp(updown, "up")),
				     NULL, NULL, err, sizeof(err));
		status = ret == -ERANGE ? CLI_USAGE : call_status("link", ret, err);
		if (ret == -ERANGE)
			fprintf(stderr, "vmain link: %s\n", err);
		g_object_unref(conn);
	}
	vm_paths_free(&paths);
	return status;
}

static gint opt_timeout = -1;

static const GOptionEntry stop_entries[] = {
	{ "timeout", 't', 0, G_OPTION_ARG_INT, &opt_timeout,
	  "Seconds to wait for the guest to power off after the ACPI power "
	  "button before the VM is stopped hard; 0 stops it at once; default "
	  "the VM's stop-timeout (config.ini), or 30", "S" },
	{ NULL, 0, 0, 0, NULL, NULL, NULL }
};

/* The bundle's stop-timeout and stop-action, or the defaults. */
static unsigned int stop_settings(const struct vm_paths *paths, const char *name, bool *kill)
{
	struct vm_config cfg;
	unsigned int t = DEFAULT_STOP_TIMEOUT;
	char *dir = vm_bundle_dir(paths, name), err[256];

	*kill = false;
	vm_config_init(&cfg);
	if (g_file_test(dir, G_FILE_TEST_IS_DIR) &&
	    !vm_config_load(dir, &cfg, err, sizeof(err))) {
		t = cfg.stop_timeout;
		*kill = cfg.stop_action == VM_STOP_KILL;
	}
	vm_config_free(&cfg);
	g_free(dir);
	return t;
}

int cmd_stop(int argc, char **argv)
{
	struct vm_paths paths;
	GDBusConnection *conn;
	char *name, err[512];
	unsigned int timeout;
	bool kill_it = false;
	int status, ret;

	status = cli_parse(&argc, &argv, "stop", "NAME", "power a VM off",
		"Presses the guest's ACPI power button and waits for the VM to end;\n"
		"a guest that has not powered off after --timeout seconds is stopped\n"
		"hard (as by `vmain kill`).  A paused VM is resumed first, so that it\n"
		"can see the button.  A VM whose stop-action is kill (config.ini) is\n"
		"stopped at once unless --timeout is given.\n"
		"\n"
		"Exit status: 0 the VM has ended; 1 failed (or it did not end);\n"
		"2 bad usage; 4 not running; 5 no such VM.\n",
		stop_entries, &name, &paths);
	if (status)
		return status;
	if (opt_timeout < -1 || opt_timeout > VM_STOP_TIMEOUT_MAX) {
		fprintf(stderr, "vmain stop: --timeout %d: must be 0 to %d\n", opt_timeout,
			VM_STOP_TIMEOUT_MAX);
		status = CLI_USAGE;
		goto free_paths;
	}
	timeout = stop_settings(&paths, name, &kill_it);
	if (opt_timeout >= 0) {
		timeout = (unsigned)opt_timeout;
		kill_it = false;
	}
	status = cli_connect("stop", &paths, name, &conn);
	if (status)
		goto free_paths;
	if (kill_it)
		ret = vm_client_call(conn, VM_DBUS_IFACE, "Kill", NULL, NULL, NULL, err,
				     sizeof(err));
	else
		ret = vm_client_call(conn, VM_DBUS_IFACE, "Stop",
				     g_variant_new("(u)", timeout), NULL, NULL, err, sizeof(err));
	status = call_status("stop", ret, err);
	/* The VM is gone when its process closes the connection. */
	if (!status && !vm_client_wait_closed(conn, (int)timeout * 1000 + EXIT_GRACE_MS)) {
		fprintf(stderr, "vmain stop: %s did not stop within %u seconds\n", name,
			timeout + EXIT_GRACE_MS / 1000);
		status = CLI_FAILED;
	}
	g_object_unref(conn);
free_paths:
	vm_paths_free(&paths);
	return status;
}

/*
 * The API did not answer: the process serving the VM's socket gets
 * SIGKILL.  Its pid comes from the kernel (vm_control_server_pidfd()),
 * never from a file the VM process could write, and a pidfd keeps a
 * reused pid out of reach.
 */
static int kill_server(const struct vm_paths *paths, const char *name)
{
	char *sock = vm_socket_path(paths, name);
	struct pollfd pfd;
	pid_t pid = 0;
	int pidfd;

	pidfd = vm_control_server_pidfd(sock, &pid);
	g_free(sock);
	if (pidfd < 0) {
		fprintf(stderr, "vmain kill: cannot find %s's process: %s\n", name,
			strerror(-pidfd));
		return CLI_FAILED;
	}
	fprintf(stderr, "vmain kill: %s does not answer; killing pid %ld\n", name, (long)pid);
	if (syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0)) {
		fprintf(stderr, "vmain kill: pid %ld: %s\n", (long)pid, strerror(errno));
		close(pidfd);
		return CLI_FAILED;
	}
	/* A pidfd turns readable when the process has ended. */
	pfd = (struct pollfd){ .fd = pidfd, .events = POLLIN };
	poll(&pfd, 1, EXIT_GRACE_MS);
	close(pidfd);
	return pfd.revents ? CLI_OK : CLI_FAILED;
}

int cmd_kill(int argc, char **argv)
{
	struct vm_paths paths;
	GDBusConnection *conn;
	char *name, err[512];
	int status, ret;

	status = cli_parse(&argc, &argv, "kill", "NAME", "stop a VM at once",
		"Stops the VM like pulling its plug: the guest gets no chance to shut\n"
		"down, but every write it was told is on disk is (the disk cache is\n"
		"flushed by the VM process as it ends).  A VM whose control API does not\n"
		"answer is killed with SIGKILL (the process serving its socket, as the\n"
		"kernel names it).\n"
		"\n"
		"Exit status: 0 stopped; 1 failed; 2 bad usage; 4 not running; 5 no such VM.\n",
		NULL, &name, &paths);
	if (status)
		return status;
	status = cli_connect("kill", &paths, name, &conn);
	if (status)
		goto free_paths;
	ret = vm_client_call(conn, VM_DBUS_IFACE, "Kill", NULL, NULL, NULL, err, sizeof(err));
	if (ret == -EIO) {
		/* No answer within VM_CLIENT_TIMEOUT_MS (or a broken VM): force it. */
		fprintf(stderr, "vmain kill: %s\n", err);
		g_object_unref(conn);
		status = kill_server(&paths, name);
		goto free_paths;
	}
	status = call_status("kill", ret, err);
	if (!status && !vm_client_wait_closed(conn, EXIT_GRACE_MS)) {
		fprintf(stderr, "vmain kill: %s did not end within %d seconds\n", name,
			EXIT_GRACE_MS / 1000);
		status = CLI_FAILED;
	}
	g_object_unref(conn);
free_paths:
	vm_paths_free(&paths);
	return status;
}
