// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vnc-options-test.c - the `--vnc` syntax, the password file and the
 * loopback rule (monitor/display/vnc-options.c): every accepted form and
 * every error message, exactly.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "display/vnc-options.h"
#include "tap.h"

static char dir[] = "/tmp/vnc-options-test.XXXXXX";

static unsigned port_of(const struct vnc_options *o)
{
	if (o->addr.ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)&o->addr)->sin6_port);
	return ntohs(((const struct sockaddr_in *)&o->addr)->sin_port);
}

static const char *host_of(const struct vnc_options *o)
{
	static char buf[INET6_ADDRSTRLEN];

	if (o->addr.ss_family == AF_INET6)
		return inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)&o->addr)->sin6_addr,
				 buf, sizeof(buf));
	return inet_ntop(AF_INET, &((const struct sockaddr_in *)&o->addr)->sin_addr, buf,
			 sizeof(buf));
}

static void accepted(void)
{
	struct vnc_options o;
	char err[256] = "", path[200];
	int ret;

	ret = vnc_options_parse("unix:/run/vm/vnc.sock", &o, err, sizeof(err));
	tap_ok(!ret && o.unix_ && !strcmp(o.path, "/run/vm/vnc.sock") && !o.listen_any &&
	       !o.has_password && vnc_options_loopback(&o) && !vnc_options_check(&o, err, 256),
	       "unix:PATH: a unix socket, allowed as it is (%s)", err);
	memset(path, 'p', 107);
	memcpy(path, "unix:", 5);
	path[112] = 0;
	memset(path + 5, 'p', 107);
	ret = vnc_options_parse(path, &o, err, sizeof(err));
	tap_ok(!ret && strlen(o.path) == 107, "unix: a 107-byte path, the most sun_path holds");

	ret = vnc_options_parse("127.0.0.1:5900", &o, err, sizeof(err));
	tap_ok(!ret && !o.unix_ && o.addr.ss_family == AF_INET &&
	       o.addrlen == sizeof(struct sockaddr_in) && !strcmp(host_of(&o), "127.0.0.1") &&
	       port_of(&o) == 5900 && vnc_options_loopback(&o) &&
	       !vnc_options_check(&o, err, 256), "127.0.0.1:5900: IPv4 loopback (%s)", err);
	ret = vnc_options_parse("127.1.2.3:1", &o, err, sizeof(err));
	tap_ok(!ret && port_of(&o) == 1 && vnc_options_loopback(&o),
	       "127.1.2.3:1: all of 127/8 is loopback, port 1 the lowest");
	ret = vnc_options_parse("[::1]:65535", &o, err, sizeof(err));
	tap_ok(!ret && o.addr.ss_family == AF_INET6 && o.addrlen == sizeof(struct sockaddr_in6) &&
	       !strcmp(host_of(&o), "::1") && port_of(&o) == 65535 && vnc_options_loopback(&o),
	       "[::1]:65535: IPv6 loopback, port 65535 the highest (%s)", err);
	ret = vnc_options_parse("[::ffff:127.0.0.1]:5901", &o, err, sizeof(err));
	tap_ok(!ret && vnc_options_loopback(&o), "[::ffff:127.0.0.1]: v4-mapped loopback");
	ret = vnc_options_parse("192.168.1.10:5900", &o, err, sizeof(err));
	tap_ok(!ret && !vnc_options_loopback(&o) && !strcmp(host_of(&o), "192.168.1.10"),
	       "192.168.1.10:5900 parses (the loopback rule is vnc_options_check's)");
	ret = vnc_options_parse("[fe80::1]:5900", &o, err, sizeof(err));
	tap_ok(!ret && !vnc_options_loopback(&o), "[fe80::1]:5900 parses, not loopback");
}

static void refused(void)
{
	static const struct { const char *spec, *msg; } cases[] = {
		{ "", "an empty address: unix:PATH, A.B.C.D:PORT or [IPV6]:PORT" },
		{ "unix:", "'unix:': the socket path is empty" },
		{ "5900", "'5900': not an address: unix:PATH, A.B.C.D:PORT or [IPV6]:PORT" },
		{ "localhost:5900", "'localhost:5900': 'localhost' is not an IPv4 address (A.B.C.D; "
		  "IPv6 is written [ADDR]:PORT)" },
		{ ":5900", "':5900': '' is not an IPv4 address (A.B.C.D; IPv6 is written [ADDR]:PORT)" },
		{ "::1:5900", "'::1:5900': '::1' is not an IPv4 address (A.B.C.D; IPv6 is written "
		  "[ADDR]:PORT)" },
		{ "127.0.0.1:0", "'127.0.0.1:0': the port '0' is not a number from 1 to 65535" },
		{ "127.0.0.1:65536", "'127.0.0.1:65536': the port '65536' is not a number from 1 to 65535" },
		{ "127.0.0.1:", "'127.0.0.1:': the port '' is not a number from 1 to 65535" },
		{ "127.0.0.1:59x", "'127.0.0.1:59x': the port '59x' is not a number from 1 to 65535" },
		{ "127.0.0.1:-1", "'127.0.0.1:-1': the port '-1' is not a number from 1 to 65535" },
		{ "127.0.0.1:+5", "'127.0.0.1:+5': the port '+5' is not a number from 1 to 65535" },
		{ "127.0.0.1:99999999999999999999", "'127.0.0.1:99999999999999999999': the port "
		  "'99999999999999999999' is not a number from 1 to 65535" },
		{ "[::1]", "'[::1]': an IPv6 address is written [ADDR]:PORT" },
		{ "[::1]5900", "'[::1]5900': an IPv6 address is written [ADDR]:PORT" },
		{ "[::g]:5900", "'[::g]:5900': '::g' is not an IPv6 address" },
		{ "[127.0.0.1]:5900", "'[127.0.0.1]:5900': '127.0.0.1' is not an IPv6 address" },
		{ "[::1]:0", "'[::1]:0': the port '0' is not a number from 1 to 65535" },
	};
	char long_path[200], want[256];
	struct vnc_options o;
	char err[256];
	size_t i;
	int ret;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = 0;
		ret = vnc_options_parse(cases[i].spec, &o, err, sizeof(err));
		tap_ok(ret == -EINVAL && !strcmp(err, cases[i].msg), "'%s' refused: %s",
		       cases[i].spec, err);
	}
	memcpy(long_path, "unix:", 5);
	memset(long_path + 5, 'q', 108);
	long_path[113] = 0;
	ret = vnc_options_parse(long_path, &o, err, sizeof(err));
	snprintf(want, sizeof(want), "'%.40s...': the socket path is longer than 107 bytes (a unix "
		 "socket address holds no more)", long_path);
	tap_ok(ret == -EINVAL && !strcmp(err, want), "a 108-byte unix path refused: %s", err);
}

static void loopback_rule(void)
{
	struct vnc_options o;
	char err[256];
	int ret;

	vnc_options_parse("0.0.0.0:5900", &o, err, sizeof(err));
	ret = vnc_options_check(&o, err, sizeof(err));
	tap_ok(ret == -EINVAL && !strcmp(err, "0.0.0.0 is not a loopback address: listening beyond "
					 "this host needs --vnc-listen-any and --vnc-password-file"),
	       "0.0.0.0 without --vnc-listen-any refused: %s", err);
	o.listen_any = true;
	ret = vnc_options_check(&o, err, sizeof(err));
	tap_ok(ret == -EINVAL && !strcmp(err, "--vnc-listen-any on 0.0.0.0 needs "
					 "--vnc-password-file (whoever reaches the port drives "
					 "the VM's keyboard and mouse)"),
	       "--vnc-listen-any without a password refused: %s", err);
	o.has_password = true;
	strcpy(o.password, "pw");
	tap_ok(!vnc_options_check(&o, err, sizeof(err)), "--vnc-listen-any with a password: allowed");

	vnc_options_parse("[2001:db8::5]:5900", &o, err, sizeof(err));
	o.has_password = true;
	ret = vnc_options_check(&o, err, sizeof(err));
	tap_ok(ret == -EINVAL && !strcmp(err, "2001:db8::5 is not a loopback address: listening "
					 "beyond this host needs --vnc-listen-any and "
					 "--vnc-password-file"),
	       "an IPv6 address with a password but no --vnc-listen-any refused: %s", err);
}

/* Writes `len` bytes of `data` to dir/name with `mode`; returns the path. */
static const char *file(const char *name, const char *data, size_t len, mode_t mode)
{
	static char path[4][300];
	static int n;
	int fd;

	n = (n + 1) % 4;
	snprintf(path[n], sizeof(path[n]), "%s/%s", dir, name);
	unlink(path[n]);
	fd = open(path[n], O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, data, len) != (ssize_t)len || fchmod(fd, mode))
		tap_diag("writing %s: %s", path[n], strerror(errno));
	close(fd);
	return path[n];
}

static void password(void)
{
	static const struct { const char *name, *data; size_t len; const char *pw; } good[] = {
		{ "eight", "12345678\n", 9, "12345678" },
		{ "one", "x", 1, "x" },
		{ "crlf", "s3cret\r\nsecond line is ignored\n", 31, "s3cret" },
		{ "spaces", " a b \n", 6, " a b " },
	};
	struct vnc_options o;
	char err[256], want[512];
	const char *p;
	size_t i;
	int ret;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		memset(&o, 0, sizeof(o));
		p = file(good[i].name, good[i].data, good[i].len, 0600);
		err[0] = 0;
		ret = vnc_options_load_password(&o, p, err, sizeof(err));
		tap_ok(!ret && o.has_password && !strcmp(o.password, good[i].pw),
		       "password file '%s': password '%s' (%s)", good[i].name, o.password, err);
	}
	p = file("ro", "pw\n", 3, 0400);
	ret = vnc_options_load_password(&o, p, err, sizeof(err));
	tap_ok(!ret && !strcmp(o.password, "pw"), "mode 0400 is fine");

	p = file("nine", "123456789\n", 10, 0600);
	ret = vnc_options_load_password(&o, p, err, sizeof(err));
	snprintf(want, sizeof(want), "%s: the password is longer than 8 bytes: VNC passwords are "
		 "8 bytes at most (VNC authentication uses no more)", p);
	tap_ok(ret == -EINVAL && !strcmp(err, want), "9 bytes refused: %s", err);
	{
		char big[5000];

		memset(big, 'z', sizeof(big));
		p = file("huge", big, sizeof(big), 0600);
		ret = vnc_options_load_password(&o, p, err, sizeof(err));
		snprintf(want, sizeof(want), "%s: the password is longer than 8 bytes: VNC "
			 "passwords are 8 bytes at most (VNC authentication uses no more)", p);
		tap_ok(ret == -EINVAL && !strcmp(err, want), "a 5000-byte line refused: %s", err);
	}
	p = file("empty", "", 0, 0600);
	ret = vnc_options_load_password(&o, p, err, sizeof(err));
	snprintf(want, sizeof(want), "%s: empty (the first line is the password)", p);
	tap_ok(ret == -EINVAL && !strcmp(err, want), "an empty file refused: %s", err);
	p = file("blank-line", "\nsecond\n", 8, 0600);
	ret = vnc_options_load_password(&o, p, err, sizeof(err));
	snprintf(want, sizeof(want), "%s: the first line is empty (it is the password)", p);
	tap_ok(ret == -EINVAL && !strcmp(err, want), "an empty first line refused: %s", err);
	p = file("crlf-only", "\r\n", 2, 0600);
	ret = vnc_options_load_password(&o, p, err, sizeof(err));
	snprintf(want, sizeof(want), "%s: the first line is empty (it is the password)", p);
	tap_ok(ret == -EINVAL && !strcmp(err, want), "a first line of just CR refused: %s", err);
	p = file("nul", "ab\0cd\n", 6, 0600);
	ret = vnc_options_load_password(&o, p, err, sizeof(err));
	snprintf(want, sizeof(want), "%s: the password contains a NUL byte", p);
	tap_ok(ret == -EINVAL && !strcmp(err, want), "a NUL byte refused: %s", err);

	p = file("group", "pw\n", 3, 0640);
	ret = vnc_options_load_password(&o, p, err, sizeof(err));
	snprintf(want, sizeof(want), "%s: permissions 0640 are too open: a password file must be "
		 "for its owner only (chmod 600 %s)", p, p);
	tap_ok(ret == -EPERM && !strcmp(err, want), "group-readable refused: %s", err);
	p = file("world", "pw\n", 3, 0604);
	ret = vnc_options_load_password(&o, p, err, sizeof(err));
	snprintf(want, sizeof(want), "%s: permissions 0604 are too open: a password file must be "
		 "for its owner only (chmod 600 %s)", p, p);
	tap_ok(ret == -EPERM && !strcmp(err, want), "world-readable refused: %s", err);
	p = file("gw", "pw\n", 3, 0620);
	ret = vnc_options_load_password(&o, p, err, sizeof(err));
	tap_ok(ret == -EPERM, "group-writable refused too: %s", err);

	snprintf(want, sizeof(want), "%s/missing", dir);
	ret = vnc_options_load_password(&o, want, err, sizeof(err));
	tap_ok(ret == -ENOENT && !strncmp(err, want, strlen(want)) &&
	       !strcmp(err + strlen(want), ": No such file or directory"),
	       "a missing file: %s", err);
	ret = vnc_options_load_password(&o, dir, err, sizeof(err));
	snprintf(want, sizeof(want), "%s: not a regular file", dir);
	tap_ok(ret == -EINVAL && !strcmp(err, want), "a directory refused: %s", err);
}

int main(void)
{
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	chmod(dir, 0755);	/* the files' own modes are what is checked */
	accepted();
	refused();
	loopback_rule();
	password();
	{
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd))
			tap_diag("could not remove %s", dir);
	}
	return tap_done();
}
