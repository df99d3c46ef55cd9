// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ui/library-window.c - the library of VMs (ui/library-window.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "dialogs.h"
#include "display-window.h"
#include "library-window.h"
#include "settings.h"
#include "vm-list.h"
#include "vm.h"
#include "vmain-cli.h"

#define REFRESH_DEBOUNCE_MS	200
#define MAX_MONITORS		4

struct lib {
	GtkApplication *app;
	struct ui_settings *settings;
	GtkWidget *window, *list, *infobar;
	GHashTable *rows;		/* "u:NAME" / "s:NAME" -> struct row */
	GFileMonitor *monitors[MAX_MONITORS];
	guint refresh_timer;
	bool refreshing, refresh_again;
	bool list_failed;		/* this listing failed: the rows stay as they were */
	int pending_cli;		/* vmain commands not finished yet (they refer to l) */
	bool closed;			/* the window is gone; freed when no listing runs */
	GPtrArray *found;		/* this refresh's entries, user then system */
};

/*
 * A row lives while listed; dialogs hold a reference across their nested
 * main loop, in which a listing may drop the row (`dead`: its widgets and
 * connection are gone, and r->lib may be too).
 */
struct row {
	int refs;
	bool dead;
	struct lib *lib;
	char *key, *name, *state;
	bool system, seen;
	bool stop_asked;		/* Stop sent, its shutting-down not seen yet */
	bool vm_gone;			/* its connection closed or failed: make a new one */
	bool connect_error_shown;	/* said once, not at every listing */
	char *error;			/* vmain list's reason its bundle is bad */
	uint64_t memory;
	uint32_t cpus;
	GtkWidget *row, *state_label, *info_label;
	GtkWidget *start, *pause, *stop, *display, *shot, *edit, *del;
	struct ui_vm *vm;
};

static GList *libraries;

static struct row *row_ref(struct row *r)
{
	r->refs++;
	return r;
}

static void row_unref(struct row *r)
{
	if (--r->refs)
		return;
	g_free(r->key);
	g_free(r->name);
	g_free(r->state);
	g_free(r->error);
	g_free(r);
}

/* Ends a dialog's hold on `r`: false when the row went meanwhile. */
static bool row_release(struct row *r)
{
	bool alive = !r->dead;

	row_unref(r);
	return alive;
}

/* ---- messages ---------------------------------------------------------- */

static void show_error(struct lib *l, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void show_error(struct lib *l, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	ui_error_bar_show(l->infobar, NULL, msg);
	g_free(msg);
}

/* ---- a row ------------------------------------------------------------- */

static void dir_changed(GFileMonitor *m, GFile *f, GFile *other, GFileMonitorEvent ev,
			gpointer opaque);

static const char *row_state(struct row *r)
{
	const char *live = r->vm && !r->vm_gone ? ui_vm_state(r->vm) : "";

	return *live ? live : r->state;
}

static void row_update(struct row *r)
{
	const char *st = row_state(r);
	bool stopped = !strcmp(st, "stopped");
	bool running = !strcmp(st, "running"), paused = !strcmp(st, "paused");
	bool live = r->vm && !r->vm_gone && ui_vm_is_connected(r->vm);
	char *mem = ui_vm_memory_text(r->memory), *info;

	gtk_label_set_text(GTK_LABEL(r->state_label), st);
	info = g_strdup_printf("%s, %u CPU%s%s%s%s", mem, r->cpus, r->cpus == 1 ? "" : "s",
			       r->system ? ", system" : "", r->error ? " \u2014 " : "",
			       r->error ? r->error : "");
	gtk_label_set_text(GTK_LABEL(r->info_label), info);
	g_free(info);
	g_free(mem);
	/* Once the VM says shutting-down (or ended), its state says it all. */
	if (stopped || !strcmp(st, "shutting-down"))
		r->stop_asked = false;
	gtk_button_set_label(GTK_BUTTON(r->pause), paused ? "Resume" : "Pause");
	gtk_button_set_label(GTK_BUTTON(r->stop), r->stop_asked || !strcmp(st, "shutting-down") ?
			     "Force stop\u2026" : "Stop");
	gtk_widget_set_sensitive(r->start, stopped);
	gtk_widget_set_sensitive(r->pause, live && (running || paused));
	gtk_widget_set_sensitive(r->stop, live && !stopped);
	gtk_widget_set_sensitive(r->display, live && (running || paused));
	gtk_widget_set_sensitive(r->shot, live && (running || paused));
	gtk_widget_set_sensitive(r->edit, stopped);
	gtk_widget_set_sensitive(r->del, stopped);
}

static void vm_state(void *opaque, const char *state)
{
	(void)state;
	row_update(opaque);
}

static void vm_connected(void *opaque, const GError *err)
{
	struct row *r = opaque;

	if (err) {
		/*
		 * Dead: the next listing tries again (a VM still starting, a
		 * socket just replaced), but says so only once.
		 */
		r->vm_gone = true;
		if (!r->connect_error_shown)
			show_error(r->lib, "%s: cannot connect: %s", r->name, err->message);
		r->connect_error_shown = true;
	} else {
		r->connect_error_shown = false;
	}
	row_update(r);
}

static void vm_closed(void *opaque, const char *why)
{
	struct row *r = opaque;

	(void)why;
	/*
	 * The VM ended.  Its connection is let go of at the next listing
	 * (not from inside the connection's own signal), which its socket's
	 * removal brings about anyway.
	 */
	r->vm_gone = true;
	g_free(r->state);
	r->state = g_strdup("stopped");
	row_update(r);
	dir_changed(NULL, NULL, NULL, G_FILE_MONITOR_EVENT_DELETED, r->lib);
}

static const struct ui_vm_events row_events = {
	.state = vm_state,
	.connected = vm_connected,
	.closed = vm_closed,
};

static void row_watch(struct row *r)
{
	char *sock;

	if (r->vm && !r->vm_gone)
		return;
	ui_vm_free(r->vm);
	r->vm = NULL;
	r->vm_gone = false;
	sock = ui_vm_socket_path(r->name, r->system);
	if (sock)
		r->vm = ui_vm_connect(sock, &row_events, r);
	g_free(sock);
}

static void call_done(void *opaque, const GError *err)
{
	struct row *r = opaque;

	if (err)
		show_error(r->lib, "%s: %s", r->name, err->message);
}

static void stop_done(void *opaque, const GError *err)
{
	struct row *r = opaque;

	if (err) {
		r->stop_asked = false;
		row_update(r);
	}
	call_done(r, err);
}

/* `vmain VERB [--system] NAME [MORE]`, its failure shown with vmain's reason. */
struct cli_call {
	struct lib *lib;
	char *what;
};

static void lib_maybe_free(struct lib *l);

static void cli_done(void *opaque, int status, const char *out, const char *err)
{
	struct cli_call *c = opaque;
	char *why;

	(void)out;
	/* A window closed meanwhile has nowhere to say it. */
	if (status && !c->lib->closed) {
		why = ui_vmain_reason(err);
		show_error(c->lib, "%s: %s", c->what, why);
		g_free(why);
	}
	c->lib->pending_cli--;
	lib_maybe_free(c->lib);
	g_free(c->what);
	g_free(c);
}

static void run_cli(struct row *r, const char *verb, const char *extra1, const char *extra2)
{
	const char *args[8];
	struct cli_call *c = g_new0(struct cli_call, 1);
	int n = 0;

	args[n++] = verb;
	if (!strcmp(verb, "start"))
		args[n++] = "--headless";
	if (!strcmp(verb, "delete"))
		args[n++] = "--yes";
	if (r->system)
		args[n++] = "--system";
	args[n++] = r->name;
	if (extra1)
		args[n++] = extra1;
	if (extra2)
		args[n++] = extra2;
	args[n] = NULL;
	c->lib = r->lib;
	c->lib->pending_cli++;
	c->what = g_strdup_printf("%s %s", verb, r->name);
	ui_vmain_run(args, cli_done, c);
}

static void on_start(GtkButton *b, gpointer opaque)
{
	(void)b;
	run_cli(opaque, "start", NULL, NULL);
}

static void on_pause(GtkButton *b, gpointer opaque)
{
	struct row *r = opaque;

	(void)b;
	if (r->vm)
		ui_vm_call(r->vm, "org.vmain.VM1", !strcmp(row_state(r), "paused") ? "Resume" :
			   "Pause", NULL, call_done, r);
}

static void on_stop(GtkButton *b, gpointer opaque)
{
	struct row *r = opaque;
	char *title;
	bool yes;

	(void)b;
	if (!r->vm)
		return;
	if (!r->stop_asked && strcmp(row_state(r), "shutting-down")) {
		/*
		 * The power button first, so the guest shuts down cleanly;
		 * Stop (not PowerButton) also wakes a paused VM to see it and
		 * ends one whose guest ignores it after 30 s.
		 */
		r->stop_asked = true;
		ui_vm_call(r->vm, "org.vmain.VM1", "Stop", g_variant_new("(u)", 30u), stop_done, r);
		row_update(r);
		return;
	}
	title = g_strdup_printf("Stop %s at once?", r->name);
	yes = ui_confirm(GTK_WINDOW(row_ref(r)->lib->window), title, "This pulls the plug: the "
			 "guest does not shut down, and what it has not written to its disks is "
			 "lost.", "_Stop now");
	g_free(title);
	/* The VM may have ended while the person read: nothing left to kill. */
	if (row_release(r) && yes && r->vm && !r->vm_gone)
		ui_vm_call(r->vm, "org.vmain.VM1", "Kill", NULL, call_done, r);
}

static void open_display(struct row *r)
{
	char *sock = ui_vm_socket_path(r->name, r->system);

	if (!sock) {
		show_error(r->lib, "%s: XDG_RUNTIME_DIR is not set: no socket to open", r->name);
		return;
	}
	display_window_open(r->lib->app, r->name, sock, r->lib->settings);
	g_free(sock);
}

static void on_display(GtkButton *b, gpointer opaque)
{
	(void)b;
	open_display(opaque);
}

static void on_shot(GtkButton *b, gpointer opaque)
{
	struct row *r = opaque;
	char *path;

	(void)b;
	path = ui_ask_screenshot_path(GTK_WINDOW(row_ref(r)->lib->window), r->name);
	if (row_release(r) && path)
		run_cli(r, "screenshot", path, NULL);
	g_free(path);
}

static void on_delete(GtkButton *b, gpointer opaque)
{
	struct row *r = opaque;
	char *title;
	bool yes;

	(void)b;
	title = g_strdup_printf("Delete %s?", r->name);
	yes = ui_confirm(GTK_WINDOW(row_ref(r)->lib->window), title, "Its settings and the disk "
			 "images inside its bundle are removed for good.  Images attached from "
			 "elsewhere stay.", "_Delete");
	g_free(title);
	if (row_release(r) && yes)
		run_cli(r, "delete", NULL, NULL);
}

/* ---- the VM dialogs: new and edit ------------------------------------- */

struct form {
	GtkWidget *dlg, *grid, *error;
	GtkWidget *name, *memory, *cpus, *kernel, *initrd, *append, *disk, *iso, *display;
	int rows;
};

static GtkWidget *form_add(struct form *f, const char *label, GtkWidget *w, const char *id)
{
	GtkWidget *l = gtk_label_new_with_mnemonic(label);

	gtk_widget_set_halign(l, GTK_ALIGN_END);
	gtk_label_set_mnemonic_widget(GTK_LABEL(l), w);
	gtk_widget_set_name(w, id);
	gtk_widget_set_hexpand(w, TRUE);
	gtk_grid_attach(GTK_GRID(f->grid), l, 0, f->rows, 1, 1);
	gtk_grid_attach(GTK_GRID(f->grid), w, 1, f->rows, 1, 1);
	f->rows++;
	return w;
}

static GtkWidget *file_button(const char *title)
{
	GtkWidget *b = gtk_file_chooser_button_new(title, GTK_FILE_CHOOSER_ACTION_OPEN);

	return b;
}

/* The installer's disc: ISO images first, anything else on request. */
static GtkWidget *iso_button(void)
{
	GtkWidget *b = file_button("The installer's ISO image");
	GtkFileFilter *iso = gtk_file_filter_new(), *all = gtk_file_filter_new();

	gtk_file_filter_set_name(iso, "ISO images");
	gtk_file_filter_add_pattern(iso, "*.iso");
	gtk_file_filter_add_pattern(iso, "*.ISO");
	gtk_file_filter_set_name(all, "All files");
	gtk_file_filter_add_pattern(all, "*");
	gtk_file_chooser_add_filter(GTK_FILE_CHOOSER(b), iso);
	gtk_file_chooser_add_filter(GTK_FILE_CHOOSER(b), all);
	gtk_widget_set_tooltip_text(b, "Boots first, from a CD/DVD drive (SeaBIOS: leave Kernel "
				    "empty); the new disk goes on SATA (AHCI)");
	return b;
}

static void form_build(struct form *f, GtkWindow *parent, const char *title, const char *ok,
		       bool create)
{
	GtkWidget *area;

	f->dlg = gtk_dialog_new_with_buttons(title, parent, GTK_DIALOG_MODAL |
					     GTK_DIALOG_DESTROY_WITH_PARENT, "_Cancel",
					     GTK_RESPONSE_CANCEL, ok, GTK_RESPONSE_ACCEPT, NULL);
	gtk_dialog_set_default_response(GTK_DIALOG(f->dlg), GTK_RESPONSE_ACCEPT);
	gtk_widget_set_name(gtk_dialog_get_widget_for_response(GTK_DIALOG(f->dlg),
							       GTK_RESPONSE_ACCEPT),
			    create ? "new-create" : "edit-save");
	gtk_widget_set_name(gtk_dialog_get_widget_for_response(GTK_DIALOG(f->dlg),
							       GTK_RESPONSE_CANCEL),
			    create ? "new-cancel" : "edit-cancel");
	area = gtk_dialog_get_content_area(GTK_DIALOG(f->dlg));
	f->grid = gtk_grid_new();
	gtk_grid_set_row_spacing(GTK_GRID(f->grid), 6);
	gtk_grid_set_column_spacing(GTK_GRID(f->grid), 12);
	gtk_container_set_border_width(GTK_CONTAINER(f->grid), 12);
	gtk_box_pack_start(GTK_BOX(area), f->grid, TRUE, TRUE, 0);
	if (create) {
		f->name = form_add(f, "_Name", gtk_entry_new(), "vm-name");
		gtk_entry_set_activates_default(GTK_ENTRY(f->name), TRUE);
	}
	f->memory = form_add(f, "_Memory (MiB)", gtk_spin_button_new_with_range(32, 1 << 20, 32),
			     "vm-memory");
	f->cpus = form_add(f, "_CPUs", gtk_spin_button_new_with_range(1, 255, 1), "vm-cpus");
	f->kernel = form_add(f, "_Kernel", file_button("The Linux kernel (bzImage)"), "vm-kernel");
	f->initrd = form_add(f, "_Initrd", file_button("The initial RAM disk"), "vm-initrd");
	f->append = form_add(f, "C_ommand line", gtk_entry_new(), "vm-append");
	if (create) {
		f->disk = form_add(f, "New _disk (GiB, 0: none)",
				   gtk_spin_button_new_with_range(0, 65536, 1), "vm-disk");
		f->iso = form_add(f, "Installer _ISO", iso_button(), "vm-iso");
		f->display = gtk_check_button_new_with_mnemonic("A _screen (virtio-gpu, keyboard, "
								"tablet)");
	} else {
		f->display = gtk_combo_box_text_new();
		gtk_combo_box_text_append(GTK_COMBO_BOX_TEXT(f->display), "keep", "unchanged");
		gtk_combo_box_text_append(GTK_COMBO_BOX_TEXT(f->display), "on", "on");
		gtk_combo_box_text_append(GTK_COMBO_BOX_TEXT(f->display), "off", "off (headless)");
		gtk_combo_box_set_active_id(GTK_COMBO_BOX(f->display), "keep");
	}
	form_add(f, create ? "" : "_Screen", f->display, "vm-display");
	/* vmain's own message, when it says no. */
	f->error = gtk_label_new("");
	gtk_widget_set_name(f->error, "vm-error");
	gtk_label_set_line_wrap(GTK_LABEL(f->error), TRUE);
	gtk_label_set_xalign(GTK_LABEL(f->error), 0);
	gtk_grid_attach(GTK_GRID(f->grid), f->error, 0, f->rows++, 2, 1);
	gtk_widget_show_all(f->dlg);
	gtk_widget_hide(f->error);
	/* Closing the library destroys the dialog with it, inside its run. */
	g_object_add_weak_pointer(G_OBJECT(f->dlg), (gpointer *)&f->dlg);
}

static void form_free(struct form *f)
{
	if (!f->dlg)
		return;
	g_object_remove_weak_pointer(G_OBJECT(f->dlg), (gpointer *)&f->dlg);
	gtk_widget_destroy(f->dlg);
}

static void form_error(struct form *f, const char *msg)
{
	char *markup = g_markup_printf_escaped("<span foreground='#c01c28'>%s</span>", msg);

	gtk_label_set_markup(GTK_LABEL(f->error), markup);
	gtk_widget_show(f->error);
	g_free(markup);
}

/* An option made here: in args, and kept (freed) with keep. */
static void add_arg(GPtrArray *args, GPtrArray *keep, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
static void add_arg(GPtrArray *args, GPtrArray *keep, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_ptr_array_add(keep, s);
	g_ptr_array_add(args, s);
}

/* The common options from the form into args (strings kept in `keep`). */
static void form_args(struct form *f, GPtrArray *args, GPtrArray *keep, int mem0, int cpus0)
{
	int mem = gtk_spin_button_get_value_as_int(GTK_SPIN_BUTTON(f->memory));
	int cpus = gtk_spin_button_get_value_as_int(GTK_SPIN_BUTTON(f->cpus));
	char *kernel = gtk_file_chooser_get_filename(GTK_FILE_CHOOSER(f->kernel));
	char *initrd = gtk_file_chooser_get_filename(GTK_FILE_CHOOSER(f->initrd));
	const char *append = gtk_entry_get_text(GTK_ENTRY(f->append));

	if (mem != mem0)
		add_arg(args, keep, "--memory=%dM", mem);
	if (cpus != cpus0)
		add_arg(args, keep, "--cpus=%d", cpus);
	if (kernel)
		add_arg(args, keep, "--kernel=%s", kernel);
	if (initrd)
		add_arg(args, keep, "--initrd=%s", initrd);
	if (*append)
		add_arg(args, keep, "--append=%s", append);
	g_free(kernel);
	g_free(initrd);
}

/*
 * Runs the dialog until vmain accepts what it asks or the person cancels:
 * a refusal stays on screen in the dialog, with vmain's reason.
 */
struct form_run {
	struct form *f;
	GMainLoop *loop;
	bool finished;		/* done may come before the loop runs (vmain not found) */
	int status;
	char *err;
};

static void form_done(void *opaque, int status, const char *out, const char *err)
{
	struct form_run *fr = opaque;

	(void)out;
	fr->status = status;
	fr->err = g_strdup(err);
	fr->finished = true;
	g_main_loop_quit(fr->loop);
}

static bool form_submit(struct form *f, GPtrArray *args, const char *what)
{
	struct form_run fr = { .f = f, .loop = g_main_loop_new(NULL, FALSE) };
	char *why;

	g_ptr_array_add(args, NULL);
	gtk_widget_set_sensitive(f->dlg, FALSE);
	ui_vmain_run((const char *const *)args->pdata, form_done, &fr);
	/* The main loop keeps turning: other windows draw while vmain works. */
	if (!fr.finished)
		g_main_loop_run(fr.loop);
	g_main_loop_unref(fr.loop);
	if (!fr.status || !f->dlg) {
		g_free(fr.err);
		return true;
	}
	gtk_widget_set_sensitive(f->dlg, TRUE);
	why = ui_vmain_reason(fr.err);
	form_error(f, why);
	fprintf(stderr, "vmain-gtk: %s: %s\n", what, why);
	g_free(why);
	g_free(fr.err);
	return false;
}

static void on_new(GtkButton *b, gpointer opaque)
{
	struct lib *l = opaque;
	struct form f = { 0 };

	(void)b;
	form_build(&f, GTK_WINDOW(l->window), "New VM", "C_reate", true);
	gtk_widget_set_name(f.dlg, "new-vm");
	gtk_spin_button_set_value(GTK_SPIN_BUTTON(f.memory), 512);
	gtk_spin_button_set_value(GTK_SPIN_BUTTON(f.cpus), 1);
	gtk_toggle_button_set_active(GTK_TOGGLE_BUTTON(f.display), TRUE);
	while (f.dlg && gtk_dialog_run(GTK_DIALOG(f.dlg)) == GTK_RESPONSE_ACCEPT) {
		GPtrArray *args = g_ptr_array_new(), *keep = g_ptr_array_new_with_free_func(g_free);
		int disk = gtk_spin_button_get_value_as_int(GTK_SPIN_BUTTON(f.disk));
		char *iso = gtk_file_chooser_get_filename(GTK_FILE_CHOOSER(f.iso));
		bool done;

		g_ptr_array_add(args, "create");
		/* Every value given, even the defaults: what the person saw is what is made. */
		form_args(&f, args, keep, -1, -1);
		if (disk > 0)
			add_arg(args, keep, "--disk-size=%dG", disk);
		/* vmain create --iso: the drive, a screen, the new disk on AHCI. */
		if (iso)
			add_arg(args, keep, "--iso=%s", iso);
		g_free(iso);
		if (gtk_toggle_button_get_active(GTK_TOGGLE_BUTTON(f.display)))
			g_ptr_array_add(args, "--display");
		g_ptr_array_add(args, "--");
		g_ptr_array_add(args, (gpointer)gtk_entry_get_text(GTK_ENTRY(f.name)));
		done = form_submit(&f, args, "create");
		g_ptr_array_free(args, TRUE);
		g_ptr_array_free(keep, TRUE);
		if (done)
			break;
	}
	form_free(&f);
}

static void on_edit(GtkButton *b, gpointer opaque)
{
	struct row *r = opaque;
	struct form f = { 0 };
	int mem0 = (int)(r->memory >> 20), cpus0 = (int)r->cpus;
	char *title = g_strdup_printf("Edit %s", r->name);

	(void)b;
	row_ref(r);
	form_build(&f, GTK_WINDOW(r->lib->window), title, "_Save", false);
	gtk_widget_set_name(f.dlg, "edit-vm");
	g_free(title);
	gtk_spin_button_set_value(GTK_SPIN_BUTTON(f.memory), mem0);
	gtk_spin_button_set_value(GTK_SPIN_BUTTON(f.cpus), cpus0);
	/* What the spin buttons show (clamped to their ranges) is "unchanged". */
	mem0 = gtk_spin_button_get_value_as_int(GTK_SPIN_BUTTON(f.memory));
	cpus0 = gtk_spin_button_get_value_as_int(GTK_SPIN_BUTTON(f.cpus));
	gtk_entry_set_placeholder_text(GTK_ENTRY(f.append), "unchanged");
	while (f.dlg && gtk_dialog_run(GTK_DIALOG(f.dlg)) == GTK_RESPONSE_ACCEPT) {
		GPtrArray *args = g_ptr_array_new(), *keep = g_ptr_array_new_with_free_func(g_free);
		const char *disp = gtk_combo_box_get_active_id(GTK_COMBO_BOX(f.display));
		bool done;

		g_ptr_array_add(args, "edit");
		if (r->system)
			g_ptr_array_add(args, "--system");
		/* Only what changed: vmain edit keeps the rest as it is. */
		form_args(&f, args, keep, mem0, cpus0);
		if (disp && !strcmp(disp, "on"))
			g_ptr_array_add(args, "--display");
		else if (disp && !strcmp(disp, "off"))
			g_ptr_array_add(args, "--no-display");
		g_ptr_array_add(args, "--");
		g_ptr_array_add(args, r->name);
		done = args->len == (r->system ? 4u : 3u) ||
		       form_submit(&f, args, "edit");
		g_ptr_array_free(args, TRUE);
		g_ptr_array_free(keep, TRUE);
		if (done)
			break;
	}
	form_free(&f);
	row_release(r);
}

/* ---- building rows ---------------------------------------------------- */

static GtkWidget *row_button(struct row *r, GtkWidget *box, const char *label, const char *id,
			     GCallback cb)
{
	GtkWidget *b = gtk_button_new_with_label(label);
	char *name = g_strdup_printf("%s-%s", id, r->name);

	gtk_widget_set_name(b, name);
	g_free(name);
	g_signal_connect(b, "clicked", cb, r);
	gtk_box_pack_start(GTK_BOX(box), b, FALSE, FALSE, 0);
	return b;
}

/* The list lets go of a row (the hash table's free function). */
static void row_drop(gpointer p)
{
	struct row *r = p;

	r->dead = true;
	ui_vm_free(r->vm);
	r->vm = NULL;
	if (r->row)
		gtk_widget_destroy(r->row);
	r->row = NULL;
	row_unref(r);
}

static struct row *row_new(struct lib *l, const struct ui_vm_entry *e, const char *key)
{
	struct row *r = g_new0(struct row, 1);
	GtkWidget *box = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 6);
	GtkWidget *text = gtk_box_new(GTK_ORIENTATION_VERTICAL, 2);
	GtkWidget *name = gtk_label_new(NULL);
	GtkWidget *buttons = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 4);
	char *markup = g_markup_printf_escaped("<b>%s</b>", e->name), *id;

	r->refs = 1;
	r->lib = l;
	r->key = g_strdup(key);
	r->name = g_strdup(e->name);
	r->system = e->system;
	r->row = gtk_list_box_row_new();
	id = g_strdup_printf("row-%s", e->name);
	gtk_widget_set_name(r->row, id);
	g_free(id);
	g_object_set_data(G_OBJECT(r->row), "vmain-row", r);
	gtk_label_set_markup(GTK_LABEL(name), markup);
	g_free(markup);
	gtk_widget_set_halign(name, GTK_ALIGN_START);
	r->state_label = gtk_label_new("");
	gtk_widget_set_halign(r->state_label, GTK_ALIGN_START);
	r->info_label = gtk_label_new("");
	gtk_widget_set_halign(r->info_label, GTK_ALIGN_START);
	gtk_style_context_add_class(gtk_widget_get_style_context(r->info_label), "dim-label");
	gtk_box_pack_start(GTK_BOX(text), name, FALSE, FALSE, 0);
	gtk_box_pack_start(GTK_BOX(text), r->state_label, FALSE, FALSE, 0);
	gtk_box_pack_start(GTK_BOX(text), r->info_label, FALSE, FALSE, 0);
	gtk_box_pack_start(GTK_BOX(box), text, TRUE, TRUE, 0);
	r->start = row_button(r, buttons, "Start", "start", G_CALLBACK(on_start));
	r->pause = row_button(r, buttons, "Pause", "pause", G_CALLBACK(on_pause));
	/* Wide enough for "Resume" too: the row's buttons stay put when it flips. */
	gtk_label_set_width_chars(GTK_LABEL(gtk_bin_get_child(GTK_BIN(r->pause))), 6);
	r->stop = row_button(r, buttons, "Stop", "stop", G_CALLBACK(on_stop));
	r->display = row_button(r, buttons, "Display", "display", G_CALLBACK(on_display));
	r->shot = row_button(r, buttons, "Screenshot\u2026", "screenshot", G_CALLBACK(on_shot));
	r->edit = row_button(r, buttons, "Edit\u2026", "edit", G_CALLBACK(on_edit));
	r->del = row_button(r, buttons, "Delete\u2026", "delete", G_CALLBACK(on_delete));
	gtk_widget_set_valign(buttons, GTK_ALIGN_CENTER);
	gtk_box_pack_end(GTK_BOX(box), buttons, FALSE, FALSE, 0);
	gtk_container_set_border_width(GTK_CONTAINER(box), 8);
	gtk_container_add(GTK_CONTAINER(r->row), box);
	gtk_widget_show_all(r->row);
	gtk_list_box_insert(GTK_LIST_BOX(l->list), r->row, -1);
	return r;
}

static void row_set(struct row *r, const struct ui_vm_entry *e)
{
	g_free(r->state);
	r->state = g_strdup(e->state);
	g_free(r->error);
	r->error = g_strdup(e->error);
	r->memory = e->memory;
	r->cpus = e->cpus;
	r->seen = true;
	if (strcmp(e->state, "stopped")) {
		row_watch(r);
	} else if (r->vm) {
		ui_vm_free(r->vm);
		r->vm = NULL;
	}
	row_update(r);
}

/* ---- refreshing the list ---------------------------------------------- */

static void refresh(struct lib *l);

static void apply_found(struct lib *l)
{
	GHashTableIter it;
	gpointer k, v;

	g_hash_table_iter_init(&it, l->rows);
	while (g_hash_table_iter_next(&it, &k, &v))
		((struct row *)v)->seen = false;
	for (guint i = 0; i < l->found->len; i++) {
		struct ui_vm_entry *e = g_ptr_array_index(l->found, i);
		char *key = g_strdup_printf("%c:%s", e->system ? 's' : 'u', e->name);
		struct row *r = g_hash_table_lookup(l->rows, key);

		if (!r) {
			r = row_new(l, e, key);
			g_hash_table_insert(l->rows, r->key, r);
		}
		row_set(r, e);
		g_free(key);
	}
	/* Bundles that are gone go from the list. */
	g_hash_table_iter_init(&it, l->rows);
	while (g_hash_table_iter_next(&it, &k, &v))
		if (!((struct row *)v)->seen)
			g_hash_table_iter_remove(&it);
	gtk_list_box_invalidate_sort(GTK_LIST_BOX(l->list));
}

static void take_list(struct lib *l, int status, const char *out, const char *err, bool system)
{
	GPtrArray *list;
	char *why;

	if (status) {
		/* The system's VMs are optional: a user may not see them. */
		if (!system) {
			why = ui_vmain_reason(err);
			show_error(l, "cannot list the VMs: %s", why);
			g_free(why);
			l->list_failed = true;
		}
		return;
	}
	if (ui_vm_list_parse(out, system, &list, &why)) {
		show_error(l, "vmain list --json: %s", why);
		g_free(why);
		l->list_failed = true;
		return;
	}
	for (guint i = 0; i < list->len; i++)
		g_ptr_array_add(l->found, g_ptr_array_index(list, i));
	/* The entries moved to l->found, which frees them. */
	g_ptr_array_set_free_func(list, NULL);
	g_ptr_array_unref(list);
}

/* Freed once its window is gone and nothing running refers to it. */
static void lib_maybe_free(struct lib *l)
{
	if (!l->closed || l->refreshing || l->pending_cli)
		return;
	g_ptr_array_unref(l->found);
	g_free(l);
}

static void refresh_done(struct lib *l)
{
	if (l->closed) {
		l->refreshing = false;
		lib_maybe_free(l);
		return;
	}
	/* A failed listing says so and leaves the rows as they were. */
	if (!l->list_failed)
		apply_found(l);
	l->list_failed = false;
	g_ptr_array_set_size(l->found, 0);
	l->refreshing = false;
	if (l->refresh_again) {
		l->refresh_again = false;
		refresh(l);
	}
}

static void system_listed(void *opaque, int status, const char *out, const char *err)
{
	struct lib *l = opaque;

	if (!l->closed)
		take_list(l, status, out, err, true);
	refresh_done(l);
}

static void user_listed(void *opaque, int status, const char *out, const char *err)
{
	static const char *const sys_args[] = { "list", "--json", "--system", NULL };
	struct lib *l = opaque;
	char *sysdir = ui_vm_bundles_dir(true);
	bool sys = !g_getenv("VMAIN_VMS_DIR") && sysdir && g_file_test(sysdir, G_FILE_TEST_IS_DIR);

	g_free(sysdir);
	if (l->closed) {
		refresh_done(l);
		return;
	}
	take_list(l, status, out, err, false);
	if (sys)
		ui_vmain_run(sys_args, system_listed, l);
	else
		refresh_done(l);
}

static void refresh(struct lib *l)
{
	static const char *const args[] = { "list", "--json", NULL };

	if (l->refreshing) {
		l->refresh_again = true;
		return;
	}
	l->refreshing = true;
	ui_vmain_run(args, user_listed, l);
}

static gboolean refresh_timer(gpointer opaque)
{
	struct lib *l = opaque;

	l->refresh_timer = 0;
	refresh(l);
	return G_SOURCE_REMOVE;
}

/* A bundle or a socket came or went: list again once the changes settle. */
static void dir_changed(GFileMonitor *m, GFile *f, GFile *other, GFileMonitorEvent ev,
			gpointer opaque)
{
	struct lib *l = opaque;

	(void)m;
	(void)f;
	(void)other;
	if (ev != G_FILE_MONITOR_EVENT_CREATED && ev != G_FILE_MONITOR_EVENT_DELETED &&
	    ev != G_FILE_MONITOR_EVENT_MOVED_IN && ev != G_FILE_MONITOR_EVENT_MOVED_OUT &&
	    ev != G_FILE_MONITOR_EVENT_RENAMED && ev != G_FILE_MONITOR_EVENT_CHANGES_DONE_HINT)
		return;
	if (l->refresh_timer)
		g_source_remove(l->refresh_timer);
	l->refresh_timer = g_timeout_add(REFRESH_DEBOUNCE_MS, refresh_timer, l);
}

static void watch_dir(struct lib *l, char *dir, bool make)
{
	GFile *f;
	int i;

	if (!dir)
		return;
	/* The user's directories are made, so that a first VM is seen arriving. */
	if (make)
		g_mkdir_with_parents(dir, 0700);
	for (i = 0; i < MAX_MONITORS && l->monitors[i]; i++)
		;
	if (i < MAX_MONITORS && g_file_test(dir, G_FILE_TEST_IS_DIR)) {
		f = g_file_new_for_path(dir);
		l->monitors[i] = g_file_monitor_directory(f, G_FILE_MONITOR_WATCH_MOVES, NULL,
							  NULL);
		if (l->monitors[i])
			g_signal_connect(l->monitors[i], "changed", G_CALLBACK(dir_changed), l);
		g_object_unref(f);
	}
	g_free(dir);
}

/* ---- the window ---------------------------------------------------------- */

static gint sort_rows(GtkListBoxRow *a, GtkListBoxRow *b, gpointer opaque)
{
	struct row *ra = g_object_get_data(G_OBJECT(a), "vmain-row");
	struct row *rb = g_object_get_data(G_OBJECT(b), "vmain-row");

	(void)opaque;
	if (ra->system != rb->system)
		return ra->system ? 1 : -1;
	return g_strcmp0(ra->name, rb->name);
}

static void on_activated(GtkListBox *box, GtkListBoxRow *row, gpointer opaque)
{
	struct row *r = g_object_get_data(G_OBJECT(row), "vmain-row");
	const char *st;

	(void)box;
	(void)opaque;
	st = row_state(r);
	if (!strcmp(st, "running") || !strcmp(st, "paused"))
		open_display(r);
}

static void on_destroy(GtkWidget *w, gpointer opaque)
{
	struct lib *l = opaque;

	(void)w;
	libraries = g_list_remove(libraries, l);
	if (l->refresh_timer)
		g_source_remove(l->refresh_timer);
	for (int i = 0; i < MAX_MONITORS; i++)
		if (l->monitors[i]) {
			g_signal_handlers_disconnect_by_data(l->monitors[i], l);
			g_object_unref(l->monitors[i]);
		}
	/* The rows and their connections go now (the VMs run on). */
	g_hash_table_destroy(l->rows);
	l->rows = NULL;
	/* A listing or a vmain command still running calls back later: freed then. */
	l->closed = true;
	lib_maybe_free(l);
}

GtkWindow *library_window_open(GtkApplication *app, struct ui_settings *settings)
{
	struct lib *l = g_new0(struct lib, 1);
	GtkWidget *header, *new_btn, *box, *scroll, *placeholder;

	l->app = app;
	l->settings = settings;
	l->rows = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, row_drop);
	l->found = g_ptr_array_new_with_free_func(ui_vm_entry_free);
	l->window = gtk_application_window_new(app);
	gtk_widget_set_name(l->window, "library");
	gtk_window_set_title(GTK_WINDOW(l->window), "vmain");
	gtk_window_set_default_size(GTK_WINDOW(l->window), 760, 480);

	header = gtk_header_bar_new();
	gtk_header_bar_set_show_close_button(GTK_HEADER_BAR(header), TRUE);
	gtk_header_bar_set_title(GTK_HEADER_BAR(header), "vmain");
	gtk_header_bar_set_subtitle(GTK_HEADER_BAR(header), "Virtual machines");
	new_btn = gtk_button_new_with_mnemonic("_New VM\u2026");
	gtk_widget_set_name(new_btn, "new");
	g_signal_connect(new_btn, "clicked", G_CALLBACK(on_new), l);
	gtk_header_bar_pack_start(GTK_HEADER_BAR(header), new_btn);
	gtk_window_set_titlebar(GTK_WINDOW(l->window), header);

	box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 0);
	l->infobar = ui_error_bar_new();
	gtk_box_pack_start(GTK_BOX(box), l->infobar, FALSE, FALSE, 0);

	l->list = gtk_list_box_new();
	gtk_widget_set_name(l->list, "vms");
	gtk_list_box_set_selection_mode(GTK_LIST_BOX(l->list), GTK_SELECTION_NONE);
	gtk_list_box_set_activate_on_single_click(GTK_LIST_BOX(l->list), FALSE);
	gtk_list_box_set_sort_func(GTK_LIST_BOX(l->list), sort_rows, NULL, NULL);
	g_signal_connect(l->list, "row-activated", G_CALLBACK(on_activated), l);
	placeholder = gtk_label_new("No VMs yet. Create one with New VM or `vmain create`.");
	gtk_widget_show(placeholder);
	gtk_list_box_set_placeholder(GTK_LIST_BOX(l->list), placeholder);
	scroll = gtk_scrolled_window_new(NULL, NULL);
	gtk_scrolled_window_set_policy(GTK_SCROLLED_WINDOW(scroll), GTK_POLICY_NEVER,
				       GTK_POLICY_AUTOMATIC);
	gtk_container_add(GTK_CONTAINER(scroll), l->list);
	gtk_box_pack_start(GTK_BOX(box), scroll, TRUE, TRUE, 0);
	gtk_container_add(GTK_CONTAINER(l->window), box);
	g_signal_connect(l->window, "destroy", G_CALLBACK(on_destroy), l);

	watch_dir(l, ui_vm_bundles_dir(false), true);
	watch_dir(l, ui_vm_runtime_dir(false), true);
	if (!g_getenv("VMAIN_VMS_DIR")) {
		watch_dir(l, ui_vm_bundles_dir(true), false);
		watch_dir(l, ui_vm_runtime_dir(true), false);
	}
	libraries = g_list_append(libraries, l);
	gtk_widget_show_all(l->window);
	refresh(l);
	return GTK_WINDOW(l->window);
}

void library_window_stats(GString *out)
{
	for (GList *it = libraries; it; it = it->next) {
		struct lib *l = it->data;
		GList *rows = gtk_container_get_children(GTK_CONTAINER(l->list));

		for (GList *c = rows; c; c = c->next) {
			struct row *r = g_object_get_data(G_OBJECT(c->data), "vmain-row");

			if (r)
				g_string_append_printf(out, "library %s %s%s\n", r->name,
						       row_state(r), r->system ? " system" : "");
		}
		g_list_free(rows);
	}
}
