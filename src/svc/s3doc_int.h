/* s3doc_int.h: job documents and S3 (s3doc.c), for the job, template and
 * execution use cases. */
#ifndef JD_SVC_S3DOC_INT_H
#define JD_SVC_S3DOC_INT_H

#include "svc/svc_int.h"

/* The placeholder AWS replaces in device-facing documents. */
#define SVC_PRESIGN_PLACEHOLDER "${aws:iot:s3-presigned-url:"
/* Placeholders replaced in one document (AWS's limit); later ones stay. */
#define SVC_PRESIGN_MAX 10
/* presignedUrlConfig.expiresInSec when absent. */
#define SVC_PRESIGN_EXPIRES_DEFAULT 3600

/*
 * Read a documentSource: GET url through the S3 hook and check that it is a
 * JSON object of at most JD_DOCUMENT_MAX bytes. Call it OUTSIDE any store
 * transaction (a network round trip). 0 and *doc (owned, the object's text
 * as stored in S3), or JD_EINVAL / JD_EUNAVAIL with the message.
 */
int svc__doc_fetch(struct svc *s, const char *url, char **doc, struct jd_error *e);
/* JD_EINVAL when document (NULL: none) holds a presigned-URL placeholder
 * and the configuration (a JSON object text, NULL for none) names a
 * presignedUrlConfig.roleArn that has no outgoing credentials: the case
 * where a device would get a placeholder it cannot use. */
int svc__presign_check(struct svc *s, const char *config, const char *document, struct jd_error *e);
/*
 * The copy of j's document a device gets: j->document is taken (j keeps
 * NULL) and returned with each ${aws:iot:s3-presigned-url:URL} placeholder
 * (up to SVC_PRESIGN_MAX) replaced by URL presigned now for the job's
 * presignedUrlConfig. A job without presignedUrlConfig.roleArn, or a URL
 * that cannot be signed, keeps its placeholder (logged). Owned; NULL when
 * j had no document.
 */
char *svc__device_doc(struct svc *s, struct jd_job *j);

#endif
