/*
 * copystore.h: the `jobsd copy-store` subcommand (docs/operations.md,
 * "Several nodes"): copy a stopped deployment's whole state from one store
 * to another (SQLite to PostgreSQL, or back) and verify every count.
 */
#ifndef JD_COPYSTORE_H
#define JD_COPYSTORE_H

/* Exit statuses of copy-store. */
#define COPYSTORE_OK 0
#define COPYSTORE_ESTORE 1    /* a store failed to open, read, write or commit */
#define COPYSTORE_EUSAGE 2    /* bad arguments */
#define COPYSTORE_ENONEMPTY 3 /* the target holds data and --force was not given */
#define COPYSTORE_EVERIFY 4   /* a count differed after the copy: nothing committed */

/* Run `jobsd copy-store ARGS`: argv[0] is "copy-store". Prints a report on
 * stdout, errors on stderr (URIs with their password masked); returns the
 * exit status. */
int copystore_main(int argc, char **argv);

#endif
