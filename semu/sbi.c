/* sbi.c - SBI 2.0 for a single hart: base, legacy v0.1 calls, TIME, IPI, RFENCE, HSM, SRST and
 * DBCN, implemented directly by the emulator. Anything else is SBI_ERR_NOT_SUPPORTED. */
#include "semu/sbi.h"


static int sbi_probe(const struct sbi_host *h, uint32_t eid)
{
	switch (eid) {
	case SBI_EXT_LEGACY_SET_TIMER:
	case SBI_EXT_LEGACY_PUTCHAR:
	case SBI_EXT_LEGACY_GETCHAR:
	case SBI_EXT_LEGACY_CLEAR_IPI:
	case SBI_EXT_LEGACY_SEND_IPI:
	case SBI_EXT_LEGACY_FENCE_I:
	case SBI_EXT_LEGACY_SFENCE_VMA:
	case SBI_EXT_LEGACY_SFENCE_VMA_ASID:
	case SBI_EXT_LEGACY_SHUTDOWN:
	case SBI_EXT_BASE:
	case SBI_EXT_TIME:
	case SBI_EXT_IPI:
	case SBI_EXT_RFENCE:
	case SBI_EXT_HSM:
	case SBI_EXT_SRST:
		return 1;
	case SBI_EXT_DBCN:
		return h->mem != NULL;
	default:
		return 0;
	}
}

/* Does (hart_mask, hart_mask_base) name only valid harts? Sets *hits when it names hart 0.
 * A base of -1 means every hart (spec 3.1). */
static int sbi_hart_mask(uint32_t mask, uint32_t base, int *hits)
{
	*hits = 0;
	if (base == UINT32_MAX) {
		*hits = 1;
		return 0;
	}
	if (mask == 0)
		return 0;
	if (base != 0 || mask != 1)
		return -1;
	*hits = 1;
	return 0;
}

static void sbi_base(const struct sbi_host *h, uint32_t fid, uint32_t a[8])
{
	int32_t err = SBI_SUCCESS;
	uint32_t val = 0;
	switch (fid) {
	case 0: val = SBI_SPEC_VERSION; break;
	case 1: val = SBI_IMPL_ID; break;
	case 2: val = SBI_IMPL_VERSION; break;
	case 3: val = (uint32_t)sbi_probe(h, a[0]); break;
	case 4: /* mvendorid */
	case 5: /* marchid */
	case 6: /* mimpid */
		val = 0;
		break;
	default: err = SBI_ERR_NOT_SUPPORTED; break;
	}
	a[0] = (uint32_t)err;
	a[1] = val;
}

static int32_t sbi_rfence(const struct sbi_host *h, uint32_t fid, const uint32_t a[8])
{
	if (fid > 2) /* HFENCE.* need the hypervisor extension */
		return SBI_ERR_NOT_SUPPORTED;
	int hits;
	if (sbi_hart_mask(a[0], a[1], &hits))
		return SBI_ERR_INVALID_PARAM;
	if (hits && h->fence)
		h->fence(h->opaque);
	return SBI_SUCCESS;
}

static void sbi_hsm(const struct sbi_host *h, uint32_t fid, uint32_t a[8])
{
	int32_t err = SBI_SUCCESS;
	uint32_t val = 0;
	switch (fid) {
	case 0: /* hart_start: hart 0 runs already, no other hart exists */
		err = a[0] == 0 ? SBI_ERR_ALREADY_AVAILABLE : SBI_ERR_INVALID_PARAM;
		break;
	case 1: /* hart_stop: returns only on failure; stopping the only hart is refused */
		err = SBI_ERR_FAILED;
		break;
	case 2: /* hart_get_status */
		if (a[0] == 0)
			val = SBI_HSM_STARTED;
		else
			err = SBI_ERR_INVALID_PARAM;
		break;
	case 3: /* hart_suspend */
		if (a[0] == 0) {
			if (h->suspend)
				h->suspend(h->opaque);
		} else if (a[0] == 0x80000000u) {
			err = SBI_ERR_NOT_SUPPORTED; /* default non-retentive: not implemented */
		} else {
			err = SBI_ERR_INVALID_PARAM; /* reserved or platform-specific */
		}
		break;
	default:
		err = SBI_ERR_NOT_SUPPORTED;
		break;
	}
	a[0] = (uint32_t)err;
	a[1] = val;
}

static int32_t sbi_srst(const struct sbi_host *h, uint32_t fid, const uint32_t a[8])
{
	if (fid != 0)
		return SBI_ERR_NOT_SUPPORTED;
	uint32_t type = a[0], reason = a[1];
	if (type > SBI_SRST_WARM_REBOOT)
		return SBI_ERR_INVALID_PARAM;
	/* 2..0xDFFFFFFF are reserved; 0xE0000000 and up are SBI- or vendor-specific. */
	if (reason > SBI_SRST_REASON_FAILURE && reason < 0xe0000000u)
		return SBI_ERR_INVALID_PARAM;
	if (h->reset)
		h->reset(h->opaque, type, reason);
	return SBI_SUCCESS;
}

static void sbi_dbcn(const struct sbi_host *h, uint32_t fid, uint32_t a[8])
{
	int32_t err = SBI_SUCCESS;
	uint32_t val = 0;
	if (!h->mem) {
		a[0] = (uint32_t)SBI_ERR_NOT_SUPPORTED;
		a[1] = 0;
		return;
	}
	switch (fid) {
	case 0:   /* console_write(num_bytes, base_lo, base_hi) */
	case 1: { /* console_read */
		uint64_t addr = ((uint64_t)a[2] << 32) | a[1];
		uint8_t *p = vsnd_gmem_ptr(h->mem, addr, a[0]);
		if (!p) {
			err = SBI_ERR_INVALID_PARAM;
			break;
		}
		for (uint32_t i = 0; i < a[0]; i++) {
			if (fid == 0) {
				if (h->putchar)
					h->putchar(h->opaque, p[i]);
			} else {
				int c = h->getchar ? h->getchar(h->opaque) : -1;
				if (c < 0)
					break;
				p[i] = (uint8_t)c;
			}
			val++;
		}
		break;
	}
	case 2: /* console_write_byte */
		if (h->putchar)
			h->putchar(h->opaque, (uint8_t)a[0]);
		break;
	default:
		err = SBI_ERR_NOT_SUPPORTED;
		break;
	}
	a[0] = (uint32_t)err;
	a[1] = val;
}

/* Legacy v0.1 calls (spec 5): value in a0 only, a1 left as it was. Their hart masks are
 * pointers into S-mode virtual memory; with one hart every IPI or fence targets hart 0. */
static void sbi_legacy(const struct sbi_host *h, uint32_t eid, uint32_t a[8])
{
	int32_t ret = SBI_SUCCESS;
	switch (eid) {
	case SBI_EXT_LEGACY_SET_TIMER:
		if (h->set_timer)
			h->set_timer(h->opaque, ((uint64_t)a[1] << 32) | a[0]);
		break;
	case SBI_EXT_LEGACY_PUTCHAR:
		if (h->putchar)
			h->putchar(h->opaque, (uint8_t)a[0]);
		break;
	case SBI_EXT_LEGACY_GETCHAR:
		ret = h->getchar ? h->getchar(h->opaque) : -1;
		break;
	case SBI_EXT_LEGACY_CLEAR_IPI:
		if (h->set_ssip)
			h->set_ssip(h->opaque, 0);
		break;
	case SBI_EXT_LEGACY_SEND_IPI:
		if (h->set_ssip)
			h->set_ssip(h->opaque, 1);
		break;
	case SBI_EXT_LEGACY_FENCE_I:
	case SBI_EXT_LEGACY_SFENCE_VMA:
	case SBI_EXT_LEGACY_SFENCE_VMA_ASID:
		if (h->fence)
			h->fence(h->opaque);
		break;
	case SBI_EXT_LEGACY_SHUTDOWN:
		if (h->reset)
			h->reset(h->opaque, SBI_SRST_SHUTDOWN, SBI_SRST_REASON_NONE);
		break;
	default:
		ret = SBI_ERR_NOT_SUPPORTED;
		break;
	}
	a[0] = (uint32_t)ret;
}

void sbi_call(const struct sbi_host *h, uint32_t a[8])
{
	uint32_t eid = a[7], fid = a[6];
	int32_t err;
	if (eid <= SBI_EXT_LEGACY_SHUTDOWN) {
		sbi_legacy(h, eid, a);
		return;
	}
	switch (eid) {
	case SBI_EXT_BASE:
		sbi_base(h, fid, a);
		return;
	case SBI_EXT_TIME:
		if (fid != 0) {
			err = SBI_ERR_NOT_SUPPORTED;
			break;
		}
		if (h->set_timer)
			h->set_timer(h->opaque, ((uint64_t)a[1] << 32) | a[0]);
		err = SBI_SUCCESS;
		break;
	case SBI_EXT_IPI: {
		int hits;
		if (fid != 0) {
			err = SBI_ERR_NOT_SUPPORTED;
			break;
		}
		err = sbi_hart_mask(a[0], a[1], &hits) ? SBI_ERR_INVALID_PARAM : SBI_SUCCESS;
		if (err == SBI_SUCCESS && hits && h->set_ssip)
			h->set_ssip(h->opaque, 1);
		break;
	}
	case SBI_EXT_RFENCE:
		err = sbi_rfence(h, fid, a);
		break;
	case SBI_EXT_HSM:
		sbi_hsm(h, fid, a);
		return;
	case SBI_EXT_SRST:
		err = sbi_srst(h, fid, a);
		break;
	case SBI_EXT_DBCN:
		sbi_dbcn(h, fid, a);
		return;
	default:
		err = SBI_ERR_NOT_SUPPORTED;
		break;
	}
	a[0] = (uint32_t)err;
	a[1] = 0;
}
