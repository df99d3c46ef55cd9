#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Runs inside the SVM arena (tests/monitor/multiboot.t): `vmain run` boots
# the test's bare-metal Multiboot kernel (tests/monitor/multiboot-kernel.c,
# as an ELF32 file and as an a.out-kludge binary) through each backend; the
# kernel prints what it found on COM1 and ends the VM through the
# test-exit port (--debug-exit) with the value its command line asks for,
# which the exit status must carry as (V << 1) | 1.  Prints TAP lines.
# Usage: multiboot-guest.sh VMAIN DIR (DIR: kernel.elf, kernel.aout, mod0, mod1)
vmain=$1 dir=$2
w=/tmp/multiboot-guest
mkdir -p "$w"
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
nok() { n=$((n + 1)); echo "not ok $n - $1"; }
check() { # check DESC COMMAND...: one TAP line from a command's status
	d=$1; shift
	if "$@"; then ok "$d"; else nok "$d"; fi
}
# fact KEY: the value the kernel printed for KEY on its line.
fact() { tr ' ' '\n' <"$w/con" | tr -d '\r' | sed -n "s/^$1=//p" | head -n 1; }
has() { grep -q "^MULTIBOOT-TEST: .* $1\( \|\$\)" "$w/con"; }
show() { sed 's/^/#   /' "$w/out"; sed 's/^/#   con: /' "$w/con" | head -n 5; }

# run NAME WANT-STATUS [vmain options]: runs the kernel (at most 60 s).
run() {
	name=$1 want=$2; shift 2
	: >"$w/con"
	t0=$(date +%s)
	timeout -s KILL 60 "$vmain" run --memory 64M --serial "$w/con" "$@" </dev/null >"$w/out" 2>&1
	rc=$?
	echo "# $name: status $rc after $(( $(date +%s) - t0 )) s"
	check "$name: exit status $want = (V << 1) | 1" [ "$rc" = "$want" ]
	check "$name: the kernel's checks of the machine state passed (fail=$(fact fail))" \
		[ "$(fact fail)" = 0 ]
	cr0=$(fact cr0)
	check "$name: EAX 0x2BADB002, CS 0x10, DS 0x18, protected mode without paging (CR0 $cr0)" \
		[ "$(fact magic)" = 2badb002 -a "$(fact cs)" = 00000010 -a "$(fact ds)" = 00000018 \
		  -a $(( 0x${cr0:-0} & 0x80000001 )) = 1 ]
	check "$name: info flags memory, cmdline, mods, mmap, loader name; loader=vmain" \
		[ "$(fact flags)" = 0000024d -a "$(fact loader)" = vmain ]
	check "$name: mem_lower 639, mem_upper 64512 (64 MiB), 3 mmap entries" \
		[ "$(fact mem_lower)" = 639 -a "$(fact mem_upper)" = 64512 -a "$(fact mmap_entries)" = 3 ]
	[ "$rc" = "$want" -a "$(fact fail)" = 0 ] || show
}

for accel in vmain kvm; do
	# ELF, two modules, the default port (0x501): exit=5 -> 11.
	run "$accel, ELF, 2 modules" 11 --accel $accel --kernel "$dir/kernel.elf" \
		--module "$dir/mod0 arg1 arg2" --module "$dir/mod1" \
		--append "exit=5 hello" --debug-exit ''
	check "$accel, ELF: the command line is the kernel's path and --append" \
		[ "$(fact cmdline)" = "${dir}/kernel.elf_exit=5_hello" ]
	check "$accel, ELF: 2 modules, their strings, sizes and bytes" \
		[ "$(fact mods)" = 2 -a "$(fact mod0)" = "${dir}/mod0_arg1_arg2" \
		  -a "$(fact mod0_size)" = 20 -a "$(fact mod0_data)" = "vmain-module-0_data?" \
		  -a "$(fact mod1)" = "${dir}/mod1" -a "$(fact mod1_size)" = 10000 \
		  -a "$(fact mod1_data)" = MMMMMMMMMMMMMMMMMMMMMMMM ]

	# a.out kludge, no modules, QEMU's arena port 0xf4 (4 ports): 42 -> 85.
	run "$accel, a.out kludge, port 0xf4" 85 --accel $accel --kernel "$dir/kernel.aout" \
		--append "port=0xf4 exit=42" --debug-exit 0xf4,4
	check "$accel, a.out: no modules" [ "$(fact mods)" = 0 ]
done

# The second port of the default two, 2 vCPUs (the AP waits for a SIPI
# that never comes): 127 -> 255.
run "vmain, 2 CPUs, port 0x502" 255 --accel vmain --cpus 2 --kernel "$dir/kernel.elf" \
	--append "port=0x502 exit=127" --debug-exit 0x501,2
# A write to a port beside the device does nothing: the kernel says so
# and halts; the VM is stopped by SIGTERM's timeout (status 3).
: >"$w/con"
"$vmain" run --accel vmain --memory 64M --serial "$w/con" --kernel "$dir/kernel.elf" \
	--append "port=0x503 exit=1" --debug-exit '' --shutdown-timeout 1 </dev/null >"$w/out" 2>&1 &
pid=$!
i=0
while [ $i -lt 60 ] && ! grep -q "still running" "$w/con"; do sleep 1; i=$((i + 1)); done
kill -TERM $pid
wait $pid; rc=$?
ran_on() { [ "$rc" = 3 ] && grep -q "still running after the test-exit write" "$w/con"; }
check "a write beside the port: the kernel runs on, stopped by SIGTERM (status $rc, want 3)" ran_on
echo "1..$n"
