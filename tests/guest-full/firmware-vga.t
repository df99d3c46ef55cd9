#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Firmware boot with a display through vmain.ko (issues 16 and 17): SeaBIOS
# runs Debian's VGA BIOS, whose text-mode set-up and screen clears are
# string and read-modify-write instructions on the legacy VGA window, which
# the module emulates (kmod/emulate/); the screen at "No bootable device"
# through vmain.ko is the one KVM shows (tests/monitor/firmware-vga-guest.sh),
# pixel for pixel but for SeaBIOS's "Machine UUID" line (each run has a
# random UUID): compared here, on the host, from the screenshots the arena
# prints; then the default guest's ISO (scripts/guest-iso) through vmain.ko
# with the VGA: ISOLINUX on the screen, the guest's init, its power-off.
. "$(dirname "$0")/../lib/arena-tap.sh"

if [ ! -r /usr/share/seabios/bios-256k.bin ] || [ ! -r /usr/share/seabios/vgabios-stdvga.bin ]; then
	echo "not ok 1 - /usr/share/seabios is incomplete (scripts/deps test installs seabios)"
	echo "1..1"
	exit 0
fi
iso="$TOP/build/guest/firmware-vga.iso"
if ! "$TOP/scripts/guest-iso" -q -o "$iso" -a vmain.test=poweroff -t 20; then
	echo "not ok 1 - scripts/guest-iso failed"
	echo "1..1"
	exit 0
fi
arena_tap arena-svm "vmain run --display without --kernel: SeaBIOS and its VGA BIOS through vmain.ko and KVM, the same screen; the guest's ISO through vmain.ko" \
	-t 900 -m 3072 -M kvm_amd -W 200 -f "$TOP/build/monitor/vmain" -f /usr/share/seabios \
	-f "$TOP/tests/monitor/firmware-vga-guest.sh" -f "$iso" -- \
	env DUMP=1 "$TOP/tests/monitor/firmware-vga-guest.sh" "$TOP/build/monitor/vmain" "$iso"

# The two screenshots (8-bit RGB PNGs) from the arena's output: the same
# size, the same pixels outside text row 1 (y 16-31 of the 9x16 font's
# 720x400 text mode, SeaBIOS's UUID line), and text in the row of "No
# bootable device" (row 8).
tap_count=$((tap_count + 1))
/usr/bin/python3 - "$tap_log" <<'PY'
import base64, struct, sys, zlib

def png(data):
    assert data[:8] == b'\x89PNG\r\n\x1a\n'
    pos, idat, w = 8, b'', 0
    while pos < len(data):
        n, kind = struct.unpack('>I4s', data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b'IHDR':
            w, h, depth, ctype = struct.unpack('>IIBB', body[:10])
            assert depth == 8 and ctype == 2, 'not 8-bit RGB'
        elif kind == b'IDAT':
            idat += body
        pos += 12 + n
    raw, rows, stride, prev = zlib.decompress(idat), [], w * 3, bytearray(w * 3)
    for y in range(h):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - 3] if i >= 3 else 0
            b, c = prev[i], prev[i - 3] if i >= 3 else 0
            if f == 1: line[i] = (line[i] + a) & 255
            elif f == 2: line[i] = (line[i] + b) & 255
            elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line)); prev = line
    return w, h, rows

shots, cur = {}, None
for l in open(sys.argv[1], errors='replace').read().splitlines():
    if l.startswith('# png '):
        cur = l[6:]; shots[cur] = []
    elif l == '# end':
        cur = None
    elif cur is not None and l.startswith('# '):
        shots[cur].append(l[2:])
try:
    vm, kvm = (png(base64.b64decode(''.join(shots[k]))) for k in ('vmain.png', 'kvm.png'))
except Exception as e:
    print('not ok - vmain.ko\'s screen against KVM\'s: no two screenshots (%s)' % e); sys.exit(0)
diff = [y for y in range(min(vm[1], kvm[1])) if vm[2][y] != kvm[2][y]]
text8 = any(any(px) for px in vm[2][8 * 16:9 * 16]) if vm[1] >= 9 * 16 else False
ok = vm[:2] == kvm[:2] == (720, 400) and all(16 <= y < 32 for y in diff) and text8
print('%s - vmain.ko\'s screen is KVM\'s, pixel for pixel, but for the UUID line (720x400; rows differing: %s)'
      % ('ok' if ok else 'not ok', ', '.join(map(str, diff[:8])) or 'none'))
if not ok:
    print('# sizes %dx%d and %dx%d; text in row 8: %s' % (vm[0], vm[1], kvm[0], kvm[1], text8))
PY

arena_tap_end
