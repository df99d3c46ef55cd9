#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Runs inside the SVM arena (tests/guest-full/cdrom.t): the installer
# workflow's CD/DVD drive and the save of a VM with AHCI and IDE disks,
# through vmain.ko.  A bundle (vmain create --iso) with an AHCI disk, an
# IDE disk and a CD/DVD drive runs the default guest (vmain.test=ticker:
# a shell on the console, through `vmain console`); the guest reads the
# whole disc; `vmain cdrom` puts another in, and the guest reads that one;
# the guest holds /dev/sr0 open (Linux's sr locks the tray: PREVENT ALLOW
# MEDIUM REMOVAL), so an eject is refused (status 4) until --force, after
# which the guest finds no medium; config.ini's [cdrom] follows each
# change; a directory as the disc fails in the VM process (status 1).
# Then `vmain save` and `vmain start`: the restored guest goes on (no
# second ticker-ready), reads what it wrote to both disks before the save
# and the disc from the restored drive.  A bundle holding the host's own
# drive (the arena's emulated DVD-ROM, /dev/sr0) cannot be saved: refused
# before anything stops, the VM runs on.  A VM without a drive is
# refused (status 2).
# Prints TAP lines.  Usage: cdrom-guest.sh VMAIN GUEST-DIR
vmain=$1 guest=$2
w=/tmp/cdrom
rm -rf "$w"; mkdir -p "$w/run" "$w/data"
export XDG_RUNTIME_DIR="$w/run" XDG_DATA_HOME="$w/data"
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
nok() { n=$((n + 1)); echo "not ok $n - $1"; }
check() { d=$1; shift; if "$@"; then ok "$d"; else nok "$d"; fi; }
is() { if [ "$2" = "$3" ]; then ok "$1"; else nok "$1 (want '$2', got '$3')"; fi; }
wait_for() {
	i=0
	while [ $i -lt $(($3 * 10)) ]; do
		grep -aq "$2" "$1" 2>/dev/null && return 0
		sleep 0.1; i=$((i + 1))
	done
	return 1
}
ini() { sed -n '/^\[cdrom\]$/,/^\[/p' "$w/data/vmain/VMs/cd.vmain/config.ini" | grep '^file='; }

# gsh TAG CMD: types CMD on the guest's console shell, then waits until
# it has printed TAG-42-end (the typed line shows TAG-$((40+2))-end, not
# that); the console's output is in $w/gsh.TAG.
gsh() {
	(sleep 1; printf '%s; echo %s-$((40+2))-end\r' "$2" "$1"
	 i=0; while [ $i -lt 600 ] && ! grep -aq "$1-42-end" "$w/gsh.$1" 2>/dev/null; do
		sleep 0.1; i=$((i + 1)); done; printf '\001d') |
		timeout 90 "$vmain" console cd >"$w/gsh.$1" 2>"$w/gsh.$1.err"
	grep -aq "$1-42-end" "$w/gsh.$1"
}
# The SHA-256 the guest printed after TAG's "sha-", from $w/gsh.TAG.
gsha() { grep -aoE "$1-sha-[0-9a-f]{64}" "$w/gsh.$1" | tail -n 1 | sed "s/^$1-sha-//"; }
# cdread TAG: the guest reads its whole disc.
cdread() { gsh "$1" "echo $1-sha-\$(sha256sum </dev/sr0 | cut -c1-64)"; gsha "$1"; }

# Two discs of their own sizes (raw images: the drive serves any).
dd if=/dev/urandom of="$w/a.iso" bs=1M count=2 2>/dev/null
dd if=/dev/urandom of="$w/b.iso" bs=1M count=4 2>/dev/null
sa=$(sha256sum <"$w/a.iso" | cut -c1-64)
sb=$(sha256sum <"$w/b.iso" | cut -c1-64)
truncate -s 64M "$w/sata.img"
truncate -s 32M "$w/pata.img"

"$vmain" create cd --memory 256M --accel vmain --kernel "$guest/vmlinuz" \
	--initrd "$guest/initrd.img" --serial "$w/con" --iso "$w/a.iso" \
	--disk "$w/sata.img,format=raw,if=ahci" --disk "$w/pata.img,format=raw,if=ide" \
	--append "console=ttyS0 panic=-1 vmain.test=ticker" >"$w/out" 2>&1
is "vmain create --iso with an AHCI and an IDE disk" 0 $?
"$vmain" edit cd --no-display >"$w/out" 2>&1
is "vmain edit --no-display (the serial console is enough here)" 0 $?
is "config.ini: [cdrom] has the first disc" "file=$w/a.iso" "$(ini)"
"$vmain" start cd --headless >"$w/out" 2>&1; rc=$?
is "vmain start --headless" 0 $rc
[ $rc = 0 ] || sed 's/^/# /' "$w/out"
check "the guest ticks" wait_for "$w/con" "VMAIN-GUEST: ticker-ready" 180

is "the guest reads the first disc whole (SHA-256)" "$sa" "$(cdread r1)"
"$vmain" cdrom cd "$w/b.iso" >"$w/out" 2>&1
is "vmain cdrom NAME FILE: 0" 0 $?
is "config.ini: [cdrom] follows" "file=$w/b.iso" "$(ini)"
is "the guest sees the new disc: it reads the second one whole" "$sb" "$(cdread r2)"

"$vmain" cdrom cd / >"$w/out" 2>&1; rc=$?
is "vmain cdrom with a directory: status 1" 1 $rc
check "... the VM process says why, in one line" \
	sh -c "[ \$(wc -l <'$w/out') = 1 ] && grep -q 'vmain cdrom: ' '$w/out'"
sed 's/^/#   /' "$w/out"
is "... and the disc stays (config.ini)" "file=$w/b.iso" "$(ini)"

# Linux's sr locks the tray while /dev/sr0 is open (PREVENT ALLOW MEDIUM REMOVAL).
check "the guest opens /dev/sr0 and keeps it open" gsh lock 'exec 3</dev/sr0'
"$vmain" cdrom cd --eject >"$w/out" 2>&1; rc=$?
is "eject while the guest holds the tray: status 4" 4 $rc
check "... saying the guest locked it, and that --force overrides" \
	sh -c "grep -q 'the guest has locked the CD/DVD drive' '$w/out' && grep -q -- '--force' '$w/out'"
sed 's/^/#   /' "$w/out"
"$vmain" cdrom cd "$w/a.iso" >"$w/out" 2>&1
is "a change while locked: status 4" 4 $?
is "... the disc stays (config.ini)" "file=$w/b.iso" "$(ini)"
"$vmain" cdrom cd --eject --force >"$w/out" 2>&1; rc=$?
is "eject --force: 0" 0 $rc
[ $rc = 0 ] || sed 's/^/#   /' "$w/out"
is "config.ini: [cdrom] is an empty drive" "file=" "$(ini)"
gsh gone 'exec 3<&-; if head -c 2048 /dev/sr0 >/dev/null 2>/tmp/sr.err; then echo gone-read-$((40+2)); else echo gone-none-$((40+2)): $(cat /tmp/sr.err); fi'
check "the guest finds no medium" grep -aq 'gone-none-42' "$w/gsh.gone"
grep -a 'gone-none-42\|gone-read-42' "$w/gsh.gone" | tail -n 1 | sed 's/^/#   /'
"$vmain" cdrom cd "$w/b.iso" >"$w/out" 2>&1
is "a disc into the empty drive: 0" 0 $?
is "the guest reads it" "$sb" "$(cdread r3)"

# The disks: each gets its name at its start, read back after the restore.
check "the guest writes to its AHCI and IDE disks" gsh mark \
	'for d in sda sdb; do printf "mark-%s-%s." $d $(cat /sys/block/$d/size) | dd of=/dev/$d conv=fsync 2>/dev/null; done'
m1=$(head -c 64 "$w/sata.img" | tr -dc 'a-z0-9.-' | cut -d. -f1)
m2=$(head -c 64 "$w/pata.img" | tr -dc 'a-z0-9.-' | cut -d. -f1)
check "... the AHCI image has one disk's mark, 64 MiB ($m1)" sh -c "echo '$m1' | grep -qE '^mark-sd[ab]-131072$'"
check "... the IDE image the other's, 32 MiB ($m2)" sh -c "echo '$m2' | grep -qE '^mark-sd[ab]-65536$'"

"$vmain" save cd >"$w/out" 2>&1; rc=$?
is "vmain save of the VM with AHCI, IDE and a CD/DVD drive: 0" 0 $rc
[ $rc = 0 ] || sed 's/^/#   /' "$w/out"
check "state.sav is in the bundle" [ -f "$w/data/vmain/VMs/cd.vmain/state.sav" ]
"$vmain" start cd --headless >"$w/out" 2>&1; rc=$?
is "vmain start restores it: 0" 0 $rc
[ $rc = 0 ] || sed 's/^/#   /' "$w/out"
# The console file starts afresh with each start.
check "the restored guest goes on ticking" wait_for "$w/con" "VMAIN-GUEST: tick=" 60
check "... without booting again (no ticker-ready)" sh -c "! grep -aq 'VMAIN-GUEST: ticker-ready' '$w/con'"
check "state.sav is gone once it runs" [ ! -e "$w/data/vmain/VMs/cd.vmain/state.sav" ]
gsh back 'for d in sda sdb; do echo back-$d-$(head -c 40 /dev/$d | tr -dc "a-z0-9.-" | cut -d. -f1); done'
check "the restored guest reads its marks from both disks" \
	sh -c "grep -aq 'back-sda-mark-sda-' '$w/gsh.back' && grep -aq 'back-sdb-mark-sdb-' '$w/gsh.back'"
is "the restored drive has the disc (the guest reads it whole)" "$sb" "$(cdread r4)"
"$vmain" cdrom cd "$w/a.iso" >"$w/out" 2>&1
is "vmain cdrom on the restored VM: 0" 0 $?
is "... and the guest reads the new disc" "$sa" "$(cdread r5)"
# The API itself, as docs/api.md shows it.
api() { timeout 30 gdbus call --address "unix:path=$w/run/vmain/cd.sock" --dest org.vmain.VM \
	--object-path /org/vmain/VM --method "org.vmain.VM1.$@" >"$w/out" 2>&1; }
api EjectMedia floppy false
check "the API: EjectMedia of a drive the VM does not have: InvalidArgs" \
	grep -q "org.vmain.Error.InvalidArgs: no drive 'floppy'" "$w/out"
sed 's/^/#   /' "$w/out"
api ChangeMedia cdrom "$w/b.iso" false
check "the API: ChangeMedia cdrom FILE false: ()" grep -qx '()' "$w/out"
is "... the guest reads that disc" "$sb" "$(cdread r6)"
"$vmain" stop cd --timeout 60 >"$w/out" 2>&1
is "vmain stop" 0 $?

# The host's own drive (the arena's emulated DVD-ROM) as a bundle's [cdrom]:
# such a VM cannot be saved, and says so before anything stops; it runs on.
if [ -b /dev/sr0 ]; then
	"$vmain" create hd --memory 256M --accel vmain --kernel "$guest/vmlinuz" \
		--initrd "$guest/initrd.img" --serial "$w/con3" --iso /dev/sr0 \
		--append "console=ttyS0 panic=-1 vmain.test=ticker" >"$w/out" 2>&1 &&
		"$vmain" edit hd --no-display >>"$w/out" 2>&1
	is "a bundle with the host's drive (--iso /dev/sr0)" 0 $?
	"$vmain" start hd --headless >"$w/out" 2>&1; rc=$?
	is "... vmain start" 0 $rc
	[ $rc = 0 ] || sed 's/^/#   /' "$w/out"
	check "... the guest ticks" wait_for "$w/con3" "VMAIN-GUEST: ticker-ready" 180
	"$vmain" save hd >"$w/out" 2>&1; rc=$?
	is "vmain save of a VM holding the host's drive: status 1" 1 $rc
	check "... saying why, in one line" \
		sh -c "[ \$(wc -l <'$w/out') = 1 ] && grep -q 'cannot be saved: the disc and the drive' '$w/out'"
	sed 's/^/#   /' "$w/out"
	t1=$(grep -ac 'VMAIN-GUEST: tick=' "$w/con3")
	sleep 3
	t2=$(grep -ac 'VMAIN-GUEST: tick=' "$w/con3")
	is "... it runs on (status)" running "$("$vmain" status hd --json | sed -n 's/.*"state": "\([a-z-]*\)".*/\1/p')"
	check "... and its guest ticks on ($t1 -> $t2 ticks)" [ "$t2" -gt "$t1" ]
	check "... no state.sav" [ ! -e "$w/data/vmain/VMs/hd.vmain/state.sav" ]
	"$vmain" cdrom hd "$w/a.iso" >"$w/out" 2>&1
	is "vmain cdrom of the host's drive: status 2" 2 $?
	check "... saying it is the host's own" grep -q "the host's own" "$w/out"
	"$vmain" kill hd >/dev/null 2>&1
else
	nok "the arena has /dev/sr0 (its QEMU's DVD-ROM: ahci, sr_mod)"
fi

# A VM without a CD/DVD drive.
"$vmain" create nocd --memory 256M --accel vmain --kernel "$guest/vmlinuz" \
	--initrd "$guest/initrd.img" --serial "$w/con2" \
	--append "console=ttyS0 panic=-1 vmain.test=ticker" >"$w/out" 2>&1
is "vmain create of a VM without a drive" 0 $?
"$vmain" start nocd --headless >"$w/out" 2>&1; rc=$?
is "vmain start" 0 $rc
[ $rc = 0 ] || sed 's/^/#   /' "$w/out"
"$vmain" cdrom nocd "$w/a.iso" >"$w/out" 2>&1; rc=$?
is "vmain cdrom of a VM without a drive: status 2" 2 $rc
[ $rc = 2 ] || { "$vmain" status nocd; tail -n 5 "$w/con2"; } 2>&1 | sed 's/^/#   /'
check "... saying it has none" grep -q 'has no CD/DVD drive' "$w/out"
sed 's/^/#   /' "$w/out"
"$vmain" kill nocd >/dev/null 2>&1
echo "1..$n"
