#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# `vmain run` on the host (ASan/UBSan build): every bad input gives a clear
# one-line error and the documented exit status (2: bad usage, 1: the VM
# could not be created), no sanitizer report, and no stray files.  No
# /dev/vm-main or /dev/kvm is needed: machine_create() reads the kernel and
# builds guest RAM before it opens a backend.
top=$(cd "$(dirname "$0")/../.." && pwd)
vmain="$top/build-asan/monitor/vmain"
[ -x "$vmain" ] || vmain="$top/build/monitor/vmain"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/run-args.XXXXXX") || exit 1
trap 'chmod -R u+rwx "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
# The control socket of each `vmain run` goes here, not to /run/vmain.
mkdir -p "$tmp/run"
export XDG_RUNTIME_DIR="$tmp/run"
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $1"; }
skip() { n=$((n + 1)); echo "ok $n # SKIP $1"; }

# t DESC WANT-STATUS PATTERN COMMAND...: the status, PATTERN in the output,
# no sanitizer report, and (for a failure, status 1 or 2) exactly one line.
t() {
	desc=$1 want=$2 pat=$3; shift 3
	out=$("$@" 2>&1 </dev/null); rc=$?
	why=
	echo "$rc" | grep -qxE "$want" || why="status $rc, want $want"
	printf '%s\n' "$out" | grep -qE -- "$pat" || why="${why:+$why; }no match for /$pat/"
	if printf '%s\n' "$out" | grep -qE 'Sanitizer|runtime error'; then
		why="${why:+$why; }sanitizer report"
	fi
	case $rc in 1|2)
		[ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ] || why="${why:+$why; }not one line"
	esac
	if [ -z "$why" ]; then
		ok "$desc"
	else
		not_ok "$desc ($why)"; printf '%s\n' "$out" | sed 's/^/# /'
	fi
}
run() { "$vmain" run "$@"; }

# A real bzImage for the cases that must get past the loader.
kernel=
for k in "$top/build/guest/vmlinuz" /boot/vmlinuz-*; do
	[ -f "$k" ] && [ -r "$k" ] && { kernel=$k; break; }
done
guest_initrd=$top/build/guest/initrd.img

# --help documents every option and the exit statuses.
help=$("$vmain" run --help 2>&1); rc=$?
for o in kernel initrd append module debug-exit memory hugepages cpus accel serial hvc disk net io-threads shutdown-timeout verbose; do
	if [ "$o" = hvc ] && ! grep -q '"hvc"' "$top/monitor/cmd-run.c" 2>/dev/null; then
		continue
	fi
	if [ $rc -eq 0 ] && printf '%s\n' "$help" | grep -qE -- "--$o(=| |$)"; then
		ok "run --help documents --$o"
	else
		not_ok "run --help documents --$o (status $rc)"
	fi
done
for s in 0 1 2 3; do
	if printf '%s\n' "$help" | grep -qE "^  $s  [a-z]"; then
		ok "run --help documents exit status $s"
	else
		not_ok "run --help documents exit status $s"
	fi
done

cd "$tmp" || exit 1
mkdir files work
: >files/empty
head -c 65536 /dev/urandom >files/random
printf 'not a kernel\n' >files/text
mkdir files/dir
: >files/dummy

# The kernel.
# Without --kernel the firmware boots (docs/firmware.md); its options.
t "--firmware: an unknown one" 2 "--firmware 'foo': must be seabios or none" run --firmware foo
t "--firmware none without --kernel" 2 '--firmware none needs --kernel FILE' run --firmware none
t "--firmware seabios with a --kernel that is no bzImage" 1 \
	'cannot boot files/dummy through the firmware: file too short' \
	run --firmware seabios --kernel files/dummy --serial none --accel vmain
t "--firmware seabios --kernel with --module" 2 '--module \(a Multiboot kernel\) needs --firmware none' \
	run --firmware seabios --kernel files/dummy --module files/dummy
t "--initrd without --kernel (the firmware)" 2 '--initrd and --append need --kernel' \
	run --initrd files/dummy
t "--bios with the direct boot" 2 '--bios needs --firmware seabios' \
	run --firmware none --kernel files/dummy --bios files/dummy
t "--bios: a missing file" 2 "cannot read the BIOS '$tmp/nope': No such file" run --bios "$tmp/nope"
t "--bios: an empty file" 2 "--bios 'files/dummy': it is empty" run --bios files/dummy
head -c 100000 /dev/zero >files/bios-odd
t "--bios: not a multiple of 64 KiB" 2 'not a multiple of 64 KiB' run --bios files/bios-odd
t "--bios: a directory" 2 'it is not a regular file' run --bios files
t "--firmware-log: stdio is not a file" 2 "--firmware-log 'stdio': must be a FILE or none" \
	run --firmware-log stdio
t "nonexistent kernel" 2 "cannot read the kernel '$tmp/nope': No such file" \
	run --kernel "$tmp/nope"
t "empty kernel path" 2 "cannot read the kernel '': No such file" run --kernel ''
t "a directory as the kernel" 1 'cannot read the kernel: .*Is a directory' \
	run --kernel files/dir --serial none --accel vmain
cp files/random files/noperm; chmod 000 files/noperm
if [ "$(id -u)" -ne 0 ]; then
	t "unreadable kernel (mode 000)" 2 "cannot read the kernel '.*': Permission denied" \
		run --kernel files/noperm
else
	skip "unreadable kernel (mode 000): running as root, which may read it"
fi
t "empty kernel file" 1 'cannot boot .*empty: file too short for a setup header' \
	run --kernel files/empty --serial none --accel vmain
t "/dev/null as the kernel" 1 'cannot boot /dev/null: file too short' \
	run --kernel /dev/null --serial none --accel vmain
t "text file as the kernel" 1 'cannot boot .*text: file too short' \
	run --kernel files/text --serial none --accel vmain
t "random bytes as the kernel" 1 'cannot boot .*random: no 0xAA55 boot flag' \
	run --kernel files/random --serial none --accel vmain
# The boot flag alone: the next check is the "HdrS" magic.
{ head -c 510 /dev/zero; printf '\125\252'; head -c 512 /dev/zero; } >files/flag
t "boot flag but no HdrS magic" 1 'cannot boot .*flag: no "HdrS" magic' \
	run --kernel files/flag --serial none --accel vmain
if [ -n "$kernel" ]; then
	head -c 4096 "$kernel" >files/trunc4k
	t "bzImage cut to 4096 bytes" 1 'cannot boot .*trunc4k: file shorter than its setup part' \
		run --kernel files/trunc4k --serial none --accel vmain
	head -c 65536 "$kernel" >files/trunc64k
	t "bzImage cut to 64 KiB" 1 'cannot boot .*trunc64k: file shorter than' \
		run --kernel files/trunc64k --serial none --accel vmain
	t "guest RAM too small for the kernel" 1 "cannot boot .*: guest RAM too small" \
		run --kernel "$kernel" --memory 32M --serial none --accel vmain
	t "command line longer than the kernel's cmdline_size" 1 \
		'cannot boot .*: command line longer than' \
		run --kernel "$kernel" --append "$(head -c 100000 /dev/zero | tr '\0' a)" \
		--serial none --accel vmain
	# Under the firmware (boot/fwboot.h): the sizes checked before the guest runs.
	truncate -s 100M files/initrd-100m
	t "--firmware seabios: an initrd larger than the RAM below 4 GiB" 1 \
		'cannot boot .* through the firmware: initrd larger than the RAM .*initrd 100 MiB, RAM below 4 GiB 128 MiB' \
		run --firmware seabios --kernel "$kernel" --initrd files/initrd-100m --memory 128M \
		--serial none --accel vmain
	t "--firmware seabios: guest RAM too small for the kernel" 1 \
		"cannot boot .* through the firmware: guest RAM below 4 GiB too small" \
		run --firmware seabios --kernel "$kernel" --memory 32M --serial none --accel vmain
	t "--firmware seabios: command line longer than cmdline_size" 1 \
		'cannot boot .* through the firmware: command line longer than' \
		run --firmware seabios --kernel "$kernel" \
		--append "$(head -c 100000 /dev/zero | tr '\0' a)" --serial none --accel vmain
else
	skip "bzImage cut to 4096 bytes: no bzImage here (build/guest, /boot)"
	skip "bzImage cut to 64 KiB: no bzImage here"
	skip "guest RAM too small for the kernel: no bzImage here"
	skip "command line longer than cmdline_size: no bzImage here"
	skip "--firmware seabios: an initrd too large: no bzImage here"
	skip "--firmware seabios: guest RAM too small: no bzImage here"
	skip "--firmware seabios: command line too long: no bzImage here"
fi

# The initrd (the kernel must be readable to get there).
k=${kernel:-files/random}
t "nonexistent initrd" 2 "cannot read the initrd '.*nope': No such file" \
	run --kernel "$k" --initrd "$tmp/nope"
t "a directory as the initrd" 1 'cannot read the initrd: .*Is a directory' \
	run --kernel "$k" --initrd files/dir --serial none --accel vmain
if [ "$(id -u)" -ne 0 ]; then
	t "unreadable initrd (mode 000)" 2 "cannot read the initrd '.*': Permission denied" \
		run --kernel "$k" --initrd files/noperm
else
	skip "unreadable initrd (mode 000): running as root, which may read it"
fi

# --memory: --accel bogus comes last in check_args(), so a valid size
# reaches it and an invalid one never does.
m() { # m SIZE WANT-STATUS PATTERN
	t "--memory '$1'" "$2" "$3" run --kernel files/dummy --memory "$1" --accel bogus
}
range="must be a multiple of 4 KiB from 32M to [0-9]+M \\(this host's RAM"
# One GiB more than this host has: refused.  Above 3G is placed at 4G+.
host_mib=$(awk '/^MemTotal:/ { print int($2 / 1024) }' /proc/meminfo)
m 0 2 'must not be zero'
m 0M 2 'must not be zero'
m -1 2 'not a size'
m '' 2 'not a size'
m abc 2 'not a size'
m 12Q 2 'unknown unit'
m 512MB2 2 'unknown unit'
m '512 M' 2 'unknown unit'
m 1K 2 "$range"
m 31M 2 "$range"
m 4097K 2 "$range"
m "$((host_mib + 1024))M" 2 "$range"
m 1T 2 "$range"
m 99999999999999999999G 2 'too large'
m 99999999999999999999 2 'too large'
m 18014398509481984M 2 'too large'
for v in 32M 512 512M 512MiB 512mb 2g 3G 3072M 3073M 4G 1048576K; do
	m "$v" 2 "--accel 'bogus'"
done

# --hugepages: the mode, and --memory a multiple of its page.
h() { # h MODE SIZE WANT-STATUS PATTERN
	t "--hugepages '$1' --memory $2" "$3" "$4" \
		run --kernel files/dummy --memory "$2" --hugepages "$1" --accel bogus
}
h bogus 512M 2 "--hugepages 'bogus': must be thp, off, 2M or 1G"
h 2m 512M 2 "--hugepages '2m': must be thp, off, 2M or 1G"
h '' 512M 2 "--hugepages '': must be thp, off, 2M or 1G"
h 1G 1536M 2 'hugepages 1G: --memory \(1536 MiB\) must be a multiple of 1 GiB'
h 2M 33M 2 'hugepages 2M: --memory \(33 MiB\) must be a multiple of 2 MiB'
for v in thp:33M off:33M 2M:64M 1G:1G 1G:2G; do
	h "${v%%:*}" "${v#*:}" 2 "--accel 'bogus'"
done

# --cpus.
online=$(getconf _NPROCESSORS_ONLN 2>/dev/null || nproc)
c() { # c N WANT-STATUS PATTERN
	t "--cpus '$1'" "$2" "$3" run --kernel files/dummy --cpus "$1" --accel bogus
}
for v in 0 -1 256 100000 $((online + 1)); do
	c "$v" 2 "--cpus $v: must be 1 to [0-9]+ \(this host's online CPUs"
done
c abc 2 'Cannot parse integer value'
c 99999999999 2 'out of range'
c 1 2 "--accel 'bogus'"
c "$online" 2 "--accel 'bogus'"

# The other options.
t "--accel bogus" 2 "--accel 'bogus': must be auto, vmain or kvm" \
	run --kernel files/dummy --accel bogus
t "--accel ''" 2 "--accel '': must be auto, vmain or kvm" \
	run --kernel files/dummy --accel ''
t "--shutdown-timeout -1" 2 '--shutdown-timeout -1: must be 0 or more' \
	run --kernel files/dummy --shutdown-timeout -1
t "--shutdown-timeout abc" 2 'Cannot parse integer value' \
	run --kernel files/dummy --shutdown-timeout abc
t "--serial to a missing directory" 2 \
	"cannot open '/nonexistent/dir/file' for the serial port: No such file" \
	run --kernel files/dummy --serial /nonexistent/dir/file
t "--serial to a directory" 2 "cannot open '.*' for the serial port: Is a directory" \
	run --kernel files/dummy --serial files/dir
if grep -q '"hvc"' "$top/monitor/cmd-run.c" 2>/dev/null; then
	t "--hvc to a missing directory" 2 \
		"cannot open '/nonexistent/dir/file' for the virtio console: No such file" \
		run --kernel files/dummy --serial none --hvc /nonexistent/dir/file
fi
t "unexpected positional argument" 2 "unexpected argument 'extra'" \
	run --kernel files/dummy extra
t "unknown option" 2 'Unknown option --nope' run --kernel files/dummy --nope
t "option without its value" 2 'Missing argument for --memory' \
	run --kernel files/dummy --memory

# --disk: every image problem is one line before any guest starts.
dk() { # dk DESC WANT-STATUS PATTERN DISK-SPEC
	t "--disk: $1" "$2" "$3" run --kernel files/dummy --serial none --accel vmain --disk "$4"
}
head -c 1048576 /dev/zero >files/raw.img
: >files/zero.img
dk "missing image" 1 "disk '.*nope.img': cannot open it for reading and writing: No such file" \
	"$tmp/nope.img"
dk "missing read-only image" 1 "disk '.*nope.img': cannot open it for reading: No such file" \
	"$tmp/nope.img,readonly=on"
dk "a directory" 1 "disk 'files/dir': cannot open it .*Is a directory" files/dir
dk "an empty image" 1 "disk 'files/zero.img': the image is empty" files/zero.img
dk "no file name" 2 "--disk ',cache=none': no image file given" ",cache=none"
dk "unknown option" 2 "unknown option 'speed' \\(format, cache" "files/raw.img,speed=fast"
dk "option without =" 2 "'readonly': options are KEY=VALUE" "files/raw.img,readonly"
dk "bad cache mode" 2 "cache=fast: must be writeback, writethrough or none" "files/raw.img,cache=fast"
dk "bad format" 2 "format=vmdk: must be raw, qcow2 or auto" "files/raw.img,format=vmdk"
dk "bad readonly" 2 "readonly=maybe: must be on or off" "files/raw.img,readonly=maybe"
dk "bad controller" 2 "if=scsi: must be virtio, ahci or ide" "files/raw.img,if=scsi"
t "--cdrom: missing ISO" 1 "--cdrom '.*nope.iso': cannot open it for reading: No such file" \
	run --kernel files/dummy --serial none --accel vmain --cdrom "$tmp/nope.iso"
dk "serial of 21 characters" 2 "serial=.*: at most 20 characters" "files/raw.img,serial=abcdefghijklmnopqrstu"
dk "max-dirty too small" 2 "max-dirty=4K: a size from 1M to 4G" "files/raw.img,max-dirty=4K"
dk "max-age 0" 2 "max-age=0: milliseconds, 1 to 60000" "files/raw.img,max-age=0"
dk "format=qcow2 on a raw image" 1 "format=qcow2 was given, but the image is not qcow2" \
	"files/raw.img,format=qcow2"
if command -v qemu-img >/dev/null; then
	qemu-img create -q -f qcow2 files/q.qcow2 16M
	dk "format=raw on a qcow2 image" 1 "format=raw was given, but the image is qcow2" \
		"files/q.qcow2,format=raw"
else
	not_ok "format=raw on a qcow2 image: qemu-img is missing (scripts/deps test installs it)"
fi
if command -v flock >/dev/null; then
	flock -o -x files/raw.img sleep 30 & lockpid=$!
	# Until the holder has the lock: a non-blocking try then fails.
	i=0
	while [ $i -lt 100 ] && flock -n -x files/raw.img true 2>/dev/null; do
		i=$((i + 1)); sleep 0.05
	done
	dk "an image another process holds (flock)" 1 "disk 'files/raw.img': it is in use \\(locked\\) by another process" \
		files/raw.img
	dk "the same, read-only" 1 "it is in use \\(locked\\) by another process" \
		files/raw.img,readonly=on
	pkill -P $lockpid sleep 2>/dev/null; kill $lockpid 2>/dev/null; wait $lockpid 2>/dev/null
else
	not_ok "locked image: flock(1) is missing"
fi
t "--disk twice on one image: the second cannot lock it" 1 \
	"disk 'files/raw.img': it is in use \\(locked\\) by another process" \
	run --kernel files/dummy --serial none --accel vmain --disk files/raw.img --disk files/raw.img
t "--io-threads 0" 2 "--io-threads 0: must be 1 to 64" run --kernel files/dummy --io-threads 0

# --net: every bad value is one line and status 2, before anything starts.
if printf '%s\n' "$help" | grep -q 'Network: none unless --net asks for it' &&
   printf '%s\n' "$help" | grep -q -- '--net user,hostfwd=tcp:127.0.0.1:2222-:22' &&
   printf '%s\n' "$help" | grep -q -- '--net tap,ifname=tap0'; then
	ok "run --help: no network unless --net, with a user and a tap example"
else
	not_ok "run --help: no network unless --net, with a user and a tap example"
fi
nt() { # nt DESC PATTERN SPEC...: each SPEC one --net
	desc=$1 pat=$2; shift 2
	for spec; do set -- "$@" --net "$spec"; shift; done
	t "--net: $desc" 2 "^vmain run: --net '.*': $pat" run --kernel files/dummy --serial none --accel vmain "$@"
}
nt "empty" "no network kind given \(user or tap\)$" ''
nt "an unknown kind" "'vde': the network kind must be user or tap" vde
nt "an option without =" "'restrict': options are KEY=VALUE" user,restrict
nt "a stray comma" "an empty option \(a stray ','\)" user,,restrict=on
nt "a tap option on user" "unknown option 'ifname' for user \(hostfwd, restrict, net, mac\)" user,ifname=tap0
nt "a user option on tap" "unknown option 'restrict' for tap \(ifname, queues, mac\)" tap,ifname=t0,restrict=on
nt "tap without ifname" "tap: ifname=NAME is required" tap tap,queues=2
nt "an interface name of 16 characters" "ifname=abcdefghijklmnop: an interface name has 1 to 15 characters" \
	tap,ifname=abcdefghijklmnop
nt "an interface name with '/'" "ifname=a/b: no '/'" tap,ifname=a/b
nt "queues=0" "queues=0: a number from 1 to 7" tap,ifname=t0,queues=0
nt "queues=8" "queues=8: a number from 1 to 7" tap,ifname=t0,queues=8
nt "a MAC of five pairs" "mac=52:54:00:12:34: six hex pairs" user,mac=52:54:00:12:34
nt "a multicast MAC" "mac=33:33:00:00:00:01: a multicast address" user,mac=33:33:00:00:00:01
nt "the zero MAC" "mac=00:00:00:00:00:00: the zero address" user,mac=00:00:00:00:00:00
nt "mac twice" "mac= is given twice" user,mac=52:54:00:00:00:01,mac=52:54:00:00:00:02
nt "restrict=yes" "restrict=yes: must be on or off" user,restrict=yes
nt "net without a prefix" "net=10.0.3.0: a network as A.B.C.D/N" user,net=10.0.3.0
nt "net=/28" "net=10.0.3.0/28: the prefix length must be 8 to 27" user,net=10.0.3.0/28
nt "net with host bits" "net=10.0.3.1/24: host bits set" user,net=10.0.3.1/24
nt "hostfwd without a guest side" "hostfwd=tcp::2222: the form is PROTO:" user,hostfwd=tcp::2222
nt "hostfwd over icmp" "hostfwd=icmp::1-:1: starts with tcp: or udp:" user,hostfwd=icmp::1-:1
nt "hostfwd to port 70000" "hostfwd=tcp::70000-:22: bad host side ':70000'" user,hostfwd=tcp::70000-:22
nt "hostfwd with a bad host address" "hostfwd=tcp:localhost:2222-:22: bad host side" user,hostfwd=tcp:localhost:2222-:22
nt "hostfwd to a guest off its network" "hostfwd to 10.0.3.4:22: the guest address is not a host on the guest network 10.0.2.0/24" \
	user,hostfwd=tcp::2222-10.0.3.4:22
nt "one host port twice" "hostfwd=tcp:0.0.0.0:2222-:23: host port tcp 2222 is forwarded twice" \
	user,hostfwd=tcp::2222-:22,hostfwd=tcp:0.0.0.0:2222-:23
nt "one host port on two NICs" "host port tcp 127.0.0.1:2222 is forwarded by net0 already" \
	user,hostfwd=tcp::2222-:22 user,hostfwd=tcp::2222-:22
nt "one tap on two NICs" "the tap interface tap0 is net0's already" tap,ifname=tap0 tap,ifname=tap0
nt "one MAC on two NICs" "the MAC address 52:54:00:00:00:01 is net0's already" \
	user,mac=52:54:00:00:00:01 tap,ifname=t0,mac=52:54:00:00:00:01
nt "nine NICs" "at most 8 network interfaces" user user user user user user user user user
t "--net without a value" 2 'Missing argument for --net' run --kernel files/dummy --net

# The screen: every option checked before anything starts (status 2, one
# line), and a good set gets as far as the kernel (status 1: files/dummy).
help=$("$vmain" run --help 2>&1)
for o in display display-size vnc vnc-listen-any vnc-password-file; do
	if printf '%s\n' "$help" | grep -qE -- "--$o(=| |$)"; then
		ok "run --help documents --$o"
	else
		not_ok "run --help documents --$o"
	fi
done
if printf '%s\n' "$help" | grep -q '^Display: none unless --display' &&
   printf '%s\n' "$help" | grep -q 'costs nothing' &&
   printf '%s\n' "$help" | grep -q -- '--vnc 127.0.0.1:5901'; then
	ok "run --help: no screen unless asked, what headless costs, a VNC example"
else
	not_ok "run --help: no screen unless asked, what headless costs, a VNC example"
fi
printf 'secret\n' >files/vnc-pass
chmod 600 files/vnc-pass
dt() { # dt DESC PATTERN OPTION...: status 2, exactly PATTERN
	desc=$1 pat=$2; shift 2
	t "display: $desc" 2 "^vmain run: $pat\$" run --kernel files/dummy --serial none "$@"
}
dt "--display-size without an x" "--display-size '1280': not WIDTHxHEIGHT \(e.g. 1280x800\)" --display-size 1280
dt "--display-size with X" "--display-size '1280X800': not WIDTHxHEIGHT \(e.g. 1280x800\)" --display-size 1280X800
dt "--display-size empty" "--display-size '': not WIDTHxHEIGHT \(e.g. 1280x800\)" --display-size ''
dt "--display-size negative" "--display-size '-1x800': not WIDTHxHEIGHT \(e.g. 1280x800\)" --display-size=-1x800
dt "--display-size too narrow" "--display-size '63x800': the width must be 64 to 8192 and the height 64 to 8192" \
	--display-size 63x800
dt "--display-size too tall" "--display-size '800x8193': the width must be 64 to 8192 and the height 64 to 8192" \
	--display-size 800x8193
dt "--display-size huge" "--display-size '99999999999x800': the width must be 64 to 8192 and the height 64 to 8192" \
	--display-size 99999999999x800
dt "--vnc empty" "--vnc: an empty address: unix:PATH, A.B.C.D:PORT or \[IPV6\]:PORT" --vnc ''
dt "--vnc without a port" "--vnc: '127.0.0.1': not an address: unix:PATH, A.B.C.D:PORT or \[IPV6\]:PORT" \
	--vnc 127.0.0.1
dt "--vnc a host name" "--vnc: 'localhost:5901': 'localhost' is not an IPv4 address \(A.B.C.D; IPv6 is written \[ADDR\]:PORT\)" \
	--vnc localhost:5901
dt "--vnc port 0" "--vnc: '127.0.0.1:0': the port '0' is not a number from 1 to 65535" --vnc 127.0.0.1:0
dt "--vnc IPv6 without brackets' port" "--vnc: '\[::1\]': an IPv6 address is written \[ADDR\]:PORT" --vnc '[::1]'
dt "--vnc unix: without a path" "--vnc: 'unix:': the socket path is empty" --vnc unix:
dt "--vnc on any address" "--vnc '0.0.0.0:5901': 0.0.0.0 is not a loopback address: listening beyond this host needs --vnc-listen-any and --vnc-password-file" \
	--vnc 0.0.0.0:5901
dt "--vnc on a LAN address with a password only" "--vnc '192.168.1.2:5901': 192.168.1.2 is not a loopback address: listening beyond this host needs --vnc-listen-any and --vnc-password-file" \
	--vnc 192.168.1.2:5901 --vnc-password-file files/vnc-pass
dt "--vnc-listen-any without a password" "--vnc '\[::\]:5901': --vnc-listen-any on :: needs --vnc-password-file \(whoever reaches the port drives the VM's keyboard and mouse\)" \
	--vnc '[::]:5901' --vnc-listen-any
dt "--vnc-listen-any without --vnc" "--vnc-listen-any needs --vnc ADDR \(where VNC listens\)" --vnc-listen-any
dt "--vnc-password-file without --vnc" "--vnc-password-file needs --vnc ADDR \(where VNC listens\)" \
	--display --vnc-password-file files/text
chmod 644 files/vnc-pass
dt "a password file others may read" "--vnc-password-file: files/vnc-pass: permissions 0644 are too open: a password file must be for its owner only \(chmod 600 files/vnc-pass\)" \
	--vnc 0.0.0.0:5901 --vnc-listen-any --vnc-password-file files/vnc-pass
chmod 600 files/vnc-pass
dt "a missing password file" "--vnc-password-file: files/nope: No such file or directory" \
	--vnc 127.0.0.1:5901 --vnc-password-file files/nope
dt "a password file that is a directory" "--vnc-password-file: files/dir: not a regular file" \
	--vnc 127.0.0.1:5901 --vnc-password-file files/dir
printf '123456789\n' >files/vnc-long; chmod 600 files/vnc-long
dt "a password of 9 bytes" "--vnc-password-file: files/vnc-long: the password is longer than 8 bytes: VNC passwords are 8 bytes at most \(VNC authentication uses no more\)" \
	--vnc 127.0.0.1:5901 --vnc-password-file files/vnc-long
t "display: --vnc without a value" 2 'Missing argument for --vnc' run --kernel files/dummy --vnc
for d in "--display" "--display-size 1280x800" "--vnc unix:$tmp/work/vnc.sock" "--vnc [::1]:5901" \
	 "--vnc 0.0.0.0:5901 --vnc-listen-any --vnc-password-file files/vnc-pass"; do
	# shellcheck disable=SC2086
	t "display: $d is accepted (the dummy kernel fails next)" 1 'cannot boot .*dummy' \
		run --kernel files/dummy --serial none $d
done
check_no_vnc_sock() { [ ! -e "$tmp/work/vnc.sock" ]; }
if check_no_vnc_sock; then ok "display: no VNC socket made for a VM that never ran"; else not_ok "display: a VNC socket was left"; fi
# Good ones pass check_args(): the next refusal is --name's.
t "--net: eight good NICs get past the checks" 2 "--name 'a/b'" \
	run --kernel files/dummy --name a/b --net user --net user,restrict=on,net=192.168.5.0/24 \
	--net user,hostfwd=tcp::2222-:22,hostfwd=udp:0.0.0.0:5353-:53 --net tap,ifname=tap0 \
	--net tap,ifname=tap1,queues=7,mac=52:54:00:AB:CD:EF --net user --net user --net user
t "--io-threads 65" 2 "--io-threads 65: must be 1 to 64" run --kernel files/dummy --io-threads 65

# Multiboot kernels (boot/multiboot.h): images made here, an a.out-kludge
# header at offset 0 and three instructions (mov $42, %al; out %al, $0xf4;
# hlt) loaded at 1 MiB.  Each bad one is refused by the loader with one
# line (status 1), before any backend is opened.
le32() {
	printf "$(printf '\\%03o\\%03o\\%03o\\%03o' $(($1 & 255)) $(($1 >> 8 & 255)) \
		$(($1 >> 16 & 255)) $(($1 >> 24 & 255)))"
}
mbimg() { # mbimg FILE FLAGS HEADER_ADDR LOAD_ADDR LOAD_END BSS_END ENTRY [CHECKSUM]
	{ le32 0x1badb002; le32 "$2"; le32 "${8:-$(( (0x100000000 - 0x1badb002 - $2) & 0xffffffff ))}"
	  le32 "$3"; le32 "$4"; le32 "$5"; le32 "$6"; le32 "$7"
	  printf '\260\052\346\364\364'; head -c 27 /dev/zero; } >"$1"
}
mb=0x100000
mbimg files/mb 0x10000 $mb $mb 0 0 $((mb + 32))
mbimg files/mb-sum 0x10000 $mb $mb 0 0 $((mb + 32)) 12345
mbimg files/mb-entry 0x10000 $mb $mb 0 0 $((mb + 64))
mbimg files/mb-hole 0x10000 0xa0000 0xa0000 0 0 0xa0020
mbimg files/mb-past 0x10000 $mb $mb $((mb + 65)) 0 $((mb + 32))
mbimg files/mb-req 0x10100 $mb $mb 0 0 $((mb + 32))
mbimg files/mb-noaddr 0 $mb $mb 0 0 $((mb + 32))
{ printf '\177ELF\002\001\001'; head -c 57 /dev/zero; le32 0x1badb002; le32 0; le32 0xe4524ffe; } >files/mb-elf64
mbt() { # mbt DESC FILE PATTERN
	t "multiboot: $1" 1 "cannot boot .*$2: $3" run --kernel "files/$2" --serial none --accel vmain
}
mbt "a bad checksum" mb-sum 'Multiboot header checksum is wrong'
mbt "entry_addr past the loaded bytes" mb-entry 'Multiboot entry_addr is outside the loaded image'
mbt "loaded into the BIOS hole at 0xa0000" mb-hole "Multiboot kernel loads outside the guest's RAM"
mbt "load_end_addr past the file" mb-past 'Multiboot load_end_addr is past the end of the file'
mbt "an unknown requirement flag (8)" mb-req 'Multiboot header requires features this loader lacks'
mbt "no address fields and not ELF" mb-noaddr 'Multiboot image without address fields \(flag 16\) is not an ELF file'
mbt "a 64-bit ELF file" mb-elf64 'a 64-bit ELF Multiboot kernel'
t "multiboot: --initrd instead of --module" 1 'a Multiboot kernel takes its modules with --module, not --initrd' \
	run --kernel files/mb --initrd files/dummy --serial none --accel vmain
t "multiboot: --module that does not exist" 2 "cannot read the module '.*nope': No such file" \
	run --kernel files/mb --module "$tmp/nope arg" --serial none --accel vmain
t "multiboot: --module for a kernel that is not Multiboot" 1 '--module is for a Multiboot kernel' \
	run --kernel files/random --module files/dummy --serial none --accel vmain
truncate -s 40M files/big
t "multiboot: a module larger than the RAM" 1 "no room in the guest's RAM for the Multiboot modules" \
	run --kernel files/mb --module files/big --memory 32M --serial none --accel vmain
set --
for i in $(seq 65); do set -- "$@" --module files/dummy; done
t "multiboot: 65 modules" 2 'more than 64 --module' run --kernel files/mb "$@" --serial none
set --
# --debug-exit: the syntax at once (status 2), a clash once the machine's
# devices are there (status 1).
t "--debug-exit x" 2 "--debug-exit 'x': PORT must be a number" run --kernel files/mb --debug-exit x
t "--debug-exit 0x501,0" 2 "--debug-exit '0x501,0': SIZE must be a number of ports from 1 to 256" \
	run --kernel files/mb --debug-exit 0x501,0
t "--debug-exit 0xffff" 2 "--debug-exit '0xffff': ports 0xffff..0x10000 run past 0xffff" \
	run --kernel files/mb --debug-exit 0xffff
t "--debug-exit 0x3fc,8 over COM1" 1 "--debug-exit 0x3fc,8: a port of it is taken by the machine's serial8250" \
	run --kernel files/mb --debug-exit 0x3fc,8 --serial none --accel vmain
t "--debug-exit 0xcf8 over PCI configuration" 1 "--debug-exit 0xcf8,2: a port of it is taken by the machine's pci-config" \
	run --kernel files/mb --debug-exit 0xcf8 --serial none --accel vmain
t "--debug-exit in the PCI I/O window" 1 "--debug-exit 0xcff0,32: ports 0xc000..0xcfff are PCI's I/O window" \
	run --kernel files/mb --debug-exit 0xcff0,32 --serial none --accel vmain
if [ ! -e /dev/vm-main ]; then
	t "multiboot: a good image, a module and --debug-exit get as far as the backend" 1 \
		'cannot create the VM' \
		run --kernel files/mb --module "files/dummy a b" --debug-exit '' --serial none --accel vmain
else
	skip "multiboot: a good image gets as far as the backend: /dev/vm-main is here (it would run)"
fi

# Valid arguments on a host without the backends: a clear status-1 error
# after the kernel and initrd were loaded, and nothing left but the
# --serial file.
if [ -n "$kernel" ] && [ ! -e /dev/vm-main ] && [ ! -e /dev/kvm ]; then
	initrd=
	[ -r "$guest_initrd" ] && initrd=$guest_initrd
	for a in vmain kvm auto; do
		case $a in
		vmain) pat='cannot create the VM: /dev/vm-main: .*not loaded' ;;
		kvm) pat='cannot create the VM: /dev/kvm: No such file' ;;
		auto) pat='cannot create the VM: /dev/vm-main: .*; /dev/kvm: No such file' ;;
		esac
		cd work || exit 1
		t "--accel $a without /dev/vm-main and /dev/kvm" 1 "$pat" \
			run --kernel "$kernel" ${initrd:+--initrd "$initrd"} \
			--append console=ttyS0 --memory 256M --cpus 1 \
			--accel "$a" --serial serial-$a.txt -v
		left=$(ls -A | grep -vx "serial-$a.txt")
		if [ -z "$left" ] && [ -f "serial-$a.txt" ]; then
			ok "--accel $a: the --serial file and no stray files"
		else
			not_ok "--accel $a: stray files: $left"
		fi
		rm -f "serial-$a.txt"
		cd .. || exit 1
	done
	# The default console is stdio: the caller's stdin must not be left
	# non-blocking (it is shared with the shell that ran vmain).
	exec 3<files/random
	run --kernel "$kernel" --accel kvm <&3 >/dev/null 2>&1
	flags=$(sed -n 's/^flags:[[:space:]]*//p' /proc/$$/fdinfo/3 2>/dev/null)
	exec 3<&-
	n=$((n + 1))
	if [ -z "$flags" ]; then
		echo "ok $n # SKIP stdin flags after a failed run: no /proc/PID/fdinfo"
	elif [ $((0$flags & 04000)) -eq 0 ]; then
		echo "ok $n - a failed run leaves the caller's stdin blocking"
	else
		echo "not ok $n - a failed run leaves the caller's stdin O_NONBLOCK (flags $flags)"
	fi
else
	for a in vmain kvm auto; do
		skip "--accel $a fails cleanly: needs a bzImage and a host without /dev/vm-main and /dev/kvm"
		skip "--accel $a: no stray files: as above"
	done
	skip "stdin flags after a failed run: as above"
fi
# Every run ended: no control socket or lock file is left behind.
left=$(ls -A "$tmp/run/vmain" 2>/dev/null)
if [ -z "$left" ]; then
	ok "no control socket or lock left in \$XDG_RUNTIME_DIR/vmain"
else
	not_ok "left in \$XDG_RUNTIME_DIR/vmain: $left"
fi
echo "1..$n"
