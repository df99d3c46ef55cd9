/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * state/savefile.h - the save file (a bundle's state.sav): guest RAM and
 * the device-state stream (state/stream.h) of a suspended VM, written so
 * that a crash never leaves a file restore would accept, and laid out so
 * that restore can map RAM straight from it (DESIGN.md "Save and restore").
 *
 * Format, version 1.  All integers little-endian; offsets are from the
 * start of the file.
 *
 *   [0, 4096)            the header (below)
 *   [state_off, +len)    the device-state stream, opaque here (4096)
 *   [map_off, +len)      the page map, 4096-aligned after the stream
 *   [ram_off, +ram_size) the RAM area, 2 MiB-aligned after the map: page
 *                        N (4 KiB) of the caller's RAM mapping at ram_off +
 *                        N * 4096 (the mapping's offset, not a guest-physical
 *                        address: how the machine splits RAM around the
 *                        MMIO hole is the machine's, the same on both sides)
 *
 * Header (4096 bytes):
 *     0  "VMAINSAV"            magic
 *     8  le32 format version   SAVEFILE_VERSION (1)
 *    12  le32 flags            0 (a reader refuses bits it does not know)
 *    16  le32 header size      4096
 *    20  le32 page size        4096
 *    24  le64 ram size         bytes of guest RAM (a page multiple, > 0)
 *    32  le64 created          CLOCK_REALTIME ns at the start of the save
 *    40  le64 state offset     48  le64 state length   56  le32 state CRC
 *    60  le32 map CRC          64  le64 map offset     72  le64 map length
 *    80  le64 ram offset       88  le64 data pages (bits set in the map)
 *    96  char writer[64]       "vmain 0.1": NUL-padded, printable ASCII
 *   160  zeros                 reserved (must be zero)
 *  4092  le32 header CRC       over bytes [0, 4092)
 * CRCs are state_crc32() (IEEE 802.3) from 0.
 *
 * The page map has one bit per guest page, page N at bit N % 8 of byte
 * N / 8 (length ceil(pages / 8), bits past the last page zero): 1 = the
 * page is not all zeros and its contents are in the RAM area; 0 = a zero
 * page, whose place in the RAM area is a hole or (where the writer merged
 * a small zero gap into a larger write) explicit zeros: either way it
 * reads as zeros, so a reader may read or map across it.
 *
 * What is checksummed: the header, the map and the state stream (whose
 * sections carry their own CRCs too).  The RAM area is NOT: a per-MiB CRC
 * would cost a second pass over RAM at save and would force a lazy
 * restore to read all of RAM before the guest runs.  The reader does
 * check that the file is long enough to hold all of it (a truncated file
 * is refused), and the header is written last (below), so a torn write
 * of RAM cannot go unnoticed the way the file is produced.
 *
 * Crash safety.  savefile_write() writes PATH.tmp-XXXXXX in the same
 * directory: its size is set first (the header area is then a hole: zeros,
 * no magic), then RAM, the stream and the map go out, fsync(); only then
 * the header, fsync(), rename() over PATH, fsync() of the directory.  A
 * crash at any point leaves PATH as it was (the previous save, or
 * nothing) and at worst a temporary file that savefile_open() of PATH
 * never looks at (savefile_remove_stale() deletes them).
 *
 * I/O.  RAM goes out with IORING_OP_WRITE at explicit offsets (no lseek
 * and no write position on the save file; the only lseek() calls are
 * SAVEFILE_RAM_FD's SEEK_DATA / SEEK_HOLE queries on the RAM's memfd), O_DIRECT from the RAM mapping itself (page-aligned,
 * no copy), up to SAVEFILE_WRITE_MAX per write, SAVEFILE_DEPTH writes in
 * flight.  Zero pages are skipped, leaving holes: the file is sparse.  A
 * zero gap of at most SAVEFILE_MERGE_GAP between two non-zero runs is
 * written as zeros instead, so that scattered pages still go out in large
 * writes (a few KiB of zeros cost less than another request): its pages
 * from RAM, except those in holes of SAVEFILE_RAM_FD's file, which come
 * from a static buffer of zeros (a vectored write) so that the hole is
 * never read and allocated.  O_DIRECT
 * leaves the host page cache alone; where the filesystem refuses it
 * (EINVAL), or with SAVEFILE_BUFFERED, the writes are buffered and each
 * written range is dropped from the page cache after the fsync
 * (POSIX_FADV_DONTNEED: it does nothing on tmpfs, where the file IS page
 * cache); stats->direct says which way it went.
 *
 * Restore, lazy: savefile_map_ram() maps the RAM area MAP_PRIVATE |
 * MAP_FIXED over the caller's RAM: pages are read on first touch (through
 * the page cache, with the kernel's readahead around each miss, up to the
 * device's read_ahead_kb; madvise(MADV_RANDOM) on the range reads only
 * the pages touched), and a write copies the page (the file never
 * changes).  Holes read as zeros.  This needs:
 *   - guest RAM that may be replaced by a private file mapping at its
 *     address.  vmain's guest RAM is a MAP_SHARED memfd mapping today
 *     (machine/machine.c): after savefile_map_ram() the memfd no longer
 *     backs guest RAM, so nothing may use the memfd as guest RAM any more
 *     (hand it to no one; a process sharing guest RAM through it would
 *     see stale zeros).  The machine must create RAM from the save file
 *     instead of the memfd when restoring lazily, and must map it BEFORE
 *     registering the memory regions with the backend.
 *   - a backend that takes any userspace mapping: KVM does
 *     (KVM_SET_USER_MEMORY_REGION, faults through get_user_pages); so does
 *     vmain.ko (VMAIN_VM_SET_MEMORY_REGION: get_user_pages() at fault
 *     time, MMU notifiers for changes, nothing pinned, kmod/mmu.c), which
 *     follows the copy-on-write of a private file page like any other
 *     change of the mapping.  KVM maps a page read-only on a guest read
 *     and copies it at the first write; vmain.ko's fault asks
 *     get_user_pages() for a writable page even on a read (mmu.c,
 *     map_write), so there every page is copied at its first touch: it
 *     works, at the cost of a copy and of the page cache page kept
 *     alongside until reclaimed.
 *   - the file must not be truncated or rewritten in place while mapped
 *     (a page not yet copied would read the new data or SIGBUS);
 *     unlinking or renaming over it is fine (the mapping keeps the inode).
 *     Invalidate a state file by unlink(), never by truncating it.
 * Restore, eager: savefile_read_ram() reads the present pages into the
 * caller's RAM (fresh zero memory) with O_DIRECT reads of up to
 * SAVEFILE_WRITE_MAX through io_uring; zero pages are left untouched.
 *
 * Errors are -errno with a message in err: -EBADMSG (not a save file,
 * truncated, checksum, inconsistent), -EPROTONOSUPPORT (another format
 * version or unknown flags: "written by vmain X, format N"), -EINVAL
 * (arguments, e.g. a RAM size other than the file's), or the system's.
 *
 * Threads: any one thread per call; a struct savefile is not shared.  The
 * calls are synchronous and block (the VM is paused while saving).
 */
#ifndef VMAIN_MONITOR_STATE_SAVEFILE_H
#define VMAIN_MONITOR_STATE_SAVEFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SAVEFILE_VERSION	1
#define SAVEFILE_HEADER_SIZE	4096u
#define SAVEFILE_PAGE_SIZE	4096u
#define SAVEFILE_RAM_ALIGN	(2u << 20)
#define SAVEFILE_WRITER_MAX	64
/* The largest read or write of RAM, and how many are in flight. */
#define SAVEFILE_WRITE_MAX	(2u << 20)
#define SAVEFILE_DEPTH		8
/* A zero gap of at most this many bytes between data is written as zeros. */
#define SAVEFILE_MERGE_GAP	(64u << 10)
/* The largest state stream a reader accepts (the devices' state, not RAM). */
#define SAVEFILE_STATE_MAX	(256u << 20)

/* Write without O_DIRECT (buffered, then POSIX_FADV_DONTNEED). */
#define SAVEFILE_BUFFERED	(1u << 0)
/*
 * RAM is a mapping of opts->ram_fd from opts->ram_fd_off (the machine's
 * memfd): its holes (SEEK_DATA / SEEK_HOLE) are zero pages, skipped
 * without reading them.  Without it every page of RAM is read, and for a
 * memfd that allocates every page never touched (shmem has no shared
 * zero page): pass it for memfd RAM.
 */
#define SAVEFILE_RAM_FD		(1u << 1)
/*
 * RAM is the caller's own private anonymous memory (the machine's where
 * shmem gets no transparent huge pages, machine.c): a page that
 * /proc/self/pagemap shows neither present nor swapped (bits 63 and 62,
 * Linux Documentation/admin-guide/mm/pagemap.rst) was never written, or
 * was discarded, and reads as zeros: it is skipped without being read,
 * as a hole of SAVEFILE_RAM_FD's file is.  Reading it would only map the
 * shared zero page, but a large guest that touched little of its RAM
 * would still be scanned whole.  Where pagemap cannot be read, every page
 * is read.  Never for a file mapping (a lazily restored RAM): a page not
 * present there is in the file, not zero.
 */
#define SAVEFILE_RAM_ANON	(1u << 2)

struct savefile_stats {
	uint64_t bytes_written;		/* or read; all parts, zeros merged in included */
	uint64_t ram_bytes;		/* of which RAM area */
	uint64_t writes;		/* RAM requests completed (reads for read_ram) */
	uint64_t sqes;			/* SQEs submitted, everything, resubmits included */
	uint64_t zero_pages, data_pages;
	int64_t ns;			/* the whole call, CLOCK_MONOTONIC */
	bool direct;			/* O_DIRECT was used */
};

struct savefile_opts {
	const char *writer;		/* "vmain 0.1" into the header; NULL: "vmain" */
	unsigned flags;			/* SAVEFILE_BUFFERED, SAVEFILE_RAM_FD or _ANON */
	int ram_fd;			/* SAVEFILE_RAM_FD: the file RAM maps */
	uint64_t ram_fd_off;		/* page-aligned */
	/*
	 * Called every 16 MiB of RAM or so, and once with done == total when
	 * the file is in place.
	 */
	void (*progress)(void *opaque, uint64_t done, uint64_t total);
	void *opaque;
};

struct savefile_info {
	uint32_t version;
	uint32_t flags;
	char writer[SAVEFILE_WRITER_MAX + 1];
	int64_t created_ns;		/* CLOCK_REALTIME */
	uint64_t ram_size;
	uint64_t data_pages;		/* non-zero pages */
	uint64_t state_len;
	uint64_t ram_off;		/* where the RAM area starts in the file */
};

struct savefile;

/*
 * Writes `path` atomically (see above) from `ram` (ram_size bytes, a page
 * multiple, page-aligned) and the stream state[0 .. state_len).  opts and
 * stats may be NULL.  0 or -errno with err.  On an error before the
 * rename nothing is left behind (the temporary file is removed) and
 * `path` is unchanged; only a failed fsync() of the directory after the
 * rename returns an error with the new file in place (complete, but its
 * name perhaps not yet durable).
 */
int savefile_write(const char *path, const void *ram, uint64_t ram_size,
		   const void *state, size_t state_len,
		   const struct savefile_opts *opts, struct savefile_stats *stats,
		   char *err, size_t errlen);

/*
 * Opens and validates `path`: magic, version, flags, header CRC, sizes
 * and offsets consistent with each other and with the file's size, map
 * CRC, state CRC.  The stream and the map are read into memory.
 */
int savefile_open(struct savefile **out, const char *path, char *err, size_t errlen);

const struct savefile_info *savefile_info(const struct savefile *f);
/* The device-state stream (valid until savefile_close()). */
const void *savefile_state(const struct savefile *f, size_t *len);
/* Is page `pfn` of RAM a data page (false: a zero page, or out of range)? */
bool savefile_page_present(const struct savefile *f, uint64_t pfn);

/*
 * Lazy restore: maps the RAM area MAP_PRIVATE | MAP_FIXED over `ram`
 * (page-aligned, ram_size bytes, which must be the file's RAM size).
 * The mapping outlives savefile_close().
 */
int savefile_map_ram(struct savefile *f, void *ram, uint64_t ram_size,
		     char *err, size_t errlen);

/*
 * Eager restore: reads every data page into `ram` (page-aligned, ram_size
 * bytes, the file's RAM size), O_DIRECT where the filesystem allows it.
 * Zero pages are not written: `ram` must be zero memory.  stats may be NULL.
 */
int savefile_read_ram(struct savefile *f, void *ram, uint64_t ram_size,
		      struct savefile_stats *stats, char *err, size_t errlen);

void savefile_close(struct savefile *f);

/*
 * Removes the temporary files a killed writer left for `path`
 * (PATH.tmp-XXXXXX).  The number removed, or -errno.
 */
int savefile_remove_stale(const char *path);

#endif
