/*
 * state.c: the job-execution state machine (spec §8.2, §8.3; decisions D1,
 * D11) as one declarative table.
 *
 * A row says: operation `op` applied to an execution whose state is in the
 * set `from`, asking for a state in the set `to`, gives `result`; when
 * `needs_force` is set the row's success is only reached with force=true,
 * and without it the answer is JD_ESTATE with the row's message.
 *
 * The rows of one op partition (from x to): every in-enum `from` and every
 * `to` (in the enum, or the pseudo-state BAD for a value outside it) is
 * matched by exactly one row, so row order carries no meaning. The unit
 * test checks the partition through core__exec_rows_matching().
 *
 * Order of errors: a `to` the op may never set is JD_EINVAL whatever the
 * current state (input validation before state checks, as AWS's 400 comes
 * before its 409); only then does the current state decide.
 */
#include "core/core.h"

#include <stdio.h>
#include <string.h>

#include "core/core_int.h"

#define S(x) (1u << JD_EXEC_##x)
#define BAD (1u << JD_EXEC__COUNT) /* a `to` outside the enum */
#define PENDING (S(QUEUED) | S(IN_PROGRESS))
#define TERMINAL (S(SUCCEEDED) | S(FAILED) | S(TIMED_OUT) | S(REJECTED) | S(REMOVED) | S(CANCELED))
#define ALL (PENDING | TERMINAL)
#define ALL_TO (ALL | BAD)
#define BUT(set) (ALL_TO & ~(set))                                       /* every `to` except set */
#define DEVICE (S(IN_PROGRESS) | S(SUCCEEDED) | S(FAILED) | S(REJECTED)) /* D11 */

struct transition {
	int op;           /* enum core_exec_op */
	unsigned from;    /* set of current states */
	unsigned to;      /* set of requested states (BAD included) */
	bool needs_force; /* result 0 only with force=true */
	int result;       /* 0, JD_EINVAL or JD_ESTATE */
	const char *msg;  /* the error's message; {from}, {to} and {op} are expanded */
};

static const struct transition transitions[] = {
    /* op                   from                   to               force  result     message */
    {CORE_OP_DEVICE_UPDATE, ALL, BUT(DEVICE), false, JD_EINVAL,
        "Invalid job execution status {to}: a device may set only IN_PROGRESS, SUCCEEDED, FAILED or REJECTED"},
    {CORE_OP_DEVICE_UPDATE, PENDING, DEVICE, false, 0, NULL},
    {CORE_OP_DEVICE_UPDATE, TERMINAL, DEVICE, false, JD_ESTATE,
        "Cannot update job execution in terminal state {from}"},

    {CORE_OP_START_NEXT, ALL, BUT(S(IN_PROGRESS)), false, JD_EINVAL,
        "{op} cannot set job execution status {to}"},
    {CORE_OP_START_NEXT, S(QUEUED), S(IN_PROGRESS), false, 0, NULL},
    {CORE_OP_START_NEXT, ALL & ~S(QUEUED), S(IN_PROGRESS), false, JD_ESTATE,
        "Cannot start job execution in state {from}; only a QUEUED job execution can be started"},

    {CORE_OP_CANCEL, ALL, BUT(S(CANCELED)), false, JD_EINVAL,
        "{op} cannot set job execution status {to}"},
    {CORE_OP_CANCEL, S(QUEUED), S(CANCELED), false, 0, NULL},
    {CORE_OP_CANCEL, S(IN_PROGRESS), S(CANCELED), true, 0,
        "Job execution is IN_PROGRESS; set force=true to cancel it"},
    {CORE_OP_CANCEL, TERMINAL, S(CANCELED), false, JD_ESTATE,
        "Cannot cancel job execution in terminal state {from}"},

    {CORE_OP_TIMEOUT, ALL, BUT(S(TIMED_OUT)), false, JD_EINVAL,
        "{op} cannot set job execution status {to}"},
    {CORE_OP_TIMEOUT, S(IN_PROGRESS), S(TIMED_OUT), false, 0, NULL},
    {CORE_OP_TIMEOUT, ALL & ~S(IN_PROGRESS), S(TIMED_OUT), false, JD_ESTATE,
        "Cannot time out job execution in state {from}; only an IN_PROGRESS job execution can time out"},

    {CORE_OP_REMOVE, ALL, BUT(S(REMOVED)), false, JD_EINVAL,
        "{op} cannot set job execution status {to}"},
    {CORE_OP_REMOVE, PENDING, S(REMOVED), false, 0, NULL},
    {CORE_OP_REMOVE, TERMINAL, S(REMOVED), false, JD_ESTATE,
        "Cannot remove job execution in terminal state {from}"},

    /* decisions D1: terminal deletable as is, pending only with force; `to` ignored */
    {CORE_OP_DELETE, TERMINAL, ALL_TO, false, 0, NULL},
    {CORE_OP_DELETE, PENDING, ALL_TO, true, 0,
        "Job execution is {from}; set force=true to delete it"},
};

#define NTRANSITIONS (sizeof(transitions) / sizeof(transitions[0]))

static const char *const op_names[CORE_OP__COUNT] = {
    [CORE_OP_DEVICE_UPDATE] = "DEVICE_UPDATE",
    [CORE_OP_START_NEXT] = "START_NEXT",
    [CORE_OP_CANCEL] = "CANCEL",
    [CORE_OP_TIMEOUT] = "TIMEOUT",
    [CORE_OP_REMOVE] = "REMOVE",
    [CORE_OP_DELETE] = "DELETE",
};

const char *
core_exec_op_name(int op)
{
	if (op < 0 || op >= CORE_OP__COUNT)
		return NULL;
	return op_names[op];
}

static unsigned
state_bit(int s)
{
	if (s < 0 || s >= JD_EXEC__COUNT)
		return BAD;
	return 1u << s;
}

static bool
row_matches(const struct transition *t, int op, int from, int to)
{
	return t->op == op && (t->from & state_bit(from)) != 0 && (t->to & state_bit(to)) != 0;
}

/* Set e to code with tmpl, its {from}, {to} and {op} replaced by names. */
static int
fail(struct jd_error *e, int code, const char *tmpl, int op, int from, int to)
{
	static const struct {
		const char *key;
		int which;
	} keys[] = {{"{from}", 0}, {"{to}", 1}, {"{op}", 2}};
	char buf[JD_ERROR_MSG_MAX];
	size_t n = 0;

	if (e == NULL)
		return code;
	while (*tmpl != '\0' && n + 1 < sizeof(buf)) {
		const char *sub = NULL;
		size_t skip = 1;

		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
			size_t kl = strlen(keys[k].key);

			if (strncmp(tmpl, keys[k].key, kl) != 0)
				continue;
			if (keys[k].which == 0)
				sub = core_exec_status_name(from);
			else if (keys[k].which == 1)
				sub = core_exec_status_name(to);
			else
				sub = core_exec_op_name(op);
			if (sub == NULL)
				sub = "UNKNOWN";
			skip = kl;
			break;
		}
		if (sub == NULL) {
			buf[n++] = *tmpl;
		} else {
			int w = snprintf(buf + n, sizeof(buf) - n, "%s", sub);

			n += (size_t)w < sizeof(buf) - n ? (size_t)w : sizeof(buf) - n - 1;
		}
		tmpl += skip;
	}
	buf[n] = '\0';
	return jd_error_set(e, code, "%s", buf);
}

int
core__exec_rows_matching(int op, int from, int to)
{
	int n = 0;

	for (size_t i = 0; i < NTRANSITIONS; i++)
		if (row_matches(&transitions[i], op, from, to))
			n++;
	return n;
}

int
core_exec_check(int op, int from, int to, bool force, struct jd_error *e)
{
	if (op < 0 || op >= CORE_OP__COUNT)
		return jd_error_set(e, JD_EINVAL, "Unknown job execution operation %d", op);
	if (from < 0 || from >= JD_EXEC__COUNT)
		return jd_error_set(e, JD_EINVAL, "Unknown job execution state %d", from);
	for (size_t i = 0; i < NTRANSITIONS; i++) {
		const struct transition *t = &transitions[i];

		if (!row_matches(t, op, from, to))
			continue;
		if (t->result != 0)
			return fail(e, t->result, t->msg, op, from, to);
		if (t->needs_force && !force)
			return fail(e, JD_ESTATE, t->msg, op, from, to);
		return 0;
	}
	/* Unreachable while the rows partition every op (see the unit test). */
	return fail(e, JD_ESTATE, "{op} is not allowed from state {from}", op, from, to);
}
