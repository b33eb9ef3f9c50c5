/* Unit tests of the credentials file's admin column (test-rig endpoints with
 * auth on, docs/operations.md#hardening). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth/auth_int.h"
#include "test.h"

TEST(admin_column_parsed)
{
	const char *text = "AKIDPLAIN s3cr3t\nAKIDBOSS b0ss admin\n  AKIDTAB\tt4b\tadmin  \r\n";
	struct auth__table *t = NULL;
	struct jd_error e;

	jd_error_init(&e);
	CHECK_EQ_INT(auth__table_parse(text, strlen(text), "f", &t, &e), 0);
	CHECK_EQ_INT(t->n, 3);
	CHECK(!auth__table_find(t, "AKIDPLAIN")->admin);
	CHECK(auth__table_find(t, "AKIDBOSS")->admin);
	CHECK_EQ_STR(auth__table_find(t, "AKIDBOSS")->secret, "b0ss");
	CHECK(auth__table_find(t, "AKIDTAB")->admin);
	CHECK_EQ_STR(auth__table_find(t, "AKIDTAB")->secret, "t4b");
	auth__table_free(t);
}

TEST(other_third_words_refused)
{
	const char *bad[] = {"AKIDONE s3cr3t Admin\n", "AKIDONE s3cr3t admins\n",
	    "AKIDONE s3cr3t admin extra\n", "AKIDONE s3cr3t adm\n"};
	struct auth__table *t = NULL;
	struct jd_error e;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		jd_error_init(&e);
		CHECK_EQ_INT(auth__table_parse(bad[i], strlen(bad[i]), "f", &t, &e), JD_EINVAL);
		CHECK(t == NULL);
		CHECK(strstr(e.msg, "s3cr3t") == NULL);
		CHECK(strstr(e.msg, "[admin]") != NULL);
	}
}

TEST(auth_key_admin_follows_reload)
{
	char path[64];
	struct auth *a = NULL;
	struct jd_error e;
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/jobsd-creds-admin-%d", (int)getpid());
	f = fopen(path, "w");
	fputs("AKIDPLAIN s3cr3t\nAKIDBOSS b0ss admin\n", f);
	fclose(f);
	chmod(path, 0600);
	jd_error_init(&e);
	CHECK_EQ_INT(auth_create(path, &a, &e), 0);
	CHECK(auth_key_admin(a, "AKIDBOSS"));
	CHECK(!auth_key_admin(a, "AKIDPLAIN"));
	CHECK(!auth_key_admin(a, "AKIDNOBODY"));
	CHECK(!auth_key_admin(a, NULL));
	CHECK(!auth_key_admin(NULL, "AKIDBOSS"));
	CHECK_EQ_INT(auth_admin_count(a), 1);
	f = fopen(path, "w");
	fputs("AKIDPLAIN s3cr3t admin\nAKIDBOSS b0ss\n", f);
	fclose(f);
	CHECK_EQ_INT(auth_reload(a, &e), 0);
	CHECK(auth_key_admin(a, "AKIDPLAIN"));
	CHECK(!auth_key_admin(a, "AKIDBOSS"));
	auth_destroy(a);
	unlink(path);
}

int
main(void)
{
	RUN(admin_column_parsed);
	RUN(other_third_words_refused);
	RUN(auth_key_admin_follows_reload);
	return test_report();
}
