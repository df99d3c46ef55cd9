# SPDX-License-Identifier: GPL-2.0-or-later
#
# vmain - the top-level build.
#
#   make              build vmain.ko and the programs (installs build deps)
#   make run          the main job (see README): boot the default guest to a
#                     shell with `vmain run` (directly, or in the AMD-V arena)
#   make guest        build the default guest (build/guest/)
#   make guest-debian build the Debian guest (build/guest-debian/; as root)
#   make check        run every test (installs test deps; uses the arenas)
#   make check-full   make check, then the slow ones: the Debian guest, longer
#                     crash and fuzz runs (docs/testing.md says what runs where)
#   make asan         build the userspace programs with ASan/UBSan in build-asan/
#   make install      install the programs, units and the module via DKMS
#   make uninstall    remove what make install put there (docs/install.md)
#   make clean
#
# Variables:
#   KDIR=DIR          kernel build tree (default: Debian's linux-headers-amd64)
#   FUZZ_CALLS=N      ioctl fuzzer calls in make check (default 1000000)
#   SANITIZE=1        build the userspace programs with ASan and UBSan
#   PREFIX=DIR        where make install puts programs (default /usr/local)
#   DESTDIR=DIR       staging root for make install/uninstall (packagers)

TOP      := $(CURDIR)
KVER     ?= $(shell scripts/kver)
KDIR     ?= /lib/modules/$(KVER)/build
SANITIZE ?= 0
BUILD    ?= $(if $(filter 1,$(SANITIZE)),build-asan,build)
PREFIX   ?= /usr/local
# Plain `make` builds; the fuzz rules below come first in the file.
.DEFAULT_GOAL := all

CC       ?= cc
CXX      ?= c++
CFLAGS   ?= -O2 -g
WARN     := -Wall -Wextra -Werror
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
ALL_CFLAGS := -std=gnu11 -D_GNU_SOURCE $(WARN) $(CFLAGS) -Icommon -Itests/lib \
	$(if $(filter 1,$(SANITIZE)),$(SANFLAGS))
ALL_LDFLAGS := $(LDFLAGS) $(if $(filter 1,$(SANITIZE)),$(SANFLAGS))

# Test programs run inside the arenas.
KMOD_TESTS := errno claims fuzz-ioctl hold-vm
# The monitor's backends, tested inside the SVM arena with kvm_amd.
HV_SRCS := monitor/hv/hv.c monitor/hv/backend-vmain.c monitor/hv/backend-kvm.c \
	   monitor/hv/backend-kvm-irq.c monitor/hv/vmain-dev.c
MONITOR_ARENA_TESTS := $(BUILD)/tests/monitor/hv-test $(BUILD)/tests/monitor/hv-state-test \
		       $(BUILD)/tests/monitor/vmctl-test \
		       $(BUILD)/tests/monitor/dns-stub $(BUILD)/tests/monitor/display-check \
		       $(BUILD)/tests/monitor/vnc-snap $(BUILD)/tests/monitor/display-storm

# Benchmarks run inside the arenas (make bench).
BENCH_PROGS := $(BUILD)/tests/bench/exit-counts $(BUILD)/tests/bench/ui-latency $(BUILD)/tests/bench/net-rr

# Test programs run on the host.
# Every tests/{devices,boot,acpi,machine}/NAME-test.c is one host test program.
HOST_TESTS := abi/layout decode/decode-test decode/fuzz-decode \
	      $(patsubst tests/%.c,%,$(wildcard tests/devices/*-test.c tests/boot/*-test.c \
					     tests/acpi/*-test.c tests/machine/*-test.c \
					     tests/io/*-test.c tests/disk/*-test.c tests/vm/*-test.c \
					     tests/net/*-test.c tests/display/*-test.c \
					     tests/state/*-test.c tests/ui/*-test.c)) \
	      disk/fuzz-qcow2 vm/fuzz-dbus-display display/vnc-serve

# The machine's pieces that run without a backend (CPUID policy, interrupt
# routing with the device models, size parsing), host-tested.
MACHINE_UNIT_SRCS := monitor/machine/cpuid.c monitor/machine/irq.c monitor/size.c $(HV_SRCS)

# The Linux boot-protocol loader (monitor/boot/) and its host tests.
BOOT_SRCS := monitor/boot/bzimage.c monitor/boot/e820.c monitor/boot/bootparams.c \
	     monitor/boot/layout.c monitor/boot/multiboot.c monitor/boot/fwboot.c
BOOT_HDRS := $(BOOT_SRCS:.c=.h)

# The monitor's device models (monitor/devices/) and their host tests.
# The monitor's device models (monitor/devices/, with the virtio transport
# and queues in monitor/virtio/): plain C, host-tested.
DEVICE_SRCS := $(wildcard monitor/devices/*.c monitor/virtio/*.c monitor/state/*.c)
DEVICE_HDRS := $(wildcard monitor/devices/*.h monitor/virtio/*.h monitor/state/*.h monitor/machine/*.h) monitor/le.h
# Compiled once into an archive the host tests link (each test compiling
# every model again made the ASan build of make check the slowest part).
DEVICE_LIB := $(BUILD)/lib/libvmain-devices.a
DEVICE_OBJS := $(patsubst %.c,$(BUILD)/lib/%.o,$(DEVICE_SRCS))

# The I/O model (monitor/io/: the I/O loop, the worker pool) and the disk
# stack (monitor/disk/: io_uring engine, write cache, raw and qcow2), GLib-free,
# host-tested in tests/io/ and tests/disk/.
IO_SRCS := $(wildcard monitor/io/*.c)
DISK_SRCS := $(wildcard monitor/disk/*.c)
IO_HDRS := $(wildcard monitor/io/*.h monitor/disk/*.h)
DISK_LIBS := $(shell pkg-config --libs liburing 2>/dev/null || echo -luring) -lz -lzstd -pthread
# Compiled once into an archive the host tests link (not once per test).
IO_DISK_LIB := $(BUILD)/lib/libvmain-iodisk.a
IO_DISK_OBJS := $(patsubst %.c,$(BUILD)/lib/%.o,$(IO_SRCS) $(DISK_SRCS))

# The ACPI table builder (monitor/acpi/) and its host tests.
ACPI_SRCS := $(wildcard monitor/acpi/*.c)
ACPI_HDRS := $(wildcard monitor/acpi/*.h monitor/machine/*.h)

# The x86 decoder (common/x86/), shared with vmain.ko, and its host tests.
X86_SRCS := common/x86/decode.c common/x86/modrm.c common/x86/describe.c
X86_HDRS := $(wildcard common/x86/*.h)

# Guest-execution tests (engine-neutral), run inside the arenas.
GUEST_TESTS := exits cpuid-msr events control memory vcpu-errors fpu mmio

PROGS := $(BUILD)/monitor/vmain $(BUILD)/ui/vmain-gtk $(BENCH_PROGS) $(BUILD)/tests/bench/save-bench $(MONITOR_ARENA_TESTS) $(BUILD)/examples/display-viewer \
	 $(BUILD)/tools/sockbridge $(BUILD)/tests/ui/fake-vm $(BUILD)/tests/ui/shot-check $(BUILD)/tests/ui/cursor-check \
	 $(addprefix $(BUILD)/tests/kmod/guest/,$(GUEST_TESTS)) \
	 $(addprefix $(BUILD)/tests/kmod/,$(KMOD_TESTS)) \
	 $(addprefix $(BUILD)/tests/,$(HOST_TESTS))

# The monitor.
MONITOR_SRCS := $(wildcard monitor/*.c monitor/*/*.c)
MONITOR_HDRS := $(wildcard monitor/*.h monitor/*/*.h) common/vmain.h common/org.vmain.xml
GLIB_CFLAGS = $(shell pkg-config --cflags glib-2.0)
GLIB_LIBS   = $(shell pkg-config --libs glib-2.0)
# The monitor: GLib's GDBus for the control API, libsystemd for sd_notify,
# libslirp for user networking, libvncserver for VNC, libpng for screenshots.
MONITOR_PKGS   = glib-2.0 gio-unix-2.0 libsystemd slirp libvncserver libpng
MONITOR_CFLAGS = $(shell pkg-config --cflags $(MONITOR_PKGS))
MONITOR_LIBS   = $(shell pkg-config --libs $(MONITOR_PKGS))

# The qcow2 parser: a seeded standalone pass writes a corpus of mutated
# qemu-img images, then libFuzzer (clang) runs FUZZ_TIME seconds on it.
# make check runs a bounded standalone pass (tests/disk/fuzz.t).
fuzz-qcow2:
	@mkdir -p build/fuzz/qcow2-corpus
	$(CC) -std=gnu11 -D_GNU_SOURCE $(WARN) -O1 -Icommon -Itests/lib -Imonitor -DFUZZ_STANDALONE \
		-o build/fuzz/fuzz-qcow2-seeds tests/disk/fuzz-qcow2.c $(IO_SRCS) $(DISK_SRCS) $(DISK_LIBS)
	build/fuzz/fuzz-qcow2-seeds -w build/fuzz/qcow2-corpus
	clang -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -g -O1 -Icommon -Itests/lib -Imonitor \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-o build/fuzz/fuzz-qcow2 tests/disk/fuzz-qcow2.c $(IO_SRCS) $(DISK_SRCS) $(DISK_LIBS)
	build/fuzz/fuzz-qcow2 -max_len=65536 -max_total_time=$(or $(FUZZ_TIME),120) build/fuzz/qcow2-corpus

# libFuzzer on org.vmain.Display1 (vm/dbus-display.c over a real display
# and GDBus peer connections), for FUZZ_TIME seconds, from the standalone
# build's seed inputs; make check runs a bounded pass (tests/vm/fuzz.t).
FUZZ_DBUS_DISPLAY_SRCS := tests/vm/fuzz-dbus-display.c monitor/vm/dbus-display.c monitor/display/display.c $(IO_SRCS)
fuzz-dbus-display: $(BUILD)/tests/vm/fuzz-dbus-display
	@mkdir -p build/fuzz/dbus-display-corpus
	$(BUILD)/tests/vm/fuzz-dbus-display -w build/fuzz/dbus-display-corpus
	clang -std=gnu11 -D_GNU_SOURCE $(WARN) -g -O1 -Icommon -Itests/lib -Imonitor $(shell pkg-config --cflags gio-unix-2.0) \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -pthread \
		-o build/fuzz/fuzz-dbus-display $(FUZZ_DBUS_DISPLAY_SRCS) $(shell pkg-config --libs gio-unix-2.0) $(DISK_LIBS)
	build/fuzz/fuzz-dbus-display -max_len=4096 -timeout=30 -max_total_time=$(or $(FUZZ_TIME),120) build/fuzz/dbus-display-corpus

# libFuzzer on the decoder (clang), for FUZZ_TIME seconds; not part of check.
fuzz-decode:
	@mkdir -p build/fuzz/corpus
	clang -std=gnu11 -Wall -Wextra -Werror -g -O1 -Icommon -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=all -o build/fuzz/fuzz-decode tests/decode/fuzz-decode.c $(X86_SRCS)
	build/fuzz/fuzz-decode -max_len=32 -max_total_time=$(or $(FUZZ_TIME),120) build/fuzz/corpus

.PHONY: install uninstall fuzz-qcow2 fuzz-dbus-display check-full guest check-guest run all deps fuzz-decode bench deps-test kmod progs check check-host check-kmod check-svm check-vmx check-vmx-full asan clean help

# The builds run JOBS compilers at once (default: one per CPU); make -jN
# given on the command line wins.
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
PAR  := $(if $(findstring j,$(filter-out --%,$(MAKEFLAGS))),,-j$(JOBS))

all: deps
	@$(MAKE) --no-print-directory $(PAR) kmod progs

help:
	@sed -n '3,/^$$/p' Makefile | sed 's/^# \{0,1\}//'

deps:
	@scripts/deps build

deps-test:
	@scripts/deps build test

# The module, warning-free (kmod/Kbuild adds -Werror).  BTF needs a vmlinux
# that headers packages do not ship, so it is not generated.
kmod:
	@test -d "$(KDIR)" || { echo "vmain: no kernel build tree at $(KDIR) (install linux-headers-amd64 or set KDIR=)"; exit 1; }
	$(MAKE) -C $(KDIR) M=$(TOP) CONFIG_DEBUG_INFO_BTF_MODULES= modules

progs: $(PROGS)

# One object per source, so that make -j compiles them side by side (one
# compiler run over every file was the longest step of make check's
# builds); each depends on every monitor header, as the one run did.
MONITOR_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(MONITOR_SRCS))
$(BUILD)/obj/%.o: %.c $(MONITOR_HDRS)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Imonitor $(MONITOR_CFLAGS) -pthread -c -o $@ $<

$(BUILD)/monitor/vmain: $(MONITOR_OBJS)
	@mkdir -p $(dir $@)
	$(CC) -pthread -o $@ $(MONITOR_OBJS) $(ALL_LDFLAGS) $(MONITOR_LIBS) $(DISK_LIBS)

$(BUILD)/tests/decode/%: tests/decode/%.c $(X86_SRCS) $(X86_HDRS) tests/lib/tap.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(X86_SRCS) $(ALL_LDFLAGS)

$(BUILD)/tests/decode/fuzz-decode: ALL_CFLAGS += -DFUZZ_STANDALONE

# The control API's test client (the lifecycle test in the arena).
$(BUILD)/tests/monitor/vmctl-test: tests/monitor/vmctl-test.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(MONITOR_CFLAGS) -o $@ $< $(ALL_LDFLAGS) $(MONITOR_LIBS)

# The SVM arena's socket forwarder (scripts/arena-svm -S).
$(BUILD)/tools/sockbridge: tools/sockbridge.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(ALL_LDFLAGS)

# The display test's pattern checker (a screenshot against the guest's drawing).
$(BUILD)/tests/monitor/display-check: tests/monitor/display-check.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(shell pkg-config --cflags libpng) -o $@ $< $(ALL_LDFLAGS) $(shell pkg-config --libs libpng)

# The display test's VNC client (libvncclient), saving what it sees as a PNG.
$(BUILD)/tests/monitor/vnc-snap: tests/monitor/vnc-snap.c monitor/display/png.c monitor/display/display.c $(IO_DISK_LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Imonitor $(shell pkg-config --cflags libvncclient libpng) -pthread -o $@ $< monitor/display/png.c monitor/display/display.c $(IO_DISK_LIB) $(ALL_LDFLAGS) $(shell pkg-config --libs libvncclient libpng) $(DISK_LIBS)

# The display test's storm of size requests and private-mode toggles.
$(BUILD)/tests/monitor/display-storm: tests/monitor/display-storm.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(shell pkg-config --cflags gio-2.0) -o $@ $< $(ALL_LDFLAGS) $(shell pkg-config --libs gio-2.0)

# The network test's DNS server (the arena has none).
$(BUILD)/tests/monitor/dns-stub: tests/monitor/dns-stub.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(ALL_LDFLAGS)

$(BUILD)/tests/monitor/%: tests/monitor/%.c $(HV_SRCS) $(wildcard monitor/hv/*.h) common/vmain.h tests/lib/tap.h
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Imonitor -o $@ $< $(HV_SRCS) $(ALL_LDFLAGS)

$(BUILD)/tests/boot/%: tests/boot/%.c $(BOOT_SRCS) $(BOOT_HDRS) tests/lib/tap.h
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Imonitor -o $@ $< $(BOOT_SRCS) $(ALL_LDFLAGS)

$(BUILD)/lib/%.o: %.c $(IO_HDRS) tests/lib/tap.h
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Imonitor -c -o $@ $<

$(IO_DISK_LIB): $(IO_DISK_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

$(DEVICE_OBJS): $(DEVICE_HDRS) $(wildcard monitor/display/*.h)

$(DEVICE_LIB): $(DEVICE_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/tests/devices/%: tests/devices/%.c $(DEVICE_LIB) $(DEVICE_HDRS) $(IO_DISK_LIB) $(IO_HDRS) $(wildcard tests/devices/*.h) tests/lib/tap.h
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Imonitor -pthread -o $@ $< $(DEVICE_LIB) $(IO_DISK_LIB) $(ALL_LDFLAGS) $(DISK_LIBS)

# virtio-blk-test makes the device's allocations fail (__wrap_calloc).
$(BUILD)/tests/devices/virtio-blk-test: ALL_LDFLAGS += -Wl,--wrap=calloc

# The save file (monitor/state/savefile.c) with the state stream, host-tested.
$(BUILD)/tests/state/%: tests/state/%.c $(wildcard monitor/state/*.c monitor/state/*.h) monitor/le.h $(IO_DISK_LIB) $(IO_HDRS) tests/lib/tap.h
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Imonitor -pthread -o $@ $< $(wildcard monitor/state/*.c) $(IO_DISK_LIB) $(ALL_LDFLAGS) $(DISK_LIBS)

$(BUILD)/tests/io/%: tests/io/%.c $(IO_SRCS) $(IO_HDRS) $(wildcard tests/io/*.h) tests/lib/tap.h
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Imonitor -pthread -o $@ $< $(IO_SRCS) $(ALL_LDFLAGS) $(DISK_LIBS)

$(BUILD)/tests/disk/%: tests/disk/%.c $(IO_DISK_LIB) $(IO_HDRS) $(wildcard tests/disk/*.h) tests/lib/tap.h
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Imonitor -pthread -o $@ $< $(IO_DISK_LIB) $(ALL_LDFLAGS) $(DISK_LIBS)

# The packet back ends (monitor/net/: options, slirp, tap), host-tested in
# tests/net/ (libslirp from Debian's libslirp-dev).
NET_SRCS := $(wildcard monitor/net/*.c)
$(BUILD)/tests/net/%: tests/net/%.c $(NET_SRCS) $(wildcard monitor/net/*.h) $(IO_DISK_LIB) $(IO_HDRS) tests/lib/tap.h
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Imonitor $(shell pkg-config --cflags slirp) -pthread -o $@ $< $(NET_SRCS) $(IO_DISK_LIB) $(ALL_LDFLAGS) $(shell pkg-config --libs slirp) $(DISK_LIBS)
# The NIC over the real user back end: the device models and the fake guest driver too.
$(BUILD)/tests/net/virtio-net-slirp-test: tests/net/virtio-net-slirp-test.c $(NET_SRCS) $(wildcard monitor/net/*.h) $(DEVICE_LIB) $(DEVICE_HDRS) tests/devices/virtio-driver.h $(IO_DISK_LIB) $(IO_HDRS) tests/lib/tap.h
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Imonitor -Itests/devices $(shell pkg-config --cflags slirp) -pthread -o $@ $< $(NET_SRCS) $(DEVICE_LIB) $(IO_DISK_LIB) $(ALL_LDFLAGS) $(shell pkg-config --libs slirp) $(DISK_LIBS)

# The display (monitor/display/: the surface between the virtio-gpu and its
# viewers, and the VNC server), GLib-free, host-tested in tests/display/
# (VNC through libvncclient, in libvncserver-dev).
DISPLAY_SRCS := $(wildcard monitor/display/*.c)
DISPLAY_PKGS := libvncserver libvncclient libpng
$(BUILD)/tests/display/%: tests/display/%.c $(DISPLAY_SRCS) $(wildcard monitor/display/*.h) $(IO_DISK_LIB) $(IO_HDRS) $(wildcard tests/display/*.h) tests/lib/tap.h
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Imonitor $(shell pkg-config --cflags $(DISPLAY_PKGS)) -pthread -o $@ $< $(DISPLAY_SRCS) $(IO_DISK_LIB) $(ALL_LDFLAGS) $(shell pkg-config --libs $(DISPLAY_PKGS)) $(DISK_LIBS)

# The control API's display interface (vm/dbus-display.c) over a real
# GDBusServer, with the display and the I/O loop it runs on.
$(BUILD)/tests/vm/dbus-display-test: tests/vm/dbus-display-test.c tests/lib/vm-xml.h monitor/vm/dbus-display.c monitor/display/display.c $(wildcard monitor/display/*.h) monitor/vm/dbus-display.h common/org.vmain.xml $(IO_DISK_LIB) tests/lib/tap.h $(BUILD)/examples/display-viewer
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Imonitor $(shell pkg-config --cflags gio-unix-2.0) -pthread -o $@ $< monitor/vm/dbus-display.c monitor/display/display.c $(IO_DISK_LIB) $(ALL_LDFLAGS) $(shell pkg-config --libs gio-unix-2.0) $(DISK_LIBS)

# The Display1 fuzzer's standalone build (seeded random inputs, make check).
$(BUILD)/tests/vm/fuzz-dbus-display: tests/vm/fuzz-dbus-display.c tests/lib/vm-xml.h monitor/vm/dbus-display.c monitor/display/display.c $(wildcard monitor/display/*.h) monitor/vm/dbus-display.h common/org.vmain.xml $(IO_DISK_LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -DFUZZ_STANDALONE -Imonitor $(shell pkg-config --cflags gio-unix-2.0) -pthread -o $@ $< monitor/vm/dbus-display.c monitor/display/display.c $(IO_DISK_LIB) $(ALL_LDFLAGS) $(shell pkg-config --libs gio-unix-2.0) $(DISK_LIBS)

# The example viewer of docs/api.md (also the display test's listener).
$(BUILD)/examples/display-viewer: examples/display-viewer.c monitor/display/png.c monitor/display/display.c $(wildcard monitor/display/*.h) $(IO_DISK_LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Imonitor $(shell pkg-config --cflags gio-unix-2.0 libpng) -pthread -o $@ $< monitor/display/png.c monitor/display/display.c $(IO_DISK_LIB) $(ALL_LDFLAGS) $(shell pkg-config --libs gio-unix-2.0 libpng) $(DISK_LIBS)

# The bundle and configuration library (monitor/vm/: config.ini, bundles and
# their lock, vmain.conf), host-tested in tests/vm/.
VM_LIB_SRCS := monitor/vm/caller-file.c monitor/vm/config.c monitor/vm/bundle.c monitor/vm/hostconf.c monitor/vm/ini.c monitor/net/options.c monitor/size.c monitor/display/vnc-options.c
$(BUILD)/tests/vm/%: tests/vm/%.c $(VM_LIB_SRCS) $(wildcard monitor/vm/*.h) $(IO_DISK_LIB) $(IO_HDRS) $(wildcard tests/vm/*.h) tests/lib/tap.h
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Imonitor $(GLIB_CFLAGS) -pthread -o $@ $< $(VM_LIB_SRCS) $(IO_DISK_LIB) $(ALL_LDFLAGS) $(GLIB_LIBS) $(DISK_LIBS)

# The desktop app (ui/): GTK3 + pixman, a client of the control API only.
# It links no device, backend or monitor code; ui/*.c but main.c are its
# parts, host-tested one by one in tests/ui/NAME-test.c.
UI_PKGS := gtk+-3.0 gio-unix-2.0 pixman-1 json-glib-1.0 x11
UI_SRCS := $(filter-out ui/main.c,$(wildcard ui/*.c))
UI_HDRS := $(wildcard ui/*.h)
UI_CFLAGS = $(shell pkg-config --cflags $(UI_PKGS))
UI_LIBS   = $(shell pkg-config --libs $(UI_PKGS)) -lm
$(BUILD)/ui/vmain-gtk: ui/main.c $(UI_SRCS) $(UI_HDRS) common/org.vmain.xml
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Iui $(UI_CFLAGS) -o $@ ui/main.c $(UI_SRCS) $(ALL_LDFLAGS) $(UI_LIBS)

$(BUILD)/tests/ui/%: tests/ui/%.c $(UI_SRCS) $(UI_HDRS) $(wildcard tests/ui/*.h) tests/lib/tap.h common/org.vmain.xml
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Iui $(UI_CFLAGS) -o $@ $< $(UI_SRCS) $(ALL_LDFLAGS) $(UI_LIBS)

# The app's end-to-end tests' VM: the monitor's real control API for the
# display (vm/dbus-display.c over display/display.c) and a VM1 object with
# its states, on a bundle's socket, drawing a known pattern; no backend.
$(BUILD)/tests/ui/fake-vm: tests/ui/fake-vm.c tests/lib/vm-xml.h monitor/vm/dbus-display.c monitor/display/display.c $(wildcard monitor/display/*.h) monitor/vm/dbus-display.h common/org.vmain.xml $(IO_DISK_LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Imonitor $(shell pkg-config --cflags gio-unix-2.0) -pthread -o $@ $< monitor/vm/dbus-display.c monitor/display/display.c $(IO_DISK_LIB) $(ALL_LDFLAGS) $(shell pkg-config --libs gio-unix-2.0) $(DISK_LIBS)

# Is the X pointer the fake VM's cursor (app.t)?
$(BUILD)/tests/ui/cursor-check: tests/ui/cursor-check.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(ALL_LDFLAGS) $(shell pkg-config --libs x11 xfixes)

# The end-to-end tests' screenshot checker (tests/ui/fake-pattern.h at 1:1).
$(BUILD)/tests/ui/shot-check: tests/ui/shot-check.c tests/ui/fake-pattern.h
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(shell pkg-config --cflags libpng) -o $@ $< $(ALL_LDFLAGS) $(shell pkg-config --libs libpng)

$(BUILD)/tests/bench/disk-bench: tests/bench/disk-bench.c $(IO_SRCS) $(DISK_SRCS) $(IO_HDRS)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Imonitor -pthread -o $@ $< $(IO_SRCS) $(DISK_SRCS) $(ALL_LDFLAGS) $(DISK_LIBS)

# The save file's RAM path on the host (tests/bench/save.sh).
$(BUILD)/tests/bench/save-bench: tests/bench/save-bench.c $(wildcard monitor/state/*.c monitor/state/*.h) monitor/le.h $(IO_DISK_LIB) $(IO_HDRS)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Imonitor -pthread -o $@ $< $(wildcard monitor/state/*.c) $(IO_DISK_LIB) $(ALL_LDFLAGS) $(DISK_LIBS)

# The display's numbers (docs/perf.md): the virtio-gpu and virtio-input
# through the fake guest driver, the display, VNC with a libvncclient client.
$(BUILD)/tests/bench/display-bench: tests/bench/display-bench.c tests/display/vnc-client.h $(DEVICE_LIB) $(DEVICE_HDRS) $(DISPLAY_SRCS) $(wildcard monitor/display/*.h) tests/devices/virtio-driver.h $(IO_DISK_LIB) $(IO_HDRS)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Imonitor -Itests/devices $(shell pkg-config --cflags $(DISPLAY_PKGS)) -pthread -o $@ $< $(DEVICE_LIB) $(DISPLAY_SRCS) $(IO_DISK_LIB) $(ALL_LDFLAGS) $(shell pkg-config --libs $(DISPLAY_PKGS)) $(DISK_LIBS)

# The desktop app's flush-to-screen latency probe (tests/bench/ui.sh).
$(BUILD)/tests/bench/ui-latency: tests/bench/ui-latency.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(ALL_LDFLAGS) $(shell pkg-config --libs x11)

$(BUILD)/tests/disk/fuzz-qcow2: ALL_CFLAGS += -DFUZZ_STANDALONE

$(BUILD)/tests/acpi/%: tests/acpi/%.c $(ACPI_SRCS) $(ACPI_HDRS) $(wildcard tests/acpi/*.h) tests/lib/tap.h
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Imonitor -o $@ $< $(ACPI_SRCS) $(ALL_LDFLAGS)

$(BUILD)/tests/machine/%: tests/machine/%.c $(MACHINE_UNIT_SRCS) $(DEVICE_LIB) $(IO_DISK_LIB) $(MONITOR_HDRS) tests/lib/tap.h
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Imonitor $(GLIB_CFLAGS) -pthread -o $@ $< $(MACHINE_UNIT_SRCS) $(DEVICE_LIB) $(IO_DISK_LIB) $(ALL_LDFLAGS) $(DISK_LIBS)

# The machine's screen with the VGA (screen-test): machine/screen.c over a real display.
$(BUILD)/tests/machine/screen-test: MACHINE_UNIT_SRCS += monitor/machine/screen.c monitor/display/display.c
$(BUILD)/tests/machine/screen-test: ALL_LDFLAGS += $(shell pkg-config --libs glib-2.0)
$(BUILD)/tests/machine/screen-test: monitor/machine/screen.c monitor/display/display.c
# The split irqchip's machine side (irqchip-test) with a recording backend.
IRQCHIP_UNIT_SRCS := monitor/machine/irqchip.c monitor/machine/clock.c
$(BUILD)/tests/machine/irqchip-test: MACHINE_UNIT_SRCS += $(IRQCHIP_UNIT_SRCS)
$(BUILD)/tests/machine/irqchip-test: $(IRQCHIP_UNIT_SRCS)
# The firmware boot's machine side (firmware-test) with a recording backend.
FIRMWARE_UNIT_SRCS := monitor/machine/firmware.c monitor/machine/xapic.c
$(BUILD)/tests/machine/firmware-test: MACHINE_UNIT_SRCS += $(FIRMWARE_UNIT_SRCS)
$(BUILD)/tests/machine/firmware-test: ALL_LDFLAGS += $(shell pkg-config --libs glib-2.0)
$(BUILD)/tests/machine/firmware-test: $(FIRMWARE_UNIT_SRCS)
# The AHCI/IDE controllers' machine side (ata-ctl-test) over real images.
$(BUILD)/tests/machine/ata-ctl-test: MACHINE_UNIT_SRCS += monitor/machine/ata-ctl.c
$(BUILD)/tests/machine/ata-ctl-test: ALL_LDFLAGS += $(shell pkg-config --libs glib-2.0)
$(BUILD)/tests/machine/ata-ctl-test: monitor/machine/ata-ctl.c
# --kernel under the firmware, the machine's side (fwcfg-kernel-test): fw_cfg's kernel items.
FWCFG_KERNEL_UNIT_SRCS := monitor/machine/fwcfg-kernel.c monitor/boot/fwboot.c \
	monitor/boot/bzimage.c monitor/boot/bootparams.c monitor/boot/e820.c
$(BUILD)/tests/machine/fwcfg-kernel-test: MACHINE_UNIT_SRCS += $(FWCFG_KERNEL_UNIT_SRCS)
$(BUILD)/tests/machine/fwcfg-kernel-test: ALL_LDFLAGS += $(shell pkg-config --libs glib-2.0)
$(BUILD)/tests/machine/fwcfg-kernel-test: $(FWCFG_KERNEL_UNIT_SRCS)
# The xAPIC page over the APIC model and the IPI routing (xapic-test).
$(BUILD)/tests/machine/xapic-test: MACHINE_UNIT_SRCS += $(FIRMWARE_UNIT_SRCS)
$(BUILD)/tests/machine/xapic-test: ALL_LDFLAGS += $(shell pkg-config --libs glib-2.0)
$(BUILD)/tests/machine/xapic-test: $(FIRMWARE_UNIT_SRCS)

$(BUILD)/tests/kmod/guest/%: tests/kmod/guest/%.c tests/kmod/guest/lib.c tests/kmod/guest/lib.h \
		common/vmain.h tests/lib/tap.h tests/kmod/util.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/kmod -pthread -o $@ $< tests/kmod/guest/lib.c $(ALL_LDFLAGS) -pthread

$(BUILD)/tests/kmod/fuzz-ioctl: LDLIBS += -pthread
$(BUILD)/tests/%: tests/%.c common/vmain.h tests/lib/tap.h $(wildcard tests/kmod/util.h)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(ALL_LDFLAGS) $(LDLIBS)

asan:
	$(MAKE) SANITIZE=1 progs

# scripts/install does the work (docs/install.md).
install: $(BUILD)/monitor/vmain
	@PREFIX="$(PREFIX)" DESTDIR="$(DESTDIR)" BUILD="$(BUILD)" scripts/install install

uninstall:
	@PREFIX="$(PREFIX)" DESTDIR="$(DESTDIR)" BUILD="$(BUILD)" scripts/install uninstall

# Benchmarks (results go to docs/perf.md by hand, with date and machine).
bench: deps-test kmod progs
	@echo "vmain: exit counts per guest operation, AMD-V arena (QEMU TCG)"
	@scripts/arena-svm -q -f $(BUILD)/tests/bench -- $(BUILD)/tests/bench/exit-counts $(or $(BENCH_N),10000)
	@scripts/guest-image -q
	@echo "vmain: vmain run, default guest, AMD-V arena (QEMU TCG): boot, start-up, idle"
	@scripts/arena-svm -q -t 900 -M kvm_amd -f $(BUILD)/monitor/vmain -f build/guest -f tests/bench/boot.sh \
		$(if $(wildcard /usr/bin/qemu-system-x86_64),-f /usr/bin/qemu-system-x86_64 -f /usr/share/qemu -f /usr/share/seabios) -- \
		$(TOP)/tests/bench/boot.sh $(TOP)/$(BUILD)/monitor/vmain $(TOP)/build/guest
	@echo "vmain: vmain start against vmain run (the VM object and the control API), AMD-V arena"
	@scripts/arena-svm -q -t 900 -M kvm_amd -f $(BUILD)/monitor/vmain -f build/guest -f tests/bench/start.sh -- \
		$(TOP)/tests/bench/start.sh $(TOP)/$(BUILD)/monitor/vmain $(TOP)/build/guest $(or $(BENCH_RUNS),5)
	@$(MAKE) --no-print-directory bench-disk
	@$(MAKE) --no-print-directory bench-display
	@$(MAKE) --no-print-directory bench-ui
	@$(MAKE) --no-print-directory bench-save
	@$(MAKE) --no-print-directory bench-net
	@$(MAKE) --no-print-directory bench-firmware
	@$(MAKE) --no-print-directory bench-ata

# Networking in the AMD-V arena: TCP throughput both ways, request/response
# latency and host CPU per GiB for vmain's user and tap back ends beside
# QEMU + KVM on the same back ends (tests/bench/net.sh; docs/perf.md,
# "Networking"; BENCH_NET_TIME=seconds per measurement, BENCH_NET_CPUS,
# BENCH_NET_ROUNDS: the rows take turns, round after round; BENCH_NET_OLD=1
# adds KVM with the monitor's local APIC, VMAIN_KVM_IRQCHIP=monitor;
# BENCH_NET_BACKENDS=tap and BENCH_NET_ROWS=kvm,qemu pick rows (default
# user,tap and kvm,vmain,qemu); BENCH_NET_BASE=FILE, another vmain binary,
# adds its KVM row beside this one's: a before/after in one run).
.PHONY: bench-net
bench-net: deps-test kmod $(BUILD)/monitor/vmain $(BUILD)/tests/bench/net-rr
	@scripts/guest-image -q --bench
	@echo "vmain: networking: iperf3 both ways, TCP request/response, host CPU; user and tap beside QEMU (AMD-V arena)"
	@scripts/arena-svm -q -t 1800 -M kvm_amd -M tun -W 200 -f $(BUILD)/monitor/vmain -f build/guest \
		-f $(BUILD)/tests/bench/net-rr -f tests/bench/net.sh -f tests/bench/lib-vm.sh -f tests/lib/stall-watch.sh -f /usr/bin/iperf3 -f /usr/bin/ip \
		$(if $(wildcard /usr/bin/qemu-system-x86_64),-f /usr/bin/qemu-system-x86_64 -f /usr/share/qemu -f /usr/share/seabios) \
		$(if $(BENCH_NET_BASE),-f $(abspath $(BENCH_NET_BASE))) -- \
		$(TOP)/tests/bench/net.sh $(TOP)/$(BUILD)/monitor/vmain $(TOP)/build/guest \
		$(TOP)/$(BUILD)/tests/bench/net-rr /usr/bin/iperf3 /usr/bin/ip $(or $(BENCH_NET_TIME),5) $(or $(BENCH_NET_CPUS),1) $(or $(BENCH_NET_ROUNDS),2) \
		$(or $(BENCH_NET_OLD),0) $(or $(BENCH_NET_BACKENDS),-) $(or $(BENCH_NET_ROWS),-) $(or $(abspath $(BENCH_NET_BASE)),-)

# Firmware boot in the AMD-V arena: the guest's ISO (scripts/guest-iso)
# through SeaBIOS, ISOLINUX's menu and the guest's init, time and exits,
# vmain beside QEMU + KVM (tests/bench/firmware.sh; docs/perf.md, "Firmware
# boot"; BENCH_FW_ROUNDS; BENCH_FW_VMAINKO=1 adds vmain.ko's row).
.PHONY: bench-firmware
bench-firmware: deps-test kmod $(BUILD)/monitor/vmain
	@scripts/guest-image -q
	@scripts/guest-iso -q -o build/guest/bench-firmware.iso -a vmain.test=poweroff -t 1
	@echo "vmain: firmware boot of the guest's ISO to ISOLINUX and init; vmain beside QEMU (AMD-V arena)"
	@scripts/arena-svm -q -t 1500 -m 3072 -M kvm_amd -W 200 -f $(BUILD)/monitor/vmain \
		-f build/guest/bench-firmware.iso -f tests/bench/firmware.sh -f tests/bench/lib-vm.sh -f /usr/share/seabios \
		$(if $(wildcard /usr/bin/qemu-system-x86_64),-f /usr/bin/qemu-system-x86_64 -f /usr/share/qemu) -- \
		$(TOP)/tests/bench/firmware.sh $(TOP)/$(BUILD)/monitor/vmain $(TOP)/build/guest/bench-firmware.iso \
		$(or $(BENCH_FW_ROUNDS),3) $(or $(BENCH_FW_VMAINKO),0)

# Disks in the AMD-V arena: fio in the guest on AHCI and virtio-blk, vmain
# (KVM and vmain.ko) beside QEMU + KVM on the same image (tests/bench/ata.sh;
# docs/perf.md, "ATA disks"; BENCH_ATA_TIME=seconds per job,
# BENCH_ATA_ROUNDS, BENCH_ATA_MIB=image size, BENCH_ATA_ROWS=a subset).
.PHONY: bench-ata
bench-ata: deps-test kmod $(BUILD)/monitor/vmain
	@scripts/guest-image -q --bench
	@echo "vmain: fio on AHCI and virtio-blk, vmain beside QEMU (AMD-V arena)"
	@scripts/arena-svm -q -t 1800 -m 3072 -M kvm_amd -W 200 -f $(BUILD)/monitor/vmain \
		$(foreach f,vmlinuz initrd.img cmdline bench-fio.img,-f build/guest/$(f)) -f tests/bench/ata.sh -f tests/bench/lib-vm.sh \
		$(if $(wildcard /usr/bin/qemu-system-x86_64),-f /usr/bin/qemu-system-x86_64 -f /usr/share/qemu -f /usr/share/seabios) -- \
		$(TOP)/tests/bench/ata.sh $(TOP)/$(BUILD)/monitor/vmain $(TOP)/build/guest \
		$(or $(BENCH_ATA_TIME),5) $(or $(BENCH_ATA_ROUNDS),2) $(or $(BENCH_ATA_MIB),512) $(if $(BENCH_ATA_ROWS),"$(BENCH_ATA_ROWS)")

# Suspend and resume on the host: the save file's RAM written and read back
# for a 1 GiB and a 4 GiB guest beside fio and QEMU's migration to a file
# (tests/bench/save.sh; docs/perf.md, "Suspend and resume"; TMPDIR=where).
.PHONY: bench-save
bench-save: deps-test $(BUILD)/tests/bench/save-bench
	@echo "vmain: suspend and resume: save and restore of guest RAM, fio, QEMU (host)"
	@tests/bench/save.sh $(BUILD)/tests/bench/save-bench

# The disk stack beside qemu-img bench and fio on one 2 GiB file, on the host
# (tests/bench/disk.sh; BENCH_DISK_TIME=seconds per row, TMPDIR=where).
.PHONY: bench-disk
bench-disk: deps-test $(BUILD)/tests/bench/disk-bench
	@echo "vmain: the disk stack, qemu-img bench and fio (host)"
	@tests/bench/disk.sh $(BUILD)/tests/bench/disk-bench

# The display on the host: a full-screen and a 64x64 update against memcpy,
# wake-ups while idle with a VNC client connected, key latency
# (tests/bench/display-bench.c; docs/perf.md, "Display").
# The desktop app under Xvfb: frames and CPU for a guest redrawing 1920x1080
# at 1:1 and 1.5, wake-ups while idle, flush-to-pixels latency (docs/perf.md,
# "The desktop app").
.PHONY: bench-ui
bench-ui: deps-test $(BUILD)/ui/vmain-gtk $(BUILD)/tests/ui/fake-vm $(BUILD)/tests/ui/shot-check $(BUILD)/tests/bench/ui-latency
	@echo "vmain: the desktop app: frames, CPU, idle wake-ups, latency (host, Xvfb)"
	@tests/bench/ui.sh $(BUILD)

.PHONY: bench-display
bench-display: deps-test $(BUILD)/tests/bench/display-bench
	@echo "vmain: the display: updates, idle wake-ups, key latency (host)"
	@$(BUILD)/tests/bench/display-bench

# make check: host tests (sanitized builds), then the module in both arenas.
# The main job: the default guest to an interactive shell (scripts/run-guest
# says where: /dev/vm-main, hardware KVM, or the AMD-V arena).  RUN_ARGS go
# to `vmain run`, e.g. make run RUN_ARGS='--cpus 2'.
run: deps-test kmod progs
	@scripts/run-guest $(RUN_ARGS)

guest: deps-test
	@scripts/guest-image

guest-debian: deps-test
	@scripts/deps guest-debian
	@scripts/guest-debian

check-guest: deps-test kmod progs
	@prove -v $(PROVE_FLAGS) tests/guest/*.t tests/monitor/boot.t

# Two chains side by side on CI's 2 cores, each one test at a time
# (tests/check-rules.yml, TAP::Parser::Scheduler rules): the VT-x arena
# (Bochs, one host thread), the SVM arena's module suite, save.t and
# forward.t, then the host's tests; beside them the other `vmain run`
# arena tests.  Until 2026-12-04 the host's tests ran alone at the end and
# one core idled for most of the run once vmx.t was done.
CHECK_RULES := HARNESS_RULESFILE=$(TOP)/tests/check-rules.yml

check: deps-test
	@$(MAKE) --no-print-directory $(PAR) kmod progs
	@$(MAKE) --no-print-directory $(PAR) SANITIZE=1 progs
	@echo "vmain: running the tests in two chains (tests/check-rules.yml): the VMX arena under Bochs, then the SVM module suite and the host's tests; beside them the vmain run arena tests"
	@$(CHECK_RULES) TOP=$(TOP) FUZZ_CALLS=$(or $(FUZZ_CALLS),1000000) prove -f --timer -j2 $(PROVE_FLAGS) tests/abi/*.t tests/decode/*.t tests/devices/*.t tests/io/*.t tests/net/*.t $(wildcard tests/display/*.t) tests/vm/*.t tests/disk/*.t $(wildcard tests/state/*.t) tests/boot/*.t $(wildcard tests/acpi/*.t) tests/machine/*.t $(wildcard tests/ui/*.t) tests/install/*.t tests/monitor/*.t tests/guest/*.t tests/kmod/build.t tests/kmod/svm.t tests/kmod/vmx.t

# The slow tests (docs/testing.md): the Debian guest under QEMU and through
# vmain.ko in the arena, long crash-consistency and qcow2 fuzzing runs.
check-full: check
	@scripts/deps guest-debian
	@scripts/guest-debian -q
	@TOP=$(TOP) CRASH_CYCLES=2000 prove -f $(PROVE_FLAGS) tests/guest-full/*.t

check-host: progs
	@$(MAKE) --no-print-directory SANITIZE=1 progs
	@prove -f $(PROVE_FLAGS) tests/abi/*.t tests/decode/*.t tests/devices/*.t tests/io/*.t tests/net/*.t $(wildcard tests/display/*.t) tests/vm/*.t tests/disk/*.t $(wildcard tests/state/*.t) tests/boot/*.t $(wildcard tests/acpi/*.t) tests/machine/*.t $(wildcard tests/ui/*.t) tests/install/*.t tests/monitor/cli.t $(wildcard tests/monitor/run-args.t)

check-svm: deps-test kmod progs
	@prove -v $(PROVE_FLAGS) tests/kmod/svm.t

check-vmx: deps-test kmod progs
	@prove -v $(PROVE_FLAGS) tests/kmod/vmx.t

# vmx.t with every guest case instead of the VT-x subset (slow under Bochs).
check-vmx-full: deps-test kmod progs
	@VMX_FULL=1 prove -v $(PROVE_FLAGS) tests/kmod/vmx.t

clean:
	-$(MAKE) -C $(KDIR) M=$(TOP) clean 2>/dev/null
	rm -rf build build-asan
