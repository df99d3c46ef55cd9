// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * machine/machine.c - building, running and tearing down a machine (see
 * machine.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include <x86intrin.h>

#include "boot/layout.h"
#include "boot/multiboot.h"
#include "machine/cpuid.h"
#include "machine/firmware.h"
#include "machine/machine.h"
#include "machine/memmap.h"
#include "machine/platform.h"
#include "machine/pvclock.h"
#include "machine/snapshot.h"
#include "state/savefile.h"
#include "state/stream.h"

#define MSR_IA32_TSC		0x10
/* IA32_APIC_BASE: enabled, x2APIC mode (SDM Vol. 3A "x2APIC Mode"). */
#define APIC_BASE_X2APIC	(MEMMAP_APIC_BASE | (1ull << 11) | (1ull << 10))
#define MEMMAP_APIC_BASE	0xfee00000ull

/*
 * Guest RAM: where only anonymous memory gets transparent huge pages
 * (Debian's default), anonymous memory (ram_map_anon()); otherwise, or
 * with VMAIN_RAM=memfd, a memfd, so it is shared memory that is never a
 * file in a filesystem the user sees, whose never-touched pages a save
 * finds with SEEK_DATA, and which is released with the last mapping.
 */
/* memfd_create(2)'s page-size encoding (linux/memfd.h: log2 of the size << 26). */
#ifndef MFD_HUGE_2MB
#define MFD_HUGE_2MB	(21U << 26)
#define MFD_HUGE_1GB	(30U << 26)
#endif

/*
 * A hugetlbfs memfd for the whole of guest RAM, its pages reserved now
 * (no MAP_NORESERVE): a host short of huge pages fails here with a reason,
 * not later with a SIGBUS in the middle of the guest's run.
 */
static int ram_map_hugetlb(struct machine *m, void **p)
{
	bool gig = m->cfg.hugepages == MACHINE_HUGEPAGES_1G;
	uint64_t page = gig ? 1ULL << 30 : 2ULL << 20;
	int err;

	if (m->cfg.mem % page) {
		fprintf(stderr, "vmain: --hugepages %s: --memory must be a multiple of %s\n",
			gig ? "1G" : "2M", gig ? "1 GiB" : "2 MiB");
		return -EINVAL;
	}
	m->memfd = memfd_create("vmain-ram", MFD_CLOEXEC | MFD_HUGETLB |
				(gig ? MFD_HUGE_1GB : MFD_HUGE_2MB));
	if (m->memfd < 0)
		goto fail;
	if (ftruncate(m->memfd, m->cfg.mem))
		goto fail;
	*p = mmap(NULL, m->cfg.mem, PROT_READ | PROT_WRITE, MAP_SHARED, m->memfd, 0);
	if (*p == MAP_FAILED)
		goto fail;
	return 0;

fail:
	err = errno;
	fprintf(stderr, "vmain: --hugepages %s: %s%s\n", gig ? "1G" : "2M",
		err == ENOMEM ? "too few free hugetlbfs pages of that size, see " : "hugetlbfs: ",
		err != ENOMEM ? strerror(err) : gig ?
		"/sys/kernel/mm/hugepages/hugepages-1048576kB/free_hugepages" :
		"/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages");
	if (m->memfd >= 0)
		close(m->memfd);
	m->memfd = -1;
	return -err;
}

/* Is environment variable `name` set to `value`? */
static bool getenv_is(const char *name, const char *value)
{
	const char *v = getenv(name);

	return v && !strcmp(v, value);
}

/* VMAIN_THP=0 in the environment: --hugepages off's older spelling. */
static bool getenv_thp_off(void)
{
	return getenv_is("VMAIN_THP", "0");
}

#define SHMEM_THP_FILE	"/sys/kernel/mm/transparent_hugepage/shmem_enabled"
#define ANON_THP_FILE	"/sys/kernel/mm/transparent_hugepage/enabled"

/*
 * Would a MADV_HUGEPAGE mapping get transparent huge pages, by the
 * host's setting in `path` (the bracketed word; Linux Documentation/
 * admin-guide/mm/transhuge.rst, "sysfs")?  Anything but "never" and
 * "deny" allows them (always, madvise, advise, within_size, force).  An
 * unreadable file (no THP in the kernel) does not.
 */
static bool thp_allowed(const char *path)
{
	char buf[128], *open_b, *close_b;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = 0;
	open_b = strchr(buf, '[');
	close_b = open_b ? strchr(open_b, ']') : NULL;
	if (!close_b)
		return false;
	*close_b = 0;
	return strcmp(open_b + 1, "never") && strcmp(open_b + 1, "deny");
}

/*
 * Guest RAM as private anonymous memory, where the host gives a memfd no
 * transparent huge pages (shmem_enabled "never", Debian's default) but
 * gives them to anonymous memory that asks (enabled "madvise", Debian's
 * default, or "always"): 2 MiB pages, which KVM and vmain.ko map with
 * 2 MiB nested leaves where guest and host addresses agree within each
 * 2 MiB (kmod/mmu.c slot_covers(); see the alignment below).  With
 * 4 KiB pages every guest TLB miss walks a nested page table one level
 * deeper, and the guest's first touch of each 4 KiB costs a nested fault.
 * Nothing here needs the memfd: the save finds the pages never written
 * through pagemap instead of SEEK_DATA (SAVEFILE_RAM_ANON), and a lazy
 * restore maps the file over this as over a memfd.  MADV_DONTFORK: a
 * child (an exec'd helper) must not make every page copy-on-write,
 * which would unmap all of guest RAM from the nested tables.
 */
static int ram_map_anon(struct machine *m, void **p)
{
	const uintptr_t huge = 2u << 20;
	uintptr_t start, head, tail;
	uint8_t *r;

	/*
	 * 2 MiB-aligned: guest-physical and host-virtual addresses must
	 * agree within each 2 MiB for a 2 MiB nested leaf (kmod/mmu.c
	 * slot_covers(); KVM's memory slots the same), and Linux aligns an
	 * anonymous mapping only from 6.7 on, and then only when its length
	 * is a multiple of 2 MiB.  So reserve 2 MiB more and trim.
	 */
	r = mmap(NULL, m->cfg.mem + huge, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (r == MAP_FAILED)
		return -errno;
	start = ((uintptr_t)r + huge - 1) & ~(huge - 1);
	head = start - (uintptr_t)r;
	tail = huge - head;
	if (head)
		munmap(r, head);
	if (tail)
		munmap((uint8_t *)start + m->cfg.mem, tail);
	*p = (void *)start;
	madvise(*p, m->cfg.mem, MADV_HUGEPAGE);
	madvise(*p, m->cfg.mem, MADV_DONTFORK);
	m->ram_anon = true;
	return 0;
}

static int ram_create(struct machine *m)
{
	void *p = NULL;
	int ret;

	if (m->cfg.hugepages == MACHINE_HUGEPAGES_2M ||
	    m->cfg.hugepages == MACHINE_HUGEPAGES_1G) {
		ret = ram_map_hugetlb(m, &p);
		if (ret)
			return ret;
		goto mapped;
	}
	/*
	 * Unless asked for the memfd (VMAIN_RAM=memfd in the environment).
	 * The arena stalls once blamed on anonymous RAM (docs/perf.md) all
	 * came in KVM passes, which fits the arena's known kvm_amd-under-TCG
	 * freeze (docs/testing.md); 144 later VM starts in the arena, 103 on
	 * anonymous RAM, none stalled, and its direct compaction never ran
	 * unless memory was fragmented on purpose.
	 */
	if (!getenv_is("VMAIN_RAM", "memfd") && m->cfg.hugepages == MACHINE_HUGEPAGES_THP && !getenv_thp_off() &&
	    !thp_allowed(SHMEM_THP_FILE) && thp_allowed(ANON_THP_FILE)) {
		/*
		 * Refused (vm.overcommit_memory 2 charges all of a private
		 * mapping at once, MAP_NORESERVE or not): the memfd, charged
		 * as it is touched, as before.
		 */
		if (!ram_map_anon(m, &p))
			goto mapped;
	}
	m->memfd = memfd_create("vmain-ram", MFD_CLOEXEC);
	if (m->memfd < 0)
		return -errno;
	if (ftruncate(m->memfd, m->cfg.mem))
		goto close_fd;
	p = mmap(NULL, m->cfg.mem, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_NORESERVE, m->memfd, 0);
	if (p == MAP_FAILED)
		goto close_fd;
	/*
	 * Transparent huge pages where shmem allows them
	 * (/sys/kernel/mm/transparent_hugepage/shmem_enabled "advise" or
	 * "always"): vmain.ko then maps guest RAM with 2 MiB nested leaves,
	 * fewer nested page faults and walks (docs/perf.md).  --hugepages
	 * off (or VMAIN_THP=0 in the environment, the older spelling) asks
	 * for 4 KiB pages instead (MADV_NOHUGEPAGE), to measure or to keep
	 * RAM unfragmented.  Advice only: no error.
	 */
	madvise(p, m->cfg.mem, m->cfg.hugepages == MACHINE_HUGEPAGES_OFF || getenv_thp_off() ?
		MADV_NOHUGEPAGE : MADV_HUGEPAGE);
mapped:
	m->ram.base = p;
	m->ram.size = m->cfg.mem;
	/* Above BOOT_RAM_MAX the rest goes above the MMIO hole (memmap.h). */
	m->ram.low_size = m->cfg.mem > BOOT_RAM_MAX ? BOOT_RAM_MAX : 0;
	/* A firmware's ECAM goes at FW_LOW_RAM_MAX: low RAM stops below it. */
	if (m->cfg.bios && m->cfg.mem > FW_LOW_RAM_MAX)
		m->ram.low_size = FW_LOW_RAM_SPLIT;
	return 0;

close_fd: {
		int err = -errno;

		close(m->memfd);
		m->memfd = -1;
		return err;
	}
}

/* Guest RAM below the MMIO hole. */
static uint64_t ram_low_size(const struct machine *m)
{
	return m->ram.low_size ? m->ram.low_size : m->ram.size;
}

static void ram_destroy(struct machine *m)
{
	if (m->ram.base)
		munmap(m->ram.base, m->ram.size);
	if (m->memfd >= 0)
		close(m->memfd);
	m->ram.base = NULL;
	m->memfd = -1;
	m->ram_anon = false;
}

/*
 * A kernel or initrd image.  A regular file is mapped read-only, so the
 * loader copies straight from the page cache into guest RAM with no
 * intermediate buffer (start-up time); anything else (an empty file, a
 * pipe, a device) is read, so its errors read as they always do.
 */
struct image {
	GMappedFile *map;
	gchar *buf;
	const void *data;
	size_t len;
};

static int image_open(struct image *im, const char *what, const char *path)
{
	GError *err = NULL;
	struct stat st;
	gsize len = 0;

	memset(im, 0, sizeof(*im));
	if (!stat(path, &st) && S_ISREG(st.st_mode) && st.st_size > 0)
		im->map = g_mapped_file_new(path, FALSE, NULL);
	if (im->map) {
		im->data = g_mapped_file_get_contents(im->map);
		im->len = g_mapped_file_get_length(im->map);
		return 0;
	}
	if (!g_file_get_contents(path, &im->buf, &len, &err)) {
		fprintf(stderr, "vmain: cannot read the %s: %s\n", what, err->message);
		g_error_free(err);
		return -EIO;
	}
	im->data = im->buf;
	im->len = len;
	return 0;
}

static void image_close(struct image *im)
{
	if (im->map)
		g_mapped_file_unref(im->map);
	g_free(im->buf);
	memset(im, 0, sizeof(*im));
}

static void seg_from_boot(struct vmain_segment *s, const struct boot_segment *b)
{
	memset(s, 0, sizeof(*s));
	s->base = b->base;
	s->limit = b->limit;
	s->selector = b->selector;
	s->type = b->type;
	s->present = b->present;
	s->dpl = b->dpl;
	s->db = b->db;
	s->s = b->s;
	s->l = b->l;
	s->g = b->g;
	s->avl = b->avl;
	s->unusable = b->unusable;
}

/* The BSP's registers for the 64-bit entry (boot/layout.h). */
static int set_boot_state(struct vcpu *v, const struct boot_cpu_state *c)
{
	const struct hv_backend *be = v->m->vm.backend;
	struct vmain_sregs s;
	struct vmain_regs r;
	int ret;

	ret = be->get_sregs(&v->hv, &s);
	if (ret)
		return ret;
	seg_from_boot(&s.cs, &c->cs);
	seg_from_boot(&s.ds, &c->ds);
	seg_from_boot(&s.es, &c->es);
	seg_from_boot(&s.fs, &c->fs);
	seg_from_boot(&s.gs, &c->gs);
	seg_from_boot(&s.ss, &c->ss);
	seg_from_boot(&s.tr, &c->tr);
	seg_from_boot(&s.ldt, &c->ldtr);
	s.gdt.base = c->gdt.base;
	s.gdt.limit = c->gdt.limit;
	s.idt.base = c->idt.base;
	s.idt.limit = c->idt.limit;
	s.cr0 = c->cr0;
	s.cr3 = c->cr3;
	s.cr4 = c->cr4;
	s.efer = c->efer;
	s.apic_base = APIC_BASE_X2APIC | (1ull << 8);
	ret = be->set_sregs(&v->hv, &s);
	if (ret)
		return ret;
	memset(&r, 0, sizeof(r));
	r.rip = c->rip;
	r.rsp = c->rsp;
	r.rsi = c->rsi;
	r.rax = c->rax;		/* a Multiboot entry's magic and information */
	r.rbx = c->rbx;
	r.rflags = c->rflags;
	return be->set_regs(&v->hv, &r);
}

static uint64_t host_xcr0(void)
{
	uint32_t a, b, c, d;

	__asm__("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1), "c"(0));
	if (!(c & (1u << 27)))		/* OSXSAVE */
		return 3;
	__asm__ volatile("xgetbv" : "=a"(a), "=d"(d) : "c"(0));
	return (uint64_t)d << 32 | a;
}

static int restore_ram(struct machine *m);
static int restore_state(struct machine *m);

static int vcpu_setup(struct machine *m, struct vcpu *v, unsigned int id,
		      const struct vmain_cpuid_entry *offer, uint32_t noffer)
{
	static struct vmain_cpuid_entry table[CPUID_MAX_ENTRIES];
	const struct hv_backend *be = m->vm.backend;
	struct lapic_ops ops;
	struct vmain_sregs s;
	uint32_t n;
	int ret;

	v->m = m;
	v->id = id;
	v->hv.vm = &m->vm;
	v->hv.id = id;
	v->hv.fd = -1;
	v->timerfd = -1;
	/* In KVM's APIC an AP waits for its SIPI inside KVM_RUN. */
	v->state = id == 0 || m->vm.lapic_in_kernel ? VCPU_RUNNABLE : VCPU_WAIT_SIPI;
	pthread_cond_init(&v->wake, NULL);
	machine_lapic_ops(&ops);
	lapic_init(&v->lapic, &ops, v, id, machine_tsc_ns, m, m->tsc_hz);

	ret = be->vcpu_create(&v->hv);
	if (ret) {
		fprintf(stderr, "vmain: cannot create CPU %u: %s\n", id, strerror(-ret));
		return ret;
	}
	/* PV EOI where KVM's local APIC serves it (hv.h, pv_eoi). */
	ret = cpuid_build(offer, noffer, id, m->nr_vcpus, host_xcr0(),
			  (m->cfg.pvclock ? CPUID_PV_CLOCK : 0) |
			  (m->vm.lapic_in_kernel ? CPUID_PV_EOI : 0), table, &n);
	if (!ret)
		ret = be->set_cpuid(&v->hv, table, n);
	if (ret) {
		fprintf(stderr, "vmain: cannot set CPU %u's CPUID: %s\n", id, strerror(-ret));
		return ret;
	}
	/* What a save records of the CPU (machine/snapshot.c). */
	if (id == 0) {
		m->cpuid = malloc(n * sizeof(*table));
		if (!m->cpuid)
			return -ENOMEM;
		memcpy(m->cpuid, table, n * sizeof(*table));
		m->ncpuid = n;
	}
	/* Guest TSC = host TSC (clock.c relies on it). */
	ret = be->set_msr(&v->hv, MSR_IA32_TSC, __rdtsc());
	if (ret) {
		fprintf(stderr, "vmain: cannot set CPU %u's TSC: %s\n", id, strerror(-ret));
		return ret;
	}
	/*
	 * x2APIC from the start, as firmware that enabled it leaves it; a
	 * firmware itself starts in xAPIC mode, as after reset (machine/xapic.c).
	 */
	ret = be->get_sregs(&v->hv, &s);
	if (!ret) {
		s.apic_base = (m->cfg.bios ? APIC_BASE_X2APIC & ~(1ull << 10) : APIC_BASE_X2APIC) |
			      (id == 0 ? 1ull << 8 : 0);
		ret = be->set_sregs(&v->hv, &s);
	}
	if (ret) {
		fprintf(stderr, "vmain: cannot set CPU %u's APIC base: %s\n", id, strerror(-ret));
		return ret;
	}
	v->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (v->timerfd < 0) {
		ret = -errno;
		fprintf(stderr, "vmain: timerfd: %s\n", strerror(errno));
		return ret;
	}
	return 0;
}

/*
 * Which loader: a bzImage as ever; else an image with Multiboot's magic
 * in its first 8 KiB (whose own errors then say what is wrong with it);
 * else the bzImage loader's error.
 */
static bool is_multiboot(const struct image *k)
{
	struct multiboot_header h;
	struct bzimage_info bi;

	return bzimage_parse(k->data, k->len, &bi, NULL) != 0 &&
	       multiboot_find_header(k->data, k->len, &h, NULL) != -ENOENT;
}

/*
 * A Multiboot kernel (boot/multiboot.h) with its --module files, entered
 * in 32-bit protected mode (Multiboot 3.2).  The command line is the
 * kernel's name and --append, as QEMU and GRUB pass it.
 */
static int load_multiboot(struct machine *m, const struct image *kernel,
			  struct boot_cpu_state *cpu)
{
	struct multiboot_module mods[MB_MAX_MODULES];
	struct image files[MB_MAX_MODULES];
	unsigned int i, n = m->cfg.nr_modules;
	struct multiboot_layout lo;
	const char *reason = NULL;
	uint32_t mask;
	gchar *cmdline;
	int ret = 0;

	if (m->cfg.initrd) {
		fprintf(stderr, "vmain: cannot boot %s: a Multiboot kernel takes its modules "
			"with --module, not --initrd\n", m->cfg.kernel);
		return -EINVAL;
	}
	if (n > MB_MAX_MODULES) {
		fprintf(stderr, "vmain: cannot boot %s: more than %d modules\n", m->cfg.kernel,
			MB_MAX_MODULES);
		return -E2BIG;
	}
	memset(files, 0, sizeof(files));
	for (i = 0; i < n && !ret; i++) {
		/* "FILE ARGS": the file is the text up to the first space. */
		const char *spec = m->cfg.modules[i];
		gchar *path = g_strndup(spec, strcspn(spec, " "));

		ret = image_open(&files[i], "module", path);
		g_free(path);
		mods[i] = (struct multiboot_module){ files[i].data, files[i].len, spec };
	}
	if (ret)
		goto close_modules;
	cmdline = m->cfg.append && *m->cfg.append ?
		  g_strdup_printf("%s %s", m->cfg.kernel, m->cfg.append) : g_strdup(m->cfg.kernel);
	ret = multiboot_load(m->ram.base, ram_low_size(m),
			     m->ram.low_size ? m->ram.size - m->ram.low_size : 0,
			     kernel->data, kernel->len, mods, n, cmdline, &lo, cpu, &reason);
	g_free(cmdline);
	if (ret) {
		fprintf(stderr, "vmain: cannot boot %s: %s\n", m->cfg.kernel,
			reason ? reason : strerror(-ret));
		goto close_modules;
	}
	/*
	 * Every 8259 line masked but the cascade (OCW1), as a BIOS leaves
	 * them before its drivers unmask theirs: a kernel that sets IF
	 * before programming the PICs takes no interrupt at the
	 * uninitialised vector base (the exception vectors).
	 */
	mask = 0xfb;
	i8259_io_master(&m->pic, 1, 1, true, &mask);
	mask = 0xff;
	i8259_io_slave(&m->pic, 1, 1, true, &mask);
	/* No zero page: the kernel finds the RSDP by scanning 0xe0000.. */
	ret = platform_load(m, NULL);
close_modules:
	for (i = 0; i < n; i++)
		image_close(&files[i]);
	return ret;
}

static int load_guest(struct machine *m, struct boot_cpu_state *cpu)
{
	struct image kernel = { 0 }, initrd = { 0 };
	struct boot_layout layout;
	const char *reason = NULL;
	int ret;

	ret = image_open(&kernel, "kernel", m->cfg.kernel);
	/* Not a bzImage but Multiboot's magic is there: that loader. */
	if (!ret && is_multiboot(&kernel)) {
		ret = load_multiboot(m, &kernel, cpu);
		goto close_images;
	}
	if (!ret && m->cfg.nr_modules) {
		fprintf(stderr, "vmain: cannot boot %s: --module is for a Multiboot kernel; "
			"this one is not\n", m->cfg.kernel);
		ret = -EINVAL;
	}
	if (!ret && m->cfg.initrd)
		ret = image_open(&initrd, "initrd", m->cfg.initrd);
	if (ret)
		goto close_images;
	ret = boot_layout_load(m->ram.base, ram_low_size(m), kernel.data, kernel.len,
			       initrd.data, initrd.len, m->cfg.append, &layout, cpu,
			       &reason);
	if (ret) {
		fprintf(stderr, "vmain: cannot boot %s: %s\n", m->cfg.kernel,
			reason ? reason : strerror(-ret));
		goto close_images;
	}
	if (m->ram.low_size) {
		ret = boot_layout_add_high_ram(m->ram.base, &layout, GMEM_HIGH_BASE,
					       m->ram.size - m->ram.low_size);
		if (ret) {
			fprintf(stderr, "vmain: cannot describe RAM above 4 GiB: %s\n",
				strerror(-ret));
			goto close_images;
		}
	}
	ret = platform_load(m, &layout);
close_images:
	image_close(&kernel);
	image_close(&initrd);
	return ret;
}

/*
 * The test-exit port was written (machine.lock held): the VM ends, and
 * its process with this status (vm/vm.c).  The first write wins.
 */
static void debug_exit_stop(void *opaque, uint32_t status)
{
	struct machine *m = opaque;

	if (!m->stopping)
		m->debug_exit_status = status;
	machine_stop_locked(m, MACHINE_EXIT_DEBUG);
}

/*
 * --debug-exit's ports, after every platform device: a clash with one of
 * them, or with the PCI I/O window where BARs go, is refused by name.
 */
static int debug_exit_attach(struct machine *m)
{
	const struct debug_exit_config *c = &m->cfg.debug_exit;
	const char *clash = NULL;
	int ret;

	if (c->port < MEMMAP_PCI_IO_END && c->port + c->size > MEMMAP_PCI_IO_BASE) {
		fprintf(stderr, "vmain: --debug-exit 0x%x,%u: ports 0x%x..0x%x are PCI's I/O "
			"window (BARs)\n", c->port, c->size, MEMMAP_PCI_IO_BASE,
			MEMMAP_PCI_IO_END - 1);
		return -EEXIST;
	}
	debug_exit_init(&m->debug_exit, c, debug_exit_stop, m);
	ret = debug_exit_register(&m->debug_exit, &m->pio, &clash);
	if (ret == -EEXIST)
		fprintf(stderr, "vmain: --debug-exit 0x%x,%u: a port of it is taken by the "
			"machine's %s\n", c->port, c->size, clash ? clash : "devices");
	else if (ret)
		fprintf(stderr, "vmain: --debug-exit: %s\n", strerror(-ret));
	return ret;
}

int machine_create(struct machine **out, const struct machine_config *cfg)
{
	static struct vmain_cpuid_entry offer[CPUID_MAX_ENTRIES];
	struct boot_cpu_state cpu;
	struct machine *m;
	char chosen[512];
	uint32_t noffer = CPUID_MAX_ENTRIES;
	unsigned int i;
	int ret;

	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->cfg = *cfg;
	m->memfd = -1;
	m->pit_timerfd = -1;
	m->nr_vcpus = cfg->cpus;
	pthread_mutex_init(&m->lock, NULL);
	pthread_cond_init(&m->parked, NULL);
	m->tsc_hz = machine_calibrate_tsc();
	m->tsc0 = __rdtsc();
	m->tsc0_ns = (int64_t)((unsigned __int128)m->tsc0 * 1000000000u / m->tsc_hz);

	ret = ram_create(m);
	if (ret) {
		fprintf(stderr, "vmain: cannot allocate %" G_GUINT64_FORMAT " MiB of guest RAM: %s\n",
			cfg->mem >> 20, strerror(-ret));
		goto free_m;
	}
	if (cfg->restore) {
		ret = restore_ram(m);
		if (ret)
			goto free_ram;
	}
	ret = platform_init(m);
	if (ret)
		goto free_ram;
	if (cfg->debug_exit.size) {
		ret = debug_exit_attach(m);
		if (ret)
			goto free_platform;
	}
	if (!cfg->restore && !cfg->bios) {
		ret = load_guest(m, &cpu);
		if (ret)
			goto free_platform;
	}
	/* --kernel under the firmware: fw_cfg carries it, a restore's too (fwcfg.h). */
	if (cfg->bios && cfg->kernel) {
		ret = machine_fw_cfg_add_kernel(m);
		if (ret)
			goto free_platform;
	}

	/*
	 * Creating the VM registers an MMU notifier, which gives up with
	 * EINTR while the task has a signal or task work pending (the io_uring
	 * a restore just closed queues such work as it winds down).  vmain.ko
	 * restarts the ioctl itself (kmod/mmu.c); KVM's CREATE_VM returns the
	 * EINTR: try again.
	 */
	for (i = 0; i < 5; i++) {
		ret = hv_vm_create(&m->vm, cfg->accel, cfg->uuid, chosen, sizeof(chosen));
		if (ret != -EINTR)
			break;
	}
	/*
	 * A firmware's 8259 delivers vectors 08h-0Fh, which a vmain.ko from
	 * before VMAIN_CAP_LOW_VECTORS refuses: it would stop at the BIOS's
	 * first timer tick.  Auto takes KVM instead; vmain is refused here.
	 */
	if (!ret && cfg->bios && m->vm.backend == &hv_backend_vmain &&
	    ioctl(m->vm.sysfd, VMAIN_CHECK_CAP, VMAIN_CAP_LOW_VECTORS) <= 0) {
		m->vm.backend->vm_destroy(&m->vm);
		snprintf(chosen, sizeof(chosen), "this vmain.ko takes no interrupt vectors "
			 "below 16 (VMAIN_CAP_LOW_VECTORS), which a firmware boot needs: load "
			 "this version's module%s", cfg->accel == HV_ACCEL_AUTO ? "" :
			 " or use --accel kvm");
		ret = -ENODEV;
		if (cfg->accel == HV_ACCEL_AUTO) {
			fprintf(stderr, "vmain: %s; trying KVM\n", chosen);
			ret = hv_vm_create(&m->vm, HV_ACCEL_KVM, cfg->uuid, chosen, sizeof(chosen));
		}
	}
	if (ret) {
		fprintf(stderr, "vmain: cannot create the VM: %s\n", chosen);
		goto free_platform;
	}
	m->vm_created = true;
	if (cfg->verbose || cfg->accel == HV_ACCEL_AUTO)
		fprintf(stderr, "vmain: using %s\n", chosen);
	ret = machine_irqchip_enable(m);	/* before any vCPU */
	if (ret)
		goto free_vm;
	/* Slot 0: RAM below the hole; slot 1: the rest, from 4 GiB. */
	if (cfg->bios)
		ret = firmware_map(m);	/* slot 0 cut, the ROM, the shadow */
	else
		ret = m->vm.backend->set_memory(&m->vm, 0, 0, ram_low_size(m), m->ram.base,
						false);
	if (!ret && m->ram.low_size)
		ret = m->vm.backend->set_memory(&m->vm, 1, GMEM_HIGH_BASE,
						m->ram.size - m->ram.low_size,
						m->ram.base + m->ram.low_size, false);
	if (ret) {
		fprintf(stderr, "vmain: cannot map guest RAM: %s\n", strerror(-ret));
		goto free_vm;
	}
	ret = m->vm.backend->supported_cpuid(&m->vm, offer, &noffer);
	if (ret) {
		fprintf(stderr, "vmain: cannot read the CPUID the backend offers: %s\n",
			strerror(-ret));
		goto free_vm;
	}
	m->vcpus = calloc(m->nr_vcpus, sizeof(*m->vcpus));
	if (!m->vcpus) {
		ret = -ENOMEM;
		goto free_vm;
	}
	/* Nothing to undo yet for any vCPU (0 would be stdin to close()). */
	for (i = 0; i < m->nr_vcpus; i++)
		m->vcpus[i].timerfd = m->vcpus[i].hv.fd = -1;
	for (i = 0; i < m->nr_vcpus; i++) {
		ret = vcpu_setup(m, &m->vcpus[i], i, offer, noffer);
		if (ret)
			goto free_vcpus;
	}
	m->pit_timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (m->pit_timerfd < 0) {
		ret = -errno;
		goto free_vcpus;
	}
	ret = machine_ioeventfds_init(m);
	if (ret)
		goto free_vcpus;
	if (cfg->restore) {
		ret = restore_state(m);
		if (ret)
			goto free_vcpus;
	} else {
		ret = cfg->bios ? firmware_reset_state(&m->vcpus[0]) :
		      set_boot_state(&m->vcpus[0], &cpu);
		if (ret) {
			fprintf(stderr, "vmain: cannot set the boot CPU's state: %s\n",
				strerror(-ret));
			goto free_vcpus;
		}
	}
	*out = m;
	return 0;

free_vcpus:
	machine_ioeventfds_fini(m);
	if (m->pit_timerfd >= 0)
		close(m->pit_timerfd);
	for (i = 0; i < m->nr_vcpus; i++) {
		if (m->vcpus[i].timerfd >= 0)
			close(m->vcpus[i].timerfd);
		if (m->vcpus[i].hv.fd >= 0)
			m->vm.backend->vcpu_destroy(&m->vcpus[i].hv);
		if (m->vcpus[i].m)
			pthread_cond_destroy(&m->vcpus[i].wake);
	}
	free(m->vcpus);
free_vm:
	m->vm.backend->vm_destroy(&m->vm);
free_platform:
	platform_stop_io(m);
	platform_destroy(m);
free_ram:
	ram_destroy(m);
free_m:
	free(m->cpuid);
	pthread_cond_destroy(&m->parked);
	pthread_mutex_destroy(&m->lock);
	free(m);
	return ret;
}

/* Consumes a timerfd's expiry count; false if the fd is broken. */
static bool timerfd_drain(gint fd)
{
	uint64_t n;

	return read(fd, &n, sizeof(n)) >= 0 || errno == EAGAIN;
}

static gboolean pit_timer_fired(gint fd, GIOCondition cond, gpointer opaque)
{
	struct machine *m = opaque;

	(void)cond;
	if (!timerfd_drain(fd))
		return G_SOURCE_REMOVE;
	pthread_mutex_lock(&m->lock);
	i8254_update(&m->pit, machine_mono_ns(NULL));
	platform_rearm_pit(m);
	pthread_mutex_unlock(&m->lock);
	return G_SOURCE_CONTINUE;
}

static gboolean lapic_timer_fired(gint fd, GIOCondition cond, gpointer opaque)
{
	struct vcpu *v = opaque;

	(void)cond;
	if (!timerfd_drain(fd))
		return G_SOURCE_REMOVE;
	pthread_mutex_lock(&v->m->lock);
	lapic_update(&v->lapic, machine_tsc_ns(v->m));
	machine_vcpu_rearm_timer(v);
	pthread_mutex_unlock(&v->m->lock);
	return G_SOURCE_CONTINUE;
}

void machine_stop_locked(struct machine *m, enum machine_exit why)
{
	unsigned int i;

	if (!m->stopping) {
		m->stopping = true;
		m->exit = why;
	}
	for (i = 0; i < m->nr_vcpus; i++)
		machine_vcpu_kick_locked(&m->vcpus[i]);
	/* Every vCPU, also one that is runnable but not in the guest. */
	for (i = 0; i < m->nr_vcpus; i++)
		pthread_cond_signal(&m->vcpus[i].wake);
	pthread_cond_broadcast(&m->parked);	/* a pause waiting ends too */
	if (m->ctx)
		g_main_context_wakeup(m->ctx);
}

void machine_stop(struct machine *m, enum machine_exit why)
{
	pthread_mutex_lock(&m->lock);
	machine_stop_locked(m, why);
	pthread_mutex_unlock(&m->lock);
}

bool machine_power_button(struct machine *m)
{
	bool enabled;

	pthread_mutex_lock(&m->lock);
	enabled = m->pm.en & ACPI_PM1_PWRBTN;
	acpi_pm_power_button(&m->pm);
	pthread_mutex_unlock(&m->lock);
	return enabled;
}

size_t machine_console_input(struct machine *m, const uint8_t *buf, size_t len)
{
	size_t n;

	pthread_mutex_lock(&m->lock);
	n = serial8250_receive(&m->com1, buf, len);
	pthread_mutex_unlock(&m->lock);
	return n;
}

static void timers_watch(struct machine *m)
{
	unsigned int i;

	m->pit_source = g_unix_fd_add(m->pit_timerfd, G_IO_IN, pit_timer_fired, m);
	for (i = 0; i < m->nr_vcpus; i++)
		m->vcpus[i].timer_source = g_unix_fd_add(m->vcpus[i].timerfd, G_IO_IN,
							 lapic_timer_fired, &m->vcpus[i]);
}

static void timers_unwatch(struct machine *m)
{
	unsigned int i;

	if (m->pit_source)
		g_source_remove(m->pit_source);
	for (i = 0; i < m->nr_vcpus; i++)
		if (m->vcpus[i].timer_source)
			g_source_remove(m->vcpus[i].timer_source);
	m->pit_source = 0;
	for (i = 0; i < m->nr_vcpus; i++)
		m->vcpus[i].timer_source = 0;
}

static bool any_in_guest(const struct machine *m)
{
	unsigned int i;

	for (i = 0; i < m->nr_vcpus; i++)
		if (m->vcpus[i].in_guest)
			return true;
	return false;
}

int machine_pause(struct machine *m)
{
	unsigned int i;

	pthread_mutex_lock(&m->lock);
	if (m->paused) {
		pthread_mutex_unlock(&m->lock);
		return -EALREADY;
	}
	m->paused = true;
	/*
	 * A vCPU checks `paused` under the lock before each entry, so once
	 * every vCPU is out of the guest none goes back in.  The kick makes
	 * RUN return at the next instruction boundary (the backends' kick:
	 * an IPI that forces an exit, VMAIN_EXIT_KICK or EINTR).
	 */
	for (i = 0; i < m->nr_vcpus; i++)
		if (m->vcpus[i].in_guest)
			m->vcpus[i].hv.vm->backend->kick(&m->vcpus[i].hv);
	while (any_in_guest(m) && !m->stopping)
		pthread_cond_wait(&m->parked, &m->lock);
	pthread_mutex_unlock(&m->lock);
	/* No timer fires while paused: the timerfds are not watched. */
	if (m->ctx)
		timers_unwatch(m);
	return 0;
}

int machine_resume(struct machine *m)
{
	unsigned int i;

	pthread_mutex_lock(&m->lock);
	if (!m->paused) {
		pthread_mutex_unlock(&m->lock);
		return -EALREADY;
	}
	m->paused = false;
	/* Timers that expired while paused are due now: one update each. */
	i8254_update(&m->pit, machine_mono_ns(NULL));
	platform_rearm_pit(m);
	for (i = 0; i < m->nr_vcpus; i++) {
		struct vcpu *v = &m->vcpus[i];

		/* Guest time ran on: its watchdogs must not call that a lockup. */
		if (v->hv.vm->backend->clock_stopped)
			v->hv.vm->backend->clock_stopped(&v->hv);
		else
			pvclock_guest_stopped(v);
		lapic_update(&v->lapic, machine_tsc_ns(m));
		machine_vcpu_rearm_timer(v);
		pthread_cond_signal(&v->wake);
	}
	pthread_mutex_unlock(&m->lock);
	if (m->ctx && !m->pit_source)
		timers_watch(m);
	return 0;
}

enum machine_exit machine_run(struct machine *m)
{
	unsigned int i;
	bool stopping;
	int ret;

	m->ctx = g_main_context_default();
	if (!m->paused)
		timers_watch(m);
	pthread_mutex_lock(&m->lock);
	for (i = 0; i < m->nr_vcpus; i++) {
		ret = machine_vcpu_start(&m->vcpus[i]);
		if (ret) {
			fprintf(stderr, "vmain: cannot start CPU %u's thread: %s\n", i,
				strerror(-ret));
			machine_stop_locked(m, MACHINE_EXIT_ERROR);
			break;
		}
	}
	pthread_mutex_unlock(&m->lock);
	if (m->cfg.on_started)
		m->cfg.on_started(m->cfg.opaque, m);
	/*
	 * The loop ends only through machine_stop_locked(), which wakes the
	 * context after setting `stopping`: no stop is missed, even one
	 * made before the first iteration.
	 */
	for (;;) {
		pthread_mutex_lock(&m->lock);
		stopping = m->stopping;
		pthread_mutex_unlock(&m->lock);
		if (stopping)
			break;
		g_main_context_iteration(m->ctx, TRUE);
	}
	for (i = 0; i < m->nr_vcpus; i++)
		if (m->vcpus[i].thread_started)
			pthread_join(m->vcpus[i].thread, NULL);
	timers_unwatch(m);
	m->ctx = NULL;
	return m->exit;
}

void machine_destroy(struct machine *m)
{
	unsigned int i;

	machine_ioeventfds_fini(m);	/* their callbacks notify the devices */
	for (i = 0; i < m->nr_vcpus; i++) {
		close(m->vcpus[i].timerfd);
		m->vm.backend->vcpu_destroy(&m->vcpus[i].hv);
		pthread_cond_destroy(&m->vcpus[i].wake);
	}
	free(m->vcpus);
	m->vm.backend->vm_destroy(&m->vm);
	close(m->pit_timerfd);
	/* In-flight disk reads write guest RAM: they finish before it goes. */
	platform_stop_io(m);
	platform_destroy(m);
	ram_destroy(m);
	free(m->cpuid);
	pthread_cond_destroy(&m->parked);
	pthread_mutex_destroy(&m->lock);
	free(m);
}

/* --- save and restore (machine/snapshot.h, state/savefile.h) -------------- */

static int64_t mono_ns(void)
{
	return machine_mono_ns(NULL);
}

/*
 * Guest RAM from the save file: read into the fresh RAM (memfd or
 * anonymous), or (lazy) mapped from the file over it, after which a
 * memfd backs nothing and is closed (state/savefile.h).
 */
static int restore_ram(struct machine *m)
{
	struct savefile *f = m->cfg.restore;
	const struct savefile_info *info = savefile_info(f);
	int64_t t0 = mono_ns();
	char err[256];
	int ret;

	if (info->ram_size != m->cfg.mem) {
		fprintf(stderr, "vmain: cannot restore: the saved VM has %" G_GUINT64_FORMAT
			" MiB of RAM, this one %" G_GUINT64_FORMAT " MiB\n",
			info->ram_size >> 20, m->cfg.mem >> 20);
		return -EINVAL;
	}
	if (m->cfg.restore_lazy) {
		ret = savefile_map_ram(f, m->ram.base, m->ram.size, err, sizeof(err));
		if (!ret) {
			/* A page not present is in the file now, not zero. */
			if (m->memfd >= 0)
				close(m->memfd);
			m->memfd = -1;
			m->ram_anon = false;
		}
	} else {
		ret = savefile_read_ram(f, m->ram.base, m->ram.size, NULL, err, sizeof(err));
	}
	if (ret) {
		fprintf(stderr, "vmain: cannot restore guest RAM: %s\n", err);
		return ret;
	}
	m->restore_ns += mono_ns() - t0;
	return 0;
}

static int restore_state(struct machine *m)
{
	int64_t t0 = mono_ns();
	const void *state;
	size_t len;
	char err[512];
	int ret;

	state = savefile_state(m->cfg.restore, &len);
	ret = snapshot_load(m, state, len, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "vmain: cannot restore the saved state: %s\n", err);
		return ret;
	}
	m->restore_ns += mono_ns() - t0;
	return 0;
}

int machine_save(struct machine *m, const char *path,
		 void (*progress)(void *opaque, uint64_t done, uint64_t total), void *opaque,
		 struct savefile_stats *stats, bool *detached, char *err, size_t errlen)
{
	struct savefile_opts opts = {
		.writer = "vmain 0.1", .progress = progress, .opaque = opaque,
	};
	struct state_writer w;
	const uint8_t *data;
	unsigned int i;
	size_t len;
	int ret;

	*detached = false;
	if (!m->paused) {
		snprintf(err, errlen, "the VM is not paused");
		return -EINVAL;
	}
	/* Refused while the VM can still run on. */
	ret = snapshot_check(m, err, errlen);
	if (ret)
		return ret;
	/*
	 * No request may be under way on the host, nor a frame arrive, while
	 * the devices and RAM are read: the disks finish what they took and
	 * take no more, the NICs are cut from their back ends.
	 */
	*detached = true;
	platform_stop_io(m);
	/*
	 * What the guest wrote is on the images before the state that says
	 * so: its completed writes may sit in a write-back cache (the guest's
	 * or ours), which a restore will not have.  A flush that fails fails
	 * the save (the VM stops: its disks were detached above).
	 */
	for (i = 0; i < m->cfg.nr_disks; i++) {
		ret = disk_flush(m->cfg.disks[i]);
		if (ret) {
			snprintf(err, errlen, "cannot flush %s: %s", m->cfg.disks[i]->path,
				 strerror(-ret));
			return ret;
		}
	}
	state_writer_init(&w);
	ret = snapshot_save(m, &w, err, errlen);
	if (ret)
		goto free_writer;
	data = state_writer_data(&w, &len, &ret);
	if (!data) {
		snprintf(err, errlen, "cannot build the state: %s", strerror(-ret));
		goto free_writer;
	}
	if (m->memfd >= 0) {
		opts.flags |= SAVEFILE_RAM_FD;
		opts.ram_fd = m->memfd;
	} else if (m->ram_anon) {
		opts.flags |= SAVEFILE_RAM_ANON;
	}
	ret = savefile_write(path, m->ram.base, m->ram.size, data, len, &opts, stats,
			     err, errlen);
free_writer:
	state_writer_free(&w);
	return ret;
}
