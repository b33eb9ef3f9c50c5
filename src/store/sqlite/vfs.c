/*
 * vfs.c: the SQLite backend's VFS, the system's default one with each WAL
 * file's writes gathered into one write per sync (issue 15, targets by the
 * hundred).
 *
 * Why: SQLite writes a WAL frame as two pwrite calls (its 24-byte header,
 * then the page), so a COMMIT of 80 pages (a CreateJob of 100 targets: one
 * leaf of the pending index per thing) was 160 system calls before its
 * fdatasync. On this VM those calls were 27% of jobsd's CPU in that
 * scenario (perf, bench/README.md "Round 9"). Here the frames of a
 * transaction go to a memory buffer and reach the file in a few large
 * writes (up to WB_CHUNK each) just before SQLite syncs it.
 *
 * What stays as it was: the order of writes and syncs the disk sees. The
 * buffer is written out before every call that could observe the file or
 * make it durable (xSync, xFileSize, xTruncate, xClose, xFileControl, a read
 * that overlaps it), so a sync still covers exactly the frames SQLite wrote
 * before it, and a COMMIT still returns only once they are on disk
 * (synchronous=FULL). Other connections read a frame only once a COMMIT
 * has published it in the wal-index, after that sync. A failed write-out
 * is returned by the call that caused it: at a COMMIT, as the sync's error,
 * so the COMMIT fails and none of its members answers 200.
 *
 * Only WAL files are wrapped: the database file, its shared memory and the
 * temporary files keep the default VFS's own methods.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "store/sqlite/sqlite_int.h"

#define SQ_VFS_NAME "jobsd"
/* A buffer up to this size is kept between syncs; a larger one is freed. A
 * 100-target CreateJob commits about 320 KiB. */
#define WB_KEEP ((size_t)1 << 20)
/* The buffer is written out before it would grow past this, so a large
 * transaction (a fan-out chunk, a migration) adds at most this to the RSS;
 * 2 MiB is 17 writes of WB_CHUNK, against 1,000 calls from SQLite. */
#define WB_MAX ((size_t)2 << 20)
/* At most this much per write to the default VFS: its unixWrite() takes at
 * most 128 KiB - 1 bytes a call (seekAndWriteFd masks the length with
 * 0x1ffff) and answers SQLITE_FULL to a longer one. */
#define WB_CHUNK ((size_t)124 << 10)

struct wb_file {
	sqlite3_file base;  /* pMethods = &wb_methods */
	sqlite3_file *real; /* the default VFS's file, right after this struct */
	unsigned char *p;   /* the bytes for [off, off + len) not yet written */
	size_t len;
	size_t cap;
	sqlite3_int64 off;
};

#define REAL(f) (((struct wb_file *)(void *)(f))->real)

static sqlite3_vfs *real_vfs;
static sqlite3_vfs wb_vfs;
static pthread_once_t wb_once = PTHREAD_ONCE_INIT;
static bool wb_ok;
static _Atomic int64_t st_calls;  /* xWrite calls from SQLite on WAL files */
static _Atomic int64_t st_writes; /* writes made to them by this VFS */

/* Write the buffer out. The buffer is empty afterwards, whatever happened. */
static int
wb_flush(struct wb_file *f)
{
	int rc = SQLITE_OK;

	for (size_t at = 0; at < f->len && rc == SQLITE_OK; at += WB_CHUNK) {
		size_t n = f->len - at < WB_CHUNK ? f->len - at : WB_CHUNK;

		rc = f->real->pMethods->xWrite(f->real, f->p + at, (int)n,
		    f->off + (sqlite3_int64)at);
		atomic_fetch_add_explicit(&st_writes, 1, memory_order_relaxed);
	}
	f->len = 0;
	if (f->cap > WB_KEEP) {
		free(f->p);
		f->p = NULL;
		f->cap = 0;
	}
	return rc;
}

/* Room for n bytes; false if none could be had. */
static bool
wb_room(struct wb_file *f, size_t n)
{
	size_t cap = f->cap > 0 ? f->cap : 64 * 1024;
	unsigned char *p;

	if (n <= f->cap)
		return true;
	while (cap < n)
		cap *= 2;
	if ((p = realloc(f->p, cap)) == NULL)
		return false;
	f->p = p;
	f->cap = cap;
	return true;
}

static int
wb_close(sqlite3_file *file)
{
	struct wb_file *f = (struct wb_file *)(void *)file;
	int rc = wb_flush(f);
	int rc2 = f->real->pMethods->xClose(f->real);

	free(f->p);
	f->p = NULL;
	f->cap = 0;
	return rc != SQLITE_OK ? rc : rc2;
}

static int
wb_read(sqlite3_file *file, void *out, int n, sqlite3_int64 off)
{
	struct wb_file *f = (struct wb_file *)(void *)file;
	sqlite3_int64 end = f->off + (sqlite3_int64)f->len;
	int rc;

	if (f->len > 0 && off < end && off + n > f->off) {
		/* it overlaps the buffer: wholly inside it, or write it out first */
		if (off >= f->off && off + n <= end) {
			memcpy(out, f->p + (off - f->off), (size_t)n);
			return SQLITE_OK;
		}
		if ((rc = wb_flush(f)) != SQLITE_OK)
			return rc;
	}
	rc = f->real->pMethods->xRead(f->real, out, n, off);
	if (rc == SQLITE_IOERR_SHORT_READ && f->len > 0 && f->off > off) {
		/* it read past the file's end, and the buffer starts further on:
		 * written out, the buffer makes the file longer (what lies between
		 * reads as zeros), as it would have without it */
		if ((rc = wb_flush(f)) != SQLITE_OK)
			return rc;
		rc = f->real->pMethods->xRead(f->real, out, n, off);
	}
	return rc;
}

static int
wb_write(sqlite3_file *file, const void *in, int n, sqlite3_int64 off)
{
	struct wb_file *f = (struct wb_file *)(void *)file;
	sqlite3_int64 end = f->off + (sqlite3_int64)f->len;
	int rc;

	atomic_fetch_add_explicit(&st_calls, 1, memory_order_relaxed);
	if (n <= 0)
		return f->real->pMethods->xWrite(f->real, in, n, off);
	if (f->len > 0 && off >= f->off && off <= end) {
		/* inside the buffer or right after it */
		size_t at = (size_t)(off - f->off);
		size_t need = at + (size_t)n;

		if ((need <= f->len || need <= WB_MAX) && wb_room(f, need)) {
			memcpy(f->p + at, in, (size_t)n);
			if (need > f->len)
				f->len = need;
			return SQLITE_OK;
		}
	}
	if ((rc = wb_flush(f)) != SQLITE_OK)
		return rc;
	if ((size_t)n > WB_CHUNK || !wb_room(f, (size_t)n)) {
		atomic_fetch_add_explicit(&st_writes, 1, memory_order_relaxed);
		return f->real->pMethods->xWrite(f->real, in, n, off);
	}
	memcpy(f->p, in, (size_t)n);
	f->off = off;
	f->len = (size_t)n;
	return SQLITE_OK;
}

static int
wb_truncate(sqlite3_file *file, sqlite3_int64 size)
{
	int rc = wb_flush((struct wb_file *)(void *)file);

	return rc != SQLITE_OK ? rc : REAL(file)->pMethods->xTruncate(REAL(file), size);
}

static int
wb_sync(sqlite3_file *file, int flags)
{
	int rc = wb_flush((struct wb_file *)(void *)file);

	return rc != SQLITE_OK ? rc : REAL(file)->pMethods->xSync(REAL(file), flags);
}

static int
wb_size(sqlite3_file *file, sqlite3_int64 *size)
{
	int rc = wb_flush((struct wb_file *)(void *)file);

	return rc != SQLITE_OK ? rc : REAL(file)->pMethods->xFileSize(REAL(file), size);
}

static int
wb_lock(sqlite3_file *file, int level)
{
	return REAL(file)->pMethods->xLock(REAL(file), level);
}

static int
wb_unlock(sqlite3_file *file, int level)
{
	return REAL(file)->pMethods->xUnlock(REAL(file), level);
}

static int
wb_reserved(sqlite3_file *file, int *out)
{
	return REAL(file)->pMethods->xCheckReservedLock(REAL(file), out);
}

static int
wb_control(sqlite3_file *file, int op, void *arg)
{
	int rc = wb_flush((struct wb_file *)(void *)file);

	return rc != SQLITE_OK ? rc : REAL(file)->pMethods->xFileControl(REAL(file), op, arg);
}

static int
wb_sector(sqlite3_file *file)
{
	return REAL(file)->pMethods->xSectorSize(REAL(file));
}

static int
wb_device(sqlite3_file *file)
{
	return REAL(file)->pMethods->xDeviceCharacteristics(REAL(file));
}

/* Version 1: a WAL file has no shared memory and is never memory-mapped. */
static const sqlite3_io_methods wb_methods = {
    .iVersion = 1,
    .xClose = wb_close,
    .xRead = wb_read,
    .xWrite = wb_write,
    .xTruncate = wb_truncate,
    .xSync = wb_sync,
    .xFileSize = wb_size,
    .xLock = wb_lock,
    .xUnlock = wb_unlock,
    .xCheckReservedLock = wb_reserved,
    .xFileControl = wb_control,
    .xSectorSize = wb_sector,
    .xDeviceCharacteristics = wb_device,
};

static int
wb_open(sqlite3_vfs *vfs, sqlite3_filename name, sqlite3_file *file, int flags, int *out_flags)
{
	struct wb_file *f = (struct wb_file *)(void *)file;
	int rc;

	(void)vfs;
	if (!(flags & SQLITE_OPEN_WAL))
		return real_vfs->xOpen(real_vfs, name, file, flags, out_flags);
	memset(f, 0, sizeof(*f));
	f->real = (sqlite3_file *)(void *)(f + 1);
	rc = real_vfs->xOpen(real_vfs, name, f->real, flags, out_flags);
	if (rc == SQLITE_OK && f->real->pMethods != NULL)
		f->base.pMethods = &wb_methods;
	return rc;
}

/* The rest is the default VFS's, called with itself. */
static int
wb_delete(sqlite3_vfs *vfs, const char *name, int sync_dir)
{
	(void)vfs;
	return real_vfs->xDelete(real_vfs, name, sync_dir);
}

static int
wb_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
	(void)vfs;
	return real_vfs->xAccess(real_vfs, name, flags, out);
}

static int
wb_full_path(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
	(void)vfs;
	return real_vfs->xFullPathname(real_vfs, name, n, out);
}

static void *
wb_dl_open(sqlite3_vfs *vfs, const char *name)
{
	(void)vfs;
	return real_vfs->xDlOpen(real_vfs, name);
}

static void
wb_dl_error(sqlite3_vfs *vfs, int n, char *out)
{
	(void)vfs;
	real_vfs->xDlError(real_vfs, n, out);
}

static void (*wb_dl_sym(sqlite3_vfs *vfs, void *h, const char *sym))(void)
{
	(void)vfs;
	return real_vfs->xDlSym(real_vfs, h, sym);
}

static void
wb_dl_close(sqlite3_vfs *vfs, void *h)
{
	(void)vfs;
	real_vfs->xDlClose(real_vfs, h);
}

static int
wb_randomness(sqlite3_vfs *vfs, int n, char *out)
{
	(void)vfs;
	return real_vfs->xRandomness(real_vfs, n, out);
}

static int
wb_sleep(sqlite3_vfs *vfs, int us)
{
	(void)vfs;
	return real_vfs->xSleep(real_vfs, us);
}

static int
wb_time(sqlite3_vfs *vfs, double *out)
{
	(void)vfs;
	return real_vfs->xCurrentTime(real_vfs, out);
}

static int
wb_last_error(sqlite3_vfs *vfs, int n, char *out)
{
	(void)vfs;
	return real_vfs->xGetLastError != NULL ? real_vfs->xGetLastError(real_vfs, n, out) : 0;
}

static int
wb_time64(sqlite3_vfs *vfs, sqlite3_int64 *out)
{
	(void)vfs;
	return real_vfs->xCurrentTimeInt64(real_vfs, out);
}

static void
wb_register(void)
{
	real_vfs = sqlite3_vfs_find(NULL);
	if (real_vfs == NULL || real_vfs->iVersion < 2 || real_vfs->xCurrentTimeInt64 == NULL)
		return;
	wb_vfs = (sqlite3_vfs){
	    .iVersion = 2,
	    .szOsFile = (int)sizeof(struct wb_file) + real_vfs->szOsFile,
	    .mxPathname = real_vfs->mxPathname,
	    .zName = SQ_VFS_NAME,
	    .xOpen = wb_open,
	    .xDelete = wb_delete,
	    .xAccess = wb_access,
	    .xFullPathname = wb_full_path,
	    .xDlOpen = wb_dl_open,
	    .xDlError = wb_dl_error,
	    .xDlSym = wb_dl_sym,
	    .xDlClose = wb_dl_close,
	    .xRandomness = wb_randomness,
	    .xSleep = wb_sleep,
	    .xCurrentTime = wb_time,
	    .xGetLastError = wb_last_error,
	    .xCurrentTimeInt64 = wb_time64,
	};
	wb_ok = sqlite3_vfs_register(&wb_vfs, 0) == SQLITE_OK;
}

const char *
sq__vfs_name(void)
{
	pthread_once(&wb_once, wb_register);
	return wb_ok ? SQ_VFS_NAME : NULL;
}

void
store_sqlite__wal_writes(int64_t *calls, int64_t *writes)
{
	*calls = atomic_load(&st_calls);
	*writes = atomic_load(&st_writes);
}
