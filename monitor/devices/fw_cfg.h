/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * devices/fw_cfg.h - the QEMU firmware configuration interface (QEMU's
 * docs/specs/fw_cfg.rst), the x86 I/O-port flavour that SeaBIOS
 * (src/fw/paravirt.c) and Linux's qemu_fw_cfg driver use:
 *
 *   0x510  selector, 16-bit write: selects an item (key) and rewinds
 *          its offset to 0
 *   0x511  data, 8-bit read: the selected item's next byte (0 past its
 *          end or for a key nothing answers); writes are ignored, as in
 *          QEMU since 2.4 (no item is guest-writable here)
 *   0x514  DMA address, big-endian: a 32-bit write at 0x514 latches the
 *          high half, a 32-bit write at 0x518 the low half and starts the
 *          transfer described by the FWCfgDmaAccess at that address (the
 *          x86 port bus has no 64-bit access).  Reads give the signature
 *          "QEMU CFG" (fw_cfg.rst "DMA interface").
 *
 * Items are raw byte strings under a 16-bit key: the standard keys below,
 * and named files (keys from FW_CFG_FILE_FIRST, in the order of the
 * names, as QEMU assigns them) listed in the file directory at key
 * FW_CFG_FILE_DIR (be32 count, then per file be32 size, be16 select,
 * be16 reserved, char name[56]).  The standard keys FW_CFG_SIGNATURE
 * ("QEMU"), FW_CFG_ID (traditional + DMA) and FW_CFG_FILE_DIR exist from
 * fw_cfg_init(); the machine adds the rest.
 *
 * Guest memory is reached through gmem_ptr() only: a DMA request whose
 * FWCfgDmaAccess or buffer is not wholly RAM, whose length overflows,
 * that sets an unknown control bit or asks to write fails with the
 * ERROR bit (when the access structure itself is in RAM to carry it)
 * and touches nothing else.
 *
 * Threads: not thread-safe.  The machine serialises every access (and
 * the select callbacks run) under its lock; items are added while the
 * machine is built, before any vCPU runs, or from a select callback.
 *
 * Plain C, no GLib (tests/devices/fw_cfg-test.c).
 */
#ifndef VMAIN_MONITOR_DEVICES_FW_CFG_H
#define VMAIN_MONITOR_DEVICES_FW_CFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "devices/pio.h"
#include "machine/gmem.h"

/* Ports (fw_cfg.rst "Selector (Control) Register", "Data Register"). */
#define FW_CFG_PORT_SEL		0x510
#define FW_CFG_PORT_DATA	0x511
#define FW_CFG_PORT_DMA		0x514	/* 8 bytes: high half, low half */
#define FW_CFG_PORT_LEN		12	/* 0x510 .. 0x51b, the ACPI _CRS */

/* Keys (QEMU's include/standard-headers/linux/qemu_fw_cfg.h). */
#define FW_CFG_SIGNATURE	0x00	/* "QEMU" */
#define FW_CFG_ID		0x01	/* le32 feature bits */
#define FW_CFG_UUID		0x02	/* 16 bytes, RFC 4122 (big-endian) order */
#define FW_CFG_RAM_SIZE		0x03	/* le64 */
#define FW_CFG_NOGRAPHIC	0x04	/* le16 */
#define FW_CFG_NB_CPUS		0x05	/* le16 */
#define FW_CFG_MACHINE_ID	0x06
#define FW_CFG_KERNEL_ADDR	0x07	/* le32 */
#define FW_CFG_KERNEL_SIZE	0x08	/* le32 */
#define FW_CFG_KERNEL_CMDLINE	0x09	/* le32: command line address (legacy) */
#define FW_CFG_INITRD_ADDR	0x0a	/* le32 */
#define FW_CFG_INITRD_SIZE	0x0b	/* le32 */
#define FW_CFG_BOOT_DEVICE	0x0c
#define FW_CFG_NUMA		0x0d
#define FW_CFG_BOOT_MENU	0x0e
#define FW_CFG_MAX_CPUS		0x0f	/* le16 */
#define FW_CFG_KERNEL_ENTRY	0x10	/* le32 */
#define FW_CFG_KERNEL_DATA	0x11	/* the protected-mode kernel */
#define FW_CFG_INITRD_DATA	0x12
#define FW_CFG_CMDLINE_ADDR	0x13	/* le32 */
#define FW_CFG_CMDLINE_SIZE	0x14	/* le32, NUL included */
#define FW_CFG_CMDLINE_DATA	0x15	/* NUL-terminated */
#define FW_CFG_SETUP_ADDR	0x16	/* le32 */
#define FW_CFG_SETUP_SIZE	0x17	/* le32 */
#define FW_CFG_SETUP_DATA	0x18	/* the real-mode setup code */
#define FW_CFG_FILE_DIR		0x19
#define FW_CFG_FILE_FIRST	0x20
#define FW_CFG_WRITE_CHANNEL	0x4000	/* key bit: write access (legacy) */
#define FW_CFG_ARCH_LOCAL	0x8000	/* key bit: x86-specific keys */
#define FW_CFG_KEY_MAX		0xffff

/* FW_CFG_ID bits. */
#define FW_CFG_VERSION		0x01	/* the traditional port interface */
#define FW_CFG_VERSION_DMA	0x02	/* the DMA interface */

/* DMA control bits (fw_cfg.rst "DMA interface"); bits 16..31: the key. */
#define FW_CFG_DMA_CTL_ERROR	0x01
#define FW_CFG_DMA_CTL_READ	0x02
#define FW_CFG_DMA_CTL_SKIP	0x04
#define FW_CFG_DMA_CTL_SELECT	0x08
#define FW_CFG_DMA_CTL_WRITE	0x10
#define FW_CFG_DMA_SIGNATURE	0x51454d5520434647ull	/* "QEMU CFG" */

/* struct FWCfgDmaAccess in guest memory: be32 control, be32 length, be64 address. */
#define FW_CFG_DMA_ACCESS_LEN	16

/* File directory entries: names are at most 55 characters plus a NUL. */
#define FW_CFG_MAX_FILE_PATH	56
#define FW_CFG_MAX_FILES	256	/* keys 0x20 .. 0x11f */

/* How an item's bytes are held. */
enum fw_cfg_data_mode {
	FW_CFG_DATA_COPY,	/* copied now; the caller keeps its buffer */
	FW_CFG_DATA_OWN,	/* malloc()ed by the caller; freed by fw_cfg */
	FW_CFG_DATA_BORROW,	/* the caller's, kept alive past fw_cfg_destroy() */
};

struct fw_cfg;

/*
 * Called when the guest selects the file (port or DMA SELECT), before
 * any byte is read, with the machine's lock held: the place to build
 * content that depends on what the firmware did first (ACPI tables after
 * the BARs are assigned, as QEMU's acpi_build_update() does).  It may
 * call fw_cfg_update_file() on any file.  The guest read the directory
 * earlier: a callback should keep the file's size (pad if need be).
 */
typedef void (*fw_cfg_select_fn)(void *opaque, struct fw_cfg *fw,
				 const char *name);

struct fw_cfg_item {
	const uint8_t *data;	/* NULL: key not present */
	uint32_t len;
	bool owned;		/* free(data) when replaced or destroyed */
};

struct fw_cfg_file {
	char name[FW_CFG_MAX_FILE_PATH];
	struct fw_cfg_item item;
	fw_cfg_select_fn select;
	void *opaque;
};

/* Fields are private to fw_cfg.c; the struct is public to be embedded. */
struct fw_cfg {
	const struct gmem *ram;
	/* Standard keys below FW_CFG_FILE_FIRST, indexed by key. */
	struct fw_cfg_item std[FW_CFG_FILE_FIRST];
	/* Sorted by name; files[i] answers key FW_CFG_FILE_FIRST + i. */
	struct fw_cfg_file *files;
	unsigned int nr_files;
	uint8_t *dir;		/* FW_CFG_FILE_DIR, rebuilt on every add */
	/* Guest-visible state (saved). */
	uint16_t cur_key;
	uint32_t cur_off;
	uint32_t dma_addr_high;
};

/* An empty device: signature, ID and (empty) directory.  -ENOMEM. */
int fw_cfg_init(struct fw_cfg *fw, const struct gmem *ram);
void fw_cfg_destroy(struct fw_cfg *fw);
/* Selector 0, offset 0, DMA high half 0 (a machine reset). */
void fw_cfg_reset(struct fw_cfg *fw);

/* Claims ports 0x510..0x51b.  -EEXIST, -ENOMEM. */
int fw_cfg_register(struct fw_cfg *fw, struct pio_bus *bus);
/* The port callback (offset from FW_CFG_PORT_SEL), for tests. */
int fw_cfg_io(void *opaque, uint16_t port_offset, unsigned size, bool write,
	      uint32_t *data);

/*
 * Sets (or replaces) standard key `key` (< FW_CFG_FILE_FIRST, not the
 * signature, ID or directory: -EPERM).  len up to UINT32_MAX (-E2BIG).
 * -EINVAL for a bad key or NULL data with len > 0; -ENOMEM.  On error an
 * FW_CFG_DATA_OWN buffer is freed all the same.
 */
int fw_cfg_add_bytes(struct fw_cfg *fw, uint16_t key, const void *data,
		     size_t len, enum fw_cfg_data_mode mode);
int fw_cfg_add_u16(struct fw_cfg *fw, uint16_t key, uint16_t v);	/* le */
int fw_cfg_add_u32(struct fw_cfg *fw, uint16_t key, uint32_t v);	/* le */
int fw_cfg_add_u64(struct fw_cfg *fw, uint16_t key, uint64_t v);	/* le */

/*
 * Adds file `name` (1..55 characters) with `select` called when it is
 * selected (NULL: none).  -EEXIST (name taken), -ENOSPC (FW_CFG_MAX_FILES),
 * -ENAMETOOLONG, -EINVAL, -E2BIG, -ENOMEM.  Keys follow the sorted names,
 * so adding a file renumbers the ones after it: add every file before
 * the guest runs.
 */
int fw_cfg_add_file(struct fw_cfg *fw, const char *name, const void *data,
		    size_t len, enum fw_cfg_data_mode mode);
int fw_cfg_add_file_cb(struct fw_cfg *fw, const char *name, const void *data,
		       size_t len, enum fw_cfg_data_mode mode,
		       fw_cfg_select_fn select, void *opaque);
/*
 * Replaces an existing file's bytes (the directory follows its new size;
 * a guest reading the file now sees the new bytes from its offset).
 * -ENOENT, -E2BIG, -EINVAL, -ENOMEM.
 */
int fw_cfg_update_file(struct fw_cfg *fw, const char *name, const void *data,
		       size_t len, enum fw_cfg_data_mode mode);

/* The file's key, or -ENOENT. */
int fw_cfg_file_key(const struct fw_cfg *fw, const char *name);
/* The file's bytes and size, or NULL. */
const uint8_t *fw_cfg_file_data(const struct fw_cfg *fw, const char *name,
				uint32_t *len);

/*
 * The machine's standard keys: FW_CFG_NB_CPUS, FW_CFG_MAX_CPUS,
 * FW_CFG_RAM_SIZE (all of RAM, bytes), FW_CFG_NOGRAPHIC and, when `uuid`
 * is not NULL, FW_CFG_UUID (16 bytes in RFC 4122 order, as QEMU).
 */
struct fw_cfg_machine {
	uint16_t nr_cpus, max_cpus;
	uint64_t ram_size;
	bool nographic;
	const uint8_t *uuid;
};
int fw_cfg_add_machine(struct fw_cfg *fw, const struct fw_cfg_machine *mc);

/*
 * A Linux kernel for a firmware-side loader (QEMU's linuxboot_dma.bin
 * reads these): the real-mode setup code and the protected-mode kernel of
 * a bzImage, the initrd and the command line, with the guest-physical
 * addresses the loader copies them to.  Sets FW_CFG_SETUP_*,
 * FW_CFG_KERNEL_*, FW_CFG_INITRD_* (when initrd_len), FW_CFG_CMDLINE_*
 * and FW_CFG_KERNEL_CMDLINE; every buffer is copied.
 */
struct fw_cfg_kernel {
	uint32_t setup_addr, kernel_addr, initrd_addr, cmdline_addr, entry;
	const void *setup;
	size_t setup_len;
	const void *kernel;
	size_t kernel_len;
	const void *initrd;
	size_t initrd_len;
	const char *cmdline;	/* NULL: "" */
};
int fw_cfg_add_kernel(struct fw_cfg *fw, const struct fw_cfg_kernel *k);

/*
 * "bootorder": the firmware's boot order, one Open Firmware device path
 * per line ("/pci@i0cf8/ide@1,1/drive@0/disk@0"), as QEMU writes it;
 * n == 0 leaves the file empty (it exists from fw_cfg_add_boot_files()).
 */
int fw_cfg_set_bootorder(struct fw_cfg *fw, const char *const *paths,
			 unsigned int n);

/*
 * The small boot files: an empty "bootorder", and "etc/sercon-port"
 * (le16 `sercon_port`, e.g. PORT_COM1) when sercon_port is not 0, which
 * makes SeaBIOS print its console (and a text-mode screen) on that
 * serial port: a headless VM's boot menu over the console.
 */
int fw_cfg_add_boot_files(struct fw_cfg *fw, uint16_t sercon_port);

/*
 * "etc/e820": the memory map as QEMU gives it to SeaBIOS, an array of
 * packed { le64 address, le64 length, le32 type } (20 bytes each, the
 * BOOT_E820_* types).  `map` must be sorted and not overlap
 * (boot_e820_build() makes such maps).  -EINVAL, -ENOMEM.
 */
struct boot_e820_entry;
int fw_cfg_add_e820(struct fw_cfg *fw, const struct boot_e820_entry *map,
		    size_t n);

/*
 * "etc/e820" for a machine's memory: RAM at [0, low_ram) (below the PCI
 * hole, machine/memmap.h) and at [4 GiB, 4 GiB + high_ram), plus the
 * `reserved` ranges (BOOT_E820_RESERVED or other types; any order, not
 * overlapping RAM or each other).  As QEMU, the low RAM is one range
 * from 0: the firmware reserves its own areas below 1 MiB.  -EINVAL,
 * -E2BIG (more than 16 reserved ranges), -ENOMEM.
 */
int fw_cfg_add_memory_map(struct fw_cfg *fw, uint64_t low_ram, uint64_t high_ram,
			  const struct boot_e820_entry *reserved, size_t nr_reserved);

struct state_writer;
struct state_reader;

/*
 * Save and restore (state/stream.h), section "fw_cfg" / 0: the selected
 * key, its offset and the latched DMA address high half.  The items are
 * the machine's configuration, rebuilt by the restoring machine; a load
 * runs the selected file's select callback again (so lazily built
 * content exists) and refuses an offset past the item's end.
 */
int fw_cfg_save(const struct fw_cfg *fw, struct state_writer *w);
int fw_cfg_load(struct fw_cfg *fw, struct state_reader *r);

#endif
