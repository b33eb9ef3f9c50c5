/*
 * fsync_ceiling.c: the machine's limits for durable writes (issue 15, item
 * 6), measured in the directory the store lives in:
 *
 *   1. the fsync rate of the disk: a loop of a 4 KiB pwrite and fdatasync
 *      on a file, with one thread, then with N threads (a file each);
 *   2. the group-commit ceiling of SQLite as jobsd uses it (WAL,
 *      synchronous=FULL, jobsd's own writer and group commit, through the
 *      store interface): N threads each run one-row write transactions
 *      (a meta row) as fast as they commit.
 *
 * A durable write operation of the API can at best reach (2); run-ceiling.sh
 * prints each one as a fraction of it.
 *
 *   fsync_ceiling DIR THREADS SECONDS
 *
 * Output: one "op=... threads=N rate=R" line per measure on stdout.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store/sqlite/sqlite_int.h"
#include "store/store.h"

#define CEIL_THREADS_MAX 256

struct worker {
	pthread_t th;
	const char *dir;
	struct store *st;
	int id;
	double seconds;
	long done;
	int failed;
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *
fsync_main(void *arg)
{
	struct worker *w = arg;
	char path[4096], block[4096];
	double end;
	int fd;

	memset(block, 'x', sizeof(block));
	snprintf(path, sizeof(path), "%s/fsync-%d.tmp", w->dir, w->id);
	if ((fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0600)) < 0) {
		w->failed = errno;
		return NULL;
	}
	end = now_s() + w->seconds;
	while (now_s() < end) {
		if (pwrite(fd, block, sizeof(block), 0) != (ssize_t)sizeof(block) ||
		    fdatasync(fd) != 0) {
			w->failed = errno;
			break;
		}
		w->done++;
	}
	close(fd);
	unlink(path);
	return NULL;
}

static void *
commit_main(void *arg)
{
	struct worker *w = arg;
	double end = now_s() + w->seconds;
	char key[64];

	while (now_s() < end) {
		struct store_tx *tx = NULL;
		snprintf(key, sizeof(key), "ceiling-%d-%ld", w->id, w->done);
		if (store_begin(w->st, true, &tx) != 0 || store_meta_put(tx, key, "1") != 0) {
			store_rollback(tx);
			w->failed = 1;
			break;
		}
		if (store_commit(tx) != 0) {
			w->failed = 1;
			break;
		}
		w->done++;
	}
	return NULL;
}

/* Run n workers of fn for seconds; their total per second, or -1. */
static double
run(void *(*fn)(void *), int n, const char *dir, struct store *st, double seconds)
{
	struct worker *w = calloc((size_t)n, sizeof(*w));
	double t0 = now_s(), total = 0;
	int failed = 0;

	if (w == NULL)
		abort();
	for (int i = 0; i < n; i++) {
		w[i] = (struct worker){.dir = dir, .st = st, .id = i, .seconds = seconds};
		if (pthread_create(&w[i].th, NULL, fn, &w[i]) != 0)
			abort();
	}
	for (int i = 0; i < n; i++) {
		pthread_join(w[i].th, NULL);
		total += (double)w[i].done;
		failed |= w[i].failed;
	}
	free(w);
	return failed ? -1 : total / (now_s() - t0);
}

int
main(int argc, char **argv)
{
	struct store_sqlite_stats a, b;
	struct jd_error e;
	struct store *st = NULL;
	char spec[4200];
	double secs, r1, rn, rc;
	int n;

	if (argc != 4 || (n = atoi(argv[2])) < 1 || n > CEIL_THREADS_MAX ||
	    (secs = atof(argv[3])) <= 0) {
		fprintf(stderr, "usage: fsync_ceiling DIR THREADS(1..%d) SECONDS\n",
		    CEIL_THREADS_MAX);
		return 2;
	}
	r1 = run(fsync_main, 1, argv[1], NULL, secs);
	rn = run(fsync_main, n, argv[1], NULL, secs);
	printf("op=fdatasync threads=1 rate=%.0f\n", r1);
	printf("op=fdatasync threads=%d rate=%.0f\n", n, rn);
	snprintf(spec, sizeof(spec), "sqlite:%s/ceiling.db", argv[1]);
	jd_error_init(&e);
	if (store_open(spec, &st, &e) != 0) {
		fprintf(stderr, "fsync_ceiling: %s\n", e.msg);
		return 1;
	}
	store_sqlite__stats(st, &a);
	rc = run(commit_main, n, argv[1], st, secs);
	store_sqlite__stats(st, &b);
	printf(
	    "op=sqlite-group-commit threads=%d rate=%.0f groups_per_s=%.0f members_per_group=%.1f\n",
	    n, rc, (double)(b.groups - a.groups) / secs,
	    b.groups > a.groups ? (double)(b.members - a.members) / (double)(b.groups - a.groups) :
	                          0);
	store_close(st);
	snprintf(spec, sizeof(spec), "%s/ceiling.db", argv[1]);
	unlink(spec);
	strncat(spec, "-wal", sizeof(spec) - strlen(spec) - 1);
	unlink(spec);
	spec[strlen(spec) - 4] = '\0';
	strncat(spec, "-shm", sizeof(spec) - strlen(spec) - 1);
	unlink(spec);
	return r1 < 0 || rn < 0 || rc < 0;
}
