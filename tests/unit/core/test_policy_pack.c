/*
 * test_policy_pack.c: the storage form of struct jd_policy
 * (core_policy_pack / core_policy_unpack) and its copy and release.
 */
#include <stdlib.h>
#include <string.h>

#include "core/policy.h"
#include "test.h"

static struct jd_abort_criterion crit3[] = {
    {JD_FAILURE_FAILED, 12.5, 10},
    {JD_FAILURE_ALL, 100.0, 1},
    {-1, 0.0, 2147483647},
};

/* A policy with every member set (abort borrowed from crit3). */
static struct jd_policy
full(void)
{
	struct jd_policy p;

	memset(&p, 0, sizeof(p));
	p.present = JD_POLICY_ROLLOUT | JD_POLICY_ABORT | JD_POLICY_RETRY | JD_POLICY_TIMEOUT |
	    JD_POLICY_SCHEDULE | JD_POLICY_PRESIGNED;
	p.max_per_minute = 900;
	p.exponential = true;
	p.base_per_minute = 7;
	p.increment_factor = 1.1;
	p.by_notified = 0;
	p.by_succeeded = 123456789012;
	p.abort = crit3;
	p.n_abort = 3;
	p.retry[0] = (struct jd_retry_criterion){JD_FAILURE_TIMED_OUT, 3};
	p.retry[1] = (struct jd_retry_criterion){JD_FAILURE_ALL, 7};
	p.n_retry = 2;
	p.inprogress_timeout_min = 10080;
	p.start_ms = INT64_C(1704110400000);
	p.end_ms = INT64_C(1735732800000);
	p.end_behavior = JD_END_FORCE_CANCEL;
	p.presigned_expires_sec = 3600;
	return p;
}

static bool
same_policy(const struct jd_policy *a, const struct jd_policy *b)
{
	if (a->present != b->present || a->max_per_minute != b->max_per_minute ||
	    a->exponential != b->exponential || a->base_per_minute != b->base_per_minute ||
	    memcmp(&a->increment_factor, &b->increment_factor, sizeof(double)) != 0 ||
	    a->by_notified != b->by_notified || a->by_succeeded != b->by_succeeded ||
	    a->n_abort != b->n_abort || a->n_retry != b->n_retry ||
	    a->inprogress_timeout_min != b->inprogress_timeout_min || a->start_ms != b->start_ms ||
	    a->end_ms != b->end_ms || a->end_behavior != b->end_behavior ||
	    a->presigned_expires_sec != b->presigned_expires_sec)
		return false;
	for (size_t i = 0; i < a->n_retry; i++)
		if (a->retry[i].failure_type != b->retry[i].failure_type ||
		    a->retry[i].retries != b->retry[i].retries)
			return false;
	for (size_t i = 0; i < a->n_abort; i++)
		if (a->abort[i].failure_type != b->abort[i].failure_type ||
		    memcmp(&a->abort[i].threshold_pct, &b->abort[i].threshold_pct,
		        sizeof(double)) != 0 ||
		    a->abort[i].min_executed != b->abort[i].min_executed)
			return false;
	return true;
}

static bool
is_zero(const struct jd_policy *p)
{
	static const struct jd_policy z;

	return memcmp(p, &z, sizeof(z)) == 0;
}

TEST(round_trip_full)
{
	struct jd_policy p = full(), q;
	size_t len = 0;
	unsigned char *b = core_policy_pack(&p, &len);

	CHECK(b != NULL);
	CHECK_EQ_INT(len, 3 + 8 * (19 + 3 * 3)); /* version 2: n_windows, no window */
	CHECK_EQ_INT(b[0], 'J');
	CHECK_EQ_INT(b[1], 'P');
	CHECK_EQ_INT(b[2], 2);
	CHECK_EQ_INT(core_policy_unpack(b, len, &q), 0);
	CHECK(same_policy(&p, &q));
	CHECK(q.abort != crit3);
	CHECK_EQ_INT(q.abort[2].failure_type, -1); /* a negative survives */
	CHECK(q.increment_factor == 1.1);          /* bit-exact double */
	core_policy_release(&q);
	CHECK(q.abort == NULL);
	CHECK_EQ_INT(q.n_abort, 0);
	free(b);
}

TEST(round_trip_empty)
{
	struct jd_policy p, q;
	size_t len = 0;
	unsigned char *b;

	memset(&p, 0, sizeof(p));
	b = core_policy_pack(&p, &len);
	CHECK_EQ_INT(len, 3 + 8 * 19);
	memset(&q, 0x5a, sizeof(q));
	CHECK_EQ_INT(core_policy_unpack(b, len, &q), 0);
	CHECK(is_zero(&q));
	core_policy_release(&q);
	free(b);
}

TEST(round_trip_little_endian)
{
	/* the bytes are the same on every host: maximumPerMinute 0x0102 at offset 11 */
	struct jd_policy p;
	size_t len = 0;
	unsigned char *b;

	memset(&p, 0, sizeof(p));
	p.present = JD_POLICY_ROLLOUT;
	p.max_per_minute = 0x0102;
	b = core_policy_pack(&p, &len);
	CHECK_EQ_INT(b[3], JD_POLICY_ROLLOUT);
	CHECK_EQ_INT(b[11], 0x02);
	CHECK_EQ_INT(b[12], 0x01);
	CHECK_EQ_INT(b[13], 0);
	free(b);
}

TEST(truncated)
{
	struct jd_policy p = full(), q;
	size_t len = 0;
	unsigned char *b = core_policy_pack(&p, &len);
	int accepted = 0, not_zeroed = 0;

	/* every proper prefix is refused, and q is left zeroed */
	for (size_t n = 0; n < len; n++) {
		memset(&q, 0x5a, sizeof(q));
		if (core_policy_unpack(b, n, &q) == 0) {
			accepted++;
			core_policy_release(&q);
		} else if (!is_zero(&q)) {
			not_zeroed++;
		}
	}
	CHECK_EQ_INT(accepted, 0);
	CHECK_EQ_INT(not_zeroed, 0);
	free(b);
}

/* A blob stored by version 1 (before maintenance windows) still decodes:
 * the same bytes without the n_windows word. */
TEST(version1_decodes)
{
	struct jd_policy p = full(), q;
	size_t len = 0, at = 3 + 8 * 18;
	unsigned char *b = core_policy_pack(&p, &len);

	memmove(b + at, b + at + 8, len - at - 8);
	b[2] = 1;
	CHECK_EQ_INT(core_policy_unpack(b, len - 8, &q), 0);
	CHECK(same_policy(&p, &q));
	CHECK_EQ_INT(q.n_windows, 0);
	core_policy_release(&q);
	free(b);
}

TEST(wrong_header)
{
	struct jd_policy p = full(), q;
	size_t len = 0;
	unsigned char *b = core_policy_pack(&p, &len);

	b[2] = 3; /* a version not known */
	CHECK_EQ_INT(core_policy_unpack(b, len, &q), -1);
	CHECK(is_zero(&q));
	b[2] = 0;
	CHECK_EQ_INT(core_policy_unpack(b, len, &q), -1);
	b[2] = 1; /* a version-1 blob has no n_windows word: this one's length is wrong */
	CHECK_EQ_INT(core_policy_unpack(b, len, &q), -1);
	b[2] = 2;
	b[0] = 'j'; /* not the magic */
	CHECK_EQ_INT(core_policy_unpack(b, len, &q), -1);
	b[0] = 'J';
	b[1] = 'Q';
	CHECK_EQ_INT(core_policy_unpack(b, len, &q), -1);
	b[1] = 'P';
	CHECK_EQ_INT(core_policy_unpack(b, len, &q), 0);
	core_policy_release(&q);
	CHECK_EQ_INT(core_policy_unpack(NULL, len, &q), -1);
	CHECK(is_zero(&q));
	/* JSON text is not a policy */
	CHECK_EQ_INT(core_policy_unpack("{}", 2, &q), -1);
	free(b);
}

TEST(inconsistent_counts)
{
	struct jd_policy p = full(), q;
	size_t len = 0;
	unsigned char *b = core_policy_pack(&p, &len);
	unsigned char *big = calloc(1, len + 24);
	/* offsets: header 3, then words: present(0) ... n_retry(7) ... n_abort(17) */
	size_t n_retry_at = 3 + 8 * 7, n_abort_at = 3 + 8 * 17;

	/* n_abort says 4 but 3 follow */
	b[n_abort_at] = 4;
	CHECK_EQ_INT(core_policy_unpack(b, len, &q), -1);
	CHECK(is_zero(&q));
	/* n_abort says 2 but 3 follow */
	b[n_abort_at] = 2;
	CHECK_EQ_INT(core_policy_unpack(b, len, &q), -1);
	/* a huge n_abort */
	b[n_abort_at + 7] = 0x80;
	CHECK_EQ_INT(core_policy_unpack(b, len, &q), -1);
	b[n_abort_at + 7] = 0;
	b[n_abort_at] = 3;
	/* more retry criteria than there is room for */
	b[n_retry_at] = 3;
	CHECK_EQ_INT(core_policy_unpack(b, len, &q), -1);
	CHECK(is_zero(&q));
	b[n_retry_at] = 2;
	CHECK_EQ_INT(core_policy_unpack(b, len, &q), 0);
	core_policy_release(&q);
	/* trailing bytes that are not a whole criterion */
	memcpy(big, b, len);
	CHECK_EQ_INT(core_policy_unpack(big, len + 1, &q), -1);
	CHECK_EQ_INT(core_policy_unpack(big, len + 23, &q), -1);
	/* a whole extra criterion that n_abort does not count */
	CHECK_EQ_INT(core_policy_unpack(big, len + 24, &q), -1);
	free(big);
	free(b);
}

TEST(copy_and_release)
{
	struct jd_policy p = full(), q, r;

	core_policy_copy(&q, &p);
	CHECK(same_policy(&p, &q));
	CHECK(q.abort != p.abort);
	core_policy_copy(&r, &q);
	core_policy_release(&q);
	CHECK(same_policy(&p, &r)); /* independent of q */
	core_policy_release(&r);
	core_policy_release(&r); /* twice: a no-op */
	core_policy_release(NULL);
	/* a copy without abort criteria has no array */
	memset(&p, 0, sizeof(p));
	p.n_retry = 1;
	core_policy_copy(&q, &p);
	CHECK(q.abort == NULL);
	CHECK_EQ_INT(q.n_retry, 1);
	core_policy_release(&q);
}

int
main(void)
{
	RUN(round_trip_full);
	RUN(round_trip_empty);
	RUN(round_trip_little_endian);
	RUN(truncated);
	RUN(version1_decodes);
	RUN(wrong_header);
	RUN(inconsistent_counts);
	RUN(copy_and_release);
	return test_report();
}
