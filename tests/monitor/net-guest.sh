#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Runs inside the SVM arena (tests/monitor/net.t): the default guest on
# the network through `vmain run --net`.
# - user (libslirp), through vmain.ko and through KVM: a DHCP address, a
#   name resolved by slirp's DNS forwarder (which asks the server in the
#   arena's resolv.conf: written here, tests/monitor/dns-stub on
#   127.0.0.1:53), a file downloaded from the arena's busybox httpd through
#   the gateway 10.0.2.2 (the arena's loopback) with its SHA-256 checked,
#   and a guest httpd reached from the arena through hostfwd on loopback;
#   the forwarded port listens on 127.0.0.1 only.
#   Through vmain.ko, the link through the API (`vmain link`, SetLink):
#   down, the guest's eth0 loses carrier and the forward stops answering;
#   a NIC the VM does not have is refused naming the one it has; up, the
#   carrier and the forward are back.  Pulled again and the VM reset
#   (`vmain reset`): the new boot's NIC starts without carrier; plugged
#   back, the rebooted guest gets its DHCP address again and serves
#   through the forward (networking survives a reboot).
# - restrict=on: the download fails, the forwarded port still works.
# - tap: two VMs on a bridge of two persistent taps (made here with
#   iproute2, as a host's network manager would), static
#   addresses: one pings the other and downloads its file; that VM is
#   reset (`vmain reset`, a new machine as after a guest reboot) while
#   the arena pings it, so its tap holds a frame while no driver has
#   buffers (the tap's receive must be resumed by the new NIC): rebooted,
#   it pings and downloads again and the arena reaches it; a tap in use
#   and a missing tap are refused, naming the tap.
# - a guest streaming TCP for 20 s at a peer that never reads (a stalled
#   back end): the data reaches the peer until it stalls, the monitor's
#   resident memory stays within 16 MiB of where it was, and the VM still
#   answers on hostfwd.
# Prints TAP lines.  Usage: net-guest.sh VMAIN GUEST-DIR DNS-STUB IPROUTE2-IP
vmain=$1 guest=$2 dns=$3 ip=$4
w=/tmp/net
rm -rf "$w"; mkdir -p "$w/www"
# The control sockets (vmain link, vmain reset): $XDG_RUNTIME_DIR/vmain/run-PID.sock.
export XDG_RUNTIME_DIR=$w/xdg
mkdir -p -m 0700 "$XDG_RUNTIME_DIR"
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
nok() { n=$((n + 1)); echo "not ok $n - $1"; }
check() { d=$1; shift; if "$@"; then ok "$d"; else nok "$d"; fi; }
is() { if [ "$2" = "$3" ]; then ok "$1"; else nok "$1 (want '$2', got '$3')"; fi; }
# wait_for FILE PATTERN SECONDS
wait_for() {
	i=0
	while [ $i -lt $(($3 * 10)) ]; do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.1; i=$((i + 1))
	done
	return 1
}
# guest_says CONSOLE KEY: the value of the last "VMAIN-GUEST: KEY=..." line
# A kernel message printed into the middle of a guest's line ("[  8.56]
# ...": the console is shared) is not part of the value.
guest_says() { grep "^VMAIN-GUEST: $2=" "$1" | tail -n 1 | tr -d '\r' | sed "s/^VMAIN-GUEST: $2=//" | sed 's/\[ *[0-9][0-9]*\.[0-9]*\].*//'; }
sha() { sha256sum | cut -d' ' -f1; }
# same WANT GOT: both set and equal
same() { [ -n "$1" ] && [ "$1" = "$2" ]; }
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
# says_within CONSOLE KEY VALUE SECONDS: until KEY's last value is VALUE
says_within() {
	i=0
	while [ $i -lt $(($4 * 10)) ]; do
		[ "$(guest_says "$1" "$2")" = "$3" ] && return 0
		sleep 0.1; i=$((i + 1))
	done
	return 1
}
# fetch PORT: the SHA-256 of the guest's blob through hostfwd (10 s at most)
fetch() { { timeout 10 wget -q -O - "http://127.0.0.1:$1/blob"; } 2>/dev/null | sha; }

head -c 300000 /dev/urandom >"$w/www/blob"
want=$(sha <"$w/www/blob")
httpd -p 127.0.0.1:8080 -h "$w/www" || echo "# busybox httpd failed"
# slirp forwards the guest's DNS queries to resolv.conf's server.
echo "nameserver 127.0.0.1" >/etc/resolv.conf
"$dns" 127.0.0.1:53 vmain-test.example=192.0.2.7 >"$w/dns.log" 2>&1 &
dnspid=$!
wait_for "$w/dns.log" listening 5 || echo "# dns-stub did not start: $(cat "$w/dns.log")"

# boot NAME ACCEL NET-SPEC GUEST-ARGS...: starts a VM in the background
boot() {
	name=$1 accel=$2 net=$3
	shift 3
	: >"$w/$name.con"
	"$vmain" run --accel "$accel" --memory 256M --kernel "$guest/vmlinuz" \
		--initrd "$guest/initrd.img" --net "$net" --serial "$w/$name.con" \
		--append "console=ttyS0 panic=-1 vmain.test=net $*" >"$w/$name.out" 2>&1 &
	eval "pid_$name=\$!"
}
# up NAME PATTERN SECONDS: waits for PATTERN on NAME's console while its
# monitor runs (a VM that failed to start ends the wait at once)
up() {
	eval "p=\$pid_$1"
	i=0
	while [ $i -lt $(($3 * 10)) ]; do
		grep -q "$2" "$w/$1.con" 2>/dev/null && return 0
		kill -0 "$p" 2>/dev/null || { sed 's/^/#   /' "$w/$1.out" | tail -n 3; return 1; }
		sleep 0.1; i=$((i + 1))
	done
	return 1
}
# finish NAME: stops the VM (SIGTERM: the power button) and reaps it
finish() {
	eval "p=\$pid_$1"
	kill "$p" 2>/dev/null
	i=0; while [ -d "/proc/$p" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
	kill -9 "$p" 2>/dev/null
	wait "$p" 2>/dev/null
	sed 's/^/#   /' "$w/$1.out" | tail -n 5
}

# second_boot CONSOLE: its lines from the second boot's init on
second_boot() { awk '/^VMAIN-GUEST: init/ { k++ } k >= 2' "$1"; }
# link_checks VM SHA: SetLink through `vmain link`, then a reset (above)
link_checks() {
	con=$w/$1.con
	eval "lname=run-\$pid_$1"
	is "link: the guest has carrier at first" 1 "$(guest_says "$con" net-carrier)"
	"$vmain" link "$lname" net0 down >"$w/link.out" 2>&1
	is "link: vmain link NAME net0 down (status)" 0 $?
	check "link down: the guest's eth0 loses carrier" says_within "$con" net-carrier 0 10
	check "link down: the forward gets nothing from the guest" [ "$(fetch 2222)" != "$2" ]
	"$vmain" link "$lname" net1 up >"$w/link.out" 2>&1
	rc=$?
	sed 's/^/#   /' "$w/link.out"
	check "link: a NIC the VM does not have: status 2, naming net0 (status $rc)" \
		sh -c "[ $rc = 2 ] && grep -q \"no network interface 'net1': the VM has net0\" '$w/link.out'"
	"$vmain" link "$lname" 0 up >"$w/link.out" 2>&1
	is "link: vmain link NAME 0 up (status)" 0 $?
	check "link up: the carrier is back" says_within "$con" net-carrier 1 10
	check "link up: the forward works again" same "$2" "$(fetch 2222)"
	# Pulled, then a reset: the next machine's NIC starts without carrier.
	"$vmain" link "$lname" net0 down >/dev/null 2>&1
	says_within "$con" net-carrier 0 10
	"$vmain" reset "$lname" >"$w/link.out" 2>&1
	is "link: vmain reset (status)" 0 $?
	i=0; while [ $i -lt 600 ] && [ "$(grep -c '^VMAIN-GUEST: init' "$con")" -lt 2 ]; do sleep 0.1; i=$((i + 1)); done
	check "reset: the guest boots again" [ "$(grep -c '^VMAIN-GUEST: init' "$con")" -ge 2 ]
	i=0; while [ $i -lt 600 ] && ! second_boot "$con" | grep -q '^VMAIN-GUEST: net-carrier='; do sleep 0.1; i=$((i + 1)); done
	is "reset with the link down: the new NIC starts without carrier" 0 \
		"$(second_boot "$con" | grep '^VMAIN-GUEST: net-carrier=' | head -n 1 | tr -d '\r' | sed 's/.*=//')"
	"$vmain" link "$lname" net0 up >/dev/null 2>&1
	check "after the reset, link up: carrier" says_within "$con" net-carrier 1 10
	i=0; while [ $i -lt 1800 ] && [ "$(grep -c '^VMAIN-GUEST: net-ready' "$con")" -lt 2 ]; do sleep 0.1; i=$((i + 1)); done
	second_boot "$con" | grep '^VMAIN-GUEST: net' | tr -d '\r' | sed 's/^/#   /'
	is "after the reset: a DHCP address again (10.0.2.15/24)" 10.0.2.15/24 "$(guest_says "$con" net-ip)"
	served2=$(guest_says "$con" net-serve | sed 's/.*sha256=//')
	check "after the reset: the rebooted guest's file through hostfwd" same "$served2" "$(fetch 2222)"
}

for accel in vmain kvm; do
	vm=user_$accel
	boot "$vm" "$accel" user,hostfwd=tcp:127.0.0.1:2222-:8000 \
		vmain.net.get=http://10.0.2.2:8080/blob vmain.net.lookup=vmain-test.example \
		vmain.net.serve=8000 vmain.net.carrier=1
	check "$accel: user: the guest comes up" up "$vm" "VMAIN-GUEST: net-ready" 300
	grep '^VMAIN-GUEST: net' "$w/$vm.con" | tr -d '\r' | sed 's/^/#   /'
	is "$accel: user: a DHCP address (10.0.2.15/24)" 10.0.2.15/24 "$(guest_says "$w/$vm.con" net-ip)"
	is "$accel: user: a name resolved through slirp's DNS forwarder" \
		"vmain-test.example addr=192.0.2.7" "$(guest_says "$w/$vm.con" net-lookup)"
	is "$accel: user: a download through the gateway, checksum right" \
		"ok bytes=300000 sha256=$want" "$(guest_says "$w/$vm.con" net-get)"
	served=$(guest_says "$w/$vm.con" net-serve | sed 's/.*sha256=//')
	got=$(wget -q -O - http://127.0.0.1:2222/blob 2>/dev/null | sha)
	check "$accel: user: the guest's file through hostfwd 127.0.0.1:2222 ($got)" \
		same "$served" "$got"
	check "$accel: user: the forwarded port listens on loopback only" \
		sh -c "netstat -ltn 2>/dev/null | grep -q '127.0.0.1:2222 ' && ! netstat -ltn 2>/dev/null | grep -q '0.0.0.0:2222 '"
	[ "$accel" = vmain ] && link_checks "$vm" "$served"
	finish "$vm"
done

# restrict=on: the guest reaches nothing, the forwarded port still works.
vm=restricted
boot "$vm" vmain user,restrict=on,hostfwd=tcp:127.0.0.1:2223-:8000 \
	vmain.net.get=http://10.0.2.2:8080/blob vmain.net.serve=8000
check "restrict=on: the guest comes up" up "$vm" "VMAIN-GUEST: net-ready" 300
is "restrict=on: a DHCP address still" 10.0.2.15/24 "$(guest_says "$w/$vm.con" net-ip)"
is "restrict=on: the download fails" fail "$(guest_says "$w/$vm.con" net-get)"
served=$(guest_says "$w/$vm.con" net-serve | sed 's/.*sha256=//')
got=$(wget -q -O - http://127.0.0.1:2223/blob 2>/dev/null | sha)
check "restrict=on: the forwarded port still works" same "$served" "$got"
finish "$vm"

# Two VMs on a bridge of persistent taps.
# iproute2's ip (busybox's has no tuntap), as a host's network set-up would.
$ip tuntap add dev vtap0 mode tap user 0 && $ip tuntap add dev vtap1 mode tap user 0
$ip link add vbr0 type bridge && $ip link set vtap0 master vbr0 && $ip link set vtap1 master vbr0
$ip link set vtap0 up && $ip link set vtap1 up && $ip link set vbr0 up
check "tap: the test's bridge of two taps exists" [ -d /sys/class/net/vbr0/brif/vtap1 ]
boot tapa vmain tap,ifname=vtap0 vmain.net.ip=192.168.77.1/24 vmain.net.serve=8000
check "tap: VM A comes up with 192.168.77.1" up tapa "VMAIN-GUEST: net-ready" 300
served=$(guest_says "$w/tapa.con" net-serve | sed 's/.*sha256=//')
boot tapb vmain tap,ifname=vtap1 vmain.net.ip=192.168.77.2/24 vmain.net.ping=192.168.77.1 \
	vmain.net.get=http://192.168.77.1:8000/blob
check "tap: VM B comes up with 192.168.77.2" up tapb "VMAIN-GUEST: net-ready" 300
grep '^VMAIN-GUEST: net' "$w/tapb.con" | tr -d '\r' | sed 's/^/#   /'
is "tap: B pings A" ok "$(guest_says "$w/tapb.con" net-ping)"
is "tap: B downloads A's file over the bridge" "ok bytes=262144 sha256=$served" \
	"$(guest_says "$w/tapb.con" net-get)"
# B reboots with its tap attached while the arena pings it.
$ip addr add 192.168.77.254/24 dev vbr0
ping -i 1 192.168.77.2 >/dev/null 2>&1 &
pinger=$!
"$vmain" reset "run-$pid_tapb" >"$w/reset.out" 2>&1
is "tap: vmain reset B (status)" 0 $?
i=0; while [ $i -lt 3000 ] && [ "$(grep -c '^VMAIN-GUEST: net-ready' "$w/tapb.con")" -lt 2 ]; do sleep 0.1; i=$((i + 1)); done
kill "$pinger" 2>/dev/null
second_boot "$w/tapb.con" | grep '^VMAIN-GUEST: net' | tr -d '\r' | sed 's/^/#   /'
check "tap: B boots again" [ "$(grep -c '^VMAIN-GUEST: net-ready' "$w/tapb.con")" -ge 2 ]
is "tap: rebooted B pings A" ok "$(guest_says "$w/tapb.con" net-ping)"
is "tap: rebooted B downloads A's file" "ok bytes=262144 sha256=$served" \
	"$(guest_says "$w/tapb.con" net-get)"
check "tap: the arena reaches rebooted B (ping)" sh -c "ping -c 2 -W 5 192.168.77.2 >/dev/null 2>&1"
"$vmain" run --accel vmain --memory 256M --kernel "$guest/vmlinuz" --net tap,ifname=vtap0 \
	--append "console=ttyS0 vmain.test=poweroff" >"$w/busy.out" 2>&1
rc=$?
sed 's/^/#   /' "$w/busy.out" | head -n 2
check "tap: a tap already in use: refused, naming it (status $rc)" \
	sh -c "[ $rc != 0 ] && grep -q vtap0 '$w/busy.out'"
finish tapa
finish tapb
"$vmain" run --accel vmain --memory 256M --kernel "$guest/vmlinuz" --net tap,ifname=nosuchtap \
	--append "console=ttyS0 vmain.test=poweroff" >"$w/missing.out" 2>&1
rc=$?
sed 's/^/#   /' "$w/missing.out" | head -n 2
check "tap: a missing tap: refused, naming it (status $rc)" \
	sh -c "[ $rc != 0 ] && grep -q nosuchtap '$w/missing.out'"

# A guest flooding a stalled peer: the monitor's memory stays bounded.
vm=flood
# The arena side of the flood, a peer that never reads: slirp's connection
# to it stalls, and with it the guest's sender (its window closes).
nc -l -p 5999 -e sleep 600 &
sink=$!
boot "$vm" vmain user,hostfwd=tcp:127.0.0.1:2224-:8000 vmain.net.serve=8000 \
	vmain.net.flood=10.0.2.2:5999
check "flood: the guest comes up and floods" up "$vm" "VMAIN-GUEST: net-serve=" 300
r0=$(rss_kb "$pid_flood")
up "$vm" "VMAIN-GUEST: net-flood=done" 120
r1=$(rss_kb "$pid_flood")
# What waits unread in the stalled peer's receive queue (netstat's Recv-Q).
rx=$(netstat -tn 2>/dev/null | awk '$4 ~ /:5999$/ && $1 == "tcp" { print $2 }' | head -n 1)
echo "# flood: monitor VmRSS ${r0} kB before, ${r1} kB after 20 s of TCP at a peer that never reads; ${rx:-no} bytes wait in its receive queue"
check "flood: the stream went through the monitor until the peer stalled (at least 64 KiB queued at it)" \
	[ "${rx:-0}" -ge 65536 ]
kill "$sink" 2>/dev/null
check "flood: the monitor's memory grew by less than 16 MiB" \
	sh -c "[ -n '$r0' ] && [ -n '$r1' ] && [ \$(($r1 - $r0)) -lt 16384 ]"
served=$(guest_says "$w/$vm.con" net-serve | sed 's/.*sha256=//')
got=$(wget -q -O - http://127.0.0.1:2224/blob 2>/dev/null | sha)
check "flood: the VM still answers on its forwarded port" same "$served" "$got"
finish "$vm"

kill "$dnspid" 2>/dev/null
echo "1..$n"
