#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# `make bench-firmware`, inside the SVM arena: the default guest's ISO
# (scripts/guest-iso, vmain.test=poweroff, a 0.1 s menu timeout) booted by
# Debian's SeaBIOS (/usr/share/seabios/bios-256k.bin for both: QEMU's
# bios-256k.bin is a link to it) from an AHCI CD-ROM, 1 vCPU, 512 MiB, no
# screen (SeaBIOS's console on COM1, sercon):
#   - vmain (KVM): vmain run --accel kvm --cdrom ISO (the CD on the ICH9
#     AHCI's port 1; etc/sercon-port in fw_cfg)
#   - vmain (vmain.ko): the same through --accel vmain, with WITH_VMAINKO=1
#   - QEMU 7.2 + KVM: -machine q35 (its ICH9 AHCI), ide-cd on ide.1 with
#     bootindex=0 (fw_cfg's bootorder names it first, as vmain's does),
#     -nographic -nodefaults (no VGA; QEMU's NOGRAPHIC key makes SeaBIOS
#     use sercon on COM1)
# Per boot, the wall time from the process's start to the first sight on
# the serial console of SeaBIOS's banner, ISOLINUX's menu ("vmain guest
# installer"), the guest's init (VMAIN-GUEST: init), and to the process's
# end (the guest's power-off); and the exits the arena's KVM counted for
# the VM by then (all, and the port and MMIO accesses passed to the VMM;
# tests/bench/lib-vm.sh), read when each line is first seen.  The console
# is looked at every 0.1 s: every time is up to that much late.  vmain's
# --stats line (exits that reached the monitor, boot to power-off) goes
# with the notes.  The rows take turns for ROUNDS rounds; the mean of the
# rounds closes the output.  Everything runs two levels of emulation deep
# (QEMU TCG, then KVM or vmain.ko): only ratios between rows of one run
# mean something.
# Usage: firmware.sh VMAIN ISO [ROUNDS [WITH_VMAINKO]]
vmain=$1 iso=$2 rounds=${3:-3} withko=${4:-0}
. "$(dirname "$0")/lib-vm.sh"
kvm_debugfs
w=/tmp/bench-firmware
rm -rf "$w"; mkdir -p "$w"
qemu=$(command -v qemu-system-x86_64 2>/dev/null)

# boot VMM ACCEL: one boot, one table row
boot() {
	case "$1:$2" in
	qemu:*) name="QEMU 7.2 + KVM" ;;
	vmain:kvm) name="vmain (KVM)" ;;
	vmain:vmain) name="vmain (vmain.ko)" ;;
	esac
	: >"$w/con"
	t0=$(now_cs)
	if [ "$1" = qemu ]; then
		"$qemu" -machine q35,accel=kvm -cpu host -smp 1 -m 512 -nographic -nodefaults -no-reboot \
			-serial "file:$w/con" -drive "file=$iso,if=none,id=cd,media=cdrom,readonly=on,format=raw" \
			-device ide-cd,drive=cd,bus=ide.1,bootindex=0 </dev/null >"$w/out" 2>&1 &
	else
		"$vmain" run --accel "$2" --cpus 1 --memory 512M --stats --cdrom "$iso" \
			--serial "$w/con" </dev/null >"$w/out" 2>&1 &
	fi
	pid=$!
	t1="" t2="" t3="" e2="- -" e3="- -" last="- -" kd=""
	rm -f "$w/kvm-start" "$w/kvm-init"
	while [ -d "/proc/$pid" ] && [ $(($(now_cs) - t0)) -lt 24000 ]; do
		if [ -z "$kd" ]; then
			kd=$(kvm_dir "$pid")
			kvm_counters "$kd" >"$w/kvm-start"
		fi
		s=$(kvm_sample "$kd")
		# ISOLINUX writes its menu both through the BIOS (sercon's copy
		# on COM1) and to COM1 itself: the two copies can interleave,
		# so after ISOLINUX's banner, and before the kernel's first
		# timestamped line, a line whose letters hold "installer" with
		# up to 12 characters between them counts too.
		seen=$(awk '/SeaBIOS \(version/ { a = 1 }
			/I.{0,12}S.{0,12}O.{0,12}L.{0,12}I.{0,12}N.{0,12}U.{0,12}X/ { iso = 1 }
			/\[ *[0-9]+\.[0-9]+\]/ { kern = 1 }
			/vmain guest installer/ || (iso && !kern && /i.{0,12}n.{0,12}s.{0,12}t.{0,12}a.{0,12}l.{0,12}l.{0,12}e.{0,12}r/) { b = 1 }
			/VMAIN-GUEST: init/ { c = 1 } END { print a + 0, b + 0, c + 0 }' "$w/con")
		now=$(now_cs)
		set -- $seen
		[ -n "$t1" ] || [ "$1" = 0 ] || { t1=$((now - t0)); }
		[ -n "$t2" ] || [ "$2" = 0 ] || { t2=$((now - t0)); e2=$s; }
		[ -n "$t3" ] || [ "$3" = 0 ] || { t3=$((now - t0)); e3=$s; kvm_counters "$kd" >"$w/kvm-init"; }
		[ "$s" = "- -" ] || last=$s
		# a zombie is still in /proc: wait reaps it below
		grep -q '^State:.*Z' "/proc/$pid/status" 2>/dev/null && break
		sleep 0.1
	done
	if [ -d "/proc/$pid" ] && ! grep -q '^State:.*Z' "/proc/$pid/status" 2>/dev/null; then
		stop_vm "$pid"; rc=timeout
	else
		wait "$pid"; rc=$?
	fi
	tend=$(($(now_cs) - t0))
	if [ -z "$t3" ] || [ "$rc" != 0 ]; then
		echo "| $round | $name | failed (status $rc) | | | | | | | | |"
		sed 's/^/#   out: /' "$w/out" | tail -n 5
		tr -d '\r' <"$w/con" | tail -n 5 | sed 's/^/#   con: /'
		return
	fi
	if [ -z "$t1" ] || [ -z "$t2" ] || ! grep -q "vmain guest installer" "$w/con"; then
		echo "# $name: a line not seen whole; the console's lines that hold part of one:"
		grep -a -n -e SeaBIOS -e ISOLINUX -e installer -e Booting "$w/con" | head -n 8 | cat -v | cut -c1-160 | sed 's/^/#   /'
	fi
	set -- $e2 $e3 $last
	f() { [ -n "$1" ] && cs_to_s "$1" || echo -; }
	echo "| $round | $name | $(f "$t1") | $(f "$t2") | $(f "$t3") | $(cs_to_s $tend) | $1 | $3 | $5 | $2 | $4 | $6 |"
	echo "$name|$(f "$t1")|$(f "$t2")|$(f "$t3")|$(cs_to_s $tend)|$1|$3|$5|$2|$4|$6" >>"$w/rows"
	sed -n 's/^vmain: stats: \(.*\)/#   round '"$round, $name"': --stats (boot to power-off): \1/p' "$w/out" |
		tr -d '\r' >>"$w/notes"
	if [ "$round" = 1 ] && [ -s "$w/kvm-start" ] && [ -s "$w/kvm-init" ]; then
		echo "#   round 1, $name: KVM's counters that grew most from the VM's creation to the guest's init:$(kvm_delta "$w/kvm-start" "$w/kvm-init" 1)" >>"$w/notes"
	fi
}

head="VMM | SeaBIOS banner s | ISOLINUX menu s | guest init s | power-off s | KVM exits to menu | to init | to power-off | port+MMIO exits to menu | to init | to power-off |"
echo "| round | $head"
echo "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
: >"$w/rows"
round=1
while [ $round -le "$rounds" ]; do
	boot vmain kvm
	[ "$withko" != 1 ] || boot vmain vmain
	[ -z "$qemu" ] || boot qemu kvm
	round=$((round + 1))
done
echo
echo "Mean of $rounds rounds (a cell over the rounds that measured it):"
echo
echo "| $head"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
mean_table 2 11 "$w/rows"
echo
cat "$w/notes" 2>/dev/null
echo "# 1 vCPU, 512 MiB, $rounds rounds; ISO $(basename "$iso"), $(stat -c %s "$iso") bytes; $(uname -r) in the arena"
