#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The bundle and configuration library (monitor/vm/: VM names, config.ini,
# bundles and their lock, vmain.conf and the memory cap), on the host: every
# tests/vm/NAME-test program, built by make (ASan/UBSan in build-asan/ when
# that exists, as in make check); this relays their TAP.
. "$(dirname "$0")/../lib/tap-relay.sh"

run_dir vm
