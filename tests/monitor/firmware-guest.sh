#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Runs inside the SVM arena (tests/guest-full/firmware.t): `vmain run`
# with no --kernel starts Debian's SeaBIOS at the reset vector, through
# vmain.ko and through KVM, with no disks: its banner and log on the
# debug console (--firmware-log), the shadowing, the Q35 chipset and the
# PCI devices with the BARs it assigned, then "No bootable device" on the
# serial console (sercon) as well.  A 2-CPU, 3 GiB run checks the APs
# answering SeaBIOS's SIPIs and the RAM split around the PCI hole.  With
# ISO (scripts/guest-iso, vmain.test=poweroff), SeaBIOS boots it from the
# AHCI CD-ROM through vmain.ko and through KVM, ISOLINUX starts the guest
# (its protected-mode core takes the 8259 at vectors 08h-0Fh), it powers
# off.
# Prints TAP lines.  Usage: firmware-guest.sh VMAIN [ISO]
vmain=$1 iso=${2:-}
w=/tmp/firmware-guest
mkdir -p "$w"
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
nok() { n=$((n + 1)); echo "not ok $n - $1"; }
check() { # check DESC COMMAND...: one TAP line from a command's status
	d=$1; shift
	if "$@"; then ok "$d"; else nok "$d"; fi
}
inlog() { grep -qF -- "$1" "$w/log"; }
incon() { tr -d '\r' <"$w/con" | grep -qF -- "$1"; }

# boot ACCEL CPUS MEM: runs SeaBIOS until the serial console says there is
# nothing to boot (or 150 s), then stops the VM.
boot() {
	accel=$1 cpus=$2 mem=$3
	rm -f "$w/log" "$w/con" "$w/out"
	t0=$(cut -d. -f1 /proc/uptime)
	"$vmain" run --accel "$accel" --cpus "$cpus" --memory "$mem" \
		--firmware-log "$w/log" --serial "$w/con" </dev/null >"$w/out" 2>&1 &
	pid=$!
	i=0
	while [ $i -lt 150 ] && kill -0 $pid 2>/dev/null; do
		[ -f "$w/con" ] && incon "No bootable device" && break
		sleep 1
		i=$((i + 1))
	done
	kill -KILL $pid 2>/dev/null
	wait $pid 2>/dev/null
	echo "# $accel, $cpus CPU(s), $mem: $(( $(cut -d. -f1 /proc/uptime) - t0 )) s"
}
show() {
	sed 's/^/#   out: /' "$w/out"
	tail -n 25 "$w/log" 2>/dev/null | sed 's/^/#   log: /'
}

for accel in vmain kvm; do
	boot $accel 1 256M
	check "$accel: the banner on the debug console" inlog "SeaBIOS (version"
	check "$accel: SeaBIOS finds a QEMU Q35 machine" inlog "Running on QEMU (q35)"
	check "$accel: shadowing done (init code relocated)" inlog "Relocating init from"
	check "$accel: the LPC bridge at 1f.0" inlog "PCI: init bdf=00:1f.0 id=8086:2918"
	check "$accel: BARs assigned by the firmware" inlog "PCI: map device bdf=00:01.0"
	check "$accel: ECAM where SeaBIOS put it" inlog "PCIe: using q35 mmconfig at 0xb0000000"
	check "$accel: PMBASE moved where the monitor's FADT has the PM block" inlog "Moving pm_base to 0x600"
	check "$accel: the banner on the serial console (sercon)" incon "SeaBIOS (version"
	if ! check "$accel: 'No bootable device' on the serial console" incon "No bootable device"; then
		show
	fi
	check "$accel: no error from the monitor" sh -c "! grep -qE 'cannot|could not continue|refused' '$w/out'"
done

boot vmain 2 3G
check "vmain, 2 CPUs: SeaBIOS's SIPI starts the AP" inlog "Found 2 cpu(s)"
check "vmain, 3 GiB: 2 GiB below the PCI hole (fw_cfg's e820)" \
	inlog "qemu/e820: addr 0x0000000000000000 len 0x0000000080000000 [RAM]"
check "vmain, 3 GiB: 1 GiB above 4 GiB" inlog "qemu/e820: addr 0x0000000100000000 len 0x0000000040000000 [RAM]"
if ! check "vmain, 2 CPUs, 3 GiB: 'No bootable device'" incon "No bootable device"; then
	show
fi
# A bundle without a kernel boots SeaBIOS (vmain start); saved in its
# "No bootable device" wait and restored, it runs on to its reboot.
export HOME="$w/home" XDG_RUNTIME_DIR="$w/run"
mkdir -p "$HOME" "$XDG_RUNTIME_DIR"
bcon=$w/bcon
bwait() { # bwait TEXT SECONDS
	i=0
	while [ $i -lt "$2" ]; do
		tr -d '\r' <"$bcon" 2>/dev/null | grep -qF -- "$1" && return 0
		sleep 1
		i=$((i + 1))
	done
	return 1
}
"$vmain" create fw --memory 256M --serial "$bcon" --accel vmain >"$w/out" 2>&1 &&
	"$vmain" start fw --headless >>"$w/out" 2>&1
check "bundle without a kernel: vmain start boots SeaBIOS to 'No bootable device'" \
	bwait "No bootable device" 90
"$vmain" save fw >>"$w/out" 2>&1
check "bundle: vmain save in the firmware's wait" \
	[ -f "$HOME/.local/share/vmain/VMs/fw.vmain/state.sav" ]
"$vmain" start fw --headless >>"$w/out" 2>&1
check "bundle: vmain start restores it" sh -c "'$vmain' status fw | grep -q 'state: *running'"
# The console file starts empty on restore: what follows is the wait's end.
if bwait "Rebooting" 90 && bwait "SeaBIOS (version" 30; then
	ok "bundle: the restored SeaBIOS runs on to its reboot and boots again"
else
	nok "bundle: the restored SeaBIOS runs on to its reboot and boots again"
	sed 's/^/#   out: /' "$w/out"
fi
"$vmain" kill fw >/dev/null 2>&1

# vmain.ko injects ISOLINUX's 8259 vectors (08h-0Fh, VMAIN_CAP_LOW_VECTORS)
# in protected mode as KVM does.
for accel in vmain kvm; do
	[ -n "$iso" ] || break
	rm -f "$w/log" "$w/con" "$w/out"
	t0=$(cut -d. -f1 /proc/uptime)
	timeout -s KILL 300 "$vmain" run --accel $accel --cpus 1 --memory 512M --cdrom "$iso" \
		--firmware-log "$w/log" --serial "$w/con" </dev/null >"$w/out" 2>&1
	rc=$?
	echo "# $accel, ISO: status $rc after $(( $(cut -d. -f1 /proc/uptime) - t0 )) s"
	check "$accel, ISO: SeaBIOS finds the AHCI CD-ROM" inlog 'AHCI/1: registering: "DVD/CD'
	check "$accel, ISO: and boots from it" inlog "Booting from DVD/CD..."
	check "$accel, ISO: ISOLINUX runs" incon "ISOLINUX"
	check "$accel, ISO: the guest's init runs" incon "VMAIN-GUEST: init"
	if ! check "$accel, ISO: the guest powers off (status 0)" [ "$rc" = 0 ]; then
		show
	fi
done
echo "1..$n"
