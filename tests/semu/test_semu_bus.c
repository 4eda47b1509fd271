/* test_semu_bus.c - the machine's MMIO region table: mapping rules, lookup, dispatch with
 * region-relative offsets, width masking, and faults for unmapped or straddling accesses. */
#include <criterion/criterion.h>

#include "semu/bus.h"

struct fake_dev {
	uint32_t last_off, last_val;
	unsigned last_size;
	int writes, reads;
};

static uint32_t fake_read(void *opaque, uint32_t off, unsigned size)
{
	struct fake_dev *d = opaque;
	d->reads++;
	d->last_off = off;
	d->last_size = size;
	return 0xa5a5a500u | off; /* wider than a byte: the bus masks to the access size */
}

static void fake_write(void *opaque, uint32_t off, unsigned size, uint32_t val)
{
	struct fake_dev *d = opaque;
	d->writes++;
	d->last_off = off;
	d->last_size = size;
	d->last_val = val;
}

static const struct bus_ops fake_ops = { fake_read, fake_write };

Test(semu_bus, map_rejects_overlap_wrap_and_empty)
{
	struct bus b;
	struct fake_dev d = { 0 };
	bus_init(&b);
	cr_assert_eq(bus_map(&b, 0x1000, 0x100, &fake_ops, &d, "a"), 0);
	cr_assert_eq(bus_map(&b, 0x10ff, 0x10, &fake_ops, &d, "overlap end"), -1);
	cr_assert_eq(bus_map(&b, 0x0f00, 0x101, &fake_ops, &d, "overlap start"), -1);
	cr_assert_eq(bus_map(&b, 0x1100, 0x100, &fake_ops, &d, "adjacent"), 0);
	cr_assert_eq(bus_map(&b, 0xffffff00u, 0x200, &fake_ops, &d, "wraps"), -1);
	cr_assert_eq(bus_map(&b, 0xffffff00u, 0x100, &fake_ops, &d, "to the top"), 0);
	cr_assert_eq(bus_map(&b, 0x5000, 0, &fake_ops, &d, "empty"), -1);
	cr_assert_eq(b.count, 3);
}

Test(semu_bus, table_full)
{
	struct bus b;
	struct fake_dev d = { 0 };
	bus_init(&b);
	for (unsigned i = 0; i < BUS_MAX_REGIONS; i++)
		cr_assert_eq(bus_map(&b, 0x1000 * (i + 1), 0x100, &fake_ops, &d, "r"), 0);
	cr_assert_eq(bus_map(&b, 0x100000, 0x100, &fake_ops, &d, "one too many"), -1);
}

Test(semu_bus, dispatch_relative_offsets_and_masks)
{
	struct bus b;
	struct fake_dev d1 = { 0 }, d2 = { 0 };
	bus_init(&b);
	bus_map(&b, 0x10000000, 0x100, &fake_ops, &d1, "uart");
	bus_map(&b, 0x0c000000, 0x4000000, &fake_ops, &d2, "plic");
	uint32_t v = 0;
	cr_assert_eq(bus_access(&b, 0x10000005, 1, &v, 0), 0);
	cr_assert_eq(d1.last_off, 5);
	cr_assert_eq(d1.last_size, 1);
	cr_assert_eq(v, 0x05, "1-byte read masked: got %#x", v);
	cr_assert_eq(bus_access(&b, 0x0c200004, 2, &v, 0), 0);
	cr_assert_eq(d2.last_off, 0x200004);
	cr_assert_eq(v, 0xa504);
	v = 0x12345678;
	cr_assert_eq(bus_access(&b, 0x10000000, 1, &v, 1), 0);
	cr_assert_eq(d1.last_val, 0x78, "write value masked to the access width");
	v = 0xdeadbeef;
	cr_assert_eq(bus_access(&b, 0x0c000004, 4, &v, 1), 0);
	cr_assert_eq(d2.last_val, 0xdeadbeef);
	cr_assert_eq(d2.last_off, 4);
}

Test(semu_bus, faults_unmapped_straddling_and_bad_width)
{
	struct bus b;
	struct fake_dev d = { 0 };
	bus_init(&b);
	bus_map(&b, 0x1000, 0x100, &fake_ops, &d, "a");
	uint32_t v = 7;
	cr_assert_eq(bus_access(&b, 0x0fff, 1, &v, 0), -1);
	cr_assert_eq(bus_access(&b, 0x1100, 1, &v, 1), -1);
	cr_assert_eq(bus_access(&b, 0x10fe, 4, &v, 0), -1, "straddles the end");
	cr_assert_eq(bus_access(&b, 0x1000, 3, &v, 0), -1, "size 3");
	cr_assert_eq(bus_access(&b, 0x1000, 8, &v, 0), -1, "size 8");
	cr_assert_eq(d.reads + d.writes, 0, "no device saw a faulting access");
	cr_assert_eq(bus_access(&b, 0x10fc, 4, &v, 0), 0, "last word is inside");
	cr_assert_null(bus_find(&b, 0x2000, 1));
	cr_assert_not_null(bus_find(&b, 0x10ff, 1));
}
