/*
 * pg_fanout.h: the operations of ops_fanout.c (targets and chunked fan-out,
 * issue 15), for the ops table in postgres.c. Internal to store/postgres.
 */
#ifndef JD_STORE_POSTGRES_PG_FANOUT_H
#define JD_STORE_POSTGRES_PG_FANOUT_H

#include "store/store.h"

int pg__thing_resolve(struct store_tx *tx, const char *job_id, struct store_target *v, size_t n);
int pg__member_walk(struct store_tx *tx, const char *group, const char *after, int limit,
    jd_name_cb cb, void *arg);
int pg__fanout_insert(struct store_tx *tx, struct store_fanout *f);
int pg__fanout_update(struct store_tx *tx, const struct store_fanout *f);
int pg__fanout_delete(struct store_tx *tx, const char *job_id, int64_t run);
int pg__fanout_list(struct store_tx *tx, const char *job_id, int limit, store_fanout_cb cb,
    void *arg);

#endif
