/*
 * sqlite_raw.h: SQL run straight on a SQLite store's file, past the store
 * (a test that rewinds a migration, plants a row from an older version):
 * its own connection with SQLite's default VFS, opened and closed per call,
 * exit(2) on failure. Header only, for the store test programs.
 */
#ifndef JD_TESTS_SQLITE_RAW_H
#define JD_TESTS_SQLITE_RAW_H

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>

static inline void
sqlite_raw_exec(const char *db_file, const char *sql)
{
	sqlite3 *db = NULL;
	char *err = NULL;

	if (sqlite3_open(db_file, &db) != SQLITE_OK ||
	    sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
		fprintf(stderr, "raw sql: %s\n", err != NULL ? err : sqlite3_errmsg(db));
		exit(2);
	}
	sqlite3_close(db);
}

#endif
