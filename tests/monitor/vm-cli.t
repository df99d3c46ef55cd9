#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The VM commands on the host (ASan/UBSan build), no hypervisor needed:
# create, list, status, edit, delete and every refusal of start, restore, stop,
# pause, resume, kill, link and console for a VM that does not run; bad input
# gives one clear line and the documented status (docs/cli.md); --json
# output validates against docs/schema/; the memory cap and "already
# running" are checked before anything starts.
top=$(cd "$(dirname "$0")/../.." && pwd)
vmain="$top/build-asan/monitor/vmain"
[ -x "$vmain" ] || vmain="$top/build/monitor/vmain"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vm-cli.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
export XDG_DATA_HOME="$tmp/data" XDG_RUNTIME_DIR="$tmp/run" XDG_CONFIG_HOME="$tmp/config"
export VMAIN_SYSCONFDIR="$tmp/etc"
unset VMAIN_VMS_DIR VMAIN_RUNTIME_DIR NOTIFY_SOCKET
mkdir -p "$XDG_RUNTIME_DIR" "$tmp/etc"
vms=$XDG_DATA_HOME/vmain/VMs
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $1"; }
check() { d=$1; shift; if "$@"; then ok "$d"; else not_ok "$d"; fi; }

# t DESC WANT-STATUS PATTERN COMMAND...: the status, PATTERN in the output,
# no sanitizer report, and for a failure exactly one line.
t() {
	desc=$1 want=$2 pat=$3; shift 3
	out=$("$@" 2>&1 </dev/null); rc=$?
	why=
	[ "$rc" = "$want" ] || why="status $rc, want $want"
	printf '%s\n' "$out" | grep -qE -- "$pat" || why="${why:+$why; }no match for /$pat/"
	printf '%s\n' "$out" | grep -qE 'Sanitizer|runtime error' && why="${why:+$why; }sanitizer report"
	if [ "$rc" != 0 ] && [ "$(printf '%s\n' "$out" | wc -l)" -ne 1 ]; then
		why="${why:+$why; }not one line"
	fi
	if [ -z "$why" ]; then ok "$desc"; else not_ok "$desc ($why)"; printf '%s\n' "$out" | sed 's/^/# /'; fi
}
v() { "$vmain" "$@"; }
schema() { # schema FILE JSON-FILE
	/usr/bin/python3 - "$1" "$2" <<-'PY'
	import json, sys, jsonschema
	schema = json.load(open(sys.argv[1]))
	jsonschema.Draft202012Validator.check_schema(schema)
	jsonschema.validate(json.load(open(sys.argv[2])), schema)
	PY
}

kernel=$tmp/vmlinuz
printf 'not really a kernel, but readable\n' >"$kernel"
cd "$tmp" || exit 1

# --help: every command, its options and its exit statuses.
for c in create list start autostart stop kill pause resume reset link cdrom save restore status console edit delete; do
	help=$(v "$c" --help 2>&1)
	check "$c --help: status 0 and a usage line" sh -c "v() { '$vmain' \"\$@\"; }; v $c --help >/dev/null" 
	check "$c --help documents --system" sh -c "printf '%s' \"\$1\" | grep -q -- '--system'" _ "$help"
	check "$c --help documents its exit statuses" sh -c "printf '%s' \"\$1\" | grep -qi 'exit status'" _ "$help"
done
for o in create:--net edit:--add-net edit:--no-net; do
	c=${o%%:*} opt=${o#*:}
	check "$c --help documents $opt" sh -c "'$vmain' $c --help | grep -q -- '$opt'"
done
check "create --help says a VM has no network unless --net gives it one" \
	sh -c "'$vmain' create --help | grep -q 'a VM has no network unless --net'"
check "create --help has --net examples" \
	sh -c "'$vmain' create --help | grep -q -- '--net user,hostfwd=tcp:127.0.0.1:2222-:22' &&
	       '$vmain' create --help | grep -q -- '--net tap,ifname=tap0'"
check "link --help: the syntax, what down does to the guest, an example" \
	sh -c "'$vmain' link --help | grep -q 'NAME NIC up|down' &&
	       '$vmain' link --help | grep -q 'loses carrier' &&
	       '$vmain' link --help | grep -q 'vmain link web net0 down'"
help=$(v --help)
for c in create list start stop kill pause resume reset link cdrom save restore status console edit delete run info; do
	check "vmain --help lists $c" sh -c "printf '%s' \"\$1\" | grep -q \"^  $c \"" _ "$help"
done

# An empty list.
t "list with no VMs" 0 '' v list
v list --json >"$tmp/list.json"
check "list --json with no VMs is []" [ "$(tr -d ' \n' <"$tmp/list.json")" = "[]" ]
check "list --json with no VMs fits the schema" schema "$top/docs/schema/vmain-list.json" "$tmp/list.json"

# create: good and bad.
t "create web" 0 '' v create web --memory 1G --cpus 2 --kernel "$kernel" \
	--append "console=ttyS0 root=/dev/vda" --disk-size 16M --disk-size 8M,format=raw
check "create: the bundle is 0700" [ "$(stat -c %a "$vms/web.vmain")" = 700 ]
check "create: config.ini is 0600" [ "$(stat -c %a "$vms/web.vmain/config.ini")" = 600 ]
check "create: --disk-size made disk0.qcow2 and disk1.img" \
	[ -f "$vms/web.vmain/disk0.qcow2" -a -f "$vms/web.vmain/disk1.img" ]
check "create: the disks are in config.ini, relative to the bundle" \
	sh -c "grep -qx 'file=disk0.qcow2' '$vms/web.vmain/config.ini' && grep -qx 'file=disk1.img' '$vms/web.vmain/config.ini'"
check "create: the kernel is stored as an absolute path" grep -qx "kernel=$kernel" "$vms/web.vmain/config.ini"
t "create: the same name again" 4 'web already exists' v create web --kernel "$kernel"
t "create: a bad name" 2 "names may not contain '/'" v create a/b
t "create: a name starting with a dot" 2 "'.hidden'" v create .hidden
t "create: a name too long" 2 'long' v create "$(printf '%070d' 0)"
t "create: no name" 2 'which VM' v create
t "create: two names" 2 "unexpected argument 'b'" v create a b
t "create: bad --memory" 2 "--memory '12Q'" v create m1 --memory 12Q
t "create: --memory too small" 2 "--memory '1M': must be" v create m2 --memory 1M
t "create: --cpus 0" 2 '--cpus 0: must be 1 to 255' v create m3 --cpus 0
t "create: --cpus 256" 2 '--cpus 256' v create m4 --cpus 256
t "create: a kernel that is not there" 2 "cannot read the kernel '$tmp/nope'" v create m5 --kernel "$tmp/nope"
t "create: bad --accel" 2 "--accel 'fast'" v create m6 --accel fast
t "create: bad --autostart" 2 "--autostart 'maybe'" v create m7 --autostart maybe
t "create: bad --stop-action" 2 "--stop-action 'nap'" v create m8 --stop-action nap
t "create: --stop-timeout 0" 2 '--stop-timeout 0' v create m9 --stop-timeout 0
t "create: --io-threads 65" 2 '--io-threads 65' v create m10 --io-threads 65
t "create: a bad --disk option" 2 "--disk '$tmp/x,cache=fast'" v create m11 --disk "$tmp/x,cache=fast"
t "create: a bad if=" 2 "--disk '$tmp/x,if=scsi': if=scsi: must be virtio, ahci or ide" v create m13 --disk "$tmp/x,if=scsi"
t "create: an --iso that is not there" 2 "cannot read the ISO image '$tmp/nope.iso'" v create m16 --iso "$tmp/nope.iso"
t "create: an empty --iso" 2 '--iso: an empty file name' v create m17 --iso ''
t "create: bad --disk-size" 2 "--disk-size '0'" v create m12 --disk-size 0
t "create: --disk-size with a bad format" 2 "format=qcow2 or format=raw" v create m14 --disk-size 1M,format=vmdk
t "create: an unknown option" 2 'Unknown option' v create m15 --colour blue
check "create: no bundle is left by a refused create" \
	sh -c "[ \$(ls '$vms' | wc -l) = 1 ]"
truncate -s 1M "$tmp/data.img"
t "create: a relative --disk" 0 '' v create rel --kernel "$kernel" --disk data.img,serial=abc
check "create: a relative --disk is stored absolute" grep -qx "file=$tmp/data.img" "$vms/rel.vmain/config.ini"

# The installer workflow: create --iso, the disks' if=, [cdrom]; vmain cdrom's refusals.
check "create --help: --iso, what it does, an example" \
	sh -c "'$vmain' create --help | grep -q -- '--iso FILE' &&
	       '$vmain' create --help | grep -q 'tries the CD/DVD drive first' &&
	       '$vmain' create --help | grep -q -- '--iso debian-12.8.0-amd64-netinst.iso'"
check "edit --help: --iso and --no-cdrom" \
	sh -c "'$vmain' edit --help | grep -q -- '--iso' && '$vmain' edit --help | grep -q -- '--no-cdrom'"
check "cdrom --help: the syntax, the lock, --force, an example" \
	sh -c "'$vmain' cdrom --help | grep -q 'NAME FILE' && '$vmain' cdrom --help | grep -q -- '--eject' &&
	       '$vmain' cdrom --help | grep -q 'PREVENT ALLOW MEDIUM REMOVAL' &&
	       '$vmain' cdrom --help | grep -q -- '--force' &&
	       '$vmain' cdrom --help | grep -q 'vmain cdrom web --eject'"
printf 'not really an ISO, but readable\n' >"$tmp/inst.iso"
truncate -s 1M "$tmp/ide.img"
t "create --iso with a new disk and an IDE one" 0 '' v create inst --memory 2G --iso inst.iso \
	--disk-size 16M --disk "$tmp/ide.img,if=ide"
ini=$vms/inst.vmain/config.ini
# grp GROUP: the lines of [GROUP] in inst's config.ini.
grp() { sed -n "/^\[$1\]\$/,/^\[/p" "$ini" | grep -v '^\['; }
check "create --iso: [cdrom] has the ISO, stored absolute" [ "$(grp cdrom)" = "file=$tmp/inst.iso" ]
check "create --iso: the new image is on AHCI (disk0 if=ahci)" \
	sh -c "sed -n '/^\[disk0\]\$/,/^\[/p' '$ini' | grep -qx 'if=ahci'"
check "create --iso: an image given with if=ide keeps it (disk1 if=ide)" \
	sh -c "sed -n '/^\[disk1\]\$/,/^\[/p' '$ini' | grep -qx 'if=ide' && grep -qx 'file=$tmp/ide.img' '$ini'"
check "create --iso: the VM has a screen" sh -c "sed -n '/^\[display\]\$/,/^\[/p' '$ini' | grep -qx 'enabled=true'"
t "edit --no-cdrom" 0 '' v edit inst --no-cdrom
check "edit --no-cdrom: no [cdrom] left" sh -c "! grep -q '^\[cdrom\]' '$ini'"
t "edit --iso gives it the drive back" 0 '' v edit inst --iso "$tmp/inst.iso"
check "edit --iso: [cdrom] has the ISO" [ "$(grp cdrom)" = "file=$tmp/inst.iso" ]
t "edit --iso and --no-cdrom" 2 '--iso and --no-cdrom contradict each other' v edit inst --iso inst.iso --no-cdrom
t "edit --iso that is not there" 2 "cannot read the ISO image '$tmp/nope.iso'" v edit inst --iso "$tmp/nope.iso"
check "refused edits left [cdrom] as it was" [ "$(grp cdrom)" = "file=$tmp/inst.iso" ]
# An empty drive (the disc ejected) is file= with no file; a setting change keeps it so.
sed -i "s|^file=$tmp/inst.iso\$|file=|" "$ini"
t "an empty drive (file=) loads; edit keeps it" 0 '' v edit inst --cpus 2
check "an empty drive: [cdrom] file= stays" [ "$(grp cdrom)" = "file=" ]
cp "$ini" "$tmp/inst.ini"
sed -i '/^\[cdrom\]$/a speed=48x' "$ini"
line=$(grep -n '^speed=' "$ini" | cut -d: -f1)
t "[cdrom] with an unknown key: file, line and key" 1 "config.ini:$line: \[cdrom\] speed" v edit inst --cpus 1
cp "$tmp/inst.ini" "$ini"
sed -i '/^\[cdrom\]$/,$ { /^file=/d }' "$ini"
t "[cdrom] without file=: file and group" 1 "config.ini.*\[cdrom\] file: missing" v edit inst --cpus 1
cp "$tmp/inst.ini" "$ini"
t "cdrom a VM that is not running" 4 'inst is not running' v cdrom inst "$tmp/inst.iso"
t "cdrom --eject a VM that is not running" 4 'inst is not running' v cdrom inst --eject
t "cdrom a VM that does not exist" 5 'nope is not running' v cdrom nope --eject
t "cdrom without FILE or --eject" 2 'missing argument \(usage: vmain cdrom NAME FILE\)' v cdrom inst
t "cdrom with FILE and --eject" 2 "unexpected argument '$tmp/inst.iso'" v cdrom inst "$tmp/inst.iso" --eject
t "cdrom with an empty FILE" 2 'an empty FILE \(--eject takes the disc out\)' v cdrom inst ''
t "cdrom with a FILE that cannot be read" 1 "cannot read '$tmp/nope.iso': No such file" v cdrom inst "$tmp/nope.iso"
t "delete the installer VM" 0 '' v delete inst --yes

# list and status, --json against the schemas.
v list >"$tmp/list.txt"
check "list: a header and two VMs, sorted" \
	sh -c "sed -n '2p' '$tmp/list.txt' | grep -q '^rel ' && sed -n '3p' '$tmp/list.txt' | grep -q '^web .*stopped .*1024M *2 *-'"
v list --json >"$tmp/list.json"
check "list --json fits docs/schema/vmain-list.json" schema "$top/docs/schema/vmain-list.json" "$tmp/list.json"
v status web --json >"$tmp/status.json"
check "status --json fits docs/schema/vmain-status.json" schema "$top/docs/schema/vmain-status.json" "$tmp/status.json"
check "status --json: stopped, 1 GiB, 2 CPUs, no pid" \
	grep -q '"state": "stopped", "uuid": "[0-9a-f-]*", "memory": 1073741824, "cpus": 2, "pid": null' "$tmp/status.json"
t "status of a VM that does not exist" 5 "no VM named 'nope'" v status nope
uuid1=$(sed -n 's/^uuid=//p' "$vms/web.vmain/config.ini")

# edit.
ino=$(stat -c %i "$vms/web.vmain/config.ini")
t "edit: nothing to change" 0 '' v edit web
check "edit: nothing changed, nothing written (same inode)" [ "$(stat -c %i "$vms/web.vmain/config.ini")" = "$ino" ]
t "edit: --memory 2G" 0 '' v edit web --memory 2G
check "edit: the new memory is in config.ini" grep -qx 'memory=2G' "$vms/web.vmain/config.ini"
check "edit: the UUID stays" grep -qx "uuid=$uuid1" "$vms/web.vmain/config.ini"
t "edit: --add-disk-size" 0 '' v edit web --add-disk-size 4M
check "edit: the third disk is disk2.qcow2" grep -qx 'file=disk2.qcow2' "$vms/web.vmain/config.ini"
t "edit: a bad value" 2 "--cpus 999" v edit web --cpus 999
# The config lock (a running VM's monitor writing a disc change holds it):
# a POSIX record lock on byte 0 of .lock conflicts with it (fcntl(2)).
/usr/bin/python3 -c '
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.lockf(fd, fcntl.LOCK_EX, 1, 0)
print("locked", flush=True)
time.sleep(8)' "$vms/web.vmain/.lock" >"$tmp/locker" &
locker=$!
i=0; while [ $i -lt 50 ] && ! grep -q locked "$tmp/locker"; do sleep 0.1; i=$((i + 1)); done
t "edit: config.ini locked by another writer for longer than 5 s: refused, saying so" 1 \
	"config.ini: another process is writing it; try again" v edit web --stop-timeout 42
check "edit: ... and config.ini was not written" sh -c "! grep -qx 'stop-timeout=42' '$vms/web.vmain/config.ini'"
kill $locker 2>/dev/null; wait $locker 2>/dev/null
t "edit: once the lock is free it goes through" 0 '' v edit web --stop-timeout 42
check "edit: the new stop timeout is in config.ini" grep -qx 'stop-timeout=42' "$vms/web.vmain/config.ini"
t "edit: a VM that does not exist" 5 "no VM named 'nope'" v edit nope --memory 1G

# Network interfaces: none unless asked; each --net a [netN] with its MAC written.
check "create without --net: no [netN] in config.ini" sh -c "! grep -q '^\[net' '$vms/web.vmain/config.ini'"
t "create: --net ''" 2 "create: --net '': no network kind given \(user or tap\)" v create n1 --net ''
t "create: --net vde" 2 "--net 'vde': 'vde': the network kind must be user or tap" v create n2 --net vde
t "create: --net tap without ifname" 2 "--net 'tap': tap: ifname=NAME is required" v create n3 --net tap
t "create: --net with a bad hostfwd" 2 "hostfwd=tcp::0-:22: bad host side ':0'" \
	v create n4 --net user,hostfwd=tcp::0-:22
t "create: --net with a multicast MAC" 2 "mac=01:00:5e:00:00:01: a multicast address" \
	v create n5 --net user,mac=01:00:5e:00:00:01
t "create: --net with restrict=yes" 2 "restrict=yes: must be on or off" v create n6 --net user,restrict=yes
t "create: the same tap twice" 2 "--net 'tap,ifname=tap0': the tap interface tap0 is net0's already" \
	v create n7 --net tap,ifname=tap0 --net tap,ifname=tap0
t "create: one host port forwarded twice" 2 "host port tcp 127.0.0.1:2222 is forwarded by net0 already" \
	v create n8 --net user,hostfwd=tcp::2222-:22 --net user,hostfwd=tcp::2222-:23
t "create: nine --net" 2 "--net 'user': at most 8 network interfaces" \
	v create n9 $(for i in 1 2 3 4 5 6 7 8 9; do printf '%s ' --net user; done)
t "create: --net without a value" 2 "Missing argument for --net" v create n10 --net
check "create: no bundle is left by a refused --net" sh -c "[ \$(ls '$vms' | wc -l) = 2 ]"
t "create with --net user (a forward) and --net tap" 0 '' v create netvm --kernel "$kernel" \
	--net user,hostfwd=tcp::2222-:22 --net tap,ifname=tap0,queues=2
ini=$vms/netvm.vmain/config.ini
# net ITEM KEY: the value of KEY in [netN] of netvm's config.ini.
net() { sed -n "/^\[net$1\]/,/^\[/s/^$2=//p" "$ini"; }
check "create --net: [net0] is user, its forward with the host address written" \
	sh -c "[ '$(net 0 type)' = user ] && [ '$(net 0 hostfwd)' = 'tcp:127.0.0.1:2222-:22' ]"
check "create --net: [net1] is tap0 with 2 queues" \
	sh -c "[ '$(net 1 type)' = tap ] && [ '$(net 1 ifname)' = tap0 ] && [ '$(net 1 queues)' = 2 ]"
mac0=$(net 0 mac) mac1=$(net 1 mac)
check "create --net: two different locally administered unicast MACs written ($mac0, $mac1)" \
	sh -c "printf '%s\n%s\n' '$mac0' '$mac1' | grep -cxE '[0-9a-f][26ae](:[0-9a-f]{2}){5}' | grep -qx 2 &&
	       [ '$mac0' != '$mac1' ]"
t "edit --add-net" 0 '' v edit netvm --add-net user,restrict=on,mac=52:54:00:12:34:56
check "edit --add-net: [net2] after the others, restricted, its MAC as given" \
	sh -c "[ '$(net 2 restrict)' = true ] && [ '$(net 2 mac)' = 52:54:00:12:34:56 ]"
check "edit --add-net: net0 and net1 keep their MACs" \
	sh -c "[ '$(net 0 mac)' = '$mac0' ] && [ '$(net 1 mac)' = '$mac1' ]"
t "edit: a bad --add-net" 2 "edit: --add-net 'user,restrict=yes': restrict=yes: must be on or off" \
	v edit netvm --add-net user,restrict=yes
t "edit: --add-net with a MAC another NIC has" 2 "the MAC address 52:54:00:12:34:56 is net2's already" \
	v edit netvm --add-net tap,ifname=tap1,mac=52:54:00:12:34:56
t "edit: --net is create's option" 2 'Unknown option --net' v edit netvm --net user
check "edit: refused --add-net changed nothing" sh -c "[ \$(grep -c '^\[net' '$ini') = 3 ]"
t "edit --no-net --add-net: replaces them" 0 '' v edit netvm --no-net --add-net tap,ifname=tap9
check "edit --no-net --add-net: only [net0], tap9, with index 0's MAC again" \
	sh -c "[ \$(grep -c '^\[net' '$ini') = 1 ] && [ '$(net 0 ifname)' = tap9 ] && [ '$(net 0 mac)' = '$mac0' ]"
t "edit --no-net" 0 '' v edit netvm --no-net
check "edit --no-net: no [netN] left" sh -c "! grep -q '^\[net' '$ini'"
printf '[net0]\ntype=user\nrestrict=maybe\n' >>"$ini"
line=$(grep -n '^restrict=' "$ini" | cut -d: -f1)
t "start with a bad [net0]: file, line and key" 2 "config.ini:$line: \[net0\] restrict: 'maybe': must be true or false" \
	v start netvm
t "edit of a bundle with a bad [net0]: the same error" 1 "config.ini:$line: \[net0\] restrict: 'maybe'" \
	v edit netvm --no-net
t "delete netvm" 0 '' v delete netvm --yes

# The screen: create, edit and start with [display].
for o in create:--display create:--display-size create:--vnc create:--vnc-listen-any \
	 create:--vnc-password-file edit:--display edit:--display-size edit:--vnc edit:--no-display \
	 edit:--no-vnc edit:--vnc-listen-any edit:--vnc-password-file; do
	c=${o%%:*} opt=${o#*:}
	check "$c --help documents $opt" sh -c "'$vmain' $c --help | grep -qE -- '$opt( |=|\$)'"
done
t "create --display-size --vnc" 0 '' v create scr --kernel "$kernel" --display-size 800x600 \
	--vnc unix:/tmp/x.sock
ini=$vms/scr.vmain/config.ini
check "create: config.ini has [display] with the screen, its size and VNC, last" \
	sh -c "tail -n 4 '$ini' | tr '\n' ' ' | grep -qx '\[display\] enabled=true size=800x600 vnc=unix:/tmp/x.sock '"
check "create without a screen: no [display]" sh -c "! grep -q '^\[display\]' '$vms/web.vmain/config.ini'"
ino=$(stat -c %i "$ini")
t "edit with nothing to change: [display] read and written the same" 0 '' v edit scr
check "... nothing written (same inode)" [ "$(stat -c %i "$ini")" = "$ino" ]
t "edit --no-vnc" 0 '' v edit scr --no-vnc
check "edit --no-vnc: the screen and its size stay, VNC goes" \
	sh -c "tail -n 3 '$ini' | tr '\n' ' ' | grep -qx '\[display\] enabled=true size=800x600 '"
printf 'secret\n' >"$tmp/vnc.pass"; chmod 600 "$tmp/vnc.pass"
t "edit --vnc on any address with a password file" 0 '' v edit scr --vnc 0.0.0.0:5901 \
	--vnc-listen-any --vnc-password-file vnc.pass
check "edit --vnc: listen-any and the password file, made absolute" \
	sh -c "grep -qx 'vnc=0.0.0.0:5901' '$ini' && grep -qx 'vnc-listen-any=true' '$ini' &&
	       grep -qx 'vnc-password-file=$tmp/vnc.pass' '$ini'"
t "edit --vnc again: replaces the VNC settings" 0 '' v edit scr --vnc '[::1]:5902'
check "edit --vnc again: no listen-any or password file left" \
	sh -c "grep -qx 'vnc=\[::1\]:5902' '$ini' && ! grep -q '^vnc-' '$ini'"
t "edit --display-size" 0 '' v edit scr --display-size 1920x1080
check "edit --display-size: the new size, VNC kept" \
	sh -c "grep -qx 'size=1920x1080' '$ini' && grep -qx 'vnc=\[::1\]:5902' '$ini'"
t "edit: --no-display with --display" 2 '^vmain edit: --no-display and --display contradict each other$' \
	v edit scr --no-display --display
t "edit: --no-display with --vnc" 2 '^vmain edit: --no-display and --vnc contradict each other$' \
	v edit scr --no-display --vnc unix:/tmp/y.sock
t "edit: --no-vnc with --vnc" 2 '^vmain edit: --no-vnc and --vnc contradict each other$' \
	v edit scr --no-vnc --vnc unix:/tmp/y.sock
t "edit: --vnc-listen-any without --vnc" 2 '^vmain edit: --vnc-listen-any needs --vnc ADDR \(where VNC listens\)$' \
	v edit scr --vnc-listen-any
t "edit: --vnc-password-file without --vnc" 2 '^vmain edit: --vnc-password-file needs --vnc ADDR \(where VNC listens\)$' \
	v edit scr --vnc-password-file "$tmp/vnc.pass"
t "edit: a bad --display-size" 2 "^vmain edit: --display-size '0x0': the width must be 64 to 8192 and the height 64 to 8192\$" \
	v edit scr --display-size 0x0
check "refused edits changed nothing" sh -c "grep -qx 'size=1920x1080' '$ini' && grep -qx 'vnc=\[::1\]:5902' '$ini'"
t "edit --no-display" 0 '' v edit scr --no-display
check "edit --no-display: no [display] left" sh -c "! grep -qE '^\[display\]|^(enabled|size|vnc)' '$ini'"
t "edit --display" 0 '' v edit scr --display
check "edit --display: [display] enabled=true alone" \
	sh -c "tail -n 2 '$ini' | tr '\n' ' ' | grep -qx '\[display\] enabled=true '"
t "edit --no-display again" 0 '' v edit scr --no-display
t "create: a bad --display-size" 2 "^vmain create: --display-size '1280': not WIDTHxHEIGHT \(e.g. 1280x800\)\$" \
	v create d1 --display-size 1280
t "create: a bad --vnc" 2 "^vmain create: --vnc: 'x.sock': not an address: unix:PATH, A.B.C.D:PORT or \[IPV6\]:PORT\$" \
	v create d2 --vnc x.sock
t "create: --vnc beyond loopback" 2 "^vmain create: --vnc '0.0.0.0:5901': 0.0.0.0 is not a loopback address: listening beyond this host needs --vnc-listen-any and --vnc-password-file\$" \
	v create d3 --vnc 0.0.0.0:5901
t "create: --vnc-listen-any without a password file" 2 "^vmain create: --vnc '0.0.0.0:5901': --vnc-listen-any on 0.0.0.0 needs --vnc-password-file" \
	v create d4 --vnc 0.0.0.0:5901 --vnc-listen-any
t "create: --vnc-password-file without --vnc" 2 '^vmain create: --vnc-password-file needs --vnc ADDR' \
	v create d5 --display --vnc-password-file "$tmp/vnc.pass"
chmod 640 "$tmp/vnc.pass"
t "create: a password file the group may read" 2 "^vmain create: --vnc-password-file: $tmp/vnc.pass: permissions 0640 are too open" \
	v create d6 --vnc 127.0.0.1:5901 --vnc-password-file vnc.pass
chmod 600 "$tmp/vnc.pass"
t "create: a missing password file" 2 "^vmain create: --vnc-password-file: $tmp/nope: No such file or directory\$" \
	v create d7 --vnc 127.0.0.1:5901 --vnc-password-file nope
check "create: no bundle is left by a refused display option" sh -c "! ls -d '$vms'/d[0-9].vmain 2>/dev/null"
t "create --display --vnc with a password file" 0 '' v create scr2 --kernel "$kernel" --display \
	--vnc 127.0.0.1:5901 --vnc-password-file vnc.pass
ini2=$vms/scr2.vmain/config.ini
check "create: no size= unless given; the password file absolute" \
	sh -c "! grep -q '^size=' '$ini2' && grep -qx 'vnc-password-file=$tmp/vnc.pass' '$ini2'"
mv "$tmp/vnc.pass" "$tmp/vnc.moved"
t "start with the password file gone: status 2, before anything starts" 2 \
	"^vmain start: scr2: \[display\] vnc-password-file: $tmp/vnc.pass: No such file or directory\$" v start scr2
mv "$tmp/vnc.moved" "$tmp/vnc.pass"
t "delete scr2" 0 '' v delete scr2 --yes
printf '[display]\nenabled=true\nsize=10x10\n' >>"$ini"
line=$(grep -n '^size=' "$ini" | cut -d: -f1)
t "start with a bad [display]: file, line and key" 2 \
	"config.ini:$line: \[display\] size: '10x10': the width must be 64 to 8192 and the height 64 to 8192\$" v start scr
sed -i 's/^size=10x10$/size=800x600/; s/^enabled=true$/enabled=false/' "$ini"
line=$(grep -n '^size=' "$ini" | cut -d: -f1)
t "start with a size but enabled=false: file, line and key" 2 \
	"config.ini:$line: \[display\] size: only with a screen \(enabled = true, or vnc=\)\$" v start scr
t "edit of a bundle with a bad [display]: the same error" 1 "config.ini:$line: \[display\] size: only with a screen" \
	v edit scr --no-display
sed -i 's/^enabled=false$/enabled=true/' "$ini"

# A running VM (its bundle lock held): start, edit, delete refuse.
( flock -x 9; echo 4242 >&9; sleep 30 ) 9>"$vms/web.vmain/.lock" &
holder=$!
sleep 0.5
t "start while it runs: refused" 4 'web is already running \(pid 4242\)' v start web --headless
: >"$tmp/some.sav"
t "restore --file while it runs: refused" 4 '^vmain restore: web is already running \(pid 4242\)' \
	v restore web --file "$tmp/some.sav" --headless
t "edit --memory while it runs: refused" 4 'web runs: --memory cannot change' v edit web --memory 1G
t "edit --autostart while it runs: allowed" 0 '' v edit web --autostart yes
t "edit --add-net while it runs: refused" 4 'web runs: a network interface cannot change' \
	v edit web --add-net user
t "edit --no-net while it runs: refused" 4 'web runs: a network interface cannot change' \
	v edit web --no-net
for d in --display "--display-size 800x600" "--vnc unix:/tmp/z.sock" --no-display --no-vnc; do
	# shellcheck disable=SC2086
	t "edit $d while it runs: refused" 4 'web runs: the display cannot change until it stops' \
		v edit web $d
done
t "delete while it runs: refused" 4 'web is running' v delete web --yes
v status web --json >"$tmp/status.json"
check "status of a VM whose API does not answer yet: starting, with the lock's pid" \
	grep -q '"state": "starting".*"pid": 4242' "$tmp/status.json"
check "status --json of it fits the schema" schema "$top/docs/schema/vmain-status.json" "$tmp/status.json"

# The memory cap: web (2G) counts as running.
printf '[host]\nmax_memory=2304M\n' >"$tmp/etc/vmain.conf"
t "start over the memory cap: refused with the numbers" 1 \
	'starting rel needs 512 MiB, and the running VMs use 2048 MiB of the 2304 MiB cap' v start rel --headless
mkdir -p "$XDG_CONFIG_HOME/vmain"; printf '[host]\nmax_memory=2G\n' >"$XDG_CONFIG_HOME/vmain/vmain.conf"
t "the user's lower cap wins" 1 'of the 2048 MiB cap' v start rel --headless
printf '[host]\nmax_memry=2G\n' >"$XDG_CONFIG_HOME/vmain/vmain.conf"
t "a bad vmain.conf: its file, line and key" 1 "vmain.conf:2: \[host\] max_memry" v start rel --headless
rm -rf "$XDG_CONFIG_HOME/vmain" "$tmp/etc/vmain.conf"
kill $holder; wait $holder 2>/dev/null

# Not running: every control command says so (4); no such VM: 5.
for c in stop kill pause resume reset console; do
	t "$c a VM that is not running" 4 'rel is not running' v $c rel
	t "$c a VM that does not exist" 5 "nope is not running" v $c nope
done
t "stop --timeout -5" 2 '--timeout -5' v stop rel --timeout -5
# link: its arguments checked before the VM is asked (2), then as above.
t "link a VM that is not running" 4 'rel is not running' v link rel net0 down
t "link a VM that does not exist" 5 'nope is not running' v link nope 0 up
t "link: a NIC that cannot be" 2 "'net8': not a network interface \(net0 .. net7\)" v link rel net8 down
t "link: a NIC by another name" 2 "'eth0': not a network interface" v link rel eth0 down
t "link: neither up nor down" 2 "'off': up or down" v link rel net0 off
t "link without up or down" 2 'missing argument \(usage: vmain link NAME NIC up\|down\)' v link rel net0
t "link with one word too many" 2 "unexpected argument 'now'" v link rel net0 up now

# A hand-edited config.ini with a bad key: the file, line and key.
cp "$vms/rel.vmain/config.ini" "$tmp/rel.ini"
sed -i 's/^cpus=1$/cpuz=1/' "$vms/rel.vmain/config.ini"
line=$(grep -n '^cpuz=' "$vms/rel.vmain/config.ini" | cut -d: -f1)
t "start with an unknown key: file, line and key" 2 "config.ini:$line: \[vm\] cpuz" v start rel
v status rel --json >"$tmp/status.json"
check "status of a broken bundle: the error, and still the schema" \
	sh -c "grep -q '\"error\": \".*cpuz' '$tmp/status.json' && /usr/bin/python3 -c 1"
check "status --json of a broken bundle fits the schema" schema "$top/docs/schema/vmain-status.json" "$tmp/status.json"
v list --json >"$tmp/list.json"
check "list --json with a broken bundle fits the schema" schema "$top/docs/schema/vmain-list.json" "$tmp/list.json"
cp "$tmp/rel.ini" "$vms/rel.vmain/config.ini"

# start without a hypervisor: one line, status 1, nothing left behind.
if [ ! -e /dev/vm-main ] && [ ! -e /dev/kvm ]; then
	t "start with no backend: the backend's error" 1 'cannot (create the VM|boot)' v start rel
	check "start that failed: no socket or lock left in the runtime dir" \
		sh -c "[ -z \"\$(ls -A '$XDG_RUNTIME_DIR/vmain')\" ]"
	t "start --headless with no backend: the child's error reaches the caller" 1 \
		'cannot (create the VM|boot)' v start rel --headless
else
	n=$((n + 1)); echo "ok $n # SKIP start without a backend: this host has one"
fi

# autostart: only the VMs marked so, each through `vmain start --headless`.
if [ ! -e /dev/vm-main ] && [ ! -e /dev/kvm ]; then
	v autostart </dev/null >"$tmp/auto" 2>&1; rc=$?
	check "autostart: status 1 when a VM cannot start" [ $rc = 1 ]
	check "autostart: it tried web (autostart yes), with its error" \
		grep -qE 'cannot (create the VM|boot)' "$tmp/auto"
	check "autostart: one attempt (rel is not marked)" [ "$(grep -cE 'cannot (create the VM|boot)' "$tmp/auto")" = 1 ]
	v edit web --autostart no
	t "autostart with nothing marked: nothing to do" 0 '' v autostart
else
	n=$((n + 1)); echo "ok $n # SKIP autostart's failure path: this host has a backend"
fi

# vmain restore's refusals before anything starts (each leaves FILE).
t "restore without --file" 2 '^vmain restore: --file FILE is required' v restore rel
t "restore of a VM that does not exist" 5 "^vmain restore: no VM named 'nosuch'" \
	v restore nosuch --file "$tmp/some.sav"
t "restore --file of a missing file" 1 "^vmain restore: $tmp/none.sav: no such file\$" \
	v restore rel --file "$tmp/none.sav"
t "restore --file of a directory" 1 "^vmain restore: $tmp: not a regular file\$" v restore rel --file "$tmp"
t "restore --restore=sideways" 2 "^vmain restore: --restore sideways: must be eager or lazy" \
	v restore rel --file "$tmp/some.sav" --restore=sideways
: >"$vms/rel.vmain/state.sav"
t "restore --file over the bundle's own state.sav: refused" 1 \
	"^vmain restore: rel holds a saved state of its own .*vmain start --discard-state rel" \
	v restore rel --file "$tmp/some.sav"
check "... both files stay" sh -c "[ -f '$vms/rel.vmain/state.sav' ] && [ -f '$tmp/some.sav' ]"
rm -f "$vms/rel.vmain/state.sav" "$tmp/some.sav"

# delete.
t "delete without --yes and without a terminal" 1 'use --yes' v delete rel
check "... kept it" [ -d "$vms/rel.vmain" ]
t "delete --yes" 0 '' v delete rel --yes
check "... removed the bundle" [ ! -e "$vms/rel.vmain" ]
check "... but not the image attached from elsewhere" [ -f "$tmp/data.img" ]
t "delete a VM that does not exist" 5 "no VM named 'rel'" v delete rel --yes
t "delete scr" 0 '' v delete scr -y
t "delete web" 0 '' v delete web -y
check "nothing is left in the VMs directory" sh -c "[ -z \"\$(ls -A '$vms')\" ]"

echo "1..$n"
