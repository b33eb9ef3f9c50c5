/*
 * jd_limits.h: every size, count and time limit of jobsd as a named constant.
 * AWS-defined values cite the spec (§3.1, §11); the rest are jobsd's own.
 */
#ifndef JD_LIMITS_H
#define JD_LIMITS_H

#define JD_JOB_ID_MAX 64
#define JD_THING_NAME_MAX 128
#define JD_GROUP_NAME_MAX 128
#define JD_NAMESPACE_MAX 64
#define JD_DOCUMENT_MAX 32768 /* bytes of the job document (§11) */
#define JD_DOCUMENT_SOURCE_MAX 1350
#define JD_DESCRIPTION_MAX 2028
#define JD_COMMENT_MAX 2028
#define JD_REASON_CODE_MAX 128
#define JD_TARGETS_MAX 100 /* per job, CreateJob + Associate */
#define JD_TARGET_ARN_MAX 2048
#define JD_DETAILS_PAIRS_MAX 10 /* statusDetails (D12) */
#define JD_DETAILS_VALUE_MAX 1024
#define JD_ATTRIBUTES_MAX 50        /* attributes per thing with a type */
#define JD_ATTRIBUTES_UNTYPED_MAX 3 /* attributes per thing without a type */
#define JD_GROUP_DEPTH_MAX 7
#define JD_GROUP_CHILDREN_MAX 100
#define JD_GROUPS_PER_THING_MAX 10
#define JD_DYNAMIC_GROUPS_MAX 100 /* dynamic thing groups per account (AWS) */
#define JD_DELETING_JOBS_MAX 10   /* jobs in DELETION_IN_PROGRESS */
#define JD_TAGS_MAX 50
#define JD_SEARCHABLE_ATTRIBUTES_MAX 3               /* per thing type */
#define JD_THING_TYPE_DELETE_WAIT_MS (5 * 60 * 1000) /* deprecated this long before delete */
#define JD_TAGS_PAGE_DEFAULT 50      /* ListTagsForResource: all of a resource's tags */
#define JD_PENDING_LIST_MAX 10       /* GetPendingJobExecutions, notify */
#define JD_TIMEOUT_MINUTES_MAX 10080 /* in-progress and step timeouts */
#define JD_PAGE_DEFAULT 50           /* D9 */
#define JD_PAGE_MAX 250
#define JD_BODY_MAX (256 * 1024) /* request body bytes, refused early */
#define JD_URI_MAX 8192
#define JD_HEADERS_MAX 16384 /* bytes of all request headers */
#define JD_QUERY_PARAMS_MAX 32
#define JD_PATH_SEGMENTS_MAX 16
#define JD_HTTP_STACK (512 * 1024) /* stack of each HTTP thread */
#define JD_HTTP_IO_THREADS_MAX 16  /* epoll pool per listener: CPUs, 2..this */
/* On PostgreSQL a read waits for its batch's round trip on its epoll
 * thread, so the reads in flight (and the batches' sizes) are the pool's
 * threads: this many per CPU (2 to 4 CPUs counted). 16 against 4 per CPU,
 * measured (bench/README.md "Round 8"): 20 to 30% more reads per second and
 * 10 to 20% less CPU per read on both sides; RSS +1.4 MB. */
#define JD_HTTP_IO_THREADS_PG_PER_CPU 16
#define JD_HTTP_WORKERS 64     /* threads that run write requests */
#define JD_MALLOC_ARENAS_MAX 4 /* glibc arenas: CPUs, 2..this (main.c) */
#define JD_HTTP_DRAIN_S 30     /* shutdown: wait for in-flight writes */
#define JD_HTTP_CONN_MAX 4096
#define JD_HTTP_CONN_MEMORY (64 * 1024)  /* libmicrohttpd pool per connection */
#define JD_HTTP_TIMEOUT_S 60             /* idle timeout (libmicrohttpd's) */
#define JD_HTTP_CONN_PER_IP 128          /* connections per client address */
#define JD_HTTP_HEADERS_S 10             /* header section complete, from accept */
#define JD_HTTP_REQUEST_S 60             /* whole request in, from its start */
#define JD_HTTP_KEEPALIVE_S 30           /* next header section after an answer */
#define JD_HTTP_REAP_MS 500              /* deadline check period */
#define JD_HTTP_LOG_WINDOW_S 10          /* one libmicrohttpd warning per kind per */
#define JD_HTTP_TRIM_S 5                 /* malloc_trim() after a burst, at most every */
#define JD_HTTP_TRIM_BYTES (1024 * 1024) /* ...once this much body was freed */
#define JD_HTTP_TRIM_CONNS 64            /* ...or this many connections closed */
/* Authenticate before buffering (docs/operations.md#hardening): a request whose
 * signature cannot be checked from its headers buffers at most this much... */
#define JD_AUTH_UNVERIFIED_BODY (8 * 1024)
/* ...unless its Authorization names a known key with a fresh date: then up to
 * JD_BODY_MAX, out of this budget shared by all such requests in flight */
#define JD_AUTH_UNVERIFIED_BUDGET (8 * 1024 * 1024)
#define JD_STORE_READERS 8 /* SQLite reader connections */
#define JD_STORE_BUSY_MS 5000
#define JD_FANOUT_BATCH 1000

#endif
