#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The platform device models (monitor/devices/), on the host: each test
# program feeds one device synthetic port accesses through the port-I/O
# bus.  The programs are built by make (with ASan/UBSan in build-asan/ when
# that exists, as in make check); this relays their TAP, renumbered.
. "$(dirname "$0")/../lib/tap-relay.sh"

run_dir devices
