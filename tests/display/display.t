#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The display (monitor/display/), on the host: the surface, damage merging,
# private mode and the resize debounce with a fake producer and viewers,
# and the VNC server driven by a libvncclient client.  The programs are
# built by make (with ASan/UBSan in build-asan/ when that exists, as in
# make check); this relays their TAP.
. "$(dirname "$0")/../lib/tap-relay.sh"

run_dir display
