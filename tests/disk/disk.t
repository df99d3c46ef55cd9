#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The monitor's disk stack (monitor/disk/: io_uring engine, write cache, raw, qcow2), on the
# host: every tests/disk/NAME-test program, built by make (ASan/UBSan in
# build-asan/ when that exists, as in make check); this relays their TAP.
. "$(dirname "$0")/../lib/tap-relay.sh"

run_dir disk
