#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The monitor's I/O model (monitor/io/: the I/O loop, the worker pool), on the
# host: every tests/io/NAME-test program, built by make (ASan/UBSan in
# build-asan/ when that exists, as in make check); this relays their TAP.
. "$(dirname "$0")/../lib/tap-relay.sh"

run_dir io
