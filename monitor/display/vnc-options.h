/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * display/vnc-options.h - where the VNC server listens (`--vnc`), and
 * whether it may listen beyond loopback (`--vnc-listen-any`, only with
 * `--vnc-password-file`).  Syntax and rules in vnc-options.c.
 */
#ifndef VMAIN_MONITOR_DISPLAY_VNC_OPTIONS_H
#define VMAIN_MONITOR_DISPLAY_VNC_OPTIONS_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>

#define VNC_PASSWORD_MAX	8	/* VNC authentication keys DES with 8 bytes (RFC 6143 7.2.2) */
#define VNC_PATH_MAX		(sizeof(((struct sockaddr_un *)0)->sun_path) - 1)

struct vnc_options {
	bool unix_;			/* a unix socket at `path`, else TCP at `addr` */
	char path[VNC_PATH_MAX + 1];
	/*
	 * TCP: a sockaddr_in or sockaddr_in6 (addr.ss_family says which).
	 * The parser never leaves port 0; a caller filling this by hand may
	 * (the kernel picks one: vnc_server_port() tells which).
	 */
	struct sockaddr_storage addr;
	socklen_t addrlen;
	bool listen_any;		/* --vnc-listen-any */
	bool has_password;
	char password[VNC_PASSWORD_MAX + 1];	/* NUL-terminated, 1..8 bytes */
};

/*
 * `--vnc unix:PATH`, `--vnc A.B.C.D:PORT` or `--vnc [IPV6]:PORT` into
 * `o` (listen_any false, no password).  0, or -EINVAL with one line in
 * err.
 */
int vnc_options_parse(const char *spec, struct vnc_options *o, char *err, size_t errlen);

/*
 * Reads the password from the first line of `file` (`--vnc-password-file`):
 * 1..8 bytes, the file a regular one that neither group nor others may
 * access.  0 or -errno with one line in err.
 */
int vnc_options_load_password(struct vnc_options *o, const char *file,
			      char *err, size_t errlen);

/*
 * The rule the whole is held to: a TCP address outside loopback needs
 * listen_any and a password.  0 or -EINVAL with one line in err.
 */
int vnc_options_check(const struct vnc_options *o, char *err, size_t errlen);

/* Is this TCP address a loopback one (127.0.0.0/8, ::1, ::ffff:127.x.y.z)? */
bool vnc_options_loopback(const struct vnc_options *o);

#endif
