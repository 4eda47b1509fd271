/* bus.h - the machine's physical address map: a table of MMIO regions {base, size, ops, opaque}
 * that the hart's non-RAM accesses are routed through; an unmapped address is an access fault. */
#ifndef SEMU_BUS_H
#define SEMU_BUS_H

#include <stdint.h>

#define BUS_MAX_REGIONS 16

/* One device's register window. Offsets passed to the callbacks are relative to the region's
 * base; size is 1, 2 or 4. A device ignores accesses it does not decode (reads return 0), so a
 * malformed guest access never fails once it hits a mapped region. */
struct bus_ops {
	uint32_t (*read)(void *opaque, uint32_t off, unsigned size);
	void (*write)(void *opaque, uint32_t off, unsigned size, uint32_t val);
};

struct bus_region {
	uint32_t base;
	uint32_t size;
	const struct bus_ops *ops;
	void *opaque;
	const char *name;
};

struct bus {
	struct bus_region regions[BUS_MAX_REGIONS];
	unsigned count;
};

void bus_init(struct bus *b);

/* Map a region. Returns 0, or -1 if the table is full, size is 0, the range wraps past 4 GiB or
 * overlaps a region already mapped. */
int bus_map(struct bus *b, uint32_t base, uint32_t size, const struct bus_ops *ops, void *opaque,
	    const char *name);

/* The region holding [addr, addr + size), or NULL (also when the access straddles two). */
const struct bus_region *bus_find(const struct bus *b, uint32_t addr, unsigned size);

/* Perform an access. Returns 0, or -1 when no region holds the whole access (the hart then
 * raises a load/store access fault) or size is not 1, 2 or 4. Reads store into *val. */
int bus_access(const struct bus *b, uint32_t addr, unsigned size, uint32_t *val, int is_write);

#endif
