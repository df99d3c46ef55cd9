/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vm/vm.h - the VM: one object for the whole life of a VM process.
 *
 * struct machine is one boot of a virtual PC; the VM sits above it and
 * holds what outlives a guest reset (DESIGN.md, "The VM above the
 * machine"): the settings, the stable UUID, the I/O thread and the worker
 * pool, the disks, the console with its attached client, and the control
 * socket (vm/dbus.h).  Each boot or reset builds a fresh machine under it.
 *
 * States (docs/api.md): starting -> running <-> paused; running or paused
 * -> shutting-down (the power button was pressed to stop it) -> stopped.
 * Each change is signalled on the API.  The process ends with the VM.
 *
 * Threads: everything here runs on the main thread, which runs the GLib
 * main loop while a machine runs (machine_run()).
 */
#ifndef VMAIN_MONITOR_VM_VM_H
#define VMAIN_MONITOR_VM_VM_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "machine/machine.h"
#include "vm/console.h"

enum vm_state {
	VM_STARTING,
	VM_RUNNING,
	VM_PAUSED,
	VM_SHUTTING_DOWN,
	VM_STOPPED,
};

/* The process's exit status, as `vmain run --help` and docs/cli.md say. */
enum {
	VM_EXIT_POWEROFF = 0,
	VM_EXIT_FAILURE = 1,
	VM_EXIT_USAGE = 2,
	VM_EXIT_HARD_STOP = 3,
	VM_EXIT_SAVED = 6,		/* vm_save(): the state is in the bundle's state.sav */
};

/* What to run: from `vmain run`'s options or from a bundle. */
struct vm_spec {
	const char *name;		/* validated (vm/config.h) */
	const char *bundle_dir;		/* NULL: a one-off VM (`vmain run`) */
	const char *socket_path;	/* the control socket; NULL: none */
	const char *config_text;	/* the Config property ("" for none) */
	bool system;			/* a system VM: socket group vmain */
	struct machine_config mcfg;	/* kernel, memory, CPUs, accel, UUID, ... */
	char **disks;			/* --disk specs */
	unsigned int nr_disks;
	const char *cdrom;		/* --cdrom: an ISO for a CD/DVD drive, "": empty, NULL: none */
	/*
	 * --net specs (net/options.h), checked and canonical, each with its
	 * mac= (net_mac_derive() from mcfg.uuid when none was given).
	 */
	char **nets;
	unsigned int nr_nets;		/* at most VM_MAX_NETS */
	unsigned int io_threads;
	/* A screen (vm/screen.h): a virtio-gpu and input devices, Display1 on the API. */
	bool display;
	uint32_t display_width, display_height;	/* the guest's first size; 0: 1024x768 */
	/* VNC (implies display): --vnc's spec (display/vnc-options.h), NULL: none. */
	const char *vnc;
	bool vnc_listen_any;
	const char *vnc_password_file;	/* NULL: no password */
	/* COM1: "stdio" (this terminal), "console" (only `vmain console`), "none", or a FILE */
	const char *serial;
	const char *hvc;		/* "stdio", "none" or a FILE */
	const char *firmware_log;	/* the firmware's debug console: "none" (or NULL) or a FILE */
	const char *kernel_or_initrd[2];	/* outputs may not be these */
	unsigned int stop_timeout;	/* seconds after the power button */
	bool stop_kills;		/* SIGTERM stops at once (stop-action=kill) */
	bool stats;
	int64_t bundle_cpu_ns;		/* --stats: CPU the caller spent on the bundle */
	int ready_fd;			/* gets one byte once the guest runs, or -1 */
	bool daemon;			/* stderr is `vmain start`'s pipe until then */
	/*
	 * Save and restore (machine/snapshot.h): the bundle's state.sav, where
	 * Save writes (NULL: Save is refused); restore: the first boot
	 * restores restore_path (state_path when NULL: vmain restore --file
	 * names another) instead (eagerly unless restore_lazy), and it is
	 * unlinked once the guest runs unless restore_keep.
	 */
	const char *state_path;
	const char *restore_path;
	bool restore;
	bool restore_lazy;
	bool restore_keep;
};

struct storage;
struct vm_dbus;
struct vm_nics;
struct vm_screen;

struct vm {
	const struct vm_spec *spec;
	enum vm_state state;
	struct machine *m;		/* the machine running now, or NULL */
	const char *accel;		/* the backend in use ("vmain", "kvm"), once known */
	struct vm_console console;
	struct vm_dbus *dbus;
	struct vm_screen *screen;	/* NULL: headless */
	struct vm_nics *nics;		/* the network back ends and their link settings */
	struct ioloop *loop;
	bool stop_requested;		/* the power button was pressed to stop */
	bool kill_requested;
	bool reset_requested;
	guint stop_timer;
	bool ready_sent;
	bool terminal_taken;
	bool saved;			/* vm_save() wrote the state: exit VM_EXIT_SAVED */
	bool restoring;			/* this machine restored state_path */
	struct storage *storage;	/* the disks, the CD/DVD drive's disc */
	struct machine_config *mcfg;	/* what each boot is built from */
};

/* Runs the VM to its end; returns the process's exit status (VM_EXIT_*). */
int vm_main(const struct vm_spec *spec);

/* For the control API (main thread).  0 or -errno: -EINVAL for a call invalid in this state. */
int vm_pause(struct vm *vm);
int vm_resume(struct vm *vm);
int vm_stop(struct vm *vm, unsigned int timeout_s);	/* power button, then hard stop */
int vm_kill(struct vm *vm);
int vm_reset(struct vm *vm);
int vm_power_button(struct vm *vm);
/*
 * Pulls NIC `nic`'s cable (up false) or plugs it back (net/options.h:
 * net_nic_parse(), "net0" or "0"): the guest sees its link go down or up
 * now, and every machine after a reset starts so.  0, -EINVAL when the VM
 * has stopped, or -ENODEV with a message naming the NICs it has.
 */
int vm_set_link(struct vm *vm, const char *nic, bool up, char *err, size_t errlen);
/*
 * Saves the running or paused VM to spec->state_path and stops it (exit
 * VM_EXIT_SAVED).  0 or -errno with a message: -EINVAL in a state that
 * cannot save, -EOPNOTSUPP for a VM that cannot be saved (nothing changed:
 * it runs on); any other failure leaves the VM stopping (its devices were
 * detached for the save).
 */
int vm_save(struct vm *vm, char *err, size_t errlen);
/*
 * Puts the ISO image `file` (read-only, raw or qcow2 by its header) in
 * the CD/DVD drive, or takes the disc out (file NULL); `force` overrides
 * the guest's lock on the tray (PREVENT ALLOW MEDIUM REMOVAL).  The disc
 * is the VM's: a guest reset keeps it, and the bundle's [cdrom] file is
 * rewritten so that the next start has it too.  0 or -errno with a
 * message: -EINVAL the VM has stopped, -ENODEV no CD/DVD drive (or the
 * host's own), -EBUSY the guest locked the tray, -EMEDIUMTYPE for a
 * file that does not open (whatever the open's own error: err has it).
 *
 * `caller`: the uid of a caller who is not the VM's owner (a member of
 * group vmain on a system VM), or (uid_t)-1 for the owner.  Such a
 * caller's disc must be a regular file it owns, reached without a final
 * symlink, and lasts for this run only (config.ini is not changed): the
 * monitor reads with its own rights, which must not become the caller's.
 */
int vm_change_media(struct vm *vm, const char *file, bool force, uid_t caller,
		    char *err, size_t errlen);
const char *vm_state_name(enum vm_state s);
/* This thread's CPU time (CLOCK_THREAD_CPUTIME_ID), for --stats. */
int64_t thread_cpu_ns(void);

#endif
