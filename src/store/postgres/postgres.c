/*
 * postgres.c: the PostgreSQL backend of the store interface (store.h): its
 * ops table. pg_int.h lists the files that implement it.
 *
 * Design (what differs from the SQLite backend, and why):
 * - Where: a libpq URI (postgres://USER[:PASSWORD]@HOST[:PORT]/DB[?params],
 *   or postgresql://) or conninfo, handed to libpq whole, so sslmode,
 *   PGPASSWORD, .pgpass and service files work as PostgreSQL users expect.
 *   The URI is never logged (store_spec_redact in store.c for callers).
 * - Connections: a pool for readers, one connection per read transaction;
 *   one writer connection whose write transactions commit in groups
 *   (group.c); statements prepared per connection on first use, sent in
 *   libpq pipelines with the transaction's opening commands (conn.c,
 *   query.c). A lost server is JD_EUNAVAIL (503) and the pool reconnects by
 *   itself when it returns.
 * - Durability: synchronous_commit on (never turned off): commit returns
 *   once PostgreSQL has flushed the commit record, so a 200 means durable.
 *   Concurrent writes of a node share one COMMIT (group.c), since the
 *   writer lock keeps PostgreSQL from grouping their flushes itself.
 * - Exactness across nodes: every write transaction takes one advisory
 *   lock (the writer lock) after BEGIN and runs READ COMMITTED, so it sees
 *   every earlier commit and no other write runs until it ends: the
 *   read-then-write use cases of svc/ (expectedVersion, the next
 *   executionNumber, the counts, the timer scans) stay exact with any
 *   number of nodes, as with SQLite's single writer. Reads run on
 *   REPEATABLE READ READ ONLY snapshots and never wait.
 * - Counts: job_exec_counts moves in the same statement as the execution
 *   rows (data-modifying CTEs, stmt.c) instead of triggers; fan-out
 *   (exec_insert_first) is one COPY plus one counts upsert.
 * - Schema: numbered migrations in schema_version, applied under an
 *   advisory lock so nodes starting at once migrate once (schema.c).
 * - Errors: a duplicate key is JD_EEXISTS (inserts use ON CONFLICT DO
 *   NOTHING, since a failed statement would abort the whole transaction), a
 *   missing row JD_ENOTFOUND, everything else is logged and JD_EUNAVAIL.
 */
#include "store/postgres/pg_int.h"
#include "store/postgres/pg_fanout.h"
#include "store/store_read.h"
#include "store/store_sched.h"

static const struct store_sched_ops sched_ops = {
    .job_sched_due = pg__job_sched_due,
};

static const struct store_read_ops read_ops = {
    .begin_one = pg__begin_one,
    .job_get_counts = pg__job_get_counts,
    .exec_get_job = pg__exec_get_job,
    .exec_pending_head = pg__exec_pending_head,
    .exec_list_job_summary = pg__exec_list_job_summary,
    .exec_next_job = pg__exec_next_job,
    .exec_update_if = pg__exec_update_if,
    .ride = pg__ride,
    .exec_delete_if = pg__exec_delete_if,
    .thing_insert_if = pg__thing_insert_if,
};

const struct store_ops store_postgres_ops = {
    .read = &read_ops,
    .sched = &sched_ops,
    .version = STORE_OPS_VERSION,
    .name = "postgres",
    .open = pg__open,
    .close = pg__close,
    .begin = pg__begin,
    .commit = pg__commit,
    .rollback = pg__rollback,
    .wipe = pg__wipe,
    .rollout_push = pg__rollout_push,
    .rollout_pop = pg__rollout_pop,
    .rollout_clear = pg__rollout_clear,
    .job_rollout_due = pg__job_rollout_due,
    .meta_get = pg__meta_get,
    .meta_put = pg__meta_put,
    .thing_get = pg__thing_get,
    .thing_insert = pg__thing_insert,
    .thing_update = pg__thing_update,
    .thing_delete = pg__thing_delete,
    .thing_list = pg__thing_list,
    .thing_groups = pg__thing_groups,
    .group_get = pg__group_get,
    .group_insert = pg__group_insert,
    .group_delete = pg__group_delete,
    .group_list = pg__group_list,
    .group_child_count = pg__group_child_count,
    .group_update = pg__group_update,
    .group_list_dynamic = pg__group_list_dynamic,
    .member_add = pg__member_add,
    .member_remove = pg__member_remove,
    .member_list = pg__member_list,
    .job_get = pg__job_get,
    .job_status = pg__job_status,
    .job_insert = pg__job_insert,
    .job_update = pg__job_update,
    .job_delete = pg__job_delete,
    .job_list = pg__job_list,
    .job_count_status = pg__job_count_status,
    .job_target_add = pg__job_target_add,
    .job_list_by_group = pg__job_list_by_group,
    .exec_get = pg__exec_get,
    .exec_insert = pg__exec_insert,
    .exec_insert_first = pg__exec_insert_first,
    .exec_update = pg__exec_update,
    .exec_delete = pg__exec_delete,
    .exec_max_number = pg__exec_max_number,
    .exec_list_job = pg__exec_list_job,
    .exec_list_thing = pg__exec_list_thing,
    .exec_pending = pg__exec_pending,
    .exec_pending_job = pg__exec_pending_job,
    .exec_counts = pg__exec_counts,
    .exec_counts_all = pg__exec_counts_all,
    .exec_active_count = pg__exec_active_count,
    .exec_delete_job = pg__exec_delete_job,
    .exec_due = pg__exec_due,
    .template_get = pg__template_get,
    .template_insert = pg__template_insert,
    .template_delete = pg__template_delete,
    .template_list = pg__template_list,
    .thing_type_get = pg__type_get,
    .thing_type_insert = pg__type_insert,
    .thing_type_update = pg__type_update,
    .thing_type_delete = pg__type_delete,
    .thing_type_list = pg__type_list,
    .tag_put = pg__tag_put,
    .tag_delete = pg__tag_delete,
    .tag_list = pg__tag_list,
    .tag_count = pg__tag_count,
    .meta_list = pg__meta_list,
    .lease_acquire = pg__lease_acquire,
    .lease_release = pg__lease_release,
    .lease_check = pg__lease_check,
    .lease_list = pg__lease_list,
    .timeline_add = pg__timeline_add,
    .timeline_list = pg__timeline_list,
    .pause_get = pg__pause_get,
    .pause_put = pg__pause_put,
    .pause_delete = pg__pause_delete,
    .pause_list = pg__pause_list,
    .rollout_count = pg__rollout_count,
    .lease_renew = pg__lease_renew,
    .thing_insert_many = pg__thing_insert_many,
    .member_add_many = pg__member_add_many,
    .thing_resolve = pg__thing_resolve,
    .member_walk = pg__member_walk,
    .fanout_insert = pg__fanout_insert,
    .fanout_update = pg__fanout_update,
    .fanout_delete = pg__fanout_delete,
    .fanout_list = pg__fanout_list,
};
