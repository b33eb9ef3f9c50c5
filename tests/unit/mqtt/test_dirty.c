/*
 * test_dirty.c: the set of things whose notification waits (src/mqtt/dirty.c):
 * one entry per (thing, namespace) whatever is added again, first dirty first
 * out, flags merged and cleared, the byte bound, growth to many things and
 * the bytes given back.
 */
#include <stdio.h>
#include <string.h>

#include "mqtt/dirty.h"
#include "test.h"

TEST(dirty_coalesces_per_thing)
{
	struct mqtt_dirty *d = mqtt_dirty_create(1 << 20);
	struct mqtt_dirty_item it;

	CHECK_EQ_INT(mqtt_dirty_add(d, "t1", "", "j1", true, false), MQTT_DIRTY_ADDED);
	CHECK_EQ_INT(mqtt_dirty_add(d, "t2", "", "j1", false, true), MQTT_DIRTY_ADDED);
	CHECK_EQ_INT(mqtt_dirty_add(d, "t1", "", "j2", false, true), MQTT_DIRTY_COALESCED);
	CHECK_EQ_INT(mqtt_dirty_add(d, "t1", NULL, "j3", true, true), MQTT_DIRTY_COALESCED);
	/* another namespace is another list */
	CHECK_EQ_INT(mqtt_dirty_add(d, "t1", "ns", "j4", true, false), MQTT_DIRTY_ADDED);
	CHECK_EQ_INT((int)mqtt_dirty_count(d), 3);
	/* first dirty, first out; flags merged; the job only when namespaced */
	CHECK(mqtt_dirty_pop(d, &it));
	CHECK_EQ_STR(it.thing, "t1");
	CHECK_EQ_STR(it.ns, "");
	CHECK_EQ_STR(it.job, "");
	CHECK(it.list && it.head);
	CHECK(mqtt_dirty_pop(d, &it));
	CHECK_EQ_STR(it.thing, "t2");
	CHECK(!it.list && it.head);
	CHECK_EQ_INT(mqtt_dirty_add(d, "t1", "ns", "j5", false, true), MQTT_DIRTY_COALESCED);
	CHECK(mqtt_dirty_pop(d, &it));
	CHECK_EQ_STR(it.thing, "t1");
	CHECK_EQ_STR(it.ns, "ns");
	CHECK_EQ_STR(it.job, "j5"); /* the latest */
	CHECK(it.list && it.head);
	CHECK(!mqtt_dirty_pop(d, &it));
	CHECK_EQ_INT((int)mqtt_dirty_count(d), 0);
	/* popped: a new change makes the thing dirty again, last in line */
	CHECK_EQ_INT(mqtt_dirty_add(d, "t2", "", NULL, true, false), MQTT_DIRTY_ADDED);
	CHECK_EQ_INT(mqtt_dirty_add(d, "t1", "", NULL, true, false), MQTT_DIRTY_ADDED);
	CHECK(mqtt_dirty_pop(d, &it));
	CHECK_EQ_STR(it.thing, "t2");
	mqtt_dirty_destroy(d);
}

TEST(dirty_sent_clears_flags)
{
	struct mqtt_dirty *d = mqtt_dirty_create(1 << 20);
	struct mqtt_dirty_item it;

	mqtt_dirty_add(d, "a", "", "j", true, true);
	mqtt_dirty_add(d, "b", "", "j", false, true);
	mqtt_dirty_add(d, "c", "", "j", true, false);
	mqtt_dirty_sent(d, "a", "", false, true); /* head sent: the list still waits */
	mqtt_dirty_sent(d, "b", NULL, false, true);
	mqtt_dirty_sent(d, "zz", "", true, true); /* not there: nothing */
	mqtt_dirty_sent(d, "c", "other", true, true);
	CHECK_EQ_INT((int)mqtt_dirty_count(d), 2);
	CHECK(mqtt_dirty_pop(d, &it));
	CHECK_EQ_STR(it.thing, "a");
	CHECK(it.list && !it.head);
	CHECK(mqtt_dirty_pop(d, &it));
	CHECK_EQ_STR(it.thing, "c");
	CHECK(!mqtt_dirty_pop(d, &it));
	mqtt_dirty_destroy(d);
}

TEST(dirty_bounded_by_bytes)
{
	size_t empty, one;
	struct mqtt_dirty *d = mqtt_dirty_create(4096);
	char name[32];
	int added = 0, rc;

	empty = mqtt_dirty_bytes(d);
	mqtt_dirty_add(d, "first", "", NULL, true, false);
	one = mqtt_dirty_bytes(d) - empty;
	/* a few dozen bytes a thing, not a message's kilobytes */
	CHECK(one < 100);
	for (int i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "thing-%d", i);
		rc = mqtt_dirty_add(d, name, "", NULL, true, false);
		if (rc == MQTT_DIRTY_FULL)
			break;
		CHECK_EQ_INT(rc, MQTT_DIRTY_ADDED);
		added++;
	}
	CHECK(added > 10 && added < 1000);
	CHECK(mqtt_dirty_bytes(d) <= 4096);
	/* full, yet a thing already there still takes more flags */
	CHECK_EQ_INT(mqtt_dirty_add(d, "first", "", NULL, false, true), MQTT_DIRTY_COALESCED);
	CHECK_EQ_INT(mqtt_dirty_add(d, "thing-0", "", NULL, false, true), MQTT_DIRTY_COALESCED);
	CHECK_EQ_INT((int)mqtt_dirty_count(d), added + 1);
	mqtt_dirty_destroy(d);
}

TEST(dirty_many_things)
{
	enum { N = 20000 };
	struct mqtt_dirty *d = mqtt_dirty_create((size_t)64 << 20);
	size_t empty = mqtt_dirty_bytes(d);
	struct mqtt_dirty_item it;
	char name[JD_THING_NAME_MAX + 8];
	int bad = 0;

	for (int round = 0; round < 2; round++)
		for (int i = 0; i < N; i++) {
			snprintf(name, sizeof(name), "dev-%05d", i);
			int rc = mqtt_dirty_add(d, name, i % 3 ? "" : "ns", "job", round == 0,
			    round == 1);
			if (rc != (round == 0 ? MQTT_DIRTY_ADDED : MQTT_DIRTY_COALESCED))
				bad++;
		}
	CHECK_EQ_INT(bad, 0);
	CHECK_EQ_INT((int)mqtt_dirty_count(d), N);
	for (int i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "dev-%05d", i);
		if (!mqtt_dirty_pop(d, &it) || strcmp(it.thing, name) != 0 || !it.list ||
		    !it.head || strcmp(it.ns, i % 3 ? "" : "ns") != 0)
			bad++;
	}
	CHECK_EQ_INT(bad, 0);
	CHECK(!mqtt_dirty_pop(d, &it));
	/* every entry's bytes given back (the table stays grown) */
	CHECK(mqtt_dirty_bytes(d) >= empty);
	CHECK(mqtt_dirty_bytes(d) < empty + (size_t)N * 2 * sizeof(void *));
	/* a name at the limit, and one over it (cut, as the bridge never sends one) */
	memset(name, 'x', JD_THING_NAME_MAX + 4);
	name[JD_THING_NAME_MAX + 4] = '\0';
	CHECK_EQ_INT(mqtt_dirty_add(d, name, "", NULL, true, false), MQTT_DIRTY_ADDED);
	CHECK(mqtt_dirty_pop(d, &it));
	CHECK_EQ_INT((int)strlen(it.thing), JD_THING_NAME_MAX);
	mqtt_dirty_destroy(d);
	mqtt_dirty_destroy(NULL);
}

int
main(void)
{
	RUN(dirty_coalesces_per_thing);
	RUN(dirty_sent_clears_flags);
	RUN(dirty_bounded_by_bytes);
	RUN(dirty_many_things);
	return test_report();
}
