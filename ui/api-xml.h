/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ui/api-xml.h - common/org.vmain.xml, the control API's interfaces, as
 * the string ui_api_xml (ui/api-xml.c): the app serves the listener side
 * (org.vmain.DisplayListener1) from the same definition the monitor calls.
 */
#ifndef VMAIN_UI_API_XML_H
#define VMAIN_UI_API_XML_H

extern const char ui_api_xml[];

#endif
