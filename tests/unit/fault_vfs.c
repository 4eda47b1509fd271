/* fault_vfs.c - SQLite VFS shim for fault injection (see fault_vfs.h): every method forwards
 * to the real VFS / file; xWrite, xSync, xLock and xShmLock may fail on request. */
#include "fault_vfs.h"

#include <string.h>

struct fv_file {
	sqlite3_file base;
	struct fault_vfs *f;
	sqlite3_file *real; /* lives right after this struct (szOsFile) */
};

/* Count a call of kind k; returns the injected error or SQLITE_OK. */
static int fv_hit(struct fault_vfs *f, enum fault_vfs_kind k)
{
	uint64_t n = __atomic_add_fetch(&f->calls[k], 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&f->kind, __ATOMIC_SEQ_CST) != k || !f->fail_at)
		return SQLITE_OK;
	if (n == f->fail_at ||
	    (f->sticky && n > f->fail_at && (!f->fail_count || n < f->fail_at + f->fail_count))) {
		__atomic_add_fetch(&f->fired, 1, __ATOMIC_SEQ_CST);
		return f->rc;
	}
	return SQLITE_OK;
}

#define REAL(p) (((struct fv_file *)(p))->real)

static int fv_close(sqlite3_file *p)
{
	int rc = REAL(p)->pMethods ? REAL(p)->pMethods->xClose(REAL(p)) : SQLITE_OK;
	return rc;
}
static int fv_read(sqlite3_file *p, void *b, int n, sqlite3_int64 off)
{
	return REAL(p)->pMethods->xRead(REAL(p), b, n, off);
}
static int fv_write(sqlite3_file *p, const void *b, int n, sqlite3_int64 off)
{
	int rc = fv_hit(((struct fv_file *)p)->f, FV_WRITE);
	return rc ? rc : REAL(p)->pMethods->xWrite(REAL(p), b, n, off);
}
static int fv_truncate(sqlite3_file *p, sqlite3_int64 size)
{
	return REAL(p)->pMethods->xTruncate(REAL(p), size);
}
static int fv_sync(sqlite3_file *p, int flags)
{
	int rc = fv_hit(((struct fv_file *)p)->f, FV_SYNC);
	return rc ? rc : REAL(p)->pMethods->xSync(REAL(p), flags);
}
static int fv_size(sqlite3_file *p, sqlite3_int64 *size)
{
	return REAL(p)->pMethods->xFileSize(REAL(p), size);
}
static int fv_lock(sqlite3_file *p, int l)
{
	int rc = fv_hit(((struct fv_file *)p)->f, FV_LOCK);
	return rc ? rc : REAL(p)->pMethods->xLock(REAL(p), l);
}
static int fv_unlock(sqlite3_file *p, int l)
{
	return REAL(p)->pMethods->xUnlock(REAL(p), l);
}
static int fv_check(sqlite3_file *p, int *out)
{
	return REAL(p)->pMethods->xCheckReservedLock(REAL(p), out);
}
static int fv_fcntl(sqlite3_file *p, int op, void *arg)
{
	return REAL(p)->pMethods->xFileControl(REAL(p), op, arg);
}
static int fv_sector(sqlite3_file *p)
{
	return REAL(p)->pMethods->xSectorSize(REAL(p));
}
static int fv_devchar(sqlite3_file *p)
{
	return REAL(p)->pMethods->xDeviceCharacteristics(REAL(p));
}
static int fv_shm_map(sqlite3_file *p, int pg, int sz, int ext, void volatile **pp)
{
	return REAL(p)->pMethods->xShmMap(REAL(p), pg, sz, ext, pp);
}
static int fv_shm_lock(sqlite3_file *p, int off, int n, int flags)
{
	/* Only taking a lock can fail (releasing cannot). */
	if (flags & SQLITE_SHM_LOCK) {
		int rc = fv_hit(((struct fv_file *)p)->f, FV_LOCK);
		if (rc)
			return rc;
	}
	return REAL(p)->pMethods->xShmLock(REAL(p), off, n, flags);
}
static void fv_shm_barrier(sqlite3_file *p)
{
	REAL(p)->pMethods->xShmBarrier(REAL(p));
}
static int fv_shm_unmap(sqlite3_file *p, int del)
{
	return REAL(p)->pMethods->xShmUnmap(REAL(p), del);
}
static int fv_fetch(sqlite3_file *p, sqlite3_int64 off, int n, void **pp)
{
	return REAL(p)->pMethods->xFetch(REAL(p), off, n, pp);
}
static int fv_unfetch(sqlite3_file *p, sqlite3_int64 off, void *ptr)
{
	return REAL(p)->pMethods->xUnfetch(REAL(p), off, ptr);
}

static const sqlite3_io_methods fv_methods = {
	.iVersion = 3,
	.xClose = fv_close,
	.xRead = fv_read,
	.xWrite = fv_write,
	.xTruncate = fv_truncate,
	.xSync = fv_sync,
	.xFileSize = fv_size,
	.xLock = fv_lock,
	.xUnlock = fv_unlock,
	.xCheckReservedLock = fv_check,
	.xFileControl = fv_fcntl,
	.xSectorSize = fv_sector,
	.xDeviceCharacteristics = fv_devchar,
	.xShmMap = fv_shm_map,
	.xShmLock = fv_shm_lock,
	.xShmBarrier = fv_shm_barrier,
	.xShmUnmap = fv_shm_unmap,
	.xFetch = fv_fetch,
	.xUnfetch = fv_unfetch,
};

static int fv_open(sqlite3_vfs *v, const char *name, sqlite3_file *file, int flags, int *out)
{
	struct fault_vfs *f = v->pAppData;
	struct fv_file *ff = (struct fv_file *)file;
	ff->f = f;
	ff->real = (sqlite3_file *)(ff + 1);
	memset(ff->real, 0, (size_t)f->real->szOsFile);
	int rc = f->real->xOpen(f->real, name, ff->real, flags, out);
	/* SQLite calls xClose only when pMethods is set, even after a failed open. */
	ff->base.pMethods = ff->real->pMethods ? &fv_methods : NULL;
	return rc;
}

#define RV(v) (((struct fault_vfs *)(v)->pAppData)->real)
static int fv_delete(sqlite3_vfs *v, const char *n, int sync)
{
	return RV(v)->xDelete(RV(v), n, sync);
}
static int fv_access(sqlite3_vfs *v, const char *n, int flags, int *out)
{
	return RV(v)->xAccess(RV(v), n, flags, out);
}
static int fv_fullname(sqlite3_vfs *v, const char *n, int len, char *out)
{
	return RV(v)->xFullPathname(RV(v), n, len, out);
}
static void *fv_dlopen(sqlite3_vfs *v, const char *n)
{
	return RV(v)->xDlOpen(RV(v), n);
}
static void fv_dlerror(sqlite3_vfs *v, int n, char *msg)
{
	RV(v)->xDlError(RV(v), n, msg);
}
static void (*fv_dlsym(sqlite3_vfs *v, void *h, const char *s))(void)
{
	return RV(v)->xDlSym(RV(v), h, s);
}
static void fv_dlclose(sqlite3_vfs *v, void *h)
{
	RV(v)->xDlClose(RV(v), h);
}
static int fv_random(sqlite3_vfs *v, int n, char *out)
{
	return RV(v)->xRandomness(RV(v), n, out);
}
static int fv_sleep(sqlite3_vfs *v, int us)
{
	return RV(v)->xSleep(RV(v), us);
}
static int fv_time(sqlite3_vfs *v, double *t)
{
	return RV(v)->xCurrentTime(RV(v), t);
}
static int fv_lasterr(sqlite3_vfs *v, int n, char *s)
{
	return RV(v)->xGetLastError ? RV(v)->xGetLastError(RV(v), n, s) : 0;
}
static int fv_time64(sqlite3_vfs *v, sqlite3_int64 *t)
{
	return RV(v)->xCurrentTimeInt64(RV(v), t);
}

int fault_vfs_install(struct fault_vfs *f)
{
	f->real = sqlite3_vfs_find(NULL);
	if (!f->real)
		return SQLITE_ERROR;
	f->vfs = (sqlite3_vfs){
		.iVersion = 2,
		.szOsFile = (int)sizeof(struct fv_file) + f->real->szOsFile,
		.mxPathname = f->real->mxPathname,
		.zName = "vsnd-fault",
		.pAppData = f,
		.xOpen = fv_open,
		.xDelete = fv_delete,
		.xAccess = fv_access,
		.xFullPathname = fv_fullname,
		.xDlOpen = fv_dlopen,
		.xDlError = fv_dlerror,
		.xDlSym = fv_dlsym,
		.xDlClose = fv_dlclose,
		.xRandomness = fv_random,
		.xSleep = fv_sleep,
		.xCurrentTime = fv_time,
		.xGetLastError = fv_lasterr,
		.xCurrentTimeInt64 = fv_time64,
	};
	return sqlite3_vfs_register(&f->vfs, 1);
}

void fault_vfs_remove(struct fault_vfs *f)
{
	sqlite3_vfs_unregister(&f->vfs);
	if (f->real)
		sqlite3_vfs_register(f->real, 1);
}
