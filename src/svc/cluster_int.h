/*
 * cluster_int.h: what cluster.c (several nodes on one database, D24) offers
 * timers.c: the node's leases, renewed by the background worker, and the
 * fence every background duty's transaction goes through.
 */
#ifndef JD_SVC_CLUSTER_INT_H
#define JD_SVC_CLUSTER_INT_H

#include "svc/svc_int.h"

/* Lease timing (docs/design.md "Several nodes"): a lease lasts TTL, its
 * holder renews it every RENEW (a node without the duty lease tries every
 * RENEW / 2), and uses it only while at least MARGIN of it is left by its own
 * monotonic clock. A shard taken from another node is answered only GUARD
 * after that node's lease ended. So a killed node's work moves within
 * TTL + RENEW / 2 (3.25 s). */
#define SVC_LEASE_TTL_MS 3000
#define SVC_LEASE_RENEW_MS 500
#define SVC_LEASE_MARGIN_MS 1000
#define SVC_SHARD_GUARD_MS 250
/* The things' shards of the MQTT plane leased among the nodes. */
#define SVC_SHARDS 64

/* Set up s->cluster (after svc__open): node may be NULL (one node, no
 * leases: every duty and shard is this node's). With leases, takes what it
 * can at once, so a lone node holds its duties and shards when it starts. */
void svc__cluster_open(struct svc *s, const struct svc_node *node);
/* Give the leases back (a survivor takes them at once) and free. */
void svc__cluster_close(struct svc *s);
/* Renew, take or give back leases if it is time (cluster.c's lease thread
 * every 100 ms; svc_timers_run with force when it does not hold the duties). */
void svc__cluster_tick(struct svc *s, bool force);
/* Might this node run the duties now? (Its fenced transactions decide.) */
bool svc__duty_held(struct svc *s);
/* Begin a duty's write transaction, fenced: the duty lease is still this
 * node's, at the epoch it took it with, by the database's clock; the writer
 * lock keeps it so until commit. JD_ECONFLICT (quietly) when it is not. */
int svc__duty_begin(struct svc *s, struct svc_tx *t, struct jd_error *e);
/* End a duty's transaction on one job with the duty's outcome rc: commit it
 * (0), or roll it back; a job gone meanwhile (JD_ENOTFOUND) is no failure. */
int svc__duty_end(struct svc_tx *t, int rc, struct jd_error *e);

#endif
