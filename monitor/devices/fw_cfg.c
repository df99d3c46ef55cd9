// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * devices/fw_cfg.c - QEMU's firmware configuration device (see fw_cfg.h).
 *
 * Section names are those of QEMU's docs/specs/fw_cfg.rst.  Where the
 * specification leaves a choice, QEMU's behaviour is followed, since the
 * firmware (SeaBIOS, Linux's qemu_fw_cfg) was written against it:
 *   - reads past an item's end, or of a key no item answers, give 0s and
 *     leave the offset at the end;
 *   - a DMA request does SELECT first, then READ, else WRITE, else SKIP
 *     (the first of those set); a request with none of them only selects;
 *   - the control word is written back as 0 on success, ERROR on failure;
 *   - the latched high half of the DMA address is cleared by every
 *     transfer, so a 32-bit guest may write the low half alone.
 * Stricter than QEMU, because the model must never trust the guest: a
 * READ whose buffer is not wholly RAM fails before a byte is copied
 * (QEMU copies what it can), and unknown control bits fail the request.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "boot/e820.h"
#include "devices/fw_cfg.h"
#include "le.h"
#include "state/stream.h"

/* Directory entry (fw_cfg.rst "File Directory"): 64 bytes, big-endian. */
#define DIR_ENTRY_LEN		64

static void put_be(uint8_t *p, uint64_t v, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

static uint64_t get_be(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;
	unsigned i;

	for (i = 0; i < n; i++)
		v = (v << 8) | p[i];
	return v;
}

static void item_release(struct fw_cfg_item *it)
{
	if (it->owned)
		free((void *)it->data);
	it->data = NULL;
	it->len = 0;
	it->owned = false;
}

/*
 * Fills *it from (data, len, mode); an FW_CFG_DATA_OWN buffer is freed on
 * error too, so the caller never has to.  A 0-length item still has a
 * non-NULL data pointer: "present and empty" differs from "absent".
 */
static int item_set(struct fw_cfg_item *it, const void *data, size_t len,
		    enum fw_cfg_data_mode mode)
{
	static const uint8_t empty;
	const uint8_t *p = data;
	bool owned = false;

	if (len > UINT32_MAX || (len && !data) || mode > FW_CFG_DATA_BORROW) {
		if (mode == FW_CFG_DATA_OWN)
			free((void *)data);
		return len > UINT32_MAX ? -E2BIG : -EINVAL;
	}
	if (mode == FW_CFG_DATA_COPY && !len) {
		p = NULL;
	} else if (mode == FW_CFG_DATA_COPY) {
		uint8_t *copy = malloc(len);

		if (!copy)
			return -ENOMEM;
		memcpy(copy, data, len);
		p = copy;
		owned = true;
	} else if (mode == FW_CFG_DATA_OWN) {
		owned = data != NULL;
	}
	item_release(it);
	it->data = p ? p : &empty;
	it->len = (uint32_t)len;
	it->owned = owned;
	return 0;
}

/* The directory, rebuilt whenever a file is added or changes size. */
static int dir_rebuild(struct fw_cfg *fw)
{
	size_t len = 4 + (size_t)fw->nr_files * DIR_ENTRY_LEN;
	uint8_t *d = calloc(1, len);
	unsigned int i;

	if (!d)
		return -ENOMEM;
	put_be(d, fw->nr_files, 4);
	for (i = 0; i < fw->nr_files; i++) {
		uint8_t *e = d + 4 + (size_t)i * DIR_ENTRY_LEN;

		put_be(e, fw->files[i].item.len, 4);
		put_be(e + 4, FW_CFG_FILE_FIRST + i, 2);
		/* e + 6: reserved, 0 */
		memcpy(e + 8, fw->files[i].name, strlen(fw->files[i].name));
	}
	free(fw->dir);
	fw->dir = d;
	fw->std[FW_CFG_FILE_DIR].data = d;
	fw->std[FW_CFG_FILE_DIR].len = (uint32_t)len;
	fw->std[FW_CFG_FILE_DIR].owned = false;	/* fw->dir owns it */
	return 0;
}

int fw_cfg_init(struct fw_cfg *fw, const struct gmem *ram)
{
	static const uint8_t sig[4] = { 'Q', 'E', 'M', 'U' };
	static const uint8_t id[4] = { FW_CFG_VERSION | FW_CFG_VERSION_DMA };

	memset(fw, 0, sizeof(*fw));
	fw->ram = ram;
	fw->std[FW_CFG_SIGNATURE].data = sig;
	fw->std[FW_CFG_SIGNATURE].len = sizeof(sig);
	fw->std[FW_CFG_ID].data = id;
	fw->std[FW_CFG_ID].len = sizeof(id);
	return dir_rebuild(fw);
}

void fw_cfg_destroy(struct fw_cfg *fw)
{
	unsigned int i;

	for (i = 0; i < FW_CFG_FILE_FIRST; i++)
		if (i != FW_CFG_FILE_DIR)
			item_release(&fw->std[i]);
	for (i = 0; i < fw->nr_files; i++)
		item_release(&fw->files[i].item);
	free(fw->files);
	free(fw->dir);
	memset(fw, 0, sizeof(*fw));
}

void fw_cfg_reset(struct fw_cfg *fw)
{
	fw->cur_key = 0;
	fw->cur_off = 0;
	fw->dma_addr_high = 0;
}

/*
 * The item behind `key`, or NULL.  The write-channel bit (0x4000) names
 * the same item (QEMU masks it); arch-local keys (0x8000) hold nothing
 * here: the x86 ones are legacy forms of the etc/ files.
 */
static struct fw_cfg_item *item_for_key(struct fw_cfg *fw, uint16_t key)
{
	struct fw_cfg_item *it = NULL;

	if (key & FW_CFG_ARCH_LOCAL)
		return NULL;
	key &= (uint16_t)~FW_CFG_WRITE_CHANNEL;
	if (key < FW_CFG_FILE_FIRST)
		it = &fw->std[key];
	else if (key - FW_CFG_FILE_FIRST < (int)fw->nr_files)
		it = &fw->files[key - FW_CFG_FILE_FIRST].item;
	return it && it->data ? it : NULL;
}

static struct fw_cfg_file *file_for_key(struct fw_cfg *fw, uint16_t key)
{
	if (key & FW_CFG_ARCH_LOCAL)
		return NULL;
	key &= (uint16_t)~FW_CFG_WRITE_CHANNEL;
	if (key < FW_CFG_FILE_FIRST || key - FW_CFG_FILE_FIRST >= (int)fw->nr_files)
		return NULL;
	return &fw->files[key - FW_CFG_FILE_FIRST];
}

/* "Selector (Control) Register": any key may be selected; offset 0. */
static void fw_cfg_select(struct fw_cfg *fw, uint16_t key)
{
	struct fw_cfg_file *f = file_for_key(fw, key);

	fw->cur_key = key;
	fw->cur_off = 0;
	if (f && f->select)
		f->select(f->opaque, fw, f->name);
}

/* "Data Register": one byte, auto-advancing; 0 past the end. */
static uint8_t fw_cfg_read_byte(struct fw_cfg *fw)
{
	const struct fw_cfg_item *it = item_for_key(fw, fw->cur_key);

	if (!it || fw->cur_off >= it->len)
		return 0;
	return it->data[fw->cur_off++];
}

#define DMA_CTL_KNOWN	(FW_CFG_DMA_CTL_ERROR | FW_CFG_DMA_CTL_READ | \
			 FW_CFG_DMA_CTL_SKIP | FW_CFG_DMA_CTL_SELECT | \
			 FW_CFG_DMA_CTL_WRITE)

/*
 * Performs the transfer of one FWCfgDmaAccess already copied out of guest
 * memory (so a READ that overwrites the structure itself changes nothing
 * of what is being done).  Returns 0 or the ERROR bit.
 */
static uint32_t dma_transfer(struct fw_cfg *fw, uint32_t control,
			     uint32_t length, uint64_t address)
{
	const struct fw_cfg_item *it;
	uint32_t avail, n;
	uint8_t *buf;

	/* Bits 5..15 are reserved: an unknown request is refused whole. */
	if (control & 0xffff & ~DMA_CTL_KNOWN)
		return FW_CFG_DMA_CTL_ERROR;
	if (control & FW_CFG_DMA_CTL_SELECT)
		fw_cfg_select(fw, (uint16_t)(control >> 16));
	/* A request that arrives with ERROR set transfers nothing (QEMU). */
	if (control & FW_CFG_DMA_CTL_ERROR)
		return FW_CFG_DMA_CTL_ERROR;

	it = item_for_key(fw, fw->cur_key);
	avail = it && fw->cur_off < it->len ? it->len - fw->cur_off : 0;
	n = length < avail ? length : avail;

	if (control & FW_CFG_DMA_CTL_READ) {
		/* The whole buffer first: nothing is copied unless all of it is RAM. */
		buf = length ? gmem_ptr(fw->ram, address, length) : NULL;
		if (length && !buf)
			return FW_CFG_DMA_CTL_ERROR;
		if (n)
			memcpy(buf, it->data + fw->cur_off, n);
		/* Past the end of the item the buffer is filled with 0s. */
		if (length > n)
			memset(buf + n, 0, length - n);
		fw->cur_off += n;
		return 0;
	}
	/* No item is guest-writable (QEMU's allow_write): refused. */
	if (control & FW_CFG_DMA_CTL_WRITE)
		return FW_CFG_DMA_CTL_ERROR;
	if (control & FW_CFG_DMA_CTL_SKIP)
		fw->cur_off += n;
	return 0;
}

/*
 * "DMA interface": the guest has written the low half of the address of
 * an FWCfgDmaAccess.  The structure must be wholly RAM; when it is not,
 * there is nowhere to report the error and the request is dropped.
 */
static void fw_cfg_dma(struct fw_cfg *fw, uint32_t low)
{
	uint64_t addr = (uint64_t)fw->dma_addr_high << 32 | low;
	uint32_t control, length, result;
	uint64_t address;
	uint8_t *acc;

	fw->dma_addr_high = 0;
	acc = gmem_ptr(fw->ram, addr, FW_CFG_DMA_ACCESS_LEN);
	if (!acc)
		return;
	control = (uint32_t)get_be(acc, 4);
	length = (uint32_t)get_be(acc + 4, 4);
	address = get_be(acc + 8, 8);
	result = dma_transfer(fw, control, length, address);
	/* The buffer may have overwritten it: look it up again, write control. */
	acc = gmem_ptr(fw->ram, addr, FW_CFG_DMA_ACCESS_LEN);
	if (acc)
		put_be(acc, result, 4);
}

/*
 * The ports, offsets from 0x510 (QEMU's x86 "fwcfg" and "fwcfg.dma"
 * regions): offset 0 takes a 16-bit selector write, offsets 0 and 1
 * give a data byte to an 8-bit read (QEMU's combined region answers
 * both), offsets 4..11 are the DMA address register.  Any other access
 * reads all-ones and writes nothing.
 */
int fw_cfg_io(void *opaque, uint16_t port_offset, unsigned size, bool write,
	      uint32_t *data)
{
	struct fw_cfg *fw = opaque;
	unsigned i;

	if (!pio_size_ok(size) || port_offset >= FW_CFG_PORT_LEN)
		return -EINVAL;
	if (port_offset < 4) {
		if (write) {
			if (port_offset == 0 && size == 2)
				fw_cfg_select(fw, (uint16_t)*data);
			/* 8-bit data writes: ignored, as in QEMU since 2.4. */
		} else if (port_offset <= 1 && size == 1) {
			*data = fw_cfg_read_byte(fw);
		} else {
			*data = pio_ones(size);
		}
		return 0;
	}
	port_offset -= 4;
	if (write) {
		/* The guest wrote the register's big-endian bytes, in port order. */
		uint32_t v = __builtin_bswap32(*data);

		if (size != 4)
			return 0;
		if (port_offset == 0)
			fw->dma_addr_high = v;
		else if (port_offset == 4)
			fw_cfg_dma(fw, v);
		return 0;
	}
	/* Reads: the signature "QEMU CFG", byte by byte in port order. */
	*data = 0;
	for (i = 0; i < size; i++) {
		unsigned b = port_offset + i;
		uint8_t byte = b < 8 ? (uint8_t)(FW_CFG_DMA_SIGNATURE >> (8 * (7 - b))) : 0xff;

		*data |= (uint32_t)byte << (8 * i);
	}
	return 0;
}

int fw_cfg_register(struct fw_cfg *fw, struct pio_bus *bus)
{
	return pio_bus_register(bus, FW_CFG_PORT_SEL, FW_CFG_PORT_LEN, fw_cfg_io,
				fw, "fw_cfg");
}

/* --- items ------------------------------------------------------------- */

int fw_cfg_add_bytes(struct fw_cfg *fw, uint16_t key, const void *data,
		     size_t len, enum fw_cfg_data_mode mode)
{
	int err = 0;

	if (key >= FW_CFG_FILE_FIRST)
		err = -EINVAL;
	else if (key == FW_CFG_SIGNATURE || key == FW_CFG_ID || key == FW_CFG_FILE_DIR)
		err = -EPERM;
	if (err) {
		if (mode == FW_CFG_DATA_OWN)
			free((void *)data);
		return err;
	}
	return item_set(&fw->std[key], data, len, mode);
}

int fw_cfg_add_u16(struct fw_cfg *fw, uint16_t key, uint16_t v)
{
	uint8_t b[2];

	put_le(b, v, 2);
	return fw_cfg_add_bytes(fw, key, b, sizeof(b), FW_CFG_DATA_COPY);
}

int fw_cfg_add_u32(struct fw_cfg *fw, uint16_t key, uint32_t v)
{
	uint8_t b[4];

	put_le(b, v, 4);
	return fw_cfg_add_bytes(fw, key, b, sizeof(b), FW_CFG_DATA_COPY);
}

int fw_cfg_add_u64(struct fw_cfg *fw, uint16_t key, uint64_t v)
{
	uint8_t b[8];

	put_le(b, v, 8);
	return fw_cfg_add_bytes(fw, key, b, sizeof(b), FW_CFG_DATA_COPY);
}

static struct fw_cfg_file *file_find(const struct fw_cfg *fw, const char *name)
{
	unsigned int i;

	for (i = 0; i < fw->nr_files; i++)
		if (!strcmp(fw->files[i].name, name))
			return &fw->files[i];
	return NULL;
}

int fw_cfg_add_file_cb(struct fw_cfg *fw, const char *name, const void *data,
		       size_t len, enum fw_cfg_data_mode mode,
		       fw_cfg_select_fn select, void *opaque)
{
	struct fw_cfg_file *files, f = { .select = select, .opaque = opaque };
	unsigned int pos;
	int ret = 0;

	if (!name || !*name)
		ret = -EINVAL;
	else if (strlen(name) >= FW_CFG_MAX_FILE_PATH)
		ret = -ENAMETOOLONG;
	else if (file_find(fw, name))
		ret = -EEXIST;
	else if (fw->nr_files >= FW_CFG_MAX_FILES)
		ret = -ENOSPC;
	if (ret) {
		if (mode == FW_CFG_DATA_OWN)
			free((void *)data);
		return ret;
	}
	ret = item_set(&f.item, data, len, mode);
	if (ret)
		return ret;
	strcpy(f.name, name);
	files = realloc(fw->files, (fw->nr_files + 1) * sizeof(*files));
	if (!files) {
		item_release(&f.item);
		return -ENOMEM;
	}
	fw->files = files;
	/* Sorted by name (strcmp), as QEMU orders them: keys follow. */
	for (pos = fw->nr_files; pos > 0 && strcmp(name, files[pos - 1].name) < 0; pos--)
		files[pos] = files[pos - 1];
	files[pos] = f;
	fw->nr_files++;
	ret = dir_rebuild(fw);
	if (ret) {
		/* Take it out again, so the directory and the files agree. */
		item_release(&files[pos].item);
		memmove(&files[pos], &files[pos + 1], (fw->nr_files - pos - 1) * sizeof(*files));
		fw->nr_files--;
	}
	return ret;
}

int fw_cfg_add_file(struct fw_cfg *fw, const char *name, const void *data,
		    size_t len, enum fw_cfg_data_mode mode)
{
	return fw_cfg_add_file_cb(fw, name, data, len, mode, NULL, NULL);
}

int fw_cfg_update_file(struct fw_cfg *fw, const char *name, const void *data,
		       size_t len, enum fw_cfg_data_mode mode)
{
	struct fw_cfg_file *f = name ? file_find(fw, name) : NULL;
	struct fw_cfg_item old;
	int ret;

	if (!f) {
		if (mode == FW_CFG_DATA_OWN)
			free((void *)data);
		return -ENOENT;
	}
	old = f->item;
	f->item.owned = false;		/* kept until the directory is rebuilt */
	ret = item_set(&f->item, data, len, mode);
	if (ret) {
		f->item = old;
		return ret;
	}
	if (old.len != f->item.len) {
		ret = dir_rebuild(fw);
		if (ret) {
			item_release(&f->item);
			f->item = old;
			return ret;
		}
	}
	item_release(&old);
	return 0;
}

int fw_cfg_file_key(const struct fw_cfg *fw, const char *name)
{
	const struct fw_cfg_file *f = name ? file_find(fw, name) : NULL;

	return f ? FW_CFG_FILE_FIRST + (int)(f - fw->files) : -ENOENT;
}

const uint8_t *fw_cfg_file_data(const struct fw_cfg *fw, const char *name,
				uint32_t *len)
{
	const struct fw_cfg_file *f = name ? file_find(fw, name) : NULL;

	if (!f)
		return NULL;
	if (len)
		*len = f->item.len;
	return f->item.data;
}

/* --- the machine's items ------------------------------------------------ */

int fw_cfg_add_machine(struct fw_cfg *fw, const struct fw_cfg_machine *mc)
{
	int ret;

	if (!mc || !mc->nr_cpus || mc->max_cpus < mc->nr_cpus)
		return -EINVAL;
	ret = fw_cfg_add_u16(fw, FW_CFG_NB_CPUS, mc->nr_cpus);
	if (!ret)
		ret = fw_cfg_add_u16(fw, FW_CFG_MAX_CPUS, mc->max_cpus);
	if (!ret)
		ret = fw_cfg_add_u64(fw, FW_CFG_RAM_SIZE, mc->ram_size);
	if (!ret)
		ret = fw_cfg_add_u16(fw, FW_CFG_NOGRAPHIC, mc->nographic);
	if (!ret && mc->uuid)
		ret = fw_cfg_add_bytes(fw, FW_CFG_UUID, mc->uuid, 16, FW_CFG_DATA_COPY);
	return ret;
}

int fw_cfg_add_kernel(struct fw_cfg *fw, const struct fw_cfg_kernel *k)
{
	const char *cmdline;
	size_t cmdline_len;
	int ret;

	if (!k || !k->setup || !k->setup_len || !k->kernel || !k->kernel_len ||
	    (k->initrd_len && !k->initrd))
		return -EINVAL;
	if (k->setup_len > UINT32_MAX || k->kernel_len > UINT32_MAX ||
	    k->initrd_len > UINT32_MAX)
		return -E2BIG;
	cmdline = k->cmdline ? k->cmdline : "";
	cmdline_len = strlen(cmdline) + 1;	/* the NUL travels too */

	ret = fw_cfg_add_u32(fw, FW_CFG_SETUP_ADDR, k->setup_addr);
	if (!ret)
		ret = fw_cfg_add_u32(fw, FW_CFG_SETUP_SIZE, (uint32_t)k->setup_len);
	if (!ret)
		ret = fw_cfg_add_bytes(fw, FW_CFG_SETUP_DATA, k->setup, k->setup_len,
				       FW_CFG_DATA_COPY);
	if (!ret)
		ret = fw_cfg_add_u32(fw, FW_CFG_KERNEL_ADDR, k->kernel_addr);
	if (!ret)
		ret = fw_cfg_add_u32(fw, FW_CFG_KERNEL_SIZE, (uint32_t)k->kernel_len);
	if (!ret)
		ret = fw_cfg_add_bytes(fw, FW_CFG_KERNEL_DATA, k->kernel, k->kernel_len,
				       FW_CFG_DATA_COPY);
	if (!ret)
		ret = fw_cfg_add_u32(fw, FW_CFG_KERNEL_ENTRY, k->entry);
	if (!ret && k->initrd_len) {
		ret = fw_cfg_add_u32(fw, FW_CFG_INITRD_ADDR, k->initrd_addr);
		if (!ret)
			ret = fw_cfg_add_u32(fw, FW_CFG_INITRD_SIZE, (uint32_t)k->initrd_len);
		if (!ret)
			ret = fw_cfg_add_bytes(fw, FW_CFG_INITRD_DATA, k->initrd,
					       k->initrd_len, FW_CFG_DATA_COPY);
	}
	if (!ret)
		ret = fw_cfg_add_u32(fw, FW_CFG_KERNEL_CMDLINE, k->cmdline_addr);
	if (!ret)
		ret = fw_cfg_add_u32(fw, FW_CFG_CMDLINE_ADDR, k->cmdline_addr);
	if (!ret)
		ret = fw_cfg_add_u32(fw, FW_CFG_CMDLINE_SIZE, (uint32_t)cmdline_len);
	if (!ret)
		ret = fw_cfg_add_bytes(fw, FW_CFG_CMDLINE_DATA, cmdline, cmdline_len,
				       FW_CFG_DATA_COPY);
	return ret;
}

int fw_cfg_set_bootorder(struct fw_cfg *fw, const char *const *paths,
			 unsigned int n)
{
	size_t len = 0, off = 0;
	unsigned int i;
	char *buf;

	if (n && !paths)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (!paths[i] || !*paths[i] || strchr(paths[i], '\n'))
			return -EINVAL;
		len += strlen(paths[i]) + 1;
	}
	if (!n)
		return fw_cfg_update_file(fw, "bootorder", NULL, 0, FW_CFG_DATA_BORROW);
	/* One path per line, the last newline replaced by the NUL (as QEMU). */
	buf = malloc(len);
	if (!buf)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		size_t l = strlen(paths[i]);

		memcpy(buf + off, paths[i], l);
		off += l;
		buf[off++] = i + 1 < n ? '\n' : '\0';
	}
	return fw_cfg_update_file(fw, "bootorder", buf, len, FW_CFG_DATA_OWN);
}

int fw_cfg_add_boot_files(struct fw_cfg *fw, uint16_t sercon_port)
{
	uint8_t port[2];
	int ret;

	ret = fw_cfg_add_file(fw, "bootorder", NULL, 0, FW_CFG_DATA_BORROW);
	if (ret || !sercon_port)
		return ret;
	/* SeaBIOS's romfile_loadint() takes a little-endian integer of 1..8 bytes. */
	put_le(port, sercon_port, 2);
	return fw_cfg_add_file(fw, "etc/sercon-port", port, sizeof(port), FW_CFG_DATA_COPY);
}

int fw_cfg_add_e820(struct fw_cfg *fw, const struct boot_e820_entry *map, size_t n)
{
	uint8_t *buf;
	size_t i;

	if (!map || !n || n > BOOT_E820_MAX)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (!map[i].size || map[i].addr + map[i].size - 1 < map[i].addr)
			return -EINVAL;
		if (i && map[i].addr < map[i - 1].addr + map[i - 1].size)
			return -EINVAL;
	}
	buf = malloc(n * sizeof(*map));
	if (!buf)
		return -ENOMEM;
	/* QEMU's struct e820_entry: le64 address, le64 length, le32 type, packed. */
	for (i = 0; i < n; i++) {
		put_le(buf + 20 * i, map[i].addr, 8);
		put_le(buf + 20 * i + 8, map[i].size, 8);
		put_le(buf + 20 * i + 16, map[i].type, 4);
	}
	return fw_cfg_add_file(fw, "etc/e820", buf, n * sizeof(*map), FW_CFG_DATA_OWN);
}

int fw_cfg_add_memory_map(struct fw_cfg *fw, uint64_t low_ram, uint64_t high_ram,
			  const struct boot_e820_entry *reserved, size_t nr_reserved)
{
	struct boot_e820_entry map[2 + 16], e;
	size_t n = 0, i, j;

	if (!low_ram || low_ram > GMEM_HIGH_BASE || (nr_reserved && !reserved))
		return -EINVAL;
	if (nr_reserved > 16)
		return -E2BIG;
	map[n++] = (struct boot_e820_entry){ .addr = 0, .size = low_ram, .type = BOOT_E820_RAM };
	if (high_ram)
		map[n++] = (struct boot_e820_entry){
			.addr = GMEM_HIGH_BASE, .size = high_ram, .type = BOOT_E820_RAM,
		};
	for (i = 0; i < nr_reserved; i++)
		map[n++] = reserved[i];
	/* Sorted by address (insertion: a handful of entries); overlaps refused below. */
	for (i = 1; i < n; i++) {
		e = map[i];
		for (j = i; j > 0 && map[j - 1].addr > e.addr; j--)
			map[j] = map[j - 1];
		map[j] = e;
	}
	return fw_cfg_add_e820(fw, map, n);
}

/* --- save and restore --------------------------------------------------- */

#define FW_CFG_STATE_VERSION	1

int fw_cfg_save(const struct fw_cfg *fw, struct state_writer *w)
{
	state_section_begin(w, "fw_cfg", 0, FW_CFG_STATE_VERSION);
	state_put_u16(w, fw->cur_key);
	state_put_u32(w, fw->cur_off);
	state_put_u32(w, fw->dma_addr_high);
	state_section_end(w);
	return state_writer_error(w);
}

int fw_cfg_load(struct fw_cfg *fw, struct state_reader *r)
{
	const struct fw_cfg_item *it;
	struct fw_cfg_file *f;
	uint32_t off, high;
	uint16_t key;
	int ret;

	ret = state_section_open(r, "fw_cfg", 0, FW_CFG_STATE_VERSION, NULL);
	if (ret)
		return ret;
	key = state_get_u16(r);
	off = state_get_u32(r);
	high = state_get_u32(r);
	ret = state_section_close(r);
	if (ret)
		return ret;
	/* The content may be built on selection: build it before checking. */
	f = file_for_key(fw, key);
	if (f && f->select)
		f->select(f->opaque, fw, f->name);
	it = item_for_key(fw, key);
	if (off > (it ? it->len : 0)) {
		return state_reader_fail(r, "offset %u past the end of key 0x%x (%u bytes)",
					 off, key, it ? it->len : 0);
	}
	fw->cur_key = key;
	fw->cur_off = off;
	fw->dma_addr_high = high;
	return 0;
}
