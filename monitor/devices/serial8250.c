// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * devices/serial8250.c - a 16550A UART.
 *
 * References are to sections of the National Semiconductor (now TI)
 * "PC16550D Universal Asynchronous Receiver/Transmitter with FIFOs"
 * datasheet, cited by section title.
 *
 * Model: transmission is instantaneous.  A byte written to THR goes to the
 * tx callback at once, so THR and the transmitter are always empty (LSR
 * THRE = TEMT = 1) and the TX FIFO never holds anything.  Received bytes
 * wait in a 16-byte FIFO (1 byte in 16450 mode, FCR bit 0 = 0).
 *
 * Approximations, chosen because nothing here has a notion of line time:
 *  - "Character timeout indication" (IIR = 0xC) is reported as soon as
 *    the RX FIFO holds fewer bytes than the trigger level, instead of
 *    after four character times; at or above the trigger level IIR reports
 *    "received data available" (0x4).  A driver reads until LSR.DR drops
 *    in both cases, so it sees the same data.
 *  - The interrupt output is not gated by MCR OUT2 (the PC's tri-state
 *    buffer on the COM port IRQ), as in QEMU: Linux sets OUT2 anyway.
 *  - There are no parity/framing errors or breaks: LSR PE/FE/BI and the
 *    "error in RCVR FIFO" bit stay 0; OE is the one line status error.
 *  - The divisor latch is stored and read back; it does not pace anything.
 */
#include <errno.h>
#include <string.h>

#include "devices/serial8250.h"
#include "state/stream.h"

/* Register offsets ("Table II. Register Summary"). */
enum {
	UART_RBR = 0,	/* read, DLAB = 0 */
	UART_THR = 0,	/* write, DLAB = 0 */
	UART_DLL = 0,	/* DLAB = 1 */
	UART_IER = 1,	/* DLAB = 0 */
	UART_DLM = 1,	/* DLAB = 1 */
	UART_IIR = 2,	/* read */
	UART_FCR = 2,	/* write */
	UART_LCR = 3,
	UART_MCR = 4,
	UART_LSR = 5,
	UART_MSR = 6,
	UART_SCR = 7,
};

#define IER_ERDAI	0x01	/* received data available */
#define IER_ETHREI	0x02	/* THR empty */
#define IER_ELSI	0x04	/* receiver line status */
#define IER_EDSSI	0x08	/* modem status */

#define IIR_NO_INT	0x01
#define IIR_MSI		0x00
#define IIR_THRI	0x02
#define IIR_RDI		0x04
#define IIR_RLSI	0x06
#define IIR_CTI		0x0c
#define IIR_FIFOS	0xc0	/* "FIFOs enabled" bits 6-7 */

#define FCR_ENABLE	0x01
#define FCR_CLEAR_RX	0x02
#define FCR_CLEAR_TX	0x04
#define FCR_TRIGGER	0xc0

#define LCR_WLS		0x03	/* word length select */
#define LCR_DLAB	0x80

#define MCR_DTR		0x01
#define MCR_RTS		0x02
#define MCR_OUT1	0x04
#define MCR_OUT2	0x08
#define MCR_LOOP	0x10
#define MCR_MASK	0x1f

#define LSR_DR		0x01
#define LSR_OE		0x02
#define LSR_PE		0x04
#define LSR_FE		0x08
#define LSR_BI		0x10
#define LSR_THRE	0x20
#define LSR_TEMT	0x40
#define LSR_ERRORS	(LSR_OE | LSR_PE | LSR_FE | LSR_BI)

#define MSR_DCTS	0x01
#define MSR_DDSR	0x02
#define MSR_TERI	0x04
#define MSR_DDCD	0x08
#define MSR_CTS		0x10
#define MSR_DSR		0x20
#define MSR_RI		0x40
#define MSR_DCD		0x80
#define MSR_DELTAS	0x0f

static bool fifo_enabled(const struct serial8250 *s)
{
	return s->fcr & FCR_ENABLE;
}

static unsigned int rx_capacity(const struct serial8250 *s)
{
	return fifo_enabled(s) ? SERIAL8250_FIFO_SIZE : 1;
}

/* "FIFO Control Register": RCVR trigger level, bits 7-6 = 1, 4, 8, 14. */
static unsigned int rx_trigger(const struct serial8250 *s)
{
	static const unsigned int level[4] = { 1, 4, 8, 14 };

	return fifo_enabled(s) ? level[(s->fcr & FCR_TRIGGER) >> 6] : 1;
}

static void rx_clear(struct serial8250 *s)
{
	s->rx_head = 0;
	s->rx_count = 0;
}

/* Queues one received byte; false (and OE) if the FIFO is full. */
static bool rx_push(struct serial8250 *s, uint8_t byte)
{
	if (s->rx_count >= rx_capacity(s)) {
		/*
		 * "Line Status Register", OE: the character in the shift
		 * register is overwritten and the FIFO keeps its contents.
		 */
		s->lsr |= LSR_OE;
		return false;
	}
	s->rx[(s->rx_head + s->rx_count) % SERIAL8250_FIFO_SIZE] = byte;
	s->rx_count++;
	return true;
}

static uint8_t lsr_value(const struct serial8250 *s)
{
	return s->lsr | (s->rx_count ? LSR_DR : 0) | LSR_THRE | LSR_TEMT;
}

/*
 * "Interrupt Identification Register", Table IV "Interrupt Control
 * Functions": the highest-priority enabled pending source.
 */
static uint8_t iir_source(const struct serial8250 *s)
{
	if ((s->ier & IER_ELSI) && (s->lsr & LSR_ERRORS))
		return IIR_RLSI;
	if ((s->ier & IER_ERDAI) && s->rx_count)
		return s->rx_count >= rx_trigger(s) ? IIR_RDI : IIR_CTI;
	if ((s->ier & IER_ETHREI) && s->thr_ipending)
		return IIR_THRI;
	if ((s->ier & IER_EDSSI) && (s->msr & MSR_DELTAS))
		return IIR_MSI;
	return IIR_NO_INT;
}

static void update_irq(struct serial8250 *s)
{
	bool level = iir_source(s) != IIR_NO_INT;

	if (level == s->irq_level)
		return;
	s->irq_level = level;
	if (s->ops.irq)
		s->ops.irq(s->opaque, level);
}

/*
 * The modem status inputs.  "Modem Control Register", bit 4 (loop): in
 * loopback mode DTR drives DSR, RTS drives CTS, OUT1 drives RI and OUT2
 * drives DCD.  Otherwise there is no modem: we present DCD, DSR and CTS
 * asserted, so a driver waiting for carrier or clear-to-send proceeds.
 */
static uint8_t msr_inputs(const struct serial8250 *s)
{
	uint8_t m = 0;

	if (!(s->mcr & MCR_LOOP))
		return MSR_DCD | MSR_DSR | MSR_CTS;
	if (s->mcr & MCR_DTR)
		m |= MSR_DSR;
	if (s->mcr & MCR_RTS)
		m |= MSR_CTS;
	if (s->mcr & MCR_OUT1)
		m |= MSR_RI;
	if (s->mcr & MCR_OUT2)
		m |= MSR_DCD;
	return m;
}

/* "Modem Status Register": set the delta bits for changed inputs. */
static void msr_update(struct serial8250 *s)
{
	uint8_t now = msr_inputs(s), old = s->msr & 0xf0;
	uint8_t changed = now ^ old;

	if (changed & MSR_CTS)
		s->msr |= MSR_DCTS;
	if (changed & MSR_DSR)
		s->msr |= MSR_DDSR;
	if (changed & MSR_DCD)
		s->msr |= MSR_DDCD;
	/* TERI: RI went from on to off (trailing edge) only. */
	if ((old & MSR_RI) && !(now & MSR_RI))
		s->msr |= MSR_TERI;
	s->msr = (s->msr & MSR_DELTAS) | now;
}

void serial8250_init(struct serial8250 *s, const struct serial8250_ops *ops,
		     void *opaque)
{
	memset(s, 0, sizeof(*s));
	if (ops)
		s->ops = *ops;
	s->opaque = opaque;
	/*
	 * "UART Reset Configuration" (Table III): IER, IIR (= 1), FCR, LCR,
	 * MCR = 0; LSR = 0x60; MSR bits 0-3 = 0, bits 4-7 = the inputs.
	 */
	s->msr = msr_inputs(s);
}

int serial8250_register(struct serial8250 *s, struct pio_bus *bus,
			uint16_t base)
{
	return pio_bus_register(bus, base, SERIAL8250_NR_PORTS, serial8250_io,
				s, "serial8250");
}

static void transmit(struct serial8250 *s, uint8_t byte)
{
	/* "Line Control Register", bits 0-1: only 5 + WLS bits go out. */
	byte &= (uint8_t)((1u << (5 + (s->lcr & LCR_WLS))) - 1);
	if (s->mcr & MCR_LOOP)
		rx_push(s, byte);	/* looped back to the receiver */
	else if (s->ops.tx)
		s->ops.tx(s->opaque, byte);
	/* THR emptied at once; the THRE interrupt is pending again. */
	s->thr_ipending = true;
}

static uint8_t reg_read(struct serial8250 *s, uint16_t off)
{
	uint8_t v;

	switch (off) {
	case UART_RBR:
		if (s->lcr & LCR_DLAB)
			return s->dll;
		if (!s->rx_count)
			return 0;	/* nothing received: stale value, 0 here */
		v = s->rx[s->rx_head];
		s->rx_head = (s->rx_head + 1) % SERIAL8250_FIFO_SIZE;
		s->rx_count--;
		return v;
	case UART_IER:
		return (s->lcr & LCR_DLAB) ? s->dlm : s->ier;
	case UART_IIR:
		v = iir_source(s);
		/*
		 * "Interrupt Identification Register", Table IV: the THRE
		 * interrupt is reset by reading IIR "if source of
		 * interrupt" - only when it is the one being reported.
		 */
		if (v == IIR_THRI)
			s->thr_ipending = false;
		return v | (fifo_enabled(s) ? IIR_FIFOS : 0);
	case UART_LCR:
		return s->lcr;
	case UART_MCR:
		return s->mcr;
	case UART_LSR:
		v = lsr_value(s);
		/* "Line Status Register": OE/PE/FE/BI reset when read. */
		s->lsr &= (uint8_t)~LSR_ERRORS;
		return v;
	case UART_MSR:
		v = s->msr;
		/* "Modem Status Register": the delta bits reset when read. */
		s->msr &= (uint8_t)~MSR_DELTAS;
		return v;
	case UART_SCR:
	default:
		return s->scr;
	}
}

static void reg_write(struct serial8250 *s, uint16_t off, uint8_t v)
{
	uint8_t old;

	switch (off) {
	case UART_THR:
		if (s->lcr & LCR_DLAB)
			s->dll = v;
		else
			transmit(s, v);
		break;
	case UART_IER:
		if (s->lcr & LCR_DLAB) {
			s->dlm = v;
			break;
		}
		old = s->ier;
		s->ier = v & 0x0f;
		/*
		 * Enabling ETBEI while THR is empty raises a THRE interrupt
		 * on a real 16550 (Linux's UART_BUG_THRE probe depends on
		 * it); THR is always empty here.
		 */
		if (!(old & IER_ETHREI) && (s->ier & IER_ETHREI))
			s->thr_ipending = true;
		break;
	case UART_FCR:
		/*
		 * "FIFO Control Register": changing bit 0 clears both FIFOs;
		 * bits 1 and 2 clear the RCVR/XMIT FIFO and self-clear.  The
		 * other bits only count while bit 0 is set.
		 */
		if ((v ^ s->fcr) & FCR_ENABLE)
			rx_clear(s);
		if (v & FCR_CLEAR_RX)
			rx_clear(s);
		s->fcr = (v & FCR_ENABLE) ? (v & (FCR_ENABLE | FCR_TRIGGER)) : 0;
		break;
	case UART_LCR:
		s->lcr = v;
		break;
	case UART_MCR:
		s->mcr = v & MCR_MASK;
		msr_update(s);
		break;
	case UART_LSR:
		/* "Line Status Register": for factory test only; ignored. */
		break;
	case UART_MSR:
		/* Read-only in practice; writes are ignored. */
		break;
	case UART_SCR:
	default:
		s->scr = v;
		break;
	}
}

static int serial8250_byte(void *opaque, uint16_t off, bool write, uint8_t *val)
{
	struct serial8250 *s = opaque;

	if (write)
		reg_write(s, off, *val);
	else
		*val = reg_read(s, off);
	update_irq(s);
	return 0;
}

/*
 * The UART has 8-bit registers on an 8-bit bus: a 16/32-bit access is
 * split into byte accesses at consecutive offsets (pio_io_bytewise());
 * bytes past offset 7 read 0xff and are not written.
 */
int serial8250_io(void *opaque, uint16_t port_offset, unsigned size,
		  bool write, uint32_t *data)
{
	return pio_io_bytewise(opaque, serial8250_byte, SERIAL8250_NR_PORTS,
			       port_offset, size, write, data);
}

size_t serial8250_rx_room(const struct serial8250 *s)
{
	if (s->mcr & MCR_LOOP)
		return 0;
	return rx_capacity(s) - s->rx_count;
}

size_t serial8250_receive(struct serial8250 *s, const uint8_t *buf, size_t len)
{
	size_t i, taken = 0;

	/* "Modem Control Register", loop: the serial input is disconnected. */
	if (s->mcr & MCR_LOOP)
		return 0;
	for (i = 0; i < len; i++) {
		if (rx_push(s, buf[i]))
			taken++;
		else
			break;	/* OE set; the rest is lost with it */
	}
	update_irq(s);
	return taken;
}

/* --- save and restore --------------------------------------------------- */

#define SERIAL8250_STATE_VERSION	1

int serial8250_save(const struct serial8250 *s, struct state_writer *w)
{
	unsigned int i;

	state_section_begin(w, "serial8250", 0, SERIAL8250_STATE_VERSION);
	state_put_u8(w, s->ier);
	state_put_u8(w, s->fcr);
	state_put_u8(w, s->lcr);
	state_put_u8(w, s->mcr);
	state_put_u8(w, s->lsr);
	state_put_u8(w, s->msr);
	state_put_u8(w, s->scr);
	state_put_u8(w, s->dll);
	state_put_u8(w, s->dlm);
	state_put_bool(w, s->thr_ipending);
	state_put_bool(w, s->irq_level);
	/* The receive FIFO oldest first (its ring position is not state). */
	state_put_u8(w, (uint8_t)s->rx_count);
	for (i = 0; i < s->rx_count; i++)
		state_put_u8(w, s->rx[(s->rx_head + i) % SERIAL8250_FIFO_SIZE]);
	state_section_end(w);
	return state_writer_error(w);
}

int serial8250_load(struct serial8250 *s, struct state_reader *r)
{
	struct serial8250 t = *s;
	unsigned int i;
	int ret;

	ret = state_section_open(r, "serial8250", 0, SERIAL8250_STATE_VERSION, NULL);
	if (ret)
		return ret;
	t.ier = state_get_u8(r);
	t.fcr = state_get_u8(r);
	t.lcr = state_get_u8(r);
	t.mcr = state_get_u8(r);
	t.lsr = state_get_u8(r);
	t.msr = state_get_u8(r);
	t.scr = state_get_u8(r);
	t.dll = state_get_u8(r);
	t.dlm = state_get_u8(r);
	t.thr_ipending = state_get_bool(r);
	t.irq_level = state_get_bool(r);
	t.rx_count = state_get_u8(r);
	t.rx_head = 0;
	/*
	 * An FCR write keeps only the enable and trigger bits, and none of
	 * them with the FIFOs off; with them off the receiver holds one byte
	 * (16450 mode), and serial8250_rx_room() subtracts from that.
	 */
	if ((t.fcr & ~(FCR_ENABLE | FCR_TRIGGER)) ||
	    (t.fcr && !(t.fcr & FCR_ENABLE)))
		return state_reader_fail(r, "FCR 0x%x with reserved bits", t.fcr);
	if (t.rx_count > rx_capacity(&t))
		return state_reader_fail(r, "%u bytes in a %u-byte FIFO", t.rx_count,
					 rx_capacity(&t));
	for (i = 0; i < t.rx_count; i++)
		t.rx[i] = state_get_u8(r);
	/* The register widths the model keeps (serial8250.h). */
	if ((t.ier & 0xf0) || (t.mcr & 0xe0))
		state_reader_fail(r, "IER 0x%x / MCR 0x%x with reserved bits",
				  t.ier, t.mcr);
	ret = state_section_close(r);
	if (ret)
		return ret;
	*s = t;
	return 0;
}
