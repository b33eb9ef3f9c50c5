/*
 * fuzz_sigv4.h: what the two SigV4 targets (fuzz_sigv4, fuzz_sigv4_early)
 * share: one verifier over a fixed key pair, created once per process, and
 * a line splitter for their line-based inputs.
 */
#ifndef JD_FUZZ_FUZZ_SIGV4_H
#define JD_FUZZ_FUZZ_SIGV4_H

#include <unistd.h>

#include "auth/auth_int.h"
#include "fuzz.h"

#define SECRET "fuzz-secret-0123456789abcdefghij"

static struct auth *auth;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char path[] = "/tmp/jobsd-fuzz-creds-XXXXXX";
	struct jd_error e;
	int fd = mkstemp(path);
	const char text[] = "AKIDFUZZ " SECRET "\n";

	(void)argc;
	(void)argv;
	if (fd < 0 || write(fd, text, sizeof(text) - 1) != (ssize_t)(sizeof(text) - 1))
		abort();
	close(fd);
	jd_error_init(&e);
	if (auth_create(path, &auth, &e) != 0)
		abort();
	unlink(path);
	return 0;
}

/* The next '\n'-ended line of *p, NUL-terminated in place; NULL after the last. */
static char *
next_line(char **p)
{
	char *s = *p, *nl;

	if (s == NULL)
		return NULL;
	nl = strchr(s, '\n');
	if (nl != NULL) {
		*nl = '\0';
		*p = nl + 1;
	} else {
		*p = NULL;
	}
	return s;
}

#endif
