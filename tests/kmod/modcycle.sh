#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# modcycle.sh - (in an arena) rmmod is refused while a VM fd is open, and
# the module survives 20 insmod/rmmod cycles.  TAP on stdout.
#   modcycle.sh DIR-OF-TEST-BINARIES
bin=$1
ko=/arena/vmain.ko
failed=0
ok() { echo "ok - $*"; }
notok() { echo "not ok - $*"; failed=1; }
check() { desc=$1; shift; if "$@"; then ok "$desc"; else notok "$desc"; fi; }
wait_node() {
	# Its own counter: shell functions share the caller's variables.
	tries=0
	while [ ! -c /dev/vm-main ] && [ $tries -lt 100 ]; do sleep 0.05; tries=$((tries + 1)); done
	[ -c /dev/vm-main ]
}
slab() { awk '/^Slab:/ { print $2 }' /proc/meminfo; }

mkfifo /tmp/hold.fifo
"$bin/hold-vm" 77 >/tmp/hold.fifo &
holder=$!
read -r line </tmp/hold.fifo
check "a process holds a VM fd" [ "$line" = ready ]
check "rmmod vmain is refused while a VM fd is open" sh -c '! rmmod vmain 2>/dev/null'
check "the module is still loaded and its device works" "$bin/hold-vm" --once 78
kill -9 $holder
wait $holder 2>/dev/null
check "rmmod vmain succeeds once the VM's owner is killed" rmmod vmain
check "/dev/vm-main is gone after rmmod" [ ! -e /dev/vm-main ]

slab0=$(slab)
cycles=0
i=0
while [ $i -lt 20 ]; do
	i=$((i + 1))
	insmod $ko || break
	wait_node || break
	"$bin/hold-vm" --once $((1000 + i)) || break
	rmmod vmain || break
	cycles=$i
done
check "20 insmod/create VM/rmmod cycles ($cycles done)" [ "$cycles" = 20 ]
slab1=$(slab)
echo "# Slab ${slab0} -> ${slab1} KiB over the cycles"
check "Slab stable across 20 module cycles" [ $((slab1 - slab0)) -lt 2048 ]
insmod $ko && wait_node
check "the module is loaded again at the end" [ -c /dev/vm-main ]
exit $failed
