#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The machine's plain-C policy pieces on the host: the CPUID table a vCPU
# sees (monitor/machine/cpuid.c) and size parsing (monitor/size.c).  The
# programs are built by make (with ASan/UBSan in build-asan/ when
# that exists, as in make check); this relays their TAP, renumbered.
. "$(dirname "$0")/../lib/tap-relay.sh"

run_dir machine
