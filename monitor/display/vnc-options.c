// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * display/vnc-options.c - the `--vnc` option's syntax and the rules
 * around it:
 *
 *   unix:PATH          a unix socket (made mode 0600 by the server)
 *   A.B.C.D:PORT       TCP on that IPv4 address only
 *   [IPV6]:PORT        TCP on that IPv6 address only
 *
 * PORT is 1..65535 (no ":DISPLAY" numbers).  An address outside loopback
 * needs `--vnc-listen-any` and `--vnc-password-file`: the viewer drives
 * the guest's keyboard and mouse, so an open port with no password gives
 * the VM to anyone who reaches it.  The password file's first line is the
 * password: VNC authentication (RFC 6143 7.2.2) keys DES with 8 bytes,
 * so a longer one is refused rather than cut; like ssh with a private
 * key, a file that group or others may access is refused.
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

#define SYNTAX	"unix:PATH, A.B.C.D:PORT or [IPV6]:PORT"

static int parse_port(const char *spec, const char *v, uint16_t *out, char *err, size_t errlen)
{
	unsigned long x;
	char *end;

	errno = 0;
	x = (*v >= '0' && *v <= '9') ? strtoul(v, &end, 10) : 0;
	if (*v < '0' || *v > '9' || errno || *end || x < 1 || x > 65535) {
		snprintf(err, errlen, "'%s': the port '%s' is not a number from 1 to 65535", spec, v);
		return -EINVAL;
	}
	*out = x;
	return 0;
}

int vnc_options_parse(const char *spec, struct vnc_options *o, char *err, size_t errlen)
{
	char host[INET6_ADDRSTRLEN];
	const char *colon;
	uint16_t port;
	size_t n;

	memset(o, 0, sizeof(*o));
	if (!*spec) {
		snprintf(err, errlen, "an empty address: " SYNTAX);
		return -EINVAL;
	}
	if (!strncmp(spec, "unix:", 5)) {
		n = strlen(spec + 5);
		if (!n) {
			snprintf(err, errlen, "'%s': the socket path is empty", spec);
			return -EINVAL;
		}
		if (n > VNC_PATH_MAX) {
			snprintf(err, errlen, "'%.40s...': the socket path is longer than %zu bytes "
				 "(a unix socket address holds no more)", spec, VNC_PATH_MAX);
			return -EINVAL;
		}
		o->unix_ = true;
		memcpy(o->path, spec + 5, n + 1);
		return 0;
	}
	if (spec[0] == '[') {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&o->addr;
		const char *close = strstr(spec, "]:");

		n = close ? (size_t)(close - spec - 1) : 0;
		if (!close || n >= sizeof(host)) {
			snprintf(err, errlen, "'%s': an IPv6 address is written [ADDR]:PORT", spec);
			return -EINVAL;
		}
		memcpy(host, spec + 1, n);
		host[n] = 0;
		if (inet_pton(AF_INET6, host, &a6->sin6_addr) != 1) {
			snprintf(err, errlen, "'%s': '%s' is not an IPv6 address", spec, host);
			return -EINVAL;
		}
		if (parse_port(spec, close + 2, &port, err, errlen))
			return -EINVAL;
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(port);
		o->addrlen = sizeof(*a6);
		return 0;
	}
	colon = strrchr(spec, ':');
	if (!colon) {
		snprintf(err, errlen, "'%s': not an address: " SYNTAX, spec);
		return -EINVAL;
	}
	n = colon - spec;
	if (n >= sizeof(host) || (memcpy(host, spec, n), host[n] = 0,
	    inet_pton(AF_INET, host, &((struct sockaddr_in *)&o->addr)->sin_addr) != 1)) {
		snprintf(err, errlen, "'%s': '%.*s' is not an IPv4 address (A.B.C.D; IPv6 is "
			 "written [ADDR]:PORT)", spec, (int)(n < 64 ? n : 64), spec);
		return -EINVAL;
	}
	if (parse_port(spec, colon + 1, &port, err, errlen))
		return -EINVAL;
	((struct sockaddr_in *)&o->addr)->sin_family = AF_INET;
	((struct sockaddr_in *)&o->addr)->sin_port = htons(port);
	o->addrlen = sizeof(struct sockaddr_in);
	return 0;
}

int vnc_options_load_password(struct vnc_options *o, const char *file,
			      char *err, size_t errlen)
{
	char buf[4096], *nl;
	struct stat st;
	size_t len = 0, n;
	ssize_t r;
	int fd, ret;

	fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", file, strerror(-ret));
		return ret;
	}
	if (fstat(fd, &st)) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", file, strerror(-ret));
		goto out_close;
	}
	ret = -EINVAL;
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", file);
		goto out_close;
	}
	if (st.st_mode & 077) {
		ret = -EPERM;
		snprintf(err, errlen, "%s: permissions %04o are too open: a password file must be "
			 "for its owner only (chmod 600 %s)", file, (unsigned)(st.st_mode & 07777),
			 file);
		goto out_close;
	}
	/* The first line is all that counts: 4 KiB holds it or proves it too long. */
	while (len < sizeof(buf)) {
		r = read(fd, buf + len, sizeof(buf) - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ret = -errno;
			snprintf(err, errlen, "%s: %s", file, strerror(-ret));
			goto out_close;
		}
		if (!r)
			break;
		len += r;
		if (memchr(buf, '\n', len))
			break;
	}
	ret = -EINVAL;
	if (!len) {
		snprintf(err, errlen, "%s: empty (the first line is the password)", file);
		goto out_close;
	}
	nl = memchr(buf, '\n', len);
	n = nl ? (size_t)(nl - buf) : len;
	if (memchr(buf, 0, n)) {
		snprintf(err, errlen, "%s: the password contains a NUL byte", file);
		goto out_close;
	}
	if (n && buf[n - 1] == '\r')
		n--;			/* a file written with CRLF line ends */
	if (!n) {
		snprintf(err, errlen, "%s: the first line is empty (it is the password)", file);
		goto out_close;
	}
	if (n > VNC_PASSWORD_MAX) {
		snprintf(err, errlen, "%s: the password is longer than 8 bytes: VNC passwords are "
			 "8 bytes at most (VNC authentication uses no more)", file);
		goto out_close;
	}
	memset(o->password, 0, sizeof(o->password));
	memcpy(o->password, buf, n);
	o->has_password = true;
	ret = 0;
out_close:
	explicit_bzero(buf, sizeof(buf));
	close(fd);
	return ret;
}

bool vnc_options_loopback(const struct vnc_options *o)
{
	const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)&o->addr;
	const struct sockaddr_in *a4 = (const struct sockaddr_in *)&o->addr;

	if (o->unix_)
		return true;
	if (o->addr.ss_family == AF_INET)
		return (ntohl(a4->sin_addr.s_addr) >> 24) == 127;
	if (IN6_IS_ADDR_LOOPBACK(&a6->sin6_addr))
		return true;
	return IN6_IS_ADDR_V4MAPPED(&a6->sin6_addr) && a6->sin6_addr.s6_addr[12] == 127;
}

int vnc_options_check(const struct vnc_options *o, char *err, size_t errlen)
{
	char host[INET6_ADDRSTRLEN] = "?";

	if (vnc_options_loopback(o))
		return 0;
	if (o->addr.ss_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)&o->addr)->sin_addr, host,
			  sizeof(host));
	else
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)&o->addr)->sin6_addr, host,
			  sizeof(host));
	if (!o->listen_any) {
		snprintf(err, errlen, "%s is not a loopback address: listening beyond this host "
			 "needs --vnc-listen-any and --vnc-password-file", host);
		return -EINVAL;
	}
	if (!o->has_password) {
		snprintf(err, errlen, "--vnc-listen-any on %s needs --vnc-password-file (whoever "
			 "reaches the port drives the VM's keyboard and mouse)", host);
		return -EINVAL;
	}
	return 0;
}
