/*
 * cases_types.h: the conformance cases of thing types and tags (issue 12),
 * included by test_store.c (its helpers: fresh, begin, commit, coll, mk_*).
 */

static int
type_cb(void *arg, const struct jd_thing_type *t)
{
	coll_add(arg, t->name);
	return coll_ret(arg);
}

static int
tag_cb(void *arg, const char *key, const char *value)
{
	char s[600];

	snprintf(s, sizeof(s), "%s=%s", key, value);
	coll_add(arg, s);
	return coll_ret(arg);
}

static void
mk_type(struct store_tx *tx, const char *name, const char *props)
{
	struct jd_thing_type t = {0};

	jd_strlcpy(t.name, name, sizeof(t.name));
	snprintf(t.id, sizeof(t.id), "tid-%s", name);
	t.properties = (char *)props;
	t.created_ms = 1700000000123;
	CHECK_EQ_INT(store_thing_type_insert(tx, &t), 0);
}

TEST(t_thing_type)
{
	struct store_tx *tx;
	struct jd_thing_type t = {0}, o;
	struct coll c = {BUF_INIT, 0, 0};

	fresh();
	tx = begin(true);
	mk_type(tx, "tc", "{\"thingTypeDescription\":\"d\"}");
	mk_type(tx, "ta", NULL);
	mk_type(tx, "tb", NULL);
	jd_strlcpy(t.name, "ta", sizeof(t.name));
	CHECK_EQ_INT(store_thing_type_insert(tx, &t), JD_EEXISTS);
	/* the transaction goes on after JD_EEXISTS */
	CHECK_EQ_INT(store_thing_type_get(tx, "tc", &o), 0);
	CHECK_EQ_STR(o.id, "tid-tc");
	CHECK_EQ_STR(o.properties, "{\"thingTypeDescription\":\"d\"}");
	CHECK(!o.deprecated);
	CHECK_EQ_INT(o.deprecated_ms, 0);
	CHECK_EQ_INT(o.created_ms, 1700000000123);
	o.deprecated = true;
	o.deprecated_ms = 1700000000999;
	CHECK_EQ_INT(store_thing_type_update(tx, &o), 0);
	jd_thing_type_release(&o);
	CHECK_EQ_INT(store_thing_type_get(tx, "ta", &o), 0);
	CHECK(o.properties == NULL);
	jd_thing_type_release(&o);
	commit(tx);

	tx = begin(false);
	CHECK_EQ_INT(store_thing_type_get(tx, "tc", &o), 0);
	CHECK(o.deprecated);
	CHECK_EQ_INT(o.deprecated_ms, 1700000000999);
	jd_thing_type_release(&o);
	CHECK_EQ_INT(store_thing_type_get(tx, "nope", &o), JD_ENOTFOUND);
	CHECK_EQ_INT(store_thing_type_list(tx, NULL, "", 0, type_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "ta,tb,tc");
	coll_reset(&c);
	CHECK_EQ_INT(store_thing_type_list(tx, "", "ta", 1, type_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "tb");
	coll_reset(&c);
	CHECK_EQ_INT(store_thing_type_list(tx, "tc", "", 0, type_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "tc");
	coll_reset(&c);
	c.stop = 1;
	CHECK_EQ_INT(store_thing_type_list(tx, NULL, "", 0, type_cb, &c), 7);
	store_rollback(tx);

	tx = begin(true);
	CHECK_EQ_INT(store_thing_type_delete(tx, "tb"), 0);
	CHECK_EQ_INT(store_thing_type_delete(tx, "tb"), JD_ENOTFOUND);
	jd_strlcpy(t.name, "nope", sizeof(t.name));
	CHECK_EQ_INT(store_thing_type_update(tx, &t), JD_ENOTFOUND);
	commit(tx);
	buf_free(&c.b);
}

TEST(t_tags)
{
	struct store_tx *tx;
	struct coll c = {BUF_INIT, 0, 0};
	int64_t n = -1;

	fresh();
	tx = begin(true);
	CHECK_EQ_INT(store_tag_put(tx, "thinggroup/g", "b", "2"), 0);
	CHECK_EQ_INT(store_tag_put(tx, "thinggroup/g", "a", "1"), 0);
	CHECK_EQ_INT(store_tag_put(tx, "thinggroup/g", "a", "one"), 0); /* replaces */
	CHECK_EQ_INT(store_tag_put(tx, "thinggroup/g", "\xc3\xbc", ""), 0);
	CHECK_EQ_INT(store_tag_put(tx, "thinggroup/g2", "a", "x"), 0);
	CHECK_EQ_INT(store_tag_put(tx, "job/j", "a", "x"), 0);
	CHECK_EQ_INT(store_tag_put(tx, "thingtype/t", "a", "x"), 0);
	CHECK_EQ_INT(store_tag_put(tx, "jobtemplate/p", "a", "x"), 0);
	CHECK_EQ_INT(store_tag_count(tx, "thinggroup/g", &n), 0);
	CHECK_EQ_INT(n, 3);
	commit(tx);

	tx = begin(false);
	CHECK_EQ_INT(store_tag_list(tx, "thinggroup/g", "", 0, tag_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "a=one,b=2,\xc3\xbc=");
	coll_reset(&c);
	CHECK_EQ_INT(store_tag_list(tx, "thinggroup/g", "a", 1, tag_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "b=2");
	coll_reset(&c);
	CHECK_EQ_INT(store_tag_list(tx, "thinggroup/none", "", 0, tag_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "");
	CHECK_EQ_INT(store_tag_count(tx, "thinggroup/none", &n), 0);
	CHECK_EQ_INT(n, 0);
	store_rollback(tx);

	/* deleting a key; deleting a resource's row deletes its tags (and only its) */
	tx = begin(true);
	CHECK_EQ_INT(store_tag_delete(tx, "thinggroup/g", "b"), 0);
	CHECK_EQ_INT(store_tag_delete(tx, "thinggroup/g", "b"), 0);
	mk_group(tx, "g", NULL);
	CHECK_EQ_INT(store_group_delete(tx, "g"), 0);
	mk_job(tx, "j", JD_JOB_IN_PROGRESS, JD_SEL_SNAPSHOT, NULL);
	CHECK_EQ_INT(store_job_delete(tx, "j"), 0);
	mk_type(tx, "t", NULL);
	CHECK_EQ_INT(store_thing_type_delete(tx, "t"), 0);
	commit(tx);
	tx = begin(false);
	CHECK_EQ_INT(store_tag_count(tx, "thinggroup/g", &n), 0);
	CHECK_EQ_INT(n, 0);
	CHECK_EQ_INT(store_tag_count(tx, "job/j", &n), 0);
	CHECK_EQ_INT(n, 0);
	CHECK_EQ_INT(store_tag_count(tx, "thingtype/t", &n), 0);
	CHECK_EQ_INT(n, 0);
	CHECK_EQ_INT(store_tag_count(tx, "thinggroup/g2", &n), 0);
	CHECK_EQ_INT(n, 1);
	CHECK_EQ_INT(store_tag_count(tx, "jobtemplate/p", &n), 0);
	CHECK_EQ_INT(n, 1);
	store_rollback(tx);

	/* the wipe takes types and tags too */
	fresh();
	tx = begin(false);
	CHECK_EQ_INT(store_tag_count(tx, "jobtemplate/p", &n), 0);
	CHECK_EQ_INT(n, 0);
	store_rollback(tx);
	buf_free(&c.b);
}
