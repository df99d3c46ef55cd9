// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * events.c - interrupts, NMIs, exceptions and the interrupt window:
 *
 *   MODE/interrupt     VMAIN_VCPU_INTERRUPT with IF=1 runs the IDT (IVT)
 *                      handler: frame CS/RIP/RFLAGS, IF=0 inside, IRET
 *                      resumes; long64 also delivers vectors 16 and 255
 *   long64/interrupt-if0  with IF=0 the interrupt waits (exits meanwhile
 *                      show if_flag 0, not ready), is delivered right after
 *                      STI's shadow; a second INTERRUPT while one is queued
 *                      is EBUSY
 *   long64/irq-window  request_interrupt_window: VMAIN_EXIT_IRQ_WINDOW once
 *                      the guest executes STI (RIP after the shadow),
 *                      if_flag/ready_for_interrupt_injection; at once when
 *                      the window is open already
 *   long64/hlt         HLT with an interrupt queued and IF=1 delivers it
 *                      (no HLT exit); with IF=0 HLT exits and it stays
 *   long64/nmi         NMI runs vector 2 even with IF=0; nmi_masked in the
 *                      handler; a second NMI waits for IRET
 *   long64/nmi-masked-restore  SET_EVENTS with nmi_masked 1 and an NMI
 *                      pending (a state restored inside an NMI handler):
 *                      the NMI waits while the guest runs, and comes right
 *                      after the guest's next IRET, which unblocks NMIs
 *   long64/set-events  GET/SET_EVENTS round trip; exceptions injected with
 *                      SET_EVENTS (#GP with error code, #UD) and an
 *                      interrupt set with SET_EVENTS
 *   MODE/event-interrupted  an interrupt, an NMI, a #GP with its error
 *                      code (long64) and a real-mode #GP (real) whose
 *                      delivery faults on a stack page the owner made
 *                      inaccessible: RUN returns (MEMORY_FAULT) with the
 *                      event not delivered, GET_EVENTS shows it pending
 *                      (AMD-V: EXITINTINFO; VT-x: IDT-vectoring info),
 *                      and SET_EVENTS into a fresh vCPU, or into the same
 *                      one after clearing, delivers it exactly once
 *   long64/event-kick-storm  -n interrupts (default 300) while another
 *                      thread KICKs the vCPU every 50-250 us: each RUN
 *                      ends in the interrupt's handler or a KICK; at a
 *                      KICK an undelivered interrupt is in GET_EVENTS, and
 *                      the state moves to a new vCPU (the first 60 KICKs)
 *                      or goes through SET_EVENTS zero / back; every one
 *                      is delivered exactly once, none lost or doubled,
 *                      however the kicks fall (before the entry, during
 *                      the injection, in the guest)
 *   long64/no-nested   VMRUN, MONITOR, MWAIT raise #UD in the guest
 *   MODE/low-vector    vectors below 16 (a BIOS's 8259 at 08h-0Fh,
 *                      VMAIN_CAP_LOW_VECTORS): INTERRUPT 8 runs IVT entry
 *                      8 in real mode, IDT gate 8 in prot32/long64 with
 *                      no error code pushed; long64 also vectors 0 and 15,
 *                      and 9 queued through SET_EVENTS
 *   interrupt/errors   vector > 255, flags, reserved: EINVAL; NULL:
 *                      EFAULT; SET_EVENTS with bad vectors: EINVAL
 *   MODE/triple-fault  IDT limit 0 and a fault: VMAIN_EXIT_SHUTDOWN
 *   long64/nmi-shadow  an NMI pending while the guest is in an interrupt
 *                      shadow (SET_EVENTS) comes right after the shadowed
 *                      instruction, not at the next unrelated exit, and
 *                      its frame has the guest's own RFLAGS (no TF)
 *   long64/shadow-exit  exits and entries inside an interrupt shadow: a
 *                      nested page fault of the instruction in STI's
 *                      shadow, or of one SET_EVENTS shadowed with an NMI
 *                      pending, and an entry right after SET_EVENTS set a
 *                      shadow with an interrupt pending (IF=1): each event
 *                      comes right after the shadowed instruction
 *   long64/shadow-fault  the instruction in an interrupt shadow faults
 *                      (#PF of a load): in STI's shadow after a nested
 *                      page fault of its fetch, interrupt pending; shadowed
 *                      by SET_EVENTS with an interrupt (IF=1) or an NMI
 *                      pending.  The #PF's frame has the guest's
 *                      RFLAGS (TF clear: the SVM engine steps over the
 *                      instruction with a TF of its own), CR2 and the load's
 *                      RIP; the interrupt or NMI comes after its delivery,
 *                      and no #DB ever reaches the guest; an MMIO load in
 *                      the shadow (NMI pending): GET_REGS at its exit shows
 *                      no TF, the NMI comes right after it
 *   long64/shadow-store  SET_EVENTS shadows, with an NMI pending, an
 *                      instruction that stores RFLAGS (PUSHFQ, SYSCALL's
 *                      R11, INT 0x40, INT3) or a store on the guest's DR0
 *                      write breakpoint: what it stores has TF clear, the
 *                      breakpoint's #DB reaches the guest with DR6.B0, the
 *                      NMI comes once and no other #DB does
 *   long64/debugregs   DR0-3 the guest writes keep its values across
 *                      exits; its write breakpoint raises #DB in the guest
 *                      with DR6.B0; a perf hardware breakpoint of the
 *                      host thread still fires after the RUNs where the
 *                      guest used DR0-3, and the guest's breakpoint on a
 *                      host address never fires in the host (no SIGTRAP)
 *
 * MODE is real, prot32 or long64.  Usage: events [-T TIMEOUT] [CASE...]
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/hw_breakpoint.h>
#include <linux/perf_event.h>
#include <sys/syscall.h>

#include "lib.h"

#define PORT_DONE	0x50
#define PORT_MARK1	0x51
#define PORT_MARK2	0x52
#define FLAG_GPA	GUEST_SCRATCH_GPA	/* the spin loops wait for it */
#define RFLAGS_IF	0x200ULL

/* Spins with IF=1 until the host sets FLAG_GPA, then OUT 3 to PORT_DONE. */
#define SPIN_BODY(name, if_insn)					\
	"	" if_insn "\n"						\
	name "_loop:\n"							\
	"	cmpb $0, " GUEST_STR(FLAG_GPA) "\n"			\
	"	je " name "_loop\n"					\
	name "_done:\n"							\
	"	mov $3, %al\n"						\
	"	out %al, $" GUEST_STR(PORT_DONE) "\n"			\
	"	hlt\n"

GUEST_CODE(gr_spin); GUEST_LABEL(gr_spin_loop); GUEST_LABEL(gr_spin_done);
GUEST_CODE(gp_spin); GUEST_LABEL(gp_spin_loop); GUEST_LABEL(gp_spin_done);
GUEST_CODE(gl_spin); GUEST_LABEL(gl_spin_loop); GUEST_LABEL(gl_spin_done);
GUEST_CODE(gl_cli); GUEST_LABEL(gl_cli_loop); GUEST_LABEL(gl_cli_done);
GUEST_CODE(gl_win); GUEST_LABEL(gl_win_after);
GUEST_CODE(gl_req); GUEST_LABEL(gl_req_open);
GUEST_CODE(gl_hlt); GUEST_LABEL(gl_hlt_after);
GUEST_CODE(gl_hlt0); GUEST_LABEL(gl_hlt0_after);
GUEST_CODE(gl_nonest); GUEST_LABEL(gl_nonest_vmrun); GUEST_LABEL(gl_nonest_monitor);
GUEST_LABEL(gl_nonest_mwait); GUEST_LABEL(gl_nonest_end2);
GUEST_CODE(gr_fault);
GUEST_CODE(gp_fault);
GUEST_CODE(gl_fault);
GUEST_CODE(gl_nmis); GUEST_LABEL(gl_nmis_shadowed); GUEST_LABEL(gl_nmis_after);
GUEST_CODE(gl_dbr);
GUEST_CODE(gl_shx); GUEST_LABEL(gl_shx_sti_after); GUEST_LABEL(gl_shx_nmi_load);
GUEST_LABEL(gl_shx_nmi_after); GUEST_LABEL(gl_shx_irq_nop); GUEST_LABEL(gl_shx_irq_after);
/* Pages of GUEST_DATA the guest touches first inside an interrupt shadow. */
#define SHX_PAGE1	(GUEST_DATA_GPA + 0x20000)
#define SHX_PAGE2	(GUEST_DATA_GPA + 0x21000)

#define PORT_DR		0x53
#define DR_VAL(n)	"0x" #n #n #n #n #n #n #n "0"
/* DR7: L0 and L1, both write-only (R/W 01) and 4 bytes (LEN 11). */
#define DR7_L0L1_W4	0xdd0005

asm(GUEST_ASM_BEGIN(".code16")
    "gr_spin_start:\n"
    SPIN_BODY("gr_spin", "sti")
    "gr_spin_end:\n"
    "gr_fault_start:\n"
    "	ud2\n"
    "gr_fault_end:\n"
    ".code32\n"
    "gp_spin_start:\n"
    SPIN_BODY("gp_spin", "sti")
    "gp_spin_end:\n"
    "gp_fault_start:\n"
    "	int3\n"
    "gp_fault_end:\n"
    ".code64\n"
    "gl_spin_start:\n"
    SPIN_BODY("gl_spin", "sti")
    "gl_spin_end:\n"
    "gl_cli_start:\n"
    SPIN_BODY("gl_cli", "cli")
    "gl_cli_end:\n"
    "gl_fault_start:\n"
    "	ud2\n"
    "gl_fault_end:\n"

    /* IF=0 (RFLAGS = 2 at start): MARK1, STI, NOP, MARK2, spin. */
    "gl_win_start:\n"
    "	mov $1, %al\n"
    "	out %al, $" GUEST_STR(PORT_MARK1) "\n"
    "	sti\n"
    "	nop\n"
    "gl_win_after:\n"
    "	mov $2, %al\n"
    "	out %al, $" GUEST_STR(PORT_MARK2) "\n"
    "1:	jmp 1b\n"
    "gl_win_end:\n"

    "gl_req_start:\n"
    "	mov $1, %al\n"
    "	out %al, $" GUEST_STR(PORT_MARK1) "\n"
    "	sti\n"
    "	nop\n"
    "gl_req_open:\n"
    "	nop\n"
    "1:	jmp 1b\n"
    "gl_req_end:\n"

    "gl_hlt_start:\n"
    "	sti\n"
    "	hlt\n"
    "gl_hlt_after:\n"
    "	mov $3, %al\n"
    "	out %al, $" GUEST_STR(PORT_DONE) "\n"
    "	hlt\n"
    "gl_hlt_end:\n"

    /* Instructions the guest must not have: each raises #UD. */
    "gl_nonest_start:\n"
    "	mov $" GUEST_STR(GUEST_SCRATCH_GPA) ", %eax\n"
    "	xor %ecx, %ecx\n"
    "	xor %edx, %edx\n"
    "gl_nonest_vmrun:\n"
    "	vmrun\n"
    "gl_nonest_monitor:\n"
    "	monitor\n"
    "gl_nonest_mwait:\n"
    "	mwait\n"
    "gl_nonest_end2:\n"
    "	mov $3, %al\n"
    "	out %al, $" GUEST_STR(PORT_DONE) "\n"
    "	hlt\n"
    "gl_nonest_end:\n"

    "gl_hlt0_start:\n"
    "	hlt\n"
    "gl_hlt0_after:\n"
    "	mov $3, %al\n"
    "	out %al, $" GUEST_STR(PORT_DONE) "\n"
    "	hlt\n"
    "gl_hlt0_end:\n"

    /* MARK1; the host makes the next instruction shadowed, NMI pending. */
    "gl_nmis_start:\n"
    "	mov $1, %al\n"
    "	out %al, $" GUEST_STR(PORT_MARK1) "\n"
    "gl_nmis_shadowed:\n"
    "	nop\n"
    "gl_nmis_after:\n"
    "	nop\n"
    "	mov $2, %al\n"
    "	out %al, $" GUEST_STR(PORT_MARK2) "\n"
    "	hlt\n"
    "gl_nmis_end:\n"

    /*
     * Exits and entries inside an interrupt shadow (IF=0 at the start):
     * STI, then a load from a page the guest never touched (a nested page
     * fault exits in STI's shadow); MARK1 3, a shadowed load (SET_EVENTS
     * shadow, NMI pending) that faults the same way; MARK1 5 with IF=1,
     * a shadowed NOP (SET_EVENTS shadow, interrupt pending).
     */
    "gl_shx_start:\n"
    "	mov $1, %al\n"
    "	out %al, $" GUEST_STR(PORT_MARK1) "\n"
    "	sti\n"
    "	movb " GUEST_STR(SHX_PAGE1) ", %al\n"
    "gl_shx_sti_after:\n"
    "	mov $2, %al\n"
    "	out %al, $" GUEST_STR(PORT_MARK2) "\n"
    "	cli\n"
    "	mov $3, %al\n"
    "	out %al, $" GUEST_STR(PORT_MARK1) "\n"
    "gl_shx_nmi_load:\n"
    "	movb " GUEST_STR(SHX_PAGE2) ", %al\n"
    "gl_shx_nmi_after:\n"
    "	mov $4, %al\n"
    "	out %al, $" GUEST_STR(PORT_MARK2) "\n"
    "	sti\n"
    "	mov $5, %al\n"
    "	out %al, $" GUEST_STR(PORT_MARK1) "\n"
    "gl_shx_irq_nop:\n"
    "	nop\n"
    "gl_shx_irq_after:\n"
    "	mov $6, %al\n"
    "	out %al, $" GUEST_STR(PORT_MARK2) "\n"
    "	hlt\n"
    "gl_shx_end:\n"

    /*
     * Debug registers: DR0-3 written, an exit, read back (OUT each);
     * then DR0 watches GUEST_DATA_GPA and DR1 the host address in RBX,
     * an exit, a write to DR0's address (#DB), DR6 out, DR7 off.
     */
    "gl_dbr_start:\n"
    "	mov $" DR_VAL(1) ", %eax\n"
    "	mov %rax, %db0\n"
    "	mov $" DR_VAL(2) ", %eax\n"
    "	mov %rax, %db1\n"
    "	mov $" DR_VAL(3) ", %eax\n"
    "	mov %rax, %db2\n"
    "	mov $" DR_VAL(4) ", %eax\n"
    "	mov %rax, %db3\n"
    "	out %al, $" GUEST_STR(GUEST_PORT_SYNC) "\n"
    "	mov %db0, %rax\n"
    "	out %eax, $" GUEST_STR(PORT_DR) "\n"
    "	mov %db1, %rax\n"
    "	out %eax, $" GUEST_STR(PORT_DR) "\n"
    "	mov %db2, %rax\n"
    "	out %eax, $" GUEST_STR(PORT_DR) "\n"
    "	mov %db3, %rax\n"
    "	out %eax, $" GUEST_STR(PORT_DR) "\n"
    "	mov $" GUEST_STR(GUEST_DATA_GPA) ", %eax\n"
    "	mov %rax, %db0\n"
    "	mov %rbx, %db1\n"
    "	mov $" GUEST_STR(DR7_L0L1_W4) ", %eax\n"
    "	mov %rax, %db7\n"
    "	out %al, $" GUEST_STR(GUEST_PORT_SYNC) "\n"
    "	movl $1, " GUEST_STR(GUEST_DATA_GPA) "\n"
    "	mov %db6, %rax\n"
    "	out %eax, $" GUEST_STR(PORT_DR) "\n"
    "	xor %eax, %eax\n"
    "	mov %rax, %db7\n"
    "	out %al, $" GUEST_STR(GUEST_PORT_SYNC) "\n"
    "	hlt\n"
    "gl_dbr_end:\n"
    GUEST_ASM_END);

static const char *const mode_names[] = { "real", "prot32", "long64" };

static struct vm *vm;
static struct vcpu *vcpu;

static bool boot(enum guest_mode mode, const unsigned char *start,
		 const unsigned char *end)
{
	return guest_boot(&vm, &vcpu, mode, start, end);
}

static void shutdown_vm(void)
{
	guest_shutdown(&vm, &vcpu);
}

static int interrupt(struct vcpu *v, __u32 vector)
{
	struct vmain_interrupt irq;

	memset(&irq, 0, sizeof(irq));
	irq.vector = vector;
	return ioctl(v->fd, VMAIN_VCPU_INTERRUPT, &irq);
}

static bool get_events(struct vmain_events *ev)
{
	memset(ev, 0xa5, sizeof(*ev));
	if (ioctl(vcpu->fd, VMAIN_VCPU_GET_EVENTS, ev)) {
		guest_fail("GET_EVENTS: %s", strerror(errno));
		return false;
	}
	return true;
}

static void set_flag(__u8 value)
{
	vm_write(vm, FLAG_GPA, &value, 1);
}

static __u16 code_selector(enum guest_mode mode)
{
	return mode == GUEST_REAL ? GUEST_CODE_GPA >> 4 :
	       mode == GUEST_PROT32 ? GUEST_SEL_CODE32 : GUEST_SEL_CODE64;
}

/* Checks the frame of an interrupt that hit the spin loop [lo, hi). */
static void check_irq_frame(enum guest_mode mode, __u64 lo, __u64 hi,
			    const char *what)
{
	struct guest_frame f;
	struct vmain_regs r;
	bool ok;

	if (guest_read_frame(vcpu, &f) || vcpu_get_regs(vcpu, &r))
		return;
	ok = f.rip >= vcpu_code_rip(vcpu, lo) && f.rip < vcpu_code_rip(vcpu, hi) &&
	     f.cs == code_selector(mode) && (f.rflags & RFLAGS_IF) &&
	     !(r.rflags & RFLAGS_IF);
	tap_ok(ok, "%s: %s: frame RIP in the loop, CS 0x%x, IF=1 saved, IF=0 in the handler",
	       guest_case_name(), what, code_selector(mode));
	if (!ok)
		tap_diag("  frame rip 0x%llx (loop 0x%llx..0x%llx) cs 0x%llx rflags 0x%llx; handler rflags 0x%llx",
			 (unsigned long long)f.rip,
			 (unsigned long long)vcpu_code_rip(vcpu, lo),
			 (unsigned long long)vcpu_code_rip(vcpu, hi),
			 (unsigned long long)f.cs, (unsigned long long)f.rflags,
			 (unsigned long long)r.rflags);
}

static void test_interrupt(enum guest_mode mode)
{
	static const unsigned char *const starts[] = { gr_spin_start, gp_spin_start, gl_spin_start };
	static const unsigned char *const ends[] = { gr_spin_end, gp_spin_end, gl_spin_end };
	const unsigned char *loop[] = { gr_spin_loop, gp_spin_loop, gl_spin_loop };
	const unsigned char *done[] = { gr_spin_done, gp_spin_done, gl_spin_done };
	__u64 lo, hi;
	struct vmain_events ev;

	if (!boot(mode, starts[mode], ends[mode]))
		return;
	lo = (__u64)(loop[mode] - starts[mode]);
	hi = (__u64)(done[mode] - starts[mode]);
	if (!tap_ok(interrupt(vcpu, 0x40) == 0, "%s: INTERRUPT vector 0x40", guest_case_name())) {
		tap_diag("  errno %d (%s)", errno, strerror(errno));
		goto out;
	}
	if (!expect_vector(vcpu, 0x40, "the guest (IF=1) runs the handler of vector 0x40"))
		goto out;
	check_irq_frame(mode, lo, hi, "vector 0x40");
	if (get_events(&ev))
		tap_ok(!ev.interrupt_pending,
		       "%s: GET_EVENTS: nothing queued once the interrupt was delivered",
		       guest_case_name());
	set_flag(1);
	if (!expect_out(vcpu, PORT_DONE, 1, 3, "IRET returns to the loop, which goes on"))
		goto out;
	expect_hlt(vcpu, GUEST_ANY_RIP, "the guest finished");

	if (mode != GUEST_LONG64)
		goto out;
	/* The lowest and highest vectors INTERRUPT takes. */
	set_flag(0);
	if (vcpu_start(vcpu, mode, starts[mode], ends[mode]))
		goto out;
	tap_ok(interrupt(vcpu, 16) == 0, "%s: INTERRUPT vector 16 is accepted", guest_case_name());
	if (!expect_vector(vcpu, 16, "vector 16 is delivered"))
		goto out;
	tap_ok(interrupt(vcpu, 255) == 0, "%s: INTERRUPT vector 255 is accepted", guest_case_name());
	if (expect_vector(vcpu, 255, "vector 255 is delivered"))
		check_irq_frame(mode, lo, hi, "vector 255");
out:
	shutdown_vm();
}

/*
 * External interrupts below vector 32 run the IVT/IDT entry of their
 * vector and push no error code (SDM Vol. 3A 6.13: only exceptions push
 * one), so the stubs of vectors that expect one (8) are rewritten first.
 */
static void test_low_vector(enum guest_mode mode)
{
	static const unsigned char *const starts[] = { gr_spin_start, gp_spin_start, gl_spin_start };
	static const unsigned char *const ends[] = { gr_spin_end, gp_spin_end, gl_spin_end };
	const unsigned char *loop[] = { gr_spin_loop, gp_spin_loop, gl_spin_loop };
	const unsigned char *done[] = { gr_spin_done, gp_spin_done, gl_spin_done };
	static const unsigned int more[] = { 0, 15 };
	struct vmain_events ev;
	unsigned int i;
	__u64 lo, hi;

	tap_ok(ioctl(guest_devfd, VMAIN_CHECK_CAP, VMAIN_CAP_LOW_VECTORS) == 1,
	       "%s: CHECK_CAP(LOW_VECTORS) is 1", guest_case_name());
	if (!boot(mode, starts[mode], ends[mode]))
		return;
	vm_stub_no_error(vm, 8);
	lo = (__u64)(loop[mode] - starts[mode]);
	hi = (__u64)(done[mode] - starts[mode]);
	if (!tap_ok(interrupt(vcpu, 8) == 0, "%s: INTERRUPT vector 8 is accepted",
		    guest_case_name())) {
		tap_diag("  errno %d (%s)", errno, strerror(errno));
		goto out;
	}
	if (!expect_vector(vcpu, 8, mode == GUEST_REAL ?
			   "vector 8 runs IVT entry 8 (IRQ 0 under a BIOS)" :
			   "vector 8 runs IDT gate 8"))
		goto out;
	/* The stub pushed the 0 itself: a CPU-pushed error code would shift the frame. */
	check_irq_frame(mode, lo, hi, "vector 8, no error code");
	if (get_events(&ev))
		tap_ok(!ev.interrupt_pending && !ev.exception_pending,
		       "%s: GET_EVENTS: nothing pending once vector 8 ran", guest_case_name());
	set_flag(1);
	if (!expect_out(vcpu, PORT_DONE, 1, 3, "IRET from vector 8 returns to the loop"))
		goto out;
	expect_hlt(vcpu, GUEST_ANY_RIP, "the guest finished");
	if (mode != GUEST_LONG64)
		goto out;

	set_flag(0);
	if (vcpu_start(vcpu, mode, starts[mode], ends[mode]))
		goto out;
	for (i = 0; i < sizeof(more) / sizeof(more[0]); i++) {
		if (!tap_ok(interrupt(vcpu, more[i]) == 0, "%s: INTERRUPT vector %u is accepted",
			    guest_case_name(), more[i]) ||
		    !expect_vector(vcpu, more[i], "vector %u runs its IDT gate", more[i]))
			goto out;
		check_irq_frame(mode, lo, hi, more[i] ? "vector 15" : "vector 0");
	}
	memset(&ev, 0, sizeof(ev));
	ev.interrupt_pending = 1;
	ev.interrupt_vector = 9;
	if (tap_ok(ioctl(vcpu->fd, VMAIN_VCPU_SET_EVENTS, &ev) == 0,
		   "%s: SET_EVENTS: interrupt vector 9 pending", guest_case_name()) &&
	    expect_vector(vcpu, 9, "vector 9 from SET_EVENTS runs its IDT gate"))
		check_irq_frame(mode, lo, hi, "vector 9");
out:
	shutdown_vm();
}

static void check_flags(bool if_flag, bool ready, const char *what)
{
	struct vmain_run *run = vcpu->run;
	bool ok = run->if_flag == if_flag && run->ready_for_interrupt_injection == ready;

	tap_ok(ok, "%s: %s: if_flag %d, ready_for_interrupt_injection %d",
	       guest_case_name(), what, if_flag, ready);
	if (!ok)
		tap_diag("  if_flag %u, ready_for_interrupt_injection %u",
			 run->if_flag, run->ready_for_interrupt_injection);
}

static void test_interrupt_if0(void)
{
	struct vmain_events ev;
	struct guest_frame f;

	if (!boot(GUEST_LONG64, GUEST_SNIPPET(gl_win)))
		return;
	if (!tap_ok(interrupt(vcpu, 0x41) == 0, "%s: INTERRUPT 0x41 while the guest has IF=0",
		    guest_case_name()))
		goto out;
	if (!expect_out(vcpu, PORT_MARK1, 1, 1,
			"the guest runs on with IF=0, the interrupt is not delivered"))
		goto out;
	check_flags(false, false, "exit with IF=0 and an interrupt queued");
	if (get_events(&ev))
		tap_ok(ev.interrupt_pending == 1 && ev.interrupt_vector == 0x41,
		       "%s: GET_EVENTS shows vector 0x41 queued", guest_case_name());
	tap_errno(interrupt(vcpu, 0x42), EBUSY,
		  "%s: a second INTERRUPT while one is queued", guest_case_name());
	if (!expect_vector(vcpu, 0x41, "after STI the queued interrupt is delivered"))
		goto out;
	if (!guest_read_frame(vcpu, &f)) {
		__u64 want = vcpu_code_rip(vcpu, GUEST_OFF(gl_win, gl_win_after));

		tap_ok(f.rip == want,
		       "%s: delivered right after the instruction in STI's shadow (frame RIP 0x%llx)",
		       guest_case_name(), (unsigned long long)want);
		if (f.rip != want)
			tap_diag("  frame rip 0x%llx", (unsigned long long)f.rip);
	}
	if (!expect_out(vcpu, PORT_MARK2, 1, 2, "IRET resumes after the STI"))
		goto out;
	check_flags(true, true, "exit with IF=1 and nothing queued");
	if (tap_ok(interrupt(vcpu, 0x43) == 0,
		   "%s: INTERRUPT is accepted again once the first was delivered",
		   guest_case_name()))
		expect_vector(vcpu, 0x43, "the new interrupt is delivered");
out:
	shutdown_vm();
}

static void test_irq_window(void)
{
	struct vmain_regs r;
	__u64 want;

	if (!boot(GUEST_LONG64, GUEST_SNIPPET(gl_req)))
		return;
	vcpu->run->request_interrupt_window = 1;
	if (!expect_out(vcpu, PORT_MARK1, 1, 1,
			"request_interrupt_window with IF=0: the guest runs on"))
		goto out;
	check_flags(false, false, "exit with IF=0");
	if (!expect_exit(vcpu, VMAIN_EXIT_IRQ_WINDOW,
			 "VMAIN_EXIT_IRQ_WINDOW once the guest executes STI"))
		goto out;
	check_flags(true, true, "IRQ_WINDOW exit");
	want = vcpu_code_rip(vcpu, GUEST_OFF(gl_req, gl_req_open));
	if (!vcpu_get_regs(vcpu, &r)) {
		tap_ok(r.rip == want && (r.rflags & RFLAGS_IF),
		       "%s: IRQ_WINDOW exit right after STI's shadow (RIP 0x%llx, IF=1)",
		       guest_case_name(), (unsigned long long)want);
		if (r.rip != want)
			tap_diag("  rip 0x%llx rflags 0x%llx", (unsigned long long)r.rip,
				 (unsigned long long)r.rflags);
	}
	vcpu->run->request_interrupt_window = 0;
	if (tap_ok(interrupt(vcpu, 0x44) == 0, "%s: INTERRUPT 0x44 at the IRQ_WINDOW exit",
		   guest_case_name()))
		expect_vector(vcpu, 0x44, "the interrupt is delivered");
	shutdown_vm();

	if (!boot(GUEST_LONG64, GUEST_SNIPPET(gl_spin)))
		return;
	vcpu->run->request_interrupt_window = 1;
	if (expect_exit(vcpu, VMAIN_EXIT_IRQ_WINDOW,
			"request_interrupt_window while the window opens: IRQ_WINDOW, no hang"))
		check_flags(true, true, "IRQ_WINDOW exit of a spinning guest");
out:
	shutdown_vm();
}

static void test_hlt(void)
{
	struct vmain_events ev;
	struct guest_frame f;
	__u64 want;

	if (!boot(GUEST_LONG64, GUEST_SNIPPET(gl_hlt)))
		return;
	if (!tap_ok(interrupt(vcpu, 0x45) == 0, "%s: INTERRUPT 0x45 before STI; HLT",
		    guest_case_name()))
		goto out;
	if (!expect_vector(vcpu, 0x45,
			   "HLT with IF=1 and an interrupt queued delivers it (no HLT exit)"))
		goto out;
	want = vcpu_code_rip(vcpu, GUEST_OFF(gl_hlt, gl_hlt_after));
	if (!guest_read_frame(vcpu, &f)) {
		tap_ok(f.rip == want, "%s: the interrupt's frame RIP is after the HLT",
		       guest_case_name());
		if (f.rip != want)
			tap_diag("  frame rip 0x%llx, want 0x%llx",
				 (unsigned long long)f.rip, (unsigned long long)want);
	}
	if (expect_out(vcpu, PORT_DONE, 1, 3, "IRET continues after the HLT"))
		expect_hlt(vcpu, GUEST_ANY_RIP, "the final HLT (nothing queued) exits HLT");
	shutdown_vm();

	if (!boot(GUEST_LONG64, GUEST_SNIPPET(gl_hlt0)))
		return;
	if (!tap_ok(interrupt(vcpu, 0x46) == 0, "%s: INTERRUPT 0x46 with IF=0", guest_case_name()))
		goto out;
	if (!expect_hlt(vcpu, vcpu_code_rip(vcpu, GUEST_OFF(gl_hlt0, gl_hlt0_after)),
			"HLT with IF=0 exits HLT although an interrupt is queued"))
		goto out;
	if (get_events(&ev))
		tap_ok(ev.interrupt_pending == 1 && ev.interrupt_vector == 0x46,
		       "%s: the interrupt is still queued", guest_case_name());
out:
	shutdown_vm();
}

/*
 * gl_cli is spinning with NMIs blocked and one pending: the next RUN must
 * deliver it after an IRET, in gl_cli's own spinning code, and the guest
 * must then finish with NMIs unblocked.
 */
static void expect_nmi_after_iret(const char *delivered, const char *where)
{
	__u64 hi = GUEST_OFF(gl_cli, gl_cli_done);
	struct vmain_events ev;
	struct guest_frame f;
	bool ok;

	if (!expect_vector(vcpu, 2, "%s", delivered))
		return;
	ok = !guest_read_frame(vcpu, &f) && f.rip >= vcpu_code_rip(vcpu, 0) &&
	     f.rip < vcpu_code_rip(vcpu, hi);
	tap_ok(ok, "%s: %s", guest_case_name(), where);
	if (!ok)
		tap_diag("  frame rip 0x%llx", (unsigned long long)f.rip);
	set_flag(1);
	if (!expect_out(vcpu, PORT_DONE, 1, 3, "the guest goes on after the NMI handler"))
		return;
	if (get_events(&ev))
		tap_ok(ev.nmi_masked == 0 && ev.nmi_pending == 0,
		       "%s: after the NMI handler: NMIs unmasked, nothing pending",
		       guest_case_name());
}

static void test_nmi(void)
{
	/* The first NMI is pending before RUN: it may come before the CLI. */
	__u64 lo = 0, hi = GUEST_OFF(gl_cli, gl_cli_done);
	struct vmain_events ev;
	struct guest_frame f;
	bool ok;

	if (!boot(GUEST_LONG64, GUEST_SNIPPET(gl_cli)))
		return;
	if (!tap_ok(ioctl(vcpu->fd, VMAIN_VCPU_NMI, 0) == 0, "%s: VMAIN_VCPU_NMI",
		    guest_case_name()))
		goto out;
	if (get_events(&ev))
		tap_ok(ev.nmi_pending == 1 && ev.nmi_masked == 0,
		       "%s: GET_EVENTS shows the NMI pending", guest_case_name());
	if (!expect_vector(vcpu, 2, "the NMI runs vector 2's handler although IF=0"))
		goto out;
	ok = !guest_read_frame(vcpu, &f) && f.rip >= vcpu_code_rip(vcpu, lo) &&
	     f.rip < vcpu_code_rip(vcpu, hi) && !(f.rflags & RFLAGS_IF);
	tap_ok(ok, "%s: the NMI interrupted the guest's code (IF=0 saved)", guest_case_name());
	if (!ok)
		tap_diag("  frame rip 0x%llx rflags 0x%llx", (unsigned long long)f.rip,
			 (unsigned long long)f.rflags);
	if (get_events(&ev))
		tap_ok(ev.nmi_masked == 1 && ev.nmi_pending == 0,
		       "%s: in the NMI handler: nmi_masked 1, nothing pending", guest_case_name());
	if (!tap_ok(ioctl(vcpu->fd, VMAIN_VCPU_NMI, 0) == 0,
		    "%s: a second NMI while NMIs are blocked", guest_case_name()))
		goto out;
	if (get_events(&ev))
		tap_ok(ev.nmi_pending == 1 && ev.nmi_masked == 1,
		       "%s: the second NMI is pending while the first is handled",
		       guest_case_name());
	expect_nmi_after_iret("after IRET the second NMI is delivered",
			      "the second NMI came after the first handler's IRET (not nested)");
out:
	shutdown_vm();
}

/*
 * A saved state taken inside an NMI handler comes back with nmi_masked 1:
 * NMIs must then stay blocked until the guest's next IRET, whatever event
 * it returns from (SDM Vol. 3A 6.7.1, APM 15.21.4), and a pending NMI
 * must come right after it.  The IRET here ends an injected #UD.
 */
static void test_nmi_masked_restore(void)
{
	struct vmain_events ev;

	if (!boot(GUEST_LONG64, GUEST_SNIPPET(gl_cli)))
		return;
	memset(&ev, 0, sizeof(ev));
	ev.exception_pending = 1;
	ev.exception_vector = 6;	/* #UD: no error code */
	ev.nmi_pending = 1;
	ev.nmi_masked = 1;
	if (!tap_ok(ioctl(vcpu->fd, VMAIN_VCPU_SET_EVENTS, &ev) == 0,
		    "%s: SET_EVENTS: #UD pending, NMI pending, NMIs masked", guest_case_name()))
		goto out;
	if (!expect_vector(vcpu, 6, "the #UD runs first: the NMI stays blocked"))
		goto out;
	if (get_events(&ev))
		tap_ok(ev.nmi_pending == 1 && ev.nmi_masked == 1,
		       "%s: in the #UD handler: the NMI still pending and masked",
		       guest_case_name());
	expect_nmi_after_iret("the #UD handler's IRET unblocks NMIs: the NMI comes",
			      "the NMI came after the IRET, in the guest's own code");
out:
	shutdown_vm();
}

/*
 * An NMI pending while the guest is in an interrupt shadow waits for the
 * shadowed instruction only (SDM Vol. 3A 6.8.3, APM 15.21.4): the module
 * opens an NMI window (VT-x: NMI-window exiting; AMD-V: a single step over
 * the instruction) instead of leaving it to the next exit.
 */
static void test_nmi_shadow(void)
{
	struct vmain_events ev;
	struct guest_frame f;
	__u64 want;
	bool ok;

	if (!boot(GUEST_LONG64, GUEST_SNIPPET(gl_nmis)))
		return;
	if (!expect_out(vcpu, PORT_MARK1, 1, 1, "the guest reaches the shadowed instruction"))
		goto out;
	if (!get_events(&ev))
		goto out;
	ev.nmi_pending = 1;
	ev.interrupt_shadow = 1;
	if (!tap_ok(ioctl(vcpu->fd, VMAIN_VCPU_SET_EVENTS, &ev) == 0,
		    "%s: SET_EVENTS: NMI pending inside an interrupt shadow", guest_case_name()))
		goto out;
	if (!expect_vector(vcpu, 2, "the NMI is delivered before the guest's next exit"))
		goto out;
	want = vcpu_code_rip(vcpu, GUEST_OFF(gl_nmis, gl_nmis_after));
	ok = !guest_read_frame(vcpu, &f) && f.rip == want;
	tap_ok(ok, "%s: right after the shadowed instruction (frame RIP 0x%llx)",
	       guest_case_name(), (unsigned long long)want);
	if (!ok)
		tap_diag("  frame rip 0x%llx", (unsigned long long)f.rip);
	tap_ok(!(f.rflags & 0x100), "%s: the frame's RFLAGS has no TF (the window is invisible)",
	       guest_case_name());
	if (get_events(&ev))
		tap_ok(ev.nmi_masked == 1 && ev.nmi_pending == 0 && ev.interrupt_shadow == 0,
		       "%s: in the handler: NMIs masked, nothing pending, no shadow",
		       guest_case_name());
	if (!expect_out(vcpu, PORT_MARK2, 1, 2, "IRET returns, the guest goes on"))
		goto out;
	if (get_events(&ev))
		tap_ok(ev.nmi_masked == 0 && ev.nmi_pending == 0,
		       "%s: after the handler's IRET: NMIs unmasked", guest_case_name());
	expect_hlt(vcpu, GUEST_ANY_RIP, "the guest finished");
out:
	shutdown_vm();
}

/* The frame of the event at the last exit has RIP GUEST_OFF(gl_shx, off). */
static void shx_check_frame(__u64 off, const char *what)
{
	__u64 want = vcpu_code_rip(vcpu, off);
	struct guest_frame f;
	bool ok = !guest_read_frame(vcpu, &f) && f.rip == want;

	tap_ok(ok, "%s: %s (frame RIP 0x%llx)", guest_case_name(), what,
	       (unsigned long long)want);
	if (!ok)
		tap_diag("  frame rip 0x%llx", (unsigned long long)f.rip);
}

/*
 * An interrupt shadow lasts until the shadowed instruction completes,
 * across any exit that comes before (SDM Vol. 3A 6.8.3, 26.3.1.5 / 24.4.2;
 * APM 15.21.5: #VMEXIT saves it in the VMCB's INTERRUPT_SHADOW, VMRUN
 * loads it): a nested page fault of the shadowed instruction, or the
 * entry right after SET_EVENTS set it, must not let an event in before
 * the instruction.  The load's page is first touched there, so the exit
 * comes every time.
 */
static void test_shadow_exit(void)
{
	struct vmain_events ev;

	if (!boot(GUEST_LONG64, GUEST_SNIPPET(gl_shx)))
		return;
	if (!tap_ok(interrupt(vcpu, 0x47) == 0, "%s: INTERRUPT 0x47 while the guest has IF=0",
		    guest_case_name()))
		goto out;
	if (!expect_out(vcpu, PORT_MARK1, 1, 1, "the interrupt waits while IF=0"))
		goto out;
	if (!expect_vector(vcpu, 0x47,
			   "STI, a nested page fault in its shadow: the interrupt comes"))
		goto out;
	shx_check_frame(GUEST_OFF(gl_shx, gl_shx_sti_after),
			"after the faulting instruction in STI's shadow");
	if (!expect_out(vcpu, PORT_MARK2, 1, 2, "IRET returns after the load"))
		goto out;

	if (!expect_out(vcpu, PORT_MARK1, 1, 3, "the guest reaches the shadowed load") ||
	    !get_events(&ev))
		goto out;
	ev.nmi_pending = 1;
	ev.interrupt_shadow = 1;
	if (!tap_ok(ioctl(vcpu->fd, VMAIN_VCPU_SET_EVENTS, &ev) == 0,
		    "%s: SET_EVENTS: NMI pending, shadow on a load that faults",
		    guest_case_name()))
		goto out;
	if (!expect_vector(vcpu, 2, "the NMI comes"))
		goto out;
	shx_check_frame(GUEST_OFF(gl_shx, gl_shx_nmi_after),
			"after the shadowed load, not at its nested page fault");
	if (!expect_out(vcpu, PORT_MARK2, 1, 4, "IRET returns after the load"))
		goto out;

	if (!expect_out(vcpu, PORT_MARK1, 1, 5, "the guest reaches the shadowed NOP (IF=1)") ||
	    !get_events(&ev))
		goto out;
	ev.interrupt_pending = 1;
	ev.interrupt_vector = 0x48;
	ev.interrupt_shadow = 1;
	if (!tap_ok(ioctl(vcpu->fd, VMAIN_VCPU_SET_EVENTS, &ev) == 0,
		    "%s: SET_EVENTS: interrupt 0x48 pending, shadow on a NOP",
		    guest_case_name()))
		goto out;
	if (!expect_vector(vcpu, 0x48, "the interrupt comes"))
		goto out;
	shx_check_frame(GUEST_OFF(gl_shx, gl_shx_irq_after),
			"after the shadowed NOP, not at the entry");
	if (expect_out(vcpu, PORT_MARK2, 1, 6, "IRET returns after the NOP"))
		expect_hlt(vcpu, GUEST_ANY_RIP, "the guest finished");
out:
	shutdown_vm();
}

/*
 * Faulting instructions in interrupt shadows.  Each load goes through a
 * 4 KiB page table of its own whose entries are not present: #PF.  The
 * first one follows STI at the end of a code page, so that the fetch of
 * the load, from a page the guest never ran, is a nested page fault: an
 * exit inside STI's shadow where the CPU reports the shadow there (QEMU's
 * TCG 7.2 did not need the step for it: the module before the fix passed
 * it).  The other two get their shadow from SET_EVENTS, with an interrupt
 * (IF=1) or an NMI pending: the SVM engine single-steps the load at the
 * entry, and the module before the fix pushed its TF in the #PF's frame
 * there (then a #DB reached the guest).  IF=0 at the start.
 */
#define SHF_PD_INDEX	100
#define SHF_LA(n)	((SHF_PD_INDEX + (n)) * 0x200000ULL)
#define SHF_PT_GPA(n)	(GUEST_DATA_GPA + 0x30000 + (n) * GUEST_PAGE)
#define SHF_LA_STR(n)	"(" GUEST_STR(SHF_PD_INDEX) " + " #n ") * 0x200000"

GUEST_CODE(gl_shf);
GUEST_LABEL(gl_shf_load0); GUEST_LABEL(gl_shf_next0);
GUEST_LABEL(gl_shf_load1); GUEST_LABEL(gl_shf_next1);
GUEST_LABEL(gl_shf_load2); GUEST_LABEL(gl_shf_next2); GUEST_LABEL(gl_shf_next3);
asm(GUEST_ASM_BEGIN(".code64")
    "gl_shf_start:\n"
    "	mov $1, %al\n"
    "	out %al, $" GUEST_STR(PORT_MARK1) "\n"
    "	.byte 0xe9\n"			/* jmp rel32: a fixed size */
    "	.long gl_shf_sti - (. + 4)\n"
    "gl_shf_pad:\n"
    "	.skip 0x1fff - (gl_shf_pad - gl_shf_start), 0xcc\n"
    "gl_shf_sti:\n"
    "	sti\n"
    "gl_shf_load0:\n"			/* offset 0x2000: a new page */
    "	movb " SHF_LA_STR(0) ", %al\n"
    "gl_shf_next0:\n"
    "	mov $2, %al\n"
    "	out %al, $" GUEST_STR(PORT_MARK2) "\n"
    "	mov $3, %al\n"
    "	out %al, $" GUEST_STR(PORT_MARK1) "\n"
    "gl_shf_load1:\n"
    "	movb " SHF_LA_STR(1) ", %al\n"
    "gl_shf_next1:\n"
    "	mov $4, %al\n"
    "	out %al, $" GUEST_STR(PORT_MARK2) "\n"
    "	cli\n"
    "	mov $5, %al\n"
    "	out %al, $" GUEST_STR(PORT_MARK1) "\n"
    "gl_shf_load2:\n"
    "	movb " SHF_LA_STR(2) ", %al\n"
    "gl_shf_next2:\n"
    "	mov $6, %al\n"
    "	out %al, $" GUEST_STR(PORT_MARK2) "\n"
    "	mov $7, %al\n"
    "	out %al, $" GUEST_STR(PORT_MARK1) "\n"
    "	movb " GUEST_STR(GUEST_MMIO_HIGH) ", %al\n"	/* an MMIO read exit */
    "gl_shf_next3:\n"
    "	mov $8, %al\n"
    "	out %al, $" GUEST_STR(PORT_MARK2) "\n"
    "	hlt\n"
    "gl_shf_end:\n"
    GUEST_ASM_END);

/* The event at the last exit's frame: RIP `rip` (if not ~0), TF clear. */
static bool shf_frame(__u64 rip, const char *what)
{
	struct guest_frame f;
	bool ok = !guest_read_frame(vcpu, &f) && !(f.rflags & 0x100) &&
		  (rip == ~0ULL || f.rip == rip);

	tap_ok(ok, "%s: %s: the frame has TF clear%s", guest_case_name(), what,
	       rip == ~0ULL ? "" : " and the instruction's RIP");
	if (!ok)
		tap_diag("  frame rip 0x%llx rflags 0x%llx, want rip 0x%llx",
			 (unsigned long long)f.rip, (unsigned long long)f.rflags,
			 (unsigned long long)rip);
	return ok;
}

/* The load at `load` raised #PF for SHF_LA(n); its handler returns to next. */
static bool shf_pf_frame(unsigned int n, __u64 load, __u64 next, const char *what)
{
	struct vmain_sregs s;
	struct guest_frame f;
	bool ok;

	shf_frame(load, what);
	ok = !guest_read_frame(vcpu, &f) && f.error == 0 && !vcpu_get_sregs(vcpu, &s) &&
	     s.cr2 == SHF_LA(n);
	tap_ok(ok, "%s: %s: #PF error code 0 (read, not present), CR2 0x%llx",
	       guest_case_name(), what, (unsigned long long)SHF_LA(n));
	if (!ok)
		tap_diag("  error 0x%llx cr2 0x%llx", (unsigned long long)f.error,
			 (unsigned long long)s.cr2);
	return !guest_frame_set_rip(vcpu, next);
}

static bool shf_check_pf(unsigned int n, __u64 load, __u64 next, const char *what)
{
	return expect_vector(vcpu, 14, "%s: the shadowed load raises #PF", what) &&
	       shf_pf_frame(n, load, next, what);
}

/* The vector whose stub the next RUN reports, or -1. */
static int shf_next_vector(void)
{
	struct vmain_run *run = vcpu->run;

	if (vcpu_run(vcpu) || run->exit_reason != VMAIN_EXIT_IO ||
	    run->exit.io.direction != VMAIN_IO_OUT ||
	    run->exit.io.port != GUEST_PORT_VECTOR || run->exit.io.size != 1)
		return -1;
	return *(__u8 *)io_data(vcpu);
}

static void test_shadow_fault(void)
{
	struct vmain_events ev;
	bool nmi_first;
	__u64 e;
	unsigned int i;
	int v;

#define SHF_RIP(l) vcpu_code_rip(vcpu, GUEST_OFF(gl_shf, l))
	if (!boot(GUEST_LONG64, GUEST_SNIPPET(gl_shf)))
		return;
	for (i = 0; i < 3; i++) {
		e = SHF_PT_GPA(i) | 3;
		vm_write(vm, GUEST_PD_GPA + 8 * (SHF_PD_INDEX + i), &e, 8);
	}

	/* STI's shadow, interrupt 0x49 pending since IF=0. */
	if (!tap_ok(interrupt(vcpu, 0x49) == 0, "%s: INTERRUPT 0x49 while IF=0",
		    guest_case_name()) ||
	    !expect_out(vcpu, PORT_MARK1, 1, 1, "the interrupt waits while IF=0") ||
	    !shf_check_pf(0, SHF_RIP(gl_shf_load0), SHF_RIP(gl_shf_next0), "STI's shadow") ||
	    !expect_vector(vcpu, 0x49, "STI's shadow: the interrupt comes after the #PF handler"))
		goto out;
	shf_frame(SHF_RIP(gl_shf_next0), "STI's shadow: the interrupt");
	if (!expect_out(vcpu, PORT_MARK2, 1, 2, "STI's shadow: IRET returns past the load"))
		goto out;

	/* SET_EVENTS' shadow on the load, IF=1, interrupt 0x4a pending. */
	if (!expect_out(vcpu, PORT_MARK1, 1, 3, "the guest reaches the second load (IF=1)") ||
	    !get_events(&ev))
		goto out;
	ev.interrupt_pending = 1;
	ev.interrupt_vector = 0x4a;
	ev.interrupt_shadow = 1;
	if (!tap_ok(ioctl(vcpu->fd, VMAIN_VCPU_SET_EVENTS, &ev) == 0,
		    "%s: SET_EVENTS: interrupt 0x4a pending, shadow on a load that faults",
		    guest_case_name()) ||
	    !shf_check_pf(1, SHF_RIP(gl_shf_load1), SHF_RIP(gl_shf_next1), "interrupt, shadowed load") ||
	    !expect_vector(vcpu, 0x4a, "interrupt, shadowed load: the interrupt comes after the #PF handler"))
		goto out;
	shf_frame(SHF_RIP(gl_shf_next1), "interrupt, shadowed load: the interrupt");
	if (!expect_out(vcpu, PORT_MARK2, 1, 4, "interrupt, shadowed load: IRET returns past the load"))
		goto out;

	/* SET_EVENTS' shadow on the load, an NMI pending. */
	if (!expect_out(vcpu, PORT_MARK1, 1, 5, "the guest reaches the third load") ||
	    !get_events(&ev))
		goto out;
	ev.nmi_pending = 1;
	ev.interrupt_shadow = 1;
	if (!tap_ok(ioctl(vcpu->fd, VMAIN_VCPU_SET_EVENTS, &ev) == 0,
		    "%s: SET_EVENTS: NMI pending, shadow on a load that faults",
		    guest_case_name()) ||
	    (v = shf_next_vector()) < 0)
		goto out;
	/*
	 * The #PF's delivery ends the shadow: the NMI may come at its
	 * handler's first instruction (VT-x: an NMI window, as hardware), or
	 * at the exit after (the SVM engine has no NMI window but its steps,
	 * which cannot run with the #PF injected).  Either way after the #PF
	 * is delivered, and with a clean frame.
	 */
	nmi_first = v == 2;
	if (nmi_first) {
		tap_ok(true, "%s: NMI, shadowed load: the NMI comes at the #PF handler's start",
		       guest_case_name());
		shf_frame(~0ULL, "NMI, shadowed load: the NMI");
		v = shf_next_vector();
	}
	if (!tap_ok(v == 14, "%s: NMI, shadowed load: the shadowed load raises #PF",
		    guest_case_name())) {
		tap_diag("  %s", exit_str(vcpu));
		goto out;
	}
	if (!shf_pf_frame(2, SHF_RIP(gl_shf_load2), SHF_RIP(gl_shf_next2), "NMI, shadowed load"))
		goto out;
	if (!nmi_first) {
		if (!expect_vector(vcpu, 2, "NMI, shadowed load: the NMI comes at the next exit"))
			goto out;
		shf_frame(~0ULL, "NMI, shadowed load: the NMI");
	}
	if (!expect_out(vcpu, PORT_MARK2, 1, 6, "the #PF handler returns past the load: no #DB came"))
		goto out;

	/*
	 * An exit to userspace during the step (an MMIO read in the shadow,
	 * NMI pending): GET_REGS shows the guest's RFLAGS, without the TF of
	 * the step; the emulated load ends the shadow and the NMI comes
	 * right after it.
	 */
	if (!expect_out(vcpu, PORT_MARK1, 1, 7, "the guest reaches the MMIO load") ||
	    !get_events(&ev))
		goto out;
	ev.nmi_pending = 1;
	ev.interrupt_shadow = 1;
	if (!tap_ok(ioctl(vcpu->fd, VMAIN_VCPU_SET_EVENTS, &ev) == 0,
		    "%s: SET_EVENTS: NMI pending, shadow on an MMIO load", guest_case_name()) ||
	    !expect_mmio_read(vcpu, GUEST_MMIO_HIGH, 1, 0x5a, "the shadowed MMIO load's read exit"))
		goto out;
	check_reg(vcpu, R_RFLAGS, 0x100, 0, "GET_REGS at the exit: TF clear");
	if (!expect_vector(vcpu, 2, "the NMI comes after the MMIO load"))
		goto out;
	shf_frame(SHF_RIP(gl_shf_next3), "the NMI after the MMIO load");
	if (expect_out(vcpu, PORT_MARK2, 1, 8, "IRET returns past the MMIO load: no #DB came"))
		expect_hlt(vcpu, GUEST_ANY_RIP, "the guest finished");
#undef SHF_RIP
out:
	shutdown_vm();
}

/*
 * long64/shadow-store: instructions that store RFLAGS, and a data
 * breakpoint of the guest's own, in an interrupt shadow SET_EVENTS sets
 * with an NMI pending (the SVM engine steps over them with a TF of its
 * own, kmod/svm/run.c): PUSHFQ, SYSCALL (LSTAR's handler stores R11),
 * INT 0x40 and INT3 must store the guest's RFLAGS (TF clear), a store
 * that hits DR0 must raise #DB in the guest with DR6.B0, the NMI comes
 * once, and no other #DB reaches the guest (each stored RFLAGS goes back
 * through POPFQ or IRET, where a TF would trap).  And the reverse: a
 * POPFQ or an IRETQ that sets the guest's own TF keeps it (its
 * single-step trap comes after the next instruction).
 */
#define SHX_DATA_GPA	(GUEST_DATA_GPA + 0x38000)
#define SHX_CASES	7

GUEST_CODE(gl_sst); GUEST_LABEL(gl_sst_bp_next); GUEST_LABEL(gl_sst_popf_next);
GUEST_LABEL(gl_sst_iret_next);
asm(GUEST_ASM_BEGIN(".code64")
    "gl_sst_start:\n"
    "	mov $0xc0000081, %ecx\n"		/* STAR: SYSCALL's CS 0x08, SS 0x10 */
    "	xor %eax, %eax\n"
    "	mov $" GUEST_STR(GUEST_SEL_CODE64) ", %edx\n"
    "	wrmsr\n"
    "	mov $0xc0000082, %ecx\n"		/* LSTAR */
    "	lea gl_sst_entry(%rip), %rax\n"
    "	mov %rax, %rdx\n"
    "	shr $32, %rdx\n"
    "	wrmsr\n"
    "	mov $0xc0000084, %ecx\n"		/* SFMASK: TF, as Linux masks it */
    "	mov $0x100, %eax\n"
    "	xor %edx, %edx\n"
    "	wrmsr\n"
    /* 1: PUSHFQ; the pushed flags are reported, then POPFQ'd. */
    "	mov $1, %al\n"
    "	out %al, $" GUEST_STR(PORT_MARK1) "\n"
    "	pushfq\n"
    "	mov (%rsp), %rax\n"
    "	popfq\n"
    "	out %eax, $" GUEST_STR(PORT_DR) "\n"
    "	mov $1, %al\n"
    "	out %al, $" GUEST_STR(PORT_MARK2) "\n"
    /* 2: SYSCALL; the handler reports R11, POPFQs it and returns. */
    "	mov $2, %al\n"
    "	out %al, $" GUEST_STR(PORT_MARK1) "\n"
    "	syscall\n"
    "	mov $2, %al\n"
    "	out %al, $" GUEST_STR(PORT_MARK2) "\n"
    /* 3: a store that hits the guest's DR0 write breakpoint (8 bytes). */
    "	mov $0xffff0ff0, %eax\n"
    "	mov %rax, %db6\n"
    "	mov $" GUEST_STR(SHX_DATA_GPA) ", %rbx\n"
    "	mov %rbx, %db0\n"
    "	mov $0xd0401, %eax\n"			/* L0, R/W0 write, LEN0 8 */
    "	mov %rax, %db7\n"
    "	mov $3, %al\n"
    "	out %al, $" GUEST_STR(PORT_MARK1) "\n"
    "	mov %rax, (%rbx)\n"
    "gl_sst_bp_next:\n"
    "	mov %db6, %rax\n"
    "	out %eax, $" GUEST_STR(PORT_DR) "\n"
    "	mov $0x400, %eax\n"
    "	mov %rax, %db7\n"
    "	mov $3, %al\n"
    "	out %al, $" GUEST_STR(PORT_MARK2) "\n"
    /* 4, 5: INT 0x40 and INT3, whose stubs IRET with the pushed flags. */
    "	mov $4, %al\n"
    "	out %al, $" GUEST_STR(PORT_MARK1) "\n"
    "	int $0x40\n"
    "	mov $4, %al\n"
    "	out %al, $" GUEST_STR(PORT_MARK2) "\n"
    "	mov $5, %al\n"
    "	out %al, $" GUEST_STR(PORT_MARK1) "\n"
    "	int3\n"
    "	mov $5, %al\n"
    "	out %al, $" GUEST_STR(PORT_MARK2) "\n"
    /* 6: POPFQ sets TF (the guest's own): the trap follows the NOP. */
    "	pushfq\n"
    "	orq $0x100, (%rsp)\n"
    "	mov $6, %al\n"
    "	out %al, $" GUEST_STR(PORT_MARK1) "\n"
    "	popfq\n"
    "	nop\n"
    "gl_sst_popf_next:\n"
    "	mov $6, %al\n"
    "	out %al, $" GUEST_STR(PORT_MARK2) "\n"
    /* 7: IRETQ to the next line with TF set in its frame (the guest's). */
    "	mov %ss, %eax\n"
    "	mov %rsp, %rdx\n"
    "	push %rax\n"
    "	push %rdx\n"
    "	pushfq\n"
    "	orq $0x100, (%rsp)\n"
    "	mov %cs, %eax\n"
    "	push %rax\n"
    "	lea gl_sst_iret_to(%rip), %rax\n"
    "	push %rax\n"
    "	mov $7, %al\n"
    "	out %al, $" GUEST_STR(PORT_MARK1) "\n"
    "	iretq\n"
    "gl_sst_iret_to:\n"
    "	nop\n"
    "gl_sst_iret_next:\n"
    "	mov $7, %al\n"
    "	out %al, $" GUEST_STR(PORT_MARK2) "\n"
    "	hlt\n"
    "gl_sst_entry:\n"
    "	mov %r11, %rax\n"
    "	out %eax, $" GUEST_STR(PORT_DR) "\n"
    "	push %r11\n"
    "	popfq\n"
    "	jmp *%rcx\n"
    "gl_sst_end:\n"
    GUEST_ASM_END);

static const char *const shx_names[SHX_CASES + 1] = {
	NULL, "PUSHFQ", "SYSCALL", "store on DR0", "INT 0x40", "INT3", "POPFQ setting TF",
	"IRETQ setting TF",
};

/*
 * Runs case n to its PORT_MARK2 OUT: the vectors the guest's stubs report
 * (frames with TF set counted in *tf_frames, and their TF cleared, so that
 * a leak fails its own case, not the ones after it; #DBs whose frame has
 * RIP bp_rip in *db_at_bp) and the last PORT_DR value.
 */
static bool shx_run(unsigned int n, unsigned int *counts, unsigned int *tf_frames,
		    __u64 bp_rip, unsigned int *db_at_bp, __u32 *value, bool *have_value)
{
	struct vmain_run *run = vcpu->run;
	struct guest_frame f;
	unsigned int i;

	for (i = 0; i < 40; i++) {
		if (vcpu_run(vcpu) || run->exit_reason != VMAIN_EXIT_IO ||
		    run->exit.io.direction != VMAIN_IO_OUT)
			break;
		if (run->exit.io.port == GUEST_PORT_VECTOR && run->exit.io.size == 1) {
			__u8 v = *(__u8 *)io_data(vcpu);

			counts[v]++;
			if (guest_read_frame(vcpu, &f)) {
				(*tf_frames)++;
				continue;
			}
			tap_diag("  %s: vector %u, frame rip 0x%llx rflags 0x%llx", shx_names[n],
				 v, (unsigned long long)f.rip, (unsigned long long)f.rflags);
			if (v == 1 && f.rip == bp_rip)
				(*db_at_bp)++;
			/*
			 * Cases 6 and 7 set the guest's own TF: an NMI's frame
			 * may hold it rightly (VT-x delivers the NMI right
			 * after the POPFQ or IRETQ), and only the trap's is
			 * cleared, ending the guest's single-stepping.
			 */
			if ((f.rflags & 0x100) && (n < 6 || v == 1)) {
				(*tf_frames)++;
				f.rflags &= ~0x100ULL;
				vm_write(vm, f.gpa + GUEST_FRAME_RFLAGS * f.width, &f.rflags,
					 f.width);
			}
		} else if (run->exit.io.port == PORT_DR && run->exit.io.size == 4) {
			*value = *(__u32 *)io_data(vcpu);
			*have_value = true;
		} else if (run->exit.io.port == PORT_MARK2 && run->exit.io.size == 1 &&
			   *(__u8 *)io_data(vcpu) == n) {
			return true;
		} else {
			break;
		}
	}
	tap_ok(false, "%s: %s: the guest reaches its end mark", guest_case_name(),
	       shx_names[n]);
	tap_diag("  %s", exit_str(vcpu));
	return false;
}

static void test_shadow_store(void)
{
	struct vmain_events ev;
	struct vmain_sregs s;
	unsigned int n, counts[256], tf_frames, db_at_bp;
	__u64 bp_rip, popf_rip, iret_rip;
	bool have_value;
	__u32 value = 0;

	if (!boot(GUEST_LONG64, GUEST_SNIPPET(gl_sst)))
		return;
	bp_rip = vcpu_code_rip(vcpu, GUEST_OFF(gl_sst, gl_sst_bp_next));
	popf_rip = vcpu_code_rip(vcpu, GUEST_OFF(gl_sst, gl_sst_popf_next));
	iret_rip = vcpu_code_rip(vcpu, GUEST_OFF(gl_sst, gl_sst_iret_next));
	/* EFER.SCE: SYSCALL. */
	if (!tap_ok(!vcpu_get_sregs(vcpu, &s) && ((s.efer |= 1), !vcpu_set_sregs(vcpu, &s)),
		    "%s: SET_SREGS: EFER.SCE", guest_case_name()))
		goto out;
	for (n = 1; n <= SHX_CASES; n++) {
		const char *what = shx_names[n];

		if (!expect_out(vcpu, PORT_MARK1, 1, n, "the guest reaches the %s", what) ||
		    !get_events(&ev))
			goto out;
		ev.nmi_pending = 1;
		ev.interrupt_shadow = 1;
		if (!tap_ok(ioctl(vcpu->fd, VMAIN_VCPU_SET_EVENTS, &ev) == 0,
			    "%s: SET_EVENTS: NMI pending, shadow on the %s",
			    guest_case_name(), what))
			goto out;
		memset(counts, 0, sizeof(counts));
		tf_frames = 0;
		db_at_bp = 0;
		have_value = false;
		if (!shx_run(n, counts, &tf_frames,
			     n == 6 ? popf_rip : n == 7 ? iret_rip : bp_rip, &db_at_bp,
			     &value, &have_value))
			goto out;
		tap_ok(counts[2] == 1, "%s: %s: the NMI comes once (%u)",
		       guest_case_name(), what, counts[2]);
		if (n >= 6) {
			/* The guest's TF is in the trap's frame: its own. */
			tap_ok(db_at_bp == 1,
			       "%s: %s: the guest's single-step trap comes after the NOP (%u there, %u #DB in all)",
			       guest_case_name(), what, db_at_bp, counts[1]);
			continue;
		}
		tap_ok(tf_frames == 0, "%s: %s: every event's frame has TF clear (%u with TF)",
		       guest_case_name(), what, tf_frames);
		switch (n) {
		case 1:
		case 2:
			tap_ok(have_value && !(value & 0x100),
			       "%s: %s: the stored RFLAGS (%s) has TF clear (0x%x)",
			       guest_case_name(), what, n == 1 ? "the pushed word" : "R11",
			       have_value ? value : 0);
			tap_ok(counts[1] == 0, "%s: %s: no #DB reaches the guest (%u)",
			       guest_case_name(), what, counts[1]);
			break;
		case 3:
			/*
			 * The trap comes right after the store, once.  QEMU's
			 * TCG reports a data breakpoint hit under TF twice: in
			 * the step's #DB (helper_single_step()) and again as its
			 * own at the next instruction boundary, so the total is
			 * not checked.
			 */
			tap_ok(db_at_bp == 1,
			       "%s: %s: the guest's breakpoint raises #DB in the guest right after the store (%u, %u in all)",
			       guest_case_name(), what, db_at_bp, counts[1]);
			tap_ok(have_value && (value & 1) && !(value & 0x4000),
			       "%s: %s: the guest's DR6 has B0 and no BS (0x%x)",
			       guest_case_name(), what, have_value ? value : 0);
			break;
		default:
			tap_ok(counts[n == 4 ? 0x40 : 3] == 1 && counts[1] == 0,
			       "%s: %s: its handler runs once, no #DB reaches the guest (%u, %u)",
			       guest_case_name(), what, counts[n == 4 ? 0x40 : 3], counts[1]);
			break;
		}
	}
	expect_hlt(vcpu, GUEST_ANY_RIP, "the guest finished");
out:
	shutdown_vm();
}

static volatile sig_atomic_t host_traps;
static volatile __u32 host_watch, host_trap_target;

static void on_sigtrap(int sig)
{
	(void)sig;
	host_traps++;
}

/* A perf hardware breakpoint on writes to host_watch by this thread. */
static int open_host_breakpoint(void)
{
	struct perf_event_attr a;

	memset(&a, 0, sizeof(a));
	a.type = PERF_TYPE_BREAKPOINT;
	a.size = sizeof(a);
	a.bp_type = HW_BREAKPOINT_W;
	a.bp_addr = (__u64)(unsigned long)&host_watch;
	a.bp_len = HW_BREAKPOINT_LEN_4;
	a.exclude_kernel = 1;
	a.exclude_hv = 1;
	return syscall(SYS_perf_event_open, &a, 0, -1, -1, 0);
}

static long long host_hits(int fd)
{
	long long n = -1;

	if (fd < 0 || read(fd, &n, sizeof(n)) != sizeof(n))
		return -1;
	return n;
}

/* The host writes its watched word; the count must go up by one. */
static void check_host_breakpoint(int fd, long long *hits, const char *when)
{
	long long n;

	if (fd < 0)
		return;
	host_watch++;
	n = host_hits(fd);
	tap_ok(n == *hits + 1, "%s: %s: the host thread's hardware breakpoint fires (%lld hits)",
	       guest_case_name(), when, *hits + 1);
	if (n != *hits + 1)
		tap_diag("  perf counted %lld hits", n);
	*hits = n;
}

static void test_debugregs(void)
{
	static const __u32 want[4] = { 0x11111110, 0x22222220, 0x33333330, 0x44444440 };
	struct sigaction sa, old;
	char why[600];
	long long hits = 0;
	unsigned int i;
	__u32 value;
	int bp;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigtrap;
	sigaction(SIGTRAP, &sa, &old);
	host_traps = 0;
	bp = open_host_breakpoint();
	if (bp < 0)
		tap_diag("  perf_event_open(PERF_TYPE_BREAKPOINT): %s: the host-breakpoint checks are left out",
			 strerror(errno));
	else
		check_host_breakpoint(bp, &hits, "before any guest");
	if (!boot(GUEST_LONG64, GUEST_SNIPPET(gl_dbr)))
		goto out_bp;
	if (vcpu_set_reg(vcpu, R_RBX, (__u64)(unsigned long)&host_trap_target))
		goto out;
	if (!expect_sync(vcpu, "the guest writes DR0-3"))
		goto out;
	check_host_breakpoint(bp, &hits, "after the guest wrote DR0-3");
	for (i = 0; i < 4; i++)
		if (!expect_out(vcpu, PORT_DR, 4, want[i],
				"DR%u reads back the guest's value after an exit", i))
			goto out;
	/*
	 * QEMU 7.2 TCG (the AMD-V arena) crashes (SIGSEGV) at a VMRUN whose
	 * guest DR7 enables a breakpoint while the L1 host had one enabled
	 * until just before: the host's breakpoint ends here, before the
	 * guest enables its own.  On hardware both may coexist.
	 */
	if (bp >= 0)
		close(bp);
	bp = -1;
	if (!expect_sync(vcpu, "the guest sets write breakpoints on its data and a host address"))
		goto out;
	host_trap_target++;
	if (!expect_vector(vcpu, 1, "the guest's write to DR0's address raises #DB in the guest"))
		goto out;
	if (tap_ok(run_get_out(vcpu, PORT_DR, 4, &value, why, sizeof(why)),
		   "%s: the guest reads DR6", guest_case_name())) {
		/*
		 * B0; QEMU TCG also sets B1 (DR1's address was not written),
		 * so the other B bits are not checked.
		 */
		tap_ok(value & 1, "%s: DR6 says breakpoint 0 hit (B0, DR6 0x%x)",
		       guest_case_name(), value);
	} else {
		tap_diag("  %s", why);
		goto out;
	}
	if (!expect_sync(vcpu, "the guest turns its breakpoints off"))
		goto out;
	host_trap_target++;
	tap_ok(host_traps == 0, "%s: the guest's breakpoint on a host address never fired in the host",
	       guest_case_name());
	expect_hlt(vcpu, GUEST_ANY_RIP, "the guest finished");
out:
	shutdown_vm();
out_bp:
	if (bp >= 0)
		close(bp);
	sigaction(SIGTRAP, &old, NULL);
}

static bool events_equal(const struct vmain_events *a, const struct vmain_events *b)
{
	return !memcmp(a, b, sizeof(*a));
}

static void test_set_events(void)
{
	struct vmain_events ev, got, zero;
	struct guest_frame f;
	bool ok;

	if (!boot(GUEST_LONG64, GUEST_SNIPPET(gl_spin)))
		return;
	memset(&zero, 0, sizeof(zero));
	if (get_events(&got))
		tap_ok(events_equal(&got, &zero), "%s: a new vCPU has no events (all zero)",
		       guest_case_name());

	memset(&ev, 0, sizeof(ev));
	ev.interrupt_pending = 1;
	ev.interrupt_vector = 0x50;
	ev.nmi_pending = 1;
	ev.nmi_masked = 1;
	ev.interrupt_shadow = 1;
	ok = ioctl(vcpu->fd, VMAIN_VCPU_SET_EVENTS, &ev) == 0;
	tap_ok(ok && get_events(&got) && events_equal(&ev, &got),
	       "%s: SET_EVENTS/GET_EVENTS round trip (interrupt, NMI pending and masked, shadow)",
	       guest_case_name());
	ok = ioctl(vcpu->fd, VMAIN_VCPU_SET_EVENTS, &zero) == 0;
	tap_ok(ok && get_events(&got) && events_equal(&zero, &got),
	       "%s: SET_EVENTS of all zero clears them", guest_case_name());

	/* The error code must match the vector (SDM Vol. 3A, Table 6-1). */
	memset(&ev, 0, sizeof(ev));
	ev.exception_pending = 1;
	ev.exception_vector = 6;	/* #UD pushes no error code */
	ev.exception_has_error = 1;
	tap_errno(ioctl(vcpu->fd, VMAIN_VCPU_SET_EVENTS, &ev), EINVAL,
		  "%s: SET_EVENTS: #UD with an error code", guest_case_name());
	ev.exception_vector = 13;	/* #GP pushes one */
	ev.exception_has_error = 0;
	tap_errno(ioctl(vcpu->fd, VMAIN_VCPU_SET_EVENTS, &ev), EINVAL,
		  "%s: SET_EVENTS: #GP without its error code", guest_case_name());

	memset(&ev, 0, sizeof(ev));
	ev.exception_pending = 1;
	ev.exception_vector = 13;
	ev.exception_has_error = 1;
	ev.exception_error_code = 0x1234;
	ok = ioctl(vcpu->fd, VMAIN_VCPU_SET_EVENTS, &ev) == 0;
	tap_ok(ok && get_events(&got) && events_equal(&ev, &got),
	       "%s: SET_EVENTS/GET_EVENTS round trip (#GP pending with error code)",
	       guest_case_name());
	if (!expect_vector(vcpu, 13, "the injected #GP runs vector 13's handler"))
		goto out;
	ok = !guest_read_frame(vcpu, &f) && f.error == 0x1234 &&
	     f.rip == vcpu_code_rip(vcpu, 0);
	tap_ok(ok, "%s: #GP frame: error code 0x1234, RIP where it was injected",
	       guest_case_name());
	if (!ok)
		tap_diag("  error 0x%llx rip 0x%llx", (unsigned long long)f.error,
			 (unsigned long long)f.rip);
	if (get_events(&got))
		tap_ok(!got.exception_pending, "%s: the exception is no longer pending",
		       guest_case_name());

	if (vcpu_start(vcpu, GUEST_LONG64, GUEST_SNIPPET(gl_spin)))
		goto out;
	memset(&ev, 0, sizeof(ev));
	ev.exception_pending = 1;
	ev.exception_vector = 6;
	ok = ioctl(vcpu->fd, VMAIN_VCPU_SET_EVENTS, &ev) == 0;
	tap_ok(ok, "%s: SET_EVENTS with #UD pending", guest_case_name());
	if (!expect_vector(vcpu, 6, "the injected #UD runs vector 6's handler"))
		goto out;
	ok = !guest_read_frame(vcpu, &f) && f.error == 0 && f.rip == vcpu_code_rip(vcpu, 0);
	tap_ok(ok, "%s: #UD frame: RIP where it was injected", guest_case_name());

	if (vcpu_start(vcpu, GUEST_LONG64, GUEST_SNIPPET(gl_spin)))
		goto out;
	memset(&ev, 0, sizeof(ev));
	ev.interrupt_pending = 1;
	ev.interrupt_vector = 0x51;
	ok = ioctl(vcpu->fd, VMAIN_VCPU_SET_EVENTS, &ev) == 0;
	tap_ok(ok, "%s: SET_EVENTS with interrupt 0x51 pending", guest_case_name());
	expect_vector(vcpu, 0x51, "the interrupt set with SET_EVENTS is delivered");
out:
	shutdown_vm();
}

/*
 * MODE/event-interrupted.  The stack is a slot of its own whose host
 * memory is PROT_NONE, one page per event: delivering an event there
 * pushes the frame, the nested fault finds no page, and RUN returns
 * VMAIN_INTERNAL_MEMORY_FAULT with the event's delivery interrupted.
 */
#define EVI_SLOT	2
#define EVI_GPA		0x90000ULL	/* below 1 MiB: real mode reaches it */
#define EVI_PAGES	4

static bool evi_stack(bool accessible)
{
	void *hva = vm_gpa(vm, EVI_GPA);

	if (!hva || mprotect(hva, EVI_PAGES * GUEST_PAGE,
			     accessible ? PROT_READ | PROT_WRITE : PROT_NONE)) {
		guest_fail("mprotect of the stack slot: %s", strerror(errno));
		return false;
	}
	return true;
}

/* Points the vCPU's stack at the top of page `page` of the stack slot. */
static bool evi_set_stack(struct vcpu *v, unsigned int page)
{
	__u64 top = EVI_GPA + (page + 1) * GUEST_PAGE - 0x10;
	struct vmain_sregs s;

	if (v->mode != GUEST_REAL)
		return !vcpu_set_reg(v, R_RSP, top);
	/* Real mode: SS = 9000h, SP below the page's top. */
	if (vcpu_get_sregs(v, &s))
		return false;
	s.ss.selector = EVI_GPA >> 4;
	s.ss.base = EVI_GPA;
	return !vcpu_set_sregs(v, &s) && !vcpu_set_reg(v, R_RSP, top - EVI_GPA);
}

/* RUN ends in a MEMORY_FAULT on page `page` of the stack slot. */
static bool evi_expect_fault(struct vcpu *v, unsigned int page, const char *what)
{
	__u64 gpa = EVI_GPA + page * GUEST_PAGE;
	int ret = vcpu_run(v);
	bool ok = !ret && v->run->exit_reason == VMAIN_EXIT_INTERNAL_ERROR &&
		  v->run->exit.internal.suberror == VMAIN_INTERNAL_MEMORY_FAULT &&
		  (v->run->exit.internal.data[0] & ~(GUEST_PAGE - 1)) == gpa;

	tap_ok(ok, "%s: %s: its delivery faults on the inaccessible stack page 0x%llx (MEMORY_FAULT)",
	       guest_case_name(), what, (unsigned long long)gpa);
	if (!ok)
		tap_diag("  RUN %d (%s): %s", ret, ret ? strerror(errno) : "",
			 exit_str(v));
	return ok;
}

static bool evi_get(struct vcpu *v, struct vmain_events *ev)
{
	memset(ev, 0xa5, sizeof(*ev));
	if (ioctl(v->fd, VMAIN_VCPU_GET_EVENTS, ev)) {
		guest_fail("GET_EVENTS: %s", strerror(errno));
		return false;
	}
	return true;
}

static void evi_diag(const struct vmain_events *e)
{
	tap_diag("  exception %u/%u/%u/0x%x interrupt %u/0x%x nmi %u masked %u shadow %u",
		 e->exception_pending, e->exception_vector, e->exception_has_error,
		 e->exception_error_code, e->interrupt_pending, e->interrupt_vector,
		 e->nmi_pending, e->nmi_masked, e->interrupt_shadow);
}

/* GET_EVENTS equals `want` exactly. */
static bool evi_expect_events(struct vcpu *v, const struct vmain_events *want,
			      const char *what)
{
	struct vmain_events got;
	bool ok = evi_get(v, &got) && events_equal(&got, want);

	tap_ok(ok, "%s: %s", guest_case_name(), what);
	if (!ok) {
		evi_diag(&got);
		tap_diag("  want:");
		evi_diag(want);
	}
	return ok;
}

/*
 * A second vCPU of the VM with the first one's registers, system
 * registers and events: a restore from a saved state.
 */
static struct vcpu *evi_clone(struct vcpu *from, unsigned int id)
{
	struct vmain_events ev;
	struct vmain_sregs s;
	struct vmain_regs r;
	struct vcpu *v = vcpu_new(vm, id);

	if (!v)
		return NULL;
	v->mode = from->mode;
	if (vcpu_get_regs(from, &r) || vcpu_get_sregs(from, &s) || !evi_get(from, &ev) ||
	    vcpu_set_sregs(v, &s) || vcpu_set_regs(v, &r)) {
		vcpu_free(v);
		return NULL;
	}
	if (ioctl(v->fd, VMAIN_VCPU_SET_EVENTS, &ev)) {
		guest_fail("SET_EVENTS on the new vCPU: %s", strerror(errno));
		vcpu_free(v);
		return NULL;
	}
	return v;
}

/* The vector's handler runs once, IRETs, and the guest finishes. */
static void evi_expect_once(struct vcpu *v, unsigned int vector, const char *what)
{
	if (!expect_vector(v, vector, "%s: delivered after the restore", what))
		return;
	set_flag(1);
	expect_out(v, PORT_DONE, 1, 3, "%s: delivered exactly once (the guest returns to its loop and finishes)",
		   what);
	set_flag(0);
}

static void test_event_interrupted(enum guest_mode mode)
{
	const unsigned char *start = mode == GUEST_REAL ? gr_spin_start : gl_spin_start;
	const unsigned char *end = mode == GUEST_REAL ? gr_spin_end : gl_spin_end;
	struct vmain_events want, zero, ev;
	struct vcpu *v2 = NULL;
	struct guest_frame f;
	bool ok;

	if (!boot(mode, start, end))
		return;
	memset(&zero, 0, sizeof(zero));
	if (vm_add_slot(vm, EVI_SLOT, EVI_GPA, EVI_PAGES * GUEST_PAGE, 0, GUEST_ANON) ||
	    !evi_stack(false))
		goto out;

	if (mode == GUEST_REAL) {
		/*
		 * Real mode pushes no error code, yet the flag follows the
		 * vector: GET_EVENTS gives back what SET_EVENTS accepts.
		 */
		memset(&want, 0, sizeof(want));
		want.exception_pending = 1;
		want.exception_vector = 13;
		want.exception_has_error = 1;
		if (!evi_set_stack(vcpu, 3) || ioctl(vcpu->fd, VMAIN_VCPU_SET_EVENTS, &want)) {
			guest_fail("SET_EVENTS #GP: %s", strerror(errno));
			goto out;
		}
		if (!evi_expect_fault(vcpu, 3, "#GP"))
			goto out;
		evi_expect_events(vcpu, &want,
				  "GET_EVENTS: the #GP is pending, with the error-code flag of its vector");
		if (!evi_stack(true))
			goto out;
		ok = ioctl(vcpu->fd, VMAIN_VCPU_SET_EVENTS, &zero) == 0 &&
		     ioctl(vcpu->fd, VMAIN_VCPU_SET_EVENTS, &want) == 0;
		tap_ok(ok, "%s: SET_EVENTS clears it, and takes it back", guest_case_name());
		evi_expect_once(vcpu, 13, "the real-mode #GP");
		goto out;
	}

	/* An interrupt, delivered after STI's shadow, into a fresh vCPU. */
	if (!evi_set_stack(vcpu, 0) || interrupt(vcpu, 0x40)) {
		guest_fail("INTERRUPT 0x40: %s", strerror(errno));
		goto out;
	}
	if (!evi_expect_fault(vcpu, 0, "interrupt 0x40"))
		goto out;
	memset(&want, 0, sizeof(want));
	want.interrupt_pending = 1;
	want.interrupt_vector = 0x40;
	evi_expect_events(vcpu, &want, "GET_EVENTS: interrupt 0x40 is pending again");
	tap_ok(!vcpu->run->ready_for_interrupt_injection,
	       "%s: ready_for_interrupt_injection is 0 while it is", guest_case_name());
	if (!evi_stack(true))
		goto out;
	v2 = evi_clone(vcpu, 1);
	if (!v2)
		goto out;
	ok = ioctl(vcpu->fd, VMAIN_VCPU_SET_EVENTS, &zero) == 0;
	tap_ok(ok && evi_expect_events(vcpu, &zero, "SET_EVENTS of zero clears the old vCPU's"),
	       "%s: the state moved to vCPU 1", guest_case_name());
	evi_expect_once(v2, 0x40, "interrupt 0x40 on vCPU 1");
	if (evi_get(v2, &ev) &&
	    !tap_ok(events_equal(&ev, &zero), "%s: vCPU 1 has nothing pending afterwards",
		    guest_case_name()))
		evi_diag(&ev);
	vcpu_free(v2);
	v2 = NULL;

	/* An NMI, into the same vCPU after clearing it. */
	if (vcpu_start(vcpu, mode, start, end) || !evi_set_stack(vcpu, 1))
		goto out;
	if (!evi_stack(false))
		goto out;
	if (ioctl(vcpu->fd, VMAIN_VCPU_NMI, 0)) {
		guest_fail("NMI: %s", strerror(errno));
		goto out;
	}
	if (!evi_expect_fault(vcpu, 1, "an NMI"))
		goto out;
	memset(&want, 0, sizeof(want));
	want.nmi_pending = 1;
	evi_expect_events(vcpu, &want, "GET_EVENTS: the NMI is pending, and NMIs are not masked");
	if (!evi_stack(true))
		goto out;
	ok = ioctl(vcpu->fd, VMAIN_VCPU_SET_EVENTS, &zero) == 0 &&
	     evi_get(vcpu, &ev) && events_equal(&ev, &zero) &&
	     ioctl(vcpu->fd, VMAIN_VCPU_SET_EVENTS, &want) == 0;
	tap_ok(ok, "%s: SET_EVENTS clears the NMI, and sets it again", guest_case_name());
	if (expect_vector(vcpu, 2, "the NMI: delivered after the restore")) {
		memset(&want, 0, sizeof(want));
		want.nmi_masked = 1;
		evi_expect_events(vcpu, &want, "in its handler: none pending, NMIs masked");
		set_flag(1);
		expect_out(vcpu, PORT_DONE, 1, 3,
			   "the NMI: delivered exactly once (the guest returns to its loop and finishes)");
		set_flag(0);
	}

	/* A #GP with its error code, injected by SET_EVENTS, into vCPU 2. */
	if (vcpu_start(vcpu, mode, start, end) || !evi_set_stack(vcpu, 2) || !evi_stack(false))
		goto out;
	memset(&want, 0, sizeof(want));
	want.exception_pending = 1;
	want.exception_vector = 13;
	want.exception_has_error = 1;
	want.exception_error_code = 0x5a58;
	if (ioctl(vcpu->fd, VMAIN_VCPU_SET_EVENTS, &want)) {
		guest_fail("SET_EVENTS #GP: %s", strerror(errno));
		goto out;
	}
	if (!evi_expect_fault(vcpu, 2, "#GP(0x5a58)"))
		goto out;
	evi_expect_events(vcpu, &want, "GET_EVENTS: #GP pending with error code 0x5a58");
	if (!evi_stack(true))
		goto out;
	v2 = evi_clone(vcpu, 2);
	if (!v2 || ioctl(vcpu->fd, VMAIN_VCPU_SET_EVENTS, &zero))
		goto out;
	if (expect_vector(v2, 13, "#GP(0x5a58) on vCPU 2: delivered after the restore")) {
		ok = !guest_read_frame(v2, &f) && f.error == 0x5a58 &&
		     f.rip == vcpu_code_rip(v2, 0);
		tap_ok(ok, "%s: its frame has error code 0x5a58 and the RIP it was injected at",
		       guest_case_name());
		if (!ok)
			tap_diag("  error 0x%llx rip 0x%llx", (unsigned long long)f.error,
				 (unsigned long long)f.rip);
		set_flag(1);
		expect_out(v2, PORT_DONE, 1, 3,
			   "#GP on vCPU 2: delivered exactly once (the guest returns and finishes)");
		set_flag(0);
	}
out:
	if (v2)
		vcpu_free(v2);
	shutdown_vm();
}

/* long64/event-kick-storm */
#define STORM_MOVES	60	/* vCPU ids 1 .. 60 */

struct kicker {
	atomic_int fd;		/* the vCPU in use */
	pthread_t thread;
	atomic_bool quit;
	atomic_ulong kicks;
};

static void *kicker_main(void *arg)
{
	struct kicker *k = arg;
	unsigned int seed = 1;

	while (!atomic_load(&k->quit)) {
		if (ioctl(atomic_load(&k->fd), VMAIN_VCPU_KICK, 0) == 0)
			atomic_fetch_add(&k->kicks, 1);
		usleep(50 + rand_r(&seed) % 200);
	}
	return NULL;
}

/*
 * Runs until the stub of some vector OUTs it.  At each KICK exit the
 * interrupt `vec` is pending or delivered; the state then moves to a new
 * vCPU (the first STORM_MOVES times) or its events are taken out and put
 * back.  Returns the vector, or -1 with `why` filled.
 */
static int storm_run(struct kicker *k, unsigned int vec, unsigned long *kicked,
		     unsigned long *pending, unsigned int *moves, char *why, size_t n)
{
	double limit = guest_now_ms() + guest_timeout_s * 1000.0;
	struct vmain_events ev, zero;
	struct vcpu *next;

	memset(&zero, 0, sizeof(zero));
	for (;;) {
		struct vmain_run *run = vcpu->run;
		__u8 *data;

		/* The kicks keep each RUN short: a lost interrupt ends here. */
		if (guest_now_ms() > limit) {
			snprintf(why, n, "interrupt 0x%x not delivered within %u s (%lu KICK exits so far): lost",
				 vec, guest_timeout_s, *kicked);
			return -1;
		}

		if (vcpu_run(vcpu)) {
			snprintf(why, n, "RUN: %s%s", strerror(errno),
				 vcpu->timed_out ? " (timed out)" : "");
			return -1;
		}
		if (run->exit_reason == VMAIN_EXIT_IO && run->exit.io.port == GUEST_PORT_VECTOR &&
		    run->exit.io.size == 1 && (data = io_data(vcpu)))
			return *data;
		if (run->exit_reason != VMAIN_EXIT_KICK) {
			snprintf(why, n, "unexpected exit: %s", exit_str(vcpu));
			return -1;
		}
		(*kicked)++;
		if (ioctl(vcpu->fd, VMAIN_VCPU_GET_EVENTS, &ev)) {
			snprintf(why, n, "GET_EVENTS: %s", strerror(errno));
			return -1;
		}
		if (ev.interrupt_pending &&
		    (ev.interrupt_vector != vec || ev.exception_pending || ev.nmi_pending)) {
			snprintf(why, n, "at a KICK: interrupt 0x%x pending, want 0x%x (exception %u, NMI %u)",
				 ev.interrupt_vector, vec, ev.exception_pending, ev.nmi_pending);
			return -1;
		}
		*pending += ev.interrupt_pending;
		if (*moves < STORM_MOVES) {
			/* Restore the whole state into a new vCPU; drop the old. */
			next = evi_clone(vcpu, ++*moves);
			if (!next) {
				snprintf(why, n, "moving the state to vCPU %u failed", *moves);
				return -1;
			}
			next->timed_out = false;
			atomic_store(&k->fd, next->fd);
			vcpu_free(vcpu);
			vcpu = next;
			continue;
		}
		if (!ev.interrupt_pending)
			continue;	/* delivered; its handler runs on */
		if (ioctl(vcpu->fd, VMAIN_VCPU_SET_EVENTS, &zero) ||
		    ioctl(vcpu->fd, VMAIN_VCPU_SET_EVENTS, &ev)) {
			snprintf(why, n, "SET_EVENTS: %s", strerror(errno));
			return -1;
		}
	}
}

static void test_event_kick_storm(void)
{
	unsigned long n = guest_iters ? guest_iters : 300, i, kicked = 0, pending = 0;
	unsigned int moves = 0;
	struct kicker k;
	char why[200] = "";
	double t0;
	int got = 0;
	bool ok = true;

	if (!boot(GUEST_LONG64, GUEST_SNIPPET(gl_spin)))
		return;
	memset(&k, 0, sizeof(k));
	atomic_store(&k.fd, vcpu->fd);
	if (pthread_create(&k.thread, NULL, kicker_main, &k)) {
		guest_fail("pthread_create failed");
		goto out;
	}
	t0 = guest_now_ms();
	for (i = 0; ok && i < n; i++) {
		unsigned int vec = 0x40 + (unsigned int)(i % 0x40);

		if (interrupt(vcpu, vec)) {
			snprintf(why, sizeof(why), "INTERRUPT 0x%x (number %lu): %s", vec, i,
				 strerror(errno));
			ok = false;
			break;
		}
		got = storm_run(&k, vec, &kicked, &pending, &moves, why, sizeof(why));
		if (got != (int)vec) {
			if (got >= 0)
				snprintf(why, sizeof(why), "interrupt number %lu: vector 0x%x ran, want 0x%x",
					 i, got, vec);
			ok = false;
		}
	}
	atomic_store(&k.quit, true);
	pthread_join(k.thread, NULL);
	tap_ok(ok, "%s: %lu interrupts, each delivered right after its INTERRUPT, while another thread kicked (%lu KICK exits, %lu with the interrupt still pending; %u moves to a new vCPU, then SET_EVENTS zero and back)",
	       guest_case_name(), ok ? i : i - 1, kicked, pending, moves);
	if (!ok)
		tap_diag("  %s", why);
	tap_diag("%lu kicks in %.0f ms", (unsigned long)atomic_load(&k.kicks),
		 guest_now_ms() - t0);
	if (!ok)
		goto out;
	/* No interrupt is left to run twice: the guest finishes. */
	set_flag(1);
	for (;;) {
		if (vcpu_run(vcpu)) {
			ok = false;
			break;
		}
		if (vcpu->run->exit_reason != VMAIN_EXIT_KICK)
			break;
	}
	ok = ok && vcpu->run->exit_reason == VMAIN_EXIT_IO &&
	     vcpu->run->exit.io.port == PORT_DONE;
	tap_ok(ok, "%s: none of them runs a second time (the guest finishes)", guest_case_name());
	if (!ok)
		tap_diag("  %s", exit_str(vcpu));
out:
	shutdown_vm();
}

static void test_interrupt_errors(void)
{
	struct vmain_interrupt irq;
	struct vmain_events ev;

	if (!boot(GUEST_LONG64, GUEST_SNIPPET(gl_spin)))
		return;
	tap_errno(interrupt(vcpu, 256), EINVAL, "interrupt/errors: INTERRUPT vector 256");
	tap_errno(interrupt(vcpu, 0x80000040), EINVAL,
		  "interrupt/errors: INTERRUPT vector 0x80000040");
	memset(&irq, 0, sizeof(irq));
	irq.vector = 0x40;
	irq.flags = 1;
	tap_errno(ioctl(vcpu->fd, VMAIN_VCPU_INTERRUPT, &irq), EINVAL,
		  "interrupt/errors: INTERRUPT with non-zero flags");
	irq.flags = 0;
	irq.reserved = 1;
	tap_errno(ioctl(vcpu->fd, VMAIN_VCPU_INTERRUPT, &irq), EINVAL,
		  "interrupt/errors: INTERRUPT with non-zero reserved");
	tap_errno(ioctl(vcpu->fd, VMAIN_VCPU_INTERRUPT, NULL), EFAULT,
		  "interrupt/errors: INTERRUPT(NULL)");
	if (get_events(&ev))
		tap_ok(!ev.interrupt_pending,
		       "interrupt/errors: the rejected calls queued nothing");
	tap_ok(interrupt(vcpu, 0x40) == 0, "interrupt/errors: INTERRUPT 0x40");
	tap_errno(interrupt(vcpu, 0x40), EBUSY,
		  "interrupt/errors: the same vector again while queued");

	memset(&ev, 0, sizeof(ev));
	ev.exception_pending = 1;
	ev.exception_vector = 32;
	tap_errno(ioctl(vcpu->fd, VMAIN_VCPU_SET_EVENTS, &ev), EINVAL,
		  "interrupt/errors: SET_EVENTS with exception vector 32");
	memset(&ev, 0, sizeof(ev));
	ev.exception_pending = 1;
	ev.exception_vector = 2;
	tap_errno(ioctl(vcpu->fd, VMAIN_VCPU_SET_EVENTS, &ev), EINVAL,
		  "interrupt/errors: SET_EVENTS with exception vector 2 (NMI has its own field)");
	memset(&ev, 0, sizeof(ev));
	ev.interrupt_pending = 2;
	ev.interrupt_vector = 8;
	tap_errno(ioctl(vcpu->fd, VMAIN_VCPU_SET_EVENTS, &ev), EINVAL,
		  "interrupt/errors: SET_EVENTS with interrupt_pending 2 (0 or 1)");
	memset(&ev, 0, sizeof(ev));
	ev.nmi_pending = 2;
	tap_errno(ioctl(vcpu->fd, VMAIN_VCPU_SET_EVENTS, &ev), EINVAL,
		  "interrupt/errors: SET_EVENTS with nmi_pending 2 (0 or 1)");
	tap_errno(ioctl(vcpu->fd, VMAIN_VCPU_NMI, 1), EINVAL,
		  "interrupt/errors: NMI with a non-zero argument");
	shutdown_vm();
}

/* VMRUN, MONITOR, MWAIT: #UD at the instruction; the test skips each. */
static void test_no_nested(void)
{
	static const struct {
		const char *name;
		const unsigned char *at, *next;
	} insn[] = {
		{ "VMRUN", gl_nonest_vmrun, gl_nonest_monitor },
		{ "MONITOR", gl_nonest_monitor, gl_nonest_mwait },
		{ "MWAIT", gl_nonest_mwait, gl_nonest_end2 },
	};
	struct guest_frame f;
	unsigned int i;
	bool ok;

	if (!boot(GUEST_LONG64, GUEST_SNIPPET(gl_nonest)))
		return;
	for (i = 0; i < 3; i++) {
		__u64 at = vcpu_code_rip(vcpu, (__u64)(insn[i].at - gl_nonest_start));

		if (!expect_vector(vcpu, 6, "%s raises #UD", insn[i].name))
			goto out;
		ok = !guest_read_frame(vcpu, &f) && f.rip == at;
		tap_ok(ok, "%s: the #UD is at the %s", guest_case_name(), insn[i].name);
		if (!ok)
			tap_diag("  frame rip 0x%llx, want 0x%llx", (unsigned long long)f.rip,
				 (unsigned long long)at);
		if (guest_frame_set_rip(vcpu, vcpu_code_rip(vcpu,
				(__u64)(insn[i].next - gl_nonest_start))))
			goto out;
	}
	expect_out(vcpu, PORT_DONE, 1, 3, "the guest goes on after the three #UDs");
out:
	shutdown_vm();
}

static void test_triple_fault(enum guest_mode mode)
{
	static const unsigned char *const starts[] = { gr_fault_start, gp_fault_start, gl_fault_start };
	static const unsigned char *const ends[] = { gr_fault_end, gp_fault_end, gl_fault_end };
	struct vmain_sregs s;

	if (!boot(mode, starts[mode], ends[mode]))
		return;
	if (!vcpu_get_sregs(vcpu, &s)) {
		s.idt.limit = 0;
		if (!vcpu_set_sregs(vcpu, &s))
			expect_exit(vcpu, VMAIN_EXIT_SHUTDOWN,
				    "IDT limit 0 and %s: triple fault, VMAIN_EXIT_SHUTDOWN",
				    mode == GUEST_PROT32 ? "INT3" : "UD2");
	}
	shutdown_vm();
}

int main(int argc, char **argv)
{
	char name[64];
	int mode;

	guest_init(argc, argv, 0);
	for (mode = GUEST_REAL; mode <= GUEST_LONG64; mode++) {
		snprintf(name, sizeof(name), "%s/interrupt", mode_names[mode]);
		if (guest_want(name)) {
			guest_case(name);
			test_interrupt((enum guest_mode)mode);
		}
	}
	for (mode = GUEST_REAL; mode <= GUEST_LONG64; mode++) {
		snprintf(name, sizeof(name), "%s/low-vector", mode_names[mode]);
		if (guest_want(name)) {
			guest_case(name);
			test_low_vector((enum guest_mode)mode);
		}
	}
	if (guest_want("long64/interrupt-if0")) {
		guest_case("long64/interrupt-if0");
		test_interrupt_if0();
	}
	if (guest_want("long64/irq-window")) {
		guest_case("long64/irq-window");
		test_irq_window();
	}
	if (guest_want("long64/hlt")) {
		guest_case("long64/hlt");
		test_hlt();
	}
	if (guest_want("long64/nmi")) {
		guest_case("long64/nmi");
		test_nmi();
	}
	if (guest_want("long64/nmi-masked-restore")) {
		guest_case("long64/nmi-masked-restore");
		test_nmi_masked_restore();
	}
	if (guest_want("long64/nmi-shadow")) {
		guest_case("long64/nmi-shadow");
		test_nmi_shadow();
	}
	if (guest_want("long64/shadow-exit")) {
		guest_case("long64/shadow-exit");
		test_shadow_exit();
	}
	if (guest_want("long64/shadow-fault")) {
		guest_case("long64/shadow-fault");
		test_shadow_fault();
	}
	if (guest_want("long64/shadow-store")) {
		guest_case("long64/shadow-store");
		test_shadow_store();
	}
	if (guest_want("long64/debugregs")) {
		guest_case("long64/debugregs");
		test_debugregs();
	}
	if (guest_want("long64/set-events")) {
		guest_case("long64/set-events");
		test_set_events();
	}
	for (mode = GUEST_REAL; mode <= GUEST_LONG64; mode += GUEST_LONG64 - GUEST_REAL) {
		snprintf(name, sizeof(name), "%s/event-interrupted", mode_names[mode]);
		if (guest_want(name)) {
			guest_case(name);
			test_event_interrupted((enum guest_mode)mode);
		}
	}
	if (guest_want("long64/event-kick-storm")) {
		guest_case("long64/event-kick-storm");
		test_event_kick_storm();
	}
	if (guest_want("long64/no-nested")) {
		guest_case("long64/no-nested");
		test_no_nested();
	}
	if (guest_want("interrupt/errors")) {
		guest_case("interrupt/errors");
		test_interrupt_errors();
	}
	for (mode = GUEST_REAL; mode <= GUEST_LONG64; mode++) {
		snprintf(name, sizeof(name), "%s/triple-fault", mode_names[mode]);
		if (guest_want(name)) {
			guest_case(name);
			test_triple_fault((enum guest_mode)mode);
		}
	}
	close(guest_devfd);
	return guest_done();
}
