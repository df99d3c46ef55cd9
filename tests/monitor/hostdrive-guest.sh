#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Inside the AMD-V arena (tests/guest-full/hostdrive.t): the emulated DVD-ROM
# /dev/sr0 holding ISO, through hostdrive-test.  TAP lines, unnumbered.
t=$1 iso=$2 dev=/dev/sr0
i=0
while [ ! -b $dev ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
if [ ! -b $dev ]; then
	echo "not ok - the arena has $dev (ahci, sr_mod)"
	dmesg | grep -i -E "ahci|ata[0-9]|scsi|sr[0-9]" | tail -n 12 | sed 's/^/# /'
	exit 0
fi

echo "# $(cat /sys/block/sr0/queue/max_sectors_kb 2>/dev/null) KiB max per request; $(ls -l $dev)"
"$t" drive $dev "$iso"

# The claim: a holder, then a second hostdrive_open and a plain O_EXCL open.
"$t" hold $dev >/tmp/hold.out 2>&1 &
hp=$!
i=0
while [ $i -lt 100 ] && ! grep -q held /tmp/hold.out; do sleep 0.1; i=$((i + 1)); done
"$t" probe $dev >/tmp/probe1 2>&1
if grep -q "held" /tmp/hold.out && grep -q "^hostdrive_open -16 (.*is in use" /tmp/probe1 &&
   grep -q "open(O_EXCL) Device or resource busy" /tmp/probe1; then
	echo "ok - while a VM holds $dev, a second one and a host open(O_EXCL) get EBUSY ($(cat /tmp/probe1))"
else
	echo "not ok - while held, $dev refused to others (holder: $(cat /tmp/hold.out); probe: $(cat /tmp/probe1))"
fi
mkdir -p /mnt
if mount -t iso9660 -o ro $dev /mnt >/tmp/mount.out 2>&1; then
	umount /mnt
	echo "not ok - the host mounted $dev while a VM held it"
elif grep -qi busy /tmp/mount.out; then
	echo "ok - and the host cannot mount it ($(tail -n 1 /tmp/mount.out))"
else
	echo "not ok - mount failed, but not for the claim: $(tail -n 1 /tmp/mount.out)"
fi
# freed_by_kill PID WHO: kill -9 of PID leaves the drive free at once.
freed_by_kill() {
	kill -9 "$1"; wait "$1" 2>/dev/null
	"$t" probe $dev >/tmp/probe2 2>&1
	if grep -q "^hostdrive_open 0 (ok); open(O_EXCL) ok" /tmp/probe2; then
		echo "ok - kill -9 of $2 frees the drive at once ($(cat /tmp/probe2))"
	else
		echo "not ok - after kill -9 of $2 the drive is free ($(cat /tmp/probe2))"
	fi
}
freed_by_kill $hp "the holder"
if mount -t iso9660 -o ro $dev /mnt >/tmp/mount.out 2>&1 && [ -s /mnt/boot/vmlinuz ]; then
	umount /mnt
	echo "ok - and the host mounts it again (the ISO's /boot/vmlinuz is there)"
else
	echo "not ok - the host mounts it once free ($(tail -n 1 /tmp/mount.out))"
fi

# An unprivileged monitor: the node readable by uid 1000, as the cdrom
# group makes it (and the initramfs root searchable, as arena-svm -u does).
chmod 755 /
chmod 0644 $dev
"$t" unpriv $dev 1000

# A VM given the drive (vmain run --cdrom /dev/sr0, through vmain.ko): its
# guest's /dev/sr0 is the host's disc, every command passed through.
vmain=$3 guest=$4
[ -n "$vmain" ] || exit 0
chmod 0600 $dev
args="$(cat "$guest/cmdline")"
"$vmain" run --kernel "$guest/vmlinuz" --initrd "$guest/initrd.img" --cdrom $dev \
	--append "$args vmain.test=wait" --serial /tmp/a.con </dev/null >/tmp/a.out 2>&1 &
ap=$!
i=0
while [ $i -lt 600 ] && ! grep -q "VMAIN-GUEST: waiting" /tmp/a.con 2>/dev/null; do
	kill -0 $ap 2>/dev/null || break
	sleep 0.2; i=$((i + 1))
done
if grep -q "VMAIN-GUEST: waiting" /tmp/a.con 2>/dev/null && kill -0 $ap 2>/dev/null; then
	echo "ok - a VM given $dev (vmain run --cdrom $dev) runs its guest"
else
	echo "not ok - a VM given $dev runs its guest ($(tail -n 2 /tmp/a.out))"
fi
"$vmain" run --kernel "$guest/vmlinuz" --initrd "$guest/initrd.img" --cdrom $dev \
	--append "$args vmain.test=poweroff" --serial /tmp/b.con </dev/null >/tmp/b.out 2>&1
rc=$?
if [ $rc != 0 ] && grep -q "is in use" /tmp/b.out; then
	echo "ok - a second VM asking for it is refused, status $rc ($(tail -n 1 /tmp/b.out))"
else
	echo "not ok - a second VM asking for $dev is refused (status $rc: $(tail -n 1 /tmp/b.out))"
fi
freed_by_kill $ap "that VM"
"$vmain" run --kernel "$guest/vmlinuz" --initrd "$guest/initrd.img" --cdrom $dev \
	--append "$args vmain.test=cdrom" --serial /tmp/c.con </dev/null >/tmp/c.out 2>&1
rc=$?
want="bytes=$(stat -c %s "$iso") sha256=$(sha256sum <"$iso" | cut -d' ' -f1)"
got=$(grep "VMAIN-GUEST: cdrom-read" /tmp/c.con | tr -d '\r')
if [ $rc = 0 ] && [ "$got" = "VMAIN-GUEST: cdrom-read=ok $want" ]; then
	echo "ok - the guest reads the whole disc through the passthrough: $want"
else
	echo "not ok - the guest reads the disc ($got; want $want; status $rc: $(tail -n 2 /tmp/c.out))"
fi
