/* test_fault_alloc.c - allocation failures under the recorder (issue 7.2): SQLite's allocator
 * (SQLITE_CONFIG_MALLOC) and the recorder's own malloc/calloc/realloc (the test binary is
 * linked with -Wl,--wrap, tests/unit/fault.mk) fail at the Nth call while a session plays.
 * The audio must go on, an error is reported at most once (exactly once when the recording
 * lost something) and a reported session is never marked complete. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/unit/fault_session.h"

#define PERIODS 40

/* Allocation hooks have no context argument (sqlite3_mem_methods.xMalloc(int), malloc), so
 * the injector's state is this one process-wide object (each criterion test runs in its
 * own process). */
struct alloc_fault {
	int armed;
	uint64_t fail_at, calls, fired;
	pthread_t main_thread;
};
static struct alloc_fault sq_fault, libc_fault;
/* Main-thread allocations count only inside recorder calls (scope > 0); other threads'
 * allocations (the recorder's writer; the device's threads allocate nothing) always do. */
static __thread int libc_scope;

static int should_fail(struct alloc_fault *f, int main_scope)
{
	if (!__atomic_load_n(&f->armed, __ATOMIC_SEQ_CST))
		return 0;
	if (pthread_equal(pthread_self(), f->main_thread) && !main_scope)
		return 0;
	uint64_t n = __atomic_add_fetch(&f->calls, 1, __ATOMIC_SEQ_CST);
	if (f->fail_at && n == f->fail_at) {
		__atomic_add_fetch(&f->fired, 1, __ATOMIC_SEQ_CST);
		return 1;
	}
	return 0;
}

/* ---- libc (recorder call sites) ---- */

void *__real_malloc(size_t n);
void *__real_calloc(size_t a, size_t b);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t a, size_t b);
void *__wrap_realloc(void *p, size_t n);

void *__wrap_malloc(size_t n)
{
	return should_fail(&libc_fault, libc_scope) ? NULL : __real_malloc(n);
}
void *__wrap_calloc(size_t a, size_t b)
{
	return should_fail(&libc_fault, libc_scope) ? NULL : __real_calloc(a, b);
}
void *__wrap_realloc(void *p, size_t n)
{
	return should_fail(&libc_fault, libc_scope) ? NULL : __real_realloc(p, n);
}

/* ---- SQLite's allocator ---- */

static sqlite3_mem_methods sq_real;

static void *sq_malloc(int n)
{
	return should_fail(&sq_fault, 1) ? NULL : sq_real.xMalloc(n);
}
static void *sq_realloc(void *p, int n)
{
	return should_fail(&sq_fault, 1) ? NULL : sq_real.xRealloc(p, n);
}

static void sq_install(void)
{
	cr_assert_eq(sqlite3_shutdown(), SQLITE_OK);
	cr_assert_eq(sqlite3_config(SQLITE_CONFIG_GETMALLOC, &sq_real), SQLITE_OK);
	sqlite3_mem_methods m = sq_real;
	m.xMalloc = sq_malloc;
	m.xRealloc = sq_realloc;
	cr_assert_eq(sqlite3_config(SQLITE_CONFIG_MALLOC, &m), SQLITE_OK);
	cr_assert_eq(sqlite3_initialize(), SQLITE_OK);
}

static void scope(int enter)
{
	libc_scope += enter ? 1 : -1;
}

/* ---- one session ---- */

static void arm(struct alloc_fault *f, uint64_t fail_at)
{
	f->main_thread = pthread_self();
	f->fail_at = fail_at;
	__atomic_store_n(&f->calls, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&f->fired, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&f->armed, 1, __ATOMIC_SEQ_CST);
}

/* Runs a session with f failing its fail_at-th counted call; returns the calls counted. */
static uint64_t run_one(struct alloc_fault *f, uint64_t fail_at, const char *path, int *reported)
{
	struct fs_session s;
	struct vt_recorder_opts o = { .commit_events = 16, .commit_ms = 1000000 };
	arm(f, fail_at);
	fs_open_scoped(&s, path, &o, scope);
	fs_play(&s, PERIODS);
	fs_sync(&s);
	int rc = fs_close(&s);
	__atomic_store_n(&f->armed, 0, __ATOMIC_SEQ_CST);
	uint64_t fired = f->fired;
	if (reported)
		*reported += s.errors > 0 || s.open_err[0];

	const char *bad = fs_audio_intact(&s, 0);
	cr_assert_null(bad, "N=%llu: %s", (unsigned long long)fail_at, bad);
	cr_assert_leq(s.errors, 1, "N=%llu: on_error called %u times", (unsigned long long)fail_at,
		      s.errors);
	if (!fired) {
		cr_assert_eq(s.errors, 0);
		cr_assert_eq(rc, 0);
		cr_assert_eq(s.open_err[0], 0);
	}
	if (s.open_err[0]) {
		cr_assert(fired, "open failed without a fault: %s", s.open_err);
	} else {
		struct fs_row row;
		cr_assert_eq(fs_read_row(path, &row), 0, "N=%llu: unreadable session",
			     (unsigned long long)fail_at);
		cr_assert(row.integrity_ok);
		if (s.errors) {
			cr_assert(s.error[0]);
			cr_assert_eq(rc, -1);
			cr_assert(row.truncated == 1 || row.clean_end == 0,
				  "N=%llu: a failed session is marked complete",
				  (unsigned long long)fail_at);
		} else if (row.clean_end == 1 && row.truncated == 0) {
			/* Claimed complete: then it must be (no silent loss). */
			cr_assert_eq(row.pcm_bytes, (uint64_t)s.nmsgs * FS_PERIOD_BYTES,
				     "N=%llu: complete session lost PCM", (unsigned long long)fail_at);
		}
	}
	fs_free(&s);
	fs_rm_db(path);
	return f->calls;
}

static void sweep(struct alloc_fault *f, const char *tag, uint64_t max_runs)
{
	char path[256];
	snprintf(path, sizeof(path), "/tmp/vt_fault_%s_%d.db", tag, (int)getpid());
	uint64_t total = run_one(f, 0, path, NULL);
	cr_assert_gt(total, 0);
	uint64_t step = total / max_runs + 1;
	int reported = 0;
	for (uint64_t n = 1; n <= total; n += step)
		run_one(f, n, path, &reported);
	cr_assert_gt(reported, 0, "no failure was ever reported (%llu calls)",
		     (unsigned long long)total);
	if (getenv("FAULT_DEBUG"))
		fprintf(stderr, "%s: %llu calls, %d runs reported\n", tag, (unsigned long long)total,
			reported);
}

Test(fault_alloc, sqlite_allocator, .timeout = 120)
{
	sq_install();
	sweep(&sq_fault, "sqmem", 60);
}

Test(fault_alloc, recorder_allocations, .timeout = 120)
{
	/* Every counted allocation, one by one (there are few: open, wrappers, writer). */
	sweep(&libc_fault, "recmem", 1000);
}
