/*
 * storekit.h: what every store conformance program (tests/store/test_*.c)
 * needs around its cases: the backend named on its command line opened as
 * S (`sqlite` for a fresh file in a temp dir, or BACKEND WHERE, e.g.
 * postgres "postgres://..."), names unique to the run (run_id: a reused
 * database keeps old rows), transactions that exit(2) when the store fails
 * outside a case's checks, and the clean-up. Header only: each program is
 * its own executable.
 */
#ifndef JD_TESTS_STOREKIT_H
#define JD_TESTS_STOREKIT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"
#include "util/clock.h"
#include "util/log.h"

static struct store *S;
static char run_id[32] __attribute__((unused));
static char storekit_tmpdir[256];
static char storekit_spec[1024]; /* what S was opened from (a case may reopen it) */

static inline struct store_tx *
begin(bool write)
{
	struct store_tx *tx = NULL;
	int rc = store_begin(S, write, &tx);

	if (rc != 0) {
		fprintf(stderr, "store_begin: %s\n", jd_errno_name(rc));
		exit(2);
	}
	return tx;
}

static inline void
commit(struct store_tx *tx)
{
	int rc = store_commit(tx);

	if (rc != 0) {
		fprintf(stderr, "store_commit: %s\n", jd_errno_name(rc));
		exit(2);
	}
}

static inline void
storekit_cleanup(void)
{
	const char *sfx[] = {"", "-wal", "-shm", "-journal"};
	char p[512];

	if (storekit_tmpdir[0] == '\0')
		return;
	for (size_t i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		snprintf(p, sizeof(p), "%s/x.db%s", storekit_tmpdir, sfx[i]);
		unlink(p);
	}
	rmdir(storekit_tmpdir);
}

/* Open S from the command line; 0, or the exit status (2) after a message. */
static inline int
storekit_open(int argc, char **argv)
{
	struct jd_error e;

	if (argc == 2 && strcmp(argv[1], "sqlite") == 0) {
		snprintf(storekit_tmpdir, sizeof(storekit_tmpdir), "/tmp/jd_store_XXXXXX");
		if (mkdtemp(storekit_tmpdir) == NULL) {
			perror("mkdtemp");
			return 2;
		}
		snprintf(storekit_spec, sizeof(storekit_spec), "sqlite:%s/x.db", storekit_tmpdir);
	} else if (argc == 3) {
		snprintf(storekit_spec, sizeof(storekit_spec), "%s:%s", argv[1], argv[2]);
	} else {
		fprintf(stderr, "usage: %s sqlite | BACKEND WHERE\n", argv[0]);
		return 2;
	}
	log_set_level(JD_LOG_WARN);
	snprintf(run_id, sizeof(run_id), "t%lld-%ld", (long long)clock_real_ms(), (long)getpid());
	jd_error_init(&e);
	if (store_open(storekit_spec, &S, &e) != 0) {
		fprintf(stderr, "store_open(%s): %s\n", storekit_spec, e.msg);
		storekit_cleanup();
		return 2;
	}
	jd_error_clear(&e);
	return 0;
}

/* Close S and remove the temp dir. */
static inline void
storekit_close(void)
{
	store_close(S);
	storekit_cleanup();
}

#endif
