/*
 * core_int.h: helpers shared by the core's source files; not part of the
 * module's interface (use core.h).
 */
#ifndef JD_CORE_CORE_INT_H
#define JD_CORE_CORE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Decode one UTF-8 sequence from the n bytes at p into *cp. Returns its byte
 * length (1..4), or -1 for an invalid, overlong, surrogate, > U+10FFFF or
 * truncated sequence.
 */
int core__utf8_decode(const unsigned char *p, size_t n, uint32_t *cp);

/* Is cp in jobsd's approximation of \p{C}? See validate.c. */
bool core__is_other(uint32_t cp);

/* How many rows of the state table match (op, from, to); exactly 1 for
 * every op, in-enum from and any to is the table's invariant. */
int core__exec_rows_matching(int op, int from, int to);

#endif
