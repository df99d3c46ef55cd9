#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Runs inside the SVM arena (tests/guest-full/ata.t): `vmain run` gives the
# default guest a disk behind the AHCI or the IDE controller
# (--disk FILE,if=ahci|ide); the guest formats and fills /dev/sda
# (vmain.test=disk vmain.disk=sda in scripts/guest/init) and this side
# checks the image with e2fsck and debugfs; the guest's write-cache switch
# ("write through" in sd's cache_type: libata sends SET FEATURES 82h) makes
# a completed write durable; --cdrom shows a DVD-ROM to the guest.
# With ISO (scripts/guest-iso, vmain.test=poweroff), SeaBIOS boots it from
# the IDE CD-ROM through KVM.
# Prints TAP lines.  Usage: ata-guest.sh VMAIN GUEST-DIR [ISO]
vmain=$1 guest=$2 iso=${3:-}
w=/tmp/ata-guest
mkdir -p "$w"
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
nok() { n=$((n + 1)); echo "not ok $n - $1"; }
check() { # check DESC COMMAND...
	d=$1; shift
	if "$@"; then ok "$d"; else nok "$d"; fi
}
fact() { sed -n "s/^VMAIN-GUEST: $1=//p" "$w/con" | tr -d '\r' | sed 's/\[ *[0-9][0-9]*\.[0-9]*\].*//' | head -n 1; }
uptime_s() { cut -d. -f1 /proc/uptime; }
show() { sed 's/^/#   /' "$w/out"; grep -E 'VMAIN-GUEST|ata[0-9]|scsi|sd |sr |WARN|BUG|Oops|panic|error|I/O' "$w/con" | sed 's/^/#   /' | head -n 60; }

boot() { # boot NAME TEST [vmain options]
	name=$1 t=$2; shift 2
	t0=$(uptime_s)
	rm -f "$w/con"
	timeout -s KILL 300 "$vmain" run --accel vmain --cpus 1 --memory 256M \
		--kernel "$guest/vmlinuz" --initrd "$guest/initrd.img" \
		--append "console=ttyS0 panic=-1 vmain.test=$t vmain.disk=sda" \
		--serial "$w/con" "$@" </dev/null >"$w/out" 2>&1
	rc=$?
	echo "# $name: status $rc after $(( $(uptime_s) - t0 )) s"
}

files_match() { # files_match IMAGE: every file the guest listed, by debugfs
	grep '^VMAIN-GUEST: file=' "$w/con" | tr -d '\r' | {
		seen=0 bad=0
		while read -r _ f b s; do
			f=${f#file=} b=${b#bytes=} s=${s#sha256=}
			rm -f "$w/dump"
			debugfs -R "dump /$f $w/dump" "$1" >/dev/null 2>&1
			got=$(sha256sum <"$w/dump" 2>/dev/null | cut -d' ' -f1)
			sz=$(wc -c <"$w/dump" 2>/dev/null)
			if [ "$got" = "$s" ] && [ "$sz" = "$b" ]; then
				seen=$((seen + 1))
			else
				echo "#   $f: guest $b bytes $s, image ${sz:-none} bytes $got"
				bad=$((bad + 1))
			fi
		done
		[ "$seen" -ge 4 ] && [ "$bad" = 0 ]
	}
}

fsck_clean() { # fsck_clean IMAGE: e2fsck -n -f, its output shown on failure
	e2fsck -n -f "$1" >"$w/fsck" 2>&1 && return 0
	sed 's/^/#   /' "$w/fsck" | head -n 20
	return 1
}

disk_facts() { # disk_facts NAME IMAGE
	check "$1: the guest's libata finds VMAIN HARDDISK" grep -q 'VMAIN HARDDISK' "$w/con"
	check "$1: mkfs.ext4, mount, files, sync, umount, fsck -n on /dev/sda in the guest" \
		[ "$(fact disk-test)" = ok ]
	check "$1: exit status 0 after guest poweroff" [ "$rc" = 0 ]
	check "$1: e2fsck -n -f on the host finds the file system clean" fsck_clean "$2"
	check "$1: every file's size and SHA-256 on the host match the guest's" files_match "$2"
	[ "$rc" = 0 ] && [ "$(fact disk-test)" = ok ] || show
}

# 1. AHCI: a raw image on port 0, the guest's ahci driver (NCQ, MSI).
rm -f "$w/a.img"; truncate -s 128M "$w/a.img"
boot "AHCI" disk --disk "$w/a.img,if=ahci,serial=vmain-ahci"
disk_facts "AHCI" "$w/a.img"
check "AHCI: the guest's driver is ahci, with NCQ" grep -qE 'ahci.*(ncq|NCQ)' "$w/con"

# 2. PIIX IDE: the same on the primary master (ata_piix, bus-master DMA).
rm -f "$w/i.img"; truncate -s 128M "$w/i.img"
boot "IDE" disk --disk "$w/i.img,if=ide"
disk_facts "IDE" "$w/i.img"
check "IDE: the guest's driver is ata_piix" grep -qE 'ata_piix|ata[0-9]+: PATA' "$w/con"

# 3. The guest's write-cache switch through AHCI (as `hdparm -W0`: the
# guest image has no hdparm; sd's cache_type makes libata send SET
# FEATURES 82h).  With write-back held back (max-age 60 s), a completed
# write is in the image when vmain is killed only if the switch reached
# the disk stack.
wce() { # wce MODE
	rm -f "$w/wce.img" "$w/con"; truncate -s 16M "$w/wce.img"
	"$vmain" run --accel vmain --memory 256M --kernel "$guest/vmlinuz" \
		--initrd "$guest/initrd.img" \
		--append "console=ttyS0 panic=-1 vmain.test=$1 vmain.disk=sda" \
		--serial "$w/con" --disk "$w/wce.img,if=ahci,max-age=60000,max-dirty=64M" \
		</dev/null >"$w/out" 2>&1 &
	pid=$!
	i=0 written=no
	while [ $i -lt 300 ]; do
		grep -q "VMAIN-GUEST: wce-written" "$w/con" 2>/dev/null && { written=yes; break; }
		sleep 1; i=$((i + 1))
	done
	echo "# $1: wce-written=$written after $i s"
	kill -KILL $pid; wait $pid 2>/dev/null
	[ $written = yes ] || show
	got=$(dd if="$w/wce.img" bs=65536 skip=16 count=1 2>/dev/null | grep -c VMAINWCE)
}
wce wce-off
check "AHCI write cache off: cache_type reads '$(fact cache)', 'write through'" \
	[ "$(fact cache)" = "write through" ]
check "AHCI write cache off: a completed write is in the image when vmain is killed ($got lines)" \
	[ "$written" = yes -a "$got" = 7281 ]
wce wce-on
check "AHCI write cache on: cache_type reads '$(fact cache)', 'write back'" \
	[ "$(fact cache)" = "write back" ]
check "AHCI write cache on: the same write is still only in vmain's cache ($got lines)" \
	[ "$written" = yes -a "$got" = 0 ]

# 4. --cdrom beside an AHCI disk: the guest's sr driver finds the DVD-ROM.
rm -f "$w/a.img" "$w/cd.iso"; truncate -s 16M "$w/a.img"; truncate -s 4M "$w/cd.iso"
boot "AHCI + CD" disk --disk "$w/a.img,if=ahci" --cdrom "$w/cd.iso"
check "--cdrom: the guest finds the VMAIN DVD-ROM" grep -q 'CD-ROM.*VMAIN' "$w/con"
check "--cdrom: and still formats /dev/sda, status 0" [ "$(fact disk-test)" = ok -a "$rc" = 0 ]
[ "$rc" = 0 ] && grep -q 'CD-ROM.*VMAIN' "$w/con" || show

# 5. SeaBIOS's ata.c: the IDE disk and the ISO on the secondary master,
# the boot from it (El Torito through ATAPI PIO), ISOLINUX, the guest, whose
# ata_piix sees both.  Through KVM: ISOLINUX's protected mode is not run
# through vmain.ko yet (firmware.t).
if [ -n "$iso" ]; then
	rm -f "$w/a.img" "$w/log" "$w/con"; truncate -s 64M "$w/a.img"
	t0=$(uptime_s)
	timeout -s KILL 200 "$vmain" run --accel kvm --cpus 1 --memory 512M \
		--disk "$w/a.img,if=ide" --cdrom "$iso" --firmware-log "$w/log" \
		--serial "$w/con" </dev/null >"$w/out" 2>&1
	rc=$?
	echo "# SeaBIOS, IDE: status $rc after $(( $(uptime_s) - t0 )) s"
	inlog() { grep -aq "$1" "$w/log"; }
	check "SeaBIOS finds the IDE disk (ata0-0) and the DVD-ROM (ata1-0)" \
		sh -c "grep -aq 'ata0-0: VMAIN HARDDISK' '$w/log' && grep -aq 'ata1-0: VMAIN DVD-ROM' '$w/log'"
	check "SeaBIOS boots from the IDE DVD/CD" inlog "Booting from DVD/CD"
	check "ISOLINUX runs and the guest's init too" \
		sh -c "grep -aq ISOLINUX '$w/con' && grep -aq 'VMAIN-GUEST: init' '$w/con'"
	check "the guest's ata_piix finds both, and it powers off (status 0)" \
		sh -c "grep -aq 'ATAPI: VMAIN DVD-ROM' '$w/con' && grep -aq 'ATA-8: VMAIN HARDDISK' '$w/con' && [ $rc = 0 ]"
	[ "$rc" = 0 ] || { show; sed 's/^/#   /' "$w/log" | tail -n 20; }
fi

rm -f "$w"/*.img "$w/cd.iso"
echo "1..$n"
