/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * decode-types.h - the few types and constants the x86 decoder needs, from
 * the kernel's headers when built into vmain.ko and from libc otherwise.
 *
 * The decoder itself uses only: uint8_t..uint64_t, int8_t..int64_t, size_t,
 * bool, the errno values ENODATA, EOPNOTSUPP, EINVAL and E2BIG, memset(), and
 * va_list/vsnprintf() (for x86_insn_describe() only).  <linux/types.h>
 * provides the C99 names of the fixed-width types for kernel code, so the
 * same spelling works in both.
 */
#ifndef VMAIN_X86_DECODE_TYPES_H
#define VMAIN_X86_DECODE_TYPES_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/errno.h>
#include <linux/string.h>
#include <linux/kernel.h>	/* vsnprintf() */
#include <linux/stdarg.h>
#else
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>		/* vsnprintf() */
#include <string.h>
#endif

#endif /* VMAIN_X86_DECODE_TYPES_H */
