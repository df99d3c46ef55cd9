// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ui/main.c - vmain-gtk: the desktop app.  Without arguments, the library
 * of VMs; with a VM's name or a control socket, that VM's screen.
 */
#include <errno.h>
#include <glib-unix.h>
#include <gtk/gtk.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "display-window.h"
#include "library-window.h"
#include "settings.h"
#include "vm-list.h"

#define VMAIN_VERSION "0.1"

static gchar *opt_socket, *opt_scaling, *opt_config;
static gboolean opt_inline, opt_system, opt_version;
static gchar **opt_names;

static const GOptionEntry entries[] = {
	{ "socket", 0, 0, G_OPTION_ARG_FILENAME, &opt_socket,
	  "Show the screen of the VM serving this control socket (e.g. one `vmain run` "
	  "started, or a socket forwarded from elsewhere)", "PATH" },
	{ "system", 0, 0, G_OPTION_ARG_NONE, &opt_system,
	  "NAME is a system VM (its socket in /run/vmain; you must be root or in group vmain)",
	  NULL },
	{ "scaling", 0, 0, G_OPTION_ARG_STRING, &opt_scaling,
	  "fit (as large as the window allows, aspect kept), 1:1 (a guest pixel is a screen "
	  "pixel) or follow (the guest takes the window's size); default: as last time, "
	  "else fit", "MODE" },
	{ "inline", 0, 0, G_OPTION_ARG_NONE, &opt_inline,
	  "Ask for the pixels inside the messages instead of a shared memory descriptor: "
	  "for a socket forwarded by a relay that carries bytes only (ssh, the SVM arena's "
	  "virtio-serial; make run passes it there)", NULL },
	{ "config", 0, 0, G_OPTION_ARG_FILENAME, &opt_config,
	  "The app's settings file (default $XDG_CONFIG_HOME/vmain/vmain-gtk.ini)", "FILE" },
	{ "version", 0, 0, G_OPTION_ARG_NONE, &opt_version, "Show the version", NULL },
	{ G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, &opt_names, NULL, "[NAME]" },
	{ NULL, 0, 0, 0, NULL, NULL, NULL }
};

static const char description[] =
	"With no NAME, vmain-gtk shows the library: this user's VMs (and the system's\n"
	"ones you may see) with their states, kept live; start, pause, stop, open the\n"
	"screen, take a screenshot, create, edit and delete VMs from there.\n"
	"\n"
	"With NAME (or --socket), it opens that VM's screen.  The VM must be\n"
	"running with a display (`vmain create --display`, `vmain run --display`).\n"
	"The app only attaches: closing a window never stops a VM, and a VM started\n"
	"headless (systemd, `vmain start --headless`) can be watched and detached.\n"
	"Any number of windows may show one VM.\n"
	"\n"
	"In a screen window: keys go to the guest by their position (the guest's\n"
	"keyboard layout decides the characters); the pointer is an absolute\n"
	"tablet, no grab.  Clicking the screen captures the keyboard (the desktop's\n"
	"shortcuts go to the guest too) until Ctrl+Alt is pressed; when the guest\n"
	"drives only its relative mouse, the click captures the pointer too\n"
	"(hidden, its motion sent as deltas) until Ctrl+Alt.  Ctrl+Alt+F\n"
	"toggles full screen.  The header bar pauses and resumes, presses the power\n"
	"button, stops the VM at once (after asking), sends Ctrl+Alt+Del, saves a\n"
	"screenshot, chooses the scaling and takes private mode (other viewers,\n"
	"VNC included, see black).\n"
	"\n"
	"Window sizes, scaling and recent VMs are kept in the settings file,\n"
	"written a second after the last change.  On SIGUSR1 the app prints one\n"
	"line per window to stdout (a screen's updates from the VM, draws and\n"
	"scale; the library's VMs and their states; where each named widget is;\n"
	"what each error bar shown says).\n"
	"SIGTERM and SIGINT close the app as closing its windows would.\n"
	"\n"
	"Environment: VMAIN_VMS_DIR and VMAIN_RUNTIME_DIR replace the bundles' and\n"
	"sockets' directories, as for vmain; VMAIN_CLI names the vmain program.\n"
	"\n"
	"Exit status: 0 when the last window closed; 1 on an error before any\n"
	"window opened; 2 for bad usage.  See docs/ui.md.";

static struct ui_settings *settings;
static bool start_failed;	/* no window could be opened: exit 1 */

/*
 * "widget NAME X Y W H": where each named widget of ours is on the screen
 * (root coordinates, logical pixels), so that a test clicks buttons by
 * name, whatever the fonts make their sizes.
 */
static void widget_positions(GtkWidget *w, gpointer out)
{
	const char *name = gtk_widget_get_name(w);
	GtkWidget *top = gtk_widget_get_toplevel(w);
	GtkAllocation a;
	int x, y, ox, oy;

	if (!gtk_widget_get_mapped(w))
		return;
	if (name && *name && strcmp(name, G_OBJECT_TYPE_NAME(w)) && w != top &&
	    gtk_widget_get_window(top) &&
	    gtk_widget_translate_coordinates(w, top, 0, 0, &x, &y)) {
		gdk_window_get_origin(gtk_widget_get_window(top), &ox, &oy);
		gtk_widget_get_allocation(w, &a);
		g_string_append_printf(out, "widget %s %d %d %d %d\n", name, ox + x, oy + y,
				       a.width, a.height);
		/* What an error bar says, as the person reads it in that window. */
		if (!strcmp(name, "error") && g_object_get_data(G_OBJECT(w), "vmain-label"))
			g_string_append_printf(out, "error-bar %s: %s\n",
				GTK_IS_WINDOW(top) ? gtk_window_get_title(GTK_WINDOW(top)) : "",
				gtk_label_get_text(GTK_LABEL(g_object_get_data(G_OBJECT(w),
									    "vmain-label"))));
	}
	if (GTK_IS_CONTAINER(w))
		gtk_container_forall(GTK_CONTAINER(w), widget_positions, out);
	/* A menu's popover is no child of its button: walked when it is open. */
	if (GTK_IS_MENU_BUTTON(w) && gtk_menu_button_get_popover(GTK_MENU_BUTTON(w)))
		widget_positions(GTK_WIDGET(gtk_menu_button_get_popover(GTK_MENU_BUTTON(w))), out);
}

static gboolean on_usr1(gpointer opaque)
{
	GString *s = g_string_new(NULL);
	/* Every toplevel: the application's windows and their dialogs. */
	GList *tops = gtk_window_list_toplevels();

	(void)opaque;
	display_window_stats(s);
	library_window_stats(s);
	for (GList *l = tops; l; l = l->next)
		widget_positions(l->data, s);
	g_list_free(tops);
	if (!s->len)
		g_string_append(s, "display none\n");
	fputs(s->str, stdout);
	fflush(stdout);
	g_string_free(s, TRUE);
	return G_SOURCE_CONTINUE;
}

/* SIGTERM, SIGINT: end as if the last window closed, so the settings are written. */
static gboolean on_term(gpointer app)
{
	GList *tops = gtk_window_list_toplevels();

	/*
	 * A dialog waiting for an answer runs a loop of its own, which
	 * quitting the application does not end: each is answered "no"
	 * (as closing it would), and its caller goes on to see the quit.
	 */
	for (GList *l = tops; l; l = l->next)
		if (GTK_IS_DIALOG(l->data) && gtk_widget_get_visible(l->data))
			gtk_dialog_response(l->data, GTK_RESPONSE_DELETE_EVENT);
	g_list_free(tops);
	g_application_quit(app);
	return G_SOURCE_CONTINUE;
}

static void on_activate(GtkApplication *app, gpointer opaque)
{
	char *path;

	(void)opaque;
	if (opt_socket) {
		char *base = g_path_get_basename(opt_socket);
		char *dot = strrchr(base, '.');

		/* NAME.sock names the VM until its Name property arrives. */
		if (dot && !strcmp(dot, ".sock"))
			*dot = '\0';
		display_window_open(app, base, opt_socket, settings);
		g_free(base);
	} else if (opt_names && opt_names[0]) {
		path = ui_vm_socket_path(opt_names[0], opt_system);
		if (!path) {
			fprintf(stderr, "vmain-gtk: XDG_RUNTIME_DIR is not set: where is %s's "
				"socket? (give --socket PATH)\n", opt_names[0]);
			start_failed = true;
			return;
		}
		display_window_open(app, opt_names[0], path, settings);
		g_free(path);
	} else {
		library_window_open(app, settings);
	}
}

int main(int argc, char **argv)
{
	GOptionContext *ctx;
	GError *err = NULL;
	GtkApplication *app;
	char *fake_argv[] = { argv[0], NULL };
	int status;

	ctx = g_option_context_new("- the vmain desktop app");
	g_option_context_set_summary(ctx, "Shows and drives vmain VMs: a library of VMs, and a "
				     "window for each VM's screen.");
	g_option_context_set_description(ctx, description);
	g_option_context_add_main_entries(ctx, entries, NULL);
	g_option_context_add_group(ctx, gtk_get_option_group(FALSE));
	if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
		fprintf(stderr, "vmain-gtk: %s (vmain-gtk --help)\n", err->message);
		return 2;
	}
	g_option_context_free(ctx);
	if (opt_version) {
		printf("vmain-gtk " VMAIN_VERSION "\n");
		return 0;
	}
	if (opt_names && opt_names[0] && (opt_names[1] || opt_socket)) {
		fprintf(stderr, "vmain-gtk: one VM: a NAME or --socket (vmain-gtk --help)\n");
		return 2;
	}
	if (opt_system && !(opt_names && opt_names[0])) {
		fprintf(stderr, "vmain-gtk: --system goes with a NAME (vmain-gtk --help)\n");
		return 2;
	}
	if (opt_scaling) {
		if (ui_scaling_parse(opt_scaling, &display_window_options.scaling)) {
			fprintf(stderr, "vmain-gtk: --scaling: fit, 1:1 or follow, not '%s'\n",
				opt_scaling);
			return 2;
		}
		display_window_options.scaling_set = true;
	}
	display_window_options.inline_pixels = opt_inline;
	if (!gtk_init_check(NULL, NULL)) {
		fprintf(stderr, "vmain-gtk: cannot open a display (is DISPLAY or "
			"WAYLAND_DISPLAY set?)\n");
		return 1;
	}
	settings = ui_settings_load(opt_config);
	/*
	 * Not a unique application: each vmain-gtk is its own process (no
	 * session bus needed), and windows of two of them on one VM are fine.
	 */
	app = gtk_application_new("org.vmain.Gtk", G_APPLICATION_NON_UNIQUE);
	g_signal_connect(app, "activate", G_CALLBACK(on_activate), NULL);
	g_unix_signal_add(SIGUSR1, on_usr1, NULL);
	g_unix_signal_add(SIGTERM, on_term, app);
	g_unix_signal_add(SIGINT, on_term, app);
	status = g_application_run(G_APPLICATION(app), 1, fake_argv);
	g_object_unref(app);
	/* What the windows changed last is written now, not lost. */
	ui_settings_free(settings);
	return start_failed ? 1 : status;
}
