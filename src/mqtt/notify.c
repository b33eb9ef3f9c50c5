/*
 * notify.c: the notifications of the MQTT device plane (spec §7, D10).
 * svc calls the sink after each committed change of a thing's pending list
 * or of the head of it; jobsd then publishes notify and notify-next from the
 * committing thread (libmosquitto's publish is thread-safe) while the broker
 * connection has room, else notes the thing as dirty and the sender thread
 * publishes its state when there is room (out.c). Either way a notification
 * carries the thing's state when it is built, read from the store. Nothing
 * is noted while the broker is away.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "mqtt/bridge_int.h"
#include "shape/shape.h"
#include "util/log.h"

static void
notify_topics(const char *thing, const char *ns, bool next, char *out, size_t n)
{
	if (ns[0] == '\0')
		snprintf(out, n, "$aws/things/%s/jobs/%s", thing, next ? "notify-next" : "notify");
	else
		snprintf(out, n, "$aws/things/%s/jobs/%s-namespace-%s", thing,
		    next ? "notify-next" : "notify", ns);
}

void
mqtt__on_changed(void *arg, const char *thing, const char *ns, const char *job, bool list,
    bool head)
{
	struct mqtt_bridge *b = arg;

	if (!atomic_load(&b->connected))
		return; /* notifications are not queued while the broker is away */
	if (!mqtt__out_defer(b, thing, ns, job, list, head))
		mqtt__notify_send(b, thing, ns, job, list, head);
}

void
mqtt__notify_send(struct mqtt_bridge *b, const char *thing, const char *ns, const char *job,
    bool list, bool head)
{
	struct jd_execv pending = {0};
	struct jd_error e;
	struct buf out = BUF_INIT;
	char topic[MQTT_REPLY_TOPIC_SIZE];
	struct jw w;

	jd_error_init(&e);
	/* the pending list only for notify: a head-only change reads just $next */
	if (list && svc_dev_pending(b->svc, thing, ns, jd_execv_add, &pending, &e) != 0) {
		log_warn("mqtt: notify %s: %s", thing, e.msg);
		goto out;
	}
	if (list) {
		bool any_in_progress = false, any_queued = false;
		for (size_t i = 0; i < pending.n; i++) {
			any_in_progress |= pending.v[i].status == JD_EXEC_IN_PROGRESS;
			any_queued |= pending.v[i].status == JD_EXEC_QUEUED;
		}
		jw_init(&w, &out);
		jw_obj_begin(&w);
		jw_kint(&w, "timestamp", mqtt__now_s(b));
		jw_key(&w, "jobs");
		jw_obj_begin(&w);
		if (any_in_progress) {
			jw_key(&w, "IN_PROGRESS");
			shape_exec_data_list(&w, &shape_mqtt, &pending, JD_EXEC_IN_PROGRESS);
		}
		if (any_queued) {
			jw_key(&w, "QUEUED");
			shape_exec_data_list(&w, &shape_mqtt, &pending, JD_EXEC_QUEUED);
		}
		jw_obj_end(&w);
		jw_obj_end(&w);
		notify_topics(thing, ns, false, topic, sizeof(topic));
		mqtt__publish(b, topic, &out, 1);
		if (ns[0] != '\0') { /* D10: also the seed's per-job form */
			snprintf(topic, sizeof(topic),
			    "$aws/things/%s/jobs/%s/notify-namespace-%s/", thing, job, ns);
			mqtt__publish(b, topic, &out, 1);
		}
	}
	if (head) {
		struct jd_exec x;
		char *doc = NULL;
		bool found = false;
		memset(&x, 0, sizeof(x));
		buf_reset(&out);
		jw_init(&w, &out);
		jw_obj_begin(&w);
		jw_kint(&w, "timestamp", mqtt__now_s(b));
		if (svc_dev_describe(b->svc, thing, "$next", ns, 0, &x, &doc, &found, &e) == 0 &&
		    found) {
			jw_key(&w, "execution");
			shape_exec_data(&w, &shape_mqtt, &x, doc, svc_now(b->svc));
		}
		jw_obj_end(&w);
		jd_exec_release(&x);
		free(doc);
		notify_topics(thing, ns, true, topic, sizeof(topic));
		mqtt__publish(b, topic, &out, 1);
	}
out:
	jd_execv_free(&pending);
	jd_error_clear(&e);
	buf_free(&out);
}

void
mqtt__on_event(void *arg, const char *topic, const char *payload, size_t len)
{
	struct mqtt_bridge *b = arg;
	struct buf out = {(char *)payload, len, len};

	/* not queued while the broker is away; an event is not coalescible:
	 * wait for room (out.c) */
	if (atomic_load(&b->connected) && mqtt__out_room_wait(b))
		mqtt__publish(b, topic, &out, 1);
}
