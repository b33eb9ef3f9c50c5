/*
 * fuzz.h: what every libFuzzer target of jobsd shares. Each fuzz_*.c defines
 * LLVMFuzzerTestOneInput() and checks invariants with FUZZ_CHECK, which
 * prints the failed condition and aborts so that libFuzzer saves the input.
 */
#ifndef JD_FUZZ_FUZZ_H
#define JD_FUZZ_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define FUZZ_CHECK(cond)                                                                     \
	do {                                                                                 \
		if (!(cond)) {                                                               \
			fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, \
			    #cond);                                                          \
			abort();                                                             \
		}                                                                            \
	} while (0)

/* A NUL-terminated, heap-allocated copy of the input (ASan sees overreads). */
static inline char *
fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s == NULL)
		abort();
	if (size > 0)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* Is every byte of the NUL-terminated s printable ASCII (0x20..0x7E)? The
 * validators promise messages that can go into JSON and logs as they are. */
static inline int
fuzz_printable(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7E)
			return 0;
	return 1;
}

/*
 * Unicode 15, table 3-7 (well-formed UTF-8 byte sequences), written from the
 * standard rather than from src/: the length of the sequence at p (n > 0
 * bytes left) and its code point, or 0 when p does not start one.
 */
static inline size_t
fuzz_utf8_seq(const unsigned char *p, size_t n, uint32_t *cp)
{
	unsigned char b0 = p[0], lo = 0x80, hi = 0xBF;
	size_t len;

	if (b0 <= 0x7F) {
		*cp = b0;
		return 1;
	}
	if (b0 >= 0xC2 && b0 <= 0xDF)
		len = 2;
	else if (b0 >= 0xE0 && b0 <= 0xEF)
		len = 3;
	else if (b0 >= 0xF0 && b0 <= 0xF4)
		len = 4;
	else
		return 0;
	if (b0 == 0xE0)
		lo = 0xA0;
	else if (b0 == 0xED)
		hi = 0x9F;
	else if (b0 == 0xF0)
		lo = 0x90;
	else if (b0 == 0xF4)
		hi = 0x8F;
	if (n < len || p[1] < lo || p[1] > hi)
		return 0;
	*cp = b0 & (len == 2 ? 0x1F : len == 3 ? 0x0F : 0x07);
	for (size_t i = 1; i < len; i++) {
		if (i > 1 && (p[i] < 0x80 || p[i] > 0xBF))
			return 0;
		*cp = *cp << 6 | (p[i] & 0x3F);
	}
	return len;
}

#endif
