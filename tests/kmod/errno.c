// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * errno.c - every error path of /dev/vm-main and the VM fd, one check each
 * (the errno table of docs/abi.md).
 *
 *   errno                 hardware usable and free (SVM or VMX arena)
 *   errno --expect-nohw   the CPU lacks the engine: CREATE_VM is ENODEV
 *   errno --expect-owned  KVM (kvm_amd/kvm_intel loaded) holds the hardware
 *                         while a KVM VM exists: CREATE_VM is EBUSY
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "tap.h"
#include "util.h"

/* From <linux/kvm.h>: the KVM calls the ownership test needs. */
#define KVM_CREATE_VM_NR	_IO(0xAE, 0x01)

static void test_device_basics(int fd)
{
	char buf[16];

	tap_ok(ioctl(fd, VMAIN_GET_API_VERSION, 0) == VMAIN_API_VERSION,
	       "GET_API_VERSION returns %d", VMAIN_API_VERSION);
	tap_errno(ioctl(fd, VMAIN_GET_API_VERSION, 1), EINVAL,
		  "GET_API_VERSION with a non-zero argument");
	tap_ok(ioctl(fd, VMAIN_CHECK_CAP, VMAIN_CAP_EXCLUSIVE_OPEN) == 1,
	       "CHECK_CAP(EXCLUSIVE_OPEN) is 1");
	tap_ok(ioctl(fd, VMAIN_CHECK_CAP, VMAIN_CAP_VM_UUID) == 1,
	       "CHECK_CAP(VM_UUID) is 1");
	tap_ok(ioctl(fd, VMAIN_CHECK_CAP, VMAIN_CAP_MAX_VMS) == 1024,
	       "CHECK_CAP(MAX_VMS) is 1024");
	tap_ok(ioctl(fd, VMAIN_CHECK_CAP, 0) == 0, "CHECK_CAP(0) is 0 (unknown)");
	tap_ok(ioctl(fd, VMAIN_CHECK_CAP, 0x7fffffffUL) == 0,
	       "CHECK_CAP(unknown) is 0");
	tap_ok(ioctl(fd, VMAIN_CHECK_CAP, ~0UL) == 0,
	       "CHECK_CAP(~0) is 0");

	tap_errno(ioctl(fd, _IO(VMAIN_IO, 0x1f), 0), ENOTTY,
		  "unknown ioctl number on the device");
	tap_errno(ioctl(fd, _IO(0xAE, 0x00), 0), ENOTTY,
		  "a KVM ioctl on the device");
	tap_errno(ioctl(fd, VMAIN_VM_GET_INFO, buf), ENOTTY,
		  "a VM ioctl on the device");
	tap_errno(ioctl(fd, _IOW(VMAIN_IO, 0x02, __u32), buf), ENOTTY,
		  "CREATE_VM's number with the wrong size");
	tap_errno(ioctl(fd, _IOR(VMAIN_IO, 0x02, struct vmain_create_vm), buf),
		  ENOTTY, "CREATE_VM's number with the wrong direction");
	tap_errno(ioctl(fd, _IOR(VMAIN_IO, 0x00, __u32), buf), ENOTTY,
		  "GET_API_VERSION's number with a size");

	tap_errno(read(fd, buf, sizeof(buf)), EINVAL, "read() on the device");
	tap_errno(write(fd, buf, sizeof(buf)), EINVAL, "write() on the device");
	tap_errno(lseek(fd, 0, SEEK_SET), EINVAL, "lseek() on the device");
	tap_errno(pread(fd, buf, sizeof(buf), 0), EINVAL, "pread() on the device");
	tap_ok(mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0) == MAP_FAILED &&
	       errno == ENODEV, "mmap() on the device: ENODEV");
}

static void test_create_args(int fd)
{
	struct vmain_create_vm args;
	long page = sysconf(_SC_PAGESIZE);
	unsigned int bit, i;
	char *two;

	tap_errno(ioctl(fd, VMAIN_CREATE_VM, NULL), EFAULT, "CREATE_VM(NULL)");
	tap_errno(ioctl(fd, VMAIN_CREATE_VM, (void *)1), EFAULT,
		  "CREATE_VM(unaligned wild pointer)");
	tap_errno(ioctl(fd, VMAIN_CREATE_VM, (void *)0xffff888000000000UL),
		  EFAULT, "CREATE_VM(kernel address)");

	/* The struct straddles into an unmapped page. */
	two = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (two != MAP_FAILED) {
		munmap(two + page, page);
		memset(two, 0, page);
		test_uuid((__u8 *)two + page - 32, 1);
		tap_errno(ioctl(fd, VMAIN_CREATE_VM, two + page - 32), EFAULT,
			  "CREATE_VM with the struct half in an unmapped page");
		munmap(two, page);
	}

	for (bit = 0; bit < 32; bit++) {
		memset(&args, 0, sizeof(args));
		test_uuid(args.uuid, 2);
		args.flags = 1U << bit;
		if (args.flags & VMAIN_CREATE_VM_VALID_FLAGS)
			continue;
		tap_errno(ioctl(fd, VMAIN_CREATE_VM, &args), EINVAL,
			  "CREATE_VM with unknown flag bit %u", bit);
	}
	memset(&args, 0, sizeof(args));
	test_uuid(args.uuid, 2);
	args.pad = 1;
	tap_errno(ioctl(fd, VMAIN_CREATE_VM, &args), EINVAL,
		  "CREATE_VM with non-zero pad");
	for (i = 0; i < sizeof(args.reserved) / sizeof(args.reserved[0]); i++) {
		memset(&args, 0, sizeof(args));
		test_uuid(args.uuid, 2);
		args.reserved[i] = 1ULL << 63;
		tap_errno(ioctl(fd, VMAIN_CREATE_VM, &args), EINVAL,
			  "CREATE_VM with reserved[%u] non-zero", i);
	}
	memset(&args, 0, sizeof(args));
	tap_errno(ioctl(fd, VMAIN_CREATE_VM, &args), EINVAL,
		  "CREATE_VM with the nil UUID");
}

/* In a child process: every ioctl on the parent's VM fd is EPERM. */
static void test_foreign_process(int vmfd)
{
	struct vmain_vm_info info;
	int status, pipefd[2];
	pid_t pid;
	char res[2] = { 0, 0 };

	if (pipe(pipefd))
		return;
	pid = fork();
	if (pid == 0) {
		close(pipefd[0]);
		res[0] = ioctl(vmfd, VMAIN_VM_GET_INFO, &info) == -1 && errno == EPERM;
		res[1] = ioctl(vmfd, VMAIN_CHECK_CAP, VMAIN_CAP_VM_UUID) == -1 &&
			 errno == EPERM;
		if (write(pipefd[1], res, 2) != 2)
			_exit(2);
		_exit(0);
	}
	close(pipefd[1]);
	if (read(pipefd[0], res, 2) != 2)
		res[0] = res[1] = 0;
	close(pipefd[0]);
	waitpid(pid, &status, 0);
	tap_ok(res[0], "VM_GET_INFO from another process (fork child): EPERM");
	tap_ok(res[1], "CHECK_CAP on a VM fd from another process: EPERM");
	tap_ok(ioctl(vmfd, VMAIN_VM_GET_INFO, &info) == 0,
	       "the owner still uses the VM after the child exited");
}

static void test_vm_fd(int fd)
{
	struct vmain_vm_info info;
	__u8 uuid[16];
	char buf[16];
	int vmfd, flags;

	vmfd = test_create_vm(fd, 3);
	if (!tap_ok(vmfd >= 0, "CREATE_VM with a valid UUID returns a VM fd")) {
		tap_diag("  errno %d (%s)", errno, strerror(errno));
		return;
	}
	flags = fcntl(vmfd, F_GETFD);
	tap_ok(flags >= 0 && (flags & FD_CLOEXEC), "the VM fd is O_CLOEXEC");
	tap_ok(test_live_vms() == 1, "sysfs vms counts 1 live VM");
	tap_errno(test_create_vm(fd, 3), EBUSY,
		  "CREATE_VM with a UUID that is live");

	memset(&info, 0xa5, sizeof(info));
	test_uuid(uuid, 3);
	tap_ok(ioctl(vmfd, VMAIN_VM_GET_INFO, &info) == 0 &&
	       !memcmp(info.uuid, uuid, 16) && info.flags == 0 &&
	       info.owner_pid == (__u32)getpid() && info.pad == 0 &&
	       info.hw == (__u32)ioctl(fd, VMAIN_CHECK_CAP, VMAIN_CAP_HW),
	       "VM_GET_INFO reports UUID, flags, owner pid, engine; zero tail");
	/* A new VM: its nested page-table root only, no fault yet. */
	tap_ok(info.npt_table_pages == 1 && info.npt_faults == 0 &&
	       info.npt_huge_leaves == 0 && info.npt_giant_leaves == 0,
	       "VM_GET_INFO of a new VM: 1 nested table page (the root), no faults, no large leaves");
	tap_errno(ioctl(vmfd, VMAIN_VM_GET_INFO, NULL), EFAULT,
		  "VM_GET_INFO(NULL)");
	tap_errno(ioctl(vmfd, VMAIN_VM_GET_INFO, (void *)0xffff888000000000UL),
		  EFAULT, "VM_GET_INFO(kernel address)");
	tap_ok(ioctl(vmfd, VMAIN_CHECK_CAP, VMAIN_CAP_VM_UUID) == 1,
	       "CHECK_CAP works on a VM fd");
	tap_errno(ioctl(vmfd, _IO(VMAIN_IO, 0x5f), 0), ENOTTY,
		  "unknown ioctl number on a VM fd");
	/* vCPUs: both engines (AMD-V and VT-x) have them. */
	{
		int vcpu = ioctl(vmfd, VMAIN_VM_CREATE_VCPU, 0UL);

		tap_ok(vcpu >= 0, "CREATE_VCPU on the %s engine gives a vCPU fd",
		       (info.hw & VMAIN_HW_SVM) ? "AMD-V" : "VT-x");
		if (vcpu >= 0)
			close(vcpu);
	}
	tap_errno(ioctl(vmfd, VMAIN_CREATE_VM, buf), ENOTTY,
		  "a device ioctl (CREATE_VM) on a VM fd");
	tap_errno(ioctl(vmfd, VMAIN_GET_API_VERSION, 0), ENOTTY,
		  "GET_API_VERSION on a VM fd");
	tap_errno(read(vmfd, buf, sizeof(buf)), EINVAL, "read() on a VM fd");
	tap_errno(write(vmfd, buf, sizeof(buf)), EINVAL, "write() on a VM fd");
	tap_errno(lseek(vmfd, 0, SEEK_SET), EINVAL, "lseek() on a VM fd");
	tap_ok(mmap(NULL, 4096, PROT_READ, MAP_SHARED, vmfd, 0) == MAP_FAILED &&
	       errno == ENODEV, "mmap() on a VM fd: ENODEV");

	test_foreign_process(vmfd);

	close(vmfd);
	tap_ok(test_live_vms() == 0, "closing the VM fd frees the VM");
	vmfd = test_create_vm(fd, 3);
	tap_ok(vmfd >= 0, "the UUID is free again after close");
	if (vmfd >= 0)
		close(vmfd);
}

static void test_max_vms(int fd)
{
	struct rlimit rl = { 2048, 2048 };
	static int fds[1024];
	int i, n = 0, extra;

	if (setrlimit(RLIMIT_NOFILE, &rl)) {
		tap_ok(0, "raise RLIMIT_NOFILE to 2048 for the VM-limit test");
		return;
	}
	for (i = 0; i < 1024; i++) {
		fds[i] = test_create_vm(fd, 1000 + i);
		if (fds[i] < 0)
			break;
		n++;
	}
	tap_ok(n == 1024, "1024 VMs can exist at once (got %d)", n);
	tap_errno(test_create_vm(fd, 5000), ENOSPC, "the 1025th VM");
	if (n > 0) {
		close(fds[--n]);
		extra = test_create_vm(fd, 5000);
		tap_ok(extra >= 0, "after closing one, a VM can be created again");
		if (extra >= 0)
			close(extra);
	}
	while (n > 0)
		close(fds[--n]);
	tap_ok(test_live_vms() == 0, "all 1024 VMs freed");
}

static void test_nohw(int fd)
{
	tap_ok(ioctl(fd, VMAIN_CHECK_CAP, VMAIN_CAP_HW) == 0,
	       "CHECK_CAP(HW) is 0 without virtualization hardware");
	tap_errno(test_create_vm(fd, 7), ENODEV,
		  "CREATE_VM without virtualization hardware");
	tap_ok(test_live_vms() == 0, "nothing was left behind");
}

static void test_owned(int fd)
{
	int kvm, kvmvm, vm;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (!tap_ok(kvm >= 0, "/dev/kvm opens (kvm_amd/kvm_intel loaded)"))
		return;
	kvmvm = ioctl(kvm, KVM_CREATE_VM_NR, 0);
	if (!tap_ok(kvmvm >= 0, "KVM creates a VM (KVM now owns the hardware)"))
		goto close_kvm;
	tap_errno(test_create_vm(fd, 8), EBUSY,
		  "CREATE_VM while KVM owns the hardware");
	tap_ok(test_live_vms() == 0, "nothing was left behind");
	close(kvmvm);
	vm = test_create_vm(fd, 8);
	tap_ok(vm >= 0, "CREATE_VM succeeds once KVM's VM is gone");
	if (vm >= 0) {
		kvmvm = ioctl(kvm, KVM_CREATE_VM_NR, 0);
		tap_diag("KVM_CREATE_VM while vmain has a VM: %s",
			 kvmvm >= 0 ? "allowed by KVM" : strerror(errno));
		if (kvmvm >= 0)
			close(kvmvm);
		close(vm);
	}
close_kvm:
	close(kvm);
}

int main(int argc, char **argv)
{
	bool nohw = argc > 1 && !strcmp(argv[1], "--expect-nohw");
	bool owned = argc > 1 && !strcmp(argv[1], "--expect-owned");
	int fd;

	fd = test_open(0);
	if (!tap_ok(fd >= 0, "open(%s)", VMAIN_DEVICE_PATH))
		return tap_done();
	test_device_basics(fd);
	test_create_args(fd);
	if (nohw) {
		test_nohw(fd);
	} else if (owned) {
		test_owned(fd);
	} else {
		tap_ok(ioctl(fd, VMAIN_CHECK_CAP, VMAIN_CAP_HW) > 0,
		       "CHECK_CAP(HW) reports an engine");
		test_vm_fd(fd);
		test_max_vms(fd);
	}
	close(fd);
	return tap_done();
}
