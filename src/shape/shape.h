/*
 * shape.h: the AWS JSON shapes of jobs and job executions, written with
 * util's streaming JSON writer (struct jw), for every surface that sends
 * them: the REST control plane, the REST device plane and MQTT.
 *
 * Which members a shape has, in which order, lives here once. What differs
 * between the surfaces is a parameter, struct shape_opts:
 *   - timestamps: the control plane writes epoch seconds with a millisecond
 *     fraction (1700000000.123), the device plane (HTTP and MQTT) integer
 *     seconds;
 *   - the job document: a JSON string over HTTP, the document itself (a
 *     JSON object) over MQTT. MQTT also puts jobDocument right after
 *     thingName and approximateSecondsBeforeTimedOut last, the member order
 *     its replies have always had;
 *   - ARNs name the request's region and the account (control plane).
 *
 * Every function writes one JSON value (or, where said, members into an
 * object the caller has open) at the writer's position; nothing is
 * allocated beyond the writer's buffer. Records and texts are borrowed.
 * Stored JSON texts (statusDetails, job configuration, targets, document)
 * are trusted: jobsd wrote them, so they are copied as they are.
 *
 * Depends on util/ and core/ only: no JSON library, no HTTP, no MQTT.
 */
#ifndef JD_SHAPE_SHAPE_H
#define JD_SHAPE_SHAPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/model.h"
#include "util/buf.h"

/* How a surface writes the shapes. */
struct shape_opts {
	bool ts_float;       /* seconds with a millisecond fraction; else integer seconds */
	bool doc_as_object;  /* jobDocument embedded as JSON (MQTT); else a JSON string */
	const char *region;  /* borrowed; for ARNs, NULL where no ARN is written */
	const char *account; /* borrowed; for ARNs */
};

/* The device plane: over HTTP and over MQTT. (The control plane's options
 * name the request's region, so its caller builds them.) */
extern const struct shape_opts shape_http_data;
extern const struct shape_opts shape_mqtt;

/* Room for any ARN jobsd writes (region, account, kind and a name are each
 * bounded well below; a longer one is cut, never overrun). */
#define SHAPE_ARN_MAX 512

/* "arn:aws:iot:REGION:ACCOUNT:KIND/NAME" into out (not NUL-terminated);
 * returns its length. */
size_t shape_arn(char out[SHAPE_ARN_MAX], const struct shape_opts *opts, const char *kind,
    const char *name);
/* The member "key":"arn:...". */
void shape_karn(struct jw *w, const struct shape_opts *opts, const char *key, const char *kind,
    const char *name);
/* The member "key":time, time as opts says; nothing when ms is 0 (absent). */
void shape_ktime(struct jw *w, const struct shape_opts *opts, const char *key, int64_t ms);
/*
 * Splice the members of a JSON object text (NULL, "{}" or compact JSON as
 * jobsd stores a job or template configuration) into the object open in w,
 * as they are. Anything that is not an object text writes nothing.
 */
void shape_members(struct jw *w, const char *object_text);
/* The member "jobDocument" as opts says; nothing when doc is NULL (not asked
 * for) or, embedded as an object, "". */
void shape_kdoc(struct jw *w, const struct shape_opts *opts, const char *doc);

/* ---- jobs (control plane) ----------------------------------------------- */

/* Job (DescribeJob); counts NULL leaves out jobProcessDetails. */
void shape_job(struct jw *w, const struct shape_opts *opts, const struct jd_job *j,
    const struct jd_counts *counts);
/* JobSummary (ListJobs). */
void shape_job_summary(struct jw *w, const struct shape_opts *opts, const struct jd_job *j);

/* ---- executions --------------------------------------------------------- */

/* JobExecution of the control plane (DescribeJobExecution): statusDetails
 * wrapped in detailsMap, thingArn. now_ms: for the time left before the
 * execution times out (IN_PROGRESS only). */
void shape_exec(struct jw *w, const struct shape_opts *opts, const struct jd_exec *x,
    int64_t now_ms);
/* JobExecutionSummary of the control plane's lists. */
void shape_exec_summary(struct jw *w, const struct shape_opts *opts, const struct jd_exec *x);
/* JobExecution of the device plane (StartNext, Describe, notify-next):
 * thingName, flat statusDetails; doc as shape_kdoc() (NULL: left out). */
void shape_exec_data(struct jw *w, const struct shape_opts *opts, const struct jd_exec *x,
    const char *doc, int64_t now_ms);
/* JobExecutionSummary of the device plane (pending lists). */
void shape_exec_data_summary(struct jw *w, const struct shape_opts *opts, const struct jd_exec *x);
/* An array of the device-plane summaries of the executions in list whose
 * status is `status`, in list's order. */
void shape_exec_data_list(struct jw *w, const struct shape_opts *opts, const struct jd_execv *list,
    int status);
/* JobExecutionState (UpdateJobExecution, and a rejected update): status,
 * statusDetails unless NULL or "{}", versionNumber. */
void shape_exec_state(struct jw *w, int status, const char *details, int64_t version);

#endif
