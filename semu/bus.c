/* bus.c - the table of MMIO regions behind the hart: lookup by address and dispatch of reads
 * and writes to the owning device. A handful of regions, so a linear scan is enough. */
#include "semu/bus.h"

#include <string.h>

void bus_init(struct bus *b)
{
	memset(b, 0, sizeof(*b));
}

int bus_map(struct bus *b, uint32_t base, uint32_t size, const struct bus_ops *ops, void *opaque,
	    const char *name)
{
	if (b->count >= BUS_MAX_REGIONS || size == 0 || !ops)
		return -1;
	uint64_t end = (uint64_t)base + size;
	if (end > (1ull << 32))
		return -1;
	for (unsigned i = 0; i < b->count; i++) {
		const struct bus_region *r = &b->regions[i];
		uint64_t rend = (uint64_t)r->base + r->size;
		if (base < rend && r->base < end)
			return -1;
	}
	b->regions[b->count++] = (struct bus_region){ base, size, ops, opaque, name };
	return 0;
}

const struct bus_region *bus_find(const struct bus *b, uint32_t addr, unsigned size)
{
	for (unsigned i = 0; i < b->count; i++) {
		const struct bus_region *r = &b->regions[i];
		uint32_t off = addr - r->base;
		if (addr >= r->base && off < r->size && size <= r->size - off)
			return r;
	}
	return NULL;
}

int bus_access(const struct bus *b, uint32_t addr, unsigned size, uint32_t *val, int is_write)
{
	if (size != 1 && size != 2 && size != 4)
		return -1;
	const struct bus_region *r = bus_find(b, addr, size);
	if (!r)
		return -1;
	uint32_t off = addr - r->base;
	if (is_write) {
		uint32_t v = *val;
		if (size < 4)
			v &= (1u << (size * 8)) - 1;
		if (r->ops->write)
			r->ops->write(r->opaque, off, size, v);
	} else {
		*val = r->ops->read ? r->ops->read(r->opaque, off, size) : 0;
		if (size < 4)
			*val &= (1u << (size * 8)) - 1;
	}
	return 0;
}
