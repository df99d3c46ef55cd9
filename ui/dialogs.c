// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ui/dialogs.c - the error bar, the confirmation and the screenshot
 * chooser (ui/dialogs.h).
 */
#include <stdio.h>

#include "dialogs.h"

static void bar_response(GtkInfoBar *bar, gint response, gpointer opaque)
{
	(void)response;
	(void)opaque;
	gtk_info_bar_set_revealed(bar, FALSE);
	gtk_widget_hide(GTK_WIDGET(bar));
}

GtkWidget *ui_error_bar_new(void)
{
	GtkWidget *bar = gtk_info_bar_new(), *label = gtk_label_new("");

	gtk_widget_set_name(bar, "error");
	gtk_info_bar_set_message_type(GTK_INFO_BAR(bar), GTK_MESSAGE_ERROR);
	gtk_info_bar_set_show_close_button(GTK_INFO_BAR(bar), TRUE);
	gtk_label_set_line_wrap(GTK_LABEL(label), TRUE);
	gtk_label_set_selectable(GTK_LABEL(label), TRUE);
	gtk_container_add(GTK_CONTAINER(gtk_info_bar_get_content_area(GTK_INFO_BAR(bar))), label);
	/* The bar is shown only for an error (no_show_all): its label is shown now. */
	gtk_widget_show(label);
	g_object_set_data(G_OBJECT(bar), "vmain-label", label);
	g_signal_connect(bar, "response", G_CALLBACK(bar_response), NULL);
	gtk_widget_set_no_show_all(bar, TRUE);
	return bar;
}

void ui_error_bar_show(GtkWidget *bar, const char *who, const char *msg)
{
	fprintf(stderr, "vmain-gtk: %s%s%s\n", who ? who : "", who ? ": " : "", msg);
	gtk_label_set_text(GTK_LABEL(g_object_get_data(G_OBJECT(bar), "vmain-label")), msg);
	gtk_widget_show(bar);
	gtk_info_bar_set_revealed(GTK_INFO_BAR(bar), TRUE);
}

bool ui_confirm(GtkWindow *parent, const char *title, const char *text, const char *yes)
{
	GtkWidget *dlg = gtk_message_dialog_new(parent, GTK_DIALOG_MODAL, GTK_MESSAGE_WARNING,
						GTK_BUTTONS_NONE, "%s", title);
	bool ok;

	gtk_window_set_title(GTK_WINDOW(dlg), title);
	gtk_widget_set_name(dlg, "confirm");
	gtk_message_dialog_format_secondary_text(GTK_MESSAGE_DIALOG(dlg), "%s", text);
	gtk_dialog_add_buttons(GTK_DIALOG(dlg), "_Cancel", GTK_RESPONSE_CANCEL, yes,
			       GTK_RESPONSE_ACCEPT, NULL);
	ok = gtk_dialog_run(GTK_DIALOG(dlg)) == GTK_RESPONSE_ACCEPT;
	gtk_widget_destroy(dlg);
	return ok;
}

char *ui_ask_screenshot_path(GtkWindow *parent, const char *name)
{
	GtkFileChooserNative *fc;
	char *file = g_strdup_printf("%s.png", name), *path = NULL;

	fc = gtk_file_chooser_native_new("Save Screenshot", parent, GTK_FILE_CHOOSER_ACTION_SAVE,
					 "_Save", "_Cancel");
	gtk_file_chooser_set_do_overwrite_confirmation(GTK_FILE_CHOOSER(fc), TRUE);
	gtk_file_chooser_set_current_name(GTK_FILE_CHOOSER(fc), file);
	if (gtk_native_dialog_run(GTK_NATIVE_DIALOG(fc)) == GTK_RESPONSE_ACCEPT)
		path = gtk_file_chooser_get_filename(GTK_FILE_CHOOSER(fc));
	g_object_unref(fc);
	g_free(file);
	return path;
}
