// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fpu.c - the guest's x87/SSE state and XCR0 (VMAIN_VCPU_GET/SET_FPU,
 * guest XSETBV).
 *
 *   fpu/xmm       SET_FPU puts a value in XMM0 that the guest reads (movq
 *                 to RAX, OUT), the guest writes XMM1, GET_FPU shows it
 *   fpu/xsetbv    guest XSETBV of x87|SSE works and GET_FPU reports the
 *                 new XCR0; XSETBV without x87 raises #GP
 *   fpu/pkru      (hosts with PKU) the PKRU the guest writes is the one
 *                 it reads after exits, never the host thread's, and the
 *                 host thread's PKRU is its own after every RUN
 *   fpu/errors    SET_FPU: XCR0 without x87, with bits the host lacks,
 *                 AVX without SSE, non-zero flags/reserved: EINVAL;
 *                 bad pointers: EFAULT
 */
#include <cpuid.h>

#include "lib.h"

#define PORT_XMM	0xf1
#define XCR0_X87	1ULL
#define XCR0_SSE	2ULL
#define XCR0_AVX	4ULL
#define CR4_OSFXSR	(1ULL << 9)
#define CR4_OSXSAVE	(1ULL << 18)
/* FXSAVE layout (SDM Vol. 1, 10.5.1): XMMn at byte 160 + 16 * n. */
#define XMM_OFFSET(n)	(160 + 16 * (n))

GUEST_CODE(gl_xmm);
GUEST_LABEL(gl_xmm_hlt);
GUEST_CODE(gl_xsetbv);
GUEST_LABEL(gl_xsetbv_hlt);
GUEST_CODE(gl_pkru);

#define PORT_PKRU	0xf2
#define CR4_PKE		(1ULL << 22)
/* Keys 1-15 denied in the guest; key 0 (every page) stays usable. */
#define GUEST_PKRU	0xfffffffcU

asm(GUEST_ASM_BEGIN(".code64")
    "gl_xmm_start:\n"
    "	movq %xmm0, %rax\n"
    "	out %eax, $" GUEST_STR(PORT_XMM) "\n"
    "	shr $32, %rax\n"
    "	out %eax, $" GUEST_STR(PORT_XMM) "\n"
    "	mov $0x1122334455667788, %rax\n"
    "	movq %rax, %xmm1\n"
    "	hlt\n"
    "gl_xmm_hlt:\n"
    "gl_xmm_end:\n"
    "gl_xsetbv_start:\n"
    "	xor %ecx, %ecx\n"
    "	xor %edx, %edx\n"
    "	mov $3, %eax\n"
    "	xsetbv\n"
    "	xor %ecx, %ecx\n"
    "	xgetbv\n"
    "	out %eax, $" GUEST_STR(PORT_XMM) "\n"
    "	hlt\n"
    "gl_xsetbv_hlt:\n"
    "	xor %ecx, %ecx\n"
    "	xor %edx, %edx\n"
    "	mov $2, %eax\n"		/* SSE without x87: #GP */
    "	xsetbv\n"
    "	hlt\n"
    "gl_xsetbv_end:\n"
    "gl_pkru_start:\n"
    "	xor %ecx, %ecx\n"
    "	xor %edx, %edx\n"
    "	mov $" GUEST_STR(GUEST_PKRU) ", %eax\n"
    "	wrpkru\n"
    "	out %al, $" GUEST_STR(GUEST_PORT_SYNC) "\n"
    "	xor %ecx, %ecx\n"
    "	rdpkru\n"
    "	out %eax, $" GUEST_STR(PORT_PKRU) "\n"
    "	hlt\n"
    "gl_pkru_end:\n"
    GUEST_ASM_END);

static unsigned int host_rdpkru(void)
{
	unsigned int eax, edx;

	asm volatile("rdpkru" : "=a" (eax), "=d" (edx) : "c" (0));
	return eax;
}

static void host_wrpkru(unsigned int pkru)
{
	asm volatile("wrpkru" : : "a" (pkru), "c" (0), "d" (0) : "memory");
}

static struct vm *vm;
static struct vcpu *vcpu;

static bool boot_sse(const unsigned char *start, const unsigned char *end,
		     __u64 cr4_bits)
{
	struct vmain_sregs s;

	if (!guest_boot(&vm, &vcpu, GUEST_LONG64, start, end))
		return false;
	if (vcpu_get_sregs(vcpu, &s))
		return false;
	s.cr4 |= cr4_bits;
	s.cr0 &= ~(1ULL << 2);	/* EM clear: SSE instructions execute */
	return vcpu_set_sregs(vcpu, &s) == 0;
}

static bool get_fpu(struct vmain_fpu *f)
{
	memset(f, 0, sizeof(*f));
	return tap_ok(ioctl(vcpu->fd, VMAIN_VCPU_GET_FPU, f) == 0, "%s: GET_FPU",
		      guest_case_name());
}

static void test_xmm(void)
{
	static struct vmain_fpu f;
	__u64 v = 0xdeadbeefcafef00dULL, got = 0;

	if (!tap_ok(boot_sse(GUEST_SNIPPET(gl_xmm), CR4_OSFXSR), "%s: 64-bit guest with SSE",
		    guest_case_name()) || !get_fpu(&f))
		goto out;
	memcpy((char *)f.xsave + XMM_OFFSET(0), &v, sizeof(v));
	/*
	 * XSTATE_BV (the XSAVE header at byte 512) says which components the
	 * image holds; a clear SSE bit would load XMM in its init state (SDM
	 * Vol. 1, 13.8.1).
	 */
	f.xsave[512 / 4] |= XCR0_X87 | XCR0_SSE;
	f.xcr0 = XCR0_X87 | XCR0_SSE;
	if (!tap_ok(ioctl(vcpu->fd, VMAIN_VCPU_SET_FPU, &f) == 0,
		    "%s: SET_FPU with XMM0 = %#llx, XCR0 = x87|SSE", guest_case_name(),
		    (unsigned long long)v))
		goto out;
	if (!expect_out(vcpu, PORT_XMM, 4, (__u32)v, "the guest reads XMM0's low half") ||
	    !expect_out(vcpu, PORT_XMM, 4, (__u32)(v >> 32), "the guest reads XMM0's high half") ||
	    !expect_hlt(vcpu, vcpu_code_rip(vcpu, GUEST_OFF(gl_xmm, gl_xmm_hlt)),
			"the guest wrote XMM1"))
		goto out;
	if (!get_fpu(&f))
		goto out;
	memcpy(&got, (char *)f.xsave + XMM_OFFSET(1), sizeof(got));
	tap_ok(got == 0x1122334455667788ULL, "%s: GET_FPU shows the guest's XMM1 (%#llx)",
	       guest_case_name(), (unsigned long long)got);
	memcpy(&got, (char *)f.xsave + XMM_OFFSET(0), sizeof(got));
	tap_ok(got == v, "%s: XMM0 kept its value across exits", guest_case_name());
	tap_ok(f.xcr0 == (XCR0_X87 | XCR0_SSE), "%s: GET_FPU reports XCR0 = x87|SSE",
	       guest_case_name());
out:
	guest_shutdown(&vm, &vcpu);
}

static void test_xsetbv(void)
{
	static struct vmain_fpu f;

	if (!tap_ok(boot_sse(GUEST_SNIPPET(gl_xsetbv), CR4_OSFXSR | CR4_OSXSAVE),
		    "%s: 64-bit guest with CR4.OSXSAVE", guest_case_name()))
		goto out;
	if (!expect_out(vcpu, PORT_XMM, 4, 3, "after XSETBV(x87|SSE), XGETBV reads 3") ||
	    !expect_hlt(vcpu, vcpu_code_rip(vcpu, GUEST_OFF(gl_xsetbv, gl_xsetbv_hlt)),
			"XSETBV(x87|SSE) completes"))
		goto out;
	if (get_fpu(&f))
		tap_ok(f.xcr0 == (XCR0_X87 | XCR0_SSE), "%s: the guest's XCR0 is x87|SSE (%#llx)",
		       guest_case_name(), (unsigned long long)f.xcr0);
	expect_vector(vcpu, 13, "XSETBV(SSE without x87) raises #GP");
out:
	guest_shutdown(&vm, &vcpu);
}

/*
 * PKRU is not in the state the kernel's FPU swap restores, so the module
 * switches it (kmod/switch.c).  The host thread runs with keys 1 or 2
 * access-disabled (key 0, which its pages use, stays open), the guest
 * with keys 1-15 denied: neither may see the other's value.
 */
static void test_pkru(void)
{
	static const unsigned int h1 = 0x4, h2 = 0x10;
	unsigned int a, b, c, d, orig, got;

	/* CPUID.(7,0):ECX[4] OSPKE: the host kernel enabled PKRU. */
	if (!__get_cpuid_count(7, 0, &a, &b, &c, &d) || !(c & (1U << 4))) {
		tap_ok(1, "%s # SKIP the CPU or the host kernel has no protection keys",
		       guest_case_name());
		return;
	}
	orig = host_rdpkru();
	if (!tap_ok(boot_sse(GUEST_SNIPPET(gl_pkru), CR4_PKE), "%s: 64-bit guest with CR4.PKE",
		    guest_case_name()))
		goto out;
	host_wrpkru(h1);
	if (!expect_sync(vcpu, "the guest writes PKRU %#x", GUEST_PKRU))
		goto out;
	got = host_rdpkru();
	tap_ok(got == h1, "%s: after the exit the host thread's PKRU is its own (%#x)",
	       guest_case_name(), h1);
	if (got != h1)
		tap_diag("  host PKRU %#x", got);
	host_wrpkru(h2);
	if (!expect_out(vcpu, PORT_PKRU, 4, GUEST_PKRU,
			"the guest reads its own PKRU back, not the host's new one"))
		goto out;
	got = host_rdpkru();
	tap_ok(got == h2, "%s: after the next exit the host's PKRU is still its own (%#x)",
	       guest_case_name(), h2);
	if (got != h2)
		tap_diag("  host PKRU %#x", got);
out:
	host_wrpkru(orig);
	guest_shutdown(&vm, &vcpu);
}

static void test_errors(void)
{
	static struct vmain_fpu f, bad;

	if (!guest_boot(&vm, &vcpu, GUEST_LONG64, GUEST_SNIPPET(gl_xmm)) || !get_fpu(&f))
		goto out;
	bad = f;
	bad.xcr0 = XCR0_SSE;
	tap_errno(ioctl(vcpu->fd, VMAIN_VCPU_SET_FPU, &bad), EINVAL, "%s: XCR0 without x87",
		  guest_case_name());
	bad = f;
	bad.xcr0 = XCR0_X87 | (1ULL << 63);
	tap_errno(ioctl(vcpu->fd, VMAIN_VCPU_SET_FPU, &bad), EINVAL,
		  "%s: XCR0 with a bit the host does not enable", guest_case_name());
	bad = f;
	bad.xcr0 = XCR0_X87 | XCR0_AVX;
	tap_errno(ioctl(vcpu->fd, VMAIN_VCPU_SET_FPU, &bad), EINVAL, "%s: AVX without SSE",
		  guest_case_name());
	bad = f;
	bad.flags = 1;
	tap_errno(ioctl(vcpu->fd, VMAIN_VCPU_SET_FPU, &bad), EINVAL, "%s: non-zero flags",
		  guest_case_name());
	bad = f;
	bad.reserved[5] = 1;
	tap_errno(ioctl(vcpu->fd, VMAIN_VCPU_SET_FPU, &bad), EINVAL, "%s: non-zero reserved",
		  guest_case_name());
	tap_errno(ioctl(vcpu->fd, VMAIN_VCPU_SET_FPU, NULL), EFAULT, "%s: SET_FPU(NULL)",
		  guest_case_name());
	tap_errno(ioctl(vcpu->fd, VMAIN_VCPU_GET_FPU, NULL), EFAULT, "%s: GET_FPU(NULL)",
		  guest_case_name());
	tap_ok(ioctl(vcpu->fd, VMAIN_VCPU_SET_FPU, &f) == 0,
	       "%s: the image GET_FPU gave is accepted back", guest_case_name());
out:
	guest_shutdown(&vm, &vcpu);
}

int main(int argc, char **argv)
{
	static const struct guest_test tests[] = {
		{ "fpu/xmm", test_xmm },
		{ "fpu/xsetbv", test_xsetbv },
		{ "fpu/pkru", test_pkru },
		{ "fpu/errors", test_errors },
	};

	guest_init(argc, argv, 0);
	guest_run_tests(tests, sizeof(tests) / sizeof(tests[0]));
	close(guest_devfd);
	return guest_done();
}
