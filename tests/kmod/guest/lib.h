/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * lib.h - a small KVM-selftest-style library for the guest-execution ABI of
 * /dev/vm-main (memory slots, vCPUs, the run loop, exits).
 *
 * The same binaries run on every engine (AMD-V in the QEMU TCG arena, VT-x
 * in the Bochs arena), so nothing here depends on the engine: guests are set
 * up in real mode, 32-bit protected mode or 64-bit long mode entirely with
 * VMAIN_VCPU_SET_SREGS/SET_REGS, with the descriptor tables and page tables
 * written into guest memory by the library.
 *
 * Guest code is written in the test files as top-level asm() blocks:
 *
 *	GUEST_CODE(g64_hello);
 *	asm(GUEST_ASM_BEGIN(".code64")
 *	    "g64_hello_start:\n"
 *	    "	out %al, $0x10\n"
 *	    "	hlt\n"
 *	    "g64_hello_end:\n"
 *	    GUEST_ASM_END);
 *
 * and loaded with vcpu_start(vcpu, GUEST_LONG64, GUEST_SNIPPET(g64_hello)).
 * Snippets must be position-independent: they are copied to GUEST_CODE_GPA
 * and, in real mode, run with CS.base = GUEST_CODE_GPA and IP = offset, so
 * `label - start` differences are the IP of a label; in 32/64-bit mode
 * code addresses are GUEST_CODE_GPA + offset.  Absolute addresses in guest
 * code are only the constants below (passed in with GUEST_STR()).
 *
 * Threads: the expect_*() helpers print TAP lines and must only be called
 * from the main thread; vcpu_run() is safe from any thread.
 */
#ifndef VMAIN_TESTS_KMOD_GUEST_LIB_H
#define VMAIN_TESTS_KMOD_GUEST_LIB_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmain.h"
#include "tap.h"

#define GUEST_XSTR(x)	#x
#define GUEST_STR(x)	GUEST_XSTR(x)

#define GUEST_PAGE	4096ULL

/*
 * Guest-physical layout of the low RAM slot that vm_new() creates (slot
 * GUEST_LOWMEM_SLOT, 0 .. GUEST_LOWMEM_SIZE, memfd-backed).
 */
#define GUEST_IVT_GPA		0x00000	/* real-mode IVT, 256 x 4 bytes */
#define GUEST_GDT_GPA		0x01000	/* GDT, selectors below */
#define GUEST_IDT64_GPA		0x02000	/* 64-bit IDT, 256 x 16 bytes */
#define GUEST_IDT32_GPA		0x03000	/* 32-bit IDT, 256 x 8 bytes */
#define GUEST_TSS_GPA		0x03800	/* TSS (0x68 bytes, zero) */
#define GUEST_STUBS64_GPA	0x04000	/* vector stubs, 16 bytes each */
#define GUEST_STUBS32_GPA	0x05000
#define GUEST_STUBS16_GPA	0x06000
#define GUEST_COMMON64_GPA	0x07000	/* the stubs' common handler */
#define GUEST_COMMON32_GPA	0x07100
#define GUEST_COMMON16_GPA	0x07200
#define GUEST_SCRATCH_GPA	0x08000	/* one zeroed page for flags, counters */
#define GUEST_PML4_GPA		0x10000
#define GUEST_PDPT_GPA		0x11000
#define GUEST_PD_GPA		0x12000	/* 8 pages: 0 .. 8 GiB, 2 MiB pages */
#define GUEST_CODE_GPA		0x20000	/* 64 KiB of guest code */
#define GUEST_STACK_TOP		0x40000	/* vCPU n: RSP = top - 0x10 - n * 0x1000 */
#define GUEST_DATA_GPA		0x40000	/* 256 KiB of data for the tests */
#define GUEST_LOWMEM_SIZE	0x80000
#define GUEST_LOWMEM_SLOT	0

/* Guest-physical addresses that no slot covers in a vm_new() VM. */
#define GUEST_MMIO_LOW		0xd0000		/* reachable from real mode */
#define GUEST_MMIO_HIGH		0xc0000000	/* 3 GiB */
#define GUEST_IDMAP_SIZE	(8ULL << 30)	/* the 64-bit identity map */

/* Selectors of the GDT. */
#define GUEST_SEL_CODE64	0x08
#define GUEST_SEL_DATA		0x10
#define GUEST_SEL_CODE32	0x18
#define GUEST_SEL_CODE16	0x20
#define GUEST_SEL_TSS		0x28	/* 16 bytes (64-bit TSS descriptor) */

/*
 * Ports.  Every IDT/IVT vector v has a stub that does OUT of v (1 byte) to
 * GUEST_PORT_VECTOR and returns with IRET.  Tests use GUEST_PORT_SYNC as a
 * checkpoint ("out %al, $0xee").
 */
#define GUEST_PORT_VECTOR	0xe0
#define GUEST_PORT_SYNC		0xee

/*
 * The stack of a vector stub at its GUEST_PORT_VECTOR exit, in slots of the
 * mode's width (2, 4 or 8 bytes) from RSP: the saved accumulator, the
 * vector, the error code (0 when the CPU pushed none), then the CPU's frame
 * (RIP, CS, RFLAGS).  The stubs of vectors 8, 10-14, 17, 21, 29 and 30
 * expect the CPU to push an error code (in 32/64-bit mode), so external
 * interrupts and NMIs must not use those vectors.
 */
#define GUEST_FRAME_VECTOR	1
#define GUEST_FRAME_ERROR	2
#define GUEST_FRAME_RIP		3
#define GUEST_FRAME_CS		4
#define GUEST_FRAME_RFLAGS	5

enum guest_mode { GUEST_REAL, GUEST_PROT32, GUEST_LONG64 };

/* Register numbers in struct vmain_regs (encoding order). */
enum guest_reg {
	R_RAX, R_RCX, R_RDX, R_RBX, R_RSP, R_RBP, R_RSI, R_RDI,
	R_R8, R_R9, R_R10, R_R11, R_R12, R_R13, R_R14, R_R15, R_RIP, R_RFLAGS,
};

#define GUEST_MAX_SLOTS	32

enum guest_backing { GUEST_MEMFD, GUEST_ANON };

struct guest_slot {
	bool used;
	__u32 flags;
	__u64 gpa, size;
	void *hva;
	int memfd;		/* -1 for anonymous memory */
};

struct vm {
	int fd;
	__u8 uuid[16];
	struct guest_slot slots[GUEST_MAX_SLOTS];
};

struct vcpu {
	struct vm *vm;
	int fd;
	unsigned int id;
	struct vmain_run *run;
	size_t run_size;
	enum guest_mode mode;
	bool timed_out;		/* the last vcpu_run() hit the timeout */
};

/* Declares the start/end labels of a guest snippet. */
#define GUEST_CODE(name) \
	extern const unsigned char name##_start[], name##_end[]
/* Declares an inner label of a snippet. */
#define GUEST_LABEL(label) extern const unsigned char label[]
/* The arguments of vcpu_start() for a snippet. */
#define GUEST_SNIPPET(name) name##_start, name##_end
/* The offset of an inner label in its snippet. */
#define GUEST_OFF(name, label) \
	((uint64_t)((uintptr_t)(label) - (uintptr_t)(name##_start)))

#define GUEST_ASM_BEGIN(code) ".pushsection .rodata\n" code "\n"
#define GUEST_ASM_END ".code64\n.popsection\n"

/* ---- setup ---- */

/*
 * Parses the common options and opens the device (reporting a failure as a
 * TAP line and exiting if it cannot):
 *   -n N        iteration count for loops (guest_iters, default `iters`)
 *   -T SECONDS  timeout for one vcpu_run() (default 10, env
 *               VMAIN_GUEST_TIMEOUT)
 *   NAME...     run only the cases whose name contains one of NAMEs
 */
void guest_init(int argc, char **argv, unsigned long iters);
bool guest_want(const char *casename);

/*
 * tap.h keeps its counters in static variables, one copy per translation
 * unit: the lines lib.c prints are counted in lib.c's copy.  guest_done()
 * adds them to the caller's and returns tap_done(); tests end with it.
 */
/* A named test case: runs when its name passes the command-line filter. */
struct guest_test {
	const char *name;
	void (*fn)(void);
};

/* Runs every case of tests[] the command line selects (guest_want). */
void guest_run_tests(const struct guest_test *tests, size_t n);

/*
 * A fresh VM with low RAM and one vCPU 0 started in `mode` at the code
 * [start, end); false (and nothing left allocated) if that failed.
 */
bool guest_boot(struct vm **vm, struct vcpu **vcpu, enum guest_mode mode,
		const unsigned char *start, const unsigned char *end);
/* Frees what guest_boot() made and clears both pointers. */
void guest_shutdown(struct vm **vm, struct vcpu **vcpu);

void guest_lib_counts(unsigned int *passed, unsigned int *failed);
static inline int guest_done(void)
{
	unsigned int passed, failed;

	guest_lib_counts(&passed, &failed);
	tap_passed += passed;
	tap_failed += failed;
	return tap_done();
}
extern unsigned long guest_iters;
extern unsigned int guest_timeout_s;
extern int guest_devfd;

/* VMAIN_CHECK_CAP on the device. */
long guest_cap(unsigned long cap);
/* VMAIN_GET_VCPU_MMAP_SIZE. */
long guest_mmap_size(void);
void guest_random_uuid(__u8 uuid[16]);

/*
 * Failures of setup calls are reported as "not ok - CONTEXT: ..." where
 * CONTEXT is the current case name.
 */
void guest_case(const char *name);
const char *guest_case_name(void);
__attribute__((format(printf, 1, 2))) void guest_fail(const char *fmt, ...);

/* A VM with no memory. */
struct vm *vm_new_bare(void);
/* A VM with the low RAM slot and the descriptor/page tables in it. */
struct vm *vm_new(void);
void vm_free(struct vm *vm);

/* Host memory for a slot: memfd (MAP_SHARED) or anonymous (MAP_PRIVATE). */
void *guest_alloc(size_t size, enum guest_backing backing, int *memfd);
/*
 * Adds a slot backed by new memory (zeroed); returns 0, or -1 with errno
 * (reported).  vm_set_region() is the raw ioctl.
 */
int vm_add_slot(struct vm *vm, __u32 slot, __u64 gpa, __u64 size, __u32 flags,
		enum guest_backing backing);
int vm_set_region(struct vm *vm, __u32 slot, __u32 flags, __u64 gpa,
		  __u64 size, __u64 uaddr);
/* Deletes a slot added by vm_add_slot() and frees its memory. */
int vm_del_slot(struct vm *vm, __u32 slot);
/* The host address of a guest-physical address in a slot, or NULL. */
void *vm_gpa(struct vm *vm, __u64 gpa);
void vm_write(struct vm *vm, __u64 gpa, const void *src, size_t len);
void vm_read(struct vm *vm, __u64 gpa, void *dst, size_t len);
/* Writes the GDT, IDTs, vector stubs and page tables into low RAM. */
void vm_write_tables(struct vm *vm);
/*
 * Rewrites the 32- and 64-bit stubs of `vector` for an event that pushes
 * no error code (an external interrupt on vector 8, 10-14, ...).
 */
void vm_stub_no_error(struct vm *vm, unsigned int vector);

struct vcpu *vcpu_new(struct vm *vm, unsigned int id);
void vcpu_free(struct vcpu *vcpu);

/*
 * Sets the vCPU up in `mode` at `entry` (real mode: CS = entry >> 4, IP = 0;
 * entry must be 16-byte aligned), RFLAGS = 2 (IF=0), RSP at the vCPU's
 * stack, every other GPR 0.  Returns 0 or -1 (reported).
 */
int vcpu_setup(struct vcpu *vcpu, enum guest_mode mode, __u64 entry);
/* Copies [start, end) to GUEST_CODE_GPA and vcpu_setup()s there. */
int vcpu_start(struct vcpu *vcpu, enum guest_mode mode,
	       const unsigned char *start, const unsigned char *end);
/* The RIP that offset `off` of the loaded snippet has in the vCPU's mode. */
__u64 vcpu_code_rip(struct vcpu *vcpu, __u64 off);
/* The initial RSP of the vCPU. */
__u64 vcpu_stack_top(const struct vcpu *vcpu);
/* Fills `s` with the segment state `mode` uses. */
void guest_sregs_for_mode(struct vmain_sregs *s, enum guest_mode mode);

/*
 * VMAIN_VCPU_RUN with the timeout guard: a per-thread timer sends SIGALRM
 * after guest_timeout_s, which interrupts RUN (EINTR); then vcpu->timed_out
 * is set.  Returns the ioctl's result with errno.
 */
int vcpu_run(struct vcpu *vcpu);
/* Removes the calling thread's timer (call before a thread exits). */
void guest_thread_done(void);

/*
 * Quiet building blocks for custom checks: run once and expect `reason`
 * (and for run_get_out() an OUT of `size` bytes to `port`, whose value is
 * stored in *value).  On failure they fill `why` and return false; they
 * print nothing, so threads may use them.
 */
bool vcpu_run_expect(struct vcpu *vcpu, __u32 reason, char *why, size_t n);
bool run_get_out(struct vcpu *vcpu, __u16 port, unsigned int size,
		 __u32 *value, char *why, size_t n);

/* Register access; failures are reported and return -1. */
int vcpu_get_regs(struct vcpu *vcpu, struct vmain_regs *regs);
int vcpu_set_regs(struct vcpu *vcpu, const struct vmain_regs *regs);
int vcpu_get_sregs(struct vcpu *vcpu, struct vmain_sregs *sregs);
int vcpu_set_sregs(struct vcpu *vcpu, const struct vmain_sregs *sregs);
__u64 vcpu_reg(struct vcpu *vcpu, enum guest_reg reg);
int vcpu_set_reg(struct vcpu *vcpu, enum guest_reg reg, __u64 value);
static inline __u64 *regs_ptr(struct vmain_regs *regs, enum guest_reg reg)
{
	return &((__u64 *)regs)[reg];
}

/* A one-line description of the last exit (for diagnostics). */
const char *exit_str(const struct vcpu *vcpu);
const char *exit_name(__u32 reason);
/* Data of an I/O exit (checked to lie inside the mapping), or NULL. */
void *io_data(struct vcpu *vcpu);

/*
 * The expect_*() helpers run the vCPU once and check the exit; each prints
 * exactly one TAP line ("what" is printf-style) and returns whether it
 * passed.  A timeout or an unexpected exit is reported with the exit.
 */
__attribute__((format(printf, 3, 4)))
bool expect_exit(struct vcpu *vcpu, __u32 reason, const char *what, ...);
__attribute__((format(printf, 5, 6)))
bool expect_out(struct vcpu *vcpu, __u16 port, unsigned int size, __u32 value,
		const char *what, ...);
/* Expects IN of `size` at `port` and supplies `value` to it. */
__attribute__((format(printf, 5, 6)))
bool expect_in(struct vcpu *vcpu, __u16 port, unsigned int size, __u32 value,
	       const char *what, ...);
__attribute__((format(printf, 5, 6)))
bool expect_mmio_write(struct vcpu *vcpu, __u64 gpa, unsigned int len,
		       __u64 value, const char *what, ...);
/* Expects a read of `len` at `gpa` and supplies `value`. */
__attribute__((format(printf, 5, 6)))
bool expect_mmio_read(struct vcpu *vcpu, __u64 gpa, unsigned int len,
		      __u64 value, const char *what, ...);
/* HLT exit with RIP == rip (GUEST_ANY_RIP: not checked). */
#define GUEST_ANY_RIP	(~0ULL)
__attribute__((format(printf, 3, 4)))
bool expect_hlt(struct vcpu *vcpu, __u64 rip, const char *what, ...);
/* The stub of `vector` reported it (OUT to GUEST_PORT_VECTOR). */
__attribute__((format(printf, 3, 4)))
bool expect_vector(struct vcpu *vcpu, unsigned int vector, const char *what, ...);

/* Runs to the next GUEST_PORT_SYNC OUT (one TAP line). */
__attribute__((format(printf, 2, 3)))
bool expect_sync(struct vcpu *vcpu, const char *what, ...);
/*
 * Runs to the next GUEST_PORT_SYNC OUT.  Silent when it gets there; prints a
 * "not ok" line and returns false otherwise.
 */
bool run_to_sync(struct vcpu *vcpu, const char *what);
/* Prints one line: the register's bits in `mask` equal `want`. */
bool check_reg(struct vcpu *vcpu, enum guest_reg reg, __u64 mask, __u64 want,
	       const char *what);

/* The vector stub's frame at a GUEST_PORT_VECTOR exit. */
struct guest_frame {
	__u64 vector, error, rip, cs, rflags;
	__u64 gpa;		/* guest-physical address of slot 0 */
	unsigned int width;	/* slot width: 2, 4 or 8 */
};
int guest_read_frame(struct vcpu *vcpu, struct guest_frame *frame);
/* Changes the RIP the stub's IRET returns to. */
int guest_frame_set_rip(struct vcpu *vcpu, __u64 rip);

/* Milliseconds of CLOCK_MONOTONIC. */
double guest_now_ms(void);

#endif
