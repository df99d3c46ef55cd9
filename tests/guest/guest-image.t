#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# vmain's default guest (scripts/guest-image, scripts/guest/init), on the
# host: builds it into a scratch directory, checks the archive, then boots
# it once under QEMU TCG (not vmain) with vmain.test=rng and a virtio-rng
# and a virtio console, and checks init's VMAIN-GUEST lines.  This tests
# the image; the tests of vmain's own boot use the same lines.
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
check "the archive has /init (scripts/guest/init) and busybox" \
	sh -c "grep -qx init '$tmp/list' && grep -qx bin/busybox '$tmp/list' && cmp -s '$tmp/x/init' '$top/scripts/guest/init'"
missing=""
for m in $(cat "$tmp/x/etc/vmain-modules" 2>/dev/null); do
	grep -qx "${m#/}" "$tmp/list" || missing="$missing $m"
done
for m in virtio virtio_ring virtio_pci virtio_pci_modern_dev virtio_console virtio-rng; do
	grep -q "/$m\.ko\$" "$tmp/x/etc/vmain-modules" 2>/dev/null || missing="$missing $m"
done
check "the modules init loads are in the archive${missing:+ (missing:$missing)}" test -z "$missing"

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
check "then VMAIN-GUEST: poweroff" line 'poweroff'
if grep -E 'Oops|BUG:|WARNING:|Call Trace|Kernel panic|insmod-failed' "$tmp/console" >"$tmp/errors"; then
	nok "the guest kernel logged no errors"; show "$tmp/errors"
else
	ok "the guest kernel logged no errors"
fi
if [ $failed = 1 ]; then echo "# guest console:"; show "$tmp/console"; fi
echo "1..$n"
