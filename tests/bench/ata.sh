#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# `make bench-ata`, inside the SVM arena: fio in the default guest on one
# raw image (DISK-MIB MiB, zero-filled, in the arena's RAM) behind each
# disk controller:
#   - vmain (KVM), AHCI:       vmain run --accel kvm --disk IMG,if=ahci
#   - vmain (KVM), virtio-blk: --disk IMG
#   - vmain (vmain.ko), both:  the same through --accel vmain
#   - QEMU 7.2 + KVM, AHCI:    -machine q35 (its ICH9 AHCI), ide-hd on ide.0
#   - QEMU 7.2 + KVM, virtio-blk: virtio-blk-pci (one queue, no iothread)
# Both VMMs with the host's page cache (vmain's cache=writeback, QEMU's
# default cache=writeback), the same kernel, initrd, command line, 1 vCPU
# and 512 MiB.  fio and its libraries come on a second, read-only
# virtio-blk disk, scripts/guest-image --bench's bench-fio.img, which the
# guest's init switches to (root=LABEL=vmain-fio; scripts/guest/fio-bench
# runs the jobs, then powers off): 4 KiB random read and write with 16 in
# flight, 1 MiB sequential read and write with 4 in flight, libaio and
# O_DIRECT in the guest, SECONDS each.  Per job: IOPS, MiB/s and the mean
# latency fio saw, and over the job (from its start line to its result
# line on the console, looked at every 0.1 s) the exits the arena's KVM
# counted per I/O (all, and the port and MMIO accesses passed to the VMM;
# tests/bench/lib-vm.sh; none for vmain.ko) and the VMM process's CPU time
# (all threads) per I/O.  vmain's --stats line (boot and jobs) goes with
# the notes.  The rows take turns for ROUNDS rounds; the mean of the rounds
# closes the output.  Everything runs two levels of emulation deep (QEMU
# TCG, then KVM or vmain.ko): only ratios between rows of one run mean
# something.
# Usage: ata.sh VMAIN GUEST-DIR [SECONDS [ROUNDS [DISK-MIB [ROWS]]]]
#   ROWS: a blank-separated subset of "kvm-ahci kvm-virtio vmain-ahci
#   vmain-virtio qemu-ahci qemu-virtio" (default: all)
vmain=$1 guest=$2 secs=${3:-5} rounds=${4:-2} mib=${5:-512}
rows=${6:-"kvm-ahci kvm-virtio vmain-ahci vmain-virtio qemu-ahci qemu-virtio"}
. "$(dirname "$0")/lib-vm.sh"
kvm_debugfs
w=/tmp/bench-ata
rm -rf "$w"; mkdir -p "$w"
qemu=$(command -v qemu-system-x86_64 2>/dev/null)
tools=$guest/bench-fio.img
if [ ! -s "$tools" ]; then
	echo "# $tools is missing: run scripts/guest-image --bench"
	exit 1
fi
img=$w/disk.img
dd if=/dev/zero of="$img" bs=1M count="$mib" 2>/dev/null
append="$(cat "$guest/cmdline") root=LABEL=vmain-fio vmain.fio.time=$secs"
jobs="randread randwrite read write"

# run ROW: one boot, four table rows
run() {
	vmm=${1%-*} ctl=${1#*-}
	case "$vmm" in
	qemu) name="QEMU 7.2 + KVM"; [ -n "$qemu" ] || return 0 ;;
	kvm) name="vmain (KVM)" ;;
	vmain) name="vmain (vmain.ko)" ;;
	esac
	case "$ctl" in
	ahci) disk=sda cname=AHCI ;;
	virtio) disk=vda cname=virtio-blk ;;
	esac
	: >"$w/con"
	if [ "$vmm" = qemu ]; then
		if [ "$ctl" = ahci ]; then
			dev="-device ide-hd,drive=d0,bus=ide.0"
		else
			dev="-device virtio-blk-pci,drive=d0"
		fi
		"$qemu" -machine q35,accel=kvm -cpu host -smp 1 -m 512 -nographic -nodefaults -no-reboot \
			-serial "file:$w/con" -kernel "$guest/vmlinuz" -initrd "$guest/initrd.img" \
			-append "$append vmain.fio.disk=$disk" \
			-drive "file=$img,if=none,id=d0,format=raw" $dev \
			-drive "file=$tools,if=none,id=t0,format=raw,readonly=on" -device virtio-blk-pci,drive=t0 \
			</dev/null >"$w/out" 2>&1 &
	else
		if [ "$ctl" = ahci ]; then opt=",if=ahci"; else opt=""; fi
		"$vmain" run --accel "$vmm" --cpus 1 --memory 512M --stats --kernel "$guest/vmlinuz" \
			--initrd "$guest/initrd.img" --append "$append vmain.fio.disk=$disk" \
			--disk "$img$opt" --disk "$tools,readonly=on" --serial "$w/con" \
			</dev/null >"$w/out" 2>&1 &
	fi
	pid=$!
	t0=$(now_cs)
	kd="" started="" ended=""
	: >"$w/samples"
	while [ -d "/proc/$pid" ] && [ $(($(now_cs) - t0)) -lt $((30000 + 400 * secs)) ]; do
		grep -q '^State:.*Z' "/proc/$pid/status" 2>/dev/null && break
		[ -n "$kd" ] || kd=$(kvm_dir "$pid")
		# each job's start and result line, the first time it is seen:
		# "start|end JOB EXITS IO+MMIO CPU-TICKS"
		for j in $(awk '/VMAIN-FIO: (start|result|failed) / {
				gsub(/\r/, ""); sub(/.*VMAIN-FIO: /, "")
				print ($1 == "start" ? "start:" : "end:") $2 }' "$w/con"); do
			case " $started $ended " in *" $j "*) continue ;; esac
			echo "${j%%:*} ${j#*:} $(kvm_sample "$kd") $(cpu_ticks "$pid")" >>"$w/samples"
			kvm_counters "$kd" >"$w/kvm-${j%%:*}-${j#*:}"
			case "$j" in start:*) started="$started $j" ;; *) ended="$ended $j" ;; esac
		done
		grep -q "VMAIN-FIO: done" "$w/con" && break
		sleep 0.1
	done
	i=0
	while [ -d "/proc/$pid" ] && ! grep -q '^State:.*Z' "/proc/$pid/status" 2>/dev/null && [ $i -lt 300 ]; do
		sleep 0.1; i=$((i + 1))
	done
	if grep -q '^State:.*Z' "/proc/$pid/status" 2>/dev/null; then wait "$pid"; rc=$?; else stop_vm "$pid"; rc=killed; fi
	grep -q "VMAIN-FIO: disk=$disk sectors" "$w/con" || {
		echo "| $round | $name | $cname | failed: no fio run (status $rc) | | | | | | |"
		sed 's/^/#   out: /' "$w/out" | tail -n 5
		tr -d '\r' <"$w/con" | grep -v '^VMAIN-GUEST: fwcfg-file' | tail -n 8 | sed 's/^/#   con: /'
		return
	}
	for job in $jobs; do
		line=$(tr -d '\r' <"$w/con" | sed -n "s/^.*VMAIN-FIO: result $job //p" | head -n 1)
		if [ -z "$line" ]; then
			echo "| $round | $name | $cname | $job | failed: $(tr -d '\r' <"$w/con" | sed -n "s/^.*VMAIN-FIO: failed $job //p") | | | | | |"
			continue
		fi
		# terse v3: 6 read KiB, 7 read KiB/s, 8 read IOPS, 40 read mean
		# latency (us); 47, 48, 49, 81 the same for writes
		cells=$(echo "$line" | awk -F';' -v job="$job" -v hz="$hz" -v s="$(grep " $job " "$w/samples" | tr '\n' ' ')" '
			{
				if (job ~ /write/) { kb = $47; bw = $48; iops = $49; lat = $81 }
				else { kb = $6; bw = $7; iops = $8; lat = $40 }
				bs = (job ~ /^rand/) ? 4 : 1024
				ios = kb / bs
				n = split(s, f, " ")
				# start JOB EXITS IO CPU end JOB EXITS IO CPU
				ex = (n >= 10 && f[3] != "-" && f[8] != "-" && ios > 0) ? sprintf("%.2f", (f[8] - f[3]) / ios) : "-"
				um = (n >= 10 && f[4] != "-" && f[9] != "-" && ios > 0) ? sprintf("%.2f", (f[9] - f[4]) / ios) : "-"
				cpu = (n >= 10 && ios > 0) ? sprintf("%.0f", (f[10] - f[5]) / hz * 1e6 / ios) : "-"
				printf "%.0f|%.1f|%.0f|%s|%s|%s\n", iops, bw / 1024, lat, ex, um, cpu
			}')
		echo "| $round | $name | $cname | $job | $(echo "$cells" | sed 's/|/ | /g') |"
		echo "$name|$cname|$job|$cells" >>"$w/rows"
		# What KVM's exits were, per I/O (round 1 only: the notes stay short)
		ios=$(echo "$line" | awk -F';' -v job="$job" '{ print (job ~ /write/ ? $47 : $6) / (job ~ /^rand/ ? 4 : 1024) }')
		if [ "$round" = 1 ] && [ -s "$w/kvm-start-$job" ] && [ -s "$w/kvm-end-$job" ] && [ "$ios" != 0 ]; then
			echo "#   round 1, $name $cname $job, KVM's counters per I/O:$(kvm_delta "$w/kvm-start-$job" "$w/kvm-end-$job" "$ios")" >>"$w/notes"
		fi
	done
	sed -n 's/^vmain: stats: \(.*\)/#   round '"$round, $name $cname"': --stats (boot and jobs): \1/p' "$w/out" |
		tr -d '\r' >>"$w/notes"
}

head="VMM | controller | job | IOPS | MiB/s | mean latency us | KVM exits per I/O | port+MMIO exits per I/O | VMM CPU us per I/O |"
echo "| round | $head"
echo "| ---: | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"
: >"$w/rows"
round=1
while [ $round -le "$rounds" ]; do
	for r in $rows; do run "$r"; done
	round=$((round + 1))
done
echo
echo "Mean of $rounds rounds (a cell over the rounds that measured it):"
echo
echo "| $head"
echo "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"
mean_table 4 9 "$w/rows"
echo
cat "$w/notes" 2>/dev/null
echo "# 1 vCPU, 512 MiB, $mib MiB image, $secs s per job, $rounds rounds; jobs: randread/randwrite 4 KiB iodepth 16, read/write 1 MiB iodepth 4 (libaio, O_DIRECT); $(uname -r) in the arena"
