/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vm/console.h - the serial console (COM1) of a VM, for its whole life.
 *
 * Output from the guest goes to up to two places: the VM's own output
 * (this terminal for a foreground VM, a file, or nothing) and the client
 * attached through the control API (`vmain console`, org.vmain.Console1),
 * which gets a UNIX socket of its own: bytes never travel inside D-Bus
 * messages.  Both are io/outbuf.h buffers, so a slow or stopped reader
 * loses output but never stalls a vCPU.  The last CONSOLE_HISTORY bytes are
 * kept and replayed to a client when it attaches, so it sees the screen it
 * joins.
 *
 * Input comes from the terminal (raw mode; Ctrl-A x asks to stop the VM,
 * Ctrl-A Ctrl-A sends a Ctrl-A) and from the attached client's socket (as
 * it is: the client handles its own detach key), into COM1's FIFO.  One
 * client at a time; when it closes its socket it is detached and the VM
 * carries on, and the next one may attach.
 *
 * Threads: vm_console_write() from any thread with any lock held (it is
 * the machine's serial_write); everything else on the main thread.
 */
#ifndef VMAIN_MONITOR_VM_CONSOLE_H
#define VMAIN_MONITOR_VM_CONSOLE_H

#include <glib.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <termios.h>

#define CONSOLE_HISTORY		(16u << 10)
#define CONSOLE_BUFFER		(1u << 20)	/* per output */

struct ioloop;
struct machine;
struct outbuf;

struct vm_console {
	pthread_mutex_t lock;		/* the outputs and the history */
	struct outbuf *out;		/* the VM's own output, or NULL */
	struct outbuf *client_out;	/* the attached client, or NULL */
	uint8_t history[CONSOLE_HISTORY];
	size_t hist_head, hist_len;
	struct ioloop *loop;

	/* Main thread only. */
	struct machine *m;		/* the machine running now, or NULL */
	int term_fd;			/* terminal input, or -1 */
	int term_flags;			/* its file status flags, restored */
	guint term_source;
	bool raw, escape;
	struct termios saved;
	bool term_eof;
	int client_fd;			/* our end of the client's socket, or -1 */
	guint client_source;
	bool client_reading;		/* client_source watches G_IO_IN too */
	bool paused;			/* the VM is: no input retries */
	uint8_t pending[256];		/* input COM1 had no room for yet */
	size_t npending;
	guint retry_source;
	void (*stop)(void *opaque);	/* Ctrl-A x */
	void *opaque;
};

/* Output to `out` (NULL: none); takes no fd. */
void vm_console_init(struct vm_console *c, struct ioloop *loop, struct outbuf *out);
/* Detaches the client, stops input, restores the terminal (not `out`). */
void vm_console_fini(struct vm_console *c);

/* The machine's serial_write. */
void vm_console_write(void *opaque, const void *buf, size_t len);

/* Where input goes from now on (NULL between machines: it is dropped). */
void vm_console_set_machine(struct vm_console *c, struct machine *m);

/*
 * Input from terminal fd `fd` (a foreground VM); a terminal goes raw, and
 * Ctrl-A x calls stop(opaque).  Says so on stderr when it is a terminal.
 */
int vm_console_take_terminal(struct vm_console *c, int fd, void (*stop)(void *opaque),
			     void *opaque);

/*
 * Attaches a client: returns its end of a new socket in *fd (the caller
 * passes it on and closes it), or -EBUSY while another client is attached.
 */
int vm_console_attach(struct vm_console *c, int *fd);
bool vm_console_attached(const struct vm_console *c);

/* The VM paused or resumed: pending input waits without a timer meanwhile. */
void vm_console_set_paused(struct vm_console *c, bool paused);

#endif
