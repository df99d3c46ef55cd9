// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * control.c - getting a running guest back, and running several at once:
 *
 *   control/signal          a signal (pthread_kill, handler without
 *                           SA_RESTART) makes RUN of a spinning guest fail
 *                           with EINTR, exit_reason VMAIN_EXIT_INTR, within
 *                           50 ms; 20 times; max latency in a # line
 *   control/immediate-exit  immediate_exit = 1: RUN fails with EINTR at once,
 *                           the guest does not run
 *   control/kick            VMAIN_VCPU_KICK from another thread: RUN returns
 *                           VMAIN_EXIT_KICK within 50 ms; 20 times
 *   control/kick-before-run a KICK with no RUN in progress makes the next RUN
 *                           return VMAIN_EXIT_KICK at once, the one after
 *                           runs normally; KICK with an argument: EINVAL
 *   control/concurrent      2 VMs x 2 vCPUs in 4 threads, each guest doing
 *                           N OUTs (-n N, default 5000) of its own values
 *   control/window-storm    a vCPU spins with IF=0 through exits the module
 *                           handles itself (CPUID) while an interrupt
 *                           window is requested, for 6 s: a host thread
 *                           on the same CPU sleeping 1 ms at a time keeps
 *                           waking (no host timer interrupt is lost), the
 *                           vCPU keeps running, KICK ends it
 *
 * Usage: control [-n N] [-T TIMEOUT] [CASE...]
 */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "lib.h"

#define PORT_FIRST	0x50
#define PORT_LOOP	0x60
#define COUNTER_GPA	(GUEST_SCRATCH_GPA + 0x100)
#define ROUNDS		20
/*
 * Prompt means the signal or kick ended RUN, not the run's own timeout.
 * The bound leaves room for an emulated CPU on a loaded host: under QEMU
 * TCG with three arena CPUs on two cores one round in twenty took 11 ms.
 */
#define MAX_LATENCY_MS	50.0

/* Spins forever, counting in COUNTER_GPA so the host sees it run. */
GUEST_CODE(gl_count);
/* One OUT, then HLT. */
GUEST_CODE(gl_first);
/* RCX OUTs of EBX, EBX+1, ... to PORT_LOOP, then HLT. */
GUEST_CODE(gl_loop);
/* IF=0, then CPUID forever, counting in the quadword at R8. */
GUEST_CODE(gl_cpuid_spin);

asm(GUEST_ASM_BEGIN(".code64")
    "gl_count_start:\n"
    "1:	incq " GUEST_STR(COUNTER_GPA) "\n"
    "	jmp 1b\n"
    "gl_count_end:\n"
    "gl_first_start:\n"
    "	mov $1, %al\n"
    "	out %al, $" GUEST_STR(PORT_FIRST) "\n"
    "	hlt\n"
    "gl_first_end:\n"
    "gl_loop_start:\n"
    "	mov %ebx, %eax\n"
    "1:	out %eax, $" GUEST_STR(PORT_LOOP) "\n"
    "	inc %eax\n"
    "	dec %ecx\n"
    "	jnz 1b\n"
    "	hlt\n"
    "gl_loop_end:\n"
    "gl_cpuid_spin_start:\n"
    "	cli\n"
    "1:	xor %eax, %eax\n"
    "	cpuid\n"
    "	incq (%r8)\n"
    "	jmp 1b\n"
    "gl_cpuid_spin_end:\n"
    GUEST_ASM_END);

static void on_usr1(int sig)
{
	(void)sig;
}

static bool boot(struct vm **vm, struct vcpu **vcpu, const unsigned char *start,
		 const unsigned char *end)
{
	return guest_boot(vm, vcpu, GUEST_LONG64, start, end);
}

static __u64 counter(struct vm *vm)
{
	return __atomic_load_n((__u64 *)vm_gpa(vm, COUNTER_GPA), __ATOMIC_RELAXED);
}

/* Waits up to 5 s until the guest's counter moves. */
static bool wait_running(struct vm *vm)
{
	__u64 c0 = counter(vm);
	double end = guest_now_ms() + 5000;
	struct timespec ts = { 0, 50000 };

	while (guest_now_ms() < end) {
		if (counter(vm) != c0)
			return true;
		nanosleep(&ts, NULL);
	}
	return false;
}

static bool sem_wait_ms(sem_t *s, unsigned int ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	while (sem_timedwait(s, &ts)) {
		if (errno != EINTR)
			return false;
	}
	return true;
}

/* A thread that runs the vCPU once per `go`. */
struct runner {
	struct vcpu *vcpu;
	sem_t go, done;
	atomic_bool quit;
	int ret, err;
	__u32 reason;
	bool timed_out;
	double t_ret;		/* ms, when RUN returned */
	pthread_t thread;
};

static void *runner_main(void *arg)
{
	struct runner *r = arg;

	for (;;) {
		while (sem_wait(&r->go) && errno == EINTR)
			;
		if (atomic_load(&r->quit))
			break;
		r->ret = vcpu_run(r->vcpu);
		r->t_ret = guest_now_ms();
		r->err = errno;
		r->reason = r->vcpu->run->exit_reason;
		r->timed_out = r->vcpu->timed_out;
		sem_post(&r->done);
	}
	guest_thread_done();
	return NULL;
}

static bool runner_start(struct runner *r, struct vcpu *vcpu)
{
	memset(r, 0, sizeof(*r));
	r->vcpu = vcpu;
	sem_init(&r->go, 0, 0);
	sem_init(&r->done, 0, 0);
	if (pthread_create(&r->thread, NULL, runner_main, r)) {
		guest_fail("pthread_create failed");
		return false;
	}
	return true;
}

static void runner_stop(struct runner *r)
{
	atomic_store(&r->quit, true);
	sem_post(&r->go);
	pthread_join(r->thread, NULL);
	sem_destroy(&r->go);
	sem_destroy(&r->done);
}

/*
 * ROUNDS times: start RUN of the spinning guest in the runner thread, wait
 * until the guest counts, then interrupt it with `how` (signal or kick).
 */
static void interrupt_rounds(bool kick)
{
	const char *what = kick ? "KICK" : "signal";
	struct sigaction sa;
	struct runner r;
	struct vm *vm;
	struct vcpu *vcpu;
	double t0, lat, max_lat = 0, sum = 0;
	unsigned int i, good = 0, fast = 0;
	char first_bad[300] = "";

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;	/* no SA_RESTART */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);

	if (!boot(&vm, &vcpu, GUEST_SNIPPET(gl_count)))
		return;
	if (!runner_start(&r, vcpu))
		goto out;
	for (i = 0; i < ROUNDS; i++) {
		sem_post(&r.go);
		if (!wait_running(vm)) {
			/* RUN returned by itself, or the guest never ran. */
			if (sem_wait_ms(&r.done, 1))
				snprintf(first_bad, sizeof(first_bad),
					 "round %u: RUN returned before the %s: ret %d errno %d, %s",
					 i, what, r.ret, r.err, exit_str(vcpu));
			else
				snprintf(first_bad, sizeof(first_bad),
					 "round %u: the guest's counter does not move", i);
			break;
		}
		t0 = guest_now_ms();
		if (kick)
			ioctl(vcpu->fd, VMAIN_VCPU_KICK, 0);
		else
			pthread_kill(r.thread, SIGUSR1);
		if (!sem_wait_ms(&r.done, (guest_timeout_s + 5) * 1000)) {
			snprintf(first_bad, sizeof(first_bad),
				 "round %u: RUN did not return", i);
			break;
		}
		lat = r.t_ret - t0;
		if (kick ? (r.ret == 0 && r.reason == VMAIN_EXIT_KICK) :
			   (r.ret == -1 && r.err == EINTR && !r.timed_out &&
			    r.reason == VMAIN_EXIT_INTR)) {
			good++;
		} else if (!first_bad[0]) {
			snprintf(first_bad, sizeof(first_bad),
				 "round %u: ret %d errno %d (%s)%s, %s", i, r.ret,
				 r.ret == -1 ? r.err : 0,
				 r.ret == -1 ? strerror(r.err) : "-",
				 r.timed_out ? " (the timeout, not our signal)" : "",
				 exit_str(vcpu));
		}
		if (lat < MAX_LATENCY_MS)
			fast++;
		if (lat > max_lat)
			max_lat = lat;
		sum += lat;
	}
	if (kick)
		tap_ok(good == ROUNDS,
		       "control/kick: KICK from another thread: RUN returns 0 with VMAIN_EXIT_KICK (%u of %d)",
		       good, ROUNDS);
	else
		tap_ok(good == ROUNDS,
		       "control/signal: a signal makes RUN fail with EINTR, exit_reason VMAIN_EXIT_INTR (%u of %d)",
		       good, ROUNDS);
	if (first_bad[0])
		tap_diag("  %s", first_bad);
	tap_ok(fast == ROUNDS && good == ROUNDS,
	       "control/%s: RUN returned within %.0f ms of the %s every time (%u of %d)",
	       kick ? "kick" : "signal", MAX_LATENCY_MS, what, fast, ROUNDS);
	tap_diag("%s latency: max %.3f ms, mean %.3f ms over %u rounds", what,
		 max_lat, i ? sum / i : 0.0, i);
	runner_stop(&r);
out:
	vcpu_free(vcpu);
	vm_free(vm);
}

static void test_immediate_exit(void)
{
	struct vm *vm;
	struct vcpu *vcpu;
	struct vmain_regs regs;
	double t0, t1;
	int ret, err;

	if (!boot(&vm, &vcpu, GUEST_SNIPPET(gl_first)))
		return;
	vcpu->run->immediate_exit = 1;
	vcpu->run->exit_reason = VMAIN_EXIT_NONE;
	t0 = guest_now_ms();
	ret = vcpu_run(vcpu);
	err = errno;
	t1 = guest_now_ms();
	tap_ok(ret == -1 && err == EINTR && !vcpu->timed_out,
	       "control/immediate-exit: immediate_exit = 1: RUN fails with EINTR");
	if (ret != -1 || err != EINTR)
		tap_diag("  ret %d errno %d, %s", ret, err, exit_str(vcpu));
	tap_ok(vcpu->run->exit_reason == VMAIN_EXIT_INTR,
	       "control/immediate-exit: exit_reason is VMAIN_EXIT_INTR");
	tap_ok(t1 - t0 < MAX_LATENCY_MS, "control/immediate-exit: at once (%.3f ms)", t1 - t0);
	tap_ok(!vcpu_get_regs(vcpu, &regs) && regs.rip == GUEST_CODE_GPA,
	       "control/immediate-exit: the guest did not run (RIP unchanged)");
	vcpu->run->immediate_exit = 0;
	if (expect_out(vcpu, PORT_FIRST, 1, 1, "with immediate_exit = 0 the guest runs"))
		expect_hlt(vcpu, GUEST_ANY_RIP, "and finishes");
	vcpu_free(vcpu);
	vm_free(vm);
}

static void test_kick_before_run(void)
{
	struct vm *vm;
	struct vcpu *vcpu;
	struct vmain_regs regs;
	double t0, t1;
	int ret;

	if (!boot(&vm, &vcpu, GUEST_SNIPPET(gl_first)))
		return;
	tap_errno(ioctl(vcpu->fd, VMAIN_VCPU_KICK, 1), EINVAL,
		  "control/kick-before-run: KICK with a non-zero argument");
	tap_ok(ioctl(vcpu->fd, VMAIN_VCPU_KICK, 0) == 0,
	       "control/kick-before-run: KICK with no RUN in progress");
	vcpu->run->exit_reason = VMAIN_EXIT_NONE;
	t0 = guest_now_ms();
	ret = vcpu_run(vcpu);
	t1 = guest_now_ms();
	tap_ok(ret == 0 && vcpu->run->exit_reason == VMAIN_EXIT_KICK,
	       "control/kick-before-run: the next RUN returns VMAIN_EXIT_KICK");
	if (ret != 0 || vcpu->run->exit_reason != VMAIN_EXIT_KICK)
		tap_diag("  ret %d errno %d, %s", ret, ret ? errno : 0, exit_str(vcpu));
	tap_ok(t1 - t0 < MAX_LATENCY_MS, "control/kick-before-run: at once (%.3f ms)", t1 - t0);
	tap_ok(!vcpu_get_regs(vcpu, &regs) && regs.rip == GUEST_CODE_GPA,
	       "control/kick-before-run: the guest did not run (RIP unchanged)");
	if (expect_out(vcpu, PORT_FIRST, 1, 1, "the RUN after that runs the guest (the kick was used up)"))
		expect_hlt(vcpu, GUEST_ANY_RIP, "and finishes");
	vcpu_free(vcpu);
	vm_free(vm);
}

/* 2 VMs x 2 vCPUs. */
struct looper {
	struct vcpu *vcpu;
	__u32 tag;
	unsigned long n, outs;
	bool ok;
	char why[400];
	pthread_t thread;
};

static void *looper_main(void *arg)
{
	struct looper *l = arg;
	unsigned long i;
	__u32 v;

	l->ok = false;
	for (i = 0; i < l->n; i++) {
		if (!run_get_out(l->vcpu, PORT_LOOP, 4, &v, l->why, sizeof(l->why)))
			goto out;
		if (v != l->tag + (__u32)i) {
			snprintf(l->why, sizeof(l->why), "OUT %lu: 0x%x, want 0x%x",
				 i, v, l->tag + (__u32)i);
			goto out;
		}
		l->outs++;
	}
	if (!vcpu_run_expect(l->vcpu, VMAIN_EXIT_HLT, l->why, sizeof(l->why)))
		goto out;
	l->ok = true;
out:
	guest_thread_done();
	return NULL;
}

static void test_concurrent(void)
{
	struct vm *vms[2] = { NULL, NULL };
	struct looper l[4];
	unsigned long n = guest_iters;
	unsigned int i, started = 0;
	double t0;

	memset(l, 0, sizeof(l));
	if (n == 0 || n >= (1UL << 24)) {
		guest_fail("-n must be 1 .. 2^24-1");
		return;
	}
	for (i = 0; i < 2; i++) {
		vms[i] = vm_new();
		if (!vms[i])
			goto out;
		vm_write(vms[i], GUEST_CODE_GPA, gl_loop_start,
			 (size_t)(gl_loop_end - gl_loop_start));
	}
	for (i = 0; i < 4; i++) {
		struct vmain_regs regs;

		l[i].vcpu = vcpu_new(vms[i / 2], i % 2);
		if (!l[i].vcpu || vcpu_setup(l[i].vcpu, GUEST_LONG64, GUEST_CODE_GPA) ||
		    vcpu_get_regs(l[i].vcpu, &regs))
			goto out;
		l[i].tag = (i + 1) << 24;
		l[i].n = n;
		regs.rbx = l[i].tag;
		regs.rcx = n;
		if (vcpu_set_regs(l[i].vcpu, &regs))
			goto out;
	}
	t0 = guest_now_ms();
	for (i = 0; i < 4; i++) {
		if (pthread_create(&l[i].thread, NULL, looper_main, &l[i])) {
			guest_fail("pthread_create failed");
			break;
		}
		started++;
	}
	for (i = 0; i < started; i++)
		pthread_join(l[i].thread, NULL);
	for (i = 0; i < started; i++) {
		tap_ok(l[i].ok,
		       "control/concurrent: VM %u vCPU %u: %lu OUTs with its own values, then HLT (%lu done)",
		       i / 2, i % 2, n, l[i].outs);
		if (!l[i].ok)
			tap_diag("  %s", l[i].why);
	}
	tap_diag("4 vCPUs x %lu exits in %.1f ms; exits_in_kernel %llu %llu %llu %llu",
		 n, guest_now_ms() - t0,
		 (unsigned long long)l[0].vcpu->run->exits_in_kernel,
		 (unsigned long long)l[1].vcpu->run->exits_in_kernel,
		 (unsigned long long)l[2].vcpu->run->exits_in_kernel,
		 (unsigned long long)l[3].vcpu->run->exits_in_kernel);
out:
	for (i = 0; i < 4; i++)
		vcpu_free(l[i].vcpu);
	vm_free(vms[0]);
	vm_free(vms[1]);
}

/*
 * Under an emulator, every entry with a virtual interrupt pending (the
 * window: V_IRQ on AMD) is where QEMU TCG before 10.2 can drop one of the
 * host's own interrupts (svm/run.c, svm_recheck_host_apic()).  A vCPU
 * makes such entries as fast as the module can (CPUID exits it handles
 * itself, IF=0, window requested) on the last CPU, and a host thread on
 * the same CPU sleeps 1 ms at a time: its wakeups are that CPU's timer
 * interrupts, and the scheduler's tick is what lets it share the CPU with
 * the vCPU thread.  If the CPU's timer interrupt is lost, the ticker stops
 * until something else interrupts that CPU; it must keep ticking.
 */
#define STORM_SECONDS		6	/* well under the RUN timeout (-T, 10 s) */
#define STORM_MAX_GAP_MS	500.0	/* TCG: a few tens of ms at worst */
#define STORM_COUNTER		(GUEST_SCRATCH_GPA + 0x200)

struct ticker {
	atomic_bool quit;
	atomic_ulong ticks;
	double worst_gap;	/* ms between two wakeups, at most */
	pthread_t thread;
};

static void *ticker_main(void *arg)
{
	struct ticker *t = arg;
	double last = guest_now_ms();

	while (!atomic_load(&t->quit)) {
		struct timespec ms = { 0, 1000000 };
		double now;

		nanosleep(&ms, NULL);
		now = guest_now_ms();
		if (now - last > t->worst_gap)
			t->worst_gap = now - last;
		last = now;
		atomic_fetch_add(&t->ticks, 1);
	}
	return NULL;
}

static bool pin(pthread_t thread, int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return !pthread_setaffinity_np(thread, sizeof(set), &set);
}

static void test_window_storm(void)
{
	int cpu = (int)sysconf(_SC_NPROCESSORS_ONLN) - 1;
	struct ticker t;
	struct runner r;
	struct vcpu *vcpu;
	struct vm *vm;
	__u64 c0, c1;
	double t0;
	bool ran = false;

	memset(&t, 0, sizeof(t));
	if (!boot(&vm, &vcpu, GUEST_SNIPPET(gl_cpuid_spin)))
		return;
	if (vcpu_set_reg(vcpu, R_R8, STORM_COUNTER)) {
		guest_fail("SET_REGS failed");
		goto out;
	}
	vcpu->run->request_interrupt_window = 1;
	if (!runner_start(&r, vcpu))
		goto out;
	if (pthread_create(&t.thread, NULL, ticker_main, &t)) {
		guest_fail("pthread_create failed");
		goto stop_runner;
	}
	if (cpu < 0 || !pin(r.thread, cpu) || !pin(t.thread, cpu))
		guest_fail("pinning the vCPU and the ticker to CPU %d failed", cpu);

	sem_post(&r.go);
	t0 = guest_now_ms();
	while (guest_now_ms() - t0 < STORM_SECONDS * 1000.0) {
		struct timespec step = { 0, 100000000 };

		nanosleep(&step, NULL);
	}
	c0 = *(volatile __u64 *)vm_gpa(vm, STORM_COUNTER);
	atomic_store(&t.quit, true);
	pthread_join(t.thread, NULL);
	/*
	 * Still running means the counter moves on: give it up to 2 s, as an
	 * arena on a loaded host may not schedule the vCPU for a while.
	 */
	t0 = guest_now_ms();
	do {
		struct timespec step = { 0, 10000000 };

		c1 = *(volatile __u64 *)vm_gpa(vm, STORM_COUNTER);
		if (c1 > c0)
			break;
		nanosleep(&step, NULL);
	} while (guest_now_ms() - t0 < 2000.0);

	tap_ok(t.worst_gap < STORM_MAX_GAP_MS,
	       "control/window-storm: a 1 ms sleeper on the vCPU's CPU %d kept waking (%lu times, longest gap %.1f ms)",
	       cpu, atomic_load(&t.ticks), t.worst_gap);
	tap_ok(c1 > c0, "control/window-storm: the vCPU still runs after %d s (%llu CPUIDs)",
	       STORM_SECONDS, (unsigned long long)c1);
	ioctl(vcpu->fd, VMAIN_VCPU_KICK, 0);
	ran = sem_wait_ms(&r.done, 5000);
	tap_ok(ran && r.ret == 0 && r.reason == VMAIN_EXIT_KICK,
	       "control/window-storm: KICK ends the RUN");
	if (ran && (r.ret != 0 || r.reason != VMAIN_EXIT_KICK))
		tap_diag("  ret %d errno %d, exit %s%s", r.ret, r.err, exit_name(r.reason),
			 r.timed_out ? " (the RUN timed out)" : "");
stop_runner:
	runner_stop(&r);
out:
	guest_shutdown(&vm, &vcpu);
}

int main(int argc, char **argv)
{
	guest_init(argc, argv, 5000);
	if (guest_want("control/signal")) {
		guest_case("control/signal");
		interrupt_rounds(false);
	}
	if (guest_want("control/immediate-exit")) {
		guest_case("control/immediate-exit");
		test_immediate_exit();
	}
	if (guest_want("control/kick")) {
		guest_case("control/kick");
		interrupt_rounds(true);
	}
	if (guest_want("control/kick-before-run")) {
		guest_case("control/kick-before-run");
		test_kick_before_run();
	}
	if (guest_want("control/concurrent")) {
		guest_case("control/concurrent");
		test_concurrent();
	}
	if (guest_want("control/window-storm")) {
		guest_case("control/window-storm");
		test_window_storm();
	}
	close(guest_devfd);
	return guest_done();
}
