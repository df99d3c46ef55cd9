#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The save file (monitor/state/savefile.c), on the host: save, lazy and
# eager restore, refusals and kill -9 during a save.  The programs are
# built by make (with ASan/UBSan in build-asan/ when that exists, as in
# make check); this relays their TAP, renumbered.
. "$(dirname "$0")/../lib/tap-relay.sh"

run_dir state
