// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ui/api-xml.c - the interfaces' XML, embedded at build time (the build
 * runs from the top of the tree, where the path below is).
 */
#include "api-xml.h"

__asm__(".pushsection .rodata\n"
	".globl ui_api_xml\n"
	"ui_api_xml:\n"
	".incbin \"common/org.vmain.xml\"\n"
	".byte 0\n"
	".popsection\n");
