/* test_semu_sbi.c - the emulator's SBI with a fake hart register file (a0..a7) and a recording
 * host: base, legacy, TIME, IPI, RFENCE, HSM, SRST, DBCN and the not-supported answers. */
#include <criterion/criterion.h>
#include <string.h>

#include "semu/sbi.h"

struct rec {
	uint64_t timer;
	int timer_calls;
	char out[64];
	size_t nout;
	const char *in;
	int resets;
	uint32_t reset_type, reset_reason;
	int ssip, fences, suspends;
	uint8_t ram[4096];
	struct vsnd_gmem mem;
};

static void h_timer(void *o, uint64_t t) { ((struct rec *)o)->timer = t; ((struct rec *)o)->timer_calls++; }
static void h_put(void *o, uint8_t c)
{
	struct rec *r = o;
	if (r->nout < sizeof(r->out))
		r->out[r->nout++] = (char)c;
}
static int h_get(void *o)
{
	struct rec *r = o;
	return r->in && *r->in ? (uint8_t)*r->in++ : -1;
}
static void h_reset(void *o, uint32_t t, uint32_t why)
{
	struct rec *r = o;
	r->resets++;
	r->reset_type = t;
	r->reset_reason = why;
}
static void h_ssip(void *o, int l) { ((struct rec *)o)->ssip = l; }
static void h_fence(void *o) { ((struct rec *)o)->fences++; }
static void h_suspend(void *o) { ((struct rec *)o)->suspends++; }

static struct sbi_host host(struct rec *r)
{
	memset(r, 0, sizeof(*r));
	r->mem = (struct vsnd_gmem){ r->ram, 0x80000000u, sizeof(r->ram) };
	return (struct sbi_host){ r, h_timer, h_put, h_get, h_reset, h_ssip, h_fence, h_suspend, &r->mem };
}

/* ecall with a7 = eid, a6 = fid, a0.. = args; returns a0 (error), *val = a1 */
static int32_t call(const struct sbi_host *h, uint32_t eid, uint32_t fid, uint32_t a0, uint32_t a1,
		    uint32_t a2, uint32_t *val)
{
	uint32_t a[8] = { a0, a1, a2, 0, 0, 0, fid, eid };
	sbi_call(h, a);
	if (val)
		*val = a[1];
	return (int32_t)a[0];
}

Test(semu_sbi, base_extension)
{
	struct rec r;
	struct sbi_host h = host(&r);
	uint32_t v;
	cr_assert_eq(call(&h, SBI_EXT_BASE, 0, 0, 0, 0, &v), SBI_SUCCESS);
	cr_assert_eq(v, 0x02000000u, "spec 2.0");
	cr_assert_eq(call(&h, SBI_EXT_BASE, 1, 0, 0, 0, &v), SBI_SUCCESS);
	cr_assert_eq(v, SBI_IMPL_ID);
	cr_assert_eq(call(&h, SBI_EXT_BASE, 2, 0, 0, 0, &v), SBI_SUCCESS);
	cr_assert_eq(v, SBI_IMPL_VERSION);
	const uint32_t present[] = { SBI_EXT_TIME, SBI_EXT_IPI, SBI_EXT_RFENCE, SBI_EXT_HSM,
				     SBI_EXT_SRST, SBI_EXT_DBCN, SBI_EXT_BASE, 0x01 };
	for (unsigned i = 0; i < sizeof(present) / sizeof(present[0]); i++) {
		cr_assert_eq(call(&h, SBI_EXT_BASE, 3, present[i], 0, 0, &v), SBI_SUCCESS);
		cr_assert_eq(v, 1, "probe %#x", present[i]);
	}
	cr_assert_eq(call(&h, SBI_EXT_BASE, 3, 0x504d55 /* PMU */, 0, 0, &v), SBI_SUCCESS);
	cr_assert_eq(v, 0);
	for (uint32_t fid = 4; fid <= 6; fid++) {
		cr_assert_eq(call(&h, SBI_EXT_BASE, fid, 0, 0, 0, &v), SBI_SUCCESS);
		cr_assert_eq(v, 0, "mvendorid/marchid/mimpid");
	}
	cr_assert_eq(call(&h, SBI_EXT_BASE, 7, 0, 0, 0, NULL), SBI_ERR_NOT_SUPPORTED);
}

Test(semu_sbi, time_and_legacy_timer)
{
	struct rec r;
	struct sbi_host h = host(&r);
	cr_assert_eq(call(&h, SBI_EXT_TIME, 0, 0x89abcdef, 0x1, 0, NULL), SBI_SUCCESS);
	cr_assert_eq(r.timer, 0x189abcdefull);
	cr_assert_eq(call(&h, SBI_EXT_TIME, 1, 0, 0, 0, NULL), SBI_ERR_NOT_SUPPORTED);
	/* legacy: result in a0 only, a1 keeps its value */
	uint32_t a[8] = { 0x1000, 0x2, 0, 0, 0, 0, 0, SBI_EXT_LEGACY_SET_TIMER };
	sbi_call(&h, a);
	cr_assert_eq(a[0], 0);
	cr_assert_eq(a[1], 0x2);
	cr_assert_eq(r.timer, 0x200001000ull);
	cr_assert_eq(r.timer_calls, 2);
}

Test(semu_sbi, legacy_console)
{
	struct rec r;
	struct sbi_host h = host(&r);
	call(&h, SBI_EXT_LEGACY_PUTCHAR, 0, 'o', 0, 0, NULL);
	call(&h, SBI_EXT_LEGACY_PUTCHAR, 0, 'k', 0, 0, NULL);
	cr_assert_eq(r.nout, 2);
	cr_assert_eq(memcmp(r.out, "ok", 2), 0);
	r.in = "y";
	cr_assert_eq(call(&h, SBI_EXT_LEGACY_GETCHAR, 0, 0, 0, 0, NULL), 'y');
	cr_assert_eq(call(&h, SBI_EXT_LEGACY_GETCHAR, 0, 0, 0, 0, NULL), -1, "no input");
}

Test(semu_sbi, ipi_rfence_single_hart)
{
	struct rec r;
	struct sbi_host h = host(&r);
	cr_assert_eq(call(&h, SBI_EXT_IPI, 0, 1, 0, 0, NULL), SBI_SUCCESS);
	cr_assert_eq(r.ssip, 1);
	r.ssip = 0;
	cr_assert_eq(call(&h, SBI_EXT_IPI, 0, 0, UINT32_MAX, 0, NULL), SBI_SUCCESS, "all harts");
	cr_assert_eq(r.ssip, 1);
	r.ssip = 0;
	cr_assert_eq(call(&h, SBI_EXT_IPI, 0, 2, 0, 0, NULL), SBI_ERR_INVALID_PARAM, "hart 1");
	cr_assert_eq(call(&h, SBI_EXT_IPI, 0, 1, 1, 0, NULL), SBI_ERR_INVALID_PARAM, "base 1");
	cr_assert_eq(call(&h, SBI_EXT_IPI, 0, 0, 0, 0, NULL), SBI_SUCCESS, "empty mask");
	cr_assert_eq(r.ssip, 0);
	call(&h, SBI_EXT_LEGACY_SEND_IPI, 0, 0, 0, 0, NULL);
	cr_assert_eq(r.ssip, 1);
	call(&h, SBI_EXT_LEGACY_CLEAR_IPI, 0, 0, 0, 0, NULL);
	cr_assert_eq(r.ssip, 0);
	cr_assert_eq(call(&h, SBI_EXT_RFENCE, 0, 1, 0, 0, NULL), SBI_SUCCESS);
	cr_assert_eq(call(&h, SBI_EXT_RFENCE, 1, 0, UINT32_MAX, 0, NULL), SBI_SUCCESS);
	cr_assert_eq(call(&h, SBI_EXT_RFENCE, 2, 1, 0, 0, NULL), SBI_SUCCESS);
	cr_assert_eq(r.fences, 3);
	cr_assert_eq(call(&h, SBI_EXT_RFENCE, 1, 4, 0, 0, NULL), SBI_ERR_INVALID_PARAM);
	cr_assert_eq(call(&h, SBI_EXT_RFENCE, 3, 1, 0, 0, NULL), SBI_ERR_NOT_SUPPORTED, "HFENCE");
	cr_assert_eq(r.fences, 3);
}

Test(semu_sbi, hsm_single_hart)
{
	struct rec r;
	struct sbi_host h = host(&r);
	uint32_t v = 99;
	cr_assert_eq(call(&h, SBI_EXT_HSM, 2, 0, 0, 0, &v), SBI_SUCCESS);
	cr_assert_eq(v, SBI_HSM_STARTED);
	cr_assert_eq(call(&h, SBI_EXT_HSM, 2, 1, 0, 0, NULL), SBI_ERR_INVALID_PARAM);
	cr_assert_eq(call(&h, SBI_EXT_HSM, 0, 0, 0x80000000, 0, NULL), SBI_ERR_ALREADY_AVAILABLE);
	cr_assert_eq(call(&h, SBI_EXT_HSM, 0, 3, 0x80000000, 0, NULL), SBI_ERR_INVALID_PARAM);
	cr_assert_eq(call(&h, SBI_EXT_HSM, 1, 0, 0, 0, NULL), SBI_ERR_FAILED);
	cr_assert_eq(call(&h, SBI_EXT_HSM, 3, 0, 0, 0, NULL), SBI_SUCCESS, "retentive suspend");
	cr_assert_eq(r.suspends, 1);
	cr_assert_eq(call(&h, SBI_EXT_HSM, 3, 0x80000000u, 0, 0, NULL), SBI_ERR_NOT_SUPPORTED);
	cr_assert_eq(call(&h, SBI_EXT_HSM, 3, 5, 0, 0, NULL), SBI_ERR_INVALID_PARAM);
	cr_assert_eq(call(&h, SBI_EXT_HSM, 9, 0, 0, 0, NULL), SBI_ERR_NOT_SUPPORTED);
}

Test(semu_sbi, srst)
{
	struct rec r;
	struct sbi_host h = host(&r);
	cr_assert_eq(call(&h, SBI_EXT_SRST, 0, 3, 0, 0, NULL), SBI_ERR_INVALID_PARAM, "type 3");
	cr_assert_eq(call(&h, SBI_EXT_SRST, 0, 0, 2, 0, NULL), SBI_ERR_INVALID_PARAM, "reason 2");
	cr_assert_eq(call(&h, SBI_EXT_SRST, 1, 0, 0, 0, NULL), SBI_ERR_NOT_SUPPORTED);
	cr_assert_eq(r.resets, 0);
	cr_assert_eq(call(&h, SBI_EXT_SRST, 0, SBI_SRST_SHUTDOWN, SBI_SRST_REASON_FAILURE, 0, NULL),
		     SBI_SUCCESS);
	cr_assert_eq(r.resets, 1);
	cr_assert_eq(r.reset_type, SBI_SRST_SHUTDOWN);
	cr_assert_eq(r.reset_reason, SBI_SRST_REASON_FAILURE);
	call(&h, SBI_EXT_SRST, 0, SBI_SRST_COLD_REBOOT, 0, 0, NULL);
	cr_assert_eq(r.reset_type, SBI_SRST_COLD_REBOOT);
	call(&h, SBI_EXT_LEGACY_SHUTDOWN, 0, 0, 0, 0, NULL);
	cr_assert_eq(r.resets, 3);
	cr_assert_eq(r.reset_type, SBI_SRST_SHUTDOWN);
	cr_assert_eq(r.reset_reason, SBI_SRST_REASON_NONE);
}

Test(semu_sbi, dbcn)
{
	struct rec r;
	struct sbi_host h = host(&r);
	uint32_t v;
	memcpy(r.ram + 100, "dbcn!", 5);
	cr_assert_eq(call(&h, SBI_EXT_DBCN, 0, 5, 0x80000000u + 100, 0, &v), SBI_SUCCESS);
	cr_assert_eq(v, 5);
	cr_assert_eq(memcmp(r.out, "dbcn!", 5), 0);
	cr_assert_eq(call(&h, SBI_EXT_DBCN, 0, 16, 0x80000000u + 4090, 0, NULL), SBI_ERR_INVALID_PARAM,
		     "past the end of RAM");
	cr_assert_eq(call(&h, SBI_EXT_DBCN, 0, 1, 0x80000000u, 1, NULL), SBI_ERR_INVALID_PARAM,
		     "above 4 GiB");
	r.in = "ab";
	cr_assert_eq(call(&h, SBI_EXT_DBCN, 1, 8, 0x80000000u + 200, 0, &v), SBI_SUCCESS);
	cr_assert_eq(v, 2);
	cr_assert_eq(memcmp(r.ram + 200, "ab", 2), 0);
	cr_assert_eq(call(&h, SBI_EXT_DBCN, 2, '#', 0, 0, NULL), SBI_SUCCESS);
	cr_assert_eq(r.out[r.nout - 1], '#');
	h.mem = NULL;
	cr_assert_eq(call(&h, SBI_EXT_DBCN, 2, '#', 0, 0, NULL), SBI_ERR_NOT_SUPPORTED);
	cr_assert_eq(call(&h, SBI_EXT_BASE, 3, SBI_EXT_DBCN, 0, 0, &v), SBI_SUCCESS);
	cr_assert_eq(v, 0);
}

Test(semu_sbi, unknown_extensions)
{
	struct rec r;
	struct sbi_host h = host(&r);
	uint32_t v = 5;
	cr_assert_eq(call(&h, 0x504d55, 0, 0, 0, 0, &v), SBI_ERR_NOT_SUPPORTED);
	cr_assert_eq(call(&h, 0x12345678, 3, 0, 0, 0, NULL), SBI_ERR_NOT_SUPPORTED);
	cr_assert_eq(call(&h, 0x09, 0, 0, 0, 0, NULL), SBI_ERR_NOT_SUPPORTED, "legacy range gap");
	/* a host without callbacks still answers */
	struct sbi_host empty = { 0 };
	cr_assert_eq(call(&empty, SBI_EXT_TIME, 0, 1, 0, 0, NULL), SBI_SUCCESS);
	cr_assert_eq(call(&empty, SBI_EXT_LEGACY_GETCHAR, 0, 0, 0, 0, NULL), -1);
}
