"""The MQTT device plane through a real Mosquitto (spec §6, §7; D10, D15, D20).

Devices are real MQTT clients (libmosquitto through ctypes, mqttc.py) whose client id is
their thing name, as the shipped broker ACL requires.
"""

import http.client
import json
import os
import re
import signal
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import mqttc  # noqa: E402
from broker import MqttTestCase, wait_mqtt_ready  # noqa: E402
from harness import group_arn, one_store, thing_arn  # noqa: E402

T = '$aws/things/%s/jobs/'


class MqttBase(MqttTestCase):

    def setUp(self):
        super().setUp()
        self.thing = self.create_thing()
        self.dev = self.device(self.thing)

    def job(self, things=None, **kw):
        jid = self.name('job')
        kw.setdefault('document', '{"op":"reboot","n":1}')
        self.iot.create_job(jobId=jid, targets=[thing_arn(t) for t in (things or [self.thing])],
                            **kw)
        return jid

    def req(self, tail, payload, accepted=True, thing=None, dev=None):
        """Publish a request on $aws/things/{thing}/jobs/{tail}; return the reply JSON."""
        thing = thing or self.thing
        dev = dev or self.dev
        topic = T % thing + tail
        dev.publish(topic, payload)
        got = dev.expect_json(topic + ('/accepted' if accepted else '/rejected'))
        return got

    def now_s(self):
        return self.jobsd.clock_now_ms() // 1000

    def assertTimestamp(self, ts):
        self.assertIsInstance(ts, int)
        self.assertLessEqual(abs(ts - self.now_s()), 5)

    def drain(self):
        """Forget notifications of the set-up (job creation)."""
        self.dev.expect_json(T % self.thing + 'notify')
        self.dev.expect_json(T % self.thing + 'notify-next')
        self.dev.clear()


class Topics(MqttBase):

    def test_get_pending(self):
        j1 = self.job()
        j2 = self.job()
        self.drain()
        self.data.start_next_pending_job_execution(thingName=self.thing)
        got = self.req('get', {'clientToken': 'c-get'})
        self.assertEqual(got['clientToken'], 'c-get')
        self.assertTimestamp(got['timestamp'])
        self.assertEqual([x['jobId'] for x in got['inProgressJobs']], [j1])
        self.assertEqual([x['jobId'] for x in got['queuedJobs']], [j2])
        ip = got['inProgressJobs'][0]
        self.assertEqual(set(ip), {'jobId', 'queuedAt', 'startedAt', 'lastUpdatedAt',
                                   'versionNumber', 'executionNumber'})
        self.assertEqual((ip['versionNumber'], ip['executionNumber']), (2, 1))
        self.assertNotIn('startedAt', got['queuedJobs'][0])
        self.assertEqual(set(got), {'inProgressJobs', 'queuedJobs', 'timestamp', 'clientToken'})

    def test_get_pending_empty_payload_and_no_token(self):
        got = self.req('get', b'')
        self.assertEqual(got['inProgressJobs'], [])
        self.assertEqual(got['queuedJobs'], [])
        self.assertNotIn('clientToken', got)

    def test_start_next_and_describe(self):
        jid = self.job(timeoutConfig={'inProgressTimeoutInMinutes': 10})
        self.drain()
        got = self.req('start-next', {'clientToken': 't2', 'stepTimeoutInMinutes': 5,
                                      'statusDetails': {'phase': 'download'}})
        ex = got['execution']
        self.assertEqual(got['clientToken'], 't2')
        self.assertEqual(ex['jobId'], jid)
        self.assertEqual(ex['status'], 'IN_PROGRESS')
        self.assertEqual(ex['statusDetails'], {'phase': 'download'})
        self.assertEqual(ex['jobDocument'], {'op': 'reboot', 'n': 1})  # an object over MQTT
        self.assertEqual(ex['versionNumber'], 2)
        self.assertEqual(ex['executionNumber'], 1)
        self.assertEqual(ex['approximateSecondsBeforeTimedOut'], 300)  # the step timer
        for k in ('queuedAt', 'startedAt', 'lastUpdatedAt'):
            self.assertIsInstance(ex[k], int)
        # describe by id and by $next; includeJobDocument false
        d = self.req(jid + '/get', {'clientToken': 'd1'})
        self.assertEqual(d['execution']['jobDocument'], {'op': 'reboot', 'n': 1})
        self.assertEqual(d['clientToken'], 'd1')
        d = self.req('$next/get', {'includeJobDocument': False})
        self.assertEqual(d['execution']['jobId'], jid)
        self.assertNotIn('jobDocument', d['execution'])
        d = self.req(jid + '/get', {'executionNumber': '1'})
        self.assertEqual(d['execution']['executionNumber'], 1)

    def test_start_next_nothing_pending(self):
        got = self.req('start-next', {'clientToken': 'n'})
        self.assertEqual(set(got), {'timestamp', 'clientToken'})
        got = self.req('$next/get', {})
        self.assertNotIn('execution', got)  # D15

    def test_update_accepted_forms(self):
        jid = self.job()
        self.drain()
        self.req('start-next', {})
        got = self.req(jid + '/update', {'status': 'IN_PROGRESS', 'expectedVersion': '2',
                                         'statusDetails': {'progress': '40%'},
                                         'clientToken': 't3'})
        self.assertEqual(set(got), {'timestamp', 'clientToken'})
        got = self.req(jid + '/update', {'status': 'SUCCEEDED', 'expectedVersion': 3,
                                         'includeJobExecutionState': True,
                                         'includeJobDocument': True, 'clientToken': 't4'})
        self.assertEqual(got['executionState'], {'status': 'SUCCEEDED',
                                                 'statusDetails': {'progress': '40%'},
                                                 'versionNumber': 4})
        self.assertEqual(got['jobDocument'], {'op': 'reboot', 'n': 1})
        self.assertEqual(got['clientToken'], 't4')
        st = self.iot.describe_job_execution(jobId=jid, thingName=self.thing)['execution']
        self.assertEqual(st['status'], 'SUCCEEDED')

    def test_rejected_version_mismatch_carries_state(self):
        jid = self.job()
        self.drain()
        self.req('start-next', {'statusDetails': {'p': '1'}})
        got = self.req(jid + '/update', {'status': 'SUCCEEDED', 'expectedVersion': '1',
                                         'clientToken': 'vm'}, accepted=False)
        self.assertEqual(got['code'], 'VersionMismatch')
        self.assertEqual(got['clientToken'], 'vm')
        self.assertEqual(got['executionState'], {'status': 'IN_PROGRESS',
                                                 'statusDetails': {'p': '1'}, 'versionNumber': 2})
        self.assertIsInstance(got['message'], str)
        self.assertTimestamp(got['timestamp'])

    def test_rejected_invalid_state_transition_carries_state(self):
        jid = self.job()
        self.drain()
        self.req(jid + '/update', {'status': 'SUCCEEDED'})
        got = self.req(jid + '/update', {'status': 'IN_PROGRESS', 'clientToken': 'ist'},
                       accepted=False)
        self.assertEqual(got['code'], 'InvalidStateTransition')
        self.assertEqual(got['executionState']['status'], 'SUCCEEDED')
        self.assertEqual(got['executionState']['versionNumber'], 2)

    def test_rejected_codes(self):
        jid = self.job()
        self.drain()
        # InvalidRequest: a status a device may not set; carries no executionState
        got = self.req(jid + '/update', {'status': 'CANCELED', 'clientToken': 'ir'},
                       accepted=False)
        self.assertEqual(got['code'], 'InvalidRequest')
        self.assertEqual(got['clientToken'], 'ir')
        self.assertNotIn('executionState', got)
        got = self.req(jid + '/update', {'clientToken': 'ir2'}, accepted=False)
        self.assertEqual(got['code'], 'InvalidRequest')
        got = self.req(jid + '/update', {'status': 'IN_PROGRESS', 'statusDetails': {
            'k%d' % i: 'v' for i in range(11)}}, accepted=False)
        self.assertEqual(got['code'], 'InvalidRequest')
        # InvalidJson: no clientToken can be read
        got = self.req(jid + '/update', b'{"status": ', accepted=False)
        self.assertEqual(got['code'], 'InvalidJson')
        self.assertNotIn('clientToken', got)
        got = self.req('get', b'\xff\xfe', accepted=False)
        self.assertEqual(got['code'], 'InvalidJson')
        # ResourceNotFound
        got = self.req('nope/get', {'clientToken': 'rnf'}, accepted=False)
        self.assertEqual(got['code'], 'ResourceNotFound')
        self.assertEqual(got['clientToken'], 'rnf')
        got = self.req('nope/update', {'status': 'SUCCEEDED'}, accepted=False)
        self.assertEqual(got['code'], 'ResourceNotFound')
        # InvalidTopic
        got = self.req('bogus/thing/here', {}, accepted=False)
        self.assertEqual(got['code'], 'InvalidTopic')
        # a bad job id in the topic
        got = self.req('bad.id/get', {}, accepted=False)
        self.assertEqual(got['code'], 'InvalidRequest')

    def test_client_token_too_long(self):
        got = self.req('get', {'clientToken': 'x' * 65}, accepted=False)
        self.assertEqual(got['code'], 'InvalidRequest')
        self.assertNotIn('clientToken', got)


class Notifications(MqttBase):

    def test_sequence_two_jobs(self):
        # spec §7.2/§7.3: two jobs queued, first started, first succeeded, second canceled.
        nt, nn = T % self.thing + 'notify', T % self.thing + 'notify-next'
        j1 = self.job()
        n = self.dev.expect_json(nt)
        self.assertEqual([x['jobId'] for x in n['jobs']['QUEUED']], [j1])
        self.assertNotIn('IN_PROGRESS', n['jobs'])
        nx = self.dev.expect_json(nn)
        self.assertEqual(nx['execution']['jobId'], j1)
        self.assertEqual(nx['execution']['status'], 'QUEUED')
        self.assertEqual(nx['execution']['jobDocument'], {'op': 'reboot', 'n': 1})
        j2 = self.job()
        n = self.dev.expect_json(nt)
        self.assertEqual([x['jobId'] for x in n['jobs']['QUEUED']], [j1, j2])
        self.dev.no_message(nn)  # the head did not change
        # first started: neither membership nor head changes
        self.req('start-next', {})
        self.dev.no_message(nt)
        self.dev.no_message(nn)
        # first succeeded: it leaves; j2 becomes the head
        self.req(j1 + '/update', {'status': 'SUCCEEDED'})
        n = self.dev.expect_json(nt)
        self.assertEqual(n['jobs'], {'QUEUED': n['jobs']['QUEUED']})
        self.assertEqual([x['jobId'] for x in n['jobs']['QUEUED']], [j2])
        nx = self.dev.expect_json(nn)
        self.assertEqual(nx['execution']['jobId'], j2)
        # second canceled: the list empties
        self.iot.cancel_job_execution(jobId=j2, thingName=self.thing)
        n = self.dev.expect_json(nt)
        self.assertEqual(n['jobs'], {})
        nx = self.dev.expect_json(nn)
        self.assertEqual(set(nx), {'timestamp'})

    def test_queued_to_in_progress_by_update_no_notify(self):
        jid = self.job()
        self.drain()
        self.req(jid + '/update', {'status': 'IN_PROGRESS'})
        self.dev.no_message(T % self.thing + 'notify')
        self.dev.no_message(T % self.thing + 'notify-next')

    def test_force_deleted_in_progress(self):
        j1 = self.job()
        self.drain()
        j2 = self.job()
        n = self.dev.expect_json(T % self.thing + 'notify')
        self.assertEqual([x['jobId'] for x in n['jobs']['QUEUED']], [j1, j2])
        self.req('start-next', {})
        self.iot.delete_job_execution(jobId=j1, thingName=self.thing, executionNumber=1,
                                      force=True)
        n = self.dev.expect_json(T % self.thing + 'notify')
        self.assertEqual([x['jobId'] for x in n['jobs']['QUEUED']], [j2])
        nx = self.dev.expect_json(T % self.thing + 'notify-next')
        self.assertEqual(nx['execution']['jobId'], j2)  # notify-next moves on
        got = self.req(j1 + '/update', {'status': 'SUCCEEDED', 'clientToken': 'gone'},
                       accepted=False)
        self.assertEqual(got['code'], 'ResourceNotFound')
        self.assertEqual(got['clientToken'], 'gone')

    def test_continuous_join_notifies(self):
        g = self.create_group()
        jid = self.name('job')
        self.iot.create_job(jobId=jid, targets=[harness.group_arn(g)], document='{}',
                            targetSelection='CONTINUOUS')
        self.dev.no_message(T % self.thing + 'notify')
        self.iot.add_thing_to_thing_group(thingGroupName=g, thingName=self.thing)
        n = self.dev.expect_json(T % self.thing + 'notify')
        self.assertEqual([x['jobId'] for x in n['jobs']['QUEUED']], [jid])
        self.dev.expect_json(T % self.thing + 'notify-next')
        self.iot.remove_thing_from_thing_group(thingGroupName=g, thingName=self.thing)
        n = self.dev.expect_json(T % self.thing + 'notify')
        self.assertEqual(n['jobs'], {})

    def test_delete_job_notifies(self):
        jid = self.job()
        self.drain()
        self.iot.delete_job(jobId=jid, force=True)
        n = self.dev.expect_json(T % self.thing + 'notify')
        self.assertEqual(n['jobs'], {})
        nx = self.dev.expect_json(T % self.thing + 'notify-next')
        self.assertNotIn('execution', nx)

    def test_thing_deletion_notifies(self):
        self.job()
        self.drain()
        self.iot.delete_thing(thingName=self.thing)
        n = self.dev.expect_json(T % self.thing + 'notify')
        self.assertEqual(n['jobs'], {})

    def test_timeout_notifies(self):
        jid = self.job(timeoutConfig={'inProgressTimeoutInMinutes': 1})
        self.drain()
        self.req('start-next', {})
        self.jobsd.advance_clock(61)
        n = self.dev.expect_json(T % self.thing + 'notify')
        self.assertEqual(n['jobs'], {})
        self.dev.expect_json(T % self.thing + 'notify-next')
        got = self.req(jid + '/get', {})
        self.assertEqual(got['execution']['status'], 'TIMED_OUT')

    def test_step_timeout(self):
        jid = self.job(timeoutConfig={'inProgressTimeoutInMinutes': 60})
        self.drain()
        self.req('start-next', {'stepTimeoutInMinutes': 2})
        self.jobsd.advance_clock(60)
        self.assertEqual(self.req(jid + '/get', {})['execution']['status'], 'IN_PROGRESS')
        # a new step timer replaces the old one; -1 clears it
        self.req(jid + '/update', {'status': 'IN_PROGRESS', 'stepTimeoutInMinutes': 5})
        self.jobsd.advance_clock(90)
        self.assertEqual(self.req(jid + '/get', {})['execution']['status'], 'IN_PROGRESS')
        self.req(jid + '/update', {'status': 'IN_PROGRESS', 'stepTimeoutInMinutes': -1})
        self.jobsd.advance_clock(600)
        ex = self.req(jid + '/get', {})['execution']
        self.assertEqual(ex['status'], 'IN_PROGRESS')
        self.req(jid + '/update', {'status': 'IN_PROGRESS', 'stepTimeoutInMinutes': 1})
        self.jobsd.advance_clock(61)
        self.assertEqual(self.req(jid + '/get', {})['execution']['status'], 'TIMED_OUT')
        self.dev.expect_json(T % self.thing + 'notify')


class Namespaces(MqttBase):

    def test_namespaced_job_kept_out_of_plain_views(self):
        ns = 'aws-gg-deployment'
        plain = self.job()
        self.drain()
        nsj = self.job(namespaceId=ns)
        n = self.dev.expect_json(T % self.thing + 'notify-namespace-' + ns)
        self.assertEqual([x['jobId'] for x in n['jobs']['QUEUED']], [nsj])
        seed = self.dev.expect_json(T % self.thing + nsj + '/notify-namespace-' + ns + '/')
        self.assertEqual(seed, n)  # D10: the seed's per-job form too
        self.dev.expect_json(T % self.thing + 'notify-next-namespace-' + ns)
        self.dev.no_message(T % self.thing + 'notify')
        got = self.req('get', {})
        self.assertEqual([x['jobId'] for x in got['queuedJobs']], [plain])
        got = self.req('$next/get', {})
        self.assertEqual(got['execution']['jobId'], plain)
        got = self.req('$next/namespace-%s/get' % ns, {})
        self.assertEqual(got['execution']['jobId'], nsj)
        got = self.req('%s/namespace-%s/update' % (nsj, ns), {'status': 'SUCCEEDED'})
        self.assertIn('timestamp', got)


class BrokerBehaviour(MqttBase):

    def test_device_cannot_use_another_things_topics(self):
        victim = self.create_thing()
        vdev = self.device(victim)
        jid = self.job(things=[victim])
        vdev.expect_json(T % victim + 'notify-next')
        vdev.clear()
        # The attacker publishes on the victim's topics: the broker refuses it.
        self.dev.publish(T % victim + jid + '/update', {'status': 'SUCCEEDED'})
        self.dev.publish(T % victim + 'start-next', {})
        vdev.no_message('#', within=0.5)
        ex = self.iot.describe_job_execution(jobId=jid, thingName=victim)['execution']
        self.assertEqual((ex['status'], ex['versionNumber']), ('QUEUED', 1))
        # and it cannot subscribe to them either: nothing arrives
        self.dev.subscribe(T % victim + '#')
        self.iot.cancel_job_execution(jobId=jid, thingName=victim)
        vdev.expect_json(T % victim + 'notify')
        self.dev.no_message(T % victim + '#', within=0.5)

    def test_broker_restart(self):
        jid = self.job()
        self.drain()
        self.broker.restart()
        wait_mqtt_ready(self.jobsd)
        self.dev.disconnect()
        self.clients.remove(self.dev)
        self.dev = self.device(self.thing)
        got = self.req('start-next', {'clientToken': 'after-restart'})
        self.assertEqual(got['execution']['jobId'], jid)
        self.req(jid + '/update', {'status': 'SUCCEEDED'})
        n = self.dev.expect_json(T % self.thing + 'notify')
        self.assertEqual(n['jobs'], {})
        st = self.iot.describe_job(jobId=jid)['job']['status']
        self.assertEqual(st, 'COMPLETED')


class Throttled(MqttBase):
    more_args = ('--throttle-rates', 'DataPlaneRead=1')

    def test_request_throttled(self):
        # D19: over the rate a device gets RequestThrottled, clientToken echoed.
        codes = []
        for i in range(6):
            topic = T % self.thing + 'get'
            self.dev.publish(topic, {'clientToken': 'c%d' % i})
            got = self.dev.expect_msg(topic + '/+')
            body = json.loads(got.payload)
            self.assertEqual(body['clientToken'], 'c%d' % i)
            if got.topic.endswith('/rejected'):
                self.assertEqual(body['code'], 'RequestThrottled')
                self.assertNotIn('executionState', body)
            codes.append(got.topic.rsplit('/', 1)[1])
        self.assertIn('accepted', codes)
        self.assertIn('rejected', codes)


class TimerSurvivesRestart(MqttBase):

    def test_timer_survives_restart(self):
        jid = self.job(timeoutConfig={'inProgressTimeoutInMinutes': 2})
        self.drain()
        self.req('start-next', {})
        offset = self.jobsd.clock_now_ms()
        self.jobsd.restart()
        wait_mqtt_ready(self.jobsd)
        # the virtual clock restarts at real time: move past the stored deadline
        ahead = max(0, (offset - self.jobsd.clock_now_ms()) // 1000) + 121
        self.jobsd.advance_clock(ahead)
        # a get is idempotent: ask again if unanswered (on PostgreSQL the restarted node
        # answers its things once its shard leases are in: docs/operations.md "Leases and
        # takeover"), and check the status the timer left
        got = None
        for attempt in range(4):
            self.dev.publish(T % self.thing + jid + '/get', {'clientToken': 'a%d' % attempt})
            try:
                got = self.dev.expect_json(T % self.thing + jid + '/get/accepted', timeout=3)
                break
            except mqttc.MqttError:
                continue
        self.assertIsNotNone(got, 'get unanswered after the restart')
        self.assertEqual(got['execution']['status'], 'TIMED_OUT')


def admin_metrics(jobsd):
    """{name: value} of the unlabelled samples of /metrics on the admin listener."""
    addr = next(x.split('=', 1)[1] for x in jobsd.stdout_lines if x.startswith('jobsd admin='))
    host, port = addr.rsplit(':', 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        conn.request('GET', '/metrics')
        resp = conn.getresponse()
        body = resp.read().decode()
        assert resp.status == 200, body
    finally:
        conn.close()
    out = {}
    for line in body.splitlines():
        m = re.match(r'^([a-zA-Z_:][a-zA-Z0-9_:]*) (\S+)$', line)
        if m:
            out[m.group(1)] = float(m.group(2))
    return out


@one_store('the MQTT outgoing bound, with 3,000 things: runs once')
class OutgoingBound(MqttBase):
    """Issue 15: what jobsd lets libmosquitto hold is bounded (--mqtt-out-max-kib); past the
    bound a thing's notification waits as one entry of the dirty set, sent with the thing's
    state when there is room, so a fan-out over many devices through a stalled or slow
    broker connection loses none and sends each device its current state."""
    N = 3000
    MAX_KIB = 16
    more_args = ('--mqtt-out-max-kib', str(MAX_KIB), '--admin-listen', '127.0.0.1:0')

    def rest_many(self, calls, threads=8):
        """Run (method, path, body) REST calls over a few kept-alive connections."""
        host, port = self.jobsd.control_url.split('//', 1)[1].rsplit(':', 1)
        errors = []

        def run(part):
            conn = http.client.HTTPConnection(host, int(port), timeout=30)
            try:
                for method, path, body in part:
                    data = json.dumps(body).encode() if body is not None else b''
                    conn.request(method, path, body=data,
                                 headers={'Content-Type': 'application/json'})
                    resp = conn.getresponse()
                    got = resp.read()
                    if resp.status != 200:
                        errors.append((path, resp.status, got[:200]))
            finally:
                conn.close()

        ts = [threading.Thread(target=run, args=(calls[i::threads],)) for i in range(threads)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        self.assertEqual(errors, [])

    def test_fan_out_through_a_stalled_broker(self):
        prefix = self.name('ob')
        things = ['%s-%04d' % (prefix, i) for i in range(self.N)]
        group = self.create_group()
        self.rest_many([('POST', '/things/' + t, {}) for t in things])
        self.rest_many([('PUT', '/thing-groups/addThingToThingGroup',
                         {'thingGroupName': group, 'thingName': t}) for t in things])
        # one observer for every device's notify-next (jobsd's account may read them all)
        obs = mqttc.MqttClient(self.name('observer'), '127.0.0.1', self.broker.port,
                               username='jobsd', password=self.broker.password)
        obs.connect()
        self.clients.append(obs)
        obs.subscribe('$aws/things/+/jobs/notify-next')
        before = admin_metrics(self.jobsd)
        self.assertEqual(before['jobsd_mqtt_out_max_bytes'], self.MAX_KIB * 1024)
        # the broker stalls: jobsd fills its bound, then notes things as dirty
        self.broker.proc.send_signal(signal.SIGSTOP)
        try:
            job = self.name('job')
            self.iot.create_job(jobId=job, targets=[group_arn(group)],
                                document='{"op":"fleet"}')
            # a large group fans out in chunks after the 200 (issue 15): every thing has
            # its execution before some are canceled
            harness.eventually(lambda: self.assertEqual(self.iot.describe_job(jobId=job)[
                'job']['jobProcessDetails']['numberOfQueuedThings'], self.N), timeout=30)
            # while their notification waits, the last 100 things change again: the
            # execution is canceled, so their current state has no next execution
            gone = things[-100:]
            self.rest_many([('PUT', '/things/%s/jobs/%s/cancel' % (t, job), {})
                            for t in gone])
            stalled = admin_metrics(self.jobsd)
        finally:
            self.broker.proc.send_signal(signal.SIGCONT)
        self.assertGreater(stalled['jobsd_mqtt_notify_deferred_total'],
                           before['jobsd_mqtt_notify_deferred_total'] + self.N / 2)
        self.assertGreaterEqual(stalled['jobsd_mqtt_notify_coalesced_total'],
                                before['jobsd_mqtt_notify_coalesced_total'] + 50)
        # every device gets its current state; the last notify-next of each counts
        last = {}
        deadline = time.monotonic() + 90
        want = set(things)
        while True:
            try:
                m = obs.expect_msg('$aws/things/+/jobs/notify-next', timeout=5)
            except mqttc.MqttError:
                m = None
            if m is not None:
                t = m.topic.split('/')[2]
                if t in want:
                    last[t] = json.loads(m.payload)
            done = len(last) == self.N and all(
                ('execution' in last[t]) == (t not in gone) for t in things)
            if done or time.monotonic() > deadline:
                break
        self.assertEqual(sorted(want - set(last)), [], 'things without a notify-next')
        wrong = [t for t in things if ('execution' in last[t]) == (t in gone)]
        self.assertEqual(wrong, [], 'things whose last notify-next is not their state')
        for t in things[:-100]:
            ex = last[t]['execution']
            self.assertEqual((ex['jobId'], ex['status'], ex['versionNumber']),
                             (job, 'QUEUED', 1))
            self.assertEqual(ex['jobDocument'], {'op': 'fleet'})
        # bounded all along: the bound plus what one thing's messages add past it
        after = admin_metrics(self.jobsd)
        self.assertLessEqual(after['jobsd_mqtt_out_bytes_peak'], (self.MAX_KIB + 16) * 1024)
        self.assertEqual(after['jobsd_mqtt_notify_dropped_total'], 0)
        # and every message accounted for once the broker has them all
        for _ in range(100):
            after = admin_metrics(self.jobsd)
            if after['jobsd_mqtt_out_messages'] == 0 and after['jobsd_mqtt_notify_pending'] == 0:
                break
            time.sleep(0.05)
        self.assertEqual((after['jobsd_mqtt_out_bytes'], after['jobsd_mqtt_out_messages'],
                          after['jobsd_mqtt_notify_pending']), (0, 0, 0))
        # requests are served as before (the workers wait for room, never refuse)
        dev = self.device(things[0])
        dev.publish(T % things[0] + 'start-next', {'clientToken': 'after'})
        got = dev.expect_json(T % things[0] + 'start-next/accepted', timeout=10)
        self.assertEqual(got['execution']['jobId'], job)


if __name__ == '__main__':
    harness.main()
