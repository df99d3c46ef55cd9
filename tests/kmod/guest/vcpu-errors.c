// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vcpu-errors.c - the vCPU fd: creation, mapping, argument checks, fd
 * kinds, process binding, lifetime, and how exits are counted:
 *
 *   vcpu/create         ids 0 .. VMAIN_CAP_MAX_VCPUS-1; id >= max (also ids
 *                       that only fit 64 bits): EINVAL; the same id twice,
 *                       or again after its fd was closed: EEXIST; O_CLOEXEC
 *   vcpu/mmap           GET_VCPU_MMAP_SIZE is two pages; mmap with offset
 *                       != 0 or size > that: EINVAL
 *   vcpu/initial-state  the x86 RESET state; RFLAGS bit 1 reads 1; REGS and
 *                       SREGS round trips
 *   vcpu/reset-state    every value docs/abi.md documents for a new vCPU:
 *                       GPRs, each segment's selector/base/limit/attributes
 *                       (TR a busy TSS, LDTR an LDT), tables, CRs, EFER,
 *                       apic_base (BSP bit on vCPU 0 only), no events, an
 *                       empty CPUID table, the MSRs the module keeps, XCR0
 *                       and the x87/SSE control words
 *   MODE/zero-tr-ldt    an all-zero TR and LDTR (MODE prot32, long64) run
 *                       on every engine and deliver an exception; GET_SREGS
 *                       reports them unusable, with selector, base, limit;
 *                       so do an unusable TR with selector TI 1, with a
 *                       limit >= 1 MiB whose bits 11:0 are not all ones,
 *                       and with a non-canonical base (read back canonical)
 *   vcpu/bad-args       RUN with arg != 0; SET_REGS/SET_SREGS/SET_EVENTS/
 *                       SET_FPU with non-zero flags/pad/reserved, EFER bits
 *                       outside the guest's, cr8 > 15, reserved apic_base
 *                       bits: EINVAL;
 *                       bad pointers: EFAULT; nothing changed
 *   vcpu/wrong-fd       vCPU ioctls on the VM and device fds and vice versa:
 *                       ENOTTY; read/write/lseek on a vCPU fd: EINVAL
 *   vcpu/fork           the vCPU fd in another process: EPERM (ioctls, mmap)
 *   vcpu/vm-close       closing the VM fd keeps the VM (memory, UUID) alive
 *                       while a vCPU fd or its mapping remains
 *   vcpu/exit-count     one RUN return per exit to userspace (N OUTs: N
 *                       returns); in-kernel exits (CPUID) do not return and
 *                       count in exits_in_kernel (also in a # line)
 *   vcpu/set-regs-discards  SET_REGS at an IN exit drops the IN's completion
 *
 * Usage: vcpu-errors [-n N] [-T TIMEOUT] [CASE...]
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "lib.h"
#include "util.h"

#define KERNEL_ADDR	((void *)0xffff888000000000UL)
#define PORT_OUT	0x40
#define PORT_END	0x41

GUEST_CODE(gl_hlt);
GUEST_CODE(gl_mem);
GUEST_CODE(gl_outs);
GUEST_CODE(gl_cpuids);
GUEST_CODE(gl_in); GUEST_LABEL(gl_in_other);

asm(GUEST_ASM_BEGIN(".code64")
    "gl_hlt_start:\n"
    "	hlt\n"
    "gl_hlt_end:\n"
    "gl_mem_start:\n"
    "	movl $0x5a5a5a5a, " GUEST_STR(GUEST_SCRATCH_GPA) "\n"
    "	mov " GUEST_STR(GUEST_SCRATCH_GPA) ", %eax\n"
    "	out %eax, $" GUEST_STR(PORT_OUT) "\n"
    "	hlt\n"
    "gl_mem_end:\n"
    /* RCX OUTs, then HLT. */
    "gl_outs_start:\n"
    "1:	out %al, $" GUEST_STR(PORT_OUT) "\n"
    "	dec %ecx\n"
    "	jnz 1b\n"
    "	hlt\n"
    "gl_outs_end:\n"
    /* R8 CPUIDs, then one OUT. */
    "gl_cpuids_start:\n"
    "1:	xor %eax, %eax\n"
    "	xor %ecx, %ecx\n"
    "	cpuid\n"
    "	dec %r8d\n"
    "	jnz 1b\n"
    "	xor %eax, %eax\n"
    "	out %al, $" GUEST_STR(PORT_END) "\n"
    "	hlt\n"
    "gl_cpuids_end:\n"
    /* IN, then OUT of what it read; elsewhere, OUT of AL as it is. */
    "gl_in_start:\n"
    "	in $" GUEST_STR(PORT_OUT) ", %al\n"
    "	out %al, $" GUEST_STR(PORT_OUT) "\n"
    "	hlt\n"
    "gl_in_other:\n"
    "	out %al, $" GUEST_STR(PORT_END) "\n"
    "	hlt\n"
    "gl_in_end:\n"
    GUEST_ASM_END);

static bool boot(struct vm **vm, struct vcpu **vcpu, const unsigned char *start,
		 const unsigned char *end)
{
	return guest_boot(vm, vcpu, GUEST_LONG64, start, end);
}

static void test_create(void)
{
	long max = guest_cap(VMAIN_CAP_MAX_VCPUS);
	struct rlimit rl;
	struct vm *vm;
	int *fds, fd, flags, n = 0;
	long i;

	if (!tap_ok(max >= 1 && max <= 4096, "vcpu/create: VMAIN_CAP_MAX_VCPUS is %ld (1..4096)", max))
		return;
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < (rlim_t)max + 64) {
		rl.rlim_cur = (rlim_t)max + 64;
		if (rl.rlim_max < rl.rlim_cur)
			rl.rlim_max = rl.rlim_cur;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	fds = calloc((size_t)max, sizeof(*fds));
	vm = vm_new_bare();
	if (!vm || !fds)
		goto out;
	for (i = 0; i < max; i++)
		fds[i] = -1;
	fds[0] = ioctl(vm->fd, VMAIN_VM_CREATE_VCPU, 0UL);
	if (!tap_ok(fds[0] >= 0, "vcpu/create: CREATE_VCPU 0")) {
		tap_diag("  errno %d (%s)", errno, strerror(errno));
		goto out;
	}
	flags = fcntl(fds[0], F_GETFD);
	tap_ok(flags >= 0 && (flags & FD_CLOEXEC), "vcpu/create: the vCPU fd is O_CLOEXEC");
	tap_errno(ioctl(vm->fd, VMAIN_VM_CREATE_VCPU, 0UL), EEXIST,
		  "vcpu/create: CREATE_VCPU 0 again");
	tap_errno(ioctl(vm->fd, VMAIN_VM_CREATE_VCPU, (unsigned long)max), EINVAL,
		  "vcpu/create: CREATE_VCPU VMAIN_CAP_MAX_VCPUS (%ld)", max);
	tap_errno(ioctl(vm->fd, VMAIN_VM_CREATE_VCPU, 0xffffffffUL), EINVAL,
		  "vcpu/create: CREATE_VCPU 0xffffffff");
	tap_errno(ioctl(vm->fd, VMAIN_VM_CREATE_VCPU, 1UL << 32), EINVAL,
		  "vcpu/create: CREATE_VCPU 2^32 (not truncated to 0)");
	tap_errno(ioctl(vm->fd, VMAIN_VM_CREATE_VCPU, ~0UL), EINVAL,
		  "vcpu/create: CREATE_VCPU ~0");
	n = 1;
	for (i = max - 1; i >= 1; i--) {
		fds[i] = ioctl(vm->fd, VMAIN_VM_CREATE_VCPU, (unsigned long)i);
		if (fds[i] < 0) {
			tap_diag("CREATE_VCPU %ld: errno %d (%s)", i, errno, strerror(errno));
			break;
		}
		n++;
	}
	tap_ok(n == max, "vcpu/create: all %ld vCPU ids can be created, highest first (%d)", max, n);
	tap_errno(ioctl(vm->fd, VMAIN_VM_CREATE_VCPU, (unsigned long)(max - 1)), EEXIST,
		  "vcpu/create: CREATE_VCPU of the highest id again");
	if (max > 1) {
		close(fds[1]);
		fds[1] = -1;
		fd = ioctl(vm->fd, VMAIN_VM_CREATE_VCPU, 1UL);
		tap_errno(fd, EEXIST,
			  "vcpu/create: ids are not reused while the VM lives (vCPU 1's fd closed)");
		if (fd >= 0)
			fds[1] = fd;
	}
out:
	if (fds)
		for (i = 0; i < max; i++)
			if (fds[i] >= 0)
				close(fds[i]);
	free(fds);
	vm_free(vm);
}

static void test_mmap(void)
{
	long size = guest_mmap_size();
	struct vm *vm = vm_new_bare();
	void *p;
	int fd;

	tap_ok(size == 2 * 4096, "vcpu/mmap: GET_VCPU_MMAP_SIZE is two pages (%ld)", size);
	tap_errno(ioctl(guest_devfd, VMAIN_GET_VCPU_MMAP_SIZE, 1), EINVAL,
		  "vcpu/mmap: GET_VCPU_MMAP_SIZE with a non-zero argument");
	if (!vm || size <= 0)
		goto out;
	fd = ioctl(vm->fd, VMAIN_VM_CREATE_VCPU, 0UL);
	if (fd < 0) {
		guest_fail("CREATE_VCPU: %s", strerror(errno));
		goto out;
	}
	p = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	tap_ok(p != MAP_FAILED, "vcpu/mmap: mmap of the whole size at offset 0");
	if (p != MAP_FAILED) {
		tap_ok(((struct vmain_run *)p)->exit_reason == VMAIN_EXIT_NONE &&
		       ((struct vmain_run *)p)->immediate_exit == 0,
		       "vcpu/mmap: a new vCPU's run structure reads exit_reason NONE");
		munmap(p, (size_t)size);
	}
	p = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 4096);
	tap_ok(p == MAP_FAILED && errno == EINVAL, "vcpu/mmap: offset 4096: EINVAL");
	if (p != MAP_FAILED)
		munmap(p, (size_t)size);
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 4096);
	tap_ok(p == MAP_FAILED && errno == EINVAL, "vcpu/mmap: one page at offset 4096: EINVAL");
	if (p != MAP_FAILED)
		munmap(p, 4096);
	p = mmap(NULL, (size_t)size + 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	tap_ok(p == MAP_FAILED && errno == EINVAL, "vcpu/mmap: size + one page: EINVAL");
	if (p != MAP_FAILED)
		munmap(p, (size_t)size + 4096);
	close(fd);
out:
	vm_free(vm);
}

static void test_initial_state(void)
{
	struct vm *vm = vm_new();
	struct vcpu *vcpu;
	struct vmain_regs r, r2;
	struct vmain_sregs s, s2;
	unsigned int i;
	bool ok;

	if (!vm)
		return;
	vcpu = vcpu_new(vm, 0);
	if (!vcpu || vcpu_get_regs(vcpu, &r) || vcpu_get_sregs(vcpu, &s))
		goto out;
	ok = r.rip == 0xfff0 && r.rflags == 2;
	for (i = R_RAX; i <= R_R15; i++)
		if (i != R_RDX)
			ok = ok && *regs_ptr(&r, (enum guest_reg)i) == 0;
	tap_ok(ok, "vcpu/initial-state: RESET registers: RIP 0xfff0, RFLAGS 2, GPRs 0 (but RDX)");
	if (!ok)
		tap_diag("  rip 0x%llx rflags 0x%llx rax 0x%llx rsp 0x%llx",
			 (unsigned long long)r.rip, (unsigned long long)r.rflags,
			 (unsigned long long)r.rax, (unsigned long long)r.rsp);
	tap_diag("RESET RDX 0x%llx, apic_base 0x%llx", (unsigned long long)r.rdx,
		 (unsigned long long)s.apic_base);
	ok = s.cs.selector == 0xf000 && s.cs.base == 0xffff0000 && s.cs.limit == 0xffff &&
	     s.cs.present && s.cs.s && !s.cs.db && !s.cs.l &&
	     s.ds.selector == 0 && s.ds.base == 0 && s.ds.limit == 0xffff &&
	     s.ss.selector == 0 && s.ss.base == 0 && s.ss.limit == 0xffff &&
	     s.es.base == 0 && s.fs.base == 0 && s.gs.base == 0 &&
	     s.gdt.base == 0 && s.gdt.limit == 0xffff &&
	     s.idt.base == 0 && s.idt.limit == 0xffff &&
	     s.cr0 == 0x60000010 && s.cr2 == 0 && s.cr3 == 0 && s.cr4 == 0 &&
	     s.efer == 0 && s.flags == 0 && s.pad == 0;
	tap_ok(ok, "vcpu/initial-state: RESET system registers: CS f000:ffff0000, CR0 0x60000010, EFER 0, tables 0/0xffff");
	if (!ok)
		tap_diag("  cs %x/%llx/%x cr0 0x%llx cr4 0x%llx efer 0x%llx gdt %llx/%x idt %llx/%x",
			 s.cs.selector, (unsigned long long)s.cs.base, s.cs.limit,
			 (unsigned long long)s.cr0, (unsigned long long)s.cr4,
			 (unsigned long long)s.efer, (unsigned long long)s.gdt.base,
			 s.gdt.limit, (unsigned long long)s.idt.base, s.idt.limit);

	r.rflags = 0;
	ok = !vcpu_set_regs(vcpu, &r) && !vcpu_get_regs(vcpu, &r2);
	tap_ok(ok && r2.rflags == 2, "vcpu/initial-state: SET_REGS with RFLAGS 0: GET_REGS reads 2 (bit 1)");

	for (i = R_RAX; i <= R_R15; i++)
		*regs_ptr(&r, (enum guest_reg)i) = 0x0101010101010101ULL * (i + 1) + i;
	r.rip = 0x12345678;
	r.rflags = 0x2 | 0x1 | 0x40 | 0x800;	/* CF, ZF, OF */
	ok = !vcpu_set_regs(vcpu, &r) && !vcpu_get_regs(vcpu, &r2) &&
	     !memcmp(&r, &r2, sizeof(r));
	tap_ok(ok, "vcpu/initial-state: SET_REGS/GET_REGS round trip");

	guest_sregs_for_mode(&s, GUEST_LONG64);
	ok = !vcpu_set_sregs(vcpu, &s) && !vcpu_get_sregs(vcpu, &s2);
	tap_ok(ok && !memcmp(&s, &s2, sizeof(s)),
	       "vcpu/initial-state: SET_SREGS/GET_SREGS round trip (long mode)");
	if (ok && memcmp(&s, &s2, sizeof(s)))
		for (i = 0; i < sizeof(s); i++)
			if (((__u8 *)&s)[i] != ((__u8 *)&s2)[i]) {
				tap_diag("  first difference at byte %u of struct vmain_sregs", i);
				break;
			}
out:
	vcpu_free(vcpu);
	vm_free(vm);
}

static bool seg_is(const struct vmain_segment *g, __u16 sel, __u64 base,
		   __u32 limit, __u8 type, __u8 s, const char *name)
{
	bool ok = g->selector == sel && g->base == base && g->limit == limit &&
		  g->type == type && g->s == s && g->present == 1 && g->dpl == 0 &&
		  g->db == 0 && g->l == 0 && g->g == 0 && g->avl == 0 &&
		  g->unusable == 0 && g->pad == 0;

	tap_ok(ok, "vcpu/reset-state: %s: selector 0x%x, base 0x%llx, limit 0x%x, type %u, S %u, P 1, DPL/DB/L/G/AVL 0, usable",
	       name, sel, (unsigned long long)base, limit, type, s);
	if (!ok)
		tap_diag("  got selector 0x%x base 0x%llx limit 0x%x type %u s %u p %u dpl %u db %u l %u g %u avl %u unusable %u",
			 g->selector, (unsigned long long)g->base, g->limit, g->type,
			 g->s, g->present, g->dpl, g->db, g->l, g->g, g->avl, g->unusable);
	return ok;
}

static void check_reset_vcpu(struct vm *vm, unsigned int id)
{
	static const struct { __u32 index; __u64 value; const char *name; } msrs[] = {
		{ 0x1b, 0, "APIC_BASE" },	/* filled in below */
		{ 0x8b, 0, "microcode revision" },
		{ 0xfe, 0, "MTRRcap" },
		{ 0x179, 0, "MCG_CAP" },
		{ 0x17a, 0, "MCG_STATUS" },
		{ 0x1a0, 1, "MISC_ENABLE" },
		{ 0x1d9, 0, "DEBUGCTL" },
		{ 0x277, 0x0007040600070406ULL, "PAT" },
		{ 0x2ff, 0, "MTRRdefType" },
		{ 0x174, 0, "SYSENTER_CS" },
		{ 0x175, 0, "SYSENTER_ESP" },
		{ 0x176, 0, "SYSENTER_EIP" },
		{ 0xc0000080, 0, "EFER" },
		{ 0xc0000081, 0, "STAR" },
		{ 0xc0000082, 0, "LSTAR" },
		{ 0xc0000083, 0, "CSTAR" },
		{ 0xc0000084, 0, "SFMASK" },
		{ 0xc0000100, 0, "FS_BASE" },
		{ 0xc0000101, 0, "GS_BASE" },
		{ 0xc0000102, 0, "KERNEL_GS_BASE" },
		{ 0xc0000103, 0, "TSC_AUX" },
		{ 0xc0010015, 0, "HWCR" },
	};
	struct vmain_msr_entry e[sizeof(msrs) / sizeof(msrs[0])];
	__u64 apic_base = 0xfee00800ULL | (id ? 0 : 0x100);
	struct vmain_events ev, zero;
	struct vmain_cpuid_entry ce[4];
	struct vmain_cpuid cpuid;
	struct vmain_msrs m;
	struct vmain_sregs s;
	struct vmain_regs r;
	static struct vmain_fpu f;
	struct vcpu *vcpu = vcpu_new(vm, id);
	unsigned int i, n = sizeof(msrs) / sizeof(msrs[0]);
	__u16 fcw;
	__u32 mxcsr;
	bool ok;

	if (!vcpu || vcpu_get_regs(vcpu, &r) || vcpu_get_sregs(vcpu, &s))
		goto out;
	ok = r.rip == 0xfff0 && r.rflags == 2;
	for (i = R_RAX; i <= R_R15; i++)
		ok = ok && *regs_ptr(&r, (enum guest_reg)i) == 0;
	tap_ok(ok, "vcpu/reset-state: vCPU %u: RIP 0xfff0, RFLAGS 2, every GPR 0 (RDX too)", id);
	if (!ok)
		tap_diag("  rip 0x%llx rflags 0x%llx rdx 0x%llx", (unsigned long long)r.rip,
			 (unsigned long long)r.rflags, (unsigned long long)r.rdx);
	if (id == 0) {
		seg_is(&s.cs, 0xf000, 0xffff0000ULL, 0xffff, 11, 1, "CS");
		seg_is(&s.ds, 0, 0, 0xffff, 3, 1, "DS");
		seg_is(&s.es, 0, 0, 0xffff, 3, 1, "ES");
		seg_is(&s.fs, 0, 0, 0xffff, 3, 1, "FS");
		seg_is(&s.gs, 0, 0, 0xffff, 3, 1, "GS");
		seg_is(&s.ss, 0, 0, 0xffff, 3, 1, "SS");
		seg_is(&s.tr, 0, 0, 0xffff, 11, 0, "TR");
		seg_is(&s.ldt, 0, 0, 0xffff, 2, 0, "LDTR");
	}
	ok = s.gdt.base == 0 && s.gdt.limit == 0xffff && s.idt.base == 0 &&
	     s.idt.limit == 0xffff && s.cr0 == 0x60000010 && s.cr2 == 0 &&
	     s.cr3 == 0 && s.cr4 == 0 && s.cr8 == 0 && s.efer == 0 &&
	     s.apic_base == apic_base;
	tap_ok(ok, "vcpu/reset-state: vCPU %u: GDTR/IDTR 0/0xffff, CR0 0x60000010, CR2/CR3/CR4/CR8 0, EFER 0, apic_base 0x%llx",
	       id, (unsigned long long)apic_base);
	if (!ok)
		tap_diag("  gdt %llx/%x idt %llx/%x cr0 %llx cr2 %llx cr3 %llx cr4 %llx cr8 %llx efer %llx apic_base %llx",
			 (unsigned long long)s.gdt.base, s.gdt.limit,
			 (unsigned long long)s.idt.base, s.idt.limit,
			 (unsigned long long)s.cr0, (unsigned long long)s.cr2,
			 (unsigned long long)s.cr3, (unsigned long long)s.cr4,
			 (unsigned long long)s.cr8, (unsigned long long)s.efer,
			 (unsigned long long)s.apic_base);

	memset(&zero, 0, sizeof(zero));
	memset(&ev, 0xa5, sizeof(ev));
	tap_ok(!ioctl(vcpu->fd, VMAIN_VCPU_GET_EVENTS, &ev) && !memcmp(&ev, &zero, sizeof(ev)),
	       "vcpu/reset-state: vCPU %u: no events pending, NMIs not masked, no shadow", id);

	memset(&cpuid, 0, sizeof(cpuid));
	cpuid.nent = 4;
	cpuid.entries = (uintptr_t)ce;
	tap_ok(!ioctl(vcpu->fd, VMAIN_VCPU_GET_CPUID, &cpuid) && cpuid.nent == 0,
	       "vcpu/reset-state: vCPU %u: the CPUID table is empty (nent %u)", id, cpuid.nent);

	memset(e, 0, sizeof(e));
	for (i = 0; i < n; i++)
		e[i].index = msrs[i].index;
	memset(&m, 0, sizeof(m));
	m.nmsrs = n;
	m.entries = (uintptr_t)e;
	ok = ioctl(vcpu->fd, VMAIN_VCPU_GET_MSRS, &m) == (int)n;
	for (i = 0; ok && i < n; i++) {
		__u64 want = msrs[i].index == 0x1b ? apic_base : msrs[i].value;

		if (e[i].data != want) {
			tap_diag("  MSR %s (0x%x) reads 0x%llx, want 0x%llx", msrs[i].name,
				 msrs[i].index, (unsigned long long)e[i].data,
				 (unsigned long long)want);
			ok = false;
		}
	}
	tap_ok(ok, "vcpu/reset-state: vCPU %u: the %u MSRs the module keeps (but the TSC) have their RESET values",
	       id, n);

	memset(&f, 0xa5, sizeof(f));
	ok = !ioctl(vcpu->fd, VMAIN_VCPU_GET_FPU, &f);
	memcpy(&fcw, &f.xsave[0], sizeof(fcw));
	memcpy(&mxcsr, &f.xsave[6], sizeof(mxcsr));
	ok = ok && f.xcr0 == 1 && fcw == 0x37f && mxcsr == 0x1f80;
	tap_ok(ok, "vcpu/reset-state: vCPU %u: XCR0 1 (x87), FCW 0x37f, MXCSR 0x1f80", id);
	if (!ok)
		tap_diag("  xcr0 0x%llx fcw 0x%x mxcsr 0x%x", (unsigned long long)f.xcr0,
			 fcw, mxcsr);
out:
	vcpu_free(vcpu);
}

static void test_reset_state(void)
{
	struct vm *vm = vm_new();

	if (!vm)
		return;
	check_reset_vcpu(vm, 0);
	check_reset_vcpu(vm, 1);
	vm_free(vm);
}

/*
 * TRs VM entry would refuse as they are (SDM Vol. 3C 26.3.1.2) and that
 * VT-x therefore enters changed: TI set in the selector, a limit of
 * 1 MiB or more with bits 11:0 not all ones, a non-canonical base.  The
 * base reads back canonical (sign-extended from the highest implemented
 * bit: 1000h for any width), as AMD-V's VMRUN makes it.
 */
static const struct {
	const char *what;
	__u16 selector;
	__u32 limit;
	__u64 base, base_read;
} zero_tr_cases[] = {
	{ "an all-zero TR and LDTR", 0, 0, 0, 0 },
	{ "an unusable TR with selector 000Ch (TI 1)", 0x000c, 0, 0, 0 },
	{ "an unusable TR with limit 00123456h", 0, 0x00123456, 0, 0 },
	{ "an unusable TR with base 8000000000001000h", 0, 0x67, 0x8000000000001000ull, 0x1000 },
};

static void test_zero_tr_ldt_case(enum guest_mode mode, const char *name, unsigned int i)
{
	const char *what = zero_tr_cases[i].what;
	struct vmain_segment unusable;
	struct vmain_events ev;
	struct vmain_sregs s, s2;
	struct vm *vm;
	struct vcpu *vcpu;
	bool ok;

	if (!guest_boot(&vm, &vcpu, mode, GUEST_SNIPPET(gl_hlt)))
		return;
	if (vcpu_get_sregs(vcpu, &s))
		goto out;
	memset(&unusable, 0, sizeof(unusable));
	unusable.unusable = i != 0;
	unusable.selector = zero_tr_cases[i].selector;
	unusable.limit = zero_tr_cases[i].limit;
	unusable.base = zero_tr_cases[i].base;
	s.tr = unusable;
	memset(&s.ldt, 0, sizeof(s.ldt));
	if (vcpu_set_sregs(vcpu, &s))
		goto out;
	expect_hlt(vcpu, GUEST_ANY_RIP, "%s: %s: the guest runs (HLT)", name, what);
	unusable.unusable = 1;
	unusable.base = zero_tr_cases[i].base_read;
	ok = !vcpu_get_sregs(vcpu, &s2) && !memcmp(&s2.tr, &unusable, sizeof(unusable));
	memset(&unusable, 0, sizeof(unusable));
	unusable.unusable = 1;
	ok = ok && !memcmp(&s2.ldt, &unusable, sizeof(unusable));
	tap_ok(ok, "%s: %s: GET_SREGS reports TR and LDTR unusable, selector/base/limit as set",
	       name, what);
	if (!ok)
		tap_diag("  tr: sel %x base %llx limit %x type %u s %u p %u g %u unusable %u; "
			 "ldt: type %u p %u unusable %u",
			 s2.tr.selector, (unsigned long long)s2.tr.base, s2.tr.limit, s2.tr.type,
			 s2.tr.s, s2.tr.present, s2.tr.g, s2.tr.unusable,
			 s2.ldt.type, s2.ldt.present, s2.ldt.unusable);
	memset(&ev, 0, sizeof(ev));
	ev.exception_pending = 1;
	ev.exception_vector = 6;
	if (ioctl(vcpu->fd, VMAIN_VCPU_SET_EVENTS, &ev)) {
		guest_fail("SET_EVENTS #UD: %s", strerror(errno));
		goto out;
	}
	expect_vector(vcpu, 6, "%s: %s: an injected #UD is delivered", name, what);
out:
	guest_shutdown(&vm, &vcpu);
}

static void test_zero_tr_ldt(enum guest_mode mode)
{
	const char *name = mode == GUEST_PROT32 ? "prot32/zero-tr-ldt" : "long64/zero-tr-ldt";
	unsigned int i;

	for (i = 0; i < sizeof(zero_tr_cases) / sizeof(zero_tr_cases[0]); i++)
		test_zero_tr_ldt_case(mode, name, i);
}

static void test_zero_tr_ldt32(void)
{
	test_zero_tr_ldt(GUEST_PROT32);
}

static void test_zero_tr_ldt64(void)
{
	test_zero_tr_ldt(GUEST_LONG64);
}

static void test_bad_args(void)
{
	struct vm *vm;
	struct vcpu *vcpu;
	struct vmain_regs r, r0, rc;
	struct vmain_sregs s, s0, sc;
	struct vmain_events e, e0;
	static struct vmain_fpu f, f0;
	unsigned int i;

	if (!boot(&vm, &vcpu, GUEST_SNIPPET(gl_hlt)))
		return;
	tap_errno(ioctl(vcpu->fd, VMAIN_VCPU_RUN, 1), EINVAL, "vcpu/bad-args: RUN with arg 1");

	/* REGS */
	if (vcpu_get_regs(vcpu, &r0))
		goto out;
	r = r0;
	r.flags = 1;
	tap_errno(ioctl(vcpu->fd, VMAIN_VCPU_SET_REGS, &r), EINVAL,
		  "vcpu/bad-args: SET_REGS with non-zero flags");
	r = r0;
	r.pad = 1;
	tap_errno(ioctl(vcpu->fd, VMAIN_VCPU_SET_REGS, &r), EINVAL,
		  "vcpu/bad-args: SET_REGS with non-zero pad");
	for (i = 0; i < 5; i++) {
		r = r0;
		r.reserved[i] = 1;
		tap_errno(ioctl(vcpu->fd, VMAIN_VCPU_SET_REGS, &r), EINVAL,
			  "vcpu/bad-args: SET_REGS with reserved[%u] non-zero", i);
	}
	tap_errno(ioctl(vcpu->fd, VMAIN_VCPU_SET_REGS, NULL), EFAULT,
		  "vcpu/bad-args: SET_REGS(NULL)");
	tap_errno(ioctl(vcpu->fd, VMAIN_VCPU_SET_REGS, KERNEL_ADDR), EFAULT,
		  "vcpu/bad-args: SET_REGS(kernel address)");
	tap_errno(ioctl(vcpu->fd, VMAIN_VCPU_GET_REGS, NULL), EFAULT,
		  "vcpu/bad-args: GET_REGS(NULL)");
	tap_errno(ioctl(vcpu->fd, VMAIN_VCPU_GET_REGS, KERNEL_ADDR), EFAULT,
		  "vcpu/bad-args: GET_REGS(kernel address)");
	tap_ok(!vcpu_get_regs(vcpu, &rc) && !memcmp(&rc, &r0, sizeof(rc)),
	       "vcpu/bad-args: the rejected SET_REGS calls changed nothing");

	/* SREGS */
	if (vcpu_get_sregs(vcpu, &s0))
		goto out;
	s = s0;
	s.flags = 1;
	tap_errno(ioctl(vcpu->fd, VMAIN_VCPU_SET_SREGS, &s), EINVAL,
		  "vcpu/bad-args: SET_SREGS with non-zero flags");
	s = s0;
	s.pad = 1;
	tap_errno(ioctl(vcpu->fd, VMAIN_VCPU_SET_SREGS, &s), EINVAL,
		  "vcpu/bad-args: SET_SREGS with non-zero pad");
	for (i = 0; i < 6; i++) {
		s = s0;
		s.reserved[i] = 1;
		tap_errno(ioctl(vcpu->fd, VMAIN_VCPU_SET_SREGS, &s), EINVAL,
			  "vcpu/bad-args: SET_SREGS with reserved[%u] non-zero", i);
	}
	s = s0;
	s.cs.pad = 1;
	tap_errno(ioctl(vcpu->fd, VMAIN_VCPU_SET_SREGS, &s), EINVAL,
		  "vcpu/bad-args: SET_SREGS with cs.pad non-zero");
	s = s0;
	s.ldt.pad = 1;
	tap_errno(ioctl(vcpu->fd, VMAIN_VCPU_SET_SREGS, &s), EINVAL,
		  "vcpu/bad-args: SET_SREGS with ldt.pad non-zero");
	for (i = 0; i < 3; i++) {
		s = s0;
		s.gdt.pad[i] = 1;
		tap_errno(ioctl(vcpu->fd, VMAIN_VCPU_SET_SREGS, &s), EINVAL,
			  "vcpu/bad-args: SET_SREGS with gdt.pad[%u] non-zero", i);
	}
	s = s0;
	s.efer |= 1ULL << 12;	/* SVME: not a guest EFER bit */
	tap_errno(ioctl(vcpu->fd, VMAIN_VCPU_SET_SREGS, &s), EINVAL,
		  "vcpu/bad-args: SET_SREGS with EFER.SVME");
	s = s0;
	s.cr8 = 16;
	tap_errno(ioctl(vcpu->fd, VMAIN_VCPU_SET_SREGS, &s), EINVAL,
		  "vcpu/bad-args: SET_SREGS with cr8 16");
	s = s0;
	s.apic_base |= 1;
	tap_errno(ioctl(vcpu->fd, VMAIN_VCPU_SET_SREGS, &s), EINVAL,
		  "vcpu/bad-args: SET_SREGS with a reserved apic_base bit (0)");
	s = s0;
	s.idt.pad[2] = 1;
	tap_errno(ioctl(vcpu->fd, VMAIN_VCPU_SET_SREGS, &s), EINVAL,
		  "vcpu/bad-args: SET_SREGS with idt.pad[2] non-zero");
	tap_errno(ioctl(vcpu->fd, VMAIN_VCPU_SET_SREGS, NULL), EFAULT,
		  "vcpu/bad-args: SET_SREGS(NULL)");
	tap_errno(ioctl(vcpu->fd, VMAIN_VCPU_GET_SREGS, NULL), EFAULT,
		  "vcpu/bad-args: GET_SREGS(NULL)");
	tap_ok(!vcpu_get_sregs(vcpu, &sc) && !memcmp(&sc, &s0, sizeof(sc)),
	       "vcpu/bad-args: the rejected SET_SREGS calls changed nothing");

	/* EVENTS */
	if (ioctl(vcpu->fd, VMAIN_VCPU_GET_EVENTS, &e0)) {
		guest_fail("GET_EVENTS: %s", strerror(errno));
		goto out;
	}
	e = e0;
	e.pad0 = 1;
	tap_errno(ioctl(vcpu->fd, VMAIN_VCPU_SET_EVENTS, &e), EINVAL,
		  "vcpu/bad-args: SET_EVENTS with pad0 non-zero");
	for (i = 0; i < 3; i++) {
		e = e0;
		e.pad1[i] = 1;
		tap_errno(ioctl(vcpu->fd, VMAIN_VCPU_SET_EVENTS, &e), EINVAL,
			  "vcpu/bad-args: SET_EVENTS with pad1[%u] non-zero", i);
	}
	e = e0;
	e.flags = 1;
	tap_errno(ioctl(vcpu->fd, VMAIN_VCPU_SET_EVENTS, &e), EINVAL,
		  "vcpu/bad-args: SET_EVENTS with non-zero flags");
	e = e0;
	e.pad2 = 1;
	tap_errno(ioctl(vcpu->fd, VMAIN_VCPU_SET_EVENTS, &e), EINVAL,
		  "vcpu/bad-args: SET_EVENTS with pad2 non-zero");
	for (i = 0; i < 5; i++) {
		e = e0;
		e.reserved[i] = 1;
		tap_errno(ioctl(vcpu->fd, VMAIN_VCPU_SET_EVENTS, &e), EINVAL,
			  "vcpu/bad-args: SET_EVENTS with reserved[%u] non-zero", i);
	}
	tap_errno(ioctl(vcpu->fd, VMAIN_VCPU_SET_EVENTS, NULL), EFAULT,
		  "vcpu/bad-args: SET_EVENTS(NULL)");
	tap_errno(ioctl(vcpu->fd, VMAIN_VCPU_GET_EVENTS, NULL), EFAULT,
		  "vcpu/bad-args: GET_EVENTS(NULL)");

	/* FPU */
	if (!tap_ok(ioctl(vcpu->fd, VMAIN_VCPU_GET_FPU, &f0) == 0, "vcpu/bad-args: GET_FPU"))
		goto run;
	tap_ok(ioctl(vcpu->fd, VMAIN_VCPU_SET_FPU, &f0) == 0,
	       "vcpu/bad-args: SET_FPU of what GET_FPU returned");
	f = f0;
	f.flags = 1;
	tap_errno(ioctl(vcpu->fd, VMAIN_VCPU_SET_FPU, &f), EINVAL,
		  "vcpu/bad-args: SET_FPU with non-zero flags");
	f = f0;
	f.pad = 1;
	tap_errno(ioctl(vcpu->fd, VMAIN_VCPU_SET_FPU, &f), EINVAL,
		  "vcpu/bad-args: SET_FPU with non-zero pad");
	for (i = 0; i < 6; i++) {
		f = f0;
		f.reserved[i] = 1;
		tap_errno(ioctl(vcpu->fd, VMAIN_VCPU_SET_FPU, &f), EINVAL,
			  "vcpu/bad-args: SET_FPU with reserved[%u] non-zero", i);
	}
	tap_errno(ioctl(vcpu->fd, VMAIN_VCPU_SET_FPU, NULL), EFAULT,
		  "vcpu/bad-args: SET_FPU(NULL)");
	tap_errno(ioctl(vcpu->fd, VMAIN_VCPU_GET_FPU, NULL), EFAULT,
		  "vcpu/bad-args: GET_FPU(NULL)");
run:
	expect_hlt(vcpu, GUEST_CODE_GPA + 1, "after all that, the vCPU runs");
out:
	vcpu_free(vcpu);
	vm_free(vm);
}

static void test_wrong_fd(void)
{
	struct vm *vm;
	struct vcpu *vcpu;
	static char buf[8192];
	long cap;

	if (!boot(&vm, &vcpu, GUEST_SNIPPET(gl_hlt)))
		return;
	tap_errno(ioctl(vm->fd, VMAIN_VCPU_RUN, 0), ENOTTY, "vcpu/wrong-fd: RUN on the VM fd");
	tap_errno(ioctl(vm->fd, VMAIN_VCPU_GET_REGS, buf), ENOTTY,
		  "vcpu/wrong-fd: GET_REGS on the VM fd");
	tap_errno(ioctl(vm->fd, VMAIN_VCPU_SET_SREGS, buf), ENOTTY,
		  "vcpu/wrong-fd: SET_SREGS on the VM fd");
	tap_errno(ioctl(vm->fd, VMAIN_VCPU_INTERRUPT, buf), ENOTTY,
		  "vcpu/wrong-fd: INTERRUPT on the VM fd");
	tap_errno(ioctl(vm->fd, VMAIN_VCPU_KICK, 0), ENOTTY, "vcpu/wrong-fd: KICK on the VM fd");
	tap_errno(ioctl(guest_devfd, VMAIN_VCPU_RUN, 0), ENOTTY,
		  "vcpu/wrong-fd: RUN on the device fd");
	tap_errno(ioctl(guest_devfd, VMAIN_VM_SET_MEMORY_REGION, buf), ENOTTY,
		  "vcpu/wrong-fd: SET_MEMORY_REGION on the device fd");
	tap_errno(ioctl(vcpu->fd, VMAIN_VM_SET_MEMORY_REGION, buf), ENOTTY,
		  "vcpu/wrong-fd: SET_MEMORY_REGION on the vCPU fd");
	tap_errno(ioctl(vcpu->fd, VMAIN_VM_CREATE_VCPU, 1UL), ENOTTY,
		  "vcpu/wrong-fd: CREATE_VCPU on the vCPU fd");
	tap_errno(ioctl(vcpu->fd, VMAIN_VM_GET_INFO, buf), ENOTTY,
		  "vcpu/wrong-fd: VM_GET_INFO on the vCPU fd");
	tap_errno(ioctl(vcpu->fd, VMAIN_VM_GET_DIRTY_LOG, buf), ENOTTY,
		  "vcpu/wrong-fd: GET_DIRTY_LOG on the vCPU fd");
	tap_errno(ioctl(vcpu->fd, VMAIN_CREATE_VM, buf), ENOTTY,
		  "vcpu/wrong-fd: CREATE_VM on the vCPU fd");
	tap_errno(ioctl(vcpu->fd, VMAIN_GET_API_VERSION, 0), ENOTTY,
		  "vcpu/wrong-fd: GET_API_VERSION on the vCPU fd");
	tap_errno(ioctl(vcpu->fd, VMAIN_GET_VCPU_MMAP_SIZE, 0), ENOTTY,
		  "vcpu/wrong-fd: GET_VCPU_MMAP_SIZE on the vCPU fd");
	tap_errno(ioctl(vcpu->fd, _IO(VMAIN_IO, 0x9f), 0), ENOTTY,
		  "vcpu/wrong-fd: unknown number 0x9f on the vCPU fd");
	tap_errno(ioctl(vcpu->fd, _IOW(VMAIN_IO, 0x60, __u32), buf), ENOTTY,
		  "vcpu/wrong-fd: RUN's number with a size");
	tap_errno(ioctl(vcpu->fd, _IOW(VMAIN_IO, 0x61, struct vmain_regs), buf), ENOTTY,
		  "vcpu/wrong-fd: GET_REGS's number with the wrong direction");
	tap_errno(ioctl(vcpu->fd, _IOR(VMAIN_IO, 0x61, __u64), buf), ENOTTY,
		  "vcpu/wrong-fd: GET_REGS's number with the wrong size");
	tap_errno(read(vcpu->fd, buf, 16), EINVAL, "vcpu/wrong-fd: read() on the vCPU fd");
	tap_errno(write(vcpu->fd, buf, 16), EINVAL, "vcpu/wrong-fd: write() on the vCPU fd");
	tap_errno(lseek(vcpu->fd, 0, SEEK_SET), EINVAL, "vcpu/wrong-fd: lseek() on the vCPU fd");
	cap = ioctl(vcpu->fd, VMAIN_CHECK_CAP, VMAIN_CAP_MAX_VCPUS);
	tap_diag("CHECK_CAP on a vCPU fd: %ld%s%s", cap, cap < 0 ? ", errno " : "",
		 cap < 0 ? strerror(errno) : "");
	expect_hlt(vcpu, GUEST_CODE_GPA + 1, "the vCPU still runs");
	vcpu_free(vcpu);
	vm_free(vm);
}

static void test_fork(void)
{
	struct vm *vm;
	struct vcpu *vcpu;
	struct vmain_regs r;
	char res[6] = { 0, 0, 0, 0, 0, 0 };
	int status, pipefd[2];
	pid_t pid;

	if (!boot(&vm, &vcpu, GUEST_SNIPPET(gl_hlt)))
		return;
	if (pipe(pipefd)) {
		guest_fail("pipe: %s", strerror(errno));
		goto out;
	}
	pid = fork();
	if (pid == 0) {
		close(pipefd[0]);
		res[0] = ioctl(vcpu->fd, VMAIN_VCPU_GET_REGS, &r) == -1 && errno == EPERM;
		res[1] = ioctl(vcpu->fd, VMAIN_VCPU_SET_REGS, &r) == -1 && errno == EPERM;
		res[2] = ioctl(vcpu->fd, VMAIN_VCPU_RUN, 0) == -1 && errno == EPERM;
		res[3] = ioctl(vcpu->fd, VMAIN_VCPU_KICK, 0) == -1 && errno == EPERM;
		res[4] = ioctl(vm->fd, VMAIN_VM_CREATE_VCPU, 1UL) == -1 && errno == EPERM;
		res[5] = mmap(NULL, vcpu->run_size, PROT_READ, MAP_SHARED, vcpu->fd, 0) ==
			 MAP_FAILED && errno == EPERM;
		if (write(pipefd[1], res, sizeof(res)) != sizeof(res))
			_exit(2);
		_exit(0);
	}
	close(pipefd[1]);
	if (pid < 0 || read(pipefd[0], res, sizeof(res)) != sizeof(res))
		memset(res, 0, sizeof(res));
	close(pipefd[0]);
	if (pid > 0)
		waitpid(pid, &status, 0);
	tap_ok(res[0], "vcpu/fork: GET_REGS from a fork child: EPERM");
	tap_ok(res[1], "vcpu/fork: SET_REGS from a fork child: EPERM");
	tap_ok(res[2], "vcpu/fork: RUN from a fork child: EPERM");
	tap_ok(res[3], "vcpu/fork: KICK from a fork child: EPERM");
	tap_ok(res[4], "vcpu/fork: CREATE_VCPU from a fork child: EPERM");
	tap_ok(res[5], "vcpu/fork: mmap of the vCPU fd in a fork child: EPERM");
	expect_hlt(vcpu, GUEST_CODE_GPA + 1, "the owner still runs the vCPU");
out:
	vcpu_free(vcpu);
	vm_free(vm);
}

static void test_vm_close(void)
{
	struct vmain_create_vm args;
	struct vm *vm;
	struct vcpu *vcpu;
	long base = test_live_vms();
	__u32 v;
	int fd;

	if (base < 0)
		tap_diag("no /sys/class/misc/vm-main/vms: the VM counts are not checked");
	if (!boot(&vm, &vcpu, GUEST_SNIPPET(gl_mem)))
		return;
	memset(&args, 0, sizeof(args));
	memcpy(args.uuid, vm->uuid, 16);
	close(vm->fd);
	vm->fd = -1;
	if (base >= 0)
		tap_ok(test_live_vms() == base + 1,
		       "vcpu/vm-close: after closing the VM fd the VM lives on (vCPU fd open)");
	tap_errno(ioctl(guest_devfd, VMAIN_CREATE_VM, &args), EBUSY,
		  "vcpu/vm-close: its UUID is still claimed");
	if (expect_out(vcpu, PORT_OUT, 4, 0x5a5a5a5a,
		       "the guest runs and uses its memory after the VM fd is closed")) {
		memcpy(&v, vm_gpa(vm, GUEST_SCRATCH_GPA), 4);
		tap_ok(v == 0x5a5a5a5a, "vcpu/vm-close: the guest's write is in the slot's memory");
		expect_hlt(vcpu, GUEST_ANY_RIP, "and finishes");
	}
	close(vcpu->fd);
	if (base >= 0)
		tap_ok(test_live_vms() == base + 1,
		       "vcpu/vm-close: with the vCPU fd closed, its run mapping keeps the VM");
	munmap(vcpu->run, vcpu->run_size);
	free(vcpu);
	if (base >= 0)
		tap_ok(test_live_vms() == base,
		       "vcpu/vm-close: the VM is gone once the last mapping is");
	fd = ioctl(guest_devfd, VMAIN_CREATE_VM, &args);
	tap_ok(fd >= 0, "vcpu/vm-close: the UUID is free again");
	if (fd >= 0)
		close(fd);
	vm_free(vm);
}

static void test_exit_count(void)
{
	unsigned long n = guest_iters, ios = 0, i;
	struct vm *vm;
	struct vcpu *vcpu;
	struct vmain_regs r;
	char why[600] = "";
	__u64 before, after;
	bool ok = true;

	if (!boot(&vm, &vcpu, GUEST_SNIPPET(gl_outs)))
		return;
	if (n == 0 || n > 0xffffffffUL || vcpu_get_regs(vcpu, &r))
		goto out;
	r.rcx = n;
	if (vcpu_set_regs(vcpu, &r))
		goto out;
	for (i = 0; i <= n; i++) {
		vcpu->run->exit_reason = VMAIN_EXIT_NONE;
		if (vcpu_run(vcpu)) {
			snprintf(why, sizeof(why), "RUN failed: %s", strerror(errno));
			ok = false;
			break;
		}
		if (vcpu->run->exit_reason != VMAIN_EXIT_IO)
			break;
		if (vcpu->run->exit.io.port != PORT_OUT || vcpu->run->exit.io.count != 1) {
			snprintf(why, sizeof(why), "%s", exit_str(vcpu));
			ok = false;
			break;
		}
		ios++;
	}
	ok = ok && ios == n && vcpu->run->exit_reason == VMAIN_EXIT_HLT;
	tap_ok(ok, "vcpu/exit-count: a guest doing %lu OUTs: exactly %lu RUN returns with IO, then HLT (%lu)",
	       n, n, ios);
	if (!ok)
		tap_diag("  %s; last %s", why, exit_str(vcpu));
	tap_diag("exits_in_kernel after %lu OUTs: %llu", n,
		 (unsigned long long)vcpu->run->exits_in_kernel);

	vm_write(vm, GUEST_CODE_GPA, gl_cpuids_start, (size_t)(gl_cpuids_end - gl_cpuids_start));
	if (vcpu_setup(vcpu, GUEST_LONG64, GUEST_CODE_GPA) || vcpu_get_regs(vcpu, &r))
		goto out;
	r.r8 = 100;
	if (vcpu_set_regs(vcpu, &r))
		goto out;
	before = vcpu->run->exits_in_kernel;
	if (expect_out(vcpu, PORT_END, 1, 0,
		       "100 CPUIDs (handled in the kernel), then an OUT: one RUN return")) {
		after = vcpu->run->exits_in_kernel;
		tap_ok(after >= before + 100,
		       "vcpu/exit-count: exits_in_kernel counts the 100 CPUID exits (%llu before, %llu after)",
		       (unsigned long long)before, (unsigned long long)after);
	}
	expect_hlt(vcpu, GUEST_ANY_RIP, "then HLT");
out:
	vcpu_free(vcpu);
	vm_free(vm);
}

/* SET_REGS at an IN exit discards the IN's completion. */
static void test_set_regs_discards(void)
{
	struct vm *vm;
	struct vcpu *vcpu;
	struct vmain_regs r;

	if (!boot(&vm, &vcpu, GUEST_SNIPPET(gl_in)))
		return;
	if (!expect_in(vcpu, PORT_OUT, 1, 0x77, "IN exit") || vcpu_get_regs(vcpu, &r))
		goto out;
	r.rip = vcpu_code_rip(vcpu, GUEST_OFF(gl_in, gl_in_other));
	r.rax = 0x11;
	if (vcpu_set_regs(vcpu, &r))
		goto out;
	expect_out(vcpu, PORT_END, 1, 0x11,
		   "after SET_REGS the guest runs the new state; the IN's data does not land");
out:
	vcpu_free(vcpu);
	vm_free(vm);
}

int main(int argc, char **argv)
{
	static const struct guest_test tests[] = {
		{ "vcpu/create", test_create },
		{ "vcpu/mmap", test_mmap },
		{ "vcpu/initial-state", test_initial_state },
		{ "vcpu/reset-state", test_reset_state },
		{ "prot32/zero-tr-ldt", test_zero_tr_ldt32 },
		{ "long64/zero-tr-ldt", test_zero_tr_ldt64 },
		{ "vcpu/bad-args", test_bad_args },
		{ "vcpu/wrong-fd", test_wrong_fd },
		{ "vcpu/fork", test_fork },
		{ "vcpu/vm-close", test_vm_close },
		{ "vcpu/exit-count", test_exit_count },
		{ "vcpu/set-regs-discards", test_set_regs_discards },
	};

	guest_init(argc, argv, 100);
	guest_run_tests(tests, sizeof(tests) / sizeof(tests[0]));
	close(guest_devfd);
	return guest_done();
}
