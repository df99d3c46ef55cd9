#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Networking (issue 15): inside the SVM arena, `vmain run --net` gives the
# default guest a virtio-net NIC on libslirp's user network (vmain.ko and
# KVM: DHCP, DNS, a download, hostfwd; restrict=on) and on a bridge of
# taps (two VMs), and a guest streaming at a peer that never reads leaves
# the monitor's memory bounded
# (tests/monitor/net-guest.sh says what is checked).
. "$(dirname "$0")/../lib/arena-tap.sh"

"$TOP/scripts/guest-image" -q "$TOP/build/guest" || { echo "not ok 1 - scripts/guest-image failed"; echo "1..1"; exit 0; }
arena_tap arena-svm "vmain run with NICs: user networking, restrict=on, taps on a bridge, a flood" \
	-t 1500 -m 2048 -M kvm_amd -W 200 -M tun -M bridge -f "$TOP/build/monitor/vmain" -f "$TOP/build/guest" \
	-f "$TOP/build/tests/monitor/dns-stub" -f "$TOP/tests/monitor/net-guest.sh" -f /usr/bin/ip -- \
	"$TOP/tests/monitor/net-guest.sh" "$TOP/build/monitor/vmain" "$TOP/build/guest" \
	"$TOP/build/tests/monitor/dns-stub" /usr/bin/ip

arena_tap_end
