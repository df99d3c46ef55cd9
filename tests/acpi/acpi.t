#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The ACPI tables (monitor/acpi/), on the host: the AML emitter byte for
# byte, and acpi_build()'s tables checked field by field and run through
# ACPICA's iasl (disassembled and recompiled, no error or warning).  The
# programs are built by make (with ASan/UBSan in build-asan/ when that
# exists, as in make check); this relays their TAP, renumbered.
. "$(dirname "$0")/../lib/tap-relay.sh"

run_dir acpi
