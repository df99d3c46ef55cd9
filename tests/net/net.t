#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The packet back ends (monitor/net/), on the host: the --net syntax and
# MAC derivation, the user-mode NAT (libslirp) driven by an I/O loop turned
# by hand with a fake NIC, and the tap back end on a tap made in a private
# network namespace (tap-test unshares one itself: as root, or in a user
# namespace otherwise).  The programs are built by make (with ASan/UBSan in
# build-asan/ when that exists, as in make check); this relays their TAP.
. "$(dirname "$0")/../lib/tap-relay.sh"

run_dir net
