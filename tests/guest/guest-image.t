#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# vmain's default guest (scripts/guest-image, scripts/guest/init), on the
# host: builds it into a scratch directory, checks the archive, then boots
# it under QEMU TCG (not vmain): once with vmain.test=rng and a virtio-rng
# and a virtio console, once with vmain.test=disk and a virtio-blk disk (a
# 64 MiB scratch raw file, which the guest formats and fills and the host
# then checks with e2fsck and debugfs), once with vmain.test=wce-off (the
# guest turns the disk's write cache off and writes to it), and checks
# init's VMAIN-GUEST lines.  This tests the image; the tests of vmain's own boot use the same
# lines.
top=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/guest-image-t.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
gi="$top/scripts/guest-image"
n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
nok() { n=$((n + 1)); failed=1; echo "not ok $n - $1"; }
check() { # check DESC COMMAND...: ok when COMMAND succeeds
	desc=$1; shift
	if "$@"; then ok "$desc"; else nok "$desc"; fi
}
show() { sed 's/^/# /' "$1"; }

out=$("$gi" --help 2>&1); rc=$?
check "guest-image --help" test $rc = 0 -a "$(printf '%s\n' "$out" | grep -c '^Usage: scripts/guest-image')" = 1

if ! "$gi" -o "$tmp/g" >"$tmp/build.log" 2>&1; then
	nok "guest-image builds the image"; show "$tmp/build.log"
	echo "1..$n"; exit 0
fi
check "guest-image builds vmlinuz, initrd.img and cmdline" \
	test -s "$tmp/g/vmlinuz" -a -s "$tmp/g/initrd.img" -a -s "$tmp/g/cmdline"
"$gi" -o "$tmp/g" >"$tmp/build2.log" 2>&1
check "a second build with the same inputs does nothing" grep -q 'up to date' "$tmp/build2.log"

gzip -dc "$tmp/g/initrd.img" | cpio -it --quiet >"$tmp/list" 2>/dev/null
gzip -dc "$tmp/g/initrd.img" | (mkdir "$tmp/x" && cd "$tmp/x" && cpio -id --quiet etc/vmain-modules init 2>/dev/null)
modlist() { cut -d' ' -f1 "$tmp/x/etc/vmain-modules" 2>/dev/null; }
check "the archive has /init (scripts/guest/init) and busybox" \
	sh -c "grep -qx init '$tmp/list' && grep -qx bin/busybox '$tmp/list' && cmp -s '$tmp/x/init' '$top/scripts/guest/init'"
missing=""
for m in $(modlist); do
	grep -qx "${m#/}" "$tmp/list" || missing="$missing $m"
done
for m in virtio virtio_ring virtio_pci virtio_pci_modern_dev virtio_console virtio-rng \
	virtio_blk virtio_net net_failover failover ext4 jbd2 mbcache crc16 crc32c_generic; do
	modlist | grep -q "/$m\.ko\$" || missing="$missing $m"
done
check "the modules init loads are in the archive${missing:+ (missing:$missing)}" test -z "$missing"
check "ext4 comes after what it needs (jbd2, mbcache, crc16, crc32c_generic)" sh -c "
	modlist() { cut -d' ' -f1 '$tmp/x/etc/vmain-modules'; }
	e=\$(modlist | grep -n '/ext4\\.ko\$' | cut -d: -f1)
	for m in jbd2 mbcache crc16 crc32c_generic; do
		d=\$(modlist | grep -n \"/\$m\\.ko\$\" | cut -d: -f1)
		[ -n \"\$d\" ] && [ -n \"\$e\" ] && [ \$d -lt \$e ] || exit 1
	done"
check "only CPU-specific modules may fail (optional): crc32c-intel, crct10dif-pclmul (sd_mod's)" \
	test "$(grep ' optional$' "$tmp/x/etc/vmain-modules" | sed 's|.*/||' | sort | tr '\n' ,)" = \
	"crc32c-intel.ko optional,crct10dif-pclmul.ko optional,"
missing=""
for f in sbin/mke2fs sbin/e2fsck sbin/mkfs.ext4 sbin/fsck.ext4 etc/mke2fs.conf lib64/ld-linux-x86-64.so.2 \
	lib/x86_64-linux-gnu/libc.so.6 lib/x86_64-linux-gnu/libext2fs.so.2; do
	grep -qx "$f" "$tmp/list" || missing="$missing $f"
done
check "e2fsprogs' mke2fs and e2fsck are in the archive with their libraries${missing:+ (missing:$missing)}" \
	test -z "$missing"

if ! command -v qemu-system-x86_64 >/dev/null; then
	n=$((n + 1)); echo "ok $n # SKIP qemu-system-x86_64 is missing (scripts/deps test)"
	echo "1..$n"; exit 0
fi
failed=0 start=$(date +%s)
timeout --kill-after=5 90 qemu-system-x86_64 -accel tcg -m 512 -nographic -no-reboot \
	-kernel "$tmp/g/vmlinuz" -initrd "$tmp/g/initrd.img" \
	-append "$(cat "$tmp/g/cmdline") vmain.test=rng" \
	-device virtio-rng-pci -device virtio-serial-pci \
	-chardev "file,id=hvc,path=$tmp/hvc.log" -device virtconsole,chardev=hvc \
	</dev/null >"$tmp/console.raw" 2>&1
rc=$?
tr -d '\r' <"$tmp/console.raw" >"$tmp/console"
echo "# QEMU TCG boot with vmain.test=rng: status $rc after $(($(date +%s) - start)) s"
check "the guest powers off by itself (QEMU status 0)" test $rc = 0
check "init runs once: VMAIN-GUEST: init" test "$(grep -cx 'VMAIN-GUEST: init' "$tmp/console")" = 1
line() { grep -qxE "VMAIN-GUEST: $1" "$tmp/console"; }
check "cpus=1" line 'cpus=1'
check "memtotal_kb within 512 MiB" sh -c "v=\$(sed -n 's/^VMAIN-GUEST: memtotal_kb=\\([0-9]*\\)\$/\\1/p' '$tmp/console'); [ -n \"\$v\" ] && [ \$v -gt 300000 ] && [ \$v -le 524288 ]"
check "rtc=SECONDS near the host's clock" sh -c "v=\$(sed -n 's/^VMAIN-GUEST: rtc=\\([0-9]*\\)\$/\\1/p' '$tmp/console'); now=\$(date +%s); [ -n \"\$v\" ] && [ \$((now - v)) -lt 300 ] && [ \$((v - now)) -lt 300 ]"
check "rng=virtio_rng.0" line 'rng=virtio_rng\.0'
check "hvc=yes" line 'hvc=yes'
check "pci= lists the virtio-rng (1af4:1005) and virtio-serial (1af4:1003)" \
	sh -c "grep -x 'VMAIN-GUEST: pci=.*' '$tmp/console' | grep -qE '[= ]1af4:1005( |$)' && grep -x 'VMAIN-GUEST: pci=.*' '$tmp/console' | grep -qE '[= ]1af4:1003( |$)'"
check "hwrng=ok (64 bytes from /dev/hwrng)" line 'hwrng=ok'
check "disks=none" line 'disks=none'
check "then VMAIN-GUEST: poweroff" line 'poweroff'
no_errors() {
	if grep -E 'Oops|BUG:|WARNING:|Call Trace|Kernel panic|insmod-failed|EXT4-fs error' "$tmp/console" >"$tmp/errors"; then
		nok "the guest kernel logged no errors"; show "$tmp/errors"
	else
		ok "the guest kernel logged no errors"
	fi
}
no_errors
if [ $failed = 1 ]; then echo "# guest console:"; show "$tmp/console"; fi

# The disk: a 64 MiB raw file as virtio-blk; the guest makes ext4 on it,
# writes files and prints their checksums, which the host compares with
# what debugfs reads back from the image after the guest is gone.
failed=0 start=$(date +%s)
truncate -s 64M "$tmp/disk.img"
timeout --kill-after=5 120 qemu-system-x86_64 -accel tcg -m 512 -nographic -no-reboot \
	-kernel "$tmp/g/vmlinuz" -initrd "$tmp/g/initrd.img" \
	-append "$(cat "$tmp/g/cmdline") vmain.test=disk" \
	-drive "file=$tmp/disk.img,if=none,id=d0,format=raw" -device virtio-blk-pci,drive=d0,serial=vmain-test \
	</dev/null >"$tmp/console.raw" 2>&1
rc=$?
tr -d '\r' <"$tmp/console.raw" >"$tmp/console"
echo "# QEMU TCG boot with vmain.test=disk: status $rc after $(($(date +%s) - start)) s"
check "the guest powers off by itself (QEMU status 0)" test $rc = 0
check "disks=vda" line 'disks=vda'
check "disk=vda sectors=131072 (64 MiB) ro=0 cache=writeback serial=vmain-test" \
	line 'disk=vda sectors=131072 ro=0 cache=writeback serial=vmain-test'
check "mkfs=ok (mkfs.ext4 /dev/vda)" line 'mkfs=ok'
check "mount=ok" line 'mount=ok'
check "umount=ok" line 'umount=ok'
check "fsck=ok (fsck.ext4 -n in the guest)" line 'fsck=ok'
check "disk-test=ok" line 'disk-test=ok'
if e2fsck -fn "$tmp/disk.img" >"$tmp/fsck.log" 2>&1; then
	ok "the host finds the file system clean (e2fsck -fn)"
else
	nok "the host finds the file system clean (e2fsck -fn)"; show "$tmp/fsck.log"
fi
files=$(sed -n 's/^VMAIN-GUEST: file=\([^ ]*\) bytes=[0-9]* sha256=[0-9a-f]\{64\}$/\1/p' "$tmp/console")
check "the guest lists 4 files with their checksums" test "$(echo "$files" | paste -sd' ' -)" = "seq.txt random.bin dir/small-1 dir/small-8"
for f in $files; do
	want=$(sed -n "s|^VMAIN-GUEST: file=$f bytes=\([0-9]*\) sha256=\([0-9a-f]*\)\$|\1 \2|p" "$tmp/console")
	debugfs -R "dump /$f $tmp/file" "$tmp/disk.img" >/dev/null 2>&1
	got="$(wc -c <"$tmp/file" 2>/dev/null) $(sha256sum <"$tmp/file" 2>/dev/null | cut -d' ' -f1)"
	check "the host reads /$f back as the guest wrote it ($want)" test "$got" = "$want"
	rm -f "$tmp/file"
done
check "seq.txt is seq 1 100000" test "$(seq 1 100000 | sha256sum | cut -d' ' -f1)" = \
	"$(sed -n 's/^VMAIN-GUEST: file=seq.txt bytes=[0-9]* sha256=\([0-9a-f]*\)$/\1/p' "$tmp/console")"
check "then VMAIN-GUEST: poweroff" line 'poweroff'
no_errors
if [ $failed = 1 ]; then echo "# guest console:"; show "$tmp/console"; fi

# The write-cache switch: the guest turns the cache off (QEMU offers
# VIRTIO_BLK_F_CONFIG_WCE), writes with O_DIRECT and waits to be killed.
failed=0 start=$(date +%s)
rm -f "$tmp/disk.img"; truncate -s 16M "$tmp/disk.img"
# The console emptied first: the redirection is done in the forked child,
# and until then the file still holds the disk boot's console.
: >"$tmp/console.raw"
timeout --kill-after=5 120 qemu-system-x86_64 -accel tcg -m 512 -nographic -no-reboot \
	-kernel "$tmp/g/vmlinuz" -initrd "$tmp/g/initrd.img" \
	-append "$(cat "$tmp/g/cmdline") vmain.test=wce-off" \
	-drive "file=$tmp/disk.img,if=virtio,format=raw" \
	</dev/null >"$tmp/console.raw" 2>&1 &
qpid=$!
i=0
while [ $i -lt 100 ] && ! tr -d '\r' <"$tmp/console.raw" | grep -qE '^VMAIN-GUEST: wce-(written|write=fail)$'; do
	kill -0 $qpid 2>/dev/null || break
	sleep 1; i=$((i + 1))
done
kill $qpid 2>/dev/null; wait $qpid
tr -d '\r' <"$tmp/console.raw" >"$tmp/console"
echo "# QEMU TCG boot with vmain.test=wce-off: killed after $(($(date +%s) - start)) s"
check "cache=write through (read back from cache_type)" line 'cache=write through'
check "wce-written" line 'wce-written'
check "the image has the 7281 VMAINWCE lines at 1 MiB" \
	test "$(dd if="$tmp/disk.img" bs=65536 skip=16 count=1 2>/dev/null | grep -cx VMAINWCE)" = 7281
no_errors
if [ $failed = 1 ]; then echo "# guest console:"; show "$tmp/console"; fi
echo "1..$n"
