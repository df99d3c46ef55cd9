/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * machine/machine.h - one running virtual PC: guest RAM, the backend VM,
 * its vCPU threads and the platform devices, wired together.
 *
 * Threads.  The thread that calls machine_run() runs the GLib main loop:
 * device timers (PIT, local APIC timers), console input, signals.  Each
 * vCPU has its own thread that enters the guest and handles its exits.
 * Every device model and every local APIC is touched only with
 * machine.lock held (the models themselves are not thread-safe); the lock
 * is never held while a vCPU is in the guest.  A halted vCPU sleeps on
 * its condition variable until an interrupt arrives: nothing polls.
 *
 * Lifetime.  machine_create() builds everything and loads the kernel;
 * machine_run() runs until the guest powers off, resets, fails or is
 * stopped, and says which; machine_destroy() undoes machine_create().  A
 * guest reset is a new machine: the caller destroys and creates again
 * (the UUID is released with the old VM and claimed by the new one).
 */
#ifndef VMAIN_MONITOR_MACHINE_MACHINE_H
#define VMAIN_MONITOR_MACHINE_MACHINE_H

#include <glib.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "devices/acpi_pm.h"
#include "devices/cmos_rtc.h"
#include "devices/debug_exit.h"
#include "devices/i8042.h"
#include "devices/i8254.h"
#include "devices/i8259.h"
#include "devices/ioapic.h"
#include "devices/pci.h"
#include "devices/virtio-console.h"
#include "devices/virtio-blk.h"
#include "devices/virtio-net.h"
#include "devices/virtio-rng.h"
#include "devices/lapic.h"
#include "devices/pio.h"
#include "devices/port61.h"
#include "devices/serial8250.h"
#include "hv/hv.h"
#include "machine/fwcfg.h"
#include "machine/gmem.h"

#define MACHINE_MAX_CPUS	255	/* xAPIC-compatible IDs (MADT, I/O APIC) */
#define MACHINE_MIN_MEM		(32ull << 20)
#define MACHINE_MAX_MEM		(1ull << 40)	/* and no more than the host has */

struct outbuf;
struct machine;
struct machine_screen;
struct display;

/* How guest RAM is backed (vmain run --hugepages). */
enum machine_hugepages {
	MACHINE_HUGEPAGES_THP,		/* MADV_HUGEPAGE: a memfd, or anonymous
					 * memory where only that gets THP (the default) */
	MACHINE_HUGEPAGES_OFF,		/* a memfd, MADV_NOHUGEPAGE: 4 KiB pages */
	MACHINE_HUGEPAGES_2M,		/* a hugetlbfs memfd of 2 MiB pages */
	MACHINE_HUGEPAGES_1G,		/* a hugetlbfs memfd of 1 GiB pages */
};

struct machine_config {
	const char *kernel;		/* bzImage path */
	const char *initrd;		/* NULL: none */
	const char *append;		/* kernel command line, NULL: "" */
	uint64_t mem;			/* bytes; a multiple of the hugetlbfs page */
	enum machine_hugepages hugepages;
	unsigned int cpus;
	enum hv_accel accel;
	uint8_t uuid[16];
	/*
	 * Console output, queued for the I/O loop to write (io/outbuf.h):
	 * never host I/O under machine.lock.  NULL: dropped.  COM1 goes
	 * through serial_write (vm/console.c: the terminal and an attached
	 * `vmain console`), which only copies into buffers.
	 */
	void (*serial_write)(void *opaque, const void *buf, size_t len);
	struct outbuf *hvc_out;		/* virtio-console */
	/* Called on the main thread once the vCPU threads run (may be NULL). */
	void (*on_started)(void *opaque, struct machine *m);
	void *opaque;			/* for serial_write and on_started */
	bool pvclock;			/* offer the paravirtual clock */
	bool verbose;
	/* Disks (virtio-blk, in this order: vda, vdb, ...), open for the VM's life. */
	struct disk **disks;
	unsigned int nr_disks;
	/*
	 * The host's CD/DVD drive (disk/hostdrive.h), open for the VM's
	 * life, in the CD/DVD drive's place (machine/ata-ctl.h) instead of
	 * an ISO; NULL: none.
	 */
	struct hostdrive *cdrom_host;
	/*
	 * The CD/DVD drive's disc (an ISO, read-only): the VM's, not the
	 * drive's, since every boot builds its drive anew; it changes while
	 * the guest runs (machine_cdrom_change()).  NULL: none.  cdrom_drive:
	 * the machine has the drive (with cdrom, or empty after an eject).
	 */
	struct disk *cdrom;
	bool cdrom_drive;
	unsigned int blk_queues;	/* request queues per disk; 0: one per vCPU */
	struct ioloop *ioloop;		/* the I/O thread's loop (disks, NICs) */
	/* NICs (virtio-net, one PCI function each, in this order: eth0, ...). */
	const struct machine_nic *nics;
	unsigned int nr_nics;
	/*
	 * The screen (display/display.h), living for the VM's life: a
	 * virtio-gpu draws into it and virtio-input devices take its input
	 * (machine/screen.h).  NULL: headless, no display devices at all.
	 */
	struct display *display;
	uint32_t display_width, display_height;	/* the GPU's first size; 0: its default */
	uint64_t gpu_mem_cap;		/* bytes for the GPU's resources; 0: its default */
	/*
	 * Multiboot modules (boot/multiboot.h), for a Multiboot kernel only:
	 * each "FILE" or "FILE ARGS", the file loaded whole and the whole
	 * text its string (as one of QEMU's -initrd 'FILE ARGS,...').
	 */
	const char *const *modules;
	unsigned int nr_modules;
	/* The test-exit port (devices/debug_exit.h); size 0: none. */
	struct debug_exit_config debug_exit;
	/*
	 * A standard VGA beside the GPU (machine/screen.h; with a display
	 * only), for firmware boots; vga_rom its BIOS image for the ROM BAR
	 * (NULL: none).
	 */
	bool vga;
	const char *vga_rom;
	/*
	 * Restore instead of boot (machine/snapshot.h): RAM and state come
	 * from this open save file (state/savefile.h), no kernel is loaded.
	 * restore_lazy maps RAM from the file (pages load on first touch)
	 * instead of reading it all before the guest runs.  NULL: boot.
	 */
	struct savefile *restore;
	bool restore_lazy;
	/*
	 * Firmware boot (machine/firmware.h): the BIOS image run from the
	 * reset vector instead of loading `kernel`; NULL: the direct boot.
	 * fwlog_out takes the firmware's debug console (port 0x402), queued
	 * like the consoles; NULL: dropped.
	 */
	const char *bios;
	struct outbuf *fwlog_out;
};

/*
 * A NIC: its packet back end lives for the VM's life (vm/nics.c), across
 * guest resets; each machine attaches a fresh virtio-net to it.
 */
struct machine_nic {
	struct net_backend *be;
	uint8_t mac[6];
	unsigned int queue_pairs;
	/*
	 * The link as the API last set it (SetLink): each machine's NIC
	 * starts so, so that a cable pulled stays pulled across a reset.
	 */
	bool link_down;
};

/* Why machine_run() returned. */
enum machine_exit {
	MACHINE_EXIT_POWEROFF,		/* the guest powered off */
	MACHINE_EXIT_RESET,		/* the guest asked for a reset */
	MACHINE_EXIT_STOPPED,		/* machine_stop() (e.g. a signal timeout) */
	MACHINE_EXIT_ERROR,		/* a vCPU failed; message printed */
	MACHINE_EXIT_DEBUG,		/* the test-exit port was written: debug_exit_status */
};

enum vcpu_state {
	VCPU_RUNNABLE,
	VCPU_HALTED,		/* HLT: sleeps until an interrupt */
	VCPU_WAIT_SIPI,		/* an AP before its startup IPI */
};

struct machine;

struct vcpu {
	struct machine *m;
	unsigned int id;
	struct hv_vcpu hv;
	struct lapic lapic;
	pthread_t thread;
	bool thread_started;
	pthread_cond_t wake;		/* with machine.lock */
	enum vcpu_state state;
	bool sipi_pending;
	bool nmi_pending;		/* an NMI for the vCPU thread to queue */
	uint8_t sipi_vector;
	bool in_guest;			/* between unlock and RUN's return */
	uint8_t pending_eoi[32];	/* level EOIs to pass to the I/O APIC */
	bool has_eoi;
	int timerfd;			/* the local APIC timer */
	uint64_t pv_time_msr;		/* machine/pvclock.c */
	guint timer_source;
	uint64_t exits;
	uint64_t exits_by_reason[VMAIN_EXIT_INTR + 1];	/* VMAIN_EXIT_* */
	uint64_t eoi_exits;		/* HV_EXIT_IOAPIC_EOI (split irqchip) */
};

struct machine {
	struct machine_config cfg;
	struct hv_vm vm;
	bool vm_created;
	int memfd;			/* guest RAM's, or -1 */
	bool ram_anon;			/* RAM is private anonymous memory */
	struct gmem ram;
	uint64_t tsc_hz;		/* host TSC frequency (guest TSC = host TSC) */
	uint64_t tsc0;			/* TSC when the machine was made: pvclock 0 */
	int64_t tsc0_ns;		/* the same, as machine_tsc_ns() */
	uint64_t pv_wall_msr;

	pthread_mutex_t lock;
	struct pio_bus pio;
	struct i8259 pic;
	struct i8254 pit;
	struct port61 port61;
	struct cmos_rtc rtc;
	struct i8042 kbc;
	struct serial8250 com1;
	struct ioapic ioapic;
	struct acpi_pm pm;
	struct pci_bus pci;
	struct machine_fw_cfg fwcfg;	/* machine/fwcfg.h */
	struct virtio_console hvc;
	struct virtio_rng rng;
	struct virtio_blk *blk;		/* the if=virtio disks (cfg.disks) */
	unsigned int nr_blk;		/* initialised so far */
	struct virtio_net *net;		/* cfg.nr_nics of them */
	unsigned int nr_net;		/* initialised so far */
	struct machine_screen *screen;	/* with cfg.display (machine/screen.h), else NULL */
	struct machine_firmware *fw;	/* with cfg.bios (machine/firmware.h), else NULL */
	struct machine_ata *ata;	/* AHCI/IDE disks (machine/ata-ctl.h), else NULL */
	struct debug_exit debug_exit;	/* with cfg.debug_exit.size */
	uint32_t debug_exit_status;	/* for MACHINE_EXIT_DEBUG: (V << 1) | 1 */
	bool pic_output;		/* the 8259 pair's INT line */
	int pit_timerfd;
	guint pit_source;

	struct vcpu *vcpus;
	unsigned int nr_vcpus;

	GMainContext *ctx;		/* set while machine_run() runs */
	bool stopping;			/* under lock: vCPUs leave their loops */
	bool paused;			/* under lock: vCPUs stay out of the guest */
	pthread_cond_t parked;		/* a vCPU left the guest while paused */
	enum machine_exit exit;
	unsigned int running_vcpus;	/* vCPU threads still in their loop */
	int64_t first_entry_cpu_ns;	/* process CPU time at the BSP's first RUN */
	struct vmain_cpuid_entry *cpuid;	/* vCPU 0's CPUID table (snapshot.c) */
	uint32_t ncpuid;
	int64_t restore_ns;		/* CLOCK_MONOTONIC spent restoring RAM and state */
	/* Split irqchip (machine/irq.c): the pins' messages KVM last got. */
	struct hv_msi ioapic_routes[HV_IOAPIC_PINS];
	bool ioapic_routes_set;
	struct machine_ioeventfds *ioeventfds;	/* machine/irqchip.c; NULL: none */
};

/* Builds the machine and loads the guest; -errno with a message printed. */
int machine_create(struct machine **out, const struct machine_config *cfg);
/* Runs until the guest stops; returns why. */
enum machine_exit machine_run(struct machine *m);
/* Ends the run with `why` (any thread; the lock must NOT be held). */
void machine_stop(struct machine *m, enum machine_exit why);
/* The same, with machine.lock held. */
void machine_stop_locked(struct machine *m, enum machine_exit why);
void machine_destroy(struct machine *m);

struct savefile_stats;
/*
 * Saves the paused machine (machine_pause()) to the save file `path`
 * (state/savefile.h, atomically): drains and detaches its disks and NICs,
 * flushes the disks (disk_flush(): what the state says the guest wrote is
 * durable before the state is), then writes its state
 * (machine/snapshot.h) and RAM.  Once *detached is
 * true the machine cannot run on (its I/O is stopped): the caller stops
 * it, whatever the result.  progress, when not NULL, is called on this
 * thread as RAM goes out (savefile_opts.progress: bytes of RAM done of
 * total, every 16 MiB or so, and done == total once the file is in place).
 * 0 or -errno with a message in err; stats may be NULL.  Main thread, lock
 * not held.
 */
int machine_save(struct machine *m, const char *path,
		 void (*progress)(void *opaque, uint64_t done, uint64_t total), void *opaque,
		 struct savefile_stats *stats, bool *detached, char *err, size_t errlen);

/*
 * Pause and resume (the main thread, lock not held; 0 or -EALREADY).
 * machine_pause() returns once no vCPU is in guest mode: each vCPU keeps
 * its registers and pending events as they were at its last exit, and
 * device timers (PIT, local APIC timers) stop firing.  Guest time is the
 * host's TSC and keeps running: on resume the guest's clocks are right
 * (they jump over the pause, as after a host suspend), and a timer that
 * expired meanwhile fires once, at once.  Disk requests already taken
 * from the queues complete; their interrupts wait for the resume.
 */
int machine_pause(struct machine *m);
int machine_resume(struct machine *m);

/*
 * Presses the guest's ACPI power button (any thread, lock not held).
 * Returns false when the guest has not enabled the power-button event,
 * i.e. nothing in it would act on a press.
 */
bool machine_power_button(struct machine *m);

/*
 * NIC `index`'s link up or down (machine/platform.c; any thread but the
 * I/O thread, lock not held): the guest's driver sees the status change
 * and gets a configuration interrupt (virtio 1.2 5.1.4.2).  -ENODEV when
 * the machine has no such NIC.
 */
int machine_nic_set_link(struct machine *m, unsigned int index, bool up);
/* Whether NIC `index` has its link up (after a restore: as saved). */
bool machine_nic_link_up(struct machine *m, unsigned int index);

/* Feeds console input into COM1; returns how many bytes it took. */
size_t machine_console_input(struct machine *m, const uint8_t *buf, size_t len);

/* machine/irq.c: interrupt routing, with machine.lock held. */
void machine_isa_irq(struct machine *m, unsigned int irq, bool level);
void machine_msi(struct machine *m, uint64_t addr, uint32_t data);
void machine_vcpu_kick_locked(struct vcpu *v);
/*
 * The vector to inject now, or -1 (ExtINT from the 8259s included).  No
 * side effects: the caller first has the backend queue it, then takes it.
 */
int machine_irq_pending(struct vcpu *v);
/* Takes the vector machine_irq_pending() gave (LAPIC IRR -> ISR, or INTA). */
int machine_irq_ack(struct vcpu *v);
void machine_lapic_ops(struct lapic_ops *ops);
void machine_ioapic_deliver(void *opaque, uint8_t dest, uint8_t dest_mode,
			    uint8_t delivery_mode, uint8_t vector, bool level);
void machine_flush_eois(struct vcpu *v);
/* Split irqchip: the I/O APIC's level-triggered pins to the backend, if changed. */
void machine_irqchip_sync(struct machine *m);
/*
 * A stopped vCPU's last instruction finished before its state is read
 * (hv.h settle): the exits that takes (the write half of an emulated
 * read-modify-write) go to the devices as a run's would.  0 or -errno.
 * Lock held.
 */
int machine_vcpu_settle_locked(struct vcpu *v);

/*
 * machine/irqchip.c: the KVM split irqchip's side of the machine (hv.h,
 * lapic_in_kernel).  machine_irqchip_enable() after the VM is made and
 * before its vCPUs: the local APICs go into KVM unless the backend
 * cannot or VMAIN_KVM_IRQCHIP=monitor asks for the monitor's model; 0 or
 * -errno (fatal).  The rest do nothing without it.
 */
int machine_irqchip_enable(struct machine *m);
/*
 * ioeventfds for every virtio queue's notify address (virtio 1.2
 * 4.1.4.4), watched by the I/O loop: _init once the devices exist,
 * _sync (lock held) after a PCI configuration write or a restore moved
 * or switched off a BAR, _flush (lock held) hands on notifications not
 * yet taken (before a save), _fini before the devices go (lock NOT held).
 */
int machine_ioeventfds_init(struct machine *m);
void machine_ioeventfds_sync(struct machine *m);
void machine_ioeventfds_flush(struct machine *m);
void machine_ioeventfds_fini(struct machine *m);
/*
 * For a save: the kernel's APIC of `v` in the model's form, in *tmp
 * (lock held, the vCPU stopped); returns tmp, or &v->lapic without the
 * split irqchip.  NULL and *err set on failure.
 */
const struct lapic *machine_irqchip_lapic_get(struct vcpu *v, struct lapic *tmp, int *err);
/* After a load: v->lapic and v->state into the kernel's APIC; 0 or -errno. */
int machine_irqchip_lapic_put(struct vcpu *v);

/* machine/vcpu.c */
int machine_vcpu_start(struct vcpu *v);
void machine_vcpu_rearm_timer(struct vcpu *v);

/* machine/clock.c: the clocks device models run on. */
int64_t machine_mono_ns(void *opaque);
int64_t machine_tsc_ns(void *opaque);	/* guest TSC, as nanoseconds */
uint64_t machine_calibrate_tsc(void);
/* Arms timerfd `fd` for clock `tsc_domain` time `when_ns` (INT64_MAX: off). */
void machine_arm_timerfd(struct machine *m, int fd, int64_t when_ns, bool tsc_domain);

#endif
