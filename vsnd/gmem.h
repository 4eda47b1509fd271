/* gmem.h - guest physical RAM as one bounds-checked window, so no guest address is ever
 * dereferenced without checking that [addr, addr+len) lies inside RAM (64-bit math). */
#ifndef VSND_GMEM_H
#define VSND_GMEM_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct vsnd_gmem {
	uint8_t *host;  /* host mapping of guest RAM */
	uint64_t base;  /* guest-physical address of host[0] */
	uint64_t size;  /* bytes */
};

/* Host pointer for [addr, addr+len) or NULL if any byte is outside RAM or the range wraps. */
static inline void *vsnd_gmem_ptr(const struct vsnd_gmem *m, uint64_t addr, uint64_t len)
{
	if (addr < m->base)
		return NULL;
	uint64_t off = addr - m->base;
	if (off > m->size || len > m->size - off)
		return NULL;
	return m->host + off;
}

#endif
