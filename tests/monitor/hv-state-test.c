// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hv-state-test.c - (in the SVM arena with kvm_amd loaded) a vCPU's state
 * moves between fresh vCPUs through get_state/set_state, on each backend
 * and across them (vmain.ko -> KVM and KVM -> vmain.ko), and the guest
 * runs on from where it was.
 *
 * For each (from, to) pair: a 64-bit guest is given a non-trivial state
 * (long-mode segments, FS/GS bases, x87 and XMM registers, MXCSR, the
 * SYSCALL/SYSENTER MSRs, PAT, MTRRdefType, MISC_ENABLE, TSC_AUX, a TSC of
 * 2^40) and runs to a port write, so the state is the CPU's, not only
 * what was written, and on to an IN whose data is stored but whose
 * instruction is not finished (get_state must finish it).  Then a #GP with an error code, a masked pending NMI
 * and a MOV-SS shadow are set as events, the state is read, the VM
 * destroyed (the two backends cannot hold AMD-V at once), and the state
 * set into a fresh vCPU of a new VM on the other backend.  Read again, it
 * must match field by field (the TSC only moved forward, a little).  The
 * guest then takes the #GP in its handler, which reads the TSC: the
 * error code, the return address and the TSC show it continued.  Last, a
 * pending external interrupt travels back the other way, unrun.
 *
 * Guest memory (2 MiB at 0, one 2 MiB page, identity mapped):
 *   0x500 GDT, 0x600 TSS, 0x1000 PML4, 0x2000 PDPT, 0x3000 PD,
 *   0x4000 IDT, 0x8000 kvmclock record (KVM only), 0x9000 stack top,
 *   0x10000 main loop, 0x10100 #GP handler.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "tap.h"
#include "hv/hv.h"

#define RAM_SIZE	0x200000
#define MAIN		0x10000
#define RESUME_RIP	0x1001e		/* past main's IN: where it is saved */
#define IN_VALUE	0x5eed1234u
#define GP_HANDLER	0x10100
#define STACK_TOP	0x9000
#define PVCLOCK_GPA	0x8000
#define TSC_START	(1ull << 40)
#define GP_ERROR	0x18

/*
 * main:  rdtsc; shl rdx,32; or rax,rdx; mov rsi,rax   (rsi = TSC)
 *        movq rdi,xmm1                                (rdi = XMM1[63:0])
 *        mov rax,r12; add rax,r13; mov r14,rax        (r14 = r12 + r13)
 *        out 0x10,al
 *        in eax,0x12                                  (saved here, unfinished)
 *        jmp main
 */
static const uint8_t main_code[] = {
	0x0f, 0x31, 0x48, 0xc1, 0xe2, 0x20, 0x48, 0x09, 0xd0, 0x48, 0x89, 0xc6,
	0x66, 0x48, 0x0f, 0x7e, 0xcf,
	0x4c, 0x89, 0xe0, 0x4c, 0x01, 0xe8, 0x49, 0x89, 0xc6,
	0xe6, 0x10, 0xe5, 0x12, 0xeb, 0xe0,
};

/* #GP: pop rbx (the error code); rsi = TSC as above; out 0x11,al; hlt */
static const uint8_t gp_code[] = {
	0x5b, 0x0f, 0x31, 0x48, 0xc1, 0xe2, 0x20, 0x48, 0x09, 0xd0, 0x48, 0x89, 0xc6,
	0xe6, 0x11, 0xf4,
};

static uint8_t *ram;
static bool kvm_amd;	/* the host is AMD: KVM keeps 32-bit SYSENTER_ESP/EIP */

static void put64(uint64_t gpa, uint64_t v)
{
	memcpy(ram + gpa, &v, 8);
}

static uint64_t get64(uint64_t gpa)
{
	uint64_t v;

	memcpy(&v, ram + gpa, 8);
	return v;
}

static void build_ram(void)
{
	uint64_t gate_lo, gate_hi;

	memset(ram, 0, RAM_SIZE);
	put64(0x500, 0);
	put64(0x508, 0x00209a0000000000ull);	/* 64-bit code, DPL 0 */
	put64(0x510, 0x0000920000000000ull);	/* data */
	put64(0x1000, 0x2000 | 3);
	put64(0x2000, 0x3000 | 3);
	put64(0x3000, 0x0 | 0x83);		/* 2 MiB page, RW, present */
	/* IDT entry 13: a 64-bit interrupt gate to GP_HANDLER, selector 8. */
	gate_lo = (GP_HANDLER & 0xffff) | (8ull << 16) | (0x8eull << 40) |
		  ((uint64_t)(GP_HANDLER >> 16 & 0xffff) << 48);
	gate_hi = (uint64_t)GP_HANDLER >> 32;
	put64(0x4000 + 13 * 16, gate_lo);
	put64(0x4000 + 13 * 16 + 8, gate_hi);
	memcpy(ram + MAIN, main_code, sizeof(main_code));
	memcpy(ram + GP_HANDLER, gp_code, sizeof(gp_code));
}

static void seg(struct vmain_segment *s, uint16_t sel, uint8_t type, uint8_t code64,
		uint64_t base)
{
	memset(s, 0, sizeof(*s));
	s->selector = sel;
	s->base = base;
	s->limit = 0xffffffff;
	s->type = type;
	s->present = 1;
	s->s = 1;
	s->l = code64;
	s->db = !code64;
	s->g = 1;
}

/* The state the first vCPU is given (KVM's kvmclock where it serves it). */
static void initial_state(struct hv_vcpu_state *st, const struct hv_vcpu_state *reset,
			  bool pvclock)
{
	struct vmain_sregs *s = &st->sregs;
	uint16_t fcw = 0x027f, fsw = 0x3800, mxcsr_lo;
	uint32_t mxcsr = 0x1fa0;
	uint64_t st0_mant = 0x8000000000000000ull, xstate_bv = 3;
	uint16_t st0_exp = 0x3fff;	/* 1.0 */
	unsigned int i;

	*st = *reset;
	memset(&st->regs, 0, sizeof(st->regs));
	st->regs.rip = MAIN;
	st->regs.rsp = STACK_TOP;
	st->regs.rflags = 0x2;
	st->regs.rbx = 0x1111222233334444ull;
	st->regs.rbp = 0x5555666677778888ull;
	st->regs.r8 = 0x8;
	st->regs.r9 = 0x9999;
	st->regs.r12 = 0x0123456789abcdefull;
	st->regs.r13 = 0x1000000000000001ull;
	st->regs.r15 = 0xfedcba9876543210ull;

	seg(&s->cs, 0x8, 0xb, 1, 0);
	seg(&s->ds, 0x10, 0x3, 0, 0);
	seg(&s->es, 0x10, 0x3, 0, 0);
	seg(&s->ss, 0x10, 0x3, 0, 0);
	seg(&s->fs, 0x10, 0x3, 0, 0x7f0000001000ull);
	seg(&s->gs, 0x10, 0x3, 0, 0xffff888000100000ull);
	memset(&s->tr, 0, sizeof(s->tr));
	s->tr.selector = 0x18;
	s->tr.base = 0x600;
	s->tr.limit = 0x67;
	s->tr.type = 0xb;	/* busy 64-bit TSS */
	s->tr.present = 1;
	memset(&s->ldt, 0, sizeof(s->ldt));
	s->ldt.type = 0x2;
	s->ldt.present = 1;
	s->ldt.limit = 0xffff;
	s->gdt.base = 0x500;
	s->gdt.limit = 0x1f;
	s->idt.base = 0x4000;
	s->idt.limit = 0xfff;
	s->cr0 = 0x80050033;	/* PG AM WP NE ET MP PE */
	s->cr2 = 0x1234000;
	s->cr3 = 0x1000;
	s->cr4 = 0x40620;	/* OSXSAVE OSXMMEXCPT OSFXSR PAE */
	s->efer = 0xd01;	/* NXE LMA LME SCE */

	st->xcr0 = 3;		/* x87, SSE */
	st->xsave_size = HV_XSAVE_SIZE;
	memset(st->xsave, 0, sizeof(st->xsave));
	memcpy(st->xsave + 0, &fcw, 2);
	memcpy(st->xsave + 2, &fsw, 2);
	st->xsave[4] = 0x80;	/* abridged tag: physical register 7 (ST0) valid */
	memcpy(st->xsave + 24, &mxcsr, 4);
	mxcsr_lo = 0xffff;
	memcpy(st->xsave + 28, &mxcsr_lo, 2);	/* MXCSR_MASK: read only */
	memcpy(st->xsave + 32, &st0_mant, 8);
	memcpy(st->xsave + 40, &st0_exp, 2);
	for (i = 0; i < 16 * 16; i++)		/* XMM0-15 */
		st->xsave[160 + i] = (uint8_t)(0x11 * (i / 16) + i);
	memcpy(st->xsave + 512, &xstate_bv, 8);

	st->msr.tsc = TSC_START;
	st->msr.star = 0x0023001000000000ull;
	st->msr.lstar = 0xffffffff81000000ull;
	st->msr.cstar = 0xffffffff81000100ull;
	st->msr.sfmask = 0x47700;
	st->msr.kernel_gs_base = 0xffff888000200000ull;
	st->msr.sysenter_cs = 0x10;
	st->msr.sysenter_esp = 0xffffc90000001000ull;
	st->msr.sysenter_eip = 0xffffffff81000200ull;
	st->msr.pat = 0x0407050600070106ull;
	st->msr.misc_enable = 0x1801;
	st->msr.mtrr_def_type = 0x806;
	st->msr.tsc_aux = 0x1234;
	memset(&st->events, 0, sizeof(st->events));
	st->pvclock_system_time = pvclock ? PVCLOCK_GPA | 1 : 0;
	st->pvclock_wall_clock = 0;
}

struct vm {
	struct hv_vm vm;
	struct hv_vcpu vcpu;
	const struct hv_backend *b;
	bool pvclock;		/* the backend serves kvmclock */
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* split: the local APIC in KVM (its split irqchip), as vmain runs a VM there. */
static int vm_open_split(struct vm *v, enum hv_accel accel, const char *name, bool split)
{
	static struct vmain_cpuid_entry cpuid[256];
	uint8_t uuid[16];
	char chosen[512];
	uint32_t n = 256;
	int ret;

	memset(v, 0, sizeof(*v));
	v->vcpu.fd = -1;
	tap_diag("%.3f s: a VM on %s", now(), name);
	if (getrandom(uuid, 16, 0) != 16)
		memset(uuid, 0x5b, 16);
	ret = hv_vm_create(&v->vm, accel, uuid, chosen, sizeof(chosen));
	if (ret) {
		tap_diag("  %s: %s", name, chosen);
		return ret;
	}
	v->b = v->vm.backend;
	v->pvclock = v->b->clock_stopped != NULL;
	v->vcpu.vm = &v->vm;
	ret = split ? (v->b->irqchip ? v->b->irqchip->enable(&v->vm) : -EOPNOTSUPP) : 0;
	if (!ret)
		ret = v->b->set_memory(&v->vm, 0, 0, RAM_SIZE, ram, false);
	if (!ret)
		ret = v->b->vcpu_create(&v->vcpu);
	if (!ret)
		ret = v->b->supported_cpuid(&v->vm, cpuid, &n);
	if (!ret)
		ret = v->b->set_cpuid(&v->vcpu, cpuid, n);
	if (ret) {
		tap_diag("  %s: VM setup failed: %s", name, strerror(-ret));
		if (v->vcpu.fd >= 0)
			v->b->vcpu_destroy(&v->vcpu);
		v->b->vm_destroy(&v->vm);
	}
	return ret;
}

static int vm_open(struct vm *v, enum hv_accel accel, const char *name)
{
	return vm_open_split(v, accel, name, false);
}

static void vm_close(struct vm *v)
{
	v->b->vcpu_destroy(&v->vcpu);
	v->b->vm_destroy(&v->vm);
}

static bool run_to(struct vm *v, uint32_t reason, uint16_t port, const char *what,
		   struct hv_exit *out)
{
	struct hv_exit e;
	int ret = v->b->vcpu_run(&v->vcpu, &e);

	if (out)
		*out = e;
	if (ret || e.reason != reason || (reason == VMAIN_EXIT_IO && e.io.port != port)) {
		tap_diag("  %s: ret %d exit %u port %#x hw %#llx suberror %u", what, ret,
			 e.reason, e.io.port, (unsigned long long)e.hw_reason, e.suberror);
		return false;
	}
	return true;
}

static int diffs;

#define CMP(field) do {						\
	if (a->field != b->field) {					\
		tap_diag("  %s: " #field " %#llx != %#llx", what,	\
			 (unsigned long long)a->field,			\
			 (unsigned long long)b->field);			\
		diffs++;						\
	}								\
} while (0)

static void cmp_seg(const char *what, const char *name, const struct vmain_segment *a,
		    const struct vmain_segment *b)
{
	if (a->base != b->base || a->limit != b->limit || a->selector != b->selector ||
	    a->type != b->type || a->present != b->present || a->dpl != b->dpl ||
	    a->db != b->db || a->s != b->s || a->l != b->l || a->g != b->g ||
	    a->avl != b->avl || a->unusable != b->unusable) {
		tap_diag("  %s: %s sel %#x/%#x base %#llx/%#llx limit %#x/%#x type %u/%u "
			 "p %u/%u dpl %u/%u db %u/%u s %u/%u l %u/%u g %u/%u avl %u/%u unusable %u/%u",
			 what, name, a->selector, b->selector, (unsigned long long)a->base,
			 (unsigned long long)b->base, a->limit, b->limit, a->type, b->type,
			 a->present, b->present, a->dpl, b->dpl, a->db, b->db, a->s, b->s,
			 a->l, b->l, a->g, b->g, a->avl, b->avl, a->unusable, b->unusable);
		diffs++;
	}
}

/* The bytes of the XSAVE image that are state, not reserved or unused. */
static void cmp_xsave(const char *what, const uint8_t *a, const uint8_t *b)
{
	static const struct { unsigned int off, len; const char *name; } f[] = {
		{ 0, 2, "FCW" }, { 2, 2, "FSW" }, { 4, 1, "FTW" }, { 6, 2, "FOP" },
		{ 24, 4, "MXCSR" }, { 32, 10, "ST0" }, { 48, 10, "ST1" },
		{ 64, 10, "ST2" }, { 80, 10, "ST3" }, { 96, 10, "ST4" },
		{ 112, 10, "ST5" }, { 128, 10, "ST6" }, { 144, 10, "ST7" },
		{ 160, 256, "XMM0-15" }, { 512, 8, "XSTATE_BV" }, { 520, 8, "XCOMP_BV" },
	};
	unsigned int i;

	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if (memcmp(a + f[i].off, b + f[i].off, f[i].len)) {
			tap_diag("  %s: xsave %s differs", what, f[i].name);
			diffs++;
		}
}

/*
 * Field by field; the TSC may only have moved forward by less than
 * 2^36 cycles (tens of seconds); the kvmclock fields where both serve it.
 */
static bool cmp_state(const char *what, const struct hv_vcpu_state *a,
		      const struct hv_vcpu_state *b, bool pvclock, bool sysenter32)
{
	unsigned int i;

	diffs = 0;
	CMP(regs.rax); CMP(regs.rcx); CMP(regs.rdx);
	CMP(regs.rbx); CMP(regs.rsp); CMP(regs.rbp);
	CMP(regs.rsi); CMP(regs.rdi); CMP(regs.r8);
	CMP(regs.r9); CMP(regs.r10); CMP(regs.r11);
	CMP(regs.r12); CMP(regs.r13); CMP(regs.r14);
	CMP(regs.r15); CMP(regs.rip); CMP(regs.rflags);
	cmp_seg(what, "cs", &a->sregs.cs, &b->sregs.cs);
	cmp_seg(what, "ds", &a->sregs.ds, &b->sregs.ds);
	cmp_seg(what, "es", &a->sregs.es, &b->sregs.es);
	cmp_seg(what, "fs", &a->sregs.fs, &b->sregs.fs);
	cmp_seg(what, "gs", &a->sregs.gs, &b->sregs.gs);
	cmp_seg(what, "ss", &a->sregs.ss, &b->sregs.ss);
	cmp_seg(what, "tr", &a->sregs.tr, &b->sregs.tr);
	cmp_seg(what, "ldt", &a->sregs.ldt, &b->sregs.ldt);
	CMP(sregs.gdt.base); CMP(sregs.gdt.limit);
	CMP(sregs.idt.base); CMP(sregs.idt.limit);
	CMP(sregs.cr0); CMP(sregs.cr2); CMP(sregs.cr3);
	CMP(sregs.cr4); CMP(sregs.cr8); CMP(sregs.efer);
	CMP(sregs.apic_base);
	CMP(xcr0); CMP(xsave_size);
	cmp_xsave(what, a->xsave, b->xsave);
	for (i = 0; i < hv_state_nr_msrs; i++) {
		uint64_t va = *hv_state_msr_value((struct hv_state_msrs *)&a->msr, i);
		uint64_t vb = *hv_state_msr_value((struct hv_state_msrs *)&b->msr, i);
		uint32_t index = hv_state_msrs[i].index;
		bool same = index == 0x10 ? vb >= va && vb - va < (1ull << 36) : va == vb;

		/* KVM on AMD keeps their low halves (see hv.h). */
		if (sysenter32 && (index == 0x175 || index == 0x176))
			same = (uint32_t)va == vb;

		if (!same) {
			tap_diag("  %s: MSR %#x (%s) %#llx -> %#llx", what, hv_state_msrs[i].index,
				 hv_state_msrs[i].name, (unsigned long long)va,
				 (unsigned long long)vb);
			diffs++;
		}
	}
	CMP(events.exception_pending); CMP(events.exception_vector);
	CMP(events.exception_has_error); CMP(events.exception_error_code);
	CMP(events.interrupt_pending); CMP(events.interrupt_vector);
	CMP(events.nmi_pending); CMP(events.nmi_masked);
	CMP(events.interrupt_shadow);
	if (pvclock) {
		CMP(pvclock_system_time);
		CMP(pvclock_wall_clock);
	}
	return diffs == 0;
}

static const struct vmain_events events_gp = {
	.exception_pending = 1, .exception_vector = 13, .exception_has_error = 1,
	.exception_error_code = GP_ERROR, .nmi_pending = 1, .nmi_masked = 1,
	.interrupt_shadow = 1,
};

static const struct vmain_events events_irq = {
	.interrupt_pending = 1, .interrupt_vector = 0x30,
};

static bool events_eq(const struct vmain_events *a, const struct vmain_events *b)
{
	return !memcmp(a, b, sizeof(*a));
}

/* An events-only change through the backend's state ops. */
static int set_events(struct vm *v, const struct vmain_events *ev)
{
	struct hv_vcpu_state *st = malloc(sizeof(*st));
	int ret;

	if (!st)
		return -ENOMEM;
	ret = v->b->get_state(&v->vcpu, st);
	if (!ret) {
		st->events = *ev;
		ret = v->b->set_state(&v->vcpu, st);
	}
	free(st);
	return ret;
}

static void move(enum hv_accel from, const char *fname, enum hv_accel to, const char *tname)
{
	struct hv_vcpu_state *reset, *s0, *g1, *g2, *g3, *g4;
	char what[64];
	struct vmain_regs r;
	struct hv_exit ex;
	struct vm a, b;
	uint64_t tsc1, xmm1;
	bool pv, sysenter32;
	int ret;

	snprintf(what, sizeof(what), "%s -> %s", fname, tname);
	reset = calloc(6, sizeof(*reset));
	if (!tap_ok(reset != NULL, "%s: memory", what))
		return;
	s0 = reset + 1; g1 = reset + 2; g2 = reset + 3; g3 = reset + 4; g4 = reset + 5;
	build_ram();

	/* 1: the state on `from`, run to the port write. */
	if (!tap_ok(!vm_open(&a, from, fname), "%s: VM and vCPU on %s", what, fname))
		goto free;
	ret = a.b->get_state(&a.vcpu, reset);
	tap_ok(!ret, "%s: get_state of a new vCPU on %s (%d)", what, fname, ret);
	initial_state(s0, reset, a.pvclock);
	ret = a.b->set_state(&a.vcpu, s0);
	if (!tap_ok(!ret, "%s: set_state of the 64-bit state on %s (%s)", what, fname,
		    strerror(-ret)))
		goto close_a;
	if (!tap_ok(run_to(&a, VMAIN_EXIT_IO, 0x10, what, NULL), "%s: the guest runs to OUT 0x10",
		    what))
		goto close_a;
	memcpy(&xmm1, s0->xsave + 160 + 16, 8);
	a.b->get_regs(&a.vcpu, &r);
	tsc1 = r.rsi;
	tap_ok(tsc1 >= TSC_START && tsc1 - TSC_START < (1ull << 36) && r.rdi == xmm1 &&
	       r.r14 == s0->regs.r12 + s0->regs.r13,
	       "%s: on %s the guest read TSC %#llx (from 2^40), XMM1 and r12+r13", what, fname,
	       (unsigned long long)tsc1);
	/* Saved between an IN's exit and its completion: the data is stored. */
	if (!tap_ok(run_to(&a, VMAIN_EXIT_IO, 0x12, what, &ex) && ex.io.in && ex.io.size == 4,
		    "%s: then to IN 0x12", what))
		goto close_a;
	memcpy(ex.io.data, &(uint32_t){ IN_VALUE }, 4);
	ret = set_events(&a, &events_gp);
	tap_ok(!ret, "%s: #GP(%#x) pending, NMI pending and masked, shadow (%d)", what,
	       GP_ERROR, ret);
	ret = a.b->get_state(&a.vcpu, g1);
	if (!tap_ok(!ret, "%s: get_state on %s", what, fname))
		goto close_a;
	tap_ok(events_eq(&g1->events, &events_gp) && g1->regs.rip == RESUME_RIP &&
	       (uint32_t)g1->regs.rax == IN_VALUE &&
	       g1->msr.tsc >= tsc1 && g1->msr.pat == s0->msr.pat &&
	       g1->msr.tsc_aux == s0->msr.tsc_aux && g1->xcr0 == 3 &&
	       !memcmp(g1->xsave + 160, s0->xsave + 160, 256),
	       "%s: the state read on %s holds the finished IN, the events, MSRs, XCR0, XMM",
	       what, fname);
	pv = a.pvclock;
	vm_close(&a);

	/* 2: into a fresh vCPU on `to`. */
	if (!tap_ok(!vm_open(&b, to, tname), "%s: VM and vCPU on %s", what, tname))
		goto free;
	ret = b.b->set_state(&b.vcpu, g1);
	if (!tap_ok(!ret, "%s: set_state on %s (%s)", what, tname, strerror(-ret)))
		goto close_b;
	ret = b.b->get_state(&b.vcpu, g2);
	sysenter32 = kvm_amd && !strcmp(b.b->name, "kvm");
	tap_ok(!ret && cmp_state(what, g1, g2, pv && b.pvclock, sysenter32),
	       "%s: get_state on %s matches, field by field%s", what, tname,
	       sysenter32 ? " (SYSENTER_ESP/EIP: the low 32 bits)" : "");

	/* 3: it runs on: the #GP is taken, the TSC continued. */
	if (tap_ok(run_to(&b, VMAIN_EXIT_IO, 0x11, what, NULL),
		   "%s: the guest takes the #GP (OUT 0x11)", what)) {
		b.b->get_regs(&b.vcpu, &r);
		tap_ok(r.rbx == GP_ERROR && get64(r.rsp) == RESUME_RIP &&
		       r.r14 == s0->regs.r12 + s0->regs.r13 && r.r15 == s0->regs.r15,
		       "%s: error code %#llx, return RIP %#llx, registers kept", what,
		       (unsigned long long)r.rbx, (unsigned long long)get64(r.rsp));
		tap_ok(r.rsi > tsc1 && r.rsi - tsc1 < (1ull << 36),
		       "%s: TSC continued: %#llx before, %#llx after (+%llu)", what,
		       (unsigned long long)tsc1, (unsigned long long)r.rsi,
		       (unsigned long long)(r.rsi - tsc1));
		ret = b.b->get_state(&b.vcpu, g3);
		tap_ok(!ret && g3->events.nmi_pending && g3->events.nmi_masked &&
		       !g3->events.exception_pending,
		       "%s: after it, the NMI is still pending behind the mask", what);
		if (b.pvclock && pv) {
			uint32_t version;

			memcpy(&version, ram + PVCLOCK_GPA, 4);
			tap_ok(version && !(version & 1),
			       "%s: KVM kept the kvmclock record at %#x (version %u)", what,
			       PVCLOCK_GPA, version);
		}
	}

	/* 4: a queued external interrupt goes back, unrun. */
	ret = set_events(&b, &events_irq);
	if (!ret)
		ret = b.b->get_state(&b.vcpu, g3);
	tap_ok(!ret && events_eq(&g3->events, &events_irq), "%s: interrupt 0x30 queued on %s",
	       what, tname);
	vm_close(&b);
	if (!tap_ok(!vm_open(&a, from, fname), "%s: a new VM on %s", what, fname))
		goto free;
	ret = a.b->set_state(&a.vcpu, g3);
	if (!ret)
		ret = a.b->get_state(&a.vcpu, g4);
	tap_ok(!ret && cmp_state(what, g3, g4, pv && b.pvclock,
				 kvm_amd && !strcmp(a.b->name, "kvm")),
	       "%s: back on %s, the state (the queued interrupt too) matches", what, fname);
	vm_close(&a);
	goto free;

close_b:
	vm_close(&b);
	goto free;
close_a:
	vm_close(&a);
free:
	free(reset);
}

/* What set_state refuses, before it touches the vCPU. */
/*
 * settle: the guest's `add dword [0x200000], 5` (at RMW_RIP; 0x200000 is
 * mapped by the guest but not RAM: MMIO) exits to read; with the value
 * stored, get_state alone cannot finish it, since its write half is
 * another exit.  settle returns that exit (1), then 0, and the state read
 * after it is past the instruction.
 */
#define RMW_RIP		0x11000
#define RMW_GPA		0x200000ull

static void settle_rmw(enum hv_accel accel, const char *name)
{
	static const uint8_t code[] = { 0x83, 0x04, 0x25, 0x00, 0x00, 0x20, 0x00, 0x05, 0xf4 };
	struct hv_vcpu_state *reset = calloc(2, sizeof(*reset)), *st;
	struct hv_exit ex;
	uint32_t v = 0x10;
	struct vm a;
	int ret;

	if (!tap_ok(reset != NULL, "%s settle: memory", name))
		return;
	st = reset + 1;
	build_ram();
	put64(0x3008, RMW_GPA | 0x83);		/* the second 2 MiB: no RAM behind it */
	memcpy(ram + RMW_RIP, code, sizeof(code));
	if (!tap_ok(!vm_open(&a, accel, name), "%s settle: VM and vCPU", name))
		goto free;
	ret = a.b->get_state(&a.vcpu, reset);
	initial_state(st, reset, a.pvclock);
	st->regs.rip = RMW_RIP;
	if (!ret)
		ret = a.b->set_state(&a.vcpu, st);
	if (!tap_ok(!ret, "%s settle: the 64-bit state set (%s)", name, strerror(-ret)) ||
	    !tap_ok(run_to(&a, VMAIN_EXIT_MMIO, 0, name, &ex) && !ex.mmio.write &&
		    ex.mmio.gpa == RMW_GPA && ex.mmio.len == 4,
		    "%s settle: ADD to MMIO exits to read 4 bytes at 0x200000", name))
		goto close;
	memcpy(ex.mmio.data, &v, 4);
	ret = a.b->settle(&a.vcpu, &ex);
	memcpy(&v, ex.mmio.data, 4);
	tap_ok(ret == 1 && ex.reason == VMAIN_EXIT_MMIO && ex.mmio.write &&
	       ex.mmio.gpa == RMW_GPA && ex.mmio.len == 4 && v == 0x15,
	       "%s settle: the read finished, the write half is an exit (0x10 + 5 = %#x)", name, v);
	ret = a.b->settle(&a.vcpu, &ex);
	tap_ok(ret == 0, "%s settle: then it is whole (%d)", name, ret);
	ret = a.b->get_state(&a.vcpu, st);
	tap_ok(!ret && st->regs.rip == RMW_RIP + 8,
	       "%s settle: get_state past the instruction (RIP %#llx)", name,
	       (unsigned long long)st->regs.rip);
close:
	vm_close(&a);
free:
	free(reset);
}

static void bad_sizes(enum hv_accel accel, const char *name)
{
	struct hv_vcpu_state *st = calloc(1, sizeof(*st));
	struct vm v;

	if (!st || !tap_ok(!vm_open(&v, accel, name), "%s: VM for the size checks", name)) {
		free(st);
		return;
	}
	if (!v.b->get_state(&v.vcpu, st)) {
		st->xsave_size = HV_XSAVE_SIZE + 1;
		tap_ok(v.b->set_state(&v.vcpu, st) == -EINVAL, "%s: an XSAVE image over 4 KiB: EINVAL",
		       name);
		st->xsave_size = 512;
		tap_ok(v.b->set_state(&v.vcpu, st) == -EINVAL,
		       "%s: one without its XSAVE header: EINVAL", name);
	}
	vm_close(&v);
	free(st);
}

/*
 * The paravirtual EOI MSR (hv.h, pv_eoi): with KVM's local APIC a state's
 * value goes in and comes back out; with the APIC in the monitor,
 * get_state reads 0 and set_state leaves it, as vmain.ko's does.
 */
static void pv_eoi(void)
{
	static const struct { enum hv_accel accel; const char *name; bool split; } c[] = {
		{ HV_ACCEL_KVM, "kvm, split irqchip", true },
		{ HV_ACCEL_KVM, "kvm, APIC in the monitor", false },
		{ HV_ACCEL_VMAIN, "vmain", false },
	};
	const uint64_t msr = PVCLOCK_GPA + 0x100 + 1;	/* flag address, enable */
	struct hv_vcpu_state *st = calloc(1, sizeof(*st));
	unsigned int i;
	struct vm v;
	bool ok;

	for (i = 0; st && i < sizeof(c) / sizeof(c[0]); i++) {
		if (!tap_ok(!vm_open_split(&v, c[i].accel, c[i].name, c[i].split),
			    "%s: VM for PV EOI", c[i].name))
			continue;
		if (!tap_ok(!v.b->get_state(&v.vcpu, st) && !st->pv_eoi,
			    "  a new vCPU's PV EOI MSR reads 0")) {
			vm_close(&v);
			continue;
		}
		st->pv_eoi = msr;
		ok = !v.b->set_state(&v.vcpu, st) && !v.b->get_state(&v.vcpu, st);
		tap_ok(ok && st->pv_eoi == (c[i].split ? msr : 0), "  set to %#llx: reads %#llx back",
		       (unsigned long long)msr, (unsigned long long)st->pv_eoi);
		vm_close(&v);
	}
	free(st);
}

int main(void)
{
	ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (!tap_ok(ram != MAP_FAILED, "guest RAM"))
		return tap_done();
	{
		uint32_t a, b, c, d;

		__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0), "c"(0));
		kvm_amd = b == 0x68747541;	/* "Auth"enticAMD */
	}
	/* 14: SPEC_CTRL joined (0 here: the arena CPU has none, KVM takes it left out). */
	tap_ok(hv_state_nr_msrs == 14, "the state carries %u MSRs", hv_state_nr_msrs);
	move(HV_ACCEL_VMAIN, "vmain", HV_ACCEL_VMAIN, "vmain");
	move(HV_ACCEL_KVM, "kvm", HV_ACCEL_KVM, "kvm");
	move(HV_ACCEL_VMAIN, "vmain", HV_ACCEL_KVM, "kvm");
	move(HV_ACCEL_KVM, "kvm", HV_ACCEL_VMAIN, "vmain");
	bad_sizes(HV_ACCEL_VMAIN, "vmain");
	bad_sizes(HV_ACCEL_KVM, "kvm");
	settle_rmw(HV_ACCEL_VMAIN, "vmain");
	settle_rmw(HV_ACCEL_KVM, "kvm");
	pv_eoi();
	return tap_done();
}
