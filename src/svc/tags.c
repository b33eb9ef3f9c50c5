/*
 * tags.c: tags of jobs, job templates, thing groups (static and dynamic)
 * and thing types: TagResource, UntagResource, ListTagsForResource, and
 * svc__tags_set, which the create use cases call in their own transaction.
 *
 * A resource is named by its ARN (arn:PARTITION:iot:REGION:ACCOUNT:KIND/NAME);
 * the store keys its tags by "KIND/NAME" (the region is not part of the
 * key: jobsd's resources are not partitioned by region). The account must
 * be this deployment's. Deleting a resource deletes its tags in the store
 * (the schema's triggers), so nothing here runs on deletion. Calls svc.c.
 */
#include "svc/tags_int.h"

#include <string.h>

#include "util/buf.h"

/* The ARN kinds that can carry tags, and how to tell that one exists. */
enum kind { K_JOB, K_TEMPLATE, K_GROUP, K_TYPE };

static const struct {
	const char *name;
	enum kind k;
} kinds[] = {
    {"job", K_JOB},
    {"jobtemplate", K_TEMPLATE},
    {"thinggroup", K_GROUP},
    {"thingtype", K_TYPE},
};

/* The resource part of an ARN (after its fifth colon), or s itself. */
static const char *
resource_part(const char *s)
{
	const char *p = s;

	if (strncmp(s, "arn:", 4) != 0)
		return s;
	for (int i = 0; i < 5 && p != NULL; i++) {
		p = strchr(p, ':');
		if (p != NULL)
			p++;
	}
	return p != NULL ? p : s;
}

/* Split "KIND/NAME" into kind and name; -1 when it is not a taggable one. */
static int
split(const char *res, enum kind *k, const char **name)
{
	const char *slash = strchr(res, '/');

	if (slash == NULL || slash[1] == '\0' || strchr(slash + 1, '/') != NULL ||
	    strlen(slash + 1) > JD_THING_NAME_MAX)
		return -1;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strlen(kinds[i].name) == (size_t)(slash - res) &&
		    strncmp(kinds[i].name, res, (size_t)(slash - res)) == 0) {
			*k = kinds[i].k;
			*name = slash + 1;
			return 0;
		}
	return -1;
}

/*
 * Check arn's shape and account and copy its "KIND/NAME" into res.
 * JD_EINVAL for what is not an ARN of a taggable kind, JD_ENOTFOUND for
 * another account's.
 */
static int
parse_arn(const struct svc *s, const char *arn, char res[SVC_TAG_RESOURCE_MAX], enum kind *k,
    const char **name, struct jd_error *e)
{
	const char *f[6], *p = arn;
	size_t acct_len;

	for (int i = 0; i < 5; i++) {
		f[i] = p;
		p = strchr(p, ':');
		if (p == NULL)
			goto bad;
		p++;
	}
	f[5] = p;
	acct_len = (size_t)(f[5] - f[4] - 1);
	if (strncmp(f[0], "arn:", 4) != 0 || strncmp(f[2], "iot:", 4) != 0 || f[1][0] == ':' ||
	    strlen(f[5]) >= SVC_TAG_RESOURCE_MAX || split(f[5], k, name) != 0)
		goto bad;
	if (acct_len != strlen(s->account) || strncmp(f[4], s->account, acct_len) != 0)
		return jd_error_set(e, JD_ENOTFOUND, "Resource %.320s does not exist", arn);
	jd_strlcpy(res, f[5], SVC_TAG_RESOURCE_MAX);
	return 0;
bad:
	return jd_error_set(e, JD_EINVAL,
	    "%.320s is not the ARN of a resource that can be tagged (a job, job template, "
	    "thing group or thing type)",
	    arn);
}

/* 0 when the resource exists, JD_ENOTFOUND (e set) when not. */
static int
exists(struct store_tx *tx, enum kind k, const char *name, const char *arn, struct jd_error *e)
{
	int rc;

	switch (k) {
	case K_JOB: {
		int st, sel;
		rc = store_job_status(tx, name, &st, &sel);
		break;
	}
	case K_TEMPLATE: {
		struct jd_template t;
		memset(&t, 0, sizeof(t));
		rc = store_template_get(tx, name, &t);
		jd_template_release(&t);
		break;
	}
	case K_GROUP: {
		struct jd_group g;
		memset(&g, 0, sizeof(g));
		rc = store_group_get(tx, name, &g);
		jd_group_release(&g);
		break;
	}
	default: {
		struct jd_thing_type t;
		memset(&t, 0, sizeof(t));
		rc = store_thing_type_get(tx, name, &t);
		jd_thing_type_release(&t);
		break;
	}
	}
	if (rc == JD_ENOTFOUND)
		return jd_error_set(e, rc, "Resource %.320s does not exist", arn);
	return rc != 0 ? svc__store_err(rc, e) : 0;
}

int
svc__tags_set(struct svc_tx *t, const char *resource, const struct jd_tag *tags, int n,
    struct jd_error *e)
{
	const char *res = resource_part(resource);
	int64_t count = 0;
	int rc;

	for (int i = 0; i < n; i++)
		if ((rc = store_tag_put(t->tx, res, tags[i].key,
		         tags[i].value != NULL ? tags[i].value : "")) != 0)
			return svc__store_err(rc, e);
	if (n == 0)
		return 0;
	if ((rc = store_tag_count(t->tx, res, &count)) != 0)
		return svc__store_err(rc, e);
	if (count > JD_TAGS_MAX)
		return jd_error_set(e, JD_ELIMIT,
		    "A resource can have at most %d tags; this request would leave it %lld",
		    JD_TAGS_MAX, (long long)count);
	return 0;
}

int
svc_tag_resource(struct svc *s, const char *arn, const struct jd_tag *tags, int n,
    struct jd_error *e)
{
	char res[SVC_TAG_RESOURCE_MAX];
	const char *name;
	struct svc_tx w;
	enum kind k;
	int rc;

	if ((rc = parse_arn(s, arn, res, &k, &name, e)) != 0)
		return rc;
	if ((rc = svc__begin(s, &w, e)) != 0)
		return rc;
	if ((rc = exists(w.tx, k, name, arn, e)) != 0 ||
	    (rc = svc__tags_set(&w, res, tags, n, e)) != 0) {
		svc__rollback(&w);
		return rc;
	}
	return svc__commit(&w, e);
}

int
svc_untag_resource(struct svc *s, const char *arn, const char *const *keys, int n,
    struct jd_error *e)
{
	char res[SVC_TAG_RESOURCE_MAX];
	const char *name;
	struct svc_tx w;
	enum kind k;
	int rc;

	if ((rc = parse_arn(s, arn, res, &k, &name, e)) != 0)
		return rc;
	if ((rc = svc__begin(s, &w, e)) != 0)
		return rc;
	if ((rc = exists(w.tx, k, name, arn, e)) != 0)
		goto fail;
	for (int i = 0; i < n; i++)
		if ((rc = store_tag_delete(w.tx, res, keys[i])) != 0) {
			rc = svc__store_err(rc, e);
			goto fail;
		}
	return svc__commit(&w, e);
fail:
	svc__rollback(&w);
	return rc;
}

struct tag_page {
	int64_t skip;
	int limit;
	int seen;
	bool *more;
	jd_tag_cb cb;
	void *arg;
};

static int
tag_row(void *arg, const char *key, const char *value)
{
	struct tag_page *p = arg;

	if (p->skip > 0) {
		p->skip--;
		return 0;
	}
	if (p->seen++ >= p->limit) {
		*p->more = true;
		return 1;
	}
	return p->cb(p->arg, key, value);
}

int
svc_tag_list(struct svc *s, const char *arn, int64_t offset, int limit, jd_tag_cb cb, void *arg,
    bool *more, struct jd_error *e)
{
	struct tag_page p = {offset, limit, 0, more, cb, arg};
	char res[SVC_TAG_RESOURCE_MAX];
	struct store_tx *tx = NULL;
	const char *name;
	enum kind k;
	int rc;

	*more = false;
	if ((rc = parse_arn(s, arn, res, &k, &name, e)) != 0)
		return rc;
	if ((rc = svc__read(s, &tx, e)) != 0)
		return rc;
	rc = exists(tx, k, name, arn, e);
	/* at most JD_TAGS_MAX rows: the page is cut here, by position */
	if (rc == 0 && (rc = store_tag_list(tx, res, "", 0, tag_row, &p)) < 0)
		rc = svc__store_err(rc, e);
	store_rollback(tx);
	return rc < 0 ? rc : 0;
}
