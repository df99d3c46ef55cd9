#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The desktop app's parts on the host (ui/): scaling arithmetic, rendering
# with pixman, key code tables, the settings file's debounce, the VM list.
# One program per tests/ui/NAME-test.c (ASan/UBSan in build-asan/ when
# make check built it); this relays their TAP.
. "$(dirname "$0")/../lib/tap-relay.sh"

run_dir ui
