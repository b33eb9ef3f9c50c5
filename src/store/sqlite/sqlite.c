/*
 * sqlite.c: the SQLite backend of the store interface (store.h): its ops
 * table. sqlite_int.h lists the files that implement it.
 *
 * Design:
 * - One file, WAL mode, synchronous=FULL (dependencies.md: a power cut must
 *   not undo an acknowledged write).
 * - One writer connection shared by write transactions with group commit
 *   (they are savepoints inside one outer BEGIN IMMEDIATE and share its
 *   COMMIT: one fsync; each commit() returns only after that COMMIT, with
 *   its outcome), and a pool of query_only reader connections for read
 *   transactions (conn.c). The transaction handle is the connection itself:
 *   no allocation per transaction.
 * - Every statement is one entry of a table (stmt.c), prepared lazily per
 *   connection and kept (query.c). Statuses are literals in the SQL text,
 *   named by SQL_* macros checked against core.h at compile time
 *   (sqlite_int.h).
 * - The schema is built by numbered migrations recorded in schema_version
 *   (schema.c); opening an existing file applies only the missing ones, in
 *   one transaction.
 * - Execution counts per (job, status) are kept in job_exec_counts by
 *   triggers on insert and delete and by exec_update on a status change, so
 *   exec_counts and exec_active_count read a few rows (ops_exec.c).
 * - Storage conventions: times INTEGER ms, bools 0/1, empty fixed-size names
 *   (type_name, parent, namespace_id, reason_code) and absent owned texts as
 *   NULL, a job's typed policy as core_policy_pack bytes. Job and execution
 *   seq come from the counters table (monotonic, never reused, survives
 *   wipe) updated under the writer lock.
 * - Errors: a duplicate key is JD_EEXISTS, a missing row JD_ENOTFOUND (update
 *   and delete check sqlite3_changes), everything else is logged with
 *   sqlite3_errmsg and returned as JD_EUNAVAIL (decisions D21).
 */
#include "store/sqlite/sqlite_int.h"
#include "store/store_read.h"
#include "store/store_sched.h"

static const struct store_sched_ops sched_ops = {
    .job_sched_due = sq__job_sched_due,
};

/* the other reads take the defaults: a read transaction costs SQLite nothing */
static const struct store_read_ops read_ops = {
    .exec_list_job_summary = sq__exec_list_job_summary,
    .exec_update_if = sq__exec_update_if,
    .thing_insert_if = sq__thing_insert_if,
    .ride = sq__ride,
    .read_in_ride = true,
};

const struct store_ops store_sqlite_ops = {
    .read = &read_ops,
    .sched = &sched_ops,
    .version = STORE_OPS_VERSION,
    .name = "sqlite",
    .open = sq__open,
    .close = sq__close,
    .begin = sq__begin,
    .commit = sq__commit,
    .rollback = sq__rollback,
    .wipe = sq__wipe,
    .rollout_push = sq__rollout_push,
    .rollout_pop = sq__rollout_pop,
    .rollout_clear = sq__rollout_clear,
    .job_rollout_due = sq__job_rollout_due,
    .meta_get = sq__meta_get,
    .meta_put = sq__meta_put,
    .thing_get = sq__thing_get,
    .thing_insert = sq__thing_insert,
    .thing_update = sq__thing_update,
    .thing_delete = sq__thing_delete,
    .thing_list = sq__thing_list,
    .thing_groups = sq__thing_groups,
    .group_get = sq__group_get,
    .group_insert = sq__group_insert,
    .group_delete = sq__group_delete,
    .group_list = sq__group_list,
    .group_child_count = sq__group_child_count,
    .group_update = sq__group_update,
    .group_list_dynamic = sq__group_list_dynamic,
    .member_add = sq__member_add,
    .member_remove = sq__member_remove,
    .member_list = sq__member_list,
    .job_get = sq__job_get,
    .job_status = sq__job_status,
    .job_insert = sq__job_insert,
    .job_update = sq__job_update,
    .job_delete = sq__job_delete,
    .job_list = sq__job_list,
    .job_count_status = sq__job_count_status,
    .job_target_add = sq__job_target_add,
    .job_list_by_group = sq__job_list_by_group,
    .exec_get = sq__exec_get,
    .exec_insert = sq__exec_insert,
    .exec_insert_first = sq__exec_insert_first,
    .exec_update = sq__exec_update,
    .exec_delete = sq__exec_delete,
    .exec_max_number = sq__exec_max_number,
    .exec_list_job = sq__exec_list_job,
    .exec_list_thing = sq__exec_list_thing,
    .exec_pending = sq__exec_pending,
    .exec_pending_job = sq__exec_pending_job,
    .exec_counts = sq__exec_counts,
    .exec_counts_all = sq__exec_counts_all,
    .exec_active_count = sq__exec_active_count,
    .exec_delete_job = sq__exec_delete_job,
    .exec_due = sq__exec_due,
    .template_get = sq__template_get,
    .template_insert = sq__template_insert,
    .template_delete = sq__template_delete,
    .template_list = sq__template_list,
    .check = sq__check,
    .thing_type_get = sq__type_get,
    .thing_type_insert = sq__type_insert,
    .thing_type_update = sq__type_update,
    .thing_type_delete = sq__type_delete,
    .thing_type_list = sq__type_list,
    .tag_put = sq__tag_put,
    .tag_delete = sq__tag_delete,
    .tag_list = sq__tag_list,
    .tag_count = sq__tag_count,
    .meta_list = sq__meta_list,
    .lease_acquire = sq__lease_acquire,
    .lease_release = sq__lease_release,
    .lease_check = sq__lease_check,
    .lease_list = sq__lease_list,
    .timeline_add = sq__timeline_add,
    .timeline_list = sq__timeline_list,
    .pause_get = sq__pause_get,
    .pause_put = sq__pause_put,
    .pause_delete = sq__pause_delete,
    .pause_list = sq__pause_list,
    .rollout_count = sq__rollout_count,
    .lease_renew = sq__lease_renew,
    .thing_insert_many = sq__thing_insert_many,
    .member_add_many = sq__member_add_many,
    .thing_resolve = sq__thing_resolve,
    .member_walk = sq__member_walk,
    .fanout_insert = sq__fanout_insert,
    .fanout_update = sq__fanout_update,
    .fanout_delete = sq__fanout_delete,
    .fanout_list = sq__fanout_list,
};
