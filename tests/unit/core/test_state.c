/*
 * test_state.c: the job-execution state machine and the enum names.
 *
 * The exhaustive test compares core_exec_check() for every (op, from, to,
 * force) with expect(), written here from the spec's prose (§8.2, §8.3,
 * decisions D1, D11) rather than from the table in state.c, so a wrong row
 * and a wrong expectation would have to agree to slip through.
 */
#include <stdbool.h>
#include <string.h>

#include "core/core.h"
#include "core/core_int.h"
#include "test.h"

static bool
is_terminal_by_spec(int s)
{
	/* "Terminal: all except QUEUED and IN_PROGRESS" (§8.2) */
	return s != JD_EXEC_QUEUED && s != JD_EXEC_IN_PROGRESS;
}

static int
expect(int op, int from, int to, bool force)
{
	switch (op) {
	case CORE_OP_DEVICE_UPDATE:
		/* D11: a device sets only these four; anything else is a bad request */
		if (to != JD_EXEC_IN_PROGRESS && to != JD_EXEC_SUCCEEDED && to != JD_EXEC_FAILED &&
		    to != JD_EXEC_REJECTED)
			return JD_EINVAL;
		return is_terminal_by_spec(from) ? JD_ESTATE : 0;
	case CORE_OP_START_NEXT:
		if (to != JD_EXEC_IN_PROGRESS)
			return JD_EINVAL;
		return from == JD_EXEC_QUEUED ? 0 : JD_ESTATE;
	case CORE_OP_CANCEL:
		if (to != JD_EXEC_CANCELED)
			return JD_EINVAL;
		if (from == JD_EXEC_QUEUED)
			return 0;
		if (from == JD_EXEC_IN_PROGRESS)
			return force ? 0 : JD_ESTATE;
		return JD_ESTATE; /* terminal still rejected with force (§8.3) */
	case CORE_OP_TIMEOUT:
		if (to != JD_EXEC_TIMED_OUT)
			return JD_EINVAL;
		return from == JD_EXEC_IN_PROGRESS ? 0 : JD_ESTATE;
	case CORE_OP_REMOVE:
		if (to != JD_EXEC_REMOVED)
			return JD_EINVAL;
		return from == JD_EXEC_QUEUED || from == JD_EXEC_IN_PROGRESS ? 0 : JD_ESTATE;
	case CORE_OP_DELETE:
		/* D1: with force anything; without, terminal (TIMED_OUT included) only */
		if (force)
			return 0;
		return is_terminal_by_spec(from) ? 0 : JD_ESTATE;
	default:
		return JD_EINVAL;
	}
}

TEST(exec_check_exhaustive)
{
	int n = 0;

	for (int op = 0; op < CORE_OP__COUNT; op++)
		for (int from = 0; from < JD_EXEC__COUNT; from++)
			for (int to = 0; to < JD_EXEC__COUNT; to++)
				for (int f = 0; f < 2; f++) {
					struct jd_error e;
					int want = expect(op, from, to, f != 0);
					int got;

					jd_error_init(&e);
					got = core_exec_check(op, from, to, f != 0, &e);
					if (got != want)
						fprintf(stderr,
						    "op=%s from=%s to=%s force=%d: %s\n",
						    core_exec_op_name(op),
						    core_exec_status_name(from),
						    core_exec_status_name(to), f, e.msg);
					CHECK_EQ_INT(got, want);
					/* the detail agrees with the return and has text */
					CHECK_EQ_INT(e.code, got);
					CHECK((got == 0) == (e.msg[0] == '\0'));
					/* the same answer without an error struct */
					CHECK_EQ_INT(core_exec_check(op, from, to, f != 0, NULL),
					    want);
					n++;
				}
	CHECK_EQ_INT(n, 6 * 8 * 8 * 2);
}

TEST(exec_table_partitions)
{
	/* every (op, from, to) hits exactly one row, `to` outside the enum too */
	for (int op = 0; op < CORE_OP__COUNT; op++)
		for (int from = 0; from < JD_EXEC__COUNT; from++)
			for (int to = -1; to <= JD_EXEC__COUNT; to++)
				CHECK_EQ_INT(core__exec_rows_matching(op, from, to), 1);
}

TEST(exec_check_out_of_range)
{
	struct jd_error e;

	/* D11: a value outside the enum is a bad request */
	CHECK_EQ_INT(core_exec_check(CORE_OP_DEVICE_UPDATE, JD_EXEC_QUEUED, -1, false, NULL),
	    JD_EINVAL);
	CHECK_EQ_INT(
	    core_exec_check(CORE_OP_DEVICE_UPDATE, JD_EXEC_SUCCEEDED, JD_EXEC__COUNT, false, NULL),
	    JD_EINVAL);
	CHECK_EQ_INT(core_exec_check(CORE_OP_CANCEL, JD_EXEC_QUEUED, 99, true, NULL), JD_EINVAL);
	/* DELETE ignores `to` */
	CHECK_EQ_INT(core_exec_check(CORE_OP_DELETE, JD_EXEC_FAILED, -1, false, NULL), 0);
	CHECK_EQ_INT(core_exec_check(CORE_OP_DELETE, JD_EXEC_QUEUED, 12345, true, NULL), 0);
	CHECK_EQ_INT(core_exec_check(CORE_OP_DELETE, JD_EXEC_QUEUED, 12345, false, NULL),
	    JD_ESTATE);
	/* programming errors are EINVAL, not a crash */
	jd_error_init(&e);
	CHECK_EQ_INT(core_exec_check(-1, JD_EXEC_QUEUED, JD_EXEC_IN_PROGRESS, false, &e),
	    JD_EINVAL);
	CHECK_EQ_INT(
	    core_exec_check(CORE_OP__COUNT, JD_EXEC_QUEUED, JD_EXEC_IN_PROGRESS, false, &e),
	    JD_EINVAL);
	CHECK_EQ_INT(core_exec_check(CORE_OP_DELETE, -1, 0, true, &e), JD_EINVAL);
	CHECK_EQ_INT(core_exec_check(CORE_OP_DELETE, JD_EXEC__COUNT, 0, true, &e), JD_EINVAL);
	CHECK_EQ_STR(e.msg, "Unknown job execution state 8");
}

/* The message core_exec_check gives, or "" when allowed. */
static const char *
msg_of(int op, int from, int to, bool force)
{
	static struct jd_error e;

	jd_error_init(&e);
	core_exec_check(op, from, to, force, &e);
	return e.msg;
}

TEST(exec_check_spot)
{
	/* D1: every terminal state deletable without force, TIMED_OUT included */
	CHECK_EQ_INT(core_exec_check(CORE_OP_DELETE, JD_EXEC_SUCCEEDED, 0, false, NULL), 0);
	CHECK_EQ_INT(core_exec_check(CORE_OP_DELETE, JD_EXEC_FAILED, 0, false, NULL), 0);
	CHECK_EQ_INT(core_exec_check(CORE_OP_DELETE, JD_EXEC_REJECTED, 0, false, NULL), 0);
	CHECK_EQ_INT(core_exec_check(CORE_OP_DELETE, JD_EXEC_REMOVED, 0, false, NULL), 0);
	CHECK_EQ_INT(core_exec_check(CORE_OP_DELETE, JD_EXEC_CANCELED, 0, false, NULL), 0);
	CHECK_EQ_INT(core_exec_check(CORE_OP_DELETE, JD_EXEC_TIMED_OUT, 0, false, NULL), 0);
	CHECK_EQ_INT(core_exec_check(CORE_OP_DELETE, JD_EXEC_IN_PROGRESS, 0, false, NULL),
	    JD_ESTATE);
	CHECK_EQ_INT(core_exec_check(CORE_OP_DELETE, JD_EXEC_IN_PROGRESS, 0, true, NULL), 0);
	CHECK_EQ_STR(msg_of(CORE_OP_DELETE, JD_EXEC_IN_PROGRESS, 0, false),
	    "Job execution is IN_PROGRESS; set force=true to delete it");
	CHECK_EQ_STR(msg_of(CORE_OP_DELETE, JD_EXEC_QUEUED, 0, false),
	    "Job execution is QUEUED; set force=true to delete it");

	/* D11: QUEUED straight to a terminal state; progress reports */
	CHECK_EQ_INT(
	    core_exec_check(CORE_OP_DEVICE_UPDATE, JD_EXEC_QUEUED, JD_EXEC_SUCCEEDED, false, NULL),
	    0);
	CHECK_EQ_INT(
	    core_exec_check(CORE_OP_DEVICE_UPDATE, JD_EXEC_QUEUED, JD_EXEC_REJECTED, false, NULL),
	    0);
	CHECK_EQ_INT(core_exec_check(CORE_OP_DEVICE_UPDATE, JD_EXEC_IN_PROGRESS,
	                 JD_EXEC_IN_PROGRESS, false, NULL),
	    0);
	CHECK_EQ_INT(core_exec_check(CORE_OP_DEVICE_UPDATE, JD_EXEC_SUCCEEDED, JD_EXEC_IN_PROGRESS,
	                 false, NULL),
	    JD_ESTATE);
	CHECK_EQ_STR(msg_of(CORE_OP_DEVICE_UPDATE, JD_EXEC_SUCCEEDED, JD_EXEC_FAILED, false),
	    "Cannot update job execution in terminal state SUCCEEDED");
	CHECK_EQ_STR(msg_of(CORE_OP_DEVICE_UPDATE, JD_EXEC_CANCELED, JD_EXEC_IN_PROGRESS, true),
	    "Cannot update job execution in terminal state CANCELED");
	/* reporting a service-set state is 400 even from a terminal state */
	CHECK_EQ_INT(core_exec_check(CORE_OP_DEVICE_UPDATE, JD_EXEC_IN_PROGRESS, JD_EXEC_CANCELED,
	                 false, NULL),
	    JD_EINVAL);
	CHECK_EQ_INT(
	    core_exec_check(CORE_OP_DEVICE_UPDATE, JD_EXEC_FAILED, JD_EXEC_QUEUED, false, NULL),
	    JD_EINVAL);
	CHECK(strstr(msg_of(CORE_OP_DEVICE_UPDATE, JD_EXEC_QUEUED, JD_EXEC_TIMED_OUT, false),
	          "TIMED_OUT") != NULL);

	/* cancel: force only unlocks IN_PROGRESS */
	CHECK_EQ_INT(core_exec_check(CORE_OP_CANCEL, JD_EXEC_QUEUED, JD_EXEC_CANCELED, false, NULL),
	    0);
	CHECK_EQ_INT(
	    core_exec_check(CORE_OP_CANCEL, JD_EXEC_IN_PROGRESS, JD_EXEC_CANCELED, false, NULL),
	    JD_ESTATE);
	CHECK_EQ_INT(
	    core_exec_check(CORE_OP_CANCEL, JD_EXEC_IN_PROGRESS, JD_EXEC_CANCELED, true, NULL), 0);
	CHECK_EQ_INT(
	    core_exec_check(CORE_OP_CANCEL, JD_EXEC_CANCELED, JD_EXEC_CANCELED, true, NULL),
	    JD_ESTATE);
	CHECK_EQ_STR(msg_of(CORE_OP_CANCEL, JD_EXEC_IN_PROGRESS, JD_EXEC_CANCELED, false),
	    "Job execution is IN_PROGRESS; set force=true to cancel it");
	CHECK_EQ_STR(msg_of(CORE_OP_CANCEL, JD_EXEC_TIMED_OUT, JD_EXEC_CANCELED, true),
	    "Cannot cancel job execution in terminal state TIMED_OUT");

	/* service-side transitions */
	CHECK_EQ_INT(
	    core_exec_check(CORE_OP_START_NEXT, JD_EXEC_QUEUED, JD_EXEC_IN_PROGRESS, false, NULL),
	    0);
	CHECK_EQ_INT(core_exec_check(CORE_OP_START_NEXT, JD_EXEC_IN_PROGRESS, JD_EXEC_IN_PROGRESS,
	                 true, NULL),
	    JD_ESTATE);
	CHECK_EQ_INT(
	    core_exec_check(CORE_OP_TIMEOUT, JD_EXEC_IN_PROGRESS, JD_EXEC_TIMED_OUT, false, NULL),
	    0);
	CHECK_EQ_INT(
	    core_exec_check(CORE_OP_TIMEOUT, JD_EXEC_QUEUED, JD_EXEC_TIMED_OUT, true, NULL),
	    JD_ESTATE);
	CHECK_EQ_INT(core_exec_check(CORE_OP_REMOVE, JD_EXEC_QUEUED, JD_EXEC_REMOVED, false, NULL),
	    0);
	CHECK_EQ_INT(
	    core_exec_check(CORE_OP_REMOVE, JD_EXEC_IN_PROGRESS, JD_EXEC_REMOVED, false, NULL), 0);
	CHECK_EQ_INT(core_exec_check(CORE_OP_REMOVE, JD_EXEC_REMOVED, JD_EXEC_REMOVED, true, NULL),
	    JD_ESTATE);
	CHECK_EQ_STR(msg_of(CORE_OP_REMOVE, JD_EXEC_SUCCEEDED, JD_EXEC_REMOVED, false),
	    "Cannot remove job execution in terminal state SUCCEEDED");
	CHECK_EQ_STR(msg_of(CORE_OP_START_NEXT, JD_EXEC_QUEUED, JD_EXEC_SUCCEEDED, false),
	    "START_NEXT cannot set job execution status SUCCEEDED");
}

TEST(enum_names)
{
	static const char *const exec[] = {"QUEUED", "IN_PROGRESS", "SUCCEEDED", "FAILED",
	    "TIMED_OUT", "REJECTED", "REMOVED", "CANCELED"};
	static const char *const job[] = {"IN_PROGRESS", "CANCELED", "COMPLETED",
	    "DELETION_IN_PROGRESS", "SCHEDULED"};
	int v;

	for (int i = 0; i < JD_EXEC__COUNT; i++) {
		CHECK_EQ_STR(core_exec_status_name(i), exec[i]);
		v = -1;
		CHECK_EQ_INT(core_exec_status_parse(exec[i], &v), 0);
		CHECK_EQ_INT(v, i);
	}
	for (int i = 0; i < JD_JOB__COUNT; i++) {
		CHECK_EQ_STR(core_job_status_name(i), job[i]);
		v = -1;
		CHECK_EQ_INT(core_job_status_parse(job[i], &v), 0);
		CHECK_EQ_INT(v, i);
	}
	CHECK_EQ_STR(core_target_selection_name(JD_SEL_SNAPSHOT), "SNAPSHOT");
	CHECK_EQ_STR(core_target_selection_name(JD_SEL_CONTINUOUS), "CONTINUOUS");
	CHECK_EQ_INT(core_target_selection_parse("CONTINUOUS", &v), 0);
	CHECK_EQ_INT(v, JD_SEL_CONTINUOUS);

	CHECK_EQ_STR(core_exec_status_name(-1), NULL);
	CHECK_EQ_STR(core_exec_status_name(JD_EXEC__COUNT), NULL);
	CHECK_EQ_STR(core_job_status_name(JD_JOB__COUNT), NULL);
	CHECK_EQ_STR(core_target_selection_name(JD_SEL__COUNT), NULL);
	CHECK_EQ_STR(core_exec_op_name(CORE_OP_DELETE), "DELETE");
	CHECK_EQ_STR(core_exec_op_name(CORE_OP__COUNT), NULL);

	/* exact and case-sensitive */
	v = 42;
	CHECK_EQ_INT(core_exec_status_parse("queued", &v), -1);
	CHECK_EQ_INT(core_exec_status_parse("QUEUED ", &v), -1);
	CHECK_EQ_INT(core_exec_status_parse("", &v), -1);
	CHECK_EQ_INT(core_exec_status_parse(NULL, &v), -1);
	CHECK_EQ_INT(core_job_status_parse("QUEUED", &v), -1);
	CHECK_EQ_INT(core_target_selection_parse("snapshot", &v), -1);
	CHECK_EQ_INT(v, 42);
}

TEST(status_predicates)
{
	int terminal = 0, pending = 0;

	for (int s = 0; s < JD_EXEC__COUNT; s++) {
		CHECK(core_exec_status_terminal(s) != core_exec_status_pending(s));
		CHECK_EQ_INT(core_exec_status_terminal(s), is_terminal_by_spec(s));
		terminal += core_exec_status_terminal(s);
		pending += core_exec_status_pending(s);
	}
	CHECK_EQ_INT(terminal, 6);
	CHECK_EQ_INT(pending, 2);
	CHECK(core_exec_status_pending(JD_EXEC_QUEUED));
	CHECK(core_exec_status_pending(JD_EXEC_IN_PROGRESS));
	CHECK(core_exec_status_terminal(JD_EXEC_TIMED_OUT));
	CHECK(!core_exec_status_terminal(-1));
	CHECK(!core_exec_status_pending(-1));
	CHECK(!core_exec_status_terminal(JD_EXEC__COUNT));
}

int
main(void)
{
	RUN(exec_check_exhaustive);
	RUN(exec_table_partitions);
	RUN(exec_check_out_of_range);
	RUN(exec_check_spot);
	RUN(enum_names);
	RUN(status_predicates);
	return test_report();
}
