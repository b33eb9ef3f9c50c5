/*
 * err.h: the one error table of jobsd.
 *
 * Every fallible function returns int: 0 on success, a negative JD_E* code on
 * failure. Detail (message text and the extra members some AWS errors carry)
 * goes in a struct jd_error owned by the caller. JD_ERRNO_MAP is the single
 * source of each code's wire mapping: HTTP status and x-amzn-ErrorType on the
 * control plane (service iot), on the device plane (iot-jobs-data), and the
 * MQTT rejected code. A NULL type means "not modelled on that plane"; callers
 * then fall back to the mapping noted in the comment.
 *
 * The four 403 rows after FORBIDDEN are SigV4 refusals (auth/); no SDK
 * model has them, so botocore raises a generic ClientError whose
 * Error.Code is the x-amzn-ErrorType.
 */
#ifndef JD_UTIL_ERR_H
#define JD_UTIL_ERR_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/*      name       ctl status, ctl type,                         data status, data type,                         mqtt code */
#define JD_ERRNO_MAP(X)                                                                            \
	X(INVAL, 400, "InvalidRequestException", 400, "InvalidRequestException", "InvalidRequest") \
	X(NOTFOUND, 404, "ResourceNotFoundException", 404, "ResourceNotFoundException",            \
	    "ResourceNotFound")                                                                    \
	X(EXISTS, 409, "ResourceAlreadyExistsException", 409, "InvalidStateTransitionException",   \
	    "InvalidRequest")                                                                      \
	X(CONFLICT, 409, "ConflictException", 409, "ConflictException", "InvalidRequest")          \
	X(VERSION, 409, "VersionConflictException", 409, "InvalidStateTransitionException",        \
	    "VersionMismatch")                                                                     \
	X(STATE, 409, "InvalidStateTransitionException", 409, "InvalidStateTransitionException",   \
	    "InvalidStateTransition")                                                              \
	X(LIMIT, 410, "LimitExceededException", 400, "InvalidRequestException", "InvalidRequest")  \
	X(THROTTLED, 400, "ThrottlingException", 429, "ThrottlingException", "RequestThrottled")   \
	X(TERMINAL, 410, "InvalidRequestException", 410, "TerminalStateException",                 \
	    "TerminalStateReached")                                                                \
	X(UNAVAIL, 503, "ServiceUnavailableException", 503, "ServiceUnavailableException",         \
	    "InternalError")                                                                       \
	X(INTERNAL, 500, "InternalFailureException", 503, "ServiceUnavailableException",           \
	    "InternalError")                                                                       \
	X(NOMETHOD, 405, "MethodNotAllowedException", 405, "MethodNotAllowedException",            \
	    "InvalidTopic")                                                                        \
	X(NOROUTE, 404, "UnknownOperationException", 404, "UnknownOperationException",             \
	    "InvalidTopic")                                                                        \
	X(TOOBIG, 413, "RequestEntityTooLargeException", 413, "RequestEntityTooLargeException",    \
	    "InvalidRequest")                                                                      \
	X(FORBIDDEN, 403, "AccessDeniedException", 403, "AccessDeniedException", "InvalidRequest") \
	X(NOAUTH, 403, "MissingAuthenticationTokenException", 403,                                 \
	    "MissingAuthenticationTokenException", "InvalidRequest")                               \
	X(INCOMPLETE, 403, "IncompleteSignatureException", 403, "IncompleteSignatureException",    \
	    "InvalidRequest")                                                                      \
	X(BADKEY, 403, "UnrecognizedClientException", 403, "UnrecognizedClientException",          \
	    "InvalidRequest")                                                                      \
	X(BADSIG, 403, "InvalidSignatureException", 403, "InvalidSignatureException",              \
	    "InvalidRequest")                                                                      \
	X(HDRTOOBIG, 431, "RequestHeaderFieldsTooLargeException", 431,                             \
	    "RequestHeaderFieldsTooLargeException", "InvalidRequest")                              \
	X(BADJSON, 400, "InvalidRequestException", 400, "InvalidRequestException", "InvalidJson")  \
	X(QUERY, 400, "InvalidQueryException", 400, "InvalidRequestException", "InvalidRequest")

enum jd_errno {
	JD_OK = 0,
#define JD__ERRNO_ENUM(name, cs, ct, ds, dt, mq) JD_E##name,
	JD__ERRNO_FIRST = -1000,
	JD_ERRNO_MAP(JD__ERRNO_ENUM)
#undef JD__ERRNO_ENUM
	    JD__ERRNO_LAST
};

/* Which wire surface an error is rendered for. */
enum jd_plane { JD_PLANE_CONTROL = 0, JD_PLANE_DATA = 1 };

#define JD_ERROR_MSG_MAX 512

/*
 * Detail of a failure. Fixed-size so it lives on the stack of the request.
 * Optional members are empty strings / has_state == 0 when absent.
 */
struct jd_error {
	int code;                   /* JD_E* */
	char msg[JD_ERROR_MSG_MAX]; /* AWS "message" */
	char resource_id[160];      /* ResourceAlreadyExists / Conflict: resourceId */
	char resource_arn[320];     /* ResourceAlreadyExists: resourceArn */
	/* data plane InvalidStateTransition / VersionMismatch: executionState */
	int has_state;
	int state_status; /* enum jd_exec_status */
	int64_t state_version;
	char *state_details_json; /* owned, malloc'd flat map JSON or NULL */
};

/* Initialise an empty error (no allocation). */
void jd_error_init(struct jd_error *e);
/* Release what the error owns; the struct may be reused after jd_error_init. */
void jd_error_clear(struct jd_error *e);
/* Set code and printf-style message; returns code so callers can
 * `return jd_error_set(e, JD_EINVAL, "...")`. e may be NULL. */
int jd_error_set(struct jd_error *e, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int jd_error_vset(struct jd_error *e, int code, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

/* Wire mapping of a code (unknown codes map like JD_EINTERNAL). */
int jd_errno_status(int code, enum jd_plane plane);
const char *jd_errno_type(int code, enum jd_plane plane);
const char *jd_errno_mqtt(int code);
/* Short symbolic name ("EINVAL"), for logs and test output. */
const char *jd_errno_name(int code);

#endif
