/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/lib/vm-xml.h - common/org.vmain.xml, the control API's interfaces,
 * as the string vm_dbus_xml (the way monitor/vm/dbus.c embeds it), for a
 * test program that serves or calls them.  Include it in one file of a
 * program only: it defines the symbol.
 */
#ifndef VMAIN_TESTS_LIB_VM_XML_H
#define VMAIN_TESTS_LIB_VM_XML_H

extern const char vm_dbus_xml[];
__asm__(".pushsection .rodata\n"
	".globl vm_dbus_xml\n"
	"vm_dbus_xml:\n"
	".incbin \"common/org.vmain.xml\"\n"
	".byte 0\n"
	".popsection\n");

#endif
