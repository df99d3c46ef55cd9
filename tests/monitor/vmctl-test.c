// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vmctl-test - helpers for the lifecycle tests in the arena
 * (tests/monitor/lifecycle-guest.sh) that a shell cannot do well:
 *
 *   vmctl-test stress SOCKET CLIENTS CALLS
 *       CLIENTS processes, each on its own connection, make CALLS property
 *       reads (org.freedesktop.DBus.Properties.GetAll of org.vmain.VM1) as
 *       fast as the VM answers; prints "calls=N errors=E max_ms=M" and
 *       exits 0 when every call was answered.
 *   vmctl-test notify PATH SECONDS
 *       Listens on PATH as systemd's $NOTIFY_SOCKET does (sd_notify(3):
 *       AF_UNIX datagrams) and prints each message on one line; exits 0 at
 *       the first READY=1, 1 after SECONDS without it.
 *   vmctl-test hold SOCKET SECONDS
 *       Connects and does nothing for SECONDS (an idle client).
 *   vmctl-test connect SOCKET
 *       Connects and reads State: prints it, or the error; exits 0 or 1.
 *   vmctl-test noread SOCKET CALLS SECONDS
 *       A client that never reads: authenticates by hand (D-Bus
 *       specification, "Authentication Protocol"), sends CALLS GetAll
 *       calls at once, then sleeps SECONDS with every reply unread.
 *   vmctl-test badargs SOCKET
 *       Calls Stop with a string and Pause with an argument, as a client
 *       that ignores the introspection data would, and prints the error
 *       name of each ("none" when a call succeeded); exits 0.
 */
#include <errno.h>
#include <gio/gio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static GDBusConnection *connect_to(const char *sock)
{
	GError *err = NULL;
	char *addr = g_strdup_printf("unix:path=%s", sock);
	GDBusConnection *c;

	c = g_dbus_connection_new_for_address_sync(addr,
		G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT, NULL, NULL, &err);
	g_free(addr);
	if (!c) {
		fprintf(stderr, "vmctl-test: %s: %s\n", sock, err->message);
		g_error_free(err);
	}
	return c;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int client(const char *sock, int calls, int out)
{
	GDBusConnection *c = connect_to(sock);
	double max = 0, t;
	int i, errors = 0;
	GVariant *r;
	char line[64];

	if (!c)
		errors = calls;
	for (i = 0; c && i < calls; i++) {
		t = now_ms();
		r = g_dbus_connection_call_sync(c, NULL, "/org/vmain/VM",
			"org.freedesktop.DBus.Properties", "GetAll",
			g_variant_new("(s)", "org.vmain.VM1"), NULL, G_DBUS_CALL_FLAGS_NONE,
			10000, NULL, NULL);
		t = now_ms() - t;
		if (t > max)
			max = t;
		if (r)
			g_variant_unref(r);
		else
			errors++;
	}
	snprintf(line, sizeof(line), "%d %.1f\n", errors, max);
	(void)!write(out, line, strlen(line));
	return 0;
}

static int stress(const char *sock, int clients, int calls)
{
	int p[2], i, errors = 0, e;
	double max = 0, m;
	FILE *in;

	if (pipe(p))
		return 1;
	for (i = 0; i < clients; i++) {
		if (fork() == 0) {
			close(p[0]);
			_exit(client(sock, calls, p[1]));
		}
	}
	close(p[1]);
	in = fdopen(p[0], "r");
	while (fscanf(in, "%d %lf", &e, &m) == 2) {
		errors += e;
		if (m > max)
			max = m;
	}
	while (wait(NULL) > 0)
		;
	printf("calls=%d errors=%d max_ms=%.1f\n", clients * calls, errors, max);
	return errors ? 1 : 0;
}

static int notify(const char *path, int seconds)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 1 };
	char buf[4096];
	time_t end = time(NULL) + seconds;
	ssize_t n;
	int fd;

	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	if (fd < 0 || strlen(path) >= sizeof(sa.sun_path))
		return 1;
	strcpy(sa.sun_path, path);
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		perror("vmctl-test: bind");
		return 1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	printf("listening\n");
	fflush(stdout);
	while (time(NULL) < end) {
		n = recv(fd, buf, sizeof(buf) - 1, 0);
		if (n <= 0)
			continue;
		buf[n] = 0;
		for (char *p = buf; *p; p++)
			if (*p == '\n')
				*p = ' ';
		printf("%s\n", buf);
		fflush(stdout);
		if (strstr(buf, "READY=1"))
			return 0;
	}
	return 1;
}

static int noread(const char *sock, int calls, int seconds)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char line[256], uid[32], hex[64];
	GDBusMessage *m;
	guchar *blob;
	gsize len;
	ssize_t n;
	int fd, i;

	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0 || strlen(sock) >= sizeof(sa.sun_path))
		return 1;
	strcpy(sa.sun_path, sock);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		perror("vmctl-test: connect");
		return 1;
	}
	snprintf(uid, sizeof(uid), "%u", (unsigned)geteuid());
	for (i = 0; uid[i]; i++)
		sprintf(hex + 2 * i, "%02x", (unsigned char)uid[i]);
	snprintf(line, sizeof(line), "AUTH EXTERNAL %s\r\n", hex);
	if (write(fd, "", 1) != 1 || write(fd, line, strlen(line)) != (ssize_t)strlen(line))
		return 1;
	n = read(fd, line, sizeof(line) - 1);
	if (n < 3 || strncmp(line, "OK ", 3)) {
		fprintf(stderr, "vmctl-test: authentication refused\n");
		return 1;
	}
	if (write(fd, "BEGIN\r\n", 7) != 7)
		return 1;
	for (i = 0; i < calls; i++) {
		m = g_dbus_message_new_method_call(NULL, "/org/vmain/VM",
			"org.freedesktop.DBus.Properties", "GetAll");
		g_dbus_message_set_body(m, g_variant_new("(s)", "org.vmain.VM1"));
		g_dbus_message_set_serial(m, (guint32)i + 1);
		blob = g_dbus_message_to_blob(m, &len, G_DBUS_CAPABILITY_FLAGS_NONE, NULL);
		if (!blob || write(fd, blob, len) != (ssize_t)len) {
			fprintf(stderr, "vmctl-test: write %d: %s\n", i, strerror(errno));
			return 1;
		}
		g_free(blob);
		g_object_unref(m);
	}
	printf("sent %d calls; reading none\n", calls);
	fflush(stdout);
	sleep((unsigned)seconds);
	close(fd);
	return 0;
}

static int connect_only(const char *sock)
{
	GDBusConnection *c = connect_to(sock);
	GError *err = NULL;
	GVariant *r;

	if (!c)
		return 1;
	r = g_dbus_connection_call_sync(c, NULL, "/org/vmain/VM",
		"org.freedesktop.DBus.Properties", "Get",
		g_variant_new("(ss)", "org.vmain.VM1", "State"), NULL, G_DBUS_CALL_FLAGS_NONE,
		10000, NULL, &err);
	if (!r) {
		printf("error: %s\n", err->message);
		return 1;
	}
	printf("connected: %s\n", g_variant_print(r, FALSE));
	return 0;
}

static void bad_call(GDBusConnection *c, const char *method, GVariant *args)
{
	GError *err = NULL;
	GVariant *r;
	char *name;

	r = g_dbus_connection_call_sync(c, NULL, "/org/vmain/VM", "org.vmain.VM1", method, args,
					NULL, G_DBUS_CALL_FLAGS_NONE, 10000, NULL, &err);
	if (r) {
		printf("%s: none\n", method);
		g_variant_unref(r);
		return;
	}
	name = g_dbus_error_get_remote_error(err);
	printf("%s: %s\n", method, name ? name : err->message);
	g_free(name);
	g_error_free(err);
}

static int badargs(const char *sock)
{
	GDBusConnection *c = connect_to(sock);

	if (!c)
		return 1;
	bad_call(c, "Stop", g_variant_new("(s)", "soon"));
	bad_call(c, "Pause", g_variant_new("(u)", 1));
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "connect"))
		return connect_only(argv[2]);
	if (argc == 5 && !strcmp(argv[1], "noread"))
		return noread(argv[2], atoi(argv[3]), atoi(argv[4]));
	if (argc == 3 && !strcmp(argv[1], "badargs"))
		return badargs(argv[2]);
	if (argc == 5 && !strcmp(argv[1], "stress"))
		return stress(argv[2], atoi(argv[3]), atoi(argv[4]));
	if (argc == 4 && !strcmp(argv[1], "notify"))
		return notify(argv[2], atoi(argv[3]));
	if (argc == 4 && !strcmp(argv[1], "hold")) {
		GDBusConnection *c = connect_to(argv[2]);

		if (!c)
			return 1;
		sleep((unsigned)atoi(argv[3]));
		g_object_unref(c);
		return 0;
	}
	fprintf(stderr, "usage: vmctl-test stress SOCKET CLIENTS CALLS | notify PATH SECONDS | "
		"hold SOCKET SECONDS\n");
	return 2;
}
